import autocannon from 'autocannon';
import { Agent, request } from 'node:http';

export interface LoadResult {
  /** Completed requests per second (or sequences per second for multi-step runs, see `perSequence`). */
  rate: number;
  p50: number;
  p99: number;
  requests: number;
  errors: number;
  durationS: number;
}

export interface Step {
  method?: 'GET' | 'POST';
  path?: string;
  headers?: Record<string, string>;
  body?: string;
  /** Builds the request from the sequence context; return undefined to abandon the sequence. */
  setup?: (context: Record<string, unknown>) => { path: string; headers?: Record<string, string>; body?: string; method?: string } | undefined;
  /** Checks the response and stores what the next step needs; return false to count an error. */
  onResponse?: (status: number, headers: Record<string, string | string[]>, context: Record<string, unknown>, body: string) => boolean;
}

/** Latency samples (ms) of one named step, recorded by the hooks. */
export class Samples {
  readonly values: number[] = [];
  add(ms: number): void {
    this.values.push(ms);
  }
  percentile(p: number): number {
    if (!this.values.length) return Number.NaN;
    const sorted = [...this.values].sort((a, b) => a - b);
    return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
  }
}

export function header(headers: Record<string, string | string[]>, name: string): string | undefined {
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === name) return Array.isArray(value) ? value[0] : value;
  return undefined;
}

export function setCookies(headers: Record<string, string | string[]>): string[] {
  const out: string[] = [];
  for (const [key, value] of Object.entries(headers)) if (key.toLowerCase() === 'set-cookie') out.push(...(Array.isArray(value) ? value : [value]));
  return out;
}

export interface LoadOptions {
  url: string;
  connections: number;
  /** Stop after this many seconds... */
  duration?: number;
  /** ...or after this many requests (pool-consuming runs). */
  amount?: number;
  /** Requests per second cap over all connections (for "p99 at half the maximum rate"). */
  overallRate?: number;
  steps: Step[];
  /** Per-step latency samples, by step index, filled when given. */
  stepSamples?: Samples[];
}

/**
 * One autocannon run. Every connection runs `steps` in order (a sequence, e.g. a login); `rate` is requests per
 * second; errors are non-matching responses (onResponse false), socket errors and timeouts.
 */
export async function load(options: LoadOptions): Promise<LoadResult> {
  let badResponses = 0;
  let lastResponse = 0;
  const requests = options.steps.map((step, i) => {
    const samples = options.stepSamples?.[i];
    const request: Record<string, unknown> = {
      method: step.method ?? 'GET',
      ...(step.path && { path: step.path }),
      ...(step.headers && { headers: step.headers }),
      ...(step.body && { body: step.body }),
    };
    if (step.setup || samples) {
      request.setupRequest = (req: Record<string, unknown>, context: Record<string, unknown>) => {
        const built = step.setup ? step.setup(context) : { path: step.path! };
        if (!built) return undefined;
        if (samples) context[`t${i}`] = performance.now();
        return { ...req, ...built, headers: { ...(step.headers ?? {}), ...(built.headers ?? {}) } };
      };
    }
    request.onResponse = (status: number, body: string, context: Record<string, unknown>, headers: Record<string, string | string[]>) => {
      lastResponse = performance.now();
      if (samples) samples.add(performance.now() - (context[`t${i}`] as number));
      const ok = step.onResponse ? step.onResponse(status, headers ?? {}, context, body) : status < 400;
      if (!ok) {
        badResponses++;
        if (process.env.BENCH_DEBUG && badResponses <= 3)
          process.stderr.write(`step ${i}: ${status} ${JSON.stringify(headers)} ${String(body).slice(0, 200)}\n`);
      }
    };
    return request;
  });
  const started = performance.now();
  const result = await autocannon({
    url: options.url,
    connections: options.amount !== undefined ? Math.min(options.connections, options.amount) : options.connections,
    pipelining: 1,
    timeout: 30,
    ...(options.duration !== undefined && { duration: options.duration }),
    ...(options.amount !== undefined && { amount: options.amount }),
    ...(options.overallRate !== undefined && { overallRate: options.overallRate }),
    requests: requests as never,
  });
  // Our own clock, up to the last response: autocannon reports whole seconds, and it notices that an `amount` run is
  // complete only at its next one-second tick, so either clock capped pool-sized runs at pool ÷ ⌈seconds⌉.
  const durationS = ((options.amount !== undefined && lastResponse > started ? lastResponse : performance.now()) - started) / 1000;
  const total = result.requests.total;
  return {
    rate: total / durationS,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: total,
    errors: badResponses + result.errors + result.timeouts,
    durationS,
  };
}

export interface PacedOptions {
  url: string;
  /** Requests per second, sent at even intervals whatever the answers do (an open loop). */
  rate: number;
  amount: number;
  /** Keep-alive connections at most (requests wait for a free one: that wait counts as latency). */
  connections: number;
  step: Step;
  /** A cheap GET that opens the connections before the clock starts (default /healthz). */
  warmPath?: string;
}

/**
 * Requests at a steady rate, each timed from the moment it was due to be sent: the latency a caller arriving at that
 * rate sees, queueing included. autocannon cannot do this: its rate cap lets each connection send its quota for the
 * second at full speed, then idle (a burst at the full rate), and with a cap it adds "coordinated omission" samples
 * assuming 1 ms between requests; both inflate p99 at a partial rate.
 */
export async function pacedLoad(options: PacedOptions): Promise<LoadResult> {
  const agent = new Agent({ keepAlive: true, maxSockets: options.connections });
  const base = new URL(options.url);
  const latencies: number[] = [];
  const debug: [number, number][] = [];
  let errors = 0;
  // Warm connections, as a steady state has them (opening them inside the timed window put the first sends at 30-60 ms).
  await Promise.all(
    Array.from(
      { length: options.connections },
      () =>
        new Promise<void>((resolve) => {
          const req = request({ host: base.hostname, port: base.port, path: options.warmPath ?? '/healthz', agent }, (res) => res.resume().on('end', resolve));
          req.on('error', () => resolve());
          req.end();
        }),
    ),
  );
  const started = performance.now();
  const interval = 1000 / options.rate;
  const one = (due: number) =>
    new Promise<void>((resolve) => {
      const context: Record<string, unknown> = {};
      const built = options.step.setup ? options.step.setup(context) : { path: options.step.path! };
      if (!built) {
        errors++;
        return resolve();
      }
      const headers = { ...(options.step.headers ?? {}), ...(built.headers ?? {}) };
      const req = request(
        { host: base.hostname, port: base.port, path: built.path, method: built.method ?? options.step.method ?? 'GET', headers, agent },
        (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => {
            body += chunk;
          });
          res.on('end', () => {
            latencies.push(performance.now() - due);
            if (process.env.BENCH_DEBUG) debug.push([Math.round(due - started), performance.now() - due]);
            const ok = options.step.onResponse
              ? options.step.onResponse(res.statusCode ?? 0, res.headers as Record<string, string | string[]>, context, body)
              : (res.statusCode ?? 500) < 400;
            if (!ok) {
              errors++;
              if (process.env.BENCH_DEBUG && errors <= 3)
                process.stderr.write(`paced: ${res.statusCode} ${JSON.stringify(res.headers)} ${body.slice(0, 200)}\n`);
            }
            resolve();
          });
        },
      );
      req.on('error', () => {
        errors++;
        resolve();
      });
      req.end(built.body ?? options.step.body);
    });
  const inFlight: Promise<void>[] = [];
  let sent = 0;
  while (sent < options.amount) {
    const now = performance.now();
    while (sent < options.amount && started + sent * interval <= now) inFlight.push(one(started + sent++ * interval));
    await new Promise((r) => setTimeout(r, Math.max(0, started + sent * interval - performance.now())));
  }
  await Promise.all(inFlight);
  const durationS = (performance.now() - started) / 1000;
  agent.destroy();
  if (process.env.BENCH_DEBUG)
    process.stderr.write(
      `slowest (due ms, latency ms): ${JSON.stringify(
        debug
          .sort((a, b) => b[1] - a[1])
          .slice(0, 40)
          .map(([d, l]) => [d, Math.round(l)]),
      )}\n`,
    );
  latencies.sort((a, b) => a - b);
  const at = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor((p / 100) * latencies.length))] ?? Number.NaN;
  return { rate: latencies.length / durationS, p50: at(50), p99: at(99), requests: latencies.length, errors, durationS };
}
