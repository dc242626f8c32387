// A TTRL run with a LoRA adapter on the demo base (assets/demo-base): only the adapter trains (the base on disk and in memory
// stays as it was), the KL reference is the base with the adapter off, checkpoints and final/ hold PEFT's
// adapter files (plus optimizer state) and no model weights, a resumed run ends bit-identical to an
// uninterrupted one, and `export --adapter` merges the adapter into a GGUF that llama.cpp runs as ttrl does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { loadConfig } from '../../src/rl/config-io.js';
import { train } from '../../src/rl/trainer.js';
import { loadModel } from '../../src/model/model.js';
import { attachAdapter } from '../../src/model/lora-io.js';
import { readSafetensorsFile } from '../../src/model/safetensors.js';
import { exportGguf } from '../../src/export/export.js';
import os from 'node:os';
import { taskData } from './tiny.js';
import { repoRoot } from '../shared.js';
import { cpuLlama, exactContext, loadNodeLlamaCpp, logitsAt } from '../export/llamacpp.js';

const LORA = { r: 4, alpha: 8, target_modules: ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] };

function cfgFor(modelDir: string, data: string) {
  return loadConfig(null, {
    'model.path': modelDir, 'model.lora': LORA, 'data.path': data, 'data.prompts_per_step': 2, 'rollout.n_votes': 6, 'rollout.n_train': 4,
    'rollout.max_response_len': 12, 'optim.mini_batch': 4, 'optim.micro_batch': 2, 'optim.lr': 1e-2, 'optim.schedule': 'constant',
    'optim.warmup_ratio': 0, 'eval.every': 0, 'eval.at_start': false, 'run.episodes': 2, 'run.seed': 5, 'run.save_every': 1,
  });
}

const adapterTensors = (dir: string) => readSafetensorsFile(path.join(dir, 'adapter_model.safetensors'));

test('LoRA run: adapter-only checkpoints, base untouched, resume bit-identical, merged GGUF runs in llama.cpp', async (t) => {
  const dir = path.join(repoRoot, 'assets', 'demo-base'), tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-lora-train-'));
  t.after(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const data = taskData(tmp, 4), cfg = cfgFor(dir, data);
  const baseBytes = fs.readFileSync(path.join(dir, 'model.safetensors'));
  const full = path.join(tmp, 'full'), part = path.join(tmp, 'part');
  await train(cfg, { out: full, quiet: true, report: false });
  await train(cfg, { out: part, quiet: true, report: false, maxSteps: 2 });
  await train(cfg, { out: part, quiet: true, report: false, resume: true });

  const final = path.join(full, 'final'), ckpt = path.join(full, 'checkpoints', 'step-3');
  for (const d of [final, ckpt]) {
    assert.ok(fs.existsSync(path.join(d, 'adapter_config.json')), `${d} has adapter_config.json`);
    assert.ok(!fs.existsSync(path.join(d, 'model.safetensors')), `${d} holds no model weights`);
  }
  const optNames = [...readSafetensorsFile(path.join(ckpt, 'optimizer.safetensors')).keys()];
  assert.ok(optNames.length > 0 && optNames.every((n) => /^[mv]\.base_model\.model\..*\.lora_[AB]\.weight$/.test(n)), 'optimizer state is the adapter\'s only');
  assert.deepEqual(fs.readFileSync(path.join(dir, 'model.safetensors')), baseBytes, 'the base model file is untouched');

  const a = adapterTensors(final), b = adapterTensors(path.join(part, 'final'));
  assert.equal(a.size, 4 * 7 * 2);  // four layers, seven modules, A and B
  for (const [n, x] of a) assert.deepEqual(b.get(n)!.data, x.data, `${n} differs after resume`);
  const bNorm = [...a].filter(([n]) => n.endsWith('lora_B.weight')).reduce((s, [, x]) => s + x.data.reduce((u, v) => u + v * v, 0), 0);
  assert.ok(bNorm > 0, 'lora_B moved from its zero init: the adapter trained');
  const kl = fs.readFileSync(path.join(full, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l).kl);
  assert.ok(kl.every((x: unknown) => typeof x === 'number'), `kl logged against the base: ${kl}`);

  const { nlc, skip } = await loadNodeLlamaCpp();
  if (skip) { t.diagnostic(`llama.cpp check skipped: ${skip}`); return; }
  const gguf = path.join(tmp, 'merged.gguf');
  exportGguf({ modelDir: dir, adapterDir: final, out: gguf, dtype: 'f32' });
  const model = loadModel(dir);
  attachAdapter(model, final);
  const ids = [3, 17, 42, 8, 99, 5];
  const want = model.forwardLogits({ B: 1, T: ids.length, ids: Int32Array.from(ids), mask: new Float32Array(ids.length).fill(1) });
  const llama = await cpuLlama(nlc!);
  try {
    const m = await llama.loadModel({ modelPath: gguf });
    const ctx = await exactContext(m, 32);
    const rows = await logitsAt(ctx.getSequence(), ids, model.cfg.vocabSize);
    const V = model.cfg.vocabSize;
    let d = 0;
    rows.forEach((row, i) => { for (let v = 0; v < V; v++) d = Math.max(d, Math.abs(row[v]! - want[i * V + v]!)); });
    assert.ok(d < 1e-4, `llama.cpp logits of the merged export vs ttrl's adapted model: maxdiff ${d}`);
    await ctx.dispose();
    await m.dispose();
  } finally {
    await llama.dispose();
  }
});
