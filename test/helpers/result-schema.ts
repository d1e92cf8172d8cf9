import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';

/**
 * schemas/result.schema.json, compiled once per test process, and the check
 * every CLI run with `--json` goes through (test/helpers/cli.ts): stdout is
 * one result object that validates. The schema is strict (no field it does
 * not describe), so a field added to a result without adding it to the
 * schema fails the tests that print it.
 */
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const schema = JSON.parse(readFileSync(resolve(import.meta.dirname, '../../schemas/result.schema.json'), 'utf8')) as { $defs: Record<string, unknown> };
export const validateResult: ValidateFunction = ajv.compile(schema);

/** The `$defs` entry for each `format`, to report a failing result against its own command's schema rather than all of them. */
const byFormat = new Map<string, ValidateFunction>();
for (const [name, def] of Object.entries(schema.$defs)) {
  const formats = [def, ...(((def as { oneOf?: unknown[] }).oneOf ?? []) as unknown[])].map((d) => (d as { properties?: { format?: { const?: string } } }).properties?.format?.const);
  for (const f of formats) if (f) byFormat.set(f, ajv.getSchema(`mmcheck-result/1#/$defs/${name}`)!);
}

/** Null when the value is a valid result, else what is wrong with it (against its format's schema when the format is known). */
export function resultErrors(value: unknown): string | null {
  if (validateResult(value)) return null;
  const format = (value as { format?: unknown } | null)?.format;
  const own = typeof format === 'string' ? byFormat.get(format) : undefined;
  if (own && !own(value)) return `${format}: ${ajv.errorsText(own.errors, { dataVar: 'result' })}`;
  return ajv.errorsText(validateResult.errors, { dataVar: 'result' });
}

/** Whether a command line asks for a JSON result (`--json` before any `--`, and not a help or version request). */
export function asksForJson(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  const head = end < 0 ? args : args.slice(0, end);
  return head.includes('--json') && !head.some((a) => a === '--help' || a === '-h' || a === '--version') && head[0] !== 'help';
}

/** Throws when a `--json` run printed something on stdout that is not one valid result object. */
export function checkJsonResult(args: readonly string[], out: string): void {
  if (!asksForJson(args) || out === '') return;
  let value: unknown;
  try {
    value = JSON.parse(out);
  } catch (e) {
    throw new Error(`mmcheck ${args.join(' ')} --json printed something that is not one JSON value (${(e as Error).message}):\n${out.slice(0, 2000)}`);
  }
  const errors = resultErrors(value);
  if (errors) throw new Error(`mmcheck ${args.join(' ')}: the --json result does not validate against schemas/result.schema.json: ${errors}\n${out.slice(0, 2000)}`);
}
