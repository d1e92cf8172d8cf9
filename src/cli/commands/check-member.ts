import { McError } from '../../model/errors.ts';
import { describeBuilt } from '../../model/build.ts';
import { Runtime } from '../../exec/runtime.ts';
import { defaultSwarmOptions, swarmMember } from '../../run/swarm-pool.ts';
import { looksLikeModelPath } from '../../run/load.ts';
import { refuseForeignOutput, refuseOutputOverInput, writeFileAtomic } from '../../run/write.ts';
import { modelHash } from '../../trace/decode.ts';
import { memberResult, type SwarmRun } from '../../trace/member-result.ts';
import { MAX_SWARM } from '../../search/swarm.ts';
import type { Args } from '../args.ts';
import { count, EXIT, n, shqPath, toFile, type Io } from '../common.ts';
import { memberIndex } from '../member-index.ts';
import { statusLine } from '../progress.ts';
import { seededRunAlone, seededTrace } from '../seeded.ts';

/**
 * `mmcheck check <model> --swarm N --member I`: member I of the swarm of N
 * alone, as the in-process swarm runs it (the same plan from the seed, the
 * same member options), for a batch scheduler that runs each member as its
 * own task (docs/distributed.md). It writes a result file
 * (`mmcheck-swarm-member/1`, `-o FILE`, atomically) or prints it (`--json`);
 * `mmcheck swarm-merge` merges the members' files into the swarm's result.
 *
 * Exit 0 once the result is written whatever the member found: the verdict
 * is the merge's (exit 1 on a violation, as check), and a scheduler takes
 * any other code for a failed task (Kubernetes retries it, Slurm's
 * `afterok` holds the merge). Exit 3 when a signal stopped the member (a
 * partial result is still written), 2 on bad input.
 */

/** Flags of check --swarm that a member run alone has no use for, and why. */
const NOT_FOR_A_MEMBER = {
  'swarm-jobs': 'a member runs its one search alone (--swarm-jobs is how many members check --swarm N runs at once in one process; a scheduler runs the members here, as many at once as its job allows)',
  'trace-out': "a member writes no trace file: its violation's trace goes into its result file, and mmcheck swarm-merge --trace-out writes the swarm's",
  'no-trace': "the member's result must hold its violation's trace, which mmcheck swarm-merge replays and saves (give swarm-merge --no-trace instead)",
} as const;

export const isMemberRun = (args: Args): boolean => args.given('member') || args.given('member-from-env');

export async function runMember(args: Args, io: Io): Promise<number> {
  for (const [f, why] of Object.entries(NOT_FOR_A_MEMBER)) if (args.given(f)) throw new McError('MC373', `option --${f} is not used with --member: ${why}`);
  if (!args.given('out') && !args.flag('json')) throw new McError('MC373', 'a swarm member writes its result to -o FILE or, with --json, to stdout: give one of them');
  if (!args.given('seed')) throw new McError('MC374', "option --member needs --seed S: every member plans from the swarm's seed, and a seed from each machine's clock would give members of different swarms");
  const workers = swarmSize(args);
  const base = args.given('member-base') ? args.num('member-base', { integer: true, min: 0 }) : undefined;
  const { index, from } = memberIndex(args.str('member'), args.flag('member-from-env'), base, workers, io.env ?? {});
  // -o - is stdout, as for show and test: the result is printed as with --json.
  const out = toFile(args.str('out'));
  const toStdout = args.flag('json') || args.str('out') === '-';
  if (out !== undefined && looksLikeModelPath(args.positionals[0]!)) refuseOutputOverInput(out, [{ path: args.positionals[0], what: 'model file' }], io.cwd, '-o');
  if (out !== undefined) refuseForeignOutput(out, 'member-result', { cwd: io.cwd, option: '-o' });
  const c = await seededRunAlone(args, io);
  const depth = args.num('depth', { integer: true, min: 1 });
  const maxStates = args.num('max-states', { integer: true, min: 1 });
  const bitstate = args.num('bitstate', { integer: true, min: 16 });
  if (bitstate > 31) throw new McError('MC323', `option --bitstate: ${bitstate} is more than 31 (log2 of the bits per worker)`);
  const line = statusLine(args, io);
  const options = { workers, seed: c.seed, depth, maxBitstateLog2: bitstate, maxStates, deadlock: c.deadlock, liveness: c.liveness, fairness: c.fairness, timeLimit: c.timeLimit };
  let m: Awaited<ReturnType<typeof swarmMember>>;
  line?.update(`[mmcheck swarm] member ${index} of ${workers} running`);
  try {
    m = await swarmMember({ model: c.model.source ?? c.model.name, variant: c.built.variant, params: c.built.params }, options, index, true);
  } finally {
    line?.done();
  }
  const rt = new Runtime(c.built);
  const run: SwarmRun = {
    model: c.built.name,
    variant: c.built.variant,
    params: { ...c.built.params },
    modelHash: modelHash(rt),
    workers,
    seed: c.seed,
    depth,
    bitstate,
    maxStates: Number.isFinite(maxStates) ? maxStates : null,
    deadlock: c.deadlock,
    liveness: c.liveness,
    fairness: c.fairness,
    timeLimit: Number.isFinite(c.timeLimit) ? c.timeLimit : null,
    coverageCap: defaultSwarmOptions.coverageCap,
  };
  const o = m.outcome;
  const trace = o.violation ? seededTrace(c.model, rt, o.violation, c.liveness ? c.fairness : null) : null;
  const result = memberResult(run, m.plan, o, m.interrupted, trace);
  const text = JSON.stringify(result) + '\n';
  if (out !== undefined) writeFileAtomic(out, text, { cwd: io.cwd, kind: 'member-result' });
  if (toStdout) io.out(text);
  else {
    const what = o.violation ? `${o.violation.kind} (${o.violation.property}) after ${n(o.cost)} expanded states` : o.status === 'done' ? 'no violation, search done' : `no violation (${o.status})`;
    io.out(`swarm member ${index} of ${workers} of ${describeBuilt(c.built)} [seed ${c.seed}, index from ${from}, bitstate 2^${m.plan.bitstateLog2}, k ${m.plan.k}, depth bound ${n(m.plan.depthBound)}]\n`);
    io.out(`${what}; ${count(o.states, 'state')}, ${n(o.expanded)} expanded, ${o.seconds.toFixed(2)} s${m.interrupted ? `; interrupted by ${m.interrupted}` : ''}\n`);
    io.out(`result saved: ${out}\n  merge:  mmcheck swarm-merge ${shqPath(out!)} ... (every member's result)\n`);
  }
  return m.interrupted ? EXIT.incomplete : EXIT.pass;
}

/** N of `--swarm N`: at least 1, at most MAX_SWARM (MC323). */
export function swarmSize(args: Args): number {
  const n = args.num('swarm', { integer: true, min: 1 });
  if (n > MAX_SWARM) throw new McError('MC323', `option --swarm: ${n} is more than ${MAX_SWARM.toLocaleString('en-US')} members`);
  return n;
}
