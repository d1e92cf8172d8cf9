import { existsSync } from 'node:fs';
import { dirname, isAbsolute, relative, resolve } from 'node:path';
import { McError, q } from '../model/errors.ts';
import type { Model } from '../model/define.ts';
import { buildModel, type BuiltModel } from '../model/build.ts';
import type { TraceFile } from '../trace/format.ts';
import { readTrace as readTraceFile } from '../run/api.ts';
import type { Args } from './args.ts';
import { paramsFrom, shq, shqPath, type Io } from './common.ts';
import { builtinModel, loadModel, looksLikeModelPath } from '../run/load.ts';
import { refuseForeignOutput, refuseOutputOverInput } from '../run/write.ts';
import { SearchThread } from '../run/supervise.ts';
import type { SupervisedTrace, TraceJob, TraceModelRef } from '../run/trace-job.ts';
import { InterruptedBeforeSearch } from '../run/signals.ts';
import { memoryCeiling, type MemoryCeiling } from '../run/memory-ceiling.ts';
import { defaultOptions } from '../search/types.ts';

/** What commands read: `<model>` arguments and trace files, both relative to the io's working directory. */

export function loadModelArg(ref: string, io: Io): Promise<Model> {
  return loadModel(ref, io.cwd);
}

/** An output of replay, show or minimize may be neither the trace it reads nor the model file given with --model. */
export function refuseOverTraceInputs(out: string, traceFile: string, traceRole: string, args: Args, io: Io, option: string): void {
  const inputs = [{ path: traceFile, what: traceRole }, ...(args.given('model') ? [{ path: args.str('model')!, what: 'model file' }] : [])];
  refuseOutputOverInput(out, inputs, io.cwd, option);
}

/** `--trace-out FILE` may replace a trace, and nothing else (MC346): checked before the model is loaded and searched. */
export function refuseForeignTraceOut(args: Args, io: Io): void {
  if (args.command.flags['trace-out'] && args.given('trace-out')) refuseForeignOutput(args.str('trace-out')!, 'trace', { cwd: io.cwd, option: '--trace-out' });
}

export function readTrace(file: string, io: Io): TraceFile {
  return readTraceFile(file, { cwd: io.cwd });
}

/** `--model`, the one way replay, show and minimize are given a model file. */
export const TRACE_MODEL_FLAG = {
  type: 'string',
  value: 'FILE|NAME',
  help: "the model to re-execute on: a model file or a built-in name (default: the built-in model the trace names; a model file is never loaded from the trace)",
} as const;

/** The model a trace is re-executed on, or why there is none and the command that would give it. */
export type TraceModel = { model: Model } | { model: null; why: string; command: string };

/** Why a trace has no model, and the command that would give it one. */
type NoTraceModel = { ref: null; why: string; command: string };

/**
 * Where the model for a trace comes from, decided without loading anything:
 * `--model` when given (a model file or a built-in name); else the built-in
 * model the trace's `model` field names (the package's own code, never a
 * file). A trace is data: a model file it names (`modelFile`) is never
 * imported, since a trace attached to a bug report would otherwise run
 * whatever code it points at. The command that would load that file is
 * returned instead.
 */
export function traceModelSource(t: TraceFile, traceFile: string, args: Args, io: Io): TraceModelRef | NoTraceModel {
  const given = args.str('model');
  if (given !== undefined) return { ref: given, cwd: io.cwd, builtinOnly: false };
  if (t.modelFile !== undefined) {
    const besideTrace = resolve(dirname(resolve(io.cwd, traceFile)), t.modelFile);
    const fromCwd = resolve(io.cwd, t.modelFile);
    if (!existsSync(besideTrace) && !existsSync(fromCwd))
      // The trace moved away from the model (a copy under another folder): no path to suggest.
      return { ref: null, why: `the trace names the model file ${q(t.modelFile)}, which is neither beside the trace nor here (a trace names its model relative to where it was saved)`, command: againWithModel(args, 'FILE') };
    const file = existsSync(besideTrace) ? besideTrace : fromCwd;
    // An absolute path stays absolute; a relative one is made relative to where the command runs.
    const rel = isAbsolute(t.modelFile) ? t.modelFile : relative(io.cwd, file) || file;
    // A name with control characters would reach the terminal as escapes: it is shown JSON-quoted instead.
    const shown = /[\x00-\x1f\x7f]/.test(rel) ? q(rel) : shqPath(rel);
    return { ref: null, why: `the trace names the model file ${q(t.modelFile)}, and a model file is code: it is loaded only when given on the command line`, command: againWithModel(args, shown) };
  }
  if (looksLikeModelPath(t.model)) return notBuiltin(t, args);
  return { ref: t.model, cwd: io.cwd, builtinOnly: true };
}

/** The trace's model is not a built-in model (and no --model was given). */
export function notBuiltin(t: TraceFile, args: Args): NoTraceModel {
  return { ref: null, why: `the trace's model ${q(t.model)} is not a built-in model`, command: againWithModel(args, 'FILE') };
}

/** The command as given, with `--model` and its argument added. */
const againWithModel = (args: Args, modelArg: string): string => `mmcheck ${[args.command.name, ...args.argv, '--model'].map(shq).join(' ')} ${modelArg}`;

/** The model for a trace (`traceModelSource`), loaded in this thread. */
export async function traceModel(t: TraceFile, traceFile: string, args: Args, io: Io): Promise<TraceModel> {
  const src = traceModelSource(t, traceFile, args, io);
  if (src.ref === null) return { model: null, why: src.why, command: src.command };
  if (!src.builtinOnly) return { model: await loadModel(src.ref, io.cwd) };
  const m = await builtinModel(src.ref);
  if (m) return { model: m };
  const none = notBuiltin(t, args);
  return { model: null, why: none.why, command: none.command };
}

/** MC421 for a trace without a model, with the command that gives it one. */
export function noTraceModelError(none: { why: string; command: string }): McError {
  return new McError('MC421', `${none.why}; to re-execute it on that model, run: ${none.command}`);
}

/** The model for a trace, or MC421 with the command that gives it. */
export async function requireTraceModel(t: TraceFile, traceFile: string, args: Args, io: Io): Promise<Model> {
  const r = await traceModel(t, traceFile, args, io);
  if (r.model) return r.model;
  throw noTraceModelError(r);
}

/** The limits of a job on a trace: `--time-limit` (Infinity when not given) and `--memory-limit` or the default ceiling. */
export interface TraceLimits {
  readonly timeLimit: number;
  readonly memory: MemoryCeiling;
}

/** `--time-limit` and `--memory-limit` as given (a bad value is MC307 before anything runs). */
export function traceLimits(args: Args): TraceLimits {
  return { timeLimit: args.num('time-limit', { min: 0 }), memory: memoryCeiling(args.num('memory-limit', { min: 1 })) };
}

/** `--time-limit` and `--memory-limit` of the commands that re-execute a trace (`replay`, `show`). */
export const TRACE_LIMIT_FLAGS = {
  'time-limit': { type: 'string', value: 'S', default: defaultOptions.timeLimit, help: 'stop re-executing the trace after S seconds, even inside a step that does not return (exit 3)' },
  'memory-limit': { type: 'string', value: 'MB', default: defaultOptions.memoryLimitMB, help: "stop when the process's resident memory exceeds MB megabytes (exit 3); default: 80% of the machine's (or cgroup's) memory" },
} as const;

/**
 * A job on a trace (or on a swarm's results) in a watched thread
 * (`SearchThread.trace`): a model file given on the command line is loaded
 * there first (`prepare`: MC167 past `--time-limit`, MC376 on a signal),
 * then the job runs there within the limits, and a signal stops it. A stop
 * before the job ran any of the model's code is MC376
 * (`InterruptedBeforeSearch`), as a signal while a model file loads is.
 * `thread`: one the caller keeps for more work (and closes); without it,
 * one is started for the job and closed after.
 */
export async function watchedTraceJob<T>(source: TraceModelRef, job: TraceJob, limits: TraceLimits, thread?: SearchThread): Promise<SupervisedTrace<T>> {
  const th = thread ?? SearchThread.spawn(limits.memory, { signals: true });
  // What a signal came before, when it came while the model loaded.
  const before = job.kind === 'merge' ? "the members' counterexamples were replayed" : 'the trace was re-executed';
  try {
    if (!source.builtinOnly && looksLikeModelPath(source.ref)) await th.prepare({ ref: source.ref, cwd: source.cwd, build: null }, { timeLimit: limits.timeLimit });
    const r = await th.trace<T>(source, job, { timeLimit: limits.timeLimit, memory: limits.memory, signals: true });
    if ('stopped' in r && r.stopped.task === null && r.stopped.reason === 'interrupted') throw new InterruptedBeforeSearch(r.stopped.signal ?? 'SIGINT', before);
    return r;
  } catch (e) {
    if (e instanceof InterruptedBeforeSearch) throw new InterruptedBeforeSearch(e.signal, before);
    throw e;
  } finally {
    if (thread === undefined) th.close();
  }
}

/**
 * The thread that loads and builds a model file first (`SearchThread.prepare`),
 * and the time limit it has to (`--time-limit`, Infinity when not given).
 */
export interface ModelWatch {
  readonly thread: SearchThread;
  readonly timeLimit: number;
}

/** `--time-limit` for the watch of a model file's loading: a bad value is reported in its turn, after the model loads, as before. */
export function watchTimeLimit(args: Args): number {
  try {
    return args.given('time-limit') ? args.num('time-limit', { min: 0 }) : Infinity;
  } catch {
    return Infinity;
  }
}

/**
 * The `<model>` positional, built for `--variant` and the `-p` values. A
 * model file is code that may never return (a loop at its top level, or in
 * `threads` of its parameters): with `watch`, the watched thread loads and
 * builds it first, within the time limit and ending at a signal, and only
 * then does this thread (which handles no signal or timer while a module's
 * code runs) load it; the thread keeps the model it built for its search.
 */
export async function modelFromArgs(args: Args, io: Io, watch?: ModelWatch): Promise<{ model: Model; built: BuiltModel }> {
  const ref = args.positionals[0]!;
  // A trace written over the model file would destroy it: refused before the model is even loaded.
  if (args.command.flags['trace-out'] && args.given('trace-out') && looksLikeModelPath(ref))
    refuseOutputOverInput(args.str('trace-out')!, [{ path: ref, what: 'model file' }], io.cwd, '--trace-out');
  refuseForeignTraceOut(args, io);
  if (watch !== undefined && looksLikeModelPath(ref))
    await watch.thread.prepare({ ref, cwd: io.cwd, build: { variant: args.str('variant') ?? null, params: { text: args.list('param') } } }, { timeLimit: watch.timeLimit });
  const model = await loadModelArg(ref, io);
  return { model, built: buildModel(model, args.str('variant'), paramsFrom(model, args.list('param'))) };
}
