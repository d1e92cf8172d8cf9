import test, { type ExecutionContext } from 'ava';
import { cli } from './helpers/cli.ts';

/**
 * gpusvm-evict's deadlocks explained from the locks the model declares
 * (pageLock `pLock`, rwsem `notifier_lock`): who waits for which lock, and
 * who holds it. The notifier lock's read hold is counted, not owned (as in
 * the kernel's rwsem): its holder is one sharing holder, named from the
 * trace's down_read and up_read steps.
 */

/** `check --json`'s violation (exit 1). */
const json = async (t: ExecutionContext, args: string[]) => {
  const r = await cli(['check', 'gpusvm-evict', ...args, '--no-trace', '--json']);
  t.is(r.code, 1, r.err);
  return JSON.parse(r.out).violation;
};
const summary = (blocked: { thread: string; label: string; lock?: string; heldBy?: string; sharedHolders?: number; sharedBy?: string[]; waitsFor: { step: string }[] }[]) =>
  blocked.map((b) => ({ thread: b.thread, label: b.label, lock: b.lock, heldBy: b.heldBy, sharedHolders: b.sharedHolders, sharedBy: b.sharedBy, steps: b.waitsFor.map((w) => w.step) }));

test('ABBA (blocking-lock-under-notifier-lock): E waits for the page lock C[0] holds, C[0] for the notifier lock E reads', async (t) => {
  const v = await json(t, ['--variant', 'blocking-lock-under-notifier-lock']);
  t.is(v.kind, 'deadlock');
  t.deepEqual(summary(v.blocked), [
    { thread: 'E', label: 'pfnLock', lock: 'pLock', heldBy: 'C[0]', sharedHolders: undefined, sharedBy: undefined, steps: ['pfn_lock_nl', 'pfn_lock_nl_none'] },
    { thread: 'C[0]', label: 'notify', lock: 'notifier_lock', heldBy: 'E', sharedHolders: 1, sharedBy: ['E'], steps: ['collect_notify'] },
  ]);
  t.deepEqual(v.blocked[0].waitsFor[0].reads, { pLock_E: -1, pLock_C: 0 });
  t.deepEqual(v.blocked[1].waitsFor[0].reads, { notifier_lock_E: -1, notifier_lock_C: -1, notifier_lock_readers: 1 });
  // The reader is named from the trace (E took the read hold and has not released it), which closes the wait-for cycle.
  t.deepEqual(v.waitCycle, ['C[0]', 'E']);
});

test('self-deadlock (unmap-under-notifier-lock): E waits in down_write for the read hold it keeps itself', async (t) => {
  const v = await json(t, ['--variant', 'unmap-under-notifier-lock']);
  t.deepEqual(summary(v.blocked), [{ thread: 'E', label: 'notify', lock: 'notifier_lock', heldBy: 'E', sharedHolders: 1, sharedBy: ['E'], steps: ['ttm_notify'] }]);
  t.deepEqual(v.waitCycle, ['E']);
});

test('livelock (blocking-lock-under-notifier-lock, nC=2): the threads blocked throughout the cycle are E and C[0]; C[1] refaults', async (t) => {
  const v = await json(t, ['--variant', 'blocking-lock-under-notifier-lock', '-p', 'nC=2']);
  t.is(v.kind, 'livelock');
  t.deepEqual(
    summary(v.blocked).map((b) => [b.thread, b.lock, b.heldBy]),
    [
      ['E', 'pLock', 'C[0]'],
      ['C[0]', 'notifier_lock', 'E'],
    ],
  );
});

test('the HTML lock bars come from the declared locks', async (t) => {
  const shown = await cli(['show', 'traces/gpusvm-evict.blocking-lock-under-notifier-lock.nC1-nG1-evictRetries2-cTrylockFailrefault.deadlock.json', '--format', 'html']);
  t.is(shown.code, 0, shown.err);
  t.regex(shown.out, /class="lk-h" title="pLock: page-lock declared by the model"/);
  t.regex(shown.out, /class="lk-h" title="notifier_lock: rwsem declared by the model"/);
  t.regex(shown.out, /title="pLock held by C\[0\], steps 4–8 and after"/);
  t.regex(shown.out, /title="notifier_lock held by 1 reader, steps 3–8 and after"/);
  t.regex(shown.out, /Locks as the model declares them/);
});
