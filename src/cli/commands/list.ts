import { expectationsOf, variantDescription, type Model } from '../../model/define.ts';
import { expectationText } from '../../run/expect.ts';
import { builtinModels } from '../../run/load.ts';
import type { Args, Command } from '../args.ts';
import { EXIT, type Io } from '../common.ts';
import { jsonResult } from '../json-result.ts';

export const listCommand: Command = {
  name: 'list',
  summary: 'models, parameters, variants, expectations',
  usage: 'list [--json]',
  positionals: [],
  takes: 'no arguments',
  flags: {
    json: { type: 'boolean', help: 'one JSON object on stdout (the models under `models`)' },
  },
  example: 'mmcheck list',
  run: runList,
};

async function runList(args: Args, io: Io): Promise<number> {
  const builtins = await builtinModels();
  if (args.flag('json')) {
    io.out(jsonResult('list', { models: builtins.map(listEntry) }, 2));
    return EXIT.pass;
  }
  const lines: string[] = [];
  for (const m of builtins) {
    const e = listEntry(m);
    lines.push(`${m.name}${m.def.category ? `  [${m.def.category}]` : ''}${m.def.title ? ` — ${m.def.title}` : ''}`);
    if (e.params.length) lines.push(`  params: ${e.params.map((x) => `${x.name} (${x.domain}, default ${x.default})`).join('; ')}`);
    if (e.variants.length) {
      lines.push('  variants:');
      for (const v of e.variants) {
        const d = Object.entries(v.defaults).map(([k, x]) => `${k}=${x}`).join(' ');
        lines.push(`    ${v.name.padEnd(34)} expect ${v.expect.padEnd(40)} ${v.description}${d ? ` (defaults: ${d})` : ''}`);
      }
    } else if (e.expect) lines.push(`  expect: ${e.expect}`);
    lines.push('');
  }
  io.out(lines.join('\n'));
  return EXIT.pass;
}

function listEntry(m: Model) {
  const params = Object.entries(m.def.params ?? {}).map(([name, d]) => ({ name, domain: d.describe(), default: d.init }));
  const variants = m.variantNames.map((v) => ({
    name: v,
    description: variantDescription(m, v),
    expect: expectationText(expectationsOf(m, v).find((e) => !e.params)),
    defaults: (() => {
      const vd = m.def.variants?.[v];
      return vd && typeof vd !== 'string' ? vd.defaults ?? {} : {};
    })(),
  }));
  return { name: m.name, title: m.def.title ?? '', category: m.def.category ?? null, params, variants, expect: m.variantNames.length ? null : expectationText(expectationsOf(m, null).find((e) => !e.params)) };
}
