import { McError, q } from '../errors.ts';
import { array, bool, int, type ArrayDomain, type BoolDomain, type IntDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { checkIdent, effectOf, generated, guardOf, type BlockSteps, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars } from './block.ts';

/**
 * The sequence count of an MMU interval notifier (mm/mmu_notifier.c,
 * include/linux/mmu_notifier.h), as a device driver uses it to know whether
 * the pages it looked up are still valid (Documentation/mm/hmm.rst):
 *
 * - `readBegin(local)`: `mmu_interval_read_begin()`: sleeps while an
 *   invalidation of the range is in progress (`mn_itree_inv_start_range()`
 *   made the notifier's sequence odd; `mn_itree_inv_end()` wakes the
 *   waiters), then returns the current sequence, stored in the thread's
 *   local `local` (declare it with `seqLocal()`).
 * - `readRetry(local, { at, retry, ok })`: `mmu_interval_read_retry()`, done
 *   under the driver's lock: the sequence moved since `readBegin` → `retry`,
 *   else → `ok`. `mmu_interval_check_retry()` is the same test without
 *   the lock: the model's own guard on the local and `<name>_seq`.
 * - `invalidateStart()` / `invalidateEnd()`: the core's side
 *   (`mn_itree_invalidate()` → `mn_itree_inv_start_range()`, and
 *   `mn_itree_inv_end()`): an invalidation is in progress between them.
 * - `setSeq()`: `mmu_interval_set_seq()`, called by the driver's `invalidate`
 *   callback under its lock: the notifier's sequence moves on.
 *
 * State: `<name>_seq: int(0, maxSeq)` counting `setSeq` calls modulo
 * maxSeq + 1 (a reader holding a stale sequence is fooled only after
 * maxSeq + 1 invalidations: choose maxSeq above the model's number of
 * invalidations) and `<name>_busy: bool` (an invalidation is in progress).
 * Invalidations may overlap in the kernel (`active_invalidate_ranges`: the
 * invalidation ends at the last `mn_itree_inv_end()`); with `ranges: N`
 * (N > 1) `<name>_busy` counts them, `int(0, N)`, and readers wait until
 * it is 0. With the default one range a second `invalidateStart()` while
 * one is in progress stops the search with an error (MC135) rather than
 * let the first `invalidateEnd()` end both. `readBegin` waits for any
 * invalidation in progress, where the kernel waits only when this
 * notifier's callback already ran in it (`intervalSubscriptions` follows
 * the kernel exactly).
 */
export interface IntervalNotifier<V extends SharedSpec = SharedSpec> extends Block<V> {
  seqLocal(): IntDomain;
  readBegin(local: string): Fragment;
  readRetry<At extends string, Retry extends string, Ok extends string>(local: string, labels: { at: At; retry: Retry; ok: Ok }): NoInfer<BlockSteps<At | `${At}_retry`, Retry | Ok>>;
  invalidateStart(): Fragment;
  invalidateEnd(): Fragment;
  setSeq(): Fragment;
}

/**
 * The variables of interval notifier `N`, as the compiler sees them; `R` is
 * the type of `ranges` (`<N>_busy` is a bool for one range, a count for
 * more, either for a number the compiler does not know).
 */
export type IntervalNotifierVars<N extends string, R extends number | undefined> = KnownVars<
  N,
  { [K in `${N}_seq` | `${N}_busy`]: K extends `${N}_seq` ? IntDomain : [R] extends [1 | undefined] ? BoolDomain : number extends R ? BoolDomain | IntDomain : IntDomain }
>;

export function intervalNotifier<N extends string, R extends number | undefined = undefined>(name: N, opts: { maxSeq: number; ranges?: R }): IntervalNotifier<IntervalNotifierVars<N, R>> {
  checkIdent('intervalNotifier()', name);
  const max = opts?.maxSeq;
  if (!Number.isInteger(max) || max < 1) throw new McError('MC171', `intervalNotifier(${q(name)}): maxSeq must be a positive integer, got ${q(max)}`);
  const ranges = opts?.ranges ?? 1;
  if (!Number.isInteger(ranges) || ranges < 1) throw new McError('MC171', `intervalNotifier(${q(name)}): ranges must be a positive integer (the invalidations that may be in progress at once), got ${q(ranges)}`);
  const seq = `${name}_seq`;
  const busy = `${name}_busy`;
  const block = makeBlock<IntervalNotifierVars<N, R>>(name, { [seq]: int(0, max), [busy]: ranges === 1 ? bool() : int(0, ranges) });
  const idle = ranges === 1 ? `!s.${busy}` : `s.${busy} === 0`;
  const overlap = `throw new Error('intervalNotifier(${name}): an invalidation started while another is in progress; give intervalNotifier(${name}, { ranges: N }) for N at once, or use intervalSubscriptions');`;
  const start = ranges === 1 ? `if (s.${busy}) ${overlap} s.${busy} = true;` : `s.${busy} = s.${busy} + 1;`;
  const end = ranges === 1 ? `s.${busy} = false;` : `s.${busy} = s.${busy} - 1;`;
  const loc = (l: string) => checkIdent(`intervalNotifier(${name}) local`, l);
  return markFragments(name, {
    ...block,
    seqLocal: () => int(0, max),
    readBegin: (l: string): Fragment => ({
      when: guardOf(idle, `mmu_interval_read_begin(${name}): no invalidation in progress`),
      then: effectOf(`me.${loc(l)} = s.${seq};`, `mmu_interval_read_begin(${name})`),
      doc: `mmu_interval_read_begin(${name})`,
    }),
    readRetry: <At extends string, Retry extends string, Ok extends string>(l: string, labels: { at: At; retry: Retry; ok: Ok }) => {
      const at = checkIdent(`intervalNotifier(${name}).readRetry at`, labels.at);
      return {
        [at]: { when: guardOf(`s.${seq} === me.${loc(l)}`, `mmu_interval_read_retry(${name}) == false`), next: labels.ok, doc: `mmu_interval_read_retry(${name}): sequence unchanged` },
        [`${at}_retry`]: { at, when: guardOf(`s.${seq} !== me.${loc(l)}`, `mmu_interval_read_retry(${name}) == true`), next: labels.retry, doc: `mmu_interval_read_retry(${name}): invalidated, retry` },
      } as BlockSteps<At | `${At}_retry`, Retry | Ok>;
    },
    invalidateStart: (): Fragment => ({ then: effectOf(start, `mn_itree_inv_start_range(${name})`), doc: `mn_itree_inv_start_range(${name})` }),
    invalidateEnd: (): Fragment => ({ then: effectOf(end, `mn_itree_inv_end(${name})`), doc: `mn_itree_inv_end(${name})` }),
    setSeq: (): Fragment => ({ then: effectOf(`s.${seq} = s.${seq} === ${max} ? 0 : s.${seq} + 1;`, `mmu_interval_set_seq(${name})`), doc: `mmu_interval_set_seq(${name})` }),
  });
}

/**
 * The kernel's own sequence numbers, for a model of the collision-retry
 * protocol itself (mm/mmu_notifier.c since 99cb252f5e68, v5.5), where the
 * abstraction above (a busy bit and a counter per notifier) is too coarse:
 * whether `mmu_interval_read_begin()` sleeps depends on whether this
 * notifier's callback already ran in the current invalidation, and on how
 * many invalidations overlap.
 *
 * State (named after `name`, the mm):
 * - `<name>_seq`: `subscriptions->invalidate_seq`, 2 initially; odd while
 *   some invalidation is in progress;
 * - `<name>_active`: `subscriptions->active_invalidate_ranges`;
 * - `<name>_mni: array(notifiers, …)`: each `interval_sub->invalidate_seq`,
 *   1 initially (`invalidate_seq - 1` at insertion, not invalidating).
 *
 * Sequences never wrap: `maxSeq` must be at least 2 + 2 × the number of
 * invalidations (each makes the sequence odd once and even once); a larger
 * sequence is a write outside the domain.
 *
 * Operations:
 * - `invalidateStart(cur)`: `mn_itree_inv_start_range()` under
 *   `subscriptions->lock`: `active_invalidate_ranges++`,
 *   `invalidate_seq |= 1` (the range hits a notifier), and the caller's
 *   local `cur` gets the odd sequence (the `cur_seq` handed to callbacks).
 * - `setSeq(k, cur)`: `mmu_interval_set_seq(mni[k], cur_seq)` from notifier
 *   k's invalidate callback.
 * - `invalidateEnd()`: `mn_itree_inv_end()`: the last of overlapping
 *   invalidations makes the sequence even again, and `wake_up_all()` lets
 *   sleeping readers go (a reader's wait is its guard on the sequence).
 * - `sample(k, local)`: the read of `interval_sub->invalidate_seq` in
 *   `mmu_interval_read_begin()`, into the thread's local `local`
 *   (declare it with `seqLocal()`).
 * - `readBegin(k, local, { at, sleep, next })`: `mmu_interval_read_begin()`:
 *   at `at`, sample under `subscriptions->lock`; `is_invalidating` (the
 *   sample equals the odd mm sequence: notifier k was already told of the
 *   running invalidation) → `sleep`, where `wait_event(subscriptions->wq,
 *   invalidate_seq != seq)` waits, then `next`; otherwise → `next` at once.
 * - `retry(k, local)` / `unchanged(k, local)`: guards
 *   `mmu_interval_read_retry()` (under the driver's lock) or
 *   `mmu_interval_check_retry()` (without it) is true / false.
 */
export interface IntervalSubscriptions<V extends SharedSpec = SharedSpec> extends Block<V> {
  readonly seqVar: string;
  readonly activeVar: string;
  readonly mniVar: string;
  seqLocal(): IntDomain;
  invalidateStart(cur: string): Fragment;
  setSeq(k: number, cur: string): Fragment;
  invalidateEnd(): Fragment;
  sample(k: number, local: string): Fragment;
  readBegin<At extends string, Sleep extends string, Next extends string>(k: number, local: string, labels: { at: At; sleep: Sleep; next: Next }): NoInfer<BlockSteps<At | Sleep, Sleep | Next>>;
  retry(k: number, local: string): Fragment;
  unchanged(k: number, local: string): Fragment;
}

/** The variables of `intervalSubscriptions` named `N`, as the compiler sees them. */
export type IntervalSubscriptionsVars<N extends string> = KnownVars<
  N,
  { [K in `${N}_seq` | `${N}_active` | `${N}_mni`]: K extends `${N}_mni` ? ArrayDomain<IntDomain> : IntDomain }
>;

export function intervalSubscriptions<N extends string>(name: N, opts: { notifiers: number; invalidators: number; maxSeq: number }): IntervalSubscriptions<IntervalSubscriptionsVars<N>> {
  checkIdent('intervalSubscriptions()', name);
  const { notifiers, invalidators, maxSeq } = opts ?? ({} as never);
  const what = `intervalSubscriptions(${q(name)})`;
  if (!Number.isInteger(notifiers) || notifiers < 1) throw new McError('MC171', `${what}: notifiers must be a positive integer, got ${q(notifiers)}`);
  if (!Number.isInteger(invalidators) || invalidators < 1) throw new McError('MC171', `${what}: invalidators must be a positive integer, got ${q(invalidators)}`);
  if (!Number.isInteger(maxSeq) || maxSeq < 2) throw new McError('MC171', `${what}: maxSeq must be an integer of at least 2, got ${q(maxSeq)}`);
  const seq = `${name}_seq`;
  const active = `${name}_active`;
  const mni = `${name}_mni`;
  const block = makeBlock<IntervalSubscriptionsVars<N>>(name, { [seq]: int(0, maxSeq, 2), [active]: int(0, invalidators), [mni]: array(notifiers, int(0, maxSeq, 1)) });
  const loc = (l: string) => checkIdent(`${what} local`, l);
  const idx = (k: number, op: string) => {
    if (!Number.isInteger(k) || k < 0 || k >= notifiers) throw new McError('MC171', `${what}.${op}: notifier ${q(k)} is not in 0..${notifiers - 1}`);
    return k;
  };
  const sample = (k: number, l: string): Fragment => ({
    then: effectOf(`me.${loc(l)} = s.${mni}.get(${idx(k, 'sample')});`, `mmu_interval_read_begin(${name}_mni[${k}]): seq = interval_sub->invalidate_seq`),
    doc: `mmu_interval_read_begin(${name}_mni[${k}]): seq = interval_sub->invalidate_seq`,
  });
  return markFragments(name, {
    ...block,
    seqVar: seq,
    activeVar: active,
    mniVar: mni,
    seqLocal: () => int(0, maxSeq),
    invalidateStart: (cur: string): Fragment => ({
      then: effectOf(`s.${active} = s.${active} + 1; s.${seq} = s.${seq} | 1; me.${loc(cur)} = s.${seq};`, `mn_itree_inv_start_range(${name})`),
      doc: `mn_itree_inv_start_range(${name}): active_invalidate_ranges++, invalidate_seq |= 1, cur_seq = invalidate_seq`,
    }),
    setSeq: (k: number, cur: string): Fragment => ({
      then: effectOf(`s.${mni}.set(${idx(k, 'setSeq')}, me.${loc(cur)});`, `mmu_interval_set_seq(${name}_mni[${k}])`),
      doc: `mmu_interval_set_seq(${name}_mni[${k}], cur_seq)`,
    }),
    invalidateEnd: (): Fragment => ({
      then: effectOf(`s.${active} = s.${active} - 1; if (s.${active} === 0 && (s.${seq} & 1) === 1) s.${seq} = s.${seq} + 1;`, `mn_itree_inv_end(${name})`),
      doc: `mn_itree_inv_end(${name}): if (--active_invalidate_ranges == 0 && invalidating) invalidate_seq++; wake_up_all(&subscriptions->wq)`,
    }),
    sample,
    readBegin: <At extends string, Sleep extends string, Next extends string>(k: number, l: string, labels: { at: At; sleep: Sleep; next: Next }) => {
      const at = checkIdent(`${what}.readBegin at`, labels.at);
      const sleep = checkIdent(`${what}.readBegin sleep`, labels.sleep);
      const next = checkIdent(`${what}.readBegin next`, labels.next);
      const s0 = sample(k, l);
      return {
        [at]: {
          at,
          then: s0.then,
          next: generated(`return me.${loc(l)} === s.${seq} ? ${JSON.stringify(sleep)} : ${JSON.stringify(next)};`, `mmu_interval_read_begin(${name}_mni[${k}]): is_invalidating`) as never,
          doc: `mmu_interval_read_begin(${name}_mni[${k}]): under subscriptions->lock, seq = interval_sub->invalidate_seq; is_invalidating = seq == subscriptions->invalidate_seq`,
        },
        [sleep]: {
          at: sleep,
          when: guardOf(`s.${seq} !== me.${loc(l)}`, `mmu_interval_read_begin(${name}_mni[${k}]): invalidate_seq != seq`),
          next,
          doc: `mmu_interval_read_begin(${name}_mni[${k}]): wait_event(subscriptions->wq, READ_ONCE(subscriptions->invalidate_seq) != seq)`,
        },
      } as unknown as BlockSteps<At | Sleep, Sleep | Next>;
    },
    retry: (k: number, l: string): Fragment => ({ when: guardOf(`s.${mni}.get(${idx(k, 'retry')}) !== me.${loc(l)}`, `mmu_interval_read_retry(${name}_mni[${k}]) == true`) }),
    unchanged: (k: number, l: string): Fragment => ({ when: guardOf(`s.${mni}.get(${idx(k, 'unchanged')}) === me.${loc(l)}`, `mmu_interval_read_retry(${name}_mni[${k}]) == false`) }),
  });
}
