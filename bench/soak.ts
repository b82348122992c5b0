/**
 * `npm run soak [-- --duration 5m --rate 40 --warmup 60s --users 500 --redis redis://127.0.0.1:6379]`: a bounded soak of a real bridge
 * (`jwt-idp-bridge serve` in a child process) on a real Redis. Mixed traffic — first and repeat logins, refreshes,
 * userinfo, introspection, bad tokens, and device-code polls (a public device client; pending answers) — at a fixed arrival rate for the given time. Reports errors by kind,
 * latency percentiles per kind, the child's RSS at start (after warm-up), middle and end, and Redis memory per user
 * per pending login and per pending device authorization (MEMORY USAGE). Exits 1 on any 5xx or when RSS grew more than 20 % after warm-up.
 *
 * The soak plays the WAF itself: it sends the legacy session JWT in the legacy header straight to /login/jwt.
 */
import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { startLegacyIssuer } from '../test/helpers/legacy-issuer.ts';
import { freePort } from '../test/helpers/ports.ts';

const { values } = parseArgs({
  options: {
    duration: { type: 'string', default: '5m' },
    rate: { type: 'string', default: '40' },
    redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
    users: { type: 'string', default: '500' },
    /** Time before RSS is measured (default: a fifth of the duration, at most 60 s): V8 sizes its heap up first. */
    warmup: { type: 'string' },
  },
});

/** "90", "90s", "5m" → milliseconds. */
function duration(text: string): number {
  const match = /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(text);
  if (!match) throw new Error(`--duration: expected e.g. 90s or 5m, got ${text}`);
  return Number(match[1]) * ({ ms: 1, s: 1_000, m: 60_000 } as const)[(match[2] ?? 's') as 'ms' | 's' | 'm'];
}
const durationMs = duration(values.duration);
const rate = Number(values.rate);
const userPool = Number(values.users);
if (!(rate > 0 && rate <= 2_000)) throw new Error('--rate: requests per second, 1..2000');
const warmupMs = values.warmup === undefined ? Math.min(60_000, durationMs * 0.2) : duration(values.warmup);
if (!(warmupMs < durationMs)) throw new Error('--warmup must be shorter than --duration');

// ---------------------------------------------------------------------------------------------------------------
// The bridge under test

const CLIENT = { id: 'soak-app', secret: 'soak-app-secret-0123456789', redirectUri: 'http://127.0.0.1:9/callback' };
const BASIC = `Basic ${Buffer.from(`${CLIENT.id}:${CLIENT.secret}`).toString('base64')}`;
const HEADER = 'x-custom-tkn';
/** A public device client (RFC 8628): its starts are limited per minute, its polls answered authorization_pending. */
const DEVICE_CLIENT = 'soak-cli';
const DEVICE_GRANT = 'urn:ietf:params:oauth:grant-type:device_code';

const legacy = await startLegacyIssuer({ alg: 'ES256', ttlSeconds: 3_600 });
const port = await freePort();
const issuer = `http://127.0.0.1:${port}`;
const keyPrefix = `soak:${randomBytes(6).toString('hex')}:`;
const dir = mkdtempSync(join(tmpdir(), 'jib-soak-'));
const configFile = join(dir, 'bridge.json');
writeFileSync(
  configFile,
  JSON.stringify({
    issuer,
    server: { host: '127.0.0.1', port },
    store: { type: 'redis', url: values.redis, keyPrefix },
    logging: { level: 'warn' },
    identityProviders: [
      {
        id: 'legacy',
        issuer: legacy.url,
        keysEndpoint: legacy.jwksUrl,
        jwtEndpoint: `${issuer}/login/jwt`,
        headerName: HEADER,
        allowAnyAudience: true,
        trustedProxy: 'none',
      },
    ],
    clients: [
      {
        clientId: CLIENT.id,
        clientSecret: CLIENT.secret,
        redirectUris: [CLIENT.redirectUri],
        identityProviders: ['legacy'],
        grantTypes: ['authorization_code', 'refresh_token'],
      },
      { clientId: DEVICE_CLIENT, identityProviders: ['legacy'], grantTypes: [DEVICE_GRANT] },
    ],
  }),
);

const child = spawn(process.execPath, [join(import.meta.dirname, '..', 'bin', 'jwt-idp-bridge.js'), 'serve', '--config', configFile], {
  stdio: ['ignore', 'pipe', 'pipe'],
});
let childOutput = '';
child.stdout.on('data', (chunk: Buffer) => void (childOutput = (childOutput + chunk.toString()).slice(-20_000)));
child.stderr.on('data', (chunk: Buffer) => void (childOutput = (childOutput + chunk.toString()).slice(-20_000)));
const childExit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

async function untilReady(): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`the bridge exited during start-up:\n${childOutput}`);
    try {
      if ((await fetch(`${issuer}/readyz`)).ok) return;
    } catch {} // not listening yet
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`the bridge was not ready within 20 s:\n${childOutput}`);
}

/** The child's resident set size in MiB (Linux /proc). */
function rssMiB(): number {
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

// ---------------------------------------------------------------------------------------------------------------
// Traffic

type Kind = 'login' | 'refresh' | 'userinfo' | 'introspect' | 'bad_token' | 'device_poll';
const stats = new Map<Kind, { latencies: number[]; ok: number }>();
const errors = new Map<string, number>();
let serverErrors = 0;

function record(kind: Kind, startedAt: number, outcome: string | null): void {
  const entry = stats.get(kind) ?? { latencies: [], ok: 0 };
  stats.set(kind, entry);
  entry.latencies.push(performance.now() - startedAt);
  if (outcome === null) entry.ok++;
  else errors.set(`${kind}: ${outcome}`, (errors.get(`${kind}: ${outcome}`) ?? 0) + 1);
}

/** What a response says, for the error table: status and OAuth error code; 5xx are counted apart. */
async function describe(response: Response): Promise<string> {
  if (response.status >= 500) serverErrors++;
  const text = await response.text();
  let error = '';
  try {
    error = String((JSON.parse(text) as { error?: unknown }).error ?? '');
  } catch {}
  return `${response.status}${error ? ` ${error}` : ''}`;
}

const b64url = (bytes: Buffer) => bytes.toString('base64url');
const sessions: { accessToken: string; refreshToken: string }[] = [];

/** A whole login: /authorize → /login/jwt (as the WAF) → callback → /token, with PKCE. */
async function login(sub = `soak-user-${Math.floor(Math.random() * userPool)}`): Promise<string | null> {
  const verifier = b64url(randomBytes(32));
  const challenge = b64url(createHash('sha256').update(verifier).digest());
  const query = new URLSearchParams({
    client_id: CLIENT.id,
    redirect_uri: CLIENT.redirectUri,
    response_type: 'code',
    scope: 'openid profile email offline_access',
    state: b64url(randomBytes(12)),
    nonce: b64url(randomBytes(12)),
    code_challenge: challenge,
    code_challenge_method: 'S256',
  });
  const authorize = await fetch(`${issuer}/authorize?${query}`, { redirect: 'manual' });
  if (authorize.status !== 302) return `authorize ${await describe(authorize)}`;
  const cookie = (authorize.headers.get('set-cookie') ?? '').split(';')[0]!;
  const jwt = await fetch(authorize.headers.get('location')!, {
    redirect: 'manual',
    headers: { [HEADER]: await legacy.mint({ sub, email: `${sub}@example.com` }) },
  });
  if (jwt.status !== 302) return `jwt-endpoint ${await describe(jwt)}`;
  const callback = await fetch(new URL(jwt.headers.get('location')!, issuer), { redirect: 'manual', headers: { cookie } });
  const code = callback.status === 302 ? new URL(callback.headers.get('location')!).searchParams.get('code') : null;
  if (!code)
    return `callback ${callback.status === 302 ? `302 ${new URL(callback.headers.get('location')!).searchParams.get('error')}` : await describe(callback)}`;
  const token = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'authorization_code', code, redirect_uri: CLIENT.redirectUri, code_verifier: verifier }),
  });
  if (token.status !== 200) return `token ${await describe(token)}`;
  const body = (await token.json()) as { access_token: string; refresh_token: string };
  sessions.push({ accessToken: body.access_token, refreshToken: body.refresh_token });
  if (sessions.length > 200) sessions.shift(); // a bounded working set of signed-in apps
  return null;
}

const pick = () => sessions[Math.floor(Math.random() * sessions.length)];

async function refresh(): Promise<string | null> {
  const session = sessions.pop(); // taken out while in use: one rotation at a time per token, as a real app does
  if (!session) return login();
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: 'refresh_token', refresh_token: session.refreshToken }),
  });
  if (response.status !== 200) return await describe(response);
  const body = (await response.json()) as { access_token: string; refresh_token: string };
  sessions.push({ accessToken: body.access_token, refreshToken: body.refresh_token });
  return null;
}

async function userinfo(): Promise<string | null> {
  const session = pick();
  if (!session) return login();
  const response = await fetch(`${issuer}/userinfo`, { headers: { authorization: `Bearer ${session.accessToken}` } });
  return response.status === 200 ? (await response.body?.cancel(), null) : await describe(response);
}

async function introspect(): Promise<string | null> {
  const session = pick();
  if (!session) return login();
  const response = await fetch(`${issuer}/introspect`, {
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token: session.accessToken }),
  });
  if (response.status !== 200) return await describe(response);
  return ((await response.json()) as { active?: boolean }).active ? null : 'inactive token';
}

/** Garbage where a token belongs: each must be refused with a 4xx OAuth error, never a 5xx. */
async function badToken(): Promise<string | null> {
  const garbage = [b64url(randomBytes(24)), `${b64url(randomBytes(16))}.${b64url(randomBytes(32))}`, 'eyJhbGciOiJub25lIn0.e30.', ''][
    Math.floor(Math.random() * 4)
  ]!;
  const form = (body: Record<string, string>) => ({
    method: 'POST',
    headers: { authorization: BASIC, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams(body),
  });
  const requests: [string, RequestInit][] = [
    [`${issuer}/userinfo`, { headers: { authorization: `Bearer ${garbage}` } }],
    [`${issuer}/token`, form({ grant_type: 'refresh_token', refresh_token: garbage })],
    [`${issuer}/token`, form({ grant_type: 'authorization_code', code: garbage, redirect_uri: CLIENT.redirectUri, code_verifier: 'x'.repeat(43) })],
    [`${issuer}/login/jwt?authRequestID=${garbage}`, { headers: { [HEADER]: garbage }, redirect: 'manual' }],
  ];
  const [url, init] = requests[Math.floor(Math.random() * requests.length)]!;
  const response = await fetch(url, init);
  if (response.status >= 400 && response.status < 500) return (await response.body?.cancel(), null);
  return `${new URL(url).pathname} ${await describe(response)}`;
}

/**
 * Device authorizations nobody approves, polled as a CLI would: each code at its interval (slow_down adds 5 s). A new
 * one is started only when no code is due and the client's start limit (60 a minute by default) leaves room; polls
 * that find nothing due go to a random code anyway and hear slow_down. Pending and slow_down answers are the
 * expected ones (ok); the pool stays small (about polls per second × interval), each code expiring after 10 min.
 */
const devices: { code: string; nextPollAt: number; intervalMs: number; expiresAt: number }[] = [];
const deviceStarts: number[] = [];
const DEVICE_STARTS_PER_MINUTE = 50;

async function startDevice(): Promise<string | null> {
  const response = await fetch(`${issuer}/device_authorization`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ client_id: DEVICE_CLIENT, scope: 'openid profile' }),
  });
  if (response.status !== 200) return `device_authorization ${await describe(response)}`;
  const body = (await response.json()) as { device_code: string; interval: number; expires_in: number };
  devices.push({
    code: body.device_code,
    intervalMs: body.interval * 1000,
    nextPollAt: Date.now() + body.interval * 1000,
    expiresAt: Date.now() + body.expires_in * 1000,
  });
  return null;
}

async function devicePoll(): Promise<string | null> {
  const now = Date.now();
  for (let i = devices.length - 1; i >= 0; i--) if (devices[i]!.expiresAt <= now + 5_000) devices.splice(i, 1);
  while (deviceStarts.length && deviceStarts[0]! <= now - 60_000) deviceStarts.shift();
  let device = devices.find((d) => d.nextPollAt <= now);
  if (!device && deviceStarts.length < DEVICE_STARTS_PER_MINUTE) {
    deviceStarts.push(now);
    return startDevice();
  }
  device ??= devices[Math.floor(Math.random() * devices.length)];
  if (!device) return startDevice();
  device.nextPollAt = now + device.intervalMs;
  const response = await fetch(`${issuer}/token`, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ grant_type: DEVICE_GRANT, device_code: device.code, client_id: DEVICE_CLIENT }),
  });
  const text = await response.text();
  const error = response.status === 400 ? (JSON.parse(text) as { error?: string }).error : undefined;
  if (error === 'authorization_pending') return null;
  if (error === 'slow_down') {
    device.intervalMs += 5_000;
    device.nextPollAt = now + device.intervalMs;
    return null;
  }
  if (response.status >= 500) serverErrors++;
  return `token ${response.status}${error ? ` ${error}` : ''}`;
}

const MIX: [Kind, number, () => Promise<string | null>][] = [
  ['login', 0.2, login],
  ['refresh', 0.2, refresh],
  ['userinfo', 0.2, userinfo],
  ['introspect', 0.15, introspect],
  ['bad_token', 0.15, badToken],
  ['device_poll', 0.1, devicePoll],
];
function chooseKind(): [Kind, () => Promise<string | null>] {
  let r = Math.random();
  for (const [kind, share, run] of MIX) {
    if ((r -= share) < 0) return [kind, run];
  }
  return [MIX[0]![0], MIX[0]![2]];
}

// ---------------------------------------------------------------------------------------------------------------
// Redis sizing: MEMORY USAGE of the keys one action adds (traffic stopped, so the difference is that action's)

async function keysOf(redis: Redis): Promise<Set<string>> {
  const keys = new Set<string>();
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${keyPrefix}*`, 'COUNT', 1_000);
    for (const key of found) keys.add(key);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** The keys one action adds and their MEMORY USAGE in bytes, by kind (the key's first segment: user, link, ar, …). */
async function bytesAdded(redis: Redis, action: () => Promise<unknown>): Promise<Map<string, number>> {
  const before = await keysOf(redis);
  await action();
  const byKind = new Map<string, number>();
  for (const key of await keysOf(redis)) {
    if (before.has(key)) continue;
    const kind = key.slice(keyPrefix.length).split(':')[0]!;
    byKind.set(kind, (byKind.get(kind) ?? 0) + Number((await redis.call('MEMORY', 'USAGE', key, 'SAMPLES', '0')) ?? 0));
  }
  return byKind;
}

/** A login stopped before its callback: /authorize, then the JWT endpoint; the callback never comes. */
async function pendingLogin(): Promise<void> {
  const query = new URLSearchParams({ client_id: CLIENT.id, redirect_uri: CLIENT.redirectUri, response_type: 'code', scope: 'openid' });
  query.set('code_challenge', b64url(createHash('sha256').update('v'.repeat(43)).digest()));
  query.set('code_challenge_method', 'S256');
  const authorize = await fetch(`${issuer}/authorize?${query}`, { redirect: 'manual' });
  const jwt = await fetch(authorize.headers.get('location')!, { redirect: 'manual', headers: { [HEADER]: await legacy.mint({ sub: 'soak-pending' }) } });
  await jwt.body?.cancel();
}

const sum = (byKind: Map<string, number>, kinds?: string[]) =>
  [...byKind].filter(([kind]) => !kinds || kinds.includes(kind)).reduce((total, [, bytes]) => total + bytes, 0);
const detail = (byKind: Map<string, number>) => [...byKind].map(([kind, bytes]) => `${kind} ${bytes}`).join(', ');

// ---------------------------------------------------------------------------------------------------------------

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;
const redis = new Redis(values.redis);
let exitCode = 0;
try {
  await untilReady();
  console.log(
    `soak: ${durationMs / 1000} s at ${rate} req/s against ${issuer} (bridge pid ${child.pid}), Redis prefix ${keyPrefix}, warm-up ${warmupMs / 1000} s`,
  );
  // RSS sampled every second after warm-up; start, middle and end are the medians of the first, middle and last
  // tenth of the samples, so one GC cycle caught at the wrong moment does not decide the verdict.
  const samples: number[] = [];
  let nextSample = 0;
  const startedAt = Date.now();
  const inFlight = new Set<Promise<void>>();
  let sent = 0;
  let dropped = 0;
  // Open loop: one arrival every 1/rate s, whatever the latency (capped so a stalled bridge cannot exhaust the soak).
  while (Date.now() - startedAt < durationMs) {
    const elapsed = Date.now() - startedAt;
    if (elapsed >= warmupMs && elapsed >= nextSample) {
      samples.push(rssMiB());
      nextSample = elapsed + 1_000;
    }
    const due = Math.floor((elapsed / 1000) * rate);
    while (sent < due) {
      sent++;
      if (inFlight.size >= 256) {
        dropped++;
        continue;
      }
      const [kind, run] = chooseKind();
      const t0 = performance.now();
      const task = run()
        .then((outcome) => record(kind, t0, outcome))
        .catch((error: unknown) => record(kind, t0, `exception ${(error as Error).message}`))
        .finally(() => inFlight.delete(task));
      inFlight.add(task);
    }
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  await Promise.all(inFlight);
  const window = Math.max(1, Math.floor(samples.length / 10));
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const middleAt = Math.max(0, Math.floor(samples.length / 2 - window / 2));
  const rss = [
    { at: 'start (after warm-up)', mib: median(samples.slice(0, window)) },
    { at: 'middle', mib: median(samples.slice(middleAt, middleAt + window)) },
    { at: 'end', mib: median(samples.slice(-window)) },
    { at: 'max', mib: Math.max(...samples) },
  ];

  // A brand-new person (user record and (idp, sub) link), then what each sign-in adds (auth request, code, grant…).
  const firstLogin = await bytesAdded(redis, () => login(`soak-sizing-${randomBytes(4).toString('hex')}`));
  const afterAuthorize = await bytesAdded(redis, () =>
    fetch(`${issuer}/authorize?${new URLSearchParams({ client_id: CLIENT.id, redirect_uri: CLIENT.redirectUri, response_type: 'code', scope: 'openid' })}`, {
      redirect: 'manual',
    }),
  );
  const pending = await bytesAdded(redis, pendingLogin);
  const pendingDevice = await bytesAdded(redis, startDevice);
  const users = [...(await keysOf(redis))].filter((key) => key.startsWith(`${keyPrefix}user:`)).length;
  const info = await redis.info('memory');

  console.log('\nrequests by kind (latency in ms)');
  console.table(
    [...stats].map(([kind, { latencies, ok }]) => {
      const sorted = [...latencies].sort((a, b) => a - b);
      return {
        kind,
        count: latencies.length,
        ok,
        p50: percentile(sorted, 50).toFixed(1),
        p90: percentile(sorted, 90).toFixed(1),
        p99: percentile(sorted, 99).toFixed(1),
        max: (sorted.at(-1) ?? 0).toFixed(1),
      };
    }),
  );
  console.log(`sent ${sent}, dropped at the 256 in-flight cap ${dropped}, 5xx ${serverErrors}`);
  console.log('\nerrors by kind');
  if (errors.size === 0) console.log('  none');
  else console.table([...errors].map(([kind, count]) => ({ kind, count })));
  console.log('\nbridge RSS');
  console.table(rss.map((r) => ({ at: r.at, MiB: r.mib.toFixed(1) })));
  console.log(`samples (MiB, 1/s): ${samples.map((mib) => mib.toFixed(0)).join(' ')}`);
  console.log('\nRedis memory (MEMORY USAGE)');
  console.table([
    {
      what: 'per user (durable: user record + (idp, sub) link)',
      bytes: sum(firstLogin, ['user', 'link']),
      keys: detail(new Map([...firstLogin].filter(([k]) => k === 'user' || k === 'link'))),
    },
    {
      what: 'per sign-in (auth request, code, session, refresh family)',
      bytes: sum(firstLogin) - sum(firstLogin, ['user', 'link']),
      keys: detail(new Map([...firstLogin].filter(([k]) => k !== 'user' && k !== 'link'))),
    },
    { what: 'per unanswered /authorize', bytes: sum(afterAuthorize), keys: detail(afterAuthorize) || 'none (sealed in the browser cookie)' },
    { what: 'per pending login (JWT endpoint done, no callback)', bytes: sum(pending), keys: detail(pending) },
    // With the start-limit counter of the minute's first start; the counter is one key per client and minute.
    { what: 'per pending device authorization', bytes: sum(pendingDevice, ['device', 'device-user-code']), keys: detail(pendingDevice) },
  ]);
  console.log(`users in the store: ${users}; Redis used_memory: ${/used_memory_human:(\S+)/.exec(info)?.[1]}`);

  const growth = rss[0]!.mib > 0 ? (rss[2]!.mib - rss[0]!.mib) / rss[0]!.mib : 0;
  console.log(`\nRSS growth after warm-up: ${(growth * 100).toFixed(1)} % (limit 20 %)`);
  if (serverErrors > 0) {
    console.log(`FAIL: ${serverErrors} responses ≥ 500`);
    exitCode = 1;
  }
  if (growth > 0.2) {
    console.log('FAIL: RSS grew more than 20 % after warm-up');
    exitCode = 1;
  }
  if (exitCode === 0) console.log('PASS');
} catch (error) {
  console.error(error);
  exitCode = 1;
} finally {
  child.kill('SIGTERM');
  await childExit;
  const keys = await keysOf(redis).catch(() => new Set<string>());
  for (const key of keys) await redis.del(key);
  redis.disconnect();
  await legacy.close();
  rmSync(dir, { recursive: true, force: true });
}
process.exit(exitCode);
