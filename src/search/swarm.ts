import seedrandom from 'seedrandom';
import type { Fairness } from '../model/define.ts';
import type { Runtime } from '../exec/runtime.ts';
import { FingerprintSet } from '../store/fingerprints.ts';
import { bitstateDfs, CONTROL_BOUND, CONTROL_STOP, NO_BOUND, STOP_CODES, stopReason, type BitstateOutcome, type StopCode } from './bitstate.ts';
import { noReducers } from './explore.ts';
import type { FoundViolation } from './types.ts';

/**
 * Swarm verification (`mmcheck check --swarm N`, after Holzmann, Joshi and
 * Groce's swarm): N small searches that differ in what makes partial
 * searches miss different parts of a state space (successor order, hash
 * functions, bitstate size, depth bound), run in parallel. Each member is the
 * bitstate depth-first search (`bitstate.ts`) with the options of its plan.
 * This module is the pure part: plans, one member's search, the winner and
 * the coverage; the run layer (`src/run/swarm-pool.ts`) runs the members in
 * worker threads.
 *
 * Determinism. Worker i's plan and its whole run follow from the seed and i
 * alone. The reported violation is the one found with the fewest expanded
 * states, ties going to the lower worker index. When a worker reports one,
 * that count becomes a bound shared with every worker (a SharedArrayBuffer):
 * a worker stops as soon as it has expanded more states than the bound,
 * since it can no longer find a cheaper violation; a worker below the bound
 * runs on until it passes it. So the winner does not depend on scheduling,
 * CPU count or --swarm-jobs, at the price of the bounded extra work of the
 * slower workers. Only a time limit reached before every worker settled can
 * change the outcome (the result then says `settled: false`).
 *
 * Coverage: each worker records the 64-bit fingerprint of every state it
 * visits (up to a cap); the union is what the swarm saw. The size of the
 * reachable state space is estimated from the overlap of pairs of workers
 * (capture-recapture), or taken from a worker that completed its search.
 */

// ---- plans ----------------------------------------------------------------------

export interface WorkerPlan {
  readonly index: number;
  /** Seed of the successor order. */
  readonly seed: string;
  /** log2 of the bitstate size in bits. */
  readonly bitstateLog2: number;
  /** Hash functions per state (bit positions a + j*b, from two seeded hashes). */
  readonly k: number;
  readonly hashSeeds: readonly [number, number];
  /** States at this depth are checked but not expanded. */
  readonly depthBound: number;
}

/**
 * Depth bounds as fractions of the maximum: a shallow bound finds shallow
 * bugs sooner and with shorter traces; a deep one reaches what they cannot.
 */
const DEPTH_FRACTIONS: readonly number[] = Object.freeze([1, 1 / 2, 1 / 5, 1 / 10, 1 / 20]);
const MIN_DEPTH_BOUND = 20;

/**
 * The plan of each worker. Worker i's plan depends only on (seed, i), so a
 * swarm of 8 contains the 4 workers of the swarm of 4 with the same seed.
 * Worker 0 searches to the full depth bound with the largest bitstate.
 */
export function planWorkers(seed: string, count: number, maxDepth: number, maxBitstateLog2 = 26): WorkerPlan[] {
  const plans: WorkerPlan[] = [];
  for (let i = 0; i < count; i++) {
    const rng = seedrandom.alea(`${seed}/plan/${i}`);
    const lo = Math.max(16, maxBitstateLog2 - 6);
    const bitstateLog2 = i === 0 ? maxBitstateLog2 : lo + Math.floor(rng() * (maxBitstateLog2 - lo + 1));
    const k = 2 + Math.floor(rng() * 2);
    const hashSeeds: [number, number] = [Math.floor(rng() * 2 ** 32) >>> 0, Math.floor(rng() * 2 ** 32) >>> 0];
    const frac = i === 0 ? 1 : DEPTH_FRACTIONS[Math.floor(rng() * DEPTH_FRACTIONS.length)]!;
    const depthBound = Math.max(Math.min(MIN_DEPTH_BOUND, maxDepth), Math.round(maxDepth * frac));
    plans.push({ index: i, seed: `${seed}/${i}`, bitstateLog2, k, hashSeeds, depthBound });
  }
  return plans;
}

// ---- one member's search ------------------------------------------------------------

export interface WorkerOptions {
  readonly deadlock: boolean | null;
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** New states per worker at most. */
  readonly maxStates: number;
  /** Absolute time (Date.now() milliseconds) when the worker gives up. */
  readonly deadline: number;
  /** Fingerprints recorded for coverage at most. */
  readonly coverageCap: number;
}

/**
 * The most members a swarm has (in one process, or merged from files): each
 * has a plan, a row in the report and, in a thread, a bit table of up to
 * 256 MB; a mistyped `--swarm 10000000` would exhaust the memory building
 * plans before any search.
 */
export const MAX_SWARM = 10_000;

/** `time-limit`, `interrupted` (a signal) and `memory-limit`: the member was stopped before it finished. */
export type WorkerStatus = 'violation' | 'done' | 'max-states' | 'cancelled' | 'time-limit' | 'interrupted' | 'memory-limit';

/** Whether a member was stopped from outside (it did not finish its search, nor give up to a better violation). */
export const stoppedStatus = (s: WorkerStatus): boolean => s === 'time-limit' || s === 'interrupted' || s === 'memory-limit';

/** What a member reports: the DFS's counts (`maxDepth` is its `depth`), the fill of its bit table and its time. */
export interface WorkerOutcome
  extends Pick<BitstateOutcome, 'violation' | 'cost' | 'expanded' | 'states' | 'transitions' | 'depthCut' | 'cycles' | 'fingerprints' | 'fingerprintsCapped'> {
  readonly index: number;
  status: WorkerStatus;
  maxDepth: number;
  bitstateFill: number;
  seconds: number;
}

/**
 * One member: the bitstate DFS with the member's plan (bit table size, hash
 * count and seeds, successor order shuffled by the plan's seed, depth
 * bound), checking invariants on new states, assertions and deadlock on
 * expanded states, and judging every cycle that closes on the DFS stack as
 * the simulator does. `control` (may be null) carries the swarm's bound and
 * stop flag.
 */
export function searchMember(rt: Runtime, plan: WorkerPlan, o: WorkerOptions, control: Int32Array | null): WorkerOutcome {
  const t0 = Date.now();
  // A member that starts after the swarm was stopped (time limit, signal) ends at once, without allocating its bit table.
  if (control !== null && Atomics.load(control, CONTROL_STOP) !== 0)
    return { index: plan.index, status: stopReason(Atomics.load(control, CONTROL_STOP)), violation: null, cost: -1, expanded: 0, states: 0, transitions: 0, maxDepth: 0, depthCut: 0, cycles: 0, bitstateFill: 0, seconds: 0, fingerprints: new Uint32Array(0), fingerprintsCapped: false };
  const model = rt.model;
  const r = bitstateDfs(rt, {
    log2Bits: plan.bitstateLog2,
    hashes: plan.k,
    hashSeeds: plan.hashSeeds,
    deadlock: o.deadlock ?? model.deadlock,
    liveness: o.liveness && model.hasProgress,
    fairness: o.fairness,
    maxStates: o.maxStates,
    depthBound: plan.depthBound,
    shuffle: seedrandom.alea(plan.seed),
    coverageCap: o.coverageCap,
    reducers: noReducers,
    control,
    stop: () => (Date.now() > o.deadline ? 'time-limit' : null),
  });
  return {
    index: plan.index,
    status: r.status,
    violation: r.violation,
    cost: r.cost,
    expanded: r.expanded,
    states: r.states,
    transitions: r.transitions,
    maxDepth: r.depth,
    depthCut: r.depthCut,
    cycles: r.cycles,
    bitstateFill: r.table.fill(),
    seconds: (Date.now() - t0) / 1000,
    fingerprints: r.fingerprints,
    fingerprintsCapped: r.fingerprintsCapped,
  };
}

// ---- the swarm ----------------------------------------------------------------------

export interface SwarmOptions {
  readonly workers: number;
  /** Workers running at once (default: the number of CPUs). */
  readonly jobs: number;
  readonly seed: string;
  /** Depth bound of worker 0; the others use fractions of it. */
  readonly depth: number;
  readonly maxBitstateLog2: number;
  /** New states per worker at most. */
  readonly maxStates: number;
  readonly deadlock: boolean | null;
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** Seconds for the whole swarm; Infinity for none. */
  readonly timeLimit: number;
  readonly coverageCap: number;
  /** 'threads' (default) or 'inline': the same workers one after another in this thread (for debugging; same result). */
  readonly mode: 'threads' | 'inline';
  /** Called as each worker ends, in the order they end. */
  readonly onWorkerDone: ((w: WorkerOutcome) => void) | null;
}

export interface Coverage {
  /** Distinct states seen by any worker (union of fingerprints; a lower bound when some worker's list was capped). */
  distinct: number;
  capped: boolean;
  /** Estimated number of reachable states, or null when it cannot be estimated. */
  estimate: number | null;
  /** How: a worker completed its search (up to bitstate collisions), or capture-recapture over pairs of workers. */
  method: 'complete-search' | 'capture-recapture' | null;
  /** distinct / estimate. */
  share: number | null;
}

export interface WorkerSummary {
  readonly index: number;
  readonly plan: WorkerPlan;
  readonly status: WorkerStatus;
  readonly states: number;
  readonly expanded: number;
  readonly transitions: number;
  readonly maxDepth: number;
  readonly depthCut: number;
  readonly cycles: number;
  readonly bitstateFill: number;
  readonly seconds: number;
  readonly violation: { kind: string; property: string; length: number; cost: number } | null;
}

export interface SwarmResult {
  readonly seed: string;
  readonly violation: FoundViolation | null;
  /** The worker whose violation is reported. */
  readonly winner: number | null;
  readonly workers: readonly WorkerSummary[];
  readonly coverage: Coverage;
  /** Every worker ended on its own or passed the bound: the result is the same on every run with this seed. */
  readonly settled: boolean;
  readonly seconds: number;
  readonly fairness: Fairness | null;
}

const better = (a: WorkerOutcome, b: WorkerOutcome | null) => b === null || a.cost < b.cost || (a.cost === b.cost && a.index < b.index);

/**
 * What the members of one swarm share: the control word (a bound on
 * expanded states and a stop flag, in a SharedArrayBuffer so that members in
 * other threads read it) and the best outcome so far. The reported violation
 * is the one found with the fewest expanded states, ties going to the lower
 * member index; once one is known, its cost becomes the bound.
 */
export class SwarmControl {
  readonly control = new Int32Array(new SharedArrayBuffer(8));
  best: WorkerOutcome | null = null;

  constructor() {
    this.control[CONTROL_BOUND] = NO_BOUND;
  }

  /** Record a member's outcome as it ends (in any order). */
  finished(r: WorkerOutcome): WorkerOutcome {
    if (r.violation && better(r, this.best)) {
      this.best = r;
      Atomics.store(this.control, CONTROL_BOUND, Math.min(r.cost, NO_BOUND));
    }
    return r;
  }

  /** Stop every member at its next check (time limit, a signal, or a member that failed); the first reason given is kept. */
  stop(reason: StopCode = 'time-limit'): void {
    Atomics.compareExchange(this.control, CONTROL_STOP, 0, STOP_CODES[reason]);
  }
}

/** Options of each member, from the swarm's options; `t0` is Date.now() when the swarm started. */
export function memberOptions(o: SwarmOptions, t0: number): WorkerOptions {
  return {
    deadlock: o.deadlock,
    liveness: o.liveness,
    fairness: o.fairness,
    maxStates: o.maxStates,
    deadline: Number.isFinite(o.timeLimit) ? t0 + o.timeLimit * 1000 : Number.MAX_SAFE_INTEGER,
    coverageCap: o.coverageCap,
  };
}

/** The swarm's members one after another in this thread (the same result as in threads). */
export function swarmInline(rt: Runtime, plans: readonly WorkerPlan[], wopts: WorkerOptions, sc: SwarmControl, onWorkerDone: ((w: WorkerOutcome) => void) | null): WorkerOutcome[] {
  return plans.map((plan) => {
    const r = sc.finished(searchMember(rt, plan, wopts, sc.control));
    onWorkerDone?.(r);
    return r;
  });
}

/** The swarm's result from every member's outcome. */
export function swarmResult(o: SwarmOptions, plans: readonly WorkerPlan[], outcomes: readonly WorkerOutcome[], sc: SwarmControl, seconds: number): SwarmResult {
  const winner = sc.best;
  return {
    seed: o.seed,
    violation: winner?.violation ?? null,
    winner: winner?.index ?? null,
    workers: outcomes.map((r) => summary(r, plans[r.index]!)),
    coverage: coverage(outcomes),
    settled: outcomes.every((r) => !stoppedStatus(r.status)),
    seconds,
    fairness: o.liveness ? o.fairness : null,
  };
}

function summary(r: WorkerOutcome, plan: WorkerPlan): WorkerSummary {
  return {
    index: r.index,
    plan,
    status: r.status,
    states: r.states,
    expanded: r.expanded,
    transitions: r.transitions,
    maxDepth: r.maxDepth,
    depthCut: r.depthCut,
    cycles: r.cycles,
    bitstateFill: r.bitstateFill,
    seconds: r.seconds,
    violation: r.violation ? { kind: r.violation.kind, property: r.violation.property, length: r.violation.steps.length, cost: r.cost } : null,
  };
}

/**
 * The union of the workers' fingerprints, and an estimate of the reachable
 * state count. A worker whose DFS ran to completion with nothing cut at its
 * depth bound saw every reachable state except those its bitstate skipped
 * on a collision: its count is taken as the size. Otherwise the
 * Lincoln-Petersen estimate (Chapman's form, (n1+1)(n2+1)/(m+1) - 1) over
 * the pairs of workers (0,1), (2,3), ...: the median. It assumes the two
 * samples are independent; searches that all start from the initial state
 * overlap more than that, so it tends to underestimate the state space (and
 * overstate the share covered). It is reported as an estimate.
 */
function coverage(outs: readonly WorkerOutcome[]): Coverage {
  const total = outs.reduce((s, r) => s + r.fingerprints.length / 2, 0);
  const union = new FingerprintSet(Infinity, Math.max(1024, total * 2));
  for (const r of outs) union.addAll(r.fingerprints);
  const capped = outs.some((r) => r.fingerprintsCapped);
  let estimate: number | null = null;
  let method: Coverage['method'] = null;
  const complete = outs.filter((r) => r.status === 'done' && r.depthCut === 0);
  if (complete.length) {
    estimate = Math.max(union.count, ...complete.map((r) => r.states));
    method = 'complete-search';
  } else {
    const ests: number[] = [];
    for (let i = 0; i + 1 < outs.length; i += 2) {
      const a = outs[i]!;
      const b = outs[i + 1]!;
      if (a.fingerprintsCapped || b.fingerprintsCapped) continue;
      const n1 = a.fingerprints.length / 2;
      const n2 = b.fingerprints.length / 2;
      if (n1 === 0 || n2 === 0) continue;
      const setA = new FingerprintSet(Infinity, n1 * 2);
      setA.addAll(a.fingerprints);
      let m = 0;
      for (let j = 0; j < n2; j++) if (setA.has(b.fingerprints[2 * j]!, b.fingerprints[2 * j + 1]!)) m++;
      if (m > 0) ests.push(((n1 + 1) * (n2 + 1)) / (m + 1) - 1);
    }
    if (ests.length) {
      ests.sort((x, y) => x - y);
      const mid = ests.length >> 1;
      const med = ests.length % 2 ? ests[mid]! : (ests[mid - 1]! + ests[mid]!) / 2;
      estimate = Math.max(union.count, Math.round(med));
      method = 'capture-recapture';
    }
  }
  return { distinct: union.count, capped, estimate, method, share: estimate ? union.count / estimate : null };
}
