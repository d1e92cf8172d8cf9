import { NO_PARENT } from '../store/store.ts';
import { grown } from '../store/growable.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { PartialOrder } from '../reduce/por.ts';
import type { Symmetry } from '../reduce/symmetry.ts';
import type { IncompleteReason, SearchOptions } from './types.ts';
import { limitsCheck } from './explore-limits.ts';
import { expansionViolation, storeInitial, type ExploreStore as Store, type StoredViolation } from './stored-path.ts';
import { exploreDfsStack } from './dfs-stack.ts';
import { NumberedProviso } from './proviso.ts';
import type { EdgeCache, EdgeRecorder } from './edge-cache.ts';

/**
 * Exhaustive safety exploration (BFS or DFS) into a StateStore. Checks
 * invariants on every new state, assertions in every step, and deadlock on
 * every expanded state. BFS stores states in discovery order, so the store
 * itself is the queue and the first violation found has a shortest path.
 */
export interface ExploreOutcome {
  violation: StoredViolation | null;
  incomplete: IncompleteReason | null;
  transitions: number;
  depth: number;
  frontier: number;
  /** Keeps prefetch loads observable. */
  sink?: number;
  /** Every stored state's successors, when the exploration recorded them for the cycle search (`record`). */
  edges?: EdgeCache | null;
  /** With memory-limit: the bytes at which a buffer of the multi-core store was full (its own bound, below the memory limit's). */
  storeFull?: number;
  /** The multi-core search: the most workers that took part in one round (1 when every round ran in the search thread alone). */
  workers?: number;
}

const CHECK_EVERY = 1024;

/** Optional reductions applied to the successors of every expanded state. */
export interface Reducers {
  readonly por: PartialOrder | null;
  readonly sym: Symmetry | null;
}
export const noReducers: Reducers = Object.freeze({ por: null, sym: null });

/**
 * `record`: keep every state's successors for the cycle search (only the
 * breadth-first search without reductions does; `out.edges`).
 */
export function explore(rt: Runtime, store: Store, opts: SearchOptions, start: number, red: Reducers = noReducers, record: EdgeRecorder | null = null): ExploreOutcome {
  const W = rt.words;
  const deadlockOn = opts.deadlock ?? rt.model.deadlock;
  const hasInv = rt.model.invariants.length > 0;
  const invNames = rt.model.invariants.map((i) => i.name);
  const { por, sym } = red;
  const verifyFootprints = por !== null && por.hasDeclared;
  const out: ExploreOutcome = { violation: null, incomplete: null, transitions: 0, depth: 0, frontier: 0 };
  out.violation = storeInitial(rt, sym, (init, h) => void store.insert(init, 0, h, NO_PARENT));
  if (out.violation !== null) return out;
  // The limit holds from the first state on: --max-states 1 stores the initial state and expands nothing.
  if (store.count >= opts.maxStates) return finish(out, 'max-states', 0, store.count);
  let ticks = 0;
  // Limits and progress are checked every CHECK_EVERY expansions.
  const tick = limitsCheck(opts, start, store, () => out.transitions);
  const maxStates = opts.maxStates;
  let hashes = new Int32Array(64);
  let sink = 0;
  /** New states found by the last expand() call (for DFS to push). */
  let fresh = new Int32Array(64);
  let nFresh = 0;
  let hitLimit = false;
  // Candidate stubborn sets are tested against the proviso before one is chosen.
  const proviso = por !== null ? new NumberedProviso(store, por.sets.gBase, sym, W) : null;

  /**
   * Expand state s: generate successors, keep an ample subset (POR), map
   * each to its canonical representative (symmetry), insert, check
   * invariants on new states. Returns false when a violation was found.
   */
  const expand = (s: number, depthNext: number): boolean => {
    const chunk = store.chunkOf(s);
    const off = store.offsetOf(s);
    if (verifyFootprints) por.verify(rt, chunk, off);
    const n = rt.expand(chunk, off);
    nFresh = 0;
    const v = expansionViolation(rt, chunk, off, n, s, deadlockOn);
    if (v !== null) {
      out.violation = v;
      return false;
    }
    const succ = rt.succ;
    // The ample range [lo, hi): one thread's successors when POR can reduce here.
    let lo = 0;
    let hi = n;
    if (por !== null) {
      hi = proviso!.ample(por, s, rt, chunk, off, n);
      lo = por.ampleLo;
    }
    if (hashes.length < n) {
      hashes = new Int32Array(n * 2);
      fresh = new Int32Array(n * 2);
    }
    for (let i = lo; i < hi; i++) {
      if (sym !== null) sym.canonicalize(succ, i * W);
      hashes[i] = rt.hash(succ, i * W);
    }
    if (sym === null) sink ^= store.prefetch(succ, hashes, lo, hi);
    let seen = false;
    if (por !== null) por.noteExpansion(s, hi - lo === n);
    for (let pass = 0; pass < 2; pass++) {
      for (let i = lo; i < hi; i++) {
        const o = i * W;
        const r = store.insert(succ, o, hashes[i]!, s);
        if (r < 0) {
          // Only an edge back to a state numbered no later than s can close a cycle of reduced expansions.
          if (-r - 1 <= s) seen = true;
          continue;
        }
        fresh[nFresh++] = r;
        if (hasInv) {
          const v = rt.checkInvariants(succ, o);
          if (v >= 0) {
            out.violation = { kind: 'invariant', property: invNames[v]!, state: r };
            out.transitions += hi - lo;
            return false;
          }
        }
        if (store.count >= maxStates) {
          hitLimit = true;
          out.transitions += hi - lo;
          return true;
        }
      }
      out.transitions += hi - lo;
      // C3 cycle proviso: states are numbered in insertion order, and a state expanded with a proper
      // subset has edges only to states numbered after it, so every cycle of the reduced graph passes a
      // fully expanded state (whatever the order of expansion: BFS, DFS, and the liveness search's cycles).
      // An ample set that reaches a state numbered no later than s is not enough; expand fully.
      if (pass === 1 || !(seen && (lo > 0 || hi < n))) break;
      if (por !== null) por.noteExpansion(s, true);
      const [a, b] = [lo, hi];
      for (let i = 0; i < n; i++) {
        if (i >= a && i < b) continue;
        if (sym !== null) sym.canonicalize(succ, i * W);
        hashes[i] = rt.hash(succ, i * W);
      }
      // Second pass over the rest: [0, a) then [b, n).
      for (let i = 0; i < a; i++) {
        const r = insertOne(i);
        if (r === 1) return false;
        if (r === 2) return true;
      }
      lo = b;
      hi = n;
      seen = false;
    }
    return true;

    function insertOne(i: number): number {
      const o = i * W;
      out.transitions++;
      const r = store.insert(succ, o, hashes[i]!, s);
      if (r < 0) return 0;
      fresh[nFresh++] = r;
      if (hasInv) {
        const v = rt.checkInvariants(succ, o);
        if (v >= 0) {
          out.violation = { kind: 'invariant', property: invNames[v]!, state: r };
          return 1;
        }
      }
      if (store.count >= maxStates) {
        hitLimit = true;
        return 2;
      }
      return 0;
    }
    void depthNext;
  };

  if (opts.strategy === 'bfs' && por === null && sym === null) {
    bfsBatched(rt, store, out, tick, maxStates, deadlockOn, invNames, record);
    if (record !== null && out.violation === null && out.incomplete === null) out.edges = record.cache(store.count);
    return out;
  }
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
      const ok = expand(head, depth + 1);
      if ((head & 0xffff) === 0xffff && 'release' in store) store.release(head);
      if (!ok) {
        out.depth = out.violation!.kind === 'invariant' ? depth + 1 : depth;
        out.sink = sink;
        return out;
      }
      if (hitLimit) return finish(out, 'max-states', depth + 1, store.count - head - 1);
      head++;
    }
    out.depth = depth;
    out.sink = sink;
    return out;
  }

  // DFS with POR and --stack-proviso: a depth-first stack and SPIN's stack proviso (a weaker condition than the numbering one).
  if (por !== null && opts.stackProviso) return exploreDfsStack(rt, store, opts, start, red);
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
    const ok = expand(s, d + 1);
    if (!ok) {
      out.depth = Math.max(maxDepth, out.violation!.kind === 'invariant' ? d + 1 : d);
      return out;
    }
    // Push in reverse so the first successor is explored first.
    for (let i = nFresh - 1; i >= 0; i--) {
      if (sp === stack.length) {
        stack = grown(stack, stack.length * 2);
        depths = grown(depths, depths.length * 2);
      }
      stack[sp] = fresh[i]!;
      depths[sp++] = d + 1;
    }
    if (hitLimit) return finish(out, 'max-states', Math.max(maxDepth, d + 1), sp);
  }
  out.depth = maxDepth;
  return out;
}

const BLOCK = 32;

/**
 * Breadth-first search without reductions, in blocks: expand up to BLOCK
 * states of the current level into one successor buffer, hash them all, read
 * all their table slots in one pass (independent loads, so the cache misses
 * overlap), then insert in order. States are numbered exactly as one-by-one
 * BFS numbers them, and a violation found while expanding (an assertion, a
 * deadlock) is reported only after the successors of the earlier states of
 * the block were inserted and checked, so the first violation is the same.
 */
function bfsBatched(
  rt: Runtime,
  store: Store,
  out: ExploreOutcome,
  tick: (depth: number, frontier: number) => IncompleteReason | null,
  maxStates: number,
  deadlockOn: boolean,
  invNames: readonly string[],
  record: EdgeRecorder | null,
): ExploreOutcome {
  const W = rt.words;
  const hasInv = invNames.length > 0;
  let rec = record;
  const counts = new Int32Array(BLOCK);
  let parents = new Int32Array(256);
  let hashes = new Int32Array(256);
  let sink = 0;
  let head = 0;
  let depth = 0;
  let levelEnd = 1;
  let ticks = 0;
  while (head < store.count) {
    if (head === levelEnd) {
      depth++;
      levelEnd = store.count;
    }
    ticks += BLOCK;
    if (ticks >= CHECK_EVERY) {
      ticks = 0;
      const r = tick(depth, store.count - head);
      if (r) return finish(out, r, depth, store.count - head);
    }
    const end = Math.min(levelEnd, head + BLOCK);
    let total = 0;
    let stopAt = -1; // the state whose expansion found an assertion failure or deadlock
    for (let s = head; s < end; s++) {
      const chunk = store.chunkOf(s);
      const off = store.offsetOf(s);
      const n = rt.expand(chunk, off, -1, total);
      const v = expansionViolation(rt, chunk, off, n, s, deadlockOn);
      if (v !== null) {
        stopAt = s;
        out.violation = v;
        break;
      }
      if (parents.length < total + n) {
        parents = grown(parents, (total + n) * 2);
        hashes = new Int32Array((total + n) * 2);
      }
      parents.fill(s, total, total + n);
      counts[s - head] = n;
      total += n;
    }
    // Recording the edges: the block's states' first edges and counts now, each successor's store index as it is inserted.
    let e0 = 0;
    if (rec !== null) {
      const last = stopAt >= 0 ? stopAt : end;
      if (rec.room(last, rec.used + total)) {
        e0 = rec.used;
        for (let s = head, e = e0; s < last; s++) {
          rec.first[s] = e;
          rec.count[s] = counts[s - head]!;
          e += counts[s - head]!;
        }
        rec.used += total;
      } else rec = null;
    }
    const succ = rt.succ;
    if (hashes.length < total) hashes = new Int32Array(total * 2);
    for (let i = 0; i < total; i++) hashes[i] = rt.hash(succ, i * W);
    sink ^= store.prefetch(succ, hashes, 0, total);
    for (let i = 0; i < total; i++) {
      out.transitions++;
      const o = i * W;
      const r = store.insert(succ, o, hashes[i]!, parents[i]!);
      if (rec !== null) {
        rec.to[e0 + i] = r < 0 ? -r - 1 : r;
        rec.meta[e0 + i] = (rt.succThread[i]! << 1) | rt.succProgress[i]!;
      }
      if (r < 0) continue;
      if (hasInv) {
        const v = rt.checkInvariants(succ, o);
        if (v >= 0) {
          out.violation = { kind: 'invariant', property: invNames[v]!, state: r };
          out.depth = depth + 1;
          out.sink = sink;
          return out;
        }
      }
      if (store.count >= maxStates) {
        out.violation = null;
        return finish(out, 'max-states', depth + 1, store.count - parents[i]! - 1);
      }
    }
    if (stopAt >= 0) {
      out.depth = depth;
      return out;
    }
    head = end;
    if ('release' in store) store.release(head);
  }
  out.depth = depth;
  out.sink = sink;
  return out;
}

function finish(out: ExploreOutcome, reason: IncompleteReason, depth: number, frontier: number): ExploreOutcome {
  out.incomplete = reason;
  out.depth = depth;
  out.frontier = frontier;
  return out;
}
