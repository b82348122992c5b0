import { validateConfig } from '../../src/config/parse.ts';
import { ConfigError } from '../../src/config/errors.ts';

/** A minimal valid configuration: one identity provider (explicit audiences and trustedProxy), one client. */
export function minimalConfig(): Record<string, any> {
  return {
    issuer: 'https://idp.example.com',
    identityProviders: [
      {
        id: 'legacy',
        issuer: 'https://legacy.example.com',
        keysEndpoint: 'https://legacy.example.com/keys',
        jwtEndpoint: 'https://apps.example.com/jwt',
        audiences: ['bridge'],
        trustedProxy: 'none',
      },
    ],
    clients: [{ clientId: 'app', redirectUris: ['https://app.example.com/cb'], identityProviders: ['legacy'] }],
  };
}

/** The problems `validateConfig` reports for `raw`, as "path: message" (none when it is valid). */
export function configProblems(raw: unknown): string[] {
  try {
    validateConfig(raw);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems.map((p) => `${p.path}: ${p.message}`);
    throw error;
  }
  return [];
}
