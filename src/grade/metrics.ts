// Evaluation metrics of the TTRL paper (pass@1 as avg@k, maj@N, best@k) and its per-step diagnostics
// (label and reward accuracy, §4), used by rl/evaluate.ts and rl/diagnostics.ts. Pure functions over plain
// arrays; gold answers appear only here and in evaluation, never in rewards.
import { isEquivalent, type EquivalenceOptions } from './equivalence.js';

/**
 * Unbiased pass@k from n samples of which c are correct (Chen et al. 2021, "Evaluating Large Language
 * Models Trained on Code", arXiv 2107.03374, eq. 1): 1 - C(n-c, k) / C(n, k), computed as a product so
 * it never forms a binomial coefficient (no overflow at n = 64, k = 32).
 * Edge cases: k > n throws (the estimator is undefined); c = 0 → 0; n - c < k → 1.
 */
export function passAtK(n: number, c: number, k: number): number {
  if (!(Number.isInteger(n) && Number.isInteger(c) && Number.isInteger(k)) || n < 0 || c < 0 || c > n || k < 1) {
    throw new RangeError(`passAtK: need integers n >= c >= 0 and k >= 1, got n=${n} c=${c} k=${k}`);
  }
  if (k > n) throw new RangeError(`passAtK: k=${k} > n=${n} samples`);
  if (n - c < k) return 1;
  // C(n-c, k) / C(n, k) two ways; use the one with fewer factors (min(c, k)) for the least rounding.
  let allWrong = 1;
  if (k <= c) for (let i = 0; i < k; i++) allWrong *= (n - c - i) / (n - i);
  else for (let i = n - c + 1; i <= n; i++) allWrong *= 1 - k / i;
  return 1 - allWrong;
}

/**
 * pass@1 estimated as avg@k: the mean correctness of k samples per problem, averaged over problems
 * (the paper's pass@1 = avg@16). correct: (problems, k samples). Problems with no samples are skipped;
 * no problems → NaN.
 */
export function avgAtK(correct: readonly (readonly boolean[])[]): number {
  let sum = 0, n = 0;
  for (const row of correct) {
    if (row.length === 0) continue;
    sum += row.filter(Boolean).length / row.length;
    n++;
  }
  return n === 0 ? NaN : sum / n;
}

/**
 * Label accuracy: the share of estimated labels (majority answers, null when no sample voted) that are
 * equivalent to the gold answers. On the rollouts this is maj@N of the rollouts. No labels → NaN.
 */
export function labelAccuracy(labels: readonly (string | null)[], golds: readonly string[], opts: EquivalenceOptions = {}): number {
  if (labels.length !== golds.length) throw new RangeError(`labelAccuracy: ${labels.length} labels but ${golds.length} gold answers`);
  if (labels.length === 0) return NaN;
  return labels.filter((l, i) => l !== null && isEquivalent(l, golds[i]!, opts).equal).length / labels.length;
}

/** The rewards a gold label would give: 1 where the answer is equivalent to the gold, else 0. */
export function goldRewards(answers: readonly (string | null)[], gold: string, opts: EquivalenceOptions = {}): number[] {
  return answers.map((a) => (a !== null && isEquivalent(a, gold, opts).equal ? 1 : 0));
}

/**
 * Reward accuracy: the share of samples whose majority-based reward equals the reward the gold label
 * would give (TTRL §4: a wrong label still gives correct 0s to answers that differ from both).
 * Rewards are compared exactly. Empty → NaN.
 */
export function rewardAccuracy(rewards: readonly number[], goldRewardsOf: readonly number[]): number {
  if (rewards.length !== goldRewardsOf.length) throw new RangeError(`rewardAccuracy: ${rewards.length} rewards but ${goldRewardsOf.length} gold rewards`);
  if (rewards.length === 0) return NaN;
  let same = 0;
  for (let i = 0; i < rewards.length; i++) if (rewards[i] === goldRewardsOf[i]) same++;
  return same / rewards.length;
}
