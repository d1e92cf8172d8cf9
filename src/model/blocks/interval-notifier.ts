import { McError, q } from '../errors.ts';
import { bool, int, type IntDomain } from '../domains.ts';
import { checkIdent, effectOf, guardOf, type Fragment, type StepMap } from './compose.ts';
import { makeBlock, type Block } from './block.ts';

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
 *   else → `ok`. `checkRetry` (`mmu_interval_check_retry()`) is the same
 *   test without the lock.
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
 */
export interface IntervalNotifier extends Block {
  seqLocal(): IntDomain;
  readBegin(local: string): Fragment;
  readRetry(local: string, labels: { at: string; retry: string; ok: string }): StepMap;
  invalidateStart(): Fragment;
  invalidateEnd(): Fragment;
  setSeq(): Fragment;
}

export function intervalNotifier(name: string, opts: { maxSeq: number }): IntervalNotifier {
  checkIdent('intervalNotifier()', name);
  const max = opts?.maxSeq;
  if (!Number.isInteger(max) || max < 1) throw new McError('MC171', `intervalNotifier(${q(name)}): maxSeq must be a positive integer, got ${q(max)}`);
  const seq = `${name}_seq`;
  const busy = `${name}_busy`;
  const block = makeBlock(name, { [seq]: int(0, max), [busy]: bool() });
  const loc = (l: string) => checkIdent(`intervalNotifier(${name}) local`, l);
  return Object.freeze({
    ...block,
    seqLocal: () => int(0, max),
    readBegin: (l: string): Fragment => ({
      when: guardOf(`!s.${busy}`, `mmu_interval_read_begin(${name}): no invalidation in progress`),
      then: effectOf(`me.${loc(l)} = s.${seq};`, `mmu_interval_read_begin(${name})`),
      doc: `mmu_interval_read_begin(${name})`,
    }),
    readRetry: (l: string, labels: { at: string; retry: string; ok: string }): StepMap => {
      const at = checkIdent(`intervalNotifier(${name}).readRetry at`, labels.at);
      return {
        [at]: { when: guardOf(`s.${seq} === me.${loc(l)}`, `mmu_interval_read_retry(${name}) == false`), next: labels.ok, doc: `mmu_interval_read_retry(${name}): sequence unchanged` },
        [`${at}_retry`]: { at, when: guardOf(`s.${seq} !== me.${loc(l)}`, `mmu_interval_read_retry(${name}) == true`), next: labels.retry, doc: `mmu_interval_read_retry(${name}): invalidated, retry` },
      };
    },
    invalidateStart: (): Fragment => ({ then: effectOf(`s.${busy} = true;`, `mn_itree_inv_start_range(${name})`), doc: `mn_itree_inv_start_range(${name})` }),
    invalidateEnd: (): Fragment => ({ then: effectOf(`s.${busy} = false;`, `mn_itree_inv_end(${name})`), doc: `mn_itree_inv_end(${name})` }),
    setSeq: (): Fragment => ({ then: effectOf(`s.${seq} = s.${seq} === ${max} ? 0 : s.${seq} + 1;`, `mmu_interval_set_seq(${name})`), doc: `mmu_interval_set_seq(${name})` }),
  });
}
