/**
 * Growing typed arrays: the one way the engine makes room in a typed array
 * that fills up (stacks, paths, successor buffers, per-state side tables).
 * Doubling keeps appends amortised O(1) and the memory within 2x of use; no
 * element is ever an object.
 */
export type TypedArray = Int32Array | Uint32Array | Uint16Array | Uint8Array;

/** A copy of `a` in a new array of the same type with `n` elements (n >= a.length); the rest is zero. */
export function grown<T extends TypedArray>(a: T, n: number): T {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
}

/** An append-only list of numbers over a typed array that doubles when full; `a[0..n)` are the elements. */
export class Growable<T extends TypedArray> {
  a: T;
  n = 0;
  constructor(initial: T) {
    this.a = initial;
  }
  push(v: number): void {
    if (this.n === this.a.length) this.a = grown(this.a, this.a.length * 2);
    this.a[this.n++] = v;
  }
  /** Append two values (a pair stored flat). */
  push2(v: number, w: number): void {
    if (this.n + 2 > this.a.length) this.a = grown(this.a, this.a.length * 2);
    this.a[this.n++] = v;
    this.a[this.n++] = w;
  }
}
