// The demo's task family: running sums of small integers, solved step by step and ended with \boxed{}.
//
//   question: "Add up: 7 + 5 - 3 + 9"
//   solution: "7+5=12\n12-3=9\n9+9=18\nThe answer is \boxed{18}."
//
// Why this shape: each step is easy but not certain for a tiny model, and a slip anywhere changes the final
// answer to some other value. Wrong answers scatter over many values while the right one is a single value,
// so the majority vote is right more often than one sample (maj@N > pass@1): the gap TTRL learns from.
// Levels set the number of terms; a seed makes every problem set reproducible.
import { Rng } from '../util/rng.js';

export interface TaskProblem {
  id: string;
  prompt: string;
  answer: string;
  solution: string;
  level: number;
}

export interface TaskLevel {
  terms: number;      // numbers in the sum
  maxTerm: number;    // each term in [1, maxTerm]
  minusShare: number; // chance that a term (after the first) is subtracted
}

/** Difficulty levels: more terms and larger numbers. */
export const LEVELS: Record<number, TaskLevel> = {
  1: { terms: 3, maxTerm: 9, minusShare: 0.3 },
  2: { terms: 4, maxTerm: 9, minusShare: 0.35 },
  3: { terms: 5, maxTerm: 9, minusShare: 0.4 },
  4: { terms: 6, maxTerm: 19, minusShare: 0.4 },
  5: { terms: 8, maxTerm: 19, minusShare: 0.45 },
};

/** One problem of a level, determined by (seed, index). */
export function makeProblem(level: number, seed: number, index: number): TaskProblem {
  const L = LEVELS[level];
  if (!L) throw new Error(`unknown task level ${level} (levels: ${Object.keys(LEVELS).join(', ')})`);
  const rng = new Rng(seed, 0xd3, level, index);
  const terms: number[] = [], signs: string[] = [];
  let total = 0;
  for (let i = 0; i < L.terms; i++) {
    const x = 1 + rng.int(L.maxTerm);
    const minus = i > 0 && rng.next() < L.minusShare && total - x >= 0;  // keep running totals ≥ 0
    terms.push(x);
    signs.push(i === 0 ? '' : minus ? '-' : '+');
    total += minus ? -x : x;
  }
  const expr = terms.map((x, i) => (i === 0 ? `${x}` : ` ${signs[i]} ${x}`)).join('');
  const steps: string[] = [];
  let acc = terms[0]!;
  for (let i = 1; i < terms.length; i++) {
    const next = signs[i] === '-' ? acc - terms[i]! : acc + terms[i]!;
    steps.push(`${acc}${signs[i]}${terms[i]}=${next}`);
    acc = next;
  }
  return {
    id: `L${level}-${seed}-${index}`,
    prompt: `Add up: ${expr}`,
    answer: String(acc),
    solution: `${steps.join('\n')}\nThe answer is \\boxed{${acc}}.`,
    level,
  };
}

/** n problems of the given levels (round-robin), reproducible from the seed. */
export function makeProblems(n: number, levels: number[], seed: number, offset = 0): TaskProblem[] {
  return Array.from({ length: n }, (_, i) => makeProblem(levels[i % levels.length]!, seed, offset + i));
}
