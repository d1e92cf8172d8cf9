import type { Runtime } from '../exec/runtime.ts';
import { grown } from '../store/growable.ts';

/**
 * The successors of every state on a depth-first stack, in the order they
 * are tried: frame `pos` owns entries fBase[pos] .. fBase[pos]+fCount[pos],
 * and fNext[pos] is the next one to try. A child's entries sit right above
 * its parent's, so popping a frame frees its entries. Typed arrays only.
 */
export class Frames {
  words: Uint32Array;
  thread: Int32Array;
  step: Int32Array;
  choice: Int32Array;
  progress: Uint8Array;
  /** Entries in use. */
  top = 0;
  /** Entry capacity. */
  cap = 1024;
  fBase = new Int32Array(256);
  fCount = new Int32Array(256);
  fNext = new Int32Array(256);

  constructor(private readonly W: number) {
    this.words = new Uint32Array(this.cap * W);
    this.thread = new Int32Array(this.cap);
    this.step = new Int32Array(this.cap);
    this.choice = new Int32Array(this.cap);
    this.progress = new Uint8Array(this.cap);
  }

  /** Push m successors of rt.succ* as frame pos: successor order[k] is tried k-th. */
  push(pos: number, rt: Runtime, order: Int32Array, m: number): void {
    const W = this.W;
    if (this.top + m > this.cap) this.growEntries(this.top + m);
    if (pos >= this.fBase.length) this.growFrames();
    const base = this.top;
    const words = this.words;
    const succ = rt.succ;
    for (let k = 0; k < m; k++) {
      const i = order[k]!;
      const d = base + k;
      const so = i * W;
      const o = d * W;
      for (let x = 0; x < W; x++) words[o + x] = succ[so + x]!;
      this.thread[d] = rt.succThread[i]!;
      this.step[d] = rt.succStep[i]!;
      this.choice[d] = rt.succChoice[i]!;
      this.progress[d] = rt.succProgress[i]!;
    }
    this.fBase[pos] = base;
    this.fCount[pos] = m;
    this.fNext[pos] = 0;
    this.top = base + m;
  }

  pop(pos: number): void {
    this.top = this.fBase[pos]!;
  }

  /** Bytes of the entries (words, and thread, step and choice columns), as the bitstate store reports them. */
  bytes(): number {
    return this.words.byteLength + 12 * this.cap;
  }

  private growEntries(need: number): void {
    const cap = Math.max(this.cap * 2, need);
    this.words = grown(this.words, cap * this.W);
    this.thread = grown(this.thread, cap);
    this.step = grown(this.step, cap);
    this.choice = grown(this.choice, cap);
    this.progress = grown(this.progress, cap);
    this.cap = cap;
  }

  private growFrames(): void {
    this.fBase = grown(this.fBase, this.fBase.length * 2);
    this.fCount = grown(this.fCount, this.fCount.length * 2);
    this.fNext = grown(this.fNext, this.fNext.length * 2);
  }
}
