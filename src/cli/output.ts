import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import type { Model } from '../model/define.ts';
import type { FoundViolation } from '../search/types.ts';
import { traceFileName } from '../trace/build.ts';
import type { TraceFile } from '../trace/format.ts';
import type { MinimizeStats } from '../trace/minimize.ts';
import { shq } from './common.ts';

/** What check, simulate, swarm and minimize print and save for a violation, in one place. */

/** The `violation` object of the JSON result. */
export function violationJson(v: FoundViolation, tracePath: string | null) {
  return {
    kind: v.kind,
    property: v.property,
    length: v.steps.length,
    ...(v.cycleStart !== undefined ? { cycleStart: v.cycleStart } : {}),
    ...(v.starving ? { starving: v.starving } : {}),
    trace: tracePath,
  };
}

/**
 * Write a trace to `out` (or traces/<name>.json) relative to the working
 * directory; a model file is recorded relative to the trace, so the trace
 * replays from any directory. Returns the path as given or defaulted.
 */
export function writeTrace(trace: TraceFile, cwd: string, out: string | undefined, model: Model): string {
  const path = out ?? join('traces', traceFileName(trace));
  const abs = resolve(cwd, path);
  if (model.source) trace.modelFile = relative(dirname(abs), model.source);
  mkdirSync(dirname(abs), { recursive: true });
  writeFileSync(abs, JSON.stringify(trace, null, 2) + '\n');
  return path;
}

/** Where the trace went, and the commands that replay and show it. */
export function savedLines(tracePath: string): string {
  const html = tracePath.replace(/\.json$/, '') + '.html';
  return `trace saved: ${tracePath}\n  replay: mmcheck replay ${shq(tracePath)}\n  show:   mmcheck show ${shq(tracePath)} --format html -o ${shq(html)}\n`;
}

export function minimizedLine(m: MinimizeStats): string {
  const steps = (k: number) => `${k} step${k === 1 ? '' : 's'}`;
  const sw = (k: number) => `${k} context switch${k === 1 ? '' : 'es'}`;
  return `minimized: ${steps(m.lengthBefore)}, ${sw(m.switchesBefore)} → ${steps(m.lengthAfter)}, ${sw(m.switchesAfter)} (the fewest of any ${m.lengthAfter}-step counterexample)`;
}
