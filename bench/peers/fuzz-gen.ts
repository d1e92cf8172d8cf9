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
 *
 * With `extended` (GenOptions), models also use: steps with `choose` (the
 * choice in effects and computed next labels), thread-id variables (shared,
 * in arrays, as locals; stored, compared with `me`, `none` and each other,
 * and used, once tested not `none`, to index the group's arrays and to read
 * that replica's label and locals), a second replicated group, steps at end
 * labels (in a group without progress steps, so that the non-progress port
 * stays exact), and guards and invariants over other threads' labels and
 * locals (a single thread's directly; a symmetric group's through counts
 * and thread ids; an asymmetric group's by constant index). `size: 'large'`
 * gives more replicas, labels, variables and steps (up to ~100k states).
 * Without these options a seed gives the model it always gave.
 */
import seedrandom from 'seedrandom';
import type { Group, KernelModel, Stmt, Step, Var, VarType } from './kernel-ir.ts';

export type Focus = 'invariant' | 'assertion' | 'deadlock' | 'none';

export interface GenOptions {
  /** choose, thread ids, a second replicated group, steps at end labels, reads of other threads' labels and locals. */
  extended?: boolean;
  /** 'large': more replicas (up to 4), labels (up to 6), variables and steps. */
  size?: 'small' | 'large';
}

export interface FuzzCase {
  seed: string;
  options?: GenOptions;
  focus: Focus;
  ir: KernelModel;
}

type Ty = { kind: 'bool' } | { kind: 'int'; max: number } | { kind: 'enum'; values: readonly string[]; var: string } | { kind: 'tid'; group: string };

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
  return t.kind === 'bool' ? { kind: 'bool' } : t.kind === 'int' ? { kind: 'int', max: t.max } : t.kind === 'tid' ? { kind: 'tid', group: t.group } : { kind: 'enum', values: t.values, var: name };
}

/** What a step of one group (or an invariant) may read and write. */
interface Scope {
  reads: Atom[];
  writes: Atom[];
  /** Shared arrays indexed by this (replicated) group: `setAll` targets. */
  fillable: { name: string; ty: Ty }[];
  /** A replicated group that is not symmetric: `me` is a number. */
  meIsNumber: number | null;
  /** Extended constructs: thread-id comparisons. */
  ext?: boolean;
  /** The replicated group whose replica `me` is (thread ids of that group compare with it). */
  meGroup?: string | null;
  /** The step's number of choices (`c` may be read), in an effect or next label of a step with `choose`. */
  choices?: number;
  /** Elements of indexed arrays written through a thread id (`index`, tested not none first). */
  indexedWrites?: { text: string; index: string; ty: Ty }[];
}

/** A comparison of thread ids: with none, with `me`, or with another id of the same group. */
function tidCompare(r: Rng, sc: Scope): string | null {
  const ts = sc.reads.filter((a) => a.ty.kind === 'tid');
  if (!ts.length) return null;
  const a = r.pick(ts);
  const g = (a.ty as { group: string }).group;
  const others = ts.filter((b) => b !== a && (b.ty as { group: string }).group === g);
  const op = r.pick(['==', '!=']);
  const roll = r.int(0, 2);
  if (roll === 1 && sc.meGroup === g) return `(${a.text} ${op} me)`;
  if (roll === 2 && others.length) return `(${a.text} ${op} ${r.pick(others).text})`;
  return `(${a.text} ${op} none)`;
}

function boolExpr(r: Rng, sc: Scope, depth = 0): string {
  const atoms = sc.reads;
  if (sc.ext) {
    const roll = r.int(0, 9);
    if (roll === 0) {
      const t = tidCompare(r, sc);
      if (t) return t;
    }
    if (roll === 1 && sc.choices) return `(c == ${r.int(0, sc.choices - 1)})`;
  }
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
  if (ty.kind === 'tid') {
    const same = sc.reads.filter((a) => a.ty.kind === 'tid' && a.ty.group === ty.group).map((a) => a.text);
    if (sc.meGroup === ty.group) same.push('me', 'me');
    return same.length && r.chance(0.7) ? r.pick(same) : 'none';
  }
  if (ty.kind === 'bool') return r.chance(0.4) ? r.pick(['true', 'false']) : boolExpr(r, sc, 1);
  if (ty.kind === 'enum') return `${ty.var}_${r.pick(ty.values)}`;
  const ints = sc.reads.filter((a) => a.ty.kind === 'int').map((a) => a.text);
  if (sc.meIsNumber !== null) ints.push('me');
  if (sc.choices) ints.push('c', 'c');
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
    // Not reading the array itself: mmcheck's fill evaluates the value once, the peers' loops once per element.
    return { setAll: f.name, to: valueOf(r, f.ty, { ...sc, reads: sc.reads.filter((a) => !a.text.includes('[me]') && !a.text.includes(`${f.name}[`)), meIsNumber: null }) };
  }
  if (roll === 2 && focus === 'assertion') return { assert: boolExpr(r, sc), name: `a${counter.asserts++}` };
  if (roll === 3 && sc.ext) {
    // A write through a thread id: the element of the replica it names, if any.
    const via = sc.indexedWrites ?? [];
    if (via.length) {
      const x = r.pick(via);
      return { if: `(${x.index} != none)`, then: [{ set: x.text, to: valueOf(r, x.ty, sc) }] };
    }
  }
  const w = r.pick(sc.writes);
  return { set: w.text, to: valueOf(r, w.ty, sc) };
}

/** A bool atom testing an element of type `ty` (read through a thread id, so only after testing it). */
function test(r: Rng, text: string, ty: Ty): string {
  if (ty.kind === 'bool') return text;
  if (ty.kind === 'int') return `(${text} >= ${r.int(1, ty.max)})`;
  if (ty.kind === 'enum') return `(${text} == ${ty.var}_${r.pick(ty.values)})`;
  return `(${text} == none)`;
}

interface Plan {
  name: string;
  replicated: boolean;
  count: number;
  symmetric: boolean;
  locals: Var[];
  labels: string[];
  end: string[];
}

export function generate(seed: string, options: GenOptions = {}): FuzzCase {
  const ext = options.extended ?? false;
  const large = options.size === 'large';
  const r = new Rng(seed);
  const focus: Focus = r.pick(['invariant', 'assertion', 'deadlock', 'none', 'assertion', 'deadlock']);

  // Threads: a replicated group T (2 or 3 replicas) beside a single thread G, or two single threads G and H.
  const replicated = r.chance(0.7);
  const count = replicated ? r.int(2, large ? 4 : 3) : 1;
  const symmetric = replicated && r.chance(0.7);
  const groupNames = replicated ? (r.chance(0.6) ? ['T', 'G'] : ['T']) : ['G', 'H'];
  // Extended: a second replicated group U beside T.
  const counts: Record<string, number> = { T: count, G: 1, H: 1 };
  const symmetricOf: Record<string, boolean> = { T: symmetric };
  if (ext && replicated && r.chance(0.4)) {
    groupNames.splice(1, 0, 'U');
    counts.U = r.int(2, large ? 3 : 2);
    symmetricOf.U = r.chance(0.75);
  }
  const isRep = (g: string) => g === 'T' || g === 'U';
  const repGroups = groupNames.filter(isRep);
  const randomVarType = (name: string): VarType => (ext && repGroups.length && r.chance(0.25) ? { kind: 'tid', group: r.pick(repGroups) } : randomType(r, name));

  // Shared variables.
  const shared: Var[] = [];
  const nScalars = r.int(large ? 2 : 1, large ? 4 : 3);
  for (let i = 0; i < nScalars; i++) shared.push({ name: `v${i}`, type: randomType(r, `v${i}`) });
  if (r.chance(0.35)) {
    const t = randomType(r, 'arr');
    shared.push({ name: 'arr', type: t.kind === 'enum' ? { kind: 'bool', init: false } : t, array: { length: 2 } });
  }
  if (replicated && r.chance(0.5)) {
    const t = ext ? randomVarType('w') : randomType(r, 'w');
    shared.push({ name: 'w', type: t.kind === 'enum' ? { kind: 'int', min: 0, max: 1, init: 0 } : t, array: { length: count, index: 'T' } });
  }
  if (ext) {
    if (counts.U && r.chance(0.5)) {
      const t = randomVarType('u');
      shared.push({ name: 'u', type: t.kind === 'enum' ? { kind: 'bool', init: false } : t, array: { length: counts.U, index: 'U' } });
    }
    for (const g of repGroups) if (r.chance(0.6)) for (let k = r.int(1, 2); k > 0; k--) shared.push({ name: `o${g}${k - 1}`, type: { kind: 'tid', group: g } });
  }

  // Extended: every group's labels and locals are planned first, so that other groups' steps and the invariants can read them.
  const planOf = (name: string): Plan => {
    const locals: Var[] = [];
    if (r.chance(0.5)) locals.push({ name: `l${name}`, type: ext ? randomVarType(`l${name}`) : randomType(r, `l${name}`) });
    const nLabels = r.int(large ? 3 : 2, large ? 6 : 4);
    const labels = Array.from({ length: nLabels }, (_, i) => `L${i}`);
    const end = r.chance(0.5) ? ['done'] : [];
    return { name, replicated: isRep(name), count: counts[name]!, symmetric: symmetricOf[name] ?? false, locals, labels, end };
  };
  const plans = ext ? groupNames.map(planOf) : null;

  /** Extended: reads of other threads' labels and locals (and, through thread ids, of other replicas of the own group), for a step of `self` or (null) an invariant. */
  const crossReads = (self: string | null, tids: Atom[]): Atom[] => {
    const out: Atom[] = [];
    for (const p of plans ?? []) {
      const label = () => r.pick([...p.labels, ...p.end]);
      if (!p.replicated) {
        if (p.name === self) continue;
        out.push({ text: `(${p.name}_pc == L_${p.name}_${label()})`, ty: { kind: 'bool' } });
        for (const l of p.locals) out.push({ text: `${p.name}_${l.name}`, ty: tyOf(l.type, l.name) });
      } else if (p.symmetric) {
        out.push({ text: `COUNT_${p.name}_${label()}`, ty: { kind: 'int', max: p.count } });
        for (const t of tids.filter((a) => a.ty.kind === 'tid' && a.ty.group === p.name)) {
          const via = (text: string, ty: Ty) => out.push({ text: `((${t.text} != none) && ${test(r, text, ty)})`, ty: { kind: 'bool' } });
          via(`(${p.name}_pc[${t.text}] == L_${p.name}_${label()})`, { kind: 'bool' });
          for (const l of p.locals) via(`${p.name}_${l.name}[${t.text}]`, tyOf(l.type, l.name));
          // Never an array indexed by its own element (SPIN refuses `w[w[p]]`).
          for (const v of shared.filter((x) => x.array?.index === p.name && !t.text.startsWith(`${x.name}[`))) via(`${v.name}[${t.text}]`, tyOf(v.type, v.name));
        }
      } else {
        const i = r.int(0, p.count - 1);
        out.push({ text: `(${p.name}_pc[${i}] == L_${p.name}_${label()})`, ty: { kind: 'bool' } });
        for (const l of p.locals) out.push({ text: `${p.name}_${l.name}[${i}]`, ty: tyOf(l.type, l.name) });
      }
    }
    return out;
  };

  const counter = { asserts: 0 };
  const groups: Group[] = groupNames.map((name, gi) => {
    const isT = ext ? isRep(name) : name === 'T';
    const gCount = counts[name]!;
    const gSym = symmetricOf[name] ?? false;
    const plan = plans?.[gi];
    const locals: Var[] = plan ? plan.locals : [];
    if (!plan && r.chance(0.5)) locals.push({ name: `l${name}`, type: randomType(r, `l${name}`) });
    const idx = isT ? '[me]' : '';
    const reads: Atom[] = [];
    const writes: Atom[] = [];
    for (const v of shared) {
      if (!v.array) {
        reads.push({ text: v.name, ty: tyOf(v.type, v.name) });
        writes.push({ text: v.name, ty: tyOf(v.type, v.name) });
      } else if (v.array.index) {
        if (isT && v.array.index === name) {
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
    const tids = reads.filter((a) => a.ty.kind === 'tid');
    const sc: Scope = {
      reads: plan ? [...reads, ...crossReads(name, tids)] : reads,
      writes,
      fillable: isT ? shared.filter((v) => v.array?.index === name).map((v) => ({ name: v.name, ty: tyOf(v.type, v.name) })) : [],
      meIsNumber: isT && !gSym ? gCount : null,
      ...(ext
        ? {
            ext,
            meGroup: isT ? name : null,
            indexedWrites: tids.flatMap((t) => shared.filter((v) => v.array?.index === (t.ty as { group: string }).group && !t.text.startsWith(`${v.name}[`)).map((v) => ({ text: `${v.name}[${t.text}]`, index: t.text, ty: tyOf(v.type, v.name) }))),
          }
        : {}),
    };
    const nLabels = plan ? plan.labels.length : r.int(2, 4);
    const labels = Array.from({ length: nLabels }, (_, i) => `L${i}`);
    const end = plan ? plan.end : r.chance(0.5) ? ['done'] : [];
    const targets = [...labels, ...end, ...end];
    const steps: Step[] = [];
    // Mostly on to the next label (the labels form a loop), so that most labels are reached.
    const nextOf = (i: number) => (r.chance(0.5) ? labels[(i + 1) % nLabels]! : r.pick(targets));
    // Extended: steps at the end label too (a finished thread may start again).
    const endSteps = ext && end.length > 0 && r.chance(0.35);
    const at = [...labels, ...(endSteps ? end : [])];
    for (const [i, label] of at.entries()) {
      const n = r.chance(large ? 0.45 : 0.3) ? 2 : 1;
      for (let k = 0; k < n; k++) {
        const choices = ext && r.chance(0.25) ? r.int(2, 3) : 0;
        const body: Scope = choices ? { ...sc, choices } : sc;
        const then: Stmt[] = [];
        const nStmts = r.int(0, 3);
        for (let j = 0; j < nStmts; j++) then.push(statement(r, body, focus, 0, counter));
        if (focus === 'assertion' && r.chance(0.3)) then.push({ assert: `(${boolExpr(r, body)} || ${boolExpr(r, body)})`, name: `a${counter.asserts++}` });
        const st: Step = {
          name: `s${steps.length}`,
          at: label,
          ...(choices ? { choose: choices } : {}),
          ...(r.chance(0.45) ? { when: boolExpr(r, sc) } : {}),
          ...(then.length ? { then } : {}),
          next: r.chance(0.2) ? { if: boolExpr(r, body), then: nextOf(i), else: nextOf(i) } : nextOf(i),
        };
        steps.push(st);
      }
    }
    // Progress steps only where no step leaves an end label: the non-progress port counts a finished thread's cycle as progress for good.
    if (r.chance(0.6) && !endSteps) r.pick(steps).progress = true;
    return { name, count: isT ? gCount : 1, replicated: isT, ...(isT ? { symmetric: gSym } : {}), locals, start: 'L0', end, steps };
  });

  const invariants: { name: string; expr: string }[] = [];
  if (focus === 'invariant') {
    const reads: Atom[] = shared.flatMap((v) => (!v.array ? [{ text: v.name, ty: tyOf(v.type, v.name) }] : v.array.index ? [] : Array.from({ length: v.array.length }, (_, i) => ({ text: `${v.name}[${i}]`, ty: tyOf(v.type, v.name) }))));
    const sc: Scope = {
      reads: ext ? [...reads, ...crossReads(null, reads.filter((a) => a.ty.kind === 'tid'))] : reads,
      writes: [],
      fillable: [],
      meIsNumber: null,
      ...(ext ? { ext, meGroup: null } : {}),
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
  return { seed, ...(ext || large ? { options } : {}), focus, ir };
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
