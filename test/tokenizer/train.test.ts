// The BPE trainer: hand-computed merges on a tiny corpus, determinism, the digit rule that the
// demo's arithmetic tokenizer relies on, vocab bookkeeping, and option errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { learnBpe, trainBpe } from '../../src/tokenizer/train.js';
import { BYTE_TO_CHAR, byteCharsToBytes } from '../../src/tokenizer/bytes.js';
import { loadTokenizer } from '../../src/tokenizer/load.js';
import { writeTokenizerFiles } from '../../src/tokenizer/files.js';
import { TtrlError } from '../../src/util/errors.js';
import { Rng } from '../../src/util/rng.js';
import { tempDir, TRAIN_TEXTS } from './fixture.js';

test('byte map: 256 distinct characters, printable bytes map to themselves, space is Ġ, newline Ċ', () => {
  assert.equal(new Set(BYTE_TO_CHAR).size, 256);
  assert.equal(BYTE_TO_CHAR[0x41], 'A');
  assert.equal(BYTE_TO_CHAR[0x20], 'Ġ');
  assert.equal(BYTE_TO_CHAR[0x0a], 'Ċ');
  assert.equal(BYTE_TO_CHAR[0xe9], 'é');
  assert.deepEqual(byteCharsToBytes('ĠA'), Uint8Array.from([0x20, 0x41]));
  assert.equal(byteCharsToBytes(' '), null);
});

test('hand-computed merges: "ab ab ab cd" → (a,b) ×3 then (Ġ,ab) ×2, then nothing reaches minFrequency 2', () => {
  // Pre-tokens: "ab", " ab", " ab", " cd". Pairs: a b ×3, Ġ a ×2, Ġ c ×1, c d ×1.
  // After a+b: Ġ ab ×2, Ġ c ×1, c d ×1.
  const m = learnBpe(['ab ab ab cd'], { maxMerges: 10, style: 'qwen2' });
  assert.deepEqual(m.merges, [['a', 'b'], ['Ġ', 'ab']]);
  assert.deepEqual(m.vocab.slice(256), ['ab', 'Ġab']);
  assert.deepEqual(learnBpe(['ab ab ab cd'], { maxMerges: 10, style: 'qwen2', minFrequency: 1 }).merges.length, 4);
  assert.deepEqual(learnBpe(['ab ab ab cd'], { maxMerges: 1, style: 'qwen2' }).merges, [['a', 'b']]);
});

test('ties go to the smaller (left id, right id)', () => {
  // Words ba, ab (twice each): (b,a) and (a,b) both occur twice; a=0x61 < b=0x62, so (a,b) wins.
  assert.deepEqual(learnBpe(['ba', 'ab', 'ba', 'ab'], { maxMerges: 1, style: 'llama3' }).merges, [['a', 'b']]);
  // "ba ab ba ab": pre-tokens ba, Ġab, Ġba, Ġab: (b,a) (Ġ,a) (a,b) twice each; Ġ=0x20 is smallest.
  assert.deepEqual(learnBpe(['ba ab ba ab'], { maxMerges: 1, style: 'llama3' }).merges, [['Ġ', 'a']]);
});

test('deterministic: same corpus and options give byte-identical files', () => {
  const a = JSON.stringify(trainBpe(TRAIN_TEXTS, { vocabSize: 500 }));
  const b = JSON.stringify(trainBpe([...TRAIN_TEXTS], { vocabSize: 500 }));
  assert.equal(a, b);
});

test('vocab bookkeeping: size = 256 + merges + specials; every merge result is in the vocab; ids unique', () => {
  const files = trainBpe(TRAIN_TEXTS, { vocabSize: 600 });
  const model = files.tokenizer.model as { vocab: Record<string, number>; merges: [string, string][] };
  const ids = Object.values(model.vocab);
  assert.equal(new Set(ids).size, ids.length);
  assert.deepEqual([...ids].sort((x, y) => x - y), ids.map((_, i) => i));
  assert.equal(ids.length + 3, 600, 'rich corpus: the merge budget is used up');
  for (const [l, r] of model.merges) assert.ok(l + r in model.vocab, `${l}+${r}`);
  const added = files.tokenizer.added_tokens as { id: number; content: string; special: boolean }[];
  assert.deepEqual(added.map((t) => [t.id, t.content, t.special]),
    [[597, '<|endoftext|>', true], [598, '<|im_start|>', true], [599, '<|im_end|>', true]]);
});

/** An arithmetic corpus like the demo's: every number splits into single digits under Qwen2. */
function arithmetic(n: number): string[] {
  const rng = new Rng(5);
  return Array.from({ length: n }, () => {
    const a = rng.int(10000), b = rng.int(10000);
    return `What is ${a} + ${b}? The answer is ${a + b}.`;
  });
}

test('qwen2 style: no token holds two digits, each digit is its own token; llama3 groups up to three', async () => {
  const texts = arithmetic(300);
  const q = trainBpe(texts, { vocabSize: 400 });
  const qv = Object.keys((q.tokenizer.model as { vocab: object }).vocab);
  assert.ok(qv.every((t) => !/\d.*\d/.test(t)), 'a qwen2 token with two digits');
  const dir = tempDir('arith');
  await writeTokenizerFiles(dir, q);
  const tok = await loadTokenizer(dir);
  const ids = tok.encode(' 90210');
  assert.deepEqual(ids.map((id) => tok.decode([id])), [' ', '9', '0', '2', '1', '0']);
  const l = trainBpe(texts, { vocabSize: 1500, style: 'llama3' });
  const lv = Object.keys((l.tokenizer.model as { vocab: object }).vocab);
  assert.ok(lv.some((t) => /^\d\d\d$/.test(t)), 'llama3 learns 3-digit tokens');
  assert.ok(lv.every((t) => !/\d{4}/.test(t)));
});

test('option errors are TtrlErrors that say what is wrong', () => {
  assert.throws(() => trainBpe(['x'], { vocabSize: 100 }), (e: Error) => e instanceof TtrlError && /vocabSize 100 < 256 bytes \+ 3/.test(e.message));
  assert.throws(() => trainBpe(['x'], { vocabSize: 300, specialTokens: ['<|endoftext|>'] }),
    (e: Error) => e instanceof TtrlError && /must include <\|im_start\|>, <\|im_end\|>/.test(e.message));
  assert.throws(() => trainBpe(['x'], { vocabSize: 300, style: 'qwen2', specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<|im_end|>'] }),
    (e: Error) => e instanceof TtrlError && /duplicates/.test(e.message));
});

test('extra special tokens get ids after the required ones and encode whole', async () => {
  const files = trainBpe(TRAIN_TEXTS, { vocabSize: 600, specialTokens: ['<|endoftext|>', '<|im_start|>', '<|im_end|>', '<think>', '</think>'] });
  const dir = tempDir('extra');
  await writeTokenizerFiles(dir, files);
  const tok = await loadTokenizer(dir);
  assert.equal(tok.vocabSize, 600);
  assert.deepEqual(tok.encode('<think>x</think>'), [598, ...tok.encode('x'), 599]);
  assert.deepEqual(files.tokenizerConfig.additional_special_tokens, ['<|im_start|>', '<think>', '</think>']);
});
