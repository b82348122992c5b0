/**
 * The OWASP CRS rules that flag opaque values, read from the installed rule set (Debian modsecurity-crs:
 * /usr/share/modsecurity-crs/rules; CRS_RULES=DIR for another copy), so unit tests check generated values against the
 * very patterns ModSecurity runs, without ModSecurity. Only what these rules need: `@rx` (PCRE written so that
 * JavaScript reads it the same: `(?i:…)` groups, classes, lazy quantifiers), `@validateByteRange`, `@pmFromFile`.
 */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export const CRS_RULES_DIR = process.env.CRS_RULES ?? '/usr/share/modsecurity-crs/rules';
export const hasCrs = existsSync(join(CRS_RULES_DIR, 'REQUEST-942-APPLICATION-ATTACK-SQLI.conf')) || process.env.CI === 'true';

export interface CrsRule {
  id: string;
  /** The rule's variables, e.g. `ARGS_NAMES|ARGS|XML:/*`. */
  targets: string;
  paranoiaLevel: number;
  matches(value: string): boolean;
}

function ruleSource(): string {
  return readdirSync(CRS_RULES_DIR)
    .filter((name) => /^REQUEST-9\d\d-.*\.conf$/.test(name))
    .map((name) => readFileSync(join(CRS_RULES_DIR, name), 'utf8'))
    .join('\n')
    .replace(/\\\n/g, '');
}

function byteRange(spec: string): (value: string) => boolean {
  const ranges = spec.split(',').map((part) => part.split('-').map(Number) as [number, number?]);
  return (value) =>
    [...new TextEncoder().encode(value)].some((byte) => !ranges.some(([low, high]) => (high === undefined ? byte === low : byte >= low && byte <= high)));
}

/** The rules with these ids, as matchers of one (already URL-decoded) value. */
export function loadCrsRules(ids: readonly string[]): CrsRule[] {
  const source = ruleSource();
  return ids.map((id) => {
    const found = new RegExp(`SecRule\\s+(\\S+)\\s+"@(rx|validateByteRange|pmFromFile) ((?:[^"\\\\]|\\\\.)*)"\\s+"id:${id},([^"]*)"`).exec(source);
    if (!found) throw new Error(`CRS rule ${id} not found in ${CRS_RULES_DIR}`);
    const [, targets, operator, argument, actions] = found as unknown as [string, string, string, string, string];
    const paranoiaLevel = Number(/tag:'paranoia-level\/(\d)'/.exec(actions)?.[1] ?? 1);
    const lowercase = /t:lowercase/.test(actions);
    let matches: (value: string) => boolean;
    if (operator === 'rx') {
      const regex = new RegExp(argument.replace(/\\"/g, '"'));
      matches = (value) => regex.test(lowercase ? value.toLowerCase() : value);
    } else if (operator === 'validateByteRange') {
      matches = byteRange(argument);
    } else {
      const phrases = readFileSync(join(CRS_RULES_DIR, argument), 'utf8')
        .split('\n')
        .map((line) => line.trim().toLowerCase())
        .filter((line) => line && !line.startsWith('#'));
      matches = (value) => phrases.some((phrase) => value.toLowerCase().includes(phrase));
    }
    return { id, targets, paranoiaLevel, matches };
  });
}
