/**
 * Type tests: compiled by `tsc --noEmit -p .` (part of `npm test`), never run.
 * Each `@ts-expect-error` line must be an error (an unused directive is an
 * error itself), so a regression in the inference of shared variables,
 * locals, labels or parameters fails the type check.
 */
import { array, bool, combine, completion, defineModel, int, intervalNotifier, intervalSubscriptions, mutex, oneOf, pageLock, refcount, replicate, rwsem, spinlock, thread, threadId, waitQueue, workqueue } from '../../src/index.ts';
import type { BlockShared, LocalView, ReadonlyStateView, StateView, StepDef, ThreadGroupDef } from '../../src/index.ts';

// ---- positive: everything below compiles, with the types noted -------------------

export const dining = defineModel({
  name: 'typed-dining',
  params: { n: int(2, 8, 3), mode: oneOf('fast', 'slow'), strict: bool() },
  shared: ({ n }) => ({
    fork: array(n, bool()),
    owner: threadId('phil', { none: true }),
    phase: oneOf('idle', 'busy', 'done'),
    meals: int(0, 3),
    who: array(n, threadId('phil')),
  }),
  threads: ({ n, mode }, variant) => [
    replicate(n, 'phil', {
      locals: { ate: bool(), tries: int(0, 2), mood: oneOf('calm', 'angry') },
      start: 'Think',
      labels: ['Gone'],
      end: ['Full'],
      progress: ['Eat'],
      steps: {
        take: {
          at: 'Think',
          when: (s, me) => !s.fork.get(me.id) && s.phase !== 'done' && me.mood === 'calm',
          then: (s, me) => {
            const f: boolean = s.fork.get(me.id);
            s.fork.set(me.id, !f);
            s.owner = me.id;
            s.who.set(me.id, me.id);
            s.phase = mode === 'fast' ? 'busy' : 'idle';
            me.tries = me.tries + 1;
            s.assert(s.meals <= 3, 'meals');
          },
          next: (_s, me) => (me.tries < 2 ? 'Eat' : 'Gone'),
        },
        eat: {
          at: 'Eat',
          choose: ['more', 'enough'],
          then: (s, me, choice) => {
            me.ate = true;
            if (choice === 0 && s.meals < 3) s.meals = s.meals + 1;
            s.fork.fill(false);
          },
          next: (_s, _me, choice) => (choice === 0 ? 'Think' : 'Full'),
          progress: true,
        },
        leave: { at: 'Gone', next: variant === 'x' ? 'Full' : 'Gone' },
      },
    }),
    thread('waiter', {
      start: 'serve',
      steps: { serve: { when: (s) => s.count('phil', 'Eat') < n && s.at('phil', 0) !== 'Full', next: 'serve' } },
    }),
  ],
  invariants: {
    'one-owner': (s) => s.owner < 8,
    'phase-known': (s) => s.phase === 'idle' || s.phase === 'busy' || s.phase === 'done',
  },
  init: ({ strict }) => (s) => {
    s.meals = strict ? 0 : 1;
  },
});

// Helpers written outside the model, typed from the same domains.
const lockShared = { locked: bool(), inside: oneOf('nobody', 'one', 'two') };
const lockLocals = { held: bool() };
type S = typeof lockShared;
type L = typeof lockLocals;
const enter = (s: StateView<S>) => {
  s.inside = s.inside === 'nobody' ? 'one' : 'two';
};
const release = (s: StateView<S>, me: LocalView<L>) => {
  s.locked = false;
  me.held = false;
};
// Steps assembled at run time (computed keys): labels are strings, names and values still typed.
const steps: Record<string, StepDef<S, L>> = {};
for (const k of ['a', 'b']) {
  steps[k] = { when: (s) => !s.locked, then: (s, me) => { s.locked = true; me.held = true; enter(s); }, next: k === 'a' ? 'b' : 'done' };
  // @ts-expect-error an undeclared shared variable, even in a step built in a loop
  steps[`${k}2`] = { then: (s) => { s.lockd = true; }, next: 'done' };
}
export const lock = defineModel({
  name: 'typed-lock',
  shared: lockShared,
  threads: (_p) => {
    const groups: ThreadGroupDef<S>[] = [replicate(2, 'cpu', { locals: lockLocals, start: 'a', end: ['done'], steps, helpers: [release] })];
    return groups;
  },
  helpers: [enter],
});

// ---- negative: each marked line is a compile error ---------------------------------

const shared = { flag: bool(), state: oneOf('a', 'b'), n: int(0, 3), owner: threadId('t', { none: true }), arr: array(2, oneOf('x', 'y')) };

defineModel({
  name: 'undeclared-shared',
  shared,
  threads: (_p) => [
    thread('t', {
      start: 'go',
      steps: {
        go: {
          // @ts-expect-error `aa` is not a shared variable (guard)
          when: (s) => s.aa === 1,
          // @ts-expect-error `aa` is not a shared variable (effect)
          then: (s) => { s.aa = 1; },
          next: 'go',
        },
        other: {
          at: 'go',
          // @ts-expect-error `aa` is not a shared variable (computed next)
          next: (s) => (s.aa ? 'go' : 'go'),
        },
      },
    }),
  ],
  // @ts-expect-error `aa` is not a shared variable (invariant)
  invariants: { bad: (s) => s.aa === 1 },
});
defineModel({
  name: 'undeclared-init',
  shared,
  threads: (_p) => [thread('t', { start: 'go', steps: { go: { next: 'go' } } })],
  init: () => (s) => {
    // @ts-expect-error `aa` is not a shared variable (init)
    s.aa = 1;
  },
});
defineModel({
  name: 'shared-function',
  params: { k: int(1, 3) },
  shared: ({ k }) => ({ cnt: int(0, k), fork: array(k, bool()) }),
  threads: ({ k }) => [
    replicate(k, 'p', {
      start: 'go',
      steps: {
        go: {
          // @ts-expect-error `aa` is not a shared variable (shared declared by a function of the parameters)
          then: (s) => { s.aa = 1; },
          next: 'go',
        },
      },
    }),
  ],
});

defineModel({
  name: 'undeclared-local',
  shared,
  threads: (_p) => [
    replicate(2, 't', {
      locals: { locked: bool() },
      start: 'go',
      steps: {
        go: {
          // @ts-expect-error `lcoked` is not a local of the thread
          when: (_s, me) => me.lcoked,
          then: (_s, me) => {
            me.locked = true;
            // @ts-expect-error `lcoked` is not a local of the thread
            me.lcoked = true;
          },
          next: 'go',
        },
      },
    }),
    thread('nolocals', {
      start: 'go',
      // @ts-expect-error a thread without locals has only me.id and me.at
      steps: { go: { then: (_s, me) => { me.x = me.id; }, next: 'go' } },
    }),
  ],
});

defineModel({
  name: 'labels',
  shared,
  threads: (_p) => [
    thread('t', {
      start: 'work',
      labels: ['stuck'],
      end: ['done'],
      steps: {
        work: { next: 'done' },
        again: { at: 'done', next: 'stuck' },
        // @ts-expect-error `dnoe` is no label of the thread
        typo: { at: 'work', next: 'dnoe' },
        // @ts-expect-error a computed next must return a label of the thread
        computed: { at: 'work', next: (s) => (s.flag ? 'done' : 'dnoe') },
      },
    }),
    thread('u', {
      // @ts-expect-error the start label is no label of the thread
      start: 'strat',
      steps: { start: { next: 'start' } },
    }),
    thread('v', {
      start: 'a',
      // @ts-expect-error progress names a label of the thread
      progress: ['b'],
      steps: { a: { next: 'a' } },
    }),
  ],
});

defineModel({
  name: 'values',
  shared,
  threads: (_p) => [
    thread('t', {
      locals: { mine: oneOf('p', 'q'), c: int(0, 2) },
      start: 'go',
      steps: {
        go: {
          then: (s, me) => {
            // @ts-expect-error flag is bool
            s.flag = 3;
            // @ts-expect-error state is oneOf('a', 'b')
            s.state = 'typo';
            // @ts-expect-error n is an int
            s.n = true;
            // @ts-expect-error owner is a thread id (a number)
            s.owner = 'me';
            // @ts-expect-error array elements are oneOf('x', 'y')
            s.arr.set(0, 'z');
            // @ts-expect-error an element read is 'x' | 'y'
            const e: number = s.arr.get(1);
            // @ts-expect-error an array variable is not assigned (its elements are)
            s.arr = s.arr;
            // @ts-expect-error locals are typed too
            me.mine = 'r';
            // @ts-expect-error me.id is read-only
            me.id = 1;
            // @ts-expect-error comparing a oneOf with a name it does not have
            if (s.state === 'c') me.c = e;
          },
          next: 'go',
        },
        guard: {
          at: 'go',
          // @ts-expect-error guards see a read-only state
          when: (s) => { s.flag = true; return true; },
          next: 'go',
        },
        number: {
          at: 'go',
          // @ts-expect-error a guard returns a boolean
          when: (s) => s.n,
          next: 'go',
        },
      },
    }),
  ],
});

defineModel({
  name: 'params',
  params: { n: int(1, 3), mode: oneOf('a', 'b') },
  // @ts-expect-error no parameter `m`
  shared: ({ m }) => ({ x: int(0, m) }),
  // @ts-expect-error mode is 'a' | 'b'
  threads: ({ mode }) => [thread('t', { start: 'go', steps: { go: { next: 'go' } } }), mode === 'c' ? thread('u', { start: 'go', steps: { go: { next: 'go' } } }) : thread('w', { start: 'go', steps: { go: { next: 'go' } } })],
});

// A thread typed for other shared variables does not fit the model.
const other = { flag: int(0, 1) };
const foreign: ThreadGroupDef<typeof other> = thread('f', { start: 'go', steps: { go: { then: (s) => { s.flag = 1; }, next: 'go' } } });
defineModel({
  name: 'foreign',
  shared,
  // @ts-expect-error the thread's `flag` is an int, the model's a bool
  threads: (_p) => [foreign],
});

// Variant names are typed: the functions' `variant`, and the keys of `expect`.
defineModel({
  name: 'variants',
  variants: { fixed: 'the fix', racy: { description: 'the bug', defaults: {} } },
  expect: {
    fixed: { verdict: 'pass' },
    // @ts-expect-error no variant `rasy`
    rasy: { verdict: 'violation' },
  },
  shared,
  threads: (_p, variant) => [
    thread('t', {
      start: 'go',
      // @ts-expect-error no variant `fixd`
      steps: { go: { when: (s) => (variant === 'fixd' ? s.flag : !s.flag), next: 'go' } },
    }),
  ],
});
defineModel({
  name: 'no-variants',
  shared,
  threads: (_p, variant) => {
    // A model without variants gets variant null.
    const none: null = variant;
    return [thread('t', { start: 'go', steps: { go: { when: () => none === null, next: 'go' } } })];
  },
});

// Parameter values in variant defaults and expectations are typed by `params`.
defineModel({
  name: 'param-values',
  params: { n: int(1, 3), mode: oneOf('a', 'b') },
  variants: {
    one: { description: 'n = 1', defaults: { n: 1, mode: 'b' } },
    // @ts-expect-error no parameter `nn`
    two: { description: 'n = 2', defaults: { nn: 2 } },
  },
  // @ts-expect-error mode is 'a' | 'b' (reported on `expect`, the union of its forms)
  expect: {
    one: [
      { verdict: 'pass', params: { n: 2 } },
      { verdict: 'pass', params: { mode: 'c' } },
    ],
  },
  shared,
  threads: (_p) => [thread('t', { start: 'go', steps: { go: { next: 'go' } } })],
});

// Invariants written as a function of the parameters are typed too.
defineModel({
  name: 'invariants-function',
  params: { k: int(1, 3) },
  shared,
  threads: (_p) => [thread('t', { start: 'go', steps: { go: { next: 'go' } } })],
  invariants: ({ k }) => ({
    fine: (s) => s.n < k,
    // @ts-expect-error `aa` is not a shared variable
    typo: (s) => s.aa < k,
  }),
});

// The steps a block operation generates are typed by name: spread into a thread's steps, their names are labels that
// start, next and progress may name (docs/blocks.md's sketch), and a label they are given must be one of the thread's.
const ptl = spinlock('ptl', ['fault', 'migrate']);
const page = pageLock('page', { fault: 2, migrate: 1 });
const refs = refcount('refs', { max: 3, init: 1 });
const mm = rwsem('mm', { writers: ['w'], maxReaders: 2, writerPriority: { maxWriters: 1 } });
export const blockSteps = defineModel({
  name: 'block-steps',
  blocks: [ptl, page, refs, mm],
  shared: { pte: oneOf('present', 'migration') },
  threads: (_p) => [
    replicate(2, 'fault', {
      start: 'lock',
      end: ['done'],
      progress: ['wait_sleep'],
      steps: {
        lock: { ...ptl.lock('fault'), next: 'check' },
        check: { ...combine(ptl.unlock('fault'), refs.get(), { when: (s) => s.pte === 'migration' }), next: 'wait' },
        check_free: { at: 'check', ...ptl.unlock('fault'), next: 'try' },
        ...page.waitUnlocked('fault', { at: 'wait', next: 'done' }),
        ...refs.tryGet({ at: 'try', ok: 'done', fail: 'wait_sleep' }),
      },
    }),
    thread('w', {
      start: 'take',
      end: ['done'],
      steps: {
        ...mm.downWriteSteps('w', { at: 'take', next: 'drop' }),
        drop: { ...mm.upWrite('w'), next: 'take_wait' },
        // @ts-expect-error `tak` is no label of the thread
        again: { at: 'drop', next: 'tak' },
      },
    }),
    thread('t', {
      start: 'a',
      end: ['done'],
      // @ts-expect-error the ok label `dnoe` is no label of the thread (reported on the steps)
      steps: {
        ...ptl.trylock('migrate', { at: 'a', ok: 'dnoe', busy: 'done' }),
      },
    }),
    thread('migrate', {
      start: 'lk',
      end: ['done'],
      progress: ['unl_wake'],
      steps: { ...page.lock('migrate', { at: 'lk', next: 'unl' }), ...page.unlockSteps('migrate', { at: 'unl', next: 'done' }) },
    }),
    thread('migrate', {
      start: 'lk',
      end: ['done'],
      // @ts-expect-error the next label `dnoe` is no label of the thread (reported on the steps)
      steps: { ...page.lock('migrate', { at: 'lk', next: 'unl' }), ...page.unlockSteps('migrate', { at: 'unl', next: 'dnoe' }) },
    }),
  ],
});

// ---- a spread step map whose functions take `me` (README, Typed models) ----------------
// TypeScript types the functions inside a spread before it infers anything from the call: without a type on
// `me` in the spread steps it settles the locals to `{}` and every `me.NAME` of the thread is an error, in its
// other steps too; with `LocalView<typeof locals>` on `me` they infer, and a spread step whose functions take
// `s` alone is typed.
const spreadLocals = { n: int(0, 1), pfn: oneOf('A', 'B') };
export const spreadSteps = defineModel({
  name: 'typed-spread-steps',
  variants: { v: 'b', w: 'no b' },
  shared: { x: bool() },
  threads: (_p, variant) => [
    thread('shared-only', {
      start: 'a',
      end: ['done'],
      locals: spreadLocals,
      steps: {
        a: { when: (_s, me) => me.n === 0, next: 'done' },
        ...(variant === 'v' ? { b: { when: (s) => !s.x, then: (s) => { s.x = true; }, next: 'done' } } : {}),
      },
    }),
    thread('annotated', {
      start: 'a',
      end: ['done'],
      locals: spreadLocals,
      steps: {
        a: { when: (_s, me) => me.n === 0, next: 'done' },
        ...(variant === 'v' ? { b: { then: (_s, me: LocalView<typeof spreadLocals>) => { me.pfn = 'B'; }, next: 'done' } } : {}),
      },
    }),
    thread('unannotated', {
      start: 'a',
      end: ['done'],
      locals: spreadLocals,
      steps: {
        // @ts-expect-error the locals are not inferred: `n` is not a local of LocalView<{}>
        a: { when: (_s, me) => me.n === 0, next: 'done' },
        // @ts-expect-error the same in the spread step itself
        ...(variant === 'v' ? { b: { then: (_s, me) => { me.pfn = 'B'; }, next: 'done' } } : {}),
      },
    }),
  ],
});

defineModel({
  name: 'typed-spread-negative',
  variants: { v: 'b', w: 'no b' },
  shared: { x: bool() },
  threads: (_p, variant) => [
    thread('u', {
      start: 'a',
      end: ['done'],
      locals: spreadLocals,
      steps: {
        a: { next: 'done' },
        // @ts-expect-error `aa` is not a shared variable (a spread step whose functions take `s` alone)
        ...(variant === 'v' ? { b: { then: (s) => { s.aa = true; }, next: 'done' } } : {}),
      },
    }),
    thread('w', {
      start: 'a',
      end: ['done'],
      locals: spreadLocals,
      // @ts-expect-error `dnoe` is no label of the thread (a spread step; reported on the steps)
      steps: {
        a: { next: 'done' },
        ...(variant === 'v' ? { b: { then: (s) => { s.x = true; }, next: 'dnoe' } } : {}),
      },
    }),
  ],
});

// ---- combine() with the model's own typed fragments (README, Typed models) ---------------
// A fragment beside a block's may name the domains on `s` and `me`: combine() takes them as they are typed.
const combLocals = { n: int(0, 1), pfn: oneOf('A', 'B') };
const combShared = { x: int(0, 1) };
const combRefs = refcount('crefs', { max: 3, init: 1 });
const setPfn = (s: StateView<typeof combShared>, me: LocalView<typeof combLocals>) => {
  me.pfn = 'B';
  s.x = 1;
};
export const typedCombine = defineModel({
  name: 'typed-combine',
  blocks: [combRefs],
  shared: combShared,
  threads: (_p) => [
    thread('t', {
      start: 'a',
      end: ['done'],
      locals: combLocals,
      steps: {
        a: { ...combine(combRefs.get(), { then: (_s, me: LocalView<typeof combLocals>) => { me.pfn = 'B'; } }), next: 'b' },
        b: { ...combine(combRefs.put(), { then: setPfn, when: (s: StateView<typeof combShared>, me: LocalView<typeof combLocals>) => me.n === 0 && s.x === 0 }), next: 'c' },
        // @ts-expect-error `pfnn` is not a local: the fragment's own types are kept
        c: { ...combine(combRefs.get(), { then: (_s, me: LocalView<typeof combLocals>) => { me.pfnn = 'B'; } }), next: 'done' },
      },
    }),
  ],
});

// ---- invariants as a function of the variant, each branch naming its own -----------------------
// `v === 'one' ? { a } : { b }` is `{ a; b?: undefined } | { b; a?: undefined }` to TypeScript: accepted, and still typed from `shared`.
export const invariantsByVariant = defineModel({
  name: 'invariants-by-variant',
  variants: { one: 'one', two: 'two' },
  shared: { c: int(0, 3) },
  threads: [thread('t', { start: 'go', end: ['go'], steps: { go: { then: (s) => { s.c = 1; }, next: 'go' } } })],
  invariants: (_p, v) => (v === 'one' ? { low: (s) => s.c < 3 } : { lower: (s) => s.c < 2 }),
});
export const invariantsByVariantTypo = defineModel({
  name: 'invariants-by-variant-typo',
  variants: { one: 'one', two: 'two' },
  shared: { c: int(0, 3) },
  threads: [thread('t', { start: 'go', end: ['go'], steps: { go: { then: (s) => { s.c = 1; }, next: 'go' } } })],
  // @ts-expect-error `cc` is not a shared variable
  invariants: (_p, v) => (v === 'one' ? { low: (s) => s.cc < 3 } : { lower: (s) => s.c < 2 }),
});

// ---- the blocks' variables are part of the state ------------------------------------------------
// Each factory names its variables from its arguments, with their domains: the steps, guards, invariants (both
// forms), `init` and a helper typed with `BlockShared` read and write them as they do the model's own.
const bref = refcount('pref', { max: 3 });
const bptl = spinlock('ptl', ['a', 'b']);
const bmm = rwsem('mm', { writers: ['a'], maxReaders: 2, writerPriority: { maxWriters: 1 } });
const bShared = { pte: oneOf('present', 'none') };
const bBlocks = [bref, bptl, bmm];
/** A helper outside the model: the model's variables and its blocks'. */
const refsLeft = (s: ReadonlyStateView<typeof bShared & BlockShared<typeof bBlocks>>): number => s.pref - (s.mm_readers > 0 ? 1 : 0);
export const typedBlocks = defineModel({
  name: 'typed-blocks',
  params: { n: int(1, 3, 2) },
  variants: { one: 'one', two: 'two' },
  blocks: bBlocks,
  shared: bShared,
  threads: ({ n }, variant) => [
    replicate(n, 'a', {
      locals: { got: bool() },
      start: 'lock',
      end: ['done'],
      steps: {
        lock: { ...bptl.lock('a'), next: 'use' },
        use: {
          when: (s, me) => s.pref > 0 && s.ptl_a === me.id && s.ptl_b === -1 && !me.got,
          choose: (s) => s.pref,
          then: (s, me, c) => {
            const owner: number = s.ptl_a;
            s.pref = s.pref - 1 + c * 0;
            s.mm_wwait = owner === me.id ? s.mm_wwait : 0;
            me.got = true;
          },
          next: (s) => (s.mm_readers === 0 && s.mm === -1 ? 'unlock' : 'use'),
        },
        unlock: { ...bptl.unlock('a'), next: variant === 'one' ? 'done' : 'lock' },
        check: { at: 'unlock', when: (s) => s.pte === 'present' && refsLeft(s) >= 0, next: 'unlock' },
      },
    }),
  ],
  invariants: {
    'ref-bound': (s) => s.pref <= 3 && refsLeft(s) <= 3,
    'one-owner': (s) => s.ptl_a === -1 || s.ptl_b === -1,
  },
  init: () => (s) => {
    s.pref = 1;
  },
});
// The other factories, `blocks` and `invariants` as functions, `threads` as a list.
const wq = workqueue('lru', 2);
export const typedBlocksByFunction = defineModel({
  name: 'typed-blocks-by-function',
  params: { k: int(1, 3, 1) },
  shared: { x: bool() },
  blocks: ({ k }) => [
    pageLock('page', { f: k }, { holder: 'local' }),
    pageLock('pl', { f: 1, g: 1 }, { waitQueue: false }),
    mutex('fork', ['f'], { count: 3 }),
    completion('done'),
    intervalNotifier('mn', { maxSeq: 3 }),
    intervalNotifier('mo', { maxSeq: 3, ranges: 2 }),
    intervalSubscriptions('mm', { notifiers: 2, invalidators: 1, maxSeq: 4 }),
    wq,
  ],
  threads: ({ k }) => [
    replicate(k, 'f', {
      start: 'go',
      steps: {
        go: {
          when: (s, me) => !s.page_locked && !s.page_waiters && !s.page_wq.get(me.id) && s.pl_f === -1 && s.pl_g === -1,
          then: (s, me) => {
            s.fork.set(me.id, me.id);
            s.done_done = s.done_all ? 0 : 1;
            s.mn_busy = !s.mn_busy;
            s.mo_busy = s.mo_busy + 1;
            s.mm_mni.set(0, s.mm_seq + s.mm_active);
            s.lru_pending.set(0, s.lru_flushing.get(1) === 0);
          },
          next: 'go',
        },
      },
    }),
  ],
  invariants: ({ k }) => ({ seq: (s) => s.mm_seq >= k && s.mn_seq >= 0 }),
});
export const typedBlocksThreadList = defineModel({
  name: 'typed-blocks-thread-list',
  blocks: [refcount('c', { max: 2 })],
  shared: { x: bool() },
  threads: [thread('t', { start: 'go', end: ['go'], steps: { go: { when: (s) => s.c > 0 && !s.x, next: 'go' } } })],
  invariants: { low: (s) => s.c < 2 },
});

// A block made from a name the compiler does not know adds no variable to the types (nor takes any away).
const someName: string = 'r';
defineModel({
  name: 'untyped-block-name',
  blocks: [refcount(someName, { max: 2 }), bref],
  shared: { x: bool() },
  threads: (_p) => [thread('t', { start: 'go', steps: { go: { when: (s) => s.pref > 0 && !s.x, next: 'go' } } })],
  // @ts-expect-error `r` is a variable at run time, but its name is a string to the compiler
  invariants: { r: (s) => s.r === 0 },
});

defineModel({
  name: 'typed-blocks-negative',
  blocks: [bref, bptl],
  shared: bShared,
  threads: (_p) => [
    thread('a', {
      start: 'go',
      steps: {
        go: {
          // @ts-expect-error `prf` is no variable: the block's is `pref`
          when: (s) => s.prf > 0,
          then: (s) => {
            // @ts-expect-error a refcount is an int
            s.pref = 'one';
            // @ts-expect-error a lock's owner is a thread id (a number)
            s.ptl_a = true;
            // @ts-expect-error `ptl` taken by two groups has `ptl_a` and `ptl_b`, no `ptl`
            s.ptl = -1;
          },
          next: 'go',
        },
        // @ts-expect-error `mm_readers` belongs to a block the model is not given
        other: { at: 'go', when: (s) => s.mm_readers === 0, next: 'go' },
      },
    }),
  ],
  invariants: {
    // @ts-expect-error `prf` is no variable (invariant)
    bad: (s) => s.prf === 0,
  },
  init: () => (s) => {
    // @ts-expect-error a refcount is an int (init)
    s.pref = 'one';
  },
});
defineModel({
  name: 'typed-blocks-negative-function',
  params: { k: int(1, 2) },
  blocks: ({ k }) => [refcount('cnt', { max: k })],
  shared: bShared,
  threads: (_p) => [thread('a', { start: 'go', steps: { go: { then: (s) => { s.cnt = s.cnt + 1; }, next: 'go' } } })],
  // @ts-expect-error `pref` belongs to a block the model is not given
  invariants: (_p) => ({ bad: (s) => s.pref === 0 }),
});

// ---- a block's operations take the groups it was made for --------------------------

const gLock = mutex('resv', ['X', 'E']);
gLock.lock('X');
gLock.trylock('E', { at: 'try', ok: 'in', busy: 'out' });
// @ts-expect-error `Q` is no group of the mutex (X or E)
gLock.lock('Q');
// @ts-expect-error a group misspelled in unlock
gLock.unlock('x');
// Groups the compiler does not know (a string[]) take any name: the block refuses an unknown one when the model is built (MC173).
const anyGroups: string[] = ['X'];
mutex('m', anyGroups).lock('anything');
// Groups that depend on a parameter: either list's names.
const nE = Number('1');
mutex('resv2', nE > 0 ? ['X', 'E'] : ['X']).lock('E');
const gSem = rwsem('mm', { writers: ['fault', 'evict'], maxReaders: 2 });
gSem.downWrite('evict');
// @ts-expect-error `evictor` is no writer group of the rwsem
gSem.upWrite('evictor');
const gPage = pageLock('page', { G: 1, S: 2 });
gPage.unlock('S');
// @ts-expect-error `T` is no group of the page lock
gPage.held('T');
const gQueue = waitQueue('wq', { teardown: 1 });
gQueue.prepare('teardown');
// @ts-expect-error a group misspelled in sleep
gQueue.sleep('tear-down');
