import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { buildModel } from '../model/build.ts';
import { isMcError } from '../model/errors.ts';
import { Runtime } from '../exec/runtime.ts';
import { Symmetry } from '../reduce/symmetry.ts';
import { PartialOrder } from '../reduce/por.ts';
import { applyDeadVariables } from '../reduce/dead-vars.ts';
import { helperLoop } from '../search/parallel-explore.ts';
import { RoundAborted, RoundWorker, type ParallelBuffers } from '../search/parallel-round.ts';
import { builtinModels, loadModel } from './load.ts';
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
}

export type HelperMessage = { type: 'done' } | { type: 'aborted' } | { type: 'error'; code: string | null; message: string };

/** Entry of a helper thread (called by the bootstrap): its search arrives as a message (a thread may be started before the search is known). */
export function bfsHelperMain(): void {
  if (isMainThread || !parentPort) throw new Error('bfsHelperMain runs in a worker thread');
  const port = parentPort;
  port.once('message', (input: HelperInput) => void helperRun(port, input));
  // The model is loaded once the search is known; the built-in models' index can load meanwhile.
  if ((workerData as { warm?: boolean } | null)?.warm) void builtinModels().catch(() => {});
}

async function helperRun(port: NonNullable<typeof parentPort>, input: HelperInput): Promise<void> {
  let msg: HelperMessage;
  try {
    const built = buildModel(await loadModel(input.spec.model), input.spec.variant, input.spec.params);
    const rt = new Runtime(built);
    if (input.deadVars) applyDeadVariables(built, rt);
    const por = input.por ? new PartialOrder(built, { liveness: input.por.liveness }) : null;
    const w = new RoundWorker(-1, rt, input.symmetry ? new Symmetry(built, rt.layout) : null, input.bufs, input.deadlock ?? built.deadlock, por);
    helperLoop(w);
    msg = { type: 'done' };
  } catch (e) {
    msg =
      e instanceof RoundAborted
        ? { type: 'aborted' }
        : { type: 'error', code: isMcError(e) ? e.code : null, message: isMcError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e) };
  }
  port.postMessage(msg);
}

export function startHelper(warm: boolean): Worker {
  return new Worker(workerBootstrapUrl(import.meta.url, 'bfsHelperMain'), { workerData: { warm } });
}

/**
 * Helper threads started before the search is known (`check --workers N`
 * given explicitly: the search thread starts them as it starts itself), so
 * that their start-up (tsx, the engine, about 0.3 to 0.5 s) overlaps the
 * loading of the model instead of delaying the helpers' first round. The
 * search takes them (`take`) and starts any others it needs when its first
 * round is large enough to share; `close` ends the ones not taken.
 */
export class HelperPool {
  private readonly idle: Worker[];

  private constructor(n: number) {
    this.idle = Array.from({ length: n }, () => startHelper(true));
    // An idle helper must not keep its parent alive, nor fail it: a failed start shows when the search takes it.
    for (const w of this.idle) {
      w.unref();
      w.on('error', () => {});
    }
  }

  static start(n: number): HelperPool {
    return new HelperPool(n);
  }

  take(): Worker | null {
    const w = this.idle.shift() ?? null;
    w?.ref();
    return w;
  }

  close(): void {
    for (const w of this.idle.splice(0)) void w.terminate();
  }
}

