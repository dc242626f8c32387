// Test-side access to the hf-parity fixtures (tiny random Llama / Qwen2 checkpoints with transformers'
// reference outputs) and to node-llama-cpp, which is optional: tests that need it skip with a reason.
import fs from 'node:fs';
import path from 'node:path';
import { SHARED_DIR } from '../shared.js';
import { readConfig, type ModelConfig } from '../../src/model/config.js';
import { readSafetensors, type HostTensor } from '../../src/model/safetensors.js';

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

/** A fixture's config (src/model's parser) and weights (src/model's safetensors reader). */
export function fixture(name: string): { cfg: ModelConfig; weights: Map<string, HostTensor> } {
  const dir = path.join(PARITY_DIR, name);
  return { cfg: readConfig(dir), weights: readSafetensors(dir) };
}

import { BYTE_TO_CHAR } from '../../src/tokenizer/bytes.js';
import { QWEN2_SPLIT_PATTERN } from '../../src/tokenizer/pretokenize.js';

/**
 * A small Qwen2-style byte-level BPE tokenizer, written out by hand: the 256 byte tokens (ids 0..255 in
 * byte order), five merges making "Ġt", "he", "Ġthe", "ll", "llo" (ids 256..260), and three special
 * tokens (ids 261..263). `mergeStyle` picks the old ("a b") or new (["a","b"]) tokenizer.json format.
 */
export function tinyTokenizer(mergeStyle: 'string' | 'pair' = 'pair'): { tokenizer: object; tokenizerConfig: object } {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, i) => { vocab[c] = i; });
  const merges: Array<[string, string]> = [['Ġ', 't'], ['h', 'e'], ['Ġt', 'he'], ['l', 'l'], ['ll', 'o']];
  merges.forEach(([a, b], i) => { vocab[a + b] = 256 + i; });
  const special = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];
  return {
    tokenizer: {
      version: '1.0',
      added_tokens: special.map((content, i) => ({ id: 261 + i, content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true })),
      normalizer: { type: 'NFC' },
      pre_tokenizer: { type: 'Sequence', pretokenizers: [
        { type: 'Split', pattern: { Regex: QWEN2_SPLIT_PATTERN }, behavior: 'Isolated', invert: false },
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
