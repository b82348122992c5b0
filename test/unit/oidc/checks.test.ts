/**
 * The protocol checks of src/oidc/checks/, each through `app.request` on a one-route app with the bridge's renderer:
 * what the client is answered and which reason is logged. Removing or weakening a check fails its row here.
 */
import { describe, expect, it } from 'vitest';
import type { ClientConfig } from '../../../src/config/schema.ts';
import { checkMaxAge } from '../../../src/oidc/checks/max-age.ts';
import { checkPkceChallenge, verifyPkce } from '../../../src/oidc/checks/pkce.ts';
import { checkPrompt } from '../../../src/oidc/checks/prompt.ts';
import { isRegisteredRedirectUri } from '../../../src/oidc/checks/redirect-uri.ts';
import { checkResponseType } from '../../../src/oidc/checks/response-type.ts';
import { checkScope } from '../../../src/oidc/checks/scope.ts';
import { Params } from '../../../src/oidc/params.ts';
import type { BridgeContext } from '../../../src/oidc/services.ts';
import { sha256 } from '../../../src/crypto.ts';
import { outcomeOf } from './harness.ts';

const confidential = {
  clientId: 'web',
  clientSecret: 'secret-0123456789abcdef',
  requirePkce: false,
  identityProviders: ['legacy', 'other'],
  redirectUris: ['https://app.example/cb'],
  grantTypes: ['authorization_code'],
} as ClientConfig;
const publicClient = { ...confidential, clientId: 'spa', clientSecret: undefined } as ClientConfig;
const query = (c: BridgeContext) => new Params(new URL(c.req.url).searchParams);
const at = (path: string, check: (params: Params) => unknown) => outcomeOf((c) => check(query(c)), { path });

describe('checks/prompt (OIDC Core §3.1.2.1)', () => {
  it.each([
    ['', 'ok'],
    ['?prompt=none', 'ok'],
    ['?prompt=consent%20select_account', 'ok'],
    ['?prompt=login', 'ok'],
    ['?prompt=bogus', 'invalid_request/prompt_invalid'],
    ['?prompt=none%20login', 'invalid_request/prompt_invalid'],
  ])('%s → %s', async (path, outcome) => {
    expect(await at(`/${path}`, (p) => checkPrompt(p.get('prompt')))).toBe(outcome);
  });

  it('returns what the flow acts on', () => {
    expect(checkPrompt('none')).toBe('none');
    expect(checkPrompt('consent login')).toBe('login');
    expect(checkPrompt('consent')).toBeUndefined();
  });
});

describe('checks/max-age', () => {
  it.each([
    ['?max_age=0', 'ok'],
    ['?max_age=3600', 'ok'],
    ['?max_age=-1', 'invalid_request/max_age_invalid'],
    ['?max_age=1.5', 'invalid_request/max_age_invalid'],
    ['?max_age=1e3', 'invalid_request/max_age_invalid'],
    ['?max_age=9999999999', 'invalid_request/max_age_invalid'],
  ])('%s → %s', async (path, outcome) => {
    expect(await at(`/${path}`, (p) => checkMaxAge(p.get('max_age')))).toBe(outcome);
  });
});

describe('checks/response-type', () => {
  it.each([
    ['?response_type=code', 'ok'],
    ['?response_type=code&response_mode=query', 'ok'],
    ['', 'invalid_request/missing_parameter'],
    ['?response_type=token', 'unsupported_response_type/unsupported_response_type'],
    ['?response_type=code%20id_token', 'unsupported_response_type/unsupported_response_type'],
    ['?response_type=code&response_mode=fragment', 'invalid_request/unsupported_response_mode'],
    ['?response_type=code&request=eyJ', 'request_not_supported/request_object_unsupported'],
    ['?response_type=code&request_uri=https://x', 'request_uri_not_supported/request_object_unsupported'],
  ])('%s → %s', async (path, outcome) => {
    expect(await at(`/${path}`, (p) => checkResponseType(p))).toBe(outcome);
  });
});

describe('checks/scope', () => {
  it.each([
    ['?scope=openid', 'ok'],
    ['?scope=openid%20urn:zitadel:iam:org:idp:id:other', 'ok'],
    ['?scope=profile', 'invalid_scope/openid_scope_missing'],
    ['', 'invalid_scope/openid_scope_missing'],
    ['?scope=openid%20urn:zitadel:iam:org:idp:id:legacy%20urn:zitadel:iam:org:idp:id:other', 'invalid_request/idp_scope_ambiguous'],
    ['?scope=openid%20urn:zitadel:iam:org:idp:id:elsewhere', 'invalid_request/idp_not_allowed'],
  ])('%s → %s', async (path, outcome) => {
    expect(await at(`/${path}`, (p) => checkScope(confidential, p.get('scope')))).toBe(outcome);
  });

  it('selects the IdP and keeps only supported scopes', () => {
    expect(checkScope(confidential, 'openid email custom')).toEqual({ scopes: ['openid', 'email'], idp: 'legacy' });
    expect(checkScope(confidential, 'openid urn:zitadel:iam:org:idp:id:other').idp).toBe('other');
  });
});

describe('checks/pkce (RFC 7636)', () => {
  const challenge = 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM';
  it.each([
    [confidential, '', 'ok'],
    [confidential, `?code_challenge=${challenge}&code_challenge_method=S256`, 'ok'],
    [publicClient, '', 'invalid_request/pkce_required'],
    [{ ...confidential, requirePkce: true } as ClientConfig, '', 'invalid_request/pkce_required'],
    [confidential, '?code_challenge_method=S256', 'invalid_request/pkce_invalid'],
    [confidential, `?code_challenge=${challenge}`, 'invalid_request/pkce_method_not_supported'],
    [confidential, `?code_challenge=${challenge}&code_challenge_method=plain`, 'invalid_request/pkce_method_not_supported'],
    [confidential, '?code_challenge=short&code_challenge_method=S256', 'invalid_request/pkce_invalid'],
  ])('%# %s → %s', async (client, path, outcome) => {
    expect(await at(`/${path}`, (p) => checkPkceChallenge(client, p.get('code_challenge'), p.get('code_challenge_method')))).toBe(outcome);
  });

  it('verifies the verifier at /token', async () => {
    const verifier = 'dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';
    expect(await sha256(verifier)).toBe(challenge); // RFC 7636 Appendix B
    const verify = (ch: string | undefined, v: string | undefined) => outcomeOf(() => verifyPkce(ch, v));
    expect(await verify(challenge, verifier)).toBe('ok');
    expect(await verify(undefined, undefined)).toBe('ok');
    expect(await verify(challenge, undefined)).toBe('invalid_grant/pkce_missing_verifier');
    expect(await verify(undefined, verifier)).toBe('invalid_grant/pkce_unexpected_verifier');
    expect(await verify(challenge, 'too-short')).toBe('invalid_grant/pkce_invalid_verifier');
    expect(await verify(challenge, `${verifier.slice(0, -1)}A`)).toBe('invalid_grant/pkce_mismatch');
  });
});

describe('checks/redirect-uri: exact string match', () => {
  it.each(['https://app.example/cb/', 'https://APP.example/cb', 'https://app.example/cb?x=1', 'https://app.example/cb#f', 'https://u@app.example/cb'])(
    '%s does not match',
    (uri) => {
      expect(isRegisteredRedirectUri(confidential, uri)).toBe(false);
    },
  );
  it('the registered value matches', () => {
    expect(isRegisteredRedirectUri(confidential, 'https://app.example/cb')).toBe(true);
  });
});

describe('params', () => {
  it.each([
    ['?a=1&b=2', 'ok'],
    ['?a=1&a=2', 'invalid_request/duplicate_parameter'],
  ])('rejectDuplicates %s → %s', async (path, outcome) => {
    expect(await at(`/${path}`, (p) => p.rejectDuplicates())).toBe(outcome);
  });

  it('never echoes a repeated parameter name in error_description', async () => {
    const { routeApp } = await import('./harness.ts');
    const app = routeApp((c) => {
      query(c).rejectDuplicates();
      return c.text('ok');
    });
    const response = await app.request('/?%3Cscript%3E=1&%3Cscript%3E=2');
    const body = (await response.json()) as { error_description: string };
    expect(body.error_description).not.toContain('script');
    expect(body.error_description).toMatch(/^[\x20\x21\x23-\x5b\x5d-\x7e]*$/);
  });

  it('a required parameter that is absent or empty is missing_parameter', async () => {
    expect(await at('/?x=', (p) => p.require('x'))).toBe('invalid_request/missing_parameter');
    expect(await at('/', (p) => p.require('x'))).toBe('invalid_request/missing_parameter');
  });
});
