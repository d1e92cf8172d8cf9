import { McError, q } from './errors.ts';
import { partsOf } from './blocks/compose.ts';
import { expectationsOf, resolveParams, type Model, type Params, type StateView } from './define.ts';
import type { BuiltInvariant, BuiltTemplate, BuiltVar } from './build.ts';
import { assignedAfter, codeOnly, deletedBefore, incrementedBefore, memberAfter, memberUses, paramNames, withoutTemplateText } from './source.ts';

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
  if (typeof fn !== 'function') return;
  const parts = partsOf(fn);
  if (parts !== null) {
    for (const p of parts) checkNames(p, where, scope);
    return;
  }
  const params = paramNames(fn);
  if (params === null) return;
  const code = withoutTemplateText(codeOnly(Function.prototype.toString.call(fn)));
  const body = bodyOf(code);
  const [s, me] = params;
  if (s !== undefined && !rebinds(body, s)) checkState(body, s, where, scope);
  if (me !== undefined && scope.locals !== null && !rebinds(body, me)) checkLocals(body, me, where, scope);
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
export function namesInAnyConfiguration(model: Model): { shared: Set<string>; locals: Map<string, Set<string>> } {
  const shared = new Set<string>();
  const locals = new Map<string, Set<string>>();
  const def = model.def;
  const variants: (string | null)[] = model.variantNames.length ? [...model.variantNames] : [null];
  for (const v of variants) {
    const configs: Params[] = [{}];
    for (const e of expectationsOf(model, v)) if (e.params) configs.push(e.params);
    for (const o of configs) {
      try {
        const p = Object.freeze(resolveParams(model, v, o));
        const sh = typeof def.shared === 'function' ? def.shared(p, v) : def.shared;
        for (const k of Object.keys(sh ?? {})) shared.add(k);
        const groups = typeof def.threads === 'function' ? def.threads(p, v) : def.threads;
        for (const g of groups ?? []) {
          let set = locals.get(g.name);
          if (set === undefined) locals.set(g.name, (set = new Set()));
          for (const k of Object.keys(g.def?.locals ?? {})) set.add(k);
        }
      } catch {
        // A configuration the model refuses declares nothing.
      }
    }
  }
  return { shared, locals };
}

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
  if (typeof fn !== 'function') return;
  const params = paramNames(fn);
  if (params === null) return;
  const src = Function.prototype.toString.call(fn).replace(/\/\*[\s\S]*?\*\//g, ' ').replace(/\/\/[^\n]*/g, ' ');
  const [s, me] = params;
  const body = bodyOf(src);
  if ((s !== undefined && rebinds(body, s)) || (me !== undefined && rebinds(body, me))) return;
  for (const u of labelUses(body, s, me)) {
    const labels = labelsOf(u.group);
    if (labels === undefined || labels.includes(u.label)) continue;
    throw new McError('MC151', `${where}: compares ${u.what} with ${q(u.label)}, which is not a label of thread ${u.group === null ? 'the thread' : q(u.group)} (labels: ${labels.join(', ')})`);
  }
}

/**
 * Check every function of a built model: names (MC150, MC152) and label
 * literals (MC151). `where` names the model and variant.
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
  for (const tpl of templates) {
    const scope: NameScope = { shared: sharedScope, locals: { group: tpl.name, names: new Set(tpl.locals.map((l) => l.name)) }, elsewhere };
    const labelsOf = (g: string | null) => (g === null ? tpl.labels : labelsOfGroup(g));
    for (const st of tpl.steps) {
      const sw = `${where} thread ${q(tpl.name)} step ${q(st.name)}`;
      for (const [fn, what] of [[st.guard, 'guard'], [st.effect, 'effect'], [st.nextFn, 'next'], [st.chooseFn, 'choose']] as const) {
        checkNames(fn, `${sw} ${what}`, scope);
        checkLabels(fn, `${sw} ${what}`, labelsOf);
      }
    }
  }
  const modelScope: NameScope = { shared: sharedScope, locals: null, elsewhere };
  const labelsOfModel = (g: string | null) => (g === null ? undefined : labelsOfGroup(g));
  for (const inv of invariants) {
    checkNames(inv.fn, `${where} invariant ${q(inv.name)}`, modelScope);
    checkLabels(inv.fn, `${where} invariant ${q(inv.name)}`, labelsOfModel);
  }
  checkNames(init, `${where} init`, modelScope);
  checkLabels(init, `${where} init`, labelsOfModel);
}
