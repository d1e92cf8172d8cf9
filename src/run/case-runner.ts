import type { BuiltModel } from '../model/build.ts';
import type { SearchOptions } from '../search/types.ts';
import type { MemoryCeiling } from './memory-ceiling.ts';
import type { StopSignal } from './signals.ts';
import { SearchThread, type PrepareSpec, type Prepared, type SupervisedResult } from './supervise.ts';

/**
 * The searches of many expectations (`mmcheck test`, `mmcheck verdicts`),
 * each supervised as `check`'s is: `--time-limit` and the memory ceiling
 * hold even inside a step that never returns, and SIGINT / SIGTERM stop the
 * search under way with what it reached, where a search in the main thread
 * could only be killed. One reusable search thread runs them one after
 * another (starting a thread costs about 0.3 s, more than most of these
 * searches); a search that had to be ended, or that left much memory in its
 * thread's heap, is followed by a fresh thread.
 */
export class CaseRunner {
  private thread: SearchThread;
  private signal: StopSignal | null = null;

  /** Starts the thread at once (its start-up overlaps loading the models) and handles the stop signals until `close`. */
  constructor(private readonly memory: MemoryCeiling) {
    this.thread = this.spawn();
  }

  private spawn(): SearchThread {
    return SearchThread.spawn(this.memory, { signals: true, reusable: true });
  }

  /** The first stop signal since the runner started (null for none): the caller checks no further expectation. */
  get interruptedBy(): StopSignal | null {
    return this.signal ?? this.thread.interruptedBy;
  }

  /**
   * Load a model file (and build one of its models) in the thread first,
   * watched (`SearchThread.prepare`), before the caller does; a thread that
   * was ended (a hung load, a search ended by force) is replaced first. The
   * model built is what the next `run` of it searches.
   */
  prepare(spec: PrepareSpec, timeLimit: number): Promise<Prepared> {
    if (!this.thread.alive) this.replace();
    return this.thread.prepare(spec, { timeLimit });
  }

  /**
   * One search of `built` (loaded again in the thread from `modelRef`: a
   * built-in name or a model file's absolute path), with `search.workers`
   * threads (default 1): the helpers start once the search has run 250 ms, as
   * `check`'s default does, so that a short case pays for no thread.
   */
  async run(modelRef: string, built: BuiltModel, search: Partial<Omit<SearchOptions, 'onProgress' | 'monitor'>>): Promise<SupervisedResult> {
    if (!this.thread.alive) this.replace();
    const r = await this.thread.run(modelRef, built, { search: { ...search, workers: search.workers ?? 1 }, memory: this.memory, signals: true, onProgress: null });
    // A stopped search, or one that took half the ceiling, leaves its thread's heap large or its thread ended.
    if ((r.stop !== null || r.stats.peakRssMB > this.memory.mb / 2) && this.interruptedBy === null) this.replace();
    return r;
  }

  /** A fresh thread, started before the old one's signal handlers go, so that no signal falls between them. */
  private replace(): void {
    this.signal ??= this.thread.interruptedBy;
    const old = this.thread;
    this.thread = this.spawn();
    old.close();
  }

  close(): void {
    this.signal ??= this.thread.interruptedBy;
    this.thread.close();
  }
}
