import { availableParallelism } from 'node:os';
import { McError, q } from '../model/errors.ts';
import { buildModel, describeBuilt, type BuiltModel } from '../model/build.ts';
import { parseParam, type Fairness, type Model, type Params } from '../model/define.ts';
import { freshSeed, simulate, type SimulateResult } from '../search/simulate.ts';
import type { SwarmResult } from '../search/swarm.ts';
import { swarm } from '../run/swarm-pool.ts';
import type { FoundViolation } from '../search/types.ts';
import { Runtime } from '../exec/runtime.ts';
import { violationJson, writeTrace } from './output.ts';
import { buildTrace } from '../trace/build.ts';
import type { TraceFile } from '../trace/format.ts';
import { renderText } from '../report/table.ts';
import { flag, num, oneOfFlag, parseArgs, str, type FlagSpec, type Parsed } from './args.ts';
import { loadModel } from '../run/load.ts';

/**
 * `mmcheck simulate <model>` (random walks) and `mmcheck check <model>
 * --swarm N` (a swarm of diversified bitstate searches). Both find bugs in
 * models too large to explore exhaustively, and neither proves anything
 * when it finds none, which the output says. Exit codes as for check:
 * 1 violation, 0 none found, 2 bad input.
 */

interface Io {
  out: (s: string) => void;
  err: NodeJS.WriteStream;
  cwd: string;
}

/** simulate: nothing found is not a failure of the command (0); a swarm run by `check` did not prove a pass, so it is incomplete (3). */
const EXIT_NONE_FOUND = 0;
const EXIT_SWARM_NONE_FOUND = 3;
const EXIT_VIOLATION = 1;

const SHARED_FLAGS: Record<string, FlagSpec> = {
  variant: { value: true },
  param: { value: true, repeat: true, alias: 'p' },
  seed: { value: true },
  depth: { value: true },
  fairness: { value: true },
  'no-liveness': {},
  'no-deadlock': {},
  'time-limit': { value: true },
  'trace-out': { value: true },
  'no-trace': {},
  json: {},
  progress: {},
  'no-progress': {},
};

const SIMULATE_FLAGS: Record<string, FlagSpec> = { ...SHARED_FLAGS, runs: { value: true } };

const SWARM_FLAGS: Record<string, FlagSpec> = {
  ...SHARED_FLAGS,
  swarm: { value: true },
  'swarm-jobs': { value: true },
  'max-states': { value: true },
  bitstate: { value: true },
  // check's options that a swarm does not use: accepted by the parser so the error can say why.
  strategy: { value: true },
  store: { value: true },
  'memory-limit': { value: true },
};

const n = (x: number) => Math.round(x).toLocaleString('en-US');
/** `3 walks`, `1 walk`. */
const count = (x: number, noun: string) => `${n(x)} ${noun}${x === 1 ? '' : 's'}`;

function paramsFrom(model: Model, p: Parsed): Params {
  const out: Params = {};
  for (const kv of p.flags.get('param') ?? []) {
    const eq = kv.indexOf('=');
    if (eq <= 0) throw new McError('MC310', `--param ${q(kv)}: expected key=value`);
    out[kv.slice(0, eq)] = parseParam(model, kv.slice(0, eq), kv.slice(eq + 1));
  }
  return out;
}

/** The command that repeats this run: the same arguments, with the seed made explicit. */
function againCommand(command: string, argv: readonly string[], seed: string, given: boolean): string {
  const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);
  const args = argv.filter((a) => a !== '--progress' && a !== '--no-progress');
  return `mmcheck ${command} ${[...args, ...(given ? [] : ['--seed', seed])].map(quote).join(' ')}`;
}

/** A live status line on stderr (terminal or --progress). */
function statusLine(p: Parsed, io: Io): { update: (s: string) => void; done: () => void } | null {
  const show = flag(p, 'progress') || (!flag(p, 'no-progress') && !flag(p, 'json') && io.err.isTTY === true);
  if (!show) return null;
  let shown = false;
  return {
    update(s) {
      io.err.write(io.err.isTTY ? `\r${s}\x1b[K` : s + '\n');
      shown = true;
    },
    done() {
      if (shown && io.err.isTTY) io.err.write('\r\x1b[K');
    },
  };
}

/** Build, save (unless --no-trace) and return the trace, as cmdCheck does. */
/** The fields that open the JSON result of simulate and of a swarm. */
function jsonHeader(b: BuiltModel, mode: 'simulate' | 'swarm', seed: unknown, found: boolean) {
  return { model: b.name, variant: b.variant, params: b.params, mode, seed, verdict: found ? 'violation' : 'no-violation' };
}

function saveTrace(p: Parsed, io: Io, model: Model, rt: Runtime, v: FoundViolation, fairness: Fairness | null): { trace: TraceFile; path: string | null } {
  const trace = buildTrace(rt, v, { fairness: v.kind === 'livelock' ? fairness ?? undefined : undefined });
  if (flag(p, 'no-trace')) return { trace, path: null };
  return { trace, path: writeTrace(trace, io.cwd, str(p, 'trace-out'), model) };
}

function printViolation(io: Io, trace: TraceFile, tracePath: string | null, again: string): void {
  io.out(`\n${renderText(trace)}\n\n`);
  if (tracePath) io.out(`trace saved: ${tracePath}\n  replay: mmcheck replay ${tracePath}\n`);
  io.out(`  again:  ${again}\n`);
}

interface Common {
  model: Model;
  built: BuiltModel;
  seed: string;
  seedGiven: boolean;
  fairness: Fairness;
  liveness: boolean;
  deadlock: boolean | null;
  timeLimit: number;
  json: boolean;
}

async function common(p: Parsed, command: string): Promise<Common> {
  if (p.positional.length !== 1) throw new McError('MC309', `mmcheck ${command} takes one model (name or file), got ${p.positional.length ? p.positional.map(q).join(' ') : 'none'}`);
  const model = await loadModel(p.positional[0]!);
  const built = buildModel(model, str(p, 'variant'), paramsFrom(model, p));
  const given = str(p, 'seed');
  if (given !== undefined && given === '') throw new McError('MC320', 'option --seed: the seed must not be empty');
  return {
    model,
    built,
    seed: given ?? freshSeed(),
    seedGiven: given !== undefined,
    fairness: oneOfFlag(p, 'fairness', ['none', 'weak', 'strong'] as const) ?? 'weak',
    liveness: !flag(p, 'no-liveness'),
    deadlock: flag(p, 'no-deadlock') ? false : null,
    timeLimit: num(p, 'time-limit', { min: 0 }) ?? Infinity,
    json: flag(p, 'json'),
  };
}

// ---- simulate -------------------------------------------------------------------------

export async function cmdSimulate(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, SIMULATE_FLAGS, 'simulate');
  const c = await common(p, 'simulate');
  const runs = num(p, 'runs', { integer: true, min: 1 }) ?? 1000;
  const depth = num(p, 'depth', { integer: true, min: 1 }) ?? 1000;
  const checksLiveness = c.liveness && c.built.hasProgress;
  if (!c.json)
    io.out(
      `simulating ${describeBuilt(c.built)} [seed ${c.seed}, ${count(runs, 'walk')} of up to ${count(depth, 'step')}, ${c.fairness} fairness${checksLiveness ? ', liveness' : ''}]\n`,
    );
  const line = statusLine(p, io);
  let r: SimulateResult;
  try {
    r = simulate(c.built, {
      seed: c.seed,
      runs,
      depth,
      deadlock: c.deadlock,
      liveness: c.liveness,
      fairness: c.fairness,
      timeLimit: c.timeLimit,
      onProgress: line ? (s) => line.update(`[mmcheck simulate] ${n(s.runs)} walks  ${n(s.steps)} steps  ${n(s.distinct)} distinct states  ${s.seconds.toFixed(0)} s`) : null,
    });
  } finally {
    line?.done();
  }
  const saved = r.violation ? saveTrace(p, io, c.model, r.runtime, r.violation, r.fairness) : null;
  const s = r.stats;
  if (c.json) {
    io.out(
      JSON.stringify({
        ...jsonHeader(c.built, 'simulate', r.seed, r.violation !== null),
        violation: r.violation ? { ...violationJson(r.violation, saved!.path), walk: r.walk, walkStep: r.walkStep } : null,
        stopped: r.stopped,
        stats: {
          runs: s.runs,
          steps: s.steps,
          distinctStates: s.distinct,
          distinctCapped: s.distinctCapped,
          longestWalk: s.longestWalk,
          endedWalks: s.ended,
          cycles: s.cycles,
          seconds: Number(s.seconds.toFixed(3)),
          stepsPerSecond: s.seconds > 0 ? Math.round(s.steps / s.seconds) : 0,
        },
        options: { runs, depth, fairness: r.fairness, liveness: r.livenessChecked, deadlock: c.deadlock ?? c.built.deadlock },
      }) + '\n',
    );
    return r.violation ? EXIT_VIOLATION : EXIT_NONE_FOUND;
  }
  const distinct = `${s.distinctCapped ? 'at least ' : ''}${n(s.distinct)} distinct states`;
  const cyc = r.livenessChecked
    ? `; ${count(s.cycles.candidates, 'cycle')} judged (${n(s.cycles.unfair)} unfair, ${n(s.cycles.progress)} with progress, ${n(s.cycles.finished)} with every progress thread finished)`
    : '';
  io.out(`${count(s.runs, 'walk')}, ${count(s.steps, 'step')}, ${distinct}, longest walk ${count(s.longestWalk, 'step')}, ${s.seconds.toFixed(2)} s${cyc}\n`);
  const again = againCommand('simulate', argv, c.seed, c.seedGiven);
  if (r.violation) {
    io.out(`violation in walk ${r.walk} (0-based) after ${count(r.walkStep!, 'step')}:\n`);
    printViolation(io, saved!.trace, saved!.path, again);
    return EXIT_VIOLATION;
  }
  const why = r.stopped === 'time-limit' ? ` (time limit reached after ${n(s.runs)} of ${count(runs, 'walk')})` : '';
  io.out(`no violation in ${count(s.runs, 'walk')}${why}\n`);
  io.out(`a simulation is not a proof: states no walk reached were not checked (run mmcheck check for a proof)\n`);
  io.out(`  again:  ${again}\n`);
  return EXIT_NONE_FOUND;
}

// ---- swarm ------------------------------------------------------------------------------

export async function cmdSwarm(argv: readonly string[], io: Io): Promise<number> {
  const p = parseArgs(argv, SWARM_FLAGS, 'check');
  for (const f of ['strategy', 'store', 'memory-limit'])
    if (flag(p, f)) throw new McError('MC321', `option --${f} is not used with --swarm (each worker is a depth-first search over its own fixed-size bitstate)`);
  const workers = num(p, 'swarm', { integer: true, min: 1 });
  if (workers === undefined) throw new McError('MC322', 'mmcheck check: --swarm N needs the number of workers');
  const c = await common(p, 'check');
  const jobs = num(p, 'swarm-jobs', { integer: true, min: 1 }) ?? availableParallelism();
  const depth = num(p, 'depth', { integer: true, min: 1 }) ?? 1000;
  const maxStates = num(p, 'max-states', { integer: true, min: 1 }) ?? Infinity;
  const bitstate = num(p, 'bitstate', { integer: true, min: 16 }) ?? 26;
  // Bit positions are masked as 32-bit integers, so 2^31 bits (256 MB) per worker at most.
  if (bitstate > 31) throw new McError('MC323', `option --bitstate: ${bitstate} is more than 31 (log2 of the bits per worker)`);
  const checksLiveness = c.liveness && c.built.hasProgress;
  if (!c.json)
    io.out(
      `swarm-checking ${describeBuilt(c.built)} [${count(workers, 'worker')}, ${n(Math.min(jobs, workers))} at a time, seed ${c.seed}, bitstate DFS, ${c.fairness} fairness${checksLiveness ? ', liveness' : ''}]\n`,
    );
  const line = statusLine(p, io);
  let done = 0;
  let r: SwarmResult;
  try {
    r = await swarm(
      { model: c.model.source ?? c.model.name, variant: c.built.variant, params: c.built.params },
      {
        workers,
        jobs,
        seed: c.seed,
        depth,
        maxBitstateLog2: bitstate,
        maxStates,
        deadlock: c.deadlock,
        liveness: c.liveness,
        fairness: c.fairness,
        timeLimit: c.timeLimit,
        onWorkerDone: line ? (w) => line.update(`[mmcheck swarm] ${++done}/${workers} workers done; worker ${w.index}: ${w.status}, ${n(w.states)} states`) : null,
      },
    );
  } finally {
    line?.done();
  }
  const saved = r.violation ? saveTrace(p, io, c.model, new Runtime(c.built), r.violation, r.fairness) : null;
  const win = r.winner !== null ? r.workers[r.winner]! : null;
  if (c.json) {
    io.out(
      JSON.stringify({
        ...jsonHeader(c.built, 'swarm', r.seed, r.violation !== null),
        violation: r.violation ? { ...violationJson(r.violation, saved!.path), worker: r.winner, expanded: win!.violation!.cost } : null,
        settled: r.settled,
        coverage: r.coverage,
        workers: r.workers.map((w) => ({
          index: w.index,
          seed: w.plan.seed,
          bitstateLog2: w.plan.bitstateLog2,
          hashes: w.plan.k,
          depthBound: w.plan.depthBound,
          status: w.status,
          states: w.states,
          expanded: w.expanded,
          transitions: w.transitions,
          maxDepth: w.maxDepth,
          depthCut: w.depthCut,
          cycles: w.cycles,
          bitstateFill: Number(w.bitstateFill.toFixed(6)),
          seconds: Number(w.seconds.toFixed(3)),
          violation: w.violation,
        })),
        stats: { workers, jobs, states: r.coverage.distinct, seconds: Number(r.seconds.toFixed(3)) },
        options: { fairness: checksLiveness ? c.fairness : null, liveness: checksLiveness, deadlock: c.deadlock ?? c.built.deadlock, depth, maxStates: Number.isFinite(maxStates) ? maxStates : null, bitstate },
      }) + '\n',
    );
    return r.violation ? EXIT_VIOLATION : EXIT_SWARM_NONE_FOUND;
  }
  io.out(workerTable(r) + '\n');
  const cov = r.coverage;
  const seen = `${cov.capped ? 'at least ' : ''}${n(cov.distinct)} distinct states seen by the swarm`;
  const est =
    cov.estimate === null
      ? 'too little overlap between workers to estimate the reachable state space'
      : cov.method === 'complete-search'
        ? `a worker completed its search: about ${n(cov.estimate)} reachable states (up to bitstate collisions), ${pct(cov.share!)} seen`
        : `reachable states estimated at ~${n(cov.estimate)} by capture-recapture (an estimate, usually low: the searches are not independent samples), ~${pct(cov.share!)} seen`;
  io.out(`${count(workers, 'worker')}, ${n(r.workers.reduce((a, w) => a + w.expanded, 0))} states expanded in all, ${r.seconds.toFixed(2)} s\n`);
  io.out(`coverage: ${seen}; ${est}\n`);
  if (!r.settled) io.out(`note: the time limit stopped workers before the swarm settled; a run with more time may report a different worker's violation\n`);
  const again = againCommand('check', argv, c.seed, c.seedGiven);
  if (r.violation) {
    io.out(`violation found by worker ${r.winner} after ${n(win!.violation!.cost)} expanded states (the fewest of any worker):\n`);
    printViolation(io, saved!.trace, saved!.path, again);
    return EXIT_VIOLATION;
  }
  io.out(`no violation found by ${count(workers, 'worker')}\n`);
  io.out(`a swarm is not a proof: each worker's bitstate skips states whose bits collide, and depth bounds cut searches (run mmcheck check without --swarm for a proof)\n`);
  io.out(`  again:  ${again}\n`);
  return EXIT_SWARM_NONE_FOUND;
}

const pct = (x: number) => `${(100 * x).toFixed(x >= 0.995 ? 0 : 1)}%`;

function workerTable(r: SwarmResult): string {
  const head = ['worker', 'bitstate', 'k', 'depth bound', 'status', 'states', 'expanded', 'depth', 'seconds'];
  const rows = r.workers.map((w) => [
    String(w.index),
    `2^${w.plan.bitstateLog2}`,
    String(w.plan.k),
    n(w.plan.depthBound),
    w.status === 'violation' ? `${w.violation!.kind}` : w.status,
    n(w.states),
    n(w.expanded),
    n(w.maxDepth),
    w.seconds.toFixed(2),
  ]);
  const width = head.map((h, i) => Math.max(h.length, ...rows.map((x) => x[i]!.length)));
  const left = new Set([1, 4]);
  const fmt = (cells: string[]) => cells.map((x, i) => (left.has(i) ? x.padEnd(width[i]!) : x.padStart(width[i]!))).join('  ').trimEnd();
  return [fmt(head), width.map((x) => '-'.repeat(x)).join('  '), ...rows.map(fmt)].join('\n');
}
