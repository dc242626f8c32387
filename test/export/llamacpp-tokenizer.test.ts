// The embedded tokenizer as llama.cpp sees it: a hand-written Qwen2-style byte-level BPE tokenizer
// (fixtures.ts `tinyTokenizer`) on a small random Qwen2 model, exported and loaded in llama.cpp.
// Expected token ids are worked out by hand from the merge list.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { parseConfig } from '../../src/model/config.js';
import { writeModelGguf } from '../../src/export/gguf-model.js';
import { bpeVocabMetadata } from '../../src/export/gguf-vocab.js';
import { randomWeights } from '../../src/export/random-weights.js';
import { tinyTokenizer } from './fixtures.js';
import { cpuLlama, loadNodeLlamaCpp } from './llamacpp.js';

const { nlc, skip } = await loadNodeLlamaCpp();

const CFG = parseConfig({
  model_type: 'qwen2', vocab_size: 272, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1,
  num_attention_heads: 2, num_key_value_heads: 1, rope_theta: 1e6, rms_norm_eps: 1e-6, tie_word_embeddings: true,
  max_position_embeddings: 64,
});

describe('embedded byte-level BPE tokenizer in llama.cpp', { skip }, () => {
  let llama: NodeLlamaCpp.Llama;
  let model: NodeLlamaCpp.LlamaModel;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-gguf-tok-'));
  const { tokenizer, tokenizerConfig } = tinyTokenizer();
  const file = path.join(dir, 'tiny.gguf');
  before(async () => {
    writeModelGguf(file, CFG, randomWeights(CFG, 5), bpeVocabMetadata({ tokenizer, tokenizerConfig }, CFG.vocabSize, {}), { dtype: 'f32', name: 'tiny' });
    llama = await cpuLlama(nlc!);
    model = await llama.loadModel({ modelPath: file });
  });
  after(async () => { await model?.dispose(); await llama?.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

  test('text → ids follows the merges and the Qwen2 split; ids → text round-trips', () => {
    // "hello" → h e l l o → "he" (rank 1), "ll" (rank 3), "llo" (rank 4): [he, llo]
    // " the"  → Ġ t h e   → "Ġt" (rank 0), "he" (rank 1), "Ġthe" (rank 2)
    // " world" and "!\n" have no merges: one token per byte (Ġ = byte 0x20 = id 32)
    const text = 'hello the world!\n';
    const want = [257, 260, 258, 32, 119, 111, 114, 108, 100, 33, 10];
    assert.deepEqual(Array.from(model.tokenize(text)), want);
    assert.equal(model.detokenize(model.tokenize(text)), text);
    // a non-ASCII character becomes its UTF-8 bytes
    assert.deepEqual(Array.from(model.tokenize('é')), [0xc3, 0xa9]);
  });

  test('special tokens, eos and padding ids; vocab padding entries are unused', () => {
    assert.deepEqual(Array.from(model.tokenize('<|im_start|>user', true)), [262, 117, 115, 101, 114]);
    assert.equal(model.tokens.eos, 263);
    assert.equal(model.tokens.bos, null); // tokenizer_config has bos_token null and config gives none
    assert.equal(model.tokens.shouldPrependBosToken, false);
    assert.equal(model.detokenize([263 as NodeLlamaCpp.Token], true), '<|im_end|>');
    assert.equal(model.vocabularyType, 'bpe');
    const md = model.fileInfo.metadata as unknown as { tokenizer: { chat_template: string; ggml: { pre: string; padding_token_id: number } } };
    assert.equal(md.tokenizer.ggml.pre, 'qwen2');
    assert.equal(md.tokenizer.ggml.padding_token_id, 261);
    assert.equal(md.tokenizer.chat_template, (tokenizerConfig as { chat_template: string }).chat_template);
  });

  test('node-llama-cpp renders the embedded chat template', () => {
    const wrapper = nlc!.resolveChatWrapper(model, { type: 'jinjaTemplate' });
    assert.ok(wrapper instanceof nlc!.JinjaTemplateChatWrapper, `got ${wrapper?.constructor.name}`);
    const { contextText } = wrapper.generateContextState({ chatHistory: [{ type: 'user', text: 'hi' }, { type: 'model', response: [] }] });
    const rendered = contextText.toString();
    assert.match(rendered, /<\|im_start\|>user\nhi<\|im_end\|>\n<\|im_start\|>assistant\n/);
  });
});
