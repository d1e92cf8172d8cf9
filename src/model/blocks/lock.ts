import { effectOf, guardOf, type Fragment, type StepMap } from './compose.ts';
import { makeBlock, type Block, type LockKind } from './block.ts';
import { Owners } from './owners.ts';
import { checkIdent } from './compose.ts';

/**
 * Spinlock and mutex with the owner's thread id.
 *
 * - `lock(group)`: `spin_lock()` (include/linux/spinlock.h → `_raw_spin_lock`
 *   in kernel/locking/spinlock.c) / `mutex_lock()` (kernel/locking/mutex.c,
 *   which records the owning task in `lock->owner`). One atomic step enabled
 *   only while the lock is free; it records the caller as owner. Spinning
 *   and sleeping are the same to the checker: the thread is blocked at the
 *   step's label until the owner releases the lock (a mutex waiter that
 *   sleeps is a thread at a label where it may be preempted; see cpus()).
 * - `trylock(group, { at, ok, busy })`: `spin_trylock()` / `mutex_trylock()`:
 *   two alternative steps at `at`: take it and go to `ok`, or find it held
 *   and go to `busy`.
 * - `unlock(group)`: `spin_unlock()` / `mutex_unlock()`: clears the owner.
 * - `held(group)`: guard "the calling thread holds it" (`lockdep_assert_held`,
 *   or `mutex_is_locked() && __mutex_owner() == current`); `isLocked()`:
 *   `spin_is_locked()` / `mutex_is_locked()`; `free()`: the opposite.
 *
 * State: one `threadId(group, { none: true })` per group that may take it
 * (see Owners). A step made from these fragments reads and writes exactly
 * those variables, as a hand-written `s.ptl === -1` / `s.ptl = me.id` would.
 */
export interface Lock extends Block {
  lock(group?: string): Fragment;
  trylock(group: string | undefined, labels: { at: string; ok: string; busy: string }): StepMap;
  unlock(group?: string): Fragment;
  held(group?: string): Fragment;
  isLocked(): Fragment;
  free(): Fragment;
}

function makeLock(kind: LockKind, fn: string, name: string, groups: readonly string[]): Lock {
  const o = new Owners(fn, name, groups);
  const block = makeBlock(name, o.shared(), [{ name, kind, owners: o.decl() }]);
  const lockName = kind === 'mutex' ? 'mutex_lock' : 'spin_lock';
  const unlockName = kind === 'mutex' ? 'mutex_unlock' : 'spin_unlock';
  return Object.freeze({
    ...block,
    lock: (g?: string): Fragment => ({
      when: guardOf(o.freeText(), `${lockName}(${name})`),
      then: effectOf(`s.${o.of(g, 'lock')} = me.id;`, `${lockName}(${name})`),
      doc: `${lockName}(${name})`,
    }),
    trylock: (g: string | undefined, l: { at: string; ok: string; busy: string }): StepMap => {
      const v = o.of(g, 'trylock');
      const at = checkIdent(`${fn}(${name}).trylock at`, l.at);
      const tn = kind === 'mutex' ? 'mutex_trylock' : 'spin_trylock';
      return {
        [at]: { when: guardOf(o.freeText(), `${tn}(${name})`), then: effectOf(`s.${v} = me.id;`, `${tn}(${name})`), next: l.ok, doc: `${tn}(${name}) succeeds` },
        [`${at}_busy`]: { at, when: guardOf(`!(${o.freeText()})`, `${tn}(${name}) fails`), next: l.busy, doc: `${tn}(${name}) fails` },
      };
    },
    unlock: (g?: string): Fragment => ({ then: effectOf(`s.${o.of(g, 'unlock')} = -1;`, `${unlockName}(${name})`), doc: `${unlockName}(${name})` }),
    held: (g?: string): Fragment => ({ when: guardOf(`s.${o.of(g, 'held')} === me.id`, `${name} held by me`) }),
    isLocked: (): Fragment => ({ when: guardOf(o.heldText(), `${name} locked`) }),
    free: (): Fragment => ({ when: guardOf(o.freeText(), `${name} free`) }),
  });
}

/** A spinlock `name` that threads of `groups` take (see Lock). */
export const spinlock = (name: string, groups: readonly string[]): Lock => makeLock('spinlock', 'spinlock', name, groups);
/** A mutex `name` that threads of `groups` take (see Lock). */
export const mutex = (name: string, groups: readonly string[]): Lock => makeLock('mutex', 'mutex', name, groups);
