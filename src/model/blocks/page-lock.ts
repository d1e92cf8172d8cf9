import { McError, q } from '../errors.ts';
import { array, bool, type ArrayDomain, type BoolDomain, type Domain, type ThreadIdDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { checkIdent, effectOf, guardOf, type BlockSteps, type Fragment, type StepMap, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars, type OwnerNamesOf } from './block.ts';
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
 * - `waitUnlocked(group, { at, next, put, recheck })`: `folio_wait_locked()`
 *   / `wait_on_page_locked()`, and with `put` (the fragment that drops the
 *   caller's reference, `refs.put()`) `folio_put_wait_locked()` /
 *   `put_and_wait_on_page_locked()`. If PG_locked is clear, return; else
 *   queue, set PG_waiters and sleep until woken (`<at>_wait`, `<at>_sleep`);
 *   with `put` the reference is dropped after the queueing, in a step of its
 *   own on either path (`<at>_put`, `<at>_drop`), as `folio_wait_bit_common()`
 *   does after releasing `q->lock`. Once woken, return whatever the bit is
 *   then: a non-exclusive waiter is woken without a test of the
 *   bit (`wake_page_function()`) and leaves `folio_wait_bit_common()` once
 *   woken ("If we were non-exclusive, we're done"), since v5.9. With
 *   `recheck: true` the bit is tested again after a wake-up and the waiter
 *   sleeps again if the page was locked again meanwhile, as before v5.9.
 *   Does not take the lock.
 * - `unlock(group)`: `folio_unlock()` in one step: clear PG_locked
 *   atomically (`folio_xor_flags_has_waiters()`); if PG_waiters was set,
 *   `folio_wake_bit()` wakes the waiters and clears PG_waiters. Every waiter
 *   is woken (the model does not hand the lock to one exclusive waiter; a
 *   woken locker competes again). The kernel wakes in a second step, after
 *   the clear: use `unlockSteps` where that window matters.
 * - `unlockSteps(group, { at, next })`: `folio_unlock()` as the kernel runs
 *   it, two steps: at `at` the clear of PG_locked that reads PG_waiters
 *   (none set → `next`; set → `<at>_wake`, step `<at>_waiters`), then
 *   `folio_wake_bit()` at `<at>_wake`, which takes `q->lock` and wakes every
 *   waiter queued by then. In between another thread may take the page
 *   (`folio_trylock()`) and a `waitUnlocked` or `queueIfLocked` waiter queue
 *   on it, locked again; the first unlock's wake-up then wakes that waiter
 *   (`wake_page_function()` tests the bit for exclusive waiters only), and
 *   it returns while the page is locked. `unlock()` leaves those runs out.
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
 * - `trylockOk(group)`: a fragment, `folio_trylock()` succeeding inside a
 *   larger atomic step (a PTL section that locks the page it found, as
 *   `migrate_vma_collect_pmd()` and v6.15's `do_swap_page()` do): enabled
 *   while unlocked, takes the lock. The failing branch is the model's own
 *   step (guard `isLocked()`), since what follows a failure differs.
 * - `queueIfLocked(group)`, `queued(group)`, `woken(group)`: the parts of
 *   `migration_entry_wait_on_locked()` (mm/filemap.c), which runs the
 *   `q->lock` section of `folio_wait_bit_common()` while still holding the
 *   page-table lock: queue on the wait queue and set PG_waiters only if
 *   PG_locked is set (else return and refault), then sleep until woken. A
 *   model whose PTL section is one atomic step joins `queueIfLocked` to it
 *   and branches on `queued`; `woken` is the sleep's guard.
 *
 * State: the holder, one `threadId` per group (see Owners: the kernel keeps
 * no owner, the model does so that reports can name the holder);
 * `<name>_waiters: bool` (PG_waiters); for each group the wait queue
 * `<name>_wq[_group]: array(count, bool()).indexedBy(group)` (true: that
 * thread sleeps on the queue).
 *
 * With `{ holder: 'local' }` the lock is PG_locked itself, `<name>_locked:
 * bool()`, and the holder is a bool local `<name>_held` of each group's
 * threads (the model adds `holderLocal` to the groups' locals): the same
 * behaviour, and a lock whose holder the reports still name, but no
 * `threadId` in the state, so symmetry reduction sorts the replicas for any
 * number of them (with a `threadId` it enumerates n! permutations and stops
 * at 6 replicas).
 *
 * With `{ waitQueue: false }` only the holder: no PG_waiters and no queues,
 * `unlock()` wakes nobody (no thread sleeps), and the operations that sleep
 * (`lock`, `waitUnlocked`), read PG_waiters (`hasWaiters`) or the queues
 * (`queueOf`, `queueIfLocked`, `queued`, `woken`) are refused (MC186): such
 * a model writes its waits as guards (`lockWhenFree`, `free`).
 */
export interface PageLock<V extends SharedSpec = SharedSpec, G extends string = string> extends Block<V> {
  lock<At extends string, Next extends string>(group: G | undefined, labels: { at: At; next: Next }): NoInfer<BlockSteps<At | `${At}_wait` | `${At}_sleep`, Next | At | `${At}_sleep`>>;
  trylock<At extends string, Ok extends string, Busy extends string>(group: G | undefined, labels: { at: At; ok: Ok; busy: Busy }): NoInfer<BlockSteps<At | `${At}_busy`, Ok | Busy>>;
  /** The `<at>_drop` and `<at>_put` steps are there with `put` only. */
  waitUnlocked<At extends string, Next extends string>(
    group: G | undefined,
    labels: { at: At; next: Next; put?: Fragment; recheck?: boolean },
  ): NoInfer<BlockSteps<At | `${At}_wait` | `${At}_sleep` | `${At}_drop` | `${At}_put`, Next | At | `${At}_sleep` | `${At}_drop` | `${At}_put`>>;
  unlock(group?: G): Fragment;
  /** The `<at>_waiters` and `<at>_wake` steps are there with the wait queue only. */
  unlockSteps<At extends string, Next extends string>(group: G | undefined, labels: { at: At; next: Next }): NoInfer<BlockSteps<At | `${At}_waiters` | `${At}_wake`, Next | `${At}_wake`>>;
  clearNonAtomic(group?: G): Fragment;
  held(group?: G): Fragment;
  isLocked(): Fragment;
  free(): Fragment;
  hasWaiters(): Fragment;
  lockWhenFree(group?: G): Fragment;
  /** The wait-queue variable of a group. */
  queueOf(group?: G): string;
  /** Queue the caller and set PG_waiters if PG_locked is set (the q->lock section of folio_wait_bit_common()); nothing otherwise. */
  queueIfLocked(group?: G): Fragment;
  /** folio_trylock() succeeding as part of a larger atomic step: enabled while unlocked, takes it. */
  trylockOk(group?: G): Fragment;
  /** Guard: the caller is on the wait queue. */
  queued(group?: G): Fragment;
  /** Guard: the caller is not (or no longer) on the wait queue: folio_wake_bit() dequeued it. */
  woken(group?: G): Fragment;
  /** With `{ holder: 'local' }`: the local each group's threads declare (`{ page_held: bool() }`); empty otherwise. */
  readonly holderLocal: Readonly<Record<string, ReturnType<typeof bool>>>;
}

/**
 * The variables of page lock `N` taken by the groups `G` (the keys of the
 * groups' sizes), as the compiler sees them; `H` is the `holder` and `Q` the
 * `waitQueue` option's type (undefined when not given). An option the
 * compiler does not know the value of gives the variables of either.
 */
export type PageLockVars<N extends string, G, H extends 'owner' | 'local' | undefined, Q extends boolean | undefined> = KnownVars<
  N | (G extends unknown ? keyof G & string : never),
  {
    [K in
      | ('local' extends H ? `${N}_locked` : never)
      | ([Exclude<H, 'local'>] extends [never] ? never : OwnerNamesOf<N, G>)
      | ([Q] extends [false] ? never : `${N}_waiters` | WaitQueueNames<N, G>)]: K extends `${N}_locked` | `${N}_waiters`
      ? BoolDomain
      : K extends WaitQueueNames<N, G>
        ? ArrayDomain<BoolDomain>
        : ThreadIdDomain;
  }
>;
/** The wait queues' names: `<N>_wq` for one group, `<N>_wq_<group>` for several. */
type WaitQueueNames<N extends string, G> = OwnerNamesOf<`${N}_wq`, G>;

export function pageLock<N extends string, const G extends Readonly<Record<string, number | undefined>>, H extends 'owner' | 'local' | undefined = undefined, Q extends boolean | undefined = undefined>(
  name: N,
  groups: G,
  opts: { holder?: H; waitQueue?: Q } = {},
): PageLock<PageLockVars<N, G, H, Q>, keyof G & string> {
  const names = Object.keys(groups ?? {});
  const o = new Owners('pageLock', name, names);
  const holder = opts?.holder ?? 'owner';
  if (holder !== 'owner' && holder !== 'local') throw new McError('MC171', `pageLock(${q(name)}): holder must be 'owner' or 'local', got ${q(holder)}`);
  const local = holder === 'local';
  const withQueue = opts?.waitQueue ?? true;
  if (typeof withQueue !== 'boolean') throw new McError('MC171', `pageLock(${q(name)}): waitQueue must be true or false, got ${q(withQueue)}`);
  const bit = `${name}_locked`;
  const heldLocal = `${name}_held`;
  const waiters = `${name}_waiters`;
  const wq = new Map<string, string>();
  const shared: Record<string, Domain> = { ...(local ? { [bit]: bool() } : o.shared()), ...(withQueue ? { [waiters]: bool() } : {}) };
  for (const g of names) {
    const n = groups[g]!;
    if (!Number.isInteger(n) || n < 1) throw new McError('MC171', `pageLock(${q(name)}): group ${q(g)} needs its number of threads, got ${q(n)}`);
    if (!withQueue) continue;
    const v = names.length === 1 ? `${name}_wq` : `${name}_wq_${g}`;
    wq.set(g, v);
    shared[v] = array(n, bool()).indexedBy(g);
  }
  const also = withQueue ? { also: [waiters, ...wq.values()] } : {};
  const block = makeBlock<PageLockVars<N, G, H, Q>>(
    name,
    shared,
    local
      ? [{ name, kind: 'page-lock', owners: [], flag: bit, holderLocals: names.map((group) => ({ group, local: heldLocal })), ...also }]
      : [{ name, kind: 'page-lock', owners: o.decl(), ...also }],
  );
  const needsQueue = (op: string) => {
    if (!withQueue) throw new McError('MC186', `pageLock(${q(name)}).${op}(): the lock was made with { waitQueue: false }, so nothing sleeps on it; write the wait as a guard (lockWhenFree, free)`);
  };
  const queue = (g: string | undefined, op: string) => {
    needsQueue(op);
    return wq.get([...o.vars].find(([, v]) => v === o.of(g, op))![0])!;
  };
  const wakeAll = withQueue ? `if (s.${waiters}) { s.${waiters} = false; ${[...wq.values()].map((v) => `s.${v}.fill(false);`).join(' ')} }` : '';
  // The lock's text in either holder mode (the owner mode's text is the block's original one).
  const freeText = local ? `!s.${bit}` : o.freeText();
  const heldText = local ? `s.${bit}` : o.heldText();
  const take = (g: string | undefined, op: string) => (local ? (o.of(g, op), `s.${bit} = true; me.${heldLocal} = true;`) : `s.${o.of(g, op)} = me.id;`);
  const release = (g: string | undefined, op: string) => (local ? (o.of(g, op), `s.${bit} = false; me.${heldLocal} = false;`) : `s.${o.of(g, op)} = -1;`);
  const mine = (g: string | undefined, op: string) => (local ? (o.of(g, op), `me.${heldLocal}`) : `s.${o.of(g, op)} === me.id`);
  const sleepSteps = (g: string | undefined, op: string, at: string, what: string, woken: string): StepMap => {
    needsQueue(op);
    const q_ = queue(g, op);
    return {
      [`${at}_wait`]: {
        at,
        when: guardOf(heldText, `${what}: ${name} is locked`),
        then: effectOf(`s.${q_}.set(me.id, true); s.${waiters} = true;`, `${what}: queue and set PG_waiters`),
        next: `${at}_sleep`,
        doc: `${what}: folio_wait_bit_common() queues on the page's wait queue and sets PG_waiters`,
      },
      [`${at}_sleep`]: { when: guardOf(`!s.${q_}.get(me.id)`, `${what}: woken`), next: woken, doc: `${what}: woken by folio_wake_bit()` },
    };
  };
  return markFragments(name, {
    ...block,
    queueOf: (g?: string) => {
      needsQueue('queueOf');
      return queue(g, 'queueOf');
    },
    lock: <At extends string, Next extends string>(g: string | undefined, l: { at: At; next: Next }) => {
      const at = checkIdent(`pageLock(${name}).lock at`, l.at);
      return {
        [at]: { when: guardOf(freeText, `folio_trylock(${name})`), then: effectOf(take(g, 'lock'), `folio_lock(${name})`), next: l.next, doc: `folio_lock(${name}): folio_trylock() succeeds` },
        ...sleepSteps(g, 'lock', at, `folio_lock(${name})`, at),
      } as BlockSteps<At | `${At}_wait` | `${At}_sleep`, Next | At | `${At}_sleep`>;
    },
    trylock: <At extends string, Ok extends string, Busy extends string>(g: string | undefined, l: { at: At; ok: Ok; busy: Busy }) => {
      const at = checkIdent(`pageLock(${name}).trylock at`, l.at);
      return {
        [at]: { when: guardOf(freeText, `folio_trylock(${name})`), then: effectOf(take(g, 'trylock'), `folio_trylock(${name})`), next: l.ok, doc: `folio_trylock(${name}) succeeds` },
        [`${at}_busy`]: { at, when: guardOf(heldText, `folio_trylock(${name}) fails`), next: l.busy, doc: `folio_trylock(${name}) fails` },
      } as BlockSteps<At | `${At}_busy`, Ok | Busy>;
    },
    waitUnlocked: <At extends string, Next extends string>(g: string | undefined, l: { at: At; next: Next; put?: Fragment; recheck?: boolean }) => {
      type Steps = BlockSteps<At | `${At}_wait` | `${At}_sleep` | `${At}_drop` | `${At}_put`, Next | At | `${At}_sleep` | `${At}_drop` | `${At}_put`>;
      const at = checkIdent(`pageLock(${name}).waitUnlocked at`, l.at);
      if (l.recheck !== undefined && typeof l.recheck !== 'boolean') throw new McError('MC171', `pageLock(${q(name)}).waitUnlocked(): recheck must be true or false, got ${q(l.recheck)}`);
      const put = l.put;
      if (put !== undefined && (typeof put !== 'object' || put === null || typeof put.then !== 'function' || put.when !== undefined))
        throw new McError('MC171', `pageLock(${q(name)}).waitUnlocked(): put must be the fragment that drops the caller's reference (refs.put(): an effect, no guard), got ${q(put)}`);
      const recheck = l.recheck ?? false;
      if (put && recheck) throw new McError('MC171', `pageLock(${q(name)}).waitUnlocked(): folio_put_wait_locked() holds no reference after its wait, so it cannot test the bit again (recheck with put)`);
      const what = put ? `folio_put_wait_locked(${name})` : `folio_wait_locked(${name})`;
      const steps = sleepSteps(g, 'waitUnlocked', at, what, recheck ? at : l.next);
      if (!put) return { [at]: { when: guardOf(freeText, `${what}: ${name} is unlocked`), next: l.next, doc: `${what}: not locked, return` }, ...steps } as Steps;
      const drop = `${what}: folio_put() after q->lock${put.doc ? ` (${put.doc})` : ''}`;
      return {
        [at]: { when: guardOf(freeText, `${what}: ${name} is unlocked`), next: `${at}_drop`, doc: `${what}: not locked` },
        [`${at}_drop`]: { then: put.then, next: l.next, doc: drop },
        ...steps,
        [`${at}_wait`]: { ...steps[`${at}_wait`]!, next: `${at}_put` },
        [`${at}_put`]: { then: put.then, next: `${at}_sleep`, doc: drop },
      } as Steps;
    },
    unlock: (g?: string): Fragment => ({ then: effectOf(`${release(g, 'unlock')}${wakeAll ? ` ${wakeAll}` : ''}`, `folio_unlock(${name})`), doc: `folio_unlock(${name})` }),
    unlockSteps: <At extends string, Next extends string>(g: string | undefined, l: { at: At; next: Next }) => {
      type Steps = BlockSteps<At | `${At}_waiters` | `${At}_wake`, Next | `${At}_wake`>;
      const at = checkIdent(`pageLock(${name}).unlockSteps at`, l.at);
      const what = `folio_unlock(${name})`;
      const clear = effectOf(release(g, 'unlockSteps'), `${what}: clear PG_locked`);
      if (!withQueue) return { [at]: { then: clear, next: l.next, doc: `${what}: clear PG_locked` } } as Steps;
      return {
        [at]: { when: guardOf(`!s.${waiters}`, `${what}: no PG_waiters`), then: clear, next: l.next, doc: `${what}: clear PG_locked, PG_waiters not set: no wake-up` },
        [`${at}_waiters`]: { at, when: guardOf(`s.${waiters}`, `${what}: PG_waiters`), then: clear, next: `${at}_wake`, doc: `${what}: clear PG_locked, PG_waiters set (folio_xor_flags_has_waiters)` },
        [`${at}_wake`]: { then: effectOf(wakeAll, `folio_wake_bit(${name})`), next: l.next, doc: `${what}: folio_wake_bit() wakes the waiters queued by now, whatever PG_locked is` },
      } as Steps;
    },
    clearNonAtomic: (g?: string): Fragment => ({ then: effectOf(release(g, 'clearNonAtomic'), `__folio_clear_locked(${name})`), doc: `__folio_clear_locked(${name}): no wake-up` }),
    held: (g?: string): Fragment => ({ when: guardOf(mine(g, 'held'), `${name} held by me`) }),
    isLocked: (): Fragment => ({ when: guardOf(heldText, `${name} locked`) }),
    free: (): Fragment => ({ when: guardOf(freeText, `${name} unlocked`) }),
    hasWaiters: (): Fragment => {
      needsQueue('hasWaiters');
      return { when: guardOf(`s.${waiters}`, `${name} PG_waiters`) };
    },
    lockWhenFree: (g?: string): Fragment => ({
      when: guardOf(freeText, `folio_lock(${name}): ${name} is unlocked`),
      then: effectOf(take(g, 'lockWhenFree'), `folio_lock(${name})`),
      doc: `folio_lock(${name})`,
    }),
    queueIfLocked: (g?: string): Fragment => {
      const q_ = queue(g, 'queueIfLocked');
      return { then: effectOf(`if (${heldText}) { s.${q_}.set(me.id, true); s.${waiters} = true; }`, `folio_wait_bit_common(${name}): queue if locked`), doc: `folio_wait_bit_common(${name}) under q->lock: if PG_locked, queue and set PG_waiters` };
    },
    trylockOk: (g?: string): Fragment => ({ when: guardOf(freeText, `folio_trylock(${name})`), then: effectOf(take(g, 'trylockOk'), `folio_trylock(${name})`), doc: `folio_trylock(${name}) succeeds` }),
    queued: (g?: string): Fragment => ({ when: guardOf(`s.${queue(g, 'queued')}.get(me.id)`, `on ${name}'s wait queue`) }),
    woken: (g?: string): Fragment => ({ when: guardOf(`!s.${queue(g, 'woken')}.get(me.id)`, `${name}: woken`), doc: `woken by folio_wake_bit(${name})` }),
    holderLocal: Object.freeze(local ? { [heldLocal]: bool() } : {}),
  });
}
