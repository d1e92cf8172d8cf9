import { NO_PARENT, type StateStore } from '../store/store.ts';
import type { CompactStore } from '../store/compact.ts';
import type { SharedStore } from '../store/shared-store.ts';
import type { Runtime } from '../exec/runtime.ts';
import { q } from '../model/errors.ts';
import type { Symmetry } from '../reduce/symmetry.ts';
import type { FoundViolation, PathStep } from './types.ts';
import { makeViolation } from './violation.ts';
import { CONFIRM_TIMES, notDeterministic, stepName } from '../exec/determinism.ts';

/**
 * Counterexamples from the parent log of a store: the path of stored
 * states back to the initial state, and the steps along it found again by
 * re-expanding (no step is stored per state).
 */

/** The stores a search fills: exact states, 64-bit fingerprints (hash-compact), or the multi-core search's shared states. */
export type Store = StateStore | CompactStore | SharedStore;
/** The stores the one-thread exploration inserts into. */
export type ExploreStore = StateStore | CompactStore;

/** A violation found in a stored state: its kind and property, the state, and for an assertion the failing step. */
export interface StoredViolation {
  kind: 'invariant' | 'assertion' | 'deadlock';
  property: string;
  state: number;
  failStep?: PathStep;
}

/**
 * What expanding stored state `s` (its words at `buf[off..]`) found, from
 * `n`, the count Runtime.expand returned: a failed assertion (n < 0, the
 * failing step read off the runtime), a deadlock (no successor while some
 * thread is not at an end label, when deadlocks are checked), or nothing.
 */
export function expansionViolation(rt: Runtime, buf: Uint32Array, off: number, n: number, s: number, deadlockOn: boolean): StoredViolation | null {
  if (n < 0) return { kind: 'assertion', property: rt.failProperty, state: s, failStep: { thread: rt.failThread, step: rt.failStep, choice: rt.failChoice } };
  if (n === 0 && deadlockOn && !rt.allEnded(buf, off)) return { kind: 'deadlock', property: 'deadlock', state: s };
  return null;
}

/**
 * Store the initial state (canonical under symmetry) through `insert`, as
 * state 0, and say which invariant it violates, if any: how every
 * exploration starts.
 */
export function storeInitial(rt: Runtime, sym: Symmetry | null, insert: (init: Uint32Array, h: number) => void): StoredViolation | null {
  const init = rt.initial();
  if (sym) sym.canonicalize(init, 0);
  insert(init, rt.hash(init, 0));
  const v = rt.checkInvariants(init, 0);
  return v >= 0 ? { kind: 'invariant', property: rt.model.invariants[v]!.name, state: 0 } : null;
}

/** State indices from the initial state to `idx`, following the parent log. */
export function pathTo(store: Store, idx: number): number[] {
  const path: number[] = [];
  for (let s = idx; s !== NO_PARENT; s = store.parentOf(s)) path.push(s);
  return path.reverse();
}

/** The number of steps from the initial state to stored state idx along the parents (its BFS depth after a breadth-first search). */
export function depthOf(store: Store, idx: number): number {
  let d = 0;
  for (let s = store.parentOf(idx); s !== NO_PARENT; s = store.parentOf(s)) d++;
  return d;
}

/**
 * The steps along a stored path, found again by re-expanding: walk forward
 * from the concrete initial state and at each stored state pick a successor
 * whose (canonical, under symmetry) form equals it. Under symmetry the stored
 * states are representatives, so the concrete walk is a permuted copy of the
 * stored path: a real execution of the unreduced model.
 */
export function concreteSteps(rt: Runtime, store: Store, path: readonly number[], sym: Symmetry | null = null): { steps: PathStep[]; last: Uint32Array } {
  const W = rt.words;
  let cur = rt.initial();
  const cand = new Uint32Array(W);
  const steps: PathStep[] = [];
  for (let p = 1; p < path.length; p++) {
    // Every step of the path is checked: the search reached path[p] from path[p-1], so re-execution must too.
    const n = rt.expandChecked(cur, 0);
    let found = -1;
    for (let i = 0; i < n && found < 0; i++) {
      for (let k = 0; k < W; k++) cand[k] = rt.succ[i * W + k]!;
      if (sym) sym.canonicalize(cand, 0);
      if (store.matches(path[p]!, cand, 0, rt.hash(cand, 0))) found = i;
    }
    if (found < 0) {
      const after = p === 1 ? 'the initial state' : `the state reached by ${stepName(rt, steps[p - 2]!.thread, steps[p - 2]!.step)} at depth ${p - 1}`;
      throw notDeterministic(rt, `re-executing the counterexample, no step from ${after} leads to stored state ${path[p]}, which the search reached from it`);
    }
    steps.push({ thread: rt.succThread[found]!, step: rt.succStep[found]!, choice: rt.succChoice[found]! });
    cur = rt.succ.slice(found * W, (found + 1) * W);
  }
  return { steps, last: cur };
}

export function stepsAlong(rt: Runtime, store: Store, path: readonly number[]): PathStep[] {
  return concreteSteps(rt, store, path).steps;
}

export function violationFrom(rt: Runtime, store: Store, v: StoredViolation, sym: Symmetry | null = null): FoundViolation {
  const { steps, last } = concreteSteps(rt, store, pathTo(store, v.state), sym);
  if (v.failStep) {
    if (!sym) {
      const f = v.failStep;
      if (!(rt.expandChecked(last, 0, f.thread, 0, CONFIRM_TIMES) < 0 && rt.failStep === f.step && rt.failChoice === f.choice && rt.failProperty === v.property))
        throw notDeterministic(rt, `re-executing the counterexample, ${stepName(rt, f.thread, f.step)} does not fail assertion ${q(v.property)} in the state at depth ${steps.length}, where the search saw it fail`);
      steps.push(f);
    } else {
      // The failing step of the representative is some thread's step in the concrete (permuted) state.
      let fs: PathStep | null = null;
      for (let t = 0; t < rt.threads && !fs; t++)
        if (rt.expandChecked(last, 0, t, 0, CONFIRM_TIMES) < 0 && rt.failProperty === v.property) fs = { thread: rt.failThread, step: rt.failStep, choice: rt.failChoice };
      if (!fs) throw notDeterministic(rt, `re-executing the counterexample, no step fails assertion ${q(v.property)} in the state at depth ${steps.length}, where the search saw it fail`);
      steps.push(fs);
    }
  }
  if (v.kind === 'deadlock' && rt.expandChecked(last, 0, -1, 0, CONFIRM_TIMES) !== 0)
    throw notDeterministic(rt, `re-executing the counterexample, the state at depth ${steps.length} has steps enabled, where the search found none`);
  return makeViolation(v.kind, v.property, steps);
}
