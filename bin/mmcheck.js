#!/usr/bin/env node
// Entry point: registers tsx (ESM and CommonJS hooks) so the TypeScript sources and user
// model files load without a build step, wherever the model file lives.
import 'tsx';

const { main } = await import('../src/cli/main.ts');
const { writeError } = await import('../src/run/write.ts');

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
