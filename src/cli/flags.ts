import { defaultOptions } from '../search/types.ts';
import type { FlagDecl } from './args.ts';

/**
 * Flags that check, check --swarm and simulate share, declared once. Their
 * defaults are the engine's (`defaultOptions`), so the help shows what a run
 * without the flag does.
 */
export const MODEL_FLAGS = {
  variant: { type: 'string', value: 'V', help: 'model variant (see mmcheck list)' },
  param: { type: 'string', short: 'p', multiple: true, value: 'k=v', help: 'parameter value (repeatable, each parameter once)' },
} as const satisfies Record<string, FlagDecl>;

export const PROPERTY_FLAGS = {
  fairness: { type: 'string', value: 'none|weak|strong', default: defaultOptions.fairness, help: 'fairness for livelock checking' },
  'no-liveness': { type: 'boolean', help: 'do not look for non-progress cycles' },
  'no-deadlock': { type: 'boolean', help: 'do not report deadlocks' },
} as const satisfies Record<string, FlagDecl>;

export const OUTPUT_FLAGS = {
  'trace-out': { type: 'string', value: 'FILE', help: 'where to save a counterexample (default traces/<name>.json, from simulate traces/<name>.simulate-seed<S>.json, from a swarm .swarm-seed<S>.json; an existing FILE only if it is a trace, MC346 otherwise)' },
  'no-trace': { type: 'boolean', help: 'do not save a counterexample' },
  json: { type: 'boolean', help: 'one JSON object on stdout' },
  progress: { type: 'boolean', help: 'live progress line on stderr (default: when stderr is a terminal)' },
  'no-progress': { type: 'boolean', help: 'no progress line' },
} as const satisfies Record<string, FlagDecl>;

/** Contradicting pairs among the flags above. */
export const SHARED_CONFLICTS = [
  ['no-trace', 'trace-out'],
  ['progress', 'no-progress'],
  ['fairness', 'no-liveness'],
] as const;

export const FAIRNESS = ['none', 'weak', 'strong'] as const;
