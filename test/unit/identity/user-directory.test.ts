import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createManualClock } from '../../../src/clock.ts';
import { createUserDirectory } from '../../../src/identity/user-directory.ts';
import { linkKey, userKey, type UserDirectory } from '../../../src/identity/user.ts';
import type { Logger } from '../../../src/observability/logger.ts';
import { createMemoryStore } from '../../../src/storage/memory.ts';
import type { Store } from '../../../src/storage/port.ts';
import { createRedisStore } from '../../../src/storage/redis.ts';

const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

interface Backend {
  /** Two stores over the same data: the same Map for memory, two separate connections for Redis. */
  stores: [Store, Store];
  cleanup(): Promise<void>;
}

const backends: Record<string, () => Backend> = {
  memory() {
    const store = createMemoryStore({ clock: createManualClock(0) });
    return { stores: [store, store], cleanup: () => store.close() };
  },
  redis() {
    const keyPrefix = `test:${randomBytes(6).toString('hex')}:`;
    const open = () => createRedisStore({ url, keyPrefix, logger: quiet });
    const stores: [Store, Store] = [open(), open()];
    return {
      stores,
      async cleanup() {
        for (const key of await stores[0].list('')) await stores[0].delete(key);
        await Promise.all(stores.map((s) => s.close()));
      },
    };
  },
};

const quiet: Logger = { debug() {}, info() {}, warn() {}, error() {}, child: () => quiet };

describe.each(Object.keys(backends))('user directory (%s)', (backendName) => {
  let backend: Backend;
  let clock: ReturnType<typeof createManualClock>;
  let events: Record<string, unknown>[];
  let directory: UserDirectory;
  const directoryOn = (store: Store) => {
    const log = (fields: Record<string, unknown>) => void events.push(fields);
    const logger: Logger = { debug: log, info: log, warn: log, error: log, child: () => logger };
    return createUserDirectory({ store, clock, logger });
  };
  const login = (sub: string, extra: Partial<Parameters<UserDirectory['resolve']>[0]> = {}) =>
    directory.resolve({ idp: 'corp', sub, profile: { email: `${sub}@example.com` }, autoRegister: true, autoUpdate: true, ...extra });

  beforeEach(() => {
    backend = (backends[backendName] as () => Backend)();
    clock = createManualClock(1_000);
    events = [];
    directory = directoryOn(backend.stores[0]);
  });
  afterEach(() => backend.cleanup());

  it('registers on first login and finds the same user on the next', async () => {
    const first = await login('alice');
    expect(first).toMatchObject({ status: 'ok', registered: true });
    if (first.status !== 'ok') throw new Error('unreachable');
    expect(first.user.id).toMatch(/^[A-Za-z0-9_-]{22,}$/);
    expect(first.user).toMatchObject({ disabled: false, createdAt: 1_000, identities: [{ idp: 'corp', sub: 'alice' }] });
    expect(events).toContainEqual(expect.objectContaining({ event: 'user.registered', idp: 'corp', userId: first.user.id }));
    const second = await login('alice');
    expect(second).toMatchObject({ status: 'ok', registered: false, user: { id: first.user.id } });
    expect(await directory.get(first.user.id)).toEqual(first.user);
  });

  it('gives two subs two users', async () => {
    const a = await login('alice');
    clock.advance(1); // list() orders by creation time
    const b = await login('bob');
    expect(a.status === 'ok' && b.status === 'ok' && a.user.id !== b.user.id).toBe(true);
    expect((await directory.list()).map((u) => u.identities[0]?.sub)).toEqual(['alice', 'bob']);
  });

  it('keeps subs containing ":" apart', async () => {
    const a = await directory.resolve({ idp: 'a:b', sub: 'c', profile: {}, autoRegister: true, autoUpdate: false });
    const b = await directory.resolve({ idp: 'a', sub: 'b:c', profile: {}, autoRegister: true, autoUpdate: false });
    expect(a.status === 'ok' && b.status === 'ok' && a.user.id !== b.user.id).toBe(true);
    expect(linkKey('a:b', 'c')).not.toBe(linkKey('a', 'b:c'));
  });

  it('does not register when autoRegister is off', async () => {
    expect(await login('carol', { autoRegister: false })).toEqual({ status: 'not_registered' });
    expect(await directory.list()).toEqual([]);
  });

  it('refuses a disabled user, and lets them in again once enabled', async () => {
    const first = await login('dave');
    if (first.status !== 'ok') throw new Error('unreachable');
    expect((await directory.setDisabled(first.user.id, true))?.disabled).toBe(true);
    expect(await login('dave')).toMatchObject({ status: 'disabled', user: { id: first.user.id, disabled: true } });
    await directory.setDisabled(first.user.id, false);
    expect(await login('dave')).toMatchObject({ status: 'ok', user: { disabled: false } });
    expect(await directory.setDisabled('no-such-user', true)).toBeNull();
  });

  it('refreshes the profile only when autoUpdate is on and it changed', async () => {
    const first = await login('erin', { profile: { name: 'Erin', groups: ['a'] } });
    if (first.status !== 'ok') throw new Error('unreachable');
    clock.advance(10);
    const same = await login('erin', { profile: { groups: ['a'], name: 'Erin' } }); // same claims, other order
    expect(same).toMatchObject({ user: { updatedAt: 1_000 } });
    const off = await login('erin', { profile: { name: 'Erin B.' }, autoUpdate: false });
    expect(off).toMatchObject({ user: { profile: { name: 'Erin', groups: ['a'] }, updatedAt: 1_000 } });
    const on = await login('erin', { profile: { name: 'Erin B.' } });
    expect(on).toMatchObject({ user: { profile: { name: 'Erin B.' }, updatedAt: 1_010 } });
    expect(await directory.get(first.user.id)).toMatchObject({ profile: { name: 'Erin B.' } });
  });

  it('a returning user with an unchanged profile costs two reads (link, record) and no write', async () => {
    const first = await login('hana');
    if (first.status !== 'ok') throw new Error('unreachable');
    const [store] = backend.stores;
    const calls: string[] = [];
    const counting = new Proxy(store, {
      get(target, name, receiver) {
        const value = Reflect.get(target, name, receiver);
        return typeof value === 'function' ? (...args: unknown[]) => (calls.push(String(name)), value.apply(target, args)) : value;
      },
    });
    const again = await directoryOn(counting).resolve({
      idp: 'corp',
      sub: 'hana',
      profile: { email: 'hana@example.com' },
      autoRegister: true,
      autoUpdate: true,
    });
    expect(again).toMatchObject({ status: 'ok', registered: false, user: { id: first.user.id } });
    // Before the fix the record was read a second time by the update step.
    expect(calls).toEqual(['get', 'get']);
  });

  it('a profile update racing with a disable never undoes the disable', async () => {
    const first = await login('ivan', { profile: { name: 'Ivan' } });
    if (first.status !== 'ok') throw new Error('unreachable');
    const [store] = backend.stores;
    const admin = directoryOn(store);
    let raced = false;
    // The admin disables the user between the login's read and its compare-and-swap.
    const racing: Store = {
      ...store,
      async compareAndSwap(key, expected, next, options) {
        if (!raced) {
          raced = true;
          await admin.setDisabled(first.user.id, true);
        }
        return store.compareAndSwap(key, expected, next, options);
      },
    };
    const result = await directoryOn(racing).resolve({ idp: 'corp', sub: 'ivan', profile: { name: 'Ivan B.' }, autoRegister: true, autoUpdate: true });
    expect(raced).toBe(true);
    expect(result).toMatchObject({ status: 'disabled', user: { disabled: true } });
    expect(await directory.get(first.user.id)).toMatchObject({ disabled: true, profile: { name: 'Ivan' } });
  });

  it('30 parallel first logins through two directories on two connections create exactly one user', async () => {
    const directories = [directory, directoryOn(backend.stores[1])];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (directories[i % 2] as UserDirectory).resolve({ idp: 'corp', sub: 'frank', profile: { i }, autoRegister: true, autoUpdate: false }),
      ),
    );
    const ids = new Set(results.map((r) => (r.status === 'ok' ? r.user.id : r.status)));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => r.status === 'ok' && r.registered)).toHaveLength(1);
    expect(await directory.list()).toHaveLength(1);
    expect((await directory.list())[0]?.id).toBe([...ids][0]);
  });

  it('repairs a registration interrupted between the link and the record', async () => {
    const [store] = backend.stores;
    await store.setIfAbsent(linkKey('corp', 'grace'), 'orphan-id-0123456789ab'); // step 1 done, then a crash
    const repaired = await login('grace');
    expect(repaired).toMatchObject({ status: 'ok', registered: true, user: { id: 'orphan-id-0123456789ab' } });
    expect(await store.get(userKey('orphan-id-0123456789ab'))).not.toBeNull();
    expect(await login('grace', { autoRegister: false })).toMatchObject({ status: 'ok', registered: false });
  });

  it('delete removes the record and its links; the next login registers afresh', async () => {
    const first = await login('heidi');
    if (first.status !== 'ok') throw new Error('unreachable');
    expect(await directory.delete(first.user.id)).toBe(true);
    expect(await directory.delete(first.user.id)).toBe(false);
    expect(await directory.get(first.user.id)).toBeNull();
    expect(await backend.stores[0].get(linkKey('corp', 'heidi'))).toBeNull();
    expect(await login('heidi', { autoRegister: false })).toEqual({ status: 'not_registered' });
    const again = await login('heidi');
    expect(again.status === 'ok' && again.user.id !== first.user.id).toBe(true);
  });
});
