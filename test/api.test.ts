import test from 'ava';
import { buildModel, check, defineModel, expectationsOf, int, search, thread } from '../src/index.ts';
import migrationEntryWait from '../models/migration-entry-wait.ts';

/**
 * The public entry is all a user imports: the livelock search is part of
 * `search`, with nothing else to load first. (Each test file runs in its
 * own process, so no other test's imports can make this pass.)
 */
test('the public API alone finds the put-and-wait livelock of migration-entry-wait', (t) => {
  const built = buildModel(migrationEntryWait, 'put-and-wait', {});
  const r = search(built);
  t.is(r.verdict, 'violation');
  t.is(r.violation?.kind, 'livelock');
  t.true(r.livenessChecked);
  t.is(typeof r.violation?.cycleStart, 'number');
  // The model's own expectation for the variant at default parameters says the same.
  const expected = expectationsOf(migrationEntryWait, 'put-and-wait').find((e) => e.params === undefined || Object.keys(e.params).length === 0);
  t.like(expected, { verdict: 'violation', kind: 'livelock' });
});

test('check() refuses an unknown option, a value an option does not take, workers above 1 and a value that is no model (a JavaScript caller has no types to catch them)', (t) => {
  const m = defineModel({ name: 'one', shared: { n: int(0, 1) }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s) => { s.n = 1; }, next: 'done' } } })] });
  const coded = (f: () => unknown, code: string, re: RegExp) => {
    const e = t.throws(f) as { code?: string; message: string };
    t.is(e.code, code, e.message);
    t.regex(e.message, re);
  };
  coded(() => check(m, { fairnes: 'none' } as never), 'MC340', /check\(\): unknown option "fairnes" \(options: variant, params, strategy, /);
  coded(() => check(m, { strategy: 'bfz' } as never), 'MC340', /option strategy must be one of "bfs", "dfs", got "bfz"/);
  coded(() => check(m, { liveness: 'no' } as never), 'MC340', /option liveness must be true or false, got "no"/);
  coded(() => check(m, { timeLimit: -1 }), 'MC340', /option timeLimit must be a number from 0, got -1/);
  coded(() => check(m, { workers: 2 }), 'MC340', /option workers must be 1 \(the API searches in the calling thread/);
  coded(() => check({ name: 'x' } as never), 'MC141', /check\(\): the model must be what defineModel\(\{\.\.\.\}\) returns/);
  t.is(check(m, { strategy: 'dfs', fairness: 'none', timeLimit: Infinity, variant: null, onProgress: null }).verdict, 'pass');
});

test('replay and minimize refuse a trace that does not reproduce on its own unchanged model (MC406), also on another variant; a changed model replays it', async (t) => {
  const { bool, minimize, replay } = await import('../src/index.ts');
  const lock = (invariantDoc: string) =>
    defineModel({
      name: 'lock-edit',
      variants: { racy: 'test, then set', atomic: 'one exchange' },
      shared: { locked: bool(), inside: int(0, 2) },
      threads: (_p, v) => [
        thread('a', { start: 'test', end: ['done'], steps: v === 'racy' ? { test: { when: (s) => !s.locked, next: 'set' }, set: { then: (s) => { s.locked = true; }, next: 'in' }, in: { then: (s) => { s.inside += 1; }, next: 'out' }, out: { then: (s) => { s.inside -= 1; s.locked = false; }, next: 'done' } } : { test: { when: (s) => !s.locked, then: (s) => { s.locked = true; }, next: 'set' }, set: { next: 'in' }, in: { then: (s) => { s.inside += 1; }, next: 'out' }, out: { then: (s) => { s.inside -= 1; s.locked = false; }, next: 'done' } } }),
        thread('b', { start: 'test', end: ['done'], steps: v === 'racy' ? { test: { when: (s) => !s.locked, next: 'set' }, set: { then: (s) => { s.locked = true; }, next: 'in' }, in: { then: (s) => { s.inside += 1; }, next: 'out' }, out: { then: (s) => { s.inside -= 1; s.locked = false; }, next: 'done' } } : { test: { when: (s) => !s.locked, then: (s) => { s.locked = true; }, next: 'set' }, set: { next: 'in' }, in: { then: (s) => { s.inside += 1; }, next: 'out' }, out: { then: (s) => { s.inside -= 1; s.locked = false; }, next: 'done' } } }),
      ],
      invariants: { [invariantDoc]: (s) => s.inside < 2 },
    });
  const m = lock('exclusive');
  const trace = check(m, { variant: 'racy' }).violation!.trace;
  t.is(replay(trace, m).status, 'reproduced');
  // The unedited trace on the fix: where it stops applying, no error.
  t.is(replay(trace, m, { variant: 'atomic' }).status, 'no-longer-applies');
  // Its last step cut off: the trace still agrees with itself, and the property holds at its end.
  const cut = { ...trace, steps: trace.steps.slice(0, -1) };
  for (const run of [() => replay(cut, m), () => replay(cut, m, { variant: 'atomic' }), () => minimize(cut, m)]) {
    const e = t.throws(run) as Error & { code?: string };
    t.is(e.code, 'MC406');
    t.regex(e.message, /does not reproduce on the model it names, unchanged \(the same model hash\): invariant "exclusive" holds in the final state; its data were edited/);
  }
  // A changed model (another hash) is no refusal; its invariant renamed, the trace's property cannot be judged there, which is never "the property now holds".
  const changed = lock('exclusive-renamed');
  const r = replay(cut, changed);
  t.is(r.status, 'no-longer-applies');
  t.is(r.stop!.field, '$.property.name');
  t.regex(r.notes.join('\n'), /the model has changed since the trace was made/);
});
