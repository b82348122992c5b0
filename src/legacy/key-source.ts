import type { Clock } from '../clock.ts';
import type { IdentityProviderConfig } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { discoveryLoader, keysEndpointLoader, type KeysDocument } from './key-fetch.ts';
import { buildKeySet, describeQuery, KeySourceError, lookupKeys, type KeySource, type LocalKeySet } from './key-set.ts';
import { createStaticKeySource } from './static-keys.ts';

export interface KeySourceDeps {
  clock: Clock;
  logger: Logger;
  fetch?: typeof fetch;
  /**
   * false on runtimes where one request must not await I/O started by another (workerd: the waiter can hang once
   * the first request ends); then each request makes its own fetch, as jose's remote key set does there. Default true.
   */
  shareInflightFetches?: boolean;
}

/** Picks the key source configured for an IdP (exactly one of keysEndpoint, discoveryUrl, publicKeys). Call once per IdP. */
export function createKeySourceFor(idp: IdentityProviderConfig, deps: KeySourceDeps): KeySource {
  if (idp.publicKeys) return createStaticKeySource(idp);
  const options = { fetch: deps.fetch ?? globalThis.fetch, timeoutSeconds: idp.keysCache.timeoutSeconds };
  const common = {
    idpId: idp.id,
    algorithms: idp.algorithms,
    cache: idp.keysCache,
    clock: deps.clock,
    logger: deps.logger,
    shareInflightFetches: deps.shareInflightFetches ?? true,
  };
  if (idp.discoveryUrl) {
    const load = discoveryLoader(idp.discoveryUrl, idp.issuer, {
      ...options,
      clock: deps.clock,
      maxAgeSeconds: idp.keysCache.maxAgeSeconds,
      ...(idp.jwksUriOrigins && { jwksUriOrigins: idp.jwksUriOrigins }),
    });
    return createKeySource({ ...common, description: `discovery ${idp.discoveryUrl}`, load });
  }
  if (idp.keysEndpoint) {
    return createKeySource({ ...common, description: `keysEndpoint ${idp.keysEndpoint}`, load: keysEndpointLoader(idp.keysEndpoint, options) });
  }
  throw new Error(`identity provider "${idp.id}" has no key source`);
}

export interface KeySourceOptions {
  idpId: string;
  description: string;
  algorithms: readonly string[];
  load: () => Promise<KeysDocument>;
  cache: IdentityProviderConfig['keysCache'];
  clock: Clock;
  logger: Logger;
  /** See KeySourceDeps.shareInflightFetches; without sharing the cooldown still applies. Default true. */
  shareInflightFetches?: boolean;
}

interface Entry {
  set: LocalKeySet;
  url: string;
  fetchedAt: number;
  expiresAt: number;
}

/**
 * A cached remote JWK set (jose's createRemoteJWKSet has neither stale-if-error nor a rate limit on failed fetches):
 * - fresh for maxAgeSeconds; concurrent callers share one in-flight fetch;
 * - an unknown `kid` triggers a refetch at most once per cooldownSeconds (counted from the last fetch attempt);
 * - after a failed fetch, no new attempt for cooldownSeconds (fail fast meanwhile);
 * - when refreshing fails, the previous keys are served for up to staleIfErrorSeconds past their expiry.
 * All timing uses the injected clock, except the network timeout itself.
 */
export function createKeySource(options: KeySourceOptions): KeySource {
  const { clock, logger, cache, idpId } = options;
  const shareInflight = options.shareInflightFetches ?? true;
  const cooldownMs = cache.cooldownSeconds * 1000;
  let entry: Entry | undefined;
  let inflight: Promise<Entry> | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastFailure: { at: number; message: string } | undefined;

  async function fetchKeys(why: string, log: Logger, startedAt: number): Promise<Entry> {
    try {
      const doc = await options.load();
      const { set, count, dropped } = buildKeySet(doc.jwks, options.algorithms);
      const now = clock.now();
      entry = { set, url: doc.url, fetchedAt: now, expiresAt: now + cache.maxAgeSeconds * 1000 };
      lastFailure = undefined;
      log.info({ event: 'legacy.keys_fetched', idp: idpId, url: doc.url, why, keys: count, dropped, durationMs: now - startedAt });
      return entry;
    } catch (error) {
      const message = (error as Error).message;
      lastFailure = { at: clock.now(), message };
      log.warn({ event: 'legacy.keys_fetch_failed', idp: idpId, source: options.description, why, error: message });
      const now = clock.now();
      if (entry && now >= entry.expiresAt && now < entry.expiresAt + cache.staleIfErrorSeconds * 1000) {
        // Once per failed attempt (so at most once per cooldown), not once per waiting request.
        log.warn({ event: 'legacy.keys_stale', idp: idpId, url: entry.url, staleForSeconds: Math.round((now - entry.expiresAt) / 1000) });
      }
      throw new KeySourceError('keys_unavailable', `fetching keys failed: ${message}`, { cause: error });
    }
  }

  function refresh(why: string, log: Logger): Promise<Entry> {
    if (inflight && shareInflight) return inflight;
    lastAttemptAt = clock.now();
    const attempt: Promise<Entry> = fetchKeys(why, log, lastAttemptAt).finally(() => {
      if (inflight === attempt) inflight = undefined;
    });
    inflight = attempt;
    return attempt;
  }

  /** Keys from a failed refresh's point of view: the previous set while within the stale bound, else keys_unavailable. */
  function staleOrFail(failure: string): { entry: Entry; note: string } {
    const now = clock.now();
    if (entry && now < entry.expiresAt + cache.staleIfErrorSeconds * 1000) {
      logger.debug({ event: 'legacy.keys_stale_served', idp: idpId });
      const staleForSeconds = Math.round((now - entry.expiresAt) / 1000);
      return { entry, note: `stale: expired ${staleForSeconds}s ago, refresh failing (${failure})` };
    }
    const bound = entry ? ` and the cached keys are past the ${cache.staleIfErrorSeconds}s stale bound` : '';
    throw new KeySourceError('keys_unavailable', `${failure}${bound}`);
  }

  async function current(log: Logger): Promise<{ entry: Entry; note: string }> {
    if (entry && clock.now() < entry.expiresAt) {
      log.debug({ event: 'legacy.keys_cache_hit', idp: idpId });
      return { entry, note: fetchedNote(entry) };
    }
    if (!inflight && lastFailure && clock.now() < lastFailure.at + cooldownMs) {
      return staleOrFail(`last fetch failed ${ago(clock.now() - lastFailure.at)}, retry after the ${cache.cooldownSeconds}s cooldown (${lastFailure.message})`);
    }
    try {
      const fresh = await refresh(entry ? 'expired' : 'first use', log);
      return { entry: fresh, note: fetchedNote(fresh) };
    } catch (error) {
      return staleOrFail((error as Error).message);
    }
  }

  function fetchedNote(e: Entry): string {
    return `fetched ${ago(clock.now() - e.fetchedAt)}`;
  }

  return {
    description: options.description,
    async resolve(query, log = logger) {
      let { entry: used, note } = await current(log);
      let keys = await lookupKeys(used.set, query);
      if (!keys) {
        // Unknown kid: the issuer may have rotated. Join a fetch already under way, or start one if the cooldown allows.
        if (!inflight && clock.now() < lastAttemptAt + cooldownMs) {
          throw new KeySourceError(
            'unknown_kid',
            `no key for ${describeQuery(query)} in ${used.url} (${note}; refetch rate-limited to one per ${cache.cooldownSeconds}s)`,
          );
        }
        used = await refresh('unknown kid', log);
        note = `refetched for an unknown kid, ${fetchedNote(used)}`;
        keys = await lookupKeys(used.set, query);
        if (!keys) throw new KeySourceError('unknown_kid', `no key for ${describeQuery(query)} in ${used.url}, even after a refetch`);
      }
      const where = options.description.endsWith(` ${used.url}`) ? options.description : `${options.description} → ${used.url}`;
      return { keys, from: `${where} (${note})` };
    },
  };
}

function ago(ms: number): string {
  return `${Math.max(0, Math.round(ms / 1000))}s ago`;
}
