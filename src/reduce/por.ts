import { McError } from '../model/errors.ts';
import type { BuiltModel } from '../model/build.ts';
import { accessVar, conflict, invariantFootprint, stepFootprint, THREADS, type Footprint } from './footprint.ts';
import { makeViewFactory, isAssertionFailure, type ViewFactory } from '../layout/views.ts';
import type { Runtime } from '../exec/runtime.ts';
import { q } from '../model/errors.ts';

/**
 * Partial-order reduction with static ample sets (Peled; Clarke, Grumberg
 * and Peled, "Model Checking", ch. 10), from the footprints of steps.
 *
 * At a state, the ample set is all enabled transitions of one thread t whose
 * current label L is "safe":
 *  - C1 (persistence): every step at L, enabled or not, is independent of
 *    every step of every other thread instance (no write/read or write/write
 *    conflict on a shared variable), so no other thread can enable, disable
 *    or be affected by them, now or later;
 *  - C2 (invisibility): no step at L asserts (an assertion failure is a
 *    visible event: the step that may fail it is visible) or writes a
 *    variable an invariant or an assertion reads;
 *  - C3 (cycle proviso, valid for BFS and DFS): if any ample successor was
 *    already stored, the state is fully expanded (the caller does this).
 * Among safe threads the one with the fewest enabled transitions is chosen.
 * Deadlocks, invariants and assertions are preserved. Liveness is not:
 * `--por` with liveness checking is refused.
 */
export class PartialOrder {
  /** safe[template][label]. */
  readonly safe: Uint8Array[];
  readonly footprints: Footprint[][];
  readonly reasons: string[] = [];
  private readonly tTpl: Int32Array;

  constructor(readonly model: BuiltModel) {
    const b = model;
    this.tTpl = Int32Array.from(b.threads, (t) => t.template.index);
    this.footprints = b.templates.map((t) => t.steps.map((s) => stepFootprint(b, s)));
    const inv = invariantFootprint(b);
    const visible = new Set<string>(inv.reads);
    let allVisible = inv.unknown && b.invariants.length > 0;
    if (allVisible) {
      this.reasons.push(`invariants: ${inv.why} (every step is visible)`);
      visible.add(THREADS);
    }
    if (inv.reads.has(THREADS)) this.reasons.push('invariants read thread labels or locals (every step is visible)');
    b.templates.forEach((_t, ti) =>
      this.footprints[ti]!.forEach((fp) => {
        if (!fp.asserts) return;
        if (fp.unknown) {
          allVisible = true;
          visible.add(THREADS);
        }
        for (const r of fp.reads) visible.add(r);
      }),
    );
    // Why labels are not safe, counted by cause, for the report.
    const blocked = new Map<string, number>();
    const block = (cause: string) => blocked.set(cause, (blocked.get(cause) ?? 0) + 1);
    this.safe = b.templates.map((t, ti) => {
      const out = new Uint8Array(t.labels.length);
      for (let l = 0; l < t.labels.length; l++) {
        const steps = t.stepsAt[l]!;
        let cause = steps.length > 0 ? '' : 'no steps';
        for (const si of steps) {
          if (cause) break;
          const fp = this.footprints[ti]![si]!;
          if (fp.unknown) {
            cause = 'footprint unknown';
            this.reasons.push(`${t.name}.${t.steps[si]!.name}: ${fp.why}`);
            break;
          }
          if (fp.asserts) cause = 'a step asserts';
          else if (fp.reads.has(THREADS) || fp.writes.has(THREADS)) cause = "a step reads other threads' labels or locals";
          // Every step moves its thread's label: visible when an invariant or assertion reads labels or locals.
          else if (visible.has(THREADS)) cause = 'invariants or assertions read labels';
          else if (allVisible && fp.writes.size > 0) cause = 'a step writes (invariants unknown)';
          else if ([...fp.writes].some((w) => visible.has(w))) cause = 'a step writes what an invariant or assertion reads';
          // Independence from every step of every other instance (own template too when replicated).
          else
            b.templates.forEach((u, ui) => {
              if (cause || (ui === ti && t.count < 2)) return;
              for (const other of this.footprints[ui]!) if (conflict(fp, other) || other.reads.has(THREADS) || other.writes.has(THREADS)) cause = "a step conflicts with another thread's";
            });
        }
        out[l] = cause ? 0 : 1;
        if (cause && cause !== 'no steps' && cause !== 'footprint unknown') block(cause);
      }
      return out;
    });
    if (blocked.size) this.reasons.unshift([...blocked].map(([c, n]) => `${n} label(s): ${c}`).join(', '));
  }

  /** Some step declares its footprint: verify() must run on every expanded state. */
  get hasDeclared(): boolean {
    return this.model.templates.some((t) => t.steps.some((s) => s.declared !== null));
  }
  private recViews: ViewFactory | null = null;

  /**
   * Check declared footprints against what the steps really touch in this
   * state: each thread's declared steps at its label run on a scratch copy
   * with recording views. An access outside the declaration is an error
   * (MC144), so a wrong declaration cannot silently make the reduction unsound
   * on the states the search visits.
   */
  verify(rt: Runtime, buf: Uint32Array, off: number): void {
    const b = this.model;
    this.recViews ??= makeViewFactory(b, rt.layout, true);
    const shared = new Set(b.shared.map((v) => v.name));
    for (const th of b.threads) {
      const tpl = th.template;
      for (const si of tpl.stepsAt[rt.label(buf, off, th.index)]!) {
        const st = tpl.steps[si]!;
        const d = st.declared;
        if (!d) continue;
        const own = `${th.name}.`;
        const bad: string[] = [];
        let asserted = false;
        const rec = {
          r: (n: string) => {
            if (n.startsWith(own)) return;
            const v = accessVar(n, shared);
            if (!d.reads.includes(v) && !d.writes.includes(v)) bad.push(`reads ${n}`);
          },
          w: (n: string) => {
            if (n.startsWith(own)) return;
            const v = accessVar(n, shared);
            if (!d.writes.includes(v)) bad.push(`writes ${n}`);
          },
          a: () => {
            asserted = true;
          },
        };
        const scratch = buf.slice(off, off + rt.words);
        const g = this.recViews(scratch, true, rec);
        let enabled = true;
        try {
          if (st.guard) enabled = !!st.guard(g.state, g.locals[th.index]!);
          const nc = enabled ? (st.choices >= 0 ? st.choices : st.chooseFn!(g.state, g.locals[th.index]!)) : 0;
          for (let c = 0; c < nc; c++) {
            const w = buf.slice(off, off + rt.words);
            const e = this.recViews(w, false, rec);
            try {
              if (st.effect) st.effect(e.state, e.locals[th.index]!, c);
              if (st.nextFn) st.nextFn(e.state, e.locals[th.index]!, c);
            } catch (x) {
              if (!isAssertionFailure(x)) throw x;
            }
          }
        } catch (x) {
          if (!isAssertionFailure(x)) throw rt.modelError(x, `thread ${q(th.name)} step ${q(st.name)} (footprint check)`);
        }
        if (asserted && !d.asserts) bad.push('asserts');
        if (bad.length)
          throw new McError('MC144', `model ${q(b.name)}, thread ${q(th.name)} step ${q(st.name)}: its declared footprint (reads ${d.reads.join(', ') || 'nothing'}; writes ${d.writes.join(', ') || 'nothing'}${d.asserts ? '; asserts' : ''}) misses what it does: ${[...new Set(bad)].join(', ')}`);
      }
    }
  }

  /** Number of safe labels (for reporting: 0 means POR can never reduce). */
  safeLabels(): number {
    return this.safe.reduce((n, a) => n + a.reduce((x, y) => x + y, 0), 0);
  }

  /** The ample set of the last `ample()` call: successors [ampleLo, ampleHi) of rt's buffer. */
  ampleLo = 0;
  ampleHi = 0;

  /**
   * The ample set at the state buf[off..] whose n successors rt has just
   * generated: one safe thread's successors (they are contiguous), or all of
   * them when no thread qualifies. Sets ampleLo and ampleHi.
   */
  ample(rt: Runtime, buf: Uint32Array, off: number, n: number): void {
    let lo = 0;
    let hi = n;
    if (n > 1) {
      const t = this.choose(rt.succThread, n, (x) => rt.label(buf, off, x));
      if (t >= 0) {
        while (rt.succThread[lo] !== t) lo++;
        hi = lo;
        while (hi < n && rt.succThread[hi] === t) hi++;
      }
    }
    this.ampleLo = lo;
    this.ampleHi = hi;
  }

  /**
   * Pick the ample thread at a state from its successors (grouped by thread,
   * in thread order, as Runtime.expand writes them): the safe thread with the
   * fewest successors, or -1 for full expansion.
   */
  choose(succThread: Int32Array, n: number, labelOf: (t: number) => number): number {
    let best = -1;
    let bestCount = n;
    let i = 0;
    while (i < n) {
      const t = succThread[i]!;
      let j = i + 1;
      while (j < n && succThread[j] === t) j++;
      if (j - i < bestCount && this.safe[this.tTpl[t]!]![labelOf(t)] === 1) {
        best = t;
        bestCount = j - i;
      }
      i = j;
    }
    return best;
  }
}

export function refusePorWithLiveness(): never {
  throw new McError('MC312', '--por is not sound for livelock checking here (progress and fairness are not visible to the reduction): add --no-liveness, or drop --por');
}
