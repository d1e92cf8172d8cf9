/**
 * A small, tool-neutral description of the kernel models, step by step, from
 * which kernel-promela.ts and kernel-murphi.ts print SPIN and Murphi (Rumur)
 * ports. Each builder below follows its model file (models/*.ts) line by
 * line: the same shared variables, locals, domains and initial values, the
 * same labels, and one IR step per mmcheck step with the same guard, effect
 * and next label. kernel-selfcheck.ts proves the translation: with no
 * reduction the peers' state and transition counts equal mmcheck's.
 *
 * Expressions and statements are strings in a neutral JavaScript-like
 * syntax: `==`, `!=`, `&&`, `||`, `!`, `<`, `<=`, `>`, `>=`, `+`, `-`, `%`,
 * parentheses, `true`/`false`, integers and variable names. Inside a step of
 * a replicated group the token `me` is the replica's id (Promela: the
 * proctype parameter `p`; Murphi: the `ruleset` scalarset variable). Enum
 * values are written `<var>_<VALUE>`, labels `L_<group>_<label>`; the
 * generators turn them into #defines (Promela) or enum constants (Murphi).
 * Bitwise operations of the models (`mmSeq | 1`, `mmSeq & 1`) are written
 * with `% 2` (Murphi has no bitwise operators); they are equal on the
 * models' non-negative ranges.
 *
 * Further names (used by the fuzz generator, fuzz-gen.ts):
 * - `none`: the "no thread" value of a thread-id variable (`tid`), which
 *   holds a replica id of its group or none; it is only stored, compared
 *   with `==`/`!=` (with `me`, `none` or another id of its group) and used
 *   as an index of the group's arrays, thread labels and locals, each such
 *   read under a test that it is not `none`.
 * - `c`: in the effect and `next` of a step with `choose: N`, the choice
 *   (0..N-1; each choice is one transition).
 * - `<group>_pc` (single thread) / `<group>_pc[i]` (replica i): a thread's
 *   label, compared with `L_<group>_<label>`; `<group>_<local>[i]` read in
 *   an invariant or in another group's step is replica i's local.
 * - `COUNT_<group>_<label>`: how many replicas of a group are at a label.
 */

import { FLAGS } from '../../models/migration-entry-wait.ts';

export type VarType =
  | { kind: 'bool'; init: boolean }
  | { kind: 'int'; min: number; max: number; init: number }
  | { kind: 'enum'; values: readonly string[]; init: string }
  /** A replica id of the replicated group `group`, or `none` (its initial value). */
  | { kind: 'tid'; group: string };

export interface Var {
  name: string;
  type: VarType;
  /** An array of `length` elements; `index` names the replicated group whose ids index it (symmetric under permutations). */
  array?: { length: number; index?: string };
}

export type Stmt =
  | { set: string; to: string }
  | { if: string; then: Stmt[]; else?: Stmt[] }
  | { assert: string; name: string }
  /** Every element of an array indexed by a replicated group gets the same value (mmcheck: a loop over `.length`). */
  | { setAll: string; to: string };

export interface Step {
  name: string;
  at: string;
  when?: string;
  then?: Stmt[];
  /** A label, or a label computed on the successor state (after `then`). */
  next: string | { if: string; then: string; else: string };
  /** Nondeterministic choice: the step has `choose` transitions, its effect and `next` read the choice as `c`. */
  choose?: number;
  /** Taking this step is progress (mmcheck `progress: true`; SPIN: the process passes a `progress` label). */
  progress?: boolean;
}

export interface Group {
  name: string;
  count: number;
  replicated: boolean;
  /**
   * A replicated group whose replica ids are used only as names (indices of
   * its own arrays): Murphi declares them a scalarset, and symmetry reduction
   * permutes them. Default true; false when a step computes with `me`
   * (Murphi: a range type, which Rumur's symmetry reduction leaves alone).
   */
  symmetric?: boolean;
  /** Locals: one per replica (arrays indexed by the group in the ports). */
  locals: Var[];
  start: string;
  end: string[];
  steps: Step[];
}

export interface KernelModel {
  name: string;
  /** Human-readable instance, e.g. "migration-entry-wait/wait-on-locked faulters=3". */
  title: string;
  /** The model's variant and every parameter value (defaults resolved), as mmcheck takes them. */
  variant: string;
  params: Record<string, string | number>;
  shared: Var[];
  groups: Group[];
  invariants: { name: string; expr: string }[];
  /** Report deadlocks (no step enabled, some thread not at an end label). */
  deadlock: boolean;
}

/** Every label of a group in first-use order: start, step labels and static next labels, end labels. */
export function labelsOf(g: Group): string[] {
  const out: string[] = [];
  const add = (l: string) => {
    if (!out.includes(l)) out.push(l);
  };
  add(g.start);
  for (const st of g.steps) {
    add(st.at);
    if (typeof st.next === 'string') add(st.next);
    else {
      add(st.next.then);
      add(st.next.else);
    }
  }
  for (const e of g.end) add(e);
  return out;
}

export const labelConst = (g: Group | string, l: string) => `L_${typeof g === 'string' ? g : g.name}_${l}`;

// ---------------------------------------------------------------------------
// migration-entry-wait (models/migration-entry-wait.ts)

// The per-variant flags come from the model file itself, so the ports cannot drift from it.
export const MIGRATION_ENTRY_WAIT_VARIANTS = Object.keys(FLAGS);

export interface MewParams {
  faulters: number;
  holder?: number;
  onFailure?: 'retry' | 'sigbus';
  checkSlack?: number;
  contended?: 'refault' | 'wait';
}

/** Variant defaults that differ from the parameter defaults (the model's `variants`). */
const MEW_VARIANT_DEFAULTS: Record<string, Partial<MewParams>> = { 'skip-refcount-check': { holder: 1 } };

export function migrationEntryWait(variant: string, params: MewParams, opts: { deadlock?: boolean } = {}): KernelModel {
  const f = FLAGS[variant];
  if (!f) throw new Error(`migration-entry-wait port: unknown variant ${variant} (variants: ${Object.keys(FLAGS).join(', ')})`);
  const p = { holder: 0, onFailure: 'retry', checkSlack: 1, contended: 'refault', ...MEW_VARIANT_DEFAULTS[variant], ...params } as Required<MewParams>;
  const { faulters, holder, onFailure, checkSlack, contended } = p;
  const sigbusMode = onFailure === 'sigbus';
  const waitContended = contended === 'wait' && variant !== 'wait-unlocked-ptl';
  const dies = sigbusMode ? 'T_res[me] == res_FAIL' : 'false';
  const notDies = sigbusMode ? '!(T_res[me] == res_FAIL)' : 'true';

  // ---- the spec's notation (§4) ----
  const touch: Stmt = { assert: 'pState == pState_ALLOC', name: 'no-uaf' };
  const put: Stmt[] = [
    { assert: 'refs > 0', name: 'ref-sane' },
    { set: 'refs', to: 'refs - 1' },
    { if: 'refs == 0', then: [{ set: 'pState', to: 'pState_FREE' }] },
  ];
  // The pageLock block (holder: 'local'): PG_locked, the holder's page_held, PG_waiters and the wait queue.
  const take: Stmt[] = [{ set: 'page_locked', to: 'true' }, { set: 'T_page_held[me]', to: 'true' }];
  const unlock: Stmt[] = [
    { set: 'page_locked', to: 'false' },
    { set: 'T_page_held[me]', to: 'false' },
    { if: 'page_waiters', then: [{ set: 'page_waiters', to: 'false' }, { setAll: 'page_wq', to: 'false' }] },
  ];
  const queueIfLocked: Stmt = { if: 'page_locked', then: [{ set: 'page_wq[me]', to: 'true' }, { set: 'page_waiters', to: 'true' }] };
  const reset: Stmt[] = [
    { set: 'T_fref[me]', to: 'false' },
    { set: 'T_res[me]', to: 'res_NONE' },
  ];
  /** refs <op> exp(me) + k, with exp(me) = 1 + (fref ? 1 : 0). */
  const cmpExp = (op: '<=' | '>' | '==' | '!=', k = 0) => `((T_fref[me] && refs ${op} ${2 + k}) || (!T_fref[me] && refs ${op} ${1 + k}))`;

  const steps: Step[] = [{ name: 'fault_present', at: 'F0', when: "pte == pte_RAM", next: 'done' }];

  // F0 on a migration entry.
  if (f.wait === 'REF_SLEEP' || f.wait === 'PUT_AND_WAIT') {
    steps.push({
      name: 'migration_entry_wait',
      at: 'F0',
      when: 'pte == pte_MIG',
      then: [touch, { assert: 'refs > 0', name: 'ref-sane' }, { set: 'refs', to: 'refs + 1' }],
      next: 'W2',
    });
  } else if (f.wait === 'ON_LOCKED') {
    steps.push({
      name: 'migration_entry_wait',
      at: 'F0',
      when: 'pte == pte_MIG',
      then: [touch, queueIfLocked],
      next: { if: 'page_wq[me]', then: 'W4', else: 'F0' },
    });
  } else {
    steps.push({ name: 'migration_entry_wait', at: 'F0', when: 'pte == pte_MIG', next: 'WQ' });
  }

  // F0 on a device-private entry.
  const collectOk: Stmt[] = [touch, ...take, { set: 'pte', to: 'pte_MIG' }];
  switch (f.dispatch) {
    case 'COLLECT':
      steps.push({ name: 'migrate_vma_collect_pmd', at: 'F0', when: 'pte == pte_DEVPRIV && !page_locked', then: collectOk, next: 'M4' });
      steps.push({ name: 'migrate_vma_collect_busy', at: 'F0', when: 'pte == pte_DEVPRIV && page_locked', then: [touch], next: 'F0' });
      break;
    case 'LOCKLESS':
      steps.push({ name: 'do_swap_page', at: 'F0', when: 'pte == pte_DEVPRIV', next: 'MT' });
      steps.push({ name: 'migrate_vma_collect_pmd', at: 'MT', when: 'pte == pte_DEVPRIV && !page_locked', then: collectOk, next: 'M4' });
      steps.push({ name: 'migrate_vma_collect_none', at: 'MT', when: '!(pte == pte_DEVPRIV && !page_locked)', then: [touch], next: 'F0' });
      break;
    case 'REF':
      steps.push({
        name: 'do_swap_page_get_page',
        at: 'F0',
        when: 'pte == pte_DEVPRIV',
        then: [touch, { set: 'refs', to: 'refs + 1' }, { set: 'T_fref[me]', to: 'true' }],
        next: 'M1',
      });
      break;
    case 'TRYLOCK_REF':
      steps.push({
        name: 'do_swap_page_trylock',
        at: 'F0',
        when: 'pte == pte_DEVPRIV && !page_locked',
        then: [touch, ...take, { set: 'refs', to: 'refs + 1' }, { set: 'T_fref[me]', to: 'true' }],
        next: 'M1',
      });
      if (waitContended)
        steps.push({ name: 'do_swap_page_wait_on_locked', at: 'F0', when: 'pte == pte_DEVPRIV && page_locked', then: [touch, queueIfLocked], next: 'W4' });
      else steps.push({ name: 'do_swap_page_trylock_busy', at: 'F0', when: 'pte == pte_DEVPRIV && page_locked', then: [touch], next: 'F0' });
      break;
  }

  // M1: collect (v6.1+).
  const afterMigrate = f.fl ? 'D2a' : 'D2';
  if (f.dispatch === 'REF' || f.dispatch === 'TRYLOCK_REF') {
    const collects = f.fl ? 'pte == pte_DEVPRIV' : 'pte == pte_DEVPRIV && !page_locked';
    steps.push({
      name: 'migrate_vma_collect_pmd',
      at: 'M1',
      when: collects,
      then: [touch, ...(f.fl ? [{ assert: 'T_page_held[me]', name: 'fault-page-locked' }] : take), { set: 'pte', to: 'pte_MIG' }],
      next: 'M2',
    });
    steps.push({ name: 'migrate_vma_collect_none', at: 'M1', when: `!(${collects})`, then: [{ set: 'T_res[me]', to: 'res_NOPAGE' }], next: afterMigrate });
  }

  // M2: migrate_vma_check_page (v6.1+).
  if (f.checkVma) {
    steps.push({ name: 'migrate_vma_check_page', at: 'M2', when: cmpExp('<=', checkSlack), next: 'M4' });
    steps.push({ name: 'migrate_vma_check_page_fail', at: 'M2', when: cmpExp('>', checkSlack), then: [{ set: 'T_res[me]', to: 'res_NOPAGE' }], next: 'M5restore' });
  }

  // M4: copy + migrate_vma_pages.
  const commit: Stmt[] = [touch, { set: 'T_res[me]', to: 'res_OK' }, { set: 'migrated', to: 'true' }];
  if (f.checkMap === 'STRICT') {
    steps.push({ name: 'migrate_vma_pages', at: 'M4', when: cmpExp('=='), then: commit, next: 'M5ok' });
    steps.push({ name: 'migrate_vma_pages_eagain', at: 'M4', when: cmpExp('!='), then: [touch, { set: 'T_res[me]', to: 'res_FAIL' }], next: 'M5restore' });
  } else {
    steps.push({ name: 'migrate_vma_pages', at: 'M4', then: commit, next: 'M5ok' });
  }

  // M5: remove_migration_ptes.
  steps.push({ name: 'remove_migration_ptes', at: 'M5ok', then: [{ assert: 'pte == pte_MIG', name: 'pte-is-migration-entry' }, { set: 'pte', to: 'pte_RAM' }], next: 'M6' });
  steps.push({ name: 'remove_migration_ptes_restore', at: 'M5restore', then: [touch, { set: 'pte', to: 'pte_DEVPRIV' }, { set: 'refs', to: 'refs + 1' }], next: 'M6' });

  // M6: rest of finalize.
  const finalize: Stmt[] = [touch, ...(f.fl ? [] : unlock), ...put];
  if (f.dispatch === 'COLLECT' || f.dispatch === 'LOCKLESS') {
    steps.push({ name: 'migrate_vma_finalize', at: 'M6', when: notDies, then: [...finalize, ...reset], next: 'F0' });
    steps.push({ name: 'migrate_vma_finalize_sigbus', at: 'M6', when: dies, then: [...finalize, { set: 'sigbus', to: 'true' }], next: 'killed' });
  } else {
    steps.push({ name: 'migrate_vma_finalize', at: 'M6', then: finalize, next: afterMigrate });
  }

  // D2: do_swap_page after migrate_to_ram returns (v6.1+).
  if (f.dispatch === 'REF' || f.dispatch === 'TRYLOCK_REF') {
    const putFault: Stmt[] = [...put, { set: 'T_fref[me]', to: 'false' }];
    const unlockFault: Stmt[] = [touch, ...unlock];
    const last = (at: string, name: string, effect: Stmt[]) => {
      steps.push({ name, at, when: notDies, then: [...effect, ...reset], next: 'F0' });
      steps.push({ name: `${name}_sigbus`, at, when: dies, then: [...effect, { set: 'sigbus', to: 'true' }], next: 'killed' });
    };
    if (!f.fl) last('D2', 'do_swap_page_put_page', putFault);
    else if (!f.putFirst) {
      steps.push({ name: 'do_swap_page_unlock_page', at: 'D2a', then: unlockFault, next: 'D2b' });
      last('D2b', 'do_swap_page_put_page', putFault);
    } else {
      steps.push({ name: 'do_swap_page_put_page', at: 'D2a', then: putFault, next: 'D2b' });
      last('D2b', 'do_swap_page_unlock_page', unlockFault);
    }
  }

  // W: waiters.
  if (f.wait === 'REF_SLEEP' || f.wait === 'PUT_AND_WAIT') {
    steps.push({
      name: f.wait === 'PUT_AND_WAIT' ? 'put_and_wait_on_page_locked' : 'wait_on_page_locked',
      at: 'W2',
      then: [touch, queueIfLocked],
      next: f.wait === 'PUT_AND_WAIT' ? 'W3' : 'W4r',
    });
  }
  if (f.wait === 'PUT_AND_WAIT') steps.push({ name: 'put_and_wait_drop', at: 'W3', then: put, next: 'W4' });
  if (f.wait === 'REF_SLEEP') {
    steps.push({ name: 'woken_holding_ref', at: 'W4r', when: '!page_wq[me]', next: 'W3r' });
    steps.push({ name: 'put_page_after_wait', at: 'W3r', then: [...put, ...reset], next: 'F0' });
  }
  if (f.wait === 'UNLOCKED_PTL') {
    steps.push({
      name: 'migration_entry_wait_on_locked',
      at: 'WQ',
      then: [touch, queueIfLocked],
      next: { if: 'page_wq[me]', then: 'W4', else: 'F0' },
    });
  }
  if (f.wait !== 'REF_SLEEP') steps.push({ name: 'woken', at: 'W4', when: '!page_wq[me]', then: reset, next: 'F0' });

  const groups: Group[] = [
    {
      name: 'T',
      count: faulters,
      replicated: true,
      locals: [
        { name: 'fref', type: { kind: 'bool', init: false } },
        { name: 'res', type: { kind: 'enum', values: ['NONE', 'OK', 'FAIL', 'NOPAGE'], init: 'NONE' } },
        { name: 'page_held', type: { kind: 'bool', init: false } },
      ],
      start: 'F0',
      end: ['done', 'killed'],
      steps,
    },
  ];
  if (holder === 1) {
    groups.push({
      name: 'H',
      count: 1,
      replicated: false,
      locals: [],
      start: 'H1',
      end: ['Hdone'],
      steps: [
        { name: 'holder_get_page', at: 'H1', when: 'pte == pte_DEVPRIV', then: [touch, { set: 'refs', to: 'refs + 1' }], next: 'H2' },
        { name: 'holder_lookup_none', at: 'H1', when: 'pte != pte_DEVPRIV', next: 'Hdone' },
        { name: 'holder_use_page', at: 'H2', then: [touch, { assert: '!migrated', name: 'no-stale-access' }], next: 'H3' },
        { name: 'holder_put_page', at: 'H3', then: put, next: 'Hdone' },
      ],
    });
  }
  return {
    name: 'migration-entry-wait',
    title: `migration-entry-wait/${variant} faulters=${faulters} holder=${holder} onFailure=${onFailure} checkSlack=${checkSlack} contended=${contended}`,
    variant,
    params: { faulters, holder, onFailure, checkSlack, contended },
    shared: [
      { name: 'pte', type: { kind: 'enum', values: ['DEVPRIV', 'MIG', 'RAM'], init: 'DEVPRIV' } },
      { name: 'refs', type: { kind: 'int', min: 0, max: faulters + 3, init: 1 } },
      { name: 'page_locked', type: { kind: 'bool', init: false } },
      { name: 'page_waiters', type: { kind: 'bool', init: false } },
      { name: 'page_wq', type: { kind: 'bool', init: false }, array: { length: faulters, index: 'T' } },
      { name: 'pState', type: { kind: 'enum', values: ['ALLOC', 'FREE'], init: 'ALLOC' } },
      { name: 'migrated', type: { kind: 'bool', init: false } },
      { name: 'sigbus', type: { kind: 'bool', init: false } },
    ],
    groups,
    invariants: [
      { name: 'no-sigbus', expr: '!sigbus' },
      { name: 'mig-implies-locked', expr: 'pte != pte_MIG || page_locked' },
      { name: 'free-implies-unreferenced', expr: 'pState != pState_FREE || (refs == 0 && pte == pte_RAM)' },
    ],
    deadlock: opts.deadlock ?? true,
  };
}

// ---------------------------------------------------------------------------
// interval-notifier (models/interval-notifier.ts)

export const INTERVAL_NOTIFIER_VARIANTS = ['correct', 'no-read-retry', 'retry-outside-lock', 'seq-outside-lock', 'read-begin-under-lock', 'read-begin-no-wait'];

export interface InParams {
  invalidators?: number;
  notifiers?: number;
  retries?: number;
  freeAt?: 'zap' | 'afterEnd';
}

const IN_VARIANT_DEFAULTS: Record<string, Partial<InParams>> = { 'read-begin-under-lock': { notifiers: 2 } };

export function intervalNotifier(variant: string, params: InParams, opts: { deadlock?: boolean } = {}): KernelModel {
  if (!INTERVAL_NOTIFIER_VARIANTS.includes(variant)) throw new Error(`interval-notifier port: unknown variant ${variant}`);
  const p = { invalidators: 1, notifiers: 1, retries: 2, freeAt: 'zap', ...IN_VARIANT_DEFAULTS[variant], ...params } as Required<InParams>;
  const { invalidators, notifiers, retries, freeAt } = p;
  // Sequences stay below 2 + 2 × invalidators (each invalidation makes mmSeq odd once and even once), as in the model.
  const maxSeq = 2 + 2 * invalidators;
  const underLock = variant === 'read-begin-under-lock';
  const again = underLock ? 'F0L' : 'F1';
  const canRetry = `F_tries < ${retries}`;
  const retry: Stmt[] = [
    { set: 'F_tries', to: 'F_tries + 1' },
    { set: 'F_pfn', to: 'pfn_NONE' },
  ];
  const collided = 'mniSeq[0] != F_s';
  const program: Stmt = { if: 'F_pfn == pfn_P', then: [{ set: 'gpu', to: 'gpu_MAP' }] };

  const F: Step[] = [];
  if (underLock) F.push({ name: 'take_lock_first', at: 'F0L', when: 'drv == drv_none', then: [{ set: 'drv', to: 'drv_F' }], next: 'F1' });
  const afterBegin = underLock ? 'F1u' : 'F2';
  F.push({
    name: 'mmu_interval_read_begin',
    at: 'F1',
    then: [{ set: 'F_s', to: 'mniSeq[0]' }],
    next: variant !== 'read-begin-no-wait' ? { if: 'F_s == mmSeq', then: 'F1w', else: afterBegin } : afterBegin,
  });
  if (variant !== 'read-begin-no-wait') F.push({ name: 'read_begin_wait', at: 'F1w', when: 'mmSeq != F_s', next: afterBegin });
  if (underLock) F.push({ name: 'release_lock_after_begin', at: 'F1u', then: [{ set: 'drv', to: 'drv_none' }], next: 'F2' });
  F.push({
    name: 'hmm_range_fault',
    at: 'F2',
    when: `!(${collided})`,
    then: [{ if: 'pte == pte_PRESENT', then: [{ set: 'F_pfn', to: 'pfn_P' }], else: [{ set: 'F_pfn', to: 'pfn_NONE' }] }],
    next: variant === 'retry-outside-lock' ? 'F3x' : 'F3',
  });
  F.push({ name: 'hmm_range_fault_ebusy', at: 'F2', when: `(${collided}) && ${canRetry}`, then: retry, next: again });
  F.push({ name: 'hmm_range_fault_timeout', at: 'F2', when: `(${collided}) && !(${canRetry})`, next: 'Fbusy' });
  if (variant === 'retry-outside-lock') {
    F.push({ name: 'read_retry_unlocked', at: 'F3x', when: `!(${collided})`, next: 'F4x' });
    F.push({ name: 'read_retry_unlocked_collision', at: 'F3x', when: `(${collided}) && ${canRetry}`, then: retry, next: again });
    F.push({ name: 'read_retry_unlocked_timeout', at: 'F3x', when: `(${collided}) && !(${canRetry})`, next: 'Fbusy' });
    F.push({ name: 'update_device_ptes', at: 'F4x', when: 'drv == drv_none', then: [program], next: 'Fdone' });
  } else {
    F.push({ name: 'take_lock', at: 'F3', when: 'drv == drv_none', then: [{ set: 'drv', to: 'drv_F' }], next: 'F4' });
    if (variant === 'no-read-retry') {
      F.push({ name: 'update_device_ptes', at: 'F4', then: [program, { set: 'drv', to: 'drv_none' }], next: 'Fdone' });
    } else {
      F.push({ name: 'update_device_ptes', at: 'F4', when: `!(${collided})`, then: [program, { set: 'drv', to: 'drv_none' }], next: 'Fdone' });
      F.push({ name: 'read_retry_collision', at: 'F4', when: `(${collided}) && ${canRetry}`, then: [{ set: 'drv', to: 'drv_none' }, ...retry], next: again });
      F.push({ name: 'read_retry_timeout', at: 'F4', when: `(${collided}) && !(${canRetry})`, then: [{ set: 'drv', to: 'drv_none' }], next: 'Fbusy' });
    }
  }

  const I: Step[] = [
    {
      name: 'mn_itree_inv_start_range',
      at: 'I1',
      then: [
        { set: 'active', to: 'active + 1' },
        { if: 'mmSeq % 2 == 0', then: [{ set: 'mmSeq', to: 'mmSeq + 1' }] }, // mmSeq |= 1
        { set: 'I_cur[me]', to: 'mmSeq' },
      ],
      next: 'I2_0',
    },
  ];
  for (let k = 0; k < notifiers; k++) {
    const after = k + 1 < notifiers ? `I2_${k + 1}` : 'I3';
    const clear: Stmt[] = k === 0 ? [{ set: 'gpu', to: 'gpu_NONE' }] : [];
    if (variant === 'seq-outside-lock') {
      I.push({ name: `invalidate_mni${k}`, at: `I2_${k}`, when: 'drv == drv_none', then: clear, next: `I2s_${k}` });
      I.push({ name: `set_seq_mni${k}`, at: `I2s_${k}`, then: [{ set: `mniSeq[${k}]`, to: 'I_cur[me]' }], next: after });
    } else {
      I.push({ name: `invalidate_mni${k}`, at: `I2_${k}`, when: 'drv == drv_none', then: [{ set: `mniSeq[${k}]`, to: 'I_cur[me]' }, ...clear], next: after });
    }
  }
  I.push({
    name: 'zap_pte_range',
    at: 'I3',
    then: [{ if: 'pte == pte_PRESENT', then: [{ set: 'pte', to: 'pte_NONE' }, freeAt === 'zap' ? { set: 'pFree', to: 'true' } : { set: 'I_zapped[me]', to: 'true' }] }],
    next: 'I4',
  });
  I.push({
    name: 'mn_itree_inv_end',
    at: 'I4',
    then: [
      { set: 'active', to: 'active - 1' },
      { if: 'active == 0 && mmSeq % 2 == 1', then: [{ set: 'mmSeq', to: 'mmSeq + 1' }] },
    ],
    next: freeAt === 'zap' ? 'Idone' : 'I5',
  });
  if (freeAt === 'afterEnd') I.push({ name: 'tlb_finish_mmu', at: 'I5', then: [{ if: 'I_zapped[me]', then: [{ set: 'pFree', to: 'true' }] }], next: 'Idone' });

  const parity = [...Array.from({ length: notifiers }, (_, i) => `mniSeq[${i}] % 2 == 1`), '(active != 0 || mmSeq % 2 == 0)'].join(' && ');
  return {
    name: 'interval-notifier',
    title: `interval-notifier/${variant} invalidators=${invalidators} notifiers=${notifiers} retries=${retries} freeAt=${freeAt}`,
    variant,
    params: { invalidators, notifiers, retries, freeAt },
    shared: [
      { name: 'mmSeq', type: { kind: 'int', min: 0, max: maxSeq, init: 2 } },
      { name: 'mniSeq', type: { kind: 'int', min: 0, max: maxSeq, init: 1 }, array: { length: notifiers } },
      { name: 'active', type: { kind: 'int', min: 0, max: invalidators, init: 0 } },
      { name: 'drv', type: { kind: 'enum', values: ['none', 'F'], init: 'none' } },
      { name: 'pte', type: { kind: 'enum', values: ['PRESENT', 'NONE'], init: 'PRESENT' } },
      { name: 'pFree', type: { kind: 'bool', init: false } },
      { name: 'gpu', type: { kind: 'enum', values: ['NONE', 'MAP'], init: 'NONE' } },
    ],
    groups: [
      {
        name: 'F',
        count: 1,
        replicated: false,
        locals: [
          { name: 's', type: { kind: 'int', min: 0, max: maxSeq, init: 0 } },
          { name: 'pfn', type: { kind: 'enum', values: ['NONE', 'P'], init: 'NONE' } },
          { name: 'tries', type: { kind: 'int', min: 0, max: retries, init: 0 } },
        ],
        start: underLock ? 'F0L' : 'F1',
        end: ['Fdone', 'Fbusy'],
        steps: F,
      },
      {
        name: 'I',
        count: invalidators,
        replicated: true,
        locals:
          freeAt === 'zap'
            ? [{ name: 'cur', type: { kind: 'int', min: 0, max: maxSeq, init: 0 } }]
            : [
                { name: 'cur', type: { kind: 'int', min: 0, max: maxSeq, init: 0 } },
                { name: 'zapped', type: { kind: 'bool', init: false } },
              ],
        start: 'I1',
        end: ['Idone'],
        steps: I,
      },
    ],
    invariants: [
      { name: 'device-maps-live-page', expr: 'gpu != gpu_MAP || !pFree' },
      { name: 'device-coherent', expr: 'gpu != gpu_MAP || pte == pte_PRESENT' },
      { name: 'seq-parity', expr: parity },
    ],
    deadlock: opts.deadlock ?? true,
  };
}


// ---------------------------------------------------------------------------
// gpusvm-evict (models/gpusvm-evict.ts)
//
// The model's page lock (holder pLock_E / pLock_C) is written here as `pLockE`
// plus `cLocked` (some C holds it) and `cHolds[me]` (which one): the ports
// index arrays by replica ids only, and the three are one-to-one with the
// holder. The notifier lock's read hold is `nlReaders` (the rwsem's owner
// variables are -1 between steps). Each step with several outcomes is one
// IR step per outcome, as in the model. The invariant that reads the
// threads' labels (migration-window-exclusive) is not ported; the others are.

export const GPUSVM_EVICT_VARIANTS = ['physical-evict', 'va-evict', 'unmap-under-notifier-lock', 'blocking-lock-under-notifier-lock'];

export interface GeParams {
  nC?: number;
  nG?: number;
  evictRetries?: number;
  cTrylockFail?: 'refault' | 'wait';
}

const GE_VARIANT_DEFAULTS: Record<string, Partial<GeParams>> = { 'unmap-under-notifier-lock': { nC: 0 } };

export function gpusvmEvict(variant: string, params: GeParams, opts: { deadlock?: boolean } = {}): KernelModel {
  if (!GPUSVM_EVICT_VARIANTS.includes(variant)) throw new Error(`gpusvm-evict port: unknown variant ${variant}`);
  const p = { nC: 1, nG: 1, evictRetries: 2, cTrylockFail: 'refault', ...GE_VARIANT_DEFAULTS[variant], ...params } as Required<GeParams>;
  const { nC, nG, evictRetries, cTrylockFail } = p;
  const free = '!pLockE && !cLocked';
  const notify: Stmt[] = [
    { set: 'invActive', to: 'invActive + 1' },
    { set: 'mniHit', to: 'true' },
    { set: 'gDirty', to: 'true' },
    { set: 'eDirty', to: 'true' },
    { set: 'gpu', to: 'gpu_NONE' },
    { set: 'gValid', to: 'false' },
  ];
  const invEnd: Stmt[] = [
    { set: 'invActive', to: 'invActive - 1' },
    { if: 'invActive == 0', then: [{ set: 'mniHit', to: 'false' }] },
  ];
  const physical = variant === 'physical-evict';
  const start = physical ? 'pass' : 'begin';
  const E: Step[] = [];
  if (physical) {
    E.push({ name: 'pfn_lock', at: 'pass', when: `!pFree && ${free}`, then: [{ set: 'pLockE', to: 'true' }, { set: 'E_got', to: 'true' }], next: 'notify' });
    E.push({ name: 'pfn_lock_busy', at: 'pass', when: `!pFree && !(${free})`, next: 'detach' });
    E.push({ name: 'pfn_lock_freed', at: 'pass', when: 'pFree', next: 'detach' });
  } else {
    const snapshot: Stmt = { assert: 'E_ePfn != ePfn_P || (!pFree && pte == pte_DEVPRIV_P)', name: 'snapshot-valid-under-nl' };
    const held = variant === 'unmap-under-notifier-lock';
    E.push({ name: 'read_begin', at: 'begin', when: '!mniHit', then: [{ set: 'eDirty', to: 'false' }], next: 'hmm' });
    E.push({
      name: 'hmm_range_fault',
      at: 'hmm',
      when: 'pte != pte_MIGRATION_P',
      then: [{ if: 'pte == pte_DEVPRIV_P', then: [{ set: 'E_ePfn', to: 'ePfn_P' }], else: [{ set: 'E_ePfn', to: 'ePfn_NONE' }] }],
      next: 'nlLock',
    });
    E.push({ name: 'nl_lock_retry', at: 'nlLock', when: '!eDirty', then: [{ set: 'nlReaders', to: '1' }], next: 'pfnLock' });
    E.push({ name: 'nl_lock_retry_dirty', at: 'nlLock', when: 'eDirty', next: 'begin' });
    E.push({ name: 'pfn_lock_nl', at: 'pfnLock', when: `E_ePfn == ePfn_P && !pFree && ${free}`, then: [snapshot, { set: 'pLockE', to: 'true' }, { set: 'E_got', to: 'true' }], next: held ? 'notify' : 'nlUnlock' });
    if (variant !== 'blocking-lock-under-notifier-lock') E.push({ name: 'pfn_lock_nl_busy', at: 'pfnLock', when: `E_ePfn == ePfn_P && !pFree && !(${free})`, then: [snapshot], next: 'nlUnlock' });
    E.push({ name: 'pfn_lock_nl_none', at: 'pfnLock', when: 'E_ePfn != ePfn_P || pFree', then: [snapshot], next: 'nlUnlock' });
    E.push({ name: 'nl_unlock', at: 'nlUnlock', then: [{ set: 'nlReaders', to: '0' }], next: { if: 'E_got', then: 'notify', else: 'detach' } });
    if (held) E.push({ name: 'nl_unlock_late', at: 'nlUnlockLate', then: [{ set: 'nlReaders', to: '0' }], next: 'finalize' });
  }
  E.push({ name: 'ttm_notify', at: 'notify', when: 'nlReaders == 0', then: [{ assert: 'pte == pte_DEVPRIV_P', name: 'evicted-page-still-mapped' }, ...notify], next: 'unmap' });
  E.push({ name: 'ttm_pte', at: 'unmap', then: [{ set: 'pte', to: 'pte_MIGRATION_P' }], next: 'unmapEnd' });
  E.push({ name: 'ttm_end', at: 'unmapEnd', then: invEnd, next: variant === 'unmap-under-notifier-lock' ? 'nlUnlockLate' : 'finalize' });
  E.push({ name: 'finalize_pte', at: 'finalize', then: [{ set: 'pte', to: 'pte_PRESENT_Q' }], next: 'release' });
  E.push({ name: 'unlock_put', at: 'release', then: [{ assert: 'pLockE', name: 'unlock-own-page-lock' }, { set: 'pLockE', to: 'false' }, { set: 'pFree', to: 'true' }], next: 'detach' });
  E.push({ name: 'detach_done', at: 'detach', when: 'pFree', next: 'DONE' });
  E.push({
    name: 'detach_retry',
    at: 'detach',
    when: '!pFree && E_retries > 0',
    then: [
      { set: 'E_retries', to: 'E_retries - 1' },
      { set: 'E_got', to: 'false' },
      { set: 'E_ePfn', to: 'ePfn_NONE' },
    ],
    next: start,
  });
  E.push({ name: 'detach_busy', at: 'detach', when: '!pFree && E_retries == 0', next: 'BUSY' });

  const C: Step[] = [{ name: 'swap_trylock', at: 'fault', when: `pte == pte_DEVPRIV_P && ${free}`, then: [{ set: 'cLocked', to: 'true' }, { set: 'cHolds[me]', to: 'true' }], next: 'notify' }];
  if (cTrylockFail === 'refault') C.push({ name: 'swap_trylock_busy', at: 'fault', when: `pte == pte_DEVPRIV_P && !(${free})`, next: 'fault' });
  C.push(
    { name: 'swap_present', at: 'fault', when: 'pte == pte_PRESENT_Q', next: 'DONE' },
    { name: 'collect_notify', at: 'notify', when: 'nlReaders == 0', then: notify, next: 'collect' },
    { name: 'collect_pte', at: 'collect', then: [{ assert: 'pte == pte_DEVPRIV_P', name: 'collected-page-still-mapped' }, { set: 'pte', to: 'pte_MIGRATION_P' }], next: 'collectEnd' },
    { name: 'collect_end', at: 'collectEnd', then: invEnd, next: 'finalize' },
    { name: 'finalize_pte', at: 'finalize', then: [{ set: 'pte', to: 'pte_PRESENT_Q' }], next: 'release' },
    {
      name: 'unlock_put',
      at: 'release',
      then: [{ assert: 'cHolds[me]', name: 'unlock-own-page-lock' }, { set: 'cHolds[me]', to: 'false' }, { set: 'cLocked', to: 'false' }, { set: 'pFree', to: 'true' }],
      next: 'fault',
    },
  );

  const G: Step[] = [
    { name: 'read_begin', at: 'begin', when: '!mniHit', then: [{ set: 'gDirty', to: 'false' }], next: 'hmm' },
    {
      name: 'hmm_range_fault',
      at: 'hmm',
      when: 'pte != pte_MIGRATION_P',
      then: [{ if: 'pte == pte_DEVPRIV_P', then: [{ set: 'G_gPfn', to: 'gPfn_P' }], else: [{ set: 'G_gPfn', to: 'gPfn_Q' }] }],
      next: 'map',
    },
    {
      name: 'get_pages_commit',
      at: 'map',
      when: '!gDirty',
      then: [{ assert: 'G_gPfn != gPfn_P || (!pFree && pte == pte_DEVPRIV_P)', name: 'dma-map-live-page' }, { set: 'gValid', to: 'true' }],
      next: 'bind',
    },
    { name: 'get_pages_retry', at: 'map', when: 'gDirty', next: 'begin' },
    { name: 'bind', at: 'bind', when: 'gValid', then: [{ if: 'G_gPfn == gPfn_P', then: [{ set: 'gpu', to: 'gpu_MAP_P' }], else: [{ set: 'gpu', to: 'gpu_MAP_Q' }] }], next: 'BOUND' },
    { name: 'bind_invalid', at: 'bind', when: '!gValid', next: 'begin' },
  ];

  const groups: Group[] = [
    {
      name: 'E',
      count: 1,
      replicated: false,
      locals: [
        { name: 'retries', type: { kind: 'int', min: 0, max: evictRetries, init: evictRetries } },
        { name: 'got', type: { kind: 'bool', init: false } },
        { name: 'ePfn', type: { kind: 'enum', values: ['NONE', 'P'], init: 'NONE' } },
      ],
      start,
      end: ['DONE', 'BUSY'],
      steps: E,
    },
  ];
  if (nC > 0) groups.push({ name: 'C', count: nC, replicated: true, locals: [], start: 'fault', end: ['DONE'], steps: C });
  if (nG > 0) groups.push({ name: 'G', count: 1, replicated: false, locals: [{ name: 'gPfn', type: { kind: 'enum', values: ['NONE', 'P', 'Q'], init: 'NONE' } }], start: 'begin', end: ['BOUND'], steps: G });
  return {
    name: 'gpusvm-evict',
    title: `gpusvm-evict/${variant} nC=${nC} nG=${nG} evictRetries=${evictRetries} cTrylockFail=${cTrylockFail}`,
    variant,
    params: { nC, nG, evictRetries, cTrylockFail },
    shared: [
      { name: 'pte', type: { kind: 'enum', values: ['DEVPRIV_P', 'MIGRATION_P', 'PRESENT_Q'], init: 'DEVPRIV_P' } },
      { name: 'pLockE', type: { kind: 'bool', init: false } },
      { name: 'cLocked', type: { kind: 'bool', init: false } },
      ...(nC > 0 ? [{ name: 'cHolds', type: { kind: 'bool', init: false }, array: { length: nC, index: 'C' } } as Var] : []),
      { name: 'pFree', type: { kind: 'bool', init: false } },
      { name: 'nlReaders', type: { kind: 'int', min: 0, max: 1, init: 0 } },
      { name: 'invActive', type: { kind: 'int', min: 0, max: 1 + nC, init: 0 } },
      { name: 'mniHit', type: { kind: 'bool', init: false } },
      { name: 'gDirty', type: { kind: 'bool', init: false } },
      { name: 'eDirty', type: { kind: 'bool', init: false } },
      { name: 'gpu', type: { kind: 'enum', values: ['NONE', 'MAP_P', 'MAP_Q'], init: 'NONE' } },
      { name: 'gValid', type: { kind: 'bool', init: false } },
    ],
    groups,
    invariants: [
      { name: 'gpu-mapping-matches-cpu', expr: '(gpu != gpu_MAP_P || (pte == pte_DEVPRIV_P && !pFree)) && (gpu != gpu_MAP_Q || pte == pte_PRESENT_Q)' },
      { name: 'page-state-consistent', expr: `!pFree || (!pLockE && !cLocked && pte == pte_PRESENT_Q && gpu != gpu_MAP_P)` },
    ],
    deadlock: opts.deadlock ?? true,
  };
}

// ---------------------------------------------------------------------------
// coherent-longterm-pin (models/coherent-longterm-pin.ts)
//
// The model's page lock (holder pLock_G / pLock_E) is `pLockG` / `pLockE`
// here; `pRef` and `pPins` are its refcounts. The thread locals `target` are
// `gTarget` / `sTarget` (the Murphi port names an enum type after its local).
// Each step with several outcomes is one IR step per outcome, as in the model,
// and a variant replaces the same named steps.

export const COHERENT_LONGTERM_PIN_VARIANTS = ['migrate-before-pin', 'fast-path-pins-coherent', 'migratable-ignores-pins'];

export interface ClpParams {
  nG?: number;
  nS?: number;
  evictAttempts?: number;
  ignoreWhich?: 'all' | 'allButMoveMapping';
  omitInvariant?: 'none' | 'no-longterm-pin-on-coherent';
}

export function coherentLongtermPin(variant: string, params: ClpParams, opts: { deadlock?: boolean } = {}): KernelModel {
  if (!COHERENT_LONGTERM_PIN_VARIANTS.includes(variant)) throw new Error(`coherent-longterm-pin port: unknown variant ${variant}`);
  const p = { nG: 1, nS: 1, evictAttempts: 2, ignoreWhich: 'all', omitInvariant: 'none', ...params } as Required<ClpParams>;
  const { nG, nS, evictAttempts, ignoreWhich, omitInvariant } = p;
  const noPinChecks = variant === 'migratable-ignores-pins';
  const noMoveCheck = noPinChecks && ignoreWhich === 'all';
  const free = '!pLockG && !pLockE';
  const pin: Stmt[] = [
    { set: 'pRef', to: 'pRef + 1' },
    { set: 'pPins', to: 'pPins + 1' },
  ];
  const unpin: Stmt[] = [
    { set: 'pPins', to: 'pPins - 1' },
    { set: 'pRef', to: 'pRef - 1' },
  ];
  /** GUP-fast, for G (`gTarget`) and S (`sTarget`); `pinned` is where a kept pin goes. */
  const fast = (g: 'G' | 'S', t: 'gTarget' | 'sTarget', pinned: string, longterm: boolean, pinOnFast: boolean): Step[] => {
    const tv = `${g}_${t}`;
    const steps: Step[] = [
      {
        name: 'gup_fast_read',
        at: 'fastRead',
        then: [{ if: 'pte == pte_PRESENT_P', then: [{ set: tv, to: `${t}_P` }], else: [{ if: 'pte == pte_PRESENT_Q', then: [{ set: tv, to: `${t}_Q` }] }] }],
        next: { if: 'pte == pte_MIGRATION_P', then: 'slow', else: 'fastGrab' },
      },
      { name: 'try_grab_folio_fast', at: 'fastGrab', when: `${tv} == ${t}_Q`, next: 'fastRecheck' },
    ];
    if (pinOnFast) {
      steps.push({ name: 'try_grab_folio_fast_pin', at: 'fastGrab', when: `${tv} == ${t}_P && pRef > 0`, then: pin, next: 'fastRecheck' });
      steps.push({ name: 'try_grab_folio_fast_fail', at: 'fastGrab', when: `${tv} == ${t}_P && pRef == 0`, next: 'slow' });
    } else steps.push({ name: 'try_grab_folio_fast_unpinnable', at: 'fastGrab', when: `${tv} == ${t}_P`, next: 'slow' });
    steps.push(
      { name: 'recheck_pte', at: 'fastRecheck', when: `${tv} == ${t}_Q`, next: pinned },
      {
        name: 'recheck_pte_kept',
        at: 'fastRecheck',
        when: `${tv} == ${t}_P && pte == pte_PRESENT_P`,
        then: [{ set: 'stablePinP', to: 'stablePinP + 1' }, ...(longterm ? [{ set: 'longtermPinP', to: 'true' }] : [])],
        next: pinned,
      },
      { name: 'recheck_pte_changed', at: 'fastRecheck', when: `${tv} == ${t}_P && pte != pte_PRESENT_P`, then: unpin, next: 'slow' },
    );
    return steps;
  };
  const G: Step[] = [
    ...fast('G', 'gTarget', 'PINNED', true, variant === 'fast-path-pins-coherent'),
    { name: 'follow_page_pin', at: 'slow', when: 'pte == pte_PRESENT_P', then: [{ set: 'G_gTarget', to: 'gTarget_P' }, ...pin], next: 'convert' },
    { name: 'follow_page_pin_ram', at: 'slow', when: 'pte == pte_PRESENT_Q', then: [{ set: 'G_gTarget', to: 'gTarget_Q' }], next: 'PINNED' },
    { name: 'pin_to_ref', at: 'convert', then: [{ set: 'pRef', to: 'pRef + 1' }, ...unpin], next: 'lock' },
    { name: 'folio_lock', at: 'lock', when: free, then: [{ set: 'pLockG', to: 'true' }, { assert: 'pRef > 0', name: 'lock-live-page' }], next: 'unmap' },
    {
      name: 'try_to_migrate',
      at: 'unmap',
      when: noPinChecks ? 'pte == pte_PRESENT_P' : 'pte == pte_PRESENT_P && pPins == 0',
      then: [{ set: 'pte', to: 'pte_MIGRATION_P' }, { set: 'G_ok', to: 'true' }, { set: 'pRef', to: 'pRef - 1' }],
      next: 'checkPage',
    },
    ...(noPinChecks ? [] : [{ name: 'try_to_migrate_pinned', at: 'unmap', when: 'pte == pte_PRESENT_P && pPins > 0', then: [{ set: 'G_ok', to: 'false' }], next: 'checkPage' }]),
    { name: 'try_to_migrate_unmapped', at: 'unmap', when: 'pte != pte_PRESENT_P', then: [{ set: 'G_ok', to: 'true' }], next: 'checkPage' },
    ...(noPinChecks
      ? [{ name: 'migrate_vma_check_page', at: 'checkPage', next: 'migrate' }]
      : [
          { name: 'migrate_vma_check_page', at: 'checkPage', when: 'pte != pte_PRESENT_P && pRef == 1', next: 'migrate' },
          { name: 'migrate_vma_check_page_mapped', at: 'checkPage', when: 'pte == pte_PRESENT_P', then: [{ set: 'G_ok', to: 'false' }], next: 'finalize' },
          { name: 'migrate_vma_check_page_busy', at: 'checkPage', when: 'pte != pte_PRESENT_P && pRef != 1', then: [{ set: 'G_ok', to: 'false' }], next: 'finalize' },
        ]),
    ...(noMoveCheck
      ? [{ name: 'folio_migrate_mapping', at: 'migrate', then: [{ if: 'pte == pte_MIGRATION_P', then: [{ set: 'pMigrated', to: 'true' }] }], next: 'finalize' }]
      : [
          { name: 'folio_migrate_mapping', at: 'migrate', when: 'pRef == 1', then: [{ if: 'pte == pte_MIGRATION_P', then: [{ set: 'pMigrated', to: 'true' }] }], next: 'finalize' },
          { name: 'folio_migrate_mapping_busy', at: 'migrate', when: 'pRef != 1', then: [{ set: 'G_ok', to: 'false' }], next: 'finalize' },
        ]),
    { name: 'remove_migration_ptes', at: 'finalize', when: 'pte == pte_MIGRATION_P && G_ok', then: [{ set: 'pte', to: 'pte_PRESENT_Q' }], next: 'release' },
    { name: 'remove_migration_ptes_restore', at: 'finalize', when: 'pte == pte_MIGRATION_P && !G_ok', then: [{ set: 'pte', to: 'pte_PRESENT_P' }, { set: 'pRef', to: 'pRef + 1' }], next: 'release' },
    { name: 'remove_migration_ptes_none', at: 'finalize', when: 'pte != pte_MIGRATION_P', next: 'release' },
    { name: 'unlock_put', at: 'release', then: [{ set: 'pLockG', to: 'false' }, { set: 'pRef', to: 'pRef - 1' }], next: { if: 'G_ok', then: 'slow', else: 'FAIL' } },
  ];
  const S: Step[] = [
    ...fast('S', 'sTarget', 'dma', false, true).map((st) => ({ ...st, when: st.when?.replace(/S_sTarget/g, 'S_sTarget[me]'), then: st.then?.map((x) => JSON.parse(JSON.stringify(x).replace(/S_sTarget/g, 'S_sTarget[me]')) as Stmt) })),
    { name: 'follow_page_pin', at: 'slow', when: 'pte == pte_PRESENT_P', then: [{ set: 'stablePinP', to: 'stablePinP + 1' }, { set: 'S_sTarget[me]', to: 'sTarget_P' }, ...pin], next: 'dma' },
    { name: 'follow_page_pin_ram', at: 'slow', when: 'pte == pte_PRESENT_Q', then: [{ set: 'S_sTarget[me]', to: 'sTarget_Q' }], next: 'dma' },
    { name: 'dma_write', at: 'dma', next: 'unpin' },
    { name: 'unpin_user_page', at: 'unpin', when: 'S_sTarget[me] == sTarget_P', then: [{ set: 'stablePinP', to: 'stablePinP - 1' }, ...unpin], next: 'DONE' },
    { name: 'unpin_user_page_ram', at: 'unpin', when: 'S_sTarget[me] == sTarget_Q', next: 'DONE' },
  ];
  const unbounded = evictAttempts === 0;
  const E: Step[] = [
    {
      name: 'collect_pte',
      at: 'collect',
      when: noPinChecks ? `pte == pte_PRESENT_P && ${free}` : `pte == pte_PRESENT_P && pPins == 0 && ${free}`,
      then: [{ set: 'pRef', to: 'pRef + 1' }, { set: 'pLockE', to: 'true' }, { set: 'pte', to: 'pte_MIGRATION_P' }, { set: 'E_ok', to: 'true' }, { set: 'pRef', to: 'pRef - 1' }],
      next: 'check',
    },
    { name: 'collect_pte_busy', at: 'collect', when: `pte == pte_PRESENT_P && !(${free})`, next: 'roundFail' },
    ...(noPinChecks ? [] : [{ name: 'collect_pte_pinned', at: 'collect', when: `pte == pte_PRESENT_P && ${free} && pPins > 0`, next: 'roundFail' }]),
    { name: 'collect_pte_migrating', at: 'collect', when: 'pte == pte_MIGRATION_P', next: 'roundFail' },
    { name: 'collect_pte_evicted', at: 'collect', when: 'pte == pte_PRESENT_Q', next: 'DONE' },
    ...(noPinChecks
      ? [{ name: 'migrate_vma_check_page', at: 'check', next: 'migrate' }]
      : [
          { name: 'migrate_vma_check_page', at: 'check', when: 'pRef == 1', next: 'migrate' },
          { name: 'migrate_vma_check_page_busy', at: 'check', when: 'pRef != 1', then: [{ set: 'E_ok', to: 'false' }], next: 'finalize' },
        ]),
    ...(noMoveCheck
      ? [{ name: 'folio_migrate_mapping', at: 'migrate', then: [{ set: 'pMigrated', to: 'true' }], next: 'finalize' }]
      : [
          { name: 'folio_migrate_mapping', at: 'migrate', when: 'pRef == 1', then: [{ set: 'pMigrated', to: 'true' }], next: 'finalize' },
          { name: 'folio_migrate_mapping_busy', at: 'migrate', when: 'pRef != 1', then: [{ set: 'E_ok', to: 'false' }], next: 'finalize' },
        ]),
    { name: 'remove_migration_ptes', at: 'finalize', when: 'E_ok', then: [{ set: 'pte', to: 'pte_PRESENT_Q' }], next: 'release' },
    { name: 'remove_migration_ptes_restore', at: 'finalize', when: '!E_ok', then: [{ set: 'pte', to: 'pte_PRESENT_P' }, { set: 'pRef', to: 'pRef + 1' }], next: 'release' },
    { name: 'unlock_put', at: 'release', then: [{ set: 'pLockE', to: 'false' }, { set: 'pRef', to: 'pRef - 1' }], next: { if: 'E_ok', then: 'DONE', else: 'roundFail' } },
    unbounded
      ? { name: 'retry_or_busy', at: 'roundFail', next: 'collect' }
      : { name: 'retry_or_busy', at: 'roundFail', when: 'E_attempts > 1', then: [{ set: 'E_attempts', to: 'E_attempts - 1' }], next: 'collect' },
    ...(unbounded ? [] : [{ name: 'retry_or_busy_give_up', at: 'roundFail', when: 'E_attempts <= 1', next: 'BUSY' }]),
  ];
  const nAttempts = Math.max(1, evictAttempts);
  const groups: Group[] = [];
  if (nG > 0)
    groups.push({
      name: 'G',
      count: 1,
      replicated: false,
      locals: [
        { name: 'gTarget', type: { kind: 'enum', values: ['NONE', 'P', 'Q'], init: 'NONE' } },
        { name: 'ok', type: { kind: 'bool', init: false } },
      ],
      start: 'fastRead',
      end: ['PINNED', 'FAIL'],
      steps: G,
    });
  if (nS > 0) groups.push({ name: 'S', count: nS, replicated: true, locals: [{ name: 'sTarget', type: { kind: 'enum', values: ['NONE', 'P', 'Q'], init: 'NONE' } }], start: 'fastRead', end: ['DONE'], steps: S });
  groups.push({
    name: 'E',
    count: 1,
    replicated: false,
    locals: [
      { name: 'attempts', type: { kind: 'int', min: 1, max: nAttempts, init: nAttempts } },
      { name: 'ok', type: { kind: 'bool', init: false } },
    ],
    start: 'collect',
    end: ['DONE', 'BUSY'],
    steps: E,
  });
  return {
    name: 'coherent-longterm-pin',
    title: `coherent-longterm-pin/${variant} nG=${nG} nS=${nS} evictAttempts=${evictAttempts} ignoreWhich=${ignoreWhich} omitInvariant=${omitInvariant}`,
    variant,
    params: { nG, nS, evictAttempts, ignoreWhich, omitInvariant },
    shared: [
      { name: 'pte', type: { kind: 'enum', values: ['PRESENT_P', 'MIGRATION_P', 'PRESENT_Q'], init: 'PRESENT_P' } },
      { name: 'stablePinP', type: { kind: 'int', min: 0, max: nG + nS, init: 0 } },
      { name: 'longtermPinP', type: { kind: 'bool', init: false } },
      { name: 'pMigrated', type: { kind: 'bool', init: false } },
      { name: 'pLockG', type: { kind: 'bool', init: false } },
      { name: 'pLockE', type: { kind: 'bool', init: false } },
      { name: 'pRef', type: { kind: 'int', min: 0, max: 3 + nG + nS, init: 1 } },
      { name: 'pPins', type: { kind: 'int', min: 0, max: Math.max(1, nG + nS), init: 0 } },
    ],
    groups,
    invariants: [
      ...(omitInvariant === 'no-longterm-pin-on-coherent' ? [] : [{ name: 'no-longterm-pin-on-coherent', expr: '!longtermPinP' }]),
      { name: 'no-migration-while-pinned', expr: '!(pMigrated && stablePinP > 0)' },
      { name: 'page-lifetime', expr: `pRef != 0 || (${free} && pte == pte_PRESENT_Q)` },
    ],
    deadlock: opts.deadlock ?? true,
  };
}
