/**
 * Steps are functions of the state: a model whose guards, effects or next
 * labels read Math.random or a counter kept in a closure is reported as
 * MC160, by every engine, on every run (never a pass, never an internal
 * error); a deterministic model never is. Written in the step itself, the
 * build refuses it from the source; reached through a helper function, the
 * run-time check (two executions compared) reports it.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import fc from 'fast-check';
import { bool, buildModel, defineModel, int, isMcError, replicate, search, thread, type Model, type StateView, type StepDef } from '../src/index.ts';
import { simulate } from '../src/search/simulate.ts';
import { buildTrace } from '../src/trace/build.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { DENSE_CHECKS, SPARSE_STRIDE } from '../src/exec/determinism.ts';
import { checkStateOnly } from '../src/model/names.ts';
import { genModel, toModel } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);
const REPEAT = 20;

type Kind = 'effect' | 'guard' | 'next' | 'counter' | 'pure';

/**
 * Two replicated workers moving two shared counters around (a few thousand
 * states, progress labels so the liveness search runs); `kind` puts the
 * nondeterminism in one place of the `bump` step.
 */
// Helpers outside the steps: the build does not read their source, so the run-time check is what reports them.
const coin = () => Math.random() < 0.5;

function workers(kind: Kind): Model {
  let calls = 0;
  const count = () => ++calls;
  const wrap = (v: number) => (v + 1) % 8; // a pure helper closure
  const bump: StepDef = {
    at: 'a',
    when: kind === 'guard' ? () => coin() : (s) => s.x < 7 || s.y < 7,
    then:
      kind === 'effect'
        ? (s) => {
            s.x = (s.x + (coin() ? 1 : 2)) % 8;
          }
        : kind === 'counter'
          ? (s) => {
              s.x = count() % 8;
            }
          : (s) => {
              s.x = wrap(s.x);
            },
    next: kind === 'next' ? () => (coin() ? 'a' : 'b') : 'b',
  };
  return defineModel({
    name: `workers-${kind}`,
    shared: { x: int(0, 7), y: int(0, 7) },
    threads: [replicate(2, 'w', {
      locals: { k: int(0, 3) },
      start: 'a',
      steps: {
        bump,
        spin: { at: 'a', then: (s, me) => void (me.k = (me.k + 1) % 4), next: 'a' },
        back: { at: 'b', then: (s, me) => void (s.y = (s.y + me.id + 1) % 8), next: 'a', progress: true },
      },
    })],
    invariants: { bounded: (s) => s.x <= 7 },
  }) as unknown as Model;
}

const configs = {
  bfs: { strategy: 'bfs', liveness: false },
  dfs: { strategy: 'dfs', liveness: false },
  bitstate: { store: 'bitstate', liveness: false },
  liveness: { strategy: 'bfs', liveness: true },
} as const;

const outcome = (f: () => unknown): string => {
  try {
    const r = f() as { verdict?: string; stopped?: string };
    return r.verdict ?? r.stopped!;
  } catch (e) {
    return isMcError(e) ? e.code : `internal: ${String(e)}`;
  }
};

for (const kind of ['effect', 'guard', 'next', 'counter'] as const) {
  for (const [cname, opts] of Object.entries(configs)) {
    test(`Math.random / closure state in ${kind === 'counter' ? 'a closure counter' : `a ${kind}`} is MC160 with ${cname}, every time`, (t) => {
      for (let i = 0; i < REPEAT; i++) {
        const b = buildModel(workers(kind), null);
        t.is(outcome(() => search(b, opts)), 'MC160');
      }
    });
  }
  test(`Math.random / closure state in ${kind === 'counter' ? 'a closure counter' : `a ${kind}`} is MC160 in simulation`, (t) => {
    for (let i = 0; i < REPEAT; i++) {
      const b = buildModel(workers(kind), null);
      t.is(outcome(() => simulate(b, { seed: String(i), runs: 20, depth: 200 })), 'MC160');
    }
  });
}

test('the MC160 message names the model, the thread and step, and what differed', (t) => {
  const e = t.throws(() => search(buildModel(workers('effect'), null), { liveness: false }));
  t.true(isMcError(e));
  t.regex(e!.message, /^model "workers-effect" is not deterministic: thread "w\[[01]\]" step "bump" choice 0 gave a different successor \(x differs\) when executed twice from the same state/);
  t.regex(e!.message, /no Math\.random, Date, or state kept in closures/);
  const g = t.throws(() => search(buildModel(workers('guard'), null), { liveness: false }));
  // Found by executing the expansion twice, or (the model has an invariant) by the guards evaluated before and after it.
  t.regex(g!.message, /thread "w\[[01]\]" step "bump"( was enabled, or had choices, in one execution and not in the other \(its guard or choose changed\)|: its guard (held|did not hold) in a state, and its guard (held|did not hold) when evaluated again in the same state)/);
  const n = t.throws(() => search(buildModel(workers('next'), null), { liveness: false }));
  t.regex(n!.message, /step "bump" choice 0 gave a different successor \(w\[[01]\]'s label differs\)/);
});

test('a deterministic model with a pure helper closure is not reported, with every engine', (t) => {
  const b = buildModel(workers('pure'), null);
  const counts = new Set<string>();
  for (const opts of Object.values(configs)) {
    const r = search(b, opts);
    if (opts.liveness) {
      // `spin` loops without progress: a livelock, whose trace is rebuilt by re-execution.
      t.is(r.violation?.kind, 'livelock');
      t.is(buildTrace(new Runtime(b), r.violation!).property.kind, 'livelock');
    } else t.is(r.verdict, 'pass');
    if (!('store' in opts)) counts.add(`${r.stats.states}/${r.stats.transitions}`);
  }
  t.is(counts.size, 1);
  t.is(simulate(b, { seed: 'x', runs: 50, depth: 200, liveness: false }).violation, null);
});

/**
 * The trial's model (workcancel, no dying flag): the owner frees the object
 * while the queuer may still queue it, a use after free. Its invariant calls
 * a helper that counts the calls in a module-level variable, and `free` is
 * guarded by that count (`keep`, the alternative, by its complement): once
 * the invariant has run four times the object is never freed and the model
 * passed. `pure` is the same model without the counter.
 */
function countingInvariant(pure = false): Model {
  let seen = 0;
  const note = () => {
    seen += 1;
    return true;
  };
  return defineModel({
    name: 'inv-counts',
    shared: { pending: bool(), freed: bool() },
    threads: [
      thread('queuer', {
        locals: { n: int(0, 2) },
        start: 'loop',
        end: ['done'],
        steps: {
          queue: { at: 'loop', when: (s, me) => me.n < 2, then: (s, me) => { s.assert(!s.freed, 'no-uaf'); s.pending = true; me.n += 1; }, next: 'loop' },
          stop: { at: 'loop', when: (s, me) => me.n === 2, next: 'done' },
        },
      }),
      thread('owner', {
        start: 'grab',
        end: ['done'],
        steps: {
          grab: { then: (s) => { s.pending = false; }, next: 'free' },
          free: { when: () => pure || seen < 4, then: (s) => { s.freed = true; }, next: 'done' },
          keep: { at: 'free', when: () => !pure && seen >= 4, next: 'done' },
        },
      }),
    ],
    invariants: { sane: (s) => note() && !(s.pending && s.freed && false) },
  }) as unknown as Model;
}

test('an invariant that changes what a guard reads (a counter a helper keeps) is MC160 naming the invariant, with every engine, every time', (t) => {
  const pure = buildModel(countingInvariant(true), null);
  for (const opts of Object.values(configs)) t.is(search(pure, opts).violation?.property, 'no-uaf', JSON.stringify(opts));
  for (const [cname, opts] of Object.entries(configs)) {
    for (let i = 0; i < 5; i++) {
      const e = t.throws(() => search(buildModel(countingInvariant(), null), opts), undefined, cname);
      t.is((e as { code?: string }).code, 'MC160', cname);
      t.regex(e!.message, /^model "inv-counts" is not deterministic: thread "owner" step "free": its guard held in a state, and its guard did not hold in the same state after invariant "sane" was evaluated \(evaluating it changed something outside the state that the step reads/, cname);
      t.regex(e!.message, /\(invariants, and the helpers they call, must only read the state/);
    }
  }
  t.is(outcome(() => simulate(buildModel(countingInvariant(), null), { seed: 'x', runs: 20, depth: 20 })), 'MC160');
});

test('the invariant checks: which of several invariants changed a guard, an invariant answering differently on the same state', (t) => {
  let count = 0;
  let flips = 0;
  const counted = () => ++count > 0;
  const flipped = () => ++flips % 2 === 0;
  const m = (invariants: Record<string, (s: StateView) => boolean>) =>
    defineModel({
      name: 'inv-checks',
      shared: { x: int(0, 7) },
      threads: [replicate(1, 'w', { start: 'a', steps: { go: { at: 'a', when: () => count % 3 === 0, then: (s) => void (s.x = (s.x + 1) % 8), next: 'a' } } })],
      invariants,
    }) as unknown as Model;
  // The first call of each is a sampled one.
  count = 0;
  const a = new Runtime(buildModel(m({ fine: (s) => s.x >= 0, counts: () => counted() }), null));
  t.throws(() => a.checkInvariants(a.initial(), 0), { message: /thread "w\[0\]" step "go": its guard held in a state, and its guard did not hold in the same state after invariant "counts" was evaluated/ });
  count = 0;
  const b = new Runtime(buildModel(m({ flips: (s) => s.x !== 0 || flipped() }), null));
  t.throws(() => b.checkInvariants(b.initial(), 0), { message: /invariant "flips" (held|failed) on a state and (held|failed) when evaluated again on the same state/ });
  // Pure invariants and guards: the sampled calls answer as the others.
  count = 0;
  const d = new Runtime(buildModel(m({ fine: (s) => s.x >= 0, small: (s) => s.x < 7 }), null));
  for (let i = 0; i < 3; i++) t.is(d.checkInvariants(d.initial(), 0), -1);
  t.is(d.expand(d.initial(), 0), 1);
});

test('an assertion failing in a guard after another thread\'s step was expanded from the same state is a violation, not MC160', (t) => {
  // A's step at a2 ran its choice loop before B's guard failed: the failure was recorded with A's last choice, and re-executing B alone did not match it.
  const m = defineModel({
    name: 'guard-assert',
    shared: { v: int(0, 1) },
    threads: [
      thread('A', { start: 'a1', end: ['end'], steps: { a1: { then: (s) => { s.v = 1; }, next: 'a2' }, a2: { then: (s) => { s.v = 0; }, next: 'end' } } }),
      thread('B', { start: 'b0', end: ['end'], steps: { b0: { next: 'b1' }, b1: { when: (s) => { s.assert(s.v === 0, 'v-is-0'); return true; }, next: 'end' } } }),
    ],
  });
  const b = buildModel(m, null);
  for (const opts of [...Object.values(configs), { por: true, liveness: false }]) {
    const r = search(b, opts);
    t.is(r.violation?.kind, 'assertion', JSON.stringify(opts));
    t.is(r.violation?.property, 'v-is-0');
    t.is(buildTrace(new Runtime(b), r.violation!).property.kind, 'assertion');
  }
  t.is(simulate(b, { seed: 'x', runs: 50, depth: 20, liveness: false }).violation?.property, 'v-is-0');
});

test('an assertion that fails only sometimes is MC160, not a violation', (t) => {
  const m = defineModel({
    name: 'flaky-assert',
    shared: { x: int(0, 7) },
    threads: [replicate(2, 'w', {
      start: 'a',
      steps: { go: { at: 'a', then: (s) => { s.assert(coin(), 'coin'); s.x = (s.x + 1) % 8; }, next: 'a' } },
    })],
  }) as unknown as Model;
  for (let i = 0; i < REPEAT; i++) t.is(outcome(() => search(buildModel(m, null), { liveness: false })), 'MC160');
});

test('Math.random in the init function is MC160', (t) => {
  const m = defineModel({
    name: 'random-init',
    shared: { x: int(0, 7) },
    init: () => (s: StateView) => {
      s.x = coin() ? 1 : 2;
    },
    threads: [replicate(2, 'w', { start: 'a', steps: { go: { at: 'a', then: (s) => void (s.x = (s.x + 1) % 8), next: 'a' } } })],
  }) as unknown as Model;
  for (let i = 0; i < REPEAT; i++) {
    const o = outcome(() => search(buildModel(m, null), { liveness: false }));
    t.is(o, 'MC160');
  }
  t.regex(t.throws(() => search(buildModel(m, null), { liveness: false }))!.message, /model "random-init" is not deterministic: the init function gave a different initial state/);
});

test('a model that changes behaviour after the search: rebuilding the trace is MC160, not an internal error', (t) => {
  let mode = 0;
  const m = defineModel({
    name: 'drifting',
    shared: { x: int(0, 3) },
    threads: [replicate(2, 'w', {
      start: 'a',
      steps: { go: { at: 'a', then: (s) => void (s.x = mode === 0 ? Math.min(3, s.x + 1) : 0), next: 'a' } },
    })],
    invariants: { small: (s) => s.x < 2 },
  }) as unknown as Model;
  const b = buildModel(m, null);
  const r = search(b, { liveness: false });
  t.is(r.verdict, 'violation');
  mode = 1;
  const e = t.throws(() => buildTrace(new Runtime(b), r.violation!));
  t.is((e as { code?: string }).code, 'MC160');
  t.regex(e!.message, /model "drifting" is not deterministic: invariant "small" holds at the end of the re-executed counterexample|step "go"/);
});

test('Math.random, Date, performance.now or a closure variable assigned, written in a step, an invariant or init, is MC160 when the model is built, naming the function', (t) => {
  let calls = 0;
  let mode = 0;
  const mk = (step: Partial<StepDef>, extra: Record<string, unknown> = {}) =>
    defineModel({
      name: 'impure',
      shared: { x: int(0, 7) },
      threads: [replicate(2, 'w', { start: 'a', locals: { k: int(0, 3) }, steps: { go: { at: 'a', next: 'a', ...step } } })],
      ...extra,
    } as never) as unknown as Model;
  const bad: [string, Model, RegExp][] = [
    ['Math.random in an effect', mk({ then: (s) => { s.x = Math.random() < 0.5 ? 1 : 2; } }), /thread "w" step "go" effect: reads Math\.random, which is not part of the state/],
    ['Date.now in a guard', mk({ when: () => Date.now() % 2 === 0 }), /step "go" guard: reads Date\.now/],
    ['new Date in next', mk({ next: () => (new Date().getSeconds() > 30 ? 'a' : 'a') }), /step "go" next: reads Date/],
    ['performance.now in choose', mk({ choose: () => (performance.now() > 0 ? 2 : 1), then: (s, _me, c) => { s.x = c; } }), /step "go" choose: reads performance\.now/],
    ['a closure counter', mk({ then: (s) => { calls++; s.x = calls % 8; } }), /step "go" effect: assigns to calls, a variable outside the function/],
    ['a closure assigned', mk({ then: (s) => { mode = s.x; s.x = 1; } }), /assigns to mode, a variable outside/],
    ['+= to a closure', mk({ then: (s) => { calls += 2; s.x = 1; } }), /assigns to calls/],
    ['an invariant', mk({ then: (s) => { s.x = 1; } }, { invariants: { odd: (s: any) => Math.random() < 2 || s.x > 0 } }), /invariant "odd": reads Math\.random/],
    ['init', mk({ then: (s) => { s.x = 1; } }, { init: () => (s: any) => { s.x = Date.now() % 2; } }), /init: reads Date\.now/],
  ];
  for (const [what, m, re] of bad) {
    const e = t.throws(() => buildModel(m, null), undefined, what);
    t.is((e as { code?: string }).code, 'MC160', what);
    t.regex(e!.message, re, what);
  }
  // Names the function binds itself (parameters, nested functions', declarations, loops, catch) are its own; state and locals are written through s and me; a variable read, not written, is fine.
  const own: Partial<StepDef>[] = [
    { then: (s) => { let k = 0; for (let i = 0; i < 3; i++) k += i; s.x = k; } },
    { then: (s) => { const [a, b] = [1, 2]; let { c } = { c: 3 }; c++; s.x = a + b + c - 6; } },
    { then: (s, me) => { me.k = (me.k + 1) % 4; s.x = [1, 2].reduce((acc, v) => (acc += v), 0) % 8; } },
    { then: (s) => { try { s.x = 1; } catch (err) { err = null; } } },
    { then: function (s) { var n = 1; n *= 2; s.x = n; } },
    { then: (s) => { s.x = mode === 0 ? 1 : 2; } },
    { then: (s) => { let dates = 0; dates++; s.x = dates; } },
    // A prefix increment of a local or shared variable (not of `m`, a shorter name inside `me`).
    { then: (s, me) => { ++me.k; --me.k; s.x = 1; } },
  ];
  for (const step of own) t.notThrows(() => buildModel(mk(step, {}), null), String(step.then));
  // As plain JavaScript and tsc print them (esbuild, which loads .ts, puts a function on one line): declarations over several lines, methods' parameters, i++ + NAME, Date as a key.
  const fromSource = (src: string) => new Function(`return ${src}`)() as Function;
  for (const src of [
    '(s) => { let taken = 0,\n    freed = 0;\n  if (s.ok) taken++;\n  else freed++;\n  s.x = taken + freed; }',
    '(s) => { const msg = `a\nb`, n = 1; let k = 0; k += n; s.x = k + msg.length; }',
    '(s) => { let i = 0; s.x = i+++BASE; }',
    '(s) => { s.x = ({ m(v = 2) { v -= 1; return v; } }).m(); }',
    '(s) => { s.x = pick({ f(v) { v -= 1; return v; } }); }',
    '(s) => { const rec = { Date: 1 }; const { Date: d } = rec; s.x = d; }',
    '(s) => { s.x = /Date|k = 1/.test(s.name) ? 1 : 0; }',
  ])
    t.notThrows(() => checkStateOnly(fromSource(src), 'effect'), src);
  for (const [src, re] of [
    ['(s) => { s.x = globalThis.Date.now() % 2; }', /reads Date\.now/],
    ['(s) => { let a = 0,\n  b = 0;\n  calls++; s.x = a + b; }', /assigns to calls/],
    ['(s) => { s.x = performance.now() > 0 ? 1 : 0; }', /reads performance\.now/],
  ] as const)
    t.throws(() => checkStateOnly(fromSource(src), 'effect'), { message: re }, src);
  // A listed helper is read by the same rule.
  const stamp = (s: any) => Date.now() % 2 === 0 && s.x > 0;
  const e = t.throws(() => buildModel(mk({ then: (s) => { s.x = 1; } }, { helpers: [stamp] }), null));
  t.regex(e!.message, /helper "stamp": reads Date\.now/);
  t.notThrows(() => buildModel(defineModel({ name: 'own', shared: { x: int(0, 7) }, threads: [replicate(2, 'w', { start: 'a', locals: { k: int(0, 3) }, steps: { go: { at: 'a', next: 'a', then: (s, me) => { me.k = 1; s.x = 1; } } } })] } as never) as unknown as Model, null));
});

test('sampling: every expansion at first, then one in SPARSE_STRIDE', (t) => {
  t.true(DENSE_CHECKS >= 1024);
  t.is(SPARSE_STRIDE & (SPARSE_STRIDE - 1), 0);
  // A step that turns nondeterministic only after many expansions is still caught by the sparse samples.
  let calls = 0;
  const count = () => ++calls;
  const m = defineModel({
    name: 'late',
    shared: { x: int(0, 255), y: int(0, 255) },
    threads: [replicate(1, 'w', {
      start: 'a',
      steps: {
        inc: { at: 'a', when: (s) => s.x < 255, then: (s) => void (s.x = s.x + 1), next: 'a' },
        incy: { at: 'a', when: (s) => s.y < 255, then: (s) => void (s.y = count() > 40000 ? (calls % 2) * 255 : s.y + 1), next: 'a' },
      },
    })],
  }) as unknown as Model;
  t.is(outcome(() => search(buildModel(m, null), { liveness: false, deadlock: false })), 'MC160');
});

test('fast-check: random deterministic models never trigger MC160', (t) => {
  fc.assert(
    fc.property(genModel(), (g) => {
      const b = buildModel(toModel(g), null);
      for (const opts of [...Object.values(configs), { strategy: 'dfs', liveness: true } as const]) {
        const o = outcome(() => search(b, { ...opts, deadlock: false }));
        if (o !== 'pass' && o !== 'violation') return false;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('cli: check of a model file with Math.random in a helper exits 2 with MC160 and saves no trace', async (t) => {
  const { readdirSync, rmSync, writeFileSync } = await import('node:fs');
  const { join } = await import('node:path');
  const { cli } = await import('./helpers/cli.ts');
  const dir = tempDir('mmcheck-determinism-');
  try {
    writeFileSync(
      join(dir, 'coin.ts'),
      `import { defineModel, int, replicate } from ${JSON.stringify(join(import.meta.dirname, '..', 'src', 'index.ts'))};
const coin = () => Math.random() < 0.5;
export default defineModel({
  name: 'coin',
  shared: { x: int(0, 7) },
  threads: [replicate(2, 'w', { start: 'a', steps: { go: { at: 'a', then: (s) => { s.x = (s.x + (coin() ? 1 : 2)) % 8; }, next: 'a' } } })],
  invariants: { 'not-seven': (s) => s.x !== 7 },
});
`,
    );
    for (let i = 0; i < 5; i++) {
      const r = await cli(['check', 'coin.ts', '--no-progress'], dir);
      t.is(r.code, 2, r.err);
      t.regex(r.err, /MC160.*model "coin" is not deterministic: thread "w\[[01]\]" step "go"/);
    }
    t.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.json') || f === 'traces'), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a variant name and a string parameter from another thread reach the model as its own strings (V8-internalized), not as equal copies', (t) => {
  // A structured clone (how the search thread receives them) makes a string V8 has not internalized: a different map from a literal's.
  const script = `
    import { buildModel } from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))};
    import { loadModel } from ${JSON.stringify(join(process.cwd(), 'src/run/load.ts'))};
    const m = await loadModel('migration-entry-wait');
    const asked = structuredClone('wait-on-locked');
    const value = structuredClone('wait');
    const b = buildModel(m, asked, { contended: value });
    console.log(JSON.stringify({ clone: %HaveSameMap(asked, 'atomic'), variant: %HaveSameMap(b.variant, 'atomic'), param: %HaveSameMap(b.params.contended, 'atomic') }));
  `;
  const r = spawnSync(process.execPath, ['--allow-natives-syntax', '--import=tsx', '--conditions=mmcheck-source', '--input-type=module', '-e', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.deepEqual(JSON.parse(r.stdout.trim().split('\n').pop()!), { clone: false, variant: true, param: true });
});
