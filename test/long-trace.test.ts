/**
 * Long counterexamples: a 150,000-step trace replays and renders whole, and
 * the terminal shows a summary past TERMINAL_ROWS steps. How long that takes
 * (and that it grows linearly) is measured by bench/long-trace.ts, not here:
 * a shared machine's timings do not belong in a test.
 */
import test from 'ava';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown, renderText, TERMINAL_ROWS } from '../src/report/table.ts';
import { parseTrace } from '../src/trace/format.ts';
import { replay } from '../src/trace/replay.ts';
import { verifyTrace } from '../src/trace/verify.ts';
import { longCounter, longTrace } from './helpers/long-trace.ts';

const STEPS = 150_000;

test(`a ${STEPS.toLocaleString('en-US')}-step trace replays and renders whole`, (t) => {
  const tr = longTrace(STEPS);
  t.is(tr.steps.length, STEPS);
  const text = JSON.stringify(tr);
  const r = replay(parseTrace(text), longCounter);
  t.is(r.status, 'reproduced', r.verdict);
  const shown = renderText(tr, { source: 'long.json' });
  const html = renderHtml(tr, { source: 'long.json' });
  const md = renderMarkdown(tr);
  const v = verifyTrace(tr, null, 'no model');
  t.is(v.level, 'self-consistent');
  t.true(html.includes(`data-i="${STEPS}"`));
  t.is(md.split('\n').filter((l) => l.startsWith('| ')).length, STEPS + 1);
  // The terminal summary: the first and last steps, and where the rest is.
  const lines = shown.split('\n');
  t.true(lines.length < TERMINAL_ROWS + 20, `${lines.length} lines`);
  t.regex(shown, /^1 +\| bump/m);
  t.regex(shown, /^100 +\|/m);
  t.notRegex(shown, /^101 +\|/m);
  t.regex(shown, new RegExp(`^${STEPS} +\\|`, 'm'));
  t.regex(shown, /^\.\.\. 149,800 steps left out \(steps 101\.\.149,900\); the full table: long\.json, or mmcheck show long\.json --format markdown\|html$/m);
});

test(`a livelock with a ${STEPS.toLocaleString('en-US')}-step stem replays, judges its cycle and renders`, (t) => {
  const tr = longTrace(STEPS, 'spin');
  t.is(tr.property.kind, 'livelock');
  t.is(tr.cycleStart, STEPS);
  t.is(tr.steps.length, STEPS + 2);
  const r = replay(parseTrace(JSON.stringify(tr)), longCounter);
  t.is(r.status, 'reproduced', r.verdict);
  const shown = renderText(tr);
  t.true(renderHtml(tr).includes(`data-i="${STEPS + 2}"`));
  // The cycle is among the last steps shown, so its marker is too.
  t.regex(shown, /~~~ cycle starts here ~~~\n150001 +\| spin/);
  t.regex(shown, /^cycle: steps 150,?001\.\.150,?002 repeat forever/m);
});

test('a trace at the threshold is shown whole; one step more is summarised', (t) => {
  const at = renderText(longTrace(TERMINAL_ROWS));
  t.notRegex(at, /left out/);
  t.regex(at, new RegExp(`^${TERMINAL_ROWS} +\\|`, 'm'));
  const over = renderText(longTrace(TERMINAL_ROWS + 1));
  t.regex(over, /^\.\.\. 1 step left out \(steps 101\.\.101\); the full table: the trace file, or mmcheck show <trace> --format markdown\|html$/m);
  t.is(renderText(longTrace(TERMINAL_ROWS + 1), { maxRows: Infinity }).includes('left out'), false);
});

test('a lasso whose cycle starts among the steps left out says so in the summary line', (t) => {
  const tr = { ...longTrace(400, 'spin'), cycleStart: 150 };
  const shown = renderText(tr, { source: 'l.json', modelFlag: ' --model m.ts' });
  t.notRegex(shown, /cycle starts here/);
  t.regex(shown, /^\.\.\. 202 steps left out \(steps 101\.\.302, the cycle starting at step 151 among them\); the full table: l\.json, or mmcheck show l\.json --model m\.ts --format markdown\|html$/m);
});
