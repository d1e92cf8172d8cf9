import { defineModel, bool, int, oneOf, thread, replicate, combine, mutex, refcount } from '../src/index.ts';
import type { BlockShared, Fragment, ReadonlyStateView, StepDef, StepMap, ThreadGroupDef } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Device-exclusive PTEs for GPU atomics (nouveau) against CPU faults that
 * revoke them, page migration, and foreign MMU-notifier invalidations.
 *
 * Translation of docs/kernel/device-exclusive.md (the spec; section numbers
 * below refer to it), written on the building blocks (docs/blocks.md). The
 * kernel story and the variants in brief: README.md, Kernel models,
 * `device-exclusive`.
 *
 * Abstractions (spec §3, §8):
 * - one anonymous writable page P, exclusively mapped once; P2 is the page a
 *   migration moves it to; one CPU PTE, one GPU PTE, one nouveau interval
 *   notifier covering the page (C1);
 * - `pRef` is P's reference count (refcount block): 1 initially, the
 *   mapping's (the device-exclusive entry keeps it); GUP, the CPU fault's
 *   folio_try_get and migration's isolation take one each; the migration
 *   entry holds none (try_to_migrate_one drops the mapping's). The put that
 *   drops the last one frees P (`pFree`);
 * - `pLock` is P's folio lock with its holder (mutex block: owner variables
 *   per thread group, which the reports read). A CPU fault takes it in
 *   blocking mode, which is the guard "the lock is free" (C4): the kernel
 *   sleeps on the folio's wait queue, which the spec leaves out (the pageLock
 *   block would add PG_waiters and the queue, and change every count);
 * - svmm->mutex is not a variable: each of its critical sections (both
 *   nouveau callbacks, D's check-and-program) is one step (C2); the two
 *   callbacks and invalidate_range_start are merged into one step (§4.0);
 * - the interval notifier's sequence is abstracted for its one reader D:
 *   `seqDirty` = "mmu_interval_read_retry() would be true" (set by every
 *   unfiltered invalidation, cleared by read_begin), `mniHit` = read_begin's
 *   is_invalidating (an invalidation that reached nouveau's interval
 *   callback is still running), `invActive` = active_invalidate_ranges. The
 *   intervalNotifier blocks count sequences, which D's unbounded retry loop
 *   (timeout=0) would drive without bound: the booleans keep the state space
 *   finite and are exact for one reader;
 * - the timeout is an iteration budget checked at the loop top (C3);
 * - X is any invalidation of D's interval that leaves the PTE as it is (C5);
 * - waiting on a migration entry is "not enabled while pte == MIGRATION_P"
 *   (C7); the migrator R uses trylock and is combined only with nD = 0 (C8).
 *
 * Variants: each is `fixed` with the named steps below replaced; the rest of
 * every path is the same.
 *
 * | variant            | replaces (thread: steps)                                                                            |
 * |--------------------|-----------------------------------------------------------------------------------------------------|
 * | fixed              | -                                                                                                   |
 * | leak-lock-on-retry | D: check_and_map_retry loops back to read_begin holding the folio lock and reference; no folio_unlock_retry / folio_put_retry (before b3fefbb30a16) |
 * | no-owner-filter    | D: make_excl_notify's invalidation is not filtered by nouveau's interval callback, so it dirties the sequence (Jan 2025 proposal) |
 * | no-ref-on-restore  | C, D: remove_device_exclusive_entry without folio_try_get / folio_put: folio_lock holds no reference (before 7c7b962938dd) |
 */

type Variant = 'fixed' | 'leak-lock-on-retry' | 'no-owner-filter' | 'no-ref-on-restore';

/** Labels at which D may legitimately hold P's lock (invariant page-lock-not-leaked). */
const D_HOLDS = new Set(['xNotify', 'xSwap', 'xEnd', 'check', 'retryUnlock', 'mapped', 'f_notify', 'f_restore', 'f_unlock']);

type Sizes = { readonly nD: number; readonly nC: number; readonly nX: number; readonly nR: number };
const shared = ({ nD, nC, nX, nR }: Sizes) => ({
  pte: oneOf('PRESENT_P', 'DEVEXCL_P', 'MIGRATION_P', 'PRESENT_P2').initially(nD > 0 ? 'PRESENT_P' : 'DEVEXCL_P'),
  pFree: bool(),
  gpu: oneOf('NONE', 'ATOMIC_P').initially(nD > 0 ? 'NONE' : 'ATOMIC_P'),
  seqDirty: bool(),
  mniHit: bool(),
  invActive: int(0, nD + nC + nX + nR),
  dGranted: bool(),
});
type Shared = ReturnType<typeof shared>;

/** The thread groups that take P's lock, in the order its owner variables are declared. */
const lockGroups = ({ nD, nC, nR }: Sizes) => [...(nD > 0 ? ['D' as const] : []), ...(nC > 0 ? ['C' as const] : []), ...(nR > 0 ? ['R' as const] : [])];
/** The blocks (the same for threads, invariants and `blocks`: they are only text and declarations). */
const blocksOf = (p: Sizes) => ({
  // No thread takes the lock when only foreign invalidations run (nD = nC = nR = 0): then it is not declared.
  ...(lockGroups(p).length > 0 ? { pLock: mutex('pLock', lockGroups(p)) } : {}),
  // At most: the mapping, D's GUP and fault references, one per CPU fault, the migration's isolation.
  pRef: refcount('pRef', { max: 1 + 2 * p.nD + p.nC + p.nR, init: 1 }),
});

type Blocks = ReturnType<typeof blocksOf>;
/**
 * The state as the invariants read it, the blocks' variables included: `pRef`, and P's lock's owners,
 * `pLock` or `pLock_D`, `pLock_C`, `pLock_R` (named after the groups that exist, typed as all present).
 */
type LockState = ReadonlyStateView<Shared & BlockShared<Blocks[keyof Blocks]>>;

/**
 * invalidate_range_start -> mn_itree_inv_start_range (active_invalidate_ranges++) ->
 * nouveau_svm_range_invalidate (mutex_lock(svmm->mutex), mmu_interval_set_seq, unlock) ->
 * nouveau_svmm_invalidate_range_start (mutex_lock, NVIF_VMM_V0_PFNCLR, unlock).
 */
const invalidateRangeStart: Fragment = {
  then: (s) => {
    s.invActive = s.invActive + 1;
    s.seqDirty = true;
    s.mniHit = true;
    s.gpu = 'NONE';
  },
};
/**
 * The same for D's own MMU_NOTIFY_EXCLUSIVE with owner == drm->dev: nouveau_svm_range_invalidate
 * returns early without mmu_interval_set_seq (the owner filter); the main callback still clears the GPU PTE.
 */
const invalidateRangeStartOwnerFiltered: Fragment = {
  then: (s) => {
    s.invActive = s.invActive + 1;
    s.gpu = 'NONE';
  },
};
/** mmu_notifier_invalidate_range_end -> mn_itree_inv_end (under subscriptions->lock): the last one ends is_invalidating. */
const invalidateRangeEnd: Fragment = {
  then: (s) => {
    s.invActive = s.invActive - 1;
    if (s.invActive === 0) s.mniHit = false;
  },
};
/** __folio_put: the put that drops the last reference frees the folio. */
const freeIfLast: Fragment = {
  then: (s) => {
    if (s.pRef === 0) s.pFree = true;
  },
};

/** Steps with the model's docs (what each stands for in the kernel) in place of the block's. */
const withDocs = (steps: Record<string, StepDef>, docs: Readonly<Record<string, string>>): Record<string, StepDef> =>
  Object.fromEntries(Object.entries(steps).map(([k, st]) => [k, docs[k] === undefined ? st : { ...st, doc: docs[k] }]));
/** A block's steps under the model's step names (a block names its steps after their labels). */
const named = (steps: StepMap, names: Readonly<Record<string, string>>): Record<string, StepDef> =>
  Object.fromEntries(Object.entries(steps).map(([k, st]) => [names[k] ?? k, { at: k, ...st }]));

export default builtin(import.meta.url, defineModel({
  name: 'device-exclusive',
  title: 'Device-exclusive PTEs for GPU atomics (nouveau) vs. CPU faults, migration and invalidations',
  category: 'kernel',
  description:
    'Device-exclusive entries (b756a3b5e7ea, v5.14) let a GPU without PCIe atomics do atomics on anonymous memory: ' +
    'make_device_exclusive_range() GUPs the page, trylocks it and replaces its PTE with a special swap entry; any CPU touch ' +
    'faults into remove_device_exclusive_entry(), which fires an MMU notifier so the driver revokes the GPU access, then ' +
    'restores the PTE. Nouveau wraps this in an interval-notifier retry loop (nouveau_atomic_range_fault: read_begin, make ' +
    'exclusive, svmm->mutex + read_retry + program the GPU), and its interval callback ignores the MMU_NOTIFY_EXCLUSIVE event ' +
    "that its own make_device_exclusive_range() generates. Three problems: the CPU side locked the page without a reference, " +
    'so a second faulting thread could sleep on and then take the lock of a page a migration had freed (7c7b962938dd, ' +
    "v6.3); nouveau's retry path leaked the page lock and reference (b3fefbb30a16, v6.14); and dropping the owner filter " +
    '(proposed Jan 2025) makes every make_device_exclusive_range() dirty the sequence, "endless retries" bounded only by ' +
    'HMM_RANGE_DEFAULT_TIMEOUT.',
  params: {
    timeout: int(0, 3, 2),
    nD: int(0, 1, 1),
    // Up to 4 CPU faults: the unreduced check of every variant stays under a minute (the largest,
    // no-owner-filter with nX=1 timeout=2 and fixed with timeout=3, about 20 s); at 5 fixed passes 1 million states in minutes.
    nC: int(0, 4, 1),
    nX: int(0, 1, 1),
    nR: int(0, 1, 0),
    omitInvariant: oneOf('none', 'page-lock-not-leaked'),
    neverGranted: bool(false),
  },
  variants: {
    fixed: 'v6.14-rc+: folio_try_get before the CPU-side folio lock (7c7b962938dd), folio_unlock + folio_put on retry (b3fefbb30a16), owner filter in nouveau_svm_range_invalidate',
    'leak-lock-on-retry': 'v6.3-v6.13: on a read_retry collision nouveau loops again still holding the page lock and reference (before b3fefbb30a16)',
    'no-owner-filter': {
      description: "Jan-2025 proposal (not merged): nouveau's interval callback no longer skips its own MMU_NOTIFY_EXCLUSIVE, so make_device_exclusive_range dirties the sequence",
      defaults: { nC: 0, nX: 0, timeout: 0 },
    },
    'no-ref-on-restore': {
      description: 'v5.14-v6.2: remove_device_exclusive_entry locks the page without holding a reference (before 7c7b962938dd)',
      defaults: { nD: 0, nC: 2, nX: 0, nR: 1 },
    },
  },
  expect: {
    fixed: [
      { verdict: 'pass' },
      { verdict: 'pass', params: { nD: 0, nC: 2, nX: 0, nR: 1 }, note: 'spec F2: two CPU faults and a migration, GPU already exclusive' },
      { verdict: 'pass', params: { nC: 1, nX: 0, timeout: 0 }, note: 'spec F3: no timeout, no foreign invalidation: no livelock (compare no-owner-filter)' },
      { verdict: 'pass', params: { nC: 2 } },
      { verdict: 'pass', params: { timeout: 3 } },
      { verdict: 'pass', params: { nC: 2, timeout: 3 } },
      { verdict: 'pass', params: { nD: 0, nC: 2, nX: 1, nR: 1 } },
      { verdict: 'pass', params: { nC: 0, nX: 1, timeout: 2 } },
      { verdict: 'pass', params: { nD: 0, nC: 3, nX: 1, nR: 1 }, states: 17385, transitions: 63214 },
      { verdict: 'pass', params: { nC: 4, nX: 0, timeout: 0 }, states: 14592, transitions: 49904 },
      { verdict: 'pass', params: { nC: 3 }, states: 22896, transitions: 71736, bench: true },
      { verdict: 'pass', params: { nC: 4 }, states: 151216, transitions: 577968, bench: true, note: '--symmetry: 12,377 states, 47,459 transitions' },
      { verdict: 'pass', params: { nC: 4, timeout: 3 }, states: 225792, transitions: 850592, bench: true, note: 'the largest fixed instance; --symmetry: 18,446 states, 69,787 transitions' },
      { verdict: 'pass', params: { nD: 0, nC: 4, nX: 1, nR: 1 }, states: 120435, transitions: 519985, bench: true, note: '--symmetry: 9,684 states, 41,904 transitions' },
      {
        verdict: 'violation',
        kind: 'invariant',
        property: 'atomic-never-granted',
        length: 8,
        params: { neverGranted: true },
        note: 'sanity: the GPU atomic mapping is reachable in the fixed design, so its pass is not vacuous',
      },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        length: 21,
        params: { nC: 0, nX: 1, timeout: 0 },
        note: 'spec F4, exploratory, model-derived, not reported upstream: one foreign invalidation inside the first iteration leaves the PTE device-exclusive after the retry; from then on D\'s own GUP faults on it and remove_device_exclusive_entry fires an unfiltered (owner NULL) notifier after read_begin, so every iteration retries. Only HMM_RANGE_DEFAULT_TIMEOUT ends it (timeout > 0 passes)',
      },
    ],
    'leak-lock-on-retry': [
      { verdict: 'violation', kind: 'invariant', property: 'page-lock-not-leaked', length: 9 },
      {
        verdict: 'violation',
        kind: 'deadlock',
        property: 'deadlock',
        length: 14,
        params: { omitInvariant: 'page-lock-not-leaked' },
        note: "D's next GUP faults on its own device-exclusive entry and blocks in folio_lock on the page lock it leaked",
      },
      {
        verdict: 'violation',
        kind: 'deadlock',
        property: 'deadlock',
        length: 14,
        params: { omitInvariant: 'page-lock-not-leaked', timeout: 1 },
        note: 'the timeout fires first: nouveau_atomic_range_fault returns -EBUSY with the folio locked and referenced, and the CPU fault blocks forever in folio_lock',
      },
      { verdict: 'violation', kind: 'invariant', property: 'page-lock-not-leaked', length: 9, params: { nC: 2 } },
      { verdict: 'violation', kind: 'invariant', property: 'page-lock-not-leaked', length: 9, params: { nC: 4 } },
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', length: 17, params: { nC: 4, omitInvariant: 'page-lock-not-leaked' } },
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', length: 17, params: { nC: 4, omitInvariant: 'page-lock-not-leaked', timeout: 1 } },
    ],
    'no-owner-filter': [
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 22 },
      { verdict: 'pass', params: { timeout: 2 }, note: 'bounded failure: D ends with -EBUSY on every run' },
      {
        verdict: 'pass',
        params: { timeout: 2, neverGranted: true },
        note: 'bounded failure: the GPU atomic mapping is never programmed (atomic-never-granted holds)',
      },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        length: 19,
        params: { nC: 1 },
        note: 'with a CPU thread: the CPU fault and the GPU atomic fault revoke each other forever',
      },
      { verdict: 'pass', params: { nC: 1, nX: 1, timeout: 2 } },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 43, params: { nC: 4 }, bench: true },
      {
        verdict: 'pass',
        params: { nC: 4, nX: 1, timeout: 2 },
        states: 242528,
        transitions: 1055088,
        bench: true,
        note: '--symmetry: 19,630 states, 85,743 transitions',
      },
    ],
    'no-ref-on-restore': [
      { verdict: 'violation', kind: 'invariant', property: 'page-alive-while-locked-or-awaited', length: 15 },
      { verdict: 'pass', params: { nC: 1 }, note: 'one CPU fault alone never waits on the lock of a page it holds no reference to' },
      { verdict: 'violation', kind: 'invariant', property: 'page-alive-while-locked-or-awaited', length: 15, params: { nX: 1 } },
      { verdict: 'violation', kind: 'invariant', property: 'page-alive-while-locked-or-awaited', length: 15, params: { nC: 4 } },
      { verdict: 'violation', kind: 'invariant', property: 'page-alive-while-locked-or-awaited', length: 15, params: { nC: 4, nX: 1 } },
      {
        verdict: 'pass',
        params: { nD: 1, nC: 4, nX: 1, nR: 0 },
        states: 39878,
        transitions: 131716,
        bench: true,
        note: 'without the migration the CPU faults never wait on a freed page',
      },
    ],
  },
  blocks: (p) => Object.values(blocksOf(p)),
  shared,
  threads: (p, variantIn) => {
    const { timeout, nD, nC, nX, nR } = p;
    const variant = (variantIn ?? 'fixed') as Variant;
    if (nR > 0 && nD > 0)
      throw new Error('nR=1 requires nD=0: the GPU fault path does not model migration entries or the new page P2 (spec §2, C8)');
    const { pLock: lockOrNone, pRef } = blocksOf(p);
    // Declared whenever D, C or R exists; only their paths (built below only for the groups that exist) use it.
    const pLock = lockOrNone!;
    const folioPut = combine(pRef.put(), freeIfLast);

    /**
     * remove_device_exclusive_entry (spec §4.0) for a thread of `group` that faulted on the
     * device-exclusive entry, back to `back` afterwards: C (do_swap_page), and D when its GUP
     * faults on its own entry. Since 7c7b962938dd (v6.3) it holds a reference across the lock.
     */
    const restore = (group: 'C' | 'D', back: string, why: string): Record<string, StepDef> => withDocs({
      ...named(pRef.tryGet({ at: 'f_get', ok: 'f_lock', fail: back }), { f_get: 'folio_try_get', f_get_fail: 'folio_try_get_fail' }),
      folio_lock: {
        at: 'f_lock',
        ...combine(pLock.lock(group), { then: (s) => s.assert(!s.pFree, 'no-lock-of-freed-page') }),
        next: 'f_notify',
        doc: 'remove_device_exclusive_entry: folio_lock_or_retry (no FAULT_FLAG_ALLOW_RETRY: __folio_lock, blocking)',
      },
      restore_notify: {
        at: 'f_notify',
        ...invalidateRangeStart,
        next: 'f_restore',
        doc: 'remove_device_exclusive_entry: mmu_notifier_range_init_owner(MMU_NOTIFY_EXCLUSIVE, owner NULL) + invalidate_range_start -> nouveau callbacks (never filtered: owner NULL)',
      },
      restore_exclusive_pte: {
        at: 'f_restore',
        then: (s) => {
          if (s.pte === 'DEVEXCL_P') s.pte = 'PRESENT_P';
        },
        next: 'f_unlock',
        doc: 'remove_device_exclusive_entry: pte_offset_map_lock; if pte_same(orig_pte): restore_exclusive_pte; pte_unmap_unlock',
      },
      folio_unlock: { at: 'f_unlock', ...pLock.unlock(group), next: 'f_put', doc: 'remove_device_exclusive_entry: folio_unlock' },
      folio_put: { at: 'f_put', ...folioPut, next: 'f_end', doc: 'remove_device_exclusive_entry: folio_put (7c7b962938dd)' },
      restore_end: { at: 'f_end', ...invalidateRangeEnd, next: back, doc: 'remove_device_exclusive_entry: mmu_notifier_invalidate_range_end; return 0' },
    }, {
      folio_try_get: `${why} -> remove_device_exclusive_entry: if (!folio_try_get(folio)) return 0 (7c7b962938dd)`,
      folio_try_get_fail: `${why} -> remove_device_exclusive_entry: folio_try_get fails (the folio is being freed): return 0`,
    });
    /** no-ref-on-restore (v5.14-v6.2): the same path without folio_try_get and folio_put. */
    const restoreWithoutRef = (group: 'C' | 'D', back: string, why: string): Record<string, StepDef> => {
      const { folio_try_get: _get, folio_try_get_fail: _fail, folio_put: _put, ...rest } = restore(group, back, why);
      return {
        ...rest,
        folio_lock: { ...rest.folio_lock!, doc: `${why} -> remove_device_exclusive_entry: lock_page_or_retry, blocking, holding NO page reference` },
        folio_unlock: { ...rest.folio_unlock!, next: 'f_end' },
      };
    };
    const restorePath = variant === 'no-ref-on-restore' ? restoreWithoutRef : restore;
    const faultEntry = variant === 'no-ref-on-restore' ? 'f_lock' : 'f_get';

    // ---- D: nouveau_atomic_range_fault (spec §4.1), top to bottom -------------------------
    const dPath = (): Record<string, StepDef> => ({
      notifier_insert: {
        at: 'insert',
        then: (s, me) => {
          if (s.invActive > 0) s.mniHit = true;
          me.budget = timeout;
        },
        next: 'loop',
        doc: 'mmu_interval_notifier_insert(&notifier->notifier, mm, addr, size, &nouveau_svm_mni_ops) (deferred while an invalidation runs); timeout = jiffies + HMM_RANGE_DEFAULT_TIMEOUT',
      },
      read_begin: {
        at: 'loop',
        when: (s, me) => (timeout === 0 || me.budget > 0) && !s.mniHit,
        then: (s, me) => {
          s.seqDirty = false;
          if (timeout > 0) me.budget = me.budget - 1;
        },
        next: 'gup',
        doc: 'while (true) { time_after(jiffies, timeout) false; notifier_seq = mmu_interval_read_begin(&notifier->notifier) (sleeps while invalidating)',
      },
      ...(timeout > 0
        ? {
            timeout_hit: {
              at: 'loop',
              when: (_s, me) => me.budget === 0,
              then: (_s, me) => {
                me.res = 'EBUSY';
              },
              next: 'remove',
              doc: 'while (true) { if (time_after(jiffies, timeout)) { ret = -EBUSY; goto out; }',
            },
          }
        : {}),
      gup_follow: {
        at: 'gup',
        ...combine({ when: (s) => s.pte === 'PRESENT_P' }, pRef.get()),
        next: 'trylock',
        doc: 'mmap_read_lock; make_device_exclusive_range -> get_user_pages_remote(FOLL_GET|FOLL_WRITE, locked=NULL) -> follow_page_pte: present: folio_get',
      },
      // D meets no other PTE (R, the only thread that installs a migration entry or P2, runs only with nD = 0);
      // if it did, neither GUP step would be enabled and the deadlock check would report it.
      gup_fault: {
        at: 'gup',
        when: (s) => s.pte === 'DEVEXCL_P',
        next: faultEntry,
        doc: 'get_user_pages_remote: follow_page_pte finds the device-exclusive entry: faultin_page -> handle_mm_fault -> do_swap_page, then follow_page again',
      },
      ...restorePath('D', 'gup', 'GUP faultin_page -> do_swap_page'),
      trylock_page: { at: 'trylock', ...pLock.lock('D'), next: 'xNotify', doc: 'make_device_exclusive_range: trylock_page succeeds' },
      trylock_page_busy: {
        at: 'trylock',
        ...combine(pLock.isLocked(), folioPut, {
          then: (_s, me) => {
            me.res = 'EINVAL';
          },
        }),
        next: 'remove',
        doc: 'make_device_exclusive_range: trylock_page fails: put_page, pages[i] = NULL; nouveau: !page -> ret = -EINVAL, goto out',
      },
      make_excl_notify: {
        at: 'xNotify',
        ...invalidateRangeStartOwnerFiltered,
        next: 'xSwap',
        doc: 'page_make_device_exclusive -> page_make_device_exclusive_one: mmu_notifier_range_init_owner(MMU_NOTIFY_EXCLUSIVE, owner = drm->dev) + invalidate_range_start; the interval callback filters it, the main callback clears the GPU PTE',
      },
      make_exclusive_pte: {
        at: 'xSwap',
        then: (s) => {
          s.assert(s.pte === 'PRESENT_P', 'exclusive-from-present');
          s.pte = 'DEVEXCL_P';
        },
        next: 'xEnd',
        doc: 'page_make_device_exclusive_one under the PTL: ptep_clear_flush, make_writable_device_exclusive_entry, set_pte_at, page_remove_rmap (the entry keeps the reference)',
      },
      make_excl_end: { at: 'xEnd', ...invalidateRangeEnd, next: 'check', doc: 'page_make_device_exclusive_one: mmu_notifier_invalidate_range_end; mmap_read_unlock' },
      check_and_map: {
        at: 'check',
        when: (s) => !s.seqDirty,
        then: (s) => {
          s.gpu = 'ATOMIC_P';
          s.dGranted = true;
        },
        next: 'mapped',
        doc: 'mutex_lock(&svmm->mutex); mmu_interval_read_retry false: break; program PFNMAP V|W|A|HOST, nvif_object_ioctl, mutex_unlock',
      },
      check_and_map_retry: {
        at: 'check',
        when: (s) => s.seqDirty,
        next: 'retryUnlock',
        doc: 'mutex_lock(&svmm->mutex); mmu_interval_read_retry true: mutex_unlock, then unlock and put the page (b3fefbb30a16)',
      },
      folio_unlock_retry: { at: 'retryUnlock', ...pLock.unlock('D'), next: 'retryPut', doc: 'read_retry collision: folio_unlock(folio) (b3fefbb30a16)' },
      folio_put_retry: { at: 'retryPut', ...folioPut, next: 'loop', doc: 'read_retry collision: folio_put(folio) (b3fefbb30a16); loop' },
      folio_unlock_mapped: { at: 'mapped', ...pLock.unlock('D'), next: 'put', doc: 'GPU atomic mapping programmed: unlock_page(page) / folio_unlock' },
      folio_put_mapped: {
        at: 'put',
        ...combine(folioPut, {
          then: (_s, me) => {
            me.res = 'OK';
          },
        }),
        next: 'remove',
        doc: 'put_page(page) / folio_put; ret = 0',
      },
      notifier_remove: {
        at: 'remove',
        when: (s) => s.invActive === 0,
        next: 'DONE',
        doc: 'out: mmu_interval_notifier_remove(&notifier->notifier) (waits for a running invalidation)',
      },
    });
    /** The variants' replacements in D (see the table above). */
    const replacedInD: Partial<Record<Variant, Record<string, StepDef | undefined>>> = {
      'leak-lock-on-retry': {
        check_and_map_retry: {
          at: 'check',
          when: (s) => s.seqDirty,
          next: 'loop',
          doc: 'mutex_lock(&svmm->mutex); mmu_interval_read_retry -> mutex_unlock; continue (STILL holding the page lock and reference)',
        },
        folio_unlock_retry: undefined,
        folio_put_retry: undefined,
      },
      'no-owner-filter': {
        make_excl_notify: {
          at: 'xNotify',
          ...invalidateRangeStart,
          next: 'xSwap',
          doc: 'page_make_device_exclusive_one: invalidate_range_start(MMU_NOTIFY_EXCLUSIVE, drm->dev); WITHOUT the owner filter the interval callback sets the sequence',
        },
      },
    };
    const dSteps = (): Record<string, StepDef> =>
      Object.fromEntries(Object.entries({ ...dPath(), ...replacedInD[variant] }).filter((e): e is [string, StepDef] => e[1] !== undefined));

    // ---- C[i]: CPU touch (spec §4.2) --------------------------------------------------------
    const cPath = (): Record<string, StepDef> => ({
      access_or_fault: {
        at: 'touch',
        when: (s) => s.pte !== 'MIGRATION_P',
        next: (s) => (s.pte === 'DEVEXCL_P' ? faultEntry : 'DONE'),
        doc: 'CPU access: a present PTE succeeds; handle_pte_fault reads orig_pte without the PTL, !pte_present -> do_swap_page -> is_device_exclusive_entry; a migration entry: migration_entry_wait',
      },
      ...restorePath('C', 'touch', 'do_swap_page'),
    });

    // ---- R: migrate_pages, async (spec §4.3) ----------------------------------------------
    const rPath = (): Record<string, StepDef> => ({
      ...withDocs(named(pRef.tryGet({ at: 'isolate', ok: 'trylock', fail: 'DONE' }), { isolate: 'folio_try_get', isolate_fail: 'folio_try_get_fail' }), {
        folio_try_get: 'compaction / NUMA / offline isolation: folio_try_get (isolate_lru_page reference)',
        folio_try_get_fail: 'isolation: folio_try_get fails, the folio is free',
      }),
      folio_trylock: { at: 'trylock', ...pLock.lock('R'), next: 'notify', doc: 'migrate_pages -> migrate_folio_unmap: folio_trylock (MIGRATE_ASYNC) succeeds' },
      folio_trylock_busy: { at: 'trylock', ...combine(pLock.isLocked(), folioPut), next: 'DONE', doc: 'migrate_folio_unmap: folio_trylock fails: give up and put' },
      ttm_notify: {
        at: 'notify',
        ...combine({ when: (s) => s.pte === 'PRESENT_P' }, invalidateRangeStart),
        next: 'unmap',
        doc: 'migrate_folio_unmap: folio_mapped(src): try_to_migrate -> try_to_migrate_one: invalidate_range_start(MMU_NOTIFY_CLEAR, no owner)',
      },
      ttm_not_mapped: {
        at: 'notify',
        when: (s) => s.pte !== 'PRESENT_P',
        then: (_s, me) => {
          me.unmapped = false;
        },
        next: 'move',
        doc: 'migrate_folio_unmap: a device-exclusive entry has mapcount 0: not mapped, nothing fired',
      },
      ttm_pte: {
        at: 'unmap',
        ...combine(
          {
            then: (s, me) => {
              s.assert(s.pte === 'PRESENT_P', 'unmap-present');
              s.pte = 'MIGRATION_P';
              me.unmapped = true;
            },
          },
          pRef.put(),
        ),
        next: 'unmapEnd',
        doc: 'try_to_migrate_one under the PTL: ptep_clear_flush, migration entry, page_remove_rmap, folio_put (the mapping reference)',
      },
      ttm_end: { at: 'unmapEnd', ...invalidateRangeEnd, next: 'move', doc: 'try_to_migrate_one: mmu_notifier_invalidate_range_end' },
      folio_migrate_mapping: {
        at: 'move',
        ...combine(pRef.is(1), {
          then: (_s, me) => {
            me.ok = true;
          },
        }),
        next: 'finalize',
        doc: 'migrate_folio_move -> move_to_new_folio -> folio_migrate_mapping: the count is folio_expected_refs() (only the isolation reference)',
      },
      folio_migrate_mapping_eagain: {
        at: 'move',
        ...combine(pRef.isNot(1), {
          then: (_s, me) => {
            me.ok = false;
          },
        }),
        next: 'finalize',
        doc: 'folio_migrate_mapping: another reference: -EAGAIN',
      },
      remove_migration_ptes: {
        at: 'finalize',
        when: (_s, me) => !me.unmapped || me.ok,
        then: (s, me) => {
          if (me.unmapped) s.pte = 'PRESENT_P2';
        },
        next: 'unlock',
        doc: 'remove_migration_ptes(src, dst) under the PTL: the migration entry now maps P2',
      },
      remove_migration_ptes_src: {
        at: 'finalize',
        ...combine(
          {
            when: (_s, me) => me.unmapped && !me.ok,
            then: (s) => {
              s.pte = 'PRESENT_P';
            },
          },
          pRef.get(),
        ),
        next: 'unlock',
        doc: 'remove_migration_ptes(src, src) under the PTL: the migration failed, P is mapped again (with its mapping reference)',
      },
      folio_unlock: { at: 'unlock', ...pLock.unlock('R'), next: 'put', doc: 'migrate_pages: folio_unlock(src)' },
      folio_put: { at: 'put', ...folioPut, next: 'DONE', doc: 'migrate_pages: folio_put(src), the final put after a successful migration' },
    });

    // ---- X: a foreign invalidation of D's interval that leaves the PTE alone (spec §4.4) ----
    const X: Record<string, StepDef> = {
      foreign_notify: {
        at: 'notify',
        ...invalidateRangeStart,
        next: 'end',
        doc: 'some invalidate_range_start overlapping the interval, owner NULL (spec C5: not tied to one kernel operation)',
      },
      foreign_end: { at: 'end', ...invalidateRangeEnd, next: 'DONE', doc: 'mmu_notifier_invalidate_range_end' },
    };

    const groups: ThreadGroupDef<Shared>[] = [];
    if (nD > 0)
      groups.push(
        thread('D', {
          locals: { budget: int(0, timeout), res: oneOf('NONE', 'OK', 'EBUSY', 'EINVAL') },
          start: 'insert',
          end: ['DONE'],
          progress: ['mapped'],
          steps: dSteps(),
        }),
      );
    if (nC > 0) groups.push(replicate(nC, 'C', { start: 'touch', end: ['DONE'], progress: ['DONE'], steps: cPath() }));
    if (nR > 0) groups.push(thread('R', { locals: { unmapped: bool(), ok: bool() }, start: 'isolate', end: ['DONE'], steps: rPath() }));
    if (nX > 0) groups.push(thread('X', { start: 'notify', end: ['DONE'], steps: X }));
    return groups;
  },
  invariants: (p) => {
    const { nD, omitInvariant, neverGranted } = p;
    const lockedBy = lockGroups(p).join('');
    // Invariants are read from their source (POR, symmetry), so each is one function over named
    // variables (calling a function with the state would hide what it reads); the lock's owner
    // variables are named after the groups that take it (pLock alone, or pLock_D, pLock_C,
    // pLock_R), hence one function per set of groups.
    const alive: Record<string, (s: LockState) => boolean> = {
      '': (s) => !s.pFree,
      D: (s) => !s.pFree || (s.pLock === -1 && s.at('D') !== 'f_lock'),
      C: (s) => {
        if (!s.pFree) return true;
        if (s.pLock !== -1) return false;
        if (s.count('C', 'f_lock') > 0) return false;
        return true;
      },
      R: (s) => !s.pFree || s.pLock === -1,
      DC: (s) => {
        if (!s.pFree) return true;
        if (s.pLock_D !== -1 || s.pLock_C !== -1) return false;
        if (s.count('C', 'f_lock') > 0) return false;
        return s.at('D') !== 'f_lock';
      },
      CR: (s) => {
        if (!s.pFree) return true;
        if (s.pLock_C !== -1 || s.pLock_R !== -1) return false;
        if (s.count('C', 'f_lock') > 0) return false;
        return true;
      },
    };
    const notLeaked: Record<string, (s: LockState) => boolean> = {
      D: (s) => s.pLock === -1 || D_HOLDS.has(s.at('D')),
      DC: (s) => s.pLock_D === -1 || D_HOLDS.has(s.at('D')),
    };
    const inv: Record<string, (s: LockState) => boolean> = {
      /** I1 (S1): GPU atomic access and any CPU mapping never coexist. */
      'gpu-atomic-implies-exclusive': (s) => s.gpu !== 'ATOMIC_P' || s.pte === 'DEVEXCL_P',
      /** I2 (S2, no use after free): nobody holds, or is blocked acquiring, the lock of a freed page. */
      'page-alive-while-locked-or-awaited': alive[lockedBy]!,
      /** I3 (S3): D holds P's lock only between a successful lock and the matching unlock. */
      'page-lock-not-leaked': nD > 0 ? notLeaked[lockedBy]! : () => true,
      /** I4: sanity of the refcount. */
      'page-lifetime': (s) => !s.pFree || (s.pRef === 0 && s.pte === 'PRESENT_P2'),
    };
    // The engine has no switch to skip an invariant: omitInvariant leaves one out so that the
    // deadlock behind its violation can be reported.
    if (omitInvariant !== 'none') delete inv[omitInvariant];
    /** Diagnostic (spec §5): holds when the GPU atomic is never granted ("bounded failure"). */
    if (neverGranted) inv['atomic-never-granted'] = (s) => !s.dGranted;
    return inv;
  },
}));
