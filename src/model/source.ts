/**
 * Reading a model function's source text: its parameter names and the
 * `p.NAME` member accesses made through one of them. Pure string work, used
 * when a model is built (to refuse names that are not declared) and by the
 * reductions (to derive footprints and check the use of replica ids), so
 * both read the source the same way.
 */

const IDENT = /^[A-Za-z_$][\w$]*$/;

/** Parameter names of a function, or null when they are not plain identifiers. */
export function paramNames(fn: Function): string[] | null {
  const src = Function.prototype.toString.call(fn).trim();
  let m = /^(?:async\s*)?\(([^)]*)\)\s*=>/.exec(src) ?? /^(?:async\s+)?function\s*[\w$]*\s*\(([^)]*)\)/.exec(src) ?? /^[\w$]+\s*\(([^)]*)\)\s*\{/.exec(src);
  if (!m) {
    const single = /^(?:async\s+)?([A-Za-z_$][\w$]*)\s*=>/.exec(src);
    if (!single) return null;
    m = single;
  }
  const list = m[1]!.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  if (list.some((x) => !IDENT.test(x.replace(/\s*=.*$/, '')))) return null;
  return list.map((x) => x.replace(/\s*=.*$/, ''));
}

/** Strip comments (each becomes one space; a line comment keeps its newline). Strings, template literals and regular-expression literals are read as such, so a `//` or `/*` inside one (a URL in an assertion's message) is not taken for a comment. */
export function withoutComments(src: string): string {
  return scanSource(src, false);
}

/** Strip comments and the text of '...' and "..." strings (template literals are kept: `withoutTemplateText` blanks their text) so names in them do not count. */
export function codeOnly(src: string): string {
  return scanSource(src, true);
}

/**
 * Where the text from `from` stops: at the first character outside
 * brackets opened after `from` for which `ends` holds, or at a closing
 * bracket that closes one opened before `from`; the text's length if none.
 */
export function endAtDepthZero(text: string, from: number, ends: (c: string, k: number) => boolean): number {
  let depth = 0;
  let k = from;
  for (; k < text.length; k++) {
    const c = text[k]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') {
      if (depth === 0) break;
      depth--;
    } else if (depth === 0 && ends(c, k)) break;
  }
  return k;
}

/** `codeOnly`, with each regular-expression literal's text blanked too (`/ /`): for checks that read names, whose letters in a pattern are none (`/Date/.test(x)`). */
export function codeWithoutRegex(src: string): string {
  return scanSource(src, true, false, true);
}

/** Keywords after which a `/` starts a regular-expression literal rather than a division (not as a member name: `s.new / 2` divides). */
const BEFORE_REGEX = new Set(['return', 'typeof', 'instanceof', 'in', 'of', 'new', 'delete', 'void', 'throw', 'case', 'do', 'else', 'yield', 'await']);
/** Keywords whose parenthesised head a statement follows: a `/` after their `)` starts a regular expression (`if (c) /re/.test(x)`), after any other `)` it divides. */
const CONTROL = new Set(['if', 'while', 'for', 'with']);

/**
 * One pass over JavaScript source text that tells code from comments,
 * strings, template literals (with their `${...}` expressions, nested) and
 * regular-expression literals: comments are replaced by a space (a line
 * comment keeps its newline), with `blankStrings` a '...' or "..."
 * string keeps only its quotes, and with `blankTemplates` a template's text
 * becomes spaces (its length and newlines kept, its `${...}` expressions
 * copied); with `plainAsString` too, a template without `${...}` that
 * could be written as a '...' string becomes it (see `templatesAsStrings`).
 * Everything else is copied as it is.
 */
function scanSource(src: string, blankStrings: boolean, blankTemplates = false, blankRegex = false, plainAsString = false): string {
  let out = '';
  const braces: number[] = []; // brace depth inside each open `${` of a template literal
  let last = ''; // the last significant code token's last character ('x' for a name or number), a keyword, or 'ctl)' after a control statement's head
  const parens: boolean[] = []; // for each open '(': whether it is a control statement's head
  let i = 0;
  const n = src.length;
  // The keyword ending at `end`, or '' (a name, a number, or a keyword used as a member name after a dot).
  const keyword = (end: number): string => {
    let k = end;
    while (k > 0 && /[\w$]/.test(src[k - 1]!)) k--;
    let b = k - 1;
    while (b >= 0 && /\s/.test(src[b]!)) b--;
    if (b >= 0 && src[b] === '.') return '';
    const w = src.slice(k, end);
    return BEFORE_REGEX.has(w) || CONTROL.has(w) ? w : '';
  };
  while (i < n) {
    const c = src[i]!;
    const d = src[i + 1];
    if (c === '/' && d === '/') {
      const e = src.indexOf('\n', i);
      out += ' ';
      i = e < 0 ? n : e;
      continue;
    }
    if (c === '/' && d === '*') {
      const e = src.indexOf('*/', i + 2);
      out += ' ';
      i = e < 0 ? n : e + 2;
      continue;
    }
    if (c === "'" || c === '"') {
      let k = i + 1;
      while (k < n && src[k] !== c && src[k] !== '\n') k += src[k] === '\\' ? 2 : 1;
      out += blankStrings ? c + c : src.slice(i, k + 1);
      i = k + 1;
      last = c;
      continue;
    }
    if (c === '`' || (c === '}' && braces.length > 0 && braces[braces.length - 1] === 0)) {
      // Template text, from its opening backtick or the end of a `${...}` to its end or the next `${`.
      if (c === '}') braces.pop();
      let k = i + 1;
      while (k < n && src[k] !== '`' && !(src[k] === '$' && src[k + 1] === '{')) k += src[k] === '\\' ? 2 : 1;
      // The text between the delimiters, blanked to the same length (newlines kept) when asked.
      const text = blankTemplates ? src.slice(i + 1, k).replace(/[^\n]/g, ' ') : src.slice(i + 1, k);
      // Not after a name or a closing bracket: `` tag`x` `` is a call, not a string.
      if (plainAsString && c === '`' && k < n && src[k] === '`' && !(last === 'x' || last === ')' || last === ']' || last === '`') && PLAIN_TEXT.test(src.slice(i + 1, k))) {
        out += `'${src.slice(i + 1, k)}'`;
        i = k + 1;
        last = "'";
        continue;
      }
      if (k < n && src[k] === '$') {
        braces.push(0);
        out += c + text + '${';
        i = k + 2;
        last = '{';
      } else {
        out += c + text + (k < n ? '`' : '');
        i = k + 1;
        last = '`';
      }
      continue;
    }
    if (c === '/' && (last === '' || last === 'ctl)' || (last.length === 1 && /[(,=:[!&|?{};+\-*%<>~^]/.test(last)) || BEFORE_REGEX.has(last))) {
      // A regular-expression literal: to the next unescaped / outside a character class.
      let k = i + 1;
      let cls = false;
      while (k < n && src[k] !== '\n' && (cls || src[k] !== '/')) {
        if (src[k] === '\\') k++;
        else if (src[k] === '[') cls = true;
        else if (src[k] === ']') cls = false;
        k++;
      }
      out += blankRegex ? '/ /' : src.slice(i, k + 1);
      i = k + 1;
      last = '/';
      continue;
    }
    if (c === '{' && braces.length > 0) braces[braces.length - 1]!++;
    else if (c === '}' && braces.length > 0) braces[braces.length - 1]!--;
    out += c;
    if (c === '(') {
      parens.push(CONTROL.has(last));
      last = c;
    } else if (c === ')') last = parens.pop() ? 'ctl)' : c;
    else if ((c === '+' || c === '-') && src[i - 1] === c && last === c) last = 'x'; // a postfix ++/-- ends an operand: a / after it divides
    else if (/[\w$]/.test(c)) last = !/[\w$]/.test(src[i + 1] ?? '') ? keyword(i + 1) || 'x' : 'x';
    else if (!/\s/.test(c)) last = c;
    i++;
  }
  return out;
}

/** One `p.NAME` access: where the parameter starts and where the name ends in the scanned code. */
export interface MemberUse {
  readonly name: string;
  readonly start: number;
  readonly end: number;
}

/**
 * The `param.NAME` accesses in `code` (as returned by `codeOnly`), and how
 * often `param` occurs at all (the parameter list included): when the two
 * differ by more than the parameter list, the function uses `param` some
 * other way (passes it on, indexes it with brackets, aliases it).
 */
export function memberUses(code: string, param: string): { uses: MemberUse[]; occurrences: number } {
  const esc = param.replace(/\$/g, '\\$');
  const all = new RegExp(`(?<![\\w$.])${esc}(?![\\w$])`, 'g');
  const dotted = new RegExp(`(?<![\\w$.])${esc}\\s*\\.\\s*([A-Za-z_$][\\w$]*)`, 'g');
  const occurrences = [...code.matchAll(all)].length;
  const uses = [...code.matchAll(dotted)].map((u) => ({ name: u[1]!, start: u.index!, end: u.index! + u[0].length }));
  return { uses, occurrences };
}

/** Whether the access ending at `end` is assigned to (`=`, a compound assignment, or `++`/`--` after it). */
export function assignedAfter(code: string, end: number): boolean {
  const after = code.slice(end);
  return /^\s*(?:[-+*/%&|^]|<<|>>>?|\*\*|&&|\|\||\?\?)?=(?!=)/.test(after) || /^\s*(?:\+\+|--)/.test(after);
}

/**
 * Whether the access starting at `start` is a destructuring target, which
 * is written with no `=` right after it: inside an array or object literal
 * that is assigned to (`[s.v] = [1]`, `({ v: s.v } = o)`, `[[s.v]] = a`), or
 * on the left of a `for (... of ...)` / `for (... in ...)` head
 * (`for (s.v of xs)`). An index (`a[s.v]`) is read. Reads inside a pattern
 * (a default value) count as writes too: an over-approximation.
 */
export function destructuredAt(code: string, start: number): boolean {
  for (let k = enclosingOpen(code, start); k >= 0; k = enclosingOpen(code, k)) {
    const c = code[k]!;
    const close = endAtDepthZero(code, k + 1, () => false);
    if (c === '(') {
      if (/(?<![\w$.])for\s*(?:await\s*)?$/.test(code.slice(0, k))) return forTarget(code, k + 1, start, close);
      continue;
    }
    if (c === '[' && /[\w$)\]]\s*$/.test(code.slice(0, k))) return false;
    if (/^\s*=(?![=>])/.test(code.slice(close + 1))) return true;
  }
  return false;
}

/** Where the bracket around position `at` opens: the nearest `(`, `[` or `{` before `at` not closed before it, or -1. */
export function enclosingOpen(code: string, at: number): number {
  let depth = 0;
  for (let k = at - 1; k >= 0; k--) {
    const c = code[k]!;
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '(' || c === '[' || c === '{') {
      if (depth === 0) return k;
      depth--;
    }
  }
  return -1;
}

/** Whether `start` lies left of the top-level `of`/`in` of the for head `code[from, to)`. */
function forTarget(code: string, from: number, start: number, to: number): boolean {
  let depth = 0;
  for (let k = from; k < to; k++) {
    const c = code[k]!;
    if (c === '(' || c === '[' || c === '{') depth++;
    else if (c === ')' || c === ']' || c === '}') depth--;
    else if (depth === 0 && c === ';') return false;
    else if (depth === 0 && /^(?<![\w$.])(?:of|in)(?![\w$])/.test(code.slice(k)) && !/[\w$.]/.test(code[k - 1] ?? ' ')) return start < k;
  }
  return false;
}

/** Whether the access `[start, end)` is written: assigned (`=`, `op=`), incremented, or a destructuring target. */
export function writtenAt(code: string, start: number, end: number): boolean {
  return assignedAfter(code, end) || incrementedBefore(code, start) || destructuredAt(code, start);
}

/** Whether the access starting at `start` is preceded by `++`/`--`. */
export function incrementedBefore(code: string, start: number): boolean {
  return /(?:\+\+|--)\s*$/.test(code.slice(0, start));
}

/** Whether the access starting at `start` is the operand of `delete`. */
export function deletedBefore(code: string, start: number): boolean {
  return /(?<![\w$])delete\s*$/.test(code.slice(0, start));
}

/** The member named right after the access ending at `end` (`s.arr.get(` → `get`), or null. */
export function memberAfter(code: string, end: number): string | null {
  const m = /^\s*\.\s*([A-Za-z_$][\w$]*)/.exec(code.slice(end));
  return m ? m[1]! : null;
}

/**
 * Blank the text of template literals, keeping their `${...}` expressions
 * (nested templates included), so that prose in a message (`` `s.pte was
 * ${s.pte}` ``) is not read as an access while the interpolated one is.
 * Lengths are kept for code without comments (as the callers give it), so
 * positions still line up with the input.
 */
export function withoutTemplateText(code: string): string {
  // The same reading of strings and regular expressions as the comment stripping: a backtick inside a string or a regular expression opens no template.
  return scanSource(code, false, true);
}

/**
 * The text of a template literal that `templatesAsStrings` writes as a
 * '...' string: no quote, backslash (an escape) or newline, and no `=` or
 * `(`, so that no comparison, `switch` or call can be read inside it.
 */
const PLAIN_TEXT = /^[^'"\\\n=(]*$/;

/**
 * `withoutTemplateText`, except that a template literal without `${...}`
 * (and not tagged) is the string it spells: `` `torn` `` becomes `'torn'`,
 * of the same length, so that the checks of the literals compared with a
 * variable read it as one (MC151, MC157, MC163). Text that a '...' string
 * could not hold as it is, or that could be read as code, is blanked.
 */
export function templatesAsStrings(code: string): string {
  return scanSource(code, false, true, false, true);
}
