import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeSignIn, signIn } from '../helpers/app-client.ts';
import { hasChromium, launchChromium, screenshotDir } from '../helpers/chromium.ts';
import { panelsPage, type Panel } from '../helpers/panel-picture.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { metricValue, parsePrometheus, type Sample } from '../helpers/prometheus-text.ts';
import { startRedisServer, type TestRedis } from '../helpers/redis-server.ts';
import { sessionBrowser, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';
import { answerDevice, deviceClients, pollDevice, startedDevice } from '../helpers/device.ts';
import { OFFLINE_SCOPE, refreshRequest } from '../e2e/refresh-clients.ts';
import { EXCHANGE_APP, exchangeClients, exchangeRequest, TOKEN_TYPE } from '../e2e/token-exchange-clients.ts';

/** A client whose back-channel logout URI is unreachable (port 9, discard, is closed on loopback). */
const DEAD_APP = { clientId: 'bcl-dead-app', clientSecret: 'bcl-dead-secret-0123456789', redirectUri: 'http://localhost:7009/callback' };

const DASHBOARD = new URL('../../deploy/grafana/jwt-idp-bridge.json', import.meta.url);
const dashboard = JSON.parse(readFileSync(DASHBOARD, 'utf8')) as { panels: { title: string; targets: { expr: string }[] }[] };
const expressions = dashboard.panels.flatMap((p) => p.targets.map((t) => t.expr));
const METRIC = /\b(?:bridge|process|nodejs)_[a-z0-9_]+\b/g;

/** Labels an expression names: in `by (…)` / `without (…)` and in selectors `{a="…", b=~"…"}`. */
function labelsUsed(expr: string): string[] {
  const grouped = [...expr.matchAll(/\b(?:by|without)\s*\(([^)]*)\)/g)].flatMap((m) => m[1]!.split(',').map((s) => s.trim()));
  const selected = [...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [...m[1]!.matchAll(/([a-z_]+)\s*(?:=~|!~|!=|=)/g)].map((l) => l[1]!));
  return [...new Set([...grouped, ...selected].filter(Boolean))];
}

/**
 * Drives a bridge through a day in twelve steps — normal logins, a Keys Endpoint outage (stale keys), a Redis
 * outage, recovery — scraping /metrics after each, so the dashboard is checked (and drawn) against what the
 * bridge really exports.
 */
describe('Grafana dashboard (deploy/grafana/jwt-idp-bridge.json)', () => {
  let redis: TestRedis;
  let stack: Stack;
  const scrapes: Sample[][] = [];
  /** Every metric family of the last scrape (`# TYPE` lines), with or without samples yet. */
  let families = new Set<string>();

  beforeAll(async () => {
    redis = await startRedisServer();
    stack = await startStack({
      store: 'redis',
      redisUrl: redis.url,
      idp: { keysCache: { maxAgeSeconds: 0, cooldownSeconds: 0 } },
      clients: [
        ...exchangeClients('https://resource-as.example.com'),
        ...deviceClients(),
        {
          clientId: DEAD_APP.clientId,
          clientSecret: DEAD_APP.clientSecret,
          redirectUris: [DEAD_APP.redirectUri],
          identityProviders: ['legacy'],
          grantTypes: ['authorization_code', 'refresh_token'],
          backchannelLogoutUri: 'http://127.0.0.1:9/backchannel-logout',
        },
      ],
      extraConfig: { backchannelLogout: { timeoutSeconds: 2, attempts: 1 } },
    });
    const scrape = async () => {
      const text = await (await fetch(`${stack.bridge.url}/metrics`)).text();
      scrapes.push(parsePrometheus(text));
      families = new Set(
        [...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].flatMap(([, name, type]) =>
          type === 'histogram' ? [`${name}_bucket`, `${name}_sum`, `${name}_count`] : [name!],
        ),
      );
    };
    const login = async (sub: string) => {
      try {
        await completeSignIn(stack, await stack.browser(sub), WEB_APP);
      } catch {
        // an outage step: the failure is what the metrics should show
      }
    };
    await scrape();
    for (let step = 1; step <= 12; step++) {
      if (step === 4) stack.legacy.setMode('down');
      if (step === 7) stack.legacy.setMode('ok');
      if (step === 8) await redis.stop();
      if (step === 10) {
        await redis.start();
        await pollUntil(async () => (await fetch(`${stack.bridge.url}/readyz`)).status === 200, { what: 'the store back', timeoutMs: 10_000, intervalMs: 50 });
      }
      const good = step % 3 === 0 ? 4 : 3;
      for (let i = 0; i < good; i++) await login(`dash-${step}-${i}`);
      await signIn(stack, await stack.browser(), WEB_APP).catch(() => undefined);
      if (step % 2 === 0) {
        const expired = await stack.legacy.mint({ sub: 'dash-late', exp: Math.floor(Date.now() / 1000) - 600 });
        await signIn(stack, sessionBrowser(stack.waf.url, expired), WEB_APP).catch(() => undefined);
      }
      if (step < 8 || step > 9) {
        // token exchange: one per step, a refused one (unsupported requested type) every other step
        const exchange = (extra: Record<string, string> = {}) =>
          stack.legacy
            .mint({ sub: `dash-svc-${step}` })
            .then((subject_token) => exchangeRequest(stack, EXCHANGE_APP, { subject_token, subject_token_type: TOKEN_TYPE.jwt, scope: 'openid', ...extra }));
        expect((await exchange()).status).toBe(200);
        if (step % 2 === 1) expect((await exchange({ requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token' })).status).toBe(400);
        // the device grant: started and approved (the first poll gets the tokens), or denied
        const device = await startedDevice(stack);
        await answerDevice(await stack.browser(`dash-device-${step}`), stack.issuer, device.user_code, step % 4 === 2 ? 'deny' : 'approve');
        await pollDevice(stack, device.device_code);
      }
      if (step === 5) {
        // a refresh token presented again: the grant ends, and the RP's back-channel endpoint is unreachable
        const { tokens } = await completeSignIn(stack, await stack.browser('dash-reuse'), DEAD_APP, { scope: OFFLINE_SCOPE });
        expect((await refreshRequest(stack, DEAD_APP, tokens.refresh_token)).status).toBe(200);
        expect((await refreshRequest(stack, DEAD_APP, tokens.refresh_token)).status).toBe(400);
        await pollUntil(() => stack.logs.some((line) => line.includes('"event":"backchannel.failed"')), { what: 'the failed delivery', timeoutMs: 5_000 });
      }
      if (step === 3) {
        // an authorization code presented twice (the second use revokes the grant)
        const { callback, verifier } = await signIn(stack, await stack.browser('dash-replay'), WEB_APP);
        const redeem = () =>
          fetch(`${stack.issuer}/token`, {
            method: 'POST',
            headers: { Authorization: `Basic ${btoa(`${WEB_APP.clientId}:${WEB_APP.clientSecret}`)}` },
            body: new URLSearchParams({
              grant_type: 'authorization_code',
              code: callback.searchParams.get('code')!,
              redirect_uri: WEB_APP.redirectUri,
              code_verifier: verifier,
            }),
          });
        const first = await redeem();
        expect(first.status, `${callback.href} ${await first.clone().text()}`).toBe(200);
        expect((await redeem()).status).toBe(400);
      }
      await scrape();
    }
  }, 120_000);
  afterAll(async () => {
    await stack?.close();
    await redis?.close();
  });

  it('queries only metrics and labels the bridge exports', () => {
    const last = scrapes.at(-1)!;
    // Labels are checked where the series above produced samples.
    const exported = families;
    expect(expressions.length).toBeGreaterThanOrEqual(10);
    for (const expr of expressions) {
      const names = [...new Set(expr.match(METRIC) ?? [])];
      expect(names.length, expr).toBeGreaterThan(0);
      for (const name of names) expect(exported, `${name} in: ${expr}`).toContain(name);
      const labels = new Set(last.filter((s) => names.includes(s.name)).flatMap((s) => Object.keys(s.labels)));
      if (names.every((name) => !last.some((s) => s.name === name))) continue;
      for (const label of labelsUsed(expr)) expect(labels, `label ${label} in: ${expr}`).toContain(label);
    }
  });

  it('sees the outages the dashboard is for', () => {
    const last = scrapes.at(-1)!;
    expect(metricValue(last, 'bridge_legacy_keys_stale_serves_total', { idp: 'legacy' })).toBeGreaterThan(0);
    expect(metricValue(last, 'bridge_legacy_keys_fetches_total', { idp: 'legacy', outcome: 'failed' })).toBeGreaterThan(0);
    expect(metricValue(last, 'bridge_store_operations_total', { outcome: 'error' })).toBeGreaterThan(0);
    expect(metricValue(last, 'bridge_logins_total', { outcome: 'rejected', reason: 'token_missing' })).toBeGreaterThan(6);
    expect(metricValue(last, 'bridge_logins_total', { outcome: 'rejected', reason: 'expired' })).toBeGreaterThan(0);
    expect(metricValue(last, 'bridge_token_exchanges_total', { outcome: 'refused', reason: 'requested_token_type_unsupported' })).toBeGreaterThan(0);
    expect(metricValue(last, 'bridge_device_authorizations_total', { step: 'denied' })).toBeGreaterThan(0);
    expect(metricValue(last, 'bridge_backchannel_logouts_total', { outcome: 'failed', reason: 'backchannel_unreachable' })).toBe(1);
    expect(metricValue(last, 'bridge_refresh_reuses_total', { client: DEAD_APP.clientId })).toBe(1);
  });

  it.skipIf(!hasChromium)('draws the panels from the scrape series (test-output/screenshots/dashboard-panels.png)', async () => {
    const picture = join(await screenshotDir(), 'dashboard-panels.png');
    const page = panelsPage(
      'jwt-idp-bridge — dashboard panels',
      'Drawn from 13 real /metrics scrapes (x: step). Steps 4–6: Keys Endpoint down (logins go on with stale keys); 8–9: Redis down. The other steps also run a token exchange (one refused at odd steps) and a device sign-in (denied at 2 and 6); step 5 reuses a refresh token whose RP is unreachable.',
      panelsFrom(scrapes),
    );
    await writeFile(picture.replace(/\.png$/, '.html'), page);
    const browser = await launchChromium();
    try {
      const tab = await browser.newPage({ viewport: { width: 1200, height: 800 } });
      await tab.setContent(page);
      await tab.screenshot({ path: picture, fullPage: true });
    } finally {
      await browser.close();
    }
    expect(readFileSync(picture).subarray(1, 4).toString()).toBe('PNG');
  });
});

/** Per step: the increase of a counter (summed over matching samples) between consecutive scrapes. */
function increases(scrapes: Sample[][], name: string, labels: Record<string, string> = {}): number[] {
  return scrapes.slice(1).map((s, i) => metricValue(s, name, labels) - metricValue(scrapes[i]!, name, labels));
}

/** Label values seen for `label` on `name` in the last scrape. */
function values(scrapes: Sample[][], name: string, label: string, labels: Record<string, string> = {}): string[] {
  const last = scrapes.at(-1)!.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  return [...new Set(last.map((s) => s.labels[label]!))].sort();
}

/** histogram_quantile over one step's bucket increases (linear inside a bucket, as Prometheus does). */
function quantile(q: number, scrapes: Sample[][], step: number, name: string, labels: Record<string, string>): number {
  const bounds = values(scrapes, `${name}_bucket`, 'le', labels);
  const buckets = bounds
    .map((le) => ({ le: Number(le === '+Inf' ? Infinity : le), count: increases(scrapes, `${name}_bucket`, { ...labels, le })[step]! }))
    .sort((a, b) => a.le - b.le);
  const total = buckets.at(-1)?.count ?? 0;
  if (!total) return Number.NaN;
  const rank = q * total;
  let previous = { le: 0, count: 0 };
  for (const bucket of buckets) {
    if (bucket.count >= rank) {
      if (bucket.le === Infinity) return previous.le;
      return previous.le + ((bucket.le - previous.le) * (rank - previous.count)) / Math.max(1e-9, bucket.count - previous.count);
    }
    previous = bucket;
  }
  return Number.NaN;
}

function panelsFrom(scrapes: Sample[][]): Panel[] {
  const steps = scrapes.length - 1;
  const ok = increases(scrapes, 'bridge_logins_total', { outcome: 'succeeded' });
  const rejected = increases(scrapes, 'bridge_logins_total', { outcome: 'rejected' });
  const routes = values(scrapes, 'bridge_http_request_duration_seconds_bucket', 'route').filter((r) =>
    ['authorize', 'jwt_endpoint', 'callback', 'token', 'userinfo'].includes(r),
  );
  const perStep = (f: (step: number) => number) => Array.from({ length: steps }, (_, i) => f(i));
  return [
    { title: 'Login success rate', unit: 'ratio', series: [{ name: 'success rate', values: ok.map((n, i) => n / Math.max(1, n + rejected[i]!)) }] },
    {
      title: 'Login rejections by reason',
      unit: 'count',
      series: values(scrapes, 'bridge_logins_total', 'reason', { outcome: 'rejected' }).map((reason) => ({
        name: reason,
        values: increases(scrapes, 'bridge_logins_total', { outcome: 'rejected', reason }),
      })),
    },
    {
      title: 'Latency p95 per route',
      unit: 'seconds',
      series: routes.map((route) => ({ name: route, values: perStep((i) => quantile(0.95, scrapes, i, 'bridge_http_request_duration_seconds', { route })) })),
    },
    {
      title: 'Keys Endpoint fetches per IdP',
      unit: 'count',
      series: [
        { name: 'legacy ok', values: increases(scrapes, 'bridge_legacy_keys_fetches_total', { idp: 'legacy', outcome: 'ok' }) },
        { name: 'legacy failed', values: increases(scrapes, 'bridge_legacy_keys_fetches_total', { idp: 'legacy', outcome: 'failed' }) },
        { name: 'legacy stale serves', values: increases(scrapes, 'bridge_legacy_keys_stale_serves_total', { idp: 'legacy' }) },
      ],
    },
    {
      title: 'Store errors by operation',
      unit: 'count',
      series: values(scrapes, 'bridge_store_operations_total', 'operation', { outcome: 'error' }).map((operation) => ({
        name: operation,
        values: increases(scrapes, 'bridge_store_operations_total', { operation, outcome: 'error' }),
      })),
    },
    {
      title: 'Token exchanges',
      unit: 'count',
      series: [
        { name: 'exchanged', values: increases(scrapes, 'bridge_token_exchanges_total', { outcome: 'exchanged' }) },
        ...values(scrapes, 'bridge_token_exchanges_total', 'reason', { outcome: 'refused' }).map((reason) => ({
          name: `refused: ${reason}`,
          values: increases(scrapes, 'bridge_token_exchanges_total', { outcome: 'refused', reason }),
        })),
      ],
    },
    {
      title: 'Device authorizations by step',
      unit: 'count',
      series: values(scrapes, 'bridge_device_authorizations_total', 'step').map((step) => ({
        name: step,
        values: increases(scrapes, 'bridge_device_authorizations_total', { step }),
      })),
    },
    {
      title: 'Back-channel logout deliveries',
      unit: 'count',
      series: ['sent', 'failed'].map((outcome) => ({ name: outcome, values: increases(scrapes, 'bridge_backchannel_logouts_total', { outcome }) })),
    },
    {
      title: 'Tokens issued',
      unit: 'count',
      series: values(scrapes, 'bridge_tokens_issued_total', 'type').map((type) => ({
        name: type,
        values: increases(scrapes, 'bridge_tokens_issued_total', { type }),
      })),
    },
  ];
}
