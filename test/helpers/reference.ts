/**
 * A tiny naive reference checker, written for clarity, not speed: states are
 * plain JS objects, the visited set is a Set of JSON strings, the graph is a
 * Map of adjacency lists, and fair cycles are found by brute force (reach
 * sets instead of Tarjan). It shares nothing with the engine but the built
 * model definition, so it is the oracle every optimisation is tested against.
 */
import type { BuiltModel } from '../../src/model/build.ts';
import type { Fairness } from '../../src/model/define.ts';

type Val = boolean | number | string;
interface PState {
  v: Record<string, Val | Val[]>;
  t: { at: number; l: Record<string, Val> }[];
}

class RefAssert extends Error {
  constructor(readonly prop: string) {
    super(prop);
  }
}

function view(b: BuiltModel, st: PState, ro: boolean): { s: any; me: any[] } {
  const fail = (what: string) => {
    throw new Error(`reference: bad write ${what}`);
  };
  const s: any = {
    assert(c: boolean, n: string) {
      if (!c) throw new RefAssert(n);
    },
  };
  const me: any[] = [];
  for (const sv of b.shared) {
    const d = sv.domain;
    if (d.kind === 'array') {
      const arr = st.v[sv.name] as Val[];
      s[sv.name] = {
        length: d.length,
        get(i: number) {
          if (!(Number.isInteger(i) && i >= 0 && i < d.length)) fail(`${sv.name}[${i}]`);
          return arr[i];
        },
        set(i: number, x: Val) {
          if (ro || !(Number.isInteger(i) && i >= 0 && i < d.length) || d.elem.encode(x) < 0) fail(`${sv.name}[${i}]=${x}`);
          arr[i] = x;
        },
        fill(x: Val) {
          if (ro || d.elem.encode(x) < 0) fail(`${sv.name}.fill(${x})`);
          arr.fill(x);
        },
      };
    } else
      Object.defineProperty(s, sv.name, {
        get: () => st.v[sv.name],
        set: (x: Val) => {
          if (ro || d.encode(x) < 0) fail(`${sv.name}=${x}`);
          st.v[sv.name] = x;
        },
      });
  }
  b.threads.forEach((th, i) => {
    const o: any = { id: th.replica };
    Object.defineProperty(o, 'at', { get: () => th.template.labels[st.t[i]!.at] });
    for (const l of th.template.locals)
      Object.defineProperty(o, l.name, {
        get: () => st.t[i]!.l[l.name],
        set: (x: Val) => {
          if (ro || l.domain.kind === 'array' || (l.domain as any).encode(x) < 0) fail(`${th.name}.${l.name}=${x}`);
          st.t[i]!.l[l.name] = x;
        },
      });
    me.push(o);
  });
  const groups = new Map<string, number[]>();
  b.threads.forEach((th, i) => groups.set(th.template.name, [...(groups.get(th.template.name) ?? []), i]));
  s.at = (g: string, i = 0) => me[groups.get(g)![i]!].at;
  s.local = (g: string, i = 0) => me[groups.get(g)![i]!];
  s.count = (g: string, l: string) => groups.get(g)!.filter((t) => me[t].at === l).length;
  return { s, me };
}

const clone = (p: PState): PState => JSON.parse(JSON.stringify(p));

export interface RefEdge {
  to: string;
  thread: number;
  progress: boolean;
}

export interface RefResult {
  states: number;
  transitions: number;
  /** Minimal BFS depth of each violation found, keyed "kind:property". */
  violations: Map<string, number>;
  graph: Map<string, RefEdge[]>;
  depth: Map<string, number>;
  initial: string;
  ended: (key: string, t: number) => boolean;
  /** The exploration stopped past `maxStates` (its violations and graph are then partial). */
  truncated?: boolean;
}

export function referenceExplore(b: BuiltModel, opts: { deadlock?: boolean; maxStates?: number } = {}): RefResult {
  const init: PState = { v: {}, t: [] };
  for (const sv of b.shared) {
    const d = sv.domain;
    init.v[sv.name] = d.kind === 'array' ? Array.from({ length: d.length }, (_, i) => d.initAt(i)) : d.init;
  }
  for (const th of b.threads) {
    const l: Record<string, Val> = {};
    for (const x of th.template.locals) l[x.name] = (x.domain as any).init;
    init.t.push({ at: th.template.start, l });
  }
  if (b.init) b.init(view(b, init, false).s);
  const key = (p: PState) => JSON.stringify(p);
  const states = new Map<string, PState>();
  const depth = new Map<string, number>();
  const graph = new Map<string, RefEdge[]>();
  const violations = new Map<string, number>();
  const note = (k: string, d: number) => {
    if (!violations.has(k) || violations.get(k)! > d) violations.set(k, d);
  };
  const checkInv = (p: PState, d: number) => {
    const { s } = view(b, p, true);
    for (const inv of b.invariants) {
      let ok = true;
      try {
        ok = !!inv.fn(s);
      } catch (e) {
        if (e instanceof RefAssert) ok = false;
        else throw e;
      }
      if (!ok) note(`invariant:${inv.name}`, d);
    }
  };
  const k0 = key(init);
  states.set(k0, init);
  depth.set(k0, 0);
  checkInv(init, 0);
  let frontier = [k0];
  let transitions = 0;
  const deadlockOn = opts.deadlock ?? b.deadlock;
  while (frontier.length) {
    const next: string[] = [];
    for (const k of frontier) {
      if (states.size > (opts.maxStates ?? Infinity)) return { states: states.size, transitions, violations, graph, depth, initial: k0, ended: () => false, truncated: true };
      const p = states.get(k)!;
      const d = depth.get(k)!;
      const out: RefEdge[] = [];
      b.threads.forEach((th, ti) => {
        for (const st of th.template.steps) {
          if (st.at !== p.t[ti]!.at) continue;
          const cv = view(b, p, true);
          let nc: number;
          try {
            if (st.guard && !st.guard(cv.s, cv.me[ti])) continue;
            nc = st.choices >= 0 ? st.choices : st.chooseFn!(cv.s, cv.me[ti]);
          } catch (e) {
            // An assertion that fails in the guard or choose fails the step, as one in its effect does.
            if (e instanceof RefAssert) {
              note(`assertion:${e.prop}`, d + 1);
              continue;
            }
            throw e;
          }
          for (let c = 0; c < nc; c++) {
            const q = clone(p);
            const nv = view(b, q, false);
            try {
              if (st.effect) st.effect(nv.s, nv.me[ti], c);
            } catch (e) {
              if (e instanceof RefAssert) {
                note(`assertion:${e.prop}`, d + 1);
                transitions++;
                continue;
              }
              throw e;
            }
            const nl = st.next >= 0 ? st.next : th.template.labelIndex.get(st.nextFn!(nv.s, nv.me[ti], c))!;
            q.t[ti]!.at = nl;
            const qk = key(q);
            transitions++;
            out.push({ to: qk, thread: ti, progress: st.progress || th.template.isProgress[nl] === 1 });
            if (!states.has(qk)) {
              states.set(qk, q);
              depth.set(qk, d + 1);
              checkInv(q, d + 1);
              next.push(qk);
            }
          }
        }
      });
      graph.set(k, out);
      if (out.length === 0 && deadlockOn) {
        const allEnd = b.threads.every((th, ti) => th.template.isEnd[p.t[ti]!.at] === 1);
        // A state whose only steps fail assertions is not a deadlock; count those as enabled.
        const anyEnabled = b.threads.some((th, ti) =>
          th.template.steps.some((st) => {
            if (st.at !== p.t[ti]!.at) return false;
            const cv = view(b, p, true);
            try {
              return !st.guard || st.guard(cv.s, cv.me[ti]);
            } catch (e) {
              // A guard whose assertion fails is a step that fails, not a blocked one.
              if (e instanceof RefAssert) return true;
              throw e;
            }
          }),
        );
        if (!allEnd && !anyEnabled) note('deadlock:deadlock', d);
      }
    }
    frontier = next;
  }
  const ended = (k: string, t: number) => {
    const p = states.get(k)!;
    return b.threads[t]!.template.isEnd[p.t[t]!.at] === 1;
  };
  return { states: states.size, transitions, violations, graph, depth, initial: k0, ended };
}

/**
 * Is there a fair non-progress cycle? Brute force: the non-progress SCC of
 * each state is {u : u reaches v and v reaches u}; fairness is judged on
 * whole SCCs (refining for strong fairness by dropping states where an
 * offending thread is enabled). `starving` >= 0 excludes only that thread's
 * progress transitions and asks that it is unfinished.
 */
export function referenceFairCycle(b: BuiltModel, r: RefResult, fairness: Fairness, starving = -1): boolean {
  return referenceFairCycleDepth(b, r, fairness, starving) !== null;
}

/**
 * The BFS depth of the state nearest the initial state that lies on a fair
 * non-progress cycle (every state of a fair component, or of a fair part of
 * one under strong fairness, lies on one), or null when there is none: the
 * shortest stem a lasso can have.
 */
export function referenceFairCycleDepth(b: BuiltModel, r: RefResult, fairness: Fairness, starving = -1): number | null {
  if (r.truncated) throw new Error('referenceFairCycle needs a whole exploration (this one stopped at maxStates)');
  const T = b.threads.length;
  const excluded = (e: RefEdge) => e.progress && (starving < 0 || e.thread === starving);
  // The edges that are not excluded, both ways: the strongly connected component of v is what v reaches and what reaches v.
  const succs = new Map<string, string[]>();
  const preds = new Map<string, string[]>();
  const add = (m: Map<string, string[]>, k: string, v: string) => {
    const l = m.get(k);
    if (l) l.push(v);
    else m.set(k, [v]);
  };
  for (const [k, out] of r.graph)
    for (const e of out)
      if (!excluded(e)) {
        add(succs, k, e.to);
        add(preds, e.to, k);
      }
  const reach = (from: string, inSet: (k: string) => boolean, adj = succs): Set<string> => {
    const seen = new Set<string>();
    const stack = [from];
    while (stack.length) {
      const k = stack.pop()!;
      for (const to of adj.get(k) ?? []) {
        if (!inSet(to) || seen.has(to)) continue;
        seen.add(to);
        stack.push(to);
      }
    }
    return seen;
  };
  const enabled = (k: string) => new Set((r.graph.get(k) ?? []).map((e) => e.thread));
  let nearest: number | null = null;
  const fairFound = (scc: Set<string>): void => {
    for (const u of scc) if (nearest === null || r.depth.get(u)! < nearest) nearest = r.depth.get(u)!;
  };
  // Every fair component is visited (none returns early), so that the nearest state on any of them is found.
  const fairIn = (set: Set<string>): void => {
    const done = new Set<string>();
    for (const v of set) {
      if (done.has(v)) continue;
      const fwd = reach(v, (k) => set.has(k));
      if (!fwd.has(v)) {
        done.add(v);
        continue; // v is on no cycle
      }
      const bwd = reach(v, (k) => set.has(k), preds);
      const scc = new Set([...fwd].filter((u) => bwd.has(u)));
      for (const u of scc) done.add(u);
      const moves = new Set<number>();
      for (const u of scc) for (const e of r.graph.get(u)!) if (!excluded(e) && scc.has(e.to)) moves.add(e.thread);
      const live = [...scc].some((u) =>
        starving >= 0 ? !r.ended(u, starving) : b.threads.some((th, t) => th.template.hasProgress && !r.ended(u, t)),
      );
      if (!live) continue;
      const offenders: number[] = [];
      for (let t = 0; t < T; t++) {
        if (moves.has(t)) continue;
        const en = [...scc].map((u) => enabled(u).has(t));
        if (fairness === 'weak' && en.every((x) => x)) offenders.push(t);
        if (fairness === 'strong' && en.some((x) => x)) offenders.push(t);
      }
      if (offenders.length === 0) fairFound(scc);
      else if (fairness === 'strong') {
        const sub = new Set([...scc].filter((u) => !offenders.some((t) => enabled(u).has(t))));
        if (sub.size) fairIn(sub);
      }
    }
  };
  fairIn(new Set(r.graph.keys()));
  return nearest;
}

/**
 * The starvation a search reports when there is no fair non-progress cycle:
 * the thread with progress labels whose starvation is reached in the fewest
 * steps, the first in thread order among those as near, with that depth;
 * null when no thread can starve.
 */
export function referenceNearestStarvation(b: BuiltModel, r: RefResult, fairness: Fairness): { thread: number; depth: number } | null {
  let best: { thread: number; depth: number } | null = null;
  b.threads.forEach((th, t) => {
    if (!th.template.hasProgress) return;
    const d = referenceFairCycleDepth(b, r, fairness, t);
    if (d !== null && (best === null || d < best.depth)) best = { thread: t, depth: d };
  });
  return best;
}

/** What the search reports as a livelock: a fair non-progress cycle, or one thread with progress steps starving while others progress. */
export function referenceLivelock(b: BuiltModel, r: RefResult, fairness: Fairness): boolean {
  return referenceFairCycle(b, r, fairness) || b.threads.some((th, i) => th.template.hasProgress && referenceFairCycle(b, r, fairness, i));
}
