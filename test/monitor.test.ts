/**
 * The monitors answer `peakRssMB` from a reading at most a few milliseconds
 * old: the search asks before recording a state's edges (`cacheFits`), and a
 * reading of the resident memory is a system call.
 */
import test from 'ava';
import { SearchCell, cellMonitor } from '../src/run/search-cell.ts';
import { rssMonitor } from '../src/run/monitor.ts';

for (const [name, make] of [
  ['the supervised search', () => cellMonitor(new SearchCell())],
  ['the command line', () => rssMonitor()],
] as const) {
  test.serial(`${name}'s monitor reads the resident memory at most every few milliseconds however often it is asked`, (t) => {
    const m = make();
    const real = process.memoryUsage;
    let reads = 0;
    // Either way of reading it counts: process.memoryUsage() and process.memoryUsage.rss().
    const counted = Object.assign(
      () => {
        reads++;
        return real();
      },
      {
        rss: () => {
          reads++;
          return real.rss();
        },
      },
    );
    process.memoryUsage = counted as typeof process.memoryUsage;
    try {
      const t0 = performance.now();
      let mb = 0;
      for (let i = 0; i < 10_000; i++) mb = m.peakRssMB();
      const ms = performance.now() - t0;
      t.true(mb > 0);
      // One reading per 5 ms at most (and the first).
      t.true(reads <= 1 + Math.ceil(ms / 5), `${reads} readings in ${ms.toFixed(1)} ms`);
    } finally {
      process.memoryUsage = real;
    }
  });
}
