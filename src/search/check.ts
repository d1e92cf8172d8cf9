import type { BuiltModel } from '../model/build.ts';
import { StateStore } from '../store/store.ts';
import { CompactStore } from '../store/compact.ts';
import { SharedStore } from '../store/shared-store.ts';
import { STORE_SEEDS } from '../store/bits.ts';
import { Runtime } from '../exec/runtime.ts';
import { PartialOrder, refusePorWithLiveness } from '../reduce/por.ts';
import { Symmetry } from '../reduce/symmetry.ts';
import { McError } from '../model/errors.ts';
import { explore, type ExploreOutcome, type Reducers } from './explore.ts';
import { violationFrom, type Store } from './stored-path.ts';
import { bitstateDfs } from './bitstate.ts';
import { checkLiveness, type PassPool } from './liveness.ts';
import { EdgeRecorder, MAX_CACHED_THREADS, memoryFits } from './edge-cache.ts';
import { checkSymmetricLiveness } from './sym-liveness.ts';
import { CycleProgress, type CycleSearchAt } from './cycle-progress.ts';
import { coverageOf } from './coverage.ts';
import { applyDeadVariables, deadVariables } from '../reduce/dead-vars.ts';
import { liveCounterexample } from './dead-trace.ts';
import { defaultOptions, type IncompleteReason, type SearchMonitor, type SearchOptions, type SearchResult, type SearchStats } from './types.ts';

/**
 * Explore the built model exhaustively and return a verdict. Pure: no I/O;
 * the caller renders and saves counterexamples.
 */
export function search(model: BuiltModel, options: Partial<SearchOptions> = {}): SearchResult & { runtime: Runtime; store: StateStore } {
  return searchAny(model, options) as SearchResult & { runtime: Runtime; store: StateStore };
}

function bitstateSearch(model: BuiltModel, rt: Runtime, opts: SearchOptions, t0: number, red: Reducers, reduction: SearchResult['reduction']): SearchResult & { runtime: Runtime; store: StateStore } {
  const monitor = opts.monitor;
  const tableBytes = 2 ** opts.bitstateBits / 8;
  const bo = bitstateDfs(rt, {
    log2Bits: opts.bitstateBits,
    hashes: opts.bitstateHashes,
    hashSeeds: STORE_SEEDS,
    deadlock: opts.deadlock ?? model.deadlock,
    liveness: false,
    fairness: opts.fairness,
    maxStates: opts.maxStates,
    depthBound: Infinity,
    shuffle: null,
    coverageCap: null,
    reducers: red,
    control: null,
    stop: (states, transitions, depth, frontier): IncompleteReason | null =>
      (performance.now() - t0) / 1000 > opts.timeLimit ? 'time-limit' : monitor !== null ? monitor.poll('bitstate', states, transitions, depth, frontier, tableBytes) : null,
  });
  const incomplete = bo.status === 'time-limit' || bo.status === 'memory-limit' || bo.status === 'max-states' || bo.status === 'interrupted' ? bo.status : null;
  const seconds = (performance.now() - t0) / 1000;
  const missed = bo.table.expectedMissed();
  const bytes = bo.table.bytes() + bo.stackBytes;
  reduction.store = { mode: 'bitstate', expectedMissed: missed, probabilityAnyMissed: 1 - Math.exp(-missed), bytesPerState: bo.states ? bytes / bo.states : 0 };
  return {
    verdict: bo.violation ? 'violation' : incomplete ? 'incomplete' : 'pass',
    violation: bo.violation,
    incomplete: incomplete && !bo.violation ? { reason: incomplete, states: bo.states, depth: bo.depth, frontier: bo.frontier } : null,
    stats: {
      states: bo.states,
      transitions: bo.transitions,
      depth: bo.depth,
      seconds,
      statesPerSecond: seconds > 0 ? bo.states / seconds : 0,
      bytesPerState: bo.states ? bytes / bo.states : 0,
      storeBytes: bytes,
      peakRssMB: monitor !== null ? monitor.peakRssMB() : 0,
      bitsPerState: rt.layout.bits,
      words: rt.words,
      workers: 1,
    },
    fairness: null,
    livenessChecked: false,
    reduction,
    coverage: !bo.violation && !incomplete ? coverageOf(rt) : null,
    runtime: rt,
    store: null as unknown as StateStore,
  };
}

/**
 * The liveness search knows only the states; its monitor is told the
 * exploration's transitions, depth and frontier, so that a search stopped
 * from outside during the cycle search reports what it had explored.
 */
function livenessOptions(opts: SearchOptions, ex: { transitions: number; depth: number; frontier: number }, store: Store): SearchOptions {
  const m = opts.monitor;
  if (m === null) return opts;
  const bytes = store.bytes();
  return Object.freeze({
    ...opts,
    monitor: { poll: (phase, states) => m.poll(phase, states, ex.transitions, ex.depth, ex.frontier, bytes), peakRssMB: () => m.peakRssMB(), ...(m.ceilingMB !== undefined ? { ceilingMB: m.ceilingMB } : {}) } satisfies SearchMonitor,
  });
}

/**
 * The store and safety exploration of a search run elsewhere (the
 * multi-core BFS: `src/run/parallel-search.ts` starts its threads); the
 * counterexample, liveness and coverage steps are the same.
 */
export interface ExploreEngine {
  readonly store: Store;
  /** `record`: keep every state's successors for the cycle search (`ExploreOutcome.edges`), as far as they fit. */
  explore(opts: SearchOptions, t0: number, record: boolean): ExploreOutcome;
  /** Threads to share the cycle search's passes with, after an exploration that recorded the edges (null: none). */
  passPool(): PassPool | null;
  /** The end of the search: the engine's threads stop (and hand over what they covered). */
  close(): void;
  /** Threads that took part so far (`SearchStats.workers`). */
  workers(): number;
}

/** `search` with the exploration of `engine` (made once the runtime and reductions exist). */
export function searchWith(model: BuiltModel, options: Partial<SearchOptions>, engine: (rt: Runtime, red: Reducers) => ExploreEngine): SearchResult & { runtime: Runtime; store: Store } {
  return searchAny(model, options, engine);
}

function searchAny(model: BuiltModel, options: Partial<SearchOptions>, engine?: (rt: Runtime, red: Reducers) => ExploreEngine): SearchResult & { runtime: Runtime; store: Store } {
  const opts: SearchOptions = Object.freeze({ ...defaultOptions, ...options });
  if (!opts.deadVars) return searchReduced(model, opts, engine);
  // The search runs on the reduced runtime; what it returns speaks of the model itself: the runtime
  // callers build traces with is the unreduced one, and a lasso is made to close on it (dead-trace.ts).
  const dv = deadVariables(model);
  const r = searchReduced(model, opts, engine, (rt) => applyDeadVariables(model, rt, dv));
  r.reduction.deadVars = { dead: dv.dead.map((d) => ({ thread: d.thread, label: d.label, locals: d.locals.slice() })), notes: dv.notes.slice() };
  return { ...r, violation: r.violation ? liveCounterexample(model, r.violation) : null, runtime: new Runtime(model) };
}

/**
 * The combinations of options a search refuses for this model (a reduction
 * unsound for the property, a store that cannot hold a cycle search, a
 * size out of range): coded errors, which a command line reports before it
 * prints anything of the search.
 */
export function refuseOptions(model: BuiltModel, options: Partial<SearchOptions>): void {
  const opts = { ...defaultOptions, ...options };
  const livenessWanted = opts.liveness && model.hasProgress;
  if (opts.por && livenessWanted && opts.fairness !== 'none') refusePorWithLiveness(opts.fairness);
  if (opts.store !== 'exact' && livenessWanted)
    throw new McError('MC315', `--store ${opts.store} cannot check livelocks (the cycle search needs every state): add --no-liveness, or use --store exact`);
  if (opts.store === 'bitstate' && !(opts.bitstateBits >= 10 && opts.bitstateBits <= 36))
    throw new McError('MC316', `--bitstate-bits ${opts.bitstateBits}: expected 10..36 (log2 of the number of bits)`);
  if (opts.por && opts.symmetry && livenessWanted)
    throw new McError('MC312', '--por with --symmetry is not supported with livelock checking (the symmetric cycle search judges the unreduced successors of each quotient state): add --no-liveness, or drop --por or --symmetry');
}

function searchReduced(model: BuiltModel, opts: SearchOptions, engine?: (rt: Runtime, red: Reducers) => ExploreEngine, prepare?: (rt: Runtime) => void): SearchResult & { runtime: Runtime; store: Store } {
  const t0 = performance.now();
  const rt = new Runtime(model);
  if (prepare) prepare(rt);
  const livenessWanted = opts.liveness && model.hasProgress;
  refuseOptions(model, opts);
  const por = opts.por ? new PartialOrder(model, { liveness: livenessWanted }) : null;
  const sym = opts.symmetry ? new Symmetry(model, rt.layout) : null;
  const reduction: SearchResult['reduction'] = {};
  if (por) {
    reduction.porSafeLabels = por.safeLabels();
    reduction.porNotes = por.reasons.slice(0, 8);
  }
  if (sym) {
    reduction.symmetry = sym.describe();
    reduction.permutations = sym.permutationCount;
  }
  if (opts.stackProviso && (!opts.por || opts.strategy !== 'dfs' || opts.store === 'bitstate'))
    throw new McError('MC357', '--stack-proviso is the cycle proviso of a depth-first search with partial-order reduction into a stored state space: add --por and --strategy dfs (and no --store bitstate)');
  if (opts.store === 'bitstate') return bitstateSearch(model, rt, opts, t0, { por, sym }, reduction);
  const eng = engine ? engine(rt, { por, sym }) : null;
  // The cycle search's edge cache, recorded by the exploration where it can (a breadth-first search without reductions).
  const record = livenessWanted && opts.edgeCache && por === null && sym === null && opts.strategy === 'bfs' && opts.store === 'exact' && rt.threads < MAX_CACHED_THREADS;
  try {
    return finishSearch(model, rt, opts, t0, eng, { por, sym }, reduction, livenessWanted, record);
  } finally {
    eng?.close();
  }
}

function finishSearch(model: BuiltModel, rt: Runtime, opts: SearchOptions, t0: number, eng: ExploreEngine | null, red: Reducers, reduction: SearchResult['reduction'], livenessWanted: boolean, record: boolean): SearchResult & { runtime: Runtime; store: Store } {
  const { por, sym } = red;
  const porReduced = () => {
    if (por) reduction.por = { reducedStates: por.reducedStates, reasons: por.reasons.slice() };
  };
  let store: Store;
  let ex: ExploreOutcome;
  if (eng) {
    store = eng.store;
    ex = eng.explore(opts, t0, record);
  } else {
    const onGrowth = opts.monitor?.busy?.bind(opts.monitor);
    const own: StateStore | CompactStore = opts.store === 'hash-compact' ? new CompactStore(rt.words) : new StateStore(rt.words, (b, o) => rt.hash(b, o), { mayAdd: (bytes) => memoryFits(bytes, own.bytes(), opts), ...(onGrowth ? { onGrowth } : {}) });
    if (own instanceof CompactStore && onGrowth) own.onGrowth = onGrowth;
    store = own;
    ex = explore(rt, own, opts, t0, { por, sym }, record ? new EdgeRecorder(opts, () => own.bytes()) : null);
  }
  let violation = ex.violation ? violationFrom(rt, store, ex.violation, sym) : null;
  let livenessChecked = false;
  /** Where the cycle search was when a limit or a signal stopped it. */
  let cycleStop: CycleSearchAt | null = null;
  if (!violation && !ex.incomplete && livenessWanted) {
    const lopts = livenessOptions(opts, ex, store);
    const progress = new CycleProgress(model, opts.onProgress, opts.monitor, t0, { states: store.count, transitions: ex.transitions, depth: ex.depth, bytes: store.bytes() });
    // Under symmetry the cycles are judged on the lift of the quotient (sym-liveness.ts).
    const lv = sym ? checkSymmetricLiveness(rt, store as StateStore, sym, lopts, t0, progress) : checkLiveness(rt, store as StateStore, lopts, t0, por, ex.transitions, ex.edges ?? null, eng?.passPool() ?? null, progress);
    if (typeof lv === 'string') {
      ex.incomplete = lv;
      cycleStop = progress.at();
    } else {
      violation = lv;
      livenessChecked = true;
    }
  }
  // The helpers' coverage is in once they have stopped.
  eng?.close();
  porReduced();
  if (store instanceof CompactStore || (store instanceof SharedStore && store.compact)) {
    const missed = store.expectedCollisions();
    reduction.store = { mode: 'hash-compact', expectedMissed: missed, probabilityAnyMissed: 1 - Math.exp(-missed), bytesPerState: store.residentBytesPerState() };
  }
  const seconds = (performance.now() - t0) / 1000;
  const stats: SearchStats = {
    states: store.count,
    transitions: ex.transitions,
    depth: ex.depth,
    seconds,
    statesPerSecond: seconds > 0 ? store.count / seconds : 0,
    bytesPerState: store.count > 0 ? store.bytes() / store.count : 0,
    storeBytes: store.bytes(),
    peakRssMB: opts.monitor !== null ? opts.monitor.peakRssMB() : 0,
    bitsPerState: rt.layout.bits,
    words: rt.words,
    workers: eng !== null ? eng.workers() : 1,
  };
  return {
    verdict: violation ? 'violation' : ex.incomplete ? 'incomplete' : 'pass',
    violation,
    incomplete:
      ex.incomplete && !violation
        ? { reason: ex.incomplete, states: store.count, depth: ex.depth, frontier: ex.frontier, ...(ex.storeFull !== undefined ? { storeFullBytes: ex.storeFull } : {}), ...(cycleStop !== null ? { cycleSearch: cycleStop } : {}) }
        : null,
    stats,
    fairness: livenessWanted ? opts.fairness : null,
    livenessChecked,
    reduction,
    coverage: !violation && !ex.incomplete ? coverageOf(rt) : null,
    runtime: rt,
    store,
  };
}
