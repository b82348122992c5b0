import type { VerificationCheck } from './reasons.ts';

/**
 * The `token verify` trace, recorded while the checks run and written out only when someone reads it (`token verify`,
 * a test): a login never does, and formatting every line (dates, durations, JSON of claims, key-source notes) on every
 * verification was work for nobody. A line is kept as a function of values captured when its check ran, so a trace
 * read later still says what was seen then.
 */
export interface Trace {
  /** A check that passed; `detail` runs only if the trace is read. */
  pass(name: string, detail: () => string): void;
  /** Lines written only if the trace is read (several claims at once). */
  later(lines: () => readonly VerificationCheck[]): void;
  /** A line already written (the failing one, whose detail the result carries anyway). */
  add(check: VerificationCheck): void;
  /** The lines in the order recorded; written once, on the first read. */
  read(): VerificationCheck[];
}

export function createTrace(): Trace {
  const recorded: (VerificationCheck | (() => readonly VerificationCheck[]))[] = [];
  let written: VerificationCheck[] | undefined;
  return {
    pass: (name, detail) => void recorded.push(() => [{ name, ok: true, detail: detail() }]),
    later: (lines) => void recorded.push(lines),
    add: (check) => void recorded.push(check),
    read: () => (written ??= recorded.flatMap((line) => (typeof line === 'function' ? line() : [line]))),
  };
}
