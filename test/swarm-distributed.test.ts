import test from 'ava';
import fc from 'fast-check';
import { copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { buildModel } from '../src/index.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { loadModel } from '../src/run/load.ts';
import { SwarmControl, memberOptions, planWorkers, searchMember, swarmInline, swarmResult } from '../src/search/swarm.ts';
import { swarmOptions } from '../src/run/swarm-pool.ts';
import { mergeMembers } from '../src/run/swarm-merge.ts';
import { buildTrace } from '../src/trace/build.ts';
import { modelHash } from '../src/trace/decode.ts';
import { memberResult, parseMemberResult, type SwarmRun } from '../src/trace/member-result.ts';
import { memberIndex } from '../src/cli/member-index.ts';
import { cli, mmcheckProcess } from './helpers/cli.ts';
import { referenceExplore, referenceFairCycle } from './helpers/reference.ts';
import { genModel, toModel } from './helpers/random-models.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * Swarm members run apart (`check --swarm N --member I`) and merged
 * (`swarm-merge`) against the in-process swarm (`check --swarm N`): the same
 * verdict, winner, trace and coverage; and the merge's refusals.
 */

const RUNS = Number(process.env.MMCHECK_FC_RUNS ?? 40);
const tmp = () => tempDir('mmcheck-members-');

/** The --json result without what differs between processes run apart and threads in one (timings, jobs, the merge's member lists). */
const comparable = (o: Record<string, unknown>) => {
  const { stats, members: _m, workers, ...rest } = o as { stats: Record<string, unknown>; members?: unknown; workers: Record<string, unknown>[] };
  return { ...rest, stats: { ...stats, seconds: 0, jobs: 0 }, workers: workers.map((w) => ({ ...w, seconds: 0 })) };
};

/**
 * Member i of `argv`'s swarm as a child process of bin/mmcheck.js: members
 * 0 and 1 by --member, 2 from JOB_COMPLETION_INDEX, 3 from a Slurm array
 * numbered from 1 (--member-base 1), the others by --member.
 */
function runMember(argv: readonly string[], i: number, dir: string) {
  const out = ['-o', `m${i}.json`, '--no-progress'];
  if (i === 2) return mmcheckProcess([...argv, '--member-from-env', ...out], dir, { JOB_COMPLETION_INDEX: String(i) });
  if (i === 3) return mmcheckProcess([...argv, '--member', 'env', '--member-base', '1', ...out], dir, { SLURM_ARRAY_TASK_ID: String(i + 1) });
  return mmcheckProcess([...argv, '--member', String(i), ...out], dir);
}

async function membersAndSwarm(t: import('ava').ExecutionContext, argv: readonly string[], n: number) {
  const dir = tmp();
  const runs = await Promise.all(Array.from({ length: n }, (_, i) => runMember(argv, i, dir)));
  runs.forEach((r, i) => {
    t.is(r.code, 0, `member ${i}: ${r.err}`);
    t.regex(r.out, new RegExp(`swarm member ${i} of ${n} `));
  });
  t.regex(runs[2]!.out, /index from JOB_COMPLETION_INDEX/);
  if (n > 3) t.regex(runs[3]!.out, /index from SLURM_ARRAY_TASK_ID/);
  const files = Array.from({ length: n }, (_, i) => `m${i}.json`);
  const merged = await cli(['swarm-merge', ...files, '--json', '--trace-out', 't.json'], dir);
  const inDir = tmp();
  const inProcess = await cli([...argv, '--json', '--trace-out', 't.json'], inDir);
  return { dir, inDir, files, merged, inProcess };
}

test('members run as processes (--member, JOB_COMPLETION_INDEX, SLURM_ARRAY_TASK_ID) merge to the in-process swarm: a deadlock', async (t) => {
  const argv = ['check', 'dining', '-p', 'n=5', '--swarm', '4', '--seed', '9'];
  const { dir, inDir, files, merged, inProcess } = await membersAndSwarm(t, argv, 4);
  t.is(merged.code, 1, merged.err);
  t.is(inProcess.code, 1, inProcess.err);
  const a = JSON.parse(merged.out);
  const b = JSON.parse(inProcess.out);
  // No member is cancelled in-process here (each finds its deadlock before its first look at the bound), so every number is comparable.
  t.false(b.workers.some((w: { status: string }) => w.status === 'cancelled'));
  t.deepEqual(comparable(a), comparable(b));
  t.deepEqual(a.members, { merged: [0, 1, 2, 3], missing: [] });
  t.is(a.violation.worker, 3);
  t.is(readFileSync(join(dir, 't.json'), 'utf8'), readFileSync(join(inDir, 't.json'), 'utf8'));
  const rp = await cli(['replay', 't.json'], dir);
  t.is(rp.code, 0, rp.out + rp.err);
  // The text summary: the same table, coverage and violation as check --swarm, and the command that runs the swarm in one process.
  const text = await cli(['swarm-merge', ...files, '-o', 'u.json'], dir);
  t.is(text.code, 1, text.err);
  t.regex(text.out, /^swarm-merging dining \(n=5\) \[4 member results of 4, seed 9/);
  t.regex(text.out, /violation found by worker 3 after 9 expanded states/);
  t.regex(text.out, /trace saved: u\.json/);
  t.regex(text.out, /again: +mmcheck check dining -p n=5 --swarm 4 --seed 9\n/);
});

test('members run as processes merge to the in-process swarm: a livelock (lasso trace, fairness)', async (t) => {
  const argv = ['check', 'migration-entry-wait', '--variant', 'put-and-wait', '--swarm', '3', '--seed', 's'];
  const { dir, inDir, merged, inProcess } = await membersAndSwarm(t, argv, 3);
  t.is(merged.code, 1, merged.err);
  t.is(inProcess.code, 1, inProcess.err);
  const a = JSON.parse(merged.out);
  const b = JSON.parse(inProcess.out);
  t.false(b.workers.some((w: { status: string }) => w.status === 'cancelled'));
  t.deepEqual(comparable(a), comparable(b));
  t.is(a.violation.kind, 'livelock');
  t.is(readFileSync(join(dir, 't.json'), 'utf8'), readFileSync(join(inDir, 't.json'), 'utf8'));
});

test('members run as processes merge to the in-process swarm: no violation, capture-recapture coverage, every number equal', async (t) => {
  const argv = ['check', 'interval-notifier', '--variant', 'correct', '-p', 'invalidators=2', '-p', 'notifiers=2', '--swarm', '4', '--seed', 's', '--depth', '10'];
  const { merged, inProcess } = await membersAndSwarm(t, argv, 4);
  t.is(merged.code, 3, merged.err);
  t.is(inProcess.code, 3, inProcess.err);
  const a = JSON.parse(merged.out);
  const b = JSON.parse(inProcess.out);
  t.deepEqual(comparable(a), comparable(b));
  t.like(a, { verdict: 'no-violation', violation: null, settled: true, coverage: { method: 'capture-recapture' } });
  t.is(a.stats.jobs, null);
});

// ---- the law: isolated members merged = the in-process swarm -------------------------

test('random models: members searched alone, written, read and merged give the in-process swarm\'s winner and violation (and, without one, every number)', (t) => {
  fc.assert(
    fc.property(genModel(), fc.boolean(), fc.constantFrom('none', 'weak', 'strong' as const), fc.string({ minLength: 1, maxLength: 4 }), fc.integer({ min: 1, max: 4 }), fc.constantFrom(5, 20, 100), (g, deadlock, fairness, seed, workers, depth) => {
      const m = toModel(g);
      const b = buildModel(m, null);
      const rt = new Runtime(b);
      const o = swarmOptions({ workers, seed, depth, maxBitstateLog2: 20, deadlock, fairness, coverageCap: 1 << 12, mode: 'inline' });
      const plans = planWorkers(o.seed, o.workers, o.depth, o.maxBitstateLog2);
      const wopts = memberOptions(o, Date.now());
      const sc = new SwarmControl();
      const whole = swarmResult(o, plans, swarmInline(rt, plans, wopts, sc, null), sc, 0);
      const run: SwarmRun = {
        model: b.name, variant: b.variant, params: {}, modelHash: modelHash(rt), workers, seed, depth, bitstate: 20,
        maxStates: null, deadlock, liveness: true, fairness, timeLimit: null, coverageCap: 1 << 12,
      };
      const files = plans.map((p) => {
        const r = searchMember(rt, p, wopts, null);
        const trace = r.violation ? buildTrace(rt, r.violation, { fairness: r.violation.kind === 'livelock' ? fairness : undefined }) : null;
        return parseMemberResult(JSON.stringify(memberResult(run, p, r, null, trace)), `m${p.index}.json`);
      });
      const merged = mergeMembers(files.reverse(), m, rt, false).result;
      if (merged.winner !== whole.winner) return false;
      if (JSON.stringify(merged.violation) !== JSON.stringify(whole.violation)) return false;
      // What the winner reports is real: the naive reference checker agrees.
      const v = merged.violation;
      if (v) {
        const ref = referenceExplore(b, { deadlock });
        if (v.kind === 'livelock') {
          if (!referenceFairCycle(b, ref, fairness, v.starving ? b.threads.findIndex((x) => x.name === v.starving) : -1)) return false;
        } else if (!ref.violations.has(`${v.kind}:${v.property}`)) return false;
        // Members run alone are never cancelled: they see at least what they see in-process.
        return merged.coverage.distinct >= whole.coverage.distinct;
      }
      const strip = (r: typeof whole) => ({ ...r, seconds: 0, workers: r.workers.map((w) => ({ ...w, seconds: 0 })) });
      return JSON.stringify(strip(merged)) === JSON.stringify(strip(whole));
    }),
    { numRuns: RUNS },
  );
  t.pass();
});

// ---- the member index ---------------------------------------------------------------------

test('the member index: --member, the schedulers\' variables, a base for Slurm arrays from 1; bad or missing indices are coded errors naming the variable and value', (t) => {
  t.deepEqual(memberIndex('2', false, undefined, 4, {}), { index: 2, from: '--member' });
  t.deepEqual(memberIndex('env', false, undefined, 4, { JOB_COMPLETION_INDEX: '3' }), { index: 3, from: 'JOB_COMPLETION_INDEX' });
  t.deepEqual(memberIndex(undefined, true, undefined, 4, { SLURM_ARRAY_TASK_ID: '0' }), { index: 0, from: 'SLURM_ARRAY_TASK_ID' });
  t.deepEqual(memberIndex(undefined, true, 1, 4, { SLURM_ARRAY_TASK_ID: '4' }), { index: 3, from: 'SLURM_ARRAY_TASK_ID' });
  t.deepEqual(memberIndex(undefined, true, undefined, 4, { SLURM_ARRAY_TASK_ID: '1', JOB_COMPLETION_INDEX: '1' }), { index: 1, from: 'JOB_COMPLETION_INDEX' });
  t.throws(() => memberIndex('4', false, undefined, 4, {}), { code: 'MC370', message: /--member: "4" is not a member index in 0\.\.3/ });
  t.throws(() => memberIndex('-1', false, undefined, 4, {}), { code: 'MC370' });
  t.throws(() => memberIndex('1', false, 1, 4, {}), { code: 'MC373', message: /--member-base/ });
  t.throws(() => memberIndex('env', false, undefined, 4, { JOB_COMPLETION_INDEX: '' }), { code: 'MC371', message: /JOB_COMPLETION_INDEX.*SLURM_ARRAY_TASK_ID/ });
  t.throws(() => memberIndex(undefined, true, undefined, 4, { JOB_COMPLETION_INDEX: 'two' }), { code: 'MC372', message: /JOB_COMPLETION_INDEX="two"/ });
  t.throws(() => memberIndex(undefined, true, undefined, 4, { SLURM_ARRAY_TASK_ID: '4' }), { code: 'MC372', message: /SLURM_ARRAY_TASK_ID="4".*--member-base 1/ });
  t.throws(() => memberIndex(undefined, true, 1, 4, { SLURM_ARRAY_TASK_ID: '0' }), { code: 'MC372', message: /SLURM_ARRAY_TASK_ID="0" minus --member-base 1/ });
  t.throws(() => memberIndex(undefined, true, undefined, 4, { SLURM_ARRAY_TASK_ID: '1', JOB_COMPLETION_INDEX: '2' }), { code: 'MC375', message: /disagree/ });
});

test('--member I where a scheduler gives the task another index is refused (MC442), naming both: every task of the job would run member I', async (t) => {
  t.throws(() => memberIndex('3', false, undefined, 4, { JOB_COMPLETION_INDEX: '0' }), {
    code: 'MC442',
    message: /^option --member 3 is not the index the scheduler gives this task \(JOB_COMPLETION_INDEX="0"\): .*every task started with --member 3 would run member 3\. Take the index from the scheduler with --member-from-env; to run member 3 here all the same, unset JOB_COMPLETION_INDEX \(env -u JOB_COMPLETION_INDEX mmcheck \.\.\.\)$/,
  });
  // A Slurm array numbered from 1 gives member 3 the index 4: --member-base says so.
  t.throws(() => memberIndex('3', false, undefined, 4, { SLURM_ARRAY_TASK_ID: '4' }), { code: 'MC442', message: /SLURM_ARRAY_TASK_ID="4".*--member-from-env \(with --member-base 1 if the array is numbered from 1\)/ });
  t.throws(() => memberIndex('1', false, undefined, 4, { SLURM_ARRAY_TASK_ID: 'x', JOB_COMPLETION_INDEX: '2' }), { code: 'MC442', message: /JOB_COMPLETION_INDEX="2" and SLURM_ARRAY_TASK_ID="x".*env -u JOB_COMPLETION_INDEX -u SLURM_ARRAY_TASK_ID/ });
  // The index the scheduler gives, or one of two that disagree (what MC375 asks for), is taken; so is any index where none is set.
  t.deepEqual(memberIndex('3', false, undefined, 4, { JOB_COMPLETION_INDEX: '3', SLURM_ARRAY_TASK_ID: '' }), { index: 3, from: '--member' });
  t.deepEqual(memberIndex('1', false, undefined, 4, { SLURM_ARRAY_TASK_ID: '1', JOB_COMPLETION_INDEX: '2' }), { index: 1, from: '--member' });
  t.deepEqual(memberIndex('2', false, undefined, 4, {}), { index: 2, from: '--member' });
  // As a process in an Indexed Job's pod: exit 2 (a Job's podFailurePolicy fails the Job at once), the error on stderr and, with --json, on stdout; no result written.
  const dir = tmp();
  const r = await mmcheckProcess(['check', 'dining', '--swarm', '4', '--seed', '1', '--member', '3', '-o', 'm.json', '--json'], dir, { JOB_COMPLETION_INDEX: '0' });
  t.is(r.code, 2, r.err);
  t.regex(r.err, /^mmcheck: error MC442: option --member 3 is not the index the scheduler gives this task \(JOB_COMPLETION_INDEX="0"\)/m);
  t.is(JSON.parse(r.out).error.code, 'MC442');
  t.false(existsSync(join(dir, 'm.json')));
});

test('check --member: the options it needs and refuses', async (t) => {
  const dir = tmp();
  const cases: [string[], RegExp][] = [
    [['--swarm', '4', '--member', '1', '-o', 'x.json'], /MC374: option --member needs --seed/],
    [['--swarm', '4', '--seed', '1', '--member', '1'], /MC373: a swarm member writes its result to -o FILE/],
    [['--swarm', '4', '--seed', '1', '--member', '1', '--json', '--swarm-jobs', '2'], /MC373: option --swarm-jobs is not used with --member/],
    [['--swarm', '4', '--seed', '1', '--member', '1', '--json', '--trace-out', 'a.json'], /MC373: option --trace-out is not used with --member/],
    [['--swarm', '4', '--seed', '1', '-o', 'x.json'], /MC373: option -o\/--out is used only with --member/],
    [['--swarm', '4', '--seed', '1', '--member-base', '1'], /MC373: option --member-base is used only with --member env/],
    [['--member', '1', '--json'], /MC332: mmcheck check: option --member is used only with --swarm/],
    [['--swarm', '4', '--seed', '1', '--member', '1', '--member-from-env', '--json'], /MC331/],
    [['--swarm', '4', '--seed', '1', '--member', 'x', '--json'], /MC370: option --member: "x"/],
    [['--swarm', '4', '--seed', '1', '--member', 'env', '--json'], /MC371/],
  ];
  for (const [extra, re] of cases) {
    const r = await cli(['check', 'dining', ...extra], dir);
    t.is(r.code, 2, extra.join(' '));
    t.regex(r.err, re, extra.join(' '));
  }
  // --json: the result on stdout, the same one -o writes.
  const j = await cli(['check', 'dining', '--swarm', '2', '--seed', '1', '--member', '1', '--json', '-o', 'r.json'], dir);
  t.is(j.code, 0, j.err);
  t.is(j.out, readFileSync(join(dir, 'r.json'), 'utf8'));
  t.like(JSON.parse(j.out), { format: 'mmcheck-swarm-member/1', member: 1, run: { model: 'dining', workers: 2, seed: '1' } });
});

test('check --member: each option a member refuses says why for that option (MC373)', async (t) => {
  const dir = tmp();
  const member = ['check', 'dining', '--swarm', '4', '--seed', '1', '--member', '1', '--json'];
  const jobs = await cli([...member, '--swarm-jobs', '2'], dir);
  t.is(jobs.code, 2);
  t.regex(jobs.err, /^mmcheck: error MC373: option --swarm-jobs is not used with --member: a member runs its one search alone \(--swarm-jobs is how many members check --swarm N runs at once in one process; /m);
  // What --swarm-jobs is has nothing to do with traces.
  t.notRegex(jobs.err, /trace/);
  const out = await cli([...member, '--trace-out', 'a.json'], dir);
  t.regex(out.err, /^mmcheck: error MC373: option --trace-out is not used with --member: a member writes no trace file: its violation's trace goes into its result file, and mmcheck swarm-merge --trace-out writes the swarm's$/m);
  const none = await cli([...member, '--no-trace'], dir);
  t.regex(none.err, /^mmcheck: error MC373: option --no-trace is not used with --member: the member's result must hold its violation's trace, which mmcheck swarm-merge replays and saves \(give swarm-merge --no-trace instead\)$/m);
  for (const r of [out, none]) t.is(r.code, 2);
});

// ---- what the merge refuses ------------------------------------------------------------

/** Member results of small dining swarms, written in-process: `dir/<name>i.json`. */
async function members(dir: string, name: string, extra: string[], n: number, only?: number[], param = 'n=3') {
  for (const i of only ?? Array.from({ length: n }, (_, k) => k)) {
    const r = await cli(['check', 'dining', '-p', param, '--swarm', String(n), '--member', String(i), '-o', `${name}${i}.json`, ...extra], dir);
    if (r.code !== 0) throw new Error(r.err);
  }
}

test('swarm-merge refuses results of different runs, a member twice, missing members (unless --allow-missing)', async (t) => {
  const dir = tmp();
  await members(dir, 'a', ['--seed', '5'], 3);
  await members(dir, 'b', ['--seed', '6'], 3, [2]);
  await members(dir, 'c', ['--seed', '5'], 2, [1]);
  await members(dir, 'd', ['--seed', '5', '--depth', '50'], 3, [2]);
  await members(dir, 'e', ['--seed', '5', '--no-deadlock'], 3, [2]);
  await members(dir, 'f', ['--seed', '5'], 3, [2], 'n=4');
  const refused: [string[], RegExp][] = [
    [['a0.json', 'a1.json', 'b2.json'], /MC434: "b2\.json" and "a0\.json" are members of different swarm runs: run\.seed is "6" in one and "5"/],
    [['a0.json', 'c1.json'], /MC434: .*run\.workers is 2 in one and 3/],
    [['a0.json', 'a1.json', 'd2.json'], /MC434: .*run\.depth is 50 in one and 1000/],
    [['a0.json', 'a1.json', 'e2.json'], /MC434: .*run\.deadlock is false in one and null/],
    [['a0.json', 'a1.json', 'f2.json'], /MC434: .*run\.params/],
    [['a0.json', 'a1.json', 'a1.json'], /MC435: member 1 of the swarm is given twice: "a1\.json" and "a1\.json"/],
    [['a0.json', 'a2.json'], /MC436: 1 of the swarm's 3 members is missing: 1 \(seed "5"\); .*--allow-missing/],
  ];
  for (const [files, re] of refused) {
    const r = await cli(['swarm-merge', ...files], dir);
    t.is(r.code, 2, files.join(' '));
    t.regex(r.err, re, files.join(' '));
  }
  const partial = await cli(['swarm-merge', 'a0.json', 'a2.json', '--allow-missing', '--json', '--no-trace'], dir);
  t.is(partial.code, 1, partial.err);
  t.regex(partial.err, /warning: 1 member of 3 missing \(1\)/);
  t.deepEqual(JSON.parse(partial.out).members, { merged: [0, 2], missing: [1] });
  // The trace may not overwrite an input.
  const over = await cli(['swarm-merge', 'a0.json', 'a1.json', 'a2.json', '--trace-out', 'a1.json'], dir);
  t.is(over.code, 2);
  t.regex(over.err, /a1\.json/);
  // A model other than the one the members ran.
  const other = await cli(['swarm-merge', 'a0.json', 'a1.json', 'a2.json', '--model', resolve('models/peterson.ts')], dir);
  t.is(other.code, 2);
  t.regex(other.err, /MC439: the members ran model "dining", not model "peterson" \(--model .*peterson\.ts\)/);
  // One that lacks the members' variant is named so too (regression: MC303, "model "dining" has no variants").
  const p = await cli(['check', 'peterson', '--variant', 'victim-first', '-p', 'n=2', '--swarm', '1', '--seed', '5', '--member', '0', '-o', 'p0.json'], dir);
  t.is(p.code, 0, p.err);
  const lacks = await cli(['swarm-merge', 'p0.json', '--model', 'dining'], dir);
  t.is(lacks.code, 2);
  t.regex(lacks.err, /MC439: the members ran model "peterson", not model "dining" \(--model dining\)/);
  // The same model file edited after the members ran: its hash differs.
  const edited = join(dir, 'dining-edited.ts');
  writeFileSync(edited, readFileSync(resolve('models/dining.ts'), 'utf8').replace(/'\.\.\/src\/([^']+)'/g, (_, f: string) => JSON.stringify(resolve('src', f))) + '\n// edited\n');
  const changed = await cli(['swarm-merge', 'a0.json', 'a1.json', 'a2.json', '--model', edited], dir);
  t.is(changed.code, 2);
  t.regex(changed.err, /MC439: the members ran a different model "dining" than the one given \(model hash \w+ in the results, \w+ here\)/);
  // Files of different runs are told before the model is built for the first file's variant.
  const mixed = await cli(['swarm-merge', 'p0.json', 'a0.json', '--model', 'dining'], dir);
  t.is(mixed.code, 2);
  t.regex(mixed.err, /MC434: .*run\.model is "dining" in one and "peterson"/);
});

test('a member stopped before its search stored a state (--time-limit 0) writes a result that merges as the in-process swarm reports it, and a rerun replaces it', async (t) => {
  const dir = tmp();
  await members(dir, 'z', ['--seed', '5', '--time-limit', '0'], 2);
  const member = JSON.parse(readFileSync(join(dir, 'z0.json'), 'utf8'));
  t.like(member.outcome, { status: 'time-limit', states: 0, expanded: 0 });
  const merged = await cli(['swarm-merge', 'z0.json', 'z1.json', '--json'], dir);
  t.is(merged.code, 3, merged.err);
  const inProcess = await cli(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '5', '--time-limit', '0', '--json', '--no-trace'], dir);
  t.is(inProcess.code, 3, inProcess.err);
  t.deepEqual(comparable(JSON.parse(merged.out)), comparable(JSON.parse(inProcess.out)));
  // The scheduler runs the member again over its own result (which it replaces only when that validates as one: MC346 otherwise).
  const rerun = await cli(['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '5', '--time-limit', '0', '--member', '0', '-o', 'z0.json'], dir);
  t.is(rerun.code, 0, rerun.err);
});

test('swarm-merge validates every field of a result: corrupt, edited or foreign files are coded errors naming the file and the JSON path', async (t) => {
  const dir = tmp();
  await members(dir, 'a', ['--seed', '5'], 2);
  const good = JSON.parse(readFileSync(join(dir, 'a0.json'), 'utf8'));
  t.truthy(good.violation, 'member 0 finds the deadlock');
  const edit = (name: string, f: (o: any) => void) => {
    const o = structuredClone(good);
    f(o);
    writeFileSync(join(dir, name), JSON.stringify(o));
  };
  writeFileSync(join(dir, 'cut.json'), readFileSync(join(dir, 'a0.json'), 'utf8').slice(0, 200));
  copyFileSync(resolve('traces', 'coherent-longterm-pin.fast-path-pins-coherent.nG1-nS1-evictAttempts0-ignoreWhichall-omitInvariantno-longterm-pin-on-coherent.livelock-strong-fairness.json'), join(dir, 'trace.json'));
  edit('states.json', (o) => (o.outcome.states = 'many'));
  edit('extra.json', (o) => (o.outcome.note = 1));
  edit('seed.json', (o) => (o.run.seed = '6'));
  edit('plan.json', (o) => (o.plan.hashSeeds = [1, 2]));
  edit('fps.json', (o) => (o.coverage.fingerprints = o.coverage.fingerprints.slice(4)));
  edit('b64.json', (o) => (o.coverage.fingerprints = '!!!!'));
  edit('status.json', (o) => (o.outcome.status = 'done'));
  edit('kind.json', (o) => (o.violation.kind = 'invariant'));
  edit('steps.json', (o) => (o.violation.trace.steps[0].choice = 7));
  edit('trace.json2', (o) => (o.violation.trace.steps = 'none'));
  edit('cost.json', (o) => (o.violation.cost = o.outcome.expanded + 1));
  // A lower cost would make this member the winner of a merge (regression: accepted anywhere in 0..expanded).
  edit('cheap.json', (o) => (o.violation.cost = 1));
  edit('modelfile.json', (o) => (o.violation.trace.modelFile = '/tmp/evil.ts'));
  const cases: [string, RegExp][] = [
    ['nothing.json', /MC430: cannot read swarm member result "nothing\.json": ENOENT/],
    ['cut.json', /MC431: swarm member result "cut\.json" is not valid JSON/],
    ['trace.json', /MC433: "trace\.json" is not a swarm member result: format "mmcheck-trace\/1"/],
    ['states.json', /MC432: malformed swarm member result "states\.json" at \$\.outcome\.states: expected an integer/],
    ['extra.json', /MC432: .* at \$\.outcome\.note: unknown field/],
    ['seed.json', /MC432: .* at \$\.fingerprint: .*changed after it was written/],
    ['plan.json', /MC438: "plan\.json": plan\.hashSeeds of member 0 is \[1,2\], but seed "5" gives it/],
    ['fps.json', /MC432: .* at \$\.coverage\.fingerprints: \d+ bytes, expected 8 per fingerprint/],
    ['b64.json', /MC432: .* at \$\.coverage\.fingerprints: expected base64/],
    ['status.json', /MC432: .* at \$\.violation: present, but the status is "done"/],
    ['kind.json', /MC432: .* at \$\.violation\.kind: "invariant", but the trace's property is a deadlock/],
    ['steps.json', /MC437: "steps\.json": member 0's counterexample does not replay on model "dining"/],
    ['trace.json2', /MC402: swarm member result "trace\.json2", at \$\.violation\.trace: malformed trace at \$\.steps/],
    ['cost.json', /MC432: .* at \$\.violation\.cost: expected an integer in 0\.\.\d+/],
    ['cheap.json', /MC432: .* at \$\.violation\.cost: 1, but the member stopped at its violation after \d+ expanded states \(the cost is that count\)/],
    ['modelfile.json', /MC432: .* at \$\.violation\.trace\.modelFile: a member result names no model file/],
  ];
  for (const [file, re] of cases) {
    const r = await cli(['swarm-merge', file, 'a1.json', '--json'], dir);
    t.is(r.code, 2, file);
    t.regex(r.err, re, file);
  }
});

test('a model file\'s hash covers its text and its relative imports: members that ran before a constant or a helper module changed are refused, and a trace notes the change', async (t) => {
  const dir = tmp();
  mkdirSync(join(dir, 'lib'));
  const entry = JSON.stringify(resolve('src/index.ts'));
  // A counter bounded by a constant of the model file, stepped by a helper module's function.
  writeFileSync(join(dir, 'lib', 'step.ts'), 'export const STEP = 1;\n');
  const model = (cap: number) => `import { defineModel, int, thread } from ${entry};
import { STEP } from './lib/step.js';
const CAP = ${cap};
export default defineModel({
  name: 'capped',
  shared: { n: int(0, 7) },
  threads: [thread('t', { start: 'go', end: ['go'], steps: { go: { when: (s) => s.n + STEP <= 7, then: (s) => { s.n = s.n + STEP; }, next: 'go' } } })],
  invariants: { under: (s) => s.n < CAP },
});
`;
  writeFileSync(join(dir, 'm.ts'), model(3));
  for (const i of [0, 1]) t.is((await cli(['check', 'm.ts', '--swarm', '2', '--member', String(i), '--seed', '5', '-o', `m${i}.json`], dir)).code, 0);
  t.is((await cli(['check', 'm.ts', '--trace-out', 't.json'], dir)).code, 1);
  t.is((await cli(['swarm-merge', 'm0.json', 'm1.json', '--model', 'm.ts', '--no-trace'], dir)).code, 1);
  // The constant changed: the functions' source is the same, the behaviour is not (new processes: this one keeps the module it imported).
  writeFileSync(join(dir, 'm.ts'), model(9));
  const merged = await mmcheckProcess(['swarm-merge', 'm0.json', 'm1.json', '--model', 'm.ts', '--no-trace'], dir);
  t.is(merged.code, 2, merged.out);
  t.regex(merged.err, /MC439: the members ran a different model "capped" than the one given/);
  const replayed = await mmcheckProcess(['replay', 't.json', '--model', 'm.ts'], dir);
  t.regex(replayed.out, /^note: the model has changed since the trace was made/m);
  t.regex(replayed.out, /replays, but the property now holds/);
  // The model file as it was, and the helper module changed.
  writeFileSync(join(dir, 'm.ts'), model(3));
  t.is((await mmcheckProcess(['swarm-merge', 'm0.json', 'm1.json', '--model', 'm.ts', '--no-trace'], dir)).code, 1);
  writeFileSync(join(dir, 'lib', 'step.ts'), 'export const STEP = 2;\n');
  t.regex((await mmcheckProcess(['swarm-merge', 'm0.json', 'm1.json', '--model', 'm.ts', '--no-trace'], dir)).err, /MC439/);
  // A built-in model given by its path keeps the hash it has by name.
  const hash = async (ref: string) => modelHash(new Runtime(buildModel(await loadModel(ref), null, { n: 3 })));
  t.is(await hash(resolve('models/dining.ts')), await hash('dining'));
});

test('check --member -o - prints the result on stdout, as --json does, and writes no file named "-"', async (t) => {
  const dir = tmp();
  const args = ['check', 'peterson', '-p', 'n=3', '--swarm', '2', '--seed', '1', '--member', '0'];
  const dash = await cli([...args, '-o', '-'], dir);
  t.is(dash.code, 0, dash.err);
  const json = await cli([...args, '--json'], dir);
  const strip = (o: string) => ({ ...JSON.parse(o), outcome: { ...JSON.parse(o).outcome, seconds: 0 } });
  t.deepEqual(strip(dash.out), strip(json.out));
  t.false(existsSync(join(dir, '-')));
});
