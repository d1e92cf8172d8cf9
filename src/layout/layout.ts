import { ScalarDomain } from '../model/domains.ts';
import { McError, q } from '../model/errors.ts';
import type { BuiltModel, BuiltTemplate } from '../model/build.ts';

/**
 * Bit layout of a state.
 *
 * Every scalar element (a shared scalar, one element of a shared array, one
 * local of one replica, one replica's label) gets a slot of
 * width = ceil(log2(domain size)) bits inside one 32-bit word; slots never
 * straddle words, so an accessor is one load, one shift and one mask.
 * Slots are packed first-fit by decreasing width, which for the classic
 * models leaves no word that another slot could still use:
 *
 *   word 0:  31                                                 0
 *           [ unused | level[1] | level[0] | victim[5] | ... ]
 *   word 1:  ...
 *
 * Locals and labels of a replicated group are stored as arrays over the
 * replicas ("struct of arrays"), so one accessor class serves every replica
 * (the replica id indexes small per-slot tables) and symmetry reduction can
 * permute replicas by moving slot values.
 */
export interface Slot {
  readonly word: number;
  readonly shift: number;
  readonly width: number;
}

export interface VarLayout {
  readonly name: string;
  readonly elem: ScalarDomain;
  /** Array length, or 0 for a scalar. */
  readonly length: number;
  /** One slot for a scalar, `length` slots for an array or a per-replica variable. */
  readonly slots: readonly Slot[];
}

export interface TemplateLayout {
  readonly template: BuiltTemplate;
  /** Per local: slots indexed by replica. */
  readonly locals: readonly VarLayout[];
  /** Label slots indexed by replica. */
  readonly label: VarLayout;
}

export interface Layout {
  readonly words: number;
  /** Bits actually used by slots. */
  readonly bits: number;
  readonly shared: readonly VarLayout[];
  readonly templates: readonly TemplateLayout[];
  /** Per thread instance: label slot word, shift and mask. */
  readonly labW: Int32Array;
  readonly labS: Int32Array;
  readonly labM: Int32Array;
}

export const widthFor = (size: number): number => (size <= 1 ? 0 : 32 - Math.clz32(size - 1));

interface Request {
  width: number;
  order: number;
  put: (s: Slot) => void;
}

class LabelDomain extends ScalarDomain<string> {
  readonly kind = 'enum' as const;
  constructor(readonly names: readonly string[], readonly init: string) {
    super();
  }
  size() {
    return this.names.length;
  }
  encode(v: unknown) {
    return typeof v === 'string' ? this.names.indexOf(v) : -1;
  }
  decode(c: number) {
    return this.names[c]!;
  }
  describe() {
    return `label(${this.names.join('|')})`;
  }
  initially(v: string) {
    return new LabelDomain(this.names, v);
  }
}

export function computeLayout(b: BuiltModel): Layout {
  const requests: Request[] = [];
  const mk = (name: string, elem: ScalarDomain, length: number, n: number): VarLayout => {
    const slots: Slot[] = new Array(n);
    const width = widthFor(elem.size());
    for (let i = 0; i < n; i++) requests.push({ width, order: requests.length, put: (s) => (slots[i] = s) });
    return { name, elem, length, slots };
  };
  const shared = b.shared.map((v) =>
    v.domain.kind === 'array' ? mk(v.name, v.domain.elem, v.domain.length, v.domain.length) : mk(v.name, v.domain, 0, 1),
  );
  const templates = b.templates.map((t) => ({
    template: t,
    locals: t.locals.map((l) => mk(l.name, l.domain as ScalarDomain, t.count, t.count)),
    label: mk('@label', new LabelDomain(t.labels, t.labels[t.start]!), t.count, t.count),
  }));
  // First fit, decreasing width; ties keep declaration order so layouts are stable.
  requests.sort((a, c) => c.width - a.width || a.order - c.order);
  const free: number[] = [];
  let bits = 0;
  for (const r of requests) {
    bits += r.width;
    if (r.width === 0) {
      r.put({ word: 0, shift: 0, width: 0 });
      continue;
    }
    let w = free.findIndex((f) => f >= r.width);
    if (w < 0) {
      w = free.length;
      free.push(32);
    }
    r.put({ word: w, shift: 32 - free[w]!, width: r.width });
    free[w] -= r.width;
  }
  const words = Math.max(1, free.length);
  if (words > 4096) {
    // The variables that take the most room, to say what to shrink.
    const sizes = [
      ...shared.map((v) => ({ name: v.name, bits: v.slots.reduce((n, x) => n + x.width, 0) })),
      ...templates.flatMap((t) => t.locals.map((l) => ({ name: `${t.template.name}.${l.name}`, bits: l.slots.reduce((n, x) => n + x.width, 0) }))),
    ];
    const big = sizes.sort((a, c) => c.bits - a.bits).slice(0, 3).map((f) => `${f.name} (${f.bits} bits)`);
    throw new McError('MC211', `model ${q(b.name)}: the state needs ${words} words of 32 bits; at most 4096 are supported (the widest fields: ${big.join(', ')})`);
  }
  const T = b.threads.length;
  const labW = new Int32Array(T);
  const labS = new Int32Array(T);
  const labM = new Int32Array(T);
  for (const th of b.threads) {
    const s = templates[th.template.index]!.label.slots[th.replica]!;
    labW[th.index] = s.word;
    labS[th.index] = s.shift;
    labM[th.index] = s.width === 0 ? 0 : s.width === 32 ? -1 : (1 << s.width) - 1;
  }
  return { words, bits, shared, templates, labW, labS, labM };
}

export const maskOf = (width: number): number => (width === 0 ? 0 : width >= 32 ? -1 : (1 << width) - 1);

/** Read slot value (code) from a word buffer at a word offset. */
export function readSlot(buf: Uint32Array, off: number, s: Slot): number {
  return (buf[off + s.word]! >>> s.shift) & maskOf(s.width);
}

export function writeSlot(buf: Uint32Array, off: number, s: Slot, code: number): void {
  const m = maskOf(s.width);
  buf[off + s.word] = (buf[off + s.word]! & ~(m << s.shift)) | ((code & m) << s.shift);
}

/** A human-readable diagram of the layout, one line per word. */
export function layoutDiagram(l: Layout): string {
  const owners: string[][] = Array.from({ length: l.words }, () => []);
  const add = (name: string, s: Slot) => {
    if (s.width > 0) owners[s.word]!.push(`${name}:${s.shift}+${s.width}`);
  };
  for (const v of l.shared) v.slots.forEach((s, i) => add(v.length ? `${v.name}[${i}]` : v.name, s));
  for (const t of l.templates) {
    const nm = (r: number) => (t.template.replicated ? `${t.template.name}[${r}]` : t.template.name);
    t.label.slots.forEach((s, r) => add(`${nm(r)}@`, s));
    for (const v of t.locals) v.slots.forEach((s, r) => add(`${nm(r)}.${v.name}`, s));
  }
  return owners.map((o, w) => `word ${w}: ${o.join(' ')}`).join('\n');
}
