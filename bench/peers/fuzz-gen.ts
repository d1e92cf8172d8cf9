/**
 * Random small models in the kernel-ir.ts notation, deterministic from a
 * seed, for the differential fuzzer (fuzz.ts): shared bools, ints, enums and
 * arrays (plain, or indexed by a replicated group), replicated groups
 * (symmetric: the ids only index the group's own arrays and locals; or not:
 * steps compare and compute with `me`) and single threads, thread locals,
 * guards, effects with if/else, `setAll`, computed next labels, end labels,
 * progress steps, and one kind of property per model: invariants,
 * assertions, deadlock detection, or none.
 *
 * Every int is 0..max and every value written to it is in range
 * (a constant, or `(x + k) % (max + 1)` of a non-negative x), every index is
 * in bounds, and every expression is fully parenthesised, so that SPIN,
 * Murphi and JavaScript read it alike. End labels have no steps (a thread
 * there has finished for good).
 */
import seedrandom from 'seedrandom';
import type { Group, KernelModel, Stmt, Step, Var, VarType } from './kernel-ir.ts';

export type Focus = 'invariant' | 'assertion' | 'deadlock' | 'none';

export interface FuzzCase {
  seed: string;
  focus: Focus;
  ir: KernelModel;
}

type Ty = { kind: 'bool' } | { kind: 'int'; max: number } | { kind: 'enum'; values: readonly string[]; var: string };

interface Atom {
  text: string;
  ty: Ty;
}

class Rng {
  private readonly r: () => number;
  constructor(seed: string) {
    this.r = seedrandom.alea(seed);
  }
  /** An integer in lo..hi. */
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.r() * (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.r() < p;
  }
  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('fuzz-gen: pick from nothing');
    return xs[this.int(0, xs.length - 1)]!;
  }
}

const ENUM_VALUES = ['A', 'B', 'C'];

function randomType(r: Rng, name: string): VarType {
  switch (r.int(0, 2)) {
    case 0:
      return { kind: 'bool', init: r.chance(0.3) };
    case 1: {
      const max = r.int(1, 3);
      return { kind: 'int', min: 0, max, init: r.chance(0.6) ? 0 : r.int(0, max) };
    }
    default: {
      const values = ENUM_VALUES.slice(0, r.int(2, 3));
      void name;
      return { kind: 'enum', values, init: r.chance(0.6) ? values[0]! : r.pick(values) };
    }
  }
}

function tyOf(t: VarType, name: string): Ty {
  return t.kind === 'bool' ? { kind: 'bool' } : t.kind === 'int' ? { kind: 'int', max: t.max } : { kind: 'enum', values: t.values, var: name };
}

/** What a step of one group (or an invariant) may read and write. */
interface Scope {
  reads: Atom[];
  writes: Atom[];
  /** Shared arrays indexed by this (replicated) group: `setAll` targets. */
  fillable: { name: string; ty: Ty }[];
  /** A replicated group that is not symmetric: `me` is a number. */
  meIsNumber: number | null;
}

function boolExpr(r: Rng, sc: Scope, depth = 0): string {
  const atoms = sc.reads;
  const choice = r.int(0, depth >= 1 ? 3 : 5);
  const ofKind = (k: Ty['kind']) => atoms.filter((a) => a.ty.kind === k);
  switch (choice) {
    case 0: {
      const bs = ofKind('bool');
      if (bs.length) return r.chance(0.5) ? r.pick(bs).text : `!${r.pick(bs).text}`;
      return boolExpr(r, sc, depth + 1);
    }
    case 1: {
      const is = ofKind('int');
      if (is.length) {
        const a = r.pick(is);
        const max = (a.ty as { max: number }).max;
        return `(${a.text} ${r.pick(['==', '!=', '<', '>=', '<='])} ${r.int(0, max)})`;
      }
      return boolExpr(r, sc, depth + 1);
    }
    case 2: {
      const es = ofKind('enum');
      if (es.length) {
        const a = r.pick(es);
        const t = a.ty as { values: readonly string[]; var: string };
        return `(${a.text} ${r.chance(0.7) ? '==' : '!='} ${t.var}_${r.pick(t.values)})`;
      }
      return boolExpr(r, sc, depth + 1);
    }
    case 3: {
      if (sc.meIsNumber !== null) return `(me ${r.pick(['==', '!='])} ${r.int(0, sc.meIsNumber - 1)})`;
      return boolExpr(r, sc, depth + 1);
    }
    default:
      return `(${boolExpr(r, sc, depth + 1)} ${r.pick(['&&', '||'])} ${boolExpr(r, sc, depth + 1)})`;
  }
}

function valueOf(r: Rng, ty: Ty, sc: Scope): string {
  if (ty.kind === 'bool') return r.chance(0.4) ? r.pick(['true', 'false']) : boolExpr(r, sc, 1);
  if (ty.kind === 'enum') return `${ty.var}_${r.pick(ty.values)}`;
  const ints = sc.reads.filter((a) => a.ty.kind === 'int').map((a) => a.text);
  if (sc.meIsNumber !== null) ints.push('me');
  if (ints.length === 0 || r.chance(0.35)) return String(r.int(0, ty.max));
  return `((${r.pick(ints)} + ${r.int(1, ty.max)}) % ${ty.max + 1})`;
}

function statement(r: Rng, sc: Scope, focus: Focus, depth: number, counter: { asserts: number }): Stmt {
  const roll = r.int(0, 9);
  if (roll === 0 && depth === 0) {
    const then = [statement(r, sc, focus, depth + 1, counter)];
    return r.chance(0.6) ? { if: boolExpr(r, sc), then, else: [statement(r, sc, focus, depth + 1, counter)] } : { if: boolExpr(r, sc), then };
  }
  if (roll === 1 && sc.fillable.length) {
    const f = r.pick(sc.fillable);
    return { setAll: f.name, to: valueOf(r, f.ty, { ...sc, reads: sc.reads.filter((a) => !a.text.includes('[me]')), meIsNumber: null }) };
  }
  if (roll === 2 && focus === 'assertion') return { assert: boolExpr(r, sc), name: `a${counter.asserts++}` };
  const w = r.pick(sc.writes);
  return { set: w.text, to: valueOf(r, w.ty, sc) };
}

export function generate(seed: string): FuzzCase {
  const r = new Rng(seed);
  const focus: Focus = r.pick(['invariant', 'assertion', 'deadlock', 'none', 'assertion', 'deadlock']);

  // Threads: a replicated group T (2 or 3 replicas) beside a single thread G, or two single threads G and H.
  const replicated = r.chance(0.7);
  const count = replicated ? r.int(2, 3) : 1;
  const symmetric = replicated && r.chance(0.7);
  const groupNames = replicated ? (r.chance(0.6) ? ['T', 'G'] : ['T']) : ['G', 'H'];

  // Shared variables.
  const shared: Var[] = [];
  const nScalars = r.int(1, 3);
  for (let i = 0; i < nScalars; i++) shared.push({ name: `v${i}`, type: randomType(r, `v${i}`) });
  if (r.chance(0.35)) {
    const t = randomType(r, 'arr');
    shared.push({ name: 'arr', type: t.kind === 'enum' ? { kind: 'bool', init: false } : t, array: { length: 2 } });
  }
  if (replicated && r.chance(0.5)) {
    const t = randomType(r, 'w');
    shared.push({ name: 'w', type: t.kind === 'enum' ? { kind: 'int', min: 0, max: 1, init: 0 } : t, array: { length: count, index: 'T' } });
  }

  const counter = { asserts: 0 };
  const groups: Group[] = groupNames.map((name) => {
    const isT = name === 'T';
    const locals: Var[] = [];
    if (r.chance(0.5)) locals.push({ name: `l${name}`, type: randomType(r, `l${name}`) });
    const idx = isT ? '[me]' : '';
    const reads: Atom[] = [];
    const writes: Atom[] = [];
    for (const v of shared) {
      if (!v.array) {
        reads.push({ text: v.name, ty: tyOf(v.type, v.name) });
        writes.push({ text: v.name, ty: tyOf(v.type, v.name) });
      } else if (v.array.index) {
        if (isT) {
          reads.push({ text: `${v.name}[me]`, ty: tyOf(v.type, v.name) });
          writes.push({ text: `${v.name}[me]`, ty: tyOf(v.type, v.name) });
        }
      } else {
        for (let i = 0; i < v.array.length; i++) {
          reads.push({ text: `${v.name}[${i}]`, ty: tyOf(v.type, v.name) });
          writes.push({ text: `${v.name}[${i}]`, ty: tyOf(v.type, v.name) });
        }
      }
    }
    for (const l of locals) {
      const a = { text: `${name}_${l.name}${idx}`, ty: tyOf(l.type, l.name) };
      reads.push(a);
      writes.push(a);
    }
    const sc: Scope = {
      reads,
      writes,
      fillable: isT ? shared.filter((v) => v.array?.index === 'T').map((v) => ({ name: v.name, ty: tyOf(v.type, v.name) })) : [],
      meIsNumber: isT && !symmetric ? count : null,
    };
    const nLabels = r.int(2, 4);
    const labels = Array.from({ length: nLabels }, (_, i) => `L${i}`);
    const end = r.chance(0.5) ? ['done'] : [];
    const targets = [...labels, ...end, ...end];
    const steps: Step[] = [];
    // Mostly on to the next label (the labels form a loop), so that most labels are reached.
    const nextOf = (i: number) => (r.chance(0.5) ? labels[(i + 1) % nLabels]! : r.pick(targets));
    for (const [i, at] of labels.entries()) {
      const n = r.chance(0.3) ? 2 : 1;
      for (let k = 0; k < n; k++) {
        const then: Stmt[] = [];
        const nStmts = r.int(0, 3);
        for (let j = 0; j < nStmts; j++) then.push(statement(r, sc, focus, 0, counter));
        if (focus === 'assertion' && r.chance(0.3)) then.push({ assert: `(${boolExpr(r, sc)} || ${boolExpr(r, sc)})`, name: `a${counter.asserts++}` });
        const st: Step = {
          name: `s${steps.length}`,
          at,
          ...(r.chance(0.45) ? { when: boolExpr(r, sc) } : {}),
          ...(then.length ? { then } : {}),
          next: r.chance(0.2) ? { if: boolExpr(r, sc), then: nextOf(i), else: nextOf(i) } : nextOf(i),
        };
        steps.push(st);
      }
    }
    if (r.chance(0.6)) r.pick(steps).progress = true;
    return { name, count: isT ? count : 1, replicated: isT, ...(isT ? { symmetric } : {}), locals, start: 'L0', end, steps };
  });

  const invariants: { name: string; expr: string }[] = [];
  if (focus === 'invariant') {
    const sc: Scope = {
      reads: shared.flatMap((v) => (!v.array ? [{ text: v.name, ty: tyOf(v.type, v.name) }] : v.array.index ? [] : Array.from({ length: v.array.length }, (_, i) => ({ text: `${v.name}[${i}]`, ty: tyOf(v.type, v.name) })))),
      writes: [],
      fillable: [],
      meIsNumber: null,
    };
    const n = r.int(1, 2);
    for (let i = 0; i < n; i++) invariants.push({ name: `inv${i}`, expr: `(${boolExpr(r, sc)} || ${boolExpr(r, sc)})` });
  }

  const ir: KernelModel = {
    name: `fuzz-${seed.replace(/[^\w-]/g, '-')}`,
    title: `fuzz seed=${seed} focus=${focus}`,
    variant: '',
    params: {},
    shared,
    groups,
    invariants,
    deadlock: focus === 'deadlock',
  };
  return { seed, focus, ir };
}

/** The same model without properties: no assertions, no invariants, no deadlock detection. */
export function withoutProperties(m: KernelModel): KernelModel {
  const strip = (list: readonly Stmt[]): Stmt[] =>
    list.flatMap((s): Stmt[] => ('assert' in s ? [] : 'if' in s ? [{ ...s, then: strip(s.then), ...(s.else ? { else: strip(s.else) } : {}) }] : [s]));
  return {
    ...m,
    name: `${m.name}-bare`,
    groups: m.groups.map((g) => ({ ...g, steps: g.steps.map((st) => ({ ...st, ...(st.then ? { then: strip(st.then) } : {}) })) })),
    invariants: [],
    deadlock: false,
  };
}
