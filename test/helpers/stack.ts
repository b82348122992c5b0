import type { Clock } from '../../src/clock.ts';
import { validateConfig } from '../../src/config/parse.ts';
import type { Config } from '../../src/config/schema.ts';
import { createUserDirectory } from '../../src/identity/user-directory.ts';
import type { UserDirectory } from '../../src/identity/user.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { createLogger } from '../../src/observability/create-logger.ts';
import { createPinoLogger } from '../../src/observability/pino.ts';
import { SESSION_COOKIE } from '../../src/runtime/demo/legacy-app.ts';
import { startNodeServer, type RunningServer } from '../../src/runtime/node.ts';
import type { Store } from '../../src/storage/port.ts';
import type { RedisConnectionConfig } from '../../src/storage/redis-client.ts';
import { createRedisStore } from '../../src/storage/redis.ts';
import { Browser } from './browser.ts';
import { startLegacyIssuer, type LegacyIssuer } from './legacy-issuer.ts';
import { REDIS_URL, testRedisConnection } from './redis-target.ts';
import { freePort } from './ports.ts';
import { type RecordingProxy, startRecordingProxy } from './recording-proxy.ts';
import { startWafProxy, type WafProxy } from './waf-proxy.ts';

export { REDIS_URL };
export const APP_CALLBACK = 'http://localhost:7001/callback';
export const WEB_APP = { clientId: 'web-app', clientSecret: 'web-app-secret-0123456789', redirectUri: APP_CALLBACK };
export const SPA = { clientId: 'spa', redirectUri: 'http://localhost:7002/callback' };
/** The header the WAF puts the legacy session JWT in, and the WAF's session cookie (the demo's too). */
export const LEGACY_HEADER = 'x-custom-tkn';
export { SESSION_COOKIE };

/**
 * The pieces every end-to-end setup shares, whatever runs the bridge (Node here, a Worker in test/workers/login.test.ts)
 * and whatever fronts it (the WAF stand-in here, a real nginx in test/waf/nginx.test.ts).
 */

/** An IdP entry (config document) trusting the fake legacy issuer, its JWT endpoint behind the WAF at `jwtEndpoint`. */
export function legacyIdpEntry(
  legacy: Pick<LegacyIssuer, 'url' | 'jwksUrl'>,
  jwtEndpoint: string,
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  // Test tokens carry no aud by default, and most tests need no WAF proof: the fail-closed keys (#9.3) are explicit.
  const audience = 'audiences' in overrides || 'allowAnyAudience' in overrides ? {} : { allowAnyAudience: true };
  return {
    id: 'legacy',
    issuer: legacy.url,
    keysEndpoint: legacy.jwksUrl,
    jwtEndpoint,
    headerName: LEGACY_HEADER,
    trustedProxy: 'none',
    ...audience,
    ...overrides,
  };
}

/** The web-app (confidential) and spa (public) client entries, allowed to use `idps`; the secret may be a `${VAR}`. */
export function testClients(idps: string[], options: { webAppSecret?: string } = {}): Record<string, unknown>[] {
  return [
    { clientId: WEB_APP.clientId, clientSecret: options.webAppSecret ?? WEB_APP.clientSecret, redirectUris: [WEB_APP.redirectUri], identityProviders: idps },
    { clientId: SPA.clientId, redirectUris: [SPA.redirectUri], identityProviders: idps },
  ];
}

/** A pino destination that keeps every log line (JSON strings) for the test to read. */
export function captureLogs(): { logs: string[]; destination: { write(line: string): void } } {
  const logs: string[] = [];
  return { logs, destination: { write: (line: string) => void logs.push(line) } };
}

/** A browser whose WAF session (cookie on the WAF's origin) holds exactly `token`; none when undefined. */
export function sessionBrowser(wafUrl: string, token?: string): Browser {
  const browser = new Browser();
  if (token !== undefined) browser.setCookie(wafUrl, SESSION_COOKIE, token);
  return browser;
}

export interface Stack {
  issuer: string;
  config: Config;
  bridge: RunningServer;
  /** Every instance (`instances`); `bridge` is the first. */
  bridges: RunningServer[];
  /** The round-robin balancer in front of the instances (instances > 1): which instance served each request. */
  balancer?: RecordingProxy;
  legacy: LegacyIssuer;
  waf: WafProxy;
  /** The Redis key prefix of this stack's data (redis stacks). */
  keyPrefix: string;
  /** Every log line the bridge wrote (JSON strings). */
  logs: string[];
  /** A browser that holds a legacy session (the WAF's cookie) for `sub`, or none. */
  browser(sub?: string, claims?: Record<string, unknown>): Promise<Browser>;
  close(): Promise<void>;
}

export interface StackOptions {
  store?: 'memory' | 'redis';
  /** Applied to the single IdP entry. */
  idp?: Record<string, unknown>;
  /** Extra clients beside web-app and spa. */
  clients?: Record<string, unknown>[];
  logLevel?: 'debug' | 'info';
  wafHeaders?: Record<string, string>;
  /** Share the store and keys prefix of another stack (two instances, one Redis). */
  keyPrefix?: string;
  legacy?: LegacyIssuer;
  /** The bridge's clock (e.g. `createManualClock()`); also the legacy issuer's when this stack starts its own. */
  clock?: Clock;
  /** More identity providers beside `legacy` (complete entries). */
  extraIdps?: Record<string, unknown>[];
  /** The `tokens` section of the config (lifetimes). */
  tokens?: Record<string, unknown>;
  /** More top-level config sections (e.g. `backchannelLogout`). */
  extraConfig?: Record<string, unknown>;
  /** The `device` section of the config (RFC 8628 figures and limits). */
  device?: Record<string, unknown>;
  /** Redis stacks: another Redis than the shared one (e.g. a victim redis-server a fault test stops). */
  redisUrl?: string;
  /**
   * Bridge instances behind one round-robin load balancer (default 1: no balancer). The issuer is the balancer's URL,
   * so each request of one login may land on another instance, as behind a real load balancer.
   */
  instances?: number;
  /** Another Redis for a redis stack (e.g. a private Sentinel set) and other `store:` keys; its data is not swept. */
  redis?: Record<string, unknown>;
  /** More `server` settings (e.g. adminPort). */
  server?: Record<string, unknown>;
  /** More `logging` settings (e.g. audit). */
  logging?: Record<string, unknown>;
  /** The bridge's port (default: a free one), e.g. to restart the same issuer with another config. */
  bridgePort?: number;
  /** The `signing` section of the config. */
  signing?: Record<string, unknown>;
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const legacy = options.legacy ?? (await startLegacyIssuer({ alg: 'ES256', ...(options.clock && { clock: options.clock }) }));
  const [bridgePort, wafPort] = [options.bridgePort ?? (await freePort()), await freePort()];
  const issuer = `http://127.0.0.1:${bridgePort}`;
  const keyPrefix = options.keyPrefix ?? `test:${crypto.randomUUID()}:`;
  const config = validateConfig({
    issuer,
    server: { host: '127.0.0.1', port: bridgePort, ...options.server },
    store:
      options.store === 'redis'
        ? { type: 'redis', ...(options.redisUrl ? { url: options.redisUrl } : (options.redis ?? testRedisConnection())), keyPrefix }
        : { type: 'memory' },
    logging: { level: options.logLevel ?? 'info', ...options.logging },
    ...(options.tokens && { tokens: options.tokens }),
    ...(options.signing && { signing: options.signing }),
    ...options.extraConfig,
    ...(options.device && { device: options.device }),
    identityProviders: [legacyIdpEntry(legacy, `http://127.0.0.1:${wafPort}/login/jwt`, options.idp), ...(options.extraIdps ?? [])],
    clients: [...testClients(['legacy']), ...(options.clients ?? [])],
  });
  const { logs, destination } = captureLogs();
  const logger = createLogger(createPinoLogger, config, { destination });
  const count = options.instances ?? 1;
  const clock = options.clock && { clock: options.clock };
  const bridges =
    count === 1
      ? [await startNodeServer({ config, logger, ...clock })]
      : await Promise.all(Array.from({ length: count }, () => startNodeServer({ config, logger, ...clock, port: 0 })));
  const bridge = bridges[0]!;
  const balancer =
    count === 1
      ? undefined
      : await startRecordingProxy(
          bridges.map((b) => b.url),
          { port: bridgePort },
        );
  const waf = await startWafProxy({
    port: wafPort,
    upstream: balancer?.url ?? bridge.url,
    headerName: LEGACY_HEADER,
    ...(options.wafHeaders && { addHeaders: options.wafHeaders }),
  });

  return {
    issuer,
    config,
    bridge,
    bridges,
    ...(balancer && { balancer }),
    legacy,
    waf,
    keyPrefix,
    logs,
    async browser(sub, claims = {}) {
      return sessionBrowser(waf.url, sub === undefined ? undefined : await legacy.mint({ sub, ...claims }));
    },
    async close() {
      await waf.close();
      await balancer?.close();
      await Promise.all(bridges.map((b) => b.close()));
      if (!options.legacy) await legacy.close();
      if (options.store === 'redis' && !options.keyPrefix && !options.redis && !options.redisUrl) await deleteKeys(keyPrefix);
    },
  };
}

/**
 * A second view on a Redis stack's data (its key prefix), for tests that check what was or was not written, or
 * change a user between logins. Close it when done.
 */
export function openRedisStore(keyPrefix: string, url?: string): { store: Store; users: UserDirectory; close(): Promise<void> } {
  return openRedisStoreOn(url ? { url } : testRedisConnection(), keyPrefix);
}

/** {@link openRedisStore} on another Redis (e.g. a private Sentinel set). */
export function openRedisStoreOn(connection: RedisConnectionConfig, keyPrefix: string): { store: Store; users: UserDirectory; close(): Promise<void> } {
  const store = createRedisStore({ connection, keyPrefix, logger: silentLogger });
  const users = createUserDirectory({ store, clock: { now: () => Date.now() }, logger: silentLogger });
  return { store, users, close: () => store.close() };
}

/** Removes every key under a test prefix (on every master when the tests run on a Cluster). */
export async function deleteKeys(prefix: string): Promise<void> {
  const store = createRedisStore({ connection: testRedisConnection(), keyPrefix: prefix, logger: silentLogger });
  try {
    for (const key of await store.list('')) await store.delete(key);
  } finally {
    await store.close();
  }
}
