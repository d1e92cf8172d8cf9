import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { FULL, SharedStore, sharedStoreBuffers } from '../src/store/shared-store.ts';
import { hashWords } from '../src/layout/hash.ts';

/**
 * The multi-core search's store against a Map: inserted one by one
 * (`insertSolo`, growing from the smallest table), then grown once more and
 * refilled part by part by several workers (`rehashPart`, as the workers
 * of a round do), every state is found at its index, and the table holds
 * exactly one slot per state. With small buffers, insertSolo says FULL once
 * the states, or the table's growth, pass them, and the store keeps what
 * came before.
 */
test('shared store: insertSolo and a table refilled by several workers behave like a Map of states', (t) => {
  let full = 0;
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 4 }),
      fc.array(fc.array(fc.nat({ max: 7 }), { minLength: 4, maxLength: 4 }), { maxLength: 2500, size: 'max' }),
      fc.boolean(),
      fc.boolean(),
      fc.integer({ min: 1, max: 5 }),
      fc.option(fc.integer({ min: 64, max: 8192 }), { freq: 2 }),
      (W, raw, badHash, compact, owners, maxBytes) => {
        // A deliberately bad hash (few distinct values) exercises long probe chains, tag collisions and wrapping probe runs.
        const hash = badHash ? (b: Uint32Array, o: number) => ((b[o]! & 3) * 0x10001) | 0 : (b: Uint32Array, o: number) => hashWords(b, o, W);
        const store = new SharedStore(sharedStoreBuffers(W, new SharedArrayBuffer(64), { initialSlots: 1, compact, ringStates: 1 << 16, ...(maxBytes !== null ? { maxBytes } : {}) }), hash);
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
          if (got === FULL) {
            if (maxBytes === null) return false;
            full++;
            break;
          }
          if (ref.has(key) ? got !== -ref.get(key)! - 1 : got !== ref.size) return false;
          if (!ref.has(key)) ref.set(key, got);
        }
        if (store.count !== ref.size) return false;
        // One more growth, refilled by `owners` workers in turn (worker w places part w of the states, in every region).
        if (ref.size > 0 && store.prepareGrowth(store.tableSlots() + 1)) for (let w = owners - 1; w >= 0; w--) store.rehashPart(w, owners, 0);
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
  t.true(full > 10, `${full} of 150 stores were filled`);
});

/** Insert states 1000, 1001, ... (one word) alone until the store says FULL: each gets the next index, and every one stored is found at it afterwards. */
function fillUntilFull(t: ExecutionContext, store: SharedStore): void {
  const hash = (b: Uint32Array, o: number) => hashWords(b, o, 1);
  const buf = new Uint32Array(1);
  buf[0] = 1000;
  store.insertFirst(buf, 0, hash(buf, 0));
  let got = 0;
  for (let i = 1; got !== FULL; i++) {
    buf[0] = 1000 + i;
    got = store.insertSolo(buf, 0, hash(buf, 0), 0, 0);
    if (got !== FULL) t.is(got, i);
  }
  for (let i = 0; i < store.count; i++) {
    buf[0] = 1000 + i;
    t.is(store.find(buf, 0, hash(buf, 0)), i);
  }
}

test('shared store: a table that cannot grow (its buffer is full) makes insertSolo say FULL before passing load 0.7, and keeps every state', (t) => {
  // 1,500 bytes: records of 8 bytes for 187 states, a table of at most 256 slots (1 KiB), bound 179.
  const store = new SharedStore(sharedStoreBuffers(1, new SharedArrayBuffer(64), { initialSlots: 1, maxBytes: 1500 }), (b, o) => hashWords(b, o, 1));
  fillUntilFull(t, store);
  t.is(store.count, 179);
  t.is(store.tableSlots(), 256);
  t.false(store.refusedForMemory);
});

test('shared store: a growth the memory would not take (mayAdd) is refused: the table doubles instead of quadrupling, then insertSolo says FULL, for the memory', (t) => {
  const store = new SharedStore(sharedStoreBuffers(1, new SharedArrayBuffer(64), { initialSlots: 1 }), (b, o) => hashWords(b, o, 1));
  const asked: number[] = [];
  store.mayAdd = (bytes) => {
    asked.push(bytes);
    return bytes < 2500;
  };
  fillUntilFull(t, store);
  // 256 slots (1 KiB) doubled to 512 (2,044 bytes more in the other buffer; quadrupling asked for 4 KiB), then 1,024 slots would add 3 KiB: refused at load 0.7 of 512.
  t.is(store.count, 358);
  t.is(store.tableSlots(), 512);
  t.true(store.refusedForMemory);
  t.deepEqual(asked, [4096, 2044, 8192, 3072]);
});
