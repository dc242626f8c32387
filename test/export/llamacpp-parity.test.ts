// Exported GGUF files run in llama.cpp (node-llama-cpp's prebuilt CPU build) against transformers'
// reference outputs for the hf-parity fixtures: metadata as llama.cpp reports it, logits and log-probs at
// float32 tolerance, and greedy tokens (by argmax of llama.cpp's logits and by llama.cpp's own sampler).
// The fixtures have no tokenizer, so they are exported with the synthetic byte vocabulary (--byte-vocab)
// and fed token ids directly.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { mapSource } from '../../src/export/gguf-llama.js';
import { writeModelGguf } from '../../src/export/gguf-model.js';
import { byteVocabMetadata } from '../../src/export/gguf-vocab.js';
import { configSpecialIds } from '../../src/export/export.js';
import { fixture, readReference } from './fixtures.js';
import { cpuLlama, exactContext, greedyByLogits, greedyBySampler, loadNodeLlamaCpp, logitsAt, logProb } from './llamacpp.js';

const { nlc, skip } = await loadNodeLlamaCpp();
const TOL = 1e-4; // the fixture README's float32 tolerance for logits and log-probs

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return a.length === b.length ? m : Infinity;
}

function exportFixture(name: string, dtype: 'f32' | 'f16', dir: string): string {
  const { cfg, weights } = fixture(name);
  const out = path.join(dir, `${name}-${dtype}.gguf`);
  writeModelGguf(out, cfg, mapSource(weights), byteVocabMetadata(cfg.vocabSize, configSpecialIds(cfg)), { dtype, name });
  return out;
}

describe('GGUF export runs in llama.cpp like transformers', { skip }, () => {
  let llama: NodeLlamaCpp.Llama;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-gguf-parity-'));
  before(async () => { llama = await cpuLlama(nlc!); });
  after(async () => { await llama?.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

  for (const name of ['llama', 'qwen2', 'llama3', 'qwen3']) {
    test(`${name}: metadata, logits, log-probs and greedy tokens`, async (t) => {
      const { cfg } = fixture(name);
      const ref = readReference(name);
      const file = exportFixture(name, 'f32', dir);

      const info = await nlc!.readGgufFileInfo(file, { logWarnings: false });
      const arch = (info.metadata as unknown as Record<string, Record<string, unknown>>)[cfg.modelType]!;
      assert.equal(info.metadata.general.architecture, cfg.modelType);
      assert.equal(arch.block_count, cfg.nLayers);
      assert.equal(arch.embedding_length, cfg.hidden);
      assert.equal(arch.feed_forward_length, cfg.intermediate);
      assert.equal(arch.context_length, cfg.maxPos);
      assert.deepEqual(arch.attention, { head_count: cfg.nHeads, head_count_kv: cfg.nKvHeads, key_length: cfg.headDim,
        value_length: cfg.headDim, layer_norm_rms_epsilon: Math.fround(cfg.rmsEps) });
      assert.equal((arch.rope as { freq_base: number }).freq_base, cfg.ropeTheta);

      const model = await llama.loadModel({ modelPath: file });
      try {
        // What llama.cpp itself reports after loading.
        assert.equal(model.trainContextSize, cfg.maxPos);
        assert.equal(model.embeddingVectorSize, cfg.hidden);
        assert.equal(model.fileInsights.totalLayers, cfg.nLayers + 1);
        assert.equal(model.vocabularyType, 'bpe');
        assert.equal(model.tokens.eos, cfg.eosIds[0] ?? null);
        assert.equal(model.tokens.bos, cfg.bosId ?? null);
        assert.match(model.typeDescription, new RegExp(`^${cfg.modelType} .*all F32`));

        const ctx = await exactContext(model, 128);
        const seq = ctx.getSequence();
        // Logits at every position of both reference rows, and the next-token log-probs.
        let maxLogit = 0, maxLp = 0;
        for (let b = 0; b < 2; b++) {
          const ids = ref.input_ids[b]!;
          const rows = await logitsAt(seq, ids, cfg.vocabSize);
          rows.forEach((row, t) => {
            maxLogit = Math.max(maxLogit, maxAbsDiff(row, ref.logits[b]![t]!));
            if (t + 1 < ids.length) maxLp = Math.max(maxLp, Math.abs(logProb(row, ids[t + 1]!) - ref.target_logprobs[b]![t]!));
          });
        }
        assert.ok(maxLogit < TOL, `logits maxdiff ${maxLogit}`);
        assert.ok(maxLp < TOL, `log-prob maxdiff ${maxLp}`);

        // Greedy: argmax of llama.cpp's logits, step logits against transformers' generate().
        const want = ref.generation.new_tokens[0]!;
        const g = await greedyByLogits(seq, ref.generation.prompt[0]!, want.length, cfg.vocabSize);
        assert.deepEqual(g.tokens, want);
        const stepDiff = Math.max(...g.stepLogits.map((row, s) => maxAbsDiff(row, ref.generation.step_logits[s]!)));
        assert.ok(stepDiff < TOL, `step logits maxdiff ${stepDiff}`);
        // Greedy by llama.cpp's own sampler; its confidence is the probability of the chosen token.
        const s = await greedyBySampler(seq, ref.generation.prompt[0]!, want.length);
        assert.deepEqual(s.tokens, want);
        const pDiff = Math.max(...s.probs.map((p, i) => Math.abs(Math.log(p) - logProb(ref.generation.step_logits[i]!, want[i]!))));
        assert.ok(pDiff < 1e-3, `sampler log-prob maxdiff ${pDiff}`);
        t.diagnostic(`${name}: maxdiff logits ${maxLogit.toExponential(2)}, log-probs ${maxLp.toExponential(2)}, `
          + `generate step logits ${stepDiff.toExponential(2)}, sampler log-probs ${pDiff.toExponential(2)}`);

        if (ref.long) { // llama3: 100 positions, past original_max_position_embeddings (64): checks rope_freqs
          const rows = await logitsAt(seq, ref.long.input_ids[0]!, cfg.vocabSize);
          const d = Math.max(...rows.map((row, t) => maxAbsDiff(row, ref.long!.logits[0]![t]!)));
          assert.ok(d < TOL, `long logits maxdiff ${d}`);
          t.diagnostic(`${name}: maxdiff logits over 100 positions ${d.toExponential(2)}`);
        }
        await ctx.dispose();
      } finally {
        await model.dispose();
      }
    });
  }

  test('F16 export: llama.cpp reports F16 weights and F32 norms; logits within F16 rounding', async (t) => {
    const file = exportFixture('qwen2', 'f16', dir);
    const info = await nlc!.readGgufFileInfo(file, { logWarnings: false });
    const types = new Map(info.fullTensorInfo!.map((t) => [t.name, t.ggmlType]));
    assert.equal(types.get('blk.0.attn_q.weight'), nlc!.GgmlType.F16);
    assert.equal(types.get('blk.0.attn_q.bias'), nlc!.GgmlType.F32);
    assert.equal(types.get('output_norm.weight'), nlc!.GgmlType.F32);
    assert.equal(info.metadata.general.file_type, 1);
    const ref = readReference('qwen2');
    const model = await llama.loadModel({ modelPath: file });
    try {
      assert.match(model.typeDescription, /F16/);
      const ctx = await exactContext(model, 64);
      const rows = await logitsAt(ctx.getSequence(), ref.input_ids[0]!, 128);
      const d = Math.max(...rows.map((row, t) => maxAbsDiff(row, ref.logits[0]![t]!)));
      // weights rounded to F16 (relative error 2^-11) move these logits (|logit| < 4) by about 1e-2
      assert.ok(d < 0.05 && d > 1e-6, `F16 logits maxdiff ${d}`);
      t.diagnostic(`qwen2 F16: maxdiff logits ${d.toExponential(2)}`);
      await ctx.dispose();
    } finally {
      await model.dispose();
    }
  });
});
