import { McError, q } from './errors.ts';
import type { Block } from './blocks/block.ts';
import { ArrayDomain, BoolDomain, EnumDomain, IntDomain, ScalarDomain, isScalarDomain, type ArrayView, type Domain, type Scalar } from './domains.ts';

/**
 * The modelling API: what a user writes in a model file.
 *
 *   export default defineModel({
 *     name: 'lock',
 *     params: { n: int(2, 4, 2) },
 *     shared: { owner: threadId('t', { none: true }) },
 *     threads: ({ n }) => [replicate(n, 't', {
 *       start: 'acquire', end: ['done'],
 *       steps: {
 *         acquire: { when: (s) => s.owner === -1, then: (s, me) => { s.owner = me.id; }, next: 'release' },
 *         release: { then: (s) => { s.owner = -1; }, next: 'done', progress: true },
 *       },
 *     })],
 *     invariants: { 'owner-valid': (s) => s.owner < 2 },
 *   });
 */

export type ParamDomain = BoolDomain | IntDomain | EnumDomain;
export type ParamSpec = Record<string, ParamDomain>;
export type ParamValues<P extends ParamSpec = ParamSpec> = { readonly [K in keyof P]: P[K]['__value'] };
export type Params = Record<string, Scalar>;

/** Methods every state view offers besides its variables. */
export interface StateViewMethods {
  /** Inside an effect: fail the step with an assertion violation named `name` when `cond` is false. */
  assert(cond: boolean, name: string): void;
  /** Current label of a thread instance (`'fault', 1` or `'evictor'`). */
  at(group: string, index?: number): string;
  /** Locals of another thread instance (read-only outside its own steps). */
  local(group: string, index?: number): LocalView;
  /** How many instances of a group are at `label`. */
  count(group: string, label: string): number;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type StateView = StateViewMethods & Record<string, any>;
export interface LocalViewMethods {
  /** Replica index within the group (0 for a single thread). */
  readonly id: number;
  /** The thread's current label. */
  readonly at: string;
}
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LocalView = LocalViewMethods & Record<string, any>;
export type { ArrayView };

export type Guard = (s: StateView, me: LocalView) => boolean;
export type Effect = (s: StateView, me: LocalView, choice: number) => void;
export type NextFn = (s: StateView, me: LocalView, choice: number) => string;

export interface StepDef {
  /** Label at which this step is enabled; defaults to the step's own name. Several steps may share a label (alternatives). */
  at?: string;
  /** Guard: the step is enabled when it holds (default: always). */
  when?: Guard;
  /** Nondeterministic choices: a count, a list of names, or a count computed from the state. Each choice is its own transition. */
  choose?: number | readonly string[] | ((s: StateView, me: LocalView) => number);
  /** Effect, run atomically on the successor state; receives the choice index. */
  then?: Effect;
  /** Next label: a name, or computed from the successor state and choice. */
  next: string | NextFn;
  /** Passing this step is progress (for non-progress cycle detection). */
  progress?: boolean;
  /** What the step stands for (e.g. the kernel function); shown in listings and traces. */
  doc?: string;
  /**
   * Footprint for partial-order reduction, when it cannot be derived from the
   * source (e.g. the step calls helper functions): the shared variables the
   * step (guard, effect, next, choose) may read and write, and whether it
   * asserts. Checked against the real accesses while reducing.
   */
  reads?: readonly string[];
  writes?: readonly string[];
  asserts?: boolean;
}

export interface ThreadDef {
  locals?: Record<string, ScalarDomain>;
  start: string;
  /** Labels reached only through computed `next` functions must be declared here (others are found from the steps). */
  labels?: readonly string[];
  /** Labels at which the thread may validly stop (and is then "finished"). */
  end?: readonly string[];
  /** Labels whose arrival counts as progress. */
  progress?: readonly string[];
  steps: Record<string, StepDef>;
  /**
   * Helper functions defined with this thread's steps (inside the builder, so
   * they may close over parameters and variant flags) that steps call with
   * the state or the locals; read by the symmetry check like the model's
   * `helpers`.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  helpers?: readonly ((...args: any[]) => unknown)[];
}

export interface ThreadGroupDef {
  readonly name: string;
  readonly count: number;
  readonly replicated: boolean;
  readonly def: ThreadDef;
}

/** One thread instance, named `name`. */
export const thread = (name: string, def: ThreadDef): ThreadGroupDef => ({ name, count: 1, replicated: false, def });
/** `count` identical instances named `name[0]`..`name[count-1]`; `me.id` tells them apart. Symmetry reduction permutes them. */
export const replicate = (count: number, name: string, def: ThreadDef): ThreadGroupDef => ({ name, count, replicated: true, def });

export type ViolationKind = 'invariant' | 'assertion' | 'deadlock' | 'livelock';
export type Fairness = 'none' | 'weak' | 'strong';

export interface Expectation {
  verdict: 'pass' | 'violation';
  kind?: ViolationKind;
  property?: string;
  /** Parameter overrides for this case; absent means the variant's defaults. */
  params?: Params;
  /** Exact counts (full search, no reduction) when known. */
  states?: number;
  transitions?: number;
  /** Check options for this case. */
  deadlock?: boolean;
  fairness?: Fairness;
  /** Length of the shortest counterexample, when the verdict is a violation. */
  length?: number;
  /** Too big for the default test run: checked by `npm run bench` and `mmcheck verdicts --all`. */
  bench?: boolean;
  note?: string;
}

export interface VariantDef {
  description: string;
  /** Parameter defaults that differ for this variant. */
  defaults?: Params;
}

type Dyn<T, P extends ParamSpec> = T | ((params: ParamValues<P>, variant: string | null) => T);

export interface ModelDef<P extends ParamSpec = ParamSpec> {
  name: string;
  title?: string;
  description?: string;
  /** `kernel` models are checked by `mmcheck verdicts` (npm start); `classic` ones validate the engine. */
  category?: 'kernel' | 'classic' | 'example';
  params?: P;
  variants?: Record<string, string | VariantDef>;
  /** Expected verdicts, by variant name (or a single entry / list for a model without variants). */
  expect?: Record<string, Expectation | Expectation[]> | Expectation | Expectation[];
  shared?: Dyn<Record<string, Domain>, P>;
  threads: Dyn<readonly ThreadGroupDef[], P>;
  invariants?: Dyn<Record<string, (s: StateView) => boolean>, P>;
  /** Progress labels as `group.label`, in addition to per-thread and per-step declarations. */
  progress?: Dyn<readonly string[], P>;
  /** Report deadlocks (default true). */
  deadlock?: Dyn<boolean, P>;
  /**
   * Helper functions that steps or invariants call with the state or a
   * thread's locals (`touch(s)`, `reset(me)`): symmetry reduction reads their
   * source too, and refuses a step that passes the state to a function not
   * listed here.
   */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  helpers?: readonly ((...args: any[]) => unknown)[];
  /** Adjust the initial state after domain initial values are applied. */
  init?: Dyn<(s: StateView) => void, P>;
  /**
   * Building blocks the model uses (src/model/blocks/, docs/blocks.md): their
   * shared variables join `shared`, and their lock declarations tell the
   * reports which variables are locks and who holds them.
   */
  blocks?: Dyn<readonly Block[], P>;
}

export interface Model<P extends ParamSpec = ParamSpec> {
  readonly kind: 'mmcheck-model';
  readonly def: ModelDef<P>;
  readonly name: string;
  readonly variantNames: readonly string[];
  /** Resolved file path when loaded from a file. */
  source?: string;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Parameter names that would be Object.prototype's members in the plain objects parameters travel in. */
const RESERVED_PARAMS: ReadonlySet<string> = new Set(Object.getOwnPropertyNames(Object.prototype));

/**
 * `obj[key]` for a key the user typed (a parameter, variant or expectation
 * name): only the object's own entries count, never Object.prototype's
 * (`constructor`, `toString`, `__proto__`, ...).
 */
export function own<T>(obj: Readonly<Record<string, T>> | undefined, key: string): T | undefined {
  return obj !== undefined && Object.hasOwn(obj, key) ? obj[key] : undefined;
}

const MODEL_KEYS: ReadonlySet<string> = new Set(['name', 'title', 'description', 'category', 'params', 'variants', 'expect', 'shared', 'threads', 'invariants', 'progress', 'deadlock', 'helpers', 'init', 'blocks']);
/** The fields of a thread definition (`thread()` / `replicate()`); anything else is refused when the model is built. */
export const THREAD_KEYS: ReadonlySet<string> = new Set(['locals', 'start', 'labels', 'end', 'progress', 'steps', 'helpers']);

export function defineModel<P extends ParamSpec>(def: ModelDef<P>): Model {
  if (!def || typeof def !== 'object') throw new McError('MC101', 'defineModel(): expects an object');
  if (typeof def.name !== 'string' || !NAME_RE.test(def.name))
    throw new McError('MC102', `defineModel(): name ${q(def.name)} must match ${NAME_RE}`);
  const where = `model ${q(def.name)}`;
  // A misspelt key (`invariant:`, `threadz:`) would silently drop what it was meant to declare.
  for (const k of Object.keys(def)) if (!MODEL_KEYS.has(k)) throw new McError('MC155', `${where}: unknown field ${q(k)} (a model takes ${[...MODEL_KEYS].join(', ')})`);
  for (const [k, d] of Object.entries(def.params ?? {})) {
    if (!NAME_RE.test(k) || RESERVED_PARAMS.has(k)) throw new McError('MC103', `${where}: parameter name ${q(k)} must match ${NAME_RE} and not be a member of Object.prototype`);
    if (!isScalarDomain(d) || (d as ScalarDomain).kind === 'threadId')
      throw new McError('MC104', `${where}: parameter ${q(k)} must be bool(), int() or oneOf()`);
  }
  const variantNames = Object.keys(def.variants ?? {});
  for (const v of variantNames) {
    if (!NAME_RE.test(v)) throw new McError('MC105', `${where}: variant name ${q(v)} must match ${NAME_RE}`);
    const vd = def.variants![v]!;
    const defaults = typeof vd === 'string' ? undefined : vd.defaults;
    for (const [k, val] of Object.entries(defaults ?? {})) {
      const pd = own(def.params, k);
      if (!pd) throw new McError('MC106', `${where}: variant ${q(v)} sets default of unknown parameter ${q(k)}`);
      if (pd.encode(val) < 0) throw new McError('MC107', `${where}: variant ${q(v)} default ${k}=${q(val)} is outside ${pd.describe()}`);
    }
  }
  if (def.expect !== undefined) {
    const exp = def.expect;
    const isSingle = Array.isArray(exp) || (typeof exp === 'object' && Object.hasOwn(exp, 'verdict'));
    if (variantNames.length > 0 && isSingle)
      throw new McError('MC108', `${where}: expect must be keyed by variant name (${variantNames.join(', ')})`);
    if (variantNames.length === 0 && !isSingle)
      throw new McError('MC108', `${where}: a model without variants lists its expectations directly`);
    if (!isSingle) {
      for (const k of Object.keys(exp)) {
        if (!variantNames.includes(k)) throw new McError('MC109', `${where}: expectation for unknown variant ${q(k)}`);
      }
    }
    const lists: [string, unknown][] = isSingle ? [['expect', exp]] : Object.entries(exp).map(([k, v]) => [`expect[${q(k)}]`, v]);
    for (const [at, list] of lists) {
      const entries = Array.isArray(list) ? list : [list];
      entries.forEach((e, i) => validateExpectation(def as unknown as ModelDef, `${where}: ${at}${Array.isArray(list) ? `[${i}]` : ''}`, e));
    }
  }
  if (def.threads === undefined) throw new McError('MC110', `${where}: no threads`);
  // Parameter types are checked inside the definition; the model itself is used untyped.
  return { kind: 'mmcheck-model', def: def as unknown as ModelDef, name: def.name, variantNames };
}

const EXPECTATION_KEYS: ReadonlySet<string> = new Set(['verdict', 'kind', 'property', 'params', 'states', 'transitions', 'deadlock', 'fairness', 'length', 'bench', 'note']);
const VERDICTS: ReadonlySet<string> = new Set(['pass', 'violation']);
const KINDS: ReadonlySet<string> = new Set(['invariant', 'assertion', 'deadlock', 'livelock']);
const FAIRNESS: ReadonlySet<string> = new Set(['none', 'weak', 'strong']);

/**
 * One `expect` entry, checked when the model is defined: a misspelt key or
 * value would otherwise make the expectation check less than it says
 * (`verdict: 'passs'` never matches; `stats: 12` is never compared).
 */
function validateExpectation(def: ModelDef, at: string, e: unknown): void {
  if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new McError('MC146', `${at}: an expectation is an object like { verdict: 'pass' }`);
  const x = e as Record<string, unknown>;
  for (const k of Object.keys(x))
    if (!EXPECTATION_KEYS.has(k)) throw new McError('MC146', `${at}: unknown key ${q(k)} (expectations take ${[...EXPECTATION_KEYS].join(', ')})`);
  const bad = (key: string, what: string) => new McError('MC147', `${at}: ${key} ${q(String(x[key]))}: expected ${what}`);
  if (typeof x.verdict !== 'string' || !VERDICTS.has(x.verdict)) throw bad('verdict', "'pass' or 'violation'");
  if (x.kind !== undefined && (typeof x.kind !== 'string' || !KINDS.has(x.kind))) throw bad('kind', [...KINDS].join(', '));
  if (x.property !== undefined && typeof x.property !== 'string') throw bad('property', 'a property name');
  if (x.fairness !== undefined && (typeof x.fairness !== 'string' || !FAIRNESS.has(x.fairness))) throw bad('fairness', 'none, weak or strong');
  for (const k of ['states', 'transitions', 'length'] as const)
    if (x[k] !== undefined && !(Number.isSafeInteger(x[k]) && (x[k] as number) >= 0)) throw bad(k, 'a whole number');
  for (const k of ['deadlock', 'bench'] as const) if (x[k] !== undefined && typeof x[k] !== 'boolean') throw bad(k, 'true or false');
  if (x.note !== undefined && typeof x.note !== 'string') throw bad('note', 'text');
  if (x.verdict === 'pass')
    for (const k of ['kind', 'property', 'length'] as const)
      if (x[k] !== undefined) throw new McError('MC147', `${at}: ${k} is given for a pass (it describes a violation)`);
  if (x.params !== undefined) {
    if (typeof x.params !== 'object' || x.params === null || Array.isArray(x.params)) throw bad('params', 'an object of parameter values');
    for (const [k, v] of Object.entries(x.params as Record<string, unknown>)) {
      const pd = own(def.params, k);
      if (!pd) throw new McError('MC147', `${at}: params sets unknown parameter ${q(k)}`);
      if (pd.encode(v as Scalar) < 0) throw new McError('MC147', `${at}: params ${k}=${q(String(v))} is outside ${pd.describe()}`);
    }
  }
}

export const isModel = (m: unknown): m is Model =>
  typeof m === 'object' && m !== null && (m as { kind?: unknown }).kind === 'mmcheck-model';

/** Expectations of a model for one variant (null for a model without variants), in declaration order. */
export function expectationsOf(model: Model, variant: string | null): Expectation[] {
  const exp = model.def.expect;
  if (exp === undefined) return [];
  if (Array.isArray(exp)) return exp;
  if (Object.hasOwn(exp, 'verdict')) return [exp as Expectation];
  const e = own(exp as Record<string, Expectation | Expectation[]>, variant ?? '');
  return e === undefined ? [] : Array.isArray(e) ? e : [e];
}

export function variantDescription(model: Model, v: string): string {
  const vd = own(model.def.variants, v);
  return vd === undefined ? '' : typeof vd === 'string' ? vd : vd.description;
}

/** Resolve parameter values: variant defaults, then overrides; every value checked against its domain. */
export function resolveParams(model: Model, variant: string | null, overrides: Params = {}): Params {
  const where = `model ${q(model.name)}`;
  const spec = model.def.params ?? {};
  const out: Params = {};
  for (const [k, d] of Object.entries(spec)) out[k] = d.init;
  if (variant !== null) {
    const vd = own(model.def.variants, variant);
    if (vd && typeof vd !== 'string') for (const [k, v] of Object.entries(vd.defaults ?? {})) if (Object.hasOwn(spec, k)) out[k] = v;
  }
  for (const [k, v] of Object.entries(overrides)) {
    const d = own(spec, k);
    if (!d) {
      const known = Object.keys(spec);
      throw new McError('MC301', `${where} has no parameter ${q(k)}${known.length ? ` (parameters: ${known.join(', ')})` : ' (it takes no parameters)'}`);
    }
    if (d.encode(v) < 0) throw new McError('MC302', `${where}: parameter ${k}=${q(v)} is outside its domain ${d.describe()}`);
    out[k] = v;
  }
  return out;
}

/** Parse a command-line parameter value according to its domain. */
export function parseParam(model: Model, key: string, text: string): Scalar {
  const d = own(model.def.params, key);
  if (!d) {
    const known = Object.keys(model.def.params ?? {});
    throw new McError('MC301', `model ${q(model.name)} has no parameter ${q(key)}${known.length ? ` (parameters: ${known.join(', ')})` : ' (it takes no parameters)'}`);
  }
  let v: Scalar = text;
  if (d.kind === 'bool') {
    if (text !== 'true' && text !== 'false') throw new McError('MC302', `model ${q(model.name)}: parameter ${key}=${q(text)} must be true or false`);
    v = text === 'true';
  } else if (d.kind === 'int') {
    if (!/^-?\d+$/.test(text)) throw new McError('MC302', `model ${q(model.name)}: parameter ${key}=${q(text)} is not an integer (domain ${d.describe()})`);
    v = Number(text);
  }
  if (d.encode(v) < 0) throw new McError('MC302', `model ${q(model.name)}: parameter ${key}=${text} is outside its domain ${d.describe()}`);
  return v;
}

export function checkVariant(model: Model, variant: string | null | undefined): string | null {
  if (model.variantNames.length === 0) {
    if (variant != null) throw new McError('MC303', `model ${q(model.name)} has no variants (asked for ${q(variant)})`);
    return null;
  }
  if (variant == null) return model.variantNames[0]!;
  if (!model.variantNames.includes(variant))
    throw new McError('MC303', `model ${q(model.name)} has no variant ${q(variant)} (variants: ${model.variantNames.join(', ')})`);
  return variant;
}

export { ArrayDomain };
