/**
 * Differential fuzzing of mmcheck against SPIN and Rumur: random small
 * models (fuzz-gen.ts) printed as an mmcheck model file (kernel-mmcheck.ts),
 * Promela (kernel-promela.ts) and Murphi (kernel-murphi.ts), and compared:
 *
 * - counts: mmcheck's states and transitions with no reduction equal SPIN's
 *   (`-DNOREDUCE`, README.md "How the counts relate") and Rumur's, on the
 *   model without its properties (so that every search is complete);
 * - verdicts: an invariant, assertion or deadlock violation is found by all
 *   three or by none, of the same kind for mmcheck and Rumur, and mmcheck's
 *   breadth-first counterexample is as long as Rumur's (breadth-first,
 *   one thread: a shortest one);
 * - livelocks: mmcheck's non-progress cycle under weak fairness and without
 *   fairness against SPIN's `-DNP` search, `pan -l -f` and `pan -l`
 *   (kernelPromela's `nonProgress` port lines the semantics up);
 * - symmetry: mmcheck `--symmetry` counts equal Rumur's
 *   `--symmetry-reduction exhaustive` where the replicated group is symmetric;
 * - reductions and engines: `--por`, `--symmetry`, `--dead-vars`,
 *   `--store hash-compact`, `--strategy dfs` and their combination keep the
 *   verdict of the plain search; `--workers 2` (helpers joining at once)
 *   gives its verdict, counts and counterexample length exactly.
 *
 *   node --import=tsx bench/peers/fuzz.ts [--seed S] [--count N] [--out DIR] [--workers-every K] [--extended] [--size large]
 *
 * Model k of a run is generated from the seed `S-k`, so one model is
 * reproduced with `--seed S --from k --count 1`. For each model with a
 * disagreement its IR (ir.json), the mmcheck model (model.ts, and bare.ts
 * without properties), the Promela (model.pml, bare.pml, np.pml) and the
 * Murphi (model.m, bare.m) are saved under DIR/<seed>, with the
 * disagreements in findings.txt. Exit status 1 on any disagreement.
 */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { check, isMcError, type CheckOptions, type CheckResult, type Model } from '../../src/index.ts';
import { generate, withoutProperties, type FuzzCase, type GenOptions } from './fuzz-gen.ts';
import type { KernelModel } from './kernel-ir.ts';
import { kernelMmcheck } from './kernel-mmcheck.ts';
import { kernelMurphi } from './kernel-murphi.ts';
import { kernelPromela } from './kernel-promela.ts';
import { ROOT } from './kernel-run.ts';
import { havePeer, runRumur, runSpin, type PeerResult } from './run.ts';

const run = promisify(execFile);

/** Small models: compiling is most of a peer's time, and -O0 halves it. */
const SPIN_FAST = { extraCFlags: ['-O0'], hashBits: 16, maxDepth: 100_000 };
const RUMUR_FAST = { threads: 1, deadlock: false, extraCFlags: ['-O0'] };

export interface Outcome {
  verdict: string;
  kind: string | null;
  property: string | null;
  length: number | null;
  states: number;
  transitions: number;
}

export interface FuzzReport {
  seed: string;
  focus: string;
  /** One line per comparison that failed. */
  findings: string[];
  /** Comparisons made, by name (for the summary). */
  compared: string[];
  /** Reductions mmcheck refused for this model (their error codes). */
  refused: string[];
  /** mmcheck's answers in brief: verdict, states without properties, livelock under weak fairness / none. */
  summary: string;
  files: Record<string, string>;
}

const outcome = (r: CheckResult): Outcome => ({
  verdict: r.verdict,
  kind: r.violation?.kind ?? null,
  property: r.violation?.property ?? null,
  length: r.violation ? r.violation.steps.length : null,
  states: r.stats.states,
  transitions: r.stats.transitions,
});

const show = (o: Outcome) => `${o.verdict}${o.kind ? ` ${o.kind}:${o.property} len ${o.length}` : ''} (${o.states} states, ${o.transitions} transitions)`;

/** mmcheck's answer, or a coded error's code (a refused reduction). */
function mm(model: Model, options: CheckOptions): Outcome | { error: string } {
  try {
    return outcome(check(model, options));
  } catch (e) {
    if (isMcError(e)) return { error: `${(e as { code: string }).code}: ${(e as Error).message.split('\n')[0]}` };
    throw e;
  }
}

/** The mmcheck CLI with `--workers 2`, its helper joining at the first round. */
async function mmWorkers(file: string, flags: string[]): Promise<Outcome | { error: string }> {
  const args = [join(ROOT, 'bin', 'mmcheck.js'), 'check', file, '--workers', '2', '--json', '--no-trace', '--no-progress', ...flags];
  let stdout = '';
  try {
    stdout = (await run(process.execPath, args, { cwd: tmpdir(), env: { ...process.env, MMCHECK_JOIN_AFTER_MS: '0' }, maxBuffer: 1 << 24 })).stdout;
  } catch (e) {
    stdout = String((e as { stdout?: string }).stdout ?? '');
    if (!stdout.trim()) return { error: `mmcheck --workers 2 failed: ${String((e as { stderr?: string }).stderr ?? e).slice(0, 400)}` };
  }
  const j = JSON.parse(stdout.trim().split('\n').pop()!) as {
    verdict: string;
    violation: { kind: string; property: string; steps?: unknown[]; length?: number } | null;
    stats: { states: number; transitions: number };
    error?: { code: string; message: string };
  };
  if (j.error) return { error: `${j.error.code}: ${j.error.message}` };
  return { verdict: j.verdict, kind: j.violation?.kind ?? null, property: j.violation?.property ?? null, length: j.violation ? (j.violation.length ?? j.violation.steps?.length ?? null) : null, states: j.stats.states, transitions: j.stats.transitions };
}

/** SPIN's non-progress-cycle search: one pan, run with and without weak fairness. */
async function spinNonProgress(src: string): Promise<{ weak: boolean; none: boolean }> {
  const dir = mkdtempSync(join(tmpdir(), 'mmcheck-fuzz-np-'));
  try {
    writeFileSync(join(dir, 'np.pml'), src);
    await run('spin', ['-a', 'np.pml'], { cwd: dir });
    // -DNFAIR: weak fairness allocates per process; pan's default of 2 allows 6 processes (init and the models' threads).
    await run('gcc', ['-O0', '-w', '-DNP', '-DNOREDUCE', '-DNFAIR=4', '-o', 'pan', 'pan.c'], { cwd: dir });
    const pan = async (args: string[]) => {
      let out = '';
      try {
        out = (await run('./pan', args, { cwd: dir })).stdout;
      } catch (e) {
        out = String((e as { stdout?: string }).stdout ?? '');
      }
      const errors = /errors: (\d+)/.exec(out);
      if (!errors) throw new Error(`pan ${args.join(' ')}: no result:\n${out.slice(-1500)}`);
      if (/max search depth too small/.test(out)) throw new Error(`pan ${args.join(' ')}: max search depth too small`);
      if (Number(errors[1]) > 0 && !/non-progress cycle/.test(out)) throw new Error(`pan ${args.join(' ')}: an error that is no non-progress cycle:\n${out.slice(-1500)}`);
      return Number(errors[1]) > 0;
    };
    return { weak: await pan(['-l', '-f', '-m100000', '-w16']), none: await pan(['-l', '-m100000', '-w16']) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Rumur's error (the property it names) and the rules of its trace (the startstate not counted). */
function rumurError(r: PeerResult): { kind: string; property: string; length: number } | null {
  if (r.errors === 0) return null;
  const inv = /invariant "([^"]+)" failed/i.exec(r.output);
  const asr = /Assertion failed: [^\n]*: ([^\n]+)/.exec(r.output);
  const length = (r.output.match(/^Rule "[^"]*"(?:, [^\n]*)? fired\.$/gm) ?? []).length;
  if (inv) return inv[1] === 'deadlock-free' ? { kind: 'deadlock', property: 'deadlock', length } : { kind: 'invariant', property: inv[1]!, length };
  if (asr) return { kind: 'assertion', property: asr[1]!.trim(), length };
  return { kind: 'unknown', property: r.output.slice(-300), length };
}

async function attempt<T>(f: () => Promise<T>): Promise<T | Error> {
  try {
    return await f();
  } catch (e) {
    return e instanceof Error ? e : new Error(String(e));
  }
}

const isOutcome = (x: Outcome | { error: string }): x is Outcome => !('error' in x);

let importCounter = 0;

async function loadModel(file: string): Promise<Model> {
  const mod = (await import(`${pathToFileURL(file).href}?v=${importCounter++}`)) as { default: Model };
  return mod.default;
}

export interface FuzzOptions {
  /** Where the model's files are written (kept only for a model with findings, unless keep). */
  dir: string;
  keep?: boolean;
  tools?: { spin: boolean; rumur: boolean };
  /** Also run `mmcheck check --workers 2` (a child process: about a second). */
  workers?: boolean;
  /** The generator's options (extended constructs, size). */
  gen?: GenOptions;
  /** Models with more states than this (without properties) are skipped; default 150,000. */
  maxStates?: number;
}

/** Generate one model from `seed` and compare every answer; the report lists what disagreed. */
export async function fuzzOne(seed: string, opts: FuzzOptions): Promise<FuzzReport> {
  return fuzzCase(generate(seed, opts.gen), opts);
}

export async function fuzzCase(c: FuzzCase, opts: FuzzOptions): Promise<FuzzReport> {
  const tools = opts.tools ?? { spin: havePeer('spin'), rumur: havePeer('rumur') };
  const dir = join(opts.dir, c.seed.replace(/[^\w-]/g, '_'));
  mkdirSync(dir, { recursive: true });
  const findings: string[] = [];
  const compared: string[] = [];
  const refused: string[] = [];
  const fail = (what: string) => findings.push(what);
  const M = c.ir;
  const B = withoutProperties(M);
  const from = join(ROOT, 'src', 'index.ts');
  const files: Record<string, string> = {
    'ir.json': JSON.stringify(M, null, 2),
    'model.ts': kernelMmcheck(M, from),
    'bare.ts': kernelMmcheck(B, from),
    'model.pml': kernelPromela(M),
    'bare.pml': kernelPromela(B),
    'np.pml': kernelPromela(B, { nonProgress: true }),
    'model.m': kernelMurphi(M),
    'bare.m': kernelMurphi(B),
  };
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  const model = await loadModel(join(dir, 'model.ts'));
  const bare = await loadModel(join(dir, 'bare.ts'));

  // ---- mmcheck, no reduction
  const safety: CheckOptions = { liveness: false };
  // A model above the size limit is left out (its comparisons would take minutes), and said so.
  const limit = opts.maxStates ?? 150_000;
  const sized = mm(bare, { ...safety, maxStates: limit });
  if (isOutcome(sized) && sized.verdict === 'incomplete') {
    rmSync(dir, { recursive: true, force: true });
    return { seed: c.seed, focus: c.focus, findings, compared, refused, summary: `skipped: more than ${limit} states`, files };
  }
  const fullR = mm(model, safety);
  if (!isOutcome(fullR)) throw new Error(`${c.seed}: mmcheck refused the generated model: ${fullR.error}`);
  const full = fullR;
  const bareR = mm(bare, safety);
  if (!isOutcome(bareR)) throw new Error(`${c.seed}: mmcheck refused the generated model without properties: ${bareR.error}`);
  const base = bareR;
  if (base.verdict !== 'pass') fail(`mmcheck: the model without properties gives ${show(base)}`);
  if (full.verdict === 'pass' && (full.states !== base.states || full.transitions !== base.transitions)) fail(`mmcheck: properties that hold changed the counts: ${show(full)} vs ${show(base)}`);

  // ---- counts and verdicts against the peers
  const counts = (tool: string, r: PeerResult | Error, ref: Outcome) => {
    compared.push(`${tool} counts`);
    if (r instanceof Error) return fail(`${tool}: ${r.message.split('\n').slice(0, 3).join(' / ')}`);
    if (r.errors !== 0) return fail(`${tool}: ${r.errors} error(s) on a model mmcheck passes`);
    if (r.modelStates !== ref.states || r.modelTransitions !== ref.transitions) fail(`${tool}: ${r.modelStates} states, ${r.modelTransitions} transitions; mmcheck ${ref.states}, ${ref.transitions}`);
  };
  const hasProperty = c.focus !== 'none';
  if (tools.spin) {
    counts('spin (no properties)', await attempt(() => runSpin(files['bare.pml']!, SPIN_FAST)), base);
    if (hasProperty) {
      const r = await attempt(() => runSpin(files['model.pml']!, SPIN_FAST));
      compared.push('spin verdict');
      if (r instanceof Error) fail(`spin: ${r.message.split('\n').slice(0, 3).join(' / ')}`);
      else if ((r.errors > 0) !== (full.verdict === 'violation')) fail(`spin: ${r.errors} error(s) (${/pan:1: ([^\n]*)/.exec(r.output)?.[1] ?? ''}); mmcheck ${show(full)}`);
      else if (full.verdict === 'pass') counts('spin (with properties)', r, full);
    }
  }
  if (tools.rumur) {
    counts('rumur (no properties)', await attempt(() => runRumur(files['bare.m']!, { ...RUMUR_FAST, symmetry: 'off' })), base);
    if (hasProperty) {
      const r = await attempt(() => runRumur(files['model.m']!, { ...RUMUR_FAST, symmetry: 'off' }));
      compared.push('rumur verdict');
      if (r instanceof Error) fail(`rumur: ${r.message.split('\n').slice(0, 3).join(' / ')}`);
      else {
        const e = rumurError(r);
        if (!e !== (full.verdict === 'pass')) fail(`rumur: ${e ? `${e.kind}:${e.property} len ${e.length}` : 'no error'}; mmcheck ${show(full)}`);
        else if (e && (e.kind !== full.kind || e.length !== full.length)) fail(`rumur: ${e.kind}:${e.property} len ${e.length}; mmcheck ${show(full)}`);
        else if (!e) counts('rumur (with properties)', r, full);
      }
    }
    if (M.groups.some((g) => g.replicated && g.count >= 2 && g.symmetric !== false)) {
      const sym = mm(bare, { ...safety, symmetry: true });
      if (!isOutcome(sym)) refused.push(`--symmetry on a symmetric group: ${sym.error}`);
      else counts('rumur symmetry vs --symmetry', await attempt(() => runRumur(files['bare.m']!, { ...RUMUR_FAST, symmetry: 'exhaustive' })), sym);
    }
  }

  // ---- reductions, stores and engines keep the verdict
  const same = (name: string, o: Outcome | { error: string }, ref: Outcome, exact: boolean) => {
    compared.push(name);
    if (!isOutcome(o)) return void refused.push(`${name}: ${o.error}`);
    if (o.verdict !== ref.verdict || o.kind !== ref.kind) return fail(`mmcheck ${name}: ${show(o)}; plain search ${show(ref)}`);
    if (exact && (o.states !== ref.states || o.transitions !== ref.transitions || o.length !== ref.length)) fail(`mmcheck ${name}: ${show(o)}; plain search ${show(ref)} (must be equal)`);
  };
  // Symmetry only where mmcheck may apply it: a replicated group whose ids are only names (with none, --symmetry is refused, MC313).
  const symmetric = M.groups.some((g) => g.replicated && g.count >= 2 && g.symmetric !== false);
  const variants: [string, CheckOptions, boolean][] = [
    ['--por', { por: true }, false],
    ['--symmetry', { symmetry: true }, false],
    ['--dead-vars', { deadVars: true }, false],
    ['--store hash-compact', { store: 'hash-compact' }, true],
    ['--strategy dfs', { strategy: 'dfs' }, false],
    ['--strategy dfs --por', { strategy: 'dfs', por: true }, false],
    ['--por --symmetry --dead-vars', { por: true, symmetry: true, deadVars: true }, false],
  ];
  for (const [name, o, exact] of variants) if (symmetric || !o.symmetry) same(name, mm(model, { ...safety, ...o }), full, exact);
  if (opts.workers) same('--workers 2', await mmWorkers(join(dir, 'model.ts'), ['--no-liveness']), full, true);

  let summary = `${full.kind ? `${full.kind} len ${full.length}` : 'pass'}, ${base.states} states`;
  // ---- livelocks
  if (B.groups.some((g) => g.steps.some((st) => st.progress))) {
    const live = (o: Outcome | { error: string }) => isOutcome(o) && o.kind === 'livelock' && o.property === 'non-progress-cycle';
    const weak = mm(bare, { fairness: 'weak' });
    const none = mm(bare, { fairness: 'none' });
    if (!isOutcome(weak) || !isOutcome(none)) throw new Error(`${c.seed}: mmcheck livelock search refused: ${JSON.stringify([weak, none])}`);
    summary += `, livelock weak ${live(weak) ? 'yes' : 'no'} none ${live(none) ? 'yes' : 'no'}`;
    if (weak.kind !== null && weak.kind !== 'livelock') fail(`mmcheck (weak fairness): ${show(weak)} on a model without properties`);
    if (tools.spin) {
      const r = await attempt(() => spinNonProgress(files['np.pml']!));
      compared.push('spin -DNP -l -f', 'spin -DNP -l');
      if (r instanceof Error) fail(`spin -DNP: ${r.message.split('\n').slice(0, 4).join(' / ')}`);
      else {
        if (r.weak !== live(weak)) fail(`livelock under weak fairness: spin pan -l -f ${r.weak ? 'finds' : 'finds no'} non-progress cycle; mmcheck ${show(weak)}`);
        if (r.none !== live(none)) fail(`livelock without fairness: spin pan -l ${r.none ? 'finds' : 'finds no'} non-progress cycle; mmcheck --fairness none ${show(none)}`);
      }
    }
    const liveVariants: [string, CheckOptions, Outcome][] = [
      ['--symmetry (weak fairness)', { symmetry: true, fairness: 'weak' }, weak],
      ['--dead-vars (weak fairness)', { deadVars: true, fairness: 'weak' }, weak],
      ['--por --fairness none', { por: true, fairness: 'none' }, none],
      ['--symmetry --fairness none', { symmetry: true, fairness: 'none' }, none],
      ['--dead-vars --fairness none', { deadVars: true, fairness: 'none' }, none],
    ];
    for (const [name, o, ref] of liveVariants) {
      if (o.symmetry && !symmetric) continue;
      const r = mm(bare, o);
      compared.push(name);
      if (!isOutcome(r)) refused.push(`${name}: ${r.error}`);
      else if (live(r) !== live(ref)) fail(`mmcheck ${name}: ${show(r)}; plain search ${show(ref)}`);
    }
  }

  if (findings.length) writeFileSync(join(dir, 'findings.txt'), findings.join('\n') + '\n');
  else if (!opts.keep) rmSync(dir, { recursive: true, force: true });
  return { seed: c.seed, focus: c.focus, findings, compared, refused, summary, files };
}

export const describe = (m: KernelModel) =>
  `${m.groups.map((g) => `${g.name}${g.replicated ? `×${g.count}${g.symmetric === false ? ' asym' : ''}` : ''}`).join('+')}, ${m.shared.length} shared${m.shared.some((v) => v.type.kind === 'tid') ? ' (ids)' : ''}`;

// ---------------------------------------------------------------------------
// Command line

async function main(argv: string[]): Promise<number> {
  const arg = (name: string, def: string) => {
    const i = argv.indexOf(name);
    return i >= 0 && argv[i + 1] !== undefined ? argv[i + 1]! : def;
  };
  const seed = arg('--seed', '1');
  const count = Number(arg('--count', '10'));
  const from = Number(arg('--from', '0'));
  const every = Number(arg('--workers-every', '4'));
  const out = arg('--out', join(tmpdir(), `mmcheck-fuzz-${seed}`));
  const gen: GenOptions = { extended: argv.includes('--extended'), size: arg('--size', 'small') === 'large' ? 'large' : 'small' };
  const tools = { spin: havePeer('spin'), rumur: havePeer('rumur') };
  if (!tools.spin) process.stdout.write('spin not installed: SPIN comparisons skipped\n');
  if (!tools.rumur) process.stdout.write('rumur not installed: Rumur comparisons skipped\n');
  let bad = 0;
  let comparisons = 0;
  let skipped = 0;
  const t0 = performance.now();
  for (let k = from; k < from + count; k++) {
    const s = `${seed}-${k}`;
    const c = generate(s, gen);
    const r = await fuzzCase(c, { dir: out, tools, keep: argv.includes('--keep'), workers: every > 0 && k % every === 0, gen });
    comparisons += r.compared.length;
    if (r.summary.startsWith('skipped')) skipped++;
    const line = `${s} ${c.focus.padEnd(9)} ${describe(c.ir).padEnd(22)} ${r.summary}; ${r.compared.length} comparisons${r.refused.length ? `, refused: ${r.refused.join('; ')}` : ''}`;
    process.stdout.write(`${r.findings.length ? 'DISAGREE' : 'ok      '} ${line}\n`);
    for (const f of r.findings) process.stdout.write(`    ${f}\n`);
    if (r.findings.length) {
      bad++;
      process.stdout.write(`    files: ${join(out, s.replace(/[^\w-]/g, '_'))}\n`);
    }
  }
  process.stdout.write(`${count} models (${skipped} skipped as too large), ${comparisons} comparisons, ${bad} with disagreements, ${((performance.now() - t0) / 1000).toFixed(0)} s\n`);
  return bad ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  main(process.argv.slice(2)).then(
    (code) => (process.exitCode = code),
    (e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
