import { McError, isMcError, q } from '../model/errors.ts';
import type { Layout, Slot } from '../layout/layout.ts';
import { grown } from '../store/growable.ts';
import type { Runtime } from './runtime.ts';
import type { BuiltStep } from '../model/build.ts';
import type { ViewSet } from '../layout/views.ts';

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
 *
 * Invariants must be functions of the state too, and change nothing. Their
 * checks are sampled the same way: a sampled one evaluates the invariants
 * twice, and every step's guard and choose before and after (at any label:
 * what a guard reads outside the state does not depend on where its thread
 * is, and a counter that passes a bound once does it early, while the
 * thread whose guard reads it is still elsewhere), and compares. Evaluating
 * an invariant twice alone would not do: one that counts its calls in a
 * helper answers the same, and what differs is what a guard reading the
 * counter answers from then on.
 */

/** Executions compared where a violation is confirmed on re-execution. */
export const CONFIRM_TIMES = 16;
/** Expansions checked one after the other at the start of a run. */
export const DENSE_CHECKS = 4096;
/** Then one expansion in this many (a power of two). */
export const SPARSE_STRIDE = 256;

const RULE = 'guards and effects must be functions of the state: no Math.random, Date, or state kept in closures';
/** The rule an invariant that answers differently breaks. */
export const INVARIANT_RULE = 'invariants, and the helpers they call, must only read the state: no Math.random, Date, or state kept in closures';

/** The coded error for a model whose steps (or invariants: `rule`) are not functions of the state. */
export function notDeterministic(rt: Runtime, what: string, rule = RULE): McError {
  const m = rt.model;
  return new McError('MC160', `model ${q(m.name)}${m.variant ? ` variant ${q(m.variant)}` : ''} is not deterministic: ${what} (${rule})`);
}

/** A guard sweep's outcome for a step (see `stepOutcome`); a choose count n is CHOSE + n. */
const THREW = -2;
const NOT_BOOL = -1;
const FALSE = 0;
const TRUE = 1;
const BAD_CHOICE = 2;
const CHOSE = 3;

/**
 * What a step's guard, and its choose where the guard holds, answer in a
 * state, whatever the thread's label: an exception or an odd value is an
 * outcome too (at a label where the step is not, a guard may well throw).
 */
function stepOutcome(st: BuiltStep, v: ViewSet, t: number): number {
  if (st.guard === null && st.chooseFn === null) return TRUE;
  const me = v.locals[t]!;
  try {
    if (st.guard !== null) {
      const g = st.guard(v.state, me) as unknown;
      if (g !== true) return g === false ? FALSE : NOT_BOOL;
    }
    if (st.chooseFn === null) return TRUE;
    const nc = st.chooseFn(v.state, me) as unknown;
    return typeof nc === 'number' && Number.isInteger(nc) && nc >= 0 && nc < 0x7fff0000 ? CHOSE + nc : BAD_CHOICE;
  } catch {
    return THREW;
  }
}

/** A step outcome in words, for the MC160 message. */
function outcomeText(o: number): string {
  if (o >= CHOSE) return `its guard held and choose gave ${o - CHOSE}`;
  if (o === TRUE) return 'its guard held';
  if (o === FALSE) return 'its guard did not hold';
  if (o === NOT_BOOL) return 'its guard returned neither true nor false';
  if (o === BAD_CHOICE) return 'choose returned no count';
  return 'its guard or choose threw';
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
  /** The invariant checks': the state, read-only views of it, and each (thread, step)'s outcome before and after (slotThread, slotStep: whose). */
  private readonly inv: Uint32Array;
  private readonly invViews: ViewSet;
  private readonly before: Int32Array;
  private readonly after: Int32Array;
  private readonly slotThread: Int32Array;
  private readonly slotStep: Int32Array;
  private invChecks = 0;

  constructor(rt: Runtime) {
    this.rt = rt;
    this.src = new Uint32Array(rt.words);
    this.words = new Uint32Array(64 * rt.words);
    this.thread = new Int32Array(64);
    this.step = new Int32Array(64);
    this.choice = new Int32Array(64);
    this.inv = new Uint32Array(rt.words);
    this.invViews = rt.views(this.inv, true);
    let slots = 0;
    for (const th of rt.model.threads) slots += th.template.steps.length;
    this.before = new Int32Array(slots);
    this.after = new Int32Array(slots);
    this.slotThread = new Int32Array(slots);
    this.slotStep = new Int32Array(slots);
    let k = 0;
    for (const th of rt.model.threads) {
      for (let st = 0; st < th.template.steps.length; st++, k++) {
        this.slotThread[k] = th.index;
        this.slotStep[k] = st;
      }
    }
  }

  /** Expansions until the next sampled one. */
  nextStride(): number {
    return ++this.checks < DENSE_CHECKS ? 1 : SPARSE_STRIDE;
  }

  /** Invariant checks until the next sampled one (the same sampling as the expansions'). */
  nextInvariantStride(): number {
    return ++this.invChecks < DENSE_CHECKS ? 1 : SPARSE_STRIDE;
  }

  /**
   * Runtime.checkInvariants's contract, with the invariants evaluated twice
   * and every step's guard and choose evaluated before and after: MC160
   * when the two evaluations differ, or when evaluating the invariants
   * changed what a step's guard or choose answers in the same state.
   */
  invariantsRepeated(buf: Uint32Array, off: number): number {
    const rt = this.rt;
    const s = this.inv;
    for (let k = 0; k < rt.words; k++) s[k] = buf[off + k]!;
    this.sweep(this.before);
    // A model error in the first evaluation is the model's, as from an unchecked call.
    const r1 = rt.evaluateInvariants(s, 0);
    let r2: number;
    try {
      r2 = rt.evaluateInvariants(s, 0);
    } catch (e) {
      throw notDeterministic(rt, `invariants that were evaluated without error on a state failed when evaluated again on the same state: ${isMcError(e) ? `${e.code} ${e.message}` : q(String(e))}`, INVARIANT_RULE);
    }
    if (r1 !== r2) throw this.invariantDiffers(r1, r2);
    this.sweep(this.after);
    // The invariants evaluated: up to the first failing one.
    const ran = r1 < 0 ? rt.model.invariants.length : r1 + 1;
    for (let k = 0; k < this.before.length; k++) if (this.before[k] !== this.after[k]) throw this.sweepDiffers(k, ran);
    return r1;
  }

  /** Each (thread, step)'s outcome in the state in `inv`, into out. */
  private sweep(out: Int32Array): void {
    const th = this.rt.model.threads;
    const v = this.invViews;
    // Guards evaluated where their step is not may throw, and only that they threw is kept: no stack is captured for it (bakery(4): 40 of the sweeps' 55 ms went to the stacks of the index errors its guards throw there).
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
      let k = 0;
      for (let t = 0; t < th.length; t++) {
        const steps = th[t]!.template.steps;
        for (let st = 0; st < steps.length; st++) out[k++] = stepOutcome(steps[st]!, v, t);
      }
    } finally {
      Error.stackTraceLimit = limit;
    }
  }

  /** The error for invariants whose results r1 and r2 (first failing index, or -1) differ on one state. */
  private invariantDiffers(r1: number, r2: number): McError {
    const rt = this.rt;
    const i = r1 < 0 ? r2 : r2 < 0 ? r1 : Math.min(r1, r2);
    const heldFirst = i !== r1;
    return notDeterministic(rt, `invariant ${q(rt.model.invariants[i]!.name)} ${heldFirst ? 'held' : 'failed'} on a state and ${heldFirst ? 'failed' : 'held'} when evaluated again on the same state`, INVARIANT_RULE);
  }

  /**
   * The error for slot k, whose outcome changed between the sweeps, with the
   * first `ran` invariants evaluated (twice) in between. The guard is to
   * blame if it changes by itself; else, of several invariants, the one that
   * changes it when evaluated alone between two evaluations of the step (a
   * change that happens once, a counter passing a bound, may not show again:
   * then all that ran are named).
   */
  private sweepDiffers(k: number, ran: number): McError {
    const rt = this.rt;
    const t = this.slotThread[k]!;
    const st = rt.model.threads[t]!.template.steps[this.slotStep[k]!]!;
    const v = this.invViews;
    const where = stepName(rt, t, st.index);
    let o = stepOutcome(st, v, t);
    for (let r = 0; r < CONFIRM_TIMES; r++) {
      const again = stepOutcome(st, v, t);
      if (again !== o) return notDeterministic(rt, `${where}: ${outcomeText(o)} in a state, and ${outcomeText(again)} when evaluated again in the same state`);
      o = again;
    }
    const changed = `${where}: ${outcomeText(this.before[k]!)} in a state, and ${outcomeText(this.after[k]!)} in the same state`;
    const invs = rt.model.invariants;
    let culprit = ran === 1 ? 0 : -1;
    for (let i = 0; i < ran && culprit < 0; i++) {
      const a = stepOutcome(st, v, t);
      try {
        invs[i]!.fn(v.state);
      } catch {
        // Its answer is not the question here.
      }
      if (stepOutcome(st, v, t) !== a) culprit = i;
    }
    const named = culprit >= 0 ? `invariant ${q(invs[culprit]!.name)} was` : `invariants ${invs.slice(0, ran).map((x) => q(x.name)).join(', ')} were`;
    return notDeterministic(rt, `${changed} after ${named} evaluated (evaluating ${culprit >= 0 ? 'it' : 'one of them'} changed something outside the state that the step reads, such as a variable a helper it calls updates)`, INVARIANT_RULE);
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
