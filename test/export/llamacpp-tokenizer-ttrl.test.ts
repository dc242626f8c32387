// Tokenizers that ttrl trains (src/tokenizer, the demo's kind: Qwen2 and Llama 3 styles), embedded in GGUF:
// llama.cpp must tokenize and detokenize text exactly as ttrl's own tokenizer does, agree on bos / eos,
// and carry the chat template.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { writeModelGguf } from '../../src/export/gguf-model.js';
import { bpeVocabMetadata, readHfTokenizerFiles } from '../../src/export/gguf-vocab.js';
import { randomWeights } from '../../src/export/random-weights.js';
import { makeProblem } from '../../src/demo/task.js';
import { parseConfig } from '../../src/model/config.js';
import { loadTokenizer, trainBpe, writeTokenizerFiles, type Tok } from '../../src/tokenizer/index.js';
import { cpuLlama, loadNodeLlamaCpp } from './llamacpp.js';

const { nlc, skip } = await loadNodeLlamaCpp();

const CORPUS = Array.from({ length: 200 }, (_, i) => makeProblem(1 + (i % 5), 7, i)).flatMap((p) => [p.prompt, p.solution]);
const TEXTS = [
  ...[3, 4].map((l) => makeProblem(l, 99, 1)).flatMap((p) => [p.prompt, p.solution]),
  'Add up: 1234567 + 89', "We're   here,\n\n  they'll  see\t tabs\r\nand  'D  caps", 'naïve café — 你好, мир! 🚀🦙',
  '<|im_start|>user plain text that mentions a special token', '   leading and trailing   ',
];

for (const style of ['qwen2', 'llama3'] as const) {
  describe(`ttrl-trained ${style} tokenizer in llama.cpp`, { skip }, () => {
    let llama: NodeLlamaCpp.Llama;
    let model: NodeLlamaCpp.LlamaModel;
    let tok: Tok;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `ttrl-gguf-tok-${style}-`));
    before(async () => {
      await writeTokenizerFiles(dir, trainBpe(CORPUS, { vocabSize: 400, style }));
      tok = await loadTokenizer(dir);
      // An embedding a little larger than the vocab, as real checkpoints often have (padding ids).
      const cfg = parseConfig({ model_type: style === 'qwen2' ? 'qwen2' : 'llama', vocab_size: tok.vocabSize + 8, hidden_size: 32,
        intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 2, num_key_value_heads: 1, max_position_embeddings: 256 });
      const file = path.join(dir, 'm.gguf');
      writeModelGguf(file, cfg, randomWeights(cfg, 3), bpeVocabMetadata(readHfTokenizerFiles(dir), cfg.vocabSize, {}), { dtype: 'f32', name: style });
      llama = await cpuLlama(nlc!);
      model = await llama.loadModel({ modelPath: file });
    });
    after(async () => { await model?.dispose(); await llama?.dispose(); fs.rmSync(dir, { recursive: true, force: true }); });

    test('text → ids and ids → text match ttrl\'s tokenizer', () => {
      for (const text of TEXTS) {
        const ours = tok.encode(text);
        // Hugging Face tokenizers always match added tokens in text ("<|im_start|>" → one id); llama.cpp
        // does so when asked to parse special tokens.
        const theirs = Array.from(model.tokenize(text, true)) as number[];
        assert.deepEqual(theirs, ours, JSON.stringify(text));
        assert.equal(model.detokenize(theirs as NodeLlamaCpp.Token[], true), tok.decode(ours), JSON.stringify(text));
        assert.equal(model.detokenize(theirs as NodeLlamaCpp.Token[], false), tok.decode(ours, { skipSpecial: true }), JSON.stringify(text));
      }
    });

    test('bos / eos, whether a bos is prepended, and special tokens in text', () => {
      assert.equal(model.tokens.eos, tok.eosIds[0]);
      assert.equal(model.tokens.shouldPrependBosToken, style === 'llama3');
      if (style === 'llama3') {
        assert.equal(model.tokens.bos, tok.bosId);
        assert.deepEqual([model.tokens.bos, ...model.tokenize('hi')], tok.encode('hi', { addSpecial: true }));
      }
      const chat = tok.renderChat([{ role: 'user', content: 'Add up: 1 + 2' }], { addGenerationPrompt: true });
      assert.deepEqual(Array.from(model.tokenize(chat, true)), tok.encode(chat));
      const md = model.fileInfo.metadata as unknown as { tokenizer: { chat_template: string; ggml: { pre: string } } };
      assert.equal(md.tokenizer.chat_template, tok.chatTemplate);
      assert.equal(md.tokenizer.ggml.pre, style === 'qwen2' ? 'qwen2' : 'llama-bpe');
    });
  });
}
