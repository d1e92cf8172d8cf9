import { fileURLToPath } from 'node:url';

/**
 * Where this module runs from decides where the package's other files are.
 * Run from the sources (through tsx), this file is src/model/package-root.ts;
 * compiled (`npm run build`, what an installed package runs), it is
 * dist/src/model/package-root.js, one folder deeper, and its siblings end in
 * .js. Files found at run time (the built-in models' index, package.json)
 * are located from here, so that both trees work without a flag.
 */
const compiled = !import.meta.url.endsWith('.ts');

/** The extension of this tree's modules: '.ts' in the sources, '.js' compiled. */
export const MODULE_EXT: '.ts' | '.js' = compiled ? '.js' : '.ts';

/** The package's root folder (where package.json is), as a file URL ending in '/'. */
export const PACKAGE_ROOT: URL = new URL(compiled ? '../../../' : '../../', import.meta.url);

/**
 * A module of the package by its path in the sources without extension
 * (`models/index`), as the URL to import in this tree: the .ts file in the
 * sources, its compiled .js under dist/ otherwise.
 */
export function packageModuleUrl(path: string): URL {
  return new URL(`${compiled ? 'dist/' : ''}${path}${MODULE_EXT}`, PACKAGE_ROOT);
}

/** A file shipped as is at the package root (package.json, schemas/), as a path. */
export function packageFilePath(path: string): string {
  return fileURLToPath(new URL(path, PACKAGE_ROOT));
}
