/**
 * The cycle search of a livelock check reports where it is: its progress
 * (the task, what it looks for, the states it has visited of how many) and,
 * when a limit or a signal stops it there, the same in the incomplete
 * result, where it reported only the exploration's counts before. What is
 * checked here does not depend on timing: the first task's report comes at
 * once, and a stop comes at the search's first poll.
 */
import test from 'ava';
import { buildModel, search, type ProgressInfo, type SearchResult } from '../src/index.ts';
import { SearchCell, cellMonitor } from '../src/run/search-cell.ts';
import { cycleSearchAt, cycleSearchText, HELPER_KIND } from '../src/search/cycle-progress.ts';
import { searchLockstep } from '../src/search/parallel-search.ts';
import { searchProgressText } from '../src/cli/progress.ts';
import type { SearchMonitor } from '../src/search/types.ts';
import mew from '../models/migration-entry-wait.ts';

/** 1,703 states and no fair non-progress cycle: every task of the cycle search runs. */
const waits = () => buildModel(mew, 'wait-on-locked', { faulters: 5, contended: 'wait' });
/** A livelock. */
const livelock = () => buildModel(mew, 'put-and-wait', { faulters: 4 });
/** The cycle search's tasks: the livelock pass, the states on cycles, one starvation pass per thread with progress labels. */
const tasksOf = (m: ReturnType<typeof waits>) => 2 + m.threads.filter((t) => t.template.hasProgress).length;

/** A monitor that stops the search at its first poll in the cycle search once it is at a task `at` accepts (and records what it was told). */
function stopIn(at: (task: number) => boolean): SearchMonitor & { told: number[][] } {
  let task = 0;
  const told: number[][] = [];
  return {
    told,
    poll: (phase) => (phase === 'liveness' && at(task) ? 'interrupted' : null),
    peakRssMB: () => 0,
    cycleSearch: (...a) => {
      task = a[0];
      told.push(a);
    },
  };
}

test('the progress callback hears the cycle search of a livelock check at once: its first task, of how many, over how many states', (t) => {
  for (const [m, sym] of [
    [waits(), false],
    [livelock(), false],
    [livelock(), true],
  ] as const) {
    const reports: ProgressInfo[] = [];
    const r = search(m, { onProgress: (p) => void reports.push(p), symmetry: sym, workers: 1 });
    const cycle = reports.filter((p) => p.phase === 'liveness');
    t.true(cycle.length >= 1, `${m.variant}${sym ? ' --symmetry' : ''}`);
    const first = cycle[0]!;
    // The counts are the exploration's; the task is the first, the livelock pass, not started yet.
    t.is(first.states, r.stats.states);
    t.is(first.transitions, r.stats.transitions);
    t.like(first.cycle, { task: 1, looksFor: 'livelock', thread: null, visited: 0 });
    if (!sym) t.is(first.cycle!.of, r.stats.states);
    if (!sym) t.is(first.cycle!.tasks, tasksOf(m));
    t.regex(searchProgressText(first), /^\[mmcheck liveness\] task 1 of \d+, non-progress cycles: 0 of [\d,]+ states visited \([\d,]+ states explored\)  \d+ s$/);
  }
});

test('a stop in the cycle search says where it was: the task, what it looked for and the states it had visited', (t) => {
  const m = waits();
  const first = stopIn(() => true);
  const r: SearchResult = search(m, { monitor: first, workers: 1 });
  t.is(r.verdict, 'incomplete');
  t.is(r.incomplete!.reason, 'interrupted');
  // The counts are the exploration's, complete; the cycle search had begun its first pass.
  t.is(r.incomplete!.states, r.stats.states);
  const at = r.incomplete!.cycleSearch!;
  t.like(at, { task: 1, tasks: tasksOf(m), looksFor: 'livelock', thread: null, of: r.stats.states });
  // It stopped at its first poll, after 4,096 steps of the SCC search.
  t.true(at.visited! > 0 && at.visited! <= at.of, String(at.visited));
  // The monitor was told the same numbers (a watcher that ends the thread reports them).
  t.deepEqual(cycleSearchAt(m, ...(first.told.at(-1) as [number, number, number, number, number, number])), at);
  // In a later task: the states on cycles.
  const later = search(m, { monitor: stopIn((task) => task >= 2), workers: 1 });
  t.like(later.incomplete?.cycleSearch, { task: 2, looksFor: 'cycles', thread: null });
  // A search that ended in the exploration says nothing of a cycle search.
  const early = search(m, { maxStates: 100, workers: 1 });
  t.is(early.incomplete!.cycleSearch, undefined);
  // Under symmetry: the quotient's first pass, and a starvation pass names its symmetric group.
  const sym = search(buildModel(mew, 'put-and-wait', { faulters: 6 }), { symmetry: true, monitor: stopIn(() => true), workers: 1 });
  t.like(sym.incomplete?.cycleSearch, { task: 1, tasks: 2, looksFor: 'livelock', thread: null });
  const group = search(buildModel(mew, 'wait-on-locked', { faulters: 8, contended: 'wait' }), { symmetry: true, monitor: stopIn(() => true), workers: 1 });
  t.like(group.incomplete?.cycleSearch, { task: 2, tasks: 2, looksFor: 'starvation', thread: 'T[*]' });
});

test('where the cycle search is, as a watcher reads it from the shared cell and names it', (t) => {
  const m = waits();
  const cell = new SearchCell();
  t.is(cell.snapshot().cycle, null);
  const starving = m.threads.findIndex((th) => th.template.hasProgress && th.template.replicated);
  cellMonitor(cell).cycleSearch!(4, 9, 3, starving, 1234, 5678);
  const c = cell.snapshot().cycle!;
  const at = cycleSearchAt(m, c.task, c.tasks, c.kind, c.thread, c.visited, c.of)!;
  t.deepEqual(at, { task: 4, tasks: 9, looksFor: 'starvation', thread: m.threads[starving]!.name, visited: 1234, of: 5678, helper: false });
  t.is(cycleSearchText(at), `task 4 of 9, starvation of ${m.threads[starving]!.name}: 1,234 of 5,678 states visited`);
  // A symmetric group's starvation names the group; a task another thread runs, and the lasso, have no count.
  t.is(cycleSearchAt(m, 2, 3, 4, starving, 10, 20)!.thread, `${m.threads[starving]!.template.name}[*]`);
  t.is(cycleSearchText(cycleSearchAt(m, 3, 9, 3, starving, -1, 5678)!), `task 3 of 9, starvation of ${m.threads[starving]!.name}: run by a helper thread`);
  // A helper's task with its count.
  const helper = cycleSearchAt(m, 3, 9, 3 | HELPER_KIND, starving, 1234, 5678)!;
  t.like(helper, { looksFor: 'starvation', visited: 1234, helper: true });
  t.is(cycleSearchText(helper), `task 3 of 9, starvation of ${m.threads[starving]!.name}: 1,234 of 5,678 states visited by a helper thread`);
  t.is(cycleSearchText(cycleSearchAt(m, 1, 9, 5, -1, -1, 5678)!), "task 1 of 9, drawing the counterexample's lasso");
  cell.reset();
  t.is(cell.snapshot().cycle, null);
});

test('a task of the cycle search that a helper of --workers runs shows the helper\'s count while the search thread waits for it', (t) => {
  const m = waits();
  const told = stopIn(() => false);
  // Every level in worker 0 alone (the rounds record the edges); the helper holds the first task, the livelock pass, which runs when the search thread waits for it (the lockstep driver).
  const r = searchLockstep(m, { monitor: told, deadlock: false }, { workers: 2, parallel: { parallelFrom: 1e9, roundStates: 16 } });
  const one = search(m, { deadlock: false, workers: 1 });
  t.is(r.verdict, one.verdict);
  t.is(r.stats.states, one.stats.states);
  // Told while it waited: first without a count, then the helper's (every state, for the livelock pass).
  const helpers = told.told.filter((a) => (a[2]! & HELPER_KIND) !== 0);
  t.true(helpers.length >= 2, JSON.stringify(told.told));
  t.deepEqual(helpers[0], [1, tasksOf(m), 1 | HELPER_KIND, -1, -1, r.stats.states]);
  const last = cycleSearchAt(m, ...(helpers.at(-1) as [number, number, number, number, number, number]))!;
  t.deepEqual(last, { task: 1, tasks: tasksOf(m), looksFor: 'livelock', thread: null, visited: r.stats.states, of: r.stats.states, helper: true });
  t.regex(cycleSearchText(last), /^task 1 of \d+, non-progress cycles: [\d,]+ of [\d,]+ states visited by a helper thread$/);
  // The search thread's own tasks have no helper's mark.
  t.true(told.told.some((a) => a[0] === 2 && (a[2]! & HELPER_KIND) === 0));
});
