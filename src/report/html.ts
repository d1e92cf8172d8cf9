import { McError } from '../model/errors.ts';
import type { Scalar } from '../model/domains.ts';
import type { TraceFile } from '../trace/format.ts';
import { contextSwitches } from '../trace/minimize.ts';
import { labelsWorthShowing, propertyText } from './table.ts';
import type { StepDocs } from '../trace/docs.ts';
import { lockInstances, type LockDecl } from '../model/blocks/block.ts';
import type { BlockedReport } from '../trace/blocked.ts';
import { heldText } from './blocked-text.ts';
import { VERSION } from '../model/version.ts';

/**
 * A counterexample as one self-contained HTML page: swimlanes (one column
 * per thread, one row per step, the variables each step changed in its
 * cell), ownership bars for lock-like variables, the full state after any
 * step on click, a livelock's cycle marked, and the violated property at the
 * top. No network access and no external assets: the CSS and the script are
 * inline, the trace data is embedded as JSON.
 *
 * Every piece of model-provided text (model, variant, thread, step, label,
 * variable and value names, step docs) goes through esc() in HTML, is embedded in JSON
 * with `<`, `>` and `&` escaped, and is inserted by the script with
 * textContent only, so a model cannot inject markup or script.
 */

export interface HtmlOptions {
  /** Path of the trace file, for the replay command shown on the page. */
  source?: string;
  /** ` --model FILE` for that command when the trace's model is a file (a trace never loads one by itself); '' for a built-in model. */
  modelFlag?: string;
  /** A line saying how far the data were verified, when not by replay (see verifyTrace). */
  note?: string | null;
  /** What each step stands for (see traceDocs): a tooltip on the step, and a line in the state panel. */
  docs?: StepDocs;
  /** Locks the model declares (building blocks): when given, they are the lock bars, and the guess below is not used. */
  locks?: readonly LockDecl[];
  /** Blocked threads of a deadlock or livelock (src/trace/blocked.ts), shown under the headline. */
  blocked?: BlockedReport | null;
}

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
const fmt = (v: Scalar) => (typeof v === 'string' ? v : String(v));

/** JSON that is safe inside a <script> element: no `</script>`, no `<!--`, no line separators that end a JS string. */
function scriptJson(v: unknown): string {
  return JSON.stringify(v)
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

// ---------------------------------------------------------------------------
// Lock-like variables.
//
// The trace has values, not domains, so the heuristic reads what the steps do:
//
// 1. Owner variables: every write of a value that names a thread is made by
//    that thread (it writes its own id: the integer k written by `group[k]`,
//    or its own name as a string), every other write clears it (a negative
//    id such as -1, or a string that names no thread such as "none"), and
//    at least one write names its writer. Held by that thread from the step
//    that names it until the step that clears it (inclusive), or until
//    another thread names itself (a hand-over).
// 2. Flags: a shared boolean that some thread sets from false to true. Held
//    by the thread that set it, from that step to the step that clears it
//    (inclusive), or to the end of the trace ("still held"): a
//    counterexample often ends while a lock is held, which is when it
//    matters.
//
// Thread locals are never lock-like. A variable can be misread (a counter
// that happens to equal its writer's id), which costs a spurious bar, not a
// wrong state: the state panel always shows the real values.
// ---------------------------------------------------------------------------

export interface HeldSpan {
  /** 0-based step indices, inclusive. */
  from: number;
  to: number;
  thread: string;
  /** Still held after the last step. */
  open: boolean;
}

export interface LockVar {
  name: string;
  kind: 'owner' | 'flag' | 'declared';
  spans: HeldSpan[];
  /** What the model declares it to be (kind 'declared'). */
  what?: string;
}

/**
 * The declared locks' bars: the valuation walked step by step, each lock's
 * holder read through its declaration (src/model/blocks/block.ts): the
 * exclusive holder(s), or the number of shared holders. A span is a run of
 * steps after which the same holder holds it.
 */
export function declaredLockVars(t: TraceFile, decls: readonly LockDecl[]): LockVar[] {
  const val: Record<string, Scalar> = { ...t.initial };
  const last = t.steps.length - 1;
  const byName = new Map<string, LockVar>();
  const open = new Map<string, HeldSpan>();
  const order: string[] = [];
  t.steps.forEach((s, i) => {
    Object.assign(val, s.changes);
    for (const d of decls)
      for (const l of lockInstances(d, val, t.threads)) {
        if (!byName.has(l.lock)) {
          byName.set(l.lock, { name: l.lock, kind: 'declared', spans: [], what: d.kind });
          order.push(l.lock);
        }
        const holder = l.exclusive.length ? l.exclusive.join(', ') : l.shared > 0 ? `${l.shared} reader${l.shared === 1 ? '' : 's'}` : l.anonymous ? 'held' : '';
        const cur = open.get(l.lock);
        if (cur && cur.thread === holder) {
          cur.to = i;
          continue;
        }
        if (cur) {
          // Released at this step: drawn through it, as the guessed bars are.
          if (!holder) cur.to = i;
          open.delete(l.lock);
        }
        if (holder) {
          const span: HeldSpan = { from: i, to: i, thread: holder, open: false };
          byName.get(l.lock)!.spans.push(span);
          open.set(l.lock, span);
        }
      }
  });
  for (const span of open.values()) if (span.to === last) span.open = true;
  return order.map((n) => byName.get(n)!).filter((lv) => lv.spans.length > 0);
}

const replicaOf = (thread: string): number | null => {
  const m = /\[(\d+)\]$/.exec(thread);
  return m ? Number(m[1]) : null;
};

/** Whether a value written by `writer` names the writer itself, another thread, or no thread. */
function naming(t: TraceFile, v: Scalar, writer: string): 'self' | 'other' | 'none' {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) return 'other';
    if (v < 0) return 'none';
    return replicaOf(writer) === v ? 'self' : 'other';
  }
  if (typeof v === 'string') return v === writer ? 'self' : t.threads.includes(v) ? 'other' : 'none';
  return 'other';
}

function isLocal(t: TraceFile, key: string): boolean {
  return t.threads.some((th) => key.startsWith(`${th}.`));
}

export function lockVars(t: TraceFile): LockVar[] {
  const out: LockVar[] = [];
  const last = t.steps.length - 1;
  // Every variable's writes in one pass over the steps (not one pass per variable).
  const writesOf = new Map<string, { i: number; thread: string; v: Scalar }[]>();
  t.steps.forEach((s, i) => {
    for (const k in s.changes) {
      let w = writesOf.get(k);
      if (!w) writesOf.set(k, (w = []));
      w.push({ i, thread: s.thread, v: s.changes[k]! });
    }
  });
  for (const key of Object.keys(t.initial)) {
    if (isLocal(t, key)) continue;
    const init = t.initial[key]!;
    const writes = writesOf.get(key) ?? [];
    let kind: LockVar['kind'];
    if (typeof init === 'boolean' && writes.every((w) => typeof w.v === 'boolean')) kind = 'flag';
    else if (writes.every((w) => naming(t, w.v, w.thread) !== 'other') && writes.some((w) => naming(t, w.v, w.thread) === 'self')) kind = 'owner';
    else continue;
    // Walk the writes: an acquire starts a span, a release (false, or a negative id) ends it there,
    // another thread's id ends it just before (a hand-over).
    const spans: HeldSpan[] = [];
    let holder = '';
    let from = -1;
    for (const w of writes) {
      const acquire = kind === 'flag' ? w.v === true : naming(t, w.v, w.thread) === 'self';
      if (from >= 0) {
        const to = acquire ? w.i - 1 : w.i;
        if (to >= from) spans.push({ from, to, thread: holder, open: false });
        from = -1;
      }
      if (acquire) {
        holder = w.thread;
        from = w.i;
      }
    }
    if (from >= 0) spans.push({ from, to: last, thread: holder, open: true });
    if (spans.length) out.push({ name: key, kind, spans });
  }
  return out;
}

// ---------------------------------------------------------------------------
// The page.
// ---------------------------------------------------------------------------

/** How many lock columns to draw at most; the rest are named in a note. */
const MAX_LOCKS = 16;

function headline(t: TraceFile): { badge: string; title: string } {
  const p = t.property;
  switch (p.kind) {
    case 'invariant':
      return { badge: 'invariant violated', title: p.name };
    case 'assertion':
      return { badge: 'assertion failed', title: p.name };
    case 'deadlock':
      return { badge: 'deadlock', title: 'no thread can take a step' };
    case 'livelock':
      return p.starving ? { badge: 'starvation', title: `${p.starving} never makes progress` } : { badge: 'livelock', title: t.fairness === 'none' ? 'a cycle with no progress' : 'a fair cycle with no progress' };
  }
}

/** Each thread's label after the last step. */
function finalLabels(t: TraceFile): Map<string, string> {
  const at = new Map(t.threads.map((th) => [th, fmt(t.initial[`${th}.at`] ?? '?')]));
  for (const s of t.steps) at.set(s.thread, s.to);
  return at;
}

function detail(t: TraceFile): string {
  const p = t.property;
  const n = t.steps.length;
  if (p.kind === 'deadlock') {
    const at = finalLabels(t);
    return `In the final state no step is enabled: ${t.threads.map((th) => `<b>${esc(th)}</b> at <code>${esc(at.get(th)!)}</code>`).join(', ')}.`;
  }
  if (p.kind === 'livelock' && t.cycleStart !== undefined) {
    const fair = t.fairness ?? 'weak';
    return `Steps ${t.cycleStart + 1}–${n} form a cycle: it returns to the state before step ${t.cycleStart + 1} and can repeat forever with no progress${p.starving ? ` by <b>${esc(p.starving)}</b>` : ''} (${fair === 'none' ? 'no fairness assumed' : `${esc(fair)}ly fair`}).`;
  }
  if (p.kind === 'assertion') {
    const last = t.steps[n - 1];
    return last ? `The assertion fails inside step ${n} (<b>${esc(last.thread)}</b>: <code>${esc(last.step)}</code>).` : '';
  }
  return n === 0 ? 'The invariant is false in the initial state.' : `The invariant is false in the state after step ${n}.`;
}

function stepCell(t: TraceFile, i: number, to: string | null, doc: string): string {
  const s = t.steps[i]!;
  const choice = s.choiceName !== undefined ? `<span class="choice">(${esc(s.choiceName)})</span>` : s.choice !== 0 ? `<span class="choice">(#${s.choice})</span>` : '';
  const marks = `${s.progress ? '<span class="mark prog" title="progress">✓</span>' : ''}${s.fails !== undefined ? '<span class="mark fail" title="assertion fails">✗</span>' : ''}`;
  const head = `<div class="sn"${doc ? ` title="${esc(doc)}"` : ''}><span class="name">${esc(s.step)}</span>${choice}${to !== null ? ` <span class="to">→ ${esc(to)}</span>` : ''}${marks}</div>`;
  const changes = Object.entries(s.changes);
  const body =
    s.fails !== undefined
      ? `<div class="failmsg">assert “${esc(s.fails)}” fails</div>`
      : changes.length
        ? `<ul class="chg">${changes.map(([k, v]) => `<li><span class="k">${esc(k)}</span><span class="eq">=</span><span class="v">${esc(fmt(v))}</span></li>`).join('')}</ul>`
        : '';
  return head + body;
}

/** The blocked threads under the headline: what each waits for, the guard and its values, and the wait-for cycle. */
function blockedSection(t: TraceFile, r: BlockedReport | null | undefined): string {
  if (!r || r.blocked.length === 0) return '';
  const items = r.blocked
    .map((b) => {
      const what = b.lock !== undefined ? ` waits for <code>${esc(b.lock)}</code>, ${b.heldBy !== undefined && b.sharedBy === undefined ? `held by <b>${esc(b.heldBy)}</b>` : esc(heldText(b))}` : b.heldBy !== undefined ? ` waits for <b>${esc(b.heldBy)}</b>` : '';
      const guards = b.waitsFor
        .map((w) => `<li><span class="name">${esc(w.step)}</span>: <code>${esc(w.guard)}</code>${Object.keys(w.reads).length ? ` reads ${Object.entries(w.reads).map(([k, v]) => `<span class="k">${esc(k)}</span>=<span class="v">${esc(fmt(v))}</span>`).join(' ')}` : ''}</li>`)
        .join('');
      const none = b.noSteps ? `: no step is at label <code>${esc(b.label)}</code>, which is no end label (a step's <code>at</code> misspelt, or a label listed in <code>labels</code> or named by a <code>next</code> that no step starts from)` : '';
      return `<li><b>${esc(b.thread)}</b> at <code>${esc(b.label)}</code>${b.atEnd ? ' (an end label: it may stop there, but)' : ''}${what}${none}${guards ? `<ul>${guards}</ul>` : ''}</li>`;
    })
    .join('');
  const cycle = r.waitCycle?.length ? `<p class="waitcycle">wait-for cycle: ${[...r.waitCycle, r.waitCycle[0]!].map((x) => `<b>${esc(x)}</b>`).join(' → ')}</p>` : '';
  return `<div class="blocked" id="blocked"><p>${t.property.kind === 'livelock' ? 'Blocked throughout the cycle' : 'Blocked threads'}:</p><ul>${items}</ul>${cycle}</div>`;
}

/** Walks one lock's spans as the rows go down, so each row costs O(1) rather than a search of the spans. */
class SpanCursor {
  private k = 0;
  constructor(private readonly spans: readonly HeldSpan[]) {}
  /** The span holding row i, for rows asked in increasing order. */
  at(i: number): HeldSpan | undefined {
    while (this.k < this.spans.length && this.spans[this.k]!.to < i) this.k++;
    const s = this.spans[this.k];
    return s && s.from <= i ? s : undefined;
  }
}

function lockCell(lv: LockVar, span: HeldSpan | undefined, i: number, colour: (th: string) => number): string {
  if (!span) return '<td class="lk"></td>';
  const cls = ['bar', `c${colour(span.thread)}`, i === span.from ? 'start' : '', i === span.to && !span.open ? 'end' : '', i === span.to && span.open ? 'open' : ''].filter(Boolean).join(' ');
  const title = `${lv.name} held by ${span.thread}, steps ${span.from + 1}–${span.to + 1}${span.open ? ' and after' : ''}`;
  const who = i === span.from ? `<span class="who">${esc(span.thread)}</span>` : '';
  return `<td class="lk"><div class="${cls}" title="${esc(title)}"></div>${who}</td>`;
}

/** The most swimlane cells (threads times steps) a page draws: 8,000 threads of one step each made a page too long for a string. */
export const MAX_HTML_CELLS = 4_000_000;

export function renderHtml(t: TraceFile, opts: HtmlOptions = {}): string {
  const n = t.steps.length;
  const cells = t.threads.length * n;
  if (cells > MAX_HTML_CELLS)
    throw new McError('MC342', `the trace has ${t.threads.length.toLocaleString('en-US')} threads and ${n.toLocaleString('en-US')} steps: ${cells.toLocaleString('en-US')} swimlane cells, more than the ${MAX_HTML_CELLS.toLocaleString('en-US')} an HTML page draws; use --format text or markdown`);
  const { badge, title } = headline(t);
  const colourOf = new Map(t.threads.map((th, i) => [th, i % PALETTE]));
  const colour = (th: string) => colourOf.get(th) ?? 0;
  const moved = new Set(t.steps.map((s) => s.thread));
  const declared = (opts.locks?.length ?? 0) > 0;
  const locks = declared ? declaredLockVars(t, opts.locks!) : lockVars(t);
  const shownLocks = locks.slice(0, MAX_LOCKS);
  const params = Object.entries(t.params).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
  const modelLine = `${t.model}${t.variant ? ` / ${t.variant}` : ''}${params ? ` (${params})` : ''}`;
  const switches = contextSwitches(t.steps);
  const cs = t.cycleStart ?? -1;

  const head = [
    '<tr class="groups"><th></th>',
    `<th colspan="${t.threads.length}" class="grp">threads</th>`,
    shownLocks.length ? `<th colspan="${shownLocks.length}" class="grp lkgrp">held by</th>` : '',
    '</tr><tr><th class="num" scope="col">#</th>',
    ...t.threads.map((th) => `<th scope="col" class="lane-h c${colour(th)}${moved.has(th) ? '' : ' idle" title="takes no step in this trace'}"><span class="dot"></span>${esc(th)}</th>`),
    ...shownLocks.map((lv) => `<th scope="col" class="lk-h" title="${esc(`${lv.name}: ${lv.kind === 'declared' ? `${lv.what} declared by the model` : lv.kind === 'owner' ? 'holds a thread id' : 'a flag set and cleared by threads'}`)}"><span>${esc(lv.name)}</span></th>`),
    '</tr>',
  ].join('');

  const rows: string[] = [];
  rows.push(
    `<tr class="init" data-i="0" tabindex="0"><td class="num">0</td><td colspan="${t.threads.length}" class="initcell">initial state</td>${shownLocks.map(() => '<td class="lk"></td>').join('')}</tr>`,
  );
  const labels = labelsWorthShowing(t);
  const cursors = shownLocks.map((lv) => new SpanCursor(lv.spans));
  t.steps.forEach((s, i) => {
    if (i === cs)
      rows.push(`<tr class="cycle-mark"><td colspan="${1 + t.threads.length + shownLocks.length}">↻ cycle starts here: steps ${cs + 1}–${n} repeat forever</td></tr>`);
    const cls = ['step', cs >= 0 && i >= cs ? 'cycle' : '', s.fails !== undefined ? 'failing' : '', i === n - 1 ? 'last' : ''].filter(Boolean).join(' ');
    const lanes = t.threads.map((th) => (th === s.thread ? `<td class="lane on c${colour(th)}">${stepCell(t, i, labels[i]!, opts.docs?.[i] ?? '')}</td>` : '<td class="lane"></td>')).join('');
    rows.push(
      `<tr class="${cls}" data-i="${i + 1}" tabindex="0"><td class="num">${cs >= 0 && i >= cs ? '<span class="cyc" title="on the cycle">↻</span>' : ''}${i + 1}</td>${lanes}${shownLocks.map((lv, k) => lockCell(lv, cursors[k]!.at(i), i, colour)).join('')}</tr>`,
    );
  });
  if (cs >= 0)
    rows.push(`<tr class="cycle-mark end"><td colspan="${1 + t.threads.length + shownLocks.length}">↩ back to the state before step ${cs + 1}</td></tr>`);

  const legendThreads = t.threads.map((th) => `<li><span class="sw c${colour(th)}"></span>${esc(th)}${moved.has(th) ? '' : ' <i>(no steps)</i>'}</li>`).join('');
  const lockNote = locks.length > MAX_LOCKS ? `<p class="note">${locks.length - MAX_LOCKS} more lock-like variables not drawn: ${locks.slice(MAX_LOCKS).map((l) => `<code>${esc(l.name)}</code>`).join(', ')}.</p>` : '';

  const data = {
    threads: t.threads,
    initial: t.initial,
    steps: t.steps.map((s, i) => ({ thread: s.thread, step: s.step, from: s.from, to: s.to, changes: s.changes, ...(s.fails !== undefined ? { fails: s.fails } : {}), ...(opts.docs?.[i] ? { doc: opts.docs[i] } : {}) })),
  };

  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="mmcheck ${esc(VERSION)}">
<title>${esc(`${modelLine}: ${propertyText(t)}`)}</title>
<style>${CSS}</style>
</head>
<body>
<header class="banner k-${t.property.kind}">
  <div class="badge">${esc(badge)}</div>
  <h1 id="property">${esc(title)}</h1>
  <p class="model"><b>${esc(modelLine)}</b> · ${n} step${n === 1 ? '' : 's'} · ${switches} context switch${switches === 1 ? '' : 'es'}${t.fairness ? ` · ${esc(t.fairness)} fairness` : ''}</p>
  <p class="detail">${detail(t)}</p>
  ${blockedSection(t, opts.blocked)}
  ${opts.note ? `<p class="unverified">note: ${esc(opts.note)}</p>` : ''}
  ${opts.source ? `<p class="cmd">replay: <code>mmcheck replay ${esc(opts.source + (opts.modelFlag ?? ''))}</code> · against a fix: <code>mmcheck replay ${esc(opts.source + (opts.modelFlag ?? ''))} --variant V</code></p>` : ''}
</header>
<section class="legend" aria-label="legend">
  <ul class="threads">${legendThreads}</ul>
  <ul class="keys">
    <li><span class="name">step</span> <span class="to">→ label</span> the step a thread takes, and the label it moves to when its next step does not say it</li>
    <li><span class="k">x</span>=<span class="v">1</span> variables the step changed</li>
    ${opts.docs?.some((d) => d) ? '<li><span class="sn" title="what the step stands for">step</span> hover a step for what it stands for in the model (also shown in the state panel)</li>' : ''}
    <li><span class="mark prog">✓</span> progress step</li>
    <li><span class="mark fail">✗</span> the step's assertion fails</li>
    ${cs >= 0 ? '<li><span class="cyc">↻</span> steps on the livelock cycle</li>' : ''}
    ${shownLocks.length ? `<li><span class="barkey"></span> ${declared ? 'a declared lock' : 'a lock-like variable'} held by the thread of that colour; <span class="openkey">▼</span> still held after the last step</li>` : ''}
  </ul>
  ${shownLocks.length && declared ? '<p class="note">Locks as the model declares them (its building blocks): the bar shows the thread that holds each one, read from the lock\'s owner variables.</p>' : ''}
  ${shownLocks.length && !declared ? '<p class="note">Lock-like (a guess from the trace): a shared variable that threads set to their own id or name and later clear (an owner), or a boolean that a thread sets and later clears (a lock or flag; held until cleared).</p>' : ''}
  ${lockNote}
  <p class="note">Click a row (or use ↑ ↓) to see the full state after that step.</p>
</section>
<main>
<div class="lanes" role="region" aria-label="interleaving">
<table class="swim">
<thead>${head}</thead>
<tbody>
${rows.join('\n')}
</tbody>
</table>
</div>
<aside class="state" aria-live="polite">
  <h2 id="state-title">State</h2>
  <p id="state-sub" class="sub"></p>
  <p id="state-doc" class="doc" hidden></p>
  <table class="vars"><tbody id="state-body"></tbody></table>
  <noscript><p>The state panel needs JavaScript.</p></noscript>
</aside>
</main>
<script type="application/json" id="trace-data">${scriptJson(data)}</script>
<script>${SCRIPT}</script>
</body>
</html>
`;
}

/** Number of thread colours; threads beyond it reuse them. */
const PALETTE = 8;

// Okabe–Ito colours (distinguishable with common colour-vision deficiencies), lighter in dark mode.
const CSS = `
:root{--bg:#fff;--fg:#1b1f24;--mut:#5a6472;--line:#d8dde3;--soft:#f4f6f8;--sel:#fff3bf;--selb:#e0b400;--bad:#b42318;--badbg:#fdecea;--ok:#0a7d38;--cyc:#7a3fd1;--cycbg:#f3edfc;
--c0:#0072b2;--c1:#d55e00;--c2:#009e73;--c3:#cc79a7;--c4:#e69f00;--c5:#56b4e9;--c6:#8c564b;--c7:#6b7280}
@media (prefers-color-scheme:dark){:root{--bg:#14171b;--fg:#e6e9ed;--mut:#9aa4b1;--line:#323840;--soft:#1d2126;--sel:#3d3510;--selb:#d9b100;--bad:#ff8a80;--badbg:#3a1a18;--ok:#5fd38d;--cyc:#b692ff;--cycbg:#251d36;
--c0:#4fb3ff;--c1:#ff8c4a;--c2:#35d0a0;--c3:#eb9ccb;--c4:#ffc24d;--c5:#8fd3ff;--c6:#c9917f;--c7:#a3abb8}}
*{box-sizing:border-box}
body{margin:0;background:var(--bg);color:var(--fg);font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
code,.sn,.chg,.vars td,.who,.lk-h{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.c0{--c:var(--c0)}.c1{--c:var(--c1)}.c2{--c:var(--c2)}.c3{--c:var(--c3)}.c4{--c:var(--c4)}.c5{--c:var(--c5)}.c6{--c:var(--c6)}.c7{--c:var(--c7)}
.banner{padding:16px 24px 12px;border-bottom:1px solid var(--line);background:var(--badbg);border-left:6px solid var(--bad)}
.banner.k-livelock{background:var(--cycbg);border-left-color:var(--cyc)}
.badge{display:inline-block;text-transform:uppercase;letter-spacing:.06em;font-size:12px;font-weight:700;color:var(--bad)}
.k-livelock .badge{color:var(--cyc)}
h1{margin:2px 0 6px;font-size:24px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;word-break:break-word}
.banner p{margin:3px 0}.model{color:var(--fg)}.detail,.cmd{color:var(--mut)}.unverified{color:var(--bad)}
.blocked{margin:6px 0;color:var(--fg)}.blocked ul{margin:2px 0;padding-left:20px}.blocked li{margin:1px 0}.blocked .k{font-family:var(--mono,monospace)}.waitcycle{color:var(--bad)}
.legend{padding:8px 24px;border-bottom:1px solid var(--line);display:flex;flex-wrap:wrap;gap:4px 28px;align-items:baseline;font-size:13px;color:var(--mut)}
.legend ul{list-style:none;margin:0;padding:0;display:flex;flex-wrap:wrap;gap:4px 16px}
.legend .threads li{color:var(--fg);font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.legend .note{margin:0;flex-basis:100%}
.sw{display:inline-block;width:12px;height:12px;border-radius:3px;background:var(--c);margin-right:5px;vertical-align:-1px}
.barkey{display:inline-block;width:6px;height:14px;border-radius:3px;background:var(--c0);vertical-align:-2px}
.openkey{color:var(--mut)}
main{display:grid;grid-template-columns:minmax(0,1fr) minmax(260px,25%);align-items:start}
.lanes{overflow:auto;max-height:100vh;padding-bottom:24px}
table.swim{border-collapse:collapse;width:100%}
.swim th,.swim td{border-bottom:1px solid var(--line);padding:0;vertical-align:top;text-align:left}
.swim thead th{position:sticky;background:var(--bg);z-index:2}
.swim thead tr.groups th{top:0;height:24px;font-size:11px;font-weight:600;text-transform:uppercase;letter-spacing:.05em;color:var(--mut);padding:4px 8px 0;border-bottom:0}
.swim thead tr:not(.groups) th{top:24px;padding:6px 10px;border-bottom:2px solid var(--line)}
th.lane-h{min-width:110px;font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:14px;border-bottom:3px solid var(--c)!important}
th.lane-h .dot{display:inline-block;width:9px;height:9px;border-radius:50%;background:var(--c);margin-right:6px}
th.lane-h.idle{color:var(--mut);font-weight:400}
th.lkgrp{border-left:1px solid var(--line)}
th.lk-h{width:80px;min-width:80px;max-width:120px;padding:6px 6px!important;vertical-align:bottom;font-weight:600;font-size:12px;word-break:break-all;border-left:1px solid var(--line)}
td.num,th.num{width:44px;text-align:right;padding:6px 8px;color:var(--mut);font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr[data-i]{cursor:pointer}
tbody tr[data-i]:hover td{background:var(--soft)}
tbody tr[data-i]:focus{outline:2px solid var(--selb);outline-offset:-2px}
tbody tr.sel td{background:var(--sel)!important}
td.lane{padding:5px 10px;min-width:110px;border-left:1px solid var(--line)}
td.lane.on{background:color-mix(in srgb,var(--c) 9%,transparent);box-shadow:inset 3px 0 0 var(--c)}
.sn .name{font-weight:700}
.sn .to,.legend .to{color:var(--mut)}
.sn .choice{color:var(--mut);margin-left:2px}
.mark{margin-left:6px;font-weight:700}.mark.prog{color:var(--ok)}.mark.fail{color:var(--bad)}
ul.chg{list-style:none;margin:2px 0 0;padding:0;font-size:12.5px;display:flex;flex-wrap:wrap;gap:0 12px}
.k{color:var(--mut)}.eq{color:var(--mut);margin:0 1px}.v{font-weight:600}
.failmsg{color:var(--bad);font-weight:600;font-size:12.5px}
tr.failing td.lane.on{box-shadow:inset 3px 0 0 var(--bad)}
td.initcell{padding:6px 10px;color:var(--mut);font-style:italic;border-left:1px solid var(--line)}
tr.cycle td.num{box-shadow:inset 4px 0 0 var(--cyc)}
.cyc{color:var(--cyc);font-weight:700;margin-right:4px}
tr.cycle-mark td{padding:4px 12px;color:var(--cyc);background:var(--cycbg);font-weight:600;font-size:12.5px}
td.lk{position:relative;width:80px;border-left:1px solid var(--line)}
td.lk .bar{position:absolute;left:10px;width:9px;top:-1px;bottom:-1px;background:var(--c)}
td.lk .bar.start{top:6px;border-radius:5px 5px 0 0}
td.lk .bar.end{bottom:6px;border-radius:0 0 5px 5px}
td.lk .bar.start.end{border-radius:5px}
td.lk .bar.open::after{content:"▼";position:absolute;bottom:-15px;left:-1px;font-size:11px;color:var(--c)}
td.lk .who{display:block;margin:5px 0 0 23px;font-size:11px;line-height:1.2;color:var(--c);font-weight:700;max-width:56px;overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
aside.state{position:sticky;top:0;max-height:100vh;overflow:auto;border-left:1px solid var(--line);padding:12px 18px 24px;background:var(--soft)}
aside h2{margin:0;font-size:16px}
aside .sub{margin:2px 0 10px;color:var(--mut);font-size:13px}
aside .doc{margin:-4px 0 10px;font-size:13px;font-style:italic;word-break:break-word}
.sn[title]{text-decoration:underline dotted var(--mut);text-underline-offset:3px;cursor:help}
table.vars{border-collapse:collapse;width:100%;font-size:13px}
table.vars th{text-align:left;padding:10px 0 3px;font-size:11px;text-transform:uppercase;letter-spacing:.05em;color:var(--mut);border-bottom:1px solid var(--line)}
table.vars td{padding:2px 6px 2px 0;border-bottom:1px solid color-mix(in srgb,var(--line) 50%,transparent);word-break:break-all}
table.vars td:first-child{color:var(--mut);width:55%}
table.vars tr.changed td{background:var(--sel);color:var(--fg);font-weight:700}
table.vars .was{font-weight:400;color:var(--mut);margin-left:8px;font-size:12px}
@media (max-width:900px){main{grid-template-columns:1fr}aside.state{position:static;max-height:none;border-left:0;border-top:1px solid var(--line)}}
`;

// Runs in the page. Computes the state after a step from the initial state
// and the recorded changes; inserts text with textContent only. Full states
// are kept only every CHECKPOINT steps and the rest replayed from the nearest
// one on demand, so a long trace costs O(steps) memory, not O(steps × vars),
// and selecting a row touches only that row and the previous selection.
const SCRIPT = `
(function () {
  'use strict';
  var data = JSON.parse(document.getElementById('trace-data').textContent);
  var CHECKPOINT = 256;
  function apply(st, s) {
    for (var k in s.changes) st[k] = s.changes[k];
    st[s.thread + '.at'] = s.to;
  }
  var marks = [Object.assign({}, data.initial)];
  var run = Object.assign({}, data.initial);
  data.steps.forEach(function (s, j) {
    apply(run, s);
    if ((j + 1) % CHECKPOINT === 0) marks.push(Object.assign({}, run));
  });
  function stateAt(i) {
    var k = Math.floor(i / CHECKPOINT);
    var st = Object.assign({}, marks[k]);
    for (var j = k * CHECKPOINT; j < i; j++) apply(st, data.steps[j]);
    return st;
  }
  var threads = data.threads.slice().sort(function (a, b) { return b.length - a.length; });
  function owner(key) {
    for (var i = 0; i < threads.length; i++) if (key.indexOf(threads[i] + '.') === 0) return threads[i];
    return null;
  }
  var rows = Array.prototype.slice.call(document.querySelectorAll('tr[data-i]'));
  var body = document.getElementById('state-body');
  var title = document.getElementById('state-title');
  var sub = document.getElementById('state-sub');
  var doc = document.getElementById('state-doc');
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = text;
    if (cls) e.className = cls;
    return e;
  }
  var selected = null;
  function show(i) {
    var st = stateAt(i), prev = i > 0 ? stateAt(i - 1) : null, step = i > 0 ? data.steps[i - 1] : null;
    if (selected) {
      selected.classList.remove('sel');
      selected.setAttribute('aria-selected', 'false');
    }
    // rows[i] is the row with data-i = i: the initial state, then one row per step.
    selected = rows[i];
    selected.classList.add('sel');
    selected.setAttribute('aria-selected', 'true');
    title.textContent = i === 0 ? 'Initial state' : step.fails !== undefined ? 'State at step ' + i + ' (it fails)' : 'State after step ' + i;
    sub.textContent = step ? step.thread + ': ' + step.step + (step.fails !== undefined ? ' (assertion "' + step.fails + '" fails; the state is the one it started from)' : '') : '';
    doc.textContent = step && step.doc ? step.doc : '';
    doc.hidden = !(step && step.doc);
    body.textContent = '';
    var groups = [['shared', []]];
    var byThread = {};
    data.threads.forEach(function (t) { byThread[t] = [t, []]; groups.push(byThread[t]); });
    Object.keys(st).forEach(function (k) {
      var o = owner(k);
      (o ? byThread[o] : groups[0])[1].push(k);
    });
    groups.forEach(function (g) {
      if (!g[1].length) return;
      var h = el('tr'); var th = el('th', g[0]); th.colSpan = 2; h.appendChild(th); body.appendChild(h);
      g[1].forEach(function (k) {
        var tr = el('tr');
        var changed = prev !== null && prev[k] !== st[k];
        if (changed) tr.className = 'changed';
        var name = g[0] === 'shared' ? k : k.slice(g[0].length + 1);
        tr.appendChild(el('td', name === 'at' && g[0] !== 'shared' ? 'label' : name));
        var td = el('td', String(st[k]));
        if (changed) td.appendChild(el('span', 'was ' + String(prev[k]), 'was'));
        tr.appendChild(td);
        body.appendChild(tr);
      });
    });
    if (history.replaceState) history.replaceState(null, '', '#step-' + i);
  }
  rows.forEach(function (r, j) {
    r.addEventListener('click', function () { show(Number(r.getAttribute('data-i'))); });
    r.addEventListener('keydown', function (e) {
      var k = e.key, to = -1;
      if (k === 'ArrowDown' || k === 'j') to = Math.min(rows.length - 1, j + 1);
      else if (k === 'ArrowUp' || k === 'k') to = Math.max(0, j - 1);
      else if (k === 'Enter' || k === ' ') to = j;
      if (to < 0) return;
      e.preventDefault();
      rows[to].focus();
      show(Number(rows[to].getAttribute('data-i')));
    });
  });
  var m = /^#step-(\\d+)$/.exec(location.hash);
  var first = m ? Math.min(Number(m[1]), data.steps.length) : data.steps.length;
  show(first);
})();
`;
