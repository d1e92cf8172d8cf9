import test from 'ava';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defineModel } from '../src/index.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * `mmcheck test`: a team's own models, in its own folder, checked against the
 * expectations written beside them — as CI runs it.
 */
const entry = pathToFileURL(resolve('src/index.ts')).href;

/** The lock example's model with the given `expect` (a JS object literal). */
const lockModel = (name: string, expect: string) => `import { defineModel, bool, oneOf, thread } from ${JSON.stringify(entry)};
export default defineModel({
  name: ${JSON.stringify(name)},
  variants: { xchg: 'atomic exchange', racy: 'test, then set' },
  expect: ${expect},
  shared: { locked: bool(), inside: oneOf('nobody', 'one', 'two') },
  threads: (_p, v) => [0, 1].map((i) => thread('cpu' + i, {
    start: 'acquire',
    end: ['done'],
    steps: v === 'xchg'
      ? {
          acquire: { when: (s) => !s.locked, then: (s) => { s.locked = true; }, next: 'enter' },
          enter: { then: (s) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }, next: 'leave' },
          leave: { then: (s) => { s.inside = s.inside === 'two' ? 'one' : 'nobody'; s.locked = false; }, next: 'done' },
        }
      : {
          acquire: { when: (s) => !s.locked, next: 'set' },
          set: { then: (s) => { s.locked = true; }, next: 'enter' },
          enter: { then: (s) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }, next: 'leave' },
          leave: { then: (s) => { s.inside = s.inside === 'two' ? 'one' : 'nobody'; s.locked = false; }, next: 'done' },
        },
  })),
  invariants: { 'mutual-exclusion': (s) => s.inside !== 'two' },
});
`;

function project(files: Record<string, string>): string {
  const dir = tempDir('mmcheck-test-');
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, '..'), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

const GOOD = `{ xchg: { verdict: 'pass' }, racy: { verdict: 'violation', kind: 'invariant', property: 'mutual-exclusion' } }`;

test('every expectation of every model under ./models is checked; a helper module is skipped; the closing line counts them', async (t) => {
  const dir = project({
    'models/lock.ts': lockModel('lock', GOOD),
    'models/sub/lock2.ts': lockModel('lock2', `{ xchg: { verdict: 'pass' }, racy: [{ verdict: 'violation', kind: 'invariant' }, { verdict: 'violation', bench: true }] }`),
    'models/util.ts': 'export const helper = 1;\n',
  });
  const r = await cli(['test'], dir);
  t.is(r.code, 0, r.out + r.err);
  t.regex(r.out, /^lock\s+xchg\s+pass\s+pass\s+\d+\s+\d+\s+[\d.]+\s+ok$/m);
  t.regex(r.out, /^lock2\s+racy\s+invariant\s+invariant \(mutual-exclusion\)\s+22\s+27\s/m);
  t.regex(r.out, /\n4 passed, 0 failed, 1 skipped\n$/);
  t.regex(r.out, /bench: true \(run with --all\)/);
  const all = await cli(['test', '--all'], dir);
  t.regex(all.out, /\n5 passed, 0 failed\n$/);
});

test('a module that builds models for others (exports a function) is a helper, skipped; one that calls defineModel and exports nothing fails; a file given twice is checked once; two files with one model name fail (MC166)', async (t) => {
  const factory = `import { defineModel, bool, thread } from ${JSON.stringify(entry)};
export function makeLockModel(name) {
  return defineModel({ name, expect: { verdict: 'pass' }, shared: { x: bool() }, threads: [thread('t', { start: 'a', end: ['b'], steps: { a: { next: 'b' } } })] });
}
`;
  const dir = project({
    'models/lock.ts': lockModel('lock', GOOD),
    'models/lib/factory.ts': factory,
    'models/one.ts': `import { makeLockModel } from './lib/factory.ts';\nexport default makeLockModel('one');\n`,
  });
  const r = await cli(['test', 'models', 'models', 'models/lock.ts'], dir);
  t.is(r.code, 0, r.out + r.err);
  t.regex(r.out, /\n3 passed, 0 failed\n$/);
  // A forgotten export default: defineModel called, nothing exported.
  const forgot = project({ 'models/lock.ts': lockModel('lock', GOOD).replace('export default defineModel', 'defineModel') });
  const f = await cli(['test'], forgot);
  t.is(f.code, 1);
  t.regex(f.out, /MC141: model file "models\/lock\.ts" does not export a model/);
  // A copied file that keeps its model's name.
  const dup = project({ 'models/lock.ts': lockModel('lock', GOOD), 'models/lock-v2.ts': lockModel('lock', GOOD) });
  const d = await cli(['test'], dup);
  t.is(d.code, 1);
  t.regex(d.out, /MC168: "models\/lock\.ts" defines model "lock", as "models\/lock-v2\.ts" does/);
  t.regex(d.out, /\n2 passed, 1 failed\n$/);
});

test('--strict: a variant without an expectation fails the run instead of being skipped', async (t) => {
  const dir = project({ 'models/lock.ts': lockModel('lock', `{ xchg: { verdict: 'pass' } }`) });
  const loose = await cli(['test'], dir);
  t.is(loose.code, 0, loose.out + loose.err);
  t.regex(loose.out, /\n1 passed, 0 failed, 1 skipped\n$/);
  const strict = await cli(['test', '--strict', '--reporter', 'junit'], dir);
  t.is(strict.code, 1);
  t.regex(strict.out, /<testsuites name="mmcheck" tests="2" failures="1" errors="0" skipped="0"/);
  t.regex(strict.out, /<failure message="got no expectation">no expectation for variant &quot;racy&quot; \(--strict\): add one to the model&apos;s expect<\/failure>/);
});

test('a mismatch fails the run with exit 1 and says what differs; --filter narrows the cases', async (t) => {
  const dir = project({ 'models/lock.ts': lockModel('lock', `{ xchg: { verdict: 'pass', states: 3 }, racy: { verdict: 'pass' } }`) });
  const r = await cli(['test', 'models'], dir);
  t.is(r.code, 1);
  t.regex(r.out, /✗ states \d+, expected 3/);
  t.regex(r.out, /✗ verdict violation \(invariant mutual-exclusion\), expected pass/);
  t.regex(r.out, /\n0 passed, 2 failed\n$/);
  // An invariant the model does not declare fails the case before any search, naming the ones it does.
  const typo = project({ 'models/lock.ts': lockModel('lock', `{ xchg: { verdict: 'pass' }, racy: { verdict: 'violation', kind: 'invariant', property: 'mutual-exclusoin' } }`) });
  const rt = await cli(['test'], typo);
  t.is(rt.code, 1);
  t.regex(rt.out, /✗ MC147: model "lock" variant "racy": expect names invariant "mutual-exclusoin", which the model does not declare \(invariants: "mutual-exclusion"\)/);
  t.regex(rt.out, /lock +racy .*error MC147 +0 +0 /);
  t.regex(rt.out, /\n1 passed, 1 failed\n$/);
  const only = await cli(['test', 'models/lock.ts', '--filter', 'lock/racy'], dir);
  t.regex(only.out, /\n0 passed, 1 failed\n$/);
  t.notRegex(only.out, /xchg/);
});

test('a model file that fails to load fails the run, naming the file and the code', async (t) => {
  const dir = project({ 'models/lock.ts': lockModel('lock', GOOD), 'models/broken.ts': lockModel('broken', GOOD).replace('name: "broken",', 'name: "broken", invariant: {},') });
  const r = await cli(['test'], dir);
  t.is(r.code, 1);
  t.regex(r.out, /models\/broken\.ts.*error MC155/);
  t.regex(r.out, /MC155: model file "models\/broken\.ts": model "broken": unknown field "invariant"/);
  t.regex(r.out, /\n2 passed, 1 failed\n$/);
  // A misspelt thread field fails that model's cases when they are built.
  const dir2 = project({ 'models/lock.ts': lockModel('lock', GOOD).replace("start: 'acquire',", "start: 'acquire', ends: ['done'],") });
  const r2 = await cli(['test'], dir2);
  t.is(r2.code, 1);
  t.regex(r2.out, /MC156: model "lock" variant "xchg" thread "cpu0": unknown field "ends"/);
});

test('JUnit XML: a suite per model, a case per expectation, failures and skips marked; --json has every case', async (t) => {
  const dir = project({ 'models/lock.ts': lockModel('lock', `{ xchg: { verdict: 'pass' }, racy: { verdict: 'pass', note: 'a <wrong> "guess" & more' } }`) });
  const r = await cli(['test', '--reporter', 'junit', '-o', 'reports/mmcheck.xml'], dir);
  t.is(r.code, 1);
  t.regex(r.out, /^0 passed|1 passed, 1 failed/m);
  const xml = readFileSync(join(dir, 'reports/mmcheck.xml'), 'utf8');
  t.regex(xml, /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="mmcheck" tests="2" failures="1" errors="0" skipped="0"/);
  t.regex(xml, /<testsuite name="lock" tests="2" failures="1"/);
  t.is(xml.match(/<testcase /g)?.length, 2);
  t.regex(xml, /<failure message="got invariant \(mutual-exclusion\)">verdict violation/);
  t.is(xml.match(/<testsuite /g)?.length, xml.match(/<\/testsuite>/g)?.length);
  const j = await cli(['test', '--json'], dir);
  const o = JSON.parse(j.out);
  t.is(o.format, 'mmcheck-test/1');
  t.deepEqual([o.passed, o.failed, o.skipped, o.cases.length], [1, 1, 0, 2]);
  t.deepEqual(o.cases[1].diffs, ['verdict violation (invariant mutual-exclusion), expected pass']);
});

test('bad input: no such path, no models, no expectation checked, --out without junit, --json with --reporter', async (t) => {
  const dir = project({ 'empty/readme.txt': 'nothing here\n' });
  const r1 = await cli(['test', 'nosuch'], dir);
  t.is(r1.code, 2);
  t.regex(r1.err, /MC148: "nosuch" does not exist/);
  const r2 = await cli(['test', 'empty'], dir);
  t.is(r2.code, 2);
  t.regex(r2.err, /MC149: no model files under empty/);
  t.is((await cli(['test', '-o', 'x.xml'], dir)).code, 2);
  // A run that checks nothing is not a pass: CI would go green over models without expectations.
  const none = project({ 'models/lock.ts': lockModel('lock', '{}'), 'models/bench.ts': lockModel('bench', `{ xchg: { verdict: 'pass', bench: true } }`) });
  const r3 = await cli(['test'], none);
  t.is(r3.code, 2, r3.out + r3.err);
  t.regex(r3.err, /MC159: no expectation was checked under models \(2 models\): 3 variants have no expectation \(add expect to the model\); 1 expectation is marked bench: true \(--all runs them\)/);
  t.is(r3.out, '');
  t.is((await cli(['test', '--all'], none)).code, 0);
  const r4 = await cli(['test', '--filter', 'nosuch'], none);
  t.is(r4.code, 2);
  t.regex(r4.err, /MC159: .*--filter "nosuch" leaves out 4 variants/);
  t.is((await cli(['test', '--json', '--reporter', 'junit'], dir)).code, 2);
});

test('an expect entry with an unknown key or value is a coded error when the model is defined', (t) => {
  const base = { name: 'm', threads: [] };
  const def = (expect: unknown) => () => defineModel({ ...base, expect } as never);
  t.throws(def({ verdict: 'passs' }), { message: /expect: verdict "passs": expected 'pass' or 'violation'/ });
  t.throws(def({ verdict: 'pass', stats: 12 }), { message: /unknown key "stats"/ });
  t.throws(def([{ verdict: 'violation', kind: 'livelok' }]), { message: /expect\[0\]: kind "livelok"/ });
  t.throws(def({ verdict: 'pass', states: -1 }), { message: /states "-1": expected a whole number/ });
  t.throws(def({ verdict: 'pass', fairness: 'fair' }), { message: /fairness "fair": expected none, weak or strong/ });
  t.throws(def({ verdict: 'pass', kind: 'deadlock' }), { message: /kind is given for a pass/ });
  t.throws(def({ verdict: 'pass', params: { n: 2 } }), { message: /params sets unknown parameter "n"/ });
  for (const bad of [{ verdict: 'passs' }, { verdict: 'pass', stats: 1 }]) {
    const e = t.throws(def(bad));
    t.regex((e as { code?: string }).code ?? '', /^MC14[67]$/);
  }
  t.notThrows(def({ verdict: 'pass', states: 1, transitions: 0, deadlock: false, fairness: 'strong', note: 'x' }));
});
