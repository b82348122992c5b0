import type { IdentityProviderConfig } from '../config/schema.ts';
import { readClaim } from './rules.ts';

/**
 * Builds the user profile from the verified claims: profile field → claim name or JSON Pointer.
 * Only present values are copied (absent and null claims are skipped, OIDC Core §5.3.2); a missing claim
 * does not reject the login — `boundClaims` is the tool for requiring one.
 */
export function mapClaims(claims: Record<string, unknown>, mappings: IdentityProviderConfig['claimMappings']): Record<string, unknown> {
  const profile: Record<string, unknown> = {};
  for (const [field, selector] of Object.entries(mappings)) {
    const value = readClaim(claims, selector);
    if (value === undefined || value === null) continue;
    // defineProperty: a field named "__proto__" must become a plain property, not a prototype.
    Object.defineProperty(profile, field, { value: structuredClone(value), enumerable: true, writable: true, configurable: true });
  }
  return profile;
}
