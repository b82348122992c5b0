import type { IdentityProviderConfig } from '../config/schema.ts';
import type { Logger } from '../observability/logger.ts';
import { readClaim } from './rules.ts';

type ClaimType = 'string' | 'boolean' | 'number' | 'string array' | 'object';

/** The types of the standard claims (OIDC Core §5.1); profile fields not listed here are copied as they are. */
const STANDARD_CLAIM_TYPES: Record<string, ClaimType> = {
  name: 'string',
  given_name: 'string',
  family_name: 'string',
  middle_name: 'string',
  nickname: 'string',
  preferred_username: 'string',
  profile: 'string',
  picture: 'string',
  website: 'string',
  email: 'string',
  email_verified: 'boolean',
  gender: 'string',
  birthdate: 'string',
  zoneinfo: 'string',
  locale: 'string',
  phone_number: 'string',
  phone_number_verified: 'boolean',
  address: 'object',
  updated_at: 'number',
  groups: 'string array',
};

/** The value in its expected type, or undefined when it cannot be one (then the field is dropped). */
function coerce(value: unknown, type: ClaimType): unknown {
  switch (type) {
    case 'string':
      return typeof value === 'string' ? value : undefined;
    case 'boolean':
      // Some legacy issuers send "true"/"false"; anything else is not a boolean.
      return typeof value === 'boolean' ? value : value === 'true' ? true : value === 'false' ? false : undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value : undefined;
    case 'string array':
      if (typeof value === 'string') return [value];
      return Array.isArray(value) ? value.filter((member): member is string => typeof member === 'string') : undefined;
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  }
}

/**
 * Builds the user profile from the verified claims: profile field → claim name or JSON Pointer.
 * Only present values are copied (absent and null claims are skipped, OIDC Core §5.3.2); a missing claim
 * does not reject the login — `boundClaims` is the tool for requiring one. Standard claims get their §5.1 type;
 * a value that does not fit is dropped and logged (`legacy.claim_dropped`, name and expected type, never the value).
 */
export function mapClaims(
  claims: Record<string, unknown>,
  mappings: IdentityProviderConfig['claimMappings'],
  drop?: { idpId: string; log: Logger },
): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const [field, selector] of Object.entries(mappings)) {
    const raw = readClaim(claims, selector);
    if (raw === undefined || raw === null) continue;
    const type = Object.hasOwn(STANDARD_CLAIM_TYPES, field) ? STANDARD_CLAIM_TYPES[field] : undefined;
    const value = type ? coerce(raw, type) : raw;
    if (value === undefined) {
      drop?.log.warn({ event: 'legacy.claim_dropped', idp: drop.idpId, claim: field, expected: type });
      continue;
    }
    // defineProperty: a field named "__proto__" must become a plain property, not a prototype.
    Object.defineProperty(profile, field, { value: structuredClone(value), enumerable: true, writable: true, configurable: true });
  }
  return profile;
}
