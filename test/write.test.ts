/**
 * The atomic writer (src/run/write.ts): a failure at any point of a write
 * leaves the previous content of the target and no temporary file behind.
 */
import test from 'ava';
import * as fs from 'node:fs';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { realFs, refuseOutputOverInput, writeFileAtomic, type WriteFs } from '../src/run/write.ts';
import { tempDir } from './helpers/tmp.ts';

const tmp = () => tempDir('mmcheck-write-');

/** The real calls, with `fail` deciding which one throws (an ENOSPC, as from a full disk). */
function failing(fail: keyof WriteFs, after = 0): WriteFs {
  let calls = 0;
  const boom = () => Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
  const real = realFs;
  return {
    ...real,
    [fail]: (...args: unknown[]) => {
      if (calls++ >= after) {
        // A write that got half-way before the disk filled up.
        if (fail === 'writeSync') fs.writeSync(args[0] as number, (args[1] as Uint8Array).subarray(0, 5));
        throw boom();
      }
      return (real[fail] as (...a: unknown[]) => unknown)(...args);
    },
  } as WriteFs;
}

test('a write that fails at any step leaves the previous content and no temporary file', (t) => {
  for (const step of ['openSync', 'writeSync', 'fsyncSync', 'closeSync', 'renameSync'] as const) {
    const dir = tmp();
    const target = join(dir, 't.json');
    writeFileSync(target, '{"valid": "trace"}\n');
    const e = t.throws(() => writeFileAtomic(target, JSON.stringify({ big: 'x'.repeat(100_000) }), { fs: failing(step), shown: 't.json' }));
    t.is((e as { code?: string }).code, 'MC420', step);
    t.regex(e!.message, /^cannot write "t\.json": ENOSPC/);
    t.is(readFileSync(target, 'utf8'), '{"valid": "trace"}\n', step);
    t.deepEqual(readdirSync(dir), ['t.json'], step);
  }
});

test('a write that succeeds replaces the content whole; a new file and its folders are created', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'a.json'), 'old');
  writeFileAtomic('a.json', 'new content', { cwd: dir });
  t.is(readFileSync(join(dir, 'a.json'), 'utf8'), 'new content');
  writeFileAtomic('sub/deeper/b.json', 'b', { cwd: dir });
  t.is(readFileSync(join(dir, 'sub/deeper/b.json'), 'utf8'), 'b');
  t.deepEqual(readdirSync(dir).sort(), ['a.json', 'sub']);
});

test('a symbolic link is followed: the file it points to is replaced, the link stays', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'real.json'), 'old');
  symlinkSync(join(dir, 'real.json'), join(dir, 'link.json'));
  writeFileAtomic(join(dir, 'link.json'), 'new');
  t.true(fs.lstatSync(join(dir, 'link.json')).isSymbolicLink());
  t.is(readFileSync(join(dir, 'real.json'), 'utf8'), 'new');
});

test('a device is written directly (never replaced by a rename): /dev/null accepts, /dev/full is MC420 ENOSPC', (t) => {
  t.notThrows(() => writeFileAtomic('/dev/null', 'x'));
  t.true(fs.statSync('/dev/null').isCharacterDevice());
  const e = t.throws(() => writeFileAtomic('/dev/full', 'x'));
  t.is((e as { code?: string }).code, 'MC420');
  t.regex(e!.message, /cannot write "\/dev\/full": ENOSPC/);
  t.true(fs.statSync('/dev/full').isCharacterDevice());
});

test('refuseOutputOverInput: the same file under another spelling or a link is refused; another file is not', (t) => {
  const dir = tmp();
  writeFileSync(join(dir, 'in.json'), '{}');
  symlinkSync(join(dir, 'in.json'), join(dir, 'l.json'));
  const inputs = [{ path: 'in.json', what: 'trace' }];
  for (const out of ['in.json', './in.json', join(dir, 'in.json'), 'l.json'])
    t.is((t.throws(() => refuseOutputOverInput(out, inputs, dir, '-o')) as { code?: string }).code, 'MC345', out);
  t.notThrows(() => refuseOutputOverInput('other.json', inputs, dir, '-o'));
});

test('a target whose name is near the longest a file name may be is written (the temporary name is cut, not the target)', (t) => {
  const d = tmp();
  for (const name of [`${'a'.repeat(250)}.json`, `${'é'.repeat(125)}.json`]) {
    writeFileAtomic(join(d, name), 'new\n');
    t.is(readFileSync(join(d, name), 'utf8'), 'new\n');
  }
  t.is(readdirSync(d).length, 2);
});

test('traceFileName: a name longer than a file name may be keeps its start and a digest of the whole, so the trace can be saved', async (t) => {
  const { traceFileName } = await import('../src/trace/build.ts');
  const base = { model: 'm', variant: null, params: { n: 2 }, property: { kind: 'invariant', name: 'x'.repeat(1024) } } as unknown as Parameters<typeof traceFileName>[0];
  const long = traceFileName(base);
  t.true(long.length <= 185, `${long.length} characters`);
  t.regex(long, /^m\.n2\.xxx+-[0-9a-f]{16}\.json$/);
  t.not(long, traceFileName({ ...base, property: { kind: 'invariant', name: `${'x'.repeat(1023)}y` } }));
  t.is(traceFileName({ ...base, property: { kind: 'invariant', name: 'ok' } }), 'm.n2.ok.json');
  const d = tmp();
  writeFileAtomic(join(d, long.replace(/\.json$/, '.swarm-seed18446744073709551615.json')), '{}\n');
  t.is(readdirSync(d).length, 1);
});

test('a symbolic link to a file that does not exist yet stays a link: the file it names is created', (t) => {
  const d = tmp();
  symlinkSync('sub/target.json', join(d, 'link.json'));
  writeFileAtomic(join(d, 'link.json'), 'new\n');
  t.true(fs.lstatSync(join(d, 'link.json')).isSymbolicLink());
  t.is(readFileSync(join(d, 'sub/target.json'), 'utf8'), 'new\n');
});
