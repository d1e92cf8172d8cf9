import { McError, isIncompleteError, q } from '../model/errors.ts';
import { VERSION } from '../model/version.ts';
import { parseCommandArgs, type Command } from './args.ts';
import { EXIT, errorJson, internalErrorLine, isCodedError, printError, processIo, type Io } from './common.ts';
import { commands } from './commands/index.ts';
import { commandHelp, globalHelp } from './help.ts';
import { jsonResult } from './json-result.ts';
import { InterruptedBeforeSearch } from '../run/signals.ts';

/**
 * The command line: `mmcheck <command> [arguments] [options]`, dispatched to
 * the command's module. Returns the exit code: coded errors are bad input
 * (exit 2, the error on stderr); anything else is a bug in mmcheck (exit 70,
 * one line asking for a report; the stack only with the global `--debug`).
 * With `--json` every error is also one JSON object on stdout, so that a
 * caller parsing stdout always gets an object.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const { args, debug, json } = globalFlags(argv);
  try {
    return await dispatch(args, io);
  } catch (e) {
    // A signal while a thread loaded the model file, before any search: the line bin/mmcheck.js prints for a signal during start-up.
    if (e instanceof InterruptedBeforeSearch) {
      io.err(`mmcheck: error MC376: ${e.message}\n`);
      if (json) io.out(jsonResult('error', { error: { code: 'MC376', message: e.message } }));
      return EXIT.incomplete;
    }
    if (isCodedError(e)) {
      printError(io, e);
      if (json) io.out(jsonResult('error', { error: errorJson(e) }));
      // A limit reached before the search (a model file that does not finish loading within --time-limit) is incomplete, not bad input.
      return isIncompleteError(e) ? EXIT.incomplete : EXIT.badInput;
    }
    io.err(internalErrorLine(e) + '\n');
    if (debug) io.err(`${(e as Error)?.stack ?? String(e)}\n`);
    if (json) io.out(jsonResult('error', { error: { code: 'internal', message: (e as Error)?.message ?? String(e) } }));
    return EXIT.internal;
  }
}

/** `--debug` is global (anywhere before `--`) and taken out; `--json` is noted so that errors can be printed as JSON too. */
function globalFlags(argv: readonly string[]): { args: string[]; debug: boolean; json: boolean } {
  const end = argv.indexOf('--');
  const head = end < 0 ? argv : argv.slice(0, end);
  const tail = end < 0 ? [] : argv.slice(end);
  return { args: [...head.filter((a) => a !== '--debug'), ...tail], debug: head.includes('--debug'), json: head.includes('--json') };
}

async function dispatch(argv: readonly string[], io: Io): Promise<number> {
  const [name, ...rest] = argv;
  switch (name) {
    case undefined:
      io.out(globalHelp(commands));
      return EXIT.badInput;
    case 'help':
    case '--help':
    case '-h':
      if (name === 'help' && rest.length > 1) throw new McError('MC309', `mmcheck help takes at most one command, got ${rest.map(q).join(' ')}`);
      // `help` is a command of the list, and the list is its help: `mmcheck help help` (or `help --help`) prints it.
      io.out(rest[0] !== undefined && name === 'help' && !['help', '--help', '-h'].includes(rest[0]) ? commandHelp(commandNamed(rest[0])) : globalHelp(commands));
      return EXIT.pass;
    case '--version':
      if (rest.length) throw new McError('MC309', `mmcheck --version takes no arguments, got ${rest.map(q).join(' ')}`);
      io.out(`mmcheck ${VERSION}\n`);
      return EXIT.pass;
  }
  const cmd = commandNamed(name);
  if (wantsHelp(rest)) {
    io.out(commandHelp(cmd));
    return EXIT.pass;
  }
  // A stop signal ends the run with a line (bin/mmcheck.js) until a part of the command takes the signals (`onStopSignals`): a command that takes none (list) ends so throughout.
  return await cmd.run(parseCommandArgs(cmd, rest), io);
}

function commandNamed(name: string): Command {
  const c = commands.find((x) => x.name === name);
  if (!c) throw new McError('MC300', `unknown command ${q(name)} (commands: ${commands.map((x) => x.name).join(', ')}; see mmcheck help)`);
  return c;
}

/** `-h`/`--help` anywhere before `--` asks for the command's help, whatever else is on the line. */
function wantsHelp(argv: readonly string[]): boolean {
  const end = argv.indexOf('--');
  return (end < 0 ? argv : argv.slice(0, end)).some((a) => a === '--help' || a === '-h');
}
