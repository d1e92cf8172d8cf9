/**
 * Long counterexamples: replay plus the text, Markdown and HTML renderings of
 * traces of 20,000, 80,000 and 150,000 steps, and the growth from 20k to 80k
 * steps (4× the steps: about 4× the time when linear, 16× when quadratic;
 * the quadratic renderer took over 60 s for 150,000 steps).
 *
 *   node --import=tsx bench/long-trace.ts
 */
import { renderHtml } from '../src/report/html.ts';
import { renderMarkdown, renderText } from '../src/report/table.ts';
import { parseTrace } from '../src/trace/format.ts';
import { replay } from '../src/trace/replay.ts';
import { longCounter, longTrace } from '../test/helpers/long-trace.ts';

function once(n: number): number {
  const text = JSON.stringify(longTrace(n));
  const t0 = performance.now();
  const r = replay(parseTrace(text), longCounter);
  if (r.status !== 'reproduced') throw new Error(`${n} steps: ${r.verdict}`);
  const tr = parseTrace(text);
  renderText(tr);
  renderMarkdown(tr);
  renderHtml(tr);
  return (performance.now() - t0) / 1000;
}

/** The least of three runs: a loaded machine only ever adds time. */
const best = (n: number) => Math.min(once(n), once(n), once(n));

once(20_000); // warm-up
const rows = [20_000, 80_000, 150_000].map((n) => ({ n, seconds: best(n) }));
for (const r of rows) process.stdout.write(`${r.n.toLocaleString('en-US').padStart(8)} steps: replay + text + markdown + html ${r.seconds.toFixed(2)} s\n`);
const growth = rows[1]!.seconds / rows[0]!.seconds;
process.stdout.write(`20k → 80k steps: ${growth.toFixed(1)}× the time (linear ≈ 4, quadratic ≈ 16)\n`);
process.exitCode = growth < 8 ? 0 : 1;
