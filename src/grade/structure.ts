// The shape of a normalised answer: a scalar, or a structure whose leaves are scalars. Structures are read
// here by hand because their meaning is a grading convention, not algebra: `(1,2)` is an ordered pair,
// `[1,2]` a closed interval, `1, 2` an unordered list of solutions, `\{1,2\}` a set, `1 \pm \sqrt{2}` the
// set of both roots, `x \in [1,2]` the interval itself. Scalars go to the number parser or the CAS.
import { outerGroup, splitTopLevel } from './latex.js';

export type RelOp = '=' | '<' | '>' | '\\leq' | '\\geq' | '\\ne';

export type Answer =
  | { kind: 'scalar'; tex: string }
  | { kind: 'text'; text: string }
  | { kind: 'choice'; letter: string }
  /** Ordered: `(a, b)`, and any bracketed sequence of three or more. */
  | { kind: 'tuple'; items: Answer[] }
  /** Bare comma list `a, b, c`: a list of solutions, compared without order. */
  | { kind: 'list'; items: Answer[] }
  /** `\{a, b\}`, `\emptyset`, and the expansion of `\pm`. */
  | { kind: 'set'; items: Answer[] }
  | { kind: 'interval'; lo: Answer; hi: Answer; loClosed: boolean; hiClosed: boolean }
  | { kind: 'union'; parts: Answer[] }
  | { kind: 'matrix'; rows: Answer[][] }
  /** `a : b (: c ...)`: equal to any proportional ratio; two parts also equal the fraction a/b. */
  | { kind: 'ratio'; items: Answer[] }
  /** `a op b op c ...` (ops.length = sides.length - 1). */
  | { kind: 'relation'; ops: RelOp[]; sides: Answer[] };

const REL_SEPS = ['\\leq', '\\geq', '\\ne', '<', '>', '='];
const MAX_NESTING = 8;
/** Most variants one `\pm` scalar expands to (3 signs). */
const MAX_PM = 3;

/** A single variable: `x`, `y_1`, `x_{n}`, `\theta`, `f(x)` (a function named at its argument). */
export function isVariable(a: Answer): boolean {
  return a.kind === 'scalar' && /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?(?:\([a-zA-Z]\))?'*$/.test(a.tex)
    && !/^\\(?:infty|pi|emptyset)$/.test(a.tex);
}

/**
 * A side that names what is asked rather than stating a value: letters, subscripts and operators but no
 * digits (`x`, `AB`, `|AB|`, `f(x)`, `g(3)`, `\frac{NO}{BO}`, `a_{37}`, `(p, q)`, `V_1 : V_2`). `x = 5` and
 * `(p, q) = (3, 2)` assign a value to such a side; `2x + z = 1` is an equation.
 */
export function isNameLike(a: Answer): boolean {
  if (a.kind === 'text' || a.kind === 'choice') return true;
  if (a.kind === 'tuple' || a.kind === 'ratio' || a.kind === 'list') return a.items.every(isNameLike);
  if (a.kind !== 'scalar') return false;
  // Subscripts and a function's argument (`a_{37}`, `g(3)`) are part of the name.
  const t = a.tex.replace(/_\{[^{}]*\}|_\\?[a-zA-Z0-9]/g, '').replace(/([a-zA-Z])\([^()]*\)/g, '$1').replace(/\\[a-zA-Z]+/g, ' ');
  return /[a-zA-Z]/.test(t) && !/\d/.test(t) && !/\\(?:infty|pi)(?![a-zA-Z])/.test(a.tex);
}

/** Split `1 \pm \sqrt{2}` (at any depth) into its sign variants; null when there is no ±. */
function expandPm(tex: string): string[] | null {
  if (!/\\(?:pm|mp)(?![a-zA-Z])/.test(tex)) return null;
  let variants = [tex];
  for (let k = 0; k < MAX_PM; k++) {
    const next: string[] = [];
    for (const v of variants) {
      const m = /\\(?:pm|mp)(?![a-zA-Z])/.exec(v);
      if (!m) { next.push(v); continue; }
      const before = v.slice(0, m.index), after = v.slice(m.index + m[0].length);
      next.push(before + '+' + after, before + '-' + after);
    }
    variants = next;
  }
  return variants.map((v) => v.replace(/^\+/, '').replace(/([({,])\+/g, '$1'));
}

/** Items of a comma-separated collection (`;` also separates: `(0;-2;6)`), with ± items expanded in place. */
function items(inner: string, depth: number): Answer[] {
  const parts = splitTopLevel(inner, [',', ';']).map((p) => p.trim()).filter((p) => p !== '');
  return parts.flatMap((p) => {
    const a = parseAnswer(p, depth + 1);
    return a.kind === 'set' && /\\(?:pm|mp)/.test(p) ? a.items : [a];
  });
}

const MATRIX_RE = /^\\begin\{([pbBvV]?matrix|smallmatrix|array)\}(?:\{[^}]*\})?([\s\S]*)\\end\{\1\}$/;

function parseMatrix(s: string, depth: number): Answer | null {
  const m = MATRIX_RE.exec(s);
  if (!m) return null;
  const rows = splitTopLevel(m[2]!, ['\\\\']).map((r) => r.trim()).filter((r) => r !== '');
  return { kind: 'matrix', rows: rows.map((r) => splitTopLevel(r, ['&']).map((c) => parseAnswer(c.trim(), depth + 1))) };
}

/** `x = 5 + 5 + 1 = 11`: keep the variable and the last value (what the writer concluded). */
function reduceEqualityChain(sides: Answer[]): Answer {
  const last = sides[sides.length - 1]!;
  for (let i = sides.length - 2; i >= 0; i--) {
    if (isVariable(sides[i]!)) return { kind: 'relation', ops: ['='], sides: [sides[i]!, last] };
  }
  return last;
}

function parseRelation(s: string, depth: number): Answer | null {
  const ops: RelOp[] = [];
  // Split keeping the operators: find each top-level operator in order.
  const parts = splitTopLevel(s, REL_SEPS);
  if (parts.length < 2 || parts.some((p) => p.trim() === '')) return null;
  let pos = 0;
  for (let i = 0; i < parts.length - 1; i++) {
    pos += parts[i]!.length;
    const op = REL_SEPS.find((o) => s.startsWith(o, pos)) as RelOp;
    ops.push(op);
    pos += op.length;
  }
  const sides = parts.map((p) => parseAnswer(p.trim(), depth + 1));
  if (ops.every((o) => o === '=') && sides.length > 2) return reduceEqualityChain(sides);
  return { kind: 'relation', ops, sides };
}

/** Text answers: words (`Evelyn`, `north east`), not a product of one-letter variables. */
function isWords(s: string): boolean {
  return /^[a-zA-Z][a-zA-Z '-]*$/.test(s) && (/[a-zA-Z]{3}/.test(s) || s.includes(' '));
}

/**
 * Parse a normalised answer into its structure. Total: anything unrecognised is a scalar (left for the
 * number parser / CAS to read or refuse).
 */
export function parseAnswer(s: string, depth = 0): Answer {
  s = s.trim();
  if (depth > MAX_NESTING) return { kind: 'scalar', tex: s };
  // A letter, alone or labelling its option's text (`(C) 42` from an AMC answer line).
  const choice = /^\(?([A-E])\)?$/.exec(s) ?? /^\(([A-E])\)(?=.)/.exec(s);
  if (choice) return { kind: 'choice', letter: choice[1]! };
  if (s === '\\emptyset' || s === '\\{\\}' || s === '{}') return { kind: 'set', items: [] };
  if (/^\\mathbb\{?R\}?$/.test(s)) {
    return { kind: 'interval', lo: { kind: 'scalar', tex: '-\\infty' }, hi: { kind: 'scalar', tex: '\\infty' }, loClosed: false, hiClosed: false };
  }
  // `a \approx b`: the exact value is what comes before (`x = 1/3 \approx 0.33`), unless that is only
  // the variable being approximated (`x \approx 11`).
  const approx = splitTopLevel(s, ['\\approx']);
  if (approx.length > 1) {
    const left = parseAnswer(approx[0]!.trim(), depth + 1);
    return isVariable(left) ? parseAnswer(approx[approx.length - 1]!.trim(), depth + 1) : left;
  }
  const member = /^(?:[a-zA-Z]|\\[a-zA-Z]+)(?:_\{?\w+\}?)?\\in(?![a-zA-Z])(.+)$/.exec(s);
  if (member) return parseAnswer(member[1]!, depth + 1);
  const union = splitTopLevel(s, ['\\cup']);
  if (union.length > 1) return { kind: 'union', parts: union.map((p) => parseAnswer(p.trim(), depth + 1)) };
  const matrix = parseMatrix(s, depth);
  if (matrix) return matrix;
  // Semicolons between groups that hold commas separate solutions (`p=5,q=2;p=7,q=2`: two pairs).
  const groups = splitTopLevel(s, [';']).map((p) => p.trim()).filter((p) => p !== '');
  if (groups.length > 1 && groups.some((p) => splitTopLevel(p, [',']).length > 1)) {
    return { kind: 'list', items: groups.map((p) => ({ kind: 'tuple', items: items(p, depth) })) };
  }
  // A bare list before relations: `x < -3, x > 3` is two inequalities, not a chain through `-3, x`.
  const list = splitTopLevel(s, [',', ';']);
  if (list.length > 1) return { kind: 'list', items: items(s.replace(/;/g, ','), depth) };
  const rel = parseRelation(s, depth);
  if (rel) return rel;
  const ratio = splitTopLevel(s, [':']).map((p) => p.trim());
  if (ratio.length > 1 && ratio.every((p) => p !== '')) return { kind: 'ratio', items: ratio.map((p) => parseAnswer(p, depth + 1)) };
  const g = outerGroup(s);
  if (g && g.inner.trim() !== '') {
    const single = splitTopLevel(g.inner, [',', ';']).length === 1;
    if (g.open === '\\{') return { kind: 'set', items: items(g.inner, depth) };
    if (single) return parseAnswer(g.inner, depth + 1); // `(x+1)`, `{5}`: just grouping
    const xs = items(g.inner, depth);
    if (g.open === '{') return { kind: 'set', items: xs };
    if (xs.length === 2 && !(g.open === '(' && g.close === ')') && g.close !== '}' && g.close !== '\\}') {
      return { kind: 'interval', lo: xs[0]!, hi: xs[1]!, loClosed: g.open === '[', hiClosed: g.close === ']' };
    }
    return { kind: 'tuple', items: xs };
  }
  const pm = expandPm(s);
  if (pm) return { kind: 'set', items: pm.map((v) => ({ kind: 'scalar', tex: v })) };
  if (isWords(s)) return { kind: 'text', text: s.toLowerCase().replace(/\s+/g, ' ') };
  return { kind: 'scalar', tex: s };
}
