import type { Runtime } from '../exec/runtime.ts';

/**
 * What a complete search exercised, per thread (a replicated group counts
 * once, `T[*]`): steps that never fired and labels never reached in any
 * reachable state. A step that never fires is usually a guard that cannot
 * hold or a label that cannot be reached: a model that passes while part of
 * it never runs proves less than it seems (SPIN's "unreached in proctype").
 * Under --por the reachable states are a subset, so a step may be listed that
 * the full graph fires; the marks come from the runtime (`fired`, `reached`).
 */
export interface Coverage {
  readonly steps: number;
  readonly firedSteps: number;
  readonly labels: number;
  readonly reachedLabels: number;
  readonly unfired: readonly { readonly thread: string; readonly steps: readonly string[] }[];
  readonly unreached: readonly { readonly thread: string; readonly labels: readonly string[] }[];
}

export function coverageOf(rt: Runtime): Coverage {
  const unfired: { thread: string; steps: string[] }[] = [];
  const unreached: { thread: string; labels: string[] }[] = [];
  let firedSteps = 0;
  let reachedLabels = 0;
  for (const tpl of rt.model.templates) {
    const name = tpl.replicated ? `${tpl.name}[*]` : tpl.name;
    const steps = tpl.steps.filter((st) => rt.fired[rt.stepBase[tpl.index]! + st.index] !== 1).map((st) => st.name);
    const reached = rt.reached.slice(rt.labelBase[tpl.index]!, rt.labelBase[tpl.index]! + tpl.labels.length);
    for (const st of tpl.steps) if (st.next >= 0 && rt.fired[rt.stepBase[tpl.index]! + st.index] === 1) reached[st.next] = 1;
    const labels = tpl.labels.filter((_, l) => reached[l] !== 1);
    firedSteps += tpl.steps.length - steps.length;
    reachedLabels += tpl.labels.length - labels.length;
    if (steps.length) unfired.push({ thread: name, steps });
    if (labels.length) unreached.push({ thread: name, labels });
  }
  return { steps: rt.fired.length, firedSteps, labels: rt.reached.length, reachedLabels, unfired, unreached };
}
