import { defineModel, bool, int, oneOf, thread, replicate, combine, pageLock, refcount } from '../src/index.ts';
import type { BlockShared, StateView, LocalView, StepDef, ThreadGroupDef, Fragment } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Migration-entry waiters vs. the migration refcount check, for device-private
 * (ZONE_DEVICE / HMM) pages migrated back to RAM on a CPU fault.
 *
 * Translation of docs/kernel/migration-entry-wait.md (the spec; section
 * numbers below refer to it). The kernel story and the variants in brief:
 * README.md, Kernel models, `migration-entry-wait`.
 *
 * Abstractions (spec §3):
 * - one virtual address, one device-private page P; the RAM destination Q is
 *   private until mapped and has no state;
 * - P's page lock is the pageLock block (PG_locked, PG_waiters, the wait
 *   queue); its holder is a local of the fault thread that took it
 *   (`holder: 'local'`), which the reports name, and which keeps the state
 *   free of thread ids so that symmetry reduction sorts any number of
 *   faulters;
 * - P's reference count is the refcount block `refs`: the transient
 *   references (the device-private PTE's mapping ref, the collect ref, fault
 *   refs, waiter refs, the holder's ref), leaving out the Era-A permanent
 *   ZONE_DEVICE base ref, which is on both sides of every comparison;
 *   `folio_expected_refs()` of the migrator is 1 + (fref ? 1 : 0): its collect
 *   ref, plus its own fault ref as `fault_page` when it has one;
 * - the page-table lock (PTL) is not a variable: every PTL critical section
 *   is exactly one atomic step (a spinlock block would add a state between
 *   taking and dropping it, and no thread can observe that state: every
 *   reader of the PTE takes the PTL). A step with several guarded
 *   alternatives at one label is one PTL section that branches on what it
 *   reads under the lock (the guards are complementary, so the thread is
 *   never blocked there).
 *
 * A variant is one kernel code path: each row below names the steps it is
 * made of (the functions further down, one per kernel path, each readable
 * top to bottom). FLAGS says the same as data, for the SPIN/Murphi ports in
 * bench/peers.
 *
 * | variant | device-private PTE (F0) | migration entry (F0) | migrate_to_ram (M1-M6) | after migrate_to_ram |
 * |---|---|---|---|---|
 * | ref-while-waiting | collectInFault | refWhileWaiting | strictMapping | - |
 * | put-and-wait | collectInFault | putAndWait | strictMapping | - |
 * | skip-refcount-check | collectInFault | putAndWait | skipMappingCheck | - |
 * | lockless-dispatch | locklessDispatch | putAndWait | strictMapping | - |
 * | fault-get-page | getPageFirst | waitOnLocked | collectLocking, checkPage, strictMapping | putFaultRef |
 * | wait-on-locked | trylockThenGetPage | waitOnLocked | collectFaultLocked, checkPage, strictMapping | unlockThenPut |
 * | put-before-unlock | trylockThenGetPage | waitOnLocked | collectFaultLocked, checkPage, strictMapping | putThenUnlock |
 * | wait-unlocked-ptl | trylockThenGetPage | waitUnlockedPtl | collectFaultLocked, checkPage, strictMapping | unlockThenPut |
 *
 * Beyond the spec: touch(P) (the no-uaf assertion) is also done where the
 * migrator or the fault path unlocks, copies or re-maps P (M4, M5restore, M6,
 * D2a); it always holds there in the spec's variants and is what catches the
 * use after free in `put-before-unlock`.
 *
 * Footprints are derived from the steps' source (each part of a step is a
 * block fragment or a small function that names the variables it touches),
 * so no step declares `reads`/`writes`.
 */

export type Dispatch = 'COLLECT' | 'LOCKLESS' | 'REF' | 'TRYLOCK_REF';
export type Wait = 'REF_SLEEP' | 'PUT_AND_WAIT' | 'ON_LOCKED' | 'UNLOCKED_PTL';
export interface Flags {
  /** What F0 does on a device-private PTE: COLLECT (pre-v6.1, no ref; the lockless read merged with the collect PTL section), LOCKLESS (the same, split: spec §8, CVE-2022-3523), REF (v6.1-v6.14 get_page), TRYLOCK_REF (v6.15+). */
  dispatch: Dispatch;
  /** What F0 does on a migration entry: REF_SLEEP (< v5.0), PUT_AND_WAIT (v5.0-v5.16), ON_LOCKED (v5.17+), UNLOCKED_PTL. */
  wait: Wait;
  /** migrate_vma_check_page() checks the count (v6.1+ fault_page form). */
  checkVma: boolean;
  /** folio_migrate_mapping() refcount check: STRICT, or SKIP (2021 patch). */
  checkMap: 'STRICT' | 'SKIP';
  /** The fault path holds the page lock across migrate_to_ram (v6.15+). */
  fl: boolean;
  /** put_page(vmf->page) before unlock_page(vmf->page) in do_swap_page (the order Popple rejected). */
  putFirst: boolean;
}

/** Per-variant flags (the table above as data); also read by the SPIN/Murphi ports in bench/peers. */
export const FLAGS: Record<string, Flags> = {
  'wait-on-locked': { dispatch: 'TRYLOCK_REF', wait: 'ON_LOCKED', checkVma: true, checkMap: 'STRICT', fl: true, putFirst: false },
  'ref-while-waiting': { dispatch: 'COLLECT', wait: 'REF_SLEEP', checkVma: false, checkMap: 'STRICT', fl: false, putFirst: false },
  'put-and-wait': { dispatch: 'COLLECT', wait: 'PUT_AND_WAIT', checkVma: false, checkMap: 'STRICT', fl: false, putFirst: false },
  'skip-refcount-check': { dispatch: 'COLLECT', wait: 'PUT_AND_WAIT', checkVma: false, checkMap: 'SKIP', fl: false, putFirst: false },
  'wait-unlocked-ptl': { dispatch: 'TRYLOCK_REF', wait: 'UNLOCKED_PTL', checkVma: true, checkMap: 'STRICT', fl: true, putFirst: false },
  'fault-get-page': { dispatch: 'REF', wait: 'ON_LOCKED', checkVma: true, checkMap: 'STRICT', fl: false, putFirst: false },
  'lockless-dispatch': { dispatch: 'LOCKLESS', wait: 'PUT_AND_WAIT', checkVma: false, checkMap: 'STRICT', fl: false, putFirst: false },
  'put-before-unlock': { dispatch: 'TRYLOCK_REF', wait: 'ON_LOCKED', checkVma: true, checkMap: 'STRICT', fl: true, putFirst: true },
};

// ---- state (spec §3) ----------------------------------------------------------

/** P's page lock: PG_locked, PG_waiters and its wait queue; the holder is the fault thread's `page_held`. */
const pageOf = (faulters: number) => pageLock('page', { T: faulters }, { holder: 'local' });
/** P's transient references; 1: the device-private PTE's mapping ref. */
const refsOf = (faulters: number) => refcount('refs', { max: faulters + 3, init: 1 });

const shared = () => ({
  pte: oneOf('DEVPRIV', 'MIG', 'RAM'),
  pState: oneOf('ALLOC', 'FREE'),
  migrated: bool(),
  sigbus: bool(),
});
/** A fault thread's locals: it holds a fault reference; the result of its migration attempt; it holds P's page lock (the pageLock block's `holderLocal`, set and cleared by its lock and unlock). */
const faultLocals = () => ({ fref: bool(), res: oneOf('NONE', 'OK', 'FAIL', 'NOPAGE'), page_held: bool() });
/** The model's variables and the blocks' (`refs`, `page_locked`, `page_waiters`, `page_wq`), as the model's own parts read them. */
type Shared = ReturnType<typeof shared> & BlockShared<ReturnType<typeof pageOf> | ReturnType<typeof refsOf>>;
type FaultLocals = ReturnType<typeof faultLocals>;
/** One part of a step, typed over the model's state: joined with block fragments by `step()`. */
interface Part {
  when?: (s: StateView<Shared>, me: LocalView<FaultLocals>) => boolean;
  then?: (s: StateView<Shared>, me: LocalView<FaultLocals>) => void;
  doc?: string;
}
type S = StateView<Shared>;
type Me = LocalView<FaultLocals>;
type Step = StepDef<Shared, FaultLocals>;
type Steps = Record<string, Step>;
/** One atomic step from parts (block fragments and the model's own), in order: every guard holds, the effects run one after the other. */
const step = (parts: (Part | Fragment)[], rest: Omit<Step, 'when' | 'then'>): Step => ({ ...(combine(...(parts as Fragment[])) as Pick<Step, 'when' | 'then'>), ...rest });

// ---- the spec's notation (§4), as parts ------------------------------------------

/** touch(P): any access to struct page P must find it allocated. */
const touch: Part = { then: (s) => s.assert(s.pState === 'ALLOC', 'no-uaf') };
/** The last put frees P (free_zone_device_folio -> the driver's page_free). */
const freeAtZero: Part = {
  then: (s) => {
    if (s.refs === 0) s.pState = 'FREE';
  },
};
const pte = {
  devpriv: { when: (s) => s.pte === 'DEVPRIV' } as Part,
  mig: { when: (s) => s.pte === 'MIG' } as Part,
  ram: { when: (s) => s.pte === 'RAM' } as Part,
  notDevpriv: { when: (s) => s.pte !== 'DEVPRIV' } as Part,
  setMig: { then: (s) => { s.pte = 'MIG'; } } as Part,
  setRam: { then: (s) => { s.pte = 'RAM'; } } as Part,
  setDevpriv: { then: (s) => { s.pte = 'DEVPRIV'; } } as Part,
};
const takeFaultRef: Part = { then: (_s, me) => { me.fref = true; } };
const dropFaultRef: Part = { then: (_s, me) => { me.fref = false; } };
const result = (res: 'OK' | 'FAIL' | 'NOPAGE'): Part => ({ then: (_s, me) => { me.res = res; } });
/** The fault returns and the CPU refaults; locals reset so a retry is the same state. */
const reset: Part = {
  then: (_s, me) => {
    me.fref = false;
    me.res = 'NONE';
  },
};
const setSigbus: Part = { then: (s) => { s.sigbus = true; } };
/**
 * The refcount check of folio_migrate_mapping(): refcount == folio_expected_refs()
 * (the collect ref, plus the fault page's ref when accounted). Written here, not
 * with the refcount block's is(n): the expected number depends on the thread's
 * own fref, and is(n) takes a constant.
 */
const expectedRefs: Part = { when: (s, me) => s.refs === 1 + (me.fref ? 1 : 0) };
const unexpectedRefs: Part = { when: (s, me) => s.refs !== 1 + (me.fref ? 1 : 0) };
/**
 * Nothing to collect: the PTE changed or P is locked. One guard, not two
 * alternatives: where both hold, two steps would be two transitions. It
 * reads PG_locked itself (the pageLock block's `page_locked`).
 */
const nothingToCollect: Part = { when: (s) => !(s.pte === 'DEVPRIV' && !s.page_locked) };
const markMigrated: Part = { then: (s) => { s.migrated = true; } };

/** What a fault thread's paths need: P's page lock and references, and the parameters that change a path. */
interface Ctx {
  page: ReturnType<typeof pageOf>;
  refs: ReturnType<typeof refsOf>;
  /** A failed migration (res FAIL) ends the fault with VM_FAULT_SIGBUS: the guards of the two ways out. */
  lives: Part;
  dies: Part;
  checkSlack: number;
  waitContended: boolean;
}

/** folio_put(): drop one reference (the block's put_page VM_BUG_ON_PAGE(page_ref_count(page) == 0) is the assertion refs-put-at-zero); the last one frees P. */
const putRef = (c: Ctx): (Part | Fragment)[] => [c.refs.put(), freeAtZero];
/** The fault returns: refault (F0), or, after a failed migration in sigbus mode, VM_FAULT_SIGBUS (killed). */
function returnFromFault(c: Ctx, at: string, name: string, effect: (Part | Fragment)[], doc: string, sigbusDoc: string): Steps {
  return {
    [name]: step([c.lives, ...effect, reset], { at, next: 'F0', doc }),
    [`${name}_sigbus`]: step([c.dies, ...effect, setSigbus], { at, next: 'killed', doc: sigbusDoc }),
  };
}

// ---- F0 on a migration entry: the waiter (spec §4.1) ----------------------------------

/** Before v5.0: __migration_entry_wait takes a page reference and holds it across wait_on_page_locked(). */
const refWhileWaiting = (c: Ctx): Steps => ({
  migration_entry_wait: step([pte.mig, touch, c.refs.get()], {
    at: 'F0',
    next: 'W2',
    doc: '__migration_entry_wait (<= v5.16): under the PTL, is_migration_entry, get_page_unless_zero(page); pte_unmap_unlock',
  }),
  wait_on_page_locked: step([touch, c.page.queueIfLocked('T')], { at: 'W2', next: 'W4r', doc: 'wait_on_page_locked -> wait_on_page_bit_common: under q->lock set PG_waiters, queue if PG_locked' }),
  woken_holding_ref: step([c.page.woken('T')], { at: 'W4r', next: 'W3r', doc: 'io_schedule() until WQ_FLAG_WOKEN, still holding the page reference' }),
  put_page_after_wait: step([...putRef(c), reset], { at: 'W3r', next: 'F0', doc: '__migration_entry_wait (< v5.0): put_page after wait_on_page_locked; return, refault' }),
});

/** v5.0-v5.16: the same reference, dropped by put_and_wait_on_page_locked() just after queueing, before sleeping. */
const putAndWait = (c: Ctx): Steps => ({
  migration_entry_wait: refWhileWaiting(c).migration_entry_wait!,
  put_and_wait_on_page_locked: step([touch, c.page.queueIfLocked('T')], {
    at: 'W2',
    next: 'W3',
    doc: 'put_and_wait_on_page_locked -> wait_on_page_bit_common(DROP): under q->lock set PG_waiters, queue if PG_locked',
  }),
  put_and_wait_drop: step(putRef(c), { at: 'W3', next: 'W4', doc: 'wait_on_page_bit_common(DROP): put_page after the q->lock section, before sleeping' }),
  ...woken(c),
});

/** v5.17+ (ffa65753c431): migration_entry_wait_on_locked() queues under the PTL and takes no reference. */
const waitOnLocked = (c: Ctx): Steps => ({
  // The refault branch (not queued) is unreachable: invariant mig-implies-locked.
  migration_entry_wait: step([pte.mig, touch, c.page.queueIfLocked('T')], {
    at: 'F0',
    next: (s, me) => (s.page_wq.get(me.id) ? 'W4' : 'F0'),
    doc: 'migration_entry_wait -> migration_entry_wait_on_locked: under the PTL, take q->lock, queue if PG_locked, only then drop the PTL; no page reference',
  }),
  ...woken(c),
});

/** A broken fix: the waiter drops the PTL before queueing on P, holding no reference. */
const waitUnlockedPtl = (c: Ctx): Steps => ({
  migration_entry_wait: step([pte.mig], { at: 'F0', next: 'WQ', doc: 'migration_entry_wait (broken fix): sees the migration entry, drops the PTL, takes no reference' }),
  migration_entry_wait_on_locked: step([touch /* the use after free: no PTL, no reference */, c.page.queueIfLocked('T')], {
    at: 'WQ',
    next: (s, me) => (s.page_wq.get(me.id) ? 'W4' : 'F0'),
    doc: 'the q->lock section of migration_entry_wait_on_locked moved after the PTL was dropped: queue on P if PG_locked',
  }),
  ...woken(c),
});

/** io_schedule() until folio_wake_bit() dequeues the waiter; the fault returns and the CPU refaults. */
const woken = (c: Ctx): Steps => ({ woken: step([c.page.woken('T'), reset], { at: 'W4', next: 'F0', doc: 'io_schedule() until WQ_FLAG_WOKEN; return, refault' }) });

// ---- F0 on a device-private entry: do_swap_page -> migrate_to_ram ---------------------

/** The collect PTL section of migrate_vma_collect_pmd: folio_get, folio_trylock ok, migration entry, folio_remove_rmap_pte, folio_put (refs unchanged). */
const collect = (c: Ctx): (Part | Fragment)[] => [pte.devpriv, touch, c.page.trylockOk('T'), pte.setMig];

/** Before v6.1, no reference: do_swap_page's lockless read and migrate_vma_collect_pmd's PTL section are one step (spec §4.1). */
const collectInFault = (c: Ctx): Steps => ({
  migrate_vma_collect_pmd: step(collect(c), {
    at: 'F0',
    next: 'M4',
    doc: 'do_swap_page -> migrate_to_ram (no ref, pre-v6.1) -> migrate_vma_setup -> migrate_vma_collect_pmd under the PTL: get_page, trylock_page ok, install migration entry, page_remove_rmap, put_page',
  }),
  migrate_vma_collect_busy: step([pte.devpriv, c.page.isLocked(), touch], {
    at: 'F0',
    next: 'F0',
    doc: 'migrate_vma_collect_pmd: trylock_page failed ("best effort"), page not collected, cpages == 0, migrate_to_ram returns 0: refault',
  }),
});

/** Before v6.1 with the lockless vmf->page->pgmap->ops->migrate_to_ram() dereference (CVE-2022-3523): the read and the collect are two steps. */
const locklessDispatch = (c: Ctx): Steps => ({
  do_swap_page: step([pte.devpriv], { at: 'F0', next: 'MT', doc: 'do_swap_page (pre-v6.1): lockless orig_pte read sees a device-private entry; no PTL, no reference' }),
  migrate_vma_collect_pmd: step(collect(c), {
    at: 'MT',
    next: 'M4',
    doc: 'vmf->page->pgmap->ops->migrate_to_ram() dereferences P, then migrate_vma_collect_pmd under the PTL collects it',
  }),
  // One step for "nothing to collect": the PTE changed or P is locked (two overlapping guards would be two transitions).
  migrate_vma_collect_none: step([nothingToCollect, touch], {
    at: 'MT',
    next: 'F0',
    doc: 'vmf->page->pgmap->ops->migrate_to_ram() dereferences P; collect finds nothing to migrate, returns 0: refault',
  }),
});

/** v6.1-v6.14 (16ce101db85d): every CPU fault takes get_page before migrate_to_ram. */
const getPageFirst = (c: Ctx): Steps => ({
  do_swap_page_get_page: step([pte.devpriv, touch, c.refs.get(), takeFaultRef], {
    at: 'F0',
    next: 'M1',
    doc: 'do_swap_page (v6.1-v6.14): pte_offset_map_lock + pte_same, get_page(vmf->page), pte_unmap_unlock, then migrate_to_ram',
  }),
});

/** v6.15+ (1afaeb8293c9): trylock_page, then get_page, under the PTL; the trylock loser refaults (or, with contended=wait, sleeps on P). */
const trylockThenGetPage = (c: Ctx): Steps => ({
  do_swap_page_trylock: step([pte.devpriv, touch, c.page.trylockOk('T'), c.refs.get(), takeFaultRef], {
    at: 'F0',
    next: 'M1',
    doc: 'do_swap_page (v6.15+): under the PTL, trylock_page(vmf->page) ok, get_page, pte_unmap_unlock, then migrate_to_ram',
  }),
  ...(c.waitContended
    ? {
        do_swap_page_wait_on_locked: step([pte.devpriv, c.page.isLocked(), touch, c.page.queueIfLocked('T')], {
          at: 'F0',
          next: 'W4',
          doc: 'do_swap_page (2026 fix): trylock_page failed, migration_entry_wait_on_locked(entry, ptl) queues on P under the PTL, no reference',
        }),
      }
    : {
        do_swap_page_trylock_busy: step([pte.devpriv, c.page.isLocked(), touch], {
          at: 'F0',
          next: 'F0',
          doc: 'do_swap_page (v6.15): trylock_page failed, pte_unmap_unlock, return 0: refault',
        }),
      }),
});

// ---- migrate_to_ram, v6.1+: migrate_vma_setup (M1), migrate_vma_check_page (M2) ----------

/** v6.1-v6.14: migrate_vma_collect_pmd locks P itself (folio_trylock); a failed collect returns to do_swap_page (D2). */
const collectLocking = (c: Ctx): Steps => ({
  migrate_vma_collect_pmd: step(collect(c), {
    at: 'M1',
    next: 'M2',
    doc: 'migrate_vma_setup -> migrate_vma_collect_pmd under the PTL: folio_get, folio_trylock ok, migration entry, folio_remove_rmap_pte, folio_put',
  }),
  // As in locklessDispatch: one step for "PTE changed or P locked".
  migrate_vma_collect_none: step([nothingToCollect, result('NOPAGE')], {
    at: 'M1',
    next: 'D2',
    doc: 'migrate_vma_collect_pmd: PTE changed or folio_trylock failed; cpages == 0, migrate_to_ram returns 0',
  }),
});

/** v6.15+: do_swap_page already holds P's lock, so the collect finds fault_folio == folio locked by this very fault. */
const collectFaultLocked = (c: Ctx): Steps => ({
  migrate_vma_collect_pmd: step([pte.devpriv, touch, c.page.held('T'), pte.setMig], {
    at: 'M1',
    next: 'M2',
    doc: 'migrate_vma_setup -> migrate_vma_collect_pmd under the PTL: folio_get, fault_folio == folio (already locked), migration entry, folio_remove_rmap_pte, folio_put',
  }),
  migrate_vma_collect_none: step([pte.notDevpriv, result('NOPAGE')], {
    at: 'M1',
    next: 'D2a',
    doc: 'migrate_vma_collect_pmd: PTE changed; cpages == 0, migrate_to_ram returns 0',
  }),
});

/** migrate_vma_unmap -> migrate_device_unmap -> migrate_vma_check_page(page, fault_page), with checkSlack extra references tolerated. */
function checkPage(c: Ctx): Steps {
  const slack = c.checkSlack;
  return {
  migrate_vma_check_page: step([{ when: (s: S, me: Me) => s.refs <= 1 + (me.fref ? 1 : 0) + slack }], {
    at: 'M2',
    next: 'M4',
    doc: 'migrate_vma_unmap -> migrate_device_unmap -> migrate_vma_check_page(page, fault_page): extra = 1 + (page == fault_page) + zone-device 1; ok',
  }),
  migrate_vma_check_page_fail: step([{ when: (s: S, me: Me) => s.refs > 1 + (me.fref ? 1 : 0) + slack }, result('NOPAGE')], {
    at: 'M2',
    next: 'M5restore',
    doc: 'migrate_vma_check_page fails (ref_count - extra > mapcount): migrate_device_unmap restores the entry; cpages == 0, never SIGBUS',
  }),
  };
}

// ---- migrate_to_ram: copy + migrate_vma_pages (M4) ---------------------------------------

const commit: (Part | Fragment)[] = [touch, result('OK'), markMigrated];

/** folio_migrate_mapping(): the move commits only if the refcount is what the migrator accounts for, else -EAGAIN. */
const strictMapping = (pre61: boolean): Steps => ({
  migrate_vma_pages: step([expectedRefs, ...commit], {
    at: 'M4',
    next: 'M5ok',
    doc: pre61
      ? 'copy, migrate_vma_pages -> migrate_page -> migrate_page_move_mapping(NULL): page_count == expected_count: committed'
      : 'copy, migrate_vma_pages -> __migrate_device_pages -> folio_migrate_mapping(NULL, extra_cnt = fault page): refcount == expected: committed',
  }),
  migrate_vma_pages_eagain: step([unexpectedRefs, touch, result('FAIL')], {
    at: 'M4',
    next: 'M5restore',
    doc: 'migrate_vma_pages: refcount != expected, -EAGAIN, MIGRATE_PFN_MIGRATE cleared',
  }),
});

/** The Feb-2021 patch: migrate_page_move_mapping skips the check for device-private pages. */
const skipMappingCheck = (): Steps => ({
  migrate_vma_pages: step(commit, {
    at: 'M4',
    next: 'M5ok',
    doc: 'copy, migrate_vma_pages -> migrate_page_move_mapping with the 2021 patch: !is_device_private_page(page) && page_count != expected is never true: committed regardless of refs',
  }),
});

// ---- migrate_vma_finalize (M5, M6) ---------------------------------------------------------

/** remove_migration_ptes: map Q (committed) or restore P's device-private entry, one PTL section each. */
const removeMigrationPtes = (c: Ctx): Steps => ({
  remove_migration_ptes: step([{ then: (s: S) => s.assert(s.pte === 'MIG', 'pte-is-migration-entry') }, pte.setRam], {
    at: 'M5ok',
    next: 'M6',
    doc: 'migrate_vma_finalize -> remove_migration_ptes(P, Q): the PTE now maps the RAM page Q',
  }),
  // remove_migration_pte: folio_get for the restored mapping.
  remove_migration_ptes_restore: step([touch, pte.setDevpriv, c.refs.get()], {
    at: 'M5restore',
    next: 'M6',
    doc: 'remove_migration_ptes(P, P) from migrate_vma_finalize or migrate_device_unmap: restore the device-private entry, folio_get',
  }),
});

/**
 * The rest of finalize for src: folio_unlock (unless P is the fault's own
 * locked page, v6.15+), folio_put of the collect ref. Before v6.1 this is
 * also the return of migrate_to_ram to do_swap_page, which holds nothing.
 */
function finalize(c: Ctx, f: Flags): Steps {
  const parts = [touch, ...(f.fl ? [] : [c.page.unlock('T')]), ...putRef(c)];
  const doc = f.fl
    ? '__migrate_device_finalize: fault_folio == src, so no folio_unlock; folio_put(src) (the collect ref)'
    : f.checkVma
      ? '__migrate_device_finalize: folio_unlock(src) (clear PG_locked, wake waiters); folio_put(src)'
      : 'migrate_vma_finalize: unlock_page(page) (clear PG_locked, wake waiters); put_page(page)';
  if (f.dispatch === 'COLLECT' || f.dispatch === 'LOCKLESS')
    return returnFromFault(c, 'M6', 'migrate_vma_finalize', parts, `${doc}; migrate_to_ram returns 0 and the CPU refaults`, `${doc}; migrate_to_ram returns VM_FAULT_SIGBUS (the migrate_vma_setup contract)`);
  return { migrate_vma_finalize: step(parts, { at: 'M6', next: f.fl ? 'D2a' : 'D2', doc }) };
}

// ---- do_swap_page after migrate_to_ram returns (v6.1+) ---------------------------------------

const putDoc = 'do_swap_page: put_page(vmf->page), drops the fault reference';
const unlockDoc = 'do_swap_page: unlock_page(vmf->page), clear PG_locked and wake the waiters';
const putFault = (c: Ctx) => [...putRef(c), dropFaultRef];
const unlockFault = (c: Ctx) => [touch, c.page.unlock('T')];

/** v6.1-v6.14: put_page(vmf->page); the page lock was migrate_to_ram's own. */
const putFaultRef = (c: Ctx): Steps => returnFromFault(c, 'D2', 'do_swap_page_put_page', putFault(c), `${putDoc}; return (refault)`, `${putDoc}; migrate_to_ram returned VM_FAULT_SIGBUS`);

/** v6.15+: unlock_page(vmf->page), then put_page(vmf->page). */
const unlockThenPut = (c: Ctx): Steps => ({
  do_swap_page_unlock_page: step(unlockFault(c), { at: 'D2a', next: 'D2b', doc: unlockDoc }),
  ...returnFromFault(c, 'D2b', 'do_swap_page_put_page', putFault(c), `${putDoc}; return (refault)`, `${putDoc}; migrate_to_ram returned VM_FAULT_SIGBUS`),
});

/** The order rejected in review of 1afaeb8293c9: put_page(vmf->page), then unlock_page(vmf->page) on a page that may be gone. */
const putThenUnlock = (c: Ctx): Steps => ({
  do_swap_page_put_page: step(putFault(c), { at: 'D2a', next: 'D2b', doc: putDoc }),
  ...returnFromFault(c, 'D2b', 'do_swap_page_unlock_page', unlockFault(c), `${unlockDoc}; return (refault)`, `${unlockDoc}; migrate_to_ram returned VM_FAULT_SIGBUS`),
});

/** A fault thread of variant `f`: the paths of its row in the table at the top. */
function faultSteps(c: Ctx, f: Flags): Steps {
  const waiter = { REF_SLEEP: refWhileWaiting, PUT_AND_WAIT: putAndWait, ON_LOCKED: waitOnLocked, UNLOCKED_PTL: waitUnlockedPtl }[f.wait];
  const dispatch = { COLLECT: collectInFault, LOCKLESS: locklessDispatch, REF: getPageFirst, TRYLOCK_REF: trylockThenGetPage }[f.dispatch];
  const v61 = f.dispatch === 'REF' || f.dispatch === 'TRYLOCK_REF';
  return {
    fault_present: step([pte.ram], { at: 'F0', next: 'done', doc: 'handle_pte_fault: the PTE maps the RAM page; the access succeeds' }),
    ...waiter(c),
    ...dispatch(c),
    ...(v61 ? (f.fl ? collectFaultLocked(c) : collectLocking(c)) : {}),
    ...(f.checkVma ? checkPage(c) : {}),
    ...(f.checkMap === 'STRICT' ? strictMapping(!v61) : skipMappingCheck()),
    ...removeMigrationPtes(c),
    ...finalize(c, f),
    ...(v61 ? (!f.fl ? putFaultRef(c) : f.putFirst ? putThenUnlock(c) : unlockThenPut(c)) : {}),
  };
}

/** A legitimate user that finds P through the CPU page table and pins it for a while (spec §4.3). */
const holderSteps = (c: Ctx): Steps => ({
  holder_get_page: step([pte.devpriv, touch, c.refs.get()], { at: 'H1', next: 'H2', doc: 'a legitimate user finds P through the CPU page table and pins it: get_page under the PTL' }),
  holder_lookup_none: step([pte.notDevpriv], { at: 'H1', next: 'Hdone', doc: 'the PTE no longer maps P: nothing to pin' }),
  holder_use_page: step([touch, { then: (s: S) => s.assert(!s.migrated, 'no-stale-access') }], {
    at: 'H2',
    next: 'H3',
    doc: "the holder reads or writes P's data or metadata (e.g. zone_device_data): must not be a migrated-away page",
  }),
  holder_put_page: step(putRef(c), { at: 'H3', next: 'Hdone', doc: 'put_page' }),
});

export default builtin(import.meta.url, defineModel({
  name: 'migration-entry-wait',
  title: 'Migration-entry waiters vs. the migration refcount check (device-private pages)',
  category: 'kernel',
  description:
    'A CPU fault on a device-private PTE runs do_swap_page(), whose migrate_to_ram() installs a migration entry, locks the page ' +
    'and only switches the PTE to the new RAM page if the page refcount is exactly what the migrator accounts for. Other threads ' +
    'faulting on the migration entry wait in migration_entry_wait(). Until v5.17 that waiter took a page reference (held across ' +
    'the sleep before v5.0; dropped right after queueing by put_and_wait_on_page_locked() from v5.0), which makes the refcount ' +
    'check fail: two threads faulting one device page ping-pong forever, or the driver returns VM_FAULT_SIGBUS. A 2021 patch ' +
    'proposed skipping the check for device-private pages (rejected: a real extra reference then uses a migrated-away page). ' +
    'ffa65753c431 (v5.17) added migration_entry_wait_on_locked(), which queues under the PTL with no reference. v6.1 ' +
    '(16ce101db85d) brought the bug back as a fault-path get_page() before migrate_to_ram(); v6.15 (1afaeb8293c9) takes the ' +
    'reference only after trylock_page() under the PTL and accounts it as fault_page.',
  params: {
    faulters: int(2, 16, 2),
    holder: int(0, 1, 0),
    onFailure: oneOf('retry', 'sigbus'),
    checkSlack: int(0, 1, 1),
    contended: oneOf('refault', 'wait'),
  },
  variants: {
    'wait-on-locked': "v6.15+: migration_entry_wait_on_locked (no waiter ref, v5.17) and do_swap_page's trylock_page + get_page under the PTL, the fault page accounted (1afaeb8293c9)",
    'ref-while-waiting': 'before v5.0: the waiter holds a page reference across its sleep on the page lock',
    'put-and-wait': 'v5.0-v5.16: put_and_wait_on_page_locked drops the waiter reference just after queueing',
    'skip-refcount-check': {
      description: 'Feb-2021 patch (not merged): migrate_page_move_mapping skips the expected_count check for device-private pages',
      defaults: { holder: 1 },
    },
    'wait-unlocked-ptl': 'a broken fix: the waiter drops the page-table lock before queueing on the page, holding no reference',
    'fault-get-page': 'v6.1-v6.14: every CPU fault takes get_page before migrate_to_ram; only the faulting page\'s own ref is accounted',
    'lockless-dispatch': 'put-and-wait with the lockless vmf->page->pgmap->ops->migrate_to_ram() dereference (CVE-2022-3523, fixed in v6.1)',
    'put-before-unlock': 'wait-on-locked with do_swap_page doing put_page before unlock_page (the order rejected in review of 1afaeb8293c9)',
  },
  expect: {
    'wait-on-locked': [
      { verdict: 'pass', states: 41, transitions: 60 },
      { verdict: 'pass', params: { faulters: 3 }, states: 147, transitions: 288 },
      { verdict: 'pass', params: { faulters: 4 }, states: 505, transitions: 1228 },
      { verdict: 'pass', params: { onFailure: 'sigbus' }, states: 41, transitions: 60 },
      { verdict: 'pass', params: { contended: 'wait' }, states: 43, transitions: 62 },
      { verdict: 'pass', params: { faulters: 4, contended: 'wait' }, states: 533, transitions: 1292 },
      // Realistic sizes: the unreduced check of every variant stays under a minute up to these (faulters = 9 of this variant
      // takes longer); beyond them use --symmetry --no-liveness (no thread ids in the state: any number of faulters).
      { verdict: 'pass', params: { faulters: 5 }, states: 1703, transitions: 4930 },
      { verdict: 'pass', params: { faulters: 6 }, states: 5685, transitions: 19062 },
      { verdict: 'pass', params: { faulters: 7 }, states: 18847, transitions: 71764, bench: true },
      { verdict: 'pass', params: { faulters: 8 }, states: 62129, transitions: 264664, bench: true },
      { verdict: 'pass', params: { faulters: 8, contended: 'wait' }, states: 63145, transitions: 269208, bench: true },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        params: { holder: 1 },
        length: 24,
        note:
          'Finding (spec §7.6), not a translation error. The holder\'s transient reference makes one attempt fail; from then on ' +
          'the loser of each round sits between unlock_page() and put_page() in do_swap_page (D2a -> D2b: page unlocked, fault ' +
          'ref still held), the other thread wins trylock_page, and its folio_migrate_mapping() sees that lingering ref and ' +
          'fails; the roles alternate forever. Weakly (and strongly) fair, but it needs a whole migration attempt to fit in that ' +
          'two-line window every round. Swapping the two calls is no fix: put-before-unlock is a use after free.',
      },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        params: { holder: 1, contended: 'wait' },
        length: 25,
        note: 'The same D2a -> D2b window with the 2026 fix (the trylock loser sleeps instead of refaulting).',
      },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { holder: 1, faulters: 4 }, length: 26 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { holder: 1, faulters: 5 }, length: 27, bench: true },
      {
        verdict: 'violation',
        kind: 'invariant',
        property: 'no-sigbus',
        params: { holder: 1, onFailure: 'sigbus' },
        length: 9,
        note: 'Correct kernel behaviour: a real transient reference makes the migration fail; this is why drivers retry.',
      },
    ],
    'ref-while-waiting': [
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 8 },
      { verdict: 'violation', kind: 'invariant', property: 'no-sigbus', params: { onFailure: 'sigbus' }, length: 5 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 4 }, length: 16 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 6 }, length: 24, bench: true },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 7 }, length: 28, bench: true },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 8 }, length: 32, bench: true },
    ],
    'put-and-wait': [
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 8 },
      { verdict: 'violation', kind: 'invariant', property: 'no-sigbus', params: { onFailure: 'sigbus' }, length: 5 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 4 }, length: 16 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 6 }, length: 24, bench: true },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 7 }, length: 28, bench: true },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 8 }, length: 32, bench: true },
    ],
    'skip-refcount-check': [
      { verdict: 'violation', kind: 'assertion', property: 'no-stale-access', length: 4 },
      { verdict: 'pass', params: { holder: 0 }, states: 43, transitions: 68, note: 'Without a real extra reference the patch looks fine: no livelock.' },
      { verdict: 'pass', params: { holder: 0, faulters: 4 }, states: 1557, transitions: 4744 },
      { verdict: 'pass', params: { holder: 0, faulters: 5 }, states: 8568, transitions: 32155, bench: true },
      { verdict: 'pass', params: { holder: 0, faulters: 6 }, states: 45935, transitions: 204000, bench: true },
      { verdict: 'violation', kind: 'assertion', property: 'no-stale-access', params: { faulters: 8 }, length: 4 },
    ],
    'wait-unlocked-ptl': [
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', length: 10 },
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', params: { faulters: 4 }, length: 10 },
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', params: { faulters: 8 }, length: 10, bench: true },
    ],
    'fault-get-page': [
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 10 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 3 }, length: 12 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 4 }, length: 15 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 5 }, length: 18 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 6 }, length: 21, bench: true },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 7 }, length: 24, bench: true },
      { verdict: 'violation', kind: 'invariant', property: 'no-sigbus', params: { onFailure: 'sigbus' }, length: 8 },
      {
        verdict: 'violation',
        kind: 'livelock',
        property: 'non-progress-cycle',
        params: { onFailure: 'sigbus', checkSlack: 0 },
        length: 9,
        note: 'With no slack in migrate_vma_check_page the failure moves to M2 (cpages == 0, never SIGBUS); the livelock stays.',
      },
    ],
    'lockless-dispatch': [
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', length: 7 },
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', params: { faulters: 8 }, length: 7 },
    ],
    'put-before-unlock': [
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', length: 8 },
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', params: { faulters: 8 }, length: 8 },
    ],
  },
  shared,
  blocks: ({ faulters }) => [pageOf(faulters), refsOf(faulters)],
  threads: ({ faulters, holder, onFailure, checkSlack, contended }, variant) => {
    const f = FLAGS[variant ?? 'wait-on-locked']!;
    const sigbusMode = onFailure === 'sigbus';
    const c: Ctx = {
      page: pageOf(faulters),
      refs: refsOf(faulters),
      lives: { when: (_s: S, me: Me) => !(sigbusMode && me.res === 'FAIL') },
      dies: { when: (_s: S, me: Me) => sigbusMode && me.res === 'FAIL' },
      checkSlack,
      // wait-unlocked-ptl always refaults on trylock failure (spec §2).
      waitContended: contended === 'wait' && variant !== 'wait-unlocked-ptl',
    };
    const groups: ThreadGroupDef<Shared>[] = [
      replicate(faulters, 'T', {
        locals: faultLocals(),
        start: 'F0',
        end: ['done', 'killed'],
        progress: ['M5ok'],
        steps: faultSteps(c, f),
      }),
    ];
    if (holder === 1) groups.push(thread('H', { start: 'H1', end: ['Hdone'], steps: holderSteps(c) as Record<string, StepDef<Shared>> }));
    return groups;
  },
  invariants: {
    'no-sigbus': (s) => !s.sigbus,
    'mig-implies-locked': (s) => s.pte !== 'MIG' || s.page_locked,
    'free-implies-unreferenced': (s) => s.pState !== 'FREE' || (s.refs === 0 && s.pte === 'RAM'),
  },
}));
