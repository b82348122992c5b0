import { parse as parseYaml } from 'yaml';
import type { Config } from './schema.ts';
import { ConfigError } from './errors.ts';
import { resolveConfig } from './resolve.ts';

export { validateConfig } from './resolve.ts';

/**
 * Parses configuration text (YAML, of which JSON is a subset), interpolates `${VAR}` from `env`
 * and validates it. Pure: no file or process access. Throws ConfigError listing every problem at once.
 * (The Worker takes JSON only and calls resolveConfig directly, so the YAML parser stays out of its bundle.)
 */
export function parseConfig(text: string, env: Record<string, string | undefined> = {}): Config {
  let raw: unknown;
  try {
    raw = parseYaml(text, { uniqueKeys: true, prettyErrors: true });
  } catch (error) {
    throw new ConfigError([{ path: '', message: `not valid YAML or JSON: ${(error as Error).message.split('\n')[0]}` }]);
  }
  return resolveConfig(raw, env);
}
