import { parseArgs } from 'node:util';
import { McError, q } from '../model/errors.ts';
import type { Io } from './common.ts';

/**
 * How a command declares itself (flags, positionals, usage, example) and the
 * parsed arguments it runs on. Parsing is `node:util` parseArgs in strict
 * mode; its errors, and what it lets through (a flag given twice, a wrong
 * number of positionals, contradicting flags), become coded errors (exit 2).
 */
export interface FlagDecl {
  readonly type: 'boolean' | 'string';
  readonly short?: string;
  /** May be given several times; the values are collected. */
  readonly multiple?: boolean;
  /** Placeholder for the value in the help: N, FILE, bfs|dfs. */
  readonly value?: string;
  /** Used when the flag is absent, and shown in the help (Infinity as "none"). */
  readonly default?: string | number;
  readonly help: string;
}

export type Flags = Readonly<Record<string, FlagDecl>>;

export interface Command {
  readonly name: string;
  /** One line for the list of commands. */
  readonly summary: string;
  /** After `mmcheck `: `check <model> [options]`. */
  readonly usage: string;
  /** Names of the positional arguments, all required: `['model']`. */
  readonly positionals: readonly string[];
  /** Any number of positionals (the list above is then only their names, for the help). */
  readonly variadic?: boolean;
  /** What the positionals are, for the error when their number is wrong: "one model (name or file)". */
  readonly takes: string;
  readonly flags: Flags;
  /** Pairs of flags that contradict each other. */
  readonly conflicts?: readonly (readonly [string, string])[];
  /** Paragraphs printed after the flags. */
  readonly notes?: readonly string[];
  readonly example: string;
  run(args: Args, io: Io): number | Promise<number>;
}

/** Every command also takes -h/--help; the dispatcher answers it before parsing. */
export const HELP_FLAG: FlagDecl = { type: 'boolean', short: 'h', help: 'this help' };

export class Args {
  constructor(
    readonly command: Command,
    /** The arguments as given (for the `again:` line that repeats a run). */
    readonly argv: readonly string[],
    readonly positionals: readonly string[],
    private readonly values: Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>,
  ) {}

  /** Given on the command line (a default does not count). */
  given(name: string): boolean {
    this.decl(name);
    return this.values[name] !== undefined;
  }

  flag(name: string): boolean {
    return this.given(name);
  }

  /** The value given, else the declared default. */
  str(name: string): string | undefined {
    const d = this.decl(name);
    const v = this.values[name];
    if (typeof v === 'string') return v;
    return typeof d.default === 'string' ? d.default : undefined;
  }

  list(name: string): string[] {
    this.decl(name);
    const v = this.values[name];
    return Array.isArray(v) ? v.map(String) : [];
  }

  /** A non-negative number with an optional k/M/G suffix (1e6, 2M, 500k); the declared default when absent. */
  num(name: string, opts: { integer?: boolean; min?: number } = {}): number {
    const d = this.decl(name);
    const s = this.values[name];
    if (typeof s !== 'string') {
      if (typeof d.default === 'number') return d.default;
      throw new Error(`internal: option --${name} was not given and has no default`);
    }
    const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmMgG]?)$/.exec(s.replace(/_/g, ''));
    const mult = m ? ({ '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 } as Record<string, number>)[m[2]!]! : NaN;
    const v = m ? Number(m[1]) * mult : NaN;
    if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || v < (opts.min ?? 0))
      throw new McError('MC307', `option --${name}: ${q(s)} is not a ${opts.integer ? 'whole ' : ''}number${opts.min !== undefined ? ` >= ${opts.min}` : ''}`);
    return v;
  }

  oneOf<T extends string>(name: string, values: readonly T[]): T {
    const s = this.str(name);
    if (s === undefined) throw new Error(`internal: option --${name} was not given and has no default`);
    if (!(values as readonly string[]).includes(s)) throw new McError('MC308', `option --${name}: ${q(s)} is not one of ${values.join(', ')}`);
    return s as T;
  }

  private decl(name: string): FlagDecl {
    const d = this.command.flags[name];
    if (!d) throw new Error(`internal: mmcheck ${this.command.name} declares no option --${name}`);
    return d;
  }
}

/** `--param` or `-p, --param`, as the help names a flag. */
export const flagName = (name: string, d: FlagDecl): string => `${d.short ? `-${d.short}, ` : ''}--${name}`;

export function parseCommandArgs(cmd: Command, argv: readonly string[]): Args {
  const options: Record<string, { type: 'boolean' | 'string'; short?: string; multiple?: boolean }> = {};
  for (const [name, d] of Object.entries({ ...cmd.flags, help: HELP_FLAG }))
    options[name] = { type: d.type, ...(d.short ? { short: d.short } : {}), ...(d.multiple ? { multiple: true } : {}) };
  const parse = () => parseArgs({ args: [...argv], options, strict: true, allowPositionals: true, tokens: true });
  let parsed: ReturnType<typeof parse>;
  try {
    parsed = parse();
  } catch (e) {
    throw parseError(cmd, e);
  }
  // parseArgs keeps the last value of a flag given twice; a second value is more likely a mistake than an override.
  const seen = new Set<string>();
  for (const t of parsed.tokens) {
    // `-o=FILE` is `-o` with the value "=FILE" (a file named "=FILE"): the `=` form is the long option's.
    if (t.kind === 'option' && t.rawName.length === 2 && typeof t.value === 'string' && t.value.startsWith('=') && t.inlineValue)
      throw new McError('MC305', `mmcheck ${cmd.name}: option ${t.rawName} takes its value as the next argument (${t.rawName} ${t.value.slice(1) || 'VALUE'}), or write --${t.name}=${t.value.slice(1) || 'VALUE'}`);
    if (t.kind !== 'option' || options[t.name]!.multiple) continue;
    if (seen.has(t.name)) throw new McError('MC306', `mmcheck ${cmd.name}: option --${t.name} given twice`);
    seen.add(t.name);
  }
  const pos = parsed.positionals;
  if (!cmd.variadic && pos.length !== cmd.positionals.length)
    throw new McError(
      'MC309',
      `mmcheck ${cmd.name} takes ${cmd.takes}, got ${pos.length ? pos.map(q).join(' ') : 'none'}${pos.length > cmd.positionals.length && cmd.positionals.length ? ` (usage: mmcheck ${cmd.usage})` : ''}`,
    );
  for (const [a, b] of cmd.conflicts ?? [])
    if (parsed.values[a] !== undefined && parsed.values[b] !== undefined)
      throw new McError('MC331', `mmcheck ${cmd.name}: --${a} and --${b} contradict each other: give one of them`);
  return new Args(cmd, argv, pos, parsed.values);
}

/** parseArgs' errors as coded ones naming the command and the option. */
function parseError(cmd: Command, e: unknown): unknown {
  const code = (e as { code?: string }).code;
  const msg = (e as Error).message ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const opt = /Unknown option '([^']+)'/.exec(msg)?.[1] ?? msg;
    const known = Object.entries(cmd.flags).map(([k, d]) => `--${k}${d.short ? ` (-${d.short})` : ''}`).join(', ');
    return new McError('MC304', `mmcheck ${cmd.name}: unknown option ${q(opt)} (options: ${known})`);
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const opt = /Option '(?:-\w, )?(--[\w-]+)/.exec(msg)?.[1];
    if (opt && /argument missing/.test(msg)) return new McError('MC305', `mmcheck ${cmd.name}: option ${opt} needs a value`);
    if (opt && /does not take an argument/.test(msg)) return new McError('MC305', `mmcheck ${cmd.name}: option ${opt} takes no value`);
    if (opt && /ambiguous/.test(msg)) return new McError('MC305', `mmcheck ${cmd.name}: option ${opt} needs a value, and the next argument starts with "-" (write ${opt}=VALUE if that is the value)`);
    return new McError('MC305', `mmcheck ${cmd.name}: ${msg}`);
  }
  return e;
}
