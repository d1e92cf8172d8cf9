import { buildModel } from '../../model/build.ts';
import type { Params } from '../../model/define.ts';
import { Runtime } from '../../exec/runtime.ts';
import { traceOfMinimized, violationOfTrace } from '../../trace/minimize.ts';
import { LOAD_MIN_S, SearchThread } from '../../run/supervise.ts';
import type { ReplayJobResult } from '../../run/trace-job.ts';
import { memoryCeiling } from '../../run/memory-ceiling.ts';
import { defaultOptions } from '../../search/types.ts';
import { OUTPUT_FLAGS } from '../flags.ts';
import { withStatusLine } from '../progress.ts';
import { renderText } from '../../report/table.ts';
import { traceDocs } from '../../trace/docs.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, type Io } from '../common.ts';
import { noTraceModelError, notBuiltin, readTrace, refuseOverTraceInputs, requireTraceModel, TRACE_MODEL_FLAG, traceModelSource, watchedTraceJob } from '../inputs.ts';
import { minimizedLine, minimizeStop, minimizeStopText, modelArg, savedLines, traceStopJson, traceStopText, writeTrace } from '../output.ts';
import { refuseForeignOutput } from '../../run/write.ts';
import { printError } from '../common.ts';
import { jsonResult } from '../json-result.ts';

export const minimizeCommand: Command = {
  name: 'minimize',
  summary: 'fewest context switches among the shortest counterexamples of a saved trace',
  usage: 'minimize <trace.json> [options]',
  positionals: ['trace.json'],
  takes: 'one trace file',
  flags: {
    model: TRACE_MODEL_FLAG,
    out: { type: 'string', short: 'o', value: 'FILE', help: 'where to save the minimised trace (default <trace>.min.json)' },
    json: { type: 'boolean', help: 'one JSON object on stdout' },
    'time-limit': { type: 'string', value: 'S', default: defaultOptions.timeLimit, help: `stop the minimising search after S seconds, and the check that the trace reproduces before it after S seconds too, at least ${LOAD_MIN_S} (exit 3, nothing written)` },
    'memory-limit': { type: 'string', value: 'MB', default: defaultOptions.memoryLimitMB, help: "stop the check of the trace or the minimising search when the process's resident memory exceeds MB megabytes (exit 3, nothing written); default: 80% of the machine's (or cgroup's) memory" },
    progress: OUTPUT_FLAGS.progress,
    'no-progress': OUTPUT_FLAGS['no-progress'],
  },
  conflicts: [['progress', 'no-progress']],
  notes: [
    'The trace must reproduce first (exit 1 otherwise): minimising a trace the model no longer has would describe a different bug.',
    'The model is the built-in one the trace names, or the one given with --model; a model file named inside the trace is never loaded (it is code).',
    '-o never overwrites the trace being minimised, nor an existing file that is not a trace (MC346), and writes through a temporary file renamed into place.',
    'The minimising search is a breadth-first search of the whole state space up to the counterexample\'s depth, without reductions, run in a thread of its own, as the check that the trace reproduces is before it: SIGINT or SIGTERM, --time-limit and --memory-limit stop either, say how far it got, write nothing and exit 3.',
  ],
  example: 'mmcheck minimize traces/dining.n3.deadlock.json -o short.json',
  run: runMinimize,
};

/**
 * Re-run the search on the trace's model, variant and parameters and save
 * the counterexample of the same property with the fewest context switches
 * among the shortest.
 */
async function runMinimize(args: Args, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const timeLimit = args.num('time-limit', { min: 0 }) ?? defaultOptions.timeLimit;
  const memory = memoryCeiling(args.num('memory-limit', { min: 1 }) ?? defaultOptions.memoryLimitMB);
  const outPath = args.str('out') ?? file.replace(/\.json$/, '') + '.min.json';
  const outOption = args.given('out') ? '-o' : 'the minimised trace';
  refuseOverTraceInputs(outPath, file, 'trace being minimised', args, io, outOption);
  refuseForeignOutput(outPath, 'trace', { cwd: io.cwd, option: outOption });
  const t = readTrace(file, io);
  const source = traceModelSource(t, file, args, io);
  if (source.ref === null) throw noTraceModelError(source);
  const json = args.flag('json');
  // One watched thread checks that the trace reproduces, then runs the minimising search, each within --time-limit (the check at least LOAD_MIN_S: a limit meant for the search must not cut a check that is fine on a busy machine).
  const thread = SearchThread.spawn(memory, { signals: true, reusable: true });
  try {
    const job = await watchedTraceJob<ReplayJobResult>(source, { kind: 'replay', trace: t, explain: false }, { timeLimit: Math.max(timeLimit, LOAD_MIN_S), memory }, thread);
    if ('noModel' in job) throw noTraceModelError(notBuiltin(t, args));
    if ('stopped' in job) {
      if (json) io.out(jsonResult('minimize', { minimized: null, replayStopped: traceStopJson(job.stopped, t.steps) }));
      else io.out(`incomplete: the check that ${file} reproduces was ${traceStopText(job.stopped, t.steps, { timeLimit, memory, least: LOAD_MIN_S })}; nothing was written\n`);
      return EXIT.incomplete;
    }
    const rp = job.done.outcome;
    if (rp.status !== 'reproduced') {
      if (json) io.out(jsonResult('minimize', { minimized: null, reason: rp.verdict }));
      else io.out(`${file} does not reproduce on ${rp.model}${rp.variant ? ` / ${rp.variant}` : ''}, so there is nothing to minimise: ${rp.verdict}\n`);
      return EXIT.violation;
    }
    // Loaded here only once the thread has loaded it and re-executed the trace on it. The variant replayed on: the trace's, or none when the model has no variants any more (replay says so in a note).
    const model = await requireTraceModel(t, file, args, io);
    const built = buildModel(model, rp.variant, t.params as Params);
    const rt = new Runtime(built);
    const m = await withStatusLine(args, io, (onProgress) => thread.minimize(model.source ?? model.name, built, { violation: violationOfTrace(rt, t), timeLimit, memory, signals: true, onProgress }));
    // The thread's work is done: the signals are handed back before the minimised trace is written.
    thread.close();
    if (m.stop) {
      const stop = minimizeStop(m);
      if (json) io.out(jsonResult('minimize', { minimized: null, minimizeStopped: stop }));
      else io.out(`incomplete: the minimising search was ${minimizeStopText(stop, t.steps.length)}; nothing was written\n`);
      return EXIT.incomplete;
    }
    if (!m.minimized) throw new Error('a reproduced violation was not found again by the minimising search');
    // The model file recorded is the one minimised on (writeTrace sets it), not whatever the input trace named.
    const min = traceOfMinimized(rt, m.minimized, t.fairness ? { fairness: t.fairness } : {});
    // The minimised trace is shown first, so that a failed write loses nothing; writeTrace records the model file relative to the new trace.
    if (!json) io.out(`${minimizedLine(min.stats)}\n\n${renderText(min.trace, { docs: traceDocs(min.trace, rt.model) })}\n\n`);
    const saved = writeTrace(min.trace, io.cwd, outPath, model, [{ path: file, what: 'trace being minimised' }]);
    if (saved.error) printError(io, saved.error);
    if (json) io.out(jsonResult('minimize', { minimized: min.stats, trace: saved.path, ...(saved.error ? { traceError: saved.error } : {}) }));
    else if (saved.path) io.out(savedLines(saved.path, modelArg(model, io.cwd)));
    // The minimised trace is the one output of this command: a path it cannot be written to is bad input.
    if (saved.error) return EXIT.badInput;
    return EXIT.pass;
  } finally {
    thread.close();
  }
}
