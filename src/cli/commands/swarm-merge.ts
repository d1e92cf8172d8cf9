import { McError, McIncompleteError, q } from '../../model/errors.ts';
import { buildModel, describeBuilt } from '../../model/build.ts';
import type { Model } from '../../model/define.ts';
import { fairnessName } from '../../model/fairness-text.ts';
import { builtinModel, loadModel, looksLikeModelPath } from '../../run/load.ts';
import { defaultSwarmOptions } from '../../run/swarm-pool.ts';
import { listed, readMemberResult, sameRun } from '../../run/swarm-merge.ts';
import { memoryCeiling } from '../../run/memory-ceiling.ts';
import type { MergeJobResult, TraceModelRef } from '../../run/trace-job.ts';
import { watchedTraceJob } from '../inputs.ts';
import { traceStopText } from '../output.ts';
import { refuseForeignOutput, refuseOutputOverInput } from '../../run/write.ts';
import type { SwarmRun } from '../../trace/member-result.ts';
import type { Args, Command } from '../args.ts';
import { count, n, shq, type Io } from '../common.ts';
import { reportSwarm } from './check-swarm.ts';

/**
 * `mmcheck swarm-merge FILE...`: the result of a swarm whose members ran
 * apart (`check --swarm N --member I`), printed and exited on as
 * `check --swarm N` does (src/run/swarm-merge.ts says what is checked and
 * how it is merged).
 */
export const swarmMergeCommand: Command = {
  name: 'swarm-merge',
  summary: 'merge the results of swarm members run apart (check --swarm N --member I) into the swarm\'s result',
  usage: 'swarm-merge <member.json>... [options]',
  positionals: ['member.json'],
  variadic: true,
  takes: 'one or more member result files',
  flags: {
    model: {
      type: 'string',
      value: 'FILE|NAME',
      help: 'the model the members ran: a model file or a built-in name (default: the built-in model the results name; a result never loads a model file)',
    },
    'allow-missing': { type: 'boolean', help: 'merge even when some members\' results are missing (a warning; the winner may differ from the whole swarm\'s)' },
    'trace-out': { type: 'string', short: 'o', value: 'FILE', help: "where to save the winner's counterexample (default traces/<name>.swarm-seed<S>.json, as check --swarm names it)" },
    'no-trace': { type: 'boolean', help: 'do not save a counterexample' },
    json: { type: 'boolean', help: 'one JSON object on stdout (the shape of check --swarm --json, with members merged and missing)' },
  },
  conflicts: [['no-trace', 'trace-out']],
  notes: [
    'The files must be the results of one swarm: the same model (and model hash), variant, parameters, options, N and seed, each member once (MC434, MC435); a missing member is an error (MC436) unless --allow-missing.',
    'Results are data: each is validated field by field, every plan is derived again from the seed, and every counterexample is replayed on the model before anything is merged, in a thread of its own: SIGINT or SIGTERM stop it with error MC440, saying at which step of which member\'s counterexample; nothing is merged or written, exit 3.',
    'Exit codes as check --swarm: 1 a violation (the trace saved), 3 none found (a swarm is not a proof), 2 bad input.',
  ],
  example: 'mmcheck swarm-merge results/member-*.json --trace-out dining.json',
  run: runMerge,
};

async function runMerge(args: Args, io: Io): Promise<number> {
  const files = args.positionals;
  if (files.length === 0) throw new McError('MC309', `mmcheck swarm-merge takes one or more member result files, got none (usage: mmcheck ${swarmMergeCommand.usage})`);
  const inputs = [...files.map((f) => ({ path: f, what: 'member result' })), ...(args.given('model') ? [{ path: args.str('model')!, what: 'model file' }] : [])];
  if (args.given('trace-out')) {
    refuseOutputOverInput(args.str('trace-out')!, inputs, io.cwd, '--trace-out');
    refuseForeignOutput(args.str('trace-out')!, 'trace', { cwd: io.cwd, option: '--trace-out' });
  }
  const members = files.map((f) => readMemberResult(f, io.cwd));
  // Results of different runs, a member twice or one missing are told before the model is loaded and built for the first result's variant and parameters.
  sameRun(members, args.flag('allow-missing'));
  const first = members[0]!.result.run;
  // The members' counterexamples are replayed, and merged, in a watched thread; this thread loads the model after it has.
  const limits = { timeLimit: Infinity, memory: memoryCeiling(Infinity) };
  const job = await watchedTraceJob<MergeJobResult>(mergeModelRef(first, args, io), { kind: 'merge', members, allowMissing: args.flag('allow-missing'), ...(args.given('model') ? { given: args.str('model')! } : {}) }, limits);
  if ('noModel' in job) throw notBuiltinError(first);
  if ('stopped' in job) {
    const member = job.stopped.task?.member;
    const steps = members.find((m) => m.result.member === member)?.result.violation?.trace.steps ?? [];
    throw new McIncompleteError('MC440', `swarm-merge was ${traceStopText(job.stopped, steps, limits)}; nothing was merged`);
  }
  const merged = job.done;
  const model = await mergeModel(first, args, io);
  const built = buildModel(model, first.variant, first.params);
  const { run, missing } = merged;
  const json = args.flag('json');
  if (missing.length)
    io.err(`warning: ${count(missing.length, 'member')} of ${run.workers} missing (${listed(missing)}): the coverage is of the others, and a missing member might have found a cheaper violation\n`);
  const liveness = run.liveness && built.hasProgress;
  if (!json)
    io.out(
      `swarm-merging ${describeBuilt(built)} [${count(merged.merged.length, 'member result')} of ${n(run.workers)}, seed ${run.seed}, bitstate DFS, ${fairnessName(run.fairness)}${liveness ? ', liveness' : ''}]\n`,
    );
  return reportSwarm(
    args,
    io,
    {
      model,
      built,
      workers: run.workers,
      jobs: null,
      options: { fairness: liveness ? run.fairness : null, liveness, deadlock: run.deadlock ?? built.deadlock, depth: run.depth, maxStates: run.maxStates, bitstate: run.bitstate },
      again: inProcessCommand(run, model, args),
      extraJson: { members: { merged: merged.merged, missing } },
    },
    { ...merged.result, interrupted: merged.interrupted },
  );
}

/** The model the members ran: --model, or the built-in model they name; a model file is never loaded because a result names it (MC439 otherwise). */
function mergeModelRef(run: SwarmRun, args: Args, io: Io): TraceModelRef {
  const given = args.str('model');
  if (given !== undefined) return { ref: given, cwd: io.cwd, builtinOnly: false };
  if (looksLikeModelPath(run.model)) throw notBuiltinError(run);
  return { ref: run.model, cwd: io.cwd, builtinOnly: true };
}

/** The model `mergeModelRef` names, loaded in this thread. */
async function mergeModel(run: SwarmRun, args: Args, io: Io): Promise<Model> {
  const ref = mergeModelRef(run, args, io);
  const m = ref.builtinOnly ? await builtinModel(ref.ref) : await loadModel(ref.ref, io.cwd);
  if (m) return m;
  throw notBuiltinError(run);
}

const notBuiltinError = (run: SwarmRun): McError =>
  new McError('MC439', `the members ran model ${q(run.model)}, which is not a built-in model: give the model file they ran with --model FILE`);

/** The command that runs the same swarm in one process (the `again:` line of check --swarm). */
function inProcessCommand(run: SwarmRun, model: Model, args: Args): string {
  const d = defaultSwarmOptions;
  const a = ['check', args.given('model') ? args.str('model')! : model.name];
  if (run.variant !== null) a.push('--variant', run.variant);
  for (const [k, v] of Object.entries(run.params)) a.push('-p', `${k}=${v}`);
  a.push('--swarm', String(run.workers), '--seed', run.seed);
  if (run.depth !== d.depth) a.push('--depth', String(run.depth));
  if (run.bitstate !== d.maxBitstateLog2) a.push('--bitstate', String(run.bitstate));
  if (run.maxStates !== null) a.push('--max-states', String(run.maxStates));
  if (run.timeLimit !== null) a.push('--time-limit', String(run.timeLimit));
  if (!run.liveness) a.push('--no-liveness');
  else if (run.fairness !== d.fairness) a.push('--fairness', run.fairness);
  if (run.deadlock === false) a.push('--no-deadlock');
  return `mmcheck ${a.map(shq).join(' ')}`;
}
