/**
 * Livelock and starvation checking under symmetry (src/search/sym-liveness.ts)
 * against the unreduced search and the naive reference checker, on random
 * symmetric models with progress labels, under each fairness.
 */
import test from 'ava';
import fc from 'fast-check';
import { array, bool, buildModel, defineModel, int, replicate, search, thread, threadId, type Model, type StepDef } from '../src/index.ts';
import type { Fairness } from '../src/model/define.ts';
import { buildTrace } from '../src/trace/build.ts';
import { replay } from '../src/trace/replay.ts';
import { Symmetry } from '../src/reduce/symmetry.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { referenceExplore, referenceFairCycle, referenceFairCycleDepth, referenceNearestStarvation } from './helpers/reference.ts';
import { startLabel } from './helpers/random-models.ts';

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);

interface GenStep {
  at: number;
  guard: number;
  effect: number;
  next: number;
  progress: boolean;
  choices: number;
}
interface GenLive {
  count: number;
  labels: number;
  end: number[];
  steps: GenStep[];
  /** A thread outside the group (fixed by every permutation), or none. */
  other: GenStep[] | null;
  /** Whether replica ids are stored (a threadId variable): the enumerated canonical form; otherwise ids only index `flag`. */
  ids: boolean;
}

const genStep = (labels: number): fc.Arbitrary<GenStep> =>
  fc.record({
    at: fc.nat(labels - 1),
    guard: fc.nat(5),
    effect: fc.nat(5),
    next: fc.nat(labels - 1),
    progress: fc.boolean(),
    choices: fc.integer({ min: 1, max: 2 }),
  });

const genLive = (minCount: number, maxCount: number, ids: boolean, maxLabels = 3): fc.Arbitrary<GenLive> =>
  fc.integer({ min: 1, max: maxLabels }).chain((labels) =>
    fc.record({
      count: fc.integer({ min: minCount, max: maxCount }),
      labels: fc.constant(labels),
      end: fc.uniqueArray(fc.nat(labels - 1), { maxLength: 1 }),
      steps: fc.array(genStep(labels), { minLength: 1, maxLength: 4 }),
      other: fc.option(fc.array(genStep(1), { minLength: 1, maxLength: 2 }), { freq: 3 }),
      ids: fc.constant(ids),
    }),
  );

const fn = (params: string[], body: string) => new Function(...params, body) as any;

/** Guards and effects use replica ids only as names (stored, compared, indexing `flag`), so the group is symmetric. */
function toLiveModel(g: GenLive): Model {
  const shared: Record<string, any> = { flag: array(g.count, bool()).indexedBy('T'), v: int(0, 2) };
  if (g.ids) shared.own = threadId('T', { none: true });
  const guards = g.ids
    ? ['true', 'st.own === -1', 'st.own === me.id', '!st.flag.get(me.id)', 'st.v !== 1', 'st.own !== me.id']
    : ['true', '!st.flag.get(me.id)', 'st.flag.get(me.id)', 'st.v !== 1', 'st.v === 0', 'st.v !== 2'];
  const effects = g.ids
    ? ['st.own = me.id;', 'st.own = -1;', 'st.flag.set(me.id, !st.flag.get(me.id));', 'st.v = (st.v + 1 + c) % 3;', 'st.v = 0;', '']
    : ['st.flag.set(me.id, true);', 'st.flag.set(me.id, false);', 'st.flag.set(me.id, !st.flag.get(me.id));', 'st.v = (st.v + 1 + c) % 3;', 'st.v = 0;', ''];
  const steps = (list: GenStep[], own: boolean): Record<string, StepDef> => {
    const out: Record<string, StepDef> = {};
    list.forEach((s, i) => {
      out[`s${i}`] = {
        at: `L${s.at}`,
        when: fn(['st', 'me'], `return ${own ? guards[s.guard] : ['true', 'st.v !== 1', 'st.v === 0', 'st.v !== 2', 'true', 'st.v !== 0'][s.guard]};`),
        then: fn(['st', 'me', 'c'], own ? effects[s.effect]! : ['st.v = (st.v + 1 + c) % 3;', 'st.v = 2;', '', 'st.v = 0;', '', ''][s.effect]!),
        next: `L${s.next}`,
        choose: s.choices,
        progress: s.progress,
      };
    });
    return out;
  };
  const own = steps(g.steps, true);
  const threads = [replicate(g.count, 'T', { start: startLabel(own, g.end.map((x) => `L${x}`)), labels: Array.from({ length: g.labels }, (_, i) => `L${i}`), end: g.end.map((x) => `L${x}`), steps: own })];
  if (g.other) threads.push(thread('U', { start: 'L0', labels: ['L0'], steps: steps(g.other, false) }));
  return defineModel({ name: 'random-sym-live', shared, threads }) as unknown as Model;
}

/** The reduced check keeps the unreduced verdict, which the reference decides; its lasso replays (with its fairness) on the unreduced model. */
function agrees(g: GenLive, fairness: Fairness, deadlock: boolean, strategy: 'bfs' | 'dfs' = 'bfs'): boolean {
  const m = toLiveModel(g);
  const b = buildModel(m, null);
  const full = search(b, { deadlock, fairness });
  const red = search(b, { deadlock, fairness, symmetry: true, strategy });
  if (red.verdict !== full.verdict || red.violation?.kind !== full.violation?.kind || red.violation?.property !== full.violation?.property) return false;
  // Counts compare between complete searches: a search that stops at a violation has seen an order-dependent part of the space (a DFS may pass more states before its first deadlock than a BFS).
  if (full.violation === null && red.stats.states > full.stats.states) return false;
  if (b.hasProgress && (full.violation === null || full.violation.kind === 'livelock')) {
    const ref = referenceExplore(b, { deadlock: false });
    const livelock = referenceFairCycle(b, ref, fairness);
    const starving = b.threads.map((th, i) => th.template.hasProgress && referenceFairCycle(b, ref, fairness, i));
    if ((red.violation !== null) !== (livelock || starving.some((x) => x))) return false;
    if (red.violation?.property === 'non-progress-cycle' && !livelock) return false;
    if (red.violation?.property === 'starvation') {
      const i = b.threads.findIndex((th) => th.name === red.violation!.starving);
      if (livelock || i < 0 || !starving[i]) return false;
    }
    // After a breadth-first exploration the stem is as short as can be (as the unreduced search's): no state on a fair cycle lies nearer.
    for (const r of strategy === 'bfs' ? [red, full] : [full]) {
      if (r.violation?.kind !== 'livelock') continue;
      if (r.violation.property !== 'starvation') {
        if (r.violation.cycleStart !== referenceFairCycleDepth(b, ref, fairness)) return false;
        continue;
      }
      // Starvation: of the thread that starves nearest; the unreduced search names the first in thread order among those as near, the reduced one
      // the first of its symmetric group too, unless exchanging the two replicas changes the initial state.
      const nearest = referenceNearestStarvation(b, ref, fairness);
      const i = b.threads.findIndex((th) => th.name === r.violation!.starving);
      if (nearest === null || r.violation.cycleStart !== nearest.depth || referenceFairCycleDepth(b, ref, fairness, i) !== nearest.depth) return false;
      if (r === full && i !== nearest.thread) return false;
      if (r === red && i !== new Symmetry(b, red.runtime.layout).orbitStart(i) && exchangeKeepsInitial(b, i)) return false;
    }
  }
  if (red.violation) {
    const tr = buildTrace(red.runtime, red.violation, { fairness });
    if (replay(JSON.parse(JSON.stringify(tr)), m).status !== 'reproduced') return false;
  }
  return true;
}

/** Whether exchanging replica k with the first of its symmetric group leaves the initial state as it is. */
function exchangeKeepsInitial(b: ReturnType<typeof buildModel>, k: number): boolean {
  const rt = new Runtime(b);
  const sym = new Symmetry(b, rt.layout);
  const t = sym.orbitStart(k);
  const perm = new Int32Array(rt.threads).map((_, x) => (x === t ? k : x === k ? t : x));
  const init = rt.initial();
  const moved = new Uint32Array(rt.words);
  sym.permute(perm, init, 0, moved, 0);
  return moved.every((w, x) => w === init[x]);
}

const fairnesses = fc.constantFrom('none', 'weak', 'strong' as const);

test('symmetric livelock and starvation checks (BFS or DFS exploration) keep the unreduced verdict under each fairness, and every lasso replays', (t) => {
  fc.assert(fc.property(genLive(2, 4, true), fairnesses, fc.boolean(), fc.constantFrom('bfs', 'dfs' as const), (g, fairness, deadlock, strategy) => agrees(g, fairness, deadlock, strategy)), { numRuns: RUNS });
  t.pass();
});

// One label per replica keeps the 7-replica models small enough for the reference checker.
test('groups of more than 6 replicas (sorted canonical form) keep the verdict too', (t) => {
  fc.assert(fc.property(genLive(7, 7, false, 1), fairnesses, (g, fairness) => agrees(g, fairness, false)), { numRuns: Math.max(8, Math.round(RUNS / 10)) });
  t.pass();
});

test('the sorted canonical form is one state per orbit, and the permutation it reports maps the state to it', (t) => {
  fc.assert(
    fc.property(genLive(7, 8, false, 2), (g) => {
      const b = buildModel(toLiveModel(g), null);
      const full = search(b, { liveness: false, deadlock: false });
      const red = search(b, { liveness: false, deadlock: false, symmetry: true });
      const sym = new Symmetry(b, full.runtime.layout);
      const W = full.runtime.words;
      const buf = new Uint32Array(W);
      const back = new Uint32Array(W);
      const perm = new Int32Array(full.runtime.threads);
      const orbits = new Set<string>();
      for (let i = 0; i < full.store.count; i++) {
        full.store.read(i, buf);
        const before = buf.slice();
        sym.canonicalize(buf, 0, perm);
        sym.permute(perm, before, 0, back, 0);
        if (back.join() !== buf.join()) return false;
        orbits.add(buf.join());
      }
      return red.stats.states === orbits.size;
    }),
    { numRuns: Math.max(10, Math.round(RUNS / 5)) },
  );
  t.pass();
});

test('the enumerated canonical form reports the permutation it applied', (t) => {
  fc.assert(
    fc.property(genLive(2, 4, true), (g) => {
      const b = buildModel(toLiveModel(g), null);
      const full = search(b, { liveness: false, deadlock: false });
      const sym = new Symmetry(b, full.runtime.layout);
      const buf = new Uint32Array(full.runtime.words);
      const back = new Uint32Array(full.runtime.words);
      const perm = new Int32Array(full.runtime.threads);
      for (let i = 0; i < full.store.count; i++) {
        full.store.read(i, buf);
        const before = buf.slice();
        sym.canonicalize(buf, 0, perm);
        sym.permute(perm, before, 0, back, 0);
        if (back.join() !== buf.join()) return false;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('migration-entry-wait: the symmetric livelock check finds the put-and-wait livelock and passes wait-on-locked, with lassos that replay', async (t) => {
  const { builtinModels } = await import('../models/index.ts');
  const m = builtinModels.find((x) => x.name === 'migration-entry-wait')!;
  for (const [variant, params] of [
    ['put-and-wait', { faulters: 3 }],
    ['put-and-wait', { faulters: 4 }],
    ['ref-while-waiting', { faulters: 3 }],
    ['fault-get-page', { faulters: 3 }],
    ['wait-on-locked', { faulters: 3, holder: 1 }],
    ['wait-on-locked', { faulters: 4, contended: 'wait' }],
  ] as const) {
    for (const fairness of ['weak', 'strong'] as const) {
      const what = `${variant} ${JSON.stringify(params)} ${fairness}`;
      const b = buildModel(m, variant, params);
      const full = search(b, { fairness });
      const red = search(b, { fairness, symmetry: true });
      t.is(red.verdict, full.verdict, what);
      t.is(red.violation?.property, full.violation?.property, what);
      t.true(red.stats.states < full.stats.states, what);
      if (red.violation) t.is(replay(JSON.parse(JSON.stringify(buildTrace(red.runtime, red.violation, { fairness }))), m).status, 'reproduced', what);
    }
  }
});

test('a starving replica is named as the unreduced search names it: the first of its symmetric group, the lasso exchanged into it and replayed', (t) => {
  // A test-and-set lock: with no fairness every CPU starves as near; the lift of the quotient drew the lasso for cpu[1].
  const m = defineModel({
    name: 'tas',
    shared: { locked: bool(), ctr: int(0, 3) },
    threads: [
      replicate(3, 'cpu', {
        locals: { tmp: int(0, 3) },
        start: 'idle',
        end: ['idle'],
        steps: {
          idle: { then: (s: any, me: any) => { me.tmp = s.ctr; }, next: 'lock' },
          lock: { when: (s: any) => !s.locked, then: (s: any) => { s.locked = true; }, next: 'crit' },
          crit: { then: (s: any, me: any) => { s.ctr = (me.tmp + 1) % 4; }, next: 'unlock', progress: true },
          unlock: { then: (s: any) => { s.locked = false; }, next: 'idle' },
        },
      } as never),
    ],
  } as never);
  const b = buildModel(m, null);
  for (const fairness of ['none', 'weak'] as const) {
    const full = search(b, { fairness });
    const red = search(b, { fairness, symmetry: true });
    t.is(full.violation?.starving, 'cpu[0]', fairness);
    t.is(red.violation?.starving, 'cpu[0]', fairness);
    t.is(red.violation?.cycleStart, full.violation?.cycleStart, fairness);
    t.is(replay(JSON.parse(JSON.stringify(buildTrace(red.runtime, red.violation!, { fairness }))), m).status, 'reproduced', fairness);
  }
});
