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
 */
import { labelConst, labelsOf, type Group, type KernelModel, type Stmt, type Var } from './kernel-ir.ts';

/** Neutral expression syntax -> Murphi. */
export function murphiExpr(e: string): string {
  return e.replace(/!=/g, '\u0001').replace(/==/g, '=').replace(/&&/g, '&').replace(/\|\|/g, '|').replace(/\u0001/g, '!=');
}

function typeOf(v: Var): string {
  const t = v.type;
  return t.kind === 'bool' ? 'boolean' : t.kind === 'int' ? `${t.min} .. ${t.max}` : `${v.name}_t`;
}
const initOf = (v: Var) => (v.type.kind === 'enum' ? `${v.name}_${v.type.init}` : String(v.type.init));

function stmts(list: readonly Stmt[], m: KernelModel, ind: string): string[] {
  const out: string[] = [];
  for (const s of list) {
    if ('set' in s) out.push(`${ind}${s.set} := ${murphiExpr(s.to)};`);
    else if ('assert' in s) out.push(`${ind}assert (${murphiExpr(s.assert)}) "${s.name}";`);
    else if ('setAll' in s) {
      const v = m.shared.find((x) => x.name === s.setAll)!;
      out.push(`${ind}for i_: ${v.array!.index}_id do ${s.setAll}[i_] := ${murphiExpr(s.to)}; end;`);
    } else {
      out.push(`${ind}if ${murphiExpr(s.if)} then`, ...stmts(s.then, m, ind + '  '));
      if (s.else?.length) out.push(`${ind}else`, ...stmts(s.else, m, ind + '  '));
      out.push(`${ind}end;`);
    }
  }
  return out;
}

const pcOf = (g: Group) => (g.replicated ? `${g.name}_pc[me]` : `${g.name}_pc`);

function rules(g: Group, m: KernelModel): string {
  const pc = pcOf(g);
  const body = g.steps.map((st) => {
    const guard = `${pc} = ${labelConst(g, st.at)}${st.when ? ` & (${murphiExpr(st.when)})` : ''}`;
    const next = typeof st.next === 'string' ? [`    ${pc} := ${labelConst(g, st.next)};`] : stmts([{ if: st.next.if, then: [{ set: pc, to: labelConst(g, st.next.then) }], else: [{ set: pc, to: labelConst(g, st.next.else) }] }], m, '    ');
    return [`  rule "${g.name}.${st.name}"`, `    ${guard}`, '  ==>', '  begin', ...stmts(st.then ?? [], m, '    '), ...next, '  end;', ''].join('\n');
  });
  return g.replicated ? `ruleset me: ${g.name}_id do\n\n${body.join('\n')}\nend;\n` : body.join('\n');
}

function deadlockInvariant(m: KernelModel): string {
  const ended = m.groups.map((g) => {
    const at = `(${g.end.map((e) => `${pcOf(g)} = ${labelConst(g, e)}`).join(' | ') || 'false'})`;
    return g.replicated ? `(forall me: ${g.name}_id do ${at} endforall)` : at;
  });
  const enabled = m.groups.map((g) => {
    const any = g.steps.map((st) => `(${pcOf(g)} = ${labelConst(g, st.at)}${st.when ? ` & (${murphiExpr(st.when)})` : ''})`).join('\n      | ');
    return g.replicated ? `(exists me: ${g.name}_id do\n      ${any}\n    endexists)` : `(${any})`;
  });
  return `invariant "deadlock-free"\n  (${ended.join(' & ')})\n  | ${enabled.join('\n  | ')};\n`;
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
      if (v.array.index) init.push(`  for i_: ${idx} do ${v.name}[i_] := ${initOf(v)}; end;`);
      else for (let i = 0; i < v.array.length; i++) init.push(`  ${v.name}[${i}] := ${initOf(v)};`);
    } else {
      vars.push(`  ${v.name}: ${typeOf(v)};`);
      init.push(`  ${v.name} := ${initOf(v)};`);
    }
  }
  for (const g of m.groups) {
    const all = [{ name: 'pc', t: `${g.name}_label`, init: labelConst(g, g.start) }, ...g.locals.map((l) => ({ name: l.name, t: typeOf(l), init: initOf(l) }))];
    for (const x of all) {
      if (g.replicated) {
        vars.push(`  ${g.name}_${x.name}: array [${g.name}_id] of ${x.t};`);
        init.push(`  for i_: ${g.name}_id do ${g.name}_${x.name}[i_] := ${x.init}; end;`);
      } else {
        vars.push(`  ${g.name}_${x.name}: ${x.t};`);
        init.push(`  ${g.name}_${x.name} := ${x.init};`);
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
    ...m.groups.map((g) => rules(g, m)),
    ...m.invariants.map((i) => `invariant "${i.name}"\n  ${murphiExpr(i.expr)};\n`),
    ...(m.deadlock ? [deadlockInvariant(m)] : []),
  ].join('\n');
}
