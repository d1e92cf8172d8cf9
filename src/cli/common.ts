import { paramsFrom } from '../model/define.ts';
import { q } from '../model/errors.ts';
import { renderText } from '../report/table.ts';
import { errorPathOf, type ErrorAt, type ErrorPath } from '../trace/error-path.ts';

/**
 * What every command shares: the io it writes through, exit codes, coded
 * error printing, `-p k=v` parsing, shell quoting and number formatting.
 * Commands receive an `Io` instead of touching `process`, so the whole
 * command line runs in-process (tests) exactly as it runs from bin/mmcheck.js.
 */
export interface Io {
  /** Directory that relative paths on the command line are relative to. */
  readonly cwd: string;
  out(s: string): void;
  err(s: string): void;
  /** stderr is a terminal: a live progress line is shown by default and redrawn in place. */
  readonly errIsTTY: boolean;
  /** The environment a batch scheduler passes a swarm member's index in (check --member-from-env); none when absent. */
  readonly env?: Readonly<Record<string, string | undefined>>;
}

export function processIo(): Io {
  return {
    cwd: process.cwd(),
    out: (s) => void process.stdout.write(s),
    err: (s) => void process.stderr.write(s),
    errIsTTY: process.stderr.isTTY === true,
    env: process.env,
  };
}

/**
 * 0 pass (or a trace that reproduces), 1 violation (or a trace that no longer
 * reproduces), 2 bad input, 3 incomplete (a limit, or a swarm that found
 * nothing), 70 internal error (a bug in mmcheck; EX_SOFTWARE of sysexits.h),
 * so that a crash is never read as "violation found".
 */
export const EXIT = { pass: 0, violation: 1, badInput: 2, incomplete: 3, internal: 70 } as const;

/** An `-o` of a report or rendering (show, test --reporter junit): `-` is stdout, as when -o is not given. */
export const toFile = (out: string | undefined): string | undefined => (out === '-' ? undefined : out);

/** Where internal errors are to be reported (the package names no tracker URL). */
export const REPORT_AT = "mmcheck's issue tracker, with the command line and the model";

/**
 * Recognised by shape, not `instanceof`: a model file may load its own copy
 * of the package, whose McError is another class with the same fields.
 */
export function isCodedError(e: unknown): e is { code: string; message: string } {
  return typeof e === 'object' && e !== null && typeof (e as { code?: unknown }).code === 'string' && /^MC\d{3}$/.test((e as { code: string }).code) && typeof (e as { message?: unknown }).message === 'string';
}

export function printError(io: Io, e: { code: string; message: string }): void {
  io.err(`mmcheck: error ${e.code}: ${e.message}\n`);
  const path = errorPathOf(e);
  if (path) io.err(`\n${errorPathText(path)}`);
}

/** What fails in the state a model error happened in: `step "enter" of cpu[1]`, `invariant "inv"`. */
const failingText = (at: ErrorAt): string => ('invariant' in at ? `invariant ${q(at.invariant)}` : `step ${q(at.step)}${at.choice ? ` (choice ${at.choice})` : ''} of ${at.thread}`);

/** How the state a model error happened in is reached (src/trace/error-path.ts): the steps as a counterexample's table, then what threw. */
export function errorPathText(path: ErrorPath): string {
  const k = path.trace.steps.length;
  const then = failingText(path.then);
  if (k === 0) return `in the initial state, ${then} fails so (the error above)\n`;
  const table = renderText(path.trace, { title: `how the state is reached: ${k} step${k === 1 ? '' : 's'}, the fewest (breadth-first: the first state in which a function of the model fails so)` });
  return `${table}\n\nin the state after step ${k}, ${then} fails so (the error above)\n`;
}

/** The same on one line, for a test case's report: `reached by cpu[0] acquire, cpu[1] acquire (2 steps); then step "set" of cpu[0] fails so`. */
export function errorPathLine(path: ErrorPath): string {
  const k = path.trace.steps.length;
  const then = failingText(path.then);
  const steps = path.trace.steps.map((s) => `${s.thread} ${s.step}${s.choice ? `(#${s.choice})` : ''}`);
  const shown = steps.length > 40 ? [...steps.slice(0, 20), `... ${k - 40} more ...`, ...steps.slice(-20)] : steps;
  return k === 0 ? `in the initial state ${then} fails so` : `reached by ${shown.join(', ')} (${k} step${k === 1 ? '' : 's'}, the fewest); then ${then} fails so`;
}

/** The JSON of a coded error: code and message, and the path to the state it happened in when there is one. */
export function errorJson(e: { code: string; message: string }): object {
  const path = errorPathOf(e);
  return { code: e.code, message: e.message, ...(path ? { path: { steps: path.trace.steps.map((s) => ({ thread: s.thread, step: s.step, choice: s.choice, changes: s.changes })), then: path.then } } : {}) };
}

/** The one-line report of an internal error; the stack follows only with --debug. */
export function internalErrorLine(e: unknown): string {
  const msg = typeof e === 'object' && e !== null && typeof (e as Error).message === 'string' ? (e as Error).message : String(e);
  return `mmcheck: internal error: ${msg.split('\n')[0]} — please report this at ${REPORT_AT} (run with --debug for the stack)`;
}

/** `-p k=v` values (src/model/define.ts: the search thread parses them too, before the command line loads a model file). */
export { paramsFrom };

/** One shell word, so that printed commands can be pasted back. */
export const shq = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** A path as one shell word: one that starts with '-' would be read as an option (`--model -m.ts` is MC305), so it is written from the current folder. */
export const shqPath = (path: string): string => shq(path.startsWith('-') ? `./${path}` : path);

/** 1,234,567 */
export const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** `3 walks`, `1 walk`. */
export const count = (x: number, noun: string): string => `${n(x)} ${noun}${x === 1 ? '' : 's'}`;
