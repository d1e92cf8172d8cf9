import { defineModel, bool, oneOf, threadId, replicate } from 'mmcheck';

/**
 * A spinlock-protected counter with a lost-wakeup bug in one variant.
 * Run: mmcheck check examples/lock.ts --variant test-then-set
 */
export default defineModel({
  name: 'lock-example',
  category: 'example',
  params: {},
  variants: {
    'atomic-xchg': 'take the lock with one atomic exchange',
    'test-then-set': 'test the lock, then set it in a separate step (racy)',
  },
  expect: {
    'atomic-xchg': { verdict: 'pass' },
    'test-then-set': { verdict: 'violation', kind: 'invariant', property: 'mutual-exclusion' },
  },
  shared: {
    locked: bool(),
    owner: threadId('cpu', { none: true }),
    inside: oneOf('nobody', 'one', 'two'),
  },
  threads: (_p, variant) => [
    replicate(2, 'cpu', {
      start: 'acquire',
      end: ['done'],
      steps:
        variant === 'atomic-xchg'
          ? {
              acquire: { when: (s) => !s.locked, then: (s, me) => { s.locked = true; s.owner = me.id; }, next: 'enter' },
              enter: { then: (s) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }, next: 'leave' },
              leave: { then: (s) => { s.inside = s.inside === 'two' ? 'one' : 'nobody'; s.locked = false; s.owner = -1; }, next: 'done', progress: true },
            }
          : {
              acquire: { when: (s) => !s.locked, next: 'set' },
              set: { then: (s, me) => { s.locked = true; s.owner = me.id; }, next: 'enter' },
              enter: { then: (s) => { s.inside = s.inside === 'nobody' ? 'one' : 'two'; }, next: 'leave' },
              leave: { then: (s) => { s.inside = s.inside === 'two' ? 'one' : 'nobody'; s.locked = false; s.owner = -1; }, next: 'done', progress: true },
            },
    }),
  ],
  invariants: { 'mutual-exclusion': (s) => s.inside !== 'two' },
});
