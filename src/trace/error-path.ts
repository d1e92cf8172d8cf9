import type { BuiltModel } from '../model/build.ts';
import { isMcError, McError } from '../model/errors.ts';
import { Runtime } from '../exec/runtime.ts';
import { notDeterministic } from '../exec/determinism.ts';
import { NO_PARENT, StateStore } from '../store/store.ts';
import { pathTrace } from './build.ts';
import type { TraceFile } from './format.ts';
import { memoryFits } from '../search/edge-cache.ts';
import { pathTo, stepsAlong } from '../search/stored-path.ts';
import { defaultOptions, type SearchOptions } from '../search/types.ts';

/**
 * Where a model error happened. A step or invariant that throws, writes
 * outside a domain or returns no boolean does so in some state, and the
 * coded message names the function but not the state: in a model of some
 * depth, not how to get there. A search that stops with such an error
 * (marked `atState` by the runtime: `inState` in runtime.ts) is followed by a plain
 * breadth-first search, one thread and no reduction, for the first state
 * in which the model's functions throw; the error it meets there is
 * reported, with the shortest path to that state and what threw in it.
 * Since it is found the same way whatever the options, `--symmetry`,
 * `--por`, DFS or workers report the same error, reached the same way.
 */

/** What threw in the state the path leads to: a thread's step (and choice), or an invariant. */
export type ErrorAt = { readonly thread: string; readonly step: string; readonly choice: number } | { readonly invariant: string };

export interface ErrorPath {
  /** The steps from the initial state to the state the model threw in, as a trace records them (its property is a placeholder: it is never saved). */
  readonly trace: TraceFile;
  readonly then: ErrorAt;
}

/** A coded error with the path to the state it happened in. */
export type LocatedError = McError & { readonly path: ErrorPath };

/** Whether `e` is a model error thrown in some state (the runtime marks it), by shape: it may come from another copy of this module. */
export function isStateError(e: unknown): boolean {
  return isMcError(e) && (e as { atState?: unknown }).atState === true;
}

/** The path of a located error, by shape (a worker sends it as data). */
export function errorPathOf(e: unknown): ErrorPath | null {
  if (!isMcError(e)) return null;
  const p = (e as { path?: unknown }).path;
  return typeof p === 'object' && p !== null && 'trace' in p && 'then' in p ? (p as ErrorPath) : null;
}

/**
 * What a search that started at `t0` (performance.now()) and threw `e`
 * reports: a model error in some state located (`locateModelError`), until
 * a deadline within the search's time limit and at most twice as long as
 * the search ran (10 s at least), since a breadth-first search may need far
 * longer than the depth-first or reduced one that met the error (which is
 * then reported without its path); anything else as it is.
 */
export function withErrorPath(model: BuiltModel, options: Partial<SearchOptions>, e: unknown, t0: number): unknown {
  if (!isStateError(e)) return e;
  const now = performance.now();
  const deadline = Math.min(t0 + (options.timeLimit ?? defaultOptions.timeLimit) * 1000, now + Math.max(10_000, 2 * (now - t0)));
  return locateModelError(model, options, e as McError, deadline);
}

/**
 * `original` (a model error the search stopped with), located: the first
 * model error in breadth-first order, with its path. Within the search's
 * limits (states, memory, the time left until `deadline`, a stop asked by
 * the monitor); when it is not found within them, `original` as it was.
 * When every reachable state was searched and nothing threw, the model is
 * not deterministic (MC160: its functions threw in an execution this one
 * does not repeat, such as a helper thread's copy of the model file).
 */
export function locateModelError(model: BuiltModel, options: Partial<SearchOptions>, original: McError, deadline: number): McError {
  const opts = { ...defaultOptions, ...options };
  let rt: Runtime;
  try {
    rt = new Runtime(model);
  } catch {
    return original;
  }
  const W = rt.words;
  const store: StateStore = new StateStore(W, (b, o) => rt.hash(b, o), { mayAdd: (bytes): boolean => memoryFits(bytes, store.bytes(), opts) });
  const located = (e: unknown, state: number, then: (steps: ReturnType<typeof stepsAlong>) => ErrorAt): McError => {
    if (!isStateError(e)) return original;
    try {
      const steps = stepsAlong(rt, store, pathTo(store, state));
      const trace = pathTrace(rt, steps);
      return Object.assign(new McError((e as McError).code, (e as McError).message), { path: { trace, then: then(steps) } });
    } catch {
      return original;
    }
  };
  let init: Uint32Array;
  try {
    init = rt.initial();
  } catch {
    return original;
  }
  store.insert(init, 0, rt.hash(init, 0), NO_PARENT);
  try {
    rt.checkInvariants(init, 0);
  } catch (e) {
    return located(e, 0, () => ({ invariant: rt.failingInvariant }));
  }
  let transitions = 0;
  for (let s = 0; s < store.count; s++) {
    if ((s & 1023) === 0) {
      if (performance.now() > deadline || store.refusedForMemory || store.count >= opts.maxStates) return original;
      if (opts.monitor !== null && opts.monitor.poll('explore', store.count, transitions, 0, store.count - s, store.bytes()) !== null) return original;
    }
    const chunk = store.chunkOf(s);
    const off = store.offsetOf(s);
    let n: number;
    try {
      n = rt.expand(chunk, off, -1, 0);
    } catch (e) {
      const at = rt.errorStep;
      return located(e, s, () => ({ thread: model.threads[at.thread]!.name, step: model.threads[at.thread]!.template.steps[at.step]!.name, choice: at.choice }));
    }
    // An assertion that fails (n < 0) ends no path here: what is looked for is a state some function throws in.
    for (let i = 0; i < n; i++) {
      transitions++;
      const o = i * W;
      const r = store.insert(rt.succ, o, rt.hash(rt.succ, o), s);
      if (r < 0) continue;
      try {
        rt.checkInvariants(rt.succ, o);
      } catch (e) {
        return located(e, r, () => ({ invariant: rt.failingInvariant }));
      }
    }
  }
  // Every reachable state expanded and checked, and nothing threw: the search met its error in an execution that this one does not repeat.
  return notDeterministic(
    rt,
    `the search stopped with error ${original.code} (${original.message}), but a breadth-first search of one thread from the initial state, without reductions, then executed every step and invariant in all ${store.count.toLocaleString('en-US')} reachable states without an error (with --workers, each thread loads the model file: its copies must behave alike)`,
  );
}
