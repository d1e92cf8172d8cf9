import { invariantFails } from '../layout/views.ts';
import type { Runtime } from '../exec/runtime.ts';
import { notDeterministic } from '../exec/determinism.ts';
import { applyStep, type PathStep } from '../exec/step.ts';
import { StateStore } from '../store/store.ts';
import { grown } from '../store/growable.ts';
import type { FoundViolation } from './types.ts';
import { makeViolation } from './violation.ts';

/**
 * The minimal-counterexample search: among the shortest counterexamples of
 * the same property, one with the fewest context switches (a context switch
 * is two consecutive steps taken by different threads).
 *
 * It is exact, and a second search pass of its own: a breadth-first search
 * from the initial state, level by level, that stops at the first level
 * holding a violation of the property, so it works whatever strategy found
 * the original (a DFS trace comes out shortest too). Along the way a dynamic
 * program runs over the shortest-path DAG (edges from level d to level d+1
 * only). For each state it keeps
 *
 *   m(s) = the fewest switches on any shortest path to s, and
 *   L(s) = the set of threads that can take the last step of such a path.
 *
 * That pair is all the future needs: extending by a step of thread t costs
 * m(s) if t is in L(s) and m(s) + 1 otherwise, and a path to s with more
 * than m(s) switches can never beat one with m(s), since switching costs at
 * most 1. The initial state has m = 0 and L = every thread (the first step is
 * never a switch).
 *
 * The path is rebuilt backwards without stored edges: the predecessors of a
 * state at level d are found by re-expanding level d - 1, a contiguous index
 * range because the store numbers states in discovery order.
 *
 * Memory: the state store plus 4 bytes (m) and 4 * ceil(threads / 32) bytes
 * (L) per state, all in typed arrays; no object per state.
 *
 * Targets per kind, at the minimal depth D:
 * - invariant P: states at level D where P is false (the last step is the
 *   step into them);
 * - assertion P: (state at level D - 1, thread whose step fails P);
 * - deadlock: states at level D with no step enabled, not all at end labels;
 * - livelock: the lasso keeps its cycle. The stem is minimised to the cycle's
 *   states nearest the initial state, and the cycle may be rotated to start
 *   at any of them (same states, same edges, same length), choosing the
 *   rotation with the fewest switches in stem + junction + cycle.
 *
 * A state where some thread's step fails an assertion still has the other
 * threads' successors (expanded thread by thread), so a violation of another
 * property does not hide a path; the failing thread has no successor there.
 */

const INF = 0xffffffff;

/**
 * Asked every POLL_EVERY expansions (and once per level): how far the search
 * got; true stops it (`MinimizeStopped` is thrown). A supervised
 * minimisation publishes the counts and answers its watcher's stop request
 * (a signal, the time or memory limit).
 */
export type MinimalPoll = (states: number, transitions: number, depth: number) => boolean;
const POLL_EVERY = 4096;

/** Thrown when the poll asked the minimising search to stop: how far it got. */
export class MinimizeStopped extends Error {
  constructor(
    readonly states: number,
    readonly transitions: number,
    readonly depth: number,
  ) {
    super(`the minimising search was stopped after ${states} states (depth ${depth})`);
  }
}

/** m and L per state, growing with the store. */
class DpTable {
  readonly mw: number;
  m = new Uint32Array(256);
  last: Uint32Array;
  constructor(threads: number) {
    this.mw = Math.max(1, Math.ceil(threads / 32));
    this.last = new Uint32Array(256 * this.mw);
  }
  /** Make room for state `idx` and mark it unreached. */
  add(idx: number): void {
    if (idx >= this.m.length) {
      this.m = grown(this.m, this.m.length * 2);
      this.last = grown(this.last, this.m.length * this.mw);
    }
    this.m[idx] = INF;
    this.last.fill(0, idx * this.mw, (idx + 1) * this.mw);
  }
  has(s: number, t: number): boolean {
    return ((this.last[s * this.mw + (t >>> 5)]! >>> (t & 31)) & 1) === 1;
  }
  /** Switches on the best shortest path to s that ends with a step of thread t. */
  via(s: number, t: number): number {
    return this.m[s]! + (this.has(s, t) ? 0 : 1);
  }
  relax(u: number, p: number, t: number): void {
    const c = this.via(p, t);
    const base = u * this.mw;
    if (c < this.m[u]!) {
      this.m[u] = c;
      this.last.fill(0, base, base + this.mw);
    } else if (c > this.m[u]!) return;
    this.last[base + (t >>> 5)]! |= 1 << (t & 31);
  }
}

type SuccFn = (i: number) => void;
type FailFn = (thread: number) => void;

/**
 * Expand a stored state, calling onSucc(i) for each successor in rt.succ (i
 * indexes rt.succ / rt.succThread...). When a step fails an assertion the
 * state is expanded thread by thread: onFail(t) for each thread whose
 * expansion fails (rt.fail* describe it), onSucc for the others' successors.
 * Returns the number of successors, or -1 if some thread failed.
 */
function expandEach(rt: Runtime, buf: Uint32Array, off: number, onSucc: SuccFn, onFail: FailFn | null): number {
  const n = rt.expand(buf, off);
  if (n >= 0) {
    for (let i = 0; i < n; i++) onSucc(i);
    return n;
  }
  for (let t = 0; t < rt.threads; t++) {
    const k = rt.expand(buf, off, t);
    if (k < 0) {
      if (onFail) onFail(t);
      continue;
    }
    for (let i = 0; i < k; i++) onSucc(i);
  }
  return -1;
}

/** The state sequence of a path from the initial state (small: one array per step), up to the first step that does not apply. */
export function statesAlong(rt: Runtime, steps: readonly PathStep[]): Uint32Array[] {
  const out = [rt.initial()];
  for (const ps of steps) {
    const r = applyStep(rt, out[out.length - 1]!, ps);
    if (r === null || 'fails' in r) break;
    out.push(r.next);
  }
  return out;
}

/**
 * Among the shortest violations of v's property, one with the fewest context
 * switches; a livelock keeps its cycle. Returns null only when the property
 * has no violation at all (impossible for a violation the search found on
 * this runtime; possible for a trace made on another model).
 */
export function minimalViolation(rt: Runtime, v: FoundViolation, poll: MinimalPoll | null = null): FoundViolation | null {
  const W = rt.words;
  const T = rt.threads;
  const store = new StateStore(W, (b, o) => rt.hash(b, o), { parents: false });
  const dp = new DpTable(T);
  const init = rt.initial();
  store.insert(init, 0, rt.hash(init, 0), 0);
  dp.add(0);
  dp.m[0] = 0;
  for (let t = 0; t < T; t++) dp.last[t >>> 5]! |= 1 << (t & 31);

  const kind = v.kind;
  // Invariant: the property's predicate on a scratch copy (an assertion inside it counts as a violation, as in the search).
  const inv = kind === 'invariant' ? rt.model.invariants.find((x) => x.name === v.property) : undefined;
  if (kind === 'invariant' && !inv) throw new Error(`internal: model ${rt.model.name} has no invariant ${v.property} to minimise`);
  const scratch = new Uint32Array(W);
  const scratchView = rt.views(scratch, true).state;
  const violatesInv = (buf: Uint32Array, off: number): boolean => {
    for (let k = 0; k < W; k++) scratch[k] = buf[off + k]!;
    return invariantFails(inv!.fn, scratchView);
  };

  // Livelock: the cycle's states and steps, from the violation itself.
  const cs = v.cycleStart ?? 0;
  const cycle = kind === 'livelock' ? v.steps.slice(cs) : [];
  const cycleStates = kind === 'livelock' ? statesAlong(rt, v.steps).slice(cs, cs + cycle.length) : [];
  if (kind === 'livelock' && cycleStates.length !== cycle.length) throw new Error('internal: the lasso to minimise does not replay');

  // Targets found so far: a state index, and for an assertion the failing (thread, step, choice).
  const tState: number[] = [];
  const tThread: number[] = [];
  const tStep: number[] = [];
  const tChoice: number[] = [];
  const levelStart: number[] = [0];

  let p = 0; // state being expanded
  let levelEnd = 1;
  let transitions = 0;
  let depth = 0;
  const check = (): void => {
    if (poll !== null && poll(store.count, transitions, depth)) throw new MinimizeStopped(store.count, transitions, depth);
  };
  const onSucc: SuccFn = (i) => {
    transitions++;
    const o = i * W;
    let u = store.insert(rt.succ, o, rt.hash(rt.succ, o), 0);
    if (u >= 0) {
      dp.add(u);
      if (inv && violatesInv(rt.succ, o)) tState.push(u);
    } else u = -u - 1;
    if (u >= levelEnd) dp.relax(u, p, rt.succThread[i]!);
  };
  const onFail: FailFn = (t) => {
    if (kind !== 'assertion' || rt.failProperty !== v.property) return;
    tState.push(p);
    tThread.push(t);
    tStep.push(rt.failStep);
    tChoice.push(rt.failChoice);
  };

  if (inv && violatesInv(init, 0)) tState.push(0);
  for (;;) {
    check();
    if (kind === 'livelock') {
      for (const st of cycleStates) {
        const idx = store.find(st, 0, rt.hash(st, 0));
        if (idx >= 0) tState.push(idx);
      }
    }
    // Invariant and livelock targets sit on the level just completed (all of it is stored); stop there.
    if (tState.length > 0) break;
    const start = levelStart[depth]!;
    levelEnd = store.count;
    for (p = start; p < levelEnd; p++) {
      if ((p & (POLL_EVERY - 1)) === 0) check();
      const n = expandEach(rt, store.chunkOf(p), store.offsetOf(p), onSucc, onFail);
      if (kind === 'deadlock' && n === 0 && !rt.allEnded(store.chunkOf(p), store.offsetOf(p))) tState.push(p);
    }
    // Assertion and deadlock targets are states of the level just expanded.
    if (tState.length > 0 && (kind === 'assertion' || kind === 'deadlock')) break;
    if (store.count === levelEnd) return null; // explored everything: no violation of this property
    levelStart.push(levelEnd);
    depth++;
  }

  // Pick the cheapest target; ties go to the first found (deterministic).
  let bestCost = INF;
  let target = -1; // state the rebuilt path ends in
  let want = -1; // thread that must take the path's last step (-1: any that keeps m)
  let steps: PathStep[];
  let cycleStart: number | undefined;
  if (kind === 'livelock') {
    const K = cycle.length;
    let cyclic = 0;
    for (let i = 0; i < K; i++) if (cycle[i]!.thread !== cycle[(i + 1) % K]!.thread) cyclic++;
    let rotation = 0;
    for (let i = 0; i < K; i++) {
      const idx = store.find(cycleStates[i]!, 0, rt.hash(cycleStates[i]!, 0));
      if (idx < levelStart[depth]!) continue; // not on the nearest level (or absent)
      const first = cycle[i]!.thread;
      // Starting the cycle at i drops the switch between its last and first steps from the count.
      const wrap = cycle[(i + K - 1) % K]!.thread !== first ? 1 : 0;
      const cost = dp.via(idx, first) + cyclic - wrap;
      if (cost < bestCost) {
        bestCost = cost;
        target = idx;
        rotation = i;
        want = dp.has(idx, first) ? first : -1;
      }
    }
    const stem = rebuild(rt, store, dp, levelStart, target, depth, want, check);
    steps = [...stem, ...cycle.slice(rotation), ...cycle.slice(0, rotation)];
    cycleStart = stem.length;
  } else {
    let k = -1;
    for (let j = 0; j < tState.length; j++) {
      const cost = kind === 'assertion' ? dp.via(tState[j]!, tThread[j]!) : dp.m[tState[j]!]!;
      if (cost < bestCost) {
        bestCost = cost;
        k = j;
      }
    }
    target = tState[k]!;
    if (kind === 'assertion') want = dp.has(target, tThread[k]!) ? tThread[k]! : -1;
    steps = rebuild(rt, store, dp, levelStart, target, depth, want, check);
    if (kind === 'assertion') steps.push({ thread: tThread[k]!, step: tStep[k]!, choice: tChoice[k]! });
  }
  return makeViolation(v.kind, v.property, steps, { cycleStart, starving: v.starving });
}

/**
 * A shortest path to `target` (at level `depth`) with m(target) switches
 * whose last step is by thread `want` (or by any thread when want < 0).
 * Each step back re-expands the previous level to find a predecessor.
 */
function rebuild(rt: Runtime, store: StateStore, dp: DpTable, levelStart: readonly number[], target: number, depth: number, want: number, check: () => void): PathStep[] {
  const W = rt.words;
  const steps: PathStep[] = [];
  const cur = new Uint32Array(W);
  let v = target;
  let need = want;
  let p = 0;
  // The predecessor found: state index (-1 while searching) and the step from it.
  let from = -1;
  let fThread = -1;
  let fStep = -1;
  let fChoice = -1;
  const onSucc: SuccFn = (i) => {
    if (from >= 0) return;
    const t = rt.succThread[i]!;
    if (need >= 0 && t !== need) return;
    const o = i * W;
    for (let k = 0; k < W; k++) if (rt.succ[o + k] !== cur[k]) return;
    if (dp.via(p, t) !== dp.m[v]!) return;
    from = p;
    fThread = t;
    fStep = rt.succStep[i]!;
    fChoice = rt.succChoice[i]!;
  };
  for (let d = depth; d > 0; d--) {
    store.read(v, cur);
    from = -1;
    for (p = levelStart[d - 1]!; p < levelStart[d]! && from < 0; p++) {
      if ((p & (POLL_EVERY - 1)) === 0) check();
      expandEach(rt, store.chunkOf(p), store.offsetOf(p), onSucc, null);
    }
    if (from < 0) throw notDeterministic(rt, `minimisation executed the steps again and lost the path at depth ${d}`);
    steps.push({ thread: fThread, step: fStep, choice: fChoice });
    need = dp.has(from, fThread) ? fThread : -1;
    v = from;
  }
  return steps.reverse();
}
