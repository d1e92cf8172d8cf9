import { HELP_FLAG, flagName, type Command, type FlagDecl } from './args.ts';

/** The help texts, built from the commands' own declarations so that they cannot drift from what is parsed. */

const TITLE = 'mmcheck — explicit-state model checker for kernel memory-management protocols';
const EXIT_LINE = 'exit codes: 0 pass, 1 violation, 2 bad input, 3 incomplete, 70 internal error (please report it)';

/** `mmcheck --help`: the commands, one line each. */
export function globalHelp(commands: readonly Command[]): string {
  const w = Math.max(...commands.map((c) => c.name.length));
  return [
    TITLE,
    '',
    'usage: mmcheck <command> [arguments] [options]',
    '',
    'commands:',
    ...commands.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    `  ${'help'.padEnd(w)}  this list, or a command's options (mmcheck help <command>)`,
    '',
    'mmcheck <command> --help describes a command, its options and their defaults.',
    '<model> is a built-in model name (see mmcheck list) or a path to a model file.',
    'mmcheck --version prints the version; --debug (any command) prints the stack of an internal error.',
    'With --json, an error is also printed on stdout as {"error": {"code": "MC...", "message": "..."}} (code "internal" for a bug).',
    EXIT_LINE,
    '',
  ].join('\n');
}

// A help text that says its default itself ("default: 80% of the machine's memory") is not followed by the engine's value.
const defaultText = (d: FlagDecl): string =>
  d.default === undefined || /\bdefault:/.test(d.help) ? '' : ` (default ${typeof d.default === 'number' && !Number.isFinite(d.default) ? 'none' : d.default})`;

/** `mmcheck <command> --help`: its usage, its flags with defaults, notes and an example. */
export function commandHelp(c: Command): string {
  const rows = Object.entries({ ...c.flags, help: HELP_FLAG }).map(([name, d]) => {
    const label = `${flagName(name, d)}${d.value ? ` ${d.value}` : ''}`;
    return [d.short ? label : `    ${label}`, d.help + defaultText(d)] as const;
  });
  const w = Math.max(...rows.map(([l]) => l.length));
  return [
    `mmcheck ${c.name} — ${c.summary}`,
    '',
    `usage: mmcheck ${c.usage}`,
    '',
    'options:',
    ...rows.map(([l, h]) => `  ${l.padEnd(w)}  ${h}`),
    ...(c.notes?.length ? ['', ...c.notes] : []),
    '',
    'example:',
    `  ${c.example}`,
    '',
    EXIT_LINE,
    '',
  ].join('\n');
}
