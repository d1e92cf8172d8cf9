import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { Module, register } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { writeFileAtomic } from './write.ts';

/**
 * A checkout (the package with its src/) runs the TypeScript sources
 * through tsx. That is costly in every thread it starts: in Node 20 each
 * worker thread that registers tsx's ES module hooks gets a hooks thread of
 * its own, which loads tsx and esbuild, and the thread then loads the
 * engine's hundred modules through it (about 0.7 s of CPU against 0.2 s
 * for the compiled package; a test run starts hundreds of threads). So a
 * checkout whose dist/ is exactly its sources compiled runs dist/ instead:
 * the build (`npm run build`, src/run/build-tree.ts) compiles a copy of
 * the sources and records a digest of every file of that copy (src/,
 * models/ and the compiler's settings) in dist/source-tree.json, and a
 * checkout runs dist/ only while that digest is the one its files have
 * now. An edited, added or removed source file (during the build too), a
 * failed build (it leaves the previous tree and its record) or no build at
 * all: the sources run, as before. A stale dist/ is never run. `MMCHECK_FROM_SOURCES=1` runs the sources whatever dist/
 * holds.
 *
 * Where the choice is made: bin/mmcheck.js for the command line in a
 * checkout, and `workerBootstrapUrl` for each thread the sources start
 * (the in-process tests, the benches: their threads run dist/ while the
 * main thread runs the sources). An installed package ships no sources and
 * always runs dist/, so none of this applies to it.
 */
export const TREE_FILE = 'source-tree.json';

/** The environment variable that makes a checkout run its sources whatever dist/ holds. */
export const FROM_SOURCES_ENV = 'MMCHECK_FROM_SOURCES';

const FORMAT = 'mmcheck-source-tree/1';
/** What the build compiles from, relative to the package root: folders (every file in them, at any depth) and files (`build-tree.ts` copies them for the compiler). */
export const BUILD_INPUTS = ['src', 'models', 'tsconfig.json', 'tsconfig.build.json'] as const;

/** The digest of the build's inputs in the package at `root`: each file's path from the root, length and bytes, in path order; a missing input counts as missing. */
export function sourceTreeDigest(root: string): string {
  const files: string[] = [];
  const walk = (rel: string): void => {
    let entries;
    try {
      entries = readdirSync(join(root, rel), { withFileTypes: true });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOTDIR') files.push(rel);
      else if ((e as NodeJS.ErrnoException).code === 'ENOENT') files.push(`${rel}\0missing`);
      else throw e;
      return;
    }
    for (const d of entries) {
      const r = `${rel}/${d.name}`;
      if (d.isDirectory()) walk(r);
      else files.push(r);
    }
  };
  for (const input of BUILD_INPUTS) walk(input);
  files.sort();
  const h = createHash('sha256');
  for (const f of files) {
    if (f.endsWith('\0missing')) {
      h.update(`${f}\0`);
      continue;
    }
    const bytes = readFileSync(join(root, f));
    h.update(`${f}\0${bytes.length}\0`);
    h.update(bytes);
  }
  return h.digest('hex');
}

/** The build's last step: the digest of the sources at `root` (the build's copy of them), into `root`/dist (written whole, then renamed into place). */
export function writeSourceTree(root: string): void {
  writeFileAtomic(join(root, 'dist', TREE_FILE), `${JSON.stringify({ format: FORMAT, digest: sourceTreeDigest(root) }, null, 2)}\n`);
}

/** Whether dist/ of the checkout at `root` was compiled from exactly the files its sources have now (read afresh). */
export function compiledTreeMatches(root: string): boolean {
  let recorded: unknown;
  try {
    recorded = JSON.parse(readFileSync(join(root, 'dist', TREE_FILE), 'utf8'));
  } catch {
    return false;
  }
  const r = recorded as { format?: unknown; digest?: unknown } | null;
  if (r === null || typeof r !== 'object' || r.format !== FORMAT || typeof r.digest !== 'string') return false;
  try {
    return r.digest === sourceTreeDigest(root);
  } catch {
    // A source that cannot be read (a link to a folder, no permission): the sources run, and say so themselves.
    return false;
  }
}

const decided = new Map<string, boolean>();

/**
 * Whether the checkout at `root` runs its compiled tree: dist/ matches its
 * sources and `MMCHECK_FROM_SOURCES=1` is not set. Decided once per
 * process and root, so that every thread a run starts runs the same tree.
 */
export function checkoutRunsCompiled(root: string): boolean {
  let d = decided.get(root);
  if (d === undefined) {
    d = process.env[FROM_SOURCES_ENV] !== '1' && compiledTreeMatches(root);
    decided.set(root, d);
  }
  return d;
}

/** The compiled module of the checkout whose root is the file URL `base` (ending in '/') that the source module `url` compiles to: a .ts file under src/ or models/ to its .js under dist/; null for any other URL. (Its text is also the hook `registerCompiledTree` registers.) */
function compiledUrl(base: string, url: string): string | null {
  if (!url.startsWith(base) || !url.endsWith('.ts') || url.endsWith('.d.ts')) return null;
  const rel = url.slice(base.length);
  return rel.startsWith('src/') || rel.startsWith('models/') ? `${base}dist/${rel.slice(0, -3)}.js` : null;
}

/** The file URL of the folder `root`, ending in '/'. */
const rootUrl = (root: string): string => pathToFileURL(join(root, '/')).href.replace(/\/?$/, '/');

/** `compiledUrl` for the checkout at the path `root`. */
export function compiledUrlOf(root: string, url: string): string | null {
  return compiledUrl(rootUrl(root), url);
}

/**
 * In a thread of a checkout that runs its compiled tree: a model file's
 * import of the engine's sources (`import ... from '<checkout>/src/index.ts'`,
 * or 'mmcheck' where the source condition is on, as in the tests' processes)
 * means the compiled module instead, for `import` (a resolve hook) and for
 * CommonJS `require`, so that the model shares the one engine the thread
 * runs rather than loading a second copy from the sources.
 */
export function registerCompiledTree(root: string): void {
  const base = rootUrl(root);
  register(
    `data:text/javascript,${encodeURIComponent(
      [
        `const compiledUrl = ${compiledUrl.toString()};`,
        `const base = ${JSON.stringify(base)};`,
        'export async function resolve(specifier, context, next) {',
        '  const r = await next(specifier, context);',
        '  const url = compiledUrl(base, r.url);',
        "  return url === null ? r : { ...r, url, format: 'module' };",
        '}',
      ].join('\n'),
    )}`,
  );
  const cjs = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolveFilename = cjs._resolveFilename;
  cjs._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    const file = resolveFilename.call(this, request, ...rest);
    const compiled = compiledUrl(base, pathToFileURL(file).href);
    return compiled === null ? file : fileURLToPath(compiled);
  };
}
