import type { ArrayDomain, ScalarDomain } from './domains.ts';

/**
 * Typed views: what guards, effects, invariants and helpers see, typed from
 * the domains that declare the variables. `defineModel` (define.ts) infers
 * the shared variables (`S`, the domains `shared` returns) and each thread's
 * locals (`L`, its `locals`), so that an undeclared name or a value outside a
 * variable's type is a compile error in the model file, not only a coded
 * error at run time. The generic parameters default to the loose forms (any
 * name, any value) that the engine, helpers written for any model, and steps
 * assembled at run time use.
 */

/**
 * Shared-variable domains by name, as `shared` declares them. The default is
 * the loose spec: any name, and every value typed `any`.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type SharedSpec = Record<string, ScalarDomain<any> | ArrayDomain<ScalarDomain<any>>>;
/** Thread-local domains by name (scalars only); the default is loose like `SharedSpec`. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type LocalSpec = Record<string, ScalarDomain<any>>;

/**
 * The variables of a spec with their value types: `bool()` a boolean,
 * `int()` and `threadId()` a number, `oneOf('a', 'b')` `'a' | 'b'`,
 * `array(n, d)` an `ArrayView` of d's values. An array variable itself cannot
 * be assigned (its elements are, through `set`). Over the loose spec every
 * name is a variable of type `any`. A variable declared only in some
 * instances (`...(n > 0 ? { x: bool() } : {})`) is typed as present: where
 * it is not, the view refuses it at run time (MC150).
 */
export type VarsOf<S extends SharedSpec> = {
  -readonly [K in keyof S as NonNullable<S[K]> extends ArrayDomain ? never : K]-?: NonNullable<S[K]>['__value'];
} & {
  readonly [K in keyof S as NonNullable<S[K]> extends ArrayDomain ? K : never]-?: NonNullable<S[K]>['__value'];
};
/** The locals of a spec with their value types (declared in some instances only: as `VarsOf`). */
export type LocalsOf<L extends LocalSpec> = { -readonly [K in keyof L]-?: NonNullable<L[K]>['__value'] };

/** Methods every state view offers besides its variables. */
export interface StateViewMethods {
  /** Inside an effect: fail the step with an assertion violation named `name` when `cond` is false. */
  assert(cond: boolean, name: string): void;
  /** Current label of a thread instance (`'fault', 1` or `'evictor'`). */
  at(group: string, index?: number): string;
  /** Locals of another thread instance (read-only outside its own steps). */
  local(group: string, index?: number): LocalView;
  /** How many instances of a group are at `label`. */
  count(group: string, label: string): number;
}
/** The state as guards, effects and invariants see it: `StateView<typeof shared>` for a model's own helpers. */
export type StateView<S extends SharedSpec = SharedSpec> = StateViewMethods & VarsOf<S>;
export interface LocalViewMethods {
  /** Replica index within the group (0 for a single thread). */
  readonly id: number;
  /** The thread's current label. */
  readonly at: string;
}
/** A thread's own locals: `LocalView<typeof locals>` for a model's own helpers. */
export type LocalView<L extends LocalSpec = LocalSpec> = LocalViewMethods & LocalsOf<L>;
/** What guards, `choose` and invariants see: the state, read-only (a write there also fails at run time). */
export type ReadonlyStateView<S extends SharedSpec = SharedSpec> = Readonly<StateView<S>>;
/** A thread's locals as its guards and `choose` see them: read-only. */
export type ReadonlyLocalView<L extends LocalSpec = LocalSpec> = Readonly<LocalView<L>>;
