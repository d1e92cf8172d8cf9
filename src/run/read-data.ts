import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';

/**
 * The most a data file (a trace, a swarm member's result) may hold: a larger
 * one would not fit in a JavaScript string (about 512 MB), and parsing it
 * would take several times its size in memory. Long traces stay far below:
 * a million steps take about 200 MB.
 */
export const MAX_DATA_BYTES = 256 * 1024 * 1024;

/**
 * Read a data file as UTF-8 text, or say in a few words why not (the
 * caller wraps that into its own coded error): it must be a regular file
 * of at most MAX_DATA_BYTES. A device (`/dev/zero`) or a FIFO would be
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
    return { text: readFileSync(fd, 'utf8') };
  } catch (e) {
    return { error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  } finally {
    closeSync(fd);
  }
}
