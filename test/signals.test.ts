/**
 * A SIGINT or SIGTERM at any moment of a run ends it with a coded message
 * and the documented exit code (docs/errors.md): MC376 and exit 3 before a
 * part of the run takes the signals, the command's own partial result and
 * exit 3 while one does, the complete result and its code once the run has
 * finished. Only while Node itself starts, before it runs bin/mmcheck.js,
 * does a signal end the process as Node's own (130 or 143, no word): the
 * runs here say when bin/mmcheck.js took the signals (a preload module
 * reports its SIGTERM listener on a pipe), and a process ended by the
 * signal after that fails the test, whatever the timing.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli } from './helpers/cli.ts';
import { checkJsonResult } from './helpers/result-schema.ts';
import { tempDir } from './helpers/tmp.ts';

const BIN = resolve('bin/mmcheck.js');
const INDEX = JSON.stringify(resolve('src/index.ts'));
const dir = tempDir('mmcheck-signals-');

/**
 * Preloaded in the child (`--require`): writes a line on fd 3 as the process
 * adds its first SIGTERM listener (bin/mmcheck.js adds its SIGINT and SIGTERM
 * listeners first thing, in that order). Node starts handling a signal in a
 * 'newListener' listener of its own, which runs before this one.
 */
const MARK = join(dir, 'mark.cjs');
writeFileSync(
  MARK,
  `const { isMainThread } = require('node:worker_threads');
if (isMainThread) {
  const { writeSync } = require('node:fs');
  process.on('newListener', function mark(event) {
    if (event !== 'SIGTERM') return;
    process.off('newListener', mark);
    try { writeSync(3, 'listening\\n'); } catch {}
  });
}
`,
);

/** A folder holding one model of four counters (61^4 states at m=60: a search that runs for seconds), with an expectation per m; its build says which m it builds, on stderr. */
function bigModel(name: string, ms: readonly number[]): string {
  const folder = join(dir, name);
  mkdirSync(folder);
  writeFileSync(join(folder, 'big.ts'), `import { defineModel, thread, int, replicate } from ${INDEX};
export default defineModel({
  name: 'big',
  shared: {},
  deadlock: false,
  params: { m: int(1, 200, 1) },
  expect: [${ms.map((m) => `{ verdict: 'pass', params: { m: ${m} } }`).join(', ')}],
  threads: (p) => {
    console.error('[building m=' + p.m + ']');
    return [replicate(4, 'c', { start: 'a', locals: { n: int(0, 200) }, steps: {
      up: { at: 'a', when: (s, me) => me.n < p.m, then: (s, me) => { me.n = me.n + 1; }, next: 'a' },
    } })];
  },
});
`);
  return folder;
}

interface Run {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  /** bin/mmcheck.js had added its listeners, as this process saw, when the signal was sent (null: no signal sent). */
  listeningAtKill: boolean | null;
  /** Milliseconds from the spawn to the signal (null: none sent). */
  killedAt: number | null;
}

/**
 * bin/mmcheck.js as a child process; `signal` is sent `delayMs` after the
 * spawn, after stdout or stderr first matches `after`, or (`after:
 * 'listening'`) after bin/mmcheck.js added its listener. A run that hangs is
 * killed after a minute (and fails its test).
 */
function run(args: readonly string[], signal: { name: NodeJS.Signals; delayMs: number; after?: RegExp | 'listening' } | null, cwd = dir): Promise<Run> {
  return new Promise((done, fail) => {
    const t0 = performance.now();
    const c = spawn(process.execPath, [BIN, ...args], { cwd, env: { ...process.env, NODE_OPTIONS: `--require ${MARK}` }, stdio: ['ignore', 'pipe', 'pipe', 'pipe'] });
    const killer = setTimeout(() => c.kill('SIGKILL'), 60_000);
    let out = '';
    let err = '';
    let listening = false;
    let listeningAtKill: boolean | null = null;
    let killedAt: number | null = null;
    let armed = false;
    const arm = (): void => {
      if (armed || signal === null) return;
      armed = true;
      setTimeout(() => {
        listeningAtKill = listening;
        killedAt = performance.now() - t0;
        c.kill(signal.name);
      }, signal.delayMs);
    };
    if (signal !== null && signal.after === undefined) arm();
    const watch = (): void => {
      if (signal?.after instanceof RegExp && signal.after.test(out + err)) arm();
    };
    c.stdout!.on('data', (d: Buffer) => {
      out += d;
      watch();
    });
    c.stderr!.on('data', (d: Buffer) => {
      err += d;
      watch();
    });
    c.stdio[3]!.on('data', () => {
      listening = true;
      if (signal?.after === 'listening') arm();
    });
    c.on('error', fail);
    c.on('close', (code, sig) => {
      clearTimeout(killer);
      done({ code, signal: sig, out, err, listeningAtKill, killedAt });
    });
  });
}

/** At most `n` of `jobs` at once (each is a process that loads the engine). */
async function limited<T>(n: number, jobs: readonly (() => Promise<T>)[]): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(n, jobs.length) }, worker));
  return results;
}

const TRACE = join(dir, 'lock.json');

test.before(async () => {
  const r = await cli(['check', 'examples/lock.ts', '--variant', 'test-then-set', '--trace-out', TRACE]);
  if (r.code !== 1) throw new Error(r.out + r.err);
});

/** The commands tried, and whether each runs long enough (seconds of work after it has loaded) that a signal within its first second must stop it. */
const COMMANDS: { args: readonly string[]; long: boolean }[] = [
  { args: ['check', 'peterson', '-p', 'n=5', '--workers', '1'], long: true },
  { args: ['check', 'peterson', '-p', 'n=5', '--workers', '1', '--json'], long: true },
  { args: ['simulate', 'peterson', '-p', 'n=5', '--runs', '1000000', '--seed', '1', '--no-trace'], long: true },
  { args: ['verdicts'], long: true },
  { args: ['verdicts', '--json'], long: true },
  { args: ['test', bigModel('one', [60])], long: true },
  { args: ['replay', TRACE, '--model', resolve('examples/lock.ts')], long: false },
  { args: ['show', TRACE, '--model', resolve('examples/lock.ts')], long: false },
  { args: ['list'], long: false },
  { args: ['list', '--json'], long: false },
];
/** When the signal is sent: so many ms after the spawn, or after bin/mmcheck.js has added its listener. */
const WHEN: { delayMs: number; after?: 'listening' }[] = [0, 10, 30, 60, 100, 200].map((delayMs) => ({ delayMs })).concat([0, 10, 30, 60].map((delayMs) => ({ delayMs, after: 'listening' as const })));

test('a signal in the first moments of any command ends it with MC376 or its partial result, exit 3; never with no word, once bin/mmcheck.js runs', async (t) => {
  const jobs = COMMANDS.flatMap((c, i) => WHEN.map((when, j) => async () => ({ c, when, r: await run(c.args, { name: (i + j) % 2 ? 'SIGTERM' : 'SIGINT', ...when }) })));
  const runs = await limited(3, jobs);
  let handled = 0;
  for (const { c, when, r } of runs) {
    const what = `${c.args.join(' ')} (signal ${when.delayMs} ms after ${when.after ?? 'the spawn'}, sent ${r.killedAt?.toFixed(0)} ms in): exit ${r.code} ${r.signal ?? ''}\n${r.out.slice(0, 500)}\n${r.err.slice(0, 500)}`;
    if (r.signal !== null) {
      // Node's own end: only before bin/mmcheck.js added its listener (the process had not told of it when the signal went).
      t.false(r.listeningAtKill, what);
      t.is(when.after, undefined, what);
      t.is(r.out + r.err, '', what);
      continue;
    }
    handled++;
    const json = c.args.includes('--json');
    if (json) t.notThrows(() => checkJsonResult(c.args, r.out), what);
    if (r.code === 3) {
      // MC376 before any part of the run took the signals, or the command's own interrupted result.
      t.regex(r.err + r.out, /^mmcheck: error MC376: interrupted by SIG(INT|TERM) before any search started$|interrupted by SIG(INT|TERM)|"(signal|interrupted)":"SIG(INT|TERM)"/m, what);
      if (json) t.notThrows(() => JSON.parse(r.out), what);
    } else {
      // A short command may have finished before the signal came: its complete result, and a line saying the signal came too late.
      t.false(c.long && r.killedAt! < 1000, `a signal within the first second did not stop ${what}`);
      t.true(r.code === 0 || r.code === 1, what);
      t.not(r.out, '', what);
    }
  }
  // Those sent once bin/mmcheck.js listened, at least, were all checked above.
  t.true(handled >= COMMANDS.length * 4);
});

test('a signal in a search after a search whose thread was replaced (a case stopped by --time-limit) stops the run with the cases so far, exit 3, not a silent 130', async (t) => {
  const folder = bigModel('two', [60, 61]);
  for (const extra of [[], ['--json']]) {
    const args = ['test', folder, '--time-limit', '2', ...extra];
    // The second case's model is built in this thread just before its search starts (the first case's search ends at the time limit, and the thread it ran in is replaced).
    const r = await run(args, { name: 'SIGINT', delayMs: 300, after: /\[building m=61\]/ });
    t.is(r.signal, null, r.out + r.err);
    t.is(r.code, 3, r.out + r.err);
    if (extra.length) {
      checkJsonResult(args, r.out);
      const j = JSON.parse(r.out);
      t.is(j.interrupted, 'SIGINT');
      t.deepEqual(j.cases.map((c: { status: string; got: string }) => c.got), ['incomplete (time-limit)', 'incomplete (interrupted)']);
    } else {
      t.regex(r.out, /^big .* m=60 .* incomplete \(time-limit\) /m);
      t.regex(r.out, /^big .* m=61 .* incomplete \(interrupted\) /m);
      t.regex(r.out, /^0 passed, 0 failed, 2 incomplete; interrupted by SIGINT/m);
    }
  }
});

test('a signal as a finished run winds down ends it with the run\'s exit code, not 130', async (t) => {
  const delays = [0, 5, 10, 15, 20, 30, 40, 60, 80, 120];
  const runs = await limited(2, delays.map((delayMs, i) => () => run(['check', 'peterson', '-p', 'n=3'], { name: i % 2 ? 'SIGTERM' : 'SIGINT', delayMs, after: /^coverage: /m })));
  for (const [i, r] of runs.entries()) {
    const what = `${delays[i]} ms after the result: exit ${r.code} ${r.signal ?? ''}\n${r.err}`;
    t.is(r.signal, null, what);
    t.is(r.code, 0, what);
    t.regex(r.out, /^pass: no violation/m);
    // The signal is either not seen (the process had ended) or said to have come too late.
    t.regex(r.err, /^(mmcheck: SIG(INT|TERM) came (too late to stop the run: its result is complete|as the run was finishing: .*)\n)?$/, what);
  }
});
