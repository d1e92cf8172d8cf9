import test from 'ava';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';

/** Every ```ts example in docs/api.md runs as a module of its own, with 'mmcheck' meaning this checkout's entry. */
const doc = readFileSync('docs/api.md', 'utf8');
const blocks = [...doc.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const entry = pathToFileURL(resolve('src/index.ts')).href;
// One level below the repository root, as docs/ is, so that `../models/...` resolves as it does from docs/.
const dir = mkdtempSync(join(resolve('.'), '.api-examples-'));

test('docs/api.md has examples', (t) => {
  t.true(blocks.length >= 3);
});

blocks.forEach((code, i) => {
  test(`docs/api.md example ${i + 1} runs`, async (t) => {
    const file = join(dir, `example-${i + 1}.ts`);
    // The built-in models by their package path ('mmcheck/models/dining'), as an installed project imports them.
    const runnable = code.replace(/from 'mmcheck\/models\/([\w-]+)'/g, (_m, name: string) => `from ${JSON.stringify(pathToFileURL(resolve('models', `${name}.ts`)).href)}`);
    writeFileSync(file, runnable.replace(/from 'mmcheck'/g, `from ${JSON.stringify(entry)}`));
    const logs: string[] = [];
    const log = console.log;
    console.log = (...a: unknown[]) => void logs.push(a.join(' '));
    try {
      await import(pathToFileURL(file).href);
    } finally {
      console.log = log;
    }
    t.pass(logs.join('\n').slice(0, 200));
  });
});

test('docs/api.md examples type-check under the repository\'s strict settings, importing mmcheck by name', async (t) => {
  const ts = (await import('typescript')).default;
  // Beside the runnable copies: 'mmcheck' then resolves to this package's own entry, as in a user's project.
  const files = blocks.map((code, i) => {
    const file = join(dir, `typed-${i + 1}.ts`);
    writeFileSync(file, code);
    return file;
  });
  const config = ts.getParsedCommandLineOfConfigFile(resolve('tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  t.truthy(config);
  const program = ts.createProgram(files, { ...config!.options, noEmit: true });
  const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.formatDiagnostic(d, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => '\n' }));
  t.deepEqual(problems, []);
});

test.after.always(async () => {
  const { rmSync } = await import('node:fs');
  rmSync(dir, { recursive: true, force: true });
});
