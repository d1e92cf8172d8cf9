import test from 'ava';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

// Every relative link in the project's markdown points at a file or folder
// that exists, and an `#anchor` at a heading of the target: a moved or
// deleted doc shows up here instead of as a dead link on the page.

const ROOT = resolve(import.meta.dirname, '..');

function markdownUnder(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...markdownUnder(p));
    else if (e.name.endsWith('.md')) out.push(p);
  }
  return out;
}

const files = [join(ROOT, 'README.md'), ...markdownUnder(join(ROOT, 'docs')), ...markdownUnder(join(ROOT, 'bench'))];

/** The text outside fenced code blocks and inline code spans, line by line (so line numbers stay right). */
function proseLines(src: string): string[] {
  let fence: string | null = null;
  return src.split('\n').map((line) => {
    const m = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (m && m[1]![0] === fence[0] && m[1]!.length >= fence.length) fence = null;
      return '';
    }
    if (m) {
      fence = m[1]!;
      return '';
    }
    return line.replace(/(`+)[^`]*?\1/g, '');
  });
}

interface Link {
  line: number;
  target: string;
}

/** Inline links and images `[text](target "title")` and reference definitions `[name]: target`. */
function linksOf(src: string): Link[] {
  const out: Link[] = [];
  proseLines(src).forEach((text, i) => {
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) out.push({ line: i + 1, target: m[1]! });
    const def = /^\s{0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s|$)/.exec(text);
    if (def) out.push({ line: i + 1, target: def[1]! });
  });
  return out;
}

const external = (t: string) => /^[a-z][a-z0-9+.-]*:/i.test(t);

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchorsOf(src: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  let fence: string | null = null;
  for (const line of src.split('\n')) {
    const f = /^\s*(`{3,}|~{3,})/.exec(line);
    if (fence !== null) {
      if (f && f[1]![0] === fence[0] && f[1]!.length >= fence.length) fence = null;
      continue;
    }
    if (f) {
      fence = f[1]!;
      continue;
    }
    const h = /^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!h) continue;
    const base = h[1]!
      .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1')
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '')
      .replace(/ /g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

test('the markdown files are found', (t) => {
  const names = files.map((f) => relative(ROOT, f));
  t.true(names.includes('README.md'));
  t.true(names.includes('docs/internals.md'));
  t.true(names.includes('bench/README.md'));
});

test('the anchor rule matches GitHub on headings with code, punctuation and repeats', (t) => {
  const a = anchorsOf('# Semantics\n## `migration-entry-wait`: waiters vs. the check\n```\n# not a heading\n```\n## 4.1 Faulter `T[me]`\n## Notes\n## Notes\n');
  t.deepEqual([...a], ['semantics', 'migration-entry-wait-waiters-vs-the-check', '41-faulter-tme', 'notes', 'notes-1']);
});

test('the link reader skips code and external links, and reads reference definitions', (t) => {
  const src = 'see [a](docs/a.md#x) and `[b](nope.md)`\n```\n[c](nope.md)\n```\n[d]: ../d.md\n[e](https://example.org/e.md) [f](#here)';
  t.deepEqual(
    linksOf(src).map((l) => l.target).filter((x) => !external(x)),
    ['docs/a.md#x', '../d.md', '#here'],
  );
});

for (const file of files) {
  const name = relative(ROOT, file);
  test(`${name}: every relative link resolves`, (t) => {
    const src = readFileSync(file, 'utf8');
    const bad: string[] = [];
    for (const { line, target } of linksOf(src)) {
      if (external(target)) continue;
      const hash = target.indexOf('#');
      const path = decodeURIComponent(hash < 0 ? target : target.slice(0, hash));
      const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
      const dest = path === '' ? file : resolve(dirname(file), path);
      if (!dest.startsWith(ROOT) || !existsSync(dest)) {
        bad.push(`${name}:${line}: ${target}: no such file`);
        continue;
      }
      if (anchor !== null && anchor !== '' && dest.endsWith('.md') && statSync(dest).isFile()) {
        if (!anchorsOf(readFileSync(dest, 'utf8')).has(anchor)) bad.push(`${name}:${line}: ${target}: no heading with anchor #${anchor} in ${relative(ROOT, dest)}`);
      }
    }
    t.deepEqual(bad, []);
  });
}
