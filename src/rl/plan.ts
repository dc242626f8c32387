// The run plan: every setting of a training run, turned once from the resolved TrainConfig (plus what the
// tokenizer, the model and the data add) into the typed options the step functions read. Nothing else in
// src/rl reads cfg.*: a setting has one place where it becomes an option, and that place is here.
//
// Extending: a new setting gets a field in the section of the plan whose step uses it (rollout, reward,
// advantage, update, eval, record), filled in buildRunPlan; the step function reads plan.<section>.
import { stepsPerEpoch } from '../data/batches.js';
import type { PromptOptions } from '../tokenizer/index.js';
import { stopIds } from '../tokenizer/eos.js';
import { resolveSampling, type SamplingParams } from '../sample/params.js';
import type { OptimConfig } from '../train/optim.js';
import type { PrecisionSetting } from '../tensor/index.js';
import type { LoraSpec } from '../model/lora.js';
import { deriveSeed } from '../util/rng.js';
import { ADVANTAGE_OPTIONS, type AdvantageOptions } from './advantage.js';
import type { TrainConfig } from './config.js';
import type { PpoObjectiveConfig } from './objective.js';
import type { LrSchedule } from './schedule.js';
import type { EvalSettings } from './evaluate.js';
import type { MiniBatchInfo, UpdateConfig } from './update.js';
import { REWARD_MODES, type RewardMode } from './reward.js';
import { DEFAULT_VERIFY_TEMPLATE } from './verify.js';
import type { RemoteSettings } from './remote.js';

/** Salt of the evaluation's sampling streams: every evaluation of a run (and the demo's base) draws the same. */
const EVAL_STREAM = 0xe7a1;

export interface RunPlan {
  /** Run seed: data order, selection and sampling streams derive from it. */
  seed: number;
  /** Number format of the models' matrix products ('auto': the device's default, resolved by backendAt). */
  precision: PrecisionSetting;
  /** Question → prompt ids; longer prompts than maxLen are an error. */
  prompt: { options: PromptOptions; maxLen: number };
  data: { perStep: number; shuffle: boolean; dropLast: boolean; episodes: number };
  steps: {
    perEpoch: number;
    /** Steps of the whole run (the schedule's length). */
    total: number;
    /** The step this invocation stops after (total, or fewer with maxSteps). */
    last: number;
  };
  rollout: {
    /** Responses per prompt, all voted and rewarded (N). */
    nVotes: number;
    /** Responses per prompt kept for the update (M), and which. */
    nTrain: number;
    select: 'first' | 'random';
    /** Draw votes in waves and stop a prompt early (src/rl/vote-stop.ts); false = all nVotes. */
    adaptiveVotes: boolean;
    /** Votes drawn per prompt and round with adaptiveVotes (≤ nVotes). */
    voteWave: number;
    sampling: SamplingParams;
    /** Inference servers that sample instead of the policy (rollout.engine kind openai), or null: in process. */
    remote: RemoteSettings | null;
  };
  /** trains: whether the policy is updated (reward.mode none is the no-update baseline). */
  reward: {
    mode: RewardMode; minVoteShare: number; trains: boolean;
    /** self_verify's judge: prompt template ({question}, {response}) and its sampling. */
    verify: { template: string; sampling: SamplingParams };
  };
  /** Stop when the label-free collapse signal fires (run.stop_on_collapse). */
  stopOnCollapse: boolean;
  advantage: { options: AdvantageOptions; eps: number };
  /** The update's options except the step's learning rate. */
  update: Omit<UpdateConfig, 'lr'>;
  /** Whether a frozen reference model is loaded (KL in the loss, and there are updates). */
  reference: boolean;
  optimizer: OptimConfig;
  /** Train a LoRA adapter on the frozen base (null: every weight trains). */
  lora: LoraSpec | null;
  schedule: LrSchedule;
  eval: { every: number; atStart: boolean; settings: EvalSettings };
  checkpoint: { every: number; keep: number };
}

/** The run's precision setting (also read by the demo's evaluation of its base). */
export function precisionOf(cfg: TrainConfig): PrecisionSetting {
  return cfg.model.precision;
}

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

/** The evaluation's seed for a run seed (the demo evaluates its base with it too). */
export function evalSeedOf(runSeed: number): number {
  return deriveSeed(runSeed, EVAL_STREAM);
}

/**
 * Everything a run does, from its config, the stop ids of its tokenizer and model, and the number of
 * training prompts. `maxSteps` ends this invocation early (smoke runs, tests) without changing the schedule.
 */
export function buildRunPlan(cfg: TrainConfig, eos: { tok: { eosIds: readonly number[] }; model: { eosIds: readonly number[] } },
                             nPrompts: number, maxSteps = Infinity): RunPlan {
  const eosIds = stopIds(eos.tok, eos.model);
  const perEpoch = stepsPerEpoch(nPrompts, cfg.data.prompts_per_step, cfg.data.drop_last);
  const total = totalTrainingSteps(cfg, nPrompts);
  const r = cfg.rollout, e = cfg.eval, o = cfg.optim;
  return {
    seed: cfg.run.seed,
    precision: precisionOf(cfg),
    prompt: {
      options: {
        mode: cfg.model.chat_template ? 'chat' : 'raw',
        ...(cfg.model.system_prompt !== null ? { system: cfg.model.system_prompt } : {}),
        suffix: cfg.model.prompt_suffix,
        thinking: cfg.model.enable_thinking,
      },
      maxLen: cfg.data.max_prompt_len,
    },
    data: { perStep: cfg.data.prompts_per_step, shuffle: cfg.data.shuffle, dropLast: cfg.data.drop_last, episodes: cfg.run.episodes },
    steps: { perEpoch, total, last: Math.min(total, maxSteps) },
    rollout: {
      nVotes: r.n_votes, nTrain: r.n_train, select: r.train_select, adaptiveVotes: r.adaptive_votes, voteWave: Math.min(r.vote_wave, r.n_votes),
      sampling: resolveSampling({
        temperature: r.temperature, topP: r.top_p, topK: r.top_k, minP: r.min_p, maxNewTokens: r.max_response_len, eosIds,
      }, 'rollout'),
      remote: r.engine.kind === 'local' ? null : {
        urls: r.engine.urls, model: r.engine.model ?? cfg.model.path, weightSync: r.engine.weight_sync,
        maxInflight: r.engine.max_inflight, timeoutMs: r.engine.timeout_s * 1000, retries: r.engine.retries,
      },
    },
    reward: {
      mode: cfg.reward.mode, minVoteShare: cfg.reward.min_vote_share, trains: REWARD_MODES[cfg.reward.mode].trains,
      verify: {
        template: cfg.reward.verify_template ?? DEFAULT_VERIFY_TEMPLATE,
        sampling: resolveSampling({
          temperature: cfg.reward.verify_temperature, topP: 1, maxNewTokens: cfg.reward.verify_max_len ?? r.max_response_len, eosIds,
        }, 'reward.verify'),
      },
    },
    stopOnCollapse: cfg.run.stop_on_collapse,
    advantage: { options: advantageOptionsOf(cfg), eps: cfg.algorithm.adv_eps },
    update: {
      objective: (mini) => ppoObjectiveConfigOf(cfg, mini),
      miniBatch: o.mini_batch, microBatch: o.micro_batch, gradClip: o.grad_clip, epochs: cfg.algorithm.ppo_epochs,
      // log-probs are scored at the sampling temperature; greedy rollouts are scored at 1
      temperature: r.temperature || 1,
    },
    reference: cfg.algorithm.kl_coef !== 0 && REWARD_MODES[cfg.reward.mode].trains,
    optimizer: { kind: 'adamw', beta1: o.betas[0], beta2: o.betas[1], eps: o.eps, weightDecay: o.weight_decay },
    lora: cfg.model.lora && { r: cfg.model.lora.r, alpha: cfg.model.lora.alpha, dropout: cfg.model.lora.dropout,
      targetModules: cfg.model.lora.target_modules, rslora: cfg.model.lora.rslora },
    schedule: lrScheduleOf(cfg, total),
    eval: {
      every: e.every, atStart: e.at_start,
      settings: {
        k: e.k, temperature: e.temperature, topP: e.top_p, maxNewTokens: e.max_response_len, eosIds,
        seed: evalSeedOf(cfg.run.seed), greedy: true,
      },
    },
    checkpoint: { every: cfg.run.save_every, keep: 2 },
  };
}
