import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { renderMarkdown, renderText } from '../../report/table.ts';
import { renderHtml } from '../../report/html.ts';
import { renderItf } from '../../report/itf.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, type Io } from '../common.ts';
import { modelOfTrace, readTrace } from '../inputs.ts';
import type { Model } from '../../model/define.ts';
import { verifyTrace } from '../../trace/verify.ts';

const FORMATS = ['text', 'markdown', 'html', 'itf'] as const;

/** `mmcheck show <trace>`: the counterexample as an interleaving table, or a self-contained HTML page. */
export const showCommand: Command = {
  name: 'show',
  summary: 'print a saved counterexample as a table (text, Markdown) or an HTML page',
  usage: 'show <trace.json> [options]',
  positionals: ['trace.json'],
  takes: 'one trace file',
  flags: {
    format: { type: 'string', value: FORMATS.join('|'), default: 'text', help: 'output format (itf: the Informal Trace Format JSON that Quint and Apalache read)' },
    out: { type: 'string', short: 'o', value: 'FILE', help: 'write to FILE instead of stdout' },
  },
  example: 'mmcheck show traces/dining.n3.deadlock.json --format html -o dining.html',
  run: runShow,
};

async function runShow(args: Args, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const t = readTrace(file, io);
  const format = args.oneOf('format', FORMATS);
  // Render only verified data: replayed on the model when it loads, else checked against the trace's own hashes.
  let model: Model | null = null;
  let why = '';
  try {
    model = await modelOfTrace(t, file, io);
  } catch (e) {
    why = `the model could not be loaded (${(e as Error).message})`;
  }
  const { note } = verifyTrace(t, model, why);
  const text = format === 'itf' ? renderItf(t) : format === 'html' ? renderHtml(t, { source: file, note }) : (format === 'markdown' ? renderMarkdown(t, { note }) : renderText(t, { source: file, note })) + '\n';
  const out = args.str('out');
  if (out) {
    const abs = resolve(io.cwd, out);
    mkdirSync(dirname(abs), { recursive: true });
    writeFileSync(abs, text);
  } else io.out(text);
  return EXIT.pass;
}
