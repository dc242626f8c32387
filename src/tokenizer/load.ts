// Loading a Hugging Face model directory's tokenizer: tokenizer.json (required), tokenizer_config.json
// (chat template, special tokens), generation_config.json (eos ids, sampling defaults), all read by
// Hugging Face's own JavaScript tokenizer (@huggingface/tokenizers, the tokenizer inside
// transformers.js, without its ONNX runtime). ttrl needs byte-level BPE (Qwen2/Qwen2.5, Llama 3).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { Tokenizer } from '@huggingface/tokenizers';
import { TtrlError } from '../util/errors.js';
import { compileChatTemplate, type ChatMessage, type ChatTemplate } from './chat.js';
import { chatTemplateField, genDefaultsOf, idListField, oneLine, tokenField, tokenListField, type GenDefaults, type Json } from './config.js';

/** A loaded tokenizer. Ids are numbers in [0, vocabSize). */
export interface Tok {
  /** The model directory it was loaded from. */
  readonly dir: string;
  /**
   * Token ids of `text`. `addSpecial` (default false) runs the tokenizer's post-processor, which for
   * Llama 3 prepends <|begin_of_text|> and for Qwen2 adds nothing. Default false because chat
   * templates already write the BOS into the text, and a second one is a known silent trap.
   */
  encode(text: string, opts?: { addSpecial?: boolean }): number[];
  /**
   * Text of `ids`. Special tokens are written out unless `skipSpecial`. Ids the tokenizer does not
   * know (a model's embedding can be larger than its vocab) decode to nothing, as in the Rust crate.
   * No clean_up_tokenization_spaces (" ." → "."): it breaks round-trips and streaming, and vLLM,
   * which made the TTRL reference's responses, does not apply it either.
   */
  decode(ids: readonly number[], opts?: { skipSpecial?: boolean }): string;
  /** Stop ids: tokenizer_config eos_token ∪ generation_config eos_token_id, in that order, no repeats. */
  readonly eosIds: number[];
  /** tokenizer_config bos_token's id (null for Qwen2, which has none). */
  readonly bosId: number | null;
  /** tokenizer_config pad_token's id, or null. */
  readonly padId: number | null;
  /** Ids of added tokens marked special, ascending. */
  readonly specialIds: number[];
  /** 1 + the largest id of the vocab and added tokens. */
  readonly vocabSize: number;
  /** The Jinja chat template, or null (base models often have none). */
  readonly chatTemplate: string | null;
  readonly genDefaults: GenDefaults;
  /** Render messages with the model's chat template; throws a TtrlError naming the file when it has none. */
  renderChat(messages: readonly ChatMessage[], opts?: { addGenerationPrompt?: boolean; vars?: Readonly<Record<string, unknown>> }): string;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}

async function readJson(file: string, required: boolean): Promise<Json | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    if (!required) return null;
    throw new TtrlError(`${file}: not found; a model directory needs Hugging Face's tokenizer.json (the "fast" tokenizer file)`);
  }
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    throw new TtrlError(`${file}: not valid JSON: ${oneLine(e)}`);
  }
  if (!v || typeof v !== 'object' || Array.isArray(v)) throw new TtrlError(`${file}: must hold a JSON object`);
  return v as Json;
}

async function readText(file: string): Promise<string | null> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Load the tokenizer of a model directory. Errors are one-line TtrlErrors naming the file. */
export async function loadTokenizer(modelDir: string): Promise<Tok> {
  const tokFile = path.join(modelDir, 'tokenizer.json');
  const cfgFile = path.join(modelDir, 'tokenizer_config.json');
  const genFile = path.join(modelDir, 'generation_config.json');
  const tokJson = (await readJson(tokFile, true)) as Json;
  const cfg = (await readJson(cfgFile, false)) ?? {};
  const gen = (await readJson(genFile, false)) ?? {};

  const model = tokJson.model as Json | undefined;
  const type = model?.type;
  if (type !== 'BPE') {
    throw new TtrlError(`${tokFile}: tokenizer model type ${JSON.stringify(type ?? null)} is not supported; ttrl reads byte-level BPE tokenizers (Qwen2, Llama 3)`);
  }
  let lib: Tokenizer;
  try {
    lib = new Tokenizer({ added_tokens: [], ...tokJson }, cfg);
  } catch (e) {
    throw new TtrlError(`${tokFile}: cannot be read by @huggingface/tokenizers: ${oneLine(e)}`);
  }

  const idOfField = (key: string): number | null => {
    const t = tokenField(cfg, key, cfgFile);
    if (t === null) return null;
    const id = lib.token_to_id(t);
    if (id === undefined) throw new TtrlError(`${cfgFile}: '${key}' ${JSON.stringify(t)} is not a token of ${tokFile}`);
    return id;
  };
  const eosTok = idOfField('eos_token');
  const eosIds = [...new Set([...(eosTok === null ? [] : [eosTok]), ...idListField(gen, 'eos_token_id', genFile)])];
  const added = lib.get_added_tokens_decoder();
  const specialIds = [...added].filter(([, t]) => t.special).map(([id]) => id).sort((a, b) => a - b);
  let vocabSize = 0;
  for (const id of lib.get_vocab(true).values()) vocabSize = Math.max(vocabSize, id + 1);

  // Newer transformers save the template beside the config, as chat_template.jinja.
  const inConfig = chatTemplateField(cfg, cfgFile);
  const jinjaFile = path.join(modelDir, 'chat_template.jinja');
  const chatTemplate = inConfig ?? (await readText(jinjaFile));
  const compiled: ChatTemplate | null = chatTemplate === null ? null : compileChatTemplate(chatTemplate, inConfig !== null ? cfgFile : jinjaFile, {
    bos_token: tokenField(cfg, 'bos_token', cfgFile),
    eos_token: tokenField(cfg, 'eos_token', cfgFile),
    pad_token: tokenField(cfg, 'pad_token', cfgFile),
    unk_token: tokenField(cfg, 'unk_token', cfgFile),
    additional_special_tokens: tokenListField(cfg, 'additional_special_tokens', cfgFile),
  });

  return {
    dir: modelDir,
    eosIds,
    bosId: idOfField('bos_token'),
    padId: idOfField('pad_token'),
    specialIds,
    vocabSize,
    chatTemplate,
    genDefaults: genDefaultsOf(gen, genFile),
    encode(text, opts = {}) {
      const enc = lib.encode(text, { add_special_tokens: opts.addSpecial ?? false });
      const bad = enc.ids.findIndex((id: number | undefined) => id === undefined || id === null);
      if (bad >= 0) throw new TtrlError(`${tokFile}: piece ${JSON.stringify(enc.tokens[bad])} has no token id (is the byte vocab complete?)`);
      return enc.ids;
    },
    decode(ids, opts = {}) {
      const known = ids.filter((id) => lib.id_to_token(id) !== undefined);
      if (known.length === 0) return ''; // the library throws on an empty list
      return lib.decode(known, { skip_special_tokens: opts.skipSpecial ?? false, clean_up_tokenization_spaces: false });
    },
    renderChat(messages, opts = {}) {
      if (compiled === null) {
        throw new TtrlError(`${cfgFile}: no chat_template (and no chat_template.jinja beside it); for a base model use --raw`);
      }
      return compiled.render(messages, opts.addGenerationPrompt ?? true, opts.vars);
    },
    tokenToId: (token: string) => lib.token_to_id(token),
    idToToken: (id: number) => lib.id_to_token(id),
  };
}
