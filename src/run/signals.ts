/**
 * SIGINT and SIGTERM during a run: instead of ending the process at once,
 * they call `handler` (with how many stop signals have arrived so far), so
 * that the run can stop its search and print what it reached. The returned
 * function removes the handlers: one process may run many commands (the
 * tests), and after a run the signals must mean what they meant before.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

/**
 * A stop signal that came before any search started, while a thread loaded
 * or built a model file for the command (`SearchThread.prepare`): the run
 * ends at once, as bin/mmcheck.js ends it while the engine loads, with
 * `mmcheck: interrupted by SIGINT before any search started`, exit 3.
 */
export class InterruptedBeforeSearch extends Error {
  /** `before`: what had not started (a command that re-executes a trace says so: `the trace was re-executed`). */
  constructor(readonly signal: StopSignal, before = 'any search started') {
    super(`interrupted by ${signal} before ${before}`);
    this.name = 'InterruptedBeforeSearch';
  }
}

/** Where bin/mmcheck.js leaves the function that removes its start-up handlers. */
const EARLY_SIGNALS = Symbol.for('mmcheck.earlySignals');
/** Where bin/mmcheck.js leaves the function that takes the signals once a run has stopped handling them. */
const LATE_SIGNALS = Symbol.for('mmcheck.lateSignals');
/** And the function that takes those handlers off again. */
const LATE_SIGNALS_OFF = Symbol.for('mmcheck.lateSignalsOff');

/**
 * Remove the handlers bin/mmcheck.js installs first thing, which end the
 * process with exit 3 and a line while the engine and the command start
 * (Node's own handling would exit 130 without a word). A run that handles
 * the signals itself takes them over (`onStopSignals`); any other command
 * hands them back to Node before it starts. No-op outside the command line.
 */
export function releaseEarlySignals(): void {
  const early = (globalThis as Record<symbol, unknown>)[EARLY_SIGNALS];
  if (typeof early !== 'function') return;
  delete (globalThis as Record<symbol, unknown>)[EARLY_SIGNALS];
  (early as () => void)();
}

export function onStopSignals(handler: (signal: StopSignal, count: number) => void): () => void {
  // The handlers are ours from here on: the start-up ones would end the process, and so would those an earlier run of this command left for after it (a minimisation after the search).
  releaseEarlySignals();
  const lateOff = (globalThis as Record<symbol, unknown>)[LATE_SIGNALS_OFF];
  if (typeof lateOff === 'function') (lateOff as () => void)();
  let count = 0;
  let installed = true;
  const onInt = () => handler('SIGINT', ++count);
  const onTerm = () => handler('SIGTERM', ++count);
  // Runs side by side in one process (the in-process tests) each add a listener: raise the leak warning's threshold by ours, and lower it after.
  process.setMaxListeners(process.getMaxListeners() + 1);
  process.on('SIGINT', onInt);
  process.on('SIGTERM', onTerm);
  return () => {
    if (!installed) return;
    installed = false;
    process.off('SIGINT', onInt);
    process.off('SIGTERM', onTerm);
    process.setMaxListeners(Math.max(0, process.getMaxListeners() - 1));
    // On the command line, a signal after the run (while the process winds down) ends it with the run's code.
    const late = (globalThis as Record<symbol, unknown>)[LATE_SIGNALS];
    if (typeof late === 'function') (late as (interrupted: boolean) => void)(count > 0);
  };
}
