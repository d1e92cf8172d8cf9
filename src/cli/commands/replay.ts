import { blockedJson, blockedText } from '../../report/blocked-text.ts';
import type { ReplayJobResult } from '../../run/trace-job.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, count, type Io } from '../common.ts';
import { noTraceModelError, notBuiltin, readTrace, TRACE_LIMIT_FLAGS, TRACE_MODEL_FLAG, traceLimits, traceModelSource, watchedTraceJob } from '../inputs.ts';
import { jsonResult } from '../json-result.ts';
import { traceStopJson, traceStopText } from '../output.ts';

/** `mmcheck replay <trace>`: exit 0 when the trace reproduces, 1 when it no longer applies or the property now holds; a trace that does not reproduce on its own unchanged model is refused (MC406, exit 2). */
export const replayCommand: Command = {
  name: 'replay',
  summary: 're-execute a saved counterexample, against the same model or a changed variant',
  usage: 'replay <trace.json> [options]',
  positionals: ['trace.json'],
  takes: 'one trace file',
  flags: {
    model: TRACE_MODEL_FLAG,
    variant: { type: 'string', value: 'V', help: "replay against this variant (default: the trace's own)" },
    json: { type: 'boolean', help: 'one JSON object on stdout' },
    ...TRACE_LIMIT_FLAGS,
  },
  notes: [
    'A trace is data: the model is the built-in one the trace names, or the one given with --model. A model file named inside the trace is never loaded (it is code); the error prints the command that loads it.',
    'The model is loaded and the trace re-executed in a thread of its own: SIGINT or SIGTERM, --time-limit and --memory-limit stop it, say at which trace step, and exit 3.',
  ],
  example: 'mmcheck replay traces/dining.n3.deadlock.json --variant fixed',
  run: runReplay,
};

async function runReplay(args: Args, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const t = readTrace(file, io);
  const limits = traceLimits(args);
  const source = traceModelSource(t, file, args, io);
  if (source.ref === null) throw noTraceModelError(source);
  // Loaded and re-executed in a watched thread, with who is stuck and on what when the deadlock or livelock reproduces.
  const job = await watchedTraceJob<ReplayJobResult>(source, { kind: 'replay', trace: t, variant: args.str('variant'), explain: true }, limits);
  if ('noModel' in job) throw noTraceModelError(notBuiltin(t, args));
  if ('stopped' in job) {
    if (args.flag('json')) io.out(jsonResult('replay', { status: 'incomplete', steps: t.steps.length, replayStopped: traceStopJson(job.stopped, t.steps) }));
    else io.out(`incomplete: the replay of ${file} was ${traceStopText(job.stopped, t.steps, limits)}\n`);
    return EXIT.incomplete;
  }
  const { outcome: r, blocked } = job.done;
  if (args.flag('json')) io.out(jsonResult('replay', blocked ? { ...r, ...blockedJson(blocked) } : r));
  else {
    const against = `${r.model}${r.variant ? ` / ${r.variant}` : ''}`;
    const made = r.traceVariant !== r.variant ? ` (trace made on ${r.traceVariant ?? 'no variant'})` : '';
    io.out(`replaying ${file} against ${against}${made}: ${count(t.steps.length, 'step')}\n`);
    for (const note of r.notes) io.out(`note: ${note}\n`);
    if (r.status === 'reproduced') io.out(`reproduced: ${r.verdict}\n${blockedText(blocked, t.property.kind === 'livelock')}`);
    else if (r.status === 'no-longer-applies') io.out(`${r.verdict}\n${r.stop?.doc ? `  ${r.stop.step}: ${r.stop.doc}\n` : ''}`);
    else io.out(`replays, but ${t.property.kind === 'livelock' ? `it is no ${t.property.name === 'starvation' ? 'starvation' : 'livelock'} of this model` : 'the property now holds'}: ${r.verdict}\n`);
  }
  return r.status === 'reproduced' ? EXIT.pass : EXIT.violation;
}
