// Independent check of encoding: a brute-force BPE encoder written here (split off special tokens,
// NFC for Qwen2, pre-tokenize, map bytes to characters, then repeatedly merge the leftmost
// occurrence of the lowest-rank pair) must give exactly the ids that @huggingface/tokenizers gives.
// The pre-tokenizer used here is ttrl's hand translation of the Oniguruma pattern (the trainer's),
// itself checked against hand-split examples, so the library's own regex translation is checked too.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { preTokenize, type SplitStyle } from '../../src/tokenizer/pretokenize.js';
import { BYTE_TO_CHAR, textToByteChars } from '../../src/tokenizer/bytes.js';
import { buildTokenizerFiles, STYLE_SPECIALS, writeTokenizerFiles, type TokenizerFiles } from '../../src/tokenizer/files.js';
import { CORPUS, randomStrings, tempDir, trainedTokenizer } from './fixture.js';

/** Split `text` at special tokens, leftmost-longest; specials come back as { special }. */
function splitSpecials(text: string, specials: string[]): ({ text: string } | { special: string })[] {
  const out: ({ text: string } | { special: string })[] = [];
  let start = 0;
  for (let i = 0; i < text.length;) {
    const hit = specials.filter((s) => text.startsWith(s, i)).sort((a, b) => b.length - a.length)[0];
    if (hit === undefined) { i++; continue; }
    if (i > start) out.push({ text: text.slice(start, i) });
    out.push({ special: hit });
    i += hit.length;
    start = i;
  }
  if (start < text.length) out.push({ text: text.slice(start) });
  return out;
}

/** Merge one pre-token by rank, brute force: O(n^2) per merge, fine for test strings. */
function bpeWord(word: string, ranks: Map<string, number>): string[] {
  const syms = [...word];
  for (;;) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i + 1 < syms.length; i++) {
      const r = ranks.get(`${syms[i]} ${syms[i + 1]}`); // ' ' is never a byte character
      if (r !== undefined && r < bestRank) { bestRank = r; best = i; }
    }
    if (best < 0) return syms;
    syms.splice(best, 2, syms[best] + syms[best + 1]);
  }
}

function referenceEncode(files: TokenizerFiles, style: SplitStyle, text: string): number[] {
  const model = files.tokenizer.model as { vocab: Record<string, number>; merges: [string, string][]; ignore_merges: boolean };
  const added = files.tokenizer.added_tokens as { content: string; id: number }[];
  const ranks = new Map(model.merges.map(([a, b], i) => [`${a} ${b}`, i]));
  const ids: number[] = [];
  for (const part of splitSpecials(text, added.map((t) => t.content))) {
    if ('special' in part) { ids.push(added.find((t) => t.content === part.special)!.id); continue; }
    const norm = style === 'qwen2' ? part.text.normalize('NFC') : part.text;
    for (const piece of preTokenize(norm, style)) {
      const chars = textToByteChars(piece);
      const syms = model.ignore_merges && chars in model.vocab ? [chars] : bpeWord(chars, ranks);
      for (const s of syms) {
        assert.ok(s in model.vocab, `reference: ${JSON.stringify(s)} not in vocab`);
        ids.push(model.vocab[s]);
      }
    }
  }
  return ids;
}

test('pre-tokenizer: hand-split examples (Qwen2 and Llama 3 patterns)', () => {
  const q = (s: string) => preTokenize(s, 'qwen2');
  assert.deepEqual(q('Hello world'), ['Hello', ' world']);
  assert.deepEqual(q("I'M here, it's"), ['I', "'M", ' here', ',', ' it', "'s"]);
  assert.deepEqual(q('x=12345'), ['x', '=', '1', '2', '3', '4', '5']);
  assert.deepEqual(q('a  b'), ['a', ' ', ' b']);
  assert.deepEqual(q('a\n\n b'), ['a', '\n\n', ' b']);
  assert.deepEqual(q('end.\nnext'), ['end', '.\n', 'next']);
  assert.deepEqual(q('hi   '), ['hi', '   ']);
  assert.deepEqual(q('中文，数学'), ['中文', '，数学']);
  assert.deepEqual(q('😀! ok'), ['😀!', ' ok']);
  assert.deepEqual(preTokenize('x=12345 7', 'llama3'), ['x', '=', '123', '45', ' ', '7']);
});

for (const style of ['qwen2', 'llama3'] as const) {
  test(`${style}: library ids == brute-force reference BPE ids on 1,300+ strings`, async () => {
    const { dir, files } = await trainedTokenizer(style);
    const tok = await loadTokenizer(dir);
    const specials = (files.tokenizer.added_tokens as { content: string }[]).map((t) => t.content);
    const withSpecials = randomStrings(21, 100, 8).map((s, i) => `${s}${specials[i % specials.length]}${s.trim()}`);
    const strings = [...CORPUS, ...randomStrings(style === 'qwen2' ? 31 : 32, 1200), ...withSpecials];
    let merged = 0;
    for (const s of strings) {
      const want = referenceEncode(files, style, s);
      const got = tok.encode(s);
      assert.deepEqual(got, want, `ids of ${JSON.stringify(s)}`);
      merged += want.filter((id) => id >= 256).length;
    }
    // The comparison means something only if merges and specials actually occur.
    assert.ok(merged > 1000, `only ${merged} merged/special tokens in the test strings`);
  });
}

test('ignore_merges (Llama 3): a pre-token that is itself in the vocab is taken whole', async () => {
  // Hand-made vocab: bytes, "ab" (merge a+b), and "abc" with no merge that builds it.
  const model = { vocab: [...BYTE_TO_CHAR, 'ab', 'abc'], merges: [['a', 'b']] as [string, string][] };
  const a = 'a'.charCodeAt(0), c = 'c'.charCodeAt(0), d = 'd'.charCodeAt(0);
  for (const style of ['llama3', 'qwen2'] as const) {
    const dir = tempDir(`ignore-merges-${style}`);
    await writeTokenizerFiles(dir, buildTokenizerFiles(model, { style, specialTokens: STYLE_SPECIALS[style], defaultSystem: null }));
    const tok = await loadTokenizer(dir);
    // llama3 writes ignore_merges: true, qwen2 false (as their published files do).
    assert.deepEqual(tok.encode('abc'), style === 'llama3' ? [257] : [256, c]);
    assert.deepEqual(tok.encode('abcd'), [256, c, d], 'not in vocab whole: ranked merges');
    assert.deepEqual(tok.encode('a'), [a]);
  }
});
