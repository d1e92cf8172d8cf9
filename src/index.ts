/**
 * mmcheck: the public entry. Named exports only.
 */
export { bool, int, oneOf, array, threadId } from './model/domains.ts';
export type { ArrayView, Scalar } from './model/domains.ts';
export { defineModel, thread, replicate, isModel, expectationsOf, resolveParams } from './model/define.ts';
export type {
  Model,
  ModelDef,
  StepDef,
  ThreadDef,
  ThreadGroupDef,
  VariantDef,
  Expectation,
  StateView,
  LocalView,
  ReadonlyStateView,
  ReadonlyLocalView,
  SharedSpec,
  LocalSpec,
  ThreadSpec,
  ParamsFor,
  ParamValues,
  ParamOverrides,
  Params,
  Fairness,
  ViolationKind,
} from './model/define.ts';
export { McError, isMcError } from './model/errors.ts';
export { buildModel } from './model/build.ts';
export type { BuiltModel } from './model/build.ts';
export { search } from './search/check.ts';
export type { SearchOptions, SearchResult } from './search/types.ts';
export { check, replay, minimize, readTrace, writeTrace, render, blockedThreads } from './run/api.ts';
export type { BlockedReport, BlockedThread, WaitFor } from './trace/blocked.ts';
export type { CheckOptions, CheckResult, RenderFormat, RenderOptions } from './run/api.ts';
export type { TraceFile, TraceStep } from './trace/format.ts';
export type { ReplayOutcome, ReplayStatus, ReplayStop } from './trace/replay.ts';
export type { MinimizeStats } from './trace/minimize.ts';
export type { ErrorAt, ErrorPath, LocatedError } from './trace/error-path.ts';
export type { FoundViolation, IncompleteReason, ProgressInfo, SearchStats } from './search/types.ts';
export type { CycleSearchAt } from './search/cycle-progress.ts';
export {
  combine,
  allOf,
  inOrder,
  declareLock,
  spinlock,
  mutex,
  rwsem,
  pageLock,
  refcount,
  intervalNotifier,
  intervalSubscriptions,
  completion,
  waitQueue,
  onCpus,
  workqueue,
  wwMutex,
} from './model/blocks/index.ts';
export type { Block, BlockShared, LockDecl, LockKind, Fragment, StepMap, BlockSteps, Lock, Rwsem, PageLock, Refcount, IntervalNotifier, IntervalSubscriptions, Completion, WaitQueue, CpuBinding, Preempt, Workqueue, WorkerBody, WwMutex, WwAlgorithm } from './model/blocks/index.ts';
