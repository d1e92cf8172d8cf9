import { defineModel, int, array, replicate } from '../src/index.ts';
import type { StepDef } from '../src/index.ts';
import { builtin } from '../src/run/builtin-source.ts';

/** The shared variables; a thread's level `lev` and scan index `k` are its locals. */
const shared = ({ n }: { readonly n: number }) => ({
  level: array(n, int(0, n)),
  victim: array(n + 1, int(0, n - 1)), // index 0 unused
  incs: int(0, n),
});
const locals = (n: number) => ({ lev: int(0, n, 1), k: int(0, n) });
type Label = 'SetLevel' | 'SetVictim' | 'Scan' | 'Crit';
/** A doorway step, typed like the steps written inline in the thread. */
type Step = StepDef<ReturnType<typeof shared>, ReturnType<typeof locals>, Label, Label>;

/**
 * Peterson's filter lock for n processes, exactly as the classic benchmark
 * defines it (bench/peers/README.md): the same reachable state space as the
 * SPIN and Rumur ports in bench/peers/. The program counter is the thread
 * label; `lev` and `k` are thread locals; `level`, `victim` and `incs` are
 * shared.
 *
 * `victim-first` swaps the doorway's two writes: a thread names itself victim
 * at a level before announcing that level. Another thread that scans in
 * between still reads the old level, passes, and can enter together with it.
 * It is the bug that bench/time-to-bug.ts searches for at sizes exhaustive
 * search cannot finish quickly.
 */
export default builtin(import.meta.url, defineModel({
  name: 'peterson',
  title: "Peterson's filter lock (classic benchmark)",
  category: 'classic',
  params: { n: int(2, 6, 3) },
  variants: {
    classic: 'the filter lock: announce the level, then name yourself victim',
    'victim-first': 'the doorway writes swapped: victim before level (mutual exclusion fails)',
    fine: 'the filter lock one Promela statement per step (the textbook port in bench/peers/classic-fine.ts): loop tests, `k = 0`, `k++`, `lev++` are steps of their own',
  },
  expect: {
    classic: [
      { verdict: 'pass', states: 1710, transitions: 4066 },
      { verdict: 'pass', params: { n: 2 } },
      { verdict: 'pass', params: { n: 4 }, states: 105484, transitions: 328284 },
      { verdict: 'pass', params: { n: 5 }, states: 8262696, transitions: 32241420, bench: true },
    ],
    'victim-first': [
      { verdict: 'violation', kind: 'invariant', property: 'mutex', length: 26 },
      { verdict: 'violation', params: { n: 2 }, kind: 'invariant', property: 'mutex', length: 12 },
      { verdict: 'violation', params: { n: 4 }, kind: 'invariant', property: 'mutex', length: 44 },
    ],
    fine: [
      { verdict: 'pass', states: 29066, transitions: 81358 },
      { verdict: 'pass', params: { n: 2 }, states: 368, transitions: 708 },
    ],
  },
  shared,
  threads: ({ n }, variant) => {
    // `fine`: one step per statement of the textbook Promela port (bench/peers/classic-fine.ts), each
    // label one control location there. The loop tests on `lev` and `k` and the updates of `k` and `lev`
    // touch locals only: the statements SPIN's partial-order reduction treats as safe.
    if (variant === 'fine')
      return [
        replicate(n, 'proc', {
          locals: { lev: int(0, n), k: int(0, n) },
          start: 'NCS',
          steps: {
            init_lev: { at: 'NCS', then: (s, me) => { me.lev = 1; }, next: 'Loop' },
            more: { at: 'Loop', when: (s, me) => me.lev < n, next: 'SetL' },
            last: { at: 'Loop', when: (s, me) => me.lev === n, next: 'Enter' },
            setlevel: { at: 'SetL', then: (s, me) => s.level.set(me.id, me.lev), next: 'SetV' },
            setvictim: { at: 'SetV', then: (s, me) => s.victim.set(me.lev, me.id), next: 'K0' },
            k0: { at: 'K0', then: (s, me) => { me.k = 0; }, next: 'Scan' },
            scanned: { at: 'Scan', when: (s, me) => me.k === n, next: 'Inc' },
            pass: { at: 'Scan', when: (s, me) => me.k < n && (me.k === me.id || s.level.get(me.k) < me.lev || s.victim.get(me.lev) !== me.id), next: 'KInc' },
            kinc: { at: 'KInc', then: (s, me) => { me.k = me.k + 1; }, next: 'Scan' },
            inc: { at: 'Inc', then: (s, me) => { me.lev = me.lev + 1; }, next: 'Loop' },
            enter: { at: 'Enter', then: (s) => { s.incs = s.incs + 1; }, next: 'Leave' },
            leave: { at: 'Leave', then: (s) => { s.incs = s.incs - 1; }, next: 'Rel' },
            release: { at: 'Rel', then: (s, me) => s.level.set(me.id, 0), next: 'NCS' },
          },
        }),
      ];
    // The doorway is two steps. The first is at the start label and, past the
    // last level, enters the critical section instead of writing; the second
    // resets the scan. Only which variable each writes differs between the
    // variants. The steps are written out (not shared through a helper taking
    // `s`) so that their footprints are still derived from the source.
    const start = variant === 'victim-first' ? 'SetVictim' : 'SetLevel';
    const doorway: Record<'setvictim' | 'setlevel', Step> =
      variant === 'victim-first'
        ? {
            setvictim: {
              at: 'SetVictim',
              then: (s, me) => {
                if (me.lev < n) s.victim.set(me.lev, me.id);
                else s.incs = s.incs + 1;
              },
              next: (s, me) => (me.lev < n ? 'SetLevel' : 'Crit'),
            },
            setlevel: {
              at: 'SetLevel',
              then: (s, me) => {
                s.level.set(me.id, me.lev);
                me.k = 0;
              },
              next: 'Scan',
            },
          }
        : {
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
          };
    return [
      replicate(n, 'proc', {
        locals: locals(n),
        start,
        steps: {
          ...doorway,
          scan: {
            at: 'Scan',
            when: (s, me) => me.k === n || me.k === me.id || s.level.get(me.k) < me.lev || s.victim.get(me.lev) !== me.id,
            then: (s, me) => {
              if (me.k === n) {
                me.lev = me.lev + 1;
                me.k = 0;
              } else me.k = me.k + 1;
            },
            next: (s, me) => (me.k === 0 ? start : 'Scan'),
          },
          exit: {
            at: 'Crit',
            then: (s, me) => {
              s.incs = s.incs - 1;
              s.level.set(me.id, 0);
              me.lev = 1;
            },
            next: start,
          },
        },
      }),
    ];
  },
  invariants: { mutex: (s) => s.incs <= 1 },
}));
