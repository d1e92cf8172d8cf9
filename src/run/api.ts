import { resolve } from 'node:path';
import { buildModel } from '../model/build.ts';
import { isModel, type Model, type Params } from '../model/define.ts';
import { McError, q } from '../model/errors.ts';
import { Runtime } from '../exec/runtime.ts';
import { search } from '../search/check.ts';
import type { SearchOptions, SearchResult } from '../search/types.ts';
import { buildTrace } from '../trace/build.ts';
import { withErrorPath } from '../trace/error-path.ts';
import { parseTrace, type TraceFile } from '../trace/format.ts';
import { minimizedTrace, violationOfTrace, type MinimizeStats } from '../trace/minimize.ts';
import { checkedReplay, type ReplayOutcome } from '../trace/replay.ts';
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

/** MC141 unless `model` is what defineModel returned (a JavaScript caller may pass anything). */
function requireModel(model: unknown, fn: string): void {
  if (!isModel(model)) throw new McError('MC141', `${fn}(): the model must be what defineModel({...}) returns (the default export of a model file), got ${q(model)}`);
}

/** The values each option of `check` takes; anything else, and any other key, is MC340 (a JavaScript caller's typo would otherwise be dropped, or searched with). */
const OPTION_VALUES: Readonly<Record<string, (v: unknown) => string | null>> = (() => {
  const oneOf = (...xs: string[]) => (v: unknown) => (xs.includes(v as string) ? null : `one of ${xs.map((x) => q(x)).join(', ')}`);
  const bool = (v: unknown) => (typeof v === 'boolean' ? null : 'true or false');
  const num = (min: number, max = Infinity, integer = false) => (v: unknown) =>
    typeof v === 'number' && v >= min && v <= max && (!integer || Number.isInteger(v) || v === Infinity) ? null : `a${integer ? 'n integer' : ' number'} from ${min}${max === Infinity ? '' : ` to ${max}`}`;
  return {
    variant: (v) => (v === null || typeof v === 'string' ? null : 'a variant name or null'),
    params: (v) => (typeof v === 'object' && v !== null && !Array.isArray(v) ? null : 'an object of parameter values'),
    strategy: oneOf('bfs', 'dfs'),
    store: oneOf('exact', 'hash-compact', 'bitstate'),
    fairness: oneOf('none', 'weak', 'strong'),
    por: bool,
    symmetry: bool,
    deadVars: bool,
    stackProviso: bool,
    liveness: bool,
    edgeCache: bool,
    deadlock: (v) => (v === null || typeof v === 'boolean' ? null : 'true, false or null (as the model says)'),
    bitstateBits: num(10, 36, true),
    bitstateHashes: num(1, 16, true),
    maxStates: num(1, Infinity, true),
    timeLimit: num(0),
    memoryLimitMB: num(1),
    // The API searches in the calling thread; the command line's --workers runs helper threads.
    workers: (v) => (v === 1 ? null : '1 (the API searches in the calling thread; mmcheck check --workers N searches with N threads)'),
    onProgress: (v) => (v === null || typeof v === 'function' ? null : 'a function or null'),
  };
})();

function checkApiOptions(options: unknown): void {
  if (typeof options !== 'object' || options === null) throw new McError('MC340', `check(): the options must be an object, got ${q(options)}`);
  for (const [k, v] of Object.entries(options)) {
    const want = Object.hasOwn(OPTION_VALUES, k) ? OPTION_VALUES[k]! : null;
    if (want === null) throw new McError('MC340', `check(): unknown option ${q(k)} (options: ${Object.keys(OPTION_VALUES).join(', ')})`);
    if (v === undefined) continue;
    const why = want(v);
    if (why !== null) throw new McError('MC340', `check(): option ${k} must be ${why}, got ${q(v)}`);
  }
}

/**
 * Explore every interleaving of one instance of the model: safety, deadlock
 * and (for models with progress) livelock checks, with any reduction and
 * store of the search options. Coded errors (`McError`) for a bad model or
 * options; never a partial answer without `verdict: 'incomplete'`.
 */
export function check(model: Model, options: CheckOptions = {}): CheckResult {
  requireModel(model, 'check');
  checkApiOptions(options);
  const { variant = null, params = {}, ...searchOptions } = options;
  const built = buildModel(model, variant, params);
  const t0 = performance.now();
  let r: ReturnType<typeof search>;
  try {
    r = search(built, searchOptions);
  } catch (e) {
    // A model error in some state: the first such state, and the path to it, as `error.path` (src/trace/error-path.ts).
    throw withErrorPath(built, searchOptions, e, t0);
  }
  const { runtime, store: _store, ...rest } = r;
  const violation = r.violation ? { ...r.violation, trace: buildTrace(runtime, r.violation, r.violation.kind === 'livelock' && r.fairness ? { fairness: r.fairness } : {}) } : null;
  return { ...rest, violation, model: built.name, variant: built.variant, params: built.params };
}

/** Re-execute a trace on the model (or on another variant of it: the fix), checking every recorded field. A trace that does not reproduce on its own variant of the unchanged model (the same model hash) was edited: MC406 is thrown, also when it is replayed on another variant. */
export function replay(trace: TraceFile, model: Model, options: { variant?: string | null } = {}): ReplayOutcome {
  requireModel(model, 'replay');
  return checkedReplay(trace, model, options.variant);
}

/**
 * Among the shortest counterexamples for the trace's property, one with the
 * fewest context switches. The trace must reproduce on the model; null when
 * it does not.
 */
export function minimize(trace: TraceFile, model: Model): { trace: TraceFile; stats: MinimizeStats } | null {
  requireModel(model, 'minimize');
  const r = checkedReplay(trace, model);
  if (r.status !== 'reproduced') return null;
  // The variant replayed on: the trace's, or none when the model has no variants any more.
  const rt = new Runtime(buildModel(model, r.variant, trace.params as Params));
  const extra = { ...(trace.modelFile ? { modelFile: trace.modelFile } : {}), ...(trace.fairness ? { fairness: trace.fairness } : {}) };
  return minimizedTrace(rt, violationOfTrace(rt, trace), extra);
}

/** Read and validate a trace file (coded MC4xx errors naming the JSON path at fault); a relative path is resolved against `cwd`. */
export function readTrace(file: string, options: { cwd?: string } = {}): TraceFile {
  const r = readDataFile(options.cwd === undefined ? file : resolve(options.cwd, file));
  if ('error' in r) throw new McError('MC404', `cannot read trace ${q(file)}: ${r.error}`);
  return parseTrace(r.text, file);
}

/** Write a trace file atomically (a temporary file in the same folder, flushed and renamed into place); an existing file is replaced only if it is a trace (MC346 otherwise). */
export function writeTrace(file: string, trace: TraceFile): void {
  writeFileAtomic(file, JSON.stringify(trace, null, 2) + '\n', { kind: 'trace' });
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
