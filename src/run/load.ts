import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { McError, isMcError, q } from '../model/errors.ts';
import { defineModel, isModel, type Model } from '../model/define.ts';
import { PACKAGE_ROOT, packageModuleUrl } from '../model/package-root.ts';
import { moduleTexts } from './source-digest.ts';
import { shareEntryWithCommonJs } from './entry-instance.ts';
import { moduleHooksForModelFiles } from './worker-bootstrap.ts';

/**
 * The built-in models: the index of the package's models/ folder, loaded at
 * run time like any model file, so that the engine does not depend on the
 * models it ships with.
 */
export async function builtinModels(): Promise<readonly Model[]> {
  const index = (await import(packageModuleUrl('models/index').href)) as { builtinModels: readonly Model[] };
  return index.builtinModels;
}

/**
 * The built-in model of that name, or null. Only the package's own models are
 * looked up: whatever the name, no file is imported for it, so a name read
 * from a trace file is safe to pass here.
 */
export async function builtinModel(name: string): Promise<Model | null> {
  return (await builtinModels()).find((x) => x.name === name) ?? null;
}

/** A model reference that names a file rather than a built-in model. */
export const looksLikeModelPath = (ref: string): boolean => /[\\/]/.test(ref) || /\.(m?[jt]s|c[jt]s)$/.test(ref);

const EXPORT_HOW = 'write: export default defineModel({...}) in an ES module or TypeScript, module.exports = defineModel({...}) in CommonJS';

/**
 * Load, in a search or helper thread, the model the command resolved (a
 * built-in model name, or a model file's absolute path): its errors name the
 * file by its path from the working directory, as the command's own did, not
 * by the absolute path.
 */
export function loadResolvedModel(model: string): Promise<Model> {
  if (!isAbsolute(model)) return loadModel(model);
  const rel = relative(process.cwd(), model);
  return loadModel(rel !== '' && looksLikeModelPath(rel) ? rel : model);
}

/**
 * Resolve `<model>` as given on the command line: a built-in model name, or a
 * path to a model file (.ts or .js) relative to `cwd`, which is imported (it
 * is code, run with the user's rights: only ever a path the user typed).
 */
export async function loadModel(ref: string, cwd: string = process.cwd()): Promise<Model> {
  if (!looksLikeModelPath(ref)) {
    const m = await builtinModel(ref);
    if (m) return m;
    const builtins = await builtinModels();
    // A bare name is a built-in model's; one that names a folder or file here was most likely meant as a path.
    let here = '';
    try {
      const st = statSync(resolve(cwd, ref));
      here = st.isDirectory() ? `; ${q(ref)} here is a folder: mmcheck test ${ref} checks the model files in it` : st.isFile() ? `; a file ${q(ref)} is here: give it as ./${ref}` : '';
    } catch {
      // Nothing of that name here.
    }
    throw new McError('MC138', `unknown model ${q(ref)} (models: ${builtins.map((x) => x.name).join(', ')}; or give a path to a model file${here})`);
  }
  const file = resolve(cwd, ref);
  let kind: string;
  try {
    const st = statSync(file);
    kind = st.isFile() ? 'file' : st.isDirectory() ? 'directory' : 'device or special file';
  } catch {
    throw new McError('MC139', `model file ${q(ref)} does not exist`);
  }
  // Importing a device (/dev/zero) or a FIFO reads forever.
  if (kind !== 'file') throw new McError('MC137', `model file ${q(ref)} is a ${kind}, not a regular file${kind === 'directory' ? ` (mmcheck test ${ref} checks every model file in it against its expectations)` : ''}`);
  // A coded error raised while the file loads, or by the check of its export, named with the file (and the line of it that raised it).
  const inFile = (e: McError): McError => new McError(e.code, `model file ${q(ref)}: ${e.message}${userFrame(e, cwd)}`);
  let mod: Record<string, unknown>;
  await moduleHooksForModelFiles();
  await shareEntryWithCommonJs();
  try {
    mod = file.endsWith('.cts') ? requireCts(file) : ((await import(pathToFileURL(file).href)) as Record<string, unknown>);
  } catch (e) {
    if (isMcError(e)) throw inFile(e);
    const syntax = syntaxErrorAt(e, file, cwd);
    if (syntax) throw new McError('MC140', `model file ${q(ref)} failed to load: syntax error at ${syntax}`);
    throw new McError('MC140', `model file ${q(ref)} failed to load: ${firstLine(e)}`);
  }
  let m: unknown;
  let exported: boolean;
  let found: Model[];
  try {
    // A CommonJS module's exports object is its default export: `exports.default = ...` (as TypeScript compiles `export default` to CommonJS) and `exports.model = ...` are one level down.
    const d = mod.default as Record<string, unknown> | undefined;
    const inner = typeof d === 'object' && d !== null && !isModel(d) ? [d.default, d.model] : [];
    found = [...new Set([mod.default, mod.model, ...inner].filter((x) => isModel(x)))] as Model[];
    m = found[0];
    exported = m !== undefined;
  } catch (e) {
    // An export that throws when it is looked at (a Proxy, a getter).
    throw new McError('MC141', `model file ${q(ref)}: its export cannot be read (${firstLine(e)}); ${EXPORT_HOW}`);
  }
  // A default export and an export named `model` that are different models: which one is checked would be a guess, and a
  // file whose default is the fixed model and whose `model` the broken one (or the other way round) would pass without a word.
  if (found.length > 1)
    throw new McError('MC141', `model file ${q(ref)} exports two different models, ${found.map((x) => q(x.name)).join(' and ')} (its default export and its export named model): export the one to check, as default, or give each model a file of its own`);
  if (!exported) {
    const named = modelsExportedAs(mod);
    const also = named.length > 0 ? `; it exports ${named.length === 1 ? 'a model' : 'models'} under another name (${named.join(', ')}), which mmcheck does not pick: export the one to check as default` : '';
    throw Object.assign(new McError('MC141', `model file ${q(ref)} does not export a model (${EXPORT_HOW})${also}`), { exportsFunction: exportsAFunction(mod) });
  }
  // A copy: the module's own object may also be a built-in model (models/dining.ts by path), which must keep no source, and the hash it has by name.
  // (Only a file of the package can be one: a user's model file does not import the built-in models for it.)
  const builtin = file.startsWith(fileURLToPath(PACKAGE_ROOT)) && (await builtinModels()).includes(m as Model);
  // The export is recognised by its kind alone (a model from another copy of the package is one too), so an object that
  // only says it is a model ({ kind: 'mmcheck-model' }, a copy with a throwing getter) is checked again as defineModel
  // checks a definition: what the engine reads of it is then what defineModel returned, or a coded error.
  let checked: Model;
  try {
    checked = defineModel((m as Model).def as Parameters<typeof defineModel>[0]);
  } catch (e) {
    if (isMcError(e)) throw inFile(e);
    throw new McError('MC141', `model file ${q(ref)}: its export cannot be read (${firstLine(e)}); ${EXPORT_HOW}`);
  }
  const texts = builtin ? null : moduleTexts(file);
  const builtinDigest = builtin ? (m as Model).builtinDigest : undefined;
  return { ...checked, source: file, ...(builtinDigest !== undefined ? { builtinDigest } : {}), ...(texts ? { sourceDigest: texts.digest, ...(texts.threadVarying ? { threadVarying: texts.threadVarying } : {}) } : {}) };
}

/** The names of a module's other exports that are models (`export const a = defineModel(...)`); none when reading them throws. */
function modelsExportedAs(mod: Record<string, unknown>): string[] {
  try {
    const d = mod.default;
    const cjs = typeof d === 'object' && d !== null ? Object.entries(d) : [];
    return [...new Set([...Object.entries(mod), ...cjs].filter(([k, v]) => k !== 'default' && isModel(v)).map(([k]) => k))];
  } catch {
    return [];
  }
}

/** Whether a module exports a function (a helper module, a factory of models), directly or on its CommonJS exports object. */
function exportsAFunction(mod: Record<string, unknown>): boolean {
  try {
    const d = mod.default;
    const cjs = typeof d === 'object' && d !== null ? Object.values(d) : [];
    return [...Object.values(mod), ...cjs].some((x) => typeof x === 'function');
  } catch {
    return false;
  }
}

/**
 * A .cts model file, loaded by require() rather than import(). Imported,
 * Node 20 runs it with the ES module loader's own CommonJS wrapper, whose
 * require() of an ES module (the package entry) fails under loader hooks
 * (ERR_VM_MODULE_LINK_FAILURE); required, it goes through tsx's CommonJS hook
 * and finds the engine's own entry (entry-instance.ts). The result is shaped
 * as import() shapes a CommonJS module: `module.exports` is the default
 * export unless the file was compiled from `export` syntax.
 */
function requireCts(file: string): Record<string, unknown> {
  const x: unknown = createRequire(file)(file);
  if (typeof x === 'object' && x !== null && (x as { __esModule?: unknown }).__esModule === true) return x as Record<string, unknown>;
  return { ...(typeof x === 'object' && x !== null ? x : {}), default: x };
}

function firstLine(e: unknown): string {
  let msg: string;
  try {
    msg = typeof e === 'object' && e !== null && typeof (e as Error).message === 'string' ? (e as Error).message : String(e);
  } catch {
    // A thrown Proxy or an object whose message getter throws.
    msg = q(e);
  }
  return msg.split('\n').find((l) => l.trim() !== '') ?? msg;
}

/**
 * Where a syntax error is, as `file:line:column: message`, or null when `e`
 * is not one. Three shapes reach here: esbuild's transform failure (tsx,
 * for .ts and most .js: `errors[].location`, and the same in the message as
 * `file:line:col: ERROR: text`), node's CommonJS SyntaxError (the stack
 * starts with `file:line`, the source line and a caret), and node's ES
 * module SyntaxError, which carries no position at all: the file is then
 * parsed again, without running it, by `node --check`, which prints the
 * CommonJS shape.
 */
/**
 * Where in the user's files a coded error thrown while a model file loaded
 * was raised, as ` (at file:line:col)`: the first frame of its stack outside
 * mmcheck's own code and Node's (a domain built with bad bounds, `int(5, 2)`,
 * names only the call), or '' when there is none.
 */
function userFrame(e: unknown, cwd: string): string {
  const stack = typeof (e as Error | null)?.stack === 'string' ? (e as Error).stack! : '';
  const own = [fileURLToPath(new URL('src/', PACKAGE_ROOT)), fileURLToPath(new URL('dist/', PACKAGE_ROOT)), `${sep}node_modules${sep}`];
  for (const line of stack.split('\n')) {
    const m = /^\s+at (?:.*\()?((?:file:\/\/)?\/[^()]*?):(\d+):(\d+)\)?$/.exec(line);
    if (!m) continue;
    const file = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
    if (own.some((o) => file.includes(o))) continue;
    return ` (at ${relative(cwd, file) || file}:${m[2]}:${m[3]})`;
  }
  return '';
}

function syntaxErrorAt(e: unknown, file: string, cwd: string): string | null {
  if (typeof e !== 'object' || e === null) return null;
  const shown = (f: string) => relative(cwd, f) || f;
  const errors = (e as { errors?: unknown }).errors;
  if (Array.isArray(errors)) {
    const first = errors[0] as { text?: unknown; location?: { file?: unknown; line?: unknown; column?: unknown } | null } | undefined;
    const loc = first?.location;
    if (loc && typeof loc.line === 'number' && typeof loc.column === 'number' && typeof first?.text === 'string')
      return `${shown(typeof loc.file === 'string' ? resolve(cwd, loc.file) : file)}:${loc.line}:${loc.column + 1}: ${first.text}`;
  }
  const msg = typeof (e as Error).message === 'string' ? (e as Error).message : '';
  const esb = /^(.+?):(\d+):(\d+): ERROR: (.+)$/m.exec(msg);
  if (esb) return `${shown(esb[1]!)}:${esb[2]}:${Number(esb[3]) + 1}: ${esb[4]}`;
  if ((e as Error).name !== 'SyntaxError') return null;
  const at = (pos: string) => {
    const m = /^(.*?)(:\d+(?::\d+)?)$/.exec(pos)!;
    return `${shown(m[1]!)}${m[2]}: ${msg}`;
  };
  const fromStack = caretPosition(String((e as Error).stack ?? ''));
  if (fromStack) return at(fromStack);
  const check = spawnSync(process.execPath, ['--check', file], { encoding: 'utf8', timeout: 10_000 });
  const checked = caretPosition(check.stderr ?? '', true);
  return checked ? at(checked) : `${shown(file)}: ${msg}`;
}

/**
 * `/path/file.js:2\n  source line\n       ^` → `/path/file.js:2:8`, the
 * caret's 1-based column; a position with no caret under it (the end of the
 * input: "Unexpected end of input" names the line after the last) → the line
 * alone, `/path/file.js:2`, when `lineAlone` (the text starts with it).
 */
function caretPosition(text: string, lineAlone = false): string | null {
  const t = text.replace(/^file:\/\//, '');
  const m = /^(\S.*?):(\d+)\r?\n(.*)\r?\n( *)\^/m.exec(t);
  if (m) return `${m[1]!}:${m[2]}:${m[4]!.length + 1}`;
  // (Only where the text starts with the position, as node --check's does: a stack's first line is the message.)
  const line = lineAlone ? /^(\S.*?):(\d+)\r?\n/.exec(t) : null;
  return line ? `${line[1]!}:${line[2]}` : null;
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
  // A file reached twice (`models models/a.ts`, a folder given twice) is checked once, as named if it was named.
  const once = new Map<string, { file: string; named: boolean }>();
  for (const f of out) {
    const seen = once.get(f.file);
    if (seen === undefined) once.set(f.file, f);
    else if (f.named) seen.named = true;
  }
  return [...once.values()];
}
