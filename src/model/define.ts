import { McError, q } from './errors.ts';
import type { Block, WithBlocks } from './blocks/block.ts';
import { ArrayDomain, BoolDomain, EnumDomain, IntDomain, ScalarDomain, isScalarDomain, type ArrayView, type Scalar } from './domains.ts';
import type { LocalSpec, LocalView, ReadonlyLocalView, ReadonlyStateView, SharedSpec, StateView } from './view-types.ts';
export type { LocalSpec, LocalsOf, LocalView, LocalViewMethods, ReadonlyLocalView, ReadonlyStateView, SharedSpec, StateView, StateViewMethods, VarsOf } from './view-types.ts';

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
/** Values for some of the parameters `P` (variant defaults, an expectation's instance); `Params` in the loose form. */
export type ParamOverrides<P extends ParamSpec = ParamSpec> = string extends keyof P ? Params : { readonly [K in keyof P]?: P[K]['__value'] };

export type { ArrayView };

export type Guard<S extends SharedSpec = SharedSpec, L extends LocalSpec = LocalSpec> = (s: ReadonlyStateView<S>, me: ReadonlyLocalView<L>) => boolean;
export type Effect<S extends SharedSpec = SharedSpec, L extends LocalSpec = LocalSpec> = (s: StateView<S>, me: LocalView<L>, choice: number) => void;
export type NextFn<S extends SharedSpec = SharedSpec, L extends LocalSpec = LocalSpec, Label extends string = string> = (
  s: StateView<S>,
  me: LocalView<L>,
  choice: number,
) => Label;

/**
 * One step. `Label` is what `next` may name (the thread's labels), `At` what
 * `at` may be; both are any string in the loose form.
 */
export interface StepDef<S extends SharedSpec = SharedSpec, L extends LocalSpec = LocalSpec, Label extends string = string, At extends string = string> {
  /** Label at which this step is enabled; defaults to the step's own name. Several steps may share a label (alternatives). */
  at?: At;
  /** Guard: the step is enabled when it holds (default: always). */
  when?: Guard<S, L>;
  /** Nondeterministic choices: a count, a list of names, or a count computed from the state (0: the step is not enabled in that state, as with a false `when`). Each choice is its own transition. */
  choose?: number | readonly string[] | ((s: ReadonlyStateView<S>, me: ReadonlyLocalView<L>) => number);
  /** Effect, run atomically on the successor state; receives the choice index. */
  then?: Effect<S, L>;
  /** Next label: a name, or computed from the successor state and choice. */
  next: Label | NextFn<S, L, Label>;
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

/** A helper function steps or invariants call with the state or the locals. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Helper = (...args: any[]) => unknown;

/** A thread definition with its labels as one type: the loose form steps built at run time use. */
export interface ThreadDef<S extends SharedSpec = SharedSpec, L extends LocalSpec = LocalSpec, Label extends string = string> {
  locals?: L;
  start: Label;
  /** Labels reached only through computed `next` functions must be declared here (others are found from the steps). */
  labels?: readonly Label[];
  /** Labels at which the thread may validly stop (and is then "finished"). */
  end?: readonly Label[];
  /** Labels whose arrival counts as progress. */
  progress?: readonly Label[];
  steps: Record<string, StepDef<S, L, Label, Label>>;
  /**
   * Helper functions defined with this thread's steps (inside the builder, so
   * they may close over parameters and variant flags) that steps call with
   * the state or the locals; read by the symmetry check like the model's
   * `helpers`.
   */
  helpers?: readonly Helper[];
}

/**
 * What `thread()` and `replicate()` take, with the labels inferred: `K` the
 * step names, `A` the `at` labels, `X` the declared `labels`, `E` the `end`
 * labels. `start`, `progress` and every `next` must name one of them. The
 * shared variables `S` come from the model the thread is part of (the call's
 * contextual type) and are never inferred from the steps.
 */
export interface ThreadSpec<S extends SharedSpec, L extends LocalSpec, K extends string, A extends string, X extends string, E extends string> {
  locals?: L;
  start: NoInfer<K | A | X | E>;
  labels?: readonly X[];
  end?: readonly E[];
  progress?: readonly NoInfer<K | A | X | E>[];
  steps: { [N in K]?: StepDef<NoInfer<S>, NoInfer<L>, NoInfer<K | A | X | E>, A | NoInfer<K | X | E>> };
  helpers?: readonly Helper[];
}

/**
 * A thread group of a model over shared variables `S`. The typed definition
 * is checked where `thread()`/`replicate()` is called; the group keeps the
 * loose form the engine reads.
 */
export interface ThreadGroupDef<S extends SharedSpec = SharedSpec> {
  readonly name: string;
  readonly count: number;
  readonly replicated: boolean;
  readonly def: ThreadDef;
  /**
   * Never set: the shared variables the steps were typed against, so that a
   * model declaring fewer (or of other types) refuses the group.
   */
  readonly typedFor?: (s: StateView<S>) => void;
}

/** One thread instance, named `name`. */
export const thread = <S extends SharedSpec = SharedSpec, L extends LocalSpec = {}, K extends string = never, A extends string = never, X extends string = never, E extends string = never>(
  name: string,
  def: ThreadSpec<S, L, K, A, X, E>,
): ThreadGroupDef<S> => ({ name, count: 1, replicated: false, def: def as unknown as ThreadDef });
/** `count` identical instances named `name[0]`..`name[count-1]`; `me.id` tells them apart. Symmetry reduction permutes them. */
export const replicate = <S extends SharedSpec = SharedSpec, L extends LocalSpec = {}, K extends string = never, A extends string = never, X extends string = never, E extends string = never>(
  count: number,
  name: string,
  def: ThreadSpec<S, L, K, A, X, E>,
): ThreadGroupDef<S> => ({ name, count, replicated: true, def: def as unknown as ThreadDef });

export type ViolationKind = 'invariant' | 'assertion' | 'deadlock' | 'livelock';
export type Fairness = 'none' | 'weak' | 'strong';

export interface Expectation<P extends ParamSpec = ParamSpec> {
  verdict: 'pass' | 'violation';
  kind?: ViolationKind;
  property?: string;
  /** Parameter overrides for this case; absent means the variant's defaults. */
  params?: ParamOverrides<P>;
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

export interface VariantDef<P extends ParamSpec = ParamSpec> {
  description: string;
  /** Parameter defaults that differ for this variant. */
  defaults?: ParamOverrides<P>;
}

type Dyn<T, P extends ParamSpec, V extends string = string> = T | ((params: ParamValues<P>, variant: V | null) => T);
/**
 * The parameters as `threads`, `invariants` and `init` receive them. `S` is
 * not part of the value: naming it in the parameter's type makes TypeScript
 * settle the shared variables (inferred from `shared`, written before) when it
 * types the function's parameters, so that the `thread()`/`replicate()` calls
 * inside see them.
 */
export type ParamsFor<P extends ParamSpec, S> = ParamValues<P> & { readonly [K in never]: S };
type DynS<T, P extends ParamSpec, S, V extends string> = T | ((params: ParamsFor<P, S>, variant: V | null) => T);

/**
 * A model's definition. `P` are the parameters' domains, `S` the shared
 * variables' and `V` the variant names (the `variant` argument of the
 * functions is one of them, or null for a model without variants); `B` the
 * blocks, whose variables join `S` in the state the threads, invariants and
 * `init` are typed with (`WithBlocks<S, B>`: `S` itself without blocks).
 */
export interface ModelDef<P extends ParamSpec = ParamSpec, S extends SharedSpec = SharedSpec, V extends string = string, B extends readonly Block[] = readonly Block[]> {
  name: string;
  title?: string;
  description?: string;
  /** `kernel` models are checked by `mmcheck verdicts` (npm start); `classic` ones validate the engine. */
  category?: 'kernel' | 'classic' | 'example';
  params?: P;
  variants?: Record<V, string | VariantDef<NoInfer<P>>>;
  /** Expected verdicts, by variant name (or a single entry / list for a model without variants). */
  expect?: { [K in NoInfer<V>]?: Expectation<NoInfer<P>> | Expectation<NoInfer<P>>[] } | Expectation<NoInfer<P>> | Expectation<NoInfer<P>>[];
  /** Shared variables and their domains; list it before `threads`, `invariants` and `init`, which are typed from it. */
  shared?: Dyn<S, P, NoInfer<V>>;
  threads: DynS<readonly ThreadGroupDef<NoInfer<WithBlocks<S, B>>>[], P, WithBlocks<S, B>, NoInfer<V>>;
  /**
   * Named invariants, or a function of the parameters and the variant
   * returning them. Its result may be typed with names it leaves out
   * (`v === 'x' ? { a } : { b }` is `{ a; b?: undefined } | ...` to
   * TypeScript); a name given with no function is refused when the model
   * is built (MC130).
   */
  invariants?:
    | Record<string, (s: ReadonlyStateView<WithBlocks<S, B>>) => boolean>
    | ((params: ParamValues<P>, variant: NoInfer<V> | null) => { readonly [name: string]: ((s: ReadonlyStateView<WithBlocks<S, B>>) => boolean) | undefined });
  /** Progress labels as `group.label`, in addition to per-thread and per-step declarations. */
  progress?: Dyn<readonly string[], P, NoInfer<V>>;
  /** Report deadlocks (default true). */
  deadlock?: Dyn<boolean, P, NoInfer<V>>;
  /**
   * Helper functions that steps or invariants call with the state or a
   * thread's locals (`touch(s)`, `reset(me)`): symmetry reduction reads their
   * source too, and refuses a step that passes the state to a function not
   * listed here.
   */
  helpers?: readonly Helper[];
  /**
   * Adjust the initial state after domain initial values are applied. Always
   * a function of `(params, variant)` returning the function that adjusts
   * `s` (the model is built by calling it with the parameters).
   */
  init?: (params: ParamsFor<P, WithBlocks<S, B>>, variant: NoInfer<V> | null) => (s: StateView<WithBlocks<S, B>>) => void;
  /**
   * Building blocks the model uses (src/model/blocks/, docs/blocks.md): their
   * shared variables join `shared`, and their lock declarations tell the
   * reports which variables are locks and who holds them. List it before
   * `threads`, `invariants` and `init`: the state they see is typed with the
   * blocks' variables too.
   */
  blocks?: B | ((params: ParamsFor<P, S>, variant: NoInfer<V> | null) => B);
}

export interface Model<P extends ParamSpec = ParamSpec> {
  readonly kind: 'mmcheck-model';
  readonly def: ModelDef<P>;
  readonly name: string;
  readonly variantNames: readonly string[];
  /** Resolved file path when loaded from a file. */
  source?: string;
  /**
   * When loaded from a file: a digest of its text and of the files it
   * imports by relative path, in the model hash (src/trace/decode.ts), so
   * that a constant a step reads (`const CAP = 3`) or a helper module
   * changed changes the hash, as the functions' own source does.
   */
  sourceDigest?: string;
  /**
   * When loaded from a file whose text (or an imported file's) reads what
   * differs from one thread to the next: what, as `imports
   * node:worker_threads` (src/run/source-digest.ts); `check` warns.
   */
  threadVarying?: string;
  /**
   * A built-in model: the digest of its source file's text
   * (`src/run/builtin-source.ts`), which the model hash counts in place of the
   * compiled text of the functions that file defines.
   */
  builtinDigest?: string;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;

/**
 * The longest name a model may give anything a trace records (the model,
 * a variant, a parameter or its value, a thread, variable, label, step,
 * choice, `oneOf` value or invariant; a variable's full name, `fault[3].ok`,
 * included), and the longest a trace file may hold (MC402 beyond it): far
 * above any real name, far below what would make every table and message
 * that repeats it megabytes long.
 */
export const MAX_NAME = 1024;
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

export function defineModel<P extends ParamSpec, S extends SharedSpec = {}, V extends string = never, B extends readonly Block[] = readonly Block[]>(def: ModelDef<P, S, V, B>): Model {
  if (!def || typeof def !== 'object') throw new McError('MC101', `defineModel(): expects an object, got ${def === null ? 'null' : Array.isArray(def) ? 'an array' : typeof def === 'function' ? 'a function' : q(def)}`);
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
  if (def.variants !== undefined && (Array.isArray(def.variants) || typeof def.variants !== 'object' || def.variants === null))
    throw new McError('MC105', `${where}: variants must be an object from each variant's name to what it is (a description, or { doc, defaults }), not ${Array.isArray(def.variants) ? `a list: write variants: { ${(def.variants as unknown[]).slice(0, 2).map((v) => `${typeof v === 'string' ? JSON.stringify(v) : 'name'}: '...'`).join(', ')} }` : q(def.variants)}`);
  const variantNames = Object.keys(def.variants ?? {});
  for (const v of variantNames) {
    if (!NAME_RE.test(v)) throw new McError('MC105', `${where}: variant name ${q(v)} must match ${NAME_RE}`);
    const vd = (def.variants as Record<string, string | VariantDef>)[v]!;
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
        if (!variantNames.includes(k)) throw new McError('MC109', `${where}: expectation for unknown variant ${q(k)} (variants: ${variantNames.join(', ')})`);
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
  // Expectations that no result can meet.
  if ((x.kind === 'deadlock' || (x.kind === undefined && x.property === 'deadlock')) && x.deadlock === false)
    throw new McError('MC147', `${at}: a deadlock expected with deadlock: false (deadlock detection off): no search can report it`);
  const props: Record<string, readonly string[]> = { deadlock: ['deadlock'], livelock: ['non-progress-cycle', 'starvation'] };
  const allowed = typeof x.kind === 'string' ? props[x.kind] : undefined;
  if (allowed !== undefined && x.property !== undefined && !allowed.includes(x.property as string))
    throw new McError('MC147', `${at}: property ${q(String(x.property))} with kind ${q(String(x.kind))}, whose property is ${allowed.map((p) => q(p)).join(' or ')}`);
  if (x.params !== undefined) {
    if (typeof x.params !== 'object' || x.params === null || Array.isArray(x.params)) throw bad('params', 'an object of parameter values');
    for (const [k, v] of Object.entries(x.params as Record<string, unknown>)) {
      const pd = own(def.params, k);
      if (!pd) throw new McError('MC147', `${at}: params sets unknown parameter ${q(k)}`);
      if (pd.encode(v as Scalar) < 0) throw new McError('MC147', `${at}: params ${k}=${q(v)} is outside ${pd.describe()}`);
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
    const code = d.encode(v);
    if (code < 0) throw new McError('MC302', `${where}: parameter ${k}=${q(v)} is outside its domain ${d.describe()}`);
    // A string value as its domain holds it (see `checkVariant`).
    out[k] = typeof v === 'string' ? d.decode(code) : v;
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

/** `-p k=v` values, each parsed against the model's declared parameter domain; a name given twice is refused. */
export function paramsFrom(model: Model, kvs: readonly string[]): Params {
  const out: Params = {};
  const given = new Map<string, string>();
  for (const kv of kvs) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new McError('MC310', `--param ${q(kv)}: expected key=value`);
    const k = kv.slice(0, eq);
    const before = given.get(k);
    if (before !== undefined) throw new McError('MC330', `--param ${k} given twice (${q(before)} and ${q(kv)}): give each parameter once`);
    given.set(k, kv);
    out[k] = parseParam(model, k, kv.slice(eq + 1));
  }
  return out;
}

/**
 * The variant to build: the model's own name of it (a key of its
 * definition), not the string asked for. A name from the command line or
 * from another thread (a structured clone) is an equal string that V8 has
 * not internalized, which the model then compares with its literals
 * (`variant === 'atomic'`) in code compiled while the search runs; with the
 * model's own string the comparison does not depend on how V8 treats such
 * strings. String parameter values are taken from their domains for the
 * same reason (`resolveParams`).
 */
export function checkVariant(model: Model, variant: string | null | undefined): string | null {
  if (model.variantNames.length === 0) {
    if (variant != null) throw new McError('MC303', `model ${q(model.name)} has no variants (asked for ${q(variant)})`);
    return null;
  }
  if (variant == null) return model.variantNames[0]!;
  const own = model.variantNames.find((v) => v === variant);
  if (own === undefined) throw new McError('MC303', `model ${q(model.name)} has no variant ${q(variant)} (variants: ${model.variantNames.join(', ')})`);
  return own;
}

export { ArrayDomain };
