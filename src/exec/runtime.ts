import { McError, isMcError, q } from '../model/errors.ts';
import type { BuiltModel, BuiltStep, BuiltTemplate } from '../model/build.ts';
import { MAX_CHOICES } from '../model/build.ts';
import type { LocalView, StateView } from '../model/define.ts';
import { computeLayout, type Layout } from '../layout/layout.ts';
import { makeViewFactory, isAssertionFailure, viewErrorOf, type ViewFactory } from '../layout/views.ts';
import { hashWords } from '../layout/hash.ts';
import { deferredValue, toStringTag } from '../model/synchronous.ts';
import { grown } from '../store/growable.ts';
import { CONFIRM_TIMES, DeterminismCheck, notDeterministic } from './determinism.ts';
import type { DeadResets } from './dead-resets.ts';

/**
 * A built model compiled for search: successor generation over packed
 * states with no allocation per state or transition. Successors are written
 * into a reusable word buffer with parallel typed arrays saying which thread,
 * step and choice produced each one.
 */
export class Runtime {
  readonly model: BuiltModel;
  readonly layout: Layout;
  readonly words: number;
  readonly threads: number;
  readonly views: ViewFactory;

  /** Successor buffer: successor i occupies succ[i*words .. (i+1)*words). */
  succ: Uint32Array;
  succThread: Int32Array;
  succStep: Int32Array;
  succChoice: Int32Array;
  succProgress: Uint8Array;
  private succCap: number;

  /**
   * `--dead-vars`: locals reset to their initial values when a thread arrives
   * at a label where they are dead (dead-resets.ts); null applies none.
   */
  deadResets: DeadResets | null = null;

  /** Set when expand() returns -1: an assertion failed in this step. */
  failThread = -1;
  failStep = -1;
  failChoice = -1;
  failProperty = '';
  /** Set when expand() throws a model error: the step that threw (error-path.ts finds the state it threw in). */
  readonly errorStep = { thread: -1, step: -1, choice: 0 };
  /** Set when checkInvariants() throws a model error: the invariant that threw. */
  failingInvariant = '';

  private readonly cur: Uint32Array;
  private readonly next: Uint32Array;
  private readonly inv: Uint32Array;
  private readonly vCur: StateView;
  private readonly meCur: readonly LocalView[];
  private readonly vNext: StateView;
  private readonly meNext: readonly LocalView[];
  private readonly vInv: StateView;
  private readonly tTpl: Int32Array;
  private readonly tpls: readonly BuiltTemplate[];
  private readonly labW: Int32Array;
  private readonly labS: Int32Array;
  private readonly labM: Int32Array;
  private readonly invFns: ((s: StateView) => boolean)[];
  /** Re-executes sampled expansions (steps must be functions of the state); checkIn counts down to the next one. */
  private readonly det: DeterminismCheck;
  private checkIn = 1;
  /** The same countdown for checkInvariants: a sampled call also checks that the invariants change nothing the steps read (src/exec/determinism.ts). */
  private invCheckIn = 1;
  /**
   * Coverage, per thread template: `fired[stepBase[tpl] + step]` is 1 once
   * the step has produced a successor (or failed an assertion) in some
   * expansion; `reached[labelBase[tpl] + label]` once a step with a computed
   * next arrived at the label (a constant next's label follows from the
   * fired step, so the common path stores nothing for it). One store per
   * enabled step; read after a complete search (search/coverage.ts).
   */
  readonly fired: Uint8Array;
  readonly reached: Uint8Array;
  readonly stepBase: Int32Array;
  readonly labelBase: Int32Array;

  constructor(model: BuiltModel) {
    this.model = model;
    this.layout = computeLayout(model);
    this.words = this.layout.words;
    this.threads = model.threads.length;
    this.views = makeViewFactory(model, this.layout);
    const W = this.words;
    this.cur = new Uint32Array(W);
    this.next = new Uint32Array(W);
    this.inv = new Uint32Array(W);
    const c = this.views(this.cur, true);
    this.vCur = c.state;
    this.meCur = c.locals;
    const n = this.views(this.next, false);
    this.vNext = n.state;
    this.meNext = n.locals;
    this.vInv = this.views(this.inv, true).state;
    this.tTpl = Int32Array.from(model.threads, (t) => t.template.index);
    this.tpls = model.templates;
    this.labW = this.layout.labW;
    this.labS = this.layout.labS;
    this.labM = this.layout.labM;
    this.invFns = model.invariants.map((i) => i.fn);
    this.succCap = 64;
    this.succ = new Uint32Array(this.succCap * W);
    this.succThread = new Int32Array(this.succCap);
    this.succStep = new Int32Array(this.succCap);
    this.succChoice = new Int32Array(this.succCap);
    this.succProgress = new Uint8Array(this.succCap);
    this.det = new DeterminismCheck(this);
    this.stepBase = new Int32Array(this.tpls.length + 1);
    this.labelBase = new Int32Array(this.tpls.length + 1);
    for (let i = 0; i < this.tpls.length; i++) {
      this.stepBase[i + 1] = this.stepBase[i]! + this.tpls[i]!.steps.length;
      this.labelBase[i + 1] = this.labelBase[i]! + this.tpls[i]!.labels.length;
    }
    this.fired = new Uint8Array(this.stepBase[this.tpls.length]!);
    this.reached = new Uint8Array(this.labelBase[this.tpls.length]!);
    for (let i = 0; i < this.tpls.length; i++) this.reached[this.labelBase[i]! + this.tpls[i]!.start] = 1;
  }

  hash(buf: Uint32Array, off: number): number {
    return hashWords(buf, off, this.words);
  }

  /** Write the initial state into out. */
  initial(out: Uint32Array = new Uint32Array(this.words)): Uint32Array {
    const buf = this.initialOnce();
    // Built CONFIRM_TIMES times and compared (once per search): an init function is a step too (src/exec/determinism.ts), and every search and rebuilt path starts here.
    for (let r = 1; r < CONFIRM_TIMES && this.model.init; r++) {
      const again = this.initialOnce();
      for (let k = 0; k < this.words; k++)
        if (again[k] !== buf[k]) throw notDeterministic(this, `the init function gave a different initial state when executed ${r + 1} times`);
    }
    out.set(buf);
    return out;
  }

  private initialOnce(): Uint32Array {
    const buf = new Uint32Array(this.words);
    const v = this.views(buf, false);
    for (const sv of this.model.shared) {
      const d = sv.domain;
      if (d.kind === 'array') for (let i = 0; i < d.length; i++) v.state[sv.name].set(i, d.initAt(i));
      else v.state[sv.name] = d.init;
    }
    for (const t of this.model.threads) {
      const me = v.locals[t.index]!;
      for (const l of t.template.locals) me[l.name] = (l.domain as { init: unknown }).init;
      this.setLabel(buf, 0, t.index, t.template.start);
    }
    if (this.model.init) {
      try {
        notDeferred(this.model.init(v.state), 'init');
      } catch (e) {
        throw this.modelError(e, 'the init function');
      }
    }
    return buf;
  }

  label(buf: Uint32Array, off: number, t: number): number {
    return (buf[off + this.labW[t]!]! >>> this.labS[t]!) & this.labM[t]!;
  }
  setLabel(buf: Uint32Array, off: number, t: number, l: number): void {
    const w = off + this.labW[t]!;
    const s = this.labS[t]!;
    buf[w] = (buf[w]! & ~(this.labM[t]! << s)) | (l << s);
  }

  /** True when every thread is at an end label. */
  allEnded(buf: Uint32Array, off: number): boolean {
    for (let t = 0; t < this.threads; t++) {
      if (this.tpls[this.tTpl[t]!]!.isEnd[this.label(buf, off, t)] !== 1) return false;
    }
    return true;
  }

  /** Whether thread t is finished (at an end label) in the state. */
  finished(buf: Uint32Array, off: number, t: number): boolean {
    return this.tpls[this.tTpl[t]!]!.isEnd[this.label(buf, off, t)] === 1;
  }

  /**
   * Room for at least `n` successors in the successor buffers, made before
   * the search: the multi-core rounds expand a block of states into them
   * (`expand`'s `base`), and a first growth inside `expand`, on a path the
   * one-thread phase before them never took, would throw its compiled code
   * away in the middle of the search.
   */
  reserveSuccessors(n: number): void {
    while (this.succCap < n) this.growSucc();
  }

  private growSucc(): void {
    const cap = this.succCap * 2;
    const W = this.words;
    this.succ = grown(this.succ, cap * W);
    this.succThread = grown(this.succThread, cap);
    this.succStep = grown(this.succStep, cap);
    this.succChoice = grown(this.succChoice, cap);
    this.succProgress = grown(this.succProgress, cap);
    this.succCap = cap;
  }

  /**
   * Generate every successor of the state at src[off..]. Returns their
   * number, or -1 if a step's assertion failed (see fail* fields).
   * `only` restricts expansion to one thread instance (-1: all); `base` is
   * the index of the first successor slot to fill (to append to earlier ones).
   * A sample of the calls executes the expansion twice and throws MC160 when
   * the two differ (src/exec/determinism.ts): every engine expands through
   * here, so every engine checks that steps are functions of the state.
   */
  expand(src: Uint32Array, off: number, only = -1, base = 0): number {
    // The countdown sits in this function rather than in a wrapper around it: the hot loops keep calling one function, as before.
    if (--this.checkIn === 0) return this.sampled(src, off, only, base);
    const W = this.words;
    const cur = this.cur;
    for (let k = 0; k < W; k++) cur[k] = src[off + k]!;
    let n = base;
    let t = only < 0 ? 0 : only;
    const tEnd = only < 0 ? this.threads : only + 1;
    let st: BuiltStep | null = null;
    let c = 0;
    try {
      for (; t < tEnd; t++) {
        const tpl = this.tpls[this.tTpl[t]!]!;
        const list = tpl.stepsAt[(cur[this.labW[t]!]! >>> this.labS[t]!) & this.labM[t]!]!;
        const firedAt = this.stepBase[tpl.index]!;
        const reachedAt = this.labelBase[tpl.index]!;
        for (let j = 0; j < list.length; j++) {
          st = tpl.steps[list[j]!]!;
          // An assertion failing in the guard or choose is the step's at choice 0, not at the choice an earlier step's loop ended with.
          c = 0;
          if (st.guard !== null) {
            // Exactly true or false: a guard returning 'yes', 1 or undefined is a mistake, not a truthy value.
            const g = st.guard(this.vCur, this.meCur[t]!) as unknown;
            if (g !== true) {
              if (g === false) continue;
              throw new McError('MC153', `the guard returned ${q(g)}; a guard must return true or false`);
            }
          }
          let nc = st.choices;
          if (nc < 0) {
            nc = st.chooseFn!(this.vCur, this.meCur[t]!);
            if (!(Number.isInteger(nc) && nc >= 0 && nc <= MAX_CHOICES))
              throw new McError('MC133', `choose returned ${q(nc)}; it must be an integer in 0..${MAX_CHOICES} (0: the step is not enabled in this state, as with a false guard)`);
          }
          if (nc > 0) this.fired[firedAt + st.index] = 1;
          for (c = 0; c < nc; c++) {
            const next = this.next;
            for (let k = 0; k < W; k++) next[k] = cur[k]!;
            if (st.effect !== null) {
              const r = st.effect(this.vNext, this.meNext[t]!, c) as unknown;
              // An effect's value is ignored, unless it is work left undone (a Promise from a compiled async function): src/model/synchronous.ts.
              if (typeof r === 'object' && r !== null) notDeferred(r, 'then');
            }
            let nl = st.next;
            if (nl < 0) {
              const name = st.nextFn!(this.vNext, this.meNext[t]!, c);
              // Label names returned by next functions are usually string constants, so an
              // identity scan of the few labels beats a Map lookup; the Map is the fallback.
              const labels = tpl.labels;
              nl = -1;
              for (let li = 0; li < labels.length && li < 16; li++) {
                if (labels[li] === name) {
                  nl = li;
                  break;
                }
              }
              if (nl < 0) {
                const li = tpl.labelIndex.get(name);
                if (li === undefined) throw new McError('MC134', `next returned ${q(name)}, which is not a label of the thread (labels: ${tpl.labels.join(', ')})`);
                nl = li;
              }
              // Labels a constant next leads to are known from the fired steps (coverage.ts); only computed ones are marked here.
              this.reached[reachedAt + nl] = 1;
            }
            const lw = this.labW[t]!;
            const ls = this.labS[t]!;
            next[lw] = (next[lw]! & ~(this.labM[t]! << ls)) | (nl << ls);
            const dr = this.deadResets;
            if (dr !== null) {
              const key = dr.tLabelBase[t]! + nl;
              for (let k = dr.start[key]!; k < dr.start[key + 1]!; k++) {
                const w = dr.word[k]!;
                next[w] = (next[w]! & ~dr.mask[k]!) | dr.bits[k]!;
              }
            }
            if (n === this.succCap) this.growSucc();
            const o = n * W;
            const succ = this.succ;
            for (let k = 0; k < W; k++) succ[o + k] = next[k]!;
            this.succThread[n] = t;
            this.succStep[n] = st.index;
            this.succChoice[n] = c;
            this.succProgress[n] = st.progress || tpl.isProgress[nl] === 1 ? 1 : 0;
            n++;
          }
        }
      }
    } catch (e) {
      if (isAssertionFailure(e)) {
        this.fired[this.stepBase[this.tTpl[t]!]! + st!.index] = 1;
        this.failThread = t;
        this.failStep = st!.index;
        this.failChoice = c;
        this.failProperty = e.property;
        return -1;
      }
      this.errorStep.thread = t;
      this.errorStep.step = st?.index ?? -1;
      this.errorStep.choice = c;
      throw inState(this.modelError(e, `thread ${q(this.model.threads[t]?.name)} step ${q(st?.name)}${c ? ` choice ${c}` : ''}`));
    }
    return n - base;
  }

  private sampled(src: Uint32Array, off: number, only: number, base: number): number {
    this.checkIn = this.det.nextStride();
    return this.det.expandRepeated(src, off, only, base);
  }

  /**
   * expand(), always executed `times` times and compared: for re-executing a
   * path, where a wrong step would be a wrong counterexample (more times where
   * a violation is confirmed: one state, and a step that only sometimes fails
   * an assertion must not slip through).
   */
  expandChecked(src: Uint32Array, off: number, only = -1, base = 0, times = 2): number {
    return this.det.expandRepeated(src, off, only, base, times);
  }

  /** One unchecked execution of expand() (the determinism check's primitive): the increment cancels expand's countdown step. */
  generate(src: Uint32Array, off: number, only = -1, base = 0): number {
    this.checkIn++;
    return this.expand(src, off, only, base);
  }

  /**
   * Index of the first invariant violated by the state, or -1. A sample of
   * the calls (as expand's) evaluates the invariants twice, between two
   * evaluations of every step's guard, and throws MC160 when anything
   * differs (src/exec/determinism.ts): an invariant must not change what
   * the steps do.
   */
  checkInvariants(buf: Uint32Array, off: number): number {
    const fns = this.invFns;
    if (fns.length === 0) return -1;
    if (--this.invCheckIn === 0) {
      this.invCheckIn = this.det.nextInvariantStride();
      return this.det.invariantsRepeated(buf, off);
    }
    const inv = this.inv;
    for (let k = 0; k < this.words; k++) inv[k] = buf[off + k]!;
    let i = 0;
    try {
      for (; i < fns.length; i++) {
        const r = fns[i]!(this.vInv) as unknown;
        if (r !== true) {
          if (r === false) return i;
          throw new McError('MC154', `returned ${q(r)}; an invariant must return true or false`);
        }
      }
    } catch (e) {
      if (isAssertionFailure(e)) return i;
      this.failingInvariant = this.model.invariants[i]!.name;
      throw inState(this.modelError(e, `invariant ${q(this.model.invariants[i]!.name)}`));
    }
    return -1;
  }

  /** One unchecked evaluation of checkInvariants() (the determinism check's primitive): the increment cancels its countdown step. */
  evaluateInvariants(buf: Uint32Array, off: number): number {
    if (this.invFns.length === 0) return -1;
    this.invCheckIn++;
    return this.checkInvariants(buf, off);
  }

  /** Wrap an exception thrown by model code into a coded error naming where it happened. */
  modelError(e: unknown, where: string): McError {
    const m = `model ${q(this.model.name)}${this.model.variant ? ` variant ${q(this.model.variant)}` : ''}, ${where}`;
    const v = viewErrorOf(e);
    if (v?.viewError === 'domain-write') return new McError('MC212', `${m}: writes ${v.variable} := ${q(v.value)}, outside its domain ${v.domain}`);
    if (v?.viewError === 'index') return new McError('MC213', `${m}: ${v.message}`);
    if (v?.viewError === 'read-only-write') return new McError('MC214', `${m}: ${v.message}`);
    if (v?.viewError === 'undeclared') return new McError('MC150', `${m}: ${v.message}`);
    if (v?.viewError === 'read-only-name') return new McError('MC152', `${m}: ${v.message}`);
    if (isMcError(e)) return new McError(e.code, `${m}: ${e.message}`);
    let err: { name: string; message: string } | null = null;
    try {
      if (toStringTag(e) === '[object Error]') err = { name: String((e as Error).name), message: String((e as Error).message) };
    } catch {
      // An Error whose name or message getter throws: it is shown as any other value.
      err = null;
    }
    // `delete me.id` in strict code: the view's own id cannot be deleted.
    const del = err?.name === 'TypeError' ? /^Cannot delete property '([^']+)'/.exec(err.message) : null;
    if (del) return new McError('MC152', `${m}: deletes ${del[1]}, which is read-only`);
    return new McError('MC135', `${m}: threw ${err ? `${err.name}: ${err.message}` : q(e)}`);
  }
}

/** Mark a model error as thrown in a state the search reached: the search's caller may find the path to it (src/trace/error-path.ts). */
function inState(e: McError): McError {
  return Object.assign(e, { atState: true });
}

/** MC136 when a model function returned a Promise or a generator object (src/model/synchronous.ts): what it left undone would be part of no state. */
function notDeferred(r: unknown, what: string): void {
  const deferred = deferredValue(r);
  if (deferred !== null) throw new McError('MC136', `${what} returned ${deferred}: a step runs to its end within one transition, so the model's functions must be synchronous`);
}
