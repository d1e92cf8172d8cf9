/**
 * SIGINT and SIGTERM during a run: instead of ending the process at once,
 * they call `handler` (with how many stop signals have arrived so far), so
 * that the run can stop its search and print what it reached. The returned
 * function removes the handlers: one process may run many commands (the
 * tests), and after a run the signals must mean what they meant before.
 */
export type StopSignal = 'SIGINT' | 'SIGTERM';

export function onStopSignals(handler: (signal: StopSignal, count: number) => void): () => void {
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
  };
}
