/**
 * Every value the bridge generates for a URL, a cookie or a form is WAF-safe (issue #16): none of the OWASP CRS rules
 * that flag opaque values (read from the installed CRS, test/helpers/crs-rules.ts) matches it, at any paranoia level.
 * The same rules do match the base64url values the bridge minted before, so these checks can fail.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { randomToken, TOKEN_PATTERN } from '../../../src/crypto.ts';
import { decodeBase62, encodeBase62 } from '../../../src/encoding/base62.ts';
import { createSealer } from '../../../src/keys/sealing-keys.ts';
import { createAuthRequests, MAX_SEALED_LENGTH, type PendingAuthRequest } from '../../../src/oidc/flow/auth-requests.ts';
import { PARAM_LIMITS } from '../../../src/oidc/params.ts';
import { createCodes } from '../../../src/oidc/flow/codes.ts';
import { createRefreshTokens } from '../../../src/oidc/tokens/refresh-tokens.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';
import { hasCrs, loadCrsRules, type CrsRule } from '../../helpers/crs-rules.ts';

/** Rules on ARGS (query and form values) and on cookies that can fire on an opaque value, PL1 to PL4. */
const ARGS_RULES = ['942440', '942450', '942430', '942431', '942432', '942460', '920273', '933150'] as const;
const COOKIE_RULES = ['942440', '942450', '942420', '942421', '933150'] as const;
const RUNS = 2_000;

function hits(rules: CrsRule[], value: string): string[] {
  return rules.filter((rule) => rule.matches(value)).map((rule) => rule.id);
}

describe('base62 (src/encoding/base62.ts)', () => {
  it('round-trips any bytes, alphanumeric only, at most 3 % longer than base64url', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
        const text = encodeBase62(bytes);
        expect(text).toMatch(/^[0-9A-Za-z]*$/);
        expect(decodeBase62(text)).toEqual(bytes);
        expect(text.length).toBeLessThanOrEqual(Math.ceil((bytes.length * 4) / 3) * 1.04 + 2);
      }),
    );
  });

  it('decodes strictly: one text per byte string', () => {
    expect(decodeBase62('0')).toBeUndefined(); // no block is one character long
    expect(decodeBase62('0000')).toBeUndefined();
    expect(decodeBase62('zz')).toBeUndefined(); // 3843 > 255
    expect(decodeBase62('zzzzzzzzzzz')).toBeUndefined(); // > 2^64
    expect(decodeBase62('4_')).toBeUndefined();
    expect(decodeBase62('47')).toEqual(Uint8Array.of(255));
  });
});

describe.skipIf(!hasCrs)('generated values against the installed OWASP CRS rules', () => {
  const args = hasCrs ? loadCrsRules(ARGS_RULES) : [];
  const cookies = hasCrs ? loadCrsRules(COOKIE_RULES) : [];

  it('reads the rules as ModSecurity runs them (paranoia levels as tagged)', () => {
    expect(Object.fromEntries(args.map((rule) => [rule.id, rule.paranoiaLevel]))).toEqual({
      '942440': 2,
      '942450': 2,
      '942430': 2,
      '942431': 3,
      '942432': 4,
      '942460': 3,
      '920273': 4,
      '933150': 1,
    });
    expect(hits(args, 'ab--cd-ef')).toContain('942440');
    expect(hits(args, 'a-b-c')).toContain('942432');
    expect(hits(cookies, 'a-b-c-d')).toContain('942421');
    expect(hits(args, 'openid urn:zitadel:iam:org:idp:id:legacy')).toEqual(expect.arrayContaining(['942431', '942432', '920273']));
    expect(hits(args, '0x1234')).toContain('942450');
  });

  it('the old base64url values were flagged at random (so this test can fail)', () => {
    const old = Array.from({ length: RUNS }, () => Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString('base64url'));
    const flagged = old.filter((value) => hits(args, value).length > 0);
    expect(flagged.length).toBeGreaterThan(RUNS / 10);
  });

  it('randomToken (codes, completion values, binding cookies, device codes, client secrets) is never flagged', () => {
    for (let i = 0; i < RUNS; i++) {
      for (const value of [randomToken(), randomToken(16)]) {
        expect(hits(args, value), value).toEqual([]);
        expect(hits(cookies, value), value).toEqual([]);
      }
    }
    expect(randomToken()).toMatch(TOKEN_PATTERN);
  });

  it('codes and refresh tokens, as issued, are never flagged', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 2));
    const store = createMemoryStore({ clock });
    const codes = createCodes(store, { ttlMs: 60_000, reuseWindowMs: 60_000, clock });
    const refresh = createRefreshTokens(store, clock);
    const grant = { clientId: 'c', userId: 'u', idp: 'legacy', scopes: ['openid'], sid: 's', grantId: 'g', authTime: 0 };
    for (let i = 0; i < 200; i++) {
      const code = await codes.issue({ ...grant, redirectUri: 'https://app.example/cb', issuedAt: clock.now() });
      const token = await refresh.issue(grant, { idleSeconds: 60, absoluteSeconds: 600 });
      expect(hits(args, code), code).toEqual([]);
      expect(hits(args, token), token).toEqual([]);
    }
  });

  it('the sealed authRequestID is never flagged, whatever the client put into it (property)', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 2));
    const store = createMemoryStore({ clock });
    const requests = createAuthRequests(store, createSealer({ store, clock, retainMs: 600_000 }), 600_000, clock);
    const printable = fc.string({ unit: 'binary', maxLength: 300 });
    await fc.assert(
      fc.asyncProperty(printable, printable, fc.webUrl(), async (state, nonce, redirectUri) => {
        const record: PendingAuthRequest = {
          id: requests.newId(),
          clientId: 'web-app',
          redirectUri,
          state,
          nonce,
          scopes: ['openid', 'urn:zitadel:iam:org:idp:id:legacy'],
          codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
          idp: 'legacy',
          bindingHash: 'x--y',
          createdAt: clock.now(),
        };
        const sealed = await requests.seal(record);
        expect(hits(args, sealed)).toEqual([]);
        expect(await requests.open(sealed)).toEqual(record);
      }),
      { numRuns: 500 },
    );
  });
});

describe('authRequestID length', () => {
  it('every parameter at its limit still gives an authRequestID that opens, within MAX_SEALED_LENGTH and an 8 KB request line', async () => {
    const clock = createManualClock(Date.UTC(2026, 11, 2));
    const store = createMemoryStore({ clock });
    const requests = createAuthRequests(store, createSealer({ store, clock, retainMs: 600_000 }), 600_000, clock);
    const record: PendingAuthRequest = {
      id: requests.newId(),
      clientId: 'c'.repeat(PARAM_LIMITS.client_id!),
      redirectUri: `https://a/${'p'.repeat(PARAM_LIMITS.redirect_uri! - 10)}`,
      state: 's'.repeat(PARAM_LIMITS.state!),
      nonce: 'n'.repeat(PARAM_LIMITS.nonce!),
      scopes: ['o'.repeat(PARAM_LIMITS.scope!)],
      codeChallenge: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      idp: 'legacy',
      prompt: 'login',
      maxAge: 3600,
      bindingHash: 'E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM',
      createdAt: clock.now(),
    };
    const sealed = await requests.seal(record);
    expect(sealed.length).toBeLessThanOrEqual(MAX_SEALED_LENGTH);
    expect(sealed.length + 'GET https://apps.example.com/existing/auth-new?authRequestID= HTTP/1.1'.length).toBeLessThan(8190);
    expect(await requests.open(sealed)).toEqual(record);
  });
});
