import { hashWords } from '../layout/hash.ts';

/**
 * 64-bit state fingerprints (Wolper and Leroy's hash compaction; TLC's
 * fingerprints): the first 32 bits are the state hash every store uses
 * (hashWords' default seed), the second 32 bits a hash with a fixed seed of
 * its own. Fixed, so fingerprints of the same state agree across stores,
 * walks, workers and machines. Two distinct states among n share a
 * fingerprint with probability about n^2 / 2^65.
 */
const FP_SEED = 0x2545f491;

/** Second 32 bits of a state's 64-bit fingerprint, as the hash-compact store keeps them. */
export function fingerprintHigh(buf: Uint32Array, off: number, words: number): number {
  return hashWords(buf, off, words, FP_SEED);
}

/** Second 32 bits of a state's fingerprint, never 0 (a slot of FingerprintSet with a zero second word is empty). */
export function fingerprint2(buf: Uint32Array, off: number, words: number): number {
  return (fingerprintHigh(buf, off, words) | 1) >>> 0;
}

/**
 * A set of 64-bit state fingerprints (open addressing, linear probing, two
 * words per slot), used to count distinct states without storing them.
 * Stops growing at `maxEntries` (then `full` is set and counts are lower
 * bounds) so that counting never costs more memory than the caller allows.
 */
export class FingerprintSet {
  count = 0;
  full = false;
  private t: Uint32Array;
  private mask: number;
  readonly maxEntries: number;

  constructor(maxEntries = 1 << 22, initialSlots = 1 << 10) {
    this.maxEntries = maxEntries;
    let cap = 16;
    while (cap < initialSlots) cap *= 2;
    this.t = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Add a fingerprint (h1 any 32 bits, h2 from fingerprint2: never 0). True if it was new. */
  add(h1: number, h2: number): boolean {
    const a = h1 >>> 0;
    const t = this.t;
    let i = a & this.mask;
    for (;;) {
      const b = t[2 * i + 1]!;
      if (b === 0) break;
      if (b === h2 && t[2 * i] === a) return false;
      i = (i + 1) & this.mask;
    }
    if (this.count >= this.maxEntries) {
      this.full = true;
      return false;
    }
    t[2 * i] = a;
    t[2 * i + 1] = h2;
    if (++this.count * 2 > this.mask + 1) this.grow();
    return true;
  }

  has(h1: number, h2: number): boolean {
    const a = h1 >>> 0;
    const t = this.t;
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const b = t[2 * i + 1]!;
      if (b === 0) return false;
      if (b === h2 && t[2 * i] === a) return true;
    }
  }

  /** Add every pair of a flat [h1, h2, h1, h2, ...] list; returns how many were new. */
  addAll(pairs: Uint32Array, n = pairs.length >>> 1): number {
    let added = 0;
    for (let i = 0; i < n; i++) if (this.add(pairs[2 * i]!, pairs[2 * i + 1]!)) added++;
    return added;
  }

  bytes(): number {
    return this.t.byteLength;
  }

  private grow(): void {
    const old = this.t;
    const cap = (this.mask + 1) * 2;
    this.t = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    for (let j = 0; j < old.length; j += 2) {
      const b = old[j + 1]!;
      if (b === 0) continue;
      let i = old[j]! & this.mask;
      while (this.t[2 * i + 1] !== 0) i = (i + 1) & this.mask;
      this.t[2 * i] = old[j]!;
      this.t[2 * i + 1] = b;
    }
  }
}
