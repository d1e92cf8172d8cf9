import { buildModel } from '../model/build.ts';
import type { Model } from '../model/define.ts';
import { McError, clip, isMcError, pathKey, q } from '../model/errors.ts';
import { Runtime } from '../exec/runtime.ts';
import { stepName } from '../exec/determinism.ts';
import { judgeCycle } from '../exec/fairness.ts';
import type { Fairness } from '../model/define.ts';
import { fairAdjective } from '../model/fairness-text.ts';
import { invariantFails, isAssertionFailure, makeViewFactory } from '../layout/views.ts';
import { decodeState, diff, modelHash, valuationHash, type Valuation } from './decode.ts';
import { applyStep } from '../exec/step.ts';
import type { TraceFile } from './format.ts';
import { checkTraceData } from './consistency.ts';
import { oneLine } from './docs.ts';
import { leafFunctions } from '../model/blocks/compose.ts';
import { lockInstances } from '../model/blocks/block.ts';
import { guardText } from './blocked.ts';
import type { ReplayWatch } from './watch.ts';

/**
 * Replay re-executes a trace step by step against a model (the one it was
 * made on, or a changed variant) and checks that the violation holds at the
 * end.
 *
 * On the variant the trace was made on, every recorded field must be what
 * re-execution gives: the model name, parameters and threads, the initial
 * state, and per step the thread, step, choice (and its name), `from`, `to`,
 * `changes`, `stateHash`, `progress` and `fails`, then the property and the
 * cycle's start. The first field that differs stops the replay (reason
 * `field-differs`, naming the field's JSON path and both values), so a trace
 * whose data were edited never "reproduces".
 *
 * Against another variant (the fix) the states may rightly differ from the
 * trace's: the schedule (thread, step, choice) is what is replayed, and the
 * first state difference is a note. The trace must still agree with itself
 * (`checkTraceData`), so edited data are refused there too.
 */
export type ReplayStatus = 'reproduced' | 'no-longer-applies' | 'property-holds';

export interface ReplayStop {
  /** 0-based index into trace.steps; -1 for a top-level field. */
  index: number;
  thread: string;
  step: string;
  reason: 'thread-missing' | 'step-missing' | 'wrong-label' | 'guard-false' | 'choice-missing' | 'state-differs' | 'no-assertion' | 'field-differs' | 'data-inconsistent';
  message: string;
  /** What the step stands for (its `doc` in the model replayed on), when it has one. */
  doc?: string;
  /** For guard-false: the variables the guard read, with their values. */
  reads?: Valuation;
  /** For field-differs and data-inconsistent: the field's JSON path (`$.steps[2].changes["x"]`). */
  field?: string;
  /** The value the trace records there (undefined: absent). */
  recorded?: unknown;
  /** The value re-execution gives (data-inconsistent: the value the trace's other fields imply). */
  reexecuted?: unknown;
}

export interface ReplayOutcome {
  status: ReplayStatus;
  model: string;
  variant: string | null;
  traceVariant: string | null;
  params: Record<string, unknown>;
  property: TraceFile['property'];
  steps: number;
  replayed: number;
  stop: ReplayStop | null;
  /** Why the property does or does not hold at the end. */
  verdict: string;
  notes: string[];
}

const shown = (v: unknown) => (v === undefined ? 'nothing' : q(v));

/** The first key where two valuations differ: a key missing on one side reads as undefined. */
function firstDifference(recorded: Valuation, actual: Valuation): { key: string; recorded: unknown; actual: unknown } | null {
  // Own keys only: a recorded "constructor" or "toString" is not Object.prototype's.
  const at = (v: Valuation, k: string): unknown => (Object.hasOwn(v, k) ? v[k] : undefined);
  for (const k of Object.keys(recorded)) if (recorded[k] !== at(actual, k)) return { key: k, recorded: recorded[k], actual: at(actual, k) };
  for (const k of Object.keys(actual)) if (!Object.hasOwn(recorded, k)) return { key: k, recorded: undefined, actual: actual[k] };
  return null;
}

/** Each variable (label included) whose value differs between the trace's valuation and re-execution's, named with both values. */
function valuationDifferences(recorded: Valuation, actual: Valuation): string[] {
  const out: string[] = [];
  for (const k of Object.keys(recorded)) {
    if (!Object.hasOwn(actual, k)) out.push(`${k}: the trace has ${q(recorded[k])}, the model has no such variable`);
    else if (recorded[k] !== actual[k]) out.push(`${k}=${q(actual[k])} where the trace has ${q(recorded[k])}`);
  }
  for (const k of Object.keys(actual)) if (!Object.hasOwn(recorded, k)) out.push(`${k}=${q(actual[k])}, which the trace does not record`);
  return out;
}

/** A coded error the model's code raised while a step of the trace was re-executed (not while the model was built): `index` is the step's. */
export class ReexecutionError extends McError {
  constructor(code: string, message: string, readonly index: number) {
    super(code, message);
  }
}

/** The note of a replay on the trace's own variant whose model hash differs from the trace's (`verifyTrace` tells a changed model from edited data by it). */
export const MODEL_CHANGED = "the model has changed since the trace was made, or the trace's variant or parameters were edited (the model hash differs)";

export function replay(trace: TraceFile, model: Model, variantOverride?: string | null, watch?: ReplayWatch): ReplayOutcome {
  const out = reexecute(trace, model, variantOverride, watch);
  // Another variant replays the schedule only, so the recorded data must at least agree with themselves.
  // A step that no longer applies is the answer already; otherwise edited data must not pass for a reproduction.
  if (out.variant !== out.traceVariant && out.status !== 'no-longer-applies') {
    const f = checkTraceData(trace);
    if (f) {
      const ts = trace.steps[f.index];
      out.status = 'no-longer-applies';
      out.stop = { index: f.index, thread: ts?.thread ?? '', step: ts?.step ?? '', reason: 'data-inconsistent', message: `the trace contradicts itself at ${f.field}: ${f.message}`, field: f.field, recorded: f.recorded, reexecuted: f.expected };
      out.verdict = `the trace contradicts itself at ${f.field}${ts ? ` (step ${f.index + 1}, ${clip(ts.thread)}: ${clip(ts.step)})` : ''}: ${f.message}`;
    }
  }
  return out;
}

/**
 * `replay`, refusing an edited trace (MC406, `editedTraceError`): on
 * another variant (the fix) the trace is first replayed on its own, when the
 * model still builds it unchanged, so that edited data cannot pass for a fix
 * that works. What `mmcheck replay` and `minimize` and the API's `replay`
 * and `minimize` run. `watch` is told where the re-executions are.
 */
export function checkedReplay(trace: TraceFile, model: Model, variantOverride?: string | null, watch?: ReplayWatch): ReplayOutcome {
  const r = replay(trace, model, variantOverride, watch);
  if (r.variant !== r.traceVariant) {
    let own: ReplayOutcome | null = null;
    try {
      own = replay(trace, model, undefined, watch);
    } catch (e) {
      // The trace's own variant no longer builds (renamed, or a parameter taken out): the model changed, and nothing more can be told.
      if (!isMcError(e)) throw e;
    }
    const edited = own && editedTraceError(own);
    if (edited) throw edited;
  }
  const edited = editedTraceError(r);
  if (edited) throw edited;
  return r;
}

/**
 * MC406 for a replay on the trace's own variant of an unchanged model (the
 * same model hash) that does not reproduce, null otherwise: re-execution is
 * what made the trace, so it was edited (or code the model's functions call
 * outside its files changed), and saying its property "now holds" would pass
 * for a fix. The commands and the API refuse such a trace; a freshly built
 * trace that does not replay is the model's nondeterminism instead (MC161).
 */
export function editedTraceError(r: ReplayOutcome): McError | null {
  if (r.status === 'reproduced' || r.variant !== r.traceVariant || r.notes.includes(MODEL_CHANGED)) return null;
  const s = r.stop;
  // A stop's message may itself open with its field: it is named once.
  const message = s?.field && s.message.startsWith(`${s.field}: `) ? s.message.slice(s.field.length + 2) : s?.message;
  const at = s ? ` at ${s.field ?? (s.index >= 0 ? `step ${s.index + 1} (${clip(s.thread)}: ${clip(s.step)})` : 'the state')}${s.field && s.index >= 0 ? ` (step ${s.index + 1})` : ''}: ${message}` : `: ${r.verdict}`;
  return new McError('MC406', `the trace does not reproduce on the model it names, unchanged (the same model hash)${at}; its data were edited, or code that the model's functions call outside the model's files changed`);
}

function reexecute(trace: TraceFile, model: Model, variantOverride?: string | null, watch?: ReplayWatch): ReplayOutcome {
  // A model that has no variants any more (the fix folded in, the variants taken out) is another design than the
  // trace's variant: the schedule is replayed on it as on another variant, since no --variant could name it.
  const unvaried = trace.variant !== null && (variantOverride === undefined || variantOverride === null) && model.variantNames.length === 0;
  const variant = unvaried ? null : variantOverride !== undefined && variantOverride !== null ? variantOverride : trace.variant;
  let built: ReturnType<typeof buildModel>;
  watch?.('build', -1, variant);
  try {
    built = buildModel(model, variant, trace.params as Record<string, never>);
  } catch (e) {
    // A trace given the wrong model fails on its variant or parameters first: say which model it was made on.
    if (isMcError(e) && trace.model !== model.name)
      throw new McError('MC421', `the trace was made on model ${q(trace.model)}, and the model given is ${q(model.name)} (${e.message}); give the model the trace was made on with --model FILE`);
    // The model changed since: a variant renamed or a parameter taken out. The schedule may still apply to the variant it is now.
    if (isMcError(e) && e.code === 'MC303' && variant === trace.variant)
      throw new McError('MC303', `${e.message}; if it was renamed, replay the trace on its new name with --variant NAME`);
    // A domain narrowed since: the trace's value of a parameter is no longer one the model takes.
    if (isMcError(e) && e.code === 'MC302')
      throw new McError('MC302', `${e.message}: the trace was made with ${Object.entries(trace.params).map(([k, v]) => `${k}=${v}`).join(' ')}, which the model's parameter domains no longer allow (the model changed since)`);
    if (isMcError(e) && e.code === 'MC301')
      throw new McError('MC301', `${e.message}: the trace was made with ${Object.entries(trace.params).map(([k, v]) => `${k}=${v}`).join(' ')}, and a parameter it sets is no longer the model's (the model changed since)`);
    throw e;
  }
  const rt = new Runtime(built);
  const sameVariant = built.variant === trace.variant;
  const notes: string[] = [];
  // The converse: a trace made before the model had variants is replayed on the first of them, which builds by default.
  if (trace.variant === null && built.variant !== null && (variantOverride === undefined || variantOverride === null))
    notes.push(`the trace was made on the model without variants, and the model has variants now: it is replayed on the first, ${q(built.variant)}, as on another variant (its schedule, with the property judged at the end); give --variant to replay it on another`);
  if (unvaried) notes.push(`the model has no variants any more: the trace, made on variant ${q(trace.variant)}, is replayed on it as on another variant (its schedule, with the property judged at the end)`);
  const mh = modelHash(rt);
  if (sameVariant && mh !== trace.modelHash) notes.push(MODEL_CHANGED);
  const out: ReplayOutcome = {
    status: 'reproduced',
    model: built.name,
    variant: built.variant,
    traceVariant: trace.variant,
    params: { ...built.params },
    property: trace.property,
    steps: trace.steps.length,
    replayed: 0,
    stop: null,
    verdict: '',
    notes,
  };
  const stopAt = (index: number, stop: Omit<ReplayStop, 'index' | 'thread' | 'step'>, verdict?: string): ReplayOutcome => {
    const ts = trace.steps[index];
    out.status = 'no-longer-applies';
    const tpl = ts ? built.threads.find((th) => th.name === ts.thread)?.template : undefined;
    const doc = oneLine(tpl?.steps.find((s) => s.name === ts!.step)?.doc ?? '');
    out.stop = { index, thread: ts?.thread ?? '', step: ts?.step ?? '', ...(doc ? { doc } : {}), ...stop };
    out.verdict = verdict ?? (ts ? `step ${index + 1} (${clip(ts.thread)}: ${clip(ts.step)}) no longer applies: ${stop.message}` : stop.message);
    return out;
  };
  // A top-level field that differs from the model: on the trace's variant a stop, on another a note.
  const topDiffers = (field: string, recorded: unknown, actual: unknown, what: string): ReplayOutcome | null => {
    const message = `${what} (${field}: the trace records ${shown(recorded)}, re-execution gives ${shown(actual)})`;
    if (sameVariant) return stopAt(-1, { reason: 'field-differs', message, field, recorded, reexecuted: actual });
    notes.push(message);
    return null;
  };
  if (trace.model !== built.name) {
    const r = topDiffers('$.model', trace.model, built.name, 'the trace was made on another model');
    if (r) return r;
  }
  // A parameter the model has gained since (the trace records none of that name) was built at its default: a note, and the schedule replays.
  const recordedParams = trace.params as Valuation;
  const added = Object.keys(built.params).filter((k) => !Object.hasOwn(recordedParams, k));
  if (added.length)
    notes.push(`the model has ${added.length === 1 ? 'a parameter' : 'parameters'} the trace does not record, replayed at ${added.length === 1 ? 'its default' : 'their defaults'}: ${added.map((k) => `${k}=${q((built.params as Valuation)[k])}`).join(', ')}`);
  const pd = firstDifference(recordedParams, Object.fromEntries(Object.entries(built.params as Valuation).filter(([k]) => Object.hasOwn(recordedParams, k))));
  if (pd) {
    const r = topDiffers(`$.params${pathKey(pd.key)}`, pd.recorded, pd.actual, 'the parameters differ from the model instance replayed');
    if (r) return r;
  }
  const names = built.threads.map((t) => t.name);
  if (trace.threads.length !== names.length || trace.threads.some((n, i) => n !== names[i])) {
    const r = topDiffers('$.threads', trace.threads, names, `the threads differ from the model's: ${threadsChange(trace.threads, names)}`);
    if (r) return r;
  }
  const threadIndex = new Map(built.threads.map((t) => [t.name, t.index]));
  let cur = rt.initial();
  let val = decodeState(rt, cur);
  const states: Uint32Array[] = [cur];
  const movers: number[] = [];
  const progress: boolean[] = [];
  const id = firstDifference(trace.initial, val);
  const ih = valuationHash(val);
  if (id || ih !== trace.initialHash) {
    const field = id ? `$.initial[${q(id.key)}]` : '$.initialHash';
    const recorded = id ? id.recorded : trace.initialHash;
    const actual = id ? id.actual : ih;
    // A variable gone or new (renamed, say) is named as such: "re-execution gives nothing" would not say the model lost it.
    const msg = `the initial state differs from the trace's (${field}: the trace records ${shown(recorded)}, re-execution gives ${shown(actual)})${id ? variablesChange(trace.initial, val, id) : ''}`;
    if (sameVariant) return stopAt(-1, { reason: 'state-differs', message: msg, field, recorded, reexecuted: actual });
    // On another variant, every variable whose initial value differs (as the note on the steps' states gives them), not only the first.
    const d = valuationDifferences(trace.initial, val);
    notes.push(`the initial state differs from the trace's: (${d.slice(0, 6).join(', ') || 'the state hashes differ'}${d.length > 6 ? `, and ${d.length - 6} more` : ''})`);
  }
  let failed: string | null = null;
  let diverged = false;
  // The trace's own state after step i: its initial state, each step's changes and the mover's label.
  // Built once, at the first difference (a prototype-free object: the names are the trace's data).
  const recordedState = (i: number): Valuation => {
    const recorded: Valuation = Object.assign(Object.create(null) as Valuation, trace.initial);
    for (let k = 0; k <= i; k++) {
      const s = trace.steps[k]!;
      Object.assign(recorded, s.changes);
      recorded[`${s.thread}.at`] = s.to;
    }
    return recorded;
  };
  for (let i = 0; i < trace.steps.length; i++) {
    const ts = trace.steps[i]!;
    const stop = (reason: ReplayStop['reason'], message: string, reads?: Valuation): ReplayOutcome => stopAt(i, { reason, message, ...(reads ? { reads } : {}) });
    // A recorded field that differs from re-execution, on the trace's own variant.
    const differs = (name: string, recorded: unknown, actual: unknown, state = false): ReplayOutcome => {
      const field = `$.steps[${i}].${name}`;
      const message = `${state ? "the state after it differs from the trace's: " : ''}${field}: the trace records ${shown(recorded)}, re-execution gives ${shown(actual)}`;
      return stopAt(i, { reason: 'field-differs', message, field, recorded, reexecuted: actual });
    };
    const t = threadIndex.get(ts.thread);
    if (t === undefined) return stop('thread-missing', `the model has no thread ${q(ts.thread)} (threads: ${[...threadIndex.keys()].join(', ')})`);
    const tpl = built.threads[t]!.template;
    const st = tpl.steps.find((s) => s.name === ts.step);
    const at = tpl.labels[rt.label(cur, 0, t)]!;
    // The steps the thread has where it is now: a step renamed, or split into two, is among them.
    const here = () => {
      const xs = Array.from(tpl.stepsAt[rt.label(cur, 0, t)]!, (k) => tpl.steps[k]!.name);
      return `; at ${q(at)} it has ${xs.length ? `step${xs.length === 1 ? '' : 's'} ${listed(xs.map((x) => q(x)))}` : 'no steps'}`;
    };
    if (!st) return stop('step-missing', `thread ${q(ts.thread)} has no step ${q(ts.step)} in this ${built.variant ? `variant (${built.variant})` : 'model'}${here()}`);
    if (sameVariant && ts.from !== at) return differs('from', ts.from, at);
    if (at !== tpl.labels[st.at]) return stop('wrong-label', `${clip(ts.thread)} is at label ${q(at)}, but step ${q(ts.step)} is at label ${q(tpl.labels[st.at])}${here()}`);
    // A coded error of the model's own code (a value outside its domain, say, after an edit) is named with the step of the trace it happened at.
    const atStep = <T>(f: () => T): T => {
      try {
        return f();
      } catch (e) {
        if (isMcError(e)) throw new ReexecutionError(e.code, `re-executing step ${i + 1} of the trace (${clip(ts.thread)}: ${clip(ts.step)}, from ${q(at)}): ${e.message}`, i);
        throw e;
      }
    };
    watch?.('step', i);
    const r = atStep(() => applyStep(rt, cur, { thread: t, step: st.index, choice: ts.choice }));
    if (r === null) {
      const reads = atStep(() => guardReads(rt, cur, t, st.index));
      if (reads === null) {
        // How many choices the step has now (a choose list shortened, a computed choose that gives fewer here): the recorded one is past them.
        let n = st.choices;
        if (st.chooseFn) {
          const v = rt.views(cur, true);
          try {
            n = Number(st.chooseFn(v.state as never, v.locals[t] as never));
          } catch {
            n = -1;
          }
        }
        const has = n >= 0 ? `; it has ${n === 0 ? 'no choices' : n === 1 ? 'one choice (0)' : `${n} choices (0..${n - 1})`}${st.choiceNames ? `: ${st.choiceNames.slice(0, 8).map((x) => q(x)).join(', ')}` : ''} here` : '';
        return stop('choice-missing', `choice ${ts.choice}${ts.choiceName !== undefined ? ` (${q(ts.choiceName)})` : ''} of step ${q(ts.step)} is not available${has}`);
      }
      const shownReads = Object.entries(reads).map(([k, v]) => `${k}=${q(v)}`).join(', ');
      return stop('guard-false', `its guard is false${falseParts(rt, cur, t, st.index)} (it reads ${shownReads || 'nothing'})`, reads);
    }
    if (sameVariant && ts.choiceName !== st.choiceNames?.[ts.choice]) return differs('choiceName', ts.choiceName, st.choiceNames?.[ts.choice]);
    if ('fails' in r) {
      failed = r.fails;
      out.replayed = i + 1;
      if (i !== trace.steps.length - 1) return stop('state-differs', `the step fails assertion ${q(r.fails)} here, earlier than in the trace`);
      if (sameVariant) {
        if (ts.fails !== r.fails) return differs('fails', ts.fails, r.fails);
        // A failing step has no resulting state: it stays at its label and changes nothing.
        if (ts.to !== at) return differs('to', ts.to, at);
        const cd = firstDifference(ts.changes, {});
        if (cd) return differs(`changes[${q(cd.key)}]`, cd.recorded, undefined);
        if (ts.progress !== undefined) return differs('progress', ts.progress, undefined);
      }
      break;
    }
    if (ts.fails !== undefined) {
      if (sameVariant) return differs('fails', ts.fails, undefined);
      out.replayed = i + 1;
      cur = r.next;
      states.push(cur);
      movers.push(t);
      progress.push(r.progress);
      break;
    }
    const nv = decodeState(rt, r.next);
    const h = valuationHash(nv);
    if (sameVariant) {
      const to = tpl.labels[rt.label(r.next, 0, t)]!;
      if (ts.to !== to) return differs('to', ts.to, to, true);
      const cd = firstDifference(ts.changes, diff(val, nv));
      // A variable the trace omits from changes is unchanged by re-execution only if its value stayed.
      // An entry re-execution does not change is reported with the value the variable keeps.
      if (cd) return differs(`changes[${q(cd.key)}]`, cd.recorded, cd.actual !== undefined ? cd.actual : Object.hasOwn(nv, cd.key) ? nv[cd.key] : undefined, true);
      if (ts.stateHash !== h) return differs('stateHash', ts.stateHash, h, true);
      // Present (true) exactly when the step is progress, as the writer records it.
      if (ts.progress !== (r.progress ? true : undefined)) {
        // Progress declared or taken away since: say which, in the model's terms (a livelock's cycle is judged by it).
        const why = r.progress ? (st.progress ? `step ${q(ts.step)} is declared progress now` : `label ${q(to)} it arrives at is a progress label now`) : `the step is no progress any more (no progress step, and ${q(to)} is no progress label)`;
        const o = differs('progress', ts.progress, r.progress ? true : undefined);
        o.stop!.message += ` (${why})`;
        o.verdict += ` (${why})`;
        return o;
      }
    } else if (!diverged && ts.stateHash !== undefined && h !== ts.stateHash) {
      // Name what the step did differently from the recorded change (the mover's label included); when the step
      // did what the trace records, the state differed before it (the initial state, a variable the model no longer
      // has): name what differs from the trace's own state after the step.
      const local = valuationDifferences({ ...val, ...ts.changes, [`${ts.thread}.at`]: ts.to }, nv);
      const d = local.length ? local : valuationDifferences(recordedState(i), nv);
      notes.push(`from step ${i + 1} (${clip(ts.thread)}: ${clip(ts.step)}) on, the states differ from the trace's: (${d.slice(0, 6).join(', ') || 'the state hashes differ'})`);
      diverged = true;
    }
    val = nv;
    cur = r.next;
    states.push(cur);
    movers.push(t);
    progress.push(r.progress);
    out.replayed = i + 1;
  }
  // The property at the end.
  watch?.('judge', -1);
  const p = trace.property;
  let holds = false;
  switch (p.kind) {
    case 'assertion':
      holds = failed === p.name;
      out.verdict = holds ? `assertion ${q(p.name)} fails at the last step` : failed ? `a different assertion fails (${q(failed)})` : `assertion ${q(p.name)} no longer fails at the last step`;
      if (!holds && sameVariant && failed) return topDiffers('$.property.name', p.name, failed, 'the property differs from the one re-execution violates')!;
      break;
    case 'invariant': {
      const inv = built.invariants.find((x) => x.name === p.name);
      if (!inv) {
        // No invariant of that name: the property cannot be judged, which is no sign that it holds (it was renamed or taken out).
        const v = rt.views(cur, true).state;
        const others = built.invariants.map((x) => `${q(x.name)} (${invariantFails(x.fn, v) ? 'violated' : 'holds'} in the final state)`);
        const message = `the model has no invariant ${q(p.name)} any more, so the trace's property cannot be judged ($.property.name); ${others.length ? `its invariants: ${listed(others)}` : 'it has no invariants'}`;
        return stopAt(-1, { reason: 'field-differs', message, field: '$.property.name', recorded: p.name });
      }
      const v = rt.views(cur, true).state;
      holds = invariantFails(inv.fn, v);
      out.verdict = holds ? `invariant ${q(p.name)} is violated in the final state` : `invariant ${q(p.name)} holds in the final state`;
      break;
    }
    case 'deadlock': {
      if (p.name !== 'deadlock') return stopAt(-1, { reason: 'field-differs', message: `$.property.name: a deadlock is named "deadlock", the trace records ${q(p.name)}`, field: '$.property.name', recorded: p.name, reexecuted: 'deadlock' });
      const n = rt.expand(cur, 0);
      // The steps enabled in the final state (each once, whatever its choices), read before anything expands again: what undoes the deadlock now.
      const enabled: string[] = [];
      for (let k = 0; k < n; k++) {
        const th = built.threads[rt.succThread[k]!]!;
        const name = `${clip(th.name)}: ${clip(th.template.steps[rt.succStep[k]!]!.name)}`;
        if (!enabled.includes(name)) enabled.push(name);
      }
      const ended = rt.allEnded(cur, 0);
      holds = n === 0 && !ended;
      out.verdict = holds
        ? `no step is enabled in the final state and ${built.threads.filter((t) => !rt.finished(cur, 0, t.index)).map((t) => `${t.name} (at ${tpl(t.index)})`).join(', ')} not at an end label`
        : n < 0
          ? `the final state is not a deadlock: ${stepName(rt, rt.failThread, rt.failStep)} is enabled there and fails assertion ${q(rt.failProperty)}`
          : n !== 0
          ? `the final state is not a deadlock: ${n} step${n === 1 ? ' is' : 's are'} enabled (${listed(enabled, 6)})`
          : 'the final state is a valid end state (every thread at an end label)';
      break;
    }
    case 'livelock': {
      const name = p.starving === undefined ? 'non-progress-cycle' : 'starvation';
      if (p.name !== name) return stopAt(-1, { reason: 'field-differs', message: `$.property.name: this livelock is named ${q(name)}, the trace records ${q(p.name)}`, field: '$.property.name', recorded: p.name, reexecuted: name });
      const cs = trace.cycleStart!;
      const finalHash = valuationHash(decodeState(rt, cur));
      const closes = valuationHash(decodeState(rt, states[cs]!)) === finalHash;
      if (!closes && sameVariant) {
        let other = -1;
        for (let j = 0; j < states.length - 1 && other < 0; j++) if (valuationHash(decodeState(rt, states[j]!)) === finalHash) other = j;
        return stopAt(-1, {
          reason: 'field-differs',
          message: `the cycle does not close at $.cycleStart: the trace records ${cs}, the state after the last step is ${other < 0 ? 'no earlier state' : `the state before step index ${other}`}`,
          field: '$.cycleStart',
          recorded: cs,
          reexecuted: other < 0 ? null : other,
        });
      }
      // For starvation only the starving thread's progress counts.
      const starving = p.starving === undefined ? -1 : (threadIndex.get(p.starving) ?? -2);
      const progressAt = progress.slice(cs).findIndex((x, i) => x && (starving === -1 || movers[cs + i] === starving));
      const fairness = (trace.fairness ?? 'weak') as Fairness;
      const j = judgeCycle(rt, states.slice(cs, states.length - 1), movers.slice(cs), fairness);
      const live = starving >= 0 ? states.slice(cs).some((st) => !rt.finished(st, 0, starving)) : j.hasLiveThread;
      // A model (or starving thread) that declares no progress any more checks no livelock (of it): the cycle is none, and that is no fix.
      const noProgress = starving >= 0 ? !built.threads[starving]!.template.hasProgress : starving === -1 && !built.hasProgress;
      holds = starving !== -2 && !noProgress && closes && progressAt < 0 && j.fair && live;
      out.verdict = !closes
        ? `the cycle does not close: the state after the last step differs from the state at step ${cs + 1}`
        : progressAt >= 0
          ? `step ${cs + progressAt + 1} of the cycle now makes progress`
          : starving === -2
            ? `the model has no thread ${q(p.starving)}`
            : noProgress
              ? `${starving >= 0 ? `${clip(p.starving!)} declares` : 'the model declares'} no progress any more (no progress label or step): a livelock is judged by progress, so none is reported, and this says nothing of a fix (the cycle still closes); declare the progress again to check livelocks`
              : !j.fair
                ? `the cycle is not ${fairAdjective(fairness) ?? 'fair'}: ${built.threads[j.unfairThread]!.name} is enabled but never moves`
                : !live
                  ? starving >= 0 ? `${clip(p.starving!)} is finished on the cycle` : 'every thread with progress labels is finished on the cycle'
                  : p.starving
                    ? `the cycle (steps ${cs + 1}..${trace.steps.length}) closes with no progress of ${clip(p.starving)}, and is ${fairness === 'none' ? 'a cycle' : `a ${fairness}ly fair cycle`}: ${clip(p.starving)} starves`
                    : `the cycle (steps ${cs + 1}..${trace.steps.length}) closes with no progress and is ${fairness === 'none' ? 'a' : `a ${fairness}ly fair`} non-progress cycle`;
      break;
    }
  }
  if (!holds) out.status = 'property-holds';
  return out;

  function tpl(t: number): string {
    return built.threads[t]!.template.labels[rt.label(cur, 0, t)]!;
  }
}

/** The variables a step's guard reads in a state, with their values; null if the guard holds. */
function guardReads(rt: Runtime, buf: Uint32Array, t: number, step: number): Valuation | null {
  const st = rt.model.threads[t]!.template.steps[step]!;
  if (!st.guard) return null;
  const reads = new Set<string>();
  const views = makeViewFactory(rt.model, rt.layout, true)(buf.slice(), true, { r: (n) => reads.add(n), w: () => {} });
  try {
    if (st.guard(views.state, views.locals[t]!)) return null;
  } catch (e) {
    // A guard that fails an assertion fails its step, at choice 0: another choice recorded for it is one that is not available.
    if (isAssertionFailure(e)) return null;
    throw e;
  }
  const val = decodeState(rt, buf);
  const out: Valuation = {};
  for (const r of reads) if (Object.hasOwn(val, r)) out[r] = val[r]!;
  return out;
}

/**
 * The parts of a step's false guard that are false, as people read them
 * (a building block's named condition, or the model's own source), each
 * with the thread holding the declared lock it reads when another holds it:
 * `: lk free: s.lk === -1, held by W[0]`. Empty when no part can be named.
 */
function falseParts(rt: Runtime, buf: Uint32Array, t: number, step: number): string {
  const b = rt.model;
  const guard = b.threads[t]!.template.steps[step]!.guard;
  const val = decodeState(rt, buf);
  const names = b.threads.map((th) => th.name);
  const locks = b.locks.flatMap((d) => lockInstances(d, val, names));
  const views = makeViewFactory(b, rt.layout, true);
  const parts: string[] = [];
  const leaves = leafFunctions(guard);
  for (const leaf of leaves) {
    const reads = new Set<string>();
    const v = views(buf.slice(), true, { r: (n) => reads.add(n), w: () => {} });
    let holds: unknown;
    try {
      holds = (leaf as (s: unknown, me: unknown) => unknown)(v.state, v.locals[t]!);
    } catch {
      continue;
    }
    if (holds) continue;
    const held = locks.find((l) => l.keys.some((k) => reads.has(k)) && l.exclusive.length > 0);
    const by = held ? held.exclusive.map((h) => (h === names[t] ? `${h} itself` : h)).join(', ') : '';
    // The model's own single guard is what its author wrote, and the values it reads say why it is false; a building
    // block's condition, or one part of a composed guard, is named, since the step's source does not show it.
    if (leaves.length === 1 && !isGenerated(leaf) && !by) continue;
    parts.push(`${guardText(leaf)}${by ? `, ${held!.lock} held by ${by}` : ''}`);
  }
  return parts.length ? `: ${parts.slice(0, 4).join('; ')}` : '';
}

/** A building block's generated condition (`new Function` text), as guardText names it. */
const isGenerated = (fn: Function) => /^function anonymous\(/.test(Function.prototype.toString.call(fn));

/** What a variable missing on one side of the initial states means: one gone from the model, or one it has gained (a rename is both). */
function variablesChange(recorded: Valuation, actual: Valuation, first: { key: string; recorded: unknown; actual: unknown }): string {
  if (first.actual !== undefined && first.recorded !== undefined) return '';
  const gone = Object.keys(recorded).filter((k) => !Object.hasOwn(actual, k));
  const added = Object.keys(actual).filter((k) => !Object.hasOwn(recorded, k));
  const list = (xs: readonly string[]) => listed(xs.map((x) => clip(x)));
  return `: ${[gone.length ? `the model no longer has ${gone.length === 1 ? 'the variable' : 'the variables'} ${list(gone)}` : '', added.length ? `it has ${list(added)}, which the trace does not record` : ''].filter(Boolean).join('; ')}`;
}

/** The first `most` items of a list for a message, and how many there are when that is not all: `a, b, ... (12 in all)`. */
function listed(xs: readonly string[], most = 8): string {
  return xs.slice(0, most).join(', ') + (xs.length > most ? `, ... (${xs.length} in all)` : '');
}

/** How a model's threads changed since a trace was made: threads gone, threads added, or the same threads in another order. */
function threadsChange(recorded: readonly string[], now: readonly string[]): string {
  const gone = recorded.filter((n) => !now.includes(n));
  const added = now.filter((n) => !recorded.includes(n));
  const list = (xs: readonly string[]) => listed(xs.map((x) => clip(x)));
  if (gone.length === 0 && added.length === 0)
    return 'the same threads in another order (thread ids and the state follow the order the model declares them in, so the trace cannot be replayed on the new order; make it again with mmcheck check)';
  return [gone.length ? `the model no longer has ${list(gone)}` : '', added.length ? `it has ${list(added)} the trace does not know` : ''].filter(Boolean).join('; ');
}
