// Streamed decoding (one id at a time) must concatenate to decode(all), and no delta may contain a
// partial character: multi-byte characters split across byte-level tokens are held back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer, type Tok } from '../../src/tokenizer/load.js';
import { StreamDecoder } from '../../src/tokenizer/stream.js';
import { BYTE_TO_CHAR } from '../../src/tokenizer/bytes.js';
import { CORPUS, randomStrings, trainedTokenizer } from './fixture.js';

function streamed(tok: Tok, ids: number[], skipSpecial = false): string[] {
  const dec = new StreamDecoder(tok, { skipSpecial });
  const parts = ids.map((id) => dec.push(id));
  parts.push(dec.finish());
  return parts;
}

/** Ids of the single-byte tokens spelling `bytes`. */
function byteIds(tok: Tok, bytes: number[]): number[] {
  return bytes.map((b) => tok.tokenToId(BYTE_TO_CHAR[b])!);
}

for (const style of ['qwen2', 'llama3'] as const) {
  test(`${style}: streamed == full decode on corpus and 400 random strings; no partial characters`, async () => {
    const tok = await loadTokenizer((await trainedTokenizer(style)).dir);
    let splitChars = 0;
    for (const s of [...CORPUS, ...randomStrings(style === 'qwen2' ? 41 : 42, 400)]) {
      const ids = tok.encode(s);
      const parts = streamed(tok, ids);
      assert.equal(parts.join(''), tok.decode(ids), `stream of ${JSON.stringify(s)}`);
      for (const p of parts) assert.ok(!p.includes('\uFFFD'), `partial character in ${JSON.stringify(p)} of ${JSON.stringify(s)}`);
      splitChars += ids.filter((id) => tok.decode([id]).includes('\uFFFD')).length;
    }
    // The property is only tested if some tokens really end mid-character.
    assert.ok(splitChars > 100, `only ${splitChars} tokens hold a partial character`);
  });
}

test('hand-computed: a 4-byte emoji fed byte by byte appears once, whole, on its last byte', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  const emoji = byteIds(tok, [0xf0, 0x9f, 0x98, 0x80]); // 😀
  assert.deepEqual(streamed(tok, [...tok.encode('a'), ...emoji, ...tok.encode('b')]), ['a', '', '', '', '😀', 'b', '']);
  // Unfinished at the end: finish() releases what decode() gives, one U+FFFD.
  const cut = [...tok.encode('a'), ...emoji.slice(0, 3)];
  assert.deepEqual(streamed(tok, cut), ['a', '', '', '', '\uFFFD']);
  assert.equal(tok.decode(cut), 'a\uFFFD');
});

test('a special token inside a split character: kept (two U+FFFD, as decode) or skipped (joins the bytes)', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('qwen2')).dir);
  const end = tok.tokenToId('<|im_end|>')!;
  const [a, b, c] = byteIds(tok, [0xe4, 0xb8, 0xad]); // 中
  const ids = [a, b, end, c];
  assert.equal(tok.decode(ids), '\uFFFD<|im_end|>\uFFFD');
  assert.equal(streamed(tok, ids).join(''), tok.decode(ids));
  assert.equal(tok.decode(ids, { skipSpecial: true }), '中');
  assert.deepEqual(streamed(tok, ids, true), ['', '', '', '中', '']);
});

test('a real U+FFFD in the text is only delayed, never lost; decoding goes on after finish()', async () => {
  const tok = await loadTokenizer((await trainedTokenizer('llama3')).dir);
  const ids = tok.encode('x\uFFFD\uFFFDy z');
  assert.equal(streamed(tok, ids).join(''), 'x\uFFFD\uFFFDy z');
  const dec = new StreamDecoder(tok);
  let out = '';
  for (const id of tok.encode('one')) out += dec.push(id);
  out += dec.finish();
  for (const id of tok.encode(' two')) out += dec.push(id);
  out += dec.finish();
  assert.equal(out, 'one two');
});
