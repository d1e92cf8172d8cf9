import { McError, q } from '../errors.ts';
import { array, bool } from '../domains.ts';
import { thread, type StepDef, type ThreadGroupDef } from '../define.ts';
import { checkIdent, effectOf, guardOf, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block } from './block.ts';

/**
 * Per-CPU work items (kernel/workqueue.c), as `lru_add_drain_all()`
 * (mm/swap.c) uses them: queue a work item on every CPU, then flush each.
 *
 * - `queueOn(cpu)`: `queue_work_on()`: sets the item's PENDING bit on that
 *   CPU (`test_and_set_bit(WORK_STRUCT_PENDING_BIT)`: queueing a pending
 *   item does nothing). `queueAll()`: the loop of `lru_add_drain_all()`.
 * - `flush(cpu)` / `flushAll()`: `flush_work()`: enabled once the item is
 *   neither pending nor running on that CPU (the CPU's worker is idle).
 * - `workers(body)`: one worker thread per CPU, `<name><cpu>`, the kworker
 *   that runs the item: at `idle` it takes a pending item (clears PENDING,
 *   as `process_one_work()` does before calling the function) and runs the
 *   body's steps, which end by going back to `idle`. `idle` is an end label.
 *   Bind the workers to their CPUs with onCpus().
 *
 * State: `<name>_pending: array(cpus, bool())`.
 */
export interface Workqueue extends Block {
  readonly cpus: number;
  workerName(cpu: number): string;
  queueOn(cpu: number): Fragment;
  queueAll(): Fragment;
  flush(cpu: number): Fragment;
  flushAll(): Fragment;
  workers(body: (cpu: number) => { start: string; steps: Record<string, StepDef> }): ThreadGroupDef[];
}

export function workqueue(name: string, cpus: number): Workqueue {
  checkIdent('workqueue()', name);
  if (!Number.isInteger(cpus) || cpus < 1) throw new McError('MC171', `workqueue(${q(name)}): cpus must be a positive integer, got ${q(cpus)}`);
  const pending = `${name}_pending`;
  const block = makeBlock(name, { [pending]: array(cpus, bool()) });
  const cpu = (k: number, op: string) => {
    if (!Number.isInteger(k) || k < 0 || k >= cpus) throw new McError('MC176', `workqueue(${q(name)}).${op}(${q(k)}): CPUs are 0..${cpus - 1}`);
    return k;
  };
  const worker = (k: number) => `${name}${k}`;
  const idle = (k: number) => `!s.${pending}.get(${k}) && s.at(${JSON.stringify(worker(k))}) === 'idle'`;
  const all = Array.from({ length: cpus }, (_, k) => k);
  return markFragments(name, {
    ...block,
    cpus,
    workerName: (k: number) => worker(cpu(k, 'workerName')),
    queueOn: (k: number): Fragment => ({ then: effectOf(`s.${pending}.set(${cpu(k, 'queueOn')}, true);`, `queue_work_on(${k}, ${name})`), doc: `queue_work_on(${k}, ${name})` }),
    queueAll: (): Fragment => ({ then: effectOf(`s.${pending}.fill(true);`, `queue_work_on(each cpu, ${name})`), doc: `queue_work_on(each cpu, ${name})` }),
    flush: (k: number): Fragment => ({ when: guardOf(idle(cpu(k, 'flush')), `flush_work(${name} on ${k})`), doc: `flush_work(${name} on ${k})` }),
    flushAll: (): Fragment => ({ when: guardOf(all.map(idle).join(' && '), `flush_work(${name} on each cpu)`), doc: `flush_work(${name} on each cpu)` }),
    workers: (body: (k: number) => { start: string; steps: Record<string, StepDef> }): ThreadGroupDef[] =>
      all.map((k) => {
        const b = body(k);
        return thread(worker(k), {
          start: 'idle',
          end: ['idle'],
          steps: {
            [`${name}_run`]: { at: 'idle', when: guardOf(`s.${pending}.get(${k})`, `${name} pending on ${k}`), then: effectOf(`s.${pending}.set(${k}, false);`, `process_one_work(${name})`), next: b.start, doc: `process_one_work(${name}) on cpu ${k}` },
            ...b.steps,
          },
        });
      }),
  });
}
