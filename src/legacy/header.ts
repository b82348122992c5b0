import { LegacyRejection } from './reasons.ts';

/** Larger values are refused before any parsing (DESIGN §4). */
export const MAX_TOKEN_BYTES = 8 * 1024;

const BEARER = /^bearer(?: +|$)/i;
const utf8 = new TextEncoder();

/**
 * Validates a raw header (or pasted) value and returns the bare token.
 * `label` is the trace line name: "header" for request headers, "token" for a pasted token.
 * Fetch `Headers.get` joins repeated headers with ", "; a compact JWS never contains a comma,
 * so a comma means the header was sent more than once (or is not a JWT).
 */
export function extractToken(raw: string | null | undefined, label: string, source: string): { token: string; detail: () => string } {
  if (raw === null || raw === undefined || raw === '') {
    throw new LegacyRejection('token_missing', label, `${source} is absent or empty`);
  }
  // UTF-8 takes at most 3 bytes per UTF-16 unit: only a value that could be over the limit is encoded to measure it.
  const bytes = raw.length * 3 > MAX_TOKEN_BYTES ? utf8.encode(raw).length : raw.length;
  if (bytes > MAX_TOKEN_BYTES) {
    throw new LegacyRejection('token_malformed', label, `${source} is ${bytes} bytes, over the ${MAX_TOKEN_BYTES}-byte limit`);
  }
  if (/[\r\n]/.test(raw)) {
    throw new LegacyRejection('token_malformed', label, `${source} contains CR or LF`);
  }
  if (raw.includes(',')) {
    throw new LegacyRejection('token_malformed', label, `${source} has several values (sent more than once?)`);
  }
  const bearer = BEARER.exec(raw);
  const token = bearer ? raw.slice(bearer[0].length) : raw;
  if (token === '') {
    throw new LegacyRejection('token_missing', label, `${source} holds only a "Bearer" prefix`);
  }
  return { token, detail: () => `${source} present, ${token.length} chars${bearer ? ', "Bearer " prefix stripped' : ''}` };
}
