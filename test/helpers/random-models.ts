/**
 * fast-check arbitraries for small random models: a few shared ints and a
 * shared bool array, one or two thread groups (possibly replicated), steps
 * with random guards, wrapping arithmetic effects, nondeterministic choice,
 * computed next labels, progress flags, end labels, invariants and
 * assertions. Every value stays inside its domain (arithmetic wraps), so
 * the models are always well-formed.
 */
import fc from 'fast-check';
import { array, bool, defineModel, int, replicate, thread, type Model, type StepDef } from '../../src/index.ts';

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
    }),
  );

/** Turn a generated description into a model (closures interpret the data). */
export function toModel(g: GenModel, name = 'random'): Model {
  const vname = (i: number) => `v${i}`;
  const shared: Record<string, any> = { flag: array(2, bool()) };
  g.vars.forEach((max, i) => (shared[vname(i)] = int(0, max)));
  const wrap = (v: number, x: number) => ((x % (g.vars[v]! + 1)) + g.vars[v]! + 1) % (g.vars[v]! + 1);
  const threads = g.templates.map((t, ti) => {
    const steps: Record<string, StepDef> = {};
    t.steps.forEach((s, si) => {
      const guard = s.guard;
      steps[`s${si}`] = {
        at: `L${s.at}`,
        when: (st, me) => {
          if (s.lockGuard && st.flag.get(me.id % 2)) return false;
          if (!guard) return true;
          const x = st[vname(guard.v)] as number;
          return guard.op === '==' ? x === guard.c : guard.op === '!=' ? x !== guard.c : x < guard.c;
        },
        choose: s.choices,
        then: (st, me, c) => {
          for (const e of s.effects) {
            const k = vname(e.v);
            if (e.kind === 'set') st[k] = wrap(e.v, e.c + c);
            else if (e.kind === 'add') st[k] = wrap(e.v, (st[k] as number) + e.c + c);
            else if (e.kind === 'local') me.x = (me.x + e.c + c) % 3;
            else st.flag.set(me.id % 2, !st.flag.get(me.id % 2));
          }
          if (g.assertion) st.assert(st[vname(g.assertion.v)] !== g.assertion.c || me.x !== 2, 'a');
        },
        next: s.altNext === null ? `L${s.next}` : (st, me) => (me.x === 1 ? `L${s.next}` : `L${s.altNext}`),
        progress: s.progress,
      };
    });
    const def = { locals: { x: int(0, 2) }, start: 'L0', labels: Array.from({ length: t.labels }, (_, i) => `L${i}`), end: t.end.map((e) => `L${e}`), steps };
    return t.replicated ? replicate(t.count, `T${ti}`, def) : thread(`T${ti}`, def);
  });
  const inv = g.invariant;
  return defineModel({
    name,
    shared,
    threads,
    invariants: inv ? { i: (s) => s[vname(inv.v)] !== inv.c || s.flag.get(0) } : {},
  }) as unknown as Model;
}
