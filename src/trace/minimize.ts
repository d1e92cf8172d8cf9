import { McError, clip, q } from '../model/errors.ts';
import type { Model } from '../model/define.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { FoundViolation, PathStep } from '../search/types.ts';
import { minimalViolation, type MinimalPoll } from '../search/minimal.ts';
import { makeViolation } from '../search/violation.ts';
import { buildTrace } from './build.ts';
import type { TraceFile } from './format.ts';
import { replay } from './replay.ts';

/**
 * Counterexample minimisation at the level of traces: the search itself
 * (shortest, then fewest context switches; `src/search/minimal.ts`), the
 * before/after figures, the mapping from a trace file to the engine's path,
 * and a minimised trace checked by replay before it is returned.
 */

export interface MinimizeStats {
  lengthBefore: number;
  lengthAfter: number;
  switchesBefore: number;
  switchesAfter: number;
  /** A lasso keeps its cycle: the fewest switches are among the stems to it and its rotations. */
  lasso: boolean;
}

export interface Minimized extends MinimizeStats {
  violation: FoundViolation;
}

/** Context switches of a step sequence: consecutive steps by different threads. A lasso counts its steps as one sequence. */
export function contextSwitches(steps: readonly { readonly thread: number | string }[]): number {
  let n = 0;
  for (let i = 1; i < steps.length; i++) if (steps[i]!.thread !== steps[i - 1]!.thread) n++;
  return n;
}

/**
 * Minimise a violation found on `rt`'s model. Returns null only when the
 * property has no violation at all (impossible for a violation the search
 * found on this runtime; possible for a trace made on another model).
 */
export function minimizeViolation(rt: Runtime, v: FoundViolation, poll: MinimalPoll | null = null): Minimized | null {
  if (v.kind === 'invariant' && !rt.model.invariants.some((x) => x.name === v.property))
    throw new McError('MC410', `model ${q(rt.model.name)} has no invariant ${q(v.property)} to minimise`);
  const out = minimalViolation(rt, v, poll);
  if (!out) return null;
  return {
    violation: out,
    lengthBefore: v.steps.length,
    lengthAfter: out.steps.length,
    switchesBefore: contextSwitches(v.steps),
    switchesAfter: contextSwitches(out.steps),
    lasso: v.kind === 'livelock',
  };
}

/** The engine's path for a trace file: thread, step and choice by index. The trace must replay on rt's model. */
export function pathOfTrace(rt: Runtime, t: TraceFile): PathStep[] {
  return t.steps.map((s, i) => {
    const th = rt.model.threads.find((x) => x.name === s.thread);
    const st = th?.template.steps.find((x) => x.name === s.step);
    if (!th || !st) throw new McError('MC411', `trace step ${i + 1} (${clip(s.thread)}: ${clip(s.step)}) is not in model ${q(rt.model.name)}`);
    return { thread: th.index, step: st.index, choice: s.choice };
  });
}

/** The violation a trace file records, on rt's model. */
export function violationOfTrace(rt: Runtime, t: TraceFile): FoundViolation {
  return makeViolation(t.property.kind, t.property.name, pathOfTrace(rt, t), { cycleStart: t.cycleStart, starving: t.property.starving });
}

/**
 * Minimise and turn the result into a trace file, checked by replay against
 * the model before it is returned: a minimised trace that did not reproduce
 * would be worse than none.
 */
export function minimizedTrace(
  rt: Runtime,
  v: FoundViolation,
  extra: { modelFile?: string; fairness?: string } = {},
): { trace: TraceFile; stats: MinimizeStats } | null {
  const m = minimizeViolation(rt, v);
  return m && traceOfMinimized(rt, m, extra);
}

/**
 * A minimised violation as a trace file, checked by replay against the
 * model (the minimisation may have run in another thread, on its own
 * Runtime of the same model).
 */
export function traceOfMinimized(rt: Runtime, m: Minimized, extra: { modelFile?: string; fairness?: string } = {}): { trace: TraceFile; stats: MinimizeStats } {
  const trace = buildTrace(rt, m.violation, extra);
  const model: Model = rt.model.model;
  const r = replay(JSON.parse(JSON.stringify(trace)) as TraceFile, model);
  if (r.status !== 'reproduced') throw new Error(`internal: the minimised trace does not reproduce (${r.verdict})`);
  const { violation: _v, ...stats } = m;
  return { trace, stats };
}
