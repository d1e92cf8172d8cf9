/**
 * The time a cache line takes to go from one CPU to another and back, as two
 * threads of this process see it: the main thread and a worker thread pass a
 * counter through one word of a SharedArrayBuffer, spinning, `trips` times.
 *
 * On a virtual machine it tells where the host put the two virtual CPUs: on
 * this project's 2-CPU machine it is about 100 to 140 ns at some times and
 * 340 to 370 ns at others (the CPUs then share no cache), and the two-worker
 * search of peterson(5) is about 10% slower in the second case (one worker's
 * is not affected: docs/multicore.md). The bench records it around each
 * two-worker pass, so that its ratios can be read.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

const PARTNER = `
const { workerData } = require('node:worker_threads');
const a = new Int32Array(workerData.sab);
Atomics.store(a, 16, 1);
for (let i = 0; i < workerData.trips; i++) {
  while (Atomics.load(a, 0) !== 2 * i + 1) {}
  Atomics.store(a, 0, 2 * i + 2);
}
`;

/** Median of three runs of `trips` round trips, in whole nanoseconds per round trip; null on one CPU (each trip would wait for the scheduler). */
export async function coreRoundTripNs(trips = 500_000): Promise<number | null> {
  if (availableParallelism() < 2) return null;
  const runs: number[] = [];
  for (let k = 0; k < 3; k++) {
    const sab = new SharedArrayBuffer(128);
    const a = new Int32Array(sab);
    const w = new Worker(PARTNER, { eval: true, workerData: { sab, trips } });
    const failed = new Promise<never>((_, fail) => w.once('error', fail));
    await Promise.race([
      (async () => {
        // The partner's thread is up (it may take a few milliseconds to start).
        while (Atomics.load(a, 16) === 0) await new Promise((r) => setTimeout(r, 1));
      })(),
      failed,
    ]);
    const t0 = performance.now();
    for (let i = 0; i < trips; i++) {
      Atomics.store(a, 0, 2 * i + 1);
      // A partner that died would leave this loop spinning for ever: give up after a few seconds of it.
      for (let spins = 0; Atomics.load(a, 0) !== 2 * i + 2; ) if (++spins === 1e9) throw new Error('core-latency: the partner thread stopped answering');
    }
    runs.push(((performance.now() - t0) * 1e6) / trips);
    await w.terminate();
  }
  runs.sort((x, y) => x - y);
  return Math.round(runs[1]!);
}
