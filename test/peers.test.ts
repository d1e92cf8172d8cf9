/**
 * mmcheck against SPIN and Rumur on ports of the kernel models
 * (bench/peers/kernel-promela.ts, kernel-murphi.ts), and of the classic
 * models the multi-core bench runs (bench/peers/classic.ts): with no reduction the
 * peers' state and transition counts must equal mmcheck's exactly, and
 * Rumur's `--symmetry-reduction exhaustive` counts must equal mmcheck's
 * `--symmetry` counts. Skipped, visibly, where a peer (or gcc) is missing;
 * .ci/run installs them. The whole grid is `node --import=tsx
 * bench/peers/kernel-selfcheck.ts --all`.
 */
import test from 'ava';
import { checkPort, inCase, mewCase, peersAvailable, type PortCase } from '../bench/peers/kernel-run.ts';
import { classicMurphiPorts, classicPorts } from '../bench/peers/classic.ts';
import { runRumur, runSpin } from '../bench/peers/run.ts';
import { buildModel, search, type Model } from '../src/index.ts';
import { builtinModels } from '../models/index.ts';

const tools = peersAvailable();
const CASES: PortCase[] = [
  mewCase('wait-on-locked', { faulters: 3 }),
  mewCase('put-and-wait', { faulters: 3 }),
  mewCase('fault-get-page', { faulters: 3, holder: 1 }),
  inCase('correct', { invalidators: 2 }),
];

for (const c of CASES) {
  const title = `${c.ir.title}: SPIN and Rumur counts equal mmcheck's, Rumur symmetry equals --symmetry`;
  if (!tools.rumur && !tools.spin) {
    test.skip(`${title} (spin and rumur not installed)`, () => {});
    continue;
  }
  test(title, async (t) => {
    if (!tools.spin) t.log('spin not installed: SPIN rows skipped');
    if (!tools.rumur) t.log('rumur not installed: Rumur rows skipped');
    const rows = await checkPort(c, tools);
    const peers = rows.map((r) => r.tool);
    if (tools.spin) t.true(peers.includes('spin dfs') && peers.includes('spin bfs'));
    if (tools.rumur) t.deepEqual(peers.filter((x) => x.startsWith('rumur')), ['rumur', 'rumur symmetry']);
    for (const r of rows) {
      t.is(r.expectedVerdict, 'pass', `${r.tool}: these instances pass, so counts are comparable`);
      t.true(r.ok, `${r.tool} vs ${r.against}: expected ${r.expectedStates}/${r.expectedTransitions}, got ${r.states}/${r.transitions} ${r.note}`);
      t.is(r.states, r.expectedStates, r.tool);
      t.is(r.transitions, r.expectedTransitions, r.tool);
    }
    const sym = rows.find((r) => r.tool === 'rumur symmetry');
    const full = rows.find((r) => r.tool === 'rumur');
    if (sym && full) t.true(sym.states! < full.states!, 'symmetry reduces these instances');
  });
}

// The classic models' ports that the multi-core bench runs beside mmcheck (bench/workers.ts): SPIN's and Rumur's counts equal mmcheck's.
for (const name of Object.keys(classicMurphiPorts)) {
  const title = `classic ${name}(3): the Promela port's counts (SPIN) and the Murphi port's (Rumur) equal mmcheck's`;
  if (!tools.rumur && !tools.spin) {
    test.skip(`${title} (spin and rumur not installed)`, () => {});
    continue;
  }
  test(title, async (t) => {
    const model = builtinModels.find((m) => m.name === name)! as unknown as Model;
    const deadlock = classicPorts[name]!.deadlock;
    const r = search(buildModel(model, null, { n: 3 }), { deadlock: deadlock ? null : false });
    t.is(r.verdict, 'pass');
    t.true(r.stats.states > 1000, 'an instance large enough to tell ports apart');
    if (tools.spin) {
      const s = await runSpin(classicPorts[name]!.promela(3), { por: false, deadlock });
      t.is(s.errors, 0, 'spin');
      t.deepEqual([s.modelStates, s.modelTransitions], [r.stats.states, r.stats.transitions], 'spin');
    } else t.log('spin not installed: SPIN skipped');
    if (tools.rumur) {
      for (const threads of [1, 2]) {
        const u = await runRumur(classicMurphiPorts[name]!(3), { threads, deadlock, extraCFlags: ['-O0'] });
        t.is(u.errors, 0, `rumur --threads ${threads}`);
        t.deepEqual([u.states, u.transitions], [r.stats.states, r.stats.transitions], `rumur --threads ${threads}`);
      }
    } else t.log('rumur not installed: Rumur skipped');
  });
}
