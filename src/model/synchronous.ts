/**
 * A model's functions run synchronously: a step is one transition, executed
 * to its end inside one expansion. An async function returns at its first
 * `await`, and what it writes after it lands in no state (the search has
 * moved on, and the views it writes through hold another state by then); a
 * generator function returns without running its body at all. Either would
 * make a check answer about a model other than the one written, so both
 * are refused: by kind when the model is built, and by what a call returned
 * (a Promise from a compiled `async`, `__awaiter` and the like) at run time.
 */

/** Functions that are not plain, by their `Object.prototype.toString` tag. */
const UNPLAIN: ReadonlyMap<string, string> = new Map([
  ['[object AsyncFunction]', 'an async function'],
  ['[object GeneratorFunction]', 'a generator function'],
  ['[object AsyncGeneratorFunction]', 'an async generator function'],
]);
/** Values that stand for work not yet done, by the same tag. */
const DEFERRED: ReadonlyMap<string, string> = new Map([
  ['[object Promise]', 'a Promise'],
  ['[object Generator]', 'a generator object'],
  ['[object AsyncGenerator]', 'an async generator object'],
]);

/** 'an async function', 'a generator function', ... for a function that is not plain; null for a plain one. */
export function unplainFunction(fn: Function): string | null {
  return UNPLAIN.get(toStringTag(fn)) ?? null;
}

/** 'a Promise', 'a generator object', ... for a value that stands for work not yet done; null for anything else. */
export function deferredValue(v: unknown): string | null {
  if (typeof v !== 'object' || v === null) return null;
  return DEFERRED.get(toStringTag(v)) ?? null;
}

/** `Object.prototype.toString` of a value, or '' when reading its tag throws (a Proxy whose traps throw, a throwing `Symbol.toStringTag` getter). */
export function toStringTag(v: unknown): string {
  try {
    return Object.prototype.toString.call(v);
  } catch {
    return '';
  }
}

/** Why an unplain function is refused, after "<what> is <kind>". */
export function unplainWhy(kind: string): string {
  return kind.includes('async')
    ? 'a step runs to its end within one transition, so what it would do after an await would be part of no state: make it a plain function'
    : 'calling it returns without running its body: make it a plain function';
}
