import { NO_PARENT, StateStore } from '../store/store.ts';
import { Growable } from '../store/growable.ts';
import { hashWords } from '../layout/hash.ts';
import { composePerm, invertPerm, permOrder } from '../reduce/thread-perm.ts';
import { notDeterministic, stepName } from '../exec/determinism.ts';
import type { QuotientGraph } from './quotient-graph.ts';
import { concreteSteps, pathTo } from './stored-path.ts';
import { smallestMember } from './tarjan.ts';
import type { FoundViolation, PathStep } from './types.ts';
import { livelockViolation } from './violation.ts';

/**
 * The lasso of a fair component found on the symmetry quotient, as concrete
 * steps of the unreduced model.
 *
 * Stem: the stored path to the component's smallest node, walked on the
 * concrete model (stored-path.ts); its end is π₀·u for the entry state u.
 * Cycle: built on lifted pairs (node, frame π), where a thread j of the node
 * is the model's thread π(j), so that fairness obligations are about real
 * threads: from the entry, shortest detours to a node where a thread still
 * owed a step can take one (or, under weak fairness, is disabled), one
 * thread at a time as the unreduced search does, then the way back to the
 * entry node. A detour is a breadth-first search over (node, the owed
 * thread's position in the node's numbering), which follows that thread
 * through the renamings: at most the component times the group size, where
 * the lifted pairs would be the component times the group. That walk ends at the entry node in frame
 * π₀·g; repeated ord(g) times it closes on the concrete state it started
 * from. Each repetition is the first one with threads renamed by a power of
 * g, so what the first covered (every thread moved, or disabled, or never
 * enabled) the whole cycle covers. Every step is found again on the
 * concrete model, as the transition that yields exactly the permuted
 * successor.
 */
export function symmetricLasso(g: QuotientGraph, members: Int32Array, inComp: (x: number) => boolean, tick: () => void): FoundViolation {
  const { rt, store, sym, T } = g;
  const entry = smallestMember(members);
  const ue = g.stateOf(entry);
  const { steps: stem, last } = concreteSteps(rt, store, pathTo(store, ue), sym);
  const s0 = new Int32Array(T);
  const cand = last.slice();
  sym.canonicalize(cand, 0, s0);
  if (!store.matches(ue, cand, 0, rt.hash(cand, 0))) throw new Error('internal: the stem of a symmetric lasso does not end in the orbit of its entry');
  const x0 = invertPerm(s0, new Int32Array(T));
  const walk = fairWalk(g, entry, x0, inComp, tick);
  const closing = composePerm(invertPerm(x0, new Int32Array(T)), walk.frame, new Int32Array(T));
  const cycle = concretize(g, last, x0, walk.steps, permOrder(closing));
  const watched = g.watchedAt(entry);
  return livelockViolation(rt, [...stem, ...cycle], stem.length, watched < 0 ? -1 : x0[watched]!);
}

interface Walk {
  /** (node, index of the transition in rt.expand of the node's state) per step, flat. */
  steps: Growable<Int32Array>;
  /** The frame the walk ends in (at the entry node). */
  frame: Int32Array;
}

/** A walk from (entry, x0) back to the entry node that meets every fairness obligation and passes a live node. */
function fairWalk(g: QuotientGraph, entry: number, x0: Int32Array, inComp: (x: number) => boolean, tick: () => void): Walk {
  const T = g.T;
  const weak = g.fairness === 'weak';
  const strong = g.fairness === 'strong';
  const moved = new Uint8Array(T);
  const disabledSeen = new Uint8Array(T);
  const enabledSeen = new Uint8Array(T);
  let live = false;
  const steps = new Growable(new Int32Array(64));
  let b = entry;
  let x: Int32Array = x0.slice();
  const inv = new Int32Array(T);
  const visit = () => {
    g.expand(b);
    for (let j = 0; j < T; j++) (g.enabled[j] ? enabledSeen : disabledSeen)[x[j]!] = 1;
    if (!live) live = g.live(b);
  };
  /** Take the transition with expansion index i from the current node. */
  const take = (i: number) => {
    const n = g.expand(b);
    let e = 0;
    while (e < n && g.index[e] !== i) e++;
    if (e === n) throw new Error('internal: a step of a symmetric lasso is no longer an edge of the quotient');
    steps.push2(b, i);
    moved[x[g.thread[e]!]!] = 1;
    const next = composePerm(x, invertPerm(g.sigmaOf(e), inv), new Int32Array(T));
    b = g.target[e]!;
    x = next;
    visit();
  };
  const owed = (t: number) => !moved[t] && ((weak && !disabledSeen[t]) || (strong && enabledSeen[t] === 1));
  /** At node c, thread j (in c's numbering) is disabled (weak) or can move inside the component: the edge's expansion index, -2 for disabled, -1 for neither. */
  const settles = (c: number, j: number): number => {
    const n = g.expand(c);
    if (weak && !g.enabled[j]) return -2;
    for (let e = 0; e < n; e++) if (g.thread[e] === j && inComp(g.target[e]!)) return g.index[e]!;
    return -1;
  };
  visit();
  // Each detour settles an obligation for good (a move, a disabled state, a live node), so at most
  // T + 1 detours, each followed by at most one way back (strong fairness may add obligations on it).
  for (let round = 0; ; round++) {
    if (round > 2 * T + 4) throw new Error('internal: the fair cycle of a symmetric component does not close');
    if (!live) {
      for (const i of trackedBfs(g, b, -1, inComp, (c) => g.live(c), true, tick)) take(i);
      continue;
    }
    let t = 0;
    while (t < T && !owed(t)) t++;
    if (t === T) {
      if (b === entry && steps.n > 0) break;
      for (const i of trackedBfs(g, b, -1, inComp, (c) => c === entry, false, tick)) take(i);
      continue;
    }
    // Follow thread t through the renamings: its position in the numbering of each node on the way.
    let k = 0;
    while (x[k] !== t) k++;
    for (const i of trackedBfs(g, b, k, inComp, (c, j) => settles(c, j) !== -1, true, tick)) take(i);
    k = 0;
    while (x[k] !== t) k++;
    const i = settles(b, k);
    if (i >= 0) take(i);
  }
  return { steps, frame: x };
}

/**
 * Breadth-first search inside the component from node `from`, following one
 * thread (at position k0 in from's numbering; -1 for none) through the
 * renamings, to the nearest (node, position) satisfying `target` (the start
 * itself only when allowSelf); returns the expansion indices of the steps.
 * At most the component's size times the thread's group size entries, kept
 * in a state store of (node, position + 1).
 */
function trackedBfs(g: QuotientGraph, from: number, k0: number, inComp: (c: number) => boolean, target: (c: number, k: number) => boolean, allowSelf: boolean, tick: () => void): number[] {
  const T = g.T;
  const hash = (buf: Uint32Array, off: number) => hashWords(buf, off, 2);
  const seen = new StateStore(2, hash);
  const via = new Growable(new Int32Array(256));
  const enc = new Uint32Array(2);
  const cur = new Uint32Array(2);
  const unwind = (idx: number, extra: number[]): number[] => {
    const out = extra;
    for (let s = idx; s !== 0; s = seen.parentOf(s)) out.push(via.a[s]!);
    return out.reverse();
  };
  enc[0] = from;
  enc[1] = k0 + 1;
  seen.insert(enc, 0, hash(enc, 0), NO_PARENT);
  via.push(-1);
  for (let head = 0; head < seen.count; head++) {
    tick();
    seen.read(head, cur);
    const c = cur[0]!;
    const k = cur[1]! - 1;
    if ((head > 0 || allowSelf) && target(c, k)) return unwind(head, []);
    const n = g.expand(c);
    for (let e = 0; e < n; e++) {
      const v = g.target[e]!;
      if (!inComp(v)) continue;
      const i = g.index[e]!;
      enc[0] = v;
      enc[1] = k < 0 ? 0 : g.sigma[e * T + k]! + 1;
      const r = seen.insert(enc, 0, hash(enc, 0), head);
      if (r >= 0) via.push(i);
      else if (!allowSelf && seen.find(enc, 0, hash(enc, 0)) === 0) {
        // Back at the start: a closed walk, if the start is a target.
        if (target(v, enc[1]! - 1)) return unwind(head, [i]);
        g.expand(c);
      }
    }
  }
  throw new Error('internal: a component of the symmetric liveness search is not strongly connected');
}

/** The walk as steps of the unreduced model from `start` in frame x0, repeated `times` times; it must close. */
function concretize(g: QuotientGraph, start: Uint32Array, x0: Int32Array, walk: Growable<Int32Array>, times: number): PathStep[] {
  const { rt, store, sym, T } = g;
  const W = rt.words;
  let X: Uint32Array = start.slice();
  const Y = new Uint32Array(W);
  const w = new Uint32Array(W);
  const sigma = new Int32Array(T);
  const inv = new Int32Array(T);
  let x: Int32Array = x0.slice();
  const out: PathStep[] = [];
  for (let r = 0; r < times; r++) {
    for (let s = 0; s < walk.n; s += 2) {
      const u = g.stateOf(walk.a[s]!);
      const i = walk.a[s + 1]!;
      rt.expand(store.chunkOf(u), store.offsetOf(u));
      for (let k = 0; k < W; k++) w[k] = rt.succ[i * W + k]!;
      const t = x[rt.succThread[i]!]!;
      const step = rt.succStep[i]!;
      // The concrete successor is the node's successor renamed by the frame.
      sym.permute(x, w, 0, Y, 0);
      const n = rt.expandChecked(X, 0);
      let found = -1;
      for (let j = 0; j < n && found < 0; j++) {
        if (rt.succThread[j] !== t || rt.succStep[j] !== step) continue;
        let k = 0;
        while (k < W && rt.succ[j * W + k] === Y[k]) k++;
        if (k === W) found = j;
      }
      if (found < 0) throw notDeterministic(rt, `re-executing a livelock found under symmetry, ${stepName(rt, t, step)} does not lead to the renamed successor of the representative's step`);
      out.push({ thread: t, step, choice: rt.succChoice[found]! });
      X = Y.slice();
      sym.canonicalize(w, 0, sigma);
      x = composePerm(x, invertPerm(sigma, inv), new Int32Array(T));
    }
  }
  for (let k = 0; k < W; k++) if (X[k] !== start[k]) throw new Error('internal: the cycle of a symmetric lasso does not close');
  return out;
}
