import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * The most a data file (a trace, a swarm member's result) may hold: a larger
 * one would not fit in a JavaScript string (about 512 MB), and parsing it
 * would take several times its size in memory. Long traces stay far below:
 * a million steps take about 200 MB.
 */
export const MAX_DATA_BYTES = 256 * 1024 * 1024;

/** The offset of the first byte of `b` that does not belong to a well-formed UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
export function firstInvalidUtf8(b: Uint8Array): number {
  let i = 0;
  while (i < b.length) {
    const c = b[i]!;
    if (c < 0x80) {
      i++;
      continue;
    }
    const n = c >= 0xc2 && c <= 0xdf ? 1 : c >= 0xe0 && c <= 0xef ? 2 : c >= 0xf0 && c <= 0xf4 ? 3 : -1;
    if (n < 0) return i;
    // The second byte's range depends on the first (overlong forms, surrogates, beyond U+10FFFF); the others are 0x80..0xbf.
    const lo = c === 0xe0 ? 0xa0 : c === 0xf0 ? 0x90 : 0x80;
    const hi = c === 0xed ? 0x9f : c === 0xf4 ? 0x8f : 0xbf;
    for (let k = 1; k <= n; k++) {
      const d = b[i + k];
      if (d === undefined || d < (k === 1 ? lo : 0x80) || d > (k === 1 ? hi : 0xbf)) return i;
    }
    i += n + 1;
  }
  return b.length;
}

/**
 * Read a data file as UTF-8 text, or say in a few words why not (the
 * caller wraps that into its own coded error): it must be a regular file
 * of at most MAX_DATA_BYTES, and UTF-8 throughout (JSON's encoding; a
 * leading byte-order mark is dropped). A device (`/dev/zero`) or a FIFO would be
 * read forever, or block forever, so the file is opened without blocking
 * and checked before a byte is read.
 */
export function readDataFile(path: string): { text: string } | { error: string } {
  let fd: number;
  try {
    // Not blocking: opening a FIFO without a writer would wait forever.
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) return { error: `${st.isDirectory() ? 'a directory' : 'a device or special file'}, not a regular file` };
    if (st.size > MAX_DATA_BYTES) return { error: `${Math.round(st.size / 2 ** 20).toLocaleString('en-US')} MB, more than the ${MAX_DATA_BYTES / 2 ** 20} MB a data file may hold` };
    const bytes = readFileSync(fd);
    try {
      // Strict: a byte that is not UTF-8 would be read as U+FFFD, a name the file does not hold. A leading byte-order mark (an editor's) is dropped.
      return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
    } catch {
      return { error: `not UTF-8 text (the first byte that is not is at offset ${firstInvalidUtf8(bytes).toLocaleString('en-US')})` };
    }
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  } finally {
    closeSync(fd);
  }
}
