/**
 * Time to first bug: random simulation, a swarm of bitstate searches and
 * exhaustive BFS on the same buggy models, each with a time limit.
 *
 *   node --import=tsx bench/time-to-bug.ts [--limit S] [--seed S] [--workers N]
 *        [--only NAME] [--methods simulate,swarm,bfs] [--json]
 *
 * Rows:
 *  - every kernel model in models/index.ts (category 'kernel'), every variant
 *    whose default expectation is a violation, at the largest instance its
 *    authors checked: each int parameter raised to the largest value any of
 *    the model's expectations uses (e.g. migration-entry-wait faulters=4);
 *  - classic stand-ins that exhaustive search cannot finish quickly: dining
 *    philosophers with n=14 and n=16 (deadlock), and peterson's
 *    `victim-first` variant (models/peterson.ts), Peterson's filter lock with
 *    the two writes of the doorway swapped, at n=4, 5 and 6 (mutual exclusion
 *    fails).
 *
 * Every method runs with the same fixed seed, so the table is reproducible
 * apart from the timings. Seconds are wall-clock and include, for the swarm,
 * starting its worker threads; "states" is what each method explored:
 * distinct states seen (simulate, by fingerprint), the union over workers
 * (swarm), states stored (BFS).
 */
import { availableParallelism } from 'node:os';
import { buildModel, expectationsOf, search, type Model, type Params } from '../src/index.ts';
import { simulate } from '../src/search/simulate.ts';
import { swarm } from '../src/run/swarm-pool.ts';
import type { FoundViolation } from '../src/search/types.ts';
import { builtinModels } from '../models/index.ts';

interface Case {
  model: Model;
  variant: string | null;
  params: Params;
}

/** Each int parameter at the largest value any expectation of the model uses, when that is above its default. */
function largestChecked(m: Model): Params {
  const out: Params = {};
  const all = (m.variantNames.length ? m.variantNames : [null]).flatMap((v) => expectationsOf(m, v));
  for (const [name, d] of Object.entries(m.def.params ?? {})) {
    if (d.kind !== 'int') continue;
    const vals = all.map((e) => e.params?.[name]).filter((x): x is number => typeof x === 'number');
    const max = Math.max(d.init as number, ...vals);
    if (max > (d.init as number)) out[name] = max;
  }
  return out;
}

function cases(): Case[] {
  const out: Case[] = [];
  for (const m of builtinModels.filter((x) => x.def.category === 'kernel')) {
    const scale = largestChecked(m);
    for (const v of m.variantNames) {
      const e = expectationsOf(m, v).find((x) => !x.params);
      if (e?.verdict !== 'violation') continue;
      // Parameters are not always independent (a model may refuse a combination): then the defaults.
      let params = scale;
      try {
        buildModel(m, v, scale);
      } catch {
        params = {};
      }
      out.push({ model: m, variant: v, params });
    }
  }
  const dining = builtinModels.find((x) => x.name === 'dining');
  if (dining) for (const n of [14, 16]) out.push({ model: dining, variant: null, params: { n } });
  const peterson = builtinModels.find((x) => x.name === 'peterson');
  if (peterson) for (const n of [4, 5, 6]) out.push({ model: peterson, variant: 'victim-first', params: { n } });
  return out;
}

type Method = 'simulate' | 'swarm' | 'bfs';

interface Row {
  model: string;
  variant: string;
  params: string;
  method: Method;
  /** Seconds to the first bug, or null when none was found within the limit. */
  seconds: number | null;
  elapsed: number;
  states: number;
  traceLength: number | null;
  found: string;
  note: string;
}

const describe = (v: FoundViolation | null) =>
  v ? (v.kind === 'invariant' || v.kind === 'assertion' ? `${v.kind} ${v.property}` : v.kind === 'livelock' ? v.property : v.kind) : '-';

async function runCase(c: Case, method: Method, o: { limit: number; seed: string; workers: number; jobs: number }): Promise<Row> {
  const built = buildModel(c.model, c.variant, c.params);
  const row = (seconds: number, v: FoundViolation | null, states: number, note: string): Row => ({
    model: c.model.name,
    variant: c.variant ?? '-',
    params: Object.entries(c.params).map(([k, x]) => `${k}=${x}`).join(' ') || '-',
    method,
    seconds: v ? seconds : null,
    elapsed: seconds,
    states,
    traceLength: v ? v.steps.length : null,
    found: describe(v),
    note,
  });
  const t0 = performance.now();
  const secs = () => (performance.now() - t0) / 1000;
  if (method === 'simulate') {
    const r = simulate(built, { seed: o.seed, runs: Infinity, depth: 1000, timeLimit: o.limit });
    return row(secs(), r.violation, r.stats.distinct, `${r.stats.runs} walk${r.stats.runs === 1 ? '' : 's'}${r.violation ? `, found in walk ${r.walk}` : ''}`);
  }
  if (method === 'swarm') {
    // When the first violation arrives; the swarm answers once no other worker can beat it (see swarm.ts).
    let first: number | null = null;
    const r = await swarm(
      { model: c.model.name, variant: c.variant, params: c.params },
      { workers: o.workers, jobs: o.jobs, seed: o.seed, timeLimit: o.limit, onWorkerDone: (w) => void (w.violation && first === null && (first = secs())) },
    );
    const won = r.winner !== null ? `, worker ${r.winner} won; first violation at ${first!.toFixed(2)} s` : '';
    return row(secs(), r.violation, r.coverage.distinct, `${o.workers} workers${won}${r.settled ? '' : ', time limit'}`);
  }
  const r = search(built, { timeLimit: o.limit });
  return row(secs(), r.violation, r.stats.states, r.incomplete ? `incomplete (${r.incomplete.reason}, depth ${r.incomplete.depth})` : r.verdict === 'pass' ? 'complete: no bug' : 'complete');
}

function table(rows: readonly Row[], limit: number): string {
  const n = (x: number) => x.toLocaleString('en-US');
  const head = ['model', 'variant', 'params', 'method', 'seconds to first bug', 'states explored', 'trace length', 'found', 'note'];
  const cells = rows.map((r) => [
    r.model,
    r.variant,
    r.params,
    r.method,
    r.seconds !== null ? r.seconds.toFixed(2) : `none in ${r.elapsed >= limit ? `${limit} (limit)` : r.elapsed.toFixed(2)}`,
    n(r.states),
    r.traceLength !== null ? String(r.traceLength) : '-',
    r.found,
    r.note,
  ]);
  const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
  const right = new Set([4, 5, 6]);
  const line = (c: string[]) => `| ${c.map((x, i) => (right.has(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join(' | ')} |`;
  return [line(head), `|${w.map((x, i) => (right.has(i) ? `${'-'.repeat(x + 1)}:` : `:${'-'.repeat(x + 1)}`)).join('|')}|`, ...cells.map(line)].join('\n');
}

async function main(argv: string[]): Promise<void> {
  const arg = (name: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const limit = Number(arg('limit') ?? 120);
  const seed = arg('seed') ?? '1';
  const jobs = availableParallelism();
  const workers = Number(arg('workers') ?? Math.max(4, 2 * jobs));
  const methods = (arg('methods') ?? 'simulate,swarm,bfs').split(',') as Method[];
  const only = arg('only');
  const json = argv.includes('--json');
  const rows: Row[] = [];
  const todo = cases().filter((c) => !only || c.model.name === only);
  if (!json) console.error(`time to first bug: ${todo.length} cases x ${methods.join(', ')}; limit ${limit} s per method; seed ${seed}; swarm of ${workers} workers, ${jobs} at a time`);
  for (const c of todo) {
    for (const m of methods) {
      const r = await runCase(c, m, { limit, seed, workers, jobs });
      rows.push(r);
      if (!json) console.error(`  ${r.model} ${r.variant} ${r.params} ${r.method}: ${r.seconds !== null ? `${r.seconds.toFixed(2)} s, ${r.found}` : `none (${r.note})`}`);
    }
  }
  if (json) console.log(JSON.stringify({ limit, seed, workers, jobs, rows }, null, 2));
  else console.log(`\n${table(rows, limit)}\n\nnode ${process.version}, ${jobs} CPUs; seconds are wall-clock; "none in N (limit)": no bug within the time limit.`);
}

await main(process.argv.slice(2));
