import { defineModel, thread, replicate, refcount, waitQueue, combine, bool } from 'mmcheck';

/**
 * Device teardown waits for the users of an object to drop their references,
 * written with the waitQueue block (docs/blocks.md): the waiter is
 * wait_var_event(&obj->users, !atomic_read(&obj->users)), the loop
 * prepare_to_wait() / test the condition / schedule() / finish_wait(); each
 * user does if (atomic_dec_and_test(&obj->users)) wake_up_var(&obj->users).
 *
 * The condition is the model's own guard; the queue is the block's, so a
 * wake-up that comes before the waiter is queued is lost as in the kernel,
 * and one that comes between prepare_to_wait() and schedule() is not.
 *
 * - `prepare-then-test`: wait_var_event() as it is: passes.
 * - `test-then-prepare`: the condition tested before prepare_to_wait(): the
 *   last user's wake-up can come in between, finds nobody queued, and the
 *   waiter sleeps forever (a deadlock, the waiter asleep on the queue).
 * - `unordered-active`: the waker skips wake_up when waitqueue_active() is
 *   false, without the smp_mb() that wait.h asks for: the CPU may read the
 *   queue before its decrement is seen, which is written as a read of
 *   waitqueue_active() in a step of its own before the decrement.
 *
 * Run: mmcheck check examples/lost-wakeup.ts --variant test-then-prepare
 */

const users = refcount('users', { max: 2, init: 2 });
const wq = waitQueue('var_wq', { teardown: 1 });

export default defineModel({
  name: 'lost-wakeup-example',
  category: 'example',
  variants: {
    'prepare-then-test': 'wait_var_event(): prepare_to_wait, test the condition, schedule',
    'test-then-prepare': 'the condition tested before prepare_to_wait: a wake-up in between is lost',
    'unordered-active': 'the waker reads waitqueue_active() before its decrement is seen (no smp_mb)',
  },
  expect: {
    'prepare-then-test': { verdict: 'pass', states: 22, transitions: 34 },
    'test-then-prepare': { verdict: 'violation', kind: 'deadlock', length: 5 },
    'unordered-active': { verdict: 'violation', kind: 'deadlock', length: 6 },
  },
  blocks: [users, wq],
  threads: (_p, variant) => [
    replicate(2, 'user', {
      locals: { sawWaiter: bool() },
      start: variant === 'unordered-active' ? 'peek' : 'put',
      end: ['done'],
      labels: ['peek'],
      steps: {
        peek: { then: (s, me) => { me.sawWaiter = s.var_wq_queued !== 0; }, next: 'put', doc: 'waitqueue_active(), read before the decrement is seen' },
        put: {
          ...users.put(),
          next: (s, me) => (s.users === 0 && (variant !== 'unordered-active' || me.sawWaiter) ? 'wake' : 'done'),
          doc: 'atomic_dec_and_test(&obj->users)',
        },
        wake: { ...wq.wakeUp(), next: 'done' },
      },
    }),
    thread('teardown', {
      start: variant === 'test-then-prepare' ? 'check' : 'prepare',
      end: ['done'],
      progress: ['done'],
      labels: ['check', 'prepare'],
      steps: {
        check: { when: (s) => s.users === 0, next: 'done', doc: 'the condition holds already' },
        check_busy: { at: 'check', when: (s) => s.users !== 0, next: 'prepare' },
        prepare: { ...wq.prepare('teardown'), next: variant === 'test-then-prepare' ? 'sleep' : 'test' },
        test: { ...combine({ when: (s) => s.users === 0 }, wq.finish('teardown')), next: 'done', doc: 'the condition holds: finish_wait' },
        test_busy: { at: 'test', when: (s) => s.users !== 0, next: 'sleep' },
        sleep: { ...wq.sleep('teardown'), next: variant === 'test-then-prepare' ? 'check' : 'prepare' },
      },
    }),
  ],
});
