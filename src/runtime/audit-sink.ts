import { closeSync, fdatasyncSync, openSync, writeSync } from 'node:fs';
import type { AuditConfig } from '../config/audit-schema.ts';
import { auditRecord } from '../observability/audit.ts';
import type { EventObserver } from '../observability/event-hook.ts';

export interface AuditSink {
  observer: EventObserver;
  close(): void;
}

/**
 * The Node audit sink (`logging.audit`). Each audit event is one JSON line, written with a synchronous `write` and,
 * for a file, `fdatasync` before the logging call returns — that is, before the response the event describes is sent.
 * So an event the bridge acknowledged (answered for) is on disk even if the process or the machine crashes right
 * after. The price is one synchronous disk flush per audit event on the request path.
 */
export function createAuditSink(config: AuditConfig, clock: { now(): number } = Date): AuditSink {
  const toFile = 'file' in config;
  const fd = toFile ? openSync(config.file, 'a', 0o640) : 1;
  let closed = false;
  return {
    observer(level, fields) {
      if (closed) return;
      const record = auditRecord(level, fields, clock.now());
      if (!record) return;
      const line = Buffer.from(`${JSON.stringify(record)}\n`);
      let written = 0;
      while (written < line.length) written += writeSync(fd, line, written);
      if (toFile) fdatasyncSync(fd);
    },
    close() {
      if (closed) return;
      closed = true;
      if (toFile) closeSync(fd);
    },
  };
}
