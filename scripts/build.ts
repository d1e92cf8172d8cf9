/**
 * npm run build (and npm's prepare): the compiled tree, dist/, swapped in
 * whole (src/run/build-tree.ts). `--if-stale`: only when dist/ is not
 * already the sources compiled (npm test and npm run bench, after npm ci's
 * prepare built it).
 */
import { fileURLToPath } from 'node:url';
import { buildCompiledTree } from '../src/run/build-tree.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
// A Ctrl-C ends the compiler (the terminal signals the whole group); this process stays to remove the build's copy, then ends as interrupted.
let signalled: NodeJS.Signals | null = null;
for (const s of ['SIGINT', 'SIGTERM'] as const) process.on(s, () => (signalled ??= s));
try {
  buildCompiledTree(root, { ifStale: process.argv.includes('--if-stale') });
} catch (e) {
  process.stderr.write(`mmcheck build: ${(e as Error).message}\n`);
  process.exitCode = 1;
}
if (signalled !== null) process.exitCode = signalled === 'SIGINT' ? 130 : 143;
