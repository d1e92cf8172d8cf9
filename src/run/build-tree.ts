import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, join } from 'node:path';
import { writeBuiltinDigests } from './builtin-source.ts';
import { BUILD_INPUTS, compiledTreeMatches, writeSourceTree } from './compiled-tree.ts';

/**
 * `npm run build` (and npm's `prepare`): the package's compiled tree, dist/,
 * made so that dist/ is at every moment either the whole previous tree or
 * the whole new one, and its record (dist/source-tree.json) names exactly
 * the sources it was compiled from.
 *
 * - The inputs (src/, models/, the two compiler settings) are copied into a
 *   folder of their own beside dist/ (`.build-XXXXXX`), and the compiler
 *   runs on that copy. The record is the digest of the copy: a source edited
 *   while the compiler runs makes the record differ from the sources, so
 *   the checkout runs its sources, never a tree compiled from older text
 *   (the digest taken afterwards from the sources themselves would have
 *   named the new text).
 * - The new tree, complete with its built-in models' digests and its
 *   record, replaces dist/ by two renames: threads that a running test or
 *   command starts meanwhile find one tree or the other (the build used to
 *   empty dist/ first, and they then failed to load).
 * - A compiler error, a signal or any failure leaves dist/ as it was, and
 *   removes the copy.
 */

/** Compile the package whose inputs are at `stage` into `stage`/dist; throws when the compiler fails. */
export type Compile = (stage: string) => void;

/** tsc on the copy; its messages name the sources' own paths (not the copy's, which is removed). */
const tscCompile: Compile = (stage) => {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  const r = spawnSync(process.execPath, [tsc, '-p', join(stage, 'tsconfig.build.json')], { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 28 });
  const own = (text: string | null): string => (text ?? '').replaceAll(`${basename(stage)}/`, '');
  process.stdout.write(own(r.stdout));
  process.stderr.write(own(r.stderr));
  if (r.status !== 0) throw new Error(`the TypeScript compiler ${r.status !== null ? `failed (exit ${r.status})` : `was ended (${r.signal ?? r.error?.message})`}: dist/ is left as it was`);
};

/**
 * Build the compiled tree of the package at `root` (see above); with
 * `ifStale`, only when dist/ is not already its sources compiled. Returns
 * whether it built.
 */
export function buildCompiledTree(root: string, o: { ifStale?: boolean; compile?: Compile } = {}): boolean {
  if (o.ifStale === true && compiledTreeMatches(root)) return false;
  const stage = mkdtempSync(join(root, '.build-'));
  try {
    for (const input of BUILD_INPUTS) cpSync(join(root, input), join(stage, input), { recursive: true });
    (o.compile ?? tscCompile)(stage);
    writeBuiltinDigests(stage);
    writeSourceTree(stage);
    const dist = join(root, 'dist');
    const previous = join(stage, 'previous');
    let moved = true;
    try {
      renameSync(dist, previous);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      moved = false;
    }
    try {
      renameSync(join(stage, 'dist'), dist);
    } catch (e) {
      // The previous tree goes back rather than out with the copy.
      if (moved) renameSync(previous, dist);
      throw e;
    }
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
  return true;
}
