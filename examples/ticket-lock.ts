import { defineModel, int, array, bool, replicate } from 'mmcheck';

/**
 * n CPUs taking a lock around a critical section, forever: a ticket lock,
 * which serves them in the order they took their tickets, and a
 * test-and-set spinlock, under which a waiting CPU can lose every race for
 * the lock to the others (starvation, under weak fairness: it is enabled
 * only while the lock is free, not continuously).
 *
 * Run: mmcheck check examples/ticket-lock.ts -p n=4
 *      mmcheck check examples/ticket-lock.ts --variant test-and-set
 *      mmcheck check examples/ticket-lock.ts -p n=6 --symmetry
 */
export default defineModel({
  name: 'ticket-lock',
  category: 'example',
  params: { n: int(2, 7, 3) },
  variants: {
    ticket: 'a CPU takes the next ticket and waits until the lock serves it',
    'test-and-set': 'a CPU takes the lock whenever it finds it free',
  },
  expect: {
    ticket: [{ verdict: 'pass' }, { verdict: 'pass', params: { n: 5 } }],
    'test-and-set': { verdict: 'violation', kind: 'livelock', property: 'starvation' },
  },
  // Tickets and the count served wrap around at n + 1: at most n are ever out.
  shared: ({ n }) => ({
    next: int(0, n),
    serving: int(0, n),
    mine: array(n, int(0, n)).indexedBy('cpu'),
    locked: bool(),
    inside: int(0, n),
  }),
  threads: ({ n }, variant) => [
    replicate(n, 'cpu', {
      start: 'idle',
      progress: ['cs'],
      steps:
        variant === 'ticket'
          ? {
              take: { at: 'idle', then: (s, me) => { s.mine.set(me.id, s.next); s.next = (s.next + 1) % (n + 1); }, next: 'wait' },
              enter: { at: 'wait', when: (s, me) => s.serving === s.mine.get(me.id), then: (s) => { s.inside = s.inside + 1; }, next: 'cs' },
              leave: { at: 'cs', then: (s) => { s.inside = s.inside - 1; s.serving = (s.serving + 1) % (n + 1); }, next: 'idle' },
            }
          : {
              want: { at: 'idle', next: 'wait' },
              enter: { at: 'wait', when: (s) => !s.locked, then: (s) => { s.locked = true; s.inside = s.inside + 1; }, next: 'cs' },
              leave: { at: 'cs', then: (s) => { s.inside = s.inside - 1; s.locked = false; }, next: 'idle' },
            },
    }),
  ],
  invariants: { 'mutual-exclusion': (s) => s.inside <= 1 },
});
