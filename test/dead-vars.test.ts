import test from 'ava';
import fc from 'fast-check';
import { buildModel, defineModel, int, replicate, search, type Fairness, type Model, type StepDef } from '../src/index.ts';
import { buildTrace } from '../src/trace/build.ts';
import { replay } from '../src/trace/replay.ts';
import { deadVariables } from '../src/reduce/dead-vars.ts';
import { builtinModels } from '../models/index.ts';
import { referenceExplore, referenceLivelock } from './helpers/reference.ts';
import { startLabel } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);
/**
 * The reference checker explores a model whole, even one whose search stops
 * at a violation after a few states, at tens of microseconds a state: three
 * threads of three locals can reach millions, minutes of it. Past this many
 * states a run compares the reduced and the unreduced search only.
 */
const REF_STATES = 30_000;

/**
 * Random models built to exercise dead-variable reduction: two or three
 * locals per thread, steps that write them unconditionally (a kill), only
 * under a condition (no kill), from themselves (a read), that read them in
 * guards, choices and computed next labels, and computed next labels the
 * analysis can or cannot resolve; with invariants, assertions and progress.
 */
interface DStep {
  at: number;
  guard: number;
  gc: number;
  effect: number;
  ev: number;
  ec: number;
  next: number;
  alt: number;
  nextKind: number;
  choose: boolean;
  progress: boolean;
}
interface D {
  threads: number;
  labels: number;
  locals: number;
  steps: DStep[];
  inv: number | null;
  assert: number | null;
}
const genD: fc.Arbitrary<D> = fc.record({
  threads: fc.integer({ min: 1, max: 3 }),
  labels: fc.integer({ min: 1, max: 4 }),
  locals: fc.integer({ min: 1, max: 3 }),
  steps: fc.array(
    fc.record({ at: fc.nat(3), guard: fc.nat(4), gc: fc.nat(2), effect: fc.nat(6), ev: fc.nat(2), ec: fc.nat(2), next: fc.nat(3), alt: fc.nat(3), nextKind: fc.nat(3), choose: fc.boolean(), progress: fc.boolean() }),
    { minLength: 1, maxLength: 6 },
  ),
  inv: fc.option(fc.nat(2)),
  assert: fc.option(fc.nat(2)),
});
const plain = (params: string[], body: string) => new Function(...params, body) as any;
function dModel(d: D): Model {
  const L = (i: number) => `L${i % d.labels}`;
  const v = (i: number) => `x${i % d.locals}`;
  const steps: Record<string, StepDef> = {};
  d.steps.forEach((s, i) => {
    const guard = ['true', `me.${v(s.ev)} === ${s.gc}`, `st.a === ${s.gc}`, `me.${v(s.ev + 1)} !== st.a`, `st.a !== me.id`][s.guard]!;
    const effect = [
      `me.${v(s.ev)} = ${s.ec};`,
      `me.${v(s.ev)} = st.a;`,
      `if (st.a === ${s.ec}) me.${v(s.ev)} = (c + 1) % 3;`,
      `me.${v(s.ev)} = (me.${v(s.ev)} + 1 + c) % 3;`,
      `st.a = me.${v(s.ev)};`,
      `st.b = (st.b + 1) % 2; me.${v(s.ev + 1)} = c;`,
      '',
    ][s.effect]! + (d.assert !== null ? ` st.assert(st.a !== 2 || me.${v(d.assert)} !== 2, 'p');` : '');
    // Constant, resolvable (literals only), or unresolvable (a closure variable) next labels.
    const alt = L(s.alt);
    const next: StepDef['next'] = [L(s.next), plain(['st', 'me'], `return me.${v(s.ev)} === 0 ? '${L(s.next)}' : '${L(s.alt)}';`), ((st: any, me: any) => (me[v(s.ev)] === 1 ? alt : L(s.next))) as any, L(s.next)][s.nextKind]!;
    steps[`s${i}`] = {
      at: L(s.at),
      when: plain(['st', 'me'], `return ${guard};`),
      then: plain(['st', 'me', 'c'], effect),
      ...(s.choose ? { choose: plain(['st', 'me'], `return me.${v(s.ev + 2)} === 2 ? 1 : 2;`) } : { choose: 2 }),
      next,
      progress: s.progress,
    };
  });
  const locals: Record<string, ReturnType<typeof int>> = {};
  for (let i = 0; i < d.locals; i++) locals[`x${i}`] = int(0, 2);
  return defineModel({
    name: 'random-dead',
    shared: { a: int(0, 2), b: int(0, 1) },
    threads: [replicate(d.threads, 'T', { locals, start: startLabel(steps), labels: Array.from({ length: d.labels }, (_, i) => `L${i}`), steps })],
    invariants: d.inv !== null ? { i: plain(['s'], `return s.a !== 2 || s.b !== ${d.inv % 2};`) } : {},
  }) as unknown as Model;
}

const replays = (r: ReturnType<typeof search>, m: Model, fairness: Fairness) =>
  replay(JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation!, { fairness }))), m).status === 'reproduced';

test('dead-variable reduction keeps the verdict of the unreduced search and the reference checker (safety), never adds states, and its counterexamples replay on the unreduced model', (t) => {
  let reduced = 0;
  let refSkipped = 0;
  fc.assert(
    fc.property(genD, fc.boolean(), fc.constantFrom('bfs', 'dfs' as const), (d, deadlock, strategy) => {
      const m = dModel(d);
      const b = buildModel(m, null);
      const full = search(b, { deadlock, liveness: false, strategy });
      const red = search(b, { deadlock, liveness: false, strategy, deadVars: true });
      if (full.verdict !== red.verdict) return false;
      // A breadth-first search meets states level by level, so both searches report the violation
      // of the same shortest prefix. A depth-first search promises only some violation: the
      // reduction changes the order it meets states in, so each may report a different one, and
      // each must be a kind the reference checker finds.
      if (strategy === 'bfs' && full.violation?.kind !== red.violation?.kind) return false;
      const ref = referenceExplore(b, { deadlock, maxStates: REF_STATES });
      if (ref.truncated) refSkipped++;
      else {
        if ((ref.violations.size > 0) !== (red.verdict === 'violation')) return false;
        const kinds = new Set([...ref.violations.keys()].map((k) => k.slice(0, k.indexOf(':'))));
        if (red.violation && !kinds.has(red.violation.kind)) return false;
        if (full.violation && !kinds.has(full.violation.kind)) return false;
      }
      // BFS finds a shortest counterexample: the reduction keeps its length.
      if (strategy === 'bfs' && full.violation && full.violation.steps.length !== red.violation!.steps.length) return false;
      if (full.verdict === 'pass' && red.stats.states > full.stats.states) return false;
      if (full.verdict === 'pass' && red.stats.states < full.stats.states) reduced++;
      if (red.violation && !replays(red, m, 'weak')) return false;
      // With POR on top, the verdict stays.
      const both = search(b, { deadlock, liveness: false, strategy, deadVars: true, por: true });
      if (both.verdict !== full.verdict || (full.verdict === 'pass' && both.stats.states > red.stats.states && both.stats.states > full.stats.states)) return false;
      if (both.violation && !replays(both, m, 'weak')) return false;
      return true;
    }),
    { numRuns: RUNS * 2 },
  );
  t.true(reduced > 0, `reduced ${reduced} models`);
  // Most runs are checked against the reference checker too.
  t.true(refSkipped < RUNS / 2, `${refSkipped} of ${RUNS * 2} runs too large for the reference checker`);
});

test('dead-variable reduction keeps livelocks under every fairness (reference checker), and its lassos close and replay on the unreduced model with a stem at most one round longer than the shortest', (t) => {
  let found = 0;
  let extended = 0;
  let refSkipped = 0;
  fc.assert(
    fc.property(genD, fc.constantFrom<Fairness>('none', 'weak', 'strong'), (d, fairness) => {
      const m = dModel(d);
      const b = buildModel(m, null);
      const full = search(b, { deadlock: false, fairness });
      const red = search(b, { deadlock: false, fairness, deadVars: true });
      if (full.violation && full.violation.kind !== 'livelock') return red.violation?.kind === full.violation.kind;
      const r = referenceExplore(b, { deadlock: false, maxStates: REF_STATES });
      if (r.truncated) refSkipped++;
      const ref = r.truncated ? full.violation?.kind === 'livelock' : referenceLivelock(b, r, fairness);
      if ((red.violation?.kind === 'livelock') !== ref || (full.violation?.kind === 'livelock') !== ref) return false;
      if (red.verdict === 'pass' && red.stats.states > full.stats.states) return false;
      if (red.violation) {
        found++;
        if (!replays(red, m, fairness)) return false;
        // The stem is the shortest (the unreduced one's) when the cycle closes on the real values, else it goes on along
        // the cycle to where one round returns exactly: longer by at most one round (the search on reset states may pick
        // a cycle that closes on real values only after a detour, where another choice closes at once).
        if (red.violation.kind !== 'livelock' || full.violation?.kind !== 'livelock') return false;
        const stem = red.violation.cycleStart!;
        const extra = stem - full.violation.cycleStart!;
        if (extra < 0 || extra > red.violation.steps.length - stem) return false;
        if (extra > 0) extended++;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.true(found > 0, `found ${found} livelocks`);
  t.log(`${extended} of ${found} lassos closed only after going on along the cycle`);
  t.true(refSkipped < RUNS / 4, `${refSkipped} of ${RUNS} runs too large for the reference checker`);
});

test('a --dead-vars lasso that closes only up to dead values goes on along its cycle to the first state one round returns to, not a whole round', (t) => {
  // x is read nowhere, so dead everywhere: reset on reset states, it is 2 after `init` and 1 after `a` on the real ones.
  const m = defineModel({
    name: 'rotate',
    shared: { z: int(0, 1) },
    threads: [
      replicate(1, 'T', {
        locals: { x: int(0, 2) },
        start: 'S',
        end: ['Done'],
        steps: {
          init: { at: 'S', then: (s, me) => { me.x = 2; }, next: 'A' },
          quit: { at: 'S', next: 'Done', progress: true },
          a: { at: 'A', then: (s, me) => { if (s.z === 0) me.x = 1; }, next: 'B' },
          b: { at: 'B', next: 'C' },
          c: { at: 'C', next: 'A' },
        },
      }),
    ],
  });
  const b = buildModel(m, null);
  const full = search(b, { deadlock: false, fairness: 'none' });
  const red = search(b, { deadlock: false, fairness: 'none', deadVars: true });
  t.is(full.violation?.kind, 'livelock');
  t.is(red.violation?.kind, 'livelock');
  const names = (r: typeof red) => r.violation!.steps.map((x) => b.threads[x.thread]!.template.steps[x.step]!.name);
  // The shortest: reach B with x = 1 (two steps), then B, C, A round and round. Walking the whole round
  // again from A (x = 2) before the cycle would make the stem four steps.
  t.is(full.violation!.cycleStart, 2);
  t.is(red.violation!.cycleStart, 2);
  t.deepEqual(names(red), ['init', 'a', 'b', 'c', 'a']);
  t.true(replays(red, m, 'none'));
});

test('dead locals: written-before-read on every path; a conditional write or a next the analysis cannot resolve keeps them live', (t) => {
  const peterson = builtinModels.find((m) => m.name === 'peterson')!;
  const fine = deadVariables(buildModel(peterson, 'fine', { n: 3 }));
  const at = (label: string) => fine.dead.find((x) => x.label === label)?.locals ?? [];
  t.deepEqual(at('NCS'), ['lev', 'k']);
  t.deepEqual(at('K0'), ['k']);
  t.deepEqual(at('Scan'), []);
  t.deepEqual(at('Inc'), ['k']);
  t.deepEqual(at('Loop'), ['k']);
  const m = defineModel({
    name: 'kills',
    shared: { a: int(0, 2) },
    threads: [
      replicate(2, 'T', {
        locals: { x: int(0, 2), y: int(0, 2) },
        start: 'A',
        steps: {
          // Writes x only when a is 1: x stays live at A (its old value may survive to C).
          a: { at: 'A', then: (s, me) => { if (s.a === 1) me.x = 2; me.y = 1; }, next: 'B' },
          b: { at: 'B', then: (s, me) => { s.a = me.y; }, next: 'C' },
          c: { at: 'C', then: (s, me) => { s.a = me.x; }, next: 'A' },
        },
      }),
    ],
  });
  const k = deadVariables(buildModel(m, null));
  t.deepEqual(k.dead, [{ thread: 'T', label: 'A', locals: ['y'] }, { thread: 'T', label: 'C', locals: ['y'] }]);
  const start = 'A';
  const closure = defineModel({
    name: 'closure-next',
    shared: { a: int(0, 2) },
    threads: [replicate(1, 'T', { locals: { x: int(0, 2) }, start: 'A', labels: ['A', 'B'], steps: { a: { at: 'A', then: (s, me) => { me.x = 1; }, next: (s, me) => (s.a === 0 ? start : 'B') }, b: { at: 'B', then: (s, me) => { s.a = me.x; }, next: 'A' } } })],
  });
  const c = deadVariables(buildModel(closure, null));
  t.deepEqual(c.dead, []);
  t.regex(c.notes.join('\n'), /T\.a: its next cannot be resolved/);
});

test('dead-variable reduction on the textbook Peterson port gives the state count of SPIN with its dataflow optimisation (spin -o3 -a, -DNOREDUCE)', (t) => {
  const peterson = builtinModels.find((m) => m.name === 'peterson')!;
  const r = search(buildModel(peterson, 'fine', { n: 3 }), { deadVars: true, liveness: false });
  t.is(r.verdict, 'pass');
  t.is(r.stats.states, 14084);
  t.deepEqual(r.reduction.deadVars?.notes, []);
});

test('check --dead-vars: the dead locals in the text and --json output; a livelock found with it is saved with real values and replays; any number of workers', async (t) => {
  const { cli } = await import('./helpers/cli.ts');
  const text = await cli(['check', 'mcs', '--variant', 'fine', '--dead-vars']);
  t.is(text.code, 0, text.err);
  t.regex(text.out, /\[bfs, dead-vars\]/);
  t.regex(text.out, /dead-vars: locals reset where they are dead, at 13 label\(s\):\n {2}P at NCS: pred, ok\n/);
  const j = await cli(['check', 'mcs', '--variant', 'fine', '--dead-vars', '--json']);
  t.is(j.code, 0, j.err);
  const r = JSON.parse(j.out);
  t.is(r.stats.states, 2298);
  t.true(r.options.deadVars);
  t.deepEqual(r.reduction.deadVars.dead[0], { thread: 'P', label: 'NCS', locals: ['pred', 'ok'] });
  const dir = tempDir('mmcheck-dead-');
  const v = await cli(['check', 'migration-entry-wait', '--variant', 'put-and-wait', '--dead-vars', '--json', '--trace-out', 'lasso.json'], dir);
  t.is(v.code, 1, v.err);
  t.is(JSON.parse(v.out).violation.kind, 'livelock');
  const rep = await cli(['replay', 'lasso.json'], dir);
  t.is(rep.code, 0, rep.out + rep.err);
  const w = await cli(['check', 'mcs', '--variant', 'fine', '--dead-vars', '--workers', '2', '--json']);
  t.is(w.code, 0, w.err);
  t.is(JSON.parse(w.out).stats.states, 2298);
});
