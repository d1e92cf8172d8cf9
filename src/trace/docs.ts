import { buildModel, type BuiltModel } from '../model/build.ts';
import type { Model, Params } from '../model/define.ts';
import { isMcError } from '../model/errors.ts';
import type { TraceFile } from './format.ts';

/**
 * What each step of a trace stands for: the `doc` its step declares in the
 * model (e.g. the kernel function), one entry per trace step, '' where the
 * step has none. A trace file does not record docs (they are prose, not
 * state, and replay could not check them), so they come from the model the
 * trace is rendered with, looked up by thread and step name.
 */
export type StepDocs = readonly string[];

/** A doc on one line: a table cell or a terminal row has no room for line breaks. */
export const oneLine = (doc: string): string => doc.replace(/\s+/g, ' ').trim();

/** Docs of the trace's steps in a built instance of its model; '' for a thread or step the instance does not have. */
export function traceDocs(trace: TraceFile, built: BuiltModel): string[] {
  const steps = new Map(built.threads.map((th) => [th.name, new Map(th.template.steps.map((s) => [s.name, s.doc]))]));
  return trace.steps.map((s) => oneLine(steps.get(s.thread)?.get(s.step) ?? ''));
}

/**
 * Docs of the trace's steps in the model, instantiated for the trace's
 * variant and parameters; undefined when there is no model, or when the
 * model (changed since the trace was made) no longer builds for them: the
 * trace is then shown without docs rather than not at all.
 */
export function traceDocsOf(trace: TraceFile, model: Model | null | undefined): StepDocs | undefined {
  if (!model) return undefined;
  let built: BuiltModel;
  try {
    built = buildModel(model, trace.variant, trace.params as Params);
  } catch (e) {
    if (isMcError(e)) return undefined;
    throw e;
  }
  return traceDocs(trace, built);
}
