/**
 * Reading and checking counterexamples: `mmcheck show` (text, Markdown and
 * the self-contained HTML page), the commands `check` prints, replay against
 * a changed model, the trace format's compatibility promise, and
 * counterexample minimisation (`check --minimize`, `mmcheck minimize`),
 * including a fast-check law against a brute-force minimum.
 */
import test from 'ava';
import fc from 'fast-check';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { array, buildModel, defineModel, bool, int, search, thread, type Model, type StepDef } from '../src/index.ts';
import type { Runtime } from '../src/exec/runtime.ts';
import type { FoundViolation, PathStep } from '../src/search/types.ts';
import { buildTrace } from '../src/trace/build.ts';
import { applyStep } from '../src/exec/step.ts';
import { parseTrace, type TraceFile } from '../src/trace/format.ts';
import { replay } from '../src/trace/replay.ts';
import { contextSwitches, minimizedTrace, minimizeViolation } from '../src/trace/minimize.ts';
import { lockVars, renderHtml } from '../src/report/html.ts';
import { renderMarkdown, renderText } from '../src/report/table.ts';
import { loadModel } from '../src/run/load.ts';
import { genModel, toModel } from './helpers/random-models.ts';
import { cli } from './helpers/cli.ts';
import { minimizedLine } from '../src/cli/output.ts';
import { tempDir } from './helpers/tmp.ts';

const LOCK = resolve('examples/lock.ts');
/** The command line in-process (cli.ts), as the commands printed by check are pasted. */
const run = cli;
const tmp = () => tempDir('mmcheck-show-');
const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 150);

const lockModel = () => loadModel(LOCK);

/** The BFS counterexample of a model as a trace file (JSON round trip, as on disk). */
function traceOf(m: Model, variant: string | null, params: Record<string, number> = {}, opts: Parameters<typeof search>[1] = {}): TraceFile {
  const r = search(buildModel(m, variant, params), opts);
  if (!r.violation) throw new Error('expected a violation');
  return JSON.parse(JSON.stringify(buildTrace(r.runtime, r.violation, r.violation.kind === 'livelock' ? { fairness: r.fairness ?? undefined } : {})));
}

/** Two polite threads that back off when they see the other's flag: a fair non-progress cycle. */
const polite = defineModel({
  name: 'polite',
  shared: { a: bool(), b: bool() },
  threads: [
    thread('A', {
      start: 'raise',
      end: ['done'],
      steps: {
        raise: { then: (s) => { s.a = true; }, next: 'look' },
        back_off: { at: 'look', when: (s) => s.b, then: (s) => { s.a = false; }, next: 'raise' },
        enter: { at: 'look', when: (s) => !s.b, next: 'done', progress: true },
      },
    }),
    thread('B', {
      start: 'raise',
      end: ['done'],
      steps: {
        raise: { then: (s) => { s.b = true; }, next: 'look' },
        back_off: { at: 'look', when: (s) => s.a, then: (s) => { s.b = false; }, next: 'raise' },
        enter: { at: 'look', when: (s) => !s.a, next: 'done', progress: true },
      },
    }),
  ],
}) as unknown as Model;

// ---------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------

test('html: one self-contained page with the property, thread names as headers, step names and changes in the cells', async (t) => {
  const tr = traceOf(await lockModel(), 'test-then-set');
  const html = renderHtml(tr, { source: 'traces/x.json' });
  t.regex(html, /^<!doctype html>/);
  t.regex(html, /<h1 id="property">mutual-exclusion<\/h1>/);
  t.regex(html, /invariant violated/);
  for (const th of ['cpu[0]', 'cpu[1]']) t.regex(html, new RegExp(`<th scope="col" class="lane-h[^"]*"><span class="dot"></span>${th.replace(/[[\]]/g, '\\$&')}</th>`));
  for (const st of ['acquire', 'set', 'enter']) t.true(html.includes(`<span class="name">${st}</span>`), st);
  t.true(html.includes('<span class="k">inside</span><span class="eq">=</span><span class="v">two</span>'));
  t.is((html.match(/<tr class="[^"]*" data-i="\d+"/g) ?? []).length, tr.steps.length + 1, 'one row per step plus the initial state');
  t.regex(html, /class="legend"/);
  t.regex(html, /prefers-color-scheme:dark/);
  t.true(html.includes('mmcheck replay traces/x.json'));
  // Self-contained: nothing fetched from anywhere.
  t.notRegex(html, /\b(src|href)\s*=/i);
  t.notRegex(html, /url\(|@import|<link|<iframe|https?:\/\//i);
});

test('html: lock-like variables get ownership bars coloured by the thread that took them', async (t) => {
  const tr = traceOf(await lockModel(), 'test-then-set');
  // cpu[0] sets locked (step 3) and it is never cleared; owner is handed from cpu[0] to cpu[1] at step 5.
  t.deepEqual(lockVars(tr), [
    { name: 'locked', kind: 'flag', spans: [{ from: 2, to: 5, thread: 'cpu[0]', open: true }] },
    { name: 'owner', kind: 'owner', spans: [{ from: 2, to: 3, thread: 'cpu[0]', open: false }, { from: 4, to: 5, thread: 'cpu[1]', open: true }] },
  ]);
  const html = renderHtml(tr);
  t.regex(html, /<div class="bar c0 start" title="locked held by cpu\[0\], steps 3–6 and after">/);
  t.regex(html, /<div class="bar c1 start" title="owner held by cpu\[1\], steps 5–6 and after">/);
  const dining = traceOf((await loadModel('dining')), null, { n: 3 });
  t.deepEqual(
    lockVars(dining).map((l) => [l.name, l.spans.map((s) => s.thread)]),
    [['fork[0]', ['phil[0]']], ['fork[1]', ['phil[1]']], ['fork[2]', ['phil[2]']]],
  );
});

test('html: the lock heuristic reads thread names as owners, releases and hand-overs, and ignores counters and locals', async (t) => {
  const step = (thread: string, changes: Record<string, string | number | boolean>) => ({ thread, step: 's', choice: 0, from: 'a', to: 'a', changes, stateHash: 'x' });
  const tr: TraceFile = {
    format: 'mmcheck-trace/1', model: 'm', variant: null, params: {}, modelHash: 'x',
    property: { kind: 'invariant', name: 'p' }, threads: ['F', 'G', 'w[0]', 'w[1]'],
    initial: { drv: 'none', count: 0, flag: true, 'w[0].held': false, 'F.at': 'a', 'G.at': 'a', 'w[0].at': 'a', 'w[1].at': 'a' },
    initialHash: 'x',
    steps: [
      step('F', { drv: 'F' }),
      step('w[1]', { count: 1, 'w[0].held': true }), // count equals its writer's id here...
      step('G', { drv: 'G' }), // hand-over
      step('w[0]', { count: 2 }), // ...but not here: a counter
      step('G', { drv: 'none', flag: false }), // release; flag was set initially, so it has no taker
    ],
  };
  t.deepEqual(lockVars(tr), [{ name: 'drv', kind: 'owner', spans: [{ from: 0, to: 1, thread: 'F', open: false }, { from: 2, to: 4, thread: 'G', open: false }] }]);
});

test('html: every piece of model-provided text is escaped; the embedded data cannot close its script', async (t) => {
  const evil = '<img src=x onerror=alert(1)>';
  const close = '</script><script>alert(2)</script>';
  const tr: TraceFile = {
    format: 'mmcheck-trace/1',
    model: `m${evil}`,
    variant: `v${close}`,
    params: { [`p${evil}`]: `"${evil}'` },
    modelHash: 'x',
    property: { kind: 'assertion', name: `a${evil}${close}` },
    fairness: 'weak',
    threads: [`t${evil}`, 'u&amp;'],
    initial: { [`x${evil}`]: `v${close}`, [`t${evil}.at`]: `l${evil}`, 'u&amp;.at': 'l' },
    initialHash: 'x',
    steps: [
      { thread: `t${evil}`, step: `s${evil}`, choice: 1, choiceName: `c${close}`, from: `l${evil}`, to: `k${evil}`, changes: { [`x${evil}`]: `w${evil}` }, stateHash: 'y' },
      { thread: 'u&amp;', step: `s${close}`, choice: 0, from: 'l', to: 'l', changes: {}, fails: `a${evil}${close}` },
    ],
    createdBy: `mmcheck ${evil}`,
  };
  const html = renderHtml(tr, { source: `f${evil}.json` });
  t.false(html.includes('<img'), 'no markup from the model');
  t.is(html.split('<script').length - 1, 2, 'exactly the two scripts of the page');
  t.is(html.split('</script>').length - 1, 2);
  t.true(html.includes('u&amp;amp;'), '& is escaped too');
  t.true(html.includes('t&lt;img src=x onerror=alert(1)&gt;'));
  // The embedded data decodes back to the exact names, for the state panel.
  const m = /<script type="application\/json" id="trace-data">([^<]*)<\/script>/.exec(html);
  t.truthy(m);
  const data = JSON.parse(m![1]!);
  t.deepEqual(data.threads, tr.threads);
  t.deepEqual(data.initial, tr.initial);
  t.is(data.steps[1].fails, tr.steps[1]!.fails);
});

test('html: a livelock marks its cycle; text and markdown keep working', async (t) => {
  const tr = traceOf(polite, null);
  t.is(tr.property.kind, 'livelock');
  const cs = tr.cycleStart!;
  const html = renderHtml(tr);
  t.true(html.includes(`↻ cycle starts here: steps ${cs + 1}–${tr.steps.length} repeat forever`));
  t.true(html.includes(`↩ back to the state before step ${cs + 1}`));
  t.is((html.match(/<tr class="step cycle[^"]*"/g) ?? []).length, tr.steps.length - cs);
  t.regex(html, /a fair cycle with no progress/);
  t.regex(renderText(tr), /cycle starts here/);
  t.regex(renderMarkdown(tr), /\| ↻ \d+ \|/);
});

// ---------------------------------------------------------------------------
// The command line: show, and the commands check prints
// ---------------------------------------------------------------------------

test('cli: the replay and show commands that check prints work as printed, html included', async (t) => {
  const dir = tmp();
  const r = await run(['check', LOCK, '--variant', 'test-then-set'], dir);
  t.is(r.code, 1, r.err);
  t.regex(r.out, /invariant "mutual-exclusion" violated — 6 steps/);
  const replayCmd = /^ {2}replay: mmcheck (.+)$/m.exec(r.out)?.[1];
  const showCmd = /^ {2}show: {3}mmcheck (.+)$/m.exec(r.out)?.[1];
  t.truthy(replayCmd && showCmd, r.out);
  const rp = await run(replayCmd!.split(' '), dir);
  t.is(rp.code, 0, rp.out + rp.err);
  t.regex(rp.out, /^reproduced: invariant "mutual-exclusion" is violated in the final state$/m);
  t.regex(showCmd!, /--format html -o traces\/lock-example\.test-then-set\.mutual-exclusion\.html$/);
  const sh = await run(showCmd!.split(' '), dir);
  t.is(sh.code, 0, sh.err);
  t.is(sh.out, '');
  const html = readFileSync(join(dir, 'traces/lock-example.test-then-set.mutual-exclusion.html'), 'utf8');
  t.regex(html, /<h1 id="property">mutual-exclusion<\/h1>/);
  // The page's replay command names the model file too, and works as shown.
  const pageCmd = /replay: <code>mmcheck (replay [^<]+)<\/code>/.exec(html)?.[1];
  t.regex(pageCmd ?? '', /^replay traces\/lock-example\.test-then-set\.mutual-exclusion\.json --model \S+lock\.ts$/);
  t.is((await run(pageCmd!.split(' '), dir)).code, 0, pageCmd);
  // A trace path with a space is printed quoted, so it still pastes.
  const q = await run(['check', LOCK, '--variant', 'test-then-set', '--trace-out', 'my traces/a b.json'], dir);
  t.regex(q.out, /show: {3}mmcheck show 'my traces\/a b\.json' --model \S+ --format html -o 'my traces\/a b\.html'/);
  // An absolute --trace-out is written where it says, and the printed commands work from anywhere.
  const abs = join(dir, 'abs', 'd.json');
  const a = await run(['check', 'dining', '-p', 'n=3', '--trace-out', abs], dir);
  const elsewhere = tmp();
  for (const cmd of [/^ {2}replay: mmcheck (.+)$/m, /^ {2}show: {3}mmcheck (.+)$/m].map((re) => re.exec(a.out)?.[1])) {
    t.truthy(cmd, a.out);
    t.is((await run(cmd!.split(' '), elsewhere)).code, 0, cmd);
  }
  t.true(existsSync(join(dir, 'abs', 'd.html')));
});

test('cli: show renders text, markdown and html, to stdout or -o, and rejects unknown formats', async (t) => {
  const dir = tmp();
  await run(['check', 'dining', '-p', 'n=3', '--trace-out', 'd.json'], dir);
  const text = await run(['show', 'd.json'], dir);
  t.is(text.code, 0);
  t.regex(text.out, /^dining \(n=3\): deadlock — 3 steps$/m);
  t.regex(text.out, /^# \| phil\[0\] +\| phil\[1\] +\| phil\[2\] +\| changes$/m);
  const md = await run(['show', 'd.json', '--format', 'markdown'], dir);
  t.regex(md.out, /^\| # \| phil\[0\] \| phil\[1\] \| phil\[2\] \| changes \|$/m);
  const html = await run(['show', 'd.json', '--format', 'html'], dir);
  t.is(html.code, 0);
  t.regex(html.out, /<h1 id="property">no thread can take a step<\/h1>/);
  t.regex(html.out, /<b>phil\[0\]<\/b> at <code>HasLeft<\/code>/);
  const o = await run(['show', 'd.json', '--format', 'html', '-o', 'out/d.html'], dir);
  t.is(o.code, 0);
  t.is(readFileSync(join(dir, 'out/d.html'), 'utf8'), html.out);
  const bad = await run(['show', 'd.json', '--format', 'pdf'], dir);
  t.is(bad.code, 2);
  t.regex(bad.err, /MC308: option --format: "pdf" is not one of text, markdown, html/);
});

// ---------------------------------------------------------------------------
// Replay against a changed model
// ---------------------------------------------------------------------------

test('replay --variant: a test-then-set trace against atomic-xchg names the first step that no longer applies and why', async (t) => {
  const dir = tmp();
  await run(['check', LOCK, '--variant', 'test-then-set', '--trace-out', 'tts.json'], dir);
  const r = await run(['replay', 'tts.json', '--variant', 'atomic-xchg', '--model', LOCK], dir);
  t.is(r.code, 1);
  t.regex(r.out, /^replaying tts\.json against lock-example \/ atomic-xchg \(trace made on test-then-set\): 6 steps$/m);
  // In atomic-xchg, cpu[0]'s acquire already takes the lock, so cpu[1]'s acquire is blocked.
  t.regex(r.out, /step 2 \(cpu\[1\]: acquire\) no longer applies: its guard is false \(it reads locked=true\)/);
  const j = JSON.parse((await run(['replay', 'tts.json', '--variant', 'atomic-xchg', '--json', '--model', LOCK], dir)).out);
  t.is(j.status, 'no-longer-applies');
  t.like(j.stop, { index: 1, thread: 'cpu[1]', step: 'acquire', reason: 'guard-false', reads: { locked: true } });
  // A step the changed variant does not have is named as missing.
  const tr = JSON.parse(readFileSync(join(dir, 'tts.json'), 'utf8')) as TraceFile;
  tr.steps = tr.steps.filter((s) => s.thread === 'cpu[0]');
  writeFileSync(join(dir, 'solo.json'), JSON.stringify(tr));
  const model = await loadModel(LOCK);
  t.regex(replay(tr, model, 'atomic-xchg').verdict, /step 2 \(cpu\[0\]: set\) no longer applies: thread "cpu\[0\]" has no step "set" in this variant \(atomic-xchg\)/);
  // That trace was cut by hand: on its own variant it no longer reproduces, so the command refuses it (MC406), on whatever variant it is replayed, rather than let edited data pass for a fix.
  const m = await run(['replay', 'solo.json', '--variant', 'atomic-xchg', '--model', LOCK], dir);
  t.is(m.code, 2);
  t.regex(m.err, /MC406: the trace does not reproduce on the model it names, unchanged \(the same model hash\).*; its data were edited/);
});

test('replay --variant: a trace that replays on a fixed variant reports that the property now holds (exit 1)', async (t) => {
  const dir = tmp();
  // A lost update: read then write back. The fix keeps the steps but makes the write an atomic increment.
  writeFileSync(
    join(dir, 'counter.ts'),
    `import { defineModel, int, replicate } from ${JSON.stringify(resolve('src/index.ts'))};
export default defineModel({
  name: 'counter',
  variants: { racy: 'write back what was read, plus one', atomic: 'increment in place' },
  shared: { total: int(0, 2) },
  threads: (_p, v) => [replicate(2, 'cpu', {
    locals: { tmp: int(0, 2) }, start: 'read', end: ['done'],
    steps: {
      read: { then: (s, me) => { me.tmp = s.total; }, next: 'write' },
      write: { then: v === 'racy' ? (s, me) => { s.total = me.tmp + 1; } : (s) => { s.total = s.total + 1; }, next: 'done' },
    },
  })],
  invariants: { 'no-lost-update': (s) => s.count('cpu', 'done') < 2 || s.total === 2 },
});
`,
  );
  const c = await run(['check', 'counter.ts', '--variant', 'racy', '--trace-out', 'racy.json'], dir);
  t.is(c.code, 1, c.out + c.err);
  const r = await run(['replay', 'racy.json', '--variant', 'atomic', '--model', 'counter.ts'], dir);
  t.is(r.code, 1);
  t.regex(r.out, /^replays, but the property now holds: invariant "no-lost-update" holds in the final state$/m);
  t.is(JSON.parse((await run(['replay', 'racy.json', '--variant', 'atomic', '--json', '--model', 'counter.ts'], dir)).out).status, 'property-holds');
});

// ---------------------------------------------------------------------------
// The trace format: a hand-written mmcheck-trace/1 file keeps replaying
// ---------------------------------------------------------------------------

// Written by hand with only the required fields (docs/trace-format.md). Do not regenerate it:
// it stands for the files users already have. If it stops replaying, the format changed incompatibly.
const HAND_WRITTEN_V1 = `{
  "format": "mmcheck-trace/1",
  "model": "dining",
  "variant": null,
  "params": { "n": 3 },
  "modelHash": "written-by-hand",
  "property": { "kind": "deadlock", "name": "deadlock" },
  "threads": ["phil[0]", "phil[1]", "phil[2]"],
  "initial": { "fork[0]": false, "fork[1]": false, "fork[2]": false, "phil[0].at": "Think", "phil[1].at": "Think", "phil[2].at": "Think" },
  "initialHash": "2ffd272f8643bcea",
  "steps": [
    { "thread": "phil[0]", "step": "take_left", "choice": 0, "from": "Think", "to": "HasLeft", "changes": { "fork[0]": true }, "stateHash": "8827cec9bdb78deb" },
    { "thread": "phil[1]", "step": "take_left", "choice": 0, "from": "Think", "to": "HasLeft", "changes": { "fork[1]": true }, "stateHash": "dcf7a14f0588d1e8" },
    { "thread": "phil[2]", "step": "take_left", "choice": 0, "from": "Think", "to": "HasLeft", "changes": { "fork[2]": true }, "stateHash": "54a73d83f3e4399b" }
  ]
}`;

test('format: a hand-written minimal mmcheck-trace/1 file still replays (API and command line)', async (t) => {
  const tr = parseTrace(HAND_WRITTEN_V1, 'hand-written');
  const r = replay(tr, await loadModel('dining'));
  t.is(r.status, 'reproduced', r.verdict);
  t.deepEqual(r.notes, ["the model has changed since the trace was made, or the trace's variant or parameters were edited (the model hash differs)"]);
  const dir = tmp();
  writeFileSync(join(dir, 'v1.json'), HAND_WRITTEN_V1);
  const c = await run(['replay', 'v1.json'], dir);
  t.is(c.code, 0, c.out + c.err);
  t.regex(c.out, /reproduced: no step is enabled in the final state/);
  t.is((await run(['show', 'v1.json', '--format', 'html'], dir)).code, 0);
  // A field the reader does not know is refused, naming its JSON path (replay could not check it);
  // an unknown version is refused with the versions this reader knows.
  writeFileSync(join(dir, 'extra.json'), JSON.stringify({ ...JSON.parse(HAND_WRITTEN_V1), futureField: { x: 1 } }));
  const extra = await run(['replay', 'extra.json'], dir);
  t.is(extra.code, 2);
  t.regex(extra.err, /MC405: unknown field in trace at \$\.futureField/);
  writeFileSync(join(dir, 'v2.json'), HAND_WRITTEN_V1.replace('mmcheck-trace/1', 'mmcheck-trace/2'));
  const v2 = await run(['replay', 'v2.json'], dir);
  t.is(v2.code, 2);
  t.regex(v2.err, /MC403: .*unsupported trace format "mmcheck-trace\/2" \(this mmcheck reads mmcheck-trace\/1\)/);
});

// ---------------------------------------------------------------------------
// Minimisation
// ---------------------------------------------------------------------------

/** Successors as the minimiser sees them: all threads, or thread by thread when a step fails an assertion. */
function successors(rt: Runtime, s: Uint32Array): { steps: PathStep[]; next: Uint32Array[]; fails: { step: PathStep; property: string }[]; deadlock: boolean } {
  const W = rt.words;
  const out = { steps: [] as PathStep[], next: [] as Uint32Array[], fails: [] as { step: PathStep; property: string }[], deadlock: false };
  const take = (n: number) => {
    for (let i = 0; i < n; i++) {
      out.steps.push({ thread: rt.succThread[i]!, step: rt.succStep[i]!, choice: rt.succChoice[i]! });
      out.next.push(rt.succ.slice(i * W, (i + 1) * W));
    }
  };
  const n = rt.expand(s, 0);
  if (n >= 0) {
    take(n);
    out.deadlock = n === 0 && !rt.allEnded(s, 0);
    return out;
  }
  for (let t = 0; t < rt.threads; t++) {
    const k = rt.expand(s, 0, t);
    if (k < 0) out.fails.push({ step: { thread: t, step: rt.failStep, choice: rt.failChoice }, property: rt.failProperty });
    else take(k);
  }
  return out;
}

const same = (a: Uint32Array, b: Uint32Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * The fewest context switches over every counterexample of v's property with
 * v's length (for a lasso: every stem of v's stem length to a state of v's
 * cycle, followed by the cycle rotated to start there), by enumerating all
 * paths. Null when there are too many paths to enumerate.
 */
function bruteForceMinimum(rt: Runtime, v: FoundViolation, budget = 200_000): number | null {
  const D = v.kind === 'livelock' ? v.cycleStart! : v.kind === 'assertion' ? v.steps.length - 1 : v.steps.length;
  const inv = rt.model.invariants.find((i) => i.name === v.property);
  const violates = (s: Uint32Array) => {
    try {
      return !inv!.fn(rt.views(s.slice(), true).state);
    } catch {
      return true;
    }
  };
  const cycle = v.steps.slice(v.cycleStart ?? 0).map((s) => s.thread);
  const cycleStates: Uint32Array[] = [];
  if (v.kind === 'livelock') {
    let s = rt.initial();
    v.steps.forEach((ps, i) => {
      if (i >= v.cycleStart!) cycleStates.push(s);
      const r = applyStep(rt, s, ps);
      if (r && 'next' in r) s = r.next;
    });
  }
  let best = Infinity;
  let nodes = 0;
  const threads: number[] = [];
  const visit = (s: Uint32Array, depth: number): boolean => {
    if (++nodes > budget) return false;
    const succ = depth === D && (v.kind === 'invariant' || v.kind === 'livelock') ? null : successors(rt, s);
    if (depth === D) {
      if (v.kind === 'invariant' && violates(s)) best = Math.min(best, contextSwitches(threads.map((thread) => ({ thread }))));
      if (v.kind === 'deadlock' && succ!.deadlock) best = Math.min(best, contextSwitches(threads.map((thread) => ({ thread }))));
      if (v.kind === 'assertion')
        for (const f of succ!.fails) if (f.property === v.property) best = Math.min(best, contextSwitches([...threads, f.step.thread].map((thread) => ({ thread }))));
      if (v.kind === 'livelock')
        cycleStates.forEach((c, i) => {
          if (same(c, s)) best = Math.min(best, contextSwitches([...threads, ...cycle.slice(i), ...cycle.slice(0, i)].map((thread) => ({ thread }))));
        });
      return true;
    }
    for (let i = 0; i < succ!.steps.length; i++) {
      threads.push(succ!.steps[i]!.thread);
      const ok = visit(succ!.next[i]!, depth + 1);
      threads.pop();
      if (!ok) return false;
    }
    return true;
  };
  return visit(rt.initial(), 0) ? best : null;
}

test('minimize: the lock example keeps its 6 steps and loses a context switch; DFS traces come out shortest', async (t) => {
  const m = await lockModel();
  for (const strategy of ['bfs', 'dfs'] as const) {
    const r = search(buildModel(m, 'test-then-set'), { strategy });
    const min = minimizedTrace(r.runtime, r.violation!)!;
    t.is(min.stats.lengthAfter, 6, strategy);
    t.is(min.stats.switchesAfter, 2, strategy);
    if (strategy === 'bfs') t.is(bruteForceMinimum(r.runtime, r.violation!), min.stats.switchesAfter);
    else t.true(r.violation!.steps.length >= 6);
    t.is(replay(min.trace, m).status, 'reproduced');
  }
});

test('minimize: random models — same length as BFS, no more switches, replays, and equals the brute-force minimum', async (t) => {
  let compared = 0;
  fc.assert(
    fc.property(genModel(), fc.boolean(), (g, deadlock) => {
      const m = toModel(g);
      const r = search(buildModel(m, null), { deadlock, liveness: false });
      if (!r.violation) return true;
      const min = minimizeViolation(r.runtime, r.violation);
      if (!min) return false;
      const v = min.violation;
      if (v.kind !== r.violation.kind || v.property !== r.violation.property) return false;
      if (min.lengthAfter !== r.violation.steps.length || min.lengthBefore !== r.violation.steps.length) return false;
      if (min.switchesAfter > min.switchesBefore || min.switchesAfter !== contextSwitches(v.steps)) return false;
      const tr = JSON.parse(JSON.stringify(buildTrace(r.runtime, v))) as TraceFile;
      if (replay(tr, m).status !== 'reproduced') return false;
      const brute = bruteForceMinimum(r.runtime, r.violation);
      if (brute !== null) {
        compared++;
        if (brute !== min.switchesAfter) return false;
      }
      return true;
    }),
    { numRuns: RUNS },
  );
  t.log(`${compared} minimised counterexamples compared with the brute-force minimum`);
  t.true(compared >= RUNS / 10, `only ${compared} brute-force comparisons`);
});

test('minimize: random livelocks — the lasso keeps its length and cycle, no more switches, replays, brute-force minimum', async (t) => {
  let lassos = 0;
  fc.assert(
    fc.property(genModel({ safety: false }), fc.constantFrom('none', 'weak', 'strong' as const), (g, fairness) => {
      const m = toModel(g);
      const b = buildModel(m, null);
      if (!b.hasProgress) return true;
      const r = search(b, { deadlock: false, fairness });
      if (r.violation?.kind !== 'livelock') return true;
      lassos++;
      const min = minimizeViolation(r.runtime, r.violation);
      if (!min) return false;
      const v = min.violation;
      const before = r.violation;
      if (min.lengthAfter !== before.steps.length || v.cycleStart !== before.cycleStart) return false;
      // The same cycle: a rotation of the original.
      const key = (xs: readonly PathStep[]) => xs.map((x) => `${x.thread}.${x.step}.${x.choice}`).join(' ');
      const cyc = before.steps.slice(before.cycleStart);
      const rot = v.steps.slice(v.cycleStart);
      if (!cyc.some((_, i) => key([...cyc.slice(i), ...cyc.slice(0, i)]) === key(rot))) return false;
      if (min.switchesAfter > min.switchesBefore) return false;
      const tr = JSON.parse(JSON.stringify(buildTrace(r.runtime, v, { fairness }))) as TraceFile;
      if (replay(tr, m).status !== 'reproduced') return false;
      const brute = bruteForceMinimum(r.runtime, before);
      return brute === null || brute === min.switchesAfter;
    }),
    { numRuns: RUNS },
  );
  t.log(`${lassos} livelock lassos minimised`);
  t.true(lassos > 0);
});

/**
 * Scheduling models: n threads of k steps each, where a step may wait until
 * another thread has done some of its steps; the "violation" is that every
 * thread finished, so every counterexample is a complete schedule of the
 * same length and the switch minimum is a real scheduling problem (longer
 * than the random models', where a greedy choice is usually good enough).
 */
interface GenSchedule {
  k: number;
  waits: ({ on: number; count: number } | null)[][];
}
const genSchedule: fc.Arbitrary<GenSchedule> = fc
  .record({ n: fc.integer({ min: 2, max: 3 }), k: fc.integer({ min: 1, max: 3 }) })
  .chain(({ n, k }) =>
    fc.record({
      k: fc.constant(k),
      waits: fc.array(fc.array(fc.option(fc.record({ on: fc.nat(n - 2), count: fc.integer({ min: 1, max: k }) }), { freq: 2 }), { minLength: k, maxLength: k }), { minLength: n, maxLength: n }),
    }),
  );

function scheduleModel(g: GenSchedule): Model {
  const n = g.waits.length;
  return defineModel({
    name: 'schedule',
    shared: { done: array(n, int(0, g.k)) },
    threads: g.waits.map((ws, i) => {
      const steps: Record<string, StepDef> = {};
      ws.forEach((w, j) => {
        const other = w ? (i + 1 + w.on) % n : -1; // never itself
        steps[`s${j}`] = {
          at: `L${j}`,
          ...(w ? { when: (s) => s.done.get(other) >= w.count } : {}),
          then: (s) => s.done.set(i, j + 1),
          next: `L${j + 1}`,
        };
      });
      return thread(`T${i}`, { start: 'L0', labels: Array.from({ length: g.k + 1 }, (_, j) => `L${j}`), end: [`L${g.k}`], steps });
    }),
    invariants: { unfinished: (s) => Array.from({ length: n }, (_, i) => s.done.get(i)).some((d) => d < g.k) },
  }) as unknown as Model;
}

test('minimize: random schedules — the minimum equals the brute-force one where greedy choices are not enough', async (t) => {
  let compared = 0;
  fc.assert(
    fc.property(genSchedule, (g) => {
      const m = scheduleModel(g);
      const r = search(buildModel(m, null), { deadlock: false, liveness: false });
      if (!r.violation) return true; // the waits deadlock
      const min = minimizeViolation(r.runtime, r.violation);
      if (!min || min.lengthAfter !== r.violation.steps.length) return false;
      if (replay(JSON.parse(JSON.stringify(buildTrace(r.runtime, min.violation))), m).status !== 'reproduced') return false;
      const brute = bruteForceMinimum(r.runtime, r.violation);
      if (brute === null) return true;
      compared++;
      return brute === min.switchesAfter;
    }),
    { numRuns: RUNS },
  );
  t.log(`${compared} schedules compared with the brute-force minimum`);
  t.true(compared >= RUNS / 4);
});

test('cli: check --minimize reports before/after in text and JSON; minimize <trace> writes a validated trace', async (t) => {
  const dir = tmp();
  const c = await run(['check', LOCK, '--variant', 'test-then-set', '--minimize', '--trace-out', 'min.json'], dir);
  t.is(c.code, 1);
  t.regex(c.out, /^minimized: 6 steps, 3 context switches → 6 steps, 2 context switches \(the fewest of any 6-step counterexample\)$/m);
  t.is(contextSwitches(parseTrace(readFileSync(join(dir, 'min.json'), 'utf8')).steps), 2);
  const j = JSON.parse((await run(['check', LOCK, '--variant', 'test-then-set', '--minimize', '--json', '--no-trace'], dir)).out);
  t.deepEqual(j.violation.minimized, { lengthBefore: 6, lengthAfter: 6, switchesBefore: 3, switchesAfter: 2, lasso: false });
  t.is(j.violation.length, 6);
  const plain = JSON.parse((await run(['check', LOCK, '--variant', 'test-then-set', '--json', '--no-trace'], dir)).out);
  t.false('minimized' in plain.violation);

  await run(['check', LOCK, '--variant', 'test-then-set', '--trace-out', 'orig.json'], dir);
  const m = await run(['minimize', 'orig.json', '--model', LOCK], dir);
  t.is(m.code, 0, m.out + m.err);
  t.regex(m.out, /^minimized: 6 steps, 3 context switches → 6 steps, 2 context switches/m);
  t.regex(m.out, /^trace saved: orig\.min\.json$/m);
  t.is((await run(['replay', 'orig.min.json', '--model', LOCK], dir)).code, 0);
  const o = await run(['minimize', 'orig.json', '-o', 'sub/o.json', '--json', '--model', LOCK], dir);
  t.is(o.code, 0);
  t.deepEqual(JSON.parse(o.out), { format: 'mmcheck-minimize/1', minimized: { lengthBefore: 6, lengthAfter: 6, switchesBefore: 3, switchesAfter: 2, lasso: false }, trace: 'sub/o.json' });
  t.true(existsSync(join(dir, 'sub/o.json')));
  // A trace that no longer reproduces is not minimised.
  const tr = JSON.parse(readFileSync(join(dir, 'orig.json'), 'utf8'));
  tr.steps.pop();
  writeFileSync(join(dir, 'short.json'), JSON.stringify(tr));
  // On its unchanged model that means its data were edited (MC406).
  const s = await run(['minimize', 'short.json', '--model', LOCK], dir);
  t.is(s.code, 2);
  t.regex(s.err, /MC406: the trace does not reproduce on the model it names, unchanged \(the same model hash\): invariant "mutual-exclusion" holds in the final state; its data were edited/);
  t.false(existsSync(join(dir, 'short.min.json')));
});

test('minimize: built-in models — dining stays at its one switch per philosopher; a livelock lasso is rotated at most', async (t) => {
  const dining = await loadModel('dining');
  const r = search(buildModel(dining, null, { n: 4 }));
  const min = minimizedTrace(r.runtime, r.violation!)!;
  t.deepEqual(min.stats, { lengthBefore: 4, lengthAfter: 4, switchesBefore: 3, switchesAfter: 3, lasso: false });
  const lv = search(buildModel(polite, null));
  const lmin = minimizedTrace(lv.runtime, lv.violation!, { fairness: 'weak' })!;
  t.true(lmin.stats.lasso);
  // The line says what a lasso's minimum is: its own cycle's, not every lasso's.
  t.regex(minimizedLine(lmin.stats), /\(the same cycle, reached by a shortest stem and rotated for the fewest switches; another cycle may need fewer\)$/);
  t.regex(minimizedLine(min.stats), /\(the fewest of any 4-step counterexample\)$/);
  t.is(lmin.stats.lengthAfter, lmin.stats.lengthBefore);
  t.true(lmin.stats.switchesAfter <= lmin.stats.switchesBefore);
  t.is(bruteForceMinimum(lv.runtime, lv.violation!), lmin.stats.switchesAfter);
});

test('traceFileName: a starvation and a livelock under strong or no fairness are named so, where both were ".livelock" (one check overwrote the other)', async (t) => {
  const { traceFileName } = await import('../src/trace/build.ts');
  const base = { format: 'mmcheck-trace/1', model: 'm', variant: 'v', params: { n: 2 }, modelHash: '0', threads: [], initial: {}, initialHash: '0', steps: [], createdBy: 'x' } as unknown as TraceFile;
  const name = (property: TraceFile['property'], fairness?: string) => traceFileName({ ...base, property, ...(fairness ? { fairness } : {}) } as TraceFile);
  t.is(name({ kind: 'livelock', name: 'non-progress-cycle' }, 'weak'), 'm.v.n2.livelock.json');
  t.is(name({ kind: 'livelock', name: 'non-progress-cycle' }, 'strong'), 'm.v.n2.livelock-strong-fairness.json');
  t.is(name({ kind: 'livelock', name: 'non-progress-cycle' }, 'none'), 'm.v.n2.livelock-no-fairness.json');
  t.is(name({ kind: 'livelock', name: 'starvation', starving: 'T[0]' } as TraceFile['property'], 'weak'), 'm.v.n2.starvation.json');
  t.is(name({ kind: 'livelock', name: 'starvation', starving: 'T[0]' } as TraceFile['property'], 'strong'), 'm.v.n2.starvation-strong-fairness.json');
  t.is(name({ kind: 'deadlock', name: 'deadlock' } as TraceFile['property']), 'm.v.n2.deadlock.json');
  t.is(name({ kind: 'invariant', name: 'safe' }), 'm.v.n2.safe.json');
});
