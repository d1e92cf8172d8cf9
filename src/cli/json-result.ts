/**
 * The `--json` results: one object on stdout per run, whose first field,
 * `format`, names the shape of that command's result and its version
 * (schemas/result.schema.json describes each; docs/json-output.md). A reader
 * dispatches on `format` and refuses versions it does not know. The version
 * changes when a field is removed or changes meaning; a field added later is
 * optional for readers, and is added to the schema with the code that
 * writes it. `mmcheck-test/1` predates the others and keeps its name.
 */
export const RESULT_FORMATS = {
  check: 'mmcheck-check/1',
  swarm: 'mmcheck-swarm/1',
  simulate: 'mmcheck-simulate/1',
  replay: 'mmcheck-replay/1',
  minimize: 'mmcheck-minimize/1',
  list: 'mmcheck-list/1',
  verdicts: 'mmcheck-verdicts/1',
  test: 'mmcheck-test/1',
  error: 'mmcheck-error/1',
} as const;

export type ResultKind = keyof typeof RESULT_FORMATS;

/** One result as the line (or, with `indent`, the block) printed on stdout: `format` first, then the command's fields. */
export function jsonResult(kind: ResultKind, body: object, indent?: number): string {
  return JSON.stringify({ format: RESULT_FORMATS[kind], ...body }, null, indent) + '\n';
}
