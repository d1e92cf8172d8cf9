import { MAX_LOAD, placeShared, shareOf, SharedStore, type SharedStoreBuffers } from '../store/shared-store.ts';
import { growableShared, growSharedTo } from '../store/growable-shared.ts';
import { grown, Growable } from '../store/growable.ts';
import type { Runtime } from '../exec/runtime.ts';
import { INVARIANT_RULE, notDeterministic, stepName } from '../exec/determinism.ts';
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
 *   expand   workers claim blocks of Ctl.Block states, expand them and
 *            insert each successor (canonical under symmetry) into the
 *            shared table at once: a state not in it is
 *            written under a pending id g (ids are claimed CHUNK at a time)
 *            and its slot is claimed with a compare-and-swap: exact, to the
 *            store's record `records + g`, which stays its place (slot
 *            `tag | records + g + 1`); hash-compact, to the round's pending
 *            buffers (slot `tag | mask - g`); a successor that finds
 *            a pending state lowers that state's key (an atomic minimum) to
 *            its own place, block << KEY_BITS | i, so that after the phase
 *            each pending state holds its first occurrence in BFS order;
 *            a state that fails an assertion or deadlocks lowers StopState.
 *            The round's blocks are cut into one run per worker (`segments`):
 *            a worker claims the blocks of its own run in order, then those
 *            of the others' runs from their ends, so that each worker's
 *            blocks are mostly consecutive states. A successor found again
 *            is mostly one of a neighbouring state, so it is then mostly
 *            the finder's own pending state, whose record is in its own
 *            core's cache (peterson(5), one worker: 2.5 M of its 12.1 M
 *            finds of a stored state were the other's pending states with
 *            blocks dealt out in turn, 0.33 M of 11.5 M in runs).
 *            Before it inserts a block, a worker reserves table room for all
 *            of its successors; a reservation past the table's load bound
 *            stops the phase, the table grows (the workers empty it, then
 *            refill it with the committed and the pending states) and the
 *            phase goes on where it stopped.
 *   number   every worker sums the successor counts in state order (so a
 *            successor's place gives its BFS sequence number, seq), and
 *            marks each of its pending states at the seq of its first
 *            occurrence (`newAt`); states first reached from beyond a
 *            stopping state are dropped
 *   reserve* the coordinator adds up the new states, applies the state
 *            limit and makes room for them
 *   commit   the seqs are split into one range per worker; a new state's
 *            index is the number of marks before its seq, and the worker
 *            whose range holds it numbers it (exact: the number into its
 *            record, the record into the store's map; hash-compact: words
 *            to the ring, fingerprint, table slot), writes its parent and
 *            checks the invariants; the smallest violating seq wins (an
 *            atomic minimum)
 *   resolve* the coordinator decides between an invariant, the state limit
 *            and an assertion / deadlock in the order the one-thread search
 *            meets them (`parallel-explore.ts`)
 *
 * (* coordinator only.)
 */

/** States per block (the law tests take fewer, so that a round of a few states has several blocks). */
export const BLOCK = 128;
/** The most states of one round (the per-round arrays are sized for it). */
export const ROUND_STATES = 1 << 15;
export const NONE = 0x7fffffff;
/** Successors looked up per batch (their home slots are read first, so that the misses overlap). */
const BATCH = 32;
/** A pending state's key: its block (below MAX_BLOCKS) << KEY_BITS | its place among the block's successors. */
const KEY_BITS = 22;
const KEY_BLOCK = 1 << KEY_BITS;
/** The most blocks of a round (keys stay below 2^31). */
export const MAX_BLOCKS = 1 << (31 - KEY_BITS);
/** Pending ids a worker claims at a time. */
const CHUNK = 64;
/**
 * What a round yields between two blocks of its expand phase when its
 * worker takes turns (`RoundWorker.turns`, the lockstep driver of the law
 * tests): not a barrier, a point where the driver may run another worker.
 */
export const TURN = 1;

/** Control words of the search (after the store's). */
/** (The first is STORE_WORDS: the store's words come first.) */
export const enum Ctl {
  Gen = 5,
  Quit = 6,
  Active = 7,
  Joined = 8,
  Done = 9,
  Abort = 10,
  BarCount = 11,
  BarGen = 12,
  Start = 13,
  End = 14,
  /** States per block (BLOCK but in tests). */
  Block = 15,
  StopState = 16,
  CutSeq = 17,
  NewLimit = 18,
  InvSeq = 19,
  /** 1 when a worker's reservation passed the table's bound: the table grows before the expand phase goes on. */
  Overflow = 20,
  /** The state limit: the successor whose new state is the last one allowed, or NONE. */
  MaxSeq = 21,
  /** The state limit: room for new states this round, at least 1 (set with the round). */
  Room = 22,
  /** 1 when the coordinator made room for every successor of the round before commit (no reserve barrier). */
  Early = 23,
  /** 1 while the rounds record the cycle search's edge cache (`EdgeBuffers`). */
  Record = 24,
  /** Edges recorded before the round: the round's successor seq is edge EdgeBase + seq. */
  EdgeBase = 25,
  /** 1 once the exploration is over and the helpers take tasks of the cycle search instead of rounds (`SharedPassPool`). */
  Passes = 26,
  /** The next task to claim, the number of tasks, their fairness (FAIRNESS index), 1 when they must stop, helpers inside them. */
  PassNext = 27,
  PassCount = 28,
  PassFairness = 29,
  PassStop = 30,
  PassBusy = 31,
  /** 1 when the exact store's records could not grow for a block's successors (a memory limit): the round ends, nothing of it is numbered. */
  NoRoom = 32,
  /** Each on a cache line of its own: the table room reserved by the round's blocks, the next pending id, the next state to refill. */
  Reserved = 64,
  PendNext = 80,
  /** The next state the workers refilling a grown table claim (`SharedStore.rehashClaimed`). */
  RehashNext = 96,
}
export const CONTROL_WORDS = 112;

/** Int32 words between two workers' lines in `PendInfo` and `segments` (64 bytes). */
const LINE = 16;

/**
 * Deal the blocks [0, nBlocks) of a round out in `active` runs of
 * consecutive blocks, one per worker (coordinator, before the round): run w
 * is the word at w * LINE of `segments`, its next block from the front in
 * the low 16 bits and one past its last unclaimed block in the high 16
 * (nBlocks is at most MAX_BLOCKS, below 2^16).
 */
export function dealBlocks(segments: Int32Array, nBlocks: number, active: number): void {
  for (let w = 0; w < active; w++) {
    const from = shareOf(nBlocks, w, active);
    const to = shareOf(nBlocks, w + 1, active);
    Atomics.store(segments, w * LINE, from | (to << 16));
  }
}

/**
 * Claim a block of run w: from its front (its owner) or from its back
 * (another worker); -1 when the run has none left.
 */
function claimFromRun(segments: Int32Array, w: number, front: boolean): number {
  const at = w * LINE;
  let cur = Atomics.load(segments, at);
  for (;;) {
    const lo = cur & 0xffff;
    const hi = cur >>> 16;
    if (lo >= hi) return -1;
    const next = front ? (lo + 1) | (hi << 16) : lo | ((hi - 1) << 16);
    const prev = Atomics.compareExchange(segments, at, cur, next);
    if (prev === cur) return front ? lo : hi - 1;
    cur = prev;
  }
}
/** A worker's line in the shared `pendInfo` buffer. */
const enum PendInfo {
  /** New states it marked in the round. */
  Count = 0,
  /** Its smallest seq whose new state violates an invariant (NONE), and that state's rank. */
  InvSeq = 1,
  InvRank = 2,
}

/**
 * The round's pending states, by pending id (growable: any worker grows
 * them as it claims ids). The exact store writes them to its own records
 * (`SharedStore`: pending id p is record `records + p`, its key then its
 * words); hash-compact to a record of `pendingStride(W)` words per id
 * here. Either way, a worker that finds another's pending state reads its
 * words and lowers its key on one cache line.
 */
export interface PendingBuffers {
  /** Hash-compact, per id: the first occurrence's key (-1: the id holds no state), the hash, the second fingerprint half, the table slot, then the words (`Rec`). */
  readonly records: SharedArrayBuffer;
  /** While edges are recorded: its index once committed (-1: not committed). */
  readonly idx: SharedArrayBuffer;
}

/** Fields of a pending record. */
const enum Rec {
  Key = 0,
  Hash = 1,
  Hi = 2,
  Slot = 3,
  Words = 4,
}

/** Words per pending record: the fields and the state, rounded up to a power of two up to a cache line. */
export function pendingStride(W: number): number {
  let r = 4;
  while (r < Rec.Words + W && r < 16) r *= 2;
  return Math.max(r, Rec.Words + W);
}

/** The shared buffers of one multi-core search (plain data: sent to every worker thread). */
export interface ParallelBuffers {
  readonly workers: number;
  /** The CPUs the process may run on (a round with more threads has its waiting workers sleep at once, `spins`). */
  readonly cpus: number;
  readonly store: SharedStoreBuffers;
  readonly stCount: SharedArrayBuffer;
  /** With partial-order reduction, per state of the round: how it was expanded (`PartialOrder.expansionCode`). */
  readonly stHow: SharedArrayBuffer;
  readonly pending: PendingBuffers;
  /** Per seq of the round: 1 + the pending id of the state first reached there, or 0 (zeroed again by commit). */
  readonly newAt: SharedArrayBuffer;
  /** Per (worker p, commit range w) at p * workers + w: the states p marked in w's range. */
  readonly parts: SharedArrayBuffer;
  /** Per worker, a line of `PendInfo` words. */
  readonly pendInfo: SharedArrayBuffer;
  /** Per worker, a line whose first word is its run of the round's blocks (`dealBlocks`). */
  readonly segments: SharedArrayBuffer;
  /** Coverage marks of the helpers (fired steps, then reached labels), or'ed in at the end. */
  readonly coverage: SharedArrayBuffer;
  /** The cycle search's edge cache, while the rounds record it. */
  readonly edges: EdgeBuffers;
  /** Per task of the cycle search (the livelock pass, the states on cycles, a starvation pass per thread), Int32: its outcome (`PASS_PENDING`...), then in a second and a third third the states its thread has visited and of how many, for the progress. */
  readonly passes: SharedArrayBuffer;
  /** The states on cycles, that the starvation passes search (a byte per state, `PassPool.shareRegion`). */
  readonly region: SharedArrayBuffer;
  /** Milliseconds per worker and phase (`PHASES`), when measured (`phaseTimes`). */
  readonly phaseMs: SharedArrayBuffer | null;
}

/**
 * The edge cache of the livelock search (`EdgeCache`) on shared buffers:
 * per state its first edge and count (written by the coordinator after each
 * round), per edge the successor's index (`to`, Int32) and thread << 1 |
 * progress (`meta`, Uint16), written in the number phase by the worker
 * that expanded the state, at EdgeBase + seq. A successor that is new in
 * the round is entered as -(g + 1), g its pending id, until commit knows
 * its index.
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
export const PHASES = ['expand', 'expand wait', 'grow', 'number', 'number wait', 'reserve wait', 'commit', 'commit wait'] as const;

const MAX_PENDING_BYTES = 2 ** 32 - 2 ** 16;

export function parallelBuffers(words: number, workers: number, store: SharedStoreBuffers, coverageBytes: number, timed = false, threads = 0, cpus = workers): ParallelBuffers {
  const grow = (bytes: number) => growableShared(bytes, MAX_PENDING_BYTES);
  return {
    workers,
    cpus,
    store,
    stCount: new SharedArrayBuffer(4 * ROUND_STATES),
    stHow: new SharedArrayBuffer(4 * ROUND_STATES),
    pending: { records: grow(4 * 1024 * pendingStride(words)), idx: grow(4 * 1024) },
    newAt: grow(4 * 1024),
    parts: new SharedArrayBuffer(4 * workers * workers),
    pendInfo: new SharedArrayBuffer(4 * LINE * workers),
    segments: new SharedArrayBuffer(4 * LINE * workers),
    coverage: new SharedArrayBuffer(Math.max(1, coverageBytes)),
    edges: { first: growableShared(4096, MAX_EDGE_BYTES), count: growableShared(4096, MAX_EDGE_BYTES), to: growableShared(4096, MAX_EDGE_BYTES), meta: growableShared(4096, MAX_EDGE_BYTES) },
    passes: new SharedArrayBuffer(4 * 3 * (threads + 2)),
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

export function atomicMin(a: Int32Array, i: number, v: number): void {
  let cur = Atomics.load(a, i);
  while (v < cur) {
    const prev = Atomics.compareExchange(a, i, cur, v);
    if (prev === cur) return;
    cur = prev;
  }
}

/**
 * The table's bound for a round: the committed states plus the round's
 * reserved successors may reach it. Below the load bound, and low enough
 * that a pending slot value (mask - g, g below the reserved successors
 * plus a partly used chunk per worker) stays above every committed one.
 */
export function roundBound(slots: number, workers: number): number {
  return Math.min(Math.floor(slots * MAX_LOAD), slots - 2 - CHUNK * workers);
}

/** The fewest table slots whose round bound admits n states. */
export function slotsFor(n: number, workers: number): number {
  return Math.max(Math.ceil(n / MAX_LOAD) + 1, n + 2 + CHUNK * workers);
}

export class RoundWorker {
  readonly store: SharedStore;
  readonly ctl: Int32Array;
  readonly stCount: Int32Array;
  readonly stHow: Int32Array;
  /** The round's successor numbering, computed by every worker for itself: the seq of the first successor of state start + i. */
  readonly stBase = new Int32Array(ROUND_STATES + 1);
  readonly pendInfo: Int32Array;
  readonly segments: Int32Array;
  /** Hash-compact: pending records here, numbered states copied from them to the store. Exact: pending states are the store's records from `g0` on. */
  private readonly compact: boolean;
  private readonly parts: Int32Array;
  /** This worker's new states per commit range, counted in the number phase. */
  private readonly partCounts: Int32Array;
  /** The first seq of each commit range (and the cut). */
  private readonly bounds: Int32Array;
  private readonly deadlockOn: boolean;
  private readonly hasInv: boolean;
  private checks = 0;
  /** Keeps prefetch loads observable. */
  sink = 0;
  /** Views of the pending buffers (re-made when a worker grew them) and of `newAt`. */
  /** The pending records, as Int32 (keys: atomic minimum) and Uint32 (words): pending id p at (g0 + p) * R, its words from WO on. */
  private pr: Int32Array = new Int32Array(0);
  private pu: Uint32Array = new Uint32Array(0);
  private readonly R: number;
  private readonly WO: number;
  /** Exact: the store's records before the round (pending id p is record g0 + p); hash-compact: 0. */
  private g0 = 0;
  private pIdx: Int32Array = new Int32Array(0);
  private newAt: Int32Array = new Int32Array(0);
  /** Ids every pending view covers. */
  private pCap = 0;
  /** Ids this worker can still use (its current chunk [gNext, gEnd)), an id written for a successor that turned out not new (-1: none), the chunks it claimed this round. */
  private gNext = 0;
  private gEnd = 0;
  private spare = -1;
  // Sized (as `bH`) so that their growth, a rare path that the optimized code leaves out (a bail-out when it comes), rarely comes.
  private readonly chunks = new Growable(new Int32Array(1024));
  /** A block expanded but not inserted when its reservation passed the table's bound (-1: none), and its successors. */
  private heldBlock = -1;
  private heldTotal = 0;
  /** Whether this round's expand phase began (the determinism check runs once per round). */
  private begun = false;
  /** States per block this round (Ctl.Block). */
  private block = BLOCK;
  /** The successors of the block `claimBlock` expanded last. */
  private claimed = 0;
  /** Yield TURN between claiming a block and inserting it (the lockstep driver: other workers' blocks then go in between). */
  turns = false;
  /** Whether this round records edges (Ctl.Record, read at its start), and the views it writes them through. */
  private recording = false;
  private edgeTo: Int32Array = new Int32Array(0);
  private edgeMeta: Uint16Array = new Uint16Array(0);
  /** While recording: each inserted successor's index or -(g + 1), and its meta, by place in this worker's blocks; the blocks (block, first place, successors). */
  private tTo = new Int32Array(1024);
  private tMeta = new Uint16Array(1024);
  private tLen = 0;
  private readonly myBlocks = new Growable(new Int32Array(3 * 64));
  /** The edges this worker wrote with a pending successor (resolved after commit). */
  private readonly pendEdges = new Growable(new Int32Array(1024));
  /** This worker's row of phase times (null: not measured; the clock is read per phase, never per state). */
  private times: Float64Array | null = null;
  private lapAt = 0;
  /** A block's successors' hashes (and second fingerprint halves); four per state to start with (see `chunks`). */
  private bH = new Int32Array(4 * BLOCK);
  private bHi = new Int32Array(4 * BLOCK);
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
    this.stCount = new Int32Array(bufs.stCount);
    this.stHow = new Int32Array(bufs.stHow);
    this.proviso = por !== null ? new NumberedProviso(this.store, por.sets.gBase, sym, rt.words) : null;
    this.verifyFootprints = por !== null && por.hasDeclared;
    this.pendInfo = new Int32Array(bufs.pendInfo);
    this.segments = new Int32Array(bufs.segments);
    this.parts = new Int32Array(bufs.parts);
    this.partCounts = new Int32Array(bufs.workers);
    this.bounds = new Int32Array(bufs.workers + 1);
    this.deadlockOn = deadlock;
    this.hasInv = rt.model.invariants.length > 0;
    this.compact = this.store.compact;
    this.R = this.compact ? pendingStride(rt.words) : this.store.rs;
    this.WO = this.compact ? Rec.Words : 1;
    // A block's successors go into the runtime's buffers at once (`claimBlock`): room for a block of states with up to eight successors each, before the rounds start.
    rt.reserveSuccessors(8 * BLOCK);
    this.refresh();
  }

  /** Add the time since the last lap to phase i (when measured). */
  private lap(i: number): void {
    if (this.times === null) return;
    const now = performance.now();
    this.times[i] += now - this.lapAt;
    this.lapAt = now;
  }

  /** Re-map the store and the pending buffers (after each barrier). */
  refresh(): void {
    this.store.refresh();
    this.refreshPending();
  }

  /** Re-map the pending buffers any worker may have grown. */
  private refreshPending(): void {
    const p = this.bufs.pending;
    if (!this.compact) {
      this.store.refreshStates();
      this.pr = this.store.recs;
      this.pu = this.store.states;
    } else if (this.pr.byteLength !== p.records.byteLength) {
      this.pr = new Int32Array(p.records, 0, p.records.byteLength >>> 2);
      this.pu = new Uint32Array(p.records, 0, p.records.byteLength >>> 2);
    }
    const i32 = (v: Int32Array, b: SharedArrayBuffer): Int32Array => (v.byteLength === b.byteLength ? v : new Int32Array(b, 0, b.byteLength >>> 2));
    this.pIdx = i32(this.pIdx, p.idx);
    this.newAt = i32(this.newAt, this.bufs.newAt);
    this.pCap = shareOf(this.pr.length, 1, this.R) - this.g0;
  }

  /**
   * The phases of one round, as a generator that yields at each barrier:
   * the thread driver waits at a real barrier on every yield, the lockstep
   * driver (tests) advances all workers to their next yield in turn. The
   * coordinator's sequential parts run in worker 0 through `coord`.
   */
  *round(active: number, coord: RoundCoordinator | null): Generator<number | undefined, void, void> {
    this.recording = Atomics.load(this.ctl, Ctl.Record) === 1;
    const pm = this.bufs.phaseMs;
    if (pm !== null && this.times === null) this.times = new Float64Array(pm, 8 * PHASES.length * this.me, PHASES.length);
    if (this.times !== null) this.lapAt = performance.now();
    this.begun = false;
    this.block = Atomics.load(this.ctl, Ctl.Block);
    this.gNext = this.gEnd = 0;
    this.spare = -1;
    this.chunks.n = 0;
    this.heldBlock = -1;
    this.tLen = 0;
    this.myBlocks.n = 0;
    this.pendEdges.n = 0;
    this.g0 = this.compact ? 0 : this.store.records;
    this.refreshPending();
    for (;;) {
      this.beginExpand();
      for (;;) {
        const b = this.claimBlock(active);
        if (b < 0) break;
        if (this.turns) yield TURN;
        this.insertBlock(b, this.claimed);
      }
      this.lap(0);
      yield;
      this.lap(1);
      if (Atomics.load(this.ctl, Ctl.Overflow) === 0) break;
      // Every worker has read Overflow before the coordinator clears it.
      yield;
      if (coord) coord.growForRound();
      yield;
      if (Atomics.load(this.ctl, Ctl.NoRoom) !== 0) {
        // The table could not grow: the block held back stays out, and the round commits nothing.
        if (coord) coord.grown();
        this.heldBlock = -1;
        this.lap(2);
        break;
      }
      this.refresh();
      // The new table is emptied by every worker, then refilled.
      this.store.clearPart(this.me, active);
      yield;
      this.store.rehashClaimed(Ctl.RehashNext, this.compact ? 0 : Atomics.load(this.ctl, Ctl.PendNext));
      if (this.compact) this.rehashPending(this.me, active);
      yield;
      if (coord) coord.grown();
      this.refresh();
      this.lap(2);
    }
    const cut = this.numberSuccessors(coord);
    if (coord) coord.reserveEarly(cut);
    this.numberPhase(active, cut);
    this.lap(3);
    yield;
    this.lap(4);
    this.refresh();
    // Room for the new states: made before this barrier when the buffers could take every successor (every worker then applies the state limit itself), else now, exactly, behind a barrier.
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
    if (this.compact) this.commitCompact(active, limit, room, cut);
    else this.commitExact(active, limit, room, cut);
    this.lap(6);
    yield;
    this.lap(7);
    this.refresh();
    if (this.recording) {
      // The edges to the round's new states, now that every one has its index.
      const eTo = this.edgeTo;
      const pe = this.pendEdges.a;
      const pi = this.pIdx;
      for (let j = 0; j < this.pendEdges.n; j++) eTo[pe[j]!] = pi[-eTo[pe[j]!]! - 1]!;
      this.pendEdges.n = 0;
      yield;
    }
  }

  /**
   * Successor numbering: stBase[i] is the seq of the first successor of
   * state start + i, up to the stopping state, and the cut past it; returns
   * the cut (successors of states from the stopping state on do not
   * count). Every worker computes it from the shared successor counts; the
   * coordinator publishes the cut.
   */
  private numberSuccessors(coord: RoundCoordinator | null): number {
    const ctl = this.ctl;
    const start = Atomics.load(ctl, Ctl.Start);
    const end = Atomics.load(ctl, Ctl.End);
    const last = Math.min(end, Atomics.load(ctl, Ctl.StopState));
    const base = this.stBase;
    const cnt = this.stCount;
    // (A round the table had no room for left blocks unexpanded: their counts are stale.)
    if (this.por === null && last > start && Atomics.load(ctl, Ctl.NoRoom) === 0) this.countCheck(start, last);
    base[0] = 0;
    for (let i = 0; i < last - start; i++) base[i + 1] = base[i]! + cnt[i]!;
    const cut = base[last - start]!;
    // A block past the stopping state may have been expanded (claimed before the stop was found, or another worker's run): its successors' seqs are past the cut, and dropped.
    if (last < end) base.fill(cut, last - start + 1, end - start + 1);
    if (coord) Atomics.store(ctl, Ctl.CutSeq, cut);
    return cut;
  }

  /** The start of an expand phase (again after a growth): the determinism check once per round, the block held back by the growth. */
  private beginExpand(): void {
    const start = Atomics.load(this.ctl, Ctl.Start);
    if (!this.begun) {
      this.begun = true;
      if (this.me !== 0 && start > 0) this.crossCheck(start);
    }
    if (this.heldBlock >= 0) {
      // Reserved before the table grew: it fits now.
      const b = this.heldBlock;
      this.heldBlock = -1;
      this.insertBlock(b, this.heldTotal);
    }
  }

  /**
   * Claim the next block, expand it and reserve table room for its
   * successors (`claimed` of them); returns the block, or -1 when the phase
   * is over for this worker: no block is left, a stopping state comes
   * before it, or a reservation (maybe its own: the block is then held
   * back) passed the table's bound.
   */
  private claimBlock(active: number): number {
    const ctl = this.ctl;
    const rt = this.rt;
    const st = this.store;
    const start = Atomics.load(ctl, Ctl.Start);
    const end = Atomics.load(ctl, Ctl.End);
    const B = this.block;
    const por = this.por;
    if (Atomics.load(ctl, Ctl.Overflow) !== 0 || Atomics.load(ctl, Ctl.NoRoom) !== 0) return -1;
    let first: number;
    let b: number;
    // Blocks past a stopping state are passed over (their successors would be dropped); the blocks before it are claimed by someone all the same.
    do {
      b = this.nextBlock(active);
      if (b < 0) return -1;
      first = start + b * B;
    } while (first > Atomics.load(ctl, Ctl.StopState));
    const last = Math.min(end, first + B);
    let total = 0;
    for (let s = first; s < last; s++) {
      // A plain read: a stale stopping state only costs work (the successors of states past it are numbered past the cut and dropped).
      if (s > ctl[Ctl.StopState]!) break;
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
    // Per block, one state of the next worker's run has its invariants evaluated again (see invariantsHold).
    if (this.hasInv && active > 1) {
      const span = end - start;
      const w = (this.me + 1) % active;
      const lo = Math.floor((span * w) / active);
      const hi = Math.max(lo + 1, Math.floor((span * (w + 1)) / active));
      this.invariantsHold(start + lo + ((this.checks++ * 40503 + b * 7919) % (hi - lo)));
    }
    if (total >= KEY_BLOCK) throw new RangeError(`a block of ${B} states has ${total} successors, more than the multi-core search numbers (2^${KEY_BITS})`);
    const reserved = Atomics.add(ctl, Ctl.Reserved, total) + total;
    // Exact: the records every successor reserved so far may need (each worker's last chunk partly unused), before the block goes in (a held block goes in after a growth without this check).
    if (!this.compact && !st.recordRoom(this.g0 + reserved + CHUNK * active)) {
      Atomics.store(ctl, Ctl.NoRoom, 1);
      return -1;
    }
    if (st.used() + reserved > roundBound(st.mask + 1, active)) {
      Atomics.store(ctl, Ctl.Overflow, 1);
      this.heldBlock = b;
      this.heldTotal = total;
      return -1;
    }
    this.claimed = total;
    return b;
  }

  /** The next block of this worker's run, else one from the back of another's (the next worker's first); -1 when every run is empty. */
  private nextBlock(active: number): number {
    const me = this.me;
    let b = claimFromRun(this.segments, me, true);
    for (let k = 1; b < 0 && k < active; k++) b = claimFromRun(this.segments, (me + k) % active, false);
    return b;
  }

  /** Insert the `total` successors of block b (in the runtime's successor buffer, or the stage with POR) into the table. */
  private insertBlock(b: number, total: number): void {
    const rt = this.rt;
    const W = rt.words;
    const st = this.store;
    const sym = this.sym;
    const succ = this.por === null ? rt.succ : this.stage;
    if (this.bH.length < total) {
      let n = this.bH.length;
      while (n < total) n *= 2;
      this.bH = new Int32Array(n);
      this.bHi = new Int32Array(n);
    }
    const bH = this.bH;
    const bHi = this.bHi;
    for (let i = 0; i < total; i++) {
      if (sym !== null) sym.canonicalize(succ, i * W);
      bH[i] = rt.hash(succ, i * W);
    }
    if (st.compact) for (let i = 0; i < total; i++) bHi[i] = fingerprintHigh(succ, i * W, W);
    const rec = this.recording;
    const t0 = this.tLen;
    if (rec) {
      if (this.tTo.length < t0 + total) {
        let n = this.tTo.length;
        while (n < t0 + total) n *= 2;
        this.tTo = grown(this.tTo, n);
        this.tMeta = grown(this.tMeta, n);
      }
      this.myBlocks.push(b);
      this.myBlocks.push(t0);
      this.myBlocks.push(total);
      this.tLen += total;
    }
    const key0 = b * KEY_BLOCK;
    for (let i0 = 0; i0 < total; i0 += BATCH) {
      const m = Math.min(BATCH, total - i0);
      // Touch the home slots first: independent loads overlap their cache misses (as the one-thread BFS's prefetch).
      this.sink ^= st.touch(bH, i0, m);
      for (let i = i0; i < i0 + m; i++) {
        const r = this.compact ? this.insertCompact(succ, i * W, bH[i]!, bHi[i]!, key0 + i) : this.insertExact(succ, i * W, bH[i]!, key0 + i);
        if (rec) {
          this.tTo[t0 + i] = r;
          this.tMeta[t0 + i] = (rt.succThread[i]! << 1) | rt.succProgress[i]!;
        }
      }
    }
  }

  /**
   * Hash-compact: look up the successor at src[o..] (hash h, second
   * fingerprint half hi) and enter it as pending if it is new. Returns the
   * index of a committed state, or -(g + 1) for pending state g (new, or
   * entered before in the round, whose key it lowers to `key`).
   */
  private insertCompact(src: Uint32Array, o: number, h: number, hi: number, key: number): number {
    const st = this.store;
    // Slots read as Int32 (the tag in the high bits may be negative): a Uint32 above 2^31 would not be an int32, and the optimized code that assumed one would be thrown away.
    const t = st.tableI32;
    const mask = st.mask;
    const tag = h & ~mask;
    const count = st.count;
    let g = -1;
    let i = h & mask;
    for (;;) {
      let v = t[i]!;
      if (v === 0) {
        if (g < 0) g = this.writePending(src, o, h, hi, key);
        v = Atomics.compareExchange(t, i, 0, tag | (mask - g));
        if (v === 0) {
          this.pr[g * this.R + Rec.Slot] = i;
          return -(g + 1);
        }
      }
      if ((v & ~mask) === tag) {
        const x = v & mask;
        if (x <= count) {
          if (st.fps[2 * (x - 1)] === h >>> 0 && st.fps[2 * x - 1] === hi >>> 0) {
            if (g >= 0) this.unwrite(g);
            return x - 1;
          }
        } else {
          const p = mask - x;
          if (p >= this.pCap) {
            this.refreshPending();
            if (p >= this.pCap) throw new Error(`internal: pending state ${p} beyond the pending buffer (${this.pCap})`);
          }
          const pr = this.pr;
          const po = p * this.R;
          if (pr[po + Rec.Hash] === h && pr[po + Rec.Hi] === hi) {
            // Keys only fall: a plain read that is not above `key` (stale or not) means there is nothing to lower.
            if (key < pr[po + Rec.Key]!) atomicMin(pr, po + Rec.Key, key);
            if (g >= 0) this.unwrite(g);
            return -(p + 1);
          }
        }
      }
      i = (i + 1) & mask;
    }
  }

  /**
   * The exact store's insert: as `insertCompact`, with the table's slots
   * pointing at records (`tag | record + 1`). A record before the round
   * holds its state's number; from g0 on, the round's pending states, each
   * written once to the record that stays its place. Returns the number of
   * a state numbered before, or -(p + 1) for pending id p.
   */
  private insertExact(src: Uint32Array, o: number, h: number, key: number): number {
    const st = this.store;
    // Int32 slots, as `insertCompact`.
    const t = st.tableI32;
    const mask = st.mask;
    const tag = h & ~mask;
    const R = this.R;
    const g0 = this.g0;
    let p = -1;
    let i = h & mask;
    for (;;) {
      let v = t[i]!;
      if (v === 0) {
        if (p < 0) p = this.writePending(src, o, h, 0, key);
        v = Atomics.compareExchange(t, i, 0, tag | (g0 + p + 1));
        if (v === 0) return -(p + 1);
      }
      if ((v & ~mask) === tag) {
        const po = ((v & mask) - 1) * R;
        if (po + R > this.pr.length) {
          this.refreshPending();
          if (po + R > this.pr.length) throw new Error(`internal: record ${(v & mask) - 1} beyond the records (${Math.floor(this.pr.length / R)})`);
        }
        if (st.recordHolds((v & mask) - 1, src, o)) {
          if (p >= 0) this.unwrite(p);
          const pr = this.pr;
          // Before the round: the record holds the state's number.
          if (po < g0 * R) return pr[po]!;
          // Keys only fall: a plain read that is not above `key` (stale or not) means there is nothing to lower.
          if (key < pr[po]!) atomicMin(pr, po, key);
          return -((v & mask) - g0);
        }
      }
      i = (i + 1) & mask;
    }
  }

  /** Write a successor under a pending id of this worker (before its slot is claimed, so that whoever finds the slot finds the state). */
  private writePending(src: Uint32Array, o: number, h: number, hi: number, key: number): number {
    let g = this.spare;
    // Stored whether or not there was a spare id (a store only on the rare path would be compiled as a bail-out).
    this.spare = -1;
    if (g < 0) {
      if (this.gNext === this.gEnd) this.claimChunk();
      g = this.gNext++;
    }
    const W = this.store.words;
    const po = (this.g0 + g) * this.R;
    const pu = this.pu;
    const wo = po + this.WO;
    for (let q = 0; q < W; q++) pu[wo + q] = src[o + q]!;
    const pr = this.pr;
    if (this.compact) {
      pr[po + Rec.Hash] = h;
      pr[po + Rec.Hi] = hi;
    }
    pr[po + Rec.Key] = key;
    return g;
  }

  /** Id g's state was in the table after all: it holds no state, and serves the next new one. */
  private unwrite(g: number): void {
    this.pr[(this.g0 + g) * this.R + Rec.Key] = -1;
    this.spare = g;
  }

  private claimChunk(): void {
    const g0 = Atomics.add(this.ctl, Ctl.PendNext, CHUNK);
    const n = g0 + CHUNK;
    const p = this.bufs.pending;
    // (Exact: the records were made room for when the blocks reserved their successors.)
    if (this.compact ? !growSharedTo(p.records, 4 * this.R * n) : !this.store.recordRoom(this.g0 + n)) throw new RangeError('pending-state buffer cannot grow further');
    if (this.recording && !growSharedTo(p.idx, 4 * n)) throw new RangeError('pending-state buffer cannot grow further');
    if (this.compact || this.recording || this.pr !== this.store.recs) this.refreshPending();
    for (let g = g0; g < n; g++) this.pr[(this.g0 + g) * this.R + Rec.Key] = -1;
    this.gNext = g0;
    this.gEnd = n;
    this.chunks.push(g0);
  }

  /** Enter part `part` of `parts` of the round's pending states in the table after it grew (their slots hold the new mask). */
  private rehashPending(part: number, parts: number): void {
    const st = this.store;
    const mask = st.mask;
    const n = Atomics.load(this.ctl, Ctl.PendNext);
    const from = shareOf(n, part, parts);
    const to = shareOf(n, part + 1, parts);
    const pr = this.pr;
    const R = this.R;
    for (let g = from; g < to; g++) {
      if (pr[g * R + Rec.Key]! < 0) continue;
      const h = pr[g * R + Rec.Hash]!;
      pr[g * R + Rec.Slot] = placeShared(st.tableI32, mask, h, (h & ~mask) | (mask - g));
    }
  }

  /**
   * Mark each pending state of this worker at the seq of its first
   * occurrence (dropping those first reached beyond the cut), count them per
   * commit range, and, when recording, write the edges of this worker's
   * blocks at their seqs.
   */
  private numberPhase(active: number, cut: number): void {
    const N = this.bufs.workers;
    if (!growSharedTo(this.bufs.newAt, 4 * cut)) throw new RangeError('round buffer cannot grow further');
    this.refreshPending();
    const newAt = this.newAt;
    const pr = this.pr;
    const R = this.R;
    const base = this.stBase;
    const me = this.me;
    // Counted here, written to the shared `parts` at the end (the workers' counts share a cache line).
    const mine = this.partCounts;
    mine.fill(0);
    // Commit range w holds seqs [floor(cut * w / active), floor(cut * (w + 1) / active)).
    const bounds = this.bounds;
    for (let w = 0; w <= active; w++) bounds[w] = shareOf(cut, w, active);
    let marked = 0;
    const chunks = this.chunks.a;
    const nChunks = this.chunks.n;
    for (let c = 0; c < nChunks; c++) {
      const g0 = chunks[c]!;
      const gEnd = c === nChunks - 1 ? this.gNext : g0 + CHUNK;
      for (let g = g0; g < gEnd; g++) {
        const po = (this.g0 + g) * R;
        const k = pr[po + Rec.Key]!;
        if (k < 0) continue;
        const seq = base[(k >>> KEY_BITS) * this.block]! + (k & (KEY_BLOCK - 1));
        if (seq >= cut) {
          // Reached only beyond a stopping state: not a state of the search (its record holds no number).
          pr[po + Rec.Key] = -1;
          continue;
        }
        newAt[seq] = g + 1;
        marked++;
        let w = 0;
        while (w < active - 1 && seq >= bounds[w + 1]!) w++;
        mine[w]!++;
      }
    }
    for (let w = 0; w < active; w++) this.parts[me * N + w] = mine[w]!;
    this.pendInfo[me * LINE + PendInfo.Count] = marked;
    if (!this.recording) return;
    const e0 = Atomics.load(this.ctl, Ctl.EdgeBase);
    this.edgeRoom(e0 + cut);
    const eTo = this.edgeTo;
    const eMeta = this.edgeMeta;
    const tTo = this.tTo;
    const tMeta = this.tMeta;
    const blocks = this.myBlocks.a;
    for (let j = 0; j < this.myBlocks.n; j += 3) {
      const seq0 = base[blocks[j]! * this.block]!;
      const t0 = blocks[j + 1]!;
      const total = blocks[j + 2]!;
      for (let i = 0; i < total && seq0 + i < cut; i++) {
        const e = e0 + seq0 + i;
        const v = tTo[t0 + i]!;
        eTo[e] = v;
        eMeta[e] = tMeta[t0 + i]!;
        if (v < 0) {
          this.pendEdges.push(e);
        }
      }
    }
  }

  /**
   * The exact store's commit: number the new states of this worker's commit
   * range with rank below `limit` (the one of rank room - 1 is where the
   * state limit is met). A state stays in its record: its number goes into
   * the record, the record into the store's map, and its parent is written.
   */
  private commitExact(active: number, limit: number, room: number, cut: number): void {
    const st = this.store;
    const count0 = st.count;
    const map = st.map;
    const parents = st.parents;
    const newAt = this.newAt;
    const pr = this.pr;
    const pu = this.pu;
    const R = this.R;
    const g0 = this.g0;
    const rec = this.recording;
    const pIdx = this.pIdx;
    const start = Atomics.load(this.ctl, Ctl.Start);
    const base = this.stBase;
    let r = this.beginCommit(active, cut);
    const hi = this.commitHi;
    let sp = this.commitState - start;
    for (let seq = this.commitLo; seq < hi; seq++) {
      const g1 = newAt[seq]!;
      if (g1 === 0) continue;
      newAt[seq] = 0;
      const p = g1 - 1;
      const g = g0 + p;
      if (r >= limit) {
        // Beyond the state limit (or out of room): not a state of the search.
        pr[g * R] = -1;
        if (rec) pIdx[p] = -1;
        r++;
        continue;
      }
      if (r === room - 1) Atomics.store(this.ctl, Ctl.MaxSeq, seq);
      const idx = count0 + r;
      pr[g * R] = idx;
      map[idx] = g;
      while (base[sp + 1]! <= seq) sp++;
      parents[idx] = start + sp;
      if (rec) pIdx[p] = idx;
      if (this.hasInv) this.checkNew(pu, g * R + 1, seq, r);
      r++;
    }
  }

  /** This worker's commit range of seqs, [commitLo, commitHi), and the state whose successors hold commitLo (`beginCommit`). */
  private commitLo = 0;
  private commitHi = 0;
  private commitState = 0;

  /**
   * Start the commit phase: this worker's range of seqs, and the state whose
   * successors hold its first (a new state's parent is the state whose
   * successors hold its seq; seqs ascend, so the walk over stBase from there
   * goes one way). Returns the rank of the range's first new state: the
   * marks in the ranges before it.
   */
  private beginCommit(active: number, cut: number): number {
    const N = this.bufs.workers;
    const me = this.me;
    this.pendInfo[me * LINE + PendInfo.InvSeq] = NONE;
    this.commitLo = shareOf(cut, me, active);
    this.commitHi = shareOf(cut, me + 1, active);
    this.commitState = this.stateOf(this.commitLo);
    let r = 0;
    for (let p = 0; p < active; p++) for (let w = 0; w < me; w++) r += this.parts[p * N + w]!;
    return r;
  }

  /** Check the invariants of the new state of seq `seq` and rank r (words at buf[off..]); this worker's first violating one is noted, and the round's smallest violating seq lowered. */
  private checkNew(buf: Uint32Array, off: number, seq: number, r: number): void {
    const info = this.pendInfo;
    const at = this.me * LINE;
    if (info[at + PendInfo.InvSeq] !== NONE || this.rt.checkInvariants(buf, off) < 0) return;
    info[at + PendInfo.InvSeq] = seq;
    info[at + PendInfo.InvRank] = r;
    atomicMin(this.ctl, Ctl.InvSeq, seq);
  }

  /** Hash-compact's commit: write the new states of this worker's commit range with rank below `limit` (fingerprint, parent, words to the frontier ring, table slot); the one of rank room - 1 is where the state limit is met. */
  private commitCompact(active: number, limit: number, room: number, cut: number): void {
    const st = this.store;
    const W = this.rt.words;
    const count0 = st.count;
    const table = st.table;
    const states = st.states;
    const mask = st.mask;
    const newAt = this.newAt;
    const pr = this.pr;
    const pu = this.pu;
    const R = this.R;
    const rec = this.recording;
    const pIdx = this.pIdx;
    const start = Atomics.load(this.ctl, Ctl.Start);
    const base = this.stBase;
    let r = this.beginCommit(active, cut);
    const lo = this.commitLo;
    const hi = this.commitHi;
    let sp = this.commitState - start;
    let acc = 0;
    for (let s0 = lo; s0 < hi; s0 += 512) {
      const s1 = Math.min(hi, s0 + 512);
      // Touch the slots and words of the next 64 seqs' states first (their misses overlap).
      for (let seq = s0; seq < s1; seq++) {
        const g1 = newAt[seq]!;
        if (g1 !== 0) acc ^= table[pr[(g1 - 1) * R + Rec.Slot]!]!;
      }
      for (let seq = s0; seq < s1; seq++) {
        const g1 = newAt[seq]!;
        if (g1 === 0) continue;
        newAt[seq] = 0;
        const g = g1 - 1;
        if (r >= limit) {
          if (rec) pIdx[g] = -1;
          r++;
          continue;
        }
        if (r === room - 1) Atomics.store(this.ctl, Ctl.MaxSeq, seq);
        const idx = count0 + r;
        const o = st.offsetOf(idx);
        const po = g * R;
        for (let q = 0; q < W; q++) states[o + q] = pu[po + Rec.Words + q]!;
        st.fps[2 * idx] = pr[po + Rec.Hash]!;
        st.fps[2 * idx + 1] = pr[po + Rec.Hi]!;
        while (base[sp + 1]! <= seq) sp++;
        st.parents[idx] = start + sp;
        table[pr[po + Rec.Slot]!] = (pr[po + Rec.Hash]! & ~mask) | (idx + 1);
        if (rec) pIdx[g] = idx;
        if (this.hasInv) this.checkNew(states, o, seq, r);
        r++;
      }
    }
    this.sink ^= acc;
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
   * Every worker, once the round's expansions are done, expands a few of
   * the round's states again (any worker may have expanded them: most of
   * them another, with two) and compares the number of successors with the
   * one recorded (MC160 when they differ). A step enabled in one thread and
   * not in another (a module-level variable that differs between the
   * threads' copies of the model file) changes the counts, where the
   * membership check (`crossCheck`) finds the other thread's successors
   * stored, reached from the states that thread expanded. Sixteen states
   * per worker in each of the first sixteen rounds, two in each after;
   * under POR the kept count depends on the proviso's view of the store,
   * and `crossCheck` alone runs.
   */
  private countCheck(start: number, last: number): void {
    const rt = this.rt;
    const st = this.store;
    const cnt = this.stCount;
    const span = last - start;
    const k = Math.min(span, this.countChecks < 16 ? 16 : 2);
    this.countChecks++;
    for (let j = 0; j < k; j++) {
      const i = (this.checks++ * 40503 + this.me * 7919 + j * 2654435) % span;
      const s = start + i;
      const n = rt.expand(st.states, st.offsetOf(s));
      this.invariantsHold(s);
      if (n !== cnt[i])
        throw notDeterministic(
          rt,
          n < 0
            ? `in search worker ${this.me}, ${stepName(rt, rt.failThread, rt.failStep)} fails assertion ${q(rt.failProperty)} in state ${s}, which was expanded in this round without that failure`
            : `in search worker ${this.me}, state ${s} has ${n} successor${n === 1 ? '' : 's'}, where its expansion in this round (by this worker or another: the threads each load the model file) had ${cnt[i]}`,
        );
    }
  }
  private countChecks = 0;

  /**
   * Every invariant holds in stored state s, as it did for the worker that
   * entered it (a violating state ends the search in its round): MC160
   * otherwise. Each worker evaluates the invariants of the states it
   * enters, in its own copy of the model file. A round's new states are
   * entered by the worker whose share of the successors' seqs holds their
   * first occurrence, and the next round deals them out in the same order,
   * so a worker's run is mostly the states it entered itself: for every
   * block it expands, a worker evaluates again one state of the next
   * worker's run (mostly entered by that worker), besides the states
   * `countCheck` and `crossCheck` expand again. A model whose copies
   * differ in an invariant (a module-level value set by the thread it runs
   * in) is found when the states where they differ are many; one that
   * differs in a single state entered by a helper escapes these samples,
   * and `--cross-check`, which compares with one worker, finds it.
   */
  private invariantsHold(s: number): void {
    const rt = this.rt;
    const st = this.store;
    const v = rt.evaluateInvariants(st.states, st.offsetOf(s));
    if (v >= 0)
      throw notDeterministic(
        rt,
        `in search worker ${this.me}, invariant ${q(rt.model.invariants[v]!.name)} is violated in stored state ${s}, where it held for the worker that entered it (the threads each load the model file: one whose copies differ, through module-level state or the file changed on disk during the run, shows so)`,
        INVARIANT_RULE,
      );
  }

  /**
   * Steps must be functions of the state in every thread, not only in one
   * (a model file is loaded once per thread: a module-level variable, say,
   * is one per worker). Each helper re-expands one state per round that
   * another worker may have expanded (every state before the round has
   * been), and every successor must be in the store (MC160 otherwise). The
   * sampled check inside `Runtime.expand` runs in every worker as well.
   * Hash-compact keeps the words of the last states only, in its ring: the
   * state is one of those, and it is re-expanded only when the ring's words
   * there still hash to its fingerprint (a growth of the ring keeps only the
   * frontier); its successors are found by fingerprint.
   */
  private crossCheck(start: number): void {
    const rt = this.rt;
    const W = rt.words;
    const st = this.store;
    const lo = st.compact ? Math.max(0, st.count - (st.ringMask + 1)) : 0;
    if (start <= lo) return;
    const s = lo + ((this.checks++ * 40503 + this.me * 7919) % (start - lo));
    if (st.compact && !st.matches(s, st.states, st.offsetOf(s), rt.hash(st.states, st.offsetOf(s)))) return;
    let n = rt.expand(st.states, st.offsetOf(s));
    if (n < 0) throw notDeterministic(rt, `in search worker ${this.me}, ${stepName(rt, rt.failThread, rt.failStep)} fails assertion ${q(rt.failProperty)} in stored state ${s}, which another worker expanded without that failure`);
    this.invariantsHold(s);
    // With POR only the stubborn set's successors were stored: the same set again (its proviso reads only states numbered up to s, all stored before s was expanded).
    if (this.por !== null && n > 1) {
      n = this.proviso!.ample(this.por, s, rt, st.states, st.offsetOf(s), n);
    }
    for (let i = 0; i < n; i++) {
      if (this.sym !== null) this.sym.canonicalize(rt.succ, i * W);
      if (st.find(rt.succ, i * W, rt.hash(rt.succ, i * W)) < 0)
        throw notDeterministic(rt, `in search worker ${this.me}, ${stepName(rt, rt.succThread[i]!, rt.succStep[i]!)} from stored state ${s} leads to a state that the worker which expanded it did not reach (the threads each load the model file: one whose copies differ, through module-level state or the file changed on disk during the run, shows so)`);
    }
  }

    /** Room for edges [0, n) in the shared edge buffers (any worker may grow them), and views that cover it. */
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

  /** The state (index) whose expansion produced successor seq of the round (after the expand phase). */
  stateOf(seq: number): number {
    const base = this.stBase;
    const start = Atomics.load(this.ctl, Ctl.Start);
    let lo = 0;
    let hi = Math.min(Atomics.load(this.ctl, Ctl.End), Atomics.load(this.ctl, Ctl.StopState)) - start;
    // The largest i with base[i] <= seq (states with no successors share a base).
    while (lo < hi) {
      const mid = (lo + hi + 1) >>> 1;
      if (base[mid]! <= seq) lo = mid;
      else hi = mid - 1;
    }
    return start + lo;
  }

  /** New states found by the round (after the number phase, every worker's). */
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
  /** After an expand phase stopped by a reservation past the table's bound: switch to a table that takes every reservation (the workers then refill it), clear Overflow. */
  growForRound(): void;
  /** The growth `growForRound` began is over (refilled, or refused): the workers are past its last barrier. */
  grown(): void;
  /** In the number phase: try to make room for every successor of the round (`cut`) and say so in Ctl.Early (the others read it after the phase). */
  reserveEarly(cut: number): void;
  /** After the number phase, when room was made early: the round commits `limit` new states. */
  settle(limit: number): void;
  /** After the number phase, when it was not: apply the state limit to the new states, reserve their room (a barrier follows). */
  reserveNew(): void;
}
