/**
 * Building blocks for kernel synchronisation: ordinary shared variables and
 * steps, written once with their kernel semantics (see docs/blocks.md).
 */
export { combine, allOf, inOrder, partsOf, leafFunctions, type Fragment, type StepMap, type BlockSteps } from './compose.ts';
export { declareLock, lockInstances, ownerName, isBlock, type LockInstance, type Block, type BlockShared, type LockDecl, type LockKind } from './block.ts';
export { spinlock, mutex, type Lock } from './lock.ts';
export { rwsem, type Rwsem } from './rwsem.ts';
export { pageLock, type PageLock } from './page-lock.ts';
export { refcount, type Refcount } from './refcount.ts';
export { intervalNotifier, intervalSubscriptions, type IntervalNotifier, type IntervalSubscriptions } from './interval-notifier.ts';
export { completion, type Completion } from './completion.ts';
export { waitQueue, type WaitQueue } from './wait-queue.ts';
export { onCpus, holdingLabels, type CpuBinding, type Preempt } from './cpus.ts';
export { workqueue, type Workqueue, type WorkerBody } from './workqueue.ts';
export { wwMutex, type WwMutex, type WwAlgorithm } from './ww-mutex.ts';
