import { FILL_STRIDE, REGIONS, REGION_BITS, RegionInserter, SharedStore, StoreWord, type SharedStoreBuffers } from '../store/shared-store.ts';
import { growableShared, growShared, maxBytes } from '../store/growable-shared.ts';
import type { Runtime } from '../exec/runtime.ts';
import { notDeterministic, stepName } from '../exec/determinism.ts';
import { fingerprintHigh } from '../store/fingerprints.ts';
import { q } from '../model/errors.ts';
import type { Symmetry } from '../reduce/symmetry.ts';

/**
 * One worker's part of a round of the multi-core breadth-first search. A
 * round is a run of at most ROUND_STATES consecutive states of one BFS
 * level, [start, end); the workers take it through phases separated by
 * barriers, and the result is exactly what the one-thread BFS makes of the
 * same states (the same states numbered the same, the same parents, the
 * same first violation), because nothing depends on which worker did what:
 *
 *   expand   workers claim blocks of BLOCK states (an atomic counter) and
 *            write each block's successors (canonical under symmetry),
 *            their hashes and parents to their own successor buffer; a
 *            state that fails an assertion or deadlocks lowers StopState
 *   number*  the coordinator sums the successor counts in state order, so
 *            every successor has its BFS sequence number (seq)
 *   dedup    each worker walks all successors in seq order and looks up
 *            those whose hash falls in a table region it owns (region % n);
 *            the first occurrence of a new state is entered as pending
 *   rank*    the coordinator numbers the new states in seq order
 *   commit   each owner writes its new states at their final index (words,
 *            parent, table slot) and checks the invariants; the smallest
 *            violating seq wins (an atomic minimum)
 *   resolve* the coordinator decides between an invariant, the state limit
 *            and an assertion / deadlock in the order the one-thread search
 *            meets them (`parallel-explore.ts`)
 *
 * (* coordinator only.) A region filled past its bound during dedup makes
 * every worker take its pending entries out, the table grows (each owner
 * rehashes its regions) and dedup runs again.
 */

export const BLOCK = 64;
// Local copies: imported bindings can cost an accessor call per use in the hot loops.
const R = REGIONS;
const RMASK = REGIONS - 1;
const RBITS = REGION_BITS;
/** The most states of one round (the per-round arrays are sized for it). */
export const ROUND_STATES = 1 << 15;
export const NONE = 0x7fffffff;

/** Control words of the search (after the store's). */
/** (The first is STORE_WORDS: the store's words come first.) */
export const enum Ctl {
  Gen = 4,
  Quit = 5,
  Active = 6,
  Joined = 7,
  Done = 8,
  Abort = 9,
  BarCount = 10,
  BarGen = 11,
  Start = 12,
  End = 13,
  /** On a cache line of its own: claimed per block by every worker. */
  Cursor = 40,
  StopState = 15,
  CutSeq = 16,
  NewLimit = 17,
  InvSeq = 18,
  Overflow = 19,
  Grow = 20,
  FromBits = 21,
}
export const CONTROL_WORDS = 64;

/** The shared buffers of one multi-core search (plain data: sent to every worker thread). */
export interface ParallelBuffers {
  readonly workers: number;
  readonly store: SharedStoreBuffers;
  readonly stCount: SharedArrayBuffer;
  readonly stBase: SharedArrayBuffer;
  readonly blocks: SharedArrayBuffer;
  readonly rank: SharedArrayBuffer;
  /** Per worker: successor words, hashes, parents. */
  readonly succ: readonly SharedArrayBuffer[];
  readonly succHash: readonly SharedArrayBuffer[];
  readonly succParent: readonly SharedArrayBuffer[];
  /** Per worker: 1 at the sequence numbers of the new states it found (a buffer per worker: neighbouring flags of two owners would share cache lines). */
  readonly newFlags: readonly SharedArrayBuffer[];
  /** Per worker, hash-compact only: each successor's second fingerprint half. */
  readonly succHi: readonly SharedArrayBuffer[];
  /** Coverage marks of the helpers (fired steps, then reached labels), or'ed in at the end. */
  readonly coverage: SharedArrayBuffer;
}

const MAX_SUCC_BYTES = 2 ** 31;

export function parallelBuffers(words: number, workers: number, store: SharedStoreBuffers, coverageBytes: number): ParallelBuffers {
  const grow = (bytes: number) => growableShared(bytes, MAX_SUCC_BYTES);
  const per = (f: () => SharedArrayBuffer) => Array.from({ length: workers }, f);
  return {
    workers,
    store,
    stCount: new SharedArrayBuffer(4 * ROUND_STATES),
    stBase: new SharedArrayBuffer(4 * (ROUND_STATES + 1)),
    blocks: new SharedArrayBuffer(4 * 3 * (ROUND_STATES / BLOCK)),
    rank: grow(4 * 1024),
    succ: per(() => grow(4 * 1024 * words)),
    succHash: per(() => grow(4 * 1024)),
    succParent: per(() => grow(4 * 1024)),
    succHi: per(() => grow(4 * 1024)),
    newFlags: per(() => grow(4 * 1024)),
    coverage: new SharedArrayBuffer(Math.max(1, coverageBytes)),
  };
}

export function newControl(): SharedArrayBuffer {
  return new SharedArrayBuffer(4 * CONTROL_WORDS);
}

/** Thrown in every worker when another one failed (its own error is reported instead). */
export class RoundAborted extends Error {
  constructor() {
    super('the multi-core search was aborted by another worker');
  }
}

export function atomicMin(a: Int32Array, i: number, v: number): void {
  let cur = Atomics.load(a, i);
  while (v < cur) {
    const prev = Atomics.compareExchange(a, i, cur, v);
    if (prev === cur) return;
    cur = prev;
  }
}

export class RoundWorker {
  readonly store: SharedStore;
  readonly ctl: Int32Array;
  readonly inserter: RegionInserter;
  readonly stCount: Int32Array;
  readonly stBase: Int32Array;
  readonly blocks: Int32Array;
  rank: Int32Array;
  succ: Uint32Array[];
  succHash: Int32Array[];
  succParent: Int32Array[];
  succHi: Int32Array[];
  newFlags: Uint8Array[];
  private readonly mine = new Uint8Array(R);
  private readonly deadlockOn: boolean;
  private readonly hasInv: boolean;
  private len = 0;
  private checks = 0;
  /** Keeps prefetch loads observable. */
  sink = 0;
  private parents = new Int32Array(256);

  constructor(
    public me: number,
    readonly rt: Runtime,
    readonly sym: Symmetry | null,
    readonly bufs: ParallelBuffers,
    deadlock: boolean,
  ) {
    this.store = new SharedStore(bufs.store, (b, o) => rt.hash(b, o));
    this.ctl = this.store.ctl;
    this.inserter = new RegionInserter(this.store);
    this.stCount = new Int32Array(bufs.stCount);
    this.stBase = new Int32Array(bufs.stBase);
    this.blocks = new Int32Array(bufs.blocks);
    this.rank = new Int32Array(0);
    this.succ = [];
    this.succHash = [];
    this.succParent = [];
    this.succHi = [];
    this.newFlags = [];
    this.deadlockOn = deadlock;
    this.hasInv = rt.model.invariants.length > 0;
    this.refresh();
  }

  /** Re-map every buffer another worker may have grown (after each barrier). */
  refresh(): void {
    this.store.refresh();
    const b = this.bufs;
    if (this.rank.byteLength !== b.rank.byteLength) this.rank = new Int32Array(b.rank, 0, b.rank.byteLength >>> 2);
    for (let w = 0; w < b.workers; w++) {
      if (this.succ[w]?.byteLength !== b.succ[w]!.byteLength) this.succ[w] = new Uint32Array(b.succ[w]!, 0, b.succ[w]!.byteLength >>> 2);
      if (this.succHash[w]?.byteLength !== b.succHash[w]!.byteLength) this.succHash[w] = new Int32Array(b.succHash[w]!, 0, b.succHash[w]!.byteLength >>> 2);
      if (this.succParent[w]?.byteLength !== b.succParent[w]!.byteLength) this.succParent[w] = new Int32Array(b.succParent[w]!, 0, b.succParent[w]!.byteLength >>> 2);
      if (this.succHi[w]?.byteLength !== b.succHi[w]!.byteLength) this.succHi[w] = new Int32Array(b.succHi[w]!, 0, b.succHi[w]!.byteLength >>> 2);
      if (this.newFlags[w]?.byteLength !== b.newFlags[w]!.byteLength) this.newFlags[w] = new Uint8Array(b.newFlags[w]!, 0, b.newFlags[w]!.byteLength);
    }
  }

  /**
   * The phases of one round, as a generator that yields at each barrier:
   * the thread driver waits at a real barrier on every yield, the lockstep
   * driver (tests) advances all workers to their next yield in turn. The
   * coordinator's sequential parts run in worker 0 through `coord`.
   */
  *round(active: number, coord: RoundCoordinator | null): Generator<void, void, void> {
    for (let r = 0; r < R; r++) this.mine[r] = r % active === this.me ? 1 : 0;
    this.expandPhase();
    yield;
    this.refresh();
    if (coord) coord.numberSuccessors();
    yield;
    this.refresh();
    if (Atomics.load(this.ctl, Ctl.Grow) === 1) {
      this.rehashMine(coord);
      yield;
      this.refresh();
    this.refresh();
    }
    for (;;) {
      this.dedupPhase();
      yield;
      this.refresh();
    this.refresh();
      if (Atomics.load(this.ctl, Ctl.Overflow) === 0) break;
      this.inserter.clear();
      yield;
      this.refresh();
    this.refresh();
      if (coord) coord.growForRetry();
      yield;
      this.refresh();
    this.refresh();
      this.rehashMine(coord);
      yield;
      this.refresh();
    this.refresh();
    }
    if (coord) coord.rankNew();
    yield;
    this.refresh();
    this.commitPhase();
    yield;
    this.refresh();
  }

  private rehashMine(coord: RoundCoordinator | null): void {
    const g = coord ? coord.growth! : this.growthView();
    for (let r = 0; r < R; r++) if (this.mine[r] === 1) this.store.rehashRegion(r, g.from, g.fromMask, g.fromRb);
  }

  /** The table being grown from, as the coordinator left it in the control words. */
  private growthView(): { from: Uint32Array; fromMask: number; fromRb: number } {
    const bits = Atomics.load(this.ctl, Ctl.FromBits);
    const which = 1 - Atomics.load(this.ctl, StoreWord.TableWhich);
    const from = new Uint32Array(this.bufs.store.tables[which]!, 0, 2 ** bits);
    return { from, fromMask: 2 ** bits - 1, fromRb: bits - RBITS };
  }

  private expandPhase(): void {
    const ctl = this.ctl;
    const rt = this.rt;
    const W = rt.words;
    const st = this.store;
    const start = Atomics.load(ctl, Ctl.Start);
    const end = Atomics.load(ctl, Ctl.End);
    const nBlocks = Math.ceil((end - start) / BLOCK);
    const sym = this.sym;
    this.len = 0;
    // (Hash-compact keeps no words of expanded states to re-expand.)
    if (this.me !== 0 && start > 0 && !st.compact) this.crossCheck(start);
    for (;;) {
      const b = Atomics.add(ctl, Ctl.Cursor, 1);
      if (b >= nBlocks) break;
      const first = start + b * BLOCK;
      if (first > Atomics.load(ctl, Ctl.StopState)) break;
      const last = Math.min(end, first + BLOCK);
      let total = 0;
      for (let s = first; s < last; s++) {
        if (s > Atomics.load(ctl, Ctl.StopState)) break;
        const off = st.offsetOf(s);
        const n = rt.expand(st.states, off, -1, total);
        if (n < 0 || (n === 0 && this.deadlockOn && !rt.allEnded(st.states, off))) {
          atomicMin(ctl, Ctl.StopState, s);
          break;
        }
        this.stCount[s - start] = n;
        if (this.parents.length < total + n) {
          const p = new Int32Array((total + n) * 2);
          p.set(this.parents);
          this.parents = p;
        }
        this.parents.fill(s, total, total + n);
        total += n;
      }
      this.ensureSucc(this.len + total);
      const words = this.succ[this.me]!;
      const hashes = this.succHash[this.me]!;
      const parents = this.succParent[this.me]!;
      const succ = rt.succ;
      const base = this.len;
      for (let i = 0; i < total; i++) {
        if (sym !== null) sym.canonicalize(succ, i * W);
        hashes[base + i] = rt.hash(succ, i * W);
        parents[base + i] = this.parents[i]!;
      }
      if (st.compact) {
        const his = this.succHi[this.me]!;
        for (let i = 0; i < total; i++) his[base + i] = fingerprintHigh(succ, i * W, W);
      }
      words.set(succ.subarray(0, total * W), base * W);
      this.blocks[3 * b] = this.me;
      this.blocks[3 * b + 1] = base;
      this.blocks[3 * b + 2] = total;
      this.len += total;
    }
  }

  /**
   * Steps must be functions of the state in every thread, not only in one
   * (a model file is loaded once per thread: a module-level variable, say,
   * is one per worker). Each helper re-expands one state per round that
   * another worker may have expanded (every state before the round has
   * been), and every successor must be in the store (MC160 otherwise). The
   * sampled check inside `Runtime.expand` runs in every worker as well.
   */
  private crossCheck(start: number): void {
    const rt = this.rt;
    const W = rt.words;
    const st = this.store;
    const s = (this.checks++ * 40503 + this.me * 7919) % start;
    const n = rt.expand(st.states, st.offsetOf(s));
    if (n < 0) throw notDeterministic(rt, `in search worker ${this.me}, ${stepName(rt, rt.failThread, rt.failStep)} fails assertion ${q(rt.failProperty)} in stored state ${s}, which another worker expanded without that failure`);
    for (let i = 0; i < n; i++) {
      if (this.sym !== null) this.sym.canonicalize(rt.succ, i * W);
      if (st.find(rt.succ, i * W, rt.hash(rt.succ, i * W)) < 0)
        throw notDeterministic(rt, `in search worker ${this.me}, ${stepName(rt, rt.succThread[i]!, rt.succStep[i]!)} from stored state ${s} leads to a state that the worker which expanded it did not reach`);
    }
  }

  private ensureSucc(n: number): void {
    const me = this.me;
    const b = this.bufs;
    const W = this.rt.words;
    if (n <= this.succHash[me]!.length) return;
    let cap = this.succHash[me]!.length;
    while (cap < n) cap *= 2;
    if (cap * 4 * W > maxBytes(b.succ[me]!)) throw new RangeError('successor buffer cannot grow further');
    growShared(b.succ[me]!, cap * 4 * W);
    growShared(b.succHash[me]!, cap * 4);
    growShared(b.succParent[me]!, cap * 4);
    if (this.store.compact) {
      growShared(b.succHi[me]!, cap * 4);
      this.succHi[me] = new Int32Array(b.succHi[me]!, 0, cap);
    }
    this.succ[me] = new Uint32Array(b.succ[me]!, 0, cap * W);
    this.succHash[me] = new Int32Array(b.succHash[me]!, 0, cap);
    this.succParent[me] = new Int32Array(b.succParent[me]!, 0, cap);
  }

  private dedupPhase(): void {
    const ctl = this.ctl;
    const ins = this.inserter;
    ins.begin();
    const start = Atomics.load(ctl, Ctl.Start);
    const end = Math.min(Atomics.load(ctl, Ctl.End), Atomics.load(ctl, Ctl.StopState));
    const cut = Atomics.load(ctl, Ctl.CutSeq);
    const nBlocks = Math.ceil((end - start) / BLOCK);
    const mine = this.mine;
    const fb = this.bufs.newFlags[this.me]!;
    if (fb.byteLength < cut) {
      let len = fb.byteLength;
      while (len < cut) len *= 2;
      growShared(fb, len);
      this.newFlags[this.me] = new Uint8Array(fb, 0, len);
    }
    const flags = this.newFlags[this.me]!;
    flags.fill(0, 0, cut);
    const blocks = this.blocks;
    for (let b = 0; b < nBlocks; b++) {
      const w = blocks[3 * b]!;
      const off = blocks[3 * b + 1]!;
      const cnt = blocks[3 * b + 2]!;
      const seq0 = this.stBase[b * BLOCK]!;
      const hashes = this.succHash[w]!;
      const m = Math.min(cnt, cut - seq0);
      // Touch the home slots first: independent loads overlap their cache misses (as the one-thread BFS's prefetch).
      this.sink ^= this.store.touch(hashes, off, m, mine);
      for (let j = 0; j < m; j++) {
        const h = hashes[off + j]!;
        if (mine[h & RMASK] !== 1) continue;
        if (ins.offer(this.succ, w, off + j, h, seq0 + j, this.succHi)) flags[seq0 + j] = 1;
        else if (ins.overflow) {
          Atomics.store(ctl, Ctl.Overflow, 1);
          return;
        }
      }
      if (seq0 + cnt >= cut) break;
    }
  }

  private commitPhase(): void {
    const ins = this.inserter;
    const st = this.store;
    const rt = this.rt;
    const W = rt.words;
    const count0 = st.count;
    const limit = Atomics.load(this.ctl, Ctl.NewLimit);
    const table = st.table;
    const states = st.states;
    const mask = st.mask;
    let acc = 0;
    for (let k = 0; k < ins.pending; k++) {
      // Every 32 entries, touch the next 32 slots first (their misses overlap).
      if ((k & 31) === 0) for (let j = k; j < k + 32 && j < ins.pending; j++) acc ^= table[ins.pSlot[j]!]!;
      const seq = ins.pSeq[k]!;
      const r = this.rank[seq]!;
      const slot = ins.pSlot[k]!;
      if (r >= limit) {
        table[slot] = 0;
        st.fill[(ins.pHash[k]! & RMASK) * FILL_STRIDE]!--;
        continue;
      }
      const idx = count0 + r;
      const src = this.succ[ins.pBuf[k]!]!;
      const so = ins.pOff[k]! * W;
      const o = st.offsetOf(idx);
      for (let q = 0; q < W; q++) states[o + q] = src[so + q]!;
      if (st.compact) {
        st.fps[2 * idx] = ins.pHash[k]!;
        st.fps[2 * idx + 1] = this.succHi[ins.pBuf[k]!]![ins.pOff[k]!]!;
      }
      st.parents[idx] = this.succParent[ins.pBuf[k]!]![ins.pOff[k]!]!;
      table[slot] = (ins.pHash[k]! & ~mask) | (idx + 1);
      if (this.hasInv && rt.checkInvariants(states, o) >= 0) atomicMin(this.ctl, Ctl.InvSeq, seq);
    }
    ins.pending = 0;
    this.sink ^= acc;
  }
}

/** The coordinator's sequential parts of a round (worker 0; `parallel-explore.ts`). */
export interface RoundCoordinator {
  /** After expand: successor numbering, the cut at a stopping state, growth before dedup. */
  numberSuccessors(): void;
  /** After an overflowing dedup: grow the table (the owners then rehash). */
  growForRetry(): void;
  /** After dedup: number the new states, reserve their room. */
  rankNew(): void;
  /** The table being grown from, while the owners rehash. */
  readonly growth: { from: Uint32Array; fromMask: number; fromRb: number } | null;
}
