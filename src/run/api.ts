import { resolve } from 'node:path';
import { buildModel } from '../model/build.ts';
import type { Model, Params } from '../model/define.ts';
import { McError, q } from '../model/errors.ts';
import { Runtime } from '../exec/runtime.ts';
import { search } from '../search/check.ts';
import type { SearchOptions, SearchResult } from '../search/types.ts';
import { buildTrace } from '../trace/build.ts';
import { parseTrace, type TraceFile } from '../trace/format.ts';
import { minimizedTrace, violationOfTrace, type MinimizeStats } from '../trace/minimize.ts';
import { replay as replayTrace, type ReplayOutcome } from '../trace/replay.ts';
import { renderHtml } from '../report/html.ts';
import { explainTrace, type BlockedReport } from '../trace/blocked.ts';
import { renderItf } from '../report/itf.ts';
import { renderMarkdown, renderText } from '../report/table.ts';
import { traceDocsOf } from '../trace/docs.ts';
import { writeFileAtomic } from './write.ts';
import { readDataFile } from './read-data.ts';

/**
 * The programmatic API: what the command line does, as functions over
 * values. A caller passes a model (the default export of a model file), gets
 * results as data, and decides itself what to print or save.
 */

/** What `check` takes: the variant and parameters, then any search option. */
export interface CheckOptions extends Partial<Omit<SearchOptions, 'onProgress' | 'monitor'>> {
  readonly variant?: string | null;
  readonly params?: Params;
  readonly onProgress?: SearchOptions['onProgress'];
}

/** A search result, with the counterexample as a trace when there is one. */
export type CheckResult = Omit<SearchResult, 'violation'> & {
  readonly violation: (NonNullable<SearchResult['violation']> & { readonly trace: TraceFile }) | null;
  readonly model: string;
  readonly variant: string | null;
  readonly params: Params;
};

/**
 * Explore every interleaving of one instance of the model: safety, deadlock
 * and (for models with progress) livelock checks, with any reduction and
 * store of the search options. Coded errors (`McError`) for a bad model or
 * options; never a partial answer without `verdict: 'incomplete'`.
 */
export function check(model: Model, options: CheckOptions = {}): CheckResult {
  const { variant = null, params = {}, ...searchOptions } = options;
  const built = buildModel(model, variant, params);
  const r = search(built, searchOptions);
  const { runtime, store: _store, ...rest } = r;
  const violation = r.violation ? { ...r.violation, trace: buildTrace(runtime, r.violation, r.violation.kind === 'livelock' && r.fairness ? { fairness: r.fairness } : {}) } : null;
  return { ...rest, violation, model: built.name, variant: built.variant, params: built.params };
}

/** Re-execute a trace on the model (or on another variant of it: the fix), checking every recorded field. */
export function replay(trace: TraceFile, model: Model, options: { variant?: string | null } = {}): ReplayOutcome {
  return replayTrace(trace, model, options.variant);
}

/**
 * Among the shortest counterexamples for the trace's property, one with the
 * fewest context switches. The trace must reproduce on the model; null when
 * it does not.
 */
export function minimize(trace: TraceFile, model: Model): { trace: TraceFile; stats: MinimizeStats } | null {
  if (replayTrace(trace, model).status !== 'reproduced') return null;
  const rt = new Runtime(buildModel(model, trace.variant, trace.params as Params));
  const extra = { ...(trace.modelFile ? { modelFile: trace.modelFile } : {}), ...(trace.fairness ? { fairness: trace.fairness } : {}) };
  return minimizedTrace(rt, violationOfTrace(rt, trace), extra);
}

/** Read and validate a trace file (coded MC4xx errors naming the JSON path at fault); a relative path is resolved against `cwd`. */
export function readTrace(file: string, options: { cwd?: string } = {}): TraceFile {
  const r = readDataFile(options.cwd === undefined ? file : resolve(options.cwd, file));
  if ('error' in r) throw new McError('MC404', `cannot read trace ${q(file)}: ${r.error}`);
  return parseTrace(r.text, file);
}

/** Write a trace file atomically (a temporary file in the same folder, flushed and renamed into place). */
export function writeTrace(file: string, trace: TraceFile): void {
  writeFileAtomic(file, JSON.stringify(trace, null, 2) + '\n');
}

/** For a deadlock or livelock trace on `model`: each blocked thread, the guards it waits on with the values they read, the thread holding the lock it needs, and the wait-for cycle (null for other kinds). */
export function blockedThreads(trace: TraceFile, model: Model): BlockedReport | null {
  return explainTrace(model, trace);
}

export type RenderFormat = 'text' | 'markdown' | 'html' | 'itf';

/** What `render` takes besides the trace. */
export interface RenderOptions {
  /**
   * The model the trace was made on: each step is then shown with its `doc`
   * (what it stands for, e.g. the kernel function), looked up by thread and
   * step name in the model built for the trace's variant and parameters.
   */
  readonly model?: Model;
}

/** A trace for people (an interleaving table, a swimlane page) or for other tools (ITF JSON). */
export function render(trace: TraceFile, format: RenderFormat = 'text', options: RenderOptions = {}): string {
  const docs = format === 'itf' ? undefined : traceDocsOf(trace, options.model);
  switch (format) {
    case 'text':
      return renderText(trace, { docs });
    case 'markdown':
      return renderMarkdown(trace, { docs });
    case 'html':
      return renderHtml(trace, { docs });
    case 'itf':
      return renderItf(trace);
    default:
      throw new McError('MC341', `render(): unknown format ${q(String(format))} (text, markdown, html, itf)`);
  }
}
