import { buildModel } from '../model/build.ts';
import type { Model } from '../model/define.ts';
import { q } from '../model/errors.ts';
import { Runtime } from '../exec/runtime.ts';
import { judgeCycle } from '../exec/fairness.ts';
import type { Fairness } from '../model/define.ts';
import { makeViewFactory } from '../layout/views.ts';
import { decodeState, diff, modelHash, valuationHash, type Valuation } from './decode.ts';
import { applyStep } from '../exec/step.ts';
import type { TraceFile } from './format.ts';

/**
 * Replay re-executes a trace step by step against a model (the one it was
 * made on, or a changed variant), checking each step is enabled and each
 * state hash matches, then that the violation holds at the end.
 */
export type ReplayStatus = 'reproduced' | 'no-longer-applies' | 'property-holds';

export interface ReplayStop {
  /** 0-based index into trace.steps. */
  index: number;
  thread: string;
  step: string;
  reason: 'thread-missing' | 'step-missing' | 'wrong-label' | 'guard-false' | 'choice-missing' | 'state-differs' | 'no-assertion';
  message: string;
  /** For guard-false: the variables the guard read, with their values. */
  reads?: Valuation;
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

export function replay(trace: TraceFile, model: Model, variantOverride?: string | null): ReplayOutcome {
  const variant = variantOverride !== undefined && variantOverride !== null ? variantOverride : trace.variant;
  const built = buildModel(model, variant, trace.params as Record<string, never>);
  const rt = new Runtime(built);
  const sameVariant = built.variant === trace.variant;
  const notes: string[] = [];
  const mh = modelHash(rt);
  if (sameVariant && mh !== trace.modelHash) notes.push('the model has changed since the trace was made (model hash differs)');
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
  const threadIndex = new Map(built.threads.map((t) => [t.name, t.index]));
  let cur = rt.initial();
  let val = decodeState(rt, cur);
  const states: Uint32Array[] = [cur];
  const movers: number[] = [];
  const progress: boolean[] = [];
  if (valuationHash(val) !== trace.initialHash) {
    const d = diff(trace.initial, val, true);
    const msg = `the initial state differs from the trace's (${Object.entries(d).slice(0, 6).map(([k, v]) => `${k}=${q(v)}`).join(', ')})`;
    if (sameVariant) {
      out.status = 'no-longer-applies';
      out.stop = { index: -1, thread: '', step: '', reason: 'state-differs', message: msg };
      out.verdict = msg;
      return out;
    }
    notes.push(msg);
  }
  let failed: string | null = null;
  let diverged = false;
  for (let i = 0; i < trace.steps.length; i++) {
    const ts = trace.steps[i]!;
    const stop = (reason: ReplayStop['reason'], message: string, reads?: Valuation): ReplayOutcome => {
      out.status = 'no-longer-applies';
      out.stop = { index: i, thread: ts.thread, step: ts.step, reason, message, ...(reads ? { reads } : {}) };
      out.verdict = `step ${i + 1} (${ts.thread}: ${ts.step}) no longer applies: ${message}`;
      return out;
    };
    const t = threadIndex.get(ts.thread);
    if (t === undefined) return stop('thread-missing', `the model has no thread ${q(ts.thread)} (threads: ${[...threadIndex.keys()].join(', ')})`);
    const tpl = built.threads[t]!.template;
    const st = tpl.steps.find((s) => s.name === ts.step);
    if (!st) return stop('step-missing', `thread ${q(ts.thread)} has no step ${q(ts.step)} in this ${built.variant ? `variant (${built.variant})` : 'model'}`);
    const at = tpl.labels[rt.label(cur, 0, t)]!;
    if (at !== tpl.labels[st.at]) return stop('wrong-label', `${ts.thread} is at label ${q(at)}, but step ${q(ts.step)} is at label ${q(tpl.labels[st.at])}`);
    const r = applyStep(rt, cur, { thread: t, step: st.index, choice: ts.choice });
    if (r === null) {
      const reads = guardReads(rt, cur, t, st.index);
      if (reads === null) return stop('choice-missing', `choice ${ts.choice} of step ${q(ts.step)} is not available`);
      const shown = Object.entries(reads).map(([k, v]) => `${k}=${q(v)}`).join(', ');
      return stop('guard-false', `its guard is false (it reads ${shown || 'nothing'})`, reads);
    }
    if ('fails' in r) {
      failed = r.fails;
      out.replayed = i + 1;
      if (i !== trace.steps.length - 1) return stop('state-differs', `the step fails assertion ${q(r.fails)} here, earlier than in the trace`);
      break;
    }
    if (ts.fails !== undefined) {
      out.replayed = i + 1;
      cur = r.next;
      states.push(cur);
      movers.push(t);
      progress.push(r.progress);
      break;
    }
    const nv = decodeState(rt, r.next);
    if (!diverged && ts.stateHash !== undefined && valuationHash(nv) !== ts.stateHash) {
      // Name what differs from the recorded change.
      const expected: Valuation = { ...val, ...ts.changes };
      const d = diff(expected, nv);
      const msg = `the state after it differs from the trace's (${Object.entries(d).slice(0, 6).map(([k, v]) => `${k}=${q(v)} where the trace has ${q(expected[k])}`).join(', ') || 'labels differ'})`;
      if (sameVariant) return stop('state-differs', msg);
      notes.push(`from step ${i + 1} (${ts.thread}: ${ts.step}) on, the states differ from the trace's: ${msg.replace(/^the state after it differs from the trace's /, '')}`);
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
  const p = trace.property;
  let holds = false;
  switch (p.kind) {
    case 'assertion':
      holds = failed === p.name;
      out.verdict = holds ? `assertion ${q(p.name)} fails at the last step` : failed ? `a different assertion fails (${q(failed)})` : `assertion ${q(p.name)} no longer fails at the last step`;
      break;
    case 'invariant': {
      const inv = built.invariants.find((x) => x.name === p.name);
      if (!inv) {
        out.verdict = `the model has no invariant ${q(p.name)} any more`;
        break;
      }
      const v = rt.views(cur, true).state;
      holds = !inv.fn(v);
      out.verdict = holds ? `invariant ${q(p.name)} is violated in the final state` : `invariant ${q(p.name)} holds in the final state`;
      break;
    }
    case 'deadlock': {
      const n = rt.expand(cur, 0);
      const ended = rt.allEnded(cur, 0);
      holds = n === 0 && !ended;
      out.verdict = holds
        ? `no step is enabled in the final state and ${built.threads.filter((t) => !rt.finished(cur, 0, t.index)).map((t) => `${t.name} (at ${tpl(t.index)})`).join(', ')} not at an end label`
        : n !== 0
          ? `the final state is not a deadlock: ${n} step(s) are enabled`
          : 'the final state is a valid end state (every thread at an end label)';
      break;
    }
    case 'livelock': {
      const cs = trace.cycleStart!;
      const closes = valuationHash(decodeState(rt, states[cs]!)) === valuationHash(decodeState(rt, cur));
      // For starvation only the starving thread's progress counts.
      const starving = p.starving === undefined ? -1 : (threadIndex.get(p.starving) ?? -2);
      const progressAt = progress.slice(cs).findIndex((x, i) => x && (starving === -1 || movers[cs + i] === starving));
      const fairness = (trace.fairness ?? 'weak') as Fairness;
      const j = judgeCycle(rt, states.slice(cs, states.length - 1), movers.slice(cs), fairness);
      const live = starving >= 0 ? states.slice(cs).some((st) => !rt.finished(st, 0, starving)) : j.hasLiveThread;
      holds = starving !== -2 && closes && progressAt < 0 && j.fair && live;
      out.verdict = !closes
        ? `the cycle does not close: the state after the last step differs from the state at step ${cs + 1}`
        : progressAt >= 0
          ? `step ${cs + progressAt + 1} of the cycle now makes progress`
          : !j.fair
            ? `the cycle is not ${fairness}ly fair: ${built.threads[j.unfairThread]!.name} is enabled but never moves`
            : starving === -2
              ? `the model has no thread ${q(p.starving)}`
              : !live
              ? starving >= 0 ? `${p.starving} is finished on the cycle` : 'every thread with progress labels is finished on the cycle'
              : `the cycle (steps ${cs + 1}..${trace.steps.length}) closes with no progress and is ${fairness === 'none' ? 'a' : `${fairness}ly fair`} non-progress cycle${p.starving ? `: ${p.starving} starves` : ''}`;
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
  if (st.guard(views.state, views.locals[t]!)) return null;
  const val = decodeState(rt, buf);
  const out: Valuation = {};
  for (const r of reads) if (r in val) out[r] = val[r]!;
  return out;
}
