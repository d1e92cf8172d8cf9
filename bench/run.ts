/**
 * npm run bench: mmcheck beside SPIN and Rumur on the same models, in the
 * same run. Timed jobs run one at a time (p-limit(1)) so they do not disturb
 * each other; results go to bench/results/ as JSON and Markdown.
 *
 *   npm run bench                 peterson(5) (8,262,696 states) with all peers
 *   npm run bench -- --quick      peterson(4), for a smoke test
 *   npm run bench -- --no-peers   mmcheck only
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import pLimit from 'p-limit';
import { buildModel, search } from '../src/index.ts';
import { rssMonitor } from '../src/run/monitor.ts';
import peterson from '../models/peterson.ts';
import { petersonPromela } from './peers/promela.ts';
import { petersonMurphi } from './peers/murphi.ts';
import { havePeer, runRumur, runSpin, type PeerResult } from './peers/run.ts';

interface Row {
  tool: string;
  config: string;
  states: number;
  transitions: number;
  seconds: number;
  statesPerSecond: number;
  bytesPerState: number | null;
  peakMB: number | null;
  note: string;
}

const args = new Set(process.argv.slice(2));
const n = args.has('--quick') ? 4 : 5;
const peers = !args.has('--no-peers');
const timed = pLimit(1);
const rows: Row[] = [];
const log = (s: string) => process.stderr.write(s + '\n');

function ours(): Row {
  const r = search(buildModel(peterson, null, { n }), { liveness: false, monitor: rssMonitor() });
  return {
    tool: 'mmcheck',
    config: 'bfs, exact store, 1 thread',
    states: r.stats.states,
    transitions: r.stats.transitions,
    seconds: r.stats.seconds,
    statesPerSecond: r.stats.statesPerSecond,
    bytesPerState: r.stats.bytesPerState,
    peakMB: r.stats.peakRssMB,
    note: `${r.stats.bitsPerState} bits/state packed in ${r.stats.words} words; bytes/state = table + states + parent log`,
  };
}

function peerRow(p: PeerResult, note: string): Row {
  const states = p.modelStates ?? p.states;
  return {
    tool: p.tool,
    config: p.config,
    states,
    transitions: p.modelTransitions ?? p.transitions,
    seconds: p.searchSeconds,
    statesPerSecond: p.searchSeconds > 0 ? states / p.searchSeconds : 0,
    bytesPerState: p.peakMB !== null ? (p.peakMB * 1048576) / states : null,
    peakMB: p.peakMB,
    note,
  };
}

async function main(): Promise<void> {
  log(`bench: peterson(${n}) — mmcheck${peers ? ', SPIN and Rumur where installed' : ''}; timed jobs one at a time`);
  const jobs: Promise<void>[] = [];
  jobs.push(timed(async () => {
    log('  mmcheck ...');
    rows.push(ours());
  }));
  if (peers && havePeer('spin')) {
    jobs.push(timed(async () => {
      log('  spin dfs ...');
      rows.push(peerRow(await runSpin(petersonPromela(n), { bfs: false, por: false }), 'search time as pan reports it; bytes/state from peak RSS'));
    }));
    jobs.push(timed(async () => {
      log('  spin bfs ...');
      rows.push(peerRow(await runSpin(petersonPromela(n), { bfs: true, por: false }), 'search time as pan reports it; bytes/state from peak RSS'));
    }));
  } else if (peers) log('  spin not installed (apt-get install -y spin): skipped');
  if (peers && havePeer('rumur')) {
    jobs.push(timed(async () => {
      log('  rumur --threads 1 ...');
      rows.push(peerRow(await runRumur(petersonMurphi(n), { threads: 1 }), 'verifier wall time; bytes/state from peak RSS'));
    }));
  } else if (peers) log('  rumur not installed (apt-get install -y rumur): skipped');
  await Promise.all(jobs);

  const me = rows.find((r) => r.tool === 'mmcheck')!;
  const fmt = (x: number) => Math.round(x).toLocaleString('en-US');
  const head = ['tool', 'config', 'states', 'transitions', 'seconds', 'states/s', 'bytes/state', 'peak MB', 'time ratio (mmcheck / tool)'];
  const cells = rows.map((r) => [
    r.tool,
    r.config,
    fmt(r.states),
    fmt(r.transitions),
    r.seconds.toFixed(2),
    fmt(r.statesPerSecond),
    r.bytesPerState === null ? '-' : r.bytesPerState.toFixed(1),
    r.peakMB === null ? '-' : fmt(r.peakMB),
    r === me ? '1.00' : (me.seconds / r.seconds).toFixed(2),
  ]);
  const mismatch = rows.filter((r) => r.states !== me.states || r.transitions !== me.transitions);
  const md = [
    `## peterson(${n}), single thread — ${new Date().toISOString().slice(0, 10)}`,
    '',
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...cells.map((c) => `| ${c.join(' | ')} |`),
    '',
    mismatch.length ? `**COUNT MISMATCH**: ${mismatch.map((r) => r.tool + ' ' + r.config).join(', ')}` : 'All tools report the same states and transitions.',
    '',
    ...rows.map((r) => `- ${r.tool} (${r.config}): ${r.note}`),
  ].join('\n');
  process.stdout.write(md + '\n');
  const dir = join('bench', 'results');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `peterson${n}.json`), JSON.stringify({ date: new Date().toISOString(), n, rows }, null, 2) + '\n');
  writeFileSync(join(dir, `peterson${n}.md`), md + '\n');
  if (mismatch.length) process.exitCode = 1;
}

await main();
