import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runDoctor, type DoctorCheck } from '../../../src/cli/doctor.ts';
import { runCli, type CliIo } from '../../../src/cli/main.ts';
import { generateSigningJwk } from '../../../src/keys/signing-keys.ts';
import { startLegacyIssuer, type LegacyIssuer } from '../../helpers/legacy-issuer.ts';
import { startRedisServer, type TestRedis } from '../../helpers/redis-server.ts';

/** `jwt-idp-bridge doctor` against a good setup (real Keys Endpoint, real Redis) and one broken part at a time. */
describe('jwt-idp-bridge doctor', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jib-doctor-'));
  let legacy: LegacyIssuer;
  let goodRedis: TestRedis;
  let lossyRedis: TestRedis;
  const lookup = async (host: string) => {
    if (host !== 'waf.example.com') throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    return { address: '192.0.2.1', family: 4 };
  };

  beforeAll(async () => {
    legacy = await startLegacyIssuer({ alg: 'ES256' });
    goodRedis = await startRedisServer(['--maxmemory-policy', 'noeviction', '--appendonly', 'yes']);
    lossyRedis = await startRedisServer(['--maxmemory-policy', 'allkeys-lru']);
    writeFileSync(join(dir, 'signing.jwk'), JSON.stringify(await generateSigningJwk('RS256')));
  });
  afterAll(async () => {
    await legacy?.close();
    await goodRedis?.close();
    await lossyRedis?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const configFile = (overrides: { store?: unknown; idp?: Record<string, unknown>; signing?: unknown; raw?: unknown } = {}) => {
    const file = join(dir, `config-${crypto.randomUUID()}.json`);
    const config = overrides.raw ?? {
      issuer: 'https://login.example.com',
      store: overrides.store ?? { type: 'redis', url: goodRedis.url, keyPrefix: 'doctor:' },
      signing: overrides.signing ?? { keys: [{ file: 'signing.jwk' }] },
      identityProviders: [
        {
          id: 'legacy',
          issuer: legacy.url,
          keysEndpoint: legacy.jwksUrl,
          jwtEndpoint: 'https://waf.example.com/login/jwt',
          allowAnyAudience: true,
          trustedProxy: 'none',
          ...overrides.idp,
        },
      ],
      clients: [{ clientId: 'app', redirectUris: ['https://app.example.com/cb'], identityProviders: ['legacy'] }],
    };
    writeFileSync(file, JSON.stringify(config));
    return file;
  };

  const doctor = async (file: string, extra: { token?: string } = {}) => {
    const lines: string[] = [];
    const code = await runDoctor({ configFile: file, env: {}, out: (l) => lines.push(l), lookup, ...extra });
    const json: string[] = [];
    await runDoctor({ configFile: file, env: {}, out: (l) => json.push(l), lookup, json: true, ...extra });
    const { checks } = JSON.parse(json.join('\n')) as { checks: DoctorCheck[] };
    const status = (name: string) => checks.find((c) => c.name === name)?.status;
    return { code, text: lines.join('\n'), checks, status };
  };

  it('passes a good setup: every line ✔, exit 0', async () => {
    const result = await doctor(configFile());
    expect(result.code).toBe(0);
    expect(result.checks.map((c) => c.name)).toEqual([
      'config',
      'signing keys',
      'store',
      'store eviction',
      'store persistence',
      'idp legacy keys',
      'idp legacy jwtEndpoint',
    ]);
    expect(result.checks.every((c) => c.status === 'ok')).toBe(true);
    expect(result.text).toMatch(/^✔ signing keys: .+ \(RS256\)$/m);
    expect(result.text).toMatch(/^✔ idp legacy keys: 1 usable key\(s\) at http:\/\/127\.0\.0\.1:\d+/m);
  });

  it('✘ config: invalid configuration, with the fix', async () => {
    const result = await doctor(configFile({ raw: { issuer: 'not a url' } }));
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/^✘ config: .*issuer/m);
    expect(result.text).toMatch(/^ {4}fix: run `jwt-idp-bridge config check/m);
  });

  it('✘ signing keys: an unreadable key file', async () => {
    const result = await doctor(configFile({ signing: { keys: [{ file: 'missing.jwk' }] } }));
    expect(result.code).toBe(1);
    expect(result.status('signing keys')).toBe('fail');
    expect(result.text).toMatch(/✘ signing keys: signing\.keys\[0\]\.file: cannot read a JWK from missing\.jwk \(ENOENT\)/);
  });

  it('✘ store: Redis unreachable', async () => {
    const result = await doctor(configFile({ store: { type: 'redis', url: 'redis://:secret-pw@127.0.0.1:1', keyPrefix: 'doctor:' } }));
    expect(result.code).toBe(1);
    expect(result.status('store')).toBe('fail');
    expect(result.text).not.toContain('secret-pw');
  });

  it('warns (exit 0) on an evicting Redis without AOF, and on the memory store', async () => {
    const lossy = await doctor(configFile({ store: { type: 'redis', url: lossyRedis.url, keyPrefix: 'doctor:' } }));
    expect(lossy.code).toBe(0);
    expect(lossy.text).toMatch(/^! store eviction: maxmemory-policy allkeys-lru/m);
    expect(lossy.text).toMatch(/^! store persistence: AOF is off/m);
    const memory = await doctor(configFile({ store: { type: 'memory' } }));
    expect(memory.code).toBe(0);
    expect(memory.status('store')).toBe('warn');
  });

  it('✘ idp keys: the Keys Endpoint is down', async () => {
    legacy.setMode('down');
    try {
      const result = await doctor(configFile());
      expect(result.code).toBe(1);
      expect(result.text).toMatch(/^✘ idp legacy keys: http:\/\/127\.0\.0\.1:\d+\S* not reachable within 5s/m);
    } finally {
      legacy.setMode('ok');
    }
  });

  it('✘ idp keys: no key fits the algorithm allow-list', async () => {
    const result = await doctor(configFile({ idp: { algorithms: ['RS256'] } }));
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/^✘ idp legacy keys: .*no usable signing key/m);
    expect(result.text).toMatch(/fix: make identityProviders\[legacy\]\.algorithms match/);
  });

  it('✘ idp jwtEndpoint: the host does not resolve', async () => {
    const result = await doctor(configFile({ idp: { jwtEndpoint: 'https://waf.typo.example/login/jwt' } }));
    expect(result.code).toBe(1);
    expect(result.text).toMatch(/^✘ idp legacy jwtEndpoint: waf\.typo\.example does not resolve: ENOTFOUND/m);
  });

  it('--token: ✔ for a good legacy JWT, ✘ with the reason for a bad one', async () => {
    const good = await doctor(configFile(), { token: await legacy.mint({ sub: 'doc' }) });
    expect(good.code).toBe(0);
    expect(good.text).toMatch(/^✔ token \(legacy\): accepted/m);
    const bad = await doctor(configFile(), { token: await legacy.mint({ sub: 'doc', exp: Math.floor(Date.now() / 1000) - 3600 }) });
    expect(bad.code).toBe(1);
    expect(bad.text).toMatch(/^✘ token \(legacy\): rejected: expired/m);
  });

  it('runs from the CLI with --json and --token - (standard input)', async () => {
    const stdout: string[] = [];
    const io: CliIo = { out: (l) => stdout.push(l), err: () => undefined, readStdin: async () => `${await legacy.mint({ sub: 'cli' })}\n`, env: {} };
    const file = configFile({ idp: { jwtEndpoint: 'https://127.0.0.1/login/jwt' } });
    expect(await runCli(['doctor', '--config', file, '--json', '--token', '-'], io)).toBe(0);
    const report = JSON.parse(stdout.join('\n'));
    expect(report.ok).toBe(true);
    expect(report.checks.map((c: DoctorCheck) => c.name)).toContain('token (legacy)');
  });

  it('users list --json prints the users as one JSON array', async () => {
    const prefix = `doctor-users:${crypto.randomUUID()}:`;
    const file = configFile({ store: { type: 'redis', url: goodRedis.url, keyPrefix: prefix } });
    const { createRedisStore } = await import('../../../src/storage/redis.ts');
    const { createUserDirectory } = await import('../../../src/identity/user-directory.ts');
    const { silentLogger } = await import('../../../src/observability/logger.ts');
    const store = createRedisStore({ url: goodRedis.url, keyPrefix: prefix, logger: silentLogger });
    const users = createUserDirectory({ store, clock: { now: () => Date.now() }, logger: silentLogger });
    const made = await users.resolve({ idp: 'legacy', sub: 'json-sub', profile: { email: 'j@example.com' }, autoRegister: true, autoUpdate: false });
    await store.close();
    const stdout: string[] = [];
    const io: CliIo = { out: (l) => stdout.push(l), err: () => undefined, readStdin: async () => '', env: {} };
    expect(await runCli(['users', 'list', '--config', file, '--json'], io)).toBe(0);
    const listed = JSON.parse(stdout.join('\n'));
    expect(listed).toEqual([expect.objectContaining({ id: made.status === 'ok' ? made.user.id : 'x', identities: [{ idp: 'legacy', sub: 'json-sub' }] })]);
  });
});
