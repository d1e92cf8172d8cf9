import { NO_PARENT } from '../store/store.ts';
import { grown } from '../store/growable.ts';
import type { Runtime } from '../exec/runtime.ts';
import type { IncompleteReason, SearchOptions } from './types.ts';
import { limitsCheck } from './explore-limits.ts';
import { expansionViolation, storeInitial, type ExploreStore as Store } from './stored-path.ts';
import type { ExploreOutcome, Reducers } from './explore.ts';
import { StackProviso } from './proviso.ts';

/**
 * Depth-first exploration with partial-order reduction and the stack cycle
 * proviso (Holzmann and Peled, "An improvement in formal verification",
 * FORTE 1994; SPIN's pan): a state is stored when it is pushed, and a state
 * expanded with a proper stubborn subset is expanded fully when one of the
 * selected successors is on the depth-first stack. Every cycle of the
 * reduced graph closes with an edge to a state on the stack, whose source
 * was then expanded fully, so every cycle has a fully expanded state (C3).
 *
 * The proviso is checked lazily, when the selected successor is reached:
 * a state on the stack then is an ancestor of the expanded state, so it was
 * on the stack at the expansion too (the children pushed in between are
 * popped again), which makes the lazy check the eager one.
 *
 * Each frame keeps the packed successors of its state (all of them, the
 * selected ones first, so a late full expansion needs no re-expansion):
 * frame f owns entries [fBase[f], fBase[f] + fN[f]), the first fK[f] the
 * stubborn set, and fNext[f] is the next to try.
 */
const CHECK_EVERY = 1024;

export function exploreDfsStack(rt: Runtime, store: Store, opts: SearchOptions, start: number, red: Reducers): ExploreOutcome {
  const W = rt.words;
  const por = red.por!;
  const sym = red.sym;
  const deadlockOn = opts.deadlock ?? rt.model.deadlock;
  const hasInv = rt.model.invariants.length > 0;
  const invNames = rt.model.invariants.map((i) => i.name);
  const verifyFootprints = por.hasDeclared;
  const out: ExploreOutcome = { violation: null, incomplete: null, transitions: 0, depth: 0, frontier: 0 };
  out.violation = storeInitial(rt, sym, (init, h) => void store.insert(init, 0, h, NO_PARENT));
  if (out.violation !== null) return out;
  if (store.count >= opts.maxStates) return finish(out, 'max-states', store.count);
  const tick = limitsCheck(opts, start, store, () => out.transitions);

  // Frames.
  let fState = new Int32Array(256);
  let fBase = new Int32Array(256);
  let fN = new Int32Array(256);
  let fK = new Int32Array(256);
  let fNext = new Int32Array(256);
  /** 1: expanded fully (from the start or by the proviso); 2: a selected successor was on the stack. */
  let fMode = new Uint8Array(256);
  let sp = 0;
  // Entries.
  let words = new Uint32Array(1024 * W);
  let hashes = new Int32Array(1024);
  let top = 0;
  let onStack = new Uint8Array(1024);
  // Candidate stubborn sets are tested against the stack before one is chosen.
  const proviso = new StackProviso(store, por.sets.gBase, sym, W);
  proviso.onStack = onStack;

  /** Push a frame for stored state s; false when expanding it found a violation. */
  const push = (s: number): boolean => {
    const chunk = store.chunkOf(s);
    const off = store.offsetOf(s);
    if (verifyFootprints) por.verify(rt, chunk, off);
    const n = rt.expand(chunk, off);
    const v = expansionViolation(rt, chunk, off, n, s, deadlockOn);
    if (v !== null) {
      out.violation = v;
      return false;
    }
    por.ample(rt, chunk, off, n, proviso);
    const k = por.ampleHi;
    por.noteExpansion(s, k === n);
    if (sp === fState.length) {
      const m = sp * 2;
      fState = grown(fState, m);
      fBase = grown(fBase, m);
      fN = grown(fN, m);
      fK = grown(fK, m);
      fNext = grown(fNext, m);
      fMode = grown(fMode, m);
    }
    if (top + n > hashes.length) {
      const m = Math.max(hashes.length * 2, top + n);
      words = grown(words, m * W);
      hashes = grown(hashes, m);
    }
    const succ = rt.succ;
    words.set(succ.subarray(0, n * W), top * W);
    for (let i = top; i < top + n; i++) {
      if (sym !== null) sym.canonicalize(words, i * W);
      hashes[i] = rt.hash(words, i * W);
    }
    // As the other explorations do, the successors an expansion takes are checked against the
    // invariants at once (before the search goes deeper), so the first violation is the shallowest one
    // along the stack.
    if (hasInv)
      for (let i = top; i < top + k; i++) {
        if (rt.checkInvariants(words, i * W) < 0) continue;
        const r = store.insert(words, i * W, hashes[i]!, s);
        if (r < 0) continue;
        out.transitions++;
        out.violation = { kind: 'invariant', property: invNames[rt.checkInvariants(words, i * W)]!, state: r };
        if (sp + 1 > out.depth) out.depth = sp + 1;
        return false;
      }
    if (s >= onStack.length) {
      onStack = grown(onStack, Math.max(s + 1, onStack.length * 2));
      proviso.onStack = onStack;
    }
    onStack[s] = 1;
    fState[sp] = s;
    fBase[sp] = top;
    fN[sp] = n;
    fK[sp] = k;
    fNext[sp] = 0;
    fMode[sp] = k === n ? 1 : 0;
    sp++;
    top += n;
    if (sp - 1 > out.depth) out.depth = sp - 1;
    return true;
  };

  if (!push(0)) return out;
  let ticks = 0;
  const maxStates = opts.maxStates;
  while (sp > 0) {
    if (++ticks === CHECK_EVERY) {
      ticks = 0;
      const r = tick(out.depth, sp);
      if (r) return finish(out, r, sp);
    }
    const f = sp - 1;
    const mode = fMode[f]!;
    const limit = mode === 1 ? fN[f]! : fK[f]!;
    if (fNext[f]! === limit) {
      if (mode === 2) {
        // A selected successor is on the stack: this state may close a cycle of reduced expansions.
        fMode[f] = 1;
        por.noteExpansion(fState[f]!, true);
        continue;
      }
      onStack[fState[f]!] = 0;
      top = fBase[f]!;
      sp--;
      continue;
    }
    const i = fBase[f]! + fNext[f]!++;
    out.transitions++;
    const r = store.insert(words, i * W, hashes[i]!, fState[f]!);
    if (r < 0) {
      if (mode === 0 && onStack[-r - 1] === 1) fMode[f] = 2;
      continue;
    }
    if (hasInv) {
      const v = rt.checkInvariants(words, i * W);
      if (v >= 0) {
        out.violation = { kind: 'invariant', property: invNames[v]!, state: r };
        if (sp > out.depth) out.depth = sp;
        return out;
      }
    }
    if (store.count >= maxStates) return finish(out, 'max-states', sp);
    if (!push(r)) return out;
  }
  return out;
}

function finish(out: ExploreOutcome, reason: IncompleteReason, frontier: number): ExploreOutcome {
  out.incomplete = reason;
  out.frontier = frontier;
  return out;
}
