import { McError, q } from '../model/errors.ts';

/**
 * Command-line parsing: `mmcheck <command> [positional...] [--flag[=value]]...`.
 * Each command declares its flags; anything else is a usage error (exit 2).
 */
export interface FlagSpec {
  /** Takes a value. */
  value?: boolean;
  /** May be given several times (values collected). */
  repeat?: boolean;
  alias?: string;
}

export interface Parsed {
  positional: string[];
  flags: Map<string, string[]>;
}

export function parseArgs(argv: readonly string[], spec: Record<string, FlagSpec>, command: string): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string[]>();
  const alias = new Map<string, string>();
  for (const [k, s] of Object.entries(spec)) if (s.alias) alias.set(s.alias, k);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') {
      positional.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-') {
      positional.push(a);
      continue;
    }
    let name: string;
    let value: string | undefined;
    if (a.startsWith('--')) {
      const eq = a.indexOf('=');
      name = eq >= 0 ? a.slice(2, eq) : a.slice(2);
      value = eq >= 0 ? a.slice(eq + 1) : undefined;
    } else {
      const n = alias.get(a.slice(1));
      if (n === undefined) throw new McError('MC304', `mmcheck ${command}: unknown option ${q(a)}`);
      name = n;
    }
    const s = spec[name];
    if (!s) {
      const known = Object.keys(spec).map((k) => `--${k}`).join(', ');
      throw new McError('MC304', `mmcheck ${command}: unknown option ${q('--' + name)} (options: ${known})`);
    }
    if (s.value) {
      if (value === undefined) {
        value = argv[++i];
        if (value === undefined) throw new McError('MC305', `mmcheck ${command}: option --${name} needs a value`);
      }
    } else if (value !== undefined) throw new McError('MC305', `mmcheck ${command}: option --${name} takes no value`);
    const list = flags.get(name) ?? [];
    if (list.length > 0 && !s.repeat) throw new McError('MC306', `mmcheck ${command}: option --${name} given twice`);
    list.push(value ?? 'true');
    flags.set(name, list);
  }
  return { positional, flags };
}

export const flag = (p: Parsed, name: string): boolean => p.flags.has(name);
export const str = (p: Parsed, name: string): string | undefined => p.flags.get(name)?.[0];

/** A positive number with an optional k/M/G suffix (1e6, 2M, 500k). */
export function num(p: Parsed, name: string, opts: { integer?: boolean; min?: number } = {}): number | undefined {
  const s = str(p, name);
  if (s === undefined) return undefined;
  const m = /^(\d+(?:\.\d+)?(?:e\d+)?)([kKmMgG]?)$/.exec(s.replace(/_/g, ''));
  const mult = m ? ({ '': 1, k: 1e3, K: 1e3, m: 1e6, M: 1e6, g: 1e9, G: 1e9 } as Record<string, number>)[m[2]!]! : NaN;
  const v = m ? Number(m[1]) * mult : NaN;
  if (!Number.isFinite(v) || (opts.integer && !Number.isInteger(v)) || v < (opts.min ?? 0))
    throw new McError('MC307', `option --${name}: ${q(s)} is not a ${opts.integer ? 'whole ' : ''}number${opts.min !== undefined ? ` >= ${opts.min}` : ''}`);
  return v;
}

export function oneOfFlag<T extends string>(p: Parsed, name: string, values: readonly T[]): T | undefined {
  const s = str(p, name);
  if (s === undefined) return undefined;
  if (!(values as readonly string[]).includes(s)) throw new McError('MC308', `option --${name}: ${q(s)} is not one of ${values.join(', ')}`);
  return s as T;
}
