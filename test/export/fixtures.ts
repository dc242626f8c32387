// Test-side access to the hf-parity fixtures (tiny random Llama / Qwen2 checkpoints with transformers'
// reference outputs) and to node-llama-cpp, which is optional: tests that need it skip with a reason.
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DIR } from '../shared.js';
import type { ExportModelConfig } from '../../src/export/gguf-llama.js';

export const PARITY_DIR = path.join(SHARED_DIR, 'fixtures', 'hf-parity');

export interface Reference {
  input_ids: number[][];
  logits: number[][][];
  target_logprobs: number[][];
  generation: { prompt: number[][]; new_tokens: number[][]; step_logits: number[][] };
  long?: { input_ids: number[][]; logits: number[][][] };
}

export function readReference(name: string): Reference {
  return JSON.parse(fs.readFileSync(path.join(PARITY_DIR, name, 'reference.json'), 'utf8')) as Reference;
}

// TEMPORARY until src/model lands on main (readConfig / readSafetensors): the smallest readers that
// cover the F32 fixtures, so the exporter can be tested without the engine.
export function fixtureConfig(name: string): ExportModelConfig & { bosId?: number; eosId?: number } {
  const c = JSON.parse(fs.readFileSync(path.join(PARITY_DIR, name, 'config.json'), 'utf8'));
  const rs = c.rope_scaling;
  return {
    modelType: c.model_type, vocabSize: c.vocab_size, hidden: c.hidden_size, intermediate: c.intermediate_size,
    nLayers: c.num_hidden_layers, nHeads: c.num_attention_heads, nKvHeads: c.num_key_value_heads,
    headDim: c.hidden_size / c.num_attention_heads, ropeTheta: c.rope_theta, rmsEps: c.rms_norm_eps,
    tieEmbeddings: c.tie_word_embeddings === true, attnBias: c.model_type === 'qwen2' || c.attention_bias === true,
    maxPos: c.max_position_embeddings,
    ropeScaling: rs ? { type: 'llama3', factor: rs.factor, lowFreqFactor: rs.low_freq_factor, highFreqFactor: rs.high_freq_factor,
      originalMaxPos: rs.original_max_position_embeddings } : null,
    bosId: c.bos_token_id ?? undefined, eosId: c.eos_token_id ?? undefined,
  };
}

export function fixtureWeights(name: string): Map<string, { shape: number[]; data: Float32Array }> {
  const buf = fs.readFileSync(path.join(PARITY_DIR, name, 'model.safetensors'));
  const n = Number(buf.readBigUInt64LE(0));
  const header = JSON.parse(buf.subarray(8, 8 + n).toString('utf8'));
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const [k, v] of Object.entries(header) as [string, { dtype: string; shape: number[]; data_offsets: [number, number] }][]) {
    if (k === '__metadata__') continue;
    if (v.dtype !== 'F32') throw new Error(`fixture ${name}: ${k} is ${v.dtype}`);
    const bytes = buf.subarray(8 + n + v.data_offsets[0], 8 + n + v.data_offsets[1]);
    out.set(k, { shape: v.shape, data: new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length)) });
  }
  return out;
}
