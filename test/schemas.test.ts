import test from 'ava';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli } from './helpers/cli.ts';

/** The JSON Schemas shipped in schemas/, checked against what mmcheck writes. */
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const traceSchema = ajv.compile(JSON.parse(readFileSync('schemas/trace.schema.json', 'utf8')));
const errors = () => ajv.errorsText(traceSchema.errors);

test('every saved trace validates against schemas/trace.schema.json', (t) => {
  const files = readdirSync('traces').filter((f) => f.endsWith('.json'));
  t.true(files.length > 10);
  for (const f of files) t.true(traceSchema(JSON.parse(readFileSync(join('traces', f), 'utf8'))), `${f}: ${errors()}`);
});

test('fresh traces of every kind validate; fields the format does not define do not', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-schema-'));
  const runs: [string, string[]][] = [
    ['deadlock', ['check', 'dining', '-p', 'n=3']],
    ['invariant', ['check', 'peterson', '--variant', 'victim-first', '-p', 'n=2']],
    ['livelock', ['check', 'migration-entry-wait', '--variant', 'put-and-wait']],
    ['assertion', ['check', 'migration-entry-wait', '--variant', 'wait-unlocked-ptl']],
  ];
  for (const [kind, argv] of runs) {
    const r = await cli([...argv, '--trace-out', `${kind}.json`, '--no-progress'], dir);
    t.is(r.code, 1, r.err);
    const trace = JSON.parse(readFileSync(join(dir, `${kind}.json`), 'utf8'));
    t.is(trace.property.kind, kind);
    t.true(traceSchema(trace), `${kind}: ${errors()}`);
    t.false(traceSchema({ ...trace, note: 'x' }), kind);
    t.false(traceSchema({ ...trace, steps: [{ ...trace.steps[0], extra: 1 }, ...trace.steps.slice(1)] }), kind);
    if (kind === 'livelock') t.false(traceSchema({ ...trace, cycleStart: undefined }));
    else t.false(traceSchema({ ...trace, cycleStart: 0 }));
  }
});

test('swarm member results validate against schemas/swarm-member.schema.json (its trace against the trace schema)', async (t) => {
  const v = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  v.addSchema(JSON.parse(readFileSync('schemas/trace.schema.json', 'utf8')));
  const memberSchema = v.compile(JSON.parse(readFileSync('schemas/swarm-member.schema.json', 'utf8')));
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-schema-'));
  for (const [name, extra] of [['found', []], ['none', ['--no-deadlock']]] as const) {
    const r = await cli(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--member', '1', '-o', `${name}.json`, ...extra], dir);
    t.is(r.code, 0, r.err);
    const m = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    t.true(memberSchema(m), `${name}: ${v.errorsText(memberSchema.errors)}`);
    t.false(memberSchema({ ...m, note: 'x' }), name);
    t.false(memberSchema({ ...m, outcome: { ...m.outcome, status: 'cancelled' } }), name);
    if (m.violation) t.false(memberSchema({ ...m, violation: { ...m.violation, trace: { ...m.violation.trace, extra: 1 } } }), name);
  }
});
