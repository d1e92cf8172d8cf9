import { McError, q } from '../model/errors.ts';

/**
 * Which member of a swarm this process runs (`check --swarm N --member I`):
 * given on the command line, or taken from the index a batch scheduler gives
 * each task of an array job, so that one job definition serves every member:
 *
 * - `JOB_COMPLETION_INDEX`: Kubernetes Indexed Jobs (`completionMode:
 *   Indexed`), 0 .. completions-1;
 * - `SLURM_ARRAY_TASK_ID`: Slurm job arrays, numbered as `--array` says
 *   (`--array=0-7` gives 0..7; `--array=1-8` gives 1..8, which
 *   `--member-base 1` maps to members 0..7).
 */
export const MEMBER_ENV = ['JOB_COMPLETION_INDEX', 'SLURM_ARRAY_TASK_ID'] as const;

export interface MemberIndex {
  readonly index: number;
  /** Where it came from: `--member` or the variable's name. */
  readonly from: string;
}

/**
 * `given` is `--member`'s value (a number, `env`, or undefined), `fromEnv`
 * is `--member-from-env`, `base` is `--member-base` (only with the
 * environment). Errors name the option or variable and the value: MC370 a
 * bad --member, MC371 no scheduler variable set, MC372 a variable whose value
 * is not a member index, MC375 two variables that disagree, MC442 a --member I
 * that none of the variables set agrees with.
 */
export function memberIndex(given: string | undefined, fromEnv: boolean, base: number | undefined, workers: number, env: Readonly<Record<string, string | undefined>>): MemberIndex {
  const range = `0..${workers - 1} (--swarm ${workers})`;
  if (given !== undefined && given !== 'env') {
    if (base !== undefined) throw new McError('MC373', 'option --member-base applies to an index taken from the environment (--member-from-env or --member env), not to --member I');
    if (!/^\d+$/.test(given) || Number(given) >= workers) throw new McError('MC370', `option --member: ${q(given)} is not a member index in ${range}, or env`);
    refuseOtherIndex(Number(given), env);
    return { index: Number(given), from: '--member' };
  }
  if (given === undefined && !fromEnv) throw new Error('internal: memberIndex without --member or --member-from-env');
  const set = MEMBER_ENV.filter((v) => env[v] !== undefined && env[v] !== '');
  if (set.length === 0)
    throw new McError('MC371', `the member index was to come from the environment, but neither ${MEMBER_ENV.join(' (Kubernetes Indexed Job) nor ')} (Slurm job array) is set; give --member I to run member I`);
  if (set.length === 2 && env[set[0]!] !== env[set[1]!])
    throw new McError('MC375', `${set[0]}=${q(env[set[0]!])} and ${set[1]}=${q(env[set[1]!])} are both set and disagree on the member index; give --member I`);
  const name = set[0]!;
  const value = env[name]!;
  const b = base ?? 0;
  if (!/^\d+$/.test(value)) throw new McError('MC372', `environment variable ${name}=${q(value)} is not a member index (a whole number)`);
  const i = Number(value) - b;
  if (i < 0 || i >= workers) {
    const slurm = name === 'SLURM_ARRAY_TASK_ID' && base === undefined && i === workers ? ' (a Slurm array numbered from 1? give --member-base 1, or number it #SBATCH --array=0-' + (workers - 1) + ')' : '';
    throw new McError('MC372', `environment variable ${name}=${q(value)}${b ? ` minus --member-base ${b}` : ''} is not a member index in ${range}${slurm}`);
  }
  return { index: i, from: name };
}

/**
 * `--member I` where a scheduler gives each task its own index: a job
 * definition with a fixed `--member 3` makes every pod of a Kubernetes
 * Indexed Job (every task of a Slurm array) run member 3, and the swarm is
 * one member run N times. Refused (MC442) unless I is the index one of the
 * variables set gives (both set and disagreeing is MC375 with
 * `--member-from-env`, which `--member I` resolves by naming one of them).
 */
function refuseOtherIndex(index: number, env: Readonly<Record<string, string | undefined>>): void {
  const set = MEMBER_ENV.filter((v) => env[v] !== undefined && env[v] !== '');
  if (set.length === 0 || set.some((v) => /^\d+$/.test(env[v]!) && Number(env[v]) === index)) return;
  const named = set.map((v) => `${v}=${q(env[v])}`).join(' and ');
  // A Slurm index above I is perhaps an array numbered from their difference: --member-base says so.
  const slurm = set.length === 1 && set[0] === 'SLURM_ARRAY_TASK_ID' && /^\d+$/.test(env[set[0]]!) ? Number(env[set[0]]) - index : 0;
  const base = slurm > 0 ? ` --member-base ${slurm}` : '';
  throw new McError(
    'MC442',
    `option --member ${index} is not the index the scheduler gives this task (${named}): in a Kubernetes Indexed Job or a Slurm job array, every task started with --member ${index} would run member ${index}. ` +
      `Take the index from the scheduler with --member-from-env${base ? ` (with${base} if the array is numbered from ${slurm})` : ''}; to run member ${index} here all the same, unset ${set.join(' and ')} (env -u ${set.join(' -u ')} mmcheck ...)`,
  );
}
