import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { cpus, freemem, totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { importJWK, SignJWT, type CryptoKey, type JWK } from 'jose';
import { createUserDirectory } from '../src/identity/user-directory.ts';
import { generateSigningJwk, type SigningAlg } from '../src/keys/signing-keys.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { createRedisStore } from '../src/storage/redis.ts';
import { generateTestKey } from '../test/helpers/legacy-issuer.ts';
import { compareFiles } from './lib/compare.ts';
import { measureCrypto } from './lib/crypto.ts';
import { authorizeStep, callbackStep, jwtStep, peerCodeSteps, tokenStep, type BenchClient } from './lib/flows.ts';
import { load, pacedLoad, Samples, type LoadResult } from './lib/load.ts';
import { startBridge, startPeer, type Proc } from './lib/procs.ts';
import { deletePrefix, redisBytesByKind } from './lib/redis-memory.ts';
import { renderMarkdown, type BenchResult } from './lib/report.ts';

// `npm run bench` — real processes, real sockets: see README "Performance". Flags:
//   --quick            short runs while developing (figures are noisier)
//   --compare A B      compare two result files
//   --micro            the in-process tinybench suites (bench/micro.ts)
//   --cpu-prof DIR     write V8 CPU profiles of the memory-store bridge into DIR
//   --only a,b         sections: crypto, hono, jwt, token, login, zitadel, peer, redis, workers, algs, memory
// Environment: BENCH_CONNECTIONS (16), BENCH_NODE_ARGS (node flags for the bridges instead of the shipped
// --max-semi-space-size=16, e.g. "--trace-gc --max-semi-space-size=16"),
// BENCH_KEEP_DIR=1 (keep the temporary folder with the configs and the bridges' logs), REDIS_URL.
const args = process.argv.slice(2);
if (args[0] === '--compare') {
  await compareFiles(args[1]!, args[2]!);
  process.exit(0);
}
if (args.includes('--micro')) {
  await import('./micro.ts');
  process.exit(0);
}
const quick = args.includes('--quick');
const cpuProfDir = args.includes('--cpu-prof') ? args[args.indexOf('--cpu-prof') + 1] : undefined;
const only = args.includes('--only') ? new Set(args[args.indexOf('--only') + 1]!.split(',')) : undefined;
const want = (section: string) => !only || only.has(section);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 16);
const DURATION = quick ? 3 : 10;
// Auth requests / codes prepared per pool-consuming run (the ratios do not depend on it; the run time does).
const POOL = quick ? 2_000 : 5_000;
const CRYPTO_MS = quick ? 500 : 2_000;
const USERS = quick ? 2_000 : 10_000;

const log = (line: string) => process.stderr.write(`${line}\n`);
const dir = await mkdtemp(join(tmpdir(), 'jib-bench-'));
const procs: Proc[] = [];
const prefixes: string[] = [];
const cleanup = async () => {
  await Promise.all(procs.map((p) => p.stop().catch(() => undefined)));
  for (const prefix of prefixes) await deletePrefix(REDIS_URL, prefix).catch(() => undefined);
  if (process.env.BENCH_KEEP_DIR) log(`kept ${dir} (configs and bridge logs)`);
  else await rm(dir, { recursive: true, force: true });
};
process.once('SIGINT', () => void cleanup().then(() => process.exit(130)));

const result: BenchResult = {
  date: new Date().toISOString(),
  mode: quick ? 'quick' : 'full',
  machine: {
    cpus: `${cpus().length} × ${cpus()[0]?.model ?? 'unknown'}`,
    memory: `${Math.round(totalmem() / 2 ** 30)} GiB (${Math.round(freemem() / 2 ** 30)} GiB free)`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  },
  connections: CONNECTIONS,
  baselines: {},
  runs: {},
  ratios: [],
  memory: {},
  notes: [],
};

try {
  // --- the legacy issuer: an ES256 key; its Keys Endpoint in its own process ---------------------------------------
  const legacyKey = await generateTestKey('ES256');
  const jwksServer = await startPeer('bench/peer/jwks-server.ts', { BENCH_JWKS: JSON.stringify({ keys: [legacyKey.publicJwk] }) });
  procs.push(jwksServer);
  const legacyIssuer = 'https://legacy.bench.example';
  const now = Math.floor(Date.now() / 1000);
  const mint = (sub: string) =>
    new SignJWT({ sub, aud: 'jwt-idp-bridge', email: `${sub}@example.com`, email_verified: true, name: `User ${sub}`, groups: ['staff'] })
      .setProtectedHeader({ alg: 'ES256', kid: legacyKey.kid, typ: 'JWT' })
      .setIssuer(legacyIssuer)
      .setIssuedAt(now)
      .setExpirationTime(now + 3000)
      .sign(legacyKey.privateKey);
  // 1,000 users log in over and over (registered once, then recognised): a steady state, not a registration storm.
  const tokens = await Promise.all(Array.from({ length: 1000 }, (_, i) => mint(`user-${i}`)));
  let tokenIndex = 0;
  const nextToken = () => tokens[tokenIndex++ % tokens.length]!;

  // --- the bridge's signing keys (configured, so the bench signs with the very same keys) ---------------------------
  const jwks: Record<SigningAlg, JWK> = {
    RS256: await generateSigningJwk('RS256'),
    ES256: await generateSigningJwk('ES256'),
    EdDSA: await generateSigningJwk('EdDSA'),
  };
  const privateKeys: Record<string, CryptoKey> = {};
  for (const [alg, jwk] of Object.entries(jwks)) privateKeys[alg] = (await importJWK(jwk, alg)) as CryptoKey;
  const client: BenchClient = { id: 'bench-app', secret: 'bench-app-secret-0123456789' };
  const es256Client: BenchClient = { id: 'bench-es256', secret: client.secret };
  const eddsaClient: BenchClient = { id: 'bench-eddsa', secret: client.secret };
  const clientEntry = (c: BenchClient, alg: SigningAlg) => ({
    clientId: c.id,
    clientSecret: c.secret,
    redirectUris: ['http://127.0.0.1:9/cb'],
    identityProviders: ['legacy'],
    idTokenSignedResponseAlg: alg,
    accessTokenSigningAlg: alg,
  });
  const clients = [clientEntry(client, 'RS256'), clientEntry(es256Client, 'ES256'), clientEntry(eddsaClient, 'EdDSA')];
  const signingKeys = { keys: [{ jwk: jwks.RS256 }, { jwk: jwks.ES256 }, { jwk: jwks.EdDSA }] };

  const bridgeOptions = (name: string, extra: Partial<Parameters<typeof startBridge>[0]> = {}) => ({
    dir,
    name,
    jwksUrl: `${jwksServer.url}/keys`,
    legacyIssuer,
    store: { type: 'memory' as const },
    clients,
    ...extra,
  });
  const start = async (name: string, extra: Partial<Parameters<typeof startBridge>[0]> = {}) => {
    const bridge = await startBridge({ ...bridgeOptions(name, extra), signing: signingKeys });
    procs.push(bridge);
    return bridge;
  };

  // --- baselines: raw crypto in one process -------------------------------------------------------------------------
  {
    log('crypto baselines (raw jose)…');
    const c = await measureCrypto({
      token: tokens[0]!,
      jwks: { keys: [legacyKey.publicJwk] },
      legacyIssuer,
      legacyAlg: 'ES256',
      signingKeys: privateKeys,
      inFlight: CONNECTIONS,
      ms: CRYPTO_MS,
    });
    result.baselines.verifySerial = c.verifySerial;
    result.baselines.verifyParallel = c.verifyParallel;
    for (const [alg, s] of Object.entries(c.sign)) {
      result.baselines[`sign${alg}Serial`] = s.serial;
      result.baselines[`sign${alg}Parallel`] = s.parallel;
    }
    // A login costs one verification and two signatures (ID token + access token): its serial bound.
    const bound = (alg: string) => 1 / (1 / c.verifySerial + 2 / c.sign[alg]!.serial);
    result.baselines.loginBoundRS256 = bound('RS256');
    result.baselines.tokenBoundRS256 = c.sign.RS256!.serial / 2;
    result.baselines.tokenBoundES256 = c.sign.ES256!.serial / 2;
    result.baselines.tokenBoundEdDSA = c.sign.EdDSA!.serial / 2;
  }

  let sampler: NodeJS.Timeout | undefined;
  const peakRss = (proc: Proc) => {
    let peak = proc.rss();
    sampler = setInterval(() => {
      peak = Math.max(peak, proc.rss());
    }, 200);
    return () => {
      clearInterval(sampler);
      return Math.max(peak, proc.rss());
    };
  };
  const run = async (name: string, fn: () => Promise<LoadResult>, proc?: Proc) => {
    const stopRss = proc ? peakRss(proc) : undefined;
    // CPU of the server and of this process (the load generator) over the run: cores in use, and server CPU per request.
    const serverCpu = proc?.cpuSeconds();
    const ownCpu = process.cpuUsage();
    const r = await fn();
    const rss = stopRss?.();
    const own = process.cpuUsage(ownCpu);
    const cpu = {
      loadCores: (own.user + own.system) / 1e6 / r.durationS,
      ...(proc && serverCpu !== undefined && { serverCores: (proc.cpuSeconds() - serverCpu) / r.durationS }),
    };
    const perRequestUs = cpu.serverCores !== undefined ? (cpu.serverCores * 1e6) / r.rate : undefined;
    result.runs[name] = {
      ...r,
      ...cpu,
      ...(perRequestUs !== undefined && { serverCpuUsPerRequest: perRequestUs }),
      ...(rss !== undefined && { rssPeak: rss }),
    };
    const cores = `server ${cpu.serverCores?.toFixed(2) ?? '?'} cores (${perRequestUs?.toFixed(0) ?? '?'} µs/req), load generator ${cpu.loadCores.toFixed(2)}`;
    log(`  ${name}: ${r.rate.toFixed(0)}/s p50 ${r.p50} ms p99 ${r.p99} ms, ${cores}${r.errors ? ` ERRORS ${r.errors}` : ''}`);
    return r;
  };

  // Pools: auth requests for the JWT endpoint, codes for /token (prepared by real flows before the measured run).
  const authRequestPool = async (url: string, size: number, c = client) => {
    const pool: string[] = [];
    await load({ url, connections: CONNECTIONS, amount: size, steps: [authorizeStep(c, (id) => pool.push(id))] });
    return pool;
  };
  const codePool = async (url: string, size: number, c = client) => {
    const pool: string[] = [];
    await load({
      url,
      connections: CONNECTIONS,
      amount: size * 3,
      steps: [authorizeStep(c), jwtStep((ctx) => ({ authRequestId: String(ctx.authRequestId), token: nextToken() })), callbackStep((code) => pool.push(code))],
    });
    return pool;
  };
  const poolJwtStep = (pool: string[]) =>
    jwtStep(() => {
      const id = pool.pop();
      return id ? { authRequestId: id, token: nextToken() } : undefined;
    });
  const jwtRun = (url: string, pool: string[]) => load({ url, connections: CONNECTIONS, amount: pool.length, steps: [poolJwtStep(pool)] });
  // Half the maximum rate, evenly paced (an open loop): what a p99 "at half its maximum rate" means.
  const jwtPacedRun = (url: string, pool: string[], rate: number) =>
    pacedLoad({ url, rate, connections: CONNECTIONS, amount: pool.length, step: poolJwtStep(pool) });
  const tokenRun = (url: string, pool: string[], c = client, path = '/token') =>
    load({ url, connections: CONNECTIONS, amount: pool.length, steps: [tokenStep(c, () => pool.pop(), path)] });
  const loginRun = async (name: string, proc: Proc & { url: string }) => {
    const samples = [new Samples(), new Samples(), new Samples(), new Samples()];
    const r = await run(
      name,
      () =>
        load({
          url: proc.url,
          connections: CONNECTIONS,
          duration: DURATION,
          stepSamples: samples,
          steps: [
            authorizeStep(client),
            jwtStep((ctx) => ({ authRequestId: String(ctx.authRequestId), token: nextToken() })),
            callbackStep(),
            tokenStep(client, (ctx) => (typeof ctx.code === 'string' ? ctx.code : undefined)),
          ],
        }),
      proc,
    );
    const steps = ['authorize', 'jwt', 'callback', 'token'];
    result.runs[name] = {
      ...result.runs[name]!,
      logins: r.rate / 4,
      steps: Object.fromEntries(steps.map((s, i) => [s, { p50: samples[i]!.percentile(50), p99: samples[i]!.percentile(99) }])),
    };
    return r.rate / 4;
  };

  // --- floor: a bare Hono handler on @hono/node-server -------------------------------------------------------------
  if (want('hono') || want('jwt')) {
    log('bare Hono…');
    const hono = await startPeer('bench/peer/bare-hono.ts');
    procs.push(hono);
    await run('hono', () => load({ url: hono.url, connections: CONNECTIONS, duration: DURATION, steps: [{ path: '/' }] }), hono);
    await hono.stop();
  }

  // --- the bridge, memory store ------------------------------------------------------------------------------------
  if (want('jwt') || want('token') || want('login') || want('algs') || want('peer') || want('memory')) {
    log('bridge (memory store)…');
    // An installed bridge starts with Node's compile cache filled by its first start (docs/operators.md "Memory"):
    // one start and stop here, so that a clean clone measures that bridge and not a first start.
    await (await start('first-start')).stop();
    const bridge = await start('memory', cpuProfDir ? { cpuProfDir } : {});
    await load({ url: bridge.url, connections: 1, amount: 3, steps: [authorizeStep(client)] }); // warm-up
    await codePool(bridge.url, 50); // warms the key cache and the user records
    result.memory.rssIdleMemory = bridge.rss();
    if (want('jwt')) {
      const pool = await authRequestPool(bridge.url, POOL);
      const jwt = await run('jwt', () => jwtRun(bridge.url, pool), bridge);
      const half = await authRequestPool(bridge.url, Math.round(POOL / 2));
      await run('jwtHalfRate', () => jwtPacedRun(bridge.url, half, jwt.rate / 2), bridge);
    }
    if (want('token') || want('peer')) {
      const pool = await codePool(bridge.url, POOL);
      log(`  ${pool.length} codes`);
      await run('token', () => tokenRun(bridge.url, pool), bridge);
    }
    if (want('algs')) {
      for (const [name, c] of [
        ['tokenES256', es256Client],
        ['tokenEdDSA', eddsaClient],
      ] as const) {
        const pool = await codePool(bridge.url, POOL, c);
        await run(name, () => tokenRun(bridge.url, pool, c), bridge);
      }
    }
    if (want('login')) await loginRun('login', bridge);
    result.memory.rssLoadMemory = Math.max(...Object.values(result.runs).map((r) => (r as { rssPeak?: number }).rssPeak ?? 0));
    await bridge.stop();
  }

  // --- ZITADEL-style: no key cache, a Keys Endpoint fetch per login -------------------------------------------------
  if (want('zitadel')) {
    log('bridge without key cache (ZITADEL-style)…');
    const bridge = await start('nocache', { noKeyCache: true });
    await codePool(bridge.url, 20);
    const before = Number(await (await fetch(`${jwksServer.url}/count`)).text());
    const pool = await authRequestPool(bridge.url, Math.round(POOL / 2));
    await run('jwtNoKeyCache', () => jwtRun(bridge.url, pool), bridge);
    const fetches = Number(await (await fetch(`${jwksServer.url}/count`)).text()) - before;
    result.notes.push(
      `ZITADEL-style run: ${fetches} Keys Endpoint fetches for ${Math.round(POOL / 2)} JWT-endpoint requests (concurrent requests share one in-flight fetch).`,
    );
    await bridge.stop();
  }

  // --- peer: node-oidc-provider, the same code redemption ----------------------------------------------------------
  if (want('peer')) {
    log('node-oidc-provider…');
    const { freePort } = await import('../test/helpers/ports.ts');
    const port = await freePort();
    const peer = await startPeer('bench/peer/oidc-provider.ts', {
      BENCH_PORT: String(port),
      BENCH_ISSUER: `http://127.0.0.1:${port}`,
      BENCH_JWK: JSON.stringify({ ...jwks.RS256, use: 'sig' }),
      BENCH_CLIENT: JSON.stringify({ id: client.id, secret: client.secret, redirectUri: 'http://127.0.0.1:9/cb' }),
      NODE_ENV: 'production',
    });
    procs.push(peer);
    const pool: string[] = [];
    await load({ url: peer.url, connections: CONNECTIONS, amount: POOL * 3, steps: peerCodeSteps(client, (code) => pool.push(code)) });
    if (pool.length < POOL / 2) throw new Error(`node-oidc-provider gave only ${pool.length} codes`);
    await run('peerToken', () => tokenRun(peer.url, pool), peer);
    await peer.stop();
  }

  // --- Redis: one worker, two workers --------------------------------------------------------------------------------
  const redisBridge = async (name: string, workers = 1) => {
    const keyPrefix = `bench:${crypto.randomUUID()}:`;
    prefixes.push(keyPrefix);
    const bridge = await start(name, { store: { type: 'redis', url: REDIS_URL, keyPrefix }, workers });
    await codePool(bridge.url, 50);
    return { bridge, keyPrefix };
  };
  if (want('redis')) {
    log('bridge (Redis)…');
    const { bridge } = await redisBridge('redis');
    const pool = await authRequestPool(bridge.url, POOL);
    await run('jwtRedis', () => jwtRun(bridge.url, pool), bridge);
    await loginRun('loginRedis', bridge);
    await bridge.stop();
  }
  if (want('workers')) {
    log('bridge (Redis, 2 workers)…');
    const { bridge } = await redisBridge('redis-2w', 2);
    await loginRun('loginRedis2Workers', bridge);
    result.memory.rssLoad2Workers = (result.runs.loginRedis2Workers as { rssPeak?: number }).rssPeak;
    await bridge.stop();
  }

  // --- Redis bytes: per registered user (the bridge's own user directory), per pending login ------------------------
  if (want('memory')) {
    log(`Redis bytes: ${USERS} users, ~1,000 pending logins…`);
    const keyPrefix = `bench:${crypto.randomUUID()}:`;
    prefixes.push(keyPrefix);
    const store = createRedisStore({ url: REDIS_URL, keyPrefix, logger: silentLogger });
    const users = createUserDirectory({ store, clock: { now: () => Date.now() }, logger: silentLogger });
    for (let i = 0; i < USERS; i += 100) {
      await Promise.all(
        Array.from({ length: 100 }, (_, j) =>
          users.resolve({
            idp: 'legacy',
            sub: `user-${i + j}`,
            profile: { email: `user-${i + j}@example.com`, email_verified: true, name: `User ${i + j}`, groups: ['staff'] },
            autoRegister: true,
            autoUpdate: true,
            log: silentLogger,
          }),
        ),
      );
    }
    await store.close();
    const userKinds = await redisBytesByKind(REDIS_URL, keyPrefix);
    const userBytes = Object.values(userKinds).reduce((sum, k) => sum + k.bytes, 0);
    result.memory.redisBytesPerUser = userBytes / USERS;
    result.memory.redisUserKinds = userKinds;
    await deletePrefix(REDIS_URL, keyPrefix);

    // Pending logins: /authorize stores nothing (sealed); /login/jwt stores the authenticated request until the callback.
    const { bridge, keyPrefix: prefix2 } = await redisBridge('redis-pending');
    await deletePrefix(REDIS_URL, prefix2);
    await codePool(bridge.url, 1); // one user, one code: the baseline keys
    const base = await redisBytesByKind(REDIS_URL, prefix2);
    let pending = 0;
    await load({
      url: bridge.url,
      connections: CONNECTIONS,
      amount: 2000,
      steps: [
        authorizeStep(client),
        {
          ...jwtStep((ctx) => ({ authRequestId: String(ctx.authRequestId), token: tokens[0]! })),
          onResponse: (status) => status === 302 && ++pending > 0,
        },
      ],
    });
    const after = await redisBytesByKind(REDIS_URL, prefix2);
    const sum = (k: Record<string, { bytes: number }>) => Object.values(k).reduce((s, v) => s + v.bytes, 0);
    result.memory.redisBytesPerPendingLogin = (sum(after) - sum(base)) / pending;
    result.memory.redisPendingKinds = after;
    await bridge.stop();
  }

  // --- the machine's drift: raw verification again, at the end (other processes share the cores) -----------------
  {
    const again = await measureCrypto({
      token: tokens[0]!,
      jwks: { keys: [legacyKey.publicJwk] },
      legacyIssuer,
      legacyAlg: 'ES256',
      signingKeys: { RS256: privateKeys.RS256! },
      inFlight: CONNECTIONS,
      ms: CRYPTO_MS,
    });
    result.baselines.verifySerialAtEnd = again.verifySerial;
    result.baselines.signRS256SerialAtEnd = again.sign.RS256!.serial;
  }

  // --- ratios --------------------------------------------------------------------------------------------------------
  const b = result.baselines;
  const r = result.runs as Record<string, { rate: number; p50: number; p99: number; logins?: number }>;
  const ratio = (name: string, value: number | undefined, baseline: number | undefined, baselineName: string, target?: string) =>
    value !== undefined &&
    baseline !== undefined &&
    result.ratios.push({ name, ratio: value / baseline, value, baseline, baselineName, ...(target && { target }) });
  // How much the machine changed during the run: far from 1, sections measured minutes apart are not comparable.
  ratio('machine drift: raw verify at the end ÷ at the start', b.verifySerialAtEnd, b.verifySerial, 'raw verify at the start', '≈ 1');
  ratio('machine drift: raw RS256 sign at the end ÷ at the start', b.signRS256SerialAtEnd, b.signRS256Serial, 'raw RS256 sign at the start', '≈ 1');
  ratio('JWT endpoint req/s ÷ raw verify, 1 in flight', r.jwt?.rate, b.verifySerial, 'jose jwtVerify, serial', '≥ 0.5');
  ratio(`JWT endpoint req/s ÷ raw verify, ${CONNECTIONS} in flight`, r.jwt?.rate, b.verifyParallel, `jose jwtVerify, ${CONNECTIONS} in flight`);
  ratio('JWT endpoint req/s ÷ bare Hono', r.jwt?.rate, r.hono?.rate, 'bare Hono handler');
  ratio('JWT endpoint p50 ÷ bare Hono p50', r.jwt?.p50, r.hono?.p50, 'bare Hono p50 (ms)');
  ratio('JWT endpoint p99 ÷ bare Hono p99', r.jwt?.p99, r.hono?.p99, 'bare Hono p99 (ms)');
  ratio('JWT endpoint p99 at half its max rate ÷ 10 ms', r.jwtHalfRate?.p99, 10, '10 ms', '< 1');
  ratio('JWT endpoint, no key cache (ZITADEL-style) ÷ cached', r.jwtNoKeyCache?.rate, r.jwt?.rate, 'JWT endpoint, cached keys');
  ratio('JWT endpoint, Redis ÷ memory', r.jwtRedis?.rate, r.jwt?.rate, 'JWT endpoint, memory store');
  ratio('token endpoint req/s ÷ raw RS256 signing (2 per response)', r.token?.rate, b.tokenBoundRS256, 'RS256 sign serial ÷ 2');
  ratio('token endpoint ÷ node-oidc-provider (same redemption)', r.token?.rate, r.peerToken?.rate, 'node-oidc-provider /token', '≥ 1.5');
  ratio('token endpoint p99 ÷ node-oidc-provider p99', r.token?.p99, r.peerToken?.p99, 'node-oidc-provider p99 (ms)');
  ratio('token endpoint ES256 ÷ RS256', r.tokenES256?.rate, r.token?.rate, 'token endpoint RS256');
  ratio('token endpoint EdDSA ÷ RS256', r.tokenEdDSA?.rate, r.token?.rate, 'token endpoint RS256');
  ratio('token endpoint ES256 ÷ raw ES256 signing (2 per response)', r.tokenES256?.rate, b.tokenBoundES256, 'ES256 sign serial ÷ 2');
  ratio('token endpoint EdDSA ÷ raw EdDSA signing (2 per response)', r.tokenEdDSA?.rate, b.tokenBoundEdDSA, 'EdDSA sign serial ÷ 2');
  ratio('full login logins/s ÷ serial crypto bound, memory', r.login?.logins, b.loginBoundRS256, '1 verify + 2 RS256 signs, serial', '≥ 0.6');
  ratio('full login logins/s ÷ serial crypto bound, Redis', r.loginRedis?.logins, b.loginBoundRS256, '1 verify + 2 RS256 signs, serial', '≥ 0.5');
  ratio('full login, Redis, 2 workers ÷ 1 worker', r.loginRedis2Workers?.logins, r.loginRedis?.logins, 'Redis, 1 worker', '≥ 1.6');
  ratio('RSS under load ÷ 150 MB', result.memory.rssLoadMemory as number | undefined, 150e6, '150 MB', '≤ 1');
  ratio('RSS idle ÷ 150 MB', result.memory.rssIdleMemory as number | undefined, 150e6, '150 MB');
  ratio('Redis bytes per registered user ÷ 1 KiB', result.memory.redisBytesPerUser as number | undefined, 1024, '1 KiB', '≤ 1');
  ratio('Redis bytes per pending login ÷ 1 KiB', result.memory.redisBytesPerPendingLogin as number | undefined, 1024, '1 KiB');

  const stamp = result.date.replace(/[:.]/g, '-');
  const outDir = join(import.meta.dirname, 'results');
  await mkdir(outDir, { recursive: true });
  const markdown = renderMarkdown(result);
  await writeFile(join(outDir, `${stamp}.json`), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, `${stamp}.md`), markdown);
  await writeFile(join(outDir, 'latest.json'), `${JSON.stringify(result, null, 2)}\n`);
  await writeFile(join(outDir, 'latest.md'), markdown);
  process.stdout.write(markdown);
  log(`\nwritten: bench/results/${stamp}.json and .md (also latest.json, latest.md)`);
} finally {
  await cleanup();
}
