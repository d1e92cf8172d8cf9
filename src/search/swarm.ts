import { availableParallelism } from 'node:os';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import pLimit from 'p-limit';
import seedrandom from 'seedrandom';
import { buildModel } from '../model/build.ts';
import type { Fairness, Params } from '../model/define.ts';
import { McError, isMcError } from '../model/errors.ts';
import { hashWords } from '../layout/hash.ts';
import { loadModel } from '../cli/load.ts';
import { Runtime } from './runtime.ts';
import { CycleJudge, FingerprintSet, Path, fingerprint2 } from './simulate.ts';
import type { FoundViolation } from './types.ts';

/**
 * Swarm verification (`mmcheck check --swarm N`, after Holzmann, Joshi and
 * Groce's swarm): N small searches that differ in what makes partial
 * searches miss different parts of a state space (successor order, hash
 * functions, bitstate size, depth bound), run in parallel worker threads.
 * Each is a depth-first search over a bitstate visited set: a bit array with
 * k hash functions, so memory is fixed however large the model is, at the
 * price of skipping a state whose bits all collide with states seen before.
 *
 * Determinism. Worker i's plan and its whole run follow from the seed and i
 * alone. The reported violation is the one found with the fewest expanded
 * states, ties going to the lower worker index. When a worker reports one,
 * that count becomes a bound shared with every worker (a SharedArrayBuffer):
 * a worker stops as soon as it has expanded more states than the bound,
 * since it can no longer find a cheaper violation; a worker below the bound
 * runs on until it passes it. So the winner does not depend on scheduling,
 * CPU count or --swarm-jobs, at the price of the bounded extra work of the
 * slower workers. Only a time limit reached before every worker settled can
 * change the outcome (the result then says `settled: false`).
 *
 * Coverage: each worker records the 64-bit fingerprint of every state it
 * visits (up to a cap); the union is what the swarm saw. The size of the
 * reachable state space is estimated from the overlap of pairs of workers
 * (capture-recapture), or taken from a worker that completed its search.
 */

// ---- plans ----------------------------------------------------------------------

export interface WorkerPlan {
  readonly index: number;
  /** Seed of the successor order. */
  readonly seed: string;
  /** log2 of the bitstate size in bits. */
  readonly bitstateLog2: number;
  /** Hash functions per state (bit positions a + j*b, from two seeded hashes). */
  readonly k: number;
  readonly hashSeeds: readonly [number, number];
  /** States at this depth are checked but not expanded. */
  readonly depthBound: number;
}

/**
 * Depth bounds as fractions of the maximum: a shallow bound finds shallow
 * bugs sooner and with shorter traces; a deep one reaches what they cannot.
 */
const DEPTH_FRACTIONS = [1, 1 / 2, 1 / 5, 1 / 10, 1 / 20];
const MIN_DEPTH_BOUND = 20;

/**
 * The plan of each worker. Worker i's plan depends only on (seed, i), so a
 * swarm of 8 contains the 4 workers of the swarm of 4 with the same seed.
 * Worker 0 searches to the full depth bound with the largest bitstate.
 */
export function planWorkers(seed: string, count: number, maxDepth: number, maxBitstateLog2 = 26): WorkerPlan[] {
  const plans: WorkerPlan[] = [];
  for (let i = 0; i < count; i++) {
    const rng = seedrandom.alea(`${seed}/plan/${i}`);
    const lo = Math.max(16, maxBitstateLog2 - 6);
    const bitstateLog2 = i === 0 ? maxBitstateLog2 : lo + Math.floor(rng() * (maxBitstateLog2 - lo + 1));
    const k = 2 + Math.floor(rng() * 2);
    const hashSeeds: [number, number] = [Math.floor(rng() * 2 ** 32) >>> 0, Math.floor(rng() * 2 ** 32) >>> 0];
    const frac = i === 0 ? 1 : DEPTH_FRACTIONS[Math.floor(rng() * DEPTH_FRACTIONS.length)]!;
    const depthBound = Math.max(Math.min(MIN_DEPTH_BOUND, maxDepth), Math.round(maxDepth * frac));
    plans.push({ index: i, seed: `${seed}/${i}`, bitstateLog2, k, hashSeeds, depthBound });
  }
  return plans;
}

// ---- one worker's search ------------------------------------------------------------

/** A bit array with k hash functions (Kirsch-Mitzenmacher: positions a + j*b). */
class Bitstate {
  readonly bits: Uint8Array;
  /** Bits set so far (counted as they are set: the fill ratio costs no scan). */
  ones = 0;
  private readonly mask: number;

  constructor(
    log2: number,
    private readonly k: number,
    private readonly seeds: readonly [number, number],
    private readonly words: number,
  ) {
    this.bits = new Uint8Array(1 << Math.max(0, log2 - 3));
    this.mask = this.bits.length * 8 - 1;
  }

  /** Set the state's bits; true if all of them were set already (seen before, or a collision). */
  testAndSet(buf: Uint32Array, off: number): boolean {
    const a = hashWords(buf, off, this.words, this.seeds[0]);
    const b = hashWords(buf, off, this.words, this.seeds[1]) | 1;
    let seen = true;
    for (let j = 0; j < this.k; j++) {
      const x = (a + Math.imul(j, b)) & this.mask;
      const byte = x >>> 3;
      const bit = 1 << (x & 7);
      if ((this.bits[byte]! & bit) === 0) {
        seen = false;
        this.bits[byte] = this.bits[byte]! | bit;
        this.ones++;
      }
    }
    return seen;
  }

  /** Fraction of bits set. */
  fill(): number {
    return this.ones / (this.bits.length * 8);
  }
}

/** A flat growable list of fingerprint pairs, up to a cap. */
class PairList {
  a = new Uint32Array(2048);
  n = 0;
  capped = false;
  constructor(private readonly cap: number) {}
  add(h1: number, h2: number): void {
    if (this.n >= this.cap) {
      this.capped = true;
      return;
    }
    if (2 * this.n === this.a.length) {
      const b = new Uint32Array(this.a.length * 2);
      b.set(this.a);
      this.a = b;
    }
    this.a[2 * this.n] = h1;
    this.a[2 * this.n + 1] = h2;
    this.n++;
  }
}

/**
 * The successors of every state on the DFS stack, in the order they are
 * tried: frame `pos` owns entries fBase[pos] .. fBase[pos]+fCount[pos], and
 * fNext[pos] is the next one to try. Popping a frame frees its entries.
 */
class Frames {
  words: Uint32Array;
  thread: Int32Array;
  step: Int32Array;
  choice: Int32Array;
  progress: Uint8Array;
  top = 0;
  fBase = new Int32Array(256);
  fCount = new Int32Array(256);
  fNext = new Int32Array(256);
  private cap = 1024;

  constructor(private readonly W: number) {
    this.words = new Uint32Array(this.cap * W);
    this.thread = new Int32Array(this.cap);
    this.step = new Int32Array(this.cap);
    this.choice = new Int32Array(this.cap);
    this.progress = new Uint8Array(this.cap);
  }

  /** Push the n successors in rt.succ* as frame pos, in the order perm[0..n). */
  push(pos: number, rt: Runtime, n: number, perm: Int32Array): void {
    const W = this.W;
    while (this.top + n > this.cap) this.growEntries();
    if (pos >= this.fBase.length) this.growFrames();
    const base = this.top;
    for (let k = 0; k < n; k++) {
      const i = perm[k]!;
      const d = base + k;
      this.words.set(rt.succ.subarray(i * W, (i + 1) * W), d * W);
      this.thread[d] = rt.succThread[i]!;
      this.step[d] = rt.succStep[i]!;
      this.choice[d] = rt.succChoice[i]!;
      this.progress[d] = rt.succProgress[i]!;
    }
    this.fBase[pos] = base;
    this.fCount[pos] = n;
    this.fNext[pos] = 0;
    this.top = base + n;
  }

  pop(pos: number): void {
    this.top = this.fBase[pos]!;
  }

  private growEntries(): void {
    const cap = this.cap * 2;
    const g = <T extends Uint32Array | Int32Array | Uint8Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.words = g(this.words, cap * this.W);
    this.thread = g(this.thread, cap);
    this.step = g(this.step, cap);
    this.choice = g(this.choice, cap);
    this.progress = g(this.progress, cap);
    this.cap = cap;
  }

  private growFrames(): void {
    const g = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2);
      b.set(a);
      return b;
    };
    this.fBase = g(this.fBase);
    this.fCount = g(this.fCount);
    this.fNext = g(this.fNext);
  }
}

export interface WorkerOptions {
  readonly deadlock: boolean | null;
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** New states per worker at most. */
  readonly maxStates: number;
  /** Absolute time (Date.now() milliseconds) when the worker gives up. */
  readonly deadline: number;
  /** Fingerprints recorded for coverage at most. */
  readonly coverageCap: number;
}

export type WorkerStatus = 'violation' | 'done' | 'max-states' | 'cancelled' | 'time-limit';

export interface WorkerOutcome {
  readonly index: number;
  status: WorkerStatus;
  violation: FoundViolation | null;
  /** States expanded when the violation was found (what orders violations), or -1. */
  cost: number;
  expanded: number;
  /** Distinct states the worker visited (its bitstate said new). */
  states: number;
  transitions: number;
  maxDepth: number;
  /** States at the depth bound, checked but not expanded. */
  depthCut: number;
  /** Cycles the DFS closed on its stack and judged. */
  cycles: number;
  bitstateFill: number;
  seconds: number;
  /** Flat [h1, h2, ...] fingerprints of the states visited (first coverageCap of them). */
  fingerprints: Uint32Array;
  fingerprintsCapped: boolean;
}

/** Control words shared with workers. */
const BOUND = 0;
const STOP = 1;
const NO_BOUND = 0x7fffffff;

/**
 * One worker: DFS over a bitstate visited set with shuffled successor order,
 * checking invariants on new states, assertions and deadlock on expanded
 * states, and judging every cycle that closes on the DFS stack as the
 * simulator does. `control` (may be null) carries the swarm's bound and stop
 * flag; it is read every 256 iterations and never changes what the search
 * does before it stops.
 */
export function bitstateSearch(rt: Runtime, plan: WorkerPlan, o: WorkerOptions, control: Int32Array | null): WorkerOutcome {
  const t0 = Date.now();
  const W = rt.words;
  const model = rt.model;
  const deadlockOn = o.deadlock ?? model.deadlock;
  const liveness = o.liveness && model.hasProgress;
  const hasInv = model.invariants.length > 0;
  const rng = seedrandom.alea(plan.seed);
  const visited = new Bitstate(plan.bitstateLog2, plan.k, plan.hashSeeds, W);
  const path = new Path(W, rt.threads);
  const frames = new Frames(W);
  const judge = new CycleJudge(rt, o.fairness, path.maskWords);
  const fps = new PairList(o.coverageCap);
  let perm = new Int32Array(64);
  const out: WorkerOutcome = {
    index: plan.index,
    status: 'done',
    violation: null,
    cost: -1,
    expanded: 0,
    states: 0,
    transitions: 0,
    maxDepth: 0,
    depthCut: 0,
    cycles: 0,
    bitstateFill: 0,
    seconds: 0,
    fingerprints: new Uint32Array(0),
    fingerprintsCapped: false,
  };
  const found = (v: FoundViolation) => {
    out.status = 'violation';
    out.violation = v;
    out.cost = out.expanded;
  };

  /** Expand the top of the stack into a new frame; false when that finds a violation. */
  const expandTop = (): boolean => {
    const top = path.len - 1;
    const off = top * W;
    const n = rt.expand(path.states, off);
    out.expanded++;
    if (top > out.maxDepth) out.maxDepth = top;
    if (n < 0) {
      found({ kind: 'assertion', property: rt.failProperty, steps: [...path.steps(top), { thread: rt.failThread, step: rt.failStep, choice: rt.failChoice }] });
      return false;
    }
    if (n === 0 && deadlockOn && !rt.allEnded(path.states, off)) {
      found({ kind: 'deadlock', property: 'deadlock', steps: path.steps(top) });
      return false;
    }
    out.transitions += n;
    path.setEnabled(top, rt.succThread, n);
    if (perm.length < n) perm = new Int32Array(n * 2);
    for (let i = 0; i < n; i++) perm[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(rng() * (i + 1));
      const x = perm[i]!;
      perm[i] = perm[j]!;
      perm[j] = x;
    }
    frames.push(top, rt, n, perm);
    return true;
  };

  const init = rt.initial();
  visited.testAndSet(init, 0);
  out.states = 1;
  const h0 = rt.hash(init, 0);
  fps.add(h0, fingerprint2(init, 0, W));
  const inv0 = hasInv ? rt.checkInvariants(init, 0) : -1;
  if (inv0 >= 0) found({ kind: 'invariant', property: model.invariants[inv0]!.name, steps: [] });
  else {
    path.push(init, 0, h0);
    let ticks = 0;
    if (expandTop())
      while (path.len > 0) {
        if ((++ticks & 255) === 0) {
          if (control !== null && Atomics.load(control, STOP) !== 0) {
            out.status = 'time-limit';
            break;
          }
          if (control !== null && out.expanded > Atomics.load(control, BOUND)) {
            out.status = 'cancelled';
            break;
          }
          if (Date.now() > o.deadline) {
            out.status = 'time-limit';
            break;
          }
        }
        const top = path.len - 1;
        if (frames.fNext[top]! >= frames.fCount[top]!) {
          frames.pop(top);
          path.pop();
          continue;
        }
        const j = frames.fBase[top]! + frames.fNext[top]!++;
        path.setStep(top, frames.thread[j]!, frames.step[j]!, frames.choice[j]!, frames.progress[j]!);
        const sw = frames.words;
        const so = j * W;
        if (visited.testAndSet(sw, so)) {
          // Seen before (or a collision). On the stack, it closes a cycle.
          if (liveness) {
            const p = path.find(sw, so, rt.hash(sw, so));
            if (p >= 0) {
              out.cycles++;
              if (judge.judge(path, p)) {
                found(judge.found!);
                break;
              }
            }
          }
          continue;
        }
        out.states++;
        const h = rt.hash(sw, so);
        fps.add(h, fingerprint2(sw, so, W));
        if (hasInv) {
          const v = rt.checkInvariants(sw, so);
          if (v >= 0) {
            found({ kind: 'invariant', property: model.invariants[v]!.name, steps: path.steps(top + 1) });
            break;
          }
        }
        if (out.states >= o.maxStates) {
          out.status = 'max-states';
          break;
        }
        if (top + 1 >= plan.depthBound) {
          out.depthCut++;
          continue;
        }
        path.push(sw, so, h);
        if (!expandTop()) break;
      }
  }
  out.bitstateFill = visited.fill();
  out.fingerprints = fps.a.slice(0, 2 * fps.n);
  out.fingerprintsCapped = fps.capped;
  out.seconds = (Date.now() - t0) / 1000;
  return out;
}

// ---- running workers in threads -----------------------------------------------------

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

/**
 * Worker threads do not inherit the tsx loader, and in Node 20 `--import tsx`
 * in a worker's execArgv is not applied to its entry module. So each worker
 * starts from this tiny ES module (a data: URL, nothing on disk), which
 * registers tsx's ESM and CommonJS hooks through their APIs by absolute URL
 * and only then imports this file.
 */
function bootstrapUrl(): URL {
  const esm = import.meta.resolve('tsx/esm/api');
  const cjs = import.meta.resolve('tsx/cjs/api');
  const src = [
    `const esm = await import(${JSON.stringify(esm)}); esm.register();`,
    `const cjs = await import(${JSON.stringify(cjs)}); cjs.register();`,
    `const m = await import(${JSON.stringify(import.meta.url)});`,
    `m.swarmWorkerMain();`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}

async function runtimeFor(spec: SwarmSpec): Promise<Runtime> {
  return new Runtime(buildModel(await loadModel(spec.model), spec.variant, spec.params));
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
      reply = { ok: true, outcome: bitstateSearch(await rt, plan, input.options, control) };
    } catch (e) {
      reply = { ok: false, code: isMcError(e) ? e.code : null, message: isMcError(e) ? e.message : e instanceof Error ? e.stack ?? e.message : String(e) };
    }
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
    const w = new Worker(bootstrapUrl(), { workerData: this.input });
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
      reject(e);
    };
    const onExit = (code: number) => {
      cleanup();
      reject(new Error(`swarm worker ${plan.index}: its thread exited with code ${code} before reporting`));
    };
    w.on('message', onMessage);
    w.on('error', onError);
    w.on('exit', onExit);
    w.postMessage(plan);
  });
}

// ---- the swarm ----------------------------------------------------------------------

export interface SwarmOptions {
  readonly workers: number;
  /** Workers running at once (default: the number of CPUs). */
  readonly jobs: number;
  readonly seed: string;
  /** Depth bound of worker 0; the others use fractions of it. */
  readonly depth: number;
  readonly maxBitstateLog2: number;
  /** New states per worker at most. */
  readonly maxStates: number;
  readonly deadlock: boolean | null;
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** Seconds for the whole swarm; Infinity for none. */
  readonly timeLimit: number;
  readonly coverageCap: number;
  /** 'threads' (default) or 'inline': the same workers one after another in this thread (for debugging; same result). */
  readonly mode: 'threads' | 'inline';
  /** Called as each worker ends, in the order they end. */
  readonly onWorkerDone: ((w: WorkerOutcome) => void) | null;
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

export interface Coverage {
  /** Distinct states seen by any worker (union of fingerprints; a lower bound when some worker's list was capped). */
  distinct: number;
  capped: boolean;
  /** Estimated number of reachable states, or null when it cannot be estimated. */
  estimate: number | null;
  /** How: a worker completed its search (up to bitstate collisions), or capture-recapture over pairs of workers. */
  method: 'complete-search' | 'capture-recapture' | null;
  /** distinct / estimate. */
  share: number | null;
}

export interface WorkerSummary {
  readonly index: number;
  readonly plan: WorkerPlan;
  readonly status: WorkerStatus;
  readonly states: number;
  readonly expanded: number;
  readonly transitions: number;
  readonly maxDepth: number;
  readonly depthCut: number;
  readonly cycles: number;
  readonly bitstateFill: number;
  readonly seconds: number;
  readonly violation: { kind: string; property: string; length: number; cost: number } | null;
}

export interface SwarmResult {
  readonly seed: string;
  readonly violation: FoundViolation | null;
  /** The worker whose violation is reported. */
  readonly winner: number | null;
  readonly workers: readonly WorkerSummary[];
  readonly coverage: Coverage;
  /** Every worker ended on its own or passed the bound: the result is the same on every run with this seed. */
  readonly settled: boolean;
  readonly seconds: number;
  readonly fairness: Fairness | null;
}

const better = (a: WorkerOutcome, b: WorkerOutcome | null) => b === null || a.cost < b.cost || (a.cost === b.cost && a.index < b.index);

export async function swarm(spec: SwarmSpec, options: Partial<SwarmOptions> = {}): Promise<SwarmResult> {
  const o: SwarmOptions = { ...defaultSwarmOptions, ...options };
  const t0 = Date.now();
  const plans = planWorkers(o.seed, o.workers, o.depth, o.maxBitstateLog2);
  const control = new Int32Array(new SharedArrayBuffer(8));
  control[BOUND] = NO_BOUND;
  const wopts: WorkerOptions = {
    deadlock: o.deadlock,
    liveness: o.liveness,
    fairness: o.fairness,
    maxStates: o.maxStates,
    deadline: Number.isFinite(o.timeLimit) ? t0 + o.timeLimit * 1000 : Number.MAX_SAFE_INTEGER,
    coverageCap: o.coverageCap,
  };
  let best: WorkerOutcome | null = null;
  const finished = (r: WorkerOutcome): WorkerOutcome => {
    if (r.violation && better(r, best)) {
      best = r;
      Atomics.store(control, BOUND, Math.min(r.cost, NO_BOUND));
    }
    o.onWorkerDone?.(r);
    return r;
  };
  const timer = Number.isFinite(o.timeLimit) ? setTimeout(() => Atomics.store(control, STOP, 1), o.timeLimit * 1000) : null;
  const input: WorkerInput = { kind: 'mmcheck-swarm', spec, options: wopts, control: control.buffer as SharedArrayBuffer };
  let outcomes: WorkerOutcome[];
  try {
    if (o.mode === 'inline') {
      const rt = await runtimeFor(spec);
      outcomes = plans.map((plan) => finished(bitstateSearch(rt, plan, wopts, control)));
    } else {
      const pool = new ThreadPool(input);
      const limit = pLimit(Math.max(1, o.jobs));
      try {
        const settled = await Promise.allSettled(
          plans.map((plan) =>
            limit(() =>
              pool.run(plan).then(finished, (e: unknown) => {
                Atomics.store(control, STOP, 1); // one failed worker fails the swarm: stop the others
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
    if (timer) clearTimeout(timer);
  }
  const winner = best as WorkerOutcome | null;
  return {
    seed: o.seed,
    violation: winner?.violation ?? null,
    winner: winner?.index ?? null,
    workers: outcomes.map((r) => summary(r, plans[r.index]!)),
    coverage: coverage(outcomes),
    settled: outcomes.every((r) => r.status !== 'time-limit'),
    seconds: (Date.now() - t0) / 1000,
    fairness: o.liveness ? o.fairness : null,
  };
}

function summary(r: WorkerOutcome, plan: WorkerPlan): WorkerSummary {
  return {
    index: r.index,
    plan,
    status: r.status,
    states: r.states,
    expanded: r.expanded,
    transitions: r.transitions,
    maxDepth: r.maxDepth,
    depthCut: r.depthCut,
    cycles: r.cycles,
    bitstateFill: r.bitstateFill,
    seconds: r.seconds,
    violation: r.violation ? { kind: r.violation.kind, property: r.violation.property, length: r.violation.steps.length, cost: r.cost } : null,
  };
}

/**
 * The union of the workers' fingerprints, and an estimate of the reachable
 * state count. A worker whose DFS ran to completion with nothing cut at its
 * depth bound saw every reachable state except those its bitstate skipped
 * on a collision: its count is taken as the size. Otherwise the
 * Lincoln-Petersen estimate (Chapman's form, (n1+1)(n2+1)/(m+1) - 1) over
 * the pairs of workers (0,1), (2,3), ...: the median. It assumes the two
 * samples are independent; searches that all start from the initial state
 * overlap more than that, so it tends to underestimate the state space (and
 * overstate the share covered). It is reported as an estimate.
 */
function coverage(outs: readonly WorkerOutcome[]): Coverage {
  const total = outs.reduce((s, r) => s + r.fingerprints.length / 2, 0);
  const union = new FingerprintSet(Infinity, Math.max(1024, total * 2));
  for (const r of outs) union.addAll(r.fingerprints);
  const capped = outs.some((r) => r.fingerprintsCapped);
  let estimate: number | null = null;
  let method: Coverage['method'] = null;
  const complete = outs.filter((r) => r.status === 'done' && r.depthCut === 0);
  if (complete.length) {
    estimate = Math.max(union.count, ...complete.map((r) => r.states));
    method = 'complete-search';
  } else {
    const ests: number[] = [];
    for (let i = 0; i + 1 < outs.length; i += 2) {
      const a = outs[i]!;
      const b = outs[i + 1]!;
      if (a.fingerprintsCapped || b.fingerprintsCapped) continue;
      const n1 = a.fingerprints.length / 2;
      const n2 = b.fingerprints.length / 2;
      if (n1 === 0 || n2 === 0) continue;
      const setA = new FingerprintSet(Infinity, n1 * 2);
      setA.addAll(a.fingerprints);
      let m = 0;
      for (let j = 0; j < n2; j++) if (setA.has(b.fingerprints[2 * j]!, b.fingerprints[2 * j + 1]!)) m++;
      if (m > 0) ests.push(((n1 + 1) * (n2 + 1)) / (m + 1) - 1);
    }
    if (ests.length) {
      ests.sort((x, y) => x - y);
      const mid = ests.length >> 1;
      const med = ests.length % 2 ? ests[mid]! : (ests[mid - 1]! + ests[mid]!) / 2;
      estimate = Math.max(union.count, Math.round(med));
      method = 'capture-recapture';
    }
  }
  return { distinct: union.count, capped, estimate, method, share: estimate ? union.count / estimate : null };
}
