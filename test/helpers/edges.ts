import type { Runtime } from '../../src/exec/runtime.ts';
import type { EdgeCache } from '../../src/search/edge-cache.ts';
import type { SearchMonitor } from '../../src/search/types.ts';

interface Stored {
  readonly count: number;
  chunkOf(i: number): Uint32Array;
  offsetOf(i: number): number;
  find(buf: Uint32Array, off: number, h: number): number;
}

/**
 * Why `cache` is not every stored state's successors as the steps give them
 * (index of each successor in the store, thread and progress flag, in the
 * steps' order), or null when it is.
 */
export function edgeCacheMismatch(rt: Runtime, store: Stored, cache: EdgeCache): string | null {
  const W = rt.words;
  let next = 0;
  for (let v = 0; v < store.count; v++) {
    const n = rt.expand(store.chunkOf(v), store.offsetOf(v));
    if (cache.first[v] !== next) return `state ${v}: first edge ${cache.first[v]}, expected ${next}`;
    if (cache.count[v] !== n) return `state ${v}: ${cache.count[v]} edges, expected ${n}`;
    for (let i = 0; i < n; i++) {
      const u = store.find(rt.succ, i * W, rt.hash(rt.succ, i * W));
      const e = next + i;
      if (cache.to[e] !== u) return `state ${v} edge ${i}: to ${cache.to[e]}, expected ${u}`;
      if (cache.meta[e] !== ((rt.succThread[i]! << 1) | rt.succProgress[i]!)) return `state ${v} edge ${i}: meta ${cache.meta[e]}`;
    }
    next += n;
  }
  return next === cache.used && cache.to.length === next ? null : `${cache.used} edges recorded, expected ${next}`;
}

/**
 * A monitor whose resident memory passes the edge cache's shares of its
 * ceiling from its k-th reading on (a recorded cache is then dropped
 * wherever the search is, and none is built), and stays below the ceiling
 * itself, as its polls say (a store still grows its table: one over the
 * ceiling would be refused).
 */
export function ceilingAfter(k: number): SearchMonitor {
  let reads = 0;
  return { poll: () => null, peakRssMB: () => (reads++ >= k ? 800 : 1), ceilingMB: 1000 };
}
