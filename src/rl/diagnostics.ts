// Step 3 of a TTRL step: how the step's rewards compare with the gold answers (TTRL §4: label accuracy,
// reward accuracy, the rollouts' pass@1 / maj@N / pass@N; URLVR: point-biserial correlation, pseudo-label
// accuracy). Logged, never used: nothing here reaches the reward, the selection or the update, and with no
// gold answers every value is null. Also the collapse signal, from label-free quantities only.
import { avgAtK, goldRewards, labelAccuracy, passAtK, rewardAccuracy } from '../grade/index.js';
import type { GroupResult } from './reward.js';
import type { Response } from './rollout.js';

export interface Diagnostics {
  label_acc: number | null;
  reward_acc: number | null;
  rollout_pass1: number | null;
  rollout_maj: number | null;
  rollout_passn: number | null;
  pb_corr: number | null;
  pseudo_label_acc: number | null;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Diagnostics over the prompts that have a gold answer (gold[p] undefined: prompt p is left out). */
export function goldDiagnostics(groups: readonly GroupResult[], gold: readonly (string | undefined)[]): Diagnostics {
  const known = groups.map((g, p) => ({ g, gold: gold[p] })).filter((x): x is { g: GroupResult; gold: string } => x.gold !== undefined);
  if (known.length === 0) {
    return { label_acc: null, reward_acc: null, rollout_pass1: null, rollout_maj: null, rollout_passn: null, pb_corr: null, pseudo_label_acc: null };
  }
  const golds = known.map((x) => x.gold);
  const correct = known.map(({ g, gold }) => goldRewards(g.answers, gold));
  // the majority label against gold is both label accuracy and the rollouts' maj@N
  const labelAcc = labelAccuracy(known.map((x) => x.g.label), golds);
  return {
    label_acc: labelAcc,
    // reward accuracy compares 0/1 rewards with 0/1 gold; a graded reward (certainty family, evol) has none
    reward_acc: known.every(({ g }) => g.rewards.every((r) => r === 0 || r === 1))
      ? mean(known.map(({ g }, p) => rewardAccuracy(g.rewards, correct[p]!))) : null,
    rollout_pass1: avgAtK(correct.map((row) => row.map((r) => r === 1))),
    rollout_maj: labelAcc,
    rollout_passn: mean(correct.map((row) => passAtK(row.length, row.filter((r) => r === 1).length, row.length))),
    pb_corr: pointBiserial(known.flatMap(({ g }) => g.rewards), correct.flat()),
    pseudo_label_acc: pseudoLabelAccuracy(known.map(({ g }) => g.rewards), correct),
  };
}

/**
 * Point-biserial correlation between a proxy reward and a binary gold reward (Pearson's r with the 0/1
 * variable, as scipy.stats.pointbiserialr). 0 when either side is constant (URLVR logs 0 when gold is).
 */
export function pointBiserial(proxy: readonly number[], gold: readonly number[]): number {
  const n = proxy.length;
  if (gold.length !== n) throw new Error(`pointBiserial: ${n} proxy rewards, ${gold.length} gold rewards`);
  if (n < 2) return 0;
  const mp = proxy.reduce((a, b) => a + b, 0) / n, mg = gold.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = proxy[i]! - mp, dy = gold[i]! - mg;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Pseudo-label accuracy (URLVR `compute_certainty_metrics`): per prompt, the gold reward of the response
 * with the highest proxy reward (the first on ties), averaged over prompts. groups: per prompt, its
 * responses' (proxy, gold) rewards.
 */
export function pseudoLabelAccuracy(proxy: readonly (readonly number[])[], gold: readonly (readonly number[])[]): number {
  if (!proxy.length) return 0;
  let hit = 0;
  proxy.forEach((ps, p) => {
    let best = 0;
    for (let j = 1; j < ps.length; j++) if (ps[j]! > ps[best]!) best = j;
    hit += ps.length ? gold[p]![best]! : 0;
  });
  return hit / proxy.length;
}

/** Token-weighted mean of a per-token statistic over every response (null when there are no tokens). */
export function tokenMean(responses: readonly Response[][], key: 'entropies' | 'certainties'): number | null {
  let s = 0, n = 0;
  for (const g of responses) for (const r of g) { for (const x of r[key]) s += x; n += r[key].length; }
  return n ? s / n : null;
}

/** The collapse signal's inputs of one step: rollout entropy, distinct answers and vote share (label-free). */
export function collapseInputsOf(responses: readonly Response[][], groups: readonly GroupResult[]): CollapseInputs {
  const m = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);
  return { entropy: tokenMean(responses, 'entropies') ?? 0, distinct: m(groups.map((g) => g.numClasses)), voteShare: m(groups.map((g) => g.voteShare)) };
}

/** The label-free quantities the collapse signal watches, one per step. */
export interface CollapseInputs {
  /** Mean rollout token entropy (nats). */
  entropy: number;
  /** Mean number of distinct answers per prompt. */
  distinct: number;
  /** Mean vote share of the winning answer. */
  voteShare: number;
}

export interface CollapseSettings {
  /** Steps that set the baseline (their mean); the signal cannot fire before the next step. */
  baselineSteps: number;
  /** Fires when entropy is below this fraction of its baseline... */
  entropyFrac: number;
  /** ...and distinct answers per prompt are below this fraction of their baseline (or at 1)... */
  distinctFrac: number;
  /** ...and the vote share is at least this (the proxy saturates: the group agrees). */
  minVoteShare: number;
}

export const COLLAPSE_DEFAULTS: CollapseSettings = { baselineSteps: 2, entropyFrac: 0.5, distinctFrac: 0.5, minVoteShare: 0.9 };

export interface CollapseState { fired: boolean; reason: string | null; entropyRatio: number | null; distinctRatio: number | null }

/**
 * The collapse signal at the last step of `history` (label-free only): rollout entropy and answer diversity
 * have both fallen to a fraction of their level over the first baselineSteps steps while the group's vote
 * share saturates. Sharpening that TTRL wants lowers entropy too; requiring the answers' diversity to fall
 * with it and the vote to saturate separates "the model is surer" from "every sample says the same thing".
 */
export function collapseSignal(history: readonly CollapseInputs[], s: CollapseSettings = COLLAPSE_DEFAULTS): CollapseState {
  const none: CollapseState = { fired: false, reason: null, entropyRatio: null, distinctRatio: null };
  if (history.length <= s.baselineSteps) return none;
  const base = history.slice(0, s.baselineSteps);
  const e0 = base.reduce((a, h) => a + h.entropy, 0) / base.length;
  const d0 = base.reduce((a, h) => a + h.distinct, 0) / base.length;
  const now = history[history.length - 1]!;
  const entropyRatio = e0 > 0 ? now.entropy / e0 : 1;
  const distinctRatio = d0 > 1 ? (now.distinct - 1) / (d0 - 1) : 1;  // diversity above the floor of one answer
  const fired = entropyRatio < s.entropyFrac && distinctRatio < s.distinctFrac && now.voteShare >= s.minVoteShare;
  const reason = fired
    ? `entropy at ${(100 * entropyRatio).toFixed(0)}% of its start, distinct answers down to ${now.distinct.toFixed(2)} per prompt, vote share ${now.voteShare.toFixed(2)}`
    : null;
  return { fired, reason, entropyRatio, distinctRatio };
}
