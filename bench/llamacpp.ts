// Decoding race: llama.cpp (node-llama-cpp's prebuilt CPU build) against ttrl's sampler on the same model,
// the Qwen2.5-0.5B shape with random weights, same threads, same prompt, same number of new tokens:
// one sequence, and 16 sequences in parallel (node-llama-cpp decodes the sequences of one context in
// one batch, as a rollout of 16 samples per prompt would).
//
// `benchLlamaCpp` runs the llama.cpp half. The ttrl half is a `TtrlDecodeBench` (`ttrlSamplerDecode`:
// src/sample's sampleBatch at temperature 0 on the same weights); `benchDecodeRace` runs both and reports
// the ttrl/llama.cpp throughput ratios. Goal: ratio ≥ 1 on 16 sequences, ≥ 1/1.5 on one.
//
// Decode tokens/s counts the tokens made by single-token forward steps over the wall time of those steps
// (forward + sampling), prefill excluded in both engines. llama.cpp's first step evaluates the last
// prompt token; ttrl takes its first token from the prefill logits and then runs newTokens − 1 steps.
//
// Both engines use greedy decoding, so no sampler settings differ. The machine's load average is recorded:
// llama.cpp's thread pool spin-waits at barriers, and on an oversubscribed machine its 2-thread decode
// slows down by an order of magnitude (seen here at load 5 on 2 cores), so only a quiet machine's numbers
// mean anything.
//
// Run alone: node dist/bench/llamacpp.js [--llamacpp-only] [--new-tokens N] [--prompt-tokens N] [--threads N] [--keep FILE]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { type TensorSource } from '../src/export/gguf-llama.js';
import { writeModelGguf } from '../src/export/gguf-model.js';
import { bpeVocabMetadata } from '../src/export/gguf-vocab.js';
import { BYTE_TO_CHAR } from '../src/tokenizer/bytes.js';
import { materialize, randomWeights } from '../src/export/random-weights.js';
import { parseConfig, type ModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { paramSpecs, paramsFromHost } from '../src/model/params.js';
import { sampleBatch, type SampleProgress } from '../src/sample/index.js';
import { CpuBackend } from '../src/tensor/cpu.js';
import { Rng } from '../src/util/rng.js';
import { qwen05bConfig } from './sample.js';

/** Qwen2.5-0.5B's shape (bench/sample.ts's config), 494M parameters, tied embeddings. */
export const BENCH_CONFIG: ModelConfig = parseConfig(qwen05bConfig(), 'bench config');
export const BENCH_SEED = 20250417;

export interface DecodeSettings {
  /** CPU threads for both engines. */
  threads: number;
  promptTokens: number;
  /** New tokens per sequence (greedy; end-of-generation tokens do not stop it). */
  newTokens: number;
  /** Sequences decoded together in the parallel run. */
  parallel: number;
}
export const DEFAULT_SETTINGS: DecodeSettings = { threads: 2, promptTokens: 64, newTokens: 32, parallel: 16 };

/** The prompt both engines decode from: random token ids below the tokenizer's real tokens. */
export function benchPrompt(n: number, seed = BENCH_SEED): number[] {
  const rng = new Rng(seed, 0x70);
  return Array.from({ length: n }, () => rng.int(151643));
}

/** One engine's decode speed: generated tokens per second of wall time, prefill excluded. */
export interface DecodeResult { sequences: number; newTokens: number; seconds: number; tokensPerSec: number; prefillSeconds: number }

/** The ttrl half of the race: decode `settings.newTokens` greedy tokens from `prompt` for 1 and for
 *  `settings.parallel` sequences with `weights` (materialize(weights) gives readSafetensors-style tensors). */
export type TtrlDecodeBench = (cfg: ModelConfig, weights: TensorSource, prompt: number[], settings: DecodeSettings) =>
  Promise<{ single: DecodeResult; parallel: DecodeResult }>;

/** A tokenizer with only the 256 byte tokens (the rest of the 151936 ids are padding), enough for
 *  llama.cpp to load the model; the bench feeds token ids. */
function benchVocab(cfg: ModelConfig): ReturnType<typeof bpeVocabMetadata> {
  const vocab = Object.fromEntries(BYTE_TO_CHAR.map((c, i) => [c, i]));
  const tokenizer = { model: { type: 'BPE', vocab, merges: [] }, decoder: { type: 'ByteLevel' },
    pre_tokenizer: { type: 'ByteLevel', use_regex: true }, added_tokens: [] };
  return bpeVocabMetadata({ tokenizer, tokenizerConfig: {} }, cfg.vocabSize, {});
}

/** Greedy-decode `newTokens` tokens on each sequence at once; returns wall seconds (prefill excluded). */
async function decode(seqs: NodeLlamaCpp.LlamaContextSequence[], prompt: number[], newTokens: number): Promise<{ seconds: number; prefillSeconds: number }> {
  const p = prompt as NodeLlamaCpp.Token[];
  const t0 = performance.now();
  await Promise.all(seqs.map((s) => s.evaluateWithoutGeneratingNewTokens(p.slice(0, -1))));
  const t1 = performance.now();
  // The first step evaluates the last prompt token and samples the first new one: one decode step each.
  await Promise.all(seqs.map(async (s) => {
    let n = 0;
    for await (const _ of s.evaluate(p.slice(-1), { temperature: 0, yieldEogToken: true })) if (++n >= newTokens) break;
  }));
  const t2 = performance.now();
  return { seconds: (t2 - t1) / 1000, prefillSeconds: (t1 - t0) / 1000 };
}

export interface LlamaCppBenchResult {
  engine: string;
  /** os.loadavg() before and after: numbers measured on a busy machine are not comparable. */
  loadavg: { before: number[]; after: number[] };
  model: { shape: string; params: number; ggufBytes: number; exportSeconds: number };
  settings: DecodeSettings & { kvCache: string; flashAttention: boolean };
  single: DecodeResult;
  parallel: DecodeResult;
}

/** The llama.cpp half: export the random 0.5B model to F32 GGUF (streamed), then time decoding. */
export async function benchLlamaCpp(settings: DecodeSettings = DEFAULT_SETTINGS, keepFile?: string): Promise<LlamaCppBenchResult> {
  const nlc = await import('node-llama-cpp');
  const before = os.loadavg();
  const cfg = BENCH_CONFIG;
  const file = keepFile ?? path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-bench-')), 'qwen2-0.5b-random-f32.gguf');
  const t0 = performance.now();
  const w = fs.existsSync(file) && keepFile ? { bytes: fs.statSync(file).size }
    : writeModelGguf(file, cfg, randomWeights(cfg, BENCH_SEED), benchVocab(cfg), { dtype: 'f32', name: 'qwen2-0.5b-random' });
  const exportSeconds = (performance.now() - t0) / 1000;
  const llama = await nlc.getLlama({ gpu: false, build: 'never', maxThreads: settings.threads, logLevel: nlc.LlamaLogLevel.error, progressLogs: false });
  const model = await llama.loadModel({ modelPath: file });
  const prompt = benchPrompt(settings.promptTokens);
  const run = async (n: number): Promise<DecodeResult> => {
    const ctx = await model.createContext({ sequences: n, contextSize: settings.promptTokens + settings.newTokens + 8,
      threads: { ideal: settings.threads, min: settings.threads }, batchSize: Math.max(512, n), flashAttention: false });
    try {
      const seqs = Array.from({ length: n }, () => ctx.getSequence());
      const { seconds, prefillSeconds } = await decode(seqs, prompt, settings.newTokens);
      return { sequences: n, newTokens: settings.newTokens, seconds, prefillSeconds, tokensPerSec: (n * settings.newTokens) / seconds };
    } finally {
      await ctx.dispose();
    }
  };
  try {
    const single = await run(1);
    const parallel = await run(settings.parallel);
    return {
      engine: `llama.cpp ${llama.llamaCppRelease.release} (node-llama-cpp prebuilt, CPU)`,
      loadavg: { before, after: os.loadavg() },
      model: { shape: 'qwen2 0.5B (hidden 896, 24 layers, 14/2 heads, vocab 151936), random F32', params: paramSpecs(cfg).reduce((a, [, sh]) => a + sh.reduce((x, y) => x * y, 1), 0), ggufBytes: w.bytes, exportSeconds },
      settings: { ...settings, kvCache: 'F16 (llama.cpp default)', flashAttention: false },
      single, parallel,
    };
  } finally {
    await model.dispose();
    await llama.dispose();
    if (!keepFile) fs.rmSync(path.dirname(file), { recursive: true, force: true });
  }
}

/** The ttrl half: src/sample's sampleBatch, greedy, one request of n samples sharing the prompt's prefill. */
export const ttrlSamplerDecode: TtrlDecodeBench = async (cfg, weights, prompt, settings) => {
  const be = new CpuBackend(settings.threads);
  const model = new Model(cfg, paramsFromHost(cfg, materialize(weights), be, 'bench weights'), be);
  const run = (n: number): DecodeResult => {
    let last: SampleProgress | undefined;
    sampleBatch(model, [{ ids: prompt, n }], { temperature: 0, maxNewTokens: settings.newTokens, eosIds: [] },
      { maxSlots: n, seed: 0, onProgress: (p) => { last = p; } });
    const steps = settings.newTokens - 1; // the first token comes from the prefill logits
    const seconds = (last!.decodeMs + last!.sampleMs) / 1000;
    return { sequences: n, newTokens: settings.newTokens, seconds, prefillSeconds: last!.prefillMs / 1000, tokensPerSec: (n * steps) / seconds };
  };
  run(1); // warm-up: scratch buffers and the BLAS thread pool
  return { single: run(1), parallel: run(settings.parallel) };
};

/** Both halves, with ttrl/llama.cpp throughput ratios. */
export async function benchDecodeRace(ttrlDecode: TtrlDecodeBench = ttrlSamplerDecode, settings: DecodeSettings = DEFAULT_SETTINGS,
  keepFile?: string): Promise<object> {
  const llamaCpp = await benchLlamaCpp(settings, keepFile);
  const ttrl = await ttrlDecode(BENCH_CONFIG, randomWeights(BENCH_CONFIG, BENCH_SEED), benchPrompt(settings.promptTokens), settings);
  return {
    llamaCpp, ttrl,
    ratio: {
      single: ttrl.single.tokensPerSec / llamaCpp.single.tokensPerSec, // goal ≥ 1/1.5
      parallel: ttrl.parallel.tokensPerSec / llamaCpp.parallel.tokensPerSec, // goal ≥ 1
    },
  };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { values: v } = parseArgs({ options: { 'llamacpp-only': { type: 'boolean' }, 'new-tokens': { type: 'string' }, 'prompt-tokens': { type: 'string' },
    threads: { type: 'string' }, parallel: { type: 'string' }, keep: { type: 'string' } } });
  const s: DecodeSettings = {
    threads: Number(v.threads ?? DEFAULT_SETTINGS.threads), promptTokens: Number(v['prompt-tokens'] ?? DEFAULT_SETTINGS.promptTokens),
    newTokens: Number(v['new-tokens'] ?? DEFAULT_SETTINGS.newTokens), parallel: Number(v.parallel ?? DEFAULT_SETTINGS.parallel),
  };
  console.log(JSON.stringify(v['llamacpp-only'] ? await benchLlamaCpp(s, v.keep) : await benchDecodeRace(ttrlSamplerDecode, s, v.keep), null, 2));
}

/** The `npm run bench -- --only llamacpp` section: the full race with default settings. */
export async function benchLlamaCppSection(): Promise<object> {
  return benchDecodeRace();
}
