import type { ViolationKind } from '../model/define.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { PathStep } from '../exec/step.ts';
import type { FoundViolation } from './types.ts';

/**
 * The one place a counterexample value is assembled, whatever search found
 * it: every field in the same order, optional fields present only when they
 * apply, property names of deadlocks and livelocks spelled once.
 */
export function makeViolation(
  kind: ViolationKind,
  property: string,
  steps: PathStep[],
  lasso: { readonly cycleStart?: number | undefined; readonly starving?: string | undefined } = {},
): FoundViolation {
  return {
    kind,
    property,
    steps,
    ...(lasso.cycleStart !== undefined ? { cycleStart: lasso.cycleStart } : {}),
    ...(lasso.starving !== undefined ? { starving: lasso.starving } : {}),
  };
}

/** The assertion rt.expand just reported failing (rt.fail*), after `steps`; the failing step is the last one. */
export function assertionViolation(rt: Runtime, steps: PathStep[]): FoundViolation {
  steps.push({ thread: rt.failThread, step: rt.failStep, choice: rt.failChoice });
  return makeViolation('assertion', rt.failProperty, steps);
}

/** A deadlock in the state `steps` lead to. */
export function deadlockViolation(steps: PathStep[]): FoundViolation {
  return makeViolation('deadlock', 'deadlock', steps);
}

/** Invariant number `index` of rt's model is false in the state `steps` lead to. */
export function invariantViolation(rt: Runtime, index: number, steps: PathStep[]): FoundViolation {
  return makeViolation('invariant', rt.model.invariants[index]!.name, steps);
}

/** A lasso: `steps` from the initial state, the cycle from `cycleStart` on; `starving` is -1 for a livelock, else the thread that starves. */
export function livelockViolation(rt: Runtime, steps: PathStep[], cycleStart: number, starving: number): FoundViolation {
  return makeViolation('livelock', starving < 0 ? 'non-progress-cycle' : 'starvation', steps, {
    cycleStart,
    starving: starving >= 0 ? rt.model.threads[starving]!.name : undefined,
  });
}
