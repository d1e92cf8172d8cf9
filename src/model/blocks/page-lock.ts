import { McError, q } from '../errors.ts';
import { array, bool, type Domain } from '../domains.ts';
import { checkIdent, effectOf, guardOf, type Fragment, type StepMap } from './compose.ts';
import { makeBlock, type Block } from './block.ts';
import { Owners } from './owners.ts';

/**
 * The page (folio) lock with PG_waiters and a wait queue (mm/filemap.c).
 *
 * - `lock(group, { at, next })`: `folio_lock()` / `lock_page()`. Steps at `at`:
 *   the lock is free → take it (`folio_trylock()`, the fast path) and go to
 *   `next`; it is held → `__folio_lock()` → `folio_wait_bit_common()`: put
 *   the caller on the wait queue, set PG_waiters (`folio_set_waiters()`) and
 *   sleep at `<at>_sleep`; once woken (dequeued) try again from `at`.
 * - `trylock(group, { at, ok, busy })`: `folio_trylock()` / `trylock_page()`
 *   (as reclaim takes the lock): take it and go to `ok`, or go to `busy`.
 * - `waitUnlocked(group, { at, next, recheck })`: `folio_wait_locked()` /
 *   `wait_on_page_locked()` (recheck: true, the default: after a wake-up the
 *   bit is tested again) and `folio_put_wait_locked()` /
 *   `put_and_wait_on_page_locked()` (recheck: false: the caller has dropped
 *   its reference and returns after the first wake-up, whatever the bit).
 *   Does not take the lock.
 * - `unlock(group)`: `folio_unlock()`: clear PG_locked atomically
 *   (`clear_bit_unlock_is_negative_byte()`); if PG_waiters was set,
 *   `folio_wake_bit()` wakes the waiters and clears PG_waiters. Every waiter
 *   is woken (the model does not hand the lock to one exclusive waiter; a
 *   woken locker competes again).
 * - `clearNonAtomic(group)`: `__folio_clear_locked()` / `__ClearPageLocked()`:
 *   the non-atomic clear reclaim uses on a page it believes nobody else can
 *   see (refcount frozen at zero). It clears PG_locked only: it neither
 *   looks at PG_waiters nor wakes anybody, so a waiter that queued itself
 *   sleeps forever (the lost wake-up behind put_and_wait_on_page_locked).
 * - `held(group)`, `isLocked()`, `free()`, `hasWaiters()` guards
 *   (`folio_test_locked()`, `folio_test_waiters()`).
 * - `lockWhenFree(group)`: `folio_lock()` as one atomic step: enabled while
 *   the page is unlocked, takes it. A thread at the step's label is blocked
 *   until the page is unlocked: the sleep in `folio_wait_bit_common()` is
 *   folded into the guard, with no wait queue and no wake-up order. It is
 *   also a successful `folio_trylock()` inside a larger atomic step (under
 *   the PTL, as `migrate_vma_collect_pmd()` takes it). For models that
 *   abstract the wait queue away, made with `{ waitQueue: false }`.
 *
 * State: the holder, one `threadId` per group (see Owners: the kernel keeps
 * no owner, the model does so that reports can name the holder);
 * `<name>_waiters: bool` (PG_waiters); for each group the wait queue
 * `<name>_wq[_group]: array(count, bool()).indexedBy(group)` (true: that
 * thread sleeps on the queue). With `{ waitQueue: false }` only the
 * holder: no PG_waiters and no queues, `unlock()` wakes nobody (no thread
 * sleeps), and the operations that sleep (`lock`, `waitUnlocked`) or read
 * PG_waiters (`hasWaiters`) are refused (MC186): such a model writes its
 * waits as guards (`lockWhenFree`, `free`).
 */
export interface PageLock extends Block {
  lock(group: string | undefined, labels: { at: string; next: string }): StepMap;
  trylock(group: string | undefined, labels: { at: string; ok: string; busy: string }): StepMap;
  waitUnlocked(group: string | undefined, labels: { at: string; next: string; recheck?: boolean }): StepMap;
  unlock(group?: string): Fragment;
  clearNonAtomic(group?: string): Fragment;
  held(group?: string): Fragment;
  isLocked(): Fragment;
  free(): Fragment;
  hasWaiters(): Fragment;
  lockWhenFree(group?: string): Fragment;
  /** The wait-queue variable of a group. */
  queueOf(group?: string): string;
}

export function pageLock(name: string, groups: Readonly<Record<string, number>>, opts: { waitQueue?: boolean } = {}): PageLock {
  const names = Object.keys(groups ?? {});
  const o = new Owners('pageLock', name, names);
  const withQueue = opts?.waitQueue ?? true;
  if (typeof withQueue !== 'boolean') throw new McError('MC171', `pageLock(${q(name)}): waitQueue must be true or false, got ${q(withQueue)}`);
  const waiters = `${name}_waiters`;
  const wq = new Map<string, string>();
  const shared: Record<string, Domain> = { ...o.shared(), ...(withQueue ? { [waiters]: bool() } : {}) };
  for (const g of names) {
    const n = groups[g]!;
    if (!Number.isInteger(n) || n < 1) throw new McError('MC171', `pageLock(${q(name)}): group ${q(g)} needs its number of threads, got ${q(n)}`);
    if (!withQueue) continue;
    const v = names.length === 1 ? `${name}_wq` : `${name}_wq_${g}`;
    wq.set(g, v);
    shared[v] = array(n, bool()).indexedBy(g);
  }
  const block = makeBlock(name, shared, [{ name, kind: 'page-lock', owners: o.decl(), ...(withQueue ? { also: [waiters, ...wq.values()] } : {}) }]);
  const needsQueue = (op: string) => {
    if (!withQueue) throw new McError('MC186', `pageLock(${q(name)}).${op}(): the lock was made with { waitQueue: false }, so nothing sleeps on it; write the wait as a guard (lockWhenFree, free)`);
  };
  const queue = (g: string | undefined, op: string) => wq.get([...o.vars].find(([, v]) => v === o.of(g, op))![0])!;
  const wakeAll = withQueue ? `if (s.${waiters}) { s.${waiters} = false; ${[...wq.values()].map((v) => `s.${v}.fill(false);`).join(' ')} }` : '';
  const sleepSteps = (g: string | undefined, op: string, at: string, what: string, woken: string): StepMap => {
    needsQueue(op);
    const q_ = queue(g, op);
    return {
      [`${at}_wait`]: {
        at,
        when: guardOf(o.heldText(), `${what}: ${name} is locked`),
        then: effectOf(`s.${q_}.set(me.id, true); s.${waiters} = true;`, `${what}: queue and set PG_waiters`),
        next: `${at}_sleep`,
        doc: `${what}: folio_wait_bit_common() queues on the page's wait queue and sets PG_waiters`,
      },
      [`${at}_sleep`]: { when: guardOf(`!s.${q_}.get(me.id)`, `${what}: woken`), next: woken, doc: `${what}: woken by folio_wake_bit()` },
    };
  };
  return Object.freeze({
    ...block,
    queueOf: (g?: string) => {
      needsQueue('queueOf');
      return queue(g, 'queueOf');
    },
    lock: (g: string | undefined, l: { at: string; next: string }): StepMap => {
      const at = checkIdent(`pageLock(${name}).lock at`, l.at);
      return {
        [at]: { when: guardOf(o.freeText(), `folio_trylock(${name})`), then: effectOf(`s.${o.of(g, 'lock')} = me.id;`, `folio_lock(${name})`), next: l.next, doc: `folio_lock(${name}): folio_trylock() succeeds` },
        ...sleepSteps(g, 'lock', at, `folio_lock(${name})`, at),
      };
    },
    trylock: (g: string | undefined, l: { at: string; ok: string; busy: string }): StepMap => {
      const at = checkIdent(`pageLock(${name}).trylock at`, l.at);
      return {
        [at]: { when: guardOf(o.freeText(), `folio_trylock(${name})`), then: effectOf(`s.${o.of(g, 'trylock')} = me.id;`, `folio_trylock(${name})`), next: l.ok, doc: `folio_trylock(${name}) succeeds` },
        [`${at}_busy`]: { at, when: guardOf(o.heldText(), `folio_trylock(${name}) fails`), next: l.busy, doc: `folio_trylock(${name}) fails` },
      };
    },
    waitUnlocked: (g: string | undefined, l: { at: string; next: string; recheck?: boolean }): StepMap => {
      const at = checkIdent(`pageLock(${name}).waitUnlocked at`, l.at);
      const recheck = l.recheck ?? true;
      const what = recheck ? `folio_wait_locked(${name})` : `folio_put_wait_locked(${name})`;
      return {
        [at]: { when: guardOf(o.freeText(), `${what}: ${name} is unlocked`), next: l.next, doc: `${what}: not locked, return` },
        ...sleepSteps(g, 'waitUnlocked', at, what, recheck ? at : l.next),
      };
    },
    unlock: (g?: string): Fragment => ({ then: effectOf(`s.${o.of(g, 'unlock')} = -1;${wakeAll ? ` ${wakeAll}` : ''}`, `folio_unlock(${name})`), doc: `folio_unlock(${name})` }),
    clearNonAtomic: (g?: string): Fragment => ({ then: effectOf(`s.${o.of(g, 'clearNonAtomic')} = -1;`, `__folio_clear_locked(${name})`), doc: `__folio_clear_locked(${name}): no wake-up` }),
    held: (g?: string): Fragment => ({ when: guardOf(`s.${o.of(g, 'held')} === me.id`, `${name} held by me`) }),
    isLocked: (): Fragment => ({ when: guardOf(o.heldText(), `${name} locked`) }),
    free: (): Fragment => ({ when: guardOf(o.freeText(), `${name} unlocked`) }),
    hasWaiters: (): Fragment => {
      needsQueue('hasWaiters');
      return { when: guardOf(`s.${waiters}`, `${name} PG_waiters`) };
    },
    lockWhenFree: (g?: string): Fragment => ({
      when: guardOf(o.freeText(), `folio_lock(${name}): ${name} is unlocked`),
      then: effectOf(`s.${o.of(g, 'lockWhenFree')} = me.id;`, `folio_lock(${name})`),
      doc: `folio_lock(${name})`,
    }),
  });
}
