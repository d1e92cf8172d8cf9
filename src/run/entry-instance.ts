import { createRequire, Module } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageModuleUrl } from '../model/package-root.ts';

/**
 * One package instance for every model file. An ES module model's
 * `import 'mmcheck'` resolves (package.json exports) to the very module the
 * engine runs, so it shares the engine's instance. A CommonJS model's
 * `require('mmcheck')` would not: tsx's CommonJS hook compiles an ES module
 * it is asked to require into a CommonJS copy (its own module graph), instead
 * of Node's require(esm), which returns the ES module itself. So before a
 * model file loads, the package entry's CommonJS cache slot (the file that
 * exports["."].require names: dist/src/index.js) is filled with the engine's
 * own entry: the require then returns it, as require(esm) would. Run from
 * the sources, the slot is the source entry's, to which a checkout resolves
 * 'mmcheck' (source-condition.ts), built dist/ or not.
 */
export async function shareEntryWithCommonJs(): Promise<void> {
  const file = fileURLToPath(packageModuleUrl('src/index'));
  const cache = createRequire(import.meta.url).cache;
  if (cache[file]) return;
  const entry = (await import(packageModuleUrl('src/index').href)) as object;
  const m = new Module(file);
  m.filename = file;
  m.paths = (Module as unknown as { _nodeModulePaths(dir: string): string[] })._nodeModulePaths(dirname(file));
  m.exports = entry;
  m.loaded = true;
  cache[file] = m;
}
