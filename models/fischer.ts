import { defineModel, int, array, thread, replicate, type ThreadDef } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Fischer's timed mutual exclusion protocol in discrete time, one step per
 * shared access, in the same steps as its SPIN port (bench/peers/classic.ts).
 *
 * A process waits for `x == 0`, then must write `x := id + 1` within
 * DELTA = 1 tick, then waits WAIT = 2 ticks and enters if `x` still names
 * it. Time is a `clock` thread whose tick advances the timers `clk[i]` of the
 * processes that are between the test and the check (`ph[i]` is 1 after the
 * test, 2 after the write; it mirrors the label so the clock needs no labels),
 * and which cannot tick while a process after the test has used up its
 * DELTA (the deadline is urgent). `untimed` drops the deadline: the classic
 * mutual-exclusion failure of Fischer's protocol without timing.
 *
 * The unreduced state and transition counts in `expect` are SPIN's with
 * -DNOREDUCE on that port (bench/por-classic.ts compares them).
 */
const DELTA = 1;
const WAIT = 2;

export default builtin(import.meta.url, defineModel({
  name: 'fischer',
  title: "Fischer's protocol, discrete time (classic benchmark)",
  category: 'classic',
  params: { n: int(2, 5, 3) },
  variants: {
    timed: 'the write within DELTA of the test is enforced (urgent deadline); the wait is longer',
    untimed: 'no deadline on the write: a slow writer overwrites x after another process checked it',
    fine: 'timed, one step per statement of the textbook Promela port (bench/peers/classic-fine.ts): the check of x, the entry and the release of x are steps of their own',
  },
  expect: {
    timed: [
      { verdict: 'pass', states: 414, transitions: 1079 },
      { verdict: 'pass', params: { n: 2 }, states: 63, transitions: 136 },
      { verdict: 'pass', params: { n: 4 }, states: 2661, transitions: 7996 },
    ],
    untimed: [
      { verdict: 'violation', kind: 'invariant', property: 'mutex', length: 12 },
      { verdict: 'violation', params: { n: 2 }, kind: 'invariant', property: 'mutex', length: 12 },
    ],
    fine: [
      { verdict: 'pass', states: 468, transitions: 1259 },
      { verdict: 'pass', params: { n: 2 }, states: 75, transitions: 168 },
    ],
  },
  shared: ({ n }) => ({ x: int(0, n), ph: array(n, int(0, 2)), clk: array(n, int(0, WAIT)), incs: int(0, n) }),
  threads: ({ n }, variant) => {
    const urgent = variant !== 'untimed';
    const clock: ThreadDef = {
      start: 'T',
      steps: {
        tick: {
          at: 'T',
          when: (s) => {
            if (!urgent) return true;
            for (let i = 0; i < n; i++) if (s.ph.get(i) === 1 && s.clk.get(i) >= DELTA) return false;
            return true;
          },
          then: (s) => {
            for (let i = 0; i < n; i++) if (s.ph.get(i) !== 0 && s.clk.get(i) < WAIT) s.clk.set(i, s.clk.get(i) + 1);
          },
          next: 'T',
        },
      },
    };
    if (variant === 'fine')
      return [
        replicate(n, 'P', {
          start: 'Idle',
          steps: {
            test: { at: 'Idle', when: (s) => s.x === 0, then: (s, me) => { s.ph.set(me.id, 1); s.clk.set(me.id, 0); }, next: 'Set' },
            set: { at: 'Set', then: (s, me) => { s.x = me.id + 1; s.ph.set(me.id, 2); s.clk.set(me.id, 0); }, next: 'Delay' },
            delay: { at: 'Delay', when: (s, me) => s.clk.get(me.id) >= WAIT, then: (s, me) => { s.ph.set(me.id, 0); s.clk.set(me.id, 0); }, next: 'Check' },
            mine: { at: 'Check', when: (s, me) => s.x === me.id + 1, next: 'Enter' },
            retry: { at: 'Check', when: (s, me) => s.x !== me.id + 1, next: 'Idle' },
            enter: { at: 'Enter', then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
            exit: { at: 'CS', then: (s) => { s.incs = s.incs - 1; }, next: 'Release' },
            release: { at: 'Release', then: (s) => { s.x = 0; }, next: 'Idle' },
          },
        }),
        thread('clock', clock),
      ];
    return [
      replicate(n, 'P', {
        start: 'Idle',
        steps: {
          test: { at: 'Idle', when: (s) => s.x === 0, then: (s, me) => { s.ph.set(me.id, 1); s.clk.set(me.id, 0); }, next: 'Set' },
          set: { at: 'Set', then: (s, me) => { s.x = me.id + 1; s.ph.set(me.id, 2); s.clk.set(me.id, 0); }, next: 'Delay' },
          delay: { at: 'Delay', when: (s, me) => s.clk.get(me.id) >= WAIT, then: (s, me) => { s.ph.set(me.id, 0); s.clk.set(me.id, 0); }, next: 'Check' },
          enter: { at: 'Check', when: (s, me) => s.x === me.id + 1, then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
          retry: { at: 'Check', when: (s, me) => s.x !== me.id + 1, next: 'Idle' },
          exit: { at: 'CS', then: (s) => { s.incs = s.incs - 1; s.x = 0; }, next: 'Idle' },
        },
      }),
      thread('clock', clock),
    ];
  },
  invariants: { mutex: (s) => s.incs <= 1 },
}));
