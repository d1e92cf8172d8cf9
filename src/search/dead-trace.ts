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
 * when it does not close, the stem goes on along the cycle to the first
 * state from which one round returns to it exactly, and the cycle is the
 * same round rotated to start there: the same steps and states, so as fair
 * and as free of progress. The stem is then longer than the shortest by at most
 * one round.
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
  const n = cycle.length;
  // The states along two rounds of the cycle from its start: on[i] after i of its steps.
  const on: Uint32Array[] = [walk(rt.initial(), stem)];
  for (let i = 0; i < 2 * n; i++) on.push(walk(on[i]!, [cycle[i % n]!]));
  let j = 0;
  while (j <= n && !same(on[j]!, on[j + n]!)) j++;
  if (j === 0) return v;
  if (j > n) throw new Error('internal: --dead-vars lasso does not close on the unreduced model after two rounds');
  return { ...v, steps: [...stem, ...cycle.slice(0, j), ...cycle.slice(j), ...cycle.slice(0, j)], cycleStart: stem.length + j };
}
