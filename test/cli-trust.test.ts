/**
 * The command line's trust contract (design.md, "The trust contract"): a
 * trace is data and never makes mmcheck import code; an output file is never
 * half-written and never written over an input; the counterexample is shown
 * even when its trace cannot be saved; every error is coded, with exit codes
 * that mean one thing, and with --json also one object on stdout.
 */
import test from 'ava';
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, openSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { main } from '../src/cli/main.ts';
import { cli as run } from './helpers/cli.ts';
import { loadModel } from '../src/run/load.ts';
import { buildModel, defineModel, int, search, thread } from '../src/index.ts';
import { buildTrace } from '../src/trace/build.ts';
import { checkReplays } from '../src/cli/output.ts';
import { fairCycle, fairnessName } from '../src/model/fairness-text.ts';
import { renderText } from '../src/report/table.ts';
import { parseTrace } from '../src/trace/format.ts';
import { tempDir } from './helpers/tmp.ts';

const tmp = () => tempDir('mmcheck-trust-');
const INDEX = JSON.stringify(resolve('src/index.ts'));
const BIN = resolve('bin/mmcheck.js');
const isRoot = process.getuid?.() === 0;

/** A folder with a dining trace (t.json) and a file that, if ever imported, writes `marker`. */
async function withEvilTrace(): Promise<{ dir: string; marker: string }> {
  const dir = tmp();
  const marker = join(dir, 'marker');
  writeFileSync(join(dir, 'evil.ts'), `import { writeFileSync } from 'node:fs';\nwriteFileSync(${JSON.stringify(marker)}, 'imported');\nexport default {};\n`);
  const c = await run(['check', 'dining', '-p', 'n=3', '--trace-out', 'good.json'], dir);
  if (c.code !== 1) throw new Error(c.err);
  const tr = JSON.parse(readFileSync(join(dir, 'good.json'), 'utf8'));
  writeFileSync(join(dir, 't.json'), JSON.stringify({ ...tr, modelFile: 'evil.ts' }));
  writeFileSync(join(dir, 'named.json'), JSON.stringify({ ...tr, model: './evil.ts' }));
  return { dir, marker };
}

// ---------------------------------------------------------------------------
// Traces are data
// ---------------------------------------------------------------------------

test('a model file named in a trace is never imported: replay and minimize print the command that loads it (MC421)', async (t) => {
  const { dir, marker } = await withEvilTrace();
  for (const cmd of ['replay', 'minimize']) {
    const r = await run([cmd, 't.json'], dir);
    t.is(r.code, 2, r.out + r.err);
    t.regex(r.err, new RegExp(`MC421: the trace names the model file "evil\\.ts".*run: mmcheck ${cmd} t\\.json --model evil\\.ts$`, 'm'));
    // A `model` field that is a path is a name, not a file to import.
    const n = await run([cmd, 'named.json'], dir);
    t.is(n.code, 2);
    t.regex(n.err, /MC421: the trace's model "\.\/evil\.ts" is not a built-in model/);
  }
  t.false(existsSync(marker));
  t.false(existsSync(join(dir, 't.min.json')));
});

test('show renders a trace that names a model file without importing it, after the self-consistency check, saying how to re-execute', async (t) => {
  const { dir, marker } = await withEvilTrace();
  for (const format of ['text', 'markdown', 'html']) {
    const r = await run(['show', 't.json', '--format', format], dir);
    t.is(r.code, 0, r.err);
    t.regex(r.out, /not re-executed: the trace names the model file (?:"|&quot;)evil\.ts(?:"|&quot;).*to re-execute it: mmcheck show t\.json --format \w+ --model evil\.ts/s);
  }
  t.false(existsSync(marker));
  // With the model given, it is replayed (and the note is gone).
  const w = await run(['show', 't.json', '--model', 'dining'], dir);
  t.is(w.code, 0, w.err);
  t.notRegex(w.out, /not re-executed/);
  t.false(existsSync(marker));
});

test('a trace of a built-in model replays by default; a path in the printed command is shell-quoted', async (t) => {
  const { dir } = await withEvilTrace();
  const r = await run(['replay', 'good.json'], dir);
  t.is(r.code, 0, r.err);
  const tr = JSON.parse(readFileSync(join(dir, 'good.json'), 'utf8'));
  mkdirSync(join(dir, 'my models'));
  writeFileSync(join(dir, "my models/it's.ts"), '');
  writeFileSync(join(dir, 'q.json'), JSON.stringify({ ...tr, modelFile: "my models/it's.ts" }));
  const q = await run(['replay', 'q.json'], dir);
  t.is(q.code, 2);
  t.regex(q.err, /run: mmcheck replay q\.json --model 'my models\/it'\\''s\.ts'$/m);
  // A trace moved away from its model (into a subfolder): no wrong path is suggested.
  mkdirSync(join(dir, 'moved'));
  writeFileSync(join(dir, 'moved/q.json'), JSON.stringify({ ...tr, modelFile: '../models/lock.ts' }));
  const moved = await run(['replay', 'moved/q.json'], dir);
  t.is(moved.code, 2);
  t.regex(moved.err, /MC421: the trace names the model file "\.\.\/models\/lock\.ts", which is neither beside the trace nor here .*run: mmcheck replay moved\/q\.json --model FILE$/m);
});

test('"modelFile": "/dev/zero" returns promptly; --model /dev/zero is refused as not a regular file (MC137)', async (t) => {
  const { dir } = await withEvilTrace();
  const tr = JSON.parse(readFileSync(join(dir, 'good.json'), 'utf8'));
  writeFileSync(join(dir, 'z.json'), JSON.stringify({ ...tr, modelFile: '/dev/zero' }));
  const t0 = Date.now();
  const r = await run(['replay', 'z.json'], dir);
  t.is(r.code, 2);
  t.regex(r.err, /MC421: .*--model \/dev\/zero$/m);
  const s = await run(['show', 'z.json'], dir);
  t.is(s.code, 0);
  const m = await run(['replay', 'z.json', '--model', '/dev/zero'], dir);
  t.is(m.code, 2);
  t.regex(m.err, /MC137: model file "\/dev\/zero" is a device or special file, not a regular file/);
  t.true(Date.now() - t0 < 20_000);
});

// ---------------------------------------------------------------------------
// Nothing lost on a write
// ---------------------------------------------------------------------------

test('an output over an input is refused before anything is written (MC345), whatever the spelling', async (t) => {
  const { dir } = await withEvilTrace();
  const before = readFileSync(join(dir, 'good.json'), 'utf8');
  symlinkSync(join(dir, 'good.json'), join(dir, 'link.json'));
  for (const args of [
    ['show', 'good.json', '-o', 'good.json'],
    ['show', 'good.json', '-o', './good.json'],
    ['show', 'good.json', '--format', 'html', '-o', 'link.json'],
    ['minimize', 'good.json', '-o', 'good.json'],
    ['minimize', 'link.json', '-o', resolve(dir, 'good.json')],
  ]) {
    const r = await run(args, dir);
    t.is(r.code, 2, args.join(' '));
    t.regex(r.err, /MC345: .* is the trace being (shown|minimised) .*: writing there would replace the input/);
    t.is(r.out, '');
  }
  t.is(readFileSync(join(dir, 'good.json'), 'utf8'), before);
  // A check whose --trace-out is its own model file.
  const model = readFileSync('examples/lock.ts', 'utf8');
  writeFileSync(join(dir, 'lock.ts'), model.replace(/from '[^']*src\/index\.ts'/g, `from ${INDEX}`));
  const c = await run(['check', 'lock.ts', '--variant', 'test-then-set', '--trace-out', 'lock.ts'], dir);
  t.is(c.code, 2, c.out + c.err);
  t.regex(c.err, /MC345: --trace-out "lock\.ts" is the model file "lock\.ts"/);
});

const failingTargets = (dir: string): { path: string; os: RegExp }[] => {
  writeFileSync(join(dir, 'file.json'), '{}');
  const out = [
    { path: 'file.json/x.json', os: /ENOTDIR/ },
    { path: '/dev/full', os: /ENOSPC/ },
  ];
  if (!isRoot) {
    mkdirSync(join(dir, 'ro'));
    chmodSync(join(dir, 'ro'), 0o555);
    out.push({ path: 'ro/x.json', os: /EACCES/ });
  }
  return out;
};

test('a trace that cannot be written: the counterexample is still printed, a coded error (MC420), exit 1, traceError in JSON', async (t) => {
  const dir = tmp();
  for (const { path, os } of failingTargets(dir)) {
    const r = await run(['check', 'dining', '-p', 'n=3', '--trace-out', path], dir);
    t.is(r.code, 1, path);
    t.regex(r.out, /deadlock — 3 steps/);
    t.regex(r.out, /^# \| phil\[0\]/m);
    t.notRegex(r.out, /trace saved/);
    t.regex(r.err, new RegExp(`^mmcheck: error MC420: cannot write "${path.replace(/[/.]/g, '\\$&')}": ${os.source}`, 'm'));
    t.notRegex(r.err, /\n\s+at /);
    const j = await run(['check', 'dining', '-p', 'n=3', '--trace-out', path, '--json'], dir);
    t.is(j.code, 1);
    const o = JSON.parse(j.out);
    t.is(o.verdict, 'violation');
    t.is(o.violation.trace, null);
    t.is(o.traceError.code, 'MC420');
    t.regex(o.traceError.message, os);
    for (const cmd of [['simulate', 'dining', '-p', 'n=3', '--seed', '1'], ['check', 'dining', '-p', 'n=3', '--swarm', '2', '--swarm-jobs', '1', '--seed', '1']]) {
      const s = await run([...cmd, '--trace-out', path], dir);
      t.is(s.code, 1, cmd.join(' '));
      t.regex(s.out, /^# \| phil\[0\]/m);
      t.regex(s.err, /MC420/);
      const sj = JSON.parse((await run([...cmd, '--trace-out', path, '--json'], dir)).out);
      t.is(sj.traceError.code, 'MC420');
    }
  }
  t.is(readFileSync(join(dir, 'file.json'), 'utf8'), '{}');
});

test('show -o and minimize -o to a path that cannot be written: MC420, exit 2, no stack', async (t) => {
  const { dir } = await withEvilTrace();
  for (const { path, os } of failingTargets(dir)) {
    const s = await run(['show', 'good.json', '-o', path], dir);
    t.is(s.code, 2);
    t.regex(s.err, new RegExp(`MC420: cannot write .*${os.source}`));
    t.notRegex(s.err, /\n\s+at /);
    const m = await run(['minimize', 'good.json', '-o', path], dir);
    t.is(m.code, 2);
    t.regex(m.out, /^minimized: /m);
    t.regex(m.err, /MC420/);
  }
});

test('a counterexample that does not replay is never saved: the model is not deterministic (MC161, exit 2)', async (t) => {
  // The same model twice, the second's effect different: a trace of the first does not replay on the second.
  const mk = (x: number) =>
    defineModel({
      name: 'flaky',
      shared: { x: int(0, 3) },
      threads: () => [thread('t', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.x = x; }, next: 'done' } } })],
      invariants: { small: (s) => s.x < 1 },
    });
  const r = search(buildModel(mk(2), null, {}));
  const tr = buildTrace(r.runtime, r.violation!);
  t.notThrows(() => checkReplays(tr, mk(2)));
  const e = t.throws(() => checkReplays(tr, mk(1)));
  t.is((e as { code?: string }).code, 'MC161');
  t.regex(e!.message, /the model is not deterministic: its counterexample does not replay: step 1 \(t: a\)/);
  // Through the command line: a step whose effect depends on how often it ran. Whatever the number of
  // calls the engine makes, a saved trace replays, and a run that would save one that does not is MC161.
  const dir = tmp();
  let refused = 0;
  for (let k = 1; k <= 6; k++) {
    writeFileSync(
      join(dir, `nd${k}.ts`),
      `import { defineModel, int, thread } from ${INDEX};
let calls = 0;
const count = () => ++calls; // a helper: the build does not read its source
export default defineModel({
  name: 'nondet',
  shared: { x: int(0, 3) },
  threads: () => [thread('t', { start: 'a', end: ['done'], steps: {
    a: { then: (s) => { s.x = count() <= ${k} ? 2 : 1; }, next: 'b' },
    b: { then: (s) => { s.x = s.x; }, next: 'done' } } })],
  invariants: { small: (s) => s.x < 1 },
});
`,
    );
    const c = await run(['check', `nd${k}.ts`, '--trace-out', `nd${k}.json`], dir);
    if (c.code === 2) {
      // Caught while searching or rebuilding the path (MC160), or at the last gate before saving (MC161).
      t.regex(c.err, /MC160: model "nondet" is not deterministic|MC161: model "nondet": the model is not deterministic: its counterexample does not replay: step 1 \(t: a\)/);
      t.false(existsSync(join(dir, `nd${k}.json`)));
      refused++;
    } else if (existsSync(join(dir, `nd${k}.json`))) {
      t.is(c.code, 1, c.err);
    }
  }
  t.true(refused > 0);
});

// ---------------------------------------------------------------------------
// Exit codes and errors
// ---------------------------------------------------------------------------

test('--json: every error is also one JSON object on stdout (coded, usage, unknown model)', async (t) => {
  for (const args of [['check', 'nosuch', '--json'], ['check', 'dining', '--json', '--bogus'], ['replay', 'nope.json', '--json'], ['verdicts', '--model', 'nosuch', '--json']]) {
    const r = await run(args);
    t.is(r.code, 2, args.join(' '));
    const o = JSON.parse(r.out);
    t.deepEqual(Object.keys(o), ['format', 'error']);
    t.is(o.format, 'mmcheck-error/1');
    t.regex(o.error.code, /^MC\d{3}$/);
    t.true(r.err.includes(`error ${o.error.code}: ${o.error.message}`));
  }
});

test('verdicts --model with an unknown model is a coded error (exit 2)', async (t) => {
  const r = await run(['verdicts', '--model', 'nosuch']);
  t.is(r.code, 2);
  t.regex(r.err, /MC138: unknown model "nosuch"/);
});

/** An io whose first write to stdout throws a plain Error: a bug, as far as main can tell. */
async function crashing(argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  let thrown = false;
  const code = await main(argv, {
    cwd: process.cwd(),
    out: (s) => {
      if (!thrown) {
        thrown = true;
        throw new TypeError('stdout went away in an unexpected way');
      }
      out += s;
    },
    err: (s) => void (err += s),
    errIsTTY: false,
  });
  return { code, out, err };
}

test('an internal error exits 70 with one line asking for a report; the stack only with --debug; JSON with --json', async (t) => {
  const r = await crashing(['check', 'peterson', '-p', 'n=2']);
  t.is(r.code, 70);
  t.regex(r.err, /^mmcheck: internal error: stdout went away in an unexpected way — please report this at .+ \(run with --debug for the stack\)\n$/);
  const d = await crashing(['check', 'peterson', '-p', 'n=2', '--debug']);
  t.is(d.code, 70);
  t.regex(d.err, /\n\s+at /);
  const j = await crashing(['check', 'peterson', '-p', 'n=2', '--json']);
  t.is(j.code, 70);
  t.deepEqual(JSON.parse(j.out), { format: 'mmcheck-error/1', error: { code: 'internal', message: 'stdout went away in an unexpected way' } });
});

test('--help documents the exit codes, --debug and the JSON error object', async (t) => {
  const r = await run(['--help']);
  t.regex(r.out, /exit codes: 0 pass, 1 violation, 2 bad input, 3 incomplete, 70 internal error/);
  t.regex(r.out, /--debug/);
  t.regex(r.out, /\{"error": \{"code": "MC\.\.\.", "message": "\.\.\."\}\}/);
  const h = await run(['replay', '--help']);
  t.regex(h.out, /--model FILE\|NAME/);
  t.regex(h.out, /never loaded/);
});

// ---------------------------------------------------------------------------
// Loading model files
// ---------------------------------------------------------------------------

test('a syntax error in a model file names file, line and column (TypeScript, ES module, CommonJS)', async (t) => {
  const dir = tmp();
  const cases: [string, string, string][] = [
    ['bad.ts', 'export default {\n  a: 1,,\n};\n', ':2:8'],
    ['bad.mjs', 'export default {\n  a: 1,,\n};\n', ':2:8'],
    ['bad.cjs', 'module.exports = {\n  a: 1,,\n};\n', ':2:8'],
    // A file that ends too soon: the position is past its last line, with no column to point at (it named the file alone).
    ['short.ts', 'export default {\n  a: 1,\n', ':3(:\\d+)?'],
    ['short.mjs', 'export default {\n  a: 1,\n', ':3(:\\d+)?'],
    ['short.cjs', 'module.exports = {\n  a: 1,\n', ':3(:\\d+)?'],
  ];
  for (const [f, text, at] of cases) {
    writeFileSync(join(dir, f), text);
    const r = await run(['check', f], dir);
    t.is(r.code, 2, f);
    t.regex(r.err, new RegExp(`MC140: model file "${f.replace('.', '\\.')}" failed to load: syntax error at ${f.replace('.', '\\.')}${at}: `), f);
  }
});

test('a coded error raised while a model file loads (a domain with bad bounds) names the line of the model file that raised it (TypeScript, CommonJS)', async (t) => {
  const dir = tmp();
  const body = (imp: string, exp: string) => `${imp}\nconst limit = 2;\n${exp} defineModel({ name: 'bd', shared: { x: int(0, 3),\n  y: int(5, limit) }, threads: [thread('t', { start: 'a', steps: { a: { then: (s) => { s.x = 1; }, next: 'a' } } })] });\n`;
  const cases: [string, string][] = [
    ['dom.ts', body(`import { defineModel, int, thread } from ${INDEX};`, 'export default')],
    ['dom.cjs', body(`const { defineModel, int, thread } = require(${INDEX});`, 'module.exports =')],
  ];
  for (const [f, text] of cases) {
    writeFileSync(join(dir, f), text);
    const r = await run(['check', f], dir);
    t.is(r.code, 2, f);
    t.regex(r.err, new RegExp(`MC201: model file "${f.replace('.', '\\.')}": int\\(5, 2\\): bounds must be integers with min <= max \\(at ${f.replace('.', '\\.')}:4:6\\)`), f);
  }
});

test('a CommonJS model file that loads its own copy of the package keeps working', async (t) => {
  const dir = tmp();
  writeFileSync(
    join(dir, 'm.cjs'),
    `const { defineModel, int, thread } = require(${INDEX});
module.exports = defineModel({ name: 'cjs', shared: { x: int(0, 1) },
  threads: () => [thread('t', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.x = 1; }, next: 'done' } } })],
  invariants: { zero: (s) => s.x === 0 } });
`,
  );
  const r = await run(['check', 'm.cjs', '--trace-out', 'c.json'], dir);
  t.is(r.code, 1, r.err);
  t.is((await run(['replay', 'c.json', '--model', 'm.cjs'], dir)).code, 0);
});

// ---------------------------------------------------------------------------
// Fairness wording
// ---------------------------------------------------------------------------

test('fairness reads as English for every value', async (t) => {
  t.is(fairCycle('weak'), 'weakly fair non-progress cycle');
  t.is(fairCycle('strong'), 'strongly fair non-progress cycle');
  t.is(fairCycle('none'), 'non-progress cycle, with no fairness assumed');
  t.is(fairnessName('none'), 'no fairness');
  const dir = tmp();
  const r = await run(['check', 'migration-entry-wait', '--variant', 'put-and-wait', '--fairness', 'none', '--trace-out', 'n.json'], dir);
  t.is(r.code, 1, r.err);
  t.notRegex(r.out + r.err, /nonely|none fairness/);
  t.regex(r.out, /livelock \(non-progress cycle, with no fairness assumed\)/);
  const tr = parseTrace(readFileSync(join(dir, 'n.json'), 'utf8'));
  t.notRegex(renderText(tr), /nonely/);
  // A fairness a trace does not know is malformed, not rendered.
  writeFileSync(join(dir, 'bogus.json'), JSON.stringify({ ...tr, fairness: 'bogus' }));
  const b = await run(['show', 'bogus.json'], dir);
  t.is(b.code, 2);
  t.notRegex(b.out, /bogusly/);
});

// ---------------------------------------------------------------------------
// The real process
// ---------------------------------------------------------------------------

test('process: a reader that goes away (| head) ends the run quietly, no EPIPE stack', async (t) => {
  const dir = tmp();
  const r = await new Promise<{ code: number | null; err: string }>((done) => {
    const c = spawn('sh', ['-c', `${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} check peterson -p n=3 | head -c 1 >/dev/null`], { cwd: dir, env: { ...process.env, NODE_OPTIONS: '' } });
    let err = '';
    c.stderr.on('data', (d: Buffer) => void (err += d));
    c.on('close', (code) => done({ code, err }));
  });
  t.is(r.err, '');
  t.is(r.code, 0);
  t.deepEqual(readdirSync(dir), []);
});

test('process: stdout on a full disk is the coded write error (exit 2), no stack', async (t) => {
  const fd = openSync('/dev/full', 'w');
  const r = await new Promise<{ code: number | null; err: string }>((done) => {
    const c = spawn(process.execPath, [BIN, 'check', 'peterson', '-p', 'n=3'], { stdio: ['ignore', fd, 'pipe'], env: { ...process.env, NODE_OPTIONS: '' } });
    let err = '';
    c.stderr!.on('data', (d: Buffer) => void (err += d));
    c.on('close', (code) => done({ code, err }));
  });
  closeSync(fd);
  t.is(r.code, 2);
  t.is(r.err, 'mmcheck: error MC420: cannot write "standard output": ENOSPC (no space left on device)\n');
});

test('loadModel by path leaves the built-in model of the same file without a source', async (t) => {
  const byPath = await loadModel(resolve('models/dining.ts'));
  t.truthy(byPath.source);
  t.is((await loadModel('dining')).source, undefined);
});

test('mmcheck test -o: a JUnit report over a model file is refused before anything runs; a report that cannot be written is MC420', async (t) => {
  const dir = tmp();
  const model = readFileSync('examples/lock.ts', 'utf8').replace(/from '[^']*src\/index\.ts'/g, `from ${INDEX}`);
  writeFileSync(join(dir, 'lock.ts'), model);
  const r = await run(['test', 'lock.ts', '--reporter', 'junit', '-o', 'lock.ts'], dir);
  t.is(r.code, 2, r.out + r.err);
  t.regex(r.err, /MC345: -o "lock\.ts" is the model file/);
  t.is(readFileSync(join(dir, 'lock.ts'), 'utf8'), model);
  writeFileSync(join(dir, 'file.xml'), '');
  const w = await run(['test', 'lock.ts', '--reporter', 'junit', '-o', 'file.xml/r.xml'], dir);
  t.regex(w.err, /MC420: cannot write "file\.xml\/r\.xml": ENOTDIR/);
  t.notRegex(w.err, /\n\s+at /);
});
