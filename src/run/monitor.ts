import type { IncompleteReason, SearchMonitor } from '../search/types.ts';

/**
 * The search monitor the command line runs with: it samples this process's
 * resident set size (at most once a second while polled, and at most every
 * 5 ms when the peak is asked for) so that the stats can report the peak. It never
 * stops a search: `--memory-limit` bounds the state storage, which the
 * search measures itself.
 */
export function rssMonitor(): SearchMonitor {
  let peak = process.memoryUsage().rss;
  let last = performance.now();
  return {
    poll(): IncompleteReason | null {
      // How far the search got is not needed here: this monitor only measures.
      const now = performance.now();
      if (now - last >= 1000) {
        last = now;
        const rss = process.memoryUsage().rss;
        if (rss > peak) peak = rss;
      }
      return null;
    },
    peakRssMB(): number {
      // Asked often (before recording edges), read at most every 5 ms: a reading is a system call.
      const now = performance.now();
      if (now - last >= 5) {
        last = now;
        const rss = process.memoryUsage.rss();
        if (rss > peak) peak = rss;
      }
      return peak / (1024 * 1024);
    },
  };
}
