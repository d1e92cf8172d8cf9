import test from 'ava';
import { readFileSync } from 'node:fs';
import model from '../models/migration-entry-wait.ts';
import { buildModel, search } from '../src/index.ts';
import { parseTrace } from '../src/trace/format.ts';
import { explainTrace } from '../src/trace/blocked.ts';
import { blockedText } from '../src/report/blocked-text.ts';
import { declaredLockVars, lockVars } from '../src/report/html.ts';
import { asymmetryReason } from '../src/reduce/symmetry.ts';
import type { TraceFile } from '../src/trace/format.ts';

/**
 * What the reports say about migration-entry-wait's page lock, which the
 * model declares through the pageLock block (holder kept in the fault
 * thread's `page_held`): a sleeping waiter is explained by the lock and the
 * fault thread holding it, the HTML bars come from the declaration, and the
 * livelocks have no thread blocked throughout their cycle.
 */

const saved = (name: string) => parseTrace(readFileSync(`traces/${name}`, 'utf8'), name);
const params = { faulters: 2, holder: 0, onFailure: 'retry', checkSlack: 1, contended: 'refault' };

test('a waiter asleep on the migration entry waits for the page lock, held by the fault thread that migrates', (t) => {
  // wait-on-locked: T[0] trylocks P in do_swap_page and collects it (migration entry, P locked);
  // T[1] faults on the migration entry and queues on P's wait queue under the PTL.
  const steps = [
    { thread: 'T[0]', step: 'do_swap_page_trylock', choice: 0 },
    { thread: 'T[0]', step: 'migrate_vma_collect_pmd', choice: 0 },
    { thread: 'T[1]', step: 'migration_entry_wait', choice: 0 },
  ];
  // Read as a deadlock: the report explains the last state (T[0] could go on; T[1] cannot).
  const trace = { model: 'migration-entry-wait', variant: 'wait-on-locked', params, property: { kind: 'deadlock', name: 'deadlock' }, steps } as unknown as TraceFile;
  const r = explainTrace(model, trace)!;
  t.deepEqual(
    r.blocked.map((b) => [b.thread, b.label, b.lock, b.heldBy]),
    [['T[1]', 'W4', 'page', 'T[0]']],
  );
  t.deepEqual(r.blocked[0]!.waitsFor.map((w) => [w.step, w.reads]), [['woken', { 'page_wq[1]': true }]]);
  t.regex(blockedText(r, false), /T\[1\] at W4 waits for page, held by T\[0\]/);
  t.is(r.waitCycle, undefined);
});

test('the livelocks have no thread blocked throughout their cycle: every round unlocks P and wakes its waiters', (t) => {
  for (const f of [
    'migration-entry-wait.put-and-wait.faulters2-holder0-onFailureretry-checkSlack1-contendedrefault.livelock.json',
    'migration-entry-wait.ref-while-waiting.faulters2-holder0-onFailureretry-checkSlack1-contendedrefault.livelock.json',
    'migration-entry-wait.fault-get-page.faulters2-holder0-onFailureretry-checkSlack1-contendedrefault.livelock.json',
    'migration-entry-wait.wait-on-locked.faulters2-holder1-onFailureretry-checkSlack1-contendedrefault.livelock.json',
  ]) {
    const r = explainTrace(model, saved(f));
    t.deepEqual(r?.blocked, [], f);
    t.is(blockedText(r, true), '', f);
  }
});

test("the HTML lock bars are the declared page lock, its holder read from the fault threads' page_held", (t) => {
  const tr = saved('migration-entry-wait.wait-on-locked.faulters2-holder1-onFailureretry-checkSlack1-contendedrefault.livelock.json');
  const b = buildModel(model, tr.variant, tr.params);
  t.deepEqual(b.locks.map((l) => [l.name, l.kind, l.flag, l.holderLocals]), [['page', 'page-lock', 'page_locked', [{ group: 'T', local: 'page_held' }]]]);
  const bars = declaredLockVars(tr, b.locks);
  t.deepEqual(bars.map((l) => [l.name, l.kind]), [['page', 'declared']]);
  const holders = new Set(bars[0]!.spans.map((s) => s.thread));
  t.deepEqual([...holders].sort(), ['T[0]', 'T[1]']);
  // Each span starts at a step of its holder that took the lock (do_swap_page_trylock).
  for (const s of bars[0]!.spans) t.deepEqual([tr.steps[s.from]!.thread, tr.steps[s.from]!.step], [s.thread, 'do_swap_page_trylock']);
  // The name heuristic would not have found it this way (it guesses from variable names and writes).
  t.notDeepEqual(lockVars(tr).map((l) => l.name), ['page']);
});

test('no thread id in the state: symmetry reduction sorts the faulters at any number of them', (t) => {
  for (const faulters of [3, 8]) {
    const b = buildModel(model, 'wait-on-locked', { faulters, contended: 'wait' });
    t.is(asymmetryReason(b, 'T'), '', `faulters=${faulters}`);
  }
  const b = buildModel(model, 'put-and-wait', { faulters: 3 });
  const full = search(b, { liveness: false });
  const red = search(b, { liveness: false, symmetry: true });
  t.deepEqual([red.verdict, red.stats.states, red.stats.transitions], [full.verdict, 134, 340]);
});
