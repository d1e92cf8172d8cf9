/**
 * Self-check of the peer ports: run SPIN and Rumur on the small instances of
 * both models and compare their model state/transition counts with the
 * expected ones. Exits 1 on any mismatch or peer failure.
 *
 *   node --import=tsx bench/peers/selfcheck.ts           # small instances
 *   node --import=tsx bench/peers/selfcheck.ts --big     # also peterson(5) (minutes, GBs)
 *
 * SPIN runs in two configurations: DFS (spin) and breadth-first (spin-bfs).
 */
import { diningMurphi, petersonMurphi } from './murphi.ts';
import { diningPromela, petersonPromela } from './promela.ts';
import { havePeer, runRumur, runSpin, type PeerResult, type PeerTool } from './run.ts';

interface Case {
  model: 'peterson' | 'dining';
  n: number;
  states: number;
  transitions: number;
}

const SMALL: Case[] = [
  { model: 'peterson', n: 3, states: 1_710, transitions: 4_066 },
  { model: 'peterson', n: 4, states: 105_484, transitions: 328_284 },
  { model: 'dining', n: 3, states: 14, transitions: 27 },
  { model: 'dining', n: 5, states: 82, transitions: 265 },
  { model: 'dining', n: 8, states: 1_154, transitions: 5_968 },
  { model: 'dining', n: 10, states: 6_726, transitions: 43_480 },
  { model: 'dining', n: 12, states: 39_202, transitions: 304_104 },
];

const BIG: Case[] = [{ model: 'peterson', n: 5, states: 8_262_696, transitions: 32_241_420 }];

type Variant = 'spin' | 'spin-bfs' | 'rumur';

const VARIANT_TOOL: Record<Variant, PeerTool> = { spin: 'spin', 'spin-bfs': 'spin', rumur: 'rumur' };

async function runCase(c: Case, variant: Variant): Promise<PeerResult> {
  // Peterson must be deadlock-free, so check it; dining deadlocks by design.
  const deadlock = c.model === 'peterson';
  if (variant === 'rumur') {
    const source = c.model === 'peterson' ? petersonMurphi(c.n) : diningMurphi(c.n);
    return runRumur(source, { threads: 1, deadlock });
  }
  const source = c.model === 'peterson' ? petersonPromela(c.n) : diningPromela(c.n);
  const big = c.states > 1_000_000;
  return runSpin(source, {
    bfs: variant === 'spin-bfs',
    deadlock,
    hashBits: big ? 25 : 20,
    // peterson(5) DFS reaches depth 1,178,728; pan allocates ~48 B per -m level up front.
    maxDepth: big ? 2_000_000 : 1_000_000,
  });
}

function fmt(x: number | null | undefined, digits = 0): string {
  if (x === null || x === undefined) return '-';
  return digits ? x.toFixed(digits) : x.toLocaleString('en-US');
}

async function main(): Promise<number> {
  const cases = process.argv.includes('--big') ? [...SMALL, ...BIG] : SMALL;
  const variants = (['spin', 'spin-bfs', 'rumur'] as const).filter((v) => {
    if (havePeer(VARIANT_TOOL[v])) return true;
    console.error(`skipping ${v}: ${VARIANT_TOOL[v]} not installed`);
    return false;
  });
  if (variants.length === 0) {
    console.error('no peer tool installed');
    return 1;
  }

  const header = ['model', 'n', 'tool', 'states', 'transitions', 'expected', 'search s', 'peak MB', 'verdict'];
  const rows: string[][] = [];
  let failures = 0;
  for (const c of cases) {
    for (const tool of variants) {
      const expected = `${fmt(c.states)} / ${fmt(c.transitions)}`;
      try {
        const r = await runCase(c, tool);
        const ok = r.modelStates === c.states && r.modelTransitions === c.transitions && r.errors === 0;
        if (!ok) failures++;
        const raw = tool !== 'rumur' ? ` (raw ${fmt(r.states)} / ${fmt(r.transitions)})` : '';
        rows.push([
          c.model,
          String(c.n),
          tool,
          fmt(r.modelStates),
          fmt(r.modelTransitions) + raw,
          expected,
          fmt(r.searchSeconds, 2),
          fmt(r.peakMB, 1),
          ok ? 'OK' : r.errors ? `MISMATCH (${r.errors} errors)` : 'MISMATCH',
        ]);
      } catch (err) {
        failures++;
        rows.push([c.model, String(c.n), tool, '-', '-', expected, '-', '-', 'ERROR']);
        console.error(err instanceof Error ? err.message : err);
      }
    }
  }

  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd();
  console.log(line(header));
  console.log(line(widths.map((w) => '-'.repeat(w))));
  for (const r of rows) console.log(line(r));
  console.log(`\n${rows.length - failures} passed, ${failures} failed`);
  return failures ? 1 : 0;
}

process.exitCode = await main();
