import { fileURLToPath } from 'node:url';
import { McError, isMcError } from '../model/errors.ts';
import { PACKAGE_ROOT } from '../model/package-root.ts';

/**
 * What a search thread reports when code a model file started ends it
 * outside any step's call: a timer or callback that throws, a promise it did
 * not await, `process.exit()` in a step. None is a bug of mmcheck's, so none
 * is an internal error (exit 70, "please report"); each is the model's, a
 * coded error (MC166, exit 2), as the main thread reports the same in
 * bin/mmcheck.js.
 */

const ownRoot = fileURLToPath(PACKAGE_ROOT);

/**
 * MC166 for an error that ended a thread when its stack leaves mmcheck's own
 * files (or the built-in models' and examples'); null when it is mmcheck's
 * own, an internal error. The same rule as bin/mmcheck.js's.
 */
export function strayModelError(e: unknown, what: string): McError | null {
  let stack = '';
  let first = '';
  try {
    const s = (e as { stack?: unknown } | null)?.stack;
    stack = typeof s === 'string' ? s : '';
    first = String((e as { message?: unknown } | null)?.message ?? e).split('\n')[0]!;
  } catch {
    first = '<a value whose properties throw when read>';
  }
  const files = stack.split('\n').filter((l) => /^\s+at /.test(l) && /[\\/]/.test(l) && !/\(node:|at node:/.test(l));
  const ours = files.length > 0 && files.every((l) => l.includes(ownRoot) && !l.includes(`${ownRoot}models`) && !l.includes(`${ownRoot}examples`));
  if (ours) return null;
  return new McError('MC166', `${what} outside any step of the model, from code a model file started (a promise it did not await, a timer or callback): ${first}${files[0] ? `\n  ${files[0].trim()}` : ''}`);
}

/** MC166 for a search thread that ended with no result, no error and no stop asked: only `process.exit()` in code of the model's does that. */
export function exitedModelError(code: number): McError {
  return new McError('MC166', `a model's step, guard or invariant (or code a model file started) called process.exit(${code}) during the search; a model's functions only compute the next state`);
}

/** MC166 for a helper thread of the multi-core search whose loading of the model file ended it: `process.exit()` at the file's top level (or in code it started). */
export function exitedLoadError(code: number): McError {
  return new McError('MC166', `a model file (or code it started) called process.exit(${code}) while a helper thread loaded it; a model file only defines the model`);
}

/** A failure as a thread posts it to its caller: a coded error's code and message, or anything else's stack (the caller's internal error). */
export function errorMessage(e: unknown): { type: 'error'; code: string | null; message: string } {
  return { type: 'error', code: isMcError(e) ? e.code : null, message: isMcError(e) ? e.message : e instanceof Error ? (e.stack ?? e.message) : String(e) };
}
