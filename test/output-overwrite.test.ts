/**
 * Outputs never replace a file that is not mmcheck's: a trace, a swarm
 * member result, a JUnit report or a rendering of `show` replaces an
 * existing file only when that file is an mmcheck output of the same kind
 * (told by its content, src/run/output-kind.ts). `--trace-out package.json`,
 * `show -o README.md` or `test -o tsconfig.json` are refused (MC346, exit 2)
 * before anything runs, and nothing is written.
 */
import test from 'ava';
import { mkdirSync, readdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli } from './helpers/cli.ts';
import { readTrace, writeTrace } from '../src/index.ts';
import { writeFileAtomic } from '../src/run/write.ts';
import { tempDir } from './helpers/tmp.ts';

const INDEX = JSON.stringify(resolve('src/index.ts'));
const MANIFEST = JSON.stringify({ name: 'kernel-models', version: '1.0.0', devDependencies: { mmcheck: '^0.1.0' } }, null, 2) + '\n';
const TSCONFIG = JSON.stringify({ compilerOptions: { strict: true } }, null, 2) + '\n';
const README = '# Our models\n\nSee models/.\n';
const TRACE = join(tempDir('mmcheck-overwrite-'), 'dining.json');
test.before(async () => {
  if ((await cli(['check', 'dining', '-p', 'n=3', '--trace-out', TRACE])).code !== 1) throw new Error('no dining trace');
});

/** A project folder: a manifest, a tsconfig, a README and one model with an expectation. */
function project(): string {
  const dir = tempDir('mmcheck-overwrite-');
  writeFileSync(join(dir, 'package.json'), MANIFEST);
  writeFileSync(join(dir, 'tsconfig.json'), TSCONFIG);
  writeFileSync(join(dir, 'README.md'), README);
  mkdirSync(join(dir, 'models'));
  writeFileSync(join(dir, 'models/lock.ts'), readFileSync('examples/lock.ts', 'utf8').replace(/from 'mmcheck'/g, `from ${INDEX}`));
  return dir;
}

/** The project's own files are as they were, and no temporary file was left beside them. */
function untouched(t: import('ava').ExecutionContext, dir: string): void {
  t.is(readFileSync(join(dir, 'package.json'), 'utf8'), MANIFEST);
  t.is(readFileSync(join(dir, 'tsconfig.json'), 'utf8'), TSCONFIG);
  t.is(readFileSync(join(dir, 'README.md'), 'utf8'), README);
  t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
}

test('check --trace-out over a project file is refused before the search (MC346, exit 2), naming the path and what it holds', async (t) => {
  const dir = project();
  // An installed package's manifest (the user's broke the install); a fake one, so only built-in models are used here.
  mkdirSync(join(dir, 'node_modules/mmcheck'), { recursive: true });
  writeFileSync(join(dir, 'node_modules/mmcheck/package.json'), MANIFEST);
  for (const target of ['package.json', 'tsconfig.json', 'node_modules/mmcheck/package.json', 'README.md']) {
    for (const cmd of [['check', 'dining', '-p', 'n=3'], ['simulate', 'dining', '-p', 'n=3', '--seed', '1'], ['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1']]) {
      const r = await cli([...cmd, '--trace-out', target], dir);
      t.is(r.code, 2, `${cmd.join(' ')} ${target}: ${r.out}${r.err}`);
      t.regex(r.err, new RegExp(`MC346: --trace-out "${target.replace(/[./]/g, '\\$&')}" already exists \\([\\d,]+ bytes\\) and holds (JSON data|text) that mmcheck did not write.*, not an mmcheck trace`));
      t.is(r.out, '', 'refused before anything ran');
    }
  }
  const j = await cli(['check', 'dining', '-p', 'n=3', '--trace-out', 'package.json', '--json'], dir);
  t.is(j.code, 2);
  t.is(JSON.parse(j.out).error.code, 'MC346');
  untouched(t, dir);
});

test('a trace, a report or a page is written again over the one mmcheck wrote there; a path that does not exist is created', async (t) => {
  const dir = project();
  for (let i = 0; i < 2; i++) {
    t.is((await cli(['check', 'dining', '-p', 'n=3', '--trace-out', 'out/t.json'], dir)).code, 1);
    t.is((await cli(['minimize', 'out/t.json', '-o', 'out/t.min.json'], dir)).code, 0);
    t.is((await cli(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--member', '0', '-o', 'm0.json'], dir)).code, 0);
    t.is((await cli(['swarm-merge', 'm0.json', '--allow-missing', '--trace-out', 'merged.json'], dir)).code, 1);
    const junit = await cli(['test', 'models', '--reporter', 'junit', '-o', 'report.xml'], dir);
    t.is(junit.code, 0, junit.err);
  }
  t.notThrows(() => readTrace(join(dir, 'out/t.json')));
  // Any rendering of show replaces any other: a page is one kind of output, whatever its format.
  for (const format of ['text', 'markdown', 'html', 'itf', 'text'])
    t.is((await cli(['show', 'out/t.json', '--format', format, '-o', 'page'], dir)).code, 0, format);
  const { fileContent } = await import('../src/run/output-kind.ts');
  t.is(fileContent(join(dir, 'page')).kind, 'rendering');
  untouched(t, dir);
});

test('an mmcheck output of another kind is not replaced either: a trace over a page, a page over a trace, a report over a member result', async (t) => {
  const dir = project();
  await cli(['check', 'dining', '-p', 'n=3', '--trace-out', 't.json'], dir);
  await cli(['show', 't.json', '--format', 'html', '-o', 'page.html'], dir);
  await cli(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--member', '0', '-o', 'm0.json'], dir);
  const before = (f: string) => readFileSync(join(dir, f), 'utf8');
  const saved = Object.fromEntries(['t.json', 'page.html', 'm0.json'].map((f) => [f, before(f)]));
  const cases: [string[], RegExp][] = [
    [['check', 'dining', '-p', 'n=3', '--trace-out', 'page.html'], /MC346: --trace-out "page\.html" already exists \([\d,]+ bytes\) and holds a counterexample rendered by mmcheck show, not an mmcheck trace/],
    [['show', 't.json', '-o', 'm0.json'], /MC346: -o "m0\.json" .* holds an mmcheck swarm member result, not a counterexample rendered by mmcheck show/],
    [['minimize', 't.json', '-o', 'page.html'], /MC346: -o "page\.html" .* holds a counterexample rendered by mmcheck show, not an mmcheck trace/],
    [['test', 'models', '--reporter', 'junit', '-o', 'm0.json'], /MC346: -o "m0\.json" .* holds an mmcheck swarm member result, not a JUnit report of mmcheck test/],
    [['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--member', '1', '-o', 't.json'], /MC346: -o "t\.json" .* holds an mmcheck trace, not an mmcheck swarm member result/],
    [['swarm-merge', 'm0.json', '--allow-missing', '--trace-out', 'page.html'], /MC346: --trace-out "page\.html" .* not an mmcheck trace/],
    [['show', 't.json', '-o', 'README.md'], /MC346: -o "README\.md" already exists \([\d,]+ bytes\) and holds text that mmcheck did not write, not a counterexample rendered by mmcheck show/],
    [['test', 'models', '--reporter', 'junit', '-o', 'package.json'], /MC346: -o "package\.json" .* holds JSON data that mmcheck did not write/],
  ];
  for (const [args, re] of cases) {
    const r = await cli(args, dir);
    t.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    t.regex(r.err, re);
    t.true(r.err.length < 500, r.err);
  }
  for (const [f, text] of Object.entries(saved)) t.is(before(f), text, f);
  untouched(t, dir);
});

test('-o - is stdout for show and test; an empty file, a device and a missing file take any output', async (t) => {
  const dir = project();
  await cli(['check', 'dining', '-p', 'n=3', '--trace-out', 't.json'], dir);
  const shown = await cli(['show', 't.json', '-o', '-'], dir);
  t.is(shown.code, 0);
  t.regex(shown.out, /^dining \(n=3\): deadlock — 3 steps$/m);
  const junit = await cli(['test', 'models', '--reporter', 'junit', '-o', '-'], dir);
  t.is(junit.code, 0);
  t.regex(junit.out, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="mmcheck" /);
  t.false(existsSync(join(dir, '-')));
  // A file made empty beforehand (mktemp) holds nothing to lose.
  writeFileSync(join(dir, 'empty.json'), '');
  t.is((await cli(['check', 'dining', '-p', 'n=3', '--trace-out', 'empty.json'], dir)).code, 1);
  t.notThrows(() => readTrace(join(dir, 'empty.json')));
  t.is((await cli(['show', 't.json', '-o', '/dev/null'], dir)).code, 0);
  const { refuseForeignOutput } = await import('../src/run/write.ts');
  t.notThrows(() => refuseForeignOutput('does/not/exist.json', 'trace', { cwd: dir }));
  untouched(t, dir);
});

test('the API: writeTrace replaces a trace and refuses anything else; writeFileAtomic without a kind writes as before', (t) => {
  const dir = project();
  const trace = readTrace(TRACE);
  const e = t.throws(() => writeTrace(join(dir, 'package.json'), trace));
  t.is((e as { code?: string }).code, 'MC346');
  writeTrace(join(dir, 't.json'), trace);
  writeTrace(join(dir, 't.json'), trace);
  t.deepEqual(readTrace(join(dir, 't.json')), trace);
  // A file that says it is a trace but does not validate is not one.
  writeFileSync(join(dir, 'bad.json'), JSON.stringify({ format: 'mmcheck-trace/1', model: 'x' }));
  t.regex(t.throws(() => writeTrace(join(dir, 'bad.json'), trace))!.message, /holds a trace that does not validate \(MC402\)/);
  writeFileAtomic(join(dir, 'free.txt'), 'old');
  writeFileAtomic(join(dir, 'free.txt'), 'new');
  t.is(readFileSync(join(dir, 'free.txt'), 'utf8'), 'new');
  untouched(t, dir);
});

test('every rendering show writes is told apart from other text, a table of no steps (an invariant false at the start) included', async (t) => {
  const dir = project();
  const { fileContent } = await import('../src/run/output-kind.ts');
  const { render } = await import('../src/index.ts');
  const tr = readTrace(TRACE);
  const empty = { ...tr, property: { kind: 'invariant' as const, name: 'false-at-start' }, steps: [] };
  for (const x of [tr, empty])
    for (const format of ['text', 'markdown', 'html', 'itf'] as const) {
      const text = (await cli(['show', writeJson(dir, x), '--format', format], dir)).out;
      writeFileSync(join(dir, 'page'), text);
      t.is(fileContent(join(dir, 'page')).kind, 'rendering', `${format}, ${x.steps.length} steps: ${text.slice(0, 120)}`);
      // The API's rendering is the same page, and also replaces one (text, HTML and ITF carry no marker of their own).
      if (format !== 'markdown') {
        writeFileSync(join(dir, 'page'), render(x, format));
        t.is(fileContent(join(dir, 'page')).kind, 'rendering', `render ${format}`);
      }
    }
  writeFileSync(join(dir, 'notes.txt'), 'title\n\nsome notes | changes\n');
  t.deepEqual(fileContent(join(dir, 'notes.txt')), { kind: null, holds: 'text that mmcheck did not write' });
});

/** A trace written as it is (show checks it against itself: no model to replay on). */
function writeJson(dir: string, x: object): string {
  const f = join(dir, `x${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(f, JSON.stringify({ ...x, model: 'not-built-in' }));
  return f;
}

test('outputs carry what tells them apart: the HTML generator is mmcheck whatever the trace says, Markdown opens with its comment', async (t) => {
  const dir = project();
  const tr = readTrace(TRACE);
  writeFileSync(join(dir, 'c.json'), JSON.stringify({ ...tr, createdBy: 'not mmcheck' }));
  const html = await cli(['show', 'c.json', '--format', 'html'], dir);
  t.regex(html.out, /<meta name="generator" content="mmcheck \d+\.\d+\.\d+[^"]*">/);
  const md = await cli(['show', 'c.json', '--format', 'markdown'], dir);
  t.regex(md.out, /^<!-- mmcheck show: a counterexample table -->\n\*\*dining \(n=3\): deadlock — 3 steps\*\*\n/);
});
