import { Bench } from 'tinybench';
import { httpSuite, verificationSuite, type Suite } from './suites.ts';

// `npm run bench -- --micro`: in-process (no sockets). Each suite measures its baseline in the same run and prints every case as a ratio of it,
// so results compare across machines. BENCH_TIME_MS sets the time per task (default 1000).
const time = Number(process.env.BENCH_TIME_MS ?? 1000);

async function run(suite: Suite): Promise<void> {
  const bench = new Bench({ name: suite.name, time, warmup: true });
  bench.add(`baseline: ${suite.baseline[0]}`, suite.baseline[1]);
  for (const [name, fn] of suite.cases) bench.add(name, fn);
  await bench.run();
  const baseline = bench.tasks[0]!.result;
  if (baseline.state !== 'completed') throw new Error(`${suite.name}: the baseline failed`);
  console.log(`\n${suite.name}`);
  const rows = bench.tasks.map((task) => {
    const result = task.result;
    if (result.state !== 'completed')
      return { task: task.name, 'ops/s': 'error', 'mean µs': '', 'vs baseline': String((result as { error?: unknown }).error ?? result.state) };
    const ratio = result.latency.mean / baseline.latency.mean;
    return {
      task: task.name,
      'ops/s': Math.round(result.throughput.mean).toLocaleString('en'),
      'mean µs': (result.latency.mean * 1000).toFixed(1),
      'vs baseline': task === bench.tasks[0] ? '1.00x' : `${ratio.toFixed(2)}x the time`,
    };
  });
  console.table(rows);
  await suite.close?.();
}

for (const make of [verificationSuite, httpSuite]) await run(await make());
