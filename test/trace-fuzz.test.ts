/**
 * Replay never vouches for a trace whose data differ from re-execution.
 *
 * Valid traces (the saved ones under traces/, and fresh ones from small
 * random models) get one field mutated anywhere; whatever replay says, it
 * may say "reproduced" only when the mutated trace is exactly what
 * re-executing its own schedule gives. That oracle is built here, apart from
 * replay: the schedule (thread, step, choice) is re-run by buildTrace, which
 * writes traces, and the mutated trace must equal the rebuilt one field for
 * field. A mutation that happens to give an equally valid trace (the same
 * value written back, two identical steps swapped, a step that changes
 * nothing removed) passes the oracle and is not counted as a miss.
 */
import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { loadModel } from '../src/run/load.ts';
import { builtinModels } from '../models/index.ts';
import { buildModel } from '../src/model/build.ts';
import type { Model } from '../src/model/define.ts';
import { McError } from '../src/model/errors.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { search } from '../src/index.ts';
import '../src/search/liveness.ts';
import type { PathStep } from '../src/search/types.ts';
import { buildTrace } from '../src/trace/build.ts';
import { valuationHash } from '../src/trace/decode.ts';
import { checkTraceData } from '../src/trace/consistency.ts';
import { parseTrace, type TraceFile } from '../src/trace/format.ts';
import { replay, type ReplayOutcome } from '../src/trace/replay.ts';
import { verifyTrace } from '../src/trace/verify.ts';
import { genModel, toModel } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 150);

/** JSON with keys sorted, so two traces compare by content, not key order. */
function canonical(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  if (v !== null && typeof v === 'object')
    return `{${Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

/**
 * The trace re-execution gives for this trace's own schedule and claims, or
 * null when the schedule does not run (an unknown thread or step, a step not
 * enabled, an assertion failing early). Informational fields are copied.
 */
function rebuilt(t: TraceFile, model: Model): TraceFile | null {
  try {
    const rt = new Runtime(buildModel(model, t.variant, t.params as never));
    const steps: PathStep[] = [];
    for (const s of t.steps) {
      const th = rt.model.threads.findIndex((x) => x.name === s.thread);
      if (th < 0) return null;
      const st = rt.model.threads[th]!.template.steps.findIndex((x) => x.name === s.step);
      if (st < 0) return null;
      steps.push({ thread: th, step: st, choice: s.choice });
    }
    const r = buildTrace(rt, { kind: t.property.kind, property: t.property.name, steps, ...(t.cycleStart !== undefined ? { cycleStart: t.cycleStart } : {}), ...(t.property.starving ? { starving: t.property.starving } : {}) }, { ...(t.modelFile ? { modelFile: t.modelFile } : {}), ...(t.fairness ? { fairness: t.fairness } : {}) });
    if (r.steps.length !== t.steps.length) return null;
    return { ...r, modelHash: t.modelHash, ...(t.createdBy !== undefined ? { createdBy: t.createdBy } : { createdBy: undefined }) } as TraceFile;
  } catch {
    return null;
  }
}

/** Whether the trace's data are what re-execution gives (the claims about the property aside). */
function matchesReexecution(t: TraceFile, model: Model): boolean {
  const r = rebuilt(t, model);
  return r !== null && canonical(r) === canonical(t);
}

/** The hash of the state before step i (i = steps.length: after the last step). */
const hashBefore = (t: TraceFile, i: number) => (i === 0 ? t.initialHash : t.steps[i - 1]!.stateHash);

type Mutation =
  | 'change-value' | 'change-add' | 'change-drop' | 'from' | 'to' | 'stateHash' | 'thread' | 'thread-unknown' | 'step' | 'choice' | 'choiceName'
  | 'progress' | 'initial' | 'initial-drop' | 'initialHash' | 'cycleStart' | 'cycleStart-add' | 'fails-add' | 'fails-drop' | 'delete' | 'swap' | 'duplicate'
  | 'unknown-top' | 'unknown-step' | 'unknown-property' | 'threads' | 'params' | 'property-name' | 'property-kind' | 'starving' | 'fairness' | 'model'
  | 'change-rehash' | 'initial-rehash';
const MUTATIONS: Mutation[] = [
  'change-value', 'change-add', 'change-drop', 'from', 'to', 'stateHash', 'thread', 'thread-unknown', 'step', 'choice', 'choiceName', 'progress', 'initial',
  'initial-drop', 'initialHash', 'cycleStart', 'cycleStart-add', 'fails-add', 'fails-drop', 'delete', 'swap', 'duplicate', 'unknown-top', 'unknown-step',
  'unknown-property', 'threads', 'params', 'property-name', 'property-kind', 'starving', 'fairness', 'model', 'change-rehash', 'initial-rehash',
];

/**
 * Recompute every hash from the recorded data, as a careful forger would:
 * the trace then agrees with itself, and only re-execution can tell.
 */
function rehash(t: Record<string, any>): Record<string, any> {
  t.initialHash = valuationHash(t.initial);
  const val = { ...t.initial };
  for (const s of t.steps) {
    if (s.fails !== undefined) continue;
    Object.assign(val, s.changes);
    val[`${s.thread}.at`] = s.to;
    s.stateHash = valuationHash(val);
  }
  return t;
}

const other = (v: unknown, k: number): unknown => (typeof v === 'boolean' ? !v : typeof v === 'number' ? v + 1 + (k % 3) : `${String(v)}~`);

/** Apply one mutation, choosing where by the seeds a, b; null when it does not apply to this trace. */
function mutate(orig: TraceFile, m: Mutation, a: number, b: number): Record<string, any> | null {
  const t = JSON.parse(JSON.stringify(orig)) as Record<string, any>;
  const n = t.steps.length;
  const si = n ? a % n : -1;
  const s = n ? t.steps[si] : null;
  const pick = <T,>(xs: T[]) => xs[b % xs.length]!;
  switch (m) {
    case 'change-value': {
      const withChanges = t.steps.filter((x: any) => Object.keys(x.changes).length);
      if (!withChanges.length) return null;
      const x = withChanges[a % withChanges.length];
      const k = pick(Object.keys(x.changes));
      x.changes[k] = other(x.changes[k], b);
      return t;
    }
    case 'change-add': {
      if (!s) return null;
      const k = pick(Object.keys(t.initial));
      s.changes[k] = b % 2 ? t.initial[k] : other(t.initial[k], b);
      return t;
    }
    case 'change-drop': {
      if (!s || !Object.keys(s.changes).length) return null;
      delete s.changes[pick(Object.keys(s.changes))];
      return t;
    }
    case 'from':
      if (!s) return null;
      s.from = b % 2 ? `${s.from}~` : pick(t.steps.map((x: any) => x.from));
      return t;
    case 'to':
      if (!s) return null;
      s.to = b % 2 ? `${s.to}~` : pick(t.steps.map((x: any) => x.to));
      return t;
    case 'stateHash':
      if (!s || s.stateHash === undefined) return null;
      s.stateHash = b % 2 ? '0000000000000000' : pick(t.steps.map((x: any) => x.stateHash ?? t.initialHash));
      return t;
    case 'thread':
      if (!s) return null;
      s.thread = pick(t.threads);
      return t;
    case 'thread-unknown':
      if (!s) return null;
      s.thread = `${s.thread}x`;
      return t;
    case 'step':
      if (!s) return null;
      s.step = pick(t.steps.map((x: any) => x.step));
      return t;
    case 'choice':
      if (!s) return null;
      s.choice = b % 2 ? s.choice + 1 : Math.max(0, s.choice - 1);
      return t;
    case 'choiceName':
      if (!s) return null;
      if (s.choiceName === undefined) s.choiceName = 'c';
      else if (b % 2) delete s.choiceName;
      else s.choiceName = `${s.choiceName}~`;
      return t;
    case 'progress':
      if (!s) return null;
      if (s.progress) delete s.progress;
      else s.progress = b % 3 === 0 ? false : true;
      return t;
    case 'initial': {
      const k = pick(Object.keys(t.initial));
      t.initial[k] = other(t.initial[k], a);
      return t;
    }
    case 'initial-drop':
      delete t.initial[pick(Object.keys(t.initial))];
      return t;
    case 'initialHash':
      t.initialHash = b % 2 ? 'ffffffffffffffff' : n ? t.steps[a % n].stateHash ?? 'x' : 'x';
      return t;
    case 'cycleStart':
      if (t.cycleStart === undefined || n < 2) return null;
      t.cycleStart = (t.cycleStart + 1 + (a % (n - 1))) % n;
      return t;
    case 'cycleStart-add':
      if (t.cycleStart !== undefined || !n) return null;
      t.cycleStart = a % n;
      return t;
    case 'fails-add':
      if (!n || t.steps[n - 1].fails !== undefined) return null;
      t.steps[n - 1].fails = b % 2 || t.property.kind !== 'assertion' ? 'a' : t.property.name;
      if (b % 3 === 0) delete t.steps[n - 1].stateHash;
      return t;
    case 'fails-drop':
      if (!n || t.steps[n - 1].fails === undefined) return null;
      delete t.steps[n - 1].fails;
      if (b % 2) t.steps[n - 1].stateHash = hashBefore(orig, n - 1);
      return t;
    case 'delete':
      if (!n) return null;
      t.steps.splice(si, 1);
      if (t.cycleStart !== undefined && t.cycleStart >= t.steps.length) t.cycleStart = Math.max(0, t.steps.length - 1);
      return t;
    case 'swap': {
      if (n < 2) return null;
      const j = (si + 1 + (b % (n - 1))) % n;
      [t.steps[si], t.steps[j]] = [t.steps[j], t.steps[si]];
      return t;
    }
    case 'duplicate':
      if (!s) return null;
      t.steps.splice(si, 0, JSON.parse(JSON.stringify(s)));
      return t;
    case 'unknown-top':
      t[pick(['note', 'extra', 'steps2'])] = 1;
      return t;
    case 'unknown-step':
      if (!s) return null;
      s[pick(['note', 'state', 'label'])] = 'x';
      return t;
    case 'unknown-property':
      t.property.extra = true;
      return t;
    case 'threads':
      t.threads = b % 2 ? [...t.threads].reverse() : [...t.threads, 'ghost'];
      return t;
    case 'params': {
      const ks = Object.keys(t.params);
      if (!ks.length) t.params.extra = 1;
      else t.params[pick(ks)] = other(t.params[pick(ks)], a);
      return t;
    }
    case 'property-name':
      t.property.name = b % 2 ? `${t.property.name}~` : pick(['deadlock', 'non-progress-cycle', 'starvation', 'i', 'a']);
      return t;
    case 'property-kind':
      t.property.kind = pick(['invariant', 'assertion', 'deadlock', 'livelock']);
      return t;
    case 'starving':
      if (t.property.kind !== 'livelock') return null;
      if (t.property.starving === undefined) t.property.starving = pick(t.threads);
      else delete t.property.starving;
      return t;
    case 'fairness':
      if (t.property.kind !== 'livelock') return null;
      t.fairness = pick(['none', 'weak', 'strong']);
      return t;
    case 'model':
      t.model = `${t.model}~`;
      return t;
    case 'change-rehash': {
      const withChanges = t.steps.filter((x: any) => Object.keys(x.changes).length);
      if (!withChanges.length) return null;
      const x = withChanges[a % withChanges.length];
      const k = pick(Object.keys(x.changes));
      x.changes[k] = other(x.changes[k], b);
      return rehash(t);
    }
    case 'initial-rehash': {
      const k = pick(Object.keys(t.initial).filter((x) => !x.endsWith('.at')).concat(Object.keys(t.initial)));
      t.initial[k] = other(t.initial[k], a);
      return rehash(t);
    }
  }
}

/**
 * Whether a mutation may leave a valid trace whose validity this oracle
 * cannot judge from the data alone: a claim about the cycle or fairness
 * (another cycle start where the state also recurs, another fairness). Replay
 * may accept those; everything else must match re-execution to be accepted.
 */
function claimOnly(orig: TraceFile, m: Mutation, t: Record<string, any>): boolean {
  if (m === 'fairness') return true;
  if (m === 'cycleStart') return hashBefore(orig, t.cycleStart) === hashBefore(orig, orig.steps.length);
  return false;
}

/** Replay a mutated trace as a user would: through the parser first. */
function replayText(text: string, model: Model): ReplayOutcome | McError {
  try {
    return replay(parseTrace(text, 'mutated'), model);
  } catch (e) {
    if (e instanceof McError) return e;
    throw e;
  }
}

function checkMutation(orig: TraceFile, model: Model, m: Mutation, a: number, b: number): string | null {
  const t = mutate(orig, m, a, b);
  if (!t) return null;
  const text = JSON.stringify(t);
  const r = replayText(text, model);
  if (r instanceof McError || r.status !== 'reproduced') return null;
  // Reproduced: it must be an equally valid trace.
  if (canonical(t) === canonical(orig)) return null;
  if (claimOnly(orig, m, t)) return null;
  // The rebuilt trace copies the property claims, so a changed claim is never an equally valid trace here.
  const isProperty = m === 'property-name' || m === 'property-kind' || m === 'starving';
  if (!isProperty && matchesReexecution(t as TraceFile, model)) return null;
  return `mutation ${m} (${a}, ${b}) reproduced although its data differ from re-execution: ${text.slice(0, 400)}`;
}

// ---------------------------------------------------------------------------
// The saved traces.
// ---------------------------------------------------------------------------

const saved = readdirSync('traces')
  .filter((f) => f.endsWith('.json'))
  .map((f) => {
    const t = parseTrace(readFileSync(join('traces', f), 'utf8'), f);
    return { f, t, model: builtinModels.find((x) => x.name === t.model)! };
  });

test('fuzz: a saved trace with one field mutated never reproduces unless it equals re-execution', (t) => {
  t.true(saved.length > 0);
  fc.assert(
    fc.property(fc.nat(saved.length - 1), fc.constantFrom(...MUTATIONS), fc.nat(1_000_000), fc.nat(1_000_000), (k, m, a, b) => {
      const { t: orig, model } = saved[k]!;
      const err = checkMutation(orig, model, m, a, b);
      if (err) throw new Error(`${saved[k]!.f}: ${err}`);
    }),
    { numRuns: RUNS * 2 },
  );
  t.pass();
});

test('fuzz: every mutation kind applied to every saved trace', (t) => {
  for (const { f, t: orig, model } of saved)
    for (const m of MUTATIONS)
      for (const [a, b] of [[0, 1], [7, 2], [13, 5]] as const) {
        const err = checkMutation(orig, model, m, a, b);
        t.is(err, null, `${f}: ${err}`);
      }
});

// ---------------------------------------------------------------------------
// Fresh traces from random models.
// ---------------------------------------------------------------------------

test('fuzz: fresh traces from random models, one field mutated, never reproduce unless they equal re-execution', (t) => {
  let traces = 0;
  fc.assert(
    fc.property(genModel(), fc.constantFrom(...MUTATIONS), fc.nat(1_000_000), fc.nat(1_000_000), (g, m, a, b) => {
      const model = toModel(g);
      const built = buildModel(model, null, {});
      const r = search(built, { fairness: 'weak' });
      if (!r.violation) return;
      const orig = buildTrace(r.runtime, r.violation, r.violation.kind === 'livelock' ? { fairness: r.fairness ?? 'weak' } : {});
      // The unmutated trace reproduces and is exactly its re-execution: the oracle agrees with itself.
      const base = replay(parseTrace(JSON.stringify(orig)), model);
      if (base.status !== 'reproduced') throw new Error(`fresh trace does not reproduce: ${base.verdict}`);
      if (!matchesReexecution(orig, model)) throw new Error('fresh trace differs from its re-execution');
      traces++;
      const err = checkMutation(orig, model, m, a, b);
      if (err) throw new Error(err);
    }),
    { numRuns: RUNS },
  );
  t.true(traces > 0, 'some random models have violations');
});

// ---------------------------------------------------------------------------
// Deterministic cases: altered changes, from, initial values.
// ---------------------------------------------------------------------------

const dining = builtinModels.find((m) => m.name === 'dining')!;
const diningTrace = (): TraceFile => {
  const r = search(buildModel(dining, null, { n: 3 }), {});
  return buildTrace(r.runtime, r.violation!);
};

test('replay: an altered change stops at that step, naming the field and both values', (t) => {
  const tr = diningTrace();
  tr.steps[1]!.changes['fork[1]'] = false;
  const r = replay(tr, dining);
  t.is(r.status, 'no-longer-applies');
  t.like(r.stop, { index: 1, reason: 'field-differs', field: '$.steps[1].changes["fork[1]"]', recorded: false, reexecuted: true });
  t.regex(r.verdict, /^step 2 \(phil\[1\]: take_left\) no longer applies: the state after it differs from the trace's: \$\.steps\[1\]\.changes\["fork\[1\]"\]: the trace records false, re-execution gives true$/);
  // A change re-execution does not make is named too.
  const tr2 = diningTrace();
  tr2.steps[0]!.changes['fork[2]'] = true;
  t.like(replay(tr2, dining).stop, { index: 0, field: '$.steps[0].changes["fork[2]"]', recorded: true, reexecuted: false });
});

test('replay: a step whose guard fails an assertion, given another choice, no longer applies (the guard is not read again to explain it: it would throw)', async (t) => {
  const { defineModel, int, thread } = await import('../src/index.ts');
  const m = defineModel({
    name: 'guard-assert',
    shared: { v: int(0, 1) },
    threads: [
      thread('A', { start: 'a', end: ['b'], steps: { a: { then: (s) => { s.v = 1; }, next: 'b' } } }),
      thread('B', { start: 'a', end: ['b'], steps: { a: { when: (s) => { s.assert(s.v === 0, 'v-is-0'); return true; }, next: 'b' } } }),
    ],
  }) as Model;
  const r = search(buildModel(m, null), {});
  const tr = buildTrace(r.runtime, r.violation!);
  t.is(tr.steps.at(-1)!.fails, 'v-is-0');
  tr.steps.at(-1)!.choice = 1;
  const o = replay(parseTrace(JSON.stringify(tr)), m);
  t.is(o.status, 'no-longer-applies');
  t.regex(o.verdict, /choice 1 of step "a" is not available/);
});

test('replay: an altered `from` stops at that step', (t) => {
  const tr = diningTrace();
  tr.steps[2]!.from = 'Eat';
  const r = replay(tr, dining);
  t.is(r.status, 'no-longer-applies');
  t.like(r.stop, { index: 2, reason: 'field-differs', field: '$.steps[2].from', recorded: 'Eat', reexecuted: 'Think' });
});

test('replay: an altered initial value stops before the first step', (t) => {
  const tr = diningTrace();
  tr.initial['fork[0]'] = true;
  const r = replay(tr, dining);
  t.is(r.status, 'no-longer-applies');
  t.like(r.stop, { index: -1, field: '$.initial["fork[0]"]', recorded: true, reexecuted: false });
  t.regex(r.verdict, /the initial state differs from the trace's/);
});

test('replay against another variant: edited data are refused even though states may differ', async (t) => {
  const lock = await loadModel(resolve('examples/lock.ts'));
  const r0 = search(buildModel(lock, 'test-then-set', {}), {});
  const tr = buildTrace(r0.runtime, r0.violation!);
  t.is(replay(tr, lock, 'atomic-xchg').stop?.reason, 'guard-false');
  // Its first step applies on atomic-xchg too (and then no violation follows); with an initial value edited, the trace
  // contradicts its own hashes, which replay names instead of "the property holds".
  const first = { ...tr, steps: tr.steps.slice(0, 1) };
  t.is(replay(first, lock, 'atomic-xchg').status, 'property-holds');
  first.initial = { ...first.initial, locked: !first.initial.locked };
  t.not(checkTraceData(first), null);
  const edited = replay(first, lock, 'atomic-xchg');
  t.is(edited.status, 'no-longer-applies');
  t.is(edited.stop?.reason, 'data-inconsistent', edited.verdict);
  t.regex(edited.verdict, /^the trace contradicts itself at \$\.initialHash: /);
});

test('show: a trace whose data contradict themselves is refused (MC406); without the model it says what was checked', (t) => {
  const tr = diningTrace();
  t.is(verifyTrace(tr, dining).level, 'replayed');
  t.is(verifyTrace(tr, dining).note, null);
  const unchecked = verifyTrace(tr, null, 'the model could not be loaded');
  t.is(unchecked.level, 'self-consistent');
  t.regex(unchecked.note!, /^not re-executed: the model could not be loaded; the recorded changes agree with the recorded state hashes/);
  // Hashes recomputed after an edit: only re-execution can tell, so show with the model refuses it,
  // and without the model says it checked only the hashes.
  const forged = rehash(JSON.parse(JSON.stringify(tr))) as TraceFile;
  forged.steps[2]!.changes = {};
  rehash(forged);
  t.is(checkTraceData(forged), null);
  const fe = t.throws(() => verifyTrace(forged, dining));
  t.is((fe as McError).code, 'MC406');
  t.regex(fe!.message, /does not reproduce on the model it names, unchanged \(the same model hash\) at \$\.steps\[2\]\.changes\["fork\[2\]"\] \(step 3\)/);
  t.is(verifyTrace(forged, null).level, 'self-consistent');
  // A model that no longer builds for the trace's parameters: shown as recorded, saying why.
  const outOfRange = { ...tr, params: { n: 1 } };
  t.regex(verifyTrace(outOfRange, dining).note!, /^not re-executed: the model does not build for it \(MC\d+: /);
  tr.steps[0]!.changes['fork[0]'] = false;
  for (const m of [dining, null]) {
    const e = t.throws(() => verifyTrace(tr, m));
    t.is((e as McError).code, 'MC406');
    t.regex(e!.message, /\$\.steps\[0\]\.changes\["fork\[0\]"\]/);
  }
});

test('cli: show and replay refuse a trace with an edited change (exit 2, MC406), naming the field', (t) => {
  const dir = tempDir('mmcheck-fuzz-');
  const tr = diningTrace();
  tr.steps[1]!.changes['fork[1]'] = false;
  writeFileSync(join(dir, 'edited.json'), JSON.stringify(tr));
  const run = (args: string[]) => spawnSync(process.execPath, [resolve('bin/mmcheck.js'), ...args], { cwd: dir, encoding: 'utf8' });
  const show = run(['show', 'edited.json']);
  t.is(show.status, 2, show.stdout);
  t.regex(show.stderr, /MC406: trace data contradict each other at \$\.steps\[1\]\.changes\["fork\[1\]"\] \(step 2\): .*the trace records false, the value fork\[1\] already holds before the step/);
  const rp = run(['replay', 'edited.json']);
  t.is(rp.status, 2);
  t.regex(rp.stderr, /MC406: the trace does not reproduce on the model it names, unchanged \(the same model hash\) at \$\.steps\[1\]\.changes\["fork\[1\]"\] \(step 2\): the state after it differs from the trace's: \$\.steps\[1\]\.changes\["fork\[1\]"\]: the trace records false, re-execution gives true/);
});

test('show: a trace that does not reproduce on its unchanged model is refused whatever was edited (a step, a choice, the property); another model is MC421', (t) => {
  const mew = builtinModels.find((m) => m.name === 'migration-entry-wait')!;
  const r = search(buildModel(mew, 'put-and-wait', {}), {});
  const base = JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation!, { fairness: 'weak' }))) as TraceFile;
  t.is(verifyTrace(base, mew).level, 'replayed');
  const edits: [string, (x: TraceFile) => void, RegExp][] = [
    ['a step renamed', (x) => void (x.steps[1]!.step += '_x'), /at step 2 \(.*\): thread ".*" has no step/],
    ['a starving thread that is not there', (x) => void (x.property = { kind: 'livelock', name: 'starvation', starving: 'T[7]' }), /unchanged \(the same model hash\): the model has no thread "T\[7\]"/],
  ];
  for (const [what, edit, re] of edits) {
    const x = JSON.parse(JSON.stringify(base)) as TraceFile;
    edit(x);
    const e = t.throws(() => verifyTrace(x, mew), undefined, what);
    t.is((e as McError).code, 'MC406', what);
    t.regex(e!.message, re, what);
  }
  // A deadlock trace of dining relabelled as an invariant that holds.
  const relabelled = { ...diningTrace(), property: { kind: 'invariant', name: 'nosuch' } } as TraceFile;
  t.is((t.throws(() => verifyTrace(relabelled, dining)) as McError).code, 'MC406');
  t.is((t.throws(() => verifyTrace(base, dining)) as McError).code, 'MC421');
});

test('replay: a deadlock trace whose final state has a step failing an assertion names it (not "-1 steps are enabled")', (t) => {
  const mew = builtinModels.find((m) => m.name === 'migration-entry-wait')!;
  const r = search(buildModel(mew, 'wait-unlocked-ptl', {}), {});
  const tr = JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation!))) as TraceFile;
  t.is(tr.property.kind, 'assertion');
  tr.property = { kind: 'deadlock', name: 'deadlock' };
  tr.steps.pop();
  const rp = replay(tr, mew);
  t.is(rp.status, 'property-holds');
  t.regex(rp.verdict, /^the final state is not a deadlock: thread "T\[\d\]" step "\w+" is enabled there and fails assertion "no-uaf"$/);
});

test('trace format: a livelock trace without steps is malformed (MC402), and a cycle that does not close is named plainly', (t) => {
  const mew = builtinModels.find((m) => m.name === 'migration-entry-wait')!;
  const r = search(buildModel(mew, 'put-and-wait', {}), {});
  const tr = JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation!, { fairness: 'weak' }))) as TraceFile;
  const e = t.throws(() => parseTrace(JSON.stringify({ ...tr, steps: [] }), 'x.json'));
  t.is((e as McError).code, 'MC402');
  t.regex(e!.message, /\$\.steps: a livelock trace has at least one step: its cycle/);
  const short = { ...tr, steps: tr.steps.slice(0, -1) };
  const f = checkTraceData(short)!;
  t.is(f.field, '$.cycleStart');
  t.regex(f.message, /^the trace records \d+, but the state after the last step is (no earlier state|the state before step index \d+) \(/);
});
