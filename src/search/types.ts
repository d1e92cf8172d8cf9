import type { Coverage } from './coverage.ts';
import type { CycleSearchAt } from './cycle-progress.ts';
import type { Fairness, ViolationKind } from '../model/define.ts';

export type Strategy = 'bfs' | 'dfs';
export type StoreMode = 'exact' | 'hash-compact' | 'bitstate';

/** Resolved options of one run; frozen, read once by the hot loops. */
export interface SearchOptions {
  readonly strategy: Strategy;
  readonly store: StoreMode;
  /** Partial-order reduction (safety; livelocks only under fairness none). */
  readonly por: boolean;
  /** Symmetry reduction over replicated groups (liveness judged on the lift of the quotient). */
  readonly symmetry: boolean;
  /** Dead-variable reduction: a local is reset to its initial value where it is dead (src/reduce/dead-vars.ts). */
  readonly deadVars: boolean;
  /**
   * Depth-first search with POR: SPIN's stack cycle proviso (src/search/dfs-stack.ts) instead of the
   * numbering one. Usually fewer states; a search with several violations may meet another one first.
   */
  readonly stackProviso: boolean;
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
  /** Watches the search from outside (resident memory, for one); null for none. */
  readonly monitor: SearchMonitor | null;
  /** Threads of the breadth-first search (started by the run layer, `src/run/parallel-search.ts`); a pure `search()` uses one. */
  readonly workers: number;
  /** The livelock search keeps every state's successors after its first pass when they fit in memory (src/search/liveness.ts); false: it executes the steps again in every pass (the law tests compare both). */
  readonly edgeCache: boolean;
}

/**
 * What the caller watches while a search runs, injected so the search itself
 * does no I/O: the run layer supplies one over the process's resident memory.
 */
export interface SearchMonitor {
  /**
   * A reason to stop now, or null; polled where the search checks its limits
   * (every 256 to 4096 expansions) with how far the search has got, so that a
   * supervisor can report it even if the search never returns (a hung step).
   * `bytes` is the state storage in use. In the liveness phase the counts are
   * those the exploration ended with.
   */
  poll(phase: SearchPhase, states: number, transitions: number, depth: number, frontier: number, bytes: number): IncompleteReason | null;
  /** Peak resident memory in MB seen so far, for the stats (0 when unknown). */
  peakRssMB(): number;
  /**
   * The search enters (true) or leaves (false) a stretch of its own work
   * that does not poll and whose length grows with the states stored: a
   * table growth, which re-hashes every stored state (seconds, for tens of
   * millions). A supervisor that asked the search to stop waits for it to
   * end instead of ending the thread, and does not blame a step.
   */
  busy?(on: boolean): void;
  /** The threads taking part in the search so far (`SearchStats.workers`), told when it rises: a supervisor that ends the search thread by force reports it. */
  workers?(n: number): void;
  /** The resident-memory bound the supervisor enforces, in MB (the given `--memory-limit` or the default ceiling), when there is one: optional structures (the livelock search's edge cache) are sized within it. */
  readonly ceilingMB?: number;
  /**
   * Where the cycle search is, told at each of its polls (`CycleProgress`:
   * the task, 1-based, of `tasks`; what it looks for, as a code; the thread,
   * -1 for none; the states visited, -1 for none, of `of`): a supervisor that
   * ends the search thread by force reports it (`cycleSearchAt`).
   */
  cycleSearch?(task: number, tasks: number, kind: number, thread: number, visited: number, of: number): void;
  /** The search is over (done, or stopped): what is left is the engine's own (its helpers stopped and waited for), no step of the model. */
  windingDown?(): void;
}

/** Default log2 of the bitstate store's size in bits (2^27 bits = 16 MiB). */
export const DEFAULT_BITSTATE_BITS = 27;

export const defaultOptions: SearchOptions = Object.freeze({
  strategy: 'bfs',
  store: 'exact',
  por: false,
  symmetry: false,
  deadVars: false,
  stackProviso: false,
  bitstateBits: DEFAULT_BITSTATE_BITS,
  bitstateHashes: 3,
  maxStates: Infinity,
  timeLimit: Infinity,
  memoryLimitMB: Infinity,
  deadlock: null,
  liveness: true,
  fairness: 'weak',
  onProgress: null,
  monitor: null,
  workers: 1,
  edgeCache: true,
});

export interface ProgressInfo {
  readonly phase: string;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly frontier: number;
  readonly seconds: number;
  readonly bytes: number;
  /** In the cycle search of a livelock check (phase `liveness`; the counts are then the exploration's): its task and how far that has got. */
  readonly cycle?: CycleSearchAt;
}

export type { PathStep } from '../exec/step.ts';
import type { PathStep } from '../exec/step.ts';

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

/** `interrupted`: a monitor said stop on behalf of the user (SIGINT, SIGTERM). */
export type IncompleteReason = 'max-states' | 'time-limit' | 'memory-limit' | 'interrupted';

/** What a search is doing when it polls its monitor (`minimize`: the minimising search after a violation, `minimal.ts`; `replay`: a watched thread re-executing a trace for a command, which publishes no counts). */
export type SearchPhase = 'explore' | 'liveness' | 'bitstate' | 'minimize' | 'replay';

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
  /**
   * Threads that took part in the search: 1, or with the multi-core search
   * the search thread and the helpers that joined one of its rounds or the
   * cycle search's passes (when a search thread was stopped by force: those it had
   * told of by then, `SearchMonitor.workers`).
   */
  workers?: number;
}

export interface ReductionInfo {
  /** POR: labels where an ample set may be taken. */
  porSafeLabels?: number;
  porNotes?: string[];
  /**
   * Partial-order reduction: the states where the stubborn set left some
   * enabled step out (before the cycle proviso), and why steps cannot be
   * left out (visible steps, conflicts per variable, unknown footprints).
   */
  por?: { reducedStates: number; reasons: string[] };
  /** Dead-variable reduction: the locals found dead, per thread template and label, and what limited the analysis. */
  deadVars?: { dead: { thread: string; label: string; locals: string[] }[]; notes: string[] };
  /** Symmetry: permuted groups and the number of permutations. */
  symmetry?: string;
  permutations?: number;
  /** Non-exact stores: estimated number of states missed, and the probability that any was. */
  store?: { mode: StoreMode; expectedMissed: number; probabilityAnyMissed: number; bytesPerState: number };
}

/** A helper thread of the multi-core search that failed before it joined: its coded error, or (code null) an internal error's stack. */
export interface HelperError {
  readonly code: string | null;
  readonly message: string;
}

export interface SearchResult {
  readonly verdict: 'pass' | 'violation' | 'incomplete';
  readonly violation: FoundViolation | null;
  /**
   * `storeFullBytes`: memory-limit because a buffer of the multi-core store reached the most a growable shared buffer holds (not the memory limit).
   * `cycleSearch`: the search stopped in the cycle search of a livelock check, there (the counts are the exploration's).
   */
  readonly incomplete: { reason: IncompleteReason; states: number; depth: number; frontier: number; storeFullBytes?: number; cycleSearch?: CycleSearchAt } | null;
  readonly stats: SearchStats;
  readonly fairness: Fairness | null;
  readonly livenessChecked: boolean;
  readonly reduction: ReductionInfo;
  /** After a complete search without a violation: steps never fired and labels never reached (search/coverage.ts). */
  readonly coverage: Coverage | null;
  /**
   * The multi-core search: helper threads that failed before they joined
   * (their copy of the model did not load or build, was not the search
   * thread's, or ended its thread), one entry each; absent when none did.
   * The search went on without them: the rest of the result is the search
   * thread's, as with one worker.
   */
  readonly helperErrors?: readonly HelperError[];
}
