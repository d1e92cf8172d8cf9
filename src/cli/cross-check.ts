import type { SearchOptions, SearchResult } from '../search/types.ts';
import { count, n } from './common.ts';

/** The options of the cross-check's second search: the same, without reductions (exact store, no POR, no symmetry). */
export function unreducedOptions<O extends Partial<SearchOptions>>(opts: O): O {
  return { ...opts, por: false, symmetry: false, deadVars: false, store: 'exact' };
}

/** `check --cross-check`: the search `r` compared with `full`, the same model searched with `unreducedOptions`. */
export function crossCheck(r: SearchResult, full: SearchResult, opts: Partial<SearchOptions>) {
  const reduced = opts.por || opts.symmetry || opts.deadVars || opts.store === 'bitstate';
  const vk = (x: SearchResult) => (x.violation ? `${x.violation.kind}:${x.violation.property}` : x.verdict);
  const sameVerdict = r.verdict === full.verdict && vk(r) === vk(full);
  // Without state-reducing options the counts must agree exactly; with them the reduced search may only be smaller.
  const countsOk = r.verdict !== 'pass' || (reduced ? r.stats.states <= full.stats.states : r.stats.states === full.stats.states && r.stats.transitions === full.stats.transitions);
  const agree = sameVerdict && countsOk;
  const ratio = full.stats.states / Math.max(1, r.stats.states);
  const summary = agree
    ? `cross-check: agrees with the unreduced search (${vk(full)}; ${count(full.stats.states, 'state')} unreduced, ${n(r.stats.states)} reduced, ratio ${ratio.toFixed(2)})`
    : `CROSS-CHECK FAILED: the unreduced search says ${vk(full)} with ${count(full.stats.states, 'state')} / ${count(full.stats.transitions, 'transition')}; this run says ${vk(r)} with ${n(r.stats.states)} / ${n(r.stats.transitions)}`;
  return { agree, summary, unreduced: { verdict: full.verdict, violation: full.violation ? { kind: full.violation.kind, property: full.violation.property } : null, states: full.stats.states, transitions: full.stats.transitions }, ratio };
}
