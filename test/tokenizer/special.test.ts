// Added/special tokens: each encodes as one id (also glued to text), decodes back, is dropped by
// skipSpecial; eos/bos/pad ids and vocabSize come from the configs as hand-computed here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { STYLE_SPECIALS } from '../../src/tokenizer/files.js';
import { trainedTokenizer } from './fixture.js';

for (const style of ['qwen2', 'llama3'] as const) {
  test(`${style}: each special token is one id, in text too, and decodes back`, async () => {
    const { dir, files } = await trainedTokenizer(style);
    const tok = await loadTokenizer(dir);
    const nBpe = Object.keys((files.tokenizer.model as { vocab: object }).vocab).length;
    STYLE_SPECIALS[style].forEach((sp, i) => {
      const id = nBpe + i; // specials follow the BPE vocab, in order
      assert.deepEqual(tok.encode(sp), [id], sp);
      assert.equal(tok.tokenToId(sp), id);
      assert.equal(tok.decode([id]), sp);
      const ids = tok.encode(`abc${sp}def`);
      assert.equal(ids.filter((x) => x === id).length, 1, `${sp} inside text`);
      assert.deepEqual(ids, [...tok.encode('abc'), id, ...tok.encode('def')]);
      assert.equal(tok.decode(ids), `abc${sp}def`);
      assert.equal(tok.decode(ids, { skipSpecial: true }), 'abcdef');
    });
    assert.deepEqual(tok.specialIds, STYLE_SPECIALS[style].map((_, i) => nBpe + i));
    assert.equal(tok.vocabSize, nBpe + STYLE_SPECIALS[style].length);
  });

  test(`${style}: text that only resembles a special token is ordinary text`, async () => {
    const tok = await loadTokenizer((await trainedTokenizer(style)).dir);
    for (const s of ['<|im_start', 'im_end|>', '<|eot_id', '<| im_end |>', '<|IM_END|>']) {
      const ids = tok.encode(s);
      assert.ok(ids.every((id) => !tok.specialIds.includes(id)), `${s} → ${ids}`);
      assert.equal(tok.decode(ids), s);
    }
  });
}

test('qwen2: eos = <|im_end|> ∪ generation_config [im_end, endoftext]; pad = endoftext; no bos; genDefaults', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  const id = (t: string) => tok.tokenToId(t)!;
  assert.deepEqual(tok.eosIds, [id('<|im_end|>'), id('<|endoftext|>')]);
  assert.equal(tok.padId, id('<|endoftext|>'));
  assert.equal(tok.bosId, null);
  assert.deepEqual(tok.genDefaults, { temperature: 0.7, topP: 0.8, topK: 20 });
  assert.deepEqual(tok.encode('hi', { addSpecial: true }), tok.encode('hi'), 'Qwen2 adds no special tokens');
});

test('llama3: eos = <|eot_id|> ∪ [end_of_text, eot_id]; bos prepended only with addSpecial', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('llama3')).dir);
  const id = (t: string) => tok.tokenToId(t)!;
  assert.deepEqual(tok.eosIds, [id('<|eot_id|>'), id('<|end_of_text|>')]);
  assert.equal(tok.bosId, id('<|begin_of_text|>'));
  assert.equal(tok.padId, null);
  assert.deepEqual(tok.encode('hi', { addSpecial: true }), [id('<|begin_of_text|>'), ...tok.encode('hi')]);
  assert.deepEqual(tok.encode('', { addSpecial: true }), [id('<|begin_of_text|>')]);
  assert.equal(tok.decode(tok.encode('hi', { addSpecial: true }), { skipSpecial: true }), 'hi');
});

test('decode: empty list and ids outside the vocab decode to nothing (as the Rust crate does)', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  assert.equal(tok.decode([]), '');
  const ids = tok.encode('ok');
  assert.equal(tok.decode([...ids, tok.vocabSize, tok.vocabSize + 100]), 'ok');
});

test('llama3: clean_up_tokenization_spaces in the config is not applied (" ." stays)', async () => {
  const { dir, files } = await trainedTokenizer('llama3');
  assert.equal(files.tokenizerConfig.clean_up_tokenization_spaces, true);
  const tok = await loadTokenizer(dir);
  const s = "a . b , c ? don 't";
  assert.equal(tok.decode(tok.encode(s)), s);
});
