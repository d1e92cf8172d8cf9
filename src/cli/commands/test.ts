import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { expectationsOf, type Expectation, type Model } from '../../model/define.ts';
import { McError, isIncompleteError, q } from '../../model/errors.ts';
import { withoutComments } from '../../model/source.ts';
import { expectationDiffs, expectationModel, expectationOptions, expectationText, resultText } from '../../run/expect.ts';
import { findModelFiles, loadModel } from '../../run/load.ts';
import { CaseRunner } from '../../run/case-runner.ts';
import { InterruptedBeforeSearch } from '../../run/signals.ts';
import { memoryCeiling, type MemoryCeiling } from '../../run/memory-ceiling.ts';
import type { SupervisedResult } from '../../run/supervise.ts';
import { refuseForeignOutput, refuseOutputOverInput, writeFileAtomic } from '../../run/write.ts';
import type { Args, Command } from '../args.ts';
import { count, errorPathLine, EXIT, isCodedError, n, toFile, type Io } from '../common.ts';
import { errorPathOf } from '../../trace/error-path.ts';
import { jsonResult } from '../json-result.ts';
import { endedInStep } from '../output.ts';
import { cycleSearchText } from '../../search/cycle-progress.ts';
import type { SearchResult } from '../../search/types.ts';
import { helperWarnings, workersCount } from './check.ts';

const REPORTERS = ['text', 'junit'] as const;

/**
 * `mmcheck test [paths...]`: the expectations written beside a team's own
 * models, checked the way CI wants them — a table, a closing line
 * `N passed, M failed`, exit 1 on any mismatch, JUnit XML on request.
 */
export const testCommand: Command = {
  name: 'test',
  summary: "check every expectation of every model file under the given paths (CI)",
  usage: 'test [paths...] [options]',
  positionals: ['paths'],
  variadic: true,
  takes: 'model files or folders (default ./models)',
  flags: {
    filter: { type: 'string', value: 'TEXT', help: 'only cases whose "model/variant" contains TEXT' },
    all: { type: 'boolean', help: 'also the expectations marked bench: true (long runs)' },
    strict: { type: 'boolean', help: 'a variant without an expectation fails the run instead of being skipped (a variant added without one does not pass CI unseen)' },
    'time-limit': { type: 'string', value: 'S', help: 'stop the search of any one expectation after S seconds, even inside a step that does not return (the case is incomplete)' },
    'memory-limit': { type: 'string', value: 'MB', help: "stop a search when the process's resident memory exceeds MB megabytes (the case is incomplete); default: 80% of the machine's (or cgroup's) memory" },
    workers: { type: 'string', value: 'N', help: "threads of each case's search, with the same counts and verdicts as one; the helpers start once a search has run 250 ms (default: the machine's CPUs)" },
    reporter: { type: 'string', value: REPORTERS.join('|'), default: 'text', help: 'text table, or JUnit XML for CI systems' },
    out: { type: 'string', short: 'o', value: 'FILE', help: 'with --reporter junit: write the XML to FILE (default stdout; -: stdout); an existing FILE only if it is a JUnit report of mmcheck test (MC346)' },
    json: { type: 'boolean', help: 'one JSON object on stdout' },
  },
  conflicts: [['json', 'reporter']],
  notes: [
    'Each model file is a module whose default export is defineModel({...}); files in the folders that export no model are skipped, unless they call defineModel (a model whose export was forgotten fails the run).',
    'A variant without an expectation is listed as skipped (with --strict it fails the run); so is an expectation marked bench: true, unless --all.',
    'Each search runs in a search thread, as check\'s does: a case stopped by --time-limit or the memory ceiling is incomplete (its expectation was not checked); SIGINT or SIGTERM stops the search under way and checks no further expectation, and the cases checked so far are reported.',
    'Exit codes: 0 every expectation holds, 1 some do not (or a model failed to load), 3 none failed but some case is incomplete or the run was interrupted, 2 bad input; a run that checks no expectation at all (none written, all left out by --filter, or all bench: true) is bad input too (MC159).',
  ],
  example: 'mmcheck test models/ --reporter junit -o reports/mmcheck.xml',
  run: runTest,
};

/** One expectation checked (or skipped, or a model that would not load). */
export interface TestCase {
  readonly file: string;
  readonly model: string;
  readonly variant: string | null;
  readonly params: string;
  readonly expected: string;
  readonly got: string;
  /** incomplete: the search was stopped (a limit, a signal) before it could decide the expectation. */
  readonly status: 'passed' | 'failed' | 'incomplete' | 'skipped';
  readonly diffs: readonly string[];
  readonly states: number;
  readonly transitions: number;
  readonly seconds: number;
  /** The threads that took part in the case's search, when more than one (--workers). */
  readonly workers?: number;
  /** Helper threads of --workers that failed before they joined the case's search (it went on without them): warnings, not part of the case. */
  readonly helperErrors?: SearchResult['helperErrors'];
}

async function runTest(args: Args, io: Io): Promise<number> {
  const reporter = args.oneOf('reporter', REPORTERS);
  if (args.given('out') && reporter !== 'junit') throw new McError('MC332', 'mmcheck test: --out goes with --reporter junit');
  const paths = args.positionals.length ? args.positionals : ['models'];
  const files = findModelFiles(paths, io.cwd);
  // A report written over a model file would destroy it: refused before anything runs.
  const reportOut = toFile(args.str('out'));
  if (reportOut !== undefined) {
    refuseOutputOverInput(reportOut, files.map((f) => ({ path: f.file, what: 'model file' })), io.cwd, '-o');
    refuseForeignOutput(reportOut, 'junit', { cwd: io.cwd, option: '-o' });
  }
  const limits: CaseLimits = {
    timeLimit: args.given('time-limit') ? args.num('time-limit', { min: 0 }) : Infinity,
    memory: memoryCeiling(args.given('memory-limit') ? args.num('memory-limit', { min: 1 }) : Infinity),
    workers: workersCount(args),
  };
  // The search thread starts now, so that its start-up overlaps loading the models; it handles SIGINT and SIGTERM from here.
  const runner = new CaseRunner(limits.memory);
  try {
    return await testWith(runner, files, limits, reporter, reportOut, args, io, paths);
  } finally {
    runner.close();
  }
}

/** The limits every case's search runs under, and its threads. */
interface CaseLimits {
  readonly timeLimit: number;
  readonly memory: MemoryCeiling;
  readonly workers: number;
}

async function testWith(runner: CaseRunner, files: ReturnType<typeof findModelFiles>, limits: CaseLimits, reporter: (typeof REPORTERS)[number], out: string | undefined, args: Args, io: Io, paths: readonly string[]): Promise<number> {
  const filter = args.str('filter');
  const all = args.flag('all');
  const strict = args.flag('strict');
  const cases: TestCase[] = [];
  let models = 0;
  // Why nothing may have been checked: variants left out by --filter, without an expectation, or with only bench ones.
  let filteredOut = 0;
  let unexpected = 0;
  let benchOnly = 0;
  // A model's name names its rows, its JUnit suite and its traces' default paths: one file per name.
  const fileOf = new Map<string, string>();
  files: for (const { file, named } of files) {
    if (runner.interruptedBy) break;
    const shown = relative(io.cwd, file) || file;
    let m: Model;
    try {
      // Loaded first in the search thread, watched: a module whose top level never returns is ended there (--time-limit; a signal stops the run), not in this thread, which could then not stop.
      await runner.prepare({ ref: shown, cwd: io.cwd, build: null }, limits.timeLimit);
      m = await loadModel(shown, io.cwd);
    } catch (e) {
      if (e instanceof InterruptedBeforeSearch) break;
      if (isIncomplete(e)) {
        cases.push({ ...loadFailure(shown, e), got: 'incomplete (time-limit)', status: 'incomplete' });
        continue;
      }
      // In a folder, a file that exports no model is a helper module (one that builds models for others exports functions), unless it calls defineModel and exports nothing else (a forgotten export default); anything else that fails to load fails the run.
      if (!named && isCodedError(e) && e.code === 'MC141' && (!callsDefineModel(file) || (e as { exportsFunction?: boolean }).exportsFunction === true)) continue;
      if (!isCodedError(e)) throw e;
      cases.push(loadFailure(shown, e));
      continue;
    }
    const first = fileOf.get(m.name);
    if (first !== undefined) {
      cases.push(loadFailure(shown, new McError('MC168', `${q(shown)} defines model ${q(m.name)}, as ${q(first)} does: the name names the model's rows, its JUnit suite and its traces, so each model file needs its own (a copied file keeps the name it was copied with)`)));
      continue;
    }
    fileOf.set(m.name, shown);
    models++;
    for (const v of m.variantNames.length ? m.variantNames : [null]) {
      if (filter !== undefined && !`${m.name}/${v ?? ''}`.includes(filter)) {
        filteredOut++;
        continue;
      }
      const exps = expectationsOf(m, v);
      if (!exps.length) {
        unexpected++;
        const none = skipped(shown, m, v, undefined, 'no expectation');
        cases.push(strict ? { ...none, status: 'failed', got: 'no expectation', diffs: [`no expectation for ${v === null ? `model ${q(m.name)}` : `variant ${q(v)}`} (--strict): add one to the model's expect`] } : none);
      }
      for (const e of exps) {
        if (e.bench && !all) {
          benchOnly++;
          cases.push(skipped(shown, m, v, e, 'bench: true (run with --all)'));
          continue;
        }
        if (runner.interruptedBy) break files;
        cases.push(await runCase(runner, limits, io.cwd, file, shown, m, v, e));
      }
    }
  }
  const interrupted = runner.interruptedBy;
  if (models === 0 && !cases.length && !interrupted) throw new McError('MC149', `no model files under ${paths.join(', ')} (a model file's default export is defineModel({...}))`);
  const passed = withStatus(cases, 'passed');
  const failed = withStatus(cases, 'failed');
  const incomplete = withStatus(cases, 'incomplete');
  // A run that checked nothing must not read as a CI pass.
  if (passed + failed + incomplete === 0 && !interrupted) {
    const why = [
      filteredOut ? `--filter ${q(filter)} leaves out ${count(filteredOut, 'variant')}` : '',
      unexpected ? `${count(unexpected, 'variant')} ${unexpected === 1 ? 'has' : 'have'} no expectation (add expect to the model)` : '',
      benchOnly ? `${count(benchOnly, 'expectation')} ${benchOnly === 1 ? 'is' : 'are'} marked bench: true (--all runs them)` : '',
    ].filter((x) => x !== '');
    throw new McError('MC159', `no expectation was checked under ${paths.join(', ')} (${count(models, 'model')}): ${why.join('; ')}`);
  }
  const skippedN = withStatus(cases, 'skipped');
  const stoppedBy = interrupted ? `; interrupted by ${interrupted}: the expectations after the last case were not checked` : '';
  const closing = `${passed} passed, ${failed} failed${incomplete ? `, ${incomplete} incomplete` : ''}${skippedN ? `, ${skippedN} skipped` : ''}${stoppedBy}`;
  const warnings = cases.flatMap((c) => (c.helperErrors ? helperWarnings(c.helperErrors, limits.workers).map((w) => `${c.model}${c.variant !== null ? `/${c.variant}` : ''}${c.params ? ` (${c.params})` : ''}: ${w}`) : []));
  const shown = cases.map(({ helperErrors: _h, ...c }) => c);
  if (args.flag('json')) io.out(jsonResult('test', { passed, failed, incomplete, skipped: skippedN, interrupted, cases: shown, ...(warnings.length ? { warnings } : {}) }));
  else {
    const warned = warnings.map((w) => `warning: ${w}\n`).join('');
    if (reporter === 'junit') {
      const xml = junitXml(cases, interrupted);
      if (out === undefined) {
        io.out(xml);
        // Stdout is the report.
        if (warned) io.err(warned);
      } else {
        writeFileAtomic(out, xml, { cwd: io.cwd, kind: 'junit' });
        io.out(`${warned}${closing}\nJUnit report: ${out}\n`);
      }
    } else io.out(table(cases) + `\n${warned}${closing}\n`);
  }
  return failed ? EXIT.violation : incomplete || interrupted ? EXIT.incomplete : EXIT.pass;
}

function paramsText(m: Model, e: Expectation | undefined): string {
  return e?.params ? Object.entries(e.params).map(([k, x]) => `${k}=${x}`).join(' ') : '';
}

/**
 * One expectation: the model built in the runner's thread first (watched, as
 * the file's loading was: a build that never returns is ended there), then
 * here (a bad parameter or name fails the case at once), and searched in
 * the runner's thread, which searches the model it built.
 */
async function runCase(runner: CaseRunner, limits: CaseLimits, cwd: string, path: string, file: string, m: Model, v: string | null, e: Expectation): Promise<TestCase> {
  const base = { file, model: m.name, variant: v, params: paramsText(m, e), expected: expectationText(e) };
  try {
    await runner.prepare({ ref: file, cwd, build: { variant: v, params: { values: e.params ?? {} } } }, limits.timeLimit);
    const built = expectationModel(m, v, e);
    const r = await runner.run(m.source ?? path, built, { ...expectationOptions(e), timeLimit: limits.timeLimit, workers: limits.workers });
    const counts = { states: r.stats.states, transitions: r.stats.transitions, seconds: r.stats.seconds, ...((r.stats.workers ?? 1) > 1 ? { workers: r.stats.workers } : {}), ...(r.helperErrors ? { helperErrors: r.helperErrors } : {}) };
    if (r.incomplete) return { ...base, got: `incomplete (${r.incomplete.reason})`, status: 'incomplete', diffs: [stoppedText(r, limits)], ...counts };
    const diffs = expectationDiffs(e, r);
    return { ...base, got: resultText(r, e), status: diffs.length ? 'failed' : 'passed', diffs, ...counts };
  } catch (x) {
    const none = { states: 0, transitions: 0, seconds: 0 };
    // A signal while the thread built the model: the case is stopped (and no further case runs), a build that did not finish within --time-limit is incomplete.
    if (x instanceof InterruptedBeforeSearch) return { ...base, got: 'incomplete (interrupted)', status: 'incomplete', diffs: [`interrupted by ${x.signal} while the model was built: the expectation was not checked`], ...none };
    if (isIncomplete(x)) return { ...base, got: 'incomplete (time-limit)', status: 'incomplete', diffs: [`${x.code}: ${x.message}`], ...none };
    // A model error in one case (a bad parameter, an undeclared name) fails that case, not the run.
    if (!isCodedError(x)) throw x;
    const path = errorPathOf(x);
    return { ...base, got: `error ${x.code}`, status: 'failed', diffs: [`${x.code}: ${x.message}`, ...(path ? [errorPathLine(path)] : [])], states: 0, transitions: 0, seconds: 0 };
  }
}

/** Why a case's search stopped before it decided the expectation, and how far it got. */
function stoppedText(r: SupervisedResult, limits: CaseLimits): string {
  const inc = r.incomplete!;
  const reached = `after ${count(inc.states, 'state')} (depth ${n(inc.depth)}, frontier ${n(inc.frontier)})${inc.cycleSearch ? `, in the cycle search (${cycleSearchText(inc.cycleSearch)})` : ''}: the expectation was not checked`;
  const why =
    inc.reason === 'interrupted'
      ? `interrupted by ${r.stop?.signal ?? 'a signal'}`
      : inc.reason === 'time-limit'
        ? `the search reached the time limit (--time-limit ${limits.timeLimit} s)`
        : inc.reason === 'memory-limit'
          ? `the search reached the memory ceiling (${n(limits.memory.mb)} MB of resident memory, ${limits.memory.given ? '--memory-limit' : `the default: ${limits.memory.basis}; --memory-limit sets another`})`
          : `the search stopped (${inc.reason})`;
  const forced = r.stop?.forced && r.stop.phase && !r.stop.growing && !r.stop.windingDown ? `; it ${endedInStep(r.stop.phase)}` : '';
  return `${why} ${reached}${forced}`;
}

/** A coded error that leaves the case incomplete, not failed: a model file whose loading or building did not finish within --time-limit (MC167). */
const isIncomplete = (e: unknown): e is { code: string; message: string } => isCodedError(e) && isIncompleteError(e);

function skipped(file: string, m: Model, v: string | null, e: Expectation | undefined, why: string): TestCase {
  return { file, model: m.name, variant: v, params: paramsText(m, e), expected: expectationText(e), got: '-', status: 'skipped', diffs: [why], states: 0, transitions: 0, seconds: 0 };
}

/** Whether a module that exports no model calls defineModel: a model file whose export was forgotten, not a helper module, and a failure rather than a file skipped. */
function callsDefineModel(file: string): boolean {
  try {
    return /(?<![\w$.])defineModel\s*\(/.test(withoutComments(readFileSync(file, 'utf8')));
  } catch {
    return false;
  }
}

function loadFailure(file: string, e: { code: string; message: string }): TestCase {
  return { file, model: file, variant: null, params: '', expected: 'loads', got: `error ${e.code}`, status: 'failed', diffs: [`${e.code}: ${e.message}`], states: 0, transitions: 0, seconds: 0 };
}

const STATUS_WORD: Record<TestCase['status'], string> = { passed: 'ok', failed: 'FAILED', incomplete: 'INCOMPLETE', skipped: 'skipped' };

function table(cases: readonly TestCase[]): string {
  const head = ['model', 'variant', 'params', 'expected', 'got', 'states', 'transitions', 'seconds', ''];
  const cells = cases.map((c) => [c.model, c.variant ?? '-', c.params, c.expected, c.got, c.status === 'skipped' ? '' : n(c.states), c.status === 'skipped' ? '' : n(c.transitions), c.status === 'skipped' ? '' : c.seconds.toFixed(2), STATUS_WORD[c.status]]);
  const w = head.map((h, i) => cells.reduce((x, c) => Math.max(x, c[i]!.length), h.length));
  const right = new Set([5, 6, 7]);
  const line = (c: readonly string[]) => c.map((x, i) => (right.has(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ').trimEnd();
  const rows = [line(head), w.map((x) => '-'.repeat(x)).join('  ')];
  for (let i = 0; i < cases.length; i++) {
    rows.push(line(cells[i]!));
    const c = cases[i]!;
    if (c.status !== 'passed') for (const d of c.diffs) rows.push(`    ${c.status === 'skipped' ? '-' : '✗'} ${d}`);
  }
  return rows.join('\n');
}

const xmlEscape = (s: string): string =>
  s.replace(/[&<>"']|[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, (ch) => (ch === '&' ? '&amp;' : ch === '<' ? '&lt;' : ch === '>' ? '&gt;' : ch === '"' ? '&quot;' : ch === "'" ? '&apos;' : ''));

/** How many of the cases have the status. */
const withStatus = (cs: readonly TestCase[], s: TestCase['status']): number => cs.filter((c) => c.status === s).length;

/**
 * JUnit XML as Jenkins, GitLab and GitHub test reporters read it: a suite per model, a case per expectation.
 * A run stopped by a signal (`interrupted`) has one more case, an error in a suite of its own, so that a
 * report of the cases checked before the signal does not read as a whole run that passed.
 */
export function junitXml(cases: readonly TestCase[], interrupted: string | null = null): string {
  const suites = new Map<string, TestCase[]>();
  for (const c of cases) suites.set(c.model, [...(suites.get(c.model) ?? []), c]);
  const time = (cs: readonly TestCase[]) => cs.reduce((t, c) => t + c.seconds, 0).toFixed(3);
  const stopped = interrupted !== null ? 1 : 0;
  // A case whose search was stopped is an error (it could not be checked), not a failure.
  const tally = (cs: readonly TestCase[], extra = 0) => `tests="${cs.length + extra}" failures="${withStatus(cs, 'failed')}" errors="${withStatus(cs, 'incomplete') + extra}" skipped="${withStatus(cs, 'skipped')}" time="${time(cs)}"`;
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', `<testsuites name="mmcheck" ${tally(cases, stopped)}>`];
  if (interrupted !== null) {
    const what = `interrupted by ${interrupted}: the expectations after the last case were not checked`;
    out.push(`  <testsuite name="mmcheck run" tests="1" failures="0" errors="1" skipped="0" time="0.000">`);
    out.push(`    <testcase classname="mmcheck run" name="the whole run" time="0.000">`);
    out.push(`      <error type="interrupted" message="${xmlEscape(what)}">${xmlEscape(what)}</error>`);
    out.push('    </testcase>', '  </testsuite>');
  }
  for (const [model, cs] of suites) {
    out.push(`  <testsuite name="${xmlEscape(model)}" ${tally(cs)} file="${xmlEscape(cs[0]!.file)}">`);
    for (const c of cs) {
      const name = `${c.variant ?? model}${c.params ? ` (${c.params})` : ''}: ${c.expected}`;
      out.push(`    <testcase classname="${xmlEscape(model)}" name="${xmlEscape(name)}" time="${c.seconds.toFixed(3)}" file="${xmlEscape(c.file)}">`);
      if (c.status === 'failed') out.push(`      <failure message="${xmlEscape(`got ${c.got}`)}">${xmlEscape(c.diffs.join('\n'))}</failure>`);
      else if (c.status === 'incomplete') out.push(`      <error type="incomplete" message="${xmlEscape(c.got)}">${xmlEscape(c.diffs.join('\n'))}</error>`);
      else if (c.status === 'skipped') out.push(`      <skipped message="${xmlEscape(c.diffs.join('; '))}"/>`);
      out.push('    </testcase>');
    }
    out.push('  </testsuite>');
  }
  out.push('</testsuites>', '');
  return out.join('\n');
}
