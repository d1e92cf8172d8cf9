import { buildModel } from '../../model/build.ts';
import { expectationsOf, type Model } from '../../model/define.ts';
import { search } from '../../search/check.ts';
import { checkExpectation, expectationOptions, expectationText, resultText } from '../../run/expect.ts';
import { builtinModels } from '../../run/load.ts';
import { McError, q } from '../../model/errors.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, n, type Io } from '../common.ts';
import { jsonResult } from '../json-result.ts';

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
    json: { type: 'boolean', help: 'one JSON object on stdout' },
  },
  example: 'mmcheck verdicts --model dining --all',
  run: runVerdicts,
};

function searchUnexpected(m: Model, v: string | null) {
  const built = buildModel(m, v, {});
  return { built, result: search(built, expectationOptions(undefined)), diffs: ['no expectation'] };
}

async function runVerdicts(args: Args, io: Io): Promise<number> {
  const builtins = await builtinModels();
  const only = args.given('model') ? args.list('model') : undefined;
  const all = args.flag('all');
  const unknown = only?.filter((name) => !builtins.some((m) => m.name === name)) ?? [];
  if (unknown.length)
    throw new McError('MC138', `unknown model ${unknown.map(q).join(', ')} (models: ${builtins.map((x) => x.name).join(', ')}; mmcheck verdicts checks the built-in models)`);
  const models = builtins.filter((m) => (only ? only.includes(m.name) : all || m.def.category !== 'classic' || !builtins.some((x) => x.def.category === 'kernel')));
  const rows: { model: string; variant: string; expected: string; got: string; states: number; transitions: number; seconds: number; ok: boolean }[] = [];
  for (const m of models) {
    const variants = m.variantNames.length ? m.variantNames : [null];
    for (const v of variants) {
      const exps = expectationsOf(m, v).filter((e) => !e.params || all);
      for (const e of exps.length ? exps : [undefined]) {
        // A variant without an expectation is still searched, and reported as a mismatch.
        const { built, result: r, diffs } = e ? checkExpectation(m, v, e) : searchUnexpected(m, v);
        const ok = e !== undefined && diffs.length === 0;
        const ps = Object.entries(built.params).map(([k, x]) => `${k}=${x}`).join(' ');
        rows.push({ model: `${m.name}${e?.params ? ` (${ps})` : ''}`, variant: v ?? '-', expected: expectationText(e), got: resultText(r, e), states: r.stats.states, transitions: r.stats.transitions, seconds: r.stats.seconds, ok });
      }
    }
  }
  const bad = rows.filter((r) => !r.ok).length;
  if (args.flag('json')) io.out(jsonResult('verdicts', { rows, mismatches: bad }));
  else {
    const head = ['model', 'variant', 'expected', 'got', 'states', 'transitions', 'seconds', ''];
    const cells = rows.map((r) => [r.model, r.variant, r.expected, r.got, n(r.states), n(r.transitions), r.seconds.toFixed(2), r.ok ? 'ok' : 'MISMATCH']);
    const w = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i]!.length)));
    const right = new Set([4, 5, 6]);
    const line = (c: string[]) => c.map((x, i) => (right.has(i) ? x.padStart(w[i]!) : x.padEnd(w[i]!))).join('  ').trimEnd();
    io.out([line(head), w.map((x) => '-'.repeat(x)).join('  '), ...cells.map(line)].join('\n') + '\n');
    io.out(bad ? `\n${bad} of ${rows.length} verdicts differ from the expectations\n` : `\nall ${rows.length} verdicts as expected\n`);
  }
  return bad ? EXIT.violation : EXIT.pass;
}
