import { McError, q } from './errors.ts';
import { partsOf } from './blocks/compose.ts';
import { expectationsOf, resolveParams, type Model, type Params, type StateView } from './define.ts';
import type { BuiltInvariant, BuiltTemplate, BuiltVar } from './build.ts';
import { isArrayDomain, isScalarDomain, type EnumDomain, type ScalarDomain } from './domains.ts';
import { codeOnly, codeWithoutRegex, deletedBefore, enclosingOpen, endAtDepthZero, memberAfter, memberUses, paramNames, type MemberUse, templatesAsStrings, withoutComments, withoutTemplateText, writtenAt } from './source.ts';

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

/**
 * What the checks read of a model function's source comes from its text
 * alone, and the same texts come back: a block's fragments in many steps,
 * every configuration of a model built in one process (`verdicts --all`, a
 * test file's cases, a replay after the search). So the text analyses below
 * are kept by text, and a check that depends on nothing but the text (MC160
 * reads and closures, MC136, MC164, MC165) is kept as passed by text; a failing one runs again
 * to say where. Bounded: a table is emptied when it reaches `TEXT_MEMO`
 * entries.
 */
const TEXT_MEMO = 8192;
function textMemo<V>(): { get(k: string): V | undefined; set(k: string, v: V): V } {
  const m = new Map<string, V>();
  return {
    get: (k) => m.get(k),
    set: (k, v) => {
      if (m.size >= TEXT_MEMO) m.clear();
      m.set(k, v);
      return v;
    },
  };
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
  eachBody(fn, 'code', (body, s, me) => {
    if (s !== undefined) checkWhole(body, s, where, 'state');
    if (me !== undefined) checkWhole(body, me, where, "thread's locals");
    if (s !== undefined) checkState(body, s, where, scope);
    if (me !== undefined && scope.locals !== null) checkLocals(body, me, where, scope);
  });
}

/**
 * A view copied or enumerated whole (`{ ...s }`, `Object.values(s)`,
 * `JSON.stringify(me)`, `for (const k in s)`) holds the view's internals,
 * not the variables, which are read through its accessors: `{ ...s }.inside`
 * is undefined, and an invariant over the copy would hold everywhere (MC164).
 */
const WHOLE_PASSED = textMemo<true>();
function checkWhole(code: string, p: string, where: string, what: string): void {
  const key = `${p}\0${code}`;
  if (WHOLE_PASSED.get(key)) return;
  const n = p.replace(/\$/g, '\\$');
  const end = `\\s*[,)\\]}]`;
  const forms: [RegExp, string][] = [
    [new RegExp(`\\.\\.\\.\\s*${n}${end}`), `...${p}`],
    [new RegExp(`(?<![\\w$.])Object\\s*\\.\\s*(keys|values|entries|getOwnPropertyNames)\\s*\\(\\s*${n}${end}`), 'Object.$1'],
    // As a source of Object.assign (as its target, the view's setters take the writes).
    [new RegExp(`(?<![\\w$.])Object\\s*\\.\\s*(assign)\\s*\\([^()]*?,\\s*${n}${end}`), 'Object.$1'],
    [new RegExp(`(?<![\\w$.])(JSON\\s*\\.\\s*stringify|structuredClone)\\s*\\(\\s*${n}${end}`), '$1'],
    [new RegExp(`(?<![\\w$.])for\\s*\\(\\s*(?:const|let|var)?\\s*[\\w$]+\\s+(in|of)\\s+${n}\\s*\\)`), 'for ... $1'],
  ];
  for (const [re, shown] of forms) {
    const m = re.exec(code);
    if (m === null) continue;
    const form = shown.replace('$1', m[1] ?? '');
    throw new McError('MC164', `${where}: ${form.startsWith('...') ? `spreads the ${what} view (${form})` : `passes the ${what} view to ${form}`}; a view is read a variable at a time (${p}.NAME), and a copy of it holds none of them`);
  }
  WHOLE_PASSED.set(key, true);
}

/** How a check reads a function's text: code without comments or string text; with string and template literals as strings; code without regular expressions. */
type TextForm = 'code' | 'literals' | 'noRegex';
const FORMS: Record<TextForm, (src: string) => string> = {
  code: (src) => withoutTemplateText(codeOnly(src)),
  literals: (src) => templatesAsStrings(withoutComments(src)),
  noRegex: (src) => withoutTemplateText(codeWithoutRegex(src)),
};
/** A leaf function read in a form: the whole text, the body, and its state, locals and choice parameters (each undefined where the body binds it again). */
interface Leaf {
  readonly full: string;
  readonly body: string;
  readonly s: string | undefined;
  readonly me: string | undefined;
  readonly choice: string | undefined;
}
const LEAVES: Record<TextForm, ReturnType<typeof textMemo<Leaf | null>>> = { code: textMemo(), literals: textMemo(), noRegex: textMemo() };

function leafOf(fn: Function, src: string, form: TextForm): Leaf | null {
  const known = LEAVES[form].get(src);
  if (known !== undefined) return known;
  const params = paramNames(fn);
  if (params === null) return LEAVES[form].set(src, null);
  const full = FORMS[form](src);
  const body = bodyOf(full);
  const own = (x: string | undefined) => (x !== undefined && !rebinds(body, x) ? x : undefined);
  return LEAVES[form].set(src, { full, body, s: own(params[0]), me: own(params[1]), choice: own(params[2]) });
}

/**
 * `visit` the body of a model function (of each part of a composed one), as
 * `form` reads the source, with its state and locals parameters: each
 * undefined where the body binds it again (its uses there may mean
 * something else). A function whose parameters are not plain names is not
 * visited. With `passed`, a check of the text alone: a part whose text
 * passed it before is not visited again, and one that passes is added.
 */
function eachBody(
  fn: Function | null | undefined,
  form: TextForm,
  visit: (body: string, s: string | undefined, me: string | undefined, choice: string | undefined, full: string) => void,
  passed?: ReturnType<typeof textMemo<true>>,
): void {
  if (typeof fn !== 'function') return;
  const parts = partsOf(fn);
  if (parts !== null) {
    for (const p of parts) eachBody(p, form, visit, passed);
    return;
  }
  const src = Function.prototype.toString.call(fn);
  if (passed?.get(src)) return;
  const leaf = leafOf(fn, src, form);
  if (leaf === null) return;
  visit(leaf.body, leaf.s, leaf.me, leaf.choice, leaf.full);
  passed?.set(src, true);
}

const sharedList = (scope: NameScope): string => {
  const names = [...scope.shared.keys()];
  return names.length ? `shared variables: ${names.join(', ')}` : 'the model declares no shared variables';
};

const MEMBERS = textMemo<readonly MemberUse[]>();
/** `param.NAME` uses in code (memberUses), kept by text. */
function membersOf(code: string, param: string): readonly MemberUse[] {
  const key = `${param}\0${code}`;
  return MEMBERS.get(key) ?? MEMBERS.set(key, memberUses(code, param).uses);
}

function checkState(code: string, s: string, where: string, scope: NameScope): void {
  for (const u of membersOf(code, s)) {
    const written = writtenAt(code, u.start, u.end);
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
    const m = memberAfter(code, u.end);
    if (isArray) {
      if (m !== null && !ARRAY_MEMBERS.includes(m))
        throw new McError('MC150', `${where}: uses ${s}.${u.name}.${m}, but the array ${q(u.name)} offers only ${ARRAY_MEMBERS.join(', ')}`);
      if (m === null && viewAsValue(code, u.start, u.end))
        throw new McError('MC181', `${where}: uses the array ${s}.${u.name} as a value (a condition or a comparison), but it is the array's view, an object: always true as a condition and equal to no value; read an element, ${s}.${u.name}.get(i)`);
    } else if (m !== null && !(m in Number.prototype || m in String.prototype || m in Boolean.prototype)) {
      // A scalar is a number, a string (oneOf) or a boolean: any other member reads undefined (`s.page.locked` for a scalar page).
      throw new McError('MC150', `${where}: reads ${s}.${u.name}.${m}, but ${q(u.name)} is a scalar variable (a number, a boolean or a name), which has no member ${q(m)}`);
    }
  }
}

/**
 * Whether the access from start to end is used as a value in a condition
 * or a comparison: `!` before it, or a logical or comparison operator (or a
 * ternary's `?`) on either side, or the whole condition of an `if` or a
 * `while`. An arrow's `=>` before it is no operator;
 * a ternary's branches (`(c ? s.a : s.b).get(i)`) and arguments are left
 * alone.
 */
function viewAsValue(code: string, start: number, end: number): boolean {
  if (/^\s*\[/.test(code.slice(end))) return false;
  const after = /^\s*(?:&&|\|\||\?\?|\?(?!\.)|[=!]==?|[<>]=?)/.test(code.slice(end));
  const before = /(?:!|&&|\|\||\?\?|[=!]==?|<=?|(?<!=)>=?|(?<![\w$.])(?:if|while)\s*\()\s*$/.test(code.slice(Math.max(0, start - 12), start));
  return after || before;
}

function checkLocals(code: string, me: string, where: string, scope: NameScope): void {
  const locals = scope.locals!;
  for (const u of membersOf(code, me)) {
    const written = writtenAt(code, u.start, u.end);
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
    const m = memberAfter(code, u.end);
    if (m !== null && !(m in Number.prototype || m in String.prototype || m in Boolean.prototype))
      throw new McError('MC150', `${where}: reads ${me}.${u.name}.${m}, but the local ${q(u.name)} is a scalar (a number, a boolean or a name), which has no member ${q(m)}`);
  }
}

/**
 * The shared variables and the locals of each thread group declared by any
 * configuration the model names: each variant with its defaults and with
 * the parameters of each of its expectations. Builders that throw for a
 * configuration are skipped (this only widens what a dead branch may name).
 */
export function namesInAnyConfiguration(model: Model): { shared: Set<string>; locals: Map<string, Set<string>>; values: Set<string>; choices: Map<string, number> } {
  const shared = new Set<string>();
  // `group\0step` to the most choices the step has in some configuration (Infinity for a computed choose).
  const choices = new Map<string, number>();
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
        // The blocks' variables too: a lock's owners are named after its groups, which may depend on the parameters.
        const bl = typeof def.blocks === 'function' ? def.blocks(p, v) : def.blocks;
        for (const b of Array.isArray(bl) ? bl : []) {
          for (const [k, d] of Object.entries((b as { shared?: Record<string, unknown> } | null)?.shared ?? {})) {
            shared.add(k);
            addValues(null, k, d);
          }
        }
        const groups = typeof def.threads === 'function' ? def.threads(p, v) : def.threads;
        for (const g of groups ?? []) {
          let set = locals.get(g.name);
          if (set === undefined) locals.set(g.name, (set = new Set()));
          for (const [k, d] of Object.entries(g.def?.locals ?? {})) {
            set.add(k);
            addValues(g.name, k, d);
          }
          for (const [k, st] of Object.entries((g.def?.steps ?? {}) as Record<string, { choose?: unknown }>)) {
            const c = st?.choose;
            const n = typeof c === 'number' ? c : Array.isArray(c) ? c.length : typeof c === 'function' ? Infinity : 1;
            const key = `${g.name}\0${k}`;
            choices.set(key, Math.max(choices.get(key) ?? 0, n));
          }
        }
      } catch {
        // A configuration the model refuses declares nothing.
      }
    }
  }
  return { shared, locals, values, choices };
}

const valueKey = (group: string | null, name: string, value: string): string => `${group ?? ''}\0${name}\0${value}`;

/**
 * Where a label literal is compared with `s.at('group', i)` or counted by
 * `s.count`: the thread group and the label. (`me.at` and
 * `s.local('group', i).at` are read as the variables are, `valueUses`.)
 */
type LabelUse = { readonly group: string; readonly label: string; readonly what: string };
const LABEL_USES = textMemo<readonly LabelUse[]>();
function labelUses(src: string, s: string | undefined): readonly LabelUse[] {
  if (s === undefined) return [];
  const key = `${s}\0${src}`;
  return LABEL_USES.get(key) ?? LABEL_USES.set(key, labelUsesOf(src, s));
}

function labelUsesOf(src: string, s: string): LabelUse[] {
  const out: LabelUse[] = [];
  const cmp = `\\s*[!=]==?\\s*`;
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
 * Label literals compared with `s.at('group', i)`, or counted by
 * `s.count('group', 'label')`, must be labels of that thread group (MC151):
 * a misspelt one would compare unequal forever (`me.at` and
 * `s.local('group', i).at` are checked with the variables, `checkValues`).
 * An unknown group is left to the view (MC132).
 */
export function checkLabels(fn: Function | null | undefined, where: string, labelsOf: (group: string | null) => readonly string[] | undefined): void {
  eachBody(fn, 'literals', (body, s) => {
    for (const u of labelUses(body, s)) {
      const labels = labelsOf(u.group);
      if (labels === undefined || labels.includes(u.label)) continue;
      throw new McError('MC151', `${where}: compares ${u.what} with ${q(u.label)}, which is not a label of thread ${q(u.group)} (labels: ${labels.join(', ')})`);
    }
  });
}

/** A thread group's locals and labels, for `s.local('group', i).NAME` and `.at`. */
export interface GroupScope {
  readonly domains: ReadonlyMap<string, ScalarDomain>;
  readonly labels: readonly string[];
}

/** The variables a function's comparisons may name, by the parameter they are read through. */
export interface ValueScope {
  /** Shared variables: the scalar domain (an array's element) and whether it is an array. */
  readonly shared: ReadonlyMap<string, { readonly domain: ScalarDomain; readonly array: boolean }>;
  /** The thread's locals and labels, or null where there is no thread (invariants, init). */
  readonly locals: ({ readonly group: string } & GroupScope) | null;
  /** Every thread group's, for `s.local('group', i)`. */
  readonly groups: ReadonlyMap<string, GroupScope>;
  /** Whether some configuration of the model lets the variable take a value that `holds` (a branch another variant takes). */
  readonly elsewhere: (group: string | null, name: string, holds: (value: string) => boolean) => boolean;
  /** The step's choices, for the function's third parameter (a step's effect and next): how many, and their names. */
  readonly choices?: { readonly count: number; readonly names: readonly string[] | null; readonly elsewhere: () => number };
}

/** A literal a variable is compared with. */
type Literal = { readonly kind: 'string'; readonly text: string } | { readonly kind: 'number'; readonly value: number; readonly text: string } | { readonly kind: 'bool' | 'nullish'; readonly text: string };

/** What a comparison reads: a shared variable (or an array's element), a local of the function's own thread (`group` null) or of a named group, or the step's choice. */
type Target =
  | { readonly kind: 'shared'; readonly name: string; readonly element: boolean }
  | { readonly kind: 'local'; readonly group: string | null; readonly name: string }
  | { readonly kind: 'choice' }
  | { readonly kind: 'variant' };

/**
 * A test of a variable's string value by a literal (`s.phase.startsWith('crit')`,
 * `s.phase.indexOf('crit') >= 0`, `/^crit/.test(s.phase)`): some value must
 * pass it, or its result is the same in every state.
 */
interface StringTest {
  /** The test as written, `X` standing for the access: `X.startsWith("crit")`, `/^crit/.test(X)`. */
  readonly call: string;
  /** What a value that passes does, for messages: `starts with "crit"`, `matches /^crit/`. */
  readonly verb: string;
  readonly passes: (value: string) => boolean;
}

/** One literal compared with a variable: `===`, `!==`, `==`, `!=`, a `case` of `switch (...)`, or an element of `[...].includes(...)`; or the argument of a string test. */
interface ValueUse {
  /** The access as written, for messages: `s.inside`, `me.at`, `s.local("cpu", ...).phase`. */
  readonly what: string;
  readonly target: Target;
  readonly lit: Literal;
  /** `==` or `!=`, which convert: `s.n == '1'` holds when n is 1, `s.locked == 1` when it is true. */
  readonly loose: boolean;
  /** Set for `access.startsWith('lit')` and the like (lit is then the string or the pattern). */
  readonly test?: StringTest;
}

/** What a string method asks of a value, for messages (`indexOf` and `lastIndexOf` are -1 for every value unless some value contains the literal). */
const TEST_VERB: Readonly<Record<string, string>> = { startsWith: 'starts with', endsWith: 'ends with', includes: 'contains', indexOf: 'contains', lastIndexOf: 'contains' };

/** A regular-expression literal: its pattern and flags (groups 1 and 2). */
const REGEX_LITERAL = `(?<![\\w$)\\]]\\s*)\\/((?:\\\\.|\\[(?:\\\\.|[^\\]\\\\\\n])*\\]|[^/\\\\\\n\\[*])(?:\\\\.|\\[(?:\\\\.|[^\\]\\\\\\n])*\\]|[^/\\\\\\n\\[])*)\\/([dgimsuvy]*)`;

/** The test a string method's literal arguments make (`position` a literal number or none), or a regular expression's. */
function methodTest(method: string, text: string, position: string | undefined): StringTest {
  const pos = position === undefined ? undefined : Number(position);
  const at = pos === undefined ? '' : `, ${position}`;
  const call = `X.${method}(${q(text)}${at})`;
  const contains = method === 'indexOf' || method === 'lastIndexOf';
  const where = pos === undefined || contains ? '' : method === 'endsWith' ? ` in its first ${pos} characters` : ` from position ${pos}`;
  const passes = contains ? (v: string) => v.includes(text) : (v: string) => (v[method as 'startsWith' | 'endsWith' | 'includes'] as (x: string, p?: number) => boolean)(text, pos);
  return { call, verb: `${TEST_VERB[method]} ${q(text)}${where}${contains ? ` (so ${method} is always -1)` : ''}`, passes };
}

/** The test a regular-expression literal makes, or none when it does not compile here. */
function regexTest(source: string, flags: string, call: string): StringTest | null {
  let re: RegExp;
  try {
    re = new RegExp(source, flags.replace(/[gy]/g, ''));
  } catch {
    return null;
  }
  return { call, verb: `matches /${source}/${flags}`, passes: (v) => re.test(v) };
}

/** Blank the text of string literals, keeping their quotes and every position (for brace depth). */
function blankStrings(src: string): string {
  return src.replace(/'(?:[^'\\\n]|\\.)*'|"(?:[^"\\\n]|\\.)*"/g, (m) => m[0] + ' '.repeat(m.length - 2) + m[0]);
}

/** A literal operand: a string (groups: quote, text), a number, or true, false, null, undefined (group: the word). */
const LITERAL = `(?:(['"])([^'"\\\\\\n]*)\\1|(-?\\d+(?:\\.\\d+)?|true|false|null|undefined|void\\s*0)(?![\\w$.]))`;

function literalOf(quoted: string | undefined, text: string | undefined, word: string | undefined): Literal {
  if (quoted !== undefined) return { kind: 'string', text: text! };
  const w = word!;
  if (w === 'true' || w === 'false') return { kind: 'bool', text: w };
  // `undefined` reaches the source as `void 0` where the loader compiled it.
  if (w === 'null' || w === 'undefined' || w.startsWith('void')) return { kind: 'nullish', text: w === 'null' ? 'null' : 'undefined' };
  return { kind: 'number', value: Number(w), text: w };
}

/** Renumber a pattern's backreferences `\1`.. by `by` (it is placed after `by` groups of another pattern). */
const shifted = (pattern: string, by: number): string => pattern.replace(/\\(\d)/g, (_m, d: string) => `\\${Number(d) + by}`);

/**
 * The accesses through `param` a comparison can read: `p.NAME` (and
 * `p.NAME.get(...)`), and, for the state, `p.local('group', ...).NAME`.
 * Each has a pattern and how many groups it has, and makes the target.
 */
function accessesOf(param: string, kind: AccessKind): { re: string; groups: number; target: (g: readonly (string | undefined)[]) => { target: Target; what: string } }[] {
  const p = param.replace(/\$/g, '\\$');
  // Not `typeof s.x === 'undefined'`, whose operand is the type's name.
  const start = `(?<![\\w$.])(?<!typeof\\s+)${p}`;
  if (kind === 'choice' || kind === 'variant') return [{ re: start, groups: 0, target: () => ({ target: { kind }, what: param }) }];
  if (kind === 'locals') return [{ re: `${start}\\s*\\.\\s*([A-Za-z_$][\\w$]*)`, groups: 1, target: (g) => ({ target: { kind: 'local', group: null, name: g[0]! }, what: `${param}.${g[0]}` }) }];
  return [
    {
      re: `${start}\\s*\\.\\s*([A-Za-z_$][\\w$]*)(\\s*\\.\\s*get\\s*\\([^()]*\\))?`,
      groups: 2,
      target: (g) => ({ target: { kind: 'shared', name: g[0]!, element: g[1] !== undefined }, what: `${param}.${g[0]}${g[1] !== undefined ? '.get(...)' : ''}` }),
    },
    {
      re: `${start}\\s*\\.\\s*local\\s*\\(\\s*(['"])([\\w$-]+)\\1[^()]*\\)\\s*\\.\\s*([A-Za-z_$][\\w$]*)`,
      groups: 3,
      target: (g) => ({ target: { kind: 'local', group: g[1]!, name: g[2]! }, what: `${param}.local(${q(g[1])}, ...).${g[2]}` }),
    },
    {
      // `s.at('group', i)`, a replica's label, as `s.local('group', i).at`.
      re: `${start}\\s*\\.\\s*at\\s*\\(\\s*(['"])([\\w$-]+)\\1[^()]*\\)`,
      groups: 2,
      target: (g) => ({ target: { kind: 'local', group: g[1]!, name: 'at' }, what: `${param}.at(${q(g[1])}, ...)` }),
    },
  ];
}

/** What a parameter is: the state view, a thread's locals, a step's choice, or a function of the parameters' variant. */
type AccessKind = 'state' | 'locals' | 'choice' | 'variant';

const VALUE_USES = textMemo<readonly ValueUse[]>();
function valueUses(src: string, param: string, kind: AccessKind): readonly ValueUse[] {
  const key = `${kind}\0${param}\0${src}`;
  return VALUE_USES.get(key) ?? VALUE_USES.set(key, valueUsesOf(src, param, kind));
}

function valueUsesOf(src: string, param: string, kind: AccessKind): ValueUse[] {
  const out: ValueUse[] = [];
  // A group: the operator.
  const cmp = '\\s*([!=]==?)\\s*';
  const blank = blankStrings(src);
  for (const a of accessesOf(param, kind)) {
    // The access, then the literal: it must be the whole other operand (not `'a' + x`, `1 - y`).
    const k = a.groups + 1;
    for (const x of src.matchAll(new RegExp(`${a.re}${cmp}${shifted(LITERAL, k)}(?!\\s*[-+*/%.[(]|\\s*\\?\\?)`, 'g'))) {
      const g = x.slice(1);
      out.push({ ...a.target(g), lit: literalOf(g[k], g[k + 1], g[k + 2]), loose: g[a.groups]!.length === 2 });
    }
    // The literal first: the access must end there (not `s.x.y`, `s.f(...)`, `s.a[i]` or `s.n + 1`).
    for (const x of src.matchAll(new RegExp(`(?<![\\w$)\\]+\\-*/%.]\\s*)${LITERAL}${cmp}${shifted(a.re, 4)}(?![\\w$]|\\s*[-+*/%.(\\[])`, 'g'))) {
      const g = x.slice(1);
      out.push({ ...a.target(g.slice(4)), lit: literalOf(g[0], g[1], g[2]), loose: g[3]!.length === 2 });
    }
    // A string test of a variable or the variant (not of the choice, a number): `access.startsWith('lit')`, `.endsWith`, `.includes`, with or
    // without a literal position, `.indexOf` and `.lastIndexOf`; `/re/.test(access)`, `access.match(/re/)`, `access.search(/re/)`. Some value must pass it.
    if (kind !== 'choice') {
      const k = a.groups + 1;
      const method = `${a.re}\\s*\\??\\.\\s*(startsWith|endsWith|includes|indexOf|lastIndexOf)\\s*\\(\\s*(['"])([^'"\\\\\\n]*)\\${k + 1}\\s*(?:,\\s*(\\d+)\\s*)?\\)`;
      for (const x of src.matchAll(new RegExp(method, 'g'))) {
        const g = x.slice(1);
        out.push({ ...a.target(g), lit: { kind: 'string', text: g[k + 1]! }, loose: false, test: methodTest(g[a.groups]!, g[k + 1]!, g[k + 2]) });
      }
      for (const x of src.matchAll(new RegExp(`${REGEX_LITERAL}\\s*\\.\\s*test\\s*\\(\\s*${shifted(a.re, 2)}\\s*\\)`, 'g'))) {
        const test = regexTest(x[1]!, x[2]!, `/${x[1]}/${x[2]}.test(X)`);
        if (test) out.push({ ...a.target(x.slice(3)), lit: { kind: 'string', text: `/${x[1]}/${x[2]}` }, loose: false, test });
      }
      for (const x of src.matchAll(new RegExp(`${a.re}\\s*\\??\\.\\s*(match|search)\\s*\\(\\s*${shifted(REGEX_LITERAL, k)}\\s*\\)`, 'g'))) {
        const g = x.slice(1);
        const test = regexTest(g[k]!, g[k + 1]!, `X.${g[a.groups]}(/${g[k]}/${g[k + 1]})`);
        if (test) out.push({ ...a.target(g), lit: { kind: 'string', text: `/${g[k]}/${g[k + 1]}` }, loose: false, test });
      }
    }
    // `[...literals].includes(access)`: each element compared strictly.
    for (const x of src.matchAll(new RegExp(`\\[([^\\[\\]]*)\\]\\s*\\.\\s*includes\\s*\\(\\s*${shifted(a.re, 1)}\\s*\\)`, 'g'))) {
      const items = x[1]!.split(',').map((t) => t.trim()).filter((t) => t !== '');
      const lits = items.map((t) => new RegExp(`^${LITERAL}$`).exec(t));
      if (lits.some((m) => m === null)) continue;
      const t = a.target(x.slice(2));
      for (const m of lits) out.push({ ...t, lit: literalOf(m![1], m![2], m![3]), loose: false });
    }
    const caseLabel = new RegExp(`^case\\s*${LITERAL}\\s*:`);
    for (const x of src.matchAll(new RegExp(`(?<![\\w$.])switch\\s*\\(\\s*${a.re}\\s*\\)\\s*\\{`, 'g'))) {
      const t = a.target(x.slice(1));
      // The case labels at the switch's own depth (not those of a switch nested in it).
      let depth = 0;
      for (let i = x.index! + x[0].length - 1; i < blank.length; i++) {
        const c = blank[i];
        if (c === '{') depth++;
        else if (c === '}' && --depth === 0) break;
        else if (depth === 1 && c === 'c' && /^case(?![\w$])/.test(blank.slice(i, i + 5)) && !/[\w$.]/.test(blank[i - 1] ?? ' ')) {
          const m = caseLabel.exec(src.slice(i));
          if (m) out.push({ ...t, lit: literalOf(m[1], m[2], m[3]), loose: false });
        }
      }
    }
  }
  return out;
}

/**
 * Literals compared with a variable (`s.state === 'lockd'`, `case 'Two':`
 * of `switch (me.phase)`, `s.local('cpu', 0).at === 'leav'`, `s.owner !==
 * null`, `s.locked === 1`, `['tow'].includes(s.inside)`) must be values it
 * can take (MC157; a label, MC151): a misspelt value, a value of another
 * type, or null would compare unequal forever, and an invariant written so
 * would hold everywhere. A value some other configuration of the model
 * declares is accepted (a branch that configuration takes). A step's choice
 * is its index, never its name. A `oneOf` variable or a label tested with
 * `startsWith`, `endsWith` or `includes` of a literal must have a value that
 * passes. A template literal without `${...}` is the string it spells.
 */
export function checkValues(fn: Function | null | undefined, where: string, scope: ValueScope): void {
  eachBody(fn, 'literals', (body, s, me, choice) => {
    if (s !== undefined) for (const u of valueUses(body, s, 'state')) checkValue(u, where, scope);
    if (me !== undefined && scope.locals !== null) for (const u of valueUses(body, me, 'locals')) checkValue(u, where, scope);
    if (choice !== undefined && scope.choices !== undefined) for (const u of valueUses(body, choice, 'choice')) checkValue(u, where, scope);
  });
}

/** MC157 (MC151 for a label) unless the literal of `u` is a value its variable can take. */
function checkValue(u: ValueUse, where: string, scope: ValueScope): void {
  const t = u.target;
  const lit = u.lit;
  if (t.kind === 'variant') return;
  if (t.kind === 'choice') {
    const c = scope.choices!;
    // An index the step has in another configuration (a choose that depends on the variant, an effect shared by all) is a branch that configuration takes.
    const index = lit.kind === 'number' ? lit.value : lit.kind === 'string' && u.loose && /^\d+$/.test(lit.text) ? Number(lit.text) : NaN;
    if (Number.isInteger(index) && index >= 0 && (index < c.count || index < c.elsewhere())) return;
    const names = c.names ? ` (choose: [${c.names.map((x) => q(x)).join(', ')}] gives ${c.names.map((x, i) => `${i} for ${q(x)}`).join(', ')})` : '';
    throw new McError('MC157', `${where}: compares the choice ${u.what} with ${lit.kind === 'string' ? q(lit.text) : lit.text}, but a choice is its index, 0 to ${c.count - 1}${names}`);
  }
  // The variable's domain, or the labels for `.at`; undeclared names are MC150's (and an unknown group MC132's).
  let domain: ScalarDomain | undefined;
  let labels: readonly string[] | undefined;
  let group: string | null = null;
  if (t.kind === 'shared') {
    const v = scope.shared.get(t.name);
    // An array compared whole, or `.get` of a scalar, is not a value comparison.
    if (v === undefined || v.array !== t.element) return;
    domain = v.domain;
  } else {
    const g = t.group === null ? scope.locals : scope.groups.get(t.group);
    if (g == null) return;
    group = t.group ?? scope.locals!.group;
    if (t.name === 'at') labels = g.labels;
    else domain = g.domains.get(t.name);
    if (domain === undefined && labels === undefined) return;
  }
  const never = (why: string): never => {
    throw new McError('MC157', `${where}: compares ${u.what} with ${lit.kind === 'string' ? q(lit.text) : lit.text}, ${why}`);
  };
  if (u.test !== undefined) {
    // A string test: some value (or label) must pass it. Only a string variable's are known; a number or a boolean has no such method (a run-time error).
    const { passes, verb } = u.test;
    const call = u.test.call.replace('X', u.what);
    if (labels !== undefined) {
      if (!labels.some(passes)) throw new McError('MC151', `${where}: tests ${call}, but no label of thread ${q(group)} ${verb} (labels: ${labels.join(', ')})`);
      return;
    }
    if (domain!.kind !== 'enum' || (domain as EnumDomain).names.some(passes) || scope.elsewhere(group, t.name, passes)) return;
    throw new McError('MC157', `${where}: tests ${call}, but none of its values ${verb} (${domain!.describe()})`);
  }
  if (lit.kind === 'nullish') never(`which it never is: a variable always holds a value of its domain (${labels ? 'a label' : domain!.describe()})${domain?.kind === 'threadId' ? "; a thread id's none is -1" : ''}`);
  if (labels !== undefined) {
    if (lit.kind === 'string' && !labels.includes(lit.text))
      throw new McError('MC151', `${where}: compares ${u.what} with ${q(lit.text)}, which is not a label of thread ${q(group)} (labels: ${labels.join(', ')})`);
    if (lit.kind !== 'string') never(`but a label is a string (labels: ${labels.join(', ')})`);
    return;
  }
  const d = domain!;
  const numeric = lit.kind === 'string' && lit.text.trim() !== '' && Number.isFinite(Number(lit.text));
  switch (lit.kind) {
    case 'string':
      if (d.kind === 'enum' ? (d as EnumDomain).names.includes(lit.text) : u.loose && numeric) return;
      if (scope.elsewhere(group, t.name, (v) => v === lit.text)) return;
      if (d.kind === 'enum') never(`which is not one of its values (${d.describe()})`);
      throw new McError('MC157', `${where}: compares ${u.what} with the string ${q(lit.text)}, but it is ${d.describe()}, never a string`);
    case 'bool':
      if (d.kind === 'bool' || (u.loose && d.kind !== 'enum')) return;
      return never(`but it is ${d.describe()}, never a boolean`);
    case 'number':
      if (d.kind === 'int' || d.kind === 'threadId') return;
      if (d.kind === 'bool' && u.loose && (lit.value === 0 || lit.value === 1)) return;
      if (d.kind === 'enum' && u.loose && (d as EnumDomain).names.some((x) => x.trim() !== '' && Number(x) === lit.value)) return;
      return never(`but it is ${d.describe()}, never a number${d.kind === 'bool' ? ' (write true or false)' : ''}`);
  }
}

/**
 * An effect (or `init`) changes the state by assignment; what it returns is
 * ignored. One that returns a value and assigns nothing, calls nothing
 * (`then: (s) => ({ inside: 'two' })`, `then: (s) => s.n + 1`) changes no
 * state, and its step would be a silent no-op (MC165).
 */
const EFFECT_WRITES_PASSED = textMemo<true>();
export function checkEffectWrites(fn: Function | null | undefined, where: string): void {
  eachBody(fn, 'code', (body) => {
    const b = body.replace(/^\s*=>\s*/, '').trim();
    const writes = /(?<![=!<>])=(?![=>])|\+\+|--|<<=|>>>?=/.test(b);
    const calls = /[\w$)\]]\s*\(/.test(b) || /(?<![\w$])(?:new|delete|throw)(?![\w$])/.test(b);
    // `s.n = s.n++` assigns the old value back: the increment is lost.
    const lost = /(?<![\w$.])([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*=\s*([A-Za-z_$][\w$]*(?:\s*\.\s*[A-Za-z_$][\w$]*)*)\s*(\+\+|--)/g;
    for (const m of b.matchAll(lost))
      if (m[1]!.replace(/\s+/g, '') === m[2]!.replace(/\s+/g, ''))
        throw new McError('MC165', `${where}: ${q(`${m[1]} = ${m[2]}${m[3]}`)} assigns the old value back, and the ${m[3] === '++' ? 'increment' : 'decrement'} is lost; write ${q(`${m[1]}${m[3]}`)} or ${q(`${m[1]} ${m[3]![0]}= 1`)}`);
    if (writes || calls) {
      // Beside other statements, one that only compares (`s.y = 1; s.x === 2;`, `if (!s.y) s.x === true;`) was meant to assign.
      const useless = uselessStatement(body);
      if (useless !== null) throw new McError('MC165', `${where}: the statement ${q(useless.text)} ${useless.what}`);
      const unread = unreadLocal(body);
      if (unread !== null) throw new McError('MC165', `${where}: ${unread}`);
      return;
    }
    const returned = b.startsWith('{') ? /(?<![\w$])return\s*([^;}\s][^;}]*)/.exec(b)?.[1] : b;
    // Statements that do nothing: `{ s.locked === true; }` compares where it meant to assign.
    if (returned === undefined && b.startsWith('{') && /[^\s{};]/.test(b.replace(/(?<![\w$])return(?![\w$])/g, '')))
      throw new McError('MC165', `${where}: assigns nothing and calls nothing, so its statements change no state (=== compares; = assigns)`);
    if (returned === undefined || /^(?:undefined|void\b[\s\S]*|\(\s*\)|)$/.test(returned.trim())) return;
    throw new McError('MC165', `${where}: returns a value and assigns nothing: an effect changes the state by assignment (s.NAME = ...), and what it returns is ignored`);
  }, EFFECT_WRITES_PASSED);
}

/**
 * A guard, invariant, computed next or choose answers with what it
 * returns; a statement in its block that computes a value and drops it
 * (`{ s.inside <= 1; return true; }`, `{ if (s.x) s.y === 2; ... }`) is the
 * answer meant, lost, and the function answers something else without a
 * word (MC165). An expression body is its answer, and is not looked at.
 */
const DROPPED_VALUES_PASSED = textMemo<true>();
export function checkDroppedValues(fn: Function | null | undefined, where: string): void {
  eachBody(fn, 'code', (body) => {
    const b = body.replace(/^\s*=>\s*/, '').trim();
    if (!b.startsWith('{')) return;
    const useless = uselessStatement(b.slice(1, b.lastIndexOf('}')));
    if (useless !== null)
      throw new McError('MC165', `${where}: the statement ${q(useless.text)} ${useless.what.replace(/ \(.*\)$/, '')}: its value is dropped (the function answers with what it returns: return it, or combine it into the returned condition)`);
  }, DROPPED_VALUES_PASSED);
}

/** Reads of the clock, of randomness or of the process: a function that reads one is not a function of the state. */
const OUTSIDE = /(?:(?<![\w$.])globalThis\s*\.\s*|(?<![\w$.]))(Math\s*\.\s*random(?![\w$])|Date(?:\s*\.\s*[A-Za-z_$][\w$]*)?(?![\w$])(?!\s*:)|performance\s*\.\s*now(?![\w$])|process\s*\.\s*(?:hrtime|env|uptime|cpuUsage|memoryUsage|argv)(?![\w$])|crypto\s*\.\s*(?:getRandomValues|randomUUID|randomInt|randomBytes)(?![\w$]))/;

/** Work scheduled for after the function returns: it would run after the step, on whatever state the views hold by then, or on none. */
const DEFERS = /(?:(?<![\w$.])globalThis\s*\.\s*|(?<![\w$.]))(setTimeout|setInterval|setImmediate|queueMicrotask|process\s*\.\s*nextTick|requestAnimationFrame)(?![\w$])/;

/** The names a function's source may bind (over-approximated: every name in a parameter list or a declaration, initialisers included). */
function boundNames(src: string, declaredOnly = false): Set<string> {
  const names = new Set<string>();
  const add = (text: string) => {
    for (const m of text.matchAll(/[A-Za-z_$][\w$]*/g)) names.add(m[0]);
  };
  // The parameters: the first parenthesised group (an arrow's, a function's or a method's), or a lone name before =>.
  const lone = /^\s*(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
  if (lone) names.add(lone[1]!);
  const groupAt = (open: number): string => {
    let depth = 0;
    for (let k = open; k < src.length; k++) {
      if (src[k] === '(') depth++;
      else if (src[k] === ')' && --depth === 0) return src.slice(open, k + 1);
    }
    return src.slice(open);
  };
  const first = src.indexOf('(');
  if (first >= 0 && (lone === null || first < lone.index + lone[0].length)) add(groupAt(first));
  // Nested functions' parameters, catch clauses, declarations.
  for (const m of src.matchAll(/(?<![\w$.])([A-Za-z_$][\w$]*)\s*=>/g)) names.add(m[1]!);
  for (const m of src.matchAll(/\)\s*=>/g)) {
    let depth = 0;
    let k = m.index!;
    for (; k >= 0; k--) {
      if (src[k] === ')') depth++;
      else if (src[k] === '(' && --depth === 0) break;
    }
    if (k >= 0) add(src.slice(k, m.index! + 1));
  }
  for (const m of src.matchAll(/(?<![\w$.])(?:function|catch)(?![\w$])\s*\*?\s*([A-Za-z_$][\w$]*)?\s*\(/g)) {
    if (m[1]) names.add(m[1]);
    add(groupAt(m.index! + m[0].length - 1));
  }
  // A method's parameters (`{ m(v) { ... } }`, a getter, a class's method): a name, its parenthesised list, then a body.
  for (const m of src.matchAll(/(?<![\w$.])([A-Za-z_$][\w$]*)\s*\(/g)) {
    if (/^(?:if|while|for|switch|catch|with|function|return|typeof|void|new|delete|await|yield|in|of)$/.test(m[1]!)) continue;
    const group = groupAt(m.index! + m[0].length - 1);
    if (/^\s*\{/.test(src.slice(m.index! + m[0].length - 1 + group.length))) add(group);
  }
  for (const m of src.matchAll(/(?<![\w$.])(?:let|const|var|class)(?![\w$])/g)) {
    // To the `;` (a declaration may span lines: `let a = 0,\n b = 0`); without semicolons this takes in more names than it binds, which only leaves more to the run-time check.
    const from = m.index! + m[0].length;
    const end = endAtDepthZero(src, from, (c) => c === ';');
    if (!declaredOnly) {
      add(src.slice(from, end));
      continue;
    }
    // Only the declarators' names (`let v = memo.get(x)` binds v, not memo): each up to its `=`, then past its initialiser to the next `,`.
    for (let k = from; k < end; ) {
      const stop = endAtDepthZero(src, k, (c, i) => i >= end || c === ',' || (c === '=' && src[i + 1] !== '=' && src[i + 1] !== '>'));
      add(src.slice(k, Math.min(stop, end)));
      k = src[stop] === '=' ? endAtDepthZero(src, stop + 1, (c, i) => i >= end || c === ',') + 1 : stop + 1;
    }
  }
  return names;
}

/** The first name a function's code assigns (=, op=, ++, --) that it does not bind itself: a variable of its closure, or a global. */
function closureWrite(src: string, body: string): string | null {
  const bound = boundNames(src);
  const forms = [
    /(?<![\w$.]|\?\.)([A-Za-z_$][\w$]*)\s*(?:\*\*|<<|>>>?|&&|\|\||\?\?|[-+*/%&|^])?=(?![=>])/g,
    /(?<![\w$.]|\?\.)([A-Za-z_$][\w$]*)\s*(?:\+\+|--)/g,
    // The whole name (`++me.x` is no write to `m`): no backtracking into a shorter one that the lookahead would let through.
    /(?<![\w$)\]+\-]\s*)(?:\+\+|--)\s*([A-Za-z_$][\w$]*)(?![\w$])(?!\s*(?:[.[(]|\?\.))/g,
  ];
  for (const re of forms)
    for (const m of body.matchAll(re)) {
      const name = m[1]!;
      if (!bound.has(name) && !/^(?:this|super|true|false|null|undefined|return|typeof|void|in|of)$/.test(name)) return name;
    }
  return null;
}

/** A member chain after a root name: `.a`, `?.a`, `[i]` (one level of brackets inside), `.get(i)`. */
const CHAIN = String.raw`(?:\s*(?:\?\.|\.)\s*[A-Za-z_$][\w$]*|\s*\[(?:[^\[\]]|\[[^\[\]]*\])*\])`;
/** Methods that change the object they are called on: arrays', Maps' and Sets'. */
const MUTATORS = 'push|pop|shift|unshift|splice|sort|reverse|copyWithin|fill|set|add|delete|clear';

/**
 * The first object of its closure (or a global) a function's code changes
 * through a member of it (`st.n++`, `memo[k] = v`, `delete cache.k`,
 * `seen.push(x)`, `order.add(id)`, `Object.assign(cfg, ...)`), as a text
 * such as `st.n`; null when there is none. Assigning to the name itself is
 * `closureWrite`'s; a write through `s` or `me` (or any name the function
 * binds) is the function's own. A cache kept so answers the same when one
 * state is expanded twice, so the run-time check cannot see it: what the
 * step does then depends on which states the search happened to visit
 * before, not on the state.
 */
function closureMutation(src: string, body: string): string | null {
  // Declared names only: an object read in an initialiser (`let v = memo.get(x)`) is still the closure's.
  const bound = boundNames(src, true);
  const root = String.raw`(?<![\w$.]|\?\.)([A-Za-z_$][\w$]*)`;
  const forms = [
    new RegExp(`${root}(${CHAIN}+)\\s*(?:\\*\\*|<<|>>>?|&&|\\|\\||\\?\\?|[-+*/%&|^])?=(?![=>])`, 'g'),
    new RegExp(`${root}(${CHAIN}+)\\s*(?:\\+\\+|--)`, 'g'),
    new RegExp(`(?:\\+\\+|--|(?<![\\w$])delete)\\s*${root}(${CHAIN}+)`, 'g'),
    new RegExp(`${root}(${CHAIN}*\\s*\\.\\s*(?:${MUTATORS}))\\s*\\(`, 'g'),
    new RegExp(`(?<![\\w$.])Object\\s*\\.\\s*(?:assign|defineProperty|defineProperties|setPrototypeOf)\\s*\\(\\s*([A-Za-z_$][\\w$]*)()(?![\\w$.\\[(])`, 'g'),
  ];
  for (const [i, re] of forms.entries())
    for (const m of body.matchAll(re)) {
      const name = m[1]!;
      if (!bound.has(name) && !/^(?:this|super|true|false|null|undefined|return|typeof|void|in|of|new|delete|let|const|var|case|else|do|yield|await|instanceof|throw)$/.test(name))
        return i === 3 ? `${name} (${name}${m[2]!.replace(/\s+/g, '')}(...))` : i === 4 ? `${name} (Object.assign and the like)` : `${name}${m[2]!.replace(/\s+/g, '')}`;
    }
  return null;
}

/**
 * A step's functions, an invariant and `init` are functions of the state
 * (MC160, as the run-time check says when two executions differ): one that
 * reads the clock or randomness (`Date.now()`, `Math.random()`,
 * `performance.now()`), or assigns to a variable of its closure
 * (`let calls = 0; ... then: (s) => { calls++; ... }`), answers differently
 * from one execution to the next, which the sampled run-time check can miss
 * (two executions within one millisecond agree).
 */
const STATE_ONLY_PASSED = textMemo<true>();
export function checkStateOnly(fn: Function | null | undefined, where: string): void {
  eachBody(fn, 'noRegex', (body, _s, _me, _choice, full) => {
    const m = OUTSIDE.exec(body);
    if (m !== null)
      throw new McError('MC160', `${where}: reads ${m[1]!.replace(/\s+/g, '')}, which is not part of the state: guards, effects, next, choose, invariants, init and listed helpers must be functions of the state (for a choice the model makes, use choose: every choice is explored)`);
    // `this` in a model function: it is called with no object, so `this.x = 1` writes a global (or throws), never the state.
    if (/(?<![\w$.])this(?![\w$])/.test(body))
      throw new McError('MC160', `${where}: uses this, which is not the state: a model function is called with the state as its first parameter (s) and the thread's locals as its second (me), and this is no part of either; write s.NAME or me.NAME`);
    const d = DEFERS.exec(body);
    if (d !== null)
      throw new McError('MC136', `${where}: uses ${d[1]!.replace(/\s+/g, '')}, which runs code after the function has returned: a step runs to its end within one transition, and what the deferred code does would be part of no state (or of another one); do the work in the function itself`);
    const w = closureWrite(full, body);
    if (w !== null)
      throw new McError('MC160', `${where}: assigns to ${w}, a variable outside the function (its closure, or a global): a function that keeps state there answers differently the next time it runs; keep it in the state (a shared variable or a thread local)`);
    const c = closureMutation(full, body);
    if (c !== null)
      throw new McError('MC160', `${where}: changes ${c}, an object outside the function (its closure, or a global): a function that keeps state there (a counter, a cache, a list of what it saw) answers from what ran before, not from the state; keep it in the state (a shared variable or a thread local)`);
  }, STATE_ONLY_PASSED);
}

/** Keywords whose parenthesised head a statement follows. */
const CONTROL_HEAD = new Set(['if', 'while', 'for', 'with']);

/** The innermost bracket open at position end of code ('' when none): a `;` inside a `(` is a for statement's head, not a statement's end. */
function innermostOpen(code: string, end: number): string {
  const open: string[] = [];
  for (let k = 0; k < end; k++) {
    const c = code[k]!;
    if (c === '(' || c === '[' || c === '{') open.push(c);
    else if (c === ')' || c === ']' || c === '}') open.pop();
  }
  return open.length > 0 ? open[open.length - 1]! : '';
}

/** The views' accessors that only read (an array's `get`, the state's `at`, `local` and `count`). */
const VIEW_READERS: ReadonlySet<string> = new Set(['get', 'at', 'local', 'count']);

/** Keywords that are no operand: a chain that starts with one is not a value read for nothing. */
const NOT_OPERAND = new Set(['return', 'typeof', 'void', 'delete', 'await', 'yield', 'new', 'in', 'of', 'instanceof', 'case', 'throw', 'break', 'continue', 'debugger', 'else', 'do', 'let', 'const', 'var', 'this']);

/**
 * The first statement of code (comments, strings and template text blanked)
 * that computes a value from variables and nothing else, so that it changes
 * nothing: a comparison (`if (!s.y) s.x === true;`, `s.y = 1; s.x === 2;`:
 * `===` written for `=`), arithmetic (`s.n + 1;` for `s.n += 1`), or a bare
 * read (`s.done;`, `!s.flag;`). The statement starts with a name or member
 * chain (after `;`, `{`, `}`, `else`, `do`, a control statement's head, or at
 * the start); after an operator its right side runs to the statement's end
 * without an assignment, a call or an increment; a bare read is a member
 * chain (with `!` before it) that ends the statement. Null when there is none.
 */
export function uselessStatement(code: string): { text: string; what: string } | null {
  const ident = /[\w$]/;
  const isSpace = (c: string | undefined) => c !== undefined && /\s/.test(c);
  const wordBefore = (end: number): string => {
    let k = end;
    while (k > 0 && ident.test(code[k - 1]!)) k--;
    return code.slice(k, end);
  };
  /** Where the name or member chain (`.member`, `[index]` and the views' reading accessors) that ends at `end` starts; -1 when none does. */
  const chainStart = (end: number): number => {
    let j = end;
    let start = -1;
    for (;;) {
      if (code[j - 1] === ']') {
        const k = enclosingOpen(code, j - 1); // the bracket that matches the ] at j - 1
        if (k < 0) break;
        j = k;
        while (j > 0 && isSpace(code[j - 1])) j--;
        continue;
      }
      // A view accessor in the chain (`s.a.get(i)`, `s.local('t', 0).v`) only reads: step over its arguments
      // to the member name; any other call may do something, and its statement is left alone.
      if (code[j - 1] === ')') {
        const k = enclosingOpen(code, j - 1); // the ( that matches the ) at j - 1
        if (k < 0) break;
        let w = k;
        while (w > 0 && isSpace(code[w - 1])) w--;
        const name = wordBefore(w);
        let d = w - name.length;
        while (d > 0 && isSpace(code[d - 1])) d--;
        if (!VIEW_READERS.has(name) || code[d - 1] !== '.') break;
        j = w;
        continue;
      }
      if (j === 0 || !ident.test(code[j - 1]!)) break;
      while (j > 0 && ident.test(code[j - 1]!)) j--;
      start = j;
      let k = j;
      while (k > 0 && isSpace(code[k - 1])) k--;
      if (code[k - 1] === '.') {
        j = code[k - 2] === '?' ? k - 2 : k - 1;
        while (j > 0 && isSpace(code[j - 1])) j--;
        continue;
      }
      break;
    }
    if (start < 0 || start === end || /^\d/.test(code[start]!)) return -1;
    if (NOT_OPERAND.has(code.slice(start, end).split(/[^\w$]/)[0]!)) return -1;
    return start;
  };
  /** Whether a statement starts at `start` (a `;` inside a `(` is a for statement's head, not a statement's end). */
  const startsStatement = (start: number): boolean => {
    let b = start;
    while (b > 0 && isSpace(code[b - 1])) b--;
    const prev = code[b - 1];
    // (A `${` opens a template's expression, not a block.)
    let starts = (b === 0 || prev === ';' || (prev === '{' && code[b - 2] !== '$') || prev === '}') && innermostOpen(code, b) !== '(';
    if (!starts && prev !== undefined && ident.test(prev)) starts = ['else', 'do'].includes(wordBefore(b));
    // After a switch's `case X:` or `default:`, and after a comma of a comma expression in a block (not in a call's, an array's or a head's brackets).
    if (!starts && prev === ':') starts = /(?:^|[;{}])\s*(?:case(?![\w$])[^;{}?]*|default\s*)$/.test(code.slice(0, b - 1));
    if (!starts && prev === ',') {
      const open = enclosingOpen(code, b);
      starts = open < 0 || (code[open] === '{' && blockBrace(open));
    }
    // A name after an expression's end on a new line starts a statement (no operator joins them).
    if (!starts && prev !== undefined && (ident.test(prev) || prev === ')' || prev === ']') && code.slice(b, start).includes('\n') && innermostOpen(code, b) !== '(') starts = !CONTROL_HEAD.has(wordBefore(b));
    if (!starts && prev === ')') {
      const k = enclosingOpen(code, b - 1);
      let w = k;
      while (w > 0 && isSpace(code[w - 1])) w--;
      starts = k > 0 && CONTROL_HEAD.has(wordBefore(w));
    }
    return starts;
  };
  // A line break ends a statement unless an operator joins the lines (at the end of this one, or the start of the next).
  const joined = (k: number): boolean => /[&|?:.+\-*/%<>=!,(]\s*$/.test(code.slice(Math.max(0, k - 40), k)) || /^\s*[&|?:.+\-*/%<>=!([`]/.test(code.slice(k + 1, k + 40));
  /** Whether the `{` at k opens a block (after `)`, `=>`, `;`, `{`, `}`, else, do, try, finally or at the start), not an object literal. */
  const blockBrace = (k: number): boolean => {
    let b = k;
    while (b > 0 && isSpace(code[b - 1])) b--;
    if (b === 0) return true;
    const prev = code[b - 1]!;
    if (prev === ')' || prev === ';' || prev === '{' || prev === '}') return true;
    if (prev === '>' && code[b - 2] === '=') return true;
    return ident.test(prev) && ['else', 'do', 'try', 'finally'].includes(wordBefore(b));
  };
  /** Whether the text after end (spaces skipped) ends a statement: `;`, a block's `}`, the end, or a line break no operator joins. */
  const endsAfter = (end: number): boolean => {
    for (let k = end; k < code.length; k++) {
      const c = code[k]!;
      if (c === '\n') return !joined(k);
      if (!isSpace(c)) return c === ';' || c === '}';
    }
    return true;
  };
  /** Whether text computes without doing anything: no assignment, increment, call (but the views' reading accessors and Math's), tagged template, new, delete, await or yield. */
  const pure = (text: string): boolean => {
    // Calls that only read (the views' accessors, Math's functions) do not make the statement do something.
    const t = text.replace(/(?:[A-Za-z_$][\w$]*\s*\.\s*)*(?:get|at|count|local|min|max|abs)\s*\(/g, (c) => (/^(?:Math\s*\.|[A-Za-z_$][\w$]*\s*\.)/.test(c) ? '(' : c));
    return !/(?<![=!<>])=(?![=>])|\+\+|--|[\w$)\]]\s*(?:\?\.\s*)?\(|[\w$)\]]\s*`|(?<![\w$])(?:new|delete|await|yield|function|class)(?![\w$])|=>/.test(t);
  };
  // Binary operators: comparisons, && || ??, and + - * % (not ++, +=, the arrow's >, nor shifts).
  const op = /(?<![=!<>+\-*%&|^?])(?:===|!==|==|!=|<=|>=|<(?![<=])|>(?![>=])|&&(?!=)|\|\|(?!=)|\?\?(?!=)|\+(?![+=])|-(?![-=])|\*(?![*=])|%(?!=))/g;
  for (let m = op.exec(code); m !== null; m = op.exec(code)) {
    // The left operand: a name with .member and [index] parts, read backwards, with any ! before it.
    let j = m.index;
    while (j > 0 && isSpace(code[j - 1])) j--;
    const start = chainStart(j);
    if (start < 0) continue;
    let first = start;
    while (first > 0 && (isSpace(code[first - 1]) || code[first - 1] === '!')) first--;
    while (first < start && isSpace(code[first])) first++;
    // In parentheses that are no call's or head's (`(s.x == 1);`), the statement is the whole parenthesised expression.
    let open = first;
    for (;;) {
      let b = open;
      while (b > 0 && isSpace(code[b - 1])) b--;
      if (code[b - 1] !== '(') break;
      let w = b - 1;
      while (w > 0 && isSpace(code[w - 1])) w--;
      const pc = code[w - 1];
      if (pc !== undefined && (ident.test(pc) || pc === ')' || pc === ']' || pc === '`')) break;
      open = b - 1;
    }
    const text = `${code.slice(start, j).replace(/\s+/g, '')} ${m[0]} ...`;
    const what = /^[-+*%]$/.test(m[0]) ? 'computes a value and changes nothing (= assigns; += adds)' : 'compares and changes nothing (=== compares; = assigns)';
    if (open < first) {
      // No line break starts a statement before a `(` (it would call what ends the line before).
      let b = open;
      while (b > 0 && isSpace(code[b - 1])) b--;
      const prev = code[b - 1];
      const starts = (b === 0 || prev === ';' || prev === '}' || (prev === '{' && blockBrace(b - 1)) || (prev !== undefined && ident.test(prev) && ['else', 'do'].includes(wordBefore(b)))) && innermostOpen(code, b) !== '(';
      if (!starts) continue;
      const close = endAtDepthZero(code, open + 1, () => false);
      if (close >= code.length || !endsAfter(close + 1) || !pure(code.slice(open + 1, close))) continue;
      return { text, what };
    }
    if (!startsStatement(first)) continue;
    // The right side, to the statement's end.
    const r = endAtDepthZero(code, m.index + m[0].length, (c, k) => c === ';' || c === ',' || (c === '\n' && !joined(k)));
    if (!pure(code.slice(m.index + m[0].length, r))) continue;
    // Strings are blanked in code: name the left side and the operator.
    return { text: first < start ? `${code.slice(first, start).replace(/\s+/g, '')}${text}` : text, what };
  }
  // Bare reads: a member chain, with ! before it, that ends its statement (`s.done;`, `!s.flag;`).
  const ends = /;|\}|\n|$/g;
  for (let m = ends.exec(code); m !== null; m = ends.exec(code)) {
    if (m[0] === '') ends.lastIndex++;
    if (m[0] === '\n' && joined(m.index)) continue;
    let j = m.index;
    while (j > 0 && isSpace(code[j - 1])) j--;
    const start = chainStart(j);
    if (start < 0) continue;
    const chain = code.slice(start, j);
    if (!/[.[]/.test(chain)) continue;
    let first = start;
    while (first > 0 && (isSpace(code[first - 1]) || code[first - 1] === '!')) first--;
    while (first < start && isSpace(code[first])) first++;
    if (!startsStatement(first)) continue;
    return { text: code.slice(first, j).replace(/\s+/g, ''), what: 'reads a value and changes nothing (= assigns)' };
  }
  // A label where an assignment or an object was meant (`{ s.dying = true; freed: true }`): a labelled expression does nothing.
  const label = /(?<![\w$.])([A-Za-z_$][\w$]*)\s*:(?!:)/g;
  for (let m = label.exec(code); m !== null; m = label.exec(code)) {
    if (['case', 'default'].includes(m[1]!) || !startsStatement(m.index)) continue;
    let b = m.index;
    while (b > 0 && isSpace(code[b - 1])) b--;
    if (code[b - 1] === '{' && !blockBrace(b - 1)) continue;
    if (code[b - 1] === ',' || code[b - 1] === ':') continue;
    let k = m.index + m[0].length;
    while (k < code.length && isSpace(code[k])) k++;
    if (/^(?:for|while|do|switch|if|try)(?![\w$])|^\{/.test(code.slice(k, k + 8))) continue;
    return { text: `${m[1]}: ...`, what: "is a label and an expression, and changes nothing (an assignment is s.NAME = ...; an object in an arrow's body needs parentheses)" };
  }
  // Statements after a return, throw, break or continue in the same block never run (`{ return; s.freed = true; }`).
  const exit = /(?<![\w$.])(return|throw|break|continue)(?![\w$])/g;
  for (let m = exit.exec(code); m !== null; m = exit.exec(code)) {
    let b = m.index;
    while (b > 0 && isSpace(code[b - 1])) b--;
    const prev = code[b - 1];
    if (!(b === 0 || prev === ';' || prev === '}' || (prev === '{' && code[b - 2] !== '$' && blockBrace(b - 1)))) continue;
    if (innermostOpen(code, b) === '(') continue;
    // A return's value runs to the statement's end; a line break right after return ends it (so does JavaScript).
    let k = m.index + m[0].length;
    const r = /^[ \t]*(?:\n|;|\}|$)/.test(code.slice(k)) && m[1] !== 'throw' ? k : endAtDepthZero(code, k, (c, at) => c === ';' || (c === '\n' && !joined(at)));
    k = code[r] === ';' ? r + 1 : r;
    while (k < code.length && isSpace(code[k])) k++;
    if (k >= code.length || code[k] === '}' || /^(?:case|default|function)(?![\w$])/.test(code.slice(k, k + 9))) continue;
    // (Strings are blanked: the statement is named up to its first one.)
    const next = code.slice(k, endAtDepthZero(code, k, (c) => c === ';' || c === '\n')).trim().replace(/\s+/g, ' ');
    const cut = next.search(/['"`]/);
    return { text: `${cut >= 0 ? next.slice(0, cut).trimEnd() : next} ...`, what: `never runs: it follows a ${m[1]} in the same block` };
  }
  return null;
}

/**
 * A local variable of code (comments, strings and template text blanked)
 * that is written and never read: declared with let, const or var (a name,
 * or the names of a flat destructuring pattern) and then only assigned
 * (`let f = s.freed; f = true;`: a copy of a variable is not the variable),
 * or a function declared and never called (`const mark = () => { s.freed =
 * true; };`). A name that appears anywhere else (in a nested function, an
 * object's shorthand, a shadowing declaration) counts as read; a local
 * only declared is left alone, and so are names that start with `_`.
 * Returns what it found, or null.
 */
export function unreadLocal(code: string): string | null {
  const decl = /(?<![\w$.])(let|const|var|function)\s+(?:([A-Za-z_$][\w$]*)|([{[]))/g;
  for (let m = decl.exec(code); m !== null; m = decl.exec(code)) {
    let names: string[];
    let open = -1;
    let close = -1;
    if (m[2] !== undefined) names = [m[2]];
    else {
      if (m[1] === 'function') continue;
      open = m.index + m[0].length - 1;
      close = endAtDepthZero(code, open + 1, () => false);
      const inner = code.slice(open + 1, close);
      // Flat patterns only: `{ a, b: c }`, `[a, , b]`; defaults, rests and nested patterns are left alone.
      if (/[{}[\]=.()]/.test(inner)) continue;
      names = inner.split(',').map((p) => p.split(':').pop()!.trim()).filter((x) => /^[A-Za-z_$][\w$]*$/.test(x));
    }
    for (const name of names) {
      if (name.startsWith('_')) continue;
      const uses = new RegExp(`(?<![\\w$.])${name.replace(/\$/g, '\\$')}(?![\\w$])`, 'g');
      let reads = 0;
      let writes = 0;
      for (let u = uses.exec(code); u !== null; u = uses.exec(code)) {
        const before = code.slice(Math.max(0, u.index - 12), u.index);
        const after = code.slice(u.index + name.length, u.index + name.length + 5);
        // (The declaring occurrence, a member's name after ?. and what is written.)
        if (/(?:let|const|var|function)\s+$/.test(before) || /\?\.\s*$/.test(before) || (u.index > open && u.index < close)) continue;
        if (/^\s*(?:[-+*/%&|^]|\*\*|<<|>>>?|&&|\|\||\?\?)?=(?![=>])/.test(after) || /^\s*(?:\+\+|--)/.test(after) || /(?:\+\+|--)\s*$/.test(before)) {
          // A compound assignment or an increment reads too, but only for itself.
          writes++;
          continue;
        }
        reads++;
      }
      if (reads > 0) continue;
      const fn = m[1] === 'function' || /^\s*=\s*(?:(?:async\s*)?(?:\([^()]*\)|[A-Za-z_$][\w$]*)\s*=>|function(?![\w$]))/.test(code.slice(m.index + m[0].length, m.index + m[0].length + 80));
      // (A local that is only declared is left alone: what it computed may be kept for reading.)
      if (fn) return `the function ${name} is defined and never called`;
      if (writes > 0) return `the local ${name} is assigned and never read: a copy of a variable is not the variable (s.NAME = ... assigns it)`;
    }
  }
  return null;
}

/** The fields of a model that may be functions of the parameters and the variant. */
const VARIANT_FIELDS = ['shared', 'threads', 'invariants', 'init', 'deadlock', 'progress'] as const;

/**
 * A string compared with the variant in a function of the parameters
 * (`threads: (p, variant) => variant === 'test-than-set' ? ...`) must name a
 * variant of the model (MC163): a misspelt one would compare unequal in
 * every variant, and the variant it meant would be built as another.
 */
export function checkVariantLiterals(model: Model): void {
  const names = model.variantNames;
  for (const field of VARIANT_FIELDS) {
    const fn = (model.def as unknown as Record<string, unknown>)[field];
    if (typeof fn !== 'function') continue;
    eachBody(fn, 'literals', (body, _p, variant) => {
      if (variant === undefined) return;
      for (const u of valueUses(body, variant, 'variant')) {
        if (u.test !== undefined) {
          if (names.some(u.test.passes)) continue;
          throw new McError('MC163', `model ${q(model.name)} ${field}: tests ${u.test.call.replace('X', variant)} (the variant), but no variant of the model ${u.test.verb} (${names.length ? `variants: ${names.join(', ')}` : 'it has none: the variant is null'})`);
        }
        if (u.lit.kind === 'nullish' || (u.lit.kind === 'string' && names.includes(u.lit.text))) continue;
        const lit = u.lit.kind === 'string' ? q(u.lit.text) : u.lit.text;
        throw new McError('MC163', `model ${q(model.name)} ${field}: compares ${variant} (the variant) with ${lit}, which is not a variant of the model (${names.length ? `variants: ${names.join(', ')}` : 'it has none: the variant is null'})`);
      }
    });
  }
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
  const valueElsewhere = (group: string | null, name: string, holds: (value: string) => boolean): boolean => {
    anyConfig ??= namesInAnyConfiguration(model);
    const key = valueKey(group, name, '');
    for (const k of anyConfig.values) if (k.startsWith(key) && holds(k.slice(key.length))) return true;
    return false;
  };
  const groups = new Map<string, GroupScope>(templates.map((t) => [t.name, { domains: new Map(t.locals.map((l) => [l.name, l.domain as ScalarDomain])), labels: t.labels }]));
  for (const tpl of templates) {
    const scope: NameScope = { shared: sharedScope, locals: { group: tpl.name, names: new Set(tpl.locals.map((l) => l.name)) }, elsewhere };
    const values: ValueScope = { shared: sharedDomains, locals: { group: tpl.name, ...groups.get(tpl.name)! }, groups, elsewhere: valueElsewhere };
    const labelsOf = (g: string | null) => (g === null ? tpl.labels : labelsOfGroup(g));
    for (const st of tpl.steps) {
      const sw = `${where} thread ${q(tpl.name)} step ${q(st.name)}`;
      // The effect and a computed next take the choice, a constant number of them or their names.
      const elsewhere = (): number => {
        anyConfig ??= namesInAnyConfiguration(model);
        return anyConfig.choices.get(`${tpl.name}\0${st.name}`) ?? 0;
      };
      const choices = st.choices >= 1 ? { choices: { count: st.choices, names: st.choiceNames, elsewhere } } : {};
      for (const [fn, what] of [[st.guard, 'guard'], [st.effect, 'effect'], [st.nextFn, 'next'], [st.chooseFn, 'choose']] as const) {
        checkNames(fn, `${sw} ${what}`, scope);
        checkLabels(fn, `${sw} ${what}`, labelsOf);
        checkValues(fn, `${sw} ${what}`, what === 'effect' || what === 'next' ? { ...values, ...choices } : values);
        checkStateOnly(fn, `${sw} ${what}`);
        if (what !== 'effect') checkDroppedValues(fn, `${sw} ${what}`);
      }
      checkEffectWrites(st.effect, `${sw} effect`);
    }
  }
  const modelScope: NameScope = { shared: sharedScope, locals: null, elsewhere };
  const labelsOfModel = (g: string | null) => (g === null ? undefined : labelsOfGroup(g));
  const modelValues: ValueScope = { shared: sharedDomains, locals: null, groups, elsewhere: valueElsewhere };
  for (const inv of invariants) {
    checkNames(inv.fn, `${where} invariant ${q(inv.name)}`, modelScope);
    checkLabels(inv.fn, `${where} invariant ${q(inv.name)}`, labelsOfModel);
    checkValues(inv.fn, `${where} invariant ${q(inv.name)}`, modelValues);
    checkStateOnly(inv.fn, `${where} invariant ${q(inv.name)}`);
    checkDroppedValues(inv.fn, `${where} invariant ${q(inv.name)}`);
  }
  checkStateOnly(init, `${where} init`);
  checkEffectWrites(init, `${where} init`);
  checkNames(init, `${where} init`, modelScope);
  checkLabels(init, `${where} init`, labelsOfModel);
  checkValues(init, `${where} init`, modelValues);
}
