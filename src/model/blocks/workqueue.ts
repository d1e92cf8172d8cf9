import { McError, q } from '../errors.ts';
import { array, bool, int, type ArrayDomain, type BoolDomain, type IntDomain } from '../domains.ts';
import type { LocalSpec, SharedSpec } from '../view-types.ts';
import { thread, type StepDef, type ThreadGroupDef } from '../define.ts';
import { checkIdent, effectOf, guardOf, type BlockSteps, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars } from './block.ts';

/**
 * Per-CPU work items (kernel/workqueue.c), as `lru_add_drain_all()`
 * (mm/swap.c) uses them: queue a work item on every CPU, then flush each.
 *
 * - `queueOn(cpu)`: `queue_work_on()`: sets the item's PENDING bit on that
 *   CPU (`test_and_set_bit(WORK_STRUCT_PENDING_BIT)`: queueing a pending
 *   item does nothing). `queueAll()`: the loop of `lru_add_drain_all()`.
 * - `flushWork(cpu, { at, next })` / `flushAllWork({ at, next })`:
 *   `flush_work()` as the kernel does it: wait for the instance that is
 *   pending or running when it is called, and for nothing queued later
 *   (`start_flush_work()` inserts a barrier after that instance, or returns
 *   at once when the item is idle). At `at`: idle → `next`; else the
 *   flusher arms the CPU's countdown `<name>_flushing[cpu]` (2 when the item
 *   is pending: it must start, then finish; 1 when it only runs) and waits
 *   at `<at>_wait` until the worker has started the awaited instance and is
 *   back at `idle`, or has started another one since (each start counts
 *   the countdown down, so the wait stays over once it is). One flusher
 *   per CPU at a time: a second one while the first waits stops the search
 *   (MC135). `flushAllWork` flushes CPU 0, then 1, ... (the loop of
 *   `lru_add_drain_all()`), at labels `at`, `<at>_1`, ...
 * - `flush(cpu)` / `flushAll()`: a guard that holds once the item is
 *   neither pending nor running (the CPU's worker is idle): stronger than
 *   `flush_work()`, for an item that is never queued again while it is
 *   flushed. An item that requeues itself (as `vmstat_update` does) is never
 *   idle, and the flusher waits forever: use `flushWork`.
 * - `workers(body)`: one worker thread per CPU, `<name><cpu>`, the kworker
 *   that runs the item: at `idle` it takes a pending item (clears PENDING,
 *   as `process_one_work()` does before calling the function) and runs the
 *   body's steps, which end by going back to `idle`. `idle` is an end label.
 *   The body may declare the worker's `locals` (the work function's own
 *   variables, `me.NAME` in its steps) and `labels`.
 *   Bind the workers to their CPUs with onCpus().
 *
 * State: `<name>_pending: array(cpus, bool())`, `<name>_flushing:
 * array(cpus, int(0, 2))` (0 unless a `flushWork` waits).
 */
export interface Workqueue<V extends SharedSpec = SharedSpec> extends Block<V> {
  readonly cpus: number;
  workerName(cpu: number): string;
  queueOn(cpu: number): Fragment;
  queueAll(): Fragment;
  flush(cpu: number): Fragment;
  flushAll(): Fragment;
  flushWork<At extends string, Next extends string>(cpu: number, labels: { at: At; next: Next }): NoInfer<BlockSteps<At | `${At}_barrier` | `${At}_wait`, Next | `${At}_wait`>>;
  /** Steps `<at>`, `<at>_1`, ... (one per CPU after the first), each with its `_barrier` and `_wait` steps; typed are the first CPU's (the label the model names). */
  flushAllWork<At extends string, Next extends string>(labels: { at: At; next: Next }): NoInfer<BlockSteps<At | `${At}_barrier` | `${At}_wait`, Next | At | `${At}_wait`>>;
  workers(body: (cpu: number) => WorkerBody): ThreadGroupDef[];
}

/** What `workers(body)` runs on each CPU: the label after `idle`, the steps, and the work function's locals and labels. */
export interface WorkerBody {
  start: string;
  steps: Record<string, StepDef>;
  locals?: LocalSpec;
  labels?: string[];
}

/** The variables of workqueue `N`, as the compiler sees them. */
export type WorkqueueVars<N extends string> = KnownVars<N, { [K in `${N}_pending` | `${N}_flushing`]: K extends `${N}_pending` ? ArrayDomain<BoolDomain> : ArrayDomain<IntDomain> }>;

export function workqueue<N extends string>(name: N, cpus: number): Workqueue<WorkqueueVars<N>> {
  checkIdent('workqueue()', name);
  if (!Number.isInteger(cpus) || cpus < 1) throw new McError('MC171', `workqueue(${q(name)}): cpus must be a positive integer, got ${q(cpus)}`);
  const pending = `${name}_pending`;
  const flushing = `${name}_flushing`;
  const block = makeBlock<WorkqueueVars<N>>(name, { [pending]: array(cpus, bool()), [flushing]: array(cpus, int(0, 2)) });
  const cpu = (k: number, op: string) => {
    if (!Number.isInteger(k) || k < 0 || k >= cpus) throw new McError('MC176', `workqueue(${q(name)}).${op}(${q(k)}): CPUs are 0..${cpus - 1}`);
    return k;
  };
  const worker = (k: number) => `${name}${k}`;
  const idle = (k: number) => `!s.${pending}.get(${k}) && s.at(${JSON.stringify(worker(k))}) === 'idle'`;
  const all = Array.from({ length: cpus }, (_, k) => k);
  const flushWork = <At extends string, Next extends string>(k: number, l: { at: At; next: Next }) => {
    const at = checkIdent(`workqueue(${name}).flushWork at`, l.at);
    cpu(k, 'flushWork');
    const what = `flush_work(${name} on ${k})`;
    const overlap = `throw new Error('workqueue(${name}): a second flushWork on cpu ${k} while one waits (one flusher per CPU at a time)');`;
    return {
      [at]: { when: guardOf(idle(k), `${what}: idle`), next: l.next, doc: `${what}: neither pending nor running, return` },
      [`${at}_barrier`]: {
        at,
        when: guardOf(`!(${idle(k)})`, `${what}: pending or running`),
        then: effectOf(`if (s.${flushing}.get(${k}) !== 0) ${overlap} s.${flushing}.set(${k}, s.${pending}.get(${k}) ? 2 : 1);`, `${what}: insert a barrier`),
        next: `${at}_wait`,
        doc: `${what}: start_flush_work inserts a barrier after the pending or running instance`,
      },
      [`${at}_wait`]: {
        when: guardOf(`s.${flushing}.get(${k}) === 0 || (s.${flushing}.get(${k}) === 1 && s.at(${JSON.stringify(worker(k))}) === 'idle')`, `${what}: the barrier ran`),
        then: effectOf(`s.${flushing}.set(${k}, 0);`, `${what}: done`),
        next: l.next,
        doc: `${what}: wait_for_completion of the barrier: the awaited instance has finished`,
      },
    } as BlockSteps<At | `${At}_barrier` | `${At}_wait`, Next | `${At}_wait`>;
  };
  return markFragments(name, {
    ...block,
    cpus,
    workerName: (k: number) => worker(cpu(k, 'workerName')),
    queueOn: (k: number): Fragment => ({ then: effectOf(`s.${pending}.set(${cpu(k, 'queueOn')}, true);`, `queue_work_on(${k}, ${name})`), doc: `queue_work_on(${k}, ${name})` }),
    queueAll: (): Fragment => ({ then: effectOf(`s.${pending}.fill(true);`, `queue_work_on(each cpu, ${name})`), doc: `queue_work_on(each cpu, ${name})` }),
    flush: (k: number): Fragment => ({ when: guardOf(idle(cpu(k, 'flush')), `flush_work(${name} on ${k})`), doc: `flush_work(${name} on ${k})` }),
    flushAll: (): Fragment => ({ when: guardOf(all.map(idle).join(' && '), `flush_work(${name} on each cpu)`), doc: `flush_work(${name} on each cpu)` }),
    flushWork,
    flushAllWork: <At extends string, Next extends string>(l: { at: At; next: Next }) => {
      const at = checkIdent(`workqueue(${name}).flushAllWork at`, l.at);
      const label = (k: number) => (k === 0 ? at : `${at}_${k}`);
      return Object.assign({}, ...all.map((k) => flushWork(k, { at: label(k), next: k === cpus - 1 ? l.next : label(k + 1) }))) as BlockSteps<At | `${At}_barrier` | `${At}_wait`, Next | At | `${At}_wait`>;
    },
    workers: (body: (k: number) => WorkerBody): ThreadGroupDef[] =>
      all.map((k) => {
        const b = body(k);
        return thread(worker(k), {
          start: 'idle',
          end: ['idle'],
          ...(b.locals ? { locals: b.locals } : {}),
          ...(b.labels ? { labels: b.labels } : {}),
          steps: {
            [`${name}_run`]: { at: 'idle', when: guardOf(`s.${pending}.get(${k})`, `${name} pending on ${k}`), then: effectOf(`s.${pending}.set(${k}, false); if (s.${flushing}.get(${k}) > 0) s.${flushing}.set(${k}, s.${flushing}.get(${k}) - 1);`, `process_one_work(${name})`), next: b.start, doc: `process_one_work(${name}) on cpu ${k}` },
            ...b.steps,
          },
        });
      }),
  });
}
