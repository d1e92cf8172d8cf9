import type { BuiltModel, BuiltStep } from '../model/build.ts';
import { partsOf } from '../model/blocks/compose.ts';
import { codeOnly, memberUses, paramNames, writtenAt } from '../model/source.ts';

/**
 * Read and write footprints of steps and invariants, derived from their
 * source text. For a function `(s, me, c) => ...` every `s.NAME` is an
 * access to shared variable NAME (a write when assigned to, or for an array
 * when `.set(` or `.fill(` is called on it); `s.at(`, `s.local(`, `s.count(` read (and
 * through `local`, may write) other threads' labels and locals, modelled as
 * the pseudo-variable THREADS. Any other use of `s` (passed to a helper,
 * aliased, indexed with brackets, destructured parameters) makes the
 * footprint unknown, which the reductions treat as "touches everything".
 * The derivation is therefore an over-approximation or `unknown`, never an
 * under-approximation; `verifyFootprint` checks it against the accesses a
 * recording view sees at run time.
 */
export const THREADS = '*threads';

export interface Footprint {
  readonly unknown: boolean;
  readonly reads: ReadonlySet<string>;
  readonly writes: ReadonlySet<string>;
  /** The step calls s.assert (its effect can fail). */
  readonly asserts: boolean;
  /** Why the footprint is unknown. */
  readonly why: string;
}

interface Acc {
  unknown: boolean;
  why: string;
  reads: Set<string>;
  writes: Set<string>;
  asserts: boolean;
}

function scan(fn: Function | null, acc: Acc, sharedNames: ReadonlySet<string>, what: string): void {
  if (fn === null || acc.unknown) return;
  // A composed guard or effect (building blocks joined with the model's own code) touches what its parts touch.
  const parts = partsOf(fn);
  if (parts !== null) {
    for (const p of parts) scan(p, acc, sharedNames, what);
    return;
  }
  const params = paramNames(fn);
  if (params === null) {
    acc.unknown = true;
    acc.why = `${what}: parameters are not plain names`;
    return;
  }
  const s = params[0];
  if (s === undefined) return; // does not look at the state
  const src = codeOnly(Function.prototype.toString.call(fn));
  // Every occurrence of the state parameter must be followed by `.name`.
  const { uses, occurrences } = memberUses(src, s);
  if (uses.length !== occurrences - 1) {
    acc.unknown = true;
    acc.why = `${what}: uses the state other than as ${s}.name`;
    return;
  }
  for (const u of uses) {
    const name = u.name;
    if (name === 'assert') {
      acc.asserts = true;
      continue;
    }
    if (name === 'at' || name === 'count') {
      acc.reads.add(THREADS);
      continue;
    }
    if (name === 'local') {
      acc.reads.add(THREADS);
      acc.writes.add(THREADS);
      continue;
    }
    if (!sharedNames.has(name)) {
      acc.unknown = true;
      acc.why = `${what}: ${s}.${name} is not a shared variable`;
      return;
    }
    acc.reads.add(name);
    if (/^\s*\.\s*(?:set|fill)\s*\(/.test(src.slice(u.end)) || writtenAt(src, u.start, u.end)) acc.writes.add(name);
  }
}

/** Footprint of one step: guard, effect, computed next and choice count together (declared, or derived). */
export function stepFootprint(b: BuiltModel, st: BuiltStep): Footprint {
  if (st.declared) {
    // Reads include writes: a write of part of an array or a computed value reads the rest.
    return { unknown: false, why: '', reads: new Set([...st.declared.reads, ...st.declared.writes]), writes: new Set(st.declared.writes), asserts: st.declared.asserts };
  }
  const shared = new Set(b.shared.map((v) => v.name));
  const acc: Acc = { unknown: false, why: '', reads: new Set(), writes: new Set(), asserts: false };
  scan(st.guard, acc, shared, `step ${st.name} guard`);
  scan(st.effect, acc, shared, `step ${st.name} effect`);
  scan(st.nextFn, acc, shared, `step ${st.name} next`);
  scan(st.chooseFn, acc, shared, `step ${st.name} choose`);
  return acc;
}

/** Footprint of one function of the state (a guard, or one part of a composed guard), derived from its source. */
export function functionFootprint(b: BuiltModel, fn: Function, what: string): Footprint {
  const acc: Acc = { unknown: false, why: '', reads: new Set(), writes: new Set(), asserts: false };
  scan(fn, acc, new Set(b.shared.map((v) => v.name)), what);
  return acc;
}

/** What the invariants read (the variables a reduction must treat as visible). */
export function invariantFootprint(b: BuiltModel): Footprint {
  const shared = new Set(b.shared.map((v) => v.name));
  const acc: Acc = { unknown: false, why: '', reads: new Set(), writes: new Set(), asserts: false };
  for (const inv of b.invariants) scan(inv.fn, acc, shared, `invariant ${inv.name}`);
  return acc;
}

/** Two footprints conflict when one writes what the other reads or writes. */
export function conflict(a: Footprint, b: Footprint): boolean {
  if (a.unknown || b.unknown) return true;
  for (const w of a.writes) if (b.reads.has(w) || b.writes.has(w)) return true;
  for (const w of b.writes) if (a.reads.has(w)) return true;
  return false;
}

/** Shared-variable name of a recorded access ("arr[3]" → "arr", "fault[0].x" → THREADS). */
export function accessVar(name: string, shared: ReadonlySet<string>): string {
  const br = name.indexOf('[');
  const base = br >= 0 ? name.slice(0, br) : name;
  if (shared.has(base) && (br < 0 || !name.includes('.'))) return base;
  return THREADS;
}

/**
 * The shared variables a step or an invariant reads and that no step and
 * no `init` writes: each keeps its initial value in every state, so a
 * guard or invariant over it answers one way throughout (an effect that
 * wrote a thread local of the same name, `me.locked = true`, for
 * `s.locked`). Building blocks' variables are left out. Empty when a footprint is unknown (the state handed to a
 * helper, a computed name): then what is written is not known.
 */
export function readNeverWritten(b: BuiltModel): string[] {
  // The model's own variables: a block's (a lock a variant never takes) may well stay as they start.
  const shared = new Set(b.shared.filter((v) => v.block === undefined).map((v) => v.name));
  const reads = new Set<string>();
  const writes = new Set<string>();
  const all = [...b.templates.flatMap((t) => t.steps.map((st) => stepFootprint(b, st))), invariantFootprint(b)];
  if (b.init !== null) all.push(functionFootprint(b, b.init, 'init'));
  for (const f of all) {
    if (f.unknown) return [];
    for (const r of f.reads) reads.add(r);
    for (const w of f.writes) writes.add(w);
  }
  return [...reads].filter((v) => shared.has(v) && !writes.has(v));
}
