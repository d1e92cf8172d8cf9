import { bool, defineModel, int, thread, type StateView } from '../../src/index.ts';

/**
 * A model whose only counterexample is long: two threads take turns
 * incrementing a counter (the even thread on even values, the odd one on odd
 * values), each also setting or clearing a lock-like flag. Variant `overflow`:
 * the invariant says the counter stays below `n`, so the shortest violation
 * is exactly `n` steps, alternating threads. Variant `spin`: at `n` the even
 * thread spins on the flag forever while the odd one, whose every increment is
 * progress, waits: a livelock whose lasso has an `n`-step
 * stem. Exercises rendering and replay on traces of any length
 * (`mmcheck check test/helpers/long-model.ts --variant overflow -p n=150000`).
 */
export default defineModel({
  name: 'long-counter',
  params: { n: int(1, 1_000_000, 1000) },
  variants: { overflow: 'the counter reaches n: an invariant violation', spin: 'at n the even thread spins: a livelock' },
  shared: ({ n }) => ({ c: int(0, n), held: bool() }),
  threads: ({ n }, variant) => [
    thread('even', {
      start: 'L',
      steps: {
        bump: { at: 'L', when: (s) => s.c < n && s.c % 2 === 0, then: (s) => { s.c = s.c + 1; s.held = true; }, next: 'L' },
        ...(variant === 'spin' ? { spin: { at: 'L', when: (s) => s.c === n, then: (s) => { s.held = !s.held; }, next: 'L' } } : {}),
      },
    }),
    thread('odd', {
      start: 'L',
      steps: {
        bump: { at: 'L', when: (s) => s.c < n && s.c % 2 === 1, then: (s) => { s.c = s.c + 1; s.held = false; }, next: 'L', progress: true },
      },
    }),
  ],
  invariants: ({ n }, variant) => {
    const inv: Record<string, (s: StateView) => boolean> = {};
    if (variant === 'overflow') inv.below = (s) => s.c < n;
    return inv;
  },
});
