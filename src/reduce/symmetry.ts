import { McError, q } from '../model/errors.ts';
import type { BuiltModel } from '../model/build.ts';
import { maskOf, type Layout, type Slot } from '../layout/layout.ts';
import { enclosingOpen, endAtDepthZero, paramNames, withoutComments } from '../model/source.ts';
import { leafFunctions } from '../model/blocks/compose.ts';

/**
 * Symmetry reduction (Ip and Dill's scalarsets; Emerson and Sistla): the
 * replicas of a thread group are interchangeable when the model uses their
 * ids only as names. A state is replaced by its canonical representative:
 * the lexicographically smallest packed word vector over every permutation
 * of every symmetric group (exact for small groups: n! permutations). When
 * no value of type `threadId` names a replica of a symmetric group, a
 * replica is all its own slots (label, locals, its elements of the indexed
 * arrays), so sorting the replicas by those slots is canonical too (equal
 * replicas are interchangeable) and costs n log n instead of n!: that form
 * is used whenever it applies, and groups of more than 6 replicas are
 * permuted only then. Either form gives one representative per orbit, so
 * counts are the same. A permutation moves each
 * replica's label and locals, the elements of arrays declared
 * `.indexedBy(group)`, and renames every value of type `threadId(group)`.
 *
 * Permutations of threads are Int32Arrays over the runtime's thread indices
 * (`perm[t]` is where thread t goes); `canonicalize` can report the one it
 * applied, and `permute` applies any, which is what the symmetric liveness
 * search needs to follow threads through the quotient.
 *
 * Which groups are symmetric is checked on the model's source: a replica id
 * (`me.id`, or a threadId value) may only be stored, compared for (in)equality
 * or used to index an array indexed by its group; no arithmetic, ordering,
 * literal ids (other than -1 for none), `s.at`/`s.local` with a literal
 * index, or indexing of undeclared arrays. A group that fails is not
 * permuted and the reason is reported; if none qualifies, --symmetry is
 * refused. `--cross-check` compares the result with the unreduced search.
 */
export interface GroupReport {
  group: string;
  replicas: number;
  symmetric: boolean;
  reason: string;
}

const MAX_REPLICAS = 6;

function permutations(n: number): Int32Array[] {
  const out: Int32Array[] = [];
  const a = Array.from({ length: n }, (_, i) => i);
  const rec = (k: number) => {
    if (k === n) {
      out.push(Int32Array.from(a));
      return;
    }
    for (let i = k; i < n; i++) {
      [a[k], a[i]] = [a[i]!, a[k]!];
      rec(k + 1);
      [a[k], a[i]] = [a[i]!, a[k]!];
    }
  };
  rec(0);
  return out;
}

const factorial = (n: number): number => (n <= 1 ? 1 : n * factorial(n - 1));

function writeSlot(buf: Uint32Array, off: number, s: Slot, c: number): void {
  const m = maskOf(s.width) << s.shift;
  buf[off + s.word] = (buf[off + s.word]! & ~m) | ((c << s.shift) & m);
}

/** Order of two replicas of a group by their slots, family by family. */
function compareReplicas(codes: Int32Array, fam: Int32Array[], a: number, b: number): number {
  for (let f = 0; f < fam.length; f++) {
    const d = codes[fam[f]![a]!]! - codes[fam[f]![b]!]!;
    if (d !== 0) return d;
  }
  return 0;
}

/** What may stand on either side of a whole comparison (`(`, `&&`, `?`, an assignment, `return`, ...), so that no operator binds to its operands. */
const BOUND_BEFORE = /(?:^|[;,({[:?!]|&&|\|\||=>|(?<![\w$.])return|[^=!<>]=)\s*$/;
const BOUND_AFTER = /^\s*(?:$|[;,)}\]:?]|&&|\|\|)/;

/** The expression in `text` from `from` to the first `;` or `,` or closing bracket outside brackets (its end), trimmed. */
function expressionAt(text: string, from: number): { expr: string; end: number } {
  const k = endAtDepthZero(text, from, (c) => c === ';' || c === ',');
  return { expr: text.slice(from, k).trim(), end: k };
}

/** The value assigned in `after` (which starts with `=`). */
const assignedValue = (after: string): string => expressionAt(after, 1).expr;

/** The arguments of the call whose list starts at `from` (just after its `(`), split at the commas outside brackets. */
function callArguments(text: string, from: number): string[] {
  const args: string[] = [];
  for (let k = from; k < text.length; ) {
    const { expr, end } = expressionAt(text, k);
    if (expr !== '' || text[end] === ',') args.push(expr);
    if (text[end] !== ',') break;
    k = end + 1;
  }
  return args;
}

/** Source-level check that a group's ids are used only as names. Returns a reason, or '' when symmetric. */
/** What a function does with `name` (the state or the locals) at `at`, where it is not followed by a dot. */
function bareUse(src: string, at: number, name: string): string {
  const after = src.slice(at + name.length).trimStart();
  const before = src.slice(0, at).trimEnd();
  if (after.startsWith('[')) return `reads ${name}[...], a member by a computed name`;
  if (/\}\s*=$/.test(before)) return `destructures ${name} (const { ... } = ${name})`;
  if (/(?<![=!<>])=$/.test(before)) return `copies ${name} into another name (an alias)`;
  if (/(?:\(|,)$/.test(before)) return `passes ${name} to a function that is not among the model's helpers`;
  return `uses ${name} other than through ${name}.NAME`;
}

/** Whether a domain holds ids of group `g` (a threadId, or an array of them). */
const namesIdsOf = (g: string) => (d: { kind: string; group?: string; elem?: { kind: string; group?: string } }) =>
  (d.kind === 'threadId' && d.group === g) || (d.kind === 'array' && d.elem!.kind === 'threadId' && d.elem!.group === g);

/** Each thread group of `b` with two or more replicas, whether `--symmetry` permutes it (else why not), and whether a symmetric group's ids are stored in the state (then sorting the replicas is not canonical). */
function groupsOf(b: BuiltModel): { groups: GroupReport[]; idsStored: boolean } {
  const hasIds = (g: string) => b.shared.some((v) => namesIdsOf(g)(v.domain as never)) || b.templates.some((t) => t.locals.some((l) => namesIdsOf(g)(l.domain as never)));
  const reasons = b.templates.filter((t) => t.replicated && t.count >= 2).map((t) => ({ t, reason: asymmetryReason(b, t.name) }));
  const idsStored = reasons.some(({ t, reason }) => reason === '' && hasIds(t.name));
  const groups = reasons.map(({ t, reason }) => {
    if (reason === '' && t.count > MAX_REPLICAS && idsStored)
      reason = `${t.count} replicas and threadId values in the state: the exact canonical form enumerates n! permutations; at most ${MAX_REPLICAS} are supported`;
    return { group: t.name, replicas: t.count, symmetric: reason === '', reason };
  });
  return { groups, idsStored };
}

/** Each thread group of `b` with two or more replicas, and whether `--symmetry` permutes it (else why not). */
export const symmetryGroups = (b: BuiltModel): GroupReport[] => groupsOf(b).groups;

/** The permutations `--symmetry` applies for `groups`: the product of the symmetric groups' n!. */
export const permutationsOf = (groups: readonly GroupReport[]): number => groups.reduce((n, g) => (g.symmetric ? n * factorial(g.replicas) : n), 1);

export function asymmetryReason(b: BuiltModel, group: string): string {
  const tidVars = new Set<string>();
  const indexed = new Set<string>();
  for (const v of b.shared) {
    const d = v.domain;
    if (d.kind === 'array') {
      if (d.index === group) indexed.add(v.name);
      if (d.elem.kind === 'threadId' && (d.elem as { group?: string }).group === group) tidVars.add(v.name);
    } else if (d.kind === 'threadId' && (d as { group?: string }).group === group) tidVars.add(v.name);
  }
  const tidLocals = new Set<string>();
  for (const t of b.templates) for (const l of t.locals) if (l.domain.kind === 'threadId' && (l.domain as { group?: string }).group === group) tidLocals.add(l.name);
  for (const v of b.shared) {
    const d = v.domain;
    if (d.kind === 'array' && d.index === group && d.initValues && d.initValues.some((x) => x !== d.initValues![0]))
      return `array ${q(v.name)} indexed by ${group} starts with different values per replica`;
  }
  const helperNames = new Set(b.helpers.map((h) => h.name));
  const fns: [string, Function | null, boolean][] = [];
  for (const t of b.templates)
    // A composed guard or effect is checked through its parts (the composer only calls them).
    for (const st of t.steps) for (const f of [st.guard, st.effect, st.nextFn, st.chooseFn]) for (const leaf of leafFunctions(f)) fns.push([`${t.name}.${st.name}`, leaf, t.name === group]);
  for (const inv of b.invariants) fns.push([`invariant ${inv.name}`, inv.fn, false]);
  if (b.init) fns.push(['init', b.init, false]);
  // Helpers are checked like steps, each parameter taken both as the state and as a thread's locals.
  const checks: [string, Function, string | undefined, string | undefined, boolean][] = [];
  for (const [where, fn, own] of fns) {
    if (!fn) continue;
    const ps = paramNames(fn);
    if (ps === null) return `${where}: parameters are not plain names, so the use of replica ids cannot be checked`;
    checks.push([where, fn, ps[0], ps[1], own]);
  }
  for (const h of b.helpers) {
    const ps = paramNames(h);
    if (ps === null) return `helper ${h.name}: parameters are not plain names, so the use of replica ids cannot be checked`;
    for (const p of ps) checks.push([`helper ${h.name}`, h, p, p, true]);
  }
  for (const [where, fn, s, me, own] of checks) {
    // Calls of listed helpers are checked through the helpers' own source; remove them here.
    let src = withoutComments(Function.prototype.toString.call(fn));
    // A listed helper's call keeps its other arguments, which are checked here (an id compared inside an argument singles out a replica as anywhere else); the state and the locals it is handed are the helper's to check, and its result, a helper never returning an id (below), is a plain value.
    const handed = new Set([s, me].filter((x): x is string => !!x));
    src = src.replace(/(?<![\w$.])([A-Za-z_$][\w$]*)\s*\(([^()]*)\)/g, (m, name: string, args: string) =>
      helperNames.has(name) && !src.startsWith(m) ? `(0, ${args.split(',').map((a) => (handed.has(a.trim()) ? '0' : a)).join(',')})` : m,
    );
    // The state or the locals handed to another function: what it does with replica ids cannot be checked here.
    for (const name of [s, me]) {
      if (!name) continue;
      const esc = name.replace(/\$/g, '\\$');
      const bare = [...src.matchAll(new RegExp(`(?<![\\w$.])${esc}(?![\\w$])(?!\\s*\\.)`, 'g'))];
      // The first is the parameter itself.
      if (bare.length > 1) return `${where}: ${bareUse(src, bare[1]!.index!, name)}, so its use of replica ids cannot be checked (write the accesses as ${name}.NAME in the step, or list a function it is handed in defineModel({ helpers }))`;
    }
    // The function's own arguments object reaches `me` without its name.
    if (/(?<![\w$.])arguments(?![\w$])/.test(src)) return `${where}: reads arguments, so the use of replica ids cannot be checked`;
    const id = me && own ? `(?<![\\w$.])${me}\\s*\\.\\s*id(?![\\w$])` : null;
    const idLike: string[] = [];
    if (id) idLike.push(id);
    if (s) for (const v of tidVars) idLike.push(`(?<![\\w$.])${s}\\s*\\.\\s*${v}(?![\\w$])(?!\\s*\\.)`);
    if (s) for (const v of tidVars) idLike.push(`(?<![\\w$.])${s}\\s*\\.\\s*${v}\\s*\\.\\s*get\\s*\\([^()]*\\)`);
    if (me) for (const v of tidLocals) idLike.push(`(?<![\\w$.])${me}\\s*\\.\\s*${v}(?![\\w$])`);
    // An expression that holds a replica id of the group (or -1, none, which every permutation fixes), and a place that holds one.
    const isId = (e: string): boolean => /^-\s*1$/.test(e.trim()) || idLike.some((p) => new RegExp(`^(?:${p})$`).test(e.trim()));
    const places: string[] = [];
    if (s) for (const v of tidVars) places.push(`${s}\\s*\\.\\s*${v}`);
    if (me) for (const v of tidLocals) places.push(`${me}\\s*\\.\\s*${v}`);
    const isPlace = (e: string): boolean => places.some((p) => new RegExp(`^(?:${p})$`).test(e.trim()));
    const OPERAND = '-\\s*1|(?:[\\w$]+\\s*\\.\\s*)*[\\w$]+(?:\\s*\\([^()]*\\))?';
    for (const pat of idLike) {
      for (const m of src.matchAll(new RegExp(pat, 'g'))) {
        const before = src.slice(0, m.index!).trimEnd();
        const after = src.slice(m.index! + m[0].length).trimStart();
        // Symmetric uses: compared with ===/!==, stored (assigned to or from), returned,
        // or used as the index of an array indexed by the group (checked below).
        // Compared with another id (or -1, "none", which every permutation fixes), never with a literal replica number.
        const literalBefore = /(?:^|[^\w$.])(-?\s*\d+)\s*(?:===|!==)$/.exec(before);
        const literalAfter = /^(?:===|!==)\s*(-?\s*\d+)/.exec(after);
        if ((literalBefore && literalBefore[1]!.replace(/\s/g, '') !== '-1') || (literalAfter && literalAfter[1]!.replace(/\s/g, '') !== '-1'))
          return `${where}: "${m[0]}" is compared with a literal replica number, which singles out a replica`;
        const compared = /(?:===|!==)$/.test(before) || /^(?:===|!==)/.test(after);
        const terminator = /^(?:[;,)}\]:]|$)/.test(after);
        const storedFrom = /(?:^|[^=!<>+\-*/%&|^])=$/.test(before) && terminator;
        const storedTo = /^=(?!=)/.test(after) && /(?:^|[{;}(,)]|=>|\?|:|(?<![\w$.])else)$/.test(before);
        const returned = /(?:return|=>|\?|:)$/.test(before) && terminator;
        const indexArg = /\.\s*(?:get|set)\s*\(\s*$/.test(before) && /^[,)]/.test(after);
        // The value of a set(index, value) whose index may hold calls (`s.q.set(s.q.get(me.id), me.id)`).
        const setOpen = /,$/.test(before) ? enclosingOpen(before, before.length) : -1;
        const setArray = setOpen >= 0 && endAtDepthZero(before, setOpen + 1, (c) => c === ',') === before.length - 1 ? /([A-Za-z_$][\w$]*)\s*\.\s*set\s*$/.exec(before.slice(0, setOpen)) : null;
        const setValue = setArray !== null && /^\)/.test(after);
        // Every element of an array of this group's ids set to one id: `s.q.fill(me.id)` (checked below: the elements are threadId(group)).
        const fillValue = /\.\s*fill\s*\(\s*$/.test(before) && /^\)/.test(after);
        // The replica an id names, by its label or locals (checked with the call below), and an id shown in a template's text (a message).
        const atArg = s !== undefined && new RegExp(`(?<![\\w$.])${s}\\s*\\.\\s*(?:at|local)\\s*\\([^()]*,\\s*$`).test(before) && /^\)/.test(after);
        const inTemplate = /\$\{$/.test(before) && /^\}/.test(after);
        if (atArg) continue;
        if (inTemplate) {
          // Text made of an id is a value like any other (`${me.id}` === '2' singles out a replica); only a message is left alone: an assertion's (its name) or an error's.
          const head = before.slice(0, -2);
          const tick = head.lastIndexOf('`');
          const lead = tick >= 0 ? head.slice(0, tick) : '';
          if (tick >= 0 && (/(?<![\w$.])throw\s+(?:new\s+[\w$.]+\s*\(\s*)?$/.test(lead) || (s !== undefined && /,\s*$/.test(lead) && new RegExp(`(?<![\\w$.])${s}\\s*\\.\\s*assert\\s*\\($`).test(lead.slice(0, enclosingOpen(lead, lead.length) + 1)))))
            continue;
          return `${where}: a ${group} id is written into a template literal ("${before.slice(-12)}${m[0]}${after.slice(0, 12)}"), whose text can be compared or used like a number, which singles out a replica; only storing an id, comparing it with ===/!== and indexing arrays declared .indexedBy(${q(group)}) keep replicas interchangeable (an assertion's or an error's message may name it)`;
        }
        const branch = /\?$/.test(before) || (/:$/.test(before) && !/^\s*[{(]?\s*[\w$]+\s*:$/.test(before.slice(-40))) || /^:/.test(after);
        if (!(compared || storedFrom || storedTo || returned || indexArg || setValue || fillValue))
          return `${where}: a ${group} id is used in "${before.slice(-12)}${m[0]}${after.slice(0, 12)}" — only storing it, comparing it with ===/!== and indexing arrays declared .indexedBy(${q(group)}) keep replicas interchangeable`;
        const shown = q(m[0].replace(/\s+/g, ''));
        // What it is compared with, stored into or given must hold an id of the same group too: a permutation renames ids only where the model declares them (threadId(${group}) variables, me.id).
        if (compared) {
          const onLeft = /^(?:===|!==)/.test(after);
          const om = onLeft ? new RegExp(`^(?:===|!==)\\s*(${OPERAND})`).exec(after) : new RegExp(`(${OPERAND})\\s*(?:===|!==)$`).exec(before);
          const other = om?.[1];
          if (other === undefined || !isId(other))
            return `${where}: ${shown} is compared with ${other === undefined ? 'an expression' : q(other.trim())}, which is not a ${group} id (me.id of a ${group} replica, a threadId(${q(group)}) value) or -1: a permutation of the replicas would not rename it`;
          // Both sides of the comparison whole: no arithmetic or other operator binds to either (`s.owner === me.id + 1`).
          const rest = onLeft ? [before, after.slice(om![0].length)] : [before.slice(0, before.length - om![0].length), after];
          if (!BOUND_BEFORE.test(rest[0]!) || !BOUND_AFTER.test(rest[1]!))
            return `${where}: ${shown} is compared with ${q(other.trim())} inside a larger expression ("${rest[0]!.slice(-8).trimStart()} … ${rest[1]!.slice(0, 8).trimEnd()}"): only a whole id compared with another keeps replicas interchangeable`;
        }
        if (storedFrom && !indexArg) {
          const target = /((?:[\w$]+\s*\.\s*)*[\w$]+)\s*=$/.exec(before)?.[1];
          if (target === undefined || !isPlace(target))
            return `${where}: ${shown} is stored in ${target === undefined ? 'something' : q(target)}, which is not a threadId(${q(group)}) variable: a permutation of the replicas would not rename it`;
        }
        if (storedTo) {
          const value = assignedValue(after);
          const tern = /^[^?]*\?\s*([^:]+?)\s*:\s*(.+)$/.exec(value);
          if (!(isId(value) || (tern && isId(tern[1]!) && isId(tern[2]!))))
            return `${where}: ${shown} is given ${q(value)}; only a ${group} id or -1 keeps replicas interchangeable`;
        }
        if (returned && !compared && !storedFrom && !storedTo) {
          // A branch of a conditional whose value goes to a threadId(group) variable (checked there, as the value stored) is a stored id; anything else hands the id to code that cannot be checked.
          const stmt = before.slice(Math.max(before.lastIndexOf(';'), before.lastIndexOf('{'), before.lastIndexOf('}')) + 1).trim();
          const target = /^((?:[\w$]+\s*\.\s*)*[\w$]+)\s*=(?!=)/.exec(stmt)?.[1];
          if (!(branch && target !== undefined && isPlace(target)))
            return `${where}: ${shown} is returned (or is a branch of a conditional), where what is done with it cannot be checked; store it in a threadId(${q(group)}) variable or compare it with ===/!==`;
        }
        if (setValue) {
          const arr = setArray?.[1];
          if (arr === undefined || !tidVars.has(arr)) return `${where}: ${shown} is stored in an element of ${q(arr ?? 'an array')}, whose elements are not threadId(${q(group)})`;
        }
        if (fillValue) {
          const arr = /([A-Za-z_$][\w$]*)\s*\.\s*fill\s*\(\s*$/.exec(before)?.[1];
          if (arr === undefined || !tidVars.has(arr)) return `${where}: ${shown} fills ${q(arr ?? 'an array')}, whose elements are not threadId(${q(group)})`;
        }
        // As an array index, the array must be indexed by the group.
        const call = /([A-Za-z_$][\w$]*)\s*\.\s*(?:get|set)\s*\(\s*$/.exec(before);
        if (call && !indexed.has(call[1]!)) return `${where}: array ${q(call[1])} is indexed with a ${group} id but not declared .indexedBy(${q(group)})`;
      }
    }
    if (s) {
      for (const v of indexed) {
        for (const m of src.matchAll(new RegExp(`${s}\\s*\\.\\s*${v}\\s*\\.\\s*(?:get|set)\\s*\\(`, 'g'))) {
          // The whole index (an element of an array of ids, `s.q.get(me.id)`, has a call in it).
          const arg = (callArguments(src, m.index! + m[0].length)[0] ?? '').trim();
          const okArg = (isId(arg) && !/^-\s*1$/.test(arg)) || (me && [...tidLocals].some((x) => new RegExp(`^${me}\\s*\\.\\s*${x}$`).test(arg)));
          if (!okArg) return `${where}: ${s}.${v} is indexed by ${q(arg)}, which is not a ${group} id`;
        }
      }
      for (const v of tidVars)
        for (const m of src.matchAll(new RegExp(`${s}\\s*\\.\\s*${v}\\s*(===|!==|==|!=|<=|>=|<|>|=)\\s*(-?\\s*\\d+)`, 'g')))
          if (m[2]!.replace(/\s/g, '') !== '-1' || !/^(===|!==|=)$/.test(m[1]!)) return `${where}: ${s}.${v} ${m[1]} ${m[2]} singles out a replica`;
      // s.at(group, i) / s.local(group, i): the replica must be named by an id (the group given as a literal of another group is that group's business; one given otherwise may be this one).
      for (const m of src.matchAll(new RegExp(`(?<![\\w$.])${s}\\s*\\.\\s*(?:at|local)\\s*\\(`, 'g'))) {
        const args = callArguments(src, m.index! + m[0].length);
        if (args.length < 2) continue;
        const lit = /^['"`]([^'"`]*)['"`]$/.exec(args[0]!);
        if (lit && lit[1] !== group) continue;
        if (!isId(args[1]!) || /^-\s*1$/.test(args[1]!)) return `${where}: ${m[0].replace(/\s+/g, '')}${args.join(', ')}) names one ${group} replica by ${q(args[1])}, which is not a ${group} id`;
      }
    }
    if (me) for (const v of tidLocals) for (const m of src.matchAll(new RegExp(`${me}\\s*\\.\\s*${v}\\s*(===|!==|==|!=|<=|>=|<|>|=)\\s*(-?\\s*\\d+)`, 'g'))) if (m[2]!.replace(/\s/g, '') !== '-1') return `${where}: ${me}.${v} ${m[1]} ${m[2]} singles out a replica`;
  }
  return '';
}

export class Symmetry {
  readonly groups: GroupReport[];
  readonly permutationCount: number;
  private readonly slots: Slot[] = [];
  /** For each combined permutation: source slot of each destination slot. */
  private readonly src: Int32Array[] = [];
  /** For each combined permutation and slot: value map for threadId slots, or null. */
  private readonly vmap: (Int32Array | null)[][] = [];
  /** For each combined permutation: the thread permutation it applies. */
  private readonly threadMaps: Int32Array[] = [];
  private readonly codes: Int32Array;
  private readonly tmp: Uint32Array;
  private readonly W: number;
  private readonly T: number;
  /** Per symmetric group: first thread index, replicas, slot families (slot ids by replica). */
  private readonly groupBase: number[] = [];
  private readonly groupSize: number[] = [];
  private readonly families: Int32Array[][] = [];
  /** Per slot: the symmetric group (index) whose ids it holds, or -1; and the smallest value it encodes. */
  private readonly tidGroupOf: number[];
  private readonly tidMin: Int32Array;
  private readonly orbitBase: number[] = [];
  /** Canonical form by sorting replicas (no threadId names a replica of a symmetric group) rather than enumerating. */
  private readonly sorted: boolean;
  private readonly ord: Int32Array;
  private readonly srcOf: Int32Array;

  constructor(b: BuiltModel, layout: Layout) {
    this.W = layout.words;
    const { groups, idsStored } = groupsOf(b);
    this.groups = groups;
    const sym = this.groups.filter((g) => g.symmetric);
    if (sym.length === 0) {
      const single = b.templates.filter((t) => t.replicated && t.count < 2).map((t) => q(t.name));
      const why = this.groups.length
        ? this.groups.map((g) => `${g.group}: ${g.reason}`).join('; ')
        : `the model has no thread group of two or more replicas to permute${single.length ? ` (${single.join(', ')} ${single.length === 1 ? 'has' : 'have'} one replica in this instance)` : ''}`;
      throw new McError('MC313', `--symmetry refused for model ${q(b.name)}: ${why}`);
    }
    // Flat slot list with families.
    const family = new Map<string, number[]>(); // key → slot ids by replica/index
    const tidGroup: (string | null)[] = [];
    const tidMin: number[] = [];
    const add = (s: Slot, tid: string | null, min: number) => {
      this.slots.push(s);
      tidGroup.push(tid);
      tidMin.push(min);
      return this.slots.length - 1;
    };
    const tidOf = (d: { kind: string; group?: string; nullable?: boolean }) => (d.kind === 'threadId' ? d.group! : null);
    const minOf = (d: { kind: string; nullable?: boolean }) => (d.kind === 'threadId' && d.nullable ? -1 : 0);
    layout.shared.forEach((v, vi) => {
      const d = b.shared[vi]!.domain;
      const ids = v.slots.map((s) => add(s, tidOf(v.elem as never), minOf(v.elem as never)));
      if (d.kind === 'array' && d.index) family.set(`a:${v.name}`, ids);
    });
    layout.templates.forEach((tl) => {
      const ids = tl.label.slots.map((s) => add(s, null, 0));
      family.set(`l:${tl.template.name}`, ids);
      for (const lv of tl.locals) family.set(`v:${tl.template.name}.${lv.name}`, lv.slots.map((s) => add(s, tidOf(lv.elem as never), minOf(lv.elem as never))));
    });
    const S = this.slots.length;
    const familiesOf = (g: string) =>
      [...family.entries()].filter(([k]) => {
        if (k.startsWith('a:')) return b.shared.find((v) => v.name === k.slice(2))!.domain.kind === 'array' && (b.shared.find((v) => v.name === k.slice(2))!.domain as { index?: string }).index === g;
        return k.slice(2).split('.')[0] === g;
      });
    const T = b.threads.length;
    this.T = T;
    this.tidGroupOf = tidGroup.map((g) => (g === null ? -1 : sym.findIndex((x) => x.group === g)));
    this.tidMin = Int32Array.from(tidMin);
    for (const g of sym) {
      const base = b.threads.findIndex((th) => th.template.name === g.group);
      this.groupBase.push(base);
      this.groupSize.push(g.replicas);
      this.families.push(familiesOf(g.group).map(([, ids]) => Int32Array.from(ids)));
      for (let r = 0; r < g.replicas; r++) this.orbitBase[base + r] = base;
    }
    for (let t = 0; t < T; t++) if (this.orbitBase[t] === undefined) this.orbitBase[t] = t;
    this.permutationCount = permutationsOf(sym);
    this.sorted = !idsStored;
    this.ord = new Int32Array(Math.max(...sym.map((g) => g.replicas)));
    this.srcOf = new Int32Array(S);
    this.codes = new Int32Array(S);
    this.tmp = new Uint32Array(this.W);
    if (this.sorted) return;
    // Combined permutations: the product over symmetric groups.
    let combos: Map<string, Int32Array>[] = [new Map()];
    for (const g of sym) {
      const next: Map<string, Int32Array>[] = [];
      for (const c of combos) for (const p of permutations(g.replicas)) next.push(new Map([...c, [g.group, p]]));
      combos = next;
    }
    for (const c of combos) {
      const tp = Int32Array.from({ length: T }, (_, t) => t);
      sym.forEach((g, gi) => {
        const p = c.get(g.group)!;
        for (let r = 0; r < p.length; r++) tp[this.groupBase[gi]! + r] = this.groupBase[gi]! + p[r]!;
      });
      this.threadMaps.push(tp);
      const src = Int32Array.from({ length: S }, (_, i) => i);
      for (const [g, p] of c)
        for (const [, ids] of familiesOf(g)) for (let r = 0; r < ids.length; r++) src[ids[p[r]!]!] = ids[r]!;
      const vm: (Int32Array | null)[] = new Array(S).fill(null);
      for (let j = 0; j < S; j++) {
        const g = tidGroup[j];
        const p = g ? c.get(g) : undefined;
        if (!p) continue;
        const min = tidMin[j]!;
        const m = new Int32Array(p.length - min);
        for (let code = 0; code < m.length; code++) {
          const v = code + min;
          m[code] = (v < 0 ? v : p[v]!) - min;
        }
        vm[j] = m;
      }
      this.src.push(src);
      this.vmap.push(vm);
    }
  }

  /**
   * Replace the state at buf[off..] by its canonical representative, in
   * place; with `perm`, also write the thread permutation that took the state
   * there (perm[t] = the thread that thread t became).
   */
  canonicalize(buf: Uint32Array, off: number, perm: Int32Array | null = null): void {
    const S = this.slots.length;
    const codes = this.codes;
    for (let j = 0; j < S; j++) {
      const s = this.slots[j]!;
      codes[j] = (buf[off + s.word]! >>> s.shift) & maskOf(s.width);
    }
    if (this.sorted) {
      this.sortReplicas(buf, off, perm);
      return;
    }
    let best = 0;
    const tmp = this.tmp;
    const W = this.W;
    for (let p = 1; p < this.src.length; p++) {
      tmp.fill(0);
      const src = this.src[p]!;
      const vm = this.vmap[p]!;
      for (let j = 0; j < S; j++) {
        const s = this.slots[j]!;
        let c = codes[src[j]!]!;
        const m = vm[j];
        if (m) c = m[c]!;
        tmp[s.word] = tmp[s.word]! | (c << s.shift);
      }
      // Keep the smaller word vector (bits of unused slots are zero in both).
      let k = 0;
      while (k < W && tmp[k] === buf[off + k]) k++;
      if (k < W && tmp[k]! < buf[off + k]!) {
        for (let x = 0; x < W; x++) buf[off + x] = tmp[x]!;
        best = p;
      }
    }
    if (perm !== null) perm.set(this.threadMaps[best]!);
  }

  /** Canonical form by sorting each group's replicas by their own slots (used when no threadId names a replica). */
  private sortReplicas(buf: Uint32Array, off: number, perm: Int32Array | null): void {
    const codes = this.codes;
    const ord = this.ord;
    if (perm !== null) for (let t = 0; t < this.T; t++) perm[t] = t;
    for (let g = 0; g < this.families.length; g++) {
      const fam = this.families[g]!;
      const n = this.groupSize[g]!;
      for (let r = 0; r < n; r++) ord[r] = r;
      // Insertion sort: groups are small, and most states are nearly sorted already.
      for (let i = 1; i < n; i++) {
        const x = ord[i]!;
        let k = i - 1;
        while (k >= 0 && compareReplicas(codes, fam, ord[k]!, x) > 0) {
          ord[k + 1] = ord[k]!;
          k--;
        }
        ord[k + 1] = x;
      }
      for (let f = 0; f < fam.length; f++) {
        const ids = fam[f]!;
        for (let k = 0; k < n; k++) writeSlot(buf, off, this.slots[ids[k]!]!, codes[ids[ord[k]!]!]!);
      }
      if (perm !== null) for (let k = 0; k < n; k++) perm[this.groupBase[g]! + ord[k]!] = this.groupBase[g]! + k;
    }
  }

  /**
   * Write perm applied to the state at src[so..] into dst[dso..] (they must
   * not overlap): thread t's label, locals and indexed elements move to
   * thread perm[t], and threadId values are renamed. perm must fix every
   * thread outside the symmetric groups.
   */
  permute(perm: Int32Array, src: Uint32Array, so: number, dst: Uint32Array, dso: number): void {
    const S = this.slots.length;
    const srcOf = this.srcOf;
    for (let j = 0; j < S; j++) srcOf[j] = j;
    for (let g = 0; g < this.families.length; g++) {
      const base = this.groupBase[g]!;
      for (const ids of this.families[g]!) for (let r = 0; r < ids.length; r++) srcOf[ids[perm[base + r]! - base]!] = ids[r]!;
    }
    for (let x = 0; x < this.W; x++) dst[dso + x] = src[so + x]!;
    for (let j = 0; j < S; j++) {
      const from = this.slots[srcOf[j]!]!;
      let c = (src[so + from.word]! >>> from.shift) & maskOf(from.width);
      const g = this.tidGroupOf[j]!;
      if (g >= 0) {
        const v = c + this.tidMin[j]!;
        if (v >= 0) c = perm[this.groupBase[g]! + v]! - this.groupBase[g]! - this.tidMin[j]!;
      }
      writeSlot(dst, dso, this.slots[j]!, c);
    }
  }

  /** The first thread of t's symmetric group (t itself when no permutation moves it); threads of one group are contiguous. */
  orbitStart(t: number): number {
    return this.orbitBase[t]!;
  }

  describe(): string {
    return this.groups.map((g) => `${g.group}×${g.replicas}: ${g.symmetric ? 'permuted' : `not permuted (${g.reason})`}`).join('; ');
  }
}
