import { CHUNK, CHUNK_BITS, CMASK, FIRST_CHUNK } from './store.ts';
import { fingerprintHigh } from './fingerprints.ts';
import { grown } from './growable.ts';

/**
 * Hash-compact storage (Wolper and Leroy's hash compaction; Stern and Dill;
 * TLC's fingerprints): the visited set keeps a 64-bit fingerprint per state
 * instead of its packed words. Two different states with the same
 * fingerprint are confused, so a state may be missed; with N states the
 * expected number of such collisions is about N^2 / 2^65.
 *
 * Per state: 8 bytes of fingerprint + 4 bytes of parent index, plus the
 * table (4 bytes per slot, as in the exact store). The packed words are kept
 * only until the breadth-first search has expanded the state: chunks below
 * the BFS head are released. Counterexamples are rebuilt by walking forward
 * from the initial state and matching successors' fingerprints
 * (`fingerprints.ts`).
 */

export class CompactStore {
  readonly words: number;
  count = 0;
  sink = 0;
  private table: Uint32Array;
  private mask: number;
  private limit: number;
  private readonly fp: Uint32Array[] = []; // [lo, hi] per state
  private readonly parents: Uint32Array[] = [];
  private readonly chunks: (Uint32Array | null)[] = [];
  private released = 0;
  /** Told when a growth of the table starts (true) and ends (false), as `StoreOptions.onGrowth`. */
  onGrowth: ((on: boolean) => void) | null = null;

  constructor(words: number) {
    this.words = words;
    this.table = new Uint32Array(1 << 8);
    this.mask = this.table.length - 1;
    this.limit = Math.floor(this.table.length * 0.7);
  }

  insert(buf: Uint32Array, off: number, h: number, parent: number): number {
    const hi = fingerprintHigh(buf, off, this.words);
    const i = this.slot(h, hi);
    const found = this.table[i]!;
    if (found !== 0) return -((found & this.mask) - 1) - 1;
    const idx = this.count;
    const ci = idx >>> CHUNK_BITS;
    const o = idx & CMASK;
    if (ci === this.fp.length) {
      // The first chunk starts small and doubles up to full size, so small models stay small.
      const size = ci === 0 ? FIRST_CHUNK : CHUNK;
      this.fp.push(new Uint32Array(size * 2));
      this.parents.push(new Uint32Array(size));
      this.chunks.push(new Uint32Array(size * this.words));
    } else if (ci === 0 && o === this.parents[0]!.length) this.growFirstChunk();
    this.fp[ci]![o * 2] = h;
    this.fp[ci]![o * 2 + 1] = hi;
    this.parents[ci]![o] = parent;
    const c = this.chunks[ci]!;
    for (let k = 0; k < this.words; k++) c[o * this.words + k] = buf[off + k]!;
    this.table[i] = (h & ~this.mask) | (idx + 1);
    this.count = idx + 1;
    if (this.count > this.limit) this.grow();
    return idx;
  }

  /** Index of the state with this fingerprint, or -1 (what insert would answer for a state already stored). */
  find(buf: Uint32Array, off: number, h: number): number {
    const v = this.table[this.slot(h, fingerprintHigh(buf, off, this.words))]!;
    return v === 0 ? -1 : (v & this.mask) - 1;
  }

  /** Linear probing from the fingerprint's home slot: the slot holding it, or the empty slot where it would go. */
  private slot(h: number, hi: number): number {
    const mask = this.mask;
    const tag = h & ~mask;
    for (let i = h & mask; ; i = (i + 1) & mask) {
      const v = this.table[i]!;
      if (v === 0) return i;
      if ((v & ~mask) === tag) {
        const idx = (v & mask) - 1;
        const f = this.fp[idx >>> CHUNK_BITS]!;
        const o = (idx & CMASK) * 2;
        if (f[o] === (h >>> 0) && f[o + 1] === (hi >>> 0)) return i;
      }
    }
  }

  private growFirstChunk(): void {
    const size = Math.min(CHUNK, this.parents[0]!.length * 2);
    this.fp[0] = grown(this.fp[0]!, size * 2);
    this.parents[0] = grown(this.parents[0]!, size);
    this.chunks[0] = grown(this.chunks[0]!, size * this.words);
  }

  private grow(): void {
    const cap = this.table.length * 2;
    if (cap > 2 ** 31) throw new RangeError('state table cannot grow past 2^31 slots');
    this.onGrowth?.(true);
    const table = new Uint32Array(cap);
    const mask = cap - 1;
    for (let idx = 0; idx < this.count; idx++) {
      const h = this.fp[idx >>> CHUNK_BITS]![(idx & CMASK) * 2]! | 0;
      let i = h & mask;
      while (table[i] !== 0) i = (i + 1) & mask;
      table[i] = (h & ~mask) | (idx + 1);
    }
    this.table = table;
    this.mask = mask;
    this.limit = Math.floor(cap * 0.7);
    this.onGrowth?.(false);
  }

  prefetch(_buf: Uint32Array, _hashes: Int32Array, _from: number, _to: number): number {
    return 0;
  }
  chunkOf(idx: number): Uint32Array {
    const c = this.chunks[idx >>> CHUNK_BITS];
    if (!c) throw new Error(`internal: state ${idx} was released`);
    return c;
  }
  offsetOf(idx: number): number {
    return (idx & CMASK) * this.words;
  }
  parentOf(idx: number): number {
    return this.parents[idx >>> CHUNK_BITS]![idx & CMASK]!;
  }
  /** Does the state at buf[off..] (with 32-bit hash h) have state idx's fingerprint? */
  matches(idx: number, buf: Uint32Array, off: number, h: number): boolean {
    const f = this.fp[idx >>> CHUNK_BITS]!;
    const o = (idx & CMASK) * 2;
    return f[o] === h >>> 0 && f[o + 1] === fingerprintHigh(buf, off, this.words) >>> 0;
  }
  /** Drop the words of every chunk wholly below state `upTo` (already expanded by BFS). */
  release(upTo: number): void {
    const last = upTo >>> CHUNK_BITS;
    for (let c = this.released; c < last; c++) this.chunks[c] = null;
    if (last > this.released) this.released = last;
  }
  bytes(): number {
    let b = this.table.byteLength;
    for (const f of this.fp) b += f.byteLength;
    for (const p of this.parents) b += p.byteLength;
    for (const c of this.chunks) if (c) b += c.byteLength;
    return b;
  }
  /** Bytes per state that stay for the whole run (fingerprint, parent, table share). */
  residentBytesPerState(): number {
    return this.count ? (this.table.byteLength + this.count * 12) / this.count : 0;
  }
  /** Expected number of fingerprint collisions among the stored states (birthday bound). */
  expectedCollisions(): number {
    const n = this.count;
    return (n * (n - 1)) / 2 ** 65;
  }
}
