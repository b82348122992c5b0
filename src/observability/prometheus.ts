import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EventLevel } from './event-hook.ts';
import type { BridgeMetrics } from './metrics.ts';

/**
 * The Prometheus implementation of BridgeMetrics (Node only: never import it from code the Worker entry reaches).
 * Every label value is bounded: route names from the route table, reason codes, port operation names, and IdP and
 * client ids only when they are in the configuration (anything else is `other`). Never a user id, path or token.
 */
export interface PrometheusMetrics {
  metrics: BridgeMetrics;
  registry: Registry;
  /** The text exposition for GET /metrics. */
  respond(): Promise<Response>;
}

/** The rejection events of the three login steps: a login that ended there, with its reason. */
const LOGIN_REJECTIONS = new Set(['authorize.rejected', 'legacy.rejected', 'callback.rejected']);
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
const CODE = /^[a-z][a-z0-9_.:-]{0,99}$/;
/** Bounded values of the newer events' labels (anything else is `other`). */
const TOKEN_TYPES = new Set(['jwt', 'id_token', 'access_token', 'refresh_token', 'id-jag']);
const ACCESS_STEPS = new Set(['authorize', 'device', 'refresh', 'token']);
const LOGOUT_CAUSES = new Set(['end_session', 'code_reused', 'refresh_reused', 'user_disabled']);
const BACKCHANNEL_REASONS = new Set(['backchannel_status', 'backchannel_timeout', 'backchannel_unreachable', 'backchannel_internal']);

export function createPrometheusMetrics(options: { idps: readonly string[]; clients: readonly string[]; prefix?: string }): PrometheusMetrics {
  const p = options.prefix ?? 'bridge_';
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const idps = new Set(options.idps);
  const clients = new Set(options.clients);
  const idpLabel = (value: unknown) => (value === undefined ? 'none' : typeof value === 'string' && idps.has(value) ? value : 'other');
  const clientLabel = (value: unknown) => (value === undefined ? 'none' : typeof value === 'string' && clients.has(value) ? value : 'other');
  const code = (value: unknown, fallback = 'none') => (value === undefined ? fallback : typeof value === 'string' && CODE.test(value) ? value : 'other');
  const registers = [registry];

  const requests = new Counter({
    name: `${p}http_requests_total`,
    help: 'HTTP requests by route-table name and status',
    labelNames: ['route', 'status'],
    registers,
  });
  const latency = new Histogram({
    name: `${p}http_request_duration_seconds`,
    help: 'HTTP request latency by route-table name and status',
    labelNames: ['route', 'status'],
    buckets: LATENCY_BUCKETS,
    registers,
  });
  const logins = new Counter({
    name: `${p}logins_total`,
    help: 'Logins by outcome (succeeded, rejected, login_redirect), reason code and identity provider',
    labelNames: ['outcome', 'reason', 'idp'],
    registers,
  });
  const rejections = new Counter({
    name: `${p}rejections_total`,
    help: 'Refused requests by rejection event and reason code',
    labelNames: ['event', 'reason'],
    registers,
  });
  const keyFetches = new Counter({
    name: `${p}legacy_keys_fetches_total`,
    help: 'Fetches of an identity provider Keys Endpoint or discovery document, by outcome (ok, failed)',
    labelNames: ['idp', 'outcome'],
    registers,
  });
  const keyFetchLatency = new Histogram({
    name: `${p}legacy_keys_fetch_duration_seconds`,
    help: 'Duration of successful Keys Endpoint fetches',
    labelNames: ['idp'],
    buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });
  const keyLastSuccess = new Gauge({
    name: `${p}legacy_keys_last_success_timestamp_seconds`,
    help: 'When the keys of an identity provider were last fetched successfully (Unix seconds)',
    labelNames: ['idp'],
    registers,
  });
  const keyCacheHits = new Counter({
    name: `${p}legacy_keys_cache_hits_total`,
    help: 'Key lookups answered from the fresh cache',
    labelNames: ['idp'],
    registers,
  });
  const keyStale = new Counter({
    name: `${p}legacy_keys_stale_serves_total`,
    help: 'Key lookups answered with expired keys because refreshing fails (stale-if-error)',
    labelNames: ['idp'],
    registers,
  });
  const storeOps = new Counter({
    name: `${p}store_operations_total`,
    help: 'Store port calls by operation and outcome (ok, error)',
    labelNames: ['operation', 'outcome'],
    registers,
  });
  const storeLatency = new Histogram({
    name: `${p}store_operation_duration_seconds`,
    help: 'Store port call latency by operation',
    labelNames: ['operation'],
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers,
  });
  const storeOutages = new Counter({ name: `${p}store_outages_total`, help: 'Times the store became unreachable', labelNames: ['store'], registers });
  const registered = new Counter({
    name: `${p}users_registered_total`,
    help: 'Users registered on first login, by identity provider',
    labelNames: ['idp'],
    registers,
  });
  const issued = new Counter({ name: `${p}tokens_issued_total`, help: 'Tokens issued by type and grant type', labelNames: ['type', 'grant_type'], registers });
  const codeReuse = new Counter({
    name: `${p}code_reuses_total`,
    help: 'Authorization codes presented again (grant revoked)',
    labelNames: ['client'],
    registers,
  });
  const refreshReuse = new Counter({
    name: `${p}refresh_reuses_total`,
    help: 'Rotated refresh tokens presented again (grant revoked)',
    labelNames: ['client'],
    registers,
  });

  const oneOf = (values: ReadonlySet<string>, value: unknown) =>
    typeof value === 'string' && values.has(value) ? value : value === undefined ? 'none' : 'other';
  const exchanges = new Counter({
    name: `${p}token_exchanges_total`,
    help: 'Token exchanges (RFC 8693) by outcome (exchanged, refused), subject and issued token type, reason and client',
    labelNames: ['outcome', 'subject_token_type', 'issued_token_type', 'reason', 'client'],
    registers,
  });
  const device = new Counter({
    name: `${p}device_authorizations_total`,
    help: 'Device authorization grant steps (started, approved, denied, polled_too_fast, code_rejected) by reason and client',
    labelNames: ['step', 'reason', 'client'],
    registers,
  });
  const accessDenied = new Counter({
    name: `${p}access_denied_total`,
    help: 'Users refused by a client access policy (client_policy_denied), by client and step (authorize, device, refresh, token)',
    labelNames: ['client', 'at'],
    registers,
  });
  const backchannel = new Counter({
    name: `${p}backchannel_logouts_total`,
    help: 'Back-channel logout deliveries by outcome (sent, failed), reason, cause of the logout and client',
    labelNames: ['outcome', 'reason', 'cause', 'client'],
    registers,
  });
  const logouts = new Counter({
    name: `${p}logouts_total`,
    help: 'RP-initiated logouts by client and whether a session was revoked',
    labelNames: ['client', 'revoked'],
    registers,
  });
  const revocations = new Counter({
    name: `${p}tokens_revoked_total`,
    help: 'Tokens revoked at /revoke by token type',
    labelNames: ['type'],
    registers,
  });
  const replicasLagging = new Gauge({
    name: `${p}store_replicas_lagging`,
    help: '1 while fewer Redis replicas than store.waitForReplicas acknowledge writes (writes fail), else 0',
    registers,
  });
  const deviceStep = (step: string, f: Readonly<Record<string, unknown>>) => device.inc({ step, reason: code(f.reason), client: clientLabel(f.clientId) });

  const event = (_level: EventLevel, f: Readonly<Record<string, unknown>>) => {
    const name = f.event as string;
    if (name === 'http.request') {
      const labels = { route: code(f.route, 'unmatched'), status: String(f.status) };
      requests.inc(labels);
      if (typeof f.ms === 'number') latency.observe(labels, f.ms / 1000);
      return;
    }
    if (name.endsWith('.rejected')) {
      rejections.inc({ event: code(name), reason: code(f.reason) });
      if (LOGIN_REJECTIONS.has(name)) logins.inc({ outcome: 'rejected', reason: code(f.reason), idp: idpLabel(f.idp) });
      return;
    }
    switch (name) {
      case 'token.exchange_refused':
        exchanges.inc({ outcome: 'refused', subject_token_type: 'none', issued_token_type: 'none', reason: code(f.reason), client: clientLabel(f.clientId) });
        rejections.inc({ event: name, reason: code(f.reason) });
        break;
      case 'token.exchanged': {
        const labels = { subject_token_type: oneOf(TOKEN_TYPES, f.subjectTokenType), issued_token_type: oneOf(TOKEN_TYPES, f.issuedTokenType) };
        exchanges.inc({ outcome: 'exchanged', ...labels, reason: 'none', client: clientLabel(f.clientId) });
        const types = Array.isArray(f.issued) ? f.issued : [f.issuedTokenType];
        for (const type of types) issued.inc({ type: oneOf(TOKEN_TYPES, type), grant_type: 'token_exchange' });
        break;
      }
      case 'device.started':
        deviceStep('started', f);
        break;
      case 'device.approved':
        deviceStep('approved', f);
        // A device approval is a login through the legacy session (the callback emits no login.succeeded for it).
        logins.inc({ outcome: 'succeeded', reason: 'none', idp: idpLabel(f.idp) });
        break;
      case 'device.denied':
        deviceStep('denied', f);
        break;
      case 'device.polled_too_fast':
        deviceStep('polled_too_fast', f);
        break;
      case 'device.code_rejected':
        deviceStep('code_rejected', f);
        break;
      case 'access.denied':
        accessDenied.inc({ client: clientLabel(f.clientId), at: oneOf(ACCESS_STEPS, f.at) });
        break;
      case 'backchannel.sent':
        backchannel.inc({ outcome: 'sent', reason: 'none', cause: oneOf(LOGOUT_CAUSES, f.cause), client: clientLabel(f.clientId) });
        break;
      case 'backchannel.failed':
        backchannel.inc({
          outcome: 'failed',
          reason: oneOf(BACKCHANNEL_REASONS, f.reason),
          cause: oneOf(LOGOUT_CAUSES, f.cause),
          client: clientLabel(f.clientId),
        });
        break;
      case 'logout':
        logouts.inc({ client: clientLabel(f.clientId), revoked: f.revoked === true ? 'true' : 'false' });
        break;
      case 'token.revoked':
        revocations.inc({ type: oneOf(TOKEN_TYPES, f.tokenType) });
        break;
      case 'login.succeeded':
        logins.inc({ outcome: 'succeeded', reason: 'none', idp: idpLabel(f.idp) });
        break;
      case 'legacy.login_redirect':
        logins.inc({ outcome: 'login_redirect', reason: 'token_missing', idp: idpLabel(f.idp) });
        break;
      case 'legacy.keys_fetched':
        keyFetches.inc({ idp: idpLabel(f.idp), outcome: 'ok' });
        keyLastSuccess.set({ idp: idpLabel(f.idp) }, Date.now() / 1000);
        if (typeof f.durationMs === 'number') keyFetchLatency.observe({ idp: idpLabel(f.idp) }, f.durationMs / 1000);
        break;
      case 'legacy.keys_fetch_failed':
        keyFetches.inc({ idp: idpLabel(f.idp), outcome: 'failed' });
        break;
      case 'legacy.keys_cache_hit':
        keyCacheHits.inc({ idp: idpLabel(f.idp) });
        break;
      case 'legacy.keys_stale_served':
        keyStale.inc({ idp: idpLabel(f.idp) });
        break;
      case 'store.replicas_behind':
        replicasLagging.set(1);
        break;
      case 'store.replicas_caught_up':
        replicasLagging.set(0);
        break;
      case 'store.unavailable':
        storeOutages.inc({ store: code(f.store) });
        break;
      case 'user.registered':
        registered.inc({ idp: idpLabel(f.idp) });
        break;
      case 'token.issued': {
        const types = Array.isArray(f.issued) ? f.issued : ['unknown'];
        for (const type of types) issued.inc({ type: code(type), grant_type: code(f.grantType) });
        break;
      }
      case 'code.reused':
        codeReuse.inc({ client: clientLabel(f.clientId) });
        break;
      case 'refresh.reused':
        refreshReuse.inc({ client: clientLabel(f.clientId) });
        break;
    }
  };

  return {
    registry,
    metrics: {
      event,
      storeCall(operation, ok, seconds) {
        storeOps.inc({ operation, outcome: ok ? 'ok' : 'error' });
        storeLatency.observe({ operation }, seconds);
      },
    },
    async respond() {
      return new Response(await registry.metrics(), { headers: { 'Content-Type': registry.contentType, 'Cache-Control': 'no-store' } });
    },
  };
}
