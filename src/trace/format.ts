import { clip, McError, pathKey, q } from '../model/errors.ts';
import type { Scalar } from '../model/domains.ts';
import { MAX_NAME, type ViolationKind } from '../model/define.ts';

/**
 * Trace files, format `mmcheck-trace/1` (documented in docs/trace-format.md).
 * Readers accept every version they know; fields added later are optional.
 */
export const TRACE_FORMAT = 'mmcheck-trace/1';
export const KNOWN_FORMATS = [TRACE_FORMAT] as const;

export interface TraceStep {
  thread: string;
  step: string;
  choice: number;
  choiceName?: string;
  /** Label before and after the step. */
  from: string;
  to: string;
  /** Variables the step changed, with their new values (thread labels excluded). */
  changes: Record<string, Scalar>;
  /** Hash of the state after the step; absent for a final failing step. */
  stateHash?: string;
  progress?: boolean;
  /** Set on the last step of an assertion violation: the assertion that failed. */
  fails?: string;
}

export interface TraceFile {
  format: string;
  model: string;
  /** Path of the model file when it was not a built-in model. */
  modelFile?: string;
  variant: string | null;
  params: Record<string, Scalar>;
  modelHash: string;
  property: { kind: ViolationKind; name: string; starving?: string };
  fairness?: string;
  threads: string[];
  initial: Record<string, Scalar>;
  initialHash: string;
  steps: TraceStep[];
  cycleStart?: number;
  createdBy?: string;
}

const KINDS: ReadonlySet<string> = new Set(['invariant', 'assertion', 'deadlock', 'livelock']);
const FAIRNESS: ReadonlySet<string> = new Set(['none', 'weak', 'strong']);

/**
 * The keys each object of the format may have. A key outside these is refused
 * (MC405): replay checks every recorded field against re-execution, and a
 * field it does not know is a field it cannot check, so a reader that skipped
 * it would vouch for data it never looked at.
 */
const TOP_KEYS: ReadonlySet<string> = new Set(['format', 'model', 'modelFile', 'variant', 'params', 'modelHash', 'property', 'fairness', 'threads', 'initial', 'initialHash', 'steps', 'cycleStart', 'createdBy']);
const PROPERTY_KEYS: ReadonlySet<string> = new Set(['kind', 'name', 'starving']);
const STEP_KEYS: ReadonlySet<string> = new Set(['thread', 'step', 'choice', 'choiceName', 'from', 'to', 'changes', 'stateHash', 'progress', 'fails']);

function onlyKnown(o: Record<string, unknown>, known: ReadonlySet<string>, path: string): void {
  for (const k of Object.keys(o))
    if (!known.has(k)) throw new McError('MC405', `unknown field in trace at ${path}${pathKey(k)} (this reader knows ${[...known].join(', ')})`);
}

function fail(path: string, what: string): never {
  throw new McError('MC402', `malformed trace at ${path}: ${what}`);
}

const isScalar = (v: unknown) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean';

function checkValuation(v: unknown, path: string): void {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'expected an object of variable values');
  for (const [k, x] of Object.entries(v)) if (!isScalar(x)) fail(`${path}${pathKey(k)}`, `expected a boolean, number or string, got ${q(x)}`);
}

/** How deep a data file's JSON may nest: a trace needs 4 levels, a member result 7; thousands would overflow the stack of anything that walks them. */
const MAX_JSON_DEPTH = 32;
/** Control characters (ESC, BEL, ...; tab and newline aside): a name holding them would drive the terminal it is printed on. */
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/;
/**
 * Invisible format characters: the bidirectional marks, embeddings,
 * overrides and isolates (U+061C, U+200E, U+200F, U+202A-U+202E,
 * U+2066-U+2069), which reorder what a terminal or page shows around them
 * (`take\u202Eleft` prints as `taketfel`), the zero-width space, word joiner
 * and invisible operators (U+200B, U+2060-U+2064), the line and paragraph
 * separators (U+2028, U+2029) and the byte-order mark (U+FEFF): a name
 * holding them reads as another name. The joiners U+200C and U+200D stay
 * allowed (they are part of some scripts and emoji).
 */
const INVISIBLE = /[\u061c\u200b\u200e\u200f\u2028-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/;

/** What is wrong with a key or string of a data file, if anything: a control or an invisible format character. */
function badCharacter(s: string): string | null {
  if (CONTROL.test(s)) return 'a control character';
  const m = INVISIBLE.exec(s);
  if (m) return `an invisible format character (U+${m[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, '0')})`;
  return null;
}

/**
 * The longest name or string value a trace may hold (threads, steps,
 * labels, variables, choices, the model, variant and property, parameters
 * and values): names in a model are identifiers, labels and the names of
 * `oneOf` values, choices and properties, tens of characters long; an
 * element or local is two of them joined (`fault[3].ok`). A name of
 * megabytes is hostile data, which every table, page and message would
 * repeat. MAX_NAME (1024) is also the longest name the model builder
 * accepts (MC180), so every trace mmcheck writes can be read back.
 * `modelFile`, a path, may be as long as a path (MAX_PATH).
 */
const MAX_PATH = 4096;

/** A fault found in parsed JSON: the JSON path and what is wrong there. */
type JsonFault = { path: string; what: string };

/** One open object or array of a walk: its keys (null for an array), the next child's index, and its own path. */
type WalkFrame = { node: Record<string, unknown> | unknown[]; keys: string[] | null; i: number; path: string };

/**
 * Walk parsed JSON in document order, without recursion and in memory that
 * grows with the nesting, not with the size: a frame per open object or
 * array holds a cursor, and a path is built only for a container entered or
 * a fault reported (a data file of millions of array elements must not
 * take an object and a path string per element: 120 million of them ran
 * the process out of heap before any message). `atKey` sees each key of an
 * object with the object's path; `atValue` each value (containers before
 * what they hold), with its depth (the root at 0), its parent's path and its
 * key or index (null for the root).
 * The first fault either returns ends the walk.
 */
function walkJson(
  root: unknown,
  atValue: (v: unknown, depth: number, parent: string | null, key: string | number | null) => string | null,
  atKey: (k: string, parent: string) => JsonFault | null = () => null,
): JsonFault | null {
  const rootWhat = atValue(root, 0, null, null);
  if (rootWhat) return { path: '$', what: rootWhat };
  if (typeof root !== 'object' || root === null) return null;
  const childPath = (f: WalkFrame, k: string | number) => (typeof k === 'number' ? `${f.path}[${k}]` : `${f.path}${pathKey(k)}`);
  const open = (node: object, path: string): WalkFrame =>
    Array.isArray(node) ? { node, keys: null, i: 0, path } : { node: node as Record<string, unknown>, keys: Object.keys(node), i: 0, path };
  const frames: WalkFrame[] = [open(root, '$')];
  while (frames.length > 0) {
    const f = frames[frames.length - 1]!;
    const keys = f.keys;
    const n = keys === null ? (f.node as unknown[]).length : keys.length;
    if (f.i >= n) {
      frames.pop();
      continue;
    }
    const i = f.i++;
    let k: string | number;
    let child: unknown;
    if (keys === null) {
      k = i;
      child = (f.node as unknown[])[i];
    } else {
      k = keys[i]!;
      const bad = atKey(k, f.path);
      if (bad) return bad;
      child = (f.node as Record<string, unknown>)[k];
    }
    const what = atValue(child, frames.length, f.path, k);
    if (what) return { path: childPath(f, k), what };
    if (typeof child === 'object' && child !== null) frames.push(open(child, childPath(f, k)));
  }
  return null;
}

/**
 * The first place where parsed JSON nests deeper than MAX_JSON_DEPTH or a
 * key or string holds a control character, with what is wrong there; null
 * when there is none. Walked without recursion.
 */
export function jsonFault(root: unknown): JsonFault | null {
  return walkJson(
    root,
    (v, depth) => {
      if (typeof v === 'string') {
        const bad = badCharacter(v);
        return bad ? `${bad} in a string` : null;
      }
      return typeof v === 'object' && v !== null && depth >= MAX_JSON_DEPTH ? `nested more than ${MAX_JSON_DEPTH} levels deep` : null;
    },
    (k, parent) => {
      const bad = badCharacter(k);
      return bad ? { path: parent, what: `${bad} in the key ${q(k)}` } : null;
    },
  );
}

/**
 * The first key given twice in one object of a JSON text, with its path;
 * null when there is none. JSON.parse keeps the last of two equal keys
 * without a word (a trace with `"variant"` twice was rendered as the other
 * variant's), and no file mmcheck writes has one, so a reader refuses it.
 * Keys are compared as JSON.parse reads them (`"a"` and `"\u0061"` are the
 * same key). Call it on text JSON.parse accepted: it does not check syntax.
 * One pass, linear in the text; nesting deeper than MAX_JSON_DEPTH is
 * refused here too, since a value JSON.parse dropped for a later one with the
 * same key was never walked by jsonFault.
 */
export function duplicateKey(text: string): JsonFault | null {
  // One frame per open object or array: the keys seen and the current key, or the current index.
  const frames: { keys: Set<string> | null; key: string; index: number; expectKey: boolean }[] = [];
  /** The path of the value the innermost frame is at, cut for a message (a dropped value may hold keys jsonFault and longName never saw). */
  const path = (): string => clip(frames.reduce((p, f) => p + (f.keys === null ? `[${f.index}]` : pathKey(f.key)), '$'));
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22 /* " */) {
      const start = i;
      let escaped = false;
      for (i++; i < n; i++) {
        const d = text.charCodeAt(i);
        if (d === 0x5c /* \ */) {
          escaped = true;
          i++;
        } else if (d === 0x22) break;
      }
      const top = frames[frames.length - 1];
      if (top === undefined || top.keys === null || !top.expectKey) continue;
      const key = escaped ? (JSON.parse(text.slice(start, i + 1)) as string) : text.slice(start + 1, i);
      top.expectKey = false;
      top.key = key;
      if (top.keys.has(key)) return { path: path(), what: `the key ${q(key)} appears more than once in its object (a JSON reader would keep only the last)` };
      top.keys.add(key);
    } else if (c === 0x7b /* { */ || c === 0x5b /* [ */) {
      // As jsonFault, for a value JSON.parse dropped for a later one with the same key.
      if (frames.length >= MAX_JSON_DEPTH) return { path: path(), what: `nested more than ${MAX_JSON_DEPTH} levels deep` };
      frames.push(c === 0x7b ? { keys: new Set(), key: '', index: 0, expectKey: true } : { keys: null, key: '', index: 0, expectKey: false });
    } else if (c === 0x7d /* } */ || c === 0x5d /* ] */) frames.pop();
    else if (c === 0x2c /* , */) {
      const top = frames[frames.length - 1]!;
      if (top.keys === null) top.index++;
      else top.expectKey = true;
    }
  }
  return null;
}

/**
 * The first key or string of a trace longer than MAX_NAME (`$.modelFile`:
 * MAX_PATH), with what is wrong there; null when there is none. Walked
 * without recursion, after jsonFault has bounded the depth.
 */
function longName(root: unknown): JsonFault | null {
  const n = (k: number) => k.toLocaleString('en-US');
  return walkJson(
    root,
    (v, _depth, parent, key) => {
      if (typeof v !== 'string' || v.length <= MAX_NAME) return null;
      const max = parent === '$' && key === 'modelFile' ? MAX_PATH : MAX_NAME;
      return v.length > max ? `a string of ${n(v.length)} characters (a name or value of a trace has at most ${n(max)})` : null;
    },
    (k, parent) => (k.length > MAX_NAME ? { path: `${parent}${pathKey(k)}`, what: `a key of ${n(k.length)} characters (a name in a trace has at most ${n(MAX_NAME)})` } : null),
  );
}

/** Parse and validate a trace file's text. Errors name the JSON path at fault. */
export function parseTrace(text: string, source = 'trace'): TraceFile {
  let j: unknown;
  try {
    j = JSON.parse(text);
  } catch (e) {
    throw new McError('MC401', `${source} is not valid JSON: ${(e as Error).message}`);
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) fail('$', 'expected an object');
  const fault = jsonFault(j) ?? longName(j) ?? duplicateKey(text);
  if (fault) fail(fault.path, fault.what);
  const t = j as Record<string, unknown>;
  if (typeof t.format !== 'string') fail('$.format', 'missing (expected "mmcheck-trace/1")');
  if (!(KNOWN_FORMATS as readonly string[]).includes(t.format))
    throw new McError('MC403', `${source}: unsupported trace format ${q(t.format)} (this mmcheck reads ${KNOWN_FORMATS.join(', ')})`);
  onlyKnown(t, TOP_KEYS, '$');
  if (typeof t.model !== 'string' || !t.model) fail('$.model', 'expected the model name');
  if (t.modelFile !== undefined && typeof t.modelFile !== 'string') fail('$.modelFile', 'expected a path');
  if (t.variant !== null && typeof t.variant !== 'string') fail('$.variant', 'expected a variant name or null');
  if (typeof t.params !== 'object' || t.params === null || Array.isArray(t.params)) fail('$.params', 'expected an object');
  for (const [k, v] of Object.entries(t.params)) if (!isScalar(v)) fail(`$.params${pathKey(k)}`, `expected a boolean, number or string`);
  if (typeof t.modelHash !== 'string') fail('$.modelHash', 'expected a string');
  const p = t.property as Record<string, unknown> | undefined;
  if (typeof p !== 'object' || p === null) fail('$.property', 'expected { kind, name }');
  if (!KINDS.has(p.kind as string)) fail('$.property.kind', `expected one of ${[...KINDS].join(', ')}, got ${q(p.kind)}`);
  onlyKnown(p, PROPERTY_KEYS, '$.property');
  if (typeof p.name !== 'string') fail('$.property.name', 'expected a string');
  if (p.starving !== undefined && (typeof p.starving !== 'string' || p.kind !== 'livelock')) fail('$.property.starving', 'expected a thread name, on a livelock only');
  if (t.fairness !== undefined && (!FAIRNESS.has(t.fairness as string) || p.kind !== 'livelock')) fail('$.fairness', `expected one of ${[...FAIRNESS].join(', ')}, on a livelock only`);
  if (t.createdBy !== undefined && typeof t.createdBy !== 'string') fail('$.createdBy', 'expected a string');
  if (!Array.isArray(t.threads) || t.threads.some((x) => typeof x !== 'string')) fail('$.threads', 'expected a list of thread names');
  checkValuation(t.initial, '$.initial');
  if (typeof t.initialHash !== 'string') fail('$.initialHash', 'expected a string');
  if (!Array.isArray(t.steps)) fail('$.steps', 'expected a list');
  t.steps.forEach((s: unknown, i: number) => {
    const at = `$.steps[${i}]`;
    if (typeof s !== 'object' || s === null || Array.isArray(s)) fail(at, 'expected an object');
    const st = s as Record<string, unknown>;
    onlyKnown(st, STEP_KEYS, at);
    if (typeof st.thread !== 'string') fail(`${at}.thread`, 'expected a thread name');
    if (typeof st.step !== 'string') fail(`${at}.step`, 'expected a step name');
    if (!Number.isInteger(st.choice) || (st.choice as number) < 0) fail(`${at}.choice`, 'expected a non-negative integer');
    if (typeof st.from !== 'string') fail(`${at}.from`, 'expected a label');
    if (typeof st.to !== 'string') fail(`${at}.to`, 'expected a label');
    checkValuation(st.changes, `${at}.changes`);
    if (st.choiceName !== undefined && typeof st.choiceName !== 'string') fail(`${at}.choiceName`, 'expected a string');
    if (st.progress !== undefined && typeof st.progress !== 'boolean') fail(`${at}.progress`, 'expected a boolean');
    if (st.stateHash !== undefined && typeof st.stateHash !== 'string') fail(`${at}.stateHash`, 'expected a string');
    if (st.fails !== undefined && typeof st.fails !== 'string') fail(`${at}.fails`, 'expected an assertion name');
    if (st.fails === undefined && st.stateHash === undefined) fail(`${at}.stateHash`, 'missing');
    if (st.fails !== undefined && st.stateHash !== undefined) fail(`${at}.stateHash`, 'a failing step has no resulting state, so no state hash');
    if (st.fails !== undefined && i !== (t.steps as unknown[]).length - 1) fail(`${at}.fails`, 'only the last step can fail');
  });
  if (p.kind === 'livelock' && t.steps.length === 0) fail('$.steps', 'a livelock trace has at least one step: its cycle');
  if (t.cycleStart !== undefined) {
    if (!Number.isInteger(t.cycleStart) || (t.cycleStart as number) < 0 || (t.cycleStart as number) >= t.steps.length)
      fail('$.cycleStart', `expected an integer in 0..${t.steps.length - 1}`);
    if (p.kind !== 'livelock') fail('$.cycleStart', 'only a livelock trace has a cycle');
  } else if (p.kind === 'livelock') fail('$.cycleStart', 'a livelock trace needs cycleStart');
  if (p.kind === 'assertion' && (t.steps.length === 0 || (t.steps[t.steps.length - 1] as TraceStep).fails === undefined))
    fail('$.steps', 'an assertion trace ends with a failing step');
  return t as unknown as TraceFile;
}
