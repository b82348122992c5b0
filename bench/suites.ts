import { Hono } from 'hono';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { systemClock } from '../src/clock.ts';
import { validateConfig } from '../src/config/parse.ts';
import { createLegacyVerifier } from '../src/legacy/index.ts';
import { silentLogger } from '../src/observability/logger.ts';
import { composeBridge } from '../src/runtime/compose.ts';
import { createMemoryStore } from '../src/storage/memory.ts';
import { legacyTestIdp, startLegacyIssuer } from '../test/helpers/legacy-issuer.ts';

export interface Suite {
  name: string;
  /** Measured in the same run; every other case is reported as a ratio of it. */
  baseline: [string, () => unknown];
  cases: [string, () => unknown][];
  close?: () => Promise<void>;
}

/** The full legacy verifier (header, allow-list, cached remote keys, rules, mapping) against raw jose. */
export async function verificationSuite(): Promise<Suite> {
  const issuer = await startLegacyIssuer({ alg: 'ES256' });
  const token = await issuer.mint({ sub: 'alice', email: 'alice@example.com', groups: ['staff'] });
  const localSet = createLocalJWKSet(issuer.jwks());
  const verifier = createLegacyVerifier(legacyTestIdp(issuer, { headerName: 'x-custom-tkn' }), { clock: systemClock, logger: silentLogger });
  const headers = new Headers({ 'x-custom-tkn': token });
  const warm = await verifier.verifyHeaders(headers);
  if (!warm.ok) throw new Error(`benchmark token rejected: ${warm.reason}`);
  return {
    name: 'legacy JWT verification (ES256)',
    baseline: ['jose jwtVerify, local JWKS', () => jwtVerify(token, localSet, { algorithms: ['ES256'], issuer: issuer.url })],
    cases: [['bridge verifyHeaders (remote JWKS, cached)', () => verifier.verifyHeaders(headers)]],
    close: () => issuer.close(),
  };
}

/** Bridge handlers through app.request (no sockets) against a bare Hono JSON handler. */
export async function httpSuite(): Promise<Suite> {
  const bare = new Hono();
  bare.get('/', (c) => c.json({ ok: true }));
  const issuer = await startLegacyIssuer({ alg: 'ES256' });
  const config = validateConfig({
    issuer: 'https://accounts.example.com',
    logging: { level: 'silent' },
    identityProviders: [
      {
        id: 'legacy',
        issuer: issuer.url,
        keysEndpoint: issuer.jwksUrl,
        jwtEndpoint: 'https://apps.example.com/auth-new',
        headerName: 'x-custom-tkn',
        allowAnyAudience: true,
        trustedProxy: 'none',
      },
    ],
    clients: [{ clientId: 'app', clientSecret: 'app-secret-0123456789', redirectUris: ['https://app.example.com/cb'], identityProviders: ['legacy'] }],
  });
  const store = createMemoryStore({ clock: systemClock });
  const { app } = await composeBridge({ config, clock: systemClock, logger: silentLogger, store, signingJwks: [] });
  const authorize = '/authorize?client_id=app&redirect_uri=https%3A%2F%2Fapp.example.com%2Fcb&response_type=code&scope=openid&state=xyz';
  const token = await issuer.mint({ sub: 'alice' });
  // One auth request per JWT-endpoint call: create them ahead so the loop measures /login/jwt alone.
  const pending: string[] = [];
  const refill = async () => {
    for (let i = 0; i < 200; i++) pending.push(new URL((await app.request(authorize)).headers.get('location')!).searchParams.get('authRequestID')!);
  };
  await refill();
  return {
    name: 'HTTP handlers (app.request, memory store)',
    baseline: ['bare Hono JSON handler', () => bare.request('/')],
    cases: [
      ['GET /.well-known/openid-configuration', () => app.request('/.well-known/openid-configuration')],
      ['GET /authorize (validate, seal, cookie, redirect)', () => app.request(authorize)],
      [
        'GET /login/jwt (verify legacy JWT, resolve user, redirect)',
        async () => {
          if (pending.length === 0) await refill();
          return app.request(`/login/jwt?authRequestID=${pending.pop()}`, { headers: { 'x-custom-tkn': token } });
        },
      ],
    ],
    close: async () => {
      await store.close();
      await issuer.close();
    },
  };
}
