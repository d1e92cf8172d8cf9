import { defineModel, bool, int, oneOf, thread, replicate, pageLock, rwsem, combine } from '../src/index.ts';
import type { BlockShared, Fragment, ReadonlyStateView, StateView, StepDef, ThreadGroupDef } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Evicting GPU device memory (device-private pages) back to system RAM in
 * DRM GPU SVM / drm_pagemap (Intel Xe), against the GPU-SVM notifier lock, a
 * CPU fault that migrates the same page, and a GPU fault that binds it.
 *
 * Translation of docs/kernel/gpusvm-evict.md (the spec; section numbers below
 * refer to it). The kernel story and the variants in brief: README.md, Kernel
 * models, `gpusvm-evict`.
 *
 * Written on the building blocks (docs/blocks.md):
 * - `pLock`: P's PG_locked with its holder (pageLock without a wait queue: a
 *   blocking folio_lock or migration_entry_wait_on_locked is a guard "the
 *   page is unlocked");
 * - `notifier_lock`: gpusvm->notifier_lock (rwsem). Only E holds it across
 *   steps (for read); G's read sections and every write section (the
 *   notifier callback drm_gpusvm_notifier_invalidate) are single steps
 *   (spec A1), written as down_*, the body, up_* in one atomic step, so the
 *   write side waits for `notifier_lock_readers == 0`.
 *
 * Other abstractions (spec §3, §8):
 * - one device-private page P (one devmem allocation of one page, so
 *   "allocation detached" <=> "P freed"), one RAM page Q (the migration
 *   target), one CPU PTE, one GPU range;
 * - refcounts are not modelled: no thread holds a reference on P without also
 *   holding its lock, so every refcount check passes and "P freed" is exactly
 *   "a migrator finished" (A3, A4; refcount races are migration-entry-wait's);
 * - the PTL is not a variable: each PTL section is one step;
 * - invalidate_range_start is merged with the callbacks into NOTIFY (A2);
 * - the interval notifier's sequence is kept as one "changed since my
 *   read_begin" bit per reader (gDirty, eDirty) and the count of running
 *   invalidations (invActive; mniHit: one of them covers the interval), not
 *   with the intervalNotifier block: its sequence counter would tell apart
 *   states that differ only in how many invalidations a reader missed, which
 *   mmu_interval_read_retry() does not (it compares for equality), and the
 *   block's single busy bit cannot count invalidations of several threads
 *   that overlap;
 * - waiting on a migration entry (migration_entry_wait, hmm_range_fault's
 *   -EBUSY loop) is "not enabled while pte == MIGRATION_P" (A6).
 *
 * The evictor's tail (NOTIFY through detach) is the same in every variant;
 * the variants differ in how E finds and locks the page, as named steps:
 *
 * | variant                           | E's collect path                                                                   |
 * |-----------------------------------|------------------------------------------------------------------------------------|
 * | physical-evict                    | pfn_lock (/_busy/_freed) at `pass`: by physical pfn, no notifier lock              |
 * | va-evict                          | read_begin, hmm_range_fault, nl_lock_retry, pfn_lock_nl (/_busy/_none), nl_unlock  |
 * | unmap-under-notifier-lock         | va-evict, but pfn_lock_nl goes on to notify holding notifier_lock, and ttm_end to  |
 * |                                   | nl_unlock_late                                                                     |
 * | blocking-lock-under-notifier-lock | va-evict, but pfn_lock_nl is a blocking folio_lock (pfn_lock_nl_busy removed)      |
 */

type Variant = 'physical-evict' | 'va-evict' | 'unmap-under-notifier-lock' | 'blocking-lock-under-notifier-lock';

// ---- state (§3) ----------------------------------------------------------------------

const shared = ({ nC }: { readonly nC: number }) => ({
  pte: oneOf('DEVPRIV_P', 'MIGRATION_P', 'PRESENT_Q'),
  pFree: bool(),
  invActive: int(0, 1 + nC),
  mniHit: bool(),
  gDirty: bool(),
  eDirty: bool(),
  gpu: oneOf('NONE', 'MAP_P', 'MAP_Q'),
  gValid: bool(),
});
type Blocks = ReturnType<typeof blocksOf>;
/**
 * The model's variables and the blocks' (the page lock's holder, `pLock_E`/`pLock_C`
 * or `pLock` without C; the notifier lock's writers and `notifier_lock_readers`),
 * for the steps and invariants written outside the model.
 */
type Shared = ReturnType<typeof shared> & BlockShared<Blocks[keyof Blocks]>;
type State = StateView<Shared>;
const evictorLocals = (evictRetries: number) => ({ retries: int(0, evictRetries, evictRetries), got: bool(), ePfn: oneOf('NONE', 'P') });
const gpuLocals = () => ({ gPfn: oneOf('NONE', 'P', 'Q') });
type Evictor = ReturnType<typeof evictorLocals>;
type Gpu = ReturnType<typeof gpuLocals>;

/** P's page lock and the notifier lock, for one instance (the holders are the groups present); `blocks` and `threads` each make them, with the same text. */
const blocksOf = ({ nC }: { readonly nC: number }) => ({
  page: pageLock('pLock', nC > 0 ? { E: 1, C: nC } : { E: 1 }, { waitQueue: false }),
  // E's read hold across steps, plus G's read section inside one step
  nl: rwsem('notifier_lock', { writers: nC > 0 ? ['E', 'C'] : ['E'], maxReaders: 2 }),
});

// ---- the spec's shared step bodies (§4.0) ---------------------------------------------

/**
 * NOTIFY: mmu_notifier_invalidate_range_start -> mn_itree_inv_start_range
 * (active_invalidate_ranges++, seq odd) -> drm_gpusvm_notifier_invalidate:
 * under down_write(notifier_lock) (the caller's fragment), mmu_interval_set_seq,
 * ops->invalidate (unmap the GPU PTEs, drm_gpusvm_range_unmap_pages clears
 * has_dma_mapping).
 */
const notify = (s: State) => {
  s.invActive = s.invActive + 1;
  s.mniHit = true;
  s.gDirty = true;
  s.eDirty = true;
  s.gpu = 'NONE';
  s.gValid = false;
};
/** INV_END: mmu_notifier_invalidate_range_end -> mn_itree_inv_end (under subscriptions->lock). */
const invEnd = (s: State) => {
  s.invActive = s.invActive - 1;
  if (s.invActive === 0) s.mniHit = false;
};

export default builtin(import.meta.url, defineModel({
  name: 'gpusvm-evict',
  title: 'GPU SVM eviction of device memory vs. the notifier lock (drm_gpusvm / drm_pagemap, Intel Xe)',
  category: 'kernel',
  description:
    'DRM GPU SVM keeps GPU page tables coherent with the CPU through one rwsem, gpusvm->notifier_lock: the GPU-fault path ' +
    '(drm_gpusvm_get_pages + bind) takes it for read around mmu_interval_read_retry and the DMA mapping; the MMU-notifier ' +
    'callback drm_gpusvm_notifier_invalidate takes it for write, whatever the event or owner. Evicting VRAM migrates ' +
    'device-private pages back to RAM, and migrate_device_unmap -> try_to_migrate -> try_to_migrate_one fires exactly that ' +
    'notifier. Matthew Brost (Oct 2024) proposed collecting the pages with hmm_range_fault under the sequence check and the ' +
    'notifier lock, trylocking them, dropping the lock and only then unmapping; unmapping with the lock held self-deadlocks, ' +
    'and a blocking page lock under the notifier lock is an ABBA against a CPU fault (page lock, then notifier lock in ' +
    'migrate_vma_setup). What was merged instead (migrate_device_pfns, drm_pagemap_evict_to_ram) takes the pages by ' +
    'physical pfn with get-unless-zero + trylock, never holds the notifier lock, and retries twice before -EBUSY.',
  params: {
    nC: int(0, 7, 1),
    nG: int(0, 1, 1),
    evictRetries: int(0, 2, 2),
    cTrylockFail: oneOf('refault', 'wait'),
  },
  variants: {
    'physical-evict':
      'merged design: drm_pagemap_evict_to_ram -> migrate_device_pfns (get-unless-zero + folio_trylock by pfn, no notifier lock), up to 2 retries, then -EBUSY',
    'va-evict':
      "Brost's Oct-2024 proposal: read_begin, hmm_range_fault, notifier_lock + read_retry, trylock the pages, drop the lock, then migrate_device_unmap",
    'unmap-under-notifier-lock': {
      description: 'va-evict, but migrate_device_unmap is called with notifier_lock still held for read: try_to_migrate fires the notifier, whose down_write waits for the evictor itself',
      defaults: { nC: 0 },
    },
    'blocking-lock-under-notifier-lock':
      'va-evict, but the page is taken with a blocking folio_lock under notifier_lock: ABBA against a CPU fault (page lock, then notifier lock)',
  },
  expect: {
    'physical-evict': [
      { verdict: 'pass' },
      { verdict: 'pass', params: { nC: 2 } },
      { verdict: 'pass', params: { nC: 2, cTrylockFail: 'wait' } },
      { verdict: 'pass', params: { evictRetries: 0 } },
      { verdict: 'pass', params: { nC: 4 }, states: 6778, transitions: 26027 },
      { verdict: 'pass', params: { nC: 7 }, states: 68455, transitions: 373025, bench: true },
    ],
    'va-evict': [
      { verdict: 'pass' },
      { verdict: 'pass', params: { nC: 2 } },
      { verdict: 'pass', params: { cTrylockFail: 'wait' } },
      { verdict: 'pass', params: { nC: 2, cTrylockFail: 'wait' } },
      { verdict: 'pass', params: { nC: 7 }, states: 341979, transitions: 1926196, bench: true },
    ],
    'unmap-under-notifier-lock': [
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', length: 8 },
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', length: 4, params: { nG: 0 } },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        length: 9,
        params: { nC: 1 },
        note: 'v6.15 do_swap_page: the CPU fault refaults forever (trylock_page fails against the evictor) while the evictor is stuck in down_write',
      },
      {
        verdict: 'violation',
        kind: 'deadlock',
        property: 'deadlock',
        length: 8,
        params: { nC: 1, cTrylockFail: 'wait' },
        note: '2026 do_swap_page: the CPU fault sleeps in migration_entry_wait_on_locked on the page the stuck evictor holds',
      },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 15, params: { nC: 7 }, bench: true },
    ],
    'blocking-lock-under-notifier-lock': [
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', length: 8 },
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', length: 8, params: { cTrylockFail: 'wait' } },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        length: 9,
        params: { nC: 2 },
        note: 'the second CPU fault refaults forever against the page lock of the deadlocked first one',
      },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 14, params: { nC: 7 }, bench: true },
    ],
  },
  shared,
  blocks: (p) => {
    const { page, nl } = blocksOf(p);
    return [page, nl];
  },
  threads: (p, variantIn) => {
    const { nC, nG, evictRetries, cTrylockFail } = p;
    const variant = (variantIn ?? 'physical-evict') as Variant;
    const { page, nl } = blocksOf(p);
    /** One notifier_lock write section in one step: down_write, the body, up_write (spec A1). */
    const underWrite = (g: 'E' | 'C', body: Fragment): Fragment => combine(nl.downWrite(g), body, nl.upWrite(g));
    /** One notifier_lock read section of G in one step. */
    const underRead = (body: Fragment): Fragment => combine(nl.downRead(), body, nl.upRead());
    /** E holds the page lock: an assertion before its unlock, not a guard (a failure is a model bug to report, not a wait). */
    const eHolds = nC > 0 ? (s: StateView) => s.pLock_E === 0 : (s: StateView) => s.pLock === 0;

    // ---- E: the evictor (spec §4.1, §4.2) ---------------------------------------------
    // How E finds and locks P: by physical pfn (merged) ...
    const physicalCollect: Record<string, StepDef<Shared, Evictor>> = {
      pfn_lock: {
        at: 'pass',
        ...combine({ when: (s) => !s.pFree }, page.lockWhenFree('E'), { then: (_s, me) => { me.got = true; } }),
        next: 'notify',
        doc: 'drm_pagemap_evict_to_ram: mmget_not_zero, ops->populate_devmem_pfn, migrate_device_pfns -> migrate_device_pfn_lock: folio_get_nontail_page, folio_trylock succeeds',
      },
      pfn_lock_busy: {
        at: 'pass',
        ...combine({ when: (s) => !s.pFree }, page.isLocked()),
        next: 'detach',
        doc: 'migrate_device_pfn_lock: folio_trylock fails: folio_put, the page is skipped',
      },
      pfn_lock_freed: {
        at: 'pass',
        when: (s) => s.pFree,
        next: 'detach',
        doc: 'migrate_device_pfn_lock: folio_get_nontail_page fails on a freed page: skipped',
      },
    };
    // ... or by virtual address under the notifier lock (Brost's Oct-2024 proposal)
    const snapshotValid: Fragment = { then: (s, me) => s.assert(me.ePfn !== 'P' || (!s.pFree && s.pte === 'DEVPRIV_P'), 'snapshot-valid-under-nl') };
    const vaCollect: Record<string, StepDef<Shared, Evictor>> = {
      read_begin: {
        at: 'begin',
        when: (s) => !s.mniHit,
        then: (s) => {
          s.eDirty = false;
        },
        next: 'hmm',
        doc: 'hmm_range.notifier_seq = mmu_interval_read_begin(notifier): sleeps while an invalidation of the interval is in progress',
      },
      hmm_range_fault: {
        at: 'hmm',
        when: (s) => s.pte !== 'MIGRATION_P',
        then: (s, me) => {
          me.ePfn = s.pte === 'DEVPRIV_P' ? 'P' : 'NONE';
        },
        next: 'nlLock',
        doc: 'mmap_read_lock; hmm_range_fault(dev_private_owner = own owner: device pages reported, not faulted); mmap_read_unlock. A migration entry: migration_entry_wait + -EBUSY, again',
      },
      nl_lock_retry: {
        at: 'nlLock',
        ...combine(nl.downRead(), { when: (s) => !s.eDirty }),
        next: 'pfnLock',
        doc: 'drm_gpusvm_notifier_lock (down_read); mmu_interval_read_retry: the sequence is unchanged',
      },
      nl_lock_retry_dirty: {
        at: 'nlLock',
        ...combine(nl.downRead(), { when: (s) => s.eDirty }, nl.upRead()),
        next: 'begin',
        doc: 'drm_gpusvm_notifier_lock; mmu_interval_read_retry: invalidated, drm_gpusvm_notifier_unlock, goto retry',
      },
      pfn_lock_nl: {
        at: 'pfnLock',
        ...combine({ when: (s, me) => me.ePfn === 'P' && !s.pFree }, snapshotValid, page.lockWhenFree('E'), { then: (_s, me) => { me.got = true; } }),
        next: 'nlUnlock',
        doc: 'under notifier_lock: migrate_device_pfn_lock (folio_get_nontail_page + folio_trylock) of the page hmm_range_fault reported: succeeds',
      },
      pfn_lock_nl_busy: {
        at: 'pfnLock',
        ...combine({ when: (s, me) => me.ePfn === 'P' && !s.pFree }, page.isLocked(), snapshotValid),
        next: 'nlUnlock',
        doc: 'under notifier_lock: folio_trylock fails, the page is skipped',
      },
      pfn_lock_nl_none: {
        at: 'pfnLock',
        ...combine({ when: (s, me) => me.ePfn !== 'P' || s.pFree }, snapshotValid),
        next: 'nlUnlock',
        doc: 'under notifier_lock: no device page reported (or freed): nothing to lock',
      },
      nl_unlock: {
        at: 'nlUnlock',
        ...nl.upRead(),
        next: (_s, me) => (me.got ? 'notify' : 'detach'),
        doc: 'drm_gpusvm_notifier_unlock (up_read), before migrate_device_unmap',
      },
    };
    // The tail: migrate_device_unmap, migrate_device_pages, migrate_device_finalize, the detach wait.
    const evictTail = (start: string): Record<string, StepDef<Shared, Evictor>> => ({
      ttm_notify: {
        at: 'notify',
        ...underWrite('E', { then: (s) => { s.assert(s.pte === 'DEVPRIV_P', 'evicted-page-still-mapped'); notify(s as State); } }),
        next: 'unmap',
        doc: 'migrate_device_unmap -> try_to_migrate -> try_to_migrate_one: mmu_notifier_invalidate_range_start(MMU_NOTIFY_CLEAR, no owner) -> drm_gpusvm_notifier_invalidate: down_write(notifier_lock), set_seq, ops->invalidate, up_write',
      },
      ttm_pte: {
        at: 'unmap',
        then: (s) => {
          s.pte = 'MIGRATION_P';
        },
        next: 'unmapEnd',
        doc: 'try_to_migrate_one under the PTL: ptep_clear_flush, set_pte_at(migration entry), folio_remove_rmap_pte, folio_put',
      },
      ttm_end: {
        at: 'unmapEnd',
        then: invEnd,
        next: 'finalize',
        doc: 'mmu_notifier_invalidate_range_end; then (folded in) migrate_vma_check_page, populate_ram_pfn, copy_to_ram, migrate_device_pages -> folio_migrate_mapping (all pass)',
      },
      finalize_pte: {
        at: 'finalize',
        then: (s) => {
          s.pte = 'PRESENT_Q';
        },
        next: 'release',
        doc: 'migrate_device_finalize -> __migrate_device_finalize -> remove_migration_ptes(src, dst) under the PTL',
      },
      unlock_put: {
        at: 'release',
        ...combine({ then: (s) => s.assert(eHolds(s), 'unlock-own-page-lock') }, page.unlock('E'), { then: (s) => { s.pFree = true; } }),
        next: 'detach',
        doc: '__migrate_device_finalize: folio_unlock(src); folio_put(src): the last put frees P, the zdd kref drops to 0, complete_all(&devmem->detached)',
      },
      // detach_check (spec §4.1) is one decision with three outcomes: three steps with complementary guards.
      detach_done: {
        at: 'detach',
        when: (s) => s.pFree,
        next: 'DONE',
        doc: 'mmput_async; completion_done(&devmem->detached): return 0',
      },
      detach_retry: {
        at: 'detach',
        when: (s, me) => !s.pFree && me.retries > 0,
        then: (_s, me) => {
          me.retries = me.retries - 1;
          me.got = false;
          me.ePfn = 'NONE';
        },
        next: start,
        doc: 'mmput_async; devmem->detached not complete; retry_count--: cond_resched(); goto retry',
      },
      detach_busy: {
        at: 'detach',
        when: (s, me) => !s.pFree && me.retries === 0,
        next: 'BUSY',
        doc: 'mmput_async; devmem->detached not complete, retries used up: return -EBUSY',
      },
    });
    const E: Record<Variant, () => Record<string, StepDef<Shared, Evictor>>> = {
      'physical-evict': () => ({ ...physicalCollect, ...evictTail('pass') }),
      'va-evict': () => ({ ...vaCollect, ...evictTail('begin') }),
      'unmap-under-notifier-lock': () => ({
        ...vaCollect,
        pfn_lock_nl: { ...vaCollect.pfn_lock_nl!, next: 'notify', doc: 'under notifier_lock: folio_trylock succeeds; migrate_device_unmap follows with notifier_lock still held' },
        ...evictTail('begin'),
        ttm_end: { ...evictTail('begin').ttm_end!, next: 'nlUnlockLate' },
        nl_unlock_late: {
          at: 'nlUnlockLate',
          ...nl.upRead(),
          next: 'finalize',
          doc: 'drm_gpusvm_notifier_unlock (up_read) after migrate_device_unmap (never reached: the unmap deadlocks)',
        },
      }),
      'blocking-lock-under-notifier-lock': () => {
        const { pfn_lock_nl_busy: _busy, ...rest } = vaCollect;
        return {
          ...rest,
          pfn_lock_nl: { ...vaCollect.pfn_lock_nl!, doc: 'under notifier_lock: folio_get_nontail_page + folio_lock (BLOCKING) of the page hmm_range_fault reported' },
          ...evictTail('begin'),
        };
      },
    };

    // ---- C[i]: CPU fault on the device-private PTE (spec §4.3) ------------------------
    // C's steps name its group in the locks: made only when C exists.
    const cpuFault = (): Record<string, StepDef<Shared, {}>> => ({
      swap_trylock: {
        at: 'fault',
        ...combine({ when: (s) => s.pte === 'DEVPRIV_P' }, page.lockWhenFree('C')),
        next: 'notify',
        doc: 'handle_pte_fault -> do_swap_page, under the PTL: pte_same; trylock_page ok: get_page, unlock PTL, migrate_to_ram',
      },
      // The contended trylock (parameter cTrylockFail): v6.15 refaults, 2026 sleeps until the page is unlocked.
      ...(cTrylockFail === 'refault'
        ? {
            swap_trylock_busy: {
              at: 'fault',
              ...combine({ when: (s) => s.pte === 'DEVPRIV_P' }, page.isLocked()),
              next: 'fault',
              doc: 'do_swap_page (v6.15): trylock_page fails: pte_unmap_unlock, return 0 (refault)',
            },
          }
        : {}),
      swap_present: {
        at: 'fault',
        when: (s) => s.pte === 'PRESENT_Q',
        next: 'DONE',
        doc:
          cTrylockFail === 'refault'
            ? 'handle_pte_fault: PRESENT_Q, the access succeeds (a migration entry: migration_entry_wait)'
            : 'handle_pte_fault: PRESENT_Q, the access succeeds (a migration entry, or a locked device page: migration_entry_wait_on_locked(entry, ptl) sleeps until unlocked, 2026)',
      },
      collect_notify: {
        at: 'notify',
        ...underWrite('C', { then: (s) => notify(s as State) }),
        next: 'collect',
        doc: 'drm_pagemap_migrate_to_ram -> __drm_pagemap_migrate_to_ram -> migrate_vma_setup -> migrate_vma_collect: mmu_notifier_invalidate_range_start(MMU_NOTIFY_MIGRATE) -> drm_gpusvm_notifier_invalidate: down_write(notifier_lock) (no owner filter)',
      },
      collect_pte: {
        at: 'collect',
        then: (s) => {
          s.assert(s.pte === 'DEVPRIV_P', 'collected-page-still-mapped');
          s.pte = 'MIGRATION_P';
        },
        next: 'collectEnd',
        doc: 'walk_page_range -> migrate_vma_collect_pmd under the PTL: fault_folio == folio (no trylock), migration entry, folio_remove_rmap_pte, folio_put',
      },
      collect_end: {
        at: 'collectEnd',
        then: invEnd,
        next: 'finalize',
        doc: 'mmu_notifier_invalidate_range_end; then (folded in) migrate_vma_unmap, populate_ram_pfn, copy_to_ram, migrate_vma_pages (all pass)',
      },
      finalize_pte: {
        at: 'finalize',
        then: (s) => {
          s.pte = 'PRESENT_Q';
        },
        next: 'release',
        doc: 'migrate_vma_finalize -> remove_migration_ptes(src, dst) under the PTL (fault folio stays locked)',
      },
      unlock_put: {
        at: 'release',
        ...combine({ then: (s, me) => s.assert(s.pLock_C === me.id, 'unlock-own-page-lock') }, page.unlock('C'), { then: (s) => { s.pFree = true; } }),
        next: 'fault',
        doc: 'do_swap_page: unlock_page(vmf->page); put_page(vmf->page): the last put frees P; the instruction re-executes',
      },
    });

    // ---- G: GPU fault (spec §4.4) -----------------------------------------------------
    const G: Record<string, StepDef<Shared, Gpu>> = {
      read_begin: {
        at: 'begin',
        when: (s) => !s.mniHit,
        then: (s) => {
          s.gDirty = false;
        },
        next: 'hmm',
        doc: 'drm_gpusvm_get_pages: hmm_range.notifier_seq = mmu_interval_read_begin(notifier)',
      },
      hmm_range_fault: {
        at: 'hmm',
        when: (s) => s.pte !== 'MIGRATION_P',
        then: (s, me) => {
          me.gPfn = s.pte === 'DEVPRIV_P' ? 'P' : 'Q';
        },
        next: 'map',
        doc: 'mmap_read_lock; hmm_range_fault (dev_private_owner: own device pages reported); mmap_read_unlock',
      },
      get_pages_commit: {
        at: 'map',
        ...underRead({
          when: (s) => !s.gDirty,
          then: (s, me) => {
            s.assert(me.gPfn !== 'P' || (!s.pFree && s.pte === 'DEVPRIV_P'), 'dma-map-live-page');
            s.gValid = true;
          },
        }),
        next: 'bind',
        doc: 'drm_gpusvm_notifier_lock (down_read); mmu_interval_read_retry false: device_map / dma_map_page under the lock, WRITE_ONCE(flags.has_dma_mapping); unlock',
      },
      get_pages_retry: {
        at: 'map',
        ...underRead({ when: (s) => s.gDirty }),
        next: 'begin',
        doc: 'drm_gpusvm_notifier_lock; mmu_interval_read_retry: invalidated, unlock, goto retry',
      },
      bind: {
        at: 'bind',
        ...underRead({
          when: (s) => s.gValid,
          then: (s, me) => {
            s.gpu = me.gPfn === 'P' ? 'MAP_P' : 'MAP_Q';
          },
        }),
        next: 'BOUND',
        doc: 'driver_bind_range: drm_gpusvm_notifier_lock; drm_gpusvm_range_pages_valid: driver_commit_bind; unlock',
      },
      bind_invalid: {
        at: 'bind',
        ...underRead({ when: (s) => !s.gValid }),
        next: 'begin',
        doc: 'driver_bind_range: the pages were invalidated meanwhile (!drm_gpusvm_range_pages_valid): -EAGAIN, again',
      },
    };

    const groups: ThreadGroupDef<Shared>[] = [
      thread('E', {
        locals: evictorLocals(evictRetries),
        start: variant === 'physical-evict' ? 'pass' : 'begin',
        end: ['DONE', 'BUSY'],
        progress: ['DONE', 'BUSY'],
        steps: E[variant](),
      }),
    ];
    if (nC > 0) groups.push(replicate(nC, 'C', { start: 'fault', end: ['DONE'], progress: ['DONE'], steps: cpuFault() }));
    if (nG > 0) groups.push(thread('G', { locals: gpuLocals(), start: 'begin', end: ['BOUND'], progress: ['BOUND'], steps: G }));
    return groups;
  },
  helpers: [notify, invEnd],
  invariants: ({ nC }) => {
    // The page lock's holder variables are the groups present (blocksOf): one form per instance.
    const eHolds = nC > 0 ? (s: ReadonlyStateView<Shared>) => s.pLock_E === 0 : (s: ReadonlyStateView<Shared>) => s.pLock === 0;
    const cHolds = nC > 0 ? (s: ReadonlyStateView<Shared>, i: number) => s.pLock_C === i : () => false;
    const unlocked = nC > 0 ? (s: ReadonlyStateView<Shared>) => s.pLock_E === -1 && s.pLock_C === -1 : (s: ReadonlyStateView<Shared>) => s.pLock === -1;
    return {
      /** I1 (shared doc S1): the GPU never maps a freed or superseded page. */
      'gpu-mapping-matches-cpu': (s) =>
        (s.gpu !== 'MAP_P' || (s.pte === 'DEVPRIV_P' && !s.pFree)) && (s.gpu !== 'MAP_Q' || s.pte === 'PRESENT_Q'),
      /** I2 (S2, no lost update): while a migrator copies P, it holds P's lock and neither the CPU nor the GPU can write it. */
      'migration-window-exclusive': (s) => {
        const window = s.pte === 'MIGRATION_P' && s.gpu !== 'MAP_P';
        const e = s.at('E');
        if ((e === 'unmapEnd' || e === 'nlUnlockLate' || e === 'finalize') && !(window && eHolds(s))) return false;
        for (let i = 0; i < nC; i++) {
          const c = s.at('C', i);
          if ((c === 'collectEnd' || c === 'finalize') && !(window && cHolds(s, i))) return false;
        }
        return true;
      },
      /** I3 (S3): a freed page is unlocked, unmapped, and not mapped by the GPU. */
      'page-state-consistent': (s) => !s.pFree || (s.pte === 'PRESENT_Q' && s.gpu !== 'MAP_P' && unlocked(s)),
    };
  },
}));
