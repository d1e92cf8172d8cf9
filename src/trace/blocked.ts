import type { Scalar } from '../model/domains.ts';
import type { Model } from '../model/define.ts';
import { buildModel } from '../model/build.ts';
import { leafFunctions } from '../model/blocks/compose.ts';
import { lockInstances, type LockDecl, type LockInstance } from '../model/blocks/block.ts';
import { codeOnly, memberUses, paramNames } from '../model/source.ts';
import { makeViewFactory, type ViewFactory } from '../layout/views.ts';
import { Runtime } from '../exec/runtime.ts';
import { applyStep } from '../exec/step.ts';
import { functionFootprint, THREADS } from '../reduce/footprint.ts';
import { decodeState, type Valuation } from './decode.ts';
import type { TraceFile } from './format.ts';
import { ReplayHalted, type ReplayWatch } from './watch.ts';

/**
 * Why threads are stuck at the end of a deadlock, or throughout a livelock's
 * cycle: for each blocked thread, its label and each step there whose guard
 * is false (or whose computed choose gives no choice), with the guard (the
 * failing parts of a composed guard: a building block's named condition, or
 * the model's own source) and the values it reads. What a guard reads comes from its footprint
 * (src/reduce/footprint.ts: shared variables; `me.x` for the thread's
 * locals; the labels of the groups it counts with `s.count`/`s.at`), narrowed
 * for arrays to the elements the evaluation actually read. Where a declared
 * lock (a building block) is among what it reads and another thread holds
 * it, that thread is named (`heldBy`); a CPU guard from onCpus() names the
 * thread holding the CPU. Following `heldBy` from thread to thread gives the
 * wait-for cycle when there is one.
 */
export interface WaitFor {
  readonly step: string;
  readonly guard: string;
  readonly reads: Readonly<Record<string, Scalar>>;
}
export interface BlockedThread {
  readonly thread: string;
  readonly label: string;
  readonly waitsFor: readonly WaitFor[];
  readonly heldBy?: string;
  readonly lock?: string;
  /** Holders of the lock that share it (an rwsem's readers): how many. */
  readonly sharedHolders?: number;
  /** Those of them the trace shows taking it (their `down_read` not yet undone by an `up_read`): a thread among them that waits for the lock waits for itself. */
  readonly sharedBy?: readonly string[];
  /** No step is at the label, which is no end label: the thread can never leave it. */
  readonly noSteps?: true;
  /**
   * The thread is at an end label, where it may stop, so it is no part of the deadlock or livelock; its steps there
   * wait for a lock another thread holds (a worker idle at its end label that needs a lock to take its next job).
   */
  readonly atEnd?: true;
}
export interface BlockedReport {
  readonly blocked: readonly BlockedThread[];
  readonly waitCycle?: readonly string[];
}

/** The report for a deadlock or livelock trace on `model` (null for other kinds, or when the trace does not re-execute on it); `watch` is told where the re-execution is. */
export function explainTrace(model: Model, t: TraceFile, watch?: ReplayWatch): BlockedReport | null {
  if (t.property.kind !== 'deadlock' && t.property.kind !== 'livelock') return null;
  try {
    watch?.('build', -1, t.variant);
    return explainBlocked(new Runtime(buildModel(model, t.variant, t.params)), t, watch);
  } catch (e) {
    // A stop asked for by the watch is not the model's.
    if (e instanceof ReplayHalted) throw e;
    // A model that no longer builds for the trace's variant and parameters: replay says why; there is nothing to explain.
    return null;
  }
}

/** The locks `model` declares for the trace's variant and parameters (none when it does not build for them). */
export function declaredLocks(model: Model, t: TraceFile): readonly LockDecl[] {
  try {
    return buildModel(model, t.variant, t.params).locks;
  } catch {
    return [];
  }
}

export function explainBlocked(rt: Runtime, t: TraceFile, watch?: ReplayWatch): BlockedReport | null {
  const kind = t.property.kind;
  if (kind !== 'deadlock' && kind !== 'livelock') return null;
  const b = rt.model;
  const threadIndex = new Map(b.threads.map((th) => [th.name, th.index]));
  // Re-execute the schedule, keeping the states the report looks at.
  const n = t.steps.length;
  if (kind === 'livelock' && t.cycleStart === undefined) return null;
  // A deadlock: the final state. A livelock: every state of the cycle (before each of its steps).
  const keep = (i: number) => (kind === 'deadlock' ? i === n : i >= t.cycleStart! && i < n);
  const states: Uint32Array[] = [];
  let cur = rt.initial();
  // An rwsem's readers by thread, as the steps before the first state kept took and released it.
  const readers = new Map<string, string[]>();
  const upTo = kind === 'deadlock' ? n : t.cycleStart!;
  for (let i = 0; i <= n; i++) {
    if (keep(i)) states.push(cur);
    if (i === n) break;
    const ts = t.steps[i]!;
    const ti = threadIndex.get(ts.thread);
    if (ti === undefined) return null;
    const si = b.threads[ti]!.template.steps.findIndex((s) => s.name === ts.step);
    if (si < 0) return null;
    if (i < upTo) countReaders(readers, b.threads[ti]!.template.steps[si]!.effect, ts.thread);
    watch?.('step', i);
    const r = applyStep(rt, cur, { thread: ti, step: si, choice: ts.choice });
    if (r === null || 'fails' in r) return null;
    cur = r.next;
  }
  if (states.length === 0) return null;
  watch?.('judge', -1);
  const views = makeViewFactory(b, rt.layout, false);
  const enabledSomewhere = (th: number) =>
    states.some((st) => {
      const v = views(st, true);
      const tpl = b.threads[th]!.template;
      for (const si of tpl.stepsAt[rt.label(st, 0, th)]!) {
        const step = tpl.steps[si]!;
        const g = step.guard;
        if (g !== null && safeCall(() => g(v.state, v.locals[th]!)) !== true) continue;
        // A computed choose of 0 leaves the step with no transition, as a false guard does.
        const c = step.chooseFn;
        if (c === null || (safeCall(() => c(v.state, v.locals[th]!)) as number) > 0) return true;
      }
      return false;
    });
  const first = states[0]!;
  const val = decodeState(rt, first);
  const threads = b.threads.map((th) => th.name);
  const locks = b.locks.flatMap((d) => lockInstances(d, val, threads));
  const recording = makeViewFactory(b, rt.layout, true);
  const blocked: BlockedThread[] = [];
  // Without declared locks, a variable's holder is guessed as the reports guess lock-like variables (src/report/html.ts).
  const guess = b.locks.length === 0 ? (key: string) => guessHolder(t, key, kind === 'deadlock' ? n : t.cycleStart!) : null;
  for (const th of b.threads) {
    if (enabledSomewhere(th.index)) continue;
    const x = explainThread(rt, recording, first, val, th.index, locks, guess, readers);
    if (!rt.finished(first, 0, th.index)) blocked.push(x);
    // At an end label: listed only when a lock another thread holds keeps it there (the thread that would signal
    // what a blocked thread waits for may be the one waiting for that thread's lock), not for an idle thread's guards.
    else if (x.waitsFor.length > 0 && x.lock !== undefined && x.heldBy !== undefined && x.heldBy !== th.name) blocked.push({ ...x, atEnd: true });
  }
  const cycle = waitCycle(blocked);
  return { blocked, ...(cycle ? { waitCycle: cycle } : {}) };
}

function safeCall(f: () => unknown): unknown {
  try {
    return f();
  } catch {
    return 'error';
  }
}

/**
 * The thread that last set `key` before step `upto` to true (a flag) or to
 * its own replica id (an owner), or null: the guess of src/report/html.ts's
 * lock-like variables, for a model that declares no locks.
 */
function guessHolder(t: TraceFile, key: string, upto: number): string | null {
  for (let i = Math.min(upto, t.steps.length) - 1; i >= 0; i--) {
    const s = t.steps[i]!;
    if (!Object.hasOwn(s.changes, key)) continue;
    const v = s.changes[key];
    const replica = /\[(\d+)\]$/.exec(s.thread);
    if (v === true || (typeof v === 'number' && v >= 0 && replica !== null && Number(replica[1]) === v) || v === s.thread) return s.thread;
    return null;
  }
  return null;
}

/** A step's effect, made of an rwsem's fragments (`down_read(L)`, `up_read(L)`, `downgrade_write(L)`), adds its thread to L's readers or takes it off once. */
function countReaders(readers: Map<string, string[]>, effect: Function | null, thread: string): void {
  for (const f of leafFunctions(effect)) {
    const m = /^(down_read|up_read|downgrade_write)\((\w+)\)$/.exec(f.name);
    if (m === null) continue;
    const list = readers.get(m[2]!) ?? [];
    if (m[1] === 'up_read') {
      const k = list.indexOf(thread);
      if (k >= 0) list.splice(k, 1);
    } else list.push(thread);
    readers.set(m[2]!, list);
  }
}

function explainThread(rt: Runtime, recording: ViewFactory, buf: Uint32Array, val: Valuation, t: number, locks: readonly LockInstance[], guess: ((key: string) => string | null) | null, readers: ReadonlyMap<string, readonly string[]>): BlockedThread {
  const b = rt.model;
  const th = b.threads[t]!;
  const tpl = th.template;
  const label = tpl.labels[rt.label(buf, 0, t)]!;
  const waitsFor: WaitFor[] = [];
  let heldBy: string | undefined;
  let lock: string | undefined;
  let sharedHolders: number | undefined;
  let sharedBy: readonly string[] | undefined;
  for (const si of tpl.stepsAt[rt.label(buf, 0, t)]!) {
    const st = tpl.steps[si]!;
    const before = waitsFor.length;
    for (const leaf of leafFunctions(st.guard)) {
      const recorded = new Set<string>();
      const v = recording(buf.slice(), true, { r: (n) => recorded.add(n), w: () => {} });
      if (safeCall(() => (leaf as (s: unknown, me: unknown) => unknown)(v.state, v.locals[t]!)) === true) continue;
      const reads = readsOf(rt, leaf, th.name, val, recorded);
      waitsFor.push({ step: st.name, guard: guardText(leaf), reads });
      if (heldBy === undefined) {
        const who = holderOf(rt, leaf, th.name, reads, locks, val);
        if (who) {
          if (who.thread) heldBy = who.thread;
          lock ??= who.lock;
          if (who.shared) {
            sharedHolders = who.shared;
            // Readers the trace names, as many as the count says: the waiting thread among them holds what it waits for; one other is the holder.
            const by = [...new Set(readers.get(who.lock) ?? [])];
            if (by.length > 0 && (readers.get(who.lock) ?? []).length === who.shared) {
              sharedBy = by;
              if (by.includes(th.name)) heldBy = th.name;
              else if (by.length === 1) heldBy = by[0];
            }
          }
        } else if (guess) {
          for (const k of Object.keys(reads)) {
            const g = guess(k);
            if (g !== null && g !== th.name) {
              heldBy = g;
              lock = k;
              break;
            }
          }
        }
      }
    }
    // Its guard holds, but its computed choose gives no choice: that is what the step waits for.
    const choose = st.chooseFn;
    if (waitsFor.length === before && choose !== null) {
      const recorded = new Set<string>();
      const v = recording(buf.slice(), true, { r: (n) => recorded.add(n), w: () => {} });
      if (safeCall(() => choose(v.state as never, v.locals[t]! as never)) === 0)
        waitsFor.push({ step: st.name, guard: `choose ${guardText(choose)} returned 0`, reads: readsOf(rt, choose, th.name, val, recorded) });
    }
  }
  const noSteps = tpl.stepsAt[rt.label(buf, 0, t)]!.length === 0;
  return { thread: th.name, label, waitsFor, ...(heldBy !== undefined ? { heldBy } : {}), ...(lock !== undefined ? { lock } : {}), ...(sharedHolders !== undefined ? { sharedHolders } : {}), ...(sharedBy !== undefined ? { sharedBy } : {}), ...(noSteps ? { noSteps: true as const } : {}) };
}

/** The values a guard reads: its footprint's shared variables (array elements it read, else all), its thread's locals, the labels it counts. */
function readsOf(rt: Runtime, fn: Function, thread: string, val: Valuation, recorded: ReadonlySet<string>): Record<string, Scalar> {
  const out: Record<string, Scalar> = {};
  const fp = functionFootprint(rt.model, fn, 'guard');
  const shared = fp.unknown ? new Set([...recorded].map((r) => r.replace(/\[\d+\]$/, '')).filter((r) => rt.model.shared.some((v) => v.name === r))) : fp.reads;
  for (const name of shared) {
    if (name === THREADS) continue;
    if (Object.hasOwn(val, name)) out[name] = val[name]!;
    else {
      // The elements the evaluation read; none when it read others and stopped before this array (a `&&` already false):
      // listing them all would name locks the guard does not wait for. All of them only when the evaluation recorded nothing.
      const elems = [...recorded].filter((r) => r.startsWith(`${name}[`));
      const keys = elems.length || recorded.size > 0 ? elems : Object.keys(val).filter((k) => k.startsWith(`${name}[`));
      for (const k of keys) out[k] = val[k]!;
    }
  }
  const src = codeOnly(Function.prototype.toString.call(fn));
  const me = paramNames(fn)?.[1];
  if (me) for (const u of memberUses(src, me).uses) if (Object.hasOwn(val, `${thread}.${u.name}`)) out[`${thread}.${u.name}`] = val[`${thread}.${u.name}`]!;
  if (fp.reads.has(THREADS) || fp.unknown) {
    // The group names are string literals, which codeOnly blanks: read them from the raw source.
    for (const m of Function.prototype.toString.call(fn).matchAll(/\.\s*(?:count|at)\s*\(\s*["'`]([\w-]+)["'`]/g))
      for (const th of rt.model.threads) if (th.template.name === m[1]) out[`${th.name}.at`] = val[`${th.name}.at`]!;
  }
  return out;
}

/** The thread that holds what a false guard waits for: a declared lock among its reads, or the CPU an onCpus() guard waits for. */
function holderOf(rt: Runtime, fn: Function, self: string, reads: Record<string, Scalar>, locks: readonly LockInstance[], val: Valuation): { thread?: string; lock: string; shared?: number } | null {
  const keys = Object.keys(reads);
  // Of the locks the guard read, one held by another thread first, then one the thread holds itself, then one held
  // by readers, then a free one: a guard that read a free lock and a held one waits for the held one.
  const read = locks.filter((l) => l.keys.some((k) => keys.includes(k)));
  for (const l of read) {
    const other = l.exclusive.find((h) => h !== self);
    if (other !== undefined) return { thread: other, lock: l.lock };
  }
  // A thread waiting for a lock it holds itself (one it leaked, or took twice) is its own holder: a wait-for cycle of one.
  for (const l of read) if (l.exclusive.includes(self)) return { thread: self, lock: l.lock };
  const held = read.find((l) => l.exclusive.length === 0 && l.shared > 0);
  if (held) return { lock: held.lock, shared: held.shared };
  const free = read.find((l) => l.exclusive.length === 0);
  if (free) return { lock: free.lock };
  // onCpus(): "cpuK free for G" counts the threads of that CPU at their holding labels.
  const cpu = /^cpu(\d+) free for /.exec(fn.name);
  if (cpu) {
    const src = Function.prototype.toString.call(fn);
    for (const m of src.matchAll(/s\.count\("([^"]+)", "([^"]+)"\)/g))
      for (const th of rt.model.threads) if (th.template.name === m[1] && th.name !== self && val[`${th.name}.at`] === m[2]) return { thread: th.name, lock: `cpu${cpu[1]}` };
    return { lock: `cpu${cpu[1]}` };
  }
  return null;
}

/** A guard as people read it: a building block's named condition and its expression, or the model's own source on one line. */
export function guardText(fn: Function): string {
  const src = Function.prototype.toString.call(fn);
  const gen = /^function anonymous\([^)]*\)\s*\{\s*return ([\s\S]*?);?\s*\}$/.exec(src);
  const text = gen ? `${fn.name}: ${gen[1]}` : src;
  const one = text.replace(/\s+/g, ' ').trim();
  return one.length > 200 ? `${one.slice(0, 197)}...` : one;
}

/** Follow heldBy from blocked thread to blocked thread; the first thread met twice closes the cycle. */
function waitCycle(blocked: readonly BlockedThread[]): string[] | null {
  const next = new Map(blocked.filter((x) => x.heldBy !== undefined).map((x) => [x.thread, x.heldBy!]));
  for (const start of next.keys()) {
    const path: string[] = [];
    let cur: string | undefined = start;
    while (cur !== undefined && !path.includes(cur)) {
      path.push(cur);
      cur = next.get(cur);
    }
    if (cur !== undefined) {
      const cyc = path.slice(path.indexOf(cur));
      // Start the cycle at its smallest thread name, so the same cycle always reads the same.
      const k = cyc.indexOf([...cyc].sort()[0]!);
      return [...cyc.slice(k), ...cyc.slice(0, k)];
    }
  }
  return null;
}
