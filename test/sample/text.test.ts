// Completion text, stop strings and streaming, with toy decoders that have the awkward properties of real
// ones: byte-level tokens that split UTF-8 characters, and a SentencePiece-style leading-space strip.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompletionText, findStop, type TokenDecoder } from '../../src/sample/text.js';
import { sampleBatch } from '../../src/sample/batch.js';
import { Rng } from '../../src/util/rng.js';
import { tinyModel } from './oracle.js';

/** Byte-level: id → one byte; 'é' (c3 a9) and '€' (e2 82 ac) arrive in pieces; broken bytes decode to U+FFFD. */
const BYTES = [...Buffer.from('ab \n.x'), 0xc3, 0xa9, 0xe2, 0x82, 0xac];
const byteDecoder: TokenDecoder = { decode: (ids) => new TextDecoder().decode(Uint8Array.from(ids, (i) => BYTES[i % BYTES.length]!)) };

/** Piece-level, SentencePiece-like: decode strips the first piece's leading space. */
const PIECES = [' a', 'b', ' ab', 'ba', 'x', ' ', '\n', 'é', 'END', ' the'];
const pieceDecoder: TokenDecoder = { decode: (ids) => ids.map((i) => PIECES[i % PIECES.length]!).join('').replace(/^ /, '') };

test('incremental text is always a prefix of decode(ids) and ends equal to it (both decoders)', () => {
  const rng = new Rng(8);
  for (const [dec, n] of [[byteDecoder, BYTES.length], [pieceDecoder, PIECES.length]] as const) {
    for (let trial = 0; trial < 200; trial++) {
      const ct = new CompletionText(dec, []), ids: number[] = [];
      for (let k = 0; k < 30; k++) {
        // favour whole multi-byte characters so that most texts complete
        if (dec === byteDecoder && rng.next() < 0.3) ids.push(6, 7); else ids.push(rng.int(n));
        ct.push(ids);
        const full = dec.decode(ids);
        assert.ok(full.startsWith(ct.text), `${JSON.stringify(ct.text)} is not a prefix of ${JSON.stringify(full)}`);
      }
      if (!dec.decode(ids).endsWith('\uFFFD')) assert.equal(ct.text, dec.decode(ids));
    }
  }
});

test('findStop returns the earliest start among stop strings, searching from a position', () => {
  assert.equal(findStop('hello world', 0, ['world', 'lo']), 3);
  assert.equal(findStop('hello world', 4, ['world', 'lo']), 6);
  assert.equal(findStop('hello', 0, ['xyz']), -1);
});

test('stop strings: text is cut before the first stop string; ids end with the token that completed it', () => {
  const model = tinyModel(PIECES.length, 12, 0.4);
  const stops = ['ab', 'END'];
  const out = sampleBatch(model, [{ ids: [1, 2], n: 60 }], { temperature: 1.2, topP: 1, maxNewTokens: 15, eosIds: [], stopStrings: stops },
    { seed: 5, decoder: pieceDecoder })[0]!;
  const reasons = new Set(out.map((s) => s.finishReason));
  assert.ok(reasons.has('stop') && reasons.has('length'), `want both reasons, got ${[...reasons]}`);
  for (const s of out) {
    const full = pieceDecoder.decode(s.ids);
    const first = findStop(full, 0, stops);
    if (s.finishReason === 'stop') {
      assert.ok(first >= 0);
      assert.equal(s.text, full.slice(0, first));
      assert.equal(findStop(pieceDecoder.decode(s.ids.slice(0, -1)), 0, stops), -1, 'stopped at the first completed stop string');
    } else {
      assert.equal(first, -1, `${JSON.stringify(full)} holds a stop string but finished by ${s.finishReason}`);
      assert.equal(s.text, full);
    }
  }
});

test('EOS is not decoded into the text; streamed pieces concatenate to each sample\'s text', () => {
  const model = tinyModel(BYTES.length, 13, 0.4);
  const streamed = new Map<string, string>();
  const out = sampleBatch(model, [{ ids: [0, 1], n: 12 }, { ids: [2], n: 5 }],
    { temperature: 1, topP: 1, maxNewTokens: 20, eosIds: [5], stopStrings: ['x\n'] },
    { seed: 2, decoder: byteDecoder, maxSlots: 4, onText: (r, j, d) => streamed.set(`${r}/${j}`, (streamed.get(`${r}/${j}`) ?? '') + d) });
  const reasons = new Set(out.flat().map((s) => s.finishReason));
  assert.ok(reasons.has('eos'), `want some EOS finishes, got ${[...reasons]}`);
  out.forEach((row, r) => row.forEach((s, j) => {
    if (s.finishReason === 'eos') assert.equal(s.text, byteDecoder.decode(s.ids.slice(0, -1)));
    assert.equal(streamed.get(`${r}/${j}`) ?? '', s.text, `request ${r} sample ${j}`);
  }));
});
