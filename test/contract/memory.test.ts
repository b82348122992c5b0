import { createManualClock } from '../../src/clock.ts';
import { createMemoryStore } from '../../src/storage/memory.ts';
import { describeStoreContract } from './store-contract.ts';

describeStoreContract('memory', async () => {
  const clock = createManualClock(1_700_000_000_000);
  const store = createMemoryStore({ clock, keyPrefix: 'test:' });
  return {
    store,
    // One process, one Map: there is no second instance sharing the data.
    pttl: (key) => store.pttl(key),
    expire: async (_key, ttlMs) => clock.advance(ttlMs),
    cleanup: () => store.close(),
  };
});
