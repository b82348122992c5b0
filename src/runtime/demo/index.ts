import { serve, type ServerType } from '@hono/node-server';
import type { Hono } from 'hono';
import { validateConfig } from '../../config/parse.ts';
import { createLogger } from '../../observability/create-logger.ts';
import { createPinoLogger } from '../../observability/pino.ts';
import { startNodeServer } from '../node.ts';
import { createLegacyApp, SESSION_COOKIE } from './legacy-app.ts';
import { createNewApp } from './new-app.ts';
import { createWafApp } from './waf.ts';

const JWT_ENDPOINT_PATH = '/existing/auth-new';

function listen(app: Hono, port: number, host: string): Promise<ServerType> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port, hostname: host }, () => resolve(server));
    server.once('error', reject);
  });
}

/**
 * The demo stack of DESIGN §9 in one process, on loopback:
 *   WAF + legacy site  http://localhost:{base}      (the legacy app itself listens on {base+1}, behind the WAF)
 *   bridge             http://127.0.0.1:{base+2}    (another origin, as accounts.example.com would be)
 *   new app            http://localhost:{base+3}
 * DEMO_PORT sets {base} (default 3000); REDIS_URL switches the bridge to Redis; DEMO_LOG_LEVEL (default warn).
 */
export async function startDemo(options: {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
}): Promise<{ close(): Promise<void>; urls: Record<string, string> }> {
  const base = Number(options.env.DEMO_PORT ?? 3000);
  if (!Number.isInteger(base) || base < 1 || base > 65532) throw new Error('DEMO_PORT must be a port number');
  const urls = {
    legacy: `http://localhost:${base}`,
    legacyInternal: `http://localhost:${base + 1}`,
    bridge: `http://127.0.0.1:${base + 2}`,
    newApp: `http://localhost:${base + 3}`,
  };
  const jwtEndpoint = `${urls.legacy}${JWT_ENDPOINT_PATH}`;
  const clientSecret = crypto.randomUUID();
  const legacy = await createLegacyApp({
    issuer: urls.legacyInternal,
    publicUrl: urls.legacyInternal,
    newAppUrl: urls.newApp,
    jwtEndpoint,
    bridgeUrl: urls.bridge,
  });

  const config = validateConfig({
    issuer: urls.bridge,
    server: { host: '127.0.0.1', port: base + 2 },
    store: options.env.REDIS_URL ? { type: 'redis', url: options.env.REDIS_URL, keyPrefix: 'jib-demo:' } : { type: 'memory' },
    logging: { level: options.env.DEMO_LOG_LEVEL ?? 'warn' },
    identityProviders: [
      {
        id: 'legacy',
        issuer: urls.legacyInternal,
        keysEndpoint: legacy.jwksUrl,
        jwtEndpoint,
        headerName: 'x-custom-tkn',
        loginUrl: `${urls.legacy}/login`,
        // Signing out of the new app also ends the legacy session (through the WAF, where its cookie lives).
        logoutUrl: `${urls.legacy}/logout`,
        algorithms: ['ES256'],
        // The demo's legacy app mints tokens without aud, and its WAF runs on loopback beside the bridge:
        // both fail-closed settings are opted out explicitly, as an operator would have to (#9.3).
        allowAnyAudience: true,
        trustedProxy: 'none',
      },
    ],
    clients: [
      {
        clientId: 'new-app',
        clientSecret,
        redirectUris: [`${urls.newApp}/callback`],
        postLogoutRedirectUris: [`${urls.newApp}/signed-out`],
        backchannelLogoutUri: `${urls.newApp}/backchannel-logout`,
        identityProviders: ['legacy'],
      },
      // A command-line tool (public client, device flow): `jwt-idp-bridge login --device` below.
      { clientId: 'demo-cli', identityProviders: ['legacy'], grantTypes: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'] },
    ],
  });
  const logger = createLogger(createPinoLogger, config);

  const servers: ServerType[] = [];
  const bridge = await startNodeServer({ config, logger });
  try {
    servers.push(await listen(legacy.app, base + 1, 'localhost'));
    const waf = createWafApp({
      jwtEndpoints: { [JWT_ENDPOINT_PATH]: `${urls.bridge}/login/jwt` },
      fallbackUpstream: urls.legacyInternal,
      headerName: 'x-custom-tkn',
      sessionCookie: SESSION_COOKIE,
    });
    servers.push(await listen(waf, base, 'localhost'));
    servers.push(
      await listen(
        createNewApp({ publicUrl: urls.newApp, issuer: urls.bridge, clientId: 'new-app', clientSecret, legacyUrl: urls.legacy }),
        base + 3,
        'localhost',
      ),
    );
  } catch (error) {
    await bridge.close();
    for (const server of servers) server.close();
    throw new Error(`cannot start the demo on ports ${base}-${base + 3} (${(error as Error).message}); set DEMO_PORT to another base port`);
  }

  const close = async () => {
    await Promise.all(servers.map((server) => new Promise<void>((resolve) => server.close(() => resolve()))));
    await bridge.close();
  };
  options.out(`
jwt-idp-bridge demo is running (store: ${config.store.type}).

  1. Open the legacy app:  ${urls.legacy}
     Sign in with any username. (Its session JWT lives in a cookie that the WAF reads.)
  2. Click "Open the new app". The new app sends you to the bridge (${urls.bridge}), the bridge sends you
     through the WAF (${jwtEndpoint}), the WAF adds the x-custom-tkn header, and you land back
     in the new app (${urls.newApp}) signed in — no password prompt.
  3. Sign out of the legacy app and try the new app again: the bridge sends you to the legacy login first.
  4. "Sign out" in the new app goes through the bridge's /end_session: it ends the bridge session (and tells the
     new app over the back channel), signs you out of the legacy app too, and returns to the new app.
  5. Sign in from a terminal (device flow; approve in the browser that is signed in to the legacy app):
       npx jwt-idp-bridge login --device --issuer ${urls.bridge} --client-id demo-cli

Press Ctrl-C to stop.`);
  return { close, urls };
}
