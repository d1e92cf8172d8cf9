/**
 * Multi-core search against one thread on the real models: every built-in
 * model and variant, at sizes where a helper thread takes part, under the
 * option sets users run (plain, --symmetry, strong fairness, --por for
 * safety and for livelocks without fairness, hash-compact), each with
 * `mmcheck check --workers 1` and `--workers N` (the real command, a
 * process each). The two must agree on everything but time and memory:
 * exit code, verdict, violation, incomplete report, states, transitions,
 * depth, the reductions' report, and the saved counterexample step by
 * step; a refused combination must be refused alike. The law tests
 * (test/workers*.test.ts) check random models against the reference
 * checker; this checks the shipped models, with their traces.
 *
 *   node --import=tsx bench/workers-agree.ts             kernel models enlarged, classic models at n = 3 or 4 (~13 min here)
 *   node --import=tsx bench/workers-agree.ts --quick     the models' default sizes, plain and --por only (~2 min)
 *   node --import=tsx bench/workers-agree.ts --workers 3 compare one thread with 3 workers
 *   node --import=tsx bench/workers-agree.ts --only dining  one model
 *
 * Helpers join at once (MMCHECK_JOIN_AFTER_MS=0): without it most of these
 * searches, a few tenths of a second, would end before a helper joined.
 * The summary counts the cases in which one did (`stats.workers`). Exit 1
 * when any case differs, or fails with an internal error in either run.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mmcheckProcess } from '../test/helpers/cli.ts';

const argv = process.argv.slice(2);
const quick = argv.includes('--quick');
const wAt = argv.indexOf('--workers');
const workers = wAt >= 0 ? Number(argv[wAt + 1]) : 2;
if (!Number.isInteger(workers) || workers < 2) throw new Error(`--workers: expected a whole number >= 2, not ${argv[wAt + 1]}`);
const onlyAt = argv.indexOf('--only');
const only = onlyAt >= 0 ? argv[onlyAt + 1] : undefined;

/** Parameters at which the search runs long enough for helpers to join (0.1 to 3 s here), per model. */
const SIZES: Record<string, string[]> = {
  'migration-entry-wait': ['faulters=7'],
  'interval-notifier': ['invalidators=4', 'notifiers=2', 'retries=3'],
  'gpusvm-evict': ['nC=6'],
  'coherent-longterm-pin': ['nS=4'],
  'device-exclusive': ['nC=4'],
  peterson: ['n=4'],
  szymanski: ['n=4'],
  'lamport-fast': ['n=4'],
  bakery: ['n=3'],
  mcs: ['n=3'],
  dining: ['n=8'],
};
const OPTION_SETS: string[][] = quick
  ? [[], ['--por', '--no-liveness']]
  : [[], ['--symmetry'], ['--fairness', 'strong'], ['--por', '--no-liveness'], ['--fairness', 'none', '--por'], ['--no-liveness', '--store', 'hash-compact']];

/** The fields of `check --json` compared here. */
interface CheckJson {
  error?: { code: string };
  verdict: string;
  violation: Record<string, unknown> | null;
  incomplete: unknown;
  stats: { states: number; transitions: number; depth: number; workers?: number };
  reduction: { store?: Record<string, unknown> } & Record<string, unknown>;
}

interface Outcome {
  code: number | null;
  /** Everything the two runs must agree on, as one string. */
  key: string;
  steps: string | null;
  workers: number | null;
}

/** One `mmcheck check` process; its `--json` result is validated against the schema (`mmcheckProcess`). */
async function mmcheck(args: string[], w: number, tracePath: string): Promise<Outcome> {
  rmSync(tracePath, { force: true });
  const r = await mmcheckProcess(['check', ...args, '--json', '--no-progress', '--workers', String(w), '--trace-out', tracePath], process.cwd(), { MMCHECK_JOIN_AFTER_MS: '0' });
  if (r.out === '') return { code: r.code, key: `nothing on stdout: ${r.err.slice(0, 300)}`, steps: null, workers: null };
  const j = JSON.parse(r.out) as CheckJson;
  let key: string;
  if (j.error) key = `error ${j.error.code}`;
  else {
    const store = j.reduction?.store ? { ...j.reduction.store, bytesPerState: null } : undefined;
    key = JSON.stringify([j.verdict, j.violation && { ...j.violation, trace: null }, j.incomplete, j.stats.states, j.stats.transitions, j.stats.depth, { ...j.reduction, store }]);
  }
  let steps: string | null = null;
  try {
    steps = JSON.stringify(JSON.parse(readFileSync(tracePath, 'utf8')).steps);
  } catch {
    /* no counterexample saved */
  }
  return { code: r.code, key, steps, workers: j.stats?.workers ?? null };
}

async function main(): Promise<void> {
  const list = JSON.parse((await mmcheckProcess(['list', '--json'])).out) as { models: { name: string; variants?: { name: string }[] }[] };
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-agree-'));
  let cases = 0;
  let helped = 0;
  let refused = 0;
  const differ: string[] = [];
  try {
    if (only !== undefined && !list.models.some((m) => m.name === only)) throw new Error(`--only: no built-in model ${only}`);
    for (const m of list.models) {
      if (only !== undefined && m.name !== only) continue;
      const size = quick ? [] : (SIZES[m.name] ?? []).flatMap((p) => ['-p', p]);
      const variants = m.variants?.length ? m.variants.map((v) => v.name) : [null];
      for (const v of variants)
        for (const o of OPTION_SETS) {
          const args = [m.name, ...(v !== null ? ['--variant', v] : []), ...size, ...o];
          const one = await mmcheck(args, 1, join(dir, 'one.json'));
          const many = await mmcheck(args, workers, join(dir, 'many.json'));
          cases++;
          const what = args.join(' ');
          // An internal error (exit 70) or a run that printed nothing is a failure even when both runs fail alike.
          const broken = [one, many].find((r) => r.code === 70 || r.key.startsWith('nothing on stdout'));
          if (broken !== undefined) {
            differ.push(what);
            console.log(`FAILS    ${what}: exit ${broken.code} ${broken.key}`);
            continue;
          }
          if (one.code !== many.code || one.key !== many.key || one.steps !== many.steps) {
            differ.push(what);
            console.log(`DIFFERS  ${what}\n  --workers 1: exit ${one.code} ${one.key}\n  --workers ${workers}: exit ${many.code} ${many.key}${one.steps === many.steps ? '' : '\n  the saved counterexamples differ'}`);
            continue;
          }
          if (one.key.startsWith('error ')) {
            refused++;
            console.log(`agrees   ${what}: exit ${one.code} (${one.key}, refused alike)`);
            continue;
          }
          if ((many.workers ?? 1) > 1) helped++;
          console.log(`agrees   ${what}: exit ${one.code}, ${many.workers ?? 1} of ${workers} workers took part`);
        }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  console.log(`\n${cases} cases: ${cases - differ.length} agree (${refused} refused alike), ${differ.length} differ or fail; helpers took part in ${helped}`);
  if (differ.length) process.exitCode = 1;
}

await main();
