/**
 * Limits a user can rely on: `--time-limit` ends even a step that never
 * returns, `--memory-limit` bounds the process's resident memory (and a
 * default ceiling applies without it), SIGINT and SIGTERM stop the search
 * with the same partial summary as a limit (in `mmcheck test` and `verdicts`
 * too). Signals and resident memory
 * are properties of a real process, so those run bin/mmcheck.js.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { memoryCeiling } from '../src/run/memory-ceiling.ts';
import { junitXml } from '../src/cli/commands/test.ts';
import { cli, mmcheckProcess } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

const BIN = resolve('bin/mmcheck.js');
const INDEX = JSON.stringify(resolve('src/index.ts'));
const dir = tempDir('mmcheck-limits-');

/** A guard that loops forever once the search reaches it. */
const HANG = join(dir, 'hang.ts');
writeFileSync(
  HANG,
  `import { defineModel, thread, int } from ${INDEX};
export default defineModel({
  name: 'hang',
  shared: { x: int(0, 3) },
  threads: [thread('t', { start: 'a', end: ['c'], steps: {
    a: { when: (s) => s.x === 0, then: (s) => { s.x = 1; }, next: 'b' },
    b: { when: () => { for (;;) {} }, next: 'c' },
  } })],
});
`,
);

/** Four counters counted up by four threads (194,481 states); a guard loops forever in a state of level 40 of 80, some 100,000 states in. */
const WIDE_HANG = join(dir, 'wide-hang.ts');
writeFileSync(
  WIDE_HANG,
  `import { defineModel, thread, int, replicate } from ${INDEX};
export default defineModel({
  name: 'wide-hang',
  shared: {},
  deadlock: false,
  threads: [replicate(4, 'c', { start: 'a', locals: { n: int(0, 20) }, steps: {
    up: { at: 'a', when: (s, me) => { if (me.id === 3 && s.local('c', 0).n + s.local('c', 1).n + s.local('c', 2).n + me.n === 40) for (;;) {} return me.n < 20; }, then: (s, me) => { me.n = me.n + 1; }, next: 'a' },
  } })],
});
`,
);

/** A step that allocates 256 KB and keeps it: memory grows by the step, not by the states. */
const ALLOC = join(dir, 'alloc.ts');
writeFileSync(
  ALLOC,
  `import { defineModel, thread, int } from ${INDEX};
const kept: Float64Array[] = [];
// Kept outside the step (a step that changes an object of its closure is refused): the helper is handed no state.
const keep = (a: Float64Array) => void kept.push(a);
export default defineModel({
  name: 'alloc',
  shared: { x: int(0, 1000000) },
  deadlock: false,
  threads: [thread('t', { start: 'a', steps: {
    a: { when: (s) => s.x < 1000000, then: (s) => { keep(new Float64Array(1 << 15).fill(1)); s.x = s.x + 1; }, next: 'a' },
  } })],
});
`,
);

/** peterson, whose module takes 1.5 s to load (in the main thread, then again in the search thread), and says when it starts to. */
const SLOW = join(dir, 'slow.ts');
writeFileSync(
  SLOW,
  `import peterson from ${JSON.stringify(resolve('models/peterson.ts'))};
process.stderr.write('[slow model loading]\\n');
const until = Date.now() + 1500;
while (Date.now() < until) {}
export default peterson;
`,
);

/** A model whose build never returns (its threads, a function of the parameters, loop), and says when its module loads. */
const BUILD_HANG = join(dir, 'build-hang.ts');
writeFileSync(
  BUILD_HANG,
  `import { defineModel, int } from ${INDEX};
process.stderr.write('[build-hang loaded]\\n');
export default defineModel({
  name: 'build-hang',
  params: { n: int(1, 3, 2) },
  shared: { x: int(0, 3) },
  threads: (_p) => { for (;;) {} },
});
`,
);

/** A module whose top level never returns. */
const LOAD_HANG = join(dir, 'load-hang.ts');
writeFileSync(
  LOAD_HANG,
  `import { defineModel, int } from ${INDEX};
process.stderr.write('[load-hang loading]\\n');
for (;;) {}
export default defineModel({ name: 'load-hang', shared: { x: int(0, 3) }, threads: [] });
`,
);

interface Proc {
  code: number | null;
  signal: NodeJS.Signals | null;
  out: string;
  err: string;
  seconds: number;
}

/**
 * Run bin/mmcheck.js; `signal` is sent `delayMs` after the search has
 * started: the "checking" (or "simulating") line is printed just before it, and with --json
 * (nothing printed before the result) the first progress line of --progress.
 */
function mmcheck(args: string[], signal?: { name: NodeJS.Signals; delayMs: number; afterErr?: RegExp }, killAfterS = 0): Promise<Proc> {
  const t0 = performance.now();
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
    // A run that would hang (the bug these tests catch) fails its test instead of holding it forever.
    const killer = killAfterS > 0 ? setTimeout(() => c.kill('SIGKILL'), killAfterS * 1000) : null;
    c.on('close', () => killer && clearTimeout(killer));
    let out = '';
    let err = '';
    let sent = false;
    const send = () => {
      if (sent || !signal) return;
      sent = true;
      setTimeout(() => c.kill(signal.name), signal.delayMs);
    };
    c.stdout.on('data', (d: Buffer) => {
      out += d;
      if (!signal?.afterErr && /^(?:(?:swarm-)?checking|simulating) /m.test(out)) send();
    });
    c.stderr.on('data', (d: Buffer) => {
      err += d;
      if (signal?.afterErr ? signal.afterErr.test(err) : /^\[mmcheck explore\]/m.test(err)) send();
    });
    c.on('error', fail);
    c.on('close', (code, sig) => done({ code, signal: sig, out, err, seconds: (performance.now() - t0) / 1000 }));
  });
}

test.serial('--time-limit ends a guard that never returns: exit 3, time-limit, the last published counts', async (t) => {
  const t0 = performance.now();
  const r = await cli(['check', HANG, '--time-limit', '2', '--json']);
  const seconds = (performance.now() - t0) / 1000;
  t.is(r.code, 3, r.err);
  const j = JSON.parse(r.out);
  t.is(j.verdict, 'incomplete');
  t.is(j.incomplete.reason, 'time-limit');
  t.is(j.incomplete.limitSeconds, 2);
  t.true(j.incomplete.forced);
  t.is(j.incomplete.phase, 'explore');
  t.true(seconds < 10, `took ${seconds} s`);
  const text = await cli(['check', HANG, '--time-limit', '1']);
  t.is(text.code, 3, text.err);
  t.regex(text.out, /^incomplete: time-limit reached after \d+ states? \(depth \d+, frontier \d+\); no violation found so far$/m);
  t.regex(text.out, /^ {2}limit: 1 s \(--time-limit\)$/m);
  t.regex(text.out, /was ended during explore: a step \(guard or effect\) may not return/);
});

test.serial('a multi-core search ended by force reports the threads that had taken part', async (t) => {
  process.env.MMCHECK_JOIN_AFTER_MS = '0';
  const r = await cli(['check', WIDE_HANG, '--workers', '2', '--time-limit', '6', '--json']).finally(() => delete process.env.MMCHECK_JOIN_AFTER_MS);
  t.is(r.code, 3, r.err);
  const j = JSON.parse(r.out);
  t.true(j.incomplete.forced);
  t.true(j.incomplete.states > 50_000, String(j.incomplete.states));
  // The helper joins once it has loaded the model: on a loaded machine it may come after the search hangs.
  t.true(j.stats.workers === 2 || j.stats.workers === 1, String(j.stats.workers));
  // A one-thread search is its one thread.
  const one = JSON.parse((await cli(['check', HANG, '--workers', '1', '--time-limit', '1', '--json'])).out);
  t.true(one.incomplete.forced);
  t.is(one.stats.workers, 1);
});

// Serial: the file's concurrent tests start some twenty search threads at once in this process, whose loading (tsx, on two CPUs) has kept this search from starting for over ten seconds, past the load allowance, and it was then ended by force before it searched.
test.serial('a search that stops itself at the time limit is not forced, and its counts are its own', async (t) => {
  const r = await cli(['check', 'peterson', '-p', 'n=6', '--time-limit', '0.5', '--json']);
  t.is(r.code, 3, r.err);
  const j = JSON.parse(r.out);
  t.is(j.incomplete.reason, 'time-limit');
  t.is(j.incomplete.forced, undefined, JSON.stringify(j.incomplete));
  t.true(j.stats.states > 1 && j.stats.transitions > j.stats.states);
});

test('a search that stopped at its limit is waited for as it winds down (its helpers stopped, their last output awaited), past the grace a step gets: not forced, its counts its own', async (t) => {
  // MMCHECK_WIND_DOWN_MS: the search thread, its search stopped, takes 2.5 s more before it sends its result, as one waiting for its helpers on a machine too busy to run them.
  for (const workers of ['1', '2']) {
    const r = await mmcheckProcess(['check', 'peterson', '-p', 'n=6', '--time-limit', '0.5', '--workers', workers, '--json'], process.cwd(), { MMCHECK_WIND_DOWN_MS: '2500', MMCHECK_JOIN_AFTER_MS: '0' });
    t.is(r.code, 3, r.err);
    const j = JSON.parse(r.out);
    t.is(j.incomplete.reason, 'time-limit');
    t.is(j.incomplete.forced, undefined, workers);
    t.true(j.stats.seconds < 1.5, `${j.stats.seconds} s`);
  }
});

test.serial('the signal handlers are removed after a run', async (t) => {
  const before = [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const r = await cli(['check', 'peterson', '-p', 'n=2']);
  t.is(r.code, 0, r.err);
  t.deepEqual([process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')], before);
});

test.serial('on the command line the parts of a run take the signals from bin/mmcheck.js\'s listeners and give them back: check while it searches, list never', async (t) => {
  // bin/mmcheck.js installs the one pair of listeners every stop signal goes through, first thing, and leaves `take` here (src/run/signals.ts).
  const key = Symbol.for('mmcheck.stopSignals');
  const g = globalThis as Record<symbol, unknown>;
  let held = 0;
  let taken = 0;
  /** A signal the hub hands to the next part that takes the signals, as bin/mmcheck.js does with one that came between two parts. */
  let pending: string | null = null;
  g[key] = {
    take(handler: (signal: string) => void) {
      taken++;
      held++;
      if (pending !== null) handler(pending);
      pending = null;
      let released = false;
      return () => {
        if (!released) held--;
        released = true;
      };
    },
  };
  const listeners = () => [process.listenerCount('SIGINT'), process.listenerCount('SIGTERM')];
  const before = listeners();
  try {
    t.is((await cli(['list'])).code, 0);
    t.is(taken, 0);
    const r = await cli(['check', 'peterson', '-p', 'n=2']);
    t.is(r.code, 0, r.err);
    t.true(taken >= 1);
    t.is(held, 0);
    // The process's listeners are bin/mmcheck.js's alone: a part of the run adds none of its own.
    t.deepEqual(listeners(), before);
    // A signal handed over as the search thread takes the signals stops the search at its first poll.
    pending = 'SIGINT';
    const stopped = await cli(['check', 'peterson', '-p', 'n=4', '--workers', '1']);
    t.is(stopped.code, 3, stopped.out + stopped.err);
    t.regex(stopped.out, /^incomplete: interrupted by SIGINT after /m);
    t.is(held, 0);
  } finally {
    delete g[key];
  }
});

test('the default memory ceiling is 80% of the memory the process may use; a given limit is taken as is', (t) => {
  const d = memoryCeiling(Infinity);
  t.false(d.given);
  t.true(d.mb > 0 && d.mb <= Math.floor((totalmem() / 2 ** 20) * 0.8));
  t.regex(d.basis!, /^80% of the (machine's memory|cgroup's limit), [\d,]+ MB$/);
  t.deepEqual(memoryCeiling(150), { mb: 150, given: true, basis: null });
});

test('--memory-limit bounds resident memory when a step allocates: exit 3, memory-limit, peak near the limit', async (t) => {
  const r = await mmcheck(['check', ALLOC, '--memory-limit', '300', '--json']);
  t.is(r.code, 3, r.err);
  const j = JSON.parse(r.out);
  t.is(j.incomplete.reason, 'memory-limit');
  t.is(j.incomplete.limitMB, 300);
  t.false(j.incomplete.defaultCeiling);
  t.true(j.stats.peakRssMB <= 300 * 1.25, `peak ${j.stats.peakRssMB} MB`);
  t.true(j.stats.peakRssMB >= 250, `peak ${j.stats.peakRssMB} MB`);
});

test('--memory-limit counts the whole process, not only the state storage', async (t) => {
  const r = await mmcheck(['check', 'peterson', '-p', 'n=6', '--memory-limit', '200', '--no-progress']);
  t.is(r.code, 3, r.err);
  t.regex(r.out, /^incomplete: memory-limit reached after [\d,]+ states \(depth \d+, frontier [\d,]+\); no violation found so far$/m);
  t.regex(r.out, /^ {2}limit: 200 MB of resident memory \(--memory-limit\)$/m);
  t.notRegex(r.out, /did not stop by itself/);
  const stats = /^([\d,]+) states, [\d,]+ transitions, depth \d+, [\d.]+ s .*, ([\d.]+) bytes\/state/m.exec(r.out);
  t.truthy(stats, r.out);
  // The store alone is well below the limit when the process reaches it.
  t.true(Number(stats![1]!.replace(/,/g, '')) * Number(stats![2]!) < 200 * 2 ** 20);
});

// Serial: the rest of this file's searches beside it once slowed it nine-fold, and a table's refill between two polls then outlasted the grace.
test.serial('--memory-limit: a table that would quadruple past the limit doubles, and the search stops itself at a poll', async (t) => {
  // peterson(5) reaches 200 MB about when its table would go from 2^22 to 2^24 slots (64 MB at once): quadrupled, the process passed the limit by a quarter before the next poll and the thread was ended.
  for (const workers of ['1', '2']) {
    const r = await mmcheck(['check', 'peterson', '-p', 'n=5', '--memory-limit', '200', '--no-progress', '--workers', workers]);
    t.is(r.code, 3, r.err);
    t.regex(r.out, /^incomplete: memory-limit reached after [\d,]+ states/m);
    t.notRegex(r.out, /did not stop by itself/);
    // Two workers hold fewer states in the same memory: the message says that one goes further.
    if (workers === '2') t.regex(r.out, /^ {2}2 workers hold fewer states in the same memory than one .*: --workers 1 goes further$/m);
    else t.notRegex(r.out, /--workers 1 goes further/);
  }
});

test('SIGINT stops the search with the partial summary and exit 3', async (t) => {
  const r = await mmcheck(['check', 'peterson', '-p', 'n=6', '--no-progress'], { name: 'SIGINT', delayMs: 700 });
  t.is(r.signal, null);
  t.is(r.code, 3, r.err);
  t.regex(r.out, /^[\d,]+ states, [\d,]+ transitions, depth \d+, [\d.]+ s/m);
  t.regex(r.out, /^incomplete: interrupted by SIGINT after [\d,]+ states \(depth \d+, frontier [\d,]+\); no violation found so far$/m);
});

test('SIGTERM with --json prints a JSON result: incomplete, interrupted', async (t) => {
  const r = await mmcheck(['check', 'peterson', '-p', 'n=6', '--json', '--progress'], { name: 'SIGTERM', delayMs: 0 });
  t.is(r.signal, null);
  t.is(r.code, 3, r.err);
  const j = JSON.parse(r.out);
  t.is(j.verdict, 'incomplete');
  t.is(j.incomplete.reason, 'interrupted');
  t.is(j.incomplete.signal, 'SIGTERM');
  t.true(j.stats.states > 0);
  t.is(typeof j.stats.seconds, 'number');
});

test('SIGINT while the search thread loads a model file ends the run at once, before any search; while the command line loads it after, the search stops at its first poll', async (t) => {
  const run = (nth: number) =>
    new Promise<{ code: number | null; out: string; err: string }>((done) => {
      const c = spawn(process.execPath, [BIN, 'check', SLOW, '-p', 'n=6', '--no-progress'], { env: { ...process.env, NODE_OPTIONS: '' } });
      let out = '';
      let err = '';
      c.stdout.on('data', (d: Buffer) => void (out += d));
      c.stderr.on('data', (d: Buffer) => {
        err += d;
        // The search thread loads the model file first (watched), then the command line does; the thread searches the model it built, without a third load.
        if ((err.match(/slow model loading/g) ?? []).length === nth && !c.killed) c.kill('SIGINT');
      });
      c.on('close', (code) => done({ code, out, err }));
    });
  const [first, second] = await Promise.all([run(1), run(2)]);
  t.is(first.code, 3, first.out + first.err);
  t.regex(first.err, /^mmcheck: error MC376: interrupted by SIGINT before any search started$/m);
  t.is(first.out, '');
  t.is(second.code, 3, second.out + second.err);
  t.is((second.err.match(/slow model loading/g) ?? []).length, 2, second.err);
  // Not ended after the one-second grace while it loaded (then: "after 0 states", the counts never published).
  t.regex(second.out, /^incomplete: interrupted by SIGINT after [1-9][\d,]* states \(depth [1-9]\d*, frontier [\d,]+\); no violation found so far$/m);
  t.notRegex(second.out, /did not stop/);
});

test('--time-limit ends a model file whose build or loading never returns: MC167 naming the file and the phase, exit 3 (check, simulate, check --swarm)', async (t) => {
  const [build, load, sim, swarm] = await Promise.all([
    mmcheck(['check', BUILD_HANG, '--time-limit', '1', '-p', 'n=3'], undefined, 60),
    mmcheck(['check', LOAD_HANG, '--time-limit', '1', '--json'], undefined, 60),
    mmcheck(['simulate', BUILD_HANG, '--time-limit', '1', '--seed', '1'], undefined, 60),
    mmcheck(['check', LOAD_HANG, '--swarm', '2', '--seed', '1', '--time-limit', '1'], undefined, 60),
  ]);
  t.is(build.code, 3, build.out + build.err);
  t.regex(build.err, /^mmcheck: error MC167: model file ".*build-hang\.ts" did not finish building the model with params n=3 within the time limit \(--time-limit 1 s, at least 5 s for loading and building, and 1 s of grace\), and the thread doing so was ended: a function of the parameters the build calls \(threads, shared, invariants, \.\.\.\) may not return$/m);
  t.is(build.out, '');
  // The grace counts from when the thread began to load the model; the bound allows for a loaded machine.
  t.true(build.seconds < 30, `took ${build.seconds} s`);
  t.is(load.code, 3, load.out + load.err);
  const j = JSON.parse(load.out);
  t.is(j.error.code, 'MC167');
  t.regex(j.error.message, /^model file ".*load-hang\.ts" did not finish loading the module within the time limit .*: code at the top level of the module/);
  for (const r of [sim, swarm]) {
    t.is(r.code, 3, r.out + r.err);
    t.regex(r.err, /^mmcheck: error MC167: model file ".*-hang\.ts" did not finish (building the model with params n=2|loading the module) within the time limit/m);
  }
});

test('SIGINT or SIGTERM while a model file loads or builds without end ends the run at once: interrupted before any search started (MC376; with --json an mmcheck-error/1 object), exit 3', async (t) => {
  const runs = await Promise.all([
    mmcheck(['check', BUILD_HANG], { name: 'SIGINT', delayMs: 300, afterErr: /\[build-hang loaded\]/ }, 60),
    mmcheck(['check', LOAD_HANG, '--json'], { name: 'SIGTERM', delayMs: 300, afterErr: /\[load-hang loading\]/ }, 60),
    mmcheck(['simulate', BUILD_HANG], { name: 'SIGINT', delayMs: 300, afterErr: /\[build-hang loaded\]/ }, 60),
    mmcheck(['check', BUILD_HANG, '--swarm', '2'], { name: 'SIGTERM', delayMs: 300, afterErr: /\[build-hang loaded\]/ }, 60),
  ]);
  for (const [i, r] of runs.entries()) {
    t.is(r.signal, null, `run ${i}`);
    t.is(r.code, 3, `run ${i}: ${r.out + r.err}`);
    t.regex(r.err, /^mmcheck: error MC376: interrupted by SIG(INT|TERM) before any search started$/m);
    // With --json stdout still carries one object, as for any other end of the run.
    if (i === 1) t.deepEqual(JSON.parse(r.out), { format: 'mmcheck-error/1', error: { code: 'MC376', message: 'interrupted by SIGTERM before any search started' } });
    else t.is(r.out, '');
  }
});

test('SIGINT during a step that never returns still ends the run with the partial summary', async (t) => {
  const r = await mmcheck(['check', HANG, '--no-progress'], { name: 'SIGINT', delayMs: 500 });
  t.is(r.code, 3, r.err);
  t.regex(r.out, /^incomplete: interrupted by SIGINT after \d+ states?/m);
  // Ended one second after the signal; the bound allows for a loaded machine (16 s was seen with the other tests running).
  t.true(r.seconds < 30, `took ${r.seconds} s`);
});

test('a second SIGINT ends a search that does not stop at once', async (t) => {
  const c = spawn(process.execPath, [BIN, 'check', HANG, '--no-progress'], { env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  const t0 = performance.now();
  const closed = new Promise<number | null>((done) => c.on('close', done));
  c.stdout.on('data', (d: Buffer) => {
    out += d;
    if (/^checking /m.test(out) && !c.killed) {
      // The handlers are installed just after the line is printed; the signals come once the search runs.
      setTimeout(() => {
        c.kill('SIGINT');
        setTimeout(() => process.kill(c.pid!, 'SIGINT'), 20);
      }, 500);
    }
  });
  t.is(await closed, 3);
  t.regex(out, /^incomplete: interrupted by SIGINT after/m);
  // Ended, not hanging: the bound leaves room for a machine loaded by this file's other tests (models that spin a CPU until their limit).
  t.true((performance.now() - t0) / 1000 < 40);
});

test('the cross-check runs its unreduced search in a supervised thread too', async (t) => {
  const r = await cli(['check', 'dining', '-p', 'n=3', '--por', '--no-liveness', '--cross-check', '--no-trace', '--json']);
  t.is(r.code, 1, r.err);
  const j = JSON.parse(r.out);
  t.is(j.violation.kind, 'deadlock');
  t.true(j.crossCheck.agree);
  t.is(j.crossCheck.unreduced.violation.kind, 'deadlock');
});

test('SIGINT stops a swarm through its control word: exit 3, interrupted named', async (t) => {
  const r = await mmcheck(['check', 'peterson', '-p', 'n=6', '--swarm', '2', '--depth', '100000', '--seed', '1', '--no-progress'], { name: 'SIGINT', delayMs: 500 });
  t.is(r.signal, null);
  t.is(r.code, 3, r.err);
  t.regex(r.out, /^interrupted by SIGINT: the workers were stopped where they were$/m);
  t.regex(r.out, /^no violation found by 2 workers( \(\d+ of them stopped before they searched\))?$/m);
  // Each worker says it was interrupted, not that a time limit (none was given) stopped it; the header names no fairness, as no livelock is checked.
  t.is((r.out.match(/^ +[01] .* interrupted /gm) ?? []).length, 2, r.out);
  t.false(r.out.includes('time-limit'), r.out);
  t.regex(r.out, /^swarm-checking peterson\/classic \(n=6\) \[2 workers, 2 at a time, seed 1, bitstate DFS\]$/m);
});

/** A folder of models with expectations for `mmcheck test`: a lock that passes, a guard that never returns, and a model too big to finish that says when it loads (in the main thread, then in the search thread). */
const CASES = tempDir('mmcheck-limits-cases-');
const caseModel = (name: string, body: string) =>
  `import { defineModel, thread, int, bool } from ${INDEX};
export default defineModel({ name: ${JSON.stringify(name)}, expect: { verdict: 'pass' }, ${body} });
`;
const LOCK = `shared: { locked: bool(), inside: int(0, 2) },
  threads: [0, 1].map((i) => thread('cpu' + i, { start: 'a', end: ['d'], steps: {
    a: { when: (s) => !s.locked, then: (s) => { s.locked = true; }, next: 'b' },
    b: { then: (s) => { s.inside = s.inside + 1; }, next: 'c' },
    c: { then: (s) => { s.inside = s.inside - 1; s.locked = false; }, next: 'd' },
  } })),
  invariants: { mutex: (s) => s.inside < 2 }`;
const BIG = `shared: { a: int(0, 255), b: int(0, 255), c: int(0, 255), d: int(0, 255) },
  threads: (['a', 'b', 'c', 'd'] as const).map((v, i) => thread('t' + v, { start: 'go', steps: { go: { then: (s) => { s[v] = (s[v] + 2 * i + 1) % 256; }, next: 'go' } } })),
  invariants: { ok: (s) => s.a >= 0 }`;
writeFileSync(join(CASES, 'a-lock.ts'), caseModel('a-lock', LOCK));
writeFileSync(join(CASES, 'b-hang.ts'), caseModel('b-hang', `shared: { x: int(0, 3) },
  threads: [thread('t', { start: 'a', end: ['c'], steps: {
    a: { when: (s) => s.x === 0, then: (s) => { s.x = 1; }, next: 'b' },
    b: { when: () => { for (;;) {} }, next: 'c' },
  } })]`));
writeFileSync(join(CASES, 'c-lock.ts'), caseModel('c-lock', LOCK));
const BIG_DIR = tempDir('mmcheck-limits-big-');
writeFileSync(join(BIG_DIR, 'a-lock.ts'), caseModel('a-lock', LOCK));
writeFileSync(join(BIG_DIR, 'b-big.ts'), `process.stderr.write('[big model loaded]\\n');\n` + caseModel('b-big', BIG));
writeFileSync(join(BIG_DIR, 'c-lock.ts'), caseModel('c-lock', LOCK));

test('mmcheck test: --time-limit ends a case whose guard never returns (incomplete), and the cases after it still run: exit 3', async (t) => {
  const t0 = performance.now();
  const r = await cli(['test', CASES, '--time-limit', '1']);
  t.is(r.code, 3, r.out + r.err);
  t.regex(r.out, /^a-lock .* pass +pass .* ok$/m);
  t.regex(r.out, /^b-hang .* pass +incomplete \(time-limit\) .* INCOMPLETE$/m);
  t.regex(r.out, /✗ the search reached the time limit \(--time-limit 1 s\) after \d+ states? .*: the expectation was not checked; it did not stop by itself in time and was ended during explore: a step \(guard or effect\) may not return/);
  // The thread the hung search took with it is replaced.
  t.regex(r.out, /^c-lock .* pass +pass .* ok$/m);
  t.regex(r.out, /^2 passed, 0 failed, 1 incomplete$/m);
  t.true((performance.now() - t0) / 1000 < 40);
  const j = JSON.parse((await cli(['test', CASES, '--time-limit', '1', '--json'])).out);
  t.deepEqual([j.passed, j.failed, j.incomplete, j.skipped, j.interrupted], [2, 0, 1, 0, null]);
  t.is(j.cases[1].status, 'incomplete');
  const xml = junitXml(j.cases);
  t.regex(xml, /<testsuites name="mmcheck" tests="3" failures="0" errors="1" skipped="0"/);
  t.regex(xml, /<error type="incomplete" message="incomplete \(time-limit\)">the search reached the time limit/);
});

/** A folder whose second model never finishes building and whose third never finishes loading. */
const HUNG_CASES = tempDir('mmcheck-limits-hung-');
writeFileSync(join(HUNG_CASES, 'a-lock.ts'), caseModel('a-lock', LOCK));
writeFileSync(join(HUNG_CASES, 'b-build.ts'), `process.stderr.write('[b-build loaded]\\n');\n` + caseModel('b-build', `shared: { x: int(0, 3) }, threads: (_p: unknown) => { for (;;) {} }`));
writeFileSync(join(HUNG_CASES, 'c-load.ts'), `for (;;) {}\n` + caseModel('c-load', LOCK));
writeFileSync(join(HUNG_CASES, 'd-lock.ts'), caseModel('d-lock', LOCK));

test('mmcheck test: --time-limit ends a model file whose build or loading never returns (incomplete, MC167), and the files after it still run; SIGINT during one stops the run: exit 3', async (t) => {
  const [r, sig] = await Promise.all([
    mmcheck(['test', HUNG_CASES, '--time-limit', '1'], undefined, 90),
    // Loaded by the search thread, then by the command line: the thread is building it when the signal comes.
    mmcheck(['test', HUNG_CASES], { name: 'SIGINT', delayMs: 300, afterErr: /\[b-build loaded\][^]*\[b-build loaded\]/ }, 60),
  ]);
  t.is(r.code, 3, r.out + r.err);
  t.regex(r.out, /^a-lock .* pass +pass .* ok$/m);
  t.regex(r.out, /^b-build .* pass +incomplete \(time-limit\) .* INCOMPLETE$/m);
  t.regex(r.out, /✗ MC167: model file ".*b-build\.ts" did not finish building the model within the time limit \(--time-limit 1 s, at least 5 s for loading and building, and 1 s of grace\)/);
  t.regex(r.out, /^.*c-load\.ts .* loads +incomplete \(time-limit\) .* INCOMPLETE$/m);
  t.regex(r.out, /✗ MC167: model file ".*c-load\.ts" did not finish loading the module within the time limit/);
  t.regex(r.out, /^d-lock .* pass +pass .* ok$/m);
  t.regex(r.out, /^2 passed, 0 failed, 2 incomplete$/m);
  t.is(sig.signal, null);
  t.is(sig.code, 3, sig.out + sig.err);
  t.regex(sig.out, /^a-lock .* ok$/m);
  t.regex(sig.out, /^b-build .* incomplete \(interrupted\) .* INCOMPLETE$/m);
  t.notRegex(sig.out, /c-load|d-lock/);
  t.regex(sig.out, /^1 passed, 0 failed, 1 incomplete; interrupted by SIGINT: the expectations after the last case were not checked$/m);
});

/** `mmcheck test BIG_DIR ...args`, sent SIGINT 0.7 s into b-big's search. */
async function testInterrupted(args: readonly string[]): Promise<{ code: number | null; signal: NodeJS.Signals | null; out: string; err: string }> {
  const c = spawn(process.execPath, [BIN, 'test', BIG_DIR, ...args], { env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => void (out += d));
  c.stderr.on('data', (d: Buffer) => {
    err += d;
    // Loaded by the search thread, then by the command line: the search is starting.
    if ((err.match(/\[big model loaded\]/g) ?? []).length === 2) setTimeout(() => c.kill('SIGINT'), 700);
  });
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => c.on('close', (code, sig) => done([code, sig])));
  return { code, signal, out, err };
}

test('SIGINT stops mmcheck test in the case under way: the cases so far and how far that one got, no further case, exit 3; the JUnit report has the interruption as an error', async (t) => {
  const { code, signal, out, err } = await testInterrupted([]);
  t.is(signal, null);
  t.is(code, 3, out + err);
  t.regex(out, /^a-lock .* pass +pass .* ok$/m);
  t.regex(out, /^b-big .* incomplete \(interrupted\) +[1-9][\d,]* .* INCOMPLETE$/m);
  t.regex(out, /✗ interrupted by SIGINT after [1-9][\d,]* states \(depth \d+, frontier [\d,]+\): the expectation was not checked$/m);
  t.notRegex(out, /^c-lock/m);
  t.regex(out, /^1 passed, 0 failed, 1 incomplete; interrupted by SIGINT: the expectations after the last case were not checked$/m);
  const report = join(BIG_DIR, 'report.xml');
  const j = await testInterrupted(['--reporter', 'junit', '-o', report]);
  t.is(j.code, 3, j.out + j.err);
  t.regex(readFileSync(report, 'utf8'), /<testsuites name="mmcheck" tests="3" failures="0" errors="2" skipped="0"[^]*<error type="interrupted" message="interrupted by SIGINT: the expectations after the last case were not checked">/);
  // Between two cases too (no case under way, none incomplete): the report of a run stopped before its end does not read as a run that passed.
  t.regex(junitXml([], 'SIGINT'), /<testsuites name="mmcheck" tests="1" failures="0" errors="1" skipped="0"/);
  t.regex(junitXml([], null), /<testsuites name="mmcheck" tests="0" failures="0" errors="0"/);
});

/** CPU seconds the process has used, threads included (Linux's /proc). */
function cpuSeconds(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) / 100;
  } catch {
    return 0;
  }
}

test('SIGTERM stops mmcheck verdicts: the rows so far, the search it stopped, exit 3', async (t) => {
  // With --json nothing is printed before the end: the signal goes when the process has worked 3 CPU seconds (loading takes about one; peterson n=5 alone takes six).
  const c = spawn(process.execPath, [BIN, 'verdicts', '--all', '--json', '--model', 'peterson'], { env: { ...process.env, NODE_OPTIONS: '' } });
  let out = '';
  c.stdout.on('data', (d: Buffer) => void (out += d));
  const poll = setInterval(() => {
    if (cpuSeconds(c.pid!) >= 3) {
      clearInterval(poll);
      c.kill('SIGTERM');
    }
  }, 50);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((done) => c.on('close', (code, sig) => done([code, sig])));
  clearInterval(poll);
  const r = { code, signal, out };
  t.is(r.signal, null);
  t.is(r.code, 3, r.out);
  const j = JSON.parse(r.out);
  t.is(j.interrupted, 'SIGTERM');
  t.true(j.unchecked > 0);
  t.is(j.rows.at(-1).got, 'incomplete (interrupted)');
  t.is(j.mismatches, 0);
});

test('simulate runs its walks in a search thread: SIGINT stops them with what they reached, and the time limit ends a step that never returns (exit 3)', async (t) => {
  const r = await mmcheck(['simulate', 'peterson', '-p', 'n=6', '--seed', '1', '--runs', '100000000', '--depth', '100000', '--no-progress'], { name: 'SIGINT', delayMs: 700 });
  t.is(r.signal, null);
  t.is(r.code, 3, r.err);
  t.regex(r.out, /^incomplete: interrupted by SIGINT after [\d,]+ walks? \([\d,]+ steps\); no violation found so far$/m);
  const hung = await cli(['simulate', HANG, '--seed', '1', '--time-limit', '1', '--json']);
  t.is(hung.code, 3, hung.err);
  const j = JSON.parse(hung.out);
  t.is(j.stopped, 'time-limit');
  t.deepEqual(j.stop, { signal: null, forced: true, phase: 'explore' });
  // A time limit the walks reach between steps is no cut: no violation in the walks run, exit 0.
  const timed = await cli(['simulate', 'peterson', '-p', 'n=6', '--seed', '1', '--runs', '100000000', '--time-limit', '0.5']);
  t.is(timed.code, 0, timed.err);
  t.regex(timed.out, /^no violation in [\d,]+ walks \(time limit reached after/m);
});

test('a signal before mmcheck test has started, on a disk that takes no more data: the old report stays whole, no temporary file is left, and the run says so', async (t) => {
  const d = tempDir('mmcheck-early-junit-full-');
  const passed = junitXml([{ file: 'm.ts', model: 'm', variant: null, params: '', expected: 'pass', got: 'pass', status: 'passed', diffs: [], states: 1, transitions: 1, seconds: 0 }]);
  writeFileSync(join(d, 'report.xml'), passed);
  // A file size limit of 0 makes every write of a regular file fail (EFBIG), as a full disk does.
  const once = (delay: number) =>
    new Promise<{ code: number | null; err: string }>((done) => {
      const c = spawn('bash', ['-c', 'ulimit -f 0; exec "$0" "$@"', process.execPath, BIN, 'test', BIG_DIR, '--reporter', 'junit', '-o', 'report.xml'], { cwd: d, env: { ...process.env, NODE_OPTIONS: '' } });
      let err = '';
      c.stderr.on('data', (x: Buffer) => void (err += x));
      c.on('spawn', () => setTimeout(() => c.kill('SIGINT'), delay));
      c.on('close', (code) => done({ code, err }));
    });
  let r = await once(300);
  for (let delay = 600; r.code === null && delay <= 4800; delay *= 2) r = await once(delay);
  t.regex(r.err, /MC420: cannot write "report\.xml": EFBIG/);
  t.is(readFileSync(join(d, 'report.xml'), 'utf8'), passed);
  t.deepEqual(readdirSync(d), ['report.xml']);
});

test('a signal before mmcheck test has started: its JUnit report says the run was interrupted, never the last run\'s result; a file that is no mmcheck report is left alone', async (t) => {
  const d = tempDir('mmcheck-early-junit-');
  const passed = junitXml([{ file: 'm.ts', model: 'm', variant: null, params: '', expected: 'pass', got: 'pass', status: 'passed', diffs: [], states: 1, transitions: 1, seconds: 0 }]);
  writeFileSync(join(d, 'report.xml'), passed);
  writeFileSync(join(d, 'notes.xml'), '<notes>mine</notes>\n');
  // The signal while bin/mmcheck.js still loads (its handlers are set at once; the command takes over a second to load from the sources). A signal
  // before Node ran its first line ends the process by the signal (no code): then again, later; the cases (BIG_DIR) outlast any delay, and a signal
  // once they run gives the same interrupted report.
  const once = (out: string, delay: number) =>
    new Promise<{ code: number | null; err: string }>((done) => {
      const c = spawn(process.execPath, [BIN, 'test', BIG_DIR, '--reporter', 'junit', '-o', out], { cwd: d, env: { ...process.env, NODE_OPTIONS: '' } });
      let err = '';
      c.stderr.on('data', (x: Buffer) => void (err += x));
      c.on('spawn', () => setTimeout(() => c.kill('SIGINT'), delay));
      c.on('close', (code) => done({ code, err }));
    });
  const run = async (out: string) => {
    let r = await once(out, 300);
    for (let delay = 600; r.code === null && delay <= 4800; delay *= 2) r = await once(out, delay);
    return r;
  };
  const [report, notes] = await Promise.all([run('report.xml'), run('notes.xml')]);
  t.is(report.code, 3, report.err);
  const xml = readFileSync(join(d, 'report.xml'), 'utf8');
  t.not(xml, passed);
  t.regex(xml, /<error type="interrupted" message="interrupted by SIGINT [^"]*">/);
  t.is(notes.code, 3, notes.err);
  t.is(readFileSync(join(d, 'notes.xml'), 'utf8'), '<notes>mine</notes>\n');
});
