/** Profile claims released per scope (OIDC Core §5.4, plus `groups`). */
export const SCOPE_CLAIMS: Record<string, readonly string[]> = {
  profile: [
    'name',
    'given_name',
    'family_name',
    'middle_name',
    'nickname',
    'preferred_username',
    'profile',
    'picture',
    'website',
    'gender',
    'birthdate',
    'zoneinfo',
    'locale',
    'updated_at',
  ],
  email: ['email', 'email_verified'],
  groups: ['groups'],
};

export const SUPPORTED_CLAIMS = ['sub', 'iss', 'aud', 'exp', 'iat', 'auth_time', 'nonce', 'azp', 'sid', 'amr', ...Object.values(SCOPE_CLAIMS).flat()];

/** The profile claims the granted scopes allow; absent values are left out. */
export function claimsForScopes(profile: Record<string, unknown>, scopes: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const scope of scopes) {
    for (const claim of SCOPE_CLAIMS[scope] ?? []) {
      if (profile[claim] !== undefined && profile[claim] !== null) out[claim] = profile[claim];
    }
  }
  return out;
}
