import { defineModel, thread, pageLock, refcount, combine } from 'mmcheck';

/**
 * A lost wake-up between put_and_wait_on_page_locked() (mm/filemap.c,
 * folio_put_wait_locked() today) and reclaim's non-atomic unlock, written
 * with the building blocks (docs/blocks.md).
 *
 * The waiter found the page and took a reference (folio_try_get); the page
 * is locked, so it queues on the page's wait queue, drops its reference and
 * sleeps until the page is unlocked, without holding a reference while it
 * sleeps. Reclaim (shrink_folio_list → __remove_mapping) locks the page and
 * freezes its reference count at the one reference it holds itself
 * (folio_ref_freeze): nobody else holds a reference, so it believes nobody
 * can be waiting and clears the lock bit with the non-atomic
 * __folio_clear_locked(), which wakes nobody. The waiter queued itself
 * before reclaim's clear: it sleeps forever.
 *
 * Run: mmcheck check examples/put-and-wait.ts --variant clear-non-atomic
 */

// The page lock (holder, PG_waiters, wait queue) and the reference count; reclaim's isolation reference is the initial one.
const page = pageLock('page', { waiter: 1, reclaim: 1 });
const refs = refcount('refs', { max: 2, init: 1 });

export default defineModel({
  name: 'put-and-wait-example',
  category: 'example',
  variants: {
    'clear-non-atomic': "reclaim frees the frozen page with __folio_clear_locked(): no wake-up",
    'unlock-wakes': 'reclaim unlocks with folio_unlock(), which wakes the page waiters',
  },
  expect: {
    'clear-non-atomic': [
      { verdict: 'violation', kind: 'deadlock', length: 7 },
      { verdict: 'pass', deadlock: false, states: 25, transitions: 32 },
    ],
    'unlock-wakes': { verdict: 'pass', states: 25, transitions: 33 },
  },
  blocks: [page, refs],
  threads: (_p, variant) => [
    thread('waiter', {
      start: 'lookup',
      labels: ['lookup', 'wait'],
      end: ['done'],
      steps: {
        ...refs.tryGet({ at: 'lookup', ok: 'check', fail: 'done' }),
        check: { ...page.isLocked(), next: 'wait', doc: 'folio_test_locked(): wait for the unlock' },
        check_unlocked: { at: 'check', ...combine(page.free(), refs.put()), next: 'done' },
        ...page.waitUnlocked('waiter', { at: 'wait', next: 'done', put: refs.put() }),
      },
    }),
    thread('reclaim', {
      start: 'lock',
      labels: ['lock', 'freeze'],
      end: ['done'],
      steps: {
        ...page.trylock('reclaim', { at: 'lock', ok: 'freeze', busy: 'done' }),
        ...refs.freeze(1, { at: 'freeze', ok: 'clear', fail: 'unlock' }),
        clear: { ...(variant === 'clear-non-atomic' ? page.clearNonAtomic('reclaim') : page.unlock('reclaim')), next: 'done' },
        unlock: { ...page.unlock('reclaim'), next: 'done' },
      },
    }),
  ],
});
