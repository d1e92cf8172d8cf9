import { McError, q } from '../errors.ts';
import type { Effect, Guard, StepDef } from '../define.ts';
import type { LocalSpec, SharedSpec } from '../view-types.ts';

/**
 * How building blocks become ordinary steps without hiding what they touch.
 *
 * A block's guard or effect is generated from text with the block's variable
 * names written in (`s.ptl === -1`, `s.ptl = me.id`), so the source-derived
 * footprint (src/reduce/footprint.ts), the declared-name check
 * (src/model/names.ts) and the symmetry check (src/reduce/symmetry.ts) read
 * exactly the accesses a hand-written step would show.
 *
 * A step that joins a block's fragment with the model's own guard or effect
 * is a composed function: it calls its parts in order and lists them under
 * the PARTS symbol, and those analyses read the parts instead of the
 * composer. `String(fn)` of a composed function is its parts' sources, so
 * the model hash (src/trace/decode.ts) changes whenever a part does.
 * `Symbol.for` keeps the key one value when a model file loads its own copy
 * of the package.
 */
export const PARTS: unique symbol = Symbol.for('mmcheck.parts') as never;

/** The functions a composed guard or effect is made of, or null for an ordinary function. */
export function partsOf(fn: Function | null | undefined): readonly Function[] | null {
  if (typeof fn !== 'function') return null;
  const p = (fn as unknown as Record<symbol, unknown>)[PARTS];
  return Array.isArray(p) ? (p as Function[]) : null;
}

/** The ordinary functions behind `fn`: its parts, recursively, or itself. */
export function leafFunctions(fn: Function | null | undefined): Function[] {
  if (typeof fn !== 'function') return [];
  const p = partsOf(fn);
  return p === null ? [fn] : p.flatMap((x) => leafFunctions(x));
}

/**
 * A guard or effect generated from text, with parameters `s, me, c`. The
 * text is the block's own, with its checked identifiers written in; the only
 * model-written part is the index expression of an array of locks, checked
 * to be an expression (Owners.index).
 */
export function generated(body: string, name: string): Function {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const fn = new Function('s', 'me', 'c', body);
  Object.defineProperty(fn, 'name', { value: name });
  return fn;
}
/** A generated guard `(s, me) => expr`. */
export const guardOf = (expr: string, name: string): Guard => generated(`return ${expr};`, name) as Guard;
/** A generated effect `(s, me, c) => { stmts }`. */
export const effectOf = (stmts: string, name: string): Effect => generated(stmts, name) as Effect;

function mark<F extends Function>(fn: F, parts: readonly Function[], name: string): F {
  Object.defineProperty(fn, PARTS, { value: Object.freeze([...parts]) });
  Object.defineProperty(fn, 'name', { value: name });
  const text = parts.map((p) => String(p)).join('\n/* and */\n');
  Object.defineProperty(fn, 'toString', { value: () => text });
  return fn;
}

/** All of the guards hold (evaluated left to right, stopping at the first false one). */
export function allOf(...guards: (Guard | undefined)[]): Guard | undefined {
  const gs = guards.filter((g): g is Guard => g !== undefined);
  if (gs.length <= 1) return gs[0];
  if (gs.length === 2) {
    const [a, b] = gs as [Guard, Guard];
    return mark<Guard>((s, me) => a(s, me) && b(s, me), gs, 'allOf');
  }
  return mark<Guard>((s, me) => {
    for (const g of gs) if (!g(s, me)) return false;
    return true;
  }, gs, 'allOf');
}

/** The effects one after the other, in one atomic step. */
export function inOrder(...effects: (Effect | undefined)[]): Effect | undefined {
  const es = effects.filter((e): e is Effect => e !== undefined);
  if (es.length <= 1) return es[0];
  if (es.length === 2) {
    const [a, b] = es as [Effect, Effect];
    return mark<Effect>((s, me, c) => {
      a(s, me, c);
      b(s, me, c);
    }, es, 'inOrder');
  }
  return mark<Effect>((s, me, c) => {
    for (const e of es) e(s, me, c);
  }, es, 'inOrder');
}

/** A part of one step: a guard, an effect and what it stands for. */
export interface Fragment<S extends SharedSpec = SharedSpec, L extends LocalSpec = LocalSpec> {
  readonly when?: Guard<S, L>;
  readonly then?: Effect<S, L>;
  readonly doc?: string;
}

/**
 * Where a block's fragment came from, kept under a symbol key of its own on
 * the fragment so that `{ ...fragment }` copies it into the step (an
 * enumerable own symbol is copied by a spread; a symbol is no field the
 * step checks), one key per fragment so that two spread into one step both
 * arrive. The build (`fragmentOverrides`) then sees a step that replaced a
 * spread fragment's guard or effect with its own `when`/`then`, or with a
 * later fragment's: the fragment's lock, wake-up or count would be lost
 * without a word.
 */
export interface FragmentOrigin {
  readonly from: string;
  readonly when?: Guard;
  readonly then?: Effect;
  /** The thread groups the operation took a lock as (`GroupUse`). */
  readonly groups?: readonly GroupUse[];
}

/**
 * A lock taken, released or tested as held by a thread group: its owner
 * variable records a replica id of that group, so the calling thread must
 * be of it (the build refuses a step of another group's thread, MC173).
 */
export interface GroupUse {
  readonly lock: string;
  readonly group: string;
}

/** The groups the block operations running now named (or took as a lock's only one): `Owners.of` notes them, `markFragments` keeps them. */
let calledFor: GroupUse[] | null = null;
export function noteGroup(lock: string, group: string): void {
  calledFor?.push({ lock, group });
}

/** Run a block operation, and the groups its locks were used as. */
function withGroups<R>(f: () => R): { r: R; groups: GroupUse[] } {
  const outer = calledFor;
  const mine: GroupUse[] = [];
  calledFor = mine;
  try {
    return { r: f(), groups: mine };
  } finally {
    calledFor = outer;
    outer?.push(...mine);
  }
}
const ORIGIN = 'mmcheck.fragment';

/** The fragment, marked with where it came from. */
export function marked<F extends Fragment>(f: F, from: string, groups: readonly GroupUse[] = []): F {
  return { ...f, [Symbol(ORIGIN)]: Object.freeze({ from, when: f.when, then: f.then, ...(groups.length ? { groups: Object.freeze([...groups]) } : {}) }) };
}

/** The origins of the fragments spread into a step definition. */
export function fragmentOrigins(def: object): FragmentOrigin[] {
  return Object.getOwnPropertySymbols(def)
    .filter((k) => k.description === ORIGIN)
    .map((k) => (def as Record<symbol, FragmentOrigin>)[k]!)
    .filter((o) => typeof o === 'object' && o !== null && typeof o.from === 'string');
}

/**
 * The steps a block operation generated (`mutex.trylock('a', { at: 'tl', ...
 * })` makes `tl` and `tl_busy`), kept under a symbol key of its own on the
 * step map so that spreading it into a thread's steps copies it. The build
 * (`stepMapOverrides`) then sees a model step of the same name written
 * after the spread, which would replace the generated one without a word
 * (a trylock's busy branch gone, the trylock a blocking lock).
 */
export interface StepMapOrigin {
  readonly from: string;
  readonly steps: Readonly<Record<string, StepDef>>;
  readonly groups?: readonly GroupUse[];
}
const STEP_MAP = 'mmcheck.steps';

/** The origins of the step maps spread into a thread's steps. */
export function stepMapOrigins(steps: object): StepMapOrigin[] {
  return Object.getOwnPropertySymbols(steps)
    .filter((k) => k.description === STEP_MAP)
    .map((k) => (steps as Record<symbol, StepMapOrigin>)[k]!)
    .filter((o) => typeof o === 'object' && o !== null && typeof o.from === 'string' && typeof o.steps === 'object' && o.steps !== null);
}

/**
 * Copy the step-map origins of `from` (a thread's steps) onto `to`, the same
 * steps rewritten one by one (`onCpus` adds its guard to each): a generated
 * step still in place is followed to its rewritten object, one that was
 * replaced keeps its origin's, so that the build still sees the clash.
 */
export function carryStepMaps(from: object, to: Record<string, StepDef>): void {
  const steps = from as Record<string, StepDef | undefined>;
  for (const k of Object.getOwnPropertySymbols(from)) {
    if (k.description !== STEP_MAP) continue;
    const o = (from as Record<symbol, StepMapOrigin>)[k]!;
    const moved: Record<string, StepDef> = {};
    for (const [n, def] of Object.entries(o.steps)) moved[n] = steps[n] === def && to[n] !== undefined ? to[n] : def;
    Object.defineProperty(to, Symbol(STEP_MAP), { value: Object.freeze({ ...o, steps: Object.freeze(moved) }), enumerable: true });
  }
}

/** A block operation's result made of steps keyed by name (each an object with a `next`). */
function stepMapShaped(x: unknown): x is StepMap {
  if (typeof x !== 'object' || x === null || Array.isArray(x)) return false;
  const vs = Object.values(x);
  return vs.length > 0 && vs.every((v) => typeof v === 'object' && v !== null && 'next' in v);
}

/** An object with only `when`, `then` and `doc` fields: what `combine()` takes and a block's fragment is. */
function fragmentShaped(x: unknown): x is Fragment {
  return typeof x === 'object' && x !== null && Object.keys(x).every((k) => k === 'when' || k === 'then' || k === 'doc');
}

/** A block's operations with every fragment and step map they return marked (`blockName.op(...)`); other values are passed through. */
export function markFragments<T extends object>(blockName: string, api: T): T {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(api))
    out[k] =
      typeof v === 'function'
        ? function (this: unknown, ...args: unknown[]): unknown {
            const { r, groups } = withGroups(() => (v as (...a: unknown[]) => unknown).apply(this, args));
            const from = () => `${blockName}.${k}(${args.map((a) => (typeof a === 'string' || typeof a === 'number' ? JSON.stringify(a) : '...')).join(', ')})`;
            const isFragment = fragmentShaped(r) && ((r as Fragment).when !== undefined || (r as Fragment).then !== undefined);
            if (isFragment) return marked(r as Fragment, from(), groups);
            if (stepMapShaped(r)) return { ...r, [Symbol(STEP_MAP)]: Object.freeze({ from: from(), steps: Object.freeze({ ...r }), ...(groups.length ? { groups: Object.freeze(groups) } : {}) }) };
            return r;
          }
        : v;
  return Object.freeze(out) as T;
}

/**
 * One step's guard, effect and doc from fragments (a block's and the
 * model's own `{ when, then }`), in order: every guard must hold, the
 * effects run one after the other. Spread it into a step:
 * `check: { ...combine(ptl.unlock(), { then: (s) => { s.pte = 'ram'; } }), next: 'done' }`.
 */
export function combine<S extends SharedSpec = SharedSpec, L extends LocalSpec = LocalSpec>(...fragments: Fragment<S, L>[]): { when?: Guard<S, L>; then?: Effect<S, L>; doc?: string } {
  for (const [i, f] of fragments.entries())
    if (!fragmentShaped(f))
      throw new McError('MC170', `combine(): fragment ${i} must be an object with only when, then and doc (got ${q(f && typeof f === 'object' ? Object.keys(f) : f)})`);
  // Typed for the caller (the model's shared variables and the thread's locals); composed as the untyped views they are at run time.
  const loose = fragments as readonly Fragment[];
  const when = allOf(...loose.map((f) => f.when));
  const then = inOrder(...loose.map((f) => f.then));
  const docs = loose.map((f) => f.doc).filter((d): d is string => !!d);
  const groups = loose.flatMap((f) => fragmentOrigins(f).flatMap((o) => o.groups ?? []));
  return marked({ ...(when ? { when } : {}), ...(then ? { then } : {}), ...(docs.length ? { doc: docs.join('; ') } : {}) }, 'combine(...)', groups) as { when?: Guard<S, L>; then?: Effect<S, L>; doc?: string };
}

/** Steps keyed by name, as blocks hand out the multi-step operations (a sleeping lock, a try that can fail). */
export type StepMap = Record<string, StepDef>;

/**
 * The steps a block operation generates, typed: keyed by their names
 * (`Names`), going to labels among `Next`. Spread into a thread's steps, the
 * names join the thread's label type, so that `start`, a `next` and
 * `progress` may name them under strict TypeScript, and a misspelt
 * `ok`/`busy`/`next` label is a type error. Their `at` labels are among
 * their names, so their type leaves `at` out (typed, it would be taken for
 * the thread's own `at` labels, and one of the model's steps at another
 * label would then not type).
 */
export type BlockSteps<Names extends string, Next extends string> = { [N in Names]: StepDef<SharedSpec, LocalSpec, Next, never> };

/** A block variable or label name is an identifier; a model-chosen one is checked once, where the block is made. */
const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** The labels object a block operation that hands out steps takes (`{ at, ok, busy }`): refused, naming the keys it needs, when it is not one (a JavaScript caller that gave the index in its place). */
export function stepLabels<L extends object>(what: string, labels: L, keys: readonly string[]): L {
  if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) throw new McError('MC171', `${what}: give its labels as an object { ${keys.join(', ')} }, got ${q(labels)}`);
  return labels;
}

export function checkIdent(what: string, name: unknown): string {
  if (typeof name !== 'string' || !IDENT.test(name)) throw new McError('MC171', `${what}: ${q(name)} must be an identifier (letters, digits, _)`);
  return name;
}
