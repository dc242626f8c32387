// Structural comparison of two parsed answers, down to scalar leaves. Conventions (each one a rule some
// widely used grader has, see docs/grading.md): tuples and intervals compare in order with their brackets,
// bare lists and sets without order, `x = 5` equals `5`, equations are equal when one is a nonzero multiple
// of the other, inequalities when the multiple is positive, and a one-variable inequality equals the
// interval it describes.
import { analyzeLatex, closeComplex, compareAnalyses, type CasAnalysis, type Complex } from './cas.js';
import { exactEqual, parseNumber, percentOf, roundsTo, type NumLit } from './number.js';
import { isVariable, type Answer, type RelOp } from './structure.js';

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
   * Work left for this comparison, in steps: each structural comparison costs one, each scalar that needs
   * the CAS costs CAS_STEP_COST whether or not its analysis is cached (so a verdict never depends on what
   * was compared before). At zero the comparison gives up: not equal, and the reason says so.
   */
  work: { left: number };
  /** Per-scalar CAS analyses, shared across comparisons (the expensive part). */
  analyses: Map<string, CasAnalysis>;
}

const yes = (reason: string): Verdict => ({ equal: true, reason });
const no = (reason: string): Verdict => ({ equal: false, reason });

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
function charge(ctx: CompareContext, n: number): boolean {
  ctx.work.left -= n;
  return ctx.work.left >= 0;
}

function analysis(tex: string, ctx: CompareContext): CasAnalysis {
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

const BASE_RE = /^(\d+)_\{?(\d+)\}?$/;

/** Two scalar leaves: same string → exact numbers → CAS (canonical form, then values). */
export function compareScalars(p: string, g: string, ctx: CompareContext): Verdict {
  if (p === g) return yes('same normalized string');
  // A numeral in another base (`204_5`) is compared as written: its digits are the answer.
  const pb = BASE_RE.exec(p), gb = BASE_RE.exec(g);
  if (pb || gb) {
    return pb && gb && BigInt(pb[1]!) === BigInt(gb[1]!) && pb[2] === gb[2] ? yes('same base-n numeral') : no('base-n numerals differ');
  }
  const pn = parseNumber(p), gn = parseNumber(g);
  if (pn && gn) return numbersMatch(pn, gn, ctx);
  if (!charge(ctx, 2 * CAS_STEP_COST)) return no(WORK_EXCEEDED);
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
function ordered(ps: Answer[], gs: Answer[], ctx: CompareContext, what: string): Verdict {
  if (ps.length !== gs.length) return no(`${what}: ${ps.length} vs ${gs.length} elements`);
  for (let i = 0; i < ps.length; i++) {
    const v = compareAnswers(ps[i]!, gs[i]!, ctx);
    if (!v.equal) return no(`${what} element ${i + 1}: ${v.reason}`);
  }
  return yes(`${what} elements equal in order`);
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

const INF: Answer = { kind: 'scalar', tex: '\\infty' };
const NEG_INF: Answer = { kind: 'scalar', tex: '-\\infty' };

/** Direction-normalised relation: `>`/`\geq` chains are reversed into `<`/`\leq`. */
function lessForm(ops: RelOp[], sides: Answer[]): { ops: RelOp[]; sides: Answer[] } {
  if (ops.every((o) => o === '>' || o === '\\geq')) {
    return { ops: ops.map((o) => (o === '>' ? '<' : '\\leq')).reverse() as RelOp[], sides: [...sides].reverse() };
  }
  return { ops, sides };
}

/** A one-variable inequality (`x < 3`, `-2 \leq x \leq 7`, `x \geq 5`) as the interval it describes. */
function relationToInterval(r: Extract<Answer, { kind: 'relation' }>): Answer | null {
  const { ops, sides } = lessForm(r.ops, r.sides);
  if (!ops.every((o) => o === '<' || o === '\\leq')) return null;
  const closed = (o: RelOp): boolean => o === '\\leq';
  if (sides.length === 3 && isVariable(sides[1]!)) {
    return { kind: 'interval', lo: sides[0]!, hi: sides[2]!, loClosed: closed(ops[0]!), hiClosed: closed(ops[1]!) };
  }
  if (sides.length !== 2) return null;
  if (isVariable(sides[0]!)) return { kind: 'interval', lo: NEG_INF, hi: sides[1]!, loClosed: false, hiClosed: closed(ops[0]!) };
  if (isVariable(sides[1]!)) return { kind: 'interval', lo: sides[0]!, hi: INF, loClosed: closed(ops[0]!), hiClosed: false };
  return null;
}

/** The value of `x = v` or `v = x` (one side a lone variable); null for any other relation. */
function assignedValue(r: Extract<Answer, { kind: 'relation' }>): Answer | null {
  if (r.ops.length !== 1 || r.ops[0] !== '=') return null;
  if (isVariable(r.sides[0]!)) return r.sides[1]!;
  return isVariable(r.sides[1]!) ? r.sides[0]! : null;
}

function texOf(a: Answer): string | null {
  return a.kind === 'scalar' ? a.tex : a.kind === 'text' ? a.text : null;
}

/** Is d_p a constant multiple of d_g (positive when `positive`) at every sample point? */
function proportional(dp: string, dg: string, positive: boolean, ctx: CompareContext): Verdict {
  if (!charge(ctx, 2 * CAS_STEP_COST)) return no(WORK_EXCEEDED);
  const a = analysis(dp, ctx), b = analysis(dg, ctx);
  let ratio: Complex | null = null, points = 0;
  for (let k = 0; k < Math.min(a.samples.length, b.samples.length); k++) {
    const x = a.samples[k], y = b.samples[k];
    if (!x || !y) continue;
    const yy = y[0] * y[0] + y[1] * y[1];
    if (yy < 1e-18) { if (Math.hypot(x[0], x[1]) > 1e-9) return no('equations differ'); continue; }
    const r: Complex = [(x[0] * y[0] + x[1] * y[1]) / yy, (x[1] * y[0] - x[0] * y[1]) / yy];
    if (ratio && !closeComplex(r, ratio, Math.max(ctx.relTol, 1e-9))) return no('equations differ');
    ratio = ratio ?? r;
    points++;
  }
  if (!ratio || points < 2 || Math.hypot(ratio[0], ratio[1]) < 1e-12) return no(a.reason ?? b.reason ?? 'could not compare equations');
  if (positive && !(ratio[0] > 0 && Math.abs(ratio[1]) < 1e-9)) return no('inequalities point opposite ways');
  return yes('same relation up to a constant factor');
}

function compareRelations(p: Extract<Answer, { kind: 'relation' }>, g: Extract<Answer, { kind: 'relation' }>, ctx: CompareContext): Verdict {
  const P = lessForm(p.ops, p.sides), G = lessForm(g.ops, g.sides);
  if (P.ops.length !== G.ops.length || P.ops.some((o, i) => o !== G.ops[i])) return no('different relations');
  if (P.sides.length === 2) {
    // x = 5 vs x = 5.0: same variable on the left, compare the right (works for any structure there).
    const pl = texOf(P.sides[0]!), gl = texOf(G.sides[0]!);
    if (pl !== null && pl === gl && isVariable(P.sides[0]!)) return compareAnswers(P.sides[1]!, G.sides[1]!, ctx);
    const ts = [P.sides[0], P.sides[1], G.sides[0], G.sides[1]].map((s) => texOf(s!));
    if (ts.every((t) => t !== null)) {
      return proportional(`(${ts[0]})-(${ts[1]})`, `(${ts[2]})-(${ts[3]})`, P.ops[0] !== '=' && P.ops[0] !== '\\ne', ctx);
    }
    return no('relations between structures differ');
  }
  return ordered(P.sides, G.sides, ctx, 'chain');
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
  // An assignment `x = v` (or `v = x`) against a bare value: compare v (Qwen2.5-Math / math-verify rule).
  const pv0 = p.kind === 'relation' && g.kind !== 'relation' ? assignedValue(p) : null;
  if (pv0) return compareAnswers(pv0, g, ctx);
  const gv0 = g.kind === 'relation' && p.kind !== 'relation' ? assignedValue(g) : null;
  if (gv0) return compareAnswers(p, gv0, ctx);
  const intervalLike = (a: Answer): boolean => a.kind === 'interval' || a.kind === 'union' || (a.kind === 'tuple' && a.items.length === 2);
  if (p.kind === 'relation' && intervalLike(g)) {
    const iv = relationToInterval(p);
    return iv ? compareAnswers(iv, g, ctx) : no('relation vs interval');
  }
  if (g.kind === 'relation' && intervalLike(p)) {
    const iv = relationToInterval(g);
    return iv ? compareAnswers(p, iv, ctx) : no('interval vs relation');
  }
  // `x < -3 \text{ or } x > 3` (a list of inequalities) against a union of intervals.
  const asUnion = (a: Answer): Answer | null => {
    if (a.kind !== 'list' || !a.items.every((x) => x.kind === 'relation')) return null;
    const parts = a.items.map((x) => relationToInterval(x as Extract<Answer, { kind: 'relation' }>));
    return parts.every((x) => x !== null) ? { kind: 'union', parts: parts as Answer[] } : null;
  };
  if (g.kind === 'union' && asUnion(p)) return compareAnswers(asUnion(p)!, g, ctx);
  if (p.kind === 'union' && asUnion(g)) return compareAnswers(p, asUnion(g)!, ctx);
  if (p.kind === 'set' && p.items.length === 1 && g.kind !== 'set') return compareAnswers(p.items[0]!, g, ctx);
  if (g.kind === 'set' && g.items.length === 1 && p.kind !== 'set') return compareAnswers(p, g.items[0]!, ctx);
  const pv = vectorItems(p), gv = vectorItems(g);
  if (pv && (g.kind === 'tuple' || g.kind === 'list')) return ordered(pv, g.items, ctx, 'vector');
  if (gv && (p.kind === 'tuple' || p.kind === 'list')) return ordered(p.items, gv, ctx, 'vector');

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
      if (g.kind === 'tuple' || g.kind === 'list' || g.kind === 'set') return ordered(p.items, g.items, ctx, 'tuple');
      if (g.kind === 'interval') return compareAnswers(g, p, ctx);
      return no(`tuple vs ${g.kind}`);
    case 'list':
      if (g.kind === 'tuple') return ordered(p.items, g.items, ctx, 'list');
      if (g.kind === 'list' || g.kind === 'set') return unordered(p.items, g.items, ctx, 'list');
      return no(`list vs ${g.kind}`);
    case 'set':
      if (g.kind === 'set' || g.kind === 'list') return unordered(p.items, g.items, ctx, 'set');
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
