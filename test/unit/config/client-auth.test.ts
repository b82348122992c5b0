/** The client authentication keys of the config (tokenEndpointAuthMethod, jwks, jwksUri): defaults and refusals. */
import { configProblems, minimalConfig } from '../../helpers/config.ts';
import { describe, expect, it } from 'vitest';
import { allowedAuthMethods } from '../../../src/config/client-auth.ts';
import { validateConfig } from '../../../src/config/parse.ts';

const publicJwk = { kty: 'EC', crv: 'P-256', x: 'f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU', y: 'x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0', kid: 'k1' };
const base = minimalConfig();

function withClient(client: Record<string, unknown>) {
  return validateConfig({ ...base, clients: [{ ...base.clients[0], ...client }] });
}

const problemsOf = (client: Record<string, unknown>): string[] => configProblems({ ...base, clients: [{ ...base.clients[0], ...client }] });

describe('client authentication config', () => {
  it('defaults: both secret methods with a clientSecret, none without; an explicit method is the only one', () => {
    expect(allowedAuthMethods(withClient({ clientSecret: 'a-long-enough-secret' }).clients[0]!)).toEqual(['client_secret_basic', 'client_secret_post']);
    expect(allowedAuthMethods(withClient({}).clients[0]!)).toEqual(['none']);
    expect(allowedAuthMethods(withClient({ clientSecret: 'a-long-enough-secret', tokenEndpointAuthMethod: 'client_secret_post' }).clients[0]!)).toEqual([
      'client_secret_post',
    ]);
    expect(allowedAuthMethods(withClient({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [publicJwk] } }).clients[0]!)).toEqual([
      'private_key_jwt',
    ]);
  });

  it('accepts private_key_jwt with inline public keys or an https (or loopback http) jwksUri', () => {
    expect(problemsOf({ tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [publicJwk] } })).toEqual([]);
    expect(problemsOf({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'https://new.example.com/jwks' })).toEqual([]);
    expect(problemsOf({ tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'http://127.0.0.1:9000/jwks' })).toEqual([]);
  });

  it.each([
    [
      'private_key_jwt without keys',
      { tokenEndpointAuthMethod: 'private_key_jwt' },
      "clients[0].tokenEndpointAuthMethod: private_key_jwt needs the client's public keys: set exactly one of jwks or jwksUri",
    ],
    [
      'both jwks and jwksUri',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [publicJwk] }, jwksUri: 'https://new.example.com/jwks' },
      'clients[0].jwksUri: cannot be combined with jwks: set exactly one of them',
    ],
    [
      'a secret together with private_key_jwt',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [publicJwk] }, clientSecret: 'a-long-enough-secret' },
      'clients[0].clientSecret: cannot be combined with tokenEndpointAuthMethod private_key_jwt (the client signs an assertion instead)',
    ],
    [
      'jwks without private_key_jwt',
      { clientSecret: 'a-long-enough-secret', jwks: { keys: [publicJwk] } },
      'clients[0].jwks: applies only with tokenEndpointAuthMethod: private_key_jwt',
    ],
    [
      'jwksUri without private_key_jwt',
      { jwksUri: 'https://new.example.com/jwks' },
      'clients[0].jwksUri: applies only with tokenEndpointAuthMethod: private_key_jwt',
    ],
    [
      'a private key in jwks',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...publicJwk, d: 'jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI' }] } },
      'clients[0].jwks.keys[0].d: is a private key member: register the public key only',
    ],
    [
      'a symmetric key in jwks',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ kty: 'oct', k: 'c2VjcmV0' }] } },
      'clients[0].jwks.keys[0].kty: must be "RSA", "EC" or "OKP" (public keys only; symmetric "oct" keys are not accepted)',
    ],
    [
      'an HMAC alg on a key',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [{ ...publicJwk, alg: 'HS256' }] } },
      'clients[0].jwks.keys[0].alg: must be one of RS256, PS256, ES256, EdDSA',
    ],
    ['an empty key set', { tokenEndpointAuthMethod: 'private_key_jwt', jwks: { keys: [] } }, 'clients[0].jwks.keys: must list at least one public key'],
    [
      'jwksUri over plain http',
      { tokenEndpointAuthMethod: 'private_key_jwt', jwksUri: 'http://new.example.com/jwks' },
      'clients[0].jwksUri: must be an https URL (http allowed only for loopback)',
    ],
    [
      'client_secret_basic without a secret',
      { tokenEndpointAuthMethod: 'client_secret_basic' },
      'clients[0].clientSecret: is required with tokenEndpointAuthMethod client_secret_basic',
    ],
    [
      'none with a secret',
      { tokenEndpointAuthMethod: 'none', clientSecret: 'a-long-enough-secret' },
      'clients[0].clientSecret: cannot be combined with tokenEndpointAuthMethod none (a public client has no secret)',
    ],
  ])('refuses %s, naming the key', (_name, client, problem) => {
    expect(problemsOf(client)).toContain(problem);
  });

  it('refuses an unknown method', () => {
    expect(problemsOf({ tokenEndpointAuthMethod: 'client_secret_jwt' }).join('\n')).toMatch(/^clients\[0\]\.tokenEndpointAuthMethod: /);
  });
});
