/**
 * A model error in some state (a step or invariant that throws, a write
 * outside a domain) comes with the path to the first such state in
 * breadth-first order: the same error and path whatever the search options
 * (symmetry, POR, depth-first, workers), from the API, the command line and
 * its JSON.
 */
import test from 'ava';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bool, check, defineModel, int, isMcError, thread, type McError, type Model } from '../src/index.ts';
import { loadModel } from '../src/run/load.ts';
import { errorPathOf } from '../src/trace/error-path.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

/** Two CPUs take a lock in two steps (racy); the second to enter dereferences a null when the first is already inside. */
const SOURCE = (from: string) => `import { defineModel, bool, oneOf, threadId, replicate } from ${from};
export default defineModel({
  name: 'npe',
  expect: { verdict: 'pass' },
  shared: { locked: bool(), owner: threadId('cpu', { none: true }), inside: oneOf('nobody', 'one', 'two') },
  threads: [
    replicate(2, 'cpu', {
      start: 'acquire',
      end: ['done'],
      steps: {
        acquire: { when: (s) => !s.locked, next: 'set' },
        set: { then: (s, me) => { s.locked = true; s.owner = me.id; }, next: 'enter' },
        enter: { then: (s) => { if (s.inside === 'one') { const slot = null; slot.owner = 1; } s.inside = 'one'; }, next: 'leave' },
        leave: { then: (s) => { s.inside = 'nobody'; s.locked = false; s.owner = -1; }, next: 'done' },
      },
    }),
  ],
});
`;

/** The model file, written once, and the model loaded from it in this process. */
const dir = tempDir('mmcheck-errpath-');
writeFileSync(join(dir, 'npe.ts'), SOURCE(JSON.stringify(resolve('src/index.ts'))));
const npe = async () => (await loadModel(join(dir, 'npe.ts'))) as Model;

function thrown(f: () => unknown): McError {
  try {
    f();
  } catch (e) {
    if (isMcError(e)) return e;
    throw e;
  }
  throw new Error('no error');
}

const pathOf = (e: McError) => {
  const p = errorPathOf(e);
  return p === null ? null : { steps: p.trace.steps.map((s) => `${s.thread}:${s.step}`), then: p.then };
};

test('a step that throws: the error, with the shortest path to the first state it throws in, the same under every reduction and strategy', async (t) => {
  const model = await npe();
  const base = thrown(() => check(model));
  t.is(base.code, 'MC135');
  t.regex(base.message, /thread "cpu\[1\]" step "enter": threw TypeError/);
  const want = { steps: ['cpu[0]:acquire', 'cpu[1]:acquire', 'cpu[0]:set', 'cpu[0]:enter', 'cpu[1]:set'], then: { thread: 'cpu[1]', step: 'enter', choice: 0 } };
  t.deepEqual(pathOf(base), want);
  // The search that met it first names the canonical state's thread (symmetry), or another state (depth-first, POR): the error reported is the one found breadth-first.
  for (const options of [{ symmetry: true }, { por: true }, { strategy: 'dfs' as const }, { por: true, symmetry: true, strategy: 'dfs' as const }, { store: 'hash-compact' as const }]) {
    const e = thrown(() => check(model, options));
    t.is(e.message, base.message, JSON.stringify(options));
    t.deepEqual(pathOf(e), want, JSON.stringify(options));
  }
  // The path's changes are recorded as a trace's.
  t.deepEqual(errorPathOf(base)!.trace.steps[2]!.changes, { locked: true, owner: 0 });
});

test('an invariant that throws, and a write outside a domain: the path to the state', (t) => {
  const counter = (inv: (s: any) => boolean) =>
    defineModel({ name: 'count', shared: { n: int(0, 3), flag: bool() }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s: any) => { s.n = s.n + 1; }, next: 'go' }, flip: { then: (s: any) => { s.flag = !s.flag; }, next: 'go' } } } as never)], invariants: { inv } } as never);
  const e = thrown(() => check(counter((s) => (s.n === 2 ? (null as any).x : true))));
  t.is(e.code, 'MC135');
  t.regex(e.message, /invariant "inv": threw TypeError/);
  t.deepEqual(pathOf(e), { steps: ['t:go', 't:go'], then: { invariant: 'inv' } });
  // The counter's fourth increment writes 4 into int(0, 3).
  const w = thrown(() => check(counter(() => true)));
  t.is(w.code, 'MC212');
  t.deepEqual(pathOf(w), { steps: ['t:go', 't:go', 't:go'], then: { thread: 't', step: 'go', choice: 0 } });
  // In the initial state: no step to show.
  const init = thrown(() => check(counter((s) => (s.n === 0 ? (null as any).x : true))));
  t.deepEqual(pathOf(init), { steps: [], then: { invariant: 'inv' } });
});

test('the command line prints the path under the error, and --json gives it as error.path, with one worker or two', async (t) => {
  const text = await cli(['check', 'npe.ts', '--symmetry'], dir);
  t.is(text.code, 2);
  t.regex(text.err, /^mmcheck: error MC135: model "npe", thread "cpu\[1\]" step "enter": threw TypeError: Cannot set properties of null \(setting 'owner'\)\n\nhow the state is reached: 5 steps, the fewest/);
  t.regex(text.err, /\n5 \| +\| set →enter \| owner=1\n\nin the state after step 5, step "enter" of cpu\[1\] fails so \(the error above\)\n$/);
  for (const workers of ['1', '2']) {
    const json = await cli(['check', 'npe.ts', '--json', '--workers', workers], dir);
    t.is(json.code, 2);
    const r = JSON.parse(json.out);
    t.is(r.error.code, 'MC135');
    t.deepEqual(r.error.path.then, { thread: 'cpu[1]', step: 'enter', choice: 0 });
    t.deepEqual(r.error.path.steps.map((s: { thread: string; step: string }) => `${s.thread}:${s.step}`), ['cpu[0]:acquire', 'cpu[1]:acquire', 'cpu[0]:set', 'cpu[0]:enter', 'cpu[1]:set']);
  }
  // mmcheck test: the failed case says where, on one line.
  const suite = await cli(['test', '.', '--json'], dir);
  t.is(suite.code, 1);
  t.deepEqual(JSON.parse(suite.out).cases[0].diffs.slice(1), ['reached by cpu[0] acquire, cpu[1] acquire, cpu[0] set, cpu[0] enter, cpu[1] set (5 steps, the fewest); then step "enter" of cpu[1] fails so']);
});

test('a step that threw once and never again (a counter outside the state): MC160 saying so, not the error without a path', (t) => {
  let calls = 0;
  const once = () => ++calls === 31;
  const flaky = defineModel({
    name: 'flaky',
    shared: { n: int(0, 7), m: int(0, 7) },
    threads: [
      thread('a', { start: 'go', steps: { go: { when: (s: any) => s.n < 7, then: (s: any) => { if (once()) throw new Error('only the 31st time'); s.n = s.n + 1; }, next: 'go' } } } as never),
      thread('b', { start: 'go', steps: { go: { when: (s: any) => s.m < 7, then: (s: any) => { s.m = s.m + 1; }, next: 'go' } } } as never),
    ],
  } as never);
  const e = thrown(() => check(flaky, { deadlock: false }));
  t.is(e.code, 'MC160');
  t.regex(e.message, /^model "flaky" is not deterministic: the search stopped with error MC135 \(model "flaky", thread "a" step "go": threw Error: only the 31st time\), but a breadth-first search of one thread from the initial state, without reductions, then executed every step and invariant in all 64 reachable states without an error/);
  t.is(errorPathOf(e), null);
});
