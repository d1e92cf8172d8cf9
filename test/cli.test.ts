/**
 * The command line, run in-process through `main` with a captured io (the
 * real process, bin/mmcheck.js, is covered by cli-process.test.ts).
 */
import test from 'ava';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cli as run } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

const tmp = () => tempDir('mmcheck-cli-');

test('exit 0: pass, with counts in text and JSON', async (t) => {
  const r = await run(['check', 'peterson', '-p', 'n=3']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /1,710 states, 4,066 transitions/);
  t.regex(r.out, /^pass/m);
  const j = await run(['check', 'dining', '--param', 'n=3', '--no-deadlock', '--json']);
  t.is(j.code, 0);
  const o = JSON.parse(j.out);
  t.is(o.verdict, 'pass');
  t.is(o.stats.states, 14);
  t.is(o.stats.transitions, 27);
  t.is(o.violation, null);
  t.is(o.incomplete, null);
  t.deepEqual(o.params, { n: 3 });
});

test('exit 1: violation, printed as an interleaving table, saved, replayable (exit 0) and showable', async (t) => {
  const dir = tmp();
  const r = await run(['check', resolve('models/dining.ts'), '-p', 'n=3'], dir);
  t.is(r.code, 1);
  t.regex(r.out, /deadlock — 3 steps/);
  t.regex(r.out, /phil\[0\].*phil\[1\].*phil\[2\]/);
  t.regex(r.out, /mmcheck replay traces\/dining\.n3\.deadlock\.json/);
  t.true(existsSync(join(dir, 'traces/dining.n3.deadlock.json')));
  // The trace was made on a model file: it is re-executed on it only when the file is given.
  const rp = await run(['replay', 'traces/dining.n3.deadlock.json', '--model', resolve('models/dining.ts')], dir);
  t.is(rp.code, 0, rp.out + rp.err);
  t.regex(rp.out, /reproduced/);
  const sh = await run(['show', 'traces/dining.n3.deadlock.json', '--format', 'markdown', '--model', resolve('models/dining.ts')], dir);
  t.is(sh.code, 0);
  t.regex(sh.out, /\| # \| phil\[0\] \|/);
  const j = await run(['check', 'dining', '-p', 'n=4', '--json', '--trace-out', 'd4.json'], dir);
  t.is(j.code, 1);
  const o = JSON.parse(j.out);
  t.is(o.violation.kind, 'deadlock');
  t.is(o.violation.length, 4);
  t.is(o.violation.trace, 'd4.json');
});

test('exit 2 from replay: a tampered trace does not reproduce on its unchanged model (MC406), naming the step, thread and why', async (t) => {
  const dir = tmp();
  await run(['check', 'dining', '-p', 'n=3', '--trace-out', 't.json'], dir);
  const tr = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
  // Make phil[1] take its right fork before its left: the guard... (label is wrong).
  tr.steps[1].step = 'take_right';
  writeFileSync(join(dir, 'bad.json'), JSON.stringify(tr));
  const r = await run(['replay', 'bad.json'], dir);
  t.is(r.code, 2);
  t.regex(r.err, /MC406: .*unchanged \(the same model hash\) at step 2 \(phil\[1\]: take_right\): phil\[1\] is at label "Think"/);
  // A changed recorded state hash.
  const tr2 = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8'));
  tr2.steps[0].stateHash = '0000000000000000';
  writeFileSync(join(dir, 'bad2.json'), JSON.stringify(tr2));
  const r2 = await run(['replay', 'bad2.json'], dir);
  t.is(r2.code, 2);
  t.regex(r2.err, /MC406: .*step 1\b.* the state after it differs/);
});

test('replay: a trace made before the model gained a parameter replays at its default, with a note', async (t) => {
  const dir = tmp();
  const INDEX = JSON.stringify(resolve('src/index.ts'));
  const model = (params: string) => `import { defineModel, bool, int, thread } from ${INDEX};
export default defineModel({
  name: 'grown',
  ${params}
  shared: { x: bool(), y: bool() },
  threads: [thread('a', { start: 'a', end: ['b'], steps: { a: { then: (s) => { s.x = true; }, next: 'b' } } }), thread('c', { start: 'a', end: ['b'], steps: { a: { then: (s) => { s.y = s.x; }, next: 'b' } } })],
  invariants: { 'not-both': (s) => !(s.x && s.y) },
});
`;
  writeFileSync(join(dir, 'm.ts'), model(''));
  t.is((await run(['check', 'm.ts', '--trace-out', 't.json'], dir)).code, 1);
  // Another file: this process has the first one's module cached.
  writeFileSync(join(dir, 'm2.ts'), model(`params: { spin: int(0, 2, 0) },`));
  const r = await run(['replay', 't.json', '--model', 'm2.ts'], dir);
  t.is(r.code, 0, r.out + r.err);
  t.regex(r.out, /the model has a parameter the trace does not record, replayed at its default: spin=0/);
  t.regex(r.out, /^reproduced: invariant "not-both"/m);
});

test('exit 3: a limit reached reports how far the search got', async (t) => {
  const r = await run(['check', 'peterson', '-p', 'n=4', '--max-states', '5000']);
  t.is(r.code, 3);
  t.regex(r.out, /incomplete: max-states reached after 5,000 states \(depth \d+, frontier [\d,]+\)/);
  const j = await run(['check', 'peterson', '-p', 'n=4', '--max-states', '5k', '--json']);
  t.is(j.code, 3);
  const o = JSON.parse(j.out);
  t.is(o.verdict, 'incomplete');
  t.is(o.incomplete.reason, 'max-states');
  t.is(o.incomplete.states, 5000);
  t.true(o.incomplete.frontier > 0);
  const tl = await run(['check', 'peterson', '-p', 'n=5', '--time-limit', '0.5', '--json']);
  t.is(tl.code, 3);
  t.is(JSON.parse(tl.out).incomplete.reason, 'time-limit');
});

test('--max-states 1: every engine stores the initial state and expands nothing (never a state past the limit)', async (t) => {
  for (const opts of [[], ['--strategy', 'dfs'], ['--strategy', 'dfs', '--por', '--stack-proviso'], ['--store', 'bitstate'], ['--store', 'hash-compact'], ['--workers', '2'], ['--workers', '2', '--store', 'hash-compact'], ['--por']]) {
    const r = await run(['check', 'peterson', '--max-states', '1', '--json', ...opts]);
    t.is(r.code, 3, opts.join(' '));
    const o = JSON.parse(r.out);
    t.deepEqual(o.incomplete, { reason: 'max-states', states: 1, depth: 0, frontier: 1 }, opts.join(' '));
    t.is(o.stats.states, 1, opts.join(' '));
    t.is(o.stats.transitions, 0, opts.join(' '));
  }
  const text = await run(['check', 'peterson', '--max-states', '1']);
  t.regex(text.out, /^1 state, 0 transitions, depth 0, /m);
  t.regex(text.out, /incomplete: max-states reached after 1 state \(depth 0, frontier 1\)/);
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
  test(`exit 2: ${name}`, async (t) => {
    const r = await run(args);
    t.is(r.code, 2, r.out);
    t.regex(r.err, re);
  });
}

test('exit 2: malformed trace files name the JSON path at fault', async (t) => {
  const dir = tmp();
  const cases: [unknown, RegExp][] = [
    ['{not json', /MC401: .* is not valid JSON/],
    [{ format: 'mmcheck-trace/9' }, /MC403: .*unsupported trace format "mmcheck-trace\/9"/],
    [{ format: 'mmcheck-trace/1', model: 'dining' }, /MC402: malformed trace at \$\.variant/],
  ];
  await run(['check', 'dining', '-p', 'n=3', '--trace-out', 'good.json'], dir);
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
  for (const [i, [content, re]] of cases.entries()) {
    writeFileSync(join(dir, `m${i}.json`), typeof content === 'string' ? content : JSON.stringify(content));
    const r = await run(['replay', `m${i}.json`], dir);
    t.is(r.code, 2, `case ${i}: ${r.out}`);
    t.regex(r.err, re);
  }
});

test('exit 2: a malformed model file is reported with its code', async (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'notamodel.ts'), 'export default 42;\n');
  const r = await run(['check', join(dir, 'notamodel.ts')]);
  t.is(r.code, 2);
  t.regex(r.err, /MC141: model file .* does not export a model/);
  writeFileSync(
    join(dir, 'badstep.ts'),
    `import { defineModel, thread } from ${JSON.stringify(resolve('src/index.ts'))};\nexport default defineModel({ name: 'b', threads: [thread('t', { start: 'a', steps: { a: { next: 'zz-top', when: 5 } } })] });\n`,
  );
  const r2 = await run(['check', join(dir, 'badstep.ts')]);
  t.is(r2.code, 2);
  t.regex(r2.err, /MC125: model "b" thread "t" step "a": when must be a function/);
});

test('list shows models, parameters, variants and expectations', async (t) => {
  const r = await run(['list']);
  t.is(r.code, 0);
  t.regex(r.out, /peterson/);
  t.regex(r.out, /params: n \(int 2\.\.16, default 5\)/);
  const j = JSON.parse((await run(['list', '--json'])).out);
  t.is(j.format, 'mmcheck-list/1');
  t.true(j.models.some((m: { name: string }) => m.name === 'dining'));
});

test("--help after a command prints that command's usage and checks nothing", async (t) => {
  for (const args of [['check', '--help'], ['check', 'dining', '-h'], ['help', 'check']]) {
    const r = await run(args);
    t.is(r.code, 0, args.join(' '));
    t.regex(r.out, /^usage: mmcheck check <model>/m);
    t.regex(r.out, /--strategy bfs\|dfs +search order .*\(default bfs\)/);
    t.regex(r.out, /--bitstate-bits N +.*\(default 27\)/);
    t.regex(r.out, /^example:\n {2}mmcheck check /m);
    t.notRegex(r.out, /^checking /m);
  }
  const rp = await run(['replay', '--help']);
  t.is(rp.code, 0);
  t.regex(rp.out, /^usage: mmcheck replay <trace\.json>/m);
  t.notRegex(rp.out, /--strategy/);
});

/** Each command's help names its own flags and no flag that only another command has. */
test('per-command help: each lists its own flags, with defaults, and not the others\'', async (t) => {
  const own: Record<string, string[]> = {
    list: ['--json'],
    check: ['--variant', '--param', '--strategy', '--store', '--por', '--symmetry', '--cross-check', '--swarm', '--minimize', '--max-states', '--memory-limit'],
    simulate: ['--variant', '--param', '--seed', '--runs', '--depth', '--time-limit'],
    replay: ['--variant', '--json'],
    show: ['--format', '--out'],
    minimize: ['--out', '--json'],
    verdicts: ['--all', '--model', '--json'],
  };
  const notHere: Record<string, string[]> = {
    list: ['--variant', '--format', '--strategy'],
    check: ['--runs', '--format', '--all'],
    simulate: ['--strategy', '--swarm', '--format', '--store'],
    replay: ['--strategy', '--format', '--runs', '--param'],
    show: ['--variant', '--strategy', '--json'],
    minimize: ['--variant', '--strategy', '--format'],
    verdicts: ['--variant', '--strategy', '--format'],
  };
  for (const [cmd, flags] of Object.entries(own)) {
    const r = await run([cmd, '--help']);
    t.is(r.code, 0, cmd);
    t.regex(r.out, new RegExp(`^usage: mmcheck ${cmd}\\b`, 'm'), cmd);
    t.regex(r.out, new RegExp(`^example:\\n {2}mmcheck ${cmd}\\b`, 'm'), cmd);
    for (const f of flags) t.regex(r.out, new RegExp(`${f}\\b`), `${cmd} ${f}`);
    for (const f of notHere[cmd]!) t.notRegex(r.out, new RegExp(`${f}\\b`), `${cmd} ${f}`);
    t.deepEqual((await run(['help', cmd])).out, r.out);
  }
  t.regex((await run(['simulate', '--help'])).out, /--runs N +number of walks \(default 1000\)/);
});

test('mmcheck --help and mmcheck help list the commands; mmcheck alone does too, as bad usage', async (t) => {
  // `help` is listed as a command: its own help (`help help`, `help --help`, `help -h`) is the list too.
  for (const args of [['--help'], ['help'], ['-h'], ['help', 'help'], ['help', '--help'], ['help', '-h']]) {
    const r = await run(args);
    t.is(r.code, 0);
    for (const c of ['list', 'check', 'simulate', 'replay', 'show', 'minimize', 'verdicts']) t.regex(r.out, new RegExp(`^ {2}${c} +\\S`, 'm'));
    t.notRegex(r.out, /--strategy/);
  }
  t.is((await run([])).code, 2);
  const bad = await run(['help', 'frobnicate']);
  t.is(bad.code, 2);
  t.regex(bad.err, /MC300: unknown command "frobnicate"/);
});

test('--version prints the version of package.json', async (t) => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { version: string };
  const r = await run(['--version']);
  t.is(r.code, 0);
  t.is(r.out, `mmcheck ${pkg.version}\n`);
});

const refused: [string, string[], RegExp][] = [
  ['unknown flag', ['check', 'dining', '--frobnicate'], /MC304: mmcheck check: unknown option "--frobnicate" \(options: --variant, --param \(-p\), --strategy/],
  ['unknown short flag', ['show', 'x.json', '-x'], /MC304: mmcheck show: unknown option "-x"/],
  ['another command\'s flag', ['replay', 'x.json', '--strategy', 'bfs'], /MC304: mmcheck replay: unknown option "--strategy"/],
  ['a value for a switch', ['check', 'dining', '--json=yes'], /MC305: mmcheck check: option --json takes no value/],
  ['a missing value', ['check', 'dining', '--max-states'], /MC305: mmcheck check: option --max-states needs a value/],
  ['a flag given twice', ['check', 'dining', '--strategy', 'bfs', '--strategy', 'dfs'], /MC306: mmcheck check: option --strategy given twice/],
  ['stray positional', ['check', 'dining', 'peterson'], /MC309: mmcheck check takes one model \(name or file\), got "dining" "peterson"/],
  ['missing positional', ['check', '--json'], /MC309: mmcheck check takes one model \(name or file\), got none/],
  ['missing trace', ['replay'], /MC309: mmcheck replay takes one trace file, got none/],
  ['stray positional to list', ['list', 'dining'], /MC309: mmcheck list takes no arguments, got "dining"/],
  ['stray positional to verdicts', ['verdicts', 'dining'], /MC309: mmcheck verdicts takes no arguments, got "dining"/],
  ['the same -p NAME twice', ['check', 'dining', '-p', 'n=3', '-p', 'n=4'], /MC330: --param n given twice \("n=3" and "n=4"\)/],
  ['the same -p NAME twice, long and short', ['simulate', 'dining', '--param=n=3', '-p', 'n=3'], /MC330: --param n given twice/],
  ['--no-trace with --trace-out', ['check', 'dining', '--no-trace', '--trace-out', 'x.json'], /MC331: mmcheck check: --no-trace and --trace-out contradict each other/],
  ['--progress with --no-progress', ['check', 'dining', '--progress', '--no-progress'], /MC331: mmcheck check: --progress and --no-progress contradict each other/],
  ['--fairness with --no-liveness', ['check', 'dining', '--fairness', 'strong', '--no-liveness'], /MC331: mmcheck check: --fairness and --no-liveness contradict each other/],
  ['simulate: --no-trace with --trace-out', ['simulate', 'dining', '--no-trace', '--trace-out', 'x.json'], /MC331: mmcheck simulate: --no-trace and --trace-out/],
  ['simulate: --fairness with --no-liveness', ['simulate', 'dining', '--no-liveness', '--fairness=weak'], /MC331: mmcheck simulate: --fairness and --no-liveness/],
  ['swarm: --progress with --no-progress', ['check', 'dining', '--swarm', '2', '--progress', '--no-progress'], /MC331: mmcheck check: --progress and --no-progress/],
  ['--bitstate-bits without --store bitstate', ['check', 'dining', '--bitstate-bits', '20'], /MC332: mmcheck check: option --bitstate-bits is used only with --store bitstate/],
  ['--bitstate-bits with another store', ['check', 'dining', '--store', 'hash-compact', '--bitstate-bits', '20'], /MC332: .*--bitstate-bits is used only with --store bitstate/],
  ['a swarm flag without --swarm', ['check', 'dining', '--seed', '3'], /MC332: mmcheck check: option --seed is used only with --swarm/],
  ['an exhaustive flag with --swarm', ['check', 'dining', '--swarm', '2', '--por'], /MC321: option --por is not used with --swarm/],
  // Neither reduction is applied to a swarm's searches: refused, not ignored.
  ['--dead-vars with --swarm', ['check', 'dining', '--swarm', '2', '--dead-vars'], /MC321: option --dead-vars is not used with --swarm/],
  ['--stack-proviso with a swarm member', ['check', 'dining', '--swarm', '2', '--seed', '1', '--member', '0', '-o', 'm.json', '--stack-proviso'], /MC321: option --stack-proviso is not used with --swarm/],
];
for (const [name, args, re] of refused) {
  test(`refused (exit 2): ${name}`, async (t) => {
    const r = await run(args);
    t.is(r.code, 2, r.out);
    t.regex(r.err, re);
    // With --json the error is also one object on stdout; otherwise stdout stays empty.
    if (args.includes('--json')) t.is(JSON.parse(r.out).error.code, /MC\d{3}/.exec(r.err)![0]);
    else t.is(r.out, '');
  });
}

test('--bitstate-bits with --store bitstate is accepted', async (t) => {
  const r = await run(['check', 'dining', '-p', 'n=3', '--store', 'bitstate', '--bitstate-bits', '20', '--json', '--no-trace']);
  t.is(r.code, 1, r.err);
  t.is(JSON.parse(r.out).violation.kind, 'deadlock');
});
