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
import type { SearchThread } from '../run/supervise.ts';

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

/**
 * The model for a trace: `--model` when given; else the built-in model the
 * trace's `model` field names (the package's own code, never a file). A
 * trace is data: a model file it names (`modelFile`) is never imported, since
 * a trace attached to a bug report would otherwise run whatever code it
 * points at. The command that would load that file is returned instead.
 */
export async function traceModel(t: TraceFile, traceFile: string, args: Args, io: Io): Promise<TraceModel> {
  const given = args.str('model');
  if (given !== undefined) return { model: await loadModel(given, io.cwd) };
  const again = (modelArg: string) => `mmcheck ${[args.command.name, ...args.argv, '--model'].map(shq).join(' ')} ${modelArg}`;
  if (t.modelFile !== undefined) {
    const besideTrace = resolve(dirname(resolve(io.cwd, traceFile)), t.modelFile);
    const fromCwd = resolve(io.cwd, t.modelFile);
    if (!existsSync(besideTrace) && !existsSync(fromCwd))
      // The trace moved away from the model (a copy under another folder): no path to suggest.
      return { model: null, why: `the trace names the model file ${q(t.modelFile)}, which is neither beside the trace nor here (a trace names its model relative to where it was saved)`, command: again('FILE') };
    const file = existsSync(besideTrace) ? besideTrace : fromCwd;
    // An absolute path stays absolute; a relative one is made relative to where the command runs.
    const rel = isAbsolute(t.modelFile) ? t.modelFile : relative(io.cwd, file) || file;
    // A name with control characters would reach the terminal as escapes: it is shown JSON-quoted instead.
    const shown = /[\x00-\x1f\x7f]/.test(rel) ? q(rel) : shqPath(rel);
    return { model: null, why: `the trace names the model file ${q(t.modelFile)}, and a model file is code: it is loaded only when given on the command line`, command: again(shown) };
  }
  const m = looksLikeModelPath(t.model) ? null : await builtinModel(t.model);
  if (m) return { model: m };
  return { model: null, why: `the trace's model ${q(t.model)} is not a built-in model`, command: again('FILE') };
}

/** The model for a trace, or MC421 with the command that gives it. */
export async function requireTraceModel(t: TraceFile, traceFile: string, args: Args, io: Io): Promise<Model> {
  const r = await traceModel(t, traceFile, args, io);
  if (r.model) return r.model;
  throw new McError('MC421', `${r.why}; to re-execute it on that model, run: ${r.command}`);
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
