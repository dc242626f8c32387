// One TTRL update step (src/rl/update.ts policyUpdate: reference forward for the KL term, policy forward,
// PPO objective, backward, AdamW) on a Qwen2.5-1.5B-shaped model with random weights, in a process of its
// own so that its peak RSS is this step's alone. Run by bench/lora.ts:
//   node dist/bench/lora-step.js '{"variant":"lora"|"full","layers":28,"B":4,"P":64,"R":64,"micro":2,"r":16,"decode":true}'
// Prints one JSON line. full: the trainer's setup, a policy and a second model as the KL reference, AdamW
// over every weight. lora: one frozen base, the reference is that base with the adapter off (baseView),
// AdamW over the adapter only.
import { parseConfig, type ModelConfig } from '../src/model/config.js';
import type { Model } from '../src/model/model.js';
import { LoraAdapter, LORA_MODULES } from '../src/model/lora.js';
import { mergeAdapter } from '../src/model/lora-io.js';
import { KVCache } from '../src/model/kvcache.js';
import { Optimizer, DEFAULT_OPTIM } from '../src/train/optim.js';
import { policyUpdate, type TrainSample } from '../src/rl/update.js';
import { cpu } from '../src/tensor/cpu.js';
import { benchModel } from './qwen.js';

/** Qwen2.5-1.5B's config.json fields that set the cost (Qwen/Qwen2.5-1.5B on the HF hub). */
export const QWEN15B_CONFIG = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28,
  num_attention_heads: 12, num_key_value_heads: 2, tie_word_embeddings: true, rope_theta: 1000000,
  rms_norm_eps: 1e-6, max_position_embeddings: 32768,
} as const;

export interface StepArgs { variant: 'lora' | 'full'; layers: number; B: number; P: number; R: number; micro: number; r: number; decode: boolean }

function samples(a: StepArgs, V: number): TrainSample[] {
  let s = 12345;
  const tok = (): number => { s = (Math.imul(s, 1103515245) + 12345) >>> 0; return s % V; };
  return Array.from({ length: a.B }, (_, b) => ({
    promptIds: Array.from({ length: a.P }, tok), respIds: Array.from({ length: a.R }, tok),
    oldLogp: new Array(a.R).fill(-Math.log(V)), advantage: b % 2 ? 1 : -1,
  }));
}

/** Decode tokens/s of 8 sequences, 4 single-token steps after a 16-token prefill. */
function decodeRate(model: Model): number {
  const B = 8, slots = Int32Array.from({ length: B }, (_, i) => i);
  const cache = new KVCache(model.cfg, model.be, B, 32);
  model.step(cache, slots, new Int32Array(B * 16).fill(7), 16);
  const t0 = performance.now();
  for (let i = 0; i < 4; i++) model.step(cache, slots, new Int32Array(B).fill(11 + i), 1);
  return (B * 4) / ((performance.now() - t0) / 1000);
}

async function main(): Promise<void> {
  const a = JSON.parse(process.argv[2]!) as StepArgs;
  const cfg: ModelConfig = parseConfig({ ...QWEN15B_CONFIG, num_hidden_layers: a.layers });
  const be = cpu();
  const tBuild = performance.now();
  const policy = benchModel(1, be, cfg);
  let ref: Model, opt: Optimizer;
  if (a.variant === 'full') {
    ref = benchModel(1, be, cfg);
    ref.trainable = false;
    opt = new Optimizer(policy.params, DEFAULT_OPTIM, be);
  } else {
    policy.adapter = LoraAdapter.init({ r: a.r, alpha: 2 * a.r, dropout: 0, targetModules: [...LORA_MODULES], rslora: false },
      policy.params.values(), be, 1);
    policy.trainable = false;
    ref = policy.baseView();
    opt = new Optimizer(policy.adapter.params, DEFAULT_OPTIM, be);
  }
  const buildSeconds = (performance.now() - tBuild) / 1000;
  const batch = samples(a, cfg.vocabSize);
  const cpu0 = process.cpuUsage(), t0 = performance.now();
  const st = await policyUpdate(policy, ref, opt, batch, {
    objective: () => ({ clipLow: 0.2, clipHigh: 0.2, clipRatioC: 3, aggMode: 'token-mean', klCoef: 0.001, klType: 'low_var_kl', entropyCoef: 0 }),
    miniBatch: a.B, microBatch: a.micro, gradClip: 1, temperature: 1, lr: 1e-6,
  });
  const seconds = (performance.now() - t0) / 1000, cu = process.cpuUsage(cpu0);
  const trainable = [...opt.params.values()].reduce((n, p) => n + p.buf.n, 0);
  const out: Record<string, unknown> = {
    variant: a.variant, layers: a.layers, params: policy.numParams(), trainableParams: trainable,
    responses: a.B, tokens: a.B * (a.P + a.R), responseTokens: st.tokens, seconds: +seconds.toFixed(3),
    cpuSeconds: +((cu.user + cu.system) / 1e6).toFixed(3), tokensPerS: +((a.B * (a.P + a.R)) / seconds).toFixed(2),
    peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024), buildSeconds: +buildSeconds.toFixed(1), loss: st.loss,
  };
  if (a.decode && a.variant === 'lora') {
    policy.freeScratch();
    const unmerged = decodeRate(policy);
    mergeAdapter(policy);  // in place here; a trainer would merge into a scratch copy of the weights
    const merged = decodeRate(policy);
    out.rolloutDecode = { unmergedTokensPerS: +unmerged.toFixed(2), mergedTokensPerS: +merged.toFixed(2), mergedOverUnmerged: +(merged / unmerged).toFixed(3) };
  }
  process.stdout.write(JSON.stringify(out) + '\n');
}

await main();
