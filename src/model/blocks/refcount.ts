import { McError, q } from '../errors.ts';
import { int, type IntDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { checkIdent, effectOf, guardOf, type BlockSteps, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars } from './block.ts';

/**
 * A page/folio reference count (include/linux/page_ref.h, include/linux/mm.h).
 *
 * - `get()`: `folio_get()` / `get_page()`: one more reference. A get from
 *   zero takes a reference to a freed (or frozen) folio: the kernel's
 *   `VM_BUG_ON_FOLIO(folio_ref_zero_or_close_to_overflow(folio))` under
 *   `CONFIG_DEBUG_VM`, a use after free without it. It fails the assertion
 *   `<name>-get-from-zero`; a count past `max` is a write outside the
 *   domain (MC2xx). A folio allocated during the run gets its first
 *   reference from `unfreeze(1)` (`set_page_refcounted` sets it from zero).
 *   A count that is no folio's reference count, and legitimately rises from
 *   zero (a pin count), says so: `refcount(name, { max, getFromZero: true })`.
 * - `put()`: `folio_put()` / `put_page()`: one fewer. A put at zero drops a
 *   reference nobody holds (a double put, or a put after the folio was
 *   freed or frozen): the kernel's `VM_BUG_ON_FOLIO(folio_ref_count(folio)
 *   == 0)` in `put_page_testzero()`, a use after free without
 *   `CONFIG_DEBUG_VM`. It fails the assertion `<name>-put-at-zero`.
 *   Freeing at zero is the model's own step.
 * - `tryGet({ at, ok, fail })`: `folio_try_get()` / `get_page_unless_zero()`:
 *   two alternative steps at `at`: the count is not zero → take one and go
 *   to `ok`; it is zero (free, or frozen) → go to `fail`.
 * - `freeze(expected, { at, ok, fail })`: `folio_ref_freeze()` /
 *   `page_ref_freeze()`: the count equals `expected` → set it to zero
 *   (frozen: every `tryGet` fails) and go to `ok`; else `fail`.
 * - `unfreeze(count)`: `folio_ref_unfreeze()`: set the count (1 or more) of
 *   a frozen folio. The kernel's `VM_BUG_ON_PAGE(page_count(page) != 0)`
 *   is the assertion `<name>-frozen-at-unfreeze`: unfreezing a count that
 *   is not frozen (after a failed freeze, say) would overwrite references
 *   others took.
 * - `is(n)` / `isNot(n)`: the expected-count check of
 *   `folio_migrate_mapping()` against `folio_expected_refs()` (the caller
 *   computes the expected number; a mismatch means someone else holds a
 *   reference, -EAGAIN). `positive()`: `folio_ref_count() > 0`.
 *
 * State: `<name>: int(0, max)`.
 */
export interface Refcount<V extends SharedSpec = SharedSpec> extends Block<V> {
  readonly var: string;
  get(): Fragment;
  put(): Fragment;
  tryGet<At extends string, Ok extends string, Fail extends string>(labels: { at: At; ok: Ok; fail: Fail }): NoInfer<BlockSteps<At | `${At}_fail`, Ok | Fail>>;
  freeze<At extends string, Ok extends string, Fail extends string>(expected: number, labels: { at: At; ok: Ok; fail: Fail }): NoInfer<BlockSteps<At | `${At}_fail`, Ok | Fail>>;
  unfreeze(count: number): Fragment;
  is(n: number): Fragment;
  isNot(n: number): Fragment;
  positive(): Fragment;
}

export function refcount<N extends string>(name: N, opts: { max: number; init?: number; getFromZero?: boolean }): Refcount<KnownVars<N, { [K in N]: IntDomain }>> {
  checkIdent('refcount()', name);
  const max = opts?.max;
  if (!Number.isInteger(max) || max < 1) throw new McError('MC171', `refcount(${q(name)}): max must be a positive integer, got ${q(max)}`);
  const init = opts.init ?? 0;
  const fromZero = opts.getFromZero ?? false;
  if (typeof fromZero !== 'boolean') throw new McError('MC171', `refcount(${q(name)}): getFromZero must be true or false, got ${q(fromZero)}`);
  const n = (x: number, what: string) => {
    if (!Number.isInteger(x) || x < 0 || x > max) throw new McError('MC171', `refcount(${q(name)}).${what}: ${q(x)} is not a count in 0..${max}`);
    return x;
  };
  n(init, 'init');
  const block = makeBlock<KnownVars<N, { [K in N]: IntDomain }>>(name, { [name]: int(0, max).initially(init) });
  return markFragments(name, {
    ...block,
    var: name,
    get: (): Fragment => ({
      then: effectOf(`${fromZero ? '' : `s.assert(s.${name} !== 0, ${JSON.stringify(`${name}-get-from-zero`)}); `}s.${name} = s.${name} + 1;`, `folio_get(${name})`),
      doc: `folio_get(${name})`,
    }),
    put: (): Fragment => ({
      then: effectOf(`s.assert(s.${name} !== 0, ${JSON.stringify(`${name}-put-at-zero`)}); s.${name} = s.${name} - 1;`, `folio_put(${name})`),
      doc: `folio_put(${name})`,
    }),
    tryGet: <At extends string, Ok extends string, Fail extends string>(l: { at: At; ok: Ok; fail: Fail }) => {
      const at = checkIdent(`refcount(${name}).tryGet at`, l.at);
      return {
        [at]: { when: guardOf(`s.${name} !== 0`, `folio_try_get(${name}): count not zero`), then: effectOf(`s.${name} = s.${name} + 1;`, `folio_try_get(${name})`), next: l.ok, doc: `folio_try_get(${name}) succeeds` },
        [`${at}_fail`]: { at, when: guardOf(`s.${name} === 0`, `folio_try_get(${name}): count is zero`), next: l.fail, doc: `folio_try_get(${name}) fails: count is zero` },
      } as BlockSteps<At | `${At}_fail`, Ok | Fail>;
    },
    freeze: <At extends string, Ok extends string, Fail extends string>(expected: number, l: { at: At; ok: Ok; fail: Fail }) => {
      const e = n(expected, 'freeze');
      const at = checkIdent(`refcount(${name}).freeze at`, l.at);
      return {
        [at]: { when: guardOf(`s.${name} === ${e}`, `folio_ref_freeze(${name}, ${e})`), then: effectOf(`s.${name} = 0;`, `folio_ref_freeze(${name}, ${e})`), next: l.ok, doc: `folio_ref_freeze(${name}, ${e}) succeeds` },
        [`${at}_fail`]: { at, when: guardOf(`s.${name} !== ${e}`, `folio_ref_freeze(${name}, ${e}) fails`), next: l.fail, doc: `folio_ref_freeze(${name}, ${e}) fails: unexpected references` },
      } as BlockSteps<At | `${At}_fail`, Ok | Fail>;
    },
    unfreeze: (c: number): Fragment => {
      if (c === 0) throw new McError('MC171', `refcount(${q(name)}).unfreeze: 0 is no count to unfreeze to (folio_ref_unfreeze: VM_BUG_ON(count == 0)); a frozen folio being freed stays at zero`);
      const to = n(c, 'unfreeze');
      return {
        then: effectOf(`s.assert(s.${name} === 0, ${JSON.stringify(`${name}-frozen-at-unfreeze`)}); s.${name} = ${to};`, `folio_ref_unfreeze(${name}, ${c})`),
        doc: `folio_ref_unfreeze(${name}, ${c})`,
      };
    },
    is: (x: number): Fragment => ({ when: guardOf(`s.${name} === ${n(x, 'is')}`, `folio_ref_count(${name}) == ${x}`) }),
    isNot: (x: number): Fragment => ({ when: guardOf(`s.${name} !== ${n(x, 'isNot')}`, `folio_ref_count(${name}) != ${x}`) }),
    positive: (): Fragment => ({ when: guardOf(`s.${name} > 0`, `folio_ref_count(${name}) > 0`) }),
  });
}
