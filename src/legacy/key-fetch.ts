import type { Clock } from '../clock.ts';
import { checkSecureUrl } from '../config/urls.ts';

/** Larger answers are refused: a JWK set or discovery document is a few KiB. */
export const MAX_BODY_BYTES = 512 * 1024;

export interface FetchOptions {
  fetch: typeof fetch;
  timeoutSeconds: number;
}

/**
 * GETs a JSON document: bounded by a timeout (covering headers and body), redirects not followed
 * (a redirect could point the bridge anywhere), only a 200 with a JSON object is accepted.
 */
export async function fetchJson(url: string, what: string, { fetch, timeoutSeconds }: FetchOptions): Promise<Record<string, unknown>> {
  const timeoutMs = Math.max(1, Math.round(timeoutSeconds * 1000));
  try {
    const response = await fetch(url, {
      signal: AbortSignal.timeout(timeoutMs),
      redirect: 'manual',
      headers: { accept: 'application/json, application/jwk-set+json' },
    });
    if (response.status !== 200) {
      await response.body?.cancel().catch(() => {});
      throw new Error(`${what} ${url} answered HTTP ${response.status}, expected 200`);
    }
    const text = await readCapped(response, MAX_BODY_BYTES, () => new Error(`${what} ${url} is larger than ${MAX_BODY_BYTES} bytes`));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new Error(`${what} ${url} is not JSON`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error(`${what} ${url} is not a JSON object`);
    return body as Record<string, unknown>;
  } catch (error) {
    const name = (error as Error).name;
    if (name === 'TimeoutError' || name === 'AbortError') throw new Error(`${what} ${url} timed out after ${timeoutSeconds}s`);
    if (error instanceof TypeError) {
      // fetch() network failures: the useful part (ECONNREFUSED, …) is in the cause.
      const cause = (error as { cause?: { code?: string; message?: string } }).cause;
      throw new Error(`${what} ${url} unreachable: ${cause?.code ?? cause?.message ?? error.message}`);
    }
    throw error;
  }
}

/**
 * Reads a body as UTF-8, refusing it as soon as more than `cap` bytes arrived: the reader is cancelled there, so
 * an endless or huge answer costs at most `cap` plus one chunk (never buffered whole, as `response.text()` would).
 */
async function readCapped(response: Response, cap: number, tooLarge: () => Error): Promise<string> {
  const length = Number(response.headers.get('content-length'));
  if (Number.isFinite(length) && length > cap) {
    await response.body?.cancel().catch(() => {});
    throw tooLarge();
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > cap) {
      await reader.cancel().catch(() => {});
      throw tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return new TextDecoder().decode(bytes);
}

export interface KeysDocument {
  jwks: Record<string, unknown>;
  url: string;
}

/** Loader for a configured `keysEndpoint`. */
export function keysEndpointLoader(url: string, options: FetchOptions): () => Promise<KeysDocument> {
  return async () => ({ jwks: await fetchJson(url, 'keys endpoint', options), url });
}

/**
 * Loader for a configured `discoveryUrl`: the discovery document is fetched on first use and again once it is older
 * than `maxAgeSeconds`; its `issuer` must equal the configured issuer exactly and its `jwks_uri` must be https (or loopback)
 * on the discovery URL's own origin or one of `jwksUriOrigins` (a tampered document must not point key fetches elsewhere).
 */
export function discoveryLoader(
  discoveryUrl: string,
  issuer: string,
  options: FetchOptions & { clock: Clock; maxAgeSeconds: number; jwksUriOrigins?: readonly string[] },
): () => Promise<KeysDocument> {
  const origins = new Set([new URL(discoveryUrl).origin, ...(options.jwksUriOrigins ?? []).map((o) => new URL(o).origin)]);
  let discovered: { jwksUri: string; at: number } | undefined;
  return async () => {
    const now = options.clock.now();
    if (!discovered || now - discovered.at >= options.maxAgeSeconds * 1000) {
      const doc = await fetchJson(discoveryUrl, 'discovery document', options);
      if (doc.issuer !== issuer) {
        throw new Error(`discovery document ${discoveryUrl} names issuer ${JSON.stringify(doc.issuer)}, expected ${JSON.stringify(issuer)}`);
      }
      if (typeof doc.jwks_uri !== 'string') throw new Error(`discovery document ${discoveryUrl} has no jwks_uri`);
      const problem = checkSecureUrl(doc.jwks_uri);
      if (problem) throw new Error(`discovery document ${discoveryUrl}: jwks_uri ${problem}`);
      const jwksOrigin = new URL(doc.jwks_uri).origin;
      if (!origins.has(jwksOrigin)) {
        throw new Error(`discovery document ${discoveryUrl}: jwks_uri is on origin ${jwksOrigin}, not allowed (add it to jwksUriOrigins)`);
      }
      discovered = { jwksUri: doc.jwks_uri, at: now };
    }
    const url = discovered.jwksUri;
    try {
      return { jwks: await fetchJson(url, 'jwks_uri', options), url };
    } catch (error) {
      discovered = undefined; // the jwks_uri may have moved: rediscover on the next attempt
      throw error;
    }
  };
}
