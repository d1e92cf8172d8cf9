import { McError, isMcError, q } from './errors.ts';
import { checkModelNames, checkStateOnly, checkVariantLiterals } from './names.ts';
import { deferredValue, unplainFunction, unplainWhy } from './synchronous.ts';
import { isBlock, type Block, type LockDecl } from './blocks/block.ts';
import { fragmentOrigins, leafFunctions, stepMapOrigins, type GroupUse } from './blocks/compose.ts';
import { codeOnly } from './source.ts';
import { ArrayDomain, EnumDomain, ScalarDomain, ThreadIdDomain, checkInit, isArrayDomain, isScalarDomain, type Domain, type Scalar } from './domains.ts';
import {
  checkVariant,
  MAX_NAME,
  THREAD_KEYS,
  resolveParams,
  type Effect,
  type Guard,
  type Model,
  type NextFn,
  type Params,
  type StateView,
  type StepDef,
  type ThreadGroupDef,
  type LocalView,
} from './define.ts';

/** A model instantiated for one variant and parameter valuation, validated. */
export interface BuiltModel {
  readonly model: Model;
  readonly name: string;
  readonly variant: string | null;
  readonly params: Readonly<Params>;
  readonly shared: readonly BuiltVar[];
  readonly templates: readonly BuiltTemplate[];
  readonly threads: readonly ThreadInstance[];
  readonly invariants: readonly BuiltInvariant[];
  readonly deadlock: boolean;
  readonly init: ((s: StateView) => void) | null;
  /** True when some step or label declares progress (liveness is checked). */
  readonly hasProgress: boolean;
  /** Helper functions the model's steps call with the state or locals (for the symmetry check). */
  readonly helpers: readonly Function[];
  /** Locks the model's building blocks declare (empty: the reports guess lock-like variables from the trace). */
  readonly locks: readonly LockDecl[];
  /**
   * Parameters nothing seems to use: not read while the model was built, and
   * named in none of its functions' sources (a value given for one likely
   * changes nothing; `check` warns).
   */
  readonly unusedParams: readonly string[];
}

export interface BuiltVar {
  readonly name: string;
  readonly domain: ScalarDomain | ArrayDomain;
  /** The building block that declares it; absent for the model's own. */
  readonly block?: string;
}
export interface BuiltInvariant {
  readonly name: string;
  readonly fn: (s: StateView) => boolean;
}

export interface BuiltStep {
  readonly name: string;
  readonly index: number; // within the template
  readonly at: number; // label index
  readonly guard: Guard | null;
  readonly effect: Effect | null;
  /** Constant next label, or -1 when computed by `nextFn`. */
  readonly next: number;
  readonly nextFn: NextFn | null;
  /** Constant choice count, or -1 when computed by `chooseFn`. */
  readonly choices: number;
  readonly chooseFn: ((s: StateView, me: LocalView) => number) | null;
  readonly choiceNames: readonly string[] | null;
  readonly progress: boolean;
  readonly doc: string;
  /** Declared footprint (null when it is to be derived from the source). */
  readonly declared: { reads: readonly string[]; writes: readonly string[]; asserts: boolean } | null;
}

export interface BuiltTemplate {
  readonly name: string;
  readonly index: number;
  readonly count: number;
  readonly replicated: boolean;
  readonly locals: readonly BuiltVar[];
  readonly labels: readonly string[];
  readonly labelIndex: ReadonlyMap<string, number>;
  readonly start: number;
  readonly isEnd: Uint8Array; // per label
  readonly isProgress: Uint8Array; // per label: arriving there is progress
  readonly steps: readonly BuiltStep[];
  /** Steps enabled at each label, by index. */
  readonly stepsAt: readonly Int32Array[];
  readonly hasProgress: boolean;
}

export interface ThreadInstance {
  readonly index: number;
  readonly name: string;
  readonly template: BuiltTemplate;
  readonly replica: number;
}

const NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;
const LABEL_RE = /^[A-Za-z_][A-Za-z0-9_-]*$/;
/** Names the generated views use themselves, or that would shadow Object.prototype. */
const RESERVED_SHARED: ReadonlySet<string> = new Set(['assert', 'at', 'local', 'count', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '__proto__', 'toJSON', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString']);
const RESERVED_LOCAL: ReadonlySet<string> = new Set(['id', 'at', 'constructor', 'toString', 'valueOf', 'hasOwnProperty', 'prototype', '__proto__', 'toJSON', 'isPrototypeOf', 'propertyIsEnumerable', 'toLocaleString']);

export const MAX_THREADS = 1024;
export const MAX_STEPS = 1024;
export const MAX_CHOICES = 4096;

/** The errors the sealed parameters threw, which the function of the parameters that made them is named in. */
const paramErrors = new WeakSet<object>();
/** How each field that may be a function of the parameters is written so. */
const PARAM_FORMS: Readonly<Record<string, string>> = {
  invariants: 'invariants: (params) => ({ name: (s) => ... })',
  init: 'init: (params) => (s) => { ... }',
  threads: 'threads: (params, variant) => [thread(...), ...]',
  shared: 'shared: (params) => ({ x: int(0, params.n) })',
};

/** Names of Object.prototype and the probes of JSON and promises: reading them through the parameters is no typo. */
const PARAM_PROBES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'toJSON', 'then']);

/**
 * The parameters as the model's functions of the parameters receive them: a
 * misspelt `params.capp` would read undefined (and `s.n > undefined` is
 * false in every state), and a write (an `init: (s) => {...}` missing its
 * outer function of the parameters is handed them) would be dropped; both
 * are coded errors, wherever the function that does it runs.
 */
function sealedParams(params: Readonly<Params>, read: Set<string>): Readonly<Params> {
  const names = (): string => {
    const k = Object.keys(params);
    return k.length ? `parameters: ${k.join(', ')}` : 'it declares no parameters';
  };
  const fail = (code: string, message: string): never => {
    const e = new McError(code, message);
    paramErrors.add(e);
    throw e;
  };
  const readOnly = (k: string | symbol): never => fail('MC152', `writes params.${String(k)}, but the parameters are read-only`);
  return new Proxy(params, {
    get(t, k, r) {
      if (typeof k === 'string' && !Object.hasOwn(t, k) && !PARAM_PROBES.has(k)) fail('MC150', `reads params.${k}, which is not a parameter of the model (${names()})`);
      if (typeof k === 'string') read.add(k);
      return Reflect.get(t, k, r);
    },
    set: (_t, k) => readOnly(k),
    defineProperty: (_t, k) => readOnly(k),
    deleteProperty: (_t, k) => readOnly(k),
  });
}

/** Parameters not read during the build (`read`; a spread `{ ...params }` reads them all) and named in no function of the model's definition. */
function unusedParams(def: Model['def'], params: Readonly<Params>, read: ReadonlySet<string>): string[] {
  const unread = Object.keys(params).filter((k) => !read.has(k));
  if (unread.length === 0) return [];
  const sources = Object.values(def as unknown as Record<string, unknown>).filter((f): f is Function => typeof f === 'function').map((f) => codeOnly(Function.prototype.toString.call(f)));
  return unread.filter((k) => !sources.some((src) => new RegExp(`(?<![\\w$])${k.replace(/\$/g, '\\$')}(?![\\w$])`).test(src)));
}

/** MC180 for a name a trace would record that is longer than a trace may hold (MAX_NAME), so that every counterexample can be read back. */
function checkNameLengths(where: string, name: string, variant: string | null, params: Params, shared: readonly BuiltVar[], templates: readonly BuiltTemplate[], threads: readonly { name: string; template: BuiltTemplate }[], invariants: readonly BuiltInvariant[]): void {
  const check = (what: string, n: string) => {
    if (n.length > MAX_NAME) throw new McError('MC180', `${where}: ${what} ${q(n)} is ${n.length.toLocaleString('en-US')} characters long; a name a trace records has at most ${MAX_NAME.toLocaleString('en-US')}`);
  };
  const domainNames = (what: string, d: BuiltVar['domain']) => {
    const e = d.kind === 'array' ? d.elem : d;
    if (e.kind === 'enum') for (const v of (e as EnumDomain).names) check(`${what}: oneOf value`, v);
  };
  check('the model name', name);
  if (variant !== null) check('the variant name', variant);
  for (const [k, v] of Object.entries(params)) {
    check('the parameter name', k);
    if (typeof v === 'string') check(`parameter ${q(k)}: the value`, v);
  }
  for (const v of shared) {
    check('the shared variable', v.domain.kind === 'array' ? `${v.name}[${v.domain.length - 1}]` : v.name);
    domainNames(`shared ${q(v.name)}`, v.domain);
  }
  for (const t of templates) {
    for (const l of t.labels) check(`thread ${q(t.name)}: the label`, l);
    for (const s of t.steps) {
      check(`thread ${q(t.name)}: the step name`, s.name);
      for (const c of s.choiceNames ?? []) check(`thread ${q(t.name)} step ${q(s.name)}: the choice name`, c);
    }
    for (const l of t.locals) domainNames(`thread ${q(t.name)} local ${q(l.name)}`, l.domain);
  }
  for (const th of threads) {
    check('the thread', th.name);
    for (const l of th.template.locals) check('the local', `${th.name}.${l.name}`);
  }
  for (const i of invariants) check('the invariant name', i.name);
}

export function buildModel(model: Model, variantIn?: string | null, overrides: Params = {}): BuiltModel {
  const variant = checkVariant(model, variantIn);
  const params = Object.freeze(resolveParams(model, variant, overrides));
  const def = model.def;
  const where = `model ${q(model.name)}${variant ? ` variant ${q(variant)}` : ''}`;
  const paramsRead = new Set<string>();
  const sealed = sealedParams(params, paramsRead);
  const dyn = <T>(x: T | ((p: Params, v: string | null) => T) | undefined, what: string): T | undefined => {
    if (typeof x !== 'function') return x;
    let r: T;
    try {
      r = (x as (p: Params, v: string | null) => T)(sealed, variant);
    } catch (e) {
      // A function of the state given where one of the parameters goes (`invariants: (s) => ...`) reads or writes them.
      if (paramErrors.has(e as object))
        throw new McError((e as McError).code, `${where}: ${what}(params, variant) ${(e as McError).message}; a function given for ${what} is called with the parameters, e.g. ${PARAM_FORMS[what] ?? `${what}: (params) => ...`}`);
      // A model file may load its own copy of the package: rethrow its coded errors as this copy's.
      if (isMcError(e)) throw new McError(e.code, e.message);
      throw new McError('MC111', `${where}: ${what}(params) threw: ${(e as Error).message}`);
    }
    const deferred = deferredValue(r);
    if (deferred !== null) throw new McError('MC136', `${where}: ${what}(params) returned ${deferred}; it must return its value synchronously`);
    return r;
  };

  const groups = dyn(def.threads as never, 'threads') as readonly ThreadGroupDef[] | undefined;
  if (!Array.isArray(groups) || groups.length === 0) throw new McError('MC110', `${where}: threads must be a non-empty list of thread()/replicate()`);
  const groupSize = new Map<string, number>();
  for (const g of groups) {
    if (!g || typeof g !== 'object' || !g.def) throw new McError('MC112', `${where}: threads must be made with thread() or replicate()`);
    if (!NAME_RE.test(g.name)) throw new McError('MC113', `${where}: thread name ${q(g.name)} must match ${NAME_RE}`);
    if (groupSize.has(g.name)) throw new McError('MC114', `${where}: two thread groups are named ${q(g.name)}`);
    if (!Number.isInteger(g.count) || g.count < 1) {
      // A parameter that may be 0 (`nE: int(0, 1)`): the group is left out of the list, and the blocks made without it.
      const none = g.count === 0
        ? `; to leave the group out when the count is 0, leave it out of the list (\`...(n > 0 ? [replicate(n, ${q(g.name)}, {...})] : [])\`) and make the blocks that name it without it (\`mutex('m', n > 0 ? ['a', ${q(g.name)}] : ['a'])\`, in a \`blocks\` function of the parameters)`
        : '';
      throw new McError('MC115', `${where}: replicate(${q(g.count)}, ${q(g.name)}): count must be a positive integer${none}`);
    }
    groupSize.set(g.name, g.count);
  }
  const totalThreads = [...groupSize.values()].reduce((a, b) => a + b, 0);
  if (totalThreads > MAX_THREADS) throw new McError('MC115', `${where}: ${totalThreads} thread instances (at most ${MAX_THREADS})`);

  const bindDomain = (d: Domain, what: string): Domain => {
    if (isArrayDomain(d)) {
      const e = bindDomain(d.elem, what) as ScalarDomain;
      const a = new ArrayDomain(d.length, e, d.initValues, d.index);
      if (d.index !== undefined) {
        const n = groupSize.get(d.index);
        if (n === undefined) throw new McError('MC116', `${where}: ${what} is indexed by ${q(d.index)} but there is no thread group ${q(d.index)}`);
        if (n !== d.length) throw new McError('MC142', `${where}: ${what} is indexed by ${q(d.index)} (${n} instances) but has length ${d.length}`);
      }
      for (let i = 0; i < a.length; i++)
        if (e.encode(a.initAt(i)) < 0) throw new McError('MC203', `${where}: ${what}[${i}] initial value ${q(a.initAt(i))} is outside ${e.describe()}`);
      return a;
    }
    if (!isScalarDomain(d)) throw new McError('MC209', `${where}: ${what} has no domain (use bool(), int(), oneOf(), threadId() or array())`);
    if (d.kind === 'threadId') {
      const td = d as ThreadIdDomain;
      const n = groupSize.get(td.group);
      if (n === undefined) {
        const groups = [...groupSize.keys()].map((x) => q(x)).join(', ');
        throw new McError('MC116', `${where}: ${what} is threadId(${q(td.group)}) but there is no thread group ${q(td.group)} (the groups are ${groups}${what.startsWith('block ') ? `; a block made for a group the instance leaves out, as with a count of 0, is made without that group` : ''})`);
      }
      const b = new ThreadIdDomain(td.group, td.nullable, td.init).bind(n);
      if (b.encode(b.init) < 0) throw new McError('MC203', `${where}: ${what} initial value ${q(b.init)} is outside ${b.describe()}`);
      return b;
    }
    checkInit(d, `${where}: ${what}`);
    return d;
  };

  const sharedDef = dyn(def.shared as never, 'shared') as Record<string, Domain> | undefined;
  const shared: BuiltVar[] = [];
  for (const [name, d] of Object.entries(sharedDef ?? {})) {
    if (!NAME_RE.test(name) || RESERVED_SHARED.has(name)) throw new McError('MC117', `${where}: shared variable name ${q(name)} is reserved or not an identifier`);
    shared.push({ name, domain: bindDomain(d, `shared ${q(name)}`) });
  }
  const blocks = (dyn(def.blocks as never, 'blocks') as readonly Block[] | undefined) ?? [];
  if (!Array.isArray(blocks) || blocks.some((b) => !isBlock(b))) throw new McError('MC172', `${where}: blocks must be a list of building blocks (spinlock(), pageLock(), refcount(), declareLock(), ...)`);
  for (const b of blocks)
    for (const [name, d] of Object.entries(b.shared) as [string, Domain][]) {
      if (shared.some((v) => v.name === name)) throw new McError('MC172', `${where}: block ${q(b.name)} declares shared variable ${q(name)}, which the model (or another block) already declares`);
      shared.push({ name, domain: bindDomain(d, `block ${q(b.name)} shared ${q(name)}`), block: b.name });
    }
  const locks = blocks.flatMap((b) => b.locks);
  checkLocks(where, locks, shared);

  const templates: BuiltTemplate[] = [];
  const threads: ThreadInstance[] = [];
  let anyProgress = false;
  const modelProgress = (dyn(def.progress as never, 'progress') as readonly string[] | undefined) ?? [];
  if (!Array.isArray(modelProgress)) throw new McError('MC118', `${where}: progress must be a list of "group.label" entries, got ${q(modelProgress)}`);
  for (const p of modelProgress) {
    const dot = typeof p === 'string' ? p.indexOf('.') : -1;
    if (dot < 0 || !groupSize.has(p.slice(0, dot))) throw new McError('MC118', `${where}: progress entry ${q(p)} must be "group.label" naming a thread group`);
  }
  groups.forEach((g, ti) => {
    const tw = `${where} thread ${q(g.name)}`;
    const td = g.def;
    for (const k of Object.keys(td)) if (!THREAD_KEYS.has(k)) throw new McError('MC156', `${tw}: unknown field ${q(k)} (a thread takes ${[...THREAD_KEYS].join(', ')})`);
    const locals: BuiltVar[] = [];
    for (const [name, d] of Object.entries(td.locals ?? {}) as [string, Domain][]) {
      if (!NAME_RE.test(name) || RESERVED_LOCAL.has(name)) throw new McError('MC117', `${tw}: local name ${q(name)} is reserved or not an identifier`);
      if (isArrayDomain(d)) throw new McError('MC119', `${tw}: local ${q(name)} is an array; locals must be scalars (use a shared array indexed by me.id)`);
      locals.push({ name, domain: bindDomain(d, `local ${q(name)}`) });
    }
    const labels: string[] = [];
    const labelIndex = new Map<string, number>();
    const addLabel = (l: unknown, what: string): number => {
      if (typeof l !== 'string' || !LABEL_RE.test(l)) throw new McError('MC120', `${tw}: ${what} ${q(l)} is not a valid label`);
      let i = labelIndex.get(l);
      if (i === undefined) {
        i = labels.length;
        labels.push(l);
        labelIndex.set(l, i);
      }
      return i;
    };
    // Labels a constant next may name: start, declared, a step's label, end (checked once all are known).
    const declaredLabels = new Set<string>();
    const constNext: [string, string][] = [];
    // A string where a list goes would be taken letter by letter (`end: 'done'` as the labels d, o, n, e).
    for (const k of ['labels', 'end', 'progress'] as const)
      if (td[k] !== undefined && !Array.isArray(td[k])) throw new McError('MC120', `${tw}: ${k} must be a list of labels (${k}: [${q(td[k])}]), got ${q(td[k])}`);
    const start = addLabel(td.start, 'start label');
    declaredLabels.add(td.start);
    for (const l of td.labels ?? []) {
      addLabel(l, 'declared label');
      declaredLabels.add(l);
    }
    if (td.steps && typeof td.steps === 'object') stepMapOverrides(td.steps, tw, g.name);
    const stepEntries = Object.entries(td.steps ?? {});
    if (stepEntries.length === 0 && !(td.end ?? []).includes(td.start)) throw new McError('MC121', `${tw}: has no steps`);
    if (stepEntries.length > MAX_STEPS) throw new McError('MC121', `${tw}: ${stepEntries.length} steps (at most ${MAX_STEPS})`);
    const steps: BuiltStep[] = [];
    stepEntries.forEach(([sname, sdIn], si) => {
      const sd = sdIn as StepDef;
      const sw = `${tw} step ${q(sname)}`;
      if (!LABEL_RE.test(sname)) throw new McError('MC122', `${sw}: step name must match ${LABEL_RE}`);
      if (!sdIn || typeof sdIn !== 'object') throw new McError('MC123', `${sw}: must be an object { when?, then?, next }`);
      for (const k of Object.keys(sd)) {
        if (!['at', 'when', 'choose', 'then', 'next', 'progress', 'doc', 'reads', 'writes', 'asserts'].includes(k)) throw new McError('MC124', `${sw}: unknown field ${q(k)}`);
      }
      const at = addLabel(sd.at ?? sname, 'label');
      declaredLabels.add(sd.at ?? sname);
      if (sd.when !== undefined && typeof sd.when !== 'function') throw new McError('MC125', `${sw}: when must be a function (s, me) => boolean`);
      if (sd.then !== undefined && typeof sd.then !== 'function') throw new McError('MC125', `${sw}: then must be a function (s, me, choice) => void`);
      fragmentOverrides(sd, sw);
      for (const o of fragmentOrigins(sd)) groupUses(o, g.name, sw);
      for (const f of ['when', 'then', 'choose', 'next'] as const) requirePlain(sd[f], `${sw}: ${f}`);
      let next = -1;
      let nextFn: NextFn | null = null;
      if (typeof sd.next === 'function') nextFn = sd.next;
      else if (typeof sd.next === 'string') {
        next = addLabel(sd.next, 'next label');
        constNext.push([sname, sd.next]);
      }
      else throw new McError('MC126', `${sw}: next must be a label or a function returning one`);
      let choices = 1;
      let chooseFn: BuiltStep['chooseFn'] = null;
      let choiceNames: string[] | null = null;
      const ch = sd.choose;
      if (typeof ch === 'number') {
        if (!Number.isInteger(ch) || ch < 1 || ch > MAX_CHOICES) throw new McError('MC127', `${sw}: choose must be an integer in 1..${MAX_CHOICES}, got ${q(ch)}`);
        choices = ch;
      } else if (Array.isArray(ch)) {
        if (ch.length < 1 || ch.length > MAX_CHOICES || ch.some((c) => typeof c !== 'string')) throw new McError('MC127', `${sw}: choose must list 1..${MAX_CHOICES} names`);
        choices = ch.length;
        choiceNames = [...ch];
      } else if (typeof ch === 'function') {
        choices = -1;
        chooseFn = ch as BuiltStep['chooseFn'];
      } else if (ch !== undefined) throw new McError('MC127', `${sw}: choose must be a number, a list of names or a function`);
      const progress = sd.progress === true;
      if (sd.progress !== undefined && typeof sd.progress !== 'boolean') throw new McError('MC128', `${sw}: progress must be true or false`);
      let declared: BuiltStep['declared'] = null;
      if (sd.reads !== undefined || sd.writes !== undefined || sd.asserts !== undefined) {
        const names = new Set(shared.map((v) => v.name));
        for (const [field, list] of [['reads', sd.reads ?? []], ['writes', sd.writes ?? []]] as const) {
          if (!Array.isArray(list)) throw new McError('MC143', `${sw}: ${field} must be a list of shared variable names`);
          for (const x of list) if (!names.has(x) && x !== '*threads') throw new McError('MC143', `${sw}: ${field} names ${q(x)}, which is not a shared variable (or "*threads")`);
        }
        declared = { reads: [...(sd.reads ?? [])], writes: [...(sd.writes ?? [])], asserts: sd.asserts === true };
      }
      steps.push({ name: sname, index: si, at, guard: sd.when ?? null, effect: sd.then ?? null, next, nextFn, choices, chooseFn, choiceNames, progress, doc: typeof sd.doc === 'string' ? sd.doc : '', declared });
    });
    const endSet = new Set<number>();
    for (const e of td.end ?? []) {
      endSet.add(addLabel(e, 'end label'));
      declaredLabels.add(e);
    }
    // A misspelt next would otherwise add a label with no steps: a thread stuck there reads as a deadlock.
    for (const [sname, l] of constNext) {
      if (!declaredLabels.has(l))
        throw new McError('MC151', `${tw} step ${q(sname)}: next ${q(l)} is not a label of the thread (no step is at it and it is not the start, an end or in labels; labels: ${[...declaredLabels].join(', ')})`);
    }
    // A misspelt start is a label no step is at: the thread never takes a step, a deadlock, or with deadlock detection off a silent pass.
    const stepLabels = new Set(steps.map((s) => labels[s.at]!));
    if (!stepLabels.has(td.start) && !(td.end ?? []).includes(td.start))
      throw new McError('MC151', `${tw}: start ${q(td.start)} is a label no step is at and no end label, so the thread would never take a step (steps are at: ${[...stepLabels].join(', ')}; end: ${(td.end ?? []).join(', ') || 'none'})`);
    const progSet = new Set<number>();
    for (const p of td.progress ?? []) {
      if (!labelIndex.has(p)) throw new McError('MC129', `${tw}: progress label ${q(p)} is not a label of the thread`);
      progSet.add(labelIndex.get(p)!);
    }
    for (const p of modelProgress) {
      const dot = p.indexOf('.');
      if (p.slice(0, dot) !== g.name) continue;
      const l = p.slice(dot + 1);
      if (!labelIndex.has(l)) throw new McError('MC129', `${where}: progress label ${q(p)}: thread ${q(g.name)} has no label ${q(l)} (labels: ${labels.join(', ')})`);
      progSet.add(labelIndex.get(l)!);
    }
    const isEnd = new Uint8Array(labels.length);
    for (const e of endSet) isEnd[e] = 1;
    const isProgress = new Uint8Array(labels.length);
    for (const p of progSet) isProgress[p] = 1;
    const byLabel: number[][] = labels.map(() => []);
    for (const s of steps) byLabel[s.at]!.push(s.index);
    const hasProgress = progSet.size > 0 || steps.some((s) => s.progress);
    anyProgress ||= hasProgress;
    const tpl: BuiltTemplate = {
      name: g.name,
      index: ti,
      count: g.count,
      replicated: g.replicated,
      locals,
      labels,
      labelIndex,
      start,
      isEnd,
      isProgress,
      steps,
      stepsAt: byLabel.map((l) => Int32Array.from(l)),
      hasProgress,
    };
    templates.push(tpl);
    for (let r = 0; r < g.count; r++) threads.push({ index: threads.length, name: g.replicated ? `${g.name}[${r}]` : g.name, template: tpl, replica: r });
  });

  const invDef = dyn(def.invariants as never, 'invariants') as Record<string, (s: StateView) => boolean> | undefined;
  // `invariants: (s) => ...` is called with the parameters and its `true` would declare no invariant at all.
  if (invDef !== undefined && (typeof invDef !== 'object' || invDef === null || Array.isArray(invDef))) {
    // A list of functions is the likely mistake: say so, and that the name is the key.
    const given = Array.isArray(invDef) && invDef.length > 0 && invDef.every((f) => typeof f === 'function') ? `an array of ${invDef.length} function${invDef.length === 1 ? '' : 's'}, which names none of them (an invariant is named by its key)` : q(invDef);
    throw new McError(
      'MC130',
      `${where}: invariants must be an object of named functions, { name: (s) => boolean }, or a function of the parameters returning one; ${typeof def.invariants === 'function' ? `invariants(params) returned ${given}` : `got ${given}`}`,
    );
  }
  const invariants: BuiltInvariant[] = [];
  for (const [name, fn] of Object.entries(invDef ?? {})) {
    if (typeof fn !== 'function') throw new McError('MC130', `${where}: invariant ${q(name)} must be a function (s) => boolean`);
    requirePlain(fn, `${where}: invariant ${q(name)}`);
    invariants.push({ name, fn });
  }
  const deadlockIn = dyn(def.deadlock as never, 'deadlock') as unknown;
  // Exactly a boolean: `deadlock: 0` would turn deadlock detection off, and `'no'` leave it on, without a word.
  if (deadlockIn !== undefined && typeof deadlockIn !== 'boolean') throw new McError('MC158', `${where}: deadlock must be true or false (or a function of the parameters returning one), got ${q(deadlockIn)}`);
  const deadlock = deadlockIn ?? true;
  const init = (dyn(def.init as never, 'init') as ((s: StateView) => void) | undefined) ?? null;
  if (init !== null && typeof init !== 'function') throw new McError('MC131', `${where}: init must be a function (s) => void`);
  requirePlain(init, `${where}: init`);
  // Listed helpers, the model's and each thread's; one name stands for one source, since calls are matched by name.
  const helpers: Function[] = [];
  const helperSrc = new Map<string, string>();
  const addHelpers = (list: unknown, w: string) => {
    if (list === undefined) return;
    if (!Array.isArray(list) || list.some((h) => typeof h !== 'function' || !h.name))
      throw new McError('MC145', `${w}: helpers must be a list of named functions (e.g. const touch = (s) => ...)`);
    for (const h of list as Function[]) {
      requirePlain(h, `${w}: helper ${q(h.name)}`);
      checkStateOnly(h, `${w}: helper ${q(h.name)}`);
      const src = Function.prototype.toString.call(h);
      const seen = helperSrc.get(h.name);
      if (seen === undefined) {
        helperSrc.set(h.name, src);
        helpers.push(h);
      } else if (seen !== src) throw new McError('MC145', `${w}: two different helpers are named ${q(h.name)}; give them distinct names`);
    }
  };
  // Names and label literals the functions use, from their source (run-time accesses meet the sealed views).
  // Before the name check, which would report the block's own `me.<local>` write without saying which lock wants it.
  checkHolderLocals(where, locks, templates);
  checkVariantLiterals(model);
  checkModelNames(model, where, shared, templates, invariants, init);
  checkNameLengths(where, model.name, variant, params, shared, templates, threads, invariants);
  addHelpers(def.helpers, where);
  groups.forEach((g) => addHelpers(g.def.helpers, `${where} thread ${q(g.name)}`));
  return { model, name: model.name, variant, params, shared, templates, threads, invariants, deadlock, init, hasProgress: anyProgress, helpers, locks, unusedParams: unusedParams(def, params, paramsRead) };
}

/**
 * MC136 for an async or generator function where the model's function must
 * run synchronously (src/model/synchronous.ts), or for one among the parts
 * of a composed guard or effect (a block's fragment joined with the
 * model's own), which calls its parts without looking at what they return.
 */
function requirePlain(fn: unknown, what: string): void {
  if (typeof fn !== 'function') return;
  for (const leaf of leafFunctions(fn)) {
    const kind = unplainFunction(leaf);
    if (kind !== null) throw new McError('MC136', `${what}${leaf === fn ? '' : ` (a part of it${leaf.name ? `, ${q(leaf.name)}` : ''})`} is ${kind}; ${unplainWhy(kind)}`);
  }
}

/** A lock declaration names shared variables of the right types, so that reading a holder from a valuation cannot go wrong later. */
function checkLocks(where: string, locks: readonly LockDecl[], shared: readonly BuiltVar[]): void {
  const seen = new Set<string>();
  for (const l of locks) {
    const lw = `${where}: lock ${q(l.name)}`;
    if (seen.has(l.name)) throw new McError('MC177', `${lw} is declared twice`);
    seen.add(l.name);
    const varOf = (n: string) => shared.find((v) => v.name === n);
    for (const o of l.owners) {
      const v = varOf(o.var)?.domain;
      const d = v?.kind === 'array' ? v.elem : v;
      if (!d || d.kind !== 'threadId' || (d as ThreadIdDomain).group !== o.group || !(d as ThreadIdDomain).nullable)
        throw new McError('MC177', `${lw}: owner ${q(o.var)} must be a shared variable threadId(${q(o.group)}, { none: true }) or an array of them${d ? ` (it is ${d.describe()})` : ' (there is none)'}`);
    }
    if (l.sharedCount !== undefined && varOf(l.sharedCount)?.domain.kind !== 'int') throw new McError('MC177', `${lw}: sharedCount ${q(l.sharedCount)} must be a shared int() variable`);
    if (l.flag !== undefined && varOf(l.flag)?.domain.kind !== 'bool') throw new McError('MC177', `${lw}: flag ${q(l.flag)} must be a shared bool() variable`);
    for (const a of l.also ?? []) if (!varOf(a)) throw new McError('MC177', `${lw}: ${q(a)} is not a shared variable`);
  }
}

/** A lock whose holder is a thread-local flag (LockDecl.holderLocals) names a bool() local of every thread group it lists. */
function checkHolderLocals(where: string, locks: readonly LockDecl[], templates: readonly BuiltTemplate[]): void {
  for (const l of locks)
    for (const h of l.holderLocals ?? []) {
      const tpl = templates.find((x) => x.name === h.group);
      const d = tpl?.locals.find((v) => v.name === h.local)?.domain;
      if (!tpl || d?.kind !== 'bool')
        throw new McError('MC177', `${where}: lock ${q(l.name)}: holder local ${q(h.local)} must be a bool() local of thread group ${q(h.group)}${tpl ? (d ? ` (it is ${d.describe()})` : ' (there is none: add it to the group\'s locals)') : ' (there is no such group)'}`);
    }
}

export function describeBuilt(b: BuiltModel): string {
  const ps = Object.entries(b.params).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${b.name}${b.variant ? `/${b.variant}` : ''}${ps ? ` (${ps})` : ''}`;
}

export type { Scalar };

/**
 * A lock's owner variable records a replica id of the group an operation
 * names (or of the lock's only group): a step of another group's thread
 * that takes, releases or tests it so would write its own id as one of
 * that group's (another replica's number) and pass without a word (MC173).
 */
function groupUses(o: { from: string; groups?: readonly GroupUse[] }, group: string, where: string): void {
  for (const u of o.groups ?? [])
    if (u.group !== group)
      throw new McError(
        'MC173',
        `${where}: ${o.from} uses lock ${q(u.lock)} as thread group ${q(u.group)}, but the step is group ${q(group)}'s: the lock would record this thread's id as one of ${q(u.group)}'s replicas. Name the calling group (${q(group)}), listed among the lock's groups`,
      );
}

/** A part of a joined function, or the same made again from the same text (the same block operation called again). */
const sameLeaf = (a: Function, b: Function | undefined): boolean => a === b || String(a) === String(b);

/** The same function, or one joined from the same parts. */
function sameFunction(x: unknown, y: unknown): boolean {
  if (x === y) return true;
  if (typeof x !== 'function' || typeof y !== 'function') return false;
  const xs = leafFunctions(x);
  const ys = leafFunctions(y);
  return xs.length === ys.length && xs.every((p, i) => sameLeaf(p, ys[i]));
}

/** Step `n` as a block generated it, or with its label, guard, choices, effect and next (a doc or progress of the model's own). */
function sameGenerated(a: StepDef | undefined, b: StepDef, n: string): boolean {
  return a === b || (a !== undefined && (a.at ?? n) === (b.at ?? n) && (['when', 'choose', 'then', 'next'] as const).every((f) => sameFunction(a[f], b[f])));
}

/**
 * The steps block operations generated, spread into a thread's steps
 * (`stepMapOrigins`), must still be there as generated: a model step of
 * the same name written after the spread (or a later block's) replaces one,
 * and one written before it is replaced (MC179); and they are the calling
 * group's (`groupUses`).
 */
function stepMapOverrides(steps: object, tw: string, group: string): void {
  const names = Object.keys(steps);
  const byName = steps as Record<string, StepDef | undefined>;
  for (const o of stepMapOrigins(steps)) {
    groupUses(o, group, tw);
    const generated = Object.keys(o.steps);
    const list = generated.map((n) => q(n)).join(', ');
    for (const n of generated)
      if (!sameGenerated(byName[n], o.steps[n]!, n))
        throw new McError(
          'MC179',
          `${tw}: step ${q(n)} is one of the steps ${o.from} generates (${list}), and a step of that name written after the spread, or a later block's, replaces it: the generated step is lost. Give the model's step another name (and label)`,
        );
    // Spread into an object that already had one of the names, the generated steps replace the earlier one, keep its place and are no longer in a row.
    const at = generated.map((n) => names.indexOf(n));
    const moved = at.findIndex((p, i) => i > 0 && p !== at[i - 1]! + 1);
    if (moved >= 0)
      throw new McError(
        'MC179',
        `${tw}: step ${q(generated[at.indexOf(Math.min(...at))]!)} is one of the steps ${o.from} generates (${list}), and a step of that name written before the spread is replaced by the generated one: the model's step is lost. Give the model's step another name (and label)`,
      );
  }
}

/**
 * MC178 when a step spread a block's fragment and then replaced its guard or
 * effect: with its own `when`/`then` written after the spread, or with a
 * later fragment's (`{ ...ptl.lock('a'), ...refs.get() }` keeps only the
 * get). The fragment's part must still be the step's, or one of the
 * functions it is joined from (`allOf`, `inOrder`, `combine`).
 */
function fragmentOverrides(sd: StepDef, sw: string): void {
  for (const o of fragmentOrigins(sd)) {
    for (const f of ['when', 'then'] as const) {
      const orig = o[f];
      if (orig === undefined) continue;
      const mine = leafFunctions(sd[f] as Function | undefined);
      // Every function the fragment's part is made of is still among the step's (the same one, or one made from the same text).
      if (leafFunctions(orig).every((p) => mine.some((x) => sameLeaf(x, p)))) continue;
      const part = f === 'when' ? 'guard' : 'effect';
      throw new McError(
        'MC178',
        `${sw}: spreads ${o.from}, and its ${part} is replaced by ${sd[f] === undefined ? 'nothing' : `the step's own ${f} or a later fragment's`}, so ${o.from} no longer ${f === 'when' ? 'guards the step' : 'happens'}: join them in one step with combine(${o.from}, { ${f}: ... })`,
      );
    }
  }
}
