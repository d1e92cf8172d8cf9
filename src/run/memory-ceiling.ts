import { readFileSync } from 'node:fs';
import { totalmem } from 'node:os';

/**
 * The resident-memory bound of a run: `--memory-limit MB` when given, and
 * otherwise a default ceiling of 80% of the memory the process may use (the
 * smaller of the machine's memory and the cgroup's limit), so that a large
 * model stops with a partial result instead of being killed by the kernel.
 */
export interface MemoryCeiling {
  readonly mb: number;
  /** True when the user gave it (`--memory-limit`), false for the default ceiling. */
  readonly given: boolean;
  /** What the default was derived from, e.g. "80% of the machine's 24,105 MB"; null when given. */
  readonly basis: string | null;
}

const DEFAULT_SHARE = 0.8;
const MB = 1024 * 1024;

export function memoryCeiling(givenMB: number): MemoryCeiling {
  if (Number.isFinite(givenMB)) return { mb: givenMB, given: true, basis: null };
  const machine = totalmem() / MB;
  const group = cgroupLimitMB();
  const fromGroup = group !== null && group < machine;
  const avail = fromGroup ? group : machine;
  const mb = Math.floor(avail * DEFAULT_SHARE);
  return { mb, given: false, basis: `${Math.round(DEFAULT_SHARE * 100)}% of the ${fromGroup ? "cgroup's limit" : "machine's memory"}, ${Math.round(avail).toLocaleString('en-US')} MB` };
}

/** The cgroup's memory limit in MB (v2 memory.max, else v1 memory.limit_in_bytes), or null when there is none or it cannot be read. */
function cgroupLimitMB(): number | null {
  for (const f of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    let text: string;
    try {
      text = readFileSync(f, 'utf8').trim();
    } catch {
      continue;
    }
    if (!/^\d+$/.test(text)) return null; // "max": no limit
    const bytes = Number(text);
    // cgroup v1 writes a huge page-aligned number for "no limit".
    return bytes > 0 && bytes < 2 ** 60 ? bytes / MB : null;
  }
  return null;
}
