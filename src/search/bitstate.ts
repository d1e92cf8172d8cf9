import type { Fairness } from '../model/define.ts';
import type { Runtime } from '../exec/runtime.ts';
import { BitTable } from '../store/bits.ts';
import { fingerprint2 } from '../store/fingerprints.ts';
import { Growable } from '../store/growable.ts';
import { Path } from './path.ts';
import { Frames } from './frames.ts';
import { CycleJudge } from './cycle-judge.ts';
import type { Reducers } from './explore.ts';
import type { FoundViolation, IncompleteReason } from './types.ts';
import { assertionViolation, deadlockViolation, invariantViolation } from './violation.ts';

/**
 * The bitstate depth-first search (Holzmann's supertrace): the visited set
 * is a `BitTable`, so memory is fixed however large the model is, at the
 * price of skipping a state whose bits all collide with states seen before.
 * The path is on an explicit stack (`Path`, with each state's untried
 * successors in `Frames`), so a counterexample is the stack itself.
 *
 * It serves both `--store bitstate` and each member of a swarm; what differs
 * between them is options: the bit table's size, hash count and seeds, the
 * order successors are tried in (generation order, or shuffled by a seeded
 * generator), a depth bound, judging the cycles that close on the stack
 * (liveness on the fly), recording fingerprints for coverage, reductions,
 * and what stops it early (a shared control word, a clock, a monitor).
 *
 * Under symmetry the canonical form is only the key of the visited set: the
 * stack holds concrete states, so traces need no translation. With partial
 * order reduction the ample set keeps the cycle proviso: when one of its
 * successors is already visited the state is expanded fully.
 */

/** Slots of the control word a swarm shares with its members. */
export const CONTROL_BOUND = 0;
export const CONTROL_STOP = 1;
/** What CONTROL_STOP holds once the members are to stop: why (0 while they run). */
export const STOP_CODES = { 'time-limit': 1, interrupted: 2, 'memory-limit': 3 } as const;
export type StopCode = keyof typeof STOP_CODES;
/** The reason a stop code stands for (a code from no known writer reads as the time limit). */
export const stopReason = (code: number): StopCode => (code === 2 ? 'interrupted' : code === 3 ? 'memory-limit' : 'time-limit');
/** The bound before any member has reported a violation. */
export const NO_BOUND = 0x7fffffff;

export interface BitstateDfsOptions {
  /** log2 of the number of bits, bit positions per state, and the two hash seeds. */
  readonly log2Bits: number;
  readonly hashes: number;
  readonly hashSeeds: readonly [number, number];
  /** Report deadlocks (resolved against the model). */
  readonly deadlock: boolean;
  /** Judge every cycle that closes on the stack for a fair non-progress cycle (the model declares progress). */
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** New states at most. */
  readonly maxStates: number;
  /** States at this depth are checked but not expanded (Infinity: no bound). */
  readonly depthBound: number;
  /** Random source for the order successors are tried in (Fisher-Yates); null: generation order. */
  readonly shuffle: (() => number) | null;
  /** Fingerprints of visited states recorded for coverage at most; null: none recorded. */
  readonly coverageCap: number | null;
  readonly reducers: Reducers;
  /**
   * A swarm's shared control word (CONTROL_BOUND, CONTROL_STOP), or null:
   * stop ('time-limit') when STOP is set, stop ('cancelled') once more states
   * were expanded than BOUND. Read with the other stop conditions, so it
   * never changes what the search does before it stops.
   */
  readonly control: Int32Array | null;
  /** Polled every 256 iterations with how far the search got: a reason to stop (time limit, monitor), or null. */
  readonly stop: (states: number, transitions: number, depth: number, frontier: number) => IncompleteReason | null;
}

export type BitstateStatus = 'done' | 'violation' | 'cancelled' | IncompleteReason;

export interface BitstateOutcome {
  status: BitstateStatus;
  violation: FoundViolation | null;
  /** States expanded when the violation was found, or -1. */
  cost: number;
  expanded: number;
  /** Distinct states visited (the bit table said new). */
  states: number;
  transitions: number;
  /** Deepest stack position expanded. */
  depth: number;
  /** Stack depth when the search stopped. */
  frontier: number;
  /** States at the depth bound, checked but not expanded. */
  depthCut: number;
  /** Cycles closed on the stack and judged. */
  cycles: number;
  table: BitTable;
  /** Bytes of the stack (states and untried successors), 0 when the search stopped at the initial state. */
  stackBytes: number;
  /** Flat [h1, h2, ...] fingerprints of visited states (the first coverageCap of them). */
  fingerprints: Uint32Array;
  fingerprintsCapped: boolean;
}

const CHECK_EVERY = 256;

export function bitstateDfs(rt: Runtime, o: BitstateDfsOptions): BitstateOutcome {
  const W = rt.words;
  const model = rt.model;
  const { por, sym } = o.reducers;
  const verifyFootprints = por !== null && por.hasDeclared;
  const hasInv = model.invariants.length > 0;
  const liveness = o.liveness;
  const coverage = o.coverageCap !== null;
  const cap = 2 * (o.coverageCap ?? 0);
  const hashPath = liveness || coverage;
  const control = o.control;
  const shuffle = o.shuffle;
  const table = new BitTable(o.log2Bits, o.hashes, o.hashSeeds);
  const path = new Path(W, rt.threads);
  const frames = new Frames(W);
  const judge = liveness ? new CycleJudge(rt, o.fairness, path.maskWords) : null;
  const fps = new Growable(new Uint32Array(2048));
  const key = new Uint32Array(W);
  let order = new Int32Array(64);
  const out: BitstateOutcome = {
    status: 'done',
    violation: null,
    cost: -1,
    expanded: 0,
    states: 0,
    transitions: 0,
    depth: 0,
    frontier: 0,
    depthCut: 0,
    cycles: 0,
    table,
    stackBytes: 0,
    fingerprints: new Uint32Array(0),
    fingerprintsCapped: false,
  };
  const found = (v: FoundViolation) => {
    out.status = 'violation';
    out.violation = v;
    out.cost = out.expanded;
  };
  const record = (h1: number, buf: Uint32Array, off: number) => {
    if (fps.n >= cap) out.fingerprintsCapped = true;
    else fps.push2(h1, fingerprint2(buf, off, W));
  };
  /** Visited-set test of a concrete state: by its canonical form under symmetry. */
  const visit = (buf: Uint32Array, off: number, set: boolean): boolean => {
    let b = buf;
    let bo = off;
    if (sym !== null) {
      for (let k = 0; k < W; k++) key[k] = buf[off + k]!;
      sym.canonicalize(key, 0);
      b = key;
      bo = 0;
    }
    return set ? !table.testAndSet(b, bo, W) : table.test(b, bo, W);
  };

  /** Expand the top of the stack into a new frame; false when that finds a violation. */
  const expandTop = (): boolean => {
    const top = path.len - 1;
    const off = top * W;
    if (verifyFootprints) por.verify(rt, path.states, off);
    const n = rt.expand(path.states, off);
    out.expanded++;
    if (top > out.depth) out.depth = top;
    if (n < 0) {
      found(assertionViolation(rt, path.steps(top)));
      return false;
    }
    if (n === 0 && o.deadlock && !rt.allEnded(path.states, off)) {
      found(deadlockViolation(path.steps(top)));
      return false;
    }
    // The ample range [lo, hi): one thread's successors when POR can reduce here.
    let lo = 0;
    let hi = n;
    if (por !== null) {
      por.ample(rt, path.states, off, n);
      lo = por.ampleLo;
      hi = por.ampleHi;
      // C3: an ample successor already visited forces full expansion.
      if (hi - lo < n)
        for (let i = lo; i < hi; i++)
          if (visit(rt.succ, i * W, false)) {
            lo = 0;
            hi = n;
            break;
          }
    }
    const m = hi - lo;
    out.transitions += m;
    if (liveness) path.setEnabled(top, rt.succThread, n);
    if (order.length < m) order = new Int32Array(m * 2);
    for (let k = 0; k < m; k++) order[k] = lo + k;
    if (shuffle !== null)
      for (let i = m - 1; i > 0; i--) {
        const j = Math.floor(shuffle() * (i + 1));
        const x = order[i]!;
        order[i] = order[j]!;
        order[j] = x;
      }
    frames.push(top, rt, order, m);
    return true;
  };

  const init = rt.initial();
  visit(init, 0, true);
  out.states = 1;
  const h0 = hashPath ? rt.hash(init, 0) : 0;
  if (coverage) record(h0, init, 0);
  const inv0 = hasInv ? rt.checkInvariants(init, 0) : -1;
  if (inv0 >= 0) found(invariantViolation(rt, inv0, []));
  else if (out.states >= o.maxStates) {
    // The initial state is the limit (--max-states 1): stored, not expanded.
    out.status = 'max-states';
    out.frontier = 1;
  } else {
    path.push(init, 0, h0);
    let ticks = 0;
    if (expandTop()) {
      while (path.len > 0) {
        if (++ticks === CHECK_EVERY) {
          ticks = 0;
          if (control !== null && Atomics.load(control, CONTROL_STOP) !== 0) {
            out.status = stopReason(Atomics.load(control, CONTROL_STOP));
            break;
          }
          if (control !== null && out.expanded > Atomics.load(control, CONTROL_BOUND)) {
            out.status = 'cancelled';
            break;
          }
          const r = o.stop(out.states, out.transitions, out.depth, path.len);
          if (r !== null) {
            out.status = r;
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
        if (visit(sw, so, true)) {
          // Seen before (or a collision). On the stack, it closes a cycle.
          if (judge !== null) {
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
        const h = hashPath ? rt.hash(sw, so) : 0;
        if (coverage) record(h, sw, so);
        if (hasInv) {
          const v = rt.checkInvariants(sw, so);
          if (v >= 0) {
            found(invariantViolation(rt, v, path.steps(top + 1)));
            break;
          }
        }
        if (out.states >= o.maxStates) {
          out.status = 'max-states';
          break;
        }
        if (top + 1 >= o.depthBound) {
          out.depthCut++;
          continue;
        }
        path.push(sw, so, h);
        if (!expandTop()) break;
      }
      out.frontier = path.len;
      out.stackBytes = path.states.byteLength + frames.bytes();
    }
  }
  out.fingerprints = fps.a.slice(0, fps.n);
  return out;
}
