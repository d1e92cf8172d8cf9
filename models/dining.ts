import { defineModel, int, array, bool, replicate } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Dining philosophers, left fork first (classic benchmark, as defined in
 * bench/peers/README.md):
 * deadlocks when every philosopher holds its left fork. The state counts in
 * the expectations are with deadlock detection off.
 */
export default builtin(import.meta.url, defineModel({
  name: 'dining',
  title: 'Dining philosophers, left fork first (classic benchmark)',
  category: 'classic',
  params: { n: int(2, 16, 5) },
  expect: [
    { verdict: 'violation', kind: 'deadlock', length: 5 },
    { verdict: 'pass', params: { n: 3 }, deadlock: false, states: 14, transitions: 27 },
    { verdict: 'pass', params: { n: 5 }, deadlock: false, states: 82, transitions: 265 },
    { verdict: 'pass', params: { n: 8 }, deadlock: false, states: 1154, transitions: 5968 },
    { verdict: 'pass', params: { n: 10 }, deadlock: false, states: 6726, transitions: 43480 },
    { verdict: 'pass', params: { n: 12 }, deadlock: false, states: 39202, transitions: 304104 },
  ],
  shared: ({ n }) => ({ fork: array(n, bool()) }),
  threads: ({ n }) => [
    replicate(n, 'phil', {
      start: 'Think',
      steps: {
        take_left: {
          at: 'Think',
          when: (s, me) => !s.fork.get(me.id),
          then: (s, me) => s.fork.set(me.id, true),
          next: 'HasLeft',
        },
        take_right: {
          at: 'HasLeft',
          when: (s, me) => !s.fork.get((me.id + 1) % n),
          then: (s, me) => s.fork.set((me.id + 1) % n, true),
          next: 'Eat',
        },
        put: {
          at: 'Eat',
          then: (s, me) => {
            s.fork.set(me.id, false);
            s.fork.set((me.id + 1) % n, false);
          },
          next: 'Think',
        },
      },
    }),
  ],
}));
