import { createRequire } from 'node:module';
import { packageFilePath } from './package-root.ts';

/**
 * The package version, read from package.json so that it is written down
 * once. Located at run time rather than imported: the compiled module sits
 * one folder deeper than the source (see package-root.ts), so no one
 * relative specifier reaches package.json from both.
 */
export const VERSION: string = (createRequire(import.meta.url)(packageFilePath('package.json')) as { version: string }).version;
