import { buildModel } from '../../model/build.ts';
import type { Params } from '../../model/define.ts';
import { Runtime } from '../../exec/runtime.ts';
import { replay } from '../../trace/replay.ts';
import { minimizedTrace, violationOfTrace } from '../../trace/minimize.ts';
import { renderText } from '../../report/table.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, type Io } from '../common.ts';
import { modelOfTrace, readTrace } from '../inputs.ts';
import { minimizedLine, savedLines, writeTrace } from '../output.ts';

export const minimizeCommand: Command = {
  name: 'minimize',
  summary: 'fewest context switches among the shortest counterexamples of a saved trace',
  usage: 'minimize <trace.json> [options]',
  positionals: ['trace.json'],
  takes: 'one trace file',
  flags: {
    out: { type: 'string', short: 'o', value: 'FILE', help: 'where to save the minimised trace (default <trace>.min.json)' },
    json: { type: 'boolean', help: 'one JSON object on stdout' },
  },
  notes: ['The trace must reproduce first (exit 1 otherwise): minimising a trace the model no longer has would describe a different bug.'],
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
  const t = readTrace(file, io);
  const model = await modelOfTrace(t, file, io);
  const rp = replay(t, model);
  const json = args.flag('json');
  if (rp.status !== 'reproduced') {
    if (json) io.out(JSON.stringify({ minimized: null, reason: rp.verdict }) + '\n');
    else io.out(`${file} does not reproduce on ${rp.model}${rp.variant ? ` / ${rp.variant}` : ''}, so there is nothing to minimise: ${rp.verdict}\n`);
    return EXIT.violation;
  }
  const rt = new Runtime(buildModel(model, t.variant, t.params as Params));
  const min = minimizedTrace(rt, violationOfTrace(rt, t), { ...(t.modelFile ? { modelFile: t.modelFile } : {}), ...(t.fairness ? { fairness: t.fairness } : {}) });
  if (!min) throw new Error('internal: a reproduced violation was not found again');
  const outPath = args.str('out') ?? file.replace(/\.json$/, '') + '.min.json';
  // writeTrace records the model file relative to the new trace, which may sit in another directory.
  writeTrace(min.trace, io.cwd, outPath, model);
  if (json) io.out(JSON.stringify({ minimized: min.stats, trace: outPath }) + '\n');
  else io.out(`${minimizedLine(min.stats)}\n\n${renderText(min.trace)}\n\n${savedLines(outPath)}`);
  return EXIT.pass;
}
