import { MODULE_EXT } from '../model/package-root.ts';

/**
 * Worker threads do not inherit the tsx loader, and in Node 20 `--import tsx`
 * in a worker's execArgv is not applied to its entry module. So a worker
 * starts from a tiny ES module (a data: URL, nothing on disk) that registers
 * tsx's ESM and CommonJS hooks through their APIs by absolute URL, and only
 * then imports the module that holds the worker's code and calls its entry.
 * tsx is what loads user model files (.ts and .js alike), in the sources and
 * in the compiled package. Run from the sources, the worker also resolves
 * `import 'mmcheck'` to the sources, as the main thread does
 * (source-condition.ts). The swarm's pool and the supervised search both
 * start their threads here.
 */
export function workerBootstrapUrl(moduleUrl: string, entry: string): URL {
  const esm = import.meta.resolve('tsx/esm/api');
  const cjs = import.meta.resolve('tsx/cjs/api');
  const src = [
    `const esm = await import(${JSON.stringify(esm)}); esm.register();`,
    `const cjs = await import(${JSON.stringify(cjs)}); cjs.register();`,
    ...(MODULE_EXT === '.ts' ? [`(await import(${JSON.stringify(new URL('./source-condition.ts', import.meta.url).href)})).registerSourceCondition();`] : []),
    `const m = await import(${JSON.stringify(moduleUrl)});`,
    `m[${JSON.stringify(entry)}]();`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}
