/**
 * mmcheck model source printed from a kernel-ir.ts description: the third
 * port beside kernel-promela.ts and kernel-murphi.ts, written as a user
 * writes a model file (`defineModel` with `shared`, `threads`, steps whose
 * guards, effects and computed `next` read `s.x`, `s.a.get(i)`, `me.x`,
 * `me.id`), so that mmcheck derives each step's footprint (partial-order
 * reduction, symmetry, dead variables) from this source as it does from a
 * hand-written model.
 *
 * The neutral expressions of the IR are parsed and printed as JavaScript:
 * `==`/`!=` become `===`/`!==`; a shared variable `x` is `s.x`, an element
 * `a[i]` is `s.a.get(i)` (`s.a.set(i, v)` as a target); a local of the step's
 * own group (`T_x[me]` in a replicated group, `G_x` in a single thread) is
 * `me.x`; `me` is `me.id`; an enum constant `<var>_<VALUE>` is `'VALUE'`.
 * `setAll` is `s.a.fill(v)`. A thread-id variable is a `threadId(group,
 * { none: true })` and `none` is -1; the choice `c` of a step with `choose`
 * is its effect's and `next`'s third parameter. A thread's label `T_pc[i]`
 * (`G_pc`) is `s.at('T', i)` (`s.at('G')`), another thread's local
 * `T_x[i]` is `s.local('T', i).x`, a label constant `L_T_l` is `'l'` and
 * `COUNT_T_l` is `s.count('T', 'l')`.
 */
import type { Group, KernelModel, Stmt, Var } from './kernel-ir.ts';
import { labelConst, labelsOf } from './kernel-ir.ts';

// ---------------------------------------------------------------------------
// The neutral expression syntax

type Expr =
  | { k: 'num'; v: number }
  | { k: 'bool'; v: boolean }
  | { k: 'id'; name: string }
  | { k: 'index'; name: string; index: Expr }
  | { k: 'un'; op: '!' | '-'; e: Expr }
  | { k: 'bin'; op: string; l: Expr; r: Expr };

const BINARY: Record<string, number> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 4, '<=': 4, '>': 4, '>=': 4, '+': 5, '-': 5, '%': 6, '*': 6 };

function tokenize(src: string): string[] {
  const re = /\s*(\d+|[A-Za-z_]\w*|==|!=|<=|>=|&&|\|\||[-+%*!<>()[\]])/y;
  const out: string[] = [];
  let pos = 0;
  while (pos < src.length) {
    if (/^\s*$/.test(src.slice(pos))) break;
    re.lastIndex = pos;
    const m = re.exec(src);
    if (!m) throw new Error(`kernel-mmcheck: cannot read ${JSON.stringify(src.slice(pos))} in ${JSON.stringify(src)}`);
    out.push(m[1]!);
    pos = re.lastIndex;
  }
  return out;
}

export function parseExpr(src: string): Expr {
  const t = tokenize(src);
  let i = 0;
  const peek = () => t[i];
  const take = (want?: string) => {
    const x = t[i++];
    if (x === undefined || (want !== undefined && x !== want)) throw new Error(`kernel-mmcheck: expected ${want ?? 'more'} in ${JSON.stringify(src)}`);
    return x;
  };
  const primary = (): Expr => {
    const x = take();
    if (x === '(') {
      const e = binary(0);
      take(')');
      return e;
    }
    if (x === '!' || x === '-') return { k: 'un', op: x, e: primary() };
    if (/^\d+$/.test(x)) return { k: 'num', v: Number(x) };
    if (x === 'true' || x === 'false') return { k: 'bool', v: x === 'true' };
    if (!/^[A-Za-z_]/.test(x)) throw new Error(`kernel-mmcheck: unexpected ${x} in ${JSON.stringify(src)}`);
    if (peek() === '[') {
      take('[');
      const index = binary(0);
      take(']');
      return { k: 'index', name: x, index };
    }
    return { k: 'id', name: x };
  };
  const binary = (min: number): Expr => {
    let l = primary();
    for (;;) {
      const op = peek();
      const p = op !== undefined ? BINARY[op] : undefined;
      if (p === undefined || p <= min) return l;
      take();
      l = { k: 'bin', op: op!, l, r: binary(p) };
    }
  };
  const e = binary(0);
  if (i !== t.length) throw new Error(`kernel-mmcheck: trailing ${t.slice(i).join(' ')} in ${JSON.stringify(src)}`);
  return e;
}

// ---------------------------------------------------------------------------
// Printing as JavaScript

/** JavaScript precedences of the printed operators (higher binds tighter). */
const JS_PREC: Record<string, number> = { '||': 3, '&&': 4, '===': 8, '!==': 8, '<': 9, '<=': 9, '>': 9, '>=': 9, '+': 11, '-': 11, '%': 12, '*': 12 };

interface Scope {
  m: KernelModel;
  /** The group whose step this is (null: an invariant). */
  g: Group | null;
  /** Enum constant (and label constant) -> value. */
  enums: Map<string, string>;
  used: { s: boolean; me: boolean; c: boolean };
}

function sharedVar(sc: Scope, name: string): Var | undefined {
  return sc.m.shared.find((v) => v.name === name);
}

/** `<group>_<local>` of any group: the group and the local's name. */
function anyLocal(sc: Scope, name: string): { g: Group; local: string } | null {
  for (const g of sc.m.groups) {
    if (!name.startsWith(`${g.name}_`)) continue;
    const l = name.slice(g.name.length + 1);
    if (l === 'pc' || g.locals.some((x) => x.name === l)) return { g, local: l };
  }
  return null;
}

function localOf(sc: Scope, name: string): string | null {
  const g = sc.g;
  if (!g || !name.startsWith(`${g.name}_`)) return null;
  const l = name.slice(g.name.length + 1);
  return g.locals.some((x) => x.name === l) ? l : null;
}

function js(e: Expr, sc: Scope, outer = 0): string {
  const wrap = (p: number, text: string) => (p < outer ? `(${text})` : text);
  switch (e.k) {
    case 'num':
      return String(e.v);
    case 'bool':
      return String(e.v);
    case 'un':
      return wrap(14, `${e.op}${js(e.e, sc, 14)}`);
    case 'bin': {
      const op = e.op === '==' ? '===' : e.op === '!=' ? '!==' : e.op;
      const p = JS_PREC[op]!;
      return wrap(p, `${js(e.l, sc, p)} ${op} ${js(e.r, sc, p + 1)}`);
    }
    case 'index': {
      const l = localOf(sc, e.name);
      const own = l !== null && sc.g!.replicated && e.index.k === 'id' && e.index.name === 'me';
      const other = anyLocal(sc, e.name);
      if (!own && other && other.g.replicated) {
        sc.used.s = true;
        const at = `s.${other.local === 'pc' ? 'at' : 'local'}('${other.g.name}', ${js(e.index, sc, 0)})`;
        return other.local === 'pc' ? at : `${at}.${other.local}`;
      }
      if (l !== null) {
        if (!sc.g!.replicated || e.index.k !== 'id' || e.index.name !== 'me') throw new Error(`kernel-mmcheck: ${e.name} is read only as ${e.name}[me]`);
        sc.used.me = true;
        return `me.${l}`;
      }
      const v = sharedVar(sc, e.name);
      if (!v?.array) throw new Error(`kernel-mmcheck: ${e.name} is no shared array`);
      sc.used.s = true;
      return `s.${e.name}.get(${js(e.index, sc, 0)})`;
    }
    case 'id': {
      if (e.name === 'none') return '-1';
      if (e.name === 'c') {
        sc.used.c = true;
        return 'c';
      }
      const count = /^COUNT_([A-Za-z]\w*?)_(\w+)$/.exec(e.name);
      if (count && sc.m.groups.some((g) => g.name === count[1])) {
        sc.used.s = true;
        return `s.count('${count[1]}', '${count[2]}')`;
      }
      const single = anyLocal(sc, e.name);
      if (single && !single.g.replicated && (single.g !== sc.g || single.local === 'pc')) {
        sc.used.s = true;
        return single.local === 'pc' ? `s.at('${single.g.name}')` : `s.local('${single.g.name}').${single.local}`;
      }
      if (e.name === 'me') {
        if (!sc.g?.replicated) throw new Error('kernel-mmcheck: `me` outside a replicated group');
        sc.used.me = true;
        return 'me.id';
      }
      const l = localOf(sc, e.name);
      if (l !== null && !sc.g!.replicated) {
        sc.used.me = true;
        return `me.${l}`;
      }
      const v = sharedVar(sc, e.name);
      if (v && !v.array) {
        sc.used.s = true;
        return `s.${e.name}`;
      }
      const c = sc.enums.get(e.name);
      if (c !== undefined) return `'${c}'`;
      throw new Error(`kernel-mmcheck: unknown name ${e.name}${sc.g ? ` in group ${sc.g.name}` : ' in an invariant'}`);
    }
  }
}

function assign(target: string, value: string, sc: Scope): string {
  const t = parseExpr(target);
  const v = js(parseExpr(value), sc, 0);
  if (t.k === 'index' && localOf(sc, t.name) === null) {
    sc.used.s = true;
    return `s.${t.name}.set(${js(t.index, sc, 0)}, ${v});`;
  }
  return `${js(t, sc, 0)} = ${v};`;
}

function stmts(list: readonly Stmt[], sc: Scope, ind: string): string[] {
  const out: string[] = [];
  for (const s of list) {
    if ('set' in s) out.push(`${ind}${assign(s.set, s.to, sc)}`);
    else if ('assert' in s) {
      sc.used.s = true;
      out.push(`${ind}s.assert(${js(parseExpr(s.assert), sc, 0)}, '${s.name}');`);
    } else if ('setAll' in s) {
      sc.used.s = true;
      out.push(`${ind}s.${s.setAll}.fill(${js(parseExpr(s.to), sc, 0)});`);
    } else {
      out.push(`${ind}if (${js(parseExpr(s.if), sc, 0)}) {`, ...stmts(s.then, sc, ind + '  '));
      if (s.else?.length) out.push(`${ind}} else {`, ...stmts(s.else, sc, ind + '  '));
      out.push(`${ind}}`);
    }
  }
  return out;
}

/** `(s, me) =>` with only the parameters the body uses named (`_s` for an unused first one). */
function params(sc: Scope): string {
  if (sc.used.c) return `(${sc.used.s ? 's' : '_s'}, ${sc.used.me ? 'me' : '_me'}, c)`;
  if (sc.used.me) return `(${sc.used.s ? 's' : '_s'}, me)`;
  return sc.used.s ? '(s)' : '()';
}

function domain(v: Var): string {
  const t = v.type;
  const elem =
    t.kind === 'bool'
      ? `bool(${t.init ? 'true' : ''})`
      : t.kind === 'int'
        ? `int(${t.min}, ${t.max}${t.init !== t.min ? `, ${t.init}` : ''})`
        : t.kind === 'tid'
          ? `threadId('${t.group}', { none: true })`
          : `oneOf(${t.values.map((x) => `'${x}'`).join(', ')})${t.init !== t.values[0] ? `.initially('${t.init}')` : ''}`;
  if (!v.array) return elem;
  return `array(${v.array.length}, ${elem})${v.array.index ? `.indexedBy('${v.array.index}')` : ''}`;
}

const q = (s: string) => `'${s}'`;

function group(g: Group, m: KernelModel, enums: Map<string, string>): string {
  const scope = (): Scope => ({ m, g, enums, used: { s: false, me: false, c: false } });
  const stepsSrc = g.steps.map((st) => {
    const parts: string[] = [`at: ${q(st.at)}`];
    if (st.choose !== undefined) parts.push(`choose: ${st.choose}`);
    if (st.when) {
      const sc = scope();
      const body = js(parseExpr(st.when), sc, 0);
      parts.push(`when: ${params(sc)} => ${body}`);
    }
    if (st.then?.length) {
      const sc = scope();
      const body = stmts(st.then, sc, '            ');
      parts.push(`then: ${params(sc)} => {\n${body.join('\n')}\n          }`);
    }
    if (typeof st.next === 'string') parts.push(`next: ${q(st.next)}`);
    else {
      const sc = scope();
      const c = js(parseExpr(st.next.if), sc, 0);
      parts.push(`next: ${params(sc)} => (${c} ? ${q(st.next.then)} : ${q(st.next.else)})`);
    }
    if (st.progress) parts.push('progress: true');
    return `        ${st.name}: {\n          ${parts.join(',\n          ')},\n        },`;
  });
  const named = new Set([g.start, ...g.end, ...g.steps.map((st) => st.at)]);
  const extra = labelsOf(g).filter((l) => !named.has(l));
  const def = [
    `      start: ${q(g.start)},`,
    ...(g.end.length ? [`      end: [${g.end.map(q).join(', ')}],`] : []),
    ...(extra.length ? [`      labels: [${extra.map(q).join(', ')}],`] : []),
    ...(g.locals.length ? [`      locals: { ${g.locals.map((l) => `${l.name}: ${domain(l)}`).join(', ')} },`] : []),
    '      steps: {',
    ...stepsSrc,
    '      },',
  ];
  return g.replicated ? `    replicate(${g.count}, ${q(g.name)}, {\n${def.join('\n')}\n    }),` : `    thread(${q(g.name)}, {\n${def.join('\n')}\n    }),`;
}

/**
 * The model file's source. `from` is the module the domain and model
 * constructors are imported from (a path to src/index.ts, or 'mmcheck').
 */
export function kernelMmcheck(m: KernelModel, from: string): string {
  const enums = new Map<string, string>();
  const addEnums = (v: Var) => {
    if (v.type.kind === 'enum') for (const x of v.type.values) enums.set(`${v.name}_${x}`, x);
  };
  m.shared.forEach(addEnums);
  m.groups.forEach((g) => g.locals.forEach(addEnums));
  for (const g of m.groups) for (const l of labelsOf(g)) enums.set(labelConst(g, l), l);
  const invariants = m.invariants.map((inv) => {
    const sc: Scope = { m, g: null, enums, used: { s: false, me: false, c: false } };
    const body = js(parseExpr(inv.expr), sc, 0);
    return `    ${q(inv.name)}: ${sc.used.s ? '(s)' : '()'} => ${body},`;
  });
  const used = ['defineModel', 'bool', 'int', 'oneOf', 'threadId', 'array', 'thread', 'replicate'].filter((f) => {
    if (f === 'defineModel') return true;
    if (f === 'thread') return m.groups.some((g) => !g.replicated);
    if (f === 'replicate') return m.groups.some((g) => g.replicated);
    const all = [...m.shared, ...m.groups.flatMap((g) => g.locals)];
    if (f === 'array') return all.some((v) => v.array);
    const kind = f === 'oneOf' ? 'enum' : f === 'threadId' ? 'tid' : f;
    return all.some((v) => v.type.kind === kind);
  });
  return [
    `// ${m.title} (printed by bench/peers/kernel-mmcheck.ts from its kernel-ir.ts description)`,
    `import { ${used.join(', ')} } from '${from}';`,
    '',
    'export default defineModel({',
    `  name: ${q(m.name)},`,
    '  shared: {',
    ...m.shared.map((v) => `    ${v.name}: ${domain(v)},`),
    '  },',
    '  threads: [',
    ...m.groups.map((g) => group(g, m, enums)),
    '  ],',
    ...(invariants.length ? ['  invariants: {', ...invariants, '  },'] : []),
    ...(m.deadlock ? [] : ['  deadlock: false,']),
    '});',
    '',
  ].join('\n');
}
