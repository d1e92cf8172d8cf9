import { availableParallelism } from 'node:os';
import type { BuiltModel } from '../model/build.ts';
import { McError } from '../model/errors.ts';
import { modelHash } from '../trace/decode.ts';
import type { Runtime } from '../exec/runtime.ts';
import { searchWith } from '../search/check.ts';
import { collectHelpers, stopWorkers, threadDriver, type LevelShape, type ParallelExploreOptions } from '../search/parallel-explore.ts';
import { Ctl, PHASES, RoundAborted } from '../search/parallel-round.ts';
import { sharedEngine } from '../search/parallel-search.ts';
import type { HelperError, SearchOptions, SearchResult } from '../search/types.ts';
import type { Store } from '../search/stored-path.ts';
import type { SearchSpec } from './supervise.ts';
import { HelperStatus, type HelperPool, startHelper, workerLink, type HelperInput, type HelperLink, type HelperMessage } from './bfs-helper.ts';

/**
 * The multi-core breadth-first search (`check --workers N`) from the search
 * thread: it is worker 0 (the coordinator, `src/search/parallel-explore.ts`)
 * and starts N - 1 helper threads that each load the model themselves (from
 * the built-in name or the file's absolute path, as the search thread did:
 * functions do not cross threads) and join the rounds as soon as they are
 * ready; by default they are started only when a round is large enough to
 * share (`parallelFrom` states) and the search has run SPAWN_AFTER_MS, so a
 * small model never starts one.
 *
 * A helper that fails once it has joined (a model error in a step, MC160
 * when its steps do not give what another worker's gave) stops every worker
 * through the shared Abort word; its coded error is then the search's. A
 * helper that fails before it joins (its copy of the model does not load or
 * build, is not the search thread's, or ends its thread while loading)
 * changes nothing the search thread finds: the search goes on without it,
 * as it does without a helper still loading, and the result lists its error
 * (`helperErrors`). So the verdict does not depend on whether a helper
 * failed before the search ended, and the search never waits for a helper
 * still loading (one whose load never finishes is ended with the search).
 * The helpers live as long as the search thread: ending it (a forced stop)
 * ends them too.
 */

/**
 * With MMCHECK_PHASE_TIMES=1 in the environment, `check --workers N` prints
 * each worker's milliseconds per phase of the rounds on stderr (profiling;
 * the clock is read once per phase).
 */
const PHASE_TIMES_ENV = 'MMCHECK_PHASE_TIMES';

/**
 * With MMCHECK_JOIN_AFTER_MS=T (whole milliseconds) in the environment,
 * helpers join (or, with the default `--workers`, start) at the first
 * shared round once the search has run T ms, whatever its levels: the
 * tests use it so that helpers take part in searches shorter than the
 * join rule would share; profiling, to move the join. It changes when
 * helpers join, never a result.
 */
const JOIN_AFTER_ENV = 'MMCHECK_JOIN_AFTER_MS';

/**
 * With MMCHECK_WAIT_JOIN_MS=T (whole milliseconds) in the environment, the
 * search thread waits, when it starts its helpers (or takes those started
 * in advance), up to T ms until each has joined or failed before joining,
 * then goes on: the tests use it so that what a helper's failure to load
 * does shows whatever the timing. It changes when helpers join, never a
 * verdict.
 */
const WAIT_JOIN_ENV = 'MMCHECK_WAIT_JOIN_MS';

function envMs(name: string): number | undefined {
  const v = process.env[name];
  return v !== undefined && /^\d{1,7}$/.test(v) ? Number(v) : undefined;
}

function phaseTable(times: number[][]): string {
  const head = ['worker', ...PHASES].join(' | ');
  return `phase times (ms):\n| ${head} |\n` + times.map((row, w) => `| ${w} | ${row.map((x) => x.toFixed(0)).join(' | ')} |`).join('\n') + '\n';
}

/**
 * The default `--workers` starts helpers only once the search has run this
 * long: a helper takes 0.3 to 0.5 s of a core to load, so a search shorter
 * than that would only be slowed down by it.
 */
const SPAWN_AFTER_MS = 250;

/**
 * Helpers started in advance (an explicit `--workers N`) are ready when the
 * search starts, but joining costs both threads a few tens of milliseconds
 * (the rounds' code is cold in both, and V8 compiles it in each on the same
 * CPUs), which a search must be long enough to win back: a helper joining
 * szymanski(4) at 100 ms, when its levels were already narrowing, made it
 * about twice as slow (0.21 to 0.23 s against 0.10 to 0.12 s with one
 * worker). So they join at the first round once the search has run
 * POOL_EARLY_MS at a BFS level that holds POOL_EARLY_LEVEL states and still
 * widens (at least POOL_WIDENING times the one before); and, whatever its
 * levels, once it has run SPAWN_AFTER_MS. Levels of fewer states do not
 * call for a helper at any time: helpers loading beside the search thread
 * slow its first levels, so that szymanski(4) met its first level of 2,048
 * states 200 to 240 ms in, and joining there (when the rule also took
 * smaller levels still widening after 100 ms) made its search 0.32 to 0.34
 * s against 0.19 to 0.25 s without (0.14 to 0.18 s with one worker). A
 * search whose levels stay under 4,096 states and that ends within 250 ms
 * runs as with one worker.
 */
const POOL_EARLY_MS = 40;
const POOL_EARLY_LEVEL = 4096;
/** A level this much larger than the one before is one of a search still widening, well before its widest level. */
const POOL_WIDENING = 1.05;

/** Whether helpers started in advance join now, `ms` into the search, at a round of `level`. */
export function poolJoins(ms: number, level: LevelShape | undefined): boolean {
  if (ms >= SPAWN_AFTER_MS) return true;
  const widens = level !== undefined && level.size >= POOL_WIDENING * level.previous;
  return widens && ms >= POOL_EARLY_MS && level.size >= POOL_EARLY_LEVEL;
}

/** The engine settings a tuning gives. */
const tunedEngine = (t: ThreadedTuning) => ({
  ...(t.initialSlots !== undefined ? { initialSlots: t.initialSlots } : {}),
  ...(t.initialRing !== undefined ? { initialRing: t.initialRing } : {}),
  ...(t.parallel !== undefined ? { parallel: t.parallel } : {}),
});

const failedHelpers = (links: readonly HelperLink[]): number => links.filter((h) => Atomics.load(h.status, 0) === HelperStatus.Failed).length;

/** Block until each of `links` has joined or failed before joining, up to `ms`: whether they all did. */
function awaitJoin(ctl: Int32Array, links: readonly HelperLink[], ms: number): boolean {
  const end = performance.now() + ms;
  for (;;) {
    const j = Atomics.load(ctl, Ctl.Joined);
    if (j + failedHelpers(links) >= links.length) return true;
    if (Atomics.load(ctl, Ctl.Abort) !== 0) return true;
    const left = end - performance.now();
    if (left <= 0) return false;
    // A failure does not wake this wait: it is read again every few milliseconds.
    Atomics.wait(ctl, Ctl.Joined, j, Math.min(left, 5));
  }
}

/**
 * Once the search is over: dismiss the helpers still loading (they never
 * join, and nothing waits for them), wait for the report of each that
 * joined (with what it printed) up to HELPER_FLUSH_MS, and for the report
 * of each that failed before joining (taken, or started in advance and not
 * taken) up to HELPER_WAIT_MS: their errors.
 */
async function settleHelpers(taken: readonly HelperLink[], idle: readonly HelperLink[]): Promise<HelperError[]> {
  const joined: Promise<HelperMessage>[] = [];
  const failed: Promise<HelperMessage>[] = [];
  for (const h of taken) {
    const was = Atomics.compareExchange(h.status, 0, HelperStatus.Loading, HelperStatus.Dismissed);
    if (was === HelperStatus.Joined) joined.push(h.report);
    else if (was === HelperStatus.Failed) failed.push(h.report);
  }
  for (const h of idle) if (Atomics.load(h.status, 0) === HelperStatus.Failed) failed.push(h.report);
  const after = (ms: number): Promise<null> => new Promise((resolve) => setTimeout(() => resolve(null), ms).unref());
  const flushed = after(HELPER_FLUSH_MS);
  const waited = after(HELPER_WAIT_MS);
  // Each helper reports once what it printed is here (`flushStdio`): ended before, it would lose it.
  if (joined.length > 0) await Promise.race([Promise.all(joined), flushed]);
  const reports = await Promise.all(failed.map((r) => Promise.race([r, waited])));
  return reports.flatMap((m) => (m?.type === 'error' ? [{ code: m.code, message: m.message }] : []));
}

/** How long the coordinator waits for a failed helper's error, and for the helpers' coverage at the end. */
const HELPER_WAIT_MS = 5000;
/** How long the search waits, once it is over, for its helpers' last output (a helper stuck in a step never sends it). */
const HELPER_FLUSH_MS = 1000;

/**
 * Settings of the threaded search for tests that run real threads on small
 * models: tiny tables and rounds, and helpers that join at the first round,
 * so that the workers race inside rounds and growths as they would in a
 * large search.
 */
export interface ThreadedTuning {
  readonly initialSlots?: number;
  readonly initialRing?: number;
  readonly parallel?: ParallelExploreOptions;
  /** Start the helpers (or take those started in advance) once the search has run this long (default: `poolJoins`, or SPAWN_AFTER_MS). */
  readonly joinAfterMs?: number;
  /** Wait up to this long, when the helpers are started, until every one has joined or failed before joining (default: not at all); throws if one has not. */
  readonly awaitJoinMs?: number;
  /** As `awaitJoinMs` (and MMCHECK_WAIT_JOIN_MS), but go on without a helper that has neither joined nor failed by then. */
  readonly waitJoinMs?: number;
}

/**
 * Search `built` with `workers` threads (this one included). Same result as
 * `search()` with one thread; coded errors of a helper are thrown here.
 */
export async function searchParallel(spec: SearchSpec, built: BuiltModel, options: Partial<SearchOptions>, workers: number, pool: HelperPool | null = null, tuning: ThreadedTuning = {}): Promise<SearchResult & { runtime: Runtime; store: Store }> {
  const helpers: HelperLink[] = [];
  const timed = process.env[PHASE_TIMES_ENV] === '1';
  let ctl: Int32Array | null = null;
  let result: SearchResult & { runtime: Runtime; store: Store };
  let failures: HelperError[] = [];
  /** The search returned (it did not throw). */
  let ended = false;
  try {
    result = searchWith(built, options, (rt, red) =>
      sharedEngine(rt, red, options, { workers, cpus: availableParallelism(), ...tunedEngine(tuning), ...(timed ? { onPhaseTimes: (ms: number[][]) => void process.stderr.write(phaseTable(ms)) } : {}) }, (bufs, w0) => {
        ctl = w0.ctl;
        const input: Omit<HelperInput, 'status'> = { kind: 'mmcheck-bfs-helper', spec, symmetry: red.sym !== null, por: red.por ? { liveness: red.por.liveness } : null, deadVars: options.deadVars === true, deadlock: options.deadlock ?? null, bufs, modelHash: modelHash(rt) };
        // Helpers start when the first round is large enough to share (a small model never pays for a thread), unless they were started in advance.
        const spawn = (): void => {
          for (let i = 1; i < workers; i++) {
            const link = pool?.take() ?? workerLink(startHelper());
            link.post({ ...input, status: link.status.buffer as SharedArrayBuffer } satisfies HelperInput);
            helpers.push(link);
          }
        };
        const d = threadDriver(w0.ctl);
        const created = performance.now();
        const after = tuning.joinAfterMs ?? envMs(JOIN_AFTER_ENV);
        const waitMs = tuning.awaitJoinMs ?? tuning.waitJoinMs ?? envMs(WAIT_JOIN_ENV);
        const joinNow = (level: LevelShape | undefined): boolean => {
          const ms = performance.now() - created;
          // Helpers asked for (--workers N) were started in advance (`poolJoins`); the default's start once the search has run SPAWN_AFTER_MS.
          return after !== undefined ? ms >= after : pool !== null ? poolJoins(ms, level) : ms >= SPAWN_AFTER_MS;
        };
        return {
          ...d,
          joined: (level?: LevelShape) => {
            // A helper that joined and then failed set Abort: its error is the search's.
            if (Atomics.load(w0.ctl, Ctl.Abort) !== 0) throw new RoundAborted();
            if (helpers.length === 0 && joinNow(level)) {
              spawn();
              if (waitMs !== undefined && !awaitJoin(w0.ctl, helpers, waitMs) && tuning.awaitJoinMs !== undefined)
                throw new Error(`internal: ${Atomics.load(w0.ctl, Ctl.Joined)} of ${helpers.length} helper threads joined (${failedHelpers(helpers)} failed) within ${waitMs} ms`);
            }
            return d.joined();
          },
          finish: (aborted: boolean) => {
            stopWorkers(w0.ctl, aborted);
            if (!aborted) collectHelpers(w0, HELPER_WAIT_MS);
          },
        };
      }),
    );
    ended = true;
  } catch (e) {
    if (!(e instanceof RoundAborted)) throw e;
    // Another worker failed in the rounds: its error is the search's (a helper that failed before it joined set no Abort, and is not waited for).
    const timeout = new Promise<HelperMessage>((resolve) => setTimeout(() => resolve({ type: 'aborted' }), HELPER_WAIT_MS).unref());
    for (const h of helpers) {
      if (Atomics.load(h.status, 0) !== HelperStatus.Joined) continue;
      const m = await Promise.race([h.report, timeout]);
      if (m.type !== 'error' || m.beforeJoin) continue;
      throw m.code ? Object.assign(new McError(m.code, m.message), m.atState ? { atState: true } : {}) : new Error(`search worker: ${m.message}`);
    }
    throw new Error('internal: the multi-core search was aborted and no worker reported why');
  } finally {
    // A search that ended (not one that threw: the error's path is searched for next, in the model's steps) leaves the engine's work: the watcher waits for it (supervise.ts, WIND_DOWN_LIMIT_MS) as it does not for a step.
    if (ended) options.monitor?.windingDown?.();
    if (ctl) stopWorkers(ctl, false);
    failures = await settleHelpers(helpers, pool?.idle ?? []);
    for (const h of helpers) h.end();
  }
  return failures.length > 0 ? { ...result, helperErrors: failures } : result;
}
