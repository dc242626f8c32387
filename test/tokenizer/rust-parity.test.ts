// Parity with the reference implementation: Hugging Face's Rust `tokenizers` crate (through its
// official Node binding, the `tokenizers` npm package, a dev dependency) loads the same
// tokenizer.json files we write and must give the same ids and the same text as
// @huggingface/tokenizers (which ttrl uses) — the crate is what transformers and vLLM run in Python.
// This checks at once that our trained files are valid Hugging Face files and that the JS library
// encodes and decodes them as the Rust crate does.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Tokenizer as RustTokenizer } from 'tokenizers';
import path from 'node:path';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { BYTE_TO_CHAR } from '../../src/tokenizer/bytes.js';
import { CORPUS, randomStrings, trainedTokenizer } from './fixture.js';

for (const style of ['qwen2', 'llama3'] as const) {
  test(`${style}: @huggingface/tokenizers == Rust tokenizers on 1,000+ strings (encode ± specials, decode ± skip)`, async () => {
    const { dir, files } = await trainedTokenizer(style);
    const rust = RustTokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    const tok = await loadTokenizer(dir);
    const specials = (files.tokenizer.added_tokens as { content: string }[]).map((t) => t.content);
    const strings = [
      ...CORPUS, '', ' ', 'e\u0301', '\u00a0\u3000\u0085',
      ...randomStrings(style === 'qwen2' ? 51 : 52, 1000),
      ...randomStrings(53, 60, 6).map((s, i) => `${s}${specials[i % specials.length]}${s}`),
    ];
    for (const s of strings) {
      for (const addSpecial of [false, true]) {
        const want = (await rust.encode(s, null, { addSpecialTokens: addSpecial })).getIds();
        const got = tok.encode(s, { addSpecial });
        assert.deepEqual(got, want, `encode(${JSON.stringify(s)}, addSpecial=${addSpecial})`);
        for (const skipSpecial of [false, true]) {
          const text = want.length ? await rust.decode(want, skipSpecial) : '';
          assert.equal(tok.decode(want, { skipSpecial }), text, `decode(${JSON.stringify(want)}, skip=${skipSpecial})`);
        }
      }
    }
  });

  test(`${style}: single ids and broken UTF-8 decode as the Rust crate does`, async () => {
    const { dir } = await trainedTokenizer(style);
    const rust = RustTokenizer.fromFile(path.join(dir, 'tokenizer.json'));
    const tok = await loadTokenizer(dir);
    for (let id = 0; id < tok.vocabSize; id++) assert.equal(tok.decode([id]), await rust.decode([id], false), `id ${id}`);
    const b = (x: number) => tok.tokenToId(BYTE_TO_CHAR[x])!;
    const eos = tok.eosIds[0];
    for (const ids of [[b(0xe4), b(0xb8)], [b(0xe4), eos, b(0xb8), b(0xad)], [b(0x80), b(0x41)], [b(0xf0), b(0x9f), b(0x41)]]) {
      for (const skip of [false, true]) assert.equal(tok.decode(ids, { skipSpecial: skip }), await rust.decode(ids, skip), JSON.stringify(ids));
    }
  });
}
