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
