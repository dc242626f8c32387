// isEquivalent: are two answer strings the same mathematical answer? Cached, and bounded in work (steps),
// never in wall time: the same pair gets the same verdict on any machine at any load, cached or not.
// Pipeline: normalise both (normalize.ts) → same canonical string? → parse structure (structure.ts) →
// compare structures down to scalars (compare.ts): exact numbers first, the CAS only for the rest.
import { compareAnswers, cachePut, type CompareContext, type Verdict } from './compare.js';
import type { CasAnalysis } from './cas.js';
import { extractChoice } from './extract.js';
import { normalizeAnswer, type Normalized } from './normalize.js';
import { parseAnswer, type Answer } from './structure.js';

export interface EquivalenceOptions {
  /** Relative tolerance for values computed by the CAS (float64 evaluation of exact forms). Default 1e-8. */
  relTol?: number;
  /** Significant digits a decimal needs to match a value it rounds to (0.33333 = 1/3, 0.33 ≠ 1/3). Default 5. */
  minSigDigits?: number;
  /**
   * Work budget of one comparison in steps: one per structural comparison, two per comparison of CAS
   * values, CAS_STEP_COST (20) per distinct scalar the CAS reads. Default 4000 (a 30-element list of
   * expressions against another in any order fits). Past it the verdict is "not equal" with a reason.
   */
  maxWork?: number;
  /** Multiple choice: compare the letters only. */
  choices?: boolean;
}

export interface EquivalenceResult { equal: boolean; reason?: string }

export const EQUIVALENCE_DEFAULTS: Required<EquivalenceOptions> = {
  relTol: 1e-8,
  minSigDigits: 5,
  maxWork: 4000,
  choices: false,
};

/** Longer answers are compared as normalised strings only (no structure, no CAS). */
const MAX_STRUCTURED_CHARS = 1000;
/** Longer inputs are not even normalised: a hostile 1 MB "answer" costs nothing. */
const MAX_INPUT_CHARS = 20000;
const MAX_CACHED_PAIRS = 200000;

const pairCache = new Map<string, EquivalenceResult>();
const normCache = new Map<string, { norm: Normalized; tree: Answer | null }>();
const analyses = new Map<string, CasAnalysis>();

/** Forget every cached comparison and CAS analysis (benchmarks measure the uncached cost with this). */
export function clearGradeCaches(): void {
  pairCache.clear();
  normCache.clear();
  analyses.clear();
}

/** Normalised form and structure of one answer string, cached. */
export function prepare(s: string): { norm: Normalized; tree: Answer | null } {
  let p = normCache.get(s);
  if (!p) {
    const norm = normalizeAnswer(s);
    p = { norm, tree: norm.text.length <= MAX_STRUCTURED_CHARS ? parseAnswer(norm.text) : null };
    cachePut(normCache, s, p, 50000);
  }
  return p;
}

function decide(pred: string, gold: string, o: Required<EquivalenceOptions>): EquivalenceResult {
  if (pred.length > MAX_INPUT_CHARS || gold.length > MAX_INPUT_CHARS) {
    return { equal: pred === gold, reason: pred === gold ? 'identical strings' : `input too long (over ${MAX_INPUT_CHARS} chars)` };
  }
  if (o.choices) {
    const a = extractChoice(pred, 'ABCDE'), b = extractChoice(gold, 'ABCDE');
    if (a === null || b === null) return { equal: false, reason: 'no choice letter' };
    return a === b ? { equal: true, reason: 'same letter' } : { equal: false, reason: 'different letters' };
  }
  const p = prepare(pred), g = prepare(gold);
  if (p.norm.text === '' || g.norm.text === '') return { equal: false, reason: 'empty answer' };
  if (p.norm.text === g.norm.text) return { equal: true, reason: 'same normalized string' };
  if (!p.tree || !g.tree) return { equal: false, reason: `too long to compare structurally (over ${MAX_STRUCTURED_CHARS} chars)` };
  const ctx: CompareContext = {
    relTol: o.relTol,
    minSigDigits: o.minSigDigits,
    predPercent: p.norm.percent,
    goldPercent: g.norm.percent,
    work: { left: o.maxWork, read: new Set() },
    analyses,
  };
  let v: Verdict;
  try {
    v = compareAnswers(p.tree, g.tree, ctx);
  } catch (e) {
    // compare.ts is written not to throw; this is the last line of defence for the vote.
    v = { equal: false, reason: `grader error: ${String((e as Error)?.message ?? e).slice(0, 80)}` };
  }
  return v;
}

/**
 * Is `pred` the same answer as `gold`? Both are extracted answer strings (not whole responses; see
 * extractAnswer). Symmetric except where the gold decides (docs/grading.md): its percent sign, a pred
 * equation against a gold value, a gold inequality against a pred interval, order in tuples vs sets. Never throws;
 * cached per (pred, gold, options); bounded by maxWork steps, past which the answer is "not equal" with a
 * reason saying so. A pure function of its arguments: cached and fresh results are identical.
 */
export function isEquivalent(pred: string, gold: string, opts: EquivalenceOptions = {}): EquivalenceResult {
  const o = { ...EQUIVALENCE_DEFAULTS, ...opts };
  const key = `${o.relTol}|${o.minSigDigits}|${o.maxWork}|${o.choices ? 1 : 0}\u0001${pred}\u0001${gold}`;
  const hit = pairCache.get(key);
  if (hit) return hit;
  const r = decide(pred, gold, o);
  cachePut(pairCache, key, r, MAX_CACHED_PAIRS);
  return r;
}

/** The canonical string of an answer (the vote's fast path groups answers with equal strings). */
export function canonicalAnswer(answer: string): string {
  const p = prepare(answer);
  return p.norm.percent ? `${p.norm.text}%` : p.norm.text;
}
