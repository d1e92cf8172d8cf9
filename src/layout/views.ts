import { McError, q } from '../model/errors.ts';
import type { ScalarDomain } from '../model/domains.ts';
import type { BuiltModel } from '../model/build.ts';
import type { LocalView, StateView } from '../model/define.ts';
import { maskOf, type Layout, type VarLayout } from './layout.ts';

/**
 * Generated accessors. For each layout we generate (once per run, with
 * `new Function`) a state-view class whose getters and setters read and write
 * the packed bits of a Uint32Array directly, with word index, shift and mask
 * inlined as constants: `s.pte` compiles to one load, shift and mask and a
 * constant-table lookup. There is no decode-to-object / encode step per
 * transition. A second flavour records which variables are read and written
 * (for replay diagnostics and footprints); it is never used in the hot loop.
 */

/** Thrown by a setter when a value is outside the variable's domain. */
export class DomainWriteError extends Error {
  constructor(readonly variable: string, readonly value: unknown, readonly domain: string) {
    super(`${variable} := ${q(value)} is outside its domain ${domain}`);
  }
}
export class ReadOnlyWriteError extends Error {
  constructor(readonly variable: string) {
    super(`${variable} was written where the state is read-only (a guard, an invariant or another thread's locals)`);
  }
}
export class IndexError extends Error {
  constructor(readonly variable: string, readonly index: unknown, readonly length: number) {
    super(`${variable}[${q(index)}] is out of bounds (length ${length})`);
  }
}
/** Thrown by `s.assert(false, name)`. */
export class AssertionFailure extends Error {
  constructor(readonly property: string) {
    super(`assertion ${q(property)} failed`);
  }
}

export interface Recorder {
  r(name: string): void;
  w(name: string): void;
  /** Called when the code asserts. */
  a?(): void;
}

export interface ViewSet {
  readonly state: StateView;
  /** Local views, by thread instance index. */
  readonly locals: readonly LocalView[];
}

export type ViewFactory = (buf: Uint32Array, readOnly: boolean, rec?: Recorder) => ViewSet;

interface Meta {
  groups: Map<string, number[]>;
  model: string;
}

class ViewBase {
  declare $m: Meta;
  declare $locals: LocalView[];
  private $thread(group: string, index: number | undefined): number {
    const g = this.$m.groups.get(group);
    if (g === undefined) throw new McError('MC132', `model ${q(this.$m.model)}: no thread group ${q(group)} (groups: ${[...this.$m.groups.keys()].join(', ')})`);
    const i = index ?? 0;
    if (!(Number.isInteger(i) && i >= 0 && i < g.length)) throw new McError('MC132', `model ${q(this.$m.model)}: thread group ${q(group)} has no instance ${q(index)}`);
    return g[i]!;
  }
  at(group: string, index?: number): string {
    return this.$locals[this.$thread(group, index)]!.at;
  }
  local(group: string, index?: number): LocalView {
    return this.$locals[this.$thread(group, index)]!;
  }
  count(group: string, label: string): number {
    const g = this.$m.groups.get(group);
    if (g === undefined) this.$thread(group, 0);
    let n = 0;
    for (const t of g!) if (this.$locals[t]!.at === label) n++;
    return n;
  }
  assert(cond: boolean, name: string): void {
    const rec = (this as unknown as { $rec: Recorder | null }).$rec;
    if (rec !== null && rec.a) rec.a();
    if (!cond) throw new AssertionFailure(name);
  }
}

export function makeViewFactory(b: BuiltModel, layout: Layout, record = false): ViewFactory {
  const consts: unknown[] = [];
  const constNames: string[] = [];
  const K = (v: unknown): string => {
    constNames.push(`$k${consts.length}`);
    consts.push(v);
    return constNames[constNames.length - 1]!;
  };
  const bad = K((name: string, v: unknown, d: string) => {
    throw new DomainWriteError(name, v, d);
  });
  const ro = K((name: string) => {
    throw new ReadOnlyWriteError(name);
  });
  const idx = K((name: string, i: unknown, n: number) => {
    throw new IndexError(name, i, n);
  });
  const js = JSON.stringify;

  /** Decoding expression for a code. */
  const dec = (code: string, d: ScalarDomain): string => {
    switch (d.kind) {
      case 'bool':
        return `(${code} === 1)`;
      case 'enum':
        return `${K(Object.freeze([...(d as unknown as { names: string[] }).names]))}[${code}]`;
      default: {
        const min = (d as unknown as { min: number }).min;
        return min === 0 ? code : `(${code} + ${min})`;
      }
    }
  };
  /** Encoding statement: sets `c` to the code of `v`, or -1. */
  const enc = (d: ScalarDomain): string => {
    switch (d.kind) {
      case 'bool':
        return `const c = v === true ? 1 : v === false ? 0 : -1;`;
      case 'enum': {
        const names = (d as unknown as { names: string[] }).names;
        return `let c = -1; switch (v) { ${names.map((n, i) => `case ${js(n)}: c = ${i}; break;`).join(' ')} }`;
      }
      default: {
        const { min, max } = d as unknown as { min: number; max: number };
        return `const c = (typeof v === 'number' && v >= ${min} && v <= ${max} && Math.floor(v) === v) ? v - ${min} : -1;`;
      }
    }
  };

  const src: string[] = [];
  // Shared arrays.
  layout.shared.forEach((v, i) => {
    if (!v.length) return;
    const m = maskOf(v.slots[0]!.width);
    const WO = K(Int32Array.from(v.slots, (s) => s.word));
    const SH = K(Int32Array.from(v.slots, (s) => s.shift));
    const dn = K(v.elem.describe());
    src.push(`class A${i} {
      constructor(p) { this.$w = p.$w; this.$ro = p.$ro; this.$rec = p.$rec; }
      get length() { return ${v.length}; }
      get(i) {
        if (!((i >>> 0) === i && i < ${v.length})) ${idx}(${js(v.name)}, i, ${v.length});
        ${record ? `this.$rec.r(${js(v.name)} + '[' + i + ']');` : ''}
        return ${dec(`((this.$w[${WO}[i]] >>> ${SH}[i]) & ${m})`, v.elem)};
      }
      set(i, v) {
        if (!((i >>> 0) === i && i < ${v.length})) ${idx}(${js(v.name)}, i, ${v.length});
        ${record ? `this.$rec.w(${js(v.name)} + '[' + i + ']');` : ''}
        if (this.$ro) ${ro}(${js(v.name)} + '[' + i + ']');
        ${enc(v.elem)}
        if (c < 0) ${bad}(${js(v.name)} + '[' + i + ']', v, ${dn});
        const sh = ${SH}[i], w = ${WO}[i];
        this.$w[w] = (this.$w[w] & ~(${m} << sh)) | (c << sh);
      }
      fill(v) {
        for (let i = 0; i < ${v.length}; i++) this.set(i, v);
      }
    }`);
  });
  // Local views, one class per template.
  const threadNames = K(b.threads.map((t) => t.name));
  layout.templates.forEach((tl, ti) => {
    const members: string[] = [];
    const accessor = (v: VarLayout, name: string, settable: boolean) => {
      const m = maskOf(v.slots[0]!.width);
      const WO = K(Int32Array.from(v.slots, (s) => s.word));
      const SH = K(Int32Array.from(v.slots, (s) => s.shift));
      const dn = K(v.elem.describe());
      const full = `${threadNames}[this.$t] + ${js('.' + name)}`;
      members.push(`get ${name}() {
        ${record ? `this.$rec.r(${full});` : ''}
        return ${dec(`((this.$w[${WO}[this.id]] >>> ${SH}[this.id]) & ${m})`, v.elem)};
      }`);
      if (settable)
        members.push(`set ${name}(v) {
          ${record ? `this.$rec.w(${full});` : ''}
          if (this.$ro) ${ro}(${full});
          ${enc(v.elem)}
          if (c < 0) ${bad}(${full}, v, ${dn});
          const sh = ${SH}[this.id], w = ${WO}[this.id];
          this.$w[w] = (this.$w[w] & ~(${m} << sh)) | (c << sh);
        }`);
    };
    for (const v of tl.locals) accessor(v, v.name, true);
    accessor(tl.label, 'at', false);
    src.push(`class L${ti} {
      constructor(w, ro, rec, id, t) { this.$w = w; this.$ro = ro; this.$rec = rec; this.id = id; this.$t = t; }
      ${members.join('\n')}
    }`);
  });
  // The state view.
  const members: string[] = [];
  const ctor: string[] = [];
  layout.shared.forEach((v, i) => {
    if (v.length) {
      ctor.push(`this.$a${i} = new A${i}(this);`);
      members.push(`get ${v.name}() { return this.$a${i}; }`);
      members.push(`set ${v.name}(v) { ${ro}(${js(v.name + ' (an array: use .set(i, v))')}); }`);
      return;
    }
    const s = v.slots[0]!;
    const m = maskOf(s.width);
    const clear = ~(m << s.shift);
    const dn = K(v.elem.describe());
    members.push(`get ${v.name}() {
      ${record ? `this.$rec.r(${js(v.name)});` : ''}
      return ${dec(`((this.$w[${s.word}] >>> ${s.shift}) & ${m})`, v.elem)};
    }`);
    members.push(`set ${v.name}(v) {
      ${record ? `this.$rec.w(${js(v.name)});` : ''}
      if (this.$ro) ${ro}(${js(v.name)});
      ${enc(v.elem)}
      if (c < 0) ${bad}(${js(v.name)}, v, ${dn});
      this.$w[${s.word}] = (this.$w[${s.word}] & ${clear}) | (c << ${s.shift});
    }`);
  });
  const locCtor = b.threads.map((t) => `new L${t.template.index}(w, ro, rec, ${t.replica}, ${t.index})`).join(', ');
  src.push(`class SV extends Base {
    constructor(w, ro, rec, meta) {
      super();
      this.$w = w; this.$ro = ro; this.$rec = rec; this.$m = meta;
      ${ctor.join('\n')}
      this.$locals = [${locCtor}];
    }
    ${members.join('\n')}
  }`);
  src.push(`return (w, ro, rec, meta) => new SV(w, ro, rec, meta);`);
  const code = `'use strict';\n${src.join('\n')}`;
  const make = new Function('Base', ...constNames, code)(ViewBase, ...consts) as (
    w: Uint32Array,
    ro: boolean,
    rec: Recorder | null,
    meta: Meta,
  ) => StateView & { $locals: LocalView[] };
  const groups = new Map<string, number[]>();
  for (const t of b.threads) {
    const g = groups.get(t.template.name) ?? [];
    g.push(t.index);
    groups.set(t.template.name, g);
  }
  const meta: Meta = { groups, model: b.name };
  return (buf, readOnly, rec) => {
    const s = make(buf, readOnly, rec ?? null, meta);
    return { state: s, locals: s.$locals };
  };
}
