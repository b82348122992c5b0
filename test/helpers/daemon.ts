import type { ChildProcess } from 'node:child_process';

/**
 * Collects what a server process writes (stdout and stderr) and waits until it reports that it is ready (`ready`
 * matches the output), failing with the output so far when it exits, cannot be spawned, or takes longer than
 * `timeoutMs`. On failure the process is killed and awaited, so nothing is left running, and `onFailure` cleans up.
 */
export async function awaitReady(
  child: ChildProcess,
  options: { name: string; ready: RegExp; timeoutMs: number; onFailure?: () => void },
): Promise<{ output: () => string; exited: Promise<number | null> }> {
  const { name, ready, timeoutMs } = options;
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))));
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms:\n${output}`)), timeoutMs);
      const check = () => {
        if (ready.test(output)) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.stderr?.on('data', check);
      child.once('error', (error) => {
        clearTimeout(timer);
        reject(error);
      });
      void exited.then((code) => {
        clearTimeout(timer);
        reject(new Error(`${name} exited (${code}) during start-up:\n${output}`));
      });
    });
  } catch (error) {
    // A spawn failure (e.g. ENOENT) has no process, and then 'exit' need not fire.
    if (child.pid !== undefined && child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
    options.onFailure?.();
    throw error;
  }
  return { output: () => output, exited };
}
