import test from 'ava';
import fc from 'fast-check';
import { FULL, SharedStore, sharedStoreBuffers } from '../src/store/shared-store.ts';
import { hashWords } from '../src/layout/hash.ts';

/**
 * The multi-core search's store against a Map: inserted one by one
 * (`insertSolo`, growing from the smallest table), then grown once more and
 * refilled part by part by several workers (`rehashPart`, as the workers
 * of a round do), every state is found at its index, and the table holds
 * exactly one slot per state.
 */
test('shared store: insertSolo and a table refilled by several workers behave like a Map of states', (t) => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.array(fc.nat({ max: 7 }), { minLength: 4, maxLength: 4 }), { maxLength: 2500 }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 5 }),
      (W, raw, badHash, compact, owners) => {
        // A deliberately bad hash (few distinct values) exercises long probe chains, tag collisions and wrapping probe runs.
        const hash = badHash ? (b: Uint32Array, o: number) => ((b[o]! & 3) * 0x10001) | 0 : (b: Uint32Array, o: number) => hashWords(b, o, W);
        const store = new SharedStore(sharedStoreBuffers(W, new SharedArrayBuffer(64), { initialSlots: 1, compact, ringStates: 1 << 16 }), hash);
        const ref = new Map<string, number>();
        const buf = new Uint32Array(W);
        const enc = (r: readonly number[]) => {
          for (let k = 0; k < W; k++) buf[k] = r[k % r.length]! * 0x1234567 + k;
        };
        for (const r of raw) {
          enc(r);
          const key = Array.from(buf).join(',');
          if (ref.size === 0) {
            store.insertFirst(buf, 0, hash(buf, 0));
            ref.set(key, 0);
            continue;
          }
          const got = store.insertSolo(buf, 0, hash(buf, 0), ref.size - 1, 0);
          if (got === FULL) return false;
          if (ref.has(key) ? got !== -ref.get(key)! - 1 : got !== ref.size) return false;
          if (!ref.has(key)) ref.set(key, got);
        }
        if (store.count !== ref.size) return false;
        // One more growth, refilled by `owners` workers in turn (worker w places part w of the states, in every region).
        if (ref.size > 0) {
          store.prepareGrowth(store.tableSlots() + 1);
          for (let w = owners - 1; w >= 0; w--) store.rehashPart(w, owners, 0);
        }
        let filled = 0;
        for (const v of store.table) if (v !== 0) filled++;
        if (filled !== ref.size) return false;
        for (const [key, idx] of ref) {
          const words = key.split(',').map(Number);
          buf.set(words);
          if (store.find(buf, 0, hash(buf, 0)) !== idx) return false;
        }
        return true;
      },
    ),
    { numRuns: 150 },
  );
  t.pass();
});
