import test from 'ava';
import fc from 'fast-check';
import { buildModel, combine, completion, defineModel, int, refcount, replicate, search, spinlock, thread, type Fragment, type StepDef } from '../src/index.ts';
import { stepFootprint } from '../src/reduce/footprint.ts';
import { asymmetryReason } from '../src/reduce/symmetry.ts';
import { referenceExplore } from './helpers/reference.ts';

/**
 * Laws for models built from blocks: random programs over two spinlocks, a
 * reference count, a completion and a plain counter, run by a replicated
 * group and a single thread. The unreduced search agrees with the reference
 * checker; POR and symmetry keep its verdict (and never add states); every
 * step's footprint is known (the blocks hide nothing from the reductions);
 * and the replicated group stays symmetric.
 */
const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 60);

type Op = 'lockA' | 'lockB' | 'unlock' | 'get' | 'put' | 'tryGet' | 'complete' | 'wait' | 'bump';
const OPS: readonly Op[] = ['lockA', 'lockB', 'unlock', 'get', 'put', 'tryGet', 'complete', 'wait', 'bump'];

const genProgram = fc.array(fc.record({ op: fc.constantFrom(...OPS), join: fc.boolean() }), { minLength: 1, maxLength: 4 });

function toModel(progW: { op: Op; join: boolean }[], progV: { op: Op; join: boolean }[]) {
  const la = spinlock('la', ['w', 'v']);
  const lb = spinlock('lb', ['w', 'v']);
  const refs = refcount('refs', { max: 4, init: 1 });
  // Room for every complete a program can make (at most four ops): with room for three, four completes wrote outside the count's domain, a model error that failed the property (seed 45854201), not a verdict.
  const done = completion('done', { max: 4 });
  const bump: Fragment = { when: (s) => s.x < 2, then: (s) => { s.x = s.x + 1; } };
  const program = (group: 'w' | 'v', prog: { op: Op; join: boolean }[]) => {
    const held: ('la' | 'lb')[] = [];
    let gets = 0;
    const steps: Record<string, StepDef> = {};
    // Each op is a fragment; `join` puts it into the same atomic step as the previous one.
    let pending: Fragment[] = [];
    let k = 0;
    const flush = () => {
      if (pending.length === 0) return;
      steps[`s${k}`] = { ...combine(...pending), next: `s${k + 1}` };
      k++;
      pending = [];
    };
    for (const { op, join } of prog) {
      if (!join) flush();
      switch (op) {
        case 'lockA':
        case 'lockB': {
          const l = op === 'lockA' ? 'la' : 'lb';
          if (held.includes(l)) continue;
          held.push(l);
          // Taking a lock is a step of its own (its guard would make an earlier fragment's effect wait with it).
          flush();
          pending.push((l === 'la' ? la : lb).lock(group));
          flush();
          break;
        }
        case 'unlock': {
          const l = held.pop();
          if (l) pending.push((l === 'la' ? la : lb).unlock(group));
          break;
        }
        case 'get':
          if (gets < 1) {
            gets++;
            pending.push(refs.get());
          }
          break;
        case 'put':
          if (gets > 0) {
            gets--;
            pending.push(refs.put());
          }
          break;
        case 'tryGet':
          // A try that can fail ends the program on failure, so its count stays balanced.
          if (gets < 1) {
            flush();
            Object.assign(steps, refs.tryGet({ at: `s${k}`, ok: `s${k + 1}`, fail: 'done' }));
            k++;
            gets++;
          }
          break;
        case 'complete':
          if (group === 'v') pending.push(done.complete());
          break;
        case 'wait':
          flush();
          pending.push(done.wait());
          flush();
          break;
        case 'bump':
          // Two bumps in one atomic step would both pass their guard at x = 1 and write x = 3, outside x's domain (a model error, not a verdict).
          if (pending.includes(bump)) flush();
          pending.push(bump);
          break;
      }
    }
    flush();
    while (held.length) {
      const l = held.pop()!;
      steps[`s${k}`] = { ...(l === 'la' ? la : lb).unlock(group), next: `s${k + 1}` };
      k++;
    }
    while (gets-- > 0) {
      steps[`s${k}`] = { ...refs.put(), next: `s${k + 1}` };
      k++;
    }
    steps[`s${k}`] = { next: 'done' };
    return steps;
  };
  return defineModel({
    name: 'random-blocks',
    shared: { x: int(0, 2) },
    blocks: [la, lb, refs, done],
    threads: [replicate(2, 'w', { start: 's0', end: ['done'], steps: program('w', progW) }), thread('v', { start: 's0', end: ['done'], steps: program('v', progV) })],
  });
}

test('random block models: the search agrees with the reference; POR and symmetry keep the verdict; footprints are known', (t) => {
  let symmetric = 0;
  fc.assert(
    fc.property(genProgram, genProgram, fc.boolean(), (pw, pv, deadlock) => {
      const b = buildModel(toModel(pw, pv), null);
      for (const tpl of b.templates) for (const st of tpl.steps) if (stepFootprint(b, st).unknown) return false;
      const full = search(b, { deadlock, liveness: false });
      const ref = referenceExplore(b, { deadlock });
      if ((full.verdict === 'violation') !== ref.violations.size > 0) return false;
      if (full.verdict === 'pass' && (ref.states !== full.stats.states || ref.transitions !== full.stats.transitions)) return false;
      const por = search(b, { deadlock, liveness: false, por: true });
      if (por.verdict !== full.verdict || (full.verdict === 'pass' && por.stats.states > full.stats.states)) return false;
      if (asymmetryReason(b, 'w') !== '') return false;
      symmetric++;
      const sym = search(b, { deadlock, liveness: false, symmetry: true });
      if (sym.verdict !== full.verdict || (full.verdict === 'pass' && sym.stats.states > full.stats.states)) return false;
      return true;
    }),
    { numRuns: RUNS },
  );
  t.is(symmetric, RUNS);
});
