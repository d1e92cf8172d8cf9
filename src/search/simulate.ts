import seedrandom from 'seedrandom';
import type { BuiltModel } from '../model/build.ts';
import type { Fairness } from '../model/define.ts';
import { hashWords } from '../layout/hash.ts';
import { Runtime } from '../exec/runtime.ts';
import { judgeCycle } from '../exec/fairness.ts';
import type { FoundViolation, PathStep } from './types.ts';

/**
 * Random simulation (`mmcheck simulate`): independent random walks from the
 * initial state, each checking invariants, assertions, deadlock and (on the
 * cycles it closes) fair non-progress cycles on the fly. Nothing is stored
 * per state beyond the current walk and a fingerprint set that only counts
 * distinct states, so it runs on models whose state space does not fit.
 *
 * Also the building blocks the swarm's bitstate DFS shares with it: the
 * path of a walk / DFS stack (`Path`), the judge of the cycle a path closes
 * (`CycleJudge`), the 64-bit state fingerprints (`fingerprint2`) and a set of
 * them (`FingerprintSet`).
 *
 * Reproducibility: walk k draws from its own generator, seeded with
 * `${seed}:${k}` (seedrandom's Alea: pure double arithmetic, the same on
 * every machine), so a walk does not depend on how many walks ran before it,
 * on timing, or on the time limit; only on the seed, the walk index, the
 * model and the options.
 */

// ---- fingerprints -----------------------------------------------------------

/**
 * Seed of the second half of a state fingerprint; the first half is
 * Runtime.hash (hashWords' default seed). Fixed, so fingerprints of the same
 * state agree across walks, workers and machines.
 */
const FP_SEED2 = 0x2545f491;

/** Second 32 bits of a state's 64-bit fingerprint (the first is rt.hash). */
export function fingerprint2(buf: Uint32Array, off: number, words: number): number {
  // Never 0: a slot of FingerprintSet with a zero second word is empty.
  return (hashWords(buf, off, words, FP_SEED2) | 1) >>> 0;
}

/**
 * A set of 64-bit state fingerprints (open addressing, linear probing, two
 * words per slot), used to count distinct states without storing them.
 * Two distinct states share a fingerprint with probability about n²/2^64.
 * Stops growing at `maxEntries` (then `full` is set and counts are lower
 * bounds) so that counting never costs more memory than the caller allows.
 */
export class FingerprintSet {
  count = 0;
  full = false;
  private t: Uint32Array;
  private mask: number;
  readonly maxEntries: number;

  constructor(maxEntries = 1 << 22, initialSlots = 1 << 10) {
    this.maxEntries = maxEntries;
    let cap = 16;
    while (cap < initialSlots) cap *= 2;
    this.t = new Uint32Array(cap * 2);
    this.mask = cap - 1;
  }

  /** Add a fingerprint (h1 any 32 bits, h2 from fingerprint2: never 0). True if it was new. */
  add(h1: number, h2: number): boolean {
    const a = h1 >>> 0;
    const t = this.t;
    let i = a & this.mask;
    for (;;) {
      const b = t[2 * i + 1]!;
      if (b === 0) break;
      if (b === h2 && t[2 * i] === a) return false;
      i = (i + 1) & this.mask;
    }
    if (this.count >= this.maxEntries) {
      this.full = true;
      return false;
    }
    t[2 * i] = a;
    t[2 * i + 1] = h2;
    if (++this.count * 2 > this.mask + 1) this.grow();
    return true;
  }

  has(h1: number, h2: number): boolean {
    const a = h1 >>> 0;
    const t = this.t;
    for (let i = a & this.mask; ; i = (i + 1) & this.mask) {
      const b = t[2 * i + 1]!;
      if (b === 0) return false;
      if (b === h2 && t[2 * i] === a) return true;
    }
  }

  /** Add every pair of a flat [h1, h2, h1, h2, ...] list; returns how many were new. */
  addAll(pairs: Uint32Array, n = pairs.length >>> 1): number {
    let added = 0;
    for (let i = 0; i < n; i++) if (this.add(pairs[2 * i]!, pairs[2 * i + 1]!)) added++;
    return added;
  }

  bytes(): number {
    return this.t.byteLength;
  }

  private grow(): void {
    const old = this.t;
    const cap = (this.mask + 1) * 2;
    this.t = new Uint32Array(cap * 2);
    this.mask = cap - 1;
    for (let j = 0; j < old.length; j += 2) {
      const b = old[j + 1]!;
      if (b === 0) continue;
      let i = old[j]! & this.mask;
      while (this.t[2 * i + 1] !== 0) i = (i + 1) & this.mask;
      this.t[2 * i] = old[j]!;
      this.t[2 * i + 1] = b;
    }
  }
}

// ---- the path of a walk or of a DFS stack ------------------------------------

/**
 * A path of packed states s0, s1, ..., with per position the transition
 * taken from it (thread, step, choice, progress) and the threads enabled in
 * it (a bit mask of ceil(T/32) words: what fairness judging needs, recorded
 * when the state is expanded so that judging a cycle costs no re-expansion).
 *
 * An index from state to position finds the cycle a new transition closes.
 * It is chained per hash bucket with the most recent position at the head;
 * since positions only come and go at the top (a walk erases the loop it
 * closed, a DFS pops), removal is O(1). Everything lives in typed arrays
 * that grow by doubling; nothing is allocated per state.
 */
export class Path {
  readonly words: number;
  /** Words per enabled-thread mask. */
  readonly maskWords: number;
  len = 0;
  states: Uint32Array;
  hashes: Int32Array;
  thread: Int32Array;
  step: Int32Array;
  choice: Int32Array;
  progress: Uint8Array;
  enabled: Uint32Array;
  private chain: Int32Array;
  private buckets: Int32Array;
  private bmask: number;
  private cap: number;

  constructor(words: number, threads: number, initialCap = 256) {
    this.words = words;
    this.maskWords = Math.max(1, (threads + 31) >>> 5);
    this.cap = initialCap;
    this.states = new Uint32Array(initialCap * words);
    this.hashes = new Int32Array(initialCap);
    this.thread = new Int32Array(initialCap);
    this.step = new Int32Array(initialCap);
    this.choice = new Int32Array(initialCap);
    this.progress = new Uint8Array(initialCap);
    this.enabled = new Uint32Array(initialCap * this.maskWords);
    this.chain = new Int32Array(initialCap);
    this.buckets = new Int32Array(initialCap * 2).fill(-1);
    this.bmask = initialCap * 2 - 1;
  }

  /** Append the state at src[off..]; returns its position. */
  push(src: Uint32Array, off: number, hash: number): number {
    if (this.len === this.cap) this.grow();
    const pos = this.len++;
    const W = this.words;
    const o = pos * W;
    for (let k = 0; k < W; k++) this.states[o + k] = src[off + k]!;
    this.hashes[pos] = hash;
    const b = hash & this.bmask;
    this.chain[pos] = this.buckets[b]!;
    this.buckets[b] = pos;
    return pos;
  }

  /** Remove the top state. */
  pop(): void {
    const pos = --this.len;
    // The top position is the head of its bucket's chain: positions enter in increasing order.
    this.buckets[this.hashes[pos]! & this.bmask] = this.chain[pos]!;
  }

  /** Pop until `len` states remain. */
  truncate(len: number): void {
    while (this.len > len) this.pop();
  }

  clear(): void {
    this.truncate(0);
  }

  /** Position of the state at src[off..] on the path, or -1. */
  find(src: Uint32Array, off: number, hash: number): number {
    const W = this.words;
    for (let pos = this.buckets[hash & this.bmask]!; pos >= 0; pos = this.chain[pos]!) {
      if (this.hashes[pos] !== hash) continue;
      const o = pos * W;
      let k = 0;
      while (k < W && this.states[o + k] === src[off + k]) k++;
      if (k === W) return pos;
    }
    return -1;
  }

  /** Record the transition taken from position pos. */
  setStep(pos: number, thread: number, step: number, choice: number, progress: number): void {
    this.thread[pos] = thread;
    this.step[pos] = step;
    this.choice[pos] = choice;
    this.progress[pos] = progress;
  }

  /** Record which threads are enabled at pos, from the thread column of an expansion. */
  setEnabled(pos: number, succThread: Int32Array, n: number): void {
    const E = this.maskWords;
    const o = pos * E;
    for (let w = 0; w < E; w++) this.enabled[o + w] = 0;
    for (let i = 0; i < n; i++) {
      const t = succThread[i]!;
      this.enabled[o + (t >>> 5)] |= 1 << (t & 31);
    }
  }

  /** The transitions taken from positions 0..count-1, as a counterexample's steps. */
  steps(count: number): PathStep[] {
    const out: PathStep[] = [];
    for (let i = 0; i < count; i++) out.push({ thread: this.thread[i]!, step: this.step[i]!, choice: this.choice[i]! });
    return out;
  }

  bytes(): number {
    return this.states.byteLength + this.enabled.byteLength + this.cap * 25 + this.buckets.byteLength;
  }

  private grow(): void {
    const cap = this.cap * 2;
    const W = this.words;
    const E = this.maskWords;
    const g = <T extends Uint32Array | Int32Array | Uint8Array>(a: T, n: number): T => {
      const b = new (a.constructor as new (n: number) => T)(n);
      b.set(a);
      return b;
    };
    this.states = g(this.states, cap * W);
    this.hashes = g(this.hashes, cap);
    this.thread = g(this.thread, cap);
    this.step = g(this.step, cap);
    this.choice = g(this.choice, cap);
    this.progress = g(this.progress, cap);
    this.enabled = g(this.enabled, cap * E);
    this.chain = new Int32Array(cap);
    this.buckets = new Int32Array(cap * 2).fill(-1);
    this.bmask = cap * 2 - 1;
    this.cap = cap;
    // Re-chain in increasing position order, so each bucket's head is again its highest position.
    for (let pos = 0; pos < this.len; pos++) {
      const b = this.hashes[pos]! & this.bmask;
      this.chain[pos] = this.buckets[b]!;
      this.buckets[b] = pos;
    }
  }
}

// ---- judging the cycle a path closes -----------------------------------------

/**
 * Why a candidate cycle was not reported: some thread is treated unfairly on
 * it; it makes progress (for every thread that could starve on it); every
 * thread with progress labels is finished on it.
 */
export type CycleReject = 'unfair' | 'progress' | 'finished' | null;

/** A transition from the state at path position `from` to the state at position `to`, off the path's own steps. */
interface Detour {
  from: number;
  to: number;
  step: PathStep;
}

/**
 * Decides whether the cycle path[p..top], closed by the transition recorded
 * at top, is a livelock, with the exhaustive search's semantics (README,
 * Semantics): no progress transition on it, fair under the chosen fairness,
 * and some thread that declares progress unfinished on it; otherwise, for
 * starvation, a fair cycle on which one unfinished thread with progress
 * labels never makes progress while others may.
 *
 * The simple cycle a walk or a DFS closes is often unfair only because
 * another thread that spins too (a trylock that fails, a retry) never moves
 * on it: two threads each looping on the same state make two unfair
 * self-loops, and only their combination is the fair livelock. So a cycle
 * that is unfair is repaired where it can be: for each thread that must move
 * and does not, a transition of that thread from a state of the cycle back
 * into the cycle (not progress) gives a second closed walk through p; the
 * cycle followed by these detours is judged again. It visits no new state, so
 * the enabled sets do not change and every obligation is met.
 *
 * The fast test uses the enabled masks recorded on the path. A cycle about
 * to be reported is re-executed step by step and confirmed with fairness.ts's
 * judgeCycle, the definition replay uses (rare, so its allocations do not
 * matter); a disagreement is an internal error.
 */
export class CycleJudge {
  reason: CycleReject = null;
  /** The accepted counterexample, after judge() returned true. */
  found: FoundViolation | null = null;
  private readonly moved: Uint32Array;
  private readonly always: Uint32Array;
  private readonly some: Uint32Array;
  private readonly progressBy: Uint32Array;
  /** Threads that declare progress, in index order. */
  private readonly progressThreads: Int32Array;
  private readonly W: number;

  constructor(
    private readonly rt: Runtime,
    private readonly fairness: Fairness,
    maskWords: number,
  ) {
    this.W = rt.words;
    this.moved = new Uint32Array(maskWords);
    this.always = new Uint32Array(maskWords);
    this.some = new Uint32Array(maskWords);
    this.progressBy = new Uint32Array(maskWords);
    this.progressThreads = Int32Array.from(rt.model.threads.filter((t) => t.template.hasProgress).map((t) => t.index));
  }

  /** True when the cycle from position p to the top of the path (and back to p) is to be reported; see `found`. */
  judge(path: Path, p: number): boolean {
    const E = path.maskWords;
    const top = path.len - 1;
    const { moved, always, some, progressBy } = this;
    moved.fill(0);
    some.fill(0);
    progressBy.fill(0);
    always.fill(0xffffffff);
    let anyProgress = false;
    for (let pos = p; pos <= top; pos++) {
      const t = path.thread[pos]!;
      moved[t >>> 5] |= 1 << (t & 31);
      if (path.progress[pos] === 1) {
        anyProgress = true;
        progressBy[t >>> 5] |= 1 << (t & 31);
      }
      const o = pos * E;
      for (let w = 0; w < E; w++) {
        always[w] &= path.enabled[o + w]!;
        some[w] |= path.enabled[o + w]!;
      }
    }
    // A livelock first, then starvation thread by thread, as the exhaustive search reports them.
    const pts = this.progressThreads;
    let live = false;
    if (!anyProgress) {
      for (let i = 0; i < pts.length && !live; i++) live = this.unfinishedOn(path, p, pts[i]!);
      if (live && this.tryFair(path, p, -1)) return true;
    }
    let unfair = live;
    for (let i = 0; i < pts.length; i++) {
      const t = pts[i]!;
      if ((progressBy[t >>> 5]! & (1 << (t & 31))) !== 0 || !this.unfinishedOn(path, p, t)) continue;
      if (this.tryFair(path, p, t)) return true;
      unfair = true;
    }
    this.reason = unfair ? 'unfair' : anyProgress ? 'progress' : 'finished';
    return false;
  }

  /** The cycle, fair as it is or once repaired; `starving` is -1 for a livelock, else the thread that starves. */
  private tryFair(path: Path, p: number, starving: number): boolean {
    const detours: Detour[] = [];
    if (this.fairness !== 'none') {
      const E = path.maskWords;
      const must = this.fairness === 'weak' ? this.always : this.some;
      const owed: number[] = [];
      for (let w = 0; w < E; w++) {
        let bits = must[w]! & ~this.moved[w]!;
        while (bits !== 0) {
          const b = 31 - Math.clz32(bits & -bits);
          owed.push(w * 32 + b);
          bits &= bits - 1;
        }
      }
      for (const t of owed) {
        const d = this.detour(path, p, t, starving);
        if (d === null) return false;
        detours.push(d);
      }
    }
    return this.confirm(path, p, starving, detours);
  }

  /** A transition of thread t, not excluded progress, from a state of the cycle to a state of the cycle. */
  private detour(path: Path, p: number, t: number, starving: number): Detour | null {
    const rt = this.rt;
    const W = this.W;
    const E = path.maskWords;
    for (let pos = p; pos < path.len; pos++) {
      if ((path.enabled[pos * E + (t >>> 5)]! & (1 << (t & 31))) === 0) continue;
      const n = rt.expand(path.states, pos * W, t);
      for (let i = 0; i < n; i++) {
        if (rt.succProgress[i] === 1 && (starving < 0 || starving === t)) continue;
        const to = path.find(rt.succ, i * W, rt.hash(rt.succ, i * W));
        if (to >= p) return { from: pos, to, step: { thread: t, step: rt.succStep[i]!, choice: rt.succChoice[i]! } };
      }
    }
    return null;
  }

  /** Thread t is not at an end label in some state of path[p..top]. */
  private unfinishedOn(path: Path, p: number, t: number): boolean {
    const W = path.words;
    for (let pos = p; pos < path.len; pos++) if (!this.rt.finished(path.states, pos * W, t)) return true;
    return false;
  }

  /**
   * Build the closed walk (the path's cycle, then one extra closed walk per
   * detour: along the path to the detour's source, the detour, along the path
   * from its target back to p), re-execute it from the state at p, check it
   * with the shared definitions, and record the counterexample.
   */
  private confirm(path: Path, p: number, starving: number, detours: readonly Detour[]): boolean {
    const rt = this.rt;
    const W = this.W;
    const top = path.len - 1;
    const along = (from: number, to: number): PathStep[] => {
      const out: PathStep[] = [];
      for (let pos = from; pos < to; pos++) out.push({ thread: path.thread[pos]!, step: path.step[pos]!, choice: path.choice[pos]! });
      return out;
    };
    const cycle = along(p, top + 1);
    for (const d of detours) cycle.push(...along(p, d.from), d.step, ...along(d.to, top + 1));
    // Re-execute from the state at p.
    const start = path.states.slice(p * W, (p + 1) * W);
    const states: Uint32Array[] = [start];
    const movers: number[] = [];
    let cur: Uint32Array = start;
    let excludedProgress = false;
    const liveIn = (s: Uint32Array) =>
      starving >= 0 ? !rt.finished(s, 0, starving) : this.progressThreads.some((t) => !rt.finished(s, 0, t));
    let live = liveIn(start);
    for (const ps of cycle) {
      const n = rt.expand(cur, 0, ps.thread);
      let next: Uint32Array | null = null;
      for (let i = 0; i < n && next === null; i++) {
        if (rt.succStep[i] !== ps.step || rt.succChoice[i] !== ps.choice) continue;
        next = rt.succ.slice(i * W, (i + 1) * W);
        if (rt.succProgress[i] === 1 && (starving < 0 || ps.thread === starving)) excludedProgress = true;
      }
      if (next === null) throw new Error('internal: a step of a candidate cycle is not enabled when re-executed');
      movers.push(ps.thread);
      states.push(next);
      live ||= liveIn(next);
      cur = next;
    }
    let closes = true;
    for (let k = 0; k < W; k++) if (cur[k] !== start[k]) closes = false;
    const v = judgeCycle(rt, states.slice(0, -1), movers, this.fairness);
    if (!closes || excludedProgress || !live || !v.fair)
      throw new Error(
        `internal: a cycle accepted as ${starving < 0 ? 'a livelock' : 'starvation'} fails the shared check (closes=${closes}, progress=${excludedProgress}, live=${live}, fair=${v.fair})`,
      );
    this.reason = null;
    this.found = {
      kind: 'livelock',
      property: starving < 0 ? 'non-progress-cycle' : 'starvation',
      steps: [...path.steps(p), ...cycle],
      cycleStart: p,
      ...(starving >= 0 ? { starving: rt.model.threads[starving]!.name } : {}),
    };
    return true;
  }
}

// ---- simulation ---------------------------------------------------------------

export interface SimulateOptions {
  /** Any string; walk k uses the generator seeded with `${seed}:${k}`. */
  readonly seed: string;
  /** Number of walks (Infinity: until the time limit). */
  readonly runs: number;
  /** Transitions per walk at most. */
  readonly depth: number;
  /** Report deadlocks; null = as the model says. */
  readonly deadlock: boolean | null;
  /** Judge the cycles walks close (when the model declares progress). */
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** Seconds; Infinity for none. Only decides how many walks run, never what a walk does. */
  readonly timeLimit: number;
  /** Most fingerprints kept for counting distinct states (16 to 32 bytes each). */
  readonly maxFingerprints: number;
  /** Called about once a second. */
  readonly onProgress: ((p: SimulateProgress) => void) | null;
}

export interface SimulateProgress {
  readonly runs: number;
  readonly steps: number;
  readonly distinct: number;
  readonly seconds: number;
}

export const defaultSimulateOptions: SimulateOptions = Object.freeze({
  seed: '0',
  runs: 1000,
  depth: 1000,
  deadlock: null,
  liveness: true,
  fairness: 'weak',
  timeLimit: Infinity,
  maxFingerprints: 1 << 22,
  onProgress: null,
});

export interface SimulateStats {
  /** Walks run: the walk that found a violation counts, a walk cut by the time limit does not. */
  runs: number;
  /** Transitions taken, over all walks. */
  steps: number;
  /** Distinct states seen (by 64-bit fingerprint; a lower bound when distinctCapped). */
  distinct: number;
  distinctCapped: boolean;
  /** Most transitions in one walk. */
  longestWalk: number;
  /** Walks that stopped in a valid end state (every thread at an end label, or no step enabled with deadlock checking off). */
  ended: number;
  /** Cycles closed by walks and judged, and why those not reported were not. */
  cycles: { candidates: number; unfair: number; progress: number; finished: number };
  seconds: number;
}

export interface SimulateResult {
  readonly seed: string;
  readonly violation: FoundViolation | null;
  /** The walk that found the violation, and its number of transitions when it did. */
  readonly walk: number | null;
  readonly walkStep: number | null;
  /** Why the simulation stopped. */
  readonly stopped: 'violation' | 'runs' | 'time-limit';
  readonly stats: SimulateStats;
  readonly fairness: Fairness | null;
  readonly livenessChecked: boolean;
  readonly runtime: Runtime;
}

/** A seed for a run that was given none: derived from the clock once, and printed so the run can be repeated. */
export function freshSeed(): string {
  return String(Date.now() % 1_000_000_007);
}

export function simulate(model: BuiltModel, options: Partial<SimulateOptions> = {}): SimulateResult {
  const o: SimulateOptions = { ...defaultSimulateOptions, ...options };
  const t0 = performance.now();
  const deadline = t0 + o.timeLimit * 1000;
  const rt = new Runtime(model);
  const W = rt.words;
  const deadlockOn = o.deadlock ?? model.deadlock;
  const liveness = o.liveness && model.hasProgress;
  const hasInv = model.invariants.length > 0;
  const seen = new FingerprintSet(o.maxFingerprints);
  const path = new Path(W, rt.threads);
  const judge = new CycleJudge(rt, o.fairness, path.maskWords);
  const stats: SimulateStats = {
    runs: 0,
    steps: 0,
    distinct: 0,
    distinctCapped: false,
    longestWalk: 0,
    ended: 0,
    cycles: { candidates: 0, unfair: 0, progress: 0, finished: 0 },
    seconds: 0,
  };
  const init = rt.initial();
  const initHash = rt.hash(init, 0);
  seen.add(initHash, fingerprint2(init, 0, W));

  let violation: FoundViolation | null = null;
  let walk = 0;
  let walkStep = 0;
  let stopped: SimulateResult['stopped'] = 'runs';
  let lastReport = t0;
  let ticks = 0;

  const inv0 = hasInv ? rt.checkInvariants(init, 0) : -1;
  if (inv0 >= 0) violation = { kind: 'invariant', property: model.invariants[inv0]!.name, steps: [] };

  walks: for (; violation === null && walk < o.runs; walk++) {
    const rng = seedrandom.alea(`${o.seed}:${walk}`);
    path.clear();
    path.push(init, 0, initHash);
    let d = 0;
    for (; d < o.depth; d++) {
      if ((++ticks & 1023) === 0) {
        const now = performance.now();
        if (now > deadline) {
          stopped = 'time-limit';
          break walks;
        }
        if (o.onProgress && now - lastReport >= 1000) {
          lastReport = now;
          o.onProgress({ runs: stats.runs, steps: stats.steps, distinct: seen.count, seconds: (now - t0) / 1000 });
        }
      }
      const top = path.len - 1;
      const off = top * W;
      const n = rt.expand(path.states, off);
      if (n < 0) {
        violation = { kind: 'assertion', property: rt.failProperty, steps: [...path.steps(top), { thread: rt.failThread, step: rt.failStep, choice: rt.failChoice }] };
        walkStep = d + 1;
        break walks;
      }
      if (n === 0) {
        if (deadlockOn && !rt.allEnded(path.states, off)) {
          violation = { kind: 'deadlock', property: 'deadlock', steps: path.steps(top) };
          walkStep = d;
          break walks;
        }
        stats.ended++;
        break;
      }
      path.setEnabled(top, rt.succThread, n);
      // Uniform over the enabled transitions (each choice of a step is one).
      const i = Math.floor(rng() * n);
      path.setStep(top, rt.succThread[i]!, rt.succStep[i]!, rt.succChoice[i]!, rt.succProgress[i]!);
      stats.steps++;
      const so = i * W;
      const h = rt.hash(rt.succ, so);
      seen.add(h, fingerprint2(rt.succ, so, W));
      const p = path.find(rt.succ, so, h);
      if (p >= 0) {
        // The walk closed a cycle. Judge it, then erase the loop: the walk goes on from the
        // same state, and the recorded path stays a simple path (a shorter counterexample).
        if (liveness) {
          stats.cycles.candidates++;
          if (judge.judge(path, p)) {
            violation = judge.found;
            walkStep = d + 1;
            break walks;
          }
          stats.cycles[judge.reason!]++;
        }
        path.truncate(p + 1);
        continue;
      }
      path.push(rt.succ, so, h);
      if (hasInv) {
        const v = rt.checkInvariants(rt.succ, so);
        if (v >= 0) {
          violation = { kind: 'invariant', property: model.invariants[v]!.name, steps: path.steps(top + 1) };
          walkStep = d + 1;
          break walks;
        }
      }
    }
    stats.runs++;
    if (d > stats.longestWalk) stats.longestWalk = d;
  }
  if (violation) {
    stopped = 'violation';
    stats.runs++;
    if (walkStep > stats.longestWalk) stats.longestWalk = walkStep;
  }
  stats.distinct = seen.count;
  stats.distinctCapped = seen.full;
  stats.seconds = (performance.now() - t0) / 1000;
  return {
    seed: o.seed,
    violation,
    walk: violation ? walk : null,
    walkStep: violation ? walkStep : null,
    stopped,
    stats,
    fairness: liveness ? o.fairness : null,
    livenessChecked: liveness,
    runtime: rt,
  };
}
