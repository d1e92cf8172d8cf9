import test, { type ExecutionContext } from 'ava';
import {
  array,
  bool,
  buildModel,
  check,
  combine,
  completion,
  defineModel,
  waitQueue,
  int,
  intervalNotifier,
  intervalSubscriptions,
  mutex,
  onCpus,
  pageLock,
  refcount,
  replicate,
  rwsem,
  search,
  spinlock,
  thread,
  threadId,
  workqueue,
  wwMutex,
  type Model,
} from '../src/index.ts';
import { stepFootprint } from '../src/reduce/footprint.ts';
import { asymmetryReason } from '../src/reduce/symmetry.ts';
import { referenceExplore } from './helpers/reference.ts';
import { isMcError } from '../src/model/errors.ts';
import { lockInstances } from '../src/model/blocks/block.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { buildTrace } from '../src/trace/build.ts';
import { explainBlocked } from '../src/trace/blocked.ts';

/**
 * Each building block against the same model written by hand: the same
 * states, transitions and verdicts (full search, without deadlocks, with
 * POR, with symmetry), the same footprint for every step (so POR and
 * symmetry see through the blocks), and the reference checker's count.
 */
function sameAs(t: ExecutionContext, blocks: Model, hand: Model, variants: (string | null)[] = [null]) {
  for (const v of variants) {
    const a = buildModel(blocks, v);
    const b = buildModel(hand, v);
    const at = `${blocks.name}${v ? `/${v}` : ''}`;
    for (const opts of [{}, { deadlock: false, liveness: false }, { por: true, liveness: false }, { por: true, deadlock: false, liveness: false }]) {
      const ra = search(a, opts);
      const rb = search(b, opts);
      t.deepEqual(
        [ra.verdict, ra.violation?.kind, ra.violation?.steps.length, ra.stats.states, ra.stats.transitions],
        [rb.verdict, rb.violation?.kind, rb.violation?.steps.length, rb.stats.states, rb.stats.transitions],
        `${at} ${JSON.stringify(opts)}`,
      );
    }
    const ref = referenceExplore(a, { deadlock: false });
    const full = search(b, { deadlock: false, liveness: false });
    // The reference explores everything; the engine stops at the first invariant violation.
    if (full.verdict === 'pass') t.deepEqual([ref.states, ref.transitions], [full.stats.states, full.stats.transitions], `${at}: reference`);
    else t.true(ref.violations.size > 0, `${at}: the reference finds the violation too`);
    a.templates.forEach((tpl, ti) => {
      const hb = b.templates[ti]!;
      for (const st of tpl.steps) {
        const hs = hb.steps.find((x) => x.name === st.name);
        t.truthy(hs, `${at}: hand model has step ${tpl.name}.${st.name}`);
        const fa = stepFootprint(a, st);
        const fb = stepFootprint(b, hs!);
        t.false(fa.unknown, `${at} ${tpl.name}.${st.name}: ${fa.why}`);
        t.deepEqual([[...fa.reads].sort(), [...fa.writes].sort(), fa.asserts], [[...fb.reads].sort(), [...fb.writes].sort(), fb.asserts], `${at} ${tpl.name}.${st.name} footprint`);
      }
      if (tpl.replicated && tpl.count >= 2) {
        t.is(asymmetryReason(a, tpl.name), asymmetryReason(b, tpl.name), `${at}: symmetry of ${tpl.name}`);
        if (asymmetryReason(a, tpl.name) === '') {
          const sa = search(a, { symmetry: true, liveness: false, deadlock: false });
          const sb = search(b, { symmetry: true, liveness: false, deadlock: false });
          t.deepEqual([sa.stats.states, sa.stats.transitions], [sb.stats.states, sb.stats.transitions], `${at}: symmetry counts`);
        }
      }
    });
  }
}

test('spinlock and mutex (owner ids, trylock) = the hand-written locks', (t) => {
  const ptl = spinlock('ptl', ['fault', 'mig']);
  const m = mutex('m', ['fault']);
  const blocks = defineModel({
    name: 'locks',
    shared: { x: int(0, 3) },
    blocks: [ptl, m],
    threads: [
      replicate(2, 'fault', {
        labels: ['c'], start: 'a',
        end: ['done'],
        steps: {
          a: { ...ptl.lock('fault'), next: 'b' },
          b: { ...combine(ptl.unlock('fault'), { then: (s) => { s.x = s.x + 1; } }), next: 'c' },
          ...m.trylock('fault', { at: 'c', ok: 'd', busy: 'done' }),
          d: { ...combine(m.held('fault'), m.unlock('fault')), next: 'done' },
        },
      }),
      thread('mig', { start: 'a', end: ['done'], steps: { a: { ...ptl.lock('mig'), next: 'b' }, b: { ...combine(ptl.isLocked(), ptl.unlock('mig')), next: 'done' } } }),
    ],
  });
  const hand = defineModel({
    name: 'locks-hand',
    shared: { x: int(0, 3), ptl_fault: threadId('fault', { none: true }), ptl_mig: threadId('mig', { none: true }), m: threadId('fault', { none: true }) },
    threads: [
      replicate(2, 'fault', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.ptl_fault === -1 && s.ptl_mig === -1, then: (s, me) => { s.ptl_fault = me.id; }, next: 'b' },
          b: { then: (s) => { s.ptl_fault = -1; s.x = s.x + 1; }, next: 'c' },
          c: { when: (s) => s.m === -1, then: (s, me) => { s.m = me.id; }, next: 'd' },
          c_busy: { at: 'c', when: (s) => !(s.m === -1), next: 'done' },
          d: { when: (s, me) => s.m === me.id, then: (s) => { s.m = -1; }, next: 'done' },
        },
      }),
      thread('mig', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.ptl_fault === -1 && s.ptl_mig === -1, then: (s, me) => { s.ptl_mig = me.id; }, next: 'b' },
          b: { when: (s) => s.ptl_fault !== -1 || s.ptl_mig !== -1, then: (s) => { s.ptl_mig = -1; }, next: 'done' },
        },
      }),
    ],
  });
  sameAs(t, blocks, hand);
  t.deepEqual(buildModel(blocks, null).locks.map((l) => [l.name, l.kind, l.owners.map((o) => o.var)]), [['ptl', 'spinlock', ['ptl_fault', 'ptl_mig']], ['m', 'mutex', ['m']]]);
});

test('an array of spinlocks (dining with owners) = the hand-written one, and its deadlock names the holders', (t) => {
  const fork = spinlock('fork', ['phil'], { count: 3 });
  const blocks = defineModel({
    name: 'dining-blocks',
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
  const hand = defineModel({
    name: 'dining-hand',
    shared: { fork: array(3, threadId('phil', { none: true })) },
    threads: [
      replicate(3, 'phil', {
        start: 'Think',
        steps: {
          take_left: { at: 'Think', when: (s, me) => s.fork.get(me.id) === -1, then: (s, me) => s.fork.set(me.id, me.id), next: 'HasLeft' },
          take_right: { at: 'HasLeft', when: (s, me) => s.fork.get((me.id + 1) % 3) === -1, then: (s, me) => s.fork.set((me.id + 1) % 3, me.id), next: 'Eat' },
          put: { at: 'Eat', then: (s, me) => { s.fork.set(me.id, -1); s.fork.set((me.id + 1) % 3, -1); }, next: 'Think' },
        },
      }),
    ],
  });
  sameAs(t, blocks, hand);
  t.is(search(buildModel(blocks, null), {}).violation?.kind, 'deadlock');
});

test('rwsem with waiting writers blocking new readers while readers hold it (a free lock is stolen) = the hand-written one', (t) => {
  const sem = rwsem('mmap', { writers: ['w'], maxReaders: 3, writerPriority: { maxWriters: 1 } });
  const blocks = defineModel({
    name: 'rwsem',
    blocks: [sem],
    threads: [
      replicate(2, 'r', { start: 'a', end: ['done'], steps: { a: { ...sem.downRead(), next: 'b' }, b: { ...sem.upRead(), next: 'done' } } }),
      thread('w', {
        labels: ['a'], start: 'a',
        end: ['done'],
        steps: { ...sem.downWriteSteps('w', { at: 'a', next: 'b' }), b: { ...sem.downgrade('w'), next: 'c' }, c: { ...sem.upRead(), next: 'done' } },
      }),
    ],
  });
  const hand = defineModel({
    name: 'rwsem-hand',
    shared: { mmap: threadId('w', { none: true }), mmap_readers: int(0, 3), mmap_wwait: int(0, 1) },
    threads: [
      replicate(2, 'r', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.mmap === -1 && (s.mmap_wwait === 0 || s.mmap_readers === 0), then: (s) => { s.mmap_readers = s.mmap_readers + 1; }, next: 'b' },
          b: { then: (s) => { s.mmap_readers = s.mmap_readers - 1; }, next: 'done' },
        },
      }),
      thread('w', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { then: (s) => { s.mmap_wwait = s.mmap_wwait + 1; }, next: 'a_wait' },
          a_wait: { when: (s) => s.mmap === -1 && s.mmap_readers === 0, then: (s, me) => { s.mmap_wwait = s.mmap_wwait - 1; s.mmap = me.id; }, next: 'b' },
          b: { then: (s) => { s.mmap = -1; s.mmap_readers = s.mmap_readers + 1; }, next: 'c' },
          c: { then: (s) => { s.mmap_readers = s.mmap_readers - 1; }, next: 'done' },
        },
      }),
    ],
  });
  sameAs(t, blocks, hand);
});

test('rwsem with writerPriority: a reader takes a lock no one holds although a writer waits (rwsem_down_read_slowpath steals it), so a reader that waits for the writer deadlocks', (t) => {
  // a holds the write lock, b waits behind it; after a's up_write, r takes the free lock before b and then waits for what b does under it.
  const sem = rwsem('sem', { writers: ['a', 'b'], maxReaders: 1, writerPriority: { maxWriters: 2 } });
  const m = defineModel({
    name: 'rwsem-steal',
    blocks: [sem],
    shared: { x: bool() },
    threads: [
      thread('a', { labels: ['lock'], start: 'lock', end: ['done'], steps: { ...sem.downWriteSteps('a', { at: 'lock', next: 'held' }), held: { ...combine({ when: (s) => s.sem_wwait > 0 }, sem.upWrite('a')), next: 'done' } } }),
      thread('b', {
        labels: ['lock'],
        start: 'pre',
        end: ['done'],
        steps: { pre: { when: (s) => s.sem_a !== -1, next: 'lock' }, ...sem.downWriteSteps('b', { at: 'lock', next: 'set' }), set: { then: (s) => { s.x = true; }, next: 'up' }, up: { ...sem.upWrite('b'), next: 'done' } },
      }),
      thread('r', {
        start: 'pre',
        end: ['done'],
        steps: { pre: { when: (s) => s.at('b') !== 'pre' && s.at('b') !== 'lock', next: 'lock' }, lock: { ...sem.downRead(), next: 'wait' }, wait: { when: (s) => s.x, next: 'up' }, up: { ...sem.upRead(), next: 'done' } },
      }),
    ],
  });
  const r = search(buildModel(m, null), {});
  t.is(r.verdict, 'violation');
  t.is(r.violation?.kind, 'deadlock');
  t.is(r.violation?.steps.length, 7);
});

/** Two lockers of the page and a reclaimer that either unlocks properly or clears the bit without a wake-up. */
function pageModels() {
  const pg = pageLock('page', { locker: 2, reclaim: 1 });
  const variants = { wake: 'folio_unlock', 'no-wake': '__folio_clear_locked' };
  const blocks = defineModel({
    name: 'page-lock',
    variants,
    blocks: [pg],
    threads: (_p, v) => [
      replicate(2, 'locker', { labels: ['a'], start: 'a', end: ['done'], steps: { ...pg.lock('locker', { at: 'a', next: 'b' }), b: { ...pg.unlock('locker'), next: 'done' } } }),
      thread('reclaim', { labels: ['a'], start: 'a', end: ['done'], steps: { ...pg.lock('reclaim', { at: 'a', next: 'b' }), b: { ...(v === 'wake' ? pg.unlock('reclaim') : pg.clearNonAtomic('reclaim')), next: 'done' } } }),
    ],
  });
  const hand = defineModel({
    name: 'page-lock-hand',
    variants,
    shared: {
      page_locker: threadId('locker', { none: true }),
      page_reclaim: threadId('reclaim', { none: true }),
      page_waiters: bool(),
      page_wq_locker: array(2, bool()).indexedBy('locker'),
      page_wq_reclaim: array(1, bool()).indexedBy('reclaim'),
    },
    threads: (_p, v) => [
      replicate(2, 'locker', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.page_locker === -1 && s.page_reclaim === -1, then: (s, me) => { s.page_locker = me.id; }, next: 'b' },
          a_wait: { at: 'a', when: (s) => s.page_locker !== -1 || s.page_reclaim !== -1, then: (s, me) => { s.page_wq_locker.set(me.id, true); s.page_waiters = true; }, next: 'a_sleep' },
          a_sleep: { when: (s, me) => !s.page_wq_locker.get(me.id), next: 'a' },
          b: { then: (s) => { s.page_locker = -1; if (s.page_waiters) { s.page_waiters = false; s.page_wq_locker.fill(false); s.page_wq_reclaim.fill(false); } }, next: 'done' },
        },
      }),
      thread('reclaim', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.page_locker === -1 && s.page_reclaim === -1, then: (s, me) => { s.page_reclaim = me.id; }, next: 'b' },
          a_wait: { at: 'a', when: (s) => s.page_locker !== -1 || s.page_reclaim !== -1, then: (s, me) => { s.page_wq_reclaim.set(me.id, true); s.page_waiters = true; }, next: 'a_sleep' },
          a_sleep: { when: (s, me) => !s.page_wq_reclaim.get(me.id), next: 'a' },
          b:
            v === 'wake'
              ? { then: (s) => { s.page_reclaim = -1; if (s.page_waiters) { s.page_waiters = false; s.page_wq_locker.fill(false); s.page_wq_reclaim.fill(false); } }, next: 'done' }
              : { then: (s) => { s.page_reclaim = -1; }, next: 'done' },
        },
      }),
    ],
  });
  return { blocks, hand };
}

test('page lock with PG_waiters: folio_unlock wakes, __folio_clear_locked loses the wake-up; = the hand-written one', (t) => {
  const { blocks, hand } = pageModels();
  sameAs(t, blocks, hand, ['wake', 'no-wake']);
  t.is(search(buildModel(blocks, 'wake'), {}).verdict, 'pass');
  t.is(search(buildModel(blocks, 'no-wake'), {}).violation?.kind, 'deadlock');
});

/**
 * A waiter woken by an unlock that came before it queued: `a` unlocks, `c`
 * takes the page in the window before `a`'s wake-up, `w` (which starts once
 * `c` holds it) queues, and `a`'s folio_wake_bit() wakes it while `c` still
 * holds the page. `v` sleeps on `a`'s hold, so that PG_waiters is set.
 */
function staleWakeModel(split: boolean) {
  const page = pageLock('page', { a: 1, c: 1, v: 1, w: 1 });
  return defineModel({
    name: split ? 'stale-wake' : 'stale-wake-atomic',
    blocks: [page],
    shared: { x: bool() },
    threads: [
      thread('a', {
        labels: ['lk', 'cs', 'unl'],
        start: 'lk',
        end: ['done'],
        steps: {
          ...page.lock('a', { at: 'lk', next: 'cs' }),
          // a unlocks once v sleeps on the page.
          ...(split ? { cs: { when: (s) => s.page_wq_v.get(0), next: 'unl' }, ...page.unlockSteps('a', { at: 'unl', next: 'done' }) } : { cs: { ...combine({ when: (s) => s.page_wq_v.get(0) }, page.unlock('a')), next: 'done' } }),
        },
      }),
      thread('v', { labels: ['wt'], start: 'pre', end: ['done'], steps: { pre: { when: (s) => s.page_a !== -1, next: 'wt' }, ...page.waitUnlocked('v', { at: 'wt', next: 'done' }) } }),
      thread('c', { labels: ['lk'], start: 'lk', end: ['done'], steps: { ...page.lock('c', { at: 'lk', next: 'set' }), set: { then: (s) => { s.x = true; }, next: 'ul' }, ul: { ...page.unlock('c'), next: 'done' } } }),
      thread('w', {
        labels: ['wt'],
        start: 'pre',
        end: ['done'],
        steps: { pre: { when: (s) => s.at('c') === 'set' || s.at('c') === 'ul' || s.at('c') === 'done', next: 'wt' }, ...page.waitUnlocked('w', { at: 'wt', next: 'done' }) },
      }),
    ],
    invariants: { 'w-returns-after-c': (s) => s.at('w') !== 'done' || s.x },
  });
}

test("pageLock.unlockSteps: folio_unlock's clear and wake-up are two steps, so a waiter that queued on the page locked again in between is woken by the first unlock and returns while the page is held (unlock() in one step leaves that run out)", (t) => {
  const b = buildModel(staleWakeModel(true), null);
  const split = search(b, {});
  t.is(split.violation?.kind, 'invariant');
  t.is(split.violation?.property, 'w-returns-after-c');
  const steps = buildTrace(new Runtime(b), split.violation!, {}).steps.map((st) => `${st.thread}.${st.step}`);
  // a clears the bit, c takes the page, w queues on it, a's wake-up wakes w.
  t.true(steps.indexOf('a.unl_waiters') < steps.indexOf('c.lk') && steps.indexOf('c.lk') < steps.indexOf('w.wt_wait') && steps.indexOf('w.wt_wait') < steps.indexOf('a.unl_wake'), steps.join(' '));
  t.is(search(buildModel(staleWakeModel(false), null), {}).verdict, 'pass');
  // Without waiters the unlock is one step; without a wait queue there is only the clear.
  const pg = pageLock('p', { t: 1 }, { waitQueue: false });
  t.deepEqual(Object.keys(pg.unlockSteps('t', { at: 'u', next: 'd' })), ['u']);
  t.deepEqual(Object.keys(pageLock('p', { t: 1 }).unlockSteps('t', { at: 'u', next: 'd' })), ['u', 'u_waiters', 'u_wake']);
});

/**
 * The page lock with the holder kept in the holder's locals ({ holder: 'local' }),
 * and the parts migration_entry_wait_on_locked is made of: two faulters lock the
 * page with a trylock inside a larger step (trylockOk) or queue on it under the
 * same step if it is locked (queueIfLocked, then queued / woken).
 */
function localPageModels() {
  const pg = pageLock('page', { fault: 2, reclaim: 1 }, { holder: 'local' });
  const blocks = defineModel({
    name: 'page-lock-local',
    blocks: [pg],
    shared: { pte: bool() },
    threads: [
      replicate(2, 'fault', {
        locals: { ...pg.holderLocal },
        start: 'a',
        end: ['done'],
        steps: {
          a: { ...combine({ when: (s) => !s.pte }, pg.trylockOk('fault'), { then: (s) => { s.pte = true; } }), next: 'b' },
          a_queue: { at: 'a', ...combine({ when: (s) => s.pte }, pg.queueIfLocked('fault')), next: (s, me) => (s.page_wq_fault.get(me.id) ? 'sleep' : 'done') },
          sleep: { ...pg.woken('fault'), next: 'done' },
          b: { ...combine(pg.held('fault'), pg.unlock('fault')), next: 'done' },
        },
      }),
      thread('reclaim', { locals: { ...pg.holderLocal }, labels: ['a'], start: 'a', end: ['done'], steps: { ...pg.trylock('reclaim', { at: 'a', ok: 'b', busy: 'done' }), b: { ...pg.clearNonAtomic('reclaim'), next: 'done' } } }),
    ],
  });
  const hand = defineModel({
    name: 'page-lock-local-hand',
    shared: { pte: bool(), page_locked: bool(), page_waiters: bool(), page_wq_fault: array(2, bool()).indexedBy('fault'), page_wq_reclaim: array(1, bool()).indexedBy('reclaim') },
    threads: [
      replicate(2, 'fault', {
        locals: { page_held: bool() },
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => !s.pte && !s.page_locked, then: (s, me) => { s.page_locked = true; me.page_held = true; s.pte = true; }, next: 'b' },
          a_queue: { at: 'a', when: (s) => s.pte, then: (s, me) => { if (s.page_locked) { s.page_wq_fault.set(me.id, true); s.page_waiters = true; } }, next: (s, me) => (s.page_wq_fault.get(me.id) ? 'sleep' : 'done') },
          sleep: { when: (s, me) => !s.page_wq_fault.get(me.id), next: 'done' },
          b: { when: (_s, me) => me.page_held, then: (s, me) => { s.page_locked = false; me.page_held = false; if (s.page_waiters) { s.page_waiters = false; s.page_wq_fault.fill(false); s.page_wq_reclaim.fill(false); } }, next: 'done' },
        },
      }),
      thread('reclaim', {
        locals: { page_held: bool() },
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => !s.page_locked, then: (s, me) => { s.page_locked = true; me.page_held = true; }, next: 'b' },
          a_busy: { at: 'a', when: (s) => s.page_locked, next: 'done' },
          b: { then: (s, me) => { s.page_locked = false; me.page_held = false; }, next: 'done' },
        },
      }),
    ],
  });
  return { blocks, hand };
}

test("page lock with the holder in the holder's locals; trylockOk, queueIfLocked, queued, woken = the hand-written one; the holder is named", (t) => {
  const { blocks, hand } = localPageModels();
  sameAs(t, blocks, hand);
  const b = buildModel(blocks);
  t.deepEqual(b.shared.map((v) => v.name).filter((n) => n.startsWith('page')), ['page_locked', 'page_waiters', 'page_wq_fault', 'page_wq_reclaim']);
  t.deepEqual(b.locks[0]!.holderLocals, [{ group: 'fault', local: 'page_held' }, { group: 'reclaim', local: 'page_held' }]);
  t.deepEqual(
    lockInstances(b.locks[0]!, { page_locked: true, 'fault[0].page_held': false, 'fault[1].page_held': true, 'reclaim.page_held': false }, ['fault[0]', 'fault[1]', 'reclaim']).map((l) => l.exclusive),
    [['fault[1]']],
  );
  // A holder local that the group does not declare is a coded model error.
  const pg = pageLock('page', { w: 1 }, { holder: 'local' });
  const bad = defineModel({ name: 'no-local', blocks: [pg], threads: [thread('w', { start: 'a', end: ['done'], steps: { a: { ...pg.lock('w', { at: 'a', next: 'done' }).a! } } })] });
  const e = t.throws(() => buildModel(bad));
  t.true(isMcError(e) && e.code === 'MC177', String(e));
  t.regex(e!.message, /holder local "page_held" must be a bool\(\) local of thread group "w"/);
  t.throws(() => pageLock('page', { w: 1 }, { holder: 'nobody' as never }), { message: /holder must be 'owner' or 'local'/ });
});

test('page lock without a wait queue: folio_lock folded into a guard (lockWhenFree) = the hand-written one; the sleeping operations are refused', (t) => {
  const pg = pageLock('page', { locker: 2, reclaim: 1 }, { waitQueue: false });
  t.deepEqual(Object.keys(pg.shared).sort(), ['page_locker', 'page_reclaim']);
  const blocks = defineModel({
    name: 'page-lock-nq',
    shared: { x: int(0, 3) },
    blocks: [pg],
    threads: [
      replicate(2, 'locker', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { ...combine(pg.lockWhenFree('locker'), { then: (s) => { s.x = s.x + 1; } }), next: 'b' },
          b: { ...combine(pg.held('locker'), pg.unlock('locker')), next: 'done' },
        },
      }),
      thread('reclaim', { labels: ['a'], start: 'a', end: ['done'], steps: { ...pg.trylock('reclaim', { at: 'a', ok: 'b', busy: 'a' }), b: { ...pg.unlock('reclaim'), next: 'done' } } }),
    ],
  });
  const hand = defineModel({
    name: 'page-lock-nq-hand',
    shared: { x: int(0, 3), page_locker: threadId('locker', { none: true }), page_reclaim: threadId('reclaim', { none: true }) },
    threads: [
      replicate(2, 'locker', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.page_locker === -1 && s.page_reclaim === -1, then: (s, me) => { s.page_locker = me.id; s.x = s.x + 1; }, next: 'b' },
          b: { when: (s, me) => s.page_locker === me.id, then: (s) => { s.page_locker = -1; }, next: 'done' },
        },
      }),
      thread('reclaim', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.page_locker === -1 && s.page_reclaim === -1, then: (s, me) => { s.page_reclaim = me.id; }, next: 'b' },
          a_busy: { at: 'a', when: (s) => s.page_locker !== -1 || s.page_reclaim !== -1, next: 'a' },
          b: { then: (s) => { s.page_reclaim = -1; }, next: 'done' },
        },
      }),
    ],
  });
  sameAs(t, blocks, hand);
  for (const f of [() => pg.lock('locker', { at: 'a', next: 'b' }), () => pg.waitUnlocked('locker', { at: 'a', next: 'b' }), () => pg.hasWaiters(), () => pg.queueOf('locker')]) {
    const e = t.throws(f);
    t.true(isMcError(e) && e.code === 'MC186', String(e));
    t.regex(e!.message, /pageLock\("page"\)\.\w+\(\): the lock was made with \{ waitQueue: false \}/);
  }
  const bad = t.throws(() => pageLock('page', { a: 1 }, { waitQueue: 'no' as never }));
  t.true(isMcError(bad) && bad.code === 'MC171');
});

test('refcount (try_get, freeze, unfreeze, expected count) = the hand-written one', (t) => {
  const refs = refcount('refs', { max: 3, init: 1 });
  const blocks = defineModel({
    name: 'refcount',
    blocks: [refs],
    shared: { moved: bool() },
    threads: [
      replicate(2, 'g', { labels: ['a'], start: 'a', end: ['done'], steps: { ...refs.tryGet({ at: 'a', ok: 'b', fail: 'done' }), b: { ...refs.put(), next: 'done' } } }),
      thread('mig', {
        labels: ['a'], start: 'a',
        end: ['done'],
        steps: {
          ...refs.freeze(1, { at: 'a', ok: 'b', fail: 'a' }),
          b: { ...combine(refs.is(0), refs.unfreeze(1), { then: (s) => { s.moved = true; } }), next: 'done' },
        },
      }),
    ],
    invariants: { 'frozen-means-alone': (s) => !s.moved || (s as unknown as { refs: number }).refs >= 1 },
  });
  const hand = defineModel({
    name: 'refcount-hand',
    shared: { moved: bool(), refs: int(0, 3).initially(1) },
    threads: [
      replicate(2, 'g', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.refs !== 0, then: (s) => { s.refs = s.refs + 1; }, next: 'b' },
          a_fail: { at: 'a', when: (s) => s.refs === 0, next: 'done' },
          b: { then: (s) => { s.assert(s.refs !== 0, 'refs-put-at-zero'); s.refs = s.refs - 1; }, next: 'done' },
        },
      }),
      thread('mig', {
        start: 'a',
        end: ['done'],
        steps: {
          a: { when: (s) => s.refs === 1, then: (s) => { s.refs = 0; }, next: 'b' },
          a_fail: { at: 'a', when: (s) => s.refs !== 1, next: 'a' },
          b: { when: (s) => s.refs === 0, then: (s) => { s.assert(s.refs === 0, 'refs-frozen-at-unfreeze'); s.refs = 1; s.moved = true; }, next: 'done' },
        },
      }),
    ],
    invariants: { 'frozen-means-alone': (s) => !s.moved || s.refs >= 1 },
  });
  sameAs(t, blocks, hand);
  // Unfreezing a count that is not frozen (the freeze failed: another thread holds a reference) is page_ref_unfreeze's VM_BUG_ON_PAGE, not an overwrite of that reference.
  const wrong = defineModel({
    name: 'unfreeze-unfrozen',
    blocks: [refs],
    threads: [
      thread('other', { labels: ['get'], start: 'get', end: ['done'], steps: { ...refs.tryGet({ at: 'get', ok: 'done', fail: 'done' }) } }),
      thread('mig', { labels: ['freeze'], start: 'freeze', end: ['done'], steps: { ...refs.freeze(1, { at: 'freeze', ok: 'restore', fail: 'restore' }), restore: { ...refs.unfreeze(1), next: 'done' } } }),
    ],
  });
  const r = search(buildModel(wrong, null), {});
  t.is(r.violation?.kind, 'assertion');
  t.is(r.violation?.property, 'refs-frozen-at-unfreeze');
  t.is(r.violation?.steps.length, 3);
  t.is((t.throws(() => refs.unfreeze(0)) as Error & { code?: string }).code, 'MC171');
  // A get from zero takes a reference to a freed or frozen folio (folio_get's VM_BUG_ON, a use after free without it): an assertion, not a silent resurrection.
  const resurrect = (r: ReturnType<typeof refcount>) => defineModel({
    name: 'get-from-zero',
    blocks: [r],
    threads: [
      thread('freer', { start: 'put', end: ['done'], steps: { put: { ...r.put(), next: 'done' } } }),
      thread('user', { start: 'get', end: ['done'], steps: { get: { ...r.get(), next: 'put' }, put: { ...r.put(), next: 'done' } } }),
    ],
  });
  const z = search(buildModel(resurrect(refcount('refs', { max: 2, init: 1 })), null), {});
  t.is(z.violation?.property, 'refs-get-from-zero');
  t.is(z.violation?.steps.length, 2);
  // A count that legitimately rises from zero (a pin count) says so.
  t.is(search(buildModel(resurrect(refcount('refs', { max: 2, init: 1, getFromZero: true })), null), {}).verdict, 'pass');
  t.is((t.throws(() => refcount('refs', { max: 2, getFromZero: 'yes' as never })) as Error & { code?: string }).code, 'MC171');
  // A put at zero drops a reference nobody holds (a double put: put_page_testzero's VM_BUG_ON_FOLIO): an assertion, not a model error (MC212) that stops the check.
  for (const getFromZero of [false, true]) {
    const twice = defineModel({
      name: 'double-put',
      blocks: [refcount('refs', { max: 2, init: 1, getFromZero })],
      threads: [replicate(2, 'user', { start: 'put', end: ['done'], steps: { put: { ...refcount('refs', { max: 2, init: 1, getFromZero }).put(), next: 'done' } } })],
    });
    const d = search(buildModel(twice, null), {});
    t.is(d.violation?.kind, 'assertion');
    t.is(d.violation?.property, 'refs-put-at-zero');
    t.is(d.violation?.steps.length, 2);
  }
});

test('interval notifier sequence (read_begin, read_retry, set_seq) and completion = the hand-written ones', (t) => {
  const mni = intervalNotifier('mni', { maxSeq: 2 });
  const done = completion('done', { max: 2 });
  const blocks = defineModel({
    name: 'notifier',
    blocks: [mni, done],
    shared: { mapped: bool(), valid: bool().initially(true) },
    threads: [
      thread('dev', {
        locals: { seq: mni.seqLocal() },
        labels: ['check'], start: 'begin',
        end: ['done'],
        steps: {
          begin: { ...mni.readBegin('seq'), next: 'check' },
          ...mni.readRetry('seq', { at: 'check', retry: 'begin', ok: 'map' }),
          map: { ...combine({ then: (s) => { s.mapped = true; } }, done.complete()), next: 'done' },
        },
      }),
      thread('inv', {
        start: 'start',
        end: ['done'],
        steps: {
          start: { ...combine(mni.invalidateStart(), { then: (s) => { s.valid = false; } }), next: 'cb' },
          cb: { ...combine(mni.setSeq(), { then: (s) => { s.mapped = false; } }), next: 'end' },
          end: { ...mni.invalidateEnd(), next: 'wait' },
          wait: { ...done.wait(), next: 'done' },
        },
      }),
    ],
    invariants: { 'no-stale-map': (s) => !s.mapped || s.valid },
  });
  const hand = defineModel({
    name: 'notifier-hand',
    shared: { mapped: bool(), valid: bool().initially(true), mni_seq: int(0, 2), mni_busy: bool(), done_done: int(0, 2), done_all: bool() },
    threads: [
      thread('dev', {
        locals: { seq: int(0, 2) },
        start: 'begin',
        end: ['done'],
        steps: {
          begin: { when: (s) => !s.mni_busy, then: (s, me) => { me.seq = s.mni_seq; }, next: 'check' },
          check: { when: (s, me) => s.mni_seq === me.seq, next: 'map' },
          check_retry: { at: 'check', when: (s, me) => s.mni_seq !== me.seq, next: 'begin' },
          map: { then: (s) => { s.mapped = true; if (!s.done_all) s.done_done = s.done_done + 1; }, next: 'done' },
        },
      }),
      thread('inv', {
        start: 'start',
        end: ['done'],
        steps: {
          start: { then: (s) => { s.mni_busy = true; s.valid = false; }, next: 'cb' },
          cb: { then: (s) => { s.mni_seq = s.mni_seq === 2 ? 0 : s.mni_seq + 1; s.mapped = false; }, next: 'end' },
          end: { then: (s) => { s.mni_busy = false; }, next: 'wait' },
          wait: { when: (s) => s.done_all || s.done_done > 0, then: (s) => { if (!s.done_all) s.done_done = s.done_done - 1; }, next: 'done' },
        },
      }),
    ],
    invariants: { 'no-stale-map': (s) => !s.mapped || s.valid },
  });
  sameAs(t, blocks, hand);
  // The invariant is stricter than the protocol (a mapping made before the invalidation began counts as stale until the callback removes it), so both writings stop at the same violation.
  t.is(search(buildModel(blocks, null), {}).verdict, 'violation');
});

test('wait queue (prepare_to_wait, schedule, finish_wait, wake_up, waitqueue_active) = the hand-written one; a test of the condition before queueing, or a waitqueue_active() read before the store, loses the wake-up', (t) => {
  // Teardown waits for the users to drop their references: wait_var_event(&users, users == 0) / if (atomic_dec_and_test()) wake_up_var().
  const wq = waitQueue('wq', { W: 2 });
  const variants = { ordered: 'prepare, test, schedule', 'test-first': 'test, then prepare and schedule', 'peek-first': 'waitqueue_active() read before the decrement' };
  const blocks = defineModel({
    name: 'teardown',
    variants,
    blocks: [wq],
    shared: { users: int(0, 2, 2) },
    threads: (_p, v) => [
      replicate(2, 'U', {
        locals: { saw: bool() },
        start: v === 'peek-first' ? 'peek' : 'dec',
        end: ['done'],
        steps: {
          peek: { then: (s, me) => { me.saw = s.wq_queued !== 0; }, next: 'dec' },
          dec: { then: (s) => { s.users = s.users - 1; }, next: (s, me) => (s.users === 0 && (v !== 'peek-first' || me.saw) ? 'wake' : 'done') },
          wake: { ...combine(wq.active(), wq.wakeUp()), next: 'done' },
          wake_idle: { at: 'wake', ...wq.idle(), next: 'done' },
        },
      }),
      replicate(2, 'W', {
        start: v === 'test-first' ? 'test0' : 'prepare',
        end: ['done'],
        progress: ['done'],
        labels: ['prepare', 'test0', 'sleep'],
        steps: {
          test0: { when: (s) => s.users === 0, next: 'done' },
          test0_busy: { at: 'test0', when: (s) => s.users !== 0, next: 'prepare' },
          prepare: { ...wq.prepare('W'), next: v === 'test-first' ? 'sleep' : 'test' },
          test: { ...combine({ when: (s) => s.users === 0 }, wq.finish('W')), next: 'done' },
          test_busy: { at: 'test', when: (s) => s.users !== 0, next: 'sleep' },
          sleep: { ...wq.sleep('W'), next: v === 'test-first' ? 'test0' : 'prepare' },
        },
      }),
    ],
  });
  const hand = defineModel({
    name: 'teardown-hand',
    variants,
    shared: { users: int(0, 2, 2), wq: array(2, bool()).indexedBy('W'), wq_queued: int(0, 2) },
    threads: (_p, v) => [
      replicate(2, 'U', {
        locals: { saw: bool() },
        start: v === 'peek-first' ? 'peek' : 'dec',
        end: ['done'],
        steps: {
          peek: { then: (s, me) => { me.saw = s.wq_queued !== 0; }, next: 'dec' },
          dec: { then: (s) => { s.users = s.users - 1; }, next: (s, me) => (s.users === 0 && (v !== 'peek-first' || me.saw) ? 'wake' : 'done') },
          wake: { when: (s) => s.wq_queued !== 0, then: (s) => { if (s.wq_queued !== 0) { s.wq.fill(false); s.wq_queued = 0; } }, next: 'done' },
          wake_idle: { at: 'wake', when: (s) => s.wq_queued === 0, next: 'done' },
        },
      }),
      replicate(2, 'W', {
        start: v === 'test-first' ? 'test0' : 'prepare',
        end: ['done'],
        progress: ['done'],
        labels: ['prepare', 'test0', 'sleep'],
        steps: {
          test0: { when: (s) => s.users === 0, next: 'done' },
          test0_busy: { at: 'test0', when: (s) => s.users !== 0, next: 'prepare' },
          prepare: { then: (s, me) => { if (!s.wq.get(me.id)) { s.wq.set(me.id, true); s.wq_queued = s.wq_queued + 1; } }, next: v === 'test-first' ? 'sleep' : 'test' },
          test: { when: (s) => s.users === 0, then: (s, me) => { if (s.wq.get(me.id)) { s.wq.set(me.id, false); s.wq_queued = s.wq_queued - 1; } }, next: 'done' },
          test_busy: { at: 'test', when: (s) => s.users !== 0, next: 'sleep' },
          sleep: { when: (s, me) => !s.wq.get(me.id), next: v === 'test-first' ? 'test0' : 'prepare' },
        },
      }),
    ],
  });
  sameAs(t, blocks, hand, Object.keys(variants));
  t.is(search(buildModel(blocks, 'ordered'), {}).verdict, 'pass');
  for (const v of ['test-first', 'peek-first']) {
    const r = search(buildModel(blocks, v), {});
    t.is(r.violation?.kind, 'deadlock', v);
  }
  // The replicated waiters stay interchangeable: symmetry reduction takes the model, and agrees.
  t.is(asymmetryReason(buildModel(blocks, 'ordered'), 'W'), '');
  t.is(search(buildModel(blocks, 'ordered'), { symmetry: true }).verdict, 'pass');
  // The guards read as the kernel's names in a blocked-thread report.
  const r = search(buildModel(blocks, 'test-first'), {});
  const rt = new Runtime(buildModel(blocks, 'test-first'));
  const why = explainBlocked(rt, buildTrace(rt, r.violation!, {}))!;
  t.regex(why.blocked.map((b) => b.waitsFor.map((w) => w.guard).join()).join(), /schedule\(\): woken from wq: !s\.wq\.get\(me\.id\)/);
  // A group the queue was not made for is refused, as a lock's.
  // @ts-expect-error: a JavaScript caller has no types to stop it
  t.is((t.throws(() => wq.prepare('U')) as { code?: string }).code, 'MC173');
});

test('interval subscriptions with the kernel sequences (mn_itree_inv_start_range, set_seq, inv_end, read_begin that sleeps only when invalidating, read_retry) = the hand-written one', (t) => {
  const mm = intervalSubscriptions('mm', { notifiers: 1, invalidators: 2, maxSeq: 6 });
  const blocks = defineModel({
    name: 'subscriptions',
    blocks: [mm],
    shared: { mapped: bool(), valid: bool().initially(true) },
    threads: [
      thread('dev', {
        locals: { seq: mm.seqLocal(), ok: bool() },
        labels: ['begin', 'sleep'],
        start: 'begin',
        end: ['done'],
        steps: {
          ...mm.readBegin(0, 'seq', { at: 'begin', sleep: 'sleep', next: 'walk' }),
          walk: { ...combine(mm.unchanged(0, 'seq'), { then: (s, me) => { me.ok = s.valid; } }), next: 'map' },
          walk_retry: { at: 'walk', ...mm.retry(0, 'seq'), next: 'begin' },
          map: { ...combine(mm.unchanged(0, 'seq'), { then: (s, me) => { s.mapped = me.ok; } }), next: 'done' },
          map_retry: { at: 'map', ...mm.retry(0, 'seq'), next: 'begin' },
        },
      }),
      replicate(2, 'inv', {
        locals: { cur: mm.seqLocal() },
        start: 'start',
        end: ['done'],
        steps: {
          start: { ...mm.invalidateStart('cur'), next: 'cb' },
          cb: { ...combine(mm.setSeq(0, 'cur'), { then: (s) => { s.mapped = false; } }), next: 'zap' },
          zap: { then: (s) => { s.valid = false; }, next: 'end' },
          end: { ...mm.invalidateEnd(), next: 'done' },
        },
      }),
    ],
    invariants: { 'no-stale-map': (s) => !s.mapped || s.valid },
  });
  const hand = defineModel({
    name: 'subscriptions-hand',
    shared: { mapped: bool(), valid: bool().initially(true), mm_seq: int(0, 6, 2), mm_active: int(0, 2), mm_mni: array(1, int(0, 6, 1)) },
    threads: [
      thread('dev', {
        locals: { seq: int(0, 6), ok: bool() },
        start: 'begin',
        labels: ['sleep'],
        end: ['done'],
        steps: {
          begin: { then: (s, me) => { me.seq = s.mm_mni.get(0); }, next: (s, me) => (me.seq === s.mm_seq ? 'sleep' : 'walk') },
          sleep: { when: (s, me) => s.mm_seq !== me.seq, next: 'walk' },
          walk: { when: (s, me) => s.mm_mni.get(0) === me.seq, then: (s, me) => { me.ok = s.valid; }, next: 'map' },
          walk_retry: { at: 'walk', when: (s, me) => s.mm_mni.get(0) !== me.seq, next: 'begin' },
          map: { when: (s, me) => s.mm_mni.get(0) === me.seq, then: (s, me) => { s.mapped = me.ok; }, next: 'done' },
          map_retry: { at: 'map', when: (s, me) => s.mm_mni.get(0) !== me.seq, next: 'begin' },
        },
      }),
      replicate(2, 'inv', {
        locals: { cur: int(0, 6) },
        start: 'start',
        end: ['done'],
        steps: {
          start: { then: (s, me) => { s.mm_active = s.mm_active + 1; s.mm_seq = s.mm_seq | 1; me.cur = s.mm_seq; }, next: 'cb' },
          cb: { then: (s, me) => { s.mm_mni.set(0, me.cur); s.mapped = false; }, next: 'zap' },
          zap: { then: (s) => { s.valid = false; }, next: 'end' },
          end: { then: (s) => { s.mm_active = s.mm_active - 1; if (s.mm_active === 0 && (s.mm_seq & 1) === 1) s.mm_seq = s.mm_seq + 1; }, next: 'done' },
        },
      }),
    ],
    invariants: { 'no-stale-map': (s) => !s.mapped || s.valid },
  });
  sameAs(t, blocks, hand);
  // The protocol keeps the device from mapping a page the invalidation took away.
  t.is(search(buildModel(blocks, null), {}).verdict, 'pass');
  t.true(search(buildModel(blocks, null), {}).stats.states > search(buildModel(blocks, null), { symmetry: true }).stats.states);
});

test('CPUs: a thread spinning on its CPU for what another thread of that CPU must do deadlocks without preemption, not with it; = the hand-written guard', (t) => {
  const variants = { none: 'PREEMPT_NONE', voluntary: 'PREEMPT_VOLUNTARY with a might_sleep point', full: 'PREEMPT' };
  const groups = () => [
    thread('spinner', { start: 'a', end: ['done'], steps: { a: { next: 'spin' }, spin: { when: (s) => s.flag, next: 'done' } } }),
    thread('setter', { start: 'a', end: ['done'], steps: { a: { then: (s) => { s.flag = true; }, next: 'done' } } }),
  ];
  const blocks = defineModel({
    name: 'cpus',
    variants,
    shared: { flag: bool() },
    threads: (_p, v) =>
      onCpus({ spinner: { cpu: 0, preempt: v as 'none', mightSleep: ['spin'] }, setter: { cpu: 0, preempt: v as 'none' } }, groups()),
  });
  const hand = defineModel({
    name: 'cpus-hand',
    variants,
    shared: { flag: bool() },
    threads: (_p, v) =>
      v === 'none'
        ? [
            thread('spinner', {
              start: 'a',
              end: ['done'],
              steps: {
                a: { when: (s, me) => me.at === 'spin' || s.count('spinner', 'spin') === 0, next: 'spin' },
                spin: { when: (s, me) => (me.at === 'spin' || s.count('spinner', 'spin') === 0) && s.flag, next: 'done' },
              },
            }),
            thread('setter', { start: 'a', end: ['done'], steps: { a: { when: (s) => s.count('spinner', 'spin') === 0, then: (s) => { s.flag = true; }, next: 'done' } } }),
          ]
        : groups(),
  });
  sameAs(t, blocks, hand, ['none', 'voluntary', 'full']);
  t.is(search(buildModel(blocks, 'none'), {}).violation?.kind, 'deadlock');
  t.is(search(buildModel(blocks, 'voluntary'), {}).verdict, 'pass');
  t.is(search(buildModel(blocks, 'full'), {}).verdict, 'pass');
});

test('per-CPU work: lru_add_drain_all queues on every CPU and flushes = the hand-written one', (t) => {
  const wq = workqueue('drain', 2);
  const blocks = defineModel({
    name: 'lru-drain',
    blocks: [wq],
    shared: { pvec: array(2, bool()).initially([true, true]) },
    threads: [
      thread('caller', { start: 'queue', end: ['done'], steps: { queue: { ...wq.queueAll(), next: 'flush' }, flush: { ...wq.flushAll(), next: 'done' } } }),
      ...wq.workers((k) => ({ start: 'drain', steps: { drain: { then: k === 0 ? (s) => s.pvec.set(0, false) : (s) => s.pvec.set(1, false), next: 'idle' } } })),
    ],
    invariants: { drained: (s) => s.at('caller') !== 'done' || (!s.pvec.get(0) && !s.pvec.get(1)) },
  });
  const worker = (k: number) =>
    thread(`drain${k}`, {
      start: 'idle',
      end: ['idle'],
      steps: {
        drain_run: {
          at: 'idle',
          when: (s) => s.drain_pending.get(k),
          then: (s) => {
            s.drain_pending.set(k, false);
            if (s.drain_flushing.get(k) > 0) s.drain_flushing.set(k, s.drain_flushing.get(k) - 1);
          },
          next: 'drain',
        },
        drain: { then: k === 0 ? (s) => s.pvec.set(0, false) : (s) => s.pvec.set(1, false), next: 'idle' },
      },
    });
  const hand = defineModel({
    name: 'lru-drain-hand',
    shared: { pvec: array(2, bool()).initially([true, true]), drain_pending: array(2, bool()), drain_flushing: array(2, int(0, 2)) },
    threads: [
      thread('caller', {
        start: 'queue',
        end: ['done'],
        steps: {
          queue: { then: (s) => s.drain_pending.fill(true), next: 'flush' },
          flush: { when: (s) => !s.drain_pending.get(0) && s.at('drain0') === 'idle' && !s.drain_pending.get(1) && s.at('drain1') === 'idle', next: 'done' },
        },
      }),
      worker(0),
      worker(1),
    ],
    invariants: { drained: (s) => s.at('caller') !== 'done' || (!s.pvec.get(0) && !s.pvec.get(1)) },
  });
  sameAs(t, blocks, hand);
  t.is(search(buildModel(blocks, null), {}).verdict, 'pass');
});

test("a block's variable read in a branch another instance takes (a lock whose groups depend on a parameter) is not MC150 where this instance does not declare it, as the model's own variables are not", (t) => {
  // With nE = 0 the lock has one group and its owners are `resv`; with nE = 1 they are `resv_X` and `resv_E`.
  const resvOf = (nE: number) => mutex('resv', nE > 0 ? ['X', 'E'] : ['X']);
  const m = defineModel({
    name: 'resv-groups',
    params: { nE: int(0, 1, 1) },
    // The configurations whose names count are the default and those the expectations list.
    expect: [{ verdict: 'pass' }, { verdict: 'pass', params: { nE: 0 } }],
    blocks: ({ nE }) => [resvOf(nE)],
    threads: ({ nE }) => [
      thread('X', {
        start: 'l',
        end: ['done'],
        steps: {
          l: { ...resvOf(nE).lock('X'), next: 'held' },
          held: { when: (s) => (nE > 0 ? s.resv_X : s.resv) === 0, then: (s) => { if (nE > 0) s.resv_X = -1; else s.resv = -1; }, next: 'done' },
        },
      }),
      ...(nE > 0 ? [thread('E', { start: 'e', end: ['done'], steps: { e: { ...resvOf(nE).lock('E'), next: 'u' }, u: { ...resvOf(nE).unlock('E'), next: 'done' } } })] : []),
    ],
  });
  for (const nE of [0, 1]) t.is(check(m, { params: { nE } }).verdict, 'pass', `nE=${nE}`);
  // A name no configuration declares is still refused.
  const typo = defineModel({
    name: 'resv-typo',
    blocks: [mutex('resv', ['X'])],
    threads: [thread('X', { start: 'l', end: ['done'], steps: { l: { when: (s) => (s as unknown as Record<string, number>).resv_Y === -1, next: 'done' } } })],
  });
  t.is(t.throws(() => check(typo))!.message.includes('s.resv_Y'), true);
});

test('block misuse is a coded model error', async (t) => {
  const code = (f: () => unknown) => {
    try {
      f();
    } catch (e) {
      return isMcError(e) ? e.code : String(e);
    }
    return 'no error';
  };
  t.is(code(() => spinlock('ptl', [])), 'MC171');
  t.is(code(() => spinlock('a b', ['x'])), 'MC171');
  t.is(code(() => spinlock('ptl', ['x', 'y']).lock()), 'MC173');
  // @ts-expect-error: a JavaScript caller has no types to stop it
  t.is(code(() => spinlock('ptl', ['x']).lock('z')), 'MC173');
  t.is(code(() => spinlock('ptl', ['x'], { count: 2 }).lock('x')), 'MC173');
  t.is(code(() => spinlock('ptl', ['x'], { count: 2 }).lock('x', 's.i = 1')), 'MC173');
  t.is(code(() => rwsem('s', { writers: ['w'], maxReaders: 1, writerPriority: { maxWriters: 1 } }).downWrite('w')), 'MC174');
  t.is(code(() => refcount('r', { max: 2 }).freeze(3, { at: 'a', ok: 'b', fail: 'c' })), 'MC171');
  t.is(code(() => combine({ when: () => true, next: 'x' } as never)), 'MC170');
  t.is(code(() => workqueue('w', 2).queueOn(2)), 'MC176');
  t.is(code(() => intervalSubscriptions('mm', { notifiers: 1, invalidators: 1, maxSeq: 4 }).setSeq(1, 'cur')), 'MC171');
  t.is(code(() => intervalSubscriptions('mm', { notifiers: 0, invalidators: 1, maxSeq: 4 })), 'MC171');
  t.is(code(() => intervalSubscriptions('mm', { notifiers: 1, invalidators: 1, maxSeq: 4 }).readBegin(0, 's', { at: 'a', sleep: 'b c', next: 'd' })), 'MC171');
  // @ts-expect-error: a JavaScript caller has no types to stop it
  t.is(code(() => wwMutex('bo', { x: 1 }, { algorithm: 'wait-wound' })), 'MC171');
  t.is(code(() => wwMutex('bo', { x: 1 }, { contexts: 0 })), 'MC171');
  t.is(code(() => wwMutex('bo', { x: 0 })), 'MC171');
  t.is(code(() => wwMutex('bo', { x: 1, clock: 1 })), 'MC171');
  t.is(code(() => wwMutex('bo', { x: 1, y: 1 }).lock(undefined, { at: 'a', ok: 'b' })), 'MC173');
  t.is(code(() => wwMutex('bo', { x: 1 }, { locks: 2 }).unlock('x')), 'MC173');
  // The index given where the labels go (a JavaScript caller) is named as that, not as a missing index.
  // @ts-expect-error: a JavaScript caller has no types to stop it
  t.regex(String((t.throws(() => wwMutex('bo', { x: 1 }, { locks: 2 }).lockSlow('x', '1 - me.id')) as Error).message), /lockSlow: give its labels as an object \{ at, next \}, got "1 - me\.id"/);
  // @ts-expect-error: a JavaScript caller has no types to stop it
  t.is(code(() => spinlock('ptl', ['x'], { count: 2 }).trylock('x', 'me.id')), 'MC171');
  t.is(code(() => onCpus({ nope: { cpu: 0, preempt: 'none' } }, [thread('a', { start: 'a', steps: { a: { next: 'a' } } })])), 'MC175');
  t.is(code(() => onCpus({ a: { cpu: 0, preempt: 'none', sleeps: ['zz'] } }, [thread('a', { start: 'a', steps: { a: { next: 'a' } } })])), 'MC175');
  const ptl = spinlock('ptl', ['t']);
  const clash = defineModel({ name: 'clash', shared: { ptl: bool() }, blocks: [ptl], threads: [thread('t', { start: 'a', end: ['a'], steps: {} })] });
  t.is(code(() => buildModel(clash, null)), 'MC172');
  const { declareLock } = await import('../src/index.ts');
  const wrongOwner = defineModel({ name: 'wo', shared: { owner: bool() }, blocks: [declareLock({ name: 'l', kind: 'mutex', owners: [{ var: 'owner', group: 't' }] })], threads: [thread('t', { start: 'a', end: ['a'], steps: {} })] });
  t.regex(code(() => buildModel(wrongOwner, null)), /MC177/);
  const missing = defineModel({ name: 'mi', blocks: [declareLock({ name: 'l', kind: 'mutex', owners: [{ var: 'nope', group: 't' }] })], threads: [thread('t', { start: 'a', end: ['a'], steps: {} })] });
  t.is(code(() => buildModel(missing, null)), 'MC177');
  const good = defineModel({ name: 'ok', shared: { owner: threadId('t', { none: true }) }, blocks: [declareLock({ name: 'l', kind: 'mutex', owners: [{ var: 'owner', group: 't' }] })], threads: [thread('t', { start: 'a', end: ['a'], steps: {} })] });
  t.deepEqual(buildModel(good, null).locks.map((l) => l.name), ['l']);
  t.is(code(() => declareLock({} as never)), 'MC172');
  const notBlock = defineModel({ name: 'nb', blocks: [{} as never], threads: [thread('t', { start: 'a', end: ['a'], steps: {} })] });
  t.is(code(() => buildModel(notBlock, null)), 'MC172');
});

test('pageLock.waitUnlocked: a waiter returns after its first wake-up, as folio_wait_bit_common() does for a non-exclusive waiter since v5.9 (recheck: true, the older behaviour, sleeps again and livelocks here); put drops the reference after queueing', async (t) => {
  const { defineModel, thread, pageLock, refcount, buildModel, search } = await import('../src/index.ts');
  const mk = (recheck: boolean) => {
    const page = pageLock('page', { W: 1, L: 1 });
    return defineModel({
      name: 'wait-locked',
      blocks: [page],
      threads: [
        thread('W', { start: 'w', end: ['done'], progress: ['done'], steps: { ...page.waitUnlocked('W', { at: 'w', next: 'done', recheck }) } }),
        thread('L', { start: 'lock', labels: ['lock', 'held'], steps: { ...page.lock('L', { at: 'lock', next: 'held' }), unlock: { at: 'held', ...page.unlock('L'), next: 'lock' } } }),
      ],
    });
  };
  t.is(search(buildModel(mk(false), null), { deadlock: false }).verdict, 'pass');
  const again = search(buildModel(mk(true), null), { deadlock: false });
  t.is(again.violation?.kind, 'livelock');
  // folio_put_wait_locked(): queue, then put (a step of its own), then sleep; or put and return when unlocked.
  const page = pageLock('page', { W: 1 });
  const refs = refcount('refs', { max: 2, init: 1 });
  const steps = page.waitUnlocked('W', { at: 'w', next: 'done', put: refs.put() });
  t.deepEqual(Object.keys(steps).sort(), ['w', 'w_drop', 'w_put', 'w_sleep', 'w_wait']);
  t.is(steps.w_wait!.next, 'w_put');
  t.is(steps.w_put!.next, 'w_sleep');
  t.is(steps.w!.next, 'w_drop');
  for (const bad of [{ put: true }, { put: { when: () => true, then: () => {} } }, { put: refs.put(), recheck: true }, { recheck: 'yes' }]) {
    const e = t.throws(() => page.waitUnlocked('W', { at: 'w', next: 'done', ...(bad as object) }));
    t.is((e as { code?: string }).code, 'MC171', JSON.stringify(bad));
  }
});

test('intervalNotifier: overlapping invalidations stop the search (MC135) with one range, and with ranges: 2 the invalidation ends at the last end, as mn_itree_inv_end() does (the first end cleared it: a stale device mapping the kernel prevents)', async (t) => {
  const { defineModel, thread, intervalNotifier, mutex, combine, int, buildModel, search } = await import('../src/index.ts');
  const mk = (ranges?: number) => {
    const mni = intervalNotifier('mni', { maxSeq: 4, ...(ranges ? { ranges } : {}) });
    const drv = mutex('drv', ['A', 'B', 'F']);
    const inv = (g: 'A' | 'B') =>
      thread(g, {
        start: 'start',
        end: ['done'],
        steps: {
          start: { ...mni.invalidateStart(), next: 'cb' },
          cb: { ...combine(drv.free(), mni.setSeq(), { then: (s) => { s.dev = -1; } }), next: 'pte' },
          pte: { then: (s) => { s.pte = s.pte + 1; }, next: 'end' },
          end: { ...mni.invalidateEnd(), next: 'done' },
        },
      });
    return defineModel({
      name: 'overlap',
      blocks: [mni, drv],
      shared: { pte: int(0, 2), dev: int(-1, 2, -1) },
      threads: [
        inv('A'),
        inv('B'),
        thread('F', {
          start: 'begin',
          labels: ['check'],
          end: ['done'],
          locals: { seq: mni.seqLocal(), snap: int(0, 2) },
          steps: {
            begin: { ...mni.readBegin('seq'), next: 'fault' },
            fault: { then: (s, me) => { me.snap = s.pte; }, next: 'lock' },
            lock: { ...drv.lock('F'), next: 'check' },
            ...mni.readRetry('seq', { at: 'check', retry: 'retry', ok: 'ok' }),
            ok: { ...combine({ then: (s, me) => { s.dev = me.snap; } }, drv.unlock('F')), next: 'done' },
            retry: { ...drv.unlock('F'), next: 'begin' },
          },
        }),
      ],
      invariants: { 'no-stale-device-pte': (s) => !(s.at('A') === 'done' && s.at('B') === 'done' && s.at('F') === 'done') || s.dev === -1 || s.dev === s.pte },
    });
  };
  const e = t.throws(() => search(buildModel(mk(), null), {}));
  t.is((e as { code?: string }).code, 'MC135');
  t.regex(e!.message, /an invalidation started while another is in progress; give intervalNotifier\(mni, \{ ranges: N \}\)/);
  t.is(search(buildModel(mk(2), null), {}).verdict, 'pass');
  t.throws(() => intervalNotifier('x', { maxSeq: 2, ranges: 0 }), { message: /ranges must be a positive integer/ });
});

test('a step that spreads a block fragment and then replaces its guard or effect (its own when/then after the spread, or a later fragment) is MC178, not a lock or count silently lost', async (t) => {
  const { defineModel, thread, spinlock, refcount, combine, allOf, buildModel, bool } = await import('../src/index.ts');
  const ptl = spinlock('ptl', ['a']);
  const refs = refcount('refs', { max: 2, init: 1 });
  const mk = (step: Record<string, unknown>) =>
    defineModel({
      name: 'override',
      blocks: [ptl, refs],
      shared: { x: bool() },
      threads: [thread('a', { start: 's', end: ['done'], steps: { s: { ...step, next: 'done' } } } as never)],
    } as never);
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['own then after a lock', { ...ptl.lock('a'), then: (s: any) => { s.x = true; } }, /spreads ptl\.lock\("a"\), and its effect is replaced by the step's own then or a later fragment's, so ptl\.lock\("a"\) no longer happens: join them in one step with combine\(ptl\.lock\("a"\), \{ then: \.\.\. \}\)/],
    ['own when after a lock', { ...ptl.lock('a'), when: (s: any) => !s.x }, /spreads ptl\.lock\("a"\), and its guard is replaced/],
    ['two fragments spread', { ...ptl.unlock('a'), ...refs.get() }, /spreads ptl\.unlock\("a"\), and its effect is replaced/],
    ['then: undefined', { ...refs.get(), then: undefined }, /spreads refs\.get\(\), and its effect is replaced by nothing/],
    ['own then after combine', { ...combine(ptl.lock('a'), refs.get()), then: () => {} }, /spreads combine\(\.\.\.\)/],
  ];
  for (const [what, step, re] of bad) {
    const e = t.throws(() => buildModel(mk(step), null), undefined, what);
    t.is((e as { code?: string }).code, 'MC178', what);
    t.regex(e!.message, re, what);
  }
  // Kept parts pass: combine, a guard joined with allOf from the same fragment, a fragment spread alone, doc overridden.
  const lk = ptl.lock('a');
  for (const step of [combine(ptl.lock('a'), { then: (s: any) => { s.x = true; } }), { ...lk, when: allOf(lk.when, (s: any) => !s.x) }, { ...ptl.lock('a'), doc: 'mine' }, { ...ptl.lock('a'), when: ptl.lock('a').when }])
    t.notThrows(() => buildModel(mk(step), null));
});

test('a model step named like one a block operation generates (written after the spread, or before it) is MC179, not a generated step or the model\'s silently replaced', async (t) => {
  const { defineModel, thread, mutex, bool, buildModel, search } = await import('../src/index.ts');
  // The busy label "tl_busy" is also the name trylock gives its busy branch's step: written after the spread, the model's step replaced it (the trylock became a blocking lock, and a check with a violation passed).
  const mk = (order: 'after' | 'before' | 'apart' | 'renamed') => {
    const L = mutex('L', ['a', 'b']);
    const busy = order === 'renamed' ? 'touch' : 'tl_busy';
    const own = { [busy]: { then: (s: any) => { s.bad = true; }, next: 'done' } };
    const gen = L.trylock('a', { at: 'tl', ok: 'crit', busy });
    const steps = order === 'before' ? { ...own, ...gen } : order === 'apart' ? { ...({ tl: { next: 'done' }, other: { next: 'done' } } as object), ...gen } : { ...gen, ...own };
    return defineModel({
      name: 'collide',
      blocks: [L],
      shared: { bad: bool() },
      threads: [
        thread('a', { start: 'tl', end: ['done'], labels: ['tl', 'other'], steps: { ...steps, crit: { ...L.unlock('a'), next: 'done' } } } as never),
        thread('b', { start: 'lock', end: ['done'], steps: { lock: { ...L.lock('b'), next: 'unlock' }, unlock: { ...L.unlock('b'), next: 'done' } } }),
      ],
      invariants: { 'no-unlocked-access': (s: any) => !s.bad },
    } as never);
  };
  for (const [order, re] of [
    ['after', /thread "a": step "tl_busy" is one of the steps L\.trylock\("a", \.\.\.\) generates \("tl", "tl_busy"\), and a step of that name written after the spread, or a later block's, replaces it/],
    ['before', /step "tl_busy" is one of the steps L\.trylock\("a", \.\.\.\) generates \("tl", "tl_busy"\), and a step of that name written before the spread is replaced by the generated one/],
    ['apart', /step "tl" is one of the steps .* written before the spread is replaced/],
  ] as const) {
    const e = t.throws(() => buildModel(mk(order), null), undefined, order);
    t.is((e as { code?: string }).code, 'MC179', order);
    t.regex(e!.message, re, order);
  }
  const r = search(buildModel(mk('renamed'), null), {});
  t.is(r.verdict, 'violation');
  t.is(r.violation?.property, 'no-unlocked-access');
  // Through onCpus (which rewrites every step with its CPU guard), the clash is still seen, and the generated steps still pass.
  const { onCpus } = await import('../src/index.ts');
  const cpus = (order: 'after' | 'renamed') => {
    const m = mk(order) as any;
    const threads = m.def.threads;
    return defineModel({ ...m.def, name: 'collide-cpus', threads: onCpus({ a: { cpu: 0, preempt: 'none' }, b: { cpu: 0, preempt: 'none' } }, threads) } as never);
  };
  t.is((t.throws(() => buildModel(cpus('after'), null)) as { code?: string }).code, 'MC179');
  t.notThrows(() => buildModel(cpus('renamed'), null));
  // A generated step written out again with its own label, or made again by the same call, with a doc or progress of the model's: allowed.
  const L = mutex('L', ['a']);
  const gen = L.trylock('a', { at: 'tl', ok: 'done', busy: 'done' });
  for (const steps of [
    { ...gen, tl: { ...gen.tl, at: 'tl' } },
    { ...gen, tl_busy: { ...L.trylock('a', { at: 'tl', ok: 'done', busy: 'done' }).tl_busy, progress: true } },
  ])
    t.notThrows(() => buildModel(defineModel({ name: 'same', blocks: [L], shared: { bad: bool() }, threads: [thread('a', { start: 'tl', end: ['done'], steps } as never)] } as never), null));
});

test('a lock taken, released or tested as another thread group than the caller\'s is MC173 (the owner would hold this thread\'s id as one of that group\'s replicas), in a fragment, combine() and a step map', async (t) => {
  const { defineModel, thread, mutex, spinlock, refcount, combine, bool, buildModel } = await import('../src/index.ts');
  const m = mutex('m', ['a', 'b']);
  const one = spinlock('ptl', ['fault']);
  const refs = refcount('refs', { max: 2, init: 1 });
  const mk = (bSteps: Record<string, unknown>) =>
    defineModel({
      name: 'groups',
      blocks: [m, one, refs],
      shared: { x: bool() },
      threads: [
        thread('a', { start: 'l', end: ['done'], steps: { l: { ...m.lock('a'), next: 'u' }, u: { ...m.unlock('a'), next: 'done' } } }),
        thread('fault', { start: 'l', end: ['done'], steps: { l: { ...one.lock(), next: 'u' }, u: { ...one.unlock(), next: 'done' } } }),
        thread('b', { start: 'l', end: ['done'], steps: bSteps } as never),
      ],
    } as never);
  const bad: [string, Record<string, unknown>, RegExp][] = [
    ['another listed group', { l: { ...m.lock('a'), next: 'done' } }, /thread "b" step "l": m\.lock\("a"\) uses lock "m" as thread group "a", but the step is group "b"'s/],
    ['the only group, not named', { l: { ...one.lock(), next: 'done' } }, /ptl\.lock\(\) uses lock "ptl" as thread group "fault", but the step is group "b"'s/],
    ['inside combine', { l: { ...combine(refs.get(), m.held('a')), next: 'done' } }, /combine\(\.\.\.\) uses lock "m" as thread group "a"/],
    ['a step map', { ...m.trylock('a', { at: 'l', ok: 'done', busy: 'done' }) }, /thread "b": m\.trylock\("a", \.\.\.\) uses lock "m" as thread group "a"/],
  ];
  for (const [what, steps, re] of bad) {
    const e = t.throws(() => buildModel(mk(steps), null), undefined, what);
    t.is((e as { code?: string }).code, 'MC173', what);
    t.regex(e!.message, re, what);
  }
  t.notThrows(() => buildModel(mk({ l: { ...combine(refs.get(), m.lock('b')), next: 'u' }, ...m.trylock('b', { at: 'u', ok: 'v', busy: 'done' }), v: { ...m.unlock('b'), next: 'done' } }), null));
});

test('workqueue.flushWork waits for the instance pending or running when it is called, as flush_work() does: a self-requeueing item does not keep the flusher waiting (flush() waits for an idle item, forever here), and the item may be pending again after the flush', async (t) => {
  const { defineModel, thread, workqueue, buildModel, search, bool } = await import('../src/index.ts');
  const mk = (how: 'work' | 'idle', idleAfter = false) => {
    const wq = workqueue('vm', 1);
    return defineModel({
      name: 'requeue',
      blocks: [wq],
      shared: { ran: bool() },
      threads: [
        thread('caller', {
          start: 'queue',
          labels: ['flush'],
          end: ['done'],
          progress: ['done'],
          steps: { queue: { ...wq.queueOn(0), next: 'flush' }, ...(how === 'work' ? wq.flushWork(0, { at: 'flush', next: 'done' }) : { flush: { ...wq.flush(0), next: 'done' } }) },
        }),
        // vmstat_update: does its work and queues itself again.
        ...wq.workers(() => ({ start: 'update', steps: { update: { then: (s: any) => { s.ran = true; s.vm_pending.set(0, true); }, next: 'idle' } } })),
      ],
      invariants: idleAfter ? { 'idle-after-flush': (s: any) => s.at('caller') !== 'done' || !s.vm_pending.get(0) } : { 'flush-waits-for-the-queued-instance': (s) => s.at('caller') !== 'done' || s.ran },
    });
  };
  // flush_work() does not promise that the item is idle afterwards.
  t.is(search(buildModel(mk('work', true), null), { deadlock: false, liveness: false }).violation?.property, 'idle-after-flush');
  const work = search(buildModel(mk('work'), null), { deadlock: false });
  t.is(work.verdict, 'pass');
  const idle = search(buildModel(mk('idle'), null), { deadlock: false });
  t.is(idle.violation?.kind, 'livelock');
  // Two CPUs flushed in turn, and a second flusher on one CPU while the first waits is refused.
  const wq = workqueue('d', 2);
  t.deepEqual(Object.keys(wq.flushAllWork({ at: 'f', next: 'done' })).sort(), ['f', 'f_1', 'f_1_barrier', 'f_1_wait', 'f_barrier', 'f_wait']);
  const two = defineModel({
    name: 'two-flushers',
    blocks: [wq],
    threads: [
      thread('q', { start: 'a', end: ['done'], steps: { a: { ...wq.queueOn(0), next: 'done' } } }),
      thread('f1', { start: 'f', end: ['done'], steps: wq.flushWork(0, { at: 'f', next: 'done' }) } as never),
      thread('f2', { start: 'f', end: ['done'], steps: wq.flushWork(0, { at: 'f', next: 'done' }) } as never),
      ...wq.workers(() => ({ start: 'w', steps: { w: { next: 'idle' } } })),
    ],
  } as never);
  const e = t.throws(() => search(buildModel(two, null), {}));
  t.regex(e!.message, /MC135|a second flushWork on cpu 0 while one waits/);
});

test('workqueue workers: the body declares the work function locals and labels', (t) => {
  // svm_range_restore_work-like: reads a counter into a local, then compares it again (a cmpxchg) and requeues on a change.
  const wq = workqueue('rw', 1);
  const m = defineModel({
    name: 'worker-locals',
    blocks: [wq],
    shared: { evicted: int(0, 2) },
    threads: [
      thread('inv', { start: 'a', end: ['done'], steps: { a: { ...combine(wq.queueOn(0), { then: (s: any) => { s.evicted = s.evicted + 1; } }), next: (s: any) => (s.evicted === 2 ? 'done' : 'a') } } } as never),
      ...wq.workers(() => ({
        start: 'read',
        locals: { ev: int(0, 2) },
        labels: ['retry'],
        steps: {
          read: { then: (s: any, me: any) => { me.ev = s.evicted; }, next: 'cmpxchg' },
          cmpxchg: { then: (s: any, me: any) => { if (s.evicted === me.ev) s.evicted = 0; me.ev = 0; }, next: 'idle' },
          retry: { next: 'idle' },
        },
      })),
    ],
  } as never);
  const b = buildModel(m, null);
  t.deepEqual(b.threads.find((x) => x.name === 'rw0')!.template.locals.map((v) => v.name), ['ev']);
  const r = search(b, { liveness: false, deadlock: false });
  t.is(r.verdict, 'pass');
  t.true(r.stats.states > 1);
});

/**
 * Two executors lock the reservations of two buffer objects in opposite
 * orders (exec[k] bo[k] then bo[1 - k]) and an evictor bo[1] then bo[0],
 * each under an acquire context; on -EDEADLK a thread backs off: drops what
 * it holds and takes the contended lock with ww_mutex_lock_slow(). With the
 * blocks, and by hand with the same expressions.
 */
function wwModels(algorithm: 'wound-wait' | 'wait-die') {
  const ww = algorithm === 'wound-wait';
  const bo = wwMutex('bo', { exec: 2, evict: 1 }, { locks: 2, algorithm });
  const blocks = defineModel({
    name: `resv-${algorithm}`,
    blocks: [bo],
    threads: [
      replicate(2, 'exec', {
        start: 'init',
        end: ['done'],
        progress: ['done'],
        steps: {
          init: { ...bo.acquireInit('exec'), next: 'a' },
          ...bo.lock('exec', { at: 'a', ok: 'b' }, 'me.id'),
          ...bo.lock('exec', { at: 'b', ok: 'c', deadlk: 'back', already: 'c' }, '1 - me.id'),
          back: { ...bo.unlock('exec', 'me.id'), next: 'slow' },
          ...bo.lockSlow('exec', { at: 'slow', next: 'rel' }, '1 - me.id'),
          rel: { ...bo.unlock('exec', '1 - me.id'), next: 'fin' },
          c: { ...combine(bo.held('exec', 'me.id'), bo.unlock('exec', 'me.id'), bo.unlock('exec', '1 - me.id')), next: 'fin' },
          fin: { ...bo.acquireFini('exec'), next: 'done' },
        },
      }),
      thread('evict', {
        start: 'init',
        end: ['done'],
        progress: ['done'],
        steps: {
          init: { ...bo.acquireInit('evict'), next: 'a' },
          ...bo.lock('evict', { at: 'a', ok: 'b' }, '1'),
          ...bo.lock('evict', { at: 'b', ok: 'c', deadlk: 'back' }, '0'),
          back: { ...bo.unlock('evict', '1'), next: 'fin' },
          c: { ...combine(bo.isLocked('0'), bo.unlock('evict', '0'), bo.unlock('evict', '1')), next: 'fin' },
          fin: { ...bo.acquireFini('evict'), next: 'done' },
        },
      }),
    ],
  });
  const hand = defineModel({
    name: `resv-${algorithm}-hand`,
    shared: {
      bo_exec: array(2, threadId('exec', { none: true })),
      bo_evict: array(2, threadId('evict', { none: true })),
      bo_ctx_exec: array(2, int(0, 3)).indexedBy('exec'),
      bo_ctx_evict: array(1, int(0, 3)).indexedBy('evict'),
      ...(ww
        ? { bo_wounded_exec: array(2, bool()).indexedBy('exec'), bo_wounded_evict: array(1, bool()).indexedBy('evict') }
        : { bo_waits_exec: array(2, int(-1, 1, -1)).indexedBy('exec'), bo_waits_evict: array(1, int(-1, 1, -1)).indexedBy('evict') }),
      bo_clock: int(0, 3),
    },
    threads: [
      replicate(2, 'exec', {
        start: 'init',
        end: ['done'],
        progress: ['done'],
        steps: {
          init: { then: (s, me) => { s.bo_clock = s.bo_clock + 1; s.bo_ctx_exec.set(me.id, s.bo_clock); }, next: 'a' },
          a: {
            when: (s, me) => s.bo_exec.get(me.id) === -1 && s.bo_evict.get(me.id) === -1,
            then: ww
              ? (s, me) => { s.assert(!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id), 'bo-deadlk-unhandled'); s.bo_exec.set(me.id, me.id); }
              : (s, me) => { s.assert(!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id), 'bo-deadlk-unhandled'); s.bo_exec.set(me.id, me.id); s.bo_waits_exec.set(me.id, -1); },
            next: 'b',
          },
          b: { when: (s, me) => s.bo_exec.get(1 - me.id) === -1 && s.bo_evict.get(1 - me.id) === -1, then: ww ? (s, me) => { s.bo_exec.set(1 - me.id, me.id); } : (s, me) => { s.bo_exec.set(1 - me.id, me.id); s.bo_waits_exec.set(me.id, -1); }, next: 'c' },
          ...(ww
            ? {}
            : {
                a_wait: { at: 'a', when: (s, me) => (s.bo_exec.get(me.id) !== -1 || s.bo_evict.get(me.id) !== -1) && s.bo_exec.get(me.id) !== me.id && s.bo_ctx_exec.get(me.id) !== 0 && s.bo_waits_exec.get(me.id) === -1, then: (s, me) => { s.bo_waits_exec.set(me.id, me.id); }, next: 'a' },
                b_wait: { at: 'b', when: (s, me) => (s.bo_exec.get(1 - me.id) !== -1 || s.bo_evict.get(1 - me.id) !== -1) && s.bo_exec.get(1 - me.id) !== me.id && s.bo_ctx_exec.get(me.id) !== 0 && s.bo_waits_exec.get(me.id) === -1, then: (s, me) => { s.bo_waits_exec.set(me.id, 1 - me.id); }, next: 'b' },
                slow_wait: { at: 'slow', when: (s, me) => (s.bo_exec.get(1 - me.id) !== -1 || s.bo_evict.get(1 - me.id) !== -1) && s.bo_exec.get(1 - me.id) !== me.id && s.bo_ctx_exec.get(me.id) !== 0 && s.bo_waits_exec.get(me.id) === -1, then: (s, me) => { s.bo_waits_exec.set(me.id, 1 - me.id); }, next: 'slow' },
              }),
          b_deadlk: {
            at: 'b',
            when: ww
              ? (s, me) =>
                  (s.bo_exec.get(1 - me.id) !== -1 || s.bo_evict.get(1 - me.id) !== -1) && s.bo_exec.get(1 - me.id) !== me.id && s.bo_ctx_exec.get(me.id) !== 0 && (s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id) && s.bo_wounded_exec.get(me.id) &&
                  !((s.bo_exec.get(1 - me.id) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(1 - me.id)) : s.bo_evict.get(1 - me.id) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(1 - me.id)) : 0) > s.bo_ctx_exec.get(me.id) &&
                    !(s.bo_exec.get(1 - me.id) !== -1 ? s.bo_wounded_exec.get(s.bo_exec.get(1 - me.id)) : s.bo_evict.get(1 - me.id) !== -1 ? s.bo_wounded_evict.get(s.bo_evict.get(1 - me.id)) : false))
              : (s, me) =>
                  (s.bo_exec.get(1 - me.id) !== -1 || s.bo_evict.get(1 - me.id) !== -1) && s.bo_exec.get(1 - me.id) !== me.id && s.bo_ctx_exec.get(me.id) !== 0 && (s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id) &&
                  (((s.bo_exec.get(1 - me.id) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(1 - me.id)) : s.bo_evict.get(1 - me.id) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(1 - me.id)) : 0) !== 0 &&
                    (s.bo_exec.get(1 - me.id) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(1 - me.id)) : s.bo_evict.get(1 - me.id) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(1 - me.id)) : 0) < s.bo_ctx_exec.get(me.id)) ||
                    (s.bo_waits_exec.get(0) === 1 - me.id && s.bo_ctx_exec.get(0) !== 0 && s.bo_ctx_exec.get(0) < s.bo_ctx_exec.get(me.id)) ||
                    (s.bo_waits_exec.get(1) === 1 - me.id && s.bo_ctx_exec.get(1) !== 0 && s.bo_ctx_exec.get(1) < s.bo_ctx_exec.get(me.id)) ||
                    (s.bo_waits_evict.get(0) === 1 - me.id && s.bo_ctx_evict.get(0) !== 0 && s.bo_ctx_evict.get(0) < s.bo_ctx_exec.get(me.id))),
            ...(ww ? {} : { then: (s, me) => { s.bo_waits_exec.set(me.id, -1); } }),
            next: 'back',
          },
          ...(ww
            ? {
                b_wound: {
                  at: 'b',
                  when: (s, me) =>
                    (s.bo_exec.get(1 - me.id) !== -1 || s.bo_evict.get(1 - me.id) !== -1) && s.bo_exec.get(1 - me.id) !== me.id && s.bo_ctx_exec.get(me.id) !== 0 && (s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id) &&
                    (s.bo_exec.get(1 - me.id) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(1 - me.id)) : s.bo_evict.get(1 - me.id) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(1 - me.id)) : 0) > s.bo_ctx_exec.get(me.id) &&
                    !(s.bo_exec.get(1 - me.id) !== -1 ? s.bo_wounded_exec.get(s.bo_exec.get(1 - me.id)) : s.bo_evict.get(1 - me.id) !== -1 ? s.bo_wounded_evict.get(s.bo_evict.get(1 - me.id)) : false),
                  then: (s, me) => {
                    if (s.bo_exec.get(1 - me.id) !== -1) s.bo_wounded_exec.set(s.bo_exec.get(1 - me.id), true);
                    else if (s.bo_evict.get(1 - me.id) !== -1) s.bo_wounded_evict.set(s.bo_evict.get(1 - me.id), true);
                  },
                  next: 'b',
                },
              }
            : {}),
          b_already: { at: 'b', when: (s, me) => s.bo_exec.get(1 - me.id) === me.id, next: 'c' },
          back: { then: ww ? (s, me) => { s.bo_exec.set(me.id, -1); if (!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id)) s.bo_wounded_exec.set(me.id, false); } : (s, me) => { s.bo_exec.set(me.id, -1); }, next: 'slow' },
          slow: {
            when: (s, me) => s.bo_exec.get(1 - me.id) === -1 && s.bo_evict.get(1 - me.id) === -1,
            then: ww
              ? (s, me) => { s.assert(!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id), 'bo-slow-while-held'); s.bo_exec.set(1 - me.id, me.id); }
              : (s, me) => { s.assert(!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id), 'bo-slow-while-held'); s.bo_exec.set(1 - me.id, me.id); s.bo_waits_exec.set(me.id, -1); },
            next: 'rel',
          },
          rel: { then: ww ? (s, me) => { s.bo_exec.set(1 - me.id, -1); if (!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id)) s.bo_wounded_exec.set(me.id, false); } : (s, me) => { s.bo_exec.set(1 - me.id, -1); }, next: 'fin' },
          c: {
            when: (s, me) => s.bo_exec.get(me.id) === me.id,
            then: ww
              ? (s, me) => {
                  s.bo_exec.set(me.id, -1);
                  if (!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id)) s.bo_wounded_exec.set(me.id, false);
                  s.bo_exec.set(1 - me.id, -1);
                  if (!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id)) s.bo_wounded_exec.set(me.id, false);
                }
              : (s, me) => { s.bo_exec.set(me.id, -1); s.bo_exec.set(1 - me.id, -1); },
            next: 'fin',
          },
          fin: { then: (s, me) => { s.assert(!(s.bo_exec.get(0) === me.id || s.bo_exec.get(1) === me.id), 'bo-fini-while-held'); s.bo_ctx_exec.set(me.id, 0); }, next: 'done' },
        },
      }),
      thread('evict', {
        start: 'init',
        end: ['done'],
        progress: ['done'],
        steps: {
          init: { then: (s, me) => { s.bo_clock = s.bo_clock + 1; s.bo_ctx_evict.set(me.id, s.bo_clock); }, next: 'a' },
          a: {
            when: (s) => s.bo_exec.get(1) === -1 && s.bo_evict.get(1) === -1,
            then: ww
              ? (s, me) => { s.assert(!(s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id), 'bo-deadlk-unhandled'); s.bo_evict.set(1, me.id); }
              : (s, me) => { s.assert(!(s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id), 'bo-deadlk-unhandled'); s.bo_evict.set(1, me.id); s.bo_waits_evict.set(me.id, -1); },
            next: 'b',
          },
          b: { when: (s) => s.bo_exec.get(0) === -1 && s.bo_evict.get(0) === -1, then: ww ? (s, me) => { s.bo_evict.set(0, me.id); } : (s, me) => { s.bo_evict.set(0, me.id); s.bo_waits_evict.set(me.id, -1); }, next: 'c' },
          ...(ww
            ? {}
            : {
                a_wait: { at: 'a', when: (s, me) => (s.bo_exec.get(1) !== -1 || s.bo_evict.get(1) !== -1) && s.bo_evict.get(1) !== me.id && s.bo_ctx_evict.get(me.id) !== 0 && s.bo_waits_evict.get(me.id) === -1, then: (s, me) => { s.bo_waits_evict.set(me.id, 1); }, next: 'a' },
                b_wait: { at: 'b', when: (s, me) => (s.bo_exec.get(0) !== -1 || s.bo_evict.get(0) !== -1) && s.bo_evict.get(0) !== me.id && s.bo_ctx_evict.get(me.id) !== 0 && s.bo_waits_evict.get(me.id) === -1, then: (s, me) => { s.bo_waits_evict.set(me.id, 0); }, next: 'b' },
              }),
          b_deadlk: {
            at: 'b',
            when: ww
              ? (s, me) =>
                  (s.bo_exec.get(0) !== -1 || s.bo_evict.get(0) !== -1) && s.bo_evict.get(0) !== me.id && s.bo_ctx_evict.get(me.id) !== 0 && (s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id) && s.bo_wounded_evict.get(me.id) &&
                  !((s.bo_exec.get(0) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(0)) : s.bo_evict.get(0) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(0)) : 0) > s.bo_ctx_evict.get(me.id) &&
                    !(s.bo_exec.get(0) !== -1 ? s.bo_wounded_exec.get(s.bo_exec.get(0)) : s.bo_evict.get(0) !== -1 ? s.bo_wounded_evict.get(s.bo_evict.get(0)) : false))
              : (s, me) =>
                  (s.bo_exec.get(0) !== -1 || s.bo_evict.get(0) !== -1) && s.bo_evict.get(0) !== me.id && s.bo_ctx_evict.get(me.id) !== 0 && (s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id) &&
                  (((s.bo_exec.get(0) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(0)) : s.bo_evict.get(0) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(0)) : 0) !== 0 &&
                    (s.bo_exec.get(0) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(0)) : s.bo_evict.get(0) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(0)) : 0) < s.bo_ctx_evict.get(me.id)) ||
                    (s.bo_waits_exec.get(0) === 0 && s.bo_ctx_exec.get(0) !== 0 && s.bo_ctx_exec.get(0) < s.bo_ctx_evict.get(me.id)) ||
                    (s.bo_waits_exec.get(1) === 0 && s.bo_ctx_exec.get(1) !== 0 && s.bo_ctx_exec.get(1) < s.bo_ctx_evict.get(me.id)) ||
                    (s.bo_waits_evict.get(0) === 0 && s.bo_ctx_evict.get(0) !== 0 && s.bo_ctx_evict.get(0) < s.bo_ctx_evict.get(me.id))),
            ...(ww ? {} : { then: (s, me) => { s.bo_waits_evict.set(me.id, -1); } }),
            next: 'back',
          },
          ...(ww
            ? {
                b_wound: {
                  at: 'b',
                  when: (s, me) =>
                    (s.bo_exec.get(0) !== -1 || s.bo_evict.get(0) !== -1) && s.bo_evict.get(0) !== me.id && s.bo_ctx_evict.get(me.id) !== 0 && (s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id) &&
                    (s.bo_exec.get(0) !== -1 ? s.bo_ctx_exec.get(s.bo_exec.get(0)) : s.bo_evict.get(0) !== -1 ? s.bo_ctx_evict.get(s.bo_evict.get(0)) : 0) > s.bo_ctx_evict.get(me.id) &&
                    !(s.bo_exec.get(0) !== -1 ? s.bo_wounded_exec.get(s.bo_exec.get(0)) : s.bo_evict.get(0) !== -1 ? s.bo_wounded_evict.get(s.bo_evict.get(0)) : false),
                  then: (s) => {
                    if (s.bo_exec.get(0) !== -1) s.bo_wounded_exec.set(s.bo_exec.get(0), true);
                    else if (s.bo_evict.get(0) !== -1) s.bo_wounded_evict.set(s.bo_evict.get(0), true);
                  },
                  next: 'b',
                },
              }
            : {}),
          back: { then: ww ? (s, me) => { s.bo_evict.set(1, -1); if (!(s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id)) s.bo_wounded_evict.set(me.id, false); } : (s) => { s.bo_evict.set(1, -1); }, next: 'fin' },
          c: {
            when: (s) => s.bo_exec.get(0) !== -1 || s.bo_evict.get(0) !== -1,
            then: ww
              ? (s, me) => {
                  s.bo_evict.set(0, -1);
                  if (!(s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id)) s.bo_wounded_evict.set(me.id, false);
                  s.bo_evict.set(1, -1);
                  if (!(s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id)) s.bo_wounded_evict.set(me.id, false);
                }
              : (s) => { s.bo_evict.set(0, -1); s.bo_evict.set(1, -1); },
            next: 'fin',
          },
          fin: { then: (s, me) => { s.assert(!(s.bo_evict.get(0) === me.id || s.bo_evict.get(1) === me.id), 'bo-fini-while-held'); s.bo_ctx_evict.set(me.id, 0); }, next: 'done' },
        },
      }),
    ],
  });
  return { blocks, hand };
}

test('ww_mutex (wound-wait and wait-die acquire contexts, -EDEADLK, ww_mutex_lock_slow, -EALREADY) = the hand-written one over two thread groups; without contexts, lock and ww_mutex_trylock are a mutex', (t) => {
  for (const algorithm of ['wound-wait', 'wait-die'] as const) {
    const { blocks, hand } = wwModels(algorithm);
    sameAs(t, blocks, hand);
    const r = search(buildModel(blocks, null), {});
    t.is(r.verdict, 'pass', algorithm);
    // The back-offs, the wounds and the slow lock all run: only -EALREADY does not (no thread here locks what it holds).
    t.deepEqual(r.coverage?.unfired, [{ thread: 'exec[*]', steps: ['b_already'] }], algorithm);
  }
  // Used without acquire contexts (ww_mutex_lock(lock, NULL), ww_mutex_trylock(lock, NULL)) it is a plain mutex: the counts of the mutex block's model (without POR: a first lock's assertion reads every lock of the array, which POR sees).
  const plain = (kind: 'ww' | 'mutex') => {
    const w = wwMutex('l', { A: 2 }, { locks: 2 });
    const m = mutex('l', ['A'], { count: 2 });
    return defineModel({
      name: `plain-${kind}`,
      blocks: [kind === 'ww' ? w : m],
      threads: [
        replicate(2, 'A', {
          start: 'a',
          end: ['done'],
          steps: {
            ...(kind === 'ww' ? w.lock('A', { at: 'a', ok: 'b' }, 'me.id') : { a: { ...m.lock('A', 'me.id'), next: 'b' } }),
            ...(kind === 'ww' ? w.trylock('A', { at: 'b', ok: 'c', busy: 'd' }, '1 - me.id') : m.trylock('A', { at: 'b', ok: 'c', busy: 'd' }, '1 - me.id')),
            c: { ...(kind === 'ww' ? w.unlock('A', '1 - me.id') : m.unlock('A', '1 - me.id')), next: 'd' },
            d: { ...(kind === 'ww' ? w.unlock('A', 'me.id') : m.unlock('A', 'me.id')), next: 'done' },
          },
        }),
      ],
    });
  };
  for (const opts of [{}, { deadlock: false }]) {
    const [a, b] = [search(buildModel(plain('ww'), null), opts), search(buildModel(plain('mutex'), null), opts)];
    t.deepEqual([a.verdict, a.stats.states, a.stats.transitions], [b.verdict, b.stats.states, b.stats.transitions], JSON.stringify(opts));
  }
  // A lock taken twice under one context: -EALREADY where the model handles it, else the thread waits for itself forever.
  for (const already of [true, false]) {
    const m = wwMutex('m', { T: 1 });
    const r = search(
      buildModel(
        defineModel({
          name: 'twice',
          blocks: [m],
          threads: [
            thread('T', {
              start: 'init',
              end: ['done'],
              steps: {
                init: { ...m.acquireInit(), next: 'a' },
                ...m.lock(undefined, { at: 'a', ok: 'b' }),
                ...m.lock(undefined, { at: 'b', ok: 'c', deadlk: 'c', ...(already ? { already: 'c' } : {}) }),
                c: { ...combine(m.unlock(), m.acquireFini()), next: 'done' },
              },
            }),
          ],
        }),
        null,
      ),
      {},
    );
    t.deepEqual([r.verdict, r.violation?.kind], already ? ['pass', undefined] : ['violation', 'deadlock']);
  }
  // One context more than the block was made for stops the search with a message that says what to raise (not a write outside the clock's domain).
  const once = wwMutex('m', { T: 1 });
  const again = defineModel({
    name: 'again',
    blocks: [once],
    threads: [thread('T', { start: 'a', end: ['done'], steps: { a: { ...once.acquireInit(), next: 'b' }, b: { ...once.acquireFini(), next: 'c' }, c: { ...once.acquireInit(), next: 'done' } } })],
  });
  const thrown = t.throws(() => search(buildModel(again, null), {}));
  t.is((thrown as { code?: string }).code, 'MC135');
  t.regex(thrown!.message, /acquire context 2 of the class, where contexts: 1 allows 1 .*give wwMutex a larger contexts/);
  // A second lock without a deadlk label (as if it could not fail) is the assertion that it was called holding none, in the first run that takes it so.
  const m2 = wwMutex('m', { T: 2 }, { locks: 2 });
  const unhandled = defineModel({
    name: 'unhandled',
    blocks: [m2],
    threads: [
      replicate(2, 'T', {
        start: 'init',
        end: ['done'],
        steps: {
          init: { ...m2.acquireInit(), next: 'a' },
          ...m2.lock(undefined, { at: 'a', ok: 'b' }, 'me.id'),
          ...m2.lock(undefined, { at: 'b', ok: 'c' }, '1 - me.id'),
          c: { ...combine(m2.unlock(undefined, '0'), m2.unlock(undefined, '1'), m2.acquireFini()), next: 'done' },
        },
      }),
    ],
  });
  const u = search(buildModel(unhandled, null), {});
  t.deepEqual([u.violation?.kind, u.violation?.kind === 'assertion' ? u.violation.property : null, u.violation?.steps.length], ['assertion', 'm-deadlk-unhandled', 3]);
  const bo = wwMutex('bo', { exec: 2, evict: 1 }, { locks: 2 });
  t.deepEqual(lockInstances(bo.locks[0]!, { 'bo_exec[0]': 1, 'bo_exec[1]': -1, 'bo_evict[0]': -1, 'bo_evict[1]': 0 }, ['exec[0]', 'exec[1]', 'evict']).map((l) => [l.lock, l.exclusive]), [['bo[0]', ['exec[1]']], ['bo[1]', ['evict']]]);
});
