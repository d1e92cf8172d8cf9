/**
 * Livelock checks beside SPIN's non-progress-cycle search under weak
 * fairness (`spin -a`, `gcc -DNP`, `pan -l -f`), on small models written in
 * both notations: the migration-entry-wait livelock in its two historical
 * forms (the waiter's reference held across the sleep; dropped right after
 * queueing) and the fixed waiter (no reference), and Peterson's lock for two
 * processes. Each model is given once as an mmcheck model and once as
 * Promela with `progress` labels where mmcheck has progress steps.
 *
 *   node --import=tsx bench/peers/np.ts
 *
 * Semantics lined up: SPIN's -f is weak fairness per process, as mmcheck's
 * default; a SPIN progress label marks a control state, an mmcheck progress
 * step arrives there. SPIN does not exempt finished processes (mmcheck does:
 * a cycle on which every thread with progress labels has finished is not a
 * livelock), so every model here keeps its progress threads unfinished on
 * any cycle, and the verdicts must agree.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bool, buildModel, defineModel, int, oneOf, replicate, search, type Model } from '../../src/index.ts';
import { havePeer } from './run.ts';

type Wait = 'ref-while-waiting' | 'put-and-wait' | 'no-ref';

/** Two faulting threads on one device-private page (docs/kernel/migration-entry-wait.md, reduced to its core). */
function migration(wait: Wait): Model {
  const steps: Record<string, Parameters<typeof replicate>[2]['steps'][string]> = {
    collect: { at: 'F0', when: (s) => s.pte === 'DEVPRIV' && !s.locked, then: (s) => { s.locked = true; s.pte = 'MIG'; }, next: 'M3' },
    done: { at: 'F0', when: (s) => s.pte === 'RAM', next: 'Done' },
    commit: { at: 'M3', when: (s) => s.extra === 0, then: (s) => { s.pte = 'RAM'; s.locked = false; }, next: 'F0', progress: true },
    restore: { at: 'M3', when: (s) => s.extra !== 0, then: (s) => { s.pte = 'DEVPRIV'; s.locked = false; }, next: 'F0' },
  };
  if (wait === 'no-ref') {
    steps.wait = { at: 'F0', when: (s) => s.pte === 'MIG' && !s.locked, next: 'F0' };
  } else {
    steps.getref = { at: 'F0', when: (s) => s.pte === 'MIG', then: (s) => { s.extra = s.extra + 1; }, next: wait === 'put-and-wait' ? 'W3' : 'W4' };
    if (wait === 'put-and-wait') {
      steps.put = { at: 'W3', then: (s) => { s.extra = s.extra - 1; }, next: 'W4' };
      steps.sleep = { at: 'W4', when: (s) => !s.locked, next: 'F0' };
    } else {
      steps.sleep = { at: 'W4', when: (s) => !s.locked, next: 'W5' };
      steps.put = { at: 'W5', then: (s) => { s.extra = s.extra - 1; }, next: 'F0' };
    }
  }
  return defineModel({
    name: `np-migration-${wait}`,
    shared: { pte: oneOf('DEVPRIV', 'MIG', 'RAM'), locked: bool(), extra: int(0, 2) },
    threads: [replicate(2, 'T', { start: 'F0', end: ['Done'], steps })],
  });
}

function migrationPml(wait: Wait): string {
  const waiter =
    wait === 'no-ref'
      ? `:: d_step { pte == MIG && !locked -> skip }; goto F0`
      : wait === 'put-and-wait'
        ? `:: d_step { pte == MIG -> extra++ }; d_step { extra-- }; (!locked); goto F0`
        : `:: d_step { pte == MIG -> extra++ }; (!locked); d_step { extra-- }; goto F0`;
  return `mtype = { DEVPRIV, MIG, RAM };
mtype pte = DEVPRIV;
bool locked = false;
byte extra = 0;
active [2] proctype T() {
F0:
  if
  :: d_step { pte == DEVPRIV && !locked -> locked = true; pte = MIG }; goto M3
  :: pte == RAM -> goto Done
  ${waiter}
  fi;
M3:
  if
  :: d_step { extra == 0 -> pte = RAM; locked = false }; goto P
  :: d_step { extra != 0 -> pte = DEVPRIV; locked = false }; goto F0
  fi;
P:
progress: goto F0;
Done: skip
}
`;
}

/** Peterson's lock for two processes; entering the critical section is progress. */
function peterson2(): Model {
  return defineModel({
    name: 'np-peterson2',
    shared: { f0: bool(), f1: bool(), turn: int(0, 1) },
    threads: [
      replicate(2, 'P', {
        start: 'Try',
        steps: {
          set: { at: 'Try', then: (s, me) => { if (me.id === 0) s.f0 = true; else s.f1 = true; }, next: 'Turn' },
          turn: { at: 'Turn', then: (s, me) => { s.turn = 1 - me.id; }, next: 'Wait' },
          enter: { at: 'Wait', when: (s, me) => (me.id === 0 ? !s.f1 : !s.f0) || s.turn === me.id, next: 'Crit', progress: true },
          leave: { at: 'Crit', then: (s, me) => { if (me.id === 0) s.f0 = false; else s.f1 = false; }, next: 'Try' },
        },
      }),
    ],
  });
}

const peterson2Pml = `bool f[2]; byte turn = 0;
active [2] proctype P() {
Try:
  f[_pid] = true;
  turn = 1 - _pid;
  (!f[1 - _pid] || turn == _pid);
progress: f[_pid] = false;
  goto Try
}
`;

function spinNP(src: string): { livelock: boolean; seconds: number; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-np-'));
  writeFileSync(join(dir, 'm.pml'), src);
  execFileSync('spin', ['-a', 'm.pml'], { cwd: dir });
  execFileSync('gcc', ['-O2', '-DNP', '-DNOREDUCE', '-o', 'pan', 'pan.c'], { cwd: dir });
  const t0 = performance.now();
  let out = '';
  try {
    out = execFileSync('./pan', ['-l', '-f', '-m100000'], { cwd: dir, encoding: 'utf8' });
  } catch (e) {
    out = String((e as { stdout?: string }).stdout ?? '');
  }
  const seconds = (performance.now() - t0) / 1000;
  const errors = Number(/errors: (\d+)/.exec(out)?.[1] ?? 'NaN');
  if (!Number.isFinite(errors)) throw new Error(`spin: could not read the result:\n${out.slice(-2000)}`);
  return { livelock: errors > 0 && /non-progress cycle/.test(out), seconds, output: out };
}

const cases: { name: string; model: Model; pml: string; expected: boolean }[] = [
  { name: 'migration ref-while-waiting', model: migration('ref-while-waiting'), pml: migrationPml('ref-while-waiting'), expected: true },
  { name: 'migration put-and-wait', model: migration('put-and-wait'), pml: migrationPml('put-and-wait'), expected: true },
  { name: 'migration no waiter reference (fixed)', model: migration('no-ref'), pml: migrationPml('no-ref'), expected: false },
  { name: 'peterson(2)', model: peterson2(), pml: peterson2Pml, expected: false },
];

const rows: string[][] = [];
let disagree = 0;
for (const c of cases) {
  const r = search(buildModel(c.model, null), { fairness: 'weak', deadlock: false });
  const ours = r.violation?.kind === 'livelock' && r.violation.property === 'non-progress-cycle';
  const spin = havePeer('spin') ? spinNP(c.pml) : null;
  if (spin && spin.livelock !== ours) disagree++;
  if (ours !== c.expected) disagree++;
  rows.push([
    c.name,
    ours ? `livelock (${r.violation!.steps.length} steps, cycle from ${r.violation!.cycleStart! + 1})` : r.violation ? `${r.violation.kind} ${r.violation.property}` : 'no fair non-progress cycle',
    spin ? (spin.livelock ? 'non-progress cycle' : 'none') : 'spin not installed',
    String(r.stats.states),
    spin && ours === spin.livelock ? 'agree' : spin ? 'DISAGREE' : '-',
  ]);
}
const head = ['model', 'mmcheck (weak fairness)', 'SPIN -DNP pan -l -f', 'mmcheck states', ''];
const w = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (c: string[]) => c.map((x, i) => x.padEnd(w[i]!)).join('  ').trimEnd();
process.stdout.write([line(head), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n') + '\n');
if (disagree) {
  process.stdout.write(`\n${disagree} disagreement(s)\n`);
  process.exitCode = 1;
}
