import { defineModel, bool, int, oneOf, thread, replicate } from '../src/index.ts';
import type { StateView, LocalView, StepDef, ThreadGroupDef } from '../src/index.ts';

/**
 * Evicting GPU device memory (device-private pages) back to system RAM in
 * DRM GPU SVM / drm_pagemap (Intel Xe), against the GPU-SVM notifier lock, a
 * CPU fault that migrates the same page, and a GPU fault that binds it.
 *
 * Translation of docs/kernel/gpusvm-evict.md (the spec; section numbers below
 * refer to it). The kernel story and the variants in brief: README.md, Kernel
 * models, `gpusvm-evict`.
 *
 * Abstractions (spec §3, §8):
 * - one device-private page P (one devmem allocation of one page, so
 *   "allocation detached" <=> "P freed"), one RAM page Q (the migration
 *   target), one CPU PTE, one GPU range;
 * - refcounts are not modelled: no thread holds a reference on P without also
 *   holding its lock, so every refcount check passes and "P freed" is exactly
 *   "a migrator finished" (A3, A4; refcount races are migration-entry-wait's);
 * - the PTL is not a variable: each PTL section is one step;
 * - notifier_lock (an rwsem): only E's read hold across steps is recorded
 *   (`nlReaders`). G's read sections and every write section (the notifier
 *   callback drm_gpusvm_notifier_invalidate) are single steps (A1), so the
 *   write side is the guard `nlReaders == 0`;
 * - invalidate_range_start is merged with the callbacks into NOTIFY (A2);
 * - waiting on a migration entry (migration_entry_wait, hmm_range_fault's
 *   -EBUSY loop) is "not enabled while pte == MIGRATION_P" (A6);
 * - a blocking lock (folio_lock, down_write) is a guard "the lock is free".
 *
 * Variant switches (spec §2): `collect` (physical pfns vs. VA through
 * hmm_range_fault), `pfnLockUnderNL` (trylock vs. blocking folio_lock) and
 * `dropNLBeforeUnmap`. Each bug variant differs from its baseline in one.
 */

type Variant = 'physical-evict' | 'va-evict' | 'unmap-under-notifier-lock' | 'blocking-lock-under-notifier-lock';
interface Flags {
  collect: 'physical' | 'va';
  pfnLockUnderNL: 'trylock' | 'blocking';
  dropNLBeforeUnmap: boolean;
}
const FLAGS: Record<Variant, Flags> = {
  'physical-evict': { collect: 'physical', pfnLockUnderNL: 'trylock', dropNLBeforeUnmap: true },
  'va-evict': { collect: 'va', pfnLockUnderNL: 'trylock', dropNLBeforeUnmap: true },
  'unmap-under-notifier-lock': { collect: 'va', pfnLockUnderNL: 'trylock', dropNLBeforeUnmap: false },
  'blocking-lock-under-notifier-lock': { collect: 'va', pfnLockUnderNL: 'blocking', dropNLBeforeUnmap: true },
};

// ---- state (§3) ----------------------------------------------------------------------

const shared = ({ nC }: { readonly nC: number }) => ({
  pte: oneOf('DEVPRIV_P', 'MIGRATION_P', 'PRESENT_Q'),
  pLock: oneOf('NONE', 'E', ...Array.from({ length: nC }, (_, i) => `C${i}`)),
  pFree: bool(),
  nlReaders: int(0, 1),
  invActive: int(0, 1 + nC),
  mniHit: bool(),
  gDirty: bool(),
  eDirty: bool(),
  gpu: oneOf('NONE', 'MAP_P', 'MAP_Q'),
  gValid: bool(),
});
const evictorLocals = (evictRetries: number) => ({ retries: int(0, evictRetries, evictRetries), got: bool(), ePfn: oneOf('NONE', 'P') });
const gpuLocals = () => ({ gPfn: oneOf('NONE', 'P', 'Q') });
type Shared = ReturnType<typeof shared>;
type State = StateView<Shared>;

// ---- the spec's shared step bodies (§4.0) ---------------------------------------------

/**
 * NOTIFY: mmu_notifier_invalidate_range_start -> mn_itree_inv_start_range
 * (active_invalidate_ranges++, seq odd) -> drm_gpusvm_notifier_invalidate:
 * down_write(notifier_lock), mmu_interval_set_seq, ops->invalidate (unmap the
 * GPU PTEs, drm_gpusvm_range_unmap_pages clears has_dma_mapping), up_write.
 * The caller's guard is `nlReaders == 0` (the down_write).
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

export default defineModel({
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
    nC: int(0, 2, 1),
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
    ],
    'va-evict': [
      { verdict: 'pass' },
      { verdict: 'pass', params: { nC: 2 } },
      { verdict: 'pass', params: { cTrylockFail: 'wait' } },
      { verdict: 'pass', params: { nC: 2, cTrylockFail: 'wait' } },
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
    ],
  },
  shared,
  threads: ({ nC, nG, evictRetries, cTrylockFail }, variantIn) => {
    const variant = (variantIn ?? 'physical-evict') as Variant;
    const f = FLAGS[variant];
    const passStart = f.collect === 'physical' ? 'pass' : 'begin';

    // ---- E: the evictor (spec §4.1, §4.2) --------------------------------------------
    const E: Record<string, StepDef<Shared, ReturnType<typeof evictorLocals>>> = {};
    if (f.collect === 'physical') {
      E.pfn_lock = {
        at: 'pass',
        then: (s, me) => {
          if (s.pFree) me.got = false;
          else if (s.pLock === 'NONE') {
            s.pLock = 'E';
            me.got = true;
          } else me.got = false;
        },
        next: (_s, me) => (me.got ? 'notify' : 'detach'),
        doc: 'drm_pagemap_evict_to_ram: mmget_not_zero, ops->populate_devmem_pfn, migrate_device_pfns -> migrate_device_pfn_lock: folio_get_nontail_page (skip a freed page), folio_trylock (else folio_put, skip)',
      };
    } else {
      E.read_begin = {
        at: 'begin',
        when: (s) => !s.mniHit,
        then: (s) => {
          s.eDirty = false;
        },
        next: 'hmm',
        doc: 'hmm_range.notifier_seq = mmu_interval_read_begin(notifier): sleeps while an invalidation of the interval is in progress',
      };
      E.hmm_range_fault = {
        at: 'hmm',
        when: (s) => s.pte !== 'MIGRATION_P',
        then: (s, me) => {
          me.ePfn = s.pte === 'DEVPRIV_P' ? 'P' : 'NONE';
        },
        next: 'nlLock',
        doc: 'mmap_read_lock; hmm_range_fault(dev_private_owner = own owner: device pages reported, not faulted); mmap_read_unlock. A migration entry: migration_entry_wait + -EBUSY, again',
      };
      E.nl_lock_retry = {
        at: 'nlLock',
        then: (s) => {
          if (!s.eDirty) s.nlReaders = 1;
        },
        next: (s) => (s.eDirty ? 'begin' : 'pfnLock'),
        doc: 'drm_gpusvm_notifier_lock (down_read); if mmu_interval_read_retry: drm_gpusvm_notifier_unlock, goto retry',
      };
      E.pfn_lock_nl = {
        at: 'pfnLock',
        when:
          f.pfnLockUnderNL === 'blocking'
            ? (s, me) => me.ePfn !== 'P' || s.pFree || s.pLock === 'NONE'
            : undefined,
        then: (s, me) => {
          s.assert(me.ePfn !== 'P' || (!s.pFree && s.pte === 'DEVPRIV_P'), 'snapshot-valid-under-nl');
          if (me.ePfn === 'P' && !s.pFree && s.pLock === 'NONE') {
            s.pLock = 'E';
            me.got = true;
          } else me.got = false;
        },
        next: (_s, me) => (f.dropNLBeforeUnmap ? 'nlUnlock' : me.got ? 'notify' : 'nlUnlock'),
        doc:
          f.pfnLockUnderNL === 'blocking'
            ? 'under notifier_lock: folio_get_nontail_page + folio_lock (BLOCKING) of each page hmm_range_fault reported'
            : 'under notifier_lock: migrate_device_pfn_lock (folio_get_nontail_page + folio_trylock) of each page hmm_range_fault reported',
      };
      E.nl_unlock = {
        at: 'nlUnlock',
        then: (s) => {
          s.nlReaders = 0;
        },
        next: (_s, me) => (me.got ? 'notify' : 'detach'),
        doc: 'drm_gpusvm_notifier_unlock (up_read), before migrate_device_unmap',
      };
      if (!f.dropNLBeforeUnmap) {
        E.nl_unlock_late = {
          at: 'nlUnlockLate',
          then: (s) => {
            s.nlReaders = 0;
          },
          next: 'finalize',
          doc: 'drm_gpusvm_notifier_unlock (up_read) after migrate_device_unmap (never reached: the unmap deadlocks)',
        };
      }
    }
    E.ttm_notify = {
      at: 'notify',
      when: (s) => s.nlReaders === 0,
      then: (s) => {
        s.assert(s.pte === 'DEVPRIV_P', 'evicted-page-still-mapped');
        notify(s);
      },
      next: 'unmap',
      doc: 'migrate_device_unmap -> try_to_migrate -> try_to_migrate_one: mmu_notifier_invalidate_range_start(MMU_NOTIFY_CLEAR, no owner) -> drm_gpusvm_notifier_invalidate: down_write(notifier_lock), set_seq, ops->invalidate, up_write',
    };
    E.ttm_pte = {
      at: 'unmap',
      then: (s) => {
        s.pte = 'MIGRATION_P';
      },
      next: 'unmapEnd',
      doc: 'try_to_migrate_one under the PTL: ptep_clear_flush, set_pte_at(migration entry), folio_remove_rmap_pte, folio_put',
    };
    E.ttm_end = {
      at: 'unmapEnd',
      then: invEnd,
      next: f.dropNLBeforeUnmap ? 'finalize' : 'nlUnlockLate',
      doc: 'mmu_notifier_invalidate_range_end; then (folded in) migrate_vma_check_page, populate_ram_pfn, copy_to_ram, migrate_device_pages -> folio_migrate_mapping (all pass)',
    };
    E.finalize_pte = {
      at: 'finalize',
      then: (s) => {
        s.pte = 'PRESENT_Q';
      },
      next: 'release',
      doc: 'migrate_device_finalize -> __migrate_device_finalize -> remove_migration_ptes(src, dst) under the PTL',
    };
    E.unlock_put = {
      at: 'release',
      then: (s) => {
        s.assert(s.pLock === 'E', 'unlock-own-page-lock');
        s.pLock = 'NONE';
        s.pFree = true;
      },
      next: 'detach',
      doc: '__migrate_device_finalize: folio_unlock(src); folio_put(src): the last put frees P, the zdd kref drops to 0, complete_all(&devmem->detached)',
    };
    // detach_check (spec §4.1) is one decision with three outcomes: three steps with complementary guards.
    E.detach_done = {
      at: 'detach',
      when: (s) => s.pFree,
      next: 'DONE',
      doc: 'mmput_async; completion_done(&devmem->detached): return 0',
    };
    E.detach_retry = {
      at: 'detach',
      when: (s, me) => !s.pFree && me.retries > 0,
      then: (_s, me) => {
        me.retries = me.retries - 1;
        me.got = false;
        me.ePfn = 'NONE';
      },
      next: passStart,
      doc: 'mmput_async; devmem->detached not complete; retry_count--: cond_resched(); goto retry',
    };
    E.detach_busy = {
      at: 'detach',
      when: (s, me) => !s.pFree && me.retries === 0,
      next: 'BUSY',
      doc: 'mmput_async; devmem->detached not complete, retries used up: return -EBUSY',
    };

    // ---- C[i]: CPU fault on the device-private PTE (spec §4.3) ------------------------
    const self = (me: LocalView<{}>) => `C${me.id}`;
    const C: Record<string, StepDef<Shared, {}>> = {
      swap_trylock: {
        at: 'fault',
        when: (s) =>
          s.pte !== 'MIGRATION_P' && (cTrylockFail === 'refault' || s.pte !== 'DEVPRIV_P' || s.pLock === 'NONE'),
        then: (s, me) => {
          if (s.pte === 'DEVPRIV_P' && s.pLock === 'NONE') s.pLock = self(me);
        },
        next: (s, me) => (s.pte === 'PRESENT_Q' ? 'DONE' : s.pLock === self(me) ? 'notify' : 'fault'),
        doc:
          cTrylockFail === 'refault'
            ? 'handle_pte_fault -> do_swap_page (v6.15), under the PTL: pte_same; trylock_page ok: get_page, unlock PTL, migrate_to_ram; trylock fails: pte_unmap_unlock, return 0 (refault). PRESENT_Q: the access succeeds'
            : 'handle_pte_fault -> do_swap_page (2026), under the PTL: pte_same; trylock_page ok: get_page, unlock PTL, migrate_to_ram; trylock fails: migration_entry_wait_on_locked(entry, ptl) sleeps until unlocked. PRESENT_Q: the access succeeds',
      },
      collect_notify: {
        at: 'notify',
        when: (s) => s.nlReaders === 0,
        then: notify,
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
        then: (s, me) => {
          s.assert(s.pLock === self(me), 'unlock-own-page-lock');
          s.pLock = 'NONE';
          s.pFree = true;
        },
        next: 'fault',
        doc: 'do_swap_page: unlock_page(vmf->page); put_page(vmf->page): the last put frees P; the instruction re-executes',
      },
    };

    // ---- G: GPU fault (spec §4.4) -----------------------------------------------------
    const G: Record<string, StepDef<Shared, ReturnType<typeof gpuLocals>>> = {
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
        then: (s, me) => {
          if (s.gDirty) return;
          s.assert(me.gPfn !== 'P' || (!s.pFree && s.pte === 'DEVPRIV_P'), 'dma-map-live-page');
          s.gValid = true;
        },
        next: (s) => (s.gDirty ? 'begin' : 'bind'),
        doc: 'drm_gpusvm_notifier_lock (down_read); mmu_interval_read_retry -> unlock, goto retry; else device_map / dma_map_page under the lock, WRITE_ONCE(flags.has_dma_mapping); unlock',
      },
      bind: {
        at: 'bind',
        then: (s, me) => {
          if (s.gValid) s.gpu = me.gPfn === 'P' ? 'MAP_P' : 'MAP_Q';
        },
        next: (s) => (s.gpu !== 'NONE' ? 'BOUND' : 'begin'),
        doc: 'driver_bind_range: drm_gpusvm_notifier_lock; if drm_gpusvm_range_pages_valid: driver_commit_bind, else -EAGAIN; unlock',
      },
    };

    const groups: ThreadGroupDef<Shared>[] = [
      thread('E', {
        locals: evictorLocals(evictRetries),
        start: passStart,
        end: ['DONE', 'BUSY'],
        progress: ['DONE', 'BUSY'],
        steps: E,
      }),
    ];
    if (nC > 0) groups.push(replicate(nC, 'C', { start: 'fault', end: ['DONE'], progress: ['DONE'], steps: C, helpers: [self] }));
    if (nG > 0)
      groups.push(thread('G', { locals: gpuLocals(), start: 'begin', end: ['BOUND'], progress: ['BOUND'], steps: G }));
    return groups;
  },
  helpers: [notify, invEnd],
  invariants: ({ nC }) => ({
    /** I1 (shared doc S1): the GPU never maps a freed or superseded page. */
    'gpu-mapping-matches-cpu': (s) =>
      (s.gpu !== 'MAP_P' || (s.pte === 'DEVPRIV_P' && !s.pFree)) && (s.gpu !== 'MAP_Q' || s.pte === 'PRESENT_Q'),
    /** I2 (S2, no lost update): while a migrator copies P, neither the CPU nor the GPU can write it. */
    'migration-window-exclusive': (s) => {
      const inWindow = (who: string) => s.pte === 'MIGRATION_P' && s.pLock === who && s.gpu !== 'MAP_P';
      const e = s.at('E');
      if ((e === 'unmapEnd' || e === 'nlUnlockLate' || e === 'finalize') && !inWindow('E')) return false;
      for (let i = 0; i < nC; i++) {
        const c = s.at('C', i);
        if ((c === 'collectEnd' || c === 'finalize') && !inWindow(`C${i}`)) return false;
      }
      return true;
    },
    /** I3 (S3): a freed page is unlocked, unmapped, and not mapped by the GPU. */
    'page-state-consistent': (s) => !s.pFree || (s.pLock === 'NONE' && s.pte === 'PRESENT_Q' && s.gpu !== 'MAP_P'),
  }),
});
