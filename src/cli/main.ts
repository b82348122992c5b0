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
import { runIdJagVerify } from './id-jag-verify.ts';
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
  token verify --id-jag --issuer URL --audience AUD [--client-id ID] [--jwks URL] <jwt|->
                                                 check an ID-JAG as its receiving authorization server does
  keys generate [--alg RS256|ES256|EdDSA]        print a new private signing JWK
  clients secret                                 print a new client secret (256 bits, 64 hex digits)
  users list|show|disable|enable|delete [ID] --config FILE [--json]
                                                 manage users in the configured store
  login --device --issuer URL --client-id ID [--scope "openid ..."] [--client-secret S]
                                                 sign in from a terminal (RFC 8628 device flow), print the claims
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
      device: { type: 'boolean' },
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'client-secret': { type: 'string' },
      scope: { type: 'string' },
      'id-jag': { type: 'boolean' },
      audience: { type: 'string' },
      jwks: { type: 'string' },
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
        if (values['id-jag']) {
          if (!values.issuer || !values.audience) throw new UsageError('--id-jag needs --issuer URL (the bridge) and --audience AUD (your issuer)');
          const source = rest[0];
          if (!source) throw new UsageError('pass the token, or - to read it from standard input');
          const token = (source === '-' ? await io.readStdin() : source).trim();
          return await runIdJagVerify({
            token,
            issuer: values.issuer,
            audience: values.audience,
            clientId: values['client-id'],
            jwksUrl: values.jwks,
            out: io.out,
          });
        }
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
      case 'login': {
        if (!values.device) throw new UsageError('login supports only --device');
        if (!values.issuer || !values['client-id']) throw new UsageError('login --device needs --issuer URL and --client-id ID');
        const { runDeviceLogin } = await import('./login-device.ts');
        return await runDeviceLogin({
          issuer: values.issuer,
          clientId: values['client-id'],
          ...(values.scope !== undefined && { scope: values.scope }),
          ...((values['client-secret'] ?? io.env.BRIDGE_CLIENT_SECRET) !== undefined && {
            clientSecret: values['client-secret'] ?? io.env.BRIDGE_CLIENT_SECRET,
          }),
          out: io.out,
          err: io.err,
        });
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
          const { config, file } = await loadConfigOption(values.config, io);
          return await runUsersCommand({
            config,
            configFile: file,
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
