import type { Scalar } from '../model/domains.ts';
import type { TraceFile } from '../trace/format.ts';
import type { Fairness } from '../model/define.ts';
import { fairAdjective, fairCycle } from '../model/fairness-text.ts';
import type { StepDocs } from '../trace/docs.ts';

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
  /** Per row, what its step stands for (the step's `doc`), '' when nothing is known. */
  docs: string[];
  /** Per row, the column of the thread that took the step. */
  stepColumn: number[];
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
      return p.starving ? `starvation: ${p.starving} starves (never makes progress on a ${starvingCycle(fairnessOf(t))})` : `livelock (${fairCycle(fairnessOf(t))})`;
  }
}

/**
 * For every step, the label it moves its thread to when the reader needs it:
 * not when the thread stays put, nor when its next step in the trace already
 * names it. One backward pass keeps each thread's next step, so the whole
 * trace costs O(steps) rather than a forward search per step.
 */
export function labelsWorthShowing(t: TraceFile): (string | null)[] {
  const out = new Array<string | null>(t.steps.length).fill(null);
  const nextOf = new Map<string, TraceFile['steps'][number]>();
  for (let i = t.steps.length - 1; i >= 0; i--) {
    const s = t.steps[i]!;
    const nextOfThread = nextOf.get(s.thread);
    if (s.to !== s.from && (nextOfThread ? nextOfThread.step !== s.to && nextOfThread.from === s.to : true) && s.to !== s.step) out[i] = s.to;
    nextOf.set(s.thread, s);
  }
  return out;
}

/**
 * How many steps the terminal shows in full. A longer trace is summarised:
 * its first and last TERMINAL_EDGE steps, and a line saying how many were
 * left out and where the full table is. 200 rows is several screens already;
 * past that a table is read in a file or a browser, not scrolled.
 */
export const TERMINAL_ROWS = 200;
const TERMINAL_EDGE = TERMINAL_ROWS / 2;

export function traceTable(t: TraceFile, stepDocs?: StepDocs): TableModel {
  // Only threads that take a step get a column.
  const moved = new Set(t.steps.map((s) => s.thread));
  const active = t.threads.filter((th) => moved.has(th));
  const column = new Map(active.map((th, i) => [th, 1 + i]));
  const headers = ['#', ...active, 'changes'];
  const labels = labelsWorthShowing(t);
  const rows: string[][] = new Array(t.steps.length);
  const docs = t.steps.map((_, i) => stepDocs?.[i] ?? '');
  const stepColumn = t.steps.map((s) => column.get(s.thread)!);
  for (let i = 0; i < t.steps.length; i++) {
    const s = t.steps[i]!;
    const row = new Array<string>(headers.length).fill('');
    row[0] = String(i + 1);
    let cell = s.step;
    if (s.choiceName !== undefined) cell += `(${s.choiceName})`;
    else if (s.choice !== 0) cell += `(#${s.choice})`;
    const to = labels[i]!;
    if (to !== null) cell += ` →${to}`;
    if (s.progress) cell += ' ✓';
    if (s.fails !== undefined) cell += ' ✗';
    row[column.get(s.thread)!] = cell;
    row[headers.length - 1] = s.fails !== undefined ? `assert "${s.fails}" fails` : changesText(s.changes);
    rows[i] = row;
  }
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${v}`).join(' ');
  const title = `${t.model}${t.variant ? ` / ${t.variant}` : ''}${params ? ` (${params})` : ''}: ${propertyText(t)} — ${t.steps.length} step${t.steps.length === 1 ? '' : 's'}`;
  const footer: string[] = [];
  if (t.cycleStart !== undefined) footer.push(`cycle: steps ${t.cycleStart + 1}..${t.steps.length} repeat forever (back to the state before step ${t.cycleStart + 1})`);
  return { title, headers, rows, cycleRow: t.cycleStart ?? -1, docs, stepColumn, footer };
}

const width = (s: string) => [...s].length;
const pad = (s: string, n: number) => s + ' '.repeat(Math.max(0, n - width(s)));
const count = (n: number) => n.toLocaleString('en-US');

export interface TextOptions {
  /** Longest changes cell before it is cut with an ellipsis (default 100). */
  maxChanges?: number;
  /** Longest thread name or step cell before it is cut with an ellipsis (default 100): every row is padded to its column's widest cell. */
  maxCell?: number;
  /** Traces with more steps are summarised (default TERMINAL_ROWS); Infinity shows every step. */
  maxRows?: number;
  /** The trace file, named in the summary line as where the full table is. */
  source?: string;
  /** ` --model FILE` for the command in that line when the trace's model is a file; '' for a built-in model. */
  modelFlag?: string;
  /** A line saying how far the data were verified, when not by replay (see verifyTrace). */
  note?: string | null;
  /** What each step stands for (see traceDocs), shown on a line under its row. */
  docs?: StepDocs;
  /** A title instead of the counterexample's (the path to a model error has no property). */
  title?: string;
}

export function renderText(t: TraceFile, opts: TextOptions = {}): string {
  const tm = traceTable(t, opts.docs);
  const maxC = opts.maxChanges ?? 100;
  const maxRows = opts.maxRows ?? TERMINAL_ROWS;
  const n = tm.rows.length;
  // The rows shown: all, or the first and last TERMINAL_EDGE (at most maxRows in all).
  const edge = Math.min(TERMINAL_EDGE, Math.floor(maxRows / 2));
  const cut = n > maxRows;
  const shown = cut ? [...tm.rows.slice(0, edge), ...tm.rows.slice(n - edge)] : tm.rows;
  const indexOf = (k: number) => (cut && k >= edge ? n - edge + (k - edge) : k);
  const maxCell = opts.maxCell ?? 100;
  const cutTo = (c: string, max: number) => (width(c) > max ? [...c].slice(0, max - 1).join('') + '…' : c);
  const rows = shown.map((r) => r.map((c, i) => cutTo(c, i === r.length - 1 ? maxC : maxCell)));
  const headers = tm.headers.map((h) => cutTo(h, maxCell));
  const w = headers.map((h) => width(h));
  for (const r of rows) for (let i = 0; i < w.length; i++) w[i] = Math.max(w[i]!, width(r[i]!));
  const line = (cells: string[]) => cells.map((c, i) => pad(c, w[i]!)).join(' | ').trimEnd();
  const out = [opts.title ?? tm.title, '', line(headers), w.map((k) => '-'.repeat(k)).join('-+-')];
  rows.forEach((r, k) => {
    const i = indexOf(k);
    if (cut && k === edge) {
      const file = opts.source ?? 'the trace file';
      const cycleLeftOut = tm.cycleRow >= edge && tm.cycleRow < n - edge ? `, the cycle starting at step ${count(tm.cycleRow + 1)} among them` : '';
      out.push(`... ${count(n - 2 * edge)} step${n - 2 * edge === 1 ? '' : 's'} left out (steps ${count(edge + 1)}..${count(n - edge)}${cycleLeftOut}); the full table: ${file}, or mmcheck show ${opts.source ?? '<trace>'}${opts.modelFlag ?? ''} --format markdown|html`);
    }
    if (i === tm.cycleRow) out.push(`${'~'.repeat(3)} cycle starts here ${'~'.repeat(3)}`);
    out.push(line(r));
    // The doc starts under the step's own cell and runs past the table's right edge rather than widening its columns.
    const doc = tm.docs[i]!;
    if (doc) out.push(line([...w.slice(0, tm.stepColumn[i]).map(() => ''), `↳ ${doc}`]));
  });
  out.push(...tm.footer);
  if (opts.note) out.push(`note: ${opts.note}`);
  return out.join('\n');
}

export function renderMarkdown(t: TraceFile, opts: { note?: string | null; docs?: StepDocs } = {}): string {
  const tm = traceTable(t, opts.docs);
  // A cell is one line of text: a bar would end it, a newline the row, and raw HTML would render (names come from trace files).
  const esc = (s: string) => s.replace(/</g, '&lt;').replace(/\|/g, '\\|').replace(/\s*[\r\n]+\s*/g, ' ');
  // A last column for the docs, only when some step has one.
  const withDocs = tm.docs.some((d) => d !== '');
  const headers = withDocs ? [...tm.headers, 'doc'] : tm.headers;
  const out = [`**${esc(tm.title)}**`, '', `| ${headers.map(esc).join(' | ')} |`, `|${headers.map(() => '---').join('|')}|`];
  tm.rows.forEach((r, i) => {
    const cells = (withDocs ? [...r, tm.docs[i]!] : r).map(esc);
    if (tm.cycleRow >= 0 && i >= tm.cycleRow) cells[0] = `↻ ${cells[0]}`;
    out.push(`| ${cells.map((c) => (c === '' ? ' ' : c)).join(' | ')} |`);
  });
  if (tm.footer.length) out.push('', ...tm.footer.map((f) => `_${f}_`));
  if (opts.note) out.push('', `_note: ${esc(opts.note)}_`);
  return out.join('\n');
}

/** A trace's fairness (validated by parseTrace; weak when absent, the default of the searches). */
const fairnessOf = (t: TraceFile): Fairness => (t.fairness as Fairness | undefined) ?? 'weak';

const starvingCycle = (f: Fairness): string => (fairAdjective(f) ? `${fairAdjective(f)} cycle` : 'cycle, with no fairness assumed');
