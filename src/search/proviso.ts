import type { Runtime } from '../exec/runtime.ts';
import type { StubbornAccept } from '../reduce/stubborn.ts';
import type { PartialOrder } from '../reduce/por.ts';
import type { Symmetry } from '../reduce/symmetry.ts';

/**
 * The cycle proviso as a test of a candidate stubborn set, so that the
 * reduction can pass over a set that fails it and take the next smallest
 * instead of expanding fully (every cycle of the reduced graph must still
 * have a fully expanded state, or here: contain a state whose chosen set
 * could not close it). A set fails when one of its successors is already
 * stored and
 *  - numbered no later than the expanded state (`NumberedProviso`: every
 *    reduced edge then leads to a later number, so no cycle consists of
 *    reduced edges; valid in any exploration order), or
 *  - on the depth-first stack (`StackProviso`: every cycle of a depth-first
 *    search closes with an edge to a state on the stack).
 * Only stores that can look a state up without inserting it can answer;
 * the searches keep their after-the-fact check (expand fully when an
 * inserted successor turns out to be old) for the others and as a guard.
 */
/** A store that can look a state up without inserting it (its index, or -1). */
export interface FindStore {
  find(buf: Uint32Array, off: number, h: number): number;
}

abstract class ProvisoBase implements StubbornAccept {
  private readonly scratch: Uint32Array;

  constructor(
    private readonly store: FindStore,
    private readonly gBase: Int32Array,
    private readonly sym: Symmetry | null,
    private readonly W: number,
  ) {
    this.scratch = new Uint32Array(W);
  }

  protected abstract closes(idx: number): boolean;

  accepts(set: Uint32Array, rt: Runtime, n: number): boolean {
    const W = this.W;
    const succ = rt.succ;
    for (let i = 0; i < n; i++) {
      const g = this.gBase[rt.succThread[i]!]! + rt.succStep[i]!;
      if ((set[g >>> 5]! & (1 << (g & 31))) === 0) continue;
      let idx: number;
      if (this.sym !== null) {
        const x = this.scratch;
        for (let k = 0; k < W; k++) x[k] = succ[i * W + k]!;
        this.sym.canonicalize(x, 0);
        idx = this.store.find(x, 0, rt.hash(x, 0));
      } else idx = this.store.find(succ, i * W, rt.hash(succ, i * W));
      if (idx >= 0 && this.closes(idx)) return false;
    }
    return true;
  }
}

/** Rejects a set with a successor stored at a number no later than `state`. */
export class NumberedProviso extends ProvisoBase {
  state = 0;
  protected closes(idx: number): boolean {
    return idx <= this.state;
  }

  /** The stubborn set `por` takes at stored state s (buf[off..], whose n successors rt has just generated) under this proviso: its successors are moved to the front; returns how many. */
  ample(por: PartialOrder, s: number, rt: Runtime, buf: Uint32Array, off: number, n: number): number {
    this.state = s;
    por.ample(rt, buf, off, n, this);
    return por.ampleHi;
  }
}

/** Rejects a set with a successor on the depth-first stack (`onStack[idx] === 1`). */
export class StackProviso extends ProvisoBase {
  onStack = new Uint8Array(1024);
  protected closes(idx: number): boolean {
    return this.onStack[idx] === 1;
  }
}
