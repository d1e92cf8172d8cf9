import { sharedStoreBuffers } from '../store/shared-store.ts';
import { Runtime } from '../exec/runtime.ts';
import type { BuiltModel } from '../model/build.ts';
import { Symmetry } from '../reduce/symmetry.ts';
import type { ExploreEngine } from './check.ts';
import { searchWith } from './check.ts';
import { applyDeadVariables } from '../reduce/dead-vars.ts';
import { PartialOrder } from '../reduce/por.ts';
import type { Reducers } from './explore.ts';
import { defaultParallelOptions, exploreParallel, lockstepDriver, orCoverage, collectHelpers, type ParallelExploreOptions, type RoundDriver } from './parallel-explore.ts';
import { newControl, parallelBuffers, phaseTimes, RoundWorker, type ParallelBuffers } from './parallel-round.ts';
import type { SearchOptions, SearchResult } from './types.ts';
import { memoryFits } from './edge-cache.ts';
import type { Store } from './stored-path.ts';

/**
 * The multi-core breadth-first search as an engine of `searchWith`: the
 * shared buffers, worker 0 (this thread) and a driver for the others. The
 * run layer's driver starts helper threads (`src/run/parallel-search.ts`);
 * `searchLockstep` runs every worker in this thread in turn, for the law
 * tests (same rounds and ownership, no threads).
 */
export interface SharedEngineOptions {
  readonly workers: number;
  /** The CPUs the process may run on (default: the workers); with more workers than that, a waiting worker sleeps at once. */
  readonly cpus?: number;
  /** Initial table slots (tests use tiny tables so that growth is exercised). */
  readonly initialSlots?: number;
  /** Hash-compact: initial states of the frontier ring (tests use tiny rings so that it grows). */
  readonly initialRing?: number;
  readonly parallel?: ParallelExploreOptions;
  /** The store's buffers' own largest size in bytes, below a growable buffer's (tests: a store that is full; the memory limit may bound them further). */
  readonly maxStoreBytes?: number;
  /** Measure each worker's milliseconds per phase of the rounds (`PHASES`; off by default) and hand them here at the end. */
  readonly onPhaseTimes?: (ms: number[][]) => void;
}


export function sharedEngine(
  rt: Runtime,
  red: Reducers,
  opts: Partial<SearchOptions>,
  eo: SharedEngineOptions,
  driverFor: (bufs: ParallelBuffers, w0: RoundWorker) => RoundDriver & { finish(aborted: boolean): void },
): ExploreEngine {
  const memMB = opts.memoryLimitMB ?? Infinity;
  const control = newControl();
  const store = sharedStoreBuffers(rt.words, control, { initialSlots: eo.initialSlots ?? 256, compact: opts.store === 'hash-compact', ...(eo.initialRing !== undefined ? { ringStates: eo.initialRing } : {}), ...(eo.maxStoreBytes !== undefined ? { bufferBytes: eo.maxStoreBytes } : {}), ...(Number.isFinite(memMB) ? { maxBytes: memMB * 1024 * 1024 } : {}) });
  const bufs = parallelBuffers(rt.words, eo.workers, store, rt.fired.length + rt.reached.length, eo.onPhaseTimes !== undefined, rt.threads, eo.cpus ?? eo.workers);
  const w0 = new RoundWorker(0, rt, red.sym, bufs, opts.deadlock ?? rt.model.deadlock, red.por);
  const driver = driverFor(bufs, w0);
  let open = true;
  const close = (aborted: boolean): void => {
    if (!open) return;
    open = false;
    driver.finish(aborted);
    const ms = phaseTimes(bufs);
    if (ms && eo.onPhaseTimes) eo.onPhaseTimes(ms);
  };
  let recorded = false;
  // Threads that took part: the most in one round, or the search thread and the helpers that share the cycle search's passes.
  let took = 1;
  return {
    store: w0.store as Store,
    workers: () => took,
    explore(o, t0, record) {
      // The coordinator grows the table; it quadruples only when the memory allows (`nextTableSlots`).
      w0.store.mayAdd = (bytes) => memoryFits(bytes, w0.store.bytes(), o);
      w0.store.onGrowth = o.monitor?.busy?.bind(o.monitor) ?? null;
      try {
        const out = exploreParallel(w0, driver, o, t0, red, eo.parallel ?? defaultParallelOptions, record);
        recorded = out.edges != null;
        took = Math.max(took, out.workers ?? 1);
        return out;
      } catch (e) {
        close(true);
        throw e;
      }
    },
    // The helpers, kept after the exploration, share the cycle search's passes over the recorded edges; otherwise they go before it (a thread's memory is given back when it ends).
    passPool: () => {
      const pool = open && recorded ? driver.passPool(w0) : null;
      if (pool !== null) {
        took = Math.max(took, 1 + Math.min(driver.joined(), eo.workers - 1));
        opts.monitor?.workers?.(took);
      }
      if (pool === null) close(false);
      else pool.decline = () => close(false);
      return pool;
    },
    close: () => close(false),
  };
}

/**
 * The multi-core search with every worker in this thread (law tests).
 * `helperModel` stands for what the helper threads load (by default the
 * same model): a different one shows what a model that behaves differently
 * in another thread does.
 */
export function searchLockstep(model: BuiltModel, options: Partial<SearchOptions>, eo: SharedEngineOptions, helperModel: BuiltModel = model): SearchResult & { runtime: Runtime; store: Store } {
  return searchWith(model, options, lockstepEngine(model, options, eo, helperModel));
}

/** The engine `searchLockstep` explores with (for tests that look at its store and edges). */
export function lockstepEngine(model: BuiltModel, options: Partial<SearchOptions>, eo: SharedEngineOptions, helperModel: BuiltModel = model): (rt: Runtime, red: Reducers) => ExploreEngine {
  return (rt, red) =>
    sharedEngine(rt, red, options, eo, (bufs, w0) => {
      const helpers = Array.from({ length: eo.workers - 1 }, (_, i) => {
        const hrt = new Runtime(helperModel);
        if (options.deadVars) applyDeadVariables(helperModel, hrt);
        const por = red.por ? new PartialOrder(helperModel, { liveness: red.por.liveness }) : null;
        return new RoundWorker(i + 1, hrt, red.sym ? new Symmetry(helperModel, hrt.layout) : null, bufs, options.deadlock ?? helperModel.deadlock, por);
      });
      const d = lockstepDriver(helpers);
      return {
        ...d,
        finish: () => {
          for (const h of helpers) orCoverage(h);
          collectHelpers(w0, 0);
        },
      };
    });
}
