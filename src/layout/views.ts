import { McError, q } from '../model/errors.ts';
import type { ScalarDomain } from '../model/domains.ts';
import type { BuiltModel } from '../model/build.ts';
import type { LocalView, StateView } from '../model/define.ts';
import { maskOf, type Layout, type VarLayout } from './layout.ts';
import { sealedPrototype, type Access } from './sealed.ts';
import { STATE_MEMBERS, LOCAL_MEMBERS, ARRAY_MEMBERS } from '../model/names.ts';
import { AssertionFailure, DomainWriteError, IndexError, ReadOnlyNameError, ReadOnlyWriteError, UndeclaredNameError, isAssertionFailure } from './view-errors.ts';

/**
 * Generated accessors. For each layout we generate (once per run, with
 * `new Function`) a state-view class whose getters and setters read and write
 * the packed bits of a Uint32Array directly, with word index, shift and mask
 * inlined as constants: `s.pte` compiles to one load, shift and mask and a
 * constant-table lookup. There is no decode-to-object / encode step per
 * transition. A second flavour records which variables are read and written
 * (for replay diagnostics and footprints); it is never used in the hot loop.
 * Every class is sealed (src/layout/sealed.ts): a name the model does not
 * declare throws instead of reading `undefined` or creating a property.
 */

export { AssertionFailure, DomainWriteError, IndexError, ReadOnlyWriteError, isAssertionFailure, viewErrorOf } from './view-errors.ts';

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
  /** Each group's labels, so that s.count() can refuse a label the group does not have. */
  labels: Map<string, readonly string[]>;
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
    const labels = this.$m.labels.get(group)!;
    if (!labels.includes(label)) throw new McError('MC151', `model ${q(this.$m.model)}: s.count(${q(group)}, ${q(label)}): thread ${q(group)} has no label ${q(label)} (labels: ${labels.join(', ')})`);
    let n = 0;
    for (const t of g!) if (this.$locals[t]!.at === label) n++;
    return n;
  }
  assert(cond: boolean, name: string): void {
    const rec = (this as unknown as { $rec: Recorder | null }).$rec;
    if (rec !== null && rec.a) rec.a();
    // As a guard or an invariant: exactly true or false (a Promise or a count would hold as truthy), and named (the property a violation reports).
    if (typeof name !== 'string' || name === '') throw new McError('MC162', `s.assert(condition, name): the name must be a non-empty string (the property a failure reports), got ${q(name)}`);
    if (cond !== true) {
      if (cond === false) throw new AssertionFailure(name);
      throw new McError('MC162', `s.assert(..., ${q(name)}): the condition is ${q(cond)}; it must be true or false`);
    }
  }
}

/**
 * Whether an invariant fails on a state view: it returns anything but true,
 * or an `s.assert` inside it fails (the search judges it so,
 * `Runtime.checkInvariants`); any other exception is the caller's.
 */
export function invariantFails(fn: (s: never) => unknown, view: unknown): boolean {
  try {
    return fn(view as never) !== true;
  } catch (e) {
    if (isAssertionFailure(e)) return true;
    throw e;
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
  const fixed = K((name: string) => {
    throw new ReadOnlyNameError(name, `assigns to ${name}, which is read-only`);
  });
  // `me.id` is an own property that cannot be deleted (a strict-mode delete throws) and whose
  // setter throws; one getter/setter pair serves every view, so all views of a template share a shape.
  const idDesc: PropertyDescriptor = {
    get(this: { $id: number }) {
      return this.$id;
    },
    set(this: { $t: number }) {
      throw new ReadOnlyNameError('id', `assigns to ${b.threads[this.$t]?.name ?? '?'}.id (me.id), which is read-only: it is the replica index`);
    },
    enumerable: true,
    configurable: false,
  };
  const defId = K((o: object) => Object.defineProperty(o, 'id', idDesc));
  const verb = (a: Access) => (a === 'tests' ? 'tests for' : a);
  // Printing a view (console.log(s) while writing a model) shows its decoded values.
  const INSPECT = K(Symbol.for('nodejs.util.inspect.custom'));
  const inspectArray = K(function (this: { length: number; get(i: number): unknown }) {
    return Array.from({ length: this.length }, (_, i) => this.get(i));
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
    const seal = K(
      sealedPrototype((_view, name, a) => {
        throw new UndeclaredNameError(name, `${verb(a)} ${v.name}.${name}, but the array ${q(v.name)} offers only ${ARRAY_MEMBERS.join(', ')}`);
      }),
    );
    src.push(`class A${i} {
      $w; $ro; $rec;
      constructor(p) { this.$w = p.$w; this.$ro = p.$ro; this.$rec = p.$rec; }
      get length() { return ${v.length}; }
      set length(v) { ${fixed}(${js(v.name + '.length')}); }
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
    }
    Object.defineProperty(A${i}.prototype, ${INSPECT}, { value: ${inspectArray} });
    Object.setPrototypeOf(A${i}.prototype, ${seal});`);
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
        return ${dec(`((this.$w[${WO}[this.$id]] >>> ${SH}[this.$id]) & ${m})`, v.elem)};
      }`);
      if (!settable) members.push(`set ${name}(v) { ${fixed}(${full}); }`);
      else
        members.push(`set ${name}(v) {
          ${record ? `this.$rec.w(${full});` : ''}
          if (this.$ro) ${ro}(${full});
          ${enc(v.elem)}
          if (c < 0) ${bad}(${full}, v, ${dn});
          const sh = ${SH}[this.$id], w = ${WO}[this.$id];
          this.$w[w] = (this.$w[w] & ~(${m} << sh)) | (c << sh);
        }`);
    };
    for (const v of tl.locals) accessor(v, v.name, true);
    accessor(tl.label, 'at', false);
    const group = tl.template.name;
    const localNames = tl.locals.map((v) => v.name);
    const seal = K(
      sealedPrototype((view, name, a) => {
        const who = view === null ? `${group}[?]` : b.threads[(view as { $t: number }).$t]!.name;
        const known = localNames.length ? `locals: ${localNames.join(', ')}` : 'it declares no locals';
        throw new UndeclaredNameError(name, `${verb(a)} ${who}.${name}, which is not a local of thread ${q(group)} (${known}; also ${LOCAL_MEMBERS.join(', ')})`);
      }),
    );
    const inspect = K(function (this: Record<string, unknown>) {
      const o: Record<string, unknown> = { id: this.id, at: this.at };
      for (const n of localNames) o[n] = this[n];
      return o;
    });
    src.push(`class L${ti} {
      $w; $ro; $rec; $id; $t;
      constructor(w, ro, rec, id, t) { this.$w = w; this.$ro = ro; this.$rec = rec; this.$id = id; this.$t = t; ${defId}(this); }
      ${members.join('\n')}
    }
    Object.defineProperty(L${ti}.prototype, ${INSPECT}, { value: ${inspect} });
    Object.setPrototypeOf(L${ti}.prototype, ${seal});`);
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
  const sharedNames = layout.shared.map((v) => v.name);
  // The view methods (s.at, s.local, ...) are read-only data properties of a base whose prototype is the seal.
  const base = Object.create(
    sealedPrototype((_view, name, a) => {
      const known = sharedNames.length ? `shared variables: ${sharedNames.join(', ')}` : 'the model declares no shared variables';
      throw new UndeclaredNameError(name, `${verb(a)} ${name}, which is not a declared shared variable (${known}; methods: ${STATE_MEMBERS.join(', ')})`);
    }),
  );
  for (const [k, d] of Object.entries(Object.getOwnPropertyDescriptors(ViewBase.prototype))) {
    if (k !== 'constructor') Object.defineProperty(base, k, { ...d, writable: false });
  }
  Object.defineProperty(base, Symbol.for('nodejs.util.inspect.custom'), {
    value(this: Record<string, unknown>) {
      const o: Record<string, unknown> = {};
      for (const v of layout.shared) {
        const x = this[v.name];
        o[v.name] = v.length ? Array.from({ length: v.length }, (_, i) => (x as { get(i: number): unknown }).get(i)) : x;
      }
      return o;
    },
  });
  const locCtor = b.threads.map((t) => `new L${t.template.index}(w, ro, rec, ${t.replica}, ${t.index})`).join(', ');
  src.push(`class SV {
    $w; $ro; $rec; $m; $locals; ${layout.shared.map((v, i) => (v.length ? `$a${i};` : '')).join(' ')}
    constructor(w, ro, rec, meta) {
      this.$w = w; this.$ro = ro; this.$rec = rec; this.$m = meta;
      ${ctor.join('\n')}
      this.$locals = [${locCtor}];
    }
    ${members.join('\n')}
  }
  Object.setPrototypeOf(SV.prototype, Base);`);
  src.push(`return (w, ro, rec, meta) => new SV(w, ro, rec, meta);`);
  const code = `'use strict';\n${src.join('\n')}`;
  const make = new Function('Base', ...constNames, code)(base, ...consts) as (
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
  const meta: Meta = { groups, labels: new Map(b.templates.map((t) => [t.name, t.labels])), model: b.name };
  return (buf, readOnly, rec) => {
    const s = make(buf, readOnly, rec ?? null, meta);
    return { state: s, locals: s.$locals };
  };
}
