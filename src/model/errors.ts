import { deferredValue, toStringTag, unplainFunction } from './synchronous.ts';

/**
 * Coded errors. Codes are by phase and never reused:
 *   MC1xx model definition, MC2xx domains and layout (including writes outside
 *   a domain at run time), MC3xx options and command line, MC4xx traces.
 * Outcomes of a search (pass / violation / incomplete) are values, not errors:
 * only misuse and internal bugs throw.
 */
export class McError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'McError';
    this.code = code;
  }
  override toString(): string {
    return `error ${this.code}: ${this.message}`;
  }
}

/**
 * A coded error that ends a run as incomplete (exit 3), not as bad input
 * (exit 2): a limit reached before any search started, such as a model file
 * whose loading or building did not finish within `--time-limit` (MC167).
 */
export class McIncompleteError extends McError {
  readonly incomplete = true;
}

/** Whether a coded error ends its run as incomplete (`McIncompleteError`, by shape, as `isMcError`). */
export function isIncompleteError(e: unknown): boolean {
  return typeof e === 'object' && e !== null && (e as { incomplete?: unknown }).incomplete === true;
}

/**
 * Recognised by shape, not `instanceof`: a model file may load its own copy
 * of this module (CommonJS next to the ESM engine), whose errors are just as
 * coded. Read with own-property tests so that a thrown oddity (a sealed
 * view, a proxy) cannot throw again while being classified.
 */
export function isMcError(e: unknown): e is McError {
  try {
    if (typeof e !== 'object' || e === null || !Object.hasOwn(e, 'code') || !Object.hasOwn(e, 'message')) return false;
    const { code, message } = e as { code: unknown; message: unknown };
    return typeof code === 'string' && /^MC\d{3}$/.test(code) && typeof message === 'string';
  } catch {
    // A value model code threw whose properties throw when looked at (a Proxy, a getter): not one of ours.
    return false;
  }
}

/** The most of a quoted value a message shows (a 100 MB key from a hostile file would make a 100 MB message). */
const QUOTE_MAX = 240;
/** A name or value from a data file cut for a message, unquoted (`q` quotes it): a hostile trace's megabyte step name stays a few hundred characters. */
export const clip = (text: string): string => (text.length > QUOTE_MAX ? `${text.slice(0, QUOTE_MAX)}... (${text.length.toLocaleString('en-US')} characters)` : text);

/** A key in a JSON path of a message: `.name` when it reads as one, else quoted and clipped (`["a b"]`, a 100 MB key). */
export const pathKey = (k: string): string => (/^[^\s"'\\\u0000-\u001f\u007f-\u009f]{1,64}$/.test(k) ? `.${k}` : `[${q(k)}]`);

/** A function as a message shows it: `<function>`, `<function check>`, `<async function load>` (its kind, and its name when it has one). */
export function functionText(fn: Function): string {
  const kind = unplainFunction(fn)?.replace(/^an? /, '') ?? 'function';
  const name = typeof fn.name === 'string' && fn.name !== '' ? ` ${clip(fn.name)}` : '';
  return `<${kind}${name}>`;
}

/** A function's place in JSON text while q writes it: the string "\u0000<index>", replaced by functionText unquoted. */
const FN_MARK = '\u0000';
const FN_MARKED = /"\\u0000(\d+)"/g;

/**
 * What a view of the state is, for a message, or null for any other value.
 * A view's fields are its own properties (src/layout/views.ts), looked up
 * without reaching its sealed prototype.
 */
function viewText(v: unknown): string | null {
  try {
    return viewKind(v);
  } catch {
    // A Proxy whose traps throw is no view.
    return null;
  }
}

function viewKind(v: unknown): string | null {
  if (typeof v !== 'object' || v === null || !Object.hasOwn(v, '$w') || !Object.hasOwn(v, '$ro')) return null;
  if (Object.hasOwn(v, '$id')) return "a thread's locals view (me), not a value: read one of its locals (me.NAME)";
  // An array view's class defines get, set and fill on its own prototype; the state view's, the variables and at, local, count.
  const proto = Object.getPrototypeOf(v) as object | null;
  const array = proto !== null && Object.hasOwn(proto, 'fill') && Object.hasOwn(proto, 'get') && !Object.hasOwn(proto, 'local');
  return array ? 'an array variable (its view, not a value: read an element with .get(i))' : 'the state view (s), not a value: read a variable (s.NAME)';
}

/** Quote a value for an error message. */
export function q(v: unknown): string {
  if (typeof v === 'string') return clip(JSON.stringify(v));
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  // A view of the state (`s`, `me`, an array variable `s.want`) returned where a value was meant: JSON would print its internals.
  const view = viewText(v);
  if (view !== null) return view;
  // JSON would print a Promise as {}: "the guard returned {}" says nothing of the async function behind it.
  const deferred = deferredValue(v);
  if (deferred !== null) return `${deferred} (the model's functions must be synchronous)`;
  let text: string;
  try {
    // JSON drops a function (`{}` for { a: f }, the source text alone) or writes null for one (`[null]` for [f]): each is shown as one.
    const fns: string[] = [];
    const json = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'function' ? `${FN_MARK}${fns.push(functionText(x)) - 1}` : x));
    if (json === undefined) text = String(v);
    else if (fns.length === 0) text = json;
    // A string of the value that reads as a mark: the functions are written as strings instead.
    else if ((json.match(FN_MARKED)?.length ?? 0) !== fns.length) text = JSON.stringify(v, (_k, x: unknown) => (typeof x === 'function' ? functionText(x) : x));
    else text = json.replace(FN_MARKED, (_m, i: string) => fns[Number(i)]!);
  } catch {
    // A cycle, a nesting deeper than the stack (a hostile trace), a throwing getter: say what it is.
    try {
      text = String(v);
    } catch {
      // A Proxy whose every trap throws: not even its tag can be read.
      text = toStringTag(v) || '<a value whose every property throws when read>';
    }
  }
  return clip(text);
}
