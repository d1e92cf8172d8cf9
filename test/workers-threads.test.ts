import test, { type ExecutionContext } from 'ava';
import fc from 'fast-check';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { buildModel, search } from '../src/index.ts';
import { searchParallel } from '../src/run/parallel-search.ts';
import { HelperPool, HelperThreads } from '../src/run/bfs-helper.ts';
import { loadModel } from '../src/run/load.ts';
import type { SearchOptions, SearchResult } from '../src/search/types.ts';
import { mmcheckProcess } from './helpers/cli.ts';
import { disagreement, withStore } from './helpers/parallel-compare.ts';
import { genModel, genSym, type GenModel, type GenSym } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * The multi-core search with real threads on random models, against the
 * one-thread search: the same verdict, counts, counterexample, limit and
 * coverage, and the same states at the same numbers with the same parents.
 * The lockstep law tests (workers.test.ts) interleave the workers at fixed
 * points in one thread; here 2 to 4 threads race for real, in tables that
 * start at their smallest (256 slots), frontier rings of one state and
 * rounds of a few states, with helpers that join at the first round (a
 * helper is otherwise held back until the search has run 100 ms, past the
 * end of these small models): two workers entering the same state at once,
 * a key lowered while another worker reads it, growths in the middle of a
 * round, the cycle search's passes shared out.
 *
 * Each case writes its model to a file that every thread loads, as a user's
 * model is. MMCHECK_FC_RUNS scales the number of cases (a long stress run:
 * MMCHECK_FC_RUNS=3000).
 */

const RUNS = Math.max(1, Math.ceil(Number(process.env.MMCHECK_FC_RUNS ?? 150) / 15));
/** Cases whose one-thread search stores fewer states (a quarter as many with partial-order reduction) are skipped (drawn again). */
const MIN_STATES = 256;
const GEN = JSON.stringify(join(process.cwd(), 'test/helpers/random-models.ts'));

const engine = fc.record({
  store: fc.constantFrom('exact', 'hash-compact') as fc.Arbitrary<'exact' | 'hash-compact'>,
  workers: fc.integer({ min: 2, max: 4 }),
  // 1: the smallest table (256 slots), which grows inside shared rounds.
  initialSlots: fc.constantFrom(1, 1, 4096),
  initialRing: fc.constantFrom(1, 4, 65536),
  roundStates: fc.integer({ min: 1, max: 64 }),
  earlyReserve: fc.boolean(),
  blockStates: fc.constantFrom(1, 2, 3, 64),
});
type Engine = typeof engine extends fc.Arbitrary<infer E> ? E : never;

/** Search the model the file at `file` exports with one thread and with `e.workers` threads, and compare. */
async function agreeThreaded(file: string, o0: Partial<SearchOptions>, e: Engine): Promise<string | null> {
  const o = withStore(o0, e.store);
  const spec = { model: file, variant: null, params: {} };
  const built = buildModel(await loadModel(file), null);
  const one = search(built, o);
  // A search of a few states ends within the first rounds: too small to race in.
  fc.pre(one.stats.states >= (o.por ? MIN_STATES / 4 : MIN_STATES));
  const threads = new HelperThreads(e.workers - 1);
  const pool = new HelperPool(threads.ports);
  try {
    pool.prepare(spec);
    const many = await searchParallel(spec, built, o, e.workers, pool, {
      initialSlots: e.initialSlots,
      initialRing: e.initialRing,
      parallel: { parallelFrom: 0, roundStates: e.roundStates, earlyReserve: e.earlyReserve, blockStates: e.blockStates },
      joinAfterMs: 0,
      awaitJoinMs: 30_000,
    });
    // Every helper joined the first round (awaitJoinMs), so every thread took part.
    if (many.stats.workers !== e.workers) return `${many.stats.workers} threads took part, not ${e.workers}`;
    return disagreement(one, many, e.store);
  } finally {
    pool.close();
    threads.end();
  }
}

/** Compare the two searches on models drawn from `arb`, each written to a file in a temporary directory; fails with the first disagreement. */
async function property<T>(t: { log(...v: unknown[]): void }, arb: fc.Arbitrary<T>, source: (v: T) => string, options: (v: T) => Partial<SearchOptions>, e: (v: T) => Engine): Promise<void> {
  const dir = tempDir('mmcheck-threads-');
  let n = 0;
  try {
    await fc.assert(
      fc.asyncProperty(arb, async (v) => {
        const file = join(dir, `m${n++}.mts`);
        writeFileSync(file, source(v));
        const diff = await agreeThreaded(file, options(v), e(v));
        if (diff !== null) t.log(diff);
        return diff === null;
      }),
      { numRuns: RUNS, maxSkipsPerRun: 1000 },
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Counters beside the random threads: models of thousands of states or more, with wide levels. */
const widen = fc.constantFrom(3, 4);
const modelSource = (g: GenModel, k: number) => `import { toModel } from ${GEN};\nexport default toModel(${JSON.stringify({ ...g, widen: k })});\n`;
const symSource = (g: GenSym, k: number) => `import { toSymModel } from ${GEN};\nexport default toSymModel(${JSON.stringify({ ...g, widen: k })});\n`;

test.serial('threads: random models, safety, deadlocks and the state limit, as with one thread', async (t) => {
  await property(
    t,
    fc.record({ g: genModel(), k: widen, deadlock: fc.boolean(), maxStates: fc.option(fc.integer({ min: 1, max: 3000 }), { freq: 3 }), e: engine }),
    (v) => modelSource(v.g, v.k),
    (v) => ({ deadlock: v.deadlock, liveness: false, ...(v.maxStates !== null ? { maxStates: v.maxStates } : {}) }),
    (v) => v.e,
  );
  t.pass();
});

test.serial('threads: random models, livelocks and starvation after a multi-core exploration (passes shared out), as with one thread', async (t) => {
  await property(
    t,
    fc.record({ g: genModel({ safety: false }), k: widen, fairness: fc.constantFrom('none', 'weak', 'strong' as const), e: engine }),
    (v) => modelSource(v.g, v.k),
    (v) => ({ deadlock: false, fairness: v.fairness }),
    (v) => ({ ...v.e, store: 'exact' as const }),
  );
  t.pass();
});

test.serial('threads: random models, partial-order and dead-variable reduction, as with one thread', async (t) => {
  await property(
    t,
    fc.record({ g: genModel(), k: widen, deadlock: fc.boolean(), deadVars: fc.boolean(), e: engine }),
    (v) => modelSource(v.g, v.k),
    (v) => ({ deadlock: v.deadlock, liveness: false, por: true, deadVars: v.deadVars }),
    (v) => v.e,
  );
  t.pass();
});

test.serial('threads: random symmetric models, symmetry reduction, as with one thread', async (t) => {
  await property(
    t,
    fc.record({ g: genSym, k: widen, deadlock: fc.boolean(), e: engine }),
    (v) => symSource(v.g, v.k),
    (v) => ({ deadlock: v.deadlock, liveness: false, symmetry: true }),
    (v) => v.e,
  );
  t.pass();
});

/**
 * The head of a model file (in `dir`) whose copies differ between threads:
 * `first` is true in the thread that loads it first (this one, where worker
 * 0 searches) and false in the helpers'.
 */
const divergentHead = (dir: string, imports = 'defineModel, int, replicate'): string => `import { readFileSync, writeFileSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { ${imports} } from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))};
const lock = ${JSON.stringify(join(dir, 'first'))};
let firstId;
try { writeFileSync(lock, String(threadId), { flag: 'wx' }); firstId = threadId; } catch { firstId = Number(readFileSync(lock, 'utf8')); }
const first = threadId === firstId;
`;

/**
 * A model file whose copies differ between threads (`divergentHead`, then
 * `body`). Searched with two workers and either store, it is the coded
 * error `code` with a message matching `re` (`run`: helperFails), or the
 * one-thread answer with the helper's error `code` in the result
 * (helperSkipped).
 */
async function divergentCopies(t: ExecutionContext, name: string, imports: string, body: string, code: string, re: RegExp, tune: Tune = {}, run: typeof helperFails = helperFails): Promise<void> {
  const dir = tempDir('mmcheck-threads-');
  try {
    const file = join(dir, `${name}.mts`);
    writeFileSync(file, divergentHead(dir, imports) + body);
    const e = await run(t, file, buildModel(await loadModel(file), null), code, re, tune);
    // A helper's error names the model file as the command's own errors do, by its path from the working directory.
    for (const m of e) if (code === 'MC140') t.true(m.startsWith(`model file "${relative(process.cwd(), file)}" failed to load`), m);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Search `built` (the model of `file`, built in this thread) with two
 * workers and either store, the helper loading `file` itself: the search
 * fails with the coded error `code`, its message matching `re`. Returns the
 * messages.
 */
/** Rounds of more states than the 64 of `helperFails`, a frontier ring of more than its 1 state (so that a BFS level is one round). */
type Tune = { roundStates?: number; initialRing?: number };

async function helperFails(t: ExecutionContext, file: string, built: ReturnType<typeof buildModel>, code: string, re: RegExp, tune: Tune = {}): Promise<string[]> {
  const spec = { model: file, variant: null, params: {} };
  const messages: string[] = [];
  for (const store of ['exact', 'hash-compact'] as const) {
    const threads = new HelperThreads(1);
    const pool = new HelperPool(threads.ports);
    try {
      pool.prepare(spec);
      const run = searchParallel(spec, built, withStore({ liveness: false, deadlock: false }, store), 2, pool, { initialSlots: 1, initialRing: tune.initialRing ?? 1, parallel: { parallelFrom: 0, roundStates: tune.roundStates ?? 64, earlyReserve: false, blockStates: 8 }, joinAfterMs: 0, awaitJoinMs: 30_000 });
      const e = await t.throwsAsync(run, undefined, store);
      t.is((e as { code?: string }).code, code, store);
      t.regex(e!.message, re, store);
      messages.push(e!.message);
    } finally {
      pool.close();
      threads.end();
    }
  }
  return messages;
}

/** The tiny tables and rounds of these tests, the helper taken at the first round. */
const tiny = { initialSlots: 1, initialRing: 1, parallel: { parallelFrom: 0, roundStates: 64, earlyReserve: false, blockStates: 8 }, joinAfterMs: 0 } as const;

/**
 * The searches of helperSkipped, each with two workers, the helper loading
 * `file` itself and not joining: started in advance (an explicit --workers
 * N) and preparing the model, with either store, and started by the search
 * thread at its first round (as the default --workers starts it); `wait`:
 * how the search waits for its helper at the join; `prepared`: what to
 * wait for before a search whose helper was started in advance. Each is checked to be
 * the one-thread search's answer, no helper taking part; their results,
 * each with how it ran.
 */
async function searchesWithout(
  t: ExecutionContext,
  file: string,
  built: ReturnType<typeof buildModel>,
  wait: { awaitJoinMs: number } | { waitJoinMs: number },
  prepared: () => Promise<void> = async () => {},
): Promise<(SearchResult & { how: string })[]> {
  const spec = { model: file, variant: null, params: {} };
  const out: (SearchResult & { how: string })[] = [];
  for (const [store, advance] of [['exact', true], ['hash-compact', true], ['exact', false]] as const) {
    const how = `${store}, the helper started ${advance ? 'in advance' : 'by the search'}`;
    const threads = advance ? new HelperThreads(1) : null;
    const pool = threads ? new HelperPool(threads.ports) : null;
    try {
      pool?.prepare(spec);
      if (pool) await prepared();
      const o = withStore({ liveness: false, deadlock: false }, store);
      const r = await searchParallel(spec, built, o, 2, pool, { ...tiny, ...wait });
      const one = search(built, o);
      t.is(r.verdict, one.verdict, how);
      t.is(r.stats.states, one.stats.states, how);
      t.is(r.stats.transitions, one.stats.transitions, how);
      t.is(r.stats.workers, 1, how);
      out.push({ ...r, how });
    } finally {
      pool?.close();
      threads?.end();
    }
  }
  return out;
}

/**
 * Search `built` (the model of `file`, built in this thread) with two
 * workers, the helper loading `file` itself and failing before it joins
 * (`searchesWithout`). The search waits until the helper has joined or
 * failed (awaitJoinMs: so that the failure is seen whatever the timing),
 * goes on without it and answers what one thread answers, with the
 * helper's error (`code`, a message matching `re`) in `helperErrors`.
 * Returns the messages.
 */
async function helperSkipped(t: ExecutionContext, file: string, built: ReturnType<typeof buildModel>, code: string, re: RegExp): Promise<string[]> {
  const messages: string[] = [];
  for (const r of await searchesWithout(t, file, built, { awaitJoinMs: 30_000 })) {
    t.is(r.helperErrors?.length, 1, r.how);
    const e = r.helperErrors?.[0];
    t.is(e?.code, code, r.how);
    t.regex(e?.message ?? '', re, r.how);
    messages.push(e?.message ?? '');
  }
  return messages;
}

/** A model of a few thousand states for the tests of a helper that fails before it joins; `head` comes first (it may read `first`), `count` is the number of threads. */
const countersModel = (name: string, head: string, count = '5'): string => `${head}
export default defineModel({
  name: '${name}',
  shared: { sum: int(0, 40) },
  threads: () => [replicate(${count}, 'T', {
    locals: { x: int(0, 3) },
    start: 'go',
    steps: {
      go: { when: (s, me) => me.x < 3, then: (s, me) => { me.x = me.x + 1; s.sum = s.sum + 1; }, next: 'go' },
      down: { at: 'go', when: (s, me) => me.x >= 3, then: (s, me) => { me.x = 0; s.sum = s.sum - 3; }, next: 'go' },
    },
  })],
  invariants: { bounded: (s) => s.sum >= 0 },
});
`;

test.serial('threads: a model file that throws when a helper loads it (and loads in the search thread) leaves that helper out: the one-thread answer, with its MC140 in the result, whatever the timing', async (t) => {
  await divergentCopies(t, 'helper-throw', 'defineModel, int, replicate', countersModel('helper-throw', `if (!first) throw new Error('no configuration in this thread');`), 'MC140', /failed to load: no configuration in this thread$/, {}, helperSkipped);
});

test.serial('threads: a model file whose top-level await rejects when a helper loads it leaves that helper out: the one-thread answer, with its MC140 in the result, as a throw does', async (t) => {
  await divergentCopies(t, 'helper-reject', 'defineModel, int, replicate', countersModel('helper-reject', `if (!first) await Promise.reject(new Error('rejected in this thread'));`), 'MC140', /failed to load: rejected in this thread$/, {}, helperSkipped);
});

test.serial('threads: a model file that calls process.exit() at its top level when a helper loads it leaves that helper out: the one-thread answer, with its MC166 in the result, as a throw does, not a helper silently missing', async (t) => {
  await divergentCopies(
    t,
    'helper-load-exit',
    'defineModel, int, replicate',
    countersModel('helper-load-exit', `if (!first) process.exit(3);`),
    'MC166',
    /^a model file \(or code it started\) called process\.exit\(3\) while a helper thread loaded it; a model file only defines the model$/,
    {},
    helperSkipped,
  );
});

test.serial('threads: a model whose build throws in a helper only leaves that helper out, with the build\'s coded error in the result', async (t) => {
  await divergentCopies(
    t,
    'helper-build',
    'defineModel, int, replicate',
    countersModel('helper-build', `const count = (n: number): number => { if (!first) throw new Error('no threads in this thread'); return n; };`, 'count(5)'),
    'MC111',
    /threads\(params\) threw: no threads in this thread$/,
    {},
    helperSkipped,
  );
});

test.serial('threads: a model file whose loading never ends in a helper (a top-level await that never settles, a loop that never ends) leaves that helper out: the run ends with the one-thread answer, no error', async (t) => {
  for (const [name, hang] of [
    ['helper-await', 'await new Promise(() => {});'],
    ['helper-spin', 'for (;;) {}'],
  ] as const) {
    const dir = tempDir('mmcheck-threads-');
    const hanging = join(dir, 'hanging');
    try {
      const file = join(dir, `${name}.mts`);
      // 16,384 states: a search long enough for a helper that failed as it was taken to be seen failing.
      writeFileSync(file, divergentHead(dir) + countersModel(name, `if (!first) { writeFileSync(${JSON.stringify(hanging)}, ''); ${hang} }`, '7'));
      // A helper started in advance is taken once it hangs; the search waits a while for it, then goes on without it, and at its end nothing waits for a helper still loading.
      const results = await searchesWithout(t, file, buildModel(await loadModel(file), null), { waitJoinMs: 500 }, async () => {
        rmSync(hanging, { force: true });
        for (let i = 0; i < 3000 && !existsSync(hanging); i++) await new Promise((resolve) => setTimeout(resolve, 10));
        t.true(existsSync(hanging), 'the helper hangs');
      });
      for (const r of results) t.is(r.helperErrors, undefined, `${name}, ${r.how}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});

test.serial('threads: a step enabled in one thread\'s copy of the model file and not in another\'s (a module-level variable) is MC160, with either store, not a pass with other counts', async (t) => {
  // The search thread's copy has the step `extra`; the helpers' copies do not.
  await divergentCopies(
    t,
    'diverge',
    'defineModel, int, replicate',
    `export default defineModel({
  name: 'diverge',
  shared: { sum: int(0, 40) },
  threads: [replicate(5, 'T', {
    locals: { x: int(0, 3), y: int(0, 1) },
    start: 'go',
    steps: {
      go: { when: (s, me) => me.x < 3, then: (s, me) => { me.x = me.x + 1; s.sum = s.sum + 1; }, next: 'go' },
      extra: { at: 'go', when: (s, me) => first && me.x === 1 && me.y === 0, then: (s, me) => { me.y = 1; }, next: 'go' },
      down: { at: 'go', when: (s, me) => me.x >= 3, then: (s, me) => { me.x = 0; s.sum = s.sum - 3; }, next: 'go' },
    },
  })],
});
`,
    'MC160',
    /model "diverge" is not deterministic: in search worker [01], state \d+ has \d+ successors?, where its expansion in this round \(by this worker or another: the threads each load the model file\) had \d+/,
  );
});

test.serial('threads: a step that writes another value in one thread\'s copy of the model file (the same successor counts) is MC160 with either store, hash-compact included, not a pass with other counts', async (t) => {
  // The helpers' copies add one more at 2: as many successors, other states.
  await divergentCopies(
    t,
    'values',
    'array, defineModel, int, replicate',
    `export default defineModel({
  name: 'values',
  shared: { c: array(5, int(0, 6)) },
  threads: [replicate(5, 'w', {
    start: 'inc',
    end: ['inc'],
    steps: { inc: { when: (s, me) => s.c.get(me.id) < 5, then: (s, me) => { const v = s.c.get(me.id); s.c.set(me.id, Math.min(6, v + 1 + (v === 2 && !first ? 1 : 0))); }, next: 'inc' } },
  })],
});
`,
    'MC160',
    /model "values" is not deterministic: in search worker 1, .* leads to a state that the worker which expanded it did not reach/,
  );
});

test.serial('threads: a step that calls process.exit() in a helper\'s copy of the model file only is MC166, as in the search thread, not a search that waits for that helper forever', async (t) => {
  // The helpers' copies end their thread in a step; the search thread's does not.
  await divergentCopies(
    t,
    'helper-exit',
    'defineModel, int, replicate',
    `export default defineModel({
  name: 'helper-exit',
  shared: { sum: int(0, 40) },
  threads: [replicate(5, 'T', {
    locals: { x: int(0, 3) },
    start: 'go',
    steps: {
      go: { when: (s, me) => me.x < 3, then: (s, me) => { me.x = me.x + 1; s.sum = s.sum + 1; if (!first && s.sum > 4) process.exit(7); }, next: 'go' },
      down: { at: 'go', when: (s, me) => me.x >= 3, then: (s, me) => { me.x = 0; s.sum = s.sum - 3; }, next: 'go' },
    },
  })],
});
`,
    'MC166',
    /a model's step, guard or invariant \(or code a model file started\) called process\.exit\(7\) during the search/,
  );
});

test.serial('threads: a model file changed after the search thread built it leaves out a helper that builds the new one (MC182 in the result): the answer is the search thread\'s model\'s, not a search that mixes the two models', async (t) => {
  const dir = tempDir('mmcheck-threads-');
  const file = join(dir, 'edited.mts');
  const source = (cap: number) => `import { defineModel, int, replicate } from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))};
const CAP = ${cap};
export default defineModel({
  name: 'edited',
  shared: { sum: int(0, 40) },
  threads: [replicate(4, 'T', {
    locals: { x: int(0, 3) },
    start: 'go',
    steps: { go: { when: (s, me) => me.x < 3, then: (s, me) => { me.x = me.x + 1; s.sum = s.sum + 1; }, next: 'go' } },
  })],
  invariants: { capped: (s) => s.sum <= CAP },
});
`;
  writeFileSync(file, source(12));
  const built = buildModel(await loadModel(file), null);
  // Saved again, as an editor would while the check runs: the helper loads this one.
  writeFileSync(file, source(11));
  // The search thread's model holds its invariant (at most 12), the file's new one does not.
  t.is(search(built, { liveness: false, deadlock: false }).verdict, 'pass');
  await helperSkipped(t, file, built, 'MC182', /^the model built in a helper thread differs from the one the search thread built \(model hash \w+ here, \w+ there\): the model file or a file it imports was changed while the check ran/);
});

test.serial('threads: an invariant that fails in a helper\'s copy of the model file only is MC160 saying so, not a violation of an unnamed invariant', async (t) => {
  await divergentCopies(
    t,
    'helper-inv',
    'defineModel, int, replicate',
    `export default defineModel({
  name: 'helper-inv',
  shared: { sum: int(0, 40) },
  threads: [replicate(5, 'T', {
    locals: { x: int(0, 3) },
    start: 'go',
    steps: { go: { when: (s, me) => me.x < 3, then: (s, me) => { me.x = me.x + 1; s.sum = s.sum + 1; }, next: 'go' } },
  })],
  invariants: { low: (s) => first || s.sum < 6 },
});
`,
    'MC160',
    /is not deterministic: a helper thread of the multi-core search found an invariant violated in a state where the search thread's invariants all hold/,
  );
});

test.serial('threads: an invariant that fails in the search thread\'s copy of the model file only, in states a helper entered, is MC160, not a pass', async (t) => {
  // Each BFS level is one round (a level has at most 176 states, and rounds at least 256), its states in the order of the
  // branches a1, a2, b, c (a branch's states reach only its own), so the second half of the round's successors, which the
  // helper enters with its own copy of the invariant, are b's and c's: b's 44 states with sum 6, which the search thread's
  // copy finds violating, are all entered by the helper, which finds them holding. The search thread meets them in the
  // next round, as it evaluates again, per block, a state of the helper's run (and in the states it expands again).
  await divergentCopies(
    t,
    'search-inv',
    'defineModel, int, replicate, thread',
    `export default defineModel({
  name: 'search-inv',
  shared: { br: int(0, 4), sum: int(0, 40) },
  threads: [
    thread('pick', {
      start: 'p',
      end: ['done'],
      steps: {
        a1: { at: 'p', then: (s) => { s.br = 1; }, next: 'done' },
        a2: { at: 'p', then: (s) => { s.br = 2; }, next: 'done' },
        b: { at: 'p', then: (s) => { s.br = 3; }, next: 'done' },
        c: { at: 'p', then: (s) => { s.br = 4; }, next: 'done' },
      },
    }),
    replicate(4, 'T', {
      locals: { x: int(0, 3) },
      start: 'go',
      end: ['go'],
      steps: { go: { when: (s, me) => s.br !== 0 && me.x < 3, then: (s, me) => { me.x = me.x + 1; s.sum = s.sum + 1; }, next: 'go' } },
    }),
  ],
  invariants: { low: (s) => !first || s.br !== 3 || s.sum !== 6 },
});
`,
    'MC160',
    /is not deterministic: in search worker 0, invariant "low" is violated in stored state \d+, where it held for the worker that entered it/,
    { roundStates: 4096, initialRing: 4096 },
  );
});

test.serial('threads: mmcheck test and verdicts --workers 2 search each case with two workers (the counts of one), and a case whose helper failed before it joined still passes, with a warning naming the case (text, JSON, JUnit)', async (t) => {
  const dir = tempDir('mmcheck-threads-');
  try {
    const env = { MMCHECK_JOIN_AFTER_MS: '0', MMCHECK_WAIT_JOIN_MS: '30000' };
    // Two workers take part in a case: the counts are one worker's.
    const good = join(dir, 'good');
    mkdirSync(good);
    writeFileSync(join(good, 'counters.mts'), countersModel('counters', `import { defineModel, int, replicate } from ${JSON.stringify(join(process.cwd(), 'src/index.ts'))};`, '7').replace("  invariants: { bounded: (s) => s.sum >= 0 },", "  invariants: { bounded: (s) => s.sum >= 0 },\n  expect: { verdict: 'pass', states: 16384 },"));
    const ok = await mmcheckProcess(['test', 'good', '--workers', '2', '--json'], dir, env);
    t.is(ok.code, 0, ok.out + ok.err);
    const okj = JSON.parse(ok.out) as { passed: number; cases: { states: number; status: string; workers?: number }[]; warnings?: string[] };
    t.is(okj.passed, 1);
    t.is(okj.cases[0]!.states, 16_384);
    t.is(okj.cases[0]!.workers, 2);
    t.is(okj.warnings, undefined);
    // The helper's copy of the model throws as it loads: the case is the search thread's, and passes; the warning names it.
    const bad = join(dir, 'bad');
    mkdirSync(bad);
    const head = divergentHead(dir).replace(`import { threadId } from 'node:worker_threads';`, `import { isMainThread, threadId } from 'node:worker_threads';`).replace('const first = threadId === firstId;', 'const first = isMainThread || threadId === firstId;');
    writeFileSync(join(bad, 'helper-test.mts'), (head + countersModel('helper-test', `if (!first) throw new Error('no configuration in this thread');`, '7')).replace("  invariants: { bounded: (s) => s.sum >= 0 },", "  invariants: { bounded: (s) => s.sum >= 0 },\n  expect: { verdict: 'pass', states: 16384 },"));
    const warning = /^warning: helper-test: a helper thread of --workers 2 took no part, its copy of the model failed before joining the search \(MC140: model file "bad\/helper-test\.mts" failed to load: no configuration in this thread\); the search went on without it/m;
    const text = await mmcheckProcess(['test', 'bad', '--workers', '2'], dir, env);
    t.is(text.code, 0, text.out + text.err);
    t.regex(text.out, warning);
    t.regex(text.out, /^1 passed, 0 failed$/m);
    rmSync(join(dir, 'first'));
    const json = await mmcheckProcess(['test', 'bad', '--workers', '2', '--json'], dir, env);
    t.is(json.code, 0, json.out + json.err);
    const j = JSON.parse(json.out) as { passed: number; warnings?: string[] };
    t.is(j.passed, 1);
    t.true(j.warnings?.some((w) => warning.test(`warning: ${w}`)), String(j.warnings));
    rmSync(join(dir, 'first'));
    // JUnit on stdout: the report is stdout, the warning goes to stderr.
    const junit = await mmcheckProcess(['test', 'bad', '--workers', '2', '--reporter', 'junit'], dir, env);
    t.is(junit.code, 0, junit.out + junit.err);
    t.regex(junit.out, /^<\?xml/);
    t.regex(junit.err, warning);
    // --workers is checked as check's is.
    const over = await mmcheckProcess(['test', 'good', '--workers', '300'], dir);
    t.is(over.code, 2);
    t.regex(over.err, /MC361: --workers 300: expected 1\.\.256 threads/);
    const verdicts = await mmcheckProcess(['verdicts', '--model', 'peterson', '--workers', '2', '--json'], dir, env);
    t.is(verdicts.code, 0, verdicts.out + verdicts.err);
    t.is((JSON.parse(verdicts.out) as { mismatches: number }).mismatches, 0);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.serial('threads: check --workers 2 of a model file that throws when a helper loads it passes with the one-thread answer, and says which helper error it went on without (a warning line; helperErrors with --json)', async (t) => {
  const dir = tempDir('mmcheck-threads-');
  try {
    const file = join(dir, 'helper-cli.mts');
    // The command's own thread loads the file too (to print and save a counterexample): only the helpers' copies throw.
    const head = divergentHead(dir).replace(`import { threadId } from 'node:worker_threads';`, `import { isMainThread, threadId } from 'node:worker_threads';`).replace('const first = threadId === firstId;', 'const first = isMainThread || threadId === firstId;');
    writeFileSync(file, head + countersModel('helper-cli', `if (!first) throw new Error('no configuration in this thread');`, '7'));
    // The helper is taken at the first shared round, and the search waits until it has joined or failed: its failure shows whatever the timing.
    const env = { MMCHECK_JOIN_AFTER_MS: '0', MMCHECK_WAIT_JOIN_MS: '30000' };
    const text = await mmcheckProcess(['check', file, '--workers', '2', '--no-progress'], dir, env);
    t.is(text.code, 0, text.out + text.err);
    t.regex(text.out, /^16,384 states, .*, 1 of 2 workers took part/m);
    const warning = /^warning: a helper thread of --workers 2 took no part, its copy of the model failed before joining the search \(MC140: model file "helper-cli\.mts" failed to load: no configuration in this thread\); the search went on without it, and the result is the search thread's, as --workers 1 gives/m;
    t.regex(text.out, warning);
    t.regex(text.out, /^pass: no violation$/m);
    rmSync(join(dir, 'first'));
    const json = await mmcheckProcess(['check', file, '--workers', '2', '--json'], dir, env);
    t.is(json.code, 0, json.out + json.err);
    const r = JSON.parse(json.out) as { verdict: string; stats: { states: number; workers: number }; helperErrors?: { code: string; message: string }[]; warnings?: string[] };
    t.is(r.verdict, 'pass');
    t.is(r.stats.states, 16_384);
    t.is(r.stats.workers, 1);
    t.deepEqual(r.helperErrors, [{ code: 'MC140', message: 'model file "helper-cli.mts" failed to load: no configuration in this thread' }]);
    // The text's warning line is among the warnings too.
    t.true(r.warnings?.some((w) => warning.test(`warning: ${w}`)), String(r.warnings));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
