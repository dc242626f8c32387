// Step 3 of a TTRL step: how the label-free step compares with the gold answers (TTRL §4: label accuracy,
// reward accuracy, the rollouts' pass@1 / maj@N / pass@N). Logged, never used: nothing here reaches the
// reward, the selection or the update, and with no gold answers every value is null.
import { avgAtK, goldRewards, labelAccuracy, passAtK, rewardAccuracy } from '../grade/index.js';
import type { GroupResult } from './reward.js';

export interface Diagnostics {
  label_acc: number | null;
  reward_acc: number | null;
  rollout_pass1: number | null;
  rollout_maj: number | null;
  rollout_passn: number | null;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Diagnostics over the prompts that have a gold answer (gold[p] undefined: prompt p is left out). */
export function goldDiagnostics(groups: readonly GroupResult[], gold: readonly (string | undefined)[]): Diagnostics {
  const known = groups.map((g, p) => ({ g, gold: gold[p] })).filter((x): x is { g: GroupResult; gold: string } => x.gold !== undefined);
  if (known.length === 0) return { label_acc: null, reward_acc: null, rollout_pass1: null, rollout_maj: null, rollout_passn: null };
  const golds = known.map((x) => x.gold);
  const correct = known.map(({ g, gold }) => goldRewards(g.answers, gold));
  // the majority label against gold is both label accuracy and the rollouts' maj@N
  const labelAcc = labelAccuracy(known.map((x) => x.g.label), golds);
  return {
    label_acc: labelAcc,
    reward_acc: mean(known.map(({ g }, p) => rewardAccuracy(g.rewards, correct[p]!))),
    rollout_pass1: avgAtK(correct.map((row) => row.map((r) => r === 1))),
    rollout_maj: labelAcc,
    rollout_passn: mean(correct.map((row) => passAtK(row.length, row.filter((r) => r === 1).length, row.length))),
  };
}
