import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { digest } from '../layout/hash.ts';
import { codeOnly, withoutComments } from '../model/source.ts';

/** The most files `moduleTextDigest` reads (a model and its own helper modules are a handful), and the largest it reads. */
const MAX_DIGEST_FILES = 256;
const MAX_DIGEST_BYTES = 4 * 2 ** 20;
/** Import specifiers in a module's text: `from '...'`, `import '...'`, `import('...')`, `require('...')`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])(\.{1,2}\/[^'"\n]*)\1/g;
const MODULE_EXTS = ['.ts', '.mts', '.cts', '.tsx', '.js', '.mjs', '.cjs', '.jsx'];

/**
 * A digest of a model file's text and of every file it imports by a
 * relative path, transitively (not packages, nor anything under
 * node_modules; with `within`, only the files in that folder or below):
 * the model hash includes it, so that a changed constant or helper module
 * reads as a changed model. Files that cannot be read or resolved count as
 * their specifier. The files are named by their paths from the model
 * file's folder, so the digest does not depend on where the folder is.
 */
export function moduleTextDigest(file: string, within?: string): string {
  return moduleTexts(file, within).digest;
}

/** `moduleTextDigest`, and what the texts read that differs from one thread to the next (`threadVarying`), from one reading of the files. */
export function moduleTexts(file: string, within?: string): { digest: string; threadVarying: string | null } {
  const seen = new Set<string>([file]);
  const inside = (f: string): boolean => within === undefined || !relative(within, f).startsWith('..');
  let varying: string | null = null;
  const queue = [file];
  const parts: string[] = [];
  for (let i = 0; i < queue.length && i < MAX_DIGEST_FILES; i++) {
    const f = queue[i]!;
    let text: string;
    try {
      // A data file imported whole (a large JSON table) counts by its size: its text is not read.
      const size = statSync(f).size;
      if (size > MAX_DIGEST_BYTES) {
        parts.push(`large ${relative(dirname(file), f)} ${size}`);
        continue;
      }
      text = readFileSync(f, 'utf8');
    } catch {
      parts.push(`unreadable ${relative(dirname(file), f)}`);
      continue;
    }
    parts.push(`${relative(dirname(file), f)}\n${text}`);
    if (varying === null) {
      const what = threadVaryingRead(text);
      if (what !== null) varying = f === file ? what : `imports ${relative(dirname(file), f)}, which ${what}`;
    }
    for (const x of text.matchAll(SPECIFIER)) {
      const target = resolveRelative(dirname(f), x[2]!);
      if (target === null) parts.push(`unresolved ${x[2]}`);
      else if (!seen.has(target) && !target.includes(`${sep}node_modules${sep}`) && inside(target)) {
        seen.add(target);
        queue.push(target);
      }
    }
  }
  return { digest: digest(parts.join('\n\0')), threadVarying: varying };
}

/** An import of worker_threads (a string specifier, comments aside). */
const WORKER_THREADS = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)(['"])(?:node:)?worker_threads\1/;
/** A read of randomness or the clock (as names.ts refuses inside the model's functions). */
const CLOCK_OR_RANDOM = /(?:(?<![\w$.])globalThis\s*\.\s*|(?<![\w$.]))(Math\s*\.\s*random|Date\s*\.\s*now|new\s+Date|performance\s*\.\s*now|process\s*\.\s*hrtime|crypto\s*\.\s*(?:getRandomValues|randomUUID|randomInt|randomBytes))(?![\w$])/g;

/**
 * What a module's text reads that each thread loading it may see
 * otherwise, or null: an import of worker_threads (`threadId`,
 * `isMainThread`), or randomness or the clock at the top level (outside
 * every bracket: `const LIMIT = Math.random() < 0.5 ? 3 : 9`). Each thread
 * that loads a model file (the search thread, each helper of `--workers`,
 * the thread that re-executes a counterexample) runs its top level anew.
 * Inside the model's functions such reads are refused (MC160, names.ts);
 * inside brackets at the top level (an object's field, a helper function's
 * body) this does not look.
 */
function threadVaryingRead(text: string): string | null {
  if (WORKER_THREADS.test(withoutComments(text))) return 'imports node:worker_threads';
  const code = codeOnly(text);
  let depth = 0;
  let at = 0;
  for (const m of code.matchAll(CLOCK_OR_RANDOM)) {
    for (; at < m.index; at++) {
      const c = code[at];
      if (c === '{' || c === '(' || c === '[') depth++;
      else if ((c === '}' || c === ')' || c === ']') && depth > 0) depth--;
    }
    if (depth === 0) return `reads ${m[1]!.replace(/\s+/g, m[1]!.startsWith('new') ? ' ' : '')} outside the model's functions`;
  }
  return null;
}

/** A relative specifier as Node or TypeScript resolve it: the file, with an extension added or `.js` read as `.ts`, or a folder's index. */
function resolveRelative(dir: string, spec: string): string | null {
  const base = resolve(dir, spec);
  const isFile = (p: string) => {
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  };
  const stem = base.replace(/\.(?:[cm]?js|jsx)$/, '');
  for (const c of [base, ...MODULE_EXTS.map((e) => base + e), ...MODULE_EXTS.map((e) => stem + e), ...MODULE_EXTS.map((e) => join(base, `index${e}`))]) if (isFile(c)) return c;
  return null;
}
