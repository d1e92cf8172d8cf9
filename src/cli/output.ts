import { dirname, join, relative, resolve } from 'node:path';
import type { Model } from '../model/define.ts';
import type { FoundViolation, IncompleteReason } from '../search/types.ts';
import type { SupervisedMinimize } from '../run/supervise.ts';
import { traceFileName } from '../trace/build.ts';
import type { TraceFile } from '../trace/format.ts';
import type { MinimizeStats } from '../trace/minimize.ts';
import { McError, clip, isMcError, q } from '../model/errors.ts';
import { replay } from '../trace/replay.ts';
import { refuseOutputOverInput, writeFileAtomic } from '../run/write.ts';
import { count, n, printError, shqPath, type Io } from './common.ts';
import type { MemoryCeiling } from '../run/memory-ceiling.ts';
import type { TraceStop, TraceTask } from '../run/trace-job.ts';

/** Why a search thread had to be ended in `phase`: the same words wherever a stopped search is reported. */
export const endedInStep = (phase: string): string => `did not stop by itself in time and was ended during ${phase}: a step (guard or effect) may not return, or allocates without bound`;

/** What check, simulate, swarm and minimize print and save for a violation, in one place. */

/** The `violation` object of the JSON result. */
export function violationJson(v: FoundViolation, tracePath: string | null) {
  return {
    kind: v.kind,
    property: v.property,
    length: v.steps.length,
    ...(v.cycleStart !== undefined ? { cycleStart: v.cycleStart } : {}),
    ...(v.starving ? { starving: v.starving } : {}),
    trace: tracePath,
  };
}

/**
 * A counterexample is saved only if it replays on the model it came from:
 * a step whose guard or effect depends on something besides the state
 * (randomness, time, closure state) gives a trace that says something other
 * than what the search saw. Such a trace is never written; the model is
 * reported instead (MC161, exit 2), naming the first step that differs.
 */
export function checkReplays(trace: TraceFile, model: Model): void {
  const r = replay(trace, model);
  if (r.status !== 'reproduced')
    throw new McError('MC161', `model ${q(trace.model)}: the model is not deterministic: its counterexample does not replay: ${r.verdict}`);
}

/** Where a trace went: its path as given, or the coded error that kept it from being written. */
export type SavedTrace = { path: string; error: null } | { path: null; error: { code: string; message: string } };

/**
 * Write a trace to `out` (or traces/<name>, by default the trace's own
 * name: traceFileName) relative to the working
 * directory, atomically; a model file is recorded relative to the trace (for
 * the command replay prints, never to load it from there). A failed write is
 * returned as its coded error (the caller has already printed the
 * counterexample, which is not lost), not thrown.
 */
export function writeTrace(trace: TraceFile, cwd: string, out: string | undefined, model: Model, inputs: readonly { path: string; what: string }[] = [], name = traceFileName(trace)): SavedTrace {
  const path = out ?? join('traces', name);
  const abs = resolve(cwd, path);
  if (model.source) trace.modelFile = relative(dirname(abs), model.source);
  try {
    refuseOutputOverInput(path, [...(model.source ? [{ path: model.source, what: 'model file' }] : []), ...inputs], cwd, out === undefined ? 'the trace file' : '--trace-out');
    writeFileAtomic(path, JSON.stringify(trace, null, 2) + '\n', { cwd, kind: 'trace' });
  } catch (e) {
    if (isMcError(e)) return { path: null, error: { code: e.code, message: e.message } };
    throw e;
  }
  return { path, error: null };
}

/** After the counterexample: where the trace went and the commands that replay and show it, or the write error on stderr. */
export function reportSaved(io: Io, saved: SavedTrace, model: Model): void {
  if (saved.error) printError(io, saved.error);
  else io.out(savedLines(saved.path, modelArg(model, io.cwd)));
}

/** `--model <file>` for the printed commands when the model is a file (a trace never loads it by itself); none for a built-in model. */
export function modelArg(model: Pick<Model, 'source'>, cwd: string): string {
  return model.source ? ` --model ${shqPath(relative(cwd, model.source) || model.source)}` : '';
}

/** Where the trace went, and the commands that replay and show it. */
export function savedLines(tracePath: string, modelFlag = ''): string {
  const html = tracePath.replace(/\.json$/, '') + '.html';
  return `trace saved: ${tracePath}\n  replay: mmcheck replay ${shqPath(tracePath)}${modelFlag}\n  show:   mmcheck show ${shqPath(tracePath)}${modelFlag} --format html -o ${shqPath(html)}\n`;
}

/** A minimisation stopped before it ended (a signal, the time or memory limit): why, and how far its search got (the `minimizeStopped` object of the JSON results). */
export interface MinimizeStop {
  readonly reason: IncompleteReason;
  readonly signal: string | null;
  /** Its thread did not reach a poll in time and was ended: the counts are the last it published. */
  readonly forced: boolean;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly seconds: number;
}

export function minimizeStop(m: SupervisedMinimize): MinimizeStop {
  const stop = m.stop!;
  const reached = m.reached ?? { states: 0, transitions: 0, depth: 0 };
  return { reason: stop.reason, signal: stop.signal, forced: stop.forced, ...reached, seconds: Math.round(m.seconds * 1000) / 1000 };
}

/** How far a stopped minimisation got, for a counterexample of `length` steps: `interrupted by SIGINT after 1,234 states (depth 9 of at most 16)`. */
export function minimizeStopText(s: MinimizeStop, length: number): string {
  const why = s.reason === 'interrupted' ? `interrupted by ${s.signal ?? 'a signal'}` : `stopped at the ${s.reason === 'time-limit' ? 'time limit (--time-limit)' : s.reason === 'memory-limit' ? 'memory limit' : 'state limit'}`;
  return `${why} after ${count(s.states, 'state')} (depth ${s.depth} of at most ${length})${s.forced ? `; it ${endedInStep('minimisation')}` : ''}`;
}

/** The limits a job on a trace ran under, for what stopped it. */
export interface StopLimits {
  readonly timeLimit: number;
  readonly memory: MemoryCeiling;
  /** The least time the job got, when a smaller `--time-limit` is meant for other work (`minimize`'s search). */
  readonly least?: number;
}

/** What a job on a trace was doing (`TraceTask`). */
function taskText(task: TraceTask): string {
  const on = task.variant !== undefined && task.variant !== null ? ` on variant ${q(task.variant)}` : '';
  switch (task.task) {
    case 'replay':
      return `replaying the trace${on}`;
    case 'explain':
      return `re-executing the trace${on} to explain the blocked threads`;
    case 'docs':
      return `building the model${on} for the steps' docs and declared locks`;
    case 'build':
      return `building the model the members ran${on}`;
    case 'member':
      return `replaying member ${task.member}'s counterexample${on}`;
  }
}

/**
 * Where a job on a trace stopped, and why, for a command's line: `interrupted
 * by SIGINT at trace step 2 of 5 (a: spin), replaying the trace`; a part that
 * did not return in time (the thread was ended) is named as such, the step
 * with its thread and name. `steps`: the steps of the trace it re-executed.
 */
export function traceStopText(s: TraceStop, steps: readonly { readonly thread: string; readonly step: string }[], limits: StopLimits): string {
  const why =
    s.reason === 'interrupted'
      ? `interrupted by ${s.signal ?? 'a signal'}`
      : s.reason === 'time-limit'
        ? `stopped at the time limit (--time-limit ${limits.timeLimit} s${limits.least !== undefined && limits.timeLimit < limits.least ? `, at least ${limits.least} s for the check of the trace` : ''})`
        : `stopped at the memory limit (${n(limits.memory.mb)} MB of resident memory, ${limits.memory.given ? '--memory-limit' : 'the default ceiling'})`;
  const ts = s.index >= 0 ? steps[s.index] : undefined;
  const step = `trace step ${n(s.index + 1)} of ${n(steps.length)}${ts ? ` (${clip(ts.thread)}: ${clip(ts.step)})` : ''}`;
  const doing = s.task ? taskText(s.task) : null;
  const part = s.at === 'step' ? step : s.at === 'build' ? 'building the model' : s.at === 'judge' ? (s.task?.task === 'explain' ? 'judging which threads are blocked' : 'judging the property in the final state') : null;
  if (!s.forced) return `${why} ${s.at === 'step' ? `at ${step}` : part ? `while ${part}` : 'before it began'}${doing ? `, ${doing}` : ''}`;
  if (part === null) return `${why} before it began${doing ? ` ${doing}` : ''}: the thread that was to run it did not get there in time, and was ended`;
  const culprit =
    s.at === 'step'
      ? "the step's guard or effect may not return, or allocates without bound"
      : s.at === 'build'
        ? 'a function of the parameters the build calls (threads, shared, invariants, ...) or the initial state may not return'
        : 'an invariant, guard or choose evaluated in the final state may not return';
  return `${why}: ${part} did not return${doing ? `, ${doing}` : ''}, and the thread running it was ended (${culprit})`;
}

/** A stopped job on a trace, as the JSON results give it (`replayStopped`). */
export function traceStopJson(s: TraceStop, steps: readonly { readonly thread: string; readonly step: string }[]) {
  const ts = s.at === 'step' && s.index >= 0 ? steps[s.index] : undefined;
  return {
    reason: s.reason,
    signal: s.signal,
    forced: s.forced,
    task: s.task?.task ?? null,
    ...(s.task?.variant !== undefined ? { variant: s.task.variant } : {}),
    at: s.at,
    index: s.index,
    ...(ts ? { thread: ts.thread, step: ts.step } : {}),
    steps: steps.length,
    seconds: s.seconds,
  };
}

export function minimizedLine(m: MinimizeStats): string {
  const steps = (k: number) => `${k} step${k === 1 ? '' : 's'}`;
  const sw = (k: number) => `${k} context switch${k === 1 ? '' : 'es'}`;
  const claim = m.lasso ? 'the same cycle, reached by a shortest stem and rotated for the fewest switches; another cycle may need fewer' : `the fewest of any ${m.lengthAfter}-step counterexample`;
  return `minimized: ${steps(m.lengthBefore)}, ${sw(m.switchesBefore)} → ${steps(m.lengthAfter)}, ${sw(m.switchesAfter)} (${claim})`;
}
