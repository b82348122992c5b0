import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runTokenVerify } from '../../../src/cli/token-verify.ts';
import { createManualClock } from '../../../src/clock.ts';
import type { Config } from '../../../src/config/schema.ts';
import { legacyTestConfig, startLegacyIssuer, type LegacyIssuer } from '../../helpers/legacy-issuer.ts';

const clock = createManualClock(Date.UTC(2030, 2, 3, 4, 5, 6));
const now = () => Math.floor(clock.now() / 1000);
let issuer: LegacyIssuer;
let config: Config;

beforeAll(async () => {
  issuer = await startLegacyIssuer({ alg: 'ES256', clock });
  config = legacyTestConfig(issuer, { boundClaims: { tenant: 'acme' }, claimMappings: { email: 'email', team: '/org/team' } });
});
afterAll(() => issuer.close());

async function run(token: string, idpId = 'legacy') {
  const lines: string[] = [];
  const code = await runTokenVerify({ config, idpId, token, clock, out: (line) => lines.push(line) });
  const checks = lines.filter((line) => /^(PASS|FAIL) /.test(line)).map((line) => line.split(/\s+/).slice(0, 2).join(' '));
  return { code, lines, checks, text: lines.join('\n') };
}

describe('token verify', () => {
  it('prints every check, the mapped profile and the result for a good token', async () => {
    const token = await issuer.mint({ sub: 'alice', tenant: 'acme', email: 'alice@example.com', org: { team: 'blue' } });
    const { code, lines, checks, text } = await run(`  ${token}\n`);
    expect(code).toBe(0);
    expect(checks).toEqual([
      'PASS token',
      'PASS format',
      'PASS alg',
      'PASS header',
      'PASS key',
      'PASS signature',
      'PASS iss',
      'PASS aud',
      'PASS exp',
      'PASS iat',
      'PASS sub',
      'PASS claim:tenant',
    ]);
    expect(lines).toContain('profile  {"email":"alice@example.com","team":"blue"}');
    expect(lines.at(-1)).toBe('RESULT  accepted (sub=alice)');
    expect(text).toMatch(/expires in 5m/);
    expect(text).not.toContain(token);
    expect(text).not.toContain(token.split('.')[2]);
    expect(text).toMatch(/^token {2}sha256 [0-9a-f]{8}, \d+ chars$/m);
  });

  it('stops at the failing check and explains the reason for an expired token', async () => {
    const token = await issuer.mint({ sub: 'alice', tenant: 'acme', iat: now() - 900, exp: now() - 300 });
    const { code, lines, checks, text } = await run(token);
    expect(code).toBe(1);
    expect(checks).toEqual(['PASS token', 'PASS format', 'PASS alg', 'PASS header', 'PASS key', 'PASS signature', 'PASS iss', 'PASS aud', 'FAIL exp']);
    expect(lines.at(-1)).toMatch(/^RESULT {2}rejected: expired — the token is past its exp/);
    expect(text).toMatch(/expired 5m ago/);
    expect(text).not.toContain(token);
  });

  it.each([
    ['a failing bound claim', () => issuer.mint({ sub: 'alice', tenant: 'other' }), 'claim_mismatch', 'FAIL claim:tenant'],
    ['alg none', () => Promise.resolve(`${b64({ alg: 'none' })}.${b64({ sub: 'x' })}.`), 'alg_not_allowed', 'FAIL alg'],
    ['an empty paste', () => Promise.resolve('   '), 'token_missing', 'FAIL token'],
  ])('rejects %s with its reason', async (_name, make, reason, lastCheck) => {
    const { code, lines, checks } = await run(await make());
    expect(code).toBe(1);
    expect(checks.at(-1)).toBe(lastCheck);
    expect(lines.at(-1)).toMatch(new RegExp(`^RESULT  rejected: ${reason} — .+`));
  });

  it('names the header for a missing token', async () => {
    const { lines } = await run('');
    expect(lines.at(-1)).toMatch(/the WAF did not add the header x-custom-tkn/);
  });

  it('an unknown IdP lists the known ones and exits 2', async () => {
    const { code, lines } = await run(await issuer.mint({ sub: 'alice' }), 'nope');
    expect(code).toBe(2);
    expect(lines).toEqual(['unknown identity provider "nope"; known: legacy']);
  });
});

function b64(value: object): string {
  return Buffer.from(JSON.stringify(value)).toString('base64url');
}

describe('token verify: the typ check (#9.3)', () => {
  it('shows typ as a check when types is set, and the type_not_allowed reason with a hint', async () => {
    const typed = legacyTestConfig(issuer, { types: ['application/JWT'] });
    const lines: string[] = [];
    const code = await runTokenVerify({ config: typed, idpId: 'legacy', token: await issuer.mint({ sub: 'alice' }), clock, out: (line) => lines.push(line) });
    expect(code).toBe(0);
    expect(lines).toContainEqual(expect.stringMatching(/^PASS\s+typ\s+"JWT" \(allowed: application\/JWT\)$/));

    const rejected: string[] = [];
    const token = await issuer.mint({ sub: 'alice' }, { header: { typ: 'at+jwt' } });
    expect(await runTokenVerify({ config: typed, idpId: 'legacy', token, clock, out: (line) => rejected.push(line) })).toBe(1);
    expect(rejected).toContainEqual(expect.stringMatching(/^FAIL\s+typ\s+"at\+jwt" is not allowed \(allowed: application\/JWT\)$/));
    expect(rejected.at(-1)).toMatch(/^RESULT {2}rejected: type_not_allowed — the token's typ header must be one of identityProviders\[legacy\]\.types/);
  });

  it('a dropped claim is logged by the verifier with the request logger', async () => {
    const { createLegacyVerifier } = await import('../../../src/legacy/index.ts');
    const events: Record<string, unknown>[] = [];
    const log = { debug: () => {}, info: () => {}, warn: (f: Record<string, unknown>) => void events.push(f), error: () => {}, child: () => log };
    const verifier = createLegacyVerifier(legacyTestConfig(issuer).identityProviders[0]!, { clock, logger: log as never });
    const result = await verifier.verifyToken(await issuer.mint({ sub: 'alice', email_verified: 'maybe', email: 'alice@example.com' }));
    expect(result.ok && result.profile).toEqual({ email: 'alice@example.com' });
    expect(events).toEqual([{ event: 'legacy.claim_dropped', idp: 'legacy', claim: 'email_verified', expected: 'boolean' }]);
  });
});
