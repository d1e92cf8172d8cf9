/**
 * Multi-core breadth-first search: peterson(5) with `mmcheck check
 * --workers 1` and `--workers 2` (the real command, a process each, so the
 * helper threads' start-up and model loading are counted), beside SPIN
 * (DFS -DNOREDUCE, one core and -DNCORE=2) and Rumur (--threads 1 and 2)
 * in the same run, one timed job at a time.
 *
 *   npx tsx bench/workers.ts              peterson(5)
 *   npx tsx bench/workers.ts --quick      peterson(4)
 *   npx tsx bench/workers.ts --no-peers   mmcheck only
 *
 * Speedup is over mmcheck with one worker. mmcheck's seconds are the
 * search's own (from the start of the search, helpers included; loading the
 * model in the main thread is not counted), SPIN's as pan reports them,
 * Rumur's the verifier's wall time. Results: bench/results/workers-peterson<n>.{json,md}.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { petersonPromela } from './peers/promela.ts';
import { petersonMurphi } from './peers/murphi.ts';
import { havePeer, runRumur, runSpin, type PeerResult } from './peers/run.ts';

interface Row {
  tool: string;
  config: string;
  states: number;
  transitions: number;
  seconds: number;
  peakMB: number | null;
  bytesPerState: number | null;
}

const args = new Set(process.argv.slice(2));
const n = args.has('--quick') ? 4 : 5;
const peers = !args.has('--no-peers');
const log = (s: string) => process.stderr.write(s + '\n');

function mmcheck(workers: number): Promise<Row> {
  return new Promise((done, fail) => {
    const c = spawn(process.execPath, ['bin/mmcheck.js', 'check', 'peterson', '-p', `n=${n}`, '--workers', String(workers), '--json', '--no-trace', '--no-progress'], { env: { ...process.env, NODE_OPTIONS: '' } });
    let out = '';
    c.stdout.on('data', (d: Buffer) => void (out += d));
    c.on('error', fail);
    c.on('close', (code) => {
      if (code !== 0) return fail(new Error(`mmcheck --workers ${workers} exited ${code}`));
      const j = JSON.parse(out) as { stats: { states: number; transitions: number; seconds: number; peakRssMB: number; bytesPerState: number } };
      done({ tool: 'mmcheck', config: `bfs, exact store, --workers ${workers}`, states: j.stats.states, transitions: j.stats.transitions, seconds: j.stats.seconds, peakMB: j.stats.peakRssMB, bytesPerState: j.stats.bytesPerState });
    });
  });
}

function peer(p: PeerResult): Row {
  const states = p.modelStates ?? p.states;
  return { tool: p.tool, config: p.config, states, transitions: p.modelTransitions ?? p.transitions, seconds: p.searchSeconds, peakMB: p.peakMB, bytesPerState: p.peakMB !== null ? (p.peakMB * 2 ** 20) / states : null };
}

async function main(): Promise<void> {
  log(`bench workers: peterson(${n}), one timed job at a time`);
  const rows: Row[] = [];
  for (const w of [1, 2]) {
    log(`  mmcheck --workers ${w} ...`);
    rows.push(await mmcheck(w));
  }
  if (peers && havePeer('spin')) {
    log('  spin dfs -DNOREDUCE ...');
    rows.push(peer(await runSpin(petersonPromela(n), { bfs: false, por: false })));
    log('  spin dfs -DNOREDUCE -DNCORE=2 ...');
    rows.push(peer(await runSpin(petersonPromela(n), { bfs: false, por: false, extraCFlags: ['-DNCORE=2'] })));
  } else if (peers) log('  spin not installed: skipped');
  if (peers && havePeer('rumur')) {
    for (const threads of [1, 2]) {
      log(`  rumur --threads ${threads} ...`);
      rows.push(peer(await runRumur(petersonMurphi(n), { threads })));
    }
  } else if (peers) log('  rumur not installed: skipped');

  const one = rows[0]!;
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const head = ['tool', 'config', 'states', 'transitions', 'seconds', 'states/s', 'speedup over --workers 1', 'bytes/state', 'peak MB'];
  const cells = rows.map((r) => [
    r.tool,
    r.config,
    fmt(r.states),
    fmt(r.transitions),
    r.seconds.toFixed(2),
    fmt(r.seconds > 0 ? r.states / r.seconds : 0),
    (one.seconds / r.seconds).toFixed(2),
    r.bytesPerState === null ? '-' : r.bytesPerState.toFixed(1),
    r.peakMB === null ? '-' : fmt(r.peakMB),
  ]);
  const mismatch = rows.filter((r) => r.states !== one.states || r.transitions !== one.transitions);
  const md = [
    `## peterson(${n}), multi-core — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...cells.map((c) => `| ${c.join(' | ')} |`),
    '',
    mismatch.length ? `**COUNT MISMATCH**: ${mismatch.map((r) => r.tool + ' ' + r.config).join(', ')}` : 'All runs report the same states and transitions.',
    '',
    "mmcheck's bytes/state is its store (table, states, parents); the peers' is peak RSS / states.",
  ].join('\n');
  process.stdout.write(md + '\n');
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `workers-peterson${n}.json`), JSON.stringify({ date: new Date().toISOString(), n, rows }, null, 2) + '\n');
  writeFileSync(join(dir, `workers-peterson${n}.md`), md + '\n');
  if (mismatch.length) process.exitCode = 1;
}

await main();
