/**
 * Hostile or damaged input, as a careless or malicious user would give it:
 * files that never end, JSON nested thousands deep, huge keys, control
 * characters, inherited key names, absurd sizes, output paths over source
 * files, model files whose code runs outside any step. Each ends in a coded
 * error naming what and where, with exit 2; none crashes, hangs or passes.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { cli, mmcheckProcess } from './helpers/cli.ts';
import { parseTrace } from '../src/trace/format.ts';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown } from '../src/report/table.ts';
import { isMcError } from '../src/model/errors.ts';

const dir = mkdtempSync(join(tmpdir(), 'mmcheck-hostile-'));
const INDEX = JSON.stringify(resolve('src/index.ts'));
const TRACE = join(dir, 'dining.json');
test.before(async () => {
  const r = await cli(['check', 'dining', '-p', 'n=3', '--trace-out', TRACE]);
  if (r.code !== 1) throw new Error(`no dining trace: ${r.err}`);
});
const trace = (): Record<string, any> => JSON.parse(readFileSync(TRACE, 'utf8'));
const write = (name: string, data: unknown): string => {
  const f = join(dir, name);
  writeFileSync(f, typeof data === 'string' ? data : JSON.stringify(data));
  return f;
};

test('a trace that is a device, a FIFO or a link to one is refused before a byte is read (it would be read, or wait, forever)', async (t) => {
  const fifo = join(dir, 'fifo.json');
  execFileSync('mkfifo', [fifo]);
  symlinkSync('/dev/zero', join(dir, 'zero.json'));
  for (const [cmd, f] of [['replay', '/dev/zero'], ['show', join(dir, 'zero.json')], ['minimize', fifo]] as const) {
    const r = await cli([cmd, f]);
    t.is(r.code, 2, `${cmd} ${f}: ${r.err}`);
    t.regex(r.err, /MC404: cannot read trace .*: a device or special file, not a regular file/);
  }
  const m = await cli(['swarm-merge', fifo]);
  t.is(m.code, 2);
  t.regex(m.err, /MC430: cannot read swarm member result .*: a device or special file, not a regular file/);
});

test('JSON nested thousands deep, a key of megabytes and control characters are refused with short messages naming the place', async (t) => {
  const deep = JSON.stringify({ ...trace(), initial: { ...trace().initial, deep: '@' } }).replace('"@"', `${'['.repeat(5000)}1${']'.repeat(5000)}`);
  const r = await cli(['replay', write('deep.json', deep)]);
  t.is(r.code, 2, r.err);
  t.regex(r.err, /MC402: malformed trace at \$\.initial\.deep(\[0\])+: nested more than 32 levels deep/);
  const key = 'k'.repeat(1_000_000);
  const huge = await cli(['replay', write('key.json', { ...trace(), initial: { ...trace().initial, [key]: [1] } })]);
  t.is(huge.code, 2);
  t.true(huge.err.length < 1000, `${huge.err.length} characters`);
  t.regex(huge.err, /\$\.initial\["kkk+\.\.\. \(1,000,002 characters\)\]/);
  const tr = trace();
  tr.steps[0].step = '\u001b[2J\u001b[31mPWNED\u0007';
  const ansi = await cli(['show', write('ansi.json', tr)]);
  t.is(ansi.code, 2);
  t.regex(ansi.err, /MC402: malformed trace at \$\.steps\[0\]\.step: a control character in a string/);
  t.false(ansi.out.includes('\u001b'));
});

test('inherited key names in recorded changes are no variables of the state', async (t) => {
  const tr = trace();
  tr.steps[0].changes = { ...tr.steps[0].changes, constructor: 'INJECTED' };
  const r = await cli(['show', write('ctor.json', tr)]);
  t.is(r.code, 2, r.out);
  t.regex(r.err, /MC406: .*\$\.steps\[0\]\.changes.*the trace records "constructor", but changes name variables of the initial state/);
});

test('a swarm of more than 10,000 members, or a member file that claims one, is refused before any plan is made', async (t) => {
  const r = await cli(['check', 'dining', '-p', 'n=3', '--swarm', '1000000000', '--no-trace']);
  t.is(r.code, 2);
  t.regex(r.err, /MC323: option --swarm: 1000000000 is more than 10,000 members/);
  const m = await cli(['check', 'dining', '-p', 'n=3', '--swarm', '20000', '--seed', '1', '--member', '0', '-o', join(dir, 'm.json')]);
  t.is(m.code, 2);
  t.regex(m.err, /MC323/);
  t.is((await cli(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--member', '0', '-o', join(dir, 'm0.json')])).code, 0);
  const member = JSON.parse(readFileSync(join(dir, 'm0.json'), 'utf8'));
  member.run.workers = 1e9;
  const merged = await cli(['swarm-merge', write('m-big.json', member), '--allow-missing']);
  t.is(merged.code, 2);
  t.regex(merged.err, /MC432: .* at \$\.run\.workers: expected an integer in 1\.\.10000, got 1000000000/);
});

test('an output path that is an existing source file is refused (a module the model imports is no input the command sees)', async (t) => {
  const helper = write('helper.ts', 'export const N = 2;\n');
  const r = await cli(['check', 'dining', '-p', 'n=3', '--trace-out', helper]);
  t.is(r.code, 1, 'the violation is still reported');
  t.regex(r.err, /MC345: ".*helper\.ts" is a source file \(\.ts\): mmcheck writes data there only when no such file exists/);
  t.is(readFileSync(helper, 'utf8'), 'export const N = 2;\n');
  const show = await cli(['show', TRACE, '-o', helper]);
  t.is(show.code, 2);
  t.is(readFileSync(helper, 'utf8'), 'export const N = 2;\n');
});

test('options: -o=FILE is refused (it named a file "=FILE"), an option refused by the search is refused before the header, --version takes no argument', async (t) => {
  const o = await cli(['show', TRACE, `-o=${join(dir, 'x.txt')}`]);
  t.is(o.code, 2);
  t.regex(o.err, /MC305: mmcheck show: option -o takes its value as the next argument \(-o .*x\.txt\), or write --out=/);
  const b = await cli(['check', 'peterson', '--store', 'bitstate', '--bitstate-bits', '40']);
  t.is(b.code, 2);
  t.is(b.out, '');
  t.regex(b.err, /MC316/);
  const v = await cli(['--version', 'extra']);
  t.is(v.code, 2);
  t.regex(v.err, /MC309/);
});

test('rendering: a page of millions of swimlane cells is refused; a markdown cell stays one cell whatever a name holds', (t) => {
  const wide = { threads: Array.from({ length: 2001 }, (_, i) => `t${i}`), steps: Array.from({ length: 2001 }, () => ({})) };
  const e = t.throws(() => renderHtml(wide as never));
  t.true(isMcError(e) && (e as { code: string }).code === 'MC342', String(e));
  const tr = trace();
  tr.model = 'dining\n| injected | row |<img src=x onerror=alert(1)>';
  const md = renderMarkdown(parseTrace(JSON.stringify(tr)));
  t.false(md.split('\n').some((l) => l.startsWith('| injected')), md);
  t.false(md.includes('<img'));
});

test('code a model file starts outside any step (a stray rejection, a throwing timer, process.exit) is a coded error, exit 2, never exit 0 or 1', async (t) => {
  const lock = (extra: string) => `import { defineModel, thread, int } from ${INDEX};
${extra}
export default defineModel({ name: 'm', shared: { n: int(0, 2) }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s) => { s.n = 1; }, next: 'done' } } })], invariants: { ok: (s) => s.n < 2 } });
`;
  const cases: [string, RegExp][] = [
    [`Promise.reject(new Error('stray'));`, /MC166: an unhandled promise rejection outside any step of the model.*: stray/],
    [`setTimeout(() => { throw new Error('late'); }, 300);`, /MC166: an uncaught exception outside any step of the model.*: late/],
    [`process.exit(0);`, /MC166: a model file called process\.exit\(\) before mmcheck finished/],
  ];
  for (const [i, [extra, re]] of cases.entries()) {
    const r = await mmcheckProcess(['check', write(`stray${i}.ts`, lock(extra)), '--no-liveness']);
    t.is(r.code, 2, `${extra}: ${r.out}${r.err}`);
    t.regex(r.err, re);
  }
  const proxy = await cli(['check', write('proxy.ts', `export default new Proxy({}, { get() { throw new Error('trap'); } });\n`)]);
  t.is(proxy.code, 2, proxy.err);
  t.regex(proxy.err, /MC141: model file .*proxy\.ts": its export cannot be read \(trap\)/);
});

test('a trace replayed against another model says which model it was made on, not only that a variant or parameter is unknown', async (t) => {
  const r = await cli(['replay', TRACE, '--model', resolve('examples/lock.ts')]);
  t.is(r.code, 2, r.out);
  t.regex(r.err, /MC421: the trace was made on model "dining", and the model given is "lock-example" \(model "lock-example" has no parameter "n".*\); give the model the trace was made on with --model FILE/);
});
