import { readDataFile } from './read-data.ts';
import { resolve } from 'node:path';
import { McError, q } from '../model/errors.ts';
import type { Model } from '../model/define.ts';
import type { Runtime } from '../exec/runtime.ts';
import { SwarmControl, planWorkers, swarmResult, type SwarmOptions, type SwarmResult, type WorkerOutcome } from '../search/swarm.ts';
import { modelHash } from '../trace/decode.ts';
import { violationOfTrace } from '../trace/minimize.ts';
import { replay } from '../trace/replay.ts';
import type { ReplayWatch } from '../trace/watch.ts';
import { parseMemberResult, RUN_FIELDS, type ParsedMember, type SwarmRun } from '../trace/member-result.ts';
import { swarmOptions } from './swarm-pool.ts';
import type { StopSignal } from './signals.ts';

/**
 * `mmcheck swarm-merge`: the result of a swarm whose members ran as separate
 * processes (`check --swarm N --member I`, on one machine or many), from
 * their result files. The files must come from one run (the same model,
 * model hash, options, N and seed: their `run` fields are compared one by
 * one), each member once. Coverage, the winner and the summary are then
 * computed by the in-process swarm's own functions (`swarmResult` over the
 * members' outcomes in member order, the winner by `SwarmControl.finished`),
 * so the rule is the same: the violation found with the fewest expanded
 * states, ties to the lower member.
 *
 * One difference is inherent: members in separate processes share no bound,
 * so none is cancelled; each runs to its own end. The winner and its trace
 * are the ones the in-process swarm reports (a member that is cancelled
 * there could only have found a costlier violation), and a run with no
 * violation is the same in every number but the seconds; with a violation,
 * the members' counts and the coverage are those of complete member runs
 * (the in-process figures depend on when the cancelled members noticed the
 * bound, and are at most these).
 */

/** Read and validate one member result file (MC430 when it cannot be read). */
export function readMemberResult(file: string, cwd: string): ParsedMember {
  const r = readDataFile(resolve(cwd, file));
  if ('error' in r) throw new McError('MC430', `cannot read swarm member result ${q(file)}: ${r.error}`);
  return parseMemberResult(r.text, file);
}

/** The run the files share, and which members are missing; MC434 for a mismatch, MC435 for a member given twice, MC436 for a missing one (unless allowed). */
export function sameRun(members: readonly ParsedMember[], allowMissing: boolean): { run: SwarmRun; missing: number[] } {
  if (members.length === 0) throw new Error('internal: no member results');
  const first = members[0]!;
  const run = first.result.run;
  for (const m of members.slice(1)) {
    const other = m.result.run;
    for (const f of RUN_FIELDS) {
      const a = f === 'params' ? JSON.stringify(sorted(run.params)) : JSON.stringify(run[f]);
      const b = f === 'params' ? JSON.stringify(sorted(other.params)) : JSON.stringify(other[f]);
      if (a !== b)
        throw new McError(
          'MC434',
          `${q(m.source)} and ${q(first.source)} are members of different swarm runs: run.${f} is ${b} in one and ${a} in the other (every member of one swarm has the same model, options, N and seed)`,
        );
    }
  }
  const byIndex = new Map<number, string>();
  for (const m of members) {
    const prev = byIndex.get(m.result.member);
    if (prev !== undefined) throw new McError('MC435', `member ${m.result.member} of the swarm is given twice: ${q(prev)} and ${q(m.source)}`);
    byIndex.set(m.result.member, m.source);
  }
  const missing: number[] = [];
  for (let i = 0; i < run.workers; i++) if (!byIndex.has(i)) missing.push(i);
  if (missing.length && !allowMissing)
    throw new McError(
      'MC436',
      `${missing.length} of the swarm's ${run.workers} members ${missing.length === 1 ? 'is' : 'are'} missing: ${listed(missing)} (seed ${q(run.seed)}); give every member's result, or --allow-missing to merge the others`,
    );
  return { run, missing };
}

/** The swarm's options a run records (what the in-process swarm would have been given). */
export function optionsOfRun(run: SwarmRun): SwarmOptions {
  return swarmOptions({
    workers: run.workers,
    seed: run.seed,
    depth: run.depth,
    maxBitstateLog2: run.bitstate,
    maxStates: run.maxStates ?? Infinity,
    deadlock: run.deadlock,
    liveness: run.liveness,
    fairness: run.fairness,
    timeLimit: run.timeLimit ?? Infinity,
    coverageCap: run.coverageCap,
  });
}

export interface MergedSwarm {
  readonly result: SwarmResult;
  readonly run: SwarmRun;
  readonly options: SwarmOptions;
  /** Member indices merged and missing, ascending. */
  readonly merged: readonly number[];
  readonly missing: readonly number[];
  /** The first signal that stopped a member (in member order), or null. */
  readonly interrupted: StopSignal | null;
}

/** What `mergeMembers` tells of its replays: which member's counterexample is replayed, then where the replay is. */
export interface MergeWatch {
  readonly member: (index: number) => void;
  readonly replay: ReplayWatch;
}

/**
 * Merge validated member results on the model they name (`rt` built from
 * `model` for the run's variant and parameters). The model must be the one
 * the members ran (its hash, MC439); every plan must be the one the seed
 * gives (MC438); every member's trace must replay on the model and show the
 * violation the member recorded (MC437). `watch` is told which member's
 * trace is replayed (`member`) and where the replay is.
 */
export function mergeMembers(members: readonly ParsedMember[], model: Model, rt: Runtime, allowMissing: boolean, watch?: MergeWatch): MergedSwarm {
  const { run, missing } = sameRun(members, allowMissing);
  const mh = modelHash(rt);
  if (mh !== run.modelHash)
    throw new McError('MC439', `the members ran a different model ${q(run.model)} than the one given (model hash ${run.modelHash} in the results, ${mh} here): merge with the model file the members were given`);
  const o = optionsOfRun(run);
  const plans = planWorkers(o.seed, o.workers, o.depth, o.maxBitstateLog2);
  const sorted = [...members].sort((a, b) => a.result.member - b.result.member);
  const outcomes: WorkerOutcome[] = sorted.map((m) => outcomeOf(m, plans[m.result.member]!, model, rt, watch));
  const sc = new SwarmControl();
  for (const r of outcomes) sc.finished(r);
  // Wall time of members that ran side by side: the slowest of them.
  const seconds = outcomes.reduce((s, r) => Math.max(s, r.seconds), 0);
  const interrupted = sorted.find((m) => m.result.interrupted !== null)?.result.interrupted ?? null;
  return { result: swarmResult(o, plans, outcomes, sc, seconds), run, options: o, merged: sorted.map((m) => m.result.member), missing, interrupted };
}

/** A member's outcome as the swarm's functions take it, after checking its plan and its trace. */
function outcomeOf(m: ParsedMember, plan: ReturnType<typeof planWorkers>[number], model: Model, rt: Runtime, watch?: MergeWatch): WorkerOutcome {
  const r = m.result;
  const p = r.plan;
  const expected = { seed: plan.seed, bitstateLog2: plan.bitstateLog2, hashes: plan.k, hashSeeds: [...plan.hashSeeds], depthBound: plan.depthBound };
  for (const k of Object.keys(expected) as (keyof typeof expected)[])
    if (JSON.stringify(p[k]) !== JSON.stringify(expected[k]))
      throw new McError('MC438', `${q(m.source)}: plan.${k} of member ${r.member} is ${JSON.stringify(p[k])}, but seed ${q(r.run.seed)} gives it ${JSON.stringify(expected[k])} (written by another mmcheck version, or changed)`);
  let violation = null;
  if (r.violation) {
    const trace = r.violation.trace;
    watch?.member(r.member);
    const rp = replay(trace, model, undefined, watch?.replay);
    if (rp.status !== 'reproduced') throw new McError('MC437', `${q(m.source)}: member ${r.member}'s counterexample does not replay on model ${q(run(r))}: ${rp.verdict}`);
    violation = violationOfTrace(rt, trace);
  }
  return {
    index: r.member,
    status: r.outcome.status,
    violation,
    cost: r.violation?.cost ?? -1,
    expanded: r.outcome.expanded,
    states: r.outcome.states,
    transitions: r.outcome.transitions,
    maxDepth: r.outcome.maxDepth,
    depthCut: r.outcome.depthCut,
    cycles: r.outcome.cycles,
    bitstateFill: r.outcome.bitstateFill,
    seconds: r.outcome.seconds,
    fingerprints: m.fingerprints,
    fingerprintsCapped: r.coverage.capped,
  };
}

const run = (r: { run: SwarmRun }) => r.run.model;
const sorted = (o: object) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));

/** 0, 2, 5 or "0, 2, 5, ... (12 in all)". */
export function listed(xs: readonly number[]): string {
  return xs.length <= 10 ? xs.join(', ') : `${xs.slice(0, 10).join(', ')}, ... (${xs.length} in all)`;
}
