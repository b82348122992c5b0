import { OAuthError, invalidRequest } from './errors.ts';
import type { BridgeContext } from './services.ts';

/**
 * Longest accepted value of a parameter, in characters: what real clients send, with room (README, "Request
 * limits"). `state` and `nonce` travel sealed inside the authRequestID, so they bound its length.
 */
export const PARAM_LIMITS: Readonly<Record<string, number>> = {
  state: 1024,
  nonce: 512,
  scope: 1024,
  code_challenge: 128,
  client_id: 256,
  redirect_uri: 2048,
  subject_token: 8192,
};
export const MAX_PARAM_LENGTH = 2048;

/** Request parameters with every value kept, so duplicates can be refused (RFC 6749 §3.1). */
export class Params {
  readonly #values: Map<string, string[]>;

  constructor(search: URLSearchParams) {
    this.#values = new Map();
    for (const [name, value] of search) {
      const list = this.#values.get(name);
      if (list) list.push(value);
      else this.#values.set(name, [value]);
    }
  }

  /** The single value of `name`; undefined when absent or empty; invalid_request when repeated or oversized. */
  get(name: string): string | undefined {
    const values = this.#values.get(name);
    if (!values) return undefined;
    if (values.length > 1) throw invalidRequest(`parameter ${name} must not be repeated`, 'duplicate_parameter');
    const value = values[0]!;
    if (value.length > (PARAM_LIMITS[name] ?? MAX_PARAM_LENGTH)) throw invalidRequest(`parameter ${name} is too long`, 'parameter_too_long');
    return value === '' ? undefined : value;
  }

  require(name: string): string {
    const value = this.get(name);
    if (value === undefined) throw invalidRequest(`parameter ${name} is required`, 'missing_parameter');
    return value;
  }

  /** RFC 6749 §3.1: no parameter may be repeated. The names are request input: logged, never echoed to the client. */
  rejectDuplicates(): void {
    const repeated = [...this.#values].filter(([, values]) => values.length > 1).map(([name]) => name);
    if (repeated.length) {
      const detail = `repeated: ${repeated
        .slice(0, 5)
        .map((n) => JSON.stringify(n.slice(0, 40)))
        .join(', ')}`;
      throw new OAuthError('invalid_request', 'request parameters must not be repeated', { reason: 'duplicate_parameter', detail });
    }
  }
}

/**
 * Reads a form body (application/x-www-form-urlencoded only). Hono's body-limit middleware caps the size
 * before this runs.
 */
export async function readForm(c: BridgeContext): Promise<Params> {
  const type = c.req.header('content-type')?.split(';')[0]?.trim().toLowerCase();
  if (type !== 'application/x-www-form-urlencoded') {
    throw invalidRequest('the request body must be application/x-www-form-urlencoded', 'unsupported_content_type');
  }
  return new Params(new URLSearchParams(await c.req.text()));
}

/** Query parameters of a GET, or the form of a POST (OIDC Core §3.1.2.1 allows both for /authorize). */
export async function readRequestParams(c: BridgeContext): Promise<Params> {
  if (c.req.method === 'POST') return readForm(c);
  return new Params(new URL(c.req.url).searchParams);
}
