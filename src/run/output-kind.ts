import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { parseTrace, TRACE_FORMAT } from '../trace/format.ts';
import { MEMBER_FORMAT, parseMemberResult } from '../trace/member-result.ts';
import { readDataFile } from './read-data.ts';

/**
 * What an output file of mmcheck is, told from its content, so that an
 * output path that already holds a file is replaced only when that file is
 * an mmcheck output of the same kind (a trace written again, a report run
 * again) and never when it is anything else: `--trace-out package.json`,
 * `show -o README.md` or `test -o tsconfig.json` are mistyped paths, and the
 * file there is the user's.
 *
 * - `trace`: JSON that validates as a trace file (`parseTrace`);
 * - `member-result`: JSON that validates as a swarm member result;
 * - `junit`: the XML `mmcheck test --reporter junit` writes (its root is
 *   `<testsuites name="mmcheck" ...>`);
 * - `rendering`: a counterexample `mmcheck show` rendered, in any format:
 *   an HTML page whose generator meta tag names mmcheck, Markdown that opens
 *   with the `<!-- mmcheck show ... -->` comment (MARKDOWN_MARKER), the text
 *   table (a title line, a blank line, the `# | thread ...` header and its
 *   `-+-` rule), or ITF JSON whose `#meta` says it is an mmcheck
 *   counterexample.
 */
export type OutputKind = 'trace' | 'member-result' | 'junit' | 'rendering';

export const OUTPUT_KIND_TEXT: Readonly<Record<OutputKind, string>> = {
  trace: 'an mmcheck trace',
  'member-result': 'an mmcheck swarm member result',
  junit: 'a JUnit report of mmcheck test',
  rendering: 'a counterexample rendered by mmcheck show',
};

/** The first line of `show --format markdown` (an HTML comment: invisible where the Markdown is rendered). */
export const MARKDOWN_MARKER = '<!-- mmcheck show: a counterexample table -->';

/** How much of a file is read to tell the kinds that say what they are in their first lines. */
const HEAD_BYTES = 64 * 1024;

const JUNIT_HEAD = /^<\?xml version="1\.0" encoding="UTF-8"\?>\n<testsuites name="mmcheck" /;
const HTML_HEAD = /^<!doctype html>\n/i;
const HTML_GENERATOR = /<meta name="generator" content="mmcheck[ "]/;
/** The text table: title, blank line, `#  | T[0] | ... | changes` (`# | changes` when no step was taken), then the rule of dashes joined by `-+-`. */
const TEXT_TABLE = /^[^\n]+\n\n# *\|(?: [^\n]*\|)? changes\n-+(?:-\+--*)+(?:\n|$)/;

/** What an existing file is: the mmcheck output it is, or a few words on what it holds otherwise. */
export type FileContent = { kind: OutputKind } | { kind: null; holds: string };

/**
 * Tell what the regular file at `path` holds. A file that
 * cannot be read, or is larger than a data file may be, is described, not
 * recognised.
 */
export function fileContent(path: string): FileContent {
  const head = readHead(path);
  if (head === null) return { kind: null, holds: 'data that cannot be read' };
  if (JUNIT_HEAD.test(head)) return { kind: 'junit' };
  if (HTML_HEAD.test(head) && HTML_GENERATOR.test(head)) return { kind: 'rendering' };
  if (head.startsWith(`${MARKDOWN_MARKER}\n`) || TEXT_TABLE.test(head)) return { kind: 'rendering' };
  const start = head.trimStart();
  if (start.startsWith('{')) {
    const r = readDataFile(path);
    if ('error' in r) return { kind: null, holds: `JSON that is not read (${r.error})` };
    let j: unknown;
    try {
      j = JSON.parse(r.text);
    } catch {
      return { kind: null, holds: 'text that is not valid JSON' };
    }
    const format = typeof j === 'object' && j !== null ? (j as { format?: unknown }).format : undefined;
    if (format === TRACE_FORMAT || (typeof format === 'string' && format.startsWith('mmcheck-trace/'))) {
      try {
        parseTrace(r.text);
        return { kind: 'trace' };
      } catch (e) {
        return { kind: null, holds: `a trace that does not validate (${(e as { code?: string }).code ?? 'invalid'})` };
      }
    }
    if (format === MEMBER_FORMAT) {
      try {
        parseMemberResult(r.text, path);
        return { kind: 'member-result' };
      } catch (e) {
        return { kind: null, holds: `a swarm member result that does not validate (${(e as { code?: string }).code ?? 'invalid'})` };
      }
    }
    const meta = typeof j === 'object' && j !== null ? (j as { '#meta'?: unknown })['#meta'] : undefined;
    if (typeof meta === 'object' && meta !== null && (meta as { format?: unknown }).format === 'ITF' && String((meta as { description?: unknown }).description).startsWith('mmcheck counterexample: '))
      return { kind: 'rendering' };
    return { kind: null, holds: `JSON data that mmcheck did not write${typeof j === 'object' && j !== null && !Array.isArray(j) && typeof (j as { name?: unknown }).name === 'string' && typeof (j as { version?: unknown }).version === 'string' ? ' (a package manifest?)' : ''}` };
  }
  if (/^<\?xml/.test(start)) return { kind: null, holds: 'XML that mmcheck did not write' };
  if (/^<!doctype html|^<html/i.test(start)) return { kind: null, holds: 'an HTML page that mmcheck did not write' };
  if (head.includes('\u0000')) return { kind: null, holds: 'binary data' };
  return { kind: null, holds: 'text that mmcheck did not write' };
}

/** The file's first HEAD_BYTES as UTF-8 (a character cut at the end does not matter to the tests above), or null when it cannot be read. */
function readHead(path: string): string | null {
  let fd: number;
  try {
    // Not blocking: the caller checked that this is a regular file, but it may have been replaced since.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    if (!fstatSync(fd).isFile()) return null;
    const buf = Buffer.alloc(HEAD_BYTES);
    let n = 0;
    while (n < HEAD_BYTES) {
      const k = readSync(fd, buf, n, HEAD_BYTES - n, null);
      if (k <= 0) break;
      n += k;
    }
    return buf.subarray(0, n).toString('utf8');
  } catch {
    return null;
  } finally {
    closeSync(fd);
  }
}
