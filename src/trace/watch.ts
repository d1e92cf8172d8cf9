/**
 * Where a re-execution of a trace is, for a watcher: replay, the blocked
 * threads' report and the show command's check re-execute a trace's steps
 * on the model (its code), and a thread that runs them for a command tells
 * where it is before each part, so that a step that never returns is named
 * and a stop can be made between two parts.
 */

/**
 * What part of a re-execution runs the model's code: building the model
 * (and its initial state) for a variant, a step of the trace, or judging in
 * the final state (the property, or which threads are blocked).
 */
export type ReplayAt = 'build' | 'step' | 'judge';

/**
 * Told before each part of a re-execution that runs the model's code:
 * `build` with the variant built (null: none), `step` with the trace step's
 * 0-based index, `judge` (index -1). A watched thread publishes where it is,
 * so that a part that never returns can be named, and throws
 * `ReplayHalted` there to stop when asked.
 */
export type ReplayWatch = (at: ReplayAt, index: number, variant?: string | null) => void;

/** Thrown by a `ReplayWatch` to stop a re-execution where it is (a signal, a limit); never caught as the model's error. */
export class ReplayHalted extends Error {
  constructor(readonly at: ReplayAt, readonly index: number) {
    super('the re-execution of the trace was stopped');
    this.name = 'ReplayHalted';
  }
}
