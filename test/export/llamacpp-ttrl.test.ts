// ttrl's own engine against llama.cpp running ttrl's GGUF export of the same weights: greedy tokens for
// several prompts, and per-step logits / log-probs. Two independent implementations agreeing is the check;
// transformers' reference is not involved here (llamacpp-parity.test.ts does that).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { configSpecialIds } from '../../src/export/export.js';
import { mapSource, type TensorSource } from '../../src/export/gguf-llama.js';
import { writeModelGguf } from '../../src/export/gguf-model.js';
import { bpeVocabMetadata, byteVocabMetadata, readHfTokenizerFiles } from '../../src/export/gguf-vocab.js';
import { makeProblem } from '../../src/demo/task.js';
import { buildPrompt, loadTokenizer, trainBpe, writeTokenizerFiles } from '../../src/tokenizer/index.js';
import { materialize, randomWeights } from '../../src/export/random-weights.js';
import { parseConfig, type ModelConfig } from '../../src/model/config.js';
import { greedyGenerate } from '../../src/model/generate.js';
import { Model } from '../../src/model/model.js';
import { paramsFromHost } from '../../src/model/params.js';
import { cpu } from '../../src/tensor/cpu.js';
import { fixture, readReference, tinyTokenizer } from './fixtures.js';
import { cpuLlama, exactContext, greedyByLogits, greedyBySampler, loadNodeLlamaCpp, logProb } from './llamacpp.js';

const { nlc, skip } = await loadNodeLlamaCpp();
const STEPS = 12;

function ttrlModel(cfg: ModelConfig, src: TensorSource): Model {
  return new Model(cfg, paramsFromHost(cfg, materialize(src), cpu(), 'test weights'), cpu());
}

/** Smallest gap between the best and second-best logit over the rows (how close greedy came to a tie). */
function minTop2Gap(rows: Float32Array[]): number {
  let g = Infinity;
  for (const r of rows) {
    let a = -Infinity, b = -Infinity;
    for (const x of r) { if (x > a) { b = a; a = x; } else if (x > b) b = x; }
    g = Math.min(g, a - b);
  }
  return g;
}

describe('ttrl and llama.cpp decode the exported model alike', { skip }, () => {
  let llama: NodeLlamaCpp.Llama;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-gguf-ttrl-'));
  before(async () => { llama = await cpuLlama(nlc!); });
  after(async () => { await llama?.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

  /** Greedy-decode each prompt in both engines; compare tokens and the logits along ttrl's path. */
  async function compare(t: { diagnostic(s: string): void }, label: string, cfg: ModelConfig, file: string, model: Model, prompts: number[][]): Promise<void> {
    const m = await llama.loadModel({ modelPath: file });
    try {
      const ctx = await exactContext(m, 128);
      const seq = ctx.getSequence();
      let maxLogit = 0, maxLp = 0, gap = Infinity;
      for (const prompt of prompts) {
        const ours = greedyGenerate(model, [prompt], STEPS, { eosIds: [], keepLogits: true });
        const theirs = await greedyByLogits(seq, prompt, STEPS, cfg.vocabSize);
        assert.deepEqual(theirs.tokens, ours.tokens[0], `${label}: prompt [${prompt}]`);
        const sampled = await greedyBySampler(seq, prompt, STEPS);
        assert.deepEqual(sampled.tokens, ours.tokens[0], `${label}: llama.cpp sampler, prompt [${prompt}]`);
        ours.stepLogits!.forEach((row, s) => {
          const other = theirs.stepLogits[s]!;
          for (let v = 0; v < cfg.vocabSize; v++) maxLogit = Math.max(maxLogit, Math.abs(row[v]! - other[v]!));
          const tok = ours.tokens[0]![s]!;
          maxLp = Math.max(maxLp, Math.abs(logProb(row, tok) - Math.log(sampled.probs[s]!)));
        });
        gap = Math.min(gap, minTop2Gap(ours.stepLogits!));
      }
      t.diagnostic(`${label}: ${prompts.length} prompts × ${STEPS} tokens; maxdiff logits ${maxLogit.toExponential(2)}, `
        + `chosen-token log-prob vs llama.cpp sampler ${maxLp.toExponential(2)}; smallest top-2 gap ${gap.toExponential(2)}`);
      assert.ok(maxLogit < 1e-4, `${label}: logits maxdiff ${maxLogit}`);
      assert.ok(maxLp < 1e-3, `${label}: log-prob maxdiff ${maxLp}`);
      await ctx.dispose();
    } finally {
      await m.dispose();
    }
  }

  for (const name of ['llama', 'qwen2', 'llama3', 'qwen3']) {
    test(`${name} fixture: greedy tokens and logits for several prompts`, async (t) => {
      const { cfg, weights } = fixture(name);
      const file = path.join(dir, `${name}.gguf`);
      writeModelGguf(file, cfg, mapSource(weights), byteVocabMetadata(cfg.vocabSize, configSpecialIds(cfg)), { dtype: 'f32', name });
      const ref = readReference(name);
      const prompts = [ref.generation.prompt[0]!, ref.input_ids[0]!, ref.input_ids[1]!.slice(0, 3), [ref.input_ids[1]![5]!]];
      await compare(t, name, cfg, file, ttrlModel(cfg, mapSource(fixture(name).weights)), prompts);
    });
  }

  test('demo-shaped Llama (head_dim 24, tied head) with a ttrl-trained tokenizer: chat prompts of demo problems', async (t) => {
    const tokDir = path.join(dir, 'demo-tok');
    const corpus = Array.from({ length: 100 }, (_, i) => makeProblem(1 + (i % 5), 1, i)).flatMap((p) => [p.prompt, p.solution]);
    await writeTokenizerFiles(tokDir, trainBpe(corpus, { vocabSize: 300, style: 'qwen2' }));
    const tok = await loadTokenizer(tokDir);
    const cfg = parseConfig({ model_type: 'llama', vocab_size: tok.vocabSize, hidden_size: 96, intermediate_size: 256,
      num_hidden_layers: 4, num_attention_heads: 4, num_key_value_heads: 4, head_dim: 24, max_position_embeddings: 256,
      rms_norm_eps: 1e-5, tie_word_embeddings: true });
    const file = path.join(dir, 'demo.gguf');
    writeModelGguf(file, cfg, randomWeights(cfg, 4), bpeVocabMetadata(readHfTokenizerFiles(tokDir), cfg.vocabSize, {}), { dtype: 'f32', name: 'demo' });
    const prompts = [1, 2, 3, 4, 5].map((l) => buildPrompt(tok, makeProblem(l, 8, l).prompt, { mode: 'chat' }).ids);
    await compare(t, 'demo-shaped llama', cfg, file, ttrlModel(cfg, randomWeights(cfg, 4)), prompts);
  });

  test('random Qwen2 model with an embedded tokenizer: text prompts tokenized by llama.cpp', async (t) => {
    const cfg = parseConfig({
      model_type: 'qwen2', vocab_size: 272, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 2,
      num_attention_heads: 4, num_key_value_heads: 2, rope_theta: 1e6, rms_norm_eps: 1e-6, tie_word_embeddings: true,
      max_position_embeddings: 128,
    });
    const file = path.join(dir, 'tiny.gguf');
    const { tokenizer, tokenizerConfig } = tinyTokenizer();
    writeModelGguf(file, cfg, randomWeights(cfg, 9), bpeVocabMetadata({ tokenizer, tokenizerConfig }, cfg.vocabSize, {}), { dtype: 'f32', name: 'tiny' });
    const m = await llama.loadModel({ modelPath: file });
    const prompts = ['hello the world', 'the hello', '<|im_start|>user\nhi<|im_end|>\n'].map((s) => Array.from(m.tokenize(s, true)) as number[]);
    await m.dispose();
    assert.deepEqual(prompts[0], [257, 260, 258, 32, 119, 111, 114, 108, 100]); // worked out in llamacpp-tokenizer.test
    await compare(t, 'random qwen2', cfg, file, ttrlModel(cfg, randomWeights(cfg, 9)), prompts);
  });
});
