import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { bool, buildModel, combine, defineModel, int, replicate, search, spinlock, thread } from '../src/index.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { buildTrace } from '../src/trace/build.ts';
import { explainBlocked } from '../src/trace/blocked.ts';
import { renderHtml } from '../src/report/html.ts';
import { blockedText } from '../src/report/blocked-text.ts';
import dining from '../models/dining.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

/** Blocked threads explained: deadlocks, wait-for cycles, threads blocked throughout a livelock; declared locks in the reports. */

const INDEX = JSON.stringify(resolve('src/index.ts'));
const tmp = () => tempDir('mmcheck-blocked-');

function explain(m: Parameters<typeof buildModel>[0], variant: string | null = null, params = {}) {
  const b = buildModel(m, variant, params);
  const r = search(b, {});
  const rt = new Runtime(b);
  const trace = buildTrace(rt, r.violation!, { fairness: r.violation!.kind === 'livelock' ? r.fairness ?? undefined : undefined });
  return { trace, report: explainBlocked(rt, trace)! };
}

test('dining deadlock: every philosopher waits for the fork its neighbour holds, and they wait in a cycle', (t) => {
  const { report } = explain(dining, null, { n: 4 });
  t.is(report.blocked.length, 4);
  for (const [i, b] of report.blocked.entries()) {
    t.is(b.thread, `phil[${i}]`);
    t.is(b.label, 'HasLeft');
    t.is(b.heldBy, `phil[${(i + 1) % 4}]`);
    t.is(b.lock, `fork[${(i + 1) % 4}]`);
    t.deepEqual(b.waitsFor.map((w) => [w.step, w.reads]), [['take_right', { [`fork[${(i + 1) % 4}]`]: true }]]);
    t.regex(b.waitsFor[0]!.guard, /fork\.get/);
  }
  t.deepEqual(report.waitCycle, ['phil[0]', 'phil[1]', 'phil[2]', 'phil[3]']);
});

test('a thread stuck at a label no step starts from (a step\'s at misspelt, the label kept by labels) is said to be so, in text and HTML', (t) => {
  const m = defineModel({
    name: 'stepless',
    shared: { x: bool() },
    threads: (_p) => [thread('mirror', { start: 'a', end: ['done'], labels: ['check'], steps: { a: { then: (s) => { s.x = true; }, next: 'check' }, chek: { next: 'done' } } })],
    invariants: { ok: (s) => s.x || !s.x },
  });
  const { trace, report } = explain(m);
  t.deepEqual(report.blocked.map((b) => [b.thread, b.label, b.noSteps, b.waitsFor.length]), [['mirror', 'check', true, 0]]);
  t.regex(blockedText(report, false), /mirror at check: no step is at label check, which is no end label \(a step's at misspelt/);
  t.regex(renderHtml(trace, { blocked: report }), /no step is at label <code>check<\/code>, which is no end label/);
  // A thread whose steps are there but disabled is not.
  t.true(explain(dining, null, { n: 3 }).report.blocked.every((b) => b.noSteps === undefined));
});

test('a thread whose step has no choice (a computed choose of 0, its guard holding) is blocked, and the choose is what it waits for', (t) => {
  const m = defineModel({
    name: 'choose-none',
    shared: { waiters: int(0, 2), woken: int(0, 1) },
    threads: [
      thread('waker', { start: 'wake', end: ['out'], steps: { wake: { choose: (s) => s.waiters, then: (s) => { s.woken = 1; }, next: 'out' } } }),
      thread('sleeper', { start: 'sleep', end: ['up'], steps: { sleep: { when: (s) => s.woken === 1, next: 'up' } } }),
    ],
  });
  const { report } = explain(m);
  // It was left out: its guard (none) holds, so it read as enabled.
  t.deepEqual(report.blocked.map((b) => b.thread), ['waker', 'sleeper']);
  t.deepEqual(report.blocked[0]!.waitsFor.map((w) => [w.step, w.reads]), [['wake', { waiters: 0 }]]);
  t.regex(report.blocked[0]!.waitsFor[0]!.guard, /^choose .*s\.waiters returned 0$/);
  t.regex(blockedText(report, false), /waker at wake\n {4}wake: choose .*s\.waiters returned 0 {3}reads waiters=0/);
});

test('declared locks name the holder: dining written with an array of spinlocks', (t) => {
  const fork = spinlock('fork', ['phil'], { count: 3 });
  const m = defineModel({
    name: 'dining-locks',
    blocks: [fork],
    threads: [
      replicate(3, 'phil', {
        start: 'Think',
        steps: {
          take_left: { at: 'Think', ...fork.lock('phil', 'me.id'), next: 'HasLeft' },
          take_right: { at: 'HasLeft', ...fork.lock('phil', '(me.id + 1) % 3'), next: 'Eat' },
          put: { at: 'Eat', ...combine(fork.unlock('phil', 'me.id'), fork.unlock('phil', '(me.id + 1) % 3')), next: 'Think' },
        },
      }),
    ],
  });
  const { report, trace } = explain(m);
  // Each lock of the array gets its bar, held by the philosopher that took it, still held at the end.
  const page = renderHtml(trace, { locks: buildModel(m, null).locks, blocked: report });
  for (const i of [0, 1, 2]) t.regex(page, new RegExp(`title="fork\\[${i}\\] held by phil\\[${i}\\], steps ${i + 1}–3 and after"`));
  t.deepEqual(
    report.blocked.map((b) => [b.thread, b.lock, b.heldBy]),
    [['phil[0]', 'fork[1]', 'phil[1]'], ['phil[1]', 'fork[2]', 'phil[2]'], ['phil[2]', 'fork[0]', 'phil[0]']],
  );
  t.deepEqual(report.blocked[0]!.waitsFor[0]!.reads, { 'fork[1]': 1 });
  t.regex(report.blocked[0]!.waitsFor[0]!.guard, /^spin_lock\(fork\[\(me\.id \+ 1\) % 3\]\): s\.fork\.get\(\(me\.id \+ 1\) % 3\) === -1$/);
  t.deepEqual(report.waitCycle, ['phil[0]', 'phil[1]', 'phil[2]']);
  t.regex(blockedText(report, false), /phil\[0\] at HasLeft waits for fork\[1\], held by phil\[1\]\n/);
  t.regex(blockedText(report, false), /wait-for cycle: phil\[0\] → phil\[1\] → phil\[2\] → phil\[0\]\n$/);
});

test('an array of locks that two groups take: the lock waited for is the one the guard read, not an element of the other group\'s owners it never read', (t) => {
  // resv[0] and resv[1] taken by two exec contexts in opposite orders; the evictor group E never holds one.
  const resv = spinlock('resv', ['X', 'E'], { count: 2 });
  const m = defineModel({
    name: 'resv-abba',
    blocks: [resv],
    threads: [
      replicate(2, 'X', {
        start: 'l1',
        end: ['done'],
        steps: {
          l1: { ...resv.lock('X', 'me.id'), next: 'l2' },
          l2: { ...resv.lock('X', '1 - me.id'), next: 'rel' },
          rel: { ...combine(resv.unlock('X', '0'), resv.unlock('X', '1')), next: 'done' },
        },
      }),
      thread('E', { start: 'evict', end: ['done'], steps: { ...resv.trylock('E', { at: 'evict', ok: 'rel', busy: 'done' }, '0'), rel: { ...resv.unlock('E', '0'), next: 'done' } } }),
    ],
  });
  const { report } = explain(m);
  t.deepEqual(report.blocked.map((x) => [x.thread, x.lock, x.heldBy]), [['X[0]', 'resv[1]', 'X[1]'], ['X[1]', 'resv[0]', 'X[0]']]);
  // The guard stopped at the exec owner: the evictor's owners were not read.
  t.deepEqual(report.blocked[0]!.waitsFor[0]!.reads, { 'resv_X[1]': 1 });
  t.deepEqual(report.waitCycle, ['X[0]', 'X[1]']);
});

test('a guard that reads a free lock and a held one waits for the held one', (t) => {
  const a = spinlock('a', ['t']);
  const b = spinlock('b', ['u']);
  const m = defineModel({
    name: 'both-free',
    blocks: [a, b],
    threads: [
      thread('u', { start: 'lb', end: ['done'], labels: ['stay'], steps: { lb: { ...b.lock('u'), next: 'stay' } } }),
      thread('t', { start: 'both', end: ['done'], steps: { both: { when: (s) => s.a === -1 && s.b === -1, then: (s) => { s.a = 0; }, next: 'done' } } }),
    ],
  });
  const { report } = explain(m);
  const tb = report.blocked.find((x) => x.thread === 't')!;
  t.deepEqual([tb.lock, tb.heldBy], ['b', 'u']);
});

test('a thread at an end label whose step waits for a lock another blocked thread holds is listed, marked atEnd; an idle one waiting on a flag is not', (t) => {
  // The invalidation callback holds the driver lock while it waits for the job's fence; the completion worker, idle
  // at its end label, needs that lock before it signals the fence.
  const nl = spinlock('nl', ['inv', 'worker']);
  const m = defineModel({
    name: 'fence-under-lock',
    blocks: [nl],
    shared: { job: bool(true) },
    threads: [
      thread('inv', { start: 'lock', end: ['done'], steps: { lock: { ...nl.lock('inv'), next: 'wait' }, wait: { ...combine({ when: (s) => !s.job }, nl.unlock('inv')), next: 'done' } } }),
      thread('worker', {
        start: 'idle',
        end: ['idle', 'done'],
        steps: { idle: { ...combine(nl.lock('worker'), { when: (s) => s.job }), next: 'signal' }, signal: { ...combine({ then: (s) => { s.job = false; } }, nl.unlock('worker')), next: 'done' } },
      }),
    ],
  });
  const { trace, report } = explain(m);
  t.deepEqual(report.blocked.map((x) => [x.thread, x.label, x.lock, x.heldBy, x.atEnd]), [['inv', 'wait', undefined, undefined, undefined], ['worker', 'idle', 'nl', 'inv', true]]);
  t.regex(blockedText(report, false), /worker at idle \(an end label: it may stop there, but\) waits for nl, held by inv\n/);
  t.regex(renderHtml(trace, { blocked: report }), /<b>worker<\/b> at <code>idle<\/code> \(an end label: it may stop there, but\) waits for <code>nl<\/code>/);
  // A guard that reads no declared lock keeps an idle thread out of the report, as before.
  const plain = defineModel({
    name: 'idle-flag',
    shared: { go: bool(), x: bool() },
    threads: [
      thread('a', { start: 'wait', end: ['done'], steps: { wait: { when: (s) => s.x, next: 'done' } } }),
      thread('w', { start: 'idle', end: ['idle', 'done'], steps: { idle: { when: (s) => s.go, then: (s) => { s.x = true; }, next: 'done' } } }),
    ],
  });
  t.deepEqual(explain(plain).report.blocked.map((x) => x.thread), ['a']);
});

test('ABBA on two mutexes: the wait-for cycle, with the guard values and the locks', (t) => {
  const a = spinlock('a', ['t', 'u']);
  const b = spinlock('b', ['t', 'u']);
  const m = defineModel({
    name: 'abba',
    blocks: [a, b],
    threads: [
      thread('t', { start: 'la', end: ['done'], steps: { la: { ...a.lock('t'), next: 'lb' }, lb: { ...b.lock('t'), next: 'rel' }, rel: { ...combine(b.unlock('t'), a.unlock('t')), next: 'done' } } }),
      thread('u', { start: 'lb', end: ['done'], steps: { lb: { ...b.lock('u'), next: 'la' }, la: { ...a.lock('u'), next: 'rel' }, rel: { ...combine(a.unlock('u'), b.unlock('u')), next: 'done' } } }),
    ],
  });
  const { report } = explain(m);
  t.deepEqual(report.blocked.map((x) => [x.thread, x.label, x.lock, x.heldBy]), [['t', 'lb', 'b', 'u'], ['u', 'la', 'a', 't']]);
  t.deepEqual(report.blocked[0]!.waitsFor[0]!.reads, { b_t: -1, b_u: 0 });
  t.deepEqual(report.waitCycle, ['t', 'u']);
});

test('a livelock: the thread blocked throughout the cycle is explained; threads that move are not', (t) => {
  const m = defineModel({
    name: 'blocked-in-livelock',
    shared: { flag: bool(), x: int(0, 1) },
    threads: [
      thread('waiter', { start: 'wait', end: ['done'], progress: ['done'], steps: { wait: { when: (s) => s.flag, next: 'done' } } }),
      thread('spin', { start: 'a', steps: { a: { then: (s) => { s.x = 1 - s.x; }, next: 'a' } } }),
    ],
  });
  const { trace, report } = explain(m);
  t.is(trace.property.kind, 'livelock');
  t.deepEqual(report.blocked.map((b) => [b.thread, b.label, b.waitsFor.map((w) => [w.step, w.reads])]), [['waiter', 'wait', [['wait', { flag: false }]]]]);
  t.is(report.waitCycle, undefined);
  t.regex(blockedText(report, true), /^blocked throughout the cycle:\n {2}waiter at wait\n/);
});

/** A model whose lock is declared, and whose boolean named like a lock is a one-way flag: the guess draws a bar for it, the declaration does not. */
function misnamedModelFile(dir: string): string {
  const file = join(dir, 'misnamed.ts');
  writeFileSync(
    file,
    `import { defineModel, replicate, spinlock, combine, bool } from ${INDEX};
const ptl = spinlock('ptl', ['t']);
export default defineModel({
  name: 'misnamed',
  shared: { locked: bool() },
  blocks: [ptl],
  threads: [replicate(2, 't', { start: 'a', end: ['done'], steps: {
    a: { ...ptl.lock('t'), next: 'b' },
    b: { ...combine(ptl.unlock('t'), { then: (s) => { s.locked = true; } }), next: 'c' },
    c: { next: 'done' },
  } })],
  invariants: { 'not-locked-twice': (s) => !(s.locked && s.at('t', 0) === 'done' && s.at('t', 1) === 'done') },
});
`,
  );
  return file;
}

test('declared locks drive the HTML lock bars; the name heuristic only serves models that declare none', async (t) => {
  const dir = tmp();
  const model = misnamedModelFile(dir);
  const trace = join(dir, 'misnamed.json');
  const r = await cli(['check', model, '--trace-out', trace]);
  t.is(r.code, 1, r.out + r.err);
  const declared = await cli(['show', trace, '--model', model, '--format', 'html']);
  t.is(declared.code, 0, declared.err);
  t.regex(declared.out, /class="lk-h" title="ptl: spinlock declared by the model"/);
  t.notRegex(declared.out, /class="lk-h"[^>]*><span>locked</);
  t.regex(declared.out, /title="ptl held by t\[0\], steps 1–2"/);
  t.regex(declared.out, /Locks as the model declares them/);
  // Without the model (a trace never loads the file it names) the page falls back to the guess, which takes the flag for a lock.
  const guessed = await cli(['show', trace, '--format', 'html']);
  t.regex(guessed.out, /class="lk-h"[^>]*><span>locked</);
  t.regex(guessed.out, /Lock-like \(a guess from the trace\)/);
  // The same through the API.
  const tf = JSON.parse(readFileSync(trace, 'utf8'));
  t.notRegex(renderHtml(tf, { locks: buildModel((await import(model)).default, null).locks }), /<span>locked</);
});

test('check, replay and show print the blocked threads (text, JSON, Markdown, HTML)', async (t) => {
  const dir = tmp();
  const trace = join(dir, 'dining.json');
  const c = await cli(['check', 'dining', '-p', 'n=3', '--trace-out', trace]);
  t.is(c.code, 1);
  t.regex(c.out, /blocked threads:\n {2}phil\[0\] at HasLeft waits for fork\[1\], held by phil\[1\]\n {4}take_right: .*fork\.get.* {3}reads fork\[1\]=true\n/);
  t.regex(c.out, /wait-for cycle: phil\[0\] → phil\[1\] → phil\[2\] → phil\[0\]\n/);
  const j = JSON.parse((await cli(['check', 'dining', '-p', 'n=3', '--no-trace', '--json'])).out);
  t.deepEqual(j.violation.waitCycle, ['phil[0]', 'phil[1]', 'phil[2]']);
  t.deepEqual(Object.keys(j.violation.blocked[0]).sort(), ['heldBy', 'label', 'lock', 'thread', 'waitsFor']);
  t.deepEqual(j.violation.blocked[2].waitsFor[0].reads, { 'fork[0]': true });
  t.is(j.violation.blocked[2].waitsFor[0].step, 'take_right');
  const rp = await cli(['replay', trace]);
  t.is(rp.code, 0);
  t.regex(rp.out, /reproduced: .*\nblocked threads:\n/);
  const rj = JSON.parse((await cli(['replay', trace, '--json'])).out);
  t.deepEqual(rj.waitCycle, ['phil[0]', 'phil[1]', 'phil[2]']);
  const shown = await cli(['show', trace]);
  t.regex(shown.out, /\n\nblocked threads:\n {2}phil\[0\]/);
  const md = await cli(['show', trace, '--format', 'markdown']);
  t.regex(md.out, /```\nblocked threads:\n[\s\S]*wait-for cycle: [^\n]*\n```\n$/);
  const html = await cli(['show', trace, '--format', 'html']);
  t.regex(html.out, /<div class="blocked" id="blocked"><p>Blocked threads:<\/p><ul><li><b>phil\[0\]<\/b> at <code>HasLeft<\/code> waits for <code>fork\[1\]<\/code>, held by <b>phil\[1\]<\/b>/);
  t.regex(html.out, /wait-for cycle: <b>phil\[0\]<\/b> → <b>phil\[1\]<\/b> → <b>phil\[2\]<\/b> → <b>phil\[0\]<\/b>/);
  // A violation that is not a deadlock or livelock has nothing to explain.
  const inv = await cli(['check', 'examples/lock.ts', '--variant', 'test-then-set', '--no-trace', '--json']);
  t.is(JSON.parse(inv.out).violation.blocked, undefined);
});

test('the put-and-wait example: the waiter sleeps on the page queue that nobody will wake', async (t) => {
  const r = await cli(['check', 'examples/put-and-wait.ts', '--variant', 'clear-non-atomic', '--no-trace', '--json']);
  const j = JSON.parse(r.out);
  t.is(j.violation.kind, 'deadlock');
  t.deepEqual(j.violation.blocked, [
    {
      thread: 'waiter',
      label: 'wait_sleep',
      waitsFor: [{ step: 'wait_sleep', guard: 'folio_put_wait_locked(page): woken: !s.page_wq_waiter.get(me.id)', reads: { 'page_wq_waiter[0]': true } }],
      lock: 'page',
    },
  ]);
  const ok = await cli(['check', 'examples/put-and-wait.ts', '--variant', 'unlock-wakes', '--no-trace']);
  t.is(ok.code, 0);
});

test('a thread kept off its CPU waits for the thread that keeps the CPU (onCpus, no preemption)', async (t) => {
  const { onCpus } = await import('../src/index.ts');
  const m = defineModel({
    name: 'cpu-stuck',
    shared: { flag: bool() },
    threads: onCpus({ spinner: { cpu: 0, preempt: 'none' }, setter: { cpu: 0, preempt: 'none' } }, [
      thread('spinner', { start: 'a', end: ['done'], steps: { a: { next: 'spin' }, spin: { when: (s) => s.flag, next: 'done' } } }),
      thread('setter', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.flag = true; }, next: 'done' } } }),
    ]),
  });
  const { report } = explain(m);
  const [spinner, setter] = report.blocked;
  t.is(spinner!.thread, 'spinner');
  t.deepEqual(spinner!.waitsFor.map((w) => [w.step, w.reads]), [['spin', { flag: false }]]);
  t.deepEqual([setter!.thread, setter!.label, setter!.lock, setter!.heldBy], ['setter', 'a', 'cpu0', 'spinner']);
  t.regex(setter!.waitsFor[0]!.guard, /^cpu0 free for setter: /);
  t.deepEqual(setter!.waitsFor[0]!.reads, { 'spinner.at': 'spin' });
});

test('a writer blocked by readers that never leave: the rwsem is held by sharing holders', async (t) => {
  const { rwsem } = await import('../src/index.ts');
  const sem = rwsem('mmap', { writers: ['w'], maxReaders: 1 });
  const m = defineModel({
    name: 'rwsem-stuck',
    blocks: [sem],
    threads: [
      thread('r', { start: 'a', end: ['done'], steps: { a: { ...sem.downRead(), next: 'b' }, b: { when: (s) => s.mmap !== -1, next: 'done' } } }),
      thread('w', { start: 'a', end: ['done'], steps: { a: { ...sem.downWrite('w'), next: 'b' }, b: { ...sem.upWrite('w'), next: 'done' } } }),
    ],
  });
  const { report } = explain(m);
  const w = report.blocked.find((b) => b.thread === 'w')!;
  t.deepEqual([w.lock, w.heldBy, w.sharedHolders, w.sharedBy], ['mmap', 'r', 1, ['r']]);
  t.regex(blockedText(report, false), /w at a waits for mmap, held by 1 sharing holder \(r\)\n/);
});

test('a reader that takes an rwsem again behind a waiting writer (the mmap_lock recursion): the read hold is named, its own, and the wait-for cycle closes', async (t) => {
  const { rwsem } = await import('../src/index.ts');
  const mm = rwsem('mm', { writers: ['w'], maxReaders: 2, writerPriority: { maxWriters: 1 } });
  const m = defineModel({
    name: 'recur',
    blocks: [mm],
    threads: [
      thread('fault', { start: 'r1', end: ['done'], steps: { r1: { ...mm.downRead(), next: 'r2' }, r2: { ...mm.downRead(), next: 'u2' }, u2: { ...mm.upRead(), next: 'u1' }, u1: { ...mm.upRead(), next: 'done' } } }),
      thread('w', { start: 'take', end: ['done'], steps: { ...mm.downWriteSteps('w', { at: 'take', next: 'drop' }), drop: { ...mm.upWrite('w'), next: 'done' } } }),
    ],
  });
  const { report } = explain(m);
  t.deepEqual(report.blocked.map((b) => [b.thread, b.lock, b.heldBy, b.sharedBy]), [['fault', 'mm', 'fault', ['fault']], ['w', 'mm', 'fault', ['fault']]]);
  t.regex(blockedText(report, false), /fault at r2 waits for mm, held by 1 sharing holder \(fault\)\n/);
  t.deepEqual(report.waitCycle, ['fault']);
});

test('device-exclusive: the folio lock is the declared lock bar (held by C[i], R or D), the notifier flags and the refcount are not; the leaked lock deadlocks with D as its holder', async (t) => {
  const { builtinModels } = await import('../models/index.ts');
  const de = builtinModels.find((m) => m.name === 'device-exclusive')!;
  const bars = (page: string) => [...page.matchAll(/class="lk-h"[^>]*><span>([^<]*)</g)].map((m) => m[1]);
  // A CPU fault and the migration take the lock in turn (no-ref-on-restore, two CPU faults and a migration).
  const uaf = explain(de, 'no-ref-on-restore');
  const page = renderHtml(uaf.trace, { locks: buildModel(de, 'no-ref-on-restore').locks });
  t.deepEqual(bars(page), ['pLock']);
  t.regex(page, /class="lk-h" title="pLock: mutex declared by the model"/);
  t.regex(page, /title="pLock held by C\[\d\], steps \d+–\d+"/);
  t.regex(page, /title="pLock held by R, steps \d+–\d+"/);
  // The leaked lock: D's next GUP faults on its own device-exclusive entry and waits in folio_lock for the lock it holds.
  const leak = explain(de, 'leak-lock-on-retry', { omitInvariant: 'page-lock-not-leaked' });
  t.is(leak.trace.property.kind, 'deadlock');
  t.deepEqual(leak.report.blocked.map((b) => [b.thread, b.label, b.lock, b.heldBy]), [['D', 'f_lock', 'pLock', 'D']]);
  t.deepEqual(leak.report.waitCycle, ['D']);
  const leakPage = renderHtml(leak.trace, { locks: buildModel(de, 'leak-lock-on-retry', { omitInvariant: 'page-lock-not-leaked' }).locks, blocked: leak.report });
  t.deepEqual(bars(leakPage), ['pLock']);
  t.regex(leakPage, /title="pLock held by D, steps \d+–\d+ and after"/);
  for (const v of ['seqDirty', 'mniHit', 'pRef', 'invActive']) t.notRegex(leakPage, new RegExp(`class="lk-h"[^>]*><span>${v}<`));
  // With the timeout, nouveau returns -EBUSY still holding the lock: the CPU fault waits for it, held by D (finished).
  const timedOut = explain(de, 'leak-lock-on-retry', { omitInvariant: 'page-lock-not-leaked', timeout: 1 });
  t.deepEqual(timedOut.report.blocked.map((b) => [b.thread, b.label, b.lock, b.heldBy]), [['C[0]', 'f_lock', 'pLock', 'D']]);
  t.regex(blockedText(timedOut.report, false), /^ {2}C\[0\] at f_lock waits for pLock, held by D\n/m);
});
