import { defineModel, bool, int, oneOf, thread, replicate, combine, mutex, intervalSubscriptions } from '../src/index.ts';
import type { BlockShared, Fragment, ReadonlyStateView, StepDef } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * The MMU interval-notifier collision-retry protocol (Documentation/mm/hmm.rst,
 * mm/mmu_notifier.c since 99cb252f5e68, v5.5): the device fault path
 * (mmu_interval_read_begin / hmm_range_fault / driver lock /
 * mmu_interval_read_retry) against CPU-side invalidation
 * (invalidate_range_start -> callbacks -> zap -> invalidate_range_end).
 *
 * Translation of docs/kernel/interval-notifier.md (the spec; section numbers
 * below refer to it), written on the building blocks (docs/blocks.md). The
 * kernel story and the variants in brief: README.md, Kernel models,
 * `interval-notifier`.
 *
 * Abstractions (spec §3): one page P mapped once at one VA; mmap_lock is not
 * modelled (none of the modelled invalidators excludes hmm_range_fault's read
 * lock); hmm_range_fault runs in snapshot mode; each invalidator runs once, so
 * the sequences stay below 2 + 2 × invalidators and never wrap.
 *
 * State: `mm` is the mm's subscriptions with the kernel's own sequence numbers
 * (intervalSubscriptions: mm_seq = subscriptions->invalidate_seq, mm_active =
 * active_invalidate_ranges, mm_mni[k] = notifier k's invalidate_seq); `drv` is
 * the driver lock `driver->update` of hmm.rst (nouveau's svmm->mutex, Xe's
 * notifier_lock), a mutex whose owner the reports read. Only the fault thread
 * F holds it across steps: each invalidate callback (lock + body + unlock) is
 * one step (spec §7) enabled while the lock is free.
 *
 * Atomicity (spec §7): read_begin, invalidate_range_start and
 * invalidate_range_end are sections under subscriptions->lock; hmm_range_fault
 * is unlocked. The loop of mn_itree_invalidate over the notifiers is unrolled:
 * label I2_k is the callback for notifier k; only notifier 0 covers the page
 * the device maps (the fault thread's).
 *
 * Progress: the fault thread's end labels Fdone and Fbusy are its progress
 * labels, so a fair cycle on which F never finishes is reported as a livelock.
 * That is the spec's "the fault path terminates when invalidations are
 * finite" (the spec asks for no progress labels, which in mmcheck would turn
 * the liveness check off: it only looks at threads that declare progress).
 *
 * Variants: each is `correct` with the named steps below replaced; everything
 * else is the same path.
 *
 * | variant                | replaces (thread: steps)                                                                 |
 * |------------------------|------------------------------------------------------------------------------------------|
 * | correct                | -                                                                                        |
 * | no-read-retry          | F: update_device_ptes without mmu_interval_read_retry (no read_retry_collision/_timeout) |
 * | retry-outside-lock     | F: take_lock, update_device_ptes, read_retry_* → read_retry_unlocked*, then update_device_ptes as lock + program + unlock |
 * | seq-outside-lock       | I: invalidate_mniK without mmu_interval_set_seq, then set_seq_mniK after the unlock      |
 * | read-begin-under-lock  | F: take_lock_first before, release_lock_after_begin after mmu_interval_read_begin; a retry goes back to take_lock_first |
 * | read-begin-no-wait     | F: mmu_interval_read_begin returns the odd sequence without sleeping (no read_begin_wait)|
 */

type Variant = 'correct' | 'no-read-retry' | 'retry-outside-lock' | 'seq-outside-lock' | 'read-begin-under-lock' | 'read-begin-no-wait';
type Sizes = { readonly invalidators: number; readonly notifiers: number };

/** Largest sequence number: 2 initially, and each invalidation makes it odd once and even once. */
const maxSeq = ({ invalidators }: Sizes) => 2 + 2 * invalidators;
/** The subscriptions' variables as the invariant reads them (`mm_seq`, `mm_active`, `mm_mni`: the block adds them to the state). */
type MmState = ReadonlyStateView<BlockShared<ReturnType<typeof blocksOf>['mm']>>;
/** Each notifier's sequence is odd (set from an invalidation's cur_seq, or 1); the mm's is even when no invalidation runs. */
const seqParity = (s: MmState): boolean => {
  for (let i = 0; i < s.mm_mni.length; i++) if ((s.mm_mni.get(i) & 1) !== 1) return false;
  return s.mm_active !== 0 || (s.mm_seq & 1) === 0;
};
/** The blocks (the same for threads and `blocks`: they are only text and declarations). */
const blocksOf = (p: Sizes) => ({
  mm: intervalSubscriptions('mm', { notifiers: p.notifiers, invalidators: p.invalidators, maxSeq: maxSeq(p) }),
  drv: mutex('drv', ['F']),
});

export default builtin(import.meta.url, defineModel({
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
    // Up to 4: the unreduced check of every variant and parameter combination stays under a minute (the
    // largest, correct with notifiers=2 freeAt=afterEnd retries=3, is 414,472 states); at 5 that one passes 9 million states.
    invalidators: int(1, 4, 1),
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
      { verdict: 'pass', params: { invalidators: 3 }, states: 3852, transitions: 8215 },
      { verdict: 'pass', params: { invalidators: 4 }, states: 40150, transitions: 97241 },
      { verdict: 'pass', params: { invalidators: 4, notifiers: 2 }, states: 62084, transitions: 161098, bench: true },
      {
        verdict: 'pass',
        params: { invalidators: 4, notifiers: 2, freeAt: 'afterEnd', retries: 3 },
        states: 414472,
        transitions: 1369544,
        bench: true,
        note: 'the largest instance; --symmetry: 21,009 states, 70,020 transitions',
      },
    ],
    'no-read-retry': [
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', length: 7 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { notifiers: 2 }, length: 8 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { invalidators: 4 }, length: 7 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { invalidators: 4, notifiers: 2 }, length: 8 },
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
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { invalidators: 4 }, length: 7 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { invalidators: 4, notifiers: 2 }, length: 8 },
    ],
    'seq-outside-lock': [
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', length: 8 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { notifiers: 2 }, length: 10 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { invalidators: 4 }, length: 8 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { invalidators: 4, notifiers: 2 }, length: 10 },
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
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', params: { invalidators: 3 }, length: 6 },
      { verdict: 'violation', kind: 'deadlock', property: 'deadlock', params: { invalidators: 4 }, length: 7 },
    ],
    'read-begin-no-wait': [
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', length: 7 },
      { verdict: 'violation', kind: 'invariant', property: 'device-maps-live-page', params: { invalidators: 4, notifiers: 2 }, length: 8 },
    ],
  },
  // A typed parameter: TypeScript would type `(p) => ...` only after checking `seq-parity`, a function declared apart that reads the block's variables (docs/warts.md).
  blocks: (p: Sizes) => Object.values(blocksOf(p)),
  shared: {
    pte: oneOf('PRESENT', 'NONE'),
    pFree: bool(),
    gpu: oneOf('NONE', 'MAP'),
  },
  threads: (p, variantIn) => {
    const { invalidators, notifiers, retries, freeAt } = p;
    const variant = (variantIn ?? 'correct') as Variant;
    const { mm, drv } = blocksOf(p);
    const seq = int(0, maxSeq(p));

    // ---- fragments of the fault path --------------------------------------------------
    /** The driver's retry budget (HMM_RANGE_DEFAULT_TIMEOUT as a number of retries). */
    const canRetry: Fragment = { when: (_s, me) => me.tries < retries };
    const timedOut: Fragment = { when: (_s, me) => me.tries === retries };
    /** goto again: count the retry and forget the pfns. */
    const again: Fragment = {
      then: (_s, me) => {
        me.tries = me.tries + 1;
        me.pfn = 'NONE';
      },
    };
    /** Program the device page table from the collected pfns. */
    const program: Fragment = {
      then: (s, me) => {
        if (me.pfn === 'P') s.gpu = 'MAP';
      },
    };
    /** Where a collision goes back to: read_begin, or taking the lock first when read_begin runs under it. */
    const retryAt = variant === 'read-begin-under-lock' ? 'F0L' : 'F1';
    const afterBegin = variant === 'read-begin-under-lock' ? 'F1u' : 'F2';
    const begin = mm.readBegin(0, 's', { at: 'F1', sleep: 'F1w', next: afterBegin });

    // ---- F: the device fault / populate thread (spec §4.1, §5), top to bottom ------------
    const readBegin: Record<string, StepDef> = {
      mmu_interval_read_begin: { ...begin.F1!, doc: 'mmu_interval_read_begin: under subscriptions->lock, seq = interval_sub->invalidate_seq; is_invalidating = seq == subscriptions->invalidate_seq' },
      read_begin_wait: { ...begin.F1w!, doc: 'mmu_interval_read_begin: wait_event(subscriptions->wq, READ_ONCE(subscriptions->invalidate_seq) != seq)' },
    };
    const hmmRangeFault: Record<string, StepDef> = {
      hmm_range_fault: {
        at: 'F2',
        ...combine(mm.unchanged(0, 's'), {
          then: (s, me) => {
            me.pfn = s.pte === 'PRESENT' ? 'P' : 'NONE';
          },
        }),
        next: 'F3',
        doc: 'hmm_range_fault under mmap_read_lock, no driver lock: mmu_interval_check_retry ok, walk_page_range snapshots the PTE',
      },
      hmm_range_fault_ebusy: {
        at: 'F2',
        ...combine(mm.retry(0, 's'), canRetry, again),
        next: retryAt,
        doc: 'hmm_range_fault: mmu_interval_check_retry sees a collision, -EBUSY: goto again',
      },
      hmm_range_fault_timeout: {
        at: 'F2',
        ...combine(mm.retry(0, 's'), timedOut),
        next: 'Fbusy',
        doc: 'hmm_range_fault -EBUSY past HMM_RANGE_DEFAULT_TIMEOUT: give up with -EBUSY',
      },
    };
    const lockedUpdate: Record<string, StepDef> = {
      take_lock: { at: 'F3', ...drv.lock('F'), next: 'F4', doc: 'take_lock(driver->update)' },
      update_device_ptes: {
        at: 'F4',
        ...combine(mm.unchanged(0, 's'), program, drv.unlock('F')),
        next: 'Fdone',
        doc: 'under driver->update: mmu_interval_read_retry false, program the device page table from the pfns; release_lock',
      },
      read_retry_collision: {
        at: 'F4',
        ...combine(mm.retry(0, 's'), canRetry, drv.unlock('F'), again),
        next: retryAt,
        doc: 'under driver->update: mmu_interval_read_retry true; release_lock; goto again',
      },
      read_retry_timeout: {
        at: 'F4',
        ...combine(mm.retry(0, 's'), timedOut, drv.unlock('F')),
        next: 'Fbusy',
        doc: 'under driver->update: mmu_interval_read_retry true past the timeout; release_lock; -EBUSY',
      },
    };

    // ---- the variants' replacement steps (see the table above) ---------------------------
    const noReadRetry: Record<string, StepDef> = {
      take_lock: lockedUpdate.take_lock!,
      update_device_ptes: {
        at: 'F4',
        ...combine(program, drv.unlock('F')),
        next: 'Fdone',
        doc: 'program the device page table from the pfns WITHOUT mmu_interval_read_retry; release_lock',
      },
    };
    const retryOutsideLock: Record<string, StepDef> = {
      read_retry_unlocked: { at: 'F3', ...mm.unchanged(0, 's'), next: 'F4', doc: 'mmu_interval_read_retry checked WITHOUT driver->update held: no collision yet' },
      read_retry_unlocked_collision: {
        at: 'F3',
        ...combine(mm.retry(0, 's'), canRetry, again),
        next: retryAt,
        doc: 'mmu_interval_read_retry (no lock): collision, goto again',
      },
      read_retry_unlocked_timeout: { at: 'F3', ...combine(mm.retry(0, 's'), timedOut), next: 'Fbusy', doc: 'mmu_interval_read_retry (no lock): collision past the timeout: -EBUSY' },
      update_device_ptes: {
        at: 'F4',
        ...combine(drv.free(), program),
        next: 'Fdone',
        doc: 'take_lock(driver->update); program the device page table from the pfns, nothing re-checked; release_lock',
      },
    };
    const takeLockFirst: Record<string, StepDef> = {
      take_lock_first: { at: 'F0L', ...drv.lock('F'), next: 'F1', doc: 'take_lock(driver->update) BEFORE mmu_interval_read_begin (the misuse)' },
    };
    const releaseAfterBegin: Record<string, StepDef> = {
      release_lock_after_begin: { at: 'F1u', ...drv.unlock('F'), next: 'F2', doc: 'release_lock(driver->update) after mmu_interval_read_begin' },
    };
    const readBeginNoWait: Record<string, StepDef> = {
      mmu_interval_read_begin: { at: 'F1', ...mm.sample(0, 's'), next: 'F2', doc: 'mmu_interval_read_begin returns interval_sub->invalidate_seq, odd or not, WITHOUT waiting for the invalidation to end' },
    };

    const F: Record<Variant, Record<string, StepDef>> = {
      correct: { ...readBegin, ...hmmRangeFault, ...lockedUpdate },
      'no-read-retry': { ...readBegin, ...hmmRangeFault, ...noReadRetry },
      'retry-outside-lock': { ...readBegin, ...hmmRangeFault, ...retryOutsideLock },
      'seq-outside-lock': { ...readBegin, ...hmmRangeFault, ...lockedUpdate },
      'read-begin-under-lock': { ...takeLockFirst, ...readBegin, ...releaseAfterBegin, ...hmmRangeFault, ...lockedUpdate },
      'read-begin-no-wait': { ...readBeginNoWait, ...hmmRangeFault, ...lockedUpdate },
    };

    // ---- I: the CPU-side invalidator (spec §4.2, §5), top to bottom -----------------------
    /** Notifier k's device mapping goes: only notifier 0 covers the page the device maps. */
    const clearDevice = (k: number): Fragment => (k === 0 ? { then: (s) => { s.gpu = 'NONE'; } } : {});
    const callbackAt = (k: number) => `I2_${k}`;
    const afterCallback = (k: number) => (k + 1 < notifiers ? callbackAt(k + 1) : 'I3');
    const I: Record<string, StepDef> = {
      mn_itree_inv_start_range: {
        at: 'I1',
        ...mm.invalidateStart('cur'),
        next: callbackAt(0),
        doc: 'invalidate_range_start -> mn_itree_inv_start_range: under subscriptions->lock, active_invalidate_ranges++, invalidate_seq |= 1, cur_seq = invalidate_seq',
      },
    };
    for (let k = 0; k < notifiers; k++) {
      if (variant === 'seq-outside-lock') {
        I[`invalidate_mni${k}`] = {
          at: callbackAt(k),
          ...combine(drv.free(), clearDevice(k)),
          next: `I2s_${k}`,
          doc: `mn_itree_invalidate -> ops->invalidate(mni[${k}]): mutex_lock(driver->update), invalidate the device PTEs and flush, mutex_unlock; the seq is NOT set under the lock`,
        };
        I[`set_seq_mni${k}`] = { at: `I2s_${k}`, ...mm.setSeq(k, 'cur'), next: afterCallback(k), doc: `mmu_interval_set_seq(mni[${k}], cur_seq) after driver->update was released` };
      } else {
        I[`invalidate_mni${k}`] = {
          at: callbackAt(k),
          ...combine(drv.free(), mm.setSeq(k, 'cur'), clearDevice(k)),
          next: afterCallback(k),
          doc: `mn_itree_invalidate -> ops->invalidate(mni[${k}]): mutex_lock(driver->update), mmu_interval_set_seq, invalidate the device PTEs and flush the device TLB, mutex_unlock`,
        };
      }
    }
    I.zap_pte_range = {
      at: 'I3',
      ...(freeAt === 'zap'
        ? {
            then: (s) => {
              if (s.pte === 'PRESENT') {
                s.pte = 'NONE';
                s.pFree = true;
              }
            },
            doc: 'zap_pte_range under the PTL: clear the PTE and drop the last reference, P freed (the earliest free point)',
          }
        : {
            then: (s, me) => {
              if (s.pte === 'PRESENT') {
                s.pte = 'NONE';
                me.zapped = true;
              }
            },
            doc: 'zap_pte_range under the PTL: clear the PTE; the page is queued in the mmu_gather',
          }),
      next: 'I4',
    };
    I.mn_itree_inv_end = {
      at: 'I4',
      ...mm.invalidateEnd(),
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
        // s: the sequence read_begin returned; pfn: what hmm_range_fault collected; tries: retries so far.
        locals: { s: seq, pfn: oneOf('NONE', 'P'), tries: int(0, retries) },
        start: variant === 'read-begin-under-lock' ? 'F0L' : 'F1',
        end: ['Fdone', 'Fbusy'],
        progress: ['Fdone', 'Fbusy'],
        steps: F[variant],
      }),
      replicate(invalidators, 'I', {
        // cur: the cur_seq of this invalidation; zapped: the page waits in the mmu_gather (freed after the end).
        locals: freeAt === 'zap' ? { cur: seq } : { cur: seq, zapped: bool() },
        start: 'I1',
        end: ['Idone'],
        steps: I,
      }),
    ];
  },
  invariants: {
    'device-maps-live-page': (s) => s.gpu !== 'MAP' || !s.pFree,
    'device-coherent': (s) => s.gpu !== 'MAP' || s.pte === 'PRESENT',
    'seq-parity': seqParity,
  },
}));
