/** The signals that stop a run: SIGINT (Ctrl-C) and SIGTERM (`kill`, a batch scheduler). */
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

/**
 * Where bin/mmcheck.js leaves the listeners every stop signal of the process
 * goes through (installed before anything else and never removed): `take`
 * adds a handler, until the function it returns is called.
 */
const STOP_SIGNALS = Symbol.for('mmcheck.stopSignals');

interface SignalHub {
  take(handler: (signal: StopSignal) => void): () => void;
}

/**
 * SIGINT and SIGTERM go to `handler`, with how many have come, until the
 * returned function is called. On the command line they come through
 * bin/mmcheck.js's listeners, which say what a signal does before, between
 * and after the parts of a run that take them (and hand a signal that came
 * between two parts to the next one); elsewhere (the API, the in-process
 * tests) through listeners of the process added here and removed after.
 */
export function onStopSignals(handler: (signal: StopSignal, count: number) => void): () => void {
  let count = 0;
  let installed = true;
  const hub = (globalThis as Record<symbol, unknown>)[STOP_SIGNALS] as SignalHub | undefined;
  if (hub !== undefined) {
    const release = hub.take((signal) => handler(signal, ++count));
    return () => {
      if (!installed) return;
      installed = false;
      release();
    };
  }
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
  };
}
