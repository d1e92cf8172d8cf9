import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { McError, q } from '../model/errors.ts';
import type { Model } from '../model/define.ts';
import { buildModel, type BuiltModel } from '../model/build.ts';
import { parseTrace, type TraceFile } from '../trace/format.ts';
import type { Args } from './args.ts';
import { paramsFrom, type Io } from './common.ts';
import { loadModel } from '../run/load.ts';

/** What commands read: `<model>` arguments and trace files, both relative to the io's working directory. */

export function loadModelArg(ref: string, io: Io): Promise<Model> {
  return loadModel(ref, io.cwd);
}

export function readTrace(file: string, io: Io): TraceFile {
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new McError('MC404', `cannot read trace ${q(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseTrace(text, file);
}

/**
 * The model a trace was made on: its model file (relative to the trace, or
 * else to the working directory), or the built-in model of that name.
 */
export function modelOfTrace(t: TraceFile, traceFile: string, io: Io): Promise<Model> {
  if (t.modelFile) {
    const besideTrace = resolve(dirname(resolve(io.cwd, traceFile)), t.modelFile);
    return loadModel(existsSync(besideTrace) ? besideTrace : resolve(io.cwd, t.modelFile), io.cwd);
  }
  return loadModel(t.model, io.cwd);
}

/** The `<model>` positional, built for `--variant` and the `-p` values. */
export async function modelFromArgs(args: Args, io: Io): Promise<{ model: Model; built: BuiltModel }> {
  const model = await loadModelArg(args.positionals[0]!, io);
  return { model, built: buildModel(model, args.str('variant'), paramsFrom(model, args.list('param'))) };
}
