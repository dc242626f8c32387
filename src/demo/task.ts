// The demo's task family: running sums of small integers, solved step by step and ended with \boxed{}.
//
//   question: "Compute: 7+5-3+9"
//   solution: "7+5=12\n12-3=9\n9+9=18\nAnswer: \boxed{18}"
//
// Why this shape: each step is easy but not certain for a tiny model, and a slip anywhere changes the final
// answer to some other value. Wrong answers scatter over several values while the right one is a single
// value, so the majority vote is right more often than one sample (maj@N > pass@1): the gap TTRL learns
// from. Levels set the number and size of the terms; (seed, level, index) fixes every problem.
//
// The text is compact on purpose (no spaces in the expression): a demo step on two CPU cores costs time
// in proportion to tokens, and Qwen2-style pre-tokenization gives every digit and sign its own token anyway.
import { Rng, deriveSeed } from '../util/rng.js';
import { TtrlError } from '../util/errors.js';

export interface TaskProblem {
  id: string;
  /** The question, as sent in the user message. */
  prompt: string;
  /** The final value as a plain integer string (what \boxed{} must hold). */
  answer: string;
  /** The clean worked solution (no slips). */
  solution: string;
  level: number;
  /** The terms and their signs (+1 / −1; the first is always +1). */
  terms: number[];
  signs: number[];
}

export interface TaskLevel {
  terms: number;      // numbers in the sum
  maxTerm: number;    // each term in [1, maxTerm]
  minusShare: number; // chance that a term (after the first) is subtracted, when the total stays ≥ 0
}

/** Difficulty levels: more terms, then larger numbers (more carries and borrows). */
export const LEVELS: Record<number, TaskLevel> = {
  1: { terms: 3, maxTerm: 9, minusShare: 0.3 },
  2: { terms: 4, maxTerm: 9, minusShare: 0.35 },
  3: { terms: 5, maxTerm: 9, minusShare: 0.4 },
  4: { terms: 5, maxTerm: 19, minusShare: 0.4 },
  5: { terms: 6, maxTerm: 19, minusShare: 0.45 },
};

export function levelOf(level: number): TaskLevel {
  const L = LEVELS[level];
  if (!L) throw new TtrlError(`unknown task level ${level} (levels: ${Object.keys(LEVELS).join(', ')})`);
  return L;
}

/** One step of a worked solution: acc (op) term = result. */
export interface Step { acc: number; sign: number; term: number; result: number }

/**
 * Decides what a step writes as its result. The clean solver writes the true value; the pretraining
 * corpus (corpus.ts) passes one that sometimes slips. Later steps continue from what was written.
 */
export type StepWriter = (acc: number, sign: number, term: number) => number;

export const exactStep: StepWriter = (acc, sign, term) => acc + sign * term;

/** The steps of a left-to-right running sum, each starting from the previous written result. */
export function solveSteps(terms: readonly number[], signs: readonly number[], write: StepWriter = exactStep): Step[] {
  const steps: Step[] = [];
  let acc = terms[0]!;
  for (let i = 1; i < terms.length; i++) {
    const result = write(acc, signs[i]!, terms[i]!);
    steps.push({ acc, sign: signs[i]!, term: terms[i]!, result });
    acc = result;
  }
  return steps;
}

/** The question text of a sum, e.g. "Compute: 7+5-3+9". */
export function questionText(terms: readonly number[], signs: readonly number[]): string {
  return `Compute: ${terms.map((x, i) => (i === 0 ? `${x}` : `${signs[i]! < 0 ? '-' : '+'}${x}`)).join('')}`;
}

/** The worked solution text of some steps (the last result is the boxed answer). */
export function solutionText(first: number, steps: readonly Step[]): string {
  const lines = steps.map((s) => `${s.acc}${s.sign < 0 ? '-' : '+'}${s.term}=${s.result}`);
  const final = steps.length ? steps[steps.length - 1]!.result : first;
  return `${lines.join('\n')}\nAnswer: \\boxed{${final}}`;
}

/** One problem of a level, determined by (seed, level, index). */
export function makeProblem(level: number, seed: number, index: number): TaskProblem {
  const L = levelOf(level);
  const rng = new Rng(seed, 0xd3, level, index);
  const terms: number[] = [], signs: number[] = [];
  let total = 0;
  for (let i = 0; i < L.terms; i++) {
    const x = 1 + rng.int(L.maxTerm);
    const minus = i > 0 && rng.next() < L.minusShare && total - x >= 0;  // running totals stay ≥ 0
    terms.push(x);
    signs.push(minus ? -1 : 1);
    total += minus ? -x : x;
  }
  const steps = solveSteps(terms, signs);
  return {
    id: `L${level}-${seed}-${index}`,
    prompt: questionText(terms, signs),
    answer: String(total),
    solution: solutionText(terms[0]!, steps),
    level, terms, signs,
  };
}

/** n problems of the given levels (round-robin), reproducible from the seed. */
export function makeProblems(n: number, levels: readonly number[], seed: number, offset = 0): TaskProblem[] {
  if (levels.length === 0) throw new TtrlError('makeProblems: no levels given');
  return Array.from({ length: n }, (_, i) => makeProblem(levels[i % levels.length]!, seed, offset + i));
}

export type Split = 'train' | 'test';

/**
 * Which half a question belongs to, by a hash of its text: the base model is pretrained only on 'train'
 * questions and every test set is drawn only from 'test' ones, so no test question was seen in
 * pretraining, whatever seeds the two use (small levels have only a few thousand distinct questions).
 */
export function splitOf(prompt: string): Split {
  const codes = Array.from(prompt, (ch) => ch.codePointAt(0)!);
  return deriveSeed(0x5b1, ...codes) % 2 === 0 ? 'train' : 'test';
}

/**
 * n problems of one split, levels round-robin, reproducible from the seed: the k-th problem of a level
 * is the k-th of its seeded stream (index offset, offset + 1, ...) that falls in the split.
 */
export function makeSplit(n: number, levels: readonly number[], seed: number, split: Split, offset = 0): TaskProblem[] {
  if (levels.length === 0) throw new TtrlError('makeSplit: no levels given');
  const next = new Map<number, number>(levels.map((l) => [l, offset]));
  const out: TaskProblem[] = [];
  for (let i = 0; i < n; i++) {
    const level = levels[i % levels.length]!;
    let p: TaskProblem;
    do {
      const k = next.get(level)!;
      next.set(level, k + 1);
      p = makeProblem(level, seed, k);
    } while (splitOf(p.prompt) !== split);
    out.push(p);
  }
  return out;
}
