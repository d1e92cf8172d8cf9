import { McError, q } from '../errors.ts';
import { array, bool, int, type ArrayDomain, type BoolDomain, type Domain, type IntDomain, type ThreadIdDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { checkIdent, effectOf, guardOf, stepLabels, type BlockSteps, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars, type OwnerNamesOf } from './block.ts';
import { Owners } from './owners.ts';

/**
 * Wound/wait mutexes (include/linux/ww_mutex.h, kernel/locking/ww_mutex.h,
 * Documentation/locking/ww-mutex-design.rst): the locks of `dma_resv`, which
 * GPU drivers take for several buffer objects at once (execbuf, TTM
 * eviction) in no fixed order. Each thread locks under an acquire context
 * whose stamp orders it (smaller is older); a conflict between two contexts
 * is resolved by the class's algorithm, and the loser's `ww_mutex_lock`
 * returns -EDEADLK, after which it must release every lock of the class,
 * take the contended one with `ww_mutex_lock_slow` and start again.
 *
 * - `acquireInit(g)`: `ww_acquire_init()`: the context takes the class's
 *   next stamp (`atomic_long_inc_return(&ww_class->stamp)`); one more than
 *   `contexts` allows stops the search (MC135).
 * - `acquireFini(g)`: `ww_acquire_fini()`: the context ends (stamp 0); with
 *   a lock of the class still held it fails the assertion
 *   `<name>-fini-while-held` (`DEBUG_LOCKS_WARN_ON(ctx->acquired)`).
 * - `lock(g, { at, ok, deadlk?, already? }, index?)`: `ww_mutex_lock()`,
 *   steps at `at`: take the lock if it is free (to `ok`); while another
 *   thread holds it, wait at `at`, and return -EDEADLK (to `deadlk`, step
 *   `<at>_deadlk`) when the context holds a lock of the class and, with
 *   wound-wait, has been wounded (`__ww_mutex_check_kill`: `ctx->wounded`),
 *   with wait-die, the holder's context is older (`__ww_ctx_less(ctx,
 *   hold_ctx)`). With wound-wait a waiting context that holds a lock of the
 *   class and is older than the holder's wounds it (step `<at>_wound`,
 *   `__ww_mutex_wound`, before the waiter itself can die, as
 *   `__ww_mutex_add_waiter` wounds before the wait loop's
 *   `__ww_mutex_check_kill`): the holder returns -EDEADLK from its next
 *   `ww_mutex_lock` that has to wait, and takes free locks meanwhile, as the
 *   kernel's fast path does. `already` (step `<at>_already`): the caller
 *   holds the lock (-EALREADY); without it such a call waits forever.
 *   A thread without a context (stamp 0: `ww_mutex_lock(lock, NULL)`) is a
 *   plain mutex's waiter: it neither wounds nor dies. Without `deadlk` the
 *   call is one made holding no lock of the class (the first of a context),
 *   which can neither die nor wound: only the take is generated, and it
 *   fails the assertion `<name>-deadlk-unhandled` if the caller holds one.
 * - `lockSlow(g, { at, next }, index?)`: `ww_mutex_lock_slow()`: wait until
 *   the lock is free and take it, never -EDEADLK; called with a lock of the
 *   class held it fails the assertion `<name>-slow-while-held`.
 * - `trylock(g, { at, ok, busy }, index?)`: `ww_mutex_trylock()` (and
 *   `dma_resv_trylock()`): take it if it is free (to `ok`), else go to
 *   `busy` (step `<at>_busy`), held by the caller included; never
 *   -EDEADLK. A lock taken so counts as held under the caller's context.
 * - `unlock(g, index?)`: `ww_mutex_unlock()`.
 * - `held(g, index?)`, `isLocked(index?)`, `free(index?)`: guards.
 *
 * With wait-die a waiter with a context queues on the lock (step
 * `<at>_wait`, in `lock` and `lockSlow`), and a context that holds a lock of
 * the class dies also when an older context waits for the same lock, as
 * `__ww_mutex_add_waiter` and `__ww_mutex_check_kill` make it (the list is
 * ordered by stamp, so an older waiter is before it). Left out: the list's
 * order for handing a freed lock over (whichever waiter is scheduled takes
 * it). The wounded flag is cleared when the context releases its last lock
 * of the class (the kernel clears it at the next `ww_mutex_lock` called
 * without one; nothing reads it between).
 *
 * State: owners as `mutex` (one `threadId(group, { none: true })` per group,
 * arrays of them with `{ locks }`), `<name>_ctx` / `<name>_ctx_<group>`
 * (`array(count, int(0, max)).indexedBy(group)`: each thread's context
 * stamp, 0 for none), with wound-wait `<name>_wounded` /
 * `<name>_wounded_<group>` (`array(count, bool()).indexedBy(group)`), with
 * wait-die `<name>_waits` / `<name>_waits_<group>` (`array(count, int(-1,
 * locks - 1)).indexedBy(group)`: the lock each thread waits for, -1 for
 * none), and
 * `<name>_clock: int(0, max)`, the class's last stamp; `max` is the number
 * of threads times `contexts` (how many contexts each thread starts, 1 by
 * default).
 */
export interface WwMutex<V extends SharedSpec = SharedSpec, G extends string = string> extends Block<V> {
  acquireInit(group?: G): Fragment;
  acquireFini(group?: G): Fragment;
  lock<At extends string, Ok extends string, Deadlk extends string = never, Already extends string = never>(
    group: G | undefined,
    labels: { at: At; ok: Ok; deadlk?: Deadlk; already?: Already },
    index?: string,
  ): NoInfer<BlockSteps<At | `${At}_deadlk` | `${At}_wound` | `${At}_wait` | `${At}_already`, Ok | Deadlk | Already | At>>;
  lockSlow<At extends string, Next extends string>(group: G | undefined, labels: { at: At; next: Next }, index?: string): NoInfer<BlockSteps<At | `${At}_wait`, Next | At>>;
  trylock<At extends string, Ok extends string, Busy extends string>(group: G | undefined, labels: { at: At; ok: Ok; busy: Busy }, index?: string): NoInfer<BlockSteps<At | `${At}_busy`, Ok | Busy>>;
  unlock(group?: G, index?: string): Fragment;
  held(group?: G, index?: string): Fragment;
  isLocked(index?: string): Fragment;
  free(index?: string): Fragment;
}

/** The variables of ww_mutex `N` taken by the groups `G` (the keys of the groups' sizes), as the compiler sees them. */
export type WwMutexVars<N extends string, G, L extends number | undefined> = KnownVars<
  N | (G extends unknown ? keyof G & string : never),
  { [K in OwnerNamesOf<N, G>]: [L] extends [undefined] ? ThreadIdDomain : [L] extends [number] ? ArrayDomain<ThreadIdDomain> : ThreadIdDomain | ArrayDomain<ThreadIdDomain> } & {
    [K in OwnerNamesOf<`${N}_ctx`, G>]: ArrayDomain<IntDomain>;
  } & { [K in OwnerNamesOf<`${N}_wounded`, G> | OwnerNamesOf<`${N}_waits`, G>]: ArrayDomain<K extends `${N}_waits${string}` ? IntDomain : BoolDomain> } & { [K in `${N}_clock`]: IntDomain }
>;

export type WwAlgorithm = 'wound-wait' | 'wait-die';

export function wwMutex<N extends string, const G extends Readonly<Record<string, number | undefined>>, L extends number | undefined = undefined>(
  name: N,
  groups: G,
  opts: { locks?: L; algorithm?: WwAlgorithm; contexts?: number } = {},
): WwMutex<WwMutexVars<N, G, L>, keyof G & string> {
  const fn = 'wwMutex';
  const names = Object.keys(groups ?? {});
  const algorithm = opts.algorithm ?? 'wound-wait';
  if (algorithm !== 'wound-wait' && algorithm !== 'wait-die') throw new McError('MC171', `${fn}(${q(name)}): algorithm must be 'wound-wait' (DEFINE_WW_CLASS, as dma_resv) or 'wait-die' (DEFINE_WD_CLASS), got ${q(algorithm)}`);
  const contexts = opts.contexts ?? 1;
  if (!Number.isInteger(contexts) || contexts < 1 || contexts > 64) throw new McError('MC171', `${fn}(${q(name)}): contexts (how many acquire contexts each thread starts) must be an integer in 1..64, got ${q(contexts)}`);
  const locks = opts.locks;
  if (locks !== undefined && (!Number.isInteger(locks) || locks < 1 || locks > 64)) throw new McError('MC171', `${fn}(${q(name)}): locks must be an integer in 1..64, got ${q(locks)}`);
  const o = new Owners(fn, name, names, locks);
  const ctxOf = new Owners(fn, `${name}_ctx`, names);
  const woundOf = new Owners(fn, `${name}_wounded`, names);
  const waitOf = new Owners(fn, `${name}_waits`, names);
  const clock = `${name}_clock`;
  const ww = algorithm === 'wound-wait';
  const shared: Record<string, Domain> = {};
  let all = 0;
  for (const g of names) {
    const n = groups[g]!;
    if (!Number.isInteger(n) || n < 1) throw new McError('MC171', `${fn}(${q(name)}): group ${q(g)} needs its number of threads, got ${q(n)}`);
    all += n;
  }
  const max = all * contexts;
  Object.assign(shared, o.shared());
  for (const g of names) {
    const n = groups[g]!;
    shared[ctxOf.vars.get(g)!] = array(n, int(0, max)).indexedBy(g);
    if (ww) shared[woundOf.vars.get(g)!] = array(n, bool()).indexedBy(g);
    else shared[waitOf.vars.get(g)!] = array(n, int(-1, (locks ?? 1) - 1, -1)).indexedBy(g);
  }
  if (Object.hasOwn(shared, clock)) throw new McError('MC171', `${fn}(${q(name)}): a group's variable would have the name of the class's stamp ${q(clock)}`);
  shared[clock] = int(0, max);
  if (Object.keys(shared).length !== names.length * 3 + 1) throw new McError('MC171', `${fn}(${q(name)}): the groups ${names.map((g) => q(g)).join(', ')} give two of its variables one name`);
  const block = makeBlock<WwMutexVars<N, G, L>>(name, shared, [{ name, kind: 'mutex', owners: o.decl(), also: [...ctxOf.vars.values(), ...(ww ? woundOf.vars : waitOf.vars).values(), clock] }]);
  const nm = (i: string | undefined) => (i === undefined ? name : `${name}[${i}]`);
  /** The caller's context stamp. */
  const mine = (g: string | undefined, op: string) => `s.${ctxOf.of(g, op)}.get(me.id)`;
  /** Text of "the caller holds some lock of the class" (its group's owners). */
  const holdsAny = (v: string) => (locks === undefined ? `(s.${v} === me.id)` : `(${Array.from({ length: locks }, (_, k) => `s.${v}.get(${k}) === me.id`).join(' || ')})`);
  /** Text of "a thread other than the caller holds lock i" (the caller's owner variable is v). */
  const heldByOther = (v: string, i: string | undefined) => `(${o.heldText(i)}) && ${o.read(v, i)} !== me.id`;
  /** Text of the holder's context stamp (0 when free): one conditional per group. */
  const holderStamp = (i: string | undefined): string =>
    [...o.vars].reduceRight((rest, [g, v]) => `(${o.read(v, i)} !== -1 ? s.${ctxOf.vars.get(g)!}.get(${o.read(v, i)}) : ${rest})`, '0');
  const holderWounded = (i: string | undefined): string =>
    [...o.vars].reduceRight((rest, [g, v]) => `(${o.read(v, i)} !== -1 ? s.${woundOf.vars.get(g)!}.get(${o.read(v, i)}) : ${rest})`, 'false');
  const wound = (i: string | undefined): string => [...o.vars].map(([g, v]) => `if (${o.read(v, i)} !== -1) s.${woundOf.vars.get(g)!}.set(${o.read(v, i)}, true);`).join(' else ');
  /** Wait-die: the lock (index text) a waiter queues on, 0 for a single lock. */
  const at0 = (i: string | undefined) => i ?? '0';
  /** Wait-die: text of "a context older than the caller's waits for lock i" (the kernel's wait list is ordered by stamp: such a waiter is before the caller). */
  const olderWaiter = (i: string | undefined, me: string): string =>
    names.flatMap((g) => Array.from({ length: groups[g]! }, (_, t) => `(s.${waitOf.vars.get(g)!}.get(${t}) === ${at0(i)} && s.${ctxOf.vars.get(g)!}.get(${t}) !== 0 && s.${ctxOf.vars.get(g)!}.get(${t}) < ${me})`)).join(' || ');
  /** Wait-die: the caller queues on lock i as a waiter with a context (steps `<at>_wait`, which others' deadlk guards read); its take or its -EDEADLK leaves the queue. */
  const queue = (g: string | undefined, v: string, i: string | undefined, at: string, me: string) => ({
    [`${at}_wait`]: {
      at,
      when: guardOf(`${heldByOther(v, i)} && ${me} !== 0 && s.${waitOf.of(g, 'lock')}.get(me.id) === -1`, `${nm(i)}: queue as a waiter`),
      then: effectOf(`s.${waitOf.of(g, 'lock')}.set(me.id, ${at0(i)});`, `${nm(i)}: queue as a waiter`),
      next: at,
      doc: `__ww_mutex_add_waiter(${nm(i)}): queued in stamp order`,
    },
  });
  /** Wait-die: the effect that takes the caller off the wait list. */
  const unqueue = (g: string | undefined) => (ww ? '' : ` s.${waitOf.of(g, 'lock')}.set(me.id, -1);`);
  /** The effect of taking lock i as owner variable v. */
  const take = (v: string, i: string | undefined) => o.write(v, i, 'me.id');
  return markFragments(name, {
    ...block,
    acquireInit: (g?: string): Fragment => {
      const c = ctxOf.of(g, 'acquireInit');
      const more = JSON.stringify(`${fn}(${q(name)}): acquire context ${max + 1} of the class, where contexts: ${contexts} allows ${max} (${contexts} for each of its ${all} threads): give ${fn} a larger contexts`);
      return { then: effectOf(`if (s.${clock} === ${max}) throw new RangeError(${more}); s.${clock} = s.${clock} + 1; s.${c}.set(me.id, s.${clock});`, `ww_acquire_init(${name})`), doc: `ww_acquire_init(${name} class)` };
    },
    acquireFini: (g?: string): Fragment => {
      const v = o.of(g, 'acquireFini');
      const c = ctxOf.of(g, 'acquireFini');
      return {
        then: effectOf(`s.assert(!${holdsAny(v)}, ${JSON.stringify(`${name}-fini-while-held`)}); s.${c}.set(me.id, 0);`, `ww_acquire_fini(${name})`),
        doc: `ww_acquire_fini(${name} class)`,
      };
    },
    lock: <At extends string, Ok extends string, Deadlk extends string = never, Already extends string = never>(g: string | undefined, l: { at: At; ok: Ok; deadlk?: Deadlk; already?: Already }, index?: string) => {
      const at = checkIdent(`${fn}(${name}).lock at`, stepLabels(`${fn}(${name}).lock`, l, ['at', 'ok', 'deadlk?', 'already?']).at);
      const i = o.index(index, 'lock');
      const v = o.of(g, 'lock');
      const me = mine(g, 'lock');
      const contended = `${heldByOther(v, i)} && ${me} !== 0 && ${holdsAny(v)}`;
      /** Wound-wait: the holder is younger and not yet wounded (a waiter that holds a lock of the class wounds it as it queues, before it can die). */
      const woundable = `${holderStamp(i)} > ${me} && !${holderWounded(i)}`;
      const killed = ww ? `s.${woundOf.of(g, 'lock')}.get(me.id) && !(${woundable})` : `((${holderStamp(i)} !== 0 && ${holderStamp(i)} < ${me}) || ${olderWaiter(i, me)})`;
      // Without a deadlk label the call is one made holding no lock of the class (the first of a context), which cannot return -EDEADLK: the take asserts it.
      const first = l.deadlk === undefined ? `s.assert(!${holdsAny(v)}, ${JSON.stringify(`${name}-deadlk-unhandled`)}); ` : '';
      const steps: Record<string, unknown> = {
        [at]: { when: guardOf(o.freeText(i), `ww_mutex_lock(${nm(i)})`), then: effectOf(`${first}${take(v, i)}${unqueue(g)}`, `ww_mutex_lock(${nm(i)})`), next: l.ok, doc: `ww_mutex_lock(${nm(i)})` },
        ...(ww ? {} : queue(g, v, i, at, me)),
      };
      if (l.deadlk !== undefined)
        steps[`${at}_deadlk`] = {
          at,
          when: guardOf(`${contended} && ${killed}`, `ww_mutex_lock(${nm(i)}) = -EDEADLK`),
          ...(ww ? {} : { then: effectOf(unqueue(g).trim(), `ww_mutex_lock(${nm(i)}) = -EDEADLK`) }),
          next: l.deadlk,
          doc: ww ? `ww_mutex_lock(${nm(i)}) = -EDEADLK: wounded by an older context` : `ww_mutex_lock(${nm(i)}) = -EDEADLK: the holder's context, or a waiter's, is older`,
        };
      if (ww && l.deadlk !== undefined)
        steps[`${at}_wound`] = {
          at,
          when: guardOf(`${contended} && ${woundable}`, `${nm(i)}: wound the younger holder`),
          then: effectOf(wound(i), `${nm(i)}: wound the younger holder`),
          next: at,
          doc: `__ww_mutex_wound(${nm(i)}): the holder's context is younger`,
        };
      if (l.already !== undefined)
        steps[`${at}_already`] = { at, when: guardOf(`${o.read(v, i)} === me.id`, `ww_mutex_lock(${nm(i)}) = -EALREADY`), next: l.already, doc: `ww_mutex_lock(${nm(i)}) = -EALREADY` };
      return steps as BlockSteps<At | `${At}_deadlk` | `${At}_wound` | `${At}_wait` | `${At}_already`, Ok | Deadlk | Already | At>;
    },
    lockSlow: <At extends string, Next extends string>(g: string | undefined, l: { at: At; next: Next }, index?: string) => {
      const at = checkIdent(`${fn}(${name}).lockSlow at`, stepLabels(`${fn}(${name}).lockSlow`, l, ['at', 'next']).at);
      const i = o.index(index, 'lockSlow');
      const v = o.of(g, 'lockSlow');
      return {
        [at]: {
          when: guardOf(o.freeText(i), `ww_mutex_lock_slow(${nm(i)})`),
          then: effectOf(`s.assert(!${holdsAny(v)}, ${JSON.stringify(`${name}-slow-while-held`)}); ${take(v, i)}${unqueue(g)}`, `ww_mutex_lock_slow(${nm(i)})`),
          next: l.next,
          doc: `ww_mutex_lock_slow(${nm(i)})`,
        },
        ...(ww ? {} : queue(g, v, i, at, mine(g, 'lockSlow'))),
      } as BlockSteps<At | `${At}_wait`, Next | At>;
    },
    trylock: <At extends string, Ok extends string, Busy extends string>(g: string | undefined, l: { at: At; ok: Ok; busy: Busy }, index?: string) => {
      const at = checkIdent(`${fn}(${name}).trylock at`, stepLabels(`${fn}(${name}).trylock`, l, ['at', 'ok', 'busy']).at);
      const i = o.index(index, 'trylock');
      const v = o.of(g, 'trylock');
      return {
        [at]: { when: guardOf(o.freeText(i), `ww_mutex_trylock(${nm(i)})`), then: effectOf(take(v, i), `ww_mutex_trylock(${nm(i)})`), next: l.ok, doc: `ww_mutex_trylock(${nm(i)}) succeeds` },
        [`${at}_busy`]: { at, when: guardOf(`!(${o.freeText(i)})`, `ww_mutex_trylock(${nm(i)}) fails`), next: l.busy, doc: `ww_mutex_trylock(${nm(i)}) fails` },
      } as BlockSteps<At | `${At}_busy`, Ok | Busy>;
    },
    unlock: (g?: string, index?: string): Fragment => {
      const i = o.index(index, 'unlock');
      const v = o.of(g, 'unlock');
      const clear = ww ? ` if (!${holdsAny(v)}) s.${woundOf.of(g, 'unlock')}.set(me.id, false);` : '';
      return { then: effectOf(`${o.write(v, i, '-1')}${clear}`, `ww_mutex_unlock(${nm(i)})`), doc: `ww_mutex_unlock(${nm(i)})` };
    },
    ...o.guards(nm),
  });
}
