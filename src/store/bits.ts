import { hashWords } from '../layout/hash.ts';

/**
 * A bitstate visited set (Holzmann's supertrace): 2^m bits, and a state sets
 * k of them chosen by double hashing (Kirsch and Mitzenmacher: positions
 * a + j*b from two independent 32-bit hashes of the state's words). A state
 * whose k bits are all set already is taken as visited, so some states may
 * be missed; nothing else is stored per state.
 *
 * The two hash seeds are a parameter so that searches can differ in which
 * states collide (swarm diversification); the bitstate store uses
 * `STORE_SEEDS`.
 */
/** The bitstate store's hash seeds: hashWords' default seed (the state hash every store uses) and a second one. */
export const STORE_SEEDS: readonly [number, number] = Object.freeze([0x9747b28c, 0x5bd1e995]) as readonly [number, number];

export class BitTable {
  readonly bits: Uint32Array;
  readonly mask: number;
  /** States whose bits were not all set when they were tested (taken as new). */
  inserted = 0;
  /** Bits set so far (counted as they are set: the fill ratio costs no scan). */
  ones = 0;

  constructor(
    readonly log2Bits: number,
    readonly k: number,
    private readonly seeds: readonly [number, number] = STORE_SEEDS,
  ) {
    this.bits = new Uint32Array(Math.max(1, 2 ** log2Bits / 32));
    this.mask = 2 ** log2Bits - 1;
  }

  /** Set the state's bits; true when at least one was clear (a new state). */
  testAndSet(buf: Uint32Array, off: number, words: number): boolean {
    const a = hashWords(buf, off, words, this.seeds[0]);
    const b = hashWords(buf, off, words, this.seeds[1]) | 1;
    const bits = this.bits;
    let fresh = false;
    for (let j = 0; j < this.k; j++) {
      const x = ((a + Math.imul(j, b)) >>> 0) & this.mask;
      const w = x >>> 5;
      const m = 1 << (x & 31);
      if ((bits[w]! & m) === 0) {
        fresh = true;
        bits[w] = bits[w]! | m;
        this.ones++;
      }
    }
    if (fresh) this.inserted++;
    return fresh;
  }

  /** Are all of the state's bits set? (Nothing is changed.) */
  test(buf: Uint32Array, off: number, words: number): boolean {
    const a = hashWords(buf, off, words, this.seeds[0]);
    const b = hashWords(buf, off, words, this.seeds[1]) | 1;
    for (let j = 0; j < this.k; j++) {
      const x = ((a + Math.imul(j, b)) >>> 0) & this.mask;
      if ((this.bits[x >>> 5]! & (1 << (x & 31))) === 0) return false;
    }
    return true;
  }

  /** Fraction of bits set. */
  fill(): number {
    return this.ones / (this.bits.length * 32);
  }

  /**
   * Expected number of states missed. When i states are in, a new state is
   * wrongly taken as visited with probability p(i) = (1 - e^(-k i / M))^k;
   * each inserted state stands for 1 / (1 - p) attempts, of which p / (1 - p)
   * were missed on average. Summed over the inserted states (numerically).
   */
  expectedMissed(): number {
    const M = 2 ** this.log2Bits;
    const n = this.inserted;
    const steps = Math.min(n, 2000);
    if (steps === 0) return 0;
    let sum = 0;
    for (let j = 0; j < steps; j++) {
      const x = ((j + 0.5) / steps) * n;
      const p = Math.min((1 - Math.exp((-this.k * x) / M)) ** this.k, 1 - 1e-12);
      sum += p / (1 - p);
    }
    return (sum * n) / steps;
  }

  bytes(): number {
    return this.bits.byteLength;
  }
}
