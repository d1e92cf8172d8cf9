import { renderMarkdown, renderText } from '../../report/table.ts';
import { renderHtml } from '../../report/html.ts';
import { renderItf } from '../../report/itf.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, shqPath, toFile, type Io } from '../common.ts';
import { notBuiltin, readTrace, refuseOverTraceInputs, TRACE_LIMIT_FLAGS, TRACE_MODEL_FLAG, traceLimits, traceModelSource, watchedTraceJob } from '../inputs.ts';
import { refuseForeignOutput, writeFileAtomic } from '../../run/write.ts';
import { MARKDOWN_MARKER } from '../../run/output-kind.ts';
import type { ShowJobResult } from '../../run/trace-job.ts';
import { verifyTrace } from '../../trace/verify.ts';
import { blockedText } from '../../report/blocked-text.ts';
import { McIncompleteError } from '../../model/errors.ts';
import { modelArg, traceStopText } from '../output.ts';

const FORMATS = ['text', 'markdown', 'html', 'itf'] as const;

/** `mmcheck show <trace>`: the counterexample as an interleaving table, or a self-contained HTML page. */
export const showCommand: Command = {
  name: 'show',
  summary: 'print a saved counterexample as a table (text, Markdown) or an HTML page',
  usage: 'show <trace.json> [options]',
  positionals: ['trace.json'],
  takes: 'one trace file',
  flags: {
    model: TRACE_MODEL_FLAG,
    format: { type: 'string', value: FORMATS.join('|'), default: 'text', help: 'output format (itf: the Informal Trace Format JSON that Quint and Apalache read)' },
    out: { type: 'string', short: 'o', value: 'FILE', help: 'write to FILE instead of stdout' },
    ...TRACE_LIMIT_FLAGS,
  },
  notes: [
    'The trace is replayed on its model before it is rendered: the built-in model it names, or the one given with --model. A model file named inside the trace is never loaded (it is code): without --model the trace is rendered after a check against its own state hashes, with a note saying how to re-execute it.',
    'The model is loaded and the trace re-executed in a thread of its own: SIGINT or SIGTERM, --time-limit and --memory-limit stop it with error MC440, saying at which trace step; nothing is written, exit 3.',
    '-o never overwrites the trace being shown, nor an existing file that is not a rendering of mmcheck show (MC346), and writes through a temporary file renamed into place; -o - is stdout.',
  ],
  example: 'mmcheck show traces/dining.n3.deadlock.json --format html -o dining.html',
  run: runShow,
};

async function runShow(args: Args, io: Io): Promise<number> {
  const file = args.positionals[0]!;
  const out = toFile(args.str('out'));
  if (out !== undefined) {
    refuseOverTraceInputs(out, file, 'trace being shown', args, io, '-o');
    refuseForeignOutput(out, 'rendering', { cwd: io.cwd, option: '-o' });
  }
  const t = readTrace(file, io);
  const format = args.oneOf('format', FORMATS);
  const limits = traceLimits(args);
  // Render only verified data: replayed on the model when there is one (loaded and re-executed in a watched thread), else checked against the trace's own hashes.
  const source = traceModelSource(t, file, args, io);
  const job = source.ref === null ? null : await watchedTraceJob<ShowJobResult>(source, { kind: 'show', trace: t }, limits);
  if (job !== null && 'stopped' in job) throw new McIncompleteError('MC440', `show was ${traceStopText(job.stopped, t.steps, limits)}; nothing was written`);
  const m = job !== null && 'done' in job ? job.done : null;
  const none = source.ref === null ? source : job !== null && 'noModel' in job ? notBuiltin(t, args) : null;
  const { note, level } = m ? m.verification : verifyTrace(t, null, `${none!.why} (to re-execute it: ${none!.command})`);
  // What the model says of the steps (docs, locks, why threads are blocked), of a trace it reproduces only.
  const docs = m && level === 'replayed' ? m.docs : undefined;
  // The commands the page and the table print: a model file must be given again (a trace never loads one by itself).
  const modelFlag = m ? modelArg(m, io.cwd) : '';
  // With the model at hand: its declared locks draw the lock bars, and blocked threads are explained.
  const blocked = m ? m.blocked : null;
  const locks = m ? m.locks : [];
  const why = blockedText(blocked, t.property.kind === 'livelock');
  const text =
    format === 'itf'
      ? renderItf(t)
      : format === 'html'
        ? renderHtml(t, { source: shqPath(file), modelFlag, note, docs, locks, blocked })
        : format === 'markdown'
          ? `${MARKDOWN_MARKER}\n` + renderMarkdown(t, { note, docs }) + (why ? `\n\n\`\`\`\n${why}\`\`\`` : '') + '\n'
          : renderText(t, { source: shqPath(file), modelFlag, note, docs }) + '\n' + (why ? `\n${why}` : '');
  if (out !== undefined) writeFileAtomic(out, text, { cwd: io.cwd, kind: 'rendering' });
  else io.out(text);
  return EXIT.pass;
}
