import type { Fairness } from '../model/define.ts';
import { Growable } from '../store/growable.ts';

/**
 * Iterative Tarjan SCC search, shared by the cycle searches on the stored
 * state graph (liveness.ts) and on the symmetry quotient (sym-liveness.ts).
 * Iterative because a counterexample's component can be millions of states
 * deep; the caller owns the per-node arrays so that a refinement (strong
 * fairness) can reset a region and search it again.
 */

/** Per-node numbering of one search; `num[v] === 0` marks a node not yet visited. */
export interface SccState {
  num: Int32Array;
  low: Int32Array;
  comp: Int32Array;
  onStack: Uint8Array;
  nextComp: number;
  counter: number;
}

/** The graph as the search sees it: successors inside the region, and a poll for limits. */
export interface SccGraph {
  /** Push the successors of v that lie in the region onto `out`. */
  successors(v: number, inRegion: (v: number) => boolean, out: Growable<Int32Array>): void;
  /** Called once per search step: throws to stop the search (a limit was reached). */
  tick(): void;
}

const list = (): Growable<Int32Array> => new Growable(new Int32Array(1024));

/**
 * Visits the nodes `roots` reach inside the region and calls `onScc` for
 * each non-trivial component (more than one member, or a self-loop), in the
 * order Tarjan completes them, until it returns a result.
 */
export function tarjan<T>(c: SccState, g: SccGraph, roots: Iterable<number>, inRegion: (v: number) => boolean, onScc: (comp: number, members: Int32Array) => T | null): T | null {
  const edges = list();
  const frameV = list();
  const frameEdge = list(); // cursor into edges
  const frameEnd = list();
  const tstack = list();
  const enter = (v: number) => {
    c.num[v] = c.low[v] = ++c.counter;
    c.onStack[v] = 1;
    tstack.push(v);
    const start = edges.n;
    g.successors(v, inRegion, edges);
    frameV.push(v);
    frameEdge.push(start);
    frameEnd.push(edges.n);
  };
  for (const root of roots) {
    if (c.num[root] !== 0 || !inRegion(root)) continue;
    enter(root);
    while (frameV.n > 0) {
      g.tick();
      const f = frameV.n - 1;
      const v = frameV.a[f]!;
      if (frameEdge.a[f]! < frameEnd.a[f]!) {
        const u = edges.a[frameEdge.a[f]!++]!;
        if (c.num[u] === 0) enter(u);
        else if (c.onStack[u] === 1 && c.num[u]! < c.low[v]!) c.low[v] = c.num[u]!;
        continue;
      }
      // v is done; its edges sit right above its parent's on the edge stack.
      const selfLoop = hasEdgeTo(edges, f > 0 ? frameEnd.a[f - 1]! : 0, frameEnd.a[f]!, v);
      frameV.n--;
      frameEdge.n--;
      edges.n = f > 0 ? frameEnd.a[f - 1]! : 0;
      frameEnd.n--;
      if (f > 0) {
        const p = frameV.a[f - 1]!;
        if (c.low[v]! < c.low[p]!) c.low[p] = c.low[v]!;
      }
      if (c.low[v] === c.num[v]) {
        const id = c.nextComp++;
        let i = tstack.n;
        do {
          i--;
          c.onStack[tstack.a[i]!] = 0;
          c.comp[tstack.a[i]!] = id;
        } while (tstack.a[i] !== v);
        // A trivial component (one state, no self-loop) is not copied out: most components are.
        const size = tstack.n - i;
        const members = size > 1 || selfLoop ? tstack.a.slice(i, tstack.n) : null;
        tstack.n = i;
        if (members !== null) {
          const r = onScc(id, members);
          if (r !== null) return r;
        }
      }
    }
  }
  return null;
}

/** A component's smallest node: the one nearest the initial state (nodes are numbered by their states, in BFS order), where a lasso enters its cycle. */
export function smallestMember(members: Int32Array): number {
  let entry = members[0]!;
  // An indexed loop: for-of over a typed array of millions of members took several times as long (put-and-wait with 8 faulters: 88 ms over its 6.78 M-state component's three calls).
  for (let i = 1; i < members.length; i++) if (members[i]! < entry) entry = members[i]!;
  return entry;
}

/** A component that holds a fair cycle (or a fair part of one), with its membership test. */
export interface FairComponent {
  members: Int32Array;
  inComp: (v: number) => boolean;
}

/** A cycle search's fair component nearest the initial state so far, and its smallest node (the node count: none yet). */
export interface NearestKept {
  best: FairComponent | null;
  bestEntry: number;
}

/**
 * Judges a component (`judge`) unless its smallest node is no nearer the
 * initial state than the kept one's, and keeps it when it is fair and live.
 * Returns the judgement of a live component that is not fair as a whole
 * (strong fairness then looks for a fair part of it), else null.
 */
export function judgeIfNearer<J extends { live: boolean; ok: boolean }>(k: NearestKept, members: Int32Array, inComp: (v: number) => boolean, judge: () => J): J | null {
  const entry = smallestMember(members);
  if (entry >= k.bestEntry) return null;
  const j = judge();
  if (!j.live) return null;
  if (!j.ok) return j;
  k.best = { members, inComp };
  k.bestEntry = entry;
  return null;
}

function hasEdgeTo(edges: Growable<Int32Array>, from: number, to: number, v: number): boolean {
  for (let i = from; i < to; i++) if (edges.a[i] === v) return true;
  return false;
}

/**
 * The per-thread obligations of a cycle through a whole component: under
 * weak fairness a thread enabled in every member must move inside it (else
 * the cycle is not fair); under strong fairness one enabled in some member
 * must, and those that do not are the offenders whose states a refinement
 * drops. `moved`, `everywhere` and `somewhere` are indexed by thread.
 */
export function fairVerdict(fairness: Fairness, moved: Uint8Array, everywhere: (t: number) => boolean, somewhere: Uint8Array): { ok: boolean; offenders: Uint8Array } {
  const offenders = new Uint8Array(moved.length);
  let ok = true;
  for (let t = 0; t < moved.length; t++) {
    if (moved[t]) continue;
    if (fairness === 'weak' && everywhere(t)) ok = false;
    if (fairness === 'strong' && somewhere[t]) {
      ok = false;
      offenders[t] = 1;
    }
  }
  return { ok, offenders };
}

/** A cycle search that refines components under strong fairness: the kept nodes carry the refinement's stamp. */
export interface Refining extends SccState {
  keep: Int32Array | null;
  keepStamp: number;
}

/**
 * Strong fairness's refinement of a component that is not fair as a whole:
 * its members but those `dropped` (where an offender is enabled) are
 * stamped, unvisited and searched again (`search`, with membership by the
 * stamp alone, as the nested search gives them new component ids). A nested
 * refinement restamps a subset of them, which then leaves this one's region:
 * their components are complete, so this search no longer looks at them.
 */
export function refineComponent(c: Refining, members: Int32Array, dropped: (v: number, i: number) => boolean, search: (kept: number[], inRegion: (v: number) => boolean) => void): void {
  if (c.keep === null || c.keep.length < c.num.length) c.keep = new Int32Array(c.num.length);
  const keep = c.keep;
  const stamp = ++c.keepStamp;
  const kept: number[] = [];
  for (let i = 0; i < members.length; i++) {
    const v = members[i]!;
    if (dropped(v, i)) continue;
    keep[v] = stamp;
    kept.push(v);
    c.num[v] = 0;
    c.onStack[v] = 0;
  }
  if (kept.length > 0) search(kept, (u) => u >= 0 && keep[u] === stamp);
}
