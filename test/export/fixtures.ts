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

import { byteAlphabet } from '../../src/export/gguf-vocab.js';

export const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/**
 * A small Qwen2-style byte-level BPE tokenizer, written out by hand: the 256 byte tokens (ids 0..255 in
 * byte order), five merges making "Ġt", "he", "Ġthe", "ll", "llo" (ids 256..260), and three special
 * tokens (ids 261..263). `mergeStyle` picks the old ("a b") or new (["a","b"]) tokenizer.json format.
 */
export function tinyTokenizer(mergeStyle: 'string' | 'pair' = 'pair'): { tokenizer: object; tokenizerConfig: object } {
  const alphabet = byteAlphabet();
  const vocab: Record<string, number> = {};
  alphabet.forEach((c, i) => { vocab[c] = i; });
  const merges: Array<[string, string]> = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['l', 'l'], ['ll', 'o']];
  merges.forEach(([a, b], i) => { vocab[a + b] = 256 + i; });
  const special = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  return {
    tokenizer: {
      version: '1.0',
      added_tokens: special.map((content, i) => ({ id: 261 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'NFC' },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_REGEX }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      ] },
      post_processor: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: false },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: '', end_of_word_suffix: '',
        fuse_unk: false, byte_fallback: false, vocab, merges: mergeStyle === 'pair' ? merges : merges.map((m) => m.join(' ')) },
    },
    tokenizerConfig: {
      add_prefix_space: false, bos_token: null, eos_token: '<|im_end|>', pad_token: '<|endoftext|>',
      chat_template: "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}",
    },
  };
}
