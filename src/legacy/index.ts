export { createLegacyVerifier, type LegacyVerifier, type LegacyVerifierDeps } from './verifier.ts';
export { LEGACY_REASONS, type LegacyReason, type LegacyVerification, type VerificationCheck } from './reasons.ts';
export { MAX_TOKEN_BYTES } from './header.ts';
export { mapClaims } from './claim-mapping.ts';
export { boundClaimMatches, globMatch, readClaim } from './rules.ts';
export { createKeySource, createKeySourceFor } from './key-source.ts';
export { KeySourceError, type KeySource, type KeyQuery, type ResolvedKeys } from './key-set.ts';
