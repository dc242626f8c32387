// The label-free half of one TTRL step: sampled responses → extracted answers → majority vote → 0/1 rewards
// → the n_train kept responses with their GRPO advantages. Pure over its inputs; no gold answer enters here
// except through the explicit `oracle` reward source.
import { gradeGroup, isEquivalent } from '../grade/index.js';
import { grpoAdvantages, type AdvantageOptions } from './advantage.js';
import { hybridGtRewards } from './rewards.js';
import { evolRewards } from './evol.js';
import type { TrainSample } from './update.js';
import { Rng } from '../util/rng.js';

/** A sampled response with the sampler's per-token statistics (each (ids.length), at the rollout temperature). */
export interface Response { ids: number[]; text: string; logprobs: number[]; entropies: number[]; certainties: number[]; truncated: boolean }

export interface GroupResult {
  answers: (string | null)[];
  label: string | null;
  rewards: number[];
  voteShare: number;
  numClasses: number;
  /** Whether the prompt trains this step (min_vote_share safeguard). */
  used: boolean;
}

/**
 * How rewards are decided: the majority label (TTRL); a given label (oracle RL, the upper bound; hybrid_gt,
 * gold unless no response is correct); per-response scores computed elsewhere (certainty family,
 * self_verify); or EVOL-RL's majority band ranked by novelty over the given embeddings.
 */
export type RewardSource = { kind: 'ttrl' } | { kind: 'oracle'; gold: string } | { kind: 'hybrid_gt'; gold: string }
  | { kind: 'scores'; scores: number[] } | { kind: 'evol'; embeddings: ArrayLike<number>[] };

export function rewardGroup(texts: string[], source: RewardSource, minVoteShare: number, choices = false): GroupResult {
  const g = gradeGroup(texts, { choices });
  const goldOf = (gold: string): number[] => g.answers.map((a) => (a !== null && isEquivalent(a, gold, { choices }).equal ? 1 : 0));
  let rewards = g.rewards;
  if (source.kind === 'oracle') rewards = goldOf(source.gold);
  else if (source.kind === 'hybrid_gt') rewards = hybridGtRewards(goldOf(source.gold), g.rewards, g.answers.map((a) => a !== null));
  else if (source.kind === 'scores') rewards = source.scores.slice();
  else if (source.kind === 'evol') rewards = evolRewards(g.answers.map((a, i) => (a === null ? null : g.rewards[i]! > 0)), source.embeddings);
  // min_vote_share gates the vote-based modes only
  const used = !(source.kind === 'ttrl' || source.kind === 'evol') || g.voteShare >= minVoteShare;
  return { answers: g.answers, label: g.label, rewards, voteShare: g.voteShare, numClasses: g.numClasses, used };
}

/** Indices of the n_train responses kept for the update: the first ones (the paper) or a seeded random subset. */
export function selectForTraining(nVotes: number, nTrain: number, how: 'first' | 'random', rng: Rng): number[] {
  const idx = Array.from({ length: nVotes }, (_, i) => i);
  if (how === 'first') return idx.slice(0, nTrain);
  return rng.shuffle(idx).slice(0, nTrain).sort((a, b) => a - b);
}

/** Training samples of one step: kept responses of the used prompts with GRPO advantages per prompt group. */
export function buildTrainSamples(promptIds: number[][], responses: Response[][], groups: GroupResult[], keep: number[][],
                                  advOpts: AdvantageOptions, eps: number): TrainSample[] {
  const scores: number[] = [], gid: number[] = [], picked: [number, number][] = [];
  groups.forEach((g, p) => {
    if (!g.used) return;
    for (const j of keep[p]!) { scores.push(g.rewards[j]!); gid.push(p); picked.push([p, j]); }
  });
  const adv = grpoAdvantages(scores, gid, eps, advOpts);
  return picked.map(([p, j], i) => ({
    promptIds: promptIds[p]!, respIds: responses[p]![j]!.ids, oldLogp: responses[p]![j]!.logprobs, advantage: adv[i]!,
  }));
}
