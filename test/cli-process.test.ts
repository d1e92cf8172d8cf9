/**
 * The real process: bin/mmcheck.js with its own tsx registration, one
 * transcript per exit code and --version. Everything else about the command
 * line runs in-process (cli.test.ts).
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { mmcheckProcess } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';


const mmcheck = mmcheckProcess;

test('process exit 0: a pass', async (t) => {
  const r = await mmcheck(['check', 'peterson', '-p', 'n=3']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /^checking peterson\/classic \(n=3\)/m);
  t.regex(r.out, /1,710 states, 4,066 transitions/);
  t.regex(r.out, /^pass/m);
  t.is(r.err, '');
});

test('process exit 1: a violation, its trace saved relative to the working directory', async (t) => {
  const dir = tempDir('mmcheck-proc-');
  const r = await mmcheck(['check', 'dining', '-p', 'n=3'], dir);
  t.is(r.code, 1, r.err);
  t.regex(r.out, /deadlock — 3 steps/);
  t.true(existsSync(join(dir, 'traces/dining.n3.deadlock.json')));
});

test('process exit 2: bad input, the coded error on stderr', async (t) => {
  const r = await mmcheck(['check', 'nosuch']);
  t.is(r.code, 2);
  t.is(r.out, '');
  t.regex(r.err, /^mmcheck: error MC138: unknown model "nosuch"/);
});

test('process exit 3: a limit reached', async (t) => {
  const r = await mmcheck(['check', 'peterson', '-p', 'n=4', '--max-states', '5000']);
  t.is(r.code, 3, r.err);
  t.regex(r.out, /incomplete: max-states reached after 5,000 states/);
});

test('process --version: the version of package.json', async (t) => {
  const r = await mmcheck(['--version']);
  t.is(r.code, 0);
  t.is(r.out, `mmcheck ${(JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version}\n`);
});

test('process: every line a model file prints in its steps reaches stdout, with one worker and with two (lines a thread wrote during its search were lost when it was ended after its result)', async (t) => {
  const dir = tempDir('mmcheck-proc-');
  // 216,000 states in levels of up to about 2,700 (a helper can join): 25 lines from the middle of the search.
  writeFileSync(
    join(dir, 'prints.ts'),
    `import { defineModel, int, thread } from ${JSON.stringify(resolve('src/index.ts'))};
const near = (v: number) => v >= 28 && v <= 32;
const inc = (v: 'a' | 'b' | 'c') => thread(v, { start: 's', end: ['s'], steps: { s: { when: (s) => s[v] < 59, then: (s) => { s[v] = s[v] + 1; if (v === 'a' && s.a === 30 && near(s.b) && near(s.c)) console.log(\`line \${s.b} \${s.c}\`); }, next: 's' } } });
export default defineModel({ name: 'prints', shared: { a: int(0, 59), b: int(0, 59), c: int(0, 59) }, threads: [inc('a'), inc('b'), inc('c')] });
`,
  );
  for (const workers of ['1', '2']) {
    const r = await mmcheck(['check', 'prints.ts', '--no-trace', '--workers', workers], dir);
    t.is(r.code, 0, r.err);
    t.regex(r.out, /216,000 states/, workers);
    // A step may run more than once (the checks of determinism run some again): each line at least once.
    t.is(new Set(r.out.split('\n').filter((l) => /^line \d+ \d+$/.test(l))).size, 25, workers);
  }
});

test('process --json: what a model file prints while it loads and in its steps, in every thread, goes to stderr; stdout is the one JSON object', async (t) => {
  const dir = tempDir('mmcheck-proc-');
  writeFileSync(
    join(dir, 'chatty.ts'),
    `import { defineModel, int, replicate } from ${JSON.stringify(resolve('src/index.ts'))};
console.log('chatty: loading');
export default defineModel({
  name: 'chatty',
  shared: { n: int(0, 9) },
  threads: [replicate(2, 'T', { start: 'go', steps: { go: { when: (s) => s.n < 9, then: (s) => { if (s.n === 8) console.log('chatty: step'); s.n = s.n + 1; }, next: 'go' } } })],
  invariants: { small: (s) => s.n < 9 },
});
`,
  );
  for (const workers of ['1', '2']) {
    const r = await mmcheck(['check', 'chatty.ts', '--json', '--no-trace', '--workers', workers], dir);
    t.is(r.code, 1, r.err);
    t.is(JSON.parse(r.out).violation.property, 'small', workers);
    t.regex(r.err, /chatty: loading/, workers);
    t.regex(r.err, /chatty: step/, workers);
  }
  // Without --json the model's lines stay on stdout.
  const text = await mmcheck(['check', 'chatty.ts', '--no-trace'], dir);
  t.regex(text.out, /chatty: loading/);
});
