import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';

// docs/errors.md lists every error code mmcheck can report, one row each:
// a code thrown in src/ or bin/ without a row, a row for a code nothing
// throws, and a doc naming a code that does not exist all fail here, so the
// catalogue and the code cannot drift apart.

const ROOT = resolve(import.meta.dirname, '..');
const CATALOGUE = 'docs/errors.md';

function sourcesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourcesUnder(p));
    else if (/\.[cm]?[jt]s$/.test(e.name) && !/\.d\.[cm]?ts$/.test(e.name)) out.push(p);
  }
  return out;
}

interface Sources {
  /** Every code named anywhere in src/ and bin/ (comments and help text included), with its first place. */
  named: Map<string, string>;
  /** Codes written as a string literal ('MC302'): those a throw, a comparison or a printed line can carry. */
  literal: Set<string>;
  /** Codes thrown as McIncompleteError, which end a run as incomplete (exit 3). */
  incomplete: Set<string>;
}

function readSources(files: readonly string[]): Sources {
  const named = new Map<string, string>();
  const literal = new Set<string>();
  const incomplete = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    text.split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/MC\d{3}/g)) if (!named.has(m[0])) named.set(m[0], `${relative(ROOT, file)}:${i + 1}`);
    });
    for (const m of text.matchAll(/(['"`])(MC\d{3})\1/g)) literal.add(m[2]!);
    for (const m of text.matchAll(/new\s+McIncompleteError\(\s*(['"`])(MC\d{3})\1/g)) incomplete.add(m[2]!);
  }
  // An interruption before any search (no partial result to report), and a second one as the run finishes, are printed, not thrown, and end the run as incomplete (bin/mmcheck.js, src/cli/main.ts).
  for (const code of ['MC376', 'MC441']) if (named.has(code)) incomplete.add(code);
  return { named, literal, incomplete };
}

interface Row {
  code: string;
  exit: string;
  meaning: string;
  line: number;
  /** The hundred of the section the row is under (`MC1xx` is 1), or null before any. */
  section: number | null;
}

/** The catalogue's table rows, `| MCnnn | exit | meaning |`, with the `## MCnxx` section each is under. */
function catalogueRows(src: string): Row[] {
  const rows: Row[] = [];
  let section: number | null = null;
  src.split('\n').forEach((line, i) => {
    const h = /^##\s+MC(\d)xx\b/.exec(line);
    if (h) section = Number(h[1]);
    else if (/^##\s/.test(line)) section = null;
    const r = /^\|\s*(MC\d{3})\s*\|([^|]*)\|(.*)\|\s*$/.exec(line);
    if (r) rows.push({ code: r[1]!, exit: r[2]!.trim(), meaning: r[3]!.trim(), line: i + 1, section });
  });
  return rows;
}

const sources = readSources([...sourcesUnder(join(ROOT, 'src')), ...sourcesUnder(join(ROOT, 'bin'))]);
const catalogue = readFileSync(join(ROOT, CATALOGUE), 'utf8');
const rows = catalogueRows(catalogue);
const listed = new Set(rows.map((r) => r.code));

/** What is wrong with a catalogue against the sources (empty when they agree): the test's rule, also run on altered copies below. */
function problems(rowsOf: readonly Row[], src: Sources): string[] {
  const out: string[] = [];
  const codes = new Set(rowsOf.map((r) => r.code));
  for (const [code, where] of [...src.named].sort()) if (!codes.has(code)) out.push(`${code} (${where}) has no row in ${CATALOGUE}`);
  for (const r of rowsOf) if (!src.literal.has(r.code)) out.push(`${CATALOGUE}:${r.line}: ${r.code} is thrown nowhere in src/ or bin/`);
  return out;
}

test('the sources name codes, and the catalogue has a row for each', (t) => {
  t.true(sources.named.size >= 100);
  t.true(rows.length >= 100);
});

test(`every code used in src/ and bin/ has a row in ${CATALOGUE}, and every row's code is one they can report`, (t) => {
  t.deepEqual(problems(rows, sources), []);
});

test('the rule catches a row taken out and a row for a code nothing reports', (t) => {
  // A catalogue of exactly the codes the sources use, then altered.
  const exact: Row[] = [...sources.named.keys()].sort().map((code, i) => ({ code, exit: '2', meaning: 'a row', line: i + 1, section: Number(code[2]) }));
  t.deepEqual(problems(exact, sources), []);
  t.deepEqual(problems(exact.filter((r) => r.code !== 'MC302'), sources), [`MC302 (${sources.named.get('MC302')}) has no row in ${CATALOGUE}`]);
  t.deepEqual(problems([...exact, { code: 'MC999', exit: '2', meaning: 'no such code', line: 0, section: 9 }], sources), [`${CATALOGUE}:0: MC999 is thrown nowhere in src/ or bin/`]);
});

test('one row per code, in order, each under the section of its hundred', (t) => {
  const bad: string[] = [];
  rows.forEach((r, i) => {
    if (i > 0 && r.code <= rows[i - 1]!.code) bad.push(`${CATALOGUE}:${r.line}: ${r.code} after ${rows[i - 1]!.code}`);
    if (r.section !== Number(r.code[2])) bad.push(`${CATALOGUE}:${r.line}: ${r.code} is not under "## MC${r.code[2]}xx"`);
    if (r.meaning.length < 20) bad.push(`${CATALOGUE}:${r.line}: ${r.code} says too little`);
  });
  t.deepEqual(bad, []);
});

test('the exit column: 3 for the codes that end a run as incomplete, 2 for every other', (t) => {
  t.true(sources.incomplete.has('MC167'));
  const bad = rows.filter((r) => !(sources.incomplete.has(r.code) ? /^3$/ : /^2(?:$|;)/).test(r.exit)).map((r) => `${CATALOGUE}:${r.line}: ${r.code} exit ${r.exit}`);
  t.deepEqual(bad, []);
});

test('the README and docs name only codes that exist, and a range of codes holds no code that does not', (t) => {
  const docs = [join(ROOT, 'README.md'), ...readdirSync(join(ROOT, 'docs'), { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.md')).map((f) => join(ROOT, 'docs', f))];
  const bad: string[] = [];
  for (const file of docs) {
    const name = relative(ROOT, file);
    readFileSync(file, 'utf8').split('\n').forEach((line, i) => {
      for (const m of line.matchAll(/MC\d{3}/g)) if (!listed.has(m[0])) bad.push(`${name}:${i + 1}: ${m[0]} is no code of ${CATALOGUE}`);
      // `MC312–MC316` claims every code from one to the other.
      for (const m of line.matchAll(/MC(\d{3})\s*(?:–|—|-|\.\.)\s*MC(\d{3})/g))
        for (let n = Number(m[1]); n <= Number(m[2]); n++) if (!listed.has(`MC${n}`)) bad.push(`${name}:${i + 1}: the range ${m[0]} includes MC${n}, which does not exist`);
    });
  }
  t.deepEqual(bad, []);
});
