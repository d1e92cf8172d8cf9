import { bool, defineModel, int, thread } from '../../src/index.ts';

/**
 * A model whose only counterexample is long: two threads take turns
 * incrementing a counter (the even thread on even values, the odd one on odd
 * values), and the invariant says the counter stays below `n`. The shortest
 * violation is exactly `n` steps, alternating threads, each changing the
 * counter and a lock-like flag; it exercises rendering and replay on traces
 * of any length (`mmcheck check test/helpers/long-model.ts -p n=150000`).
 */
export default defineModel({
  name: 'long-counter',
  params: { n: int(1, 1_000_000, 1000) },
  shared: ({ n }) => ({ c: int(0, n), held: bool() }),
  threads: ({ n }) => [
    thread('even', {
      start: 'L',
      steps: { bump: { at: 'L', when: (s) => s.c < n && s.c % 2 === 0, then: (s) => { s.c = s.c + 1; s.held = true; }, next: 'L' } },
    }),
    thread('odd', {
      start: 'L',
      steps: { bump: { at: 'L', when: (s) => s.c < n && s.c % 2 === 1, then: (s) => { s.c = s.c + 1; s.held = false; }, next: 'L' } },
    }),
  ],
  invariants: ({ n }) => ({ below: (s) => s.c < n }),
});
