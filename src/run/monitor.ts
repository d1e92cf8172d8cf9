import type { IncompleteReason, SearchMonitor } from '../search/types.ts';

/**
 * How long a reading of the resident memory stands for the search's own
 * questions (`peakRssMB`, which `cacheFits` asks before recording a state's
 * edges): reading it takes a system call, about 20 us, and asked once per
 * state it had made the multi-core exploration of a ticket lock (n=5,
 * 697,929 states, recording the cycle search's edges) take 1.2 s instead
 * of 0.45 s.
 */
export const RSS_FRESH_MS = 5;

/** This process's resident set size in bytes, read at most every `freshMs` however often it is asked. */
export function rssReader(freshMs = RSS_FRESH_MS): () => number {
  let at = -Infinity;
  let rss = 0;
  return () => {
    const now = performance.now();
    if (now - at >= freshMs) {
      at = now;
      rss = process.memoryUsage.rss();
    }
    return rss;
  };
}

/**
 * The search monitor the command line runs with: it samples this process's
 * resident set size (about once a second while polled, and whenever the
 * peak is asked for, through `rssReader`) so that the stats can report the
 * peak. It never stops a search: `--memory-limit` bounds the state storage,
 * which the search measures itself.
 */
export function rssMonitor(): SearchMonitor {
  const rss = rssReader();
  let peak = rss();
  let last = performance.now();
  const sample = (): void => {
    const r = rss();
    if (r > peak) peak = r;
  };
  return {
    poll(): IncompleteReason | null {
      // How far the search got is not needed here: this monitor only measures.
      const now = performance.now();
      if (now - last >= 1000) {
        last = now;
        sample();
      }
      return null;
    },
    peakRssMB(): number {
      sample();
      return peak / (1024 * 1024);
    },
  };
}
