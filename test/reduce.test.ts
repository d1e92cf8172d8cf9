import test from 'ava';
import fc from 'fast-check';
import { buildModel, search } from '../src/index.ts';
import { buildTrace } from '../src/trace/build.ts';
import { replay } from '../src/trace/replay.ts';
import { Symmetry } from '../src/reduce/symmetry.ts';
import { acyclic, genModel, genSym, toModel, toSymModel } from './helpers/random-models.ts';

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);

const same = (a: ReturnType<typeof search>, b: ReturnType<typeof search>) =>
  a.verdict === b.verdict && (a.violation === null) === (b.violation === null);

test('POR keeps the verdict of the full search (deadlock, invariants, assertions), never adds states, and its counterexamples replay', (t) => {
  let reduced = 0;
  fc.assert(
    fc.property(fc.oneof(genModel(), genModel().map(acyclic)), fc.boolean(), fc.constantFrom('bfs', 'dfs' as const), (g, deadlock, strategy) => {
      const m = toModel(g);
      const b = buildModel(m, null);
      const full = search(b, { deadlock, liveness: false, strategy });
      const red = search(b, { deadlock, liveness: false, strategy, por: true });
      if (!same(full, red)) return false;
      if (full.verdict === 'pass' && red.stats.states > full.stats.states) return false;
      if (full.verdict === 'pass' && red.stats.states < full.stats.states) reduced++;
      if (red.violation) {
        if (strategy === 'bfs' && red.violation.kind !== full.violation!.kind && red.violation.steps.length > full.violation!.steps.length + 1) return false;
        if (replay(JSON.parse(JSON.stringify(buildTrace(red.runtime, red.violation))), m).status !== 'reproduced') return false;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.log(`POR reduced ${reduced} of ${RUNS} random models`);
  // The property is not vacuous: on a fixed sample POR does reduce some models.
  let fixed = 0;
  fc.assert(
    fc.property(genModel().map(acyclic), (g) => {
      const b = buildModel(toModel(g), null);
      const full = search(b, { deadlock: false, liveness: false });
      const red = search(b, { deadlock: false, liveness: false, por: true });
      if (full.verdict === 'pass' && red.stats.states < full.stats.states) fixed++;
      return true;
    }),
    { numRuns: 400, seed: 20261123 },
  );
  t.true(fixed > 0, `POR reduced ${fixed} of 400 fixed-seed models`);
});

test('POR reduces where steps are independent (a model of disjoint counters)', async (t) => {
  const { defineModel, int, thread } = await import('../src/index.ts');
  // Each counter is named in the source (a computed s[name] would make the footprint unknown).
  const steps = [
    { a: { then: (s: any) => { s.x0 = 1; }, next: 'b' }, b: { then: (s: any) => { s.x0 = 2; }, next: 'done' } },
    { a: { then: (s: any) => { s.x1 = 1; }, next: 'b' }, b: { then: (s: any) => { s.x1 = 2; }, next: 'done' } },
    { a: { then: (s: any) => { s.x2 = 1; }, next: 'b' }, b: { then: (s: any) => { s.x2 = 2; }, next: 'done' } },
  ] as const;
  const m = defineModel({
    name: 'indep',
    shared: { x0: int(0, 2), x1: int(0, 2), x2: int(0, 2) },
    threads: steps.map((st, k) => thread(`c${k}`, { start: 'a', end: ['done'], steps: st })),
  });
  const full = search(buildModel(m, null), { liveness: false });
  const red = search(buildModel(m, null), { liveness: false, por: true });
  t.is(full.stats.states, 27);
  t.is(red.stats.states, 7); // one interleaving: 3 threads x 2 steps + the initial state
  t.is(red.verdict, 'pass');
});

test('POR: a thread whose later step asserts is still reduced at its other labels, and the assertion is still found', async (t) => {
  const { defineModel, int, thread } = await import('../src/index.ts');
  // c0: a (x0 := 1) -> b (asserts on the shared flag) -> done; c1: a (x1 := 1) -> b (asserts on x1) -> done;
  // w sets the flag. Every thread but w asserts somewhere, and w's step is visible: only the a labels are ample.
  const mk = (bad: boolean) =>
    defineModel({
      name: 'later-assert',
      shared: { x0: int(0, 1), x1: int(0, 1), flag: int(0, 1) },
      threads: [
        thread('c0', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.x0 = 1; }, next: 'b' }, b: { then: (s) => s.assert(s.flag === 0 || !bad, 'flag-clear'), next: 'done' } } }),
        thread('c1', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.x1 = 1; }, next: 'b' }, b: { then: (s) => s.assert(s.x1 === 1, 'x1-set'), next: 'done' } } }),
        thread('w', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.flag = 1; }, next: 'done' } } }),
      ],
    });
  for (const bad of [false, true]) {
    const full = search(buildModel(mk(bad), null), { liveness: false });
    const red = search(buildModel(mk(bad), null), { liveness: false, por: true });
    t.is(red.verdict, full.verdict);
    t.is(red.violation?.property, full.violation?.property);
    t.true(red.stats.states < full.stats.states, `reduced: ${red.stats.states} < ${full.stats.states}`);
    if (bad) t.is(replay(JSON.parse(JSON.stringify(buildTrace(red.runtime, red.violation!))), mk(bad)).status, 'reproduced');
  }
  t.is(search(buildModel(mk(true), null), { liveness: false }).violation?.property, 'flag-clear');
});

/** Orbits of a full state space under the model's symmetry, counted by canonicalising every reachable state. */
function orbits(b: ReturnType<typeof buildModel>, full: ReturnType<typeof search>): number {
  const sym = new Symmetry(b, full.runtime.layout);
  const seen = new Set<string>();
  const buf = new Uint32Array(full.runtime.words);
  for (let i = 0; i < full.store.count; i++) {
    full.store.read(i, buf);
    sym.canonicalize(buf, 0);
    seen.add(buf.join(','));
  }
  return seen.size;
}

test('symmetry keeps the verdict, reports exactly the number of orbits, and its counterexamples replay on the unreduced model', (t) => {
  fc.assert(
    fc.property(genSym, fc.boolean(), (g, deadlock) => {
      const m = toSymModel(g);
      const b = buildModel(m, null);
      const full = search(b, { deadlock, liveness: false });
      const red = search(b, { deadlock, liveness: false, symmetry: true });
      if (!same(full, red)) return false;
      if (full.verdict === 'pass' && red.stats.states !== orbits(b, full)) return false;
      if (red.violation) {
        if (red.violation.steps.length !== full.violation!.steps.length) return false;
        if (replay(JSON.parse(JSON.stringify(buildTrace(red.runtime, red.violation))), m).status !== 'reproduced') return false;
      }
      const both = search(b, { deadlock, liveness: false, symmetry: true, por: true });
      // A search stopped at its first violation has stored an order-dependent number of states: counts compare between complete searches only.
      return same(full, both) && (full.verdict !== 'pass' || both.stats.states <= red.stats.states);
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('symmetry and POR are refused where they would be unsound, with a clear message', async (t) => {
  fc.assert(
    fc.property(genModel(), (g) => {
      // The general generator indexes flags with me.id % 2: not symmetric.
      const m = toModel(g);
      const b = buildModel(m, null);
      if (!b.templates.some((x) => x.replicated && x.count >= 2)) return true;
      try {
        search(b, { liveness: false, symmetry: true });
      } catch (e) {
        return /--symmetry refused/.test((e as Error).message);
      }
      // Accepted only when no step of a replicated group uses me.id arithmetic.
      return !g.templates.some((x) => x.replicated && x.count >= 2 && x.steps.some((s) => s.lockGuard || s.effects.some((e) => e.kind === 'flag')));
    }),
    { numRuns: RUNS },
  );
  const lock = (await import('../examples/lock.ts')).default;
  const e = t.throws(() => search(buildModel(lock, 'atomic-xchg'), { por: true }));
  t.regex(e!.message, /MC312|--por is not sound for livelock checking/);
  // Symmetry with livelock checking judges fairness on the lift of the quotient (test/sym-liveness.test.ts).
  const withLiveness = search(buildModel(lock, 'atomic-xchg'), { symmetry: true });
  t.is(withLiveness.verdict, search(buildModel(lock, 'atomic-xchg')).verdict);
  t.true(withLiveness.livenessChecked);
});

test('hash-compact storage gives the same counts and verdicts as the exact store; bitstate never more states, and its counterexamples replay', (t) => {
  fc.assert(
    fc.property(genModel(), fc.boolean(), (g, deadlock) => {
      const m = toModel(g);
      const b = buildModel(m, null);
      const exact = search(b, { deadlock, liveness: false });
      const compact = search(b, { deadlock, liveness: false, store: 'hash-compact' });
      if (!same(exact, compact)) return false;
      if (exact.verdict === 'pass' && (compact.stats.states !== exact.stats.states || compact.stats.transitions !== exact.stats.transitions)) return false;
      if (compact.violation && compact.violation.steps.length !== exact.violation!.steps.length) return false;
      for (const bits of [24, 10]) {
        const bs = search(b, { deadlock, liveness: false, store: 'bitstate', bitstateBits: bits });
        if (exact.verdict === 'pass' && bs.stats.states > exact.stats.states) return false;
        if (bs.violation && replay(JSON.parse(JSON.stringify(buildTrace(bs.runtime, bs.violation))), m).status !== 'reproduced') return false;
        // With a big bit array on these tiny models nothing is missed.
        if (bits === 24 && (bs.stats.states !== exact.stats.states && exact.verdict === 'pass')) return false;
        if (bits === 24 && bs.verdict !== exact.verdict) return false;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

test('non-exact stores are refused for livelock checking', async (t) => {
  const lock = (await import('../examples/lock.ts')).default;
  for (const store of ['hash-compact', 'bitstate'] as const) {
    const e = t.throws(() => search(buildModel(lock, 'atomic-xchg'), { store }));
    t.regex(e!.message, /cannot check livelocks/);
  }
});

test('declared footprints enable POR where helpers hide accesses, and a wrong declaration is caught', async (t) => {
  const { defineModel, int, thread } = await import('../src/index.ts');
  const bump = (s: any, name: string) => { s[name] = s[name] + 1; };
  const mk = (k: number, declare: boolean, lie = false) =>
    thread(`c${k}`, {
      start: 'a',
      end: ['done'],
      steps: {
        a: { then: (s) => bump(s, `x${k}`), next: 'b', ...(declare ? { reads: [], writes: [lie ? `x${(k + 1) % 3}` : `x${k}`] } : {}) },
        b: { then: (s) => bump(s, `x${k}`), next: 'done', ...(declare ? { writes: [`x${k}`] } : {}) },
      },
    });
  const shared = { x0: int(0, 2), x1: int(0, 2), x2: int(0, 2) };
  const undeclared = defineModel({ name: 'helpers', shared, threads: [mk(0, false), mk(1, false), mk(2, false)] });
  const declared = defineModel({ name: 'helpers', shared, threads: [mk(0, true), mk(1, true), mk(2, true)] });
  const lying = defineModel({ name: 'helpers', shared, threads: [mk(0, true, true), mk(1, true), mk(2, true)] });
  t.is(search(buildModel(undeclared, null), { liveness: false, por: true }).stats.states, 27);
  t.is(search(buildModel(declared, null), { liveness: false, por: true }).stats.states, 7);
  const e = t.throws(() => search(buildModel(lying, null), { liveness: false, por: true }));
  t.is((e as any).code, 'MC144');
  t.regex(e!.message, /thread "c0" step "a": its declared footprint \(reads nothing; writes x1\) misses what it does: reads x0, writes x0/);
});

test('regressions: POR keeps steps visible when an invariant reads labels; symmetry refuses ids handled inside unlisted helpers and checks listed ones', async (t) => {
  const { defineModel, int, bool, replicate, threadId } = await import('../src/index.ts');
  const labels = defineModel({
    name: 'porlab',
    shared: {},
    threads: [replicate(2, 'T', { start: 'a', end: ['c'], steps: { a: { next: 'b' }, b: { next: 'c' } } })],
    invariants: { 'not-both-at-b': (s) => s.count('T', 'b') < 2 },
  });
  t.is(search(buildModel(labels, null), { liveness: false, por: true }).verdict, 'violation');
  const leader = (me: any) => me.id === 1;
  const mk = (helpers: ((...a: any[]) => unknown)[]) =>
    defineModel({
      name: 'leader',
      helpers,
      shared: { own: threadId('T', { none: true }), x: int(0, 1), bad: bool() },
      threads: [
        replicate(2, 'T', {
          start: 'a',
          end: ['a', 'b'],
          steps: {
            lead: { at: 'a', when: (s, me) => leader(me), then: (s) => { s.x = 1; }, next: 'b' },
            follow: { at: 'a', when: (s, me) => !leader(me) && s.x === 1, then: (s) => { s.bad = true; }, next: 'b' },
          },
        }),
      ],
      invariants: { 'never-bad': (s) => !s.bad },
    });
  const e1 = t.throws(() => search(buildModel(mk([]), null), { liveness: false, symmetry: true }));
  t.regex(e1!.message, /passes me to a function that is not among the model's helpers/);
  const e2 = t.throws(() => search(buildModel(mk([leader]), null), { liveness: false, symmetry: true }));
  t.regex(e2!.message, /helper leader: "me.id" is compared with a literal replica number/);
  // The locals used whole without a call: the message says how, not that a function was called.
  const whole = (when: (s: any, me: any) => boolean) =>
    defineModel({ name: 'whole', shared: { x: int(0, 1) }, threads: [replicate(2, 'T', { locals: { v: int(0, 1) }, start: 'a', end: ['b'], steps: { go: { at: 'a', when, then: (s: any) => { s.x = 1; }, next: 'b' } } } as never)] } as never);
  for (const [when, what] of [
    [(_s: any, me: any) => { const { v } = me; return v === 0; }, /T\.go: destructures me \(const \{ \.\.\. \} = me\), so its use of replica ids cannot be checked \(write the accesses as me\.NAME in the step/],
    [(_s: any, me: any) => { const m = me; return m.v === 0; }, /T\.go: copies me into another name \(an alias\)/],
    [(_s: any, me: any) => me['v'] === 0, /T\.go: reads me\[\.\.\.\], a member by a computed name/],
  ] as const)
    t.regex(t.throws(() => search(buildModel(whole(when as never), null), { liveness: false, symmetry: true }))!.message, what);
});

test('symmetry on the kernel models with replicated threads: every variant keeps its verdict and shortest length, counts the orbits, and its counterexamples replay', async (t) => {
  const { builtinModels } = await import('../models/index.ts');
  const byName = new Map(builtinModels.map((m) => [m.name, m]));
  const cases: [string, Record<string, number>[]][] = [
    ['migration-entry-wait', [{ faulters: 3, holder: 0 }, { faulters: 3, holder: 1 }]],
    ['interval-notifier', [{ invalidators: 2, notifiers: 1 }, { invalidators: 2, notifiers: 2 }]],
  ];
  let checked = 0;
  for (const [name, grid] of cases) {
    const m = byName.get(name)!;
    for (const variant of m.variantNames)
      for (const params of grid) {
        const what = `${name}/${variant} ${JSON.stringify(params)}`;
        const b = buildModel(m, variant, params);
        const full = search(b, { liveness: false });
        const red = search(b, { liveness: false, symmetry: true });
        t.is(red.verdict, full.verdict, what);
        t.is(red.violation?.kind, full.violation?.kind, what);
        t.is(red.violation?.property, full.violation?.property, what);
        t.true(red.stats.states < full.stats.states, `${what}: reduces`);
        if (full.verdict === 'pass') t.is(red.stats.states, orbits(b, full), `${what}: one state per orbit`);
        if (red.violation) {
          t.is(red.violation.steps.length, full.violation!.steps.length, `${what}: shortest`);
          t.is(replay(JSON.parse(JSON.stringify(buildTrace(red.runtime, red.violation))), m).status, 'reproduced', what);
        }
        checked++;
      }
  }
  t.is(checked, 8 * 2 + 6 * 2);
  // The instances the reduction bench reports (equal to Rumur's exhaustive symmetry reduction, test/peers.test.ts).
  const counts = (name: string, variant: string, params: Record<string, number>) => {
    const r = search(buildModel(byName.get(name)!, variant, params), { liveness: false, symmetry: true });
    return [r.stats.states, r.stats.transitions];
  };
  t.deepEqual(counts('migration-entry-wait', 'wait-on-locked', { faulters: 3 }), [38, 75]);
  t.deepEqual(counts('migration-entry-wait', 'put-and-wait', { faulters: 3 }), [134, 340]);
  t.deepEqual(counts('interval-notifier', 'correct', { invalidators: 2 }), [218, 389]);
});

test('thread-level helpers are checked like the model\'s; one name, one helper; fill() keeps replicas interchangeable', async (t) => {
  const { defineModel, int, bool, array, replicate } = await import('../src/index.ts');
  const leader = (me: any) => me.id === 1;
  const mk = (helpers: ((...a: any[]) => unknown)[], modelHelpers: ((...a: any[]) => unknown)[] = []) =>
    defineModel({
      name: 'leader',
      helpers: modelHelpers,
      shared: { x: int(0, 1), bad: bool() },
      threads: [
        replicate(2, 'T', {
          start: 'a',
          end: ['a', 'b'],
          helpers,
          steps: {
            lead: { at: 'a', when: (s, me) => leader(me), then: (s) => { s.x = 1; }, next: 'b' },
            follow: { at: 'a', when: (s, me) => !leader(me) && s.x === 1, then: (s) => { s.bad = true; }, next: 'b' },
          },
        }),
      ],
    });
  const e1 = t.throws(() => search(buildModel(mk([leader]), null), { liveness: false, symmetry: true }));
  t.regex(e1!.message, /helper leader: "me.id" is compared with a literal replica number/);
  // A different function under a listed name would be trusted by name: refused when the model is built.
  const impostor = { leader: (me: any) => me.id !== -1 }.leader;
  const e2 = t.throws(() => buildModel(mk([impostor], [leader]), null));
  t.is((e2 as { code?: string }).code, 'MC145');
  t.regex(e2!.message, /two different helpers are named "leader"/);

  // Waking every waiter with fill() is symmetric; a loop over indices is refused (the index is not an id).
  const wake = (loop: boolean) =>
    defineModel({
      name: 'wake',
      shared: { parked: array(3, bool()).indexedBy('T'), locked: bool() },
      threads: [
        replicate(3, 'T', {
          start: 'a',
          end: ['a'],
          steps: {
            lock: { at: 'a', when: (s) => !s.locked, then: (s) => { s.locked = true; }, next: 'held' },
            park: { at: 'a', when: (s) => s.locked, then: (s, me) => { s.parked.set(me.id, true); }, next: 'w' },
            woken: { at: 'w', when: (s, me) => !s.parked.get(me.id), next: 'a' },
            unlock: loop
              ? { at: 'held', then: (s) => { s.locked = false; for (let i = 0; i < s.parked.length; i++) s.parked.set(i, false); }, next: 'a' }
              : { at: 'held', then: (s) => { s.locked = false; s.parked.fill(false); }, next: 'a' },
          },
        }),
      ],
    });
  const b = buildModel(wake(false), null);
  const full = search(b, { liveness: false });
  const red = search(b, { liveness: false, symmetry: true });
  t.is(full.verdict, 'pass');
  t.is(red.stats.states, orbits(b, full));
  t.true(red.stats.states < full.stats.states);
  t.deepEqual(search(buildModel(wake(true), null), { liveness: false }).stats.states, full.stats.states);
  const e3 = t.throws(() => search(buildModel(wake(true), null), { liveness: false, symmetry: true }));
  t.regex(e3!.message, /s.parked is indexed by "i", which is not a T id/);
  // fill() is a write in the derived footprint (POR must not take the unlock as independent of park/woken).
  const { stepFootprint } = await import('../src/reduce/footprint.ts');
  const fp = stepFootprint(b, b.templates[0]!.steps.find((x) => x.name === 'unlock')!);
  t.false(fp.unknown);
  t.deepEqual([...fp.writes].sort(), ['locked', 'parked']);
});

test('regressions: symmetry refuses a replica id compared with, stored in or handed to anything that is not an id of its group (each passed before, missing the violation)', async (t) => {
  const { defineModel, int, bool, replicate, threadId, thread } = await import('../src/index.ts');
  type Step = Record<string, unknown>;
  const mk = (step: Step, extra: { shared?: Record<string, unknown>; helpers?: ((...a: any[]) => unknown)[]; obs?: Step; inv?: (s: any) => boolean } = {}) =>
    defineModel({
      name: 'sym-regress',
      helpers: extra.helpers ?? [],
      shared: { turn: int(0, 1), owner: threadId('t', { none: true }), ok: bool(true), ...(extra.shared ?? {}) } as never,
      threads: [
        replicate(2, 't', { start: 'a', end: ['b'], steps: { go: { at: 'a', next: 'b', ...step } } } as never),
        ...(extra.obs ? [thread('obs', { start: 'a', end: ['b'], steps: { look: { at: 'a', next: 'b', ...extra.obs } } } as never)] : []),
      ],
      ...(extra.inv ? { invariants: { inv: extra.inv } } : {}),
    } as never);
  const BOSS = 1;
  const mayGo = (s: any, first: boolean) => s.owner === -1 && first;
  const cases: [string, ReturnType<typeof mk>, RegExp][] = [
    ['an int variable', mk({ when: (s: any, me: any) => s.turn === me.id }), /"me\.id" is compared with "s\.turn", which is not a t id/],
    ['a closure constant', mk({ when: (s: any) => s.owner === -1, then: (s: any, me: any) => { s.owner = me.id; } }, { inv: (s: any) => s.owner !== BOSS }), /invariant inv: "s\.owner" is compared with "BOSS"/],
    ['another group\'s id', mk({ when: (s: any) => s.owner === -1, then: (s: any, me: any) => { s.owner = me.id; } }, { obs: { when: (s: any, me: any) => s.owner === me.id } }), /obs\.look: "s\.owner" is compared with "me\.id"/],
    ['an id inside a listed helper\'s argument', mk({ when: (s: any, me: any) => mayGo(s, me.id === 1) }, { helpers: [mayGo] }), /"me\.id" is compared with a literal replica number/],
    ['an id stored in an int', mk({ then: (s: any, me: any) => { s.turn = me.id; } }), /"me\.id" is stored in "s\.turn", which is not a threadId\("t"\) variable/],
    ['an int stored in a threadId', mk({ then: (s: any) => { s.owner = s.turn; } }), /"s\.owner" is given "s\.turn"/],
    ['an id kept in a local constant', mk({ when: (s: any, me: any) => { const x = me.id; return x === 0; } }), /"me\.id" is stored in "x"/],
    ['an id returned by a guard (its truth)', mk({ when: (s: any, me: any) => me.id }), /"me\.id" is returned/],
    ['a URL in a message before the id', mk({ when: (s: any, me: any) => { s.assert(s.ok, 'see https://lore.kernel.org/r/1'); return me.id === 0; } }), /"me\.id" is compared with a literal replica number/],
  ];
  for (const [what, m, re] of cases) {
    const e = t.throws(() => search(buildModel(m, null), { liveness: false, symmetry: true }), undefined, what);
    t.is((e as any).code, 'MC313', what);
    t.regex(e!.message, re, what);
  }
  // Symmetric uses still pass: an id stored in and compared with threadId variables, a conditional into one, -1.
  const ok = mk({ when: (s: any, me: any) => s.owner === -1 || s.owner === me.id, then: (s: any, me: any) => { s.owner = s.ok ? me.id : -1; } });
  t.regex(search(buildModel(ok, null), { liveness: false, symmetry: true }).reduction?.symmetry ?? '', /^t×2: permuted/);
});

test('--symmetry on an instance whose group has one replica says so, not that the model has no replicated group', async (t) => {
  const { defineModel, int, replicate } = await import('../src/index.ts');
  const m = defineModel({
    name: 'one-replica',
    params: { n: int(1, 3, 1) },
    shared: { c: int(0, 3) },
    threads: ({ n }) => [replicate(n, 'w', { start: 'a', end: ['b'], steps: { go: { at: 'a', then: (s) => { s.c = s.c + 1; }, next: 'b' } } })],
  });
  const e = t.throws(() => search(buildModel(m, null, { n: 1 }), { liveness: false, symmetry: true }));
  t.is((e as any).code, 'MC313');
  t.regex(e!.message, /no thread group of two or more replicas to permute \("w" has one replica in this instance\)/);
  t.regex(search(buildModel(m, null, { n: 2 }), { liveness: false, symmetry: true }).reduction?.symmetry ?? '', /^w×2: permuted/);
});

test('after a search of 10 s or more without --symmetry, check says whether --symmetry would permute the replicated groups, or what keeps it from doing so', async (t) => {
  const { defineModel, int, array, replicate } = await import('../src/index.ts');
  const { symmetryNote, SYMMETRY_NOTE_SECONDS } = await import('../src/cli/commands/check.ts');
  const ticket = (indexed: boolean) =>
    defineModel({
      name: 'ticket',
      params: { n: int(1, 4, 3) },
      shared: ({ n }) => ({ next: int(0, 3), serving: int(0, 3), mine: indexed ? array(n, int(0, 3)).indexedBy('cpu') : array(n, int(0, 3)) }),
      threads: ({ n }) => [
        replicate(n, 'cpu', {
          start: 'take',
          steps: {
            take: { then: (s, me) => { s.mine.set(me.id, s.next); s.next = (s.next + 1) % 4; }, next: 'spin' },
            spin: { when: (s, me) => s.serving === s.mine.get(me.id), next: 'crit', progress: true },
            crit: { then: (s) => { s.serving = (s.serving + 1) % 4; }, next: 'take' },
          },
        }),
      ],
    });
  const long = { livenessChecked: true, stats: { seconds: SYMMETRY_NOTE_SECONDS } } as Parameters<typeof symmetryNote>[2];
  const symmetric = buildModel(ticket(true), null);
  t.is(symmetryNote(symmetric, {}, long), 'note: the search took 10.0 s without --symmetry; --symmetry would permute cpu×3: one state stored for each class of states that differ by a permutation of replicas (up to 6 states in a class), with the same verdict\n');
  // What it says is what --symmetry does.
  t.regex(search(symmetric, { liveness: false, symmetry: true }).reduction?.symmetry ?? '', /^cpu×3: permuted/);
  const refused = buildModel(ticket(false), null);
  t.is(symmetryNote(refused, {}, long), 'note: the search took 10.0 s without --symmetry; --symmetry would not permute the replicated group: cpu: cpu.take: array "mine" is indexed with a cpu id but not declared .indexedBy("cpu")\n');
  t.throws(() => search(refused, { liveness: false, symmetry: true }), { message: /MC313|indexedBy\("cpu"\)/ });
  // Nothing after a shorter search, with --symmetry given, where --symmetry would be refused with these options (--por with livelock checking), or without a replicated group.
  t.is(symmetryNote(symmetric, {}, { ...long, stats: { ...long.stats, seconds: SYMMETRY_NOTE_SECONDS - 0.01 } }), '');
  t.is(symmetryNote(symmetric, { symmetry: true }, long), '');
  t.is(symmetryNote(symmetric, { por: true }, long), '');
  t.not(symmetryNote(symmetric, { por: true }, { ...long, livenessChecked: false }), '');
  t.is(symmetryNote(buildModel(ticket(true), null, { n: 1 }), {}, long), '');
});

test('regressions: a // or /* inside a string (a URL in an assertion message) does not hide the rest of the line from POR and dead-variable reduction', async (t) => {
  const { defineModel, int, bool, thread } = await import('../src/index.ts');
  const por = defineModel({
    name: 'por-url',
    shared: { x: int(0, 1), y: int(0, 1) },
    threads: [
      thread('A', { start: 'a0', end: ['a1'], steps: { set: { at: 'a0', then: (s) => { s.assert(s.x === 0, 'set once: https://lore.kernel.org/r/1'); s.x = 1; }, next: 'a1' } } }),
      thread('B', { start: 'b0', end: ['b1'], steps: { look: { at: 'b0', then: (s) => { s.y = s.x === 0 ? 1 : 0; }, next: 'b1' } } }),
    ],
    invariants: { 'y-zero': (s) => s.y === 0 },
  });
  t.is(search(buildModel(por, null), { liveness: false, por: true }).verdict, 'violation');
  const dead = defineModel({
    name: 'dead-url',
    shared: { f: bool(true), y: int(0, 1) },
    threads: [
      thread('a', {
        locals: { t: int(0, 1) },
        start: 'a0',
        end: ['a2'],
        steps: {
          set: { at: 'a0', then: (s, me) => { me.t = s.f ? 1 : 0; }, next: 'a1' },
          use: { at: 'a1', then: (s, me) => { s.assert(s.y === 0, 'see /* https://lore.kernel.org/r/1'); s.y = me.t; }, next: 'a2' },
        },
      }),
    ],
    invariants: { 'y-zero': (s) => s.y === 0 },
  });
  t.is(search(buildModel(dead, null), { liveness: false, deadVars: true }).verdict, 'violation');
});

test('regressions: a destructuring assignment or a for-of/in head writes the state (POR passed a violation: [s.v] = [1], ({ v: s.v } = o), for (s.v of xs), and [me.j] = [1] before s.a.set(me.j, ...))', async (t) => {
  const { defineModel, int, bool, thread, array } = await import('../src/index.ts');
  const { destructuredAt } = await import('../src/model/source.ts');
  const at = (code: string, access = 's.v') => destructuredAt(code, code.indexOf(access));
  for (const w of ['[s.v] = [1];', '[, s.v] = [0, 1];', '({ v: s.v } = { v: 1 });', '[[s.v]] = [[1]];', '[x, { a: s.v }] = y;', 'for (s.v of [1]);', 'for (s.v in o);', 'for ([s.v] of xs);', '[s.v = 1] = [];'])
    t.true(at(w), w);
  for (const r of ['x = [s.v];', 'f([s.v]);', 'a[s.v] = 1;', '[a[s.v]] = [1];', 'for (const x of s.v);', 'for (x of [s.v]);', 'if (s.v) { y = 1; }', 'x = { a: s.v };', 'q = [s.v] == [1];', 'g = ([s.v]) => 1;'])
    t.false(at(r), r);
  const writer = (then1: (s: any, me: any) => void, then2: (s: any, me: any) => void, locals = {}) =>
    thread('A', { start: 'a1', end: ['end'], locals, steps: { a1: { then: then1, next: 'a2' }, a2: { then: then2, next: 'end' } } });
  const reader = (hit: (s: any) => boolean) =>
    thread('B', {
      start: 'b0',
      end: ['end'],
      locals: { y: int(0, 1) },
      steps: { b0: { then: (_s, me) => { me.y = 1; }, next: 'b1' }, hit: { at: 'b1', when: hit, then: (s) => { s.err = true; }, next: 'end' }, miss: { at: 'b1', when: (s) => !hit(s), next: 'end' } },
    });
  const models = [
    [writer((s) => { [s.v] = [1]; }, (s) => { [s.v] = [0]; }), reader((s) => s.v === 1)],
    [writer((s) => { ({ v: s.v } = { v: 1 }); }, (s) => { ({ v: s.v } = { v: 0 }); }), reader((s) => s.v === 1)],
    [writer((s) => { for (s.v of [1]); }, (s) => { for (s.v of [0]); }), reader((s) => s.v === 1)],
    [writer((s, me) => { [me.j] = [1]; s.a.set(me.j, 1); me.j = 0; }, (s, me) => { [me.j] = [1]; s.a.set(me.j, 0); me.j = 0; }, { j: int(0, 1) }), reader((s) => s.a.get(1) === 1)],
  ];
  for (const [i, threads] of models.entries()) {
    const m = defineModel({ name: `destructure-${i}`, shared: { v: int(0, 1), a: array(2, int(0, 1)), err: bool() }, threads: threads as never, invariants: { 'no-err': (s) => !s.err } });
    const b = buildModel(m, null);
    t.is(search(b, { liveness: false }).violation?.property, 'no-err', `model ${i}`);
    t.is(search(b, { liveness: false, por: true }).violation?.property, 'no-err', `model ${i} --por`);
  }
});

test('regressions: a regular expression after a control statement\'s head or a division after a member named like a keyword hides no code; symmetry refuses arithmetic around a compared id, a replica named through a variable, arguments; and accepts the usual owner and queue handling', async (t) => {
  const { defineModel, int, bool, thread, replicate, threadId, array } = await import('../src/index.ts');
  const { codeOnly, withoutComments, withoutTemplateText } = await import('../src/model/source.ts');
  for (const src of ['s=>{if(s.tag)/\'/.test("x")&&(s.tag=false);s.y=s.x}', 's=>{if(s.tag)/^https?:\\/\\//.test("x");s.y=s.x}', 's=>{s.old=s.new/2;s.assert(s.old<=1,"half / full");s.y=s.x}', 's=>{let k=s.a++/2;s.assert(k<9,"x/y");s.y=s.x}']) {
    t.true(codeOnly(src).endsWith('s.y=s.x}'), src);
    t.is(withoutComments(src), src);
  }
  const tt = 's=>{s.assert(!s.l,"don`t");s.i=s.i==="nobdy"?1:2}';
  t.is(withoutTemplateText(tt), tt);
  const por = defineModel({
    name: 'por-regex',
    shared: { tag: bool(), x: int(0, 1), y: int(0, 1) },
    threads: [
      thread('a', { start: 'a0', end: ['a1'], steps: { a1: { at: 'a0', then: (s) => { if (s.tag) /'/.test('x') && (s.tag = false); s.y = s.x; }, next: 'a1' } } }),
      thread('b', { start: 'b0', end: ['b1'], steps: { b1: { at: 'b0', then: (s) => { s.x = 1; }, next: 'b1' } } }),
    ],
    invariants: { 'y-zero': (s) => s.y === 0 },
  });
  t.is(search(buildModel(por, null), { liveness: false, por: true }).verdict, 'violation');
  const CPU = 'cpu';
  const mk = (steps: Record<string, unknown>) =>
    defineModel({
      name: 'sym-more',
      shared: { owner: threadId('cpu', { none: true }), q: array(2, threadId('cpu', { none: true })), bad: bool() },
      threads: [replicate(2, 'cpu', { start: 'a', end: ['b'], labels: ['a', 'b'], steps: { go: { at: 'a', next: 'b', ...steps } } } as never)],
    } as never);
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['an id plus one', { then: (s: any, me: any) => { s.bad = s.owner === me.id + 1; } }, /inside a larger expression/],
    ['an int plus the owner', { then: (s: any, me: any) => { s.bad = s.owner * 2 === me.id; } }, /inside a larger expression|is compared with/],
    ['a replica named through a constant group', { then: (s: any) => { s.bad = s.at(CPU, 1) === 'b'; } }, /names one cpu replica by "1"/],
    ['arguments', { when: function (this: unknown, s: any) { return s.owner === -1 && (arguments as any)[1].id === 1; } }, /reads arguments/],
    // An id made text: compared, chosen by, or a label (each passed with a violation the unreduced search finds).
    ['an id in a template compared', { when: (_s: any, me: any) => `${me.id}` === '1' }, /written into a template literal/],
    ['a stored id in a template', { then: (s: any) => { s.bad = `${s.owner}` !== '1'; } }, /written into a template literal/],
    ['an id in a tagged template', { when: (_s: any, me: any) => String.raw`${me.id}` === '1' }, /written into a template literal/],
    ['an id in a template choosing', { choose: (_s: any, me: any) => (`${me.id}` === '1' ? 2 : 1) }, /written into a template literal/],
  ];
  for (const [what, st, re] of refused) {
    const e = t.throws(() => search(buildModel(mk(st), null), { liveness: false, symmetry: true }), undefined, what);
    t.regex(e!.message, re, what);
  }
  const accepted: [string, Record<string, unknown>][] = [
    ['an unbraced if', { then: (s: any, me: any) => { if (s.owner === -1) s.owner = me.id; else if (s.owner === me.id) s.owner = -1; } }],
    ['a hand-over from a queue of ids', { then: (s: any) => { s.owner = s.q.get(0); } }],
    ['-1 on the left', { when: (s: any) => -1 === s.owner }],
    ['the owner\'s label', { when: (s: any) => s.owner === -1 || s.at('cpu', s.owner) === 'a' }],
    ['an id in a message', { then: (s: any, me: any) => { s.assert(s.owner !== me.id || !s.bad, `owner ${s.owner}`); } }],
    ['an id in an error thrown', { then: (s: any, me: any) => { if (s.owner !== -1 && s.owner !== me.id && s.bad) throw new Error(`held by ${s.owner}`); } }],
  ];
  for (const [what, st] of accepted) t.regex(search(buildModel(mk(st), null), { liveness: false, deadlock: false, symmetry: true }).reduction?.symmetry ?? '', /^cpu×2: permuted/, what);
});

test('regressions: symmetry reads s.at/s.local arguments with calls in them (s.at("cpu", Math.min(1, 2)) singles out a replica)', async (t) => {
  const { defineModel, bool, replicate, threadId, array } = await import('../src/index.ts');
  const mk = (when: (s: any) => boolean) =>
    defineModel({
      name: 'sym-at-call',
      shared: { owner: threadId('cpu', { none: true }), q: array(2, threadId('cpu', { none: true })), bad: bool() },
      threads: [replicate(2, 'cpu', { start: 'a', end: ['b'], steps: { go: { at: 'a', next: 'b', when } } } as never)],
    } as never);
  const e = t.throws(() => search(buildModel(mk((s) => s.at('cpu', Math.min(1, 2)) === 'a'), null), { liveness: false, symmetry: true }));
  t.regex(e!.message, /names one cpu replica by "Math\.min\(1, ?2\)"/);
  t.regex(search(buildModel(mk((s) => s.q.get(0) === -1 || s.at('cpu', s.q.get(0)) === 'a'), null), { liveness: false, deadlock: false, symmetry: true }).reduction?.symmetry ?? '', /^cpu×2: permuted/);
});

test('symmetry permutes a group whose ids fill an array of its ids or, read from such an array, index one (q.fill(me.id), w.set(q.get(me.id), ...)); other fills and indices are still refused', async (t) => {
  const { defineModel, bool, int, replicate, threadId, array } = await import('../src/index.ts');
  const mk = (steps: Record<string, unknown>) =>
    defineModel({
      name: 'sym-fill-index',
      shared: { q: array(3, threadId('cpu', { none: true })).indexedBy('cpu'), w: array(3, bool()).indexedBy('cpu'), n: array(3, int(0, 2)), hits: int(0, 3) },
      threads: [replicate(3, 'cpu', { start: 'a', end: ['c'], steps } as never)],
      invariants: { 'at-most-two-hits': (s: any) => s.hits <= 2 },
    } as never);
  const good = mk({
    claim: { at: 'a', then: (s: any, me: any) => { s.q.fill(me.id); }, next: 'b' },
    mark: { at: 'b', when: (s: any, me: any) => s.q.get(me.id) !== -1 && !s.w.get(s.q.get(me.id)), then: (s: any, me: any) => { s.w.set(s.q.get(me.id), true); s.q.set(s.q.get(me.id), me.id); s.hits += 1; }, next: 'c' },
    skip: { at: 'b', next: 'c' },
  });
  const plain = search(buildModel(good, null), { liveness: false, deadlock: false });
  const sym = search(buildModel(good, null), { liveness: false, deadlock: false, symmetry: true });
  t.regex(sym.reduction?.symmetry ?? '', /^cpu×3: permuted/);
  t.is(sym.verdict, plain.verdict);
  t.is(sym.violation?.property, plain.violation?.property);
  t.true(sym.stats.states < plain.stats.states);
  const refused: [string, Record<string, unknown>, RegExp][] = [
    ['an int array filled with an id', { claim: { at: 'a', then: (s: any, me: any) => { s.n.fill(me.id); }, next: 'c' } }, /fills "n"|not threadId/],
    ['an index read from an int array', { claim: { at: 'a', then: (s: any) => { s.w.set(s.n.get(0), true); }, next: 'c' } }, /indexed by/],
  ];
  for (const [what, steps, re] of refused) {
    const e = t.throws(() => search(buildModel(mk(steps), null), { liveness: false, symmetry: true }), undefined, what);
    t.regex(e!.message, re, what);
  }
});
