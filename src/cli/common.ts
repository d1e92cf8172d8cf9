import { paramsFrom } from '../model/define.ts';

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

/** 1,234,567 */
export const n = (x: number): string => Math.round(x).toLocaleString('en-US');

/** `3 walks`, `1 walk`. */
export const count = (x: number, noun: string): string => `${n(x)} ${noun}${x === 1 ? '' : 's'}`;
