import type { Coverage } from '../../search/coverage.ts';
import { relative } from 'node:path';
import { availableParallelism } from 'node:os';
import { McError, q } from '../../model/errors.ts';
import { describeBuilt, type BuiltModel } from '../../model/build.ts';
import { partsOf } from '../../model/blocks/compose.ts';
import { readNeverWritten } from '../../reduce/footprint.ts';
import { permutationsOf, symmetryGroups } from '../../reduce/symmetry.ts';
import { Runtime } from '../../exec/runtime.ts';
import { defaultOptions, type SearchOptions, type SearchResult } from '../../search/types.ts';
import { refuseOptions } from '../../search/check.ts';
import { defaultParallelOptions } from '../../search/parallel-explore.ts';
import { defaultSwarmOptions } from '../../run/swarm-pool.ts';
import { memoryCeiling, type MemoryCeiling } from '../../run/memory-ceiling.ts';
import { SearchThread, superviseMinimize, superviseSearch, type SupervisedResult } from '../../run/supervise.ts';
import { buildTrace } from '../../trace/build.ts';
import type { TraceFile } from '../../trace/format.ts';
import { traceDocs } from '../../trace/docs.ts';
import { traceOfMinimized, type MinimizeStats } from '../../trace/minimize.ts';
import { renderText } from '../../report/table.ts';
import { explainBlocked } from '../../trace/blocked.ts';
import { blockedJson, blockedText } from '../../report/blocked-text.ts';
import type { Args, Command } from '../args.ts';
import { count, EXIT, n, printError, type Io } from '../common.ts';
import { fairCycle, fairnessName } from '../../model/fairness-text.ts';
import { crossCheck, unreducedOptions } from '../cross-check.ts';
import { FAIRNESS, MODEL_FLAGS, OUTPUT_FLAGS, PROPERTY_FLAGS, SHARED_CONFLICTS } from '../flags.ts';
import { modelFromArgs, watchTimeLimit } from '../inputs.ts';
import { checkReplays, endedInStep, minimizedLine, minimizeStop, minimizeStopText, type MinimizeStop, reportSaved, violationJson, writeTrace, type SavedTrace } from '../output.ts';
import { withStatusLine } from '../progress.ts';
import { cycleSearchText } from '../../search/cycle-progress.ts';
import { runSwarm, SWARM_ONLY } from './check-swarm.ts';
import { jsonResult } from '../json-result.ts';

const STORES = ['exact', 'hash-compact', 'bitstate'] as const;


export const checkCommand: Command = {
  name: 'check',
  summary: 'explore every interleaving: pass, violation (with a shortest counterexample) or incomplete',
  usage: 'check <model> [options]',
  positionals: ['model'],
  takes: 'one model (name or file)',
  flags: {
    ...MODEL_FLAGS,
    strategy: { type: 'string', value: 'bfs|dfs', default: defaultOptions.strategy, help: 'search order (bfs: shortest counterexamples)' },
    store: { type: 'string', value: STORES.join('|'), default: defaultOptions.store, help: 'state storage: exact states, 64-bit fingerprints, or a bit array (searched depth-first)' },
    'bitstate-bits': { type: 'string', value: 'N', default: defaultOptions.bitstateBits, help: 'log2 of the bit array of --store bitstate' },
    por: { type: 'boolean', help: 'partial-order reduction (safety and deadlock; livelocks only with --fairness none and without --symmetry)' },
    symmetry: { type: 'boolean', help: 'symmetry reduction of replicated thread groups (safety, deadlock and liveness)' },
    'stack-proviso': { type: 'boolean', help: "with --strategy dfs --por: SPIN's stack cycle proviso (usually fewer states; with several violations another may be met first)" },
    'dead-vars': { type: 'boolean', help: 'dead-variable reduction: a thread local is reset to its initial value where it is written before it is read again (every property, any number of workers)' },
    workers: { type: 'string', value: 'N', help: "threads of the breadth-first search (exact or hash-compact store), with the same states, counts and counterexamples as one (default: the machine's CPUs; 1 with --strategy dfs or --store bitstate)" },
    'cross-check': { type: 'boolean', help: 'also run without reductions, in one worker, and compare the verdicts and counts' },
    ...PROPERTY_FLAGS,
    'max-states': { type: 'string', value: 'N', default: defaultOptions.maxStates, help: 'stop after N states (exit 3); 5k, 2M accepted' },
    'time-limit': { type: 'string', value: 'S', default: defaultOptions.timeLimit, help: 'stop after S seconds, even inside a step that does not return (exit 3)' },
    'memory-limit': { type: 'string', value: 'MB', default: defaultOptions.memoryLimitMB, help: "stop when the process's resident memory exceeds MB megabytes (exit 3); default: 80% of the machine's (or cgroup's) memory" },
    minimize: { type: 'boolean', help: 'among the shortest counterexamples, save the one with the fewest context switches' },
    ...OUTPUT_FLAGS,
    swarm: { type: 'string', value: 'N', help: 'N diversified bounded searches in parallel workers; the first violation wins (none found: exit 3, it is not a proof)' },
    'swarm-jobs': { type: 'string', value: 'J', default: defaultSwarmOptions.jobs, help: 'with --swarm: workers running at once (the number of CPUs)' },
    seed: { type: 'string', value: 'S', help: "with --swarm: seed of the workers' plans (default: from the clock, and printed)" },
    depth: { type: 'string', value: 'D', default: defaultSwarmOptions.depth, help: 'with --swarm: depth bound of worker 0 (the others use fractions of it)' },
    bitstate: { type: 'string', value: 'B', default: defaultSwarmOptions.maxBitstateLog2, help: 'with --swarm: log2 of the largest worker bitstate (16 to 31)' },
    member: { type: 'string', value: 'I|env', help: 'with --swarm N and --seed: run only member I (0..N-1) and write its result for swarm-merge; env: the index from JOB_COMPLETION_INDEX or SLURM_ARRAY_TASK_ID (an I other than the index one of them gives is refused)' },
    'member-from-env': { type: 'boolean', help: 'as --member env (Kubernetes Indexed Jobs, Slurm job arrays)' },
    'member-base': { type: 'string', value: 'B', help: 'with the index from the environment: the index of member 0 (1 for a Slurm array numbered 1-N)' },
    out: { type: 'string', short: 'o', value: 'FILE', help: "with --member: write the member's result to FILE (atomically; -: stdout, as with --json)" },
  },
  conflicts: [...SHARED_CONFLICTS, ['member', 'member-from-env'], ['swarm', 'workers']],
  notes: [
    '<model> is a built-in model name (see mmcheck list) or a path to a model file.',
    'With --member, one member of the swarm runs alone, as check --swarm N runs it in a thread, and writes its result (exit 0 once written, 3 if a signal stopped it); mmcheck swarm-merge merges the members\' results into the swarm\'s (docs/distributed.md).',
  ],
  example: 'mmcheck check dining -p n=3 --trace-out dining.json',
  run: (args, io) => (args.given('swarm') ? runSwarm(args, io) : runCheck(args, io)),
};

function searchOptions(args: Args): Partial<SearchOptions> {
  for (const f of SWARM_ONLY) if (args.given(f)) throw new McError('MC332', `mmcheck check: option --${f} is used only with --swarm`);
  const store = args.oneOf('store', STORES);
  if (store === 'bitstate' && args.given('strategy') && args.str('strategy') === 'bfs')
    throw new McError('MC317', '--store bitstate searches depth-first (the stack is the counterexample): drop --strategy bfs');
  if (args.given('bitstate-bits') && store !== 'bitstate') throw new McError('MC332', 'mmcheck check: option --bitstate-bits is used only with --store bitstate');
  return {
    strategy: args.oneOf('strategy', ['bfs', 'dfs'] as const),
    store,
    por: args.flag('por'),
    symmetry: args.flag('symmetry'),
    deadVars: args.flag('dead-vars'),
    stackProviso: args.flag('stack-proviso'),
    bitstateBits: args.num('bitstate-bits', { integer: true, min: 10 }),
    fairness: args.oneOf('fairness', FAIRNESS),
    liveness: !args.flag('no-liveness'),
    deadlock: args.flag('no-deadlock') ? false : null,
    maxStates: args.num('max-states', { integer: true, min: 1 }),
    timeLimit: args.num('time-limit', { min: 0 }),
    memoryLimitMB: args.num('memory-limit', { min: 1 }),
    workers: workersOption(args, store),
  };
}

/**
 * Helper threads to start with the search thread: with `--workers N` given,
 * N - 1 of them up to the machine's CPUs (the others start when the search
 * first has a round to share). Not given, none: a small model should not pay
 * for threads. A bad option is reported in its turn, later.
 */
function earlyHelpers(args: Args): number {
  if (!args.given('workers')) return 0;
  try {
    return Math.min(workersOption(args, args.oneOf('store', STORES)), availableParallelism()) - 1;
  } catch {
    return 0;
  }
}

/** `--workers N` as given (1..256, MC361), or the machine's CPUs: the threads of each breadth-first search (`check`, and each case of `test` and `verdicts`). */
export function workersCount(args: Args): number {
  if (!args.given('workers')) return Math.min(256, availableParallelism());
  const n = args.num('workers', { integer: true, min: 1 });
  if (n > 256) throw new McError('MC361', `--workers ${n}: expected 1..256 threads`);
  return n;
}

/**
 * `--workers N`: breadth-first search into the exact or hash-compact store
 * (with any reduction: the partial order's cycle proviso reads only states
 * stored before a round, so every worker takes the one-thread search's
 * stubborn set). Not given: the machine's CPUs where that applies, one
 * thread otherwise.
 */
function workersOption(args: Args, store: string): number {
  const dfs = args.given('strategy') && args.str('strategy') === 'dfs';
  if (!args.given('workers') && (store === 'bitstate' || dfs)) return 1;
  const n = workersCount(args);
  if (n === 1) return n;
  const why = store === 'bitstate'
    ? '--store bitstate (it searches depth-first)'
    : dfs
      ? '--strategy dfs (the threads search breadth-first)'
      : null;
  if (why) throw new McError('MC360', `--workers ${n} cannot be combined with ${why}: use --workers 1`);
  return n;
}

/**
 * The search thread starts first, so that its start-up overlaps loading the
 * model here (and SIGINT / SIGTERM are handled from then on); a bad
 * `--memory-limit` is reported in its turn below, and the thread then
 * starts with the default ceiling and is closed.
 */
async function runCheck(args: Args, io: Io): Promise<number> {
  let early: MemoryCeiling;
  try {
    early = memoryCeiling(args.num('memory-limit', { min: 1 }));
  } catch {
    early = memoryCeiling(Infinity);
  }
  const thread = SearchThread.spawn(early, { signals: true, helpers: earlyHelpers(args) });
  try {
    return await checkWith(thread, args, io);
  } finally {
    thread.close();
  }
}

async function checkWith(thread: SearchThread, args: Args, io: Io): Promise<number> {
  // A model file is loaded and built in the search thread first, watched (--time-limit, signals), which then searches it.
  const { model, built } = await modelFromArgs(args, io, { thread, timeLimit: watchTimeLimit(args) });
  const opts = searchOptions(args);
  // Refused before the header, as any other bad option is (the search thread would refuse them after it).
  refuseOptions(built, opts);
  const json = args.flag('json');
  const mode = [opts.store === 'bitstate' ? 'dfs' : opts.strategy, opts.store !== 'exact' ? `${opts.store} store` : '', opts.por ? (opts.stackProviso ? 'por, stack proviso' : 'por') : '', opts.symmetry ? 'symmetry' : '', opts.deadVars ? 'dead-vars' : '', built.hasProgress && opts.liveness ? `liveness, ${fairnessName(opts.fairness!)}` : ''].filter(Boolean).join(', ');
  if (!json) io.out(`checking ${describeBuilt(built)} [${mode}]\n`);
  // A parameter given on the command line that the model never reads: the run answers for the default model.
  const unread = (args.given('param') ? args.list('param') : [])
    .filter((p) => built.unusedParams.includes(p.slice(0, p.indexOf('='))))
    .map((p) => `parameter ${q(p.slice(0, p.indexOf('=')))} is read by none of the model's functions, so -p ${p} likely changes nothing`);
  if (!json) for (const w of unread) io.out(`warning: ${w}\n`);
  // More workers than CPUs: every round waits at its barriers for workers the CPUs are not running (peterson(5) on 2 CPUs: about 4 s at 3 or 4 workers, 56 s at 64, against 3.2 s at 2).
  const cpus = availableParallelism();
  const oversubscribed = (opts.workers ?? 1) > cpus ? [`--workers ${opts.workers} on a machine with ${count(cpus, 'CPU')}: each round waits for the workers no CPU is running, so the search is slower than with --workers ${cpus}`] : [];
  if (!json) for (const w of oversubscribed) io.out(`warning: ${w}\n`);
  // A model file whose top level differs from one thread to the next: the threads' answers are compared on samples only.
  const varying = model.threadVarying && model.source ? [threadVaryingWarning(relative(io.cwd, model.source), model.threadVarying, opts.workers ?? 1)] : [];
  if (!json) for (const w of varying) io.out(`warning: ${w}\n`);
  const memory = memoryCeiling(opts.memoryLimitMB ?? defaultOptions.memoryLimitMB);
  const modelRef = model.source ?? model.name;
  const r = await withStatusLine(args, io, (onProgress) => thread.run(modelRef, built, { search: opts, memory, signals: true, onProgress }));
  // An interrupted run stops here: the user asked for what was reached, not for a second search.
  const cross =
    args.flag('cross-check') && r.stop?.reason !== 'interrupted'
      ? crossCheck(r, await superviseSearch(modelRef, built, { search: unreducedOptions(opts), memory, signals: true, onProgress: null }), opts)
      : null;
  const runtime = r.violation ? new Runtime(built) : null;
  let trace: TraceFile | null = null;
  let minimized: MinimizeStats | null = null;
  let minStop: MinimizeStop | null = null;
  if (r.violation) {
    const extra = { modelFile: model.source ? relative(io.cwd, model.source) : undefined, fairness: r.violation.kind === 'livelock' ? r.fairness ?? undefined : undefined };
    if (args.flag('minimize')) {
      // A second search, watched as the first was: in what is left of --time-limit, within the memory ceiling, stopped by a signal (a signal during the search skips it). Stopped, the search's counterexample stands.
      const interrupted = thread.interruptedBy;
      const m = interrupted
        ? { minimized: null, reached: { states: 0, transitions: 0, depth: 0 }, seconds: 0, stop: { reason: 'interrupted' as const, signal: interrupted, forced: false, phase: null } }
        : await withStatusLine(args, io, (onProgress) => superviseMinimize(modelRef, built, { violation: r.violation!, timeLimit: Math.max(0, (opts.timeLimit ?? Infinity) - r.stats.seconds), memory, signals: true, onProgress }));
      if (m.minimized) {
        const min = traceOfMinimized(runtime!, m.minimized, extra);
        minimized = min.stats;
        trace = min.trace;
      } else if (m.stop) minStop = minimizeStop(m);
      else throw new Error('a violation the search found was not found again by the minimising search');
    }
    trace ??= buildTrace(runtime!, r.violation, extra);
    checkReplays(trace, model);
  }
  const blocked = trace ? explainBlocked(runtime!, trace) : null;
  // The counterexample is shown before the trace is written, so that a failed write loses nothing.
  const save = (): SavedTrace | null => (trace && !args.flag('no-trace') ? writeTrace(trace, io.cwd, args.str('trace-out'), model) : null);
  if (json) {
    const saved = save();
    const out = resultJson(built, r, opts, saved?.path ?? null, memory);
    // A minimised trace may be shorter than the search's (after DFS) and start its cycle elsewhere.
    if (out.violation && trace && minimized)
      Object.assign(out.violation, { length: trace.steps.length, ...(trace.cycleStart !== undefined ? { cycleStart: trace.cycleStart } : {}), minimized });
    if (out.violation && minStop) Object.assign(out.violation, { minimizeStopped: minStop });
    if (out.violation && blocked) Object.assign(out.violation, blockedJson(blocked));
    if (saved?.error) printError(io, saved.error);
    const warnings = [...unread, ...oversubscribed, ...varying, ...helperWarnings(r.helperErrors ?? [], opts.workers ?? 1), ...(r.verdict === 'pass' ? vacuous(built, opts) : [])];
    io.out(jsonResult('check', { ...out, ...(r.helperErrors ? { helperErrors: r.helperErrors.map((e) => ({ code: e.code ?? 'internal', message: e.message })) } : {}), ...(cross ? { crossCheck: cross } : {}), ...(saved?.error ? { traceError: saved.error } : {}), ...(warnings.length ? { warnings } : {}) }));
  } else {
    io.out(statsLine(r, args.given('workers') ? (opts.workers ?? 1) : null) + '\n');
    for (const w of helperWarnings(r.helperErrors ?? [], opts.workers ?? 1)) io.out(`warning: ${w}\n`);
    if (r.reduction.symmetry) io.out(`symmetry: ${r.reduction.symmetry} (${r.reduction.permutations} permutations)\n`);
    if (r.reduction.porSafeLabels !== undefined)
      io.out(`por: stubborn sets smaller than the enabled steps at ${r.reduction.por?.reducedStates ?? 0} state(s); steps independent of some thread at ${r.reduction.porSafeLabels} label(s)${r.reduction.porNotes?.length ? `; limits: ${r.reduction.porNotes.join('; ')}` : ''}\n`);
    if (r.reduction.deadVars) io.out(deadVarsLines(r.reduction.deadVars));
    const st = r.reduction.store;
    // Hash-compact's figure is what stays per state (fingerprint, parent, table), not the frontier's words in the stats line's.
    if (st) io.out(`${st.mode} store: ${st.bytesPerState.toFixed(1)} bytes/state${st.mode === 'hash-compact' ? ' kept (fingerprint, parent and table share; the words only until expanded)' : ''}; estimated states missed ${st.expectedMissed.toPrecision(3)} (probability any was missed ${st.probabilityAnyMissed.toPrecision(3)})\n`);
    if (cross) io.out(cross.summary + '\n');
    if (r.verdict === 'pass') io.out(`pass: no violation${r.livenessChecked ? `, no ${fairCycle(r.fairness ?? 'weak')}` : ''}\n${vacuous(built, opts).map((w) => `warning: ${w}\n`).join('')}${noProgressNote(built, opts)}`);
    if (r.coverage) io.out(coverageLines(r.coverage));
    else if (r.incomplete) io.out(incompleteLines(r, opts, memory));
    else if (trace) {
      io.out(`violation:\n\n${renderText(trace, { docs: traceDocs(trace, built) })}\n\n${blockedText(blocked, trace.property.kind === 'livelock')}`);
      if (minimized) io.out(minimizedLine(minimized) + '\n');
      else if (minStop) io.out(`minimize: ${minimizeStopText(minStop, r.violation!.steps.length)}; the counterexample above is the search's, not minimised\n`);
      else if (opts.por && !cross) io.out(`note: ${POR_LENGTH_NOTE}\n`);
      else if (opts.deadVars && !cross && trace.property.kind === 'livelock') io.out(`note: ${DEAD_VARS_LASSO_NOTE}\n`);
      const saved = save();
      if (saved) reportSaved(io, saved, model);
    }
    io.out(symmetryNote(built, opts, r));
  }
  if (cross && !cross.agree) return EXIT.violation;
  return r.verdict === 'pass' ? EXIT.pass : r.verdict === 'violation' ? EXIT.violation : EXIT.incomplete;
}

/** What a counterexample found under --por is, and is not (the unreduced search may find a shorter one). */
export const POR_LENGTH_NOTE =
  'with --por this is a shortest counterexample of the reduced state space, which can be longer than one without it; --minimize gives a shortest one (for a livelock, the shortest stem to this cycle)';

/** What a lasso found under --dead-vars is (README, "State-space reduction"). */
export const DEAD_VARS_LASSO_NOTE = "with --dead-vars a lasso's stem can be longer than the shortest by up to one round of its cycle (it goes on to a state the cycle returns to exactly); --minimize gives the shortest stem to this cycle";

/**
 * A pass of a model that states no property at all (no invariant, no
 * `s.assert`, no progress, deadlock detection off) says so: it only counted
 * states, and would pass whatever the protocol did.
 */
function vacuous(built: BuiltModel, opts: Partial<SearchOptions>): string[] {
  const constant = readNeverWritten(built);
  const never = constant.length
    ? [`shared variable${constant.length > 1 ? 's' : ''} ${constant.join(', ')} ${constant.length > 1 ? 'are' : 'is'} read but written by no step and not by init, so ${constant.length > 1 ? 'each keeps its' : 'it keeps its'} initial value in every state and what reads ${constant.length > 1 ? 'them' : 'it'} answers one way throughout (was a thread local of the same name written, me.NAME for s.NAME?)`]
    : [];
  return [...never, ...nothingChecked(built, opts)];
}

/**
 * A pass that looked for no livelock because no step declares progress (a
 * check that was not turned off with --no-liveness): said, so that the pass
 * is not read as one without livelocks (a model with no property at all has
 * the warning of `nothingChecked` instead).
 */
function noProgressNote(built: BuiltModel, opts: Partial<SearchOptions>): string {
  if (built.hasProgress || opts.liveness === false || nothingChecked(built, opts).length > 0) return '';
  return 'note: livelocks were not looked for: no step of the model declares progress (progress: true on a step, or a thread\'s progress labels)\n';
}

/** How long a search without --symmetry runs before `symmetryNote` speaks (a short one gains nothing worth a line). */
export const SYMMETRY_NOTE_SECONDS = 10;

/**
 * After a search of SYMMETRY_NOTE_SECONDS or more without --symmetry, of a
 * model with a thread group of two or more replicas: whether --symmetry
 * would permute the group (and by how many permutations at most), or what
 * in the model keeps it from doing so (MC313's reasons, before the user
 * asks). Nothing where --symmetry would be refused with these options
 * (--por with livelock checking, MC312).
 */
export function symmetryNote(built: BuiltModel, opts: Partial<SearchOptions>, r: Pick<SearchResult, 'livenessChecked' | 'stats'>): string {
  if (opts.symmetry || r.stats.seconds < SYMMETRY_NOTE_SECONDS || (opts.por && r.livenessChecked)) return '';
  const groups = symmetryGroups(built);
  if (groups.length === 0) return '';
  const took = `the search took ${r.stats.seconds.toFixed(1)} s without --symmetry`;
  const sym = groups.filter((g) => g.symmetric);
  if (sym.length === 0) return `note: ${took}; --symmetry would not permute ${groups.length === 1 ? 'the replicated group' : 'any replicated group'}: ${groups.map((g) => `${g.group}: ${g.reason}`).join('; ')}\n`;
  const perms = permutationsOf(sym);
  return `note: ${took}; --symmetry would permute ${sym.map((g) => `${g.group}×${g.replicas}`).join(', ')}: one state stored for each class of states that differ by a permutation of replicas (up to ${perms.toLocaleString('en-US')} states in a class), with the same verdict\n`;
}

function nothingChecked(built: BuiltModel, opts: Partial<SearchOptions>): string[] {
  const stepSource = (f: Function): string => partsOf(f)?.map(stepSource).join('\n') ?? Function.prototype.toString.call(f);
  if (built.invariants.length > 0 || built.hasProgress || (opts.deadlock ?? built.deadlock)) return [];
  const sources = [...built.helpers, ...built.templates.flatMap((t) => t.steps.flatMap((st) => [st.guard, st.effect, st.nextFn, st.chooseFn]))];
  if (sources.some((f) => typeof f === 'function' && /\.\s*assert\s*\(/.test(stepSource(f)))) return [];
  return ['nothing was checked: the model declares no invariant, no s.assert and no progress, and deadlock detection is off, so any protocol passes'];
}

/**
 * What was reached and which limit stopped it: the `incomplete:` line (the
 * same for every reason), then what the limit was, and whether the search
 * had to be ended inside a step.
 */
function incompleteLines(r: SupervisedResult, opts: Partial<SearchOptions>, memory: MemoryCeiling): string {
  const inc = r.incomplete!;
  const reached = `${count(inc.states, 'state')} (depth ${n(inc.depth)}, frontier ${n(inc.frontier)})${inc.cycleSearch ? `, in the cycle search (${cycleSearchText(inc.cycleSearch)})` : ''}; no violation found so far`;
  if (inc.reason === 'interrupted') return `incomplete: interrupted by ${r.stop?.signal ?? 'a signal'} after ${reached}\n`;
  let limit = '';
  if (inc.reason === 'time-limit') limit = `  limit: ${opts.timeLimit} s (--time-limit)`;
  else if (inc.reason === 'max-states') limit = '';
  else if (inc.storeFullBytes !== undefined)
    limit = `  limit: the multi-core store is full: a buffer of it reached ${n(Math.floor(inc.storeFullBytes / 2 ** 20))} MB, the most one growable shared buffer holds in this Node.js, below the ${n(memory.mb)} MB of memory allowed; --workers 1 stores states in chunks and goes further`;
  else if (memory.given) limit = `  limit: ${n(memory.mb)} MB of resident memory (--memory-limit)`;
  else limit = `  limit: ${n(memory.mb)} MB of resident memory, the default ceiling (${memory.basis}); --memory-limit sets another`;
  // The multi-core store keeps more per state than one thread's (peterson(6) at 300 MB: 3.0 M states at two workers against 6.4 M at one, exact; 3.5 M against 5.9 M, hash-compact).
  if (inc.reason === 'memory-limit' && inc.storeFullBytes === undefined && inc.states > 1 && (opts.workers ?? 1) > 1)
    limit += `\n  ${opts.workers} workers hold fewer states in the same memory than one (the exact store keeps each state in a record where it was first found, and the previous table stays allocated; each helper thread has a heap of its own): --workers 1 goes further`;
  const forced = !r.stop?.forced
    ? ''
    : r.stop.growing
      ? `  the search was ended while it grew its state table (its own work, not a step of the model)\n`
      : r.stop.windingDown
        ? `  the search stopped at the limit but did not finish winding down in time, and was ended (its own work, not a step of the model)\n`
        : r.stop.phase
        ? `  the search ${endedInStep(r.stop.phase)}\n`
        : `  the search thread was ended before the search started${inc.reason === 'memory-limit' ? ' (the limit is below what loading the model takes)' : ''}\n`;
  return `incomplete: ${inc.reason} reached after ${reached}\n${limit ? limit + '\n' : ''}${forced}`;
}

/** The `incomplete` object of the JSON result: what was reached, and the limit or signal that stopped the search. */
function incompleteJson(r: SupervisedResult, opts: Partial<SearchOptions>, memory: MemoryCeiling) {
  const inc = r.incomplete;
  if (!inc) return null;
  const forced = r.stop?.forced ? { forced: true, phase: r.stop.phase, ...(r.stop.growing ? { growing: true } : {}), ...(r.stop.windingDown ? { windingDown: true } : {}) } : {};
  switch (inc.reason) {
    case 'interrupted':
      return { ...inc, signal: r.stop?.signal ?? null, ...forced };
    case 'time-limit':
      return { ...inc, limitSeconds: opts.timeLimit, ...forced };
    case 'memory-limit':
      return { ...inc, limitMB: memory.mb, defaultCeiling: !memory.given, ...forced };
    default:
      return { ...inc, ...forced };
  }
}

/** After a complete search: a warning when some step never fired or some label was never reached. */
function coverageLines(c: Coverage): string {
  const every = (k: number, noun: string): string => (k === 1 ? `the one ${noun}` : `all ${k} ${noun}s`);
  if (!c.unfired.length && !c.unreached.length) return `coverage: ${every(c.steps, 'step')} fired, ${every(c.labels, 'label')} reached\n`;
  const lines = [`warning: coverage: ${c.steps - c.firedSteps} of ${c.steps} steps never fired, ${c.labels - c.reachedLabels} of ${c.labels} labels never reached (a passing model proves nothing about them)`];
  for (const u of c.unfired) lines.push(`  ${u.thread}: steps never fired: ${u.steps.join(', ')}`);
  for (const u of c.unreached) lines.push(`  ${u.thread}: labels never reached: ${u.labels.join(', ')}`);
  return lines.join('\n') + '\n';
}

/** `--dead-vars`: which locals were found dead at which labels (the search resets them there). */
function deadVarsLines(d: NonNullable<SearchResult['reduction']['deadVars']>): string {
  const lines = [d.dead.length ? `dead-vars: locals reset where they are dead, at ${d.dead.length} label(s):` : 'dead-vars: no local is dead anywhere (nothing reset)'];
  for (const x of d.dead) lines.push(`  ${x.thread} at ${x.label}: ${x.locals.join(', ')}`);
  for (const note of d.notes) lines.push(`  limit: ${note}`);
  return lines.join('\n') + '\n';
}

/**
 * The warning for a model file that reads, outside the model's functions,
 * what each thread loading it may see otherwise (`Model.threadVarying`).
 */
export function threadVaryingWarning(file: string, what: string, workers: number): string {
  const head = `model file ${q(file)} ${what}: each thread that loads the file runs its top level anew`;
  if (workers <= 1) return `${head} (the search thread, and the one that re-executes a counterexample), as each run does, so the copies of the model may differ; a counterexample is re-executed in the other copy (MC160 when it does not replay)`;
  const helpers = workers === 2 ? 'its helper' : `its ${workers - 1} helpers`;
  return `${head} (the search thread, ${helpers} of --workers ${workers}, and the thread that re-executes a counterexample), so their copies of the model may differ; the search compares the copies' answers on samples only (MC160 when they differ): --cross-check compares the whole search with one worker`;
}

/**
 * Helper threads that failed before they joined (`SearchResult.helperErrors`),
 * one warning per distinct error: what it was, and that the search went on
 * without them, so that the result is the search thread's.
 */
export function helperWarnings(errors: NonNullable<SearchResult['helperErrors']>, workers: number): string[] {
  const seen = new Map<string, { code: string | null; message: string; k: number }>();
  for (const e of errors) {
    const key = JSON.stringify([e.code, e.message]);
    const g = seen.get(key);
    if (g) g.k++;
    else seen.set(key, { ...e, k: 1 });
  }
  return [...seen.values()].map(({ code, message, k }) => {
    const who = k === 1 ? 'a helper thread' : `${k} helper threads`;
    return `${who} of --workers ${workers} took no part, ${k === 1 ? 'its copy' : 'their copies'} of the model failed before joining the search (${code ?? 'internal error'}: ${message.replace(/\s*\n\s*/g, ' ')}); the search went on without ${k === 1 ? 'it' : 'them'}, and the result is the search thread's, as --workers 1 gives (a model must load and build alike in every thread)`;
  });
}

/** The summary line; `asked`: the workers asked for with --workers (null: not given), to say when fewer took part. */
function statsLine(r: SearchResult, asked: number | null): string {
  const s = r.stats;
  const w = s.workers;
  const workers = w === undefined ? '' : asked !== null && w < asked ? `, ${w} of ${asked} workers took part (a helper joins a BFS level of ${n(defaultParallelOptions.parallelFrom)} states or more, once it has loaded the model and the search has run 40 to 250 ms)` : w > 1 ? `, ${w} workers` : '';
  return `${count(s.states, 'state')}, ${count(s.transitions, 'transition')}, depth ${n(s.depth)}, ${s.seconds.toFixed(2)} s (${n(s.statesPerSecond)} states/s), ${s.bytesPerState.toFixed(1)} bytes/state, ${s.bitsPerState} bits/state${workers}`;
}

/** The `--json` result of an exhaustive check (the shape the README documents). */
function resultJson(built: BuiltModel, r: SupervisedResult, opts: Partial<SearchOptions>, tracePath: string | null, memory: MemoryCeiling) {
  const v = r.violation;
  return {
    model: built.name,
    variant: built.variant,
    params: built.params,
    verdict: r.verdict,
    violation: v ? violationJson(v, tracePath) : null,
    incomplete: incompleteJson(r, opts, memory),
    stats: {
      states: r.stats.states,
      transitions: r.stats.transitions,
      depth: r.stats.depth,
      seconds: Number(r.stats.seconds.toFixed(3)),
      statesPerSecond: Math.round(r.stats.statesPerSecond),
      bytesPerState: Number(r.stats.bytesPerState.toFixed(2)),
      bitsPerState: r.stats.bitsPerState,
      peakRssMB: Math.round(r.stats.peakRssMB),
      ...(r.stats.workers !== undefined ? { workers: r.stats.workers } : {}),
    },
    reduction: r.reduction,
    coverage: r.coverage,
    options: {
      strategy: opts.store === 'bitstate' ? 'dfs' : (opts.strategy ?? defaultOptions.strategy),
      por: opts.por ?? defaultOptions.por,
      symmetry: opts.symmetry ?? defaultOptions.symmetry,
      ...(opts.deadVars ? { deadVars: true } : {}),
      store: opts.store ?? defaultOptions.store,
      fairness: r.fairness,
      liveness: r.livenessChecked,
      deadlock: opts.deadlock ?? built.deadlock,
    },
  };
}
