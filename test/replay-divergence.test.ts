import test from 'ava';
import { bool, check, combine, defineModel, int, minimize, mutex, replicate, thread } from '../src/index.ts';
import { replay } from '../src/trace/replay.ts';
import { verifyTrace } from '../src/trace/verify.ts';

// B bumps a counter twice; A only waits, at another label in variant `late`.
const counter = (withFlag: boolean) =>
  defineModel({
    name: 'divergence',
    variants: { early: 'A idles', late: 'A waits at another label' },
    shared: { n: int(0, 3), ...(withFlag ? { flag: bool() } : {}) },
    threads: (_p, v) => [
      thread('A', { start: v === 'late' ? 'waiting' : 'idle', labels: ['idle', 'waiting'], end: ['idle', 'waiting'], steps: {} }),
      thread('B', {
        start: 'one',
        end: ['done'],
        steps: {
          one: { then: (s) => { s.n = s.n + 1; }, next: 'two' },
          two: { then: (s) => { s.n = s.n + 1; }, next: 'done' },
        },
      }),
    ],
    invariants: { 'below-two': (s) => s.n < 2 },
  });

const traceOf = (withFlag: boolean) => {
  const r = check(counter(withFlag), { variant: 'early' });
  if (!r.violation) throw new Error('expected a violation');
  return JSON.parse(JSON.stringify(r.violation.trace));
};

test('replay on another variant names the label that makes the states differ, not "labels differ"', (t) => {
  const out = replay(traceOf(false), counter(false), 'late');
  const note = out.notes.find((n) => n.startsWith('from step 1 '));
  t.truthy(note, out.notes.join('\n'));
  t.true(note!.includes('A.at="waiting" where the trace has "idle"'), note);
});

test('replay names a variable the model no longer has when it alone makes the states differ', (t) => {
  const out = replay(traceOf(true), counter(false), 'late');
  const note = out.notes.find((n) => n.startsWith('from step 1 '));
  t.truthy(note, out.notes.join('\n'));
  t.true(note!.includes('flag: the trace has false, the model has no such variable'), note);
});

test('replay names the value a step now writes differently, with the label it moves to', (t) => {
  // Same start label: the first step diverges nowhere, the second writes n=3 where the trace has 2.
  const m = defineModel({
    name: 'divergence',
    variants: { early: 'two bumps', late: 'second bump by two' },
    shared: { n: int(0, 3) },
    threads: (_p, v) => [
      thread('T', {
        start: 'one',
        end: ['done', 'other'],
        steps: {
          one: { then: (s) => { s.n = s.n + 1; }, next: 'two' },
          two: { then: (s) => { s.n = v === 'late' ? s.n + 2 : s.n + 1; }, next: v === 'late' ? 'other' : 'done' },
        },
      }),
    ],
    invariants: { 'below-two': (s) => s.n < 2 },
  });
  const r = check(m, { variant: 'early' });
  const out = replay(JSON.parse(JSON.stringify(r.violation!.trace)), m, 'late');
  const note = out.notes.find((n) => n.startsWith('from step 2 '));
  t.truthy(note, out.notes.join('\n'));
  t.true(note!.includes('n=3 where the trace has 2'), note);
  t.true(note!.includes('T.at="other" where the trace has "done"'), note);
});

test('a livelock replayed on a model that declares no progress any more is not reported as fixed: the message says progress is gone', (t) => {
  // A does its work (progress) when B has raised go; B spins, or toggles go forever (its own progress at lower), so that with no fairness A may starve.
  const model = (aProgress: boolean, bToggles: boolean) =>
    defineModel({
      name: 'turns',
      shared: { go: bool() },
      threads: [
        thread('A', { start: 'wait', end: [], steps: { wait: { when: (s: any) => s.go, next: 'work' }, work: { next: 'wait', ...(aProgress ? { progress: true } : {}) } } } as never),
        thread('B', {
          start: 'raise',
          end: [],
          steps: bToggles
            ? { raise: { then: (s: any) => { s.go = true; }, next: 'lower' }, lower: { then: (s: any) => { s.go = false; }, next: 'raise', progress: true } }
            : { raise: { next: 'raise' } },
        } as never),
      ],
    } as never);
  for (const [bToggles, property, message] of [
    [false, 'non-progress-cycle', /^the model declares no progress any more \(no progress label or step\): a livelock is judged by progress, so none is reported, and this says nothing of a fix/],
    [true, 'starvation', /^A declares no progress any more/],
  ] as const) {
    const v = check(model(true, bToggles), { fairness: 'none' }).violation!;
    t.is(v.property, property);
    t.true(v.trace.steps.every((st) => st.thread === 'B'), JSON.stringify(v.trace.steps));
    t.is(replay(v.trace, model(true, bToggles)).status, 'reproduced');
    const r = replay(v.trace, model(false, bToggles));
    t.is(r.status, 'property-holds');
    t.regex(r.verdict, message);
  }
});

test('a trace whose variant was renamed or whose parameter was taken out since: the coded error says so, and how to replay it on the new name', (t) => {
  const mk = (variant: string, param: boolean) =>
    defineModel({
      name: 'renamed',
      ...(param ? { params: { cap: int(1, 3, 1) } } : {}),
      variants: { [variant]: 'racy', other: 'other' },
      shared: { n: int(0, 3) },
      threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s: any) => { s.n = 2; }, next: 'done' } } } as never)],
      invariants: { low: (s: any) => s.n < 2 },
    } as never);
  const v = check(mk('racy', true), { variant: 'racy' }).violation!;
  const thrown = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return e as { code: string; message: string };
    }
    throw new Error('no error');
  };
  const renamed = thrown(() => replay(v.trace, mk('check-then-set', true)));
  t.is(renamed.code, 'MC303');
  t.regex(renamed.message, /has no variant "racy" \(variants: check-then-set, other\); if it was renamed, replay the trace on its new name with --variant NAME$/);
  t.is(replay(v.trace, mk('check-then-set', true), 'check-then-set').status, 'reproduced');
  const dropped = thrown(() => replay(v.trace, mk('racy', false)));
  t.is(dropped.code, 'MC301');
  t.regex(dropped.message, /has no parameter "cap" \(it takes no parameters\): the trace was made with cap=1, and a parameter it sets is no longer the model's \(the model changed since\)$/);
});

test('a trace replayed on a model whose threads were reordered, taken out or added says which', (t) => {
  const mk = (names: readonly string[]) =>
    defineModel({
      name: 'threads',
      shared: { n: int(0, 3) },
      threads: names.map((name) => thread(name, { start: 'go', end: ['done'], steps: { go: { then: (s: any) => { s.n = s.n + 1; }, next: 'done' } } } as never)),
      invariants: { low: (s: any) => s.n < 2 },
    } as never);
  const v = check(mk(['A', 'B'])).violation!;
  for (const [names, message] of [
    [['B', 'A'], /the threads differ from the model's: the same threads in another order \(thread ids and the state follow the order the model declares them in/],
    [['A'], /the threads differ from the model's: the model no longer has B \(\$\.threads/],
    [['A', 'B', 'C'], /the threads differ from the model's: it has C the trace does not know \(\$\.threads/],
  ] as const) {
    const r = replay(v.trace, mk(names));
    t.is(r.status, 'no-longer-applies', names.join());
    t.regex(r.verdict, message, names.join());
  }
});

// W[0] and W[1] read and write x; `racy` without the lock, `locked` under mutex lk (a building block).
const workers = (o: { invariant?: string; store?: 'one' | 'split' | 'renamed'; local?: string; cap?: [number, number]; overflow?: boolean } = {}) => {
  const lk = mutex('lk', ['W']);
  const r = o.local ?? 'r';
  const store = o.store ?? 'one';
  return defineModel({
    name: 'workers',
    params: { cap: int(o.cap?.[0] ?? 2, o.cap?.[1] ?? 4, o.cap?.[0] ?? 2) },
    variants: { racy: 'no lock', locked: 'under lk' },
    blocks: [lk],
    shared: { x: int(0, 4) },
    threads: (_p: unknown, v: string | null) => [
      replicate(2, 'W', {
        locals: { [r]: int(0, 4) },
        start: 'A',
        end: ['D'],
        steps: {
          lock: { at: 'A', ...(v === 'locked' ? lk.lock('W') : {}), next: 'L' },
          load: { at: 'L', then: (s: any, me: any) => { me[r] = s.x + (o.overflow ? 9 : 0); }, next: 'B' },
          ...(store === 'split'
            ? { add: { at: 'B', then: (_s: any, me: any) => { me[r] = me[r] + 1; }, next: 'C' }, store: { at: 'C', then: (s: any, me: any) => { s.x = me[r]; }, next: 'D' } }
            : { [store === 'renamed' ? 'write_back' : 'store']: { at: 'B', ...combine({ then: (s: any, me: any) => { s.x = me[r] + 1; } }, v === 'locked' ? lk.unlock('W') : {}), next: 'D' } }),
        },
      }),
    ],
    invariants: { [o.invariant ?? 'no-lost-update']: (s: any) => !(s.count('W', 'D') === 2 && s.x < 2) },
  } as never);
};
const workersTrace = () => JSON.parse(JSON.stringify(check(workers(), { variant: 'racy' }).violation!.trace));

test('replay on the fix names the part of a composed guard that is false and who holds the lock it waits for', (t) => {
  const r = replay(workersTrace(), workers(), 'locked');
  t.is(r.status, 'no-longer-applies');
  t.is(r.stop!.reason, 'guard-false');
  t.regex(r.verdict, /^step 3 \(W\[1\]: lock\) no longer applies: its guard is false: mutex_lock\(lk\): s\.lk === -1, lk held by W\[0\] \(it reads lk=0\)$/);
});

test('a trace whose invariant was renamed or taken out is not reported as "the property now holds"', (t) => {
  const r = replay(workersTrace(), workers({ invariant: 'x-counts-writers' }));
  t.is(r.status, 'no-longer-applies');
  t.is(r.stop!.field, '$.property.name');
  t.regex(r.verdict, /^the model has no invariant "no-lost-update" any more, so the trace's property cannot be judged \(\$\.property\.name\); its invariants: "x-counts-writers" \(violated in the final state\)$/);
  t.is(replay(workersTrace(), workers({ invariant: 'x-counts-writers' }), 'locked').status, 'no-longer-applies');
});

test('a step renamed or split since: replay names the steps the thread has at its label now', (t) => {
  const renamed = replay(workersTrace(), workers({ store: 'renamed' }));
  t.is(renamed.stop!.reason, 'step-missing');
  t.regex(renamed.verdict, /thread "W\[0\]" has no step "store" in this variant \(racy\); at "B" it has step "write_back"$/);
  const split = replay(workersTrace(), workers({ store: 'split' }));
  t.is(split.stop!.reason, 'wrong-label');
  t.regex(split.verdict, /W\[0\] is at label "B", but step "store" is at label "C"; at "B" it has step "add"$/);
});

test('a variable renamed since: replay names the variables the model lost and gained, not "re-execution gives nothing"', (t) => {
  const r = replay(workersTrace(), workers({ local: 'val' }));
  t.is(r.stop!.reason, 'state-differs');
  t.regex(r.verdict, /\(\$\.initial\["W\[0\]\.r"\]: the trace records 0, re-execution gives nothing\): the model no longer has the variables W\[0\]\.r, W\[1\]\.r; it has W\[0\]\.val, W\[1\]\.val, which the trace does not record$/);
});

test("a parameter's domain narrowed since so that the trace's value is outside it: MC302 says the trace was made with it", (t) => {
  try {
    replay(workersTrace(), workers({ cap: [3, 4] }));
    t.fail('no error');
  } catch (e) {
    t.is((e as { code: string }).code, 'MC302');
    t.regex((e as Error).message, /parameter cap=2 is outside its domain int 3\.\.4: the trace was made with cap=2, which the model's parameter domains no longer allow \(the model changed since\)$/);
  }
});

test('a model that now fails on a step of the trace (a value outside its domain): the coded error names the step of the trace, and show says the model fails on it, not that it does not build', (t) => {
  const m = workers({ overflow: true });
  try {
    replay(workersTrace(), m);
    t.fail('no error');
  } catch (e) {
    t.is((e as { code: string }).code, 'MC212');
    t.regex((e as Error).message, /^re-executing step 2 of the trace \(W\[0\]: load, from "L"\): .*writes W\[0\]\.r := 9, outside its domain int 0\.\.4$/);
  }
  const v = verifyTrace(workersTrace(), m);
  t.is(v.level, 'self-consistent');
  t.regex(v.note!, /^not re-executed: the model as it is now fails on it \(MC212: re-executing step 2 of the trace/);
});

test('a deadlock trace replayed on the fix names the steps enabled in its final state', (t) => {
  // A takes a then b; B takes b then a. The shortest deadlock: A takes both and ends, B waits for b forever. In `ordered` B's first step takes nothing, so it is enabled where the trace ends.
  const m = defineModel({
    name: 'abba',
    variants: { abba: 'opposite orders', ordered: 'the same order' },
    shared: { a: bool(), b: bool() },
    threads: (_p: unknown, v: string | null) => [
      thread('A', { start: 'one', end: ['done'], steps: { take_a: { at: 'one', when: (s: any) => !s.a, then: (s: any) => { s.a = true; }, next: 'two' }, take_b: { at: 'two', when: (s: any) => !s.b, then: (s: any) => { s.b = true; }, next: 'done' } } }),
      thread('B', {
        start: 'one',
        end: ['done'],
        steps: { first: { at: 'one', ...(v === 'ordered' ? {} : { when: (s: any) => !s.b, then: (s: any) => { s.b = true; } }), next: 'two' }, second: { at: 'two', when: (s: any) => !s.a, then: (s: any) => { s.a = true; }, next: 'done' } },
      }),
    ],
  } as never);
  const v = check(m, { variant: 'abba' }).violation!;
  t.is(v.trace.property.kind, 'deadlock');
  const r = replay(JSON.parse(JSON.stringify(v.trace)), m, 'ordered');
  t.is(r.status, 'property-holds');
  t.regex(r.verdict, /^the final state is not a deadlock: 1 step is enabled \(B: first\)$/);
});

test('a trace made on a variant, replayed on the model once it has no variants any more: its schedule is replayed as on another variant, show says only the schedule was, and minimize minimises on the model as it is', (t) => {
  const plain = defineModel({
    name: 'workers',
    params: { cap: int(2, 4, 2) },
    shared: { x: int(0, 4) },
    threads: [
      replicate(2, 'W', {
        locals: { r: int(0, 4) },
        start: 'A',
        end: ['D'],
        steps: { lock: { at: 'A', next: 'L' }, load: { at: 'L', then: (s: any, me: any) => { me.r = s.x; }, next: 'B' }, store: { at: 'B', then: (s: any, me: any) => { s.x = me.r + 1; }, next: 'D' } },
      }),
    ],
    invariants: { 'no-lost-update': (s: any) => !(s.count('W', 'D') === 2 && s.x < 2) },
  } as never);
  const r = replay(workersTrace(), plain);
  t.is(r.status, 'reproduced');
  t.is(r.variant, null);
  t.true(r.notes.some((n) => n.startsWith('the model has no variants any more: the trace, made on variant "racy", is replayed on it as on another variant')), r.notes.join('\n'));
  const v = verifyTrace(workersTrace(), plain);
  t.is(v.level, 'self-consistent');
  t.regex(v.note!, /^replayed as a schedule only: the model has no variant "racy" any more \(it reproduces: invariant "no-lost-update" is violated in the final state\)/);
  const m = minimize(workersTrace(), plain);
  t.is(m!.trace.variant, null);
  t.is(m!.trace.steps.length, 6);
  // The converse: a trace made before the model had variants is replayed on the first, and show does not claim its states were checked.
  const before = JSON.parse(JSON.stringify(check(plain).violation!.trace));
  const now = replay(before, workers());
  t.is(now.status, 'reproduced');
  t.true(now.notes.some((n) => n.startsWith('the trace was made on the model without variants, and the model has variants now: it is replayed on the first, "racy"')), now.notes.join('\n'));
  const shown = verifyTrace(before, workers());
  t.is(shown.level, 'self-consistent');
  t.regex(shown.note!, /^replayed as a schedule only: the trace was made on the model without variants, and it has variants now \(replayed on "racy"\)/);
});

test('a trace replayed on its model once a label it arrives at is declared progress: the stop says the label is a progress label now', (t) => {
  // A and B hand a token back and forth forever; no progress, until `held` is declared a progress label of B.
  const m = (progress: boolean) =>
    defineModel({
      name: 'token',
      shared: { tok: bool() },
      threads: [
        thread('A', { start: 'idle', end: [], steps: { give: { at: 'idle', when: (s: any) => !s.tok, then: (s: any) => { s.tok = true; }, next: 'idle' } } }),
        thread('B', { start: 'idle', end: [], ...(progress ? { progress: ['held'] } : {}), steps: { take: { at: 'idle', when: (s: any) => s.tok, next: 'held' }, back: { at: 'held', then: (s: any) => { s.tok = false; }, next: 'idle' } } }),
        thread('C', { start: 'c', end: [], labels: ['c', 'c2'], progress: ['c2'], steps: { go: { at: 'c', when: (s: any) => s.tok && !s.tok, next: 'c2' } } } as never),
      ],
    } as never);
  const v = check(m(false)).violation!;
  t.is(v.trace.property.kind, 'livelock');
  const r = replay(JSON.parse(JSON.stringify(v.trace)), m(true));
  t.is(r.status, 'no-longer-applies');
  t.regex(r.verdict, /\.progress: the trace records nothing, re-execution gives true \(label "held" it arrives at is a progress label now\)$/);
});

test('a trace whose step has fewer choices now: the stop names the choices the step has', (t) => {
  const m = (names: readonly string[]) =>
    defineModel({
      name: 'pick',
      shared: { x: int(0, 3) },
      threads: [thread('T', { start: 'a', end: ['b'], steps: { pick: { at: 'a', choose: names, then: (s: any, _me: any, c: number) => { s.x = c; }, next: 'b' } } } as never)],
      invariants: { 'below-two': (s: any) => s.x < 2 },
    } as never);
  const v = check(m(['zero', 'one', 'two'])).violation!;
  t.is(v.trace.steps[0]!.choice, 2);
  const r = replay(JSON.parse(JSON.stringify(v.trace)), m(['zero', 'one']));
  t.is(r.stop!.reason, 'choice-missing');
  t.regex(r.verdict, /choice 2 \("two"\) of step "pick" is not available; it has 2 choices \(0\.\.1\): "zero", "one" here$/);
});
