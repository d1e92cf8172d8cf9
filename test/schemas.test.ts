import test from 'ava';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { cli } from './helpers/cli.ts';
import { asksForJson, checkJsonResult, resultErrors } from './helpers/result-schema.ts';
import { RESULT_FORMATS } from '../src/cli/json-result.ts';
import { tempDir } from './helpers/tmp.ts';

/** The JSON Schemas shipped in schemas/ (traces; --json results), checked against what mmcheck writes. */
const ajv = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
const traceSchema = ajv.compile(JSON.parse(readFileSync('schemas/trace.schema.json', 'utf8')));
const errors = () => ajv.errorsText(traceSchema.errors);

test('every saved trace validates against schemas/trace.schema.json', (t) => {
  const files = readdirSync('traces').filter((f) => f.endsWith('.json'));
  t.true(files.length > 10);
  for (const f of files) t.true(traceSchema(JSON.parse(readFileSync(join('traces', f), 'utf8'))), `${f}: ${errors()}`);
});

test('fresh traces of every kind validate; fields the format does not define do not', async (t) => {
  const dir = tempDir('mmcheck-schema-');
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

// ---------------------------------------------------------------------------
// schemas/result.schema.json: every --json result. Every CLI run of the tests
// with --json is validated by test/helpers/cli.ts; these cases make sure each
// kind of result is among them, and that the schema refuses what it should.
// ---------------------------------------------------------------------------

/** One run's result, validated by the cli helper (it throws on an invalid one). */
async function result(argv: string[], cwd: string, code?: number): Promise<Record<string, any>> {
  const r = await cli([...argv, '--json'], cwd);
  if (code !== undefined && r.code !== code) throw new Error(`mmcheck ${argv.join(' ')}: exit ${r.code}, expected ${code}\n${r.out}${r.err}`);
  return JSON.parse(r.out);
}

test('the result formats the CLI writes are exactly the ones the schema describes', (t) => {
  const schema = JSON.parse(readFileSync('schemas/result.schema.json', 'utf8'));
  const consts = new Set<string>();
  for (const branch of schema.oneOf) {
    const def = schema.$defs[branch.$ref.replace('#/$defs/', '')];
    for (const d of [def, ...(def.oneOf ?? [])]) if (d.properties?.format?.const) consts.add(d.properties.format.const);
  }
  t.deepEqual([...consts].sort(), Object.values(RESULT_FORMATS).sort());
  for (const f of consts) t.regex(f, /^mmcheck-[a-z]+\/\d+$/);
});

test('check: pass with coverage, every violation kind (a livelock with its lasso), each limit, reductions, cross-check and a trace that cannot be written', async (t) => {
  const dir = tempDir('mmcheck-result-');
  const pass = await result(['check', 'peterson', '-p', 'n=2'], dir, 0);
  t.is(pass.format, 'mmcheck-check/1');
  t.truthy(pass.coverage);
  const kinds: [string, string[]][] = [
    ['deadlock', ['check', 'dining', '-p', 'n=3', '--por', '--cross-check']],
    ['invariant', ['check', 'peterson', '--variant', 'victim-first', '-p', 'n=2', '--store', 'hash-compact']],
    ['livelock', ['check', 'migration-entry-wait', '--variant', 'put-and-wait', '--minimize']],
    ['assertion', ['check', 'migration-entry-wait', '--variant', 'wait-unlocked-ptl', '--strategy', 'dfs']],
  ];
  for (const [kind, argv] of kinds) {
    const o = await result([...argv, '--trace-out', `${kind}.json`], dir, 1);
    t.is(o.violation.kind, kind);
    t.is(o.violation.trace, `${kind}.json`);
    t.is('cycleStart' in o.violation, kind === 'livelock', kind);
  }
  const sym = await result(['check', 'migration-entry-wait', '--variant', 'wait-on-locked', '-p', 'faulters=3', '--symmetry', '--no-liveness'], dir, 0);
  t.is(sym.reduction.permutations, 6);
  const max = await result(['check', 'peterson', '-p', 'n=3', '--max-states', '100', '--store', 'bitstate'], dir, 3);
  t.is(max.incomplete.reason, 'max-states');
  t.is(max.reduction.store.mode, 'bitstate');
  const time = await result(['check', 'peterson', '-p', 'n=5', '--time-limit', '0.1'], dir, 3);
  t.is(time.incomplete.limitSeconds, 0.1);
  const mem = await result(['check', 'peterson', '-p', 'n=5', '--memory-limit', '1'], dir, 3);
  t.is(mem.incomplete.reason, 'memory-limit');
  // A trace path whose folder is a file: the violation is reported, with traceError and no trace.
  writeFileSync(join(dir, 'file'), '');
  const unwritable = await result(['check', 'dining', '-p', 'n=3', '--trace-out', 'file/t.json'], dir, 1);
  t.is(unwritable.violation.trace, null);
  t.regex(unwritable.traceError.code, /^MC4\d\d$/);
});

test('swarm, simulate, replay, minimize, list, verdicts, test and errors: each result validates', async (t) => {
  const dir = tempDir('mmcheck-result-');
  t.is((await result(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--trace-out', 'sw.json'], dir, 1)).format, 'mmcheck-swarm/1');
  t.is((await result(['check', 'peterson', '-p', 'n=2', '--swarm', '2', '--seed', '1'], dir, 3)).verdict, 'no-violation');
  t.is((await result(['simulate', 'dining', '-p', 'n=3', '--seed', '1', '--trace-out', 'sim.json'], dir, 1)).format, 'mmcheck-simulate/1');
  t.is((await result(['simulate', 'peterson', '-p', 'n=2', '--seed', '1', '--runs', '5'], dir, 0)).verdict, 'no-violation');
  await result(['check', 'dining', '-p', 'n=3', '--trace-out', 'd.json'], dir, 1);
  t.is((await result(['replay', 'd.json'], dir, 0)).status, 'reproduced');
  const moved = await result(['replay', join(process.cwd(), 'traces/migration-entry-wait.put-and-wait.faulters2-holder0-onFailureretry-checkSlack1-contendedrefault.livelock.json'), '--variant', 'wait-on-locked'], dir, 1);
  t.is(moved.status, 'no-longer-applies');
  t.truthy(moved.stop.doc);
  t.is((await result(['minimize', 'd.json'], dir, 0)).format, 'mmcheck-minimize/1');
  // A trace whose property was edited does not reproduce on its unchanged model: refused (an error result), by replay and minimize.
  const edited = JSON.parse(readFileSync(join(dir, 'd.json'), 'utf8'));
  writeFileSync(join(dir, 'e.json'), JSON.stringify({ ...edited, property: { kind: 'deadlock', name: 'stuck' } }));
  t.is((await result(['replay', 'e.json'], dir, 2)).error.code, 'MC406');
  t.is((await result(['minimize', 'e.json'], dir, 2)).error.code, 'MC406');
  // One made on a variant the fix no longer has the steps of: replays on the fix, and nothing to minimise there.
  const lock = resolve('examples/lock.ts');
  await result(['check', lock, '--variant', 'test-then-set', '--trace-out', 'tts.json'], dir, 1);
  const onFix = await result(['replay', 'tts.json', '--variant', 'atomic-xchg', '--model', lock], dir, 1);
  t.is(onFix.stop.reason, 'guard-false');
  // The model changed since (another model hash) so that the trace no longer reproduces: nothing to minimise, and the reason.
  writeFileSync(join(dir, 'lock-changed.ts'), readFileSync(lock, 'utf8').replace("from 'mmcheck'", `from ${JSON.stringify(resolve('src/index.ts'))}`).replace("(s) => s.inside !== 'two'", "(s) => s.inside !== 'two' || s.locked"));
  const notReproduced = await result(['minimize', 'tts.json', '--model', join(dir, 'lock-changed.ts')], dir, 1);
  t.is(notReproduced.minimized, null);
  t.truthy(notReproduced.reason);
  const list = await result(['list'], dir, 0);
  t.true(list.models.length >= 5);
  const verdicts = await result(['verdicts', '--model', 'dining'], dir, 0);
  t.is(verdicts.mismatches, 0);
  t.is((await result(['test', join(process.cwd(), 'examples')], dir, 0)).format, 'mmcheck-test/1');
  // Searches stopped by the memory ceiling: incomplete cases, exit 3.
  const stopped = await result(['test', join(process.cwd(), 'examples'), '--memory-limit', '1'], dir, 3);
  t.true(stopped.incomplete > 0 && stopped.cases.every((c: { status: string }) => c.status === 'incomplete'));
  t.is((await result(['check', 'nosuch'], dir, 2)).error.code, 'MC138');
});

test('the result schema refuses fields it does not describe, a missing or unknown format, and results that contradict themselves', async (t) => {
  const dir = tempDir('mmcheck-result-');
  const live = await result(['check', 'migration-entry-wait', '--variant', 'put-and-wait', '--no-trace'], dir, 1);
  const dead = await result(['check', 'dining', '-p', 'n=3', '--no-trace'], dir, 1);
  const pass = await result(['check', 'peterson', '-p', 'n=2'], dir, 0);
  t.is(resultErrors(live), null);
  t.is(resultErrors({ ...live, violation: { ...live.violation, starving: 'T[0]' } }), null, 'starvation is a livelock with the starving thread');
  const bad: [string, unknown][] = [
    ['an unknown top-level field', { ...pass, note: 'x' }],
    ['an unknown stats field', { ...pass, stats: { ...pass.stats, extra: 1 } }],
    ['no format', { ...pass, format: undefined }],
    ['an unknown format', { ...pass, format: 'mmcheck-check/2' }],
    ['a livelock without its cycle', { ...live, violation: { ...live.violation, cycleStart: undefined } }],
    ['a deadlock with a cycle', { ...dead, violation: { ...dead.violation, cycleStart: 0 } }],
    ['a deadlock that starves', { ...dead, violation: { ...dead.violation, starving: 'phil[0]' } }],
    ['a blocked thread with a field it does not describe', { ...dead, violation: { ...dead.violation, blocked: [{ ...dead.violation.blocked[0], note: 'x' }] } }],
    ['a blocked thread without what it waits for', { ...dead, violation: { ...dead.violation, blocked: [{ ...dead.violation.blocked[0], waitsFor: undefined }] } }],
    ['a wait of a blocked thread with a field it does not describe', { ...dead, violation: { ...dead.violation, blocked: [{ ...dead.violation.blocked[0], waitsFor: [{ ...dead.violation.blocked[0].waitsFor[0], note: 'x' }] }] } }],
    ['a pass with a violation', { ...pass, violation: dead.violation }],
    ['a violation without one', { ...dead, violation: null }],
    ['a pass without coverage', { ...pass, coverage: null }],
    ['an incomplete result without what stopped it', { ...pass, verdict: 'incomplete', coverage: null }],
    ['a time limit without the limit', { ...pass, verdict: 'incomplete', coverage: null, incomplete: { reason: 'time-limit', states: 1, depth: 0, frontier: 0 } }],
    ['a forced stop without its phase', { ...pass, verdict: 'incomplete', coverage: null, incomplete: { reason: 'max-states', states: 1, depth: 0, frontier: 0, forced: true } }],
    ['a trace error with a trace path', { ...dead, violation: { ...dead.violation, trace: 'x.json' }, traceError: { code: 'MC420', message: 'x' } }],
    ['an error without a code', { format: 'mmcheck-error/1', error: { message: 'x' } }],
    ['an error code of another shape', { format: 'mmcheck-error/1', error: { code: 'E1', message: 'x' } }],
    ['a list as a bare array', [{ name: 'dining' }]],
  ];
  for (const [what, value] of bad) t.not(resultErrors(JSON.parse(JSON.stringify(value))), null, what);
});

test('the cli helper validates every --json run and only those', (t) => {
  t.true(asksForJson(['check', 'dining', '--json']));
  t.false(asksForJson(['check', 'dining']));
  t.false(asksForJson(['check', '--json', '--help']));
  t.false(asksForJson(['check', 'm.ts', '--', '--json']));
  t.notThrows(() => checkJsonResult(['list'], 'not json'));
  t.throws(() => checkJsonResult(['list', '--json'], 'not json'), { message: /not one JSON value/ });
  t.throws(() => checkJsonResult(['list', '--json'], '{"format":"mmcheck-list/1"}'), { message: /does not validate.*models/ });
});

test('the JSON results shown in the docs validate', (t) => {
  let shown = 0;
  for (const file of ['README.md', 'docs/json-output.md']) {
    for (const m of readFileSync(file, 'utf8').matchAll(/```json\n([\s\S]*?)```/g)) {
      if (!/"format": "mmcheck-(?!trace)/.test(m[1]!)) continue;
      shown++;
      t.is(resultErrors(JSON.parse(m[1]!)), null, `${file}: ${m[1]!.slice(0, 60)}`);
    }
  }
  t.true(shown >= 3);
});

test('swarm member results validate against schemas/swarm-member.schema.json (its trace against the trace schema)', async (t) => {
  const v = new Ajv2020({ allErrors: true, strict: true, strictRequired: false, allowUnionTypes: true });
  v.addSchema(JSON.parse(readFileSync('schemas/trace.schema.json', 'utf8')));
  const memberSchema = v.compile(JSON.parse(readFileSync('schemas/swarm-member.schema.json', 'utf8')));
  const dir = tempDir('mmcheck-schema-');
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
