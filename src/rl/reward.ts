// Step 2 of a TTRL step: each prompt's responses → extracted answers → majority vote → one reward per
// response under reward.mode (the reward family: rewards.ts, evol.ts, verify.ts). Pure over its inputs.
// Gold answers reach this step only for a mode that declares `usesGold` (oracle, hybrid_gt); the trainer
// passes no gold to any other mode. Every mode still votes, for the logged metrics.
//
// Extending: a new reward mode (label-free or not) is a value of reward.mode in config.ts plus an entry in
// REWARD_MODES (a typed map, so a mode without an entry does not compile).
import { gradeGroup, isEquivalent } from '../grade/index.js';
import type { TrainConfig } from './config.js';
import type { Response } from './rollout.js';
import { certaintyReward, hybridGtRewards, type CertaintyMode } from './rewards.js';
import { evolRewards } from './evol.js';

export type RewardMode = TrainConfig['reward']['mode'];

/** One prompt's graded group. */
export interface GroupResult {
  answers: (string | null)[];
  label: string | null;
  rewards: number[];
  voteShare: number;
  numClasses: number;
  /** Whether the prompt trains this step (min_vote_share safeguard). */
  used: boolean;
}

export interface RewardOptions {
  /** Skip a prompt whose winning answer has a smaller vote share (0 = off). */
  minVoteShare: number;
  /** Multiple-choice answers (letters). */
  choices?: boolean;
}

/** One prompt's group as a mode's grader sees it. */
export interface GroupInput {
  responses: readonly Response[];
  /** self_verify: the policy's verdict (0/1) on each response. */
  verdicts?: readonly number[];
  /** evol: an embedding of each response. */
  embeddings?: readonly ArrayLike<number>[];
}

/** What a mode needs computed by the policy besides the rollout (judge.ts). */
export type RewardNeeds = 'verdicts' | 'embeddings';

export type RewardModeSpec =
  | { usesGold: false; trains: boolean; needs?: RewardNeeds; group: (g: GroupInput, o: RewardOptions) => GroupResult }
  | { usesGold: true; trains: boolean; needs?: undefined; group: (g: GroupInput, o: RewardOptions, gold: string) => GroupResult };

/** TTRL: reward 1 where the answer is equivalent to the majority label. */
function voteGroup(g0: GroupInput, o: RewardOptions): GroupResult {
  const g = gradeGroup(g0.responses.map((r) => r.text), { choices: o.choices });
  return { answers: g.answers, label: g.label, rewards: g.rewards, voteShare: g.voteShare, numClasses: g.numClasses,
    used: g.voteShare >= o.minVoteShare };
}

const goldRewardsOf = (g: GroupResult, gold: string, o: RewardOptions): number[] =>
  g.answers.map((a) => (a !== null && isEquivalent(a, gold, { choices: o.choices }).equal ? 1 : 0));

/** Oracle RL: reward 1 where the answer is equivalent to the gold label; every prompt trains. */
function goldGroup(g0: GroupInput, o: RewardOptions, gold: string): GroupResult {
  const g = voteGroup(g0, o);
  return { ...g, rewards: goldRewardsOf(g, gold, o), used: true };
}

/** hybrid_gt: the gold rewards, or the majority's where no response is correct (rewards.ts). */
function hybridGroup(g0: GroupInput, o: RewardOptions, gold: string): GroupResult {
  const g = voteGroup(g0, o);
  return { ...g, rewards: hybridGtRewards(goldRewardsOf(g, gold, o), g.rewards, g.answers.map((a) => a !== null)), used: true };
}

/** A certainty-family mode: each response's reward from its own token statistics; every prompt trains. */
const certaintyGroup = (mode: CertaintyMode) => (g0: GroupInput, o: RewardOptions): GroupResult =>
  ({ ...voteGroup(g0, o), rewards: g0.responses.map((r) => certaintyReward(mode, r)), used: true });

function verifyGroup(g0: GroupInput, o: RewardOptions): GroupResult {
  if (!g0.verdicts) throw new Error('reward.mode=self_verify needs the policy\'s verdicts');
  return { ...voteGroup(g0, o), rewards: g0.verdicts.slice(), used: true };
}

/** EVOL-RL: the majority band ranked by novelty; min_vote_share applies as to ttrl. */
function evolGroup(g0: GroupInput, o: RewardOptions): GroupResult {
  if (!g0.embeddings) throw new Error('reward.mode=evol needs response embeddings');
  const g = voteGroup(g0, o);
  return { ...g, rewards: evolRewards(g.answers.map((a, i) => (a === null ? null : g.rewards[i]! > 0)), g0.embeddings) };
}

/** Every reward mode: whether it reads gold answers, whether the run updates the policy, and its grader. */
export const REWARD_MODES: Record<RewardMode, RewardModeSpec> = {
  ttrl: { usesGold: false, trains: true, group: voteGroup },
  oracle: { usesGold: true, trains: true, group: goldGroup },
  // the baseline: responses are still voted (the logged metrics), nothing trains
  none: { usesGold: false, trains: false, group: voteGroup },
  self_certainty: { usesGold: false, trains: true, group: certaintyGroup('self_certainty') },
  token_level_entropy: { usesGold: false, trains: true, group: certaintyGroup('token_level_entropy') },
  trajectory_level_entropy: { usesGold: false, trains: true, group: certaintyGroup('trajectory_level_entropy') },
  probability: { usesGold: false, trains: true, group: certaintyGroup('probability') },
  self_verify: { usesGold: false, trains: true, needs: 'verdicts', group: verifyGroup },
  evol: { usesGold: false, trains: true, needs: 'embeddings', group: evolGroup },
  hybrid_gt: { usesGold: true, trains: true, group: hybridGroup },
};

/** Per prompt, what the policy computed for a mode with `needs` (judge.ts). */
export interface RewardExtras { verdicts?: number[][]; embeddings?: ArrayLike<number>[][] }

/**
 * Rewards of one step. `goldOf` gives prompt p's gold answer (p indexes `responses`); the trainer passes it
 * only when REWARD_MODES[mode].usesGold, and a gold mode without it is an error.
 */
export function rewardStep(responses: readonly Response[][], mode: RewardMode, o: RewardOptions,
                           goldOf: ((p: number) => string) | null, extras: RewardExtras = {}): GroupResult[] {
  const spec = REWARD_MODES[mode];
  return responses.map((group, p) => {
    const g: GroupInput = { responses: group, verdicts: extras.verdicts?.[p], embeddings: extras.embeddings?.[p] };
    if (!spec.usesGold) return spec.group(g, o);
    if (!goldOf) throw new Error(`reward.mode=${mode} needs gold answers`);
    return spec.group(g, o, goldOf(p));
  });
}
