// decode(encode(s)) == s through @huggingface/tokenizers on trained byte-level BPEs, for ASCII,
// CJK, emoji (incl. ZWJ-free modifiers and flags), accents, whitespace runs and newlines.
// Qwen2 normalizes to NFC first, so its round-trip target is s.normalize('NFC').
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { CORPUS, randomStrings, trainedTokenizer } from './fixture.js';

const FIXED = [
  '', 'a', ' ', '  ', '\n', '\n\n\n', '\r\n', '\t\t x', 'hello world', '   leading and trailing   ',
  'multiple\n\n  newlines \n and\tTabs', 'x = 1 + 2 * (3 - 4) / 5', "don't I'M we'RE", ' . , ? !',
  '中文', '日本語のテキスト', '😀', '👍🏽', '🇫🇷🇩🇪', 'e\u0301', 'café', 'Ω≈ç√∫', '\u00a0\u3000\u0085',
  'unseen words: zyxwvut qqqq', '12345678901234567890', 'a'.repeat(300),
];

for (const style of ['qwen2', 'llama3'] as const) {
  const target = (s: string) => (style === 'qwen2' ? s.normalize('NFC') : s);

  test(`${style}: fixed strings round-trip`, async () => {
    const tok = await loadTokenizer((await trainedTokenizer(style)).dir);
    for (const s of [...FIXED, ...CORPUS]) {
      const ids = tok.encode(s);
      assert.equal(tok.decode(ids), target(s), `round-trip of ${JSON.stringify(s)} via ${JSON.stringify(ids)}`);
      for (const id of ids) assert.ok(Number.isInteger(id) && id >= 0 && id < tok.vocabSize, `id ${id} in range`);
    }
  });

  test(`${style}: 500 random strings round-trip`, async () => {
    const tok = await loadTokenizer((await trainedTokenizer(style)).dir);
    for (const s of randomStrings(style === 'qwen2' ? 11 : 12, 500)) {
      assert.equal(tok.decode(tok.encode(s)), target(s), `round-trip of ${JSON.stringify(s)}`);
    }
  });

  test(`${style}: training merges compress the training text; unseen text still encodes byte by byte`, async () => {
    const tok = await loadTokenizer((await trainedTokenizer(style)).dir);
    const seen = CORPUS[0];
    const bytes = new TextEncoder().encode(seen).length;
    assert.ok(tok.encode(seen).length < bytes / 2, `${tok.encode(seen).length} tokens for ${bytes} bytes`);
    // "qqqq" never occurs in the corpus: no merge applies, one token per byte.
    assert.equal(tok.encode('qqqq').length, 4);
  });
}

test('qwen2: decomposed accents are NFC-normalized before encoding (Qwen2 has an NFC normalizer)', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  assert.deepEqual(tok.encode('cafe\u0301'), tok.encode('caf\u00e9'));
  const llama = await loadTokenizer((await trainedTokenizer('llama3')).dir);
  assert.notDeepEqual(llama.encode('cafe\u0301'), llama.encode('caf\u00e9'));
});
