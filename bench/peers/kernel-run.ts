/**
 * Shared by kernel-selfcheck.ts and bench/reduction.ts: run mmcheck as a
 * child process (`node bin/mmcheck.js check ... --json --no-trace`), and
 * check a kernel port against it (SPIN and Rumur with no reduction must
 * report exactly mmcheck's states and transitions; Rumur's exhaustive
 * symmetry reduction exactly mmcheck's --symmetry counts).
 */
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { kernelPromela } from './kernel-promela.ts';
import { kernelMurphi } from './kernel-murphi.ts';
import { coherentLongtermPin, gpusvmEvict, intervalNotifier, migrationEntryWait, type KernelModel } from './kernel-ir.ts';
import { havePeer, runRumur, runSpin, type PeerResult } from './run.ts';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const CLI = join(ROOT, 'bin', 'mmcheck.js');

export interface MmcheckJson {
  model: string;
  variant: string | null;
  params: Record<string, unknown>;
  verdict: 'pass' | 'violation' | 'incomplete';
  violation: { kind: string; property: string } | null;
  stats: { states: number; transitions: number; depth: number; seconds: number; bytesPerState: number; bitsPerState: number; peakRssMB: number };
  reduction?: { porSafeLabels?: number; porNotes?: string[]; symmetry?: string; permutations?: number; store?: { mode: string; expectedMissed: number; bytesPerState: number } };
  options: Record<string, unknown>;
  crossCheck?: { agree: boolean; summary: string; unreduced: { states: number; transitions: number; verdict: string }; ratio: number };
}

export type MmcheckOutcome = { ok: true; json: MmcheckJson } | { ok: false; exitCode: number | null; message: string };

/** Command-line arguments of `mmcheck check` for a model, variant and parameters. */
export function checkArgs(model: string, variant: string | null, params: Record<string, string | number>, flags: readonly string[]): string[] {
  const args = ['check', model];
  if (variant !== null) args.push('--variant', variant);
  for (const [k, v] of Object.entries(params)) args.push('--param', `${k}=${v}`);
  return [...args, '--json', '--no-trace', '--no-progress', ...flags];
}

/**
 * Run `node bin/mmcheck.js check ...` in a child process. A JSON answer is
 * `ok` (whatever the verdict); an error (exit 2, e.g. a refused reduction)
 * comes back with the first line of mmcheck's message.
 */
export function runMmcheck(args: readonly string[], timeoutSeconds = 3600): Promise<MmcheckOutcome> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutSeconds * 1000);
    child.on('close', (code) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      try {
        const json = JSON.parse(line) as MmcheckJson & { error?: { code: string; message: string } };
        // With --json a coded error (a refused reduction among them) is one object on stdout too.
        if (json.error) resolve({ ok: false, exitCode: code, message: `${json.error.code} ${json.error.message}` });
        else resolve({ ok: true, json });
      } catch {
        const msg = (err.trim() || out.trim()).split('\n').find((l) => /error|MC\d+/.test(l)) ?? (err.trim() || out.trim()).split('\n')[0] ?? '';
        resolve({ ok: false, exitCode: code, message: msg.replace(/^mmcheck: /, '').trim() || `exit ${code}` });
      }
    });
  });
}

// ---------------------------------------------------------------------------
// Port cases

export interface PortCase {
  /** mmcheck model name. */
  model: 'migration-entry-wait' | 'interval-notifier' | 'gpusvm-evict' | 'coherent-longterm-pin';
  ir: KernelModel;
}

export const mewCase = (variant: string, params: Parameters<typeof migrationEntryWait>[1]): PortCase => ({ model: 'migration-entry-wait', ir: migrationEntryWait(variant, params) });
export const inCase = (variant: string, params: Parameters<typeof intervalNotifier>[1]): PortCase => ({ model: 'interval-notifier', ir: intervalNotifier(variant, params) });
export const clpCase = (variant: string, params: Parameters<typeof coherentLongtermPin>[1]): PortCase => ({ model: 'coherent-longterm-pin', ir: coherentLongtermPin(variant, params) });
export const geCase = (variant: string, params: Parameters<typeof gpusvmEvict>[1]): PortCase => ({ model: 'gpusvm-evict', ir: gpusvmEvict(variant, params) });

/** The benchmarked instances: 3+ replicated faulters, and interval-notifier with two invalidators. */
export const DEFAULT_PORT_CASES: PortCase[] = [
  mewCase('wait-on-locked', { faulters: 3 }),
  mewCase('wait-on-locked', { faulters: 4 }),
  mewCase('put-and-wait', { faulters: 3 }),
  mewCase('put-and-wait', { faulters: 4 }),
  inCase('correct', { invalidators: 2 }),
  inCase('correct', { invalidators: 2, notifiers: 2, freeAt: 'afterEnd' }),
];

export const caseName = (c: PortCase) => c.ir.title;

export interface PortCheckRow {
  case: string;
  tool: 'spin dfs' | 'spin bfs' | 'rumur' | 'rumur symmetry';
  /** What the peer must equal: mmcheck unreduced, or mmcheck --symmetry. */
  against: 'mmcheck' | 'mmcheck --symmetry';
  expectedStates: number;
  expectedTransitions: number;
  expectedVerdict: string;
  states: number | null;
  transitions: number | null;
  errors: number | null;
  ok: boolean;
  note: string;
  peer?: PeerResult;
}

const verdictOf = (j: MmcheckJson) => (j.violation ? `${j.violation.kind}:${j.violation.property}` : j.verdict);

/**
 * Check one port. For a pass verdict the counts must be equal; for a
 * violation (the search stops at the first error, in a tool-specific order)
 * only that the peer also reports an error.
 */
export async function checkPort(c: PortCase, tools: { spin: boolean; rumur: boolean }): Promise<PortCheckRow[]> {
  const rows: PortCheckRow[] = [];
  const name = caseName(c);
  const args = (flags: string[]) => checkArgs(c.model, c.ir.variant, c.ir.params, ['--no-liveness', ...flags]);
  const full = await runMmcheck(args([]));
  if (!full.ok) throw new Error(`${name}: mmcheck failed: ${full.message}`);
  const sym = c.ir.groups.some((g) => g.replicated && g.count >= 2) ? await runMmcheck(args(['--symmetry'])) : null;
  const push = (tool: PortCheckRow['tool'], ref: MmcheckJson, against: PortCheckRow['against'], r: PeerResult | Error) => {
    const pass = ref.verdict === 'pass';
    const base = { case: name, tool, against, expectedStates: ref.stats.states, expectedTransitions: ref.stats.transitions, expectedVerdict: verdictOf(ref) };
    if (r instanceof Error) {
      rows.push({ ...base, states: null, transitions: null, errors: null, ok: false, note: r.message.split('\n')[0]! });
      return;
    }
    const states = r.modelStates ?? r.states;
    const transitions = r.modelTransitions ?? r.transitions;
    const ok = pass ? states === ref.stats.states && transitions === ref.stats.transitions && r.errors === 0 : r.errors > 0;
    rows.push({ ...base, states, transitions, errors: r.errors, ok, note: pass ? '' : 'violation: only checks that the peer finds an error too', peer: r });
  };
  const attempt = async (f: () => Promise<PeerResult>) => {
    try {
      return await f();
    } catch (e) {
      return e instanceof Error ? e : new Error(String(e));
    }
  };
  if (tools.spin) {
    const src = kernelPromela(c.ir);
    push('spin dfs', full.json, 'mmcheck', await attempt(() => runSpin(src, { bfs: false, por: false, hashBits: 20 })));
    push('spin bfs', full.json, 'mmcheck', await attempt(() => runSpin(src, { bfs: true, por: false, hashBits: 20 })));
  }
  if (tools.rumur) {
    const src = kernelMurphi(c.ir);
    push('rumur', full.json, 'mmcheck', await attempt(() => runRumur(src, { threads: 1, symmetry: 'off', deadlock: false })));
    if (sym) {
      // A model whose symmetry mmcheck refuses (MC313: gpusvm-evict's invariant names each C replica) has no reduced count to compare.
      if (!sym.ok && /^MC313\b/.test(sym.message)) return rows;
      if (!sym.ok) rows.push({ case: name, tool: 'rumur symmetry', against: 'mmcheck --symmetry', expectedStates: 0, expectedTransitions: 0, expectedVerdict: '-', states: null, transitions: null, errors: null, ok: false, note: `mmcheck --symmetry: ${sym.message}` });
      else push('rumur symmetry', sym.json, 'mmcheck --symmetry', await attempt(() => runRumur(src, { threads: 1, symmetry: 'exhaustive', deadlock: false })));
    }
  }
  return rows;
}

export function peersAvailable(): { spin: boolean; rumur: boolean } {
  return { spin: havePeer('spin'), rumur: havePeer('rumur') };
}
