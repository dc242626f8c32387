// Step 4 of a TTRL step: keep n_train responses per prompt, GRPO advantages per prompt group, and the
// policy update (mini-batches of optim.mini_batch responses, algorithm.ppo_epochs passes).
import type { Model } from '../model/model.js';
import type { Optimizer } from '../train/optim.js';
import { Rng } from '../util/rng.js';
import { grpoAdvantages, type AdvantageOptions } from './advantage.js';
import type { RunPlan } from './plan.js';
import type { GroupResult } from './reward.js';
import type { Response } from './rollout.js';
import { policyUpdate, type TrainSample, type UpdateStats } from './update.js';

/** Seed-tuple tag of the n_train selection stream. */
const SELECT_STREAM = 0x5e1;

/** Indices of the n_train responses kept for the update: the first ones (the paper) or a seeded random subset. */
export function selectForTraining(nVotes: number, nTrain: number, how: 'first' | 'random', rng: Rng): number[] {
  const idx = Array.from({ length: nVotes }, (_, i) => i);
  if (how === 'first') return idx.slice(0, nTrain);
  return rng.shuffle(idx).slice(0, nTrain).sort((a, b) => a - b);
}

/** Training samples of one step: kept responses of the used prompts with GRPO advantages per prompt group. */
export function buildTrainSamples(promptIds: number[][], responses: readonly Response[][], groups: readonly GroupResult[],
                                  keep: number[][], advOpts: AdvantageOptions, eps: number): TrainSample[] {
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

/** The responses of prompt `i` that step `step`'s update keeps (indices into its nVotes responses). */
export function keptIndices(plan: RunPlan, step: number, i: number): number[] {
  const { nVotes, nTrain, select } = plan.rollout;
  return selectForTraining(nVotes, nTrain, select, new Rng(plan.seed, step, i, SELECT_STREAM));
}

export interface Learner { policy: Model; ref: Model | null; opt: Optimizer }

/**
 * The update of step `step` (1-based) over the batch's prompts `indices` (their ids in `promptIds`) at
 * learning rate `lr`. null when nothing trains: a mode without updates, or no prompt passed the vote-share
 * safeguard.
 */
export async function learnStep(l: Learner, promptIds: readonly number[][], indices: readonly number[], responses: readonly Response[][],
                          groups: readonly GroupResult[], plan: RunPlan, step: number, lr: number): Promise<UpdateStats | null> {
  if (!plan.reward.trains) return null;
  // adaptive voting may stop a prompt before all its votes: only drawn responses can be kept
  const keep = indices.map((i, p) => keptIndices(plan, step, i).filter((j) => j < responses[p]!.length));
  const samples = buildTrainSamples(indices.map((i) => promptIds[i]!), responses, groups, keep, plan.advantage.options, plan.advantage.eps);
  if (!samples.length) return null;
  l.policy.freeScratch();  // the rollout's scratch is not needed while training
  const stats = await policyUpdate(l.policy, l.ref, l.opt, samples, { ...plan.update, lr });
  l.policy.freeScratch();
  return stats;
}
