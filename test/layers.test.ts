import test from 'ava';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * The engine's layers import one way (docs/internals.md):
 * model → layout → store → exec → reduce → search → trace → report → run → cli.
 * A module may import from its own layer and from layers to its left; the
 * package entry src/index.ts may import any layer but the command line.
 * Nothing under src/ imports the models, tests or benchmarks (package.json,
 * which holds the version, is data and may be read), and the
 * searches stay pure: no process, file system, threads or OS queries.
 */
const LAYERS = ['model', 'layout', 'store', 'exec', 'reduce', 'search', 'trace', 'report', 'run', 'cli'] as const;
const SRC = resolve('src');
const OUTSIDE = ['models', 'test', 'bench'];
/** Node built-ins a pure layer must not import. */
const IMPURE = /^(node:)?(fs|fs\/promises|worker_threads|os|child_process|process)$/;
const PURE_LAYERS = new Set(['model', 'layout', 'store', 'exec', 'reduce', 'search']);

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (/\.(m?[jt]s)$/.test(name)) out.push(p);
  }
  return out;
}

/** Comments removed (block comments, and line comments on lines of their own), so that examples in prose are not taken for imports. */
function code(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
}

/** Every module specifier a file imports: static imports and re-exports, side-effect imports, dynamic import() of a string literal. */
function importsOf(text: string): string[] {
  const src = code(text);
  const specs: string[] = [];
  const patterns = [
    /\b(?:import|export)\s+(?:type\s+)?(?:[\w*$]+\s*,?\s*)?(?:\{[^}]*\}\s*)?(?:\*\s+as\s+[\w$]+\s*)?from\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const re of patterns) for (const m of src.matchAll(re)) specs.push(m[1]!);
  return specs;
}

function layerOf(file: string): string {
  const rel = relative(SRC, file);
  return rel.includes(sep) ? rel.split(sep)[0]! : 'index';
}

/** The offending imports of the files under `root` (as `file: specifier (reason)` lines). */
function layerViolations(root: string, read: (file: string) => string = (f) => readFileSync(f, 'utf8')): string[] {
  const bad: string[] = [];
  for (const file of sourceFiles(root)) {
    const from = layerOf(file);
    const fromRank = LAYERS.indexOf(from as (typeof LAYERS)[number]);
    const where = relative(process.cwd(), file);
    const text = read(file);
    for (const spec of importsOf(text)) {
      if (!spec.startsWith('.')) {
        if (PURE_LAYERS.has(from) && IMPURE.test(spec)) bad.push(`${where}: ${spec} (layer ${from} does no I/O)`);
        continue;
      }
      const target = resolve(dirname(file), spec);
      const rel = relative(SRC, target);
      if (rel.startsWith('..')) {
        // The package manifest is data (the version is read from it, written down once).
        if (target === resolve('package.json')) continue;
        const top = relative(process.cwd(), target).split(sep)[0]!;
        bad.push(`${where}: ${spec} (${OUTSIDE.includes(top) ? `src/ must not import ${top}/` : 'outside src/'})`);
        continue;
      }
      const to = layerOf(target);
      if (to === 'index') {
        bad.push(`${where}: ${spec} (only users import the package entry)`);
        continue;
      }
      const toRank = LAYERS.indexOf(to as (typeof LAYERS)[number]);
      if (toRank < 0) {
        bad.push(`${where}: ${spec} (unknown layer ${to})`);
        continue;
      }
      if (from === 'index') {
        if (to === 'cli') bad.push(`${where}: ${spec} (the package entry must not import the command line)`);
        continue;
      }
      if (fromRank < 0) bad.push(`${where}: ${spec} (file outside every layer)`);
      else if (toRank > fromRank) bad.push(`${where}: ${spec} (${from} imports ${to}, a layer to its right)`);
    }
    if (PURE_LAYERS.has(from) && /\bprocess\.\w/.test(code(text).replace(/(['"`])(?:\\.|(?!\1)[^\\])*\1/g, '""')))
      bad.push(`${where}: uses process (layer ${from} does no I/O)`);
  }
  return bad;
}

test('every import under src/ points left (or within its layer); nothing imports models, tests or benchmarks', (t) => {
  const bad = layerViolations(SRC);
  t.deepEqual(bad, [], `imports against the layer order:\n${bad.join('\n')}`);
});

test('the checker sees what it must: static, type-only, re-export, side-effect and dynamic imports', (t) => {
  t.deepEqual(
    importsOf(`import a from './a.ts';\nimport type { B } from "../b.ts";\nexport { c } from './c.ts';\nexport * from './d.ts';\nimport './e.ts';\nconst f = await import('./f.ts');\nimport {\n  g,\n  h,\n} from './g.ts';\n// import x from './comment.ts';\n`),
    ['./a.ts', '../b.ts', './c.ts', './d.ts', './g.ts', './e.ts', './f.ts'],
  );
});

test('a search that imports the command line, a store that imports a model file, and a pure layer that reads files are each reported', (t) => {
  const planted: Record<string, string> = {
    [join(SRC, 'search', 'check.ts')]: "import { loadModel } from '../run/load.ts';\n",
    [join(SRC, 'store', 'store.ts')]: "import { builtinModels } from '../../models/index.ts';\n",
    [join(SRC, 'exec', 'runtime.ts')]: "import { readFileSync } from 'node:fs';\n",
    [join(SRC, 'index.ts')]: "export { main } from './cli/main.ts';\n",
  };
  const bad = layerViolations(SRC, (f) => planted[f] ?? readFileSync(f, 'utf8'));
  t.is(bad.length, 4, bad.join('\n'));
  t.true(bad.some((b) => b.includes('search imports run')));
  t.true(bad.some((b) => b.includes('src/ must not import models/')));
  t.true(bad.some((b) => b.includes('node:fs (layer exec does no I/O)')));
  t.true(bad.some((b) => b.includes('must not import the command line')));
});
