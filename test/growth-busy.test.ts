/**
 * A table growth is the search's own work between two polls, and it takes
 * seconds for tens of millions of states: every store tells the monitor
 * when one starts and ends (`SearchMonitor.busy`), the cell carries it to
 * the supervisor, and a stop request's grace starts again when it ends
 * (`graceFrom`), so that the thread is not ended inside it and its steps
 * are not blamed.
 */
import test from 'ava';
import { buildModel, search } from '../src/index.ts';
import { loadModel } from '../src/run/load.ts';
import { searchLockstep } from '../src/search/parallel-search.ts';
import { SearchCell, cellMonitor } from '../src/run/search-cell.ts';
import { BUSY_LIMIT_MS, WIND_DOWN_LIMIT_MS, graceFrom, graceOver } from '../src/run/supervise.ts';
import type { SearchMonitor } from '../src/search/types.ts';

/** A monitor that never stops the search and logs what `busy` was told. */
function logging(): { monitor: SearchMonitor; log: boolean[] } {
  const log: boolean[] = [];
  return { log, monitor: { poll: () => null, peakRssMB: () => 0, busy: (on) => void log.push(on) } };
}

/** Every growth that started ended, one at a time. */
function balanced(log: readonly boolean[]): boolean {
  return log.length % 2 === 0 && log.every((on, i) => on === (i % 2 === 0));
}

const peterson = async () => buildModel(await loadModel('peterson'), 'classic', { n: 3 });

for (const store of ['exact', 'hash-compact'] as const) {
  test(`one thread, ${store}: each growth of the table is told to the monitor, begun and ended`, async (t) => {
    const b = await peterson();
    const { monitor, log } = logging();
    const r = search(b, { monitor, store, liveness: false });
    const plain = search(b, { store, liveness: false });
    t.is(r.stats.states, plain.stats.states);
    // peterson(3) grows its table from 256 slots more than once.
    t.true(log.length >= 4, `${log.length}`);
    t.true(balanced(log), log.join());
  });

  test(`two workers (lockstep), ${store}: a round's growth and a lone growth are told to the monitor, begun and ended`, async (t) => {
    const b = await peterson();
    const { monitor, log } = logging();
    const r = searchLockstep(b, { monitor, store, liveness: false }, { workers: 2, initialSlots: 4, parallel: { parallelFrom: 8, roundStates: 64, earlyReserve: true, blockStates: 4 } });
    t.is(r.stats.states, search(b, { store, liveness: false }).stats.states);
    t.true(log.length >= 4, `${log.length}`);
    t.true(balanced(log), log.join());
  });
}

test('the cell carries the busy word from the search to its supervisor', (t) => {
  const cell = new SearchCell();
  const watcher = new SearchCell(cell.buffer);
  const monitor = cellMonitor(cell);
  t.false(watcher.busy());
  monitor.busy!(true);
  t.true(watcher.busy());
  monitor.busy!(false);
  t.false(watcher.busy());
});

test('a stop request waits for a growth under way: its grace starts again when the growth ends, for at most BUSY_LIMIT_MS', (t) => {
  // Requested at 0, no growth: the grace runs from 0.
  t.is(graceFrom(0, 0, false, 500), 0);
  // A growth seen at 900 and at 2,950: the grace runs from the last time it was seen.
  let from = graceFrom(0, 0, true, 900);
  from = graceFrom(0, from, true, 2950);
  t.is(graceFrom(0, from, false, 3000), 2950);
  // A growth that never ends holds the stop back for BUSY_LIMIT_MS only.
  t.is(graceFrom(0, 2950, true, BUSY_LIMIT_MS + 10), 2950);
});

test('a search that winds down (over, or it has seen the stop request) holds the grace back for WIND_DOWN_LIMIT_MS; the cell carries the word from the search to its supervisor', (t) => {
  let from = graceFrom(0, 0, true, 1500, WIND_DOWN_LIMIT_MS);
  t.is(from, 1500);
  from = graceFrom(0, from, true, WIND_DOWN_LIMIT_MS - 1, WIND_DOWN_LIMIT_MS);
  t.is(graceFrom(0, from, true, WIND_DOWN_LIMIT_MS + 10, WIND_DOWN_LIMIT_MS), WIND_DOWN_LIMIT_MS - 1);
  const cell = new SearchCell();
  const watcher = new SearchCell(cell.buffer);
  const monitor = cellMonitor(cell);
  t.false(watcher.windingDown());
  // A poll with no stop asked for: still searching.
  t.is(monitor.poll('explore', 1, 1, 0, 0, 0), null);
  t.false(watcher.windingDown());
  watcher.requestStop('time-limit');
  t.false(watcher.windingDown());
  t.is(monitor.poll('explore', 2, 2, 0, 0, 0), 'time-limit');
  t.true(watcher.windingDown());
  cell.reset();
  t.false(watcher.windingDown());
  // A search over by its own limit (or done) says so too.
  monitor.windingDown!();
  t.true(watcher.windingDown());
});

test('a late sample ends no thread: the watching thread was held up, and the answer may be queued behind the sample', (t) => {
  // Samples every 50 ms: past the grace of 1,000 ms from 0, the thread is ended.
  t.true(graceOver(1000, 950, 0, 1000));
  t.false(graceOver(990, 940, 0, 1000));
  // The watcher was held up 1.3 s (a long task of the same thread): past the grace, but this sample lets the queue be read first.
  t.false(graceOver(1400, 100, 0, 1000));
  // The next one, on time, ends it.
  t.true(graceOver(1450, 1400, 0, 1000));
});
