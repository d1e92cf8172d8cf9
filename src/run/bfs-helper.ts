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
import { errorMessage, exitedModelError, strayModelError } from './stray.ts';
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
}

/**
 * Sent to a helper started in advance as soon as the model to search is
 * known: the helper loads and builds it while the search thread does, so
 * that it joins the first shared round sooner.
 */
export interface HelperPrepare {
  readonly kind: 'mmcheck-bfs-prepare';
  readonly spec: SearchSpec;
}

/** A helper's one report; an error with `beforeJoin` happened while it loaded or built the model, before it took part in any round. */
export type HelperMessage = { type: 'done' } | { type: 'aborted' } | { type: 'error'; code: string | null; message: string; atState?: true; beforeJoin?: true };

/** The channel a helper thread talks through: its parent's port, or a port handed over at its start (a helper started by the main thread for the search thread). */
interface HelperData {
  readonly port?: MessagePort;
}

interface Prepared {
  readonly key: string;
  readonly built: Promise<{ built: BuiltModel; rt: Runtime }>;
}

const specKey = (spec: SearchSpec): string => JSON.stringify([spec.model, spec.variant, spec.params]);

/** Entry of a helper thread (called by the bootstrap): its search arrives as a message (a thread may be started before the search is known), possibly after the model to prepare. */
export function bfsHelperMain(): void {
  if (isMainThread || !parentPort) throw new Error('bfsHelperMain runs in a worker thread');
  const data = (workerData ?? {}) as HelperData;
  const port = data.port ?? parentPort;
  let prepared: Prepared | null = null;
  const onMessage = (m: HelperPrepare | HelperInput): void => {
    if (m.kind === 'mmcheck-bfs-prepare') {
      const built = (async () => {
        const b = buildModel(await loadResolvedModel(m.spec.model), m.spec.variant, m.spec.params);
        return { built: b, rt: new Runtime(b) };
      })();
      // A failure shows (again) when the search arrives and the model is built for it.
      built.catch(() => {});
      prepared = { key: specKey(m.spec), built };
      return;
    }
    port.off('message', onMessage);
    void helperRun(port, m, prepared);
  };
  port.on('message', onMessage);
}

async function helperRun(port: MessagePort, input: HelperInput, prepared: Prepared | null): Promise<void> {
  let msg: HelperMessage;
  let joining = false;
  // The model's code can end this thread without its report: process.exit() in a step (or in code the model file started), or an error
  // thrown by a timer or promise it started. The search thread would then wait at a barrier for this one forever (or, before this one
  // joined, go on without it). Stop the round instead, and report it as the search thread reports the same in its own thread (MC166).
  let thrown: { e: unknown } | null = null;
  const onThrown = (e: unknown): void => void (thrown ??= { e });
  const onExit = (code: number): void => {
    const e = thrown !== null ? strayModelError(thrown.e, 'an uncaught exception') : exitedModelError(code);
    const internal = thrown !== null && e === null ? (thrown.e instanceof Error ? (thrown.e.stack ?? thrown.e.message) : String(thrown.e)) : '';
    stopWorkers(new Int32Array(input.bufs.store.control), true);
    port.postMessage({ type: 'error', code: e?.code ?? null, message: e?.message ?? internal, ...(!joining ? { beforeJoin: true as const } : {}) } satisfies HelperMessage);
  };
  process.on('uncaughtExceptionMonitor', onThrown);
  process.on('exit', onExit);
  try {
    // The model prepared in advance, when it is the one searched and it built; else built now.
    const early = prepared !== null && prepared.key === specKey(input.spec) ? await prepared.built.catch(() => null) : null;
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
    joining = true;
    helperLoop(w);
    msg = { type: 'done' };
  } catch (e) {
    msg =
      e instanceof RoundAborted
        ? { type: 'aborted' }
        : { ...errorMessage(e), ...(isStateError(e) ? { atState: true as const } : {}), ...(!joining ? { beforeJoin: true as const } : {}) };
    // A model that loaded and built in the search thread but not here (it behaves differently from one thread to the next) stops the search as a failure in a round does: its error is the search's, not a search that quietly goes on without this helper.
    if (!joining) stopWorkers(new Int32Array(input.bufs.store.control), true);
  }
  process.off('exit', onExit);
  process.off('uncaughtExceptionMonitor', onThrown);
  // The search thread takes what this one printed while it waits for this report (`searchParallel`).
  await flushStdio();
  port.postMessage(msg);
}

/** A helper thread: with `port`, it talks through that port instead of its parent's (the parent is then not the thread that uses it). */
export function startHelper(port?: MessagePort): Worker {
  const data: HelperData = port ? { port } : {};
  return new Worker(workerBootstrapUrl(import.meta.url, 'bfsHelperMain'), { workerData: data, transferList: port ? [port] : [] });
}

/** A helper as the search thread uses it: a thread it started, or a port to one the main thread started. */
export interface HelperLink {
  post(m: HelperInput | HelperPrepare): void;
  /** The helper's one report (a thread that fails or ends without one: an error, or aborted). */
  report(): Promise<HelperMessage>;
  ref(): void;
  unref(): void;
  end(): void;
}

export function workerLink(w: Worker): HelperLink {
  // A failed start shows in `report`.
  w.on('error', () => {});
  return {
    post: (m) => w.postMessage(m),
    report: () =>
      new Promise<HelperMessage>((resolve) => {
        w.once('message', resolve);
        w.once('error', (e) => resolve({ type: 'error', code: null, message: e.stack ?? e.message }));
        w.once('exit', () => resolve({ type: 'aborted' }));
      }),
    ref: () => w.ref(),
    unref: () => w.unref(),
    end: () => void w.terminate(),
  };
}

function portLink(p: MessagePort): HelperLink {
  return {
    post: (m) => p.postMessage(m),
    report: () =>
      new Promise<HelperMessage>((resolve) => {
        p.once('message', resolve);
        // The helper's thread ended (or failed to start: the main thread, which started it, ends it with the search thread).
        p.once('close', () => resolve({ type: 'aborted' }));
      }),
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
 * ones not taken.
 */
export class HelperPool {
  private readonly idle: HelperLink[];

  constructor(ports: readonly MessagePort[]) {
    this.idle = ports.map(portLink);
    // An idle helper must not keep the search thread alive.
    for (const h of this.idle) h.unref();
  }

  /** The model to search is known: the idle helpers load and build it while the search thread does. */
  prepare(spec: SearchSpec): void {
    const m: HelperPrepare = { kind: 'mmcheck-bfs-prepare', spec };
    for (const h of this.idle) h.post(m);
  }

  take(): HelperLink | null {
    const h = this.idle.shift() ?? null;
    h?.ref();
    return h;
  }

  close(): void {
    for (const h of this.idle.splice(0)) h.end();
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
