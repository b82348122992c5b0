import type { ConfigProblem } from './errors.ts';
import { formatPath } from './errors.ts';

/**
 * Replaces `${VAR}` in every string value from `env`. A missing variable is a problem naming both the
 * variable and the key path where it was used; `$${VAR}` stays literal as `${VAR}`.
 */
export function interpolate(value: unknown, env: Record<string, string | undefined>, problems: ConfigProblem[], path: PropertyKey[] = []): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$?\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (match, name: string) => {
      if (match.startsWith('$$')) return match.slice(1);
      const replacement = env[name];
      if (replacement === undefined) {
        problems.push({ path: formatPath(path), message: `environment variable ${name} is not set` });
        return match;
      }
      return replacement;
    });
  }
  if (Array.isArray(value)) return value.map((item, i) => interpolate(item, env, problems, [...path, i]));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolate(item, env, problems, [...path, key])]));
  }
  return value;
}
