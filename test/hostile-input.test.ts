/**
 * Hostile or damaged input, as a careless or malicious user would give it:
 * files that never end, JSON nested thousands deep, huge keys, control
 * characters, inherited key names, absurd sizes, output paths over source
 * files, model files whose code runs outside any step. Each ends in a coded
 * error naming what and where, with exit 2; none crashes, hangs or passes.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli, mmcheckProcess } from './helpers/cli.ts';
import fc from 'fast-check';
import { duplicateKey, parseTrace } from '../src/trace/format.ts';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown } from '../src/report/table.ts';
import { isMcError, pathKey } from '../src/model/errors.ts';
import { tempDir } from './helpers/tmp.ts';

const dir = tempDir('mmcheck-hostile-');
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

test('a data file of millions of array elements is read in memory that grows with its nesting, not an object per element', (t) => {
  // 4 million elements: the reader's walk once took an object and a path string per element, which ran a
  // 240 MB file (well under the 256 MB a data file may hold) out of heap, an abort instead of a message.
  const f = write('wide.json', `{"format":"mmcheck-trace/1","model":"dining","x":[${'0,'.repeat(4_000_000)}0]}`);
  const code = `import { readFileSync } from 'node:fs'; import { parseTrace } from ${JSON.stringify(resolve('src/trace/format.ts'))};
try { parseTrace(readFileSync(${JSON.stringify(f)}, 'utf8')); } catch (e) { console.log(e.code, e.message); }`;
  const out = execFileSync(process.execPath, ['--max-old-space-size=160', '--import=tsx', '--input-type=module', '-e', code], { encoding: 'utf8', timeout: 60_000 });
  t.regex(out, /^MC405 unknown field in trace at \$\.x /);
});

test('a trace or member result that is not UTF-8 is refused naming the byte (it was read with U+FFFD in its names); a leading byte-order mark is dropped', async (t) => {
  const text = readFileSync(TRACE);
  const at = text.indexOf('"dining"') + 4;
  const bad = Buffer.concat([text.subarray(0, at), Buffer.from([0xff]), text.subarray(at)]);
  const f = join(dir, 'not-utf8.json');
  writeFileSync(f, bad);
  for (const [args, code] of [[['replay', f], 'MC404'], [['show', f], 'MC404'], [['swarm-merge', f], 'MC430']] as const) {
    const x = await cli([...args]);
    t.is(x.code, 2, x.err);
    t.regex(x.err, new RegExp(`${code}: cannot read .*not-utf8\\.json": not UTF-8 text \\(the first byte that is not is at offset ${at}\\)`));
  }
  const bom = join(dir, 'bom.json');
  writeFileSync(bom, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), text]));
  t.is((await cli(['replay', bom])).code, 0);
});

test('firstInvalidUtf8 finds the first byte TextDecoder refuses', async (t) => {
  const { firstInvalidUtf8 } = await import('../src/run/read-data.ts');
  const strict = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 24 }), fc.string({ unit: 'binary', maxLength: 8 }), (noise, s) => {
      const b = Buffer.concat([Buffer.from(s, 'utf8'), noise]);
      const i = firstInvalidUtf8(b);
      let ok = true;
      try {
        strict.decode(b);
      } catch {
        ok = false;
      }
      if (ok) return i === b.length;
      // Everything before i decodes; the sequence at i does not.
      strict.decode(b.subarray(0, i));
      try {
        strict.decode(b.subarray(i, i + 4));
        return false;
      } catch {
        return i < b.length;
      }
    }),
    { numRuns: 2000 },
  );
  t.pass();
});

test('a key given twice in one object of a trace or member result is refused (JSON.parse keeps the last: show rendered the other variant)', async (t) => {
  // The user's file had "variant" twice; show rendered the steps of the variant written last, exit 0.
  const text = JSON.stringify(trace());
  const twice = text.replace('"variant":', '"variant":"other","variant":');
  const r = await cli(['show', write('dup-variant.json', twice)]);
  t.is(r.code, 2, r.out);
  t.is(r.out, '');
  t.regex(r.err, /MC402: malformed trace at \$\.variant: the key "variant" appears more than once in its object/);
  // Anywhere in the file, named by its JSON path; two spellings of one key are one key.
  const tr = trace();
  const stepText = JSON.stringify(tr.steps[1]);
  const inStep = text.replace(stepText, stepText.replace('{"thread":', `{"thr\\u0065ad":${JSON.stringify(tr.steps[0].thread)},"thread":`));
  t.not(inStep, text);
  for (const cmd of ['show', 'replay', 'minimize']) {
    const x = await cli([cmd, write('dup-step.json', inStep)]);
    t.is(x.code, 2, `${cmd}: ${x.err}`);
    t.regex(x.err, /MC402: malformed trace at \$\.steps\[1\]\.thread: the key "thread" appears more than once/);
  }
  // A member result of a swarm, its embedded trace included (read again from the parsed value, it would have lost the duplicate).
  t.is((await cli(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--member', '0', '-o', join(dir, 'dup-m0.json')])).code, 0);
  const member = readFileSync(join(dir, 'dup-m0.json'), 'utf8');
  const outcome = member.replace(/"outcome":\s*\{/, (m) => `${m}"status":"pass",`);
  t.not(outcome, member);
  const merged = await cli(['swarm-merge', write('dup-outcome.json', outcome), '--allow-missing']);
  t.is(merged.code, 2, merged.out);
  t.regex(merged.err, /MC432: malformed swarm member result .* at \$\.outcome\.status: the key "status" appears more than once/);
  t.is(JSON.parse(member).violation.kind, 'deadlock');
  const inTrace = member.replace(/"initialHash":/, '"initialHash":"0","initialHash":');
  const m2 = await cli(['swarm-merge', write('dup-trace.json', inTrace), '--allow-missing']);
  t.is(m2.code, 2, m2.out);
  t.regex(m2.err, /MC432: .* at \$\.violation\.trace\.initialHash: the key "initialHash" appears more than once/);
  // Deep nesting in the value a duplicate replaced (JSON.parse dropped it, so the depth check never saw it) is refused as deep nesting.
  const deep = text.replace('"variant":', `"variant":${'['.repeat(200_000)}{"a":1,"a":2}${']'.repeat(200_000)},"variant":`);
  const d = await cli(['show', write('dup-deep.json', deep)]);
  t.is(d.code, 2);
  t.regex(d.err, /MC402: malformed trace at \$\.variant(\[0\]){31}: nested more than 32 levels deep/);
  t.true(d.err.length < 400, `${d.err.length} characters`);
});

/** JSON text of `v` in which the object at `target` (a path as the reader writes it) gives its first key twice, first with the value `null`. */
function withDuplicate(v: unknown, target: string, path = '$'): string {
  if (Array.isArray(v)) return `[${v.map((x, i) => withDuplicate(x, target, `${path}[${i}]`)).join(', ')}]`;
  if (typeof v !== 'object' || v === null) return JSON.stringify(v);
  const entries = Object.entries(v).map(([k, x]) => `${JSON.stringify(k)}: ${withDuplicate(x, target, `${path}${pathKey(k)}`)}`);
  if (path === target) entries.unshift(`${JSON.stringify(Object.keys(v)[0])}: null`);
  return `{${entries.join(', ')}}`;
}
/** The path of every object with a key in `v`, and its first key. */
function objectPaths(v: unknown, path = '$', out: { path: string; first: string }[] = []): { path: string; first: string }[] {
  if (Array.isArray(v)) v.forEach((x, i) => objectPaths(x, `${path}[${i}]`, out));
  else if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    if (keys.length > 0) out.push({ path, first: keys[0]! });
    for (const [k, x] of Object.entries(v)) objectPaths(x, `${path}${pathKey(k)}`, out);
  }
  return out;
}

test('duplicateKey: none in what JSON.stringify writes; a planted one is found at its path, whatever strings and nesting surround it', (t) => {
  fc.assert(
    fc.property(fc.jsonValue(), fc.nat(), fc.constantFrom(undefined, 1, '\t'), (v, pick, space) => {
      if (duplicateKey(JSON.stringify(v, null, space)) !== null) return false;
      const paths = objectPaths(v);
      if (paths.length === 0) return true;
      const target = paths[pick % paths.length]!;
      return duplicateKey(withDuplicate(v, target.path))?.path === `${target.path}${pathKey(target.first)}`;
    }),
    { numRuns: 300 },
  );
  // Keys compare as JSON reads them; a key-like text inside a string is no key.
  t.is(duplicateKey('{"a": "{\\"a\\": 1, \\"a\\": 2}", "b": ["a", "a"], "c": {"a": {"a": 1}}}'), null);
  t.is(duplicateKey('{"x": [{"a": 1}, {"a": 2, "b": {"c": 1, "\\u0063": 2}}]}')?.path, '$.x[1].b.c');
  t.is(duplicateKey('{"m": [1, [2, {"q": 1, "q": 2}]]}')?.path, '$.m[1][1].q');
  t.is(duplicateKey('{"a b": {}, "a b": 1}')?.path, '$["a b"]');
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
    t.notRegex(r.err, /internal error/, extra);
  }
  // The same in the search thread: a timer started while the module loads fires there too; process.exit() in a step ends that thread.
  const early = await mmcheckProcess(['check', write('stray-early.ts', lock(`setTimeout(() => { throw new Error('early'); }, 0);`)), '--no-liveness']);
  t.is(early.code, 2, early.err);
  t.regex(early.err, /MC166: an uncaught exception outside any step of the model.*: early/);
  t.notRegex(early.err, /internal error/);
  const exiting = lock('').replace('s.n = 1;', 's.n = 1; process.exit(0);');
  for (const args of [[], ['--swarm', '2', '--seed', '1'], ['--workers', '2']]) {
    const r = await mmcheckProcess(['check', write('exit-in-step.ts', exiting), '--no-liveness', ...args]);
    t.is(r.code, 2, `${args.join(' ')}: ${r.err}`);
    t.regex(r.err, /MC166: a model's step, guard or invariant \(or code a model file started\) called process\.exit\(0\) during the search/);
  }
  // A step that leaves a timer that throws or a promise that rejects: they run before the search thread reports (it lets its output through first), not after, where a pass ignored them.
  for (const [name, code] of [['late-timer', `setTimeout(() => { throw new Error('late'); }, 0);`], ['late-reject', `void Promise.reject(new Error('late'));`]]) {
    const r = await mmcheckProcess(['check', write(`${name}.ts`, lock('').replace('s.n = 1;', `s.n = 1; ${code}`)), '--no-liveness']);
    t.is(r.code, 2, `${name}: ${r.out}${r.err}`);
    // A timer written in the step is refused from its source when the model is built (MC136), before it could run.
    t.regex(r.err, name === 'late-timer' ? /MC136: .* step "go" effect: uses setTimeout, which runs code after the function has returned/ : /MC166: .* outside any step of the model, from code a model file started .*: late/, name);
  }
  const proxy = await cli(['check', write('proxy.ts', `export default new Proxy({}, { get() { throw new Error('trap'); } });\n`)]);
  t.is(proxy.code, 2, proxy.err);
  t.regex(proxy.err, /MC141: model file .*proxy\.ts": its export cannot be read \(trap\)/);
});

test('a step, guard or invariant that throws a value whose properties throw when read is a model error (MC135), not an internal error', async (t) => {
  const hostile = `new Proxy({}, { get() { throw 1; }, getPrototypeOf() { throw 2; }, getOwnPropertyDescriptor() { throw 3; } })`;
  const model = (step: string, inv: string) => `import { defineModel, thread, int } from ${INDEX};
class E extends Error { get message(): string { throw ${hostile}; } }
export default defineModel({ name: 'm', shared: { n: int(0, 2) }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { ${step}, next: 'done' } } })], invariants: { ok: ${inv} } });
`;
  const cases: [string, string, RegExp][] = [
    [`then: () => { throw ${hostile}; }`, '() => true', /MC135: model "m", thread "t" step "go": threw <a value whose every property throws when read>/],
    [`when: () => { throw ${hostile}; }`, '() => true', /MC135: model "m", thread "t" step "go": threw <a value whose every property throws when read>/],
    [`then: (s) => { s.n = 1; }`, `() => { throw ${hostile}; }`, /MC135: model "m", invariant "ok": threw <a value whose every property throws when read>/],
    [`then: () => { throw new E(); }`, '() => true', /MC135: model "m", thread "t" step "go": threw \{\}/],
  ];
  for (const [i, [step, inv, re]] of cases.entries()) {
    const r = await cli(['check', write(`thrown-proxy${i}.ts`, model(step, inv))]);
    t.is(r.code, 2, `${step} ${inv}: ${r.err}`);
    t.regex(r.err, re);
  }
});

test('an export that only looks like a model ({ kind: "mmcheck-model" }) is checked as defineModel checks a definition: a coded error, not an internal one', async (t) => {
  const cases: [string, RegExp][] = [
    [`export default { kind: 'mmcheck-model' };`, /MC101: model file ".*looks0\.ts": defineModel\(\): expects an object/],
    [`export default { kind: 'mmcheck-model', name: 'x', def: {} };`, /MC102: model file ".*looks1\.ts": defineModel\(\): name undefined/],
    [`export default { kind: 'mmcheck-model', name: 'x', def: new Proxy({}, { get() { throw 'boom'; } }) };`, /MC141: model file ".*looks2\.ts": its export cannot be read \(boom\)/],
  ];
  for (const [i, [text, re]] of cases.entries()) {
    const f = write(`looks${i}.ts`, text);
    for (const args of [['check', f], ['replay', TRACE, '--model', f]]) {
      const r = await cli(args);
      t.is(r.code, 2, `${args[0]} ${text}: ${r.err}`);
      t.regex(r.err, re);
    }
  }
});

test('the commands printed for a trace or model path that starts with "-" run as printed (they were read as options, MC305)', async (t) => {
  const d = tempDir('mmcheck-dash-');
  writeFileSync(join(d, '-lock.ts'), readFileSync('examples/lock.ts', 'utf8').replace(/from '[^']*'/, `from ${INDEX}`));
  const r = await cli(['check', '--variant=test-then-set', '--trace-out=-t.json', '--', '-lock.ts'], d);
  t.is(r.code, 1, r.err);
  const printed = /replay: mmcheck (.*)/.exec(r.out)?.[1] ?? '';
  t.is(printed, 'replay ./-t.json --model ./-lock.ts');
  const again = await cli(printed.split(' '), d);
  t.is(again.code, 0, again.err);
});

test('a trace replayed against another model says which model it was made on, not only that a variant or parameter is unknown', async (t) => {
  const r = await cli(['replay', TRACE, '--model', resolve('examples/lock.ts')]);
  t.is(r.code, 2, r.out);
  t.regex(r.err, /MC421: the trace was made on model "dining", and the model given is "lock-example" \(model "lock-example" has no parameter "n".*\); give the model the trace was made on with --model FILE/);
});

test('a name of megabytes is refused (MC402 naming the JSON path), before show pads a table with it or replay quotes it', async (t) => {
  // The user's 2 MB step name made show write 252 MB (every row padded to it); 8 MB crashed it (Invalid string length, exit 70).
  for (const [field, size] of [['step', 2_000_000], ['thread', 8_000_000], ['to', 5_000]] as const) {
    const tr = trace();
    tr.steps[0][field] = 'F'.repeat(size);
    const f = write(`long-${field}.json`, tr);
    for (const cmd of ['show', 'replay', 'minimize']) {
      const r = await cli([cmd, f]);
      t.is(r.code, 2, `${cmd} ${field}: ${r.err.slice(0, 300)}`);
      t.true(r.out.length + r.err.length < 1000, `${cmd} ${field}: ${r.out.length + r.err.length} characters`);
      t.regex(r.err, new RegExp(`MC402: malformed trace at \\$\\.steps\\[0\\]\\.${field}: a string of ${size.toLocaleString('en-US')} characters \\(a name or value of a trace has at most 1,024\\)`));
    }
  }
  // Every name: a variable (a key), a value, the model, variant and property names; a model file's path may be as long as a path.
  const at = (edit: (x: Record<string, any>) => void) => {
    const x = trace();
    edit(x);
    return x;
  };
  const long = 'v'.repeat(1025);
  const cases: [Record<string, any>, RegExp][] = [
    [at((x) => (x.initial[long] = 1)), /\$\.initial\["v+\.\.\. \(1,027 characters\)\]: a key of 1,025 characters/],
    [at((x) => (x.steps[1].changes = { 'fork[1]': long })), /\$\.steps\[1\]\.changes\.fork\[1\]: a string of 1,025 characters/],
    [at((x) => (x.model = long)), /\$\.model: a string of 1,025/],
    [at((x) => (x.variant = long)), /\$\.variant: a string of 1,025/],
    [at((x) => (x.property.name = long)), /\$\.property\.name: a string of 1,025/],
    [at((x) => (x.threads[2] = long)), /\$\.threads\[2\]: a string of 1,025/],
    [at((x) => (x.modelFile = 'm/'.repeat(2100))), /\$\.modelFile: a string of 4,200 characters \(a name or value of a trace has at most 4,096\)/],
  ];
  for (const [x, re] of cases) {
    const e = t.throws(() => parseTrace(JSON.stringify(x)));
    t.true(isMcError(e) && e.code === 'MC402', String(e));
    t.regex(e!.message, re);
    t.true(e!.message.length < 400, `${e!.message.length} characters`);
  }
  // At the limit, a name is read; show's text table cuts its cell, so a row is not padded to it.
  const ok = at((x) => (x.model = 'notbuiltin'));
  ok.steps[0].step = 'S'.repeat(1024);
  t.notThrows(() => parseTrace(JSON.stringify(ok)));
  const shown = await cli(['show', write('at-limit.json', ok)]);
  t.is(shown.code, 0, shown.err);
  t.true(shown.out.length < 3000, `${shown.out.length} characters`);
  t.regex(shown.out, /S{99}…/);
  t.false(shown.out.includes('S'.repeat(101)));
});

test('a message that quotes trace data cuts it: replay of a step name of 1,024 characters that is not in the model', async (t) => {
  const tr = trace();
  tr.steps[0].step = 'S'.repeat(1024);
  tr.steps[1].thread = 'T'.repeat(1024);
  for (const [name, x] of [['step', tr], ['thread', { ...trace(), steps: [tr.steps[1], ...trace().steps.slice(1)] }]] as const) {
    // Its own model, unchanged: edited data (MC406), with where re-execution stops.
    const r = await cli(['replay', write(`quoted-${name}.json`, x)]);
    t.is(r.code, 2, r.err);
    t.true(r.err.length < 1200, `${name}: ${r.err.length} characters: ${r.err.slice(0, 200)}`);
    t.regex(r.err, /MC406: .* at step 1 \((?:phil\[0\]|T{240}\.\.\. \(1,024 characters\)): (?:take_left|S{240}\.\.\. \(1,024 characters\))\): /);
  }
});

test('bidirectional overrides and other invisible format characters in names are refused like control characters (MC402)', async (t) => {
  for (const [c, hex] of [['\u202e', '202E'], ['\u202a', '202A'], ['\u2066', '2066'], ['\u2069', '2069'], ['\u200e', '200E'], ['\u200f', '200F'], ['\u200b', '200B'], ['\ufeff', 'FEFF']]) {
    const tr = trace();
    tr.steps[0].step = `take${c}left`;
    const r = await cli(['show', write(`bidi-${hex}.json`, tr)]);
    t.is(r.code, 2, hex);
    t.regex(r.err, new RegExp(`MC402: malformed trace at \\$\\.steps\\[0\\]\\.step: an invisible format character \\(U\\+${hex}\\) in a string`));
    t.false(r.out.includes(c) || r.err.includes(c), hex);
    const key = trace();
    key.initial[`fork${c}[0]`] = false;
    const k = await cli(['replay', write(`bidi-key-${hex}.json`, key)]);
    t.is(k.code, 2, hex);
    t.regex(k.err, new RegExp(`MC402: malformed trace at \\$\\.initial: an invisible format character \\(U\\+${hex}\\) in the key`));
  }
});

test('replay reads recorded changes named like built-in object properties as unknown variables, never as Object.prototype members', async (t) => {
  for (const key of ['hasOwnProperty', 'constructor', '__proto__', 'toString']) {
    const tr = trace();
    tr.steps[0].changes = JSON.parse(`{${JSON.stringify(key)}: 1}`);
    const r = await cli(['replay', write(`proto-${key}.json`, JSON.stringify(tr))]);
    t.is(r.code, 2, r.err);
    t.regex(r.err, new RegExp(`MC406: .* at \\$\\.steps\\[0\\]\\.changes\\["${key}"\\] \\(step 1\\): the state after it differs from the trace's: \\$\\.steps\\[0\\]\\.changes\\["${key}"\\]: the trace records 1, re-execution gives nothing`), key);
    t.notRegex(r.out + r.err, /native code|\bfunction\b|\[object/);
    const j = await cli(['replay', write(`proto-${key}.json`, JSON.stringify(tr)), '--json']);
    t.regex(JSON.parse(j.out).error.message, /the trace records 1, re-execution gives nothing/, key);
  }
});

test('a model cannot give a name longer than a trace may hold (MC180): every counterexample it makes can be read back', async (t) => {
  const { buildModel, defineModel, oneOf, thread } = await import('../src/index.ts');
  const long = 'x'.repeat(1025);
  const model = (shared: Record<string, unknown>, step = 'go', invariants: Record<string, unknown> = {}) =>
    defineModel({ name: 'names', shared: shared as never, threads: [thread('T', { start: 'a', end: ['b'], steps: { [step]: { at: 'a', next: 'b' } } })], invariants: invariants as never });
  const coded = (f: () => unknown, re: RegExp) => {
    const e = t.throws(f);
    t.true(isMcError(e) && e.code === 'MC180', String(e));
    t.regex(e!.message, re);
    t.true(e!.message.length < 500);
  };
  coded(() => buildModel(model({ v: oneOf('a', long) }), null), /shared "v": oneOf value "x+\.\.\. \(1,027 characters\) is 1,025 characters long; a name a trace records has at most 1,024/);
  coded(() => buildModel(model({}, long), null), /thread "T": the step name "x+\.\.\. .* is 1,025 characters long/);
  coded(() => buildModel(model({}, 'go', { [long]: () => true }), null), /the invariant name .* is 1,025 characters long/);
  t.notThrows(() => buildModel(model({ v: oneOf('a', 'x'.repeat(1024)) }, 'y'.repeat(1024)), null));
});
