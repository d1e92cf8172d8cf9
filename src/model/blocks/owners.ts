import { McError, q } from '../errors.ts';
import { array, threadId, type Domain } from '../domains.ts';
import { checkIdent, guardOf, noteGroup, type Fragment } from './compose.ts';

/**
 * The owner variables of a lock that threads of several groups may take: one
 * `threadId(group, { none: true })` per group (a thread id names a replica
 * of one group, and symmetry reduction permutes it with that group). With
 * one group the variable is the lock's own name (`ptl`); with several, the
 * lock's name and the group's (`ptl_fault`, `ptl_migrate`). The lock is free
 * when every owner variable is -1.
 */
export class Owners {
  readonly vars: ReadonlyMap<string, string>;
  /** With `count`, the lock is an array of `count` locks (one per page, per CPU, per fork), indexed by an expression each fragment is given. */
  constructor(readonly block: string, readonly lock: string, groups: readonly string[], readonly count?: number) {
    if (count !== undefined && (!Number.isInteger(count) || count < 1 || count > 4096)) throw new McError('MC171', `${block}(${q(lock)}): count must be an integer in 1..4096, got ${q(count)}`);
    checkIdent(`${block}(${q(lock)})`, lock);
    if (!Array.isArray(groups) || groups.length === 0) throw new McError('MC171', `${block}(${q(lock)}): name the thread groups that may take it (got ${q(groups)})`);
    const m = new Map<string, string>();
    for (const g of groups) {
      checkIdent(`${block}(${q(lock)}) group`, g);
      if (m.has(g)) throw new McError('MC171', `${block}(${q(lock)}): group ${q(g)} is listed twice`);
      m.set(g, groups.length === 1 ? lock : `${lock}_${g}`);
    }
    this.vars = m;
  }
  /** The owner variable of `group` (the only group when omitted). */
  of(group: string | undefined, op: string): string {
    if (group === undefined) {
      if (this.vars.size === 1) {
        noteGroup(this.lock, [...this.vars.keys()][0]!);
        return [...this.vars.values()][0]!;
      }
      throw new McError('MC173', `${this.block}(${q(this.lock)}).${op}(): name the calling thread group (one of ${[...this.vars.keys()].join(', ')})`);
    }
    const v = this.vars.get(group);
    if (v === undefined) throw new McError('MC173', `${this.block}(${q(this.lock)}).${op}(${q(group)}): ${q(group)} is not among the groups that may take it (${[...this.vars.keys()].join(', ')})`);
    noteGroup(this.lock, group);
    return v;
  }
  shared(): Record<string, Domain> {
    const out: Record<string, Domain> = {};
    for (const [g, v] of this.vars) out[v] = this.count === undefined ? threadId(g, { none: true }) : array(this.count, threadId(g, { none: true }));
    return out;
  }
  /**
   * Text of one owner variable, read (`s.ptl`, `s.fork.get(i)`) or written
   * (`s.ptl = x`, `s.fork.set(i, x)`); `index` is the model's expression
   * (source text such as `me.id` or `(me.id + 1) % 3`) choosing one lock of
   * an array, and must be given exactly when the lock is an array.
   */
  index(index: string | undefined, op: string): string | undefined {
    if ((index === undefined) !== (this.count === undefined))
      throw new McError('MC173', `${this.block}(${q(this.lock)}).${op}(): ${this.count === undefined ? 'a single lock takes no index' : `an array of ${this.count} locks needs the index of one (source text such as 'me.id')`}`);
    if (index !== undefined && (typeof index !== 'string' || /[;{}]|=>/.test(index) || /(?<![=!<>])=(?!=)/.test(index)))
      throw new McError('MC173', `${this.block}(${q(this.lock)}).${op}(): the index must be an expression without assignments or statements, got ${q(index)}`);
    return index;
  }
  read(v: string, index: string | undefined): string {
    return index === undefined ? `s.${v}` : `s.${v}.get(${index})`;
  }
  write(v: string, index: string | undefined, value: string): string {
    return index === undefined ? `s.${v} = ${value};` : `s.${v}.set(${index}, ${value});`;
  }
  /** Text of "no group holds it". */
  freeText(index?: string): string {
    return [...this.vars.values()].map((v) => `${this.read(v, index)} === -1`).join(' && ');
  }
  /** Text of "some group holds it". */
  heldText(index?: string): string {
    return [...this.vars.values()].map((v) => `${this.read(v, index)} !== -1`).join(' || ');
  }
  /**
   * The guards of a lock with these owners (`nm` names one lock of it for
   * the reports): `held(group, index)`, the caller holds it
   * (`lockdep_assert_held`); `isLocked(index)`, some thread does; `free(index)`.
   */
  guards(nm: (index: string | undefined) => string) {
    return {
      held: (g?: string, index?: string): Fragment => {
        const i = this.index(index, 'held');
        return { when: guardOf(`${this.read(this.of(g, 'held'), i)} === me.id`, `${nm(i)} held by me`) };
      },
      isLocked: (index?: string): Fragment => {
        const i = this.index(index, 'isLocked');
        return { when: guardOf(this.heldText(i), `${nm(i)} locked`) };
      },
      free: (index?: string): Fragment => {
        const i = this.index(index, 'free');
        return { when: guardOf(this.freeText(i), `${nm(i)} free`) };
      },
    };
  }
  decl(): { var: string; group: string }[] {
    return [...this.vars].map(([group, v]) => ({ var: v, group }));
  }
}
