import { checkedReplay } from '../../trace/replay.ts';
import { explainTrace } from '../../trace/blocked.ts';
import { blockedJson, blockedText } from '../../report/blocked-text.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, count, type Io } from '../common.ts';
import { readTrace, requireTraceModel, TRACE_MODEL_FLAG } from '../inputs.ts';
import { jsonResult } from '../json-result.ts';

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
  },
  notes: [
    'A trace is data: the model is the built-in one the trace names, or the one given with --model. A model file named inside the trace is never loaded (it is code); the error prints the command that loads it.',
  ],
  example: 'mmcheck replay traces/dining.n3.deadlock.json --variant fixed',
  run: runReplay,
};

async function runReplay(args: Args, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const t = readTrace(file, io);
  const model = await requireTraceModel(t, file, args, io);
  const r = checkedReplay(t, model, args.str('variant'));
  // Who is stuck and on what, when the deadlock or livelock reproduces.
  const blocked = r.status === 'reproduced' ? explainTrace(model, r.variant === t.variant ? t : { ...t, variant: r.variant }) : null;
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
