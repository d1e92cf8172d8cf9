import { defineModel, int, array, bool, replicate } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Lamport's bakery algorithm with bounded tickets, one step per shared
 * access, in the same steps as its SPIN port (bench/peers/classic.ts). The
 * maximum is computed one element at a time into the local `mx`; a ticket is
 * taken only while `mx < n` (the bound: a process whose ticket would exceed
 * it waits), so the checks run with deadlock detection off (a process can
 * wait at the bound while the others wait for its `choosing` flag).
 *
 * The unreduced state and transition counts in `expect` are SPIN's with
 * -DNOREDUCE on that port (bench/por-classic.ts compares them).
 */
export default builtin(import.meta.url, defineModel({
  name: 'bakery',
  title: "Lamport's bakery, bounded tickets (classic benchmark)",
  category: 'classic',
  params: { n: int(2, 5, 3) },
  deadlock: false,
  variants: {
    classic: 'one step per shared access, the loops over j folded into their tests',
    fine: 'one step per statement of the textbook Promela port (bench/peers/classic-fine.ts): loop tests and local updates are steps of their own',
  },
  expect: {
    classic: [
      { verdict: 'pass', states: 16861, transitions: 42059 },
      { verdict: 'pass', params: { n: 2 }, states: 253, transitions: 433 },
      { verdict: 'pass', params: { n: 4 }, states: 1566931, transitions: 5154265, bench: true },
    ],
    fine: [
      { verdict: 'pass', states: 357036, transitions: 1003645 },
      { verdict: 'pass', params: { n: 2 }, states: 1842, transitions: 3492 },
    ],
  },
  shared: ({ n }) => ({ choosing: array(n, bool()), num: array(n, int(0, n)), incs: int(0, n) }),
  threads: ({ n }, variant) => [
    variant === 'fine'
      ? replicate(n, 'P', {
          // One step per statement of the textbook port, one label per control location there.
          locals: { j: int(0, n), mx: int(0, n) },
          start: 'NCS',
          steps: {
            choose: { at: 'NCS', then: (s, me) => s.choosing.set(me.id, true), next: 'M0' },
            m0: { at: 'M0', then: (s, me) => { me.mx = 0; }, next: 'J0' },
            j0: { at: 'J0', then: (s, me) => { me.j = 0; }, next: 'Max' },
            max_more: { at: 'Max', when: (s, me) => me.j < n, next: 'MaxA' },
            max_done: { at: 'Max', when: (s, me) => me.j === n, next: 'Bound' },
            max_bigger: { at: 'MaxA', when: (s, me) => s.num.get(me.j) > me.mx, next: 'MaxB' },
            max_smaller: { at: 'MaxA', when: (s, me) => s.num.get(me.j) <= me.mx, next: 'MaxC' },
            max_take: { at: 'MaxB', then: (s, me) => { me.mx = s.num.get(me.j); }, next: 'MaxC' },
            max_inc: { at: 'MaxC', then: (s, me) => { me.j = me.j + 1; }, next: 'Max' },
            bound: { at: 'Bound', when: (s, me) => me.mx < n, next: 'Take' },
            take: { at: 'Take', then: (s, me) => s.num.set(me.id, me.mx + 1), next: 'Chosen' },
            chosen: { at: 'Chosen', then: (s, me) => s.choosing.set(me.id, false), next: 'J1' },
            j1: { at: 'J1', then: (s, me) => { me.j = 0; }, next: 'Wait' },
            wait_more: { at: 'Wait', when: (s, me) => me.j < n, next: 'WaitA' },
            wait_done: { at: 'Wait', when: (s, me) => me.j === n, next: 'Enter' },
            wait_choosing: { at: 'WaitA', when: (s, me) => !s.choosing.get(me.j), next: 'WaitB' },
            wait_ticket: {
              at: 'WaitB',
              when: (s, me) => s.num.get(me.j) === 0 || s.num.get(me.j) > s.num.get(me.id) || (s.num.get(me.j) === s.num.get(me.id) && me.j >= me.id),
              next: 'WaitC',
            },
            wait_inc: { at: 'WaitC', then: (s, me) => { me.j = me.j + 1; }, next: 'Wait' },
            enter: { at: 'Enter', then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
            exit: { at: 'CS', then: (s) => { s.incs = s.incs - 1; }, next: 'Exit' },
            reset: { at: 'Exit', then: (s, me) => s.num.set(me.id, 0), next: 'NCS' },
          },
        })
      : replicate(n, 'P', {
      locals: { j: int(0, n), mx: int(0, n) },
      start: 'NCS',
      steps: {
        choose: { at: 'NCS', then: (s, me) => s.choosing.set(me.id, true), next: 'Max' },
        max_next: {
          at: 'Max',
          when: (s, me) => me.j < n,
          then: (s, me) => {
            if (s.num.get(me.j) > me.mx) me.mx = s.num.get(me.j);
            me.j = me.j + 1;
          },
          next: 'Max',
        },
        take: {
          at: 'Max',
          when: (s, me) => me.j === n && me.mx < n,
          then: (s, me) => {
            s.num.set(me.id, me.mx + 1);
            me.j = 0;
            me.mx = 0;
          },
          next: 'Chosen',
        },
        chosen: { at: 'Chosen', then: (s, me) => s.choosing.set(me.id, false), next: 'Wait1' },
        wait1: { at: 'Wait1', when: (s, me) => me.j < n && !s.choosing.get(me.j), next: 'Wait2' },
        enter: { at: 'Wait1', when: (s, me) => me.j === n, then: (s, me) => { me.j = 0; s.incs = s.incs + 1; }, next: 'CS' },
        wait2: {
          at: 'Wait2',
          when: (s, me) => s.num.get(me.j) === 0 || s.num.get(me.j) > s.num.get(me.id) || (s.num.get(me.j) === s.num.get(me.id) && me.j >= me.id),
          then: (s, me) => { me.j = me.j + 1; },
          next: 'Wait1',
        },
        exit: { at: 'CS', then: (s, me) => { s.incs = s.incs - 1; s.num.set(me.id, 0); }, next: 'NCS' },
      },
    }),
  ],
  invariants: { mutex: (s) => s.incs <= 1 },
}));
