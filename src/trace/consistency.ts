import type { Scalar } from '../model/domains.ts';
import { clip, q } from '../model/errors.ts';
import { digest } from '../layout/hash.ts';
import type { TraceFile } from './format.ts';

/**
 * Whether a trace agrees with itself, without the model: the state after
 * each step is `initial` updated by the recorded `changes` and `to` labels,
 * and its hash must be the recorded `stateHash`. This is what `show` can
 * vouch for when it renders a trace without re-executing it, and the first
 * thing replay checks (so even a replay against another variant, where the
 * states may rightly differ from the trace's, never trusts edited data).
 *
 * It finds any edit of a recorded value that leaves the hashes alone: a
 * change, a `from` or `to` label, a thread name, the initial state, a step
 * removed or moved. It cannot find an edit that recomputes every hash after
 * it, nor a wrong step or choice name: only re-execution (replay) can.
 */
export interface TraceDataFault {
  /** 0-based step index, or -1 for a top-level field. */
  index: number;
  /** JSON path of the field, `$.steps[3].changes`. */
  field: string;
  /** The value the trace records there, and the value its other fields imply. */
  recorded: unknown;
  expected: unknown;
  message: string;
}

/** The state hash of docs/trace-format.md over a fixed, already sorted key order. */
function hashInOrder(keys: readonly string[], val: Record<string, Scalar>): string {
  let s = '';
  for (let i = 0; i < keys.length; i++) {
    if (i) s += ';';
    s += `${keys[i]}=${JSON.stringify(val[keys[i]!])}`;
  }
  return digest(s);
}

/** The first field where the trace contradicts itself, or null when it is consistent. */
export function checkTraceData(t: TraceFile): TraceDataFault | null {
  const fault = (index: number, field: string, recorded: unknown, expected: unknown, why: string, message?: string): TraceDataFault => ({
    index,
    field,
    recorded,
    expected,
    message: message ?? `the trace records ${q(recorded)}, but ${why} ${q(expected)}`,
  });
  const keys = Object.keys(t.initial).sort();
  const threads = new Set(t.threads);
  if (threads.size !== t.threads.length) return fault(-1, '$.threads', t.threads, [...threads], 'thread names are unique:');
  for (const th of t.threads)
    if (typeof t.initial[`${th}.at`] !== 'string') return fault(-1, `$.initial[${q(`${th}.at`)}]`, t.initial[`${th}.at`], 'a label', `thread ${q(th)} is listed, so the initial state needs its label:`);
  const initialHash = hashInOrder(keys, t.initial);
  if (initialHash !== t.initialHash) return fault(-1, '$.initialHash', t.initialHash, initialHash, 'the recorded initial state hashes to');
  const val: Record<string, Scalar> = { ...t.initial };
  // The hash of the state before each step, and after the last: for the cycle.
  const hashes: string[] = [initialHash];
  for (let i = 0; i < t.steps.length; i++) {
    const s = t.steps[i]!;
    const at = `$.steps[${i}]`;
    if (!threads.has(s.thread)) return fault(i, `${at}.thread`, s.thread, t.threads, 'the trace lists its threads as');
    const labelKey = `${s.thread}.at`;
    if (s.from !== val[labelKey]) return fault(i, `${at}.from`, s.from, val[labelKey], `${clip(s.thread)} is at`);
    for (const k of Object.keys(s.changes)) {
      if (!Object.hasOwn(val, k) || k.endsWith('.at')) return fault(i, `${at}.changes`, k, keys.filter((x) => !x.endsWith('.at')), 'changes name variables of the initial state (labels go in `to`):');
      if (s.changes[k] === val[k]) {
        const field = `${at}.changes[${q(k)}]`;
        return fault(i, field, s.changes[k], val[k], '', `the trace records ${q(s.changes[k])}, the value ${clip(k)} already holds before the step (a change records a new value)`);
      }
    }
    if (s.fails !== undefined) {
      if (Object.keys(s.changes).length) return fault(i, `${at}.changes`, s.changes, {}, 'a failing step has no resulting state, so its changes are');
      if (s.to !== s.from) return fault(i, `${at}.to`, s.to, s.from, 'a failing step stays where it is:');
      if (s.progress) return fault(i, `${at}.progress`, s.progress, undefined, 'a failing step has no resulting state, so progress is');
      continue;
    }
    for (const k of Object.keys(s.changes)) val[k] = s.changes[k]!;
    val[labelKey] = s.to;
    const h = hashInOrder(keys, val);
    if (h !== s.stateHash) return fault(i, `${at}.stateHash`, s.stateHash, h, 'the state from the recorded changes hashes to');
    hashes.push(h);
  }
  if (t.cycleStart !== undefined) {
    const last = hashes[hashes.length - 1]!;
    if (hashes[t.cycleStart] !== last) {
      const closes = hashes.findIndex((h, i) => h === last && i < hashes.length - 1);
      return fault(-1, '$.cycleStart', t.cycleStart, closes < 0 ? null : closes, '', `the trace records ${t.cycleStart}, but the state after the last step is ${closes < 0 ? 'no earlier state' : `the state before step index ${closes}`} (a lasso's last step returns to the state before step index cycleStart)`);
    }
  }
  return null;
}
