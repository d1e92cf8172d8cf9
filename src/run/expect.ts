import { buildModel, type BuiltModel } from '../model/build.ts';
import { McError, q } from '../model/errors.ts';
import type { Expectation, Model } from '../model/define.ts';
import { search } from '../search/check.ts';
import { defaultOptions, type SearchOptions, type SearchResult } from '../search/types.ts';

/**
 * A model's `expect` entries, checked: the one place that decides whether a
 * search result matches an expectation (`mmcheck verdicts`, the model tests).
 */

/** The search options an expectation asks for (its deadlock and fairness settings). */
export function expectationOptions(e: Expectation | undefined): Partial<SearchOptions> {
  return { deadlock: e?.deadlock === false ? false : null, fairness: e?.fairness ?? defaultOptions.fairness };
}

/** How a result differs from an expectation; empty when it matches. */
export function expectationDiffs(e: Expectation, r: SearchResult): string[] {
  const diffs: string[] = [];
  if (r.verdict !== e.verdict) diffs.push(`verdict ${r.verdict}${r.violation ? ` (${r.violation.kind} ${r.violation.property})` : ''}, expected ${e.verdict}`);
  // Without a violation the verdict's line says all there is about kind, property and length.
  if (r.violation) {
    if (e.kind && r.violation.kind !== e.kind) diffs.push(`kind ${r.violation.kind}, expected ${e.kind}`);
    if (e.property && r.violation.property !== e.property) diffs.push(`property ${r.violation.property}, expected ${e.property}`);
    if (e.length !== undefined && r.violation.steps.length !== e.length) diffs.push(`length ${r.violation.steps.length}, expected ${e.length}`);
  }
  if (e.states !== undefined && r.stats.states !== e.states) diffs.push(`states ${r.stats.states}, expected ${e.states}`);
  if (e.transitions !== undefined && r.stats.transitions !== e.transitions) diffs.push(`transitions ${r.stats.transitions}, expected ${e.transitions}`);
  return diffs;
}

/** The model built for the expectation's parameters, checked against what it names (before any search). */
export function expectationModel(m: Model, variant: string | null, e: Expectation | undefined): BuiltModel {
  const built = buildModel(m, variant, e?.params ?? {});
  // A misspelt invariant name would only show as a mismatch after the whole search.
  if (e?.kind === 'invariant' && e.property !== undefined && !built.invariants.some((i) => i.name === e.property)) {
    const names = built.invariants.map((i) => q(i.name));
    throw new McError('MC147', `model ${q(m.name)}${variant ? ` variant ${q(variant)}` : ''}: expect names invariant ${q(e.property)}, which the model does not declare (${names.length ? `invariants: ${names.join(', ')}` : 'it declares no invariants'})`);
  }
  return built;
}

/** Build the model for the expectation's parameters, search (in this thread), and compare. */
export function checkExpectation(m: Model, variant: string | null, e: Expectation): { diffs: string[]; result: SearchResult; built: BuiltModel } {
  const built = expectationModel(m, variant, e);
  const result = search(built, expectationOptions(e));
  return { diffs: expectationDiffs(e, result), result, built };
}

/** "pass", "deadlock", "invariant (no-uaf)", "livelock (starvation)": the same words for expected and found verdicts. */
export function verdictText(verdict: string, kind?: string, property?: string, fairness?: string): string {
  if (verdict !== 'violation') return verdict;
  const k = kind ?? 'violation';
  return `${k}${property && property !== k ? ` (${property})` : ''}${fairness && fairness !== 'weak' ? ` [${fairness}]` : ''}`;
}

/** An expectation in those words ("-" for none); a pass under non-weak fairness names it. */
export function expectationText(e: Expectation | undefined): string {
  if (!e) return '-';
  return verdictText(e.verdict, e.kind, e.property, e.fairness) + (e.verdict === 'pass' && e.fairness && e.fairness !== 'weak' ? ` [${e.fairness}]` : '');
}

/** A result in the same words, under the expectation's fairness. */
export function resultText(r: SearchResult, e: Expectation | undefined): string {
  return verdictText(r.verdict, r.violation?.kind, r.violation?.property, e?.fairness) + (r.verdict === 'pass' && e?.fairness && e.fairness !== 'weak' ? ` [${e.fairness}]` : '');
}
