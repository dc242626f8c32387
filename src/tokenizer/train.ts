// A small, deterministic byte-level BPE trainer (Sennrich et al. 2016, over GPT-2's byte alphabet).
// It makes real Hugging Face tokenizer files for tests and for the demo's procedurally generated
// task; it is not meant for large corpora: each merge recounts the pairs of every distinct word,
// O(merges × distinct-word bytes).
//
// Determinism: no randomness. Ties between equally frequent pairs go to the smaller
// (left id, right id), ids being byte values for the 256 base tokens and creation order after.
import { TtrlError } from '../util/errors.js';
import { BYTE_TO_CHAR } from './bytes.js';
import { preTokenize, type SplitStyle } from './pretokenize.js';
import { buildTokenizerFiles, STYLE_SPECIALS, type TokenizerFiles } from './files.js';

export interface BpeModel {
  /** vocab[id] = the token as a byte-character string; ids 0..255 are the single bytes. */
  vocab: string[];
  /** Merges in rank order (rank 0 is applied first when encoding). */
  merges: [string, string][];
}

export interface LearnBpeOptions {
  /** Stop after this many merges (fewer if no pair is frequent enough). */
  maxMerges: number;
  /** Pre-tokenizer split pattern (and NFC normalization for qwen2). */
  style: SplitStyle;
  /** A pair must occur at least this often to be merged. Default 2: a merge seen once only memorizes. */
  minFrequency?: number;
}

/** Distinct pre-tokens of the corpus as byte arrays, with their counts, in first-seen order. */
function countWords(texts: readonly string[], style: SplitStyle): { words: number[][]; counts: number[] } {
  const index = new Map<string, number>();
  const words: number[][] = [];
  const counts: number[] = [];
  const enc = new TextEncoder();
  for (const raw of texts) {
    const text = style === 'qwen2' ? raw.normalize('NFC') : raw;
    for (const piece of preTokenize(text, style)) {
      const at = index.get(piece);
      if (at !== undefined) { counts[at]++; continue; }
      index.set(piece, words.length);
      words.push(Array.from(enc.encode(piece)));
      counts.push(1);
    }
  }
  return { words, counts };
}

/** The most frequent adjacent pair (ties: smallest left id, then right id), or null if none. */
function bestPair(words: readonly number[][], counts: readonly number[]): { a: number; b: number; n: number } | null {
  const pairCounts = new Map<string, number>();
  for (let w = 0; w < words.length; w++) {
    const s = words[w];
    for (let i = 0; i + 1 < s.length; i++) {
      const key = `${s[i]},${s[i + 1]}`;
      pairCounts.set(key, (pairCounts.get(key) ?? 0) + counts[w]);
    }
  }
  let best: { a: number; b: number; n: number } | null = null;
  for (const [key, n] of pairCounts) {
    const [a, b] = key.split(',').map(Number);
    if (!best || n > best.n || (n === best.n && (a < best.a || (a === best.a && b < best.b)))) best = { a, b, n };
  }
  return best;
}

/** Replace every non-overlapping (a, b), left to right, by `id` (in place). */
function applyMerge(s: number[], a: number, b: number, id: number): void {
  let out = 0;
  for (let i = 0; i < s.length; i++) {
    if (i + 1 < s.length && s[i] === a && s[i + 1] === b) { s[out++] = id; i++; }
    else s[out++] = s[i];
  }
  s.length = out;
}

/** Learn byte-level BPE merges from a corpus. Pure and deterministic. */
export function learnBpe(texts: readonly string[], opts: LearnBpeOptions): BpeModel {
  const minFrequency = opts.minFrequency ?? 2;
  const { words, counts } = countWords(texts, opts.style);
  const vocab = BYTE_TO_CHAR.slice();
  const idOf = new Map(vocab.map((t, i) => [t, i]));
  const merges: [string, string][] = [];
  while (merges.length < opts.maxMerges) {
    const best = bestPair(words, counts);
    if (!best || best.n < minFrequency) break;
    const merged = vocab[best.a] + vocab[best.b];
    // Two different pairs can spell the same string ("a"+"bc", "ab"+"c"): reuse its id.
    let id = idOf.get(merged);
    if (id === undefined) { id = vocab.length; vocab.push(merged); idOf.set(merged, id); }
    merges.push([vocab[best.a], vocab[best.b]]);
    for (const s of words) applyMerge(s, best.a, best.b, id);
  }
  return { vocab, merges };
}

export interface TrainBpeOptions {
  /** Total ids: 256 bytes + merges + special tokens. Fewer if the corpus runs out of pairs. */
  vocabSize: number;
  /** 'qwen2' (default): ChatML, every digit its own token. 'llama3': Llama 3 headers, digits in threes. */
  style?: SplitStyle;
  /** Special tokens, ids after the BPE vocab; must include the style's (see STYLE_SPECIALS), which are the default. */
  specialTokens?: string[];
  /** A system prompt the chat template inserts when the conversation has none; default none. */
  defaultSystem?: string | null;
  /** Sampling defaults written to generation_config.json. */
  generation?: { temperature?: number; top_p?: number; top_k?: number };
  minFrequency?: number;
}

/** Train a byte-level BPE and return Hugging Face tokenizer files for it (see files.ts). */
export function trainBpe(texts: readonly string[], opts: TrainBpeOptions): TokenizerFiles {
  const style = opts.style ?? 'qwen2';
  const required = STYLE_SPECIALS[style];
  const specials = opts.specialTokens ?? required;
  const missing = required.filter((t) => !specials.includes(t));
  if (missing.length) throw new TtrlError(`trainBpe: specialTokens must include ${missing.join(', ')} for style '${style}'`);
  if (new Set(specials).size !== specials.length) throw new TtrlError('trainBpe: specialTokens has duplicates');
  const maxMerges = opts.vocabSize - 256 - specials.length;
  if (maxMerges < 0) throw new TtrlError(`trainBpe: vocabSize ${opts.vocabSize} < 256 bytes + ${specials.length} special tokens`);
  const model = learnBpe(texts, { maxMerges, style, minFrequency: opts.minFrequency });
  return buildTokenizerFiles(model, {
    style, specialTokens: specials, defaultSystem: opts.defaultSystem ?? null, generation: opts.generation,
  });
}
