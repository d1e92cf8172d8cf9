import type { ArrayDomain, ThreadIdDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { checkIdent, effectOf, guardOf, stepLabels, type BlockSteps, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars, type LockKind, type OwnerNames } from './block.ts';
import { Owners } from './owners.ts';

/**
 * Spinlock and mutex with the owner's thread id.
 *
 * - `lock(group)`: `spin_lock()` (include/linux/spinlock.h → `_raw_spin_lock`
 *   in kernel/locking/spinlock.c) / `mutex_lock()` (kernel/locking/mutex.c,
 *   which records the owning task in `lock->owner`). One atomic step enabled
 *   only while the lock is free; it records the caller as owner. Spinning
 *   and sleeping are the same to the checker: the thread is blocked at the
 *   step's label until the owner releases the lock (a mutex waiter sleeps:
 *   for cpus(), list its label among `sleeps`).
 * - `trylock(group, { at, ok, busy })`: `spin_trylock()` / `mutex_trylock()`:
 *   two alternative steps at `at`: take it and go to `ok`, or find it held
 *   and go to `busy`.
 * - `unlock(group)`: `spin_unlock()` / `mutex_unlock()`: clears the owner.
 * - `held(group)`: guard "the calling thread holds it" (`lockdep_assert_held`,
 *   `__mutex_owner() == current`); `isLocked()`: `spin_is_locked()` /
 *   `mutex_is_locked()`; `free()`: the opposite.
 *
 * State: one `threadId(group, { none: true })` per group that may take it
 * (see Owners). With `{ count }` the block is an array of locks (a lock per
 * page, per fork) and every operation takes the index as source text
 * (`lock('phil', 'me.id')`). A step made from these fragments reads and
 * writes exactly those variables, as a hand-written `s.ptl === -1` /
 * `s.ptl = me.id` would.
 */
export interface Lock<V extends SharedSpec = SharedSpec, G extends string = string> extends Block<V> {
  lock(group?: G, index?: string): Fragment;
  trylock<At extends string, Ok extends string, Busy extends string>(group: G | undefined, labels: { at: At; ok: Ok; busy: Busy }, index?: string): NoInfer<BlockSteps<At | `${At}_busy`, Ok | Busy>>;
  unlock(group?: G, index?: string): Fragment;
  held(group?: G, index?: string): Fragment;
  isLocked(index?: string): Fragment;
  free(index?: string): Fragment;
}

/**
 * The owner variables of lock `N` taken by the groups `Gs`, as the compiler
 * sees them: thread ids, or arrays of them with a `count` (`C`: a number;
 * undefined without one; a count that may be either gives either).
 */
export type LockVars<N extends string, Gs extends readonly string[], C extends number | undefined> = KnownVars<
  N | Gs[number],
  { [K in OwnerNames<N, Gs>]: [C] extends [undefined] ? ThreadIdDomain : [C] extends [number] ? ArrayDomain<ThreadIdDomain> : ThreadIdDomain | ArrayDomain<ThreadIdDomain> }
>;

function makeLock<V extends SharedSpec>(kind: LockKind, fn: string, name: string, groups: readonly string[], count?: number): Lock<V> {
  const o = new Owners(fn, name, groups, count);
  const block = makeBlock<V>(name, o.shared(), [{ name, kind, owners: o.decl() }]);
  const lockName = kind === 'mutex' ? 'mutex_lock' : 'spin_lock';
  const unlockName = kind === 'mutex' ? 'mutex_unlock' : 'spin_unlock';
  const tn = kind === 'mutex' ? 'mutex_trylock' : 'spin_trylock';
  const nm = (i: string | undefined) => (i === undefined ? name : `${name}[${i}]`);
  return markFragments(name, {
    ...block,
    lock: (g?: string, index?: string): Fragment => {
      const i = o.index(index, 'lock');
      return { when: guardOf(o.freeText(i), `${lockName}(${nm(i)})`), then: effectOf(o.write(o.of(g, 'lock'), i, 'me.id'), `${lockName}(${nm(i)})`), doc: `${lockName}(${nm(i)})` };
    },
    trylock: <At extends string, Ok extends string, Busy extends string>(g: string | undefined, l: { at: At; ok: Ok; busy: Busy }, index?: string) => {
      const at = checkIdent(`${fn}(${name}).trylock at`, stepLabels(`${fn}(${name}).trylock`, l, ['at', 'ok', 'busy']).at);
      const i = o.index(index, 'trylock');
      const v = o.of(g, 'trylock');
      return {
        [at]: { when: guardOf(o.freeText(i), `${tn}(${nm(i)})`), then: effectOf(o.write(v, i, 'me.id'), `${tn}(${nm(i)})`), next: l.ok, doc: `${tn}(${nm(i)}) succeeds` },
        [`${at}_busy`]: { at, when: guardOf(`!(${o.freeText(i)})`, `${tn}(${nm(i)}) fails`), next: l.busy, doc: `${tn}(${nm(i)}) fails` },
      } as BlockSteps<At | `${At}_busy`, Ok | Busy>;
    },
    unlock: (g?: string, index?: string): Fragment => {
      const i = o.index(index, 'unlock');
      return { then: effectOf(o.write(o.of(g, 'unlock'), i, '-1'), `${unlockName}(${nm(i)})`), doc: `${unlockName}(${nm(i)})` };
    },
    ...o.guards(nm),
  });
}

/** A spinlock `name` that threads of `groups` take; `{ count }` makes an array of them (see Lock). */
export const spinlock = <N extends string, const Gs extends readonly string[], C extends number | undefined = undefined>(name: N, groups: Gs, opts: { count?: C } = {}): Lock<LockVars<N, Gs, C>, Gs[number]> =>
  makeLock('spinlock', 'spinlock', name, groups, opts.count);
/** A mutex `name` that threads of `groups` take; `{ count }` makes an array of them (see Lock). */
export const mutex = <N extends string, const Gs extends readonly string[], C extends number | undefined = undefined>(name: N, groups: Gs, opts: { count?: C } = {}): Lock<LockVars<N, Gs, C>, Gs[number]> =>
  makeLock('mutex', 'mutex', name, groups, opts.count);
