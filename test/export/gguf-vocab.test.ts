import { test } from 'node:test';
import assert from 'node:assert/strict';
import { byteVocabMetadata, bpeVocabMetadata, preTokenizerName, TOKEN_TYPE } from '../../src/export/gguf-vocab.js';
import type { GgufValue } from '../../src/export/gguf-writer.js';
import { LLAMA3_SPLIT_PATTERN, QWEN2_SPLIT_PATTERN } from '../../src/tokenizer/pretokenize.js';
import { tinyTokenizer } from './fixtures.js';

const val = (md: Array<[string, GgufValue]>, k: string): unknown => md.find(([key]) => key === k)?.[1].value;

test('bpeVocabMetadata: tokens, types, merges, special ids, padding and the chat template', () => {
  for (const style of ['pair', 'string'] as const) {
    const { tokenizer, tokenizerConfig } = tinyTokenizer(style);
    const md = bpeVocabMetadata({ tokenizer, tokenizerConfig }, 270, { bos: 261, eos: 262 });
    assert.equal(val(md, 'tokenizer.ggml.model'), 'gpt2');
    assert.equal(val(md, 'tokenizer.ggml.pre'), 'qwen2');
    const tokens = val(md, 'tokenizer.ggml.tokens') as string[];
    assert.equal(tokens.length, 270);
    assert.equal(tokens[32], 'Ġ');
    assert.equal(tokens[258], 'Ġthe');
    assert.equal(tokens[263], '<|im_end|>');
    assert.equal(tokens[269], '[PAD269]');
    const types = Array.from(val(md, 'tokenizer.ggml.token_type') as Int32Array);
    assert.equal(types[65], TOKEN_TYPE.normal);
    assert.equal(types[261], TOKEN_TYPE.control);
    assert.equal(types[266], TOKEN_TYPE.unused);
    assert.deepEqual(val(md, 'tokenizer.ggml.merges'), ['Ġ t', 'h e', 'Ġt he', 'l l', 'll o']);
    // eos / pad come from tokenizer_config (by text); bos is null there, so config.json's id is used
    assert.equal(val(md, 'tokenizer.ggml.eos_token_id'), 263);
    assert.equal(val(md, 'tokenizer.ggml.padding_token_id'), 261);
    assert.equal(val(md, 'tokenizer.ggml.bos_token_id'), 261);
    assert.equal(val(md, 'tokenizer.ggml.add_bos_token'), false);
    assert.match(val(md, 'tokenizer.chat_template') as string, /<\|im_start\|>assistant/);
  }
});

test('bpeVocabMetadata: a Llama-3 style post-processor that prepends bos sets add_bos_token', () => {
  const { tokenizer, tokenizerConfig } = tinyTokenizer();
  const tj = { ...tokenizer, post_processor: { type: 'Sequence', processors: [
    { type: 'ByteLevel' },
    { type: 'TemplateProcessing', single: [{ SpecialToken: { id: '<|im_start|>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }] },
  ] } };
  const md = bpeVocabMetadata({ tokenizer: tj, tokenizerConfig: { ...tokenizerConfig, bos_token: '<|im_start|>' } }, 264, {});
  assert.equal(val(md, 'tokenizer.ggml.bos_token_id'), 262);
  assert.equal(val(md, 'tokenizer.ggml.add_bos_token'), true);
});

test('preTokenizerName: Qwen2, Llama 3 and GPT-2 are recognised; anything else is an error naming it', () => {
  const split = (re: string): object => ({ type: 'Sequence', pretokenizers: [{ type: 'Split', pattern: { Regex: re } }, { type: 'ByteLevel', use_regex: false }] });
  assert.equal(preTokenizerName(split(QWEN2_SPLIT_PATTERN)), 'qwen2');
  assert.equal(preTokenizerName(split(LLAMA3_SPLIT_PATTERN)), 'llama-bpe');
  assert.equal(preTokenizerName({ type: 'ByteLevel', add_prefix_space: false, use_regex: true }), 'gpt-2');
  assert.throws(() => preTokenizerName(split('\\s+')), /regex "\\\\s\+" is not one llama.cpp is known to implement.*--tokenizer-pre/);
});

test('bpeVocabMetadata: unsupported tokenizers and out-of-range ids are clear errors', () => {
  const { tokenizer, tokenizerConfig } = tinyTokenizer();
  const t = tokenizer as { model: object; decoder: object };
  assert.throws(() => bpeVocabMetadata({ tokenizer: { ...t, model: { ...t.model, type: 'Unigram' } }, tokenizerConfig }, 270, {}),
    /model\.type "Unigram" is not supported: GGUF export handles byte-level BPE/);
  assert.throws(() => bpeVocabMetadata({ tokenizer: { ...t, decoder: { type: 'Metaspace' } }, tokenizerConfig }, 270, {}),
    /is not ByteLevel/);
  assert.throws(() => bpeVocabMetadata({ tokenizer, tokenizerConfig }, 262, {}), /id 262, outside config.json vocab_size 262/);
});

test('byteVocabMetadata: one token per byte, no merges; refuses vocabularies over 256', () => {
  const md = byteVocabMetadata(128, { bos: 1, eos: 2 });
  const tokens = val(md, 'tokenizer.ggml.tokens') as string[];
  assert.equal(tokens.length, 128);
  assert.equal(tokens[0x20], 'Ġ');
  assert.deepEqual(val(md, 'tokenizer.ggml.merges'), []);
  assert.equal(val(md, 'tokenizer.ggml.eos_token_id'), 2);
  assert.deepEqual(Array.from(val(md, 'tokenizer.ggml.token_type') as Int32Array).slice(0, 4), [1, 3, 3, 1]);
  assert.throws(() => byteVocabMetadata(300, {}), /vocab_size ≤ 256/);
});
