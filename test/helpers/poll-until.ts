/**
 * Resolves once `condition()` is true, checking it again every `intervalMs` (a check, not a sleep that stands in for
 * one); rejects with `what` after `timeoutMs`, so a wait that never ends fails the test instead of hanging it or
 * passing by luck. For what only the outside world can change, such as Redis expiring a key with a real TTL. No Node
 * import: the workerd tests use it too.
 */
export async function pollUntil(
  condition: () => boolean | Promise<boolean>,
  options: { what: string; timeoutMs?: number; intervalMs?: number },
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? 2_000;
  const intervalMs = options.intervalMs ?? 10;
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${options.what}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
