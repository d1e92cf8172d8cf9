import { FILL_STRIDE, REGIONS, RegionInserter, SharedStore, type SharedStoreBuffers } from '../store/shared-store.ts';
import { growableShared, growShared, growSharedTo, maxBytes } from '../store/growable-shared.ts';
import type { Runtime } from '../exec/runtime.ts';
import { notDeterministic, stepName } from '../exec/determinism.ts';
import { fingerprintHigh } from '../store/fingerprints.ts';
import { q } from '../model/errors.ts';
import type { Symmetry } from '../reduce/symmetry.ts';
import type { PartialOrder } from '../reduce/por.ts';
import { NumberedProviso } from './proviso.ts';

/**
 * One worker's part of a round of the multi-core breadth-first search. A
 * round is a run of at most ROUND_STATES consecutive states of one BFS
 * level, [start, end); the workers take it through phases separated by
 * barriers, and the result is exactly what the one-thread BFS makes of the
 * same states (the same states numbered the same, the same parents, the
 * same first violation), because nothing depends on which worker did what.
 *
 * The table's regions are owned for the round (region r by worker
 * r % active), and a successor is looked up only by the owner of its
 * hash's region, so no table slot and no pending list is touched by two
 * cores:
 *
 *   expand   workers claim blocks of BLOCK states (an atomic counter) and
 *            write each block's successors (canonical under symmetry),
 *            and their hashes to their own successor buffer, and
 *            each successor's place there to the route list of its owner
 *            (one list per producer and owner); a state that fails an
 *            assertion or deadlocks lowers StopState
 *   dedup    every worker sums the successor counts in state order (so a
 *            successor's place gives its BFS sequence number, seq), then
 *            merges the route lists addressed to it in seq order and looks
 *            each successor up in its own regions: the first occurrence of
 *            a new state is entered as pending; its pending seqs, in
 *            ascending order, are published
 *   reserve* the coordinator adds up the new states, applies the state
 *            limit and makes room for them
 *   commit   each owner numbers its new states (a new state's index is the
 *            number of pending states of all owners with a smaller seq: a
 *            merge walk over the other owners' sorted lists), writes them
 *            at their final index (words, parent, table slot) and checks
 *            the invariants; the smallest violating seq wins (an atomic
 *            minimum)
 *   resolve* the coordinator decides between an invariant, the state limit
 *            and an assertion / deadlock in the order the one-thread search
 *            meets them (`parallel-explore.ts`)
 *
 * (* coordinator only.) A table that the round could fill past its load
 * bound grows before dedup (the coordinator switches to a larger table,
 * every worker refills it from its share of the committed states); a
 * region filled past its bound during dedup makes the table grow the same
 * way (the round's pending entries stay behind in the old one) and dedup
 * runs again.
 */

export const BLOCK = 64;
// Local copies: imported bindings can cost an accessor call per use in the hot loops.
const RMASK = REGIONS - 1;
/** The most states of one round (the per-round arrays are sized for it). */
export const ROUND_STATES = 1 << 15;
export const NONE = 0x7fffffff;
/** Successors looked up per batch in dedup (their home slots are read first, so that the misses overlap). */
const BATCH = 32;

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
  /** The state limit: the successor whose new state is the last one allowed, or NONE. */
  MaxSeq = 20,
  /** The state limit: room for new states this round, at least 1 (set with the round). */
  Room = 21,
  /** 1 when the coordinator made room for every successor of the round before dedup (no reserve barrier). */
  Early = 22,
  /** 1 while the rounds record the cycle search's edge cache (`EdgeBuffers`). */
  Record = 23,
  /** Edges recorded before the round: the round's successor seq is edge EdgeBase + seq. */
  EdgeBase = 24,
  /** 1 once the exploration is over and the helpers take tasks of the cycle search instead of rounds (`SharedPassPool`). */
  Passes = 25,
  /** The next task to claim, the number of tasks, their fairness (FAIRNESS index), 1 when they must stop, helpers inside them. */
  PassNext = 26,
  PassCount = 27,
  PassFairness = 28,
  PassStop = 29,
  PassBusy = 30,
}
export const CONTROL_WORDS = 64;

/** Int32 words between two workers' lines in `PendInfo` (64 bytes). */
const LINE = 16;
/** A worker's line in the shared `pendInfo` buffer. */
const enum PendInfo {
  /** New states it found in the round. */
  Count = 0,
  /** Its smallest seq whose new state violates an invariant (NONE), and that state's rank. */
  InvSeq = 1,
  InvRank = 2,
}

/** The shared buffers of one multi-core search (plain data: sent to every worker thread). */
export interface ParallelBuffers {
  readonly workers: number;
  readonly store: SharedStoreBuffers;
  readonly stCount: SharedArrayBuffer;
  /** With partial-order reduction, per state of the round: how it was expanded (`PartialOrder.expansionCode`). */
  readonly stHow: SharedArrayBuffer;
  readonly blocks: SharedArrayBuffer;
  /** Per worker: successor words and hashes. */
  readonly succ: readonly SharedArrayBuffer[];
  readonly succHash: readonly SharedArrayBuffer[];
  /** Per worker, hash-compact only: each successor's second fingerprint half. */
  readonly succHi: readonly SharedArrayBuffer[];
  /** Per (producer p, owner o) at p * workers + o: the places in p's successor buffer of the successors o owns. */
  readonly route: readonly SharedArrayBuffer[];
  /** Route list lengths, producer p's on its own line: p * routeStride + o. */
  readonly routeLen: SharedArrayBuffer;
  /** Per block b of the round and owner o, at b * workers + o: where the block's entries start in its producer's route list for o, and how many there are. */
  readonly blockRoute: SharedArrayBuffer;
  /** Per worker: the seqs of its new states, ascending. */
  readonly pend: readonly SharedArrayBuffer[];
  /** Per worker, a line of `PendInfo` words. */
  readonly pendInfo: SharedArrayBuffer;
  /** Coverage marks of the helpers (fired steps, then reached labels), or'ed in at the end. */
  readonly coverage: SharedArrayBuffer;
  /** The cycle search's edge cache, while the rounds record it. */
  readonly edges: EdgeBuffers;
  /** The outcome of each task of the cycle search (Int32, `PASS_PENDING`...): the livelock pass, the states on cycles, a starvation pass per thread. */
  readonly passes: SharedArrayBuffer;
  /** The states on cycles, that the starvation passes search (a byte per state, `PassPool.shareRegion`). */
  readonly region: SharedArrayBuffer;
  /** Per worker, while edges are recorded: each successor's thread << 1 | progress (Uint16). */
  readonly succMeta: readonly SharedArrayBuffer[];
  /** Milliseconds per worker and phase (`PHASES`), when measured (`phaseTimes`). */
  readonly phaseMs: SharedArrayBuffer | null;
}

/**
 * The edge cache of the livelock search (`EdgeCache`) on shared buffers:
 * per state its first edge and count (written by the coordinator after each
 * round), per edge the successor's index (`to`, Int32) and thread << 1 |
 * progress (`meta`, Uint16), written by the successor's owner in dedup, at
 * EdgeBase + seq. A successor that is new in the round is entered as
 * -(k + 1), k its place in the owner's pending list, until commit knows its
 * index.
 */
export interface EdgeBuffers {
  readonly first: SharedArrayBuffer;
  readonly count: SharedArrayBuffer;
  readonly to: SharedArrayBuffer;
  readonly meta: SharedArrayBuffer;
}

/** The largest edge buffer (a growable SharedArrayBuffer's limit): fewer edges than MAX_CACHED_EDGES. */
const MAX_EDGE_BYTES = 2 ** 32 - 2 ** 16;


/** The phases of a round as `phaseTimes` reports them (a wait is the time at the barrier after the phase). */
export const PHASES = ['expand', 'expand wait', 'grow', 'dedup', 'dedup wait', 'reserve wait', 'commit', 'commit wait'] as const;

const MAX_SUCC_BYTES = 2 ** 31;

/** Int32 words per producer in `routeLen`: whole cache lines. */
function routeStride(workers: number): number {
  return LINE * Math.ceil(workers / LINE);
}

export function parallelBuffers(words: number, workers: number, store: SharedStoreBuffers, coverageBytes: number, timed = false, threads = 0): ParallelBuffers {
  const grow = (bytes: number) => growableShared(bytes, MAX_SUCC_BYTES);
  const per = (n: number, f: () => SharedArrayBuffer) => Array.from({ length: n }, f);
  return {
    workers,
    store,
    stCount: new SharedArrayBuffer(4 * ROUND_STATES),
    stHow: new SharedArrayBuffer(4 * ROUND_STATES),
    blocks: new SharedArrayBuffer(4 * 3 * (ROUND_STATES / BLOCK)),
    succ: per(workers, () => grow(4 * 1024 * words)),
    succHash: per(workers, () => grow(4 * 1024)),
    succHi: per(workers, () => grow(4 * 1024)),
    route: per(workers * workers, () => grow(4 * 256)),
    routeLen: new SharedArrayBuffer(4 * workers * routeStride(workers)),
    blockRoute: new SharedArrayBuffer(4 * 2 * workers * (ROUND_STATES / BLOCK)),
    pend: per(workers, () => grow(4 * 1024)),
    pendInfo: new SharedArrayBuffer(4 * LINE * workers),
    coverage: new SharedArrayBuffer(Math.max(1, coverageBytes)),
    edges: { first: growableShared(4096, MAX_EDGE_BYTES), count: growableShared(4096, MAX_EDGE_BYTES), to: growableShared(4096, MAX_EDGE_BYTES), meta: growableShared(4096, MAX_EDGE_BYTES) },
    succMeta: per(workers, () => grow(2 * 1024)),
    passes: new SharedArrayBuffer(4 * (threads + 2)),
    region: growableShared(4096, MAX_EDGE_BYTES),
    phaseMs: timed ? new SharedArrayBuffer(8 * PHASES.length * workers) : null,
  };
}

/** Milliseconds per worker (rows) and phase (columns, `PHASES`), or null when not measured. */
export function phaseTimes(b: ParallelBuffers): number[][] | null {
  if (b.phaseMs === null) return null;
  const a = new Float64Array(b.phaseMs);
  return Array.from({ length: b.workers }, (_, w) => Array.from(a.subarray(w * PHASES.length, (w + 1) * PHASES.length)));
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

function grownI32(a: Int32Array, n: number): Int32Array {
  const b = new Int32Array(n);
  b.set(a);
  return b;
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
  readonly stHow: Int32Array;
  /** The round's successor numbering, computed by every worker for itself: the seq of the first successor of state start + i. */
  readonly stBase = new Int32Array(ROUND_STATES + 1);
  readonly blocks: Int32Array;
  succ: Uint32Array[];
  succHash: Int32Array[];
  succHi: Int32Array[];
  route: Int32Array[];
  pend: Int32Array[];
  readonly routeLen: Int32Array;
  private readonly blockRoute: Int32Array;
  readonly pendInfo: Int32Array;
  private readonly routeStride: number;
  /** Owner of each region this round. */
  private readonly owner = new Int32Array(REGIONS);
  private readonly mine = new Uint8Array(REGIONS);
  /** This worker's route list lengths while it expands. */
  private readonly myRouteLen: Int32Array;
  private readonly deadlockOn: boolean;
  private readonly hasInv: boolean;
  private len = 0;
  private checks = 0;
  /** Keeps prefetch loads observable. */
  sink = 0;
  /** Whether this round records edges (Ctl.Record, read at its start), and the views it writes them through. */
  private recording = false;
  succMeta: Uint16Array[] = [];
  private edgeTo: Int32Array = new Int32Array(0);
  private edgeMeta: Uint16Array = new Uint16Array(0);
  /** The edges this owner entered as pending in dedup (resolved in commit), and its pending states' indices. */
  private pendEdges: Int32Array = new Int32Array(1024);
  private nPendEdges = 0;
  private pendIdx: Int32Array = new Int32Array(1024);
  /** This worker's row of phase times (null: not measured; the clock is read per phase, never per state). */
  private times: Float64Array | null = null;
  private lapAt = 0;
  /** Dedup's batch of hashes (their home slots are read first). */
  private readonly bH = new Int32Array(BATCH);
  private readonly others: Int32Array;
  /** With partial-order reduction: the cycle proviso over the store as the round found it, and the kept successors of a block (`stage`). */
  private readonly proviso: NumberedProviso | null;
  private readonly verifyFootprints: boolean;
  private stage = new Uint32Array(256);

  constructor(
    public me: number,
    readonly rt: Runtime,
    readonly sym: Symmetry | null,
    readonly bufs: ParallelBuffers,
    deadlock: boolean,
    readonly por: PartialOrder | null = null,
  ) {
    this.store = new SharedStore(bufs.store, (b, o) => rt.hash(b, o));
    this.ctl = this.store.ctl;
    this.inserter = new RegionInserter(this.store);
    this.stCount = new Int32Array(bufs.stCount);
    this.stHow = new Int32Array(bufs.stHow);
    this.proviso = por !== null ? new NumberedProviso(this.store, por.sets.gBase, sym, rt.words) : null;
    this.verifyFootprints = por !== null && por.hasDeclared;
    this.blocks = new Int32Array(bufs.blocks);
    this.routeLen = new Int32Array(bufs.routeLen);
    this.blockRoute = new Int32Array(bufs.blockRoute);
    this.pendInfo = new Int32Array(bufs.pendInfo);
    this.routeStride = routeStride(bufs.workers);
    const N = bufs.workers;
    this.myRouteLen = new Int32Array(N);
    this.others = new Int32Array(N);
    this.succ = [];
    this.succHash = [];
    this.succHi = [];
    this.route = [];
    this.pend = [];
    this.deadlockOn = deadlock;
    this.hasInv = rt.model.invariants.length > 0;
    this.refresh();
  }

  /** Add the time since the last lap to phase i (when measured). */
  private lap(i: number): void {
    if (this.times === null) return;
    const now = performance.now();
    this.times[i] += now - this.lapAt;
    this.lapAt = now;
  }

  /** Re-map every buffer another worker may have grown, and the store (after each barrier). */
  refresh(): void {
    this.store.refresh();
    this.refreshBuffers();
  }

  /** Re-map the successor, route and pending buffers (not the store). */
  private refreshBuffers(): void {
    const b = this.bufs;
    const view = <T extends Int32Array | Uint32Array | Uint16Array>(v: T | undefined, buf: SharedArrayBuffer, make: (buf: SharedArrayBuffer) => T): T => (v !== undefined && v.byteLength === buf.byteLength ? v : make(buf));
    const i32 = (buf: SharedArrayBuffer) => new Int32Array(buf, 0, buf.byteLength >>> 2);
    for (let w = 0; w < b.workers; w++) {
      this.succ[w] = view(this.succ[w], b.succ[w]!, (buf) => new Uint32Array(buf, 0, buf.byteLength >>> 2));
      this.succHash[w] = view(this.succHash[w], b.succHash[w]!, i32);
      this.succHi[w] = view(this.succHi[w], b.succHi[w]!, i32);
      this.pend[w] = view(this.pend[w], b.pend[w]!, i32);
      this.succMeta[w] = view(this.succMeta[w], b.succMeta[w]!, (buf) => new Uint16Array(buf, 0, buf.byteLength >>> 1));
    }
    for (let k = 0; k < b.route.length; k++) this.route[k] = view(this.route[k], b.route[k]!, i32);
  }

  /**
   * The phases of one round, as a generator that yields at each barrier:
   * the thread driver waits at a real barrier on every yield, the lockstep
   * driver (tests) advances all workers to their next yield in turn. The
   * coordinator's sequential parts run in worker 0 through `coord`.
   */
  *round(active: number, coord: RoundCoordinator | null): Generator<void, void, void> {
    for (let r = 0; r < REGIONS; r++) {
      this.owner[r] = r % active;
      this.mine[r] = r % active === this.me ? 1 : 0;
    }
    this.recording = Atomics.load(this.ctl, Ctl.Record) === 1;
    const pm = this.bufs.phaseMs;
    if (pm !== null && this.times === null) this.times = new Float64Array(pm, 8 * PHASES.length * this.me, PHASES.length);
    if (this.times !== null) this.lapAt = performance.now();
    this.expandPhase(active);
    this.lap(0);
    yield;
    this.lap(1);
    // The store is not re-mapped here: the growth decision below reads the table as the round found it, in every worker alike, while the coordinator may already be switching tables.
    this.refreshBuffers();
    const cut = this.numberSuccessors(coord);
    if (this.store.needsGrowth(cut)) {
      if (coord) coord.growBeforeDedup(cut);
      yield;
      this.refresh();
      this.store.rehashPart(this.me, active);
      yield;
      this.refresh();
      this.lap(2);
    }
    if (coord) coord.reserveEarly(cut);
    for (;;) {
      this.dedupPhase(cut);
      this.lap(3);
      yield;
      this.lap(4);
      this.refresh();
      if (Atomics.load(this.ctl, Ctl.Overflow) === 0) break;
      // Every worker has read Overflow before the coordinator clears it. (The pending entries go with the old table: the larger one is filled from the committed states.)
      yield;
      if (coord) coord.growForRetry();
      yield;
      this.refresh();
      this.store.rehashPart(this.me, active);
      yield;
      this.refresh();
      this.lap(2);
    }
    // Room for the new states: made before dedup when the buffers could take every successor (every worker then applies the state limit itself), else now, exactly, behind a barrier.
    let limit: number;
    let room: number;
    if (Atomics.load(this.ctl, Ctl.Early) === 1) {
      room = Atomics.load(this.ctl, Ctl.Room);
      limit = Math.min(this.newStates(active), room);
      if (coord) coord.settle(limit);
    } else {
      if (coord) coord.reserveNew();
      yield;
      this.refresh();
      limit = Atomics.load(this.ctl, Ctl.NewLimit);
      room = Atomics.load(this.ctl, Ctl.Room);
    }
    this.lap(5);
    this.commitPhase(active, limit, room);
    this.lap(6);
    yield;
    this.lap(7);
    this.refresh();
  }

  /**
   * Successor numbering: stBase[i] is the seq of the first successor of
   * state start + i, up to the stopping state; returns the cut (successors
   * of states from the stopping state on do not count). Every worker
   * computes it from the shared successor counts; the coordinator publishes
   * the cut.
   */
  private numberSuccessors(coord: RoundCoordinator | null): number {
    const ctl = this.ctl;
    const start = Atomics.load(ctl, Ctl.Start);
    const last = Math.min(Atomics.load(ctl, Ctl.End), Atomics.load(ctl, Ctl.StopState));
    const base = this.stBase;
    const cnt = this.stCount;
    base[0] = 0;
    for (let i = 0; i < last - start; i++) base[i + 1] = base[i]! + cnt[i]!;
    const cut = base[last - start]!;
    if (coord) Atomics.store(ctl, Ctl.CutSeq, cut);
    return cut;
  }

  private expandPhase(active: number): void {
    const ctl = this.ctl;
    const rt = this.rt;
    const W = rt.words;
    const st = this.store;
    const start = Atomics.load(ctl, Ctl.Start);
    const end = Atomics.load(ctl, Ctl.End);
    const nBlocks = Math.ceil((end - start) / BLOCK);
    const sym = this.sym;
    const owner = this.owner;
    const N = this.bufs.workers;
    const rlen = this.myRouteLen;
    const por = this.por;
    rlen.fill(0);
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
        let n = por === null ? rt.expand(st.states, off, -1, total) : this.expandReduced(s, off, s - start, total);
        if (n < 0 || (n === 0 && this.deadlockOn && !rt.allEnded(st.states, off))) {
          atomicMin(ctl, Ctl.StopState, s);
          break;
        }
        if (por !== null) n = this.kept;
        this.stCount[s - start] = n;
        total += n;
      }
      this.ensureSucc(this.len + total);
      this.ensureRoutes(active, total);
      const words = this.succ[this.me]!;
      const hashes = this.succHash[this.me]!;
      const routes = this.route;
      const rbase = this.me * N;
      // With POR the kept successors of each state were gathered in the stage.
      const succ = por === null ? rt.succ : this.stage;
      const base = this.len;
      const br = this.blockRoute;
      for (let o = 0; o < active; o++) br[2 * (b * N + o)] = rlen[o]!;
      for (let i = 0; i < total; i++) {
        if (sym !== null) sym.canonicalize(succ, i * W);
        const h = rt.hash(succ, i * W);
        hashes[base + i] = h;
        const o = owner[h & RMASK]!;
        routes[rbase + o]![rlen[o]!++] = base + i;
      }
      if (st.compact) {
        const his = this.succHi[this.me]!;
        for (let i = 0; i < total; i++) his[base + i] = fingerprintHigh(succ, i * W, W);
      }
      words.set(succ.subarray(0, total * W), base * W);
      if (this.recording) {
        const sm = this.succMeta[this.me]!;
        const th = rt.succThread;
        const pr = rt.succProgress;
        for (let i = 0; i < total; i++) sm[base + i] = (th[i]! << 1) | pr[i]!;
      }
      for (let o = 0; o < active; o++) br[2 * (b * N + o) + 1] = rlen[o]! - br[2 * (b * N + o)]!;
      this.blocks[3 * b] = this.me;
      this.blocks[3 * b + 1] = base;
      this.blocks[3 * b + 2] = total;
      this.len += total;
    }
    const rs = this.me * this.routeStride;
    for (let o = 0; o < active; o++) this.routeLen[rs + o] = rlen[o]!;
  }

  /** Successors kept by the last `expandReduced`. */
  private kept = 0;

  /**
   * Partial-order reduction at stored state s (the i-th of the round): all
   * successors, then the stubborn set the one-thread BFS takes there, whose
   * successors go to the stage from successor `total` on (`kept` of them);
   * how s was expanded goes to stHow[i]. Returns the number of enabled
   * transitions (-1: an assertion failed), for the deadlock check. The
   * proviso is decided by the store as the round found it: a successor
   * stored before the round has its final number, and one that is not gets
   * a number after every state of the round, so the set is the one-thread
   * search's, whichever worker expands s.
   */
  private expandReduced(s: number, off: number, i: number, total: number): number {
    const rt = this.rt;
    const por = this.por!;
    const states = this.store.states;
    if (this.verifyFootprints) por.verify(rt, states, off);
    const n = rt.expand(states, off);
    this.kept = 0;
    if (n <= 0) {
      this.stHow[i] = 1;
      return n;
    }
    const k = this.proviso!.ample(por, s, rt, states, off, n);
    this.stHow[i] = por.expansionCode(k === n);
    const W = rt.words;
    if (this.stage.length < (total + k) * W) {
      const g = new Uint32Array(Math.max(this.stage.length * 2, (total + k) * W));
      g.set(this.stage);
      this.stage = g;
    }
    this.stage.set(rt.succ.subarray(0, k * W), total * W);
    this.kept = k;
    return n;
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
    let n = rt.expand(st.states, st.offsetOf(s));
    if (n < 0) throw notDeterministic(rt, `in search worker ${this.me}, ${stepName(rt, rt.failThread, rt.failStep)} fails assertion ${q(rt.failProperty)} in stored state ${s}, which another worker expanded without that failure`);
    // With POR only the stubborn set's successors were stored: the same set again (its proviso reads only states numbered up to s, all stored before s was expanded).
    if (this.por !== null && n > 1) {
      n = this.proviso!.ample(this.por, s, rt, st.states, st.offsetOf(s), n);
    }
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
    growShared(b.succMeta[me]!, cap * 2);
    this.succMeta[me] = new Uint16Array(b.succMeta[me]!, 0, cap);
    if (this.store.compact) {
      growShared(b.succHi[me]!, cap * 4);
      this.succHi[me] = new Int32Array(b.succHi[me]!, 0, cap);
    }
    this.succ[me] = new Uint32Array(b.succ[me]!, 0, cap * W);
    this.succHash[me] = new Int32Array(b.succHash[me]!, 0, cap);
  }

  /** Room for `more` entries in each of this producer's route lists. */
  private ensureRoutes(active: number, more: number): void {
    const rbase = this.me * this.bufs.workers;
    for (let o = 0; o < active; o++) {
      const need = this.myRouteLen[o]! + more;
      const r = this.route[rbase + o]!;
      if (need <= r.length) continue;
      let cap = r.length;
      while (cap < need) cap *= 2;
      const buf = this.bufs.route[rbase + o]!;
      if (cap * 4 > maxBytes(buf)) throw new RangeError('route list cannot grow further');
      growShared(buf, cap * 4);
      this.route[rbase + o] = new Int32Array(buf, 0, cap);
    }
  }

  private dedupPhase(cut: number): void {
    const ctl = this.ctl;
    const ins = this.inserter;
    ins.begin();
    const start = Atomics.load(ctl, Ctl.Start);
    const last = Math.min(Atomics.load(ctl, Ctl.End), Atomics.load(ctl, Ctl.StopState));
    const nBlocks = Math.ceil((last - start) / BLOCK);
    const N = this.bufs.workers;
    const me = this.me;
    const blocks = this.blocks;
    const br = this.blockRoute;
    const bH = this.bH;
    // Recording edges: each successor's edge is EdgeBase + seq.
    const rec = this.recording;
    const e0 = rec ? Atomics.load(ctl, Ctl.EdgeBase) : 0;
    if (rec) this.edgeRoom(e0 + cut);
    const eTo = this.edgeTo;
    const eMeta = this.edgeMeta;
    const count = this.store.count;
    const mask = this.store.mask;
    this.nPendEdges = 0;
    // Block by block in order: seqs ascend with the block, and within a block with the place in its producer's buffer.
    done: for (let b = 0; b < nBlocks; b++) {
      const p = blocks[3 * b]!;
      // seq of the successor at place pos of the block: its first seq plus its place in the block.
      const seq0 = this.stBase[b * BLOCK]! - blocks[3 * b + 1]!;
      const list = this.route[p * N + me]!;
      const hashes = this.succHash[p]!;
      const from = br[2 * (b * N + me)]!;
      const to = from + br[2 * (b * N + me) + 1]!;
      for (let i = from; i < to; i += BATCH) {
        const m = Math.min(BATCH, to - i);
        for (let j = 0; j < m; j++) bH[j] = hashes[list[i + j]!]!;
        // Touch the home slots first: independent loads overlap their cache misses (as the one-thread BFS's prefetch).
        this.sink ^= this.store.touch(bH, m);
        for (let j = 0; j < m; j++) {
          const pos = list[i + j]!;
          const seq = seq0 + pos;
          if (seq >= cut) break done;
          const fresh = ins.offer(this.succ, p, pos, bH[j]!, seq, this.succHi);
          if (!fresh && ins.overflow) {
            Atomics.store(ctl, Ctl.Overflow, 1);
            return;
          }
          if (rec) {
            const e = e0 + seq;
            eMeta[e] = this.succMeta[p]![pos]!;
            const x = ins.found;
            if (!fresh && x <= count) eTo[e] = x - 1;
            else {
              // New in the round: the owner's pending state k, numbered in commit.
              eTo[e] = fresh ? -ins.pending : -(mask - x + 1);
              if (this.nPendEdges === this.pendEdges.length) this.pendEdges = grownI32(this.pendEdges, this.nPendEdges * 2);
              this.pendEdges[this.nPendEdges++] = e;
            }
          }
        }
      }
    }
    // Publish the pending seqs (ascending: they were offered in seq order).
    const n = ins.pending;
    const buf = this.bufs.pend[this.me]!;
    if (buf.byteLength < 4 * n) {
      let len = buf.byteLength;
      while (len < 4 * n) len *= 2;
      growShared(buf, len);
      this.pend[this.me] = new Int32Array(buf, 0, len >>> 2);
    }
    this.pend[this.me]!.set(ins.pSeq.subarray(0, n));
    this.pendInfo[this.me * LINE + PendInfo.Count] = n;
  }

  /** Owners write their new states of rank below `limit`; the one of rank room - 1 is where the state limit is met. */
  private commitPhase(active: number, limit: number, room: number): void {
    const ins = this.inserter;
    const st = this.store;
    const rt = this.rt;
    const W = rt.words;
    const count0 = st.count;
    const table = st.table;
    const states = st.states;
    const mask = st.mask;
    const info = this.pendInfo;
    info[this.me * LINE + PendInfo.InvSeq] = NONE;
    // Merge walk: others[o] counts owner o's pending seqs below the current one.
    const others = this.others;
    others.fill(0);
    let acc = 0;
    // A new state's parent is the state whose successors hold its seq (seqs ascend, so the walk over stBase goes one way).
    const start = Atomics.load(this.ctl, Ctl.Start);
    const base = this.stBase;
    let sp = 0;
    for (let k = 0; k < ins.pending; k++) {
      // Every 32 entries, touch the next 32 slots first (their misses overlap).
      if ((k & 31) === 0) for (let j = k; j < k + 32 && j < ins.pending; j++) acc ^= table[ins.pSlot[j]!]!;
      const seq = ins.pSeq[k]!;
      let r = k;
      for (let o = 0; o < active; o++) {
        if (o === this.me) continue;
        const list = this.pend[o]!;
        const n = info[o * LINE + PendInfo.Count]!;
        let i = others[o]!;
        while (i < n && list[i]! < seq) i++;
        others[o] = i;
        r += i;
      }
      const slot = ins.pSlot[k]!;
      if (this.recording) {
        if (k === this.pendIdx.length) this.pendIdx = grownI32(this.pendIdx, k * 2);
        this.pendIdx[k] = r >= limit ? -1 : count0 + r;
      }
      if (r >= limit) {
        table[slot] = 0;
        st.fill[(ins.pHash[k]! & RMASK) * FILL_STRIDE]!--;
        continue;
      }
      if (r === room - 1) Atomics.store(this.ctl, Ctl.MaxSeq, seq);
      const idx = count0 + r;
      const src = this.succ[ins.pBuf[k]!]!;
      const so = ins.pOff[k]! * W;
      const o = st.offsetOf(idx);
      for (let q = 0; q < W; q++) states[o + q] = src[so + q]!;
      if (st.compact) {
        st.fps[2 * idx] = ins.pHash[k]!;
        st.fps[2 * idx + 1] = this.succHi[ins.pBuf[k]!]![ins.pOff[k]!]!;
      }
      while (base[sp + 1]! <= seq) sp++;
      st.parents[idx] = start + sp;
      table[slot] = (ins.pHash[k]! & ~mask) | (idx + 1);
      if (this.hasInv && info[this.me * LINE + PendInfo.InvSeq] === NONE && rt.checkInvariants(states, o) >= 0) {
        info[this.me * LINE + PendInfo.InvSeq] = seq;
        info[this.me * LINE + PendInfo.InvRank] = r;
        atomicMin(this.ctl, Ctl.InvSeq, seq);
      }
    }
    if (this.recording) {
      // The edges to this owner's new states, now that they have indices.
      const eTo = this.edgeTo;
      const pe = this.pendEdges;
      const pi = this.pendIdx;
      for (let j = 0; j < this.nPendEdges; j++) eTo[pe[j]!] = pi[-eTo[pe[j]!]! - 1]!;
      this.nPendEdges = 0;
    }
    ins.pending = 0;
    this.sink ^= acc;
  }

  /** Room for edges [0, n) in the shared edge buffers (any owner may grow them), and views that cover it. */
  private edgeRoom(n: number): void {
    const eb = this.bufs.edges;
    if (this.edgeTo.length < n) {
      if (!growSharedTo(eb.to, 4 * n)) throw new RangeError('edge buffer cannot grow further');
      this.edgeTo = new Int32Array(eb.to, 0, eb.to.byteLength >>> 2);
    }
    if (this.edgeMeta.length < n) {
      if (!growSharedTo(eb.meta, 2 * n)) throw new RangeError('edge buffer cannot grow further');
      this.edgeMeta = new Uint16Array(eb.meta, 0, eb.meta.byteLength >>> 1);
    }
  }

  /** New states found by the round (after dedup, every worker's). */
  newStates(active: number): number {
    let n = 0;
    for (let w = 0; w < active; w++) n += this.pendInfo[w * LINE + PendInfo.Count]!;
    return n;
  }

  /** The rank (index after the round's first) of the new state of seq `invSeq`, the smallest violating one (after commit). */
  rankOfViolation(active: number, invSeq: number): number {
    for (let w = 0; w < active; w++) if (this.pendInfo[w * LINE + PendInfo.InvSeq] === invSeq) return this.pendInfo[w * LINE + PendInfo.InvRank]!;
    throw new Error('internal: no worker holds the violating state');
  }
}

/** The coordinator's sequential parts of a round (worker 0; `parallel-explore.ts`). */
export interface RoundCoordinator {
  /** After expand, when the round could fill the table past its bound (`cut` successors): switch to a larger table (the owners then refill it). */
  growBeforeDedup(cut: number): void;
  /** After an overflowing dedup: grow the table (the owners then refill it). */
  growForRetry(): void;
  /** Before dedup: try to make room for every successor of the round (`cut`) and say so in Ctl.Early (the others read it after dedup). */
  reserveEarly(cut: number): void;
  /** After dedup, when room was made early: the round commits `limit` new states. */
  settle(limit: number): void;
  /** After dedup, when it was not: apply the state limit to the new states, reserve their room (a barrier follows). */
  reserveNew(): void;
}
