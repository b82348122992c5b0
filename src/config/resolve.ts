import { configSchema, type Config } from './schema.ts';
import { ConfigError, formatPath, type ConfigProblem } from './errors.ts';
import { interpolate } from './interpolate.ts';

/**
 * The text-format-free half of configuration loading: interpolates `${VAR}` from `env` into an already-parsed
 * document and validates it. No YAML import, so the Worker (JSON config) can use it without bundling a YAML parser.
 * Throws ConfigError listing every problem at once.
 */
export function resolveConfig(raw: unknown, env: Record<string, string | undefined> = {}): Config {
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) {
    throw new ConfigError([{ path: '', message: 'must be a mapping (an object at the top level)' }]);
  }
  const problems: ConfigProblem[] = [];
  const interpolated = interpolate(raw, env, problems);
  try {
    const config = validateConfig(interpolated);
    if (problems.length) throw new ConfigError(problems);
    return config;
  } catch (error) {
    if (!(error instanceof ConfigError) || !problems.length) throw error;
    const seen = new Set(problems.map((p) => p.path));
    throw new ConfigError([...problems, ...error.problems.filter((p) => !seen.has(p.path))]);
  }
}

/** Validates an already-parsed configuration object. */
export function validateConfig(raw: unknown): Config {
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  throw new ConfigError(result.error.issues.map((issue) => ({ path: formatPath(issue.path), message: describeIssue(issue) })));
}

function describeIssue(issue: { code: string; message: string; keys?: string[]; expected?: unknown }): string {
  switch (issue.code) {
    case 'unrecognized_keys':
      return `unknown key${issue.keys && issue.keys.length > 1 ? 's' : ''} ${issue.keys?.map((k) => `"${k}"`).join(', ')}`;
    case 'invalid_type': {
      // zod reports "expected X, received Y"; it does not keep the input itself.
      const received = /received (\w+)/.exec(issue.message)?.[1];
      const expected = String(issue.expected);
      return received === 'undefined' ? `is required (${expected})` : `must be ${article(expected)}${received ? ` (got ${received})` : ''}`;
    }
    default:
      return issue.message;
  }
}

function article(type: string): string {
  return /^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`;
}
