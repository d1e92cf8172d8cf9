import { fairnessName } from '../../model/fairness-text.ts';
import { describeBuilt } from '../../model/build.ts';
import { defaultSimulateOptions } from '../../search/simulate.ts';
import { Runtime } from '../../exec/runtime.ts';
import { memoryCeiling } from '../../run/memory-ceiling.ts';
import { SearchThread, type SupervisedSimulation } from '../../run/supervise.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, count, n, printError, type Io } from '../common.ts';
import { MODEL_FLAGS, OUTPUT_FLAGS, PROPERTY_FLAGS, SHARED_CONFLICTS } from '../flags.ts';
import { violationJson } from '../output.ts';
import { statusLine } from '../progress.ts';
import { againCommand, jsonHeader, printViolation, saveSeededTrace, seededRun, seededTrace } from '../seeded.ts';
import { jsonResult } from '../json-result.ts';

/**
 * `mmcheck simulate <model>`: seeded random walks. Finding nothing is not a
 * failure of the command (exit 0), and not a proof, which the output says.
 */
export const simulateCommand: Command = {
  name: 'simulate',
  summary: 'seeded random walks (finds bugs, proves nothing)',
  usage: 'simulate <model> [options]',
  positionals: ['model'],
  takes: 'one model (name or file)',
  flags: {
    ...MODEL_FLAGS,
    seed: { type: 'string', value: 'S', help: 'seed of the walks (default: from the clock, and printed)' },
    runs: { type: 'string', value: 'N', default: defaultSimulateOptions.runs, help: 'number of walks' },
    depth: { type: 'string', value: 'D', default: defaultSimulateOptions.depth, help: 'transitions per walk at most' },
    ...PROPERTY_FLAGS,
    fairness: { ...PROPERTY_FLAGS.fairness, default: defaultSimulateOptions.fairness },
    'time-limit': { type: 'string', value: 'S', default: defaultSimulateOptions.timeLimit, help: 'stop starting walks after S seconds' },
    ...OUTPUT_FLAGS,
  },
  conflicts: SHARED_CONFLICTS,
  notes: ['<model> is a built-in model name (see mmcheck list) or a path to a model file.', 'The same seed, model and options give the same walks and the same trace file.'],
  example: 'mmcheck simulate dining -p n=7 --seed 42',
  run: runSimulate,
};

/**
 * The walks run in a search thread, as `check`'s search does (started first,
 * so that its start-up overlaps loading the model here): SIGINT and SIGTERM
 * stop them with what they reached (exit 3), and the time limit ends even a
 * step that never returns.
 */
async function runSimulate(args: Args, io: Io): Promise<number> {
  const thread = SearchThread.spawn(memoryCeiling(Infinity), { signals: true });
  try {
    return await simulateWith(thread, args, io);
  } finally {
    thread.close();
  }
}

async function simulateWith(thread: SearchThread, args: Args, io: Io): Promise<number> {
  // A model file is loaded and built in the thread first, watched (--time-limit, signals), which then walks it.
  const c = await seededRun(args, io, thread);
  const runs = args.num('runs', { integer: true, min: 1 });
  const depth = args.num('depth', { integer: true, min: 1 });
  const checksLiveness = c.liveness && c.built.hasProgress;
  if (!c.json)
    io.out(
      `simulating ${describeBuilt(c.built)} [seed ${c.seed}, ${count(runs, 'walk')} of up to ${count(depth, 'step')}, ${fairnessName(c.fairness)}${checksLiveness ? ', liveness' : ''}]\n`,
    );
  const line = statusLine(args, io);
  let r: SupervisedSimulation;
  try {
    r = await thread.simulate(c.model.source ?? c.model.name, c.built, {
      simulate: { seed: c.seed, runs, depth, deadlock: c.deadlock, liveness: c.liveness, fairness: c.fairness, timeLimit: c.timeLimit },
      memory: memoryCeiling(Infinity),
      signals: true,
      onProgress: line ? (s) => line.update(`[mmcheck simulate] ${n(s.runs)} walks  ${n(s.steps)} steps  ${n(s.distinct)} distinct states  ${s.seconds.toFixed(0)} s`) : null,
    });
  } finally {
    line?.done();
  }
  // A signal, the memory ceiling, or a step that did not return within the time limit: what the walks reached.
  const cut = r.stop !== null && (r.stop.forced || r.stop.reason !== 'time-limit') ? r.stop : null;
  const trace = r.violation ? seededTrace(c.model, new Runtime(c.built), r.violation, r.fairness) : null;
  const s = r.stats;
  if (c.json) {
    const saved = trace ? saveSeededTrace(args, io, c.model, trace, r.seed) : null;
    if (saved?.error) printError(io, saved.error);
    io.out(
      jsonResult('simulate', {
        ...jsonHeader(c.built, 'simulate', r.seed, r.violation !== null),
        violation: r.violation ? { ...violationJson(r.violation, saved?.path ?? null), walk: r.walk, walkStep: r.walkStep } : null,
        stopped: r.stopped,
        ...(cut ? { stop: { signal: cut.signal, forced: cut.forced, ...(cut.forced ? { phase: cut.phase } : {}) } } : {}),
        stats: {
          runs: s.runs,
          steps: s.steps,
          distinctStates: s.distinct,
          distinctCapped: s.distinctCapped,
          longestWalk: s.longestWalk,
          endedWalks: s.ended,
          cycles: s.cycles,
          seconds: Number(s.seconds.toFixed(3)),
          stepsPerSecond: s.seconds > 0 ? Math.round(s.steps / s.seconds) : 0,
        },
        options: { runs, depth, fairness: r.fairness, liveness: r.livenessChecked, deadlock: c.deadlock ?? c.built.deadlock },
        ...(saved?.error ? { traceError: saved.error } : {}),
      }),
    );
    return r.violation ? EXIT.violation : cut ? EXIT.incomplete : EXIT.pass;
  }
  const distinct = `${s.distinctCapped ? 'at least ' : ''}${n(s.distinct)} distinct states`;
  const cyc = r.livenessChecked
    ? `; ${count(s.cycles.candidates, 'cycle')} judged (${n(s.cycles.unfair)} unfair, ${n(s.cycles.progress)} with progress, ${n(s.cycles.finished)} with every progress thread finished)`
    : '';
  io.out(`${count(s.runs, 'walk')}, ${count(s.steps, 'step')}, ${distinct}, longest walk ${count(s.longestWalk, 'step')}, ${s.seconds.toFixed(2)} s${cyc}\n`);
  const again = againCommand(args, c.seed, c.seedGiven);
  if (r.violation) {
    io.out(`violation in walk ${r.walk} (0-based) after ${count(r.walkStep!, 'step')}:\n`);
    printViolation(args, io, c.model, trace!, again, r.seed);
    return EXIT.violation;
  }
  if (cut) {
    const by = cut.reason === 'interrupted' ? `interrupted by ${cut.signal ?? 'a signal'}` : `${cut.reason} reached`;
    io.out(`incomplete: ${by} after ${count(s.runs, 'walk')} (${count(s.steps, 'step')}); no violation found so far\n`);
    if (cut.forced) io.out(`  the walks did not stop by themselves in time and were ended: a step (guard or effect) may not return, or allocates without bound\n`);
    return EXIT.incomplete;
  }
  const why = r.stopped === 'time-limit' ? ` (time limit reached after ${n(s.runs)} of ${count(runs, 'walk')})` : '';
  io.out(`no violation in ${count(s.runs, 'walk')}${why}\n`);
  io.out(`a simulation is not a proof: states no walk reached were not checked (run mmcheck check for a proof)\n`);
  io.out(`  again:  ${again}\n`);
  return EXIT.pass;
}
