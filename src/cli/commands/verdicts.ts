import { expectationsOf } from '../../model/define.ts';
import { expectationDiffs, expectationModel, expectationOptions, expectationText, resultText } from '../../run/expect.ts';
import { builtinModels } from '../../run/load.ts';
import { CaseRunner } from '../../run/case-runner.ts';
import { memoryCeiling } from '../../run/memory-ceiling.ts';
import { McError, q } from '../../model/errors.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, count, n, type Io } from '../common.ts';
import { jsonResult } from '../json-result.ts';
import { helperWarnings, workersCount } from './check.ts';

/** Every model's default-parameter expectations, checked; the main job (npm start). */
export const verdictsCommand: Command = {
  name: 'verdicts',
  summary: "check every model's expected verdicts and counts (npm start)",
  usage: 'verdicts [options]',
  positionals: [],
  takes: 'no arguments',
  flags: {
    all: { type: 'boolean', help: 'also the classic models and the expectations for non-default parameters' },
    model: { type: 'string', multiple: true, value: 'NAME', help: 'only this model (repeatable)' },
    workers: { type: 'string', value: 'N', help: "threads of each search, with the same counts and verdicts as one; the helpers start once a search has run 250 ms (default: the machine's CPUs)" },
    json: { type: 'boolean', help: 'one JSON object on stdout' },
  },
  example: 'mmcheck verdicts --model dining --all',
  run: runVerdicts,
};

/** Each search runs in a search thread (`CaseRunner`): SIGINT or SIGTERM stops the one under way and the table shows the rows so far, exit 3. */
async function runVerdicts(args: Args, io: Io): Promise<number> {
  const runner = new CaseRunner(memoryCeiling(Infinity));
  try {
    return await verdictsWith(runner, args, io);
  } finally {
    runner.close();
  }
}

async function verdictsWith(runner: CaseRunner, args: Args, io: Io): Promise<number> {
  const builtins = await builtinModels();
  const only = args.given('model') ? args.list('model') : undefined;
  const all = args.flag('all');
  const unknown = only?.filter((name) => !builtins.some((m) => m.name === name)) ?? [];
  if (unknown.length)
    throw new McError('MC138', `unknown model ${unknown.map(q).join(', ')} (models: ${builtins.map((x) => x.name).join(', ')}; mmcheck verdicts checks the built-in models)`);
  const models = builtins.filter((m) => (only ? only.includes(m.name) : all || m.def.category !== 'classic' || !builtins.some((x) => x.def.category === 'kernel')));
  const rows: { model: string; variant: string; expected: string; got: string; states: number; transitions: number; seconds: number; ok: boolean }[] = [];
  let total = 0;
  const workers = workersCount(args);
  const warnings: string[] = [];
  // Rows not as expected; the search a signal stopped is shown with what it reached, and is no mismatch.
  let bad = 0;
  for (const m of models) for (const v of m.variantNames.length ? m.variantNames : [null]) total += Math.max(1, expectationsOf(m, v).filter((e) => !e.params || all).length);
  models: for (const m of models) {
    const variants = m.variantNames.length ? m.variantNames : [null];
    for (const v of variants) {
      const exps = expectationsOf(m, v).filter((e) => !e.params || all);
      for (const e of exps.length ? exps : [undefined]) {
        if (runner.interruptedBy) break models;
        // A variant without an expectation is still searched, and reported as a mismatch.
        const built = expectationModel(m, v, e);
        const r = await runner.run(m.name, built, { ...expectationOptions(e), workers });
        const stopped = r.incomplete ? `incomplete (${r.incomplete.reason})` : null;
        const ok = e !== undefined && stopped === null && expectationDiffs(e, r).length === 0;
        if (!ok && r.incomplete?.reason !== 'interrupted') bad++;
        const ps = Object.entries(built.params).map(([k, x]) => `${k}=${x}`).join(' ');
        if (r.helperErrors) warnings.push(...helperWarnings(r.helperErrors, workers).map((w) => `${m.name}${e?.params ? ` (${ps})` : ''}/${v ?? '-'}: ${w}`));
        rows.push({ model: `${m.name}${e?.params ? ` (${ps})` : ''}`, variant: v ?? '-', expected: expectationText(e), got: stopped ?? resultText(r, e), states: r.stats.states, transitions: r.stats.transitions, seconds: r.stats.seconds, ok });
      }
    }
  }
  const interrupted = runner.interruptedBy;
  if (args.flag('json')) io.out(jsonResult('verdicts', { rows, mismatches: bad, ...(interrupted ? { interrupted, unchecked: total - rows.length } : {}), ...(warnings.length ? { warnings } : {}) }));
  else {
    const head = ['model', 'variant', 'expected', 'got', 'states', 'transitions', 'seconds', ''];
    const cells = rows.map((r) => [r.model, r.variant, r.expected, r.got, n(r.states), n(r.transitions), r.seconds.toFixed(2), r.ok ? 'ok' : 'MISMATCH']);
    const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const right = new Set([4, 5, 6]);
    const line = (c: string[]) => c.map((x, i) => (right.has(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ').trimEnd();
    io.out([line(head), w.map((x) => '-'.repeat(x)).join('  '), ...cells.map(line)].join('\n') + '\n' + warnings.map((x) => `warning: ${x}\n`).join(''));
    if (interrupted) io.out(`\ninterrupted by ${interrupted}: ${count(rows.length, 'verdict')} of ${n(total)} searched${bad ? `, ${bad} of them not as expected` : ''}\n`);
    else io.out(bad ? `\n${bad} of ${rows.length} verdicts differ from the expectations\n` : `\n${rows.length === 1 ? 'the 1 verdict' : `all ${rows.length} verdicts`} as expected\n`);
  }
  return interrupted ? EXIT.incomplete : bad ? EXIT.violation : EXIT.pass;
}
