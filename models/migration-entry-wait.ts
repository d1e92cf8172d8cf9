import { defineModel, bool, int, oneOf, array, thread, replicate } from '../src/index.ts';
import type { StateView, LocalView, StepDef, ThreadGroupDef } from '../src/index.ts';

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
 * - the page-table lock (PTL) is not a variable: every PTL critical section
 *   is exactly one atomic step. A step with several guarded alternatives at
 *   one label is one PTL section that branches on what it reads under the
 *   lock (the guards are complementary, so the thread is never blocked there);
 * - `refs` counts the transient references to P (the device-private PTE's
 *   mapping ref, the collect ref, fault refs, waiter refs, the holder's ref),
 *   leaving out the Era-A permanent ZONE_DEVICE base ref, which is on both
 *   sides of every comparison;
 * - `exp` = 1 + (fref ? 1 : 0): the references the migrator accounts for (its
 *   collect ref, plus its own fault ref as `fault_page` when it has one).
 *
 * Per-variant flags (spec §2):
 *   dispatch  what F0 does on a device-private PTE: COLLECT (pre-v6.1, no
 *             ref; the lockless read merged with the collect PTL section),
 *             LOCKLESS (the same, split: spec §8, CVE-2022-3523),
 *             REF (v6.1-v6.14 get_page), TRYLOCK_REF (v6.15+)
 *   wait      what F0 does on a migration entry: REF_SLEEP (< v5.0),
 *             PUT_AND_WAIT (v5.0-v5.16), ON_LOCKED (v5.17+), UNLOCKED_PTL
 *   checkVma  migrate_vma_check_page() checks the count (v6.1+ fault_page form)
 *   checkMap  folio_migrate_mapping() refcount check: STRICT or SKIP (2021 patch)
 *   fl        the fault path holds the page lock across migrate_to_ram (v6.15+)
 *
 * Beyond the spec: touch(P) (the no-uaf assertion) is also done where the
 * migrator or the fault path unlocks, copies or re-maps P (M4, M5restore, M6,
 * D2a); it always holds there in the spec's variants and is what catches the
 * use after free in `put-before-unlock`.
 */

export type Dispatch = 'COLLECT' | 'LOCKLESS' | 'REF' | 'TRYLOCK_REF';
export type Wait = 'REF_SLEEP' | 'PUT_AND_WAIT' | 'ON_LOCKED' | 'UNLOCKED_PTL';
export interface Flags {
  dispatch: Dispatch;
  wait: Wait;
  checkVma: boolean;
  checkMap: 'STRICT' | 'SKIP';
  fl: boolean;
  /** put_page(vmf->page) before unlock_page(vmf->page) in do_swap_page (the order Popple rejected). */
  putFirst: boolean;
}

/** Per-variant flags; also read by the SPIN/Murphi ports in bench/peers. */
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

const shared = ({ faulters }: { readonly faulters: number }) => ({
  pte: oneOf('DEVPRIV', 'MIG', 'RAM'),
  locked: bool(),
  parked: array(faulters, bool()).indexedBy('T'),
  refs: int(0, faulters + 3, 1),
  pState: oneOf('ALLOC', 'FREE'),
  migrated: bool(),
  sigbus: bool(),
});
/** A fault thread's locals: it holds a fault reference; the result of its migration attempt. */
const faultLocals = () => ({ fref: bool(), res: oneOf('NONE', 'OK', 'FAIL', 'NOPAGE') });
type Shared = ReturnType<typeof shared>;
type FaultLocals = ReturnType<typeof faultLocals>;
type State = StateView<Shared>;
type Fault = LocalView<FaultLocals>;

// ---- the spec's notation (§4) -------------------------------------------------

/** touch(P): any access to struct page P must find it allocated. */
const touch = (s: State) => s.assert(s.pState === 'ALLOC', 'no-uaf');
/** put(): drop one reference; the last one frees P (page_free / back to the driver). */
const put = (s: State) => {
  s.assert(s.refs > 0, 'ref-sane');
  s.refs = s.refs - 1;
  if (s.refs === 0) s.pState = 'FREE';
};
/** wakeAll(): folio_wake_bit wakes every non-exclusive waiter on P's wait queue. */
const wakeAll = (s: State) => s.parked.fill(false);
/** backToF0: the fault returns and the CPU refaults; locals reset so a retry is the same state. */
const reset = (me: Fault) => {
  me.fref = false;
  me.res = 'NONE';
};
const exp = (me: Fault) => 1 + (me.fref ? 1 : 0);

export default defineModel({
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
    ],
    'put-and-wait': [
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 8 },
      { verdict: 'violation', kind: 'invariant', property: 'no-sigbus', params: { onFailure: 'sigbus' }, length: 5 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 4 }, length: 16 },
    ],
    'skip-refcount-check': [
      { verdict: 'violation', kind: 'assertion', property: 'no-stale-access', length: 4 },
      { verdict: 'pass', params: { holder: 0 }, states: 43, transitions: 68, note: 'Without a real extra reference the patch looks fine: no livelock.' },
      { verdict: 'pass', params: { holder: 0, faulters: 4 }, states: 1557, transitions: 4744 },
    ],
    'wait-unlocked-ptl': [
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', length: 10 },
      { verdict: 'violation', kind: 'assertion', property: 'no-uaf', params: { faulters: 4 }, length: 10 },
    ],
    'fault-get-page': [
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', length: 10 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 3 }, length: 12 },
      { verdict: 'violation', kind: 'livelock', property: 'non-progress-cycle', params: { faulters: 4 }, length: 15 },
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
    'lockless-dispatch': [{ verdict: 'violation', kind: 'assertion', property: 'no-uaf', length: 7 }],
    'put-before-unlock': [{ verdict: 'violation', kind: 'assertion', property: 'no-uaf', length: 8 }],
  },
  shared,
  threads: ({ faulters, holder, onFailure, checkSlack, contended }, variant) => {
    const f = FLAGS[variant ?? 'wait-on-locked']!;
    const sigbusMode = onFailure === 'sigbus';
    // wait-unlocked-ptl always refaults on trylock failure (spec §2).
    const waitContended = contended === 'wait' && variant !== 'wait-unlocked-ptl';
    /** A failed migration (res FAIL) ends the fault with VM_FAULT_SIGBUS in sigbus mode. */
    const dies = (me: Fault) => sigbusMode && me.res === 'FAIL';

    const steps: Record<string, StepDef<Shared, FaultLocals>> = {
      // ---- F0: fault entry, one PTL section (spec §4.1) ----------------------------
      fault_present: {
        at: 'F0',
        when: (s) => s.pte === 'RAM',
        next: 'done',
        doc: 'handle_pte_fault: the PTE maps the RAM page; the access succeeds',
      },
    };

    // F0 on a migration entry.
    if (f.wait === 'REF_SLEEP' || f.wait === 'PUT_AND_WAIT') {
      steps.migration_entry_wait = {
        at: 'F0',
        when: (s) => s.pte === 'MIG',
        then: (s) => {
          touch(s);
          s.assert(s.refs > 0, 'ref-sane'); // the collect ref is held while pte == MIG
          s.refs = s.refs + 1;
        },
        next: 'W2',
        reads: ['pte', 'pState', 'refs'],
        writes: ['refs'],
        asserts: true,
        doc: '__migration_entry_wait (<= v5.16): under the PTL, is_migration_entry, get_page_unless_zero(page); pte_unmap_unlock',
      };
    } else if (f.wait === 'ON_LOCKED') {
      steps.migration_entry_wait = {
        at: 'F0',
        when: (s) => s.pte === 'MIG',
        then: (s, me) => {
          touch(s);
          if (s.locked) s.parked.set(me.id, true);
        },
        // The else branch (not parked: refault) is unreachable: invariant mig-implies-locked.
        next: (s, me) => (s.parked.get(me.id) ? 'W4' : 'F0'),
        reads: ['pte', 'pState', 'locked', 'parked'],
        writes: ['parked'],
        asserts: true,
        doc: 'migration_entry_wait -> migration_entry_wait_on_locked: under the PTL, take q->lock, queue if PG_locked, only then drop the PTL; no page reference',
      };
    } else {
      steps.migration_entry_wait = {
        at: 'F0',
        when: (s) => s.pte === 'MIG',
        next: 'WQ',
        doc: 'migration_entry_wait (broken fix): sees the migration entry, drops the PTL, takes no reference',
      };
    }

    // F0 on a device-private entry.
    const collectOk = (s: State) => {
      touch(s);
      s.locked = true;
      s.pte = 'MIG'; // refs unchanged: collect get_page +1, page_remove_rmap + put_page -1
    };
    switch (f.dispatch) {
      case 'COLLECT':
        steps.migrate_vma_collect_pmd = {
          at: 'F0',
          when: (s) => s.pte === 'DEVPRIV' && !s.locked,
          then: collectOk,
          next: 'M4',
          reads: ['pte', 'locked', 'pState'],
          writes: ['locked', 'pte'],
          asserts: true,
          doc: 'do_swap_page -> migrate_to_ram (no ref, pre-v6.1) -> migrate_vma_setup -> migrate_vma_collect_pmd under the PTL: get_page, trylock_page ok, install migration entry, page_remove_rmap, put_page',
        };
        steps.migrate_vma_collect_busy = {
          at: 'F0',
          when: (s) => s.pte === 'DEVPRIV' && s.locked,
          then: (s) => touch(s),
          next: 'F0',
          reads: ['pte', 'locked', 'pState'],
          asserts: true,
          doc: 'migrate_vma_collect_pmd: trylock_page failed ("best effort"), page not collected, cpages == 0, migrate_to_ram returns 0: refault',
        };
        break;
      case 'LOCKLESS':
        steps.do_swap_page = {
          at: 'F0',
          when: (s) => s.pte === 'DEVPRIV',
          next: 'MT',
          doc: 'do_swap_page (pre-v6.1): lockless orig_pte read sees a device-private entry; no PTL, no reference',
        };
        steps.migrate_vma_collect_pmd = {
          at: 'MT',
          when: (s) => s.pte === 'DEVPRIV' && !s.locked,
          then: collectOk,
          next: 'M4',
          reads: ['pte', 'locked', 'pState'],
          writes: ['locked', 'pte'],
          asserts: true,
          doc: 'vmf->page->pgmap->ops->migrate_to_ram() dereferences P, then migrate_vma_collect_pmd under the PTL collects it',
        };
        steps.migrate_vma_collect_none = {
          at: 'MT',
          when: (s) => !(s.pte === 'DEVPRIV' && !s.locked),
          then: (s) => touch(s),
          next: 'F0',
          reads: ['pte', 'locked', 'pState'],
          asserts: true,
          doc: 'vmf->page->pgmap->ops->migrate_to_ram() dereferences P; collect finds nothing to migrate, returns 0: refault',
        };
        break;
      case 'REF':
        steps.do_swap_page_get_page = {
          at: 'F0',
          when: (s) => s.pte === 'DEVPRIV',
          then: (s, me) => {
            touch(s);
            s.refs = s.refs + 1;
            me.fref = true;
          },
          next: 'M1',
          reads: ['pte', 'pState', 'refs'],
          writes: ['refs'],
          asserts: true,
          doc: 'do_swap_page (v6.1-v6.14): pte_offset_map_lock + pte_same, get_page(vmf->page), pte_unmap_unlock, then migrate_to_ram',
        };
        break;
      case 'TRYLOCK_REF':
        steps.do_swap_page_trylock = {
          at: 'F0',
          when: (s) => s.pte === 'DEVPRIV' && !s.locked,
          then: (s, me) => {
            touch(s);
            s.locked = true;
            s.refs = s.refs + 1;
            me.fref = true;
          },
          next: 'M1',
          reads: ['pte', 'locked', 'pState', 'refs'],
          writes: ['locked', 'refs'],
          asserts: true,
          doc: 'do_swap_page (v6.15+): under the PTL, trylock_page(vmf->page) ok, get_page, pte_unmap_unlock, then migrate_to_ram',
        };
        if (waitContended) {
          steps.do_swap_page_wait_on_locked = {
            at: 'F0',
            when: (s) => s.pte === 'DEVPRIV' && s.locked,
            then: (s, me) => {
              touch(s);
              s.parked.set(me.id, true);
            },
            next: 'W4',
            reads: ['pte', 'locked', 'pState'],
            writes: ['parked'],
            asserts: true,
            doc: 'do_swap_page (2026 fix): trylock_page failed, migration_entry_wait_on_locked(entry, ptl) queues on P under the PTL, no reference',
          };
        } else {
          steps.do_swap_page_trylock_busy = {
            at: 'F0',
            when: (s) => s.pte === 'DEVPRIV' && s.locked,
            then: (s) => touch(s),
            next: 'F0',
            reads: ['pte', 'locked', 'pState'],
            asserts: true,
            doc: 'do_swap_page (v6.15): trylock_page failed, pte_unmap_unlock, return 0: refault',
          };
        }
        break;
    }

    // ---- M1: collect, one PTL section (v6.1+) --------------------------------------
    const afterMigrate = f.fl ? 'D2a' : 'D2';
    const collects = (s: State) => s.pte === 'DEVPRIV' && (f.fl || !s.locked);
    if (f.dispatch === 'REF' || f.dispatch === 'TRYLOCK_REF') {
      steps.migrate_vma_collect_pmd = {
        at: 'M1',
        when: collects,
        then: (s) => {
          touch(s);
          if (f.fl) s.assert(s.locked, 'fault-page-locked');
          else s.locked = true;
          s.pte = 'MIG';
        },
        next: 'M2',
        // With fl the guard does not read `locked` and the effect only asserts it.
        reads: ['pte', 'locked', 'pState'],
        writes: f.fl ? ['pte'] : ['pte', 'locked'],
        asserts: true,
        doc: f.fl
          ? 'migrate_vma_setup -> migrate_vma_collect_pmd under the PTL: folio_get, fault_folio == folio (already locked), migration entry, folio_remove_rmap_pte, folio_put'
          : 'migrate_vma_setup -> migrate_vma_collect_pmd under the PTL: folio_get, folio_trylock ok, migration entry, folio_remove_rmap_pte, folio_put',
      };
      steps.migrate_vma_collect_none = {
        at: 'M1',
        when: (s) => !collects(s),
        then: (_s, me) => {
          me.res = 'NOPAGE';
        },
        next: afterMigrate,
        reads: f.fl ? ['pte'] : ['pte', 'locked'],
        doc: 'migrate_vma_collect_pmd: PTE changed or folio_trylock failed; cpages == 0, migrate_to_ram returns 0',
      };
    }

    // ---- M2: migrate_vma_check_page (v6.1+) ------------------------------------------
    if (f.checkVma) {
      steps.migrate_vma_check_page = {
        at: 'M2',
        when: (s, me) => s.refs <= exp(me) + checkSlack,
        next: 'M4',
        doc: 'migrate_vma_unmap -> migrate_device_unmap -> migrate_vma_check_page(page, fault_page): extra = 1 + (page == fault_page) + zone-device 1; ok',
      };
      steps.migrate_vma_check_page_fail = {
        at: 'M2',
        when: (s, me) => s.refs > exp(me) + checkSlack,
        then: (_s, me) => {
          me.res = 'NOPAGE';
        },
        next: 'M5restore',
        doc: 'migrate_vma_check_page fails (ref_count - extra > mapcount): migrate_device_unmap restores the entry; cpages == 0, never SIGBUS',
      };
    }

    // ---- M4: copy + migrate_vma_pages --------------------------------------------------
    const commit = (s: State, me: Fault) => {
      touch(s);
      me.res = 'OK';
      s.migrated = true;
    };
    if (f.checkMap === 'STRICT') {
      steps.migrate_vma_pages = {
        at: 'M4',
        when: (s, me) => s.refs === exp(me),
        then: commit,
        next: 'M5ok',
        reads: ['refs', 'pState'],
        writes: ['migrated'],
        asserts: true,
        doc: f.dispatch === 'COLLECT' || f.dispatch === 'LOCKLESS'
          ? 'copy, migrate_vma_pages -> migrate_page -> migrate_page_move_mapping(NULL): page_count == expected_count: committed'
          : 'copy, migrate_vma_pages -> __migrate_device_pages -> folio_migrate_mapping(NULL, extra_cnt = fault page): refcount == expected: committed',
      };
      steps.migrate_vma_pages_eagain = {
        at: 'M4',
        when: (s, me) => s.refs !== exp(me),
        then: (s, me) => {
          touch(s);
          me.res = 'FAIL';
        },
        next: 'M5restore',
        reads: ['refs', 'pState'],
        asserts: true,
        doc: 'migrate_vma_pages: refcount != expected, -EAGAIN, MIGRATE_PFN_MIGRATE cleared',
      };
    } else {
      steps.migrate_vma_pages = {
        at: 'M4',
        then: commit,
        next: 'M5ok',
        reads: ['pState'],
        writes: ['migrated'],
        asserts: true,
        doc: 'copy, migrate_vma_pages -> migrate_page_move_mapping with the 2021 patch: !is_device_private_page(page) && page_count != expected is never true: committed regardless of refs',
      };
    }

    // ---- M5: remove_migration_ptes, one PTL section ------------------------------------
    steps.remove_migration_ptes = {
      at: 'M5ok',
      then: (s) => {
        s.assert(s.pte === 'MIG', 'pte-is-migration-entry');
        s.pte = 'RAM';
      },
      next: 'M6',
      doc: 'migrate_vma_finalize -> remove_migration_ptes(P, Q): the PTE now maps the RAM page Q',
    };
    steps.remove_migration_ptes_restore = {
      at: 'M5restore',
      then: (s) => {
        touch(s);
        s.pte = 'DEVPRIV';
        s.refs = s.refs + 1; // remove_migration_pte: folio_get for the restored mapping
      },
      next: 'M6',
      reads: ['pState', 'refs'],
      writes: ['pte', 'refs'],
      asserts: true,
      doc: 'remove_migration_ptes(P, P) from migrate_vma_finalize or migrate_device_unmap: restore the device-private entry, folio_get',
    };

    // ---- M6: rest of finalize for src ----------------------------------------------------
    const finalize = (s: State) => {
      touch(s);
      if (!f.fl) {
        s.locked = false;
        wakeAll(s);
      }
      put(s);
    };
    /** Footprint of finalize(): touch, (unlock and wake), put. */
    const finalizeWrites = f.fl ? ['refs', 'pState'] : ['locked', 'parked', 'refs', 'pState'];
    const finalizeDoc = f.fl
      ? '__migrate_device_finalize: fault_folio == src, so no folio_unlock; folio_put(src) (the collect ref)'
      : f.checkVma
        ? '__migrate_device_finalize: folio_unlock(src) (clear PG_locked, wake waiters); folio_put(src)'
        : 'migrate_vma_finalize: unlock_page(page) (clear PG_locked, wake waiters); put_page(page)';
    if (f.dispatch === 'COLLECT' || f.dispatch === 'LOCKLESS') {
      // No fault ref: this is also the return of migrate_to_ram to do_swap_page.
      steps.migrate_vma_finalize = {
        at: 'M6',
        when: (_s, me) => !dies(me),
        then: (s, me) => {
          finalize(s);
          reset(me);
        },
        next: 'F0',
        reads: ['pState', 'refs'],
        writes: finalizeWrites,
        asserts: true,
        doc: `${finalizeDoc}; migrate_to_ram returns 0 and the CPU refaults`,
      };
      steps.migrate_vma_finalize_sigbus = {
        at: 'M6',
        when: (_s, me) => dies(me),
        then: (s) => {
          finalize(s);
          s.sigbus = true;
        },
        next: 'killed',
        reads: ['pState', 'refs'],
        writes: [...finalizeWrites, 'sigbus'],
        asserts: true,
        doc: `${finalizeDoc}; migrate_to_ram returns VM_FAULT_SIGBUS (the migrate_vma_setup contract)`,
      };
    } else {
      steps.migrate_vma_finalize = {
        at: 'M6',
        then: finalize,
        next: afterMigrate,
        reads: ['pState', 'refs'],
        writes: finalizeWrites,
        asserts: true,
        doc: finalizeDoc,
      };
    }

    // ---- D2: do_swap_page after migrate_to_ram returns (v6.1+) -------------------------
    const putFault = (s: State, me: Fault) => {
      put(s);
      me.fref = false;
    };
    const unlockFault = (s: State) => {
      touch(s);
      s.locked = false;
      wakeAll(s);
    };
    if (f.dispatch === 'REF' || f.dispatch === 'TRYLOCK_REF') {
      /** Footprints of putFault and unlockFault. */
      const putFp = { reads: ['refs'], writes: ['refs', 'pState'], asserts: true };
      const unlockFp = { reads: ['pState'], writes: ['locked', 'parked'], asserts: true };
      const putDoc = 'do_swap_page: put_page(vmf->page), drops the fault reference';
      const unlockDoc = 'do_swap_page: unlock_page(vmf->page), clear PG_locked and wake the waiters';
      /** The last step of do_swap_page: return 0 (refault) or VM_FAULT_SIGBUS. */
      const last = (at: string, name: string, puts: boolean, fp: typeof putFp, doc: string) => {
        steps[name] = {
          at,
          when: (_s, me) => !dies(me),
          then: (s, me) => {
            if (puts) putFault(s, me);
            else unlockFault(s);
            reset(me);
          },
          next: 'F0',
          ...fp,
          doc: `${doc}; return (refault)`,
        };
        steps[`${name}_sigbus`] = {
          at,
          when: (_s, me) => dies(me),
          then: (s, me) => {
            if (puts) putFault(s, me);
            else unlockFault(s);
            s.sigbus = true;
          },
          next: 'killed',
          ...fp,
          writes: [...fp.writes, 'sigbus'],
          doc: `${doc}; migrate_to_ram returned VM_FAULT_SIGBUS`,
        };
      };
      if (!f.fl) last('D2', 'do_swap_page_put_page', true, putFp, putDoc);
      else if (!f.putFirst) {
        steps.do_swap_page_unlock_page = { at: 'D2a', then: unlockFault, next: 'D2b', ...unlockFp, doc: unlockDoc };
        last('D2b', 'do_swap_page_put_page', true, putFp, putDoc);
      } else {
        steps.do_swap_page_put_page = { at: 'D2a', then: putFault, next: 'D2b', ...putFp, doc: putDoc };
        last('D2b', 'do_swap_page_unlock_page', false, unlockFp, unlockDoc);
      }
    }

    // ---- W: waiters --------------------------------------------------------------------
    if (f.wait === 'REF_SLEEP' || f.wait === 'PUT_AND_WAIT') {
      steps[f.wait === 'PUT_AND_WAIT' ? 'put_and_wait_on_page_locked' : 'wait_on_page_locked'] = {
        at: 'W2',
        then: (s, me) => {
          touch(s);
          if (s.locked) s.parked.set(me.id, true);
        },
        next: f.wait === 'PUT_AND_WAIT' ? 'W3' : 'W4r',
        reads: ['pState', 'locked'],
        writes: ['parked'],
        asserts: true,
        doc:
          f.wait === 'PUT_AND_WAIT'
            ? 'put_and_wait_on_page_locked -> wait_on_page_bit_common(DROP): under q->lock set PG_waiters, queue if PG_locked'
            : 'wait_on_page_locked -> wait_on_page_bit_common: under q->lock set PG_waiters, queue if PG_locked',
      };
    }
    if (f.wait === 'PUT_AND_WAIT') {
      steps.put_and_wait_drop = {
        at: 'W3',
        then: put,
        next: 'W4',
        doc: 'wait_on_page_bit_common(DROP): put_page after the q->lock section, before sleeping',
      };
    }
    if (f.wait === 'REF_SLEEP') {
      steps.woken_holding_ref = {
        at: 'W4r',
        when: (s, me) => !s.parked.get(me.id),
        next: 'W3r',
        doc: 'io_schedule() until WQ_FLAG_WOKEN, still holding the page reference',
      };
      steps.put_page_after_wait = {
        at: 'W3r',
        then: (s, me) => {
          put(s);
          reset(me);
        },
        next: 'F0',
        reads: ['refs'],
        writes: ['refs', 'pState'],
        asserts: true,
        doc: '__migration_entry_wait (< v5.0): put_page after wait_on_page_locked; return, refault',
      };
    }
    if (f.wait === 'UNLOCKED_PTL') {
      steps.migration_entry_wait_on_locked = {
        at: 'WQ',
        then: (s, me) => {
          touch(s); // the use after free: no PTL, no reference
          if (s.locked) s.parked.set(me.id, true);
        },
        next: (s, me) => (s.parked.get(me.id) ? 'W4' : 'F0'),
        reads: ['pState', 'locked', 'parked'],
        writes: ['parked'],
        asserts: true,
        doc: 'the q->lock section of migration_entry_wait_on_locked moved after the PTL was dropped: queue on P if PG_locked',
      };
    }
    if (f.wait !== 'REF_SLEEP') {
      steps.woken = {
        at: 'W4',
        when: (s, me) => !s.parked.get(me.id),
        then: (_s, me) => reset(me),
        next: 'F0',
        doc: 'io_schedule() until WQ_FLAG_WOKEN; return, refault',
      };
    }

    const groups: ThreadGroupDef<Shared>[] = [
      replicate(faulters, 'T', {
        locals: faultLocals(),
        start: 'F0',
        end: ['done', 'killed'],
        progress: ['M5ok'],
        steps,
        helpers: [dies, collectOk, collects, commit, finalize, putFault, unlockFault],
      }),
    ];
    if (holder === 1) {
      groups.push(
        thread('H', {
          start: 'H1',
          end: ['Hdone'],
          steps: {
            holder_get_page: {
              at: 'H1',
              when: (s) => s.pte === 'DEVPRIV',
              then: (s) => {
                touch(s);
                s.refs = s.refs + 1;
              },
              next: 'H2',
              reads: ['pte', 'pState', 'refs'],
              writes: ['refs'],
              asserts: true,
              doc: 'a legitimate user finds P through the CPU page table and pins it: get_page under the PTL',
            },
            holder_lookup_none: {
              at: 'H1',
              when: (s) => s.pte !== 'DEVPRIV',
              next: 'Hdone',
              doc: 'the PTE no longer maps P: nothing to pin',
            },
            holder_use_page: {
              at: 'H2',
              then: (s) => {
                touch(s);
                s.assert(!s.migrated, 'no-stale-access');
              },
              next: 'H3',
              reads: ['pState', 'migrated'],
              asserts: true,
              doc: "the holder reads or writes P's data or metadata (e.g. zone_device_data): must not be a migrated-away page",
            },
            holder_put_page: { at: 'H3', then: put, next: 'Hdone', doc: 'put_page' },
          },
        }),
      );
    }
    return groups;
  },
  helpers: [touch, put, wakeAll, reset, exp],
  invariants: {
    'no-sigbus': (s) => !s.sigbus,
    'mig-implies-locked': (s) => s.pte !== 'MIG' || s.locked,
    'free-implies-unreferenced': (s) => s.pState !== 'FREE' || (s.refs === 0 && s.pte === 'RAM'),
  },
});
