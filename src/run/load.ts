import { existsSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { McError, isMcError, q } from '../model/errors.ts';
import { isModel, type Model } from '../model/define.ts';

/**
 * The built-in models: the index of the package's models/ folder, loaded at
 * run time like any model file, so that the engine does not depend on the
 * models it ships with.
 */
export async function builtinModels(): Promise<readonly Model[]> {
  const index = (await import(new URL('../../models/index.ts', import.meta.url).href)) as { builtinModels: readonly Model[] };
  return index.builtinModels;
}

/** Resolve `<model>`: a built-in model name, or a path to a model file (.ts or .js) relative to `cwd`. */
export async function loadModel(ref: string, cwd: string = process.cwd()): Promise<Model> {
  const looksLikePath = /[\\/]/.test(ref) || /\.(m?[jt]s)$/.test(ref);
  if (!looksLikePath) {
    const builtins = await builtinModels();
    const m = builtins.find((x) => x.name === ref);
    if (m) return m;
    throw new McError('MC138', `unknown model ${q(ref)} (models: ${builtins.map((x) => x.name).join(', ')}; or give a path to a model file)`);
  }
  const file = resolve(cwd, ref);
  if (!existsSync(file)) throw new McError('MC139', `model file ${q(ref)} does not exist`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    if (isMcError(e)) throw new McError(e.code, `model file ${q(ref)}: ${e.message}`);
    throw new McError('MC140', `model file ${q(ref)} failed to load: ${(e as Error).message?.split('\n')[0] ?? String(e)}`);
  }
  const m = mod.default ?? mod.model;
  if (!isModel(m)) throw new McError('MC141', `model file ${q(ref)} does not export a model (write: export default defineModel({...}))`);
  m.source = file;
  return m;
}

const MODEL_FILE = /\.(?:[cm]?ts|[cm]?js)$/;

/**
 * The model files `mmcheck test` checks: each path is a model file or a
 * folder searched recursively (in name order, skipping node_modules, hidden
 * folders and `.d.ts` files). A path that does not exist is bad input.
 */
export function findModelFiles(paths: readonly string[], cwd: string): { file: string; named: boolean }[] {
  const out: { file: string; named: boolean }[] = [];
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      if (e.name.startsWith('.') || e.name === 'node_modules') continue;
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && MODEL_FILE.test(e.name) && !/\.d\.[cm]?ts$/.test(e.name)) out.push({ file: p, named: false });
    }
  };
  for (const ref of paths) {
    const p = resolve(cwd, ref);
    if (!existsSync(p)) throw new McError('MC148', `${q(ref)} does not exist (give model files or folders of them)`);
    if (statSync(p).isDirectory()) walk(p);
    else out.push({ file: p, named: true });
  }
  return out;
}
