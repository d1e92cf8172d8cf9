/**
 * fast-check arbitraries for small random models: a few shared ints and a
 * shared bool array, one or two thread groups (possibly replicated), steps
 * with random guards, wrapping arithmetic effects, nondeterministic choice,
 * computed next labels, progress flags, end labels, invariants and
 * assertions. Every value stays inside its domain (arithmetic wraps), so
 * the models are always well-formed.
 */
import fc from 'fast-check';
import { array, bool, defineModel, int, replicate, thread, threadId, type Model, type StepDef } from '../../src/index.ts';

export interface GenStep {
  at: number;
  guard: { v: number; op: '==' | '!=' | '<'; c: number } | null;
  lockGuard: boolean; // also requires flag[me.id % 2] false
  effects: { v: number; kind: 'set' | 'add' | 'local' | 'flag'; c: number }[];
  choices: number;
  next: number;
  altNext: number | null; // next = cond ? next : altNext
  progress: boolean;
}
export interface GenTemplate {
  count: number;
  replicated: boolean;
  labels: number;
  end: number[];
  steps: GenStep[];
}
export interface GenModel {
  vars: number[]; // max value per shared int
  templates: GenTemplate[];
  invariant: { v: number; c: number } | null;
  assertion: { v: number; c: number } | null;
  /** The assertion is made in each step's guard (before any choice), not its effect. */
  assertInGuard?: boolean;
  /** Counters of 0..3 beside the threads (none if absent): a model this many times four as large, with wide levels (the threaded law tests). */
  widen?: number;
}

const genStep = (nvars: number, labels: number): fc.Arbitrary<GenStep> =>
  fc.record({
    at: fc.nat(labels - 1),
    guard: fc.option(fc.record({ v: fc.nat(nvars - 1), op: fc.constantFrom('==', '!=', '<') as fc.Arbitrary<'==' | '!=' | '<'>, c: fc.nat(3) }), { freq: 2 }),
    lockGuard: fc.boolean(),
    effects: fc.array(fc.record({ v: fc.nat(nvars - 1), kind: fc.constantFrom('set', 'add', 'local', 'flag') as fc.Arbitrary<'set' | 'add' | 'local' | 'flag'>, c: fc.nat(3) }), { maxLength: 2 }),
    choices: fc.integer({ min: 1, max: 2 }),
    next: fc.nat(labels - 1),
    altNext: fc.option(fc.nat(labels - 1)),
    progress: fc.boolean(),
  });

const genTemplate = (nvars: number, maxCount: number): fc.Arbitrary<GenTemplate> =>
  fc.integer({ min: 1, max: 3 }).chain((labels) =>
    fc.record({
      count: fc.integer({ min: 1, max: maxCount }),
      replicated: fc.boolean(),
      labels: fc.constant(labels),
      end: fc.uniqueArray(fc.nat(labels - 1), { maxLength: 2 }),
      steps: fc.array(genStep(nvars, labels), { minLength: 1, maxLength: 4 }),
    }),
  );

export const genModel = (opts: { safety?: boolean } = {}): fc.Arbitrary<GenModel> =>
  fc.integer({ min: 1, max: 3 }).chain((nvars) =>
    fc.record({
      vars: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: nvars, maxLength: nvars }),
      templates: fc.oneof(
        fc.tuple(genTemplate(nvars, 3)),
        fc.tuple(genTemplate(nvars, 2), genTemplate(nvars, 1)),
      ) as fc.Arbitrary<GenTemplate[]>,
      invariant: opts.safety === false ? fc.constant(null) : fc.option(fc.record({ v: fc.nat(nvars - 1), c: fc.nat(3) }), { freq: 3 }),
      assertion: opts.safety === false ? fc.constant(null) : fc.option(fc.record({ v: fc.nat(nvars - 1), c: fc.nat(3) }), { freq: 3 }),
      assertInGuard: fc.boolean(),
    }),
  );

/** Make every thread's labels a chain (steps only move forward), so threads terminate and interleavings commute. */
export const acyclic = (g: GenModel): GenModel => ({
  ...g,
  templates: g.templates.map((t) => ({
    ...t,
    end: [t.labels - 1],
    steps: t.steps.map((s) => ({ ...s, at: Math.min(s.at, t.labels - 2 < 0 ? 0 : t.labels - 2), next: Math.min(s.at + 1, t.labels - 1), altNext: null })).filter((s) => t.labels > 1),
  })).map((t) => (t.steps.length ? t : { ...t, labels: 2, end: [1], steps: [{ at: 0, guard: null, lockGuard: false, effects: [], choices: 1, next: 1, altNext: null, progress: false }] })),
});

/**
 * Turn a generated description into a model. Guards and effects are
 * generated as source text with literal variable names (`st.v0`), as a person
 * would write them, so footprint derivation and the symmetry check see
 * ordinary code.
 */
const plainFn = (params: string[], body: string) => new Function(...params, body) as any;

/**
 * `edit` (optional) sees the body of every generated function, numbered in
 * generation order, and may rewrite it: a test uses it to plant a mistake.
 */
export function toModel(g: GenModel, name = 'random', edit?: (body: string, index: number) => string): Model {
  let count = 0;
  const fn = edit === undefined ? plainFn : (params: string[], body: string) => plainFn(params, edit(body, count++));
  const vname = (i: number) => `v${i}`;
  const shared: Record<string, any> = { flag: array(2, bool()) };
  g.vars.forEach((max, i) => (shared[vname(i)] = int(0, max)));
  const mod = (v: number, expr: string) => `((${expr}) % ${g.vars[v]! + 1})`;
  const threads = g.templates.map((t, ti) => {
    const steps: Record<string, StepDef> = {};
    t.steps.forEach((s, si) => {
      const guard = s.guard;
      const cond: string[] = [];
      if (s.lockGuard) cond.push('!st.flag.get(me.id % 2)');
      if (guard) cond.push(`st.${vname(guard.v)} ${guard.op === '==' ? '===' : guard.op === '!=' ? '!==' : '<'} ${guard.c}`);
      const body: string[] = [];
      for (const e of s.effects) {
        const k = `st.${vname(e.v)}`;
        if (e.kind === 'set') body.push(`${k} = ${mod(e.v, `${e.c} + c`)};`);
        else if (e.kind === 'add') body.push(`${k} = ${mod(e.v, `${k} + ${e.c} + c`)};`);
        else if (e.kind === 'local') body.push(`me.x = (me.x + ${e.c} + c) % 3;`);
        else body.push('st.flag.set(me.id % 2, !st.flag.get(me.id % 2));');
      }
      const assertion = g.assertion ? `st.assert(st.${vname(g.assertion.v)} !== ${g.assertion.c} || me.x !== 2, 'a');` : '';
      if (assertion && !g.assertInGuard) body.push(assertion);
      steps[`s${si}`] = {
        at: `L${s.at}`,
        when: fn(['st', 'me'], `${g.assertInGuard ? assertion : ''}return ${cond.length ? cond.join(' && ') : 'true'};`),
        choose: s.choices,
        then: fn(['st', 'me', 'c'], body.join('\n')),
        next: s.altNext === null ? `L${s.next}` : fn(['st', 'me'], `return me.x === 1 ? 'L${s.next}' : 'L${s.altNext}';`),
        progress: s.progress,
      };
    });
    const def = { locals: { x: int(0, 2) }, start: startLabel(steps, t.end.map((e) => `L${e}`)), labels: Array.from({ length: t.labels }, (_, i) => `L${i}`), end: t.end.map((e) => `L${e}`), steps };
    return t.replicated ? replicate(t.count, `T${ti}`, def) : thread(`T${ti}`, def);
  });
  if (g.widen) threads.push(counters(g.widen));
  const inv = g.invariant;
  return defineModel({
    name,
    shared,
    threads,
    invariants: inv ? { i: fn(['s'], `return s.${vname(inv.v)} !== ${inv.c} || s.flag.get(0);`) } : {},
  }) as unknown as Model;
}

/** L0, unless no step is at it and it is no end label (a thread that could never move is refused, MC151): then the first step's label. */
export const startLabel = (steps: Readonly<Record<string, StepDef>>, end: readonly string[] = []): string => {
  const at = Object.values(steps).map((s) => s.at);
  return at.includes('L0') || end.includes('L0') || at.length === 0 ? 'L0' : at[0]!;
};

/** `k` counters of 0..3 that step on their own and may stop anywhere: every state of a model beside each of their 4^k states. */
const counters = (k: number) =>
  replicate(k, 'W', {
    locals: { n: int(0, 3) },
    start: 'a',
    end: ['a'],
    steps: { inc: { at: 'a', when: plainFn(['st', 'me'], 'return me.n < 3;'), then: plainFn(['st', 'me'], 'me.n = me.n + 1;'), next: 'a' } },
  });

/** A symmetric random model: one replicated group whose ids are used only as names. */
export interface GenSym {
  count: number;
  vars: number[];
  steps: { at: number; guard: 0 | 1 | 2 | 3; gv: number; gc: number; effect: 0 | 1 | 2 | 3 | 4; ev: number; ec: number; next: number; choices: number }[];
  labels: number;
  end: number[];
  invariant: { v: number; c: number } | null;
  /** As GenModel's. */
  widen?: number;
}

export const genSym: fc.Arbitrary<GenSym> = fc.record({ count: fc.integer({ min: 2, max: 4 }), nv: fc.integer({ min: 1, max: 2 }), labels: fc.integer({ min: 1, max: 3 }) }).chain(({ count, nv, labels }) =>
  fc.record({
    count: fc.constant(count),
    vars: fc.array(fc.integer({ min: 1, max: 2 }), { minLength: nv, maxLength: nv }),
    labels: fc.constant(labels),
    end: fc.uniqueArray(fc.nat(labels - 1), { maxLength: 1 }),
    steps: fc.array(
      fc.record({
        at: fc.nat(labels - 1),
        guard: fc.constantFrom(0, 1, 2, 3) as fc.Arbitrary<0 | 1 | 2 | 3>,
        gv: fc.nat(nv - 1),
        gc: fc.nat(2),
        effect: fc.constantFrom(0, 1, 2, 3, 4) as fc.Arbitrary<0 | 1 | 2 | 3 | 4>,
        ev: fc.nat(nv - 1),
        ec: fc.nat(2),
        next: fc.nat(labels - 1),
        choices: fc.integer({ min: 1, max: 2 }),
      }),
      { minLength: 1, maxLength: 4 },
    ),
    invariant: fc.option(fc.record({ v: fc.nat(nv - 1), c: fc.nat(2) }), { freq: 3 }),
  }),
);

export function toSymModel(g: GenSym): Model {
  const shared: Record<string, any> = {
    own: threadId('T', { none: true }),
    flag: array(g.count, bool()).indexedBy('T'),
  };
  g.vars.forEach((max, i) => (shared[`v${i}`] = int(0, max)));
  const steps: Record<string, StepDef> = {};
  g.steps.forEach((s, si) => {
    const k = `st.v${s.gv}`;
    const e = `st.v${s.ev}`;
    const max = g.vars[s.ev]!;
    const guard = ['st.own === -1', 'st.own === me.id', '!st.flag.get(me.id)', `${k} !== ${s.gc}`][s.guard];
    const effect = [
      'st.own = me.id;',
      'st.own = -1;',
      'st.flag.set(me.id, !st.flag.get(me.id));',
      `${e} = (${e} + 1 + c) % ${max + 1};`,
      `if (st.own === me.id) ${e} = (${s.ec} + c) % ${max + 1};`,
    ][s.effect];
    steps[`s${si}`] = { at: `L${s.at}`, when: plainFn(['st', 'me'], `return ${guard};`), then: plainFn(['st', 'me', 'c'], effect!), next: `L${s.next}`, choose: s.choices };
  });
  const inv = g.invariant;
  return defineModel({
    name: 'random-sym',
    shared,
    threads: [replicate(g.count, 'T', { start: startLabel(steps, g.end.map((x) => `L${x}`)), labels: Array.from({ length: g.labels }, (_, i) => `L${i}`), end: g.end.map((x) => `L${x}`), steps }), ...(g.widen ? [counters(g.widen)] : [])],
    invariants: inv ? { i: plainFn(['s'], `return s.v${inv.v} !== ${inv.c} || s.own === -1;`) } : {},
  }) as unknown as Model;
}
