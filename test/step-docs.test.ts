/**
 * Step docs (`doc` on a step: what it stands for, e.g. the kernel function)
 * in every rendering of a counterexample: the text table (`check`, `show`,
 * `minimize`, `simulate`), Markdown, the HTML page (a tooltip on the step and
 * a line in the state panel), the programmatic `render()`, and the step at
 * which `replay` stops.
 */
import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bool, buildModel, defineModel, render, search, thread, type Model } from '../src/index.ts';
import { buildTrace } from '../src/trace/build.ts';
import { traceDocs, traceDocsOf } from '../src/trace/docs.ts';
import type { TraceFile } from '../src/trace/format.ts';
import { renderMarkdown, renderText } from '../src/report/table.ts';
import { renderHtml } from '../src/report/html.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

const tmp = () => tempDir('mmcheck-docs-');
const entry = pathToFileURL(resolve('src/index.ts')).href;

/** Docs with markup, quotes, a table separator and a line break: each must come out escaped and on one line. */
const DOC_A = 'spin_lock(&ptl) <i onclick=x>"x"</i> | 1\n  then check';
const DOC_A_LINE = 'spin_lock(&ptl) <i onclick=x>"x"</i> | 1 then check';
const DOC_B = "folio_put(folio) -> __folio_put('last')";

/** The model below as a model file. */
const SOURCE = (from: string) => `import { defineModel, bool, thread } from ${JSON.stringify(from)};
export default defineModel({
  name: 'doc-race',
  shared: { twice: bool(), one: bool() },
  threads: ['A', 'B'].map((name) =>
    thread(name, {
      start: 'take',
      end: ['done'],
      steps: {
        take: { next: 'set', doc: ${JSON.stringify(DOC_A)} },
        set: { then: (s) => { if (s.one) s.twice = true; s.one = true; }, next: 'done', ...(name === 'B' ? { doc: ${JSON.stringify(DOC_B)} } : {}) },
      },
    }),
  ),
  invariants: { 'one-inside': (s) => !s.twice },
});
`;

/** The same model built in this process. */
const model = defineModel({
  name: 'doc-race',
  shared: { twice: bool(), one: bool() },
  threads: ['A', 'B'].map((name) =>
    thread(name, {
      start: 'take',
      end: ['done'],
      steps: {
        take: { next: 'set', doc: DOC_A },
        set: { then: (s) => { if (s.one) s.twice = true; s.one = true; }, next: 'done', ...(name === 'B' ? { doc: DOC_B } : {}) },
      },
    }),
  ),
  invariants: { 'one-inside': (s) => !s.twice },
}) as unknown as Model;

function traceOf(m: Model): TraceFile {
  const r = search(buildModel(m, null, {}), {});
  if (!r.violation) throw new Error('expected a violation');
  return JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation)));
}

const expectedDoc = (s: TraceFile['steps'][number]) => (s.step === 'take' ? DOC_A_LINE : s.thread === 'B' && s.step === 'set' ? DOC_B : '');
const htmlEsc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

test('traceDocs: one entry per step, looked up by thread and step, on one line; none without a model or for a model that no longer builds', (t) => {
  const tr = traceOf(model);
  t.is(tr.steps.length, 4);
  const docs = traceDocs(tr, buildModel(model, null, {}));
  t.deepEqual(docs, tr.steps.map(expectedDoc));
  t.deepEqual(traceDocsOf(tr, model), docs);
  t.is(traceDocsOf(tr, null), undefined);
  t.is(traceDocsOf({ ...tr, params: { n: 3 } }, model), undefined, 'an unknown parameter: shown without docs, not refused');
  t.deepEqual(traceDocsOf({ ...tr, steps: tr.steps.map((s) => ({ ...s, step: `${s.step}-gone` })) }, model), ['', '', '', '']);
});

test('text: each step with a doc has it on the line under its row, starting in its thread column', (t) => {
  const tr = traceOf(model);
  const lines = renderText(tr, { docs: traceDocs(tr, buildModel(model, null, {})) }).split('\n');
  t.false(renderText(tr).includes('↳'), 'no docs given, none shown');
  for (let i = 0; i < tr.steps.length; i++) {
    const s = tr.steps[i]!;
    const row = lines.findIndex((l) => l.startsWith(`${i + 1} | `));
    t.true(row > 0, `row ${i + 1}`);
    const doc = expectedDoc(s);
    if (!doc) {
      t.false(lines[row + 1]!.includes('↳'), `step ${i + 1} has no doc`);
      continue;
    }
    t.is(lines[row + 1]!.slice(lines[row + 1]!.indexOf('↳') + 2), doc, `step ${i + 1}`);
    // The arrow stands where the step's name stands in the row above.
    t.is(lines[row + 1]!.indexOf('↳'), lines[row]!.indexOf(s.step), `step ${i + 1} aligned`);
  }
});

test('markdown: a doc column, escaped for the table, only when some step has a doc', (t) => {
  const tr = traceOf(model);
  const md = renderMarkdown(tr, { docs: traceDocs(tr, buildModel(model, null, {})) });
  t.regex(md, /^\| # \| A \| B \| changes \| doc \|$/m);
  const rows = md.split('\n').filter((l) => /^\| \d+ \|/.test(l));
  t.is(rows.length, tr.steps.length);
  rows.forEach((r, i) => {
    const doc = expectedDoc(tr.steps[i]!);
    // Raw HTML would render where the table is shown: `<` is an entity there.
    t.true(r.endsWith(` | ${doc ? doc.replace(/</g, '&lt;').replace(/\|/g, '\\|') : ' '} |`), `${r} ends with the doc of step ${i + 1}`);
  });
  t.notRegex(renderMarkdown(tr), /\| doc \|/);
  t.notRegex(renderMarkdown(tr, { docs: ['', '', '', ''] }), /\| doc \|/);
});

test('html: the doc is the tooltip of its step and travels to the state panel; escaped everywhere', (t) => {
  const tr = traceOf(model);
  const html = renderHtml(tr, { docs: traceDocs(tr, buildModel(model, null, {})) });
  t.false(html.includes('<i onclick'), 'no markup from a doc');
  const heads = [...html.matchAll(/<div class="sn"( title="([^"]*)")?><span class="name">([^<]*)<\/span>/g)];
  t.is(heads.length, tr.steps.length);
  heads.forEach((m, i) => {
    const doc = expectedDoc(tr.steps[i]!);
    t.is(m[3], tr.steps[i]!.step);
    t.is(m[2] as string | undefined, doc ? htmlEsc(doc) : undefined, `tooltip of step ${i + 1}`);
  });
  const data = JSON.parse(/<script type="application\/json" id="trace-data">([^<]*)<\/script>/.exec(html)![1]!);
  t.deepEqual(data.steps.map((s: { doc?: string }) => s.doc ?? ''), tr.steps.map(expectedDoc));
  t.true(html.includes('<p id="state-doc" class="doc" hidden></p>'), 'the panel line the script fills');
  t.regex(html, /doc\.textContent = step && step\.doc/);
  t.regex(html, /hover a step for what it stands for/);
  const plain = renderHtml(tr);
  t.notRegex(plain, /<div class="sn" title=/);
  t.notRegex(plain, /hover a step/);
});

test('render(): docs with the model, none without it; itf unchanged', (t) => {
  const tr = traceOf(model);
  for (const f of ['text', 'markdown', 'html'] as const) {
    const withModel = render(tr, f, { model });
    t.true(withModel.includes(f === 'html' ? htmlEsc(DOC_B) : DOC_B), f);
    t.false(render(tr, f).includes(f === 'html' ? htmlEsc(DOC_B) : DOC_B), `${f} without the model`);
  }
  t.is(render(tr, 'itf', { model }), render(tr, 'itf'));
});

test('cli: check, show (text, markdown, html), simulate and minimize show each step doc; replay names the doc of the step where it stops', async (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'm.ts'), SOURCE(entry));
  const c = await cli(['check', 'm.ts', '--trace-out', 't.json', '--no-progress'], dir);
  t.is(c.code, 1, c.out + c.err);
  const tr = JSON.parse(readFileSync(join(dir, 't.json'), 'utf8')) as TraceFile;
  const docSteps = tr.steps.filter((s) => expectedDoc(s));
  t.true(docSteps.length >= 3);
  const count = (s: string, sub: string) => s.split(sub).length - 1;
  for (const doc of [DOC_A_LINE, DOC_B]) t.is(count(c.out, `↳ ${doc}`), tr.steps.filter((s) => expectedDoc(s) === doc).length, doc);
  for (const format of ['text', 'markdown', 'html']) {
    const sh = await cli(['show', 't.json', '--model', 'm.ts', '--format', format], dir);
    t.is(sh.code, 0, sh.err);
    for (const doc of [DOC_A_LINE, DOC_B]) {
      const shown = format === 'html' ? `title="${htmlEsc(doc)}"` : format === 'markdown' ? `| ${doc.replace(/</g, '&lt;').replace(/\|/g, '\\|')} |` : `↳ ${doc}`;
      t.is(count(sh.out, shown), tr.steps.filter((s) => expectedDoc(s) === doc).length, `${format}: ${doc}`);
    }
  }
  // Without the model (a model file named in the trace is never loaded), the trace is shown without docs.
  const bare = await cli(['show', 't.json'], dir);
  t.is(bare.code, 0, bare.err);
  t.false(bare.out.includes('↳'));
  // A model changed since (the race fixed in set, its docs reworded): the trace is shown as recorded, without what the new model's steps stand for.
  writeFileSync(join(dir, 'fixed.ts'), SOURCE(entry).replace("if (s.one) s.twice = true; ", '').replace(JSON.stringify(DOC_B), JSON.stringify('atomic_set(one)')));
  for (const format of ['text', 'html']) {
    const changed = await cli(['show', 't.json', '--model', 'fixed.ts', '--format', format], dir);
    t.is(changed.code, 0, changed.err);
    t.regex(changed.out, /not re-executed: it does not reproduce on the current model/);
    for (const doc of [DOC_A_LINE, 'atomic_set(one)']) t.false(changed.out.includes(format === 'html' ? `title="${htmlEsc(doc)}"` : `↳ ${doc}`), `${format}: ${doc}`);
  }
  const min = await cli(['minimize', 't.json', '--model', 'm.ts'], dir);
  t.is(min.code, 0, min.err);
  t.true(min.out.includes(`↳ ${DOC_B}`));
  const sim = await cli(['simulate', 'm.ts', '--seed', '1', '--runs', '200', '--no-trace'], dir);
  t.is(sim.code, 1, sim.out + sim.err);
  t.true(sim.out.includes(`↳ ${DOC_A_LINE}`));
});

test('cli: replay on the fix stops at a step and prints what that step stands for; --json carries it on the stop', async (t) => {
  const r = await cli(['replay', 'traces/migration-entry-wait.put-and-wait.faulters2-holder0-onFailureretry-checkSlack1-contendedrefault.livelock.json', '--variant', 'wait-on-locked']);
  t.is(r.code, 1, r.err);
  const built = buildModel((await import('../models/migration-entry-wait.ts')).default as unknown as Model, 'wait-on-locked', {});
  const stopped = /^step \d+ \(T\[\d\]: (\w+)\) no longer applies/m.exec(r.out);
  t.truthy(stopped, r.out);
  const doc = built.templates.flatMap((tp) => tp.steps).find((s) => s.name === stopped![1])!.doc;
  t.truthy(doc);
  t.regex(r.out, new RegExp(`^  ${stopped![1]}: ${doc.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  const j = await cli(['replay', 'traces/migration-entry-wait.put-and-wait.faulters2-holder0-onFailureretry-checkSlack1-contendedrefault.livelock.json', '--variant', 'wait-on-locked', '--json']);
  t.is(JSON.parse(j.out).stop.doc, doc);
});
