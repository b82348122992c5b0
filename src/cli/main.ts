import { parseArgs } from 'node:util';
import { systemClock } from '../clock.ts';
import { ConfigError } from '../config/errors.ts';
import { loadConfigFile } from '../config/load.ts';
import { configWarnings } from '../config/warnings.ts';
import type { Config } from '../config/schema.ts';
import { randomToken } from '../crypto.ts';
import { generateSigningJwk, GENERATED_ALGS, type SigningAlg } from '../keys/signing-keys.ts';
import { createLogger } from '../observability/create-logger.ts';
import { createPinoLogger } from '../observability/pino.ts';
import { preflightConfig } from './preflight.ts';
import { runTokenVerify } from './token-verify.ts';
import { runUsersCommand } from './users.ts';

export interface CliIo {
  out: (line: string) => void;
  err: (line: string) => void;
  readStdin: () => Promise<string>;
  env: Record<string, string | undefined>;
}

const USAGE = `Usage: jwt-idp-bridge <command> [options]

Commands:
  serve [--config FILE]                          run the bridge (no config: the local demo stack)
  config check --config FILE                     validate a configuration, print every problem
  token verify --config FILE --idp ID <jwt|->    run the legacy-JWT checks on a token and print each one
  keys generate [--alg RS256|ES256|EdDSA]        print a new private signing JWK
  clients secret                                 print a new client secret (256 bits, 43 characters)
  users list|show|disable|enable|delete [ID] --config FILE [--json]
                                                 manage users in the configured store
  doctor --config FILE [--json] [--token -] [--idp ID]
                                                 check config, keys, store, Keys Endpoints, DNS (and a token)

The config file may also be given with the environment variable BRIDGE_CONFIG.
Exit codes: 0 success or token accepted, 1 token rejected or config invalid, 2 usage error.`;

class UsageError extends Error {}

async function loadConfigOption(configFile: string | undefined, io: CliIo): Promise<{ config: Config; file: string }> {
  const file = configFile ?? io.env.BRIDGE_CONFIG;
  if (!file) throw new UsageError('--config FILE (or BRIDGE_CONFIG) is required');
  return { config: await loadConfigFile(file, io.env), file };
}

const parseOptions = (argv: string[]) =>
  parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      idp: { type: 'string' },
      alg: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      json: { type: 'boolean' },
      token: { type: 'string' },
    },
  });

/** Runs one CLI invocation; returns the exit code (never calls process.exit, so tests can drive it). */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  let parsed: ReturnType<typeof parseOptions>;
  try {
    parsed = parseOptions(argv);
  } catch (error) {
    io.err(`${(error as Error).message}\n\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, sub, ...rest] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? 0 : 2;
  }
  try {
    switch (`${command} ${command === 'serve' ? '' : (sub ?? '')}`.trim()) {
      case 'serve': {
        const { serve } = await import('./serve.ts');
        return await serve(values.config ?? io.env.BRIDGE_CONFIG, io);
      }
      case 'config check': {
        const { config, file } = await loadConfigOption(values.config, io);
        await preflightConfig(config, file);
        for (const line of configWarnings(config)) io.err(`warning: ${line}`);
        io.out(`OK: ${file} is a valid configuration`);
        return 0;
      }
      case 'token verify': {
        const { config } = await loadConfigOption(values.config, io);
        if (!values.idp) throw new UsageError('--idp ID is required');
        const source = rest[0];
        if (!source) throw new UsageError('pass the token, or - to read it from standard input');
        const token = (source === '-' ? await io.readStdin() : source).trim();
        return await runTokenVerify({ config, idpId: values.idp, token, clock: systemClock, out: io.out });
      }
      case 'keys generate': {
        const alg = (values.alg ?? 'RS256') as SigningAlg;
        if (!GENERATED_ALGS.includes(alg)) throw new UsageError(`--alg must be one of ${GENERATED_ALGS.join(', ')}`);
        io.out(JSON.stringify(await generateSigningJwk(alg), null, 2));
        return 0;
      }
      case 'doctor': {
        const file = values.config ?? io.env.BRIDGE_CONFIG;
        if (!file) throw new UsageError('--config FILE (or BRIDGE_CONFIG) is required');
        const { runDoctor } = await import('./doctor.ts');
        const token = values.token === undefined ? undefined : (values.token === '-' ? await io.readStdin() : values.token).trim();
        return await runDoctor({
          configFile: file,
          env: io.env,
          out: io.out,
          ...(values.json && { json: true }),
          ...(token !== undefined && { token }),
          ...(values.idp && { idp: values.idp }),
        });
      }
      case 'clients secret':
        io.out(randomToken());
        return 0;
      default:
        if (command === 'users') {
          const { config } = await loadConfigOption(values.config, io);
          return await runUsersCommand({
            config,
            action: sub,
            id: rest[0],
            out: io.out,
            ...(values.json && { json: true }),
            logger: createLogger(createPinoLogger, { ...config, logging: { level: 'warn' } }),
          });
        }
        throw new UsageError(`unknown command: ${positionals.join(' ')}`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      io.err(`Configuration is invalid (${error.problems.length} problem${error.problems.length === 1 ? '' : 's'}):`);
      for (const problem of error.problems) io.err(`  ${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
      return 1;
    }
    io.err(`error: ${(error as Error).message}`);
    return 1;
  }
}
