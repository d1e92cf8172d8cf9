import { defineModel, int, array, replicate } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Szymański's mutual exclusion algorithm (1988), in the usual flag-based
 * form (flag values 0..4), one step per shared access, in the same steps as
 * its SPIN port (bench/peers/classic.ts). Every "await for all j" and
 * "exists j" is a loop over the local `j`, one element per step.
 *
 * The unreduced state and transition counts in `expect` are SPIN's with
 * -DNOREDUCE on that port (bench/por-classic.ts compares them).
 */
export default builtin(import.meta.url, defineModel({
  name: 'szymanski',
  title: "Szymański's mutex (classic benchmark)",
  category: 'classic',
  params: { n: int(2, 5, 3) },
  variants: {
    classic: 'one step per shared access, the loops over j folded into their tests',
    fine: 'one step per statement of the textbook Promela port (bench/peers/classic-fine.ts): loop tests, `j = 0`, `j++` are steps of their own',
  },
  expect: {
    classic: [
      { verdict: 'pass', states: 3803, transitions: 10036 },
      { verdict: 'pass', params: { n: 2 }, states: 179, transitions: 317 },
      { verdict: 'pass', params: { n: 4 }, states: 100296, transitions: 355462 },
    ],
    fine: [
      { verdict: 'pass', states: 62267, transitions: 178166 },
      { verdict: 'pass', params: { n: 2 }, states: 993, transitions: 1902 },
    ],
  },
  shared: ({ n }) => ({ flag: array(n, int(0, 4)), incs: int(0, n) }),
  threads: ({ n }, variant) => [
    variant === 'fine'
      ? replicate(n, 'P', {
          // One step per statement of the textbook port, one label per control location there.
          locals: { j: int(0, n) },
          start: 'NCS',
          steps: {
            intent: { at: 'NCS', then: (s, me) => s.flag.set(me.id, 1), next: 'J1' },
            j1: { at: 'J1', then: (s, me) => { me.j = 0; }, next: 'W1' },
            w1_more: { at: 'W1', when: (s, me) => me.j < n, next: 'W1a' },
            w1_done: { at: 'W1', when: (s, me) => me.j === n, next: 'F3' },
            w1_wait: { at: 'W1a', when: (s, me) => s.flag.get(me.j) < 3, next: 'W1b' },
            w1_inc: { at: 'W1b', then: (s, me) => { me.j = me.j + 1; }, next: 'W1' },
            f3: { at: 'F3', then: (s, me) => s.flag.set(me.id, 3), next: 'J2' },
            j2: { at: 'J2', then: (s, me) => { me.j = 0; }, next: 'C1' },
            c1_more: { at: 'C1', when: (s, me) => me.j < n, next: 'C1a' },
            c1_none: { at: 'C1', when: (s, me) => me.j === n, next: 'F4' },
            c1_found: { at: 'C1a', when: (s, me) => s.flag.get(me.j) === 1, next: 'F2' },
            c1_other: { at: 'C1a', when: (s, me) => s.flag.get(me.j) !== 1, next: 'C1b' },
            c1_inc: { at: 'C1b', then: (s, me) => { me.j = me.j + 1; }, next: 'C1' },
            f2: { at: 'F2', then: (s, me) => s.flag.set(me.id, 2), next: 'J3' },
            j3: { at: 'J3', then: (s, me) => { me.j = 0; }, next: 'W2' },
            w2_found: { at: 'W2', when: (s, me) => s.flag.get(me.j) === 4, next: 'F4' },
            w2_other: { at: 'W2', when: (s, me) => s.flag.get(me.j) !== 4, next: 'W2b' },
            w2_inc: { at: 'W2b', then: (s, me) => { me.j = (me.j + 1) % n; }, next: 'W2' },
            f4: { at: 'F4', then: (s, me) => s.flag.set(me.id, 4), next: 'J4' },
            j4: { at: 'J4', then: (s, me) => { me.j = 0; }, next: 'W3' },
            w3_more: { at: 'W3', when: (s, me) => me.j < me.id, next: 'W3a' },
            w3_done: { at: 'W3', when: (s, me) => me.j === me.id, next: 'Enter' },
            w3_wait: { at: 'W3a', when: (s, me) => s.flag.get(me.j) < 2, next: 'W3b' },
            w3_inc: { at: 'W3b', then: (s, me) => { me.j = me.j + 1; }, next: 'W3' },
            enter: { at: 'Enter', then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
            exit: { at: 'CS', then: (s) => { s.incs = s.incs - 1; }, next: 'J5' },
            j5: { at: 'J5', then: (s, me) => { me.j = me.id + 1; }, next: 'W4' },
            w4_more: { at: 'W4', when: (s, me) => me.j < n, next: 'W4a' },
            w4_done: { at: 'W4', when: (s, me) => me.j === n, next: 'X' },
            w4_wait: { at: 'W4a', when: (s, me) => s.flag.get(me.j) < 2 || s.flag.get(me.j) > 3, next: 'W4b' },
            w4_inc: { at: 'W4b', then: (s, me) => { me.j = me.j + 1; }, next: 'W4' },
            release: { at: 'X', then: (s, me) => s.flag.set(me.id, 0), next: 'NCS' },
          },
        })
      : replicate(n, 'P', {
      locals: { j: int(0, n) },
      start: 'NCS',
      steps: {
        intent: { at: 'NCS', then: (s, me) => s.flag.set(me.id, 1), next: 'W1' },
        // await for all j: flag[j] < 3
        w1_next: { at: 'W1', when: (s, me) => me.j < n && s.flag.get(me.j) < 3, then: (s, me) => { me.j = me.j + 1; }, next: 'W1' },
        w1_done: { at: 'W1', when: (s, me) => me.j === n, then: (s, me) => { me.j = 0; }, next: 'F3' },
        f3: { at: 'F3', then: (s, me) => s.flag.set(me.id, 3), next: 'C1' },
        // if exists j: flag[j] == 1 then wait at 2 for a 4, else go on
        c1_next: { at: 'C1', when: (s, me) => me.j < n && s.flag.get(me.j) !== 1, then: (s, me) => { me.j = me.j + 1; }, next: 'C1' },
        c1_found: { at: 'C1', when: (s, me) => me.j < n && s.flag.get(me.j) === 1, then: (s, me) => { me.j = 0; }, next: 'F2' },
        c1_none: { at: 'C1', when: (s, me) => me.j === n, then: (s, me) => { me.j = 0; }, next: 'F4' },
        f2: { at: 'F2', then: (s, me) => s.flag.set(me.id, 2), next: 'W2' },
        // await exists j: flag[j] == 4 (scanning round and round)
        w2_found: { at: 'W2', when: (s, me) => s.flag.get(me.j) === 4, then: (s, me) => { me.j = 0; }, next: 'F4' },
        w2_next: { at: 'W2', when: (s, me) => s.flag.get(me.j) !== 4, then: (s, me) => { me.j = (me.j + 1) % n; }, next: 'W2' },
        f4: { at: 'F4', then: (s, me) => s.flag.set(me.id, 4), next: 'W3' },
        // await for all j < i: flag[j] < 2
        w3_next: { at: 'W3', when: (s, me) => me.j < me.id && s.flag.get(me.j) < 2, then: (s, me) => { me.j = me.j + 1; }, next: 'W3' },
        w3_done: { at: 'W3', when: (s, me) => me.j === me.id, then: (s, me) => { me.j = 0; s.incs = s.incs + 1; }, next: 'CS' },
        exit: { at: 'CS', then: (s, me) => { s.incs = s.incs - 1; me.j = me.id + 1; }, next: 'W4' },
        // await for all j > i: flag[j] < 2 or flag[j] > 3
        w4_next: { at: 'W4', when: (s, me) => me.j < n && (s.flag.get(me.j) < 2 || s.flag.get(me.j) > 3), then: (s, me) => { me.j = me.j + 1; }, next: 'W4' },
        w4_done: { at: 'W4', when: (s, me) => me.j === n, then: (s, me) => { me.j = 0; }, next: 'X' },
        release: { at: 'X', then: (s, me) => s.flag.set(me.id, 0), next: 'NCS' },
      },
    }),
  ],
  invariants: { mutex: (s) => s.incs <= 1 },
}));
