import type { Scalar } from '../model/domains.ts';
import type { Runtime } from '../exec/runtime.ts';
import { digest } from '../layout/hash.ts';
import { readSlot } from '../layout/layout.ts';
import { partsOf } from '../model/blocks/compose.ts';

/**
 * Packed state → flat valuation, for people and for trace files. Keys:
 * `x` (shared scalar), `a[2]` (shared array element), `fault[0].ok`
 * (thread local), `fault[0].at` (thread label). Never used in the hot path.
 */
export type Valuation = Record<string, Scalar>;

export function decodeState(rt: Runtime, buf: Uint32Array, off = 0): Valuation {
  const out: Valuation = {};
  for (const v of rt.layout.shared) {
    if (v.length) v.slots.forEach((s, i) => (out[`${v.name}[${i}]`] = v.elem.decode(readSlot(buf, off, s))));
    else out[v.name] = v.elem.decode(readSlot(buf, off, v.slots[0]!));
  }
  for (const th of rt.model.threads) {
    const tl = rt.layout.templates[th.template.index]!;
    out[`${th.name}.at`] = th.template.labels[readSlot(buf, off, tl.label.slots[th.replica]!)]!;
    for (const l of tl.locals) out[`${th.name}.${l.name}`] = l.elem.decode(readSlot(buf, off, l.slots[th.replica]!));
  }
  return out;
}

/** Variables whose value differs, with their new values (label keys excluded unless asked). */
export function diff(a: Valuation, b: Valuation, withLabels = false): Valuation {
  const out: Valuation = {};
  for (const k of Object.keys(b)) {
    if (!withLabels && k.endsWith('.at')) continue;
    if (a[k] !== b[k]) out[k] = b[k]!;
  }
  return out;
}

/** Stable hash of a valuation: independent of the bit layout, so it survives layout changes. */
export function valuationHash(v: Valuation): string {
  const keys = Object.keys(v).sort();
  return digest(keys.map((k) => `${k}=${JSON.stringify(v[k])}`).join(';'));
}

export function stateHash(rt: Runtime, buf: Uint32Array, off = 0): string {
  return valuationHash(decodeState(rt, buf, off));
}

/**
 * A function's text in the model hash of a built-in model: a function the
 * building blocks generated from their own text (`new Function`) is the
 * same in every tree and counts as such; one its model file defines is the
 * compiler's printing of it (tsx's in a checkout, tsc's in the package),
 * and counts through the file's source digest instead (`builtinDigest`).
 * A composed function is its parts'.
 */
function builtinFunctionText(f: unknown): string {
  if (typeof f !== 'function') return String(f);
  const parts = partsOf(f);
  if (parts !== null) return parts.map(builtinFunctionText).join('\n/* and */\n');
  const text = Function.prototype.toString.call(f);
  return text.startsWith('function anonymous(') ? text : 'source';
}

/** A hash of the model instance's structure and code, to tell when a trace was made on a different model. */
export function modelHash(rt: Runtime): string {
  const b = rt.model;
  const builtin = b.model.builtinDigest;
  const code = builtin === undefined ? (f: unknown) => String(f) : builtinFunctionText;
  const parts: string[] = [b.name, b.variant ?? '', JSON.stringify(b.params)];
  // Semantics only: annotations for the reductions (an array's `.indexedBy`, declared footprints) leave the hash alone.
  for (const v of b.shared) parts.push(`${v.name}:${v.domain.kind === 'array' ? `array(${v.domain.length}, ${v.domain.elem.describe()})` : v.domain.describe()}`);
  for (const t of b.templates) {
    parts.push(`thread ${t.name}x${t.count} labels ${t.labels.join(',')} end ${[...t.isEnd].join('')}`);
    for (const l of t.locals) parts.push(`local ${l.name}:${l.domain.describe()}`);
    for (const s of t.steps)
      parts.push(`step ${s.name}@${s.at} ${code(s.guard)} ${code(s.effect)} ${s.next} ${code(s.nextFn)} ${s.choices} ${code(s.chooseFn)} ${s.progress}`);
  }
  for (const i of b.invariants) parts.push(`inv ${i.name} ${code(i.fn)}`);
  // A model file's text and its relative imports: what the functions read from their module (constants, helpers), which their source does not show.
  if (b.model.sourceDigest !== undefined) parts.push(`files ${b.model.sourceDigest}`);
  // A built-in model's source file, whose functions' compiled text is left out above.
  if (builtin !== undefined) parts.push(`builtin ${builtin}`);
  return digest(parts.join('\n'));
}
