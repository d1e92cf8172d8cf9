/**
 * npm run bench: every benchmark, one after another (each in its own
 * process, so none disturbs another's timings):
 *
 *   1. bench/run.ts          peterson(5) with mmcheck, SPIN (DFS, BFS) and Rumur
 *   1b. bench/workers.ts     peterson(5) with --workers 1 and 2, SPIN -DNCORE=2, Rumur --threads 1 and 2
 *   2. bench/reduction.ts    POR / symmetry × exact / hash-compact, beside SPIN's POR and Rumur's symmetry
 *   3. bench/time-to-bug.ts  time to the first counterexample
 *   4. bench/long-trace.ts   replay and rendering of 20k-150k-step counterexamples (linear growth)
 *   5. bench/por-classic.ts  POR on the classic mutexes beside SPIN's (with and without POR); livelock rows with POR
 *   6. bench/livelock.ts     migration-entry-wait livelock checks at 4-16 faulters: unreduced, --symmetry, --por, beside SPIN's cycle search
 *   7. bench/peers/fuzz.ts   random models against SPIN and Rumur (counts, verdicts, lengths, livelocks, symmetry,
 *                            every reduction's verdict): 60 plain and 60 --extended ones (8 each with --quick);
 *                            not with --no-peers
 *
 *   npm run bench                  the full benchmarks (tens of minutes)
 *   npm run bench -- --quick       a smoke run: peterson(4), the small reduction matrix,
 *                                  time-to-bug with a short limit
 *   npm run bench -- --no-peers    mmcheck only (run.ts and reduction.ts)
 *
 * `--quick` is passed to run.ts, workers.ts and reduction.ts; time-to-bug.ts gets `--limit 10`.
 * Results are written by each script to bench/results/. Exit status 1 when
 * any script fails.
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const noPeers = argv.includes('--no-peers');

interface Job {
  script: string;
  args: string[];
}

function jobs(): Job[] {
  const out: Job[] = [];
  const pass = (...flags: string[]) => flags.filter((f) => argv.includes(f));
  out.push({ script: 'bench/run.ts', args: pass('--quick', '--no-peers') });
  out.push({ script: 'bench/workers.ts', args: pass('--quick', '--no-peers') });
  out.push({ script: 'bench/reduction.ts', args: pass('--quick', '--no-peers') });
  out.push({ script: 'bench/time-to-bug.ts', args: quick ? ['--limit', '10'] : [] });
  out.push({ script: 'bench/long-trace.ts', args: [] });
  out.push({ script: 'bench/por-classic.ts', args: pass('--quick', '--no-peers') });
  out.push({ script: 'bench/livelock.ts', args: pass('--quick', '--no-peers') });
  if (!noPeers) {
    const count = quick ? '8' : '60';
    out.push({ script: 'bench/peers/fuzz.ts', args: ['--seed', 'bench', '--count', count] });
    out.push({ script: 'bench/peers/fuzz.ts', args: ['--seed', 'bench-x', '--count', count, '--extended'] });
  }
  return out;
}

function run(job: Job): Promise<{ code: number | null; seconds: number }> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    process.stderr.write(`\n=== ${job.script} ${job.args.join(' ')}\n`);
    const child = spawn(process.execPath, ['--import=tsx', join(ROOT, job.script), ...job.args], { cwd: ROOT, stdio: 'inherit' });
    child.on('close', (code) => resolve({ code, seconds: (performance.now() - t0) / 1000 }));
    child.on('error', (e) => {
      process.stderr.write(`cannot start ${job.script}: ${e.message}\n`);
      resolve({ code: -1, seconds: (performance.now() - t0) / 1000 });
    });
  });
}

async function main(): Promise<number> {
  const list = jobs();
  process.stderr.write(`bench${quick ? ' (quick)' : ''}${noPeers ? ' (no peers)' : ''}: ${list.map((j) => j.script).join(', ')}, one after another\n`);
  const results: { job: Job; code: number | null; seconds: number }[] = [];
  for (const job of list) results.push({ job, ...(await run(job)) });
  process.stderr.write('\n=== summary\n');
  for (const r of results) process.stderr.write(`  ${r.code === 0 ? 'ok    ' : `FAILED (exit ${r.code})`}  ${r.job.script} ${r.job.args.join(' ')}  ${r.seconds.toFixed(0)} s\n`);
  return results.every((r) => r.code === 0) ? 0 : 1;
}

process.exitCode = await main();
