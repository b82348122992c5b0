import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

// `node bench/top-frames.ts DIR [N] [--inclusive] [--callers TEXT]`: reads the V8 CPU profiles in DIR (written by
// `npm run bench -- --cpu-prof DIR`) and prints, for each, the top N functions (default 25) with their share of all
// samples:
//   (default)        by self time: where the samples landed;
//   --inclusive      by self + callee time, each function counted once per stack (recursion is not counted twice):
//                    what a function costs with everything it calls;
//   --callers TEXT   the callers of the functions whose "name file:line" contains TEXT, by the inclusive time
//                    spent in them from each caller: who asks for the work.
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { inclusive: { type: 'boolean', default: false }, callers: { type: 'string' } },
});
const dir = positionals[0];
if (!dir) {
  console.error('usage: node bench/top-frames.ts DIR [N] [--inclusive] [--callers TEXT]');
  process.exit(2);
}
const top = Number(positionals[1] ?? 25);

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const where = url.replace(/^.*\/(node_modules|src)\//, '$1/').replace(/^file:\/\//, '');
  return `${functionName || '(anonymous)'} ${where}:${lineNumber + 1}`;
}

/** Samples per label: self hits, or every distinct label on the stack above each hit (inclusive). */
function tally(nodes: ProfileNode[], mode: 'self' | 'inclusive' | { callersOf: string }): { counts: Map<string, number>; total: number } {
  const byId = new Map(nodes.map((node) => [node.id, node]));
  const children = new Set(nodes.flatMap((node) => node.children ?? []));
  const counts = new Map<string, number>();
  const add = (key: string, hits: number) => counts.set(key, (counts.get(key) ?? 0) + hits);
  let total = 0;
  // Depth-first with the labels on the current stack; a label is credited once per sample however often it recurs.
  const walk = (node: ProfileNode, stack: string[]) => {
    const key = label(node);
    const path = [...stack, key];
    const hits = node.hitCount ?? 0;
    total += hits;
    if (hits) {
      if (mode === 'self') add(key, hits);
      else if (mode === 'inclusive') for (const seen of new Set(path)) add(seen, hits);
      else {
        const callers = new Set<string>();
        for (let i = 1; i < path.length; i++) if (path[i]!.includes(mode.callersOf) && !path[i - 1]!.includes(mode.callersOf)) callers.add(path[i - 1]!);
        for (const caller of callers) add(caller, hits);
      }
    }
    for (const id of node.children ?? []) walk(byId.get(id)!, path);
  };
  for (const root of nodes.filter((node) => !children.has(node.id))) walk(root, []);
  return { counts, total };
}

const mode = values.callers !== undefined ? { callersOf: values.callers } : values.inclusive ? 'inclusive' : 'self';
for (const file of (await readdir(dir)).filter((f) => f.endsWith('.cpuprofile'))) {
  const profile = JSON.parse(await readFile(join(dir, file), 'utf8')) as { nodes: ProfileNode[] };
  const { counts, total } = tally(profile.nodes, mode);
  const what = typeof mode === 'string' ? mode : `callers of "${mode.callersOf}"`;
  console.log(`\n${file}: ${total} samples, ${what}`);
  for (const [key, hits] of [...counts].sort((a, b) => b[1] - a[1]).slice(0, top)) console.log(`${((100 * hits) / total).toFixed(1).padStart(5)}%  ${key}`);
}
