import type { Fairness, ViolationKind } from '../model/define.ts';

export type Strategy = 'bfs' | 'dfs';
export type StoreMode = 'exact' | 'hash-compact' | 'bitstate';

/** Resolved options of one run; frozen, read once by the hot loops. */
export interface SearchOptions {
  readonly strategy: Strategy;
  readonly store: StoreMode;
  /** Partial-order reduction (deadlock and safety only). */
  readonly por: boolean;
  /** Symmetry reduction over replicated groups (safety only). */
  readonly symmetry: boolean;
  /** Bitstate: log2 of the number of bits; hash functions. */
  readonly bitstateBits: number;
  readonly bitstateHashes: number;
  readonly maxStates: number;
  /** Seconds; Infinity for none. */
  readonly timeLimit: number;
  /** Megabytes of state storage; Infinity for none. */
  readonly memoryLimitMB: number;
  /** Report deadlocks; null = as the model says. */
  readonly deadlock: boolean | null;
  /** Check fair non-progress cycles when the model declares progress. */
  readonly liveness: boolean;
  readonly fairness: Fairness;
  /** Called about once a second while searching. */
  readonly onProgress: ((p: ProgressInfo) => void) | null;
}

export const defaultOptions: SearchOptions = Object.freeze({
  strategy: 'bfs',
  store: 'exact',
  por: false,
  symmetry: false,
  bitstateBits: 27,
  bitstateHashes: 3,
  maxStates: Infinity,
  timeLimit: Infinity,
  memoryLimitMB: Infinity,
  deadlock: null,
  liveness: true,
  fairness: 'weak',
  onProgress: null,
});

export interface ProgressInfo {
  readonly phase: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly frontier: number;
  readonly seconds: number;
  readonly bytes: number;
}

/** One transition of a path: which thread instance took which step with which choice. */
export interface PathStep {
  readonly thread: number;
  readonly step: number;
  readonly choice: number;
}

export interface FoundViolation {
  readonly kind: ViolationKind;
  readonly property: string;
  /** Steps from the initial state; for an assertion, the last step is the failing one. */
  readonly steps: readonly PathStep[];
  /** For a livelock: index in `steps` where the cycle starts (the state before steps[cycleStart]). */
  readonly cycleStart?: number;
  /** For starvation: the thread that starves. */
  readonly starving?: string;
}

export type IncompleteReason = 'max-states' | 'time-limit' | 'memory-limit';

export interface SearchStats {
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  statesPerSecond: number;
  bytesPerState: number;
  storeBytes: number;
  peakRssMB: number;
  bitsPerState: number;
  words: number;
}

export interface ReductionInfo {
  /** POR: labels where an ample set may be taken. */
  porSafeLabels?: number;
  porNotes?: string[];
  /** Symmetry: permuted groups and the number of permutations. */
  symmetry?: string;
  permutations?: number;
  /** Non-exact stores: estimated number of states missed, and the probability that any was. */
  store?: { mode: StoreMode; expectedMissed: number; probabilityAnyMissed: number; bytesPerState: number };
}

export interface SearchResult {
  readonly verdict: 'pass' | 'violation' | 'incomplete';
  readonly violation: FoundViolation | null;
  readonly incomplete: { reason: IncompleteReason; states: number; depth: number; frontier: number } | null;
  readonly stats: SearchStats;
  readonly fairness: Fairness | null;
  readonly livenessChecked: boolean;
  readonly reduction: ReductionInfo;
}
