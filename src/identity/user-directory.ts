import type { Clock } from '../clock.ts';
import type { Logger } from '../observability/logger.ts';
import type { Store } from '../storage/port.ts';
import { canonicalJson, decodeUser, encodeUser, linkKey, newUserId, USER_KEY_PREFIX, userKey, type User, type UserDirectory } from './user.ts';

/** Retries for one logical update that keeps losing compare-and-swap races; more than this is a hot-spot bug. */
const MAX_ATTEMPTS = 5;

interface Stored {
  raw: string;
  user: User;
}

type UpdateOutcome = { status: 'missing' } | { status: 'ok' | 'conflict'; user: User };

/**
 * Users and their (idp, sub) links over the storage port. Every write is one atomic port call on one key
 * (STORAGE.md), so the directory is safe across bridge instances sharing a store; StoreUnavailableError propagates.
 */
export function createUserDirectory(deps: { store: Store; clock: Clock; logger: Logger; newId?: () => string }): UserDirectory {
  const { store, clock, logger } = deps;
  const newId = deps.newId ?? newUserId;

  async function read(id: string): Promise<Stored | null> {
    const raw = await store.get(userKey(id));
    return raw === null ? null : { raw, user: decodeUser(raw) };
  }

  /**
   * Step 1 of registration (STORAGE.md): the link's first writer wins and its candidate id becomes the user id;
   * every concurrent loser reads the winner's id. Null when there is no link and registration is not allowed.
   */
  async function claimLink(key: string, autoRegister: boolean): Promise<{ id: string; won: boolean } | null> {
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const existing = await store.get(key);
      if (existing !== null) return { id: existing, won: false };
      if (!autoRegister) return null;
      const candidate = newId();
      if (await store.setIfAbsent(key, candidate)) return { id: candidate, won: true };
      // Lost the race: the next read returns the winner's id (or retries if the link was deleted meanwhile).
    }
    throw new Error('identity link kept changing; giving up');
  }

  /** Step 2: create the record only if absent — idempotent, so any login may (re)do it. */
  async function createRecord(
    id: string,
    idp: string,
    sub: string,
    profile: Record<string, unknown>,
  ): Promise<{ stored: Stored; created: true } | { stored: Stored | null; created: false }> {
    const now = clock.now();
    const user: User = { id, createdAt: now, updatedAt: now, disabled: false, profile, identities: [{ idp, sub }] };
    const raw = encodeUser(user);
    if (await store.setIfAbsent(userKey(id), raw)) return { stored: { raw, user }, created: true as const };
    return { stored: await read(id), created: false as const };
  }

  /**
   * Read-modify-write by compare-and-swap, so a concurrent change (e.g. a disable) is never overwritten. `known`: a
   * version just read, used for the first attempt instead of reading again (a stale one only loses the swap).
   */
  async function update(id: string, mutate: (user: User) => User | null, known?: Stored): Promise<UpdateOutcome> {
    let latest: User | undefined;
    for (let attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
      const current = attempt === 0 && known ? known : await read(id);
      if (current === null) return { status: 'missing' };
      latest = current.user;
      const next = mutate(current.user);
      if (next === null) return { status: 'ok', user: current.user };
      if (await store.compareAndSwap(userKey(id), current.raw, encodeUser(next))) return { status: 'ok', user: next };
    }
    return { status: 'conflict', user: latest as User };
  }

  return {
    async resolve({ idp, sub, profile, autoRegister, autoUpdate, log = logger }) {
      const key = linkKey(idp, sub);
      const link = await claimLink(key, autoRegister);
      if (link === null) return { status: 'not_registered' };

      let stored = link.won ? null : await read(link.id);
      let registered = false;
      if (stored === null) {
        // Either our fresh claim, or a link whose registration was interrupted before step 2 (crash repair).
        // Completing it creates a user, so it needs the same permission as registering.
        if (!autoRegister) return { status: 'not_registered' };
        const outcome = await createRecord(link.id, idp, sub, profile);
        if (outcome.created && !link.won && (await store.get(key)) !== link.id) {
          // The user was deleted between our link read and the repair: do not revive it as an orphan record.
          await store.compareAndSwap(userKey(link.id), outcome.stored.raw, null);
          return { status: 'not_registered' };
        }
        if (outcome.stored === null) return { status: 'not_registered' }; // deleted concurrently
        stored = outcome.stored;
        registered = outcome.created;
        if (registered) {
          log.info({ event: 'user.registered', idp, sub, userId: link.id }, 'user registered');
        }
      }

      let user = stored.user;
      if (!registered && !user.disabled) {
        const outcome = await update(
          user.id,
          (current) => {
            if (current.disabled) return null;
            const profileChanged = autoUpdate && canonicalJson(current.profile) !== canonicalJson(profile);
            // Keep `identities` in step with the links, so delete() can find every link of the user.
            const linkMissing = !current.identities.some((i) => i.idp === idp && i.sub === sub);
            if (!profileChanged && !linkMissing) return null;
            return {
              ...current,
              profile: profileChanged ? profile : current.profile,
              identities: linkMissing ? [...current.identities, { idp, sub }] : current.identities,
              updatedAt: clock.now(),
            };
          },
          stored,
        );
        if (outcome.status === 'missing') return { status: 'not_registered' }; // deleted concurrently
        if (outcome.status === 'conflict') {
          log.warn({ event: 'user.update_conflict', userId: user.id }, 'profile update lost repeated races');
        }
        user = outcome.user;
      }
      if (user.disabled) return { status: 'disabled', user };
      return { status: 'ok', user, registered };
    },

    async get(id) {
      return (await read(id))?.user ?? null;
    },

    async list() {
      const keys = await store.list(USER_KEY_PREFIX);
      const users = await Promise.all(keys.map((key) => read(key.slice(USER_KEY_PREFIX.length))));
      return users
        .filter((stored) => stored !== null)
        .map((stored) => stored.user)
        .sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
    },

    async setDisabled(id, disabled) {
      const outcome = await update(id, (current) => (current.disabled === disabled ? null : { ...current, disabled, updatedAt: clock.now() }));
      if (outcome.status === 'missing') return null;
      if (outcome.status === 'conflict') throw new Error('user record kept changing; try again');
      logger.info({ event: disabled ? 'user.disabled' : 'user.enabled', userId: id }, 'user status changed');
      return outcome.user;
    },

    async delete(id) {
      const current = await read(id);
      if (current === null) return false;
      // Links first: a login racing with us then finds no link rather than a link to a missing record.
      // CAS to null removes a link only while it still points at this user.
      for (const { idp, sub } of current.user.identities) await store.compareAndSwap(linkKey(idp, sub), id, null);
      const deleted = await store.delete(userKey(id));
      if (deleted) logger.info({ event: 'user.deleted', userId: id }, 'user deleted');
      return deleted;
    },
  };
}
