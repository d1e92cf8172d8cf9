import '../../src/search/liveness.ts';
import { buildModel } from '../../src/model/build.ts';
import { search } from '../../src/index.ts';
import { buildTrace } from '../../src/trace/build.ts';
import type { TraceFile } from '../../src/trace/format.ts';
import longCounter from './long-model.ts';

/** The `n`-step counterexample of the long-counter model (test/helpers/long-model.ts), as a trace file. */
export function longTrace(n: number): TraceFile {
  const r = search(buildModel(longCounter, null, { n }), {});
  if (!r.violation) throw new Error(`long-counter (n=${n}) has no violation`);
  return buildTrace(r.runtime, r.violation);
}

export { longCounter };
