import type { Runtime } from '../exec/runtime.ts';
import type { FoundViolation } from '../search/types.ts';
import { applyStep } from '../exec/step.ts';
import { decodeState, diff, modelHash, valuationHash } from './decode.ts';
import { digest } from '../layout/hash.ts';
import { TRACE_FORMAT, type TraceFile, type TraceStep } from './format.ts';
import { VERSION } from '../model/version.ts';
import { CONFIRM_TIMES, notDeterministic, stepName } from '../exec/determinism.ts';
import { invariantFails } from '../layout/views.ts';
import { McError, q } from '../model/errors.ts';
import { MAX_NAME } from '../model/define.ts';

/**
 * Turn a found violation into a trace file, re-executing its steps to record
 * changes and hashes. The re-execution must show the violation the search
 * found (the failing assertion, the invariant false at the end, no step
 * enabled, the cycle closing); when it does not, the model's steps are not
 * functions of the state (MC160) and no trace is made that would not replay.
 */
export function buildTrace(rt: Runtime, v: FoundViolation, extra: { modelFile?: string; fairness?: string } = {}): TraceFile {
  return assemble(rt, v, extra, true);
}

/**
 * The steps of a path, recorded as a trace records them (changes, labels,
 * hashes), with no violation at its end to confirm: the path to the state a
 * model error happened in (error-path.ts). Its property is a placeholder,
 * and it is never saved.
 */
export function pathTrace(rt: Runtime, steps: FoundViolation['steps']): TraceFile {
  return assemble(rt, { kind: 'deadlock', property: 'deadlock', steps }, {}, false);
}

function assemble(rt: Runtime, v: FoundViolation, extra: { modelFile?: string; fairness?: string }, confirm: boolean): TraceFile {
  const b = rt.model;
  let cur = rt.initial();
  const initial = decodeState(rt, cur);
  let prev = initial;
  const steps: TraceStep[] = [];
  const states: Uint32Array[] = [cur];
  let failed = false;
  for (const ps of v.steps) {
    const th = b.threads[ps.thread]!;
    const st = th.template.steps[ps.step]!;
    const from = th.template.labels[rt.label(cur, 0, ps.thread)]!;
    const r = applyStep(rt, cur, ps);
    if (r === null) throw notDeterministic(rt, `${stepName(rt, ps.thread, ps.step)} is not enabled when step ${steps.length + 1} of the counterexample is executed again`);
    const base: TraceStep = { thread: th.name, step: st.name, choice: ps.choice, from, to: from, changes: {} };
    if (st.choiceNames) base.choiceName = st.choiceNames[ps.choice];
    if ('fails' in r) {
      if (v.kind !== 'assertion' || steps.length !== v.steps.length - 1 || r.fails !== v.property)
        throw notDeterministic(rt, `${stepName(rt, ps.thread, ps.step)} fails assertion ${q(r.fails)} when step ${steps.length + 1} of the counterexample is executed again`);
      // The one name a trace records that the model builder cannot see: an assertion's, given when it fails.
      if (r.fails.length > MAX_NAME)
        throw new McError('MC180', `model ${q(b.name)}: ${stepName(rt, ps.thread, ps.step)} fails assertion ${q(r.fails)}, whose name is ${r.fails.length.toLocaleString('en-US')} characters long; a name a trace records has at most ${MAX_NAME.toLocaleString('en-US')}`);
      failed = true;
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
    states.push(cur);
  }
  if (confirm) confirmViolation(rt, v, cur, failed, states);
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

/**
 * A file name for a trace: model.variant.params.property.json, where the
 * property is an invariant's or assertion's name, `deadlock`, `livelock`
 * or `starvation`; a livelock or starvation under strong or no fairness
 * says so (`livelock-strong-fairness`), so that checks of one instance
 * under two fairness notions do not save to one file.
 */
export function traceFileName(t: TraceFile): string {
  const params = Object.entries(t.params)
    .map(([k, v]) => `${k}${v}`)
    .join('-');
  const fair = t.fairness === 'strong' ? '-strong-fairness' : t.fairness === 'none' ? '-no-fairness' : '';
  const property =
    t.property.kind === 'invariant' || t.property.kind === 'assertion' ? t.property.name : t.property.kind === 'livelock' ? `${t.property.name === 'starvation' ? 'starvation' : 'livelock'}${fair}` : t.property.kind;
  const slug = [t.model, t.variant, params || null, property]
    .filter((x) => x)
    .join('.')
    .replace(/[^A-Za-z0-9_.-]+/g, '_');
  // A name of up to 1,024 characters (MC180) or many parameters make a slug longer than a file name may be (255 bytes on
  // most file systems): the trace could never be saved. A long one keeps its start and a digest of the whole, which leaves
  // room for a mode and seed (`.swarm-seed<S>`) and `.json`.
  return `${slug.length > MAX_SLUG ? `${slug.slice(0, MAX_SLUG - 17)}-${digest(slug)}` : slug}.json`;
}

/** The longest slug traceFileName keeps whole (ASCII: characters are bytes). */
const MAX_SLUG = 180;

/** Throw MC160 unless the re-executed counterexample ends in the violation the search reported. */
function confirmViolation(rt: Runtime, v: FoundViolation, last: Uint32Array, failed: boolean, states: readonly Uint32Array[]): void {
  const at = `the end of the re-executed counterexample (${v.steps.length} steps)`;
  if (v.kind === 'assertion') {
    // `last` is the state the failing step starts from; a step that fails only sometimes must not make a trace.
    const f = v.steps[v.steps.length - 1];
    const fails = f !== undefined && rt.expandChecked(last, 0, f.thread, 0, CONFIRM_TIMES) < 0 && rt.failStep === f.step && rt.failChoice === f.choice;
    if (!failed || !fails) throw notDeterministic(rt, `assertion ${q(v.property)} does not fail at ${at}`);
  }
  if (v.kind === 'invariant') {
    const inv = rt.model.invariants.find((i) => i.name === v.property);
    if (inv === undefined || !invariantFails(inv.fn, rt.views(last.slice(), true).state)) throw notDeterministic(rt, `invariant ${q(v.property)} holds at ${at}`);
  }
  if (v.kind === 'deadlock' && (rt.expandChecked(last, 0, -1, 0, CONFIRM_TIMES) !== 0 || rt.allEnded(last, 0))) throw notDeterministic(rt, `there is no deadlock at ${at}`);
  if (v.kind === 'livelock' && v.cycleStart !== undefined) {
    const start = states[v.cycleStart];
    let closes = start !== undefined;
    for (let k = 0; closes && k < rt.words; k++) if (start![k] !== last[k]) closes = false;
    if (!closes) throw notDeterministic(rt, `the cycle from step ${v.cycleStart} does not close at ${at}`);
  }
}
