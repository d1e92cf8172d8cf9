import { defineModel, int, array, bool, replicate } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/**
 * Lamport's fast mutual exclusion algorithm (Lamport 1987, "A fast mutual
 * exclusion algorithm", Fig. 2), one step per shared access, in the same
 * steps as its SPIN port (bench/peers/classic.ts: one Promela statement per
 * step, `j` a process-local variable). Process ids are 1..n in the paper
 * (0 = nobody), so `x` and `y` hold `me.id + 1`. `incs` counts the processes
 * in the critical section.
 *
 * The unreduced state and transition counts in `expect` are SPIN's with
 * -DNOREDUCE on that port (bench/por-classic.ts compares them).
 */
export default builtin(import.meta.url, defineModel({
  name: 'lamport-fast',
  title: "Lamport's fast mutex (classic benchmark)",
  category: 'classic',
  params: { n: int(2, 6, 3) },
  variants: {
    classic: 'one step per shared access, the scan over j folded into its tests',
    fine: 'one step per statement of the textbook Promela port (bench/peers/classic-fine.ts): loop tests and local updates are steps of their own',
  },
  expect: {
    classic: [
      { verdict: 'pass', states: 11096, transitions: 29232 },
      { verdict: 'pass', params: { n: 2 }, states: 334, transitions: 618 },
      { verdict: 'pass', params: { n: 4 }, states: 346040, transitions: 1176608, bench: true },
    ],
    fine: [
      { verdict: 'pass', states: 132002, transitions: 362550 },
      { verdict: 'pass', params: { n: 2 }, states: 1780, transitions: 3352 },
    ],
  },
  shared: ({ n }) => ({ b: array(n, bool()), x: int(0, n), y: int(0, n), incs: int(0, n) }),
  threads: ({ n }, variant) => [
    variant === 'fine'
      ? replicate(n, 'P', {
          // One step per statement of the textbook port, one label per control location there.
          locals: { j: int(0, n) },
          start: 'NCS',
          steps: {
            start: { at: 'NCS', then: (s, me) => s.b.set(me.id, true), next: 'SetX' },
            setx: { at: 'SetX', then: (s, me) => { s.x = me.id + 1; }, next: 'TestY' },
            testy_busy: { at: 'TestY', when: (s) => s.y !== 0, next: 'Back1' },
            testy_free: { at: 'TestY', when: (s) => s.y === 0, next: 'SetY' },
            back1: { at: 'Back1', then: (s, me) => s.b.set(me.id, false), next: 'AwaitY1' },
            awaity1: { at: 'AwaitY1', when: (s) => s.y === 0, next: 'NCS' },
            sety: { at: 'SetY', then: (s, me) => { s.y = me.id + 1; }, next: 'TestX' },
            testx_other: { at: 'TestX', when: (s, me) => s.x !== me.id + 1, next: 'Back2' },
            testx_mine: { at: 'TestX', when: (s, me) => s.x === me.id + 1, next: 'Enter' },
            back2: { at: 'Back2', then: (s, me) => s.b.set(me.id, false), next: 'J0' },
            j0: { at: 'J0', then: (s, me) => { me.j = 0; }, next: 'Scan' },
            scan_more: { at: 'Scan', when: (s, me) => me.j < n, next: 'ScanA' },
            scan_done: { at: 'Scan', when: (s, me) => me.j === n, next: 'CheckY' },
            scan_wait: { at: 'ScanA', when: (s, me) => !s.b.get(me.j), next: 'ScanB' },
            scan_inc: { at: 'ScanB', then: (s, me) => { me.j = me.j + 1; }, next: 'Scan' },
            checky_other: { at: 'CheckY', when: (s, me) => s.y !== me.id + 1, next: 'AwaitY2' },
            checky_mine: { at: 'CheckY', when: (s, me) => s.y === me.id + 1, next: 'Enter' },
            awaity2: { at: 'AwaitY2', when: (s) => s.y === 0, next: 'NCS' },
            enter: { at: 'Enter', then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
            exit: { at: 'CS', then: (s) => { s.incs = s.incs - 1; }, next: 'ExitY' },
            exity: { at: 'ExitY', then: (s) => { s.y = 0; }, next: 'ExitB' },
            exitb: { at: 'ExitB', then: (s, me) => s.b.set(me.id, false), next: 'NCS' },
          },
        })
      : replicate(n, 'P', {
      locals: { j: int(0, n) },
      start: 'NCS',
      steps: {
        start: { at: 'NCS', then: (s, me) => s.b.set(me.id, true), next: 'SetX' },
        setx: { at: 'SetX', then: (s, me) => { s.x = me.id + 1; }, next: 'TestY' },
        testy_busy: { at: 'TestY', when: (s) => s.y !== 0, next: 'Back1' },
        testy_free: { at: 'TestY', when: (s) => s.y === 0, next: 'SetY' },
        back1: { at: 'Back1', then: (s, me) => s.b.set(me.id, false), next: 'AwaitY1' },
        awaity1: { at: 'AwaitY1', when: (s) => s.y === 0, next: 'NCS' },
        sety: { at: 'SetY', then: (s, me) => { s.y = me.id + 1; }, next: 'TestX' },
        testx_mine: { at: 'TestX', when: (s, me) => s.x === me.id + 1, then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
        testx_other: { at: 'TestX', when: (s, me) => s.x !== me.id + 1, next: 'Back2' },
        back2: { at: 'Back2', then: (s, me) => { s.b.set(me.id, false); me.j = 0; }, next: 'Scan' },
        scan_next: { at: 'Scan', when: (s, me) => me.j < n && !s.b.get(me.j), then: (s, me) => { me.j = me.j + 1; }, next: 'Scan' },
        scan_done: { at: 'Scan', when: (s, me) => me.j === n, then: (s, me) => { me.j = 0; }, next: 'CheckY' },
        checky_mine: { at: 'CheckY', when: (s, me) => s.y === me.id + 1, then: (s) => { s.incs = s.incs + 1; }, next: 'CS' },
        checky_other: { at: 'CheckY', when: (s, me) => s.y !== me.id + 1, next: 'AwaitY2' },
        awaity2: { at: 'AwaitY2', when: (s) => s.y === 0, next: 'NCS' },
        exit: { at: 'CS', then: (s) => { s.y = 0; s.incs = s.incs - 1; }, next: 'ExitB' },
        exitb: { at: 'ExitB', then: (s, me) => s.b.set(me.id, false), next: 'NCS' },
      },
    }),
  ],
  invariants: { mutex: (s) => s.incs <= 1 },
}));
