import { McError, isMcError, q } from '../model/errors.ts';
import type { Layout, Slot } from '../layout/layout.ts';
import { grown } from '../store/growable.ts';
import type { Runtime } from './runtime.ts';

/**
 * Steps must be functions of the state: a guard, choose, effect or next that
 * reads Math.random, the clock or a variable kept in a closure makes the
 * state graph a different one each time it is walked, so a search answers at
 * random and a counterexample rebuilt by re-execution is not the one found.
 *
 * The check re-executes an expansion from a private copy of the state and
 * compares everything the search uses: the number of successors, each one's
 * thread, step and choice, its packed words, and the failing assertion. The
 * search samples it (every expansion at first, where a broken model shows up
 * at once, then one in SPARSE_STRIDE); re-executing a path to rebuild a
 * counterexample checks every step.
 */

/** Executions compared where a violation is confirmed on re-execution. */
export const CONFIRM_TIMES = 16;
/** Expansions checked one after the other at the start of a run. */
export const DENSE_CHECKS = 4096;
/** Then one expansion in this many (a power of two). */
export const SPARSE_STRIDE = 256;

const RULE = 'guards and effects must be functions of the state: no Math.random, Date, or state kept in closures';

/** The coded error for a model whose steps are not functions of the state. */
export function notDeterministic(rt: Runtime, what: string): McError {
  const m = rt.model;
  return new McError('MC160', `model ${q(m.name)}${m.variant ? ` variant ${q(m.variant)}` : ''} is not deterministic: ${what} (${RULE})`);
}

/** "thread "fork[1]" step "take"" for a (thread, step) pair. */
export function stepName(rt: Runtime, thread: number, step: number): string {
  const th = rt.model.threads[thread];
  return `thread ${q(th?.name)} step ${q(th?.template.steps[step]?.name)}`;
}

/** Re-executes sampled expansions and throws MC160 when the two runs differ. Scratch arrays grow as needed; nothing is allocated per check. */
export class DeterminismCheck {
  private readonly rt: Runtime;
  private readonly src: Uint32Array;
  private words: Uint32Array;
  private thread: Int32Array;
  private step: Int32Array;
  private choice: Int32Array;
  private checks = 0;

  constructor(rt: Runtime) {
    this.rt = rt;
    this.src = new Uint32Array(rt.words);
    this.words = new Uint32Array(64 * rt.words);
    this.thread = new Int32Array(64);
    this.step = new Int32Array(64);
    this.choice = new Int32Array(64);
  }

  /** Expansions until the next sampled one. */
  nextStride(): number {
    return ++this.checks < DENSE_CHECKS ? 1 : SPARSE_STRIDE;
  }

  /**
   * Runtime.expand's contract, with the expansion executed `times` times (at
   * least twice) and each later run compared with the first.
   */
  expandRepeated(src: Uint32Array, off: number, only: number, base: number, times = 2): number {
    const rt = this.rt;
    const W = rt.words;
    const s = this.src;
    for (let k = 0; k < W; k++) s[k] = src[off + k]!;
    const n1 = rt.generate(s, 0, only, base);
    const fThread = rt.failThread;
    const fStep = rt.failStep;
    const fChoice = rt.failChoice;
    const fProperty = rt.failProperty;
    if (n1 > 0) {
      if (this.thread.length < n1) {
        this.words = grown(this.words, n1 * 2 * W);
        this.thread = grown(this.thread, n1 * 2);
        this.step = grown(this.step, n1 * 2);
        this.choice = grown(this.choice, n1 * 2);
      }
      this.words.set(rt.succ.subarray(base * W, (base + n1) * W));
      this.thread.set(rt.succThread.subarray(base, base + n1));
      this.step.set(rt.succStep.subarray(base, base + n1));
      this.choice.set(rt.succChoice.subarray(base, base + n1));
    }
    let n2 = n1;
    for (let run = 1; run < times; run++) {
      n2 = this.compareAgain(n1, only, base, fThread, fStep, fChoice, fProperty);
    }
    return n2;
  }

  /** Execute the saved state's expansion once more and throw MC160 unless it equals the first run (n1 and the saved fields). */
  private compareAgain(n1: number, only: number, base: number, fThread: number, fStep: number, fChoice: number, fProperty: string): number {
    const rt = this.rt;
    const W = rt.words;
    const s = this.src;
    let n2: number;
    try {
      n2 = rt.generate(s, 0, only, base);
    } catch (e) {
      // The first execution returned normally from this very state.
      throw notDeterministic(rt, `an expansion that succeeded failed when executed again from the same state: ${isMcError(e) ? `${e.code} ${e.message}` : q(String(e))}`);
    }
    if (n1 < 0 || n2 < 0) {
      if (n1 >= 0) throw notDeterministic(rt, `${stepName(rt, rt.failThread, rt.failStep)} failed assertion ${q(rt.failProperty)} when executed again from a state where it had not failed`);
      if (n2 >= 0) throw notDeterministic(rt, `${stepName(rt, fThread, fStep)} failed assertion ${q(fProperty)} once but not when executed again from the same state`);
      if (rt.failThread !== fThread || rt.failStep !== fStep || rt.failChoice !== fChoice || rt.failProperty !== fProperty)
        throw notDeterministic(rt, `${stepName(rt, fThread, fStep)} failed assertion ${q(fProperty)}, but executed again from the same state ${stepName(rt, rt.failThread, rt.failStep)} failed ${q(rt.failProperty)}`);
      return n2;
    }
    const n = n1 < n2 ? n1 : n2;
    for (let i = 0; i < n; i++) {
      const j = base + i;
      if (rt.succThread[j] !== this.thread[i] || rt.succStep[j] !== this.step[i] || rt.succChoice[j] !== this.choice[i])
        throw this.differs(this.changedAt(i, base, n1, n2), base, n1, n2, 'was enabled, or had choices, in one execution and not in the other (its guard or choose changed)');
      const a = i * W;
      const b = j * W;
      for (let k = 0; k < W; k++) {
        if (rt.succ[b + k] !== this.words[a + k]) {
          const names = differingNames(rt, this.words, a, rt.succ, b);
          throw this.differs(i, base, n1, n2, `choice ${this.choice[i]} gave a different successor (${names.join(', ')} ${names.length === 1 ? 'differs' : 'differ'})`);
        }
      }
    }
    if (n1 !== n2) throw this.differs(this.changedAt(n, base, n1, n2), base, n1, n2, 'was enabled, or had choices, in one execution and not in the other (its guard or choose changed)');
    return n2;
  }

  /**
   * The lists of successors first differ at index i: the (thread, step) to
   * blame is the one of the two found there whose number of successors
   * differs between the runs. Returns the index of one of its successors,
   * counted over the concatenation (first run, then second run).
   */
  private changedAt(i: number, base: number, n1: number, n2: number): number {
    const rt = this.rt;
    const count = (t: number, st: number) => {
      let k = 0;
      for (let j = 0; j < n1; j++) if (this.thread[j] === t && this.step[j] === st) k++;
      for (let j = 0; j < n2; j++) if (rt.succThread[base + j] === t && rt.succStep[base + j] === st) k--;
      return k;
    };
    if (i < n1 && count(this.thread[i]!, this.step[i]!) !== 0) return i;
    return n1 + i;
  }

  /** The error for successor i, which differs between the runs (named from whichever run has it). */
  private differs(i: number, base: number, n1: number, n2: number, what: string): McError {
    const rt = this.rt;
    // i < n1: the first run's successor i; otherwise the second run's successor i - n1.
    const t = i < n1 ? this.thread[i]! : rt.succThread[base + i - n1]!;
    const st = i < n1 ? this.step[i]! : rt.succStep[base + i - n1]!;
    return notDeterministic(rt, `${stepName(rt, t, st)} ${what} when executed twice from the same state (${n1} successor${n1 === 1 ? '' : 's'} the first time, ${n2} the second)`);
  }
}

/** Names of the variables whose slots differ between two packed states. */
function differingNames(rt: Runtime, a: Uint32Array, ao: number, b: Uint32Array, bo: number): string[] {
  const L: Layout = rt.layout;
  const out: string[] = [];
  const differs = (s: Slot) => {
    const m = s.width === 32 ? 0xffffffff : (1 << s.width) - 1;
    return ((a[ao + s.word]! >>> s.shift) & m) !== ((b[bo + s.word]! >>> s.shift) & m);
  };
  for (const v of L.shared) v.slots.forEach((s, i) => differs(s) && out.push(v.length ? `${v.name}[${i}]` : v.name));
  for (const t of rt.model.threads) {
    const tl = L.templates[t.template.index]!;
    for (const v of tl.locals) if (differs(v.slots[t.replica]!)) out.push(`${t.name}.${v.name}`);
    if (differs(tl.label.slots[t.replica]!)) out.push(`${t.name}'s label`);
  }
  return out.length ? out : ['the packed words'];
}
