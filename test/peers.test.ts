/**
 * mmcheck against SPIN and Rumur on ports of the kernel models
 * (bench/peers/kernel-promela.ts, kernel-murphi.ts): with no reduction the
 * peers' state and transition counts must equal mmcheck's exactly, and
 * Rumur's `--symmetry-reduction exhaustive` counts must equal mmcheck's
 * `--symmetry` counts. Skipped, visibly, where a peer (or gcc) is missing;
 * .ci/run installs them. The whole grid is `node --import=tsx
 * bench/peers/kernel-selfcheck.ts --all`.
 */
import test from 'ava';
import { checkPort, inCase, mewCase, peersAvailable, type PortCase } from '../bench/peers/kernel-run.ts';

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
