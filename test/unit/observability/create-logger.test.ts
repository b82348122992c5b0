import { describe, expect, it } from 'vitest';
import { validateConfig } from '../../../src/config/parse.ts';
import { createLogger, type LoggerOptions } from '../../../src/observability/create-logger.ts';
import { silentLogger } from '../../../src/observability/logger.ts';

describe('createLogger (the one logger factory of every entry)', () => {
  it('takes the level and the secret-bearing header names from the config, and passes extra options through', () => {
    const config = validateConfig({
      issuer: 'https://accounts.example.com',
      logging: { level: 'debug' },
      identityProviders: [
        {
          id: 'a',
          issuer: 'https://a.example',
          keysEndpoint: 'https://a.example/keys',
          jwtEndpoint: 'https://apps.example.com/a',
          headerName: 'x-a-tkn',
          audiences: ['bridge'],
          trustedProxy: { sharedSecret: 'waf-secret-0123456789abcdef', sharedSecretHeader: 'x-waf-a' },
        },
        {
          id: 'b',
          issuer: 'https://b.example',
          keysEndpoint: 'https://b.example/keys',
          jwtEndpoint: 'https://apps.example.com/b',
          headerName: 'x-b-tkn',
          allowAnyAudience: true,
          trustedProxy: 'none',
        },
      ],
    });
    const seen: (LoggerOptions & { sink?: string })[] = [];
    createLogger((options: LoggerOptions & { sink?: string }) => (seen.push(options), silentLogger), config, { sink: 'mine' });
    expect(seen).toEqual([{ level: 'debug', extraHeaders: ['x-a-tkn', 'x-waf-a', 'x-b-tkn'], sink: 'mine' }]);
  });

  it('takes a bare level before any configuration could be read', () => {
    const seen: LoggerOptions[] = [];
    createLogger((options) => (seen.push(options), silentLogger), { level: 'error' });
    expect(seen).toEqual([{ level: 'error' }]);
  });
});
