import { defineModel, bool, int, oneOf, array, thread, replicate } from '../src/index.ts';
import type { StateView, LocalView, StepDef } from '../src/index.ts';

/**
 * The MMU interval-notifier collision-retry protocol (Documentation/mm/hmm.rst,
 * mm/mmu_notifier.c since 99cb252f5e68, v5.5): the device fault path
 * (mmu_interval_read_begin / hmm_range_fault / driver lock /
 * mmu_interval_read_retry) against CPU-side invalidation
 * (invalidate_range_start -> callbacks -> zap -> invalidate_range_end).
 *
 * Translation of docs/kernel/interval-notifier.md (the spec; section numbers
 * below refer to it). The kernel story and the variants in brief: README.md,
 * Kernel models, `interval-notifier`.
 *
 * Abstractions (spec §3): one page P mapped once at one VA; mmap_lock is not
 * modelled (none of the modelled invalidators excludes hmm_range_fault's read
 * lock); hmm_range_fault runs in snapshot mode; sequence numbers are small
 * bounded ints (each invalidator runs once, so mmSeq <= 2 + 2*invalidators).
 *
 * Atomicity (spec §7): F1, I1 and I4 are sections under the subscriptions
 * spinlock; F4 and each callback I2 (lock + body + unlock) are critical
 * sections under the driver lock `drv`; F2 (hmm_range_fault) is unlocked.
 * The loop of I2 over the notifiers is unrolled: label I2_k is the callback
 * for notifier k (the spec's local `k` is encoded in the label).
 *
 * Progress: the fault thread's end labels Fdone and Fbusy are its progress
 * labels, so a fair cycle on which F never finishes is reported as a livelock.
 * That is the spec's "the fault path terminates when invalidations are
 * finite" (the spec asks for no progress labels, which in mmcheck would turn
 * the liveness check off: it only looks at threads that declare progress).
 */

const shared = ({ notifiers, invalidators }: { readonly notifiers: number; readonly invalidators: number }) => ({
  mmSeq: int(0, 6, 2),
  mniSeq: array(notifiers, int(0, 6, 1)),
  active: int(0, invalidators),
  drv: oneOf('none', 'F'),
  pte: oneOf('PRESENT', 'NONE'),
  pFree: bool(),
  gpu: oneOf('NONE', 'MAP'),
});
/** The fault thread's locals: the sequence number it read, the pfn it collected, its retries. */
const faultLocals = (retries: number) => ({ s: int(0, 6), pfn: oneOf('NONE', 'P'), tries: int(0, retries) });
/** An invalidator's locals; `zapped` only where the page is freed after the zap. */
const invalidatorLocals = (freeAt: string): { cur: ReturnType<typeof int>; zapped?: ReturnType<typeof bool> } =>
  freeAt === 'zap' ? { cur: int(0, 6) } : { cur: int(0, 6), zapped: bool() };
type Shared = ReturnType<typeof shared>;
type FaultLocals = ReturnType<typeof faultLocals>;
type State = StateView<Shared>;
type Fault = LocalView<FaultLocals>;

type Variant = 'correct' | 'no-read-retry' | 'retry-outside-lock' | 'seq-outside-lock' | 'read-begin-under-lock' | 'read-begin-no-wait';

export default defineModel({
  name: 'interval-notifier',
  title: 'MMU interval-notifier collision-retry (hmm_range_fault vs. invalidation)',
  category: 'kernel',
  description:
    'Drivers that mirror CPU page tables into a device (nouveau, amdgpu, Xe/drm_gpusvm, RDMA ODP) synchronise through the ' +
    'interval-notifier collision-retry protocol (99cb252f5e68, v5.5). The fault path samples a sequence number with ' +
    'mmu_interval_read_begin(), walks the CPU page table with hmm_range_fault() without driver locks, takes the driver lock, ' +
    'and only if mmu_interval_read_retry() sees no collision programs the device page table under that lock. The invalidate ' +
    'callback takes the same lock, records the new sequence with mmu_interval_set_seq() and tears down the device mapping ' +
    'before the core mm frees the pages. Skipping the retry check, doing it outside the lock, or setting the sequence outside ' +
    'the lock lets the device map a freed page; calling mmu_interval_read_begin() under the driver lock deadlocks.',
  params: {
    invalidators: int(1, 2, 1),
    notifiers: int(1, 2, 1),
    retries: int(0, 3, 2),
    freeAt: oneOf('zap', 'afterEnd'),
  },
  variants: {
    correct: 'the hmm.rst pattern: read_begin, hmm_range_fault, take driver->update, read_retry, program under the lock',
    'no-read-retry': 'the fault path programs the device without calling mmu_interval_read_retry',
    'retry-outside-lock': 'mmu_interval_read_retry is checked before taking driver->update; then lock, program, unlock',
    'seq-outside-lock': 'the callback clears the device under driver->update but calls mmu_interval_set_seq after releasing it',
    'read-begin-under-lock': {
      description: 'the fault path calls mmu_interval_read_begin while holding driver->update (the lockdep-annotated misuse)',
      defaults: { notifiers: 2 },
    },
    'read-begin-no-wait': 'mmu_interval_read_begin returns the odd sequence without sleeping while an invalidation is in progress',
  },
  expect: {
    correct: [
      { verdict: 'pass', states: 42, transitions: 56 },
      { verdict: 'pass', params: { notifiers: 2 }, states: 50, transitions: 68 },
      { verdict: 'pass', params: { invalidators: 2 }, states: 394, transitions: 697 },
      { verdict: 'pass', params: { invalidators: 2, notifiers: 2 }, states: 524, transitions: 964 },
      { verdict: 'pass', params: { invalidators: 2, notifiers: 2, retries: 0 }, states: 432, transitions: 784 },
      { verdict: 'pass', params: { invalidators: 2, notifiers: 2, freeAt: 'afterEnd' }, states: 1128, transitions: 2372 },
    ],
    'no-read-retry': [
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', length: 7 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { notifiers: 2 }, length: 8 },
      {
        verdict: 'violation',
        kind: 'invariant',
        property: 'device-coherent',
        params: { freeAt: 'afterEnd' },
        length: 7,
        note: 'With the free deferred to tlb_finish_mmu the device first maps a page whose PTE is already zapped (device-coherent); the free follows.',
      },
    ],
    'retry-outside-lock': [
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', length: 7 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { notifiers: 2 }, length: 8 },
    ],
    'seq-outside-lock': [
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', length: 8 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { notifiers: 2 }, length: 10 },
    ],
    'read-begin-under-lock': [
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', length: 4 },
      {
        verdict: 'violation',
        kind: 'deadlock',
        property: 'deadlock',
        params: { notifiers: 1, invalidators: 2 },
        length: 7,
        note: 'One notifier is enough when a second invalidation is still to run its callback (spec §6.5).',
      },
      { verdict: 'pass', params: { notifiers: 1, invalidators: 1 }, states: 54, transitions: 74 },
    ],
    'read-begin-no-wait': [{ verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', length: 7 }],
  },
  shared,
  threads: ({ invalidators, notifiers, retries, freeAt }, variantIn) => {
    const variant = (variantIn ?? 'correct') as Variant;
    const underLock = variant === 'read-begin-under-lock';
    /** Where a collision-retry goes back to: read_begin (or taking the lock first, when read_begin is under it). */
    const again = underLock ? 'F0L' : 'F1';
    const canRetry = (me: Fault) => me.tries < retries;
    const retry = (_s: State, me: Fault) => {
      me.tries = me.tries + 1;
      me.pfn = 'NONE';
    };
    const collided = (s: State, me: Fault) => s.mniSeq.get(0) !== me.s;
    const program = (s: State, me: Fault) => {
      if (me.pfn === 'P') s.gpu = 'MAP';
    };

    // ---- F: the device fault / populate thread (spec §4.1, §5) -------------------------
    const F: Record<string, StepDef<Shared, FaultLocals>> = {};
    if (underLock) {
      F.take_lock_first = {
        at: 'F0L',
        when: (s) => s.drv === 'none',
        then: (s) => {
          s.drv = 'F';
        },
        next: 'F1',
        doc: 'take_lock(driver->update) BEFORE mmu_interval_read_begin (the misuse)',
      };
    }
    const afterBegin = underLock ? 'F1u' : 'F2';
    F.mmu_interval_read_begin = {
      at: 'F1',
      then: (s, me) => {
        me.s = s.mniSeq.get(0);
      },
      next: (s, me) => (variant !== 'read-begin-no-wait' && me.s === s.mmSeq ? 'F1w' : afterBegin),
      doc: 'mmu_interval_read_begin: under subscriptions->lock, seq = interval_sub->invalidate_seq; is_invalidating = seq == subscriptions->invalidate_seq',
    };
    if (variant !== 'read-begin-no-wait') {
      F.read_begin_wait = {
        at: 'F1w',
        when: (s, me) => s.mmSeq !== me.s,
        next: afterBegin,
        doc: 'mmu_interval_read_begin: wait_event(subscriptions->wq, READ_ONCE(subscriptions->invalidate_seq) != seq)',
      };
    }
    if (underLock) {
      F.release_lock_after_begin = {
        at: 'F1u',
        then: (s) => {
          s.drv = 'none';
        },
        next: 'F2',
        doc: 'release_lock(driver->update) after mmu_interval_read_begin',
      };
    }
    F.hmm_range_fault = {
      at: 'F2',
      when: (s, me) => !collided(s, me),
      then: (s, me) => {
        me.pfn = s.pte === 'PRESENT' ? 'P' : 'NONE';
      },
      next: variant === 'retry-outside-lock' ? 'F3x' : 'F3',
      reads: ['mniSeq', 'pte'],
      doc: 'hmm_range_fault under mmap_read_lock, no driver lock: mmu_interval_check_retry ok, walk_page_range snapshots the PTE',
    };
    F.hmm_range_fault_ebusy = {
      at: 'F2',
      when: (s, me) => collided(s, me) && canRetry(me),
      then: retry,
      next: again,
      reads: ['mniSeq'],
      doc: 'hmm_range_fault: mmu_interval_check_retry sees a collision, -EBUSY: goto again',
    };
    F.hmm_range_fault_timeout = {
      at: 'F2',
      when: (s, me) => collided(s, me) && !canRetry(me),
      next: 'Fbusy',
      reads: ['mniSeq'],
      doc: 'hmm_range_fault -EBUSY past HMM_RANGE_DEFAULT_TIMEOUT: give up with -EBUSY',
    };
    if (variant === 'retry-outside-lock') {
      F.read_retry_unlocked = {
        at: 'F3x',
        when: (s, me) => !collided(s, me),
        next: 'F4x',
        reads: ['mniSeq'],
        doc: 'mmu_interval_read_retry checked WITHOUT driver->update held: no collision yet',
      };
      F.read_retry_unlocked_collision = {
        at: 'F3x',
        when: (s, me) => collided(s, me) && canRetry(me),
        then: retry,
        next: again,
        reads: ['mniSeq'],
        doc: 'mmu_interval_read_retry (no lock): collision, goto again',
      };
      F.read_retry_unlocked_timeout = {
        at: 'F3x',
        when: (s, me) => collided(s, me) && !canRetry(me),
        next: 'Fbusy',
        reads: ['mniSeq'],
        doc: 'mmu_interval_read_retry (no lock): collision past the timeout: -EBUSY',
      };
      F.update_device_ptes = {
        at: 'F4x',
        when: (s) => s.drv === 'none',
        then: program,
        next: 'Fdone',
        reads: ['drv'],
        writes: ['gpu'],
        doc: 'take_lock(driver->update); program the device page table from the pfns, nothing re-checked; release_lock',
      };
    } else {
      F.take_lock = {
        at: 'F3',
        when: (s) => s.drv === 'none',
        then: (s) => {
          s.drv = 'F';
        },
        next: 'F4',
        doc: 'take_lock(driver->update)',
      };
      if (variant === 'no-read-retry') {
        F.update_device_ptes = {
          at: 'F4',
          then: (s, me) => {
            program(s, me);
            s.drv = 'none';
          },
          next: 'Fdone',
          writes: ['gpu', 'drv'],
          doc: 'program the device page table from the pfns WITHOUT mmu_interval_read_retry; release_lock',
        };
      } else {
        F.update_device_ptes = {
          at: 'F4',
          when: (s, me) => !collided(s, me),
          then: (s, me) => {
            program(s, me);
            s.drv = 'none';
          },
          next: 'Fdone',
          reads: ['mniSeq'],
          writes: ['gpu', 'drv'],
          doc: 'under driver->update: mmu_interval_read_retry false, program the device page table from the pfns; release_lock',
        };
        F.read_retry_collision = {
          at: 'F4',
          when: (s, me) => collided(s, me) && canRetry(me),
          then: (s, me) => {
            s.drv = 'none';
            retry(s, me);
          },
          next: again,
          reads: ['mniSeq'],
          writes: ['drv'],
          doc: 'under driver->update: mmu_interval_read_retry true; release_lock; goto again',
        };
        F.read_retry_timeout = {
          at: 'F4',
          when: (s, me) => collided(s, me) && !canRetry(me),
          then: (s) => {
            s.drv = 'none';
          },
          next: 'Fbusy',
          reads: ['mniSeq'],
          writes: ['drv'],
          doc: 'under driver->update: mmu_interval_read_retry true past the timeout; release_lock; -EBUSY',
        };
      }
    }

    // ---- I: the CPU-side invalidator (spec §4.2, §5) ------------------------------------
    const I: Record<string, StepDef<Shared, ReturnType<typeof invalidatorLocals>>> = {
      mn_itree_inv_start_range: {
        at: 'I1',
        then: (s, me) => {
          s.active = s.active + 1;
          s.mmSeq = s.mmSeq | 1;
          me.cur = s.mmSeq;
        },
        next: 'I2_0',
        doc: 'invalidate_range_start -> mn_itree_inv_start_range: under subscriptions->lock, active_invalidate_ranges++, invalidate_seq |= 1, cur_seq = invalidate_seq',
      },
    };
    // Invalidating notifier k unmaps the device only for k = 0: only mni[0] has a device mapping (the fault thread's).
    for (let k = 0; k < notifiers; k++) {
      const after = k + 1 < notifiers ? `I2_${k + 1}` : 'I3';
      if (variant === 'seq-outside-lock') {
        I[`invalidate_mni${k}`] = {
          at: `I2_${k}`,
          when: (s) => s.drv === 'none',
          then: (s) => {
            if (k === 0) s.gpu = 'NONE';
          },
          next: `I2s_${k}`,
          doc: `mn_itree_invalidate -> ops->invalidate(mni[${k}]): mutex_lock(driver->update), invalidate the device PTEs and flush, mutex_unlock; the seq is NOT set under the lock`,
        };
        I[`set_seq_mni${k}`] = {
          at: `I2s_${k}`,
          then: (s, me) => {
            s.mniSeq.set(k, me.cur);
          },
          next: after,
          doc: `mmu_interval_set_seq(mni[${k}], cur_seq) after driver->update was released`,
        };
      } else {
        I[`invalidate_mni${k}`] = {
          at: `I2_${k}`,
          when: (s) => s.drv === 'none',
          then: (s, me) => {
            s.mniSeq.set(k, me.cur);
            if (k === 0) s.gpu = 'NONE';
          },
          next: after,
          reads: ['drv'],
          writes: k === 0 ? ['mniSeq', 'gpu'] : ['mniSeq'],
          doc: `mn_itree_invalidate -> ops->invalidate(mni[${k}]): mutex_lock(driver->update), mmu_interval_set_seq, invalidate the device PTEs and flush the device TLB, mutex_unlock`,
        };
      }
    }
    I.zap_pte_range = {
      at: 'I3',
      then: (s, me) => {
        if (s.pte === 'PRESENT') {
          s.pte = 'NONE';
          if (freeAt === 'zap') s.pFree = true;
          else me.zapped = true;
        }
      },
      next: 'I4',
      doc: freeAt === 'zap'
        ? 'zap_pte_range under the PTL: clear the PTE and drop the last reference, P freed (the earliest free point)'
        : 'zap_pte_range under the PTL: clear the PTE; the page is queued in the mmu_gather',
    };
    I.mn_itree_inv_end = {
      at: 'I4',
      then: (s) => {
        s.active = s.active - 1;
        if (s.active === 0 && (s.mmSeq & 1) === 1) s.mmSeq = s.mmSeq + 1;
      },
      next: freeAt === 'zap' ? 'Idone' : 'I5',
      doc: 'invalidate_range_end -> mn_itree_inv_end: under subscriptions->lock, if --active_invalidate_ranges == 0 and invalidating, invalidate_seq++; wake_up_all(&subscriptions->wq)',
    };
    if (freeAt === 'afterEnd') {
      I.tlb_finish_mmu = {
        at: 'I5',
        then: (s, me) => {
          if (me.zapped) s.pFree = true;
        },
        next: 'Idone',
        doc: 'tlb_finish_mmu: the gathered page is freed after invalidate_range_end',
      };
    }

    return [
      thread('F', {
        locals: faultLocals(retries),
        start: underLock ? 'F0L' : 'F1',
        end: ['Fdone', 'Fbusy'],
        progress: ['Fdone', 'Fbusy'],
        steps: F,
        helpers: [canRetry, retry, collided, program],
      }),
      replicate(invalidators, 'I', {
        locals: invalidatorLocals(freeAt),
        start: 'I1',
        end: ['Idone'],
        steps: I,
      }),
    ];
  },
  invariants: {
    'device-maps-live-page': (s) => s.gpu !== 'MAP' || !s.pFree,
    'device-coherent': (s) => s.gpu !== 'MAP' || s.pte === 'PRESENT',
    'seq-parity': (s) => {
      for (let i = 0; i < s.mniSeq.length; i++) if ((s.mniSeq.get(i) & 1) !== 1) return false;
      return s.active !== 0 || (s.mmSeq & 1) === 0;
    },
  },
});
