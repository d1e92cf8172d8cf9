import test from 'ava';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { bool, buildModel, defineModel, int, replicate, search, thread } from '../src/index.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

/** Coverage after a complete search: steps that never fired and labels never reached, per thread (a replicated group once). */
const model = defineModel({
  name: 'partly-dead',
  shared: { x: int(0, 2), done: bool() },
  threads: () => [
    replicate(2, 'w', {
      start: 'a',
      labels: ['never'],
      end: ['b', 'never'],
      steps: {
        go: { at: 'a', then: (s) => { s.x = s.x < 2 ? s.x + 1 : s.x; }, next: 'b' },
        dead: { at: 'a', when: (s) => s.x > 5 - 4 && s.done, next: 'never' },
      },
    }),
    thread('t', { start: 'p', end: ['p'], steps: { finish: { at: 'p', when: (s) => s.x === 2 && !s.done, then: (s) => { s.done = true; }, next: 'p' } } }),
  ],
});

test('a step whose guard never holds and the label only it leads to are reported; fired ones are not', (t) => {
  for (const store of ['exact', 'bitstate'] as const) {
    const r = search(buildModel(model, null), { store, liveness: false });
    t.is(r.verdict, 'pass', store);
    t.deepEqual(r.coverage?.unfired, [{ thread: 'w[*]', steps: ['dead'] }], store);
    t.deepEqual(r.coverage?.unreached, [{ thread: 'w[*]', labels: ['never'] }], store);
    t.deepEqual([r.coverage?.steps, r.coverage?.firedSteps, r.coverage?.labels, r.coverage?.reachedLabels], [3, 2, 4, 3], store);
  }
  // Under symmetry the replicas' marks still count for the group.
  t.deepEqual(search(buildModel(model, null), { symmetry: true, liveness: false }).coverage?.unfired, [{ thread: 'w[*]', steps: ['dead'] }]);
});

test('no coverage after a violation or a limit; full coverage says so; the command line warns and --json carries it', async (t) => {
  const viol = search(buildModel(model, null), { liveness: false, maxStates: 3 });
  t.is(viol.verdict, 'incomplete');
  t.is(viol.coverage, null);
  const r = await cli(['check', 'examples/lock.ts', '--variant', 'test-then-set', '--no-trace']);
  t.is(r.code, 1);
  t.notRegex(r.out, /coverage/);
  const ok = await cli(['check', 'examples/lock.ts', '--variant', 'atomic-xchg']);
  t.regex(ok.out, /^coverage: all 3 steps fired, all 4 labels reached$/m);
  const warn = await cli(['check', 'interval-notifier']);
  t.regex(warn.out, /^warning: coverage: 2 of 13 steps never fired, 1 of 12 labels never reached/m);
  t.regex(warn.out, /^ {2}F: steps never fired: hmm_range_fault_timeout, read_retry_timeout$/m);
  const j = JSON.parse((await cli(['check', 'examples/lock.ts', '--variant', 'atomic-xchg', '--json'])).out);
  t.deepEqual(j.coverage, { steps: 3, firedSteps: 3, labels: 4, reachedLabels: 4, unfired: [], unreached: [] });
});

test('full coverage of a model with one step and one label says so in the singular', async (t) => {
  const dir = tempDir('mmcheck-coverage-');
  try {
    const file = join(dir, 'one.ts');
    const index = JSON.stringify(join(process.cwd(), 'src/index.ts'));
    writeFileSync(file, `import { defineModel, int, thread } from ${index};
export default defineModel({ name: 'one', shared: { n: int(0, 3) }, deadlock: false,
  threads: () => [thread('t', { start: 'a', steps: { inc: { at: 'a', when: (s) => s.n < 3, then: (s) => { s.n = s.n + 1; }, next: 'a' } } })] });
`);
    const r = await cli(['check', file, '--no-liveness']);
    t.is(r.code, 0, r.err);
    t.regex(r.out, /^coverage: the one step fired, the one label reached$/m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
