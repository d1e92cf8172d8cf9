import { FULL, type SharedStore } from '../store/shared-store.ts';
import type { ExploreOutcome, Reducers } from './explore.ts';
import type { IncompleteReason, SearchOptions } from './types.ts';
import { limitsCheck } from './explore-limits.ts';
import { expansionViolation, storeInitial } from './stored-path.ts';
import { BLOCK, Ctl, dealBlocks, MAX_BLOCKS, NONE, ROUND_STATES, RoundAborted, RoundWorker, slotsFor, TURN, type RoundCoordinator } from './parallel-round.ts';
import { NumberedProviso } from './proviso.ts';
import { cacheFits, EdgeCache, MAX_CACHED_EDGES, RECORDED_SHARE } from './edge-cache.ts';
import { PASS_PENDING, REGION_TASK, runPoolTasks, taskRunner, type PassPool } from './liveness.ts';
import type { Fairness } from '../model/define.ts';
import type { StateStore } from '../store/store.ts';
import type { EdgeBuffers, ParallelBuffers } from './parallel-round.ts';
import { growSharedTo } from '../store/growable-shared.ts';
import { INVARIANT_RULE, notDeterministic } from '../exec/determinism.ts';

/**
 * Multi-core breadth-first safety exploration (`check --workers N`): the
 * coordinator (worker 0, the search thread) walks the BFS queue in rounds
 * (`parallel-round.ts`), and the result is the one-thread BFS's: same
 * states in the same order, same parents, same transitions, same first
 * violation and limits met at the same state, whatever the number of
 * workers or the timing. Only the stopping checks of the clock and the
 * monitor fall between rounds instead of every 1024 expansions.
 *
 * Rounds smaller than `parallelFrom` states, and every round before a
 * helper has joined, run in worker 0 alone (no barrier, no phases), so
 * small models and narrow levels cost what the one-thread search costs;
 * helpers join whenever they are ready (a thread loads the model itself),
 * at the start of a round.
 */

/** How the workers of a round meet at barriers: real threads, or all in this thread in turn (tests). */
export interface RoundDriver {
  /** Run worker 0's round (and, for the lockstep driver, the others'). */
  run(w0: RoundWorker, active: number, coord: RoundCoordinator): void;
  /** Helpers that have joined (they take part from the next round); `level`: the BFS level the round is in, and the one before it. */
  joined(level?: LevelShape): number;
  /** Tell the helpers there is a round (thread driver: wake them). */
  announce(active: number): void;
  /** After an exploration that recorded the edges: the helpers that joined, as a pool for the cycle search's passes (null: none joined). */
  passPool(w0: RoundWorker): PassPool | null;
}

/** A BFS level's size in states, and the size of the level before it: whether the search still widens. */
export interface LevelShape {
  readonly size: number;
  readonly previous: number;
}

export interface ParallelExploreOptions {
  /** Rounds of fewer states run in worker 0 alone. */
  readonly parallelFrom: number;
  /** States per round (at most ROUND_STATES). */
  readonly roundStates: number;
  /** Make room for every successor before the reserve step where the store allows (default), so that no barrier is needed for it; false: always after the number phase, exactly (the law tests run both). */
  readonly earlyReserve?: boolean;
  /** States per block of a round (default BLOCK; the law tests take fewer). */
  readonly blockStates?: number;
}

export const defaultParallelOptions: ParallelExploreOptions = Object.freeze({ parallelFrom: 2048, roundStates: ROUND_STATES, earlyReserve: true, blockStates: BLOCK });

export function exploreParallel(
  w0: RoundWorker,
  driver: RoundDriver,
  opts: SearchOptions,
  start: number,
  red: Reducers,
  popts: ParallelExploreOptions = defaultParallelOptions,
  record = false,
): ExploreOutcome {
  const rt = w0.rt;
  const st = w0.store;
  const ctl = w0.ctl;
  const hasInv = rt.model.invariants.length > 0;
  const invNames = rt.model.invariants.map((i) => i.name);
  const sym = red.sym;
  const por = red.por;
  if (por !== w0.por) throw new Error('internal: worker 0 and the search have different partial orders');
  // A reduction counts a state's transitions all at once (as the one-thread search with POR or symmetry does); the batched BFS, each as it inserts it.
  const whole = sym !== null || por !== null;
  const proviso = por !== null ? new NumberedProviso(st, por.sets.gBase, sym, rt.words) : null;
  const verifyFootprints = por !== null && por.hasDeclared;
  const out: ExploreOutcome = { violation: null, incomplete: null, transitions: 0, depth: 0, frontier: 0, workers: 1 };
  opts.monitor?.workers?.(1);
  out.violation = storeInitial(rt, sym, (init, h) => {
    st.insertFirst(init, 0, h);
    w0.refresh();
  });
  if (out.violation !== null) return out;
  if (st.count >= opts.maxStates) return finish(out, 'max-states', 0, st.count);
  const tick = limitsCheck(opts, start, st, () => out.transitions);
  const coord = new Coordinator(w0, popts.earlyReserve ?? true);
  // The cycle search's edge cache, recorded as the states are inserted (without reductions: with them the cycle search takes the kept successors in its own order).
  const edges = record && sym === null && por === null ? new RecordedEdges(w0.bufs.edges, ctl, opts, () => st.bytes()) : null;
  const W = rt.words;
  const deadlockOn = opts.deadlock ?? rt.model.deadlock;
  const maxStates = opts.maxStates;
  let ticks = 0;
  /**
   * States [from, to) of one level expanded and inserted in order, as
   * `bfsBatched` (or, with symmetry, the reduced BFS) does: the same
   * numbering, transitions and first violation. True when the search ends.
   */
  const solo = (from: number, to: number, depth: number): boolean => (whole ? soloEach(from, to, depth) : soloBatched(from, to, depth));
  /** With symmetry or partial-order reduction: state by state, as the reduced one-thread BFS. */
  const soloEach = (from: number, to: number, depth: number): boolean => {
    for (let s = from; s < to; s++) {
      // Counted per block of 32 states of a level, as bfsBatched counts: a narrow level is a block, so limits are polled every 32 levels.
      if ((s - from) % 32 === 0 && (ticks += 32) >= 1024) {
        ticks = 0;
        const r = tick(depth, st.count - s);
        if (r) {
          finish(out, r, depth, st.count - s);
          return true;
        }
      }
      const off = st.offsetOf(s);
      if (verifyFootprints) por.verify(rt, st.states, off);
      let n = rt.expand(st.states, off);
      const v = expansionViolation(rt, st.states, off, n, s, deadlockOn);
      if (v !== null) {
        out.violation = v;
        out.depth = depth;
        return true;
      }
      if (por !== null) {
        // The one-thread search's stubborn set, its successors first (explore.ts).
        const k = proviso!.ample(por, s, rt, st.states, off, n);
        por.noteExpansion(s, k === n);
        n = k;
      }
      const succ = rt.succ;
      const e0 = edges !== null && edges.on ? edges.state(s, n) : -1;
      for (let i = 0; i < n; i++) {
        const o = i * W;
        if (sym !== null) sym.canonicalize(succ, o);
        if (!whole) out.transitions++;
        const idx = st.insertSolo(succ, o, rt.hash(succ, o), s, s);
        if (idx === FULL) {
          if (whole) out.transitions += n;
          storeFull(out, st);
          finish(out, 'memory-limit', depth + 1, st.count - s);
          return true;
        }
        if (e0 >= 0) edges!.edge(e0 + i, idx < 0 ? -idx - 1 : idx, (rt.succThread[i]! << 1) | rt.succProgress[i]!);
        if (idx < 0) continue;
        if (hasInv) {
          const v = rt.checkInvariants(succ, o);
          if (v >= 0) {
            if (whole) out.transitions += n;
            out.violation = { kind: 'invariant', property: invNames[v]!, state: idx };
            out.depth = depth + 1;
            return true;
          }
        }
        if (st.count >= maxStates) {
          if (whole) out.transitions += n;
          finish(out, 'max-states', depth + 1, st.count - s - 1);
          return true;
        }
      }
      if (whole) out.transitions += n;
    }
    return false;
  };
  const counts = new Int32Array(SOLO_BLOCK);
  let parents = new Int32Array(256);
  let hashes = new Int32Array(256);
  /**
   * Without reductions: in blocks of SOLO_BLOCK states, as `bfsBatched`
   * (explore.ts) does: the block's states expanded into one successor
   * buffer, their hashes computed and their table slots touched in one pass
   * (the misses overlap), then inserted in order. The numbering,
   * transitions, first violation and limits are those of one state at a
   * time: an assertion or deadlock met in a state's expansion is reported
   * after the successors of the block's states before it were inserted and
   * checked. State by state it was about a tenth slower than the one-thread
   * search, and a search that no helper joins runs here throughout.
   */
  const soloBatched = (from: number, to: number, depth: number): boolean => {
    for (let head = from; head < to; ) {
      if ((ticks += SOLO_BLOCK) >= 1024) {
        ticks = 0;
        const r = tick(depth, st.count - head);
        if (r) {
          finish(out, r, depth, st.count - head);
          return true;
        }
      }
      const end = Math.min(to, head + SOLO_BLOCK);
      let total = 0;
      let stopAt = -1;
      for (let s = head; s < end; s++) {
        const off = st.offsetOf(s);
        const n = rt.expand(st.states, off, -1, total);
        const v = expansionViolation(rt, st.states, off, n, s, deadlockOn);
        if (v !== null) {
          stopAt = s;
          out.violation = v;
          break;
        }
        if (parents.length < total + n) {
          const grown = new Int32Array((total + n) * 2);
          grown.set(parents);
          parents = grown;
          hashes = new Int32Array(grown.length);
        }
        parents.fill(s, total, total + n);
        counts[s - head] = n;
        total += n;
      }
      // The edges of the block's states expanded (not the stopping one), in order: each one's first edge.
      let e = -1;
      if (edges !== null && edges.on) {
        const last = stopAt >= 0 ? stopAt : end;
        for (let s = head; s < last && edges.on; s++) {
          const e0 = edges.state(s, counts[s - head]!);
          if (s === head) e = e0;
        }
        if (!edges.on) e = -1;
      }
      const succ = rt.succ;
      for (let i = 0; i < total; i++) hashes[i] = rt.hash(succ, i * W);
      st.sink ^= st.touch(hashes, 0, total);
      for (let i = 0; i < total; i++) {
        out.transitions++;
        const o = i * W;
        const p = parents[i]!;
        const idx = st.insertSolo(succ, o, hashes[i]!, p, head);
        if (idx === FULL) {
          out.violation = null;
          storeFull(out, st);
          finish(out, 'memory-limit', depth + 1, st.count - p);
          return true;
        }
        if (e >= 0) edges!.edge(e + i, idx < 0 ? -idx - 1 : idx, (rt.succThread[i]! << 1) | rt.succProgress[i]!);
        if (idx < 0) continue;
        if (hasInv) {
          const v = rt.checkInvariants(succ, o);
          if (v >= 0) {
            out.violation = { kind: 'invariant', property: invNames[v]!, state: idx };
            out.depth = depth + 1;
            return true;
          }
        }
        if (st.count >= maxStates) {
          out.violation = null;
          finish(out, 'max-states', depth + 1, st.count - p - 1);
          return true;
        }
      }
      if (stopAt >= 0) {
        out.depth = depth;
        return true;
      }
      head = end;
    }
    return false;
  };
  const maxRound = Math.max(1, Math.min(ROUND_STATES, popts.roundStates));
  const blockStates = Math.max(1, popts.blockStates ?? BLOCK);
  if (Math.ceil(maxRound / blockStates) > MAX_BLOCKS) throw new RangeError(`internal: rounds of ${maxRound} states in blocks of ${blockStates} pass ${MAX_BLOCKS} blocks`);
  Atomics.store(ctl, Ctl.Block, blockStates);
  // Rounds are sized by time (about ROUND_MS each), so that the limits and a stop request are seen as often as the one-thread search sees them; the result does not depend on their size.
  let perRound = Math.min(maxRound, 1024);
  let head = 0;
  let depth = 0;
  let levelEnd = 1;
  const level = { size: 1, previous: 0 };
  while (head < st.count) {
    if (head === levelEnd) {
      depth++;
      level.previous = level.size;
      level.size = st.count - levelEnd;
      levelEnd = st.count;
    }
    if (levelEnd - head < popts.parallelFrom) {
      // A level too small to share: worker 0 alone, state by state as the one-thread BFS (no rounds, no barriers).
      if (solo(head, levelEnd, depth)) return out;
      head = levelEnd;
      continue;
    }
    const r = tick(depth, st.count - head);
    if (r) return finish(out, r, depth, st.count - head);
    const size = Math.min(maxRound, Math.max(perRound, popts.parallelFrom));
    const end = Math.min(levelEnd, head + size);
    const roundStart = performance.now();
    const active = end - head >= popts.parallelFrom ? 1 + Math.min(driver.joined(level), w0.bufs.workers - 1) : 1;
    if (active > out.workers!) {
      out.workers = active;
      opts.monitor?.workers?.(active);
    }
    if (active === 1) {
      // No helper has joined yet (or the rest of the level is small): worker 0 alone, without the rounds' phases, which cost about an eighth more than inserting directly.
      if (solo(head, end, depth)) return out;
      head = end;
      continue;
    }
    Atomics.store(ctl, Ctl.Start, head);
    Atomics.store(ctl, Ctl.End, end);
    dealBlocks(w0.segments, Math.ceil((end - head) / blockStates), active);
    Atomics.store(ctl, Ctl.StopState, NONE);
    Atomics.store(ctl, Ctl.InvSeq, NONE);
    Atomics.store(ctl, Ctl.Overflow, 0);
    Atomics.store(ctl, Ctl.NoRoom, 0);
    Atomics.store(ctl, Ctl.Reserved, 0);
    Atomics.store(ctl, Ctl.PendNext, 0);
    Atomics.store(ctl, Ctl.MaxSeq, NONE);
    // The one-thread search checks the limit after inserting, so a round always commits at least one new state.
    Atomics.store(ctl, Ctl.Room, Math.max(1, Math.min(maxStates - st.count, NONE)));
    Atomics.store(ctl, Ctl.Active, active);
    if (active > 1) driver.announce(active);
    const reduced0 = por !== null ? por.reducedStates : 0;
    driver.run(w0, active, coord);
    // Exact: the round's records stay (those of its new states are their places; the others hold -1).
    if (!st.compact) st.setRecords(st.records + Atomics.load(ctl, Ctl.PendNext));
    if (edges !== null && edges.on) edges.round(w0, head, Math.min(end, Atomics.load(ctl, Ctl.StopState)), Atomics.load(ctl, Ctl.CutSeq));
    const ms = performance.now() - roundStart;
    if (ms < ROUND_MS / 2 && end - head >= perRound) perRound = Math.min(maxRound, perRound * 2);
    else if (ms > ROUND_MS * 2) perRound = Math.max(256, perRound >>> 1);
    // Resolve the round in the order the one-thread search meets its events.
    const count0 = st.count;
    const invSeq = Atomics.load(ctl, Ctl.InvSeq);
    const stop = Atomics.load(ctl, Ctl.StopState);
    const cut = Atomics.load(ctl, Ctl.CutSeq);
    /** Transitions counted up to successor seq: the batched BFS counts each successor as it inserts it, the one with reductions a whole state at once. */
    const counted = (seq: number): number => (!whole ? seq + 1 : w0.stBase[w0.stateOf(seq) - head + 1]!);
    const maxSeq = Atomics.load(ctl, Ctl.MaxSeq);
    if (por !== null) {
      // How each state the one-thread search would have expanded by now was expanded, whichever worker did.
      const last = invSeq !== NONE ? w0.stateOf(invSeq) + 1 : coord.outOfRoom ? head : maxSeq !== NONE ? w0.stateOf(maxSeq) + 1 : Math.min(end, stop);
      let reduced = 0;
      for (let s = head; s < last; s++) {
        const how = w0.stHow[s - head]!;
        por.recordExpansion(s, how);
        if (how >= 2) reduced++;
      }
      por.setReducedStates(reduced0 + reduced);
    }
    if (invSeq !== NONE) {
      const idx = count0 + w0.rankOfViolation(active, invSeq);
      st.setCount(idx + 1);
      out.transitions += counted(invSeq);
      const v = rt.checkInvariants(st.states, st.offsetOf(idx));
      // Another thread's copy of the model found an invariant violated here, and this thread's finds none: the invariants differ from thread to thread.
      if (v < 0) throw notDeterministic(rt, `a helper thread of the multi-core search found an invariant violated in a state where the search thread's invariants all hold (the model's copies in the two threads answer differently; --workers 1 searches in one thread)`, INVARIANT_RULE);
      out.violation = { kind: 'invariant', property: invNames[v]!, state: idx };
      out.depth = depth + 1;
      return out;
    }
    if (coord.outOfRoom) {
      // Nothing of the round was committed.
      storeFull(out, st);
      return finish(out, 'memory-limit', depth + 1, st.count - head);
    }
    if (maxSeq !== NONE) {
      st.setCount(count0 + coord.limit);
      out.transitions += counted(maxSeq);
      return finish(out, 'max-states', depth + 1, st.count - w0.stateOf(maxSeq) - 1);
    }
    st.setCount(count0 + coord.limit);
    out.transitions += cut;
    if (stop !== NONE) {
      const n = rt.expandChecked(st.states, st.offsetOf(stop), -1, 0, 1);
      out.violation =
        n < 0
          ? { kind: 'assertion', property: rt.failProperty, state: stop, failStep: { thread: rt.failThread, step: rt.failStep, choice: rt.failChoice } }
          : { kind: 'deadlock', property: 'deadlock', state: stop };
      out.depth = depth;
      return out;
    }
    head = end;
  }
  out.depth = depth;
  if (edges !== null && edges.on) out.edges = edges.cache(st.count);
  return out;
}

/**
 * Worker 0's side of the recorded edge cache (`EdgeBuffers`): the edges of
 * the states it expands alone, every state's first edge and count after a
 * round, and whether the cache still fits (`cacheFits`, checked after each
 * round for the next growth of the buffers: the workers grow the edge
 * buffers in the number phase without asking). Once it does not, recording stops
 * (Ctl.Record) and the cycle search decides for itself.
 */
class RecordedEdges {
  on = true;
  private first: Int32Array = new Int32Array(0);
  private count: Int32Array = new Int32Array(0);
  private to: Int32Array = new Int32Array(0);
  private meta: Uint16Array = new Uint16Array(0);
  private used = 0;

  constructor(
    private readonly b: EdgeBuffers,
    private readonly ctl: Int32Array,
    private readonly opts: SearchOptions,
    private readonly storeBytes: () => number,
  ) {
    Atomics.store(ctl, Ctl.EdgeBase, 0);
    Atomics.store(ctl, Ctl.Record, 1);
  }

  /** States expanded alone until the next full check of `room` while the views have room (each check reads four growable buffers' lengths and the memory the cache may take). */
  private checkIn = 0;
  /** The states and edges the views hold (the shorter of first and count, of to and meta), as of the last `room`. */
  private stateRoom = 0;
  private edgeRoom = 0;

  /** State s, expanded alone, has n successors: its first edge (-1: recording stopped). */
  state(s: number, n: number): number {
    // The views' own room spares the full check, but for one every ROOM_CHECK_STATES states (the store grows meanwhile): it cost about a fifth of a lone search's time when made for every state.
    if (s >= this.stateRoom || this.used + n > this.edgeRoom || --this.checkIn <= 0) {
      this.checkIn = ROOM_CHECK_STATES;
      if (!this.room(s + 1, this.used + n)) return -1;
    }
    const e0 = this.used;
    this.first[s] = e0;
    this.count[s] = n;
    this.used += n;
    Atomics.store(this.ctl, Ctl.EdgeBase, this.used);
    return e0;
  }

  edge(e: number, to: number, meta: number): void {
    this.to[e] = to;
    this.meta[e] = meta;
  }

  /** After a shared round over states [head, last) with `cut` successors (their edges written by the owners). */
  round(w0: RoundWorker, head: number, last: number, cut: number): void {
    if (!this.room(last, this.used + cut)) return;
    for (let s = head; s < last; s++) {
      this.first[s] = this.used + w0.stBase[s - head]!;
      this.count[s] = w0.stCount[s - head]!;
    }
    this.used += cut;
    Atomics.store(this.ctl, Ctl.EdgeBase, this.used);
  }

  /** Room (and views) for states [0, states) and edges [0, edges), with the next growth of the buffers fitting; false: recording stopped. */
  private room(states: number, edges: number): boolean {
    const b = this.b;
    const held = b.first.byteLength + b.count.byteLength + b.to.byteLength + b.meta.byteLength;
    // A round may double the edge buffers before the next check.
    const next = Math.max(4 * states, b.first.byteLength) * 2 + Math.max(6 * edges, b.to.byteLength + b.meta.byteLength);
    if (edges > MAX_CACHED_EDGES || !cacheFits(next, held, this.storeBytes(), this.opts, RECORDED_SHARE) || !growSharedTo(b.first, 4 * states) || !growSharedTo(b.count, 4 * states) || !growSharedTo(b.to, 4 * edges) || !growSharedTo(b.meta, 2 * edges)) {
      this.stop();
      return false;
    }
    if (this.first.byteLength !== b.first.byteLength) this.first = new Int32Array(b.first, 0, b.first.byteLength >>> 2);
    if (this.count.byteLength !== b.count.byteLength) this.count = new Int32Array(b.count, 0, b.count.byteLength >>> 2);
    if (this.to.byteLength !== b.to.byteLength) this.to = new Int32Array(b.to, 0, b.to.byteLength >>> 2);
    if (this.meta.byteLength !== b.meta.byteLength) this.meta = new Uint16Array(b.meta, 0, b.meta.byteLength >>> 1);
    this.stateRoom = Math.min(this.first.length, this.count.length);
    this.edgeRoom = Math.min(this.to.length, this.meta.length);
    return true;
  }

  private stop(): void {
    this.on = false;
    this.stateRoom = 0;
    this.edgeRoom = 0;
    Atomics.store(this.ctl, Ctl.Record, 0);
    this.first = new Int32Array(0);
    this.count = new Int32Array(0);
    this.to = new Int32Array(0);
    this.meta = new Uint16Array(0);
  }

  /** The cache of states [0, n), every one recorded. */
  cache(n: number): EdgeCache {
    return EdgeCache.recorded(this.first.subarray(0, n), this.count.subarray(0, n), this.to.subarray(0, this.used), this.meta.subarray(0, this.used));
  }
}

/** States a lone worker 0 expands at a time without reductions (`soloBatched`), as the one-thread BFS's BLOCK. */
const SOLO_BLOCK = 32;

/** Target duration of a round, in milliseconds. */
const ROUND_MS = 20;
/** States a lone worker 0 records between two full checks of the edge cache's room (`RecordedEdges.state`). */
const ROOM_CHECK_STATES = 1024;

/** A store out of room under its buffers' own bound, not the memory limit's, is full: say so (the message names the buffer, not the memory). */
function storeFull(out: ExploreOutcome, st: SharedStore): void {
  if (st.buffers.boundByBuffer && !st.refusedForMemory) out.storeFull = st.buffers.maxBytes;
}

function finish(out: ExploreOutcome, reason: IncompleteReason, depth: number, frontier: number): ExploreOutcome {
  out.incomplete = reason;
  out.depth = depth;
  out.frontier = frontier;
  return out;
}

/** Worker 0's sequential parts of a round. */
class Coordinator implements RoundCoordinator {
  /** New states committed by the round (after the state limit). */
  limit = 0;
  /** The state buffers could not take the round's new states. */
  outOfRoom = false;
  private readonly st: SharedStore;
  private readonly ctl: Int32Array;

  constructor(
    private readonly w: RoundWorker,
    private readonly early: boolean,
  ) {
    this.st = w.store;
    this.ctl = w.ctl;
  }

  growForRound(): void {
    const st = this.st;
    st.onGrowth?.(true);
    const need = st.used() + Atomics.load(this.ctl, Ctl.Reserved);
    // A table that cannot grow ends the round as a store out of room does: nothing of it is numbered.
    if (!st.prepareGrowth(Math.max(st.tableSlots() + 1, slotsFor(need, Atomics.load(this.ctl, Ctl.Active))), false)) Atomics.store(this.ctl, Ctl.NoRoom, 1);
    Atomics.store(this.ctl, Ctl.RehashNext, 0);
    Atomics.store(this.ctl, Ctl.Overflow, 0);
  }

  grown(): void {
    this.st.onGrowth?.(false);
  }

  /**
   * Room for every successor is more than the new states need, which costs
   * address space only (a growable buffer's pages are touched as states are
   * written), with the exact store. Hash-compact's frontier ring is counted
   * in its bytes and its states move when it grows: it reserves exactly.
   */
  reserveEarly(cut: number): void {
    const count0 = this.st.count;
    const most = Math.min(cut, Atomics.load(this.ctl, Ctl.Room));
    const ok = this.early && !this.st.compact && Atomics.load(this.ctl, Ctl.NoRoom) === 0 && this.st.reserve(count0 + most, Atomics.load(this.ctl, Ctl.Start));
    Atomics.store(this.ctl, Ctl.Early, ok ? 1 : 0);
  }

  settle(limit: number): void {
    this.limit = limit;
    this.outOfRoom = false;
  }

  reserveNew(): void {
    const ctl = this.ctl;
    const count0 = this.st.count;
    const room = Atomics.load(ctl, Ctl.Room);
    this.limit = Math.min(this.w.newStates(Atomics.load(ctl, Ctl.Active)), room);
    this.outOfRoom = false;
    if (Atomics.load(ctl, Ctl.NoRoom) !== 0 || !this.st.reserve(count0 + this.limit, Atomics.load(ctl, Ctl.Start))) {
      this.outOfRoom = true;
      this.limit = 0;
    }
    Atomics.store(ctl, Ctl.NewLimit, this.limit);
  }
}

/** Run one round's generator through a barrier at each yield (thread driver). */
export function runWithBarriers(gen: Generator<number | undefined, void, void>, ctl: Int32Array, active: number, spin: boolean): void {
  for (let r = gen.next(); !r.done; r = gen.next()) if (r.value !== TURN) barrier(ctl, active, spin);
}

/**
 * How long a waiting worker spins before it sleeps on the word
 * (`Atomics.wait`), in milliseconds. Waking a sleeping thread takes a
 * system call and a reschedule, long beside the gaps it bridges: between
 * two workers' arrivals at a barrier, and between two rounds (the
 * coordinator resolves a round and announces the next in microseconds).
 * Spinning 2 ms rather than 0.2 made peterson(5) at two workers about 9%
 * faster (seven alternating pairs), in the expand phases themselves: a
 * thread that slept comes back slower than one that spun.
 */
const SPIN_MS = 2;

/**
 * Whether a waiting worker spins (`spinWhile`) before it sleeps: not when
 * the round's threads outnumber the CPUs the process may run on
 * (`ParallelBuffers.cpus`). A spinning worker would hold a CPU that a worker
 * with work in the round is waiting for, and every barrier waits for the
 * slowest (peterson(5) on two CPUs: 5.75 s at three workers and 6.05 s at
 * four while waiting workers spun, 3.99 s and 4.06 s with them sleeping at
 * once, against about 3.2 s at two).
 */
const spins = (threads: number, cpus: number): boolean => threads <= cpus;

/** Spin while ctl[word] is g, for at most SPIN_MS. */
function spinWhile(ctl: Int32Array, word: number, g: number): void {
  const until = performance.now() + SPIN_MS;
  for (let i = 1; Atomics.load(ctl, word) === g; i++) if ((i & 255) === 0 && performance.now() > until) return;
}

/**
 * A generation barrier over `active` workers: the last to arrive resets the
 * count and advances the generation; the others spin briefly (`spinWhile`,
 * when `spin`), then sleep on the generation word. A worker that failed
 * sets Abort and wakes everyone, who then throw RoundAborted instead of
 * waiting forever.
 */
export function barrier(ctl: Int32Array, active: number, spin: boolean): void {
  if (active <= 1) return;
  const g = Atomics.load(ctl, Ctl.BarGen);
  if (Atomics.add(ctl, Ctl.BarCount, 1) === active - 1) {
    Atomics.store(ctl, Ctl.BarCount, 0);
    Atomics.add(ctl, Ctl.BarGen, 1);
    Atomics.notify(ctl, Ctl.BarGen);
  } else {
    if (spin) spinWhile(ctl, Ctl.BarGen, g);
    while (Atomics.load(ctl, Ctl.BarGen) === g) {
      if (Atomics.load(ctl, Ctl.Abort) !== 0) throw new RoundAborted();
      Atomics.wait(ctl, Ctl.BarGen, g, 20);
    }
  }
  if (Atomics.load(ctl, Ctl.Abort) !== 0) throw new RoundAborted();
}

/** Stop every worker: a failure (abort) or the end of the search (quit). */
export function stopWorkers(ctl: Int32Array, abort: boolean): void {
  if (abort) Atomics.store(ctl, Ctl.Abort, 1);
  Atomics.store(ctl, Ctl.Quit, 1);
  Atomics.add(ctl, Ctl.Gen, 1);
  Atomics.notify(ctl, Ctl.Gen);
  Atomics.add(ctl, Ctl.BarGen, 1);
  Atomics.notify(ctl, Ctl.BarGen);
}

/** Thread driver of worker 0. */
export function threadDriver(ctl: Int32Array): RoundDriver {
  return {
    run: (w0, active, coord) => {
      w0.refresh();
      runWithBarriers(w0.round(active, coord), ctl, active, spins(active, w0.bufs.cpus));
    },
    joined: () => Atomics.load(ctl, Ctl.Joined),
    announce: () => {
      Atomics.add(ctl, Ctl.Gen, 1);
      Atomics.notify(ctl, Ctl.Gen);
    },
    passPool: (w0) =>
      Atomics.load(ctl, Ctl.Joined) > 0
        ? new SharedPassPool(w0, () => {
            Atomics.add(ctl, Ctl.Gen, 1);
            Atomics.notify(ctl, Ctl.Gen);
          })
        : null,
  };
}

const FAIRNESS: readonly Fairness[] = ['none', 'weak', 'strong'];

/**
 * The cycle search's tasks shared with the helpers (`PassPool`), once the
 * exploration is over: Ctl.Passes turns the helpers from rounds to tasks
 * for good, a task is claimed from Ctl.PassNext, its outcome goes to the
 * shared `passes` buffer and the states on cycles to the `region` buffer.
 * `finish` raises PassStop and waits until no helper is inside a task (a
 * helper counts itself in PassBusy before it reads PassStop, so none
 * enters after).
 */
class SharedPassPool implements PassPool {
  protected readonly ctl: Int32Array;
  protected readonly res: Int32Array;
  protected readonly bufs: ParallelBuffers;
  private started = false;
  readonly helpers: number;

  /** Set by the engine: let the helpers go. */
  decline: () => void = () => {};

  constructor(
    w0: RoundWorker,
    private readonly announce: () => void,
    helpers = Atomics.load(w0.ctl, Ctl.Joined),
  ) {
    this.bufs = w0.bufs;
    this.ctl = w0.ctl;
    this.res = new Int32Array(w0.bufs.passes);
    this.T = this.res.length / 3;
    this.helpers = helpers;
  }

  /** Tasks the buffer has room for: outcomes at [0, T), states visited at [T, 2T), of how many at [2T, 3T). */
  private readonly T: number;

  start(n: number, fairness: Fairness): void {
    if (n > this.T) throw new Error(`internal: ${n} tasks for ${this.T} outcomes`);
    for (let j = 0; j < n; j++) {
      Atomics.store(this.res, this.T + j, -1);
      Atomics.store(this.res, 2 * this.T + j, 0);
      Atomics.store(this.res, j, PASS_PENDING);
    }
    const ctl = this.ctl;
    Atomics.store(ctl, Ctl.PassCount, n);
    Atomics.store(ctl, Ctl.PassFairness, FAIRNESS.indexOf(fairness));
    Atomics.store(ctl, Ctl.PassStop, 0);
    Atomics.store(ctl, Ctl.PassNext, 0);
    Atomics.store(ctl, Ctl.Passes, 1);
    this.started = true;
    this.announce();
  }

  claim(): number {
    const j = Atomics.add(this.ctl, Ctl.PassNext, 1);
    return j < Atomics.load(this.ctl, Ctl.PassCount) ? j : -1;
  }

  outcome(j: number): number {
    return Atomics.load(this.res, j);
  }

  settle(j: number, outcome: number): void {
    Atomics.store(this.res, j, outcome);
    Atomics.notify(this.res, j);
  }

  wait(j: number): void {
    if (Atomics.load(this.ctl, Ctl.Abort) !== 0) throw new RoundAborted();
    Atomics.wait(this.res, j, PASS_PENDING, 20);
  }

  note(j: number, visited: number, of: number): void {
    if (j < 0 || j >= this.T) return;
    if (of >= 0) Atomics.store(this.res, 2 * this.T + j, of);
    Atomics.store(this.res, this.T + j, visited);
  }

  visited(j: number): number {
    return Atomics.load(this.res, this.T + j);
  }

  states(j: number): number {
    return Atomics.load(this.res, 2 * this.T + j);
  }

  shareRegion(region: Uint8Array): void {
    if (!growSharedTo(this.bufs.region, region.length)) throw new RangeError('region buffer cannot grow further');
    new Uint8Array(this.bufs.region, 0, region.length).set(region);
  }

  region(n: number): Uint8Array {
    return new Uint8Array(this.bufs.region, 0, n);
  }

  finish(): void {
    if (!this.started) return;
    const ctl = this.ctl;
    Atomics.store(ctl, Ctl.PassStop, 1);
    for (let busy = Atomics.load(ctl, Ctl.PassBusy); busy > 0; busy = Atomics.load(ctl, Ctl.PassBusy)) {
      if (Atomics.load(ctl, Ctl.Abort) !== 0) break;
      Atomics.wait(ctl, Ctl.PassBusy, busy, 20);
    }
    // A helper failed in a task (a step that did not give what it gave before, say): its error is the search's, whatever this thread found meanwhile.
    if (Atomics.load(ctl, Ctl.Abort) !== 0) throw new RoundAborted();
  }
}

/** A helper's share of the cycle search's tasks, over the shared store and the recorded edge cache. */
function helperPasses(w: RoundWorker, pool: PassPool): void {
  const ctl = w.ctl;
  Atomics.add(ctl, Ctl.PassBusy, 1);
  try {
    if (Atomics.load(ctl, Ctl.PassStop) !== 0) return;
    w.refresh();
    const stop = (): boolean => Atomics.load(ctl, Ctl.PassStop) !== 0 || Atomics.load(ctl, Ctl.Quit) !== 0;
    runPoolTasks(w.rt, w.store as unknown as StateStore, sharedCache(w), pool, FAIRNESS[Atomics.load(ctl, Ctl.PassFairness)]!, stop);
  } finally {
    Atomics.sub(ctl, Ctl.PassBusy, 1);
    Atomics.notify(ctl, Ctl.PassBusy);
  }
}

/** The edge cache the rounds recorded, as every worker maps it (after the exploration: every state's edges). */
function sharedCache(w: RoundWorker): EdgeCache {
  const b = w.bufs.edges;
  const n = w.store.count;
  const e = Atomics.load(w.ctl, Ctl.EdgeBase);
  return EdgeCache.recorded(new Int32Array(b.first, 0, n), new Int32Array(b.count, 0, n), new Int32Array(b.to, 0, e), new Uint16Array(b.meta, 0, e));
}

/**
 * A helper thread's loop: join, then take part in every round it is
 * included in (its id below the round's Active), until Quit. Its coverage
 * marks are or'ed into the shared coverage buffer at the end.
 */
export function helperLoop(w: RoundWorker): void {
  const ctl = w.ctl;
  let g = Atomics.load(ctl, Ctl.Gen);
  // Ids in the order of joining: the first ready helper is worker 1.
  w.me = Atomics.add(ctl, Ctl.Joined, 1) + 1;
  try {
    for (;;) {
      if (spins(Atomics.load(ctl, Ctl.Joined) + 1, w.bufs.cpus)) spinWhile(ctl, Ctl.Gen, g);
      while (Atomics.load(ctl, Ctl.Gen) === g && Atomics.load(ctl, Ctl.Quit) === 0) Atomics.wait(ctl, Ctl.Gen, g, 1000);
      g = Atomics.load(ctl, Ctl.Gen);
      if (Atomics.load(ctl, Ctl.Quit) !== 0) break;
      if (Atomics.load(ctl, Ctl.Passes) !== 0) {
        helperPasses(w, new SharedPassPool(w, () => {}));
        continue;
      }
      const active = Atomics.load(ctl, Ctl.Active);
      if (w.me >= active) continue;
      w.refresh();
      runWithBarriers(w.round(active, null), ctl, active, spins(active, w.bufs.cpus));
    }
  } catch (e) {
    if (!(e instanceof RoundAborted)) stopWorkers(ctl, true);
    throw e;
  } finally {
    orCoverage(w);
    Atomics.add(ctl, Ctl.Done, 1);
    Atomics.notify(ctl, Ctl.Done);
  }
}

export function orCoverage(w: RoundWorker): void {
  const cov = new Uint8Array(w.bufs.coverage);
  const rt = w.rt;
  for (let i = 0; i < rt.fired.length; i++) if (rt.fired[i] === 1) Atomics.store(cov, i, 1);
  for (let i = 0; i < rt.reached.length; i++) if (rt.reached[i] === 1) Atomics.store(cov, rt.fired.length + i, 1);
}

/** Worker 0, after the search: wait for the helpers that joined (up to `ms`) and take their coverage marks. */
export function collectHelpers(w0: RoundWorker, ms: number): void {
  const ctl = w0.ctl;
  const t = performance.now();
  for (;;) {
    const done = Atomics.load(ctl, Ctl.Done);
    if (done >= Atomics.load(ctl, Ctl.Joined) || performance.now() - t > ms) break;
    Atomics.wait(ctl, Ctl.Done, done, 50);
  }
  const cov = new Uint8Array(w0.bufs.coverage);
  const rt = w0.rt;
  for (let i = 0; i < rt.fired.length; i++) if (Atomics.load(cov, i) === 1) rt.fired[i] = 1;
  for (let i = 0; i < rt.reached.length; i++) if (Atomics.load(cov, rt.fired.length + i) === 1) rt.reached[i] = 1;
}

/**
 * All workers in this thread, advanced one barrier segment at a time in
 * turn (worker 0 first): the same rounds as with threads, for the law
 * tests. Every helper has joined from the start. In the expand phase the
 * workers take turns block by block (`RoundWorker.turns`), in an order
 * that reverses at every turn, so that blocks are inserted out of order
 * and every worker finds states that others entered; each worker starts
 * on its own run of the round's blocks, so blocks are expanded out of
 * order too (a later block before a stopping state found in an earlier
 * one).
 */
export function lockstepDriver(helpers: readonly RoundWorker[]): RoundDriver {
  return {
    run: (w0, active, coord) => {
      const ws = [w0, ...helpers.slice(0, active - 1)];
      for (const w of ws) {
        w.refresh();
        w.turns = true;
      }
      const gens = ws.map((w) => w.round(active, w === w0 ? coord : null));
      const forward = gens.map((_, i) => i);
      const backward = [...forward].reverse();
      // Per worker: 0 running, 1 at the barrier, 2 done with the round.
      const at = new Int8Array(gens.length);
      for (;;) {
        at.fill(0);
        for (let turn = 0; at.includes(0); turn++) {
          for (const i of turn % 2 === 0 ? forward : backward) {
            if (at[i] !== 0) continue;
            const r = gens[i]!.next();
            at[i] = r.done ? 2 : r.value === TURN ? 0 : 1;
          }
        }
        const done = at.filter((x) => x === 2).length;
        if (done === gens.length) break;
        if (done !== 0) throw new Error('internal: workers left a round at different barriers');
      }
    },
    joined: () => helpers.length,
    announce: () => {},
    passPool: (w0) => (helpers.length > 0 ? new LockstepPassPool(w0, helpers) : null),
  };
}

/**
 * The pool of the lockstep driver (law tests): before this thread claims a
 * task, every helper without one claims one and holds it; a held task runs
 * only when the search thread waits for it, on its helper's runtime, and
 * its outcome is settled at the next wait, so that the search thread first
 * sees the helper's count as it would while a helper thread runs the task
 * (`helperPoll`). So the tasks are shared out, the search thread meets
 * tasks that others run (a livelock found by a helper is run again by the
 * search), and it waits for them as it waits for threads. The states on
 * cycles (task 1), when a helper holds them, are found at the second look
 * at its outcome instead, as a helper thread may finish while the search
 * thread's starvation pass searches every state: that pass then sees them
 * at a poll (`Ctx.abandon`).
 */
class LockstepPassPool extends SharedPassPool {
  private runners: ((j: number) => number)[] = [];
  /** Per helper: the task it holds (-1: none), and its outcome once it ran (PASS_PENDING: not yet). */
  private held = new Int32Array(0);
  private ran = new Int32Array(0);
  /** Looks at the outcome of the states on cycles while a helper holds them. */
  private regionLooks = 0;
  /** Set by `finish`: the search reads no outcome after it (a thread's pool would no longer settle them). */
  private finished = false;

  constructor(
    w0: RoundWorker,
    private readonly others: readonly RoundWorker[],
  ) {
    super(w0, () => {}, others.length);
  }

  override start(n: number, fairness: Fairness): void {
    super.start(n, fairness);
    this.held = new Int32Array(this.others.length).fill(-1);
    this.ran = new Int32Array(this.others.length).fill(PASS_PENDING);
    this.regionLooks = 0;
    this.finished = false;
    this.runners = this.others.map((h) => {
      h.refresh();
      return taskRunner(h.rt, h.store as unknown as StateStore, sharedCache(h), this, fairness, () => false);
    });
  }

  override outcome(j: number): number {
    if (this.finished) throw new Error(`internal: the outcome of task ${j} read after the pool was finished`);
    const o = super.outcome(j);
    const h = o === PASS_PENDING && j === REGION_TASK ? this.held.indexOf(j) : -1;
    if (h < 0 || ++this.regionLooks < 2) return o;
    this.settleHeld(h, j);
    return super.outcome(j);
  }

  /** Settle task j, which helper h holds (run first if it has not run), and free the helper. */
  private settleHeld(h: number, j: number): void {
    if (this.ran[h] === PASS_PENDING) this.ran[h] = this.runners[h]!(j);
    this.settle(j, this.ran[h]!);
    this.held[h] = -1;
    this.ran[h] = PASS_PENDING;
  }

  override finish(): void {
    this.finished = true;
    super.finish();
  }

  override claim(): number {
    for (let h = 0; h < this.others.length; h++) {
      if (this.held[h]! >= 0) continue;
      const j = super.claim();
      if (j < 0) break;
      this.held[h] = j;
    }
    return super.claim();
  }

  override wait(j: number): void {
    if (this.finished) throw new Error(`internal: the search waits for task ${j} after the pool was finished`);
    const h = this.held.indexOf(j);
    if (h < 0) throw new Error(`internal: the search waits for task ${j}, which no helper runs`);
    if (this.ran[h] === PASS_PENDING) {
      this.ran[h] = this.runners[h]!(j);
      if (this.ran[h] === PASS_PENDING) throw new Error(`internal: a helper's task ${j} stopped`);
      return;
    }
    this.settleHeld(h, j);
  }
}
