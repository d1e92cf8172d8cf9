import test from 'ava';
import fc from 'fast-check';
import { array, buildModel, defineModel, int, replicate, search, thread, type Model, type StepDef } from '../src/index.ts';
import { buildTrace } from '../src/trace/build.ts';
import { replay } from '../src/trace/replay.ts';
import { builtinModels } from '../models/index.ts';
import { referenceExplore, referenceLivelock } from './helpers/reference.ts';
import { genModel, startLabel, toModel } from './helpers/random-models.ts';
import { crossCheck } from '../src/cli/cross-check.ts';
import { cli } from './helpers/cli.ts';
import { DEAD_VARS_LASSO_NOTE, POR_LENGTH_NOTE } from '../src/cli/commands/check.ts';

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);
const replays = (r: ReturnType<typeof search>, m: Model, fairness: 'none' | 'weak' = 'weak') => replay(JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation!, { fairness }))), m).status === 'reproduced';

/**
 * Random models whose steps index a shared array by a local (`s.a.get(me.x)`),
 * by the thread's id and by literals, so the stubborn sets resolve accesses
 * per element and per state; with invariants, assertions and progress.
 */
interface G {
  threads: number;
  labels: number;
  steps: { at: number; next: number; guard: number; gc: number; effect: number; ec: number; progress: boolean }[];
  inv: number | null;
  assert: number | null;
}
const genG: fc.Arbitrary<G> = fc.record({
  threads: fc.integer({ min: 2, max: 3 }),
  labels: fc.integer({ min: 1, max: 3 }),
  steps: fc.array(
    fc.record({ at: fc.nat(2), next: fc.nat(2), guard: fc.nat(4), gc: fc.nat(2), effect: fc.nat(5), ec: fc.nat(2), progress: fc.boolean() }),
    { minLength: 1, maxLength: 4 },
  ),
  inv: fc.option(fc.nat(2)),
  assert: fc.option(fc.nat(2)),
});
const plain = (params: string[], body: string) => new Function(...params, body) as any;
function gModel(g: G): Model {
  const steps: Record<string, StepDef> = {};
  g.steps.forEach((s, i) => {
    const guard = ['true', `st.a.get(me.x) === ${s.gc}`, `st.a.get(me.id) !== ${s.gc}`, `st.a.get(${s.gc}) === 0`, `me.x === ${s.gc}`][s.guard];
    const effect = [
      `st.a.set(me.x, ${s.ec});`,
      `st.a.set(me.id, (st.a.get(me.id) + 1) % 3);`,
      `me.x = (me.x + 1 + c) % 3;`,
      `st.a.set(${s.ec}, st.a.get(me.x));`,
      `st.b = (st.b + 1) % 2;`,
      '',
    ][s.effect]! + (g.assert !== null ? ` st.assert(st.a.get(${g.assert}) !== 2 || me.x !== 2, 'p');` : '');
    steps[`s${i}`] = { at: `L${s.at % g.labels}`, when: plain(['st', 'me'], `return ${guard};`), then: plain(['st', 'me', 'c'], effect), choose: s.effect === 2 ? 2 : 1, next: `L${s.next % g.labels}`, progress: s.progress };
  });
  return defineModel({
    name: 'random-indexed',
    shared: { a: array(3, int(0, 2)), b: int(0, 1) },
    threads: [replicate(g.threads, 'T', { locals: { x: int(0, 2) }, start: startLabel(steps), labels: Array.from({ length: g.labels }, (_, i) => `L${i}`), steps })],
    invariants: g.inv !== null ? { i: plain(['s'], `return s.a.get(${g.inv}) !== 2 || s.b === 0;`) } : {},
  }) as unknown as Model;
}

test('stubborn sets keep deadlocks, invariants and assertions on models indexing arrays by locals, never add states, and their counterexamples replay', (t) => {
  let reduced = 0;
  fc.assert(
    fc.property(genG, fc.boolean(), fc.constantFrom('bfs', 'dfs' as const), (g, deadlock, strategy) => {
      const m = gModel(g);
      const b = buildModel(m, null);
      const full = search(b, { deadlock, liveness: false, strategy });
      const red = search(b, { deadlock, liveness: false, strategy, por: true });
      if (full.verdict !== red.verdict) return false;
      // The violation found is one the model has (the reference checker's). Which one comes first is the search order's: with a deadlock and an assertion both reachable, the reduced depth-first search can meet the assertion first.
      const ref = referenceExplore(b, { deadlock });
      if (ref.violations.size > 0 !== (full.verdict === 'violation')) return false;
      for (const v of [full.violation, red.violation]) if (v && !ref.violations.has(`${v.kind}:${v.property}`)) return false;
      if (full.verdict === 'pass' && red.stats.states > full.stats.states) return false;
      if (full.verdict === 'pass' && red.stats.states < full.stats.states) reduced++;
      if (red.violation && !replays(red, m)) return false;
      // The bitstate DFS with POR (a table big enough to miss nothing here) agrees too.
      const bs = search(b, { deadlock, liveness: false, por: true, store: 'bitstate', bitstateBits: 24 });
      if (bs.verdict !== full.verdict || (full.verdict === 'pass' && bs.stats.states > full.stats.states)) return false;
      if (bs.violation && !replays(bs, m)) return false;
      return true;
    }),
    { numRuns: RUNS * 2 },
  );
  t.true(reduced > 0, `reduced ${reduced} models`);
});

test('POR with livelock checking (fairness none) finds a non-progress cycle (or starvation) exactly when the reference checker does, on both generators; its lassos replay', (t) => {
  let found = 0;
  const check = (m: Model, strategy: 'bfs' | 'dfs') => {
    const b = buildModel(m, null);
    const full = search(b, { deadlock: false, fairness: 'none', strategy });
    const red = search(b, { deadlock: false, fairness: 'none', strategy, por: true });
    // Safety violations stop the search before the cycle search: compare only models without one.
    if (full.violation && full.violation.kind !== 'livelock') return red.verdict === 'violation';
    const r = referenceExplore(b, { deadlock: false });
    const ref = referenceLivelock(b, r, 'none');
    if ((red.violation?.kind === 'livelock') !== ref || (full.violation?.kind === 'livelock') !== ref) return false;
    if (red.verdict === 'pass' && red.stats.states > full.stats.states) return false;
    if (red.violation) {
      found++;
      if (!replays(red, m, 'none')) return false;
    }
    return true;
  };
  fc.assert(fc.property(genG, fc.constantFrom('bfs', 'dfs' as const), (g, s) => check(gModel(g), s)), { numRuns: RUNS });
  fc.assert(fc.property(genModel(), fc.constantFrom('bfs', 'dfs' as const), (g, s) => check(toModel(g), s)), { numRuns: RUNS });
  t.true(found > 0, `${found} livelocks found under POR`);
});

test('POR with livelock checking under weak or strong fairness is refused with the reason', (t) => {
  const m = defineModel({
    name: 'spin',
    shared: { x: int(0, 1) },
    threads: [thread('a', { start: 'L', steps: { go: { at: 'L', then: (s) => { s.x = 1 - s.x; }, next: 'L' }, done: { at: 'L', next: 'L', progress: true } } })],
  });
  for (const fairness of ['weak', 'strong'] as const) {
    const e = t.throws(() => search(buildModel(m, null), { por: true, fairness }));
    t.is((e as any).code, 'MC312');
    t.regex(e!.message, new RegExp(`under ${fairness} fairness.*--fairness none`));
  }
  const r = search(buildModel(m, null), { por: true, fairness: 'none' });
  t.is(r.violation?.kind, 'livelock');
});

test('classic models: POR keeps the verdict, never adds states, and reduces; the peterson victim-first counterexample replays', (t) => {
  for (const m of builtinModels.filter((x) => x.def.category === 'classic')) {
    for (const v of m.variantNames.length ? m.variantNames : [null]) {
      for (const n of [2, 3]) {
        const b = buildModel(m, v, { n });
        const full = search(b, { liveness: false });
        const red = search(b, { liveness: false, por: true });
        const at = `${m.name} ${v} n=${n}`;
        t.is(red.verdict, full.verdict, at);
        t.is(red.violation?.kind, full.violation?.kind, at);
        if (full.verdict === 'pass') t.true(red.stats.states <= full.stats.states, at);
        if (red.violation) t.true(replays(red, m), at);
      }
    }
  }
  const lf = builtinModels.find((x) => x.name === 'lamport-fast')!;
  t.true(search(buildModel(lf, null, { n: 3 }), { liveness: false, por: true }).stats.states < search(buildModel(lf, null, { n: 3 }), { liveness: false }).stats.states);
});

test('check --por: livelock checking needs --fairness none (MC312 otherwise, exit 2); --json reports the reduced states and the reasons', async (t) => {
  const { cli } = await import('./helpers/cli.ts');
  const refused = await cli(['check', 'interval-notifier', '--variant', 'correct', '--por']);
  t.is(refused.code, 2);
  t.regex(refused.err, /MC312.*under weak fairness.*--fairness none/);
  const r = await cli(['check', 'interval-notifier', '--variant', 'correct', '--por', '--fairness', 'none', '--json']);
  t.is(r.code, 0, r.err);
  const j = JSON.parse(r.out);
  t.is(j.verdict, 'pass');
  t.true(j.stats.states < search(buildModel(builtinModels.find((m) => m.name === 'interval-notifier')!, 'correct'), { fairness: 'none' }).stats.states);
  t.true(j.reduction.por.reducedStates > 0);
  t.true(j.reduction.por.reasons.some((n: string) => /dependent with other threads/.test(n)));
});

test('cell footprints: own-id and literal indices are one element, a local index is resolved at the state only while it still has the state value', async (t) => {
  const { Cells, cellFootprint } = await import('../src/reduce/cells.ts');
  const m = defineModel({
    name: 'cells',
    shared: { a: array(4, int(0, 3)), f: array(3, int(0, 1)), y: int(0, 1) },
    threads: [
      replicate(3, 'T', {
        locals: { j: int(0, 3) },
        start: 'L',
        steps: {
          own: { at: 'L', when: (s, me) => s.f.get(me.id) === 0, then: (s) => s.a.set(2, 1), next: 'L' },
          early: { at: 'L', when: (s, me) => s.a.get(me.j) === 0, then: (s, me) => { s.a.set(me.j, 1); me.j = (me.j + 1) % 4; }, next: 'L' },
          late: { at: 'L', then: (s, me) => { me.j = (me.j + 1) % 4; s.y = s.a.get(me.j); }, next: 'L' },
        },
      }),
    ],
  });
  const b = buildModel(m, null);
  const cells = new Cells(b);
  const fp = (thread: number, step: number) => cellFootprint(b, cells, b.threads[thread]!, b.threads[thread]!.template.steps[step]!);
  const own = fp(2, 0);
  t.deepEqual(cells.describe(own.reads), ['f[2]']);
  t.deepEqual(cells.describe(own.writes), ['a[2]']);
  t.deepEqual(own.dyn, []);
  const early = fp(1, 1);
  t.deepEqual(early.dyn.map((d) => [d.local, d.write]), [['j', false], ['j', true]]);
  t.deepEqual(early.guardDyn.map((d) => d.local), ['j']);
  t.deepEqual(cells.describe(early.fixedReads), []);
  const late = fp(1, 2);
  t.deepEqual(late.dyn, []);
  t.deepEqual(cells.describe(late.fixedReads), ['a[0]', 'a[1]', 'a[2]', 'a[3]', 'y']);
});

test('a counterexample found under --por may be longer than the unreduced shortest: the cross-check compares lengths (a shorter one would be a failure) and check says so', async (t) => {
  // B's step reads flag only through its choose count; two noise steps run before it in the reduced graph.
  const model = defineModel({
    name: 'choose-por',
    shared: { flag: int(0, 1), z: int(0, 1), noise: int(0, 3) },
    threads: [
      thread('B', { start: 'pub', end: ['done'], steps: { pub: { choose: (s: any) => s.flag + 1, then: (s: any, _me: any, c: number) => { if (c === 1) s.z = 1; }, next: 'done' } } } as never),
      thread('A', { locals: { k: int(0, 2) }, start: 'w1', end: ['done'], steps: { w1: { then: (_s: any, me: any) => { me.k = 1; }, next: 'w2' }, w2: { then: (_s: any, me: any) => { me.k = 2; }, next: 'set' }, set: { then: (s: any) => { s.flag = 1; }, next: 'done' } } } as never),
      replicate(2, 'N', { start: 'n', end: ['done'], steps: { n: { then: (s: any) => { s.noise = s.noise < 3 ? s.noise + 1 : 3; }, next: 'done' } } } as never),
    ],
    invariants: { 'z-zero': (s: any) => s.z === 0 },
  } as never);
  const built = buildModel(model, null);
  const reduced = search(built, { por: true, liveness: false });
  const full = search(built, { liveness: false });
  t.is(full.violation!.steps.length, 4);
  t.is(reduced.violation!.steps.length, 6);
  const cc = crossCheck(reduced, full, { por: true });
  t.true(cc.agree);
  t.is(cc.unreduced.violation!.length, 4);
  t.regex(cc.summary, /counterexample 6 steps, 4 unreduced\) \(this one is not a shortest: --minimize gives one\)$/);
  // A reduced counterexample shorter than the unreduced breadth-first one would mean the unreduced search missed a shortest: a failure.
  const shorter = crossCheck(full, { ...full, violation: { ...full.violation!, steps: [...full.violation!.steps, full.violation!.steps[0]!] } }, { por: true });
  t.false(shorter.agree);
  t.regex(shorter.summary, /^CROSS-CHECK FAILED: this run's counterexample has 4 steps, fewer than the 5 of the unreduced breadth-first search/);
  t.is(crossCheck(full, full, {}).summary, 'cross-check: agrees with the unreduced search (invariant:z-zero; 25 states unreduced, 25 reduced, ratio 1.00; counterexample 4 steps, 4 unreduced)');
  // The text output says it under the counterexample, unless the cross-check already gave both lengths.
  const text = await cli(['check', 'dining', '-p', 'n=3', '--por', '--no-liveness', '--no-trace']);
  t.true(text.out.endsWith(`\nnote: ${POR_LENGTH_NOTE}\n`), text.out);
  t.false((await cli(['check', 'dining', '-p', 'n=3', '--por', '--no-liveness', '--no-trace', '--cross-check'])).out.includes(POR_LENGTH_NOTE));
  // A lasso under --dead-vars.
  const lasso = await cli(['check', 'migration-entry-wait', '--variant', 'put-and-wait', '--dead-vars', '--no-trace']);
  t.is(lasso.code, 1);
  t.true(lasso.out.endsWith(`\nnote: ${DEAD_VARS_LASSO_NOTE}\n`), lasso.out);
});
