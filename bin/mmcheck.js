#!/usr/bin/env node
// Entry point: registers tsx (ESM and CommonJS hooks) so the TypeScript sources and user
// model files load without a build step, wherever the model file lives.
import 'tsx';

// A reader that went away (`mmcheck check ... | head`) is not an error: stop quietly.
for (const stream of [process.stdout, process.stderr])
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(typeof process.exitCode === 'number' ? process.exitCode : 0);
    throw e;
  });

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
