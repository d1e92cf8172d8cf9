import test from 'ava';
import { bool, buildModel, defineModel, int, replicate, search, thread } from '../src/index.ts';
import { cli } from './helpers/cli.ts';

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
