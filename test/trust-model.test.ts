/**
 * The trust contract for model mistakes: a misspelt name, a label that does
 * not exist, a write to me.id, a guard or invariant that does not return a
 * boolean, an async or generator function, a string compared with a variable
 * that never takes it, a parameter named like an Object.prototype member, or a model
 * file that loads its own copy of the package is a coded error (or works),
 * never a silent pass.
 */
import test from 'ava';
import fc from 'fast-check';
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { inspect } from 'node:util';
import { allOf, array, bool, buildModel, defineModel, refcount, expectationsOf, inOrder, int, oneOf, replicate, resolveParams, search, thread, threadId, type Model } from '../src/index.ts';
import { parseParam, variantDescription } from '../src/model/define.ts';
import { isMcError, McError, q } from '../src/model/errors.ts';
import { unreadLocal, uselessStatement } from '../src/model/names.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { buildTrace } from '../src/trace/build.ts';
import { replay } from '../src/trace/replay.ts';
import peterson from '../models/peterson.ts';
import { genModel, toModel } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

const BIN = resolve('bin/mmcheck.js');
const INDEX = resolve('src/index.ts');
const cli = (args: string[], cwd = process.cwd()) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd, encoding: 'utf8' });
  return { code: r.status, out: r.stdout, err: r.stderr };
};
const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);

/** The error `f` throws, which must be coded `code` and match every pattern. */
function coded(t: import('ava').ExecutionContext, f: () => unknown, code: string, ...patterns: RegExp[]): McError {
  const e = t.throws(f) as unknown as McError;
  t.true(isMcError(e), String(e));
  t.is(e.code, code, e.message);
  for (const p of patterns) t.regex(e.message, p);
  return e;
}
const check = (m: Model, variant: string | null = null) => search(buildModel(m, variant), { strategy: 'bfs' });

/** The racy test-then-set lock of examples/lock.ts, with `enter` written by the caller. */
const racyLock = (name: string, enter: (s: any, me: any) => void, invariant: (s: any) => boolean = (s) => s.inside !== 'two') =>
  defineModel({
    name,
    shared: { locked: bool(), inside: oneOf('nobody', 'one', 'two') },
    threads: [
      replicate(2, 'cpu', {
        start: 'acquire',
        end: ['done'],
        steps: {
          acquire: { when: (s) => !s.locked, next: 'set' },
          set: { then: (s) => { s.locked = true; }, next: 'enter' },
          enter: { then: enter, next: 'leave' },
          leave: { then: (s) => { s.inside = s.inside === 'two' ? 'one' : 'nobody'; s.locked = false; }, next: 'done' },
        },
      }),
    ],
    invariants: { 'mutual-exclusion': invariant },
  });

test('the racy lock still fails its invariant when spelt right (the baseline the misspellings hide)', (t) => {
  const r = check(racyLock('racy', (s) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }));
  t.is(r.verdict, 'violation');
  t.is(r.violation?.property, 'mutual-exclusion');
});

test('a misspelt shared variable written by a step is refused when the model is built, naming model, thread, step and name', (t) => {
  const m = racyLock('racy-insde', (s) => { s.insde = s.inside === 'nobody' ? 'one' : 'two'; });
  coded(t, () => buildModel(m, null), 'MC150', /model "racy-insde"/, /thread "cpu"/, /step "enter"/, /writes s\.insde/, /shared variables: locked, inside/);
  // From the command line: bad input (exit 2), not a pass.
  const dir = tempDir('mmcheck-typo-');
  writeFileSync(
    join(dir, 'typo.ts'),
    `import { defineModel, bool, oneOf, replicate } from ${JSON.stringify(INDEX)};
export default defineModel({
  name: 'typo',
  shared: { locked: bool(), inside: oneOf('nobody', 'one', 'two') },
  threads: [replicate(2, 'cpu', { start: 'acquire', end: ['done'], steps: {
    acquire: { when: (s) => !s.locked, next: 'set' },
    set: { then: (s) => { s.locked = true; }, next: 'enter' },
    enter: { then: (s) => { s.insde = s.inside === 'nobody' ? 'one' : 'two'; }, next: 'leave' },
    leave: { then: (s) => { s.inside = s.inside === 'two' ? 'one' : 'nobody'; s.locked = false; }, next: 'done' },
  } })],
  invariants: { mutex: (s) => s.inside !== 'two' },
});
`,
  );
  const r = cli(['check', join(dir, 'typo.ts')], dir);
  t.is(r.code, 2, r.out + r.err);
  t.regex(r.err, /error MC150: .*step "enter" effect: writes s\.insde/);
});

test('a misspelt name the source does not show (computed key) is refused by the sealed view when the step runs', (t) => {
  const key = ['ins', 'de'].join('');
  const m = racyLock('racy-computed', (s) => { s[key] = s.inside === 'nobody' ? 'one' : 'two'; });
  buildModel(m, null); // nothing to see in the source
  coded(t, () => check(m), 'MC150', /model "racy-computed"/, /thread "cpu\[\d\]" step "enter"/, /writes insde/);
  const r = racyLock('racy-read', (s) => { s.inside = s[key] === undefined ? 'two' : 'one'; });
  coded(t, () => check(r), 'MC150', /reads insde/);
});

test('a misspelt name in an invariant is refused, from the source and at run time', (t) => {
  const m = racyLock('lockd', (s) => { s.inside = 'one'; }, (s) => !s.lockd || s.inside !== 'two');
  coded(t, () => buildModel(m, null), 'MC150', /model "lockd" invariant "mutual-exclusion"/, /reads s\.lockd/);
  const k = 'lock' + 'd';
  const m2 = racyLock('lockd2', (s) => { s.inside = 'one'; }, (s) => !s[k] || s.inside !== 'two');
  coded(t, () => check(m2), 'MC150', /invariant "mutual-exclusion"/, /reads lockd/);
});

test("a misspelt local, another thread's undeclared local, and a misspelt array method are refused", (t) => {
  const mk = (name: string, then: (s: any, me: any) => void) =>
    defineModel({
      name,
      shared: { a: array(2, bool()) },
      threads: [replicate(2, 't', { locals: { x: int(0, 1) }, start: 'go', end: ['done'], steps: { go: { then, next: 'done' } } })],
    });
  coded(t, () => buildModel(mk('local', (_s, me) => { me.y = 1; }), null), 'MC150', /thread "t" step "go" effect/, /writes me\.y, which is not a local of thread "t" \(locals: x/);
  coded(t, () => buildModel(mk('arr', (s, me) => { s.a.sett(me.id, true); }), null), 'MC150', /s\.a\.sett/, /length, get, set, fill/);
  coded(t, () => check(mk('other', (s, me) => { s.local('t', 1 - me.id).y = 1; })), 'MC150', /writes t\[1\]\.y, which is not a local of thread "t"/);
  coded(t, () => check(mk('tested', (s) => { if ('lockd' in s) s.a.set(0, true); })), 'MC150', /tests for lockd/);
});

test('names in comments, strings and template text are not accesses; interpolated ones are', (t) => {
  const mk = (name: string, then: (s: any, me: any) => void) =>
    defineModel({ name, shared: { n: int(0, 1) }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then, next: 'done' } } })] });
  // s.nn in a comment
  const fine = mk('fine', (s) => { s.assert(s.n === 0, `s.nn is ${s.n}`); s.assert(true, 's.mm'); s.n = 1; });
  t.is(check(fine).verdict, 'pass');
  coded(t, () => buildModel(mk('interp', (s) => { s.assert(true, `n is ${s.nn}`); }), null), 'MC150', /reads s\.nn/);
});

test('a constant next naming no label is refused when the model is built, not turned into a deadlock', (t) => {
  const m = defineModel({
    name: 'dnoe',
    shared: { n: int(0, 1) },
    // @ts-expect-error the misspelt label is a compile error too; the check below is for models tsc does not see
    threads: [thread('t', { start: 'work', end: ['done'], steps: { work: { then: (s) => { s.n = 1; }, next: 'dnoe' } } })],
  });
  coded(t, () => buildModel(m, null), 'MC151', /model "dnoe" thread "t" step "work"/, /next "dnoe" is not a label/, /done/);
  // A label that is only a dead end is declared in labels (then reaching it is a deadlock, as meant).
  const stuck = defineModel({
    name: 'stuck',
    threads: [thread('t', { start: 'work', labels: ['stuck'], end: ['done'], steps: { work: { next: 'stuck' } } })],
  });
  t.is(check(stuck).violation?.kind, 'deadlock');
});

test('a start label no step is at, and no end label, is refused when the model is built, not a silent pass without deadlock detection', (t) => {
  // The thread would never move: with deadlock detection on that reads as a deadlock, with it off the rest of the model passes alone.
  const typo = defineModel({
    name: 'idel',
    shared: { n: int(0, 1) },
    deadlock: false,
    threads: [
      // @ts-expect-error the misspelt label is a compile error too; the check below is for models tsc does not see
      thread('k', { start: 'k_idel', end: ['k_idle'], steps: { k_idle: { when: (s) => s.n === 0, next: 'k_run' }, k_run: { then: (s) => { s.n = 1; }, next: 'k_idle' } } }),
    ],
  });
  coded(t, () => buildModel(typo, null), 'MC151', /model "idel" thread "k": start "k_idel" is a label no step is at and no end label/, /steps are at: k_idle, k_run; end: k_idle/);
  // Declaring the label does not make a thread leave it.
  const declared = defineModel({ name: 'declared', threads: [thread('t', { start: 'wait', labels: ['wait'], end: ['done'], steps: { go: { next: 'done' } } })] });
  coded(t, () => buildModel(declared, null), 'MC151', /thread "t": start "wait"/);
  // In a replicated group, once for the group.
  const group = defineModel({ name: 'group', threads: [replicate(2, 'cpu', { start: 'enterr', labels: ['enterr'], end: ['done'], steps: { enter: { next: 'done' } } })] });
  coded(t, () => buildModel(group, null), 'MC151', /model "group" thread "cpu": start "enterr"/);
  // A label is where a step is at, not a step's name: block steps are named apart from their at label.
  const refs = refcount('refs', { max: 2, init: 1 });
  const blockThread = (start: string) =>
    defineModel({
      name: `block-${start}`,
      blocks: [refs],
      threads: [thread('g', { labels: ['a'], start: start as 'a', end: ['done'], steps: { ...refs.tryGet({ at: 'a', ok: 'b', fail: 'done' }), b: { ...refs.put(), next: 'done' } } })],
    });
  t.is(check(blockThread('a')).verdict, 'pass');
  coded(t, () => buildModel(blockThread('a_fail'), null), 'MC151', /start "a_fail" is a label no step is at/, /steps are at: a, b; end: done/);
  const named = defineModel({ name: 'named', threads: [thread('t', { start: 'take', end: ['done'], steps: { take: { at: 'lock', next: 'done' } } })] });
  coded(t, () => buildModel(named, null), 'MC151', /start "take" is a label no step is at/, /steps are at: lock/);
  // A start at an end label needs no step (a thread idle in some variant), and each variant is built with its own steps.
  const variants = defineModel({
    name: 'variants',
    variants: { with: 'the worker runs', idle: 'the worker stays home', lost: 'the worker lost its first step' },
    shared: { n: int(0, 1) },
    threads: (_p, variant) => [
      thread('w', {
        start: variant === 'idle' ? 'done' : 'go',
        end: ['done'],
        steps: { ...(variant === 'with' ? { go: { then: (s) => { s.n = 1; }, next: 'done' } } : {}), rest: { at: 'done', when: () => false, next: 'done' } },
      }),
    ],
  });
  t.is(check(variants, 'with').verdict, 'pass');
  t.is(check(variants, 'idle').verdict, 'pass');
  coded(t, () => buildModel(variants, 'lost'), 'MC151', /model "variants" variant "lost" thread "w": start "go"/);
});

test('a label literal compared with a thread label or counted must be a label of that thread', (t) => {
  const mk = (name: string, extra: Record<string, any>) =>
    defineModel({
      name,
      shared: { n: int(0, 2) },
      threads: [replicate(2, 'cpu', { start: 'enter', end: ['done'], steps: { enter: { next: 'crit' }, crit: { then: (s) => { s.n = 1; }, next: 'done' } } })],
      ...extra,
    });
  coded(t, () => buildModel(mk('at', { invariants: { mutex: (s: any) => !(s.at('cpu', 0) === 'critt' && s.at('cpu', 1) === 'crit') } }), null), 'MC151', /invariant "mutex": compares s\.at\("cpu"\) with "critt"/, /labels: enter, crit, done/);
  coded(t, () => buildModel(mk('count', { invariants: { mutex: (s: any) => s.count('cpu', 'crti') < 2 } }), null), 'MC151', /s\.count\("cpu", \.\.\.\) with "crti"/);
  const own = defineModel({
    name: 'own',
    shared: { n: int(0, 2) },
    threads: [thread('t', { start: 'a', end: ['b'], steps: { a: { when: (_s, me) => me.at !== 'aa', next: 'b' } } })],
  });
  coded(t, () => buildModel(own, null), 'MC151', /step "a" guard: compares me\.at with "aa"/);
  // A part of a composed guard is read on its own: the composer's source shows only the calls of its parts.
  const part = defineModel({
    name: 'part',
    shared: { n: int(0, 2) },
    threads: [thread('t', { start: 'a', end: ['b'], steps: { a: { when: allOf((s: any) => s.n === 0, (_s: any, me: any) => me.at !== 'aa'), next: 'b' } } })],
  });
  coded(t, () => buildModel(part, null), 'MC151', /model "part" thread "t" step "a" guard: compares me\.at with "aa"/);
  const lbl = ['cr', 'ti'].join('');
  coded(t, () => check(mk('count-rt', { invariants: { mutex: (s: any) => s.count('cpu', lbl) < 2 } })), 'MC151', /invariant "mutex"/, /thread "cpu" has no label "crti"/);
  t.is(check(mk('fine', { invariants: { mutex: (s: any) => s.count('cpu', 'crit') < 2 } })).verdict, 'violation');
});

/** Two cpus with a oneOf local, a oneOf array and a counter; `step` adds to (or replaces) their one step's fields. */
const phased = (name: string, step: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  defineModel({
    name,
    shared: { st: array(2, oneOf('free', 'held')), n: int(0, 3) },
    threads: [replicate(2, 'cpu', { locals: { phase: oneOf('idle', 'busy') }, start: 'go', end: ['done'], steps: { go: { then: (s: any) => { s.n = 1; }, next: 'done', ...step } } })],
    ...extra,
  } as never);

test('a string compared with a variable must be one of its values: a misspelt oneOf value would make an invariant hold everywhere', (t) => {
  // Unchecked, each of these passes: the comparison is false (or, negated, true) in every state.
  const enter = (s: any) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; };
  coded(t, () => buildModel(racyLock('typo', enter, (s: any) => s.inside !== 'Two'), null), 'MC157', /model "typo" invariant "mutual-exclusion": compares s\.inside with "Two", which is not one of its values \(oneOf\(nobody\|one\|two\)\)/);
  coded(t, () => buildModel(racyLock('reversed', enter, (s: any) => 'tow' !== s.inside), null), 'MC157', /compares s\.inside with "tow"/);
  coded(t, () => buildModel(racyLock('bool', enter, (s: any) => s.locked !== 'true' || s.inside !== 'two'), null), 'MC157', /compares s\.locked with the string "true", but it is bool, never a string/);
  coded(t, () => buildModel(phased('element', { when: (s: any, me: any) => s.st.get(me.id) === 'hled' }), null), 'MC157', /step "go" guard: compares s\.st\.get\(\.\.\.\) with "hled", which is not one of its values \(oneOf\(free\|held\)\)/);
  coded(t, () => buildModel(phased('switch', { then: (s: any, me: any) => { switch (me.phase) { case 'idle': s.n = 1; break; case 'bsuy': s.n = 2; } } }), null), 'MC157', /step "go" effect: compares me\.phase with "bsuy"/);
  // A switch nested in a case is its own: its cases are the other variable's values.
  t.notThrows(() => buildModel(phased('nested', { then: (s: any, me: any) => { switch (me.phase) { case 'idle': { switch (s.st.get(0)) { case 'held': s.n = 2; } break; } case 'busy': s.n = 1; } } }), null));
  coded(t, () => buildModel(phased('nested-typo', { then: (s: any, me: any) => { switch (me.phase) { case 'idle': { switch (s.st.get(0)) { case 'busy': s.n = 2; } break; } } } }), null), 'MC157', /compares s\.st\.get\(\.\.\.\) with "busy"/);
  // Not comparisons of a value: comments, template text, labels, other parameters' names.
  t.notThrows(() => buildModel(phased('fine', { when: (s: any, me: any) => /* s.st.get(0) === 'x' */ String(`s.n === 'x'`).length > 0 && me.at !== 'done' }), null));
  // A whole array compared is no comparison of a value either: its view equals nothing (MC181, not MC157).
  coded(t, () => buildModel(phased('whole', { when: (s: any, me: any) => me.at !== 'done' && s.st !== 'x' }), null), 'MC181', /uses the array s\.st as a value/);
  // A ternary's test is a comparison; a literal that is only part of an operand is not the value compared.
  coded(t, () => buildModel(phased('ternary', { then: (s: any) => { s.n = s.st.get(0) === 'hel' ? 2 : 1; } }), null), 'MC157', /compares s\.st\.get\(\.\.\.\) with "hel"/);
  const half = 'ld';
  t.notThrows(() => buildModel(phased('concat', { when: (s: any) => s.st.get(0) === 'he' + half && 'x' + half !== s.st.get(1) }), null));
  // `==` converts a numeric string (`s.n == '1'` holds when n is 1); `===` never does.
  t.notThrows(() => buildModel(phased('loose', { when: (s: any) => s.n == '1' }), null));
  coded(t, () => buildModel(phased('strict', { when: (s: any) => s.n === '1' }), null), 'MC157', /compares s\.n with the string "1", but it is int 0\.\.3, never a string/);
  // A value another variant's domain declares belongs to a branch that variant takes.
  const byVariant = defineModel({
    name: 'by-variant',
    variants: { two: 'two states', three: 'three states' },
    shared: (_p: unknown, v: string | null) => ({ st: v === 'three' ? oneOf('a', 'b', 'c') : oneOf('a', 'b') }),
    threads: (_p: unknown, v: string | null) => [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s: any) => { s.st = v === 'three' && s.st !== 'c' ? 'c' : 'b'; }, next: 'done' } } })],
    invariants: { never: (s: any) => s.st !== 'd' },
  } as never);
  coded(t, () => buildModel(byVariant, 'two'), 'MC157', /invariant "never": compares s\.st with "d"/);
  const fixed = defineModel({ ...(byVariant as any).def, invariants: { c: (s: any) => s.st !== 'c' || true } } as never);
  for (const v of ['two', 'three']) t.notThrows(() => buildModel(fixed, v), v);
  t.is(check(racyLock('right', enter, (s: any) => 'two' !== s.inside)).verdict, 'violation');
});

test("another thread's locals and labels through s.local(), null, a value of another type, and [...].includes: each compared literal is one the variable can take", (t) => {
  // Each of these held in every state of the racy lock (or of a model whose bug it hides), so the check passed.
  const enter = (s: any) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; };
  const mk = (name: string, invariant: (s: any) => boolean) =>
    defineModel({
      name,
      shared: { locked: bool(), owner: threadId('cpu', { none: true }), inside: oneOf('nobody', 'one', 'two'), n: int(0, 2) },
      threads: [replicate(2, 'cpu', { locals: { phase: oneOf('idle', 'inside') }, start: 'acquire', end: ['done'], steps: {
        acquire: { when: (s: any) => !s.locked, next: 'enter' },
        enter: { then: (s: any, me: any) => { s.locked = true; s.owner = me.id; me.phase = 'inside'; }, next: 'leave' },
        leave: { then: (s: any, me: any) => { s.locked = false; s.owner = -1; me.phase = 'idle'; }, next: 'done' },
      } })],
      invariants: { inv: invariant },
    } as never);
  coded(t, () => buildModel(mk('local-value', (s) => !(s.local('cpu', 0).phase === 'insde' && s.local('cpu', 1).phase === 'inside')), null), 'MC157', /invariant "inv": compares s\.local\("cpu", \.\.\.\)\.phase with "insde", which is not one of its values \(oneOf\(idle\|inside\)\)/);
  coded(t, () => buildModel(mk('local-label', (s) => s.local('cpu', 0).at !== 'leav'), null), 'MC151', /compares s\.local\("cpu", \.\.\.\)\.at with "leav", which is not a label of thread "cpu" \(labels: acquire, enter, leave, done\)/);
  coded(t, () => buildModel(mk('local-switch', (s) => { switch (s.local('cpu', 1).at) { case 'leave': return true; case 'aquire': return false; } return true; }), null), 'MC151', /with "aquire"/);
  coded(t, () => buildModel(mk('null', (s) => s.inside === 'nobody' || s.owner !== null), null), 'MC157', /compares s\.owner with null, which it never is: .*a thread id's none is -1/);
  coded(t, () => buildModel(mk('undefined', (s) => undefined !== s.local('cpu', 0).phase), null), 'MC157', /compares s\.local\("cpu", \.\.\.\)\.phase with undefined, which it never is/);
  coded(t, () => buildModel(mk('bool-number', (s) => s.locked === 1 || s.inside !== 'two'), null), 'MC157', /compares s\.locked with 1, but it is bool, never a number \(write true or false\)/);
  coded(t, () => buildModel(mk('int-bool', (s) => s.n !== true), null), 'MC157', /compares s\.n with true, but it is int 0\.\.2, never a boolean/);
  coded(t, () => buildModel(mk('enum-number', (s) => s.inside !== 2), null), 'MC157', /compares s\.inside with 2, but it is oneOf\(nobody\|one\|two\), never a number/);
  coded(t, () => buildModel(mk('includes', (s) => !['tow'].includes(s.inside)), null), 'MC157', /compares s\.inside with "tow"/);
  // What the literals mean there: loose comparisons that convert, typeof's names, arithmetic operands, and the right values.
  for (const [name, inv] of [
    ['loose', (s: any) => s.locked == 1 || s.n == true || s.n >= 0],
    ['typeof', (s: any) => typeof s.owner !== 'undefined'],
    ['arithmetic', (s: any) => s.n + 1 !== 0 && 3 !== s.n - 1 && s.n !== 1 + 2],
    ['right', (s: any) => s.owner !== -1 || ['nobody', 'one'].includes(s.inside) || s.local('cpu', 0).at === 'leave' || s.local('cpu', 1).phase !== 'inside'],
  ] as const)
    t.notThrows(() => buildModel(mk(name, inv), null), name);
  t.is(check(racyLock('right', enter, (s: any) => !['two'].includes(s.inside))).verdict, 'violation');
});

test('a template literal without ${...} is the string it spells, and startsWith, endsWith or includes of a oneOf variable must hold for one of its values', (t) => {
  // The trial's seqcount with `s.result !== \`tron\`` or `!s.result.startsWith('tron')` (the value is 'torn') passed without a word: here the racy lock.
  const enter = (s: any) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; };
  coded(t, () => buildModel(racyLock('template', enter, (s: any) => s.inside !== `Two`), null), 'MC157', /model "template" invariant "mutual-exclusion": compares s\.inside with "Two", which is not one of its values \(oneOf\(nobody\|one\|two\)\)/);
  coded(t, () => buildModel(racyLock('template-first', enter, (s: any) => `tow` !== s.inside), null), 'MC157', /compares s\.inside with "tow"/);
  coded(t, () => buildModel(racyLock('template-includes', enter, (s: any) => ![`tow`].includes(s.inside)), null), 'MC157', /compares s\.inside with "tow"/);
  coded(t, () => buildModel(racyLock('starts', enter, (s: any) => !s.inside.startsWith('tow')), null), 'MC157', /model "starts" invariant "mutual-exclusion": tests s\.inside\.startsWith\("tow"\), but none of its values starts with "tow" \(oneOf\(nobody\|one\|two\)\)/);
  coded(t, () => buildModel(racyLock('ends', enter, (s: any) => !s.inside.endsWith('ow')), null), 'MC157', /tests s\.inside\.endsWith\("ow"\), but none of its values ends with "ow"/);
  coded(t, () => buildModel(racyLock('contains', enter, (s: any) => !s.inside?.includes('tw0')), null), 'MC157', /tests s\.inside\.includes\("tw0"\), but none of its values contains "tw0"/);
  coded(t, () => buildModel(racyLock('starts-template', enter, (s: any) => !s.inside.startsWith(`tow`)), null), 'MC157', /tests s\.inside\.startsWith\("tow"\)/);
  coded(t, () => buildModel(phased('switch', { then: (s: any, me: any) => { switch (me.phase) { case `idle`: s.n = 1; break; case `bsuy`: s.n = 2; } } }), null), 'MC157', /step "go" effect: compares me\.phase with "bsuy"/);
  coded(t, () => buildModel(phased('element', { when: (s: any, me: any) => s.st.get(me.id).startsWith('hl') }), null), 'MC157', /step "go" guard: tests s\.st\.get\(\.\.\.\)\.startsWith\("hl"\), but none of its values starts with "hl" \(oneOf\(free\|held\)\)/);
  coded(t, () => buildModel(phased('local', { when: (_s: any, me: any) => me.phase.endsWith('sy ') }), null), 'MC157', /tests me\.phase\.endsWith\("sy "\)/);
  coded(t, () => buildModel(phased('other-local', {}, { invariants: { inv: (s: any) => !s.local('cpu', 0).phase.includes('bsy') } }), null), 'MC157', /invariant "inv": tests s\.local\("cpu", \.\.\.\)\.phase\.includes\("bsy"\)/);
  // A label is tested against the thread's labels (MC151), as it is compared.
  coded(t, () => buildModel(phased('label', { when: (_s: any, me: any) => me.at === `og` }), null), 'MC151', /compares me\.at with "og", which is not a label of thread "cpu"/);
  coded(t, () => buildModel(phased('label-starts', { when: (_s: any, me: any) => !me.at.startsWith('dn') }), null), 'MC151', /step "go" guard: tests me\.at\.startsWith\("dn"\), but no label of thread "cpu" starts with "dn" \(labels: go, done\)/);
  coded(t, () => buildModel(phased('s-at', {}, { invariants: { inv: (s: any) => s.at('cpu', 0) !== `dnoe` } }), null), 'MC151', /invariant "inv": compares s\.at\("cpu"\) with "dnoe"/);
  // What stays accepted: a test some value passes, a template with ${...}, a tagged template, text a '...' string would not hold as it is, a method of an int's string, a value of another variant.
  const two = 'two';
  for (const [name, inv] of [
    ['prefix', (s: any) => !s.inside.startsWith('tw') && !s.inside.endsWith('ne') && s.inside.includes('o')],
    ['template-right', (s: any) => s.inside !== `two` && !s.inside.startsWith(`t`)],
    ['substitution', (s: any) => s.inside !== `${two}x` && s.inside !== `t${'wox'}`],
    ['tagged', (s: any) => s.inside !== String.raw`tow`],
    ['odd-text', (s: any) => s.inside !== `it's` && s.inside !== `a=b` && s.inside !== `s.inside === 'x'`],
    ['empty', (s: any) => s.inside.startsWith('') && s.inside !== `two`],
  ] as const)
    t.notThrows(() => buildModel(racyLock(name, enter, inv), null), name);
  t.notThrows(() => buildModel(phased('int', { when: (s: any) => String(s.n).startsWith('x') && s.st.get(0).endsWith('ld') }), null));
  const byVariant = defineModel({
    name: 'by-variant',
    variants: { two: 'two states', three: 'three states' },
    shared: (_p: unknown, v: string | null) => ({ st: v === 'three' ? oneOf('a', 'b', 'cc') : oneOf('a', 'b') }),
    threads: (_p: unknown, v: string | null) => [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s: any) => { s.st = v === 'three' && !s.st.startsWith('c') ? 'cc' : 'b'; }, next: 'done' } } })],
    invariants: { never: (s: any) => !s.st.endsWith('c') },
  } as never);
  for (const v of ['two', 'three']) t.notThrows(() => buildModel(byVariant, v), v);
  coded(t, () => buildModel(defineModel({ ...(byVariant as any).def, invariants: { never: (s: any) => !s.st.endsWith('d') } } as never), 'two'), 'MC157', /tests s\.st\.endsWith\("d"\)/);
  // Spelt right, the same invariants find the race.
  t.is(check(racyLock('starts-right', enter, (s: any) => !s.inside.startsWith('tw'))).violation?.property, 'mutual-exclusion');
  t.is(check(racyLock('template-right', enter, (s: any) => s.inside !== `two`)).violation?.property, 'mutual-exclusion');
});

test('a string test with a position, indexOf, a regular expression, or of a replica label must pass for some value', (t) => {
  // Each of these made the invariant hold in every state (no value of oneOf(nobody|one|two) passes the test), and the race passed.
  const enter = (s: any) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; };
  for (const [name, inv, message] of [
    ['position', (s: any) => !s.inside.includes('wo', 2), /tests s\.inside\.includes\("wo", 2\), but none of its values contains "wo" from position 2 \(oneOf\(nobody\|one\|two\)\)/],
    ['starts-at', (s: any) => !s.inside.startsWith('tw', 1), /tests s\.inside\.startsWith\("tw", 1\), but none of its values starts with "tw" from position 1/],
    ['ends-within', (s: any) => !s.inside.endsWith('tw', 3), /tests s\.inside\.endsWith\("tw", 3\), but none of its values ends with "tw" in its first 3 characters/],
    ['index-of', (s: any) => s.inside.indexOf('tow') < 0, /tests s\.inside\.indexOf\("tow"\), but none of its values contains "tow" \(so indexOf is always -1\)/],
    ['last-index-of', (s: any) => s.inside.lastIndexOf('tow') === -1, /tests s\.inside\.lastIndexOf\("tow"\)/],
    ['regex-test', (s: any) => !/^tow/.test(s.inside), /tests \/\^tow\/\.test\(s\.inside\), but none of its values matches \/\^tow\/ \(oneOf/],
    ['regex-flags', (s: any) => !/^TOW$/gi.test(s.inside), /tests \/\^TOW\$\/gi\.test\(s\.inside\), but none of its values matches/],
    ['regex-match', (s: any) => s.inside.match(/tw[0O]$/) === null, /tests s\.inside\.match\(\/tw\[0O\]\$\/\)/],
    ['regex-search', (s: any) => s.inside.search(/^t.x/) < 0, /tests s\.inside\.search\(\/\^t\.x\/\)/],
  ] as const)
    coded(t, () => buildModel(racyLock(name, enter, inv), null), 'MC157', message);
  coded(t, () => buildModel(phased('s-at-starts', {}, { invariants: { inv: (s: any) => !s.at('cpu', 0).startsWith('dn') } }), null), 'MC151', /invariant "inv": tests s\.at\("cpu", \.\.\.\)\.startsWith\("dn"\), but no label of thread "cpu" starts with "dn" \(labels: go, done\)/);
  coded(t, () => buildModel(phased('s-at-regex', {}, { invariants: { inv: (s: any) => !/^dn/.test(s.at('cpu', 1)) } }), null), 'MC151', /tests \/\^dn\/\.test\(s\.at\("cpu", \.\.\.\)\)/);
  coded(t, () => buildModel(phased('s-at-null', {}, { invariants: { inv: (s: any) => s.at('cpu', 1) !== null } }), null), 'MC157', /compares s\.at\("cpu", \.\.\.\) with null, which it never is: a variable always holds a value of its domain \(a label\)/);
  // Tests that some value passes stay accepted (a regular expression this engine cannot compile is left alone).
  for (const [name, inv] of [
    ['passing', (s: any) => !(s.inside.includes('wo', 1) && s.inside.startsWith('w', 1) && s.inside.endsWith('tw', 2) && s.inside.indexOf('tw') === 0 && /^t[wx]o$/.test(s.inside) && s.inside.match(/o$/) !== null && s.inside.search(/w/) > 0)],
    ['division', (s: any) => (s.inside === 'two' ? 4 : 2) / 2 / 1 > 0 && s.inside !== 'two'],
  ] as const)
    t.notThrows(() => buildModel(racyLock(name, enter, inv), null), name);
  t.notThrows(() => buildModel(phased('s-at-right', {}, { invariants: { inv: (s: any) => !s.at('cpu', 0).startsWith('do') || /^go|done/.test(s.at('cpu', 1)) } }), null));
  // Spelt right, they find the race.
  t.is(check(racyLock('regex-right', enter, (s: any) => !/^tw/.test(s.inside))).violation?.property, 'mutual-exclusion');
  t.is(check(racyLock('index-right', enter, (s: any) => s.inside.indexOf('two') < 0)).violation?.property, 'mutual-exclusion');
});

test("a step's choice is its index: a choice compared with its name never holds", (t) => {
  const mk = (name: string, next: (s: any, me: any, c: any) => string) =>
    defineModel({
      name,
      shared: { n: int(0, 2) },
      threads: [thread('t', { start: 'go', end: ['done'], labels: ['other'], steps: { go: { choose: ['fresh', 'stale'], then: (s: any, _me: any, c: number) => { s.n = c; }, next: next as never } } })],
    } as never);
  coded(t, () => buildModel(mk('by-name', (_s, _me, c) => (c === 'stale' ? 'other' : 'done')), null), 'MC157', /step "go" next: compares the choice c with "stale", but a choice is its index, 0 to 1 \(choose: \["fresh", "stale"\] gives 0 for "fresh", 1 for "stale"\)/);
  coded(t, () => buildModel(mk('out-of-range', (_s, _me, c) => (c === 2 ? 'other' : 'done')), null), 'MC157', /compares the choice c with 2, but a choice is its index, 0 to 1/);
  t.notThrows(() => buildModel(mk('by-index', (_s, _me, c) => (c === 1 ? 'other' : 'done')), null));
  // A choose that depends on the variant, in an effect all variants share: an index another variant's choose has is a branch that variant takes.
  const leaky = (then: (s: any, me: any, c: number) => void) =>
    defineModel({
      name: 'leaky',
      variants: { ok: 'one choice', leak: 'two' },
      shared: { n: int(0, 2) },
      threads: (_p: unknown, v: string | null) => [thread('t', { start: 'go', end: ['done'], steps: { go: { choose: v === 'leak' ? ['ok', 'leak'] : ['ok'], then, next: 'done' } } })],
    } as never);
  for (const v of ['ok', 'leak']) t.notThrows(() => buildModel(leaky((s, _me, c) => { if (c === 1) s.n = 1; }), v), v);
  coded(t, () => buildModel(leaky((s, _me, c) => { if (c === 2) s.n = 1; }), 'leak'), 'MC157', /compares the choice c with 2, but a choice is its index, 0 to 1/);
});

test('a string compared with the variant must name a variant of the model: a misspelt one built the racy variant as the safe one', (t) => {
  const mk = (name: string, threads: (p: unknown, v: string | null) => unknown) =>
    defineModel({ name, variants: { 'atomic-xchg': 'one exchange', 'test-then-set': 'racy' }, shared: { locked: bool(), inside: int(0, 2) }, threads, invariants: { mx: (s: any) => s.inside < 2 } } as never);
  const steps = (racy: boolean) => ({
    acquire: racy ? { when: (s: any) => !s.locked, next: 'set' } : { when: (s: any) => !s.locked, then: (s: any) => { s.locked = true; }, next: 'enter' },
    set: { then: (s: any) => { s.locked = true; }, next: 'enter' },
    enter: { then: (s: any) => { s.inside = s.inside + 1; }, next: 'leave' },
    leave: { then: (s: any) => { s.inside = s.inside - 1; s.locked = false; }, next: 'done' },
  });
  coded(t, () => buildModel(mk('typo', (_p, variant) => [replicate(2, 'cpu', { start: 'acquire' as never, end: ['done'], labels: ['set'], steps: steps(variant === 'test-than-set') as never })]), 'test-then-set'), 'MC163', /model "typo" threads: compares variant \(the variant\) with "test-than-set", which is not a variant of the model \(variants: atomic-xchg, test-then-set\)/);
  // A test of the variant's name no variant passes: the racy variant built as the safe one.
  coded(t, () => buildModel(mk('starts', (_p, variant) => [replicate(2, 'cpu', { start: 'acquire' as never, end: ['done'], labels: ['set'], steps: steps(variant!.startsWith('test-than')) as never })]), 'test-then-set'), 'MC163', /model "starts" threads: tests variant\.startsWith\("test-than"\) \(the variant\), but no variant of the model starts with "test-than" \(variants: atomic-xchg, test-then-set\)/);
  coded(t, () => buildModel(mk('regex', (_p, variant) => [replicate(2, 'cpu', { start: 'acquire' as never, end: ['done'], labels: ['set'], steps: steps(/-than-/.test(variant!)) as never })]), 'test-then-set'), 'MC163', /tests \/-than-\/\.test\(variant\) \(the variant\), but no variant of the model matches \/-than-\//);
  t.notThrows(() => buildModel(mk('starts-right', (_p, variant) => [replicate(2, 'cpu', { start: 'acquire' as never, end: ['done'], labels: ['set'], steps: steps(variant!.startsWith('test-') && /-then-/.test(variant!)) as never })]), 'test-then-set'));
  const right = mk('right', (_p, variant) => [replicate(2, 'cpu', { start: 'acquire' as never, end: ['done'], labels: ['set'], steps: steps(variant === 'test-then-set') as never })]);
  t.is(check(right, 'test-then-set').verdict, 'violation');
  t.is(check(right, 'atomic-xchg').verdict, 'pass');
});

test('a misspelt parameter, or a function of the state where one of the parameters goes (invariants, init), is refused', (t) => {
  const base = { shared: { n: int(0, 3) }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { when: (s: any) => s.n < 3, then: (s: any) => { s.n = s.n + 1; }, next: 'go' } } })] };
  // `s.n > p.capp` is `s.n > undefined`: false in every state.
  const capped = (inv: (p: any) => Record<string, (s: any) => boolean>) => defineModel({ name: 'capped', params: { cap: int(0, 3, 2) }, ...base, invariants: inv } as never);
  coded(t, () => check(capped((p) => ({ cap: (s) => !(s.n > p.capp) }))), 'MC150', /model "capped", invariant "cap": reads params\.capp, which is not a parameter of the model \(parameters: cap\)/);
  t.is(check(capped((p) => ({ cap: (s) => !(s.n > p.cap) }))).verdict, 'violation');
  coded(t, () => buildModel(defineModel({ name: 'one-fn', ...base, invariants: (s: any) => s.n < 3 } as never), null), 'MC150', /model "one-fn": invariants\(params, variant\) reads params\.n, which is not a parameter of the model \(it declares no parameters\); a function given for invariants is called with the parameters, e\.g\. invariants: \(params\) => \(\{ name: \(s\) => \.\.\. \}\)/);
  coded(t, () => buildModel(defineModel({ name: 'one-fn-true', ...base, invariants: () => true } as never), null), 'MC130', /invariants\(params\) returned true/);
  // A list of functions was printed as [null]: the functions JSON cannot write.
  const listed = coded(t, () => buildModel(defineModel({ name: 'listed', ...base, invariants: [(s: any) => s.n < 3, (s: any) => s.n >= 0] } as never), null), 'MC130', /model "listed": invariants must be an object of named functions.*; got an array of 2 functions, which names none of them \(an invariant is named by its key\)$/);
  t.false(listed.message.includes('null'), listed.message);
  coded(t, () => buildModel(defineModel({ name: 'listed-p', ...base, invariants: () => [(s: any) => s.n < 3] } as never), null), 'MC130', /invariants\(params\) returned an array of 1 function, which names/);
  coded(t, () => buildModel(defineModel({ name: 'mixed', ...base, invariants: [(s: any) => s.n < 3, 'x'] } as never), null), 'MC130', /got \[<function>,"x"\]$/);
  coded(t, () => buildModel(defineModel({ name: 'flat-init', ...base, init: (s: any) => { s.n = 3; } } as never), null), 'MC152', /model "flat-init": init\(params, variant\) writes params\.n, but the parameters are read-only; .*init: \(params\) => \(s\) => \{ \.\.\. \}/);
  // What JavaScript itself looks up on the parameters is no misspelling.
  t.notThrows(() => buildModel(defineModel({ name: 'probes', params: { cap: int(0, 3, 2) }, ...base, invariants: (p: any) => ({ ok: () => JSON.stringify(p).length > 0 && Object.keys({ ...p }).length === 1 && String(p) !== '' && !('x' in p) }) } as never), null));
});

test('q shows a function wherever it is in the value, by kind and name: JSON writes null for one in an array and drops one in an object', (t) => {
  const inv = (s: any) => s.n < 3;
  t.is(q([() => 1, inv]), '[<function>,<function inv>]');
  t.is(q({ ok: (s: any) => s.n < 3, n: 1 }), '{"ok":<function ok>,"n":1}');
  t.is(q(inv), '<function inv>');
  t.is(q([async function load() {}, function* gen() {}]), '[<async function load>,<generator function gen>]');
  // A string that reads like the mark q puts in the place of a function stays a string.
  t.is(q(['\u00000', () => 1]), '["\\u00000","<function>"]');
  t.is(q({ a: [1, 'x'], b: null }), '{"a":[1,"x"],"b":null}');
  // A guard that returns a function (a forgotten call) says so.
  const m = defineModel({ name: 'fn-guard', shared: { n: int(0, 1) }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { when: (() => (s: any) => s.n === 0) as never, next: 'done' } } })] });
  coded(t, () => check(m), 'MC153', /<function>/);
});

test('a view copied or enumerated whole holds none of its variables: spread, Object.*, JSON.stringify and for-in are refused', (t) => {
  const enter = (s: any) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; };
  coded(t, () => buildModel(racyLock('spread', enter, (s: any) => { const c = { ...s }; return c.inside !== 'two'; }), null), 'MC164', /invariant "mutual-exclusion": spreads the state view \(\.\.\.s\); a view is read a variable at a time \(s\.NAME\)/);
  coded(t, () => buildModel(racyLock('values', enter, (s: any) => !Object.values(s).includes('two')), null), 'MC164', /passes the state view to Object\.values/);
  coded(t, () => buildModel(racyLock('json', enter, (s: any) => !JSON.stringify(s).includes('two')), null), 'MC164', /passes the state view to JSON\.stringify/);
  coded(t, () => buildModel(racyLock('for-in', (s: any, me: any) => { for (const k in me) s.inside = k; }), null), 'MC164', /passes the thread's locals view to for \.\.\. in/);
});

test('an effect that returns a value or compares where it meant to assign changes no state: refused', (t) => {
  coded(t, () => buildModel(racyLock('object', (s: any) => ({ inside: s.inside === 'nobody' ? 'one' : 'two' })), null), 'MC165', /step "enter" effect: returns a value and assigns nothing/);
  coded(t, () => buildModel(racyLock('value', (s: any) => (s.inside === 'nobody' ? 'one' : 'two')), null), 'MC165', /returns a value and assigns nothing/);
  coded(t, () => buildModel(racyLock('compare', (s: any) => { s.inside === 'two'; }), null), 'MC165', /assigns nothing and calls nothing, so its statements change no state/);
  // Beside other statements, or under an if: a comparison statement is still `===` written for `=`.
  coded(t, () => buildModel(racyLock('compare-mixed', (s: any) => { s.locked = true; s.inside === 'two'; }), null), 'MC165', /step "enter" effect: the statement "s\.inside === \.\.\." compares and changes nothing \(=== compares; = assigns\)/);
  coded(t, () => buildModel(racyLock('compare-if', (s: any) => { if (s.inside === 'nobody') s.inside === 'one'; else s.inside = 'two'; }), null), 'MC165', /the statement "s\.inside === \.\.\." compares and changes nothing/);
  coded(t, () => buildModel(racyLock('compare-asi', (s: any) => { s.locked = true
    s.inside === 'one' }), null), 'MC165', /compares and changes nothing/);
  for (const code of ['{ s.x === 1; }', '{ if (!s.y) s.x === true; }', '{ s.y = 1; s.x === 2 }', '{ if (a) { } else s.x == 3; }', '{ s.a[me.id] === 2; }', '{ s.q?.x !== 1;}', '{ f(() => { s.x === 1; }); }', '{ for (;;) { s.x === 1; break; } }', '{ s.y = 1\n s.x === 2\n }', '{ s.y = 1; me.n === s.a.get(0); }', '{ s.y = 1; s.x === Math.min(s.y + 1, 5); }', '{ switch (s.k) { case 0: s.x === 1; break; default: s.x = 2; } }', '{ switch (s.k) { default: s.x == 2; } }', '{ s.y = 1, s.x === 2; }', '{ s.a.get(0) == true; s.x = 1; }', '{ s.y = 1; s.a.get(me.id) === 2; }', '{ s.y = 1; s.local(\'t\', 0).v === 3; }', '{ s.y = 1; s.a . get (f(0)) !== 1; }'])
    t.not(uselessStatement(code), null, code);
  // A comparison whose value is used, or whose right side assigns or calls, is no such statement.
  for (const code of ['{ for (let i = 0; i !== 3; i++) s.a[i] = 1; }', '{ if (s.x === 1) s.y = 2; }', '{ s.ok = s.x === 1; }', '{ return s.x === 1; }', '{ s.x === 1 && (s.y = 2); }', '{ s.x === 1 || f(); }', '{ const q = s.arr.some((v) => v === 1); s.z = q; }', '{ while (s.i !== 2) s.i++; }', '{ s.a = c ? s.x === 1 : 2; }', '{ s.x === 1\n ? (s.y = 1) : 0; }', '{ f(s.x === 1); }', '{ s.v = [s.x === 1]; }', '{ s.b = s.a\n  === 1; }', '{ s.x = 1; s.assert(s.x >= 0, `x is ${s.x === 0 ? "zero" : "more"}`); }', '{ s.y === 0 &&\n  (s.ok = true); }', '{ s.y === 0\n  ? (s.ok = 1)\n  : (s.ok = 2); }', '{ s.y === 0 && hook?.(s); }', '{ s.y === 0 && tag`hi`; }', '{ s.x = s.k === 0 ? 1 : s.y === 2 ? 3 : 4; }', '{ const o = { a: 1, b: s.x === 1 }; s.v = o.b; }', '{ s.v = f(1, s.x === 1); }', '{ const t = [1, s.x === 2]; s.v = t[1]; }', '{ switch (s.k) { case 0: s.x = s.y === 1 ? 2 : 3; break; } }', '{ s.v = ({ a, b: s.x === 1 }).b; }', '{ s.y = 1; f(s) === 1; }', '{ s.y = 1; s.take(0) === true; }', '{ s.y = 1; get(0) === 1; }'])
    t.is(uselessStatement(code), null, code);
  // Arithmetic and bare reads beside other statements change nothing either: `s.n + 1;` for `s.n += 1`, `s.done;` for `s.done = true`.
  coded(t, () => buildModel(racyLock('add', (s: any) => { s.inside = 'one'; s.locked + 1; }), null), 'MC165', /the statement "s\.locked \+ \.\.\." computes a value and changes nothing \(= assigns; \+= adds\)/);
  coded(t, () => buildModel(racyLock('not', (s: any) => { s.inside = 'one'; !s.locked; }), null), 'MC165', /the statement "!s\.locked" reads a value and changes nothing/);
  coded(t, () => buildModel(racyLock('bare', (s: any) => { if (s.inside === 'nobody') { s.locked } s.inside = 'two'; }), null), 'MC165', /the statement "s\.locked" reads a value and changes nothing/);
  coded(t, () => buildModel(racyLock('less', (s: any) => { s.inside = 'one'; s.locked < s.locked; }), null), 'MC165', /the statement "s\.locked < \.\.\." compares and changes nothing/);
  for (const code of ['{ s.y = 1; s.n + 1; }', '{ s.y = 1; s.n - 1 }', '{ s.y = 1; s.n * 2; }', '{ s.y = 1; s.x >= 2; }', '{ s.y = 1; !s.flag; }', '{ s.y = 1; !!s.flag }', '{ s.y = 1; s.done; }', '{ s.y = 1\n s.done\n }', '{ s.y = 1; s.a.get(0); }', '{ if (c) { s.y = 1 } else { s.q?.x } }', '{ s.y = 1; s.a[me.id]; }', '{ s.y = 1; me.n + s.a.get(0); }', '{ switch (s.k) { case 0: s.x; break; default: s.x = 2; } }'])
    t.not(uselessStatement(code), null, code);
  for (const code of ['{ s.n += 1; }', '{ s.n = s.n + 1; }', '{ s.n++; s.m--; }', '{ const { a, b } = s.o; s.x = a + b; }', '{ s.v = { a, b }; }', '{ [s.x, s.y] = [s.y, s.x]; }', '{ for (s.i = 0; s.i < 3; s.i++) s.a[s.i] = 1; }', '{ const f = (v) => v + 1; s.x = f(1); }', '{ s.q\n  .set(0, 1); }', '{ s.x = s.a\n  - 1; }', '{ s.x = -1; s.y = 2 * -s.x; }', '{ s.x = 1e-5; }', '{ s.x = a < b ? 1 : 2; }', '{ s.o.fn(); }', '{ s.x - 1 || f(); }', '{ s.x > 0 && (s.y = 1); }', '{ s.x = s.y > 1 ? 1 : 0; }', '{ s.m = s.a.get(0) + s.a.get(1); }', '{ s.x = { a: s.y }; }', '{ s.x = 1; return; }', '{ s.x = 1; debugger; }', '{ s.i < s.n && s.i++; }', '{ s.v = [s.a, s.b]; }', '{ s.x = s.y\n(f)(); }', '{ s.x = `${s.y + 1}`; }', '{ s.f = (v) => { return v.a; }; }'])
    t.is(uselessStatement(code), null, code);
  // Beside a real assignment: a parenthesised comparison, one behind ! and &&, one after a comma,
  // a label written for an object or an assignment, statements after a return: each changed nothing and passed.
  coded(t, () => buildModel(racyLock('paren', (s: any) => { s.locked = true; (s.inside == 'two'); }), null), 'MC165', /the statement "s\.inside == \.\.\." compares and changes nothing/);
  coded(t, () => buildModel(racyLock('and', (s: any) => { s.locked = true; !s.locked && s.inside == 'two'; }), null), 'MC165', /the statement "!s\.locked && \.\.\." compares and changes nothing/);
  coded(t, () => buildModel(racyLock('comma', (s: any) => { s.locked = s.locked, s.inside == 'two'; }), null), 'MC165', /the statement "s\.inside == \.\.\."/);
  coded(t, () => buildModel(racyLock('label', new Function('s', "s.locked = true; inside: 'two'") as never), null), 'MC165', /the statement "inside: \.\.\." is a label and an expression/);
  coded(t, () => buildModel(racyLock('return', new Function('s', "s.locked = true; return; s.inside = 'two';") as never), null), 'MC165', /the statement "s\.inside = \.\.\." never runs: it follows a return in the same block/);
  // A copy of a variable written as if it were the variable, and a function defined and never called.
  coded(t, () => buildModel(racyLock('copy', new Function('s', "s.locked = true; let v = s.inside; v = 'two';") as never), null), 'MC165', /the local v is assigned and never read: a copy of a variable is not the variable/);
  coded(t, () => buildModel(racyLock('destructure', new Function('s', "s.locked = true; let { inside } = s; inside = 'two';") as never), null), 'MC165', /the local inside is assigned and never read/);
  coded(t, () => buildModel(racyLock('uncalled', new Function('s', "const enter = () => { s.inside = 'two'; }; s.locked = true;") as never), null), 'MC165', /the function enter is defined and never called/);
  for (const code of ['{ s.y = 1; (s.x === 2); }', '{ s.y = 1; ((s.n + 1)); }', '{ s.y = 1; (me.n - 1)\n s.z = 2 }', '{ s.y = 1; !s.a && s.b === 1; }', '{ s.y = 1; s.a || s.b; }', '=> { s.y = s.y, s.x === 2; }', '{ s.y = 1; x: 2 }', '{ s.y = 1; return; s.x = 1; }', '{ if (c) { s.y = 1; return; s.x = 2; } }', '{ s.y = 1; break; s.x = 1; }', '{ return\n s.x = 1 }', '{ s.y = 1; throw new Error("x"); s.z = 2; }'])
    t.not(uselessStatement(code), null, code);
  for (const code of ['{ if (s.x) return; s.y = 1; }', '{ if (s.x) { s.y = 2; return; } s.y = 1; }', '{ switch (s.k) { case 0: s.x = 1; break; case 1: s.x = 2; break; default: s.x = 3; } }', '{ for (const t of xs) { if (t) continue; s.n++; } }', '{ if (a) s.x = 1; else return; s.y = 2; }', '{ outer: for (let i = 0; i < 2; i++) { for (let j = 0; j < 2; j++) { if (j) continue outer; s.n++; } } }', '{ s.cfg = { a: 1, b: 2 }; }', '{ Object.assign(s, { inside: 1 }); }', '=> ({ a: 1, b: s.x === 1 })', '{ s.x = c ? a : b; }', '{ s.x > 0 ? (s.y = 1) : (s.y = 2); }', '{ (s.a.set(0, true)); }', '{ (() => { s.x = 1; })(); }', '{ s.y = f\n(s.x === 1) }', '{ s.x = 1; return; }', '{ s.y = 1; return s.x === 1 ? 2 : 3; }', '{ s.ok = s.a && s.b; }', '{ s.a && (s.b = 1); }', '{ s.ready || s.assert(false, "x"); }', '{ s.a.set(0, s.a.get(0)); }', '{ s.x = s.y; }', '{ s.x = s.x + 1; }', '{ s.y = s.y; }', "{ s.a['x'] = s.a['y']; }", '{ const v = s.x; s.y = v === 1 ? 2 : 3; }', '{ if (s.x) { return; } }', '{ switch (s.k) { case 0: return; default: s.x = 1; } }', '=> { function helper() { return 1; } s.x = helper(); }'])
    t.is(uselessStatement(code), null, code);
  for (const code of ['{ let f = s.freed; f = true; }', '{ let { freed } = s; freed = true; }', '{ let [a, b] = [s.x, s.y]; a = 1; s.z = b; }', '{ const mark = () => { s.freed = true; }; }', '{ function mark() { s.freed = true; } s.x = 1; }', '{ let n = s.n; n++; }', '{ let { a: c } = s; c = 2; }'])
    t.not(unreadLocal(code), null, code);
  for (const code of ['{ let f = s.freed; f = !f; s.freed = f; }', '{ const v = s.x; }', '{ let i = 0; while (i < 3) { s.a.set(i, true); i++; } }', '{ for (let i = 0; i < 3; i++) s.a.set(i, true); }', '{ for (const _ of [1, 2]) s.n++; }', '{ const f = (v) => v + 1; s.x = f(s.x); }', '{ let n = 0; n += 1; s.x = n; }', '{ let t = s.x; const o = { t }; s.y = o.t; }', '{ let m = 1; const g = () => m; m = 2; s.x = g(); }', '{ let q = 1; q = 2; s.o?.q; s.x = q; }', '{ let { a = 1 } = s.o; a = 2; }', '{ const { a, ...rest } = s.o; s.x = a; }', '{ let _tmp = s.x; _tmp = 1; }'])
    t.is(unreadLocal(code), null, code);
  // Assignments as expressions, helpers, an empty effect and void are effects (or none) as written.
  for (const [name, enter] of [
    ['assign-expr', (s: any) => (s.inside = s.inside === 'nobody' ? 'one' : 'two')],
    ['call', (s: any) => { if (s.inside === 'two') s.assert(false, 'x'); }],
    ['empty', () => {}],
    ['void', () => undefined],
  ] as const)
    t.notThrows(() => buildModel(racyLock(name, enter as never), null), name);
});

test('an s.assert inside an invariant fails that invariant, in the search and in replay (it was an internal error when the trace was checked)', (t) => {
  const m = racyLock('assert-inv', (s: any) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }, (s: any) => { s.assert(s.inside !== 'two', 'mx'); return true; });
  const r = check(m);
  t.is(r.verdict, 'violation');
  t.is(r.violation?.property, 'mutual-exclusion');
  const trace = buildTrace(r.runtime, r.violation!);
  t.is(replay(trace, m).status, 'reproduced');
});

test('a label list given as one string is refused, not read letter by letter', (t) => {
  const mk = (thr: Record<string, unknown>, model: Record<string, unknown> = {}) =>
    defineModel({ name: 'lists', shared: { a: bool() }, threads: [thread('t', { start: 'x', end: ['done'], steps: { x: { then: (s: any) => { s.a = true; }, next: 'done' } }, ...thr } as never)], ...model } as never);
  // Before, `end: 'done'` made the labels d, o, n, e the thread's ends, and the error named the next step instead.
  coded(t, () => buildModel(mk({ end: 'done' }), null), 'MC120', /thread "t": end must be a list of labels \(end: \["done"\]\), got "done"/);
  coded(t, () => buildModel(mk({ labels: 'stuck' }), null), 'MC120', /thread "t": labels must be a list of labels/);
  coded(t, () => buildModel(mk({ progress: 'done' }), null), 'MC120', /thread "t": progress must be a list of labels/);
  coded(t, () => buildModel(mk({}, { progress: 't.done' }), null), 'MC118', /model "lists": progress must be a list of "group\.label" entries, got "t\.done"/);
  t.is(check(mk({ progress: ['done'] })).verdict, 'pass');
});

test('a computed next naming no label fails at that step, coded', (t) => {
  const m = defineModel({
    name: 'computed-next',
    shared: { n: int(0, 1) },
    // @ts-expect-error the misspelt label is a compile error too; the check below is for models tsc does not see
    threads: [thread('t', { start: 'work', end: ['done'], steps: { work: { then: (s) => { s.n = 1; }, next: (s) => (s.n === 1 ? 'dnoe' : 'done') } } })],
  });
  coded(t, () => check(m), 'MC134', /model "computed-next", thread "t" step "work"/, /"dnoe"/);
  // The same typo also written as a constant next no longer makes "dnoe" a label the computed one can reach.
  const both = defineModel({
    name: 'both',
    shared: { n: int(0, 1) },
    // @ts-expect-error the misspelt label is a compile error too; the check below is for models tsc does not see
    threads: [thread('t', { start: 'work', end: ['done'], steps: { work: { then: (s) => { s.n = 1; }, next: (s) => (s.n === 1 ? 'dnoe' : 'done') }, other: { at: 'done', next: 'dnoe' } } })],
  });
  coded(t, () => check(both), 'MC151', /step "other": next "dnoe"/);
});

test('a computed choose of 0 leaves the step not enabled in that state, as a false guard does (README); a count outside 0..4096 is MC133', (t) => {
  // w wakes one of the waiters that arrived: none yet, no transition.
  const mk = (name: string, wake: Record<string, unknown>) =>
    defineModel({
      name,
      shared: { waiters: int(0, 2), woken: int(0, 2) },
      threads: [
        thread('w', { start: 'wake', end: ['done'], steps: { wake: { ...wake, then: (s, _me, c) => { s.woken = c + 1; }, next: 'done' } } }),
        thread('a', { start: 'arrive', end: ['done'], steps: { arrive: { choose: 2, then: (s, _me, c) => { s.waiters = c + 1; }, next: 'done' } } }),
      ],
    });
  const byChoose = check(mk('by-choose', { choose: (s: any) => s.waiters }));
  const byGuard = check(mk('by-guard', { when: (s: any) => s.waiters > 0, choose: (s: any) => Math.max(s.waiters, 1) }));
  t.is(byChoose.verdict, 'pass');
  t.deepEqual([byChoose.stats.states, byChoose.stats.transitions], [byGuard.stats.states, byGuard.stats.transitions]);
  // Never more than 0: the thread never moves, a deadlock.
  const never = check(mk('never', { choose: () => 0 }));
  t.is(never.violation?.kind, 'deadlock');
  for (const bad of [-1, 1.5, 4097])
    coded(t, () => check(mk('bad', { choose: () => bad })), 'MC133', /model "bad", thread "w" step "wake"/, new RegExp(`choose returned ${bad}; it must be an integer in 0\\.\\.4096 \\(0: the step is not enabled in this state, as with a false guard\\)`));
});

test('me.id cannot be assigned or deleted: from the source, and at run time', (t) => {
  const mk = (name: string, then: (s: any, me: any) => void) =>
    defineModel({
      name,
      shared: { owner: threadId('cpu', { none: true }) },
      threads: [replicate(2, 'cpu', { start: 'go', end: ['done'], steps: { go: { then, next: 'done' } } })],
    });
  coded(t, () => buildModel(mk('assign', (s, me) => { me.id = 1; s.owner = me.id; }), null), 'MC152', /thread "cpu" step "go" effect: assigns to me\.id/);
  coded(t, () => buildModel(mk('delete', (s, me) => { delete me.id; s.owner = 0; }), null), 'MC152', /deletes me\.id/);
  coded(t, () => buildModel(mk('at', (_s, me) => { me.at = 'done'; }), null), 'MC152', /assigns to me\.at/);
  const id = 'i' + 'd';
  coded(t, () => check(mk('assign-rt', (s, me) => { me[id] = 1; s.owner = me.id; })), 'MC152', /thread "cpu\[0\]" step "go"/, /cpu\[0\]\.id/, /read-only/);
  coded(t, () => check(mk('delete-rt', (s, me) => { delete me[id]; s.owner = me.id; })), 'MC152', /thread "cpu\[0\]" step "go"/, /deletes id/);
});

test('a guard or an invariant that does not return a boolean is a coded model error naming it', (t) => {
  for (const v of ['yes', 1, undefined] as unknown[]) {
    const g = defineModel({
      name: 'guard',
      shared: { n: int(0, 1) },
      threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { when: () => v as boolean, then: (s) => { s.n = 1; }, next: 'done' } } })],
    });
    coded(t, () => check(g), 'MC153', /model "guard", thread "t" step "go"/, new RegExp(`guard returned ${v === undefined ? 'undefined' : JSON.stringify(v)}`));
  }
  const yes = racyLock('yes', (s) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }, () => 'yes' as unknown as boolean);
  coded(t, () => check(yes), 'MC154', /model "yes", invariant "mutual-exclusion": returned "yes"/);
  // The boolean the invariant is meant to be still decides.
  t.is(check(racyLock('bool', (s) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }, (s) => s.inside !== 'two')).verdict, 'violation');
});

test('an async or generator function in a model is refused, never a pass that lost its writes after an await', (t) => {
  const enter = (s: any) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; };
  // Unchecked, the racy lock would pass: the write after the await is made after the search, to no state.
  coded(t, () => buildModel(racyLock('async', async (s) => { await null; enter(s); }), null), 'MC136', /model "async" thread "cpu" step "enter": then is an async function/, /plain function/);
  coded(t, () => buildModel(racyLock('gen', function* (s: any) { enter(s); } as never), null), 'MC136', /then is a generator function; calling it returns without running its body/);
  // Every function slot: guard, choose, next, invariant, init, helper, and the definition's functions of the parameters.
  const lock = (patch: Record<string, unknown>, thr: Record<string, unknown> = {}, step: Record<string, unknown> = {}) =>
    defineModel({
      name: 'slots',
      shared: { n: int(0, 2) },
      threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s: any) => { s.n = 1; }, next: 'done', ...step } }, ...thr } as never)],
      ...patch,
    } as never);
  coded(t, () => buildModel(lock({}, {}, { when: async () => true }), null), 'MC136', /step "go": when is an async function/);
  coded(t, () => buildModel(lock({}, {}, { choose: async function* () {} }), null), 'MC136', /step "go": choose is an async generator function/);
  coded(t, () => buildModel(lock({}, {}, { next: async () => 'done' }), null), 'MC136', /step "go": next is an async function/);
  coded(t, () => buildModel(lock({ invariants: { low: async () => true } }), null), 'MC136', /invariant "low" is an async function/);
  coded(t, () => buildModel(lock({ init: () => async () => {} }), null), 'MC136', /model "slots": init is an async function/);
  coded(t, () => buildModel(lock({ init: async () => () => {} }), null), 'MC136', /model "slots": init\(params\) returned a Promise/);
  coded(t, () => buildModel(lock({ helpers: [async function touch() {}] }), null), 'MC136', /helper "touch" is an async function/);
  coded(t, () => buildModel(lock({ invariants: async () => ({}) }), null), 'MC136', /invariants\(params\) returned a Promise/);
  // A part of a composed guard or effect: the composer would take its Promise for true, or drop it.
  coded(t, () => buildModel(lock({}, {}, { when: allOf((s: any) => s.n === 0, (async () => true) as never) }), null), 'MC136', /step "go": when \(a part of it\) is an async function/);
  coded(t, () => buildModel(lock({}, {}, { then: inOrder((s: any) => { s.n = 1; }, async function late(s: any) { await null; s.n = 2; }) }), null), 'MC136', /step "go": then \(a part of it, "late"\) is an async function/);
  // A plain function that returns a Promise (an async function compiled for an older target): refused when it runs.
  coded(t, () => check(racyLock('later', (s) => Promise.resolve().then(() => enter(s)) as never)), 'MC136', /model "later", thread "cpu\[0\]" step "enter": then returned a Promise/);
  coded(t, () => check(lock({ init: () => (s: any) => Promise.resolve().then(() => { s.n = 2; }) })), 'MC136', /model "slots", the init function: init returned a Promise/);
  coded(t, () => check(lock({}, {}, { when: () => Promise.resolve(true) })), 'MC153', /guard returned a Promise \(the model's functions must be synchronous\)/);
  coded(t, () => check(lock({}, {}, { next: () => Promise.resolve('done') })), 'MC134', /next returned a Promise/);
  // Any other value an effect returns is ignored, the view included (`Object.assign(s, ...)`).
  t.is(check(racyLock('assign', (s) => Object.assign(s, { inside: s.inside === 'nobody' ? 'one' : 'two' }))).verdict, 'violation');
});

test("s.assert's condition is exactly true or false and its name a string: a Promise or a count held as truthy, and a missing name reported the property \"undefined\"", (t) => {
  const mk = (name: string, then: (s: any) => void) =>
    defineModel({ name, shared: { n: int(0, 3) }, threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then, next: 'done' } } })] });
  coded(t, () => check(mk('promise', (s) => s.assert(Promise.resolve(false), 'never'))), 'MC162', /model "promise", thread "t" step "go": s\.assert\(\.\.\., "never"\): the condition is a Promise/);
  coded(t, () => check(mk('count', (s) => s.assert(s.n, 'nonzero'))), 'MC162', /the condition is 0; it must be true or false/);
  coded(t, () => check(mk('unnamed', (s) => s.assert(s.n === 1))), 'MC162', /the name must be a non-empty string \(the property a failure reports\), got undefined/);
  // The name is checked where the condition holds too: the mistake shows before the state that would fail it.
  coded(t, () => check(mk('unnamed-true', (s) => s.assert(s.n === 0))), 'MC162', /got undefined/);
  const r = check(mk('named', (s) => { s.n = 1; s.assert(s.n === 2, 'two'); }));
  t.is(r.violation?.kind, 'assertion');
  t.is(r.violation?.property, 'two');
});

test("a model's deadlock setting is exactly true or false: 0 would have turned deadlock detection off without a word", (t) => {
  const stuck = (deadlock: unknown) =>
    defineModel({ name: 'stuck', deadlock, threads: [thread('t', { start: 'work', labels: ['stuck'], end: ['done'], steps: { work: { next: 'stuck' } } })] } as never);
  for (const v of [0, 'no', null, () => 'false'])
    coded(t, () => buildModel(stuck(v), null), 'MC158', /model "stuck": deadlock must be true or false/, new RegExp(`got ${typeof v === 'function' ? '"false"' : v === null ? 'null' : JSON.stringify(v)}`));
  t.is(check(stuck(true)).violation?.kind, 'deadlock');
  t.is(check(stuck(() => false)).verdict, 'pass');
});

test('parameter names that are Object.prototype members are unknown parameters, never a TypeError', (t) => {
  for (const k of ['constructor', '__proto__', 'toString', 'hasOwnProperty']) {
    coded(t, () => parseParam(peterson, k, '1'), 'MC301', new RegExp(`no parameter "${k}"`));
    coded(t, () => resolveParams(peterson, null, JSON.parse(`{"${k}": 1}`)), 'MC301', new RegExp(`no parameter "${k}"`));
    const r = cli(['check', 'peterson', '-p', `${k}=1`]);
    t.is(r.code, 2, r.err);
    t.regex(r.err, new RegExp(`error MC301: model "peterson" has no parameter "${k}"`));
    t.notRegex(r.err, /TypeError/);
  }
  coded(t, () => defineModel({ name: 'p', params: { constructor: int(0, 1) }, threads: [] }), 'MC103', /"constructor"/);
  coded(t, () => defineModel({ name: 'p', params: { n: int(0, 1) }, variants: { v: { description: '', defaults: JSON.parse('{"toString": 1}') } }, threads: [] }), 'MC106', /"toString"/);
  // Variant and expectation lookups by a user-given name see only what the model declares.
  const m = defineModel({ name: 'v', variants: { a: 'A' }, expect: { a: { verdict: 'pass' } }, threads: [thread('t', { start: 'x', end: ['x'], steps: {} })] });
  t.deepEqual(expectationsOf(m, 'toString'), []);
  t.is(variantDescription(m, 'constructor'), '');
  const r = cli(['check', 'peterson', '-p', 'n=toString']);
  t.is(r.code, 2);
  t.regex(r.err, /MC302/);
});

test('views: what JavaScript itself looks up keeps working, and printing a view shows its values', (t) => {
  const m = defineModel({
    name: 'probe',
    shared: { flag: bool(), a: array(2, int(0, 3)) },
    threads: [replicate(2, 'cpu', { locals: { x: int(0, 2) }, start: 'go', end: ['done'], steps: { go: { next: 'done' } } })],
  });
  const rt = new Runtime(buildModel(m, null));
  const v = rt.views(rt.initial(), false);
  const s = v.state as any;
  const me = v.locals[1] as any;
  t.is(`${s}`, '[object Object]');
  t.is(String(me), '[object Object]');
  t.true(s instanceof Object);
  t.is(s.then, undefined);
  t.is(JSON.stringify({ me }).length > 0, true);
  t.is(Object.prototype.toString.call(s), '[object Object]');
  t.false(s.hasOwnProperty('flag'));
  t.true('flag' in s);
  t.is(typeof s[Symbol.iterator], 'undefined');
  t.is(inspect(s), "{ flag: false, a: [ 0, 0 ] }");
  t.is(inspect(me), "{ id: 1, at: 'go', x: 0 }");
  t.is(inspect(s.a), '[ 0, 0 ]');
  t.is(me.id, 1);
  const sym = Symbol('tag');
  s[sym] = 1;
  t.is(s[sym], 1);
});

test('a model file under a CommonJS package.json loads its own copy of the package and gives the same counts as under ESM', (t) => {
  const dir = tempDir('mmcheck-cjs-');
  mkdirSync(join(dir, 'cjs'));
  mkdirSync(join(dir, 'esm'));
  writeFileSync(join(dir, 'cjs/package.json'), '{"type":"commonjs"}');
  writeFileSync(join(dir, 'esm/package.json'), '{"type":"module"}');
  const body = `defineModel({
  name: 'package-copy',
  shared: { locked: bool(), owner: threadId('cpu', { none: true }), seen: array(3, threadId('cpu', { none: true })), busy: array(3, bool()), inside: oneOf('nobody', 'one', 'two') },
  threads: [
    replicate(3, 'cpu', {
      locals: { n: int(0, 1) },
      start: 'acquire',
      end: ['done'],
      steps: {
        acquire: { when: (s) => !s.locked, then: (s, me) => { s.locked = true; s.owner = me.id; }, next: 'enter' },
        enter: { then: (s, me) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; s.seen.set(me.id, me.id); s.busy.set(me.id, true); me.n = 1; }, next: 'leave' },
        leave: { then: (s) => { s.inside = s.inside === 'two' ? 'one' : 'nobody'; s.locked = false; s.owner = -1; }, next: 'done' },
      },
    }),
  ],
  invariants: { 'mutual-exclusion': (s) => s.inside !== 'two' },
})
`;
  const names = 'defineModel, array, bool, int, oneOf, threadId, replicate';
  const req = `const { ${names} } = require(${JSON.stringify(INDEX)});\nmodule.exports = ${body}`;
  const imp = `import { ${names} } from ${JSON.stringify(INDEX)};\nexport default ${body}`;
  writeFileSync(join(dir, 'cjs/model.js'), req);
  writeFileSync(join(dir, 'cjs/model.ts'), imp);
  writeFileSync(join(dir, 'esm/model.ts'), imp);
  const counts = (file: string) => {
    const r = cli(['check', join(dir, file), '--json', '--no-progress'], dir);
    t.is(r.code, 0, `${file}: ${r.err}`);
    const o = JSON.parse(r.out || '{}');
    return [o.verdict, o.stats?.states, o.stats?.transitions];
  };
  const esm = counts('esm/model.ts');
  t.is(esm[0], 'pass');
  t.deepEqual(counts('cjs/model.js'), esm);
  t.deepEqual(counts('cjs/model.ts'), esm);
  // The same domains through the API: shapes, not classes, are what the engine recognises.
  t.is(search(buildModel(defineModel({ name: 'arr', shared: { a: array(2, bool()) }, threads: [thread('t', { start: 'x', end: ['x'], steps: {} })] }), null)).verdict, 'pass');
});

/** Identifiers a misspelling must avoid: declared names and what the views offer. */
const STATE_OK = new Set(['assert', 'at', 'local', 'count', 'flag', 'v0', 'v1', 'v2']);
const LOCAL_OK = new Set(['id', 'at', 'x']);

const misspell = (name: string, how: number, letter: string, pos: number): string => {
  const i = pos % name.length;
  switch (how) {
    case 0:
      return name + letter;
    case 1:
      return name.slice(0, i) + letter + name.slice(i + 1);
    case 2:
      return name.slice(0, i + 1) + name[i] + name.slice(i + 1);
    default:
      return name.length > 1 ? name.slice(0, i) + name.slice(i + 1) : name + letter;
  }
};

test('random models: one misspelt access anywhere in the model is always reported, never a pass', (t) => {
  let planted = 0;
  fc.assert(
    fc.property(genModel(), fc.nat(), fc.nat(3), fc.constantFrom(...'abcdefghijklmnopqrstuvwxyz_'), fc.nat(), (g, pick, how, letter, pos) => {
      // Every `st.NAME`, `s.NAME` and `me.NAME` in the generated functions, in order.
      const sites: { fn: number; index: number; obj: string; name: string }[] = [];
      toModel(g, 'random', (body, fn) => {
        for (const m of body.matchAll(/(?<![\w$.])(st|s|me)\.([A-Za-z_$][\w$]*)/g)) sites.push({ fn, index: m.index!, obj: m[1]!, name: m[2]! });
        return body;
      });
      if (sites.length === 0) return true;
      const site = sites[pick % sites.length]!;
      const wrong = misspell(site.name, how, letter, pos);
      const ok = site.obj === 'me' ? LOCAL_OK : STATE_OK;
      if (ok.has(wrong) || !/^[A-Za-z_$][\w$]*$/.test(wrong)) return true;
      const m = toModel(g, 'random', (body, fn) => (fn === site.fn ? body.slice(0, site.index) + `${site.obj}.${wrong}` + body.slice(site.index + site.obj.length + 1 + site.name.length) : body));
      planted++;
      try {
        const r = search(buildModel(m, null), { strategy: 'bfs', deadlock: true });
        t.log(`not reported: ${site.obj}.${site.name} -> ${wrong}: ${r.verdict}`);
        return false;
      } catch (e) {
        return isMcError(e) && e.code === 'MC150' && e.message.includes(`${site.obj}.${wrong}`);
      }
    }),
    { numRuns: RUNS },
  );
  t.true(planted > RUNS / 2, `${planted} misspellings planted`);
});

test('a pass of a model that states no property (no invariant, s.assert or progress, deadlock detection off) says that nothing was checked', (t) => {
  const dir = tempDir('mmcheck-vacuous-');
  const model = (extra: string) => `import { defineModel, thread, int } from ${JSON.stringify(INDEX)};
export default defineModel({ name: 'nop', deadlock: false, shared: { n: int(0, 2) },
  threads: [thread('t', { start: 'go', end: ['done'], steps: { go: { then: (s) => { s.n = 1; ${extra} }, next: 'done' } } })] });
`;
  writeFileSync(join(dir, 'nop.ts'), model(''));
  writeFileSync(join(dir, 'asserts.ts'), model(`s.assert(s.n === 1, 'one');`));
  const nop = cli(['check', join(dir, 'nop.ts')]);
  t.is(nop.code, 0, nop.err);
  t.regex(nop.out, /^pass: no violation\nwarning: nothing was checked: the model declares no invariant, no s\.assert and no progress, and deadlock detection is off, so any protocol passes$/m);
  const asserts = cli(['check', join(dir, 'asserts.ts')]);
  t.is(asserts.code, 0, asserts.err);
  t.notRegex(asserts.out, /nothing was checked/);
  t.notRegex(cli(['check', 'peterson', '-p', 'n=2']).out, /nothing was checked/);
  // With --json, in `warnings`.
  t.deepEqual(JSON.parse(cli(['check', join(dir, 'nop.ts'), '--json']).out).warnings, ['nothing was checked: the model declares no invariant, no s.assert and no progress, and deadlock detection is off, so any protocol passes']);
  t.false('warnings' in JSON.parse(cli(['check', join(dir, 'asserts.ts'), '--json']).out));
});

test('a parameter given on the command line that the model never reads is named: the run answers for the default model', (t) => {
  const dir = tempDir('mmcheck-unused-param-');
  const model = (count: string) => `import { defineModel, replicate, int } from ${JSON.stringify(INDEX)};
export default defineModel({ name: 'cpus', params: { cpus: int(1, 4, 2) }, shared: { n: int(0, 4) },
  threads: (p) => [replicate(${count}, 'cpu', { start: 'go', end: ['done'], steps: { go: { then: (s) => { s.n = s.n + 1; }, next: 'done' } } })] });
`;
  writeFileSync(join(dir, 'constant.ts'), model('2'));
  writeFileSync(join(dir, 'used.ts'), model('p.cpus'));
  const constant = cli(['check', join(dir, 'constant.ts'), '-p', 'cpus=3']);
  t.is(constant.code, 0, constant.err);
  t.regex(constant.out, /^warning: parameter "cpus" is read by none of the model's functions, so -p cpus=3 likely changes nothing$/m);
  t.deepEqual(JSON.parse(cli(['check', join(dir, 'constant.ts'), '-p', 'cpus=3', '--json']).out).warnings, [`parameter "cpus" is read by none of the model's functions, so -p cpus=3 likely changes nothing`]);
  const used = cli(['check', join(dir, 'used.ts'), '-p', 'cpus=3']);
  t.is(used.code, 0, used.err);
  t.notRegex(used.out, /warning/);
});

test('an expectation\'s parameter outside its domain is quoted as written: a number as a number, a string as a string', (t) => {
  const mk = (v: unknown) => () => defineModel({ name: 'm', params: { cpus: int(1, 3, 1) }, expect: { verdict: 'pass', params: { cpus: v } }, shared: { n: int(0, 1) }, threads: [thread('t', { start: 'a', steps: { a: { next: 'a' } } })] } as never);
  coded(t, mk(5), 'MC147', /expect: params cpus=5 is outside int 1\.\.3$/);
  coded(t, mk('x'), 'MC147', /expect: params cpus="x" is outside int 1\.\.3$/);
});

test('definition errors say what was given: a non-object definition, variants written as a list, an expectation for an unknown variant (with the variants), a state too wide (with its widest variables)', (t) => {
  const codeAndMessage = (f: () => unknown) => {
    const e = t.throws(f) as McError;
    return `${e.code}: ${e.message}`;
  };
  t.is(codeAndMessage(() => defineModel(42 as never)), 'MC101: defineModel(): expects an object, got 42');
  const base = { name: 'v', shared: { x: int(0, 3) }, threads: [thread('t', { start: 'a', steps: { a: { then: (s: any) => { s.x = 1; }, next: 'a' } } })] };
  // A list of names (the natural guess) was read as the variants "0" and "1".
  t.regex(codeAndMessage(() => defineModel({ ...base, variants: ['good', 'bad'] } as never)), /^MC105: model "v": variants must be an object from each variant's name to what it is .*not a list: write variants: \{ "good": '\.\.\.', "bad": '\.\.\.' \}$/);
  t.is(codeAndMessage(() => defineModel({ ...base, variants: { good: 'g', bad: 'b' }, expect: { gud: { verdict: 'pass' } } } as never)), 'MC109: model "v": expectation for unknown variant "gud" (variants: good, bad)');
  const wide = defineModel({ ...base, shared: { x: int(0, 3), a: array(4096, int(0, 255)), b: array(4096, int(0, 255)), c: array(4096, int(0, 255)), d: array(4096, int(0, 255)), e: array(4096, int(0, 255)) } } as never);
  t.is(codeAndMessage(() => new Runtime(buildModel(wide, null))), 'MC211: model "v": the state needs 5121 words of 32 bits; at most 4096 are supported (the widest fields: a (32768 bits), b (32768 bits), c (32768 bits))');
});
