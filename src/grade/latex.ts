// Small LaTeX string helpers shared by extraction, normalisation and the structure parser. They work on
// raw strings (no AST): brace matching that respects `\{` `\}` escapes, and splitting at separators that
// sit at bracket depth 0. Every function is total: unbalanced input gives -1 / the whole string, never a
// throw, because model output is routinely truncated mid-formula.

/** Openers and closers counted for depth. Intervals mix them (`[0,1)`), so only the count matters. */
const OPEN = new Set(['{', '(', '[']);
const CLOSE = new Set(['}', ')', ']']);

/** True when s[i] is escaped by an odd run of backslashes before it (`\{` but not `\\{`). */
export function isEscaped(s: string, i: number): boolean {
  let n = 0;
  for (let j = i - 1; j >= 0 && s[j] === '\\'; j--) n++;
  return n % 2 === 1;
}

/**
 * Index of the `}` that closes the `{` at `open`, or -1 if it never closes. `\{` and `\}` are literal
 * braces in LaTeX and do not count.
 */
export function matchBrace(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if ((c === '{' || c === '}') && isEscaped(s, i)) continue;
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

/**
 * The argument of a macro starting at `pos` (after the macro name): a `{...}` group (returned without
 * braces) or, TeX style, a single token (`\frac12`, `\sqrt 2`, `\boxed 5`). Leading spaces are skipped.
 * Returns null when nothing follows or the group never closes.
 */
export function readArg(s: string, pos: number): { arg: string; end: number } | null {
  let i = pos;
  while (i < s.length && s[i] === ' ') i++;
  if (i >= s.length) return null;
  if (s[i] === '{') {
    const close = matchBrace(s, i);
    return close < 0 ? null : { arg: s.slice(i + 1, close), end: close + 1 };
  }
  if (s[i] === '\\') {
    const m = /^\\([a-zA-Z]+|.)/.exec(s.slice(i));
    return m ? { arg: m[0], end: i + m[0].length } : null;
  }
  if (s[i] === '}' || s[i] === '$') return null;
  return { arg: s[i]!, end: i + 1 };
}

/**
 * Split s at any of the literal separators that sits at bracket depth 0 (`{([` and `\{` open, their
 * closers close). A separator that is a command (`\\cup`) must not run on into letters (`\\cupcake`).
 * Commands are stepped over whole so `\\left(` and `\\{` count as brackets and `\\,` is not a comma.
 */
export function splitTopLevel(s: string, seps: readonly string[]): string[] {
  const parts: string[] = [];
  let depth = 0, start = 0;
  const sepAt = (i: number): string | undefined => seps.find((sep) => s.startsWith(sep, i)
    && !(/[a-zA-Z]$/.test(sep) && /[a-zA-Z]/.test(s[i + sep.length] ?? '')));
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (depth === 0) {
      const sep = sepAt(i);
      if (sep !== undefined) { parts.push(s.slice(start, i)); start = i + sep.length; i += sep.length - 1; continue; }
    }
    if (c === '\\') {
      const next = s[i + 1];
      if (next === '{') depth++;
      else if (next === '}') depth = Math.max(0, depth - 1);
      if (next !== undefined && !/[a-zA-Z]/.test(next)) { i++; continue; }
      const m = /^\\[a-zA-Z]+/.exec(s.slice(i, i + 40));
      if (m) i += m[0].length - 1;
      continue;
    }
    if (OPEN.has(c)) depth++;
    else if (CLOSE.has(c)) depth = Math.max(0, depth - 1);
  }
  parts.push(s.slice(start));
  return parts;
}

/**
 * When s is one bracketed group from its first to its last character (the opener at 0 closes at the
 * end, e.g. `(1,2]` but not `(1)(2)`), return the opener, closer and inside; else null. Openers:
 * `(`, `[`, `\{`, `{`. Mixed pairs are allowed because intervals mix them.
 */
export function outerGroup(s: string): { open: string; close: string; inner: string } | null {
  let open: string, start: number;
  if (s.startsWith('\\{')) { open = '\\{'; start = 2; }
  else if (s[0] === '(' || s[0] === '[' || s[0] === '{') { open = s[0]; start = 1; }
  else return null;
  let close: string, end: number;
  if (s.endsWith('\\}') && !isEscaped(s, s.length - 2)) { close = '\\}'; end = s.length - 2; }
  else if (s.endsWith(')') || s.endsWith(']') || s.endsWith('}')) { close = s[s.length - 1]!; end = s.length - 1; }
  else return null;
  if (end < start) return null;
  // The group must not close before the end: track depth over the inside.
  let depth = 0;
  for (let i = start; i < end; i++) {
    const c = s[i]!;
    if (c === '\\') {
      if (s[i + 1] === '{') depth++;
      else if (s[i + 1] === '}') depth--;
      i++;
      continue;
    }
    if (OPEN.has(c)) depth++;
    else if (CLOSE.has(c)) depth--;
    if (depth < 0) return null;
  }
  if (depth !== 0) return null;
  return { open, close, inner: s.slice(start, end) };
}

/** Deepest nesting of `{([` in s (escaped set braces count too). Used to bound work on hostile input. */
export function maxDepth(s: string): number {
  let depth = 0, max = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i]!;
    if (OPEN.has(c)) max = Math.max(max, ++depth);
    else if (CLOSE.has(c)) depth = Math.max(0, depth - 1);
  }
  return max;
}

/**
 * Replace every `\name{arg}` (names given without backslash) by fn(arg). Unclosed groups are left as
 * they are. Nested uses inside the argument are handled by the caller running this again if needed.
 */
export function replaceMacro(s: string, names: readonly string[], fn: (arg: string) => string): string {
  const re = new RegExp(`\\\\(?:${names.join('|')})(?![a-zA-Z])`, 'g');
  let out = '', last = 0;
  for (let m = re.exec(s); m; m = re.exec(s)) {
    const a = readArg(s, m.index + m[0].length);
    if (!a) continue;
    out += s.slice(last, m.index) + fn(a.arg);
    last = a.end;
    re.lastIndex = a.end;
  }
  return out + s.slice(last);
}
