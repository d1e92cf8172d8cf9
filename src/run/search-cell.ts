import type { IncompleteReason, SearchMonitor, SearchPhase } from '../search/types.ts';
import type { ReplayAt } from '../trace/watch.ts';
import { rssReader } from './monitor.ts';

/**
 * The SharedArrayBuffer a supervised search shares with the thread that
 * watches it: the search writes how far it got at every poll of its monitor
 * (a few plain stores), the watcher writes a stop request that the next poll
 * returns. If the search never polls again (a step that does not return),
 * the watcher still has the last published counts to report.
 *
 * ```
 * byte  0       4       8          16            24      32         40      48        56     60        64     68
 *      [ stop  | phase | states    | transitions | depth | frontier | bytes | started | busy  | workers | at    | index
 *        Int32   Int32   Float64 ...                                                   Int32   Int32     Int32   Int32
 *
 *       72     76      80     84       88        96       104
 *      | task | tasks | kind | thread | visited | of      | over ]
 *        Int32  Int32   Int32  Int32    Float64   Float64   Int32
 * ```
 * stop: 0 none, else 1 + index in STOP_REASONS; phase: 0 not started, else
 * 1 + index in PHASES. Counts are Float64 (state counts pass 2^32).
 * started: when the search began, in ms since the epoch (0 before), so that
 * the watcher's time limit counts from there, as the search's own clock does.
 * busy: 1 while the search grows a table (`SearchMonitor.busy`): work of its
 * own that does not poll, which the watcher waits for.
 * workers: the threads taking part so far (0: not told, as a one-thread
 * search does not tell).
 * at, index: where a re-execution of a trace is (`ReplayWatch`): 0 not
 * told, else 1 + index in REPLAY_ATS; the trace step's 0-based index (-1
 * for none).
 * task .. of: where the cycle search of a livelock check is
 * (`SearchMonitor.cycleSearch`; task 0: not told).
 * over: 1 once the search is over, or has read the stop request
 * (`stopRequested`, which only the search's side calls): from then on it
 * winds down in its own code and runs no step of the model (it stops its
 * helpers, waits for their last output, sends its result), which the
 * watcher waits for as it does for a table growth.
 */
const STOP_REASONS: readonly IncompleteReason[] = ['time-limit', 'memory-limit', 'interrupted', 'max-states'];
const PHASES: readonly SearchPhase[] = ['explore', 'liveness', 'bitstate', 'minimize', 'replay'];
const REPLAY_ATS: readonly ReplayAt[] = ['build', 'step', 'judge'];
const STOP = 0;
const PHASE = 1;
const STATES = 1;
const TRANSITIONS = 2;
const DEPTH = 3;
const FRONTIER = 4;
const BYTES = 5;
const STARTED = 6;
/** Int32 index of the busy word (byte 56). */
const BUSY = 14;
/** Int32 index of the workers word (byte 60). */
const WORKERS = 15;
/** Int32 indexes of a re-execution's part and trace step (bytes 64 and 68). */
const REPLAY_AT = 16;
const REPLAY_INDEX = 17;
/** Int32 indexes of the cycle search's task, task count, kind and thread (bytes 72 to 84); Float64 indexes of its visited and total states (bytes 88 and 96). */
const CYCLE_TASK = 18;
const CYCLE_TASKS = 19;
const CYCLE_KIND = 20;
const CYCLE_THREAD = 21;
const CYCLE_VISITED = 11;
const CYCLE_OF = 12;
/** Int32 index of the over word (byte 104). */
const OVER = 26;

export interface CellSnapshot {
  readonly phase: SearchPhase | null;
  readonly states: number;
  readonly transitions: number;
  readonly depth: number;
  readonly frontier: number;
  readonly bytes: number;
  /** Threads taking part so far (0: not told). */
  readonly workers: number;
  /** Where a re-execution of a trace is (`replayAt`), null when it has not told. */
  readonly replay: { readonly at: ReplayAt; readonly index: number } | null;
  /** Where the cycle search is (`SearchMonitor.cycleSearch`'s numbers), null when it has not told. */
  readonly cycle: { readonly task: number; readonly tasks: number; readonly kind: number; readonly thread: number; readonly visited: number; readonly of: number } | null;
}

export class SearchCell {
  readonly buffer: SharedArrayBuffer;
  private readonly i32: Int32Array;
  private readonly f64: Float64Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(108)) {
    this.buffer = buffer;
    this.i32 = new Int32Array(buffer, 0, 27);
    this.f64 = new Float64Array(buffer, 0, 13);
  }

  /** Clear every word before the next search of a reusable thread (the search thread is idle then). */
  reset(): void {
    this.i32.fill(0);
  }

  /** Ask the search to stop at its next poll; the first request wins. */
  requestStop(reason: IncompleteReason): void {
    Atomics.compareExchange(this.i32, STOP, 0, 1 + STOP_REASONS.indexOf(reason));
  }

  /** The search's side: the stop asked for, if any. Asked for, the search stops, and so winds down (`windDown`). */
  stopRequested(): IncompleteReason | null {
    const s = Atomics.load(this.i32, STOP);
    if (s === 0) return null;
    this.windDown();
    return STOP_REASONS[s - 1]!;
  }

  /** The search's side: the search is over (done, stopped by a limit of its own or asked to): no step of the model runs any more. */
  windDown(): void {
    Atomics.store(this.i32, OVER, 1);
  }

  /** The watcher's side: whether the search winds down in its own code (`windDown`). */
  windingDown(): boolean {
    return Atomics.load(this.i32, OVER) !== 0;
  }

  publish(phase: SearchPhase, states: number, transitions: number, depth: number, frontier: number, bytes: number): void {
    const f = this.f64;
    f[STATES] = states;
    f[TRANSITIONS] = transitions;
    f[DEPTH] = depth;
    f[FRONTIER] = frontier;
    f[BYTES] = bytes;
    this.i32[PHASE] = 1 + PHASES.indexOf(phase);
  }

  /** The search begins now, in `phase`. */
  start(phase: SearchPhase): void {
    this.f64[STARTED] = performance.timeOrigin + performance.now();
    this.publish(phase, 0, 0, 0, 0, 0);
  }

  /** The search enters (true) or leaves (false) a table growth (`SearchMonitor.busy`). */
  setBusy(on: boolean): void {
    Atomics.store(this.i32, BUSY, on ? 1 : 0);
  }

  /** The threads taking part in the search so far (`SearchMonitor.workers`). */
  setWorkers(n: number): void {
    Atomics.store(this.i32, WORKERS, n);
  }

  /** A re-execution of a trace is now at `at` (null: not in the model's code), trace step `index` (`ReplayWatch`). */
  replayAt(at: ReplayAt | null, index = -1): void {
    this.i32[REPLAY_AT] = at === null ? 0 : 1 + REPLAY_ATS.indexOf(at);
    this.i32[REPLAY_INDEX] = index;
  }

  /** The cycle search is at task `task` of `tasks` (`SearchMonitor.cycleSearch`). */
  cycleAt(task: number, tasks: number, kind: number, thread: number, visited: number, of: number): void {
    const i = this.i32;
    const f = this.f64;
    i[CYCLE_TASK] = task;
    i[CYCLE_TASKS] = tasks;
    i[CYCLE_KIND] = kind;
    i[CYCLE_THREAD] = thread;
    f[CYCLE_VISITED] = visited;
    f[CYCLE_OF] = of;
  }

  /** Where a re-execution of a trace is: null when it has not told (`replayAt`). */
  replayPosition(): { readonly at: ReplayAt; readonly index: number } | null {
    const a = this.i32[REPLAY_AT]!;
    return a === 0 ? null : { at: REPLAY_ATS[a - 1]!, index: this.i32[REPLAY_INDEX]! };
  }

  /** Whether the search is growing a table now. */
  busy(): boolean {
    return Atomics.load(this.i32, BUSY) !== 0;
  }

  /** When the search began, in ms since the epoch; 0 while the model is loading. */
  startedAt(): number {
    return this.f64[STARTED]!;
  }

  snapshot(): CellSnapshot {
    const f = this.f64;
    const p = this.i32[PHASE]!;
    const i = this.i32;
    const cycle = i[CYCLE_TASK]! > 0 ? { task: i[CYCLE_TASK]!, tasks: i[CYCLE_TASKS]!, kind: i[CYCLE_KIND]!, thread: i[CYCLE_THREAD]!, visited: f[CYCLE_VISITED]!, of: f[CYCLE_OF]! } : null;
    return { phase: p === 0 ? null : PHASES[p - 1]!, states: f[STATES]!, transitions: f[TRANSITIONS]!, depth: f[DEPTH]!, frontier: f[FRONTIER]!, bytes: f[BYTES]!, workers: Atomics.load(i, WORKERS), replay: this.replayPosition(), cycle };
  }
}

/** The monitor a supervised search runs with: publishes into the cell, stops when asked; the peak resident memory is the watcher's to measure (here, the current one, read at most every RSS_FRESH_MS, `rssReader`). */
export function cellMonitor(cell: SearchCell, ceilingMB?: number): SearchMonitor {
  const rss = rssReader();
  return {
    ...(ceilingMB !== undefined ? { ceilingMB } : {}),
    poll(phase, states, transitions, depth, frontier, bytes) {
      cell.publish(phase, states, transitions, depth, frontier, bytes);
      return cell.stopRequested();
    },
    peakRssMB: () => rss() / (1024 * 1024),
    busy: (on) => cell.setBusy(on),
    workers: (n) => cell.setWorkers(n),
    cycleSearch: (task, tasks, kind, thread, visited, of) => cell.cycleAt(task, tasks, kind, thread, visited, of),
    windingDown: () => cell.windDown(),
  };
}
