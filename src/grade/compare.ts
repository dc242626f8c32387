// Structural comparison of two parsed answers, down to scalar leaves. Conventions (each one a rule some
// widely used grader has, see docs/grading.md): tuples and intervals compare in order with their brackets,
// bare lists and sets without order, ratios up to a common factor, base-n numerals by their digits;
// relations against values and intervals are in relation.ts.
import { analyzeLatex, closeComplex, compareAnalyses, type CasAnalysis, type Complex } from './cas.js';
import { exactEqual, parseNumber, percentOf, roundsTo, type NumLit } from './number.js';
import { compareRelations, relationAgainstInterval, relationAgainstValue } from './relation.js';
import type { Answer } from './structure.js';

export interface Verdict { equal: boolean; reason: string }

export interface CompareContext {
  /** Relative tolerance for values the CAS computes (float64 evaluation of exact expressions). */
  relTol: number;
  /** A decimal matches a value it rounds or truncates to only with at least this many significant digits. */
  minSigDigits: number;
  /** The pred / gold carried a percent sign (see numbersMatch). */
  predPercent: boolean;
  goldPercent: boolean;
  /**
   * Work left for this comparison, in steps: each structural comparison costs one, each comparison of two
   * CAS analyses two, and each distinct scalar the CAS reads CAS_STEP_COST, charged the first time this
   * comparison uses it whether or not its analysis is cached (so a verdict never depends on what was
   * compared before). Below zero the comparison gives up: not equal, and the reason says so.
   */
  work: { left: number; read: Set<string> };
  /** Per-scalar CAS analyses, shared across comparisons (the expensive part). */
  analyses: Map<string, CasAnalysis>;
}

export const yes = (reason: string): Verdict => ({ equal: true, reason });
export const no = (reason: string): Verdict => ({ equal: false, reason });

/** Bounded cache insert: drop the oldest half when full (Map keeps insertion order). */
export function cachePut<K, V>(m: Map<K, V>, k: K, v: V, max: number): void {
  if (m.size >= max) {
    let drop = m.size >> 1;
    for (const key of m.keys()) { if (drop-- <= 0) break; m.delete(key); }
  }
  m.set(k, v);
}

/** Steps one CAS analysis costs (a parse and up to CAS_LIMITS.points evaluations). */
export const CAS_STEP_COST = 20;
export const WORK_EXCEEDED = 'work budget exceeded';

/** Charge `n` steps; false when the budget is spent. */
export function charge(ctx: CompareContext, n: number): boolean {
  ctx.work.left -= n;
  return ctx.work.left >= 0;
}

/** The CAS analysis of one scalar, charged to the work budget (see CompareContext.work). */
export function analysis(tex: string, ctx: CompareContext): CasAnalysis {
  if (!ctx.work.read.has(tex)) {
    ctx.work.read.add(tex);
    charge(ctx, CAS_STEP_COST);
  }
  let a = ctx.analyses.get(tex);
  if (!a) {
    a = analyzeLatex(tex);
    cachePut(ctx.analyses, tex, a, 20000); // a pure function of tex: cached, it never differs from fresh
  }
  return a;
}

/**
 * Numbers with the percent rule: when exactly one side had a percent sign, its value may also be read
 * divided by 100 (so the gold decides: gold `50\%` accepts `50`, `50\%` and `0.5`; gold `0.5` accepts
 * `50\%`; without a percent sign anywhere `0.5` and `50` differ).
 */
function percentVariants<T>(p: T, g: T, ctx: CompareContext, div: (x: T) => T): [T, T][] {
  const out: [T, T][] = [[p, g]];
  if (ctx.predPercent && !ctx.goldPercent) out.push([div(p), g]);
  if (ctx.goldPercent && !ctx.predPercent) out.push([p, div(g)]);
  return out;
}

function numbersMatch(p: NumLit, g: NumLit, ctx: CompareContext): Verdict {
  for (const [a, b] of percentVariants(p, g, ctx, percentOf)) {
    if (exactEqual(a, b)) return yes(a === p && b === g ? 'equal numbers' : 'equal numbers (percent)');
    if (roundsTo(a, b, ctx.minSigDigits) || roundsTo(b, a, ctx.minSigDigits)) return yes('decimal rounds to the value');
  }
  return no('numbers differ');
}

/** A decimal literal against a computed value: rounded/truncated at its last digit, enough digits. */
function decimalMatchesValue(d: NumLit, x: Complex, ctx: CompareContext): boolean {
  if (d.res === undefined || (d.sig ?? 0) < ctx.minSigDigits || x[1] !== 0) return false;
  const dv = Number(d.num) / Number(d.den);
  return Math.abs(dv - x[0]) < 10 ** d.res * (1 + 1e-9);
}

/** `204_5`, `204_{5}`, `{204}_5`, `1A_{16}`, `101_{(2)}`: digits, then the base as a subscript. */
const BASE_RE = /^\{?([0-9A-Za-z]+)\}?_\{?\(?(\d+)\)?\}?$/;

/** `[digits, base]` of a base-n numeral; `x_2` is a variable, `FF_{16}` a numeral (letters only past base 10). */
function baseNumeral(s: string): RegExpExecArray | null {
  const m = BASE_RE.exec(s);
  return m && (/\d/.test(m[1]!) || Number(m[2]) > 10) ? m : null;
}

/** Digits of a numeral, case and leading zeros aside. */
const digitsOf = (d: string): string => d.toUpperCase().replace(/^0+(?=.)/, '');

/** Two scalar leaves: same string → exact numbers → CAS (canonical form, then values). */
export function compareScalars(p: string, g: string, ctx: CompareContext): Verdict {
  if (p === g) return yes('same normalized string');
  // A numeral in another base (`204_5`) is compared as written: its digits are the answer. The other side
  // may leave the base out (`204`: the question fixed it); a different base is a different answer.
  const pb = baseNumeral(p), gb = baseNumeral(g);
  if (pb || gb) {
    const pd = pb ? pb[1]! : /^\d+$/.test(p) ? p : null, gd = gb ? gb[1]! : /^\d+$/.test(g) ? g : null;
    if (pd === null || gd === null) return no('a base-n numeral vs an expression');
    if (pb && gb && Number(pb[2]) !== Number(gb[2])) return no('numerals in different bases');
    return digitsOf(pd) === digitsOf(gd) ? yes('same base-n numeral') : no('base-n numerals differ');
  }
  const pn = parseNumber(p), gn = parseNumber(g);
  if (pn && gn) return numbersMatch(pn, gn, ctx);
  if (!charge(ctx, 2)) return no(WORK_EXCEEDED);
  // Each side as (CAS analysis, literal if it is one); the percent variants scale both.
  type Side = [CasAnalysis, NumLit | null];
  const div = ([a, n]: Side): Side => [{ ...a, expr: undefined, samples: a.samples.map((x) => x && [x[0] / 100, x[1] / 100]) }, n && percentOf(n)];
  let last: Verdict = no('not equal');
  for (const [[a, an], [b, bn]] of percentVariants<Side>([analysis(p, ctx), pn], [analysis(g, ctx), gn], ctx, div)) {
    // A written decimal against an exact expression: the same rounding rule as for two literals.
    if (an && b.vars.length === 0 && b.samples[0] && decimalMatchesValue(an, b.samples[0], ctx)) return yes('decimal rounds to the value');
    if (bn && a.vars.length === 0 && a.samples[0] && decimalMatchesValue(bn, a.samples[0], ctx)) return yes('decimal rounds to the value');
    const r = compareAnalyses(a, b, ctx.relTol);
    if (r.verdict === 'same' || r.verdict === 'equal') return yes(r.reason);
    last = no(r.reason);
  }
  return last;
}

/** Pairwise in order. */
export function ordered(ps: Answer[], gs: Answer[], ctx: CompareContext, what: string): Verdict {
  if (ps.length !== gs.length) return no(`${what}: ${ps.length} vs ${gs.length} elements`);
  for (let i = 0; i < ps.length; i++) {
    const v = compareAnswers(ps[i]!, gs[i]!, ctx);
    if (!v.equal) return no(`${what} element ${i + 1}: ${v.reason}`);
  }
  return yes(`${what} elements equal in order`);
}

/** A set's members, each written once (`\{2, 2\}` is `\{2\}`); repeats are found by their written form. */
function distinct(items: Answer[]): Answer[] {
  const seen = new Set<string>();
  return items.filter((x) => { const k = JSON.stringify(x); return seen.has(k) ? false : (seen.add(k), true); });
}

/** Without order: a greedy matching (equality is close enough to transitive for this to be exact). */
function unordered(ps: Answer[], gs: Answer[], ctx: CompareContext, what: string): Verdict {
  if (ps.length !== gs.length) return no(`${what}: ${ps.length} vs ${gs.length} elements`);
  const used = new Array<boolean>(gs.length).fill(false);
  for (const p of ps) {
    const j = gs.findIndex((g, k) => !used[k] && compareAnswers(p, g, ctx).equal);
    if (j < 0) return no(`${what}: an element has no equal partner`);
    used[j] = true;
  }
  return yes(`${what} elements equal as sets`);
}

/** The parts of a ratio as fractions of its first part (`2:4:6` → 4/2, 6/2), when all are scalars. */
function ratioParts(a: Answer): string[] | null {
  if (a.kind !== 'ratio' || !a.items.every((x) => x.kind === 'scalar')) return null;
  const t = a.items.map((x) => (x as { tex: string }).tex);
  return t.slice(1).map((x) => `\\frac{${x}}{${t[0]}}`);
}

/**
 * Ratios: equal when proportional (`1:2` = `2:4`); a two-part ratio also equals the fraction it makes
 * (`7:32` = `\frac{7}{32}`). A clock time (`12:00`, a part written with a leading zero) only equals
 * itself, part by part.
 */
function compareRatios(p: Answer, g: Answer, ctx: CompareContext): Verdict {
  const clock = (a: Answer): boolean => a.kind === 'ratio' && a.items.some((x) => x.kind === 'scalar' && /^0\d/.test(x.tex));
  if (clock(p) || clock(g)) {
    return p.kind === 'ratio' && g.kind === 'ratio' ? ordered(p.items, g.items, ctx, 'time') : no('a time vs a value');
  }
  const pr = ratioParts(p), gr = ratioParts(g);
  if (pr && gr) {
    if (pr.length !== gr.length) return no(`ratios of ${pr.length + 1} vs ${gr.length + 1} parts`);
    for (let i = 0; i < pr.length; i++) {
      if (!compareScalars(pr[i]!, gr[i]!, ctx).equal) return no('ratios are not proportional');
    }
    return yes('proportional ratios');
  }
  const asFraction = (a: Answer): Answer | null => {
    if (a.kind !== 'ratio' || a.items.length !== 2 || !a.items.every((x) => x.kind === 'scalar')) return null;
    const [x, y] = a.items.map((i) => (i as { tex: string }).tex);
    return { kind: 'scalar', tex: `\\frac{${x}}{${y}}` };
  };
  const pf = p.kind === 'ratio' ? asFraction(p) : p, gf = g.kind === 'ratio' ? asFraction(g) : g;
  if (pf && gf && pf.kind === 'scalar' && gf.kind === 'scalar') return compareScalars(pf.tex, gf.tex, ctx);
  return no(`${p.kind} vs ${g.kind}`);
}

function vectorItems(a: Answer): Answer[] | null {
  if (a.kind !== 'matrix') return null;
  if (a.rows.length === 1) return a.rows[0]!;
  return a.rows.every((r) => r.length === 1) ? a.rows.map((r) => r[0]!) : null;
}

/**
 * Compare pred p with gold g. Never throws; the reason says what decided. Once the work budget is spent
 * every comparison in progress ends "not equal" with the budget as its reason.
 */
export function compareAnswers(p: Answer, g: Answer, ctx: CompareContext): Verdict {
  if (!charge(ctx, 1)) return no(WORK_EXCEEDED);
  const v = compareParsed(p, g, ctx);
  return ctx.work.left < 0 ? no(WORK_EXCEEDED) : v;
}

function compareParsed(p: Answer, g: Answer, ctx: CompareContext): Verdict {
  const rel = relationAgainstValue(p, g, ctx) ?? relationAgainstInterval(p, g, ctx);
  if (rel) return rel;
  if (p.kind === 'set' && p.items.length === 1 && g.kind !== 'set') return compareAnswers(p.items[0]!, g, ctx);
  if (g.kind === 'set' && g.items.length === 1 && p.kind !== 'set') return compareAnswers(p, g.items[0]!, ctx);
  const pv = vectorItems(p), gv = vectorItems(g);
  if (pv && (g.kind === 'tuple' || g.kind === 'list')) return ordered(pv, g.items, ctx, 'vector');
  if (gv && (p.kind === 'tuple' || p.kind === 'list')) return ordered(p.items, gv, ctx, 'vector');

  if (p.kind === 'ratio' || g.kind === 'ratio') return compareRatios(p, g, ctx);
  switch (p.kind) {
    case 'scalar':
      if (g.kind === 'scalar') return compareScalars(p.tex, g.tex, ctx);
      if (g.kind === 'choice') return p.tex.toUpperCase() === g.letter ? yes('same letter') : no('different letters');
      if (g.kind === 'text') return p.tex.toLowerCase() === g.text ? yes('same text') : no('different text');
      return no(`scalar vs ${g.kind}`);
    case 'text':
      if (g.kind === 'text') return p.text.replace(/[\s'-]/g, '') === g.text.replace(/[\s'-]/g, '') ? yes('same text') : no('different text');
      if (g.kind === 'scalar') return p.text === g.tex.toLowerCase() ? yes('same text') : no('different text');
      if (g.kind === 'choice') return p.text.toUpperCase() === g.letter ? yes('same letter') : no('different letters');
      return no(`text vs ${g.kind}`);
    case 'choice':
      if (g.kind === 'choice') return p.letter === g.letter ? yes('same letter') : no('different letters');
      if (g.kind === 'scalar' || g.kind === 'text') return compareAnswers(g, p, ctx);
      return no(`letter vs ${g.kind}`);
    case 'tuple':
      if (g.kind === 'tuple') return ordered(p.items, g.items, ctx, 'tuple');
      // The gold decides whether order matters: a gold list or set accepts its members in any order.
      if (g.kind === 'list' || g.kind === 'set') return unordered(p.items, g.items, ctx, 'tuple');
      if (g.kind === 'interval') return compareAnswers(g, p, ctx);
      return no(`tuple vs ${g.kind}`);
    case 'list':
      if (g.kind === 'tuple') return ordered(p.items, g.items, ctx, 'list');
      if (g.kind === 'list' || g.kind === 'set') return unordered(p.items, g.items, ctx, 'list');
      return no(`list vs ${g.kind}`);
    case 'set':
      if (g.kind === 'set') return unordered(distinct(p.items), distinct(g.items), ctx, 'set');
      if (g.kind === 'list') return unordered(p.items, g.items, ctx, 'set');
      if (g.kind === 'tuple') return ordered(p.items, g.items, ctx, 'set');
      return no(`set vs ${g.kind}`);
    case 'interval':
      if (g.kind === 'union' && g.parts.length === 1) return compareAnswers(p, g.parts[0]!, ctx);
      // `(a, b)` is read as a pair; against an interval it is the open interval.
      if (g.kind === 'tuple' && g.items.length === 2) {
        return p.loClosed || p.hiClosed ? no('interval ends differ (open vs closed)') : ordered([p.lo, p.hi], g.items, ctx, 'interval');
      }
      if (g.kind !== 'interval') return no(`interval vs ${g.kind}`);
      if (p.loClosed !== g.loClosed || p.hiClosed !== g.hiClosed) return no('interval ends differ (open vs closed)');
      return ordered([p.lo, p.hi], [g.lo, g.hi], ctx, 'interval');
    case 'union':
      if (g.kind !== 'union') return p.parts.length === 1 ? compareAnswers(p.parts[0]!, g, ctx) : no(`union vs ${g.kind}`);
      return unordered(p.parts, g.parts, ctx, 'union');
    case 'matrix':
      if (g.kind !== 'matrix') return no(`matrix vs ${g.kind}`);
      if (p.rows.length !== g.rows.length || p.rows.some((r, i) => r.length !== g.rows[i]!.length)) return no('matrix shapes differ');
      return ordered(p.rows.flat(), g.rows.flat(), ctx, 'matrix');
    case 'relation':
      if (g.kind === 'relation') return compareRelations(p, g, ctx);
      return no('relation vs value');
  }
}
