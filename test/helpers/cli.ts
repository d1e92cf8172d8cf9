import { main } from '../../src/cli/main.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** The command line in this process: `main` with an io that captures stdout and stderr, relative paths resolved against `cwd`. */
export async function cli(args: readonly string[], cwd: string = process.cwd()): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, { cwd, out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  return { code, out, err };
}
