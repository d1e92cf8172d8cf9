import type { Fairness } from '../model/define.ts';
import type { Runtime } from '../exec/runtime.ts';
import { notDeterministic, stepName } from '../exec/determinism.ts';
import { judgeCycle } from '../exec/fairness.ts';
import type { Path } from './path.ts';
import type { FoundViolation, PathStep } from './types.ts';
import { livelockViolation } from './violation.ts';

/**
 * Why a candidate cycle was not reported: some thread is treated unfairly on
 * it; it makes progress (for every thread that could starve on it); every
 * thread with progress labels is finished on it.
 */
export type CycleReject = 'unfair' | 'progress' | 'finished' | null;

/** A transition from the state at path position `from` to the state at position `to`, off the path's own steps. */
interface Detour {
  from: number;
  to: number;
  step: PathStep;
}

/**
 * Decides whether the cycle path[p..top], closed by the transition recorded
 * at top, is a livelock, with the exhaustive search's semantics (README,
 * Semantics): no progress transition on it, fair under the chosen fairness,
 * and some thread that declares progress unfinished on it; otherwise, for
 * starvation, a fair cycle on which one unfinished thread with progress
 * labels never makes progress while others may.
 *
 * The simple cycle a walk or a DFS closes is often unfair only because
 * another thread that spins too (a trylock that fails, a retry) never moves
 * on it: two threads each looping on the same state make two unfair
 * self-loops, and only their combination is the fair livelock. So a cycle
 * that is unfair is repaired where it can be: for each thread that must move
 * and does not, a transition of that thread from a state of the cycle back
 * into the cycle (not progress) gives a second closed walk through p; the
 * cycle followed by these detours is judged again. It visits no new state, so
 * the enabled sets do not change and every obligation is met.
 *
 * The fast test uses the enabled masks recorded on the path. A cycle about
 * to be reported is re-executed step by step and confirmed with fairness.ts's
 * judgeCycle, the definition replay uses (rare, so its allocations do not
 * matter); a disagreement is an internal error.
 */
export class CycleJudge {
  reason: CycleReject = null;
  /** The accepted counterexample, after judge() returned true. */
  found: FoundViolation | null = null;
  private readonly moved: Uint32Array;
  private readonly always: Uint32Array;
  private readonly some: Uint32Array;
  private readonly progressBy: Uint32Array;
  /** Threads that declare progress, in index order. */
  private readonly progressThreads: Int32Array;
  private readonly W: number;

  constructor(
    private readonly rt: Runtime,
    private readonly fairness: Fairness,
    maskWords: number,
  ) {
    this.W = rt.words;
    this.moved = new Uint32Array(maskWords);
    this.always = new Uint32Array(maskWords);
    this.some = new Uint32Array(maskWords);
    this.progressBy = new Uint32Array(maskWords);
    this.progressThreads = Int32Array.from(rt.model.threads.filter((t) => t.template.hasProgress).map((t) => t.index));
  }

  /** True when the cycle from position p to the top of the path (and back to p) is to be reported; see `found`. */
  judge(path: Path, p: number): boolean {
    const E = path.maskWords;
    const top = path.len - 1;
    const { moved, always, some, progressBy } = this;
    moved.fill(0);
    some.fill(0);
    progressBy.fill(0);
    always.fill(0xffffffff);
    let anyProgress = false;
    for (let pos = p; pos <= top; pos++) {
      const t = path.thread[pos]!;
      moved[t >>> 5] |= 1 << (t & 31);
      if (path.progress[pos] === 1) {
        anyProgress = true;
        progressBy[t >>> 5] |= 1 << (t & 31);
      }
      const o = pos * E;
      for (let w = 0; w < E; w++) {
        always[w] &= path.enabled[o + w]!;
        some[w] |= path.enabled[o + w]!;
      }
    }
    // A livelock first, then starvation thread by thread, as the exhaustive search reports them.
    const pts = this.progressThreads;
    let live = false;
    if (!anyProgress) {
      for (let i = 0; i < pts.length && !live; i++) live = this.unfinishedOn(path, p, pts[i]!);
      if (live && this.tryFair(path, p, -1)) return true;
    }
    let unfair = live;
    for (let i = 0; i < pts.length; i++) {
      const t = pts[i]!;
      if ((progressBy[t >>> 5]! & (1 << (t & 31))) !== 0 || !this.unfinishedOn(path, p, t)) continue;
      if (this.tryFair(path, p, t)) return true;
      unfair = true;
    }
    this.reason = unfair ? 'unfair' : anyProgress ? 'progress' : 'finished';
    return false;
  }

  /** The cycle, fair as it is or once repaired; `starving` is -1 for a livelock, else the thread that starves. */
  private tryFair(path: Path, p: number, starving: number): boolean {
    const detours: Detour[] = [];
    if (this.fairness !== 'none') {
      const E = path.maskWords;
      const must = this.fairness === 'weak' ? this.always : this.some;
      const owed: number[] = [];
      for (let w = 0; w < E; w++) {
        let bits = must[w]! & ~this.moved[w]!;
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits & -bits);
          owed.push(w * 32 + b);
          bits &= bits - 1;
        }
      }
      for (const t of owed) {
        const d = this.detour(path, p, t, starving);
        if (d === null) return false;
        detours.push(d);
      }
    }
    return this.confirm(path, p, starving, detours);
  }

  /** A transition of thread t, not excluded progress, from a state of the cycle to a state of the cycle. */
  private detour(path: Path, p: number, t: number, starving: number): Detour | null {
    const rt = this.rt;
    const W = this.W;
    const E = path.maskWords;
    for (let pos = p; pos < path.len; pos++) {
      if ((path.enabled[pos * E + (t >>> 5)]! & (1 << (t & 31))) === 0) continue;
      const n = rt.expand(path.states, pos * W, t);
      for (let i = 0; i < n; i++) {
        if (rt.succProgress[i] === 1 && (starving < 0 || starving === t)) continue;
        const to = path.find(rt.succ, i * W, rt.hash(rt.succ, i * W));
        if (to >= p) return { from: pos, to, step: { thread: t, step: rt.succStep[i]!, choice: rt.succChoice[i]! } };
      }
    }
    return null;
  }

  /** Thread t is not at an end label in some state of path[p..top]. */
  private unfinishedOn(path: Path, p: number, t: number): boolean {
    const W = path.words;
    for (let pos = p; pos < path.len; pos++) if (!this.rt.finished(path.states, pos * W, t)) return true;
    return false;
  }

  /**
   * Build the closed walk (the path's cycle, then one extra closed walk per
   * detour: along the path to the detour's source, the detour, along the path
   * from its target back to p), re-execute it from the state at p, check it
   * with the shared definitions, and record the counterexample.
   */
  private confirm(path: Path, p: number, starving: number, detours: readonly Detour[]): boolean {
    const rt = this.rt;
    const W = this.W;
    const top = path.len - 1;
    const along = (from: number, to: number): PathStep[] => {
      const out: PathStep[] = [];
      for (let pos = from; pos < to; pos++) out.push({ thread: path.thread[pos]!, step: path.step[pos]!, choice: path.choice[pos]! });
      return out;
    };
    const cycle = along(p, top + 1);
    for (const d of detours) cycle.push(...along(p, d.from), d.step, ...along(d.to, top + 1));
    // Re-execute from the state at p.
    const start = path.states.slice(p * W, (p + 1) * W);
    const states: Uint32Array[] = [start];
    const movers: number[] = [];
    let cur: Uint32Array = start;
    let excludedProgress = false;
    const liveIn = (s: Uint32Array) =>
      starving >= 0 ? !rt.finished(s, 0, starving) : this.progressThreads.some((t) => !rt.finished(s, 0, t));
    let live = liveIn(start);
    for (const ps of cycle) {
      const n = rt.expandChecked(cur, 0, ps.thread);
      let next: Uint32Array | null = null;
      for (let i = 0; i < n && next === null; i++) {
        if (rt.succStep[i] !== ps.step || rt.succChoice[i] !== ps.choice) continue;
        next = rt.succ.slice(i * W, (i + 1) * W);
        if (rt.succProgress[i] === 1 && (starving < 0 || ps.thread === starving)) excludedProgress = true;
      }
      if (next === null) throw notDeterministic(rt, `${stepName(rt, ps.thread, ps.step)} of a cycle on the search stack is not enabled when the cycle is re-executed`);
      movers.push(ps.thread);
      states.push(next);
      live ||= liveIn(next);
      cur = next;
    }
    let closes = true;
    for (let k = 0; k < W; k++) if (cur[k] !== start[k]) closes = false;
    if (!closes) throw notDeterministic(rt, `a cycle on the search stack does not close when its ${cycle.length} steps are re-executed`);
    const v = judgeCycle(rt, states.slice(0, -1), movers, this.fairness);
    if (!closes || excludedProgress || !live || !v.fair)
      throw new Error(
        `internal: a cycle accepted as ${starving < 0 ? 'a livelock' : 'starvation'} fails the shared check (closes=${closes}, progress=${excludedProgress}, live=${live}, fair=${v.fair})`,
      );
    this.reason = null;
    this.found = livelockViolation(rt, [...path.steps(p), ...cycle], p, starving);
    return true;
  }
}
