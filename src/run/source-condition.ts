import { Module, register } from 'node:module';
import { fileURLToPath } from 'node:url';
import { packageModuleUrl } from '../model/package-root.ts';

/**
 * The export condition under which `import 'mmcheck'` means the TypeScript
 * sources (package.json: exports["."]["mmcheck-source"] → ./src/index.ts)
 * rather than the compiled dist/, which a checkout may not have built (or
 * may hold stale). tsc (tsconfig.json customConditions) and the tests
 * (ava's --conditions) set it by flag; the bin run from a checkout, and the
 * worker threads it starts, call registerSourceCondition instead, since a
 * process cannot take a flag after it started. An installed package ships
 * no sources and never sets it.
 */
export const SOURCE_CONDITION = 'mmcheck-source';

/** A module of ESM loader hooks (a data: URL: nothing on disk) adding the condition to every resolution. */
const HOOKS = `data:text/javascript,${encodeURIComponent(
  [
    `const c = ${JSON.stringify(SOURCE_CONDITION)};`,
    'export async function resolve(specifier, context, next) {',
    '  return next(specifier, context.conditions.includes(c) ? context : { ...context, conditions: [...context.conditions, c] });',
    '}',
  ].join('\n'),
)}`;

/**
 * Make 'mmcheck' in this thread mean the sources: for `import`, by the
 * condition; for CommonJS `require`, whose conditions are fixed when the
 * process starts, by resolving the bare name to the source entry (the
 * file entry-instance.ts fills with the engine's own module), as tsx
 * itself wraps the CommonJS resolver.
 */
export function registerSourceCondition(): void {
  register(HOOKS);
  const entry = fileURLToPath(packageModuleUrl('src/index'));
  const cjs = Module as unknown as { _resolveFilename(request: string, ...rest: unknown[]): string };
  const resolveFilename = cjs._resolveFilename;
  cjs._resolveFilename = function (this: unknown, request: string, ...rest: unknown[]): string {
    return request === 'mmcheck' ? entry : resolveFilename.call(this, request, ...rest);
  };
}
