// `ttrl export --model DIR --format gguf|hf --out PATH`: take a trained model to llama.cpp / Ollama (GGUF)
// or back to Hugging Face transformers (a clean model folder).
import { parseArgs } from 'node:util';
import { exportGguf, exportHf } from '../export/export.js';
import { check } from '../util/errors.js';

const HELP = `usage: ttrl export --model DIR [--adapter ADIR] --format gguf|hf --out PATH [options]

  --model DIR          a Hugging Face Llama / Qwen2 / Qwen3 folder or a ttrl run checkpoint (config.json + model.safetensors)
  --adapter ADIR       a PEFT LoRA adapter folder (e.g. a LoRA run's final/), merged into the weights
  --format gguf|hf     gguf: one GGUF v3 file for llama.cpp and Ollama, tokenizer and chat template embedded
                       hf:   a clean Hugging Face folder (weights, config, tokenizer files, generation config)
  --out PATH           the .gguf file (gguf), or a new or empty folder (hf)
  --dtype f32|f16      gguf: type of the weight matrices (default f32, lossless; f16 halves the file)
  --tokenizer DIR      take tokenizer files from DIR (a run checkpoint keeps none: pass its base model)
  --tokenizer-pre NAME gguf: llama.cpp pre-tokenizer name, when it cannot be recognised from tokenizer.json
  --byte-vocab         gguf: embed a synthetic one-token-per-byte vocabulary (tokenizer-less test models)
  --name NAME          gguf: general.name (default: the model folder's name)

Run the GGUF with llama.cpp (llama-cli -m FILE.gguf) or Ollama (a Modelfile with FROM ./FILE.gguf).`;

export async function run(argv: string[]): Promise<number> {
  const { values: v } = parseArgs({ args: argv, strict: true, options: {
    model: { type: 'string' }, adapter: { type: 'string' }, format: { type: 'string' }, out: { type: 'string' }, dtype: { type: 'string', default: 'f32' },
    tokenizer: { type: 'string' }, 'tokenizer-pre': { type: 'string' }, 'byte-vocab': { type: 'boolean', default: false },
    name: { type: 'string' }, help: { type: 'boolean', short: 'h' },
  } });
  if (v.help) { process.stdout.write(HELP + '\n'); return 0; }
  check(v.model, '--model DIR is required (see ttrl export --help)');
  check(v.out, '--out PATH is required (see ttrl export --help)');
  check(v.format === 'gguf' || v.format === 'hf', `--format must be gguf or hf, got ${v.format === undefined ? 'nothing' : JSON.stringify(v.format)}`);
  if (v.format === 'hf') {
    check(v.dtype === 'f32' && !v['byte-vocab'] && !v['tokenizer-pre'] && !v.name,
      '--dtype, --byte-vocab, --tokenizer-pre and --name apply to --format gguf only');
    const files = exportHf({ modelDir: v.model, out: v.out, tokenizerDir: v.tokenizer, adapterDir: v.adapter });
    process.stdout.write(`wrote ${v.out}: ${files.join(', ')}\n`);
    return 0;
  }
  check(v.dtype === 'f32' || v.dtype === 'f16', `--dtype must be f32 or f16, got ${JSON.stringify(v.dtype)}`);
  check(!(v['byte-vocab'] && (v.tokenizer || v['tokenizer-pre'])), '--byte-vocab replaces the tokenizer: drop --tokenizer / --tokenizer-pre');
  const r = exportGguf({ modelDir: v.model, out: v.out, dtype: v.dtype, tokenizerDir: v.tokenizer,
    tokenizerPre: v['tokenizer-pre'], byteVocab: v['byte-vocab'], name: v.name, adapterDir: v.adapter });
  process.stdout.write(`wrote ${r.path}: ${(r.bytes / 2 ** 20).toFixed(1)} MiB, ${r.tensors} tensors, ${r.metadataKeys} metadata keys\n`);
  return 0;
}
