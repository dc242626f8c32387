// The computer-algebra side of equivalence, on @cortex-js/compute-engine (LaTeX parser, canonical forms,
// numeric evaluation). Every bound here counts work, never wall time, so a verdict is the same on any
// machine at any load (the engine's own time limit is both load-dependent and cooperative: measured,
// `9^{9^{9^{9}}}` took 38 s in bignum `.N()` under a 100 ms limit). Bounds, in order: input length and
// bracket depth before parsing; no calculus notation; a syntax-only parse, then a size bound on every
// constant power / factorial / binomial (the engine's canonical form computes them exactly, so
// `\frac{99999^{99999}}{3}` alone would cost 0.4 s) before the canonical form is built; an allow-list
// of operators for numeric evaluation, done in float64 by our own evaluator. A failure anywhere is a
// reason string, never a throw.
//
// Symbolic equality is decided in two tiers: structural sameness of canonical forms (`isSame`, which
// already folds `\sqrt{8}` = `2\sqrt{2}` and `\frac{\pi}{2}` = `\pi/2`), then values at deterministic
// sample points (identity testing: `x^2+2x+1` and `(x+1)^2` agree at every point, `x^2` and `x^3` do not).
import { createRequire } from 'node:module';
import type { ComputeEngine as CE, Expression } from '@cortex-js/compute-engine';
import { Rng, deriveSeed } from '../util/rng.js';
import { EVALUABLE, evaluateJson } from './evaluate.js';
import { maxDepth } from './latex.js';

/** One evaluation result: [re, im]. */
export type Complex = [number, number];

/** What the CAS made of one scalar LaTeX string. */
export interface CasAnalysis {
  /** Parsed canonical expression, absent if parsing failed or was refused. */
  expr?: Expression;
  /** Free variables, sorted. */
  vars: string[];
  /** Values at the sample points (one point when there are no variables); null where evaluation failed. */
  samples: (Complex | null)[];
  /** Why numeric evaluation was not done or failed, if it was not. */
  reason?: string;
}

const CALCULUS_RE = /\\(?:sum|prod|int|iint|iiint|oint|lim|limsup|liminf|partial|nabla)(?![a-zA-Z])|\\frac\{d(?:\^\{?\d+\}?)?\s*[a-zA-Z]?\}\{d\s*[a-zA-Z]|\\mathrm\{d\}/;

/** Bounds; see the file comment. */
export const CAS_LIMITS = {
  maxChars: 400,
  maxDepth: 16,
  maxNodes: 400,
  /** Largest exact constant the canonical form may compute, in bits (`2^{2024}`, `3^{2024}`, `100!` pass). */
  maxBits: 12000,
  /** Sample points for expressions with variables. */
  points: 6,
};

let engine: CE | undefined;
let engineLoadMs = 0;

/**
 * The shared engine, loaded on first use (synchronously, through require, so that extraction-only users
 * and `ttrl grade` on plain numbers never pay the ~0.7 s load). Machine precision keeps evaluation in
 * float64: bignum evaluation is where the unbounded cases live.
 */
export function getEngine(): CE {
  if (!engine) {
    const t0 = performance.now();
    const require = createRequire(import.meta.url);
    const { ComputeEngine } = require('@cortex-js/compute-engine') as { ComputeEngine: new () => CE };
    engine = new ComputeEngine();
    engine.precision = 'machine';
    // Warm the parser and evaluator: the first calls run cold code (~40 ms), which would otherwise be
    // charged to whichever comparison happens to come first in timings.
    const warm = ['\\frac{\\sqrt{2}}{3}+x^2', '(1,2]', '\\sin(\\pi x)-\\ln 2', 'x=2y+1', '(y)-(-2x)', '(2x+y)-(0)',
      '\\frac{4}{2}', '5r^{5}', '3+4i', 'e^{i\\pi}', '\\binom{5}{2}+3!', '\\frac{x}{7}+\\frac{2}{7}'];
    let prev: Expression | undefined;
    for (const tex of warm) {
      const e = engine.parse(tex, { form: 'raw' }).canonical;
      e.isSame(prev ?? e);
      e.subs({ x: engine.number(0.5), y: engine.number(1.5) }).N();
      prev = e;
    }
    engineLoadMs = performance.now() - t0;
  }
  return engine;
}

/** Milliseconds the engine took to load and construct (0 before first use). */
export function casLoadMs(): number { return engineLoadMs; }

/** Load the engine if needed; returns the milliseconds spent loading now (0 when it was loaded already). */
export function ensureEngine(): number {
  if (engine) return 0;
  getEngine();
  return engineLoadMs;
}

/** FNV-1a of a variable name: the seed of its sample values, so a name gets the same values everywhere. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** Value of variable `name` at point k: uniform in [0.5, 2.5), positive so roots and logs stay real. */
export function sampleValue(name: string, k: number): number {
  return 0.5 + 2 * new Rng(deriveSeed(nameHash(name), k)).next();
}

/** A reason when the MathJSON cannot be evaluated numerically (unknown operator, too big), else null. */
function refuseNumeric(json: unknown, budget = { nodes: 0 }): string | null {
  if (++budget.nodes > CAS_LIMITS.maxNodes) return 'expression too large';
  if (!Array.isArray(json)) return null;
  const [head, ...args] = json as [unknown, ...unknown[]];
  if (typeof head !== 'string') return 'non-symbolic operator';
  if (!EVALUABLE.has(head)) return `no numeric evaluation for ${head}`;
  for (const a of args) {
    const r = refuseNumeric(a, budget);
    if (r) return r;
  }
  return null;
}

const INFINITIES = new Set(['PositiveInfinity', 'NegativeInfinity', 'ComplexInfinity']);

function hasInfinity(json: unknown): boolean {
  if (typeof json === 'string') return INFINITIES.has(json);
  return Array.isArray(json) && json.some(hasInfinity);
}

/** Run fn; a throw (BigInt overflow, engine bug) becomes a reason. Work is bounded before the call. */
function guarded<T>(fn: () => T): T | { error: string } {
  try {
    return fn();
  } catch (e) {
    return { error: `CAS error: ${String((e as Error)?.message ?? e).slice(0, 80)}` };
  }
}

const BIG_HEADS = new Set(['Power', 'Square', 'Factorial', 'Factorial2', 'Binomial', 'Exp']);

/** log2 of n! (Stirling), 0 for n < 2. */
const log2Factorial = (n: number): number => (n < 2 ? 0 : (n * Math.log(n / Math.E) + 0.5 * Math.log(2 * Math.PI * n)) / Math.LN2);

/**
 * A reason when the syntax tree holds a constant whose exact value is too large to compute (a power,
 * factorial or binomial of more than maxBits), else null. Operands are valued in float64 (our evaluator);
 * an operand that has no finite value (a tower) is too large by definition.
 */
function refuseHuge(json: unknown, budget = { nodes: 0 }): string | null {
  if (++budget.nodes > 4 * CAS_LIMITS.maxNodes) return 'expression too large';
  if (!Array.isArray(json)) return null;
  const [head, ...args] = json as [unknown, ...unknown[]];
  for (const a of args) {
    const r = refuseHuge(a, budget);
    if (r) return r;
  }
  if (typeof head !== 'string' || !BIG_HEADS.has(head)) return null;
  const vals = args.map((a) => evaluateJson(a, {}));
  if (vals.some((v) => v === null)) return null; // has a variable or an unknown: the canonical form keeps it symbolic
  const mag = (v: Complex): number => Math.hypot(v[0], v[1]);
  let bits: number;
  if (head === 'Power') bits = mag(vals[1]!) * Math.abs(Math.log2(mag(vals[0]!) || 1));
  else if (head === 'Square') bits = 2 * Math.abs(Math.log2(mag(vals[0]!) || 1));
  else if (head === 'Exp') bits = mag(vals[0]!) * Math.LOG2E;
  else if (head === 'Binomial') bits = mag(vals[0]!);
  else bits = log2Factorial(mag(vals[0]!));
  return Number.isFinite(bits) && bits <= CAS_LIMITS.maxBits ? null : 'a constant too large to compute exactly';
}

function isError(x: unknown): x is { error: string } {
  return typeof x === 'object' && x !== null && 'error' in x && Object.keys(x).length === 1;
}

/**
 * Parse and evaluate one scalar LaTeX string (already normalised). Never throws; the work is bounded by
 * the input guards above. Expressions with variables are evaluated at CAS_LIMITS.points sample points.
 */
export function analyzeLatex(latex: string): CasAnalysis {
  const none = (reason: string): CasAnalysis => ({ vars: [], samples: [], reason });
  if (latex.length > CAS_LIMITS.maxChars) return none(`too long for the CAS (${latex.length} chars)`);
  if (maxDepth(latex) > CAS_LIMITS.maxDepth) return none('nested too deeply for the CAS');
  // Calculus notation: never evaluated, and parsing it alone can take 100+ ms (`\frac{d^{100}}{dx^{100}}`).
  if (CALCULUS_RE.test(latex)) return none('calculus notation (sums, integrals, limits, derivatives) is compared as written');
  const ce = getEngine();
  const raw = guarded(() => ce.parse(latex, { form: 'raw' }));
  if (isError(raw)) return none(raw.error);
  const huge = guarded(() => refuseHuge(raw.json));
  if (isError(huge) || huge) return none(isError(huge) ? huge.error : huge);
  const parsed = guarded(() => raw.canonical);
  if (isError(parsed)) return none(parsed.error);
  if (!parsed.isValid) return none('LaTeX the CAS cannot parse');
  const json = parsed.json;
  const vars = [...parsed.unknowns].sort();
  const refused = refuseNumeric(json);
  if (refused) return { expr: parsed, vars, samples: [], reason: refused };
  const allowInfinite = hasInfinity(json);
  const points = vars.length === 0 ? 1 : CAS_LIMITS.points;
  const samples: (Complex | null)[] = [];
  for (let k = 0; k < points; k++) {
    const v = evaluateJson(json, Object.fromEntries(vars.map((name) => [name, sampleValue(name, k)])));
    const ok = v !== null && !Number.isNaN(v[0]) && !Number.isNaN(v[1])
      && (allowInfinite || (Number.isFinite(v[0]) && Number.isFinite(v[1])));
    samples.push(ok ? v : null);
  }
  return { expr: parsed, vars, samples };
}

/** |a - b| within relTol of the larger modulus (absolute 1e-12 near zero); infinities must match exactly. */
export function closeComplex(a: Complex, b: Complex, relTol: number): boolean {
  if (!Number.isFinite(a[0]) || !Number.isFinite(a[1]) || !Number.isFinite(b[0]) || !Number.isFinite(b[1])) {
    return a[0] === b[0] && a[1] === b[1];
  }
  const d = Math.hypot(a[0] - b[0], a[1] - b[1]);
  return d <= relTol * Math.max(Math.hypot(a[0], a[1]), Math.hypot(b[0], b[1])) + 1e-12;
}

/**
 * Compare two analyses: 'same' (canonical forms identical), 'equal' / 'different' by sample values, or
 * 'unknown' when neither tier could decide (then the caller says not equal, with this reason).
 */
export function compareAnalyses(a: CasAnalysis, b: CasAnalysis, relTol: number): { verdict: 'same' | 'equal' | 'different' | 'unknown'; reason: string } {
  // Values first: one canonical form always evaluates to the same values, so a difference here settles
  // it without the engine (the vote compares every pair of distinct answers; this keeps that cheap).
  // A constant has one sample; it is compared with every sample of the other side (sin²x + cos²x vs 1).
  const at = (x: CasAnalysis, k: number): Complex | null => (x.vars.length === 0 ? x.samples[0] ?? null : x.samples[k] ?? null);
  const n = Math.max(a.vars.length === 0 ? 1 : a.samples.length, b.vars.length === 0 ? 1 : b.samples.length);
  const sameVars = a.vars.length === b.vars.length && a.vars.every((v, i) => v === b.vars[i]);
  let compared = 0;
  for (let k = 0; k < n; k++) {
    const x = at(a, k), y = at(b, k);
    if (!x || !y) continue;
    if (!closeComplex(x, y, relTol)) return { verdict: 'different', reason: a.vars.length + b.vars.length === 0 ? 'values differ' : 'values differ at a sample point' };
    compared++;
  }
  const same = a.expr && b.expr ? guarded(() => a.expr!.isSame(b.expr!)) === true : false;
  if (same) return { verdict: 'same', reason: 'same canonical form' };
  // Different free variables can still be equal (x+y-y vs x), so agreement at all points decides.
  const needed = a.vars.length === 0 && b.vars.length === 0 ? 1 : Math.min(3, CAS_LIMITS.points);
  if (compared >= needed && (sameVars || compared === n)) {
    // Floats cannot tell 2^64 from 2^64+1: past 2^53 ask the engine for an exact comparison.
    const big = a.samples.some((x) => x !== null && Math.hypot(x[0], x[1]) > 2 ** 53);
    if (big && a.vars.length + b.vars.length === 0 && a.expr && b.expr) {
      const ce = getEngine();
      const d = guarded(() => ce.box(['Subtract', a.expr!, b.expr!]).evaluate().json);
      if (d !== 0) return { verdict: typeof d === 'number' || (d as { num?: unknown })?.num !== undefined ? 'different' : 'unknown', reason: 'large values differ exactly' };
    }
    return { verdict: 'equal', reason: compared === 1 ? 'equal values' : `equal at ${compared} sample points` };
  }
  return { verdict: 'unknown', reason: a.reason ?? b.reason ?? 'could not evaluate' };
}
