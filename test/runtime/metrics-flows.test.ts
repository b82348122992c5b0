/**
 * The metrics of the later features, end to end against the real server and real Redis: each test scrapes /metrics,
 * drives one real flow (login rejections for untrusted_proxy, user_not_registered, user_disabled and
 * client_policy_denied; a refresh token reuse whose back-channel delivery fails; token exchange; the device grant;
 * logout and revocation) and asserts the change of the counters by the expected amount.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as oidc from 'openid-client';
import { createManualClock } from '../../src/clock.ts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basicAuth, completeSignIn, discoverApp, expectJsonError, signIn, type AppClient } from '../helpers/app-client.ts';
import { answerDevice, CLI, deviceClients, pageTitle, pollDevice, startedDevice } from '../helpers/device.ts';
import { pollUntil } from '../helpers/poll-until.ts';
import { metricValue, scrape, type Sample } from '../helpers/prometheus-text.ts';
import { openRedisStore, startStack, WEB_APP, type Stack } from '../helpers/stack.ts';
import { OFFLINE_SCOPE, refreshRequest } from '../e2e/refresh-clients.ts';
import { EXCHANGE_APP, exchangeClients, exchangeRequest, TOKEN_TYPE } from '../e2e/token-exchange-clients.ts';

const LOGINS = 'bridge_logins_total';
const WAF_SECRET = 'the-waf-shared-secret-0123456789';
const JIT_WEB = { clientId: 'jit-web', clientSecret: 'jit-web-secret-0123456789abc', redirectUri: 'http://localhost:7010/callback' };
/** Its back-channel logout URI is unreachable (port 9, discard, is closed on loopback). */
const DEAD_APP: AppClient & { clientSecret: string } = {
  clientId: 'bcl-dead-app',
  clientSecret: 'bcl-dead-secret-0123456789',
  redirectUri: 'http://localhost:7009/callback',
};

/** Scrapes before an action; `delta` is how much a series grew since. */
function meter(stack: () => Stack) {
  let before: Sample[] = [];
  const url = () => `${stack().bridge.url}/metrics`;
  return {
    async reset() {
      before = await scrape(url());
    },
    async delta(name: string, labels: Record<string, string> = {}) {
      return metricValue(await scrape(url()), name, labels) - metricValue(before, name, labels);
    },
  };
}

describe('metrics of login rejections after the legacy JWT', () => {
  let noSecret: Stack;
  let closed: Stack;
  beforeAll(async () => {
    [noSecret, closed] = await Promise.all([
      // The WAF stand-in does not send the shared secret the IdP requires.
      startStack({ idp: { trustedProxy: { sharedSecret: WAF_SECRET } } }),
      startStack({ idp: { autoRegister: false } }),
    ]);
  });
  afterAll(async () => {
    await Promise.all([noSecret?.close(), closed?.close()]);
  });

  it('untrusted_proxy: a WAF that does not send the shared secret', async () => {
    const m = meter(() => noSecret);
    await m.reset();
    const { callback } = await signIn(noSecret, await noSecret.browser('metrics-proxy'), WEB_APP);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(await m.delta(LOGINS, { outcome: 'rejected', reason: 'untrusted_proxy', idp: 'legacy' })).toBe(1);
    expect(await m.delta(LOGINS, { outcome: 'succeeded' })).toBe(0);
  });

  it('user_not_registered: autoRegister false and an unknown user', async () => {
    const m = meter(() => closed);
    await m.reset();
    const { callback } = await signIn(closed, await closed.browser('metrics-newcomer'), WEB_APP);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(await m.delta(LOGINS, { outcome: 'rejected', reason: 'user_not_registered', idp: 'legacy' })).toBe(1);
    expect(await m.delta('bridge_users_registered_total')).toBe(0);
  });
});

describe('metrics of the later features (redis store)', () => {
  let stack: Stack;
  const clock = createManualClock();
  const m = meter(() => stack);
  const dir = mkdtempSync(join(tmpdir(), 'jib-metrics-audit-'));
  const auditFile = join(dir, 'audit.jsonl');
  /** Tokens, codes and secrets the flows saw: none may reach the audit trail. */
  const secrets: string[] = [DEAD_APP.clientSecret, EXCHANGE_APP.clientSecret];
  beforeAll(async () => {
    stack = await startStack({
      store: 'redis',
      clock,
      clients: [
        {
          clientId: JIT_WEB.clientId,
          clientSecret: JIT_WEB.clientSecret,
          redirectUris: [JIT_WEB.redirectUri],
          identityProviders: ['legacy'],
          access: { requireClaims: { groups: ['ops-admins'] } },
        },
        {
          clientId: DEAD_APP.clientId,
          clientSecret: DEAD_APP.clientSecret,
          redirectUris: [DEAD_APP.redirectUri],
          identityProviders: ['legacy'],
          grantTypes: ['authorization_code', 'refresh_token'],
          backchannelLogoutUri: 'http://127.0.0.1:9/backchannel-logout',
        },
        ...deviceClients(),
        ...exchangeClients('https://resource-as.example.com'),
      ],
      device: { intervalSeconds: 1 },
      extraConfig: { backchannelLogout: { timeoutSeconds: 2, attempts: 1 } },
      logging: { audit: { file: auditFile } },
    });
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const backchannelFailed = (cause: string) =>
    m.delta('bridge_backchannel_logouts_total', { outcome: 'failed', reason: 'backchannel_unreachable', cause, client: DEAD_APP.clientId });

  it('user_disabled: a disabled user signing in again', async () => {
    const { claims } = await completeSignIn(stack, await stack.browser('metrics-dora'), WEB_APP);
    const redis = openRedisStore(stack.keyPrefix);
    try {
      await redis.users.setDisabled(claims.sub, true);
    } finally {
      await redis.close();
    }
    await m.reset();
    const { callback } = await signIn(stack, await stack.browser('metrics-dora'), WEB_APP);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(await m.delta(LOGINS, { outcome: 'rejected', reason: 'user_disabled', idp: 'legacy' })).toBe(1);
  });

  it('client_policy_denied: a login refused by the client access policy, and access_denied_total', async () => {
    await m.reset();
    const { callback } = await signIn(stack, await stack.browser('metrics-outsider', { groups: ['devs'] }), JIT_WEB);
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(await m.delta(LOGINS, { outcome: 'rejected', reason: 'client_policy_denied', idp: 'legacy' })).toBe(1);
    expect(await m.delta('bridge_access_denied_total', { client: JIT_WEB.clientId, at: 'authorize' })).toBe(1);
    expect(await m.delta('bridge_rejections_total', { event: 'callback.rejected', reason: 'client_policy_denied' })).toBe(1);
  });

  it('a reused refresh token: refresh_reuses_total, and the failed back-channel delivery that follows', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('metrics-erin'), DEAD_APP, { scope: OFFLINE_SCOPE });
    secrets.push(tokens.refresh_token!, tokens.access_token, tokens.id_token!);
    await m.reset();
    expect((await refreshRequest(stack, DEAD_APP, tokens.refresh_token)).status).toBe(200);
    expect(await m.delta('bridge_tokens_issued_total', { type: 'refresh_token', grant_type: 'refresh_token' })).toBe(1);
    await expectJsonError(await refreshRequest(stack, DEAD_APP, tokens.refresh_token), 400, 'invalid_grant');
    expect(await m.delta('bridge_refresh_reuses_total', { client: DEAD_APP.clientId })).toBe(1);
    expect(await m.delta('bridge_rejections_total', { event: 'token.rejected', reason: 'refresh_token_reused' })).toBe(1);
    // The delivery runs in the background, after the response.
    await pollUntil(async () => (await backchannelFailed('refresh_reused')) === 1, { what: 'backchannel failed metric', timeoutMs: 5_000 });
    expect(await m.delta('bridge_backchannel_logouts_total', { outcome: 'sent' })).toBe(0);
  });

  it('logout and revocation: logouts_total, tokens_revoked_total, and the back-channel failure of the logout', async () => {
    const { tokens } = await completeSignIn(stack, await stack.browser('metrics-frank'), DEAD_APP, { scope: OFFLINE_SCOPE });
    await m.reset();
    const revoke = await fetch(`${stack.issuer}/revoke`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: basicAuth(DEAD_APP.clientId, DEAD_APP.clientSecret) },
      body: new URLSearchParams({ token: tokens.refresh_token!, token_type_hint: 'refresh_token' }),
    });
    expect(revoke.status).toBe(200);
    expect(await m.delta('bridge_tokens_revoked_total', { type: 'refresh_token' })).toBe(1);

    const second = await completeSignIn(stack, await stack.browser('metrics-frank'), DEAD_APP);
    await m.reset();
    const app = await discoverApp(stack, DEAD_APP);
    const response = await fetch(oidc.buildEndSessionUrl(app, { id_token_hint: second.tokens.id_token! }), { redirect: 'manual' });
    expect(response.status).toBe(200);
    expect(await m.delta('bridge_logouts_total', { client: DEAD_APP.clientId, revoked: 'true' })).toBe(1);
    await pollUntil(async () => (await backchannelFailed('end_session')) === 1, { what: 'backchannel failed metric', timeoutMs: 5_000 });
  });

  it('token exchange: one exchanged (and its tokens issued), one refused with its reason', async () => {
    await m.reset();
    const subjectToken = await stack.legacy.mint({ sub: 'metrics-svc' });
    secrets.push(subjectToken);
    const ok = await exchangeRequest(stack, EXCHANGE_APP, {
      subject_token: subjectToken,
      subject_token_type: TOKEN_TYPE.jwt,
      scope: 'openid',
    });
    expect(ok.status, await ok.clone().text()).toBe(200);
    const x = 'bridge_token_exchanges_total';
    expect(
      await m.delta(x, { outcome: 'exchanged', subject_token_type: 'jwt', issued_token_type: 'access_token', reason: 'none', client: EXCHANGE_APP.clientId }),
    ).toBe(1);
    expect(await m.delta('bridge_tokens_issued_total', { type: 'access_token', grant_type: 'token_exchange' })).toBe(1);
    expect(await m.delta('bridge_tokens_issued_total', { type: 'id_token', grant_type: 'token_exchange' })).toBe(1);

    const refused = await exchangeRequest(stack, EXCHANGE_APP, {
      subject_token: await stack.legacy.mint({ sub: 'metrics-svc' }),
      subject_token_type: TOKEN_TYPE.jwt,
      requested_token_type: 'urn:ietf:params:oauth:token-type:refresh_token',
    });
    await expectJsonError(refused, 400, 'invalid_request');
    expect(await m.delta(x, { outcome: 'refused', reason: 'requested_token_type_unsupported', client: EXCHANGE_APP.clientId })).toBe(1);
    expect(await m.delta(x, { outcome: 'exchanged' })).toBe(1);
  });

  it('device grant: started, polled too fast, approved and its tokens; a second one denied', async () => {
    await m.reset();
    const started = await startedDevice(stack);
    secrets.push(started.device_code, started.user_code);
    const d = 'bridge_device_authorizations_total';
    expect(await m.delta(d, { step: 'started', client: CLI.clientId })).toBe(1);
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'authorization_pending');
    await expectJsonError(await pollDevice(stack, started.device_code), 400, 'slow_down');
    expect(await m.delta(d, { step: 'polled_too_fast', reason: 'slow_down', client: CLI.clientId })).toBe(1);
    const page = await answerDevice(await stack.browser('metrics-gina'), stack.issuer, started.user_code);
    expect(await pageTitle(page)).toBe('Device connected');
    expect(await m.delta(d, { step: 'approved', client: CLI.clientId })).toBe(1);
    expect(await m.delta(LOGINS, { outcome: 'succeeded', idp: 'legacy' })).toBe(1);
    clock.advance(7_000); // past the slowed-down interval (6 s)
    expect((await pollDevice(stack, started.device_code)).status).toBe(200);
    expect(await m.delta('bridge_tokens_issued_total', { type: 'access_token', grant_type: 'device_code' })).toBe(1);
    expect(await m.delta('bridge_tokens_issued_total', { type: 'id_token', grant_type: 'device_code' })).toBe(1);

    const other = await startedDevice(stack);
    expect(await pageTitle(await answerDevice(await stack.browser('metrics-gina'), stack.issuer, other.user_code, 'deny'))).toBe('Request denied');
    expect(await m.delta(d, { step: 'denied', reason: 'device_denied', client: CLI.clientId })).toBe(1);
    expect(await m.delta(d, { step: 'started' })).toBe(2);
  });

  it('the audit trail holds the new steps, and no token, code or secret', () => {
    const lines = readFileSync(auditFile, 'utf8').trim().split('\n');
    const events = new Set(lines.map((line) => (JSON.parse(line) as { event: string }).event));
    for (const event of [
      'access.denied',
      'refresh.reused',
      'backchannel.failed',
      'token.revoked',
      'logout',
      'token.exchanged',
      'token.exchange_refused',
      'device.started',
      'device.approved',
      'device.denied',
    ]) {
      expect(events, event).toContain(event);
    }
    const failed = lines.map((line) => JSON.parse(line) as Record<string, unknown>).find((record) => record.event === 'backchannel.failed');
    expect(failed).toMatchObject({ clientId: DEAD_APP.clientId, reason: 'backchannel_unreachable', cause: 'refresh_reused', attempts: 1 });
    const text = lines.join('\n');
    for (const secret of secrets) expect(text).not.toContain(secret);
    expect(text).not.toContain('127.0.0.1:9');
  });
});
