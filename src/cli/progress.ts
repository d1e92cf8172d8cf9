import type { ProgressInfo } from '../search/types.ts';
import { cycleSearchText } from '../search/cycle-progress.ts';
import type { Args } from './args.ts';
import { n, type Io } from './common.ts';

export interface StatusLine {
  update(line: string): void;
  /** Clears a line redrawn in place, so that the result starts on a clean line. */
  done(): void;
}

/**
 * A live status line on stderr, or null when none is wanted: shown with
 * --progress, or by default when stderr is a terminal and stdout is not JSON.
 * On a terminal it is redrawn in place; elsewhere each update is one line.
 */
export function statusLine(args: Args, io: Io): StatusLine | null {
  const show = args.flag('progress') || (!args.flag('no-progress') && !args.flag('json') && io.errIsTTY);
  if (!show) return null;
  let shown = false;
  return {
    update(line) {
      io.err(io.errIsTTY ? `\r${line}\x1b[K` : line + '\n');
      shown = true;
    },
    done() {
      if (shown && io.errIsTTY) io.err('\r\x1b[K');
    },
  };
}

/** The search's progress: states, states/s, depth, frontier, memory; in the cycle search of a livelock check, its task and how far that has got, of the states explored. */
export function searchProgressText(p: ProgressInfo): string {
  if (p.cycle !== undefined) return `[mmcheck ${p.phase}] ${cycleSearchText(p.cycle)} (${n(p.states)} states explored)  ${p.seconds.toFixed(0)} s`;
  const rate = p.seconds > 0 ? p.states / p.seconds : 0;
  // The minimising search tells no frontier or store size (`minimal.ts`).
  const store = p.phase === 'minimize' ? '' : `  frontier ${n(p.frontier)}  ${n(p.bytes / 1048576)} MB`;
  return `[mmcheck ${p.phase}] ${n(p.states)} states  ${n(rate)}/s  depth ${n(p.depth)}${store}  ${p.seconds.toFixed(0)} s`;
}

/** Run `job` with a progress line of its own (shown as `statusLine` decides), ended when the job is. */
export async function withStatusLine<T>(args: Args, io: Io, job: (onProgress: ((p: ProgressInfo) => void) | null) => Promise<T>): Promise<T> {
  const line = statusLine(args, io);
  try {
    return await job(line ? (p) => line.update(searchProgressText(p)) : null);
  } finally {
    line?.done();
  }
}
