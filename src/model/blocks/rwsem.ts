import { McError, q } from '../errors.ts';
import { int, type Domain, type IntDomain, type ThreadIdDomain } from '../domains.ts';
import type { SharedSpec } from '../view-types.ts';
import { checkIdent, effectOf, guardOf, type BlockSteps, type Fragment, markFragments } from './compose.ts';
import { makeBlock, type Block, type KnownVars, type OwnerNames } from './block.ts';
import { Owners } from './owners.ts';

/**
 * A read-write semaphore (kernel/locking/rwsem.c, e.g. `mmap_lock`):
 *
 * - `downRead()`: `down_read()`: enabled while no writer holds it and, with
 *   `writerPriority`, while no writer waits or no reader holds it: a set
 *   `RWSEM_FLAG_WAITERS` fails the reader's fast path, and
 *   `rwsem_down_read_slowpath` queues it behind the waiting writer when the
 *   lock is read-owned by others, and takes a lock no one holds ("reader
 *   optimistic lock stealing"); one more reader. The handoff bit a writer
 *   sets after waiting `RWSEM_WAIT_TIMEOUT`, which stops the stealing, is
 *   left out: the stealing reader only adds runs, the queued one's are the
 *   runs in which it comes after the writer. `upRead()`: `up_read()`, one
 *   reader fewer. Without `writerPriority` no writer waits in the model, so
 *   a reader is admitted past one the kernel would queue behind
 *   (docs/warts.md).
 * - `downWrite(group)`: `down_write()`: enabled while there is neither a
 *   writer nor a reader; records the caller as writer. With
 *   `writerPriority` it is two steps (`downWriteSteps`): announce the
 *   waiting writer (which blocks new readers while readers hold the lock),
 *   then take it when free.
 * - `upWrite(group)`: `up_write()`. `downgrade(group)`: `downgrade_write()`:
 *   the writer becomes a reader in one step.
 * - `readLocked()` / `writeLocked()` guards (`rwsem_is_locked()`).
 *
 * State: the writer, one `threadId` per writer group (see Owners); the reader
 * count `<name>_readers: int(0, maxReaders)`; with writerPriority the number
 * of waiting writers `<name>_wwait: int(0, maxWriters)`.
 */
export interface Rwsem<V extends SharedSpec = SharedSpec, G extends string = string> extends Block<V> {
  downRead(): Fragment;
  upRead(): Fragment;
  downWrite(group?: G): Fragment;
  /** The `<at>_wait` step is there with `writerPriority` only. */
  downWriteSteps<At extends string, Next extends string>(group: G | undefined, labels: { at: At; next: Next }): NoInfer<BlockSteps<At | `${At}_wait`, Next | `${At}_wait`>>;
  upWrite(group?: G): Fragment;
  downgrade(group?: G): Fragment;
  readLocked(): Fragment;
  writeLocked(): Fragment;
}

/**
 * The variables of rwsem `N` written by the groups `Ws`, as the compiler sees
 * them; `P` is the type of `writerPriority` (undefined when not given).
 */
export type RwsemVars<N extends string, Ws extends readonly string[], P> = KnownVars<
  N | Ws[number],
  { [K in OwnerNames<N, Ws> | `${N}_readers` | ([P] extends [undefined] ? never : `${N}_wwait`)]: K extends `${N}_readers` | `${N}_wwait` ? IntDomain : ThreadIdDomain }
>;

export function rwsem<N extends string, const Ws extends readonly string[], P extends { maxWriters: number } | undefined = undefined>(
  name: N,
  opts: { writers: Ws; maxReaders: number; writerPriority?: P },
): Rwsem<RwsemVars<N, Ws, P>, Ws[number]> {
  const o = new Owners('rwsem', name, opts.writers);
  if (!Number.isInteger(opts.maxReaders) || opts.maxReaders < 1) throw new McError('MC171', `rwsem(${q(name)}): maxReaders must be a positive integer, got ${q(opts.maxReaders)}`);
  const readers = `${name}_readers`;
  const wwait = opts.writerPriority ? `${name}_wwait` : null;
  const shared: Record<string, Domain> = { ...o.shared(), [readers]: int(0, opts.maxReaders) };
  if (wwait) {
    const mw = opts.writerPriority!.maxWriters;
    if (!Number.isInteger(mw) || mw < 1) throw new McError('MC171', `rwsem(${q(name)}): writerPriority.maxWriters must be a positive integer, got ${q(mw)}`);
    shared[wwait] = int(0, mw);
  }
  const block = makeBlock<RwsemVars<N, Ws, P>>(name, shared, [{ name, kind: 'rwsem', owners: o.decl(), sharedCount: readers, ...(wwait ? { also: [wwait] } : {}) }]);
  const readOk = wwait ? `${o.freeText()} && (s.${wwait} === 0 || s.${readers} === 0)` : o.freeText();
  return markFragments(name, {
    ...block,
    downRead: (): Fragment => ({ when: guardOf(readOk, `down_read(${name})`), then: effectOf(`s.${readers} = s.${readers} + 1;`, `down_read(${name})`), doc: `down_read(${name})` }),
    upRead: (): Fragment => ({ then: effectOf(`s.${readers} = s.${readers} - 1;`, `up_read(${name})`), doc: `up_read(${name})` }),
    downWrite: (g?: string): Fragment => {
      if (wwait) throw new McError('MC174', `rwsem(${q(name)}).downWrite(): with writerPriority a writer first waits, then takes it: use downWriteSteps(group, { at, next })`);
      return {
        when: guardOf(`${o.freeText()} && s.${readers} === 0`, `down_write(${name})`),
        then: effectOf(`s.${o.of(g, 'downWrite')} = me.id;`, `down_write(${name})`),
        doc: `down_write(${name})`,
      };
    },
    downWriteSteps: <At extends string, Next extends string>(g: string | undefined, l: { at: At; next: Next }) => {
      type Steps = BlockSteps<At | `${At}_wait`, Next | `${At}_wait`>;
      const v = o.of(g, 'downWriteSteps');
      const at = checkIdent(`rwsem(${name}).downWriteSteps at`, l.at);
      if (!wwait)
        return { [at]: { when: guardOf(`${o.freeText()} && s.${readers} === 0`, `down_write(${name})`), then: effectOf(`s.${v} = me.id;`, `down_write(${name})`), next: l.next, doc: `down_write(${name})` } } as Steps;
      return {
        [at]: { then: effectOf(`s.${wwait} = s.${wwait} + 1;`, `down_write(${name}) waits`), next: `${at}_wait`, doc: `down_write(${name}): queue as a waiting writer` },
        [`${at}_wait`]: {
          when: guardOf(`${o.freeText()} && s.${readers} === 0`, `down_write(${name})`),
          then: effectOf(`s.${wwait} = s.${wwait} - 1; s.${v} = me.id;`, `down_write(${name})`),
          next: l.next,
          doc: `down_write(${name}): take it`,
        },
      } as Steps;
    },
    upWrite: (g?: string): Fragment => ({ then: effectOf(`s.${o.of(g, 'upWrite')} = -1;`, `up_write(${name})`), doc: `up_write(${name})` }),
    downgrade: (g?: string): Fragment => ({ then: effectOf(`s.${o.of(g, 'downgrade')} = -1; s.${readers} = s.${readers} + 1;`, `downgrade_write(${name})`), doc: `downgrade_write(${name})` }),
    readLocked: (): Fragment => ({ when: guardOf(`s.${readers} > 0`, `${name} read-locked`) }),
    writeLocked: (): Fragment => ({ when: guardOf(o.heldText(), `${name} write-locked`) }),
  });
}
