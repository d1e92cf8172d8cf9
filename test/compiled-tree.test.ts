/**
 * A checkout runs its compiled tree (dist/) only while it is exactly its
 * sources compiled (src/run/compiled-tree.ts): the digest the build records,
 * what changes it, which tree the command line and its threads then run,
 * and that `npm test` itself runs with a matching dist/ (its threads load
 * the compiled engine, not hundreds of copies of the sources through tsx).
 */
import test from 'ava';
import { appendFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { TREE_FILE, compiledTreeMatches, compiledUrlOf, sourceTreeDigest, writeSourceTree } from '../src/run/compiled-tree.ts';
import { workerBootstrapUrl } from '../src/run/worker-bootstrap.ts';
import { buildCompiledTree, type Compile } from '../src/run/build-tree.ts';
import { run, type Run } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

/** A package root with the build's inputs: two source files, a model, the two compiler settings, and dist/. */
function fakeTree(): string {
  const root = tempDir('mmcheck-tree-');
  mkdirSync(join(root, 'src', 'run'), { recursive: true });
  mkdirSync(join(root, 'models'));
  mkdirSync(join(root, 'dist'));
  writeFileSync(join(root, 'src', 'index.ts'), 'export const a = 1;\n');
  writeFileSync(join(root, 'src', 'run', 'x.ts'), 'export const x = 2;\n');
  writeFileSync(join(root, 'models', 'm.ts'), 'export default 3;\n');
  writeFileSync(join(root, 'tsconfig.json'), '{}\n');
  writeFileSync(join(root, 'tsconfig.build.json'), '{}\n');
  return root;
}

test('the digest of the sources changes with any file of src/ or models/ (edited, added, removed, renamed) or the compiler settings, and with nothing else', (t) => {
  const root = fakeTree();
  const d0 = sourceTreeDigest(root);
  t.is(sourceTreeDigest(root), d0);
  // Files the build does not compile from: tests, docs, dist/ itself.
  mkdirSync(join(root, 'test'));
  writeFileSync(join(root, 'test', 'a.test.ts'), 'x');
  writeFileSync(join(root, 'dist', 'y.js'), 'y');
  writeFileSync(join(root, 'README.md'), 'z');
  t.is(sourceTreeDigest(root), d0);
  const changes: [string, () => void, () => void][] = [
    ['an edit', () => writeFileSync(join(root, 'src', 'run', 'x.ts'), 'export const x = 3;\n'), () => writeFileSync(join(root, 'src', 'run', 'x.ts'), 'export const x = 2;\n')],
    ['an added file', () => writeFileSync(join(root, 'src', 'run', 'y.ts'), ''), () => rmSync(join(root, 'src', 'run', 'y.ts'))],
    ['a removed model', () => rmSync(join(root, 'models', 'm.ts')), () => writeFileSync(join(root, 'models', 'm.ts'), 'export default 3;\n')],
    ['a renamed file', () => renameSync(join(root, 'src', 'index.ts'), join(root, 'src', 'main.ts')), () => renameSync(join(root, 'src', 'main.ts'), join(root, 'src', 'index.ts'))],
    ['the build settings', () => writeFileSync(join(root, 'tsconfig.build.json'), '{"x":1}\n'), () => writeFileSync(join(root, 'tsconfig.build.json'), '{}\n')],
    ['a missing tsconfig.json', () => rmSync(join(root, 'tsconfig.json')), () => writeFileSync(join(root, 'tsconfig.json'), '{}\n')],
    // A file's bytes moved to the next file: lengths are part of the digest.
    ['text moved between files', () => (writeFileSync(join(root, 'src', 'index.ts'), 'export const a = 1;\nexport'), writeFileSync(join(root, 'src', 'run', 'x.ts'), ' const x = 2;\n')), () => (writeFileSync(join(root, 'src', 'index.ts'), 'export const a = 1;\n'), writeFileSync(join(root, 'src', 'run', 'x.ts'), 'export const x = 2;\n'))],
  ];
  for (const [what, change, undo] of changes) {
    change();
    t.not(sourceTreeDigest(root), d0, what);
    undo();
    t.is(sourceTreeDigest(root), d0, `${what}, undone`);
  }
});

test('dist/ matches the sources only after the build recorded them, and only until one changes; a damaged record matches nothing', (t) => {
  const root = fakeTree();
  t.false(compiledTreeMatches(root), 'no record: no build, or one that stopped before its last step');
  writeSourceTree(root);
  t.true(compiledTreeMatches(root));
  const record = JSON.parse(readFileSync(join(root, 'dist', TREE_FILE), 'utf8')) as { format: string; digest: string };
  t.is(record.format, 'mmcheck-source-tree/1');
  t.is(record.digest, sourceTreeDigest(root));
  appendFileSync(join(root, 'models', 'm.ts'), '// edited\n');
  t.false(compiledTreeMatches(root));
  writeSourceTree(root);
  t.true(compiledTreeMatches(root));
  for (const damaged of ['', '{', 'null', '[]', JSON.stringify({ ...record, format: 'mmcheck-source-tree/2' }), JSON.stringify({ format: record.format }), JSON.stringify({ ...record, digest: 7 })]) {
    writeFileSync(join(root, 'dist', TREE_FILE), damaged);
    t.false(compiledTreeMatches(root), damaged);
  }
  t.is(readFileSync(join(root, 'dist', TREE_FILE), 'utf8'), JSON.stringify({ ...record, digest: 7 }));
  // A source that cannot be read matches nothing (the sources then run, and report it themselves).
  writeSourceTree(root);
  t.true(compiledTreeMatches(root));
  symlinkSync(join(root, 'models'), join(root, 'src', 'linked'));
  t.false(compiledTreeMatches(root));
});

/** A compiler for `fakeTree`: each source's text into `dist/<path>.js` of the build's copy, with `mark` appended. */
const fakeCompile = (mark: string, also: () => void = () => {}): Compile => (stage) => {
  for (const f of ['src/index.ts', 'src/run/x.ts', 'models/m.ts']) {
    const out = join(stage, 'dist', f.replace(/\.ts$/, '.js'));
    mkdirSync(join(out, '..'), { recursive: true });
    writeFileSync(out, readFileSync(join(stage, f), 'utf8') + mark);
  }
  also();
};

/** The files under `dir`, by path from it, with their text. */
function filesOf(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of readdirSync(dir, { recursive: true, withFileTypes: true })) if (e.isFile()) out[join(e.parentPath, e.name).slice(dir.length + 1)] = readFileSync(join(e.parentPath, e.name), 'utf8');
  return out;
}

const buildLeftovers = (root: string): string[] => readdirSync(root).filter((f) => f.startsWith('.build-'));

test('the build swaps in a whole new dist/ with its record, and leaves the previous one whole when it fails; --if-stale builds only when dist/ is not the sources compiled', (t) => {
  const root = fakeTree();
  rmSync(join(root, 'dist'), { recursive: true });
  t.true(buildCompiledTree(root, { compile: fakeCompile('// 1\n') }));
  t.true(compiledTreeMatches(root));
  const first = filesOf(join(root, 'dist'));
  t.is(first['src/run/x.js'], 'export const x = 2;\n// 1\n');
  t.deepEqual(Object.keys(first).sort(), ['models/m.js', 'models/source-digests.json', 'source-tree.json', 'src/index.js', 'src/run/x.js']);
  t.deepEqual(buildLeftovers(root), []);

  // A file the previous build made that the next does not is gone (the new tree is made afresh).
  writeFileSync(join(root, 'dist', 'src', 'stale.js'), 'x');
  t.false(buildCompiledTree(root, { ifStale: true, compile: () => t.fail('built although dist/ matched') }));
  t.true(existsSync(join(root, 'dist', 'src', 'stale.js')));
  t.true(buildCompiledTree(root, { compile: fakeCompile('// 2\n') }));
  t.false(existsSync(join(root, 'dist', 'src', 'stale.js')));
  t.is(readFileSync(join(root, 'dist', 'src', 'index.js'), 'utf8'), 'export const a = 1;\n// 2\n');

  // A failed compile (or anything after it) leaves dist/ and its record as they were, and no copy behind.
  const before = filesOf(join(root, 'dist'));
  appendFileSync(join(root, 'src', 'index.ts'), '// edited\n');
  const failing: Compile = (stage) => {
    fakeCompile('// 3\n')(stage);
    throw new Error('the TypeScript compiler failed (exit 2)');
  };
  t.throws(() => buildCompiledTree(root, { ifStale: true, compile: failing }), { message: /compiler failed/ });
  t.deepEqual(filesOf(join(root, 'dist')), before);
  t.false(compiledTreeMatches(root), 'the record still names the sources before the edit');
  t.deepEqual(buildLeftovers(root), []);
  t.true(buildCompiledTree(root, { ifStale: true, compile: fakeCompile('// 4\n') }));
  t.true(compiledTreeMatches(root));
  t.is(readFileSync(join(root, 'dist', 'src', 'index.js'), 'utf8'), 'export const a = 1;\n// edited\n// 4\n');
});

test('a source edited while the build compiles does not make the new dist/ match: the record names the text compiled', (t) => {
  const root = fakeTree();
  t.true(buildCompiledTree(root, { compile: fakeCompile('', () => appendFileSync(join(root, 'src', 'run', 'x.ts'), '// edited during the build\n')) }));
  t.is(readFileSync(join(root, 'dist', 'src', 'run', 'x.js'), 'utf8'), 'export const x = 2;\n', 'compiled from the text before the edit');
  t.false(compiledTreeMatches(root), 'so the checkout runs its sources');
  t.true(buildCompiledTree(root, { ifStale: true, compile: fakeCompile('') }));
  t.true(compiledTreeMatches(root));
});

test('a source module maps to its compiled module: .ts under src/ or models/ only', (t) => {
  const root = resolve('/pkg');
  const u = (p: string) => pathToFileURL(join(root, p)).href;
  t.is(compiledUrlOf(root, u('src/index.ts')), u('dist/src/index.js'));
  t.is(compiledUrlOf(root, u('src/run/supervise.ts')), u('dist/src/run/supervise.js'));
  t.is(compiledUrlOf(`${root}/`, u('models/peterson.ts')), u('dist/models/peterson.js'));
  for (const other of ['test/x.ts', 'src/index.d.ts', 'src/index.js', 'examples/lock.ts', 'dist/src/index.js', 'srcx/index.ts']) t.is(compiledUrlOf(root, u(other)), null, other);
  t.is(compiledUrlOf(root, pathToFileURL('/elsewhere/src/index.ts').href), null);
  t.is(compiledUrlOf(root, 'node:fs'), null);
});

test('npm test runs with dist/ matching the sources: the threads the sources start run the compiled engine', (t) => {
  // `npm test` builds before ava; a run of ava alone after an edit runs its threads from the sources (slower, still right), and this says so.
  t.true(compiledTreeMatches(process.cwd()), 'dist/ is not the sources compiled: run npm run build (npm test does)');
  const boot = decodeURIComponent(workerBootstrapUrl(pathToFileURL(resolve('src/run/supervise.ts')).href, 'searchWorkerMain').href);
  t.true(boot.includes(JSON.stringify(pathToFileURL(resolve('dist/src/run/supervise.js')).href)), boot);
  t.false(boot.includes('tsx'), boot);
  t.true(boot.includes(`checkout: ${JSON.stringify(join(resolve('.'), '/'))}`), boot);
});

/** A summary without its time and speed. */
const timeless = (out: string): string => out.replace(/\d+\.\d+ s \([\d,]+ states\/s\)/g, 'T');

/** `bin/mmcheck.js` of the checkout copy `root`, with its stdout and stderr. */
const mmcheck = (root: string, args: readonly string[], env: Readonly<Record<string, string>> = {}): Promise<Run> =>
  run(process.execPath, [join(root, 'bin', 'mmcheck.js'), ...args], root, { MMCHECK_FROM_SOURCES: '', ...env });

test('the command line in a checkout runs dist/ while it matches the sources, in its main thread and its search threads; after an edit, or with MMCHECK_FROM_SOURCES=1, the sources', async (t) => {
  // A copy of the checkout whose compiled tree is marked: its version module says "compiled", and its search threads say so on stderr. The marks are in dist/ only, so the sources still match.
  const root = tempDir('mmcheck-checkout-');
  for (const p of ['bin', 'src', 'models', 'dist', 'package.json', 'tsconfig.json', 'tsconfig.build.json']) cpSync(resolve(p), join(root, p), { recursive: true });
  symlinkSync(resolve('node_modules'), join(root, 'node_modules'));
  t.true(compiledTreeMatches(root));
  const versionJs = join(root, 'dist', 'src', 'model', 'version.js');
  writeFileSync(versionJs, readFileSync(versionJs, 'utf8').replace(/\.version;/, ".version + '-compiled';"));
  appendFileSync(join(root, 'dist', 'src', 'run', 'supervise.js'), "\nif (!isMainThread) process.stderr.write('[compiled search thread]\\n');\n");
  appendFileSync(join(root, 'dist', 'src', 'index.js'), "\nexport const treeMark = 'compiled';\n");
  // Model files that import the engine by the path of its sources, as an ES module and in CommonJS, and say which engine they were given, in every thread that loads them.
  const index = JSON.stringify(join(root, 'src', 'index.ts'));
  const model = (name: string, engine: string) => `defineModel({ name: '${name}', shared: { locked: bool(), inside: int(0, 2) },
  threads: [0, 1].map((i) => thread('cpu' + i, { start: 'a', end: ['d'], steps: {
    a: { when: (s) => !s.locked, then: (s) => { s.locked = true; }, next: 'b' },
    b: { then: (s) => { s.inside = s.inside + 1; }, next: 'c' },
    c: { then: (s) => { s.inside = s.inside - 1; s.locked = false; }, next: 'd' },
  } })),
  invariants: { mutex: (s) => s.inside < 2 } });
process.stderr.write('[${name} was given the engine of the ' + (${engine}.treeMark ?? 'sources') + ']\\n');
`;
  writeFileSync(join(root, 'esm.ts'), `import * as engine from ${index};\nconst { defineModel, thread, int, bool } = engine;\nexport default ${model('esm', '(engine as Record<string, unknown>)')}`);
  writeFileSync(join(root, 'cjs.cjs'), `const engine = require(${index});\nconst { defineModel, thread, int, bool } = engine;\nmodule.exports = ${model('cjs', 'engine')}`);
  const given = async (env: Readonly<Record<string, string>>): Promise<string[]> => {
    const lines: string[] = [];
    for (const f of ['esm.ts', 'cjs.cjs']) {
      const r = await mmcheck(root, ['check', f, '--workers', '2'], env);
      t.is(r.code, 0, r.err);
      lines.push(...new Set(r.err.match(/^\[.* was given .*\]$/gm)));
    }
    return lines;
  };
  const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
  const check = ['check', 'peterson', '-p', 'n=2', '--workers', '2'];

  t.is((await mmcheck(root, ['--version'])).out, `mmcheck ${version}-compiled\n`);
  const compiled = await mmcheck(root, check);
  t.is(compiled.code, 0, compiled.err);
  t.regex(compiled.err, /\[compiled search thread\]/);
  t.deepEqual(await given({}), ['[esm was given the engine of the compiled]', '[cjs was given the engine of the compiled]']);

  for (const [what, env] of [['MMCHECK_FROM_SOURCES=1', { MMCHECK_FROM_SOURCES: '1' }], ['an edited source', {}]] as const) {
    if (what === 'an edited source') appendFileSync(join(root, 'src', 'model', 'errors.ts'), '\n// edited after the build\n');
    t.is((await mmcheck(root, ['--version'], env)).out, `mmcheck ${version}\n`, what);
    const sources = await mmcheck(root, check, env);
    t.is(sources.code, 0, sources.err);
    t.false(sources.err.includes('[compiled search thread]'), `${what}: ${sources.err}`);
    t.is(timeless(sources.out), timeless(compiled.out), what);
    t.deepEqual(await given(env), ['[esm was given the engine of the sources]', '[cjs was given the engine of the sources]'], what);
  }
});
