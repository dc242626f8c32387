// The training configuration: one strict schema per concern, every field with its default and where that
// default comes from. [TTRL.md] = the TTRL paper's settings as its reference code ran them (the table in
// docs/rl.md); [verl] = the TTRL fork of verl; [ttrl] = a choice of this project. Unknown keys are rejected with
// their path. Loading, CLI overrides and dumping are in config-io.ts.
import path from 'node:path';
import * as z from 'zod';
import { REWARD_MODE_NAMES } from './rewards.js';
import { SAMPLING_RULES } from '../sample/params.js';
import { LORA_MODULES, DEFAULT_LORA } from '../model/lora.js';

const posInt = () => z.int().min(1);
const share = () => z.number().min(0).max(1);
/** A sampling setting, checked by the sampler's own rule (one range per setting). */
const sampling = (field: keyof typeof SAMPLING_RULES) => z.number().refine(SAMPLING_RULES[field].ok, SAMPLING_RULES[field].want);

export const LoraConfig = z.strictObject({
  r: posInt().default(DEFAULT_LORA.r).describe('adapter rank [PEFT LoraConfig.r]'),
  alpha: z.number().gt(0).default(DEFAULT_LORA.alpha).describe('scaling alpha/r (rslora: alpha/√r) [PEFT lora_alpha]'),
  dropout: z.number().min(0).max(0, 'only 0 is supported (PEFT\'s default)').default(0).describe('dropout on the adapter input [PEFT lora_dropout]'),
  target_modules: z.array(z.enum(LORA_MODULES)).min(1).default([...DEFAULT_LORA.targetModules]).describe('Linear layers that get an adapter [PEFT default for Llama/Qwen: q_proj, v_proj]'),
  rslora: z.boolean().default(false).describe('rank-stabilised scaling alpha/√r [PEFT use_rslora]'),
});

export const ModelConfig = z.strictObject({
  path: z.string().min(1).describe('model folder: config.json, tokenizer, *.safetensors [required]'),
  chat_template: z.boolean().default(true).describe("send the question as one user message through the model's chat template [TTRL.md: Prompt]"),
  system_prompt: z.string().nullable().default(null).describe("system message; null = the template's default (Qwen2.5-Math adds its \\boxed{} instruction) [TTRL.md: Prompt]"),
  prompt_suffix: z.string().default('').describe('text appended to every question [ttrl; the TTRL data holds only the question]'),
  precision: z.enum(['auto', 'bf16', 'fp32']).default('auto').describe('matrix products in bf16 (fp32 sums, fp32 master weights and optimizer) or fp32; auto = bf16 where the CPU computes bf16 faster (AMX, or AVX512-BF16 on AMD) [ttrl; verl trains in bf16]'),
  lora: LoraConfig.nullable().default(null).describe('train a LoRA adapter on the frozen base instead of every weight; e.g. {r: 16, alpha: 32, target_modules: [q_proj, k_proj, v_proj, o_proj, gate_proj, up_proj, down_proj]} [ttrl; PEFT names]'),
  enable_thinking: z.boolean().nullable().default(null).describe("Qwen3's thinking switch, passed to the chat template; null = the template's default (Qwen3: on) [ttrl; apply_chat_template's enable_thinking]"),
});

export const DataConfig = z.strictObject({
  path: z.string().min(1).describe('problems: .json array, .jsonl or .parquet [required]'),
  format: z.enum(['auto', 'json', 'jsonl', 'parquet']).default('auto').describe('file format; auto = by extension [ttrl]'),
  prompt_key: z.string().min(1).default('prompt').describe('field holding the question (dots reach into objects) [ttrl-bench files; verl data.prompt_key]'),
  answer_key: z.string().min(1).default('answer').describe('field holding the gold answer, used only for eval and diagnostics [ttrl-bench files]'),
  id_key: z.string().min(1).nullable().default(null).describe('field holding the problem id; null = id, else unique_id, else the row index [ttrl-bench files]'),
  prompts_per_step: posInt().default(8).describe('prompts per training step [TTRL.md; verl data.train_batch_size]'),
  shuffle: z.boolean().default(true).describe('reshuffle the prompts every epoch [TTRL.md]'),
  drop_last: z.boolean().default(true).describe('drop the incomplete last batch of an epoch [TTRL.md]'),
  max_prompt_len: posInt().default(1024).describe('prompt tokens at most; longer prompts are an error [TTRL.md: 512 AIME, 1024 AMC]'),
});

export const RolloutEngineConfig = z.strictObject({
  kind: z.enum(['local', 'openai']).default('local').describe('local: the policy samples in process; openai: OpenAI-compatible servers sample (docs/serving.md)'),
  urls: z.array(z.url({ protocol: /^https?$/ })).default([]).describe('server base URLs as OpenAI clients take them, e.g. http://127.0.0.1:8000/v1'),
  model: z.string().min(1).nullable().default(null).describe('the model name the servers serve; null = model.path'),
  weight_sync: z.enum(['disk', 'lora', 'none']).default('disk').describe('after each update: disk = write the (merged) weights and call /update_weights_from_disk; lora = write the adapter and load it (vLLM /v1/load_lora_adapter, else /update_weights_from_disk); none = never'),
  max_inflight: posInt().default(8).describe('requests (one prompt, n_votes samples each) in flight over all servers'),
  timeout_s: z.number().gt(0).default(600).describe('seconds one request may take before it is retried elsewhere'),
  retries: z.int().min(0).default(4).describe('retries of a failed request (on any server, with back-off) before the run stops'),
});

export const RolloutConfig = z.strictObject({
  n_votes: posInt().default(64).describe('responses sampled per prompt; all vote and all are rewarded [TTRL.md: N]'),
  n_train: posInt().default(32).describe('responses per prompt kept for the update [TTRL.md: M]'),
  train_select: z.enum(['first', 'random']).default('first').describe('which n_train responses are kept [TTRL.md: the first M in sampling order]'),
  temperature: sampling('temperature').default(1.0).describe('rollout temperature [TTRL.md: 1.0; 0.6 for non-Math, non-reasoning models]'),
  top_p: sampling('topP').default(1.0).describe('nucleus sampling mass [TTRL.md]'),
  top_k: sampling('topK').default(0).describe("top-k sampling; 0 = off (vLLM's -1) [verl rollout default]"),
  min_p: sampling('minP').default(0).describe('min-p sampling; 0 = off [vLLM default]'),
  max_response_len: posInt().default(3072).describe('response tokens at most; longer ones are truncated [TTRL.md]'),
  engine: RolloutEngineConfig.prefault({}).describe('where responses are sampled: in process, or on inference servers (vLLM, SGLang, ttrl serve) [ttrl; verl rollout servers]'),
  adaptive_votes: z.boolean().default(false).describe('draw votes in waves of rollout.vote_wave and stop a prompt once more votes cannot change its update, or a full wave is unanimous (src/rl/vote-stop.ts); false = all n_votes, as the paper [ttrl, not in the paper]'),
  vote_wave: posInt().default(8).describe('adaptive_votes: votes drawn per prompt and round; a prompt whose first wave is unanimous stops there [ttrl, not in the paper]'),
});

export const RewardConfig = z.strictObject({
  mode: z.enum(REWARD_MODE_NAMES).default('ttrl').describe(`${REWARD_MODE_NAMES.join(' | ')}: how responses are rewarded (each described under "reward modes"; oracle and hybrid_gt use labels) [TTRL; URLVR ttrl_utils.py]`),
  min_vote_share: share().default(0).describe('skip a prompt whose winning answer has a smaller vote share (ttrl, evol); 0 = off [ttrl safeguard, not in the paper]'),
  verify_template: z.string().min(1).nullable().default(null).describe('self_verify: judge prompt with {question} and {response}; null = the math default (src/rl/verify.ts) [ttrl; URLVR uses a countdown prompt]'),
  verify_temperature: z.number().min(0).default(0.5).describe('self_verify: judge sampling temperature [URLVR apply_self_verify]'),
  verify_max_len: posInt().nullable().default(null).describe('self_verify: judge tokens at most; null = rollout.max_response_len [ttrl; URLVR 4096]'),
});

export const AlgorithmConfig = z.strictObject({
  adv: z.enum(['grpo', 'drgrpo']).default('grpo').describe('advantage: grpo = (r - mean)/(std + eps); drgrpo = r - mean [TTRL.md]'),
  adv_eps: z.number().gt(0).default(1e-6).describe('epsilon added to the group std [verl compute_grpo_outcome_advantage]'),
  clip_low: z.number().min(0).lt(1).default(0.2).describe('PPO ratio lower clip 1 - clip_low [TTRL.md]'),
  clip_high: z.number().min(0).default(0.2).describe('PPO ratio upper clip 1 + clip_high [TTRL.md]'),
  clip_ratio_c: z.number().gt(1).default(3.0).describe('dual-clip cap c·|A| for negative advantages [TTRL.md]'),
  loss_agg: z.enum(['token-mean', 'seq-mean-token-mean', 'seq-mean-token-sum']).default('token-mean').describe('loss aggregation [TTRL.md]'),
  loss_norm: z.enum(['mini-batch', 'micro-batch']).default('mini-batch').describe('normalise by mini-batch totals, or per micro-batch as verl does [ttrl; see docs/rl.md]'),
  kl_coef: z.number().min(0).default(0.001).describe('KL-in-loss coefficient; 0 = no reference model [TTRL.md]'),
  kl_type: z.enum(['kl', 'abs', 'mse', 'low_var_kl']).default('low_var_kl').describe('KL estimator (low_var_kl = k3) [TTRL.md]'),
  entropy_coeff: z.number().min(0).default(0).describe('entropy bonus; entropy is logged either way [TTRL.md]'),
  ppo_epochs: posInt().default(1).describe('passes over each step\'s kept responses, every mini-batch in the same order each time [TTRL.md; verl ppo_epochs]'),
});

export const OptimConfig = z.strictObject({
  name: z.literal('adamw').default('adamw').describe('optimizer [TTRL.md]'),
  lr: z.number().gt(0).default(5e-7).describe('peak learning rate [TTRL.md]'),
  betas: z.tuple([share(), share()]).default([0.9, 0.999]).describe('AdamW betas [TTRL.md]'),
  weight_decay: z.number().min(0).default(0.01).describe('decoupled weight decay [TTRL.md]'),
  eps: z.number().gt(0).default(1e-8).describe('AdamW epsilon [torch default, as verl]'),
  grad_clip: z.number().gt(0).default(1.0).describe('global grad-norm clip [TTRL.md]'),
  schedule: z.enum(['constant', 'linear-warmup', 'cosine']).default('cosine').describe('lr schedule, one step per training step [TTRL.md]'),
  warmup_ratio: z.number().min(0).lt(1).default(0.03).describe('warmup steps = floor(ratio × total steps) [TTRL.md]'),
  warmup_steps: z.int().min(0).nullable().default(null).describe('warmup steps; overrides warmup_ratio when set [verl lr_warmup_steps]'),
  min_lr: z.number().min(0).default(0).describe('cosine floor [TTRL.md: cosine to 0]'),
  mini_batch: posInt().default(32).describe('responses per optimizer step [TTRL.md: one prompt\'s 32 responses]'),
  micro_batch: posInt().default(1).describe('responses per forward/backward (gradient accumulation); a memory knob [ttrl]'),
});

export const EvalConfig = z.strictObject({
  every: z.int().min(0).default(2).describe('evaluate every this many steps; 0 = off [TTRL.md]'),
  at_start: z.boolean().default(true).describe('evaluate before the first step [TTRL.md]'),
  k: posInt().default(16).describe('samples per problem: pass@1 = avg@k, plus maj@k and best@k [TTRL.md]'),
  temperature: sampling('temperature').default(0.6).describe('eval temperature [TTRL.md]'),
  top_p: sampling('topP').default(0.95).describe('eval nucleus mass [TTRL.md]'),
  max_response_len: posInt().default(3072).describe('eval response tokens at most [TTRL.md, as rollout]'),
  path: z.string().min(1).nullable().default(null).describe('eval problems; null = data.path (test-time: the same problems) [TTRL.md]'),
});

export const RunConfig = z.strictObject({
  name: z.string().min(1).default('ttrl').describe('run name; outputs go to out_dir/name [ttrl]'),
  out_dir: z.string().min(1).default('runs').describe('folder for runs [ttrl]'),
  seed: z.int().min(0).default(0).describe('seed for shuffling, selection and sampling [ttrl]'),
  episodes: posInt().nullable().default(null).describe('epochs over the data; null = the dataset preset (MATH-500 10, AMC 30, AIME 80) [TTRL.md]'),
  save_every: z.int().min(0).default(0).describe('checkpoint every this many steps; 0 = only at the end [ttrl]'),
  stop_on_collapse: z.boolean().default(false).describe('stop when the label-free collapse signal fires and keep the last good checkpoint (docs/rl.md) [ttrl]'),
});

/** The sections, in file order. Every section may be omitted except that model.path and data.path are required. */
export const TrainConfigObject = z.strictObject({
  model: ModelConfig,
  data: DataConfig,
  rollout: RolloutConfig.prefault({}),
  reward: RewardConfig.prefault({}),
  algorithm: AlgorithmConfig.prefault({}),
  optim: OptimConfig.prefault({}),
  eval: EvalConfig.prefault({}),
  run: RunConfig.prefault({}),
});

/** Episodes per dataset (TTRL.md: MATH-500 10, AMC 30, AIME 2024 80), matched on the data file's name. */
export const EPISODE_PRESETS: readonly { name: string; match: RegExp; episodes: number }[] = [
  { name: 'AIME 2024', match: /aime/i, episodes: 80 },
  { name: 'AMC', match: /amc/i, episodes: 30 },
  { name: 'MATH-500', match: /^math(-?500)?([-_]ttt)?$/i, episodes: 10 },
];

/** The preset's episodes for a data path (by its file name without extension), or null. */
export function presetEpisodes(dataPath: string): number | null {
  const stem = path.basename(dataPath).replace(/\.(json|jsonl|parquet)$/i, '');
  return EPISODE_PRESETS.find((p) => p.match.test(stem))?.episodes ?? null;
}

type RawConfig = z.output<typeof TrainConfigObject>;

/** Checks that span fields; each issue names the key to change. */
function crossChecks(c: RawConfig, ctx: z.RefinementCtx): void {
  const fail = (p: string, message: string) => ctx.addIssue({ code: 'custom', path: p.split('.'), message });
  if (c.rollout.n_train > c.rollout.n_votes) {
    fail('rollout.n_train', `must be ≤ rollout.n_votes (${c.rollout.n_train} > ${c.rollout.n_votes})`);
  }
  const perStep = c.data.prompts_per_step * c.rollout.n_train;
  if (perStep % c.optim.mini_batch !== 0) {
    fail('optim.mini_batch', `must divide data.prompts_per_step × rollout.n_train = ${perStep} (got ${c.optim.mini_batch})`);
  }
  if (c.optim.mini_batch % c.optim.micro_batch !== 0) {
    fail('optim.micro_batch', `must divide optim.mini_batch = ${c.optim.mini_batch} (got ${c.optim.micro_batch})`);
  }
  if (c.optim.schedule === 'constant' && (c.optim.warmup_ratio > 0 || (c.optim.warmup_steps ?? 0) > 0)) {
    fail('optim.warmup_ratio', "schedule 'constant' has no warmup: set optim.schedule=linear-warmup, or optim.warmup_ratio=0 and optim.warmup_steps=null");
  }
  if (c.optim.min_lr > 0 && c.optim.schedule !== 'cosine') fail('optim.min_lr', "applies only to optim.schedule=cosine");
  if (c.optim.min_lr > c.optim.lr) fail('optim.min_lr', `must be ≤ optim.lr (${c.optim.min_lr} > ${c.optim.lr})`);
  const eng = c.rollout.engine;
  if (eng.kind === 'openai' && eng.urls.length === 0) fail('rollout.engine', 'kind openai needs urls: [http://HOST:PORT/v1, ...]');
  if (eng.kind === 'openai' && c.reward.mode === 'self_certainty') {
    fail('reward.mode', 'self_certainty needs the full logits at sampling time: use rollout.engine.kind local (remote rollouts give log-probs and entropies only)');
  }
  if (eng.kind === 'openai' && eng.weight_sync === 'lora' && c.model.lora === null) fail('rollout.engine', "weight_sync 'lora' sends the trained adapter: it needs model.lora (or use disk)");
  if (c.rollout.temperature === 0 && c.rollout.n_votes > 1 && c.reward.mode !== 'none') {
    fail('rollout.temperature', 'greedy rollouts make all votes identical; use a temperature > 0 (TTRL: 1.0)');
  }
  if (c.rollout.adaptive_votes && c.reward.mode !== 'ttrl') {
    fail('rollout.adaptive_votes', 'stops on the majority label: needs reward.mode=ttrl');
  }
  // a server's request seed names sample 0 of a stream: it cannot start a prompt's responses at a later wave
  if (c.rollout.adaptive_votes && eng.kind !== 'local') fail('rollout.adaptive_votes', 'needs rollout.engine.kind=local (remote engines draw all n_votes)');
  if (c.run.episodes === null && presetEpisodes(c.data.path) === null) {
    const names = EPISODE_PRESETS.map((p) => `${p.name} ${p.episodes}`).join(', ');
    fail('run.episodes', `no preset for data file '${path.basename(c.data.path)}' (presets: ${names}); set run.episodes`);
  }
}

/** Parses, validates and resolves a config: defaults filled, episodes taken from the preset when null. */
export const TrainConfigSchema = TrainConfigObject.superRefine(crossChecks).transform((c) => ({
  ...c,
  run: { ...c.run, episodes: c.run.episodes ?? presetEpisodes(c.data.path)! },
}));

export type TrainConfig = z.output<typeof TrainConfigSchema>;
export type TrainConfigInput = z.input<typeof TrainConfigObject>;
export type SectionName = keyof RawConfig;
