import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runWrangler } from './helpers/wrangler.ts';

/**
 * The Worker bundle exactly as `wrangler deploy` would upload it (the project's wrangler.toml, minified), built with
 * `wrangler deploy --dry-run --outdir`: within the size budget, and free of Node-only dependencies.
 */
const BUDGET_GZIP_KIB = 150;
/** Node-only packages, and `yaml` (the Worker takes JSON config, so the YAML parser must stay out). */
const EXCLUDED = ['ioredis', 'pino', 'prom-client', '@hono/node-server', 'yaml'];

let dir: string;
let code: string;
let inputs: string[];
let reported: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'jib-bundle-'));
  const out = join(dir, 'out');
  const { stdout } = await runWrangler(['deploy', '--dry-run', '--outdir', out, '--metafile', join(dir, 'meta.json'), '--config', 'wrangler.toml'], {
    logDir: dir,
  });
  reported = /Total Upload: .*/.exec(stdout)?.[0] ?? '';
  code = await readFile(join(out, 'index.js'), 'utf8'); // named after the entry, src/runtime/worker/index.ts
  const meta = JSON.parse(await readFile(join(dir, 'meta.json'), 'utf8')) as { inputs: Record<string, unknown> };
  inputs = Object.keys(meta.inputs);
}, 60_000);

afterAll(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('worker bundle', () => {
  it(`is at most ${BUDGET_GZIP_KIB} KiB gzipped`, () => {
    const gzipKib = gzipSync(code, { level: 9 }).length / 1024;
    console.log(`worker bundle: ${(code.length / 1024).toFixed(1)} KiB, ${gzipKib.toFixed(1)} KiB gzip (wrangler: ${reported})`);
    expect(reported).toMatch(/gzip: [\d.]+ KiB/);
    expect(Number(/gzip: ([\d.]+) KiB/.exec(reported)![1])).toBeLessThanOrEqual(BUDGET_GZIP_KIB);
    expect(gzipKib).toBeLessThanOrEqual(BUDGET_GZIP_KIB);
  });

  it('contains no Node-only dependency and no node: import', () => {
    const packages = inputs.filter((file) => file.includes('node_modules/')).map((file) => file.split('node_modules/').pop()!);
    for (const name of EXCLUDED)
      expect(
        packages.filter((file) => file.startsWith(`${name}/`)),
        name,
      ).toEqual([]);
    expect(inputs.filter((file) => file.startsWith('node:'))).toEqual([]);
    for (const marker of [/\bioredis\b/, /\bpino\b/, /prom-client/, /node:fs/, /["']node:/]) expect(code, String(marker)).not.toMatch(marker);
  });

  it('is built from the Worker entry, with the Durable Object class and the edge stores', () => {
    expect(inputs).toContain('src/runtime/worker/index.ts');
    for (const file of [
      'src/storage/bridge-store-object.ts',
      'src/storage/durable-object-store.ts',
      'src/storage/upstash.ts',
      'src/observability/console-logger.ts',
    ])
      expect(inputs).toContain(file);
    expect(inputs).not.toContain('src/storage/redis.ts');
    expect(inputs).not.toContain('src/runtime/node.ts');
    expect(code).toMatch(/export\s*\{[^}]*BridgeStoreObject/);
  });
});
