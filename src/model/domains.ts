import { McError, q } from './errors.ts';

/**
 * Finite domains. Every variable, thread local and parameter has one; the
 * layout derives bit widths from them. A scalar domain maps its values to
 * dense codes 0..size-1 (the packed representation) and back.
 */
export type Scalar = boolean | number | string;

export abstract class ScalarDomain<T extends Scalar = Scalar> {
  declare readonly __value: T;
  abstract readonly kind: 'bool' | 'int' | 'enum' | 'threadId';
  /** Number of values; known once the model is built (thread ids need the group size). */
  abstract size(): number;
  abstract encode(v: unknown): number; // -1 when outside the domain
  abstract decode(code: number): T;
  abstract describe(): string;
  abstract readonly init: T;
  abstract initially(v: T): ScalarDomain<T>;
  /** All values in code order. */
  values(): T[] {
    const out: T[] = [];
    for (let c = 0; c < this.size(); c++) out.push(this.decode(c));
    return out;
  }
}

export class BoolDomain extends ScalarDomain<boolean> {
  readonly kind = 'bool' as const;
  constructor(readonly init: boolean = false) {
    super();
  }
  size() {
    return 2;
  }
  encode(v: unknown) {
    return v === true ? 1 : v === false ? 0 : -1;
  }
  decode(c: number) {
    return c === 1;
  }
  describe() {
    return 'bool';
  }
  initially(v: boolean) {
    return new BoolDomain(v);
  }
}

export class IntDomain extends ScalarDomain<number> {
  readonly kind = 'int' as const;
  constructor(readonly min: number, readonly max: number, readonly init: number = min) {
    super();
    if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || min > max)
      throw new McError('MC201', `int(${q(min)}, ${q(max)}): bounds must be integers with min <= max`);
    if (max - min >= 2 ** 30)
      throw new McError('MC202', `int(${min}, ${max}): at most 2^30 values are supported`);
    if (!Number.isInteger(init) || init < min || init > max)
      throw new McError('MC203', `int(${min}, ${max}): initial value ${q(init)} is outside the domain`);
  }
  size() {
    return this.max - this.min + 1;
  }
  encode(v: unknown) {
    return typeof v === 'number' && Number.isInteger(v) && v >= this.min && v <= this.max ? v - this.min : -1;
  }
  decode(c: number) {
    return c + this.min;
  }
  describe() {
    return `int ${this.min}..${this.max}`;
  }
  initially(v: number) {
    return new IntDomain(this.min, this.max, v);
  }
}

export class EnumDomain<N extends string = string> extends ScalarDomain<N> {
  readonly kind = 'enum' as const;
  readonly names: readonly N[];
  readonly init: N;
  constructor(names: readonly N[], init?: N) {
    super();
    if (names.length === 0) throw new McError('MC204', 'oneOf(): needs at least one name');
    const seen = new Set<string>();
    for (const n of names) {
      if (typeof n !== 'string' || n.length === 0) throw new McError('MC205', `oneOf(): ${q(n)} is not a non-empty string`);
      if (seen.has(n)) throw new McError('MC206', `oneOf(): duplicate name ${q(n)}`);
      seen.add(n);
    }
    this.names = names;
    this.init = init ?? names[0]!;
    if (!seen.has(this.init)) throw new McError('MC203', `oneOf(${names.map(q).join(', ')}): initial value ${q(init)} is not one of the names`);
  }
  size() {
    return this.names.length;
  }
  encode(v: unknown) {
    return typeof v === 'string' ? this.names.indexOf(v as N) : -1;
  }
  decode(c: number) {
    return this.names[c]!;
  }
  describe() {
    return `oneOf(${this.names.join('|')})`;
  }
  initially(v: N) {
    return new EnumDomain(this.names, v);
  }
}

/**
 * A thread id of a replicated group: 0..n-1, plus -1 ("none") when nullable.
 * Symmetry reduction permutes these values together with the replicas.
 */
export class ThreadIdDomain extends ScalarDomain<number> {
  readonly kind = 'threadId' as const;
  /** Filled in when the model is built and the group size is known. */
  groupSize = -1;
  constructor(readonly group: string, readonly nullable: boolean, readonly init: number = nullable ? -1 : 0) {
    super();
  }
  bind(n: number): ThreadIdDomain {
    const d = new ThreadIdDomain(this.group, this.nullable, this.init);
    d.groupSize = n;
    return d;
  }
  get min() {
    return this.nullable ? -1 : 0;
  }
  get max() {
    return this.groupSize - 1;
  }
  size() {
    if (this.groupSize < 0) throw new McError('MC207', `threadId(${q(this.group)}) used before the model was built`);
    return this.groupSize + (this.nullable ? 1 : 0);
  }
  encode(v: unknown) {
    return typeof v === 'number' && Number.isInteger(v) && v >= this.min && v <= this.max ? v - this.min : -1;
  }
  decode(c: number) {
    return c + this.min;
  }
  describe() {
    return `threadId(${this.group}${this.nullable ? ', none=-1' : ''})`;
  }
  initially(v: number) {
    const d = new ThreadIdDomain(this.group, this.nullable, v);
    d.groupSize = this.groupSize;
    return d;
  }
}

/** A fixed-length array of scalars. In steps: `s.a.get(i)`, `s.a.set(i, v)`, `s.a.length`. */
export class ArrayDomain<E extends ScalarDomain = ScalarDomain> {
  readonly kind = 'array' as const;
  declare readonly __value: ArrayView<E['__value']>;
  constructor(readonly length: number, readonly elem: E, readonly initValues?: readonly E['__value'][], readonly index?: string) {
    if (!Number.isInteger(length) || length < 1 || length > 4096)
      throw new McError('MC208', `array(${q(length)}, ...): length must be an integer in 1..4096`);
    if (!isScalarDomain(elem)) throw new McError('MC209', 'array(): elements must be a scalar domain (bool, int, oneOf, threadId)');
    if (initValues !== undefined && initValues.length !== length)
      throw new McError('MC203', `array(${length}, ...): ${initValues.length} initial values given`);
  }
  initially(values: readonly E['__value'][]): ArrayDomain<E> {
    return new ArrayDomain(this.length, this.elem, values, this.index);
  }
  /**
   * Declare that the array is indexed by the replica ids of a thread group
   * (its length must be the group's size): symmetry reduction then permutes
   * its elements together with the replicas.
   */
  indexedBy(group: string): ArrayDomain<E> {
    return new ArrayDomain(this.length, this.elem, this.initValues, group);
  }
  initAt(i: number): E['__value'] {
    return this.initValues ? this.initValues[i]! : this.elem.init;
  }
  describe() {
    return `array(${this.length}, ${this.elem.describe()})${this.index ? ` indexed by ${this.index}` : ''}`;
  }
}

export type Domain = ScalarDomain | ArrayDomain;

/** The view of an array variable inside guards, effects and invariants. */
export interface ArrayView<T> {
  readonly length: number;
  get(i: number): T;
  set(i: number, v: T): void;
  /** Set every element to `v` (e.g. wake every waiter); treats all replicas alike. */
  fill(v: T): void;
}

export const bool = (init = false) => new BoolDomain(init);
export const int = (min: number, max: number, init?: number) => new IntDomain(min, max, init ?? min);
/** `oneOf('a', 'b')` or `oneOf(list)`; the names are the values' type (`'a' | 'b'`). */
export function oneOf<const N extends string>(...names: N[]): EnumDomain<N>;
export function oneOf<const N extends string>(names: readonly N[]): EnumDomain<N>;
export function oneOf<N extends string>(...names: N[] | [readonly N[]]): EnumDomain<N> {
  const list = (names.length === 1 && Array.isArray(names[0]) ? names[0] : names) as readonly N[];
  return new EnumDomain<N>(list);
}
export const threadId = (group: string, opts: { none?: boolean } = {}) => new ThreadIdDomain(group, opts.none ?? false);
export const array = <E extends ScalarDomain>(length: number, elem: E) => new ArrayDomain(length, elem);

/**
 * Domain tests by shape, not `instanceof`: a model file may load its own copy
 * of this module (e.g. compiled as CommonJS next to an ESM engine), and its
 * domains must still be recognised.
 */
const SCALAR_KINDS: ReadonlySet<string> = new Set(['bool', 'int', 'enum', 'threadId']);
export function isScalarDomain(d: unknown): d is ScalarDomain {
  const x = d as ScalarDomain | null;
  return typeof x === 'object' && x !== null && SCALAR_KINDS.has(x.kind) && typeof x.encode === 'function' && typeof x.decode === 'function' && typeof x.size === 'function';
}
export function isArrayDomain(d: unknown): d is ArrayDomain {
  const x = d as ArrayDomain | null;
  return typeof x === 'object' && x !== null && x.kind === 'array' && Number.isInteger(x.length) && isScalarDomain(x.elem);
}

export function checkInit(d: ScalarDomain, what: string): void {
  if (d.kind === 'threadId') return; // checked once bound
  if (d.encode(d.init) < 0) throw new McError('MC203', `${what}: initial value ${q(d.init)} is outside ${d.describe()}`);
}
