/**
 * State-space reduction benchmark: mmcheck's partial-order reduction (POR)
 * and symmetry reduction, beside SPIN's POR and Rumur's symmetry reduction
 * on ports of the same models.
 *
 *   node --import=tsx bench/reduction.ts [--quick] [--no-peers] [--jobs N]
 *
 * Matrix: models × {none, por, symmetry, por+symmetry} × {exact, hash-compact},
 * every mmcheck run a child process (`node bin/mmcheck.js check ... --json
 * --no-trace --no-liveness`). Models: peterson(4), dining(8) (deadlock off:
 * it deadlocks by design), migration-entry-wait at 3 and 4 replicated
 * faulters, interval-notifier with 2 invalidators, and whatever other kernel
 * models models/index.ts holds at run time (gpusvm-evict,
 * coherent-longterm-pin, device-exclusive: per variant, the pass instance
 * of its expectations with the most states). A combination mmcheck refuses
 * (e.g. --symmetry on dining) is a row "refused: <message>".
 *
 * Two phases:
 *  1. count-only jobs, in parallel under p-limit(os.cpus().length): every
 *     mmcheck cell (reduced ones with --cross-check against the unreduced
 *     search), and the port self-check (SPIN / Rumur counts with no
 *     reduction equal to mmcheck's; Rumur --symmetry-reduction exhaustive
 *     equal to mmcheck --symmetry);
 *  2. timed jobs, one at a time: every mmcheck cell again (seconds and
 *     bytes/state come from this run; its counts must equal phase 1's), then
 *     SPIN with and without POR (no -DNOREDUCE / -DNOREDUCE, DFS) and Rumur
 *     with and without --symmetry-reduction exhaustive, where installed.
 *
 * Per row: states, transitions, seconds, bytes/state and reduction ratio
 * (the same tool's unreduced states / states).
 *
 * Livelock rows (timed, one at a time, after phase 2): kernel models with
 * progress labels at 4, 6, 8 and more faulters, checked with livelock
 * checking (weak fairness) unreduced and with --symmetry: verdict, states,
 * transitions, seconds and the lasso's length. The unreduced search is run
 * up to UNREDUCED_LIVELOCK_MAX faulters (put-and-wait at 8 is ten million
 * states); larger instances have only the symmetric row. Written to bench/results/
 * reduction.{json,md,svg} (reduction-quick.* with --quick). Exit status 1
 * when a cross-check disagrees, a port's counts differ, or a rerun's counts
 * differ from the first.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pLimit from 'p-limit';
import { buildModel, expectationsOf, type Model } from '../src/index.ts';
import { builtinModels } from '../models/index.ts';
import { diningPromela, petersonPromela } from './peers/promela.ts';
import { diningMurphi, petersonMurphi } from './peers/murphi.ts';
import { kernelPromela } from './peers/kernel-promela.ts';
import { kernelMurphi } from './peers/kernel-murphi.ts';
import { havePeer, runRumur, runSpin, type PeerResult } from './peers/run.ts';
import { checkArgs, inCase, mewCase, ROOT, runMmcheck, type MmcheckJson, type PortCase } from './peers/kernel-run.ts';
import { kernelSelfcheck, selfcheckTable } from './peers/kernel-selfcheck.ts';
import type { PortCheckRow } from './peers/kernel-run.ts';

// ---------------------------------------------------------------------------
// Options

const argv = process.argv.slice(2);
const QUICK = argv.includes('--quick');
const PEERS = !argv.includes('--no-peers');
const jobsArg = argv.indexOf('--jobs');
const JOBS = jobsArg >= 0 ? Number(argv[jobsArg + 1]) : cpus().length;
const TIME_LIMIT = 600;
const log = (s: string) => process.stderr.write(s + '\n');

// ---------------------------------------------------------------------------
// Instances

type Params = Record<string, string | number>;

interface Instance {
  /** Short label used in tables and the chart. */
  id: string;
  model: string;
  variant: string | null;
  params: Params;
  /** Extra mmcheck flags (e.g. --no-deadlock). */
  flags: string[];
  kind: 'classic' | 'kernel';
  /** Size of the largest replicated thread group (for the ≥3 target). */
  replicas: number | null;
  peers: PeerSources | null;
}

interface PeerSources {
  promela: string | null;
  murphi: string | null;
  /** Why there is no scalarset (symmetric) Murphi port, when there is none. */
  murphiSymmetryNote: string | null;
  deadlock: boolean;
  port: PortCase | null;
}

function kernelInstance(c: PortCase, id: string): Instance {
  const replicas = Math.max(0, ...c.ir.groups.filter((g) => g.replicated).map((g) => g.count));
  return {
    id,
    model: c.model,
    variant: c.ir.variant,
    params: c.ir.params,
    flags: [],
    kind: 'kernel',
    replicas,
    peers: { promela: kernelPromela(c.ir), murphi: kernelMurphi(c.ir), murphiSymmetryNote: null, deadlock: true, port: c },
  };
}

function fixedInstances(): Instance[] {
  const pn = QUICK ? 3 : 4;
  const dn = QUICK ? 5 : 8;
  const classic: Instance[] = [
    {
      id: `peterson(${pn})`,
      model: 'peterson',
      variant: null,
      params: { n: pn },
      flags: [],
      kind: 'classic',
      replicas: pn,
      peers: { promela: petersonPromela(pn), murphi: petersonMurphi(pn), murphiSymmetryNote: symmetryNote(() => petersonMurphi(pn, { symmetry: true })), deadlock: true, port: null },
    },
    {
      id: `dining(${dn})`,
      model: 'dining',
      variant: null,
      params: { n: dn },
      flags: ['--no-deadlock'],
      kind: 'classic',
      replicas: dn,
      peers: { promela: diningPromela(dn), murphi: diningMurphi(dn), murphiSymmetryNote: symmetryNote(() => diningMurphi(dn, { symmetry: true })), deadlock: false, port: null },
    },
  ];
  const kernel: [PortCase, string][] = QUICK
    ? [
        [mewCase('wait-on-locked', { faulters: 3 }), 'mew wait-on-locked f=3'],
        [mewCase('put-and-wait', { faulters: 3 }), 'mew put-and-wait f=3'],
        [inCase('correct', { invalidators: 2 }), 'in correct i=2'],
      ]
    : [
        [mewCase('wait-on-locked', { faulters: 3 }), 'mew wait-on-locked f=3'],
        [mewCase('wait-on-locked', { faulters: 4 }), 'mew wait-on-locked f=4'],
        [mewCase('wait-on-locked', { faulters: 4, holder: 1 }), 'mew wait-on-locked f=4 h=1'],
        [mewCase('put-and-wait', { faulters: 3 }), 'mew put-and-wait f=3'],
        [mewCase('put-and-wait', { faulters: 4 }), 'mew put-and-wait f=4'],
        [mewCase('put-and-wait', { faulters: 4, holder: 1 }), 'mew put-and-wait f=4 h=1'],
        [mewCase('ref-while-waiting', { faulters: 4 }), 'mew ref-while-waiting f=4'],
        [mewCase('fault-get-page', { faulters: 4 }), 'mew fault-get-page f=4'],
        [mewCase('skip-refcount-check', { faulters: 4, holder: 0 }), 'mew skip-refcount-check f=4 h=0'],
        [inCase('correct', { invalidators: 2 }), 'in correct i=2'],
        [inCase('correct', { invalidators: 2, notifiers: 2, freeAt: 'afterEnd' }), 'in correct i=2 n=2 afterEnd'],
        [inCase('correct', { invalidators: 4 }), 'in correct i=4'],
      ];
  return [...classic, ...kernel.map(([c, id]) => kernelInstance(c, id))];
}

function symmetryNote(f: () => string): string | null {
  try {
    f();
    return null;
  } catch (e) {
    return e instanceof Error ? e.message : String(e);
  }
}

const PORTED = new Set(['migration-entry-wait', 'interval-notifier']);
const short = (name: string) => name.replace(/-/g, ' ').split(' ').map((w) => w[0]).join('');

/**
 * Kernel models other than the ported ones, as they are in models/index.ts
 * now: per variant, the pass expectations (run with --no-liveness); the
 * caller keeps the one with the most states.
 */
function runtimeCandidates(): { model: Model; variant: string | null; params: Params; flags: string[] }[] {
  const out: { model: Model; variant: string | null; params: Params; flags: string[] }[] = [];
  for (const m of builtinModels) {
    if (m.def.category !== 'kernel' || PORTED.has(m.name)) continue;
    const variants = m.variantNames.length ? m.variantNames : [null];
    for (const v of variants) {
      const seen = new Set<string>();
      for (const e of expectationsOf(m, v)) {
        if (e.verdict !== 'pass') continue;
        const key = JSON.stringify(e.params ?? {});
        if (seen.has(key)) continue;
        seen.add(key);
        out.push({ model: m, variant: v, params: { ...(e.params ?? {}) } as Params, flags: e.deadlock === false ? ['--no-deadlock'] : [] });
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------
// mmcheck cells

const METHODS = ['none', 'por', 'symmetry', 'por+symmetry'] as const;
const STORES = ['exact', 'hash-compact'] as const;
type Method = (typeof METHODS)[number];
type StoreMode = (typeof STORES)[number];

interface Cell {
  instance: string;
  model: string;
  variant: string | null;
  params: Params;
  method: Method;
  store: StoreMode;
  command: string;
  status: 'ok' | 'refused' | 'error' | 'incomplete';
  message: string | null;
  verdict: string | null;
  states: number | null;
  transitions: number | null;
  seconds: number | null;
  bytesPerState: number | null;
  /** Unreduced states (none, exact) / states. */
  ratio: number | null;
  /** hash-compact: bytes per state that stay for the whole run (fingerprint, parent, table share). */
  residentBytesPerState: number | null;
  porSafeLabels: number | null;
  porNotes: string[];
  symmetry: string | null;
  crossCheck: { agree: boolean; summary: string } | null;
  /** Phase 2 reran the cell and got the same counts. */
  rerunSameCounts: boolean | null;
}

function cellFlags(method: Method, store: StoreMode): string[] {
  const f: string[] = ['--no-liveness', '--time-limit', String(TIME_LIMIT)];
  if (method === 'por' || method === 'por+symmetry') f.push('--por');
  if (method === 'symmetry' || method === 'por+symmetry') f.push('--symmetry');
  if (store !== 'exact') f.push('--store', store);
  return f;
}

const verdictOf = (j: MmcheckJson) => (j.violation ? `${j.violation.kind}:${j.violation.property}` : j.verdict);

async function countCell(inst: Instance, method: Method, store: StoreMode): Promise<Cell> {
  const reduced = method !== 'none' || store !== 'exact';
  const args = checkArgs(inst.model, inst.variant, inst.params, [...inst.flags, ...cellFlags(method, store), ...(reduced ? ['--cross-check'] : [])]);
  const base: Cell = {
    instance: inst.id,
    model: inst.model,
    variant: inst.variant,
    params: inst.params,
    method,
    store,
    command: `node bin/mmcheck.js ${args.filter((a) => a !== '--no-progress').join(' ')}`,
    status: 'ok',
    message: null,
    verdict: null,
    states: null,
    transitions: null,
    seconds: null,
    bytesPerState: null,
    ratio: null,
    residentBytesPerState: null,
    porSafeLabels: null,
    porNotes: [],
    symmetry: null,
    crossCheck: null,
    rerunSameCounts: null,
  };
  const r = await runMmcheck(args, TIME_LIMIT * 3);
  if (!r.ok) {
    const refused = /MC31[2-7]/.test(r.message);
    return { ...base, status: refused ? 'refused' : 'error', message: r.message };
  }
  const j = r.json;
  return {
    ...base,
    status: j.verdict === 'incomplete' ? 'incomplete' : 'ok',
    verdict: verdictOf(j),
    states: j.stats.states,
    transitions: j.stats.transitions,
    residentBytesPerState: j.reduction?.store?.bytesPerState ?? null,
    porSafeLabels: j.reduction?.porSafeLabels ?? null,
    porNotes: j.reduction?.porNotes ?? [],
    symmetry: j.reduction?.symmetry ?? null,
    crossCheck: j.crossCheck ? { agree: j.crossCheck.agree, summary: j.crossCheck.summary } : null,
  };
}

async function timeCell(inst: Instance, c: Cell): Promise<void> {
  if (c.status !== 'ok' && c.status !== 'incomplete') return;
  const args = checkArgs(inst.model, inst.variant, inst.params, [...inst.flags, ...cellFlags(c.method, c.store)]);
  const r = await runMmcheck(args, TIME_LIMIT * 2);
  if (!r.ok) {
    c.status = 'error';
    c.message = `timed rerun: ${r.message}`;
    return;
  }
  c.seconds = r.json.stats.seconds;
  c.bytesPerState = r.json.stats.bytesPerState;
  c.rerunSameCounts = r.json.stats.states === c.states && r.json.stats.transitions === c.transitions;
}

// ---------------------------------------------------------------------------
// Livelock rows: liveness checking unreduced and under symmetry

const UNREDUCED_LIVELOCK_MAX = 8;

interface LivelockInstance {
  id: string;
  model: string;
  variant: string;
  params: Params;
  faulters: number;
}

function livelockInstances(): LivelockInstance[] {
  const mew = (variant: string, extra: Params, sizes: number[]) =>
    sizes.map((f) => ({ id: `mew ${variant} f=${f}${Object.entries(extra).map(([k, v]) => ` ${k}=${v}`).join('')}`, model: 'migration-entry-wait', variant, params: { faulters: f, ...extra }, faulters: f }));
  if (QUICK) return [...mew('put-and-wait', {}, [4]), ...mew('wait-on-locked', { contended: 'wait' }, [4])];
  return [
    ...mew('put-and-wait', {}, [4, 6, 8, 12, 16]),
    ...mew('fault-get-page', {}, [4, 6, 8, 12]),
    ...mew('wait-on-locked', { contended: 'wait' }, [4, 6, 8, 12, 16]),
    ...mew('wait-on-locked', {}, [4, 6, 8, 16]),
  ];
}

interface LivelockRow {
  instance: string;
  method: 'none' | 'symmetry';
  command: string;
  status: 'ok' | 'not run' | 'error';
  message: string | null;
  verdict: string | null;
  states: number | null;
  transitions: number | null;
  seconds: number | null;
  /** Steps of the lasso (stem and cycle), when a livelock was found. */
  lassoLength: number | null;
  /** Unreduced states / states. */
  ratio: number | null;
}

async function livelockRows(inst: LivelockInstance): Promise<LivelockRow[]> {
  const rows: LivelockRow[] = [];
  for (const method of ['none', 'symmetry'] as const) {
    const args = checkArgs(inst.model, inst.variant, inst.params, ['--time-limit', String(TIME_LIMIT), ...(method === 'symmetry' ? ['--symmetry'] : [])]);
    const base: LivelockRow = { instance: inst.id, method, command: `node bin/mmcheck.js ${args.filter((a) => a !== '--no-progress').join(' ')}`, status: 'ok', message: null, verdict: null, states: null, transitions: null, seconds: null, lassoLength: null, ratio: null };
    if (method === 'none' && inst.faulters > UNREDUCED_LIVELOCK_MAX) {
      rows.push({ ...base, status: 'not run', message: `unreduced search above ${UNREDUCED_LIVELOCK_MAX} faulters` });
      continue;
    }
    log(`  livelock ${method} ${inst.id} ...`);
    const r = await runMmcheck(args, TIME_LIMIT * 2);
    if (!r.ok) {
      rows.push({ ...base, status: 'error', message: r.message });
      continue;
    }
    const j = r.json;
    rows.push({ ...base, verdict: verdictOf(j), states: j.stats.states, transitions: j.stats.transitions, seconds: j.stats.seconds, lassoLength: (j.violation as { length?: number } | null)?.length ?? null });
  }
  const none = rows[0]!;
  for (const row of rows) if (none.states && row.states) row.ratio = none.states / row.states;
  return rows;
}

function livelockTable(rows: LivelockRow[]): string[] {
  const L: string[] = [];
  const h = ['model', 'method', 'verdict', 'states', 'transitions', 'seconds', 'lasso steps', 'ratio', 'notes'];
  L.push(`| ${h.join(' | ')} |`, `|${h.map(() => '---').join('|')}|`);
  for (const r of rows)
    L.push(`| ${[r.instance, r.method, r.verdict ?? '-', fmtInt(r.states), fmtInt(r.transitions), fmtSec(r.seconds), r.lassoLength === null ? '-' : String(r.lassoLength), fmtRatio(r.ratio), mdEscape(r.status === 'ok' ? '' : `${r.status}: ${r.message}`)].join(' | ')} |`);
  return L;
}

// ---------------------------------------------------------------------------
// Peers

interface PeerRow {
  instance: string;
  tool: 'spin' | 'rumur';
  method: 'none' | 'por' | 'symmetry';
  config: string;
  status: 'ok' | 'not applicable' | 'error';
  message: string | null;
  states: number | null;
  transitions: number | null;
  seconds: number | null;
  bytesPerState: number | null;
  peakMB: number | null;
  errors: number | null;
  ratio: number | null;
}

async function peerRows(inst: Instance): Promise<PeerRow[]> {
  const p = inst.peers;
  if (!p) return [];
  const rows: PeerRow[] = [];
  const run = async (tool: 'spin' | 'rumur', method: PeerRow['method'], f: () => Promise<PeerResult>) => {
    log(`  ${tool} ${method} ${inst.id} ...`);
    try {
      const r = await f();
      const states = r.modelStates ?? r.states;
      rows.push({
        instance: inst.id,
        tool,
        method,
        config: r.config,
        status: 'ok',
        message: r.output.includes('[mmcheck]') ? r.output.split('\n').filter((l) => l.startsWith('[mmcheck]')).join('; ') : null,
        states,
        transitions: r.modelTransitions ?? r.transitions,
        seconds: r.searchSeconds,
        bytesPerState: r.peakMB !== null && states > 0 ? (r.peakMB * 1048576) / states : null,
        peakMB: r.peakMB,
        errors: r.errors,
        ratio: null,
      });
    } catch (e) {
      rows.push({ instance: inst.id, tool, method, config: '', status: 'error', message: (e instanceof Error ? e.message : String(e)).split('\n')[0]!, states: null, transitions: null, seconds: null, bytesPerState: null, peakMB: null, errors: null, ratio: null });
    }
  };
  if (havePeer('spin') && p.promela) {
    const src = p.promela;
    await run('spin', 'none', () => runSpin(src, { por: false, bfs: false, deadlock: p.deadlock, hashBits: 22 }));
    await run('spin', 'por', () => runSpin(src, { por: true, bfs: false, deadlock: p.deadlock, hashBits: 22 }));
  }
  if (havePeer('rumur') && p.murphi) {
    const src = p.murphi;
    // Kernel ports encode deadlock as an invariant (Rumur's own notion flags valid termination).
    const deadlock = p.port ? false : p.deadlock;
    await run('rumur', 'none', () => runRumur(src, { threads: 1, symmetry: 'off', deadlock }));
    if (p.murphiSymmetryNote)
      rows.push({ instance: inst.id, tool: 'rumur', method: 'symmetry', config: '--symmetry-reduction exhaustive', status: 'not applicable', message: p.murphiSymmetryNote, states: null, transitions: null, seconds: null, bytesPerState: null, peakMB: null, errors: null, ratio: null });
    else await run('rumur', 'symmetry', () => runRumur(src, { threads: 1, symmetry: 'exhaustive', deadlock }));
  }
  for (const r of rows) {
    const base = rows.find((x) => x.tool === r.tool && x.method === 'none');
    if (r.states && base?.states) r.ratio = base.states / r.states;
  }
  return rows;
}

// ---------------------------------------------------------------------------
// Output

const fmtInt = (x: number | null) => (x === null ? '-' : x.toLocaleString('en-US'));
const fmtRatio = (x: number | null) => (x === null ? '-' : x.toFixed(2));
const fmtSec = (x: number | null) => (x === null ? '-' : x < 0.01 ? x.toFixed(3) : x.toFixed(2));
const fmtBps = (x: number | null) => (x === null ? '-' : x.toFixed(1));
const mdEscape = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, ' ');

function cellNote(c: Cell): string {
  if (c.status === 'refused') return `refused: ${c.message}`;
  if (c.status === 'error') return `error: ${c.message}`;
  const notes: string[] = [];
  if (c.status === 'incomplete') notes.push('incomplete (time limit)');
  if (c.verdict && c.verdict !== 'pass') notes.push(`verdict ${c.verdict}`);
  if (c.store === 'hash-compact' && c.residentBytesPerState !== null) notes.push(`resident ${c.residentBytesPerState.toFixed(1)} B/state`);
  if (c.method.includes('por') && c.porSafeLabels !== null) notes.push(`POR: ample sets possible at ${c.porSafeLabels} label(s)${c.porNotes.length ? ` (not at: ${c.porNotes.slice(0, 2).join('; ')}${c.porNotes.length > 2 ? '; …' : ''})` : ''}`);
  if (c.method.includes('symmetry') && c.symmetry) notes.push(`symmetry: ${c.symmetry}`);
  if (c.crossCheck && !c.crossCheck.agree) notes.push(`**${c.crossCheck.summary}**`);
  if (c.rerunSameCounts === false) notes.push('**timed rerun gave different counts**');
  return notes.join('; ');
}

interface Target {
  instance: string;
  replicas: number;
  inScope: boolean;
  unreduced: number | null;
  oursPorSym: number | null;
  oursPor: number | null;
  oursSym: number | null;
  spinPor: number | null;
  rumurSym: number | null;
  statesOurs: number | null;
  statesSpinPor: number | null;
  statesRumurSym: number | null;
  metSpin: boolean | null;
  metRumur: boolean | null;
}

function targets(instances: Instance[], cells: Cell[], peers: PeerRow[]): Target[] {
  const out: Target[] = [];
  for (const inst of instances) {
    if (inst.kind !== 'kernel' || !inst.peers) continue;
    const cell = (m: Method) => cells.find((c) => c.instance === inst.id && c.method === m && c.store === 'exact' && c.status === 'ok');
    const peer = (tool: string, m: string) => peers.find((p) => p.instance === inst.id && p.tool === tool && p.method === m && p.status === 'ok');
    const ours = cell('por+symmetry');
    const spin = peer('spin', 'por');
    const rumur = peer('rumur', 'symmetry');
    const oursR = ours?.ratio ?? null;
    out.push({
      instance: inst.id,
      replicas: inst.replicas ?? 0,
      inScope: (inst.replicas ?? 0) >= 3,
      unreduced: cell('none')?.states ?? null,
      oursPorSym: oursR,
      oursPor: cell('por')?.ratio ?? null,
      oursSym: cell('symmetry')?.ratio ?? null,
      spinPor: spin?.ratio ?? null,
      rumurSym: rumur?.ratio ?? null,
      statesOurs: ours?.states ?? null,
      statesSpinPor: spin?.states ?? null,
      statesRumurSym: rumur?.states ?? null,
      metSpin: oursR !== null && spin?.ratio != null ? oursR >= spin.ratio - 1e-9 : null,
      metRumur: oursR !== null && rumur?.ratio != null ? oursR >= rumur.ratio - 1e-9 : null,
    });
  }
  return out;
}

/** The summary table: states (ratio) per instance and method, mmcheck beside SPIN and Rumur. */
function summaryTable(instances: Instance[], cells: Cell[], peers: PeerRow[]): string[] {
  const L: string[] = [];
  const sh = ['model', 'replicas', 'unreduced states', 'mmcheck POR', 'mmcheck symmetry', 'mmcheck POR+symmetry', 'SPIN', 'SPIN POR', 'Rumur', 'Rumur symmetry'];
  L.push(`| ${sh.join(' | ')} |`, `|${sh.map(() => '---').join('|')}|`);
  for (const inst of instances) {
    const c = (m: Method) => cells.find((x) => x.instance === inst.id && x.method === m && x.store === 'exact');
    const cs = (m: Method) => {
      const x = c(m);
      if (!x) return '-';
      if (x.status === 'refused') return 'refused';
      if (x.status === 'error') return 'error';
      return `${fmtInt(x.states)} (${fmtRatio(x.ratio)})`;
    };
    const p = (tool: string, m: string) => {
      const x = peers.find((y) => y.instance === inst.id && y.tool === tool && y.method === m);
      if (!x) return 'n/a';
      if (x.status !== 'ok') return x.status === 'not applicable' ? 'n/a' : 'error';
      return m === 'none' ? fmtInt(x.states) : `${fmtInt(x.states)} (${fmtRatio(x.ratio)})`;
    };
    L.push(`| ${[inst.id, inst.replicas === null ? '-' : String(inst.replicas), fmtInt(c('none')?.states ?? null), cs('por'), cs('symmetry'), cs('por+symmetry'), p('spin', 'none'), p('spin', 'por'), p('rumur', 'none'), p('rumur', 'symmetry')].join(' | ')} |`);
  }
  return L;
}

function markdown(meta: Record<string, unknown>, instances: Instance[], cells: Cell[], peers: PeerRow[], selfcheck: PortCheckRow[], tg: Target[], problems: string[], livelock: LivelockRow[] = []): string {
  const L: string[] = [];
  L.push(`## State-space reduction — ${String(meta.date).slice(0, 10)}${QUICK ? ' (quick)' : ''}`, '');
  L.push(`Machine: ${meta.cpu} × ${meta.cpus}, ${meta.memGB} GB, Node ${meta.node}; SPIN ${meta.spin ?? 'not installed'}; Rumur ${meta.rumur ?? 'not installed'}.`);
  L.push('Every mmcheck run: BFS, `--no-liveness`, one child process. Ratio = unreduced states (none, exact) / states. Seconds and bytes/state from a second run of each cell, one at a time; bytes/state is the store\'s bytes / states (for these small models mostly fixed allocations).', '');
  L.push(problems.length ? `**Problems:** ${problems.join('; ')}` : 'All reduced runs agree with the unreduced search (`--cross-check`), the timed reruns gave the same counts, and every port self-check row is equal.', '');
  L.push('### Summary: states (ratio) per model and method', '');
  L.push('mmcheck columns: exact store (hash-compact found the same counts in every row unless a problem is listed above). SPIN: DFS, states with `-DNOREDUCE` / with its POR. Rumur: `--symmetry-reduction off` / `exhaustive`. "refused" = mmcheck refused the reduction (reason in the full table); "n/a" = no port or no sound scalarset port.', '');
  L.push(...summaryTable(instances, cells, peers));
  L.push('');
  L.push('### mmcheck', '');
  const head = ['model', 'method', 'store', 'states', 'transitions', 'seconds', 'bytes/state', 'ratio', 'notes'];
  L.push(`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`);
  for (const inst of instances) {
    const mine = cells.filter((x) => x.instance === inst.id);
    const done = new Set<Cell>();
    for (const c of mine) {
      if (done.has(c)) continue;
      if (c.status === 'refused' || c.status === 'error') {
        // One row for every combination refused with the same message.
        const same = mine.filter((x) => x.status === c.status && x.message === c.message);
        same.forEach((x) => done.add(x));
        const methods = [...new Set(same.map((x) => x.method))].join(', ');
        const stores = [...new Set(same.map((x) => x.store))].join(', ');
        L.push(`| ${[inst.id, methods, stores, '-', '-', '-', '-', '-', mdEscape(cellNote(c))].join(' | ')} |`);
        continue;
      }
      done.add(c);
      L.push(`| ${[inst.id, c.method, c.store, fmtInt(c.states), fmtInt(c.transitions), fmtSec(c.seconds), fmtBps(c.bytesPerState), fmtRatio(c.ratio), mdEscape(cellNote(c))].join(' | ')} |`);
    }
  }
  if (peers.length) {
    L.push('', '### SPIN and Rumur on the ports (bench/peers/)', '');
    L.push('SPIN: DFS, `-DSAFETY`, with `-DNOREDUCE` (none) or without it (its POR); states and transitions are the model\'s (init\'s root state subtracted). Rumur: one thread, `--symmetry-reduction off` or `exhaustive`. Seconds: pan\'s search time / the Rumur verifier\'s wall time; bytes/state from peak RSS (mostly the tools\' fixed tables here). Ratio: the same tool\'s unreduced states / states.', '');
    const ph = ['model', 'tool', 'method', 'states', 'transitions', 'seconds', 'bytes/state', 'peak MB', 'ratio', 'notes'];
    L.push(`| ${ph.join(' | ')} |`, `|${ph.map(() => '---').join('|')}|`);
    for (const p of peers) {
      const na = p.status !== 'ok';
      L.push(`| ${[p.instance, p.tool, p.method, na ? '-' : fmtInt(p.states), na ? '-' : fmtInt(p.transitions), fmtSec(p.seconds), fmtBps(p.bytesPerState), p.peakMB === null ? '-' : p.peakMB.toFixed(1), fmtRatio(p.ratio), mdEscape(na ? `${p.status}: ${p.message}` : [p.errors ? `${p.errors} error(s) reported` : '', p.message ?? ''].filter(Boolean).join('; '))].join(' | ')} |`);
    }
  }
  if (tg.length) {
    L.push('', '### Targets: mmcheck POR+symmetry vs SPIN POR and Rumur symmetry (kernel models)', '');
    L.push('The target applies to kernel models with three or more replicated threads; interval-notifier (2 invalidators) is listed for completeness. "met" = our ratio ≥ the peer\'s.', '');
    const th = ['model', 'replicas', 'unreduced', 'mmcheck por', 'mmcheck symmetry', 'mmcheck por+symmetry', 'SPIN POR', 'Rumur symmetry', 'vs SPIN POR', 'vs Rumur symmetry'];
    L.push(`| ${th.join(' | ')} |`, `|${th.map(() => '---').join('|')}|`);
    const met = (b: boolean | null) => (b === null ? '-' : b ? 'met' : '**short**');
    for (const t of tg)
      L.push(
        `| ${[
          t.instance + (t.inScope ? '' : ' (out of scope: <3 replicas)'),
          String(t.replicas),
          fmtInt(t.unreduced),
          fmtRatio(t.oursPor),
          fmtRatio(t.oursSym),
          `${fmtRatio(t.oursPorSym)} (${fmtInt(t.statesOurs)})`,
          `${fmtRatio(t.spinPor)} (${fmtInt(t.statesSpinPor)})`,
          `${fmtRatio(t.rumurSym)} (${fmtInt(t.statesRumurSym)})`,
          met(t.metSpin),
          met(t.metRumur),
        ].join(' | ')} |`,
      );
  }
  if (livelock.length) {
    L.push('', '### Livelock checking: unreduced and under symmetry', '');
    L.push('Liveness on (weak fairness), BFS, exact store, one run at a time. Under `--symmetry` fair cycles are judged on the lift of the quotient (docs/internals.md, "Liveness under symmetry"); the lasso is a run of the unreduced model, repeated until its permutation closes, so it can be longer than the unreduced one. Ratio: unreduced states / states.', '');
    L.push(...livelockTable(livelock));
  }
  if (selfcheck.length) {
    L.push('', '### Port self-check (bench/peers/kernel-selfcheck.ts)', '');
    L.push('With no reduction the peers must report exactly mmcheck\'s states and transitions; Rumur\'s exhaustive symmetry reduction exactly mmcheck\'s `--symmetry` counts.', '');
    L.push(selfcheckTable(selfcheck));
  }
  return L.join('\n') + '\n';
}

// --- SVG chart -------------------------------------------------------------

interface Series {
  key: string;
  label: string;
  color: string;
}
const SERIES: Series[] = [
  { key: 'mm-por', label: 'mmcheck POR', color: '#9ecae1' },
  { key: 'mm-sym', label: 'mmcheck symmetry', color: '#4292c6' },
  { key: 'mm-porsym', label: 'mmcheck POR+symmetry', color: '#08519c' },
  { key: 'spin-por', label: 'SPIN POR', color: '#fd8d3c' },
  { key: 'rumur-sym', label: 'Rumur symmetry (exhaustive)', color: '#31a354' },
];

const ABBREVIATIONS = ['mew = migration-entry-wait', 'in = interval-notifier', 'ge = gpusvm-evict', 'clp = coherent-longterm-pin', 'de = device-exclusive', 'f = faulters, h = holder, i = invalidators'];

const xml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

export function svgChart(groups: { label: string; values: Record<string, number | null> }[], title: string): string {
  const barW = 14;
  const gap = 18;
  const groupW = SERIES.length * barW + gap;
  const left = 70;
  const top = 56;
  const plotH = 300;
  const bottom = 175;
  const legendW = 230;
  const W = left + groups.length * groupW + 20 + legendW;
  const H = top + plotH + bottom;
  const maxV = Math.max(1, ...groups.flatMap((g) => Object.values(g.values).filter((v): v is number => v !== null)));
  const step = maxV <= 2 ? 0.25 : maxV <= 5 ? 0.5 : maxV <= 10 ? 1 : maxV <= 25 ? 2 : maxV <= 50 ? 5 : 10;
  const yMax = Math.ceil((maxV * 1.12) / step) * step;
  const y = (v: number) => top + plotH - (v / yMax) * plotH;
  const o: string[] = [];
  o.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="DejaVu Sans, Arial, Helvetica, sans-serif" font-size="12">`);
  o.push(`<rect x="0" y="0" width="${W}" height="${H}" fill="#ffffff"/>`);
  o.push(`<text x="${left}" y="24" font-size="16" font-weight="bold">${xml(title)}</text>`);
  o.push(`<text x="${left}" y="42" font-size="11" fill="#555">reduction ratio = unreduced states / reduced states (1.0 = no reduction); a grey "n/a" = refused or no port</text>`);
  for (let v = 0; v <= yMax + 1e-9; v += step) {
    o.push(`<line x1="${left}" x2="${left + groups.length * groupW}" y1="${y(v)}" y2="${y(v)}" stroke="${v === 0 ? '#000' : '#ddd'}" stroke-width="1"/>`);
    o.push(`<text x="${left - 6}" y="${y(v) + 4}" text-anchor="end">${Number.isInteger(step) ? v.toFixed(0) : step === 0.5 ? v.toFixed(1) : v.toFixed(2)}</text>`);
  }
  if (yMax >= 1) o.push(`<line x1="${left}" x2="${left + groups.length * groupW}" y1="${y(1)}" y2="${y(1)}" stroke="#c00" stroke-width="1" stroke-dasharray="4 3"/>`);
  o.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${top + plotH}" stroke="#000"/>`);
  o.push(`<text transform="translate(18 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" font-size="13">reduction ratio (×)</text>`);
  groups.forEach((g, gi) => {
    const x0 = left + gi * groupW + gap / 2;
    SERIES.forEach((s, si) => {
      const v = g.values[s.key] ?? null;
      const x = x0 + si * barW;
      if (v === null) {
        o.push(`<text transform="translate(${x + barW / 2 + 3} ${top + plotH - 3}) rotate(-90)" font-size="9" fill="#888">n/a</text>`);
        return;
      }
      o.push(`<rect x="${x + 1}" y="${y(v)}" width="${barW - 2}" height="${Math.max(0.5, top + plotH - y(v))}" fill="${s.color}"><title>${xml(`${g.label} — ${s.label}: ${v.toFixed(2)}×`)}</title></rect>`);
      // Value above the bar, written upwards so that neighbouring labels do not overlap.
      o.push(`<text transform="translate(${x + barW / 2 + 3} ${y(v) - 3}) rotate(-90)" font-size="9">${v.toFixed(2)}</text>`);
    });
    const cx = x0 + (SERIES.length * barW) / 2;
    const label = g.label.length > 30 ? `${g.label.slice(0, 29)}…` : g.label;
    o.push(`<text transform="translate(${cx - 4} ${top + plotH + 12}) rotate(40)" text-anchor="start" font-size="11"><title>${xml(g.label)}</title>${xml(label)}</text>`);
  });
  o.push(`<text x="${left + (groups.length * groupW) / 2}" y="${H - 8}" text-anchor="middle" font-size="13">model instance</text>`);
  const lx = left + groups.length * groupW + 24;
  o.push(`<text x="${lx}" y="${top + 4}" font-weight="bold">method</text>`);
  SERIES.forEach((s, i) => {
    o.push(`<rect x="${lx}" y="${top + 14 + i * 20}" width="14" height="14" fill="${s.color}"/>`);
    o.push(`<text x="${lx + 20}" y="${top + 25 + i * 20}">${xml(s.label)}</text>`);
  });
  o.push(`<line x1="${lx}" x2="${lx + 14}" y1="${top + 24 + SERIES.length * 20}" y2="${top + 24 + SERIES.length * 20}" stroke="#c00" stroke-dasharray="4 3"/>`);
  o.push(`<text x="${lx + 20}" y="${top + 28 + SERIES.length * 20}">1.0 (no reduction)</text>`);
  ABBREVIATIONS.forEach((a, i) => o.push(`<text x="${lx}" y="${top + 64 + SERIES.length * 20 + i * 16}" font-size="11" fill="#333">${xml(a)}</text>`));
  o.push('</svg>');
  return o.join('\n') + '\n';
}

// ---------------------------------------------------------------------------

/** The README shows the latest full run's summary table, between two marker comments. */
function updateReadme(meta: { date: string; spin: string | null; rumur: string | null }, table: string[], problems: string[]): void {
  const file = join(ROOT, 'README.md');
  const text = readFileSync(file, 'utf8');
  const open = '<!-- reduction-table:start -->';
  const close = '<!-- reduction-table:end -->';
  const i = text.indexOf(open);
  const j = text.indexOf(close);
  if (i < 0 || j < i) {
    log(`  README.md has no ${open} ... ${close} block: not updated`);
    return;
  }
  const block = [
    `Measured by \`npm run bench\` on ${meta.date.slice(0, 10)} (SPIN ${meta.spin ?? 'not installed'}, Rumur ${meta.rumur ?? 'not installed'}); states (ratio to the unreduced search), BFS, no liveness, exact store:`,
    '',
    ...table,
    '',
    problems.length ? `Problems in this run: ${problems.join('; ')}` : 'Every reduced run agreed with the unreduced search (`--cross-check`).',
  ];
  writeFileSync(file, `${text.slice(0, i + open.length)}\n${block.join('\n')}\n${text.slice(j)}`);
  log('  updated the reduction table in README.md');
}

function toolVersion(cmd: string, args: string[], re: RegExp): string | null {
  try {
    const out = execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    return re.exec(out)?.[1] ?? out.trim().split('\n')[0] ?? null;
  } catch {
    return null;
  }
}

async function main(): Promise<number> {
  const t0 = Date.now();
  const count = pLimit(Math.max(1, JOBS));
  const timed = pLimit(1);
  const problems: string[] = [];
  log(`reduction bench${QUICK ? ' (quick)' : ''}: count-only jobs in parallel (${JOBS}), timed jobs one at a time`);

  // Instances, with the run-time kernel models' largest pass instance per variant.
  const instances = fixedInstances();
  // The quick smoke run leaves out the run-time kernel models (each costs 8 cells and a sizing pass).
  const cands = QUICK ? [] : runtimeCandidates();
  if (cands.length) log(`  sizing ${cands.length} pass instance(s) of ${[...new Set(cands.map((c) => c.model.name))].join(', ')} ...`);
  const sized = await Promise.all(
    cands.map((c) =>
      count(async () => {
        const r = await runMmcheck(checkArgs(c.model.name, c.variant, c.params, [...c.flags, '--no-liveness', '--time-limit', String(TIME_LIMIT)]), TIME_LIMIT * 2);
        return { c, r };
      }),
    ),
  );
  const best = new Map<string, { c: (typeof cands)[number]; states: number; replicas: number }>();
  for (const { c, r } of sized) {
    const key = `${c.model.name}/${c.variant}`;
    if (!r.ok) {
      problems.push(`${key} ${JSON.stringify(c.params)}: ${r.message}`);
      continue;
    }
    if (r.json.verdict !== 'pass') continue; // with --no-liveness the expectation may not apply; only pass instances are compared
    const prev = best.get(key);
    if (!prev || r.json.stats.states > prev.states) best.set(key, { c, states: r.json.stats.states, replicas: 0 });
  }
  for (const { c } of best.values()) {
    const p = Object.entries(c.params).map(([k, v]) => `${k}=${v}`).join(' ');
    let replicas: number | null = null;
    try {
      replicas = Math.max(0, ...buildModel(c.model, c.variant, c.params).templates.filter((t) => t.replicated).map((t) => t.count));
    } catch {
      replicas = null;
    }
    instances.push({ id: `${short(c.model.name)} ${c.variant ?? ''}${p ? ' ' + p : ''}`.trim(), model: c.model.name, variant: c.variant, params: c.params, flags: c.flags, kind: 'kernel', replicas, peers: null });
  }

  // Phase 1: counts (and the port self-check), in parallel.
  log(`  phase 1: ${instances.length} instances × ${METHODS.length} methods × ${STORES.length} stores, counts in parallel ...`);
  const cellJobs: Promise<Cell>[] = [];
  for (const inst of instances) for (const m of METHODS) for (const s of STORES) cellJobs.push(count(() => countCell(inst, m, s)));
  const ports = instances.filter((i) => i.peers?.port).map((i) => i.peers!.port!);
  const selfcheckJob = PEERS ? kernelSelfcheck(ports, log, count) : Promise.resolve([] as PortCheckRow[]);
  const cells = await Promise.all(cellJobs);
  const selfcheck = await selfcheckJob;
  for (const inst of instances) {
    const base = cells.find((c) => c.instance === inst.id && c.method === 'none' && c.store === 'exact');
    if (base?.states) for (const c of cells.filter((x) => x.instance === inst.id)) if (c.states) c.ratio = base.states / c.states;
  }

  // Phase 2: timed, one at a time.
  log('  phase 2: timed runs, one at a time ...');
  for (const inst of instances) for (const c of cells.filter((x) => x.instance === inst.id)) await timed(() => timeCell(inst, c));
  const peers: PeerRow[] = [];
  if (PEERS) {
    if (!havePeer('spin')) log('  spin not installed (apt-get install -y spin): SPIN rows skipped');
    if (!havePeer('rumur')) log('  rumur not installed (apt-get install -y rumur): Rumur rows skipped');
    for (const inst of instances) peers.push(...(await timed(() => peerRows(inst))));
  }
  const livelock: LivelockRow[] = [];
  for (const inst of livelockInstances()) livelock.push(...(await timed(() => livelockRows(inst))));
  for (const inst of livelockInstances()) {
    const [none, sym] = livelock.filter((r) => r.instance === inst.id);
    if (sym?.status === 'error') problems.push(`livelock ${inst.id} symmetry: ${sym.message}`);
    if (none?.status === 'ok' && sym?.status === 'ok' && none.verdict !== sym.verdict) problems.push(`livelock verdicts differ on ${inst.id}: unreduced ${none.verdict}, symmetry ${sym.verdict}`);
  }

  // Problems.
  for (const c of cells) {
    if (c.crossCheck && !c.crossCheck.agree) problems.push(`CROSS-CHECK FAILED: ${c.command} — ${c.crossCheck.summary}`);
    if (c.rerunSameCounts === false) problems.push(`rerun counts differ: ${c.command}`);
    if (c.status === 'error') problems.push(`${c.instance} ${c.method} ${c.store}: ${c.message}`);
    if (c.status === 'incomplete') problems.push(`${c.instance} ${c.method} ${c.store}: incomplete`);
    if (c.store === 'hash-compact') {
      const ex = cells.find((x) => x.instance === c.instance && x.method === c.method && x.store === 'exact');
      if (ex && c.states !== null && ex.states !== null && (c.states !== ex.states || c.transitions !== ex.transitions))
        problems.push(`${c.instance} ${c.method}: hash-compact found ${c.states}/${c.transitions}, exact ${ex.states}/${ex.transitions} (a fingerprint collision?)`);
    }
  }
  for (const r of selfcheck) if (!r.ok) problems.push(`port self-check: ${r.case} ${r.tool}: expected ${r.expectedStates}/${r.expectedTransitions}, got ${r.states}/${r.transitions} ${r.note}`);
  // Peer counts on the classic ports: the same instance, so unreduced counts must match mmcheck's.
  for (const p of peers.filter((x) => x.status === 'ok' && x.method === 'none')) {
    const ours = cells.find((c) => c.instance === p.instance && c.method === 'none' && c.store === 'exact');
    if (ours?.states && (p.states !== ours.states || p.transitions !== ours.transitions)) problems.push(`${p.tool} on ${p.instance}: ${p.states}/${p.transitions}, mmcheck ${ours.states}/${ours.transitions}`);
  }
  // mmcheck --symmetry vs Rumur exhaustive, same port.
  for (const p of peers.filter((x) => x.status === 'ok' && x.tool === 'rumur' && x.method === 'symmetry')) {
    const ours = cells.find((c) => c.instance === p.instance && c.method === 'symmetry' && c.store === 'exact' && c.status === 'ok');
    if (ours && (ours.states !== p.states || ours.transitions !== p.transitions)) problems.push(`symmetric counts differ on ${p.instance}: mmcheck ${ours.states}/${ours.transitions}, Rumur exhaustive ${p.states}/${p.transitions}`);
  }

  const tg = targets(instances, cells, peers);
  const meta = {
    date: new Date().toISOString(),
    quick: QUICK,
    cpu: cpus()[0]?.model ?? 'unknown',
    cpus: cpus().length,
    memGB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    spin: havePeer('spin') ? toolVersion('spin', ['-V'], /Spin Version ([\d.]+)/) : null,
    rumur: havePeer('rumur') ? toolVersion('rumur', ['--version'], /(v[\d.]+\S*)/) : null,
    wallSeconds: 0,
  };
  meta.wallSeconds = Math.round((Date.now() - t0) / 100) / 10;
  const md = markdown(meta, instances, cells, peers, selfcheck, tg, problems, livelock);
  const chartGroups = instances.map((inst) => {
    const c = (m: Method) => cells.find((x) => x.instance === inst.id && x.method === m && x.store === 'exact' && x.status === 'ok')?.ratio ?? null;
    const p = (tool: string, m: string) => peers.find((x) => x.instance === inst.id && x.tool === tool && x.method === m && x.status === 'ok')?.ratio ?? null;
    return { label: inst.id, values: { 'mm-por': c('por'), 'mm-sym': c('symmetry'), 'mm-porsym': c('por+symmetry'), 'spin-por': p('spin', 'por'), 'rumur-sym': p('rumur', 'symmetry') } };
  });
  const svg = svgChart(chartGroups, `State-space reduction per model and method${QUICK ? ' (quick)' : ''} — ${meta.date.slice(0, 10)}`);
  const dir = join(ROOT, 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const base = QUICK ? 'reduction-quick' : 'reduction';
  writeFileSync(join(dir, `${base}.json`), JSON.stringify({ meta, problems, instances: instances.map(({ peers: p, ...i }) => ({ ...i, ported: !!p })), cells, peers, livelock, targets: tg, selfcheck: selfcheck.map(({ peer: _p, ...r }) => r) }, null, 2) + '\n');
  writeFileSync(join(dir, `${base}.md`), md);
  writeFileSync(join(dir, `${base}.svg`), svg);
  process.stdout.write(md);
  log(`  wrote bench/results/${base}.{json,md,svg} in ${meta.wallSeconds} s`);
  if (!QUICK && PEERS) updateReadme(meta, summaryTable(instances, cells, peers), problems);
  if (problems.length) log(`  PROBLEMS:\n    ${problems.join('\n    ')}`);
  return problems.some((p) => /CROSS-CHECK|differ|self-check|collision/.test(p)) ? 1 : 0;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) process.exitCode = await main();
