/**
 * Murphi (Rumur) ports of the kernel models, printed from the step-by-step
 * descriptions in kernel-ir.ts:
 *
 * - The replica ids of a replicated thread group are a `scalarset`, so
 *   Rumur's `--symmetry-reduction` permutes them (with `off` they behave as
 *   a range type). Every array indexed by replica ids (thread locals, labels
 *   and shared arrays declared `.indexedBy(group)` in mmcheck) is indexed by
 *   that scalarset; the ids are only used as indices and loop variables.
 * - Each mmcheck step is one `rule` (in a `ruleset me: <group>_id` for a
 *   replicated group): guard = the thread is at the step's label and the
 *   step's guard holds; body = the effect, then the next label.
 * - One `startstate` with every variable set to the model's initial value
 *   (no undefined values), and only the model's variables as state, so
 *   Rumur's "states" and "rules fired" are directly the model's counts.
 * - Invariants are Murphi invariants. Deadlock (mmcheck: no step enabled and
 *   some thread not at an end label) is the invariant "deadlock-free": all
 *   threads at end labels, or some rule enabled. Run Rumur with
 *   `--deadlock-detection off` (Rumur's own notion flags valid termination).
 * - A thread id is a variable of its group's id type, undefined for `none`
 *   (reading an undefined value is an error in Murphi, so every comparison
 *   of ids tests `isundefined` first, and copying one copies undefinedness).
 *   `COUNT_<group>_<label>` is a function counting the replicas at the label.
 *   A step with `choose: N` is a `ruleset c: 0 .. N-1` of its rule.
 */
import { labelConst, labelsOf, type Group, type KernelModel, type Stmt, type Var } from './kernel-ir.ts';
import { parseExpr } from './kernel-mmcheck.ts';

/** Neutral expression syntax -> Murphi. */
export function murphiExpr(e: string): string {
  return e.replace(/!=/g, '\u0001').replace(/==/g, '=').replace(/&&/g, '&').replace(/\|\|/g, '|').replace(/\u0001/g, '!=');
}

type Expr = ReturnType<typeof parseExpr>;

/** What the expression printer needs to know: the model, and the group whose step it is (null in an invariant). */
interface Ctx {
  m: KernelModel;
  g: Group | null;
}

/** The thread-id variable (or element) `name` of the model, or of a group's locals: its group. */
function tidVar(c: Ctx, name: string): string | null {
  const v = c.m.shared.find((x) => x.name === name) ?? c.m.groups.flatMap((g) => g.locals.map((l) => ({ ...l, name: `${g.name}_${l.name}` }))).find((x) => x.name === name);
  return v?.type.kind === 'tid' ? v.type.group : null;
}

/** The group of a thread-id valued expression ('' for `none`), or null when it is no thread id. */
function tidOf(e: Expr, c: Ctx): string | null {
  if (e.k === 'id' && e.name === 'none') return '';
  if (e.k === 'id' && e.name === 'me') return c.g?.replicated ? c.g.name : null;
  if (e.k === 'id' || e.k === 'index') return tidVar(c, e.name);
  return null;
}

const BIN: Record<string, string> = { '==': '=', '!=': '!=', '&&': '&', '||': '|' };

/** Neutral syntax -> Murphi, fully parenthesised, thread ids compared with their undefinedness. */
function mx(e: Expr, c: Ctx): string {
  switch (e.k) {
    case 'num':
      return String(e.v);
    case 'bool':
      return String(e.v);
    case 'un':
      return `${e.op}(${mx(e.e, c)})`;
    case 'index':
      return `${e.name}[${mx(e.index, c)}]`;
    case 'id':
      return /^COUNT_/.test(e.name) ? `${e.name}()` : e.name;
    case 'bin': {
      // A comparison with a thread-id variable or none (`me` alone is a number, as in an asymmetric group's `me == 0`).
      const tid = (x: Expr) => tidOf(x, c) !== null && !isMe(x);
      if ((e.op === '==' || e.op === '!=') && (tid(e.l) || tid(e.r))) {
        const eq = tidEquals(e.l, e.r, c);
        return e.op === '==' ? eq : `!${eq}`;
      }
      return `(${mx(e.l, c)} ${BIN[e.op] ?? e.op} ${mx(e.r, c)})`;
    }
  }
}

const isNone = (e: Expr) => e.k === 'id' && e.name === 'none';
const isMe = (e: Expr) => e.k === 'id' && e.name === 'me';

/** mmcheck's `a === b` on thread ids (none is -1): undefined equals only undefined. */
function tidEquals(a: Expr, b: Expr, c: Ctx): string {
  if (isNone(a) && isNone(b)) return 'true';
  if (isNone(a) || isNone(b)) return `isundefined(${mx(isNone(a) ? b : a, c)})`;
  if (isMe(a) && isMe(b)) return 'true';
  if (isMe(a) || isMe(b)) {
    const x = mx(isMe(a) ? b : a, c);
    return `(!isundefined(${x}) & ${x} = me)`;
  }
  const x = mx(a, c);
  const y = mx(b, c);
  return `((isundefined(${x}) & isundefined(${y})) | (!isundefined(${x}) & !isundefined(${y}) & ${x} = ${y}))`;
}

/** The model uses thread ids or counts: expressions go through the typed printer. */
const typed = (m: KernelModel) =>
  [...m.shared, ...m.groups.flatMap((g) => g.locals)].some((v) => v.type.kind === 'tid') || JSON.stringify(m).includes('COUNT_') || m.groups.some((g) => g.steps.some((st) => st.choose !== undefined));

function ex(e: string, c: Ctx): string {
  return typed(c.m) ? mx(parseExpr(e), c) : murphiExpr(e);
}

/** `target := value`, where undefinedness is copied for thread ids. */
function assign(target: string, value: string, c: Ctx, ind: string): string {
  if (!typed(c.m)) return `${ind}${target} := ${murphiExpr(value)};`;
  const t = parseExpr(target);
  const v = parseExpr(value);
  if (tidOf(t, c) !== null || tidOf(v, c) !== null) {
    if (isNone(v)) return `${ind}undefine ${mx(t, c)};`;
    if (isMe(v)) return `${ind}${mx(t, c)} := me;`;
    return `${ind}if isundefined(${mx(v, c)}) then undefine ${mx(t, c)}; else ${mx(t, c)} := ${mx(v, c)}; end;`;
  }
  return `${ind}${mx(t, c)} := ${mx(v, c)};`;
}

function typeOf(v: Var): string {
  const t = v.type;
  return t.kind === 'bool' ? 'boolean' : t.kind === 'int' ? `${t.min} .. ${t.max}` : t.kind === 'tid' ? `${t.group}_id` : `${v.name}_t`;
}
/** The initial value, or null for undefined (a thread id's none). */
const initOf = (v: Var) => (v.type.kind === 'enum' ? `${v.name}_${v.type.init}` : v.type.kind === 'tid' ? null : String(v.type.init));
const initTo = (target: string, init: string | null) => (init === null ? `undefine ${target};` : `${target} := ${init};`);

function stmts(list: readonly Stmt[], m: KernelModel, ind: string, g: Group | null = null): string[] {
  const c: Ctx = { m, g };
  const out: string[] = [];
  for (const s of list) {
    if ('set' in s) out.push(assign(s.set, s.to, c, ind));
    else if ('assert' in s) out.push(`${ind}assert (${ex(s.assert, c)}) "${s.name}";`);
    else if ('setAll' in s) {
      const v = m.shared.find((x) => x.name === s.setAll)!;
      out.push(`${ind}for i_: ${v.array!.index}_id do`, assign(`${s.setAll}[i_]`, s.to, c, ind + '  '), `${ind}end;`);
    } else {
      out.push(`${ind}if ${ex(s.if, c)} then`, ...stmts(s.then, m, ind + '  ', g));
      if (s.else?.length) out.push(`${ind}else`, ...stmts(s.else, m, ind + '  ', g));
      out.push(`${ind}end;`);
    }
  }
  return out;
}

const pcOf = (g: Group) => (g.replicated ? `${g.name}_pc[me]` : `${g.name}_pc`);

function rules(g: Group, m: KernelModel): string {
  const pc = pcOf(g);
  const c: Ctx = { m, g };
  const body = g.steps.map((st) => {
    const guard = `${pc} = ${labelConst(g, st.at)}${st.when ? ` & (${ex(st.when, c)})` : ''}`;
    const next = typeof st.next === 'string' ? [`    ${pc} := ${labelConst(g, st.next)};`] : stmts([{ if: st.next.if, then: [{ set: pc, to: labelConst(g, st.next.then) }], else: [{ set: pc, to: labelConst(g, st.next.else) }] }], m, '    ', g);
    const rule = [`  rule "${g.name}.${st.name}"`, `    ${guard}`, '  ==>', '  begin', ...stmts(st.then ?? [], m, '    ', g), ...next, '  end;'].join('\n');
    return st.choose === undefined ? `${rule}\n` : `  ruleset c: 0 .. ${st.choose - 1} do\n${rule}\n  end;\n`;
  });
  return g.replicated ? `ruleset me: ${g.name}_id do\n\n${body.join('\n')}\nend;\n` : body.join('\n');
}

function deadlockInvariant(m: KernelModel): string {
  const ended = m.groups.map((g) => {
    const at = `(${g.end.map((e) => `${pcOf(g)} = ${labelConst(g, e)}`).join(' | ') || 'false'})`;
    return g.replicated ? `(forall me: ${g.name}_id do ${at} endforall)` : at;
  });
  const enabled = m.groups.map((g) => {
    const any = g.steps.map((st) => `(${pcOf(g)} = ${labelConst(g, st.at)}${st.when ? ` & (${ex(st.when, { m, g })})` : ''})`).join('\n      | ');
    return g.replicated ? `(exists me: ${g.name}_id do\n      ${any}\n    endexists)` : `(${any})`;
  });
  return `invariant "deadlock-free"\n  (${ended.join(' & ')})\n  | ${enabled.join('\n  | ')};\n`;
}

/** `COUNT_<group>_<label>()` for every count the model reads. */
function counts(m: KernelModel): string[] {
  const used = new Set(JSON.stringify(m).match(/\bCOUNT_\w+/g) ?? []);
  const out: string[] = [];
  for (const g of m.groups)
    for (const l of labelsOf(g)) {
      const f = `COUNT_${g.name}_${l}`;
      if (g.replicated && used.has(f))
        out.push(`function ${f}(): 0 .. ${g.count};\nvar k_: 0 .. ${g.count};\nbegin\n  k_ := 0;\n  for i_: ${g.name}_id do if ${g.name}_pc[i_] = ${labelConst(g, l)} then k_ := k_ + 1; end; end;\n  return k_;\nend;\n`);
    }
  return out;
}

export function kernelMurphi(m: KernelModel): string {
  const types: string[] = [];
  for (const g of m.groups) if (g.replicated) types.push(g.symmetric === false ? `  ${g.name}_id: 0 .. ${g.count - 1};` : `  ${g.name}_id: scalarset(${g.count});`);
  const enumType = (v: Var) => {
    if (v.type.kind === 'enum') types.push(`  ${v.name}_t: enum { ${v.type.values.map((x) => `${v.name}_${x}`).join(', ')} };`);
  };
  m.shared.forEach(enumType);
  for (const g of m.groups) {
    g.locals.forEach(enumType);
    types.push(`  ${g.name}_label: enum { ${labelsOf(g).map((l) => labelConst(g, l)).join(', ')} };`);
  }
  const vars: string[] = [];
  const init: string[] = [];
  for (const v of m.shared) {
    if (v.array) {
      const idx = v.array.index ? `${v.array.index}_id` : `0 .. ${v.array.length - 1}`;
      vars.push(`  ${v.name}: array [${idx}] of ${typeOf(v)};`);
      if (v.array.index) init.push(`  for i_: ${idx} do ${initTo(`${v.name}[i_]`, initOf(v))} end;`);
      else for (let i = 0; i < v.array.length; i++) init.push(`  ${initTo(`${v.name}[${i}]`, initOf(v))}`);
    } else {
      vars.push(`  ${v.name}: ${typeOf(v)};`);
      init.push(`  ${initTo(v.name, initOf(v))}`);
    }
  }
  for (const g of m.groups) {
    const all = [{ name: 'pc', t: `${g.name}_label`, init: labelConst(g, g.start) }, ...g.locals.map((l) => ({ name: l.name, t: typeOf(l), init: initOf(l) }))];
    for (const x of all) {
      if (g.replicated) {
        vars.push(`  ${g.name}_${x.name}: array [${g.name}_id] of ${x.t};`);
        init.push(`  for i_: ${g.name}_id do ${initTo(`${g.name}_${x.name}[i_]`, x.init)} end;`);
      } else {
        vars.push(`  ${g.name}_${x.name}: ${x.t};`);
        init.push(`  ${initTo(`${g.name}_${x.name}`, x.init)}`);
      }
    }
  }
  return [
    `-- ${m.title} (generated by mmcheck bench/peers/kernel-murphi.ts from kernel-ir.ts)`,
    'type',
    ...types,
    '',
    'var',
    ...vars,
    '',
    'startstate "init"',
    'begin',
    ...init,
    'end;',
    '',
    ...counts(m),
    ...m.groups.map((g) => rules(g, m)),
    ...m.invariants.map((i) => `invariant "${i.name}"\n  ${ex(i.expr, { m, g: null })};\n`),
    ...(m.deadlock ? [deadlockInvariant(m)] : []),
  ].join('\n');
}
