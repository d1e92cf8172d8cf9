/**
 * The SPIN and Rumur ports of coherent-longterm-pin and gpusvm-evict
 * (bench/peers/kernel-ir.ts) against mmcheck: with no reduction the peers'
 * state and transition counts equal mmcheck's exactly; where mmcheck accepts
 * symmetry (coherent-longterm-pin's S replicas) Rumur's exhaustive symmetry
 * reduction equals `--symmetry`. gpusvm-evict's symmetry is refused by
 * mmcheck (an invariant names each C replica), so it has no symmetric row.
 * Skipped, visibly, where a peer is missing.
 */
import test from 'ava';
import { checkPort, clpCase, geCase, peersAvailable, type PortCase } from '../bench/peers/kernel-run.ts';

const tools = peersAvailable();
const CASES: [PortCase, boolean][] = [
  [clpCase('migrate-before-pin', { nS: 2 }), true],
  [geCase('va-evict', { nC: 2 }), false],
];

for (const [c, symmetric] of CASES) {
  const title = `${c.ir.title}: SPIN and Rumur counts equal mmcheck's${symmetric ? ', Rumur symmetry equals --symmetry' : ''}`;
  if (!tools.rumur && !tools.spin) {
    test.skip(`${title} (spin and rumur not installed)`, () => {});
    continue;
  }
  test(title, async (t) => {
    const rows = await checkPort(c, tools);
    const peers = rows.map((r) => r.tool);
    if (tools.spin) t.true(peers.includes('spin dfs') && peers.includes('spin bfs'));
    if (tools.rumur) t.deepEqual(peers.filter((x) => x.startsWith('rumur')), symmetric ? ['rumur', 'rumur symmetry'] : ['rumur']);
    for (const r of rows) {
      t.is(r.expectedVerdict, 'pass', `${r.tool}: these instances pass, so counts are comparable`);
      t.true(r.ok, `${r.tool} vs ${r.against}: expected ${r.expectedStates}/${r.expectedTransitions}, got ${r.states}/${r.transitions} ${r.note}`);
    }
  });
}
