import type { Fairness } from '../model/define.ts';
import type { Runtime } from './runtime.ts';

/**
 * Fairness of a cycle (README, "Semantics"). For a cycle through states
 * s0..sk-1 whose transitions are taken by `movers`:
 *  - weak: every thread enabled in every state of the cycle takes a step in it;
 *  - strong: every thread enabled in some state of the cycle takes a step in it;
 *  - none: every cycle counts.
 * A non-progress cycle is a livelock only if some thread that declares
 * progress is not finished (not at an end label) somewhere on it.
 */
export function enabledThreads(rt: Runtime, buf: Uint32Array, off: number, out: Uint8Array): void {
  out.fill(0);
  const n = rt.expand(buf, off);
  if (n < 0) {
    // An assertion failure is still an enabled step of that thread.
    out[rt.failThread] = 1;
    return;
  }
  for (let i = 0; i < n; i++) out[rt.succThread[i]!] = 1;
}

export interface CycleVerdict {
  fair: boolean;
  /** A thread that is treated unfairly, when not fair. */
  unfairThread: number;
  /** Some thread with progress labels is not finished on the cycle. */
  hasLiveThread: boolean;
}

export function judgeCycle(rt: Runtime, states: readonly Uint32Array[], movers: readonly number[], fairness: Fairness): CycleVerdict {
  const T = rt.threads;
  const moved = new Uint8Array(T);
  for (const t of movers) moved[t] = 1;
  const alwaysEnabled = new Uint8Array(T).fill(1);
  const sometimesEnabled = new Uint8Array(T);
  const en = new Uint8Array(T);
  let live = false;
  for (const s of states) {
    enabledThreads(rt, s, 0, en);
    for (let t = 0; t < T; t++) {
      if (en[t]) sometimesEnabled[t] = 1;
      else alwaysEnabled[t] = 0;
      if (rt.model.threads[t]!.template.hasProgress && !rt.finished(s, 0, t)) live = true;
    }
  }
  let unfair = -1;
  if (fairness !== 'none') {
    for (let t = 0; t < T && unfair < 0; t++) {
      if (moved[t]) continue;
      if (fairness === 'weak' ? alwaysEnabled[t] : sometimesEnabled[t]) unfair = t;
    }
  }
  return { fair: unfair < 0, unfairThread: unfair, hasLiveThread: live };
}
