// The demo's settings: which problems it tests on, and the RL settings of its runs (one per method).
//
// Every run is an ordinary `ttrl train` run; the only difference between them is reward.mode. Every
// setting not named here is the trainer's default, i.e. the paper's (TTRL.md). Where the demo departs from
// the paper, the comment says why: the paper trains 1.5B–8B models on GPUs for hours; the demo trains a
// 0.45M-parameter model on two CPU cores for a few minutes, so it needs a much larger learning rate, fewer
// votes and shorter responses, and a safeguard against collapse on the prompts where the vote is least sure.
import path from 'node:path';
import { parseConfig } from '../rl/config-io.js';
import type { TrainConfig } from '../rl/config.js';

/** One size of the demo (the full one, or --quick). */
export interface DemoPreset {
  /** Task levels of the test problems (round-robin) and their number. */
  testLevels: number[];
  testSize: number;
  /** Passes of TTRL (and oracle RL) over the test questions. */
  episodes: number;
  /** Evaluate every this many steps during the runs; 0 = only after the last step (which always runs). */
  evalEvery: number;
  /** The RL settings, as "section.key" → value (see src/rl/config.ts for every key). */
  rl: Record<string, unknown>;
}

/** Settings shared by both presets. */
const RL_COMMON: Record<string, unknown> = {
  // 8 prompts a step, as the paper.
  'data.prompts_per_step': 8,
  // Paper 64 votes, 32 trained on. 16 votes make the label nearly as reliable here (a prompt's answers
  // fall into a handful of classes), at a quarter of the sampling time; training on 8 of them halves the
  // update, and the other 8 still vote ("more votes than training samples", as in the paper).
  'rollout.n_votes': 16,
  'rollout.n_train': 8,
  // Paper temperature 1.0, kept: exploration matters (TTRL.md, known failure modes).
  'rollout.temperature': 1.0,
  // Paper 3072 tokens; the demo's solutions are under 50 tokens, so 96 only bounds a babbling sample.
  'rollout.max_response_len': 96,
  'data.max_prompt_len': 64,
  // Paper lr 5e-7 for 1.5B–8B models fine-tuned for hours; a 0.45M model trained for minutes needs ~1e3
  // times more (its pretraining peaked at 3e-3). Too much (3e-4 measured) and TTRL collapses onto wrong
  // majorities (see docs/demo.md).
  'optim.lr': 5e-5,
  // Paper: one prompt's responses per optimizer step. Here too (8 responses), so a step makes 8 updates.
  'optim.mini_batch': 8,
  'optim.micro_batch': 8,
  // Safeguard, not in the paper: a prompt whose winning answer has less than this share of the votes
  // trains nothing this step. Its label is the least likely to be right, and rewarding agreement with a
  // weak plurality is how TTRL collapses onto a wrong answer.
  'reward.min_vote_share': 0.5,
  // Paper's KL coefficient (0.001, k3 estimator, in the loss), kept.
  'algorithm.kl_coef': 0.001,
  // Evaluation as in the paper (avg@16, maj@16) but at the rollout temperature 1.0 instead of 0.6: the base
  // model is measured at the temperature it is trained with, and greedy accuracy is reported beside it.
  'eval.k': 16,
  'eval.temperature': 1.0,
  'eval.top_p': 1.0,
  'eval.max_response_len': 96,
  // The demo evaluates the base once itself (the same evaluation, same seed); the runs skip it.
  'eval.at_start': false,
};

export const DEMO_PRESETS: Record<'full' | 'quick', DemoPreset> = {
  full: { testLevels: [3], testSize: 128, episodes: 3, evalEvery: 16, rl: RL_COMMON },
  quick: { testLevels: [3], testSize: 32, episodes: 3, evalEvery: 0, rl: RL_COMMON },
};

/**
 * The methods `ttrl demo` compares by default, in run order: TTRL, two other label-free rewards, and the
 * label-using upper bound. Each is a reward.mode of `ttrl train`; only the mode differs between the runs.
 */
export const DEFAULT_METHODS = ['ttrl', 'self_certainty', 'token_level_entropy', 'oracle'];

export interface RunPaths {
  /** The base model directory. */
  model: string;
  /** The test problems (JSON array of {id, prompt, answer, level}). */
  data: string;
  /** The run directory to create. */
  runDir: string;
}

/** The full training config of one demo run, validated by the trainer's own parser. */
export function demoTrainConfig(mode: string, p: RunPaths, preset: DemoPreset, seed: number,
                                overrides: Record<string, unknown> = {}): TrainConfig {
  const flat: Record<string, unknown> = {
    'model.path': p.model,
    'data.path': p.data,
    'reward.mode': mode,
    'run.name': path.basename(p.runDir),
    'run.out_dir': path.dirname(p.runDir),
    'run.seed': seed,
    'run.episodes': preset.episodes,
    ...preset.rl,
    ...overrides,
  };
  // eval.every = 0 would switch the trainer's final evaluation off too; every = the run's length keeps only it
  const steps = preset.episodes * Math.floor(preset.testSize / Number(flat['data.prompts_per_step'] ?? 8));
  flat['eval.every'] ??= preset.evalEvery > 0 ? preset.evalEvery : Math.max(1, steps);
  const raw: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(flat)) {
    const [section, field] = key.split('.') as [string, string];
    (raw[section] ??= {})[field] = value;
  }
  return parseConfig(raw, `demo ${mode} config`);
}
