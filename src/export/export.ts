// Exports of a model folder (a Hugging Face model, or a ttrl run checkpoint: config.json + model.safetensors,
// perhaps with optimizer state beside it): one GGUF file for llama.cpp / Ollama, or a clean Hugging Face
// folder with only what transformers needs (weights, config, tokenizer files, generation config).
import fs from 'node:fs';
import path from 'node:path';
import { MODEL_SIDE_FILES } from '../model/params.js';
import { readConfig, type ModelConfig } from '../model/config.js';
import { loadModel } from '../model/model.js';
import { writeFileAtomic } from '../model/params.js';
import { readSafetensors, type HostTensor } from '../model/safetensors.js';
import { attachAdapter, mergeAdapter } from '../model/lora-io.js';
import { TtrlError } from '../util/errors.js';
import { mapSource } from './gguf-llama.js';
import { type GgufWriteResult, writeModelGguf } from './gguf-model.js';
import { bpeVocabMetadata, byteVocabMetadata, readHfTokenizerFiles } from './gguf-vocab.js';
import type { TensorDtype } from './gguf-writer.js';

export interface GgufExportOptions {
  modelDir: string;
  out: string;
  /** Stored type of 2-D weights; norms and biases stay F32. */
  dtype: TensorDtype;
  /** Folder with tokenizer.json / tokenizer_config.json when modelDir has none (a run checkpoint's base model). */
  tokenizerDir?: string;
  /** Force llama.cpp's pre-tokenizer name instead of recognising it from tokenizer.json. */
  tokenizerPre?: string;
  /** Tokenizer-less checkpoints (test fixtures): embed the synthetic one-token-per-byte vocabulary. */
  byteVocab?: boolean;
  /** general.name; defaults to the model folder's name. */
  name?: string;
  /** A PEFT LoRA adapter folder, merged into the weights (W + s·B·A) before writing. */
  adapterDir?: string;
}

/** The model's weights as host tensors, with a LoRA adapter merged in when one is given. */
function weightsOf(modelDir: string, adapterDir?: string): Map<string, HostTensor> {
  if (adapterDir === undefined) return readSafetensors(modelDir);
  const model = loadModel(modelDir);
  attachAdapter(model, adapterDir);
  mergeAdapter(model);
  return new Map([...model.params].map(([n, p]) => [n, { shape: p.shape, data: model.be.read(p.buf) }]));
}

/** config.json's special ids, as GGUF export takes them when the tokenizer files do not name them. */
export function configSpecialIds(cfg: ModelConfig): { bos?: number; eos?: number } {
  return { bos: cfg.bosId ?? undefined, eos: cfg.eosIds[0] };
}

/** Write `modelDir` as one GGUF v3 file (see gguf-llama.ts for what is converted and why). */
export function exportGguf(o: GgufExportOptions): GgufWriteResult {
  const cfg = readConfig(o.modelDir);
  const vocab = o.byteVocab
    ? byteVocabMetadata(cfg.vocabSize, configSpecialIds(cfg))
    : bpeVocabMetadata(readHfTokenizerFiles(o.tokenizerDir ?? o.modelDir), cfg.vocabSize, configSpecialIds(cfg), o.tokenizerPre);
  const weights = weightsOf(o.modelDir, o.adapterDir);
  fs.mkdirSync(path.dirname(path.resolve(o.out)), { recursive: true });
  return writeModelGguf(o.out, cfg, mapSource(weights), vocab, { dtype: o.dtype, name: o.name ?? path.basename(path.resolve(o.modelDir)) });
}

/** Tokenizer files transformers' AutoTokenizer may read (whichever exist are copied): the side files
 *  ttrl's checkpoints carry, plus two that newer transformers versions write. */
const TOKENIZER_FILES = MODEL_SIDE_FILES.filter((f) => f !== 'generation_config.json');

export interface HfExportOptions {
  modelDir: string;
  out: string;
  tokenizerDir?: string;
  /** A PEFT LoRA adapter folder, merged into the weights before writing. */
  adapterDir?: string;
}

/**
 * Write a clean Hugging Face model folder: config.json + model.safetensors (F32, tied head left out, as
 * save_pretrained writes them), the tokenizer files, and generation_config.json (copied, or made from
 * config.json's bos / eos ids as transformers' GenerationConfig.from_model_config does). Nothing else of a
 * run checkpoint (optimizer state, logs) is carried over. `out` must be a new or empty folder.
 * Returns the files written.
 */
export function exportHf(o: HfExportOptions): string[] {
  const out = path.resolve(o.out);
  if (out === path.resolve(o.modelDir)) throw new TtrlError(`--out ${o.out} is the model folder itself; choose a new folder`);
  if (fs.existsSync(out) && fs.readdirSync(out).length > 0) throw new TtrlError(`--out ${o.out} is not empty; choose a new or empty folder`);
  const tokDir = o.tokenizerDir ?? o.modelDir;
  const tokFiles = TOKENIZER_FILES.filter((f) => fs.existsSync(path.join(tokDir, f)));
  if (!tokFiles.includes('tokenizer.json') && !tokFiles.includes('vocab.json')) {
    throw new TtrlError(`${tokDir} has no tokenizer files (tokenizer.json); a run checkpoint does not keep them: `
      + 'pass --tokenizer DIR with the base model folder');
  }
  const model = loadModel(o.modelDir); // checks every tensor against config.json
  if (o.adapterDir !== undefined) { attachAdapter(model, o.adapterDir); mergeAdapter(model); }
  model.save(out);
  for (const f of tokFiles) fs.copyFileSync(path.join(tokDir, f), path.join(out, f));
  const gen = [o.modelDir, tokDir].map((d) => path.join(d, 'generation_config.json')).find((f) => fs.existsSync(f));
  if (gen) fs.copyFileSync(gen, path.join(out, 'generation_config.json'));
  else {
    const cfg = model.cfg;
    const eos = cfg.eosIds.length === 1 ? cfg.eosIds[0] : cfg.eosIds.length ? cfg.eosIds : undefined;
    writeFileAtomic(path.join(out, 'generation_config.json'),
      JSON.stringify({ _from_model_config: true, bos_token_id: cfg.bosId ?? undefined, eos_token_id: eos }, null, 2) + '\n');
  }
  return fs.readdirSync(out).sort();
}
