import type { Scalar } from '../model/domains.ts';
import type { TraceFile } from '../trace/format.ts';

/**
 * A counterexample in the Informal Trace Format (ITF), the JSON trace format
 * that Apalache writes and Quint reads and replays.
 *
 * Mapping. A trace's valuation is flat (`pte`, `parked[1]`, `T[0].fref`,
 * `T[0].at`); ITF wants one value per variable:
 *  - a shared scalar is a variable of the same name;
 *  - a shared array `a[0]..a[n-1]` is a variable `a` holding a list;
 *  - a thread `T[0]` is a variable `T[0]` holding a record of its locals and
 *    its label (`at`); if a thread's name is also a shared variable's, the
 *    thread's variable is named `thread:T[0]`.
 * Integers are `{"#bigint": "n"}`, booleans and enumeration values plain JSON.
 * Each state's `#meta` names the step that led to it (thread, step, choice).
 * A lasso's last state equals the state at `cycleStart` and is left out; the
 * top-level `loop` is the index the last state loops back to, so that
 * `states[loop..]` is the cycle, as ITF defines it.
 */

type ItfValue = boolean | string | { '#bigint': string } | ItfValue[] | { [k: string]: ItfValue };

export interface ItfTrace {
  '#meta': Record<string, unknown>;
  vars: string[];
  states: Record<string, ItfValue>[];
  loop?: number;
}

const ELEM = /^(.*)\[(\d+)\]$/;

function value(x: Scalar): ItfValue {
  return typeof x === 'number' ? { '#bigint': String(x) } : x;
}

export function toItf(t: TraceFile): ItfTrace {
  const threads = new Set(t.threads);
  // Classify every key of the valuation once: [variable, index or field].
  type Place = { v: string; kind: 'scalar' } | { v: string; kind: 'elem'; i: number } | { v: string; kind: 'field'; f: string };
  const places = new Map<string, Place>();
  const sharedNames = new Set<string>();
  const threadKeys: string[] = [];
  for (const k of Object.keys(t.initial)) {
    const dot = k.lastIndexOf('.');
    if (dot > 0 && threads.has(k.slice(0, dot))) {
      threadKeys.push(k);
      continue;
    }
    const m = ELEM.exec(k);
    if (m) {
      places.set(k, { v: m[1]!, kind: 'elem', i: Number(m[2]) });
      sharedNames.add(m[1]!);
    } else {
      places.set(k, { v: k, kind: 'scalar' });
      sharedNames.add(k);
    }
  }
  const threadVar = (name: string) => (sharedNames.has(name) ? `thread:${name}` : name);
  for (const k of threadKeys) {
    const dot = k.lastIndexOf('.');
    places.set(k, { v: threadVar(k.slice(0, dot)), kind: 'field', f: k.slice(dot + 1) });
  }
  const vars = [...new Set([...places.values()].map((p) => p.v))];

  const current = new Map<string, Scalar>(Object.entries(t.initial));
  const snapshot = (meta: Record<string, unknown>): Record<string, ItfValue> => {
    const st: Record<string, ItfValue> = { '#meta': meta as unknown as ItfValue };
    for (const [k, x] of current) {
      const p = places.get(k)!;
      if (p.kind === 'scalar') st[p.v] = value(x);
      else if (p.kind === 'elem') ((st[p.v] ??= []) as ItfValue[])[p.i] = value(x);
      else ((st[p.v] ??= {}) as Record<string, ItfValue>)[p.f] = value(x);
    }
    return st;
  };

  const states = [snapshot({ index: 0 })];
  const lasso = t.property.kind === 'livelock' && t.cycleStart !== undefined;
  const last = t.steps.length - 1;
  for (let i = 0; i <= last; i++) {
    const s = t.steps[i]!;
    if (s.fails !== undefined) break; // a failing assertion step leads to no state
    for (const [k, x] of Object.entries(s.changes)) current.set(k, x);
    current.set(`${s.thread}.at`, s.to);
    if (lasso && i === last) break; // equal to the state at cycleStart
    states.push(snapshot({ index: i + 1, thread: s.thread, step: s.step, choice: s.choice }));
  }
  const failing = t.steps[last]?.fails !== undefined ? t.steps[last]! : null;
  const meta: Record<string, unknown> = {
    format: 'ITF',
    source: t.modelFile ?? t.model,
    description: `mmcheck counterexample: ${t.property.kind}${t.property.name !== t.property.kind ? ` (${t.property.name})` : ''} in model ${t.model}${t.variant ? ` variant ${t.variant}` : ''}`,
    model: t.model,
    variant: t.variant,
    params: t.params,
    property: t.property,
    ...(failing ? { failingStep: { thread: failing.thread, step: failing.step, choice: failing.choice, assertion: failing.fails } } : {}),
    'generated-by': t.createdBy ?? 'mmcheck',
  };
  return { '#meta': meta, vars, states, ...(lasso ? { loop: t.cycleStart! } : {}) };
}

export function renderItf(t: TraceFile): string {
  return JSON.stringify(toItf(t), null, 2) + '\n';
}
