// The reward family (`reward.mode`): one small pure function per mode over plain arrays; reward.ts maps
// each mode to its grader.
//
// Label-free: ttrl (majority vote, in step.ts through the grader), self_certainty, token_level_entropy,
// trajectory_level_entropy, probability (TTRL's URLVR extension, `ttrl_utils.compute_certainty_reward`),
// self_verify (the policy judges its own responses), evol (EVOL-RL: majority plus novelty).
// Label-using: oracle (gold) and hybrid_gt (gold, else the majority), marked as such everywhere.
//
// Per-token inputs come from the sampler (sample/kernel.ts), computed on logits / T at the rollout
// temperature T over the full vocabulary, over every generated token including a final EOS: verl's
// compute_log_prob divides the logits by the rollout temperature and masks with the response mask.
// See docs/rl.md.

export const REWARD_MODE_NAMES = [
  'ttrl', 'oracle', 'none', 'self_certainty', 'token_level_entropy', 'trajectory_level_entropy', 'probability',
  'self_verify', 'evol', 'hybrid_gt',
] as const;
export type RewardMode = (typeof REWARD_MODE_NAMES)[number];

/** One line per mode, for `ttrl train --help` and the config schema. */
export const REWARD_MODE_HELP: Record<RewardMode, string> = {
  ttrl: 'majority-vote label; reward 1 if the answer matches it [TTRL]',
  oracle: 'gold label (USES LABELS; the upper bound)',
  none: 'no updates (the baseline)',
  self_certainty: 'mean over tokens of KL(U || p_t) = logsumexp(z) - mean(z) - log V [Intuitor]',
  token_level_entropy: 'minus the mean token entropy [EM-RL, RENT]',
  trajectory_level_entropy: 'mean token log-prob of the response [EM-RL]',
  probability: 'exp(sum of token log-probs) [URLVR]',
  self_verify: 'the policy judges each response (reward.verify_template); \\boxed{True} = 1, else 0 [URLVR]',
  evol: 'majority band [0.5, 1] / [-1, -0.5] ranked by novelty (policy hidden-state embeddings); no answer -1 [EVOL-RL]',
  hybrid_gt: 'gold reward, or the majority vote when no response is correct (USES LABELS) [URLVR]',
};

/** Per-response token statistics from the sampler, each (tokens). */
export interface TokenStats {
  logprobs: ArrayLike<number>;
  entropies: ArrayLike<number>;
  certainties: ArrayLike<number>;
}

/** Modes whose reward is a function of one response's token statistics. */
export type CertaintyMode = 'self_certainty' | 'token_level_entropy' | 'trajectory_level_entropy' | 'probability';

/** Σ x / n, and 0 for an empty response (verl's masked_mean of an all-zero mask is 0 / (0 + eps) = 0). */
function tokenMean(x: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]!;
  return x.length ? s / x.length : 0;
}

/** self_certainty: mean_t KL(U ‖ p_t) (Intuitor). */
export function selfCertaintyReward(certainties: ArrayLike<number>): number { return tokenMean(certainties); }

/** token_level_entropy: −mean_t H(p_t) (EM-RL's token-level entropy minimisation, RENT). */
export function tokenEntropyReward(entropies: ArrayLike<number>): number { return -tokenMean(entropies); }

/** trajectory_level_entropy: mean_t log p(y_t) (EM-RL's trajectory-level entropy, length-normalised as URLVR). */
export function trajectoryEntropyReward(logprobs: ArrayLike<number>): number { return tokenMean(logprobs); }

/** probability: exp(Σ_t log p(y_t)), the response's probability (URLVR). */
export function probabilityReward(logprobs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < logprobs.length; i++) s += logprobs[i]!;
  return Math.exp(s);
}

/** The certainty-family reward of one response. */
export function certaintyReward(mode: CertaintyMode, t: TokenStats): number {
  switch (mode) {
    case 'self_certainty': return selfCertaintyReward(t.certainties);
    case 'token_level_entropy': return tokenEntropyReward(t.entropies);
    case 'trajectory_level_entropy': return trajectoryEntropyReward(t.logprobs);
    case 'probability': return probabilityReward(t.logprobs);
  }
}

/**
 * hybrid_gt (label-using): the gold rewards when some response is correct; otherwise, if some response has
 * an answer, the majority-vote rewards (URLVR `apply_hybrid_gt`); otherwise the (all-zero) gold rewards.
 */
export function hybridGtRewards(goldRewards: readonly number[], majorityRewards: readonly number[], answered: readonly boolean[]): number[] {
  if (goldRewards.some((r) => r > 0) || !answered.some(Boolean)) return goldRewards.slice();
  return majorityRewards.slice();
}
