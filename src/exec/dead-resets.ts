import type { BuiltModel } from '../model/build.ts';
import { maskOf, type Layout } from '../layout/layout.ts';

/**
 * Dead-variable resets as the runtime applies them: when thread t arrives at
 * label l, every slot listed for (t, l) gets its initial code. Flattened
 * into typed arrays so the successor loop reads three numbers per reset:
 *
 *   key = tLabelBase[t] + l
 *   for k in [start[key], start[key + 1]):  w[off + word[k]] = (w[off + word[k]] & ~mask[k]) | bits[k]
 *
 * (`mask` is the slot's mask shifted into place, `bits` the initial code
 * shifted likewise.) Which locals are dead where is src/reduce/dead-vars.ts.
 */
export interface DeadResets {
  readonly tLabelBase: Int32Array;
  readonly start: Int32Array;
  readonly word: Int32Array;
  readonly mask: Int32Array;
  readonly bits: Int32Array;
}

/** Build the table from, per template, per label, the indices of the locals dead there. */
export function makeDeadResets(model: BuiltModel, layout: Layout, deadAt: readonly (readonly (readonly number[])[])[]): DeadResets {
  const T = model.threads.length;
  const tLabelBase = new Int32Array(T + 1);
  for (let t = 0; t < T; t++) tLabelBase[t + 1] = tLabelBase[t]! + model.threads[t]!.template.labels.length;
  const start = new Int32Array(tLabelBase[T]! + 1);
  const word: number[] = [];
  const mask: number[] = [];
  const bits: number[] = [];
  for (const th of model.threads) {
    const tpl = th.template;
    const tl = layout.templates[tpl.index]!;
    for (let l = 0; l < tpl.labels.length; l++) {
      start[tLabelBase[th.index]! + l] = word.length;
      for (const li of deadAt[tpl.index]![l]!) {
        const lv = tl.locals[li]!;
        const slot = lv.slots[th.replica]!;
        if (slot.width === 0) continue;
        const code = lv.elem.encode((tpl.locals[li]!.domain as { init: unknown }).init);
        const m = maskOf(slot.width);
        word.push(slot.word);
        mask.push((m << slot.shift) | 0);
        bits.push(((code & m) << slot.shift) | 0);
      }
    }
  }
  start[tLabelBase[T]!] = word.length;
  return { tLabelBase, start, word: Int32Array.from(word), mask: Int32Array.from(mask), bits: Int32Array.from(bits) };
}
