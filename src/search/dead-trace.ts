import type { BuiltModel } from '../model/build.ts';
import { Runtime } from '../exec/runtime.ts';
import { applyStep } from '../exec/step.ts';
import type { FoundViolation } from './types.ts';

/**
 * A counterexample found with `--dead-vars`, made a counterexample of the
 * model itself, so traces record the locals' real values and replay on the
 * unreduced model. The schedule (thread, step, choice per step) carries over
 * as it is: a reset state and the unreduced one agree on everything but dead
 * locals, which no guard, choice, effect, next or invariant reads before
 * writing them, so each step is enabled in both and leads to states that
 * agree again; an assertion or invariant fails in both, a deadlock is one in
 * both. A lasso's cycle closes on the reduced states but may not on the
 * unreduced ones (a dead local can still hold the value of the previous
 * round); after one more round it does: every local then either was written
 * in the round, from values that repeat, or kept its value through it. So
 * the cycle is walked once more as part of the stem when it does not close.
 */
export function liveCounterexample(model: BuiltModel, v: FoundViolation): FoundViolation {
  if (v.cycleStart === undefined) return v;
  const rt = new Runtime(model);
  const W = rt.words;
  const walk = (from: Uint32Array, steps: FoundViolation['steps']): Uint32Array => {
    let cur = from;
    for (const ps of steps) {
      const r = applyStep(rt, cur, ps);
      if (r === null || 'fails' in r) throw new Error(`internal: --dead-vars lasso: thread ${ps.thread} step ${ps.step} does not apply to the unreduced state`);
      cur = r.next;
    }
    return cur;
  };
  const same = (a: Uint32Array, b: Uint32Array): boolean => {
    for (let k = 0; k < W; k++) if (a[k] !== b[k]) return false;
    return true;
  };
  const stem = v.steps.slice(0, v.cycleStart);
  const cycle = v.steps.slice(v.cycleStart);
  const start = walk(rt.initial(), stem);
  const end = walk(start, cycle);
  if (same(start, end)) return v;
  if (!same(walk(end, cycle), end)) throw new Error('internal: --dead-vars lasso does not close on the unreduced model after two rounds');
  return { ...v, steps: [...v.steps, ...cycle], cycleStart: v.steps.length };
}
