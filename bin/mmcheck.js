#!/usr/bin/env node
// Entry point: registers tsx (ESM and CommonJS hooks) so the TypeScript sources and user
// model files load without a build step, wherever the model file lives.
import 'tsx';

const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv.slice(2));
