import type { SearchOptions, SearchResult } from '../search/types.ts';
import { count, n } from './common.ts';

/**
 * The options of the cross-check's second search: the same, without
 * reductions (exact store, no POR, no symmetry) and in one worker. One
 * worker is the reference for `--workers N` as for the reductions: each
 * helper thread loads the model file itself, and a model whose copies
 * differ from one thread to the next in a way the search's sampled checks
 * miss (a module-level value set by the thread it runs in, read by an
 * invariant true in one state only) answers otherwise with several workers.
 */
export function unreducedOptions<O extends Partial<SearchOptions>>(opts: O): O {
  return { ...opts, por: false, symmetry: false, deadVars: false, store: 'exact', workers: 1 };
}

/** `check --cross-check`: the search `r` compared with `full`, the same model searched with `unreducedOptions`. */
export function crossCheck(r: SearchResult, full: SearchResult, opts: Partial<SearchOptions>) {
  const reduced = opts.por || opts.symmetry || opts.deadVars || opts.store === 'bitstate';
  const vk = (x: SearchResult) => (x.violation ? `${x.violation.kind}:${x.violation.property}` : x.verdict);
  const sameVerdict = r.verdict === full.verdict && vk(r) === vk(full);
  // Without state-reducing options the counts must agree exactly; with them the reduced search may only be smaller.
  const countsOk = r.verdict !== 'pass' || (reduced ? r.stats.states <= full.stats.states : r.stats.states === full.stats.states && r.stats.transitions === full.stats.transitions);
  // A safety counterexample of the unreduced breadth-first search is a shortest one: no search finds a shorter one (a reduced one may be longer).
  const safety = (x: SearchResult) => x.violation !== null && x.violation.kind !== 'livelock';
  const fewer = sameVerdict && safety(r) && safety(full) && (opts.strategy ?? 'bfs') === 'bfs' && r.violation!.steps.length < full.violation!.steps.length;
  const agree = sameVerdict && countsOk && !fewer;
  const ratio = full.stats.states / Math.max(1, r.stats.states);
  const ref = (opts.workers ?? 1) > 1 ? 'unreduced one-worker' : 'unreduced';
  // A lasso's stem is what is shortest (the cycle is short, not shortest): compared by it.
  const stem = (x: SearchResult) => x.violation!.cycleStart ?? 0;
  const lengths = !sameVerdict || !r.violation || !full.violation ? '' : safety(r) ? `; counterexample ${count(r.violation.steps.length, 'step')}, ${n(full.violation.steps.length)} unreduced` : `; lasso ${count(r.violation.steps.length, 'step')} (stem ${n(stem(r))}), ${n(full.violation.steps.length)} unreduced (stem ${n(stem(full))})`;
  const longer = !lengths ? '' : safety(r) ? (r.violation!.steps.length > full.violation!.steps.length ? ' (this one is not a shortest: --minimize gives one)' : '') : stem(r) > stem(full) ? ' (its stem is not a shortest: --minimize gives the shortest stem to its cycle)' : '';
  const summary = agree
    ? `cross-check: agrees with the ${ref} search (${vk(full)}; ${count(full.stats.states, 'state')} unreduced, ${n(r.stats.states)} reduced, ratio ${ratio.toFixed(2)}${lengths})${longer}`
    : fewer
      ? `CROSS-CHECK FAILED: this run's counterexample has ${count(r.violation!.steps.length, 'step')}, fewer than the ${n(full.violation!.steps.length)} of the ${ref} breadth-first search, which finds a shortest`
      : `CROSS-CHECK FAILED: the ${ref} search says ${vk(full)} with ${count(full.stats.states, 'state')} / ${count(full.stats.transitions, 'transition')}; this run says ${vk(r)} with ${n(r.stats.states)} / ${n(r.stats.transitions)}`;
  return { agree, summary, unreduced: { verdict: full.verdict, violation: full.violation ? { kind: full.violation.kind, property: full.violation.property, length: full.violation.steps.length } : null, states: full.stats.states, transitions: full.stats.transitions }, ratio };
}
