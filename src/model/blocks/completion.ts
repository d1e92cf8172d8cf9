import { McError, q } from '../errors.ts';
import { bool, int, type BoolDomain, type IntDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { checkIdent, effectOf, guardOf, type BlockSteps, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars } from './block.ts';

/**
 * A completion (kernel/sched/completion.c, include/linux/completion.h):
 *
 * - `wait()`: `wait_for_completion()`: enabled once `done` is positive or
 *   `complete_all()` was called; consumes one `done` unless completed for
 *   all.
 * - `tryWait({ at, ok, busy })`: `try_wait_for_completion()`.
 * - `complete()`: `complete()`: one more `done` (past `max` is a write
 *   outside the domain: size max for the model's completions).
 * - `completeAll()`: `complete_all()`: every present and future waiter passes
 *   (the kernel sets done to UINT_MAX).
 * - `reinit()`: `reinit_completion()`. `isDone()`: `completion_done()`.
 *
 * State: `<name>_done: int(0, max)` and `<name>_all: bool`.
 */
export interface Completion<V extends SharedSpec = SharedSpec> extends Block<V> {
  wait(): Fragment;
  tryWait<At extends string, Ok extends string, Busy extends string>(labels: { at: At; ok: Ok; busy: Busy }): NoInfer<BlockSteps<At | `${At}_busy`, Ok | Busy>>;
  complete(): Fragment;
  completeAll(): Fragment;
  reinit(): Fragment;
  isDone(): Fragment;
}

/** The variables of completion `N`, as the compiler sees them. */
export type CompletionVars<N extends string> = KnownVars<N, { [K in `${N}_done` | `${N}_all`]: K extends `${N}_all` ? BoolDomain : IntDomain }>;

export function completion<N extends string>(name: N, opts: { max: number } = { max: 1 }): Completion<CompletionVars<N>> {
  checkIdent('completion()', name);
  const max = opts.max;
  if (!Number.isInteger(max) || max < 1) throw new McError('MC171', `completion(${q(name)}): max must be a positive integer, got ${q(max)}`);
  const done = `${name}_done`;
  const all = `${name}_all`;
  const block = makeBlock<CompletionVars<N>>(name, { [done]: int(0, max), [all]: bool() });
  const ready = `s.${all} || s.${done} > 0`;
  const take = `if (!s.${all}) s.${done} = s.${done} - 1;`;
  return markFragments(name, {
    ...block,
    wait: (): Fragment => ({ when: guardOf(ready, `wait_for_completion(${name})`), then: effectOf(take, `wait_for_completion(${name})`), doc: `wait_for_completion(${name})` }),
    tryWait: <At extends string, Ok extends string, Busy extends string>(l: { at: At; ok: Ok; busy: Busy }) => {
      const at = checkIdent(`completion(${name}).tryWait at`, l.at);
      return {
        [at]: { when: guardOf(ready, `try_wait_for_completion(${name})`), then: effectOf(take, `try_wait_for_completion(${name})`), next: l.ok, doc: `try_wait_for_completion(${name}) succeeds` },
        [`${at}_busy`]: { at, when: guardOf(`!(${ready})`, `try_wait_for_completion(${name}) fails`), next: l.busy, doc: `try_wait_for_completion(${name}) fails` },
      } as BlockSteps<At | `${At}_busy`, Ok | Busy>;
    },
    complete: (): Fragment => ({ then: effectOf(`if (!s.${all}) s.${done} = s.${done} + 1;`, `complete(${name})`), doc: `complete(${name})` }),
    completeAll: (): Fragment => ({ then: effectOf(`s.${all} = true;`, `complete_all(${name})`), doc: `complete_all(${name})` }),
    reinit: (): Fragment => ({ then: effectOf(`s.${done} = 0; s.${all} = false;`, `reinit_completion(${name})`), doc: `reinit_completion(${name})` }),
    isDone: (): Fragment => ({ when: guardOf(ready, `completion_done(${name})`) }),
  });
}
