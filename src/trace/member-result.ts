import { McError, isMcError, pathKey, q } from '../model/errors.ts';
import type { Fairness } from '../model/define.ts';
import { digest } from '../layout/hash.ts';
import { VERSION } from '../model/version.ts';
import { MAX_SWARM, type WorkerOutcome, type WorkerPlan, type WorkerStatus } from '../search/swarm.ts';
import { duplicateKey, jsonFault, parseTrace, type TraceFile } from './format.ts';

/**
 * The result file of one swarm member run on its own
 * (`mmcheck check <model> --swarm N --member I -o FILE`), format
 * `mmcheck-swarm-member/1`, which `mmcheck swarm-merge` reads
 * (docs/distributed.md). It is data from another machine: every field is
 * validated here by shape (MC43x naming the file and the JSON path), and
 * `member-merge.ts` checks what needs the model (the plan, the trace
 * replayed). Nothing in it is ever executed.
 *
 * ```
 * { format, createdBy, fingerprint, member,
 *   run:       what must be equal in every member of one swarm (model, its hash, options, N, seed),
 *   plan:      the member's plan, as planWorkers derives it from (seed, N, member),
 *   outcome:   the member's counts (as a worker row of check --swarm --json),
 *   interrupted: null or the signal that stopped it,
 *   coverage:  { count, capped, fingerprints: base64 of 2*count little-endian uint32 },
 *   violation: null or { kind, property, length, cost, trace: a full mmcheck-trace/1 object } }
 * ```
 */
export const MEMBER_FORMAT = 'mmcheck-swarm-member/1';

/** What every member of one swarm run shares; `fingerprint` is a digest of it. */
export interface SwarmRun {
  model: string;
  variant: string | null;
  params: Record<string, string | number | boolean>;
  modelHash: string;
  workers: number;
  seed: string;
  depth: number;
  bitstate: number;
  /** Distinct states per member at most; null for none. */
  maxStates: number | null;
  /** As given: null = as the model says. */
  deadlock: boolean | null;
  liveness: boolean;
  fairness: Fairness;
  /** Seconds per member; null for none. */
  timeLimit: number | null;
  coverageCap: number;
}

/** The fields of `run`, in the order they are compared and digested. */
export const RUN_FIELDS = ['model', 'variant', 'params', 'modelHash', 'workers', 'seed', 'depth', 'bitstate', 'maxStates', 'deadlock', 'liveness', 'fairness', 'timeLimit', 'coverageCap'] as const satisfies readonly (keyof SwarmRun)[];

export interface MemberPlanJson {
  seed: string;
  bitstateLog2: number;
  hashes: number;
  hashSeeds: [number, number];
  depthBound: number;
}

export interface MemberOutcomeJson {
  status: WorkerStatus;
  states: number;
  expanded: number;
  transitions: number;
  maxDepth: number;
  depthCut: number;
  cycles: number;
  bitstateFill: number;
  seconds: number;
}

export interface MemberViolationJson {
  kind: string;
  property: string;
  length: number;
  /** States the member had expanded when it found the violation (the swarm's winner rule compares these). */
  cost: number;
  trace: TraceFile;
}

export interface MemberResult {
  format: string;
  createdBy: string;
  fingerprint: string;
  member: number;
  run: SwarmRun;
  plan: MemberPlanJson;
  outcome: MemberOutcomeJson;
  interrupted: 'SIGINT' | 'SIGTERM' | null;
  coverage: { count: number; capped: boolean; fingerprints: string };
  violation: MemberViolationJson | null;
}

/** A validated result and its coverage fingerprints decoded. */
export interface ParsedMember {
  readonly source: string;
  readonly result: MemberResult;
  readonly fingerprints: Uint32Array;
}

/** The digest of a run's fields, in a fixed order (params by sorted name), so equal runs have equal fingerprints. */
export function runFingerprint(run: SwarmRun): string {
  const params = Object.keys(run.params).sort().map((k) => [k, run.params[k]]);
  return digest(JSON.stringify(RUN_FIELDS.map((f) => (f === 'params' ? params : run[f]))));
}

/** The result file's object for a member's outcome; `trace` is the violation's trace (built and checked to replay by the caller). */
export function memberResult(run: SwarmRun, plan: WorkerPlan, o: WorkerOutcome, interrupted: 'SIGINT' | 'SIGTERM' | null, trace: TraceFile | null): MemberResult {
  if ((o.violation === null) !== (trace === null)) throw new Error('internal: a member violation needs its trace, and only a violation has one');
  const fps = Buffer.alloc(o.fingerprints.length * 4);
  for (let i = 0; i < o.fingerprints.length; i++) fps.writeUInt32LE(o.fingerprints[i]!, 4 * i);
  return {
    format: MEMBER_FORMAT,
    createdBy: `mmcheck ${VERSION}`,
    fingerprint: runFingerprint(run),
    member: plan.index,
    run,
    plan: { seed: plan.seed, bitstateLog2: plan.bitstateLog2, hashes: plan.k, hashSeeds: [plan.hashSeeds[0], plan.hashSeeds[1]], depthBound: plan.depthBound },
    outcome: {
      status: o.status,
      states: o.states,
      expanded: o.expanded,
      transitions: o.transitions,
      maxDepth: o.maxDepth,
      depthCut: o.depthCut,
      cycles: o.cycles,
      bitstateFill: o.bitstateFill,
      seconds: Number(o.seconds.toFixed(3)),
    },
    interrupted,
    coverage: { count: o.fingerprints.length / 2, capped: o.fingerprintsCapped, fingerprints: fps.toString('base64') },
    violation: o.violation && trace ? { kind: o.violation.kind, property: o.violation.property, length: o.violation.steps.length, cost: o.cost, trace } : null,
  };
}

// ---- reading ------------------------------------------------------------------------

const TOP_KEYS = ['format', 'createdBy', 'fingerprint', 'member', 'run', 'plan', 'outcome', 'interrupted', 'coverage', 'violation'];
const PLAN_KEYS = ['seed', 'bitstateLog2', 'hashes', 'hashSeeds', 'depthBound'];
const OUTCOME_KEYS = ['status', 'states', 'expanded', 'transitions', 'maxDepth', 'depthCut', 'cycles', 'bitstateFill', 'seconds'];
const COVERAGE_KEYS = ['count', 'capped', 'fingerprints'];
const VIOLATION_KEYS = ['kind', 'property', 'length', 'cost', 'trace'];
const STATUSES: readonly WorkerStatus[] = ['violation', 'done', 'max-states', 'cancelled', 'time-limit', 'interrupted', 'memory-limit'];
const FAIRNESS: readonly Fairness[] = ['none', 'weak', 'strong'];
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

type Obj = Record<string, unknown>;

class Reader {
  constructor(readonly source: string) {}

  fail(path: string, what: string): never {
    throw new McError('MC432', `malformed swarm member result ${q(this.source)} at ${path}: ${what}`);
  }

  /** An object with exactly the known keys (an unknown field is data nobody checked) and every one of them present. */
  obj(v: unknown, path: string, keys: readonly string[]): Obj {
    if (typeof v !== 'object' || v === null || Array.isArray(v)) this.fail(path, 'expected an object');
    const o = v as Obj;
    for (const k of Object.keys(o)) if (!keys.includes(k)) this.fail(`${path}${pathKey(k)}`, `unknown field (this reader knows ${keys.join(', ')})`);
    for (const k of keys) if (!Object.hasOwn(o, k)) this.fail(`${path}.${k}`, 'missing');
    return o;
  }

  int(v: unknown, path: string, min = 0, max = Number.MAX_SAFE_INTEGER): number {
    if (!Number.isSafeInteger(v) || (v as number) < min || (v as number) > max) this.fail(path, `expected an integer in ${min}..${max}, got ${q(v)}`);
    return v as number;
  }

  str(v: unknown, path: string, nonEmpty = false): string {
    if (typeof v !== 'string' || (nonEmpty && v === '')) this.fail(path, `expected a${nonEmpty ? ' non-empty' : ''} string, got ${q(v)}`);
    return v;
  }

  bool(v: unknown, path: string): boolean {
    if (typeof v !== 'boolean') this.fail(path, `expected true or false, got ${q(v)}`);
    return v;
  }

  oneOf<T>(v: unknown, path: string, values: readonly T[]): T {
    if (!values.includes(v as T)) this.fail(path, `expected one of ${values.map((x) => q(x)).join(', ')}, got ${q(v)}`);
    return v as T;
  }
}

/**
 * Parse and validate a member result's text, field by field; errors name the
 * file and the JSON path (MC431 not JSON, MC433 an unknown format, MC432
 * anything malformed). The embedded trace is validated as a trace file is.
 */
export function parseMemberResult(text: string, source: string): ParsedMember {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new McError('MC431', `swarm member result ${q(source)} is not valid JSON: ${(e as Error).message}`);
  }
  const r = new Reader(source);
  if (typeof j !== 'object' || j === null || Array.isArray(j)) r.fail('$', 'expected an object');
  const fault = jsonFault(j) ?? duplicateKey(text);
  if (fault) r.fail(fault.path, fault.what);
  const format = (j as Obj).format;
  if (format !== MEMBER_FORMAT)
    throw new McError('MC433', `${q(source)} is not a swarm member result: format ${q(format)} (this mmcheck reads ${MEMBER_FORMAT}, written by mmcheck check --swarm N --member I)`);
  const t = r.obj(j, '$', TOP_KEYS);
  r.str(t.createdBy, '$.createdBy');
  r.str(t.fingerprint, '$.fingerprint', true);

  const run = r.obj(t.run, '$.run', RUN_FIELDS);
  r.str(run.model, '$.run.model', true);
  if (run.variant !== null) r.str(run.variant, '$.run.variant', true);
  const params = r.obj(run.params, '$.run.params', Object.keys(run.params ?? {}));
  for (const [k, v] of Object.entries(params))
    if (typeof v !== 'string' && typeof v !== 'boolean' && !(typeof v === 'number' && Number.isFinite(v))) r.fail(`$.run.params${pathKey(k)}`, `expected a boolean, number or string, got ${q(v)}`);
  r.str(run.modelHash, '$.run.modelHash', true);
  const workers = r.int(run.workers, '$.run.workers', 1, MAX_SWARM);
  r.str(run.seed, '$.run.seed', true);
  r.int(run.depth, '$.run.depth', 1);
  r.int(run.bitstate, '$.run.bitstate', 16, 31);
  if (run.maxStates !== null) r.int(run.maxStates, '$.run.maxStates', 1);
  if (run.deadlock !== null) r.bool(run.deadlock, '$.run.deadlock');
  r.bool(run.liveness, '$.run.liveness');
  r.oneOf(run.fairness, '$.run.fairness', FAIRNESS);
  if (run.timeLimit !== null && (typeof run.timeLimit !== 'number' || !Number.isFinite(run.timeLimit) || run.timeLimit < 0))
    r.fail('$.run.timeLimit', `expected a number of seconds or null, got ${q(run.timeLimit)}`);
  const cap = r.int(run.coverageCap, '$.run.coverageCap', 0);
  if (runFingerprint(run as unknown as SwarmRun) !== t.fingerprint)
    r.fail('$.fingerprint', `${q(t.fingerprint)} is not the fingerprint of $.run (${runFingerprint(run as unknown as SwarmRun)}): the file was changed after it was written`);
  r.int(t.member, '$.member', 0, workers - 1);

  const plan = r.obj(t.plan, '$.plan', PLAN_KEYS);
  r.str(plan.seed, '$.plan.seed', true);
  r.int(plan.bitstateLog2, '$.plan.bitstateLog2', 16, 31);
  r.int(plan.hashes, '$.plan.hashes', 1, 32);
  if (!Array.isArray(plan.hashSeeds) || plan.hashSeeds.length !== 2) r.fail('$.plan.hashSeeds', 'expected two integers');
  (plan.hashSeeds as unknown[]).forEach((x, i) => r.int(x, `$.plan.hashSeeds[${i}]`, 0, 2 ** 32 - 1));
  r.int(plan.depthBound, '$.plan.depthBound', 1);

  const out = r.obj(t.outcome, '$.outcome', OUTCOME_KEYS);
  const status = r.oneOf(out.status, '$.outcome.status', STATUSES);
  // A member stopped (a signal, its time limit) before its search stored the initial state has seen none: the in-process swarm reports it so too.
  const states = r.int(out.states, '$.outcome.states', status === 'interrupted' || status === 'time-limit' ? 0 : 1);
  const expanded = r.int(out.expanded, '$.outcome.expanded');
  r.int(out.transitions, '$.outcome.transitions');
  r.int(out.maxDepth, '$.outcome.maxDepth');
  r.int(out.depthCut, '$.outcome.depthCut');
  r.int(out.cycles, '$.outcome.cycles');
  if (typeof out.bitstateFill !== 'number' || !(out.bitstateFill >= 0 && out.bitstateFill <= 1)) r.fail('$.outcome.bitstateFill', `expected a number in 0..1, got ${q(out.bitstateFill)}`);
  if (typeof out.seconds !== 'number' || !(out.seconds >= 0) || !Number.isFinite(out.seconds)) r.fail('$.outcome.seconds', `expected a number of seconds, got ${q(out.seconds)}`);
  if (expanded > states) r.fail('$.outcome.expanded', `${expanded} states expanded, but only ${states} were seen`);
  if (status === 'cancelled') r.fail('$.outcome.status', 'a member run on its own is never cancelled (no other member shares its bound)');
  // A signal stops the member (status interrupted; time-limit when its time limit had stopped it first, and in files of earlier versions).
  if (t.interrupted !== null) {
    r.oneOf(t.interrupted, '$.interrupted', ['SIGINT', 'SIGTERM']);
    if (status !== 'interrupted' && status !== 'time-limit') r.fail('$.interrupted', `an interrupted member's status is "interrupted", not ${q(status)}`);
  } else if (status === 'interrupted') r.fail('$.outcome.status', 'the status is "interrupted", but $.interrupted names no signal');

  const cov = r.obj(t.coverage, '$.coverage', COVERAGE_KEYS);
  const count = r.int(cov.count, '$.coverage.count', 0, cap);
  const capped = r.bool(cov.capped, '$.coverage.capped');
  const b64 = r.str(cov.fingerprints, '$.coverage.fingerprints');
  if (b64.length % 4 !== 0 || !BASE64.test(b64)) r.fail('$.coverage.fingerprints', 'expected base64');
  const bytes = Buffer.from(b64, 'base64');
  if (bytes.length !== count * 8) r.fail('$.coverage.fingerprints', `${bytes.length} bytes, expected 8 per fingerprint (${count} fingerprints)`);
  if (count > states) r.fail('$.coverage.count', `${count} fingerprints, but only ${states} states were seen`);
  if (!capped && count !== states) r.fail('$.coverage.count', `${count} fingerprints of ${states} states seen, and the list is not capped`);
  if (capped && count !== cap) r.fail('$.coverage.capped', `the list is capped at ${cap} but holds ${count}`);
  const fingerprints = new Uint32Array(count * 2);
  for (let i = 0; i < count * 2; i++) fingerprints[i] = bytes.readUInt32LE(4 * i);
  // The second word of a fingerprint has its low bit set (fingerprint2), never 0: the sets that union them take 0 as an empty slot.
  for (let i = 1; i < count * 2; i += 2) if ((fingerprints[i]! & 1) === 0) r.fail('$.coverage.fingerprints', `fingerprint ${(i - 1) / 2} is not one mmcheck writes (its second word is even)`);

  if (t.violation === null) {
    if (status === 'violation') r.fail('$.violation', 'missing: the status is "violation"');
  } else {
    if (status !== 'violation') r.fail('$.violation', `present, but the status is ${q(status)}`);
    const v = r.obj(t.violation, '$.violation', VIOLATION_KEYS);
    r.str(v.kind, '$.violation.kind', true);
    r.str(v.property, '$.violation.property', true);
    r.int(v.length, '$.violation.length');
    r.int(v.cost, '$.violation.cost', 0, expanded);
    // A member stops at its violation, whose cost is the states it had expanded then: the winner is picked by it.
    if (v.cost !== expanded) r.fail('$.violation.cost', `${v.cost}, but the member stopped at its violation after ${expanded} expanded states (the cost is that count)`);
    let trace: TraceFile;
    try {
      trace = parseTrace(JSON.stringify(v.trace), `${source} at $.violation.trace`);
    } catch (e) {
      if (isMcError(e)) throw new McError(e.code, `swarm member result ${q(source)}, at $.violation.trace: ${e.message}`);
      throw e;
    }
    if (trace.property.kind !== v.kind) r.fail('$.violation.kind', `${q(v.kind)}, but the trace's property is a ${trace.property.kind}`);
    if (trace.property.name !== v.property) r.fail('$.violation.property', `${q(v.property)}, but the trace's property is ${q(trace.property.name)}`);
    if (trace.steps.length !== v.length) r.fail('$.violation.length', `${v.length}, but the trace has ${trace.steps.length} steps`);
    if (trace.modelFile !== undefined) r.fail('$.violation.trace.modelFile', 'a member result names no model file (results are data; the model is given to swarm-merge)');
    for (const f of ['model', 'variant', 'modelHash'] as const)
      if (trace[f] !== run[f]) r.fail(`$.violation.trace.${f}`, `${q(trace[f])}, but the run's is ${q(run[f])}`);
    if (JSON.stringify(sortedEntries(trace.params)) !== JSON.stringify(sortedEntries(params))) r.fail('$.violation.trace.params', `${q(trace.params)}, but the run's are ${q(params)}`);
  }
  return { source, result: t as unknown as MemberResult, fingerprints };
}

const sortedEntries = (o: object) => Object.entries(o).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
