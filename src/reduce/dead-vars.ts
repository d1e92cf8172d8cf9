import type { BuiltModel, BuiltStep, BuiltTemplate } from '../model/build.ts';
import { partsOf } from '../model/blocks/compose.ts';
import { codeOnly, memberUses, paramNames } from '../model/source.ts';
import { cellFootprint, Cells, invariantCells } from './cells.ts';
import { makeDeadResets } from '../exec/dead-resets.ts';
import type { Runtime } from '../exec/runtime.ts';

/**
 * Dead-variable reduction (`--dead-vars`; SPIN's dataflow optimisation, and
 * the live-variable analysis of compilers): a thread-local variable is dead
 * at a label when on every path of the thread's control graph from there it
 * is written before it is read. Resetting it to its initial value when the
 * thread arrives at such a label (src/exec/dead-resets.ts) merges states that
 * differ only in values nothing will look at: the reset state and the
 * original have the same enabled steps and, step for step, the same futures
 * up to dead values, so every verdict (deadlock, invariant, assertion,
 * livelock under any fairness) is the same.
 *
 * Per step of a template: `gen` = the locals it reads anywhere (guard,
 * choose, effect, computed next; from cells.ts, so a local passed on or a
 * footprint that cannot be derived counts as reading every local); `kill` =
 * the locals its effect certainly writes without reading them: an assignment
 * `me.x = ...` in an effect with no branch, loop or short-circuit at all
 * (anything else may skip the write). Then
 *
 *   live(l) = ∪ over steps st at l of  gen(st) ∪ (live(next(st)) \ kill(st))
 *
 * to a fixpoint. A computed `next` is resolved to the label names its source
 * returns when every string in it is a label; otherwise every local is live
 * at the step's label. The analysis is off for the whole model (nothing is
 * dead) when another thread or an invariant may read a thread's locals: any
 * `s.local(...)`, an invariant that reads locals or cannot be analysed, or a
 * step whose footprint is unknown (it may hand the state to code that does).
 */
export interface DeadVarAnalysis {
  /** Per template index, per label index, the indices of the locals dead there. */
  readonly deadAt: readonly (readonly (readonly number[])[])[];
  /** Labels with dead locals, per template (for reports), in label order. */
  readonly dead: readonly { thread: string; label: string; locals: string[] }[];
  /** Why the analysis found nothing, or what it had to assume. */
  readonly notes: readonly string[];
}

const EXITS = /(?<![\w$])(?:return|throw|break|continue)(?![\w$])/;

const KEYWORDS = new Set(['true', 'false', 'null', 'undefined', 'typeof', 'void', 'function', 'return', 'if', 'else', 'const', 'let', 'var', 'async']);

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Locals the effect certainly writes: a top-level statement of its body that
 * begins `me.x = ...` (whatever the right side), with no `return`, `throw`,
 * `break` or `continue` in the statements before it. Statements are split at
 * `;` and after a `}` at the body's top level; an expression body counts when
 * it is itself the assignment.
 */
function mustWrites(fn: Function | null, tpl: BuiltTemplate): Set<number> {
  const out = new Set<number>();
  if (fn === null || partsOf(fn) !== null) return out;
  const params = paramNames(fn);
  const me = params?.[1];
  if (me === undefined) return out;
  const code = codeOnly(Function.prototype.toString.call(fn));
  const arrow = /^\s*(?:async\s*)?(?:\([^)]*\)|[\w$]+)\s*=>\s*/.exec(code);
  let body: string;
  if (arrow && code[arrow[0].length] !== '{') body = code.slice(arrow[0].length).replace(/^\(+/, '');
  else {
    const open = code.indexOf('{');
    if (open < 0) return out;
    body = code.slice(open + 1, code.lastIndexOf('}'));
  }
  const statements: string[] = [];
  let depth = 0;
  let from = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body[i]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      depth--;
      if (c === '}' && depth === 0) {
        statements.push(body.slice(from, i + 1));
        from = i + 1;
      }
    } else if (c === ';' && depth === 0) {
      statements.push(body.slice(from, i));
      from = i + 1;
    }
  }
  statements.push(body.slice(from));
  const assign = new RegExp(`^\\s*${escapeRe(me)}\\s*\\.\\s*([A-Za-z_$][\\w$]*)\\s*=(?!=)`);
  for (const st of statements) {
    const m = assign.exec(st);
    if (m) {
      const li = tpl.locals.findIndex((l) => l.name === m[1]);
      if (li >= 0) out.add(li);
    }
    if (EXITS.test(st)) break;
  }
  return out;
}

/**
 * Mark in `out` the locals a function reads: every `me.x` but the left side
 * of a plain assignment (`me.x += 1`, `me.x++` read it); `me` used any other
 * way (passed on, aliased) reads them all.
 */
function readLocals(fn: Function | null, tpl: BuiltTemplate, out: boolean[]): void {
  if (fn === null) return;
  const parts = partsOf(fn);
  if (parts !== null) {
    for (const p of parts) readLocals(p, tpl, out);
    return;
  }
  const params = paramNames(fn);
  if (params === null) return void out.fill(true);
  const me = params[1];
  if (me === undefined) return;
  const code = codeOnly(Function.prototype.toString.call(fn));
  const mu = memberUses(code, me);
  if (mu.uses.length !== mu.occurrences - 1) return void out.fill(true);
  for (const u of mu.uses) {
    const li = tpl.locals.findIndex((l) => l.name === u.name);
    if (li < 0) continue;
    if (!/^\s*=(?!=)/.test(code.slice(u.end))) out[li] = true;
  }
}

/** Labels a computed next can return: every string literal in its source, when all of them are labels. */
function nextTargets(st: BuiltStep, tpl: BuiltTemplate): number[] | null {
  if (st.next >= 0) return [st.next];
  if (st.nextFn === null || partsOf(st.nextFn) !== null) return null;
  const src = Function.prototype.toString.call(st.nextFn);
  if (src.includes('`')) return null;
  // Only literals can be returned: every name in the code is a parameter, a member after `.`, or a
  // keyword (a free name, such as a closure variable holding a label, could be any label).
  const params = paramNames(st.nextFn);
  if (params === null) return null;
  const code = codeOnly(src);
  for (const m of code.matchAll(/(?<![\w$.])[A-Za-z_$][\w$]*/g)) {
    const id = m[0];
    const after = code.slice(m.index! + id.length);
    if (params.includes(id) || KEYWORDS.has(id) || /^\s*=>/.test(after)) continue;
    return null;
  }
  const out: number[] = [];
  for (const m of src.matchAll(/'((?:[^'\\]|\\.)*)'|"((?:[^"\\]|\\.)*)"/g)) {
    const li = tpl.labelIndex.get(m[1] ?? m[2]!);
    if (li === undefined) return null;
    if (!out.includes(li)) out.push(li);
  }
  return out.length > 0 ? out : null;
}

export function deadVariables(b: BuiltModel): DeadVarAnalysis {
  const none = (notes: string[]): DeadVarAnalysis => ({ deadAt: b.templates.map((t) => t.labels.map(() => [])), dead: [], notes });
  const cells = new Cells(b);
  const inv = invariantCells(b, cells);
  if (b.invariants.length > 0 && (inv.unknown || inv.threads))
    return none([inv.unknown ? `invariants: ${inv.why} (every local is live)` : 'invariants read thread labels or locals (every local is live)']);
  // Footprints of each template's steps, from its first instance (locals are per template, by index).
  const fps = b.templates.map((tpl) => {
    const th = b.threads.find((x) => x.template.index === tpl.index)!;
    return tpl.steps.map((st) => cellFootprint(b, cells, th, st));
  });
  for (let ti = 0; ti < b.templates.length; ti++)
    for (let si = 0; si < b.templates[ti]!.steps.length; si++) {
      const fp = fps[ti]![si]!;
      const st = b.templates[ti]!.steps[si]!;
      if (fp.unknown) return none([`${b.templates[ti]!.name}.${st.name}: ${fp.why} (it may read other threads' locals: every local is live)`]);
      if (fp.writesThreads) return none([`${b.templates[ti]!.name}.${st.name} uses s.local (other threads' locals are read: every local is live)`]);
    }
  const notes: string[] = [];
  const deadAt: number[][][] = [];
  const dead: { thread: string; label: string; locals: string[] }[] = [];
  for (const tpl of b.templates) {
    const L = tpl.labels.length;
    const V = tpl.locals.length;
    const live: boolean[][] = Array.from({ length: L }, () => new Array<boolean>(V).fill(false));
    const gen = tpl.steps.map((st) => {
      const r = new Array<boolean>(V).fill(false);
      for (const fn of [st.guard, st.chooseFn, st.effect, st.nextFn]) readLocals(fn, tpl, r);
      return r;
    });
    const kill = tpl.steps.map((st) => mustWrites(st.effect, tpl));
    const targets = tpl.steps.map((st) => nextTargets(st, tpl));
    for (const st of tpl.steps) if (targets[st.index] === null) notes.push(`${tpl.name}.${st.name}: its next cannot be resolved to labels (every local is live at ${tpl.labels[st.at]})`);
    for (let changed = true; changed; ) {
      changed = false;
      for (const st of tpl.steps) {
        const row = live[st.at]!;
        const tg = targets[st.index]!;
        for (let v = 0; v < V; v++) {
          if (row[v]) continue;
          let x = tg === null || gen[st.index]![v]!;
          if (!x && !kill[st.index]!.has(v)) for (const l of tg!) if (live[l]![v]) x = true;
          if (x) {
            row[v] = true;
            changed = true;
          }
        }
      }
    }
    const per: number[][] = [];
    for (let l = 0; l < L; l++) {
      const d: number[] = [];
      for (let v = 0; v < V; v++) if (!live[l]![v]) d.push(v);
      per.push(d);
      if (d.length > 0 && V > 0) dead.push({ thread: tpl.name, label: tpl.labels[l]!, locals: d.map((v) => tpl.locals[v]!.name) });
    }
    deadAt.push(per);
  }
  return { deadAt, dead, notes };
}

/**
 * `--dead-vars`: rt resets the model's dead locals where they are dead (the
 * analysis is a function of the model, so every worker of a multi-core
 * search that loads the same model makes the same resets).
 */
export function applyDeadVariables(model: BuiltModel, rt: Runtime, dv: DeadVarAnalysis = deadVariables(model)): void {
  if (dv.dead.length > 0) rt.deadResets = makeDeadResets(model, rt.layout, dv.deadAt);
}
