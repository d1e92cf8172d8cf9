import type { Scalar } from '../model/domains.ts';
import type { TraceFile } from '../trace/format.ts';

/**
 * The interleaving table of a counterexample: one column per thread, one row
 * per step (the step taken, in its thread's column), and the variables that
 * step changed. Rendered as aligned text or as Markdown.
 */
export interface TableModel {
  title: string;
  headers: string[];
  rows: string[][];
  /** Row index (into rows) where a livelock's cycle starts, or -1. */
  cycleRow: number;
  footer: string[];
}

const fmt = (v: Scalar) => (typeof v === 'string' ? v : String(v));

export function changesText(changes: Record<string, Scalar>): string {
  return Object.entries(changes)
    .map(([k, v]) => `${k}=${fmt(v)}`)
    .join(' ');
}

export function propertyText(t: TraceFile): string {
  const p = t.property;
  switch (p.kind) {
    case 'invariant':
      return `invariant "${p.name}" violated`;
    case 'assertion':
      return `assertion "${p.name}" failed`;
    case 'deadlock':
      return 'deadlock';
    case 'livelock':
      return p.starving ? `starvation: ${p.starving} starves (never makes progress on a ${t.fairness ?? "weak"}ly fair cycle)` : `livelock (${t.fairness ?? "weak"}ly fair non-progress cycle)`;
  }
}

/**
 * The label step i moves its thread to, when the reader needs it: not when
 * the thread stays put, nor when its next step in the trace already names it.
 */
export function labelWorthShowing(t: TraceFile, i: number): string | null {
  const s = t.steps[i]!;
  const nextOfThread = t.steps.slice(i + 1).find((x) => x.thread === s.thread);
  if (s.to !== s.from && (nextOfThread ? nextOfThread.step !== s.to && nextOfThread.from === s.to : true) && s.to !== s.step) return s.to;
  return null;
}

export function traceTable(t: TraceFile): TableModel {
  // Only threads that take a step get a column.
  const active = t.threads.filter((th) => t.steps.some((s) => s.thread === th));
  const headers = ['#', ...active, 'changes'];
  const rows: string[][] = [];
  t.steps.forEach((s, i) => {
    const row = new Array<string>(headers.length).fill('');
    row[0] = String(i + 1);
    let cell = s.step;
    if (s.choiceName !== undefined) cell += `(${s.choiceName})`;
    else if (s.choice !== 0) cell += `(#${s.choice})`;
    const to = labelWorthShowing(t, i);
    if (to !== null) cell += ` →${to}`;
    if (s.progress) cell += ' ✓';
    if (s.fails !== undefined) cell += ' ✗';
    row[1 + active.indexOf(s.thread)] = cell;
    row[headers.length - 1] = s.fails !== undefined ? `assert "${s.fails}" fails` : changesText(s.changes);
    rows.push(row);
  });
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const title = `${t.model}${t.variant ? ` / ${t.variant}` : ''}${params ? ` (${params})` : ''}: ${propertyText(t)} — ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}`;
  const footer: string[] = [];
  if (t.cycleStart !== undefined) footer.push(`cycle: steps ${t.cycleStart + 1}..${t.steps.length} repeat forever (back to the state before step ${t.cycleStart + 1})`);
  return { title, headers, rows, cycleRow: t.cycleStart ?? -1, footer };
}

const width = (s: string) => [...s].length;
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));

export function renderText(t: TraceFile, opts: { maxChanges?: number } = {}): string {
  const tm = traceTable(t);
  const maxC = opts.maxChanges ?? 100;
  const rows = tm.rows.map((r) => r.map((c, i) => (i === r.length - 1 && width(c) > maxC ? c.slice(0, maxC - 1) + '…' : c)));
  const w = tm.headers.map((h, i) => Math.max(width(h), ...rows.map((r) => width(r[i]!))));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, w[i]!)).join(' | ').trimEnd();
  const out = [tm.title, '', line(tm.headers), w.map((n) => '-'.repeat(n)).join('-+-')];
  rows.forEach((r, i) => {
    if (i === tm.cycleRow) out.push(`${'~'.repeat(3)} cycle starts here ${'~'.repeat(3)}`);
    out.push(line(r));
  });
  out.push(...tm.footer);
  return out.join('\n');
}

export function renderMarkdown(t: TraceFile): string {
  const tm = traceTable(t);
  const esc = (s: string) => s.replace(/\|/g, '\\|');
  const out = [`**${esc(tm.title)}**`, '', `| ${tm.headers.map(esc).join(' | ')} |`, `|${tm.headers.map(() => '---').join('|')}|`];
  tm.rows.forEach((r, i) => {
    const cells = r.map(esc);
    if (tm.cycleRow >= 0 && i >= tm.cycleRow) cells[0] = `↻ ${cells[0]}`;
    out.push(`| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`);
  });
  if (tm.footer.length) out.push('', ...tm.footer.map((f) => `_${f}_`));
  return out.join('\n');
}
