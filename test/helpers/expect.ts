import { buildModel, search, type Expectation, type Model } from '../../src/index.ts';

/** Check one expectation; returns a list of differences (empty when it holds). */
export function checkExpectation(m: Model, variant: string | null, e: Expectation): { diffs: string[]; result: ReturnType<typeof search> } {
  const built = buildModel(m, variant, e.params ?? {});
  const r = search(built, { deadlock: e.deadlock === false ? false : null, fairness: e.fairness ?? 'weak' });
  const diffs: string[] = [];
  if (r.verdict !== e.verdict) diffs.push(`verdict ${r.verdict}${r.violation ? ` (${r.violation.kind} ${r.violation.property})` : ''}, expected ${e.verdict}`);
  if (e.kind && r.violation?.kind !== e.kind) diffs.push(`kind ${r.violation?.kind}, expected ${e.kind}`);
  if (e.property && r.violation?.property !== e.property) diffs.push(`property ${r.violation?.property}, expected ${e.property}`);
  if (e.length !== undefined && r.violation?.steps.length !== e.length) diffs.push(`length ${r.violation?.steps.length}, expected ${e.length}`);
  if (e.states !== undefined && r.stats.states !== e.states) diffs.push(`states ${r.stats.states}, expected ${e.states}`);
  if (e.transitions !== undefined && r.stats.transitions !== e.transitions) diffs.push(`transitions ${r.stats.transitions}, expected ${e.transitions}`);
  return { diffs, result: r };
}
