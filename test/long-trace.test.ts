/**
 * Long counterexamples: replay and every rendering are linear in the trace's
 * length, and the terminal shows a summary past TERMINAL_ROWS steps.
 */
import test from 'ava';
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown, renderText, TERMINAL_ROWS } from '../src/report/table.ts';
import { parseTrace } from '../src/trace/format.ts';
import { replay } from '../src/trace/replay.ts';
import { verifyTrace } from '../src/trace/verify.ts';
import { longCounter, longTrace } from './helpers/long-trace.ts';

const STEPS = 150_000;

test(`a ${STEPS.toLocaleString('en-US')}-step trace replays and renders in seconds`, (t) => {
  const tr = longTrace(STEPS);
  t.is(tr.steps.length, STEPS);
  const text = JSON.stringify(tr);
  const t0 = performance.now();
  const r = replay(parseTrace(text), longCounter);
  t.is(r.status, 'reproduced', r.verdict);
  const shown = renderText(tr, { source: 'long.json' });
  const html = renderHtml(tr, { source: 'long.json' });
  const md = renderMarkdown(tr);
  const v = verifyTrace(tr, null, 'no model');
  const seconds = (performance.now() - t0) / 1000;
  t.log(`replay + text + html + markdown + self-check: ${seconds.toFixed(1)} s`);
  // Quadratic rendering took over a minute here; linear takes a few seconds even on a loaded machine.
  t.true(seconds < 60, `${seconds} s`);
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

test(`a livelock with a ${STEPS.toLocaleString('en-US')}-step stem replays, judges its cycle and renders in seconds`, (t) => {
  const tr = longTrace(STEPS, 'spin');
  t.is(tr.property.kind, 'livelock');
  t.is(tr.cycleStart, STEPS);
  t.is(tr.steps.length, STEPS + 2);
  const t0 = performance.now();
  const r = replay(parseTrace(JSON.stringify(tr)), longCounter);
  t.is(r.status, 'reproduced', r.verdict);
  const shown = renderText(tr);
  renderHtml(tr);
  const seconds = (performance.now() - t0) / 1000;
  t.log(`replay + text + html: ${seconds.toFixed(1)} s`);
  t.true(seconds < 60, `${seconds} s`);
  // The cycle is among the last steps shown, so its marker is too.
  t.regex(shown, /~~~ cycle starts here ~~~\n150001 +\| spin/);
  t.regex(shown, /^cycle: steps 150,?001\.\.150,?002 repeat forever/m);
});

test('linear: four times the steps take about four times as long, not sixteen', (t) => {
  const time = (n: number) => {
    const tr = longTrace(n);
    const t0 = performance.now();
    replay(tr, longCounter);
    renderHtml(tr);
    renderText(tr);
    return performance.now() - t0;
  };
  time(20_000); // warm up
  // The least of two runs each, to keep a loaded machine's noise out of the ratio.
  const a = Math.min(time(20_000), time(20_000));
  const b = Math.min(time(80_000), time(80_000));
  t.log(`20k: ${a.toFixed(0)} ms, 80k: ${b.toFixed(0)} ms`);
  t.true(b < a * 8, `${a} ms → ${b} ms`);
});

test('a trace at the threshold is shown whole; one step more is summarised', (t) => {
  const at = renderText(longTrace(TERMINAL_ROWS));
  t.notRegex(at, /left out/);
  t.regex(at, new RegExp(`^${TERMINAL_ROWS} +\\|`, 'm'));
  const over = renderText(longTrace(TERMINAL_ROWS + 1));
  t.regex(over, /^\.\.\. 1 step left out \(steps 101\.\.101\); the full table: the trace file, or mmcheck show <trace> --format markdown\|html$/m);
  t.is(renderText(longTrace(TERMINAL_ROWS + 1), { maxRows: Infinity }).includes('left out'), false);
});
