import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { Redis } from 'ioredis';
import { systemClock } from '../clock.ts';
import { ConfigError } from '../config/errors.ts';
import { loadConfigFile } from '../config/load.ts';
import type { Config, IdentityProviderConfig } from '../config/schema.ts';
import { importSigningKeys, SigningKeyError, type SigningAlg } from '../keys/signing-keys.ts';
import { discoveryLoader, keysEndpointLoader } from '../legacy/key-fetch.ts';
import { importKeySet } from '../legacy/imported-keys.ts';
import { silentLogger } from '../observability/logger.ts';
import { readSigningJwks } from '../runtime/node.ts';
import { createStore } from '../storage/index.ts';
import { runTokenVerify } from './token-verify.ts';

/** One line of `jwt-idp-bridge doctor`: ok, a warning (still exit 0), or a failure with what to do about it. */
export interface DoctorCheck {
  name: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

export interface DoctorOptions {
  configFile: string;
  env: Record<string, string | undefined>;
  json?: boolean;
  /** A legacy JWT to run `token verify` on, and the IdP to verify it for (default: the first). */
  token?: string;
  idp?: string;
  out: (line: string) => void;
  fetch?: typeof fetch;
  /** DNS resolution of the jwtEndpoint hosts (tests inject one; default node:dns lookup). */
  lookup?: (hostname: string) => Promise<unknown>;
}

const SYMBOL = { ok: '✔', warn: '!', fail: '✘' } as const;

/**
 * `jwt-idp-bridge doctor --config FILE [--json] [--token -]`: what an operator would otherwise check by hand, one line
 * per check with the fix. Exit 0 when nothing failed (warnings allowed), 1 otherwise.
 */
export async function runDoctor(options: DoctorOptions): Promise<number> {
  const checks: DoctorCheck[] = [];
  const add = (check: DoctorCheck) => {
    checks.push(check);
    if (!options.json) {
      options.out(`${SYMBOL[check.status]} ${check.name}: ${check.detail}`);
      if (check.fix && check.status !== 'ok') options.out(`    fix: ${check.fix}`);
    }
  };
  const config = await checkConfig(options, add);
  if (config) {
    await checkSigningKeys(config, options.configFile, add);
    await checkStore(config, add);
    for (const idp of config.identityProviders) {
      await checkKeys(idp, options.fetch ?? globalThis.fetch, add);
      await checkJwtEndpoint(idp, options.lookup ?? ((host) => dnsLookup(host)), add);
    }
    if (options.token !== undefined) await checkToken(config, options, add);
  }
  const ok = checks.every((c) => c.status !== 'fail');
  if (options.json) options.out(JSON.stringify({ ok, checks }, null, 2));
  return ok ? 0 : 1;
}

type Add = (check: DoctorCheck) => void;

async function checkConfig(options: DoctorOptions, add: Add): Promise<Config | undefined> {
  try {
    const config = await loadConfigFile(options.configFile, options.env);
    add({ name: 'config', status: 'ok', detail: `${options.configFile} is valid` });
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    const problems = error.problems.map((p) => `${p.path ? `${p.path}: ` : ''}${p.message}`).join('; ');
    add({ name: 'config', status: 'fail', detail: problems, fix: `run \`jwt-idp-bridge config check --config ${options.configFile}\` and correct each key` });
    return undefined;
  }
}

async function checkSigningKeys(config: Config, configFile: string, add: Add): Promise<void> {
  try {
    const jwks = await readSigningJwks(config, configFile);
    if (!jwks.length) {
      add({
        name: 'signing keys',
        status: config.store.type === 'memory' ? 'warn' : 'ok',
        detail: 'none configured: generated at first start and kept in the store',
        fix: 'with the memory store they change at every restart; configure signing.keys (jwt-idp-bridge keys generate)',
      });
      return;
    }
    const requiredAlgs = [...new Set(config.clients.map((client) => client.idTokenSignedResponseAlg as SigningAlg))];
    const keys = await importSigningKeys(jwks, requiredAlgs);
    add({ name: 'signing keys', status: 'ok', detail: keys.map((k) => `${k.kid} (${k.alg})`).join(', ') });
  } catch (error) {
    if (!(error instanceof SigningKeyError)) throw error;
    add({
      name: 'signing keys',
      status: 'fail',
      detail: `${error.path}: ${error.detail}`,
      fix: 'point signing.keys at readable private JWKs (jwt-idp-bridge keys generate)',
    });
  }
}

async function checkStore(config: Config, add: Add): Promise<void> {
  const { store } = config;
  if (store.type === 'memory') {
    add({
      name: 'store',
      status: 'warn',
      detail: 'memory: users and sessions are lost at restart, and not shared between instances',
      fix: 'use store.type redis for production',
    });
    return;
  }
  if (store.type !== 'redis') {
    const adapter = await createStore(store, { clock: systemClock, logger: silentLogger });
    try {
      await adapter.ping();
      add({ name: 'store', status: 'ok', detail: `${store.type} reachable` });
    } catch (error) {
      add({ name: 'store', status: 'fail', detail: `${store.type} unreachable: ${(error as Error).message}`, fix: 'check store.url and store.token' });
    } finally {
      await adapter.close();
    }
    return;
  }
  const redis = new Redis(store.url!, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 3_000, commandTimeout: 3_000 });
  redis.on('error', () => undefined);
  try {
    await redis.connect();
    await redis.ping();
    const info = `${await redis.info('memory')}\n${await redis.info('persistence')}`;
    const field = (name: string) => new RegExp(`^${name}:(.*)$`, 'm').exec(info)?.[1]?.trim();
    add({ name: 'store', status: 'ok', detail: `redis reachable (${redactUrl(store.url!)})` });
    const policy = field('maxmemory_policy') ?? 'unknown';
    add(
      policy === 'noeviction'
        ? { name: 'store eviction', status: 'ok', detail: 'maxmemory-policy noeviction' }
        : {
            name: 'store eviction',
            status: 'warn',
            detail: `maxmemory-policy ${policy}: Redis may evict users, refresh tokens and revocation marks under memory pressure`,
            fix: 'CONFIG SET maxmemory-policy noeviction (and in redis.conf)',
          },
    );
    add(
      field('aof_enabled') === '1'
        ? { name: 'store persistence', status: 'ok', detail: 'appendonly yes' }
        : {
            name: 'store persistence',
            status: 'warn',
            detail: 'AOF is off: a Redis restart loses the users registered since the last snapshot (or all of them)',
            fix: 'CONFIG SET appendonly yes (and appendfsync everysec in redis.conf)',
          },
    );
  } catch (error) {
    add({
      name: 'store',
      status: 'fail',
      detail: `redis unreachable (${redactUrl(store.url!)}): ${(error as Error).message}`,
      fix: 'check store.url, the network path and the password',
    });
  } finally {
    redis.disconnect();
  }
}

async function checkKeys(idp: IdentityProviderConfig, fetch: typeof globalThis.fetch, add: Add): Promise<void> {
  const name = `idp ${idp.id} keys`;
  if (idp.publicKeys) {
    add({ name, status: 'ok', detail: `${idp.publicKeys.length} static public key(s)` });
    return;
  }
  const options = { fetch, timeoutSeconds: idp.keysCache.timeoutSeconds };
  const source = idp.discoveryUrl ?? idp.keysEndpoint!;
  const load = idp.discoveryUrl
    ? discoveryLoader(idp.discoveryUrl, idp.issuer, {
        ...options,
        clock: systemClock,
        maxAgeSeconds: 0,
        ...(idp.jwksUriOrigins && { jwksUriOrigins: idp.jwksUriOrigins }),
      })
    : keysEndpointLoader(idp.keysEndpoint!, options);
  let doc: Awaited<ReturnType<typeof load>>;
  try {
    doc = await load();
  } catch (error) {
    add({
      name,
      status: 'fail',
      detail: `${source} not reachable within ${idp.keysCache.timeoutSeconds}s: ${(error as Error).message}`,
      fix: 'check the URL, DNS and firewall from this host (the bridge fetches it itself, not through the WAF)',
    });
    return;
  }
  try {
    // The verifier's own import: a key that does not import is reported, never counted; none usable throws.
    const { keys, dropped } = await importKeySet(doc.jwks, idp.algorithms);
    const count = keys.length;
    add(
      dropped.length
        ? {
            name,
            status: 'warn',
            detail: `${count} usable key(s) at ${doc.url}; ignored: ${dropped.join('; ')}`,
            fix: `identityProviders[${idp.id}].algorithms is ${idp.algorithms.join(', ')}`,
          }
        : { name, status: 'ok', detail: `${count} usable key(s) at ${doc.url}, algorithms ${idp.algorithms.join(', ')}` },
    );
  } catch (error) {
    add({
      name,
      status: 'fail',
      detail: `${doc.url}: ${(error as Error).message}`,
      fix: `make identityProviders[${idp.id}].algorithms match the issuer's keys (now ${idp.algorithms.join(', ')})`,
    });
  }
}

async function checkJwtEndpoint(idp: IdentityProviderConfig, lookup: (host: string) => Promise<unknown>, add: Add): Promise<void> {
  const host = new URL(idp.jwtEndpoint).hostname.replace(/^\[|\]$/g, '');
  const name = `idp ${idp.id} jwtEndpoint`;
  if (isIP(host)) {
    add({ name, status: 'ok', detail: `${idp.jwtEndpoint} (IP address)` });
    return;
  }
  try {
    await lookup(host);
    add({ name, status: 'ok', detail: `${host} resolves` });
  } catch (error) {
    add({
      name,
      status: 'fail',
      detail: `${host} does not resolve: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`,
      fix: 'the WAF host in jwtEndpoint must be the public name browsers reach',
    });
  }
}

async function checkToken(config: Config, options: DoctorOptions, add: Add): Promise<void> {
  const idpId = options.idp ?? config.identityProviders[0]!.id;
  const lines: string[] = [];
  const code = await runTokenVerify({
    config,
    idpId,
    token: options.token!,
    out: (line) => lines.push(line),
    ...(options.fetch && { fetch: options.fetch }),
  });
  const result = lines.find((line) => line.startsWith('RESULT')) ?? lines.at(-1) ?? '';
  add(
    code === 0
      ? { name: `token (${idpId})`, status: 'ok', detail: result.replace(/^RESULT\s+/, '') }
      : {
          name: `token (${idpId})`,
          status: 'fail',
          detail: result.replace(/^RESULT\s+/, ''),
          fix: `run \`jwt-idp-bridge token verify --idp ${idpId} -\` for every check`,
        },
  );
}

function redactUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.password) parsed.password = '***';
  return parsed.href;
}
