import type { BuiltModel, BuiltStep } from '../model/build.ts';

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

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Parameter names of a function, or null when they are not plain identifiers. */
export function paramNames(fn: Function): string[] | null {
  const src = Function.prototype.toString.call(fn).trim();
  let m = /^(?:async\s*)?\(([^)]*)\)\s*=>/.exec(src) ?? /^(?:async\s+)?function\s*[\w$]*\s*\(([^)]*)\)/.exec(src) ?? /^[\w$]+\s*\(([^)]*)\)\s*\{/.exec(src);
  if (!m) {
    const single = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
    if (!single) return null;
    m = single;
  }
  const list = m[1]!.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  if (list.some((x) => !IDENT.test(x.replace(/\s*=.*$/, '')))) return null;
  return list.map((x) => x.replace(/\s*=.*$/, ''));
}

/** Strip comments and string literals (keeping template-literal expressions) so names in them do not count. */
function codeOnly(src: string): string {
  return src
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/\/\/[^\n]*/g, ' ')
    .replace(/'(?:[^'\\\n]|\\.)*'/g, "''")
    .replace(/"(?:[^"\\\n]|\\.)*"/g, '""');
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
  const params = paramNames(fn);
  if (params === null) {
    acc.unknown = true;
    acc.why = `${what}: parameters are not plain names`;
    return;
  }
  const s = params[0];
  if (s === undefined) return; // does not look at the state
  const src = codeOnly(Function.prototype.toString.call(fn));
  const esc = s.replace(/\$/g, '\\$');
  // Every occurrence of the state parameter must be followed by `.name`.
  const all = new RegExp(`(?<![\\w$.])${esc}(?![\\w$])`, 'g');
  const dotted = new RegExp(`(?<![\\w$.])${esc}\\s*\\.\\s*([A-Za-z_$][\\w$]*)`, 'g');
  const occurrences = [...src.matchAll(all)].length - 1; // minus the parameter list itself
  const uses = [...src.matchAll(dotted)];
  if (uses.length !== occurrences) {
    acc.unknown = true;
    acc.why = `${what}: uses the state other than as ${s}.name`;
    return;
  }
  for (const u of uses) {
    const name = u[1]!;
    const after = src.slice(u.index! + u[0].length);
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
    if (/^\s*\.\s*(?:set|fill)\s*\(/.test(after) || /^\s*(?:[-+*/%&|^]|<<|>>>?|\*\*|&&|\|\||\?\?)?=(?!=)/.test(after) || /^\s*(?:\+\+|--)/.test(after) || new RegExp(`(?:\\+\\+|--)\\s*$`).test(src.slice(0, u.index!)))
      acc.writes.add(name);
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
