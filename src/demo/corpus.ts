// The pretraining corpus of the demo's base model: worked solutions that sometimes slip, and answers
// stated at once.
//
// Why slips. A model pretrained only on perfect solutions makes mostly *systematic* errors: it learns a
// wrong carry for some pairs of numbers and repeats it in every sample, so its majority vote is wrong
// exactly where its single samples are, and maj@N gains little over pass@1. TTRL has nothing to learn
// from then. Worked solutions written by people (and by larger models) are not
// perfect either: now and then a carry is dropped or a result is off by one, and the rest of the solution
// carries on from the wrong value. A model trained on such text learns to slip at a similar rate, at random,
// in any step, so its wrong answers scatter over several values while the right answer stays the most
// common one: maj@N well above pass@1, the gap TTRL feeds on. Eval and TTRL never see these texts: they
// use the clean problems of task.ts, and only the final answer is graded.
//
// Why answers at once. With worked solutions only, the base's greedy answer is right on nearly every test
// problem (each step's most likely result is the right one), so a TTRL gain there is only sharpening toward
// an argmax that was already right. Text also often states a result without the work, and a tiny model
// cannot add five numbers in one go. A corpus where most texts answer at once teaches the model to start that
// way: its first token prefers "Answer" by a small margin, and greedy decoding follows it into a guess that
// is usually wrong. The rest of its samples work the sum out and agree, so the vote is still mostly right.
// A reward for agreeing with the vote pays the worked solutions; the model learns to work sums out and its
// greedy answer follows.
import { Rng } from '../util/rng.js';
import { solveSteps, solutionText, type StepWriter, type TaskProblem } from './task.js';

export interface SlipConfig {
  /** Chance that a step's written result is wrong. */
  rate: number;
  /** Of the slips in a step that has a carry (or borrow), the share that drops it; the rest are ±1. */
  carryShare: number;
  /** Share of texts that skip the work and state an answer at once ("Answer: \boxed{N}"). */
  directShare?: number;
  /** Chance that such an at-once answer is off (by 1 to 3, either way). */
  directError?: number;
}

/** Whether acc ± term carries (units sum ≥ 10) or borrows (units of acc < units of term). */
export function hasCarry(acc: number, sign: number, term: number): boolean {
  return sign > 0 ? (acc % 10) + (term % 10) >= 10 : (acc % 10) < (term % 10);
}

/**
 * A step writer that slips with probability `rate`: a dropped carry (the result off by 10 in the
 * direction of forgetting it) or a result off by 1 or 2 either way. Several kinds of slip, each as likely
 * in either direction, so that the wrong answers of one problem scatter over several values instead of
 * piling up on one. Results never go below 0.
 */
export function slippingWriter(rng: Rng, slip: SlipConfig): StepWriter {
  return (acc, sign, term) => {
    const exact = acc + sign * term;
    if (rng.next() >= slip.rate) return exact;
    if (hasCarry(acc, sign, term) && rng.next() < slip.carryShare) return exact - sign * 10;
    const off = [-2, -1, 1, 2][rng.int(4)]!;
    return exact + off >= 0 ? exact + off : exact - off;
  };
}

/**
 * A worked solution of `p` as the corpus writes it. A slip can push a later running total below 0 (the
 * task's numbers never go negative), so such a draw is rejected and redrawn; after 20 tries (which needs a
 * slip rate near 1) the clean solution is used.
 */
export function corpusSolution(p: TaskProblem, slip: SlipConfig, rng: Rng): string {
  if (slip.directShare && rng.next() < slip.directShare) return directAnswer(p, slip.directError ?? 0, rng);
  for (let attempt = 0; attempt < 20; attempt++) {
    const steps = solveSteps(p.terms, p.signs, slippingWriter(rng, slip));
    if (steps.every((s) => s.result >= 0)) return solutionText(p.terms[0]!, steps);
  }
  return p.solution;
}

/** An answer stated at once, off by 1 to 3 (either way, never below 0) with probability `error`. */
export function directAnswer(p: TaskProblem, error: number, rng: Rng): string {
  const exact = Number(p.answer);
  let value = exact;
  if (rng.next() < error) {
    const off = [-3, -2, -1, 1, 2, 3][rng.int(6)]!;
    value = exact + off >= 0 ? exact + off : exact - off;
  }
  return `Answer: \\boxed{${value}}`;
}
