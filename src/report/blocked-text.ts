import type { Scalar } from '../model/domains.ts';
import type { BlockedReport } from '../trace/blocked.ts';

/**
 * The blocked threads of a deadlock or livelock as text lines (check,
 * replay and show print them under the counterexample):
 *
 *   blocked: phil[0] at HasLeft waits for fork[1], held by phil[1]
 *     take_right: (s, me) => !s.fork.get((me.id + 1) % n)   reads fork[1]=true
 *   wait-for cycle: phil[0] → phil[1] → phil[2] → phil[0]
 */
const fmt = (v: Scalar) => (typeof v === 'string' ? v : String(v));

/** "held by t", "held by 2 sharing holders (a, b)" (the readers the trace names), "held by 2 sharing holders", "held by no thread". */
export function heldText(b: { heldBy?: string; sharedHolders?: number; sharedBy?: readonly string[] }): string {
  if (b.sharedBy !== undefined) return `held by ${b.sharedHolders} sharing holder${b.sharedHolders === 1 ? '' : 's'} (${b.sharedBy.join(', ')})`;
  if (b.heldBy !== undefined) return `held by ${b.heldBy}`;
  if (b.sharedHolders) return `held by ${b.sharedHolders} sharing holder${b.sharedHolders === 1 ? '' : 's'}`;
  return 'held by no thread';
}

export function blockedLines(r: BlockedReport, livelock: boolean): string[] {
  if (r.blocked.length === 0) return [];
  const out: string[] = [livelock ? 'blocked throughout the cycle:' : 'blocked threads:'];
  for (const b of r.blocked) {
    const what = b.lock !== undefined ? ` waits for ${b.lock}, ${heldText(b)}` : b.heldBy !== undefined ? ` waits for ${b.heldBy}` : '';
    out.push(`  ${b.thread} at ${b.label}${b.atEnd ? ' (an end label: it may stop there, but)' : ''}${what}${b.noSteps ? `: no step is at label ${b.label}, which is no end label (a step's at misspelt, or a label listed in labels or named by a next that no step starts from)` : ''}`);
    for (const w of b.waitsFor) {
      const reads = Object.entries(w.reads).map(([k, v]) => `${k}=${fmt(v)}`).join(' ');
      out.push(`    ${w.step}: ${w.guard}${reads ? `   reads ${reads}` : ''}`);
    }
  }
  if (r.waitCycle && r.waitCycle.length) out.push(`wait-for cycle: ${[...r.waitCycle, r.waitCycle[0]].join(' → ')}`);
  return out;
}

export function blockedText(r: BlockedReport | null | undefined, livelock: boolean): string {
  const lines = r ? blockedLines(r, livelock) : [];
  return lines.length ? lines.join('\n') + '\n' : '';
}

/** The `violation.blocked` / `violation.waitCycle` fields of the JSON results. */
export function blockedJson(r: BlockedReport): { blocked: BlockedReport['blocked']; waitCycle?: readonly string[] } {
  return { blocked: r.blocked, ...(r.waitCycle ? { waitCycle: r.waitCycle } : {}) };
}
