import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { McError, q } from '../model/errors.ts';
import { isModel, type Model } from '../model/define.ts';
import { builtinModels } from '../../models/index.ts';

/** Resolve `<model>`: a built-in model name, or a path to a model file (.ts or .js) relative to `cwd`. */
export async function loadModel(ref: string, cwd: string = process.cwd()): Promise<Model> {
  const looksLikePath = /[\\/]/.test(ref) || /\.(m?[jt]s)$/.test(ref);
  if (!looksLikePath) {
    const m = builtinModels.find((x) => x.name === ref);
    if (m) return m;
    throw new McError('MC138', `unknown model ${q(ref)} (models: ${builtinModels.map((x) => x.name).join(', ')}; or give a path to a model file)`);
  }
  const file = resolve(cwd, ref);
  if (!existsSync(file)) throw new McError('MC139', `model file ${q(ref)} does not exist`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (e) {
    if (e instanceof McError) throw new McError(e.code, `model file ${q(ref)}: ${e.message}`);
    throw new McError('MC140', `model file ${q(ref)} failed to load: ${(e as Error).message?.split('\n')[0] ?? String(e)}`);
  }
  const m = mod.default ?? mod.model;
  if (!isModel(m)) throw new McError('MC141', `model file ${q(ref)} does not export a model (write: export default defineModel({...}))`);
  m.source = file;
  return m;
}
