import seedrandom from 'seedrandom';
import type { BuiltModel } from '../model/build.ts';
import type { Fairness } from '../model/define.ts';
import { Runtime } from '../exec/runtime.ts';
import { FingerprintSet, fingerprint2 } from '../store/fingerprints.ts';
import { Path } from './path.ts';
import { CycleJudge } from './cycle-judge.ts';
import type { FoundViolation, IncompleteReason } from './types.ts';
import { assertionViolation, deadlockViolation, invariantViolation } from './violation.ts';

/**
 * Random simulation (`mmcheck simulate`): independent random walks from the
 * initial state, each checking invariants, assertions, deadlock and (on the
 * cycles it closes) fair non-progress cycles on the fly. Nothing is stored
 * per state beyond the current walk and a fingerprint set that only counts
 * distinct states, so it runs on models whose state space does not fit.
 *
 * The path of a walk (`path.ts`) and the judge of the cycles it closes
 * (`cycle-judge.ts`) are shared with the bitstate depth-first search.
 *
 * Reproducibility: walk k draws from its own generator, seeded with
 * `${seed}:${k}` (seedrandom's Alea: pure double arithmetic, the same on
 * every machine), so a walk does not depend on how many walks ran before it,
 * on timing, or on the time limit; only on the seed, the walk index, the
 * model and the options.
 */

export interface SimulateOptions {
  /** Any string; walk k uses the generator seeded with `${seed}:${k}`. */
  readonly seed: string;
  /** Number of walks (Infinity: until the time limit). */
  readonly runs: number;
  /** Transitions per walk at most. */
  readonly depth: number;
  /** Report deadlocks; null = as the model says. */
  readonly deadlock: boolean | null;
  /** Judge the cycles walks close (when the model declares progress). */
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** Seconds; Infinity for none. Only decides how many walks run, never what a walk does. */
  readonly timeLimit: number;
  /** Most fingerprints kept for counting distinct states (16 to 32 bytes each). */
  readonly maxFingerprints: number;
  /** Called about once a second. */
  readonly onProgress: ((p: SimulateProgress) => void) | null;
  /**
   * Told the walks and steps so far every 1024 steps (a supervisor's counts,
   * should it have to end the walks), as a search tells its monitor; returns
   * a reason to stop now (a signal or limit), or null.
   */
  readonly poll: ((runs: number, steps: number) => IncompleteReason | null) | null;
}

export interface SimulateProgress {
  readonly runs: number;
  readonly steps: number;
  readonly distinct: number;
  readonly seconds: number;
}

export const defaultSimulateOptions: SimulateOptions = Object.freeze({
  seed: '0',
  runs: 1000,
  depth: 1000,
  deadlock: null,
  liveness: true,
  fairness: 'weak',
  timeLimit: Infinity,
  maxFingerprints: 1 << 22,
  onProgress: null,
  poll: null,
});

export interface SimulateStats {
  /** Walks run: the walk that found a violation counts, a walk cut by the time limit does not. */
  runs: number;
  /** Transitions taken, over all walks. */
  steps: number;
  /** Distinct states seen (by 64-bit fingerprint; a lower bound when distinctCapped). */
  distinct: number;
  distinctCapped: boolean;
  /** Most transitions in one walk. */
  longestWalk: number;
  /** Walks that stopped in a valid end state (every thread at an end label, or no step enabled with deadlock checking off). */
  ended: number;
  /** Cycles closed by walks and judged, and why those not reported were not. */
  cycles: { candidates: number; unfair: number; progress: number; finished: number };
  seconds: number;
}

export interface SimulateResult {
  readonly seed: string;
  readonly violation: FoundViolation | null;
  /** The walk that found the violation, and its number of transitions when it did. */
  readonly walk: number | null;
  readonly walkStep: number | null;
  /** Why the simulation stopped: a violation, all walks run, its time limit, or a stop its supervisor asked for. */
  readonly stopped: 'violation' | 'runs' | IncompleteReason;
  readonly stats: SimulateStats;
  readonly fairness: Fairness | null;
  readonly livenessChecked: boolean;
  readonly runtime: Runtime;
}

/** A seed for a run that was given none: derived from the clock once, and printed so the run can be repeated. */
export function freshSeed(): string {
  return String(Date.now() % 1_000_000_007);
}

export function simulate(model: BuiltModel, options: Partial<SimulateOptions> = {}): SimulateResult {
  const o: SimulateOptions = { ...defaultSimulateOptions, ...options };
  const t0 = performance.now();
  const deadline = t0 + o.timeLimit * 1000;
  const rt = new Runtime(model);
  const W = rt.words;
  const deadlockOn = o.deadlock ?? model.deadlock;
  const liveness = o.liveness && model.hasProgress;
  const hasInv = model.invariants.length > 0;
  const seen = new FingerprintSet(o.maxFingerprints);
  const path = new Path(W, rt.threads);
  const judge = new CycleJudge(rt, o.fairness, path.maskWords);
  const stats: SimulateStats = {
    runs: 0,
    steps: 0,
    distinct: 0,
    distinctCapped: false,
    longestWalk: 0,
    ended: 0,
    cycles: { candidates: 0, unfair: 0, progress: 0, finished: 0 },
    seconds: 0,
  };
  const init = rt.initial();
  const initHash = rt.hash(init, 0);
  seen.add(initHash, fingerprint2(init, 0, W));

  let violation: FoundViolation | null = null;
  let walk = 0;
  let walkStep = 0;
  let stopped: SimulateResult['stopped'] = 'runs';
  let lastReport = t0;
  let ticks = 0;

  const inv0 = hasInv ? rt.checkInvariants(init, 0) : -1;
  if (inv0 >= 0) violation = invariantViolation(rt, inv0, []);

  walks: for (; violation === null && walk < o.runs; walk++) {
    const rng = seedrandom.alea(`${o.seed}:${walk}`);
    path.clear();
    path.push(init, 0, initHash);
    let d = 0;
    for (; d < o.depth; d++) {
      if ((++ticks & 1023) === 0) {
        const now = performance.now();
        if (now > deadline) {
          stopped = 'time-limit';
          break walks;
        }
        const asked = o.poll?.(stats.runs, stats.steps) ?? null;
        if (asked !== null) {
          stopped = asked;
          break walks;
        }
        if (o.onProgress && now - lastReport >= 1000) {
          lastReport = now;
          o.onProgress({ runs: stats.runs, steps: stats.steps, distinct: seen.count, seconds: (now - t0) / 1000 });
        }
      }
      const top = path.len - 1;
      const off = top * W;
      const n = rt.expand(path.states, off);
      if (n < 0) {
        violation = assertionViolation(rt, path.steps(top));
        walkStep = d + 1;
        break walks;
      }
      if (n === 0) {
        if (deadlockOn && !rt.allEnded(path.states, off)) {
          violation = deadlockViolation(path.steps(top));
          walkStep = d;
          break walks;
        }
        stats.ended++;
        break;
      }
      path.setEnabled(top, rt.succThread, n);
      // Uniform over the enabled transitions (each choice of a step is one).
      const i = Math.floor(rng() * n);
      path.setStep(top, rt.succThread[i]!, rt.succStep[i]!, rt.succChoice[i]!, rt.succProgress[i]!);
      stats.steps++;
      const so = i * W;
      const h = rt.hash(rt.succ, so);
      seen.add(h, fingerprint2(rt.succ, so, W));
      const p = path.find(rt.succ, so, h);
      if (p >= 0) {
        // The walk closed a cycle. Judge it, then erase the loop: the walk goes on from the
        // same state, and the recorded path stays a simple path (a shorter counterexample).
        if (liveness) {
          stats.cycles.candidates++;
          if (judge.judge(path, p)) {
            violation = judge.found;
            walkStep = d + 1;
            break walks;
          }
          stats.cycles[judge.reason!]++;
        }
        path.truncate(p + 1);
        continue;
      }
      path.push(rt.succ, so, h);
      if (hasInv) {
        const v = rt.checkInvariants(rt.succ, so);
        if (v >= 0) {
          violation = invariantViolation(rt, v, path.steps(top + 1));
          walkStep = d + 1;
          break walks;
        }
      }
    }
    stats.runs++;
    if (d > stats.longestWalk) stats.longestWalk = d;
  }
  if (violation) {
    stopped = 'violation';
    stats.runs++;
    if (walkStep > stats.longestWalk) stats.longestWalk = walkStep;
  }
  stats.distinct = seen.count;
  stats.distinctCapped = seen.full;
  stats.seconds = (performance.now() - t0) / 1000;
  return {
    seed: o.seed,
    violation,
    walk: violation ? walk : null,
    walkStep: violation ? walkStep : null,
    stopped,
    stats,
    fairness: liveness ? o.fairness : null,
    livenessChecked: liveness,
    runtime: rt,
  };
}
