import type { Clock } from '../clock.ts';
import type { IdentityProviderConfig } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { discoveryLoader, keysEndpointLoader, type KeysDocument } from './key-fetch.ts';
import type { CryptoKey } from 'jose';
import { importKeySet, matchKeys, type ImportedKey } from './imported-keys.ts';
import { describeQuery, KeySourceError, type KeyQuery, type KeySource } from './key-set.ts';
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
  keys: ImportedKey[];
  url: string;
  fetchedAt: number;
  expiresAt: number;
}

/** A known-good key that the latest fetched set lost or replaced, kept as a fallback until `until`. */
interface Retained {
  key: ImportedKey;
  until: number;
}

/** First retry 1 s after a failed fetch, then doubling, capped at the cooldown. */
const FIRST_RETRY_MS = 1000;

/**
 * A cached remote JWK set (jose's createRemoteJWKSet has neither stale-if-error nor a rate limit on failed fetches):
 * - fresh for maxAgeSeconds; concurrent callers share one in-flight fetch;
 * - every key is imported when the set arrives: a key that does not import never enters the cache;
 * - past maxAge, the cached keys keep serving (up to staleIfErrorSeconds) while a refresh runs in the background:
 *   a slow or hanging endpoint never stalls a login that cached keys can serve;
 * - after failed fetches, retries back off from 1 s, doubling up to cooldownSeconds;
 * - an unknown `kid`, or a signature that no cached key verifies once the keys are older than the cooldown,
 *   triggers a refetch at most once per cooldownSeconds (counted from the last fetch attempt);
 * - a key that verified a token (known good) and that a refetch loses or replaces while the new set looks broken
 *   (a key dropped, or another key under its kid) is kept as a fallback within its stale bound, logged
 *   (`legacy.keys_retained`); a key removed from an otherwise clean set is dropped, logged (`legacy.keys_removed`).
 * All timing uses the injected clock, except the network timeout itself.
 */
export function createKeySource(options: KeySourceOptions): KeySource {
  const { clock, logger, cache, idpId } = options;
  const shareInflight = options.shareInflightFetches ?? true;
  const cooldownMs = cache.cooldownSeconds * 1000;
  const staleMs = cache.staleIfErrorSeconds * 1000;
  let entry: Entry | undefined;
  let retained: Retained[] = [];
  let inflight: Promise<Entry> | undefined;
  let lastAttemptAt = Number.NEGATIVE_INFINITY;
  let lastFailure: { at: number; message: string } | undefined;
  let failures = 0;
  /** Identity → when a fetched set last contained it; only for keys that verified a token. */
  const knownGood = new Map<string, number>();
  const importedOf = new WeakMap<CryptoKey, ImportedKey>();

  const retryDelay = () => (failures === 0 ? 0 : Math.min(cooldownMs, FIRST_RETRY_MS * 2 ** Math.min(failures - 1, 30)));
  const mayAttempt = (now: number) => !lastFailure || now >= lastFailure.at + retryDelay();

  /** What a new set loses of the known-good keys; kept as a fallback when the set looks broken, else dropped. */
  function reconcile(keys: ImportedKey[], dropped: string[], now: number, log: Logger): void {
    const identities = new Set(keys.map((key) => key.identity));
    const byKid = new Map(keys.filter((key) => key.kid !== undefined).map((key) => [key.kid, key.identity]));
    const previous = [...(entry?.keys ?? []), ...retained.map((r) => r.key)];
    const lost = previous.filter((key, i) => {
      if (identities.has(key.identity) || !knownGood.has(key.identity)) return false;
      return previous.findIndex((other) => other.identity === key.identity) === i;
    });
    const replaced = lost.some((key) => key.kid !== undefined && byKid.has(key.kid));
    const suspicious = dropped.length > 0 || replaced;
    const keep: Retained[] = [];
    const removed: string[] = [];
    for (const key of lost) {
      const until = (knownGood.get(key.identity) ?? 0) + cache.maxAgeSeconds * 1000 + staleMs;
      if (suspicious && now < until) keep.push({ key, until });
      else {
        knownGood.delete(key.identity);
        removed.push(key.kid ?? '(no kid)');
      }
    }
    retained = keep;
    if (keep.length) {
      log.warn({
        event: 'legacy.keys_retained',
        idp: idpId,
        kids: keep.map((r) => r.key.kid ?? '(no kid)'),
        why: replaced ? 'another key under a known-good kid' : 'the new set has keys that were dropped',
        untilSeconds: Math.round((Math.min(...keep.map((r) => r.until)) - now) / 1000),
      });
    }
    if (removed.length) log.info({ event: 'legacy.keys_removed', idp: idpId, kids: removed, why: suspicious ? 'past its stale bound' : 'no longer published' });
  }

  async function fetchKeys(why: string, log: Logger, startedAt: number): Promise<Entry> {
    try {
      const doc = await options.load();
      const { keys, dropped } = await importKeySet(doc.jwks, options.algorithms);
      for (const key of keys) for (const crypto of key.byAlg.values()) importedOf.set(crypto, key);
      const now = clock.now();
      reconcile(keys, dropped, now, log);
      for (const key of keys) if (knownGood.has(key.identity)) knownGood.set(key.identity, now);
      entry = { keys, url: doc.url, fetchedAt: now, expiresAt: now + cache.maxAgeSeconds * 1000 };
      lastFailure = undefined;
      failures = 0;
      log.info({ event: 'legacy.keys_fetched', idp: idpId, url: doc.url, why, keys: keys.length, dropped, durationMs: now - startedAt });
      return entry;
    } catch (error) {
      const message = (error as Error).message;
      failures++;
      lastFailure = { at: clock.now(), message };
      log.warn({ event: 'legacy.keys_fetch_failed', idp: idpId, source: options.description, why, error: message, retryInSeconds: retryDelay() / 1000 });
      const now = clock.now();
      if (entry && now >= entry.expiresAt && now < entry.expiresAt + staleMs) {
        // Once per failed attempt (so at most once per retry delay), not once per waiting request.
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
  function staleOrFail(failure: string): { entry: Entry; note: () => string } {
    const now = clock.now();
    if (entry && now < entry.expiresAt + staleMs) {
      logger.debug({ event: 'legacy.keys_stale_served', idp: idpId });
      const staleForSeconds = Math.round((now - entry.expiresAt) / 1000);
      return { entry, note: () => `stale: expired ${staleForSeconds}s ago, refresh failing (${failure})` };
    }
    const bound = entry ? ` and the cached keys are past the ${cache.staleIfErrorSeconds}s stale bound` : '';
    throw new KeySourceError('keys_unavailable', `${failure}${bound}`);
  }

  /** The entry to use, and a note on its age for the trace (written only if the trace is read). */
  async function current(log: Logger): Promise<{ entry: Entry; note: () => string }> {
    const now = clock.now();
    const cached = entry;
    if (cached && now < cached.expiresAt) {
      log.debug({ event: 'legacy.keys_cache_hit', idp: idpId });
      return { entry: cached, note: () => fetchedNote(cached, now) };
    }
    const usable = cached && now < cached.expiresAt + staleMs;
    if (!inflight && !mayAttempt(now)) {
      return staleOrFail(
        `last fetch failed ${ago(now - (lastFailure?.at ?? now))}, next attempt in ${ago(lastFailure!.at + retryDelay() - now, '')} (${lastFailure?.message})`,
      );
    }
    if (usable && cached && shareInflight) {
      // Stale while revalidate: the refresh runs in the background; its failure is logged by fetchKeys.
      if (!inflight) refresh('expired', log).catch(() => undefined);
      log.debug({ event: 'legacy.keys_stale_served', idp: idpId });
      return { entry: cached, note: () => `stale: expired ${Math.round((now - cached.expiresAt) / 1000)}s ago, refreshing in the background` };
    }
    try {
      const fresh = await refresh(cached ? 'expired' : 'first use', log);
      const at = clock.now();
      return { entry: fresh, note: () => fetchedNote(fresh, at) };
    } catch (error) {
      return staleOrFail((error as Error).message);
    }
  }

  function fetchedNote(e: Entry, now: number): string {
    return `fetched ${ago(now - e.fetchedAt)}`;
  }

  /** The entry's keys for the query, then retained known-good ones (within their bound). */
  function candidates(used: Entry, query: KeyQuery): CryptoKey[] {
    if (retained.length) {
      const now = clock.now();
      retained = retained.filter((r) => now < r.until);
    }
    return matchKeys(retained.length ? [...used.keys, ...retained.map((r) => r.key)] : used.keys, query);
  }

  function describe(used: Entry, note: string): string {
    const where = options.description.endsWith(` ${used.url}`) ? options.description : `${options.description} → ${used.url}`;
    return `${where} (${note})`;
  }

  const rateLimited = () => !inflight && clock.now() < lastAttemptAt + cooldownMs;

  return {
    description: options.description,
    async resolve(query, log = logger) {
      const found = await current(log);
      const used = found.entry;
      const keys = candidates(used, query);
      if (keys.length) return { keys, from: () => describe(used, found.note()) };
      // Unknown kid: the issuer may have rotated. Join a fetch already under way, or start one if the cooldown allows.
      if (rateLimited()) {
        throw new KeySourceError(
          'unknown_kid',
          `no key for ${describeQuery(query)} in ${used.url} (${found.note()}; refetch rate-limited to one per ${cache.cooldownSeconds}s)`,
        );
      }
      const refetched = await refresh('unknown kid', log);
      const at = clock.now();
      const again = candidates(refetched, query);
      if (!again.length) throw new KeySourceError('unknown_kid', `no key for ${describeQuery(query)} in ${refetched.url}, even after a refetch`);
      return { keys: again, from: () => describe(refetched, `refetched for an unknown kid, ${fetchedNote(refetched, at)}`) };
    },
    async retryAfterSignatureFailure(query, tried, log = logger) {
      if (!entry || clock.now() < entry.fetchedAt + cooldownMs || rateLimited()) return undefined;
      let used: Entry;
      try {
        used = await refresh('signature failure', log);
      } catch {
        return undefined; // logged by fetchKeys; the signature failure stands
      }
      const at = clock.now();
      const keys = candidates(used, query).filter((key) => !tried.includes(key));
      return keys.length ? { keys, from: () => describe(used, `refetched after a signature failure, ${fetchedNote(used, at)}`) } : undefined;
    },
    confirm(key) {
      const imported = importedOf.get(key);
      if (imported && !knownGood.has(imported.identity)) {
        const inEntry = entry?.keys.some((k) => k.identity === imported.identity);
        knownGood.set(imported.identity, inEntry && entry ? entry.fetchedAt : clock.now());
      }
    },
  };
}

function ago(ms: number, suffix = ' ago'): string {
  return `${Math.max(0, Math.round(ms / 1000))}s${suffix}`;
}
