import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import Provider from 'oidc-provider';

/**
 * The peer: node-oidc-provider v9 with the client the bridge has (confidential, client_secret_basic, PKCE S256,
 * RS256 ID tokens) and RS256 JWT access tokens (a resource server with accessTokenFormat: jwt), so that one code
 * redemption signs the same two tokens on both sides. Its default in-memory adapter plays our memory store.
 *
 * Codes are obtained through its real authorization endpoint and interaction API: /auth → our interaction route,
 * which logs the user in the way the bridge's JWT endpoint would after verifying the legacy token (accountId from
 * the WAF-verified session, a Grant for the requested scopes) and calls `interactionFinished` → /auth/:uid resumes →
 * redirect_uri?code. Only /token is compared, so this login shortcut is outside what is measured.
 *
 * Env: BENCH_ISSUER (its base URL, on BENCH_PORT), BENCH_JWK (an RS256 private JWK), BENCH_CLIENT (JSON: id, secret,
 * redirectUri), BENCH_RESOURCE (the API audience).
 */
const port = Number(process.env.BENCH_PORT);
const issuer = process.env.BENCH_ISSUER!;
const client = JSON.parse(process.env.BENCH_CLIENT!) as { id: string; secret: string; redirectUri: string };
const resource = process.env.BENCH_RESOURCE ?? 'urn:bench:api';
const jwk = JSON.parse(process.env.BENCH_JWK!);

/**
 * A Map with expiry, like the bridge's memory store. (The built-in development adapter is an LRU of 1,000 entries,
 * which would evict the codes prepared for the /token run.)
 */
const stores = new Map<string, Map<string, { payload: Record<string, unknown>; expiresAt: number }>>();
const grantIndex = new Map<string, Set<string>>();
class MapAdapter {
  readonly name: string;
  constructor(name: string) {
    this.name = name;
  }
  private get map() {
    let map = stores.get(this.name);
    if (!map) stores.set(this.name, (map = new Map()));
    return map;
  }
  async upsert(id: string, payload: Record<string, unknown>, expiresIn: number) {
    this.map.set(id, { payload, expiresAt: Date.now() + expiresIn * 1000 });
    if (typeof payload.grantId === 'string') {
      let ids = grantIndex.get(payload.grantId);
      if (!ids) grantIndex.set(payload.grantId, (ids = new Set()));
      ids.add(`${this.name}:${id}`);
    }
  }
  async find(id: string) {
    const entry = this.map.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt < Date.now()) {
      this.map.delete(id);
      return undefined;
    }
    return entry.payload;
  }
  async findByUid(uid: string) {
    for (const [id, entry] of this.map) if (entry.payload.uid === uid) return this.find(id);
    return undefined;
  }
  async findByUserCode(userCode: string) {
    for (const [id, entry] of this.map) if (entry.payload.userCode === userCode) return this.find(id);
    return undefined;
  }
  async consume(id: string) {
    const entry = this.map.get(id);
    if (entry) entry.payload.consumed = Math.floor(Date.now() / 1000);
  }
  async destroy(id: string) {
    this.map.delete(id);
  }
  async revokeByGrantId(grantId: string) {
    for (const key of grantIndex.get(grantId) ?? []) {
      const [name, ...rest] = key.split(':');
      stores.get(name!)?.delete(rest.join(':'));
    }
    grantIndex.delete(grantId);
  }
}

const provider = new Provider(issuer, {
  adapter: MapAdapter,
  clients: [
    {
      client_id: client.id,
      client_secret: client.secret,
      redirect_uris: [client.redirectUri],
      grant_types: ['authorization_code'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
      id_token_signed_response_alg: 'RS256',
    },
  ],
  jwks: { keys: [jwk] },
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  findAccount: async (_ctx: unknown, id: string) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: `${id}@example.com`, email_verified: true, name: id }),
  }),
  ttl: { AuthorizationCode: 600, AccessToken: 300, IdToken: 300, Interaction: 600, Session: 3600, Grant: 3600 },
  cookies: { keys: ['bench-cookie-key-0123456789abcdef'] },
  pkce: { required: () => true },
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: {
      enabled: true,
      defaultResource: () => resource,
      useGrantedResource: () => true,
      getResourceServerInfo: () => ({ scope: 'api', audience: resource, accessTokenFormat: 'jwt', accessTokenTTL: 300, jwt: { sign: { alg: 'RS256' } } }),
    },
  },
  interactions: { url: (_ctx: unknown, interaction: { uid: string }) => `/interaction/${interaction.uid}` },
});
provider.on('server_error', (_ctx: unknown, error: Error) => process.stderr.write(`oidc-provider server_error: ${error.stack}\n`));

let reported = 0;
provider.on('grant.error', (_ctx: unknown, error: Error & { error_detail?: string }) => {
  if (reported++ < 3) process.stderr.write(`oidc-provider grant.error: ${error.message} ${error.error_detail ?? ''}\n`);
});
const callback = provider.callback();
let counter = 0;
const server = createServer((req, res) => {
  if (req.url?.startsWith('/interaction/')) {
    void (async () => {
      try {
        const details = await provider.interactionDetails(req, res);
        const accountId = `user-${counter++ % 1000}`;
        const grant = new provider.Grant({ accountId, clientId: details.params.client_id as string });
        grant.addOIDCScope(String(details.params.scope));
        grant.addResourceScope(resource, 'api');
        const grantId = await grant.save();
        await provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
      } catch (error) {
        res.statusCode = 500;
        res.end(String(error));
      }
    })();
    return;
  }
  callback(req, res);
});
server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
