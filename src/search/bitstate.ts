import { hashWords } from '../layout/hash.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { Reducers } from './explore.ts';
import type { FoundViolation, IncompleteReason, PathStep, SearchOptions } from './types.ts';

/**
 * Bitstate search (Holzmann's supertrace): the visited set is an array of
 * 2^m bits; a state sets k bits chosen by double hashing (Kirsch and
 * Mitzenmacher). A state whose k bits are all set already is taken as
 * visited, so some states may be missed; nothing else is stored per state.
 * The search is depth-first with the path on an explicit stack, so a
 * counterexample is the stack itself. Under symmetry the canonical form is
 * only the key: the stack holds concrete states, so traces need no
 * translation.
 */
export class BitTable {
  readonly bits: Uint32Array;
  readonly mask: number;
  inserted = 0;
  constructor(readonly log2Bits: number, readonly k: number) {
    this.bits = new Uint32Array(Math.max(1, 2 ** log2Bits / 32));
    this.mask = 2 ** log2Bits - 1;
  }
  /** Set the state's bits; true when at least one was clear (a new state). */
  testAndSet(buf: Uint32Array, off: number, words: number, h1: number): boolean {
    const h2 = hashWords(buf, off, words, 0x5bd1e995) | 1;
    let fresh = false;
    for (let i = 0; i < this.k; i++) {
      const b = ((h1 + Math.imul(i, h2)) >>> 0) & this.mask;
      const w = b >>> 5;
      const m = 1 << (b & 31);
      if ((this.bits[w]! & m) === 0) {
        fresh = true;
        this.bits[w] = this.bits[w]! | m;
      }
    }
    if (fresh) this.inserted++;
    return fresh;
  }
  test(buf: Uint32Array, off: number, words: number, h1: number): boolean {
    const h2 = hashWords(buf, off, words, 0x5bd1e995) | 1;
    for (let i = 0; i < this.k; i++) {
      const b = ((h1 + Math.imul(i, h2)) >>> 0) & this.mask;
      if ((this.bits[b >>> 5]! & (1 << (b & 31))) === 0) return false;
    }
    return true;
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

export interface BitstateOutcome {
  violation: FoundViolation | null;
  incomplete: IncompleteReason | null;
  states: number;
  transitions: number;
  depth: number;
  frontier: number;
  table: BitTable;
  stackBytes: number;
}

export function exploreBitstate(rt: Runtime, opts: SearchOptions, start: number, red: Reducers): BitstateOutcome {
  const W = rt.words;
  const { por, sym } = red;
  const table = new BitTable(opts.bitstateBits, opts.bitstateHashes);
  const deadlockOn = opts.deadlock ?? rt.model.deadlock;
  const invNames = rt.model.invariants.map((i) => i.name);
  const key = new Uint32Array(W);
  const out: BitstateOutcome = { violation: null, incomplete: null, states: 0, transitions: 0, depth: 0, frontier: 0, table, stackBytes: 0 };
  // Frames: the state's words, and its successors on the edge stack [es0, es1) with a cursor.
  let frames = new Uint32Array(256 * W);
  let fStart = new Int32Array(256);
  let fEnd = new Int32Array(256);
  let fCur = new Int32Array(256);
  let edges = new Uint32Array(1024 * W);
  let eThread = new Int32Array(1024);
  let eStep = new Int32Array(1024);
  let eChoice = new Int32Array(1024);
  let fp = 0;
  let esTop = 0;
  const path = (extra: PathStep | null): PathStep[] => {
    const steps: PathStep[] = [];
    for (let f = 0; f < fp - 1; f++) {
      const i = fCur[f]! - 1;
      steps.push({ thread: eThread[i]!, step: eStep[i]!, choice: eChoice[i]! });
    }
    if (extra) steps.push(extra);
    return steps;
  };
  const seen = (buf: Uint32Array, off: number, set: boolean): boolean => {
    for (let k = 0; k < W; k++) key[k] = buf[off + k]!;
    if (sym) sym.canonicalize(key, 0);
    const h = rt.hash(key, 0);
    return set ? !table.testAndSet(key, 0, W, h) : table.test(key, 0, W, h);
  };
  /** Push a (new) state: expand it, keep its successors. Returns false on a violation. */
  const push = (buf: Uint32Array, off: number): boolean => {
    if (fp === fStart.length) {
      const grow = <T extends Int32Array | Uint32Array>(a: T, n: number): T => {
        const b = new (a.constructor as new (n: number) => T)(n);
        b.set(a);
        return b;
      };
      frames = grow(frames, frames.length * 2);
      fStart = grow(fStart, fStart.length * 2);
      fEnd = grow(fEnd, fEnd.length * 2);
      fCur = grow(fCur, fCur.length * 2);
    }
    for (let k = 0; k < W; k++) frames[fp * W + k] = buf[off + k]!;
    fp++;
    if (fp > out.depth) out.depth = fp - 1;
    if (por !== null && por.hasDeclared) por.verify(rt, frames, (fp - 1) * W);
    const n = rt.expand(frames, (fp - 1) * W);
    if (n < 0) {
      out.violation = { kind: 'assertion', property: rt.failProperty, steps: path({ thread: rt.failThread, step: rt.failStep, choice: rt.failChoice }) };
      return false;
    }
    if (n === 0 && deadlockOn && !rt.allEnded(frames, (fp - 1) * W)) {
      out.violation = { kind: 'deadlock', property: 'deadlock', steps: path(null) };
      return false;
    }
    let lo = 0;
    let hi = n;
    if (por !== null && n > 1) {
      const base = (fp - 1) * W;
      const t = por.choose(rt.succThread, n, (x) => rt.label(frames, base, x));
      if (t >= 0) {
        while (rt.succThread[lo] !== t) lo++;
        hi = lo;
        while (hi < n && rt.succThread[hi] === t) hi++;
        // C3: an ample successor already visited forces full expansion.
        for (let i = lo; i < hi; i++)
          if (seen(rt.succ, i * W, false)) {
            lo = 0;
            hi = n;
            break;
          }
      }
    }
    const m = hi - lo;
    out.transitions += m;
    if (esTop + m > eThread.length) {
      const cap = Math.max(eThread.length * 2, esTop + m);
      const e2 = new Uint32Array(cap * W);
      e2.set(edges);
      edges = e2;
      const g = (a: Int32Array) => {
        const b = new Int32Array(cap);
        b.set(a);
        return b;
      };
      eThread = g(eThread);
      eStep = g(eStep);
      eChoice = g(eChoice);
    }
    // Successors in order; popped in order via the cursor.
    for (let i = lo; i < hi; i++) {
      const d = esTop + i - lo;
      for (let k = 0; k < W; k++) edges[d * W + k] = rt.succ[i * W + k]!;
      eThread[d] = rt.succThread[i]!;
      eStep[d] = rt.succStep[i]!;
      eChoice[d] = rt.succChoice[i]!;
    }
    fStart[fp - 1] = esTop;
    fCur[fp - 1] = esTop;
    fEnd[fp - 1] = esTop + m;
    esTop += m;
    return true;
  };

  const init = rt.initial();
  seen(init, 0, true);
  out.states = 1;
  const v0 = rt.checkInvariants(init, 0);
  if (v0 >= 0) {
    out.violation = { kind: 'invariant', property: invNames[v0]!, steps: [] };
    return out;
  }
  if (!push(init, 0)) return out;
  let ticks = 0;
  while (fp > 0) {
    if (++ticks === 1024) {
      ticks = 0;
      if ((performance.now() - start) / 1000 > opts.timeLimit) {
        out.incomplete = 'time-limit';
        break;
      }
    }
    const f = fp - 1;
    if (fCur[f]! < fEnd[f]!) {
      const i = fCur[f]!++;
      if (seen(edges, i * W, true)) continue;
      out.states++;
      const v = rt.checkInvariants(edges, i * W);
      if (v >= 0) {
        out.violation = { kind: 'invariant', property: invNames[v]!, steps: path({ thread: eThread[i]!, step: eStep[i]!, choice: eChoice[i]! }) };
        break;
      }
      if (out.states >= opts.maxStates) {
        out.incomplete = 'max-states';
        break;
      }
      if (!push(edges, i * W)) break;
    } else {
      esTop = fStart[f]!;
      fp--;
    }
  }
  out.frontier = fp;
  out.stackBytes = frames.byteLength + edges.byteLength + 12 * eThread.length;
  return out;
}
