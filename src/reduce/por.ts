import { McError } from '../model/errors.ts';
import type { BuiltModel } from '../model/build.ts';
import { accessVar } from './footprint.ts';
import { StubbornSets, type StubbornAccept } from './stubborn.ts';
import { grown } from '../store/growable.ts';
import { makeViewFactory, isAssertionFailure, type ViewFactory } from '../layout/views.ts';
import type { Runtime } from '../exec/runtime.ts';
import { q } from '../model/errors.ts';

/**
 * Partial-order reduction: at every expanded state the successors of a
 * stubborn set computed from the steps' guards and per-element footprints
 * (stubborn.ts) come first in the runtime's successor buffer, and
 * `ampleLo`/`ampleHi` delimit them. The caller applies the cycle proviso: if
 * any of them is already stored, the state is expanded fully (valid for BFS
 * and DFS: every cycle of the reduced graph then has a fully expanded
 * state). Deadlocks, invariants and assertion failures are preserved; with
 * `liveness` (progress and finishing visible) also non-progress cycles, but
 * not fairness (check.ts refuses weak and strong fairness with --por).
 */
export class PartialOrder {
  readonly sets: StubbornSets;
  readonly reasons: string[] = [];

  /**
   * With livelock checking, per stored state how it was expanded (the liveness search follows the same
   * edges): 1 fully, 2 + t with the set seeded by thread t (a search's proviso may pass over smaller sets).
   */
  private full: Int32Array | null;

  /** Built for livelock checking (visible progress; another thread builds the same reduction from this). */
  readonly liveness: boolean;

  constructor(readonly model: BuiltModel, opts: { liveness?: boolean } = {}) {
    const b = model;
    this.liveness = opts.liveness === true;
    this.full = opts.liveness === true ? new Int32Array(1024) : null;
    this.sets = new StubbornSets(b, { liveness: opts.liveness === true });
    const S = this.sets;
    for (const n of S.notes) this.reasons.push(n);
    const unknown = new Set<string>();
    S.footprints.forEach((fp, g) => {
      if (fp.unknown) unknown.add(`${b.threads[S.gThread[g]!]!.template.name}.${b.threads[S.gThread[g]!]!.template.steps[S.gStep[g]!]!.name}: ${fp.why}`);
    });
    for (const u of unknown) this.reasons.push(u);
    // Per step (of a template's first thread): the cells it conflicts on with other threads, and whether it is visible.
    const conflicts = new Map<string, Set<string>>();
    const visibleSteps: string[] = [];
    for (let g = 0; g < S.groups; g++) {
      const th = b.threads[S.gThread[g]!]!;
      if (th.replica > 0 || S.footprints[g]!.unknown) continue;
      const name = `${th.template.name}.${th.template.steps[S.gStep[g]!]!.name}`;
      if (S.visible[g]) visibleSteps.push(name);
      const a = S.footprints[g]!;
      const on = new Set<string>();
      for (let h = 0; h < S.groups; h++) {
        if (S.gThread[h] === th.index || !S.dependent(g, h)) continue;
        const c = S.footprints[h]!;
        const x = S.cells.empty();
        for (let w = 0; w < x.length; w++) x[w] = (a.writes[w]! & (c.reads[w]! | c.writes[w]!)) | (c.writes[w]! & a.reads[w]!);
        for (const v of S.cells.describe(x)) on.add(v.replace(/\[\d+\]$/, ''));
        if (a.readsThreads || c.readsThreads || a.writesThreads || c.writesThreads) on.add('thread labels/locals');
      }
      if (on.size) conflicts.set(name, on);
    }
    if (visibleSteps.length) this.reasons.push(`visible (taken only in full expansions or all together): ${visibleSteps.slice(0, 12).join(', ')}${visibleSteps.length > 12 ? ', ...' : ''}`);
    const cs = [...conflicts].map(([k, v]) => `${k} on ${[...v].join(', ')}`);
    if (cs.length) this.reasons.push(`dependent with other threads: ${cs.slice(0, 12).join('; ')}${cs.length > 12 ? '; ...' : ''}`);
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

  /**
   * Labels at which some step is independent of every step of some other
   * thread (0: no state can have a stubborn set smaller than all its
   * enabled steps), for the report.
   */
  safeLabels(): number {
    const S = this.sets;
    const b = this.model;
    let n = 0;
    for (const th of b.threads) {
      if (th.replica > 0) continue;
      const tpl = th.template;
      for (let l = 0; l < tpl.labels.length; l++) {
        const at = tpl.stepsAt[l]!;
        if (at.length === 0) continue;
        const free = b.threads.some((u) => u.index !== th.index && [...at].every((si) => {
          const g = S.gBase[th.index]! + si;
          if (S.footprints[g]!.unknown) return false;
          for (let h = S.gBase[u.index]!; h < S.gBase[u.index + 1]!; h++) if (S.dependent(g, h)) return false;
          return true;
        }));
        if (free) n++;
      }
    }
    return n;
  }

  /** States at which the stubborn set left some enabled transition out. */
  get reducedStates(): number {
    return this.sets.reduced;
  }

  /** Record how stored state s was expanded (only kept with livelock checking). */
  noteExpansion(s: number, fully: boolean): void {
    if (this.full !== null) this.recordExpansion(s, this.expansionCode(fully));
  }

  /** How the state of the last `ample()` was expanded: 1 fully, 2 + t with the set seeded by thread t. */
  expansionCode(fully: boolean): number {
    return fully || this.sets.chosenSeed < 0 ? 1 : 2 + this.sets.chosenSeed;
  }

  /**
   * Stored state s was expanded elsewhere (another worker of a multi-core
   * search) as `code` says (`expansionCode`): record it for the livelock
   * search.
   */
  recordExpansion(s: number, code: number): void {
    if (this.full !== null) {
      if (s >= this.full.length) this.full = grown(this.full, Math.max(s + 1, this.full.length * 2));
      this.full[s] = code;
    }
  }

  /** Set the count of states expanded with a proper stubborn set (a multi-core search counts every worker's). */
  setReducedStates(n: number): void {
    this.sets.reduced = n;
  }

  /**
   * The successors the exploration kept at stored state s, after rt.expand
   * at it gave n: all of them where it expanded fully, else the stubborn set
   * again (a function of the state), moved to the front. Returns the count.
   */
  keptAt(s: number, rt: Runtime, buf: Uint32Array, off: number, n: number): number {
    if (this.full === null) throw new Error('internal: PartialOrder.keptAt without livelock checking');
    const f = this.full[s]!;
    if (f === 1) return n;
    return f >= 2 ? this.sets.selectSeeded(rt, buf, off, n, f - 2) : this.sets.select(rt, buf, off, n);
  }

  /** The ample set of the last `ample()` call: successors [ampleLo, ampleHi) of rt's buffer. */
  ampleLo = 0;
  ampleHi = 0;

  /**
   * The stubborn set at the state buf[off..] whose n successors rt has just
   * generated: its successors are moved to [0, ampleHi) of rt's buffers
   * (all n when nothing can be left out).
   */
  ample(rt: Runtime, buf: Uint32Array, off: number, n: number, accept: StubbornAccept | null = null): void {
    this.ampleLo = 0;
    this.ampleHi = this.sets.select(rt, buf, off, n, accept);
  }
}

/** --por with livelock checking under weak or strong fairness: which threads are enabled along a cycle is not preserved. */
export function refusePorWithLiveness(fairness: string): never {
  throw new McError('MC312', `--por is not sound for livelock checking under ${fairness} fairness (the reduction keeps non-progress cycles, not which threads are enabled along them): add --fairness none, or --no-liveness, or drop --por`);
}
