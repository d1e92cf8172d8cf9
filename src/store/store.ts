/**
 * The visited-state table: open addressing with linear probing over a
 * Uint32Array of slots, and the packed states themselves in fixed-size
 * chunks of one Uint32Array each (a state is an index, never an object).
 *
 * Slot format (table capacity 2^b slots, so at most 2^b - 1 states):
 *
 *   31            b  b-1                0
 *  [ hash tag bits   |  state index + 1  ]     0 = empty
 *
 * The tag is the hash's high bits, so most probes that meet another state
 * are rejected without touching the state's words. In breadth-first search
 * the states are stored in discovery order, so the chunk array doubles as
 * the BFS queue: the frontier is the index range [head, count).
 *
 * A parent log (one Uint32 per state, the index of the state it was first
 * reached from) rebuilds counterexamples; the step taken is found again by
 * re-expanding the parent, so it costs no memory.
 *
 * Memory per state: 4*words (state) + 4 (parent) + 4/load (table); for
 * peterson(5): 12 + 4 + ~8 = ~24 bytes.
 */
import { grown } from './growable.ts';

export const CHUNK_BITS = 16;
export const CHUNK = 1 << CHUNK_BITS;
export const CMASK = CHUNK - 1;
/** The first chunk starts small (small models stay small) and doubles up to CHUNK. */
export const FIRST_CHUNK = 256;
export const NO_PARENT = 0xffffffff;

export interface StoreOptions {
  /** Initial table capacity (rounded up to a power of two). */
  initialSlots?: number;
  /** Keep the parent log (default true). */
  parents?: boolean;
  /** Maximum load before the table doubles (default 0.7). */
  maxLoad?: number;
  /** Whether a growth may allocate this many bytes of table (default: always); one that may not doubles the table instead of quadrupling it (`nextTableSlots`). */
  mayAdd?: (bytes: number) => boolean;
  /** Told when a growth of the table starts (true) and ends (false): a supervisor waits for it (`SearchMonitor.busy`). */
  onGrowth?: (on: boolean) => void;
}

/**
 * The exact stores' tables quadruple below this many slots and double from
 * it on. Each growth re-reads and re-hashes every stored state and writes a
 * random slot for it, so quadrupling halves the number of growths: up to
 * 2^24 slots (a 64 MB table) that saves a pass over most states for at
 * most 48 MB more table, and the larger table's lower load shortens the
 * probes of the lookups that follow. peterson(5) (8.3 M states) goes
 * through two growths past 2^20 slots instead of four and runs 12 to 18%
 * faster with one worker; its final table is the same.
 */
export const QUADRUPLE_BELOW = 1 << 24;

/** The load a table whose growth the memory refused takes until the search's next poll stops it. */
const FULL_LOAD = 0.9;

/**
 * The exact table's next size from `slots`: four times below
 * QUADRUPLE_BELOW when the memory the search may still use takes the larger
 * table (`mayAdd`, asked for its bytes), else twice. Under a tight
 * `--memory-limit` the table then grows in steps the limit can stop at,
 * instead of one allocation that passes it by far before the next poll.
 */
export function nextTableSlots(slots: number, mayAdd: ((bytes: number) => boolean) | null): number {
  return slots < QUADRUPLE_BELOW && (mayAdd === null || mayAdd(16 * slots)) ? slots * 4 : slots * 2;
}

export class StateStore {
  readonly words: number;
  count = 0;
  /** Keeps prefetch loads observable. */
  sink = 0;
  private table: Uint32Array;
  private mask: number;
  private limit: number;
  private readonly maxLoad: number;
  private readonly chunks: Uint32Array[] = [];
  private readonly parentChunks: Uint32Array[] = [];
  private readonly keepParents: boolean;
  private readonly mayAdd: ((bytes: number) => boolean) | null;
  private readonly onGrowth: ((on: boolean) => void) | null;
  /** The table's growth was refused for the memory limit (`mayAdd`): the search is to stop with memory-limit at its next poll. */
  refusedForMemory = false;
  /** Rehash function: the hash of a stored state (the same function the caller uses for insert). */
  private readonly rehash: (buf: Uint32Array, off: number) => number;

  constructor(words: number, hash: (buf: Uint32Array, off: number) => number, opts: StoreOptions = {}) {
    this.words = words;
    this.rehash = hash;
    this.maxLoad = opts.maxLoad ?? 0.7;
    this.keepParents = opts.parents ?? true;
    this.mayAdd = opts.mayAdd ?? null;
    this.onGrowth = opts.onGrowth ?? null;
    let cap = 256;
    while (cap < (opts.initialSlots ?? 0)) cap *= 2;
    this.table = new Uint32Array(cap);
    this.mask = cap - 1;
    this.limit = Math.floor(cap * this.maxLoad);
  }

  /**
   * Insert the state at buf[off..off+words) with hash h. Returns its new index
   * (>= 0), or -(index + 1) when it was already present.
   */
  insert(buf: Uint32Array, off: number, h: number, parent: number): number {
    const i = this.probe(buf, off, h);
    const v = this.table[i]!;
    if (v !== 0) return -(v & this.mask);
    const W = this.words;
    const idx = this.count;
    const ci = idx >>> CHUNK_BITS;
    if (ci === this.chunks.length) {
      // The first chunk starts small and doubles up to full size, so small models stay small.
      const size = ci === 0 ? FIRST_CHUNK : CHUNK;
      this.chunks.push(new Uint32Array(size * W));
      if (this.keepParents) this.parentChunks.push(new Uint32Array(size));
    }
    let c = this.chunks[ci]!;
    const o = (idx & CMASK) * W;
    if (o + W > c.length) c = this.growFirstChunk();
    for (let k = 0; k < W; k++) c[o + k] = buf[off + k]!;
    if (this.keepParents) this.parentChunks[ci]![idx & CMASK] = parent;
    this.table[i] = (h & ~this.mask) | (idx + 1);
    this.count = idx + 1;
    if (this.count > this.limit) this.grow();
    return idx;
  }

  /**
   * Touch the table slots (and the candidate states) of a batch of states
   * before inserting them one by one. The loads are independent, so the CPU
   * overlaps their cache misses (memory-level parallelism), which a single
   * insert's dependent probe-then-compare chain cannot do. Returns a value
   * only so the loads are not optimised away.
   */
  prefetch(buf: Uint32Array, hashes: Int32Array, from: number, to: number): number {
    const mask = this.mask;
    const table = this.table;
    const W = this.words;
    let acc = 0;
    for (let i = from; i < to; i++) acc ^= table[hashes[i]! & mask]!;
    for (let i = from; i < to; i++) {
      const v = table[hashes[i]! & mask]!;
      if (v !== 0 && (v & ~mask) === (hashes[i]! & ~mask)) {
        const idx = (v & mask) - 1;
        acc ^= this.chunks[idx >>> CHUNK_BITS]![(idx & CMASK) * W]!;
      }
    }
    return acc + buf.length;
  }

  /** Index of a state, or -1. */
  find(buf: Uint32Array, off: number, h: number): number {
    const v = this.table[this.probe(buf, off, h)]!;
    return v === 0 ? -1 : (v & this.mask) - 1;
  }

  /**
   * Linear probing from the state's home slot: the slot holding the state,
   * or the empty slot where it would go. The tag (the hash's high bits)
   * rejects most other states without reading their words.
   */
  private probe(buf: Uint32Array, off: number, h: number): number {
    const W = this.words;
    const mask = this.mask;
    const tag = h & ~mask;
    const table = this.table;
    let i = h & mask;
    for (;;) {
      const v = table[i]!;
      if (v === 0) return i;
      if ((v & ~mask) === tag) {
        const idx = (v & mask) - 1;
        const c = this.chunks[idx >>> CHUNK_BITS]!;
        const o = (idx & CMASK) * W;
        let k = 0;
        while (k < W && c[o + k] === buf[off + k]) k++;
        if (k === W) return i;
      }
      i = (i + 1) & mask;
    }
  }

  private growFirstChunk(): Uint32Array {
    const size = Math.min(CHUNK, (this.chunks[0]!.length / this.words) * 2);
    const c = grown(this.chunks[0]!, size * this.words);
    this.chunks[0] = c;
    if (this.keepParents) this.parentChunks[0] = grown(this.parentChunks[0]!, size);
    return c;
  }

  private grow(): void {
    const cap = nextTableSlots(this.table.length, this.mayAdd);
    if (!this.refusedForMemory && this.mayAdd !== null && !this.mayAdd(4 * cap)) {
      // The memory would not take even the doubled table: its refill would pass the limit far from any poll, and the search would be ended inside it. The search stops at its next poll instead (`limitsCheck`); until then the table takes load up to FULL_LOAD, and grows after all past it.
      this.refusedForMemory = true;
      this.limit = Math.floor(this.table.length * FULL_LOAD);
      return;
    }
    if (cap > 2 ** 31) throw new RangeError('state table cannot grow past 2^31 slots');
    this.onGrowth?.(true);
    const table = new Uint32Array(cap);
    const mask = cap - 1;
    const W = this.words;
    // In blocks: hash a block, touch its target slots (independent loads overlap
    // their cache misses), then place each entry.
    const B = 32;
    const hs = new Int32Array(B);
    let acc = 0;
    for (let base = 0; base < this.count; base += B) {
      const end = Math.min(this.count, base + B);
      for (let idx = base; idx < end; idx++) hs[idx - base] = this.rehash(this.chunks[idx >>> CHUNK_BITS]!, (idx & CMASK) * W);
      for (let k = 0; k < end - base; k++) acc ^= table[hs[k]! & mask]!;
      for (let idx = base; idx < end; idx++) {
        const h = hs[idx - base]!;
        let i = h & mask;
        while (table[i] !== 0) i = (i + 1) & mask;
        table[i] = (h & ~mask) | (idx + 1);
      }
    }
    this.sink ^= acc;
    this.table = table;
    this.mask = mask;
    this.limit = Math.floor(cap * this.maxLoad);
    this.onGrowth?.(false);
  }

  /** The chunk holding state `idx`; its words start at `offsetOf(idx)`. */
  chunkOf(idx: number): Uint32Array {
    return this.chunks[idx >>> CHUNK_BITS]!;
  }
  offsetOf(idx: number): number {
    return (idx & CMASK) * this.words;
  }
  /** Copy state `idx` into out[off..). */
  read(idx: number, out: Uint32Array, off = 0): void {
    const c = this.chunks[idx >>> CHUNK_BITS]!;
    const o = (idx & CMASK) * this.words;
    for (let k = 0; k < this.words; k++) out[off + k] = c[o + k]!;
  }
  /** Does the state at buf[off..] equal stored state idx? */
  matches(idx: number, buf: Uint32Array, off: number, _h?: number): boolean {
    const c = this.chunks[idx >>> CHUNK_BITS]!;
    const o = (idx & CMASK) * this.words;
    for (let k = 0; k < this.words; k++) if (c[o + k] !== buf[off + k]) return false;
    return true;
  }
  parentOf(idx: number): number {
    if (!this.keepParents) return NO_PARENT;
    return this.parentChunks[idx >>> CHUNK_BITS]![idx & CMASK]!;
  }
  /** Bytes allocated by the table, the state chunks and the parent log. */
  bytes(): number {
    let b = this.table.byteLength;
    for (const c of this.chunks) b += c.byteLength;
    for (const c of this.parentChunks) b += c.byteLength;
    return b;
  }
  /** Bytes the next growth step would add (for memory limits). */
  tableSlots(): number {
    return this.table.length;
  }
}
