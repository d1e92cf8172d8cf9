import { McError, q } from '../errors.ts';
import type { Domain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';

/**
 * What a building block adds to a model besides its steps: the shared
 * variables that hold its state, and, for a lock, how to read who holds it.
 * A model lists its blocks in `defineModel({ blocks })`; the variables join
 * the model's shared variables and the lock declarations drive the reports
 * (lock bars, "held by", what a blocked thread waits for).
 *
 * `V` are the variables as the compiler sees them: each factory names them
 * from its arguments (`refcount('pref', ...)` is a `Block<{ pref: IntDomain }>`),
 * and `defineModel` adds them to the state its steps and invariants are typed
 * with (`BlockShared`). The default is the loose spec: a block whose names the
 * compiler cannot know (made from a `string`) adds no variable to the types.
 */
export interface Block<V extends SharedSpec = SharedSpec> {
  readonly kind: 'mmcheck-block';
  /** The block's name (a lock's name in reports). */
  readonly name: string;
  readonly shared: Readonly<V>;
  readonly locks: readonly LockDecl[];
}

/**
 * The variables of one block type, of each of a union of them, or of the
 * elements of an array of blocks, as a union; a block typed loosely, or
 * without variables (`declareLock`), gives none.
 */
type BlockVarsUnion<B> = B extends readonly (infer E)[]
  ? BlockVarsUnion<E>
  : B extends Block<infer V>
    ? string extends keyof V
      ? never
      : [keyof V] extends [never]
        ? never
        : V
    : never;
type UnionToIntersection<U> = (U extends unknown ? (x: U) => void : never) extends (x: infer I) => void ? I : never;
/**
 * The shared variables blocks add, by name with their domains: `B` is a
 * block's type, a union of them, or an array of blocks (`typeof blocks`).
 * For a helper outside the model: `StateView<typeof shared & BlockShared<typeof blocks>>`.
 */
export type BlockShared<B> = [BlockVarsUnion<B>] extends [never] ? {} : UnionToIntersection<BlockVarsUnion<B>>;
/** The model's variables `S` with those of its blocks `B`; `S` itself for a model without (typed) blocks. */
export type WithBlocks<S extends SharedSpec, B> = [BlockVarsUnion<B>] extends [never] ? S : S & UnionToIntersection<BlockVarsUnion<B>>;

/**
 * The variables `V` of a block whose names are made from `N` (its name, the
 * groups that take it): when one of them is not known to the compiler (typed
 * `string`), the loose spec, which adds no variable to the types.
 */
export type KnownVars<N extends string, V extends SharedSpec> = string extends N ? SharedSpec : V;
type IsUnion<T> = [T] extends [UnionToIntersection<T>] ? false : true;
/**
 * The owner variables' names of lock `N` taken by the groups `Gs` (see
 * Owners): the lock's own name for one group, `<N>_<group>` for several. A
 * list whose length the compiler does not know (`('a' | 'b')[]`) may be
 * either: both are named (typed as present, as a variable declared in some
 * instances only is).
 */
export type OwnerNames<N extends string, Gs extends readonly string[]> = Gs extends readonly [string]
  ? N
  : Gs extends readonly [string, string, ...string[]]
    ? `${N}_${Gs[number]}`
    : IsUnion<Gs[number]> extends true
      ? N | `${N}_${Gs[number]}`
      : N;
/**
 * The groups given as the keys of an object (`pageLock`'s `{ fault: 2,
 * migrate: 1 }`), for each of a union of such objects: a key whose value is
 * undefined is none (`c ? { a: 1, b: 1 } : { b: 1 }` is typed `{ a: 1; b: 1 }
 * | { b: 1; a?: undefined }`).
 */
export type GroupKeys<G> = G extends unknown ? { [K in keyof G]-?: undefined extends G[K] ? never : K }[keyof G] & string : never;
/** `OwnerNames` for groups given as the keys of an object, or of each of a union of them. */
export type OwnerNamesOf<N extends string, G> = G extends unknown ? (IsUnion<GroupKeys<G>> extends true ? `${N}_${GroupKeys<G>}` : N) : never;

export type LockKind = 'spinlock' | 'mutex' | 'rwsem' | 'page-lock';

/**
 * One lock, as data the reports read from any valuation (a trace holds
 * values only): each `owners` entry is a shared variable of type
 * `threadId(group, { none: true })` naming the thread of that group that
 * holds the lock exclusively (-1: none of them); `sharedCount`, when given,
 * counts holders that share it (an rwsem's readers); `flag`, when given, is
 * a boolean that is true while the lock is held by a thread it cannot name.
 */
export interface LockDecl {
  readonly name: string;
  readonly kind: LockKind;
  readonly owners: readonly { readonly var: string; readonly group: string }[];
  readonly sharedCount?: string;
  readonly flag?: string;
  /** Shared variables that encode the lock besides the owners (waiter bits, wait queues): not drawn as locks of their own. */
  readonly also?: readonly string[];
  /**
   * Thread-local booleans naming the holder instead of (or besides) owner
   * variables: the thread of `group` whose `local` is true holds the lock.
   * For a lock the kernel keeps no owner of (the page lock): a holder kept in
   * the holder's own locals is permuted with its replica, so symmetry
   * reduction sorts the replicas for any group size, where a shared
   * `threadId` would make it enumerate n! permutations.
   */
  readonly holderLocals?: readonly { readonly group: string; readonly local: string }[];
}

export const isBlock = (b: unknown): b is Block => typeof b === 'object' && b !== null && (b as { kind?: unknown }).kind === 'mmcheck-block';

/** A block with the variables `shared`; `V` is what the factory's type says they are (the same names, the same domains). */
export function makeBlock<V extends SharedSpec = SharedSpec>(name: string, shared: Record<string, Domain>, locks: LockDecl[] = []): Block<V> {
  return Object.freeze({ kind: 'mmcheck-block' as const, name, shared: Object.freeze({ ...shared }) as Readonly<V>, locks: Object.freeze(locks.map((l) => Object.freeze({ ...l }))) });
}

/**
 * A lock declaration without state of its own, for a model that writes its
 * lock by hand: `blocks: [declareLock({ name: 'ptl', kind: 'spinlock', owners: [{ var: 'ptlOwner', group: 'fault' }] })]`.
 * The variables must already be shared variables of the model.
 */
export function declareLock(decl: LockDecl): Block {
  if (typeof decl !== 'object' || decl === null || typeof decl.name !== 'string' || !Array.isArray(decl.owners))
    throw new McError('MC172', `declareLock(): expects { name, kind, owners: [{ var, group }] }, got ${q(decl)}`);
  return makeBlock(decl.name, {}, [decl]);
}

/** Holder named by an owner value: the thread's name, or null. `threads` are the model's thread names (a group's only thread is named after the group). */
export function ownerName(group: string, v: unknown, threads: readonly string[]): string | null {
  if (typeof v !== 'number' || v < 0) return null;
  return threads.includes(group) ? group : `${group}[${v}]`;
}

/** One lock in a valuation: a declared lock, or one element of a declared array of locks. */
export interface LockInstance {
  /** `ptl`, or `fork[2]` for an element of an array of locks. */
  readonly lock: string;
  readonly decl: LockDecl;
  /** The valuation keys that encode it (owners, counts, flags, waiter bits). */
  readonly keys: readonly string[];
  /** Threads holding it exclusively. */
  readonly exclusive: readonly string[];
  /** Shared holders (an rwsem's readers). */
  readonly shared: number;
  /** Held, by a thread the declaration cannot name. */
  readonly anonymous: boolean;
}

/**
 * The locks a declaration stands for in a flat valuation (src/trace/decode.ts
 * keys: `ptl`, `fork[2]`): one, or one per element when the owners are arrays.
 */
export function lockInstances(decl: LockDecl, val: Readonly<Record<string, unknown>>, threads: readonly string[]): LockInstance[] {
  const extra = [...(decl.sharedCount !== undefined ? [decl.sharedCount] : []), ...(decl.flag !== undefined ? [decl.flag] : [])];
  const shared = decl.sharedCount !== undefined && typeof val[decl.sharedCount] === 'number' ? (val[decl.sharedCount] as number) : 0;
  const flagged = decl.flag !== undefined && val[decl.flag] === true;
  const first = decl.owners[0];
  if (first !== undefined && !Object.hasOwn(val, first.var) && Object.hasOwn(val, `${first.var}[0]`)) {
    const out: LockInstance[] = [];
    for (let i = 0; Object.hasOwn(val, `${first.var}[${i}]`); i++) {
      const keys = decl.owners.map((o) => `${o.var}[${i}]`);
      const exclusive = decl.owners.map((o) => ownerName(o.group, val[`${o.var}[${i}]`], threads)).filter((x): x is string => x !== null);
      out.push({ lock: `${decl.name}[${i}]`, decl, keys: [...keys, ...extra], exclusive, shared, anonymous: false });
    }
    return out;
  }
  const exclusive = decl.owners.map((o) => ownerName(o.group, val[o.var], threads)).filter((x): x is string => x !== null);
  for (const h of decl.holderLocals ?? [])
    for (const th of threads) if ((th === h.group || th.startsWith(`${h.group}[`)) && val[`${th}.${h.local}`] === true) exclusive.push(th);
  const also: string[] = [];
  for (const a of decl.also ?? []) {
    if (Object.hasOwn(val, a)) also.push(a);
    else for (let i = 0; Object.hasOwn(val, `${a}[${i}]`); i++) also.push(`${a}[${i}]`);
  }
  return [{ lock: decl.name, decl, keys: [...decl.owners.map((o) => o.var), ...extra, ...also], exclusive, shared, anonymous: flagged && exclusive.length === 0 }];
}
