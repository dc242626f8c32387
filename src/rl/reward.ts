// Step 2 of a TTRL step: each prompt's responses → extracted answers → majority vote → one reward per
// response. Pure over its inputs. Gold answers reach this step only for a mode that declares `usesGold`
// (oracle, the upper bound); the trainer passes no gold to any other mode.
//
// Extending: a new reward mode (label-free or not) is a value of reward.mode in config.ts plus an entry in
// REWARD_MODES (a typed map, so a mode without an entry does not compile).
import { gradeGroup, isEquivalent } from '../grade/index.js';
import type { TrainConfig } from './config.js';
import type { Response } from './rollout.js';

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

export type RewardModeSpec =
  | { usesGold: false; trains: boolean; group: (texts: string[], o: RewardOptions) => GroupResult }
  | { usesGold: true; trains: boolean; group: (texts: string[], o: RewardOptions, gold: string) => GroupResult };

/** TTRL: reward 1 where the answer is equivalent to the majority label. */
function voteGroup(texts: string[], o: RewardOptions): GroupResult {
  const g = gradeGroup(texts, { choices: o.choices });
  return { answers: g.answers, label: g.label, rewards: g.rewards, voteShare: g.voteShare, numClasses: g.numClasses,
    used: g.voteShare >= o.minVoteShare };
}

/** Oracle RL: reward 1 where the answer is equivalent to the gold label; every prompt trains. */
function goldGroup(texts: string[], o: RewardOptions, gold: string): GroupResult {
  const g = voteGroup(texts, o);
  const rewards = g.answers.map((a) => (a !== null && isEquivalent(a, gold, { choices: o.choices }).equal ? 1 : 0));
  return { ...g, rewards, used: true };
}

/** Every reward mode: whether it reads gold answers, whether the run updates the policy, and its grader. */
export const REWARD_MODES: Record<RewardMode, RewardModeSpec> = {
  ttrl: { usesGold: false, trains: true, group: voteGroup },
  oracle: { usesGold: true, trains: true, group: goldGroup },
  // the baseline: responses are still voted (the logged metrics), nothing trains
  none: { usesGold: false, trains: false, group: voteGroup },
};

/**
 * Rewards of one step. `goldOf` gives prompt p's gold answer (p indexes `responses`); the trainer passes it
 * only when REWARD_MODES[mode].usesGold, and a gold mode without it is an error.
 */
export function rewardStep(responses: readonly Response[][], mode: RewardMode, o: RewardOptions,
                           goldOf: ((p: number) => string) | null): GroupResult[] {
  const spec = REWARD_MODES[mode];
  return responses.map((group, p) => {
    const texts = group.map((r) => r.text);
    if (!spec.usesGold) return spec.group(texts, o);
    if (!goldOf) throw new Error(`reward.mode=${mode} needs gold answers`);
    return spec.group(texts, o, goldOf(p));
  });
}
