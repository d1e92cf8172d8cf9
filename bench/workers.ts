/**
 * Multi-core breadth-first search: peterson(5) with `mmcheck check
 * --workers 1` and `--workers 2` (the real command, a process each, so the
 * helper threads' start-up and model loading are counted), beside SPIN
 * (DFS -DNOREDUCE, one core and -DNCORE=2) and Rumur (--threads 1 and 2)
 * in the same run, one timed job at a time; then the classic models
 * bakery(4), szymanski(4) and lamport-fast(4) with mmcheck at 1 and 2
 * workers beside SPIN and Rumur the same way, partial-order reduction on the fine-grained ports, and livelock
 * checks of migration-entry-wait (the exploration records the cycle
 * search's edges, the helpers share its passes). The machine's load average is recorded before and after: with
 * other jobs running, compare configurations within one run only.
 *
 *   npx tsx bench/workers.ts              peterson(5) and the classic models
 *   npx tsx bench/workers.ts --quick      peterson(4) and the classic models
 *   npx tsx bench/workers.ts --no-peers   mmcheck only
 *   npx tsx bench/workers.ts --no-classic peterson only
 *   npx tsx bench/workers.ts --repeat 3   every timed job 3 times, the fastest kept
 *
 * Repeats are interleaved: each pass runs every job of a group once (the
 * peterson jobs, then each classic model's 1 and 2 workers), so that a
 * noisy minute slows one run of every job rather than every run of one.
 * The peterson table also gives the median over the passes of the ratios
 * measured within one pass (two workers over one, over SPIN's DFS).
 *
 * Speedup is over mmcheck with one worker. mmcheck's seconds are the
 * search's own (from the start of the search, helpers included; loading the
 * model in the main thread is not counted), SPIN's as pan reports them,
 * Rumur's the verifier's wall time. Around each two-worker peterson pass the
 * bench times a cache line's round trip between two threads
 * (`core-latency.ts`): on a virtual machine it shows whether the host ran
 * the two CPUs on cores that share a cache, which moves two workers' time by
 * about 10%. Results: bench/results/workers-peterson<n>.{json,md}.
 */
import { spawn } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { petersonPromela } from './peers/promela.ts';
import { petersonMurphi } from './peers/murphi.ts';
import { classicMurphiPorts, classicPorts } from './peers/classic.ts';
import { havePeer, runRumur, runSpin, type PeerResult } from './peers/run.ts';
import { coreRoundTripNs } from './core-latency.ts';
import { checkoutRunsCompiled } from '../src/run/compiled-tree.ts';

interface Row {
  model: string;
  tool: string;
  config: string;
  states: number;
  transitions: number;
  seconds: number;
  peakMB: number | null;
  bytesPerState: number | null;
  /** peterson's two-worker passes: the core-to-core round trip (ns) just before and just after the run (`core-latency.ts`). */
  coreNs?: [number | null, number | null];
}

const args = new Set(process.argv.slice(2));
const n = args.has('--quick') ? 4 : 5;
const peers = !args.has('--no-peers');
const classic = !args.has('--no-classic');
const argv = process.argv.slice(2);
const repeat = argv.includes('--repeat') ? Math.max(1, Number(argv[argv.indexOf('--repeat') + 1])) : 1;
/**
 * The jobs of a group run `repeat` times, interleaved (one pass runs each
 * job once); per job, every run's result in pass order. Machines are
 * shared: the fastest run is the one least disturbed.
 */
async function passes(jobs: readonly { label: string; run: () => Promise<Row> }[]): Promise<Row[][]> {
  const runs: Row[][] = jobs.map(() => []);
  for (let i = 0; i < repeat; i++)
    for (let j = 0; j < jobs.length; j++) {
      log(`  ${jobs[j]!.label}${repeat > 1 ? ` (pass ${i + 1} of ${repeat})` : ''} ...`);
      runs[j]!.push(await jobs[j]!.run());
    }
  return runs;
}
const fastest = (runs: readonly Row[]): Row => runs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
const median = (xs: readonly number[]): number => {
  const a = [...xs].sort((x, y) => x - y);
  return a.length % 2 ? a[(a.length - 1) / 2]! : (a[a.length / 2 - 1]! + a[a.length / 2]!) / 2;
};
/** The classic mutual-exclusion models run at 1 and 2 workers, beside SPIN (one core and -DNCORE=2) and Rumur (--threads 1 and 2) on their ports (bench/peers/classic.ts). */
const CLASSIC: readonly [string, number][] = [
  ['bakery', 4],
  ['szymanski', 4],
  ['lamport-fast', 4],
];
/** Partial-order reduction with workers: the fine-grained ports, where the stubborn sets reduce. */
const REDUCED: readonly [string, number, string[]][] = [
  ['peterson', 4, ['--variant', 'fine', '--por']],
  ['szymanski', 4, ['--variant', 'fine', '--por']],
];
/**
 * Livelock checks (liveness under weak fairness, the default): a passing one, whose states lie on no cycle; one that finds a livelock; and a
 * passing one whose states all lie on cycles, with a starvation pass per CPU (eight passes of the cycle search over 3.8 M states).
 */
const LIVELOCK: readonly [string, string[]][] = [
  ['migration-entry-wait/wait-on-locked(faulters=12, contended=wait)', ['migration-entry-wait', '--variant', 'wait-on-locked', '-p', 'faulters=12', '-p', 'contended=wait']],
  ['migration-entry-wait/put-and-wait(faulters=8)', ['migration-entry-wait', '--variant', 'put-and-wait', '-p', 'faulters=8']],
  ['examples/ticket-lock.ts (n=6)', ['examples/ticket-lock.ts', '-p', 'n=6']],
];
const log = (s: string) => process.stderr.write(s + '\n');

function mmcheck(workers: number, model = 'peterson', size = n, extra: string[] = []): Promise<Row> {
  const variant = extra.includes('--variant') ? `/${extra[extra.indexOf('--variant') + 1]}` : '';
  return mmcheckRun(workers, `${model}${variant}(${size})${extra.includes('--por') ? ' --por' : ''}`, [model, '-p', `n=${size}`, ...extra], `bfs, exact store, ${extra.includes('--por') ? 'por, ' : ''}--workers ${workers}`);
}

function mmcheckRun(workers: number, label: string, args: string[], config: string): Promise<Row> {
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, ['bin/mmcheck.js', 'check', ...args, '--workers', String(workers), '--json', '--no-trace', '--no-progress'], { env: { ...process.env, NODE_OPTIONS: '' } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => void (out += d));
    c.on('error', fail);
    c.on('close', (code) => {
      // 1: a violation (the livelock rows), which is what they check.
      if (code !== 0 && code !== 1) return fail(new Error(`mmcheck check ${args.join(' ')} --workers ${workers} exited ${code}`));
      const j = JSON.parse(out) as { verdict: string; violation: { property: string } | null; stats: { states: number; transitions: number; seconds: number; peakRssMB: number; bytesPerState: number } };
      const verdict = j.violation ? `, ${j.violation.property}` : '';
      done({ model: label, tool: 'mmcheck', config: config + verdict, states: j.stats.states, transitions: j.stats.transitions, seconds: j.stats.seconds, peakMB: j.stats.peakRssMB, bytesPerState: j.stats.bytesPerState });
    });
  });
}

function peer(p: PeerResult, model = `peterson(${n})`): Row {
  const states = p.modelStates ?? p.states;
  return { model, tool: p.tool, config: p.config, states, transitions: p.modelTransitions ?? p.transitions, seconds: p.searchSeconds, peakMB: p.peakMB, bytesPerState: p.peakMB !== null ? (p.peakMB * 2 ** 20) / states : null };
}

/** SPIN (DFS, one core and -DNCORE=2) and Rumur (--threads 1 and 2) on a classic model's ports, as far as they are installed. */
function classicPeerJobs(model: string, size: number): { label: string; run: () => Promise<Row> }[] {
  if (!peers) return [];
  const label = `${model}(${size})`;
  const jobs: { label: string; run: () => Promise<Row> }[] = [];
  const p = classicPorts[model]!;
  if (havePeer('spin'))
    for (const flags of [[], ['-DNCORE=2']])
      jobs.push({ label: `spin ${label} dfs -DNOREDUCE ${flags.join(' ')}`.trimEnd(), run: async () => peer(await runSpin(p.promela(size), { bfs: false, por: false, deadlock: p.deadlock, extraCFlags: flags }), label) });
  const murphi = classicMurphiPorts[model]!;
  if (havePeer('rumur')) for (const threads of [1, 2]) jobs.push({ label: `rumur ${label} --threads ${threads}`, run: async () => peer(await runRumur(murphi(size), { threads, deadlock: p.deadlock }), label) });
  return jobs;
}

/** Per classic model run beside the peers: mmcheck's two workers against one, SPIN's DFS on one core and two, and Rumur's two threads (a line, then a blank one; none without peers). */
function classicSummary(rows: readonly Row[]): string[] {
  const lines: string[] = [];
  for (const [model, size] of CLASSIC) {
    const label = `${model}(${size})`;
    const of = (tool: string, config: (c: string) => boolean): Row | undefined => rows.find((r) => r.model === label && r.tool === tool && config(r.config));
    const one = of('mmcheck', (c) => c.endsWith('--workers 1'));
    const two = of('mmcheck', (c) => c.endsWith('--workers 2'));
    if (!one || !two) continue;
    const parts = [`two workers ${(one.seconds / two.seconds).toFixed(2)}x one`];
    const spin = of('spin', (c) => !c.includes('NCORE'));
    const spin2 = of('spin', (c) => c.includes('NCORE=2'));
    const rumur2 = of('rumur', (c) => c.includes('--threads 2'));
    if (spin) parts.push(`${(two.seconds / spin.seconds).toFixed(3)} of SPIN's DFS time`);
    if (spin2) parts.push(`${(spin2.seconds / two.seconds).toFixed(2)}x as fast as SPIN -DNCORE=2`);
    if (rumur2) parts.push(`${(rumur2.seconds / two.seconds).toFixed(2)}x as fast as Rumur --threads 2`);
    if (parts.length > 1) lines.push(`${label}: ${parts.join(', ')}.`);
  }
  return lines.length ? [lines.join(' '), ''] : [];
}

const load = (): string => loadavg().map((x) => x.toFixed(2)).join(' ');

async function main(): Promise<void> {
  log(`bench workers: peterson(${n}), one timed job at a time`);
  const loadBefore = load();
  // Which tree the mmcheck processes run (each decides the same way, from the same files), as the run starts.
  const compiled = checkoutRunsCompiled(process.cwd());
  const jobs: { label: string; run: () => Promise<Row> }[] = [
    { label: 'mmcheck --workers 1', run: () => mmcheck(1) },
    {
      label: 'mmcheck --workers 2',
      run: async () => {
        // Where the host put the two CPUs, around the run (see core-latency.ts).
        const before = await coreRoundTripNs();
        const r = await mmcheck(2);
        return { ...r, coreNs: [before, await coreRoundTripNs()] };
      },
    },
  ];
  const spin = peers && havePeer('spin');
  if (spin)
    jobs.push(
      { label: 'spin dfs -DNOREDUCE', run: async () => peer(await runSpin(petersonPromela(n), { bfs: false, por: false })) },
      { label: 'spin dfs -DNOREDUCE -DNCORE=2', run: async () => peer(await runSpin(petersonPromela(n), { bfs: false, por: false, extraCFlags: ['-DNCORE=2'] })) },
    );
  else if (peers) log('  spin not installed: skipped');
  if (peers && havePeer('rumur')) for (const threads of [1, 2]) jobs.push({ label: `rumur --threads ${threads}`, run: async () => peer(await runRumur(petersonMurphi(n), { threads })) });
  else if (peers) log('  rumur not installed: skipped');
  const runs = await passes(jobs);
  const rows = runs.map(fastest);
  // Ratios within one pass: the jobs of a pass ran within a minute or two of each other.
  const speedups = runs[0]!.map((r, i) => r.seconds / runs[1]![i]!.seconds);
  const ofSpin = spin ? runs[1]!.map((r, i) => r.seconds / runs[2]![i]!.seconds) : [];
  const classicRows: Row[] = [];
  const pair = async (label: string, run: (w: number) => Promise<Row>, others: { label: string; run: () => Promise<Row> }[] = []): Promise<void> => {
    for (const r of await passes([...[1, 2].map((w) => ({ label: `${label} --workers ${w}`, run: () => run(w) })), ...others])) classicRows.push(fastest(r));
  };
  if (classic) {
    for (const [model, size] of CLASSIC) await pair(`mmcheck ${model}(${size})`, (w) => mmcheck(w, model, size), classicPeerJobs(model, size));
    for (const [model, size, extra] of REDUCED) await pair(`mmcheck ${model}(${size}) ${extra.join(' ')}`, (w) => mmcheck(w, model, size, extra));
    for (const [label, a] of LIVELOCK) await pair(`mmcheck ${label} (livelock check)`, (w) => mmcheckRun(w, label, a, `bfs, exact store, liveness (weak fairness), --workers ${w}`));
  }
  const loadAfter = load();

  const one = rows[0]!;
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const head = ['model', 'tool', 'config', 'states', 'transitions', 'seconds', 'states/s', 'speedup over --workers 1', 'bytes/state', 'peak MB'];
  /** Each row against mmcheck with one worker on the same model. */
  const baseOf = (r: Row): Row => [...rows, ...classicRows].find((x) => x.model === r.model && x.tool === 'mmcheck')!;
  const cells = [...rows, ...classicRows].map((r) => [
    r.model,
    r.tool,
    r.config,
    fmt(r.states),
    fmt(r.transitions),
    r.seconds.toFixed(2),
    fmt(r.seconds > 0 ? r.states / r.seconds : 0),
    (baseOf(r).seconds / r.seconds).toFixed(2),
    r.bytesPerState === null ? '-' : r.bytesPerState.toFixed(1),
    r.peakMB === null ? '-' : fmt(r.peakMB),
  ]);
  const mismatch = [...rows.filter((r) => r.states !== one.states || r.transitions !== one.transitions), ...classicRows.filter((r) => r.states !== baseOf(r).states || r.transitions !== baseOf(r).transitions)];
  const md = [
    `## peterson(${n}) and classic models, multi-core — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...cells.map((c) => `| ${c.join(' | ')} |`),
    '',
    mismatch.length ? `**COUNT MISMATCH**: ${mismatch.map((r) => r.model + ' ' + r.tool + ' ' + r.config).join(', ')}` : 'All runs of a model report the same states and transitions.',
    '',
    `peterson(${n}), ratios within each pass (${repeat} pass${repeat > 1 ? 'es' : ''}): two workers over one ${speedups.map((x) => x.toFixed(2)).join(', ')} (median ${median(speedups).toFixed(2)})` +
      (ofSpin.length ? `; two workers' time over SPIN's DFS ${ofSpin.map((x) => x.toFixed(3)).join(', ')} (median ${median(ofSpin).toFixed(3)})` : '') +
      '.',
    '',
    ...classicSummary(classicRows),
    `Core-to-core round trip (ns) just before and after each two-worker peterson(${n}) pass: ${runs[1]!.map((r) => (r.coreNs ?? [null, null]).map((x) => (x === null ? '-' : x.toFixed(0))).join('/')).join(', ')} (about 100 to 140 when the host runs the two CPUs on cores that share a cache, 340 to 370 when not: two workers are about 10% slower then; bench/core-latency.ts).`,
    '',
    `Load average (1, 5, 15 min) before the run: ${loadBefore}; after: ${loadAfter}. Timings of one run are comparable with each other only.${repeat > 1 ? ` Each timed job ran ${repeat} times; the fastest is shown.` : ''}`,
    '',
    compiled
      ? 'mmcheck ran the compiled tree (dist/ is the sources compiled), in its main thread and its threads, as the installed package does.'
      : 'mmcheck ran the sources through tsx (dist/ is not the sources compiled, or MMCHECK_FROM_SOURCES=1): its threads start slower than the installed package\'s; npm run build first.',
    '',
    "mmcheck's bytes/state is its store (table, states, parents); the peers' is peak RSS / states.",
  ].join('\n');
  process.stdout.write(md + '\n');
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `workers-peterson${n}.json`), JSON.stringify({ date: new Date().toISOString(), n, loadBefore, loadAfter, compiledTree: compiled, rows: [...rows, ...classicRows], passes: runs, speedups, ofSpin }, null, 2) + '\n');
  writeFileSync(join(dir, `workers-peterson${n}.md`), md + '\n');
  if (mismatch.length) process.exitCode = 1;
}

await main();
