/**
 * POR on the classic mutual-exclusion models beside SPIN's, with their
 * step-for-step Promela ports (bench/peers/classic.ts): mmcheck unreduced and
 * with --por (states, transitions, seconds), SPIN with -DNOREDUCE and with
 * its partial-order reduction; and livelock rows with --por under fairness
 * none on the models that declare progress.
 *
 * The `fine` variants against their textbook ports (bench/peers/classic-fine.ts),
 * where SPIN's reduction does reduce: mmcheck unreduced, --por (BFS, and DFS
 * with --stack-proviso), --dead-vars, both; SPIN `-o1 -o3` (no dataflow
 * optimisation, no statement merging: step for step) with -DNOREDUCE and
 * with POR, and `-o3` (its default dead-variable elimination) with and
 * without POR. --dead-vars rows for the classic and kernel models too.
 * Exits 1 when an unreduced count differs from SPIN's -DNOREDUCE count, a
 * reduction changes a verdict, or mmcheck's best --por count on a fine
 * variant exceeds SPIN's POR count.
 *
 *   node --import=tsx bench/por-classic.ts [--quick] [--no-peers]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { buildModel, search } from '../src/index.ts';
import { builtinModels } from '../models/index.ts';
import { classicPorts } from './peers/classic.ts';
import { classicFinePorts } from './peers/classic-fine.ts';
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
    const dead = search(b, { liveness: false, deadlock, deadVars: true });
    rows.push({ model: name, n, tool: 'mmcheck', config: 'bfs --dead-vars', states: dead.stats.states, transitions: dead.stats.transitions, seconds: dead.stats.seconds, verdict: dead.verdict });
    if (red.verdict !== full.verdict || dead.verdict !== full.verdict) bad = true;
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
// The fine variants beside their textbook ports.
const fineSizes: Record<string, number[]> = quick
  ? { peterson: [3], szymanski: [3], 'lamport-fast': [3], mcs: [3], bakery: [3], fischer: [3] }
  : { peterson: [3, 4], szymanski: [3, 4], 'lamport-fast': [3], mcs: [3], bakery: [3], fischer: [3, 4] };
for (const [name, ns] of Object.entries(fineSizes)) {
  const m = builtinModels.find((x) => x.name === name)!;
  const port = classicFinePorts[name]!;
  for (const n of ns) {
    const b = buildModel(m, 'fine', { n });
    const deadlock = port.deadlock ? null : false;
    const model = `${name}/fine`;
    const runs: [string, Parameters<typeof search>[1]][] = [
      ['bfs', {}],
      ['bfs --por', { por: true }],
      ['dfs --por --stack-proviso', { por: true, strategy: 'dfs', stackProviso: true }],
      ['bfs --dead-vars', { deadVars: true }],
      ['bfs --dead-vars --por', { deadVars: true, por: true }],
      ['dfs --dead-vars --por --stack-proviso', { deadVars: true, por: true, strategy: 'dfs', stackProviso: true }],
    ];
    const got = new Map<string, number>();
    let fullVerdict = '';
    for (const [config, o] of runs) {
      const r = search(b, { liveness: false, deadlock, ...o });
      rows.push({ model, n, tool: 'mmcheck', config, states: r.stats.states, transitions: r.stats.transitions, seconds: r.stats.seconds, verdict: r.verdict });
      got.set(config, r.stats.states);
      if (config === 'bfs') {
        fullVerdict = r.verdict;
        got.set('transitions', r.stats.transitions);
      } else if (r.verdict !== fullVerdict) bad = true;
    }
    if (peers) {
      const spinRuns: [string, string[], boolean][] = [
        ['dfs -o1 -o3 -DNOREDUCE', ['-o1', '-o3'], false],
        ['dfs -o1 -o3, POR', ['-o1', '-o3'], true],
        ['dfs -o3 (dead variables) -DNOREDUCE', ['-o3'], false],
        ['dfs -o3 (dead variables), POR', ['-o3'], true],
      ];
      for (const [config, spinFlags, por] of spinRuns) {
        const s = await runSpin(port.promela(n), { por, deadlock: port.deadlock, hashBits: 24, spinFlags });
        rows.push({ model, n, tool: 'spin', config, states: s.modelStates ?? s.states, transitions: s.modelTransitions ?? s.transitions, seconds: s.searchSeconds ?? null, verdict: s.errors ? 'violation' : 'pass' });
        if (!por && spinFlags.includes('-o1') && (s.modelStates !== got.get('bfs') || s.modelTransitions !== got.get('transitions'))) {
          bad = true;
          process.stderr.write(`MISMATCH ${model}(${n}): SPIN -DNOREDUCE ${s.modelStates}/${s.modelTransitions}, mmcheck ${got.get('bfs')}/${got.get('transitions')}\n`);
        }
        if (por && spinFlags.includes('-o1') && Math.min(got.get('bfs --por')!, got.get('dfs --por --stack-proviso')!) > s.modelStates!) {
          bad = true;
          process.stderr.write(`POR ${model}(${n}): mmcheck ${got.get('bfs --por')} (bfs) / ${got.get('dfs --por --stack-proviso')} (dfs) states, SPIN ${s.modelStates}\n`);
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
  const dead = search(b, { fairness: 'none', deadVars: true });
  rows.push({ model: `${m.name}/${v}`, n: 0, tool: 'mmcheck', config: 'livelock, fairness none, --dead-vars', states: dead.stats.states, transitions: dead.stats.transitions, seconds: dead.stats.seconds, verdict: dead.verdict });
  if (red.verdict !== full.verdict || dead.verdict !== full.verdict) bad = true;
}
const table = ['| model | n | tool | config | states | transitions | s | verdict |', '|---|---|---|---|---|---|---|---|', ...rows.map((r) => `| ${r.model} | ${r.n || ''} | ${r.tool} | ${r.config} | ${r.states.toLocaleString('en')} | ${r.transitions.toLocaleString('en')} | ${r.seconds === null ? '' : r.seconds.toFixed(2)} | ${r.verdict} |`)].join('\n');
process.stdout.write(`${table}\n`);
mkdirSync('bench/results', { recursive: true });
const out = quick ? 'por-classic-quick' : 'por-classic';
writeFileSync(`bench/results/${out}.json`, JSON.stringify({ quick, peers, rows }, null, 2));
writeFileSync(
  `bench/results/${out}.md`,
  `# POR on the classic mutexes beside SPIN\n\nWritten by \`node --import=tsx bench/por-classic.ts${quick ? ' --quick' : ''}\`${peers ? '' : ' (SPIN not run)'}. mmcheck: BFS, exact store, no liveness; SPIN: \`spin -a\`, DFS, on the step-for-step ports of bench/peers/classic.ts (\`-DNOREDUCE\`, then with its POR). The \`/fine\` rows are the fine variants beside their textbook ports (bench/peers/classic-fine.ts): SPIN \`-o1 -o3\` is step for step (no dead-variable resets, no statement merging), \`-o3\` adds SPIN's dead-variable elimination, its default; mmcheck's \`dfs --por --stack-proviso\` uses the stack proviso, as SPIN does. Seconds are one run on a shared machine (noisy). The livelock rows check non-progress cycles under fairness none, the one fairness POR is sound for.\n\n${table}\n`,
);
process.exitCode = bad ? 1 : 0;
