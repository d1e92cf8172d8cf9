import type { Fairness } from '../model/define.ts';
import type { StateStore } from '../store/store.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { PartialOrder } from '../reduce/por.ts';
import { notDeterministic, stepName } from '../exec/determinism.ts';
import { q } from '../model/errors.ts';
import { Growable, grown } from '../store/growable.ts';
import { depthOf, pathTo, stepsAlong } from './stored-path.ts';
import { fairVerdict, judgeIfNearer, refineComponent, smallestMember, tarjan, type FairComponent, type NearestKept, type Refining, type SccGraph } from './tarjan.ts';
import type { FoundViolation, IncompleteReason, PathStep, SearchMonitor, SearchOptions } from './types.ts';
import { livelockViolation } from './violation.ts';
import { cacheFits, EdgeCache, edgeCacheBytes, MAX_CACHED_EDGES, MAX_CACHED_THREADS } from './edge-cache.ts';
import type { CycleKindCode, CycleProgress } from './cycle-progress.ts';

/**
 * Fair non-progress cycles, on the state graph the safety search stored.
 *
 * 1. Tarjan's SCC algorithm (iterative) over the graph without progress
 *    transitions. Successors come from the edge cache (`edge-cache.ts`)
 *    that the exploration recorded, or that the first pass fills as it
 *    executes the steps again, when it fits in memory; without it every
 *    pass executes them.
 * 2. A non-trivial SCC holds a fair cycle iff the cycle that runs through all
 *    its states and edges is fair: under weak fairness every thread moves
 *    inside it or is disabled somewhere in it. Under strong fairness threads
 *    that are enabled somewhere but never move inside force a refinement:
 *    drop the states where they are enabled and recurse (as in Streett
 *    emptiness checks). The cycle must also keep some thread with progress
 *    labels unfinished (not at an end label).
 * 3. The counterexample is a lasso: the BFS-shortest stem to the state
 *    nearest the initial state that lies on a fair non-progress cycle,
 *    then a cycle built by BFS inside its SCC that visits one witness for
 *    each fairness obligation and returns. The pass judges every SCC (all
 *    of it, unless a fair one holds the initial state) and keeps the one
 *    holding the smallest store index: states are numbered in BFS order, so
 *    no fair cycle passes nearer the initial state. A component whose
 *    nearest state is no nearer than the one kept is not judged.
 * If there is no livelock, the same is done per thread with only that
 * thread's progress transitions removed: a fair cycle where it never makes
 * progress while unfinished is starvation, searching only the states on
 * a cycle of the whole graph (`cyclicRegion`; none: no starvation pass
 * runs). These passes are independent: after a multi-core exploration that
 * recorded the edges, the helpers take some of them (`PassPool`), and the
 * first pass in order that finds a fair cycle is reported, as in one
 * thread.
 *
 * Memory: 9 bytes per state (DFS number, low link, on-stack flag: the pass
 * over the edge cache uses only the low link's array, for its one number)
 * plus a component id, and stacks proportional to the DFS depth (the pass
 * over the edge cache also keeps 8 bytes per state on its Tarjan stack for
 * its weak-fairness verdict), per thread that runs passes (at most
 * HELPER_PASS_BYTES a state, which a helper is checked for); the edge cache,
 * 8 bytes per state and 6 per edge, only when resident memory with it
 * stays under 70% of the run's ceiling.
 */

/** The search's context; the SCC numbering (SccState) lives in it so that a refinement can reset a region and search it again. */
/** `keep`/`keepStamp` (Refining): strong fairness's refinements, allocated at the first. */
interface Ctx extends Refining, NearestKept {
  rt: Runtime;
  store: StateStore;
  fairness: Fairness;
  /** -1: every progress transition is excluded; t: only thread t's. */
  starving: number;
  deadline: number;
  monitor: SearchMonitor | null;
  /** With --por: the exploration's reduced graph, whose edges the cycle search follows. */
  por: PartialOrder | null;
  /** The successors each state was found to have, when they fit in memory (null: every pass executes the steps again). */
  edges: EdgeCache | null;
  /** Whether this many more bytes fit under the run's ceiling (`cacheFits`), and the exploration's transitions. */
  fits: (bytes: number) => boolean;
  edgeCount: number;
  /** The lasso's breadth-first searches over the cache: how each state was reached (allocated at the first). */
  bfsPrev: Int32Array | null;
  bfsFrom: Int32Array | null;
  /** Where the search is, told at its polls (the search thread's; null in a helper's share of the tasks). */
  progress: CycleProgress | null;
  /** A helper's share of the tasks: how far its pass got (`of` -1: unchanged), told at its polls for the search thread's progress (`PassPool.note`). */
  publish: ((visited: number, of: number) => void) | null;
  /** A starvation pass run over every state while another thread finds the states on cycles: whether to give it up (asked at the polls). */
  abandon: (() => boolean) | null;
}

/**
 * Whether a cache of every state's successors fits (`cacheFits`): fewer than
 * 2^31 edges, thread numbers in 15 bits.
 */
function edgeCacheFits(rt: Runtime, store: StateStore, edges: number, opts: SearchOptions): boolean {
  if (edges > MAX_CACHED_EDGES || rt.threads >= MAX_CACHED_THREADS) return false;
  return cacheFits(edgeCacheBytes(store.count, edges), 0, store.bytes(), opts);
}

type List = Growable<Int32Array>;

/**
 * What a thread that runs passes over the edge cache may hold per state:
 * its numbering (DFS number, low link and component id, 4 bytes each, and
 * the on-stack flag) and, at their fullest (one component of every state,
 * reached by a depth-first path through every state), its Tarjan stack
 * with the weak-fairness masks (12 bytes a state) and its DFS frames (20
 * bytes a level). A helper is given passes only when that fits beside
 * what the run holds (`cacheFits`); the stacks grow by doubling, so they
 * may reserve up to twice what they use.
 */
export const HELPER_PASS_BYTES = 13 + 12 + 20;

/** `Ctx.starving` of the livelock pass (every progress edge left out), and of the pass over the whole graph (none left out: `cyclicRegion`). */
const LIVELOCK = -1;
const WHOLE_GRAPH = -2;

/** Whether the pass leaves out an edge of `thread` (progress: it is a progress transition): all progress edges when looking for livelocks, the starving thread's when looking for starvation. */
function leftOut(c: Ctx, thread: number, progress: number): boolean {
  return progress === 1 && (c.starving === LIVELOCK || thread === c.starving);
}

/** Non-excluded successors of v (as store indices) that lie in the region; returns count pushed. */
function successors(c: Ctx, v: number, inRegion: (u: number) => boolean, out: List): number {
  const ec = c.edges;
  let k = 0;
  if (ec !== null && ec.first[v]! >= 0) {
    const end = ec.first[v]! + ec.count[v]!;
    for (let i = ec.first[v]!; i < end; i++) {
      const m = ec.meta[i]!;
      if (leftOut(c, m >>> 1, m & 1)) continue;
      const u = ec.to[i]!;
      if (inRegion(u)) {
        out.push(u);
        k++;
      }
    }
    return k;
  }
  const { rt, store } = c;
  const W = rt.words;
  const n0 = rt.expand(store.chunkOf(v), store.offsetOf(v));
  const n = c.por === null ? n0 : c.por.keptAt(v, rt, store.chunkOf(v), store.offsetOf(v), n0);
  const caching = ec !== null && ec.used + n <= ec.to.length;
  for (let i = 0; i < n; i++) {
    const excluded = leftOut(c, rt.succThread[i]!, rt.succProgress[i]!);
    if (excluded && !caching) continue;
    const u = store.find(rt.succ, i * W, rt.hash(rt.succ, i * W));
    // The safety search stored every successor of every state; one that is missing was not produced then.
    if (u < 0) throw notDeterministic(rt, `${stepName(rt, rt.succThread[i]!, rt.succStep[i]!)} gave a successor that the safety search did not reach, when the liveness search executed it again`);
    if (caching) {
      ec.to[ec.used + i] = u;
      ec.meta[ec.used + i] = (rt.succThread[i]! << 1) | rt.succProgress[i]!;
    }
    if (!excluded && inRegion(u)) {
      out.push(u);
      k++;
    }
  }
  if (caching) {
    ec.first[v] = ec.used;
    ec.count[v] = n;
    ec.used += n;
  }
  return k;
}

/** Steps between two polls of the cycle search (the limits, the progress, a speculative pass's `abandon`). */
let pollSteps = 4096;

/** Poll every `steps` steps instead of 4096 (the law tests: 1, so that a pass over a few states polls). Returns the previous value. */
export function setPollSteps(steps: number): number {
  const was = pollSteps;
  pollSteps = steps;
  return was;
}

/** The stored graph as the SCC search walks it, polling the limits every 4096 steps. */
function sccGraph(c: Ctx): SccGraph {
  let ticks = 0;
  return {
    successors: (v, inRegion, out) => void successors(c, v, inRegion, out),
    tick: () => {
      if (++ticks < pollSteps) return;
      ticks = 0;
      poll(c);
    },
  };
}

/** Stop the search (LivenessStop) at the time limit or when the monitor says so; tell the progress how far the pass got. */
function poll(c: Ctx): void {
  const now = performance.now();
  c.progress?.poll(c.counter, now);
  c.publish?.(c.counter, -1);
  if (c.abandon !== null && c.abandon()) throw new Abandoned();
  if (now > c.deadline) throw new LivenessStop('time-limit');
  const r = c.monitor !== null ? c.monitor.poll('liveness', c.store.count, 0, 0, 0, 0) : null;
  if (r !== null) throw new LivenessStop(r);
}

/** Unwinds a starvation pass over every state once the states on cycles are known and make it needless (`Ctx.abandon`). */
class Abandoned extends Error {}

/** Unwinds the search when a limit is reached (thrown from deep inside the SCC search, caught once). */
class LivenessStop extends Error {
  constructor(readonly reason: IncompleteReason) {
    super(reason);
  }
}

interface Judgement {
  ok: boolean;
  /** Threads enabled somewhere in the region that never move inside it (strong fairness), by thread. */
  offenders: Uint8Array;
  live: boolean;
}

/** Evaluate fairness of the full cycle through a set of states (all in component `comp`). */
function judge(c: Ctx, members: Int32Array, inComp: (u: number) => boolean): Judgement {
  const { rt, store } = c;
  const T = rt.threads;
  const W = rt.words;
  const moves = new Uint8Array(T);
  const everywhere = new Uint8Array(T).fill(1);
  const somewhere = new Uint8Array(T);
  const en = new Uint8Array(T);
  let live = false;
  // Threads whose obligation is still open: not moving inside the component yet and, under weak fairness, not yet seen disabled in it (none without fairness).
  const weak = c.fairness === 'weak';
  const strong = c.fairness === 'strong';
  let open = weak || strong ? T : 0;
  const moved = (t: number): void => {
    moves[t] = 1;
    if (strong || (weak && everywhere[t] === 1)) open--;
  };
  // Cached edges are every successor when there is no POR (with it they are the kept ones, and the enabled threads are all).
  const ec = c.por === null ? c.edges : null;
  for (const v of members) {
    const chunk = store.chunkOf(v);
    const off = store.offsetOf(v);
    en.fill(0);
    if (ec !== null && ec.first[v]! >= 0) {
      const end = ec.first[v]! + ec.count[v]!;
      for (let i = ec.first[v]!; i < end; i++) {
        const m = ec.meta[i]!;
        const t = m >>> 1;
        en[t] = 1;
        if (leftOut(c, t, m & 1)) continue;
        if (!moves[t] && inComp(ec.to[i]!)) moved(t);
      }
    } else {
      const n = rt.expand(chunk, off);
      for (let i = 0; i < n; i++) {
        const t = rt.succThread[i]!;
        en[t] = 1;
        if (leftOut(c, t, rt.succProgress[i]!)) continue;
        if (!moves[t]) {
          const u = store.find(rt.succ, i * W, rt.hash(rt.succ, i * W));
          if (inComp(u)) moved(t);
        }
      }
    }
    for (let t = 0; t < T; t++) {
      if (en[t]) somewhere[t] = 1;
      else if (everywhere[t] === 1) {
        everywhere[t] = 0;
        if (weak && moves[t] === 0) open--;
      }
    }
    if (!live) {
      if (c.starving >= 0) live = !rt.finished(chunk, off, c.starving);
      else for (let t = 0; t < T && !live; t++) live = rt.model.threads[t]!.template.hasProgress && !rt.finished(chunk, off, t);
    }
    // Moves only grow and `everywhere` only shrinks: once live with no obligation open, the rest of the members cannot change the judgement (a component of millions of states is mostly settled within its first members).
    if (live && open === 0) break;
  }
  return { ...fairVerdict(c.fairness, moves, (t) => everywhere[t] === 1, somewhere), live };
}

/** Judges the fair components `roots` reach inside the region (a strong-fairness refinement): as a pass does, keeping the nearest in `c.best`. */
function findFairComponents(c: Ctx, roots: Iterable<number>, inRegion: (u: number) => boolean): FairComponent | null {
  return tarjan(c, sccGraph(c), roots, inRegion, nearestOf(c));
}

/** A pass's `onScc`: judge the component, and end the pass only when the fair component kept holds the initial state (none can be nearer). */
function nearestOf(c: Ctx): (comp: number, members: Int32Array) => FairComponent | null {
  return (comp, members) => {
    judgeComponent(c, comp, members);
    return c.bestEntry === 0 ? c.best : null;
  };
}

/** A state whose component is complete, in `findFairComponentCached`'s numbers: above every visit number, so that no state is lowered to it. */
const DONE = 0x7fffffff;

/**
 * A pass over a complete edge cache, walked directly (no edge stack, no
 * calls per edge): the same search as the generic `tarjan` over
 * `successors` (the same edges in the same order, so the same components
 * met in the same order, with their members in the same order), over every
 * state or within `region` (its other states are marked complete before
 * the walk, so that an edge to one is left out without reading `region`),
 * calling `onScc` for each non-trivial component until it returns one. The
 * strong-fairness refinement inside a component runs the generic search.
 *
 * One number per state instead of Tarjan's three (Pearce's space-efficient
 * form, "A space-efficient algorithm for finding strongly connected
 * components", 2016): `idx` (c.low) is 0 for a state not yet visited; while
 * the state is on the stack, its visit number, lowered to the smallest
 * number a successor on the stack holds; DONE once its component is
 * complete. A state is a component's root when its number was never
 * lowered (its frame keeps the number it was given). So a successor is
 * read once, where `num`, `onStack` and `low` were three arrays and up to
 * three cache misses; comparing with the successor's lowered number rather
 * than its visit number finds the same roots.
 *
 * `prejudge` (weak or strong fairness, at most 31 threads): the walk also
 * gathers each component's weak-fairness verdict, so that a component that
 * is not fair is passed over without `onScc` (its judgement would read
 * every member's edges again, scattered over the cache, and could only
 * find it unfair; under strong fairness such a thread is an offender
 * enabled in every member, so the refinement would drop them all). Each
 * state on the stack keeps, at its place there, the threads enabled in it
 * (every edge's thread, left out or not, as `judge` counts them) and the
 * threads that move along an edge inside its component: an edge to a state
 * still on the stack (the two are then in one component), or the tree edge
 * into a state that turns out not to be a root. A component where a thread
 * is enabled in every member and never moves is not fair; the others go to
 * `onScc`, which judges them as before.
 */
function findFairComponentCached(c: Ctx, ec: EdgeCache, region: Uint8Array | null, onScc: (comp: number, members: Int32Array) => FairComponent | null, prejudge: boolean): FairComponent | null {
  const idx = c.low;
  const { comp } = c;
  const { first, count, to, meta } = ec;
  const N = idx.length;
  if (region !== null) for (let v = 0; v < N; v++) if (region[v] === 0) idx[v] = DONE;
  // The strong-fairness refinement searches a component's states again with the generic search, which writes c.low: they are marked complete again after it.
  const refines = c.fairness === 'strong';
  // leftOut on an edge's meta (thread << 1 | progress): every progress edge, or the starving thread's (none in the pass over the whole graph, whose meta never matches).
  // Written out in both places below: with a closure, a check of ticket-lock(6) was 1 to 7% slower (six interleaved pairs).
  const allProgress = c.starving === LIVELOCK;
  const starvingMeta = (c.starving << 1) | 1;
  let fv = new Int32Array(1024);
  let fi = new Int32Array(1024);
  let fn = new Int32Array(1024);
  // prejudge: the state's place on the stack, and the thread of the tree edge that entered it (as a bit).
  let fp = new Int32Array(prejudge ? 1024 : 0);
  let fb = new Int32Array(prejudge ? 1024 : 0);
  let depth = 0;
  const tstack = new Growable(new Int32Array(1024));
  // prejudge, per place on tstack: the threads enabled in its state, and those moving inside its component.
  let ten = new Int32Array(prejudge ? 1024 : 0);
  let tmv = new Int32Array(prejudge ? 1024 : 0);
  const tick = sccGraph(c).tick;
  const enter = (v: number, bit: number): void => {
    const n = ++c.counter;
    idx[v] = n;
    const pos = tstack.n;
    tstack.push(v);
    if (depth === fv.length) {
      fv = grown(fv, depth * 2);
      fi = grown(fi, depth * 2);
      fn = grown(fn, depth * 2);
      if (prejudge) {
        fp = grown(fp, depth * 2);
        fb = grown(fb, depth * 2);
      }
    }
    fv[depth] = v;
    fi[depth] = first[v]!;
    fn[depth] = n;
    if (prejudge) {
      if (pos === ten.length) {
        ten = grown(ten, pos * 2);
        tmv = grown(tmv, pos * 2);
      }
      let en = 0;
      for (let e = first[v]!, end = e + count[v]!; e < end; e++) en |= 1 << (meta[e]! >>> 1);
      ten[pos] = en;
      tmv[pos] = 0;
      fp[depth] = pos;
      fb[depth] = bit;
    }
    depth++;
  };
  for (let root = 0; root < N; root++) {
    if (idx[root] !== 0) continue;
    enter(root, 0);
    while (depth > 0) {
      tick();
      const f = depth - 1;
      const v = fv[f]!;
      const end = first[v]! + count[v]!;
      let i = fi[f]!;
      while (i < end && (meta[i]! & 1) === 1 && (allProgress || meta[i] === starvingMeta)) i++;
      if (i < end) {
        fi[f] = i + 1;
        const u = to[i]!;
        const x = idx[u]!;
        if (x === 0) enter(u, 1 << (meta[i]! >>> 1));
        else {
          if (x < idx[v]!) idx[v] = x;
          // A successor still on the stack lies in v's component.
          if (prejudge && x !== DONE) tmv[fp[f]!]! |= 1 << (meta[i]! >>> 1);
        }
        continue;
      }
      depth--;
      if (idx[v] !== fn[f]) {
        // Not a root: it stays on the stack, and its parent is lowered to what it was lowered to (and is in its component: the edge that entered it moves inside).
        const p = fv[depth - 1]!;
        if (idx[v]! < idx[p]!) idx[p] = idx[v]!;
        if (prejudge) tmv[fp[f]!]! |= fb[f]!;
        continue;
      }
      const id = c.nextComp++;
      let k = tstack.n;
      let moves = 0;
      let everywhere = -1;
      do {
        k--;
        idx[tstack.a[k]!] = DONE;
        comp[tstack.a[k]!] = id;
        if (prejudge) {
          moves |= tmv[k]!;
          everywhere &= ten[k]!;
        }
      } while (tstack.a[k] !== v);
      // A component of one state has a cycle only through a self-loop (looked for only then, not for every state the search leaves).
      let cyclic = tstack.n - k > 1;
      for (let e = first[v]!; e < end && !cyclic; e++) cyclic = to[e] === v && !((meta[e]! & 1) === 1 && (allProgress || meta[e] === starvingMeta));
      // Fair only if every thread enabled in every member moves inside (weak fairness; under strong fairness too, else no fair part is left).
      const members = cyclic && (!prejudge || (everywhere & ~moves) === 0) ? tstack.a.slice(k, tstack.n) : null;
      tstack.n = k;
      if (members !== null) {
        const r = onScc(id, members);
        if (r !== null) return r;
        if (refines) for (const w of members) idx[w] = DONE;
      }
    }
  }
  return null;
}

/**
 * Judges component `comp` (its members): when it holds a fair
 * non-progress cycle and lies nearer the initial state than the fair
 * component kept, it is kept (`c.best`); under strong fairness a component
 * that is not fair as a whole has its fair parts judged so.
 */
function judgeComponent(c: Ctx, comp: number, members: Int32Array): void {
  const inComp = (u: number) => u >= 0 && c.comp[u] === comp;
  const j = judgeIfNearer(c, members, inComp, () => judge(c, members, inComp));
  if (j === null || c.fairness !== 'strong') return;
  // Strong fairness: remove the states where an offender is enabled, and search what is left.
  const en = new Uint8Array(c.rt.threads);
  const T = c.rt.threads;
  refineComponent(
    c,
    members,
    (v) => {
      enabledAt(c, v, en);
      for (let t = 0; t < T; t++) if (en[t] && j.offenders[t]) return true;
      return false;
    },
    (kept, inRegion) => findFairComponents(c, kept, inRegion),
  );
}

function enabledAt(c: Ctx, v: number, en: Uint8Array): void {
  en.fill(0);
  const ec = c.por === null ? c.edges : null;
  if (ec !== null && ec.first[v]! >= 0) {
    const end = ec.first[v]! + ec.count[v]!;
    for (let i = ec.first[v]!; i < end; i++) en[ec.meta[i]! >>> 1] = 1;
    return;
  }
  const n = c.rt.expand(c.store.chunkOf(v), c.store.offsetOf(v));
  for (let i = 0; i < n; i++) en[c.rt.succThread[i]!] = 1;
}

interface Edge {
  from: number;
  to: number;
  step: PathStep;
}

/** Non-excluded edges from v that stay in the component. */
function edgesFrom(c: Ctx, v: number, inComp: (u: number) => boolean): Edge[] {
  const { rt, store } = c;
  const W = rt.words;
  const n0 = rt.expand(store.chunkOf(v), store.offsetOf(v));
  const n = c.por === null ? n0 : c.por.keptAt(v, rt, store.chunkOf(v), store.offsetOf(v), n0);
  const out: Edge[] = [];
  for (let i = 0; i < n; i++) {
    if (leftOut(c, rt.succThread[i]!, rt.succProgress[i]!)) continue;
    const u = store.find(rt.succ, i * W, rt.hash(rt.succ, i * W));
    if (inComp(u)) out.push({ from: v, to: u, step: { thread: rt.succThread[i]!, step: rt.succStep[i]!, choice: rt.succChoice[i]! } });
  }
  return out;
}

/** Whether thread t has a non-excluded edge from v that stays in the component. */
function movesAt(c: Ctx, v: number, t: number, inComp: (u: number) => boolean): boolean {
  const ec = cachedEdges(c);
  if (ec === null) return edgesFrom(c, v, inComp).some((e) => e.step.thread === t);
  const end = ec.first[v]! + ec.count[v]!;
  for (let e = ec.first[v]!; e < end; e++) {
    const m = ec.meta[e]!;
    if (m >>> 1 === t && !leftOut(c, t, m & 1) && inComp(ec.to[e]!)) return true;
  }
  return false;
}

/** The edge cache when it holds every state (the lasso then walks it), else null. */
function cachedEdges(c: Ctx): EdgeCache | null {
  return c.edges !== null && c.edges.complete(c.store.count) ? c.edges : null;
}

/** Shortest path inside the component from `from` to a state satisfying `atTarget` (may be `from` itself when allowSelf). */
function bfsPath(c: Ctx, from: number, inComp: (u: number) => boolean, atTarget: (v: number, pathLen: number) => boolean, allowSelf: boolean): Edge[] {
  if (allowSelf && atTarget(from, 0)) return [];
  const ec = cachedEdges(c);
  if (ec !== null) return bfsPathCached(c, ec, from, inComp, atTarget, allowSelf);
  const prev = new Map<number, Edge | null>([[from, null]]);
  let frontier = [from];
  let len = 0;
  while (frontier.length) {
    len++;
    const next: number[] = [];
    for (const v of frontier) {
      for (const e of edgesFrom(c, v, inComp)) {
        if (e.to === from && !allowSelf && atTarget(e.to, len)) return unwind(prev, e);
        if (prev.has(e.to)) continue;
        prev.set(e.to, e);
        if (atTarget(e.to, len)) return unwind(prev, e);
        next.push(e.to);
      }
    }
    frontier = next;
  }
  throw notDeterministic(c.rt, 'the steps executed again inside a strongly connected component of the liveness search no longer connect it');
}

/**
 * `bfsPath` over a complete edge cache: the same breadth-first search (the
 * cached edges are the steps' successors in their order, so it meets the
 * same states in the same order and returns the same path), with the
 * visited states in arrays instead of a Map of edge objects, and the steps
 * of the path's edges found again only for the path.
 */
function bfsPathCached(c: Ctx, ec: EdgeCache, from: number, inComp: (u: number) => boolean, atTarget: (v: number, pathLen: number) => boolean, allowSelf: boolean): Edge[] {
  const { first, count, to, meta } = ec;
  const N = c.store.count;
  if (c.bfsPrev === null || c.bfsPrev.length < N) {
    c.bfsPrev = new Int32Array(N);
    c.bfsFrom = new Int32Array(N);
  }
  // prev[u]: the edge that reached u, plus one (0: not reached; -1: the start).
  const prev = c.bfsPrev;
  const prevFrom = c.bfsFrom!;
  const seen = new Growable(new Int32Array(1024));
  let frontier = new Growable(new Int32Array(1024));
  let next = new Growable(new Int32Array(1024));
  prev[from] = -1;
  seen.push(from);
  frontier.push(from);
  const path = (v: number, e: number): Edge[] => {
    const out: Edge[] = [];
    for (let x = v, y = e; ; ) {
      out.push(cachedEdge(c, ec, x, y));
      if (prev[x]! <= 0) break;
      y = prev[x]! - 1;
      x = prevFrom[x]!;
    }
    return out.reverse();
  };
  try {
    let len = 0;
    while (frontier.n > 0) {
      len++;
      next.n = 0;
      for (let k = 0; k < frontier.n; k++) {
        const v = frontier.a[k]!;
        const end = first[v]! + count[v]!;
        for (let e = first[v]!; e < end; e++) {
          const m = meta[e]!;
          if (leftOut(c, m >>> 1, m & 1)) continue;
          const u = to[e]!;
          if (!inComp(u)) continue;
          if (u === from && !allowSelf && atTarget(u, len)) return path(v, e);
          if (prev[u] !== 0) continue;
          prev[u] = e + 1;
          prevFrom[u] = v;
          seen.push(u);
          if (atTarget(u, len)) return path(v, e);
          next.push(u);
        }
      }
      [frontier, next] = [next, frontier];
    }
  } finally {
    for (let k = 0; k < seen.n; k++) prev[seen.a[k]!] = 0;
  }
  throw notDeterministic(c.rt, 'the steps executed again inside a strongly connected component of the liveness search no longer connect it');
}

/** The path edge for cached edge e out of v: its step found again by executing v's steps (the cache keeps only the thread). */
function cachedEdge(c: Ctx, ec: EdgeCache, v: number, e: number): Edge {
  const { rt, store } = c;
  const n0 = rt.expand(store.chunkOf(v), store.offsetOf(v));
  const n = c.por === null ? n0 : c.por.keptAt(v, rt, store.chunkOf(v), store.offsetOf(v), n0);
  const i = e - ec.first[v]!;
  if (i >= n || rt.succThread[i] !== ec.meta[e]! >>> 1) throw notDeterministic(rt, `the steps executed again at stored state ${v} no longer give the successors the search found there`);
  return { from: v, to: ec.to[e]!, step: { thread: rt.succThread[i]!, step: rt.succStep[i]!, choice: rt.succChoice[i]! } };
}

function unwind(prev: Map<number, Edge | null>, last: Edge): Edge[] {
  const out = [last];
  for (let e = prev.get(last.from); e; e = prev.get(e.from)) out.push(e);
  return out.reverse();
}

/** A cycle from entry back to entry inside the component that is fair and keeps a progress thread unfinished. */
function fairCycle(c: Ctx, entry: number, inComp: (u: number) => boolean): Edge[] {
  const { rt, store } = c;
  const T = rt.threads;
  const cycle: Edge[] = [];
  let at = entry;
  const moved = new Uint8Array(T);
  const disabledSeen = new Uint8Array(T);
  const enabledSeen = new Uint8Array(T);
  const en = new Uint8Array(T);
  let live = false;
  const visit = (v: number) => {
    enabledAt(c, v, en);
    for (let t = 0; t < T; t++) (en[t] ? enabledSeen : disabledSeen)[t] = 1;
    const chunk = store.chunkOf(v);
    const off = store.offsetOf(v);
    if (c.starving >= 0) live ||= !rt.finished(chunk, off, c.starving);
    else for (let t = 0; t < T; t++) live ||= rt.model.threads[t]!.template.hasProgress && !rt.finished(chunk, off, t);
  };
  const follow = (path: Edge[]) => {
    for (const e of path) {
      cycle.push(e);
      moved[e.step.thread] = 1;
      visit(e.to);
    }
    if (path.length) at = path[path.length - 1]!.to;
  };
  visit(entry);
  // Obligations, met one by one with shortest detours, then the way back to
  // entry. That way back may pass states where another thread is enabled
  // (strong fairness) and so add an obligation: the obligations are checked
  // again after it, and the cycle ends only at entry with none left. Each
  // detour settles an obligation for good (moved, disabled seen, live), so
  // there are at most T + 1 detours, each followed by at most one way back.
  for (let round = 0; ; round++) {
    if (round > 2 * T + 4) throw new Error('internal: the fair cycle of a component does not close');
    let need = -1;
    let kind: 'move' | 'move-or-disabled' | 'live' = 'move';
    if (!live) kind = 'live';
    else
      for (let t = 0; t < T && need < 0; t++) {
        if (moved[t]) continue;
        if (c.fairness === 'weak' && !disabledSeen[t]) {
          need = t;
          kind = 'move-or-disabled';
        } else if (c.fairness === 'strong' && enabledSeen[t]) {
          need = t;
          kind = 'move';
        }
      }
    if (kind !== 'live' && need < 0) {
      if (at === entry && cycle.length > 0) break;
      follow(bfsPath(c, at, inComp, (v) => v === entry, false));
      continue;
    }
    if (kind === 'live') {
      follow(
        bfsPath(c, at, inComp, (v) => {
          const ch = store.chunkOf(v);
          const o = store.offsetOf(v);
          if (c.starving >= 0) return !rt.finished(ch, o, c.starving);
          for (let t = 0; t < T; t++) if (rt.model.threads[t]!.template.hasProgress && !rt.finished(ch, o, t)) return true;
          return false;
        }, true),
      );
      continue;
    }
    const t = need;
    // Reach a state from which t can move inside the component (or, for weak fairness, where t is disabled).
    const path = bfsPath(
      c,
      at,
      inComp,
      (v) => {
        if (kind === 'move-or-disabled') {
          enabledAt(c, v, en);
          if (!en[t]) return true;
        }
        return movesAt(c, v, t, inComp);
      },
      true,
    );
    follow(path);
    if (!moved[t] && !(kind === 'move-or-disabled' && disabledSeen[t])) {
      const e = edgesFrom(c, at, inComp).find((x) => x.step.thread === t);
      if (e) follow([e]);
    }
  }
  return cycle;
}

/**
 * The cycle search's tasks, in the order it takes them:
 *
 *   0   the livelock pass over every state;
 *   1   the states on a cycle of the whole graph (`cyclicRegion`): none
 *       ends the search, since no pass can then find a fair component;
 *   2+  a starvation pass per thread with progress labels, within them.
 *
 * A `PassPool` hands them to every thread that takes part: the search
 * thread and, after a multi-core exploration that recorded the edges, the
 * helpers (each with its own runtime and numbering, over the shared store
 * and edge cache). Each thread claims the next task from a shared counter;
 * the search reports the first pass in order that finds a fair component,
 * whoever ran it, so the verdict and the lasso are the one-thread search's.
 * A helper's pass stops at the first fair component it meets (it only
 * says whether there is one), and is run again here for the nearest; within
 * the states on cycles a pass meets the same non-trivial components as over
 * every state (an edge that leaves them cannot return), so the nearest is
 * the same. A starvation pass searches every state while task 1 is not
 * settled (`runTask`).
 */
export interface PassPool {
  /** How many other threads take tasks (each keeps its own numbering and stacks: HELPER_PASS_BYTES per state at most). */
  readonly helpers: number;
  /** Open tasks [0, n) under `fairness` to every thread. */
  start(n: number, fairness: Fairness): void;
  /** The next task nobody has taken, or -1. */
  claim(): number;
  /** A task's outcome: PASS_PENDING, PASS_NONE, PASS_FOUND, or for task 1 REGION_ALL. */
  outcome(j: number): number;
  /** The outcome of a task this thread ran (task 1: after `shareRegion`). */
  settle(j: number, outcome: number): void;
  /** Wait a little for the outcome of task j, which another thread runs. */
  wait(j: number): void;
  /** The thread that runs task j has visited `visited` of `of` states (`of` -1: as it said before). */
  note(j: number, visited: number, of: number): void;
  /** What the thread that runs task j said of it (`note`): states visited (-1: nothing yet), and of how many (0: not said). */
  visited(j: number): number;
  states(j: number): number;
  /** Task 1 found some states on cycles: hand them to every thread. */
  shareRegion(region: Uint8Array): void;
  /** The states on cycles, once task 1 was settled PASS_FOUND (`n` states). */
  region(n: number): Uint8Array;
  /** Stop the others' tasks and wait until they have left them: once no other outcome is needed (before the lasso), and at the end. */
  finish(): void;
  /** The search runs without the others (their memory is then better given back). */
  decline(): void;
}
export const PASS_PENDING = 0;
export const PASS_NONE = 1;
export const PASS_FOUND = 2;
/** Task 1: every state lies on a cycle (the passes search every state). */
export const REGION_ALL = 3;
/** Task 1 of the cycle search: the states on cycles. */
export const REGION_TASK = 1;

/** The passes of the cycle search in order: livelocks (-1), then starvation of each thread with progress labels. Task j >= 2 is pass j - 1. */
export function cyclePasses(rt: Runtime): number[] {
  const passes = [LIVELOCK];
  for (let t = 0; t < rt.threads; t++) if (rt.model.threads[t]!.template.hasProgress) passes.push(t);
  return passes;
}

/** The search thread's pool when no other thread takes part: tasks in order, here. */
class LocalPool implements PassPool {
  readonly helpers = 0;
  private next = 0;
  private n = 0;
  private outcomes = new Int32Array(0);
  private shared: Uint8Array = new Uint8Array(0);
  start(n: number): void {
    this.n = n;
    this.outcomes = new Int32Array(n);
  }
  claim(): number {
    return this.next < this.n ? this.next++ : -1;
  }
  outcome(j: number): number {
    return this.outcomes[j]!;
  }
  settle(j: number, outcome: number): void {
    this.outcomes[j] = outcome;
  }
  wait(j: number): void {
    throw new Error(`internal: the cycle search waits for task ${j} in one thread`);
  }
  note(): void {}
  visited(): number {
    return -1;
  }
  states(): number {
    return 0;
  }
  shareRegion(region: Uint8Array): void {
    this.shared = region;
  }
  region(): Uint8Array {
    return this.shared;
  }
  finish(): void {}
  decline(): void {}
}

/** A context with fresh numbering arrays for the stored states. */
function context(rt: Runtime, store: StateStore, fairness: Fairness, deadline: number, monitor: SearchMonitor | null, por: PartialOrder | null, edges: EdgeCache | null, fits: (bytes: number) => boolean, edgeCount: number): Ctx {
  const N = store.count;
  return {
    rt,
    store,
    fairness,
    starving: LIVELOCK,
    num: new Int32Array(N),
    low: new Int32Array(N),
    comp: new Int32Array(N).fill(-1),
    onStack: new Uint8Array(N),
    nextComp: 0,
    counter: 0,
    deadline,
    monitor,
    por,
    edges,
    fits,
    edgeCount,
    bfsPrev: null,
    bfsFrom: null,
    progress: null,
    publish: null,
    abandon: null,
    best: null,
    bestEntry: N,
    keep: null,
    keepStamp: 0,
  };
}

/** A context for tasks over a complete edge cache (another thread's share of them), stopped when `stop()` says so. */
function cacheContext(rt: Runtime, store: StateStore, fairness: Fairness, cache: EdgeCache, stop: () => boolean): Ctx {
  return context(rt, store, fairness, Infinity, { poll: () => (stop() ? 'interrupted' : null), peakRssMB: () => 0 }, null, cache, () => true, cache.used);
}

/**
 * Run task j of `pool` here: its outcome, and the fair component a pass
 * found (its numbering is then still in c). A starvation pass searches the
 * states on cycles (task 1). While another thread still finds them, it
 * searches every state instead, which meets the same components (a
 * component of the graph with some edges left out lies on cycles of the
 * whole graph, and every edge between its members is in the region), so
 * the verdict, the nearest component and its lasso are the same; it gives
 * that up at a poll once task 1 has found no cycle, or states on cycles
 * fewer than those it has yet to visit, and waits for task 1 then
 * (`idle(1)` between looks: the search thread polls its limits and shows
 * the count of the thread that runs it).
 */
function runTask(c: Ctx, pool: PassPool, passes: readonly number[], j: number, idle: (waitingFor: number) => void, nearest: boolean): { outcome: number; found: FairComponent | null } {
  if (j === 0) {
    const found = runPass(c, LIVELOCK, null, nearest);
    return { outcome: found !== null ? PASS_FOUND : PASS_NONE, found };
  }
  const N = c.store.count;
  if (j === REGION_TASK) {
    // Without a cache of every state (it did not fit in memory) the pass over the whole graph executes every state's steps and keeps each frame's successors on the edge stack of a depth-first search that may reach every state: where that may not fit, the passes search every state instead.
    if (cachedEdges(c) === null && !c.fits(4 * (c.edgeCount + 3 * c.store.count))) return { outcome: REGION_ALL, found: null };
    const cyclic = cyclicRegion(c);
    if (cyclic === null) return { outcome: PASS_NONE, found: null };
    if (cyclic.states === N) return { outcome: REGION_ALL, found: null };
    pool.shareRegion(cyclic.region);
    return { outcome: PASS_FOUND, found: null };
  }
  let r = pool.outcome(REGION_TASK);
  if (r === PASS_PENDING) {
    let smaller = -1;
    c.abandon = () => {
      const o = pool.outcome(REGION_TASK);
      if (o === PASS_NONE) return true;
      if (o !== PASS_FOUND) return false;
      if (smaller < 0) smaller = statesIn(pool.region(N), N) < N - c.counter ? 1 : 0;
      return smaller === 1;
    };
    try {
      const found = runPass(c, passes[j - 1]!, null, nearest);
      return { outcome: found !== null ? PASS_FOUND : PASS_NONE, found };
    } catch (e) {
      if (!(e instanceof Abandoned)) throw e;
    } finally {
      c.abandon = null;
    }
    r = pool.outcome(REGION_TASK);
  }
  while (r === PASS_PENDING) {
    idle(REGION_TASK);
    pool.wait(REGION_TASK);
    r = pool.outcome(REGION_TASK);
  }
  if (r === PASS_NONE) return { outcome: PASS_NONE, found: null };
  const found = runPass(c, passes[j - 1]!, r === REGION_ALL ? null : pool.region(N), nearest);
  return { outcome: found !== null ? PASS_FOUND : PASS_NONE, found };
}

/**
 * A helper's share of the cycle search (the multi-core search's helper
 * threads: their own runtime over the shared store and cache): tasks of
 * `pool` until none is left or `stop()` says so.
 */
export function runPoolTasks(rt: Runtime, store: StateStore, cache: EdgeCache, pool: PassPool, fairness: Fairness, stop: () => boolean): void {
  const run = taskRunner(rt, store, cache, pool, fairness, stop);
  for (let j = pool.claim(); j >= 0; j = pool.claim()) {
    const o = run(j);
    if (o === PASS_PENDING) return;
    pool.settle(j, o);
  }
}

/** Runs task j of `pool` on this thread's runtime: its outcome, or PASS_PENDING when stopped. */
export function taskRunner(rt: Runtime, store: StateStore, cache: EdgeCache, pool: PassPool, fairness: Fairness, stop: () => boolean): (j: number) => number {
  const passes = cyclePasses(rt);
  const c = cacheContext(rt, store, fairness, cache, stop);
  let task = -1;
  c.publish = (visited, of) => pool.note(task, visited, of);
  const idle = (): void => {
    if (stop()) throw new LivenessStop('interrupted');
  };
  return (j) => {
    task = j;
    c.counter = 0;
    try {
      const o = runTask(c, pool, passes, j, idle, false).outcome;
      // The count at the end, which the polls (every 4096 steps) may not have told.
      pool.note(j, c.counter, -1);
      return o;
    } catch (e) {
      if (e instanceof LivenessStop) return PASS_PENDING;
      throw e;
    }
  };
}

/**
 * One pass: reset the numbering, search for a fair component; within
 * `region` only (the states on a cycle of the whole graph, `cyclicRegion`),
 * or over every state (null). `nearest`: the fair component nearest the
 * initial state, judging every component (the lasso's); else the first
 * found (whether there is one). `bound`: only a component holding a state
 * numbered below it counts (a nearer one than another pass found).
 */
function runPass(c: Ctx, starving: number, region: Uint8Array | null, nearest: boolean, bound = c.store.count): FairComponent | null {
  c.best = null;
  c.bestEntry = bound;
  const onScc = nearestOf(c);
  const stopped = sccPass(c, starving, region, nearest ? onScc : (comp, members) => onScc(comp, members) ?? c.best);
  return stopped ?? c.best;
}

function sccPass(c: Ctx, starving: number, region: Uint8Array | null, onScc: (comp: number, members: Int32Array) => FairComponent | null): FairComponent | null {
  c.starving = starving;
  c.num.fill(0);
  c.low.fill(0);
  c.onStack.fill(0);
  c.comp.fill(-1);
  c.counter = 0;
  const ec = cachedEdges(c);
  const N = c.store.count;
  if (c.progress !== null || c.publish !== null) {
    const of = region === null ? N : statesIn(region, N);
    beginTask(c, taskOf(c, starving), of, 0);
    c.publish?.(0, of);
  }
  // Components that are not weakly fair need no judgement (the pass over the whole graph judges none, and without fairness every cycle counts).
  const prejudge = starving !== WHOLE_GRAPH && c.fairness !== 'none' && c.por === null && c.rt.threads <= 31;
  if (ec !== null) return findFairComponentCached(c, ec, region, onScc, prejudge);
  const roots = function* () {
    for (let v = 0; v < N; v++) if (region === null || region[v] === 1) yield v;
  };
  return tarjan(c, sccGraph(c), roots(), region === null ? (u) => u >= 0 : (u) => u >= 0 && region[u] === 1, onScc);
}

/** The states of a region (1 for each of the n states in it). */
function statesIn(region: Uint8Array, n: number): number {
  let k = 0;
  for (let v = 0; v < n; v++) k += region[v]!;
  return k;
}

/** The task of the pass with `starving` (`cyclePasses`): 0 the livelock pass, 1 the states on cycles, 2 + k the starvation pass of the k-th thread with progress labels. */
function taskOf(c: Ctx, starving: number): number {
  if (starving === LIVELOCK) return 0;
  if (starving === WHOLE_GRAPH) return REGION_TASK;
  let task = REGION_TASK + 1;
  for (let t = 0; t < starving; t++) if (c.rt.model.threads[t]!.template.hasProgress) task++;
  return task;
}

/** Task j begins here, over `of` states (`visited` null: another thread runs it), or (`lasso`) the counterexample of task j is drawn. */
function beginTask(c: Ctx, j: number, of: number, visited: 0 | null, lasso = false): void {
  if (c.progress === null) return;
  const thread = j > REGION_TASK ? cyclePasses(c.rt)[j - 1]! : -1;
  const kind: CycleKindCode = lasso ? 'lasso' : j === 0 ? 'livelock' : j === REGION_TASK ? 'cycles' : 'starvation';
  c.progress.begin(j, kind, lasso ? -1 : thread, of, visited);
}

/**
 * The states on some cycle of the whole stored graph (progress edges
 * included), or null when there is none: every pass's graph is a subgraph
 * of it, so every component a pass could find lies among these states, and
 * without a cycle no pass finds one. One pass over every state (with a
 * complete edge cache and room beside it, a superset that trimming finds
 * instead: `trimmedRegion`); the others then search only this region,
 * where they meet the same components as over every state, so the verdict,
 * the nearest component and its lasso are the same.
 */
function cyclicRegion(c: Ctx): { region: Uint8Array; states: number } | null {
  const ec = cachedEdges(c);
  if (ec !== null && c.fits(trimBytes(c.store.count))) return trimmedRegion(c, ec);
  const region = new Uint8Array(c.store.count);
  let states = 0;
  sccPass(c, WHOLE_GRAPH, null, (_comp, members) => {
    for (const v of members) region[v] = 1;
    states += members.length;
    return null;
  });
  return states === 0 ? null : { region, states };
}

/** What `trimmedRegion` allocates: the region, a flag and two numbers per state. */
function trimBytes(states: number): number {
  return 10 * states;
}

/**
 * The states on cycles, with the edge cache: instead of the SCCs of the
 * whole graph (a Tarjan pass of random reads), a superset by trimming,
 * which reads the cache mostly in order. States with no predecessor left
 * are taken out, then states with no successor left; what stays lies on
 * a path from a cycle to a cycle, and every state of a component with a
 * cycle stays (a member keeps a predecessor and a successor among the
 * members, neither ever taken out).
 * A starvation pass over it meets the same components as over the exact
 * region (a component of a pass lies on cycles, so inside it, with every
 * edge between its members), hence the same verdict and lasso. Nothing
 * stays exactly when the graph has no cycle. (`examples/ticket-lock.ts`
 * with six CPUs: about 0.1 s, where the SCC pass took 1.7 s; it needs no
 * memory per edge.)
 */
function trimmedRegion(c: Ctx, ec: EdgeCache): { region: Uint8Array; states: number } | null {
  // Each time it reads a state's edges counts as a third of a visit (most trimmings read each state two to four times); it polls every 4096 states and edges, as the SCC passes poll every 4096 steps.
  const N = c.store.count;
  let reads = 0;
  let work = 0;
  c.counter = 0;
  beginTask(c, REGION_TASK, N, 0);
  c.publish?.(0, N);
  const r = trimToCycles(N, ec.first, ec.count, ec.to, (edges) => {
    reads++;
    work += edges + 1;
    if (work < pollSteps) return;
    work = 0;
    c.counter = Math.min(N, Math.floor(reads / 3));
    poll(c);
  });
  c.counter = c.store.count;
  return r;
}

/**
 * `trimmedRegion` over a graph of n states (state v's successors are
 * to[first[v] .. first[v] + count[v])): the states that lie on a path
 * from a cycle to a cycle (self-loops included), or null when there is no
 * cycle. `tick(edges)` is called each time a state's edges are read, with
 * the number read.
 */
export function trimToCycles(n: number, first: Int32Array, count: Int32Array, to: Int32Array, tick: (edges: number) => void): { region: Uint8Array; states: number } | null {
  const N = n;
  const deg = new Int32Array(N);
  const queue = new Int32Array(N);
  const gone = new Uint8Array(N);
  // Take out the states that no edge from a state that stays reaches.
  for (let v = 0; v < N; v++) {
    const f = first[v]!;
    const e = f + count[v]!;
    for (let i = f; i < e; i++) deg[to[i]!]++;
    tick(e - f);
  }
  let q = 0;
  for (let v = 0; v < N; v++) if (deg[v] === 0) queue[q++] = v;
  for (let k = 0; k < q; k++) {
    const v = queue[k]!;
    gone[v] = 1;
    const f = first[v]!;
    const e = f + count[v]!;
    for (let i = f; i < e; i++) if (--deg[to[i]!] === 0) queue[q++] = to[i]!;
    tick(e - f);
  }
  if (q === N) return null;
  // Take out the states from which no edge reaches a state that stays. First one sweep from the last state to the first, reading the cache in order: states are numbered breadth-first, so a run of states without a way back mostly goes up in number and leaves in one sweep, and most graphs need no more (the ticket lock: one sweep, nothing taken out).
  /** v's first edge to a state that stays, or -1. */
  const staying = (v: number): number => {
    const f = first[v]!;
    const e = f + count[v]!;
    let i = f;
    while (i < e && gone[to[i]!] === 1) i++;
    tick(i - f + (i < e ? 1 : 0));
    return i < e ? i : -1;
  };
  let out = 0;
  for (let v = N - 1; v >= 0; v--) {
    if (gone[v] === 1) tick(0);
    else if (staying(v) < 0) {
      gone[v] = 1;
      out++;
    }
  }
  if (out > 0) {
    // More may go: each state that stays keeps a witness, its first successor that stays, and sits in the witness's list (`head` and `next`, the first trimming's arrays reused); a state taken out goes on a stack threaded through `next`, and when it leaves the stack the states of its list look for a new witness from their first edge, those finding none going on the stack in turn. So a state is read again only when its witness goes (further sweeps over every state took sixteen on put-and-wait with 8 faulters: 1.66 s for the trimming, 1.25 s with the lists).
    const head = deg.fill(-1);
    const next = queue;
    let stack = -1;
    /** Puts v in the list of its first successor that stays, or, with none, takes it out. */
    const rewitness = (v: number): void => {
      const i = staying(v);
      if (i >= 0) {
        const w = to[i]!;
        next[v] = head[w]!;
        head[w] = v;
      } else {
        gone[v] = 1;
        next[v] = stack;
        stack = v;
      }
    };
    for (let v = 0; v < N; v++) if (gone[v] === 0) rewitness(v);
    while (stack >= 0) {
      const x = stack;
      stack = next[x]!;
      for (let v = head[x]!; v >= 0; ) {
        const after = next[v]!;
        rewitness(v);
        v = after;
      }
    }
  }
  const region = new Uint8Array(N);
  let states = 0;
  for (let v = 0; v < N; v++) {
    if (gone[v] === 0) {
      region[v] = 1;
      states++;
    }
  }
  return states === 0 ? null : { region, states };
}

/**
 * `edges`: the transitions the exploration counted (every stored state's
 * successors, or its kept ones under POR), to size the edge cache; 0: no
 * cache. `recorded`: the cache the exploration recorded (every state's
 * successors), if it did.
 */
export function checkLiveness(rt: Runtime, store: StateStore, opts: SearchOptions, start: number, por: PartialOrder | null = null, edges = 0, recorded: EdgeCache | null = null, pool: PassPool | null = null, progress: CycleProgress | null = null): FoundViolation | null | IncompleteReason {
  try {
    return livenessSearch(rt, store, opts, start, por, edges, recorded, pool, progress);
  } catch (e) {
    if (e instanceof LivenessStop) return e.reason;
    throw e;
  } finally {
    pool?.finish();
  }
}

function livenessSearch(rt: Runtime, store: StateStore, opts: SearchOptions, start: number, por: PartialOrder | null, edges: number, recorded: EdgeCache | null, pool: PassPool | null, progress: CycleProgress | null): FoundViolation | null {
  const N = store.count;
  const cache = !opts.edgeCache ? null : recorded !== null && por === null ? recorded : edges > 0 && edgeCacheFits(rt, store, edges, opts) ? EdgeCache.sized(N, edges) : null;
  const c = context(rt, store, opts.fairness, start + opts.timeLimit * 1000, opts.monitor, por, cache, (bytes) => cacheFits(bytes, 0, store.bytes(), opts), edges);
  c.progress = progress;
  const lasso = (found: FairComponent, starving: number): FoundViolation => {
    beginTask(c, taskOf(c, starving), N, null, true);
    const entry = smallestMember(found.members);
    const stem = stepsAlong(rt, store, pathTo(store, entry));
    const cycle = fairCycle(c, entry, found.inComp);
    return livelockViolation(rt, [...stem, ...cycle.map((e) => e.step)], stem.length, starving);
  };
  const passes = cyclePasses(rt);
  const tasks = passes.length + 1;
  progress?.setTasks(tasks);
  // Tasks shared with other threads need the whole graph in the (shared) cache, and room for their own numbering of the states and their stacks, and for one trimming (`trimBytes`, which a helper does not check itself).
  const shared = pool !== null && c.edges === recorded && cachedEdges(c) !== null && cacheFits(HELPER_PASS_BYTES * N * pool.helpers + trimBytes(N), 0, store.bytes(), opts);
  if (pool !== null && !shared) pool.decline();
  const p: PassPool = shared ? pool : new LocalPool();
  p.start(tasks, c.fairness);
  /**
   * The lasso of task j's fair component: ours when this thread ran the
   * pass, else a helper's pass run again here. For starvation, the later
   * threads' passes are run here too (unless they found none): the thread
   * reported is the one whose starvation is reached in the fewest steps,
   * the first in thread order among those as near.
   */
  const report = (j: number, mine: FairComponent | null): FoundViolation => {
    let starving = j === 0 ? LIVELOCK : passes[j - 1]!;
    // Once the livelock pass wins, what the others still run cannot change the result: they are stopped, so that they do not slow this thread down (on put-and-wait with 8 faulters and two workers, a helper's starvation pass beside the lasso took it from 0.48 to 0.68 s).
    if (j === 0) p.finish();
    let found = mine ?? runPass(c, starving, null, true);
    // A helper's finding that this thread does not repeat came from steps that behave differently here.
    if (found === null) throw notDeterministic(rt, `a search worker found a fair cycle (${starving < 0 ? 'livelock' : `starvation of ${q(rt.model.threads[starving]!.name)}`}) that the search thread does not find with the same steps`);
    if (j === 0) return lasso(found, starving);
    // States are numbered in BFS order: a pass whose nearest component holds no state numbered below the kept entry is no nearer; one that does may be as near (the same depth), and the earlier thread is kept then.
    let entry = smallestMember(found.members);
    let depth = depthOf(store, entry);
    let numbered = starving;
    const region = p.outcome(REGION_TASK) === PASS_FOUND ? p.region(N) : null;
    for (let k = j + 1; k < tasks && depth > 0; k++) {
      if (p.outcome(k) === PASS_NONE) continue;
      numbered = passes[k - 1]!;
      const nearer = runPass(c, numbered, region, true, entry);
      const d = nearer === null ? depth : depthOf(store, c.bestEntry);
      if (d >= depth) continue;
      found = nearer!;
      starving = numbered;
      entry = c.bestEntry;
      depth = d;
    }
    // No other outcome is read from here on.
    p.finish();
    // The lasso is drawn with the numbering of the pass that found it.
    if (numbered !== starving) found = runPass(c, starving, region, true)!;
    return lasso(found, starving);
  };
  /** The task another thread runs that this one waits for (told to the progress once). */
  let waiting = -1;
  /** Between looks at task j, which another thread runs: its count to the progress, and the limits polled. */
  const idle = (j: number): void => {
    if (waiting !== j) beginTask(c, j, N, null);
    waiting = j;
    c.progress?.helperPoll(p.visited(j), p.states(j), performance.now());
    poll(c);
  };
  // The first pass in order that finds a fair component wins, whoever ran it.
  let mine: { j: number; found: FairComponent } | null = null;
  for (let next = 0; next < tasks; ) {
    if (mine !== null && mine.j === next) return report(next, mine.found);
    const o = p.outcome(next);
    if (next === REGION_TASK && o === PASS_NONE) return null;
    if (o === PASS_FOUND && next !== REGION_TASK) return report(next, null);
    if (o !== PASS_PENDING) {
      next++;
      continue;
    }
    const j: number = mine === null ? p.claim() : -1;
    if (j >= 0) {
      const r = runTask(c, p, passes, j, idle, true);
      waiting = -1;
      if (r.found !== null) mine = { j, found: r.found };
      else p.settle(j, r.outcome);
      continue;
    }
    // Another thread runs task next: the progress shows its count.
    if (p.outcome(next) !== PASS_PENDING) continue;
    idle(next);
    p.wait(next);
  }
  return null;
}
