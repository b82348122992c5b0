import { spawn, type ChildProcess } from 'node:child_process';
import { openSync, readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort } from '../../test/helpers/ports.ts';

const ROOT = join(import.meta.dirname, '../..');
export const BIN = join(ROOT, 'bin/jwt-idp-bridge.js');
/** The node flags the bridge ships with (`npm start`, the image's NODE_OPTIONS, the systemd unit; test/deploy checks they agree). */
export const SHIPPED_NODE_ARGS = ['--max-semi-space-size=16'];

export interface Proc {
  child: ChildProcess;
  url: string;
  /** Resident set size in bytes of the process and its children (cluster workers). */
  rss(): number;
  /** CPU time (user + system) in seconds of the process and its living children, from /proc. */
  cpuSeconds(): number;
  stop(): Promise<void>;
}

function rssOf(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
    return kb * 1024 + childrenOf(pid).reduce((sum, child) => sum + rssOf(child), 0);
  } catch {
    return 0;
  }
}

function childrenOf(pid: number): number[] {
  try {
    return readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

const TICKS_PER_SECOND = 100; // USER_HZ: 100 on every Linux architecture Node runs on

function cpuOf(pid: number): number {
  try {
    // Fields after the command (which is in parentheses and may contain spaces): utime is the 14th, stime the 15th.
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    const own = (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    return own + childrenOf(pid).reduce((sum, child) => sum + cpuOf(child), 0);
  } catch {
    return 0;
  }
}

function stopper(child: ChildProcess): () => Promise<void> {
  return () =>
    new Promise<void>((resolve) => {
      if (child.exitCode !== null || child.signalCode !== null) return resolve();
      const hard = setTimeout(() => child.kill('SIGKILL'), 15_000);
      child.once('exit', () => {
        clearTimeout(hard);
        resolve();
      });
      child.kill('SIGTERM');
    });
}

/** Starts `node <script>` and resolves with the `url` of the first JSON line it prints. */
export async function startPeer(script: string, env: Record<string, string> = {}): Promise<Proc> {
  const child = spawn(process.execPath, [join(ROOT, script)], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'inherit'] });
  const url = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const line = buffer.split('\n').find((l) => l.startsWith('{"url"'));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  child.stdout!.resume();
  return { child, url, rss: () => rssOf(child.pid!), cpuSeconds: () => cpuOf(child.pid!), stop: stopper(child) };
}

export interface BridgeOptions {
  dir: string;
  name: string;
  jwksUrl: string;
  legacyIssuer: string;
  store: { type: 'memory' } | { type: 'redis'; url: string; keyPrefix: string };
  workers?: number;
  /** ZITADEL-style: keysCache.maxAgeSeconds 0, a Keys Endpoint fetch per login. */
  noKeyCache?: boolean;
  clients: Record<string, unknown>[];
  signing?: { keys: { jwk: unknown }[] };
  /** Write a V8 CPU profile into this folder on exit. */
  cpuProfDir?: string;
  logLevel?: string;
  /** Node flags instead of the shipped ones (else BENCH_NODE_ARGS, for experiments such as --trace-gc, else SHIPPED_NODE_ARGS). */
  nodeArgs?: string[];
}

/** `jwt-idp-bridge serve` with a generated config; resolves once /healthz answers. */
export async function startBridge(options: BridgeOptions): Promise<Proc & { issuer: string; port: number }> {
  const port = await freePort();
  const issuer = `http://127.0.0.1:${port}`;
  const config = {
    issuer,
    server: { host: '127.0.0.1', port, workers: options.workers ?? 1 },
    store: options.store,
    logging: { level: options.logLevel ?? 'info' },
    ...(options.signing && { signing: options.signing }),
    // Codes are prepared ahead of the /token run: they must outlive the preparation.
    tokens: { codeTtlSeconds: 600 },
    identityProviders: [
      {
        id: 'legacy',
        issuer: options.legacyIssuer,
        keysEndpoint: options.jwksUrl,
        ...(options.noKeyCache && { keysCache: { maxAgeSeconds: 0, cooldownSeconds: 0 } }),
        jwtEndpoint: 'http://127.0.0.1:9/existing/auth-new',
        headerName: 'x-custom-tkn',
        audiences: ['jwt-idp-bridge'],
        trustedProxy: 'none',
      },
    ],
    clients: options.clients,
  };
  const file = join(options.dir, `${options.name}.json`);
  await writeFile(file, JSON.stringify(config, null, 2));
  const args = [
    ...(options.cpuProfDir ? ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`] : []),
    ...(options.nodeArgs ?? process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? SHIPPED_NODE_ARGS),
    BIN,
    'serve',
    '--config',
    file,
  ];
  // Logs go to a file, as a container's stdout would: written (pino at info), not read by the load generator.
  const logFile = join(options.dir, `${options.name}.log`);
  const child = spawn(process.execPath, args, { stdio: ['ignore', openSync(logFile, 'w'), 'inherit'] });
  const workers = options.workers ?? 1;
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`bridge ${options.name} exited with ${child.exitCode}`);
    try {
      if (workers > 1 ? readFileSync(logFile, 'utf8').includes('"event":"cluster.started"') : (await fetch(`${issuer}/readyz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`bridge ${options.name} did not become ready`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return { child, url: issuer, issuer, port, rss: () => rssOf(child.pid!), cpuSeconds: () => cpuOf(child.pid!), stop: stopper(child) };
}
