/**
 * Self-check of the kernel ports (kernel-promela.ts, kernel-murphi.ts): with
 * no reduction, SPIN's model states/transitions (DFS and BFS) and Rumur's
 * states/rules fired must equal mmcheck's exactly (`mmcheck check ...
 * --no-liveness --json`), and Rumur's `--symmetry-reduction exhaustive`
 * counts must equal mmcheck's `--symmetry` counts. Exits 1 on any mismatch.
 *
 *   node --import=tsx bench/peers/kernel-selfcheck.ts           the instances the bench uses
 *   node --import=tsx bench/peers/kernel-selfcheck.ts --all     every variant and parameter combination
 *                                                               (faulters 2..4, holder, onFailure, contended;
 *                                                               invalidators, notifiers, freeAt; gpusvm-evict nC 0..3,
 *                                                               cTrylockFail; coherent-longterm-pin nS 1..3,
 *                                                               evictAttempts, ignoreWhich): pass verdicts
 *                                                               compare counts, violations that the peer finds one
 *   ... --json                                                  rows as JSON on stdout
 */
import { availableParallelism } from 'node:os';
import { pathToFileURL } from 'node:url';
import pLimit from 'p-limit';
import { COHERENT_LONGTERM_PIN_VARIANTS, GPUSVM_EVICT_VARIANTS, INTERVAL_NOTIFIER_VARIANTS, MIGRATION_ENTRY_WAIT_VARIANTS } from './kernel-ir.ts';
import { checkPort, clpCase, DEFAULT_PORT_CASES, geCase, inCase, mewCase, peersAvailable, type PortCase, type PortCheckRow } from './kernel-run.ts';

export function allPortCases(): PortCase[] {
  const out: PortCase[] = [];
  for (const v of MIGRATION_ENTRY_WAIT_VARIANTS)
    for (const faulters of [2, 3, 4])
      for (const holder of [0, 1])
        for (const onFailure of ['retry', 'sigbus'] as const)
          for (const contended of ['refault', 'wait'] as const) out.push(mewCase(v, { faulters, holder, onFailure, contended }));
  for (const v of INTERVAL_NOTIFIER_VARIANTS)
    for (const invalidators of [1, 2])
      for (const notifiers of [1, 2])
        for (const freeAt of ['zap', 'afterEnd'] as const) out.push(inCase(v, { invalidators, notifiers, freeAt }));
  for (const v of GPUSVM_EVICT_VARIANTS)
    for (const nC of [0, 1, 2, 3])
      for (const cTrylockFail of ['refault', 'wait'] as const) out.push(geCase(v, { nC, cTrylockFail }));
  for (const v of COHERENT_LONGTERM_PIN_VARIANTS)
    for (const nS of [1, 2, 3])
      for (const evictAttempts of [0, 2])
        for (const ignoreWhich of ['all', 'allButMoveMapping'] as const) out.push(clpCase(v, { nS, evictAttempts, ignoreWhich }));
  return out;
}

/** Run the checks (in parallel: they are count checks, not timings). */
export async function kernelSelfcheck(cases: PortCase[], log: (s: string) => void = () => {}, limit = pLimit(Math.max(1, availableParallelism()))): Promise<PortCheckRow[]> {
  const tools = peersAvailable();
  if (!tools.spin) log('kernel-selfcheck: spin not installed, SPIN rows skipped');
  if (!tools.rumur) log('kernel-selfcheck: rumur not installed, Rumur rows skipped');
  const results = await Promise.all(cases.map((c) => limit(() => checkPort(c, tools))));
  return results.flat();
}

const fmt = (x: number | null) => (x === null ? '-' : x.toLocaleString('en-US'));

export function selfcheckTable(rows: readonly PortCheckRow[]): string {
  const head = ['instance', 'peer', 'equal to', 'expected states / transitions', 'peer states / transitions', 'result'];
  const lines = rows.map((r) => [
    r.case,
    r.tool,
    r.against,
    r.expectedVerdict === 'pass' ? `${fmt(r.expectedStates)} / ${fmt(r.expectedTransitions)}` : r.expectedVerdict,
    r.expectedVerdict === 'pass' ? `${fmt(r.states)} / ${fmt(r.transitions)}` : `errors: ${fmt(r.errors)}`,
    r.ok ? (r.expectedVerdict === 'pass' ? 'equal' : 'error found too') : `MISMATCH${r.note ? ` (${r.note})` : ''}`,
  ]);
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...lines.map((l) => `| ${l.join(' | ')} |`)].join('\n');
}

async function main(): Promise<number> {
  const argv = new Set(process.argv.slice(2));
  const cases = argv.has('--all') ? allPortCases() : DEFAULT_PORT_CASES;
  const rows = await kernelSelfcheck(cases, (s) => process.stderr.write(s + '\n'));
  if (argv.has('--json')) process.stdout.write(JSON.stringify(rows.map(({ peer: _p, ...r }) => r), null, 2) + '\n');
  else {
    process.stdout.write(selfcheckTable(rows) + '\n');
    const bad = rows.filter((r) => !r.ok).length;
    const counted = rows.filter((r) => r.expectedVerdict === 'pass').length;
    process.stdout.write(`\n${rows.length - bad} of ${rows.length} rows OK (${counted} with exact count equality, ${rows.length - counted} violation rows)\n`);
  }
  return rows.some((r) => !r.ok) ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
