// The whole model on every non-CPU backend against Hugging Face's outputs (../shared/fixtures/hf-parity)
// and against the CPU backend: logits, left-padded logits, per-position log-probs, every parameter's
// gradient of the mean next-token loss, and greedy decoding through the KV cache (views, copies and small
// uploads of the cache path). The kernel suites test each kernel alone; this tests that they compose.
//
// Tolerances: against HF, the fixture README's (logits / log-probs atol 1e-4, loss 1e-5, grads atol 1e-5 or
// 1e-4 of the tensor's largest |grad|, tokens exact). Against the CPU backend, tighter: logits atol 2e-5,
// grads 2e-5 of the tensor's largest |grad| (both backends are fp32; only summation orders differ).
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { loadModel, type Model, type Batch } from '../../src/model/model.js';
import { greedyGenerate } from '../../src/model/generate.js';
import { cpu } from '../../src/tensor/cpu.js';
import type { Backend } from '../../src/tensor/backend.js';
import { PARITY_DIR, reference, flat, maxDiff, lmBatch, meanNll, reportMaxDiff } from '../model/helpers.js';
import { backends, skippedBackends } from './helpers.js';

const MODELS = ['llama', 'qwen2', 'qwen3'];  // between them: biases, a tied head, GQA, two rope thetas, q/k norms




const others = (): Backend[] => backends().filter((b) => b.name !== 'cpu');

for (const s of skippedBackends()) test(`${s.name}: model parity with HF and the CPU backend`, { skip: s.reason }, () => {});

for (const be of others()) {
  for (const name of MODELS) {
    const dir = path.join(PARITY_DIR, name);

    test(`${be.name}: ${name}: logits and log-probs match HF and the CPU backend`, (t) => {
      const ref = reference(name);
      const model = loadModel(dir, be), host = loadModel(dir, cpu());
      const b = lmBatch(ref.input_ids);
      const logits = model.forwardLogits(b);
      reportMaxDiff(t, 'logits vs HF', maxDiff(logits, flat(ref.logits)), 1e-4);
      reportMaxDiff(t, 'logits vs cpu', maxDiff(logits, host.forwardLogits(b)), 2e-5);
      const lp = model.forward(b).logprobs, lpCpu = host.forward(b).logprobs;
      reportMaxDiff(t, 'target log-probs vs cpu', maxDiff(lp, lpCpu), 2e-5);

      const lpRef = ref.left_padded, V = model.cfg.vocabSize;
      const pb = lmBatch(lpRef.input_ids, lpRef.attention_mask), m = flat(lpRef.attention_mask);
      const real = (i: number): boolean => m[Math.floor(i / V)] === 1;
      reportMaxDiff(t, 'left-padded logits vs HF (mask = 1)', maxDiff(model.forwardLogits(pb), flat(lpRef.logits), real), 1e-4);
    });

    test(`${be.name}: ${name}: loss and every gradient match HF and the CPU backend`, (t) => {
      const ref = reference(name);
      const model = loadModel(dir, be), host = loadModel(dir, cpu());
      const batch = lmBatch(ref.input_ids);
      const loss = meanNll(model, batch), lossCpu = meanNll(host, batch);
      reportMaxDiff(t, 'loss vs HF', Math.abs(loss - ref.loss), 1e-5);
      reportMaxDiff(t, 'loss vs cpu', Math.abs(loss - lossCpu), 2e-6);
      for (const [pname, g] of Object.entries(ref.grads)) {
        const want = flat(g), p = model.params.get(pname) ?? model.head;
        const scale = Math.max(...want.map(Math.abs));
        reportMaxDiff(t, `${pname} grad vs HF`, maxDiff(be.read(p.grad!), want), Math.max(1e-5, 1e-4 * scale));
      }
      for (const [pname, p] of model.params) {
        const want = cpu().read(host.params.get(pname)!.grad!);
        const scale = want.reduce((a, x) => Math.max(a, Math.abs(x)), 0);
        reportMaxDiff(t, `${pname} grad vs cpu`, maxDiff(be.read(p.grad!), want), Math.max(1e-7, 2e-5 * scale));
      }
    });

    test(`${be.name}: ${name}: greedy decoding through the KV cache matches HF (tokens exact)`, (t) => {
      const ref = reference(name), g = ref.generation;
      const model = loadModel(dir, be);
      const res = greedyGenerate(model, g.prompt, 10, { eosIds: [], keepLogits: true });
      assert.deepEqual(res.tokens[0], g.new_tokens[0]);
      reportMaxDiff(t, 'step logits vs HF', maxDiff(res.stepLogits!.flatMap((x) => Array.from(x)), flat(g.step_logits)), 1e-4);
      const gb = ref.generation_left_padded_batch;
      const prompts = (gb.input_ids as number[][]).map((row, b) => row.filter((_, i) => gb.attention_mask[b][i] === 1));
      const batched = greedyGenerate(model, prompts, 10, { eosIds: [] });
      const T = gb.input_ids[0].length;
      for (let b = 0; b < 2; b++) assert.deepEqual(batched.tokens[b], gb.sequences[b].slice(T), `batched row ${b}`);
    });
  }
}
