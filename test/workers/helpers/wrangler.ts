import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const ROOT = join(import.meta.dirname, '../../..');
const WRANGLER = join(ROOT, 'node_modules/wrangler/bin/wrangler.js');

/** No network beyond loopback: no telemetry, no error reports, no update check (the banner does it). */
export const OFFLINE_ENV = {
  WRANGLER_SEND_METRICS: 'false',
  WRANGLER_SEND_ERROR_REPORTS: 'false',
  WRANGLER_HIDE_BANNER: 'true',
  CLOUDFLARE_TELEMETRY_DISABLED: '1',
  NO_COLOR: '1',
  FORCE_COLOR: '0',
};

/** Runs wrangler to completion; rejects with its output on a non-zero exit. */
export function runWrangler(args: string[], options: { logDir: string }): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, ...OFFLINE_ENV, WRANGLER_LOG_PATH: options.logDir };
    const child = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => void (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('exit', (code) =>
      code === 0 ? resolve({ stdout, stderr }) : reject(new Error(`wrangler ${args.join(' ')} exited with ${code}\n${stdout}\n${stderr}`)),
    );
  });
}

export interface WranglerDev {
  url: string;
  /** Everything wrangler and the Worker printed (the Worker's console lines included). */
  output(): string;
  /** Resolves when the output matches (log lines may arrive after the response they belong to). */
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<string>;
  close(): Promise<void>;
}

/**
 * `wrangler dev` of the project's wrangler.toml on a loopback port, in workerd, with local Durable Objects persisted to
 * a temp dir. Config and keys are passed as `--var` bindings: the Worker reads vars and secrets alike, and `.env` files
 * would not do (wrangler expands `${VAR}` in them, which is the config's own interpolation syntax). An empty
 * `--env-file` keeps a developer's `.dev.vars` out of the test. Resolves once wrangler reports it is ready.
 */
export async function startWranglerDev(options: { port: number; vars: Record<string, string>; readyTimeoutMs?: number }): Promise<WranglerDev> {
  const dir = await mkdtemp(join(tmpdir(), 'jib-wrangler-'));
  const envFile = join(dir, '.env');
  await writeFile(envFile, '', { mode: 0o600 });
  const args = [
    'dev',
    '--config',
    join(ROOT, 'wrangler.toml'),
    '--local',
    '--ip',
    '127.0.0.1',
    '--port',
    String(options.port),
    '--inspector-ip',
    '127.0.0.1',
    '--persist-to',
    join(dir, 'state'),
    '--env-file',
    envFile,
    '--show-interactive-dev-session=false',
    '--live-reload=false',
    ...Object.entries(options.vars).flatMap(([name, value]) => ['--var', `${name}:${value}`]),
  ];
  // Wrangler's own debug log goes to the temp dir, not to the user's home.
  const env = { ...process.env, ...OFFLINE_ENV, WRANGLER_LOG_PATH: dir };
  const child: ChildProcess = spawn(process.execPath, [WRANGLER, ...args], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const watchers = new Set<() => void>();
  const onOutput = (chunk: Buffer) => {
    output += chunk.toString();
    for (const watcher of [...watchers]) watcher();
  };
  child.stdout!.on('data', onOutput);
  child.stderr!.on('data', onOutput);
  const waitForOutput = (pattern: RegExp, timeoutMs = 10_000) =>
    new Promise<string>((resolve, reject) => {
      const check = () => {
        const match = pattern.exec(output);
        if (!match) return;
        watchers.delete(check);
        clearTimeout(timer);
        resolve(match[0]);
      };
      const timer = setTimeout(() => {
        watchers.delete(check);
        reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${output}`));
      }, timeoutMs);
      watchers.add(check);
      check();
    });
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${options.port}`;
  try {
    await Promise.race([
      waitForOutput(new RegExp(`Ready on ${url.replace(/[.]/g, '\\.')}`), options.readyTimeoutMs ?? 60_000),
      exited.then((code) => Promise.reject(new Error(`wrangler dev exited with ${code}:\n${output}`))),
    ]);
  } catch (error) {
    child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url,
    output: () => output,
    waitForOutput,
    async close() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
