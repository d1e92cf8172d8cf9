import { NO_PARENT, StateStore } from '../store/store.ts';
import type { Runtime } from './runtime.ts';
import type { FoundViolation, IncompleteReason, PathStep, SearchOptions } from './types.ts';

/**
 * Exhaustive safety exploration (BFS or DFS) into a StateStore. Checks
 * invariants on every new state, assertions in every step, and deadlock on
 * every expanded state. BFS stores states in discovery order, so the store
 * itself is the queue and the first violation found has a shortest path.
 */
export interface ExploreOutcome {
  violation: { kind: 'invariant' | 'assertion' | 'deadlock'; property: string; state: number; failStep?: PathStep } | null;
  incomplete: IncompleteReason | null;
  transitions: number;
  depth: number;
  frontier: number;
  peakRss: number;
  /** Keeps prefetch loads observable. */
  sink?: number;
}

const CHECK_EVERY = 1024;

export function explore(rt: Runtime, store: StateStore, opts: SearchOptions, start: number): ExploreOutcome {
  const W = rt.words;
  const deadlockOn = opts.deadlock ?? rt.model.deadlock;
  const hasInv = rt.model.invariants.length > 0;
  const invNames = rt.model.invariants.map((i) => i.name);
  const init = rt.initial();
  const out: ExploreOutcome = { violation: null, incomplete: null, transitions: 0, depth: 0, frontier: 0, peakRss: process.memoryUsage().rss };
  store.insert(init, 0, rt.hash(init, 0), NO_PARENT);
  if (hasInv) {
    const v = rt.checkInvariants(init, 0);
    if (v >= 0) {
      out.violation = { kind: 'invariant', property: invNames[v]!, state: 0 };
      return out;
    }
  }
  const memLimit = opts.memoryLimitMB * 1024 * 1024;
  let lastReport = start;
  let ticks = 0;
  // Limits and progress are checked every CHECK_EVERY expansions.
  const tick = (depth: number, frontier: number): IncompleteReason | null => {
    const now = performance.now();
    if ((now - start) / 1000 > opts.timeLimit) return 'time-limit';
    if (store.bytes() > memLimit) return 'memory-limit';
    if (opts.onProgress && now - lastReport >= 1000) {
      lastReport = now;
      const rss = process.memoryUsage().rss;
      if (rss > out.peakRss) out.peakRss = rss;
      opts.onProgress({ phase: 'explore', states: store.count, transitions: out.transitions, depth, frontier, seconds: (now - start) / 1000, bytes: store.bytes() });
    }
    return null;
  };
  const maxStates = opts.maxStates;

  let hashes = new Int32Array(64);
  let sink = 0;
  if (opts.strategy === 'bfs') {
    let head = 0;
    let depth = 0;
    let levelEnd = 1;
    while (head < store.count) {
      if (head === levelEnd) {
        depth++;
        levelEnd = store.count;
      }
      if (++ticks === CHECK_EVERY) {
        ticks = 0;
        const r = tick(depth, store.count - head);
        if (r) return finish(out, r, depth, store.count - head);
      }
      const chunk = store.chunkOf(head);
      const off = store.offsetOf(head);
      const n = rt.expand(chunk, off);
      if (n < 0) {
        out.violation = { kind: 'assertion', property: rt.failProperty, state: head, failStep: { thread: rt.failThread, step: rt.failStep, choice: rt.failChoice } };
        out.depth = depth;
        return out;
      }
      if (n === 0 && deadlockOn && !rt.allEnded(chunk, off)) {
        out.violation = { kind: 'deadlock', property: 'deadlock', state: head };
        out.depth = depth;
        return out;
      }
      out.transitions += n;
      const succ = rt.succ;
      if (hashes.length < n) hashes = new Int32Array(n * 2);
      for (let i = 0; i < n; i++) hashes[i] = rt.hash(succ, i * W);
      sink ^= store.prefetch(succ, hashes, n);
      for (let i = 0; i < n; i++) {
        const o = i * W;
        const r = store.insert(succ, o, hashes[i]!, head);
        if (r >= 0) {
          if (hasInv) {
            const v = rt.checkInvariants(succ, o);
            if (v >= 0) {
              out.violation = { kind: 'invariant', property: invNames[v]!, state: r };
              out.depth = depth + 1;
              return out;
            }
          }
          if (store.count >= maxStates) return finish(out, 'max-states', depth + 1, store.count - head - 1);
        }
      }
      head++;
    }
    out.depth = depth;
    out.sink = sink;
    return out;
  }

  // DFS: a stack of state indices with their depths; states are stored when generated.
  let stack = new Int32Array(1024);
  let depths = new Int32Array(1024);
  let sp = 0;
  stack[sp] = 0;
  depths[sp++] = 0;
  let maxDepth = 0;
  while (sp > 0) {
    if (++ticks === CHECK_EVERY) {
      ticks = 0;
      const r = tick(maxDepth, sp);
      if (r) return finish(out, r, maxDepth, sp);
    }
    const s = stack[--sp]!;
    const d = depths[sp]!;
    if (d > maxDepth) maxDepth = d;
    const chunk = store.chunkOf(s);
    const off = store.offsetOf(s);
    const n = rt.expand(chunk, off);
    if (n < 0) {
      out.violation = { kind: 'assertion', property: rt.failProperty, state: s, failStep: { thread: rt.failThread, step: rt.failStep, choice: rt.failChoice } };
      out.depth = maxDepth;
      return out;
    }
    if (n === 0 && deadlockOn && !rt.allEnded(chunk, off)) {
      out.violation = { kind: 'deadlock', property: 'deadlock', state: s };
      out.depth = maxDepth;
      return out;
    }
    out.transitions += n;
    const succ = rt.succ;
    // Push in reverse so the first successor is explored first.
    for (let i = n - 1; i >= 0; i--) {
      const o = i * W;
      const r = store.insert(succ, o, rt.hash(succ, o), s);
      if (r >= 0) {
        if (hasInv) {
          const v = rt.checkInvariants(succ, o);
          if (v >= 0) {
            out.violation = { kind: 'invariant', property: invNames[v]!, state: r };
            out.depth = Math.max(maxDepth, d + 1);
            return out;
          }
        }
        if (sp === stack.length) {
          const ns = new Int32Array(stack.length * 2);
          ns.set(stack);
          stack = ns;
          const nd = new Int32Array(depths.length * 2);
          nd.set(depths);
          depths = nd;
        }
        stack[sp] = r;
        depths[sp++] = d + 1;
        if (store.count >= maxStates) return finish(out, 'max-states', Math.max(maxDepth, d + 1), sp);
      }
    }
  }
  out.depth = maxDepth;
  return out;
}

function finish(out: ExploreOutcome, reason: IncompleteReason, depth: number, frontier: number): ExploreOutcome {
  out.incomplete = reason;
  out.depth = depth;
  out.frontier = frontier;
  return out;
}

/** State indices from the initial state to `idx`, following the parent log. */
export function pathTo(store: StateStore, idx: number): number[] {
  const path: number[] = [];
  for (let s = idx; s !== NO_PARENT; s = store.parentOf(s)) path.push(s);
  return path.reverse();
}

/**
 * The step (thread, step, choice) that leads from state `from` to state
 * `to`: found again by re-expanding `from` (the parent log stores no step).
 */
export function stepBetween(rt: Runtime, store: StateStore, from: number, to: number, toWords?: Uint32Array): PathStep {
  const W = rt.words;
  const target = toWords ?? (() => {
    const t = new Uint32Array(W);
    store.read(to, t);
    return t;
  })();
  const n = rt.expand(store.chunkOf(from), store.offsetOf(from));
  for (let i = 0; i < n; i++) {
    let k = 0;
    while (k < W && rt.succ[i * W + k] === target[k]) k++;
    if (k === W) return { thread: rt.succThread[i]!, step: rt.succStep[i]!, choice: rt.succChoice[i]! };
  }
  throw new Error(`internal: no transition from state ${from} to state ${to}`);
}

export function stepsAlong(rt: Runtime, store: StateStore, path: readonly number[]): PathStep[] {
  const steps: PathStep[] = [];
  for (let i = 1; i < path.length; i++) steps.push(stepBetween(rt, store, path[i - 1]!, path[i]!));
  return steps;
}

export function violationFrom(rt: Runtime, store: StateStore, v: NonNullable<ExploreOutcome['violation']>): FoundViolation {
  const steps = stepsAlong(rt, store, pathTo(store, v.state));
  if (v.failStep) steps.push(v.failStep);
  return { kind: v.kind, property: v.property, steps };
}
