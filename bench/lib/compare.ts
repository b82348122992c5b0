import { readFile } from 'node:fs/promises';
import type { BenchResult } from './report.ts';

/** `npm run bench -- --compare A B`: every ratio of A beside B's, and B ÷ A. */
export async function compareFiles(a: string, b: string): Promise<void> {
  const [left, right] = (await Promise.all([readFile(a, 'utf8'), readFile(b, 'utf8')])).map((t) => JSON.parse(t) as BenchResult) as [BenchResult, BenchResult];
  const lines = [
    `| measure | A (${left.date}) | B (${right.date}) | B ÷ A |`,
    '|---|---:|---:|---:|',
    ...[...new Set([...left.ratios, ...right.ratios].map((r) => r.name))].map((name) => {
      const x = left.ratios.find((r) => r.name === name)?.ratio;
      const y = right.ratios.find((r) => r.name === name)?.ratio;
      const f = (v: number | undefined) => (v === undefined ? '—' : v.toFixed(2));
      return `| ${name} | ${f(x)} | ${f(y)} | ${x && y ? (y / x).toFixed(2) : '—'} |`;
    }),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}
