import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { main } from '../../src/cli/main.ts';
import { checkJsonResult } from './result-schema.ts';

export interface CliRun {
  code: number;
  out: string;
  err: string;
}

/**
 * The command line in this process: `main` with an io that captures stdout
 * and stderr, relative paths resolved against `cwd`. With `--json`, stdout
 * must be one result that validates against schemas/result.schema.json.
 */
export async function cli(args: readonly string[], cwd: string = process.cwd()): Promise<CliRun> {
  let out = '';
  let err = '';
  const code = await main(args, { cwd, out: (s) => void (out += s), err: (s) => void (err += s), errIsTTY: false });
  checkJsonResult(args, out);
  return { code, out, err };
}

/** `bin/mmcheck.js` as a child process (asynchronous, so that other tests run while it does), for what only a real process shows; `--json` results are validated as in `cli`. */
export function mmcheckProcess(args: readonly string[], cwd: string = process.cwd(), env: Readonly<Record<string, string>> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return signalledProcess(args, cwd, null, env);
}

/**
 * `bin/mmcheck.js` as `mmcheckProcess` runs it, sent `signal.send` once, as
 * soon as its stderr matches `signal.when` (a line the run prints where the
 * test wants it stopped: a progress line, or a model's own `console.error`
 * just before a step that never returns).
 */
export function signalledProcess(
  args: readonly string[],
  cwd: string,
  signal: { readonly send: NodeJS.Signals; readonly when: RegExp } | null,
  env: Readonly<Record<string, string>> = {},
): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((done, fail) => {
    // A scheduler's member index (the tests run in a Kubernetes Indexed Job or a Slurm array) is only what a test gives: --member I refuses another (MC442).
    const c = spawn(process.execPath, [resolve('bin/mmcheck.js'), ...args], { cwd, env: { ...process.env, NODE_OPTIONS: '', JOB_COMPLETION_INDEX: '', SLURM_ARRAY_TASK_ID: '', ...env } });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => void (out += d));
    c.stderr.on('data', (d: Buffer) => {
      err += d;
      if (signal && signal.when.test(err) && !c.killed) c.kill(signal.send);
    });
    c.on('error', fail);
    c.on('close', (code) => {
      try {
        checkJsonResult(args, out);
      } catch (e) {
        fail(e);
        return;
      }
      done({ code, out, err });
    });
  });
}

export interface Run {
  code: number | null;
  out: string;
  err: string;
}

/** Any command as a child process, with npm's update notice and the tests' NODE_OPTIONS left out of its environment. */
export function run(cmd: string, args: readonly string[], cwd: string, extraEnv: Readonly<Record<string, string>> = {}): Promise<Run> {
  return new Promise((done, fail) => {
    const env = { ...process.env, NODE_OPTIONS: '', npm_config_update_notifier: 'false', ...extraEnv };
    const c = spawn(cmd, args, { cwd, env });
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => void (out += d));
    c.stderr.on('data', (d: Buffer) => void (err += d));
    c.on('error', fail);
    c.on('close', (code) => done({ code, out, err }));
  });
}
