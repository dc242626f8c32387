// Hugging Face tokenizer files (tokenizer.json, tokenizer_config.json, generation_config.json) for a
// byte-level BPE that ttrl trained, laid out like the published Qwen2 and Llama 3 files so that
// loading them exercises the same code paths as a real model directory.
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { SPLIT_PATTERNS, type SplitStyle } from './pretokenize.js';
import { chatmlTemplate, llama3Template } from './templates.js';
import type { BpeModel } from './train.js';

/** The three JSON documents of a model directory's tokenizer, as plain objects. */
export interface TokenizerFiles {
  tokenizer: Record<string, unknown>;
  tokenizerConfig: Record<string, unknown>;
  generationConfig: Record<string, unknown>;
}

/** Special tokens each style's chat template and configs need, in id order. */
export const STYLE_SPECIALS: Record<SplitStyle, string[]> = {
  qwen2: ['<|endoftext|>', '<|im_start|>', '<|im_end|>'],
  llama3: ['<|begin_of_text|>', '<|end_of_text|>', '<|start_header_id|>', '<|end_header_id|>', '<|eot_id|>'],
};

export interface BuildFilesOptions {
  style: SplitStyle;
  /** Must include STYLE_SPECIALS[style]; ids follow the BPE vocab in this order. */
  specialTokens: string[];
  defaultSystem: string | null;
  generation?: { temperature?: number; top_p?: number; top_k?: number };
}

const byteLevel = (trimOffsets: boolean) =>
  ({ type: 'ByteLevel', add_prefix_space: false, trim_offsets: trimOffsets, use_regex: false });

/** Assemble the three files. Special token ids are vocab.length, vocab.length + 1, ... */
export function buildTokenizerFiles(model: BpeModel, opts: BuildFilesOptions): TokenizerFiles {
  const { style, specialTokens } = opts;
  const idOf = new Map<string, number>();
  specialTokens.forEach((t, i) => idOf.set(t, model.vocab.length + i));
  const id = (t: string) => idOf.get(t) as number;
  const addedTokens = specialTokens.map((content) => ({
    id: id(content), content, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true,
  }));
  const llama = style === 'llama3';
  const bos = '<|begin_of_text|>';
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: addedTokens,
    // Qwen2 normalizes to NFC; Llama 3 has no normalizer.
    normalizer: llama ? null : { type: 'NFC' },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: SPLIT_PATTERNS[style] }, behavior: 'Isolated', invert: false },
        byteLevel(llama),
      ],
    },
    // Llama 3 prepends <|begin_of_text|> when special tokens are added; Qwen2 adds nothing.
    post_processor: llama
      ? {
        type: 'Sequence',
        processors: [
          byteLevel(true),
          {
            type: 'TemplateProcessing',
            single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
            pair: [
              { SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } },
              { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } },
            ],
            special_tokens: { [bos]: { id: bos, ids: [id(bos)], tokens: [bos] } },
          },
        ],
      }
      : byteLevel(false),
    decoder: byteLevel(llama),
    model: {
      type: 'BPE',
      dropout: null,
      unk_token: null,
      // Qwen2 writes "", Llama 3 null; both mean none.
      continuing_subword_prefix: llama ? null : '',
      end_of_word_suffix: llama ? null : '',
      fuse_unk: false,
      byte_fallback: false,
      // Llama 3 takes a pre-token that is itself in the vocab whole, before any merge.
      ignore_merges: llama,
      vocab: Object.fromEntries(model.vocab.map((t, i) => [t, i])),
      merges: model.merges,
    },
  };
  const addedTokensDecoder = Object.fromEntries(addedTokens.map(({ id: i, ...rest }) => [String(i), rest]));
  const named = llama ? [bos, '<|eot_id|>'] : ['<|im_end|>', '<|endoftext|>'];
  const tokenizerConfig = {
    added_tokens_decoder: addedTokensDecoder,
    additional_special_tokens: specialTokens.filter((t) => !named.includes(t)),
    bos_token: llama ? bos : null,
    chat_template: llama ? llama3Template(opts.defaultSystem) : chatmlTemplate(opts.defaultSystem),
    // As published: Llama 3 says true, Qwen2 false. ttrl's decode ignores it (see load.ts).
    clean_up_tokenization_spaces: llama,
    eos_token: llama ? '<|eot_id|>' : '<|im_end|>',
    model_max_length: 131072,
    pad_token: llama ? null : '<|endoftext|>',
    tokenizer_class: llama ? 'PreTrainedTokenizerFast' : 'Qwen2Tokenizer',
    unk_token: null,
  };
  const generationConfig = llama
    ? { bos_token_id: id(bos), eos_token_id: [id('<|end_of_text|>'), id('<|eot_id|>')], ...opts.generation }
    : {
      bos_token_id: id('<|endoftext|>'),
      eos_token_id: [id('<|im_end|>'), id('<|endoftext|>')],
      pad_token_id: id('<|endoftext|>'),
      ...opts.generation,
    };
  return { tokenizer, tokenizerConfig, generationConfig };
}

/** Write the files into `dir` (created if missing) under their Hugging Face names. */
export async function writeTokenizerFiles(dir: string, files: TokenizerFiles): Promise<void> {
  await mkdir(dir, { recursive: true });
  const write = (name: string, obj: unknown) => writeFile(path.join(dir, name), JSON.stringify(obj, null, 2) + '\n');
  await write('tokenizer.json', files.tokenizer);
  await write('tokenizer_config.json', files.tokenizerConfig);
  await write('generation_config.json', files.generationConfig);
}
