import { defineModel, int, array, bool, replicate } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * The MCS queue lock (Mellor-Crummey and Scott 1991), one queue node per
 * process (`next[i]`, `locked[i]`; `n` = nil), the fetch-and-store and the
 * compare-and-swap on `tail` each one step, in the same steps as its SPIN
 * port (bench/peers/classic.ts). `pred` is a process-local variable.
 *
 * The unreduced state and transition counts in `expect` are SPIN's with
 * -DNOREDUCE on that port (bench/por-classic.ts compares them).
 */
export default builtin(import.meta.url, defineModel({
  name: 'mcs',
  title: 'MCS queue lock (classic benchmark)',
  category: 'classic',
  params: { n: int(2, 5, 3) },
  variants: {
    classic: 'one step per shared access; pred reset after use',
    fine: 'one step per statement of the textbook Promela port (bench/peers/classic-fine.ts): loop tests and local updates are steps of their own',
  },
  expect: {
    classic: [
      { verdict: 'pass', states: 1064, transitions: 2700 },
      { verdict: 'pass', params: { n: 2 }, states: 74, transitions: 130 },
      { verdict: 'pass', params: { n: 4 }, states: 18944, transitions: 62984 },
    ],
    fine: [
      { verdict: 'pass', states: 85546, transitions: 235914 },
      { verdict: 'pass', params: { n: 2 }, states: 884, transitions: 1632 },
    ],
  },
  shared: ({ n }) => ({ tail: int(0, n, n), next: array(n, int(0, n, n)), locked: array(n, bool()), incs: int(0, n) }),
  threads: ({ n }, variant) => [
    variant === 'fine'
      ? replicate(n, 'P', {
          // One step per statement of the textbook port (pred kept after use, the compare-and-swap's
          // outcome in the local ok), one label per control location there.
          locals: { pred: int(0, n, n), ok: bool() },
          start: 'NCS',
          steps: {
            clear: { at: 'NCS', then: (s, me) => s.next.set(me.id, n), next: 'Swap' },
            swap: { at: 'Swap', then: (s, me) => { me.pred = s.tail; s.tail = me.id; }, next: 'HasPred' },
            queued: { at: 'HasPred', when: (s, me) => me.pred !== n, next: 'Lock' },
            alone: { at: 'HasPred', when: (s, me) => me.pred === n, next: 'Enter' },
            lock: { at: 'Lock', then: (s, me) => s.locked.set(me.id, true), next: 'Link' },
            link: { at: 'Link', then: (s, me) => s.next.set(me.pred, me.id), next: 'Spin' },
            spin: { at: 'Spin', when: (s, me) => !s.locked.get(me.id), next: 'Enter' },
            enter: { at: 'Enter', then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
            exit: { at: 'CS', then: (s) => { s.incs = s.incs - 1; }, next: 'R1' },
            r1_nosucc: { at: 'R1', when: (s, me) => s.next.get(me.id) === n, next: 'CAS' },
            r1_succ: { at: 'R1', when: (s, me) => s.next.get(me.id) !== n, next: 'Hand' },
            cas: {
              at: 'CAS',
              then: (s, me) => {
                const mine = s.tail === me.id;
                me.ok = mine;
                if (mine) s.tail = n;
              },
              next: 'CASr',
            },
            cas_ok: { at: 'CASr', when: (s, me) => me.ok, next: 'NCS' },
            cas_fail: { at: 'CASr', when: (s, me) => !me.ok, next: 'AwaitSucc' },
            await_succ: { at: 'AwaitSucc', when: (s, me) => s.next.get(me.id) !== n, next: 'Hand' },
            hand: { at: 'Hand', then: (s, me) => s.locked.set(s.next.get(me.id), false), next: 'NCS' },
          },
        })
      : replicate(n, 'P', {
      locals: { pred: int(0, n, n) },
      start: 'NCS',
      steps: {
        clear: { at: 'NCS', then: (s, me) => s.next.set(me.id, n), next: 'Swap' },
        // pred := fetch_and_store(tail, I)
        swap: { at: 'Swap', then: (s, me) => { me.pred = s.tail; s.tail = me.id; }, next: 'HasPred' },
        alone: { at: 'HasPred', when: (s, me) => me.pred === n, then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
        queued: { at: 'HasPred', when: (s, me) => me.pred !== n, then: (s, me) => s.locked.set(me.id, true), next: 'Link' },
        link: { at: 'Link', then: (s, me) => { s.next.set(me.pred, me.id); me.pred = n; }, next: 'Spin' },
        spin: { at: 'Spin', when: (s, me) => !s.locked.get(me.id), then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
        exit: { at: 'CS', then: (s) => { s.incs = s.incs - 1; }, next: 'R1' },
        r1_nosucc: { at: 'R1', when: (s, me) => s.next.get(me.id) === n, next: 'CAS' },
        r1_succ: { at: 'R1', when: (s, me) => s.next.get(me.id) !== n, next: 'Hand' },
        // compare_and_swap(tail, I, nil)
        cas_ok: { at: 'CAS', when: (s, me) => s.tail === me.id, then: (s) => { s.tail = n; }, next: 'NCS' },
        cas_fail: { at: 'CAS', when: (s, me) => s.tail !== me.id, next: 'AwaitSucc' },
        await_succ: { at: 'AwaitSucc', when: (s, me) => s.next.get(me.id) !== n, next: 'Hand' },
        hand: { at: 'Hand', then: (s, me) => s.locked.set(s.next.get(me.id), false), next: 'NCS' },
      },
    }),
  ],
  invariants: { mutex: (s) => s.incs <= 1 },
}));
