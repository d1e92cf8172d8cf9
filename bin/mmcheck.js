#!/usr/bin/env node
// Entry point.

// A stop signal before the command starts (while tsx and the engine load) ends the run as an
// interrupted one, exit 3 with a line that says so, not Node's silent 130. The function left
// under this symbol removes these handlers: `check` calls it when its search thread takes the
// signals over, any other command before it runs (src/run/signals.ts, src/cli/main.ts).
const early = (signal) => {
  process.stderr.write(`mmcheck: interrupted by ${signal} before any search started\n`);
  process.exit(3);
};
process.on('SIGINT', early);
process.on('SIGTERM', early);
globalThis[Symbol.for('mmcheck.earlySignals')] = () => {
  process.off('SIGINT', early);
  process.off('SIGTERM', early);
};

// Then registers tsx (ESM and CommonJS hooks): tsx is what loads user model files (.ts, .mts,
// .cts, .js, .mjs, .cjs), wherever they live, with no set-up by the user.
await import('tsx');
const { existsSync } = await import('node:fs');

// Which tree runs is decided by one file, deterministically: a checkout has
// ../src/cli/main.ts and runs the TypeScript sources through tsx (an edit is seen without a
// build, and a stale dist/ is never run); an installed package ships no src/ and runs the
// compiled ../dist/src/. From the sources, `import 'mmcheck'` in a model file means the
// sources too (src/run/source-condition.ts).
const fromSource = existsSync(new URL('../src/cli/main.ts', import.meta.url));
const tree = fromSource ? '../src/' : '../dist/src/';
const ext = fromSource ? '.ts' : '.js';
const load = (path) => import(new URL(`${tree}${path}${ext}`, import.meta.url).href);
if (fromSource) (await load('run/source-condition')).registerSourceCondition();
const { main } = await load('cli/main');
const { writeError } = await load('run/write');

// A reader that went away (`mmcheck check ... | head`) is not an error: stop quietly.
// Any other failure to write stdout (a full disk) is the coded write error, exit 2.
process.stdout.on('error', (e) => {
  if (e.code !== 'EPIPE') {
    const err = writeError('standard output', e);
    process.stderr.write(`mmcheck: error ${err.code}: ${err.message}\n`);
  }
  process.exit(e.code === 'EPIPE' ? (typeof process.exitCode === 'number' ? process.exitCode : 0) : 2);
});
process.stderr.on('error', () => {
  /* nowhere left to report to; the exit code still says what happened */
});

process.exitCode = await main(process.argv.slice(2));
