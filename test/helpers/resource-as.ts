/**
 * A small receiving authorization server for ID-JAG tests (draft-ietf-oauth-identity-assertion-authz-grant-04 §5):
 * its /token accepts only `grant_type=urn:ietf:params:oauth:grant-type:jwt-bearer` (RFC 7523 §2.1), authenticates
 * its own clients with HTTP Basic, and checks the assertion as the draft asks: the IdP's signature against its
 * /jwks, `typ: oauth-id-jag+jwt`, `iss`, `aud` = this server, `client_id` = the authenticated client, `exp`, `jti`
 * once. Then it issues its own (opaque) access token. Every refusal is recorded with why, for the test to read.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';

export const JWT_BEARER_GRANT = 'urn:ietf:params:oauth:grant-type:jwt-bearer';

export interface ResourceAs {
  /** Its issuer identifier (the ID-JAG's `aud`) and base URL. */
  readonly url: string;
  /** Why each refused request was refused. */
  readonly refusals: string[];
  /** The access tokens it issued, with the user and scope from the ID-JAG. */
  readonly issued: { accessToken: string; sub: string; clientId: string; scope?: string }[];
  /** Trust this IdP (set once the bridge runs). */
  trust(idpIssuer: string): void;
  close(): Promise<void>;
}

export async function startResourceAs(clients: Record<string, string>): Promise<ResourceAs> {
  const refusals: string[] = [];
  const issued: ResourceAs['issued'] = [];
  const seenJti = new Set<string>();
  let trusted: { issuer: string; keys: JWTVerifyGetKey } | undefined;

  const send = (res: ServerResponse, status: number, body: object) => {
    res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const refuse = (res: ServerResponse, status: number, error: string, why: string) => {
    refusals.push(why);
    send(res, status, { error, error_description: why });
  };

  async function token(req: IncomingMessage, res: ServerResponse, body: string): Promise<void> {
    const form = new URLSearchParams(body);
    const basic = /^Basic (.+)$/i.exec(req.headers.authorization ?? '');
    const [id, secret] = basic ? Buffer.from(basic[1]!, 'base64').toString().split(':').map(decodeURIComponent) : [];
    if (!id || clients[id] === undefined || clients[id] !== secret) return refuse(res, 401, 'invalid_client', 'client authentication failed');
    if (form.get('grant_type') !== JWT_BEARER_GRANT) return refuse(res, 400, 'unsupported_grant_type', 'grant_type');
    const assertion = form.get('assertion');
    if (!assertion) return refuse(res, 400, 'invalid_request', 'assertion missing');
    if (!trusted) return refuse(res, 400, 'invalid_grant', 'no trusted IdP');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(assertion, trusted.keys, {
        issuer: trusted.issuer,
        audience: url,
        typ: 'oauth-id-jag+jwt',
        algorithms: ['RS256', 'ES256', 'EdDSA'],
        requiredClaims: ['sub', 'client_id', 'jti', 'exp', 'iat'],
      }));
    } catch (error) {
      const why = error instanceof errors.JWTClaimValidationFailed ? `claim ${error.claim}` : error instanceof errors.JOSEError ? error.code : 'invalid';
      return refuse(res, 400, 'invalid_grant', why);
    }
    if (payload.client_id !== id) return refuse(res, 400, 'invalid_grant', 'client_id');
    if (seenJti.has(String(payload.jti))) return refuse(res, 400, 'invalid_grant', 'jti replayed');
    seenJti.add(String(payload.jti));
    const accessToken = crypto.randomUUID();
    const scope = typeof payload.scope === 'string' ? payload.scope : undefined;
    issued.push({ accessToken, sub: String(payload.sub), clientId: id, ...(scope !== undefined && { scope }) });
    send(res, 200, { access_token: accessToken, token_type: 'Bearer', expires_in: 300, ...(scope !== undefined && { scope }) });
  }

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/token') return send(res, 404, { error: 'not_found' });
      token(req, res, Buffer.concat(chunks).toString()).catch((error: unknown) => send(res, 500, { error: 'server_error', error_description: String(error) }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    refusals,
    issued,
    trust(idpIssuer) {
      trusted = { issuer: idpIssuer, keys: createRemoteJWKSet(new URL(`${idpIssuer}/jwks`)) };
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
