/**
 * User codes (RFC 8628 §6.1): 8 characters from 20 consonants without look-alikes (no vowels, so no words; no I/O/U,
 * no digits), about 34.6 bits, shown as XXXX-XXXX and accepted in any case, with or without dashes and spaces.
 */
export const USER_CODE_ALPHABET = 'BCDFGHJKLMNPQRSTVWXZ';
const LENGTH = 8;
const CANONICAL = new RegExp(`^[${USER_CODE_ALPHABET}]{${LENGTH}}$`);

/** A new user code in canonical form (8 letters, no dash). Rejection sampling keeps every letter equally likely. */
export function newUserCode(): string {
  let code = '';
  while (code.length < LENGTH) {
    for (const byte of crypto.getRandomValues(new Uint8Array(16))) {
      // 240 = 12 × 20: bytes above it would favour the first letters.
      if (byte < 240 && code.length < LENGTH) code += USER_CODE_ALPHABET[byte % 20];
    }
  }
  return code;
}

/** How the code is shown: XXXX-XXXX. */
export const displayUserCode = (code: string) => `${code.slice(0, 4)}-${code.slice(4)}`;

/** What a person typed, in canonical form; undefined when it cannot be a user code at all. */
export function normalizeUserCode(typed: string | undefined): string | undefined {
  if (typed === undefined || typed.length > 32) return undefined;
  const code = typed.toUpperCase().replace(/[\s-]/g, '');
  return CANONICAL.test(code) ? code : undefined;
}
