/**
 * POR on the classic mutual-exclusion models beside SPIN's, with their
 * step-for-step Promela ports (bench/peers/classic.ts): mmcheck unreduced and
 * with --por (states, transitions, seconds), SPIN with -DNOREDUCE and with
 * its partial-order reduction; and livelock rows with --por under fairness
 * none on the models that declare progress. Exits 1 when an unreduced count
 * differs from SPIN's -DNOREDUCE count or POR changes a verdict.
 *
 *   node --import=tsx bench/por-classic.ts [--quick] [--no-peers]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildModel, search } from '../src/index.ts';
import { builtinModels } from '../models/index.ts';
import { classicPorts } from './peers/classic.ts';
import { havePeer, runSpin } from './peers/run.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const peers = !argv.includes('--no-peers') && havePeer('spin');
const sizes: Record<string, number[]> = quick
  ? { peterson: [3], 'lamport-fast': [3], szymanski: [3], bakery: [3], mcs: [3], fischer: [3] }
  : { peterson: [3, 4], 'lamport-fast': [3, 4], szymanski: [3, 4], bakery: [3, 4], mcs: [3, 4], fischer: [3, 4] };

interface Row {
  model: string;
  n: number;
  tool: string;
  config: string;
  states: number;
  transitions: number;
  seconds: number | null;
  verdict: string;
}
const rows: Row[] = [];
let bad = false;
for (const [name, ns] of Object.entries(sizes)) {
  const m = builtinModels.find((x) => x.name === name)!;
  const port = classicPorts[name]!;
  for (const n of ns) {
    const b = buildModel(m, m.variantNames.length ? m.variantNames[0]! : null, { n });
    const deadlock = port.deadlock ? null : false;
    const full = search(b, { liveness: false, deadlock });
    const red = search(b, { liveness: false, deadlock, por: true });
    rows.push({ model: name, n, tool: 'mmcheck', config: 'bfs', states: full.stats.states, transitions: full.stats.transitions, seconds: full.stats.seconds, verdict: full.verdict });
    rows.push({ model: name, n, tool: 'mmcheck', config: 'bfs --por', states: red.stats.states, transitions: red.stats.transitions, seconds: red.stats.seconds, verdict: red.verdict });
    if (red.verdict !== full.verdict) bad = true;
    if (peers) {
      for (const por of [false, true]) {
        const s = await runSpin(port.promela(n), { por, deadlock: port.deadlock, hashBits: 24 });
        rows.push({ model: name, n, tool: 'spin', config: por ? 'dfs, POR' : 'dfs -DNOREDUCE', states: s.modelStates ?? s.states, transitions: s.modelTransitions ?? s.transitions, seconds: s.searchSeconds ?? null, verdict: 'pass' });
        if (!por && (s.modelStates !== full.stats.states || s.modelTransitions !== full.stats.transitions)) {
          bad = true;
          process.stderr.write(`MISMATCH ${name}(${n}): SPIN -DNOREDUCE ${s.modelStates}/${s.modelTransitions}, mmcheck ${full.stats.states}/${full.stats.transitions}\n`);
        }
      }
    }
  }
}
// Livelock rows: POR under fairness none (the only fairness POR is sound for) on models with progress.
for (const m of builtinModels.filter((x) => x.def.category !== 'classic')) {
  const v = m.variantNames[0] ?? null;
  const b = buildModel(m, v, {});
  if (!b.hasProgress) continue;
  const full = search(b, { fairness: 'none' });
  const red = search(b, { fairness: 'none', por: true });
  rows.push({ model: `${m.name}/${v}`, n: 0, tool: 'mmcheck', config: 'livelock, fairness none', states: full.stats.states, transitions: full.stats.transitions, seconds: full.stats.seconds, verdict: full.verdict });
  rows.push({ model: `${m.name}/${v}`, n: 0, tool: 'mmcheck', config: 'livelock, fairness none, --por', states: red.stats.states, transitions: red.stats.transitions, seconds: red.stats.seconds, verdict: red.verdict });
  if (red.verdict !== full.verdict) bad = true;
}
const table = ['| model | n | tool | config | states | transitions | s | verdict |', '|---|---|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.model} | ${r.n || ''} | ${r.tool} | ${r.config} | ${r.states.toLocaleString('en')} | ${r.transitions.toLocaleString('en')} | ${r.seconds === null ? '' : r.seconds.toFixed(2)} | ${r.verdict} |`)].join('\n');
process.stdout.write(`${table}\n`);
mkdirSync('bench/results', { recursive: true });
const out = quick ? 'por-classic-quick' : 'por-classic';
writeFileSync(`bench/results/${out}.json`, JSON.stringify({ quick, peers, rows }, null, 2));
writeFileSync(
  `bench/results/${out}.md`,
  `# POR on the classic mutexes beside SPIN\n\nWritten by \`node --import=tsx bench/por-classic.ts${quick ? ' --quick' : ''}\`${peers ? '' : ' (SPIN not run)'}. mmcheck: BFS, exact store, no liveness; SPIN: \`spin -a\`, DFS, on the step-for-step ports of bench/peers/classic.ts (\`-DNOREDUCE\`, then with its POR). Seconds are one run on a shared machine (noisy). The livelock rows check non-progress cycles under fairness none, the one fairness POR is sound for.\n\n${table}\n`,
);
process.exitCode = bad ? 1 : 0;
