/**
 * mmcheck against SPIN and Rumur on random small models (bench/peers/fuzz.ts):
 * a fixed batch of seeds, each model compared for counts, verdicts,
 * counterexample length, livelocks (SPIN -DNP with and without weak
 * fairness) and what every reduction keeps. Skipped, visibly, where a peer
 * (or gcc) is missing; .ci/run installs them. More models:
 * `node --import=tsx bench/peers/fuzz.ts --seed S --count N`.
 */
import test from 'ava';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { check, type Model } from '../src/index.ts';
import { fuzzOne, type FuzzReport } from '../bench/peers/fuzz.ts';
import { generate } from '../bench/peers/fuzz-gen.ts';
import { migrationEntryWait, type KernelModel } from '../bench/peers/kernel-ir.ts';
import { kernelMmcheck } from '../bench/peers/kernel-mmcheck.ts';
import { peersAvailable } from '../bench/peers/kernel-run.ts';
import { pathToFileURL } from 'node:url';
import migration from '../models/migration-entry-wait.ts';
import { tempDir } from './helpers/tmp.ts';

const tools = peersAvailable();
/** Seeds whose models between them violate an invariant, an assertion and deadlock freedom, pass, and livelock with and without fairness. */
const SEEDS = ['big-4', 'big-9', 'big-37', 'big-12', 'big-49', 'big-41', 'big-45', 'big-38'];
/** Extended-generator seeds whose models between them choose, store and compare thread ids (symmetric, against Rumur's scalarsets), step from an end label, replicate two groups and read labels and counts in an invariant. */
const EXT_SEEDS = ['x2-14', 'x2-18', 'x2-22', 'x2-15'];
const EXT = { extended: true } as const;

test('the mmcheck port of a kernel model has the model file\'s counts', async (t) => {
  const dir = tempDir('mmcheck-port-');
  try {
    const file = join(dir, 'mew.ts');
    writeFileSync(file, kernelMmcheck(migrationEntryWait('put-and-wait', { faulters: 2 }), join(process.cwd(), 'src', 'index.ts')));
    const port = ((await import(pathToFileURL(file).href)) as { default: Model }).default;
    for (const options of [{}, { symmetry: true }, { por: true }]) {
      const a = check(port, { liveness: false, ...options });
      const b = check(migration, { variant: 'put-and-wait', params: { faulters: 2 }, liveness: false, ...options });
      t.is(a.verdict, 'pass');
      t.deepEqual([a.stats.states, a.stats.transitions], [b.stats.states, b.stats.transitions], JSON.stringify(options));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('the generator is deterministic from its seed', (t) => {
  t.deepEqual(generate('ci-3'), generate('ci-3'));
  t.notDeepEqual(generate('ci-3').ir, generate('ci-4').ir);
  t.deepEqual(generate('ci-3', EXT), generate('ci-3', EXT));
  t.notDeepEqual(generate('ci-3', EXT).ir, generate('ci-3').ir);
});

if (!tools.spin || !tools.rumur) {
  test.skip(`random models: mmcheck agrees with SPIN and Rumur (${!tools.spin ? 'spin' : 'rumur'} not installed)`, () => {});
} else {
  test('random models: mmcheck agrees with SPIN and Rumur', async (t) => {
    // Kept when a seed has findings, to look into (the assertion names it); removed otherwise.
    const dir = mkdtempSync(join(tmpdir(), 'mmcheck-fuzz-test-'));
    const reports: FuzzReport[] = [];
    try {
      for (const [i, seed] of SEEDS.entries()) {
        const r = await fuzzOne(seed, { dir, tools, workers: i === 0 });
        reports.push(r);
        t.deepEqual(r.findings, [], `${seed} (${r.summary}): files in ${join(dir, seed)}`);
        t.deepEqual(r.refused, [], seed);
      }
      for (const seed of EXT_SEEDS) {
        const r = await fuzzOne(seed, { dir, tools, gen: EXT });
        reports.push(r);
        t.deepEqual(r.findings, [], `${seed} (extended: ${r.summary}): files in ${join(dir, seed)}`);
        t.deepEqual(r.refused, [], seed);
        t.true(r.compared.includes('rumur symmetry vs --symmetry counts'), `${seed}: symmetric counts not compared`);
      }
      // The extended batch exercises every construct the plain generator leaves out.
      const irs = EXT_SEEDS.map((seed) => generate(seed, EXT).ir);
      const has: [string, (m: KernelModel) => boolean][] = [
        ['choose', (m) => m.groups.some((g) => g.steps.some((st) => (st.choose ?? 0) >= 2))],
        ['thread ids', (m) => m.shared.some((v) => v.type.kind === 'tid')],
        ['a thread id indexing', (m) => /\[o[TU]\d\]/.test(JSON.stringify(m.groups))],
        ['a step at an end label', (m) => m.groups.some((g) => g.steps.some((st) => g.end.includes(st.at)))],
        ['two replicated groups', (m) => m.groups.filter((g) => g.replicated && g.symmetric !== false).length === 2],
        ['an invariant over labels', (m) => /_pc|COUNT_/.test(JSON.stringify(m.invariants))],
        ['a guard over another thread', (m) => /COUNT_|_pc/.test(JSON.stringify(m.groups))],
      ];
      for (const [what, p] of has) t.true(irs.some(p), `no model of the extended batch has ${what}`);
      // The batch exercises every kind of answer, so that a comparison that never fires cannot pass unseen.
      const summaries = reports.map((r) => r.summary).join('\n');
      for (const want of ['invariant len', 'assertion len', 'deadlock len', 'pass,', 'livelock weak yes', 'livelock weak no', 'none yes']) t.true(summaries.includes(want), `no model of the batch gives "${want}":\n${summaries}`);
      const compared = new Set(reports.flatMap((r) => r.compared));
      for (const c of ['spin (no properties) counts', 'rumur (no properties) counts', 'spin verdict', 'rumur verdict', 'rumur symmetry vs --symmetry counts', 'spin -DNP -l -f', '--workers 2', '--por --symmetry --dead-vars'])
        t.true(compared.has(c), `no model of the batch was compared by ${c}`);
    } finally {
      if (reports.every((r) => r.findings.length === 0)) rmSync(dir, { recursive: true, force: true });
    }
  });
}
