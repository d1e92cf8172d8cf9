/**
 * `replay`, `show`, `minimize` (its check that the trace reproduces) and
 * `swarm-merge` load the model and re-execute traces in a watched thread,
 * as `check` searches in one: SIGINT and SIGTERM, `--time-limit` and the
 * memory ceiling stop a step that never returns, and the run says at which
 * trace step it was, exit 3, writing nothing. Before, they ran the model's
 * steps in the main thread: such a step hung them for good (only SIGKILL
 * ended them), and a signal ended them with Node's exit 130 and no word.
 *
 * The model: one thread, two steps, `go` then `spin`; spin's effect loops
 * forever in hang.ts (in says.ts, saying so on stderr first, so that a test
 * sends its signal once the step runs) and returns in ok.ts, the same model
 * otherwise. The trace is made by `check ok.ts` and replayed with `--model
 * hang.ts`.
 */
import test from 'ava';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, signalledProcess } from './helpers/cli.ts';
import { longTrace } from './helpers/long-trace.ts';
import { tempDir } from './helpers/tmp.ts';

const ENTRY = JSON.stringify(resolve('src/index.ts'));
const SPINNING = /^spinning$/m;

/** The model, spin's effect doing `spin` first (`head`: code at the top of the module). */
const spinModel = (spin: string, head = '') => `import { defineModel, thread, int } from ${ENTRY};
${head}
export default defineModel({
  name: 'spin',
  shared: { x: int(0, 3) },
  threads: [
    thread('a', { start: 'go', end: ['done'], steps: {
      go: { then: (s) => { s.x = 1; }, next: 'spin' },
      spin: { then: (s) => { ${spin} s.x = 2; }, next: 'done' },
    } }),
  ],
  invariants: { small: (s) => s.x < 2 },
});
`;

const HANG = "console.error('spinning'); for (;;) {}";

/** A scratch folder with ok.ts, hang.ts, says.ts and t.json, the trace `check ok.ts` saves (two steps: a: go, a: spin). */
async function scratch(): Promise<string> {
  const dir = tempDir('mmcheck-watched-');
  writeFileSync(join(dir, 'ok.ts'), spinModel(''));
  writeFileSync(join(dir, 'hang.ts'), spinModel('for (;;) {}'));
  writeFileSync(join(dir, 'says.ts'), spinModel(HANG));
  const r = await cli(['check', 'ok.ts', '--trace-out', 't.json'], dir);
  if (r.code !== 1) throw new Error(`check ok.ts: exit ${r.code}\n${r.out}${r.err}`);
  return dir;
}

const signal = (send: NodeJS.Signals) => ({ send, when: SPINNING });
const ENDED = "trace step 2 of 2 (a: spin) did not return, replaying the trace, and the thread running it was ended (the step's guard or effect may not return, or allocates without bound)";

test('SIGINT to replay while a step of the trace never returns: the step is named, exit 3 (before: exit 130, no word)', async (t) => {
  const dir = await scratch();
  const r = await signalledProcess(['replay', 't.json', '--model', 'says.ts'], dir, signal('SIGINT'));
  t.is(r.code, 3, r.out + r.err);
  t.is(r.out, `incomplete: the replay of t.json was interrupted by SIGINT: ${ENDED}\n`);
  const j = await signalledProcess(['replay', 't.json', '--model', 'says.ts', '--json'], dir, signal('SIGTERM'));
  t.is(j.code, 3, j.out + j.err);
  t.like(JSON.parse(j.out), { format: 'mmcheck-replay/1', status: 'incomplete', steps: 2, replayStopped: { reason: 'interrupted', signal: 'SIGTERM', forced: true, task: 'replay', at: 'step', index: 1, thread: 'a', step: 'spin', steps: 2 } });
});

test('SIGTERM to show -o FILE while a step never returns: MC440 naming the step, exit 3, FILE left as it was and no temporary file', async (t) => {
  const dir = await scratch();
  const fresh = await signalledProcess(['show', 't.json', '--model', 'says.ts', '--format', 'html', '-o', 'new.html'], dir, signal('SIGTERM'));
  t.is(fresh.code, 3, fresh.out + fresh.err);
  t.is(fresh.out, '');
  t.is(fresh.err, `spinning\nmmcheck: error MC440: show was interrupted by SIGTERM: ${ENDED}; nothing was written\n`);
  t.false(existsSync(join(dir, 'new.html')));
  // An existing rendering keeps its content.
  t.is((await cli(['show', 't.json', '--model', 'ok.ts', '-o', 'old.txt'], dir)).code, 0);
  const before = readFileSync(join(dir, 'old.txt'), 'utf8');
  const files = readdirSync(dir).sort();
  const again = await signalledProcess(['show', 't.json', '--model', 'says.ts', '-o', 'old.txt'], dir, signal('SIGINT'));
  t.is(again.code, 3, again.out + again.err);
  t.regex(again.err, /^mmcheck: error MC440: show was interrupted by SIGINT: trace step 2 of 2 \(a: spin\) did not return/m);
  t.is(readFileSync(join(dir, 'old.txt'), 'utf8'), before);
  t.deepEqual(readdirSync(dir).sort(), files);
});

test('replay --time-limit 1 and show --time-limit 1 stop a step that never returns and name it, exit 3 (text and JSON)', async (t) => {
  const dir = await scratch();
  const r = await cli(['replay', 't.json', '--model', 'hang.ts', '--time-limit', '1'], dir);
  t.is(r.code, 3, r.out + r.err);
  t.is(r.out, `incomplete: the replay of t.json was stopped at the time limit (--time-limit 1 s): ${ENDED}\n`);
  const j = await cli(['replay', 't.json', '--model', 'hang.ts', '--time-limit', '1', '--json'], dir);
  t.is(j.code, 3);
  const o = JSON.parse(j.out);
  t.like(o.replayStopped, { reason: 'time-limit', signal: null, forced: true, task: 'replay', variant: null, at: 'step', index: 1, thread: 'a', step: 'spin', steps: 2 });
  t.true(o.replayStopped.seconds >= 1);
  const s = await cli(['show', 't.json', '--model', 'hang.ts', '--time-limit', '1', '-o', 'page.txt'], dir);
  t.is(s.code, 3);
  t.regex(s.err, /^mmcheck: error MC440: show was stopped at the time limit \(--time-limit 1 s\): trace step 2 of 2 \(a: spin\) did not return/m);
  t.false(existsSync(join(dir, 'page.txt')));
});

test('a replay stopped between two steps (--time-limit on a long trace) says where, not forced; a normal replay of it is unchanged by the limits', async (t) => {
  const dir = tempDir('mmcheck-watched-');
  writeFileSync(join(dir, 'long.json'), JSON.stringify(longTrace(40_000)));
  const model = resolve('test/helpers/long-model.ts');
  const j = await cli(['replay', 'long.json', '--model', model, '--time-limit', '0.05', '--json'], dir);
  t.is(j.code, 3, j.out + j.err);
  const s = JSON.parse(j.out).replayStopped;
  t.like(s, { reason: 'time-limit', forced: false, task: 'replay', variant: 'overflow', at: 'step', steps: 40_000 });
  t.true(s.index >= 0 && s.index < 40_000);
  t.is(s.thread, s.index % 2 === 0 ? 'even' : 'odd');
  const text = await cli(['replay', 'long.json', '--model', model, '--time-limit', '0.05'], dir);
  t.regex(text.out, /^incomplete: the replay of long\.json was stopped at the time limit \(--time-limit 0\.05 s\) at trace step [\d,]+ of 40,000 \((even|odd): bump\), replaying the trace on variant "overflow"\n$/);
  // Within generous limits the replay is what it was without them.
  const plain = await cli(['replay', 'long.json', '--model', model], dir);
  const limited = await cli(['replay', 'long.json', '--model', model, '--time-limit', '600', '--memory-limit', '100000'], dir);
  t.is(plain.code, 0);
  t.is(limited.code, 0);
  t.is(limited.out, plain.out);
  t.regex(plain.out, /^replaying long\.json against long-counter \/ overflow: 40,000 steps\n(?:note: .*\n)?reproduced: invariant "below" is violated in the final state\n$/);
});

test('a normal replay and show are unchanged: the same lines, JSON and rendering, the blocked threads explained (limits given or not)', async (t) => {
  const trace = 'traces/gpusvm-evict.unmap-under-notifier-lock.nC0-nG1-evictRetries2-cTrylockFailrefault.deadlock.json';
  const r = await cli(['replay', trace, '--time-limit', '120']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^replaying traces\/gpusvm-evict\.[^\n]+ against gpusvm-evict \/ unmap-under-notifier-lock: \d+ steps\nreproduced: no step is enabled in the final state/);
  t.regex(r.out, /waits for/);
  t.is((await cli(['replay', trace])).out, r.out);
  const j = JSON.parse((await cli(['replay', trace, '--json', '--memory-limit', '100000'])).out);
  t.like(j, { format: 'mmcheck-replay/1', status: 'reproduced', stop: null });
  t.true(j.blocked.length > 0);
  const shown = await cli(['show', trace, '--time-limit', '120']);
  t.is(shown.code, 0);
  t.is((await cli(['show', trace])).out, shown.out);
  t.regex(shown.out, /waits for/);
});

test('minimize: SIGINT or --time-limit while its check of the trace is in a step that never returns: where, nothing written, exit 3 (before: the signal was not even seen)', async (t) => {
  const dir = await scratch();
  const r = await signalledProcess(['minimize', 't.json', '--model', 'says.ts'], dir, signal('SIGINT'));
  t.is(r.code, 3, r.out + r.err);
  t.is(r.out, `incomplete: the check that t.json reproduces was interrupted by SIGINT: ${ENDED}; nothing was written\n`);
  t.false(existsSync(join(dir, 't.min.json')));
  // The check gets at least 5 s, whatever a smaller limit meant for the minimising search.
  const j = await cli(['minimize', 't.json', '--model', 'hang.ts', '--time-limit', '1', '--json'], dir);
  t.is(j.code, 3, j.out + j.err);
  const o = JSON.parse(j.out);
  t.is(o.minimized, null);
  t.like(o.replayStopped, { reason: 'time-limit', forced: true, at: 'step', index: 1, thread: 'a', step: 'spin' });
  t.true(o.replayStopped.seconds >= 5);
  t.false(existsSync(join(dir, 't.min.json')));
});

test('swarm-merge: SIGINT while a member\'s counterexample is replayed in a step that never returns: MC440 naming the member and the step, exit 3', async (t) => {
  const dir = tempDir('mmcheck-watched-');
  // The same model file (and model hash) for the members and the merge; its step loops only when the merge's environment says so.
  writeFileSync(join(dir, 'env.ts'), spinModel(`if (HANG) { ${HANG} }`, "const HANG = process.env.MMCHECK_TEST_HANG === '1';"));
  for (const i of [0, 1]) {
    const m = await cli(['check', 'env.ts', '--swarm', '2', '--seed', '1', '--member', String(i), '-o', `m${i}.json`], dir);
    t.is(m.code, 0, m.out + m.err);
  }
  const r = await signalledProcess(['swarm-merge', 'm0.json', 'm1.json', '--model', 'env.ts', '--no-trace', '--json'], dir, signal('SIGINT'), { MMCHECK_TEST_HANG: '1' });
  t.is(r.code, 3, r.out + r.err);
  const message = "swarm-merge was interrupted by SIGINT: trace step 2 of 2 (a: spin) did not return, replaying member 0's counterexample, and the thread running it was ended (the step's guard or effect may not return, or allocates without bound); nothing was merged";
  t.deepEqual(JSON.parse(r.out), { format: 'mmcheck-error/1', error: { code: 'MC440', message } });
  t.regex(r.err, new RegExp(`^mmcheck: error MC440: ${message.replace(/[()]/g, '\\$&')}$`, 'm'));
});

test('a model file whose top level never returns: a signal while replay or show loads it is MC376, exit 3 (before: exit 130)', async (t) => {
  const dir = await scratch();
  writeFileSync(join(dir, 'top.ts'), `console.error('spinning');\nfor (;;) {}\n${spinModel('')}`);
  for (const cmd of ['replay', 'show']) {
    const r = await signalledProcess([cmd, 't.json', '--model', 'top.ts'], dir, signal('SIGINT'));
    t.is(r.code, 3, `${cmd}: ${r.out}${r.err}`);
    t.regex(r.err, /^mmcheck: error MC376: interrupted by SIGINT before the trace was re-executed$/m, cmd);
  }
});
