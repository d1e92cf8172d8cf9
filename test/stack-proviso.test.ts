import test from 'ava';
import fc from 'fast-check';
import { buildModel, search, type Model } from '../src/index.ts';
import { buildTrace } from '../src/trace/build.ts';
import { replay } from '../src/trace/replay.ts';
import { builtinModels } from '../models/index.ts';
import { referenceExplore, referenceLivelock } from './helpers/reference.ts';
import { genModel, toModel } from './helpers/random-models.ts';

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);
const replays = (r: ReturnType<typeof search>, m: Model, fairness: 'none' | 'weak' = 'weak') => replay(JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation!, { fairness }))), m).status === 'reproduced';

test('--stack-proviso (DFS, POR): a violation exactly when the unreduced search and the reference checker find one, of a kind the reference finds; never more states; counterexamples replay', (t) => {
  let reduced = 0;
  fc.assert(
    fc.property(genModel(), fc.boolean(), fc.boolean(), (g, deadlock, deadVars) => {
      const m = toModel(g);
      const b = buildModel(m, null);
      const full = search(b, { deadlock, liveness: false, strategy: 'dfs' });
      const red = search(b, { deadlock, liveness: false, strategy: 'dfs', por: true, stackProviso: true, deadVars });
      const ref = referenceExplore(b, { deadlock });
      if (full.verdict !== red.verdict || (ref.violations.size > 0) !== (red.verdict === 'violation')) return false;
      // Several violations may be reachable: the depth-first order decides which is met first.
      if (red.violation && !ref.violations.has(`${red.violation.kind}:${red.violation.property}`)) return false;
      if (full.verdict === 'pass' && red.stats.states > full.stats.states) return false;
      if (full.verdict === 'pass' && red.stats.states < full.stats.states) reduced++;
      if (red.violation && !replays(red, m)) return false;
      return true;
    }),
    { numRuns: RUNS * 2 },
  );
  t.true(reduced > 0, `reduced ${reduced} models`);
});

test('--stack-proviso with livelock checking (fairness none) finds a non-progress cycle exactly when the reference checker does; its lassos replay', (t) => {
  fc.assert(
    fc.property(genModel(), (g) => {
      const m = toModel(g);
      const b = buildModel(m, null);
      const red = search(b, { deadlock: false, fairness: 'none', strategy: 'dfs', por: true, stackProviso: true });
      const full = search(b, { deadlock: false, fairness: 'none', strategy: 'dfs' });
      if (full.violation && full.violation.kind !== 'livelock') return red.verdict === 'violation';
      const r = referenceExplore(b, { deadlock: false });
      const ref = referenceLivelock(b, r, 'none');
      if ((red.violation?.kind === 'livelock') !== ref) return false;
      if (red.violation && !replays(red, m, 'none')) return false;
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('--stack-proviso on the fine classic models: fewer states than the unreduced search, the same verdict; refused without --por and --strategy dfs (MC357)', (t) => {
  for (const name of ['peterson', 'szymanski', 'mcs']) {
    const m = builtinModels.find((x) => x.name === name)!;
    const b = buildModel(m, 'fine', { n: 2 });
    const full = search(b, { liveness: false });
    const red = search(b, { liveness: false, strategy: 'dfs', por: true, stackProviso: true });
    t.is(red.verdict, full.verdict, name);
    t.true(red.stats.states < full.stats.states, name);
  }
  const b = buildModel(builtinModels.find((x) => x.name === 'mcs')!, 'fine', { n: 2 });
  t.throws(() => search(b, { liveness: false, por: true, stackProviso: true }), { code: 'MC357', message: /--strategy dfs/ } as any);
});
