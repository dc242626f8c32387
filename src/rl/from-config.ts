// The bridge from the resolved TrainConfig to the pure functions' option objects, so the trainer reads
// each setting in exactly one place.
import { stepsPerEpoch } from '../data/batches.js';
import { ADVANTAGE_OPTIONS, type AdvantageOptions } from './advantage.js';
import type { TrainConfig } from './config.js';
import type { PpoObjectiveConfig } from './objective.js';
import type { LrSchedule } from './schedule.js';

/** Training steps in the run: episodes × batches per epoch. */
export function totalTrainingSteps(cfg: TrainConfig, nPrompts: number): number {
  return cfg.run.episodes * stepsPerEpoch(nPrompts, cfg.data.prompts_per_step, cfg.data.drop_last);
}

export function lrScheduleOf(cfg: TrainConfig, totalSteps: number): LrSchedule {
  const o = cfg.optim;
  return {
    kind: o.schedule, base: o.lr, totalSteps, warmupRatio: o.warmup_ratio, minLr: o.min_lr,
    ...(o.warmup_steps !== null ? { warmupSteps: o.warmup_steps } : {}),
  };
}

export function advantageOptionsOf(cfg: TrainConfig): AdvantageOptions {
  return ADVANTAGE_OPTIONS[cfg.algorithm.adv];
}

/** What the trainer knows about the mini-batch a micro-batch belongs to. */
export interface MiniBatchInfo {
  /** valid response tokens in the whole mini-batch. */
  tokens: number;
  /** responses in the whole mini-batch. */
  rows: number;
  /** micro-batches in the mini-batch (gradient-accumulation steps). */
  microBatches: number;
}

/**
 * The objective's options for one micro-batch. loss_norm 'mini-batch': normalise by the mini-batch totals
 * and add the micro-batch gradients as they are. 'micro-batch' (verl): normalise by the micro-batch's own
 * counts and scale by 1 / microBatches, as dp_actor does.
 */
export function ppoObjectiveConfigOf(cfg: TrainConfig, mini: MiniBatchInfo): PpoObjectiveConfig {
  const a = cfg.algorithm;
  const base = {
    clipLow: a.clip_low, clipHigh: a.clip_high, clipRatioC: a.clip_ratio_c, aggMode: a.loss_agg,
    klCoef: a.kl_coef, klType: a.kl_type, entropyCoef: a.entropy_coeff,
  };
  return a.loss_norm === 'mini-batch'
    ? { ...base, lossScale: 1, norm: { tokens: mini.tokens, rows: mini.rows } }
    : { ...base, lossScale: 1 / mini.microBatches };
}
