import type { Runtime } from '../exec/runtime.ts';
import type { FoundViolation } from '../search/types.ts';
import { applyStep } from '../exec/step.ts';
import { decodeState, diff, modelHash, valuationHash } from './decode.ts';
import { TRACE_FORMAT, type TraceFile, type TraceStep } from './format.ts';
import { VERSION } from '../model/version.ts';

/** Turn a found violation into a trace file, re-executing its steps to record changes and hashes. */
export function buildTrace(rt: Runtime, v: FoundViolation, extra: { modelFile?: string; fairness?: string } = {}): TraceFile {
  const b = rt.model;
  let cur = rt.initial();
  const initial = decodeState(rt, cur);
  let prev = initial;
  const steps: TraceStep[] = [];
  for (const ps of v.steps) {
    const th = b.threads[ps.thread]!;
    const st = th.template.steps[ps.step]!;
    const from = th.template.labels[rt.label(cur, 0, ps.thread)]!;
    const r = applyStep(rt, cur, ps);
    if (r === null) throw new Error(`internal: step ${th.name}.${st.name} is not enabled while building the trace`);
    const base: TraceStep = { thread: th.name, step: st.name, choice: ps.choice, from, to: from, changes: {} };
    if (st.choiceNames) base.choiceName = st.choiceNames[ps.choice];
    if ('fails' in r) {
      base.fails = r.fails;
      steps.push(base);
      break;
    }
    const now = decodeState(rt, r.next);
    base.to = th.template.labels[rt.label(r.next, 0, ps.thread)]!;
    base.changes = diff(prev, now);
    base.stateHash = valuationHash(now);
    if (r.progress) base.progress = true;
    steps.push(base);
    prev = now;
    cur = r.next;
  }
  const t: TraceFile = {
    format: TRACE_FORMAT,
    model: b.name,
    ...(extra.modelFile ? { modelFile: extra.modelFile } : {}),
    variant: b.variant,
    params: { ...b.params },
    modelHash: modelHash(rt),
    property: { kind: v.kind, name: v.property, ...(v.starving ? { starving: v.starving } : {}) },
    ...(extra.fairness ? { fairness: extra.fairness } : {}),
    threads: b.threads.map((t) => t.name),
    initial,
    initialHash: valuationHash(initial),
    steps,
    ...(v.cycleStart !== undefined ? { cycleStart: v.cycleStart } : {}),
    createdBy: `mmcheck ${VERSION}`,
  };
  return t;
}

/** A file name for a trace: model-variant-kind-property.json */
export function traceFileName(t: TraceFile): string {
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}${v}`)
    .join('-');
  const slug = [t.model, t.variant, params || null, t.property.kind === 'invariant' || t.property.kind === 'assertion' ? t.property.name : t.property.kind]
    .filter((x) => x)
    .join('.')
    .replace(/[^A-Za-z0-9_.-]+/g, '_');
  return `${slug}.json`;
}
