export interface Ratio {
  name: string;
  ratio: number;
  value: number;
  baseline: number;
  baselineName: string;
  target?: string;
}

export interface BenchResult {
  date: string;
  mode: 'quick' | 'full';
  machine: Record<string, string>;
  connections: number;
  baselines: Record<string, number>;
  runs: Record<string, Record<string, unknown> & { rate: number; p50: number; p99: number }>;
  ratios: Ratio[];
  memory: Record<string, unknown>;
  notes: string[];
}

const fmt = (n: number) => (Math.abs(n) >= 100 ? Math.round(n).toLocaleString('en') : n.toFixed(n >= 10 ? 1 : 2));

/** Whether a ratio meets a target written as "≥ 0.5", "< 1", "≤ 1". */
export function meets(ratio: number, target: string | undefined): string {
  if (!target) return '';
  const [op, value] = target.split(' ') as [string, string];
  if (op === '≈') return Math.abs(ratio - 1) <= 0.15 ? `${target} ✓ steady` : `${target} ✗ the machine's load changed`;
  const v = Number(value);
  const ok = op === '≥' ? ratio >= v : op === '≤' ? ratio <= v : op === '<' ? ratio < v : ratio > v;
  return ok ? `${target} ✓` : `${target} ✗ missed`;
}

export function renderMarkdown(result: BenchResult): string {
  const lines = [
    `## jwt-idp-bridge benchmark (${result.mode}, ${result.date})`,
    '',
    `Machine: ${result.machine.cpus}, ${result.machine.memory}, Node ${result.machine.node}, ${result.machine.platform}. ${result.connections} connections in flight. Every ratio is against a baseline measured in the same run.`,
    '',
    '| measure | ratio | target | value | baseline |',
    '|---|---:|---|---:|---|',
    ...result.ratios.map(
      (r) => `| ${r.name} | **${r.ratio.toFixed(2)}** | ${meets(r.ratio, r.target)} | ${fmt(r.value)} | ${r.baselineName}: ${fmt(r.baseline)} |`,
    ),
    '',
    '| run | req/s | p50 ms | p99 ms | errors | peak RSS MiB | server cores | server CPU µs/req | load generator cores |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...Object.entries(result.runs).map(([name, r]) => {
      const n = (value: unknown, digits: number) => (typeof value === 'number' ? value.toFixed(digits) : '');
      return `| ${name} | ${fmt(r.rate)}${r.logins ? ` (${fmt(r.logins as number)} logins/s)` : ''} | ${r.p50} | ${r.p99} | ${(r as { errors?: number }).errors ?? 0} | ${r.rssPeak ? ((r.rssPeak as number) / 2 ** 20).toFixed(0) : ''} | ${n(r.serverCores, 2)} | ${n(r.serverCpuUsPerRequest, 0)} | ${n(r.loadCores, 2)} |`;
    }),
    '',
  ];
  const steps = Object.entries(result.runs).filter(([, r]) => r.steps);
  if (steps.length) {
    lines.push('| login steps (p50 / p99 ms) | authorize | JWT endpoint | callback | token |', '|---|---:|---:|---:|---:|');
    for (const [name, r] of steps) {
      const s = r.steps as Record<string, { p50: number; p99: number }>;
      lines.push(`| ${name} | ${['authorize', 'jwt', 'callback', 'token'].map((k) => `${s[k]!.p50.toFixed(1)} / ${s[k]!.p99.toFixed(1)}`).join(' | ')} |`);
    }
    lines.push('');
  }
  lines.push('| baseline (raw jose, one process) | ops/s |', '|---|---:|', ...Object.entries(result.baselines).map(([k, v]) => `| ${k} | ${fmt(v)} |`), '');
  if (result.notes.length) lines.push(...result.notes.map((n) => `- ${n}`), '');
  return `${lines.join('\n')}\n`;
}
