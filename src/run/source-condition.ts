import { register } from 'node:module';

/**
 * The export condition under which `import 'mmcheck'` means the TypeScript
 * sources (package.json: exports["."]["mmcheck-source"] → ./src/index.ts)
 * rather than the compiled dist/, which a checkout may not have built (or
 * may hold stale). tsc (tsconfig.json customConditions) and the tests
 * (ava's --conditions) set it by flag; the bin run from a checkout, and the
 * worker threads it starts, register this resolve hook instead, since a
 * process cannot take a flag after it started. An installed package ships
 * no sources and never sets it.
 */
export const SOURCE_CONDITION = 'mmcheck-source';

/** A module of ESM loader hooks (a data: URL: nothing on disk) adding the condition to every resolution. */
export const SOURCE_CONDITION_HOOKS: string = `data:text/javascript,${encodeURIComponent(
  [
    `const c = ${JSON.stringify(SOURCE_CONDITION)};`,
    'export async function resolve(specifier, context, next) {',
    '  return next(specifier, context.conditions.includes(c) ? context : { ...context, conditions: [...context.conditions, c] });',
    '}',
  ].join('\n'),
)}`;

/** Make `import 'mmcheck'` in this thread resolve to the sources (ES modules; a CommonJS require keeps the process's conditions). */
export function registerSourceCondition(): void {
  register(SOURCE_CONDITION_HOOKS);
}
