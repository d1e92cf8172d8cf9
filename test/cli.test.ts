import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const BIN = resolve('bin/mmcheck.js');
const run = (args: string[], cwd = process.cwd()) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const tmp = () => mkdtempSync(join(tmpdir(), 'mmcheck-cli-'));

test('exit 0: pass, with counts in text and JSON', (t) => {
  const r = run(['check', 'peterson', '-p', 'n=3']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /1,710 states, 4,066 transitions/);
  t.regex(r.out, /^pass/m);
  const j = run(['check', 'dining', '--param', 'n=3', '--no-deadlock', '--json']);
  t.is(j.code, 0);
  const o = JSON.parse(j.out);
  t.is(o.verdict, 'pass');
  t.is(o.stats.states, 14);
  t.is(o.stats.transitions, 27);
  t.is(o.violation, null);
  t.is(o.incomplete, null);
  t.deepEqual(o.params, { n: 3 });
});

test('exit 1: violation, printed as an interleaving table, saved, replayable (exit 0) and showable', (t) => {
  const dir = tmp();
  const r = run(['check', resolve('models/dining.ts'), '-p', 'n=3'], dir);
  t.is(r.code, 1);
  t.regex(r.out, /deadlock — 3 steps/);
  t.regex(r.out, /phil\[0\].*phil\[1\].*phil\[2\]/);
  t.regex(r.out, /mmcheck replay traces\/dining\.n3\.deadlock\.json/);
  t.true(existsSync(join(dir, 'traces/dining.n3.deadlock.json')));
  const rp = run(['replay', 'traces/dining.n3.deadlock.json'], dir);
  t.is(rp.code, 0, rp.out + rp.err);
  t.regex(rp.out, /reproduced/);
  const sh = run(['show', 'traces/dining.n3.deadlock.json', '--format', 'markdown'], dir);
  t.is(sh.code, 0);
  t.regex(sh.out, /\| # \| phil\[0\] \|/);
  const j = run(['check', 'dining', '-p', 'n=4', '--json', '--trace-out', 'd4.json'], dir);
  t.is(j.code, 1);
  const o = JSON.parse(j.out);
  t.is(o.violation.kind, 'deadlock');
  t.is(o.violation.length, 4);
  t.is(o.violation.trace, 'd4.json');
});

test('exit 1 from replay: a tampered trace no longer applies, naming the step, thread and why', (t) => {
  const dir = tmp();
  run(['check', 'dining', '-p', 'n=3', '--trace-out', 't.json'], dir);
  const tr = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
  // Make phil[1] take its right fork before its left: the guard... (label is wrong).
  tr.steps[1].step = 'take_right';
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(tr));
  const r = run(['replay', 'bad.json'], dir);
  t.is(r.code, 1);
  t.regex(r.out, /step 2 \(phil\[1\]: take_right\) no longer applies: phil\[1\] is at label "Think"/);
  // A changed recorded state hash.
  const tr2 = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
  tr2.steps[0].stateHash = '0000000000000000';
  writeFileSync(join(dir, 'bad2.json'), JSON.stringify(tr2));
  const r2 = run(['replay', 'bad2.json'], dir);
  t.is(r2.code, 1);
  t.regex(r2.out, /step 1 .* the state after it differs/);
});

test('exit 3: a limit reached reports how far the search got', (t) => {
  const r = run(['check', 'peterson', '-p', 'n=4', '--max-states', '5000']);
  t.is(r.code, 3);
  t.regex(r.out, /incomplete: max-states reached after 5,000 states \(depth \d+, frontier [\d,]+\)/);
  const j = run(['check', 'peterson', '-p', 'n=4', '--max-states', '5k', '--json']);
  t.is(j.code, 3);
  const o = JSON.parse(j.out);
  t.is(o.verdict, 'incomplete');
  t.is(o.incomplete.reason, 'max-states');
  t.is(o.incomplete.states, 5000);
  t.true(o.incomplete.frontier > 0);
  const tl = run(['check', 'peterson', '-p', 'n=5', '--time-limit', '0.5', '--json']);
  t.is(tl.code, 3);
  t.is(JSON.parse(tl.out).incomplete.reason, 'time-limit');
});

const bad: [string, string[], RegExp][] = [
  ['unknown model', ['check', 'nosuch'], /MC138: unknown model "nosuch" \(models: .*peterson/],
  ['unknown variant', ['check', 'examples/lock.ts', '--variant', 'nope'], /MC303: model "lock-example" has no variant "nope" \(variants: atomic-xchg, test-then-set\)/],
  ['variant on a model without variants', ['check', 'dining', '--variant', 'x'], /MC303: model "dining" has no variants/],
  ['unknown parameter', ['check', 'dining', '-p', 'm=3'], /MC301: model "dining" has no parameter "m" \(parameters: n\)/],
  ['parameter out of range', ['check', 'dining', '-p', 'n=99'], /MC302: model "dining": parameter n=99 is outside its domain int 2\.\.16/],
  ['parameter not a number', ['check', 'dining', '-p', 'n=three'], /MC302: .*n="three" is not an integer/],
  ['malformed --param', ['check', 'dining', '-p', 'n'], /MC310: --param "n": expected key=value/],
  ['unknown option', ['check', 'dining', '--fast'], /MC304: mmcheck check: unknown option "--fast"/],
  ['bad strategy', ['check', 'dining', '--strategy', 'random'], /MC308: option --strategy: "random" is not one of bfs, dfs/],
  ['bad number', ['check', 'dining', '--max-states', 'lots'], /MC307: option --max-states: "lots" is not a whole number/],
  ['unknown command', ['frobnicate'], /MC300: unknown command "frobnicate"/],
  ['missing model file', ['check', './nope.ts'], /MC139: model file "\.\/nope\.ts" does not exist/],
  ['missing trace', ['replay', 'nope.json'], /MC404: cannot read trace "nope\.json": ENOENT/],
];
for (const [name, args, re] of bad) {
  test(`exit 2: ${name}`, (t) => {
    const r = run(args);
    t.is(r.code, 2, r.out);
    t.regex(r.err, re);
  });
}

test('exit 2: malformed trace files name the JSON path at fault', (t) => {
  const dir = tmp();
  const cases: [unknown, RegExp][] = [
    ['{not json', /MC401: .* is not valid JSON/],
    [{ format: 'mmcheck-trace/9' }, /MC403: .*unsupported trace format "mmcheck-trace\/9"/],
    [{ format: 'mmcheck-trace/1', model: 'dining' }, /MC402: malformed trace at \$\.variant/],
  ];
  run(['check', 'dining', '-p', 'n=3', '--trace-out', 'good.json'], dir);
  const good = JSON.parse(readFileSync(join(dir, 'good.json'), 'utf8'));
  const g1 = structuredClone(good);
  g1.steps[2].choice = -1;
  cases.push([g1, /MC402: malformed trace at \$\.steps\[2\]\.choice: expected a non-negative integer/]);
  const g2 = structuredClone(good);
  g2.steps[0].changes = { 'fork[0]': [1] };
  cases.push([g2, /MC402: malformed trace at \$\.steps\[0\]\.changes\.fork\[0\]/]);
  const g3 = structuredClone(good);
  g3.property.kind = 'crash';
  cases.push([g3, /MC402: malformed trace at \$\.property\.kind/]);
  cases.forEach(([content, re], i) => {
    writeFileSync(join(dir, `m${i}.json`), typeof content === 'string' ? content : JSON.stringify(content));
    const r = run(['replay', `m${i}.json`], dir);
    t.is(r.code, 2, `case ${i}: ${r.out}`);
    t.regex(r.err, re);
  });
});

test('exit 2: a malformed model file is reported with its code', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'notamodel.ts'), 'export default 42;\n');
  const r = run(['check', join(dir, 'notamodel.ts')]);
  t.is(r.code, 2);
  t.regex(r.err, /MC141: model file .* does not export a model/);
  writeFileSync(
    join(dir, 'badstep.ts'),
    `import { defineModel, thread } from ${JSON.stringify(resolve('src/index.ts'))};\nexport default defineModel({ name: 'b', threads: [thread('t', { start: 'a', steps: { a: { next: 'zz-top', when: 5 } } })] });\n`,
  );
  const r2 = run(['check', join(dir, 'badstep.ts')]);
  t.is(r2.code, 2);
  t.regex(r2.err, /MC125: model "b" thread "t" step "a": when must be a function/);
});

test('list shows models, parameters, variants and expectations', (t) => {
  const r = run(['list']);
  t.is(r.code, 0);
  t.regex(r.out, /peterson/);
  t.regex(r.out, /params: n \(int 2\.\.16, default 5\)/);
  const j = JSON.parse(run(['list', '--json']).out);
  t.true(j.some((m: { name: string }) => m.name === 'dining'));
});

test('--help after a command prints the usage and checks nothing', (t) => {
  for (const args of [['check', '--help'], ['check', 'dining', '-h'], ['replay', '--help']]) {
    const r = run(args);
    t.is(r.code, 0, args.join(' '));
    t.regex(r.out, /^usage:/m);
    t.regex(r.out, /check options:/);
    t.notRegex(r.out, /^checking /m);
  }
});
