import test from 'ava';
import fc from 'fast-check';
import { readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { bool, buildModel, defineModel, int, replicate, search, thread, type Model } from '../src/index.ts';
import { lockstepEngine, searchLockstep } from '../src/search/parallel-search.ts';
import { setPollSteps } from '../src/search/liveness.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { noReducers } from '../src/search/explore.ts';
import { defaultOptions } from '../src/search/types.ts';
import { ceilingAfter, edgeCacheMismatch } from './helpers/edges.ts';
import { poolJoins, searchParallel } from '../src/run/parallel-search.ts';
import { HelperPool, HelperThreads } from '../src/run/bfs-helper.ts';
import { loadModel } from '../src/run/load.ts';
import type { SearchOptions } from '../src/search/types.ts';
import type { StateStore } from '../src/store/store.ts';
import { sharedStoreBuffers } from '../src/store/shared-store.ts';
import { BLOCK, newControl, parallelBuffers, RoundWorker } from '../src/search/parallel-round.ts';
import { referenceExplore } from './helpers/reference.ts';
import { genModel, genSym, toModel, toSymModel } from './helpers/random-models.ts';
import { cli } from './helpers/cli.ts';
import { unreducedOptions } from '../src/cli/cross-check.ts';
import { disagreement, sameStore, summary, withStore } from './helpers/parallel-compare.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * The multi-core breadth-first search (`--workers N`) against the one-thread
 * search and the reference checker: the same states, transitions, depth,
 * verdict, counterexample and limit, for 1 to 4 workers, with tiny initial
 * tables (so growth and region overflow happen mid-search) and rounds of a
 * few states (so a level is split among many rounds and workers). The
 * lockstep driver runs the workers in this thread one barrier segment at a
 * time; the threaded runs go through the command line.
 */

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);

const engine = fc.record({
  store: fc.constantFrom('exact', 'hash-compact') as fc.Arbitrary<'exact' | 'hash-compact'>,
  workers: fc.integer({ min: 1, max: 4 }),
  initialSlots: fc.constantFrom(1, 256, 1024),
  initialRing: fc.constantFrom(1, 4, 65536),
  roundStates: fc.integer({ min: 1, max: 64 }),
  // 0: every level in shared rounds; large: every level in worker 0 alone; between: both.
  parallelFrom: fc.constantFrom(0, 0, 3, 1e9),
  // Room for the new states made before the reserve step (no barrier for it), or after the number phase, exactly.
  earlyReserve: fc.boolean(),
  // Blocks of a few states: a round has several, inserted by the workers in turn, out of order.
  blockStates: fc.constantFrom(1, 2, 3, 64),
});

type Engine = { store: 'exact' | 'hash-compact'; workers: number; initialSlots: number; initialRing: number; roundStates: number; parallelFrom: number; earlyReserve: boolean; blockStates: number };

/** The lockstep engine's options for a drawn engine. */
const engineOptions = (e: Engine) => ({ workers: e.workers, initialSlots: e.initialSlots, initialRing: e.initialRing, parallel: { parallelFrom: e.parallelFrom, roundStates: e.roundStates, earlyReserve: e.earlyReserve, blockStates: e.blockStates } });

function agree(b: ReturnType<typeof buildModel>, o0: Partial<SearchOptions>, e: Engine): boolean {
  const o = withStore(o0, e.store);
  return disagreement(search(b, o), searchLockstep(b, o, engineOptions(e)), e.store) === null;
}


test('random models: any number of workers gives the one-thread result, and the reference counts', (t) => {
  fc.assert(
    fc.property(genModel({ safety: false }), engine, (g, e) => {
      const b = buildModel(toModel(g), null);
      const ref = referenceExplore(b, { deadlock: false });
      const r = searchLockstep(b, { deadlock: false, liveness: false, store: e.store }, engineOptions(e));
      return r.verdict === 'pass' && r.stats.states === ref.states && r.stats.transitions === ref.transitions && agree(b, { deadlock: false, liveness: false }, e);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('random models: safety violations, deadlocks and the state limit are met at the same state as with one thread', (t) => {
  fc.assert(
    fc.property(genModel(), fc.boolean(), fc.option(fc.integer({ min: 1, max: 60 })), engine, (g, deadlock, maxStates, e) => {
      const b = buildModel(toModel(g), null);
      const ref = referenceExplore(b, { deadlock });
      const o: Partial<SearchOptions> = { deadlock, liveness: false, store: e.store, ...(maxStates !== null ? { maxStates } : {}) };
      const r = searchLockstep(b, o, engineOptions(e));
      if (maxStates === null && (r.verdict === 'violation') !== ref.violations.size > 0) return false;
      return agree(b, o, e);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('random models: livelocks found after a multi-core exploration are the one-thread ones', (t) => {
  fc.assert(
    fc.property(genModel({ safety: false }), fc.constantFrom('none', 'weak', 'strong' as const), engine, (g, fairness, e) => agree(buildModel(toModel(g), null), { deadlock: false, fairness }, e)),
    { numRuns: Math.ceil(RUNS / 2) },
  );
  t.pass();
});

test('random symmetric models: symmetry reduction with workers stores the same representatives', (t) => {
  fc.assert(
    fc.property(genSym, fc.boolean(), engine, (g, deadlock, e) => agree(buildModel(toSymModel(g), null), { deadlock, liveness: false, symmetry: true }, e)),
    { numRuns: Math.ceil(RUNS / 2) },
  );
  t.pass();
});

test('random models: a store that runs out of room, or of memory, stops the multi-core search with memory-limit, holding a prefix of the one-thread numbering', (t) => {
  let stopped = 0;
  let byMemory = 0;
  fc.assert(
    fc.property(genModel({ safety: false }), engine, fc.constantFrom(64, 256, 1024, 1500, 3000, 3900, 4096), fc.option(fc.constantFrom(0.002, 0.005, 0.02)), (g, e, maxStoreBytes, memoryLimitMB) => {
      const b = buildModel(toModel(g), null);
      const o: Partial<SearchOptions> = { deadlock: false, liveness: false, store: e.store };
      const one = search(b, o);
      // Bounds that are not powers of two can stop the table's growth before the records run out; a memory limit (of the store's bytes: no supervisor here) refuses a growth it would not take.
      const many = searchLockstep(b, memoryLimitMB === null ? o : { ...o, memoryLimitMB }, { ...engineOptions(e), maxStoreBytes });
      if (many.incomplete === null) return JSON.stringify(summary(one)) === JSON.stringify(summary(many)) && sameStore(one.store, many.store, e.store === 'exact' ? one.runtime.words : 0);
      stopped++;
      if (many.incomplete.storeFullBytes === undefined) byMemory++;
      // Full under the buffers' own bound, not the memory limit: the result says so.
      const full = many.incomplete.storeFullBytes;
      if (memoryLimitMB === null ? full !== maxStoreBytes : full !== undefined && full !== maxStoreBytes) return false;
      if (many.incomplete.reason !== 'memory-limit' || many.verdict !== 'incomplete' || many.stats.states > one.stats.states) return false;
      const W = e.store === 'exact' ? one.runtime.words : 0;
      const x = new Uint32Array(W);
      const y = new Uint32Array(W);
      for (let i = 0; i < many.store.count; i++) {
        if (one.store.parentOf(i) !== many.store.parentOf(i)) return false;
        if (W === 0) continue;
        (one.store as StateStore).read(i, x);
        (many.store as StateStore).read(i, y);
        for (let k = 0; k < W; k++) if (x[k] !== y[k]) return false;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.true(stopped > RUNS / 10, `${stopped} of ${RUNS} searches ran out of room`);
  t.true(byMemory > RUNS / 20, `${byMemory} of ${RUNS} searches ran out of memory`);
});

test('random models: partial-order reduction with workers takes the one-thread stubborn sets (counts, reduced states, violations, limits)', (t) => {
  fc.assert(
    fc.property(genModel(), fc.boolean(), fc.option(fc.integer({ min: 1, max: 60 })), fc.boolean(), engine, (g, deadlock, maxStates, deadVars, e) => {
      const b = buildModel(toModel(g), null);
      const o: Partial<SearchOptions> = { deadlock, liveness: false, por: true, deadVars, ...(maxStates !== null ? { maxStates } : {}) };
      return agree(b, o, e);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('a round worker makes room in its runtime for a block of states\' successors before the rounds (no growth inside expand)', async (t) => {
  const b = buildModel(await loadModel('peterson'), null, { n: 3 });
  const rt = new Runtime(b);
  const W = rt.words;
  t.true(rt.succ.length < 8 * BLOCK * W, 'a new runtime has less room');
  new RoundWorker(0, rt, null, parallelBuffers(W, 2, sharedStoreBuffers(W, newControl()), rt.fired.length + rt.reached.length), false);
  const succ = rt.succ;
  t.true(succ.length >= 8 * BLOCK * W && rt.succThread.length >= 8 * BLOCK);
  // The initial state's successors appended near the end of that room: expand writes them where asked, into the same buffer.
  const init = new Uint32Array(W);
  rt.initial(init);
  const base = 8 * BLOCK - rt.threads;
  const n = rt.expand(init, 0, -1, base);
  t.true(n > 0);
  t.is(rt.succ, succ);
  t.deepEqual([...rt.succ.subarray(base * W, (base + n) * W)], [...(() => { const r2 = new Runtime(b); r2.expand(init, 0); return r2.succ.subarray(0, n * W); })()]);
});

test('a block expanded past a stopping state that another worker found adds no state (its successors are past the cut)', (t) => {
  // Found by the law above: with blocks of one state, worker 1 expands a block from the back of worker 0's run, then worker 0 finds an assertion in an earlier one. Its successors' seqs were read off a stale numbering, and a state of zeros was committed.
  const g = JSON.parse(
    '{"vars":[2,1],"templates":[{"count":1,"replicated":false,"labels":2,"end":[],"steps":[{"at":0,"guard":null,"lockGuard":false,"effects":[{"v":1,"kind":"set","c":0},{"v":0,"kind":"flag","c":0}],"choices":1,"next":0,"altNext":null,"progress":false}]},{"count":1,"replicated":false,"labels":3,"end":[],"steps":[{"at":0,"guard":null,"lockGuard":true,"effects":[{"v":0,"kind":"set","c":2}],"choices":2,"next":1,"altNext":2,"progress":false},{"at":0,"guard":null,"lockGuard":false,"effects":[{"v":0,"kind":"local","c":1}],"choices":1,"next":0,"altNext":null,"progress":false},{"at":1,"guard":null,"lockGuard":false,"effects":[{"v":0,"kind":"set","c":1},{"v":1,"kind":"set","c":0}],"choices":2,"next":0,"altNext":null,"progress":false}]}],"invariant":null,"assertion":{"v":0,"c":1}}',
  ) as Parameters<typeof toModel>[0];
  const e: Engine = { store: 'exact', workers: 2, initialSlots: 1, initialRing: 1, roundStates: 6, parallelFrom: 0, earlyReserve: false, blockStates: 1 };
  const b = buildModel(toModel(g), null);
  for (const o of [{ deadlock: false, liveness: false, por: true }, { deadlock: false, liveness: false }] as Partial<SearchOptions>[]) {
    const one = search(b, o);
    t.is(one.verdict, 'violation');
    t.deepEqual(summary(searchLockstep(b, o, engineOptions(e))), summary(one));
    t.true(agree(b, o, e));
    t.true(agree(b, o, { ...e, store: 'hash-compact' }));
  }
});

test('random models: the rounds record every state\'s successors for the cycle search; a cache dropped midway (memory) leaves the one-thread lasso', (t) => {
  fc.assert(
    fc.property(genModel({ safety: false }), engine, fc.constantFrom('none', 'weak', 'strong' as const), fc.integer({ min: 0, max: 40 }), (g, e0, fairness, k) => {
      const e = { ...e0, store: 'exact' as const };
      const b = buildModel(toModel(g), null);
      const eo = engineOptions(e);
      const o = { deadlock: false, liveness: true };
      const rt = new Runtime(b);
      const eng = lockstepEngine(b, o, eo)(rt, noReducers);
      const out = eng.explore({ ...defaultOptions, ...o }, performance.now(), true);
      if (out.violation || out.incomplete || !out.edges) return false;
      const why = edgeCacheMismatch(rt, eng.store as Parameters<typeof edgeCacheMismatch>[1], out.edges);
      if (why !== null) throw new Error(why);
      if (!b.hasProgress) return true;
      const plain = summary(search(b, { ...o, fairness, edgeCache: false }));
      const many = summary(searchLockstep(b, { ...o, fairness, monitor: ceilingAfter(k) }, eo));
      return JSON.stringify(plain) === JSON.stringify(many);
    }),
    { numRuns: Math.ceil(RUNS / 2) },
  );
  t.pass();
});

test('random models: a starvation pass that searches every state while a helper finds the states on cycles, and gives them up at a poll once they are known, finds what one thread finds', (t) => {
  // Three or four workers: helpers hold the livelock pass and the states on cycles, so the search thread's first starvation pass begins before the latter are known; the lockstep pool has them known at the next look, which a poll at every step makes.
  const was = setPollSteps(1);
  try {
    fc.assert(
      fc.property(genModel({ safety: false }), engine, fc.integer({ min: 3, max: 4 }), fc.constantFrom('none', 'weak', 'strong' as const), (g, e0, workers, fairness) => {
        const b = buildModel(toModel(g), null);
        if (!b.hasProgress) return true;
        const o = { deadlock: false, liveness: true, fairness };
        const plain = summary(search(b, { ...o, edgeCache: false }));
        const many = summary(searchLockstep(b, o, engineOptions({ ...e0, store: 'exact', workers })));
        return JSON.stringify(plain) === JSON.stringify(many);
      }),
      { numRuns: Math.ceil(RUNS / 2) },
    );
  } finally {
    setPollSteps(was);
  }
  t.pass();
});

test('random models: livelocks with partial-order reduction (fairness none) after a multi-core exploration are the one-thread ones', (t) => {
  fc.assert(
    fc.property(genModel({ safety: false }), engine, (g, e) => agree(buildModel(toModel(g), null), { deadlock: false, fairness: 'none', por: true }, { ...e, store: 'exact' })),
    { numRuns: Math.ceil(RUNS / 2) },
  );
  t.pass();
});

test('random models: dead-variable reduction with workers gives the one-thread result (safety and livelocks)', (t) => {
  fc.assert(
    fc.property(genModel(), fc.boolean(), fc.constantFrom('none', 'weak', 'strong' as const), engine, (g, deadlock, fairness, e) => agree(buildModel(toModel(g), null), { deadlock, fairness, deadVars: true }, e)),
    { numRuns: Math.ceil(RUNS / 2) },
  );
  t.pass();
});

test('random symmetric models: symmetry and partial-order reduction with workers', (t) => {
  fc.assert(
    fc.property(genSym, fc.boolean(), engine, (g, deadlock, e) => agree(buildModel(toSymModel(g), null), { deadlock, liveness: false, symmetry: true, por: true }, e)),
    { numRuns: Math.ceil(RUNS / 2) },
  );
  t.pass();
});

/** Four counters; in `helper` builds the step also sets a flag the coordinator's build never sets. */
const splitBrain = (helper: boolean): Model =>
  defineModel({
    name: 'split-brain',
    shared: { odd: bool() },
    threads: [
      replicate(3, 'c', {
        start: 'L',
        locals: { n: int(0, 15) },
        steps: {
          inc: {
            at: 'L',
            then: (s, me) => {
              me.n = (me.n + 1) % 16;
              if (helper && me.n === 9) s.odd = true;
            },
            next: 'L',
          },
        },
      }),
    ],
  }) as unknown as Model;

test('the search tells its monitor how many threads take part, as they join, so that a search thread ended by force still reports them', (t) => {
  const told: number[] = [];
  const monitor = { poll: () => null, peakRssMB: () => 0, workers: (n: number) => void told.push(n) };
  const r = searchLockstep(buildModel(splitBrain(false), null), { deadlock: false, monitor }, { workers: 3, parallel: { parallelFrom: 0, roundStates: 16 } });
  t.is(r.stats.workers, 3);
  t.deepEqual(told, [1, 3]);
});

test('a model whose steps differ from worker to worker is MC160, named', (t) => {
  const b = buildModel(splitBrain(false), null);
  const h = buildModel(splitBrain(true), null);
  const e = t.throws(() => searchLockstep(b, { deadlock: false }, { workers: 2, parallel: { parallelFrom: 0, roundStates: 16 } }, h));
  t.is((e as Error & { code?: string }).code, 'MC160');
  t.regex(e!.message, /search worker 1/);
  // It says why another worker's copy of the model can differ (module-level state, a file changed on disk during the run).
  t.regex(e!.message, /\(the threads each load the model file[:)]/);
  // The same model in every worker is fine.
  t.is(searchLockstep(b, { deadlock: false }, { workers: 2, parallel: { parallelFrom: 0, roundStates: 16 } }).stats.states, 4096);
});

test('a helper whose model finds a fair cycle that the search thread\'s does not is MC160 (the cycle search runs a helper\'s finding again)', (t) => {
  // Alike but for the end label: where `a` is an end, spinning there is no livelock.
  const spinner = (ends: string[]) =>
    buildModel(
      defineModel({
        name: 'spinner',
        shared: { x: int(0, 1) },
        threads: [thread('t', { start: 'a', end: ends, progress: ['p'], labels: ['a', 'p'], steps: { spin: { at: 'a', next: 'a' }, go: { at: 'a', when: (s) => s.x === 1, next: 'p' } } })],
      }) as unknown as Model,
      null,
    );
  const mine = spinner(['a']);
  // Every level in worker 0 alone: the helper only takes tasks of the cycle search.
  const eo = { workers: 2, parallel: { parallelFrom: 1e9, roundStates: 16 } };
  const e = t.throws(() => searchLockstep(mine, { deadlock: false }, eo, spinner([])));
  t.is((e as Error & { code?: string }).code, 'MC160');
  t.regex(e!.message, /a search worker found a fair cycle \(livelock\)/);
  t.is(searchLockstep(mine, { deadlock: false }, eo).verdict, 'pass');
  t.is(searchLockstep(spinner([]), { deadlock: false }, eo).violation?.property, 'non-progress-cycle');
});

// The threaded runs below are short searches: helpers join at their first shared round (of 2,048 states or more), where the join rule would leave most of them to one worker.
process.env.MMCHECK_JOIN_AFTER_MS = '0';

const stable = (out: string) => {
  const j = JSON.parse(out);
  delete j.stats.seconds;
  delete j.stats.statesPerSecond;
  delete j.stats.peakRssMB;
  delete j.stats.bytesPerState;
  delete j.stats.workers;
  if (j.violation) delete j.violation.trace;
  // The warning that more workers than the machine's CPUs make a slower search is the machine's, not the search's.
  j.warnings = (j.warnings ?? []).filter((w: string) => !w.startsWith('--workers '));
  if (j.warnings.length === 0) delete j.warnings;
  return j;
};
/** The threads that took part, by the result: one with --workers 1; with more, those that joined (a helper may come too late for a short search). */
const tookPart = (out: string, asked: number): boolean => {
  const w = JSON.parse(out).stats.workers;
  return Number.isInteger(w) && (asked === 1 ? w === 1 : w >= 1 && w <= asked);
};

for (const [name, args] of [
  ['peterson(4)', ['peterson', '-p', 'n=4']],
  ['peterson(4) victim-first (an invariant)', ['peterson', '-p', 'n=4', '--variant', 'victim-first']],
  ['dining(6) (a deadlock)', ['dining', '-p', 'n=6']],
  ['peterson(4) victim-first, hash-compact', ['peterson', '-p', 'n=4', '--variant', 'victim-first', '--store', 'hash-compact']],
  ['peterson(4) fine, --por --dead-vars', ['peterson', '-p', 'n=4', '--variant', 'fine', '--por', '--dead-vars']],
  ['migration-entry-wait put-and-wait f=6, --por --fairness none (a livelock)', ['migration-entry-wait', '--variant', 'put-and-wait', '-p', 'faulters=6', '--por', '--fairness', 'none']],
  // The recorded edge cache and the cycle search's passes shared with the helpers.
  ['migration-entry-wait put-and-wait f=6 (a livelock, weak fairness)', ['migration-entry-wait', '--variant', 'put-and-wait', '-p', 'faulters=6']],
  ['migration-entry-wait wait-on-locked f=6 contended=wait (no livelock, no starvation: every pass)', ['migration-entry-wait', '--variant', 'wait-on-locked', '-p', 'faulters=6', '-p', 'contended=wait']],
] as const) {
  test(`threads: ${name} with 2 and 3 workers prints what one prints, and saves the same trace`, async (t) => {
    const dir = tempDir('mmcheck-workers-');
    try {
      const runs: { code: number; out: string; err: string }[] = [];
      for (const w of ['1', '2', '3']) {
        const r = await cli(['check', ...args, '--json', '--workers', w, '--trace-out', join(dir, `w${w}.json`)]);
        runs.push(r);
      }
      t.true(runs.every((r) => r.code === runs[0]!.code), runs.map((r) => r.err).join('\n'));
      t.true(runs.every((r, i) => tookPart(r.out, i + 1)), runs.map((r) => JSON.parse(r.out).stats.workers).join(', '));
      t.deepEqual(stable(runs[1]!.out), stable(runs[0]!.out));
      t.deepEqual(stable(runs[2]!.out), stable(runs[0]!.out));
      const traces = readdirSync(dir).sort();
      if (traces.length) {
        const body = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).steps;
        t.is(traces.length, 3);
        t.deepEqual(body(traces[1]!), body(traces[0]!));
        t.deepEqual(body(traces[2]!), body(traces[0]!));
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

const INDEX = JSON.stringify(join(process.cwd(), 'src/index.ts'));
/** Four counters of 0..15 (65,536 states, levels of thousands): wide enough for helper threads to take part. */
const countersBody = `defineModel({ name: 'counters', shared: { done: int(0, 1) },
  threads: () => [replicate(4, 'c', { start: 'a', locals: { n: int(0, 15) }, steps: {
    inc: { at: 'a', when: (s, me) => me.n < 15, then: (s, me) => { me.n = me.n + 1; }, next: 'a' },
    fin: { at: 'a', when: (s, me) => me.n === 15 && s.done === 0, then: (s) => { s.done = 1; }, next: 'a' } } })],
  invariants: { 'not-all-done': (s) => !(s.done === 1 && s.at('c', 0) === 'a' && s.local('c', 0).n === 15 && s.local('c', 1).n === 15 && s.local('c', 2).n === 15 && s.local('c', 3).n === 15) },
  deadlock: false })`;

for (const [file, src] of [
  ['counters.cjs', `const { defineModel, int, replicate } = require(${INDEX});\nmodule.exports = ${countersBody};\n`],
  ['counters.mjs', `import { defineModel, int, replicate } from ${INDEX};\nexport default ${countersBody};\n`],
] as const) {
  test(`threads: a model file in ${file.endsWith('.cjs') ? 'CommonJS' : 'ESM'} loads in every worker, with the one-thread result and trace`, async (t) => {
    const dir = tempDir('mmcheck-workers-');
    try {
      writeFileSync(join(dir, file), src);
      const one = await cli(['check', file, '--json', '--workers', '1', '--trace-out', 'one.json'], dir);
      const two = await cli(['check', file, '--json', '--workers', '2', '--trace-out', 'two.json'], dir);
      t.is(one.code, 1, one.err);
      t.is(two.code, 1, two.err);
      t.deepEqual(stable(two.out), stable(one.out));
      const steps = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).steps;
      t.deepEqual(steps('two.json'), steps('one.json'));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

test('threads: --cross-check compares a search of several workers with the whole search again in one worker', async (t) => {
  t.is(unreducedOptions({ workers: 4, por: true }).workers, 1);
  const r = await cli(['check', 'peterson', '-p', 'n=3', '--workers', '2', '--cross-check', '--no-trace', '--json']);
  t.is(r.code, 0, r.err);
  const out = JSON.parse(r.out);
  t.true(out.crossCheck.agree);
  t.is(out.crossCheck.unreduced.states, out.stats.states);
  t.regex(out.crossCheck.summary, /^cross-check: agrees with the unreduced one-worker search \(pass; /);
});

test('threads: check warns about a model file whose top level may differ from one thread to the next, and not about reads inside functions or comments', async (t) => {
  const dir = tempDir('mmcheck-workers-');
  const body = (inv: string) => `export default defineModel({ name: 'tl', shared: { x: int(0, 5) },
  threads: [thread('a', { start: 'go', end: ['go'], steps: { go: { when: (s) => s.x < 4, then: (s) => { s.x = s.x + 1; }, next: 'go' } } })],
  invariants: { lim: (s) => s.x <= ${inv} } });\n`;
  const head = `import { defineModel, int, thread } from ${INDEX};\n`;
  writeFileSync(join(dir, 'threads.mjs'), `${head}import { threadId } from 'node:worker_threads';\nconst LIMIT = threadId > 99 ? 1 : 9;\n${body('LIMIT')}`);
  writeFileSync(join(dir, 'clock.mjs'), `${head}import { START } from './start.mjs';\n${body('9 + START * 0')}`);
  writeFileSync(join(dir, 'start.mjs'), `export const START = Date.now();\n`);
  // Randomness in a comment, a string and a function's body (which the model's functions never call): nothing to warn about.
  writeFileSync(join(dir, 'quiet.mjs'), `${head}// const LIMIT = Math.random();\nconst note = 'Math.random()';\nfunction jitter() { return Math.random(); }\n${body('9')}`);
  const warned = async (file: string, workers: string) => {
    const text = await cli(['check', file, '--workers', workers, '--no-trace'], dir);
    const json = await cli(['check', file, '--workers', workers, '--no-trace', '--json'], dir);
    t.is(text.code, 0, text.err);
    t.is(json.code, 0, json.err);
    const lines = text.out.split('\n').filter((l) => l.startsWith('warning: model file'));
    t.deepEqual((JSON.parse(json.out).warnings ?? []).filter((w: string) => w.startsWith('model file')), lines.map((l) => l.slice('warning: '.length)));
    return lines;
  };
  t.deepEqual(await warned('threads.mjs', '2'), [
    'warning: model file "threads.mjs" imports node:worker_threads: each thread that loads the file runs its top level anew (the search thread, its helper of --workers 2, and the thread that re-executes a counterexample), so their copies of the model may differ; the search compares the copies\' answers on samples only (MC160 when they differ): --cross-check compares the whole search with one worker',
  ]);
  const clock = await warned('clock.mjs', '1');
  t.is(clock.length, 1);
  t.true(clock[0]!.startsWith('warning: model file "clock.mjs" imports start.mjs, which reads Date.now outside the model\'s functions: each thread that loads the file runs its top level anew (the search thread, and the one that re-executes a counterexample), as each run does'), clock[0]);
  t.deepEqual(await warned('quiet.mjs', '2'), []);
  // A built-in model is the package's own: no warning.
  t.false((await cli(['check', 'peterson', '-p', 'n=2', '--workers', '2', '--no-trace'])).out.includes('warning: model file'));
});

/** Four counters of 0..15 beside p, which makes progress forever, and s, which never can: starvation of s, found in the last pass of the cycle search. */
const starveBody = `defineModel({ name: 'starve', shared: { x: int(0, 1) },
  threads: () => [
    replicate(4, 'c', { start: 'a', locals: { n: int(0, 15) }, steps: { inc: { at: 'a', when: (s, me) => me.n < 15, then: (s, me) => { me.n = me.n + 1; }, next: 'a' } } }),
    thread('p', { start: 'a', progress: ['b'], steps: { go: { at: 'a', next: 'b' }, back: { at: 'b', next: 'a' } } }),
    thread('s', { start: 'a', end: ['won'], progress: ['won'], steps: { try: { at: 'a', next: 'b' }, back: { at: 'b', next: 'a' }, win: { at: 'b', when: (s) => s.x === 1, next: 'won' } } }),
  ],
  deadlock: false })`;

test('threads: starvation found in a pass of the cycle search that a helper may take is the one-thread lasso', async (t) => {
  const dir = tempDir('mmcheck-workers-');
  try {
    writeFileSync(join(dir, 'starve.mjs'), `import { defineModel, int, replicate, thread } from ${INDEX};\nexport default ${starveBody};\n`);
    const runs = [];
    for (const w of ['1', '2', '3']) runs.push(await cli(['check', 'starve.mjs', '--json', '--workers', w, '--trace-out', `w${w}.json`], dir));
    for (const r of runs) t.is(r.code, 1, r.err);
    t.is(JSON.parse(runs[0]!.out).violation.property, 'starvation');
    t.deepEqual(stable(runs[1]!.out), stable(runs[0]!.out));
    t.deepEqual(stable(runs[2]!.out), stable(runs[0]!.out));
    const steps = (f: string) => JSON.parse(readFileSync(join(dir, f), 'utf8')).steps;
    t.deepEqual(steps('w2.json'), steps('w1.json'));
    t.deepEqual(steps('w3.json'), steps('w1.json'));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('threads: a stop during the cycle search that the helpers share ends every pass, with the exploration\'s counts', async (t) => {
  const spec = { model: 'migration-entry-wait', variant: 'wait-on-locked', params: { faulters: 10, contended: 'wait' } };
  const built = buildModel(await loadModel(spec.model), spec.variant, spec.params);
  let polls = 0;
  const monitor = { poll: (phase: string) => (phase === 'liveness' && ++polls >= 3 ? ('interrupted' as const) : null), peakRssMB: () => 0 };
  // A helper the way `check --workers 2` starts it: by the caller's thread, reached through a port.
  const threads = new HelperThreads(1);
  const pool = new HelperPool(threads.ports);
  try {
    const r = await searchParallel(spec, built, { monitor }, 2, pool);
    t.is(r.verdict, 'incomplete');
    t.is(r.incomplete?.reason, 'interrupted');
    t.is(r.stats.states, 670_019);
    t.true(polls >= 3);
  } finally {
    pool.close();
    threads.end();
  }
});

test('helpers started in advance join a search whose levels still widen by 5% after 40 ms at a level of 4,096 states, and any search after 250 ms', (t) => {
  const lv = (size: number, previous: number) => ({ size, previous });
  t.false(poolJoins(30, lv(100_000, 50_000)));
  t.true(poolJoins(45, lv(5_000, 4_000)));
  t.false(poolJoins(45, lv(3_000, 2_000)));
  t.false(poolJoins(45, lv(5_000, 6_000)));
  // szymanski(4)'s widest level, at 4,103 states after 4,072.
  t.false(poolJoins(45, lv(4_103, 4_072)));
  // A level under 4,096 states does not call for a helper, however late (szymanski(4)'s first shared level, at about 200 ms beside a loading helper).
  t.false(poolJoins(120, lv(3_000, 2_000)));
  t.false(poolJoins(220, lv(2_173, 1_898)));
  t.true(poolJoins(120, lv(4_599, 3_813)));
  t.false(poolJoins(120, lv(3_000, 3_000)));
  // Past its widest level (szymanski(4) at 100 ms): not before 250 ms.
  t.false(poolJoins(120, lv(3_102, 3_189)));
  t.false(poolJoins(120, undefined));
  t.true(poolJoins(260, lv(1, 2)));
  t.true(poolJoins(260, undefined));
});

test('--workers: breadth-first search, 1..256 threads', async (t) => {
  for (const [extra, code] of [
    [['--strategy', 'dfs'], 'MC360'],
    [['--store', 'bitstate'], 'MC360'],
    [[], 'MC361'],
  ] as const) {
    const w = code === 'MC361' ? '300' : '2';
    const r = await cli(['check', 'peterson', '-p', 'n=2', '--workers', w, ...extra]);
    t.is(r.code, 2);
    t.regex(r.err, new RegExp(code));
  }
  const ok = await cli(['check', 'migration-entry-wait', '--workers', '2', '--symmetry', '--no-liveness']);
  t.not(ok.code, 2, ok.err);
});

test('more workers than CPUs: a warning that the search is slower than with as many workers as CPUs (with --json, in the result\'s warnings)', async (t) => {
  const cpus = availableParallelism();
  const many = cpus + 2;
  const r = await cli(['check', 'peterson', '-p', 'n=2', '--workers', String(many), '--no-trace']);
  t.is(r.code, 0, r.err);
  t.regex(r.out, new RegExp(`^warning: --workers ${many} on a machine with ${cpus} CPUs?: each round waits for the workers no CPU is running, so the search is slower than with --workers ${cpus}$`, 'm'));
  const fits = await cli(['check', 'peterson', '-p', 'n=2', '--workers', String(Math.min(2, cpus)), '--no-trace']);
  t.notRegex(fits.out, /warning: --workers/);
  const j = await cli(['check', 'peterson', '-p', 'n=2', '--workers', String(many), '--json']);
  t.is(JSON.parse(j.out).verdict, 'pass');
  t.deepEqual(JSON.parse(j.out).warnings, [`--workers ${many} on a machine with ${cpus} CPU${cpus > 1 ? 's' : ''}: each round waits for the workers no CPU is running, so the search is slower than with --workers ${cpus}`]);
  // Nothing but the one object on stdout, and the warning not printed a second time.
  t.is(j.err, '');
  t.false('warnings' in JSON.parse((await cli(['check', 'peterson', '-p', 'n=2', '--workers', String(Math.min(2, cpus)), '--json'])).out));
});

test('the summary says how many threads took part: the count when more than one, and when fewer than asked for (a short search)', async (t) => {
  const line = (out: string) => out.split('\n').find((l) => / states, .* bits\/state/.test(l)) ?? '';
  const one = await cli(['check', 'peterson', '-p', 'n=2', '--workers', '1', '--no-trace']);
  t.regex(line(one.out), /bits\/state$/);
  // peterson(2) ends long before a helper may join.
  const two = await cli(['check', 'peterson', '-p', 'n=2', '--workers', '2', '--no-trace']);
  t.regex(line(two.out), /bits\/state, 1 of 2 workers took part \(a helper joins a BFS level of 2,048 states or more, once it has loaded the model and the search has run 40 to 250 ms\)$/);
  t.is(JSON.parse((await cli(['check', 'peterson', '-p', 'n=2', '--workers', '2', '--json'])).out).stats.workers, 1);
  // Not asked for: the default says nothing of workers that did not take part.
  const dflt = await cli(['check', 'peterson', '-p', 'n=2', '--no-trace']);
  t.regex(line(dflt.out), /bits\/state$/);
  // A search that a helper joins (this file has helpers join at the first shared round), or too short for it on a slow machine.
  const big = await cli(['check', 'peterson', '-p', 'n=4', '--workers', '2', '--no-trace']);
  t.regex(line(big.out), /bits\/state, (2 workers|1 of 2 workers took part \(.*\))$/);
});
