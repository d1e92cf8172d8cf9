import type { ProgressInfo } from '../search/types.ts';

/** The live progress line on stderr: states, states/s, depth, frontier, memory. */
export function progressLine(stream: NodeJS.WriteStream): { update: (p: ProgressInfo) => void; done: () => void } {
  let shown = false;
  const n = (x: number) => Math.round(x).toLocaleString('en-US');
  return {
    update(p) {
      const rate = p.seconds > 0 ? p.states / p.seconds : 0;
      const line = `[mmcheck ${p.phase}] ${n(p.states)} states  ${n(rate)}/s  depth ${n(p.depth)}  frontier ${n(p.frontier)}  ${n(p.bytes / 1048576)} MB  ${p.seconds.toFixed(0)} s`;
      if (stream.isTTY) stream.write(`\r${line}\x1b[K`);
      else stream.write(line + '\n');
      shown = true;
    },
    done() {
      if (shown && stream.isTTY) stream.write('\r\x1b[K');
    },
  };
}
