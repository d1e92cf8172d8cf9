import type { Fairness } from './define.ts';

/**
 * How a non-progress cycle under a fairness assumption is named in messages,
 * in one place so that every value reads as English: "weakly fair
 * non-progress cycle", "strongly fair non-progress cycle", and with no
 * assumption "non-progress cycle (no fairness assumed)" (not "nonely fair").
 */
export function fairCycle(f: Fairness): string {
  switch (f) {
    case 'weak':
      return 'weakly fair non-progress cycle';
    case 'strong':
      return 'strongly fair non-progress cycle';
    case 'none':
      return 'non-progress cycle, with no fairness assumed';
  }
}

/** The assumption itself, for headers: "weak fairness", "strong fairness", "no fairness". */
export function fairnessName(f: Fairness): string {
  return f === 'none' ? 'no fairness' : `${f} fairness`;
}

/** The adjective alone, for "the cycle is not weakly fair": null when no fairness is assumed (every cycle counts). */
export function fairAdjective(f: Fairness): string | null {
  return f === 'none' ? null : `${f}ly fair`;
}
