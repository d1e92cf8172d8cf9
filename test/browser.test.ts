/**
 * The HTML counterexample page in a real browser: headless Chromium (Debian's
 * /usr/bin/chromium) loads the page from a file, runs its script, and we read
 * back the DOM it shows (--dump-dom) and save screenshots in light and dark
 * mode under test-output/ to look at. Skipped, visibly, where Chromium is
 * not installed (.ci/run installs it).
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { builtinModels } from '../models/index.ts';
import { expectationsOf } from '../src/index.ts';
import { parseTrace } from '../src/trace/format.ts';
import { traceDocsOf } from '../src/trace/docs.ts';
import { loadModel } from '../src/run/load.ts';
import { cli } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

const OUT = resolve('test-output');

/** MMCHECK_CHROMIUM names another binary (or a missing one, to see the skip). */
function findChromium(): string | null {
  const env = process.env.MMCHECK_CHROMIUM;
  if (env !== undefined) return existsSync(env) ? env : null;
  if (existsSync('/usr/bin/chromium')) return '/usr/bin/chromium';
  const r = spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' });
  return r.status === 0 && r.stdout.trim() ? r.stdout.trim() : null;
}
const chromium = findChromium();

/** Run headless Chromium with a fresh profile and no network side channels. */
function browse(args: string[]): { out: string; err: string; code: number | null } {
  const profile = tempDir('mmcheck-chromium-');
  try {
    const r = spawnSync(
      chromium!,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        `--user-data-dir=${profile}`,
        ...args,
      ],
      { encoding: 'utf8', timeout: 90_000, maxBuffer: 64 * 1024 * 1024 },
    );
    return { out: r.stdout, err: r.stderr, code: r.status };
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

/** A kernel model's counterexample when there is one, else the lock example's. */
function subject(): { model: string; variant: string; label: string } {
  for (const m of builtinModels.filter((x) => x.def.category === 'kernel'))
    for (const v of m.variantNames)
      if (expectationsOf(m, v).some((e) => !e.params && e.verdict === 'violation')) return { model: m.name, variant: v, label: `${m.name}.${v}` };
  return { model: resolve('examples/lock.ts'), variant: 'test-then-set', label: 'lock-example.test-then-set' };
}

const title = chromium
  ? 'browser: Chromium shows the HTML counterexample (threads, steps, property, state after a step) and screenshots it'
  : 'browser: SKIPPED — Chromium is not installed (apt-get install -y chromium; .ci/run does this)';

(chromium ? test : test.skip)(title, async (t) => {
  const { model, variant, label } = subject();
  const dir = tempDir('mmcheck-browser-');
  mkdirSync(OUT, { recursive: true });
  const check = await cli(['check', model, '--variant', variant, '--minimize', '--trace-out', 'trace.json'], dir);
  t.is(check.code, 1, check.out + check.err);
  const html = join(OUT, `${label}.html`);
  const show = await cli(['show', 'trace.json', '--format', 'html', '-o', html], dir);
  t.is(show.code, 0, show.err);
  const tr = parseTrace(readFileSync(join(dir, 'trace.json'), 'utf8'));
  t.log(`${label}: ${tr.property.kind} ${tr.property.name}, ${tr.steps.length} steps`);
  const url = pathToFileURL(html).href;

  // The page as the browser shows it after its script ran (the state after the last step is selected).
  const dom = browse(['--dump-dom', url]);
  t.is(dom.code, 0, dom.err.slice(-2000));
  const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  const h1 = /<h1 id="property">([^<]*)<\/h1>/.exec(dom.out)?.[1];
  if (tr.property.kind === 'invariant' || tr.property.kind === 'assertion') t.is(h1, esc(tr.property.name));
  else t.truthy(h1);
  for (const th of tr.threads) t.true(dom.out.includes(`<span class="dot"></span>${esc(th)}</th>`), `thread ${th} has a column`);
  for (const s of tr.steps) t.true(dom.out.includes(`<span class="name">${esc(s.step)}</span>`), `step ${s.step} is shown`);
  t.regex(dom.out, new RegExp(`<h2 id="state-title">State (after|at) step ${tr.steps.length}`), 'the script filled in the state panel');
  t.regex(dom.out, /<tr class="[^"]*\bsel\b[^"]*" data-i="\d+"[^>]*aria-selected="true"/);
  // Step docs: a tooltip on each step that has one, and the selected step's doc in the state panel.
  const docs = traceDocsOf(tr, await loadModel(model)) ?? [];
  t.is((dom.out.match(/<div class="sn" title="/g) ?? []).length, docs.filter((d) => d).length, 'one tooltip per step with a doc');
  const lastDoc = docs[tr.steps.length - 1];
  if (lastDoc) t.true(dom.out.includes(`<p id="state-doc" class="doc">${esc(lastDoc)}</p>`), 'the state panel shows the doc of the step selected');
  else t.true(dom.out.includes('<p id="state-doc" class="doc" hidden=""></p>'), 'no doc, no panel line');

  // Linking to a step selects it: the panel shows the full state after step 2, with what it changed marked.
  if (tr.steps.length >= 2) {
    const at2 = browse(['--dump-dom', `${url}#step-2`]);
    t.regex(at2.out, /<h2 id="state-title">State (after|at) step 2/);
    for (const [k, v] of Object.entries(tr.steps[1]!.changes)) {
      const shown = k.startsWith(`${tr.steps[1]!.thread}.`) ? k.slice(tr.steps[1]!.thread.length + 1) : k;
      t.true(at2.out.includes(`<tr class="changed"><td>${esc(shown)}</td><td>${esc(String(v))}<span class="was">`), `${k}=${v} is marked as changed by step 2`);
    }
  }

  for (const [suffix, extra] of [['', []], ['-dark', ['--force-dark-mode']]] as const) {
    const png = join(OUT, `${label}${suffix}.png`);
    rmSync(png, { force: true });
    const shot = browse([`--screenshot=${png}`, '--window-size=1400,1000', ...extra, url]);
    t.is(shot.code, 0, shot.err.slice(-2000));
    t.true(existsSync(png), `screenshot ${png}`);
    t.deepEqual([...readFileSync(png).subarray(0, 4)], [0x89, 0x50, 0x4e, 0x47], 'a PNG');
    t.true(statSync(png).size > 10_000, 'not a blank page');
    t.log(`screenshot: ${png}`);
  }
});
