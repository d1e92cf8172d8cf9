import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Set to keep the tests' temporary folders, to look into them after a run. */
const KEEP_ENV = 'MMCHECK_KEEP_TEST_TMP';

const made: string[] = [];

/**
 * A new empty folder under the system's temporary folder, named `prefix`
 * and six random characters, removed with all it holds when the test
 * process exits (each test file runs in a process of its own), unless
 * MMCHECK_KEEP_TEST_TMP is set. A folder that cannot be removed is left.
 */
export function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (made.push(dir) === 1 && !process.env[KEEP_ENV]) process.on('exit', removeAll);
  return dir;
}

function removeAll(): void {
  for (const dir of made) {
    try {
      rmSync(dir, { recursive: true, force: true });
    } catch {
      // Left for the system to clear (a folder a test made unreadable, say).
    }
  }
}
