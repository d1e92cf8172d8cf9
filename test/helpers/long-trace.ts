import '../../src/search/liveness.ts';
import { buildModel } from '../../src/model/build.ts';
import { search } from '../../src/index.ts';
import { buildTrace } from '../../src/trace/build.ts';
import type { TraceFile } from '../../src/trace/format.ts';
import longCounter from './long-model.ts';

/**
 * The counterexample of the long-counter model (test/helpers/long-model.ts)
 * as a trace file: `overflow`, exactly `n` steps; `spin`, a livelock lasso
 * with an `n`-step stem and a two-step cycle.
 */
export function longTrace(n: number, variant: 'overflow' | 'spin' = 'overflow'): TraceFile {
  const r = search(buildModel(longCounter, variant, { n }), {});
  if (!r.violation) throw new Error(`long-counter / ${variant} (n=${n}) has no violation`);
  return buildTrace(r.runtime, r.violation, r.violation.kind === 'livelock' ? { fairness: r.fairness ?? 'weak' } : {});
}

export { longCounter };
