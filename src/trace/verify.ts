import type { Model } from '../model/define.ts';
import { McError, q } from '../model/errors.ts';
import { checkTraceData } from './consistency.ts';
import type { TraceFile } from './format.ts';
import type { ReplayWatch } from './watch.ts';
import { editedTraceError, ReexecutionError, replay, type ReplayOutcome } from './replay.ts';

/**
 * What a renderer may claim about a trace before showing it. `show` renders
 * only data that were verified, as far as they can be:
 *
 * - with the model (loaded as replay loads it), the trace is replayed on its
 *   own variant: a reproduction verifies every field against re-execution;
 * - a trace that contradicts itself (a change, label or state that does not
 *   hash to the recorded state hash) is refused with MC406, model or not;
 * - so is a trace that does not reproduce on an unchanged model (same model
 *   hash: the same model, variant and parameters): a field that differs from
 *   re-execution, a step or choice that is not there, a property that holds;
 *   its data were edited (or code the model calls outside its functions
 *   changed, which the hash does not cover);
 * - a trace given another model than the one it was made on is refused
 *   (MC421), as replay refuses it;
 * - without the model, or when the model has changed so that the trace no
 *   longer replays, the trace is shown as recorded, with a note saying it was
 *   checked only against its own state hashes.
 */
export interface TraceVerification {
  /** `replayed`: every field matches re-execution; `self-consistent`: only the trace's own hashes were checked. */
  level: 'replayed' | 'self-consistent';
  /** A line for the reader when the data could not be re-executed; null when they were. */
  note: string | null;
  replay: ReplayOutcome | null;
}

/** `watch` is told where the re-execution is (`ReplayWatch`). */
export function verifyTrace(trace: TraceFile, model: Model | null, unavailable = 'the model was not given', watch?: ReplayWatch): TraceVerification {
  const f = checkTraceData(trace);
  if (f) throw new McError('MC406', `trace data contradict each other at ${f.field}${f.index >= 0 ? ` (step ${f.index + 1})` : ''}: ${f.message}`);
  const unchecked = (why: string): TraceVerification => ({
    level: 'self-consistent',
    note: `not re-executed: ${why}; the recorded changes agree with the recorded state hashes, nothing more was checked`,
    replay: null,
  });
  if (!model) return unchecked(unavailable);
  let r: ReplayOutcome;
  try {
    r = replay(trace, model, undefined, watch);
  } catch (e) {
    // The model no longer builds with the trace's parameters (a changed model): nothing was re-executed. Another model than the trace's is refused.
    // One that fails while a step is re-executed (the model's code changed since) is said so: the model did build.
    if (e instanceof ReexecutionError) return unchecked(`the model as it is now fails on it (${e.code}: ${e.message})`);
    if (e instanceof McError && e.code !== 'MC421') return unchecked(`the model does not build for it (${e.code}: ${e.message})`);
    throw e;
  }
  // On a model that no longer has the trace's variant only the schedule was replayed: the recorded states were not checked.
  if (r.variant !== r.traceVariant)
    return {
      level: 'self-consistent',
      note: `replayed as a schedule only: ${r.traceVariant === null ? `the trace was made on the model without variants, and it has variants now (replayed on ${q(r.variant)})` : `the model has no variant ${q(r.traceVariant)} any more`} (${r.status === 'reproduced' ? `it reproduces: ${r.verdict}` : r.verdict}); the recorded changes agree with the recorded state hashes, and were not checked against re-execution`,
      replay: r,
    };
  if (r.status === 'reproduced') return { level: 'replayed', note: null, replay: r };
  const edited = editedTraceError(r);
  if (edited) throw edited;
  return { ...unchecked(`it does not reproduce on the current model (${r.verdict})`), replay: r };
}
