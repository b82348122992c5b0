import { invalidRequest } from '../errors.ts';

/**
 * `state` is 1*VSCHAR (RFC 6749 Appendix A.5); `nonce` is held to the same, since both are echoed back verbatim
 * (in the redirect, in the ID token). Anything else is refused rather than mangled.
 */
export function checkEchoedValue(name: 'state' | 'nonce', value: string | undefined): string | undefined {
  if (value !== undefined && !/^[\x20-\x7e]+$/.test(value)) throw invalidRequest(`${name} must be printable ASCII`, 'invalid_request');
  return value;
}
