import { readFile } from 'node:fs/promises';
import { ConfigError } from './errors.ts';
import { parseConfig } from './parse.ts';
import type { Config } from './schema.ts';

/** Reads and validates a configuration file (Node only). `env`: the variables for `${VAR}`, passed in by the caller. */
export async function loadConfigFile(file: string, env: Record<string, string | undefined>): Promise<Config> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new ConfigError([{ path: '', message: `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}` }]);
  }
  return parseConfig(text, env);
}
