#!/usr/bin/env node
// Entry point.
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';

// mmcheck's own ends of the process (any other process.exit() is a model file's: see the end).
let ended = false;
const leave = (code) => {
  ended = true;
  process.exit(code);
};
const head = process.argv.slice(2);
const json = (head.includes('--') ? head.slice(0, head.indexOf('--')) : head).includes('--json');

// SIGINT and SIGTERM reach the run through this one pair of listeners, installed before anything
// else and never removed. Node closes a signal's handle when its last listener goes, and a signal
// that had arrived but not yet reached JavaScript goes with it: where one part of the run handed
// the signals to the next, such a signal was lost and the run went on to its end; and while no
// listener is installed, Node ends the process with 130 or 143 and no word. (Only before Node
// runs this file, while it starts, is a signal still Node's: nothing of mmcheck runs yet.) What a
// signal does depends on where the run is:
// - before a part of the run takes the signals (Node loading tsx and the engine, the arguments
//   read, a model loading in the main thread, `list`): `early`, MC376 and exit 3;
// - while parts of the run take them (a search, a replay: `onStopSignals` in src/run/signals.ts
//   adds its handler here): those parts, which stop and report how far they got;
// - between two such parts or after the last, while the result is written: the first is said on
//   stderr and handed to the next part that takes the signals (a minimisation after the search
//   then stops at once); one more, or one after a part was already stopped by a signal, ends the
//   process at once, MC441 and exit 3;
// - once the command has returned (its result is written and the process winds down): a line,
//   and the command's exit code.
const stopHandlers = new Set();
let stage = 'start';
let pending = null;
let stopped = false;
const onStop = (signal) => {
  if (stopHandlers.size > 0) {
    stopped = true;
    for (const h of [...stopHandlers]) h(signal);
  } else if (stage === 'start') early(signal);
  else if (stage === 'ended') {
    process.stderr.write(`mmcheck: ${signal} came too late to stop the run: its result is complete\n`);
    leave(typeof process.exitCode === 'number' ? process.exitCode : 0);
  } else if (stopped || pending !== null) again(signal);
  else {
    pending = signal;
    process.stderr.write(`mmcheck: ${signal} came as the run was finishing: its result is written first, and what is left to run stops at once (a second SIGINT or SIGTERM ends mmcheck now, without it)\n`);
  }
};
process.on('SIGINT', onStop);
process.on('SIGTERM', onStop);
// stdout as it is now: with --json, process.stdout.write is pointed at stderr further down (what a model file prints).
const toStdout = process.stdout.write.bind(process.stdout);
// Whether mmcheck's result is on stdout: with --json it is the one object there, and a later error is not printed after it.
let resultOut = false;
/** Where src/run/signals.ts finds `take`: a part of the run handles the signals until the function returned is called. */
globalThis[Symbol.for('mmcheck.stopSignals')] = {
  take(handler) {
    stage = 'run';
    stopHandlers.add(handler);
    if (pending !== null) {
      const signal = pending;
      pending = null;
      stopped = true;
      handler(signal);
    }
    return () => void stopHandlers.delete(handler);
  },
};
const early = (signal) => {
  const message = `interrupted by ${signal} before any search started`;
  process.stderr.write(`mmcheck: error MC376: ${message}\n`);
  // With --json, stdout carries one object whatever ends the run (src/cli/main.ts prints the same one later on).
  if (json) toStdout(`${JSON.stringify({ format: 'mmcheck-error/1', error: { code: 'MC376', message } })}\n`);
  earlyJunit(signal);
  leave(3);
};
const again = (signal) => {
  const message = `interrupted by ${signal} again as the run was finishing, before it had ended: its output may be incomplete`;
  process.stderr.write(`mmcheck: error MC441: ${message}\n`);
  if (json && !resultOut) toStdout(`${JSON.stringify({ format: 'mmcheck-error/1', error: { code: 'MC441', message } })}\n`);
  leave(3);
};

// `mmcheck test --reporter junit -o FILE` stopped before it ran says so in FILE, as a run stopped
// later does (src/cli/commands/test.ts, junitXml): a CI step that publishes the report whatever the
// exit code must not publish the previous run's. Only a file that is absent or an mmcheck JUnit
// report is replaced (src/run/output-kind.ts), atomically (a temporary file renamed over it).
function earlyJunit(signal) {
  const argv = process.argv.slice(2);
  if (argv[0] !== 'test') return;
  let reporter = null;
  let out = null;
  for (let i = 1; i < argv.length && argv[i] !== '--'; i++) {
    const a = argv[i];
    if (a === '--reporter') reporter = argv[++i] ?? null;
    else if (a.startsWith('--reporter=')) reporter = a.slice('--reporter='.length);
    else if (a === '-o' || a === '--out') out = argv[++i] ?? null;
    else if (a.startsWith('--out=')) out = a.slice('--out='.length);
  }
  if (reporter !== 'junit' || !out || out === '-') return;
  const target = resolve(out);
  try {
    let head = '';
    try {
      const fd = openSync(target, 'r');
      const buf = Buffer.alloc(200);
      head = buf.toString('utf8', 0, readSync(fd, buf, 0, 200, 0));
      closeSync(fd);
    } catch (e) {
      if (e.code !== 'ENOENT') return;
    }
    if (head !== '' && !head.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mmcheck" ')) return;
    const what = `interrupted by ${signal} before any case ran: no expectation was checked`;
    const xml = [
      '<?xml version="1.0" encoding="UTF-8"?>',
      '<testsuites name="mmcheck" tests="1" failures="0" errors="1" skipped="0" time="0.000">',
      '  <testsuite name="mmcheck run" tests="1" failures="0" errors="1" skipped="0" time="0.000">',
      '    <testcase classname="mmcheck run" name="the whole run" time="0.000">',
      `      <error type="interrupted" message="${what}">${what}</error>`,
      '    </testcase>',
      '  </testsuite>',
      '</testsuites>',
      '',
    ].join('\n');
    mkdirSync(dirname(target), { recursive: true });
    // As src/run/write.ts names it: hidden, unique, created exclusively, and removed whatever fails (a full disk).
    const tmp = join(dirname(target), `.${basename(target).slice(0, 100)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
    const fd = openSync(tmp, 'wx', 0o666);
    try {
      try {
        const buf = Buffer.from(xml, 'utf8');
        for (let off = 0; off < buf.length; ) off += writeSync(fd, buf, off);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    process.stderr.write(`mmcheck: the JUnit report ${out} says so\n`);
  } catch (e) {
    // Nothing more can be done before the process ends than say that the report still holds what it held.
    process.stderr.write(`mmcheck: error MC420: cannot write ${JSON.stringify(out)}: ${e?.code ?? e?.message ?? e}; it is not the report of this run\n`);
  }
}
const { existsSync } = await import('node:fs');
const { fileURLToPath } = await import('node:url');

// Which tree runs: an installed package ships no src/ and runs the compiled ../dist/src/. A
// checkout (../src/cli/main.ts is there) runs its compiled tree too when dist/ is exactly its
// sources compiled: the build records a digest of the files it compiled from, and it is the one
// they have now (src/run/compiled-tree.ts); otherwise, or with MMCHECK_FROM_SOURCES=1, it runs
// the TypeScript sources through tsx (an edit is seen without a build, and a stale dist/ is never
// run). From the sources, `import 'mmcheck'` in a model file means the sources too
// (src/run/source-condition.ts); from a checkout's compiled tree, a model file's import of the
// sources means the compiled engine (one engine, whichever the model names).
const root = fileURLToPath(new URL('..', import.meta.url));
const checkout = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const treeModule = new URL('../dist/src/run/compiled-tree.js', import.meta.url);
const compiledCheckout = checkout && existsSync(treeModule) && (await import(treeModule.href)).checkoutRunsCompiled(root);
const fromSource = checkout && !compiledCheckout;
const tree = fromSource ? '../src/' : '../dist/src/';
const ext = fromSource ? '.ts' : '.js';
const load = (path) => import(new URL(`${tree}${path}${ext}`, import.meta.url).href);
// tsx (ES module and CommonJS hooks) is what loads user model files (.ts, .mts, .cts, .js, .mjs,
// .cjs), wherever they live, with no set-up by the user; from the sources it also loads the engine,
// and is registered first. The compiled engine is JavaScript that Node loads itself, and registers
// tsx only before the first model file loads (src/run/worker-bootstrap.ts, moduleHooksForModelFiles,
// as its threads do): a run of a built-in model never pays for tsx, whose ES module hooks run in a
// thread of their own and pass every module loaded after them through it.
if (fromSource) {
  await import('tsx');
  (await load('run/source-condition')).registerSourceCondition();
} else (await load('run/worker-bootstrap')).deferModelFileHooks(compiledCheckout ? root : null);
const { main } = await load('cli/main');
const { internalErrorLine, processIo } = await load('cli/common');
const { writeError } = await load('run/write');
const { jsonResult } = await load('cli/json-result');

// With --json stdout carries one JSON object and nothing else: what a model file prints (console.log
// while it loads or in a step, in this thread or in a search or helper thread, whose output comes
// here) goes to stderr, and only mmcheck's own result is written to stdout.
const argv = process.argv.slice(2);
if (json) process.stdout.write = process.stderr.write.bind(process.stderr);
const io = {
  ...processIo(),
  out: (s) => {
    resultOut = true;
    toStdout(s);
  },
};

// A reader that went away (`mmcheck check ... | head`) is not an error: stop quietly.
// Any other failure to write stdout (a full disk) is the coded write error, exit 2.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') {
    const err = writeError('standard output', e);
    process.stderr.write(`mmcheck: error ${err.code}: ${err.message}\n`);
  }
  leave(e.code === 'EPIPE' ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : 2);
});
process.stderr.on('error', () => {
  /* nowhere left to report to; the exit code still says what happened */
});

// An exception no call of mmcheck's can catch: a model file's stray rejected promise, or a timer
// of its that throws. Where the stack leaves mmcheck's own files, it is the model's (a coded
// error, exit 2, never exit 1, which would read as a violation found); else a bug of mmcheck's.
const ownRoot = fileURLToPath(new URL('..', import.meta.url));
const stray = (what) => (e) => {
  const stack = typeof e?.stack === 'string' ? e.stack : '';
  const files = stack.split('\n').filter((l) => /^\s+at /.test(l) && /[\\/]/.test(l) && !/\(node:|at node:/.test(l));
  const ours = files.length > 0 && files.every((l) => l.includes(ownRoot) && !l.includes(`${ownRoot}models`) && !l.includes(`${ownRoot}examples`));
  const first = String(e?.message ?? e).split('\n')[0];
  const message = ours
    ? `${first} (${what})`
    : `${what} outside any step of the model, from code a model file started (a promise it did not await, a timer or callback): ${first}${files[0] ? `\n  ${files[0].trim()}` : ''}`;
  // The same lines as main's errors (src/cli/common.ts, src/cli/main.ts).
  process.stderr.write(`${ours ? internalErrorLine({ message }) : `mmcheck: error MC166: ${message}`}\n`);
  if (process.argv.includes('--debug')) process.stderr.write(`${stack}\n`);
  if (json) toStdout(jsonResult('error', { error: { code: ours ? 'internal' : 'MC166', message } }));
  leave(ours ? 70 : 2);
};
process.on('unhandledRejection', stray('an unhandled promise rejection'));
process.on('uncaughtException', stray('an uncaught exception'));

// A model file that calls process.exit() (exit 0 would read as a pass) ends the run as bad input.
process.on('exit', () => {
  if (ended) return;
  process.stderr.write('mmcheck: error MC166: a model file called process.exit() before mmcheck finished; a model file only defines the model\n');
  process.exitCode = 2;
});

process.exitCode = await main(argv, io);
ended = true;
stage = 'ended';
// Once nothing is left to run (worker threads ended, a model file's timers fired), the process ends here: past this point
// Node closes the signals' handles as it winds down, and a signal then ended the process with 130 after a complete result.
process.on('beforeExit', () => leave(typeof process.exitCode === 'number' ? process.exitCode : 0));
