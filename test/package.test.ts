import test, { type ExecutionContext } from 'ava';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { builtinModels } from '../models/index.ts';
import { buildModel } from '../src/index.ts';
import { Runtime } from '../src/exec/runtime.ts';
import { modelHash } from '../src/trace/decode.ts';
import { compiledTreeMatches } from '../src/run/compiled-tree.ts';
import { cli, run, type Run } from './helpers/cli.ts';
import { tempDir } from './helpers/tmp.ts';

/**
 * The package as a user gets it: `npm pack` (which builds dist/ through the
 * prepare script), then the tarball installed into two fresh projects, npm's
 * default CommonJS one and an ES module one. In each: the bin checks model
 * files of every extension, plain node imports and requires the API, and a
 * strict TypeScript consumer type-checks against the shipped declarations
 * alone. The tarball's runtime dependencies come from npm's cache (filled by
 * `npm ci`); the registry is asked only when the cache lacks them.
 */

/**
 * The installed bin: through npx for the model.ts runs, as the README says to run it, and
 * otherwise by its path in node_modules (the file npx runs, without npx's start-up).
 */
function mmcheck(dir: string, args: readonly string[], viaNpx = false, env: Record<string, string> = {}): Promise<Run> {
  return viaNpx ? run(npx, ['--no', '--', 'mmcheck', ...args], dir, env) : run(process.execPath, [join(dir, 'node_modules', 'mmcheck', 'bin', 'mmcheck.js'), ...args], dir, env);
}

/** A helper that joins the search at its first round, waited for until it has (or has failed): a small model searched by two threads. */
const helperJoins = { MMCHECK_JOIN_AFTER_MS: '0', MMCHECK_WAIT_JOIN_MS: '60000' };

const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
const npx = process.platform === 'win32' ? 'npx.cmd' : 'npx';
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const version = (JSON.parse(readFileSync('package.json', 'utf8')) as { version: string }).version;
const root = tempDir('mmcheck-package-');

/** A model with an array and replicated threads: 3 threads of 3 labels, every interleaving: 27 states, 54 transitions. */
const N = 3;
const STATES = 27;
const TRANSITIONS = 54;
const definition = `{
  name: 'flags',
  params: { n: int(2, 4, ${N}) },
  shared: ({ n }) => ({ flag: array(n, bool()), hits: int(0, n) }),
  threads: ({ n }) => [
    replicate(n, 'w', {
      start: 'raise',
      end: ['done'],
      steps: {
        raise: { then: (s, me) => { s.flag.set(me.id, true); }, next: 'bump' },
        bump: { then: (s) => { s.hits = s.hits + 1; }, next: 'done' },
      },
    }),
  ],
  invariants: { bounded: (s) => s.hits <= ${N} },
}`;

/**
 * Written to stderr by every model file as it loads: whether the package
 * entry it got is the engine's own instance, in the main thread and in each
 * worker. The engine runs the ES module at dist/src/index.js: an ES module
 * model imports that module again by its file URL and compares; a CommonJS
 * model checks that require('mmcheck') named that file and returned the ES
 * module itself (a namespace object), not a CommonJS copy of it.
 */
const engineFile = "require('node:path').join(process.cwd(), 'node_modules', 'mmcheck', 'dist', 'src', 'index.js')";
const report = (same: string) =>
  `process.stderr.write('instance: ' + (${same} ? 'same' : 'different') + ' ' + (require('node:worker_threads').isMainThread ? 'main' : 'worker') + '\\n');`;
const esmModel = `import { defineModel, array, bool, int, replicate } from 'mmcheck';
import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const engine = await import(require('node:url').pathToFileURL(${engineFile}).href);
${report('engine.defineModel === defineModel')}
export default defineModel(${definition});
`;
const cjsProbe = report(`require.resolve('mmcheck') === ${engineFile} && Object.prototype.toString.call(require('mmcheck')) === '[object Module]'`);
const cjsModel = `const { defineModel, array, bool, int, replicate } = require('mmcheck');\n${cjsProbe}\nmodule.exports = defineModel(${definition});\n`;
/** TypeScript's \`import\` syntax, compiled to require() where the file is CommonJS (a .cts, a .ts in a CommonJS project). */
const tsModel = `import { defineModel, array, bool, int, replicate } from 'mmcheck';\n${cjsProbe}\nexport default defineModel(${definition});\n`;

const apiCall = `const m = defineModel(${definition});\nconst r = check(m);\nconsole.log(JSON.stringify({ verdict: r.verdict, states: r.stats.states, transitions: r.stats.transitions }));\n`;
const consumer = `import { defineModel, array, bool, int, replicate, check, isMcError, type CheckResult, type Model } from 'mmcheck';
const m: Model = defineModel(${definition});
const r: CheckResult = check(m, { strategy: 'dfs' });
const verdict: 'pass' | 'violation' | 'incomplete' = r.verdict;
const states: number = r.stats.states;
// @ts-expect-error a verdict is one of three strings
const wrong: 'maybe' = r.verdict;
export const summary = { verdict, states, wrong, coded: isMcError(null) };
`;

interface Project {
  dir: string;
  /**
   * Model files by name, each of another base name: tsx resolves an import
   * of model.js to a model.ts beside it.
   */
  models: Record<string, string>;
}

/** Six threads counting to 7 each: 9^6 states, in levels wide enough (thousands of states) for a helper to join the rounds. */
const wideDefinition = `{
  name: 'wide',
  shared: { c: array(6, int(0, 7)) },
  threads: [
    replicate(6, 'w', {
      start: 'go',
      end: ['done'],
      steps: {
        go: { when: (s, me) => s.c.get(me.id) < 7, then: (s, me) => { s.c.set(me.id, s.c.get(me.id) + 1); }, next: 'go' },
        stop: { at: 'go', when: (s, me) => s.c.get(me.id) === 7, next: 'done' },
      },
    }),
  ],
}`;
const wide = (model: string) => model.replace(definition, wideDefinition);

const projects: Record<'commonjs' | 'esm', Project> = {
  commonjs: {
    dir: join(root, 'commonjs'),
    models: { 'model.ts': tsModel, 'model-js.js': cjsModel, 'model-cts.cts': tsModel, 'model-mts.mts': esmModel, 'wide.ts': wide(tsModel) },
  },
  esm: {
    dir: join(root, 'esm'),
    models: { 'model.ts': esmModel, 'model-js.js': esmModel, 'model-mjs.mjs': esmModel, 'model-cjs.cjs': cjsModel, 'wide.ts': wide(esmModel) },
  },
};

let tarball = '';
let files: string[] = [];
/** Set when the runtime dependencies are neither in npm's cache nor reachable: the tests then say so and pass. */
let unreachable: string | null = null;

async function install(dir: string): Promise<void> {
  const args = ['install', tarball, '--no-audit', '--no-fund'];
  const offline = await run(npm, [...args, '--offline'], dir);
  if (offline.code === 0) return;
  // Not all in the cache: the registry may fill the gap.
  const online = await run(npm, [...args, '--prefer-offline'], dir);
  if (online.code === 0) return;
  if (/E(NOTFOUND|AI_AGAIN|CONNREFUSED|CONNRESET|TIMEDOUT|NETUNREACH|NOTCACHED)|network/i.test(online.err)) {
    unreachable = `npm registry unreachable and npm's cache lacks the runtime dependencies: ${online.err.split('\n').find((l) => /ERR/.test(l)) ?? online.err.slice(0, 200)}`;
    return;
  }
  throw new Error(`npm install of the tarball failed in ${dir}:\n${online.err}`);
}

/** Whether the tarball could not be installed for want of the registry (said, and the test passes). */
function skipped(t: ExecutionContext): boolean {
  if (unreachable === null) return false;
  t.log(`skipped: ${unreachable}`);
  console.warn(`package test skipped: ${unreachable}`);
  t.pass();
  return true;
}

test.before(async () => {
  // The tarball of dist/ as it is, which npm test has just built (npm pack would build it again, emptying dist/ first, under the threads of the tests running beside this file, which load it).
  if (!compiledTreeMatches(resolve('.'))) throw new Error('dist/ is not the sources compiled: run npm run build (npm test does) before this file');
  const pack = await run(npm, ['pack', '--ignore-scripts', '--json', '--pack-destination', root], resolve('.'));
  if (pack.code !== 0) throw new Error(`npm pack failed:\n${pack.err}`);
  const info = (JSON.parse(pack.out.slice(pack.out.indexOf('['))) as { filename: string; files: { path: string }[] }[])[0]!;
  tarball = join(root, info.filename);
  files = info.files.map((f) => f.path).sort();
  // One process at a time, here and in the tests (serial): this file runs beside the rest
  // of the suite, some of whose tests watch the clock.
  for (const [kind, p] of Object.entries(projects)) {
    mkdirSync(p.dir);
    const manifest = { name: `consumer-${kind}`, version: '1.0.0', private: true, ...(kind === 'esm' ? { type: 'module' } : {}) };
    if (kind === 'commonjs') {
      // npm's own default project.
      const init = await run(npm, ['init', '-y'], p.dir);
      if (init.code !== 0) throw new Error(`npm init failed:\n${init.err}`);
    } else writeFileSync(join(p.dir, 'package.json'), JSON.stringify(manifest, null, 2));
    for (const [name, text] of Object.entries(p.models)) writeFileSync(join(p.dir, name), text);
    writeFileSync(join(p.dir, 'api.mjs'), `import { defineModel, array, bool, int, replicate, check } from 'mmcheck';\n${apiCall}`);
    writeFileSync(join(p.dir, 'api.cjs'), `const { defineModel, array, bool, int, replicate, check } = require('mmcheck');\n${apiCall}`);
    writeFileSync(join(p.dir, 'consumer.ts'), consumer);
    writeFileSync(
      join(p.dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { strict: true, module: 'nodenext', moduleResolution: 'nodenext', target: 'es2022', noEmit: true, skipLibCheck: false, types: [] }, files: ['consumer.ts'] }),
    );
    await install(p.dir);
  }
});

test.after.always(() => {
  rmSync(root, { recursive: true, force: true });
});

test.serial('the tarball ships the compiled package, its declarations, schemas and bin, and no sources, tests, benchmarks or traces', (t) => {
  if (skipped(t)) return;
  for (const f of ['package.json', 'README.md', 'bin/mmcheck.js', 'dist/src/index.js', 'dist/src/index.d.ts', 'dist/models/index.js', 'dist/models/source-digests.json', 'dist/src/cli/main.js', 'schemas/trace.schema.json', 'docs/blocks.md', 'docs/json-output.md', 'docs/warts.md', 'examples/lock.ts'])
    t.true(files.includes(f), `${f} is in the tarball`);
  // The examples the README links to ship as the model files they are.
  const unwanted = files.filter((f) => /^(src|test|bench|traces|\.ci)\//.test(f) || /^tsconfig/.test(f) || (/\.ts$/.test(f) && !/\.d\.ts$/.test(f) && !/^examples\//.test(f)));
  t.deepEqual(unwanted, []);
  t.log(`${files.length} files`);
});

test.serial('the runtime dependencies are exactly the packages the shipped code imports (tests and benchmarks use devDependencies)', (t) => {
  const manifest = JSON.parse(readFileSync('package.json', 'utf8')) as { dependencies: Record<string, string> };
  const shipped = ['bin/mmcheck.js', ...readdirSync('src', { recursive: true, encoding: 'utf8' }).map((f) => join('src', f)), ...readdirSync('models').map((f) => join('models', f))].filter((f) => /\.[jt]s$/.test(f));
  const used = new Set<string>();
  for (const f of shipped) {
    const text = readFileSync(f, 'utf8');
    const patterns = [
      /^\s*(?:import|export)\b[^'"`;]*?\bfrom\s*['"]([^'"]+)['"]/gm,
      /^\s*import\s*['"]([^'"]+)['"]/gm,
      /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
      /\bimport\.meta\.resolve\(\s*['"]([^'"]+)['"]\s*\)/g,
    ];
    for (const m of patterns.flatMap((re) => [...text.matchAll(re)])) {
      const spec = m[1]!;
      if (spec.startsWith('.') || spec.startsWith('node:') || builtinModules.includes(spec) || spec === 'mmcheck') continue;
      used.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  t.deepEqual([...used].sort(), Object.keys(manifest.dependencies).sort());
});

test.serial('the built-in models (compiled, importing the compiled entry), the version and a violation\'s trace work from the installed package', async (t) => {
  if (skipped(t)) return;
  const dir = projects.esm.dir;
  const v = await mmcheck(dir, ['--version']);
  t.is(v.out.trim(), `mmcheck ${version}`);
  const p = await mmcheck(dir, ['check', 'peterson', '--json']);
  t.is(p.code, 0, p.err);
  t.like(JSON.parse(p.out), { model: 'peterson', verdict: 'pass', stats: { states: 1710, transitions: 4066 } });
  // Searched by two threads: the helper loads the compiled built-in model (without tsx's hooks in its thread).
  const p2 = await mmcheck(dir, ['check', 'peterson', '-p', 'n=4', '--workers', '2', '--json'], false, helperJoins);
  t.is(p2.code, 0, p2.err);
  const j2 = JSON.parse(p2.out) as { warnings?: unknown };
  t.like(j2, { model: 'peterson', verdict: 'pass', stats: { states: 105_484, transitions: 328_284, workers: 2 } });
  t.is(j2.warnings, undefined, p2.out);
  const bad = await mmcheck(dir, ['check', 'peterson', '--variant', 'victim-first', '--param', 'n=2', '--json', '--trace-out', 'bug.json']);
  t.is(bad.code, 1, bad.err);
  t.like(JSON.parse(bad.out), { verdict: 'violation', violation: { kind: 'invariant', property: 'mutex', length: 12 } });
  const replay = await mmcheck(dir, ['replay', 'bug.json']);
  t.is(replay.code, 0, replay.out + replay.err);
  // The API reaches a built-in model and the schemas by their package paths.
  writeFileSync(
    join(dir, 'builtin.mjs'),
    `import dining from 'mmcheck/models/dining';\nimport { check } from 'mmcheck';\nimport { createRequire } from 'node:module';\nconst schema = createRequire(import.meta.url).resolve('mmcheck/schemas/result.schema.json');\nconsole.log(JSON.stringify({ verdict: check(dining, { params: { n: 3 } }).verdict, schema: schema.endsWith('result.schema.json') }));\n`,
  );
  const builtin = await run(process.execPath, ['builtin.mjs'], dir);
  t.is(builtin.code, 0, builtin.err);
  t.deepEqual(JSON.parse(builtin.out), { verdict: 'violation', schema: true });
});

/** The model hash of every built-in model and variant (default parameters), by `modelHash` of the tree `base` holds (its models/ and src/ modules end in `ext`). */
const hashesOf = (base: string, ext: string) => `const [{ builtinModels }, { buildModel }, { Runtime }, { modelHash }] = await Promise.all(['models/index', 'src/index', 'src/exec/runtime', 'src/trace/decode'].map((m) => import(${JSON.stringify(base)} + m + ${JSON.stringify(ext)})));
const out = {};
for (const m of builtinModels) for (const v of m.variantNames.length ? m.variantNames : [null]) out[m.name + '/' + v] = modelHash(new Runtime(buildModel(m, v, {})));
console.log(JSON.stringify(out));
`;

test.serial('a built-in model hashes alike in the sources and in the installed package (compiled by another compiler): a trace made in a checkout replays there as made on the same model, and swarm members run there merge in a checkout', async (t) => {
  if (skipped(t)) return;
  const dir = projects.esm.dir;
  const here: Record<string, string> = {};
  for (const m of builtinModels) for (const v of m.variantNames.length ? m.variantNames : [null]) here[`${m.name}/${v}`] = modelHash(new Runtime(buildModel(m, v, {})));
  writeFileSync(join(dir, 'hashes.mjs'), hashesOf('./node_modules/mmcheck/dist/', '.js'));
  const installed = await run(process.execPath, ['hashes.mjs'], dir);
  t.is(installed.code, 0, installed.err);
  t.deepEqual(JSON.parse(installed.out), here);
  // A counterexample saved by the sources (a checkout), replayed by the installed package: no note that the model changed.
  const made = await cli(['check', 'peterson', '--variant', 'victim-first', '--param', 'n=2', '--trace-out', 'checkout.json'], dir);
  t.is(made.code, 1, made.err);
  const replay = await mmcheck(dir, ['replay', 'checkout.json']);
  t.is(replay.code, 0, replay.out + replay.err);
  t.regex(replay.out, /^reproduced: /m);
  t.notRegex(replay.out, /note: the model has changed/);
  // Swarm members run by the installed package, merged by the sources: the same model (dining(3) deadlocks: exit 1), not MC439.
  for (const i of [0, 1]) {
    const member = await mmcheck(dir, ['check', 'dining', '-p', 'n=3', '--swarm', '2', '--seed', '5', '--member', String(i), '-o', `member${i}.json`]);
    t.is(member.code, 0, member.err);
  }
  const merged = await cli(['swarm-merge', 'member0.json', 'member1.json', '--no-trace'], dir);
  t.is(merged.code, 1, merged.err);
});

for (const kind of ['commonjs', 'esm'] as const) {
  for (const name of Object.keys(projects[kind].models).filter((n) => n !== 'wide.ts')) {
    test.serial(`${kind} project: mmcheck check ./${name} runs the installed package, with the engine's own package instance in the model`, async (t) => {
      if (skipped(t)) return;
      const r = await mmcheck(projects[kind].dir, ['check', `./${name}`, '--json'], name === 'model.ts');
      t.is(r.code, 0, r.err);
      const j = JSON.parse(r.out) as { model: string; verdict: string; stats: { states: number; transitions: number } };
      t.like(j, { model: 'flags', verdict: 'pass', stats: { states: STATES, transitions: TRANSITIONS } });
      t.regex(r.err, /instance: same main/);
      t.regex(r.err, /instance: same worker/);
      t.notRegex(r.err, /different/);
    });
  }

  test.serial(`${kind} project: a model file searched by two threads loads in the helper too, with the engine's own package instance`, async (t) => {
    if (skipped(t)) return;
    // From the package, tsx's hooks are registered in a thread only before its first model file: the helper's load of a TypeScript file needs them.
    const r = await mmcheck(projects[kind].dir, ['check', './wide.ts', '--workers', '2', '--json'], false, helperJoins);
    t.is(r.code, 0, r.err);
    const j = JSON.parse(r.out) as { verdict: string; stats: { states: number; workers: number }; warnings?: string[]; helperErrors?: unknown };
    t.like(j, { model: 'wide', verdict: 'pass', stats: { states: 9 ** 6, workers: 2 } });
    // The one warning is the probe's: the file reads node:worker_threads at its top level.
    t.deepEqual((j.warnings ?? []).filter((w) => !/imports node:worker_threads/.test(w)), [], r.out);
    t.is(j.helperErrors, undefined, r.out);
    t.is(r.err.match(/instance: same worker/g)?.length, 2, r.err);
    t.notRegex(r.err, /different/);
  });

  test.serial(`${kind} project: plain node imports (ESM) and requires (CommonJS) the API`, async (t) => {
    if (skipped(t)) return;
    const dir = projects[kind].dir;
    for (const file of ['api.mjs', 'api.cjs']) {
      const r = await run(process.execPath, [file], dir);
      t.is(r.code, 0, r.err);
      t.deepEqual(JSON.parse(r.out), { verdict: 'pass', states: STATES, transitions: TRANSITIONS }, file);
    }
    const e = await run(process.execPath, ['-e', "const m = require('mmcheck'); console.log(typeof m.check, typeof m.defineModel, m.isMcError(null))"], dir);
    t.is(e.code, 0, e.err);
    t.is(e.out.trim(), 'function function false');
  });

  test.serial(`${kind} project: a strict TypeScript consumer type-checks against the declarations alone (no @types/node, skipLibCheck off)`, async (t) => {
    if (skipped(t)) return;
    const r = await run(process.execPath, [tsc, '-p', '.'], projects[kind].dir);
    t.is(r.code, 0, r.out + r.err);
  });
}
