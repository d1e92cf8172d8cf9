/**
 * The visited-state store of the multi-core breadth-first search: the same
 * contents as `StateStore` (packed states numbered in discovery order, a
 * parent index per state, an open-addressing table), but on
 * SharedArrayBuffers that every worker thread maps.
 *
 * The exact store keeps each state in a record, in the order the workers
 * first wrote it (not its number): a record is its number (or, while its
 * round runs, its first occurrence's key, `parallel-round.ts`) and its
 * words, and the table's slots point at records (`tag | record + 1`). A
 * state found new in a round is written once, to the record that stays
 * its place, and its slot is claimed once: numbering it after the round
 * writes only its number (into the record), its record into `map` (number
 * to record) and its parent. Records the round wrote but did not keep
 * (their state was found elsewhere, or ids claimed but unused) hold -1 and
 * no slot points at them. Hash-compact keeps fingerprints by number and
 * only the frontier's words (a ring), and numbers its new states by
 * copying them from the round's pending records (`parallel-round.ts`).
 *
 * Buffers are growable SharedArrayBuffers (each thread keeps fixed-length
 * views and re-creates them when the length changed: fixed-length views are
 * as fast as plain ones, length-tracking ones are not). Only the
 * coordinating worker grows the states, parents and table, between the
 * phases of a round, while the others wait at a barrier, so no worker ever
 * sees those buffers change under it.
 *
 * The home slot of hash h is h & mask and the tag the bits above the mask,
 * as in the exact store; probing is linear over the whole table. During a
 * round the workers insert into the table at once, each slot claimed with a
 * compare-and-swap (`parallel-round.ts`); a growth is refilled by every
 * worker at once, each from its share of the states (`rehashPart`).
 *
 *   slot (table of 2^b slots):  31          b  b-1              0
 *                              [ hash tag bits | index + 1       ]   0 = empty
 *   during a round, a state found new in it: [ tag | mask - g ]  (g: its
 *   pending id in the round; committed indices + 1 stay below mask - g)
 *
 * Two table buffers alternate: a growth fills the other one, from the states.
 */

import { growableShared, growShared, growSharedTo, maxBytes } from './growable-shared.ts';
import { fingerprintHigh } from './fingerprints.ts';
import { nextTableSlots } from './store.ts';

/** `insertSolo`: the buffers cannot take another state. */
export const FULL = -0x80000000;

const MIN_TABLE_BITS = 8;
/** 2^30 slots would take 4 GiB, past a growable buffer. */
const MAX_TABLE_BITS = 29;
/** A growable SharedArrayBuffer's largest length in this V8. */
const MAX_BUFFER = 2 ** 32 - 2 ** 16;

/** Control words shared by the store's views (indices into the control Int32Array). */
export const enum StoreWord {
  Count = 0,
  TableWhich = 1,
  TableBits = 2,
  /** Hash-compact: log2 of the ring's states. */
  RingBits = 3,
  /** Exact: records in use before the current round (numbered states and records holding -1). */
  Records = 4,
}
/** The first control word the search may use. */
export const STORE_WORDS = 5;

/** What a thread needs to map the store (plain data, sent in workerData). */
export interface SharedStoreBuffers {
  readonly words: number;
  readonly control: SharedArrayBuffer;
  readonly states: SharedArrayBuffer;
  readonly parents: SharedArrayBuffer;
  readonly tables: readonly [SharedArrayBuffer, SharedArrayBuffer];
  /** Hash-compact: 64-bit fingerprints per state (the states buffer is then a ring holding the BFS frontier). */
  readonly fps: SharedArrayBuffer | null;
  /** Exact: per state number, its record (the states buffer then holds records of `words + 1` words). */
  readonly map: SharedArrayBuffer | null;
  /** The most bytes each buffer may grow to. */
  readonly maxBytes: number;
  /** Whether that bound is a growable buffer's own (not the memory limit's): a store that runs out of room is then full. */
  readonly boundByBuffer: boolean;
}

/**
 * The store's buffers, each growable to `maxBytes` (the memory limit's) or
 * to the most a growable buffer holds (4 GiB less 64 KiB in this V8): the
 * exact store's records then hold about 268 M states of 3 words (16 bytes
 * a record), whatever the memory (the one-thread store's chunks have no
 * such bound).
 */
export function sharedStoreBuffers(words: number, control: SharedArrayBuffer, opts: { initialSlots?: number; maxBytes?: number; bufferBytes?: number; compact?: boolean; ringStates?: number } = {}): SharedStoreBuffers {
  // `bufferBytes`: a smaller bound of the buffers' own (tests), reported as the store's being full.
  const own = Math.min(MAX_BUFFER, opts.bufferBytes ?? MAX_BUFFER);
  const max = Math.min(own, opts.maxBytes ?? own);
  let bits = MIN_TABLE_BITS;
  while (bits < MAX_TABLE_BITS && 2 ** bits < (opts.initialSlots ?? 2 ** 12)) bits++;
  const ctl = new Int32Array(control);
  ctl[StoreWord.TableBits] = bits;
  ctl[StoreWord.TableWhich] = 0;
  ctl[StoreWord.Count] = 0;
  ctl[StoreWord.Records] = 0;
  let ring = 0;
  // The ring starts at 1,024 states and doubles with the frontier: a small model's store stays small.
  while (ring < 16 && 2 ** ring < (opts.ringStates ?? 2 ** 10)) ring++;
  ctl[StoreWord.RingBits] = ring;
  const page = 2 ** 16;
  const tableMax = Math.max(4 * 2 ** bits, Math.min(max, 4 * 2 ** MAX_TABLE_BITS));
  // A ring of states (hash-compact), or records of a number and the words (exact).
  const rec = opts.compact ? words : words + 1;
  /** A buffer of `first` items of `unit` bytes, growable to `max` bytes (at least one item). */
  const items = (unit: number, first = page): SharedArrayBuffer => {
    const most = Math.max(unit, Math.floor(max / unit) * unit);
    return growableShared(Math.min(first * unit, most), most);
  };
  return {
    words,
    control,
    states: items(4 * rec, opts.compact ? 2 ** ring : page),
    parents: items(4),
    tables: [growableShared(4 * 2 ** bits, tableMax), growableShared(4, tableMax)],
    fps: opts.compact ? items(8) : null,
    map: opts.compact ? null : items(4),
    maxBytes: max,
    boundByBuffer: max === own,
  };
}

export class SharedStore {
  readonly words: number;
  readonly buffers: SharedStoreBuffers;
  readonly ctl: Int32Array;
  /** Committed states (set by refresh() from the control word). */
  count = 0;
  /** Hash-compact: the ring of the frontier's words. Exact: the records, `rs` words each (its number as Int32, then the words). */
  states: Uint32Array;
  /** Exact: the records as Int32 (a record's first word, its number: -1 in a record that holds no state). */
  recs: Int32Array;
  /** Exact: words per record (words + 1). */
  readonly rs: number;
  /** Exact: records in use before the current round (set by refresh() from the control word). */
  records = 0;
  /** Exact: per state number, its record. */
  map: Uint32Array;
  parents: Uint32Array;
  /** Hash-compact: [h, fingerprintHigh] per state; the words of state i are in the ring at (i & ringMask) * words. */
  readonly compact: boolean;
  fps: Uint32Array;
  ringMask = 0xffffffff;
  table: Uint32Array;
  /** The table as Int32 (compare-and-swap on it returns a small integer, not a heap number). */
  tableI32: Int32Array;
  mask = 0;
  private readonly hashOf: (buf: Uint32Array, off: number) => number;
  private readonly rehashScratch = new Int32Array(32);
  private readonly rehashIdx = new Int32Array(32);
  /** Keeps prefetch loads observable. */
  sink = 0;
  /** Whether a growth may allocate this many bytes of table (set by the search on the coordinator's store; `nextTableSlots`). */
  mayAdd: ((bytes: number) => boolean) | null = null;
  /** Told when a growth of the table starts (true) and ends (false), as `StoreOptions.onGrowth` (worker 0's store; a round's growth is told by its coordinator, `growForRound` to `grown`). */
  onGrowth: ((on: boolean) => void) | null = null;
  /** A growth was refused for the memory limit (`mayAdd`), not for the buffers' bound. */
  refusedForMemory = false;

  constructor(b: SharedStoreBuffers, hash: (buf: Uint32Array, off: number) => number) {
    this.words = b.words;
    this.buffers = b;
    this.hashOf = hash;
    this.ctl = new Int32Array(b.control);
    this.states = new Uint32Array(0);
    this.recs = new Int32Array(0);
    this.map = new Uint32Array(0);
    this.parents = new Uint32Array(0);
    this.compact = b.fps !== null;
    this.rs = this.compact ? b.words : b.words + 1;
    this.fps = new Uint32Array(0);
    this.table = new Uint32Array(0);
    this.tableI32 = new Int32Array(0);
    this.refresh();
  }

  /** Re-map the buffers after a growth by the coordinator and read the count (after every barrier). */
  refresh(): void {
    const b = this.buffers;
    this.refreshStates();
    if (b.map !== null && this.map.byteLength !== b.map.byteLength) this.map = new Uint32Array(b.map, 0, b.map.byteLength >>> 2);
    if (this.parents.byteLength !== b.parents.byteLength) this.parents = new Uint32Array(b.parents, 0, b.parents.byteLength >>> 2);
    if (b.fps !== null) {
      if (this.fps.byteLength !== b.fps.byteLength) this.fps = new Uint32Array(b.fps, 0, b.fps.byteLength >>> 2);
      this.ringMask = 2 ** Atomics.load(this.ctl, StoreWord.RingBits) - 1;
    }
    const bits = Atomics.load(this.ctl, StoreWord.TableBits);
    const t = b.tables[Atomics.load(this.ctl, StoreWord.TableWhich)]!;
    if (this.table.buffer !== t || this.table.length !== 2 ** bits) {
      this.table = new Uint32Array(t, 0, 2 ** bits);
      this.tableI32 = new Int32Array(t, 0, 2 ** bits);
    }
    // A small integer (bits is at most MAX_TABLE_BITS): `2 ** bits - 1` alone can be a heap number, which the refill's optimized code, seeing it passed to `placeShared`, is thrown out of ("not a Smi").
    this.mask = (2 ** bits - 1) | 0;
    this.count = Atomics.load(this.ctl, StoreWord.Count);
    this.records = Atomics.load(this.ctl, StoreWord.Records);
  }

  /** Re-map the states (records) buffer when any worker grew it. */
  refreshStates(): void {
    const b = this.buffers.states;
    if (this.states.byteLength !== b.byteLength) {
      this.states = new Uint32Array(b, 0, b.byteLength >>> 2);
      this.recs = new Int32Array(b, 0, b.byteLength >>> 2);
    }
  }

  setCount(n: number): void {
    Atomics.store(this.ctl, StoreWord.Count, n);
    this.count = n;
  }

  /** Exact: records in use from now on (the coordinator, after a round: the round's records are all kept, those holding -1 included). */
  setRecords(n: number): void {
    Atomics.store(this.ctl, StoreWord.Records, n);
    this.records = n;
  }

  /** Exact: room for records [0, n) (any worker, several at once); false when the buffer cannot grow that far. */
  recordRoom(n: number): boolean {
    if (n * this.rs <= this.states.length) return true;
    if (!growSharedTo(this.buffers.states, 4 * this.rs * n)) return false;
    this.refreshStates();
    return true;
  }

  /** Exact: whether record g holds the state at buf[off..] (the caller's views cover the record). */
  recordHolds(g: number, buf: Uint32Array, off: number): boolean {
    const o = g * this.rs + 1;
    const c = this.states;
    let k = 0;
    while (k < this.words && c[o + k] === buf[off + k]) k++;
    return k === this.words;
  }

  /** What the table's slot values count up to: records (exact) or states (hash-compact). */
  used(): number {
    return this.compact ? this.count : this.records;
  }

  /**
   * Room for n states (coordinator only); false when the buffers cannot
   * grow that far. Hash-compact keeps words only for the states from
   * `live` on (the BFS frontier): the ring doubles when n - live outgrows
   * it, and its live states move to their places in the larger ring.
   */
  reserve(n: number, live = 0): boolean {
    const b = this.buffers;
    const W = this.words;
    if (b.fps !== null) {
      if (!this.growTo(b.fps, n * 8) || !this.growTo(b.parents, n * 4)) return false;
      let bits = Atomics.load(this.ctl, StoreWord.RingBits);
      if (n - live > 2 ** bits) {
        const keep = new Uint32Array(Math.max(0, this.count - live) * W);
        for (let i = live; i < this.count; i++) for (let k = 0; k < W; k++) keep[(i - live) * W + k] = this.states[(i & this.ringMask) * W + k]!;
        while (n - live > 2 ** bits) bits++;
        if (!this.growTo(b.states, 2 ** bits * 4 * W)) return false;
        Atomics.store(this.ctl, StoreWord.RingBits, bits);
        this.refresh();
        for (let i = live; i < this.count; i++) for (let k = 0; k < W; k++) this.states[(i & this.ringMask) * W + k] = keep[(i - live) * W + k]!;
      }
      this.refresh();
      return true;
    }
    if (!this.growTo(b.map!, n * 4) || !this.growTo(b.parents, n * 4)) return false;
    this.refresh();
    return true;
  }

  /** Grow a buffer by doubling to at least `bytes` (within its maximum). */
  private growTo(buf: SharedArrayBuffer, bytes: number): boolean {
    if (bytes <= buf.byteLength) return true;
    let len = buf.byteLength;
    while (len < bytes) len *= 2;
    len = Math.min(len, maxBytes(buf));
    if (len < bytes) return false;
    growShared(buf, len);
    return true;
  }

  /** The home slot of hash h. */
  home(h: number): number {
    return h & this.mask;
  }

  /** Insert the initial state (coordinator, before any round). */
  insertFirst(buf: Uint32Array, off: number, h: number): void {
    this.reserve(1);
    if (!this.compact) {
      this.recordRoom(1);
      this.recs[0] = 0;
      this.map[0] = 0;
      this.setRecords(1);
    }
    const o = this.offsetOf(0);
    for (let k = 0; k < this.words; k++) this.states[o + k] = buf[off + k]!;
    this.parents[0] = 0xffffffff;
    if (this.compact) {
      this.fps[0] = h;
      this.fps[1] = fingerprintHigh(buf, off, this.words);
    }
    this.table[this.home(h)] = (h & ~this.mask) | 1;
    this.setCount(1);
  }

  /** Read the home slots of the n hashes in h from `from` on (a prefetch before probing them one by one; returns a value so the loads stay), then the first word of each committed candidate state whose tag matches. */
  touch(h: Int32Array, from: number, n: number): number {
    const t = this.table;
    const mask = this.mask;
    const used = this.used();
    const rs = this.rs;
    let acc = 0;
    for (let j = from; j < from + n; j++) acc ^= t[h[j]! & mask]!;
    for (let j = from; j < from + n; j++) {
      const x = h[j]!;
      const v = t[x & mask]!;
      if (v !== 0 && (v & ~mask) === (x & ~mask) && (v & mask) <= used) acc ^= this.compact ? this.fps[2 * ((v & mask) - 1)]! : this.states[((v & mask) - 1) * rs]!;
    }
    return acc;
  }

  /**
   * Insert directly, as the one-thread stores do (worker 0 alone, between
   * shared rounds; the caller inserts in BFS order, so the index is final).
   * Returns the new index, -(index + 1) when present, or FULL when the
   * buffers cannot grow (memory limit). `live`: the first state whose
   * words must stay (hash-compact's ring). Grows the table before load
   * 0.7 (as the exact store); FULL as well when it cannot.
   */
  insertSolo(buf: Uint32Array, off: number, h: number, parent: number, live: number): number {
    const W = this.words;
    const hi = this.compact ? fingerprintHigh(buf, off, W) : 0;
    for (;;) {
      const t = this.table;
      const mask = this.mask;
      const tag = h & ~mask;
      let i = h & mask;
      for (;;) {
        const v = t[i]!;
        if (v === 0) break;
        if ((v & ~mask) === tag) {
          const x = (v & mask) - 1;
          if (this.compact) {
            if (this.fps[2 * x] === h >>> 0 && this.fps[2 * x + 1] === hi >>> 0) return -(x + 1);
          } else {
            if (this.recordHolds(x, buf, off)) return -(this.recs[x * this.rs]! + 1);
          }
        }
        i = (i + 1) & mask;
      }
      // The table grows (and is probed again) before it passes load 0.7.
      if (this.used() + 1 > (mask + 1) * MAX_LOAD) {
        if (!this.growSolo()) return FULL;
        continue;
      }
      const idx = this.count;
      if (!this.roomFor(idx + 1, live)) return FULL;
      let v = idx + 1;
      if (!this.compact) {
        const g = this.records;
        if (!this.recordRoom(g + 1)) return FULL;
        this.recs[g * this.rs] = idx;
        this.map[idx] = g;
        this.setRecords(g + 1);
        v = g + 1;
      }
      const o = this.offsetOf(idx);
      for (let k = 0; k < W; k++) this.states[o + k] = buf[off + k]!;
      this.parents[idx] = parent;
      if (this.compact) {
        this.fps[2 * idx] = h;
        this.fps[2 * idx + 1] = hi;
      }
      t[i] = tag | v;
      this.setCount(idx + 1);
      return idx;
    }
  }

  private roomFor(n: number, live: number): boolean {
    if (this.compact) {
      if (n * 2 <= this.fps.length && n <= this.parents.length && n - live <= this.ringMask + 1) return true;
    } else if (n <= this.map.length && n <= this.parents.length) return true;
    return this.reserve(n, live);
  }

  /** Grow the table and refill it here (worker 0 alone); false when it cannot grow. */
  private growSolo(): boolean {
    this.onGrowth?.(true);
    try {
      if (!this.prepareGrowth(this.table.length + 1)) return false;
      this.rehashPart(0, 1, 0);
      return true;
    } finally {
      this.onGrowth?.(false);
    }
  }

  /** Index of a committed state, or -1. */
  find(buf: Uint32Array, off: number, h: number): number {
    const mask = this.mask;
    const tag = h & ~mask;
    let i = h & mask;
    for (;;) {
      const v = this.table[i]!;
      if (v === 0) return -1;
      if ((v & ~mask) === tag) {
        const x = (v & mask) - 1;
        if (this.compact) {
          if (x < this.count && this.matches(x, buf, off, h)) return x;
        } else if (x < this.records) {
          // A record before the round: numbered, unless it holds -1 (a state the round that wrote it did not number, at the search's end).
          if (this.recordHolds(x, buf, off) && this.recs[x * this.rs]! >= 0) return this.recs[x * this.rs]!;
        }
      }
      i = (i + 1) & mask;
    }
  }

  chunkOf(_idx: number): Uint32Array {
    return this.states;
  }
  offsetOf(idx: number): number {
    return this.compact ? (idx & this.ringMask) * this.words : this.map[idx]! * this.rs + 1;
  }
  read(idx: number, out: Uint32Array, off = 0): void {
    const o = this.offsetOf(idx);
    for (let k = 0; k < this.words; k++) out[off + k] = this.states[o + k]!;
  }
  /** Is the state at buf[off..] (hash h) stored state idx? Hash-compact compares fingerprints. */
  matches(idx: number, buf: Uint32Array, off: number, h = 0): boolean {
    if (this.compact) return this.fps[2 * idx] === h >>> 0 && this.fps[2 * idx + 1] === fingerprintHigh(buf, off, this.words) >>> 0;
    return this.recordHolds(this.map[idx]!, buf, off);
  }
  parentOf(idx: number): number {
    return this.parents[idx]!;
  }
  /** Bytes in use: the current table, and the states and parents stored (exact: the records, and per state its record and parent). */
  bytes(): number {
    if (this.compact) return this.table.byteLength + this.count * 12 + this.states.byteLength;
    return this.table.byteLength + this.records * 4 * this.rs + this.count * 8;
  }
  /** Hash-compact: bytes per state that stay for the whole run (fingerprint, parent, table share). */
  residentBytesPerState(): number {
    return this.count ? (this.table.byteLength + this.count * 12) / this.count : 0;
  }
  /** Hash-compact: expected fingerprint collisions among the stored states (birthday bound). */
  expectedCollisions(): number {
    return (this.count * (this.count - 1)) / 2 ** 65;
  }
  tableSlots(): number {
    return this.table.length;
  }
  /** The most states (committed and pending) the table takes before it must grow: load 0.7, as the exact store. */
  bound(): number {
    return Math.floor((this.mask + 1) * MAX_LOAD);
  }

  /**
   * Switch to a table of at least `minSlots` slots (coordinator, between
   * phases): grows the other buffer and empties it. The workers then
   * refill it with `rehashPart`. Grows as the exact store does
   * (`nextTableSlots`: quadruples below QUADRUPLE_BELOW slots when the
   * memory allows, doubles above); hash-compact, whose point is memory,
   * quadruples only below 2^20. False, and the table as it was, when the
   * table cannot grow that far (2^29 slots, or what its buffer holds), or
   * when the memory the search may still use does not take even a doubled
   * table (`mayAdd`; `refusedForMemory`): the refill would pass the limit
   * far from any poll, and the search would be ended inside it. With
   * `clear` false the new table is not emptied here: the workers do it
   * (`clearPart`) before they refill it.
   */
  prepareGrowth(minSlots: number, clear = true): boolean {
    const from = this.table;
    let bits = Math.log2(from.length);
    const step = this.compact ? (from.length < 2 ** 20 ? 2 : 1) : Math.log2(nextTableSlots(from.length, this.mayAdd) / from.length);
    do bits += step;
    while (2 ** bits < minSlots);
    const which = 1 - Atomics.load(this.ctl, StoreWord.TableWhich);
    const t = this.buffers.tables[which]!;
    // A quadrupling that does not fit may still double.
    while (bits > Math.log2(from.length) + 1 && 2 ** (bits - 1) >= minSlots && (bits > MAX_TABLE_BITS || 4 * 2 ** bits > maxBytes(t))) bits--;
    if (bits > MAX_TABLE_BITS || 4 * 2 ** bits > maxBytes(t)) return false;
    if (this.mayAdd !== null && 4 * 2 ** bits > t.byteLength && !this.mayAdd(4 * 2 ** bits - t.byteLength)) {
      this.refusedForMemory = true;
      return false;
    }
    growShared(t, 4 * 2 ** bits);
    Atomics.store(this.ctl, StoreWord.TableWhich, which);
    Atomics.store(this.ctl, StoreWord.TableBits, bits);
    this.refresh();
    if (clear) this.clearPart(0, 1);
    return true;
  }

  /**
   * Empty part `part` of `parts` of the table that `prepareGrowth(_, false)`
   * switched to (every worker at once, after refresh and before the
   * refill): the buffer held the table before last. Its new pages are zero
   * already, but touching them in the clearing costs less than the
   * refilling workers' page faults at random places. Parts are whole pages.
   */
  clearPart(part: number, parts: number): void {
    const n = this.table.length;
    const at = (k: number): number => Math.min(n, Math.ceil((n * k) / parts / 1024) * 1024);
    this.table.fill(0, at(part), at(part + 1));
  }

  /**
   * Fill the current table (after prepareGrowth and refresh, every worker
   * at once) with the committed states, taken in index order (hash-compact),
   * or with the records (exact; `pending` more than the records before the
   * round: its pending states, whose records hold a key, are entered as
   * well). The workers claim runs of REHASH_RUN of them from the counter
   * ctl[word] (zeroed before the refill; `rehashClaimed`), so that one that
   * is held up leaves more to the others; `rehashPart` takes a fixed part.
   * Each state is read and hashed once, by one worker, and placed with a
   * compare-and-swap on its slot, since another worker may be placing a
   * state in the same probe run. Where a state lands in its probe run
   * depends on the timing; what a lookup finds does not.
   */
  rehashClaimed(word: number, pending: number): void {
    const n = this.rehashCount(pending);
    for (;;) {
      const from = Atomics.add(this.ctl, word, REHASH_RUN);
      if (from >= n) return;
      this.sink ^= this.rehashRange(from, Math.min(n, from + REHASH_RUN), true);
    }
  }

  /** Part `part` of `parts` of the refill (`rehashClaimed`); alone (one part), with plain writes. */
  rehashPart(part: number, parts: number, pending: number): void {
    const n = this.rehashCount(pending);
    this.sink ^= this.rehashRange(shareOf(n, part, parts), shareOf(n, part + 1, parts), parts > 1);
  }

  private rehashCount(pending: number): number {
    const n = this.compact ? this.count : this.records + pending;
    if (!this.compact && n * this.rs > this.states.length) this.refreshStates();
    return n;
  }

  /** Refill the table with records (states) [from, to); returns the prefetch loads' value (kept by the caller: code after the loop would first run in the optimized code on-stack replacement made of the loop, and be thrown away there at every call). */
  private rehashRange(from: number, to: number, shared: boolean): number {
    const t = this.table;
    const ti = this.tableI32;
    const mask = this.mask;
    const rs = this.rs;
    const compact = this.compact;
    const hs = this.rehashScratch;
    const ix = this.rehashIdx;
    let acc = 0;
    for (let i = from; i < to; ) {
      let m = 0;
      for (; i < to && m < hs.length; i++) {
        if (!compact && this.recs[i * rs]! < 0) continue;
        ix[m] = i;
        hs[m++] = compact ? this.fps[2 * i]! | 0 : this.hashOf(this.states, i * rs + 1);
      }
      // Touch the block's home slots first (the misses overlap), then place.
      for (let k = 0; k < m; k++) acc ^= t[hs[k]! & mask]!;
      if (!shared) {
        // Alone (worker 0 between rounds): plain writes.
        for (let k = 0; k < m; k++) {
          let j = hs[k]! & mask;
          while (t[j] !== 0) j = (j + 1) & mask;
          t[j] = (hs[k]! & ~mask) | (ix[k]! + 1);
        }
      } else for (let k = 0; k < m; k++) placeShared(ti, mask, hs[k]!, (hs[k]! & ~mask) | (ix[k]! + 1));
    }
    return acc;
  }

}

/**
 * floor(n * w / parts) for non-negative integers, in integer operations:
 * a division whose result the optimized code had only seen whole would be
 * thrown away ("lost precision") the first time it is not.
 */
export function shareOf(n: number, w: number, parts: number): number {
  const x = n * w;
  return (x - (x % parts)) / parts;
}

/** States a refilling worker claims at a time (`rehashClaimed`). */
const REHASH_RUN = 1 << 14;

/** The table's load bound: a round grows the table first when its states could pass it. */
export const MAX_LOAD = 0.7;

/** Place slot value v for hash h in the first empty slot of its probe run (compare-and-swap on the table's Int32 view: other workers place at once). */
export function placeShared(t: Int32Array, mask: number, h: number, v: number): number {
  let j = h & mask;
  while (t[j] !== 0 || Atomics.compareExchange(t, j, 0, v | 0) !== 0) j = (j + 1) & mask;
  return j;
}
