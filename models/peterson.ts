import { defineModel, int, array, replicate } from '../src/index.ts';

/**
 * Peterson's filter lock for n processes, exactly as the classic benchmark
 * defines it (docs/benchmarks): the same reachable state space as the SPIN
 * and Rumur ports in bench/peers/. The program counter is the thread label;
 * `lev` and `k` are thread locals; `level`, `victim` and `incs` are shared.
 */
export default defineModel({
  name: 'peterson',
  title: "Peterson's filter lock (classic benchmark)",
  category: 'classic',
  params: { n: int(2, 6, 3) },
  expect: [
    { verdict: 'pass', states: 1710, transitions: 4066 },
    { verdict: 'pass', params: { n: 2 } },
    { verdict: 'pass', params: { n: 4 }, states: 105484, transitions: 328284 },
    { verdict: 'pass', params: { n: 5 }, states: 8262696, transitions: 32241420, bench: true },
  ],
  shared: ({ n }) => ({
    level: array(n, int(0, n)),
    victim: array(n + 1, int(0, n - 1)), // index 0 unused
    incs: int(0, n),
  }),
  threads: ({ n }) => [
    replicate(n, 'proc', {
      locals: { lev: int(0, n, 1), k: int(0, n) },
      start: 'SetLevel',
      steps: {
        setlevel: {
          at: 'SetLevel',
          then: (s, me) => {
            if (me.lev < n) s.level.set(me.id, me.lev);
            else s.incs = s.incs + 1;
          },
          next: (s, me) => (me.lev < n ? 'SetVictim' : 'Crit'),
        },
        setvictim: {
          at: 'SetVictim',
          then: (s, me) => {
            s.victim.set(me.lev, me.id);
            me.k = 0;
          },
          next: 'Scan',
        },
        scan: {
          at: 'Scan',
          when: (s, me) => me.k === n || me.k === me.id || s.level.get(me.k) < me.lev || s.victim.get(me.lev) !== me.id,
          then: (s, me) => {
            if (me.k === n) {
              me.lev = me.lev + 1;
              me.k = 0;
            } else me.k = me.k + 1;
          },
          next: (s, me) => (me.k === 0 ? 'SetLevel' : 'Scan'),
        },
        exit: {
          at: 'Crit',
          then: (s, me) => {
            s.incs = s.incs - 1;
            s.level.set(me.id, 0);
            me.lev = 1;
          },
          next: 'SetLevel',
        },
      },
    }),
  ],
  invariants: { mutex: (s) => s.incs <= 1 },
});
