import type { Fairness } from '../model/define.ts';
import type { StateStore } from '../store/store.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { PartialOrder } from '../reduce/por.ts';
import { notDeterministic, stepName } from '../exec/determinism.ts';
import { Growable, grown } from '../store/growable.ts';
import { pathTo, stepsAlong } from './stored-path.ts';
import { tarjan, type SccGraph, type SccState } from './tarjan.ts';
import type { FoundViolation, IncompleteReason, PathStep, SearchMonitor, SearchOptions } from './types.ts';
import { livelockViolation } from './violation.ts';

/**
 * Fair non-progress cycles, on the state graph the safety search stored.
 *
 * 1. Tarjan's SCC algorithm (iterative; successors recomputed from the
 *    packed states in the first pass, and kept in an edge cache for the
 *    later ones when it fits in memory) over the graph without progress
 *    transitions.
 * 2. A non-trivial SCC holds a fair cycle iff the cycle that runs through all
 *    its states and edges is fair: under weak fairness every thread moves
 *    inside it or is disabled somewhere in it. Under strong fairness threads
 *    that are enabled somewhere but never move inside force a refinement:
 *    drop the states where they are enabled and recurse (as in Streett
 *    emptiness checks). The cycle must also keep some thread with progress
 *    labels unfinished (not at an end label).
 * 3. The counterexample is a lasso: the BFS-shortest stem to the SCC state
 *    closest to the initial state, then a cycle built by BFS inside the SCC
 *    that visits one witness for each fairness obligation and returns.
 * If there is no livelock, the same is done per thread with only that
 * thread's progress transitions removed: a fair cycle where it never makes
 * progress while unfinished is starvation.
 *
 * Memory: 9 bytes per state (DFS number, low link, on-stack flag) plus a
 * component id, and stacks proportional to the DFS depth; the edge cache,
 * 8 bytes per state and 6 per edge, only when resident memory with it stays
 * under 70% of the run's ceiling.
 */

/** The search's context; the SCC numbering (SccState) lives in it so that a refinement can reset a region and search it again. */
interface Ctx extends SccState {
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
}

/**
 * Every state's successors as the first SCC pass found them: the store
 * index, thread and progress flag of each (after POR, the kept ones), so
 * that the starvation passes (one per thread with progress labels) and the
 * fairness judgements walk arrays instead of executing the steps again.
 * Each edge is found once, when the first pass expands its state, with the
 * missing-successor check (MC160) of the steps' execution; the sampled
 * re-execution inside `Runtime.expand` keeps checking the steps. 8 bytes
 * per state and 6 per edge; built only when that fits (`edgeCacheFits`).
 */
class EdgeCache {
  /** Per state: its first edge, or -1 while it is not cached. */
  readonly first: Int32Array;
  readonly count: Int32Array;
  readonly to: Int32Array;
  /** thread << 1 | progress */
  readonly meta: Uint16Array;
  used = 0;
  private whole = false;

  /** Whether every one of the n states is cached (checked once it is). */
  complete(n: number): boolean {
    if (!this.whole) {
      let i = 0;
      while (i < n && this.first[i]! >= 0) i++;
      this.whole = i === n;
    }
    return this.whole;
  }

  constructor(states: number, edges: number) {
    this.first = new Int32Array(states).fill(-1);
    this.count = new Int32Array(states);
    this.to = new Int32Array(edges);
    this.meta = new Uint16Array(edges);
  }
}

/** Bytes of an edge cache for these counts. */
const edgeCacheBytes = (states: number, edges: number): number => 8 * states + 6 * edges;

/**
 * Whether the edge cache fits: fewer than 2^31 edges, thread numbers in 15
 * bits, and memory with it under 70% of the run's ceiling (the supervisor's
 * bound on resident memory: the given `--memory-limit` or the default 80%
 * of the machine's or cgroup's memory; without a supervisor, the search's
 * own `memoryLimitMB` over its store's bytes, or 2 GiB for the cache when
 * there is no limit at all), so that caching never turns a search that fits
 * into one that runs out of memory.
 */
function edgeCacheFits(rt: Runtime, store: StateStore, edges: number, opts: SearchOptions): boolean {
  if (edges >= 2 ** 31 || rt.threads >= 2 ** 15) return false;
  const bytes = edgeCacheBytes(store.count, edges);
  const m = opts.monitor;
  const ceilingMB = m?.ceilingMB ?? (Number.isFinite(opts.memoryLimitMB) ? opts.memoryLimitMB : null);
  if (ceilingMB === null) return bytes <= 2 ** 31;
  const used = m !== null && m.peakRssMB() > 0 ? m.peakRssMB() * 2 ** 20 : store.bytes();
  return used + bytes < 0.7 * ceilingMB * 2 ** 20;
}

type List = Growable<Int32Array>;

/** Whether the pass leaves out an edge of `thread` (progress: it is a progress transition): all progress edges when looking for livelocks, the starving thread's when looking for starvation. */
function leftOut(c: Ctx, thread: number, progress: number): boolean {
  return progress === 1 && (c.starving < 0 || thread === c.starving);
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

/** The stored graph as the SCC search walks it, polling the limits every 4096 steps. */
function sccGraph(c: Ctx): SccGraph {
  let ticks = 0;
  return {
    successors: (v, inRegion, out) => void successors(c, v, inRegion, out),
    tick: () => {
      if (++ticks < 4096) return;
      ticks = 0;
      if (performance.now() > c.deadline) throw new LivenessStop('time-limit');
      const r = c.monitor !== null ? c.monitor.poll('liveness', c.store.count, 0, 0, 0, 0) : null;
      if (r !== null) throw new LivenessStop(r);
    },
  };
}

/** Unwinds the search when a limit is reached (thrown from deep inside the SCC search, caught once). */
class LivenessStop extends Error {
  constructor(readonly reason: IncompleteReason) {
    super(reason);
  }
}

interface Judgement {
  ok: boolean;
  /** Threads enabled somewhere in the region that never move inside it (strong fairness). */
  offenders: number[];
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
        if (!moves[t] && inComp(ec.to[i]!)) moves[t] = 1;
      }
    } else {
      const n = rt.expand(chunk, off);
      for (let i = 0; i < n; i++) {
        const t = rt.succThread[i]!;
        en[t] = 1;
        if (leftOut(c, t, rt.succProgress[i]!)) continue;
        if (!moves[t]) {
          const u = store.find(rt.succ, i * W, rt.hash(rt.succ, i * W));
          if (inComp(u)) moves[t] = 1;
        }
      }
    }
    for (let t = 0; t < T; t++) {
      if (en[t]) somewhere[t] = 1;
      else everywhere[t] = 0;
    }
    if (!live) {
      if (c.starving >= 0) live = !rt.finished(chunk, off, c.starving);
      else for (let t = 0; t < T && !live; t++) live = rt.model.threads[t]!.template.hasProgress && !rt.finished(chunk, off, t);
    }
  }
  const offenders: number[] = [];
  let ok = true;
  for (let t = 0; t < T; t++) {
    if (moves[t]) continue;
    if (c.fairness === 'weak' && everywhere[t]) ok = false;
    if (c.fairness === 'strong' && somewhere[t]) {
      ok = false;
      offenders.push(t);
    }
  }
  return { ok, offenders, live };
}

/** Find a fair non-progress SCC; returns the component members and region test. */
type FairComponent = { members: Int32Array; inComp: (u: number) => boolean };

function findFairComponent(c: Ctx, roots: Iterable<number>, inRegion: (u: number) => boolean): FairComponent | null {
  return tarjan(c, sccGraph(c), roots, inRegion, (comp, members) => judgeComponent(c, comp, members));
}

/**
 * `findFairComponent` over every state, walking a complete edge cache
 * directly (no edge stack, no calls per edge): the same search as the
 * generic `tarjan` over `successors` (the same edges in the same order, so
 * the same components met in the same order), for the passes after the
 * first. The strong-fairness refinement inside a component runs the
 * generic search.
 */
function findFairComponentCached(c: Ctx, ec: EdgeCache): FairComponent | null {
  const { num, low, onStack, comp } = c;
  const { first, count, to, meta } = ec;
  const N = num.length;
  const excluded = (m: number): boolean => leftOut(c, m >>> 1, m & 1);
  let fv = new Int32Array(1024);
  let fi = new Int32Array(1024);
  let depth = 0;
  const tstack = new Growable(new Int32Array(1024));
  const tick = sccGraph(c).tick;
  const enter = (v: number): void => {
    num[v] = low[v] = ++c.counter;
    onStack[v] = 1;
    tstack.push(v);
    if (depth === fv.length) {
      fv = grown(fv, depth * 2);
      fi = grown(fi, depth * 2);
    }
    fv[depth] = v;
    fi[depth] = first[v]!;
    depth++;
  };
  for (let root = 0; root < N; root++) {
    if (num[root] !== 0) continue;
    enter(root);
    while (depth > 0) {
      tick();
      const f = depth - 1;
      const v = fv[f]!;
      const end = first[v]! + count[v]!;
      let i = fi[f]!;
      while (i < end && excluded(meta[i]!)) i++;
      if (i < end) {
        fi[f] = i + 1;
        const u = to[i]!;
        if (num[u] === 0) enter(u);
        else if (onStack[u] === 1 && num[u]! < low[v]!) low[v] = num[u]!;
        continue;
      }
      let selfLoop = false;
      for (let k = first[v]!; k < end && !selfLoop; k++) selfLoop = to[k] === v && !excluded(meta[k]!);
      depth--;
      if (depth > 0) {
        const p = fv[depth - 1]!;
        if (low[v]! < low[p]!) low[p] = low[v]!;
      }
      if (low[v] === num[v]) {
        const id = c.nextComp++;
        let k = tstack.n;
        do {
          k--;
          onStack[tstack.a[k]!] = 0;
          comp[tstack.a[k]!] = id;
        } while (tstack.a[k] !== v);
        const members = tstack.n - k > 1 || selfLoop ? tstack.a.slice(k, tstack.n) : null;
        tstack.n = k;
        if (members !== null) {
          const r = judgeComponent(c, id, members);
          if (r !== null) return r;
        }
      }
    }
  }
  return null;
}

/** Whether component `comp` (its members) holds a fair non-progress cycle: the component itself, a fair part of it (strong fairness), or null. */
function judgeComponent(c: Ctx, comp: number, members: Int32Array): FairComponent | null {
  const inComp = (u: number) => u >= 0 && c.comp[u] === comp;
  const j = judge(c, members, inComp);
  if (!j.live) return null;
  if (j.ok) return { members, inComp };
  if (c.fairness !== 'strong') return null;
  // Strong fairness: remove states where an offender is enabled, recurse on what is left.
  const keep = new Uint8Array(c.num.length); // sparse use; fine for the sizes liveness handles
  const en = new Uint8Array(c.rt.threads);
  let kept = 0;
  for (const v of members) {
    enabledAt(c, v, en);
    if (!j.offenders.some((t) => en[t])) {
      keep[v] = 1;
      kept++;
      c.num[v] = 0;
      c.onStack[v] = 0;
    }
  }
  if (kept === 0) return null;
  // Membership by `keep` alone: the nested search gives these states new component ids.
  const sub = (u: number) => u >= 0 && keep[u] === 1;
  return findFairComponent(c, members.filter((v) => keep[v] === 1), sub);
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

/** Shortest path inside the component from `from` to a state satisfying `atTarget` (may be `from` itself when allowSelf). */
function bfsPath(c: Ctx, from: number, inComp: (u: number) => boolean, atTarget: (v: number, pathLen: number) => boolean, allowSelf: boolean): Edge[] {
  if (allowSelf && atTarget(from, 0)) return [];
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
        return edgesFrom(c, v, inComp).some((e) => e.step.thread === t);
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
 * `edges`: the transitions the exploration counted (every stored state's
 * successors, or its kept ones under POR), to size the edge cache; 0: no
 * cache.
 */
export function checkLiveness(rt: Runtime, store: StateStore, opts: SearchOptions, start: number, por: PartialOrder | null = null, edges = 0): FoundViolation | null | IncompleteReason {
  try {
    return livenessSearch(rt, store, opts, start, por, edges);
  } catch (e) {
    if (e instanceof LivenessStop) return e.reason;
    throw e;
  }
}

function livenessSearch(rt: Runtime, store: StateStore, opts: SearchOptions, start: number, por: PartialOrder | null, edges: number): FoundViolation | null {
  const N = store.count;
  const c: Ctx = {
    rt,
    store,
    fairness: opts.fairness,
    starving: -1,
    num: new Int32Array(N),
    low: new Int32Array(N),
    comp: new Int32Array(N).fill(-1),
    onStack: new Uint8Array(N),
    nextComp: 0,
    counter: 0,
    deadline: start + opts.timeLimit * 1000,
    monitor: opts.monitor,
    por,
    edges: opts.edgeCache && edges > 0 && edgeCacheFits(rt, store, edges, opts) ? new EdgeCache(N, edges) : null,
  };
  const all = (u: number) => u >= 0;
  const roots = function* () {
    for (let v = 0; v < N; v++) yield v;
  };
  const attempt = (starving: number): FoundViolation | null => {
    c.starving = starving;
    c.num.fill(0);
    c.low.fill(0);
    c.onStack.fill(0);
    c.comp.fill(-1);
    c.counter = 0;
    const ec = c.edges;
    const found = ec !== null && ec.complete(N) ? findFairComponentCached(c, ec) : findFairComponent(c, roots(), all);
    if (!found) return null;
    // Entry: the member with the smallest BFS index (states are numbered in discovery order).
    let entry = found.members[0]!;
    for (const v of found.members) if (v < entry) entry = v;
    const stem = stepsAlong(rt, store, pathTo(store, entry));
    const cycle = fairCycle(c, entry, found.inComp);
    return livelockViolation(rt, [...stem, ...cycle.map((e) => e.step)], stem.length, starving);
  };
  const v = attempt(-1);
  if (v) return v;
  for (let t = 0; t < rt.threads; t++) {
    if (!rt.model.threads[t]!.template.hasProgress) continue;
    const s = attempt(t);
    if (s) return s;
  }
  return null;
}

