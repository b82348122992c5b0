import type { Clock } from '../../clock.ts';
import { TOKEN_PATTERN, randomToken, sha256 } from '../../crypto.ts';
import type { Store } from '../../storage/port.ts';
import { newUserCode } from './user-code.ts';

/** The login an approval carries to the polling client: what a code carries in the code flow. */
export interface DeviceLogin {
  userId: string;
  authTime: number;
  amr?: string[];
  sid: string;
  grantId: string;
}

/**
 * One device authorization (RFC 8628 §3.1-3.5), stored under the SHA-256 of its device_code; the user code names it
 * through a second key. Every change is one compareAndSwap on this one record, so approval, denial, the polling
 * interval and the single redemption are atomic across instances (a Lua CAS on Redis).
 */
export interface DeviceRecord {
  clientId: string;
  scopes: string[];
  idp: string;
  userCode: string;
  createdAt: number;
  expiresAt: number;
  /** The current minimum polling interval; slow_down raises it by 5 s (§3.5). */
  intervalMs: number;
  lastPolledAt?: number;
  status: 'pending' | 'approved' | 'denied' | 'redeemed';
  /** SHA-256 of the binding cookie of the browser that entered the user code: only it can approve or deny. */
  bindingHash?: string;
  login?: DeviceLogin;
  /** Why it was denied (logs and the poll's error). */
  deniedReason?: 'user' | 'policy';
}

export interface LoadedDevice {
  deviceHash: string;
  record: DeviceRecord;
  raw: string;
}

export type PollOutcome =
  | { status: 'tokens'; record: DeviceRecord }
  | { status: 'pending' | 'slow_down' | 'expired' | 'denied' | 'used' | 'unknown'; record?: DeviceRecord };

const deviceKey = (hash: string) => `device:${hash}`;
const userCodeKey = (code: string) => `device-user-code:${code}`;
/** How long an expired record stays, so that a late poll hears expired_token rather than invalid_grant. */
const EXPIRED_KEPT_MS = 10 * 60_000;
const SLOW_DOWN_MS = 5_000;

export function createDeviceCodes(store: Store, clock: Clock, options: { ttlMs: number; intervalMs: number }) {
  const keepMs = (record: DeviceRecord) => Math.max(1, record.expiresAt + EXPIRED_KEPT_MS - clock.now());
  const live = (record: DeviceRecord) => clock.now() < record.expiresAt;

  async function load(deviceHash: string): Promise<LoadedDevice | undefined> {
    const raw = await store.get(deviceKey(deviceHash));
    return raw === null ? undefined : { deviceHash, record: JSON.parse(raw) as DeviceRecord, raw };
  }

  /** One CAS from exactly the loaded version; false when another request changed it first. */
  const replace = (loaded: LoadedDevice, next: DeviceRecord) => store.compareAndSwap(deviceKey(loaded.deviceHash), loaded.raw, JSON.stringify(next));

  return {
    /** Starts an authorization; returns the device_code (256 bits, stored only hashed) and the user code. */
    async start(input: { clientId: string; scopes: string[]; idp: string }): Promise<{ deviceCode: string; userCode: string; record: DeviceRecord }> {
      const deviceCode = randomToken(32);
      const deviceHash = await sha256(deviceCode);
      const now = clock.now();
      for (let attempt = 0; attempt < 5; attempt++) {
        const userCode = newUserCode();
        // The user code's key first: a collision with a live code is retried with another code.
        if (!(await store.setIfAbsent(userCodeKey(userCode), deviceHash, { ttlMs: options.ttlMs }))) continue;
        const record: DeviceRecord = { ...input, userCode, createdAt: now, expiresAt: now + options.ttlMs, intervalMs: options.intervalMs, status: 'pending' };
        await store.set(deviceKey(deviceHash), JSON.stringify(record), { ttlMs: keepMs(record) });
        return { deviceCode, userCode, record };
      }
      throw new Error('could not allocate a unique user code');
    },

    /** The live, pending authorization a (canonical) user code names. */
    async findByUserCode(userCode: string): Promise<LoadedDevice | undefined> {
      const deviceHash = await store.get(userCodeKey(userCode));
      if (deviceHash === null) return undefined;
      const loaded = await load(deviceHash);
      return loaded && live(loaded.record) && loaded.record.userCode === userCode ? loaded : undefined;
    },

    /** The record by its hash (for approval, after the browser flow), while it is live. */
    async get(deviceHash: string): Promise<LoadedDevice | undefined> {
      const loaded = await load(deviceHash);
      return loaded && live(loaded.record) ? loaded : undefined;
    },

    /**
     * Binds a pending authorization to the browser that entered its user code (RFC 8628 §5.2 leaves it to us): the
     * first browser wins; the same browser may enter it again; any other browser is refused.
     */
    async bind(loaded: LoadedDevice, bindingHash: string): Promise<'bound' | 'elsewhere' | 'not_pending'> {
      let current: LoadedDevice | undefined = loaded;
      for (let attempt = 0; attempt < 3 && current; attempt++) {
        const { record } = current;
        if (record.status !== 'pending' || !live(record)) return 'not_pending';
        if (record.bindingHash !== undefined) return record.bindingHash === bindingHash ? 'bound' : 'elsewhere';
        if (await replace(current, { ...record, bindingHash })) return 'bound';
        current = await load(current.deviceHash);
      }
      return 'not_pending';
    },

    /** pending (bound to this browser) → approved with the login, or → denied; false when it is no longer pending. */
    async settle(
      deviceHash: string,
      bindingHash: string,
      outcome: { status: 'approved'; login: DeviceLogin } | { status: 'denied'; reason: 'user' | 'policy' },
    ): Promise<boolean> {
      for (let attempt = 0; attempt < 3; attempt++) {
        const loaded = await load(deviceHash);
        if (!loaded || !live(loaded.record)) return false;
        const { record } = loaded;
        if (record.status !== 'pending' || record.bindingHash !== bindingHash) return false;
        const next: DeviceRecord =
          outcome.status === 'approved'
            ? { ...record, status: 'approved', login: outcome.login }
            : { ...record, status: 'denied', deniedReason: outcome.reason };
        if (await replace(loaded, next)) {
          // The user code has done its job: it can name nothing any more.
          await store.delete(userCodeKey(record.userCode));
          return true;
        }
      }
      return false;
    },

    /**
     * One poll of the token endpoint (RFC 8628 §3.4-3.5) by `clientId`. Too soon after the previous poll: slow_down,
     * and this code's interval grows by 5 s. Approved: `tokens`, exactly once — the CAS to `redeemed` has one winner.
     */
    async poll(deviceCode: string, clientId: string): Promise<PollOutcome> {
      if (!TOKEN_PATTERN.test(deviceCode)) return { status: 'unknown' };
      const deviceHash = await sha256(deviceCode);
      for (let attempt = 0; attempt < 5; attempt++) {
        const loaded = await load(deviceHash);
        // Another client's code is simply unknown to this one.
        if (!loaded || loaded.record.clientId !== clientId) return { status: 'unknown' };
        const { record } = loaded;
        const now = clock.now();
        if (record.status === 'redeemed') return { status: 'used', record };
        if (!live(record)) return { status: 'expired', record };
        if (record.status === 'denied') return { status: 'denied', record };
        if (record.status === 'approved') {
          if (await replace(loaded, { ...record, status: 'redeemed', lastPolledAt: now })) return { status: 'tokens', record };
          continue;
        }
        const tooFast = record.lastPolledAt !== undefined && now - record.lastPolledAt < record.intervalMs;
        const next = { ...record, lastPolledAt: now, ...(tooFast && { intervalMs: record.intervalMs + SLOW_DOWN_MS }) };
        if (await replace(loaded, next)) return { status: tooFast ? 'slow_down' : 'pending', record: next };
      }
      // Lost every race: other polls of the same code are under way, which is itself polling too fast.
      return { status: 'slow_down' };
    },
  };
}

export type DeviceCodes = ReturnType<typeof createDeviceCodes>;
