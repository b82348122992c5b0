import { describe, expect, it } from 'vitest';
import { duration } from '../../../src/legacy/claim-checks.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { boundClaimMatches, globMatch, mapClaims, readClaim } from '../../../src/legacy/index.ts';

describe('readClaim (claim name or RFC 6901 JSON Pointer)', () => {
  const claims = {
    division: 'North America',
    groups: { primary: 'Engineering', secondary: 'Software' },
    'a/b': 'top-level slash',
    odd: { 'a/b': 'slash', 'm~n': 'tilde', '': 'empty key', list: ['x', 'y'] },
    '/not-a-pointer': 'literal',
  };

  it.each([
    ['division', 'North America'],
    ['a/b', 'top-level slash'],
    ['/division', 'North America'],
    ['/groups/primary', 'Engineering'],
    ['/odd/a~1b', 'slash'],
    ['/odd/m~0n', 'tilde'],
    ['/odd/', 'empty key'],
    ['/odd/list/1', 'y'],
    ['/odd/list/2', undefined],
    ['/odd/list/01', undefined],
    ['/odd/list/-', undefined],
    ['/odd/m~2n', undefined],
    ['/groups/primary/deeper', undefined],
    ['/missing/x', undefined],
    ['/__proto__', undefined],
    ['/groups/constructor', undefined],
    ['toString', undefined],
  ])('%s → %j', (selector, expected) => {
    expect(readClaim(claims, selector)).toEqual(expected);
  });
});

describe('globMatch', () => {
  it.each([
    ['*@example.com', 'fred@example.com', true],
    ['*@example.com', '@example.com', true],
    ['*@example.com', 'fred@example.com.evil', false],
    ['fred@*', 'fred@', true],
    ['a*b*c', 'aXXbYYc', true],
    ['a*b*c', 'abc', true],
    ['a*b*c', 'acb', false],
    ['*', '', true],
    ['', '', true],
    ['', 'x', false],
    ['a.c', 'abc', false],
    ['a?c', 'abc', false],
    ['a?c', 'a?c', true],
    ['[ab]', 'a', false],
    ['(x|y)+', '(x|y)+', true],
    ['exact', 'EXACT', false],
  ] as const)('%j vs %j → %s', (pattern, value, expected) => {
    expect(globMatch(pattern, value)).toBe(expected);
  });

  it('does at most O(pattern × value) work on hostile patterns (counted, not timed)', () => {
    // Character reads through a Proxy: globMatch only reads `.length` and indexes. A backtracking regex or a
    // recursive matcher would read exponentially many times on `*a*a…*b` against `aaaa…`.
    let reads = 0;
    const counted = (text: string) =>
      new Proxy(new String(text), {
        get(target, key) {
          if (typeof key === 'string' && /^\d+$/.test(key)) reads++;
          return key === 'length' ? target.length : Reflect.get(target, key);
        },
      }) as unknown as string;
    // A naive recursive matcher makes ~10 million reads on the small case (bound 930) and never ends on the large one.
    for (const [stars, length] of [
      [6, 30],
      [30, 5000],
    ] as const) {
      reads = 0;
      const pattern = `${'*a'.repeat(stars)}*b`;
      const value = 'a'.repeat(length);
      expect(globMatch(counted(pattern), counted(value))).toBe(false);
      expect(reads).toBeGreaterThan(value.length); // the counter sees the reads
      expect(reads).toBeLessThanOrEqual(2 * (pattern.length + 1) * (value.length + 1));
    }
  });
});

describe('boundClaimMatches (Vault semantics)', () => {
  it.each([
    ['exact string', 'Engineering', 'Engineering', false, true],
    ['list: any of', ['a', 'b'], 'b', false, true],
    ['array claim: any element', 'admin', ['reader', 'admin'], false, true],
    ['array claim and list', ['x', 'admin'], ['reader', 'admin'], false, true],
    ['number exact', 3, 3, false, true],
    ['number vs string', 3, '3', false, false],
    ['string vs number', '3', 3, false, false],
    ['boolean', true, true, false, true],
    ['null claim', 'x', null, false, false],
    ['object claim', 'x', { x: 'x' }, false, false],
    ['glob on', '*.example.com', 'a.example.com', true, true],
    ['glob off keeps * literal', '*.example.com', 'a.example.com', false, false],
    ['glob on, literal *', '*.example.com', '*.example.com', false, true],
  ] as const)('%s', (_name, expected, actual, glob, result) => {
    expect(boundClaimMatches(expected as never, actual, glob)).toBe(result);
  });
});

describe('mapClaims', () => {
  it('copies present values by claim name or JSON Pointer, skipping absent and null ones', () => {
    const profile = mapClaims(
      { email: 'a@example.com', name: null, org: { dept: { name: 'R&D' } }, roles: ['x'] },
      { email: 'email', name: 'name', department: '/org/dept/name', groups: 'roles', nickname: 'nick' },
    );
    expect(profile).toEqual({ email: 'a@example.com', department: 'R&D', groups: ['x'] });
  });

  it('a profile field named __proto__ stays a plain property', () => {
    const profile = mapClaims({ email: { polluted: true } }, JSON.parse('{"__proto__": "email"}'));
    expect(Object.getPrototypeOf(profile)).toBe(Object.prototype);
    expect(Object.hasOwn(profile, '__proto__')).toBe(true);
    expect((profile as { polluted?: boolean }).polluted).toBeUndefined();
  });

  it('copies values, not references', () => {
    const claims = { roles: ['a'] };
    const profile = mapClaims(claims, { groups: 'roles' });
    (profile.groups as string[]).push('b');
    expect(claims.roles).toEqual(['a']);
  });
});

describe('mapClaims: standard claims are typed (OIDC Core §5.1, #9.10)', () => {
  const capture = () => {
    const events: Record<string, unknown>[] = [];
    const at = (level: string) => (fields: Record<string, unknown>) => void events.push({ level, ...fields });
    const log: Logger = { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error'), child: () => log };
    return { events, drop: { idpId: 'legacy', log } };
  };
  const all = {
    email_verified: 'email_verified',
    phone_number_verified: 'phone_number_verified',
    updated_at: 'updated_at',
    groups: 'groups',
    email: 'email',
    name: 'name',
    address: 'address',
    custom: 'custom',
  };

  it('keeps well-typed values and coerces "true"/"false" and a single group string', () => {
    const { events, drop } = capture();
    const profile = mapClaims(
      {
        email_verified: 'true',
        phone_number_verified: false,
        updated_at: 1700000000,
        groups: 'admins',
        email: 'a@example.com',
        name: 'A',
        address: { country: 'DE' },
        custom: 7,
      },
      all,
      drop,
    );
    expect(profile).toEqual({
      email_verified: true,
      phone_number_verified: false,
      updated_at: 1700000000,
      groups: ['admins'],
      email: 'a@example.com',
      name: 'A',
      address: { country: 'DE' },
      custom: 7,
    });
    expect(mapClaims({ email_verified: 'false', groups: ['a', 1, null, 'b', { x: 1 }] }, all, drop)).toEqual({ email_verified: false, groups: ['a', 'b'] });
    expect(events).toEqual([]);
  });

  it('drops ill-typed values and logs the claim name and expected type, never the value', () => {
    const { events, drop } = capture();
    const profile = mapClaims(
      {
        email_verified: 'yes',
        phone_number_verified: 1,
        updated_at: '1700000000',
        groups: { admin: true },
        email: ['secret-a@example.com'],
        name: 42,
        address: 'Main St 1',
      },
      all,
      drop,
    );
    expect(profile).toEqual({});
    expect(events.map((e) => [e.event, e.claim, e.expected])).toEqual([
      ['legacy.claim_dropped', 'email_verified', 'boolean'],
      ['legacy.claim_dropped', 'phone_number_verified', 'boolean'],
      ['legacy.claim_dropped', 'updated_at', 'number'],
      ['legacy.claim_dropped', 'groups', 'string array'],
      ['legacy.claim_dropped', 'email', 'string'],
      ['legacy.claim_dropped', 'name', 'string'],
      ['legacy.claim_dropped', 'address', 'object'],
    ]);
    expect(events.every((e) => e.idp === 'legacy' && e.level === 'warn')).toBe(true);
    expect(JSON.stringify(events)).not.toContain('secret-a@example.com');
    expect(JSON.stringify(events)).not.toContain('Main St');
  });
});

describe('duration', () => {
  it.each([
    [0, '0s'],
    [42, '42s'],
    [180, '3m'],
    [252, '4m 12s'],
    [3600, '1h'],
    [3631, '1h 0m 31s'],
    [7260, '2h 1m'],
    [90000, '1d 1h'],
  ])('%d → %s', (seconds, text) => {
    expect(duration(seconds)).toBe(text);
  });
});
