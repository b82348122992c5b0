import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/clock.ts';
import { createPrometheusMetrics } from '../../src/observability/prometheus.ts';
import { REASONS } from '../../src/oidc/reasons.ts';
import { completeSignIn, signIn } from '../helpers/app-client.ts';
import { freePort } from '../helpers/ports.ts';
import { metricValue, parsePrometheus, scrape, type Sample } from '../helpers/prometheus-text.ts';
import { sessionBrowser, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';
import { generateTestKey } from '../helpers/legacy-issuer.ts';

const LOGINS = 'bridge_logins_total';

describe('Prometheus metrics on the main listener (no adminPort)', () => {
  const clock = createManualClock();
  let stack: Stack;
  let before: Sample[];
  const metricsUrl = () => `${stack.bridge.url}/metrics`;
  const delta = async (name: string, labels: Record<string, string> = {}) =>
    metricValue(await scrape(metricsUrl()), name, labels) - metricValue(before, name, labels);

  beforeAll(async () => {
    stack = await startStack({ store: 'redis', clock });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('serves the text format with default process metrics, and no user ids', async () => {
    const response = await fetch(metricsUrl());
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const text = await response.text();
    expect(text).toMatch(/^process_cpu_user_seconds_total /m);
    expect(text).toMatch(/^nodejs_eventloop_lag_seconds /m);
    expect((await fetch(metricsUrl(), { method: 'POST' })).status).toBe(405);
  });

  it('counts a successful login, the registration, the tokens, the requests by route and the store calls', async () => {
    before = await scrape(metricsUrl());
    const { claims } = await completeSignIn(stack, await stack.browser('metrics-alice'), WEB_APP);
    expect(await delta(LOGINS, { outcome: 'succeeded', reason: 'none', idp: 'legacy' })).toBe(1);
    expect(await delta('bridge_users_registered_total', { idp: 'legacy' })).toBe(1);
    expect(await delta('bridge_tokens_issued_total', { type: 'id_token', grant_type: 'authorization_code' })).toBe(1);
    expect(await delta('bridge_tokens_issued_total', { type: 'access_token', grant_type: 'authorization_code' })).toBe(1);
    expect(await delta('bridge_http_requests_total', { route: 'token', status: '200' })).toBe(1);
    expect(await delta('bridge_http_requests_total', { route: 'authorize', status: '302' })).toBe(1);
    expect(await delta('bridge_http_request_duration_seconds_count', { route: 'callback', status: '302' })).toBe(1);
    expect(await delta('bridge_store_operations_total', { operation: 'compareAndSwap', outcome: 'ok' })).toBeGreaterThan(0);
    expect(await delta('bridge_store_operation_duration_seconds_count', { operation: 'setIfAbsent' })).toBeGreaterThan(0);
    expect(await delta('bridge_legacy_keys_fetches_total', { idp: 'legacy', outcome: 'ok' })).toBe(1);
    // The bridge user id and the legacy subject never become label values.
    const text = await (await fetch(metricsUrl())).text();
    expect(text).not.toContain(claims.sub);
    expect(text).not.toContain('metrics-alice');
    // The raw path of a route never appears either: only route-table names.
    expect(text).not.toContain('/login/jwt');
  });

  it('counts cache hits and each rejection by its reason and IdP', async () => {
    before = await scrape(metricsUrl());
    await signIn(stack, await stack.browser(), WEB_APP);
    expect(await delta(LOGINS, { outcome: 'rejected', reason: 'token_missing', idp: 'legacy' })).toBe(1);

    await signIn(stack, await stack.browser('metrics-bob', { exp: Math.floor(clock.now() / 1000) - 600 }), WEB_APP);
    expect(await delta(LOGINS, { outcome: 'rejected', reason: 'expired', idp: 'legacy' })).toBe(1);

    const stranger = await generateTestKey('ES256', { kid: stack.legacy.jwks().keys[0]!.kid! });
    const forged = await stack.legacy.mint({ sub: 'metrics-mallory' }, { key: stranger });
    await signIn(stack, sessionBrowser(stack.waf.url, forged), WEB_APP);
    expect(await delta(LOGINS, { outcome: 'rejected', reason: 'signature_invalid', idp: 'legacy' })).toBe(1);
    expect(await delta('bridge_legacy_keys_cache_hits_total', { idp: 'legacy' })).toBe(2);

    const unknownClient = await fetch(`${stack.issuer}/authorize?client_id=nobody&redirect_uri=https://x.example/cb&response_type=code&scope=openid`);
    expect(unknownClient.status).toBe(400);
    expect(await delta(LOGINS, { outcome: 'rejected', reason: 'client_unknown', idp: 'none' })).toBe(1);
    expect(await delta('bridge_rejections_total', { event: 'authorize.rejected', reason: 'client_unknown' })).toBe(1);
    expect(await delta('bridge_http_requests_total', { route: 'authorize', status: '400' })).toBe(1);
  });

  it('shows a Keys Endpoint outage: failed fetches, stale serves, then keys_unavailable, then recovery', async () => {
    before = await scrape(metricsUrl());
    clock.advance(601_000); // past keysCache.maxAgeSeconds (600)
    stack.legacy.setMode('down');
    const stale = await signIn(stack, await stack.browser('metrics-carol'), WEB_APP);
    expect(stale.callback.searchParams.get('code')).toBeTruthy();
    expect(await delta('bridge_legacy_keys_fetches_total', { idp: 'legacy', outcome: 'failed' })).toBe(1);
    expect(await delta('bridge_legacy_keys_stale_serves_total', { idp: 'legacy' })).toBe(1);
    expect(await delta(LOGINS, { outcome: 'succeeded', idp: 'legacy' })).toBe(1);

    clock.advance(3_700_000); // past staleIfErrorSeconds (3600): no keys left
    const failed = await signIn(stack, await stack.browser('metrics-carol'), WEB_APP);
    expect(failed.callback.searchParams.get('error')).toBe('temporarily_unavailable');
    expect(await delta('bridge_legacy_keys_fetches_total', { idp: 'legacy', outcome: 'failed' })).toBe(2);
    expect(await delta(LOGINS, { outcome: 'rejected', reason: 'keys_unavailable', idp: 'legacy' })).toBe(1);

    stack.legacy.setMode('ok');
    clock.advance(31_000); // past the cooldown
    const back = await signIn(stack, await stack.browser('metrics-carol'), WEB_APP);
    expect(back.callback.searchParams.get('code')).toBeTruthy();
    expect(await delta('bridge_legacy_keys_fetches_total', { idp: 'legacy', outcome: 'ok' })).toBe(1);
    const lastSuccess = metricValue(await scrape(metricsUrl()), 'bridge_legacy_keys_last_success_timestamp_seconds', { idp: 'legacy' });
    expect(lastSuccess).toBeGreaterThan(0);
  });
});

describe('Prometheus metrics on server.adminPort', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ server: { adminPort: await freePort() } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers /metrics only on the admin listener', async () => {
    expect(stack.bridge.adminUrl).toBeDefined();
    const admin = await fetch(`${stack.bridge.adminUrl}/metrics`);
    expect(admin.status).toBe(200);
    expect(await admin.text()).toMatch(/^bridge_http_requests_total|^# HELP bridge_http_requests_total/m);
    expect((await fetch(`${stack.bridge.url}/metrics`)).status).toBe(404);
    expect((await fetch(`${stack.bridge.adminUrl}/authorize`)).status).toBe(404);
  });

  it('counts the requests of the main listener, labelled unmatched for unknown paths', async () => {
    await fetch(`${stack.bridge.url}/healthz`);
    await fetch(`${stack.bridge.url}/no/such/path`);
    const samples = await scrape(`${stack.bridge.adminUrl}/metrics`);
    expect(metricValue(samples, 'bridge_http_requests_total', { route: 'healthz', status: '200' })).toBeGreaterThanOrEqual(1);
    expect(metricValue(samples, 'bridge_http_requests_total', { route: 'unmatched', status: '404' })).toBeGreaterThanOrEqual(2);
  });
});

describe('event → metric mapping', () => {
  const ids = { idps: ['legacy'], clients: ['app'] };

  it('counts every protocol reason code under its own label, and unknown ids as other', async () => {
    const { metrics, registry } = createPrometheusMetrics(ids);
    for (const reason of REASONS) metrics.event('info', { event: 'legacy.rejected', reason, idp: 'legacy', clientId: 'app' });
    metrics.event('info', { event: 'legacy.rejected', reason: 'expired', idp: 'attacker-chosen' });
    metrics.event('info', { event: 'legacy.rejected', reason: 'Not A Code <script>' });
    metrics.event('warn', { event: 'refresh.reused', clientId: 'unknown-client', userId: 'u-1' });
    metrics.event('warn', { event: 'code.reused', clientId: 'app' });
    const samples = parsePrometheus(await registry.metrics());
    for (const reason of REASONS) expect(metricValue(samples, LOGINS, { outcome: 'rejected', reason, idp: 'legacy' })).toBe(1);
    expect(metricValue(samples, LOGINS, { reason: 'expired', idp: 'other' })).toBe(1);
    expect(metricValue(samples, LOGINS, { reason: 'other', idp: 'none' })).toBe(1);
    expect(metricValue(samples, 'bridge_refresh_reuses_total', { client: 'other' })).toBe(1);
    expect(metricValue(samples, 'bridge_code_reuses_total', { client: 'app' })).toBe(1);
    expect(await registry.metrics()).not.toContain('u-1');
  });

  it('maps the token-exchange, device, access-policy, logout and back-channel events to bounded labels', async () => {
    const { metrics, registry } = createPrometheusMetrics(ids);
    const e = (fields: Record<string, unknown>) => metrics.event('info', { clientId: 'app', ...fields });
    e({ event: 'token.exchanged', subjectTokenType: 'jwt', issuedTokenType: 'access_token', issued: ['access_token', 'refresh_token'], userId: 'u-2' });
    e({ event: 'token.exchanged', subjectTokenType: 'id_token', issuedTokenType: 'id-jag', issued: ['id-jag'] });
    e({ event: 'token.exchange_refused', reason: 'subject_token_invalid' });
    e({ event: 'token.issued', grantType: 'device_code', issued: ['access_token', 'id_token'] });
    for (const event of ['device.started', 'device.approved', 'device.polled_too_fast']) e({ event });
    e({ event: 'device.denied', reason: 'device_denied' });
    e({ event: 'device.code_rejected', reason: 'user_code_invalid', clientId: undefined });
    e({ event: 'access.denied', reason: 'client_policy_denied', at: 'refresh', claim: 'groups' });
    e({ event: 'access.denied', reason: 'client_policy_denied', at: '/etc/passwd' });
    e({ event: 'backchannel.sent', cause: 'end_session', status: 200 });
    e({ event: 'backchannel.failed', cause: 'refresh_reused', reason: 'backchannel_timeout' });
    e({ event: 'backchannel.failed', cause: 'made-up', reason: 'http://rp.example/secret' });
    e({ event: 'logout', revoked: true });
    e({ event: 'token.revoked', tokenType: 'refresh_token' });
    e({ event: 'store.replicas_behind', acked: 0, expected: 1 });
    expect(metricValue(parsePrometheus(await registry.metrics()), 'bridge_store_replicas_lagging')).toBe(1);
    e({ event: 'store.replicas_caught_up', acked: 1, expected: 1 });
    const samples = parsePrometheus(await registry.metrics());
    expect(metricValue(samples, 'bridge_store_replicas_lagging')).toBe(0);
    const x = 'bridge_token_exchanges_total';
    expect(metricValue(samples, x, { outcome: 'exchanged', subject_token_type: 'jwt', issued_token_type: 'access_token', client: 'app' })).toBe(1);
    expect(metricValue(samples, x, { outcome: 'exchanged', subject_token_type: 'id_token', issued_token_type: 'id-jag' })).toBe(1);
    expect(metricValue(samples, x, { outcome: 'refused', reason: 'subject_token_invalid', client: 'app' })).toBe(1);
    expect(metricValue(samples, 'bridge_rejections_total', { event: 'token.exchange_refused', reason: 'subject_token_invalid' })).toBe(1);
    const issued = 'bridge_tokens_issued_total';
    expect(metricValue(samples, issued, { type: 'access_token', grant_type: 'token_exchange' })).toBe(1);
    expect(metricValue(samples, issued, { type: 'refresh_token', grant_type: 'token_exchange' })).toBe(1);
    expect(metricValue(samples, issued, { type: 'id-jag', grant_type: 'token_exchange' })).toBe(1);
    expect(metricValue(samples, issued, { type: 'id_token', grant_type: 'device_code' })).toBe(1);
    const d = 'bridge_device_authorizations_total';
    for (const step of ['started', 'approved', 'polled_too_fast']) expect(metricValue(samples, d, { step, client: 'app' })).toBe(1);
    expect(metricValue(samples, d, { step: 'denied', reason: 'device_denied' })).toBe(1);
    expect(metricValue(samples, d, { step: 'code_rejected', reason: 'user_code_invalid', client: 'none' })).toBe(1);
    expect(metricValue(samples, 'bridge_access_denied_total', { client: 'app', at: 'refresh' })).toBe(1);
    expect(metricValue(samples, 'bridge_access_denied_total', { client: 'app', at: 'other' })).toBe(1);
    const b = 'bridge_backchannel_logouts_total';
    expect(metricValue(samples, b, { outcome: 'sent', reason: 'none', cause: 'end_session', client: 'app' })).toBe(1);
    expect(metricValue(samples, b, { outcome: 'failed', reason: 'backchannel_timeout', cause: 'refresh_reused' })).toBe(1);
    expect(metricValue(samples, b, { outcome: 'failed', reason: 'other', cause: 'other' })).toBe(1);
    expect(metricValue(samples, 'bridge_logouts_total', { client: 'app', revoked: 'true' })).toBe(1);
    expect(metricValue(samples, 'bridge_tokens_revoked_total', { type: 'refresh_token' })).toBe(1);
    const text = await registry.metrics();
    for (const leaked of ['u-2', 'passwd', 'rp.example', 'made-up']) expect(text).not.toContain(leaked);
  });

  it('docs/operators.md lists every bridge_ metric', async () => {
    const { registry } = createPrometheusMetrics(ids);
    const docs = readFileSync(new URL('../../docs/operators.md', import.meta.url), 'utf8');
    const names = registry
      .getMetricsAsArray()
      .map((metric) => metric.name)
      .filter((name) => name.startsWith('bridge_'));
    expect(names.length).toBeGreaterThan(20);
    for (const name of names) expect(docs, name).toContain(`\`${name}\``);
  });
});
