// Decoding race: llama.cpp (node-llama-cpp's prebuilt CPU build) against ttrl's sampler on the same model, the
// Qwen2.5-0.5B shape with random weights, same threads, same prompt, same number of new greedy tokens, at
// 1, 16 and 64 sequences, with F32 and F16 GGUF weights against ttrl at fp32 and at bf16 (16-bit weights
// on both sides; the formats differ: F16 keeps more mantissa bits, bf16 more range).
//
// llama.cpp is driven the way its own batched benchmark (llama-batched-bench) drives it: every decode step is
// ONE llama_decode over all sequences. Through node-llama-cpp that is one controlledEvaluate per sequence per
// step, all issued together, and a custom dispatch schedule that holds the batch until every sequence has
// queued its token (node-llama-cpp otherwise dispatches on the next event-loop cycle, which can split a step
// into several small decodes). The bench counts the tokens of every llama_decode in the timed steps
// (wrapping the context's initBatch): when a step is not one batch of all sequences it says so, and no
// ratio is printed for that run.
//
// Decode tokens/s on both sides is sequences / the median wall time of one decode step (forward + sampling),
// prefill excluded; medians are robust to bursts of other work on a shared machine. The load average is
// recorded: numbers from a busy machine are not comparable across runs, only within one.
//
// Run alone: node dist/bench/llamacpp.js [--quick]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type * as NodeLlamaCpp from 'node-llama-cpp';
import { writeModelGguf } from '../src/export/gguf-model.js';
import { bpeVocabMetadata } from '../src/export/gguf-vocab.js';
import { materialize, randomWeights } from '../src/export/random-weights.js';
import { parseConfig, type ModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { paramsFromHost } from '../src/model/params.js';
import { sampleBatch, type SampleProgress } from '../src/sample/index.js';
import { CpuBackend } from '../src/tensor/cpu.js';
import type { Precision } from '../src/tensor/backend.js';
import { BYTE_TO_CHAR } from '../src/tokenizer/bytes.js';
import { Rng } from '../src/util/rng.js';
import { qwen05bConfig } from './sample.js';
import type { SectionContext } from './section.js';

export const BENCH_CONFIG: ModelConfig = parseConfig(qwen05bConfig(), 'bench config');
export const BENCH_SEED = 20250417;

export type GgufPrecision = 'f32' | 'f16';
/** ttrl's precision with weights as wide as the GGUF's. */
const TTRL_PRECISION: Record<GgufPrecision, Precision> = { f32: 'fp32', f16: 'bf16' };

export interface RaceSettings {
  threads: number;
  promptTokens: number;
  /** New greedy tokens per sequence (the first from the prefill, then newTokens − 1 decode steps). */
  newTokens: number;
  sequences: number[];
  precisions: GgufPrecision[];
}
export const DEFAULT_RACE: RaceSettings = { threads: 2, promptTokens: 32, newTokens: 12, sequences: [1, 16, 64], precisions: ['f32', 'f16'] };
const QUICK_RACE: RaceSettings = { threads: 2, promptTokens: 8, newTokens: 4, sequences: [1, 4], precisions: ['f32'] };

/** The prompt both engines decode from: random token ids below the tokenizer's real tokens. */
export function benchPrompt(n: number, seed = BENCH_SEED): number[] {
  const rng = new Rng(seed, 0x70);
  return Array.from({ length: n }, () => rng.int(151643));
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const r3 = (x: number): number => +x.toFixed(3);

export interface DecodeRun {
  sequences: number;
  /** Median wall ms of one decode step over all sequences, and sequences / that. */
  stepMs: number;
  tokensPerS: number;
  prefillS: number;
  /** llama.cpp only: tokens of each llama_decode in the timed steps, and whether every step was one batch. */
  decodeBatchTokens?: number[];
  oneBatchPerStep?: boolean;
}

/** A tokenizer with only the 256 byte tokens (the rest of the ids are padding): enough to load the model. */
function benchVocab(cfg: ModelConfig): ReturnType<typeof bpeVocabMetadata> {
  const vocab = Object.fromEntries(BYTE_TO_CHAR.map((c, i) => [c, i]));
  const tokenizer = { model: { type: 'BPE', vocab, merges: [] }, decoder: { type: 'ByteLevel' },
    pre_tokenizer: { type: 'ByteLevel', use_regex: true }, added_tokens: [] };
  return bpeVocabMetadata({ tokenizer, tokenizerConfig: {} }, cfg.vocabSize, {});
}

/** llama.cpp: n sequences prefilled with the prompt, then greedy decode steps of one llama_decode each. */
async function llamaRun(model: NodeLlamaCpp.LlamaModel, n: number, s: RaceSettings): Promise<DecodeRun> {
  // the context's internals, reached only to hold a step's batch until it is whole and to count its tokens
  type Internals = { _queuedDecodeSequenceIds?: Set<number>; _ctx?: { initBatch(size: number): void } };
  let inner: Internals | null = null;
  // a step's n calls are issued together, so they queue within a few event-loop turns; the deadline only
  // keeps a partial queue (a dispose, a sequence that finished) from waiting forever
  const holdUntilAllQueued = (dispatch: () => void): void => {
    const deadline = performance.now() + 50;
    const poll = (): void => {
      const queued = inner?._queuedDecodeSequenceIds;
      if (!queued || queued.size >= n || performance.now() > deadline) dispatch(); else setImmediate(poll);
    };
    poll();
  };
  const ctx = await model.createContext({ sequences: n, contextSize: s.promptTokens + s.newTokens + 8,
    threads: { ideal: s.threads, min: s.threads }, batchSize: Math.max(512, n), flashAttention: false,
    batching: { dispatchSchedule: holdUntilAllQueued } });
  inner = ctx as unknown as Internals;
  const batchTokens: number[] = [];
  const native = inner._ctx;
  if (native) {  // the addon object is frozen: count through a proxy in its place
    inner._ctx = new Proxy(native, { get(t, prop) {
      const v = Reflect.get(t, prop) as unknown;
      if (prop === 'initBatch') return (size: number) => { batchTokens.push(size); t.initBatch(size); };
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(t) : v;
    } });
  }
  try {
    const seqs = Array.from({ length: n }, () => ctx.getSequence());
    const prompt = benchPrompt(s.promptTokens) as NodeLlamaCpp.Token[];
    const t0 = performance.now();
    await Promise.all(seqs.map((q) => q.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1))));
    const prefillS = (performance.now() - t0) / 1000;
    let cur = seqs.map(() => prompt[prompt.length - 1]!);
    const greedy = { generateNext: { token: true, options: { temperature: 0 } } };
    const step = async (): Promise<void> => {
      const outs = await Promise.all(seqs.map((q, i) => q.controlledEvaluate([[cur[i]!, greedy]])));
      cur = outs.map((o) => o[0]!.next.token!);
    };
    await step();  // evaluates the last prompt token: its first new token, like ttrl's prefill logits
    batchTokens.length = 0;
    const ms: number[] = [];
    for (let i = 1; i < s.newTokens; i++) {
      const t = performance.now();
      await step();
      ms.push(performance.now() - t);
    }
    const stepMs = median(ms);
    return { sequences: n, stepMs: r3(stepMs), tokensPerS: r3((n * 1000) / stepMs), prefillS: r3(prefillS),
      decodeBatchTokens: native ? batchTokens : undefined,
      oneBatchPerStep: native ? batchTokens.length === s.newTokens - 1 && batchTokens.every((t) => t === n) : false };
  } finally {
    await ctx.dispose();
  }
}

/** ttrl: sampleBatch, greedy, one request of n samples sharing the prompt's prefill. */
function ttrlRun(model: Model, n: number, s: RaceSettings): DecodeRun {
  const reports: SampleProgress[] = [];
  sampleBatch(model, [{ ids: benchPrompt(s.promptTokens), n }], { temperature: 0, maxNewTokens: s.newTokens, eosIds: [] },
    { maxSlots: n, seed: 0, onProgress: (p) => reports.push(p) });
  const steps = s.newTokens - 1;  // one report per decode step, then a final one
  const ms = reports.slice(1, steps).map((p, i) => p.elapsedMs - reports[i]!.elapsedMs);
  const stepMs = median(ms);
  return { sequences: n, stepMs: r3(stepMs), tokensPerS: r3((n * 1000) / stepMs), prefillS: r3(reports[reports.length - 1]!.prefillMs / 1000) };
}

export async function benchRace(s: RaceSettings = DEFAULT_RACE, log: (m: string) => void = () => {}, cfg: ModelConfig = BENCH_CONFIG): Promise<object> {
  const nlc = await import('node-llama-cpp');
  const before = os.loadavg();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ttrl-race-'));
  const llama = await nlc.getLlama({ gpu: false, build: 'never', maxThreads: s.threads, logLevel: nlc.LlamaLogLevel.error, progressLogs: false });
  const out: Record<string, object> = {}, ratios: Record<string, Record<string, number>> = {};
  try {
    for (const prec of s.precisions) {
      const file = path.join(dir, `qwen2-0.5b-random-${prec}.gguf`);
      writeModelGguf(file, cfg, randomWeights(cfg, BENCH_SEED), benchVocab(cfg), { dtype: prec, name: 'qwen2-0.5b-random' });
      const lm = await llama.loadModel({ modelPath: file });
      const llamaRuns: DecodeRun[] = [];
      try {
        for (const n of s.sequences) { log(`llama.cpp ${prec}: ${n} sequences`); llamaRuns.push(await llamaRun(lm, n, s)); }
      } finally { await lm.dispose(); fs.rmSync(file, { force: true }); }
      const be = new CpuBackend(s.threads, TTRL_PRECISION[prec]);
      const model = new Model(cfg, paramsFromHost(cfg, materialize(randomWeights(cfg, BENCH_SEED)), be, 'bench weights'), be);
      ttrlRun(model, 1, { ...s, newTokens: 3 });  // warm-up: scratch buffers, 16-bit weight copies
      const ttrlRuns = s.sequences.map((n) => { log(`ttrl ${TTRL_PRECISION[prec]}: ${n} sequences`); return ttrlRun(model, n, s); });
      ratios[prec] = {};
      s.sequences.forEach((n, i) => { if (llamaRuns[i]!.oneBatchPerStep) ratios[prec]![String(n)] = r3(ttrlRuns[i]!.tokensPerS / llamaRuns[i]!.tokensPerS); });
      out[prec] = { ttrlPrecision: TTRL_PRECISION[prec], llamaCpp: llamaRuns, ttrl: ttrlRuns };
    }
  } finally {
    await llama.dispose();
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // llama.cpp's thread pool spin-waits at barriers: on an oversubscribed machine its decode collapses by
  // orders of magnitude (seen here: 100 s per one-sequence step at load 25 on 2 cores), so no fair ratio
  const load = Math.max(before[0]!, os.loadavg()[0]!), cores = os.availableParallelism();
  const unbatched = Object.entries(out).flatMap(([p, r]) => ((r as { llamaCpp: DecodeRun[] }).llamaCpp)
    .filter((x) => !x.oneBatchPerStep).map((x) => `${p}/${x.sequences}`));
  return {
    engine: `llama.cpp ${llama.llamaCppRelease.release} (node-llama-cpp prebuilt, CPU), ${s.threads} threads`,
    settings: { ...s, kvCache: 'llama.cpp F16 (its default); ttrl at its precision', flashAttention: false, model: 'qwen2 0.5B shape, random weights' },
    loadavg: { before, after: os.loadavg() },
    ...out,
    ratio: ratios,
    ...(load > cores ? { oversubscribed: `load average ${load.toFixed(1)} on ${cores} cores: llama.cpp's spinning threads collapse, the ratios are not a fair comparison` } : {}),
    ...(unbatched.length ? { notBatched: `llama.cpp did not decode all sequences in one batch per step for ${unbatched.join(', ')}: no ratio printed there` } : {}),
    goals: { '1': '≥ 1.0', '16': '≥ 1.5', '64': '≥ 1.5' },
  };
}

/** The `npm run bench -- --only llamacpp` section. */
export async function benchLlamaCppSection(ctx: SectionContext): Promise<object> {
  return benchRace({ ...(ctx.quick ? QUICK_RACE : DEFAULT_RACE), threads: ctx.threads }, ctx.log);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const quick = process.argv.includes('--quick');
  console.log(JSON.stringify(await benchRace(quick ? QUICK_RACE : DEFAULT_RACE, (m) => process.stderr.write(`[race] ${m}\n`)), null, 2));
  process.exit(0);  // node-llama-cpp can keep the event loop alive after dispose
}
