import type { Model } from '../model/define.ts';
import { McError, q } from '../model/errors.ts';
import { buildModel } from '../model/build.ts';
import type { LockDecl } from '../model/blocks/block.ts';
import { Runtime } from '../exec/runtime.ts';
import type { IncompleteReason } from '../search/types.ts';
import type { TraceFile } from '../trace/format.ts';
import type { ParsedMember } from '../trace/member-result.ts';
import { checkedReplay, type ReplayOutcome } from '../trace/replay.ts';
import { declaredLocks, explainTrace, type BlockedReport } from '../trace/blocked.ts';
import { traceDocsOf, type StepDocs } from '../trace/docs.ts';
import { verifyTrace, type TraceVerification } from '../trace/verify.ts';
import { ReplayHalted, type ReplayAt, type ReplayWatch } from '../trace/watch.ts';
import type { SearchCell } from './search-cell.ts';
import { mergeMembers, type MergedSwarm } from './swarm-merge.ts';
import type { StopSignal } from './signals.ts';

/**
 * What `replay`, `show`, `minimize` (its check that the trace reproduces)
 * and `swarm-merge` do with the model, as jobs for a watched thread
 * (`SearchThread.trace`): loading a model, building it and re-executing a
 * trace's steps run the model's code, which may never return. In the thread,
 * a signal, `--time-limit` or the memory ceiling stop it between two parts
 * of a re-execution, or end the thread when a part does not return, and the
 * command says where it was. A job and its result are plain data (a trace
 * and options in; outcomes, reports and docs out): nothing of the model
 * crosses threads, and the model comes only from the command line.
 */

/**
 * The model a job loads: a model file or a built-in name as the command line
 * gave it (`--model`), or, `builtinOnly`, a built-in model of that name only
 * (the one a trace or a member result names: data never make mmcheck import
 * a file). A model file is loaded first by `SearchThread.prepare`, watched.
 */
export interface TraceModelRef {
  readonly ref: string;
  readonly cwd: string;
  readonly builtinOnly: boolean;
}

export type TraceJob =
  /** `replay`, and `minimize`'s check: `checkedReplay` on `variant` (undefined: the trace's own); with `explain`, the blocked threads of a deadlock or livelock it reproduces. */
  | { readonly kind: 'replay'; readonly trace: TraceFile; readonly variant?: string | null; readonly explain: boolean }
  /** `show`: the trace verified on the model, and what the model says of a trace it reproduces (the steps' docs, the declared locks, the blocked threads). */
  | { readonly kind: 'show'; readonly trace: TraceFile }
  /** `swarm-merge`: the members' results merged, every counterexample replayed (`mergeMembers`). */
  | { readonly kind: 'merge'; readonly members: readonly ParsedMember[]; readonly allowMissing: boolean; /** `--model` as given, for a message. */ readonly given?: string };

export interface ReplayJobResult {
  readonly outcome: ReplayOutcome;
  readonly blocked: BlockedReport | null;
}

export interface ShowJobResult {
  readonly verification: TraceVerification;
  /** Of a trace the model reproduces (`verification.level` `replayed`); undefined, empty and null otherwise. */
  readonly docs: StepDocs | undefined;
  readonly locks: readonly LockDecl[];
  readonly blocked: BlockedReport | null;
  /** The model file's absolute path (none for a built-in model), for the commands the rendering prints. */
  readonly source?: string;
}

/** A merge without its options (the command has the run they come from). */
export type MergeJobResult = Omit<MergedSwarm, 'options'>;

/**
 * What a job is doing, as it tells it: replaying the trace, explaining its
 * blocked threads, building the model for the steps' docs and locks,
 * building the model a swarm's members ran, replaying a member's
 * counterexample; with the variant it built last (undefined before it
 * built) and, for a member, its index.
 */
export interface TraceTask {
  readonly task: 'replay' | 'explain' | 'docs' | 'build' | 'member';
  readonly variant?: string | null;
  readonly member?: number;
}

/** What a job tells as it runs: a task begins (rare), and where in the model's code it is (`ReplayWatch`, at every step). */
interface TraceProbe {
  readonly task: (t: TraceTask) => void;
  readonly watch: ReplayWatch;
}

/** What the thread posts for a job: its result, no built-in model of the name given (`builtinOnly`), or where it stopped when asked to (`started`: after it had run any of the model's code). */
export type TraceJobMessage = { readonly done: unknown } | { readonly noModel: true } | { readonly halted: { readonly at: ReplayAt; readonly index: number; readonly started: boolean } };

/**
 * A job stopped before it ended: by a signal, the time limit or the memory
 * ceiling, between two parts of its work or (`forced`) by ending the thread
 * when a part did not return in time. `task` (null: it had not begun, or
 * had run none of the model's code), `at` and `index` say where it was.
 */
export interface TraceStop {
  readonly reason: IncompleteReason;
  readonly signal: StopSignal | null;
  readonly forced: boolean;
  readonly task: TraceTask | null;
  readonly at: ReplayAt | null;
  /** The trace step (0-based) at `at` `step`; -1 otherwise. */
  readonly index: number;
  readonly seconds: number;
}

/** A supervised job: its result, no such built-in model, or where it was stopped. */
export type SupervisedTrace<T> = { readonly done: T } | { readonly noModel: true } | { readonly stopped: TraceStop };

/**
 * The probe of a job in a watched thread: a task is told to the watcher
 * (`tell`, a message) with the variant it builds, and each part is
 * published into the cell before it runs; a stop requested by the watcher
 * throws `ReplayHalted` there.
 */
function cellProbe(cell: SearchCell, tell: (t: TraceTask) => void): TraceProbe & { readonly started: () => boolean } {
  let current: TraceTask | null = null;
  let parts = 0;
  return {
    task(t) {
      current = t;
      cell.replayAt(null);
      tell(t);
    },
    watch(at, index, variant) {
      if (at === 'build' && variant !== undefined && current !== null) {
        current = { ...current, variant };
        tell(current);
      }
      cell.replayAt(at, index);
      if (cell.stopRequested() !== null) throw new ReplayHalted(at, index);
      parts++;
    },
    started: () => parts > 0,
  };
}

/** Run a job on `model` in a watched thread: its result, or where it stopped when asked to. */
export function runTraceJob(job: TraceJob, model: Model, cell: SearchCell, tell: (t: TraceTask) => void): TraceJobMessage {
  const probe = cellProbe(cell, tell);
  try {
    return { done: traceJobResult(job, model, probe) };
  } catch (e) {
    if (e instanceof ReplayHalted) return { halted: { at: e.at, index: e.index, started: probe.started() } };
    throw e;
  }
}

/** What a job computes, as the commands computed it in their own thread before. */
function traceJobResult(job: TraceJob, model: Model, probe: TraceProbe): ReplayJobResult | ShowJobResult | MergeJobResult {
  switch (job.kind) {
    case 'replay': {
      probe.task({ task: 'replay' });
      const outcome = checkedReplay(job.trace, model, job.variant, probe.watch);
      if (!job.explain || outcome.status !== 'reproduced') return { outcome, blocked: null };
      // Who is stuck and on what, on the variant replayed on.
      probe.task({ task: 'explain' });
      const t = job.trace;
      return { outcome, blocked: explainTrace(model, outcome.variant === t.variant ? t : { ...t, variant: outcome.variant }, probe.watch) };
    }
    case 'show': {
      const t = job.trace;
      probe.task({ task: 'replay' });
      const verification = verifyTrace(t, model, undefined, probe.watch);
      // What the model says of the steps (docs, locks, why threads are blocked) only of a trace it reproduces: a model that changed since may mean other things by the same step names.
      const same = verification.level === 'replayed' ? model : null;
      let docs: StepDocs | undefined;
      let locks: readonly LockDecl[] = [];
      let blocked: BlockedReport | null = null;
      if (same !== null) {
        probe.task({ task: 'docs' });
        probe.watch('build', -1, t.variant);
        docs = traceDocsOf(t, same);
        locks = declaredLocks(same, t);
        probe.task({ task: 'explain' });
        blocked = explainTrace(same, t, probe.watch);
      }
      return { verification, docs, locks, blocked, ...(model.source !== undefined ? { source: model.source } : {}) };
    }
    case 'merge': {
      const run = job.members[0]!.result.run;
      // Another model may have no such variant or parameters: say which model the members ran, not what this one lacks.
      if (model.name !== run.model) throw new McError('MC439', `the members ran model ${q(run.model)}, not model ${q(model.name)}${job.given !== undefined ? ` (--model ${job.given})` : ''}: merge with the model the members were given`);
      probe.task({ task: 'build' });
      probe.watch('build', -1, run.variant);
      const rt = new Runtime(buildModel(model, run.variant, run.params));
      const { options: _o, ...merged } = mergeMembers(job.members, model, rt, job.allowMissing, {
        member: (member) => probe.task({ task: 'member', member }),
        replay: probe.watch,
      });
      return merged;
    }
  }
}
