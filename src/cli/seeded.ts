import { digest } from '../layout/hash.ts';
import { McError } from '../model/errors.ts';
import type { BuiltModel } from '../model/build.ts';
import type { Fairness, Model } from '../model/define.ts';
import { freshSeed } from '../search/simulate.ts';
import type { FoundViolation } from '../search/types.ts';
import type { Runtime } from '../exec/runtime.ts';
import { buildTrace, traceFileName } from '../trace/build.ts';
import type { TraceFile } from '../trace/format.ts';
import { renderText } from '../report/table.ts';
import { traceDocsOf } from '../trace/docs.ts';
import type { Args } from './args.ts';
import { printError, shq, shqPath, type Io } from './common.ts';
import { FAIRNESS } from './flags.ts';
import { modelFromArgs, watchTimeLimit } from './inputs.ts';
import { SearchThread } from '../run/supervise.ts';
import { memoryCeiling } from '../run/memory-ceiling.ts';
import { looksLikeModelPath } from '../run/load.ts';
import { checkReplays, modelArg, writeTrace, type SavedTrace } from './output.ts';

/**
 * What the seeded searches share, `mmcheck simulate` (random walks) and
 * `mmcheck check --swarm` (diversified bitstate searches): both find bugs in
 * models too large to explore, neither proves anything when it finds none,
 * and both print the command that repeats the run with its seed.
 */
export interface SeededRun {
  model: Model;
  built: BuiltModel;
  seed: string;
  seedGiven: boolean;
  fairness: Fairness;
  liveness: boolean;
  deadlock: boolean | null;
  timeLimit: number;
  json: boolean;
}

/** The model and the options of a seeded run; a model file is loaded first in `watch`'s thread (`modelFromArgs`). */
export async function seededRun(args: Args, io: Io, watch: SearchThread): Promise<SeededRun> {
  const { model, built } = await modelFromArgs(args, io, { thread: watch, timeLimit: watchTimeLimit(args) });
  return seededOptions(args, model, built);
}

/**
 * A seeded run whose searches run in threads of their own (`check --swarm`,
 * `--member`), each loading the model: a model file is loaded and built
 * first in a thread started for that alone (watched: `--time-limit`; a
 * signal meanwhile ends the run through bin/mmcheck.js's listeners (MC376),
 * which run since this thread is not the one stuck), then ended.
 */
export async function seededRunAlone(args: Args, io: Io): Promise<SeededRun> {
  if (!looksLikeModelPath(args.positionals[0]!)) {
    const { model, built } = await modelFromArgs(args, io);
    return seededOptions(args, model, built);
  }
  const watch = SearchThread.spawn(memoryCeiling(Infinity));
  try {
    return await seededRun(args, io, watch);
  } finally {
    watch.close();
  }
}

function seededOptions(args: Args, model: Model, built: BuiltModel): SeededRun {
  const given = args.str('seed');
  if (given !== undefined && given === '') throw new McError('MC320', 'option --seed: the seed must not be empty');
  return {
    model,
    built,
    seed: given ?? freshSeed(),
    seedGiven: given !== undefined,
    fairness: args.oneOf('fairness', FAIRNESS),
    liveness: !args.flag('no-liveness'),
    deadlock: args.flag('no-deadlock') ? false : null,
    timeLimit: args.num('time-limit', { min: 0 }),
    json: args.flag('json'),
  };
}

/** The command that repeats this run: the same arguments, with the seed made explicit. */
export function againCommand(args: Args, seed: string, given: boolean): string {
  const rest = args.argv.filter((a) => a !== '--progress' && a !== '--no-progress');
  return `mmcheck ${args.command.name} ${[...rest, ...(given ? [] : ['--seed', seed])].map(shq).join(' ')}`;
}

/** The fields that open the JSON result of simulate and of a swarm. */
export function jsonHeader(b: BuiltModel, mode: 'simulate' | 'swarm', seed: unknown, found: boolean) {
  return { model: b.name, variant: b.variant, params: b.params, mode, seed, verdict: found ? 'violation' : 'no-violation' };
}

/** Build the trace, checked to replay on the model (MC161 otherwise); it is saved after it is printed (`saveSeededTrace`). */
export function seededTrace(model: Model, rt: Runtime, v: FoundViolation, fairness: Fairness | null): TraceFile {
  const trace = buildTrace(rt, v, { fairness: v.kind === 'livelock' ? fairness ?? undefined : undefined });
  checkReplays(trace, model);
  return trace;
}

/**
 * Save the trace (unless --no-trace); a failed write is returned, not thrown.
 * By default under a name of its own, with the run's mode and seed
 * (`<name>.simulate-seed<S>.json`, `<name>.swarm-seed<S>.json`): a random
 * walk's counterexample is not the shortest, and must not replace the one
 * `check` saved for the same property.
 */
export function saveSeededTrace(args: Args, io: Io, model: Model, trace: TraceFile, seed: string | number): SavedTrace | null {
  if (args.flag('no-trace')) return null;
  const mode = args.command.name === 'simulate' ? 'simulate' : 'swarm';
  const tag = `.${mode}-seed${seedTag(String(seed))}.json`;
  return writeTrace(trace, io.cwd, args.str('trace-out'), model, [], traceFileName(trace).replace(/\.json$/, tag));
}

/**
 * The seed as a file name's part: itself when it is one (letters, digits,
 * `_`, `.`, `-`, at most 64), else what of it is, with a hash of the whole
 * seed, so that two seeds never name one file (`a/b` and `a b` did, and the
 * second run's trace replaced the first's).
 */
export function seedTag(seed: string): string {
  if (/^[A-Za-z0-9_.-]{1,64}$/.test(seed)) return seed;
  return `${seed.slice(0, 48).replace(/[^A-Za-z0-9_.-]+/g, '_')}~${digest(seed)}`;
}

/** The counterexample, then the trace written, then where it went (or the write error) and the command that repeats the run. */
export function printViolation(args: Args, io: Io, model: Model, trace: TraceFile, again: string, seed: string | number): void {
  io.out(`\n${renderText(trace, { docs: traceDocsOf(trace, model) })}\n\n`);
  const saved = saveSeededTrace(args, io, model, trace, seed);
  if (saved?.error) printError(io, saved.error);
  else if (saved) io.out(`trace saved: ${saved.path}\n  replay: mmcheck replay ${shqPath(saved.path)}${modelArg(model, io.cwd)}\n`);
  io.out(`  again:  ${again}\n`);
}
