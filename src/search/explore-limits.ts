import type { IncompleteReason, SearchOptions } from './types.ts';

/** What the limits check reads of a store: its state count and its bytes, and whether the memory refused its table's growth. */
interface Measured {
  readonly count: number;
  readonly refusedForMemory?: boolean;
  bytes(): number;
}

/**
 * The check every exploration (BFS, DFS, the stack-proviso DFS, the
 * multi-core rounds) makes every few thousand expansions: the time and
 * memory limits, the supervisor's monitor (signals, the RSS ceiling), and a
 * progress report at most once a second. Returns why the search must stop,
 * or null. `transitions` is read when called, so the caller passes a
 * function of its running count.
 */
export function limitsCheck(opts: SearchOptions, start: number, store: Measured, transitions: () => number): (depth: number, frontier: number) => IncompleteReason | null {
  const memLimit = opts.memoryLimitMB * 1024 * 1024;
  const monitor = opts.monitor;
  let lastReport = start;
  return (depth, frontier) => {
    const now = performance.now();
    if ((now - start) / 1000 > opts.timeLimit) return 'time-limit';
    if (store.bytes() > memLimit || store.refusedForMemory === true) return 'memory-limit';
    if (monitor !== null) {
      const r = monitor.poll('explore', store.count, transitions(), depth, frontier, store.bytes());
      if (r !== null) return r;
    }
    if (opts.onProgress && now - lastReport >= 1000) {
      lastReport = now;
      opts.onProgress({ phase: 'explore', states: store.count, transitions: transitions(), depth, frontier, seconds: (now - start) / 1000, bytes: store.bytes() });
    }
    return null;
  };
}
