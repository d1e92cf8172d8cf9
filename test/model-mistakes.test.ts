/**
 * Mistakes a model's author makes that the model's source shows, and that
 * would otherwise pass without a word: a cache or counter kept in an object
 * of the closure (the run-time check re-executes a state and meets the same
 * cached answer), work deferred past the step (a timer, a microtask), an
 * increment assigned back over itself, a comparison in a guard's or an
 * invariant's block whose value is dropped.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { array, bool, buildModel, check, defineModel, int, oneOf, replicate, search, thread, type Model, type StepDef } from '../src/index.ts';
import { isMcError, type McError } from '../src/model/errors.ts';
import { tempDir } from './helpers/tmp.ts';

const cli = (args: string[]) => {
  const r = spawnSync(process.execPath, [resolve('bin/mmcheck.js'), ...args], { encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};

/** Two threads running `step` once from label a; `extra` adds model fields. */
const mk = (step: Partial<StepDef>, extra: Record<string, unknown> = {}): Model =>
  defineModel({
    name: 'mistake',
    shared: { x: int(0, 3), y: int(0, 3) },
    threads: [replicate(2, 'w', { start: 'a', end: ['done'], locals: { k: int(0, 3) }, steps: { go: { at: 'a', next: 'done', ...step } } })],
    invariants: { small: (s: { x: number }) => s.x <= 3 },
    ...extra,
  } as never) as unknown as Model;

const codeOf = (f: () => unknown): string => {
  try {
    const r = f() as { verdict?: string } | undefined;
    return r?.verdict ?? 'ok';
  } catch (e) {
    return isMcError(e) ? (e as McError).code : `internal: ${String(e)}`;
  }
};

test('an object of the closure changed by a step, an invariant or init (a member written, incremented or deleted, a push, a Map set, a Set add, Object.assign) is MC160 when the model is built', (t) => {
  const st = { n: 0 };
  const memo = new Map<number, number>();
  const seen: number[] = [];
  const ids = new Set<number>();
  const table: Record<string, number> = {};
  const bad: [string, Model, RegExp][] = [
    ['a member incremented', mk({ then: (s) => { st.n++; s.x = st.n > 100 ? 2 : 1; } }), /step "go" effect: changes st\.n, an object outside the function/],
    ['a member assigned', mk({ then: (s) => { st.n = s.x; s.x = 1; } }), /changes st\.n/],
    ['an element assigned', mk({ then: (s) => { table[String(s.x)] = 1; s.x = 1; } }), /changes table\[String\(s\.x\)\]/],
    ['a prefix increment', mk({ then: (s) => { ++st.n; s.x = 1; } }), /changes st\.n/],
    ['a member deleted', mk({ then: (s) => { delete table.a; s.x = 1; } }), /changes table\.a/],
    ['a push', mk({ then: (s) => { seen.push(s.x); s.x = seen.length > 5000 ? 1 : 0; } }), /changes seen \(seen\.push\(\.\.\.\)\)/],
    ['a memo in a guard', mk({ when: (s) => { if (!memo.has(s.x)) memo.set(s.x, s.y); return memo.get(s.x) === 0; }, then: (s) => { s.x = 1; } }), /guard: changes memo \(memo\.set/],
    ['a Set add', mk({ then: (s, me) => { ids.add(me.id); s.x = [...ids][0]!; } }), /changes ids \(ids\.add/],
    ['Object.assign', mk({ then: (s) => { Object.assign(st, { n: 1 }); s.x = 1; } }), /changes st \(Object\.assign/],
    ['an invariant', mk({ then: (s) => { s.x = 1; } }, { invariants: { counted: (s: { x: number }) => { st.n += 1; return s.x <= 3; } } }), /invariant "counted": changes st\.n/],
    ['init', mk({ then: (s) => { s.x = 1; } }, { init: () => (s: { x: number }) => { seen.length = 0; s.x = 0; } }), /init: changes seen\.length/],
  ];
  for (const [what, m, re] of bad) {
    const e = t.throws(() => buildModel(m, null), undefined, what) as unknown as McError;
    t.is(e.code, 'MC160', what);
    t.regex(e.message, re, what);
  }
  // Reading the closure's objects, and changing the function's own (a local array, a destructured pair, the state's arrays), is fine.
  const own: Partial<StepDef>[] = [
    { then: (s) => { s.x = (table[String(s.y)] ?? 0) % 4; } },
    { then: (s) => { s.x = (memo.get(s.y) ?? 0) % 4; } },
    { then: (s) => { const a: number[] = []; a.push(s.y); a.sort(); s.x = a[0]!; } },
    { then: (s) => { const m = new Map<number, number>(); m.set(1, s.y); s.x = m.get(1)!; } },
    { then: (s, me) => { const [a, b] = [1, 2]; me.k = a; s.x = b; } },
    { then: (s) => { const o = { n: 0 }; o.n++; s.x = o.n; } },
    { when: (s) => [s.x, s.y].includes(0), then: (s) => { s.x = seen.length > 0 ? 1 : 2; } },
  ];
  for (const step of own) t.is(codeOf(() => buildModel(mk(step), null)), 'ok', String(step.then));
});

test('a first-visit cache in a step is MC160 when the model is built, where the search would otherwise answer pass', (t) => {
  // x := (x + y) % 4, memoised by x only: the state a.y = 1 then b then a reaches x = 2 only if the memo misses.
  const memo = new Map<number, number>();
  const m = defineModel({
    name: 'memo',
    shared: { x: int(0, 3), y: int(0, 3) },
    threads: [
      thread('a', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.y = 1; }, next: 'b' }, b: { then: (s) => { let v = memo.get(s.x); if (v === undefined) { v = (s.x + s.y) % 4; memo.set(s.x, v); } s.x = v; }, next: 'done' } } }),
      thread('b', { start: 'a', end: ['done'], steps: { a: { then: (s) => { let v = memo.get(s.x); if (v === undefined) { v = (s.x + s.y) % 4; memo.set(s.x, v); } s.x = v; }, next: 'done' } } }),
    ],
    invariants: { 'not-two': (s) => s.x !== 2 },
  });
  t.is(codeOf(() => check(m)), 'MC160');
});

test('a timer, a microtask or nextTick in a model function is MC136: what it runs after the step is part of no state', (t) => {
  const cases: [string, Model][] = [
    ['setTimeout', mk({ then: (s) => { setTimeout(() => { s.x = 2; }, 0); s.x = 1; } })],
    ['queueMicrotask', mk({ then: (s) => { queueMicrotask(() => { s.x = 2; }); s.x = 1; } })],
    ['process.nextTick', mk({ then: (s) => { process.nextTick(() => { s.x = 2; }); s.x = 1; } })],
    ['setImmediate', mk({ when: (s) => { setImmediate(() => undefined); return s.x === 0; }, then: (s) => { s.x = 1; } })],
  ];
  for (const [what, m] of cases) {
    const e = t.throws(() => buildModel(m, null), undefined, what) as unknown as McError;
    t.is(e.code, 'MC136', what);
    t.regex(e.message, new RegExp(`uses ${what.replace('.', '\\.')}, which runs code after the function has returned`), what);
  }
});

test('s.n = s.n++ assigns the old value back (the increment is lost) and is MC165; an increment of another variable is fine', (t) => {
  const e = t.throws(() => buildModel(mk({ then: (s) => { s.x = s.x++; } }), null)) as unknown as McError;
  t.is(e.code, 'MC165');
  t.regex(e.message, /"s\.x = s\.x\+\+" assigns the old value back, and the increment is lost/);
  t.is(codeOf(() => buildModel(mk({ then: (s, me) => { me.k = me.k--; s.x = 1; } }), null)), 'MC165');
  t.is(codeOf(() => buildModel(mk({ then: (s) => { s.x = s.y++; } }), null)), 'ok');
  t.is(codeOf(() => buildModel(mk({ then: (s) => { s.x++; } }), null)), 'ok');
});

test('a guard, invariant, next or choose whose block computes a value and drops it is MC165, not a check that always holds', (t) => {
  const bad: [string, Model, RegExp][] = [
    ['invariant', mk({ then: (s) => { s.x = 1; } }, { invariants: { mutex: (s: { x: number }) => { s.x <= 1; return true; } } }), /invariant "mutex": the statement "s\.x <= \.\.\." compares and changes nothing: its value is dropped/],
    ['guard', mk({ when: (s) => { s.x === 0; return true; }, then: (s) => { s.x = 1; } }), /step "go" guard: the statement "s\.x === \.\.\."/],
    ['next', mk({ then: (s) => { s.x = 1; }, next: (s) => { s.x > 0; return 'done'; } }), /step "go" next: the statement/],
  ];
  for (const [what, m, re] of bad) {
    const e = t.throws(() => buildModel(m, null), undefined, what) as unknown as McError;
    t.is(e.code, 'MC165', what);
    t.regex(e.message, re, what);
  }
  // An expression body is the answer; a block that returns what it computes is fine.
  for (const m of [
    mk({ when: (s) => s.x === 0, then: (s) => { s.x = 1; } }),
    mk({ when: (s) => { const v = s.x; return v === 0; }, then: (s) => { s.x = 1; } }, { invariants: { ok: (s: { x: number; y: number }) => { if (s.y > 0) return s.x <= 3; return true; } } }),
  ])
    t.is(codeOf(() => buildModel(m, null)), 'ok');
});

test('cli: a model file whose default export and export named model are different models is MC141 (ESM, TypeScript, CommonJS); one that exports models under other names only says so', (t) => {
  const dir = tempDir('mmcheck-exports-');
  const entry = JSON.stringify(resolve('src/index.ts'));
  const def = (name: string, x: number) => `defineModel({ name: '${name}', shared: { x: int(0, 3) }, threads: [replicate(2, 'cpu', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.x = ${x}; }, next: 'done' } } })], invariants: { ok: (s) => s.x !== 2 } })`;
  const files: [string, string][] = [
    ['both.ts', `import { defineModel, replicate, int } from ${entry};\nexport const model = ${def('broken', 2)};\nexport default ${def('fixed', 1)};\n`],
    ['both.mjs', `import { defineModel, replicate, int } from ${entry};\nexport const model = ${def('broken', 2)};\nexport default ${def('fixed', 1)};\n`],
    ['both.cjs', `const { defineModel, replicate, int } = require(${entry});\nmodule.exports = ${def('fixed', 1)};\nmodule.exports.model = ${def('broken', 2)};\n`],
    ['inner.js', `const { defineModel, replicate, int } = require(${entry});\nmodule.exports = { default: ${def('fixed', 1)}, model: ${def('broken', 2)} };\n`],
  ];
  for (const [f, text] of files) {
    writeFileSync(join(dir, f), text);
    const r = cli(['check', '--no-trace', join(dir, f)]);
    t.is(r.code, 2, `${f}: ${r.out}${r.err}`);
    t.regex(r.err, /error MC141: model file ".*" exports two different models, "(fixed|broken)" and "(fixed|broken)" \(its default export and its export named model\)/, f);
  }
  // The same model under both names is one model.
  writeFileSync(join(dir, 'same.ts'), `import { defineModel, replicate, int } from ${entry};\nconst m = ${def('one', 1)};\nexport default m;\nexport { m as model };\n`);
  t.is(cli(['check', '--no-trace', join(dir, 'same.ts')]).code, 0);
  writeFileSync(join(dir, 'named.ts'), `import { defineModel, replicate, int } from ${entry};\nexport const a = ${def('a', 1)};\nexport const b = ${def('b', 2)};\n`);
  const r = cli(['check', '--no-trace', join(dir, 'named.ts')]);
  t.is(r.code, 2);
  t.regex(r.err, /MC141: .* does not export a model .*it exports models under another name \(a, b\), which mmcheck does not pick/);
});

test('a guard or invariant that returns a view (an array variable without .get(i), s, me) is named as one, not as the view\'s internal fields', (t) => {
  const m = defineModel({
    name: 'views',
    shared: { want: array(2, bool()), x: int(0, 3) },
    threads: [replicate(2, 'w', { start: 'a', end: ['done'], locals: { k: int(0, 3) }, steps: { go: { at: 'a', when: (s) => s.want as unknown as boolean, then: (s) => { s.x = 1; }, next: 'done' } } })],
  });
  const e = t.throws(() => search(buildModel(m, null), {})) as unknown as McError;
  t.is(e.code, 'MC153');
  t.regex(e.message, /the guard returned an array variable \(its view, not a value: read an element with \.get\(i\)\); a guard must return true or false/);
  t.notRegex(e.message, /\$w|\$ro/);
  const inv = (f: (s: never) => unknown) => t.throws(() => search(buildModel(mk({ then: (s) => { s.x = 1; } }, { invariants: { bad: f } }), null), {})) as unknown as McError;
  const s = inv((x) => x);
  t.is(s.code, 'MC154');
  t.regex(s.message, /returned the state view \(s\), not a value: read a variable \(s\.NAME\)/);
  const me = t.throws(() => search(buildModel(mk({ when: (_s, me) => me as unknown as boolean, then: (s) => { s.x = 1; } }), null), {})) as unknown as McError;
  t.regex(me.message, /the guard returned a thread's locals view \(me\)/);
});

test('an array variable used as a condition or compared (!s.want, s.want && ..., s.want === true, if (s.want)) is MC181; a member of a scalar variable or local (s.n.x) is MC150', (t) => {
  const arr = (step: Partial<StepDef>, extra: Record<string, unknown> = {}): Model =>
    defineModel({
      name: 'arrays',
      shared: { want: array(2, bool()), n: int(0, 3), st: oneOf('idle', 'busy') },
      threads: [replicate(2, 'w', { start: 'a', end: ['done'], locals: { k: int(0, 3) }, steps: { go: { at: 'a', next: 'done', then: (s, me) => { s.want.set(me.id, true); }, ...step } } })],
      ...extra,
    } as never) as unknown as Model;
  const bad: [string, Model][] = [
    ['!s.want', arr({ when: (s: any) => !s.want && s.n === 0 })],
    ['s.want &&', arr({ when: (s: any) => s.want && s.n === 0 })],
    ['=== true', arr({ when: (s: any) => s.want === true || s.n === 0 })],
    ['ternary', arr({ when: (s: any) => (s.want ? s.n === 0 : true) })],
    ['> 0', arr({ when: (s: any) => s.want > 0 || s.n === 0 })],
    ['if', arr({ then: (s: any, me: any) => { if (s.want) s.n = 1; s.want.set(me.id, true); } })],
    ['invariant', arr({}, { invariants: { mutex: (s: any) => s.n <= 1 || s.want } })],
  ];
  for (const [what, m] of bad) {
    const e = t.throws(() => buildModel(m, null), undefined, what) as unknown as McError;
    t.is(e.code, 'MC181', what);
    t.regex(e.message, /uses the array s\.want as a value \(a condition or a comparison\), but it is the array's view/, what);
  }
  for (const [what, m] of [
    ['s.n.x', arr({ when: (s: any) => s.n.x === undefined })],
    ['me.k.locked', arr({ when: (_s: any, me: any) => !me.k.locked })],
  ] as const) {
    const e = t.throws(() => buildModel(m, null), undefined, what) as unknown as McError;
    t.is(e.code, 'MC150', what);
    t.regex(e.message, /is a scalar/, what);
  }
  // An element, the length, a view handed on or picked by a ternary, a scalar's own methods: fine.
  for (const m of [
    arr({ when: (s) => !s.want.get(0) && s.want.length === 2 }),
    arr({ when: (s, me) => (me.id === 0 ? s.want : s.want).get(me.id) === false }),
    arr({ when: (s) => s.st.startsWith('i') && s.n.toString() === '0' }),
    arr({ when: (s) => [s.want].length === 1 }),
  ])
    t.is(codeOf(() => buildModel(m, null)), 'ok');
});

test('this in a model function is MC160: the function is called with no object, so this.x = 2 wrote a global and the step changed nothing', (t) => {
  const e = t.throws(() => buildModel(mk({ then: function (this: { x: number }, s) { this.x = 2; s.y = 1; } }), null)) as unknown as McError;
  t.is(e.code, 'MC160');
  t.regex(e.message, /step "go" effect: uses this, which is not the state/);
  t.is(codeOf(() => buildModel(mk({ then: function (s) { s.x = 'this'.length - 3; } }), null)), 'ok');
});

test('cli: a pass of a model whose guard and invariant read a shared variable no step and no init writes (a local of the same name written instead) warns that it keeps its initial value', (t) => {
  const dir = tempDir('mmcheck-constant-');
  const entry = JSON.stringify(resolve('src/index.ts'));
  const model = (write: string) => `import { defineModel, replicate, int, bool } from ${entry};
export default defineModel({ name: 'lockvar', shared: { locked: bool(), inside: int(0, 2) },
  threads: [replicate(2, 'cpu', { locals: { locked: bool() }, start: 'a', end: ['done'], steps: {
    a: { when: (s) => !s.locked, then: (s, me) => { ${write}.locked = true; }, next: 'b' },
    b: { then: (s) => { s.inside = s.inside + 1; }, next: 'c' },
    c: { then: (s, me) => { s.inside = s.inside - 1; ${write}.locked = false; }, next: 'done' } } })],
  invariants: { ok: (s) => !s.locked || s.inside <= 1 } });
`;
  writeFileSync(join(dir, 'local.ts'), model('me'));
  const r = cli(['check', '--no-trace', join(dir, 'local.ts')]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, /pass: no violation\nwarning: shared variable locked is read but written by no step and not by init, so it keeps its initial value in every state/);
  const j = cli(['check', '--no-trace', '--json', join(dir, 'local.ts')]);
  t.regex(JSON.parse(j.out).warnings.join('\n'), /shared variable locked is read but written by no step/);
  // Written through s: no warning, and the model's mutual exclusion is really checked (it fails: test, then set).
  writeFileSync(join(dir, 'shared.ts'), model('s'));
  const f = cli(['check', '--no-trace', join(dir, 'shared.ts')]);
  t.notRegex(f.out + f.err, /written by no step/);
});

test('cli: a pass that looked for no livelock because no step declares progress says so, unless --no-liveness asked for that or a progress step is there; check on a folder points to mmcheck test', (t) => {
  const dir = tempDir('mmcheck-noprogress-');
  const entry = JSON.stringify(resolve('src/index.ts'));
  const model = (progress: string) => `import { defineModel, replicate, int } from ${entry};
export default defineModel({ name: 'spin', shared: { x: int(0, 3) },
  threads: [replicate(2, 't', { start: 'a', steps: {
    a: { when: (s) => s.x < 3, then: (s) => { s.x++; }, next: 'b'${progress} },
    b: { then: (s) => { s.x = 0; }, next: 'a' } } })],
  invariants: { small: (s) => s.x <= 3 } });
`;
  writeFileSync(join(dir, 'none.ts'), model(''));
  const note = /^pass: no violation\nnote: livelocks were not looked for: no step of the model declares progress/m;
  const r = cli(['check', '--no-trace', join(dir, 'none.ts')]);
  t.is(r.code, 0, r.err);
  t.regex(r.out, note);
  t.notRegex(cli(['check', '--no-trace', '--no-liveness', join(dir, 'none.ts')]).out, /livelocks were not looked for/);
  writeFileSync(join(dir, 'some.ts'), model(', progress: true'));
  const p = cli(['check', '--no-trace', join(dir, 'some.ts')]);
  t.notRegex(p.out, /livelocks were not looked for/);
  t.regex(p.out, /^pass: no violation, no weakly fair non-progress cycle$/m);
  const d = cli(['check', dir]);
  t.is(d.code, 2);
  t.regex(d.err, /MC137: model file .* is a directory, not a regular file \(mmcheck test .* checks every model file in it against its expectations\)/);
  // A bare name is a built-in model's: one that is a folder or file here is pointed to.
  const here = (name: string) => spawnSync(process.execPath, [resolve('bin/mmcheck.js'), 'check', name], { encoding: 'utf8', cwd: dir });
  const bare = spawnSync(process.execPath, [resolve('bin/mmcheck.js'), 'check', 'mmcheck-noprogress-dir'], { encoding: 'utf8', cwd: join(dir, '..') });
  t.is(bare.status, 2);
  t.regex(bare.stderr, /MC138: unknown model "mmcheck-noprogress-dir" \(models: .*; or give a path to a model file\)$/m);
  const file = here('none.ts');
  t.is(file.status, 0, file.stderr);
  writeFileSync(join(dir, 'spinmodel'), '');
  const named = here('spinmodel');
  t.is(named.status, 2);
  t.regex(named.stderr, /MC138: unknown model "spinmodel" \(.*; a file "spinmodel" is here: give it as \.\/spinmodel\)$/m);
  mkdirSync(join(dir, 'models'));
  const models = here('models');
  t.is(models.status, 2);
  t.regex(models.stderr, /MC138: unknown model "models" \(.*; "models" here is a folder: mmcheck test models checks the model files in it\)$/m);
});

test('the source checks keep what they read of a function by its text, never a verdict that depends on the model: the same text checked in a second model is checked against that model', (t) => {
  // One step text, built again and again, in models that declare its names and values and in models that do not.
  const then = (s: any) => {
    s.y = 1;
    if (s.mode === 'slow') s.y = 2;
  };
  const model = (shared: Record<string, unknown>, name = 'texts') =>
    defineModel({ name, shared, threads: [thread('w', { start: 'a', end: ['done'], steps: { go: { at: 'a', then, next: 'done' } } })], invariants: { ok: (s: { y: number }) => s.y <= 3 } } as never) as unknown as Model;
  const good = () => model({ y: int(0, 3), mode: oneOf(['fast', 'slow']) });
  for (let i = 0; i < 3; i++) {
    t.is(codeOf(() => buildModel(good(), null)), 'ok');
    // The same text, in a model without `y`: MC150 each time.
    t.is(codeOf(() => buildModel(model({ x: int(0, 3), mode: oneOf(['fast', 'slow']) }), null)), 'MC150');
    // Without the value 'slow': MC157 each time.
    t.is(codeOf(() => buildModel(model({ y: int(0, 3), mode: oneOf(['fast', 'quick']) }), null)), 'MC157');
  }
  // A text-only check that failed fails again, with the place of each model that has it.
  const noisy = (name: string) => mk({ then: (s) => void (s.x = Math.random() < 2 ? 1 : 0) }, { name });
  for (const name of ['first', 'second']) {
    const e = t.throws(() => buildModel(noisy(name), null)) as McError;
    t.is(e.code, 'MC160');
    t.regex(e.message, new RegExp(`^model "${name}"`));
  }
});
