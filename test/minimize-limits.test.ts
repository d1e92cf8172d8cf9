/**
 * The minimising search (`check --minimize`, `mmcheck minimize`) runs in a
 * watched thread as the search does: SIGINT and SIGTERM, --time-limit and
 * the memory ceiling stop it, and the run says how far it got. Before, it
 * ran in the main thread after the search: a signal there was held back
 * until it ended (check) or ended the process with Node's exit 130 and no
 * word (minimize), and no limit applied to it.
 *
 * The model: dining philosophers, n=16. Its depth-first counterexample
 * (5,839 steps) is found in a fraction of a second; the minimising search
 * is a breadth-first search of 1.3 M states to depth 16, seconds long.
 */
import test from 'ava';
import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, signalledProcess } from './helpers/cli.ts';
import { buildModel } from '../src/model/build.ts';
import { search } from '../src/search/check.ts';
import { minimalViolation, MinimizeStopped } from '../src/search/minimal.ts';
import { minimizeViolation } from '../src/trace/minimize.ts';
import { genModel, toModel } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

const DINING = ['dining', '-p', 'n=16', '--strategy', 'dfs'];

/** A scratch folder holding the depth-first counterexample of dining(16). */
async function withDfsTrace(): Promise<string> {
  const dir = tempDir('mmcheck-minlim-');
  const r = await cli(['check', ...DINING, '--trace-out', 'd.json'], dir);
  if (r.code !== 1) throw new Error(`check dining: exit ${r.code}\n${r.out}${r.err}`);
  return dir;
}

/** bin/mmcheck.js, sent `signal` once its stderr shows the minimising search's first progress line. */
function signalledWhileMinimizing(args: readonly string[], cwd: string, signal: NodeJS.Signals): Promise<{ code: number | null; out: string; err: string }> {
  return signalledProcess([...args, '--progress'], cwd, { send: signal, when: /^\[mmcheck minimize\] /m });
}

test('minimalViolation: a poll that never stops changes nothing; one that stops throws MinimizeStopped with how far it got', (t) => {
  let compared = 0;
  fc.assert(
    fc.property(genModel(), (g) => {
      const b = buildModel(toModel(g), null);
      const r = search(b, {});
      if (!r.violation) return true;
      compared++;
      let polls = 0;
      const same = minimizeViolation(r.runtime, r.violation, () => (polls++, false));
      if (polls === 0) return false;
      if (JSON.stringify(same) !== JSON.stringify(minimizeViolation(r.runtime, r.violation))) return false;
      try {
        minimalViolation(r.runtime, r.violation, () => true);
        return false;
      } catch (e) {
        return e instanceof MinimizeStopped && e.states >= 1 && e.depth === 0;
      }
    }),
    { numRuns: 150 },
  );
  t.true(compared >= 20, `only ${compared} violations`);
});

test('minimize --time-limit stops the minimising search: how far it got, nothing written, exit 3 (text and JSON)', async (t) => {
  const dir = await withDfsTrace();
  const text = await cli(['minimize', 'd.json', '--time-limit', '0.5'], dir);
  t.is(text.code, 3, text.out + text.err);
  t.regex(text.out, /^incomplete: the minimising search was stopped at the time limit \(--time-limit\) after [1-9][\d,]* states \(depth \d+ of at most 5839\); nothing was written$/m);
  t.false(existsSync(join(dir, 'd.min.json')));
  const json = await cli(['minimize', 'd.json', '--time-limit', '0.5', '--json'], dir);
  t.is(json.code, 3);
  const j = JSON.parse(json.out);
  t.is(j.minimized, null);
  t.like(j.minimizeStopped, { reason: 'time-limit', signal: null, forced: false });
  t.true(j.minimizeStopped.states > 0 && j.minimizeStopped.transitions > 0);
  t.false(existsSync(join(dir, 'd.min.json')));
});

test('check --minimize: the minimising search gets what is left of --time-limit; stopped, the search\'s counterexample is reported and saved, exit 1', async (t) => {
  const dir = tempDir('mmcheck-minlim-');
  // The search takes about 0.05 s of the 0.6 and the minimising search 1.5 s or more on its own (2 s was too close: a fast machine finished it).
  const r = await cli(['check', ...DINING, '--minimize', '--time-limit', '0.6', '--trace-out', 't.json'], dir);
  t.is(r.code, 1, r.out + r.err);
  t.regex(r.out, /^minimize: stopped at the time limit \(--time-limit\) after [1-9][\d,]* states \(depth \d+ of at most 5839\); the counterexample above is the search's, not minimised$/m);
  t.notRegex(r.out, /^minimized: /m);
  t.is(JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')).steps.length, 5839);
  const j = JSON.parse((await cli(['check', ...DINING, '--minimize', '--time-limit', '0.6', '--no-trace', '--json'], dir)).out);
  t.is(j.verdict, 'violation');
  t.is(j.violation.length, 5839);
  t.false('minimized' in j.violation);
  t.like(j.violation.minimizeStopped, { reason: 'time-limit', forced: false });
});

test('SIGINT or SIGTERM while minimising ends the run at once with how far it got: minimize exit 3, nothing written; check --minimize exit 1 with the search\'s trace saved', async (t) => {
  const dir = await withDfsTrace();
  const [m, c] = await Promise.all([signalledWhileMinimizing(['minimize', 'd.json'], dir, 'SIGTERM'), signalledWhileMinimizing(['check', ...DINING, '--minimize', '--trace-out', 'c.json'], dir, 'SIGINT')]);
  t.is(m.code, 3, m.out + m.err);
  t.regex(m.out, /^incomplete: the minimising search was interrupted by SIGTERM after [1-9][\d,]* states \(depth \d+ of at most 5839\); nothing was written$/m);
  t.false(existsSync(join(dir, 'd.min.json')));
  // Before, the signal waited for the minimisation to end, which then printed its result.
  t.is(c.code, 1, c.out + c.err);
  t.regex(c.out, /^minimize: interrupted by SIGINT after [1-9][\d,]* states \(depth \d+ of at most 5839\); the counterexample above is the search's, not minimised$/m);
  t.notRegex(c.out, /^minimized: /m);
  t.regex(c.out, /^trace saved: c\.json$/m);
  t.is(JSON.parse(readFileSync(join(dir, 'c.json'), 'utf8')).steps.length, 5839);
});

test('check --minimize: a step that never returns in a state only the minimising search reaches ends its thread at the time limit; the search\'s counterexample stands (before, the run hung, deaf to signals)', async (t) => {
  const dir = tempDir('mmcheck-minlim-');
  // Depth-first, the search goes a, a to x=2 and never expands the state after b's step, where c's effect loops.
  writeFileSync(
    join(dir, 'hang.ts'),
    `import { defineModel, thread, int } from ${JSON.stringify(resolve('src/index.ts'))};
export default defineModel({
  name: 'hang-min',
  shared: { x: int(0, 3), y: int(0, 1) },
  threads: [
    thread('a', { start: 's', end: ['s'], steps: { s: { when: (s) => s.x < 3, then: (s) => { s.x = s.x + 1; }, next: 's' } } }),
    thread('b', { start: 's', end: ['s'], steps: { s: { when: (s) => s.y === 0, then: (s) => { s.y = 1; }, next: 's' } } }),
    thread('c', { start: 's', end: ['s'], steps: { s: { when: (s) => s.y === 1 && s.x === 0, then: () => { for (;;) {} }, next: 's' } } }),
  ],
  invariants: { small: (s) => s.x < 2 },
});
`,
  );
  const r = await cli(['check', 'hang.ts', '--strategy', 'dfs', '--minimize', '--time-limit', '1', '--trace-out', 'h.json', '--json'], dir);
  t.is(r.code, 1, r.out + r.err);
  const j = JSON.parse(r.out);
  t.is(j.violation.length, 2);
  t.like(j.violation.minimizeStopped, { reason: 'time-limit', forced: true, depth: 1 });
  t.is(JSON.parse(readFileSync(join(dir, 'h.json'), 'utf8')).steps.length, 2);
});
