import { grown } from '../store/growable.ts';
import type { PathStep } from './types.ts';

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
    this.states = grown(this.states, cap * W);
    this.hashes = grown(this.hashes, cap);
    this.thread = grown(this.thread, cap);
    this.step = grown(this.step, cap);
    this.choice = grown(this.choice, cap);
    this.progress = grown(this.progress, cap);
    this.enabled = grown(this.enabled, cap * E);
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
