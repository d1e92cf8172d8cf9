import type { BuiltModel } from '../model/build.ts';
import type { ProgressInfo, SearchMonitor } from './types.ts';

/**
 * How far the cycle search of a livelock check has got, for the progress
 * line and for a search stopped there (a signal, the time limit, the memory
 * ceiling). The search runs tasks one after another (liveness.ts: the
 * livelock pass, the states on cycles, a starvation pass per thread with
 * progress labels; sym-liveness.ts: the livelock pass, one starvation pass
 * per symmetric group), then draws the counterexample's lasso. What a pass
 * has visited is the count of states its SCC search has numbered, which it
 * keeps anyway (`SccState.counter`): reporting reads it at the polls the
 * search makes every 4096 steps, so the search does no more work for it.
 */

/** What a task of the cycle search looks for. */
export type CycleTaskKind = 'livelock' | 'cycles' | 'starvation' | 'lasso';

export interface CycleSearchAt {
  /** The task under way, 1-based, of `tasks`. */
  readonly task: number;
  readonly tasks: number;
  /** `livelock`: fair non-progress cycles; `cycles`: the states on some cycle (which the starvation passes then search); `starvation`: of `thread`; `lasso`: the counterexample drawn. */
  readonly looksFor: CycleTaskKind;
  /** The thread whose starvation the task looks for (under --symmetry its group's, `name[*]`); null for the other tasks. */
  readonly thread: string | null;
  /** States the task has visited so far (the symmetry quotient's nodes under --symmetry); null while the lasso is drawn, or before a helper thread that runs the task has said. */
  readonly visited: number | null;
  /** The states the task visits at most: every stored one, or those on cycles. */
  readonly of: number;
  /** Whether a helper thread of `--workers` runs the task (its count is the helper's, which the search thread waits for). */
  readonly helper: boolean;
}

/** The kinds as the search publishes them (`SearchMonitor.cycleSearch`): 1 + the index here; a symmetric group's starvation is its own kind. */
const KINDS = ['livelock', 'cycles', 'starvation', 'group-starvation', 'lasso'] as const;
export type CycleKindCode = (typeof KINDS)[number];
/** Or'ed into a published kind when a helper thread runs the task. */
export const HELPER_KIND = 0x10;

/**
 * The `CycleSearchAt` of the numbers a search published: `kind` 1 +
 * index in KINDS, or'ed with HELPER_KIND when a helper thread runs the
 * task, `thread` an index into the model's threads (-1: none), `visited`
 * -1 for none (a task other than the lasso without a count is a helper's).
 */
export function cycleSearchAt(model: BuiltModel, task: number, tasks: number, kind: number, thread: number, visited: number, of: number): CycleSearchAt | null {
  const k = KINDS[(kind & ~HELPER_KIND) - 1];
  if (k === undefined || task < 1) return null;
  const th = thread >= 0 ? model.threads[thread] : undefined;
  const name = th === undefined ? null : k === 'group-starvation' && th.template.replicated ? `${th.template.name}[*]` : th.name;
  const helper = k !== 'lasso' && ((kind & HELPER_KIND) !== 0 || visited < 0);
  return { task, tasks, looksFor: k === 'group-starvation' ? 'starvation' : k, thread: name, visited: visited < 0 ? null : Math.min(visited, of), of, helper };
}

/** `task 2 of 9, starvation of cpu[1]: 1,234 of 5,678 states`, as the progress line and an incomplete run say it. */
export function cycleSearchText(at: CycleSearchAt): string {
  const n = (x: number): string => x.toLocaleString('en-US');
  const what = at.looksFor === 'livelock' ? 'non-progress cycles' : at.looksFor === 'cycles' ? 'the states on cycles' : at.looksFor === 'starvation' ? `starvation of ${at.thread}` : "drawing the counterexample's lasso";
  const where = at.visited === null ? (at.looksFor === 'lasso' ? '' : ': run by a helper thread') : `: ${n(at.visited)} of ${n(at.of)} states visited${at.helper ? ' by a helper thread' : ''}`;
  return `task ${at.task} of ${at.tasks}, ${what}${where}`;
}

/**
 * The cycle search's side of it: `begin` each task (a report at once for
 * the first, so that the line says the phase has changed; later ones at most
 * once a second, as the exploration's), `poll` at the search's polls with
 * the count its SCC search keeps. Every poll also publishes where the search
 * is to the monitor (`cycleSearch`), whose watcher reports it when it has to
 * end a search that no longer polls.
 */
export class CycleProgress {
  private task = 0;
  private tasks = 0;
  private kind = 0;
  private thread = -1;
  private of = 0;
  private visited = -1;
  /** Whether a helper thread runs the task (its counts come through `helperPoll`). */
  private helper = false;
  private last = -Infinity;

  constructor(
    private readonly model: BuiltModel,
    private readonly onProgress: ((p: ProgressInfo) => void) | null,
    private readonly monitor: SearchMonitor | null,
    /** When the search started (performance.now()), for the report's seconds. */
    private readonly start: number,
    /** What the exploration reached, which the report repeats. */
    private readonly explored: { readonly states: number; readonly transitions: number; readonly depth: number; readonly bytes: number },
  ) {}

  /** The number of tasks (known once the search has counted its passes). */
  setTasks(n: number): void {
    this.tasks = n;
  }

  /** Task `task` (0-based) begins: it looks for `kind` (of thread `thread`, -1 for none) over `of` states; `visited` null: another thread runs it. */
  begin(task: number, kind: CycleKindCode, thread: number, of: number, visited: 0 | null = 0): void {
    this.task = task + 1;
    this.kind = 1 + KINDS.indexOf(kind);
    this.thread = thread;
    this.of = of;
    this.visited = visited === null ? -1 : 0;
    this.helper = visited === null && kind !== 'lasso';
    this.publish();
    // The first task's report marks the change of phase; the others come with the polls' once a second.
    this.report(performance.now(), this.last === -Infinity);
  }

  /** At a poll of the search: the task has visited `visited` states so far. */
  poll(visited: number, now: number): void {
    if (!this.helper && this.visited >= 0) this.visited = visited;
    this.publish();
    this.report(now, false);
  }

  /** While the search thread waits for a helper's task: the helper has visited `visited` of `of` states (-1, 0: it has not said yet). */
  helperPoll(visited: number, of: number, now: number): void {
    if (this.helper && visited >= 0) {
      this.visited = visited;
      if (of > 0) this.of = of;
    }
    this.publish();
    this.report(now, false);
  }

  /** Where the search is now (null before its first task). */
  at(): CycleSearchAt | null {
    return cycleSearchAt(this.model, this.task, this.tasks, this.kind | (this.helper ? HELPER_KIND : 0), this.thread, this.visited, this.of);
  }

  private publish(): void {
    this.monitor?.cycleSearch?.(this.task, this.tasks, this.kind | (this.helper ? HELPER_KIND : 0), this.thread, this.visited, this.of);
  }

  private report(now: number, force: boolean): void {
    if (this.onProgress === null || (!force && now - this.last < 1000)) return;
    this.last = now;
    const e = this.explored;
    const cycle = this.at();
    this.onProgress({ phase: 'liveness', states: e.states, transitions: e.transitions, depth: e.depth, frontier: 0, seconds: (now - this.start) / 1000, bytes: e.bytes, ...(cycle !== null ? { cycle } : {}) });
  }
}
