import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import pLimit from 'p-limit';
import { buildModel } from '../model/build.ts';
import type { Params } from '../model/define.ts';
import { McError, isMcError } from '../model/errors.ts';
import { Runtime } from '../exec/runtime.ts';
import {
  SwarmControl,
  memberOptions,
  planWorkers,
  searchMember,
  swarmInline,
  swarmResult,
  type SwarmOptions,
  type SwarmResult,
  type WorkerOptions,
  type WorkerOutcome,
  type WorkerPlan,
} from '../search/swarm.ts';
import { loadResolvedModel } from './load.ts';
import { flushStdio } from './flush-stdio.ts';
import { workerBootstrapUrl } from './worker-bootstrap.ts';
import { exitedModelError, strayModelError } from './stray.ts';
import { onStopSignals, type StopSignal } from './signals.ts';

/**
 * Running a swarm (`src/search/swarm.ts`) in worker threads: a pool of
 * threads, each of which loads the model once (functions do not cross
 * threads) and runs the member plans it is sent, replying with each
 * outcome. The members share the swarm's control word through a
 * SharedArrayBuffer, so the winner does not depend on scheduling.
 */

/** What a worker needs to rebuild the model: functions do not cross threads, so it loads the model again. */
export interface SwarmSpec {
  /** A built-in model name or an absolute path to a model file. */
  readonly model: string;
  readonly variant: string | null;
  readonly params: Params;
}

interface WorkerInput {
  readonly kind: 'mmcheck-swarm';
  readonly spec: SwarmSpec;
  readonly options: WorkerOptions;
  readonly control: SharedArrayBuffer;
}

type WorkerReply = { ok: true; outcome: WorkerOutcome } | { ok: false; code: string | null; message: string };

async function runtimeFor(spec: SwarmSpec): Promise<Runtime> {
  return new Runtime(buildModel(await loadResolvedModel(spec.model), spec.variant, spec.params));
}

/**
 * Entry of a worker thread (called by the bootstrap): loads the model once,
 * then runs each plan it is sent and replies with the outcome, its
 * fingerprints transferred rather than copied.
 */
export function swarmWorkerMain(): void {
  if (isMainThread || !parentPort) throw new Error('swarmWorkerMain runs in a worker thread');
  const port = parentPort;
  const input = workerData as WorkerInput;
  const control = new Int32Array(input.control);
  let rt: Promise<Runtime> | null = null;
  port.on('message', async (plan: WorkerPlan) => {
    let reply: WorkerReply;
    try {
      rt ??= runtimeFor(input.spec);
      reply = { ok: true, outcome: searchMember(await rt, plan, input.options, control) };
    } catch (e) {
      reply = { ok: false, code: isMcError(e) ? e.code : null, message: isMcError(e) ? e.message : e instanceof Error ? e.stack ?? e.message : String(e) };
    }
    await flushStdio();
    port.postMessage(reply, reply.ok ? [reply.outcome.fingerprints.buffer as ArrayBuffer] : []);
  });
}

/**
 * At most `jobs` worker threads (p-limit bounds how many plans run at
 * once), each reused for the next plan so that the cost of starting a
 * thread and loading the model is paid once per thread, not per plan.
 */
class ThreadPool {
  private readonly idle: Worker[] = [];
  private readonly all: Worker[] = [];

  constructor(private readonly input: WorkerInput) {}

  async run(plan: WorkerPlan): Promise<WorkerOutcome> {
    const w = this.idle.pop() ?? this.spawn();
    const r = await request(w, plan);
    this.idle.push(w);
    return r;
  }

  async close(): Promise<void> {
    await Promise.all(this.all.map((w) => w.terminate()));
  }

  private spawn(): Worker {
    const w = new Worker(workerBootstrapUrl(import.meta.url, 'swarmWorkerMain'), { workerData: this.input });
    this.all.push(w);
    return w;
  }
}

function request(w: Worker, plan: WorkerPlan): Promise<WorkerOutcome> {
  return new Promise((resolve, reject) => {
    const cleanup = () => {
      w.off('message', onMessage);
      w.off('error', onError);
      w.off('exit', onExit);
    };
    const onMessage = (m: WorkerReply) => {
      cleanup();
      if (m.ok) resolve(m.outcome);
      else reject(m.code ? new McError(m.code, m.message) : new Error(`swarm worker ${plan.index}: ${m.message}`));
    };
    const onError = (e: Error) => {
      cleanup();
      reject(strayModelError(e, 'an uncaught exception') ?? e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(exitedModelError(code));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(plan);
  });
}

export const defaultSwarmOptions: SwarmOptions = Object.freeze({
  workers: 4,
  jobs: availableParallelism(),
  seed: '0',
  depth: 1000,
  maxBitstateLog2: 26,
  maxStates: Infinity,
  deadlock: null,
  liveness: true,
  fairness: 'weak',
  timeLimit: Infinity,
  coverageCap: 1 << 21,
  mode: 'threads',
  onWorkerDone: null,
});

/** Swarm options with the defaults filled in; `jobs` defaults to the number of CPUs. */
export function swarmOptions(options: Partial<SwarmOptions> = {}): SwarmOptions {
  return { ...defaultSwarmOptions, ...options };
}

/**
 * Stops the members through the control word when the time limit passes and,
 * with `signals`, on SIGINT or SIGTERM (remembering the first signal);
 * `done()` removes the timer and the handlers.
 */
function stopOn(sc: SwarmControl, timeLimit: number, signals: boolean): { interrupted: () => StopSignal | null; done: () => void } {
  const timer = Number.isFinite(timeLimit) ? setTimeout(() => sc.stop(), timeLimit * 1000) : null;
  let interrupted: StopSignal | null = null;
  const removeSignals = signals
    ? onStopSignals((signal) => {
        interrupted ??= signal;
        sc.stop('interrupted');
      })
    : () => {};
  return {
    interrupted: () => interrupted,
    done: () => {
      if (timer) clearTimeout(timer);
      removeSignals();
    },
  };
}

/**
 * Run a swarm in worker threads (or inline). With `signals`, SIGINT and
 * SIGTERM stop the members through the control word, as the time limit
 * does, and the result names the signal; the handlers are removed after.
 */
export async function swarm(spec: SwarmSpec, options: Partial<SwarmOptions> = {}, signals = false): Promise<SwarmResult & { interrupted: StopSignal | null }> {
  const o = swarmOptions(options);
  const t0 = Date.now();
  const plans = planWorkers(o.seed, o.workers, o.depth, o.maxBitstateLog2);
  const sc = new SwarmControl();
  const wopts = memberOptions(o, t0);
  const finished = (r: WorkerOutcome): WorkerOutcome => {
    sc.finished(r);
    o.onWorkerDone?.(r);
    return r;
  };
  const stops = stopOn(sc, o.timeLimit, signals);
  const input: WorkerInput = { kind: 'mmcheck-swarm', spec, options: wopts, control: sc.control.buffer as SharedArrayBuffer };
  let outcomes: WorkerOutcome[];
  try {
    if (o.mode === 'inline') outcomes = swarmInline(await runtimeFor(spec), plans, wopts, sc, o.onWorkerDone);
    else {
      const pool = new ThreadPool(input);
      const limit = pLimit(Math.max(1, o.jobs));
      try {
        const settled = await Promise.allSettled(
          plans.map((plan) =>
            limit(() =>
              pool.run(plan).then(finished, (e: unknown) => {
                sc.stop(); // one failed worker fails the swarm: stop the others
                throw e;
              }),
            ),
          ),
        );
        const failed = settled.find((x) => x.status === 'rejected');
        if (failed) throw (failed as PromiseRejectedResult).reason;
        outcomes = settled.map((x) => (x as PromiseFulfilledResult<WorkerOutcome>).value);
      } finally {
        await pool.close();
      }
    }
  } finally {
    stops.done();
  }
  return { ...swarmResult(o, plans, outcomes, sc, (Date.now() - t0) / 1000), interrupted: stops.interrupted() };
}

/** One member of a swarm run on its own (`check --swarm N --member I`): its plan and its outcome. */
export interface MemberRun {
  readonly plan: WorkerPlan;
  readonly outcome: WorkerOutcome;
  readonly interrupted: StopSignal | null;
}

/**
 * Member `index` of the swarm `options` describes, alone: the plan is the one
 * the whole swarm would give it (`planWorkers` over all N), and the member
 * runs in a worker thread with the same member options, so that it is the
 * search the in-process swarm runs for it. No other member shares its
 * control word, so it is never cancelled by another's bound: it runs to its
 * own end (a violation, its search done, max-states or the time limit,
 * counted from its own start). With `signals`, SIGINT and SIGTERM stop it
 * through the control word (a scheduler ending the job), and the outcome
 * names the signal.
 */
export async function swarmMember(spec: SwarmSpec, options: Partial<SwarmOptions>, index: number, signals = false): Promise<MemberRun> {
  const o = swarmOptions(options);
  if (!Number.isInteger(index) || index < 0 || index >= o.workers) throw new Error(`internal: member ${index} of a swarm of ${o.workers}`);
  const plan = planWorkers(o.seed, o.workers, o.depth, o.maxBitstateLog2)[index]!;
  const sc = new SwarmControl();
  const wopts = memberOptions(o, Date.now());
  const stops = stopOn(sc, o.timeLimit, signals);
  try {
    if (o.mode === 'inline') return { plan, outcome: sc.finished(searchMember(await runtimeFor(spec), plan, wopts, sc.control)), interrupted: stops.interrupted() };
    const pool = new ThreadPool({ kind: 'mmcheck-swarm', spec, options: wopts, control: sc.control.buffer as SharedArrayBuffer });
    try {
      const outcome = sc.finished(await pool.run(plan));
      return { plan, outcome, interrupted: stops.interrupted() };
    } finally {
      await pool.close();
    }
  } finally {
    stops.done();
  }
}
