import { McError, q } from './errors.ts';
import { partsOf } from './blocks/compose.ts';
import { expectationsOf, resolveParams, type Model, type Params, type StateView } from './define.ts';
import type { BuiltInvariant, BuiltTemplate, BuiltVar } from './build.ts';
import { isArrayDomain, isScalarDomain, type EnumDomain, type ScalarDomain } from './domains.ts';
import { assignedAfter, codeOnly, deletedBefore, incrementedBefore, memberAfter, memberUses, paramNames, withoutComments, withoutTemplateText } from './source.ts';

/**
 * Declared names, checked from the source before any search: a guard,
 * effect, computed next, choice count, invariant or init function that
 * writes `s.NAME` or `me.NAME` for a NAME the model does not declare would
 * otherwise read `undefined` or create a stray property and pass silently.
 * What the source does not show (computed `s[k]`, the state handed to a
 * helper, another thread's locals through `s.local()`) is caught at run
 * time by the sealed views (src/layout/views.ts).
 */

/** What the state view offers besides the shared variables (src/layout/views.ts). */
export const STATE_MEMBERS: readonly string[] = ['assert', 'at', 'local', 'count'];
/** What a thread's locals view offers besides its locals. */
export const LOCAL_MEMBERS: readonly string[] = ['id', 'at'];
/** What an array variable's view offers. */
export const ARRAY_MEMBERS: readonly string[] = ['length', 'get', 'set', 'fill'];

/** The names a function may use through its state and locals parameters. */
export interface NameScope {
  /** Shared variables, true for arrays. */
  readonly shared: ReadonlyMap<string, boolean>;
  /** The thread's locals and its group name, or null where there is no thread (invariants, init). */
  readonly locals: { readonly group: string; readonly names: ReadonlySet<string> } | null;
  /**
   * Whether another configuration of the model (variant, parameters)
   * declares the name: then its use here sits in a branch this configuration
   * does not take (`if (variant === 'x') me.extra = ...`), and is left to the
   * run-time check. `group` is null for a shared variable.
   */
  readonly elsewhere: (group: string | null, name: string) => boolean;
}

/** The code after the parameter list, where a nested function could bind the same name again. */
function bodyOf(code: string): string {
  const arrow = code.indexOf('=>');
  const paren = code.indexOf('(');
  if (paren >= 0 && (arrow < 0 || paren < arrow)) return code.slice(code.indexOf(')', paren) + 1);
  return arrow >= 0 ? code.slice(arrow + 2) : code;
}

/** Whether the body binds `name` again (a nested function's parameter or a declaration): its uses then may mean something else. */
function rebinds(body: string, name: string): boolean {
  const n = name.replace(/\$/g, '\\$');
  return (
    new RegExp(`(?<![\\w$.])${n}\\s*=>`).test(body) ||
    new RegExp(`\\(\\s*(?:[\\w$]+\\s*,\\s*)*${n}\\s*(?:,\\s*[\\w$]+\\s*)*\\)\\s*=>`).test(body) ||
    new RegExp(`(?<![\\w$.])(?:let|const|var)\\s+${n}(?![\\w$])`).test(body) ||
    new RegExp(`function\\s*[\\w$]*\\s*\\([^)]*(?<![\\w$])${n}(?![\\w$])[^)]*\\)`).test(body) ||
    new RegExp(`catch\\s*\\(\\s*${n}\\s*\\)`).test(body)
  );
}

/**
 * Check one model function: `where` names it (model, thread, step and
 * which function); its first parameter is the state, its second (for
 * steps) the thread's locals. A function whose parameters are not plain
 * names, or that binds them again inside, is left to the run-time check.
 */
export function checkNames(fn: Function | null | undefined, where: string, scope: NameScope): void {
  eachBody(fn, (src) => withoutTemplateText(codeOnly(src)), (body, s, me) => {
    if (s !== undefined) checkState(body, s, where, scope);
    if (me !== undefined && scope.locals !== null) checkLocals(body, me, where, scope);
  });
}

/**
 * `visit` the body of a model function (of each part of a composed one), as
 * `text` makes it of the source, with its state and locals parameters: each
 * undefined where the body binds it again (its uses there may mean
 * something else). A function whose parameters are not plain names is not
 * visited.
 */
function eachBody(fn: Function | null | undefined, text: (src: string) => string, visit: (body: string, s: string | undefined, me: string | undefined) => void): void {
  if (typeof fn !== 'function') return;
  const parts = partsOf(fn);
  if (parts !== null) {
    for (const p of parts) eachBody(p, text, visit);
    return;
  }
  const params = paramNames(fn);
  if (params === null) return;
  const body = bodyOf(text(Function.prototype.toString.call(fn)));
  const [s, me] = params;
  visit(body, s !== undefined && !rebinds(body, s) ? s : undefined, me !== undefined && !rebinds(body, me) ? me : undefined);
}

const sharedList = (scope: NameScope): string => {
  const names = [...scope.shared.keys()];
  return names.length ? `shared variables: ${names.join(', ')}` : 'the model declares no shared variables';
};

function checkState(code: string, s: string, where: string, scope: NameScope): void {
  for (const u of memberUses(code, s).uses) {
    const written = assignedAfter(code, u.end) || incrementedBefore(code, u.start);
    if (deletedBefore(code, u.start))
      throw new McError('MC152', `${where}: deletes ${s}.${u.name}; the state's names are fixed by the model's declarations`);
    const isArray = scope.shared.get(u.name);
    if (isArray === undefined) {
      if (STATE_MEMBERS.includes(u.name)) {
        if (written) throw new McError('MC152', `${where}: assigns to ${s}.${u.name}, which is a method of the state view (call it: ${s}.${u.name}(...))`);
        continue;
      }
      if (scope.elsewhere(null, u.name)) continue;
      throw new McError('MC150', `${where}: ${written ? 'writes' : 'reads'} ${s}.${u.name}, which is not a declared shared variable (${sharedList(scope)}; methods: ${STATE_MEMBERS.join(', ')})`);
    }
    if (isArray) {
      const m = memberAfter(code, u.end);
      if (m !== null && !ARRAY_MEMBERS.includes(m))
        throw new McError('MC150', `${where}: uses ${s}.${u.name}.${m}, but the array ${q(u.name)} offers only ${ARRAY_MEMBERS.join(', ')}`);
    }
  }
}

function checkLocals(code: string, me: string, where: string, scope: NameScope): void {
  const locals = scope.locals!;
  for (const u of memberUses(code, me).uses) {
    const written = assignedAfter(code, u.end) || incrementedBefore(code, u.start);
    if (LOCAL_MEMBERS.includes(u.name)) {
      if (deletedBefore(code, u.start)) throw new McError('MC152', `${where}: deletes ${me}.${u.name}, which is read-only`);
      if (written) throw new McError('MC152', `${where}: assigns to ${me}.${u.name}, which is read-only (${u.name === 'id' ? 'the replica index' : 'the label is set by next'})`);
      continue;
    }
    if (!locals.names.has(u.name)) {
      if (scope.elsewhere(locals.group, u.name)) continue;
      const names = [...locals.names];
      throw new McError(
        'MC150',
        `${where}: ${written ? 'writes' : 'reads'} ${me}.${u.name}, which is not a local of thread ${q(locals.group)} (${names.length ? `locals: ${names.join(', ')}` : 'it declares no locals'}; also ${LOCAL_MEMBERS.map((x) => `${me}.${x}`).join(', ')})`,
      );
    }
    if (deletedBefore(code, u.start)) throw new McError('MC152', `${where}: deletes ${me}.${u.name}; a thread's locals are fixed by its declaration`);
  }
}

/**
 * The shared variables and the locals of each thread group declared by any
 * configuration the model names: each variant with its defaults and with
 * the parameters of each of its expectations. Builders that throw for a
 * configuration are skipped (this only widens what a dead branch may name).
 */
export function namesInAnyConfiguration(model: Model): { shared: Set<string>; locals: Map<string, Set<string>>; values: Set<string> } {
  const shared = new Set<string>();
  const locals = new Map<string, Set<string>>();
  // `valueKey(group, name, value)` for each value a oneOf variable (or array of them) takes in some configuration.
  const values = new Set<string>();
  const addValues = (group: string | null, name: string, d: unknown) => {
    const e = isArrayDomain(d) ? d.elem : d;
    if (isScalarDomain(e) && e.kind === 'enum') for (const v of (e as EnumDomain).names) values.add(valueKey(group, name, v));
  };
  const def = model.def;
  const variants: (string | null)[] = model.variantNames.length ? [...model.variantNames] : [null];
  for (const v of variants) {
    const configs: Params[] = [{}];
    for (const e of expectationsOf(model, v)) if (e.params) configs.push(e.params);
    for (const o of configs) {
      try {
        const p = Object.freeze(resolveParams(model, v, o));
        const sh = typeof def.shared === 'function' ? def.shared(p, v) : def.shared;
        for (const [k, d] of Object.entries(sh ?? {})) {
          shared.add(k);
          addValues(null, k, d);
        }
        const groups = typeof def.threads === 'function' ? def.threads(p, v) : def.threads;
        for (const g of groups ?? []) {
          let set = locals.get(g.name);
          if (set === undefined) locals.set(g.name, (set = new Set()));
          for (const [k, d] of Object.entries(g.def?.locals ?? {})) {
            set.add(k);
            addValues(g.name, k, d);
          }
        }
      } catch {
        // A configuration the model refuses declares nothing.
      }
    }
  }
  return { shared, locals, values };
}

const valueKey = (group: string | null, name: string, value: string): string => `${group ?? ''}\0${name}\0${value}`;

/** Where a label literal is compared with a thread's label or counted: the thread group (null: the function's own thread) and the label. */
function labelUses(src: string, s: string | undefined, me: string | undefined): { group: string | null; label: string; what: string }[] {
  const out: { group: string | null; label: string; what: string }[] = [];
  const lit = `(['"])([^'"\\\n]*)`;
  const cmp = `\\s*[!=]==?\\s*`;
  if (me !== undefined) {
    const m = me.replace(/\$/g, '\\$');
    for (const x of src.matchAll(new RegExp(`(?<![\\w$.])${m}\\s*\\.\\s*at${cmp}${lit}\\1`, 'g'))) out.push({ group: null, label: x[2]!, what: `${me}.at` });
    for (const x of src.matchAll(new RegExp(`${lit}\\1${cmp}(?<![\\w$.])${m}\\s*\\.\\s*at(?![\\w$])`, 'g'))) out.push({ group: null, label: x[2]!, what: `${me}.at` });
  }
  if (s !== undefined) {
    const n = s.replace(/\$/g, '\\$');
    const at = `(?<![\\w$.])${n}\\s*\\.\\s*at\\s*\\(\\s*(['"])([\\w-]+)\\1[^()]*\\)`;
    for (const x of src.matchAll(new RegExp(`${at}${cmp}(['"])([^'"\\\\\\n]*)\\3`, 'g'))) out.push({ group: x[2]!, label: x[4]!, what: `${s}.at(${q(x[2])})` });
    for (const x of src.matchAll(new RegExp(`(['"])([^'"\\\\\\n]*)\\1${cmp}(?<![\\w$.])${n}\\s*\\.\\s*at\\s*\\(\\s*(['"])([\\w-]+)\\3`, 'g'))) out.push({ group: x[4]!, label: x[2]!, what: `${s}.at(${q(x[4])})` });
    for (const x of src.matchAll(new RegExp(`(?<![\\w$.])${n}\\s*\\.\\s*count\\s*\\(\\s*(['"])([\\w-]+)\\1\\s*,\\s*(['"])([^'"\\\\\\n]*)\\3\\s*\\)`, 'g'))) out.push({ group: x[2]!, label: x[4]!, what: `${s}.count(${q(x[2])}, ...)` });
  }
  return out;
}

/**
 * Label literals compared with `me.at` or `s.at('group', i)`, or counted by
 * `s.count('group', 'label')`, must be labels of that thread group (MC151):
 * a misspelt one would compare unequal forever. `labelsOf(null)` is the
 * function's own thread; an unknown group is left to the view (MC132).
 */
export function checkLabels(fn: Function | null | undefined, where: string, labelsOf: (group: string | null) => readonly string[] | undefined): void {
  eachBody(fn, withoutComments, (body, s, me) => {
    for (const u of labelUses(body, s, me)) {
      const labels = labelsOf(u.group);
      if (labels === undefined || labels.includes(u.label)) continue;
      throw new McError('MC151', `${where}: compares ${u.what} with ${q(u.label)}, which is not a label of thread ${u.group === null ? 'the thread' : q(u.group)} (labels: ${labels.join(', ')})`);
    }
  });
}

/** The variables a function's comparisons may name, by the parameter they are read through. */
export interface ValueScope {
  /** Shared variables: the scalar domain (an array's element) and whether it is an array. */
  readonly shared: ReadonlyMap<string, { readonly domain: ScalarDomain; readonly array: boolean }>;
  /** The thread's locals, or null where there is no thread (invariants, init). */
  readonly locals: { readonly group: string; readonly domains: ReadonlyMap<string, ScalarDomain> } | null;
  /** Whether some configuration of the model lets the variable take the value (a branch another variant takes). */
  readonly elsewhere: (group: string | null, name: string, value: string) => boolean;
}

/** One string literal compared with a variable: `s.NAME`, `s.NAME.get(i)` or `me.NAME`, with `===`, `!==`, `==`, `!=` or as a `case` of `switch (...)`. */
interface ValueUse {
  readonly param: string;
  readonly name: string;
  readonly element: boolean;
  readonly value: string;
  /** `==` or `!=`, which convert a numeric string: `s.n == '1'` holds when n is 1. */
  readonly loose: boolean;
}

/** Blank the text of string literals, keeping their quotes and every position (for brace depth). */
function blankStrings(src: string): string {
  return src.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (m) => m[0] + ' '.repeat(m.length - 2) + m[0]);
}

function valueUses(src: string, param: string): ValueUse[] {
  const out: ValueUse[] = [];
  const p = param.replace(/\$/g, '\\$');
  // Groups: the variable's name, then `.get(...)` when it is an array's element.
  const access = `(?<![\\w$.])${p}\\s*\\.\\s*([A-Za-z_$][\\w$]*)(\\s*\\.\\s*get\\s*\\([^()]*\\))?`;
  // Groups: the quote, then the literal's text; `k` is the quote's group number.
  const lit = (k: number) => `(['"])([^'"\\\\\\n]*)\\${k}`;
  // A group: the operator. The literal must be the whole other operand (not `'a' + x`).
  const cmp = '\\s*([!=]==?)\\s*';
  for (const x of src.matchAll(new RegExp(`${access}${cmp}${lit(4)}(?!\\s*[+.[(])`, 'g'))) out.push({ param, name: x[1]!, element: x[2] !== undefined, value: x[5]!, loose: x[3]!.length === 2 });
  // The literal first: the access must end there (not `s.x.y`, `s.f(...)` or `s.a[i]`).
  for (const x of src.matchAll(new RegExp(`(?<![\\w$)\\]+.]\\s*)${lit(1)}${cmp}${access}(?![\\w$]|\\s*[.(\\[])`, 'g'))) out.push({ param, name: x[4]!, element: x[5] !== undefined, value: x[2]!, loose: x[3]!.length === 2 });
  const blank = blankStrings(src);
  const caseLabel = new RegExp(`^case\\s*${lit(1)}\\s*:`);
  for (const x of src.matchAll(new RegExp(`(?<![\\w$.])switch\\s*\\(\\s*${access}\\s*\\)\\s*\\{`, 'g'))) {
    // The case labels at the switch's own depth (not those of a switch nested in it).
    let depth = 0;
    for (let i = x.index! + x[0].length - 1; i < blank.length; i++) {
      const c = blank[i];
      if (c === '{') depth++;
      else if (c === '}' && --depth === 0) break;
      else if (depth === 1 && c === 'c' && /^case(?![\w$])/.test(blank.slice(i, i + 5)) && !/[\w$.]/.test(blank[i - 1] ?? ' ')) {
        const m = caseLabel.exec(src.slice(i));
        if (m) out.push({ param, name: x[1]!, element: x[2] !== undefined, value: m[2]!, loose: false });
      }
    }
  }
  return out;
}

/**
 * String literals compared with a variable (`s.state === 'lockd'`, `case
 * 'Two':` of `switch (me.phase)`) must be values it can take (MC157): a
 * misspelt value, or a string compared with a bool, int or thread id,
 * would compare unequal forever, and an invariant written so would hold
 * everywhere. A value some other configuration of the model declares is
 * accepted (a branch that configuration takes).
 */
export function checkValues(fn: Function | null | undefined, where: string, scope: ValueScope): void {
  eachBody(fn, (src) => withoutTemplateText(withoutComments(src)), (body, s, me) => {
    const uses = s === undefined ? [] : valueUses(body, s);
    if (me !== undefined && scope.locals !== null) uses.push(...valueUses(body, me));
    for (const u of uses) checkValue(u, u.param !== s, where, scope);
  });
}

/** MC157 unless the literal of `u` is a value its variable (a local of the function's thread when `local`) can take. */
function checkValue(u: ValueUse, local: boolean, where: string, scope: ValueScope): void {
  const sharedVar = local ? undefined : scope.shared.get(u.name);
  const domain = local ? scope.locals!.domains.get(u.name) : sharedVar?.domain;
  // Undeclared names are MC150's; an array compared whole, or `.get` of a scalar, is not a value comparison.
  if (domain === undefined || (sharedVar !== undefined && sharedVar.array !== u.element) || (local && u.element)) return;
  if (domain.kind === 'enum' ? (domain as EnumDomain).names.includes(u.value) : u.loose && u.value.trim() !== '' && Number.isFinite(Number(u.value))) return;
  if (scope.elsewhere(local ? scope.locals!.group : null, u.name, u.value)) return;
  const what = `${u.param}.${u.name}${u.element ? '.get(...)' : ''}`;
  throw new McError(
    'MC157',
    domain.kind === 'enum'
      ? `${where}: compares ${what} with ${q(u.value)}, which is not one of its values (${domain.describe()})`
      : `${where}: compares ${what} with the string ${q(u.value)}, but it is ${domain.describe()}, never a string`,
  );
}

/**
 * Check every function of a built model: names (MC150, MC152), label
 * literals (MC151) and the values compared with variables (MC157).
 * `where` names the model and variant.
 */
export function checkModelNames(
  model: Model,
  where: string,
  shared: readonly BuiltVar[],
  templates: readonly BuiltTemplate[],
  invariants: readonly BuiltInvariant[],
  init: ((s: StateView) => void) | null,
): void {
  const sharedScope = new Map(shared.map((v) => [v.name, v.domain.kind === 'array'] as const));
  // Computed only when a function names something this configuration does not declare.
  let anyConfig: ReturnType<typeof namesInAnyConfiguration> | null = null;
  const elsewhere = (group: string | null, name: string): boolean => {
    anyConfig ??= namesInAnyConfiguration(model);
    return group === null ? anyConfig.shared.has(name) : anyConfig.locals.get(group)?.has(name) === true;
  };
  const labelsOfGroup = (g: string) => templates.find((x) => x.name === g)?.labels;
  const sharedDomains = new Map(shared.map((v) => [v.name, v.domain.kind === 'array' ? { domain: v.domain.elem, array: true } : { domain: v.domain, array: false }] as const));
  const valueElsewhere = (group: string | null, name: string, value: string): boolean => {
    anyConfig ??= namesInAnyConfiguration(model);
    return anyConfig.values.has(valueKey(group, name, value));
  };
  for (const tpl of templates) {
    const scope: NameScope = { shared: sharedScope, locals: { group: tpl.name, names: new Set(tpl.locals.map((l) => l.name)) }, elsewhere };
    const values: ValueScope = { shared: sharedDomains, locals: { group: tpl.name, domains: new Map(tpl.locals.map((l) => [l.name, l.domain as ScalarDomain])) }, elsewhere: valueElsewhere };
    const labelsOf = (g: string | null) => (g === null ? tpl.labels : labelsOfGroup(g));
    for (const st of tpl.steps) {
      const sw = `${where} thread ${q(tpl.name)} step ${q(st.name)}`;
      for (const [fn, what] of [[st.guard, 'guard'], [st.effect, 'effect'], [st.nextFn, 'next'], [st.chooseFn, 'choose']] as const) {
        checkNames(fn, `${sw} ${what}`, scope);
        checkLabels(fn, `${sw} ${what}`, labelsOf);
        checkValues(fn, `${sw} ${what}`, values);
      }
    }
  }
  const modelScope: NameScope = { shared: sharedScope, locals: null, elsewhere };
  const labelsOfModel = (g: string | null) => (g === null ? undefined : labelsOfGroup(g));
  const modelValues: ValueScope = { shared: sharedDomains, locals: null, elsewhere: valueElsewhere };
  for (const inv of invariants) {
    checkNames(inv.fn, `${where} invariant ${q(inv.name)}`, modelScope);
    checkLabels(inv.fn, `${where} invariant ${q(inv.name)}`, labelsOfModel);
    checkValues(inv.fn, `${where} invariant ${q(inv.name)}`, modelValues);
  }
  checkNames(init, `${where} init`, modelScope);
  checkLabels(init, `${where} init`, labelsOfModel);
  checkValues(init, `${where} init`, modelValues);
}
