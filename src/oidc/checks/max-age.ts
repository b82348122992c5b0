import { invalidRequest } from '../errors.ts';

/** OIDC Core §3.1.2.1 `max_age`: a non-negative integer number of seconds. */
export function checkMaxAge(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,9}$/.test(value)) throw invalidRequest('max_age must be a non-negative integer', 'max_age_invalid');
  return Number(value);
}
