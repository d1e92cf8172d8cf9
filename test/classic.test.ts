import test from 'ava';
import { buildModel, search, expectationsOf, type Model } from '../src/index.ts';
import peterson from '../models/peterson.ts';
import dining from '../models/dining.ts';
import { builtinModels } from '../models/index.ts';

// State and transition counts must equal SPIN's and Rumur's exactly (bench/peers/README.md).
const cases: [string, typeof peterson, number, boolean, number, number][] = [
  ['peterson', peterson, 3, true, 1710, 4066],
  ['peterson', peterson, 4, true, 105484, 328284],
  ['dining', dining, 3, false, 14, 27],
  ['dining', dining, 5, false, 82, 265],
  ['dining', dining, 8, false, 1154, 5968],
  ['dining', dining, 10, false, 6726, 43480],
];
for (const [name, model, n, deadlock, states, transitions] of cases) {
  for (const strategy of ['bfs', 'dfs'] as const) {
    test(`${name}(${n}) ${strategy}: ${states} states, ${transitions} transitions`, (t) => {
      const r = search(buildModel(model, null, { n }), { strategy, deadlock: deadlock ? null : false });
      t.is(r.verdict, 'pass');
      t.is(r.stats.states, states);
      t.is(r.stats.transitions, transitions);
    });
  }
}

test('dining(n) deadlocks with a shortest counterexample of n steps, each philosopher taking its left fork', (t) => {
  for (const n of [3, 4, 5, 6]) {
    const r = search(buildModel(dining, null, { n }));
    t.is(r.verdict, 'violation');
    t.is(r.violation!.kind, 'deadlock');
    t.is(r.violation!.steps.length, n);
    t.deepEqual(new Set(r.violation!.steps.map((s) => s.thread)).size, n);
  }
});

test('expectations written beside the classic models hold (except the bench-sized ones)', (t) => {
  for (const m of builtinModels.filter((x) => x.def.category === 'classic') as unknown as Model[]) {
    for (const v of m.variantNames.length ? m.variantNames : [null]) {
      const es = expectationsOf(m, v);
      t.true(es.length > 0, `${m.name} / ${v} lists no expectations`);
      for (const e of es) {
        if (e.bench) continue;
        const r = search(buildModel(m, v, e.params ?? {}), { deadlock: e.deadlock === false ? false : null });
        const at = `${m.name} / ${v} ${JSON.stringify(e.params)}`;
        t.is(r.verdict, e.verdict, at);
        if (e.kind !== undefined) t.is(r.violation?.kind, e.kind, at);
        if (e.property !== undefined) t.is(r.violation?.property, e.property, at);
        if (e.states !== undefined) t.is(r.stats.states, e.states, at);
        if (e.transitions !== undefined) t.is(r.stats.transitions, e.transitions, at);
        if (e.length !== undefined) t.is(r.violation?.steps.length, e.length, at);
      }
    }
  }
});
