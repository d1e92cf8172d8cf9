import * as fs from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { McError, q } from '../model/errors.ts';
import { fileContent, OUTPUT_KIND_TEXT, type OutputKind } from './output-kind.ts';

/**
 * The one way mmcheck writes an output file (traces, `show -o`, JSON and XML
 * reports): never in place. The data go to a temporary file in the target's
 * folder (a unique name, created exclusively), which is flushed to disk and
 * then renamed over the target, so a kill, a full disk or a failed write
 * leaves either the old file or the new one, never a truncated mix. The
 * temporary file is removed when anything fails.
 *
 * A target that exists and is not a regular file (`/dev/stdout`, a FIFO,
 * `/dev/full`) holds no data to lose and cannot be replaced by a rename (as
 * root, a rename would replace the device node itself), so it is written
 * directly. A symbolic link to a regular file is followed: the file it
 * points to is replaced and the link stays; a link to a file that does not
 * exist yet is followed too, and the file it names is created.
 *
 * A caller that says what it writes (`kind`) replaces an existing non-empty
 * file only when that file is an mmcheck output of the same kind
 * (src/run/output-kind.ts): anything else there (`package.json`, a README, a
 * report of another kind) is the user's, and the write is refused with
 * MC346 before a byte is written.
 */

/** The file-system calls the writer makes, so that a failure mid-way can be reproduced. */
export interface WriteFs {
  openSync(path: string, flags: string, mode?: number): number;
  writeSync(fd: number, data: Uint8Array): number;
  fsyncSync(fd: number): void;
  closeSync(fd: number): void;
  renameSync(from: string, to: string): void;
  unlinkSync(path: string): void;
}

/** The real file system (tests wrap it to make one call fail). */
export const realFs: WriteFs = {
  openSync: (p, f, m) => fs.openSync(p, f, m),
  writeSync: (fd, d) => fs.writeSync(fd, d),
  fsyncSync: (fd) => fs.fsyncSync(fd),
  closeSync: (fd) => fs.closeSync(fd),
  renameSync: (a, b) => fs.renameSync(a, b),
  unlinkSync: (p) => fs.unlinkSync(p),
};

/** The coded write error: the path as the user gave it and the OS error, no stack. */
export function writeError(shown: string, e: unknown): McError {
  const err = e as NodeJS.ErrnoException;
  const why = err.code ? `${err.code}${err.message ? ` (${err.message.replace(/^\w+: /, '').replace(/, \w+(?: '.*')?$/, '')})` : ''}` : String(err?.message ?? e);
  return new McError('MC420', `cannot write ${q(shown)}: ${why}`);
}

/** Source files a model is made of (and a project's other code), which no output may replace. */
const SOURCE_EXT = /\.(?:[cm]?[jt]s|[jt]sx)$/i;

/**
 * MC346 unless the file at `path` (absolute, or relative to `cwd`) may take
 * an output of `kind`: it does not exist, is not a regular file (a device, a
 * FIFO: written directly, nothing to lose), is empty, or is an mmcheck
 * output of that kind. Commands call it before they run, so that a search
 * is not run for an output that cannot be written; `writeFileAtomic` checks
 * again when it writes. `option` names the option that gave the path.
 */
export function refuseForeignOutput(path: string, kind: OutputKind, opts: { cwd?: string; option?: string } = {}): void {
  const target = resolve(opts.cwd ?? process.cwd(), path);
  let st: fs.Stats;
  try {
    st = fs.statSync(target);
  } catch {
    return; // a file that does not exist yet (or a path that cannot be written: the write says why)
  }
  // A source file is refused by the write itself (MC345), after a violation has been reported.
  if (SOURCE_EXT.test(target)) return;
  refuseForeign(target, st, kind, `${opts.option ? `${opts.option} ` : ''}${q(path)}`);
}

function refuseForeign(target: string, st: fs.Stats, kind: OutputKind, shown: string): void {
  if (!st.isFile() || st.size === 0) return;
  const c = fileContent(target);
  if (c.kind === kind) return;
  const holds = c.kind !== null ? OUTPUT_KIND_TEXT[c.kind] : c.holds;
  throw new McError('MC346', `${shown} already exists (${st.size.toLocaleString('en-US')} bytes) and holds ${holds}, not ${OUTPUT_KIND_TEXT[kind]}: mmcheck replaces only its own output of the same kind; choose another path, or remove the file first`);
}

/**
 * Write `data` to `path` (absolute, or relative to `cwd`) atomically, creating
 * missing folders. `shown` is the path as the user gave it, for the error.
 * Throws MC420 naming the path and the OS error; the previous content of the
 * target, if any, is then untouched. With `kind`, an existing file that is
 * not an mmcheck output of that kind is refused (MC346, `refuseForeignOutput`).
 */
export function writeFileAtomic(path: string, data: string, opts: { cwd?: string; shown?: string; fs?: WriteFs; kind?: OutputKind } = {}): void {
  const io = opts.fs ?? realFs;
  const shown = opts.shown ?? path;
  let target = resolve(opts.cwd ?? process.cwd(), path);
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(target);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw writeError(shown, e);
    // A link to a file that does not exist yet is followed too: the rename would replace the user's link with a file.
    target = danglingLinkEnd(target);
  }
  // Every output of mmcheck is data (a trace, a page, a report): an existing source file at the path is a mistyped path, not a file to replace (a module the model imports, which no input check sees).
  if (st?.isFile() && SOURCE_EXT.test(target)) throw new McError('MC345', `${q(shown)} is a source file (${extname(target)}): mmcheck writes data there only when no such file exists; choose another path`);
  if (st && opts.kind !== undefined) refuseForeign(target, st, opts.kind, q(shown));
  if (st && !st.isFile()) {
    if (st.isDirectory()) throw writeError(shown, Object.assign(new Error('is a directory'), { code: 'EISDIR' }));
    writeDirect(io, target, data, shown);
    return;
  }
  if (st) target = fs.realpathSync(target);
  try {
    fs.mkdirSync(dirname(target), { recursive: true });
  } catch (e) {
    throw writeError(shown, e);
  }
  const tmp = join(dirname(target), `.${tmpStem(basename(target))}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  let fd = -1;
  let created = false;
  try {
    fd = io.openSync(tmp, 'wx', st ? st.mode & 0o777 : 0o666);
    created = true;
    let off = 0;
    const buf = Buffer.from(data, 'utf8');
    // writeSync may write less than asked (a signal, a full pipe); the rest is written in turn.
    while (off < buf.length) off += writeChunk(io, fd, buf.subarray(off));
    io.fsyncSync(fd);
    io.closeSync(fd);
    fd = -1;
    io.renameSync(tmp, target);
    created = false;
  } catch (e) {
    if (fd >= 0) try { io.closeSync(fd); } catch { /* already failing: the first error is the one to report */ }
    if (created) try { io.unlinkSync(tmp); } catch { /* nothing more can be done; the target is untouched either way */ }
    throw writeError(shown, e);
  }
  syncFolder(dirname(target));
}

/**
 * Where a path that does not resolve leads: itself, or, for a symbolic link
 * whose target does not exist (a link to a file a run will write), the end
 * of its chain of links, where the file is then created.
 */
function danglingLinkEnd(path: string): string {
  let p = path;
  for (let hops = 0; hops < 40; hops++) {
    let link: string;
    try {
      if (!fs.lstatSync(p).isSymbolicLink()) return p;
      link = fs.readlinkSync(p);
    } catch {
      return p;
    }
    p = resolve(dirname(p), link);
  }
  return path;
}

/**
 * The target's name as the temporary file's name holds it: whole when short,
 * else its first characters, so that the temporary name (about 30 bytes
 * more) stays within the 255 bytes a file name may have when the target's
 * own name does (a name of 240 bytes could be written to, but not through
 * a temporary file named after it whole).
 */
function tmpStem(name: string): string {
  if (Buffer.byteLength(name) <= 100) return name;
  let stem = '';
  for (const ch of name) {
    if (Buffer.byteLength(stem + ch) > 100) break;
    stem += ch;
  }
  return stem;
}

function writeChunk(io: WriteFs, fd: number, chunk: Buffer): number {
  const n = io.writeSync(fd, chunk);
  if (n <= 0) throw Object.assign(new Error('no progress writing'), { code: 'EIO' });
  return n;
}

function writeDirect(io: WriteFs, target: string, data: string, shown: string): void {
  let fd = -1;
  try {
    fd = io.openSync(target, 'w');
    const buf = Buffer.from(data, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeChunk(io, fd, buf.subarray(off));
    io.closeSync(fd);
    fd = -1;
  } catch (e) {
    if (fd >= 0) try { io.closeSync(fd); } catch { /* the write error is the one to report */ }
    throw writeError(shown, e);
  }
}

/** The rename is durable once the folder's entry is on disk; a folder that cannot be opened for that (some file systems) is left as it is. */
function syncFolder(dir: string): void {
  let fd = -1;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* best effort: the data are already complete in the renamed file */
  } finally {
    if (fd >= 0) fs.closeSync(fd);
  }
}

/**
 * Refuse an output path that is one of the command's inputs (the same path,
 * or the same file through a link or another spelling), before anything is
 * written: `show t.json -o t.json` would otherwise replace the trace it reads
 * with its rendering. `inputs` are the paths as given, with what they are.
 */
export function refuseOutputOverInput(out: string, inputs: readonly { path: string; what: string }[], cwd: string, option: string): void {
  const o = resolve(cwd, out);
  let os: fs.Stats | undefined;
  try {
    os = fs.statSync(o);
  } catch {
    /* a file that does not exist yet is no input */
  }
  for (const inp of inputs) {
    const i = resolve(cwd, inp.path);
    let same = i === o;
    if (!same && os) {
      try {
        const is = fs.statSync(i);
        same = is.dev === os.dev && is.ino === os.ino;
      } catch {
        /* an input that cannot be read is reported where it is read */
      }
    }
    if (same) throw new McError('MC345', `${option} ${q(out)} is the ${inp.what} ${q(inp.path)}: writing there would replace the input; choose another path`);
  }
}
