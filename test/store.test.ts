import test from 'ava';
import fc from 'fast-check';
import { StateStore, NO_PARENT } from '../src/store/store.ts';
import { hashWords } from '../src/layout/hash.ts';

test('the store behaves like a Set of encoded states, through growth (refused for memory or not), with a parent log', (t) => {
  let refused = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 5 }),
      fc.array(fc.array(fc.nat({ max: 7 }), { minLength: 5, maxLength: 5 }), { maxLength: 3000, size: 'max' }),
      fc.boolean(),
      fc.option(fc.constantFrom(2048, 8192, 65536)),
      (W, raw, badHash, memory) => {
        // A deliberately bad hash (few distinct values) exercises long probe chains and tag collisions.
        const hash = badHash ? (b: Uint32Array, o: number) => (b[o]! & 3) * 0x10001 : (b: Uint32Array, o: number) => hashWords(b, o, W);
        // A memory that takes tables of fewer bytes only: a growth past it is refused once (`full`: the search is to stop at its next poll), and the table takes more load, then grows after all.
        const store = new StateStore(W, hash, memory !== null ? { mayAdd: (bytes) => bytes < memory } : {});
        const ref = new Map<string, number>();
        const buf = new Uint32Array(W);
        for (const r of raw) {
          for (let k = 0; k < W; k++) buf[k] = r[k]! * 0x1234567 + k;
          const key = Array.from(buf).join(',');
          const parent = ref.size > 0 ? ref.size - 1 : NO_PARENT;
          const got = store.insert(buf, 0, hash(buf, 0), parent);
          if (ref.has(key)) {
            if (got !== -ref.get(key)! - 1) return false;
          } else {
            if (got !== ref.size) return false;
            ref.set(key, got);
            if (store.parentOf(got) !== parent) return false;
          }
          if (store.find(buf, 0, hash(buf, 0)) !== ref.get(key)) return false;
        }
        if (store.count !== ref.size) return false;
        if (store.refusedForMemory) refused++;
        // The first table (256 slots) grows past 179 states, asking for 4 KiB doubled: a memory of 2 KiB refuses it.
        if (store.refusedForMemory !== (memory === 2048 && ref.size > 179) && (memory === null || memory === 2048)) return false;
        const out = new Uint32Array(W);
        for (const [key, idx] of ref) {
          store.read(idx, out);
          if (Array.from(out).join(',') !== key) return false;
        }
        return true;
      },
    ),
    { numRuns: 200 },
  );
  t.true(refused > 5, `${refused} growths refused`);
});

test('bytes per state stay small for a million states', (t) => {
  const W = 3;
  const store = new StateStore(W, (b, o) => hashWords(b, o, W));
  const buf = new Uint32Array(W);
  for (let i = 0; i < 1_000_000; i++) {
    buf[0] = i;
    buf[1] = i * 7;
    buf[2] = i ^ 0x5555;
    store.insert(buf, 0, hashWords(buf, 0, W), i - 1);
  }
  t.is(store.count, 1_000_000);
  const bps = store.bytes() / store.count;
  // Past 0.7 × 2^20 states the table quadrupled to 2^22 slots (it quadruples below QUADRUPLE_BELOW, doubles above).
  t.is(store.tableSlots(), 2 ** 22);
  // state words + parent + table slots at the lowest load after a quadrupling (0.175) + chunk rounding
  t.true(bps < 4 * W + 4 + 4 / 0.175 + 1, `bytes/state ${bps}`);
});
