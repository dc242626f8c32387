// The demo's base model, made from nothing but a seed: a byte-level BPE tokenizer trained on the task's
// text (Qwen2 style: every digit its own token, ChatML template, <|im_end|> as EOS), a tiny Llama
// initialised from the seed, and supervised pretraining (src/train/sft.ts) in two phases on chat-formatted
// text from the pretraining corpus (corpus.ts): first worked solutions that sometimes slip, then a corpus in
// which most answers are stated at once, often a little off (the habit phase: see HabitPhase). The base
// ends up answering at once when decoded greedily, mostly wrongly, while most of its sampled answers come
// from worked solutions and agree: greedy accuracy far below the majority vote, the gap a TTRL run can
// close by learning to work the sums out. The result is an ordinary Hugging Face model
// directory: config.json, model.safetensors (F32), tokenizer.json, tokenizer_config.json,
// generation_config.json.
//
// Deterministic for a seed and a step count (and a thread count: the CPU backend's reductions split by
// thread); time is not a budget, so two machines make the same base.
import fs from 'node:fs';
import path from 'node:path';
import { initModel, type Model } from '../model/model.js';
import { parseConfig } from '../model/config.js';
import { sft, type SftExample } from '../train/sft.js';
import { DEFAULT_OPTIM } from '../train/optim.js';
import { trainBpe, writeTokenizerFiles, loadTokenizer, buildPrompt, type Tok } from '../tokenizer/index.js';
import { endOfSequenceId } from '../tokenizer/eos.js';
import { Rng, deriveSeed } from '../util/rng.js';
import { TtrlError } from '../util/errors.js';
import { makeSplit, type TaskProblem } from './task.js';
import { corpusSolution, type SlipConfig } from './corpus.js';

/** The architecture: a 4-layer Llama, ≈0.45M parameters with the task's ≈290-token vocabulary. */
export interface BaseArch {
  hidden: number;
  layers: number;
  heads: number;
  intermediate: number;
  maxPositions: number;
}

export interface PretrainConfig {
  seed: number;
  /** Optimizer steps (the budget; deterministic, unlike seconds). */
  steps: number;
  batchSize: number;
  /** Peak learning rate, after a linear warmup; cosine decay to lr × minLrRatio at the last step. */
  lr: number;
  warmupSteps: number;
  minLrRatio: number;
  weightDecay: number;
  /** Levels of the pretraining problems, drawn round-robin. */
  levels: number[];
  slip: SlipConfig;
  /** A second phase on a corpus that often answers at once (corpus.ts, directAnswer); none when absent. */
  habit?: HabitPhase;
  /** Problems in the BPE corpus (clean solutions). */
  bpeProblems: number;
  /** Tokenizer ids: 256 bytes + merges + 3 specials; the corpus runs out of merges before this. */
  vocabSize: number;
  arch: BaseArch;
}

/**
 * The second pretraining phase: the model, already able to work sums out step by step, reads text in which
 * most answers are stated at once, often a little off. It picks up the habit of answering at once (its first
 * token) while its worked solutions stay as reliable as they were.
 */
export interface HabitPhase {
  steps: number;
  /** Peak learning rate of the phase, after a linear warmup; cosine decay to lr × minLrRatio (the first phase's). */
  lr: number;
  warmupSteps: number;
  slip: SlipConfig;
}

/** The shipped base's settings (assets/demo-base was made with these). */
export const DEFAULT_PRETRAIN: PretrainConfig = {
  seed: 1,
  steps: 1800,
  batchSize: 32,
  lr: 3e-3,
  warmupSteps: 40,
  minLrRatio: 0.1,
  weightDecay: 0.01,
  levels: [1, 2, 3],
  slip: { rate: 0.15, carryShare: 0.5 },
  // 6 texts in 10 answer at once, half of those a little off; worked solutions slip less than in phase one
  habit: { steps: 300, lr: 3e-4, warmupSteps: 20, slip: { rate: 0.05, carryShare: 0.5, directShare: 0.6, directError: 0.5 } },
  bpeProblems: 2000,
  vocabSize: 320,
  arch: { hidden: 96, layers: 4, heads: 4, intermediate: 256, maxPositions: 256 },
};

/** The text the tokenizer is trained on: each problem's user and assistant turns, roles included. */
function bpeCorpus(problems: readonly TaskProblem[]): string[] {
  return problems.map((p) => `user\n${p.prompt}\nassistant\n${p.solution}`);
}

/** The Hugging Face config.json object of the base. */
export function baseConfigJson(arch: BaseArch, tok: Tok): Record<string, unknown> {
  if (arch.hidden % arch.heads !== 0) throw new TtrlError(`demo base: hidden ${arch.hidden} must be a multiple of heads ${arch.heads}`);
  return {
    architectures: ['LlamaForCausalLM'],
    model_type: 'llama',
    vocab_size: tok.vocabSize,
    hidden_size: arch.hidden,
    intermediate_size: arch.intermediate,
    num_hidden_layers: arch.layers,
    num_attention_heads: arch.heads,
    num_key_value_heads: arch.heads,
    head_dim: arch.hidden / arch.heads,
    hidden_act: 'silu',
    max_position_embeddings: arch.maxPositions,
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    tie_word_embeddings: true,
    attention_bias: false,
    bos_token_id: null,
    eos_token_id: tok.eosIds,
    pad_token_id: tok.padId,
  };
}

/** One chat-formatted training sequence: the prompt as the trainer builds it, then solution + EOS; loss on the completion. */
export function chatExample(tok: Tok, question: string, completion: string): SftExample {
  const prompt = buildPrompt(tok, question, { mode: 'chat' }).ids;
  const end = endOfSequenceId(tok, null, tok.dir);
  return { ids: [...prompt, ...tok.encode(completion), end], lossFrom: prompt.length };
}

/** lr(step): linear warmup to lr, then cosine to lr × minLrRatio. */
export function pretrainLr(c: Pick<PretrainConfig, 'lr' | 'warmupSteps' | 'minLrRatio' | 'steps'>): (step: number) => number {
  return (step) => {
    if (step < c.warmupSteps) return c.lr * (step + 1) / c.warmupSteps;
    const t = (step - c.warmupSteps) / Math.max(1, c.steps - c.warmupSteps);
    return c.lr * (c.minLrRatio + (1 - c.minLrRatio) * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, t))));
  };
}

export interface PretrainProgress { step: number; loss: number; lr: number; seconds: number }

export interface MakeBaseResult { model: Model; tok: Tok; losses: number[]; seconds: number }

/**
 * Make the base model in `dir` (created; existing model files are overwritten). `onStep` sees every
 * step with the model and tokenizer (to evaluate or save checkpoints along the way).
 */
export async function makeBase(dir: string, cfg: PretrainConfig = DEFAULT_PRETRAIN,
                               onStep?: (p: PretrainProgress, model: Model, tok: Tok) => void): Promise<MakeBaseResult> {
  const t0 = Date.now();
  fs.mkdirSync(dir, { recursive: true });
  const files = trainBpe(bpeCorpus(makeSplit(cfg.bpeProblems, cfg.levels, cfg.seed, 'train', 0)), { vocabSize: cfg.vocabSize, style: 'qwen2' });
  await writeTokenizerFiles(dir, files);
  const tok = await loadTokenizer(dir);

  // Fresh problems for every sequence of the run (no epochs): the model must learn the arithmetic, not the set.
  const problems = makeSplit(cfg.steps * cfg.batchSize, cfg.levels, cfg.seed, 'train', cfg.bpeProblems);
  const rng = new Rng(cfg.seed, 0xc0de);
  const data = problems.map((p) => chatExample(tok, p.prompt, corpusSolution(p, cfg.slip, rng)));
  const longest = Math.max(...data.map((e) => e.ids.length));
  if (longest > cfg.arch.maxPositions) throw new TtrlError(`demo base: a training sequence has ${longest} tokens > maxPositions ${cfg.arch.maxPositions}`);

  const model = initModel(parseConfig(baseConfigJson(cfg.arch, tok)), cfg.seed);
  const lr = pretrainLr(cfg);
  const losses = sft(model, data, {
    optim: { ...DEFAULT_OPTIM, weightDecay: cfg.weightDecay }, lr, steps: cfg.steps, batchSize: cfg.batchSize,
    seed: cfg.seed, gradClip: 1.0,
    onStep: (s) => onStep?.({ step: s.step, loss: s.loss, lr: s.lr, seconds: (Date.now() - t0) / 1000 }, model, tok),
  }).losses;
  if (cfg.habit) {
    const h = cfg.habit;
    const more = makeSplit(h.steps * cfg.batchSize, cfg.levels, cfg.seed, 'train', cfg.bpeProblems + problems.length);
    losses.push(...habitPhase(model, tok, more, h, cfg, (s) => onStep?.({ ...s, step: cfg.steps + s.step, seconds: (Date.now() - t0) / 1000 }, model, tok)));
  }
  model.save(dir);
  fs.writeFileSync(path.join(dir, 'pretrain.json'), JSON.stringify({ ...cfg, seconds: (Date.now() - t0) / 1000, finalLoss: losses.at(-1) }, null, 2) + '\n');
  return { model, tok, losses, seconds: (Date.now() - t0) / 1000 };
}

/** The habit phase on `problems` (one sequence each, no epochs); returns its losses. */
export function habitPhase(model: Model, tok: Tok, problems: readonly TaskProblem[], h: HabitPhase,
                           c: Pick<PretrainConfig, 'seed' | 'batchSize' | 'weightDecay' | 'minLrRatio'>,
                           onStep?: (p: { step: number; loss: number; lr: number }) => void): number[] {
  const rng = new Rng(c.seed, 0xab17);
  const data = problems.map((p) => chatExample(tok, p.prompt, corpusSolution(p, h.slip, rng)));
  return sft(model, data, {
    optim: { ...DEFAULT_OPTIM, weightDecay: c.weightDecay }, steps: h.steps, batchSize: c.batchSize,
    lr: pretrainLr({ lr: h.lr, warmupSteps: h.warmupSteps, steps: h.steps, minLrRatio: c.minLrRatio }), seed: deriveSeed(c.seed, 0xab17), gradClip: 1.0,
    onStep: (s) => onStep?.({ step: s.step, loss: s.loss, lr: s.lr }),
  }).losses;
}
