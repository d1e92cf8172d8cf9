import test from 'ava';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTrace, type TraceFile } from '../src/trace/format.ts';
import { toItf } from '../src/report/itf.ts';
import { cli } from './helpers/cli.ts';

/** ITF export of every saved counterexample: one value per variable, the step in #meta, a lasso's loop index closing the cycle. */
const traces = readdirSync('traces').filter((f) => f.endsWith('.json')).sort();

/** The state after the whole trace, as ITF values (applied independently of toItf). */
function finalState(t: TraceFile) {
  const cur: Record<string, unknown> = { ...t.initial };
  for (const s of t.steps) {
    if (s.fails !== undefined) break;
    Object.assign(cur, s.changes);
    cur[`${s.thread}.at`] = s.to;
  }
  return cur;
}

const itfValue = (x: unknown) => (typeof x === 'number' ? { '#bigint': String(x) } : x);

test('every saved trace exports to ITF: vars cover the state, each state holds exactly the vars, steps in #meta', (t) => {
  t.true(traces.length > 10);
  for (const f of traces) {
    const tr = parseTrace(readFileSync(join('traces', f), 'utf8'), f);
    const itf = toItf(tr);
    t.is(itf['#meta'].format, 'ITF', f);
    const failing = tr.steps.at(-1)?.fails !== undefined ? 1 : 0;
    const lasso = tr.property.kind === 'livelock' ? 1 : 0;
    t.is(itf.states.length, tr.steps.length + 1 - failing - lasso, f);
    for (const [i, st] of itf.states.entries()) {
      t.deepEqual(Object.keys(st).filter((k) => k !== '#meta').sort(), [...itf.vars].sort(), f);
      const meta = st['#meta'] as unknown as Record<string, unknown>;
      t.is(meta.index, i, f);
      if (i > 0) t.is(meta.step, tr.steps[i - 1]!.step, f);
    }
    // Every flat key of the last state is found in the ITF structure with its value.
    const last = finalState(tr);
    const at = lasso ? itf.states[itf.loop!]! : itf.states.at(-1)!;
    for (const [k, x] of Object.entries(last)) {
      const m = /^(.*)\[(\d+)\]$/.exec(k);
      const dot = k.lastIndexOf('.');
      const got = dot > 0 && tr.threads.includes(k.slice(0, dot))
        ? (at[itf.vars.includes(k.slice(0, dot)) ? k.slice(0, dot) : `thread:${k.slice(0, dot)}`] as Record<string, unknown>)[k.slice(dot + 1)]
        : m && !(k in at) ? (at[m[1]!] as unknown[])[Number(m[2])] : at[k];
      t.deepEqual(got, itfValue(x), `${f}: ${k}`);
    }
    if (lasso) t.is(itf.loop, tr.cycleStart, f);
    else t.is(itf.loop, undefined, f);
  }
});

test('mmcheck show --format itf prints the ITF JSON', async (t) => {
  const f = traces.find((x) => x.includes('livelock'))!;
  const r = await cli(['show', join('traces', f), '--format', 'itf']);
  t.is(r.code, 0, r.err);
  const o = JSON.parse(r.out);
  t.true(Array.isArray(o.vars) && Array.isArray(o.states));
  t.is(typeof o.loop, 'number');
});
