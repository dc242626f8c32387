// The tokenizer, embedded as llama.cpp's `tokenizer.ggml.*` metadata. Only byte-level BPE tokenizers
// (GPT-2 style: Llama 3, Qwen2) are supported; llama.cpp calls that vocab type "gpt2". The keys follow what
// convert_hf_to_gguf.py's `_set_vocab_gpt2` and gguf-py's `SpecialVocab` write:
//
//   tokenizer.ggml.model       "gpt2"
//   tokenizer.ggml.pre         the pre-tokenizer (split regex) llama.cpp must use: "qwen2", "llama-bpe", ...
//   tokenizer.ggml.tokens      every id's token text, in the byte-level alphabet ("Ġ" for a space byte);
//                              ids the tokenizer does not define (vocab padding) become "[PAD<id>]"
//   tokenizer.ggml.token_type  1 normal, 3 control (special added tokens), 4 user-defined (other added
//                              tokens), 5 unused (padding)
//   tokenizer.ggml.merges      "left right" per merge rule, in priority order
//   tokenizer.ggml.{bos,eos,padding,unknown}_token_id, add_bos_token, add_eos_token
//   tokenizer.chat_template    the Jinja chat template
//
// convert_hf_to_gguf.py names the pre-tokenizer by hashing what the tokenizer does to a test string; we
// name it from the split regex in tokenizer.json instead, which is what those names stand for.
import fs from 'node:fs';
import path from 'node:path';
import { TtrlError } from '../util/errors.js';
import { BYTE_TO_CHAR } from '../tokenizer/bytes.js';
import { LLAMA3_SPLIT_PATTERN, QWEN2_SPLIT_PATTERN } from '../tokenizer/pretokenize.js';
import { type GgufValue, bool, i32Array, str, strArray, u32 } from './gguf-writer.js';

/** llama.cpp's token types (llama.h `enum llama_token_type`). */
export const TOKEN_TYPE = { normal: 1, unknown: 2, control: 3, userDefined: 4, unused: 5, byte: 6 } as const;

/** Split regexes of ttrl's tokenizer styles (the published Qwen2 / Llama 3 ones) → llama.cpp
 *  pre-tokenizer names (llama-vocab.cpp): Qwen2 splits digits one at a time, Llama 3 in threes. */
const PRE_BY_REGEX: Record<string, string> = {
  [QWEN2_SPLIT_PATTERN]: 'qwen2',
  [LLAMA3_SPLIT_PATTERN]: 'llama-bpe',
};

/** The vocab-related inputs: tokenizer.json / tokenizer_config.json (parsed), and config.json's ids. */
export interface HfTokenizerFiles {
  tokenizer: unknown;
  tokenizerConfig: unknown;
  /** chat_template.jinja, when the template lives in its own file (newer transformers). */
  chatTemplateFile?: string;
}

type Json = Record<string, unknown>;
const isObj = (x: unknown): x is Json => typeof x === 'object' && x !== null && !Array.isArray(x);

/** Read the tokenizer files of a Hugging Face model folder; a missing tokenizer.json is an error. */
export function readHfTokenizerFiles(dir: string): HfTokenizerFiles {
  const tj = path.join(dir, 'tokenizer.json');
  if (!fs.existsSync(tj)) {
    throw new TtrlError(`${tj} not found: GGUF export embeds the tokenizer, so the model folder needs tokenizer.json `
      + '(and tokenizer_config.json); for a tokenizer-less test checkpoint pass --byte-vocab');
  }
  const tc = path.join(dir, 'tokenizer_config.json');
  const jinja = path.join(dir, 'chat_template.jinja');
  return {
    tokenizer: JSON.parse(fs.readFileSync(tj, 'utf8')),
    tokenizerConfig: fs.existsSync(tc) ? JSON.parse(fs.readFileSync(tc, 'utf8')) : {},
    chatTemplateFile: fs.existsSync(jinja) ? fs.readFileSync(jinja, 'utf8') : undefined,
  };
}

/** The llama.cpp pre-tokenizer name for a tokenizer.json `pre_tokenizer`, or an error naming the regex. */
export function preTokenizerName(pre: unknown, file = 'tokenizer.json'): string {
  if (isObj(pre) && pre.type === 'ByteLevel' && pre.use_regex !== false) return 'gpt-2';
  const parts = isObj(pre) && pre.type === 'Sequence' && Array.isArray(pre.pretokenizers) ? pre.pretokenizers : [pre];
  const split = parts.find((p) => isObj(p) && p.type === 'Split');
  const regex = isObj(split) && isObj(split.pattern) ? split.pattern.Regex : undefined;
  if (typeof regex === 'string' && PRE_BY_REGEX[regex]) return PRE_BY_REGEX[regex]!;
  throw new TtrlError(`${file}: pre_tokenizer ${typeof regex === 'string' ? `regex ${JSON.stringify(regex)}` : JSON.stringify(pre)?.slice(0, 120)} `
    + `is not one llama.cpp is known to implement (known: ${['gpt-2', ...new Set(Object.values(PRE_BY_REGEX))].join(', ')}); `
    + 'pass --tokenizer-pre NAME to choose a llama.cpp pre-tokenizer yourself');
}

/** Special-token text from tokenizer_config.json (a string, or an AddedToken object with `content`). */
function tokenText(x: unknown): string | undefined {
  if (typeof x === 'string') return x;
  if (isObj(x) && typeof x.content === 'string') return x.content;
  return undefined;
}

/** The chat template: tokenizer_config's `chat_template` (a string, or a list whose "default" entry is
 *  used), else chat_template.jinja. */
function chatTemplate(tc: Json, file?: string): string | undefined {
  const t = tc.chat_template;
  if (typeof t === 'string') return t;
  if (Array.isArray(t)) {
    const d = t.find((e) => isObj(e) && e.name === 'default');
    if (isObj(d) && typeof d.template === 'string') return d.template;
  }
  return file;
}

/** Does the post-processor template put `id` first (bos) or last (eos) in a single sequence? */
function templateAdds(post: unknown, which: 'first' | 'last'): string | undefined {
  const procs = isObj(post) && post.type === 'Sequence' && Array.isArray(post.processors) ? post.processors : [post];
  const tp = procs.find((p) => isObj(p) && p.type === 'TemplateProcessing');
  if (!isObj(tp) || !Array.isArray(tp.single) || tp.single.length === 0) return undefined;
  const item = which === 'first' ? tp.single[0] : tp.single[tp.single.length - 1];
  return isObj(item) && isObj(item.SpecialToken) && typeof item.SpecialToken.id === 'string' ? item.SpecialToken.id : undefined;
}

// The same heuristic convert_hf_to_gguf.py uses for added tokens not flagged special ("<|im_start|>").
const looksSpecial = (t: string): boolean => (t.startsWith('<|') && t.endsWith('|>')) || (t.startsWith('<｜') && t.endsWith('｜>'));

/**
 * The `tokenizer.*` metadata for a byte-level BPE tokenizer. `vocabSize` is config.json's (the embedding
 * rows); `ids` are config.json's bos / eos, used when tokenizer_config.json does not name them.
 * Throws on a tokenizer that is not byte-level BPE, or on token ids ≥ vocabSize.
 */
export function bpeVocabMetadata(files: HfTokenizerFiles, vocabSize: number, ids: { bos?: number; eos?: number },
  preOverride?: string): Array<[string, GgufValue]> {
  const tj = files.tokenizer;
  const tc = isObj(files.tokenizerConfig) ? files.tokenizerConfig : {};
  if (!isObj(tj) || !isObj(tj.model)) throw new TtrlError('tokenizer.json: no "model" object');
  const model = tj.model;
  if (model.type !== 'BPE') {
    throw new TtrlError(`tokenizer.json: model.type ${JSON.stringify(model.type)} is not supported: GGUF export handles byte-level BPE tokenizers (Llama 3, Qwen2)`);
  }
  const isByteLevel = (x: unknown): boolean => isObj(x) && (x.type === 'ByteLevel'
    || (x.type === 'Sequence' && Array.isArray(x.decoders) && x.decoders.some(isByteLevel)));
  if (!isByteLevel(tj.decoder)) {
    throw new TtrlError(`tokenizer.json: decoder ${JSON.stringify(tj.decoder)?.slice(0, 80)} is not ByteLevel: only byte-level BPE can be exported (SentencePiece-style BPE is not supported)`);
  }
  const pre = preOverride ?? preTokenizerName(tj.pre_tokenizer);

  const tokens: (string | undefined)[] = new Array(vocabSize);
  const types = new Int32Array(vocabSize);
  const byText = new Map<string, number>();
  const place = (text: string, id: number, type: number, where: string): void => {
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) {
      throw new TtrlError(`tokenizer.json: ${where} token ${JSON.stringify(text)} has id ${id}, outside config.json vocab_size ${vocabSize}`);
    }
    tokens[id] = text; types[id] = type; byText.set(text, id);
  };
  if (!isObj(model.vocab)) throw new TtrlError('tokenizer.json: model.vocab is not an object');
  for (const [text, id] of Object.entries(model.vocab)) place(text, id as number, TOKEN_TYPE.normal, 'model.vocab');
  for (const t of Array.isArray(tj.added_tokens) ? tj.added_tokens : []) {
    if (!isObj(t) || typeof t.content !== 'string' || typeof t.id !== 'number') continue;
    const control = t.special === true || looksSpecial(t.content);
    place(t.content, t.id, control ? TOKEN_TYPE.control : TOKEN_TYPE.userDefined, 'added_tokens');
  }
  for (let i = 0; i < vocabSize; i++) {
    if (tokens[i] === undefined) { tokens[i] = `[PAD${i}]`; types[i] = TOKEN_TYPE.unused; }
  }

  // Merges are "a b" strings in older tokenizer.json files and [a, b] pairs in newer ones.
  const merges = (Array.isArray(model.merges) ? model.merges : []).map((m, i) => {
    if (typeof m === 'string') return m;
    if (Array.isArray(m) && m.length === 2 && typeof m[0] === 'string' && typeof m[1] === 'string') return `${m[0]} ${m[1]}`;
    throw new TtrlError(`tokenizer.json: model.merges[${i}] is neither "a b" nor ["a", "b"]`);
  });

  const special = (key: string, fallback?: number): number | undefined => {
    const text = tokenText(tc[`${key}_token`]);
    if (text !== undefined && byText.has(text)) return byText.get(text);
    return fallback;
  };
  const bos = special('bos', ids.bos);
  const eos = special('eos', ids.eos);
  const pad = special('pad');
  const unk = special('unk');
  const bosText = bos === undefined ? undefined : tokens[bos];
  const eosText = eos === undefined ? undefined : tokens[eos];
  // Whether a bos / eos is added: tokenizer_config says so outright, or the tokenizer.json post-processor
  // template wraps a single sequence with them (Llama 3 adds <|begin_of_text|> that way).
  const addBos = typeof tc.add_bos_token === 'boolean' ? tc.add_bos_token
    : bosText !== undefined && templateAdds(tj.post_processor, 'first') === bosText;
  const addEos = typeof tc.add_eos_token === 'boolean' ? tc.add_eos_token
    : eosText !== undefined && templateAdds(tj.post_processor, 'last') === eosText;

  const md: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str(pre)],
    ['tokenizer.ggml.tokens', strArray(tokens as string[])],
    ['tokenizer.ggml.token_type', i32Array(types)],
    ['tokenizer.ggml.merges', strArray(merges)],
  ];
  if (bos !== undefined) md.push(['tokenizer.ggml.bos_token_id', u32(bos)]);
  if (eos !== undefined) md.push(['tokenizer.ggml.eos_token_id', u32(eos)]);
  if (unk !== undefined) md.push(['tokenizer.ggml.unknown_token_id', u32(unk)]);
  if (pad !== undefined) md.push(['tokenizer.ggml.padding_token_id', u32(pad)]);
  md.push(['tokenizer.ggml.add_bos_token', bool(addBos)], ['tokenizer.ggml.add_eos_token', bool(addEos)]);
  const tmpl = chatTemplate(tc, files.chatTemplateFile);
  if (tmpl !== undefined) md.push(['tokenizer.chat_template', str(tmpl)]);
  return md;
}

/**
 * A synthetic tokenizer for checkpoints that have none (the hf-parity test fixtures, vocab 128): token i
 * is the single byte i, with no merges, so llama.cpp can load and run the model on token ids, and ASCII
 * text below the vocab size tokenizes to its bytes. config.json's bos / eos ids become control tokens, as
 * they are in real tokenizers (llama.cpp's API reports bos / eos only for control tokens); without an eos
 * id llama.cpp falls back to its BPE default (11). Not a real model's tokenizer: opt-in only (`--byte-vocab`).
 */
export function byteVocabMetadata(vocabSize: number, ids: { bos?: number; eos?: number }): Array<[string, GgufValue]> {
  if (vocabSize > 256) throw new TtrlError(`--byte-vocab needs vocab_size ≤ 256 (one token per byte), config.json has ${vocabSize}`);
  const types = new Int32Array(vocabSize).fill(TOKEN_TYPE.normal);
  for (const id of [ids.bos, ids.eos]) {
    if (id === undefined) continue;
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new TtrlError(`config.json: special token id ${id} is outside vocab_size ${vocabSize}`);
    types[id] = TOKEN_TYPE.control;
  }
  const md: Array<[string, GgufValue]> = [
    ['tokenizer.ggml.model', str('gpt2')],
    ['tokenizer.ggml.pre', str('gpt-2')],
    ['tokenizer.ggml.tokens', strArray(BYTE_TO_CHAR.slice(0, vocabSize))],
    ['tokenizer.ggml.token_type', i32Array(types)],
    ['tokenizer.ggml.merges', strArray([])],
  ];
  if (ids.bos !== undefined) md.push(['tokenizer.ggml.bos_token_id', u32(ids.bos)]);
  if (ids.eos !== undefined) md.push(['tokenizer.ggml.eos_token_id', u32(ids.eos)]);
  md.push(['tokenizer.ggml.add_bos_token', bool(false)], ['tokenizer.ggml.add_eos_token', bool(false)]);
  return md;
}
