import { MessageChannel, Worker, isMainThread, parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { buildModel, type BuiltModel } from '../model/build.ts';
import { McError } from '../model/errors.ts';
import { modelHash } from '../trace/decode.ts';
import { isStateError } from '../trace/error-path.ts';
import { Runtime } from '../exec/runtime.ts';
import { Symmetry } from '../reduce/symmetry.ts';
import { PartialOrder } from '../reduce/por.ts';
import { applyDeadVariables } from '../reduce/dead-vars.ts';
import { helperLoop, stopWorkers } from '../search/parallel-explore.ts';
import { RoundAborted, RoundWorker, type ParallelBuffers } from '../search/parallel-round.ts';
import { loadResolvedModel } from './load.ts';
import { flushStdio } from './flush-stdio.ts';
import { errorMessage, exitedLoadError, exitedModelError, strayModelError } from './stray.ts';
import type { SearchSpec } from './supervise.ts';
import { workerBootstrapUrl } from './worker-bootstrap.ts';

/**
 * A helper thread of the multi-core breadth-first search
 * (`parallel-search.ts`), in a module of its own: a thread starts from here
 * and loads only what a helper runs (the model's building and running, the
 * rounds), not the other searches, so that it joins sooner.
 */

export interface HelperInput {
  readonly kind: 'mmcheck-bfs-helper';
  readonly spec: SearchSpec;
  readonly symmetry: boolean;
  /** Partial-order reduction, built for livelock checking or not (null: none). */
  readonly por: { readonly liveness: boolean } | null;
  readonly deadVars: boolean;
  readonly deadlock: boolean | null;
  readonly bufs: ParallelBuffers;
  /** The model hash of the model the search thread built (`modelHash`): a helper that built another one does not join (MC182). */
  readonly modelHash: string;
  /** This helper's status word (`HelperStatus`). */
  readonly status: SharedArrayBuffer;
}

/**
 * Sent to a helper started in advance as soon as the model to search is
 * known: the helper loads and builds it while the search thread does, so
 * that it joins the first shared round sooner.
 */
export interface HelperPrepare {
  readonly kind: 'mmcheck-bfs-prepare';
  readonly spec: SearchSpec;
  /** This helper's status word (`HelperStatus`), the same the search sends it later. */
  readonly status: SharedArrayBuffer;
}

/** A helper's one report; an error with `beforeJoin` happened while it loaded or built the model, before it took part in any round. */
export type HelperMessage = { type: 'done' } | { type: 'aborted' } | { type: 'error'; code: string | null; message: string; atState?: true; beforeJoin?: true };

/**
 * Where a helper is, in a word it shares with the search thread (its
 * status), so that the search thread knows it in the middle of its
 * synchronous search, where it reads no message. Only the helper moves it
 * from Loading to Joined or Failed, and only the search thread from Loading
 * to Dismissed, each by compare-and-swap: a helper the search thread
 * dismissed (the search is over) never joins, and one that joined or failed
 * is never dismissed.
 */
export const enum HelperStatus {
  /** Loading and building the model (or ready and not yet taken). */
  Loading = 0,
  /** About to take part in the rounds (`helperLoop`): a failure from now on is the search's. */
  Joined = 1,
  /** Its model did not load or build, or is not the search thread's (MC182), or its thread ended while loading: it reports why and never joins. */
  Failed = 2,
  /** The search ended while it was still loading: it must not join. */
  Dismissed = 3,
}

/** A new status word (Loading). */
export const helperStatus = (): Int32Array => new Int32Array(new SharedArrayBuffer(4));

/** The channel a helper thread talks through: its parent's port, or a port handed over at its start (a helper started by the main thread for the search thread). */
interface HelperData {
  readonly port?: MessagePort;
}

interface Prepared {
  readonly key: string;
  readonly built: Promise<{ built: BuiltModel; rt: Runtime }>;
}

const specKey = (spec: SearchSpec): string => JSON.stringify([spec.model, spec.variant, spec.params]);

/**
 * A helper thread's side: its one report, its status word, and what ends
 * its thread outside any report. The model's code can end the thread: an
 * error thrown by a timer or promise it started, or `process.exit()` at
 * its top level or in a step. Before the helper joined, that is a failure
 * to load like a thrown error (the search goes on without it); after, the
 * search thread would wait at a barrier for this one forever, so the
 * rounds stop and it is reported as the search thread reports the same in
 * its own thread (MC166).
 */
class HelperSide {
  /** The status word, once the search thread sent it (with the model to prepare, or with the search). */
  status: Int32Array | null = null;
  /** The search's control words, once the search arrived. */
  ctl: Int32Array | null = null;
  prepared: Prepared | null = null;
  private reported = false;
  private thrown: { e: unknown } | null = null;

  constructor(
    private readonly port: MessagePort,
    private readonly onReported: () => void,
  ) {
    process.on('uncaughtExceptionMonitor', this.onThrown);
    process.on('exit', this.onExit);
  }

  get done(): boolean {
    return this.reported;
  }

  joined(): boolean {
    return this.status !== null && Atomics.load(this.status, 0) === HelperStatus.Joined;
  }

  /** Take part in the rounds, unless the search thread dismissed this helper (the search is over). */
  join(): boolean {
    return this.status === null || Atomics.compareExchange(this.status, 0, HelperStatus.Loading, HelperStatus.Joined) === HelperStatus.Loading;
  }

  /** The one report; what this thread printed first reaches the search thread (`searchParallel` takes it while it waits for this report). */
  async report(m: HelperMessage): Promise<void> {
    if (this.reported) return;
    await flushStdio();
    this.post(m);
  }

  /** A failure before joining: this helper never joins, and the search goes on without it (its error goes into the result). */
  async fail(e: unknown): Promise<void> {
    if (this.reported) return;
    this.markFailed();
    await this.report({ ...errorMessage(e), beforeJoin: true });
  }

  private markFailed(): void {
    if (this.status !== null) Atomics.compareExchange(this.status, 0, HelperStatus.Loading, HelperStatus.Failed);
  }

  private post(m: HelperMessage): void {
    if (this.reported) return;
    this.reported = true;
    process.off('uncaughtExceptionMonitor', this.onThrown);
    process.off('exit', this.onExit);
    this.port.postMessage(m);
    this.onReported();
  }

  private readonly onThrown = (e: unknown): void => void (this.thrown ??= { e });

  private readonly onExit = (code: number): void => {
    const joined = this.joined();
    const e = this.thrown !== null ? strayModelError(this.thrown.e, 'an uncaught exception') : joined ? exitedModelError(code) : exitedLoadError(code);
    const internal = this.thrown !== null && e === null ? (this.thrown.e instanceof Error ? (this.thrown.e.stack ?? this.thrown.e.message) : String(this.thrown.e)) : '';
    const m = { type: 'error' as const, code: e?.code ?? null, message: e?.message ?? internal };
    if (joined) {
      if (this.ctl !== null) stopWorkers(this.ctl, true);
      this.post(m);
    } else {
      this.markFailed();
      this.post({ ...m, beforeJoin: true });
    }
  };
}

/** Entry of a helper thread (called by the bootstrap): its search arrives as a message (a thread may be started before the search is known), possibly after the model to prepare. */
export function bfsHelperMain(): void {
  if (isMainThread || !parentPort) throw new Error('bfsHelperMain runs in a worker thread');
  const data = (workerData ?? {}) as HelperData;
  const port = data.port ?? parentPort;
  // The listener keeps the thread alive until its report, also while a model's top-level await never settles (a load that hangs is one the search thread dismisses at its end, not an exit).
  const h = new HelperSide(port, () => port.off('message', onMessage));
  let searching = false;
  const onMessage = (m: HelperPrepare | HelperInput): void => {
    if (searching || h.done) return;
    h.status ??= new Int32Array(m.status);
    if (m.kind === 'mmcheck-bfs-prepare') {
      const built = (async () => {
        const b = buildModel(await loadResolvedModel(m.spec.model), m.spec.variant, m.spec.params);
        return { built: b, rt: new Runtime(b) };
      })();
      // Failed here, this helper reports it at once (the search thread, which prepared it, may never take it); the search does not wait for it.
      built.catch((e: unknown) => void h.fail(e));
      h.prepared = { key: specKey(m.spec), built };
      return;
    }
    searching = true;
    void helperRun(h, m);
  };
  port.on('message', onMessage);
}

async function helperRun(h: HelperSide, input: HelperInput): Promise<void> {
  h.ctl = new Int32Array(input.bufs.store.control);
  const prepared = h.prepared !== null && h.prepared.key === specKey(input.spec) ? h.prepared.built : null;
  let joined = false;
  try {
    // The model prepared in advance, when it is the one searched (a failure there is reported already); else built now.
    const early = prepared !== null ? await prepared.catch(() => null) : null;
    if (prepared !== null && early === null) return;
    const built = early?.built ?? buildModel(await loadResolvedModel(input.spec.model), input.spec.variant, input.spec.params);
    const rt = early?.rt ?? new Runtime(built);
    // A model file saved while the check runs is loaded anew here (a helper of the default --workers starts 250 ms in): the rounds would mix the answers of two models.
    const hash = modelHash(rt);
    if (hash !== input.modelHash)
      throw new McError(
        'MC182',
        `the model built in a helper thread differs from the one the search thread built (model hash ${hash} here, ${input.modelHash} there): the model file or a file it imports was changed while the check ran, or the model's code or structure depends on the thread it runs in; run the check again`,
      );
    if (input.deadVars) applyDeadVariables(built, rt);
    const por = input.por ? new PartialOrder(built, { liveness: input.por.liveness }) : null;
    const w = new RoundWorker(-1, rt, input.symmetry ? new Symmetry(built, rt.layout) : null, input.bufs, input.deadlock ?? built.deadlock, por);
    // The search is over (the search thread dismissed this helper while it loaded): nothing to join.
    if (!h.join()) return void (await h.report({ type: 'aborted' }));
    joined = true;
    helperLoop(w);
    await h.report({ type: 'done' });
  } catch (e) {
    // Before joining, a model that loaded and built in the search thread but not here (it behaves differently from one thread to the next) changes nothing the search thread found: the search goes on without this helper, and its result says why.
    if (!joined) return void (await h.fail(e));
    await h.report(e instanceof RoundAborted ? { type: 'aborted' } : { ...errorMessage(e), ...(isStateError(e) ? { atState: true as const } : {}) });
  }
}

/** A helper thread: with `port`, it talks through that port instead of its parent's (the parent is then not the thread that uses it). */
export function startHelper(port?: MessagePort): Worker {
  const data: HelperData = port ? { port } : {};
  return new Worker(workerBootstrapUrl(import.meta.url, 'bfsHelperMain'), { workerData: data, transferList: port ? [port] : [] });
}

/** A helper as the search thread uses it: a thread it started, or a port to one the main thread started. */
export interface HelperLink {
  /** Its status word (`HelperStatus`). */
  readonly status: Int32Array;
  post(m: HelperInput | HelperPrepare): void;
  /** The helper's one report, listened for from the start (a thread that fails or ends without one: an error, or aborted). */
  readonly report: Promise<HelperMessage>;
  ref(): void;
  unref(): void;
  end(): void;
}

export function workerLink(w: Worker): HelperLink {
  // A failed start shows in `report`.
  w.on('error', () => {});
  const report = new Promise<HelperMessage>((resolve) => {
    w.once('message', resolve);
    w.once('error', (e) => resolve({ type: 'error', code: null, message: e.stack ?? e.message }));
    w.once('exit', () => resolve({ type: 'aborted' }));
  });
  return {
    status: helperStatus(),
    post: (m) => w.postMessage(m),
    report,
    ref: () => w.ref(),
    unref: () => w.unref(),
    end: () => void w.terminate(),
  };
}

function portLink(p: MessagePort): HelperLink {
  const report = new Promise<HelperMessage>((resolve) => {
    p.once('message', resolve);
    // The helper's thread ended (or failed to start: the main thread, which started it, ends it with the search thread).
    p.once('close', () => resolve({ type: 'aborted' }));
  });
  return {
    status: helperStatus(),
    post: (m) => p.postMessage(m),
    report,
    ref: () => p.ref(),
    unref: () => p.unref(),
    end: () => p.close(),
  };
}

/**
 * Helper threads started before the search is known (`check --workers N`
 * given explicitly), so that their start-up (tsx, the engine, about 0.3 to
 * 0.5 s) overlaps the start of the search thread and its loading of the
 * model instead of delaying the helpers' first round. The main thread
 * starts them with the search thread (`HelperThreads`) and hands the search
 * thread a port to each; the search thread has them load the model as soon
 * as it knows it (`prepare`), takes them (`take`) when its first round is
 * large enough to share, and starts any others it needs; `close` ends the
 * ones not taken. One that failed to load the model reports it at once;
 * `idle` lists the ones not taken, so that the search's result tells of
 * such a failure also when the search ended before it took that helper.
 */
export class HelperPool {
  private readonly waiting: HelperLink[];

  constructor(ports: readonly MessagePort[]) {
    this.waiting = ports.map(portLink);
    // An idle helper must not keep the search thread alive.
    for (const h of this.waiting) h.unref();
  }

  /** The model to search is known: the idle helpers load and build it while the search thread does. */
  prepare(spec: SearchSpec): void {
    for (const h of this.waiting) h.post({ kind: 'mmcheck-bfs-prepare', spec, status: h.status.buffer as SharedArrayBuffer } satisfies HelperPrepare);
  }

  take(): HelperLink | null {
    const h = this.waiting.shift() ?? null;
    h?.ref();
    return h;
  }

  /** The helpers not taken (yet). */
  get idle(): readonly HelperLink[] {
    return this.waiting;
  }

  close(): void {
    for (const h of this.waiting.splice(0)) h.end();
  }
}

/**
 * The main thread's side of the helpers started in advance: the threads,
 * which end with the search thread (whatever they are doing: a helper stuck
 * in a step that does not return goes with it), and the ports the search
 * thread talks to them through.
 */
export class HelperThreads {
  private readonly threads: Worker[];
  readonly ports: MessagePort[];

  constructor(n: number) {
    const channels = Array.from({ length: n }, () => new MessageChannel());
    this.threads = channels.map((c) => startHelper(c.port2));
    this.ports = channels.map((c) => c.port1);
    // They must not keep the process alive, nor fail it: a failed start shows in the search thread as a helper that never joins.
    for (const w of this.threads) {
      w.unref();
      w.on('error', () => {});
    }
  }

  end(): void {
    for (const w of this.threads.splice(0)) void w.terminate();
  }
}
