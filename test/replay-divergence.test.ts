import test from 'ava';
import { bool, check, defineModel, int, thread } from '../src/index.ts';
import { replay } from '../src/trace/replay.ts';

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
