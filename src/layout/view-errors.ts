import { q } from '../model/errors.ts';

/**
 * What the generated views throw when model code misuses them. They are
 * small objects the runtime turns into coded errors naming the model,
 * thread and step (it knows where it was; the view does not). Each carries
 * a `viewError` tag, recognised by `viewErrorOf` rather than `instanceof`,
 * so the test does not depend on which copy of this module made the error.
 */
export type ViewErrorKind = 'domain-write' | 'read-only-write' | 'index' | 'assertion' | 'undeclared' | 'read-only-name';

/** Thrown by a setter when a value is outside the variable's domain. */
export class DomainWriteError extends Error {
  readonly viewError = 'domain-write' as const;
  constructor(readonly variable: string, readonly value: unknown, readonly domain: string) {
    super(`${variable} := ${q(value)} is outside its domain ${domain}`);
  }
}
export class ReadOnlyWriteError extends Error {
  readonly viewError = 'read-only-write' as const;
  constructor(readonly variable: string) {
    super(`${variable} was written where the state is read-only (a guard, an invariant or another thread's locals)`);
  }
}
export class IndexError extends Error {
  readonly viewError = 'index' as const;
  constructor(readonly variable: string, readonly index: unknown, readonly length: number) {
    super(`${variable}[${q(index)}] is out of bounds (length ${length})`);
  }
}
/** Thrown by `s.assert(false, name)`. */
export class AssertionFailure extends Error {
  readonly viewError = 'assertion' as const;
  constructor(readonly property: string) {
    super(`assertion ${q(property)} failed`);
  }
}
/** A name the model does not declare was read, written or tested (`in`) through a view. */
export class UndeclaredNameError extends Error {
  readonly viewError = 'undeclared' as const;
  constructor(readonly variable: string, message: string) {
    super(message);
  }
}
/** `me.id`, `me.at` or an array's `length` assigned to or deleted. */
export class ReadOnlyNameError extends Error {
  readonly viewError = 'read-only-name' as const;
  constructor(readonly variable: string, message: string) {
    super(message);
  }
}

export type ViewError = DomainWriteError | ReadOnlyWriteError | IndexError | AssertionFailure | UndeclaredNameError | ReadOnlyNameError;

const KINDS: ReadonlySet<string> = new Set<ViewErrorKind>(['domain-write', 'read-only-write', 'index', 'assertion', 'undeclared', 'read-only-name']);

/** The view error `e` is, by its tag, or null for anything else. */
export function viewErrorOf(e: unknown): ViewError | null {
  // An own-property test: reading an absent name from a sealed view would itself throw.
  if (typeof e !== 'object' || e === null) return null;
  try {
    if (!Object.hasOwn(e, 'viewError')) return null;
    const k = (e as { viewError?: unknown }).viewError;
    return typeof k === 'string' && KINDS.has(k) ? (e as ViewError) : null;
  } catch {
    // Model code threw a value whose properties throw when looked at (a Proxy, a getter): no view error.
    return null;
  }
}

/** Whether `e` is a failed `s.assert` (an assertion violation, not a model error). */
export const isAssertionFailure = (e: unknown): e is AssertionFailure => viewErrorOf(e)?.viewError === 'assertion';
