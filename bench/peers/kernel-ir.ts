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
 */

import { FLAGS } from '../../models/migration-entry-wait.ts';

export type VarType =
  | { kind: 'bool'; init: boolean }
  | { kind: 'int'; min: number; max: number; init: number }
  | { kind: 'enum'; values: readonly string[]; init: string };

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
}

export interface Group {
  name: string;
  count: number;
  replicated: boolean;
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

