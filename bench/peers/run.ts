/**
 * Compile and run the peer model checkers (SPIN, Rumur) on a model source and
 * parse their statistics. Every run works in a fresh directory under
 * os.tmpdir(), removed afterwards.
 *
 * Timing fields:
 * - compileSeconds: model -> C generation (`spin -a` / `rumur`) plus the C compile.
 * - wallSeconds: wall-clock time of the verifier process (pan / the Rumur binary).
 * - searchSeconds: SPIN's own "pan: elapsed time" (search only); for Rumur,
 *   whose report has whole-second resolution, the verifier's wall-clock time.
 * - peakMB: the verifier's peak resident set size, from GNU `/usr/bin/time -v`
 *   when present, else sampled from /proc/<pid>/status (VmHWM); null if neither works.
 */
import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants as fsConstants, readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { arch, totalmem, tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

export type PeerTool = 'spin' | 'rumur';

export interface PeerResult {
  tool: PeerTool;
  /** Human-readable summary of the flags used, e.g. "dfs -DSAFETY -DNOREDUCE -w24". */
  config: string;
  /** Raw state count reported by the tool (SPIN: "states, stored"; Rumur: "states"). */
  states: number;
  /** Raw transition count (SPIN: "transitions (= stored+matched)"; Rumur: "rules fired"). */
  transitions: number;
  /** States of the model itself: SPIN's stored (nominal under BFS) minus init's states. */
  modelStates?: number;
  /** Transitions of the model itself (see README.md for the SPIN formula). */
  modelTransitions?: number;
  searchSeconds: number;
  wallSeconds: number;
  compileSeconds: number;
  peakMB: number | null;
  errors: number;
  /** The verifier's stdout (tail, at most OUTPUT_LIMIT characters). */
  output: string;
  /** SPIN only: "depth reached". */
  depthReached?: number;
  /** SPIN only: pan's own "total actual memory usage" in MB. */
  toolMemoryMB?: number;
}

export interface SpinOptions {
  /** Breadth-first search (-DBFS). Default false (DFS). */
  bfs?: boolean;
  /** Partial-order reduction. Default false, i.e. compile with -DNOREDUCE. */
  por?: boolean;
  /** Report invalid end states (deadlocks). Default true; false passes -E. */
  deadlock?: boolean;
  /** -DMEMLIM in MB. Default: 80% of physical memory. */
  memMB?: number;
  /** pan -w hash table size exponent. Default 24 (pan's own default; 128 MB of slots). */
  hashBits?: number;
  extraCFlags?: string[];
  /** Options of `spin -a` itself, e.g. ['-o1'] (no dataflow optimisation: no dead-variable resets), ['-o3'] (no statement merging). */
  spinFlags?: string[];
  /**
   * Stored states that belong to `init` before the model's initial state.
   * Default 1: our generated models start all processes in one `atomic`.
   */
  initStates?: number;
  /** pan -m. Default 1,000,000 (DFS); raised ×10 (at most twice) if pan reports it too small. */
  maxDepth?: number;
  /** Deadline for the whole run (generation, compile, search). Default 3600. */
  timeoutSeconds?: number;
  /**
   * Search for acceptance cycles of the source's never claim (no -DSAFETY;
   * `pan -a`, with `-f` for SPIN's weak fairness) instead of a safety search.
   */
  acceptance?: { weakFairness: boolean };
}

export interface RumurOptions {
  /** Verifier threads. Default 1. */
  threads?: number;
  /** Passed as --symmetry-reduction when given; only matters for models with scalarsets. */
  symmetry?: 'off' | 'exhaustive' | 'heuristic';
  /** Default true (--deadlock-detection stuck, SPIN's notion); false passes off. */
  deadlock?: boolean;
  timeoutSeconds?: number;
  /** C flags after the default -O3 (e.g. ['-O0'] for small models, where compiling is the main cost). */
  extraCFlags?: string[];
}

const OUTPUT_LIMIT = 1 << 20;
const STDERR_TAIL = 4000;
const DEFAULT_TIMEOUT_SECONDS = 3600;

// ---------------------------------------------------------------------------
// Tool discovery

function findExecutable(name: string): string | null {
  const dirs = (process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(delimiter);
  for (const dir of dirs) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  return null;
}

/** True when the peer and the C compiler it needs are on PATH. */
export function havePeer(tool: PeerTool): boolean {
  return findExecutable(tool) !== null && findExecutable('gcc') !== null;
}

let gnuTimeCache: string | null | undefined;

/** Path of GNU time (supports -v -o), or null. */
function gnuTime(): string | null {
  if (gnuTimeCache !== undefined) return gnuTimeCache;
  gnuTimeCache = null;
  for (const candidate of ['/usr/bin/time', findExecutable('time')]) {
    if (!candidate) continue;
    const probe = spawnSync(candidate, ['--version'], { encoding: 'utf8' });
    if (probe.status === 0 && /GNU/i.test(`${probe.stdout}${probe.stderr}`)) {
      gnuTimeCache = candidate;
      break;
    }
  }
  return gnuTimeCache;
}

// ---------------------------------------------------------------------------
// Process execution

interface ExecResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  wallSeconds: number;
  peakMB: number | null;
}

class Deadline {
  private readonly end: number;
  constructor(readonly seconds: number) {
    this.end = Date.now() + seconds * 1000;
  }
  remainingMs(): number {
    return Math.max(0, this.end - Date.now());
  }
}

function tail(text: string, max: number): string {
  return text.length <= max ? text : `…${text.slice(text.length - max)}`;
}

function quoteCommand(cmd: string, args: readonly string[]): string {
  return [cmd, ...args].map((a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`)).join(' ');
}

function peerError(tool: PeerTool, what: string, cmd: string, args: readonly string[], stderr: string): Error {
  const tailText = stderr.trim() ? `\n--- stderr (tail) ---\n${tail(stderr.trim(), STDERR_TAIL)}` : '';
  return new Error(`${tool}: ${what}: ${quoteCommand(cmd, args)}${tailText}`);
}

function readVmHWM(pid: number): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/**
 * Run a command in its own process group; kill the group when the deadline
 * passes. With `measure`, record the peak RSS of the command.
 */
async function exec(
  tool: PeerTool,
  cmd: string,
  args: string[],
  cwd: string,
  deadline: Deadline,
  measure = false,
): Promise<ExecResult> {
  const timeFile = join(cwd, '.peak-rss');
  const timeBin = measure ? gnuTime() : null;
  const [realCmd, realArgs] = timeBin ? [timeBin, ['-v', '-o', timeFile, cmd, ...args]] : [cmd, args];

  const started = process.hrtime.bigint();
  const result = await new Promise<ExecResult & { timedOut: boolean; spawnError?: Error }>((resolve) => {
    const child = spawn(realCmd, realArgs, { cwd, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    let sampledPeak: number | null = null;
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      stdout = tail(stdout + d, OUTPUT_LIMIT);
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = tail(stderr + d, OUTPUT_LIMIT);
    });
    const sample = (): void => {
      if (child.pid === undefined) return;
      const hwm = readVmHWM(child.pid);
      if (hwm !== null) sampledPeak = Math.max(sampledPeak ?? 0, hwm);
    };
    const sampler = measure && !timeBin ? setInterval(sample, 50) : undefined;
    const timer = setTimeout(() => {
      timedOut = true;
      if (child.pid !== undefined) {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
    }, deadline.remainingMs());
    const finish = (code: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      clearTimeout(timer);
      if (sampler) clearInterval(sampler);
      const wallSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      resolve({ code, signal, stdout, stderr, wallSeconds, peakMB: sampledPeak, timedOut, spawnError });
    };
    child.on('error', (err) => finish(null, null, err));
    child.on('close', (code, signal) => finish(code, signal));
  });

  if (result.spawnError) {
    throw peerError(tool, `cannot start (${result.spawnError.message})`, cmd, args, result.stderr);
  }
  if (result.timedOut) {
    throw peerError(tool, `timed out after ${deadline.seconds} s`, cmd, args, result.stderr);
  }
  let peakMB = result.peakMB;
  if (timeBin) {
    try {
      const report = await readFile(timeFile, 'utf8');
      const m = /Maximum resident set size \(kbytes\):\s*(\d+)/.exec(report);
      peakMB = m ? Number(m[1]) / 1024 : null;
    } catch {
      peakMB = null;
    }
  }
  return { code: result.code, signal: result.signal, stdout: result.stdout, stderr: result.stderr, wallSeconds: result.wallSeconds, peakMB };
}

/** exec() that rejects on a non-zero exit status. */
async function execOk(tool: PeerTool, cmd: string, args: string[], cwd: string, deadline: Deadline): Promise<ExecResult> {
  const r = await exec(tool, cmd, args, cwd, deadline);
  if (r.code !== 0) {
    const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
    throw peerError(tool, `command failed (${how})`, cmd, args, r.stderr || r.stdout);
  }
  return r;
}

async function withTempDir<T>(prefix: string, body: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  try {
    return await body(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

function requireTools(tool: PeerTool, names: string[]): Record<string, string> {
  const found: Record<string, string> = {};
  for (const name of names) {
    const path = findExecutable(name);
    if (!path) throw new Error(`${tool}: required executable '${name}' not found on PATH`);
    found[name] = path;
  }
  return found;
}

function intMatch(text: string, re: RegExp): number | undefined {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
}

// ---------------------------------------------------------------------------
// SPIN

interface PanStats {
  stored: number;
  /** BFS only: stored minus the intermediate states of atomic sequences. */
  nominal?: number;
  matched: number;
  transitions: number;
  errors: number;
  depthReached?: number;
  elapsed?: number;
  totalMemoryMB?: number;
  depthTooSmall: boolean;
  outOfMemory: boolean;
  /** pan prints counts with %9.8g: above 99,999,999 they come out rounded (1.2345679e+08). */
  rounded: boolean;
}

const PAN_NUMBER = String.raw`(\d+(?:\.\d+)?(?:e[+-]?\d+)?)`;

function panCount(out: string, label: string): { value: number; rounded: boolean } | undefined {
  const m = new RegExp(String.raw`^\s*${PAN_NUMBER} ${label}`, 'm').exec(out);
  return m ? { value: Number(m[1]), rounded: /e/.test(m[1]!) } : undefined;
}

function parsePan(out: string): PanStats | null {
  const stored = panCount(out, 'states, stored');
  const matched = panCount(out, 'states, matched');
  const transitions = panCount(out, String.raw`transitions \(= (?:stored|visited)\+matched\)`);
  const atomic = panCount(out, 'atomic steps');
  const errors = intMatch(out, /errors: (\d+)/);
  if (!stored || !matched || !transitions || errors === undefined) return null;
  const elapsed = /pan: elapsed time ([\d.eE+-]+) seconds/.exec(out);
  const mem = /^\s*([\d.]+)\s+total actual memory usage/m.exec(out);
  // Under BFS the intermediate states of atomic sequences are stored too, and pan
  // reports "N nominal states (stored-atomic)" -- but with %8g, i.e. only six
  // significant digits, so recompute it from the exact "atomic steps" count.
  const bfsNominal = /nominal states \(stored-atomic\)/.test(out);
  return {
    stored: stored.value,
    nominal: bfsNominal ? stored.value - (atomic?.value ?? 0) : undefined,
    matched: matched.value,
    transitions: transitions.value,
    errors,
    depthReached: intMatch(out, /depth reached (\d+)/),
    elapsed: elapsed ? Number(elapsed[1]) : undefined,
    totalMemoryMB: mem ? Number(mem[1]) : undefined,
    depthTooSmall: /max search depth too small/.test(out),
    outOfMemory: /reached -DMEMLIM bound|pan: out of memory/.test(out),
    rounded: [stored, matched, transitions, atomic].some((c) => c?.rounded),
  };
}

export async function runSpin(source: string, opts: SpinOptions = {}): Promise<PeerResult> {
  const tools = requireTools('spin', ['spin', 'gcc']);
  const deadline = new Deadline(opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  const memMB = opts.memMB ?? Math.floor((totalmem() * 0.8) / 2 ** 20);
  const hashBits = opts.hashBits ?? 24;
  const initStates = opts.initStates ?? 1;
  const deadlock = opts.deadlock ?? true;

  const cflags = opts.acceptance ? ['-O2'] : ['-O2', '-DSAFETY'];
  if (!opts.por) cflags.push('-DNOREDUCE');
  if (opts.bfs) cflags.push('-DBFS');
  cflags.push(`-DMEMLIM=${memMB}`, ...(opts.extraCFlags ?? []));

  return withTempDir('mmcheck-spin-', async (dir) => {
    await writeFile(join(dir, 'model.pml'), source);
    const compileStart = process.hrtime.bigint();
    await execOk('spin', tools.spin!, [...(opts.spinFlags ?? []), '-a', 'model.pml'], dir, deadline);
    // -w: pan.c triggers harmless -Wstringop-overflow noise around its Index() bounds checks.
    await execOk('spin', tools.gcc!, [...cflags, '-w', '-o', 'pan', 'pan.c'], dir, deadline);
    const compileSeconds = Number(process.hrtime.bigint() - compileStart) / 1e9;

    let maxDepth = opts.maxDepth ?? 1_000_000;
    const notes: string[] = [];
    for (let attempt = 0; ; attempt++) {
      const args = [`-m${maxDepth}`, `-w${hashBits}`, '-n'];
      if (!deadlock) args.push('-E');
      if (opts.acceptance) args.push('-a', ...(opts.acceptance.weakFairness ? ['-f'] : []));
      const r = await exec('spin', './pan', args, dir, deadline, true);
      const stats = parsePan(r.stdout);
      if (stats?.outOfMemory) {
        throw peerError('spin', `pan ran out of memory (-DMEMLIM=${memMB})`, './pan', args, `${r.stdout}\n${r.stderr}`);
      }
      if (r.code !== 0 || !stats) {
        const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
        throw peerError('spin', `pan failed or printed no statistics (${how})`, './pan', args, `${r.stdout}\n${r.stderr}`);
      }
      if (stats.depthTooSmall) {
        if (attempt < 2) {
          notes.push(`[mmcheck] pan -m${maxDepth} too small; rerunning with -m${maxDepth * 10}`);
          maxDepth *= 10;
          continue;
        }
        throw peerError('spin', `max search depth too small even with -m${maxDepth}`, './pan', args, r.stdout);
      }
      if (stats.rounded) notes.push('[mmcheck] pan printed rounded counts (%9.8g); state/transition numbers are approximate');
      const effectiveStored = stats.nominal ?? stats.stored;
      const config = [
        opts.bfs ? 'bfs' : 'dfs',
        ...(opts.spinFlags ?? []),
        ...cflags.filter((f) => f !== '-O2'),
        `-m${maxDepth}`,
        `-w${hashBits}`,
        ...(deadlock ? [] : ['-E']),
        ...(opts.acceptance ? ['-a', ...(opts.acceptance.weakFairness ? ['-f'] : [])] : []),
      ].join(' ');
      return {
        tool: 'spin',
        config,
        states: stats.stored,
        transitions: stats.transitions,
        modelStates: effectiveStored - initStates,
        // stored+matched counts the root state once plus one per fired transition;
        // init fires initStates transitions before the model's initial state.
        modelTransitions: effectiveStored + stats.matched - initStates - 1,
        searchSeconds: stats.elapsed ?? r.wallSeconds,
        wallSeconds: r.wallSeconds,
        compileSeconds,
        peakMB: r.peakMB,
        errors: stats.errors,
        output: [...notes, r.stdout].join('\n'),
        depthReached: stats.depthReached,
        toolMemoryMB: stats.totalMemoryMB,
      } satisfies PeerResult;
    }
  });
}

// ---------------------------------------------------------------------------
// Rumur

export async function runRumur(source: string, opts: RumurOptions = {}): Promise<PeerResult> {
  const tools = requireTools('rumur', ['rumur', 'gcc']);
  const deadline = new Deadline(opts.timeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS);
  const threads = opts.threads ?? 1;
  const deadlock = opts.deadlock ?? true;

  const modelArgs = ['--threads', String(threads)];
  if (opts.symmetry) modelArgs.push('--symmetry-reduction', opts.symmetry);
  modelArgs.push('--deadlock-detection', deadlock ? 'stuck' : 'off');
  const rumurArgs = [...modelArgs, '--colour', 'off'];
  // Rumur's multi-threaded seen set uses 16-byte compare-and-swap (cmpxchg16b on x86-64).
  const cflags = ['-O3', ...(arch() === 'x64' ? ['-mcx16'] : []), ...(opts.extraCFlags ?? [])];

  return withTempDir('mmcheck-rumur-', async (dir) => {
    await writeFile(join(dir, 'model.m'), source);
    const compileStart = process.hrtime.bigint();
    await execOk('rumur', tools.rumur!, [...rumurArgs, '--output', 'model.c', 'model.m'], dir, deadline);
    await execOk('rumur', tools.gcc!, [...cflags, '-w', '-o', 'model', 'model.c', '-lpthread'], dir, deadline);
    const compileSeconds = Number(process.hrtime.bigint() - compileStart) / 1e9;

    const r = await exec('rumur', './model', [], dir, deadline, true);
    const summary = /^\s*(\d+) states, (\d+) rules fired in (\d+)s/m.exec(r.stdout);
    const errors = /No error found/.test(r.stdout) ? 0 : intMatch(r.stdout, /(\d+) error\(s\) found/);
    // The verifier exits 1 when it found errors; anything else unexpected is a failure.
    if (!summary || errors === undefined || (r.code !== 0 && !(r.code === 1 && errors > 0))) {
      const how = r.signal ? `killed by ${r.signal}` : `exit status ${r.code}`;
      throw peerError('rumur', `verifier failed or printed no summary (${how})`, './model', [], `${r.stdout}\n${r.stderr}`);
    }
    const states = Number(summary[1]);
    const transitions = Number(summary[2]);
    return {
      tool: 'rumur',
      config: [...modelArgs, ...cflags].join(' '),
      states,
      transitions,
      modelStates: states,
      modelTransitions: transitions,
      searchSeconds: r.wallSeconds,
      wallSeconds: r.wallSeconds,
      compileSeconds,
      peakMB: r.peakMB,
      errors,
      output: r.stdout,
    } satisfies PeerResult;
  });
}
