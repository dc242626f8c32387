// Tokenizers trained for the tests: a small byte-level BPE over a mixed corpus (English, arithmetic,
// CJK, emoji, accents, whitespace runs), in the Qwen2 and Llama 3 layouts, written to temp dirs.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainBpe } from '../../src/tokenizer/train.js';
import { writeTokenizerFiles, type TokenizerFiles } from '../../src/tokenizer/files.js';
import type { SplitStyle } from '../../src/tokenizer/pretokenize.js';
import { Rng } from '../../src/util/rng.js';

export const CORPUS: string[] = [
  'The quick brown fox jumps over the lazy dog.',
  "It's what they'll say: I'M sure you've seen THE answer, haven't you?",
  'What is 12 + 345? The answer is 357.',
  'Compute 1024 * 768 - 42 = 786390.',
  'Please reason step by step, and put your final answer within \\boxed{}.',
  'The answer is \\boxed{\\frac{\\pi}{2}}.',
  '中文字符测试，数学问题：二加二等于几？',
  '日本語のテキストです。',
  'Café naïve résumé — déjà vu, señor Müller.',
  'Emoji: 😀🎉👍🏽 and flags 🇫🇷 are multi-byte.',
  'Привет, мир! Ελληνικά κείμενο.',
  '    indented code\n\tif (x) {\n\t\treturn y;\n\t}\n',
  'line one\n\nline three\r\nwindows line\n\n\n',
  'trailing spaces   \nand    runs     of    spaces',
  'def f(x):\n    return x ** 2  # square\n',
];

/** The corpus repeated so that common pairs pass minFrequency. */
export const TRAIN_TEXTS = [...CORPUS, ...CORPUS, ...CORPUS];

/** Characters random test strings are drawn from: ASCII, whitespace kinds, 2/3/4-byte UTF-8. */
const POOL = [
  ...'abcXYZ019 .,!?\'"()\\{}+-*/=_', ' ', ' ', '\n', '\t', '\r', '\r\n', '\u00a0', '\u3000', '\u0085',
  'é', 'ß', 'ñ', 'ö', 'д', 'λ', '中', '文', '日', '本', '，', '。', '😀', '🎉', '👍🏽', '🇫🇷', '∑', '√',
  "'s", "'LL", ' the', ' answer', '12', '345',
];

/** `n` random strings (seeded), lengths 1..maxLen pieces. */
export function randomStrings(seed: number, n: number, maxLen = 24): string[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => {
    const len = 1 + rng.int(maxLen);
    let s = '';
    for (let i = 0; i < len; i++) s += POOL[rng.int(POOL.length)];
    return s;
  });
}

const cache = new Map<string, { dir: string; files: TokenizerFiles }>();

/** Train (once per process) and write a tokenizer; returns its directory and files. */
export async function trainedTokenizer(
  style: SplitStyle, opts: { defaultSystem?: string; vocabSize?: number } = {},
): Promise<{ dir: string; files: TokenizerFiles }> {
  const key = JSON.stringify([style, opts]);
  const hit = cache.get(key);
  if (hit) return hit;
  const files = trainBpe(TRAIN_TEXTS, {
    vocabSize: opts.vocabSize ?? 700, style, defaultSystem: opts.defaultSystem ?? null,
    generation: { temperature: 0.7, top_p: 0.8, top_k: 20 },
  });
  const dir = tempDir(style);
  await writeTokenizerFiles(dir, files);
  const out = { dir, files };
  cache.set(key, out);
  return out;
}

const made: string[] = [];
process.once('exit', () => { for (const d of made) rmSync(d, { recursive: true, force: true }); });

/** A fresh empty temp dir, removed when the process exits. */
export function tempDir(tag: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), `ttrl-tok-${tag}-`));
  made.push(dir);
  return dir;
}

/**
 * A copy of a trained tokenizer's directory whose tokenizer_config.json is `patch(config)` (or is
 * left out when patch returns null), plus any extra files.
 */
export async function variantDir(
  style: SplitStyle, tag: string,
  patch: (cfg: Record<string, unknown>) => Record<string, unknown> | null,
  extra: Record<string, string> = {},
): Promise<string> {
  const { files } = await trainedTokenizer(style);
  const dir = tempDir(tag);
  await writeTokenizerFiles(dir, files);
  const cfg = patch(structuredClone(files.tokenizerConfig));
  const cfgPath = path.join(dir, 'tokenizer_config.json');
  if (cfg === null) rmSync(cfgPath);
  else writeFileSync(cfgPath, JSON.stringify(cfg));
  for (const [name, text] of Object.entries(extra)) writeFileSync(path.join(dir, name), text);
  return dir;
}
