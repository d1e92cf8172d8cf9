/**
 * Promela (SPIN) ports of the kernel models, printed from the step-by-step
 * descriptions in kernel-ir.ts. The encoding follows promela.ts, so that
 * SPIN's reachable state space is exactly the model's plus `init`'s root:
 *
 * - Every model variable, thread local and thread label is a global (locals
 *   and labels of a replicated group are arrays indexed by the replica id),
 *   with the model's initial values. Enum values and labels are #defines.
 * - One proctype per thread group (parameter `p` = replica id) with a single
 *   `do` loop; each mmcheck step is one `d_step { label && guard -> effect;
 *   next label }` branch, so one enabled step = one SPIN transition, and the
 *   process's own control state never changes.
 * - Invariants are asserted at the end of every d_step (and once in `init`
 *   for the initial state): no monitor process, which would add states.
 * - Deadlock (mmcheck: no step enabled and some thread not at an end label):
 *   the loop heads are `end` labels, so SPIN itself never reports a blocked
 *   thread; a `watchdog` process fires `timeout && !(all threads at end
 *   labels)` -> assert(false). Its location is constant unless the model
 *   deadlocks, so it adds no states.
 * - `init` starts every process in one `atomic` (runSpin's initStates = 1).
 * - A thread id is a byte, 255 for `none`; `COUNT_<group>_<label>` is a
 *   #define summing the replicas at the label; a step with `choose: N` is N
 *   branches, the choice `c` replaced by its value in each.
 */
import { labelConst, labelsOf, type Group, type KernelModel, type Stmt, type Var } from './kernel-ir.ts';

/** Promela keywords that are also model variable names (e.g. interval-notifier's `active`) get a trailing underscore. */
const KEYWORDS = new Set(['active', 'assert', 'atomic', 'bit', 'bool', 'break', 'byte', 'chan', 'd_step', 'do', 'else', 'empty', 'enabled', 'eval', 'fi', 'full', 'goto', 'hidden', 'if', 'init', 'inline', 'int', 'len', 'local', 'mtype', 'nempty', 'never', 'nfull', 'od', 'of', 'pc_value', 'printf', 'priority', 'proctype', 'provided', 'run', 'select', 'short', 'show', 'skip', 'timeout', 'trace', 'typedef', 'unless', 'unsigned', 'xr', 'xs']);
const ident = (name: string) => (KEYWORDS.has(name) ? `${name}_` : name);
const NONE = '255';
const expr = (e: string, me: string) => e.replace(/\bme\b/g, me).replace(/\bnone\b/g, NONE).replace(/\b[A-Za-z_]\w*\b/g, (w) => ident(w));

/** The step for choice k: `c` replaced by k in its effect and `next`. */
export function atChoice<T>(x: T, k: number): T {
  return JSON.parse(JSON.stringify(x).replace(/\bc\b/g, String(k))) as T;
}

function decl(v: Var, name: string, count: number | null): string {
  const t = v.type;
  const ty = t.kind === 'bool' ? 'bool' : 'byte';
  const init = t.kind === 'bool' ? String(t.init) : t.kind === 'int' ? String(t.init) : t.kind === 'tid' ? NONE : `${v.name}_${t.init}`;
  const len = count ?? v.array?.length;
  const range = t.kind === 'int' ? `${t.min}..${t.max}` : t.kind === 'enum' ? t.values.join('|') : t.kind === 'tid' ? `${t.group} id | ${NONE} none` : 'bool';
  return `${ty} ${ident(name)}${len !== undefined && len !== null ? `[${len}]` : ''} = ${init};   /* ${range} */`;
}

function stmts(list: readonly Stmt[], m: KernelModel, me: string, ind: string): string[] {
  const out: string[] = [];
  for (const s of list) {
    if ('set' in s) out.push(`${ind}${expr(s.set, me)} = ${expr(s.to, me)};`);
    else if ('assert' in s) out.push(`${ind}assert(${expr(s.assert, me)});   /* ${s.name} */`);
    else if ('setAll' in s) {
      const v = m.shared.find((x) => x.name === s.setAll)!;
      for (let i = 0; i < v.array!.length; i++) out.push(`${ind}${ident(s.setAll)}[${i}] = ${expr(s.to, me)};`);
    } else {
      out.push(`${ind}if`);
      const t = stmts(s.then, m, me, ind + '   ');
      out.push(`${ind}:: (${expr(s.if, me)}) ->`, ...(t.length ? t : [`${ind}   skip;`]));
      const e = stmts(s.else ?? [], m, me, ind + '   ');
      out.push(`${ind}:: else ->`, ...(e.length ? e : [`${ind}   skip;`]));
      out.push(`${ind}fi;`);
    }
  }
  return out;
}

function allEnded(m: KernelModel): string {
  const parts: string[] = [];
  for (const g of m.groups)
    for (let i = 0; i < g.count; i++) {
      const pc = g.replicated ? `${g.name}_pc[${i}]` : `${g.name}_pc`;
      parts.push(`(${g.end.map((e) => `${pc} == ${labelConst(g, e)}`).join(' || ') || 'false'})`);
    }
  return parts.join(' && ');
}

/** The labels a step may go to. */
const nextsOf = (st: Group['steps'][number]) => (typeof st.next === 'string' ? [st.next] : [st.next.then, st.next.else]);

/** Every replica of every group with progress steps is at an end label. */
function allProgressEnded(m: KernelModel): string {
  const parts: string[] = [];
  for (const g of m.groups.filter((x) => x.steps.some((st) => st.progress)))
    for (let i = 0; i < g.count; i++) {
      const pc = g.replicated ? `${g.name}_pc[${i}]` : `${g.name}_pc`;
      parts.push(`(${g.end.map((e) => `${pc} == ${labelConst(g, e)}`).join(' || ') || 'false'})`);
    }
  return parts.join(' && ') || 'false';
}

function proctype(g: Group, m: KernelModel, np: boolean): string {
  const me = 'p';
  const pc = g.replicated ? `${g.name}_pc[p]` : `${g.name}_pc`;
  // Non-progress search: a progress step passes the `progress` label; a step of a
  // progress group that may end the thread jumps, when every progress thread has
  // ended, to a progress location for good (mmcheck: such a cycle is not a livelock).
  const hasProgress = np && g.steps.some((st) => st.progress);
  const branches = g.steps.flatMap((st0) => (st0.choose === undefined ? [st0] : Array.from({ length: st0.choose }, (_, k) => ({ ...atChoice({ ...st0, when: undefined }, k), when: st0.when, name: `${st0.name} c=${k}` })))).map((st) => {
    const guard = `${pc} == ${labelConst(g, st.at)}${st.when ? ` && (${expr(st.when, me)})` : ''}`;
    const body = stmts(st.then ?? [], m, me, '       ');
    const next =
      typeof st.next === 'string'
        ? [`       ${pc} = ${labelConst(g, st.next)};`]
        : stmts([{ if: st.next.if, then: [{ set: pc, to: labelConst(g, st.next.then) }], else: [{ set: pc, to: labelConst(g, st.next.else) }] }], m, me, '       ');
    const mayEnd = hasProgress && nextsOf(st).some((l) => g.end.includes(l));
    const progress = np && st.progress;
    if (mayEnd)
      return [`  :: atomic { /* ${g.name}.${st.name} */ ${guard} ->`, ...body, ...next, '       INVARIANTS;', `       if :: ALL_PROGRESS_ENDED -> goto finished :: else -> ${progress ? 'goto progressed' : 'skip'} fi`, '     }'].join('\n');
    return [`  :: d_step { /* ${g.name}.${st.name} */ ${guard} ->`, ...body, ...next, '       INVARIANTS', `     }${progress ? '; goto progressed' : ''}`].join('\n');
  });
  const tail = [
    ...(np && g.steps.some((st) => st.progress) ? ['progressed:', 'progress: goto loop;'] : []),
    ...(hasProgress && g.steps.some((st) => nextsOf(st).some((l) => g.end.includes(l))) ? ['finished:', 'progress_finished: false'] : []),
  ];
  return `proctype ${g.name}(${g.replicated ? 'byte p' : ''}) {\nloop:\nend:\n  do\n${branches.join('\n')}\n  od${tail.length ? `;\n${tail.join('\n')}` : ''}\n}\n`;
}

/**
 * SPIN hides variables that are written but never read (`spin -o2` would keep
 * them): e.g. migration-entry-wait's `res` when onFailure=retry. mmcheck and
 * Rumur keep every variable in the state, so the port reads each one once,
 * in an assertion that always holds, at the end of init's atomic.
 */
function keepAll(m: KernelModel): string {
  const reads: string[] = [];
  for (const v of m.shared) reads.push(v.array ? `${ident(v.name)}[0] == ${ident(v.name)}[0]` : `${ident(v.name)} == ${ident(v.name)}`);
  for (const g of m.groups)
    for (const name of ['pc', ...g.locals.map((l) => l.name)]) {
      const x = `${g.name}_${name}${g.replicated ? '[0]' : ''}`;
      reads.push(`${x} == ${x}`);
    }
  return `assert(${reads.join(' && ')})   /* every variable is read: nothing is hidden as write-only */`;
}

/**
 * `nonProgress`: the port for SPIN's non-progress-cycle search (`-DNP`,
 * `pan -l [-f]`) beside mmcheck's livelock check: progress steps pass a
 * `progress` label, no deadlock watchdog, and the cycles mmcheck exempts
 * (every thread with progress steps has ended) reach a progress location.
 */
export function kernelPromela(m: KernelModel, opts: { nonProgress?: boolean } = {}): string {
  const np = opts.nonProgress ?? false;
  const defs: string[] = [];
  const enums = (v: Var) => {
    if (v.type.kind === 'enum') v.type.values.forEach((x, i) => defs.push(`#define ${v.name}_${x} ${i}`));
  };
  m.shared.forEach(enums);
  for (const g of m.groups) {
    g.locals.forEach(enums);
    labelsOf(g).forEach((l, i) => defs.push(`#define ${labelConst(g, l)} ${i}`));
  }
  for (const g of m.groups)
    if (g.replicated)
      for (const l of labelsOf(g)) defs.push(`#define COUNT_${g.name}_${l} (${Array.from({ length: g.count }, (_, i) => `(${g.name}_pc[${i}] == ${labelConst(g, l)} -> 1 : 0)`).join(' + ')})`);
  const vars: string[] = m.shared.map((v) => decl(v, v.name, null));
  for (const g of m.groups) {
    const labels = labelsOf(g);
    const n = g.replicated ? g.count : null;
    vars.push(`byte ${g.name}_pc${n !== null ? `[${n}]` : ''} = ${labelConst(g, g.start)};   /* ${labels.join('|')} */`);
    for (const l of g.locals) vars.push(decl(l, `${g.name}_${l.name}`, n));
  }
  const inv = m.invariants.map((i) => `assert(${expr(i.expr, 'p')})`).join('; ');
  const runs = m.groups.flatMap((g) => (g.replicated ? Array.from({ length: g.count }, (_, i) => `    run ${g.name}(${i});`) : [`    run ${g.name}();`]));
  const watchdog = m.deadlock && !np;
  if (watchdog) runs.push('    run watchdog();');
  return [
    `/* ${m.title} (generated by mmcheck bench/peers/kernel-promela.ts from kernel-ir.ts) */`,
    ...defs,
    `#define INVARIANTS ${inv || 'skip'}   /* ${m.invariants.map((i) => i.name).join(', ')} */`,
    `#define ALL_ENDED (${allEnded(m)})`,
    ...(np ? [`#define ALL_PROGRESS_ENDED (${allProgressEnded(m)})`] : []),
    '',
    ...vars,
    '',
    ...m.groups.map((g) => proctype(g, m, np)),
    ...(watchdog ? ['/* deadlock: nothing can move and some thread is not at an end label */', 'proctype watchdog() {\nend:\n  do\n  :: timeout && !ALL_ENDED -> assert(false)\n  od\n}\n'] : []),
    `init {\n  atomic {\n${runs.join('\n')}\n    INVARIANTS;\n    ${keepAll(m)}\n  }\n}\n`,
  ].join('\n');
}
