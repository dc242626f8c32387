// The reward step of a training step for every reward.mode, and the step's reward diagnostics.
// Gold answers enter the rewards only for the label-using modes (oracle, hybrid_gt); for every other mode
// they are read by stepDiagnostics alone, after the rewards are fixed.
import { isEquivalent } from '../grade/index.js';
import { CERTAINTY_MODES, LABEL_USING_MODES, certaintyReward, type CertaintyMode, type RewardMode } from './rewards.js';
import { pointBiserial, pseudoLabelAccuracy } from './diagnostics.js';
import { rewardGroup, type GroupResult, type Response, type RewardSource } from './step.js';

export interface RewardStepInputs {
  mode: RewardMode;
  /** responses[p][j]: prompt p's j-th response. */
  responses: readonly Response[][];
  /** Gold answer of prompt p; called only for a label-using mode. */
  goldOf: (p: number) => string | undefined;
  minVoteShare: number;
  /** self_verify: the policy's verdicts (0/1) per response. */
  verify?: () => number[][];
  /** evol: an embedding per response. */
  embed?: () => ArrayLike<number>[][];
}

/** Rewards and vote of every prompt's group under inp.mode. */
export function rewardStep(inp: RewardStepInputs): GroupResult[] {
  const { mode, responses } = inp;
  const sources: RewardSource[] = responses.map(() => ({ kind: 'ttrl' }));
  if (LABEL_USING_MODES.includes(mode)) {
    responses.forEach((_, p) => {
      const gold = inp.goldOf(p);
      if (gold === undefined) throw new Error(`reward.mode=${mode} uses labels, but prompt ${p} has no gold answer`);
      sources[p] = mode === 'oracle' ? { kind: 'oracle', gold } : { kind: 'hybrid_gt', gold };
    });
  } else if (CERTAINTY_MODES.includes(mode)) {
    responses.forEach((g, p) => { sources[p] = { kind: 'scores', scores: g.map((r) => certaintyReward(mode as CertaintyMode, r)) }; });
  } else if (mode === 'self_verify') {
    if (!inp.verify) throw new Error('reward.mode=self_verify needs a judge');
    inp.verify().forEach((v, p) => { sources[p] = { kind: 'scores', scores: v }; });
  } else if (mode === 'evol') {
    if (!inp.embed) throw new Error('reward.mode=evol needs embeddings');
    inp.embed().forEach((e, p) => { sources[p] = { kind: 'evol', embeddings: e }; });
  }
  return responses.map((g, p) => rewardGroup(g.map((r) => r.text), sources[p]!, inp.minVoteShare));
}

const mean = (xs: readonly number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** Token-weighted mean of a per-token statistic over all responses (null when there are no tokens). */
function tokenMean(responses: readonly Response[][], key: 'entropies' | 'certainties'): number | null {
  let s = 0, n = 0;
  for (const g of responses) for (const r of g) { for (const x of r[key]) s += x; n += r[key].length; }
  return n ? s / n : null;
}

/**
 * The step's reward diagnostics. Label-free: vote share, distinct answers per prompt, rollout token entropy
 * and self-certainty, response length. With gold (diagnostics only): pseudo-label accuracy (the majority
 * label is correct), reward accuracy (proxy = gold, for 0/1 rewards), rollout pass@1 / maj / pass@n, the
 * point-biserial correlation of proxy and gold rewards, and the gold reward of each prompt's top-proxy response.
 */
export function stepDiagnostics(groups: readonly GroupResult[], responses: readonly Response[][],
                                goldOf: (p: number) => string | undefined): Record<string, number | null> {
  const label: number[] = [], rewardAcc: number[] = [], pass1: number[] = [], passn: number[] = [];
  const proxyAll: number[] = [], goldAll: number[] = [], proxyBy: number[][] = [], goldBy: number[][] = [];
  const binary = groups.every((g) => g.rewards.every((r) => r === 0 || r === 1));
  groups.forEach((g, p) => {
    const gold = goldOf(p);
    if (gold === undefined) return;
    const goldR = g.answers.map((a) => (a !== null && isEquivalent(a, gold).equal ? 1 : 0));
    label.push(g.label !== null && isEquivalent(g.label, gold).equal ? 1 : 0);
    if (binary) rewardAcc.push(mean(goldR.map((r, j) => (r === g.rewards[j] ? 1 : 0))));
    pass1.push(mean(goldR));
    passn.push(goldR.some((r) => r === 1) ? 1 : 0);
    proxyAll.push(...g.rewards); goldAll.push(...goldR); proxyBy.push(g.rewards); goldBy.push(goldR);
  });
  const all = responses.flat(), known = label.length > 0;
  return {
    reward_mean: mean(groups.flatMap((g) => g.rewards)),
    label_acc: known ? mean(label) : null,
    reward_acc: known && binary ? mean(rewardAcc) : null,
    rollout_pass1: known ? mean(pass1) : null,
    rollout_maj: known ? mean(label) : null,
    rollout_passn: known ? mean(passn) : null,
    pb_corr: known ? pointBiserial(proxyAll, goldAll) : null,
    pseudo_label_acc: known ? pseudoLabelAccuracy(proxyBy, goldBy) : null,
    vote_share: mean(groups.map((g) => g.voteShare)),
    num_classes: mean(groups.map((g) => g.numClasses)),
    no_answer_frac: mean(groups.flatMap((g) => g.answers.map((a) => (a === null ? 1 : 0)))),
    prompts_used: groups.filter((g) => g.used).length,
    rollout_entropy: tokenMean(responses, 'entropies'),
    self_certainty: tokenMean(responses, 'certainties'),
    resp_len_mean: all.reduce((a, r) => a + r.ids.length, 0) / Math.max(1, all.length),
    resp_len_max: Math.max(0, ...all.map((r) => r.ids.length)),
    truncated_frac: mean(all.map((r) => (r.truncated ? 1 : 0))),
  };
}
