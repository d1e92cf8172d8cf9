import type { Fairness } from '../model/define.ts';
import type { StateStore } from '../store/store.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { Symmetry } from '../reduce/symmetry.ts';
import { grown } from '../store/growable.ts';
import { notDeterministic, stepName } from '../exec/determinism.ts';

/**
 * The graph the symmetric liveness search walks: the stored quotient
 * (canonical states), optionally times the position of one watched thread.
 *
 * A node is `u * K + k`: stored state u, and (when a thread is watched, for
 * starvation) k, the watched thread's index within its symmetric group
 * [wBase, wBase + K) in u's own numbering of the threads. Without a watched
 * thread K = 1. The edges of a node are u's transitions minus the excluded
 * progress transitions (all of them for a livelock; the watched thread's for
 * starvation); each leads to the canonical form v of the concrete successor,
 * and carries σ, the thread permutation canonicalisation applied (σ maps the
 * concrete successor to v, so the watched thread k moves to σ(k)). Nothing
 * per edge is stored: `expand` recomputes a node's edges into its arrays,
 * which stay valid until the next call.
 */
export class QuotientGraph {
  readonly T: number;
  /** First thread and size of the watched thread's group; wBase = -1 when no thread is watched. */
  wBase = -1;
  K = 1;
  /** Edges of the last expanded node: target node, thread, index in rt.expand's successors, σ (T entries each). */
  n = 0;
  target = new Int32Array(64);
  thread = new Int32Array(64);
  index = new Int32Array(64);
  sigma = new Int32Array(64);
  /** Threads enabled at the last expanded node (by any transition, progress or not). */
  readonly enabled: Uint8Array;
  private readonly cand: Uint32Array;
  private readonly perm: Int32Array;

  constructor(
    readonly rt: Runtime,
    readonly store: StateStore,
    readonly sym: Symmetry,
    readonly fairness: Fairness,
  ) {
    this.T = rt.threads;
    this.enabled = new Uint8Array(this.T);
    this.cand = new Uint32Array(rt.words);
    this.perm = new Int32Array(this.T);
    this.sigma = new Int32Array(64 * this.T);
  }

  /** Watch thread group [wBase, wBase + K) (starvation), or nothing (wBase -1). */
  watch(wBase: number, K: number): void {
    this.wBase = wBase;
    this.K = wBase < 0 ? 1 : K;
  }

  get nodes(): number {
    return this.store.count * this.K;
  }

  stateOf(b: number): number {
    return (b / this.K) | 0;
  }

  /** The watched thread at node b, in the numbering of its state; -1 when none. */
  watchedAt(b: number): number {
    return this.wBase < 0 ? -1 : this.wBase + (b % this.K);
  }

  /** Fill the edge arrays with b's edges; returns their number. */
  expand(b: number): number {
    const { rt, store } = this;
    const W = rt.words;
    const u = this.stateOf(b);
    const watched = this.watchedAt(b);
    const m = rt.expand(store.chunkOf(u), store.offsetOf(u));
    this.enabled.fill(0);
    this.n = 0;
    for (let i = 0; i < m; i++) {
      const t = rt.succThread[i]!;
      this.enabled[t] = 1;
      if (rt.succProgress[i] === 1 && (watched < 0 || t === watched)) continue;
      for (let x = 0; x < W; x++) this.cand[x] = rt.succ[i * W + x]!;
      this.sym.canonicalize(this.cand, 0, this.perm);
      const v = store.find(this.cand, 0, rt.hash(this.cand, 0));
      // The safety search stored the canonical form of every successor; one that is missing was not produced then.
      if (v < 0) throw notDeterministic(rt, `${stepName(rt, t, rt.succStep[i]!)} gave a successor that the safety search did not reach, when the liveness search executed it again`);
      if (this.n === this.target.length) this.grow();
      const e = this.n++;
      this.target[e] = v * this.K + (watched < 0 ? 0 : this.perm[watched]! - this.wBase);
      this.thread[e] = t;
      this.index[e] = i;
      this.sigma.set(this.perm, e * this.T);
    }
    return this.n;
  }

  /** σ of edge e of the last expanded node (a view into the edge arrays). */
  sigmaOf(e: number): Int32Array {
    return this.sigma.subarray(e * this.T, (e + 1) * this.T);
  }

  /** Some thread that must make progress is unfinished at node b (the watched thread, or any with progress labels). */
  live(b: number): boolean {
    const { rt, store } = this;
    const u = this.stateOf(b);
    const chunk = store.chunkOf(u);
    const off = store.offsetOf(u);
    const watched = this.watchedAt(b);
    if (watched >= 0) return !rt.finished(chunk, off, watched);
    for (let t = 0; t < this.T; t++) if (rt.model.threads[t]!.template.hasProgress && !rt.finished(chunk, off, t)) return true;
    return false;
  }

  private grow(): void {
    const n = this.target.length * 2;
    this.target = grown(this.target, n);
    this.thread = grown(this.thread, n);
    this.index = grown(this.index, n);
    this.sigma = grown(this.sigma, n * this.T);
  }
}
