import { McError, q } from '../errors.ts';
import type { ThreadDef, ThreadGroupDef, StepDef } from '../define.ts';
import { allOf, carryStepMaps, guardOf } from './compose.ts';

/**
 * Threads bound to CPUs, with the kernel's preemption models
 * (kernel/Kconfig.preempt; `preempt_schedule()`, `cond_resched()` and
 * `might_sleep()` in kernel/sched/core.c, include/linux/kernel.h):
 *
 * - `'none'` (PREEMPT_NONE): a thread keeps its CPU from its first step until
 *   it reaches a label where it sleeps or calls `cond_resched()` (`sleeps`),
 *   or an end label. Meanwhile no other thread bound to that CPU steps.
 * - `'voluntary'` (PREEMPT_VOLUNTARY): as none, and `might_sleep()` points
 *   (`mightSleep`) also let the others run.
 * - `'full'` (PREEMPT): the thread keeps its CPU only at labels inside a
 *   preempt-disabled section (`atomic`: under a spinlock, `preempt_disable()`,
 *   `local_irq_disable()`).
 *
 * A thread "holds" its CPU while it is at one of its holding labels (the
 * labels it keeps the CPU at: for none and voluntary every label but the
 * start, the end labels and the listed sleeping points; for full the atomic
 * labels). `onCpus` adds to every step of every bound thread the guard
 * "I hold my CPU, or no thread bound to my CPU is at a holding label", so
 * no step can forget it; it adds no state (the labels say who holds a CPU),
 * so a bound model has the states of the unbound one that respect the
 * binding. A thread that holds its CPU and is blocked (spinning on
 * something only another thread of that CPU can give) blocks the CPU for
 * good: a deadlock the reports show as the other threads waiting for the CPU.
 *
 * The guard reads other threads' labels (`s.count`), which partial-order
 * reduction treats as reading every thread's label.
 */
export type Preempt = 'none' | 'voluntary' | 'full';

export interface CpuBinding {
  readonly cpu: number;
  readonly preempt: Preempt;
  /** Labels where the thread sleeps or calls cond_resched(): it gives up its CPU there in every model. */
  readonly sleeps?: readonly string[];
  /** might_sleep() points: preemption points under voluntary (and full). */
  readonly mightSleep?: readonly string[];
  /** Labels inside a preempt-disabled section: the only ones it keeps the CPU at under full. */
  readonly atomic?: readonly string[];
}

const PREEMPT: ReadonlySet<string> = new Set(['none', 'voluntary', 'full']);

/** Every label a thread definition names: start, declared, step labels, constant nexts, ends. */
export function labelsOf(def: ThreadDef): string[] {
  const out = new Set<string>([def.start, ...(def.labels ?? [])]);
  for (const [name, st] of Object.entries(def.steps ?? {})) {
    out.add(st.at ?? name);
    if (typeof st.next === 'string') out.add(st.next);
  }
  for (const e of def.end ?? []) out.add(e);
  return [...out];
}

/** The labels at which a thread bound with `b` keeps its CPU. */
export function holdingLabels(def: ThreadDef, b: CpuBinding): string[] {
  const labels = labelsOf(def);
  if (b.preempt === 'full') return labels.filter((l) => (b.atomic ?? []).includes(l));
  const free = new Set<string>([def.start, ...(def.end ?? []), ...(b.sleeps ?? []), ...(b.preempt === 'voluntary' ? b.mightSleep ?? [] : [])]);
  return labels.filter((l) => !free.has(l));
}

/**
 * The thread groups with each group named in `bindings` bound to its CPU:
 * `threads: (p) => onCpus({ fault: { cpu: 0, preempt: 'none', sleeps: ['wait_sleep'] } }, [replicate(...), thread(...)])`.
 */
export function onCpus(bindings: Readonly<Record<string, CpuBinding>>, groups: readonly ThreadGroupDef[]): ThreadGroupDef[] {
  const byName = new Map(groups.map((g) => [g.name, g]));
  const holding = new Map<string, string[]>();
  for (const [name, b] of Object.entries(bindings)) {
    const g = byName.get(name);
    if (!g) throw new McError('MC175', `onCpus(): binds ${q(name)}, which is not one of the thread groups (${[...byName.keys()].join(', ')})`);
    if (typeof b !== 'object' || b === null || !Number.isInteger(b.cpu) || b.cpu < 0) throw new McError('MC175', `onCpus(): ${q(name)}: cpu must be a CPU number (0, 1, ...), got ${q(b?.cpu)}`);
    if (!PREEMPT.has(b.preempt)) throw new McError('MC175', `onCpus(): ${q(name)}: preempt must be 'none', 'voluntary' or 'full', got ${q(b.preempt)}`);
    const labels = new Set(labelsOf(g.def));
    for (const field of ['sleeps', 'mightSleep', 'atomic'] as const)
      for (const l of b[field] ?? []) if (!labels.has(l)) throw new McError('MC175', `onCpus(): ${q(name)}: ${field} names ${q(l)}, which is not a label of the thread (labels: ${[...labels].join(', ')})`);
    holding.set(name, holdingLabels(g.def, b));
  }
  return groups.map((g) => {
    const b = bindings[g.name];
    if (!b || !Object.hasOwn(bindings, g.name)) return g;
    const mine = holding.get(g.name)!;
    const others: string[] = [];
    for (const [other, ob] of Object.entries(bindings)) if (ob.cpu === b.cpu) for (const l of holding.get(other)!) others.push(`s.count(${JSON.stringify(other)}, ${JSON.stringify(l)})`);
    if (others.length === 0) return g;
    const expr = [...mine.map((l) => `me.at === ${JSON.stringify(l)}`), `${others.join(' + ')} === 0`].join(' || ');
    const steps: Record<string, StepDef> = {};
    for (const [name, st] of Object.entries(g.def.steps)) {
      const cpuGuard = guardOf(expr, `cpu${b.cpu} free for ${g.name}`);
      steps[name] = { ...st, when: allOf(cpuGuard, st.when) };
    }
    carryStepMaps(g.def.steps, steps);
    return { ...g, def: { ...g.def, steps } };
  });
}
