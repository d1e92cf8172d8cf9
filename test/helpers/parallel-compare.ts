/**
 * Comparing a multi-core search's result and store with the one-thread
 * search's (law tests of the lockstep and the threaded engines).
 */
import type { Runtime } from '../../src/exec/runtime.ts';
import type { SearchOptions, SearchResult } from '../../src/search/types.ts';
import type { Store } from '../../src/search/stored-path.ts';
import type { StateStore } from '../../src/store/store.ts';
import type { SharedStore } from '../../src/store/shared-store.ts';

/** What must agree between two searches of one model (not the time or memory). */
export const summary = (r: SearchResult) => ({
  verdict: r.verdict,
  states: r.stats.states,
  transitions: r.stats.transitions,
  depth: r.stats.depth,
  violation: r.violation,
  incomplete: r.incomplete,
  coverage: r.coverage,
  livenessChecked: r.livenessChecked,
  porReduced: r.reduction.por?.reducedStates ?? null,
});

/**
 * Every stored state is found at its own number (the cycle search, the
 * counterexample's shortening and the partial-order proviso look states up
 * by their words): the rounds write each new state's number into the record
 * that holds it.
 */
export function findsEach(r: { runtime: Runtime; store: Store }): boolean {
  const st = r.store as SharedStore;
  const x = new Uint32Array(r.runtime.words);
  for (let i = 0; i < st.count; i++) {
    st.read(i, x);
    if (st.find(x, 0, r.runtime.hash(x, 0)) !== i) return false;
  }
  return true;
}

/** The same states at the same indices with the same parents (the words compared when the store keeps them all: W > 0). */
export function sameStore(a: Store, b: Store, W: number): boolean {
  if (a.count !== b.count) return false;
  const x = new Uint32Array(W);
  const y = new Uint32Array(W);
  for (let i = 0; i < a.count; i++) {
    if (a.parentOf(i) !== b.parentOf(i)) return false;
    if (W === 0) continue;
    (a as StateStore).read(i, x);
    (b as StateStore).read(i, y);
    for (let k = 0; k < W; k++) if (x[k] !== y[k]) return false;
  }
  return true;
}

/** A drawn store's search options: hash-compact cannot check livelocks (refused in both engines alike). */
export function withStore(o: Partial<SearchOptions>, store: 'exact' | 'hash-compact'): Partial<SearchOptions> {
  return store === 'hash-compact' ? { ...o, store, liveness: false } : o;
}

type Run = SearchResult & { runtime: Runtime; store: Store };

/** How a multi-core search differs from the one-thread one (null: it does not): result, stored states and parents, and (exact store) each state found at its number. */
export function disagreement(one: Run, many: Run, store: 'exact' | 'hash-compact'): string | null {
  const a = JSON.stringify(summary(one));
  const b = JSON.stringify(summary(many));
  if (a !== b) return `one thread: ${a}\nworkers: ${b}`;
  if (!sameStore(one.store, many.store, store === 'exact' ? one.runtime.words : 0)) return 'the stores differ (a state or parent at some number)';
  if (store === 'exact' && !findsEach(many)) return 'a stored state is not found at its own number';
  return null;
}
