import { Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { getHeapStatistics } from 'node:v8';
import { buildModel, type BuiltModel } from '../model/build.ts';
import { checkVariant, paramsFrom, resolveParams, type Params } from '../model/define.ts';
import { McError, McIncompleteError, isMcError, q } from '../model/errors.ts';
import { errorMessage, exitedModelError, strayModelError } from './stray.ts';
import { errorPathOf, withErrorPath, type ErrorPath } from '../trace/error-path.ts';
import { computeLayout } from '../layout/layout.ts';
import { search } from '../search/check.ts';
import { cycleSearchAt } from '../search/cycle-progress.ts';
import { defaultOptions, type IncompleteReason, type ProgressInfo, type SearchOptions, type SearchPhase, type SearchResult } from '../search/types.ts';
import { builtinModel, loadModel, loadResolvedModel, looksLikeModelPath } from './load.ts';
import { flushStdio } from './flush-stdio.ts';
import { shareEntryWithCommonJs } from './entry-instance.ts';
import { searchParallel } from './parallel-search.ts';
import { HelperPool, HelperThreads } from './bfs-helper.ts';
import type { MemoryCeiling } from './memory-ceiling.ts';
import { SearchCell, cellMonitor, type CellSnapshot } from './search-cell.ts';
import { Runtime } from '../exec/runtime.ts';
import { MinimizeStopped } from '../search/minimal.ts';
import { minimizeViolation, type Minimized } from '../trace/minimize.ts';
import type { FoundViolation } from '../search/types.ts';
import { simulate, type SimulateOptions, type SimulateProgress, type SimulateResult } from '../search/simulate.ts';
import { InterruptedBeforeSearch, onStopSignals, type StopSignal } from './signals.ts';
import { moduleHooksForModelFiles, workerBootstrapUrl } from './worker-bootstrap.ts';
import { runTraceJob, type SupervisedTrace, type TraceJob, type TraceJobMessage, type TraceModelRef, type TraceStop, type TraceTask } from './trace-job.ts';

/**
 * An exhaustive search run in a worker thread and watched by the calling
 * thread, so that the limits hold whatever the model does: the search stops
 * itself at its polls (its clock, the stop requests below), and when it does
 * not poll in time (a guard or effect that never returns, a step that
 * allocates without bound) the watcher ends the thread (`worker.terminate()`
 * interrupts running JavaScript) and reports the last counts the search
 * published into the shared cell (`search-cell.ts`).
 *
 * The watcher samples the process's resident memory (both threads count)
 * every SAMPLE_MS; over the ceiling, or past the time limit, or on SIGINT /
 * SIGTERM, it asks the search to stop, and ends the thread after a grace
 * period. A second signal ends it at once.
 */

/** What the worker needs to rebuild the model: functions do not cross threads, so it loads the model again. */
export interface SearchSpec {
  /** A built-in model name or an absolute path to a model file. */
  readonly model: string;
  readonly variant: string | null;
  readonly params: Params;
}

export interface SuperviseOptions {
  /** The search's options; plain data only (a progress callback and monitor are the supervisor's). */
  readonly search: Partial<Omit<SearchOptions, 'onProgress' | 'monitor'>>;
  /** The resident-memory bound of the process. */
  readonly memory: MemoryCeiling;
  readonly onProgress: ((p: ProgressInfo) => void) | null;
  /**
   * Handle SIGINT and SIGTERM while the search runs (a command line does; a
   * library caller may not want to). A thread spawned with `signals` has
   * handled them since it was spawned, and a signal that came while the
   * caller loaded the model stops the search as soon as it starts.
   */
  readonly signals: boolean;
}

/** Why a search stopped early, when the supervisor stopped it. */
export interface StopInfo {
  readonly reason: IncompleteReason;
  /** The signal, for `interrupted`. */
  readonly signal: StopSignal | null;
  /** The search did not stop at a poll in time and its thread was ended: the counts are the last it published. */
  readonly forced: boolean;
  /** What the search was doing when it was ended (forced stops only). */
  readonly phase: SearchPhase | null;
  /** It was ended while it grew a table, its own work and not a step (forced stops only). */
  readonly growing?: boolean;
  /** It was ended once its search was over or had seen the stop request, as it wound down (its own work, not a step; forced stops only). */
  readonly windingDown?: boolean;
}

export type SupervisedResult = SearchResult & { readonly stop: StopInfo | null };

/** What the thread starts with (its engine modules load before the model is known). */
interface WorkerInput {
  readonly kind: 'mmcheck-search';
  readonly cell: SharedArrayBuffer;
  /** Ports to the helper threads of a multi-core search, started with this thread (`HelperPool`). */
  readonly helpers: readonly MessagePort[];
}

/** The one search the thread is then asked to run (or, `simulate` given, the seeded walks of `mmcheck simulate`; `minimize` given, the minimising search for a violation). */
interface RunRequest {
  readonly spec: SearchSpec;
  readonly options: SuperviseOptions['search'];
  readonly simulate?: SuperviseSimulation['simulate'];
  readonly minimize?: FoundViolation;
  readonly progress: boolean;
  /** The resident-memory ceiling this watcher enforces (MB), told to the search for what it may add (`SearchMonitor.ceilingMB`). */
  readonly ceilingMB: number;
}

/**
 * A model file to load, and build, in the thread before the caller loads it
 * (`SearchThread.prepare`): a module whose top level, or a build whose
 * functions of the parameters, never return then hang a thread the caller
 * watches and can end, not the caller itself.
 */
export interface PrepareSpec {
  /** The model file as the user gave it, relative to `cwd` (error messages name it so, as `loadModel` does). */
  readonly ref: string;
  readonly cwd: string;
  /** The model to build: the variant asked for (null: the default) and the parameters, as `-p k=v` texts or as values (an expectation's); null: load only. */
  readonly build: { readonly variant: string | null; readonly params: { readonly text: readonly string[] } | { readonly values: Params } } | null;
}

/** What the caller is told by `prepare`, besides a coded error: loaded (and built), or the thread could not say (it failed otherwise: the caller loads the model itself, as before). */
export type Prepared = 'ready' | 'unknown';

interface PrepareRequest extends PrepareSpec {
  readonly kind: 'prepare';
}

/** A job on traces (`SearchThread.trace`): the model to load, and the job. */
interface TraceRequest {
  readonly kind: 'trace';
  readonly model: TraceModelRef;
  readonly job: TraceJob;
}

/** What the thread is doing for a `prepare`: loading the module, or building the model, since `at` (ms since the epoch). */
type PreparePhase = { type: 'phase'; phase: 'load'; at: number } | { type: 'phase'; phase: 'build'; at: number; variant: string | null; params: Params };

type WorkerMessage =
  | { type: 'progress'; p: unknown }
  | { type: 'result'; result: unknown }
  | { type: 'error'; code: string | null; message: string; exportsFunction?: boolean; path?: ErrorPath }
  | PreparePhase
  | { type: 'prepared' };

/** The model a `prepare` built, kept for the search that follows (the same model file, variant and parameters). */
interface WorkerState {
  prepared: { key: string; built: BuiltModel } | null;
  /** The search the helpers were told to load, by `prepare` (so that `run` does not tell them again). */
  helpersKey: string | null;
  /** The package entry, loading since the thread started (`shareEntryWithCommonJs`). */
  readonly entry: Promise<void>;
}

const specKey = (spec: SearchSpec): string => JSON.stringify([spec.model, spec.variant, spec.params]);

/** How often resident memory and the clocks are checked. */
const SAMPLE_MS = 50;
/**
 * How long a search asked to stop (at the memory ceiling, the time limit or
 * a first signal) may take to reach its next poll before its thread is
 * ended. The polls of a healthy search can be far apart: doubling a table
 * of millions of states takes a few hundred milliseconds between two polls,
 * several times that on a loaded machine (a quarter of a second was seen
 * to run out there), and a stop there would lose the search's own counts
 * and blame its steps for no reason. A table growth tells the cell
 * (`SearchCell.busy`): the grace starts again when it ends, since growing a
 * table of tens of millions of states takes seconds (peterson(6) at 47 M
 * states with three workers on two CPUs was ended inside one after the
 * grace, and its steps were blamed).
 */
const STOP_GRACE_MS = 1000;
/** The most a table growth may hold a stop back (a busy word that is never cleared must not keep a thread forever). */
export const BUSY_LIMIT_MS = 120_000;
/**
 * The most a search that is over, or has seen the stop request, may take to
 * wind down (`SearchCell.windingDown`): it runs no step of the model any more, but it
 * waits for its helpers' last output (up to HELPER_WAIT_MS and
 * HELPER_FLUSH_MS, src/run/parallel-search.ts) before it sends its result.
 * Within the grace alone, a search with a helper that had just joined could
 * be ended there on a busy machine, its steps blamed and its counts lost.
 */
export const WIND_DOWN_LIMIT_MS = 15_000;
/**
 * A sample this late (the thread that watches was itself held up, by a
 * long task of its own or a machine too busy to run it) ends no thread: the
 * thread's answer may wait in the queue behind the sample, and is read
 * before the next one.
 */
const LATE_SAMPLE_MS = 250;
/**
 * With MMCHECK_WIND_DOWN_MS=T (whole milliseconds) in the environment, a
 * search thread whose search was stopped takes T ms more before it sends
 * its result, as one waiting for the last output of its helpers on a busy
 * machine does: the tests use it to show that such a search is not ended.
 */
const WIND_DOWN_ENV = 'MMCHECK_WIND_DOWN_MS';

/**
 * When the grace of a stop requested at `at` starts, seen at `now`: where it
 * started so far (`from`), or now while the search grows a table (or, for a
 * signal, has not started; or winds down once it has seen the request:
 * `busy`), up to `limit` after the request.
 */
export function graceFrom(at: number, from: number, busy: boolean, now: number, limit: number = BUSY_LIMIT_MS): number {
  return busy && now - at < limit ? now : from;
}
/** Whether a thread whose grace began at `from` is ended at this sample, `now`, the one before at `previous`: past the grace, and the sample is not late (`LATE_SAMPLE_MS`). */
export function graceOver(now: number, previous: number, from: number, grace: number): boolean {
  return now - from >= grace && now - previous <= LATE_SAMPLE_MS;
}
/**
 * Over the memory ceiling by this share, a search asked to stop is ended at
 * once (a step that allocates without bound grows fast); below it, it gets
 * the grace period (a table rehash allocates its new table between two
 * polls).
 */
const MEMORY_OVERSHOOT = 0.25;
/** A worker that has not started searching this long after the time limit is ended too (its thread loads the model the caller already loaded). */
const LOAD_ALLOWANCE_MS = 10_000;
const MB = 1024 * 1024;

/**
 * Entry of the search thread (called by the bootstrap): load and build the
 * model, search with a monitor over the shared cell, post the result as
 * plain data (the Runtime and store stay here; the caller builds its own
 * Runtime to render a counterexample from the steps).
 */
export function searchWorkerMain(): void {
  if (isMainThread || !parentPort) throw new Error('searchWorkerMain runs in a worker thread');
  const port = parentPort;
  const cell = new SearchCell((workerData as WorkerInput).cell);
  const ports = (workerData as WorkerInput).helpers;
  const pool = ports.length > 0 ? new HelperPool(ports) : null;
  // The package entry a model file imports is loaded now, while the caller reads its arguments: it is the engine's, not the model's, and a prepare's clock starts after it.
  const entry = shareEntryWithCommonJs();
  entry.catch(() => {});
  const state: WorkerState = { prepared: null, helpersKey: null, entry };
  // A reusable thread (`SearchThread.spawn(..., { reusable: true })`) is sent one search after another, each when the last has reported; a model file is first prepared.
  port.on('message', (input: RunRequest | PrepareRequest | TraceRequest) =>
    void ('kind' in input ? (input.kind === 'prepare' ? prepareRequest(port, input, pool, state) : traceRequest(port, cell, input)) : runRequest(port, cell, input, pool, state)),
  );
}

/**
 * Load a model file (and build it) for the caller, which watches the time
 * this takes and loads the file itself only once it has loaded here; the
 * model built is kept for the search that follows (no second load).
 */
async function prepareRequest(port: NonNullable<typeof parentPort>, input: PrepareRequest, pool: HelperPool | null, state: WorkerState): Promise<void> {
  const post = (m: WorkerMessage): void => port.postMessage(m);
  const now = (): number => performance.timeOrigin + performance.now();
  state.prepared = null;
  let msg: WorkerMessage;
  try {
    // A failure here shows again, as the model's own, when loadModel shares the entry.
    await state.entry.catch(() => {});
    // tsx's hooks, which a thread of the compiled tree registers before its first model file, are the engine's start, not the model's loading: the load's clock starts after them.
    if (looksLikeModelPath(input.ref)) await moduleHooksForModelFiles();
    post({ type: 'phase', phase: 'load', at: now() });
    const model = await loadModel(input.ref, input.cwd);
    const b = input.build;
    if (b !== null) {
      const overrides = 'text' in b.params ? paramsFrom(model, b.params.text) : b.params.values;
      const variant = checkVariant(model, b.variant);
      const params = resolveParams(model, variant, overrides);
      post({ type: 'phase', phase: 'build', at: now(), variant, params });
      const spec: SearchSpec = { model: model.source!, variant, params };
      const key = specKey(spec);
      // Helpers started in advance load the model while this thread builds it.
      if (pool !== null && state.helpersKey !== key) {
        pool.prepare(spec);
        state.helpersKey = key;
      }
      const built = buildModel(model, b.variant, overrides);
      state.prepared = { key: specKey({ model: model.source!, variant: built.variant, params: built.params }), built };
    }
    msg = { type: 'prepared' };
  } catch (e) {
    // A module that exports no model but a function is a helper (`mmcheck test` skips it in a folder): the caller is told so with the error.
    const helper = isMcError(e) && (e as { exportsFunction?: boolean }).exportsFunction === true;
    msg = { ...errorMessage(e), ...(helper ? { exportsFunction: true } : {}) };
  }
  post(msg);
}

async function runRequest(port: NonNullable<typeof parentPort>, cell: SearchCell, input: RunRequest, pool: HelperPool | null, state: WorkerState): Promise<void> {
  let msg: WorkerMessage;
  let built: BuiltModel | null = null;
  const t0 = performance.now();
  try {
    const key = specKey(input.spec);
    // The model `prepare` built for this search, if it did; it is not kept after it.
    const ready = state.prepared?.key === key ? state.prepared.built : null;
    state.prepared = null;
    // Helpers started in advance load the model while this thread does.
    if (state.helpersKey !== key) pool?.prepare(input.spec);
    built = ready ?? buildModel(await loadResolvedModel(input.spec.model), input.spec.variant, input.spec.params);
    // Published before the first poll, so that a step that hangs at once is reported in its phase, not as loading.
    cell.start(input.minimize !== undefined ? 'minimize' : input.options.store === 'bitstate' ? 'bitstate' : 'explore');
    const onProgress = input.progress ? (p: unknown) => port.postMessage({ type: 'progress', p } satisfies WorkerMessage) : null;
    if (input.minimize !== undefined) {
      // The counts go into the cell at each poll (a thread that is ended is reported from them), the progress every second; a stop request ends the search there.
      const t1 = performance.now();
      let shown = t1;
      const poll = (states: number, transitions: number, depth: number): boolean => {
        cell.publish('minimize', states, transitions, depth, 0, 0);
        const now = performance.now();
        if (onProgress && now - shown >= 1000) {
          shown = now;
          onProgress({ phase: 'minimize', states, transitions, depth, frontier: 0, seconds: (now - t1) / 1000, bytes: 0 } satisfies ProgressInfo);
        }
        return cell.stopRequested() !== null;
      };
      let result: MinimizeOutcome;
      try {
        result = { minimized: minimizeViolation(new Runtime(built), input.minimize, poll) };
      } catch (e) {
        if (!(e instanceof MinimizeStopped)) throw e;
        result = { minimized: null, reached: { states: e.states, transitions: e.transitions, depth: e.depth } };
      }
      msg = { type: 'result', result };
    } else if (input.simulate !== undefined) {
      // The walks publish their counts into the cell (states: walks, transitions: steps) and stop when asked.
      const { runtime: _rt, ...result } = simulate(built, { ...input.simulate, onProgress, poll: (runs, steps) => (cell.publish('explore', runs, steps, 0, 0, 0), cell.stopRequested()) });
      msg = { type: 'result', result };
    } else {
      const options = { ...input.options, monitor: cellMonitor(cell, input.ceilingMB), onProgress };
      const workers = input.options.workers ?? 1;
      const { runtime: _rt, store: _store, ...result } = workers > 1 ? await searchParallel(input.spec, built, options, workers, pool) : search(built, options);
      msg = { type: 'result', result };
    }
    cell.windDown();
  } catch (thrown) {
    // A model error in some state: the first such state, and how it is reached (error-path.ts), within the time left.
    const e = built !== null ? withErrorPath(built, { ...input.options, monitor: cellMonitor(cell, input.ceilingMB) }, thrown, t0) : thrown;
    const path = errorPathOf(e);
    msg = { ...errorMessage(e), ...(path ? { path } : {}) };
    cell.windDown();
  } finally {
    pool?.close();
  }
  const windDown = process.env[WIND_DOWN_ENV];
  if (windDown !== undefined && /^\d{1,6}$/.test(windDown) && msg.type === 'result' && (msg.result as { incomplete?: unknown }).incomplete) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, Number(windDown));
  await flushStdio();
  port.postMessage(msg);
}

/**
 * A job on traces: load the model the command named (a model file was
 * loaded by `prepare` already, watched), then run the job, which publishes
 * into the cell where it is in the model's code and stops there when asked
 * (`runTraceJob`); its outcome is posted as plain data.
 */
async function traceRequest(port: NonNullable<typeof parentPort>, cell: SearchCell, input: TraceRequest): Promise<void> {
  let msg: WorkerMessage;
  try {
    const m = input.model;
    const model = m.builtinOnly ? await builtinModel(m.ref) : await loadModel(m.ref, m.cwd);
    // The time limit counts from here, as a search's does from its start.
    cell.start('replay');
    const result: TraceJobMessage = model === null ? { noModel: true } : runTraceJob(input.job, model, cell, (p) => port.postMessage({ type: 'progress', p } satisfies WorkerMessage));
    msg = { type: 'result', result };
  } catch (e) {
    msg = errorMessage(e);
  }
  await flushStdio();
  port.postMessage(msg);
}

const noSignals = (): void => {};

/** How a search thread is started (`SearchThread.spawn`). */
export interface SpawnOptions {
  /** Handle SIGINT and SIGTERM from now until the search ends (or, for a reusable thread, until it is closed). */
  readonly signals?: boolean;
  /** Helper threads of a multi-core search, started at once, before the search is known (see `HelperPool`). */
  readonly helpers?: number;
  /**
   * The thread may run one search after another (`mmcheck test`, `mmcheck
   * verdicts`: starting a thread and its engine takes about 0.3 s, far more
   * than most expectations' searches). A search that had to be ended takes
   * its thread with it (`alive`); the caller starts another.
   */
  readonly reusable?: boolean;
}

/**
 * The worker thread of a supervised search. It is started before the model
 * is loaded, so that its start-up (registering tsx, loading the engine)
 * overlaps the caller's own loading of the model; `run` then sends it the
 * search. `close` ends the thread (a thread that is not needed after all,
 * or a reusable one after its last search).
 */
export class SearchThread {
  private readonly cell = new SearchCell();
  private readonly worker: Worker;
  /** An error or exit before the first `run` attached its handlers. */
  private early: Error | null = null;
  private used = false;
  /** A search is under way. */
  private running = false;
  /** The thread has ended (a forced stop, an error, `close`). */
  private ended = false;
  private readonly reusable: boolean;
  private readonly detachEarly: () => void;
  private readonly helpers: HelperThreads | null;
  /** Signals that came between searches, and where the later ones go. */
  private signalled: { signal: StopSignal; count: number } | null = null;
  private onSignal: ((signal: StopSignal, count: number) => void) | null = null;
  private removeSignals: () => void = noSignals;
  /** The first stop signal this thread's handlers saw, whenever it came. */
  private firstSignal: StopSignal | null = null;

  private readonly memory: MemoryCeiling;

  private constructor(memory: MemoryCeiling, o: SpawnOptions) {
    this.memory = memory;
    const helpers = o.helpers ?? 0;
    this.reusable = o.reusable ?? false;
    if (this.reusable && helpers > 0) throw new Error('SearchThread.spawn: a reusable thread has no helper threads');
    if (o.signals) this.removeSignals = onStopSignals((signal, count) => this.signal(signal, count));
    // The worker's JavaScript heap is bounded too, where the ceiling is below V8's own limit: a step that allocates objects then fails in the worker, not the process.
    const heapMB = Math.floor(getHeapStatistics().heap_size_limit / MB);
    const resourceLimits = memory.mb < heapMB ? { maxOldGenerationSizeMb: Math.max(16, Math.floor(memory.mb)) } : undefined;
    // Helpers asked for start now, beside the search thread, and end with it.
    this.helpers = helpers > 0 ? new HelperThreads(helpers) : null;
    const ports = this.helpers?.ports ?? [];
    const input: WorkerInput = { kind: 'mmcheck-search', cell: this.cell.buffer, helpers: ports };
    this.worker = new Worker(workerBootstrapUrl(import.meta.url, 'searchWorkerMain'), { workerData: input, transferList: [...ports], resourceLimits });
    this.worker.once('exit', () => {
      this.ended = true;
      this.helpers?.end();
    });
    // An error between the searches of a reusable thread ends it (the next search takes a fresh one), not the process.
    this.worker.on('error', () => void (this.ended = true));
    // An error of the model file's code (a timer it started while loading that throws) or its process.exit() is the model's, not an internal error.
    const onEarly = (e: unknown) => void (this.early ??= e instanceof Error ? (strayModelError(e, 'an uncaught exception') ?? e) : exitedModelError(Number(e)));
    this.worker.on('error', onEarly);
    this.worker.on('exit', onEarly);
    this.detachEarly = () => {
      this.worker.off('error', onEarly);
      this.worker.off('exit', onEarly);
    };
  }

  /**
   * Start a search thread whose JavaScript heap is bounded by `memory` (the
   * process's ceiling); see `SpawnOptions` for signals, helpers and reuse.
   */
  static spawn(memory: MemoryCeiling, o: SpawnOptions = {}): SearchThread {
    return new SearchThread(memory, o);
  }

  /** A stop signal: to the search under way, or kept for the next one (which then stops at its first poll). */
  private signal(signal: StopSignal, count: number): void {
    this.firstSignal ??= signal;
    if (this.onSignal) this.onSignal(signal, count);
    else this.signalled ??= { signal, count };
    if (this.signalled) this.signalled.count = count;
  }

  /** The first SIGINT or SIGTERM that came while this thread handled them (null for none): a caller running many searches stops there. */
  get interruptedBy(): StopSignal | null {
    return this.firstSignal;
  }

  /** Whether the thread can run another search (reusable, not ended). */
  get alive(): boolean {
    return this.reusable && !this.ended && !this.running && this.early === null;
  }

  /** End the thread (the command failed before its search, or its last search is done). */
  close(): void {
    this.removeSignals();
    this.removeSignals = noSignals;
    if (this.running) return;
    if (!this.used || this.reusable) {
      this.used = true;
      this.ended = true;
      this.detachEarly();
      void this.worker.terminate();
      this.helpers?.end();
    }
  }

  /**
   * Load a model file in the thread (and build it, `spec.build` given)
   * before the caller loads and builds it itself, so that a module whose top
   * level, or a build whose functions of the parameters, never return hang
   * this thread, which is watched, and not the caller, which would then
   * handle no signal and no timer (and only SIGKILL would end it). The
   * model built is kept for the next `run` of the same model, variant and
   * parameters: the thread does not load it again.
   *
   * Resolves `ready` once the thread has loaded (and built) the model, and
   * `unknown` when the thread failed otherwise than with a coded error (the
   * caller then loads the model itself, as it did before, with the same
   * outcome). Rejects with the thread's coded error (the message the caller's
   * own loading would give); with MC167 (`McIncompleteError`, exit 3) when
   * it did not finish within `timeLimit` seconds and the grace period of a
   * stop, counted from when the thread began loading the module, the thread
   * then ended; and with `InterruptedBeforeSearch` on SIGINT or SIGTERM, at
   * once, when the thread handles the signals (`SpawnOptions.signals`),
   * the thread ended too.
   */
  prepare(spec: PrepareSpec, o: { readonly timeLimit: number }): Promise<Prepared> {
    if (this.running) throw new Error('SearchThread.prepare: a search is under way');
    // A thread that failed to start, or was ended: the caller loads the model itself and its search reports the thread.
    if (this.ended || this.early !== null) return Promise.resolve('unknown');
    const worker = this.worker;
    const end = (): void => {
      this.ended = true;
      void worker.terminate();
      this.helpers?.end();
    };
    if (this.signalled) {
      end();
      return Promise.reject(new InterruptedBeforeSearch(this.signalled.signal));
    }
    this.running = true;
    const epochMs = (): number => performance.timeOrigin + performance.now();
    // Loading and building get the time limit, and never less than LOAD_MIN_S: compiling a model file that is fine can take seconds on a machine under load (CI running tests side by side), which a small limit meant for the search must not report as a hang.
    const limitMs = Math.max(o.timeLimit, LOAD_MIN_S) * 1000;
    let phase: PreparePhase | null = null;
    let loadAt: number | null = null;
    return new Promise<Prepared>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        this.onSignal = null;
        this.running = false;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        f();
      };
      const doing = (): string => prepareDoing(phase);
      let sampled = performance.now();
      const sample = (): void => {
        const previous = sampled;
        sampled = performance.now();
        // Loading and building together, counted from when the thread began to load the module: its own start-up (tsx, the engine, the package entry) is not the model's and is not bounded (on a machine under heavy load it took over ten seconds), as a search's time counts from its start.
        const now = epochMs();
        if (loadAt === null || !graceOver(now, now - (sampled - previous), loadAt + limitMs, STOP_GRACE_MS)) return;
        const what = doing();
        end();
        settle(() =>
          reject(
            new McIncompleteError(
              'MC167',
              `model file ${q(spec.ref)} did not finish ${what} within the time limit (--time-limit ${o.timeLimit} s${o.timeLimit < LOAD_MIN_S ? `, at least ${LOAD_MIN_S} s for loading and building` : ''}, and ${STOP_GRACE_MS / 1000} s of grace), and the thread doing so was ended: ${prepareCulprit(phase)}`,
            ),
          ),
        );
      };
      const timer = setInterval(sample, SAMPLE_MS);
      if (!Number.isFinite(limitMs)) clearInterval(timer);
      this.onSignal = (signal) => {
        end();
        settle(() => reject(new InterruptedBeforeSearch(signal)));
      };
      const onMessage = (m: WorkerMessage): void => {
        if (m.type === 'phase') {
          phase = m;
          loadAt ??= m.at;
        }
        else if (m.type === 'prepared') settle(() => resolve('ready'));
        else if (m.type === 'error') settle(() => (m.code !== null ? reject(Object.assign(new McError(m.code, m.message), m.exportsFunction ? { exportsFunction: true } : {})) : resolve('unknown')));
      };
      const onError = (e: Error & { code?: string }): void => {
        this.ended = true;
        // A heap that outgrew resourceLimits while the model file loaded: the memory ceiling, reached before any search.
        if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
          settle(() => reject(new McIncompleteError('MC167', `model file ${q(spec.ref)} did not finish ${doing()}: its thread ran out of the memory allowed (${Math.round(this.memory.mb)} MB${this.memory.given ? ', --memory-limit' : ', the default ceiling'}), and was ended`)));
        else settle(() => resolve('unknown'));
      };
      const onExit = (): void => {
        this.ended = true;
        settle(() => resolve('unknown'));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      worker.postMessage({ kind: 'prepare', ...spec } satisfies PrepareRequest);
    });
  }

  /**
   * Search `built` (loaded by the thread from `modelRef`, a built-in model
   * name or a model file's absolute path). Coded errors of the search come
   * back as McErrors with the same code and message; anything else is an
   * internal error. Once per thread, or (reusable) once at a time while the
   * thread is `alive`.
   */
  run(modelRef: string, built: BuiltModel, o: SuperviseOptions): Promise<SupervisedResult> {
    const opts = { ...defaultOptions, ...o.search };
    const request: RunRequest = { spec: { model: modelRef, variant: built.variant, params: built.params }, options: o.search, progress: o.onProgress !== null, ceilingMB: o.memory.mb };
    return this.supervise<SupervisedResult>({ timeLimit: opts.timeLimit, memory: o.memory, signals: o.signals, onProgress: o.onProgress as ((p: unknown) => void) | null }, request, {
      result: (m, stop, peakMB) => {
        const r = m as SearchResult;
        const stopped = stop !== null && r.incomplete?.reason === stop.reason ? { reason: stop.reason, signal: stop.signal, forced: false, phase: null } : null;
        return { ...r, stats: { ...r.stats, peakRssMB: Math.max(r.stats.peakRssMB, peakMB) }, stop: stopped };
      },
      partial: (info, s, seconds, peakMB) => {
        const layout = computeLayout(built);
        // Ended in the cycle search: where it was, as the search last told.
        const c = s.phase === 'liveness' ? s.cycle : null;
        const cycleSearch = c !== null ? cycleSearchAt(built, c.task, c.tasks, c.kind, c.thread, c.visited, c.of) : null;
        return {
          verdict: 'incomplete',
          violation: null,
          incomplete: { reason: info.reason, states: s.states, depth: s.depth, frontier: s.frontier, ...(cycleSearch !== null ? { cycleSearch } : {}) },
          stats: {
            states: s.states,
            transitions: s.transitions,
            depth: s.depth,
            seconds,
            statesPerSecond: seconds > 0 ? s.states / seconds : 0,
            bytesPerState: s.states > 0 ? s.bytes / s.states : 0,
            storeBytes: s.bytes,
            peakRssMB: peakMB,
            bitsPerState: layout.bits,
            words: layout.words,
            // The threads the search had told of (a one-thread search tells none: it is the one).
            workers: Math.max(1, s.workers),
          },
          fairness: opts.liveness && built.hasProgress ? opts.fairness : null,
          livenessChecked: false,
          reduction: {},
          coverage: null,
          stop: info,
        };
      },
      early: (reason) => emptyResult(built, o, reason),
    });
  }

  /**
   * `mmcheck simulate`'s walks in the thread, supervised as a search is: a
   * signal stops them at their next poll (the result says `interrupted`),
   * and walks that do not poll in time (a step that never returns) are
   * ended, their last published counts reported.
   */
  simulate(modelRef: string, built: BuiltModel, o: SuperviseSimulation): Promise<SupervisedSimulation> {
    const request: RunRequest = { spec: { model: modelRef, variant: built.variant, params: built.params }, options: {}, simulate: o.simulate, progress: o.onProgress !== null, ceilingMB: o.memory.mb };
    const liveness = (o.simulate.liveness ?? true) && built.hasProgress;
    const stats = (runs: number, steps: number, seconds: number) => ({ runs, steps, distinct: 0, distinctCapped: false, longestWalk: 0, ended: 0, cycles: { candidates: 0, unfair: 0, progress: 0, finished: 0 }, seconds });
    const incomplete = (info: StopInfo, runs: number, steps: number, seconds: number): SupervisedSimulation => ({
      seed: o.simulate.seed,
      violation: null,
      walk: null,
      walkStep: null,
      stopped: info.reason,
      stats: stats(runs, steps, seconds),
      fairness: liveness ? (o.simulate.fairness ?? null) : null,
      livenessChecked: liveness,
      stop: info,
    });
    return this.supervise<SupervisedSimulation>({ timeLimit: o.simulate.timeLimit ?? Infinity, memory: o.memory, signals: o.signals, onProgress: o.onProgress as ((p: unknown) => void) | null }, request, {
      result: (m, stop) => {
        const r = m as Omit<SimulateResult, 'runtime'>;
        return { ...r, stop: stop !== null && r.stopped === stop.reason ? { reason: stop.reason, signal: stop.signal, forced: false, phase: null } : null };
      },
      partial: (info, s, seconds) => incomplete(info, s.states, s.transitions, seconds),
      early: (reason) => incomplete({ reason, signal: null, forced: true, phase: null }, 0, 0, 0),
    });
  }

  /**
   * The minimising search for `violation` (found on `built`) in the thread,
   * supervised as a search is: a signal, the time limit or the memory
   * ceiling stop it at its next poll, or end the thread when it does not
   * poll in time; the outcome then says how far it got.
   */
  minimize(modelRef: string, built: BuiltModel, o: SuperviseMinimize): Promise<SupervisedMinimize> {
    const request: RunRequest = { spec: { model: modelRef, variant: built.variant, params: built.params }, options: {}, minimize: o.violation, progress: o.onProgress !== null, ceilingMB: o.memory.mb };
    const t0 = performance.now();
    const seconds = (): number => (performance.now() - t0) / 1000;
    return this.supervise<SupervisedMinimize>({ timeLimit: o.timeLimit, memory: o.memory, signals: o.signals, onProgress: o.onProgress as ((p: unknown) => void) | null }, request, {
      result: (m, stop) => {
        const r = m as MinimizeOutcome;
        return { ...r, seconds: seconds(), stop: r.minimized === null && stop !== null ? { reason: stop.reason, signal: stop.signal, forced: false, phase: 'minimize' } : null };
      },
      partial: (info, s) => ({ minimized: null, reached: { states: s.states, transitions: s.transitions, depth: s.depth }, seconds: seconds(), stop: info }),
      early: (reason) => ({ minimized: null, reached: { states: 0, transitions: 0, depth: 0 }, seconds: 0, stop: { reason, signal: null, forced: true, phase: null } }),
    });
  }

  /**
   * A job on traces (`TraceJob`: what replay, show, minimize's check and
   * swarm-merge do with the model) on the model `model` names, in the
   * thread, supervised as a search is: a signal, the time limit (counted
   * from when the thread has loaded the model) or the memory ceiling stop it
   * between two parts of its re-executions, or end the thread when a part
   * does not return in time; the outcome then says where it was
   * (`TraceStop`). A model file is `prepare`d first, where its loading is
   * watched. Coded errors come back as McErrors, as a search's do.
   */
  trace<T>(model: TraceModelRef, job: TraceJob, o: SuperviseTrace): Promise<SupervisedTrace<T>> {
    const t0 = performance.now();
    const seconds = (): number => Math.round(performance.now() - t0) / 1000;
    let task: TraceTask | null = null;
    const stopped = (s: Omit<TraceStop, 'seconds'>): SupervisedTrace<T> => ({ stopped: { ...s, seconds: seconds() } });
    return this.supervise<SupervisedTrace<T>>({ timeLimit: o.timeLimit, memory: o.memory, signals: o.signals, onProgress: (p) => void (task = p as TraceTask) }, { kind: 'trace', model, job }, {
      result: (r, stop) => {
        const m = r as TraceJobMessage;
        if (!('halted' in m)) return m as SupervisedTrace<T>;
        const h = m.halted;
        return stopped({ reason: stop?.reason ?? 'interrupted', signal: stop?.signal ?? null, forced: false, task: h.started ? task : null, at: h.started ? h.at : null, index: h.started ? h.index : -1 });
      },
      partial: (info, s) => stopped({ reason: info.reason, signal: info.signal, forced: true, task, at: s.replay?.at ?? null, index: s.replay?.index ?? -1 }),
      early: (reason) => stopped({ reason, signal: null, forced: true, task: null, at: null, index: -1 }),
    });
  }

  /** The supervision run, simulate, minimize and trace share: one job in the thread, its limits and signals, and how it ends. */
  private supervise<R>(o: JobLimits, request: RunRequest | TraceRequest, end: JobEnd<R>): Promise<R> {
    if (this.running) throw new Error('SearchThread.run: a search is already under way');
    if (this.used && (!this.reusable || this.ended)) throw new Error('SearchThread.run: this thread has already been used');
    const first = !this.used;
    this.used = true;
    this.running = true;
    if (first) this.detachEarly();
    if (this.early) {
      this.running = false;
      this.removeSignals();
      // A heap bound below what loading the engine takes: the memory limit, reached before the search.
      if ((this.early as Error & { code?: string }).code === 'ERR_WORKER_OUT_OF_MEMORY') return Promise.resolve(end.early('memory-limit'));
      return Promise.reject(this.early);
    }
    const worker = this.worker;
    const cell = this.cell;
    // The last search's counts, stop request and start time go (the thread is idle between searches).
    if (!first) cell.reset();
    const timeLimitMs = o.timeLimit * 1000;
    const limitBytes = o.memory.mb * MB;
    const t0 = performance.now();
    let peak = process.memoryUsage.rss();

    return new Promise<R>((resolve, reject) => {
      /** `from`: when the grace started, at the request or at the end of a table growth under way then (`SearchCell.busy`). */
      let stop: { reason: IncompleteReason; signal: StopSignal | null; at: number; from: number; grace: number } | null = null;
      let forced = false;
      let settled = false;

      const requestStop = (reason: IncompleteReason, signal: StopSignal | null, grace: number): void => {
        if (stop !== null) return;
        const at = performance.now();
        stop = { reason, signal, at, from: at, grace };
        cell.requestStop(reason);
      };
      const force = (): void => {
        if (forced) return;
        forced = true;
        this.ended = true;
        void worker.terminate();
      };
      let sampled = performance.now();
      const sample = (): void => {
        const rss = process.memoryUsage.rss();
        if (rss > peak) peak = rss;
        const now = performance.now();
        const previous = sampled;
        sampled = now;
        if (rss > limitBytes) requestStop('memory-limit', null, STOP_GRACE_MS);
        if (stop !== null && rss > limitBytes * (1 + MEMORY_OVERSHOOT)) force();
        // The time limit counts from the start of the search, as its own clock does (loading the model is not searching).
        const started = cell.startedAt();
        if (started > 0 ? performance.timeOrigin + now - started >= timeLimitMs : now - t0 >= timeLimitMs + LOAD_ALLOWANCE_MS) requestStop('time-limit', null, STOP_GRACE_MS);
        // Nor does a signal's grace run while the thread still loads the model (the signal came while the caller loaded it): the search stops at its first poll, and a second signal ends it at once.
        if (stop !== null) {
          const growing = cell.busy() || (started === 0 && stop.reason === 'interrupted');
          stop.from = growing ? graceFrom(stop.at, stop.from, true, now) : graceFrom(stop.at, stop.from, cell.windingDown(), now, WIND_DOWN_LIMIT_MS);
          if (graceOver(now, previous, stop.from, stop.grace)) force();
        }
      };
      const timer = setInterval(sample, SAMPLE_MS);
      const onSignal = (signal: StopSignal, count: number): void => {
        requestStop('interrupted', signal, STOP_GRACE_MS);
        if (count > 1) force();
      };
      if (o.signals && this.removeSignals === noSignals) this.removeSignals = onStopSignals((signal, count) => this.signal(signal, count));
      this.onSignal = onSignal;
      if (this.signalled) onSignal(this.signalled.signal, this.signalled.count);
      const done = (): void => {
        this.onSignal = null;
        this.signalled = null;
        this.running = false;
        worker.off('message', onMessage);
        worker.off('error', onError);
        worker.off('exit', onExit);
        // A reusable thread keeps its handlers (and itself) for the next search, unless it was ended.
        if (!this.reusable || this.ended) {
          this.removeSignals();
          this.removeSignals = noSignals;
          this.ended = true;
          void worker.terminate();
        }
      };

      const settle = (f: () => void): void => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        done();
        f();
      };
      const peakMB = (): number => Math.max(peak, process.memoryUsage.rss()) / MB;
      /** The result of a job whose thread was ended: the last published counts. */
      const partial = (reason: IncompleteReason, signal: StopSignal | null): R => {
        const s = cell.snapshot();
        return end.partial({ reason, signal, forced: true, phase: s.phase, ...(cell.busy() ? { growing: true } : cell.windingDown() ? { windingDown: true } : {}) }, s, (performance.now() - t0) / 1000, peakMB());
      };

      const onMessage = (m: WorkerMessage): void => {
        if (m.type === 'progress') {
          if (!settled) o.onProgress?.(m.p);
          return;
        }
        if (m.type !== 'result' && m.type !== 'error') return;
        settle(() => {
          if (m.type === 'error') {
            reject(m.code ? Object.assign(new McError(m.code, m.message), m.path ? { path: m.path } : {}) : new Error(`search thread: ${m.message}`));
            return;
          }
          const st = stop as { reason: IncompleteReason; signal: StopSignal | null } | null;
          resolve(end.result(m.result, st === null ? null : { reason: st.reason, signal: st.signal }, peakMB()));
        });
      };
      const onError = (e: Error & { code?: string }): void => {
        this.ended = true;
        // A heap that outgrew resourceLimits is the memory limit, reached inside a step.
        if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') settle(() => resolve(partial('memory-limit', null)));
        else settle(() => reject(strayModelError(e, 'an uncaught exception') ?? e));
      };
      const onExit = (code: number): void => {
        this.ended = true;
        if (stop !== null) {
          const s = stop;
          settle(() => resolve(partial(s.reason, s.signal)));
        } else settle(() => reject(exitedModelError(code)));
      };
      worker.on('message', onMessage);
      worker.on('error', onError);
      worker.on('exit', onExit);
      // A memory ceiling the process is already over (below what Node and the engine take) stops the search before it starts, not after a small search that ends within the first sampling period (a thread that built the model in `prepare` starts at once).
      sample();
      if (settled) return;
      worker.postMessage(request);
    });
  }
}

/** The least time loading and building a model file get before a `prepare` reports them hung, whatever the time limit (seconds); `minimize`'s check of its trace gets it too. */
export const LOAD_MIN_S = 5;

/** What a `prepare` was doing, for a message: `loading the module`, `building variant "v" with params n=2`. */
function prepareDoing(phase: PreparePhase | null): string {
  if (phase === null || phase.phase === 'load') return 'loading the module';
  const ps = Object.entries(phase.params).map(([k, v]) => `${k}=${v}`).join(' ');
  return `building ${phase.variant !== null ? `variant ${q(phase.variant)}` : 'the model'}${ps ? ` with params ${ps}` : ''}`;
}

/** What may not have returned, in a `prepare` that did not finish. */
function prepareCulprit(phase: PreparePhase | null): string {
  if (phase === null || phase.phase === 'load') return "code at the top level of the module (or of a module it imports) may not return; a model file only defines the model";
  return 'a function of the parameters the build calls (threads, shared, invariants, ...) may not return';
}

/** The limits and signals a supervised job runs under. */
interface JobLimits {
  readonly timeLimit: number;
  readonly memory: MemoryCeiling;
  readonly signals: boolean;
  readonly onProgress: ((p: unknown) => void) | null;
}

/** How a supervised job's result is made: from the thread's own result (with the stop the supervisor requested, if any), from the cell when the thread was ended, or before it started. */
interface JobEnd<R> {
  readonly result: (r: unknown, stop: { reason: IncompleteReason; signal: StopSignal | null } | null, peakMB: number) => R;
  readonly partial: (info: StopInfo, s: CellSnapshot, seconds: number, peakMB: number) => R;
  readonly early: (reason: IncompleteReason) => R;
}

/** What `simulate` takes: the walks' options (plain data), the memory bound, signals and progress. */
export interface SuperviseSimulation {
  readonly simulate: Partial<Omit<SimulateOptions, 'onProgress' | 'poll'>> & { readonly seed: string };
  readonly memory: MemoryCeiling;
  readonly signals: boolean;
  readonly onProgress: ((p: SimulateProgress) => void) | null;
}

/** A simulation's result, without the thread's Runtime (the caller builds its own to render a violation), and the stop the supervisor made. */
export type SupervisedSimulation = Omit<SimulateResult, 'runtime' | 'stopped'> & { readonly stopped: SimulateResult['stopped'] | IncompleteReason; readonly stop: StopInfo | null };

/** What `trace` takes: the limits (`timeLimit` in seconds, Infinity for none) and whether signals stop the job. */
export interface SuperviseTrace {
  readonly timeLimit: number;
  readonly memory: MemoryCeiling;
  readonly signals: boolean;
}

/** What `minimize` takes: the violation, the limits (`timeLimit` in seconds, Infinity for none), whether signals stop it, and its progress (every second: states, transitions and depth so far). */
export interface SuperviseMinimize {
  readonly violation: FoundViolation;
  readonly timeLimit: number;
  readonly memory: MemoryCeiling;
  readonly signals: boolean;
  readonly onProgress: ((p: ProgressInfo) => void) | null;
}

/** What the thread posts for a minimisation: the minimised violation, or (stopped at a poll) how far the search got. */
type MinimizeOutcome = { readonly minimized: Minimized | null; readonly reached?: { readonly states: number; readonly transitions: number; readonly depth: number } };

/**
 * A supervised minimisation: `minimized` (null when the property has no
 * violation on this model, or when the search was stopped: `stop` then says
 * why, `reached` how far it got).
 */
export type SupervisedMinimize = MinimizeOutcome & { readonly seconds: number; readonly stop: StopInfo | null };

/** A supervised minimisation in a thread of its own (`SearchThread`, started and run at once). */
export function superviseMinimize(modelRef: string, built: BuiltModel, o: SuperviseMinimize): Promise<SupervisedMinimize> {
  return SearchThread.spawn(o.memory, { signals: o.signals }).minimize(modelRef, built, o);
}

/** The result of a search that ended before it could publish anything. */
function emptyResult(built: BuiltModel, o: SuperviseOptions, reason: IncompleteReason): SupervisedResult {
  const opts = { ...defaultOptions, ...o.search };
  const layout = computeLayout(built);
  return {
    verdict: 'incomplete',
    violation: null,
    incomplete: { reason, states: 0, depth: 0, frontier: 0 },
    stats: { states: 0, transitions: 0, depth: 0, seconds: 0, statesPerSecond: 0, bytesPerState: 0, storeBytes: 0, peakRssMB: process.memoryUsage.rss() / MB, bitsPerState: layout.bits, words: layout.words },
    fairness: opts.liveness && built.hasProgress ? opts.fairness : null,
    livenessChecked: false,
    reduction: {},
    coverage: null,
    stop: { reason, signal: null, forced: true, phase: null },
  };
}

/** A supervised search in a thread of its own (`SearchThread`, started and run at once). */
export function superviseSearch(modelRef: string, built: BuiltModel, o: SuperviseOptions): Promise<SupervisedResult> {
  return SearchThread.spawn(o.memory, { signals: o.signals }).run(modelRef, built, o);
}
