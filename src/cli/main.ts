import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { McError, q } from '../model/errors.ts';
import { buildModel, describeBuilt } from '../model/build.ts';
import { expectationsOf, parseParam, variantDescription, type Expectation, type Model, type Params } from '../model/define.ts';
import { search } from '../search/check.ts';
import { DEFAULT_BITSTATE_BITS, type SearchOptions, type SearchResult } from '../search/types.ts';
import { rssMonitor } from '../run/monitor.ts';
import { buildTrace } from '../trace/build.ts';
import { parseTrace, type TraceFile } from '../trace/format.ts';
import { replay } from '../trace/replay.ts';
import { verifyTrace } from '../trace/verify.ts';
import { renderMarkdown, renderText } from '../report/table.ts';
import { renderHtml } from '../report/html.ts';
import { minimizedTrace, violationOfTrace, type MinimizeStats } from '../trace/minimize.ts';
import { Runtime } from '../exec/runtime.ts';
import { flag, num, oneOfFlag, parseArgs, str, type FlagSpec, type Parsed } from './args.ts';
import { builtinModels, loadModel } from '../run/load.ts';
import { progressLine } from './progress.ts';
import { cmdSimulate, cmdSwarm } from './simulate.ts';
import { violationJson, writeTrace } from './output.ts';

/**
 * The command line. Only this module touches process, the file system and
 * exit codes: 0 pass (or a trace that reproduces), 1 violation (or a trace
 * that no longer reproduces), 2 bad input, 3 incomplete.
 */
export const EXIT = { pass: 0, violation: 1, badInput: 2, incomplete: 3 } as const;

const USAGE = `mmcheck — explicit-state model checker for kernel memory-management protocols

usage:
  mmcheck list                                  models, parameters, variants, expectations
  mmcheck check <model> [options]               explore every interleaving
  mmcheck simulate <model> [--seed S] [--runs N] [--depth D]   seeded random walks (finds bugs, proves nothing)
  mmcheck replay <trace.json> [--variant V]     re-execute a saved counterexample
  mmcheck show <trace.json> [--format text|markdown|html] [-o FILE]
  mmcheck minimize <trace.json> [-o FILE] [--json]   fewest context switches among the shortest counterexamples
  mmcheck verdicts [--all] [--json]             check every model's expected verdicts (npm start)

check options:
  --variant V            model variant
  --param k=v, -p k=v    parameter value (repeatable)
  --strategy bfs|dfs     search order (bfs: shortest counterexamples; default)
  --store exact|hash-compact|bitstate   state storage: exact states (default), 64-bit fingerprints,
                         or a bit array (depth-first; --bitstate-bits N = log2 of its size, default 27)
  --por                  partial-order reduction (safety and deadlock; refused with liveness)
  --symmetry             symmetry reduction of replicated thread groups (safety; refused with liveness)
  --cross-check          also run without reductions and compare the verdicts and counts
  --swarm N [--swarm-jobs J] [--seed S] [--depth D] [--bitstate B]
                         N diversified bounded searches in parallel workers; the first violation wins
                         (no violation: exit 3, it is not a proof)
  --fairness none|weak|strong   fairness for livelock checking (default weak)
  --no-liveness          do not look for non-progress cycles
  --no-deadlock          do not report deadlocks
  --max-states N  --time-limit S  --memory-limit MB    limits (exit 3 when reached)
  --trace-out FILE       where to save a counterexample (default traces/<name>.json)
  --no-trace             do not save a counterexample
  --minimize             among the shortest counterexamples, save the one with the fewest context switches
  --json                 one JSON object on stdout
  --progress | --no-progress   live progress line on stderr

<model> is a built-in model name (see mmcheck list) or a path to a model file.
exit codes: 0 pass, 1 violation, 2 bad input, 3 incomplete`;

interface Io {
  out: (s: string) => void;
  err: NodeJS.WriteStream;
  cwd: string;
}

export async function main(argv: readonly string[], io: Io = { out: (s) => process.stdout.write(s), err: process.stderr, cwd: process.cwd() }): Promise<number> {
  const [cmd, ...rest] = argv;
  // `mmcheck check --help` and the like: the usage, whatever else is on the line.
  if (cmd !== undefined && rest.some((a) => a === '--help' || a === '-h')) {
    io.out(USAGE + '\n');
    return EXIT.pass;
  }
  try {
    switch (cmd) {
      case 'list':
        return await cmdList(rest, io);
      case 'check':
        return rest.some((a) => a === '--swarm' || a.startsWith('--swarm=')) ? await cmdSwarm(rest, io) : await cmdCheck(rest, io);
      case 'simulate':
        return await cmdSimulate(rest, io);
      case 'replay':
        return await cmdReplay(rest, io);
      case 'show':
        return await cmdShow(rest, io);
      case 'minimize':
        return await cmdMinimize(rest, io);
      case 'verdicts':
        return await cmdVerdicts(rest, io);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        io.out(USAGE + '\n');
        return cmd === undefined ? EXIT.badInput : EXIT.pass;
      case '--version':
        io.out('mmcheck 0.1.0\n');
        return EXIT.pass;
      default:
        throw new McError('MC300', `unknown command ${q(cmd)} (commands: list, check, simulate, replay, show, minimize, verdicts; see mmcheck help)`);
    }
  } catch (e) {
    if (e instanceof McError) {
      io.err.write(`mmcheck: error ${e.code}: ${e.message}\n`);
      return EXIT.badInput;
    }
    throw e;
  }
}

async function cmdList(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, { json: {} }, 'list');
  const builtins = await builtinModels();
  if (p.positional.length) throw new McError('MC309', `mmcheck list takes no arguments (got ${p.positional.map(q).join(' ')})`);
  if (flag(p, 'json')) {
    io.out(JSON.stringify(builtins.map(listEntry), null, 2) + '\n');
    return EXIT.pass;
  }
  const lines: string[] = [];
  for (const m of builtins) {
    const e = listEntry(m);
    lines.push(`${m.name}${m.def.category ? `  [${m.def.category}]` : ''}${m.def.title ? ` — ${m.def.title}` : ''}`);
    if (e.params.length) lines.push(`  params: ${e.params.map((x) => `${x.name} (${x.domain}, default ${x.default})`).join('; ')}`);
    if (e.variants.length) {
      lines.push('  variants:');
      for (const v of e.variants) {
        const d = Object.entries(v.defaults).map(([k, x]) => `${k}=${x}`).join(' ');
        lines.push(`    ${v.name.padEnd(34)} expect ${v.expect.padEnd(40)} ${v.description}${d ? ` (defaults: ${d})` : ''}`);
      }
    } else if (e.expect) lines.push(`  expect: ${e.expect}`);
    lines.push('');
  }
  io.out(lines.join('\n'));
  return EXIT.pass;
}

/** "pass", "deadlock", "invariant (no-uaf)", "livelock (starvation)": the same words for expected and found verdicts. */
function verdictText(verdict: string, kind?: string, property?: string, fairness?: string): string {
  if (verdict !== 'violation') return verdict;
  const k = kind ?? 'violation';
  return `${k}${property && property !== k ? ` (${property})` : ''}${fairness && fairness !== 'weak' ? ` [${fairness}]` : ''}`;
}

function expText(e: Expectation | undefined): string {
  if (!e) return '-';
  return verdictText(e.verdict, e.kind, e.property, e.fairness) + (e.verdict === 'pass' && e.fairness && e.fairness !== 'weak' ? ` [${e.fairness}]` : '');
}

function listEntry(m: Model) {
  const params = Object.entries(m.def.params ?? {}).map(([name, d]) => ({ name, domain: d.describe(), default: d.init }));
  const variants = m.variantNames.map((v) => ({
    name: v,
    description: variantDescription(m, v),
    expect: expText(expectationsOf(m, v).find((e) => !e.params)),
    defaults: (() => {
      const vd = m.def.variants?.[v];
      return vd && typeof vd !== 'string' ? vd.defaults ?? {} : {};
    })(),
  }));
  return { name: m.name, title: m.def.title ?? '', category: m.def.category ?? null, params, variants, expect: m.variantNames.length ? null : expText(expectationsOf(m, null).find((e) => !e.params)) };
}

const CHECK_FLAGS: Record<string, FlagSpec> = {
  variant: { value: true },
  param: { value: true, repeat: true, alias: 'p' },
  strategy: { value: true },
  store: { value: true },
  por: {},
  symmetry: {},
  'cross-check': {},
  'bitstate-bits': { value: true },
  fairness: { value: true },
  'no-liveness': {},
  'no-deadlock': {},
  'max-states': { value: true },
  'time-limit': { value: true },
  'memory-limit': { value: true },
  'trace-out': { value: true },
  'no-trace': {},
  minimize: {},
  json: {},
  progress: {},
  'no-progress': {},
};

function paramsFrom(model: Model, p: Parsed): Params {
  const out: Params = {};
  for (const kv of p.flags.get('param') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new McError('MC310', `--param ${q(kv)}: expected key=value`);
    const k = kv.slice(0, eq);
    out[k] = parseParam(model, k, kv.slice(eq + 1));
  }
  return out;
}

function searchOptions(p: Parsed, io: Io): { opts: Partial<SearchOptions>; finishProgress: () => void } {
  const store = oneOfFlag(p, 'store', ['exact', 'hash-compact', 'bitstate'] as const) ?? 'exact';
  if (!STORES_AVAILABLE.includes(store)) throw new McError('MC311', `--store ${store} is not available in this version (use --store exact)`);
  if (store === 'bitstate' && str(p, 'strategy') === 'bfs') throw new McError('MC317', '--store bitstate searches depth-first (the stack is the counterexample): drop --strategy bfs');
  const showProgress = flag(p, 'progress') || (!flag(p, 'no-progress') && !flag(p, 'json') && io.err.isTTY === true);
  const pl = showProgress ? progressLine(io.err) : null;
  const opts: Partial<SearchOptions> = {
    strategy: oneOfFlag(p, 'strategy', ['bfs', 'dfs'] as const) ?? 'bfs',
    store,
    por: flag(p, 'por'),
    symmetry: flag(p, 'symmetry'),
    bitstateBits: num(p, 'bitstate-bits', { integer: true, min: 10 }) ?? DEFAULT_BITSTATE_BITS,
    fairness: oneOfFlag(p, 'fairness', ['none', 'weak', 'strong'] as const) ?? 'weak',
    liveness: !flag(p, 'no-liveness'),
    deadlock: flag(p, 'no-deadlock') ? false : null,
    maxStates: num(p, 'max-states', { integer: true, min: 1 }) ?? Infinity,
    timeLimit: num(p, 'time-limit', { min: 0 }) ?? Infinity,
    memoryLimitMB: num(p, 'memory-limit', { min: 1 }) ?? Infinity,
    onProgress: pl ? pl.update : null,
    monitor: rssMonitor(),
  };
  return { opts, finishProgress: () => pl?.done() };
}

const n = (x: number) => Math.round(x).toLocaleString('en-US');
const STORES_AVAILABLE: readonly string[] = ['exact', 'hash-compact', 'bitstate'];

async function cmdCheck(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, CHECK_FLAGS, 'check');
  if (p.positional.length !== 1) throw new McError('MC309', `mmcheck check takes one model (name or file), got ${p.positional.length ? p.positional.map(q).join(' ') : 'none'}`);
  const model = await loadModel(p.positional[0]!);
  const built = buildModel(model, str(p, 'variant'), paramsFrom(model, p));
  const { opts, finishProgress } = searchOptions(p, io);
  const json = flag(p, 'json');
  const mode = [opts.store === 'bitstate' ? 'dfs' : opts.strategy, opts.store !== 'exact' ? `${opts.store} store` : '', opts.por ? 'por' : '', opts.symmetry ? 'symmetry' : '', built.hasProgress && opts.liveness ? `liveness, ${opts.fairness} fairness` : ''].filter(Boolean).join(', ');
  if (!json) io.out(`checking ${describeBuilt(built)} [${mode}]\n`);
  let r: ReturnType<typeof search>;
  try {
    r = search(built, opts);
  } finally {
    finishProgress();
  }
  const cross = flag(p, 'cross-check') ? crossCheck(built, r, opts) : null;
  let trace: TraceFile | null = null;
  let tracePath: string | null = null;
  let minimized: MinimizeStats | null = null;
  if (r.violation) {
    const extra = { modelFile: model.source ? relative(io.cwd, model.source) : undefined, fairness: r.violation.kind === 'livelock' ? r.fairness ?? undefined : undefined };
    const min = flag(p, 'minimize') ? minimizedTrace(r.runtime, r.violation, extra) : null;
    minimized = min?.stats ?? null;
    trace = min?.trace ?? buildTrace(r.runtime, r.violation, extra);
    if (!flag(p, 'no-trace')) {
      tracePath = writeTrace(trace, io.cwd, str(p, 'trace-out'), model);
    }
  }
  if (json) {
    const out = resultJson(built, r, opts, tracePath);
    // A minimised trace may be shorter than the search's (after DFS) and start its cycle elsewhere.
    if (out.violation && trace && minimized)
      Object.assign(out.violation, { length: trace.steps.length, ...(trace.cycleStart !== undefined ? { cycleStart: trace.cycleStart } : {}), minimized });
    io.out(JSON.stringify({ ...out, ...(cross ? { crossCheck: cross } : {}) }) + '\n');
  } else {
    io.out(statsLine(r) + '\n');
    if (r.reduction.symmetry) io.out(`symmetry: ${r.reduction.symmetry} (${r.reduction.permutations} permutations)\n`);
    if (r.reduction.porSafeLabels !== undefined) io.out(`por: ample sets possible at ${r.reduction.porSafeLabels} label(s)${r.reduction.porNotes?.length ? `; not at: ${r.reduction.porNotes.join('; ')}` : ''}\n`);
    const st = r.reduction.store;
    if (st) io.out(`${st.mode} store: ${st.bytesPerState.toFixed(1)} bytes/state; estimated states missed ${st.expectedMissed.toPrecision(3)} (probability any was missed ${st.probabilityAnyMissed.toPrecision(3)})\n`);
    if (cross) io.out(cross.summary + '\n');
    if (r.verdict === 'pass') io.out(`pass: no violation${r.livenessChecked ? `, no ${r.fairness}ly fair non-progress cycle` : ''}\n`);
    else if (r.incomplete) io.out(`incomplete: ${r.incomplete.reason} reached after ${n(r.incomplete.states)} states (depth ${n(r.incomplete.depth)}, frontier ${n(r.incomplete.frontier)}); no violation found so far\n`);
    else if (trace) {
      io.out(`violation:\n\n${renderText(trace)}\n\n`);
      if (minimized) io.out(minimizedLine(minimized) + '\n');
      if (tracePath) io.out(savedLines(tracePath));
    }
  }
  if (cross && !cross.agree) return EXIT.violation;
  return r.verdict === 'pass' ? EXIT.pass : r.verdict === 'violation' ? EXIT.violation : EXIT.incomplete;
}

/** Re-run without reductions (exact store, no POR, no symmetry) and compare. */
function crossCheck(built: ReturnType<typeof buildModel>, r: SearchResult, opts: Partial<SearchOptions>) {
  const full = search(built, { ...opts, por: false, symmetry: false, store: 'exact', onProgress: null });
  const reduced = opts.por || opts.symmetry || opts.store === 'bitstate';
  const vk = (x: SearchResult) => (x.violation ? `${x.violation.kind}:${x.violation.property}` : x.verdict);
  const sameVerdict = r.verdict === full.verdict && vk(r) === vk(full);
  // Without state-reducing options the counts must agree exactly; with them the reduced search may only be smaller.
  const countsOk = r.verdict !== 'pass' || (reduced ? r.stats.states <= full.stats.states : r.stats.states === full.stats.states && r.stats.transitions === full.stats.transitions);
  const agree = sameVerdict && countsOk;
  const ratio = full.stats.states / Math.max(1, r.stats.states);
  const summary = agree
    ? `cross-check: agrees with the unreduced search (${vk(full)}; ${n(full.stats.states)} states unreduced, ${n(r.stats.states)} reduced, ratio ${ratio.toFixed(2)})`
    : `CROSS-CHECK FAILED: the unreduced search says ${vk(full)} with ${n(full.stats.states)} states / ${n(full.stats.transitions)} transitions; this run says ${vk(r)} with ${n(r.stats.states)} / ${n(r.stats.transitions)}`;
  return { agree, summary, unreduced: { verdict: full.verdict, violation: full.violation ? { kind: full.violation.kind, property: full.violation.property } : null, states: full.stats.states, transitions: full.stats.transitions }, ratio };
}

function statsLine(r: SearchResult): string {
  const s = r.stats;
  return `${n(s.states)} states, ${n(s.transitions)} transitions, depth ${n(s.depth)}, ${s.seconds.toFixed(2)} s (${n(s.statesPerSecond)} states/s), ${s.bytesPerState.toFixed(1)} bytes/state, ${s.bitsPerState} bits/state`;
}

export function resultJson(built: ReturnType<typeof buildModel>, r: SearchResult, opts: Partial<SearchOptions>, tracePath: string | null) {
  const v = r.violation;
  return {
    model: built.name,
    variant: built.variant,
    params: built.params,
    verdict: r.verdict,
    violation: v ? violationJson(v, tracePath) : null,
    incomplete: r.incomplete,
    stats: {
      states: r.stats.states,
      transitions: r.stats.transitions,
      depth: r.stats.depth,
      seconds: Number(r.stats.seconds.toFixed(3)),
      statesPerSecond: Math.round(r.stats.statesPerSecond),
      bytesPerState: Number(r.stats.bytesPerState.toFixed(2)),
      bitsPerState: r.stats.bitsPerState,
      peakRssMB: Math.round(r.stats.peakRssMB),
    },
    reduction: r.reduction,
    options: {
      strategy: opts.store === 'bitstate' ? 'dfs' : (opts.strategy ?? 'bfs'),
      por: opts.por ?? false,
      symmetry: opts.symmetry ?? false,
      store: opts.store ?? 'exact',
      fairness: r.fairness,
      liveness: r.livenessChecked,
      deadlock: opts.deadlock ?? built.deadlock,
    },
  };
}

function readTrace(file: string, io: Io): TraceFile {
  let text: string;
  try {
    text = readFileSync(resolve(io.cwd, file), 'utf8');
  } catch (e) {
    throw new McError('MC404', `cannot read trace ${q(file)}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  return parseTrace(text, file);
}

/**
 * The model a trace was made on: its model file, or the built-in model. The
 * file is written relative to the trace's directory (writeTrace); traces
 * written before that recorded it relative to the working directory, which
 * is tried when nothing is found beside the trace.
 */
async function modelOfTrace(t: TraceFile, io: Io, traceFile: string): Promise<Model> {
  if (t.modelFile) {
    const besideTrace = resolve(dirname(resolve(io.cwd, traceFile)), t.modelFile);
    return loadModel(existsSync(besideTrace) ? besideTrace : resolve(io.cwd, t.modelFile));
  }
  return loadModel(t.model);
}

async function cmdReplay(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, { variant: { value: true }, json: {} }, 'replay');
  if (p.positional.length !== 1) throw new McError('MC309', `mmcheck replay takes one trace file`);
  const t = readTrace(p.positional[0]!, io);
  const model = await modelOfTrace(t, io, p.positional[0]!);
  const r = replay(t, model, str(p, 'variant'));
  if (flag(p, 'json')) io.out(JSON.stringify(r) + '\n');
  else {
    const against = `${r.model}${r.variant ? ` / ${r.variant}` : ''}`;
    const made = r.traceVariant !== r.variant ? ` (trace made on ${r.traceVariant ?? 'no variant'})` : '';
    io.out(`replaying ${p.positional[0]} against ${against}${made}: ${t.steps.length} steps\n`);
    for (const note of r.notes) io.out(`note: ${note}\n`);
    if (r.status === 'reproduced') io.out(`reproduced: ${r.verdict}\n`);
    else if (r.status === 'no-longer-applies') io.out(`${r.verdict}\n`);
    else io.out(`replays, but the property now holds: ${r.verdict}\n`);
  }
  return r.status === 'reproduced' ? EXIT.pass : EXIT.violation;
}

async function cmdShow(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, { format: { value: true }, out: { value: true, alias: 'o' } }, 'show');
  if (p.positional.length !== 1) throw new McError('MC309', `mmcheck show takes one trace file`);
  const file = p.positional[0]!;
  const t = readTrace(file, io);
  const format = oneOfFlag(p, 'format', ['text', 'markdown', 'html'] as const) ?? 'text';
  // Render only verified data: replayed on the model when it loads, else checked against the trace's own hashes.
  let model: Model | null = null;
  let why = '';
  try {
    model = await modelOfTrace(t, io, file);
  } catch (e) {
    why = `the model could not be loaded (${(e as Error).message})`;
  }
  const { note } = verifyTrace(t, model, why);
  const text = format === 'html' ? renderHtml(t, { source: file, note }) : (format === 'markdown' ? renderMarkdown(t, { note }) : renderText(t, { source: file, note })) + '\n';
  const out = str(p, 'out');
  if (out) {
    const abs = resolve(io.cwd, out);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  } else io.out(text);
  return EXIT.pass;
}

/** A path as one shell word, so the printed commands can be pasted. */
const shq = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

function savedLines(tracePath: string): string {
  const html = tracePath.replace(/\.json$/, '') + '.html';
  return `trace saved: ${tracePath}\n  replay: mmcheck replay ${shq(tracePath)}\n  show:   mmcheck show ${shq(tracePath)} --format html -o ${shq(html)}\n`;
}

function minimizedLine(m: MinimizeStats): string {
  const steps = (k: number) => `${k} step${k === 1 ? '' : 's'}`;
  const sw = (k: number) => `${k} context switch${k === 1 ? '' : 'es'}`;
  return `minimized: ${steps(m.lengthBefore)}, ${sw(m.switchesBefore)} → ${steps(m.lengthAfter)}, ${sw(m.switchesAfter)} (the fewest of any ${m.lengthAfter}-step counterexample)`;
}

/**
 * Re-run the search on the trace's model, variant and parameters and save
 * the counterexample of the same property with the fewest context switches
 * among the shortest. The trace must reproduce first: minimising a trace the
 * model no longer has would describe a different bug.
 */
async function cmdMinimize(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, { out: { value: true, alias: 'o' }, json: {} }, 'minimize');
  if (p.positional.length !== 1) throw new McError('MC309', `mmcheck minimize takes one trace file`);
  const file = p.positional[0]!;
  const t = readTrace(file, io);
  const model = await modelOfTrace(t, io, p.positional[0]!);
  const rp = replay(t, model);
  const json = flag(p, 'json');
  if (rp.status !== 'reproduced') {
    if (json) io.out(JSON.stringify({ minimized: null, reason: rp.verdict }) + '\n');
    else io.out(`${file} does not reproduce on ${rp.model}${rp.variant ? ` / ${rp.variant}` : ''}, so there is nothing to minimise: ${rp.verdict}\n`);
    return EXIT.violation;
  }
  const rt = new Runtime(buildModel(model, t.variant, t.params as Params));
  const min = minimizedTrace(rt, violationOfTrace(rt, t), { ...(t.modelFile ? { modelFile: t.modelFile } : {}), ...(t.fairness ? { fairness: t.fairness } : {}) });
  if (!min) throw new Error('internal: a reproduced violation was not found again');
  const outPath = str(p, 'out') ?? file.replace(/\.json$/, '') + '.min.json';
  // writeTrace records the model file relative to the new trace, which may sit in another directory.
  writeTrace(min.trace, io.cwd, outPath, model);
  if (json) io.out(JSON.stringify({ minimized: min.stats, trace: outPath }) + '\n');
  else io.out(`${minimizedLine(min.stats)}\n\n${renderText(min.trace)}\n\n${savedLines(outPath)}`);
  return EXIT.pass;
}

/** Every model's default-parameter expectations, checked; the main job (npm start). */
async function cmdVerdicts(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, { all: {}, json: {}, model: { value: true, repeat: true } }, 'verdicts');
  const builtins = await builtinModels();
  const only = p.flags.get('model');
  const models = builtins.filter((m) => (only ? only.includes(m.name) : flag(p, 'all') || m.def.category !== 'classic' || !builtins.some((x) => x.def.category === 'kernel')));
  const rows: { model: string; variant: string; expected: string; got: string; states: number; transitions: number; seconds: number; ok: boolean }[] = [];
  for (const m of models) {
    const variants = m.variantNames.length ? m.variantNames : [null];
    for (const v of variants) {
      const exps = expectationsOf(m, v).filter((e) => !e.params || flag(p, 'all'));
      for (const e of exps.length ? exps : [undefined]) {
        const built = buildModel(m, v, e?.params ?? {});
        const r = search(built, { deadlock: e?.deadlock === false ? false : null, fairness: e?.fairness ?? 'weak' });
        const got = verdictText(r.verdict, r.violation?.kind, r.violation?.property, e?.fairness) + (r.verdict === 'pass' && e?.fairness && e.fairness !== 'weak' ? ` [${e.fairness}]` : '');
        let ok = e !== undefined && r.verdict === e.verdict;
        if (ok && e!.kind && r.violation?.kind !== e!.kind) ok = false;
        if (ok && e!.property && r.violation?.property !== e!.property) ok = false;
        if (ok && e!.states !== undefined && r.stats.states !== e!.states) ok = false;
        if (ok && e!.transitions !== undefined && r.stats.transitions !== e!.transitions) ok = false;
        if (ok && e!.length !== undefined && r.violation?.steps.length !== e!.length) ok = false;
        const ps = Object.entries(built.params).map(([k, x]) => `${k}=${x}`).join(' ');
        rows.push({ model: `${m.name}${e?.params ? ` (${ps})` : ''}`, variant: v ?? '-', expected: expText(e), got, states: r.stats.states, transitions: r.stats.transitions, seconds: r.stats.seconds, ok });
      }
    }
  }
  const bad = rows.filter((r) => !r.ok).length;
  if (flag(p, 'json')) io.out(JSON.stringify({ rows, mismatches: bad }) + '\n');
  else {
    const head = ['model', 'variant', 'expected', 'got', 'states', 'transitions', 'seconds', ''];
    const cells = rows.map((r) => [r.model, r.variant, r.expected, r.got, n(r.states), n(r.transitions), r.seconds.toFixed(2), r.ok ? 'ok' : 'MISMATCH']);
    const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const right = new Set([4, 5, 6]);
    const line = (c: string[]) => c.map((x, i) => (right.has(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ').trimEnd();
    io.out([line(head), w.map((x) => '-'.repeat(x)).join('  '), ...cells.map(line)].join('\n') + '\n');
    io.out(bad ? `\n${bad} of ${rows.length} verdicts differ from the expectations\n` : `\nall ${rows.length} verdicts as expected\n`);
  }
  return bad ? EXIT.violation : EXIT.pass;
}
