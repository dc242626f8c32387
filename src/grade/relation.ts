// Relations in answers: equations, inequalities, equation chains, and how they meet bare values and
// intervals. The gold decides, as Math-Verify does (docs/grading.md):
// - a pred equation against a gold value is read by its last side (`x = 5 + 5 + 1 = 11` gives 11,
//   `\frac12 + \frac13 = \frac56` gives 5/6);
// - a gold assignment (`x = 5`, `AB = 4`, `(p, q) = (3, 2)`: the left side names what is asked) against
//   a pred value is read by its value; a gold equation that is not an assignment (`2x + z = 1`) is not;
// - a gold inequality accepts the interval it describes; a gold interval does not accept the inequality
//   (a model that repeats the inequality it was asked to solve has not solved it).
import { analysis, charge, compareAnswers, no, ordered, yes, WORK_EXCEEDED, type CompareContext, type Verdict } from './compare.js';
import { closeComplex, type Complex } from './cas.js';
import { isNameLike, isVariable, type Answer, type RelOp } from './structure.js';

type Relation = Extract<Answer, { kind: 'relation' }>;

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
export function relationToInterval(r: Relation): Answer | null {
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

const isEquation = (a: Answer): a is Relation => a.kind === 'relation' && a.ops.every((o) => o === '=');

/** The value an assignment gives: `x = v` and `v = x` (one side a lone variable), `name = ... = v`. */
function assignedValue(r: Relation): Answer | null {
  if (!isEquation(r)) return null;
  if (isNameLike(r.sides[0]!)) return r.sides[r.sides.length - 1]!;
  return r.sides.length === 2 && isVariable(r.sides[1]!) ? r.sides[0]! : null;
}

/**
 * An equation or assignment on one side against a value on the other, read as Math-Verify reads it
 * (see the file comment); null when neither rule applies and the structures are compared as they are.
 */
export function relationAgainstValue(p: Answer, g: Answer, ctx: CompareContext): Verdict | null {
  if (p.kind === 'relation' && g.kind !== 'relation' && isEquation(p)) {
    return compareAnswers(assignedValue(p) ?? p.sides[p.sides.length - 1]!, g, ctx);
  }
  if (g.kind === 'relation' && p.kind !== 'relation') {
    const v = assignedValue(g);
    if (v) return compareAnswers(p, v, ctx);
  }
  return null;
}

/** A pred relation against a gold interval, or the reverse (the asymmetry in the file comment). */
export function relationAgainstInterval(p: Answer, g: Answer, ctx: CompareContext): Verdict | null {
  const intervalLike = (a: Answer): boolean => a.kind === 'interval' || a.kind === 'union' || (a.kind === 'tuple' && a.items.length === 2);
  if (p.kind === 'relation' && intervalLike(g)) return no('an inequality does not answer for the interval it describes');
  if (g.kind === 'relation' && intervalLike(p)) {
    const iv = relationToInterval(g);
    return iv ? compareAnswers(p, iv, ctx) : no('interval vs relation');
  }
  // `x < -3 \text{ or } x > 3` (a list of inequalities) as gold against a union of intervals.
  if (p.kind === 'union' && g.kind === 'list' && g.items.every((x) => x.kind === 'relation')) {
    const parts = g.items.map((x) => relationToInterval(x as Relation));
    return parts.every((x) => x !== null) ? compareAnswers(p, { kind: 'union', parts: parts as Answer[] }, ctx) : null;
  }
  return null;
}

function texOf(a: Answer): string | null {
  return a.kind === 'scalar' ? a.tex : a.kind === 'text' ? a.text : null;
}

/** Is d_p a constant multiple of d_g (positive when `positive`) at every sample point? */
function proportional(dp: string, dg: string, positive: boolean, ctx: CompareContext): Verdict {
  if (!charge(ctx, 2)) return no(WORK_EXCEEDED);
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

export function compareRelations(p: Relation, g: Relation, ctx: CompareContext): Verdict {
  const P = lessForm(p.ops, p.sides), G = lessForm(g.ops, g.sides);
  if (P.ops.length !== G.ops.length || P.ops.some((o, i) => o !== G.ops[i])) return no('different relations');
  if (P.sides.length === 2) {
    // x = 5 vs x = 5.0: the same name on the left, compare the right (works for any structure there).
    const pl = texOf(P.sides[0]!), gl = texOf(G.sides[0]!);
    if (pl !== null && pl === gl && isNameLike(P.sides[0]!)) return compareAnswers(P.sides[1]!, G.sides[1]!, ctx);
    const ts = [P.sides[0], P.sides[1], G.sides[0], G.sides[1]].map((s) => texOf(s!));
    if (ts.every((t) => t !== null)) {
      return proportional(`(${ts[0]})-(${ts[1]})`, `(${ts[2]})-(${ts[3]})`, P.ops[0] !== '=' && P.ops[0] !== '\\ne', ctx);
    }
    if (P.sides.length === 2 && isNameLike(P.sides[0]!) && isNameLike(G.sides[0]!)) {
      const names = compareAnswers(P.sides[0]!, G.sides[0]!, ctx);
      return names.equal ? compareAnswers(P.sides[1]!, G.sides[1]!, ctx) : no('assignments to different names');
    }
    return no('relations between structures differ');
  }
  return ordered(P.sides, G.sides, ctx, 'chain');
}
