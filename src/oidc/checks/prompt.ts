import { invalidRequest } from '../errors.ts';

const PROMPTS = new Set(['none', 'login', 'consent', 'select_account']);

/**
 * OIDC Core §3.1.2.1 `prompt`: space-separated known values; `none` stands alone. Returns what the flow acts on:
 * `none` (no interaction), `login` (refused by the caller: the legacy app cannot be made to re-authenticate),
 * or undefined (consent and select_account need nothing from a first-party bridge).
 */
export function checkPrompt(value: string | undefined): 'none' | 'login' | undefined {
  if (value === undefined) return undefined;
  const prompts = value.split(' ').filter(Boolean);
  if (!prompts.every((p) => PROMPTS.has(p))) throw invalidRequest('unsupported prompt value', 'prompt_invalid');
  if (prompts.includes('none') && prompts.length > 1) throw invalidRequest('prompt=none cannot be combined with other values', 'prompt_invalid');
  if (prompts.includes('none')) return 'none';
  return prompts.includes('login') ? 'login' : undefined;
}
