import { deferredValue } from './synchronous.ts';

/**
 * Coded errors. Codes are by phase and never reused:
 *   MC1xx model definition, MC2xx domains and layout (including writes outside
 *   a domain at run time), MC3xx options and command line, MC4xx traces.
 * Outcomes of a search (pass / violation / incomplete) are values, not errors:
 * only misuse and internal bugs throw.
 */
export class McError extends Error {
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.name = 'McError';
    this.code = code;
  }
  override toString(): string {
    return `error ${this.code}: ${this.message}`;
  }
}

/**
 * Recognised by shape, not `instanceof`: a model file may load its own copy
 * of this module (CommonJS next to the ESM engine), whose errors are just as
 * coded. Read with own-property tests so that a thrown oddity (a sealed
 * view, a proxy) cannot throw again while being classified.
 */
export function isMcError(e: unknown): e is McError {
  if (typeof e !== 'object' || e === null || !Object.hasOwn(e, 'code') || !Object.hasOwn(e, 'message')) return false;
  const { code, message } = e as { code: unknown; message: unknown };
  return typeof code === 'string' && /^MC\d{3}$/.test(code) && typeof message === 'string';
}

/** Quote a value for an error message. */
export function q(v: unknown): string {
  if (typeof v === 'string') return JSON.stringify(v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined) return String(v);
  // JSON would print a Promise as {}: "the guard returned {}" says nothing of the async function behind it.
  const deferred = deferredValue(v);
  if (deferred !== null) return `${deferred} (the model's functions must be synchronous)`;
  try {
    return JSON.stringify(v);
  } catch {
    return String(v);
  }
}
