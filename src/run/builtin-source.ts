import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PACKAGE_ROOT } from '../model/package-root.ts';
import { moduleTextDigest } from './source-digest.ts';
import type { Model } from '../model/define.ts';

/**
 * The source digest of a built-in model: the text of its TypeScript file
 * under models/ and of the files there it imports (`moduleTextDigest`,
 * not following `../src/`). The model hash of a built-in model counts it
 * in place of the text of the functions its file defines, because that
 * text is the compiler's: a checkout runs models/peterson.ts through tsx
 * (esbuild, which prints `(s,me)=>me.k===n`), the installed package runs
 * dist/models/peterson.js, which tsc printed keeping the source's layout.
 * The same source then hashes alike in both, so that a trace or a swarm
 * member's result made with one is the same model for the other. The
 * compiled package has no sources: the build (`npm run build`, npm's
 * prepare) writes the digests of the sources it compiled beside the
 * compiled models (`writeBuiltinDigests`), and the compiled tree reads
 * them there.
 */

/** The file the build writes beside the compiled models: each built-in model file's source digest, by its name without extension. */
export const DIGESTS_FILE = 'source-digests.json';

/** The source digest of the model file `models/<name>.ts` of the package at `root`. */
export function builtinSourceDigest(root: string, name: string): string {
  const dir = join(root, 'models');
  return moduleTextDigest(join(dir, `${name}.ts`), dir);
}

/** Each built-in model file's source digest, by name (models/*.ts but the index). */
export function builtinDigests(root: string): Record<string, string> {
  const names = readdirSync(join(root, 'models'))
    .filter((f) => f.endsWith('.ts') && f !== 'index.ts')
    .map((f) => f.slice(0, -3))
    .sort();
  return Object.fromEntries(names.map((n) => [n, builtinSourceDigest(root, n)]));
}

/** The build's step after the compiler: the digests of the package's model sources at `root`, into dist/models/ beside the compiled models. */
export function writeBuiltinDigests(root: string): void {
  writeFileSync(join(root, 'dist', 'models', DIGESTS_FILE), JSON.stringify(builtinDigests(root), null, 2) + '\n');
}

let compiledDigests: Record<string, string> | null | undefined;

/** The digests the build wrote beside the compiled models in `dir`, or null (a tree compiled without that step). */
function readDigests(dir: string): Record<string, string> | null {
  if (compiledDigests !== undefined) return compiledDigests;
  try {
    compiledDigests = JSON.parse(readFileSync(join(dir, DIGESTS_FILE), 'utf8')) as Record<string, string>;
  } catch {
    compiledDigests = null;
  }
  return compiledDigests;
}

/**
 * A built-in model as its file exports it (`builtin(import.meta.url,
 * defineModel({...}))`), with its source digest: from its own text in the
 * sources, from the digests the build wrote in the compiled tree (or, for
 * a tree compiled without that step, from the sources beside it, when
 * there are: a checkout's dist/).
 */
export function builtin(moduleUrl: string, model: Model): Model {
  const file = fileURLToPath(moduleUrl);
  const name = basename(file).replace(/\.[jt]s$/, '');
  const root = fileURLToPath(PACKAGE_ROOT);
  let d: string | undefined;
  // A copy of a model file elsewhere is no built-in model (it is loaded as a model file, and hashed as one).
  if (file === join(root, 'models', `${name}.ts`)) d = builtinSourceDigest(root, name);
  else if (file === join(root, 'dist', 'models', `${name}.js`)) {
    d = readDigests(dirname(file))?.[name];
    if (d === undefined && existsSync(join(root, 'models', `${name}.ts`))) d = builtinSourceDigest(root, name);
  }
  return d === undefined ? model : { ...model, builtinDigest: d };
}
