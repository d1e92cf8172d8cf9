/**
 * Livelock checks at growing thread counts: migration-entry-wait's
 * non-progress cycles with mmcheck unreduced, `--symmetry`, `--por` and both,
 * beside SPIN's search for the same cycles on the step-for-step port
 * (bench/peers/kernel-ir.ts), with and without its partial-order reduction.
 *
 *   node --import=tsx bench/livelock.ts [--quick] [--no-peers] [--spin-only]
 *
 * Fairness as each reduction allows it: weak fairness (mmcheck's default,
 * SPIN `pan -a -f`) unreduced and under `--symmetry`; no fairness for
 * `--por` (the only fairness POR is sound for here; SPIN without `-f`).
 * `--por --symmetry` with a livelock check is refused (MC312) and shown so.
 *
 * SPIN has no non-progress search over a progress *step*: the port marks the
 * progress label instead, with the never claim `<>[] !progress` where
 * `progress` holds while some faulter is at M5ok (the migration passed its
 * refcount check) or every faulter has ended (mmcheck exempts finished
 * threads; SPIN would extend a finished run by stuttering), searched for
 * acceptance cycles. Under weak fairness the
 * two agree (a thread cannot stay at M5ok: its step there is always
 * enabled); without fairness SPIN may miss a cycle on which a thread waits
 * at M5ok, so its verdict can differ there, which the table says. SPIN's
 * counts include the never claim's states; they are not comparable with
 * mmcheck's one to one.
 *
 * Each mmcheck run is a child process with `--workers 1`; seconds are one
 * run each on a shared machine. Writes bench/results/livelock.{md,json}.
 * Exits 1 when a reduced run's verdict differs from the unreduced one (same
 * fairness), or a reduced run has more states than the unreduced one.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { labelConst, migrationEntryWait, type KernelModel } from './peers/kernel-ir.ts';
import { kernelPromela } from './peers/kernel-promela.ts';
import { checkArgs, ROOT, runMmcheck } from './peers/kernel-run.ts';
import { havePeer, runSpin } from './peers/run.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const peers = !argv.includes('--no-peers') && havePeer('spin');
/** Rerun only SPIN's rows, keeping mmcheck's from the last results of the same mode (the unreduced rows at 8 faulters take minutes). */
const spinOnly = argv.includes('--spin-only');

interface Case {
  variant: string;
  params: Record<string, string | number>;
  /** Faulter counts for the unreduced and POR runs (and SPIN). */
  full: number[];
  /** Further faulter counts only `--symmetry` is run at. */
  symOnly: number[];
}

const CASES: Case[] = quick
  ? [
      { variant: 'put-and-wait', params: {}, full: [4], symOnly: [8] },
      { variant: 'wait-on-locked', params: { contended: 'wait' }, full: [4], symOnly: [8] },
    ]
  : [
      { variant: 'put-and-wait', params: {}, full: [4, 6, 8], symOnly: [10, 12, 16] },
      { variant: 'ref-while-waiting', params: {}, full: [4, 6, 8], symOnly: [12, 16] },
      { variant: 'fault-get-page', params: {}, full: [4, 6], symOnly: [8, 12] },
      { variant: 'wait-on-locked', params: { contended: 'wait' }, full: [4, 6, 8], symOnly: [10, 12, 16] },
    ];

interface Row {
  case: string;
  faulters: number;
  tool: 'mmcheck' | 'spin';
  config: string;
  fairness: 'weak' | 'none';
  verdict: string;
  states: number | null;
  transitions: number | null;
  seconds: number | null;
  note: string;
}

const rows: Row[] = [];
let bad = 0;
const TIMEOUT = quick ? 300 : 1800;

const OUT = join(ROOT, 'bench', 'results', quick ? 'livelock-quick' : 'livelock');
const previous: Row[] = spinOnly ? (JSON.parse(readFileSync(`${OUT}.json`, 'utf8')) as { rows: Row[] }).rows : [];

async function mmcheck(c: Case, faulters: number, fairness: 'weak' | 'none', flags: string[], config: string): Promise<Row> {
  if (spinOnly) {
    const kept = previous.find((r) => r.tool === 'mmcheck' && r.case === caseName(c) && r.faulters === faulters && r.fairness === fairness && r.config === config);
    if (!kept) throw new Error(`--spin-only: no mmcheck row for ${caseName(c)} faulters=${faulters} ${config} (${fairness}) in ${OUT}.json`);
    return kept;
  }
  const params = { ...c.params, faulters };
  const args = checkArgs('migration-entry-wait', c.variant, params, ['--workers', '1', '--fairness', fairness, ...flags]);
  const r = await runMmcheck(args, TIMEOUT);
  const base = { case: caseName(c), faulters, tool: 'mmcheck' as const, config, fairness };
  if (!r.ok) return { ...base, verdict: /^MC\d+/.test(r.message) ? 'refused' : 'error', states: null, transitions: null, seconds: null, note: r.message.split(/: add |\. /)[0]!.slice(0, 200) };
  const j = r.json;
  const verdict = j.violation ? `${j.violation.kind}` : j.verdict;
  return { ...base, verdict, states: j.stats.states, transitions: j.stats.transitions, seconds: j.stats.seconds, note: '' };
}

/** `<>[] !progress`: a run on which, from some point on, no faulter is at the progress label. */
function withClaim(ir: KernelModel): string {
  const t = ir.groups.find((g) => g.name === 'T')!;
  const at = (i: number, l: string) => `T_pc[${i}] == ${labelConst(t, l)}`;
  const progress = Array.from({ length: t.count }, (_, i) => at(i, 'M5ok')).join(' || ');
  // Finished threads are exempt in mmcheck: a run on which every faulter has ended is no livelock (SPIN would stutter there).
  const ended = Array.from({ length: t.count }, (_, i) => `(${t.end.map((e) => at(i, e)).join(' || ')})`).join(' && ');
  return `${kernelPromela(ir)}
#define PROGRESS ((${progress}) || (${ended}))
never {  /* <>[] !PROGRESS */
T0_init:
  do
  :: (!PROGRESS) -> goto accept_S1
  :: (1) -> goto T0_init
  od;
accept_S1:
  do
  :: (!PROGRESS) -> goto accept_S1
  od
}
`;
}

async function spin(c: Case, faulters: number, fairness: 'weak' | 'none', por: boolean): Promise<Row> {
  const ir = migrationEntryWait(c.variant, { ...(c.params as object), faulters } as Parameters<typeof migrationEntryWait>[1], { deadlock: false });
  const base = { case: caseName(c), faulters, tool: 'spin' as const, config: `pan -a${fairness === 'weak' ? ' -f' : ''}${por ? ', POR' : ', -DNOREDUCE'}`, fairness };
  try {
    // pan's weak fairness keeps a counter per process: -DNFAIR=2 covers 6 processes; the faulters, the holder and init need more.
    const procs = ir.groups.reduce((n, g) => n + g.count, 1);
    const nfair = Math.max(2, Math.ceil((procs + 2) / 4) + 1);
    const r = await runSpin(withClaim(ir), { por, deadlock: false, acceptance: { weakFairness: fairness === 'weak' }, hashBits: 24, timeoutSeconds: TIMEOUT, extraCFlags: fairness === 'weak' ? [`-DNFAIR=${nfair}`] : [] });
    const verdict = r.errors > 0 ? (/acceptance cycle/.test(r.output) ? 'livelock' : 'error') : 'pass';
    return { ...base, verdict, states: r.states, transitions: r.transitions, seconds: r.searchSeconds, note: '' };
  } catch (e) {
    return { ...base, verdict: 'error', states: null, transitions: null, seconds: null, note: String((e as Error).message).split('\n')[0]!.slice(0, 160) };
  }
}

const caseName = (c: Case) => [c.variant, ...Object.entries(c.params).map(([k, v]) => `${k}=${v}`)].join(' ');

function compare(reduced: Row, full: Row | undefined): void {
  if (!full || full.states === null || reduced.states === null) return;
  if (reduced.verdict !== full.verdict) {
    reduced.note = `verdict differs from unreduced (${full.verdict})`;
    bad++;
  } else if (reduced.verdict === 'pass' && reduced.states > full.states) {
    reduced.note = 'more states than unreduced';
    bad++;
  } else reduced.note = `${(full.states / reduced.states).toFixed(full.states / reduced.states >= 100 ? 0 : 2)}× fewer states`;
}

for (const c of CASES) {
  for (const f of c.full) {
    const weak = await mmcheck(c, f, 'weak', [], 'unreduced');
    const none = await mmcheck(c, f, 'none', [], 'unreduced');
    const sym = await mmcheck(c, f, 'weak', ['--symmetry'], '--symmetry');
    const symNone = await mmcheck(c, f, 'none', ['--symmetry'], '--symmetry');
    const por = await mmcheck(c, f, 'none', ['--por'], '--por');
    const both = await mmcheck(c, f, 'none', ['--por', '--symmetry'], '--por --symmetry');
    compare(sym, weak);
    compare(symNone, none);
    compare(por, none);
    rows.push(weak, sym, none, symNone, por, both);
    if (peers) {
      for (const fair of ['weak', 'none'] as const)
        for (const p of [false, true]) {
          const r = await spin(c, f, fair, p);
          const ours = fair === 'weak' ? weak : none;
          if (r.verdict !== ours.verdict && ours.states !== null) r.note = `${r.note ? `${r.note}; ` : ''}verdict differs from mmcheck unreduced (${ours.verdict})${fair === 'none' ? '; see the header on fairness none' : ''}`;
          rows.push(r);
        }
    }
    process.stderr.write(`${caseName(c)} faulters=${f}: done\n`);
  }
  for (const f of c.symOnly) {
    rows.push(await mmcheck(c, f, 'weak', ['--symmetry'], '--symmetry'));
    process.stderr.write(`${caseName(c)} faulters=${f} --symmetry: done\n`);
  }
}

const n = (x: number | null) => (x === null ? '—' : x.toLocaleString('en-US'));
const md = [
  '# Livelock checks at growing thread counts',
  '',
  'Written by `node --import=tsx bench/livelock.ts`. migration-entry-wait (holder=0, onFailure=retry, checkSlack=1 unless given), livelock check on, deadlock check on for mmcheck (SPIN: acceptance cycles of `<>[] !progress` only). mmcheck: one child process per row, `--workers 1`, BFS. Seconds: one run each on a shared machine (noisy). SPIN counts include the never claim and are not comparable one to one. "refused" rows show the coded refusal.',
  '',
  '| case | faulters | tool | config | fairness | verdict | states | transitions | s | note |',
  '|---|---|---|---|---|---|---|---|---|---|',
  ...rows.map((r) => `| ${r.case} | ${r.faulters} | ${r.tool} | ${r.config} | ${r.fairness} | ${r.verdict} | ${n(r.states)} | ${n(r.transitions)} | ${r.seconds === null ? '—' : r.seconds.toFixed(2)} | ${r.note.replace(/\|/g, '\\|')} |`),
  '',
];
mkdirSync(join(ROOT, 'bench', 'results'), { recursive: true });
writeFileSync(`${OUT}.md`, md.join('\n'));
writeFileSync(`${OUT}.json`, JSON.stringify({ quick, peers, rows }, null, 2) + '\n');
process.stdout.write(md.join('\n'));
if (bad) {
  process.stdout.write(`\n${bad} reduced run(s) disagree with the unreduced search\n`);
  process.exitCode = 1;
}
