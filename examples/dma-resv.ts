import { defineModel, replicate, combine, wwMutex, int } from 'mmcheck';

/**
 * Two submissions lock the reservation objects (`dma_resv`, a ww_mutex of
 * `reservation_ww_class`) of the same two buffer objects in opposite
 * orders, as execbuf and TTM eviction do, each under its own acquire
 * context, written with the wwMutex block (docs/blocks.md).
 *
 * Thread k locks bo[k], then bo[1 - k]. On -EDEADLK it does what
 * Documentation/locking/ww-mutex-design.rst asks: unlock what it holds,
 * take the contended lock with ww_mutex_lock_slow(), and lock the other
 * one again.
 *
 * - `wound-wait`: dma_resv's class (DEFINE_WW_CLASS): passes, no deadlock
 *   and no livelock; the older context is never sent back.
 * - `wait-die`: the same with DEFINE_WD_CLASS: passes too.
 * - `no-context`: ww_mutex_lock(lock, NULL), no acquire context: two plain
 *   mutexes taken in opposite orders, the ABBA deadlock.
 * - `retry-holding`: on -EDEADLK the younger one tries the same lock again
 *   without dropping the one it holds: the older one waits for that lock
 *   forever while the younger one goes round (a livelock).
 *
 * Run: mmcheck check examples/dma-resv.ts --variant retry-holding
 */

/** The reservation objects of the two buffer objects: one ww_mutex class, a context per submission. */
const resv = (rounds: number, variant: string | null) => wwMutex('bo', { sub: 2 }, { locks: 2, algorithm: variant === 'wait-die' ? 'wait-die' : 'wound-wait', contexts: rounds });

export default defineModel({
  name: 'dma-resv-example',
  category: 'example',
  params: { rounds: int(1, 3, 2) },
  variants: {
    'wound-wait': 'dma_resv: wound-wait, and the backoff on -EDEADLK',
    'wait-die': 'a wait-die class, and the same backoff',
    'no-context': 'no acquire context: plain mutexes in opposite orders',
    'retry-holding': 'on -EDEADLK, the lock tried again without dropping the one held',
  },
  expect: {
    'wound-wait': { verdict: 'pass', states: 489, transitions: 760 },
    'wait-die': { verdict: 'pass', states: 949, transitions: 1640 },
    'no-context': { verdict: 'violation', kind: 'deadlock', length: 2 },
    'retry-holding': { verdict: 'violation', kind: 'livelock', length: 6 },
  },
  blocks: (p, variant) => [resv(p.rounds, variant)],
  threads: (p, variant) => {
    const bo = resv(p.rounds, variant);
    const mine = 'me.id';
    const other = '1 - me.id';
    return [
      replicate(2, 'sub', {
        start: variant === 'no-context' ? 'first' : 'init',
        end: ['done'],
        progress: ['done', 'work'],
        labels: ['init'],
        locals: { k: int(0, 3) },
        steps: {
          init: { ...bo.acquireInit(), next: 'first' },
          ...bo.lock(undefined, { at: 'first', ok: 'second' }, mine),
          ...bo.lock(undefined, { at: 'second', ok: 'work', deadlk: variant === 'retry-holding' ? 'second' : 'drop_first' }, other),
          drop_first: { ...bo.unlock(undefined, mine), next: 'slow_second', doc: 'ww_mutex_unlock(bo[k]): back off' },
          ...bo.lockSlow(undefined, { at: 'slow_second', next: 'again_first' }, other),
          ...bo.lock(undefined, { at: 'again_first', ok: 'work', deadlk: 'drop_second' }, mine),
          drop_second: { ...bo.unlock(undefined, other), next: 'slow_first', doc: 'ww_mutex_unlock(bo[1 - k]): back off' },
          ...bo.lockSlow(undefined, { at: 'slow_first', next: 'second' }, mine),
          work: { ...combine(bo.held(undefined, mine), bo.held(undefined, other), bo.unlock(undefined, mine)), next: 'release', doc: 'both held: submit, then unlock' },
          release: { ...bo.unlock(undefined, other), next: variant === 'no-context' ? 'done' : 'fini' },
          fini: { ...combine(bo.acquireFini(), { then: (_s, me) => { me.k++; } }), next: (_s, me) => (me.k < p.rounds ? 'init' : 'done') },
        },
      }),
    ];
  },
});
