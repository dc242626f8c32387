// One GGUF file from a model config, its weights and its tokenizer metadata: the architecture metadata,
// then the tokenizer metadata, then the tensors (see gguf-llama.ts, gguf-vocab.ts, gguf-writer.ts).
import type { ModelConfig } from '../model/config.js';
import { type TensorSource, archMetadata, ggufTensors } from './gguf-llama.js';
import { type GgufValue, type TensorDtype, writeGguf } from './gguf-writer.js';

export interface GgufWriteResult {
  path: string;
  bytes: number;
  tensors: number;
  metadataKeys: number;
}

/**
 * Write `out` as a GGUF v3 file llama.cpp can run. `vocab` is the tokenizer.* metadata from
 * bpeVocabMetadata / byteVocabMetadata. Throws before creating the file when a tensor is missing,
 * unexpected or misshapen.
 */
export function writeModelGguf(out: string, cfg: ModelConfig, src: TensorSource,
  vocab: Array<[string, GgufValue]>, opts: { dtype: TensorDtype; name: string }): GgufWriteResult {
  const tensors = ggufTensors(cfg, src, opts.dtype);
  const metadata = [...archMetadata(cfg, opts.dtype, opts.name), ...vocab];
  const bytes = writeGguf(out, metadata, tensors);
  return { path: out, bytes, tensors: tensors.length, metadataKeys: metadata.length };
}
