import { defineModel, array, bool, int, oneOf, thread, replicate } from '../src/index.ts';
import type { ReadonlyStateView, StateView, LocalView, StepDef, ThreadGroupDef } from '../src/index.ts';

/**
 * Device-exclusive PTEs for GPU atomics (nouveau) against CPU faults that
 * revoke them, page migration, and foreign MMU-notifier invalidations.
 *
 * Translation of docs/kernel/device-exclusive.md (the spec; section numbers
 * below refer to it). The kernel story and the variants in brief: README.md,
 * Kernel models, `device-exclusive`.
 *
 * Abstractions (spec §3, §8):
 * - one anonymous writable page P, exclusively mapped once; P2 is the page a
 *   migration moves it to; one CPU PTE, one GPU PTE, one nouveau interval
 *   notifier covering the page (C1);
 * - the refcount is derived: ref(P) = [pte in {PRESENT_P, DEVEXCL_P}] (the
 *   mapping; the device-exclusive entry keeps it) + dRef + dfRef + sum cRef[i]
 *   + rRef. The migration entry holds none. PUTCHK after each put frees P
 *   when ref(P) reaches 0;
 * - svmm->mutex is not a variable: each of its critical sections (both
 *   nouveau callbacks, D's check-and-program) is one step (C2); the two
 *   callbacks and invalidate_range_start are merged into NOTIFY (§4.0);
 * - the timeout is an iteration budget checked at the loop top (C3);
 * - CPU faults take the folio lock in blocking mode (C4); a blocking lock is
 *   the guard "the lock is free";
 * - X is any invalidation of D's interval that leaves the PTE as it is (C5);
 * - waiting on a migration entry is "not enabled while pte == MIGRATION_P"
 *   (C7); the migrator R uses trylock and is combined only with nD = 0 (C8).
 *
 * Variant switches (spec §2), each bug variant differs from `fixed` in one:
 * `unlockOnRetry` (b3fefbb30a16), `ownerFilter` (nouveau's interval callback
 * skips MMU_NOTIFY_EXCLUSIVE with owner == drm->dev), `refOnRestore`
 * (7c7b962938dd: folio_try_get before the folio lock in
 * remove_device_exclusive_entry, folio_put after).
 */

type Variant = 'fixed' | 'leak-lock-on-retry' | 'no-owner-filter' | 'no-ref-on-restore';
interface Flags {
  unlockOnRetry: boolean;
  ownerFilter: boolean;
  refOnRestore: boolean;
}
const FLAGS: Record<Variant, Flags> = {
  fixed: { unlockOnRetry: true, ownerFilter: true, refOnRestore: true },
  'leak-lock-on-retry': { unlockOnRetry: false, ownerFilter: true, refOnRestore: true },
  'no-owner-filter': { unlockOnRetry: true, ownerFilter: false, refOnRestore: true },
  'no-ref-on-restore': { unlockOnRetry: true, ownerFilter: true, refOnRestore: false },
};

/** Labels at which D may legitimately hold P's lock (invariant page-lock-not-leaked). */
const D_HOLDS = new Set(['xNotify', 'xSwap', 'xEnd', 'check', 'retryUnlock', 'mapped', 'f_notify', 'f_restore', 'f_unlock']);

// ---- the spec's shared step bodies (§4.0) ---------------------------------------------

type Sizes = { readonly nD: number; readonly nC: number; readonly nX: number; readonly nR: number };
const shared = ({ nD, nC, nX, nR }: Sizes) => ({
  pte: oneOf('PRESENT_P', 'DEVEXCL_P', 'MIGRATION_P', 'PRESENT_P2').initially(nD > 0 ? 'PRESENT_P' : 'DEVEXCL_P'),
  pLock: oneOf('NONE', 'D', ...Array.from({ length: nC }, (_, i) => `C${i}`), 'R'),
  pFree: bool(),
  dRef: bool(),
  dfRef: bool(),
  ...(nC > 0 ? { cRef: array(nC, bool()) } : {}),
  rRef: bool(),
  gpu: oneOf('NONE', 'ATOMIC_P').initially(nD > 0 ? 'NONE' : 'ATOMIC_P'),
  seqDirty: bool(),
  mniHit: bool(),
  invActive: int(0, nD + nC + nX + nR),
  dGranted: bool(),
});
const driverLocals = (timeout: number) => ({ budget: int(0, timeout), res: oneOf('NONE', 'OK', 'EBUSY', 'EINVAL') });
const reclaimLocals = () => ({ unmapped: bool(), ok: bool() });
type Shared = ReturnType<typeof shared>;
type State = StateView<Shared>;

/**
 * NOTIFY(filtered): mmu_notifier_invalidate_range_start -> mn_itree_inv_start_range
 * (count++, seq odd) -> nouveau_svm_range_invalidate (the owner filter, else
 * mutex_lock(svmm->mutex), mmu_interval_set_seq, unlock) ->
 * nouveau_svmm_invalidate_range_start (mutex_lock, NVIF_VMM_V0_PFNCLR, unlock).
 */
const notify = (s: State, filtered: boolean) => {
  s.invActive = s.invActive + 1;
  if (!filtered) {
    s.seqDirty = true;
    s.mniHit = true;
  }
  s.gpu = 'NONE';
};
/** INV_END: mmu_notifier_invalidate_range_end -> mn_itree_inv_end (under subscriptions->lock). */
const invEnd = (s: State) => {
  s.invActive = s.invActive - 1;
  if (s.invActive === 0) s.mniHit = false;
};

export default defineModel({
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
    nC: int(0, 2, 1),
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
    ],
    'no-ref-on-restore': [
      { verdict: 'violation', kind: 'invariant', property: 'page-alive-while-locked-or-awaited', length: 15 },
      { verdict: 'pass', params: { nC: 1 }, note: 'one CPU fault alone never waits on the lock of a page it holds no reference to' },
      { verdict: 'violation', kind: 'invariant', property: 'page-alive-while-locked-or-awaited', length: 15, params: { nX: 1 } },
    ],
  },
  shared,
  threads: ({ timeout, nD, nC, nX, nR }, variantIn) => {
    const variant = (variantIn ?? 'fixed') as Variant;
    const f = FLAGS[variant];
    if (nR > 0 && nD > 0)
      throw new Error('nR=1 requires nD=0: the GPU fault path does not model migration entries or the new page P2 (spec §2, C8)');

    /** ref(P), derived (spec §3). */
    const ref = (s: State) => {
      let n = (s.pte === 'PRESENT_P' || s.pte === 'DEVEXCL_P' ? 1 : 0) + (s.dRef ? 1 : 0) + (s.dfRef ? 1 : 0) + (s.rRef ? 1 : 0);
      for (let i = 0; i < nC; i++) if (s.cRef.get(i)) n++;
      return n;
    };
    const putchk = (s: State) => {
      if (ref(s) === 0) s.pFree = true;
    };

    /**
     * FAULT_RESTORE(self, back): remove_device_exclusive_entry (spec §4.0), used by
     * C (do_swap_page) and by D when its GUP faults on its own device-exclusive entry.
     */
    const faultRestore = (owner: (me: LocalView) => string, setRef: (s: State, me: LocalView, v: boolean) => void, back: string, why: string) => {
      const st: Record<string, StepDef<Shared>> = {};
      if (f.refOnRestore) {
        st.folio_try_get = {
          at: 'f_get',
          then: (s, me) => {
            if (!s.pFree) setRef(s, me, true);
          },
          next: (s) => (s.pFree ? back : 'f_lock'),
          doc: `${why} -> remove_device_exclusive_entry: if (!folio_try_get(folio)) return 0 (7c7b962938dd)`,
        };
      }
      st.folio_lock = {
        at: 'f_lock',
        when: (s) => s.pLock === 'NONE',
        then: (s, me) => {
          s.assert(!s.pFree, 'no-lock-of-freed-page');
          s.pLock = owner(me);
        },
        next: 'f_notify',
        doc: f.refOnRestore
          ? 'remove_device_exclusive_entry: folio_lock_or_retry (no FAULT_FLAG_ALLOW_RETRY: __folio_lock, blocking)'
          : `${why} -> remove_device_exclusive_entry: lock_page_or_retry, blocking, holding NO page reference`,
      };
      st.restore_notify = {
        at: 'f_notify',
        then: (s) => notify(s, false),
        next: 'f_restore',
        doc: 'remove_device_exclusive_entry: mmu_notifier_range_init_owner(MMU_NOTIFY_EXCLUSIVE, owner NULL) + invalidate_range_start -> nouveau callbacks (never filtered: owner NULL)',
      };
      st.restore_exclusive_pte = {
        at: 'f_restore',
        then: (s) => {
          if (s.pte === 'DEVEXCL_P') s.pte = 'PRESENT_P';
        },
        next: 'f_unlock',
        doc: 'remove_device_exclusive_entry: pte_offset_map_lock; if pte_same(orig_pte): restore_exclusive_pte; pte_unmap_unlock',
      };
      st.folio_unlock = {
        at: 'f_unlock',
        then: (s) => {
          s.pLock = 'NONE';
        },
        next: f.refOnRestore ? 'f_put' : 'f_end',
        doc: 'remove_device_exclusive_entry: folio_unlock',
      };
      if (f.refOnRestore) {
        st.folio_put = {
          at: 'f_put',
          then: (s, me) => {
            setRef(s, me, false);
            putchk(s);
          },
          next: 'f_end',
          doc: 'remove_device_exclusive_entry: folio_put (7c7b962938dd)',
        };
      }
      st.restore_end = {
        at: 'f_end',
        then: invEnd,
        next: back,
        doc: 'remove_device_exclusive_entry: mmu_notifier_invalidate_range_end; return 0',
      };
      return st;
    };
    const faultEntry = f.refOnRestore ? 'f_get' : 'f_lock';

    // ---- D: nouveau_atomic_range_fault (spec §4.1) ---------------------------------------
    const D: Record<string, StepDef<Shared, ReturnType<typeof driverLocals>>> = {
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
      gup_follow: {
        at: 'gup',
        then: (s) => {
          s.assert(s.pte === 'PRESENT_P' || s.pte === 'DEVEXCL_P', 'gup-sees-modelled-pte');
          if (s.pte === 'PRESENT_P') s.dRef = true;
        },
        next: (s) => (s.pte === 'PRESENT_P' ? 'trylock' : faultEntry),
        doc: 'mmap_read_lock; make_device_exclusive_range -> get_user_pages_remote(FOLL_GET|FOLL_WRITE, locked=NULL) -> follow_page_pte: present: get; device-exclusive entry: faultin_page -> handle_mm_fault -> do_swap_page, then follow_page again',
      },
      ...faultRestore(
        () => 'D',
        (s, _me, v) => {
          s.dfRef = v;
        },
        'gup',
        'GUP faultin_page -> do_swap_page',
      ),
      trylock_page: {
        at: 'trylock',
        then: (s, me) => {
          if (s.pLock === 'NONE') s.pLock = 'D';
          else {
            s.dRef = false;
            putchk(s);
            me.res = 'EINVAL';
          }
        },
        next: (s) => (s.pLock === 'D' ? 'xNotify' : 'remove'),
        doc: 'make_device_exclusive_range: trylock_page, else put_page, pages[i] = NULL; nouveau: !page -> ret = -EINVAL, goto out',
      },
      make_excl_notify: {
        at: 'xNotify',
        then: (s) => notify(s, f.ownerFilter),
        next: 'xSwap',
        doc: f.ownerFilter
          ? 'page_make_device_exclusive -> page_make_device_exclusive_one: mmu_notifier_range_init_owner(MMU_NOTIFY_EXCLUSIVE, owner = drm->dev) + invalidate_range_start; the interval callback filters it, the main callback clears the GPU PTE'
          : 'page_make_device_exclusive_one: invalidate_range_start(MMU_NOTIFY_EXCLUSIVE, drm->dev); WITHOUT the owner filter the interval callback sets the sequence',
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
      make_excl_end: {
        at: 'xEnd',
        then: invEnd,
        next: 'check',
        doc: 'page_make_device_exclusive_one: mmu_notifier_invalidate_range_end; mmap_read_unlock',
      },
      check_and_map: {
        at: 'check',
        then: (s) => {
          if (s.seqDirty) return;
          s.gpu = 'ATOMIC_P';
          s.dGranted = true;
        },
        next: (s) => (!s.seqDirty ? 'mapped' : f.unlockOnRetry ? 'retryUnlock' : 'loop'),
        doc: f.unlockOnRetry
          ? 'mutex_lock(&svmm->mutex); if (!mmu_interval_read_retry) break (program PFNMAP V|W|A|HOST, nvif_object_ioctl, mutex_unlock); else mutex_unlock, then unlock + put'
          : 'mutex_lock(&svmm->mutex); mmu_interval_read_retry -> mutex_unlock; continue (STILL holding the page lock and reference); else program PFNMAP V|W|A|HOST, nvif_object_ioctl, mutex_unlock',
      },
      ...(f.unlockOnRetry
        ? {
            folio_unlock_retry: {
              at: 'retryUnlock',
              then: (s: State) => {
                s.pLock = 'NONE';
              },
              next: 'retryPut',
              doc: 'read_retry collision: folio_unlock(folio) (b3fefbb30a16)',
            },
            folio_put_retry: {
              at: 'retryPut',
              then: (s: State) => {
                s.dRef = false;
                putchk(s);
              },
              next: 'loop',
              doc: 'read_retry collision: folio_put(folio) (b3fefbb30a16); loop',
            },
          }
        : {}),
      folio_unlock_mapped: {
        at: 'mapped',
        then: (s) => {
          s.pLock = 'NONE';
        },
        next: 'put',
        doc: 'GPU atomic mapping programmed: unlock_page(page) / folio_unlock',
      },
      folio_put_mapped: {
        at: 'put',
        then: (s, me) => {
          s.dRef = false;
          putchk(s);
          me.res = 'OK';
        },
        next: 'remove',
        doc: 'put_page(page) / folio_put; ret = 0',
      },
      notifier_remove: {
        at: 'remove',
        when: (s) => s.invActive === 0,
        next: 'DONE',
        doc: 'out: mmu_interval_notifier_remove(&notifier->notifier) (waits for a running invalidation)',
      },
    };
    if (timeout > 0) {
      D.timeout_hit = {
        at: 'loop',
        when: (_s, me) => me.budget === 0,
        then: (_s, me) => {
          me.res = 'EBUSY';
        },
        next: 'remove',
        doc: 'while (true) { if (time_after(jiffies, timeout)) { ret = -EBUSY; goto out; }',
      };
    }

    // ---- C[i]: CPU touch (spec §4.2) -------------------------------------------------------
    const C: Record<string, StepDef<Shared, {}>> = {
      access_or_fault: {
        at: 'touch',
        when: (s) => s.pte !== 'MIGRATION_P',
        next: (s) => (s.pte === 'DEVEXCL_P' ? faultEntry : 'DONE'),
        doc: 'CPU access: a present PTE succeeds; handle_pte_fault reads orig_pte without the PTL, !pte_present -> do_swap_page -> is_device_exclusive_entry; a migration entry: migration_entry_wait',
      },
      ...faultRestore(
        (me) => `C${me.id}`,
        (s, me, v) => {
          s.cRef.set(me.id, v);
        },
        'touch',
        'do_swap_page',
      ),
    };

    // ---- R: migrate_pages, async (spec §4.3) ---------------------------------------------
    const R: Record<string, StepDef<Shared, ReturnType<typeof reclaimLocals>>> = {
      folio_try_get: {
        at: 'isolate',
        then: (s) => {
          if (!s.pFree) s.rRef = true;
        },
        next: (s) => (s.pFree ? 'DONE' : 'trylock'),
        doc: 'compaction / NUMA / offline isolation: folio_try_get (isolate_lru_page reference)',
      },
      folio_trylock: {
        at: 'trylock',
        then: (s) => {
          if (s.pLock === 'NONE') s.pLock = 'R';
          else {
            s.rRef = false;
            putchk(s);
          }
        },
        next: (s) => (s.pLock === 'R' ? 'notify' : 'DONE'),
        doc: 'migrate_pages -> migrate_folio_unmap: folio_trylock (MIGRATE_ASYNC), else give up and put',
      },
      ttm_notify: {
        at: 'notify',
        then: (s, me) => {
          if (s.pte === 'PRESENT_P') notify(s, false);
          else me.unmapped = false;
        },
        next: (s) => (s.pte === 'PRESENT_P' ? 'unmap' : 'move'),
        doc: 'migrate_folio_unmap: if (folio_mapped(src)) try_to_migrate -> try_to_migrate_one: invalidate_range_start(MMU_NOTIFY_CLEAR, no owner). A device-exclusive entry has mapcount 0: not mapped, nothing fired',
      },
      ttm_pte: {
        at: 'unmap',
        then: (s, me) => {
          s.assert(s.pte === 'PRESENT_P', 'unmap-present');
          s.pte = 'MIGRATION_P';
          me.unmapped = true;
        },
        next: 'unmapEnd',
        doc: 'try_to_migrate_one under the PTL: ptep_clear_flush, migration entry, page_remove_rmap, put_page',
      },
      ttm_end: {
        at: 'unmapEnd',
        then: invEnd,
        next: 'move',
        doc: 'try_to_migrate_one: mmu_notifier_invalidate_range_end',
      },
      folio_migrate_mapping: {
        at: 'move',
        then: (s, me) => {
          me.ok = ref(s) === 1;
        },
        next: 'finalize',
        doc: 'migrate_folio_move -> move_to_new_folio -> folio_migrate_mapping: exact refcount compare (only the isolation reference)',
      },
      remove_migration_ptes: {
        at: 'finalize',
        then: (s, me) => {
          if (me.unmapped) s.pte = me.ok ? 'PRESENT_P2' : 'PRESENT_P';
        },
        next: 'unlock',
        doc: 'remove_migration_ptes(src, ok ? dst : src) under the PTL',
      },
      folio_unlock: {
        at: 'unlock',
        then: (s) => {
          s.pLock = 'NONE';
        },
        next: 'put',
        doc: 'migrate_pages: folio_unlock(src)',
      },
      folio_put: {
        at: 'put',
        then: (s) => {
          s.rRef = false;
          putchk(s);
        },
        next: 'DONE',
        doc: 'migrate_pages: folio_put(src), the final put after a successful migration',
      },
    };

    // ---- X: a foreign invalidation of D's interval that leaves the PTE alone (spec §4.4)
    const X: Record<string, StepDef<Shared, {}>> = {
      foreign_notify: {
        at: 'notify',
        then: (s) => notify(s, false),
        next: 'end',
        doc: 'some invalidate_range_start overlapping the interval, owner NULL (spec C5: not tied to one kernel operation)',
      },
      foreign_end: { at: 'end', then: invEnd, next: 'DONE', doc: 'mmu_notifier_invalidate_range_end' },
    };

    const groups: ThreadGroupDef<Shared>[] = [];
    if (nD > 0)
      groups.push(
        thread('D', {
          locals: driverLocals(timeout),
          start: 'insert',
          end: ['DONE'],
          progress: ['mapped'],
          steps: D,
        }),
      );
    if (nC > 0) groups.push(replicate(nC, 'C', { start: 'touch', end: ['DONE'], progress: ['DONE'], steps: C }));
    if (nR > 0) groups.push(thread('R', { locals: reclaimLocals(), start: 'isolate', end: ['DONE'], steps: R }));
    if (nX > 0) groups.push(thread('X', { start: 'notify', end: ['DONE'], steps: X }));
    return groups;
  },
  invariants: ({ nD, nC, omitInvariant, neverGranted }) => {
    const refP = (s: State) => {
      let n = (s.pte === 'PRESENT_P' || s.pte === 'DEVEXCL_P' ? 1 : 0) + (s.dRef ? 1 : 0) + (s.dfRef ? 1 : 0) + (s.rRef ? 1 : 0);
      for (let i = 0; i < nC; i++) if (s.cRef.get(i)) n++;
      return n;
    };
    const inv: Record<string, (s: ReadonlyStateView<Shared>) => boolean> = {
      /** I1 (S1): GPU atomic access and any CPU mapping never coexist. */
      'gpu-atomic-implies-exclusive': (s) => s.gpu !== 'ATOMIC_P' || s.pte === 'DEVEXCL_P',
      /** I2 (S2, no use after free): nobody holds, or is blocked acquiring, the lock of a freed page. */
      'page-alive-while-locked-or-awaited': (s) => {
        if (!s.pFree) return true;
        if (s.pLock !== 'NONE') return false;
        for (let i = 0; i < nC; i++) if (s.at('C', i) === 'f_lock') return false;
        return nD === 0 || s.at('D') !== 'f_lock';
      },
      /** I3 (S3): D holds P's lock only between a successful lock and the matching unlock. */
      'page-lock-not-leaked': (s) => s.pLock !== 'D' || D_HOLDS.has(s.at('D')),
      /** I4: sanity of the refcount. */
      'page-lifetime': (s) => !s.pFree || (refP(s) === 0 && s.pte === 'PRESENT_P2'),
    };
    // The engine has no switch to skip an invariant: omitInvariant leaves one out so that the
    // deadlock behind its violation can be reported.
    if (omitInvariant !== 'none') delete inv[omitInvariant];
    /** Diagnostic (spec §5): holds when the GPU atomic is never granted ("bounded failure"). */
    if (neverGranted) inv['atomic-never-granted'] = (s) => !s.dGranted;
    return inv;
  },
});
