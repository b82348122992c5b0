import { compactVerify, createLocalJWKSet, decodeProtectedHeader, errors, type JSONWebKeySet } from 'jose';
import { systemClock, type Clock } from '../clock.ts';
import { SIGNING_ALGORITHMS } from '../config/schema.ts';
import { normalizeType } from '../legacy/verifier.ts';
import { ID_JAG_TYP } from '../oidc/tokens/id-jag.ts';
import { fingerprint } from './token-verify.ts';

export interface IdJagVerifyOptions {
  token: string;
  /** The bridge's issuer: the ID-JAG's `iss`, and where its discovery document (hence `jwks_uri`) is found. */
  issuer: string;
  /** The receiving authorization server's own issuer identifier: the ID-JAG's `aud`. */
  audience: string;
  /** The client the ID-JAG must be for (`client_id`); absent = any, printed. */
  clientId?: string | undefined;
  /** The bridge's JWK Set URL, instead of discovery. */
  jwksUrl?: string | undefined;
  clock?: Clock;
  fetch?: typeof fetch;
  out: (line: string) => void;
  clockToleranceSeconds?: number;
}

type Check = { name: string; ok: boolean; detail: string };

class Rejected extends Error {
  readonly reason: string;
  readonly check: Check;

  constructor(reason: string, check: Check) {
    super(check.detail);
    this.reason = reason;
    this.check = check;
  }
}

const FETCH_TIMEOUT_MS = 5000;

async function getJson(url: string, fetcher: typeof fetch): Promise<unknown> {
  const response = await fetcher(url, { signal: AbortSignal.timeout(FETCH_TIMEOUT_MS), headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`HTTP ${response.status}`);
  return response.json();
}

/**
 * `jwt-idp-bridge token verify --id-jag`: the receiving side's checks on an ID-JAG (draft-ietf-oauth-identity-
 * assertion-authz-grant-04 §5.1: RFC 7523 plus typ, aud, client_id), printed one by one like `token verify` for legacy
 * JWTs. Keys come from the bridge's `/jwks` (via discovery, or --jwks), never from the token. Exit 0 accepted, 1 rejected.
 */
export async function runIdJagVerify(options: IdJagVerifyOptions): Promise<number> {
  const { issuer, audience, out } = options;
  const fetcher = options.fetch ?? fetch;
  const now = Math.floor((options.clock ?? systemClock).now() / 1000);
  const tolerance = options.clockToleranceSeconds ?? 30;
  const token = options.token.trim();
  const checks: Check[] = [];
  const pass = (name: string, detail: string) => checks.push({ name, ok: true, detail });
  const fail = (reason: string, name: string, detail: string): never => {
    throw new Rejected(reason, { name, ok: false, detail });
  };
  out(`id-jag  issuer ${issuer}, audience ${audience}${options.clientId ? `, client_id ${options.clientId}` : ''}`);
  out(`token   sha256 ${await fingerprint(token)}, ${token.length} chars`);

  let result: { ok: true; sub: string } | { ok: false; reason: string };
  try {
    if (token.split('.').length !== 3) fail('token_malformed', 'format', `${token.split('.').length} segment(s); a signed JWT has 3`);
    let header: Record<string, unknown> = {};
    try {
      header = decodeProtectedHeader(token) as Record<string, unknown>;
    } catch {
      fail('token_malformed', 'format', 'the header is not base64url-encoded JSON');
    }
    pass('format', '3 segments, JSON header');
    if (typeof header.typ !== 'string' || normalizeType(header.typ) !== ID_JAG_TYP) {
      fail('type_not_allowed', 'typ', `${JSON.stringify(header.typ)}; an ID-JAG has typ ${JSON.stringify(ID_JAG_TYP)}`);
    }
    pass('typ', JSON.stringify(header.typ));
    const algorithms = [...SIGNING_ALGORITHMS] as string[];
    if (typeof header.alg !== 'string' || !algorithms.includes(header.alg)) {
      fail('alg_not_allowed', 'alg', `${JSON.stringify(header.alg)} (allowed: ${algorithms.join(', ')})`);
    }
    pass('alg', String(header.alg));

    let jwksUrl = options.jwksUrl;
    let jwks: JSONWebKeySet | undefined;
    try {
      if (!jwksUrl) {
        const discovery = (await getJson(`${issuer}/.well-known/openid-configuration`, fetcher)) as { issuer?: unknown; jwks_uri?: unknown };
        if (discovery.issuer !== issuer) fail('issuer_mismatch', 'keys', `the discovery document names issuer ${JSON.stringify(discovery.issuer)}`);
        if (typeof discovery.jwks_uri !== 'string') fail('keys_unavailable', 'keys', 'the discovery document has no jwks_uri');
        jwksUrl = discovery.jwks_uri as string;
      }
      jwks = (await getJson(jwksUrl, fetcher)) as JSONWebKeySet;
      if (!Array.isArray(jwks?.keys)) fail('keys_unavailable', 'keys', `${jwksUrl} is not a JWK Set`);
    } catch (error) {
      if (error instanceof Rejected) throw error;
      fail('keys_unavailable', 'keys', `${jwksUrl ?? `${issuer}/.well-known/openid-configuration`}: ${(error as Error).message}`);
    }
    const kid = typeof header.kid === 'string' ? header.kid : undefined;
    if (kid !== undefined && !jwks!.keys.some((key) => key.kid === kid)) fail('unknown_kid', 'keys', `kid ${JSON.stringify(kid)} is not in ${jwksUrl}`);
    pass('keys', `${kid === undefined ? 'no kid' : `kid ${JSON.stringify(kid)}`} in ${jwksUrl} (${jwks!.keys.length} keys)`);

    let claims: Record<string, unknown> = {};
    try {
      const { payload } = await compactVerify(token, createLocalJWKSet(jwks!), { algorithms });
      claims = JSON.parse(new TextDecoder().decode(payload)) as Record<string, unknown>;
    } catch (error) {
      if (error instanceof SyntaxError) fail('token_malformed', 'signature', 'the payload is not JSON');
      fail('signature_invalid', 'signature', error instanceof errors.JOSEError ? error.code : 'does not verify');
    }
    pass('signature', `${String(header.alg)} signature verifies`);

    if (claims.iss !== issuer) fail('issuer_mismatch', 'iss', `${JSON.stringify(claims.iss)}, expected ${JSON.stringify(issuer)}`);
    pass('iss', JSON.stringify(claims.iss));
    const aud = Array.isArray(claims.aud) && claims.aud.length === 1 ? claims.aud[0] : claims.aud;
    if (aud !== audience) fail('audience_mismatch', 'aud', `${JSON.stringify(claims.aud)}, expected ${JSON.stringify(audience)}`);
    pass('aud', JSON.stringify(aud));
    if (typeof claims.client_id !== 'string' || !claims.client_id) fail('token_malformed', 'client_id', 'absent (required)');
    if (options.clientId !== undefined && claims.client_id !== options.clientId) {
      fail('client_id_mismatch', 'client_id', `${JSON.stringify(claims.client_id)}, expected ${JSON.stringify(options.clientId)}`);
    }
    pass('client_id', `${JSON.stringify(claims.client_id)}${options.clientId ? '' : ' (not compared: pass --client-id)'}`);
    if (typeof claims.exp !== 'number') fail('token_malformed', 'exp', 'absent (required)');
    if ((claims.exp as number) + tolerance <= now) fail('expired', 'exp', `expired ${now - (claims.exp as number)} s ago (tolerance ${tolerance} s)`);
    pass('exp', `in ${(claims.exp as number) - now} s`);
    if (typeof claims.iat !== 'number') fail('token_malformed', 'iat', 'absent (required)');
    if ((claims.iat as number) - tolerance > now) fail('not_yet_valid', 'iat', `${(claims.iat as number) - now} s in the future`);
    pass('iat', `${now - (claims.iat as number)} s ago`);
    for (const name of ['sub', 'jti'] as const) {
      if (typeof claims[name] !== 'string' || !claims[name]) fail('token_malformed', name, 'absent (required)');
      pass(name, name === 'sub' ? JSON.stringify(claims.sub) : 'present (a receiver accepts it once)');
    }
    const extra = ['scope', 'resource', 'auth_time', 'amr', 'email'].filter((name) => claims[name] !== undefined);
    if (extra.length) pass('claims', extra.map((name) => `${name}=${JSON.stringify(claims[name])}`).join(' '));
    result = { ok: true, sub: claims.sub as string };
  } catch (error) {
    if (!(error instanceof Rejected)) throw error;
    checks.push(error.check);
    result = { ok: false, reason: error.reason };
  }
  const width = Math.max(...checks.map((check) => check.name.length));
  for (const check of checks) out(`${check.ok ? 'PASS' : 'FAIL'}  ${check.name.padEnd(width)}  ${check.detail}`);
  out(result.ok ? `RESULT  accepted (sub=${result.sub})` : `RESULT  rejected: ${result.reason}`);
  return result.ok ? 0 : 1;
}
