import { McError, q } from '../errors.ts';
import { array, bool, int, type ArrayDomain, type BoolDomain, type Domain, type IntDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { effectOf, guardOf, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars, type OwnerNamesOf } from './block.ts';
import { Owners } from './owners.ts';

/**
 * A wait queue (include/linux/wait.h, kernel/sched/wait.c) that threads sleep
 * on until a condition of the model's own holds: `wait_event()`, or the loop
 * it stands for, written as steps (`prepare_to_wait()`, test the condition,
 * `schedule()`, `finish_wait()`), and a waker that makes the condition true
 * and calls `wake_up()`. The condition is the model's guard; the block is the
 * queue, so that a wake-up that comes before the sleeper is queued is lost as
 * in the kernel, and one that comes between queueing and `schedule()` is not.
 *
 * - `prepare(g)`: `prepare_to_wait()`: queue the calling thread (a thread
 *   already queued stays queued once, as `list_empty(&wq_entry->entry)`
 *   makes it).
 * - `sleep(g)`: `schedule()` in the state `prepare_to_wait()` set: a guard
 *   that holds once a wake-up took the thread off the queue
 *   (`autoremove_wake_function()`); a thread woken between `prepare` and
 *   `sleep` does not sleep.
 * - `finish(g)`: `finish_wait()`: off the queue, woken or not.
 * - `wakeUp()`: `wake_up()` / `wake_up_all()` for waiters queued without
 *   `WQ_FLAG_EXCLUSIVE`: every queued thread is woken and taken off the queue.
 *   (Exclusive waiters, of which `wake_up()` wakes one, are not modelled.)
 * - `active()` / `idle()`: `waitqueue_active()` true / false: some thread is
 *   queued. The kernel's comment on it is the lost wake-up this block shows:
 *   a waker that tests it without a barrier after making the condition true
 *   may read it before its own store is seen (write that order as two steps).
 *
 * State: `<name>` (one group) or `<name>_<group>` (several):
 * `array(count, bool()).indexedBy(group)`, true while that thread is queued,
 * and `<name>_queued: int(0, all threads)`, how many are (it follows from
 * the arrays: no state is added). Operations take the calling group
 * (optional when there is one).
 */
export interface WaitQueue<V extends SharedSpec = SharedSpec, G extends string = string> extends Block<V> {
  prepare(group?: G): Fragment;
  sleep(group?: G): Fragment;
  finish(group?: G): Fragment;
  wakeUp(): Fragment;
  active(): Fragment;
  idle(): Fragment;
}

/** The variables of wait queue `N` of the groups `G` (the keys of the groups' sizes), as the compiler sees them. */
export type WaitQueueVars<N extends string, G> = KnownVars<
  N | (G extends unknown ? keyof G & string : never),
  { [K in OwnerNamesOf<N, G> | `${N}_queued`]: K extends `${N}_queued` ? IntDomain : ArrayDomain<BoolDomain> }
>;

export function waitQueue<N extends string, const G extends Readonly<Record<string, number | undefined>>>(name: N, groups: G): WaitQueue<WaitQueueVars<N, G>, keyof G & string> {
  const names = Object.keys(groups ?? {});
  const o = new Owners('waitQueue', name, names);
  const count = `${name}_queued`;
  const shared: Record<string, Domain> = {};
  let all = 0;
  for (const g of names) {
    const n = groups[g]!;
    if (!Number.isInteger(n) || n < 1) throw new McError('MC171', `waitQueue(${q(name)}): group ${q(g)} needs its number of threads, got ${q(n)}`);
    const v = o.of(g, 'waitQueue');
    if (v === count) throw new McError('MC171', `waitQueue(${q(name)}): a group named ${q(g)} would give its queue the name of the count ${q(count)}`);
    shared[v] = array(n, bool()).indexedBy(g);
    all += n;
  }
  shared[count] = int(0, all);
  const block = makeBlock<WaitQueueVars<N, G>>(name, shared);
  const queue = (g: string | undefined, op: string) => o.of(g, op);
  return markFragments(name, {
    ...block,
    prepare: (g?: string): Fragment => {
      const v = queue(g, 'prepare');
      return {
        then: effectOf(`if (!s.${v}.get(me.id)) { s.${v}.set(me.id, true); s.${count} = s.${count} + 1; }`, `prepare_to_wait(${name})`),
        doc: `prepare_to_wait(${name})`,
      };
    },
    sleep: (g?: string): Fragment => {
      const v = queue(g, 'sleep');
      return { when: guardOf(`!s.${v}.get(me.id)`, `schedule(): woken from ${name}`), doc: `schedule() until woken from ${name}` };
    },
    finish: (g?: string): Fragment => {
      const v = queue(g, 'finish');
      return {
        then: effectOf(`if (s.${v}.get(me.id)) { s.${v}.set(me.id, false); s.${count} = s.${count} - 1; }`, `finish_wait(${name})`),
        doc: `finish_wait(${name})`,
      };
    },
    wakeUp: (): Fragment => ({
      then: effectOf(`if (s.${count} !== 0) { ${[...o.vars.values()].map((v) => `s.${v}.fill(false);`).join(' ')} s.${count} = 0; }`, `wake_up(${name})`),
      doc: `wake_up(${name})`,
    }),
    active: (): Fragment => ({ when: guardOf(`s.${count} !== 0`, `waitqueue_active(${name})`) }),
    idle: (): Fragment => ({ when: guardOf(`s.${count} === 0`, `!waitqueue_active(${name})`) }),
  });
}
