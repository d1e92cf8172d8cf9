import { McError, q } from '../model/errors.ts';
import { VERSION } from '../model/version.ts';
import { parseCommandArgs, type Command } from './args.ts';
import { EXIT, isCodedError, printError, processIo, type Io } from './common.ts';
import { commands } from './commands/index.ts';
import { commandHelp, globalHelp } from './help.ts';

/**
 * The command line: `mmcheck <command> [arguments] [options]`, dispatched to
 * the command's module. Returns the exit code; coded errors are bad input
 * (exit 2), anything else is a bug and propagates.
 */
export async function main(argv: readonly string[], io: Io = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  try {
    switch (name) {
      case undefined:
        io.out(globalHelp(commands));
        return EXIT.badInput;
      case 'help':
      case '--help':
      case '-h':
        if (name === 'help' && rest.length > 1) throw new McError('MC309', `mmcheck help takes at most one command, got ${rest.map(q).join(' ')}`);
        io.out(rest[0] !== undefined && name === 'help' ? commandHelp(commandNamed(rest[0])) : globalHelp(commands));
        return EXIT.pass;
      case '--version':
        io.out(`mmcheck ${VERSION}\n`);
        return EXIT.pass;
    }
    const cmd = commandNamed(name);
    if (wantsHelp(rest)) {
      io.out(commandHelp(cmd));
      return EXIT.pass;
    }
    return await cmd.run(parseCommandArgs(cmd, rest), io);
  } catch (e) {
    if (isCodedError(e)) {
      printError(io, e);
      return EXIT.badInput;
    }
    throw e;
  }
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
