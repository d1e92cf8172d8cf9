import { defineModel, bool, int, oneOf, thread, replicate } from '../src/index.ts';
import type { ReadonlyStateView, StateView, StepDef, ThreadGroupDef } from '../src/index.ts';

/**
 * MEMORY_DEVICE_COHERENT pages (CPU-addressable device memory mapped by
 * present PTEs) against long-term and short-term GUP pins and against
 * eviction back to system RAM.
 *
 * Translation of docs/kernel/coherent-longterm-pin.md (the spec; section
 * numbers below refer to it). The kernel story and the variants in brief:
 * README.md, Kernel models, `coherent-longterm-pin`.
 *
 * Abstractions (spec §3, §8):
 * - one coherent anonymous page P (PageAnonExclusive, mapped writable once;
 *   its zone never changes) and one RAM page Q, the migration target (pins
 *   on Q are not tracked, B3);
 * - the refcount is derived: ref(P) = [pte == PRESENT_P] (the mapping) +
 *   pPins (each FOLL_PIN is also a reference) + eRef + gRef; every put is
 *   followed by PUTCHK (ref(P) == 0 frees P). A migrator M sees the extra
 *   references extra_M = pPins + [eRef, M != E] + [gRef, M != G];
 * - transient references taken and dropped inside one kernel step are
 *   omitted (B2); the PTL is not a variable (each PTL section is one step);
 *   mmap_lock and MMU notifiers are not modelled (B1);
 * - waiting on a migration entry is "not enabled while pte == MIGRATION_P"
 *   (B4); a blocking folio_lock is the guard "the lock is free";
 * - sequentially consistent memory (B5).
 *
 * Variant switches (spec §2): `fastLongtermCheck` (GUP-fast refuses
 * FOLL_LONGTERM on coherent folios: folio_is_longterm_pinnable) and
 * `pinChecks` (the migrators honour pins and extra references). Every variant
 * has the slow path that migrates a coherent page before pinning.
 *
 * Fairness: with an unbounded evictor (evictAttempts = 0) the fixed design
 * has a weakly fair cycle in which G sleeps in folio_lock and E re-trylocks P
 * every time before G runs (G is enabled only between E's unlock and E's next
 * collect). Since v5.9 folio_unlock hands PG_locked to the woken exclusive
 * waiter (wake_page_function), so the kernel cannot repeat that; the
 * unbounded instances are therefore judged under strong fairness, and the
 * weak-fairness cycle is recorded as its own expectation.
 *
 * The engine cannot skip an invariant: `omitInvariant` leaves one out so that
 * the liveness failure behind its violation (eviction never succeeds) can be
 * reported.
 *
 * Ghosts: stablePinP counts pins on P that GUP has returned to its caller;
 * longtermPinP is set when a FOLL_LONGTERM GUP returns a pin on P; pMigrated
 * when a migrator's folio_migrate_mapping commits P -> Q.
 */

type Variant = 'migrate-before-pin' | 'fast-path-pins-coherent' | 'migratable-ignores-pins';
const FLAGS: Record<Variant, { fastLongtermCheck: boolean; pinChecks: boolean }> = {
  'migrate-before-pin': { fastLongtermCheck: true, pinChecks: true },
  'fast-path-pins-coherent': { fastLongtermCheck: false, pinChecks: true },
  'migratable-ignores-pins': { fastLongtermCheck: true, pinChecks: false },
};

const shared = ({ nG, nS }: { readonly nG: number; readonly nS: number }) => ({
  pte: oneOf('PRESENT_P', 'MIGRATION_P', 'PRESENT_Q'),
  pLock: oneOf('NONE', 'E', 'G'),
  pPins: int(0, nG + nS),
  eRef: bool(),
  gRef: bool(),
  pFree: bool(),
  stablePinP: int(0, nG + nS),
  longtermPinP: bool(),
  pMigrated: bool(),
});
const pinnerLocals = () => ({ gTarget: oneOf('NONE', 'P', 'Q'), ok: bool() });
const sharerLocals = () => ({ sTarget: oneOf('NONE', 'P', 'Q') });
const evictorLocals = (nAttempts: number) => ({ attempts: int(1, nAttempts, nAttempts), ok: bool() });
type Shared = ReturnType<typeof shared>;
type State = StateView<Shared>;

/** ref(P), derived (spec §3). */
const ref = (s: State) => (s.pte === 'PRESENT_P' ? 1 : 0) + s.pPins + (s.eRef ? 1 : 0) + (s.gRef ? 1 : 0);
/** PUTCHK: after a put, the last reference frees P. */
const putchk = (s: State) => {
  if (ref(s) === 0) s.pFree = true;
};
/** References a migrator does not account for (the refcount checks pass iff this is 0). */
const extraE = (s: State) => s.pPins + (s.gRef ? 1 : 0);
const extraG = (s: State) => s.pPins + (s.eRef ? 1 : 0);

export default defineModel({
  name: 'coherent-longterm-pin',
  title: 'MEMORY_DEVICE_COHERENT pages vs. long-term GUP pins and eviction',
  category: 'kernel',
  description:
    "Alex Sierra's AMD series (v6.0) added MEMORY_DEVICE_COHERENT: CPU-coherent device memory backing ordinary anonymous " +
    'pages through present PTEs, so, unlike device-private memory, reachable by GUP. The contract is that "no one should be ' +
    'allowed to pin such memory so that it can always be evicted". Review found two ways to break it: the early series made ' +
    'every device page "migratable" (Alistair Popple: "what happens when something calls get_user_pages() on a pfn pointing ' +
    'to a coherent device page?"), so a page under DMA can be migrated and the DMA write is lost; and GUP-fast only refused ' +
    'FOLL_LONGTERM for !is_pinnable_page(), which did not cover coherent pages, so pin_user_pages_fast(FOLL_LONGTERM) could ' +
    'pin device memory forever and eviction could never succeed. The fixes: folio_is_longterm_pinnable() refuses coherent ' +
    'folios ("Coherent device memory must always allow eviction"), and the slow path converts the pin to a reference, ' +
    'migrates the folio to RAM with migrate_device_coherent_folio() and re-pins the new page; the refcount and pin checks of ' +
    'migrate_vma_check_page, folio_try_share_anon_rmap_pte and folio_migrate_mapping stay in force.',
  params: {
    nG: int(0, 1, 1),
    nS: int(0, 2, 1),
    evictAttempts: int(0, 3, 2),
    ignoreWhich: oneOf('all', 'allButMoveMapping'),
    omitInvariant: oneOf('none', 'no-longterm-pin-on-coherent'),
  },
  variants: {
    'migrate-before-pin':
      'merged: GUP-fast refuses FOLL_LONGTERM on coherent folios (folio_is_longterm_pinnable); the slow path migrates them to RAM (migrate_device_coherent_folio) and re-pins; all pin/refcount checks on',
    'fast-path-pins-coherent':
      'GUP-fast tests the pre-fix !is_pinnable_page(), which lets FOLL_LONGTERM pin a coherent page (before "mm: add device coherent checker to is_pinnable_page")',
    'migratable-ignores-pins':
      'every device page treated as migratable: the share test, migrate_vma_check_page and (ignoreWhich=all) folio_migrate_mapping ignore pins and extra references',
  },
  expect: {
    'migrate-before-pin': [
      { verdict: 'pass' },
      { verdict: 'pass', params: { nS: 2 } },
      { verdict: 'pass', params: { evictAttempts: 3 } },
      {
        verdict: 'pass',
        params: { evictAttempts: 0 },
        fairness: 'strong',
        note: 'unbounded eviction: E eventually evicts P or finds it migrated by G. Strong fairness stands for the folio_lock handoff (wake_page_function sets PG_locked for the woken exclusive waiter, v5.9+)',
      },
      { verdict: 'pass', params: { evictAttempts: 0, nS: 2 }, fairness: 'strong' },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        length: 13,
        params: { evictAttempts: 0 },
        note: 'weak fairness only: G sleeps in folio_lock while E retries forever, trylocking P again before G runs (G is enabled only between E\'s unlock and E\'s next collect). The kernel hands the lock to the sleeping waiter, so this cycle is not reachable there: see the strong-fairness entry',
      },
    ],
    'fast-path-pins-coherent': [
      { verdict: 'violation', kind: 'invariant', property: 'no-longterm-pin-on-coherent', length: 3 },
      {
        verdict: 'pass',
        params: { omitInvariant: 'no-longterm-pin-on-coherent' },
        note: 'the other invariants hold; with a long-term pin on P the evictor ends at BUSY',
      },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        length: 10,
        params: { evictAttempts: 0, omitInvariant: 'no-longterm-pin-on-coherent' },
        fairness: 'strong',
        note: 'eviction can never succeed: G holds a FOLL_LONGTERM pin on P forever and every collect fails the anon-exclusive share test',
      },
    ],
    'migratable-ignores-pins': [
      { verdict: 'violation', kind: 'invariant', property: 'no-migration-while-pinned', length: 6 },
      {
        verdict: 'pass',
        params: { ignoreWhich: 'allButMoveMapping' },
        note: "folio_migrate_mapping's exact refcount compare alone still refuses a pinned page (defence in depth)",
      },
      { verdict: 'pass', params: { ignoreWhich: 'allButMoveMapping', nS: 2 } },
    ],
  },
  shared,
  threads: ({ nG, nS, evictAttempts, ignoreWhich }, variantIn) => {
    const variant = (variantIn ?? 'migrate-before-pin') as Variant;
    const { fastLongtermCheck, pinChecks } = FLAGS[variant];
    /** pinChecks' (spec §4.4): the move-mapping gate, kept on under ignoreWhich=allButMoveMapping. */
    const moveMappingCheck = pinChecks || ignoreWhich === 'allButMoveMapping';

    /** gup_fast_read: gup_fast -> gup_fast_pte_range: lockless ptep_get with IRQs off. */
    const fastRead = (target: 'gTarget' | 'sTarget'): StepDef<Shared> => ({
      at: 'fastRead',
      // One effect per local (not me[target]): symmetry reduction checks plain accesses only.
      then:
        target === 'gTarget'
          ? (s, me) => {
              if (s.pte === 'PRESENT_P') me.gTarget = 'P';
              else if (s.pte === 'PRESENT_Q') me.gTarget = 'Q';
            }
          : (s, me) => {
              if (s.pte === 'PRESENT_P') me.sTarget = 'P';
              else if (s.pte === 'PRESENT_Q') me.sTarget = 'Q';
            },
      next: (s) => (s.pte === 'MIGRATION_P' ? 'slow' : 'fastGrab'),
      doc: 'gup_fast -> gup_fast_pte_range: lockless ptep_get (IRQs off); a non-present PTE bails out to the slow path',
    });

    // ---- G: long-term pinner, pin_user_pages_fast(FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE) (spec §4.1)
    const G: Record<string, StepDef<Shared, ReturnType<typeof pinnerLocals>>> = {
      gup_fast_read: fastRead('gTarget'),
      try_grab_folio_fast: {
        at: 'fastGrab',
        then: (s, me) => {
          if (me.gTarget === 'P' && !s.pFree && !fastLongtermCheck) s.pPins = s.pPins + 1;
        },
        next: (s, me) => (me.gTarget === 'Q' ? 'fastRecheck' : !s.pFree && !fastLongtermCheck ? 'fastRecheck' : 'slow'),
        doc: fastLongtermCheck
          ? 'try_grab_folio_fast: try_get_folio (fails on a freed page); FOLL_LONGTERM && !folio_is_longterm_pinnable (coherent: false) -> put, NULL: slow path'
          : 'try_grab_folio (pre-fix): try_get_folio; FOLL_LONGTERM && !is_pinnable_page(page): a coherent page passes, pinned (+GUP_PIN_COUNTING_BIAS)',
      },
      recheck_pte: {
        at: 'fastRecheck',
        then: (s, me) => {
          if (me.gTarget !== 'P') return;
          if (s.pte === 'PRESENT_P') {
            s.stablePinP = s.stablePinP + 1;
            s.longtermPinP = true;
          } else {
            s.pPins = s.pPins - 1;
            putchk(s);
          }
        },
        next: (s, me) => (me.gTarget === 'Q' || s.pte === 'PRESENT_P' ? 'PINNED' : 'slow'),
        doc: 'gup_fast_pte_range: pte_val(pte) != pte_val(ptep_get(ptep)) -> gup_put_folio, fall back; else GUP returns the pin',
      },
      follow_page_pin: {
        at: 'slow',
        when: (s) => s.pte !== 'MIGRATION_P',
        then: (s, me) => {
          if (s.pte === 'PRESENT_P') {
            s.pPins = s.pPins + 1;
            me.gTarget = 'P';
          } else me.gTarget = 'Q';
        },
        next: (_s, me) => (me.gTarget === 'P' ? 'convert' : 'PINNED'),
        doc: '__gup_longterm_locked -> __get_user_pages_locked -> follow_page_pte under the PTL -> try_grab_folio(FOLL_PIN); a migration entry: faultin_page -> migration_entry_wait, retry',
      },
      pin_to_ref: {
        at: 'convert',
        then: (s) => {
          s.gRef = true;
          s.pPins = s.pPins - 1;
        },
        next: 'lock',
        doc: 'check_and_migrate_movable_folios -> migrate_longterm_unpinnable_folios: folio_is_device_coherent: folio_get(folio); gup_put_folio(folio, 1, FOLL_PIN)',
      },
      folio_lock: {
        at: 'lock',
        when: (s) => s.pLock === 'NONE',
        then: (s) => {
          s.assert(!s.pFree, 'lock-live-page');
          s.pLock = 'G';
        },
        next: 'unmap',
        doc: 'migrate_device_coherent_folio: folio_lock(folio) (blocking)',
      },
      try_to_migrate: {
        at: 'unmap',
        then: (s, me) => {
          if (s.pte === 'PRESENT_P') {
            if (pinChecks && s.pPins > 0) me.ok = false;
            else {
              s.pte = 'MIGRATION_P';
              me.ok = true;
            }
          } else me.ok = true;
        },
        next: 'checkPage',
        doc: pinChecks
          ? 'migrate_device_unmap -> try_to_migrate -> try_to_migrate_one under the PTL: ptep_clear_flush; folio_try_share_anon_rmap_pte fails if folio_maybe_dma_pinned (PTE restored); else migration entry, folio_remove_rmap, folio_put'
          : 'migrate_device_unmap -> try_to_migrate -> try_to_migrate_one under the PTL: ptep_clear_flush, no anon-exclusive share test (pre-v5.19), migration entry, folio_remove_rmap, folio_put',
      },
      migrate_vma_check_page: {
        at: 'checkPage',
        then: (s, me) => {
          me.ok = me.ok && (!pinChecks || extraG(s) === 0);
        },
        next: (_s, me) => (me.ok ? 'migrate' : 'finalize'),
        doc: pinChecks
          ? 'migrate_device_unmap: folio_mapped || !migrate_vma_check_page(page, NULL) (ref_count - extra > mapcount) -> restore, -EBUSY'
          : 'migrate_device_unmap: migrate_vma_check_page returns is_device_page(page) (v1 of the series): true',
      },
      folio_migrate_mapping: {
        at: 'migrate',
        then: (s, me) => {
          me.ok = !moveMappingCheck || extraG(s) === 0;
          if (me.ok && s.pte === 'MIGRATION_P') s.pMigrated = true;
        },
        next: 'finalize',
        doc: moveMappingCheck
          ? 'folio_alloc, folio_lock(dfolio), migrate_device_pages -> __migrate_device_pages -> folio_migrate_mapping: exact refcount compare; folio_copy'
          : 'folio_alloc, folio_lock(dfolio), migrate_device_pages -> folio_migrate_mapping: count check skipped for device pages (2021 patch); folio_copy',
      },
      remove_migration_ptes: {
        at: 'finalize',
        then: (s, me) => {
          if (s.pte === 'MIGRATION_P') s.pte = me.ok ? 'PRESENT_Q' : 'PRESENT_P';
        },
        next: 'release',
        doc: 'migrate_device_finalize -> remove_migration_ptes(src, ok ? dst : src) under the PTL',
      },
      unlock_put: {
        at: 'release',
        then: (s) => {
          s.pLock = 'NONE';
          s.gRef = false;
          putchk(s);
        },
        next: (_s, me) => (me.ok ? 'slow' : 'FAIL'),
        doc: '__migrate_device_finalize: folio_unlock(src); folio_put(src); ok: -EAGAIN, __gup_longterm_locked re-pins; else -EBUSY',
      },
    };

    // ---- S[i]: short-term pinner, pin_user_pages_fast(FOLL_PIN|FOLL_WRITE), e.g. O_DIRECT (spec §4.2)
    const S: Record<string, StepDef<Shared, ReturnType<typeof sharerLocals>>> = {
      gup_fast_read: fastRead('sTarget'),
      try_grab_folio_fast: {
        at: 'fastGrab',
        then: (s, me) => {
          if (me.sTarget === 'P' && !s.pFree) s.pPins = s.pPins + 1;
        },
        next: (s, me) => (me.sTarget === 'P' && s.pFree ? 'slow' : 'fastRecheck'),
        doc: 'try_grab_folio_fast: try_get_folio (fails on a freed page), FOLL_PIN (+GUP_PIN_COUNTING_BIAS); no FOLL_LONGTERM test',
      },
      recheck_pte: {
        at: 'fastRecheck',
        then: (s, me) => {
          if (me.sTarget !== 'P') return;
          if (s.pte === 'PRESENT_P') s.stablePinP = s.stablePinP + 1;
          else {
            s.pPins = s.pPins - 1;
            putchk(s);
          }
        },
        next: (s, me) => (me.sTarget === 'Q' || s.pte === 'PRESENT_P' ? 'dma' : 'slow'),
        doc: 'gup_fast_pte_range: pte changed -> gup_put_folio, fall back to the slow path; else GUP returns the pin',
      },
      follow_page_pin: {
        at: 'slow',
        when: (s) => s.pte !== 'MIGRATION_P',
        then: (s, me) => {
          if (s.pte === 'PRESENT_P') {
            s.pPins = s.pPins + 1;
            s.stablePinP = s.stablePinP + 1;
            me.sTarget = 'P';
          } else me.sTarget = 'Q';
        },
        next: 'dma',
        doc: '__get_user_pages -> follow_page_pte under the PTL -> try_grab_folio(FOLL_PIN); a migration entry: migration_entry_wait, retry',
      },
      dma_write: {
        at: 'dma',
        next: 'unpin',
        doc: 'the device DMA-writes the pinned page (lost if P was migrated meanwhile: invariant no-migration-while-pinned)',
      },
      unpin_user_page: {
        at: 'unpin',
        then: (s, me) => {
          if (me.sTarget !== 'P') return;
          s.pPins = s.pPins - 1;
          s.stablePinP = s.stablePinP - 1;
          putchk(s);
        },
        next: 'DONE',
        doc: 'unpin_user_page -> gup_put_folio(FOLL_PIN)',
      },
    };

    // ---- E: the evictor, migrate_vma_setup(SELECT_DEVICE_COHERENT) / migrate_vma_pages / migrate_vma_finalize (spec §4.3)
    const unbounded = evictAttempts === 0;
    const E: Record<string, StepDef<Shared, ReturnType<typeof evictorLocals>>> = {
      collect_pte: {
        at: 'collect',
        then: (s, me) => {
          me.ok = false;
          if (s.pte !== 'PRESENT_P' || s.pLock !== 'NONE' || (pinChecks && s.pPins > 0)) return;
          s.pte = 'MIGRATION_P';
          s.pLock = 'E';
          s.eRef = true;
          me.ok = true;
        },
        next: (s, me) => (s.pte === 'PRESENT_Q' ? 'DONE' : me.ok ? 'check' : 'roundFail'),
        doc: pinChecks
          ? 'migrate_vma_setup -> migrate_vma_collect -> migrate_vma_collect_pmd under the PTL: folio_get, folio_trylock; ptep_clear_flush, folio_try_share_anon_rmap_pte (fails if pinned: set_pte_at(orig), unlock, put); migration entry, folio_remove_rmap_pte, folio_put'
          : 'migrate_vma_setup -> migrate_vma_collect_pmd under the PTL: folio_get, folio_trylock; ptep_clear_flush, share test skipped; migration entry, folio_remove_rmap_pte, folio_put',
      },
      migrate_vma_check_page: {
        at: 'check',
        then: (s, me) => {
          me.ok = !pinChecks || extraE(s) === 0;
        },
        next: (_s, me) => (me.ok ? 'migrate' : 'finalize'),
        doc: pinChecks
          ? 'migrate_vma_unmap -> migrate_device_unmap -> migrate_vma_check_page(page, NULL): ref_count - extra > mapcount -> restore'
          : 'migrate_vma_unmap -> migrate_vma_check_page: is_device_page(page) -> true',
      },
      folio_migrate_mapping: {
        at: 'migrate',
        then: (s, me) => {
          me.ok = !moveMappingCheck || extraE(s) === 0;
          if (me.ok) s.pMigrated = true;
        },
        next: 'finalize',
        doc: moveMappingCheck
          ? 'driver allocates Q and copies; migrate_vma_pages -> __migrate_device_pages -> folio_migrate_mapping: exact refcount compare'
          : 'driver allocates Q and copies; migrate_vma_pages -> folio_migrate_mapping: count check skipped for device pages',
      },
      remove_migration_ptes: {
        at: 'finalize',
        then: (s, me) => {
          s.pte = me.ok ? 'PRESENT_Q' : 'PRESENT_P';
        },
        next: 'release',
        doc: 'migrate_vma_finalize -> remove_migration_ptes under the PTL (to Q, or restore P)',
      },
      unlock_put: {
        at: 'release',
        then: (s) => {
          s.pLock = 'NONE';
          s.eRef = false;
          putchk(s);
        },
        next: (_s, me) => (me.ok ? 'DONE' : 'roundFail'),
        doc: '__migrate_device_finalize: folio_unlock(src); folio_put(src)',
      },
    };
    // retry_or_busy (spec §4.3): one decision, written as complementary steps.
    E.retry_or_busy = {
      at: 'roundFail',
      when: (_s, me) => unbounded || me.attempts > 1,
      then: (_s, me) => {
        if (!unbounded) me.attempts = me.attempts - 1;
      },
      next: 'collect',
      doc: unbounded
        ? 'driver eviction policy: retry until evicted (evictAttempts=0, unbounded)'
        : 'driver eviction policy: attempts left, evict again',
    };
    if (!unbounded) {
      E.retry_or_busy_give_up = {
        at: 'roundFail',
        when: (_s, me) => me.attempts <= 1,
        next: 'BUSY',
        doc: 'driver eviction policy: attempts used up, -EBUSY (device memory still in use)',
      };
    }

    const nAttempts = Math.max(1, evictAttempts);
    const groups: ThreadGroupDef<Shared>[] = [];
    if (nG > 0)
      groups.push(
        thread('G', {
          locals: pinnerLocals(),
          start: 'fastRead',
          end: ['PINNED', 'FAIL'],
          progress: ['PINNED'],
          steps: G,
        }),
      );
    if (nS > 0)
      groups.push(
        replicate(nS, 'S', { locals: sharerLocals(), start: 'fastRead', end: ['DONE'], progress: ['DONE'], steps: S }),
      );
    groups.push(
      thread('E', {
        locals: evictorLocals(nAttempts),
        start: 'collect',
        end: ['DONE', 'BUSY'],
        progress: ['DONE'],
        steps: E,
      }),
    );
    return groups;
  },
  helpers: [ref, putchk, extraE, extraG],
  invariants: ({ omitInvariant }) => {
    const inv: Record<string, (s: ReadonlyStateView<Shared>) => boolean> = {
      /** I1: no FOLL_LONGTERM GUP ever returns a pin on a coherent page. */
      'no-longterm-pin-on-coherent': (s) => !s.longtermPinP,
      /** I2: a page whose pin GUP has handed out is never migrated (else the pinned DMA write is lost). */
      'no-migration-while-pinned': (s) => !(s.pMigrated && s.stablePinP > 0),
      /** I3: no use after free. */
      'page-lifetime': (s) => !s.pFree || (ref(s) === 0 && s.pLock === 'NONE' && s.pte === 'PRESENT_Q'),
    };
    // The engine has no switch to skip an invariant; this parameter leaves one out so that the
    // liveness failure behind its violation (eviction never succeeds) can be reported.
    if (omitInvariant !== 'none') delete inv[omitInvariant];
    return inv;
  },
});
