import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinModels } from '../models/index.ts';
import { expectationsOf } from '../src/index.ts';
import { parseTrace } from '../src/trace/format.ts';
import { replay } from '../src/trace/replay.ts';
import { checkExpectation } from '../src/run/expect.ts';

// Every expectation written beside a kernel or example model is a test: a changed verdict fails here.
for (const m of builtinModels.filter((x) => x.def.category !== 'classic')) {
  for (const v of m.variantNames.length ? m.variantNames : [null]) {
    for (const e of expectationsOf(m, v)) {
      if (e.bench) continue;
      const ps = e.params ? ` ${JSON.stringify(e.params)}` : '';
      test(`${m.name}${v ? ` / ${v}` : ''}${ps}: ${e.verdict}${e.kind ? ` (${e.kind}${e.property ? ` ${e.property}` : ''})` : ''}`, (t) => {
        const { diffs } = checkExpectation(m, v, e);
        t.deepEqual(diffs, []);
      });
    }
  }
}

// The examples the README and docs run.
for (const [file, count] of [['examples/lock.ts', 2], ['examples/ticket-lock.ts', 3], ['examples/put-and-wait.ts', 3], ['examples/lost-wakeup.ts', 3], ['examples/dma-resv.ts', 4]] as const)
  test(`${file} meets its expectations`, async (t) => {
    const { loadModel } = await import('../src/run/load.ts');
    const m = await loadModel(file);
    let n = 0;
    for (const v of m.variantNames)
      for (const e of expectationsOf(m, v)) {
        t.deepEqual(checkExpectation(m, v, e).diffs, [], `${v}: ${JSON.stringify(e)}`);
        n++;
      }
    t.is(n, count);
  });

test('every kernel model variant states its expected verdict for default parameters', (t) => {
  for (const m of builtinModels.filter((x) => x.def.category === 'kernel')) {
    for (const v of m.variantNames) t.true(expectationsOf(m, v).some((e) => !e.params), `${m.name} / ${v} has no default expectation`);
  }
  t.pass();
});

// Every saved counterexample still replays against the model and variant it was made on.
const traceDir = 'traces';
const files = (() => {
  try {
    return readdirSync(traceDir).filter((f) => f.endsWith('.json'));
  } catch {
    return [];
  }
})();
for (const f of files) {
  test(`trace ${f} replays and reproduces its violation`, (t) => {
    const tr = parseTrace(readFileSync(join(traceDir, f), 'utf8'), f);
    const m = builtinModels.find((x) => x.name === tr.model);
    if (!m) return t.fail(`no built-in model ${tr.model}`);
    const r = replay(tr, m);
    t.is(r.status, 'reproduced', `${r.verdict} ${JSON.stringify(r.stop)}`);
    t.deepEqual(r.notes, []);
  });
}
