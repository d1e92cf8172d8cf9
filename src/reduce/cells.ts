import type { BuiltModel, BuiltStep, ThreadInstance } from '../model/build.ts';
import { partsOf } from '../model/blocks/compose.ts';
import { codeOnly, memberUses, paramNames, writtenAt } from '../model/source.ts';

/**
 * Footprints of steps per thread instance and per array element ("cells"),
 * for guard-based partial-order reduction (src/reduce/stubborn.ts).
 *
 * A cell is one shared scalar or one element of a shared array; cells are
 * numbered var by var. An access `s.a.get(i)` / `s.a.set(i, v)` whose index
 * is an integer literal or the thread's own `me.id` touches one cell of the
 * instance that runs the step (so `s.flag.get(me.id)` of thread 2 touches
 * flag[2] only); any other index, `s.a.fill(...)` or another use of the
 * array touches all its cells. Locals are tracked by name within the thread
 * (only the thread itself can touch them, apart from `s.local(...)`, which is
 * THREADS). The guard's reads (with `choose`'s) are kept apart: they are what
 * a step waits for, the necessary enabling set of a disabled step.
 *
 * Like footprint.ts this is an over-approximation or `unknown`, never less
 * than what the step touches; declared footprints are taken whole-variable.
 */
export interface CellFootprint {
  readonly unknown: boolean;
  readonly why: string;
  /** Cells read anywhere in the step (guard, choose, effect, next). */
  readonly reads: Uint32Array;
  readonly writes: Uint32Array;
  /** Cells read by the guard or choose (what can enable the step). */
  readonly guardReads: Uint32Array;
  /** Own locals, by index in the template. */
  readonly localReads: Uint32Array;
  readonly localWrites: Uint32Array;
  readonly guardLocalReads: Uint32Array;
  /** Reads other threads' labels or locals (s.at, s.count, s.local). */
  readonly readsThreads: boolean;
  readonly guardReadsThreads: boolean;
  /** Writes other threads' locals (s.local). */
  readonly writesThreads: boolean;
  readonly asserts: boolean;
  /**
   * The same reads and writes without the accesses indexed by a local
   * (`s.a.get(me.j)`), which are listed in `dyn` (and `guardDyn` for the
   * guard's) to be resolved at a state from the thread's locals.
   */
  readonly fixedReads: Uint32Array;
  readonly fixedWrites: Uint32Array;
  readonly fixedGuardReads: Uint32Array;
  readonly dyn: readonly DynAccess[];
  readonly guardDyn: readonly DynAccess[];
}

/** An access to element `me[local]` of the array whose cells are [base, base + length). */
export interface DynAccess {
  readonly base: number;
  readonly length: number;
  readonly local: string;
  readonly write: boolean;
}

/** Cell numbering of a model's shared variables. */
export class Cells {
  readonly count: number;
  readonly words: number;
  /** First cell of each shared variable, by name; arrays span `length` cells. */
  readonly base = new Map<string, number>();
  readonly size = new Map<string, number>();
  readonly names: string[] = [];
  readonly isArray = new Set<string>();

  constructor(b: BuiltModel) {
    let n = 0;
    for (const v of b.shared) {
      const len = v.domain.kind === 'array' ? v.domain.length : 1;
      this.base.set(v.name, n);
      this.size.set(v.name, len);
      if (v.domain.kind === 'array') this.isArray.add(v.name);
      for (let i = 0; i < len; i++) this.names.push(v.domain.kind === 'array' ? `${v.name}[${i}]` : v.name);
      n += len;
    }
    this.count = n;
    this.words = Math.max(1, Math.ceil(n / 32));
  }

  empty(): Uint32Array {
    return new Uint32Array(this.words);
  }

  /** Mark variable `name` (element `el`, or all of it when el < 0). */
  mark(set: Uint32Array, name: string, el: number): void {
    const b = this.base.get(name)!;
    const len = this.size.get(name)!;
    if (el >= 0 && el < len) setBit(set, b + el);
    else for (let i = 0; i < len; i++) setBit(set, b + i);
  }

  /** Names of the variables (whole or element) marked in a set, for messages. */
  describe(set: Uint32Array): string[] {
    const out: string[] = [];
    for (let i = 0; i < this.count; i++) if (hasBit(set, i)) out.push(this.names[i]!);
    return out;
  }
}

export const setBit = (a: Uint32Array, i: number): void => {
  a[i >>> 5]! |= 1 << (i & 31);
};
export const hasBit = (a: Uint32Array, i: number): boolean => (a[i >>> 5]! & (1 << (i & 31))) !== 0;
export const intersects = (a: Uint32Array, b: Uint32Array): boolean => {
  for (let i = 0; i < a.length; i++) if ((a[i]! & b[i]!) !== 0) return true;
  return false;
};
export const orInto = (dst: Uint32Array, src: Uint32Array): void => {
  for (let i = 0; i < dst.length; i++) dst[i]! |= src[i]!;
};
export const isEmpty = (a: Uint32Array): boolean => {
  for (let i = 0; i < a.length; i++) if (a[i] !== 0) return false;
  return true;
};

interface Acc {
  unknown: boolean;
  why: string;
  reads: Uint32Array;
  writes: Uint32Array;
  localReads: Uint32Array;
  localWrites: Uint32Array;
  readsThreads: boolean;
  writesThreads: boolean;
  asserts: boolean;
  fixedReads: Uint32Array;
  fixedWrites: Uint32Array;
  dyn: DynAccess[];
}

/** The first argument of the call whose `(` is at `open`, or null when it cannot be delimited. */
function firstArg(src: string, open: number): string | null {
  let depth = 0;
  for (let i = open + 1; i < src.length; i++) {
    const c = src[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) return src.slice(open + 1, i).trim();
      depth--;
    } else if (c === ',' && depth === 0) return src.slice(open + 1, i).trim();
  }
  return null;
}

/**
 * `stale`: locals an earlier stage of the step may have changed (the effect's
 * writes, for `next`); the function's own writes are added to it. An access
 * indexed by a local is resolved at the state only when the index still has
 * the state's value there: no earlier stage wrote it, no write of it comes
 * before the access in the text, and the function has no loop.
 */
function scanFn(fn: Function | null, acc: Acc, cells: Cells, localIndex: ReadonlyMap<string, number>, replica: number, what: string, stale: Set<string> = new Set()): void {
  if (fn === null || acc.unknown) return;
  // A composed guard or effect (a building block joined with the model's own code) runs its parts in
  // order: scanning them in order keeps which locals an earlier part wrote.
  const parts = partsOf(fn);
  if (parts !== null) {
    for (const p of parts) scanFn(p, acc, cells, localIndex, replica, what, stale);
    return;
  }
  const params = paramNames(fn);
  if (params === null) {
    acc.unknown = true;
    acc.why = `${what}: parameters are not plain names`;
    return;
  }
  const s = params[0];
  const me = params[1];
  const src = codeOnly(Function.prototype.toString.call(fn));
  const firstWrite = new Map<string, number>();
  if (me !== undefined) {
    const mu = memberUses(src, me);
    if (mu.uses.length !== mu.occurrences - 1) {
      // Passed on or aliased: only this thread's own locals can be touched that way; take them all.
      for (let i = 0; i < localIndex.size; i++) {
        setBit(acc.localReads, i);
        setBit(acc.localWrites, i);
      }
      for (const l of localIndex.keys()) stale.add(l);
    } else for (const u of mu.uses) {
      const li = localIndex.get(u.name);
      if (li === undefined) continue; // id, at: fixed or the thread's own label
      setBit(acc.localReads, li);
      if (writtenAt(src, u.start, u.end)) {
        setBit(acc.localWrites, li);
        if (!firstWrite.has(u.name)) firstWrite.set(u.name, u.start);
      }
    }
  }
  const loops = /(?<![\w$])(?:for|while|do)(?![\w$])/.test(src);
  const staleBefore = new Set(stale);
  for (const l of firstWrite.keys()) stale.add(l);
  const resolvable = (local: string, at: number) => !loops && !staleBefore.has(local) && (firstWrite.get(local) ?? Infinity) > at;
  if (s === undefined) return;
  const { uses, occurrences } = memberUses(src, s);
  if (uses.length !== occurrences - 1) {
    acc.unknown = true;
    acc.why = `${what}: uses the state other than as ${s}.name`;
    return;
  }
  const meId = me === undefined ? null : new RegExp(`^${me.replace(/\$/g, '\\$')}\\s*\\.\\s*id$`);
  const meLocal = me === undefined ? null : new RegExp(`^${me.replace(/\$/g, '\\$')}\\s*\\.\\s*([A-Za-z_$][\\w$]*)$`);
  for (const u of uses) {
    const name = u.name;
    if (name === 'assert') {
      acc.asserts = true;
      continue;
    }
    if (name === 'at' || name === 'count') {
      acc.readsThreads = true;
      continue;
    }
    if (name === 'local') {
      acc.readsThreads = true;
      acc.writesThreads = true;
      continue;
    }
    if (!cells.base.has(name)) {
      acc.unknown = true;
      acc.why = `${what}: ${s}.${name} is not a shared variable`;
      return;
    }
    const call = /^\s*\.\s*(get|set|fill)\s*\(/.exec(src.slice(u.end));
    if (call) {
      const open = u.end + call[0].length - 1;
      let el = -1;
      let local: string | null = null;
      if (call[1] !== 'fill') {
        const arg = firstArg(src, open);
        if (arg !== null && /^\d+$/.test(arg)) el = Number(arg);
        else if (arg !== null && meId !== null && meId.test(arg)) el = replica;
        else if (arg !== null && meLocal !== null) {
          const m = meLocal.exec(arg);
          if (m && localIndex.has(m[1]!) && resolvable(m[1]!, u.start)) local = m[1]!;
        }
      }
      const write = call[1] !== 'get';
      cells.mark(write ? acc.writes : acc.reads, name, el);
      if (local !== null) acc.dyn.push({ base: cells.base.get(name)!, length: cells.size.get(name)!, local, write });
      else cells.mark(write ? acc.fixedWrites : acc.fixedReads, name, el);
      continue;
    }
    cells.mark(acc.reads, name, -1);
    cells.mark(acc.fixedReads, name, -1);
    // An array used other than through get/set/fill/length may be aliased and written through the alias.
    const arrayAlias = cells.size.get(name)! > 1 || cells.isArray.has(name) ? !/^\s*\.\s*length\b/.test(src.slice(u.end)) : false;
    if (arrayAlias || writtenAt(src, u.start, u.end)) {
      cells.mark(acc.writes, name, -1);
      cells.mark(acc.fixedWrites, name, -1);
    }
  }
}

const fill = (a: Uint32Array, bits: number): Uint32Array => {
  for (let i = 0; i < bits; i++) setBit(a, i);
  return a;
};

/** The footprint of one step of one thread instance. */
export function cellFootprint(b: BuiltModel, cells: Cells, th: ThreadInstance, st: BuiltStep): CellFootprint {
  const tpl = th.template;
  const nl = tpl.locals.length;
  const lw = Math.max(1, Math.ceil(nl / 32));
  const localIndex = new Map(tpl.locals.map((l, i) => [l.name, i]));
  const mk = (): Acc => ({ unknown: false, why: '', reads: cells.empty(), writes: cells.empty(), localReads: new Uint32Array(lw), localWrites: new Uint32Array(lw), readsThreads: false, writesThreads: false, asserts: false, fixedReads: cells.empty(), fixedWrites: cells.empty(), dyn: [] });
  const everything = (why: string, asserts: boolean): CellFootprint => {
    const all = fill(cells.empty(), cells.count);
    const locs = fill(new Uint32Array(lw), nl);
    return { unknown: true, why, reads: all, writes: all, guardReads: all, localReads: locs, localWrites: locs, guardLocalReads: locs, readsThreads: true, guardReadsThreads: true, writesThreads: true, asserts, fixedReads: all, fixedWrites: all, fixedGuardReads: all, dyn: [], guardDyn: [] };
  };
  if (st.declared) {
    const d = st.declared;
    const reads = cells.empty();
    const writes = cells.empty();
    for (const r of [...d.reads, ...d.writes]) if (cells.base.has(r)) cells.mark(reads, r, -1);
    for (const w of d.writes) if (cells.base.has(w)) cells.mark(writes, w, -1);
    const locs = fill(new Uint32Array(lw), nl);
    // A declaration names shared variables only: the thread's own locals are taken as all touched.
    return { unknown: false, why: '', reads, writes, guardReads: reads, localReads: locs, localWrites: locs, guardLocalReads: locs, readsThreads: false, guardReadsThreads: false, writesThreads: false, asserts: d.asserts, fixedReads: reads, fixedWrites: writes, fixedGuardReads: reads, dyn: [], guardDyn: [] };
  }
  const guard = mk();
  scanFn(st.guard, guard, cells, localIndex, th.replica, `step ${st.name} guard`);
  scanFn(st.chooseFn, guard, cells, localIndex, th.replica, `step ${st.name} choose`);
  const all = mk();
  const stale = new Set<string>();
  scanFn(st.guard, all, cells, localIndex, th.replica, `step ${st.name} guard`, stale);
  scanFn(st.chooseFn, all, cells, localIndex, th.replica, `step ${st.name} choose`, stale);
  scanFn(st.effect, all, cells, localIndex, th.replica, `step ${st.name} effect`, stale);
  scanFn(st.nextFn, all, cells, localIndex, th.replica, `step ${st.name} next`, stale);
  if (all.unknown || guard.unknown) return everything(all.why || guard.why, all.asserts);
  return {
    unknown: false,
    why: '',
    reads: all.reads,
    writes: all.writes,
    guardReads: guard.reads,
    localReads: all.localReads,
    localWrites: all.localWrites,
    guardLocalReads: guard.localReads,
    readsThreads: all.readsThreads,
    guardReadsThreads: guard.readsThreads,
    writesThreads: all.writesThreads,
    asserts: all.asserts,
    fixedReads: all.fixedReads,
    fixedWrites: all.fixedWrites,
    fixedGuardReads: guard.fixedReads,
    dyn: all.dyn,
    guardDyn: guard.dyn,
  };
}

/** Cells the invariants read; `threads` when they read labels or locals, `unknown` when not derivable. */
export function invariantCells(b: BuiltModel, cells: Cells): { reads: Uint32Array; threads: boolean; unknown: boolean; why: string } {
  const acc: Acc = { unknown: false, why: '', reads: cells.empty(), writes: cells.empty(), localReads: new Uint32Array(1), localWrites: new Uint32Array(1), readsThreads: false, writesThreads: false, asserts: false, fixedReads: cells.empty(), fixedWrites: cells.empty(), dyn: [] };
  for (const inv of b.invariants) scanFn(inv.fn, acc, cells, new Map(), -1, `invariant ${inv.name}`);
  return { reads: acc.reads, threads: acc.readsThreads, unknown: acc.unknown, why: acc.why };
}
