import type { SearchOptions } from './types.ts';

/**
 * Every state's successors as the livelock search follows them: the store
 * index, thread and progress flag of each, so that the cycle search's
 * passes (one for livelocks, then one per thread with progress labels for
 * starvation) and its fairness judgements walk arrays instead of executing
 * the steps again. 8 bytes per state and 6 per edge.
 *
 * A breadth-first exploration without reductions records it as it goes
 * (`EdgeRecorder` in one thread, the rounds' shared edge buffers with
 * workers): every edge is then known from the table lookup that inserted
 * its successor. Otherwise the first pass of the cycle search fills it
 * (`liveness.ts`). Either way it is kept only while resident memory with
 * it stays under 70% of the run's ceiling, 35% while it is recorded
 * (`cacheFits`).
 */
export class EdgeCache {
  used = 0;
  private whole = false;

  constructor(
    /** Per state: its first edge, or -1 while it is not cached. */
    readonly first: Int32Array,
    readonly count: Int32Array,
    readonly to: Int32Array,
    /** thread << 1 | progress */
    readonly meta: Uint16Array,
  ) {}

  /** A cache of every state's edges, as an exploration recorded them: `to` and `meta` hold exactly its edges. */
  static recorded(first: Int32Array, count: Int32Array, to: Int32Array, meta: Uint16Array): EdgeCache {
    const c = new EdgeCache(first, count, to, meta);
    c.used = to.length;
    return c;
  }

  /** An empty cache for `states` states and `edges` edges. */
  static sized(states: number, edges: number): EdgeCache {
    return new EdgeCache(new Int32Array(states).fill(-1), new Int32Array(states), new Int32Array(edges), new Uint16Array(edges));
  }

  /** Whether every one of the n states is cached (checked once it is). */
  complete(n: number): boolean {
    if (!this.whole) {
      let i = 0;
      while (i < n && this.first[i]! >= 0) i++;
      this.whole = i === n;
    }
    return this.whole;
  }
}

/** Bytes of an edge cache for these counts. */
export const edgeCacheBytes = (states: number, edges: number): number => 8 * states + 6 * edges;

/** The most edges a cache holds (Int32 edge numbers), and the most threads (15 bits of `meta`). */
export const MAX_CACHED_EDGES = 2 ** 31 - 1;
export const MAX_CACHED_THREADS = 2 ** 15;

/**
 * The share of the run's ceiling an edge cache may bring resident memory
 * to: 70% when the cycle search builds it (the exploration is over, its
 * memory known), 35% while an exploration records it (the store may still
 * grow as much again, and a cache the rounds recorded on shared buffers
 * stays resident when recording stops).
 */
export const BUILT_SHARE = 0.7;
export const RECORDED_SHARE = 0.35;

/**
 * Whether `bytes` more of edge cache fit: resident memory with them under
 * `share` of the run's ceiling (the supervisor's bound on resident memory: the
 * given `--memory-limit` or the default 80% of the machine's or cgroup's
 * memory; without a supervisor, the search's own `memoryLimitMB`, measured
 * against `storeBytes`, or 2 GiB of cache when there is no limit at all),
 * so that caching never turns a search that fits into one that runs out of
 * memory. `cached`: bytes of cache already held (counted by resident
 * memory when it is measured).
 */
export function cacheFits(bytes: number, cached: number, storeBytes: number, opts: SearchOptions, share = BUILT_SHARE): boolean {
  const m = opts.monitor;
  const ceilingMB = m?.ceilingMB ?? (Number.isFinite(opts.memoryLimitMB) ? opts.memoryLimitMB : null);
  if (ceilingMB === null) return cached + bytes <= 2 ** 31;
  const used = m !== null && m.peakRssMB() > 0 ? m.peakRssMB() * 2 ** 20 : storeBytes + cached;
  return used + bytes < share * ceilingMB * 2 ** 20;
}

/** Whether a store may allocate `bytes` more at once (a larger table): resident memory with them under the run's ceiling, measured as `cacheFits` measures it. */
export function memoryFits(bytes: number, storeBytes: number, opts: SearchOptions): boolean {
  return cacheFits(bytes, 0, storeBytes, opts, 1);
}

/**
 * The edge cache of a one-thread breadth-first exploration, recorded as it
 * inserts: `room` before each block, then the block's states' first edges
 * and counts and each successor's index, thread and progress flag. When
 * the cache would no longer fit (`cacheFits`, RECORDED_SHARE) it is
 * dropped, and the cycle search decides for itself whether to build one.
 */
export class EdgeRecorder {
  first = new Int32Array(1024);
  count = new Int32Array(1024);
  to = new Int32Array(4096);
  meta = new Uint16Array(4096);
  used = 0;
  dropped = false;

  constructor(
    private readonly opts: SearchOptions,
    private readonly storeBytes: () => number,
  ) {}

  /** Make room for states [0, states) and edges [0, edges); false when the cache was dropped (it no longer fits). */
  room(states: number, edges: number): boolean {
    if (this.dropped) return false;
    if (states <= this.first.length && edges <= this.to.length) return true;
    let sCap = this.first.length;
    while (sCap < states) sCap *= 2;
    let eCap = this.to.length;
    while (eCap < edges) eCap *= 2;
    const held = edgeCacheBytes(this.first.length, this.to.length);
    const more = (sCap > this.first.length ? 8 * sCap : 0) + (eCap > this.to.length ? 6 * eCap : 0);
    if (edges > MAX_CACHED_EDGES || !cacheFits(more, held, this.storeBytes(), this.opts, RECORDED_SHARE)) {
      this.drop();
      return false;
    }
    if (sCap > this.first.length) {
      this.first = copyInto(new Int32Array(sCap), this.first);
      this.count = copyInto(new Int32Array(sCap), this.count);
    }
    if (eCap > this.to.length) {
      this.to = copyInto(new Int32Array(eCap), this.to);
      this.meta = copyInto(new Uint16Array(eCap), this.meta);
    }
    return true;
  }

  drop(): void {
    this.dropped = true;
    this.first = new Int32Array(0);
    this.count = new Int32Array(0);
    this.to = new Int32Array(0);
    this.meta = new Uint16Array(0);
  }

  /** The cache of states [0, n), every one recorded (null when it was dropped). */
  cache(n: number): EdgeCache | null {
    if (this.dropped) return null;
    return EdgeCache.recorded(this.first.subarray(0, n), this.count.subarray(0, n), this.to.subarray(0, this.used), this.meta.subarray(0, this.used));
  }
}

function copyInto<T extends Int32Array | Uint16Array>(to: T, from: T): T {
  to.set(from);
  return to;
}
