// `ttrl train` on a random Qwen3 (q/k norms, head_dim ≠ hidden/heads, tied head, Qwen3's vocabulary of
// 151,936) with the real Qwen3 tokenizer and chat template, thinking off, on the AIME prompts of ttrl-bench:
// one step runs end to end and moves the weights. A much smaller model than Qwen3-0.6B keeps this fast;
// the 0.6B shape itself runs in the benchmark (`npm run bench -- --only qwen3`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../../src/rl/config-io.js';
import { train } from '../../src/rl/trainer.js';
import { initModel, loadModel } from '../../src/model/model.js';
import { parseConfig } from '../../src/model/config.js';
import { realTokenizerDir } from '../tokenizer/real.js';
import { SHARED_DIR } from '../shared.js';

test('ttrl train: one step of a random Qwen3 with the real Qwen3 tokenizer on AIME prompts', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-qwen3-real-'));
  try {
    for (const f of ['tokenizer.json', 'tokenizer_config.json']) fs.copyFileSync(path.join(realTokenizerDir('qwen3'), f), path.join(dir, f));
    const cfg = parseConfig({ model_type: 'qwen3', vocab_size: 151936, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 1,
      num_attention_heads: 2, num_key_value_heads: 1, head_dim: 12, tie_word_embeddings: true, rope_theta: 1e6,
      max_position_embeddings: 2048, eos_token_id: 151645 });
    initModel(cfg, 3).save(dir);
    const run = path.join(dir, 'run');
    const res = await train(loadConfig(null, {
      'model.path': dir, 'model.enable_thinking': false, 'data.path': path.join(SHARED_DIR, 'data', 'ttrl-bench', 'AIME-TTT.json'),
      'data.prompts_per_step': 2, 'data.max_prompt_len': 1024, 'rollout.n_votes': 4, 'rollout.n_train': 2, 'rollout.max_response_len': 6,
      'optim.mini_batch': 4, 'optim.micro_batch': 2, 'optim.lr': 1e-2, 'eval.at_start': false, 'eval.every': 0, 'run.episodes': 1,
    }), { out: run, quiet: true, report: false, maxSteps: 1 });
    assert.equal(res.steps, 1);
    const step = JSON.parse(fs.readFileSync(path.join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').at(-1)!);
    assert.equal(step.step, 1);
    assert.ok(step.resp_len_mean > 0 && Number.isFinite(step.loss), JSON.stringify(step));
    const before = loadModel(dir), after = loadModel(path.join(run, 'final'));
    const q = 'model.layers.0.self_attn.q_norm.weight';
    assert.notDeepEqual(after.be.read(after.params.get(q)!.buf), before.be.read(before.params.get(q)!.buf), 'q_norm trained');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
