import { defineModel, bool, int, oneOf, thread, replicate, pageLock, refcount, combine } from '../src/index.ts';
import type { BlockShared, Fragment, ReadonlyStateView, StepDef, ThreadGroupDef } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * MEMORY_DEVICE_COHERENT pages (CPU-addressable device memory mapped by
 * present PTEs) against long-term and short-term GUP pins and against
 * eviction back to system RAM.
 *
 * Translation of docs/kernel/coherent-longterm-pin.md (the spec; section
 * numbers below refer to it). The kernel story and the variants in brief:
 * README.md, Kernel models, `coherent-longterm-pin`.
 *
 * Written on the building blocks (docs/blocks.md):
 * - `pLock`: P's PG_locked with its holder (pageLock without a wait queue:
 *   a blocking folio_lock is a guard "the page is unlocked", spec B4);
 * - `pRef`: P's reference count (refcount): the mapping's reference while
 *   pte == PRESENT_P, one per pin, the evictor's collect reference and the
 *   long-term pinner's reference after it converts its pin. The last put
 *   frees P: "P is free" is `pRef == 0` (nothing takes a reference from
 *   zero: GUP-fast uses folio_try_get, the slow path pins a mapped page);
 * - `pPins`: P's FOLL_PIN count (refcount; GUP_PIN_COUNTING_BIAS /
 *   folio->_pincount), what folio_maybe_dma_pinned() tests.
 * A migrator holding the page lock checks `pRef == 1`: its own reference
 * and nothing else (P is unmapped by then), which is
 * migrate_vma_check_page()'s `ref_count - extra > mapcount` test and the
 * exact compare of folio_migrate_mapping() against folio_expected_refs().
 *
 * Other abstractions (spec §3, §8): one coherent anonymous page P
 * (PageAnonExclusive, mapped writable once; its zone never changes) and one
 * RAM page Q, the migration target (pins on Q are not tracked, B3);
 * transient references taken and dropped inside one kernel step are omitted
 * (B2); the PTL is not a variable (each PTL section is one step); mmap_lock
 * and MMU notifiers are not modelled (B1); waiting on a migration entry is
 * "not enabled while pte == MIGRATION_P" (B4); sequentially consistent
 * memory (B5).
 *
 * The paths below are the merged kernel (variant `migrate-before-pin`); a
 * bug variant replaces a few named steps:
 *
 * | variant                    | replaces                                                   | with                                                      |
 * |----------------------------|------------------------------------------------------------|-----------------------------------------------------------|
 * | fast-path-pins-coherent    | G.try_grab_folio_fast_unpinnable                           | G.try_grab_folio_fast_pin / _fail (pre-fix is_pinnable_page) |
 * | migratable-ignores-pins    | E.collect_pte, E.collect_pte_pinned                        | E.collect_pte without the share test                      |
 * |                            | G.try_to_migrate, G.try_to_migrate_pinned                  | G.try_to_migrate without the share test                   |
 * |                            | E/G.migrate_vma_check_page, _busy                          | migrate_vma_check_page: is_device_page() is true          |
 * |                            | E/G.folio_migrate_mapping, _busy (ignoreWhich=all only)    | folio_migrate_mapping without the count check             |
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

const shared = ({ nG, nS }: { readonly nG: number; readonly nS: number }) => ({
  pte: oneOf('PRESENT_P', 'MIGRATION_P', 'PRESENT_Q'),
  stablePinP: int(0, nG + nS),
  longtermPinP: bool(),
  pMigrated: bool(),
});
type Blocks = ReturnType<typeof blocksOf>;
/**
 * The model's variables and the blocks' (`pRef`, `pPins`, and the page lock's
 * holder: `pLock_G`/`pLock_E`, or `pLock` without G), for the steps and
 * invariants written outside the model.
 */
type Shared = ReturnType<typeof shared> & BlockShared<Blocks[keyof Blocks]>;
const pinnerLocals = () => ({ target: oneOf('NONE', 'P', 'Q'), ok: bool() });
const sharerLocals = () => ({ target: oneOf('NONE', 'P', 'Q') });
const evictorLocals = (nAttempts: number) => ({ attempts: int(1, nAttempts, nAttempts), ok: bool() });
type Pinner = ReturnType<typeof pinnerLocals>;
type Sharer = ReturnType<typeof sharerLocals>;
type Evictor = ReturnType<typeof evictorLocals>;

/** P's page lock, reference count and pin count (see above), for one instance (the lock's holders are the groups present); `blocks` and `threads` each make them, with the same text. */
const blocksOf = ({ nG, nS }: { readonly nG: number; readonly nS: number }) => ({
  page: pageLock('pLock', nG > 0 ? { G: 1, E: 1 } : { E: 1 }, { waitQueue: false }),
  // mapping + a pin per pinner + E's reference + the transient +1 of pin_to_ref
  refs: refcount('pRef', { max: 3 + nG + nS, init: 1 }),
  pins: refcount('pPins', { max: Math.max(1, nG + nS), getFromZero: true }),
});

type Steps<L extends Pinner | Sharer | Evictor> = Record<string, StepDef<Shared, L>>;
/** `base` without the steps a variant replaces, plus its own (the table above). */
function replace<T extends Record<string, unknown>>(base: T, drop: readonly string[], add: T): T {
  const out = { ...base };
  for (const k of drop) {
    if (!Object.hasOwn(out, k)) throw new Error(`coherent-longterm-pin: no step ${k} to replace`);
    delete out[k];
  }
  return { ...out, ...add };
}

export default builtin(import.meta.url, defineModel({
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
    nS: int(0, 4, 1),
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
      { verdict: 'pass', params: { evictAttempts: 0, nS: 3 }, fairness: 'strong', states: 52566, transitions: 202593, bench: true },
      { verdict: 'pass', params: { nS: 3 }, states: 107570, transitions: 404357, bench: true },
      { verdict: 'pass', params: { nS: 4 }, states: 1071040, transitions: 4901124, bench: true },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        length: 11,
        params: { evictAttempts: 0 },
        note: 'weak fairness only: G sleeps in folio_lock while E retries forever, trylocking P again before G runs (G is enabled only between E\'s unlock and E\'s next collect). The kernel hands the lock to the sleeping waiter, so this cycle is not reachable there: see the strong-fairness entry',
      },
    ],
    'fast-path-pins-coherent': [
      { verdict: 'violation', kind: 'invariant', property: 'no-longterm-pin-on-coherent', length: 3 },
      { verdict: 'violation', kind: 'invariant', property: 'no-longterm-pin-on-coherent', length: 3, params: { nS: 4 } },
      {
        verdict: 'pass',
        params: { omitInvariant: 'no-longterm-pin-on-coherent' },
        note: 'the other invariants hold; with a long-term pin on P the evictor ends at BUSY',
      },
      { verdict: 'pass', params: { omitInvariant: 'no-longterm-pin-on-coherent', nS: 3 }, states: 107549, transitions: 409682, bench: true },
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
      { verdict: 'violation', kind: 'invariant', property: 'no-migration-while-pinned', length: 6, params: { nS: 4 } },
      { verdict: 'pass', params: { ignoreWhich: 'allButMoveMapping', nS: 3 }, states: 124914, transitions: 465245, bench: true },
      { verdict: 'pass', params: { ignoreWhich: 'allButMoveMapping', nS: 4 }, states: 1219686, transitions: 5501156, bench: true },
    ],
  },
  shared,
  blocks: (p) => {
    const { page, refs, pins } = blocksOf(p);
    return [page, refs, pins];
  },
  threads: (p, variantIn) => {
    const { nG, nS, evictAttempts, ignoreWhich } = p;
    const variant = (variantIn ?? 'migrate-before-pin') as Variant;
    const { page, refs, pins } = blocksOf(p);
    /** A pin: FOLL_PIN takes a reference and a pin count (try_grab_folio: folio_ref_add(GUP_PIN_COUNTING_BIAS) / _pincount). */
    const pin = (): Fragment => combine(refs.get(), pins.get());
    /** gup_put_folio(folio, 1, FOLL_PIN): drop both. */
    const unpin = (): Fragment => combine(pins.put(), refs.put());
    const on = (target: 'P' | 'Q'): Fragment => ({ when: (_s, me) => me.target === target });

    // ---- GUP-fast, shared by G and S: gup_fast -> gup_fast_pte_range (spec §4.1, §4.2)
    const gupFastRead: StepDef<Shared, Sharer> = {
      at: 'fastRead',
      then: (s, me) => {
        if (s.pte === 'PRESENT_P') me.target = 'P';
        else if (s.pte === 'PRESENT_Q') me.target = 'Q';
      },
      next: (s) => (s.pte === 'MIGRATION_P' ? 'slow' : 'fastGrab'),
      doc: 'gup_fast -> gup_fast_pte_range: lockless ptep_get (IRQs off); a non-present PTE bails out to the slow path',
    };
    /** try_grab_folio_fast(FOLL_PIN) on P without a FOLL_LONGTERM test (S always; G before the fix). */
    const fastGrabPin = (): Steps<Sharer> => ({
      try_grab_folio_fast_pin: {
        at: 'fastGrab',
        ...combine(on('P'), refs.positive(), pin()),
        next: 'fastRecheck',
        doc: 'try_grab_folio_fast: try_get_folio succeeds; FOLL_PIN (+GUP_PIN_COUNTING_BIAS)',
      },
      try_grab_folio_fast_fail: {
        at: 'fastGrab',
        ...combine(on('P'), refs.is(0)),
        next: 'slow',
        doc: 'try_grab_folio_fast: try_get_folio fails on a freed page: slow path',
      },
    });
    const fastGrabRam: StepDef<Shared, Sharer> = {
      at: 'fastGrab',
      ...on('Q'),
      next: 'fastRecheck',
      doc: 'try_grab_folio_fast on Q (RAM, long-term pinnable; pins on Q are not tracked)',
    };

    // ---- G: long-term pinner, pin_user_pages_fast(FOLL_PIN|FOLL_LONGTERM|FOLL_WRITE) (spec §4.1)
    const pinner = (): Steps<Pinner> => ({
      gup_fast_read: gupFastRead,
      try_grab_folio_fast: fastGrabRam,
      try_grab_folio_fast_unpinnable: {
        at: 'fastGrab',
        ...on('P'),
        next: 'slow',
        doc: 'try_grab_folio_fast: FOLL_LONGTERM && !folio_is_longterm_pinnable(folio) (device coherent: false) -> put, NULL: slow path',
      },
      recheck_pte: { at: 'fastRecheck', ...on('Q'), next: 'PINNED', doc: 'gup_fast_pte_range: Q still mapped; GUP returns the pin' },
      recheck_pte_kept: {
        at: 'fastRecheck',
        when: (s, me) => me.target === 'P' && s.pte === 'PRESENT_P',
        then: (s) => {
          s.stablePinP = s.stablePinP + 1;
          s.longtermPinP = true;
        },
        next: 'PINNED',
        doc: 'gup_fast_pte_range: pte_val(pte) == pte_val(ptep_get(ptep)): GUP returns a FOLL_LONGTERM pin on P',
      },
      recheck_pte_changed: {
        at: 'fastRecheck',
        ...combine({ when: (s, me) => me.target === 'P' && s.pte !== 'PRESENT_P' }, unpin()),
        next: 'slow',
        doc: 'gup_fast_pte_range: the PTE changed -> gup_put_folio, fall back to the slow path',
      },
      // __gup_longterm_locked: __get_user_pages_locked, then check_and_migrate_movable_folios
      follow_page_pin: {
        at: 'slow',
        ...combine({ when: (s) => s.pte === 'PRESENT_P', then: (_s, me) => { me.target = 'P'; } }, pin()),
        next: 'convert',
        doc: '__gup_longterm_locked -> __get_user_pages_locked -> follow_page_pte under the PTL -> try_grab_folio(FOLL_PIN); a migration entry: faultin_page -> migration_entry_wait, retry',
      },
      follow_page_pin_ram: {
        at: 'slow',
        when: (s) => s.pte === 'PRESENT_Q',
        then: (_s, me) => {
          me.target = 'Q';
        },
        next: 'PINNED',
        doc: 'follow_page_pte -> try_grab_folio(FOLL_PIN) on Q: long-term pinnable, GUP returns the pin',
      },
      pin_to_ref: {
        at: 'convert',
        ...combine(refs.get(), unpin()),
        next: 'lock',
        doc: 'collect_longterm_unpinnable_folios -> migrate_longterm_unpinnable_folios: folio_is_device_coherent: folio_get(folio); gup_put_folio(folio, 1, FOLL_PIN)',
      },
      // migrate_device_coherent_folio(folio)
      folio_lock: {
        at: 'lock',
        ...combine(page.lockWhenFree('G'), { then: (s) => s.assert(s.pRef > 0, 'lock-live-page') }),
        next: 'unmap',
        doc: 'migrate_device_coherent_folio: folio_lock(folio) (blocking)',
      },
      try_to_migrate: {
        at: 'unmap',
        ...combine({ when: (s) => s.pte === 'PRESENT_P' }, pins.is(0), { then: (s, me) => { s.pte = 'MIGRATION_P'; me.ok = true; } }, refs.put()),
        next: 'checkPage',
        doc: 'migrate_device_unmap -> try_to_migrate -> try_to_migrate_one under the PTL: ptep_clear_flush; folio_try_share_anon_rmap_pte succeeds (not pinned); migration entry, folio_remove_rmap, folio_put',
      },
      try_to_migrate_pinned: {
        at: 'unmap',
        ...combine({ when: (s) => s.pte === 'PRESENT_P' }, pins.positive(), { then: (_s, me) => { me.ok = false; } }),
        next: 'checkPage',
        doc: 'try_to_migrate_one: folio_try_share_anon_rmap_pte fails, folio_maybe_dma_pinned: set_pte_at(orig), the page stays mapped',
      },
      try_to_migrate_unmapped: {
        at: 'unmap',
        when: (s) => s.pte !== 'PRESENT_P',
        then: (_s, me) => {
          me.ok = true;
        },
        next: 'checkPage',
        doc: 'migrate_device_unmap: !folio_mapped(folio): P was migrated meanwhile, nothing to unmap',
      },
      migrate_vma_check_page: {
        at: 'checkPage',
        ...combine({ when: (s) => s.pte !== 'PRESENT_P' }, refs.is(1)),
        next: 'migrate',
        doc: 'migrate_device_unmap: migrate_vma_check_page(page, NULL): no reference but G\'s own',
      },
      migrate_vma_check_page_mapped: {
        at: 'checkPage',
        when: (s) => s.pte === 'PRESENT_P',
        then: (_s, me) => {
          me.ok = false;
        },
        next: 'finalize',
        doc: 'migrate_device_unmap: folio_mapped(folio) -> not migrated, -EBUSY',
      },
      migrate_vma_check_page_busy: {
        at: 'checkPage',
        ...combine({ when: (s) => s.pte !== 'PRESENT_P' }, refs.isNot(1), { then: (_s, me) => { me.ok = false; } }),
        next: 'finalize',
        doc: 'migrate_device_unmap: !migrate_vma_check_page (ref_count - extra > mapcount): extra references -> restore, -EBUSY',
      },
      folio_migrate_mapping: {
        at: 'migrate',
        ...combine(refs.is(1), { then: (s) => { if (s.pte === 'MIGRATION_P') s.pMigrated = true; } }),
        next: 'finalize',
        doc: 'folio_alloc, folio_lock(dfolio), migrate_device_pages -> __migrate_device_pages -> folio_migrate_mapping: refcount == folio_expected_refs(); folio_copy',
      },
      folio_migrate_mapping_busy: {
        at: 'migrate',
        ...combine(refs.isNot(1), { then: (_s, me) => { me.ok = false; } }),
        next: 'finalize',
        doc: 'folio_migrate_mapping: refcount != folio_expected_refs(): -EAGAIN, not migrated',
      },
      remove_migration_ptes: {
        at: 'finalize',
        when: (s, me) => s.pte === 'MIGRATION_P' && me.ok,
        then: (s) => {
          s.pte = 'PRESENT_Q';
        },
        next: 'release',
        doc: 'migrate_device_finalize -> remove_migration_ptes(src, dst) under the PTL: Q mapped',
      },
      remove_migration_ptes_restore: {
        at: 'finalize',
        ...combine({ when: (s, me) => s.pte === 'MIGRATION_P' && !me.ok, then: (s) => { s.pte = 'PRESENT_P'; } }, refs.get()),
        next: 'release',
        doc: 'migrate_device_finalize -> remove_migration_ptes(src, src) under the PTL: P mapped again (the mapping\'s reference)',
      },
      remove_migration_ptes_none: {
        at: 'finalize',
        when: (s) => s.pte !== 'MIGRATION_P',
        next: 'release',
        doc: 'migrate_device_finalize: no migration entry to remove',
      },
      unlock_put: {
        at: 'release',
        ...combine(page.unlock('G'), refs.put()),
        next: (_s, me) => (me.ok ? 'slow' : 'FAIL'),
        doc: '__migrate_device_finalize: folio_unlock(src); folio_put(src); ok: -EAGAIN, __gup_longterm_locked re-pins; else -EBUSY',
      },
    });

    // ---- S[i]: short-term pinner, pin_user_pages_fast(FOLL_PIN|FOLL_WRITE), e.g. O_DIRECT (spec §4.2)
    const S: Steps<Sharer> = {
      gup_fast_read: gupFastRead,
      try_grab_folio_fast: fastGrabRam,
      ...fastGrabPin(),
      recheck_pte: { at: 'fastRecheck', ...on('Q'), next: 'dma', doc: 'gup_fast_pte_range: Q still mapped; GUP returns the pin' },
      recheck_pte_kept: {
        at: 'fastRecheck',
        when: (s, me) => me.target === 'P' && s.pte === 'PRESENT_P',
        then: (s) => {
          s.stablePinP = s.stablePinP + 1;
        },
        next: 'dma',
        doc: 'gup_fast_pte_range: the PTE is unchanged: GUP returns the pin on P',
      },
      recheck_pte_changed: {
        at: 'fastRecheck',
        ...combine({ when: (s, me) => me.target === 'P' && s.pte !== 'PRESENT_P' }, unpin()),
        next: 'slow',
        doc: 'gup_fast_pte_range: pte changed -> gup_put_folio, fall back to the slow path',
      },
      follow_page_pin: {
        at: 'slow',
        ...combine({ when: (s) => s.pte === 'PRESENT_P', then: (s, me) => { s.stablePinP = s.stablePinP + 1; me.target = 'P'; } }, pin()),
        next: 'dma',
        doc: '__get_user_pages -> follow_page_pte under the PTL -> try_grab_folio(FOLL_PIN); a migration entry: migration_entry_wait, retry',
      },
      follow_page_pin_ram: {
        at: 'slow',
        when: (s) => s.pte === 'PRESENT_Q',
        then: (_s, me) => {
          me.target = 'Q';
        },
        next: 'dma',
        doc: 'follow_page_pte -> try_grab_folio(FOLL_PIN) on Q',
      },
      dma_write: {
        at: 'dma',
        next: 'unpin',
        doc: 'the device DMA-writes the pinned page (lost if P was migrated meanwhile: invariant no-migration-while-pinned)',
      },
      unpin_user_page: {
        at: 'unpin',
        ...combine(on('P'), { then: (s) => { s.stablePinP = s.stablePinP - 1; } }, unpin()),
        next: 'DONE',
        doc: 'unpin_user_page -> gup_put_folio(FOLL_PIN)',
      },
      unpin_user_page_ram: { at: 'unpin', ...on('Q'), next: 'DONE', doc: 'unpin_user_page(Q) (pins on Q are not tracked)' },
    };

    // ---- E: the evictor, migrate_vma_setup(SELECT_DEVICE_COHERENT) / migrate_vma_pages / migrate_vma_finalize (spec §4.3)
    const unbounded = evictAttempts === 0;
    const E: Steps<Evictor> = {
      // migrate_vma_setup -> migrate_vma_collect -> migrate_vma_collect_pmd, one PTL section
      collect_pte: {
        at: 'collect',
        ...combine(
          { when: (s) => s.pte === 'PRESENT_P' },
          pins.is(0),
          refs.get(),
          page.lockWhenFree('E'),
          { then: (s, me) => { s.pte = 'MIGRATION_P'; me.ok = true; } },
          refs.put(),
        ),
        next: 'check',
        doc: 'migrate_vma_collect_pmd under the PTL: folio_get, folio_trylock; ptep_clear_flush, folio_try_share_anon_rmap_pte succeeds; migration entry, folio_remove_rmap_pte, folio_put',
      },
      collect_pte_busy: {
        at: 'collect',
        ...combine({ when: (s) => s.pte === 'PRESENT_P' }, page.isLocked()),
        next: 'roundFail',
        doc: 'migrate_vma_collect_pmd: folio_trylock fails: folio_put, the page is not collected',
      },
      collect_pte_pinned: {
        at: 'collect',
        ...combine({ when: (s) => s.pte === 'PRESENT_P' }, page.free(), pins.positive()),
        next: 'roundFail',
        doc: 'migrate_vma_collect_pmd: folio_try_share_anon_rmap_pte fails (folio_maybe_dma_pinned): set_pte_at(orig), folio_unlock, folio_put',
      },
      collect_pte_migrating: {
        at: 'collect',
        when: (s) => s.pte === 'MIGRATION_P',
        next: 'roundFail',
        doc: 'migrate_vma_collect_pmd: a migration entry, not a present device page: nothing collected',
      },
      collect_pte_evicted: {
        at: 'collect',
        when: (s) => s.pte === 'PRESENT_Q',
        next: 'DONE',
        doc: 'migrate_vma_collect_pmd: the PTE maps RAM: nothing left to evict',
      },
      migrate_vma_check_page: {
        at: 'check',
        ...refs.is(1),
        next: 'migrate',
        doc: 'migrate_vma_unmap -> migrate_device_unmap -> migrate_vma_check_page(page, NULL): no reference but E\'s own',
      },
      migrate_vma_check_page_busy: {
        at: 'check',
        ...combine(refs.isNot(1), { then: (_s, me) => { me.ok = false; } }),
        next: 'finalize',
        doc: 'migrate_vma_check_page: ref_count - extra > mapcount -> restore',
      },
      folio_migrate_mapping: {
        at: 'migrate',
        ...combine(refs.is(1), { then: (s) => { s.pMigrated = true; } }),
        next: 'finalize',
        doc: 'driver allocates Q and copies; migrate_vma_pages -> __migrate_device_pages -> folio_migrate_mapping: refcount == folio_expected_refs()',
      },
      folio_migrate_mapping_busy: {
        at: 'migrate',
        ...combine(refs.isNot(1), { then: (_s, me) => { me.ok = false; } }),
        next: 'finalize',
        doc: 'folio_migrate_mapping: refcount != folio_expected_refs(): -EAGAIN',
      },
      remove_migration_ptes: {
        at: 'finalize',
        when: (_s, me) => me.ok,
        then: (s) => {
          s.pte = 'PRESENT_Q';
        },
        next: 'release',
        doc: 'migrate_vma_finalize -> remove_migration_ptes(src, dst) under the PTL: Q mapped',
      },
      remove_migration_ptes_restore: {
        at: 'finalize',
        ...combine({ when: (_s, me) => !me.ok, then: (s) => { s.pte = 'PRESENT_P'; } }, refs.get()),
        next: 'release',
        doc: 'migrate_vma_finalize -> remove_migration_ptes(src, src) under the PTL: P restored (the mapping\'s reference)',
      },
      unlock_put: {
        at: 'release',
        ...combine(page.unlock('E'), refs.put()),
        next: (_s, me) => (me.ok ? 'DONE' : 'roundFail'),
        doc: '__migrate_device_finalize: folio_unlock(src); folio_put(src)',
      },
      // retry_or_busy (spec §4.3): the driver's policy, one decision written as complementary steps.
      retry_or_busy: {
        at: 'roundFail',
        when: (_s, me) => unbounded || me.attempts > 1,
        then: (_s, me) => {
          if (!unbounded) me.attempts = me.attempts - 1;
        },
        next: 'collect',
        doc: unbounded ? 'driver eviction policy: retry until evicted (evictAttempts=0, unbounded)' : 'driver eviction policy: attempts left, evict again',
      },
      ...(unbounded
        ? {}
        : {
            retry_or_busy_give_up: {
              at: 'roundFail',
              when: (_s, me) => me.attempts <= 1,
              next: 'BUSY',
              doc: 'driver eviction policy: attempts used up, -EBUSY (device memory still in use)',
            },
          }),
    };

    // ---- the variants: named steps replacing the merged kernel's (table above)
    // G's steps name its group in the page lock: made only when G exists.
    let [g, e] = [nG > 0 ? pinner() : {}, E];
    if (variant === 'fast-path-pins-coherent' && nG > 0) g = replace(g, ['try_grab_folio_fast_unpinnable'], fastGrabPin() as Steps<Pinner>);
    if (variant === 'migratable-ignores-pins') {
      const noPinChecks = {
        migrate_vma_check_page: { at: 'checkPage', next: 'migrate', doc: 'migrate_device_unmap: migrate_vma_check_page returns is_device_page(page) (v1 of the series): true' },
        folio_migrate_mapping: {
          at: 'migrate',
          then: (s) => {
            if (s.pte === 'MIGRATION_P') s.pMigrated = true;
          },
          next: 'finalize',
          doc: 'folio_alloc, folio_lock(dfolio), migrate_device_pages -> folio_migrate_mapping: count check skipped for device pages (2021 patch); folio_copy',
        },
      } satisfies Steps<Pinner>;
      const skipMoveMapping = ignoreWhich === 'all';
      if (nG > 0) g = replace(g, ['try_to_migrate', 'try_to_migrate_pinned', 'migrate_vma_check_page', 'migrate_vma_check_page_mapped', 'migrate_vma_check_page_busy', ...(skipMoveMapping ? ['folio_migrate_mapping', 'folio_migrate_mapping_busy'] : [])], {
        try_to_migrate: {
          at: 'unmap',
          ...combine({ when: (s) => s.pte === 'PRESENT_P', then: (s, me) => { s.pte = 'MIGRATION_P'; me.ok = true; } }, refs.put()),
          next: 'checkPage',
          doc: 'migrate_device_unmap -> try_to_migrate -> try_to_migrate_one under the PTL: ptep_clear_flush, no anon-exclusive share test (pre-v5.19), migration entry, folio_remove_rmap, folio_put',
        },
        migrate_vma_check_page: noPinChecks.migrate_vma_check_page,
        ...(skipMoveMapping ? { folio_migrate_mapping: noPinChecks.folio_migrate_mapping } : {}),
      });
      e = replace(e, ['collect_pte', 'collect_pte_pinned', 'migrate_vma_check_page', 'migrate_vma_check_page_busy', ...(skipMoveMapping ? ['folio_migrate_mapping', 'folio_migrate_mapping_busy'] : [])], {
        collect_pte: {
          at: 'collect',
          ...combine({ when: (s) => s.pte === 'PRESENT_P' }, refs.get(), page.lockWhenFree('E'), { then: (s, me) => { s.pte = 'MIGRATION_P'; me.ok = true; } }, refs.put()),
          next: 'check',
          doc: 'migrate_vma_collect_pmd under the PTL: folio_get, folio_trylock; ptep_clear_flush, share test skipped; migration entry, folio_remove_rmap_pte, folio_put',
        },
        migrate_vma_check_page: { at: 'check', next: 'migrate', doc: 'migrate_vma_unmap -> migrate_vma_check_page: is_device_page(page) -> true' },
        ...(skipMoveMapping
          ? {
              folio_migrate_mapping: {
                at: 'migrate',
                then: (s) => {
                  s.pMigrated = true;
                },
                next: 'finalize',
                doc: 'driver allocates Q and copies; migrate_vma_pages -> folio_migrate_mapping: count check skipped for device pages',
              },
            }
          : {}),
      });
    }

    const groups: ThreadGroupDef<Shared>[] = [];
    if (nG > 0) groups.push(thread('G', { locals: pinnerLocals(), start: 'fastRead', end: ['PINNED', 'FAIL'], progress: ['PINNED'], steps: g }));
    if (nS > 0) groups.push(replicate(nS, 'S', { locals: sharerLocals(), start: 'fastRead', end: ['DONE'], progress: ['DONE'], steps: S }));
    groups.push(thread('E', { locals: evictorLocals(Math.max(1, evictAttempts)), start: 'collect', end: ['DONE', 'BUSY'], progress: ['DONE'], steps: e }));
    return groups;
  },
  invariants: ({ nG, omitInvariant }) => {
    const inv: Record<string, (s: ReadonlyStateView<Shared>) => boolean> = {
      /** I1: no FOLL_LONGTERM GUP ever returns a pin on a coherent page. */
      'no-longterm-pin-on-coherent': (s) => !s.longtermPinP,
      /** I2: a page whose pin GUP has handed out is never migrated (else the pinned DMA write is lost). */
      'no-migration-while-pinned': (s) => !(s.pMigrated && s.stablePinP > 0),
      /** I3: no use after free: a freed P (no reference left) is unlocked and unmapped (the lock's holders are the groups present). */
      'page-lifetime':
        nG > 0
          ? (s) => s.pRef !== 0 || (s.pLock_G === -1 && s.pLock_E === -1 && s.pte === 'PRESENT_Q')
          : (s) => s.pRef !== 0 || (s.pLock === -1 && s.pte === 'PRESENT_Q'),
    };
    // The engine has no switch to skip an invariant: this parameter leaves one out so that the
    // liveness failure behind its violation (eviction never succeeds) can be reported.
    if (omitInvariant !== 'none') delete inv[omitInvariant];
    return inv;
  },
}));
