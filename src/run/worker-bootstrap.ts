import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MODULE_EXT, PACKAGE_ROOT } from '../model/package-root.ts';
import { checkoutRunsCompiled, compiledUrlOf, registerCompiledTree } from './compiled-tree.ts';

/**
 * Worker threads do not inherit the tsx loader, and in Node 20 `--import tsx`
 * in a worker's execArgv is not applied to its entry module. So a worker
 * starts from a tiny ES module (a data: URL, nothing on disk) that imports
 * the module that holds the worker's code and calls its entry; tsx's ESM and
 * CommonJS hooks are registered in it through their APIs by absolute URL.
 * tsx is what loads user model files (.ts and .js alike).
 *
 * Run from the sources, the engine itself is TypeScript: the bootstrap
 * registers the hooks before it imports anything, and the worker also
 * resolves `import 'mmcheck'` to the sources, as the main thread does
 * (source-condition.ts). From the compiled package, the engine and the
 * built-in models are JavaScript that Node loads itself, and the hooks are
 * registered only before the thread's first model file loads
 * (`moduleHooksForModelFiles`, called by `loadModel`): tsx's ES module hooks
 * run in a thread of their own, and a worker that registers them takes
 * about four times the CPU to load (393 to 462 ms against 98 to 110 ms for
 * the engine and a built-in model), more than the second CPU of a 2-CPU
 * machine, which slowed the search thread beside a loading helper by about
 * a quarter. The swarm's pool, the supervised search and the helpers start
 * their threads here.
 *
 * A checkout whose dist/ is its sources compiled (compiled-tree.ts) starts
 * its threads in dist/, as the compiled package does, even where its main
 * thread runs the sources; a model file loaded in such a thread that imports
 * the engine's sources is given the compiled engine (`registerCompiledTree`).
 */
export function workerBootstrapUrl(moduleUrl: string, entry: string): URL {
  const root = fileURLToPath(PACKAGE_ROOT);
  let compiled = MODULE_EXT === '.js';
  // A checkout's compiled tree: the thread runs it where it is the sources compiled, whichever tree this thread runs.
  const checkout = (compiled ? isCheckout(root) : true) && checkoutRunsCompiled(root);
  const mapped = !compiled && checkout ? compiledUrlOf(root, moduleUrl) : null;
  if (mapped !== null) {
    moduleUrl = mapped;
    compiled = true;
  }
  const src = [
    ...(compiled
      ? [`globalThis[Symbol.for(${JSON.stringify(LAZY_HOOKS)})] = { done: null, checkout: ${JSON.stringify(checkout ? root : null)} };`]
      : [registerSource(), `(await import(${JSON.stringify(new URL('./source-condition.ts', import.meta.url).href)})).registerSourceCondition();`]),
    `const m = await import(${JSON.stringify(moduleUrl)});`,
    `m[${JSON.stringify(entry)}]();`,
  ].join('\n');
  return new URL(`data:text/javascript,${encodeURIComponent(src)}`);
}

let checkoutRoot: boolean | undefined;
/** Whether the compiled tree at `root` runs in a checkout (its sources beside it), looked at once. */
const isCheckout = (root: string): boolean => (checkoutRoot ??= existsSync(join(root, 'src', 'cli', 'main.ts')));

/** The global that marks a thread started without tsx's hooks (from the compiled package, or a checkout's compiled tree: its root), and holds their registration once made. */
const LAZY_HOOKS = 'mmcheck.lazyModuleHooks';

/** In the main thread of bin/mmcheck.js running the compiled tree (of the package, or of the checkout at `checkout`): tsx's hooks are registered before the first model file, as in its threads. */
export function deferModelFileHooks(checkout: string | null): void {
  (globalThis as Record<symbol, unknown>)[Symbol.for(LAZY_HOOKS)] = { done: null, checkout };
}

/** Source text that registers tsx's ESM and CommonJS hooks in the thread it runs in. */
function registerSource(): string {
  const esm = import.meta.resolve('tsx/esm/api');
  const cjs = import.meta.resolve('tsx/cjs/api');
  return `const esm = await import(${JSON.stringify(esm)}); esm.register();\nconst cjs = await import(${JSON.stringify(cjs)}); cjs.register();`;
}

/**
 * Before a model file loads: in a thread of the compiled tree (a worker
 * started from it, or the main thread of bin/mmcheck.js running it), register
 * tsx's hooks (once per thread); elsewhere nothing (the sources have them
 * from their start: bin/mmcheck.js, a worker's bootstrap; and a program
 * using the API loads no model file).
 */
export function moduleHooksForModelFiles(): Promise<void> {
  const lazy = (globalThis as Record<symbol, { done: Promise<void> | null; checkout: string | null } | undefined>)[Symbol.for(LAZY_HOOKS)];
  if (lazy === undefined) return Promise.resolve();
  lazy.done ??= (async () => {
    const esm = (await import(import.meta.resolve('tsx/esm/api'))) as { register(): unknown };
    esm.register();
    const cjs = (await import(import.meta.resolve('tsx/cjs/api'))) as { register(): unknown };
    cjs.register();
    if (lazy.checkout !== null) registerCompiledTree(lazy.checkout);
  })();
  return lazy.done;
}
