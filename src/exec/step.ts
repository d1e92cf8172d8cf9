import type { Runtime } from './runtime.ts';

/** One transition of a path: which thread instance took which step with which choice. */
export interface PathStep {
  readonly thread: number;
  readonly step: number;
  readonly choice: number;
}

/**
 * Apply one (thread, step, choice) to a state. Returns the successor, or the
 * failed assertion's name, or null when the step is not enabled there.
 * Allocates the successor: for re-executing a recorded path, not for search.
 */
export function applyStep(rt: Runtime, buf: Uint32Array, ps: PathStep): { next: Uint32Array; progress: boolean } | { fails: string } | null {
  // Checked: a recorded path is only worth re-executing if each step is a function of the state.
  const n = rt.expandChecked(buf, 0, ps.thread);
  if (n < 0) {
    if (rt.failStep === ps.step && rt.failChoice === ps.choice) return { fails: rt.failProperty };
    return null;
  }
  const W = rt.words;
  for (let i = 0; i < n; i++) {
    if (rt.succStep[i] === ps.step && rt.succChoice[i] === ps.choice)
      return { next: rt.succ.slice(i * W, (i + 1) * W), progress: rt.succProgress[i] === 1 };
  }
  return null;
}
