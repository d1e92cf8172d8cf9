import type { BuiltModel } from '../model/build.ts';
import type { Runtime } from '../exec/runtime.ts';
import { cellFootprint, Cells, hasBit, intersects, invariantCells, setBit, type CellFootprint, type DynAccess } from './cells.ts';
import { maskOf, type Layout } from '../layout/layout.ts';

/**
 * Strong stubborn sets from guards (Valmari; Laarman, Pater, van de Pol and
 * Weber, "Guard-based partial-order reduction", SPIN 2013).
 *
 * A transition group is one step of one thread instance. Its guard is the
 * conjunction of "the thread is at the step's label" (the pc guard) and the
 * step's `when` (with `choose`: zero choices is disabled too). Relations
 * computed once from the footprints (cells.ts):
 *  - dep[g]: groups that may not accord with g and may be co-enabled with it:
 *    the other steps at g's label of g's thread, and steps of other threads
 *    that write what g reads or writes, or read what g writes (steps at other
 *    labels of g's own thread are never enabled together with g);
 *  - nesPc[g]: a necessary enabling set when g's thread is elsewhere: the
 *    thread's steps that may lead to g's label;
 *  - nesData[g]: a necessary enabling set when g's thread is at its label but
 *    the guard is false: every step that writes what the guard reads;
 *  - visible[g]: g may change what a property looks at: a cell an invariant
 *    reads; a step that may fail an assertion (the failure is an event of
 *    that step, the way SPIN's assert is a statement: the steps that enable
 *    it stay invisible); with livelock checking, progress and a progress
 *    thread's arrival at or departure from an end label.
 *
 * At a state, a stubborn set T is closed under: enabled g in T ⇒ dep[g] ⊆ T
 * (so everything that could disable g or not commute with it is in T: every
 * enabled member is a key transition); disabled g in T ⇒ the NES for the
 * guard conjunct that is false now ⊆ T; an enabled visible g in T ⇒ every
 * visible group ⊆ T (Valmari's V). One closure is computed per thread with
 * enabled steps, seeded with its first enabled step, and the one with the
 * fewest enabled transitions is taken (abandoned once it is no smaller than
 * the best so far). The cycle proviso (every cycle of the reduced graph has
 * a fully expanded state) is the caller's: explore.ts and bitstate.ts expand
 * fully when a selected successor is already stored.
 * These conditions preserve deadlocks, invariants and assertion failures.
 * For livelocks V is replaced by the ample-set condition C2 (a set with an
 * enabled visible member is not taken) and progress is visible; with the
 * proviso every cycle of the reduced graph has a fully expanded state, the
 * conditions C0–C3 that preserve stutter-invariant properties (Peled 1994),
 * here non-progress cycles (not fairness, which depends on every thread's
 * enabledness along the cycle).
 */
export class StubbornSets {
  readonly groups: number;
  private readonly gw: number;
  readonly gThread: Int32Array;
  readonly gStep: Int32Array;
  readonly gAt: Int32Array;
  /** First group of each thread. */
  readonly gBase: Int32Array;
  private readonly dep: Uint32Array;
  private readonly nesPc: Uint32Array;
  private readonly nesData: Uint32Array;
  readonly visible: Uint8Array;
  private readonly visibleSet: Uint32Array;
  footprints: readonly CellFootprint[];
  readonly cells: Cells;
  /** Why some groups can never be left out, for the report. */
  readonly notes: string[] = [];

  // Scratch, reused at every state.
  private readonly inS: Uint32Array;
  private readonly best: Uint32Array;
  private readonly work: Int32Array;
  private readonly enCount: Int32Array;
  private readonly labels: Int32Array;
  private readonly seeds: Int32Array;
  private readonly seedSizes: Int32Array;
  private scratchWords = new Uint32Array(0);
  private scratchI = new Int32Array(0);
  /** States where a proper subset was selected (before the caller's proviso). */
  reduced = 0;

  // Dependence resolved at a state for steps that index arrays by a local (cells.ts, DynAccess).
  private readonly dynDep: Uint8Array;
  private readonly dynNes: Uint8Array;
  private readonly writers: Uint32Array;
  private readonly accessors: Uint32Array;
  private readonly siblings: Uint32Array;
  private readonly threadMask: Uint32Array;
  private readonly touchThreads: Uint32Array;
  private readonly writeThreads: Uint32Array;
  private readonly nesLocal: Uint32Array;
  private readonly row: Uint32Array;
  private readonly cellR: Uint32Array;
  private readonly cellW: Uint32Array;
  /**
   * Local-indexed accesses flattened per group (dep: all of the step's;
   * nes: the guard's): [start[g], start[g+1]) index the slot of the index
   * local (word, shift, mask, value of code 0) and the array's cells (base,
   * length, write). Built from the layout at the first state.
   */
  private dynTables: DynTables | null = null;
  private buf: Uint32Array = new Uint32Array(0);
  private off = 0;

  private readonly strict: boolean;

  constructor(readonly model: BuiltModel, opts: { liveness: boolean }) {
    const b = model;
    this.strict = opts.liveness;
    const cells = new Cells(b);
    this.cells = cells;
    const T = b.threads.length;
    this.gBase = new Int32Array(T + 1);
    for (let t = 0; t < T; t++) this.gBase[t + 1] = this.gBase[t]! + b.threads[t]!.template.steps.length;
    const G = this.gBase[T]!;
    this.groups = G;
    const GW = Math.max(1, Math.ceil(G / 32));
    this.gw = GW;
    this.gThread = new Int32Array(G);
    this.gStep = new Int32Array(G);
    this.gAt = new Int32Array(G);
    const raw: CellFootprint[] = [];
    for (const th of b.threads)
      for (const st of th.template.steps) {
        const g = raw.length;
        this.gThread[g] = th.index;
        this.gStep[g] = st.index;
        this.gAt[g] = st.at;
        raw.push(cellFootprint(b, cells, th, st));
      }
    // An invariant is reached false by a step that writes what it reads: that step's outcome ("the state
    // after it is bad") depends on every cell the invariant reads, so those join its reads. Dependence then
    // keeps the bad event reachable, as for an assertion failure, with no visibility condition.
    this.footprints = raw;
    const inv = invariantCells(b, cells);
    const invAll = b.invariants.length > 0 && (inv.unknown || inv.threads);
    if (b.invariants.length > 0 && !invAll)
      this.footprints = this.footprints.map((a) => {
        if (a.unknown || !intersects(a.writes, inv.reads)) return a;
        const reads = a.reads.slice();
        const fixedReads = a.fixedReads.slice();
        for (let w = 0; w < reads.length; w++) {
          reads[w]! |= inv.reads[w]!;
          fixedReads[w]! |= inv.reads[w]!;
        }
        return { ...a, reads, fixedReads };
      });
    const fp = this.footprints;
    // Labels each step may lead to (a computed next may lead anywhere in its thread).
    const targets = (g: number): (l: number) => boolean => {
      const st = b.threads[this.gThread[g]!]!.template.steps[this.gStep[g]!]!;
      return st.next >= 0 ? (l) => l === st.next : () => true;
    };
    const tg = Array.from({ length: G }, (_, g) => targets(g));
    this.dep = new Uint32Array(G * GW);
    this.nesPc = new Uint32Array(G * GW);
    this.nesData = new Uint32Array(G * GW);
    const row = (m: Uint32Array, g: number) => m.subarray(g * GW, (g + 1) * GW);
    for (let g = 0; g < G; g++) {
      const a = fp[g]!;
      const t = this.gThread[g]!;
      const dep = row(this.dep, g);
      const pc = row(this.nesPc, g);
      const data = row(this.nesData, g);
      for (let h = 0; h < G; h++) {
        const c = fp[h]!;
        const u = this.gThread[h]!;
        if (u === t) {
          if (h !== g && this.gAt[h] === this.gAt[g]) setBit(dep, h);
          if (tg[h]!(this.gAt[g]!)) setBit(pc, h);
        } else if (
          a.unknown || c.unknown || a.readsThreads || a.writesThreads || c.readsThreads || c.writesThreads ||
          intersects(a.writes, c.reads) || intersects(a.writes, c.writes) || intersects(c.writes, a.reads)
        )
          setBit(dep, h);
        // Who can make g's guard true: writers of what it reads (own locals only by its own thread).
        if (a.unknown || c.writesThreads || intersects(c.writes, a.guardReads) || (u === t ? intersects(c.localWrites, a.guardLocalReads) : a.guardReadsThreads)) setBit(data, h);
      }
    }
    // Visibility.
    this.visible = new Uint8Array(G);
    const vis = (h: number) => {
      this.visible[h] = 1;
    };
    if (invAll) {
      for (let h = 0; h < G; h++) vis(h);
      this.notes.push(inv.unknown ? `invariants: ${inv.why} (every step is visible)` : 'invariants read thread labels or locals (every step is visible)');
    }
    if (opts.liveness)
      for (let g = 0; g < G; g++) {
        const tpl = b.threads[this.gThread[g]!]!.template;
        const st = tpl.steps[this.gStep[g]!]!;
        if (!tpl.hasProgress) continue;
        // Progress, and a progress thread's finishing or resuming (a cycle where every such thread is finished is no livelock).
        let touches = st.progress || tpl.isEnd[st.at] === 1;
        for (let l = 0; l < tpl.labels.length && !touches; l++) if (tg[g]!(l) && (tpl.isProgress[l] === 1 || tpl.isEnd[l] === 1)) touches = true;
        if (touches) vis(g);
      }
    this.visibleSet = new Uint32Array(GW);
    for (let g = 0; g < G; g++) if (this.visible[g]) setBit(this.visibleSet, g);
    // Per cell: the groups writing it, and those touching it; per thread: its groups.
    const CW = cells.words;
    this.writers = new Uint32Array(cells.count * GW);
    this.accessors = new Uint32Array(cells.count * GW);
    this.siblings = new Uint32Array(G * GW);
    this.threadMask = new Uint32Array(T * GW);
    this.touchThreads = new Uint32Array(GW);
    this.writeThreads = new Uint32Array(GW);
    this.nesLocal = new Uint32Array(G * GW);
    this.dynDep = new Uint8Array(G);
    this.dynNes = new Uint8Array(G);
    for (let h = 0; h < G; h++) {
      const c = fp[h]!;
      setBit(row(this.threadMask, this.gThread[h]!), h);
      if (c.unknown || c.readsThreads || c.writesThreads) setBit(this.touchThreads, h);
      if (c.unknown || c.writesThreads) setBit(this.writeThreads, h);
      for (let x = 0; x < cells.count; x++) {
        if (hasBit(c.writes, x)) {
          setBit(this.writers.subarray(x * GW, (x + 1) * GW), h);
          setBit(this.accessors.subarray(x * GW, (x + 1) * GW), h);
        } else if (hasBit(c.reads, x)) setBit(this.accessors.subarray(x * GW, (x + 1) * GW), h);
      }
    }
    for (let g = 0; g < G; g++) {
      const a = fp[g]!;
      for (let h = 0; h < G; h++) {
        if (this.gThread[h] !== this.gThread[g]) continue;
        if (h !== g && this.gAt[h] === this.gAt[g]) setBit(row(this.siblings, g), h);
        if (intersects(fp[h]!.localWrites, a.guardLocalReads)) setBit(row(this.nesLocal, g), h);
      }
      if (!a.unknown && a.dyn.length > 0) this.dynDep[g] = 1;
      if (!a.unknown && a.guardDyn.length > 0) this.dynNes[g] = 1;
    }
    this.row = new Uint32Array(GW);
    this.cellR = new Uint32Array(CW);
    this.cellW = new Uint32Array(CW);
    this.inS = new Uint32Array(GW);
    this.best = new Uint32Array(GW);
    this.work = new Int32Array(G);
    this.enCount = new Int32Array(G);
    this.labels = new Int32Array(T);
    this.seeds = new Int32Array(T);
    this.seedSizes = new Int32Array(T);
  }

  /** Is h in g's row of a relation? (for tests and reports) */
  dependent(g: number, h: number): boolean {
    return (this.dep[g * this.gw + (h >>> 5)]! & (1 << (h & 31))) !== 0;
  }

  /**
   * Add the groups of a relation's row g not yet in the set; returns the new
   * stack pointer.
   */
  private addRow(m: Uint32Array, g: number, sp: number): number {
    const GW = this.gw;
    const inS = this.inS;
    const work = this.work;
    const o = g * GW;
    for (let w = 0; w < GW; w++) {
      let x = m[o + w]! & ~inS[w]!;
      if (x === 0) continue;
      inS[w]! |= x;
      while (x !== 0) {
        const low = x & -x;
        const h = (w << 5) + 31 - Math.clz32(low);
        if (h < this.groups) work[sp++] = h; // a complemented mask has bits past the last group
        x ^= low;
      }
    }
    return sp;
  }

  /** Mark the cells of g's accesses indexed by its thread's locals at the current state (out of range: no access). */
  private resolve(x: DynTable, g: number, reads: Uint32Array, writes: Uint32Array | null): void {
    const buf = this.buf;
    const off = this.off;
    for (let k = x.start[g]!; k < x.start[g + 1]!; k++) {
      const v = ((buf[off + x.word[k]!]! >>> x.shift[k]!) & x.mask[k]!) + x.min[k]!;
      if (x.whole[k] === 1) {
        for (let i = 0; i < x.len[k]!; i++) setBit(x.write[k] === 1 && writes !== null ? writes : reads, x.base[k]! + i);
        continue;
      }
      if (!(v >= 0 && v < x.len[k]!)) continue;
      setBit(x.write[k] === 1 && writes !== null ? writes : reads, x.base[k]! + v);
    }
  }

  private tables(layout: Layout): DynTables {
    const b = this.model;
    const make = (pick: (fp: CellFootprint) => readonly DynAccess[]): DynTable => {
      const start = new Int32Array(this.groups + 1);
      const all: { g: number; d: DynAccess }[] = [];
      for (let g = 0; g < this.groups; g++) {
        start[g] = all.length;
        if (!this.footprints[g]!.unknown) for (const d of pick(this.footprints[g]!)) all.push({ g, d });
      }
      start[this.groups] = all.length;
      const K = all.length;
      const x: DynTable = { start, word: new Int32Array(K), shift: new Int32Array(K), mask: new Int32Array(K), min: new Int32Array(K), base: new Int32Array(K), len: new Int32Array(K), write: new Uint8Array(K), whole: new Uint8Array(K) };
      all.forEach(({ g, d }, k) => {
        const th = b.threads[this.gThread[g]!]!;
        const tl = layout.templates[th.template.index]!;
        const lv = tl.locals.find((l) => l.name === d.local)!;
        const slot = lv.slots[th.replica]!;
        x.word[k] = slot.word;
        x.shift[k] = slot.shift;
        x.mask[k] = maskOf(slot.width);
        const dom = lv.elem as { kind: string; min?: number };
        // Only an int local is an index; any other kind stands for the whole array.
        if (dom.kind === 'int') x.min[k] = dom.min!;
        else x.whole[k] = 1;
        x.base[k] = d.base;
        x.len[k] = d.length;
        x.write[k] = d.write ? 1 : 0;
      });
      return x;
    };
    return { dep: make((fp) => fp.dyn), nes: make((fp) => fp.guardDyn) };
  }

  /** Rows resolved at the current state, computed once per state (several closures meet the same groups). */
  private depHere = new Uint32Array(0);
  private nesHere = new Uint32Array(0);
  private depStamp = new Int32Array(0);
  private nesStamp = new Int32Array(0);
  private epoch = 0;

  private cachedDep(g: number): number {
    if (this.depStamp[g] !== this.epoch) {
      this.depHere.set(this.dependentHere(g), g * this.gw);
      this.depStamp[g] = this.epoch;
    }
    return g;
  }

  private cachedNes(g: number): number {
    if (this.nesStamp[g] !== this.epoch) {
      this.nesHere.set(this.enablersHere(g), g * this.gw);
      this.nesStamp[g] = this.epoch;
    }
    return g;
  }

  /** dep[g] at the current state: g's local-indexed accesses resolved to their elements. */
  private dependentHere(g: number): Uint32Array {
    const a = this.footprints[g]!;
    const R = this.row;
    const cr = this.cellR;
    const cw = this.cellW;
    cr.set(a.fixedReads);
    cw.set(a.fixedWrites);
    this.resolve(this.dynTables!.dep, g, cr, cw);
    R.set(this.touchThreads);
    this.orCells(cw, this.accessors);
    this.orCells(cr, this.writers);
    const GW = this.gw;
    const tm = this.gThread[g]! * GW;
    const sib = g * GW;
    for (let w = 0; w < GW; w++) R[w] = (R[w]! & ~this.threadMask[tm + w]!) | this.siblings[sib + w]!;
    if (a.readsThreads || a.writesThreads) for (let w = 0; w < GW; w++) R[w] = ~this.threadMask[tm + w]! | this.siblings[sib + w]!;
    return R;
  }

  /** nesData[g] at the current state (g's thread is at its label, its guard false). */
  private enablersHere(g: number): Uint32Array {
    const a = this.footprints[g]!;
    const R = this.row;
    const cr = this.cellR;
    cr.set(a.fixedGuardReads);
    this.resolve(this.dynTables!.nes, g, cr, null);
    R.set(this.writeThreads);
    this.orCells(cr, this.writers);
    const GW = this.gw;
    const tm = this.gThread[g]! * GW;
    for (let w = 0; w < GW; w++) R[w]! |= this.nesLocal[g * GW + w]! | (a.guardReadsThreads ? ~this.threadMask[tm + w]! : 0);
    return R;
  }

  /** R |= m[c] for every cell c in `set`. */
  private orCells(set: Uint32Array, m: Uint32Array): void {
    const R = this.row;
    const GW = this.gw;
    for (let w = 0; w < set.length; w++) {
      let x = set[w]!;
      while (x !== 0) {
        const low = x & -x;
        const c = (w << 5) + 31 - Math.clz32(low);
        x ^= low;
        const o = c * GW;
        for (let k = 0; k < GW; k++) R[k]! |= m[o + k]!;
      }
    }
  }

  /** The closure from one seed; the number of enabled transitions in it, or -1 once it reaches `bound`. */
  private closure(seed: number, bound: number): number {
    const inS = this.inS;
    inS.fill(0);
    setBit(inS, seed);
    const work = this.work;
    let sp = 0;
    work[sp++] = seed;
    let cnt = 0;
    let visibleAdded = false;
    while (sp > 0) {
      const g = work[--sp]!;
      const en = this.enCount[g]!;
      if (en > 0) {
        cnt += en;
        if (cnt >= bound) return -1;
        sp = this.dynDep[g] === 1 ? this.addRow(this.depHere, this.cachedDep(g), sp) : this.addRow(this.dep, g, sp);
        // For livelocks the ample-set condition C2: a visible transition is taken only in a full expansion.
        if (this.visible[g] === 1 && this.strict) return -1;
        if (this.visible[g] === 1 && !visibleAdded) {
          visibleAdded = true;
          const GW = this.gw;
          for (let w = 0; w < GW; w++) {
            let x = this.visibleSet[w]! & ~inS[w]!;
            inS[w]! |= x;
            while (x !== 0) {
              const low = x & -x;
              work[sp++] = (w << 5) + 31 - Math.clz32(low);
              x ^= low;
            }
          }
        }
      } else if (this.labels[this.gThread[g]!] !== this.gAt[g]) sp = this.addRow(this.nesPc, g, sp);
      else sp = this.dynNes[g] === 1 ? this.addRow(this.nesHere, this.cachedNes(g), sp) : this.addRow(this.nesData, g, sp);
    }
    return cnt;
  }

  /**
   * Choose a stubborn set at the state buf[off..] whose n successors rt has
   * just generated, and move its successors to the front of rt's successor
   * buffers (each part keeps its order). Returns how many were selected
   * (n when the set is every enabled transition).
   */
  select(rt: Runtime, buf: Uint32Array, off: number, n: number, accept: StubbornAccept | null = null): number {
    this.chosenSeed = -1;
    if (n <= 1) return n;
    this.prepare(rt, buf, off, n);
    const st = rt.succThread;
    const ss = rt.succStep;
    // Seeds (each thread's first enabled step) by increasing number of successors, so that a small set
    // found early bounds the closures after it.
    const seeds = this.seeds;
    const sizes = this.seedSizes;
    let ns = 0;
    let i = 0;
    while (i < n) {
      const t = st[i]!;
      let j = i + 1;
      while (j < n && st[j] === t) j++;
      let k = ns++;
      while (k > 0 && sizes[k - 1]! > j - i) {
        seeds[k] = seeds[k - 1]!;
        sizes[k] = sizes[k - 1]!;
        k--;
      }
      seeds[k] = this.gBase[t]! + ss[i]!;
      sizes[k] = j - i;
      i = j;
    }
    let bestCnt = n;
    for (let k = 0; k < ns && sizes[k]! < bestCnt; k++) {
      const c = this.closure(seeds[k]!, bestCnt);
      // A set the caller's cycle proviso rejects is passed over for the next smallest (the proviso then
      // forces a full expansion only when every candidate fails it).
      if (c >= 0 && c < bestCnt && (accept === null || accept.accepts(this.inS, rt, n))) {
        bestCnt = c;
        this.best.set(this.inS);
        this.chosenSeed = this.gThread[seeds[k]!]!;
      }
    }
    if (bestCnt === n) {
      this.chosenSeed = -1;
      return n;
    }
    this.reduced++;
    this.partition(rt, n);
    return bestCnt;
  }

  /** Thread whose first enabled step seeded the set the last select() chose; -1 when it kept every transition. */
  chosenSeed = -1;

  /**
   * The set seeded by thread t's first enabled step at the state (as select()
   * would compute it), its successors moved to the front; returns how many.
   * Lets a search that chose among candidates by its proviso find the same
   * set again.
   */
  selectSeeded(rt: Runtime, buf: Uint32Array, off: number, n: number, t: number): number {
    if (n <= 1) return n;
    this.prepare(rt, buf, off, n);
    let i = 0;
    while (i < n && rt.succThread[i] !== t) i++;
    if (i === n) return n;
    const c = this.closure(this.gBase[t]! + rt.succStep[i]!, n + 1);
    if (c < 0 || c >= n) return n;
    this.best.set(this.inS);
    this.partition(rt, n);
    return c;
  }

  /** Per-state set-up of select(): enabled counts per group, labels, the local-indexed tables. */
  private prepare(rt: Runtime, buf: Uint32Array, off: number, n: number): void {
    const T = rt.threads;
    const enCount = this.enCount;
    enCount.fill(0);
    const st = rt.succThread;
    const ss = rt.succStep;
    for (let i = 0; i < n; i++) enCount[this.gBase[st[i]!]! + ss[i]!]!++;
    for (let t = 0; t < T; t++) this.labels[t] = rt.label(buf, off, t);
    if (this.dynTables === null) {
      this.dynTables = this.tables(rt.layout);
      this.depHere = new Uint32Array(this.groups * this.gw);
      this.nesHere = new Uint32Array(this.groups * this.gw);
      this.depStamp = new Int32Array(this.groups);
      this.nesStamp = new Int32Array(this.groups);
    }
    this.epoch = (this.epoch + 1) | 0 || 1;
    this.buf = buf;
    this.off = off;
  }

  /** Stable partition of rt's successors: those of groups in `best` first. */
  private partition(rt: Runtime, n: number): void {
    const W = rt.words;
    if (this.scratchWords.length < n * W) this.scratchWords = new Uint32Array(n * W * 2);
    if (this.scratchI.length < n * 4) this.scratchI = new Int32Array(n * 8);
    const sw = this.scratchWords;
    const si = this.scratchI;
    const succ = rt.succ;
    sw.set(succ.subarray(0, n * W));
    for (let i = 0; i < n; i++) {
      si[i * 4] = rt.succThread[i]!;
      si[i * 4 + 1] = rt.succStep[i]!;
      si[i * 4 + 2] = rt.succChoice[i]!;
      si[i * 4 + 3] = rt.succProgress[i]!;
    }
    const best = this.best;
    let k = 0;
    for (let pass = 0; pass < 2; pass++)
      for (let i = 0; i < n; i++) {
        const g = this.gBase[si[i * 4]!]! + si[i * 4 + 1]!;
        const inBest = (best[g >>> 5]! & (1 << (g & 31))) !== 0;
        if (inBest !== (pass === 0)) continue;
        succ.set(sw.subarray(i * W, (i + 1) * W), k * W);
        rt.succThread[k] = si[i * 4]!;
        rt.succStep[k] = si[i * 4 + 1]!;
        rt.succChoice[k] = si[i * 4 + 2]!;
        rt.succProgress[k] = si[i * 4 + 3]!;
        k++;
      }
  }
}

/** A search's cycle proviso as a test of a candidate set (groups in `set`) against rt's n successors, before they are reordered. */
export interface StubbornAccept {
  accepts(set: Uint32Array, rt: Runtime, n: number): boolean;
}

interface DynTable {
  readonly start: Int32Array;
  readonly word: Int32Array;
  readonly shift: Int32Array;
  readonly mask: Int32Array;
  readonly min: Int32Array;
  readonly base: Int32Array;
  readonly len: Int32Array;
  readonly write: Uint8Array;
  readonly whole: Uint8Array;
}
interface DynTables {
  readonly dep: DynTable;
  readonly nes: DynTable;
}
