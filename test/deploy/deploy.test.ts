/**
 * The deployment artifacts in deploy/ (Dockerfile, compose, Kubernetes, systemd, the example configuration) checked
 * against each other and against the real application. No Docker engine or cluster runs here, so what can be run is
 * run on the host: the configurations go through the real validator and `config check`, the probe paths through the
 * real app, and the image's ENTRYPOINT + CMD and HEALTHCHECK command are executed with node, followed by STOPSIGNAL.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, posix, relative, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, parseAllDocuments } from 'yaml';
import { runCli, type CliIo } from '../../src/cli/main.ts';
import { systemClock } from '../../src/clock.ts';
import { ConfigError } from '../../src/config/errors.ts';
import { parseConfig, validateConfig } from '../../src/config/parse.ts';
import { shutdownGraceSeconds } from '../../src/config/server-limits.ts';
import type { Config } from '../../src/config/schema.ts';
import { generateSigningJwk } from '../../src/keys/signing-keys.ts';
import { silentLogger } from '../../src/observability/logger.ts';
import { composeBridge } from '../../src/runtime/compose.ts';
import { createMemoryStore } from '../../src/storage/memory.ts';
import { minimalConfig } from '../helpers/config.ts';
import { freePort } from '../helpers/ports.ts';
import { SHIPPED_NODE_ARGS } from '../../bench/lib/procs.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const DEPLOY = join(ROOT, 'deploy');
const K8S = join(DEPLOY, 'kubernetes');
const run = promisify(execFile);

/** Stand-ins for the secrets the configurations take from the environment (valid shapes, not real values). */
const ENV = {
  REDIS_URL: 'redis://redis.example.internal:6379/0',
  WAF_SECRET: 'test-waf-secret-0123456789abcdef',
  NEW_APP_SECRET: 'test-new-app-secret-0123456789',
  LEGACY_UPSTREAM: 'legacy.example.internal:8000',
};

type Json = Record<string, any>; // parsed YAML

const read = (path: string) => readFileSync(path, 'utf8');

function yamlDocs(path: string): Json[] {
  const docs = parseAllDocuments(read(path), { uniqueKeys: true });
  for (const doc of docs) {
    if (doc.errors.length) throw new Error(`${relative(ROOT, path)}: ${doc.errors.map((e) => e.message).join('; ')}`);
  }
  return docs.map((doc) => doc.toJS() as Json).filter((doc) => doc !== null);
}

function io(env: Record<string, string | undefined>): CliIo & { stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  return { stdout, stderr, out: (l) => void stdout.push(l), err: (l) => void stderr.push(l), readStdin: async () => '', env };
}

/** `${VAR}` names used in a configuration's values (not in its comments; not `$${VAR}`, which stays literal). */
function configVariables(text: string): string[] {
  const names = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') for (const m of value.matchAll(/(?<!\$)\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) names.add(m[1]!);
    else if (value && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(parseYaml(text));
  return [...names].sort();
}

/** The bridge's drain time on SIGTERM with the shipped defaults (`server.shutdownGraceSeconds` absent). */
function drainSeconds(): number {
  return shutdownGraceSeconds(validateConfig(minimalConfig()));
}

/** Builds the real app from a config (memory store instead of Redis, a generated signing key) for probe checks. */
async function appFor(config: Config) {
  const store = createMemoryStore({ clock: systemClock, keyPrefix: config.store.keyPrefix });
  const { app } = await composeBridge({ config, clock: systemClock, logger: silentLogger, store, signingJwks: [await generateSigningJwk('RS256')] });
  return { app, close: () => store.close() };
}

function httpUrlOf(script: string): URL {
  const match = /https?:\/\/[^'"`\s]+/.exec(script);
  if (!match) throw new Error(`no URL in ${script}`);
  return new URL(match[0]);
}

// ── Dockerfile ──────────────────────────────────────────────────────────────────────────────────────────────────────

interface Instruction {
  keyword: string;
  args: string;
}

/** Dockerfile instructions: comments and parser directives dropped, line continuations joined. */
function parseDockerfile(text: string): Instruction[] {
  const out: Instruction[] = [];
  let pending = '';
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    if (/^\s*#/.test(line) || (!pending && !line.trim())) continue;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      continue;
    }
    const full = (pending + line).trim();
    pending = '';
    const [, keyword, args] = /^(\S+)\s*([\s\S]*)$/.exec(full)!;
    out.push({ keyword: keyword!.toUpperCase(), args: args!.trim() });
  }
  return out;
}

function execForm(args: string): string[] {
  expect(args.startsWith('['), `exec (JSON) form expected, got: ${args}`).toBe(true);
  const parsed = JSON.parse(args) as unknown;
  expect(Array.isArray(parsed) && parsed.every((a) => typeof a === 'string')).toBe(true);
  return parsed as string[];
}

const dockerfile = parseDockerfile(read(join(DEPLOY, 'Dockerfile')));
const fromIndexes = dockerfile.flatMap((ins, i) => (ins.keyword === 'FROM' ? [i] : []));
const finalStage = dockerfile.slice(fromIndexes.at(-1) ?? 0);
const buildStage = dockerfile.slice(fromIndexes[0] ?? 0, fromIndexes.at(-1));
const one = (stage: Instruction[], keyword: string): Instruction => {
  const found = stage.filter((ins) => ins.keyword === keyword);
  expect(found, `exactly one ${keyword}`).toHaveLength(1);
  return found[0]!;
};
const entrypoint = execForm(one(finalStage, 'ENTRYPOINT').args);
const cmd = execForm(one(finalStage, 'CMD').args);
const healthcheck = (() => {
  const match = /^((?:--[a-z-]+=\S+\s+)*)CMD\s+(\[[\s\S]*\])$/.exec(one(finalStage, 'HEALTHCHECK').args);
  if (!match) throw new Error('HEALTHCHECK must be [options] CMD ["exec", "form"]');
  return { options: Object.fromEntries([...match[1]!.matchAll(/--([a-z-]+)=(\S+)/g)].map((m) => [m[1]!, m[2]!])), command: execForm(match[2]!) };
})();
/** The config path the image's CMD passes with --config. */
const imageConfigPath = cmd[cmd.indexOf('--config') + 1];

/**
 * `config check` on a deployment config as the container would run it. The check reads and imports `signing.keys`
 * files exactly as `serve` does (#9.8), and the examples name the mounted secret /run/secrets/signing.jwk.json, which
 * does not exist on the test host: the copy checked points that one path at a generated RS256 key, nothing else changes.
 */
const MOUNTED_KEY = '/run/secrets/signing.jwk.json';
async function configCheck(file: string, env: Record<string, string | undefined>): Promise<{ code: number; cli: ReturnType<typeof io> }> {
  const dir = await mkdtemp(join(tmpdir(), 'jib-check-'));
  try {
    const keyFile = join(dir, 'signing.jwk.json');
    await writeFile(keyFile, JSON.stringify(await generateSigningJwk('RS256')));
    const text = read(file);
    expect(text).toContain(MOUNTED_KEY);
    await writeFile(join(dir, 'config.yaml'), text.split(MOUNTED_KEY).join(keyFile));
    const cli = io(env);
    return { code: await runCli(['config', 'check', '--config', join(dir, 'config.yaml')], cli), cli };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

// ── Example configuration and the compose file ─────────────────────────────────────────────────────────────────────

const exampleText = read(join(DEPLOY, 'config.example.yaml'));
const exampleConfig = parseConfig(exampleText, ENV);

/** Compose-style interpolation: `$$`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`. */
function interpolateCompose(value: unknown, env: Record<string, string | undefined>): unknown {
  if (typeof value === 'string') {
    return value.replace(
      /\$\$|\$\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?\}|\$([A-Za-z_][A-Za-z0-9_]*)/g,
      (match, braced?: string, op?: string, arg?: string, bare?: string) => {
        if (match === '$$') return '$';
        const name = (braced ?? bare)!;
        const current = env[name];
        const unset = op?.startsWith(':') ? !current : current === undefined;
        if (!unset) return current!;
        if (op?.endsWith('?')) throw new Error(`compose: ${name} is required: ${arg}`);
        if (op?.endsWith('-')) return arg ?? '';
        return '';
      },
    );
  }
  if (Array.isArray(value)) return value.map((item) => interpolateCompose(item, env));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, interpolateCompose(v, env)]));
  return value;
}

const composeRaw = yamlDocs(join(DEPLOY, 'compose.yaml'))[0]!;
const compose = interpolateCompose(composeRaw, ENV) as Json;

/** A compose service's environment as a map (both the mapping and the list syntax). */
function serviceEnv(service: Json): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) return Object.fromEntries(env.map((entry: string) => [entry.split('=')[0]!, entry.slice(entry.indexOf('=') + 1)]));
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)]));
}

/** Long- and short-syntax volume entries as { source, target, readOnly }. */
function serviceVolumes(service: Json): { source: string; target: string; readOnly: boolean }[] {
  return (service.volumes ?? []).map((v: string | Json) => {
    if (typeof v !== 'string') return { source: String(v.source), target: String(v.target), readOnly: v.read_only === true };
    const [source, target, mode] = v.split(':');
    return { source: source!, target: target!, readOnly: (mode ?? '').split(',').includes('ro') };
  });
}

// ── Kubernetes ─────────────────────────────────────────────────────────────────────────────────────────────────────

const kustomization = yamlDocs(join(K8S, 'kustomization.yaml'))[0]!;
/** The Secrets' shape comes from secret.example.yaml, which is deliberately not in the kustomization. */
const SECRET_EXAMPLE = 'secret.example.yaml';
const manifests = [...(kustomization.resources as string[]), SECRET_EXAMPLE].flatMap((file) => yamlDocs(join(K8S, file)).map((doc) => ({ file, doc })));
const ofKind = (kind: string) => manifests.filter((m) => m.doc.kind === kind).map((m) => m.doc);
const deployment = ofKind('Deployment')[0]!;
const podSpec = deployment.spec.template.spec as Json;
const container = podSpec.containers[0] as Json;
const configMap = ofKind('ConfigMap')[0]!;
const secrets = ofKind('Secret');

/** The container port a probe / Service targetPort refers to, by name or number. */
function containerPort(ref: string | number): number {
  const port = (container.ports as Json[]).find((p) => p.name === ref || p.containerPort === ref);
  if (!port) throw new Error(`no container port ${ref}`);
  return port.containerPort as number;
}

/** Where a file of a volume appears in the container: mount path + subPath, or mount dir + the item's path. */
function mountedFile(volumeName: string, key: string): string {
  const volume = (podSpec.volumes as Json[]).find((v) => v.name === volumeName)!;
  const source = (volume.configMap ?? volume.secret) as Json;
  const items = (source.items as Json[] | undefined) ?? [{ key, path: key }];
  const item = items.find((i) => i.key === key);
  if (!item) throw new Error(`volume ${volumeName} does not project ${key}`);
  const mount = (container.volumeMounts as Json[]).find((m) => m.name === volumeName && (!m.subPath || m.subPath === item.path));
  if (!mount) throw new Error(`volume ${volumeName} is not mounted`);
  return mount.subPath ? mount.mountPath : posix.join(mount.mountPath, item.path);
}

function secretValue(name: string, key: string): string | undefined {
  const secret = secrets.find((s) => s.metadata.name === name);
  return secret?.stringData?.[key] ?? (secret?.data?.[key] !== undefined ? Buffer.from(secret.data[key], 'base64').toString('utf8') : undefined);
}

const labelsMatch = (selector: Record<string, string>, labels: Record<string, string>) =>
  Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);

// ── systemd ────────────────────────────────────────────────────────────────────────────────────────────────────────

function parseUnit(text: string): Record<string, Record<string, string[]>> {
  const sections: Record<string, Record<string, string[]>> = {};
  let current: Record<string, string[]> | undefined;
  for (const line of text.split('\n').map((l) => l.trim())) {
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const section = /^\[(.+)\]$/.exec(line);
    if (section) {
      current = sections[section[1]!] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (!current || eq < 0) throw new Error(`unit file: unexpected line ${line}`);
    (current[line.slice(0, eq)] ??= []).push(line.slice(eq + 1));
  }
  return sections;
}
const unit = parseUnit(read(join(DEPLOY, 'systemd/jwt-idp-bridge.service')));
const service = unit.Service ?? {};
const unitValue = (key: string) => service[key]?.at(-1);

// ────────────────────────────────────────────────────────────────────────────────────────────────────────────────────

describe('deploy/config.example.yaml', () => {
  it('passes `jwt-idp-bridge config check` (runCli) with its variables set and its signing key mounted', async () => {
    const { code, cli } = await configCheck(join(DEPLOY, 'config.example.yaml'), ENV);
    expect(code, cli.stderr.join('\n')).toBe(0);
    expect(cli.stdout.join('\n')).toMatch(/is a valid configuration/);
    // Production-shaped: no fail-open opt-out to warn about.
    expect(cli.stderr.filter((line) => line.startsWith('warning:'))).toEqual([]);
  });

  it('without the signing key file, `config check` fails as `serve` would, naming signing.keys[0].file only', async () => {
    const cli = io(ENV);
    expect(await runCli(['config', 'check', '--config', join(DEPLOY, 'config.example.yaml')], cli)).toBe(1);
    expect(cli.stderr.slice(1)).toEqual([
      expect.stringMatching(/^ {2}signing\.keys\[0\]\.file: cannot read a JWK from \/run\/secrets\/signing\.jwk\.json \(ENOENT\)$/),
    ]);
  });

  it('fails `config check` without them, naming each variable', async () => {
    const cli = io({});
    expect(await runCli(['config', 'check', '--config', join(DEPLOY, 'config.example.yaml')], cli)).toBe(1);
    for (const name of ['REDIS_URL', 'WAF_SECRET', 'NEW_APP_SECRET']) expect(cli.stderr.join('\n')).toContain(`environment variable ${name} is not set`);
  });

  it('is production-shaped: Redis store, signing key file, WAF shared secret, confidential client', () => {
    expect(exampleConfig.store).toMatchObject({ type: 'redis', url: ENV.REDIS_URL });
    expect(exampleConfig.signing.keys).toEqual([{ file: '/run/secrets/signing.jwk.json' }]);
    expect(exampleConfig.identityProviders[0]!.trustedProxy?.sharedSecret).toBe(ENV.WAF_SECRET);
    expect(exampleConfig.clients[0]!.clientSecret).toBe(ENV.NEW_APP_SECRET);
    expect(configVariables(exampleText)).toEqual(['NEW_APP_SECRET', 'REDIS_URL', 'WAF_SECRET']);
    expect(exampleConfig.issuer).toMatch(/^https:\/\//);
  });

  it('agrees with the WAF template (deploy/nginx/waf.conf.template): path, legacy header, secret header', () => {
    const template = read(join(DEPLOY, 'nginx/waf.conf.template'));
    const idp = exampleConfig.identityProviders[0]!;
    expect(template).toContain(`location = ${new URL(idp.jwtEndpoint).pathname} {`);
    expect(template).toMatch(new RegExp(`^\\s*proxy_set_header\\s+${idp.headerName}\\s+\\$`, 'm'));
    expect(template).toMatch(new RegExp(`^\\s*proxy_set_header\\s+${idp.trustedProxy!.sharedSecretHeader}\\s+"\\$\\{WAF_SHARED_SECRET\\}"`, 'm'));
    expect(template).toMatch(/proxy_pass http:\/\/\S+\/login\/jwt\$is_args\$args;/);
  });
});

describe('deploy/Dockerfile', () => {
  it('is multi-stage on Node >= 22.18 and installs production dependencies only', () => {
    expect(fromIndexes.length).toBeGreaterThanOrEqual(2);
    const args = Object.fromEntries(
      dockerfile
        .slice(0, fromIndexes[0])
        .filter((i) => i.keyword === 'ARG')
        .map((i) => i.args.split('=') as [string, string]),
    );
    for (const index of fromIndexes) {
      const image = dockerfile[index]!.args.split(/\s+/)[0]!.replace(/\$\{(\w+)\}/g, (_, name: string) => args[name] ?? '');
      expect(image).toMatch(/^node:(2[4-9]|[3-9]\d)(-|$)/);
    }
    const npm = buildStage
      .filter((i) => i.keyword === 'RUN' && /\bnpm\b/.test(i.args))
      .map((i) => i.args)
      .join(' && ');
    expect(npm).toMatch(/\bnpm ci\b/);
    expect(npm).toMatch(/--omit=dev/);
    expect(finalStage.filter((i) => i.keyword === 'RUN' && /\bnpm (ci|install|i)\b/.test(i.args))).toEqual([]);
    expect(finalStage.some((i) => i.keyword === 'COPY' && /--from=build\b/.test(i.args))).toBe(true);
  });

  it('copies exactly what exists and what the build context lets in (Dockerfile.dockerignore)', () => {
    const sources = buildStage.filter((i) => i.keyword === 'COPY' && !i.args.startsWith('--from')).flatMap((i) => i.args.split(/\s+/).slice(0, -1));
    expect(sources.sort()).toEqual(['bin/', 'package-lock.json', 'package.json', 'src/']);
    const patterns = read(join(DEPLOY, 'Dockerfile.dockerignore'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    const toRegExp = (glob: string) =>
      new RegExp(
        `^${glob
          .replace(/[.+^${}()|[\]\\]/g, '\\$&')
          .replace(/\*\*\/?/g, '\u0000')
          .replace(/\*/g, '[^/]*')
          .replace(/\?/g, '[^/]')
          .replaceAll('\u0000', '(?:.*/)?')}$`,
      );
    /** Docker semantics: the last matching pattern wins; a pattern also matches a path's parent directories. */
    const included = (path: string) => {
      let inside = true;
      for (const pattern of patterns) {
        const negate = pattern.startsWith('!');
        const re = toRegExp(posix.normalize(negate ? pattern.slice(1) : pattern).replace(/\/$/, ''));
        const parts = path.split('/');
        if (parts.some((_, i) => re.test(parts.slice(0, i + 1).join('/')))) inside = negate;
      }
      return inside;
    };
    const walk = (dir: string): string[] =>
      readdirSync(join(ROOT, dir)).flatMap((name) => (statSync(join(ROOT, dir, name)).isDirectory() ? walk(`${dir}/${name}`) : [`${dir}/${name}`]));
    for (const file of ['package.json', 'package-lock.json', 'bin/jwt-idp-bridge.js', ...walk('src').filter((f) => !f.endsWith('.test.ts'))]) {
      expect(included(file), `${file} must be in the build context`).toBe(true);
    }
    for (const file of [
      'test/e2e/login.test.ts',
      '.git/HEAD',
      'node_modules/jose/package.json',
      'deploy/secrets/signing.jwk.json',
      'deploy/compose.yaml',
      '.env',
      'src/oidc/x.test.ts',
    ]) {
      expect(included(file), `${file} must stay out of the build context`).toBe(false);
    }
  });

  it('runs as a non-root user in the final stage, in production mode, on the configured port', () => {
    const user = finalStage
      .filter((i) => i.keyword === 'USER')
      .at(-1)
      ?.args.split(':')[0];
    expect(user).toBeDefined();
    expect(['root', '0']).not.toContain(user);
    expect(finalStage.some((i) => i.keyword === 'ENV' && /\bNODE_ENV=production\b/.test(i.args))).toBe(true);
    // The node flags the bridge ships with: the same in the image, the systemd unit, `npm start` and the bench.
    const nodeOptions = finalStage.find((i) => i.keyword === 'ENV' && i.args.startsWith('NODE_OPTIONS='))?.args.slice('NODE_OPTIONS='.length);
    expect(nodeOptions?.split(' ')).toEqual(SHIPPED_NODE_ARGS);
    expect(read(join(DEPLOY, 'systemd/jwt-idp-bridge.service'))).toContain(`Environment=NODE_OPTIONS=${SHIPPED_NODE_ARGS.join(' ')}\n`);
    expect((JSON.parse(read(join(DEPLOY, '../package.json'))) as { scripts: { start: string } }).scripts.start).toBe(
      `node ${SHIPPED_NODE_ARGS.join(' ')} bin/jwt-idp-bridge.js serve`,
    );
    expect(one(finalStage, 'EXPOSE').args.split(/\s+/)).toEqual([String(exampleConfig.server.port)]);
    expect(one(finalStage, 'STOPSIGNAL').args).toBe('SIGTERM');
  });

  it('HEALTHCHECK runs node fetch against /healthz on the configured port (no curl in slim images)', () => {
    expect(healthcheck.command[0]).toBe('node');
    expect(healthcheck.command[1]).toBe('-e');
    const url = httpUrlOf(healthcheck.command[2]!);
    expect(url.pathname).toBe('/healthz');
    expect(Number(url.port)).toBe(exampleConfig.server.port);
    expect(healthcheck.command[2]).toMatch(/\bfetch\(/);
    expect(Object.keys(healthcheck.options)).toEqual(expect.arrayContaining(['interval', 'timeout']));
  });

  it('ENTRYPOINT + CMD is `node bin/jwt-idp-bridge.js serve --config <the path every deployment mounts>`', async () => {
    expect(entrypoint).toEqual(['node', 'bin/jwt-idp-bridge.js']);
    expect(existsSync(join(ROOT, entrypoint[1]!))).toBe(true);
    expect(cmd[0]).toBe('serve');
    expect(cmd).toHaveLength(3);
    expect(imageConfigPath).toBe('/etc/jwt-idp-bridge/config.yaml');
    // Same options, other subcommand: the CLI accepts them (an unknown option would be a usage error, exit 2).
    // `config check` takes the same options (an unknown option would be a usage error, exit 2).
    expect(cmd.slice(1)).toEqual(['--config', imageConfigPath]);
    const { code, cli } = await configCheck(join(DEPLOY, 'config.example.yaml'), ENV);
    expect(code, cli.stderr.join('\n')).toBe(0);
  });
});

/**
 * The example config with the host's stand-ins for the container's mounts: memory store (no Redis needed), a
 * generated key at a temporary path, loopback on `port`. Returns the config file's path.
 */
async function writeHostConfig(dir: string, port: number): Promise<string> {
  const raw = parseYaml(exampleText) as Json;
  const keyFile = join(dir, 'signing.jwk.json');
  await writeFile(keyFile, JSON.stringify(await generateSigningJwk('RS256')));
  raw.store = { type: 'memory' };
  raw.server = { host: '127.0.0.1', port };
  raw.signing = { keys: [{ file: keyFile }] };
  const configFile = join(dir, 'config.yaml');
  await writeFile(configFile, JSON.stringify(raw));
  return configFile;
}
/** The image's ENV, key=value split at the first `=` (a value may hold more, e.g. NODE_OPTIONS=--flag=value). */
const imageEnv = Object.fromEntries(
  finalStage.filter((i) => i.keyword === 'ENV').map((i) => [i.args.slice(0, i.args.indexOf('=')), i.args.slice(i.args.indexOf('=') + 1)]),
);
/** node's arguments for the image's ENTRYPOINT + CMD, with the host's config file for the mounted one. */
const entrypointArgs = (configFile: string) => [join(ROOT, entrypoint[1]!), ...cmd.map((a) => (a === imageConfigPath ? configFile : a))];

describe('the image entrypoint, run with node (no Docker engine here)', () => {
  let dir: string;
  let child: ChildProcess;
  let port: number;
  const lines: string[] = [];
  let exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  /** Runs an exec-form `node -e ...` health check against our port; resolves with its exit code. */
  const runHealthcheck = async (command: string[]): Promise<number> => {
    const script = command[2]!.replace(`:${exampleConfig.server.port}/`, `:${port}/`);
    try {
      await run(process.execPath, [command[1]!, script], { timeout: 10_000 });
      return 0;
    } catch (error) {
      return (error as { code?: number }).code ?? -1;
    }
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-deploy-'));
    port = await freePort();
    const configFile = await writeHostConfig(dir, port);
    child = spawn(process.execPath, entrypointArgs(configFile), { cwd: ROOT, env: { ...process.env, ...imageEnv, ...ENV }, stdio: ['ignore', 'pipe', 'pipe'] });
    // 'close', not 'exit': it comes after the child's stdout and stderr ended, so `lines` then holds every log line.
    exited = new Promise((done) => child.once('close', (code, signal) => done({ code, signal })));
    let buffer = '';
    await new Promise<void>((started, failed) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        buffer += chunk.toString();
        const parts = buffer.split('\n');
        buffer = parts.pop()!;
        lines.push(...parts);
        if (parts.some((l) => l.includes('"server.started"'))) started();
      });
      child.stderr!.on('data', (chunk: Buffer) => lines.push(chunk.toString()));
      void exited.then(({ code }) => failed(new Error(`exited with ${code} before listening:\n${lines.join('\n')}`)));
    });
  });

  afterAll(async () => {
    if (child && child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  it('the Dockerfile HEALTHCHECK and the compose health check pass against the running bridge', async () => {
    expect(await runHealthcheck(healthcheck.command)).toBe(0);
    const composeTest = compose.services.bridge.healthcheck.test as string[];
    expect(composeTest.slice(0, 2)).toEqual(['CMD', 'node']);
    expect(await runHealthcheck(composeTest.slice(1))).toBe(0);
  });

  it('logs JSON with the production level (info) and a request id per request', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/healthz`);
    expect(response.headers.get('x-request-id')).toMatch(/\S/);
    const started = lines
      .map((l) => {
        try {
          return JSON.parse(l) as Json;
        } catch {
          return undefined;
        }
      })
      .find((l) => l?.event === 'server.started');
    expect(started).toMatchObject({ level: 'info', service: 'jwt-idp-bridge', store: 'memory' });
  });

  it('STOPSIGNAL drains and exits 0 before its own drain deadline; the health check then fails', async () => {
    const signal = one(finalStage, 'STOPSIGNAL').args as NodeJS.Signals;
    child.kill(signal);
    // closeOnSignals exits 0 only once the server closed; its drain timer (shutdownGraceSeconds, below every grace
    // period, checked above) exits 1 after logging server.drain_timeout.
    expect(await exited).toEqual({ code: 0, signal: null });
    const events = lines
      .flatMap((chunk) => chunk.split('\n'))
      .flatMap((line) => {
        try {
          return [(JSON.parse(line) as Json).event];
        } catch {
          return [];
        }
      });
    expect(events).toEqual(expect.arrayContaining(['server.signal', 'server.stopping', 'server.stopped']));
    expect(events).not.toContain('server.drain_timeout');
    expect(await runHealthcheck(healthcheck.command)).not.toBe(0);
  });
});

describe("Node's compile cache: the bin turns it on, the image fills it at build time, the systemd unit gives it a folder", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'jib-compile-cache-'));
    // Loaded before the bin (--import): reports at exit where the cache was (the folder above Node's per-version,
    // per-user one) and whether the TypeScript stripper was loaded.
    await writeFile(
      join(dir, 'probe.mjs'),
      [
        "import { getCompileCacheDir } from 'node:module';",
        "import { dirname } from 'node:path';",
        "process.on('exit', () => {",
        '  const dir = getCompileCacheDir();',
        "  const stripper = process.moduleLoadList.some((m) => m.includes('amaro'));",
        '  process.stderr.write(`compile-cache ${JSON.stringify({ dir: dir ? dirname(dir) : null, stripper })}\\n`);',
        '});',
      ].join('\n'),
    );
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const report = (stderr: string) => JSON.parse(/^compile-cache (.*)$/m.exec(stderr)![1]!) as { dir: string | null; stripper: boolean };
  const runBin = async (args: string[], env: Record<string, string | undefined>) => {
    const { NODE_COMPILE_CACHE: _, NODE_DISABLE_COMPILE_CACHE: __, ...inherited } = process.env;
    const { stderr } = await run(process.execPath, ['--import', join(dir, 'probe.mjs'), join(ROOT, 'bin/jwt-idp-bridge.js'), ...args], {
      cwd: ROOT,
      env: { ...inherited, ...env },
      timeout: 30_000,
    });
    return report(stderr);
  };
  /** The image's entrypoint serving (SIGTERM once it listens), with the given cache folder. */
  const serveWith = async (cache: string) => {
    const port = await freePort();
    const configFile = await writeHostConfig(await mkdtemp(join(dir, 'serve-')), port);
    const child = spawn(process.execPath, ['--import', join(dir, 'probe.mjs'), ...entrypointArgs(configFile)], {
      cwd: ROOT,
      env: { ...process.env, ...imageEnv, ...ENV, NODE_COMPILE_CACHE: cache },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => void (stderr += chunk.toString()));
    const exited = new Promise<number | null>((done) => child.once('exit', done));
    await new Promise<void>((started, failed) => {
      child.stdout!.on('data', (chunk: Buffer) => {
        stdout += chunk.toString();
        if (stdout.includes('"server.started"')) started();
      });
      void exited.then((code) => failed(new Error(`exited with ${code} before listening:\n${stdout}\n${stderr}`)));
    });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    return report(stderr);
  };

  it('the bin keeps it in node_modules/.cache/jwt-idp-bridge; NODE_COMPILE_CACHE moves it, NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
    expect((await runBin(['clients', 'secret'], {})).dir).toBe(join(ROOT, 'node_modules/.cache/jwt-idp-bridge'));
    const elsewhere = join(dir, 'elsewhere');
    expect((await runBin(['clients', 'secret'], { NODE_COMPILE_CACHE: elsewhere })).dir).toBe(elsewhere);
    expect(await runBin(['clients', 'secret'], { NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual({ dir: null, stripper: true });
  });

  it("the build stage fills it as the image's user, and a container serving from it never loads the TypeScript stripper", async () => {
    const workdir = one(buildStage, 'WORKDIR').args;
    const cacheDir = posix.join(workdir, 'node_modules/.cache/jwt-idp-bridge');
    const fill = buildStage.findIndex((i) => i.keyword === 'RUN' && i.args.startsWith(`NODE_COMPILE_CACHE=${cacheDir} `));
    expect(fill, 'a RUN that fills the cache the bin reads').toBeGreaterThan(0);
    // Node keeps one folder per user id: filled by the user the container runs as, in a folder that user may write.
    const lastUser = buildStage
      .slice(0, fill)
      .filter((i) => i.keyword === 'USER')
      .at(-1)?.args;
    expect(lastUser).toBe(one(finalStage, 'USER').args);
    expect(buildStage.slice(0, fill).some((i) => i.keyword === 'RUN' && i.args.includes(`chown ${lastUser} node_modules/.cache/jwt-idp-bridge`))).toBe(true);

    // The same command on the host, into a temporary folder; then the entrypoint serves from it.
    const filled = join(dir, 'filled');
    await run('sh', ['-c', buildStage[fill]!.args.replace(cacheDir, filled)], { cwd: ROOT, timeout: 60_000 });
    expect(await serveWith(filled)).toEqual({ dir: filled, stripper: false });
    // Without it (an empty folder, as the image was before): the stripper is loaded.
    expect((await serveWith(join(dir, 'empty'))).stripper).toBe(true);
  });

  it('the systemd unit points NODE_COMPILE_CACHE at the CacheDirectory systemd makes for the service user', () => {
    expect(unitValue('CacheDirectory')).toBe('jwt-idp-bridge');
    expect(service.Environment).toContain('NODE_COMPILE_CACHE=/var/cache/jwt-idp-bridge');
  });
});

describe('deploy/compose.yaml', () => {
  const services = compose.services as Json;
  const bridge = services.bridge as Json;

  it('requires the secrets from the environment instead of defaulting them', () => {
    const missing = { ...ENV, WAF_SECRET: undefined };
    expect(() => interpolateCompose(composeRaw, missing)).toThrow(/WAF_SECRET is required/);
    expect(() => interpolateCompose(composeRaw, { ...ENV, NEW_APP_SECRET: undefined })).toThrow(/NEW_APP_SECRET is required/);
  });

  it('builds the bridge from deploy/Dockerfile with the repository as context', () => {
    const context = resolve(DEPLOY, bridge.build.context);
    expect(context).toBe(ROOT);
    expect(resolve(context, bridge.build.dockerfile)).toBe(join(DEPLOY, 'Dockerfile'));
  });

  it('mounts the config read-only where the image CMD reads it, and the env satisfies it (config check)', async () => {
    const mount = serviceVolumes(bridge).find((v) => v.target === imageConfigPath);
    expect(mount, `a volume at ${imageConfigPath}`).toBeDefined();
    expect(mount!.readOnly).toBe(true);
    const source = resolve(DEPLOY, mount!.source);
    expect(source).toBe(join(DEPLOY, 'config.example.yaml'));
    // Only the service's own environment: whatever the config needs must be passed to the container.
    const { code, cli } = await configCheck(source, serviceEnv(bridge));
    expect(code, cli.stderr.join('\n')).toBe(0);
    const config = parseConfig(read(source), serviceEnv(bridge));
    expect(new URL(config.store.url!).hostname).toBe('redis');
    expect(services[new URL(config.store.url!).hostname]).toBeDefined();
  });

  it('mounts the signing key where the config reads it', () => {
    const entry = (bridge.secrets as Json[])[0]!;
    expect(compose.secrets[entry.source]).toBeDefined();
    const target = String(entry.target).startsWith('/') ? entry.target : `/run/secrets/${entry.target}`;
    expect(target).toBe((exampleConfig.signing.keys[0] as { file: string }).file);
  });

  it('publishes and health-checks the configured port; /readyz, served 200 by the app', async () => {
    const published = (bridge.ports as string[]).map((p) => Number(String(p).split(':').at(-1)));
    expect(published).toEqual([exampleConfig.server.port]);
    const url = httpUrlOf((bridge.healthcheck.test as string[]).at(-1)!);
    expect(Number(url.port)).toBe(exampleConfig.server.port);
    const { app, close } = await appFor(exampleConfig);
    try {
      expect((await app.request(url.pathname)).status).toBe(200);
    } finally {
      await close();
    }
  });

  it('starts the bridge once Redis is healthy and gives SIGTERM more time than the drain', () => {
    expect(bridge.depends_on.redis.condition).toBe('service_healthy');
    expect(Number(/^(\d+)s$/.exec(bridge.stop_grace_period)?.[1])).toBeGreaterThan(drainSeconds());
    expect(bridge.read_only).toBe(true);
    expect(bridge.cap_drop).toContain('ALL');
  });

  it('runs Redis with an append-only file on a volume and a redis-cli ping health check', () => {
    const redis = services.redis as Json;
    expect(redis.image).toMatch(/^redis:7/);
    const command: string[] = Array.isArray(redis.command) ? redis.command : String(redis.command).split(/\s+/);
    expect(command.join(' ')).toMatch(/--appendonly yes/);
    const data = serviceVolumes(redis).find((v) => v.target === '/data');
    expect(compose.volumes).toHaveProperty(data!.source);
    expect(redis.healthcheck.test.join(' ')).toMatch(/redis-cli ping/);
  });

  it('runs the WAF from ./nginx/waf.conf.template with every placeholder set and nothing else substituted', () => {
    const waf = services.waf as Json;
    expect(waf.image).toMatch(/^nginx:/);
    const mount = serviceVolumes(waf).find((v) => v.source === './nginx/waf.conf.template');
    expect(mount).toMatchObject({ target: '/etc/nginx/templates/default.conf.template', readOnly: true });
    expect(existsSync(join(DEPLOY, 'nginx/waf.conf.template'))).toBe(true);
    const template = read(join(DEPLOY, 'nginx/waf.conf.template'));
    const placeholders = [...new Set([...template.matchAll(/\$\{([A-Z_]+)\}/g)].map((m) => m[1]!))].sort();
    expect(placeholders).toEqual(['BRIDGE_UPSTREAM', 'LEGACY_UPSTREAM', 'LISTEN_PORT', 'WAF_SHARED_SECRET']);
    const env = serviceEnv(waf);
    for (const name of placeholders) expect(env[name], name).toBeTruthy();
    const filter = new RegExp(env.NGINX_ENVSUBST_FILTER!);
    expect(
      Object.keys(env)
        .filter((name) => filter.test(name))
        .sort(),
    ).toEqual(placeholders);
    expect(['args', 'host', 'is_args', 'NGINX_ENVSUBST_FILTER'].some((name) => filter.test(name))).toBe(false);
    // The WAF reaches the bridge by its service name on the configured port, with the bridge's own secret.
    expect(env.BRIDGE_UPSTREAM).toBe(`bridge:${exampleConfig.server.port}`);
    expect(env.WAF_SHARED_SECRET).toBe(serviceEnv(bridge).WAF_SECRET);
    expect((waf.ports as string[]).map((p) => String(p).split(':').at(-1))).toEqual([env.LISTEN_PORT]);
    expect(waf.depends_on.bridge.condition).toBe('service_healthy');
  });
});

describe('deploy/kubernetes', () => {
  const configText = configMap.data['config.yaml'] as string;
  const envNames = (container.env as Json[]).map((e) => e.name as string);
  /** The container's environment with each secretKeyRef resolved to `values[key]`. */
  const containerEnv = (values: (secret: string, key: string) => string | undefined) =>
    Object.fromEntries(
      (container.env as Json[]).map((e) => [
        e.name,
        e.value ?? (e.valueFrom?.secretKeyRef ? values(e.valueFrom.secretKeyRef.name, e.valueFrom.secretKeyRef.key) : undefined),
      ]),
    ) as Record<string, string | undefined>;
  const config = parseConfig(
    configText,
    containerEnv((_, key) => ENV[key as keyof typeof ENV]),
  );

  it('kustomization lists every manifest, each a known kind that parses as YAML', () => {
    const files = readdirSync(K8S)
      .filter((f) => /\.ya?ml$/.test(f) && f !== 'kustomization.yaml' && f !== SECRET_EXAMPLE)
      .sort();
    // Placeholder Secrets must never be applied over real ones by `kubectl apply -k`.
    expect(kustomization.resources).not.toContain(SECRET_EXAMPLE);
    expect([...kustomization.resources].sort()).toEqual(files);
    const known: Record<string, string> = { Deployment: 'apps/v1', Service: 'v1', ConfigMap: 'v1', Secret: 'v1', PodDisruptionBudget: 'policy/v1' };
    for (const { file, doc } of manifests) {
      expect(known[doc.kind], `${file}: ${doc.kind}`).toBe(doc.apiVersion);
      expect(doc.metadata?.name, `${file}: metadata.name`).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
    }
    expect(kustomization.apiVersion).toBe('kustomize.config.k8s.io/v1beta1');
    // The images: override must name the Deployment's image, or it silently does nothing.
    expect((kustomization.images as Json[]).map((i) => i.name)).toContain(String(container.image).split(':')[0]);
  });

  it('the ConfigMap carries a valid configuration (validator and `config check`)', async () => {
    expect(config.store.type).toBe('redis');
    const dir = await mkdtemp(join(tmpdir(), 'jib-cm-'));
    try {
      await writeFile(join(dir, 'config.yaml'), configText);
      const { code, cli } = await configCheck(join(dir, 'config.yaml'), ENV);
      expect(code, cli.stderr.join('\n')).toBe(0);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('runs ≥ 2 replicas, a PDB of minAvailable 1 and a Service, all selecting the pods', () => {
    const labels = deployment.spec.template.metadata.labels as Record<string, string>;
    expect(deployment.spec.replicas).toBeGreaterThanOrEqual(2);
    expect(labelsMatch(deployment.spec.selector.matchLabels, labels)).toBe(true);
    const pdb = ofKind('PodDisruptionBudget')[0]!;
    expect(pdb.spec.minAvailable).toBe(1);
    expect(pdb.spec.minAvailable).toBeLessThan(deployment.spec.replicas);
    expect(labelsMatch(pdb.spec.selector.matchLabels, labels)).toBe(true);
    const svc = ofKind('Service')[0]!;
    expect(labelsMatch(svc.spec.selector, labels)).toBe(true);
    expect(deployment.spec.strategy?.rollingUpdate?.maxUnavailable).toBe(0);
  });

  it('container, probe and Service ports agree with each other and with server.port', () => {
    expect(containerPort('http')).toBe(config.server.port);
    expect((container.ports as Json[]).map((p) => p.containerPort)).toEqual([config.server.port]);
    expect(containerPort(container.readinessProbe.httpGet.port)).toBe(config.server.port);
    expect(containerPort(container.livenessProbe.httpGet.port)).toBe(config.server.port);
    for (const port of ofKind('Service')[0]!.spec.ports as Json[]) expect(containerPort(port.targetPort)).toBe(config.server.port);
  });

  it('readiness probes /readyz and liveness /healthz, both served 200 by the app built from the ConfigMap', async () => {
    expect(container.readinessProbe.httpGet.path).toBe('/readyz');
    expect(container.livenessProbe.httpGet.path).toBe('/healthz');
    const { app, close } = await appFor(config);
    try {
      for (const probe of [container.readinessProbe, container.livenessProbe, container.startupProbe].filter(Boolean)) {
        const response = await app.request(probe.httpGet.path);
        expect(response.status, probe.httpGet.path).toBe(200);
      }
      expect((await app.request('/no-such-probe')).status).toBe(404);
    } finally {
      await close();
    }
  });

  it('mounts the ConfigMap where the image CMD reads the config, and the signing Secret where the config reads the key', () => {
    const configVolume = (podSpec.volumes as Json[]).find((v) => v.configMap)!;
    expect(configVolume.configMap.name).toBe(configMap.metadata.name);
    expect(mountedFile(configVolume.name, 'config.yaml')).toBe(imageConfigPath);
    const keyFile = (config.signing.keys[0] as { file: string }).file;
    const keyVolume = (podSpec.volumes as Json[]).find((v) => v.secret)!;
    const keySecret = secrets.find((s) => s.metadata.name === keyVolume.secret.secretName);
    expect(keySecret, `Secret ${keyVolume.secret.secretName}`).toBeDefined();
    expect(mountedFile(keyVolume.name, posix.basename(keyFile))).toBe(keyFile);
    expect(secretValue(keyVolume.secret.secretName, posix.basename(keyFile))).toBeDefined();
    for (const mount of container.volumeMounts as Json[]) {
      if (mount.name !== 'tmp') expect(mount.readOnly, mount.name).toBe(true);
    }
  });

  it('passes every ${VAR} of the config from an existing Secret key', () => {
    expect(envNames.sort()).toEqual(expect.arrayContaining(configVariables(configText)));
    for (const e of container.env as Json[]) {
      const ref = e.valueFrom?.secretKeyRef;
      if (ref) expect(secretValue(ref.name, ref.key), `${ref.name}/${ref.key}`).toBeDefined();
    }
  });

  it('the example Secrets are placeholders a bridge refuses to start with', () => {
    const placeholderEnv = containerEnv(secretValue);
    let problems: string[] = [];
    try {
      parseConfig(configText, placeholderEnv);
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigError);
      problems = (error as ConfigError).problems.map((p) => p.path);
    }
    expect(problems).toEqual(expect.arrayContaining(['store.url', 'identityProviders[0].trustedProxy.sharedSecret', 'clients[0].clientSecret']));
    const keyVolume = (podSpec.volumes as Json[]).find((v) => v.secret)!;
    expect(() => JSON.parse(secretValue(keyVolume.secret.secretName, 'signing.jwk.json')!)).toThrow();
  });

  it('is locked down: non-root (numeric uid, as the image USER is a name), read-only root, no capabilities', () => {
    const pod = podSpec.securityContext as Json;
    const sc = container.securityContext as Json;
    expect(sc.runAsNonRoot ?? pod.runAsNonRoot).toBe(true);
    const uid = sc.runAsUser ?? pod.runAsUser;
    expect(Number.isInteger(uid) && uid > 0).toBe(true);
    expect(sc.readOnlyRootFilesystem).toBe(true);
    expect(sc.allowPrivilegeEscalation).toBe(false);
    expect(sc.capabilities.drop).toContain('ALL');
    expect(sc.capabilities.add ?? []).toEqual([]);
    expect(container.resources.requests).toMatchObject({ cpu: expect.any(String), memory: expect.any(String) });
    expect(container.resources.limits.memory).toEqual(expect.any(String));
    expect(podSpec.automountServiceAccountToken).toBe(false);
  });

  it('gives the pod longer than preStop + the bridge drain before SIGKILL', () => {
    const preStop = container.lifecycle?.preStop?.exec?.command as string[] | undefined;
    const sleep = preStop && preStop[0] === 'sleep' ? Number(preStop[1]) : 0;
    expect(podSpec.terminationGracePeriodSeconds).toBeGreaterThan(sleep + drainSeconds());
  });

  const kubectl = (() => {
    try {
      return statSync('/usr/bin/kubectl').isFile() ? '/usr/bin/kubectl' : undefined;
    } catch {
      return undefined;
    }
  })();
  it.skipIf(!kubectl)('renders with `kubectl kustomize` (when kubectl is installed)', async () => {
    const { stdout } = await run(kubectl!, ['kustomize', K8S], { timeout: 15_000 });
    const kinds = parseAllDocuments(stdout).map((d) => (d.toJS() as Json).kind);
    expect(kinds.sort()).toEqual(
      manifests
        .filter((m) => m.file !== SECRET_EXAMPLE)
        .map((m) => m.doc.kind)
        .sort(),
    );
    expect(stdout).toMatch(/image: \S+\/jwt-idp-bridge:/);
  });
});

describe('deploy/systemd/jwt-idp-bridge.service', () => {
  it('ExecStart is node + the bin + `serve --config <config path>`, which the CLI accepts', async () => {
    const exec = unitValue('ExecStart')!.split(/\s+/);
    expect(exec.slice(0, 2)).toEqual(['/usr/bin/node', '/opt/jwt-idp-bridge/bin/jwt-idp-bridge.js']);
    expect(exec.slice(2)).toEqual(['serve', '--config', '/etc/jwt-idp-bridge/config.yaml']);
    expect(exec.slice(2)).toEqual(cmd);
    const { code, cli } = await configCheck(join(DEPLOY, 'config.example.yaml'), ENV);
    expect(code, cli.stderr.join('\n')).toBe(0);
  });

  it('stops with SIGTERM, waits longer than the drain, restarts on failure, runs as a dedicated user', () => {
    expect(unitValue('KillSignal')).toBe('SIGTERM');
    expect(Number(/^(\d+)s?$/.exec(unitValue('TimeoutStopSec') ?? '')?.[1])).toBeGreaterThan(drainSeconds());
    expect(unitValue('Restart')).toBe('on-failure');
    expect(unitValue('User')).toMatch(/^[a-z_][a-z0-9_-]*$/);
    expect(['root', '0']).not.toContain(unitValue('User'));
    expect(unitValue('EnvironmentFile')).toMatch(/^-?\//);
    expect(unit.Install?.WantedBy).toEqual(['multi-user.target']);
  });

  it('is hardened, without the one setting that breaks V8 (MemoryDenyWriteExecute)', () => {
    for (const [key, value] of Object.entries({
      NoNewPrivileges: 'yes',
      ProtectSystem: 'strict',
      PrivateTmp: 'yes',
      ProtectHome: 'yes',
      PrivateDevices: 'yes',
    })) {
      expect(unitValue(key), key).toBe(value);
    }
    expect(unitValue('CapabilityBoundingSet')).toBe('');
    expect(unitValue('MemoryDenyWriteExecute') ?? 'no').toBe('no');
  });

  it('makes the signing key appear where the config reads it', () => {
    const binds = (service.BindReadOnlyPaths ?? []).flatMap((v) => v.split(/\s+/)).map((b) => b.split(':')[1]);
    expect(binds).toContain((exampleConfig.signing.keys[0] as { file: string }).file);
  });

  const analyze = existsSync('/usr/bin/systemd-analyze') ? '/usr/bin/systemd-analyze' : undefined;
  it.skipIf(!analyze)('systemd-analyze verify finds no unknown or invalid settings (when installed)', async () => {
    const result = await run(analyze!, ['verify', join(DEPLOY, 'systemd/jwt-idp-bridge.service')], { timeout: 15_000 }).catch(
      (error: { stdout: string; stderr: string }) => error,
    );
    const output = `${result.stdout}\n${result.stderr}`;
    // Missing executables or users on this machine are not the unit's fault; syntax problems are.
    expect(
      output
        .split('\n')
        .filter((l) => /Unknown (key|section|lvalue)|Failed to parse|Invalid|[Uu]nknown/.test(l) && !/not executable|does not exist|No such file/.test(l)),
    ).toEqual([]);
  });
});
