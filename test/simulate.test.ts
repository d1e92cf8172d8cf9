import test from 'ava';
import fc from 'fast-check';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bool, buildModel, defineModel, int, search, thread, type Model } from '../src/index.ts';
import { simulate } from '../src/search/simulate.ts';
import { searchMember, planWorkers } from '../src/search/swarm.ts';
import { swarm } from '../src/run/swarm-pool.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { buildTrace } from '../src/trace/build.ts';
import { replay } from '../src/trace/replay.ts';
import { seedTag } from '../src/cli/seeded.ts';
import { cli, mmcheckProcess } from './helpers/cli.ts';
import dining from '../models/dining.ts';
import { referenceExplore, referenceFairCycle } from './helpers/reference.ts';
import { genModel, toModel } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 40);
const diningModel = dining as unknown as Model;
const tmp = () => tempDir('mmcheck-sim-');
const traceOf = (m: Model, r: { runtime: Runtime; violation: Parameters<typeof buildTrace>[1] | null }, fairness?: string) =>
  JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation!, { fairness })));

// ---- tiny models for the liveness semantics ---------------------------------------

/**
 * `waiter` busy-waits for a flag that `setter` sets. The only cycle is the
 * waiter spinning while the setter, enabled all along, never moves: unfair
 * under weak and strong fairness, a non-progress cycle under none.
 */
const unfairOnly = defineModel({
  name: 'unfair-only',
  shared: { flag: bool() },
  threads: [
    thread('waiter', {
      start: 'wait',
      end: ['done'],
      steps: {
        spin: { at: 'wait', when: (s) => !s.flag, next: 'wait' },
        go: { at: 'wait', when: (s) => s.flag, next: 'done', progress: true },
      },
    }),
    thread('setter', { start: 'set', end: ['done'], steps: { set: { at: 'set', then: (s) => void (s.flag = true), next: 'done' } } }),
  ],
}) as unknown as Model;

/** Two threads pass a token back and forth forever; the progress step needs a flag nobody sets: a fair non-progress cycle. */
const pingPong = defineModel({
  name: 'ping-pong',
  shared: { turn: int(0, 1), never: bool() },
  threads: [0, 1].map((id) =>
    thread(`p${id}`, {
      start: 'run',
      end: ['done'],
      steps: {
        pass: { at: 'run', when: (s) => s.turn === id, then: (s) => void (s.turn = 1 - id), next: 'run' },
        finish: { at: 'run', when: (s) => s.never, next: 'done', progress: true },
      },
    }),
  ),
}) as unknown as Model;

/**
 * `toggler` makes progress forever, flipping x; `taker` can only move while x
 * is set. On the cycle the taker is enabled only half the time: weakly fair
 * starvation of the taker, unfair under strong fairness.
 */
const starving = defineModel({
  name: 'starving',
  shared: { x: bool() },
  threads: [
    thread('toggler', { start: 'loop', steps: { flip: { at: 'loop', then: (s) => void (s.x = !s.x), next: 'loop', progress: true } } }),
    thread('taker', { start: 'try', end: ['done'], steps: { take: { at: 'try', when: (s) => s.x, next: 'done', progress: true } } }),
  ],
}) as unknown as Model;

/**
 * Two threads retry a trylock that always fails, each in a self-loop on the
 * same state: each loop alone is unfair to the other thread, together they
 * are the fair livelock (the shape of a refault-on-trylock-failure race).
 */
const bothSpin = defineModel({
  name: 'both-spin',
  shared: { held: bool(true) },
  threads: [0, 1].map((id) =>
    thread(`c${id}`, {
      start: 'try',
      end: ['done'],
      steps: {
        trylock_fails: { at: 'try', when: (s) => s.held, next: 'try' },
        locked: { at: 'try', when: (s) => !s.held, next: 'done', progress: true },
      },
    }),
  ),
}) as unknown as Model;

// ---- simulate --------------------------------------------------------------------------

test('simulate finds the dining deadlock (n=5) and the trace replays', (t) => {
  const r = simulate(buildModel(diningModel, null, { n: 5 }), { seed: 'test', runs: 100, depth: 200 });
  t.is(r.violation?.kind, 'deadlock');
  t.is(r.stopped, 'violation');
  t.true(r.stats.distinct > 0 && r.stats.steps >= r.violation!.steps.length);
  const tr = traceOf(diningModel, r);
  t.is(replay(tr, diningModel).status, 'reproduced');
});

test('simulate: the same seed gives the same walks and trace; different seeds give different walks', (t) => {
  const b = buildModel(diningModel, null, { n: 6 });
  const a1 = simulate(b, { seed: 'alpha', runs: 50, depth: 300 });
  const a2 = simulate(b, { seed: 'alpha', runs: 50, depth: 300 });
  t.deepEqual(traceOf(diningModel, a1), traceOf(diningModel, a2));
  t.deepEqual({ ...a1.stats, seconds: 0 }, { ...a2.stats, seconds: 0 });
  t.is(a1.walk, a2.walk);
  // Without a violation to stop them, whole walk sets compare by what they saw.
  const p = buildModel(diningModel, null, { n: 8 });
  const seen = (seed: string) => {
    const r = simulate(p, { seed, runs: 20, depth: 40, deadlock: false });
    return `${r.stats.distinct}/${r.stats.ended}`;
  };
  t.is(seen('s1'), seen('s1'));
  const traces = new Set(['b1', 'b2', 'b3', 'b4'].map((seed) => JSON.stringify(traceOf(diningModel, simulate(b, { seed, runs: 50, depth: 300 })).steps)));
  t.true(traces.size > 1, 'four seeds, one walk');
});

test('simulate: a cycle that is only unfair is not a livelock; a fair non-progress cycle is, and replays', (t) => {
  const u = buildModel(unfairOnly, null);
  for (const fairness of ['weak', 'strong'] as const) {
    const r = simulate(u, { seed: '1', runs: 200, depth: 50, fairness });
    t.is(r.violation, null, fairness);
    t.true(r.stats.cycles.candidates > 0 && r.stats.cycles.unfair === r.stats.cycles.candidates);
    t.is(search(u, { fairness }).verdict, 'pass');
  }
  const none = simulate(u, { seed: '1', runs: 200, depth: 50, fairness: 'none' });
  t.is(none.violation?.property, 'non-progress-cycle');

  const pp = simulate(buildModel(pingPong, null), { seed: '1', runs: 10, depth: 50 });
  t.is(pp.violation?.kind, 'livelock');
  t.is(pp.violation?.property, 'non-progress-cycle');
  t.is(replay(traceOf(pingPong, pp, 'weak'), pingPong).status, 'reproduced');
});

test('simulate and a bitstate worker combine two unfair self-loops into the fair livelock they make together', (t) => {
  const b = buildModel(bothSpin, null);
  t.is(search(b).violation?.property, 'non-progress-cycle');
  const r = simulate(b, { seed: '1', runs: 5, depth: 20 });
  t.is(r.violation?.property, 'non-progress-cycle');
  t.is(replay(traceOf(bothSpin, r, 'weak'), bothSpin).status, 'reproduced');
  const w = searchMember(new Runtime(b), planWorkers('1', 1, 100)[0]!, { deadlock: null, liveness: true, fairness: 'weak', maxStates: Infinity, deadline: Infinity, coverageCap: 100 }, null);
  t.is(w.violation?.property, 'non-progress-cycle');
  t.is(replay(traceOf(bothSpin, { runtime: r.runtime, violation: w.violation }, 'weak'), bothSpin).status, 'reproduced');
});

test('simulate: starvation counts only the starving thread\'s progress', (t) => {
  const b = buildModel(starving, null);
  const weak = simulate(b, { seed: '3', runs: 200, depth: 50, fairness: 'weak' });
  t.is(weak.violation?.property, 'starvation');
  t.is(weak.violation?.starving, 'taker');
  t.is(replay(traceOf(starving, weak, 'weak'), starving).status, 'reproduced');
  t.is(search(b, { fairness: 'weak' }).violation?.property, 'starvation');
  t.is(simulate(b, { seed: '3', runs: 200, depth: 50, fairness: 'strong' }).violation, null);
  t.is(search(b, { fairness: 'strong' }).verdict, 'pass');
});

test('random models: what simulate and a bitstate worker report is real, and replays', (t) => {
  fc.assert(
    fc.property(genModel(), fc.boolean(), fc.constantFrom('none', 'weak', 'strong' as const), fc.string({ maxLength: 4 }), (g, deadlock, fairness, seed) => {
      const m = toModel(g);
      const b = buildModel(m, null);
      const ref = referenceExplore(b, { deadlock });
      const sim = simulate(b, { seed, runs: 30, depth: 60, deadlock, fairness });
      // 2^24 bits: no bitstate collision to expect among the few hundred states compared below.
      const plan = { ...planWorkers(seed, 2, 100)[1]!, bitstateLog2: 24 };
      const dfs = searchMember(new Runtime(b), plan, { deadlock, liveness: true, fairness, maxStates: Infinity, deadline: Infinity, coverageCap: 1 << 16 }, null);
      for (const v of [sim.violation, dfs.violation]) {
        if (!v) continue;
        if (v.kind === 'livelock') {
          const th = v.starving ? b.threads.findIndex((x) => x.name === v.starving) : -1;
          if (!referenceFairCycle(b, ref, fairness, th)) return false;
        } else if (!ref.violations.has(`${v.kind}:${v.property}`)) return false;
        const tr = buildTrace(sim.runtime, v, { fairness });
        if (replay(JSON.parse(JSON.stringify(tr)), m).status !== 'reproduced') return false;
      }
      // A worker that ran to completion saw every reachable state (no collisions at this size).
      if (!deadlock && !g.invariant && !g.assertion && dfs.status === 'done' && dfs.depthCut === 0 && ref.states <= 1000 && dfs.states !== ref.states) return false;
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('simulate --json: output shape, trace written where --trace-out says', async (t) => {
  const dir = tmp();
  const r = await cli(['simulate', 'dining', '-p', 'n=5', '--seed', '42', '--json', '--trace-out', 'd.json'], dir);
  t.is(r.code, 1, r.err);
  const o = JSON.parse(r.out);
  t.like(o, { model: 'dining', variant: null, params: { n: 5 }, mode: 'simulate', seed: '42', verdict: 'violation', stopped: 'violation' });
  t.like(o.violation, { kind: 'deadlock', property: 'deadlock', trace: 'd.json' });
  t.true(Number.isInteger(o.violation.walk) && o.violation.length > 0);
  t.deepEqual(Object.keys(o.stats).sort(), ['cycles', 'distinctCapped', 'distinctStates', 'endedWalks', 'longestWalk', 'runs', 'seconds', 'steps', 'stepsPerSecond']);
  t.deepEqual(o.options, { runs: 1000, depth: 1000, fairness: null, liveness: false, deadlock: true });
  t.is(JSON.parse(readFileSync(join(dir, 'd.json'), 'utf8')).steps.length, o.violation.length);
  const none = await cli(['simulate', 'dining', '-p', 'n=5', '--no-deadlock', '--runs', '5', '--depth', '20', '--json', '--seed', 'x'], dir);
  t.is(none.code, 0, none.err);
  const p = JSON.parse(none.out);
  t.like(p, { verdict: 'no-violation', violation: null, stopped: 'runs', stats: { runs: 5 } });
});

// ---- swarm ---------------------------------------------------------------------------------

test('swarm finds the dining deadlock; the trace replays; the winner and trace do not depend on scheduling', async (t) => {
  const spec = { model: 'dining', variant: null, params: { n: 6 } };
  const a = await swarm(spec, { workers: 4, jobs: 2, seed: 'sw' });
  t.is(a.violation?.kind, 'deadlock');
  t.true(a.settled);
  const b = buildModel(diningModel, null, { n: 6 });
  const tr = JSON.parse(JSON.stringify(buildTrace(new Runtime(b), a.violation!)));
  t.is(replay(tr, diningModel).status, 'reproduced');
  // The same plans one after another in this thread: the extreme of a different schedule.
  const inline = await swarm(spec, { workers: 4, seed: 'sw', mode: 'inline' });
  t.is(inline.winner, a.winner);
  t.deepEqual(inline.violation, a.violation);
  t.deepEqual(
    inline.workers.map((w) => w.plan),
    a.workers.map((w) => w.plan),
  );
  // Other seeds diversify the plans.
  t.notDeepEqual(planWorkers('sw', 4, 1000), planWorkers('other', 4, 1000));
  // Without a violation every worker runs to its end: every number is reproducible, and complete searches cover the space.
  const pass = await swarm(spec, { workers: 3, seed: 'sw', deadlock: false, mode: 'inline' });
  const again = await swarm(spec, { workers: 3, seed: 'sw', deadlock: false, mode: 'inline' });
  t.deepEqual(
    pass.workers.map((w) => ({ ...w, seconds: 0 })),
    again.workers.map((w) => ({ ...w, seconds: 0 })),
  );
  t.is(pass.coverage.distinct, search(b, { deadlock: false }).stats.states);
  t.like(pass.coverage, { method: 'complete-search', share: 1 });
});

// ---- the command line ---------------------------------------------------------------------


/**
 * In a fresh process, with tsx registered the way bin/mmcheck.js registers it
 * (an import in the main thread, no --import flag): the condition under which
 * swarm workers must load TypeScript on their own.
 */
test('CLI process: check --swarm 4 runs worker threads from the command line and saves a trace that replays', async (t) => {
  const dir = tmp();
  const r = await mmcheckProcess(['check', 'dining', '-p', 'n=5', '--swarm', '4', '--seed', '9'], dir);
  t.is(r.code, 1, r.err);
  t.regex(r.out, /swarm-checking dining \(n=5\) \[4 workers/);
  t.regex(r.out, /violation found by worker \d+ after/);
  // Under a name of its own (mode and seed): a swarm's counterexample must not replace the one check saved.
  t.regex(r.out, /replay: mmcheck replay traces\/dining\.n5\.deadlock\.swarm-seed9\.json/);
  t.regex(r.out, /again: +mmcheck check dining -p n=5 --swarm 4 --seed 9/);
  const rp = await cli(['replay', 'traces/dining.n5.deadlock.swarm-seed9.json'], dir);
  t.is(rp.code, 0, rp.out + rp.err);
});

test('CLI: simulate and a swarm save their counterexamples beside the shortest one check saved, not over it', async (t) => {
  const dir = tmp();
  t.is((await cli(['check', 'dining', '-p', 'n=5'], dir)).code, 1);
  const shortest = readFileSync(join(dir, 'traces/dining.n5.deadlock.json'), 'utf8');
  const sim = await cli(['simulate', 'dining', '-p', 'n=5', '--seed', '7'], dir);
  t.is(sim.code, 1, sim.err);
  t.regex(sim.out, /trace saved: traces\/dining\.n5\.deadlock\.simulate-seed7\.json\n/);
  const sw = await cli(['check', 'dining', '-p', 'n=5', '--swarm', '2', '--seed', 'a b/c'], dir);
  t.is(sw.code, 1, sw.err);
  // A seed that is no file name is named by what of it is and a hash of it all: 'a b/c' and 'a/b c' are two files (one replaced the other).
  const tagged = `dining.n5.deadlock.swarm-seed${seedTag('a b/c')}.json`;
  t.regex(tagged, /swarm-seeda_b_c~[0-9a-f]{16}\.json$/);
  t.regex(sw.out, new RegExp(`trace saved: traces/${tagged.replace(/\./g, '\\.')}\n`));
  t.is((await cli(['check', 'dining', '-p', 'n=5', '--swarm', '2', '--seed', 'a/b c'], dir)).code, 1);
  t.not(seedTag('a/b c'), seedTag('a b/c'));
  t.true(readFileSync(join(dir, `traces/dining.n5.deadlock.swarm-seed${seedTag('a/b c')}.json`), 'utf8').includes('"mmcheck-trace/1"'));
  t.is(seedTag('x'.repeat(65)).length, 48 + 17);
  t.not(seedTag(`${'x'.repeat(64)}1`), seedTag(`${'x'.repeat(64)}2`));
  t.is(readFileSync(join(dir, 'traces/dining.n5.deadlock.json'), 'utf8'), shortest);
  for (const f of ['dining.n5.deadlock.simulate-seed7.json', tagged]) t.is((await cli(['replay', `traces/${f}`], dir)).code, 0, f);
  // --trace-out names the file, as for check.
  t.is((await cli(['simulate', 'dining', '-p', 'n=5', '--seed', '7', '--trace-out', 'mine.json'], dir)).code, 1);
  t.true(readFileSync(join(dir, 'mine.json'), 'utf8').includes('"mmcheck-trace/1"'));
});

test('CLI: check --swarm --json has the documented shape; check options a swarm does not use are refused', async (t) => {
  const dir = tmp();
  const j = await cli(['check', 'dining', '-p', 'n=5', '--swarm', '2', '--swarm-jobs', '2', '--seed', '9', '--no-deadlock', '--json'], dir);
  t.is(j.code, 3, j.err); // no violation is not a proof: incomplete
  const o = JSON.parse(j.out);
  t.like(o, { model: 'dining', mode: 'swarm', seed: '9', verdict: 'no-violation', violation: null, settled: true, stats: { workers: 2, jobs: 2, states: 82 } });
  t.like(o.coverage, { distinct: 82, capped: false, estimate: 82, method: 'complete-search', share: 1 });
  t.is(o.workers.length, 2);
  t.deepEqual(Object.keys(o.workers[0]).sort(), [
    'bitstateFill', 'bitstateLog2', 'cycles', 'depthBound', 'depthCut', 'expanded', 'hashes', 'index', 'maxDepth', 'seconds', 'seed', 'states', 'status', 'transitions', 'violation',
  ]);
  const refused = await cli(['check', 'dining', '--swarm', '2', '--strategy', 'dfs'], dir);
  t.is(refused.code, 2);
  t.regex(refused.err, /MC321: option --strategy is not used with --swarm/);
});

test('simulate prints its seed; the same seed reproduces the same trace file; finding nothing is not a proof', async (t) => {
  const dir = tmp();
  const a = await cli(['simulate', resolve('models/dining.ts'), '-p', 'n=7', '--trace-out', 'a.json'], dir);
  t.is(a.code, 1, a.err);
  let out = a.out;
  const seed = /\[seed (\d+),/.exec(out)?.[1];
  t.truthy(seed);
  t.regex(out, new RegExp(`again: +mmcheck simulate .* --seed ${seed}`));
  t.regex(out, /replay: mmcheck replay a\.json/);
  t.is((await cli(['simulate', resolve('models/dining.ts'), '-p', 'n=7', '--trace-out', 'b.json', '--seed', seed!], dir)).code, 1);
  t.is(readFileSync(join(dir, 'a.json'), 'utf8'), readFileSync(join(dir, 'b.json'), 'utf8'));
  const none = await cli(['simulate', 'dining', '-p', 'n=4', '--no-deadlock', '--runs', '3', '--seed', '1'], dir);
  t.is(none.code, 0, none.err);
  out = none.out;
  t.regex(out, /no violation in 3 walks/);
  t.regex(out, /not a proof/);
});
