import { McError } from '../../model/errors.ts';
import { fairnessName } from '../../model/fairness-text.ts';
import { describeBuilt, type BuiltModel } from '../../model/build.ts';
import type { Fairness, Model } from '../../model/define.ts';
import { swarm } from '../../run/swarm-pool.ts';
import { stoppedStatus, type SwarmResult } from '../../search/swarm.ts';
import { Runtime } from '../../exec/runtime.ts';
import type { Args } from '../args.ts';
import { EXIT, count, n, printError, type Io } from '../common.ts';
import { violationJson } from '../output.ts';
import { statusLine } from '../progress.ts';
import { isMemberRun, runMember, swarmSize } from './check-member.ts';
import { againCommand, jsonHeader, printViolation, saveSeededTrace, seededRunAlone, seededTrace } from '../seeded.ts';
import { jsonResult } from '../json-result.ts';

/**
 * `mmcheck check <model> --swarm N`: N diversified bitstate searches in
 * worker threads; the first violation wins. Finding none is not a proof, so
 * it exits 3 (incomplete), not 0.
 */
/** Flags of the exhaustive search that a swarm (fixed-size bitstate DFS per worker) has no use for. */
const EXHAUSTIVE_ONLY = ['strategy', 'store', 'bitstate-bits', 'por', 'symmetry', 'stack-proviso', 'dead-vars', 'cross-check', 'memory-limit', 'minimize'] as const;
/** Flags that only a swarm uses. */
export const SWARM_ONLY = ['swarm-jobs', 'seed', 'depth', 'bitstate', 'member', 'member-from-env', 'member-base', 'out'] as const;

export async function runSwarm(args: Args, io: Io): Promise<number> {
  for (const f of EXHAUSTIVE_ONLY)
    if (args.given(f)) throw new McError('MC321', `option --${f} is not used with --swarm (each worker is a depth-first search over its own fixed-size bitstate)`);
  if (isMemberRun(args)) return runMember(args, io);
  if (args.given('member-base')) throw new McError('MC373', 'option --member-base is used only with --member env or --member-from-env');
  if (args.given('out')) throw new McError('MC373', 'option -o/--out is used only with --member (a member writes its result there; a trace goes to --trace-out)');
  const workers = swarmSize(args);
  const c = await seededRunAlone(args, io);
  const jobs = args.num('swarm-jobs', { integer: true, min: 1 });
  const depth = args.num('depth', { integer: true, min: 1 });
  const maxStates = args.num('max-states', { integer: true, min: 1 });
  const bitstate = args.num('bitstate', { integer: true, min: 16 });
  // Bit positions are masked as 32-bit integers, so 2^31 bits (256 MB) per worker at most.
  if (bitstate > 31) throw new McError('MC323', `option --bitstate: ${bitstate} is more than 31 (log2 of the bits per worker)`);
  const checksLiveness = c.liveness && c.built.hasProgress;
  if (!c.json)
    io.out(
      `swarm-checking ${describeBuilt(c.built)} [${count(workers, 'worker')}, ${n(Math.min(jobs, workers))} at a time, seed ${c.seed}, bitstate DFS${checksLiveness ? `, liveness, ${fairnessName(c.fairness)}` : ''}]\n`,
    );
  const line = statusLine(args, io);
  let done = 0;
  let r: SwarmResult & { interrupted: string | null };
  try {
    r = await swarm(
      { model: c.model.source ?? c.model.name, variant: c.built.variant, params: c.built.params },
      {
        workers,
        jobs,
        seed: c.seed,
        depth,
        maxBitstateLog2: bitstate,
        maxStates,
        deadlock: c.deadlock,
        liveness: c.liveness,
        fairness: c.fairness,
        timeLimit: c.timeLimit,
        onWorkerDone: line ? (w) => line.update(`[mmcheck swarm] ${++done}/${workers} workers done; worker ${w.index}: ${w.status}, ${n(w.states)} states`) : null,
      },
      true,
    );
  } finally {
    line?.done();
  }
  return reportSwarm(args, io, {
    model: c.model,
    built: c.built,
    workers,
    jobs,
    options: { fairness: checksLiveness ? c.fairness : null, liveness: checksLiveness, deadlock: c.deadlock ?? c.built.deadlock, depth, maxStates: Number.isFinite(maxStates) ? maxStates : null, bitstate },
    again: againCommand(args, c.seed, c.seedGiven),
    extraJson: {},
  }, r);
}

/** What the summary of a swarm shows besides the result: the model, the sizes, the options as --json prints them, the command that repeats the run. */
export interface SwarmReport {
  readonly model: Model;
  readonly built: BuiltModel;
  readonly workers: number;
  /** Workers at once; null when the members ran as separate processes. */
  readonly jobs: number | null;
  readonly options: { fairness: Fairness | null; liveness: boolean; deadlock: boolean; depth: number; maxStates: number | null; bitstate: number };
  readonly again: string;
  /** Fields added at the end of the --json object. */
  readonly extraJson: Record<string, unknown>;
}

/**
 * The summary of a swarm (check --swarm, and swarm-merge of members run
 * apart): the worker table, the coverage, then the violation with its trace
 * saved, or the reminder that finding none is not a proof; or one JSON
 * object. Returns the exit code: 1 on a violation, 3 otherwise.
 */
export function reportSwarm(args: Args, io: Io, c: SwarmReport, r: SwarmResult & { interrupted: string | null }): number {
  const workers = c.workers;
  const trace = r.violation ? seededTrace(c.model, new Runtime(c.built), r.violation, r.fairness) : null;
  const win = r.winner !== null ? r.workers.find((w) => w.index === r.winner)! : null;
  if (args.flag('json')) {
    const saved = trace ? saveSeededTrace(args, io, c.model, trace, r.seed) : null;
    if (saved?.error) printError(io, saved.error);
    io.out(
      jsonResult('swarm', {
        ...jsonHeader(c.built, 'swarm', r.seed, r.violation !== null),
        violation: r.violation ? { ...violationJson(r.violation, saved?.path ?? null), worker: r.winner, expanded: win!.violation!.cost } : null,
        settled: r.settled,
        interrupted: r.interrupted,
        coverage: r.coverage,
        workers: r.workers.map((w) => ({
          index: w.index,
          seed: w.plan.seed,
          bitstateLog2: w.plan.bitstateLog2,
          hashes: w.plan.k,
          depthBound: w.plan.depthBound,
          status: w.status,
          states: w.states,
          expanded: w.expanded,
          transitions: w.transitions,
          maxDepth: w.maxDepth,
          depthCut: w.depthCut,
          cycles: w.cycles,
          bitstateFill: Number(w.bitstateFill.toFixed(6)),
          seconds: Number(w.seconds.toFixed(3)),
          violation: w.violation,
        })),
        stats: { workers, jobs: c.jobs, states: r.coverage.distinct, seconds: Number(r.seconds.toFixed(3)) },
        options: c.options,
        ...(saved?.error ? { traceError: saved.error } : {}),
        ...c.extraJson,
      }),
    );
    return r.violation ? EXIT.violation : EXIT.incomplete;
  }
  io.out(workerTable(r) + '\n');
  const cov = r.coverage;
  const seen = `${cov.capped ? 'at least ' : ''}${n(cov.distinct)} distinct states seen by the swarm`;
  const est =
    cov.estimate === null
      ? 'too little overlap between workers to estimate the reachable state space'
      : cov.method === 'complete-search'
        ? `a worker completed its search: about ${n(cov.estimate)} reachable states (up to bitstate collisions), ${pct(cov.share!)} seen`
        : `reachable states estimated at ~${n(cov.estimate)} by capture-recapture (an estimate, usually low: the searches are not independent samples), ~${pct(cov.share!)} seen`;
  io.out(`${count(r.workers.length, 'worker')}, ${n(r.workers.reduce((a, w) => a + w.expanded, 0))} states expanded in all, ${r.seconds.toFixed(2)} s\n`);
  io.out(`coverage: ${seen}; ${est}\n`);
  if (r.interrupted) io.out(`interrupted by ${r.interrupted}: the workers were stopped where they were\n`);
  else if (!r.settled) io.out(`note: the time limit stopped workers before the swarm settled; a run with more time may report a different worker's violation\n`);
  const again = c.again;
  if (r.violation) {
    io.out(`violation found by worker ${r.winner} after ${n(win!.violation!.cost)} expanded states (the fewest of any worker):\n`);
    printViolation(args, io, c.model, trace!, again, r.seed);
    return EXIT.violation;
  }
  // Members queued when a signal or the time limit stopped the swarm never searched.
  const unstarted = r.workers.filter((w) => stoppedStatus(w.status) && w.expanded === 0).length;
  io.out(`no violation found by ${count(r.workers.length, 'worker')}${unstarted ? ` (${n(unstarted)} of them stopped before they searched)` : ''}\n`);
  io.out(`a swarm is not a proof: each worker's bitstate skips states whose bits collide, and depth bounds cut searches (run mmcheck check without --swarm for a proof)\n`);
  io.out(`  again:  ${again}\n`);
  return EXIT.incomplete;
}

const pct = (x: number) => `${(100 * x).toFixed(x >= 0.995 ? 0 : 1)}%`;

function workerTable(r: SwarmResult): string {
  const head = ['worker', 'bitstate', 'k', 'depth bound', 'status', 'states', 'expanded', 'depth', 'seconds'];
  const rows = r.workers.map((w) => [
    String(w.index),
    `2^${w.plan.bitstateLog2}`,
    String(w.plan.k),
    n(w.plan.depthBound),
    w.status === 'violation' ? `${w.violation!.kind}` : w.status,
    n(w.states),
    n(w.expanded),
    n(w.maxDepth),
    w.seconds.toFixed(2),
  ]);
  const width = head.map((h, i) => rows.reduce((w, x) => Math.max(w, x[i]!.length), h.length));
  const left = new Set([1, 4]);
  const fmt = (cells: string[]) => cells.map((x, i) => (left.has(i) ? x.padEnd(width[i]!) : x.padStart(width[i]!))).join('  ').trimEnd();
  return [fmt(head), width.map((x) => '-'.repeat(x)).join('  '), ...rows.map(fmt)].join('\n');
}
