import type { DurableObjectState, SqlStorage } from '@cloudflare/workers-types';
import { DurableObject } from 'cloudflare:workers';

/**
 * The Durable Object of the `durable-object` store (Cloudflare Workers); its client is durable-object-store.ts.
 * Durable Objects are strongly consistent within one object and run one event at a time, so a port call that reads, checks and writes inside one object method — with no `await` in
 * between, using the synchronous SQLite API — is atomic across every isolate and location of the Worker. Each port
 * method is exactly one such call (STORAGE.md: every atomic protocol step is one call on one key).
 *
 * TTL: each row has an absolute expiry; reads treat expired rows as absent and delete them (lazy expiry), and an alarm
 * sweeps expired rows in bulk so that storage does not grow with old codes and auth requests.
 */

/** The Durable Object class to bind (wrangler.toml: `class_name = "BridgeStoreObject"`, a SQLite-backed class). */
export class BridgeStoreObject extends DurableObject<unknown> {
  private readonly sql: SqlStorage;
  /** The alarm time this instance last read or set; undefined until read once. */
  private sweepAt: number | null | undefined;

  constructor(ctx: DurableObjectState, env: unknown) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    this.sql.exec(`CREATE TABLE IF NOT EXISTS entries (key TEXT PRIMARY KEY, value TEXT NOT NULL, expires_at INTEGER)`);
    this.sql.exec(`CREATE INDEX IF NOT EXISTS entries_expiry ON entries (expires_at) WHERE expires_at IS NOT NULL`);
  }

  get(key: string): string | null {
    return this.live(key)?.value ?? null;
  }

  async set(key: string, value: string, ttlMs: number | null): Promise<void> {
    this.write(key, value, expiryFor(ttlMs));
    await this.scheduleSweep(ttlMs);
  }

  async setIfAbsent(key: string, value: string, ttlMs: number | null): Promise<boolean> {
    if (this.live(key) !== undefined) return false;
    this.write(key, value, expiryFor(ttlMs));
    await this.scheduleSweep(ttlMs);
    return true;
  }

  getAndDelete(key: string): string | null {
    const row = this.live(key);
    if (row === undefined) return null;
    this.remove(key);
    return row.value;
  }

  async compareAndSwap(key: string, expected: string, next: string | null, ttlMs: number | null): Promise<boolean> {
    const row = this.live(key);
    if (row === undefined || row.value !== expected) return false;
    if (next === null) {
      this.remove(key);
      return true;
    }
    // Without a new TTL the key keeps the one it had (port contract; Redis `SET … KEEPTTL`).
    this.write(key, next, ttlMs === null ? row.expires_at : expiryFor(ttlMs));
    await this.scheduleSweep(ttlMs);
    return true;
  }

  delete(key: string): boolean {
    if (this.live(key) === undefined) return false;
    this.remove(key);
    return true;
  }

  /** Live keys starting with `prefix`, in key order. Keys sharing a prefix are contiguous in SQLite's byte order. */
  list(prefix: string): string[] {
    const now = Date.now();
    const keys: string[] = [];
    const cursor = this.sql.exec<{ key: string; expires_at: number | null }>('SELECT key, expires_at FROM entries WHERE key >= ? ORDER BY key', prefix);
    for (const row of cursor) {
      if (!row.key.startsWith(prefix)) break;
      if (row.expires_at === null || row.expires_at > now) keys.push(row.key);
    }
    return keys;
  }

  /** Remaining TTL with Redis PTTL semantics (-2 absent, -1 durable); for tests and inspection. */
  pttl(key: string): number {
    const row = this.live(key);
    if (row === undefined) return -2;
    return row.expires_at === null ? -1 : row.expires_at - Date.now();
  }

  ping(): 'pong' {
    return 'pong';
  }

  /** Deletes every expired row, then waits for the next expiry. */
  override async alarm(): Promise<void> {
    this.sweepAt = null;
    this.sql.exec('DELETE FROM entries WHERE expires_at IS NOT NULL AND expires_at <= ?', Date.now());
    const next = this.sql.exec<{ next: number | null }>('SELECT MIN(expires_at) AS next FROM entries').one().next;
    if (next !== null) await this.setSweep(next + SWEEP_DELAY_MS);
  }

  private live(key: string): { value: string; expires_at: number | null } | undefined {
    const row = this.sql.exec<{ value: string; expires_at: number | null }>('SELECT value, expires_at FROM entries WHERE key = ?', key).toArray()[0];
    if (row === undefined) return undefined;
    if (row.expires_at !== null && row.expires_at <= Date.now()) {
      this.remove(key);
      return undefined;
    }
    return row;
  }

  private write(key: string, value: string, expiresAt: number | null): void {
    this.sql.exec(
      'INSERT INTO entries (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at',
      key,
      value,
      expiresAt,
    );
  }

  private remove(key: string): void {
    this.sql.exec('DELETE FROM entries WHERE key = ?', key);
  }

  /**
   * After a write with a TTL: make sure a sweep is due some time after that expiry. Runs after the atomic step, and
   * never fails the call that wrote: expired rows are invisible anyway, the sweep only reclaims their space.
   */
  private async scheduleSweep(ttlMs: number | null): Promise<void> {
    if (ttlMs === null) return;
    const at = Date.now() + ttlMs + SWEEP_DELAY_MS;
    try {
      if (this.sweepAt === undefined) this.sweepAt = await this.ctx.storage.getAlarm();
      if (this.sweepAt !== null && this.sweepAt <= at) return;
      await this.setSweep(at);
    } catch {
      this.sweepAt = undefined; // unknown again: read it on the next write
    }
  }

  private async setSweep(at: number): Promise<void> {
    this.sweepAt = at;
    await this.ctx.storage.setAlarm(at);
  }
}

/**
 * Sweeps run this long after the expiry that scheduled them, so that one alarm clears many expired rows. Correctness
 * never depends on it: expired rows are already invisible.
 */
const SWEEP_DELAY_MS = 5 * 60_000;

function expiryFor(ttlMs: number | null): number | null {
  return ttlMs === null ? null : Date.now() + ttlMs;
}
