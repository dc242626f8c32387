// Sampler benchmark: P prompts × N samples × M new tokens on the Qwen2.5-0.5B shape (random weights),
// shared-prefix (each prompt prefilled once, KV copied to its samples) against naive (N-fold prefill),
// with the time split prefill / decode / sampling.
//
//   node dist/bench/sample.js [--prompts 8] [--samples 8] [--new-tokens 32] [--prompt-len 64] [--layers 24]
//
// The setting is 8 × 8 × 256 new tokens. The default runs 32 new tokens: on the 0.5B a decode
// step's cost barely grows with context at these lengths (attention is under 5% of a step's FLOPs at
// 64 + 256 positions; the 24 layers' matmuls and the 151936-row head dominate), so 32 steps measure the
// same decode rate in 1/8 of the time on a shared 2-core machine. Pass --new-tokens 256 for the full run
// (the shared-vs-naive wall-time ratio then shrinks, since the prefill saving is amortised over more decode).
//
// Random weights give near-uniform next-token distributions; EOS is disabled so every sample runs the
// full M tokens, and the two modes decode exactly the same number of tokens.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { parseConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { initParams } from '../src/model/params.js';
import { cpu } from '../src/tensor/cpu.js';
import { sampleBatch, type Sample, type SampleProgress } from '../src/sample/batch.js';
import { Rng } from '../src/util/rng.js';

export interface SampleBenchOptions {
  prompts?: number;
  samples?: number;
  newTokens?: number;
  promptLen?: number;
  /** Fewer layers than the 0.5B's 24 for a quick run (same width and vocabulary). */
  layers?: number;
  maxSlots?: number;
}

/** Qwen2.5-0.5B's config.json fields that set the compute. */
export function qwen05bConfig(layers = 24): Record<string, unknown> {
  return {
    model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: layers,
    num_attention_heads: 14, num_key_value_heads: 2, max_position_embeddings: 32768, rope_theta: 1000000,
    rms_norm_eps: 1e-6, tie_word_embeddings: true, use_sliding_window: false,
  };
}

/**
 * Random weights, fast: unit-variance uniform draws from xorshift32 instead of initModel's Box-Muller
 * normals (which take over a minute for 494M parameters); the speed does not depend on the distribution.
 */
function randomModel(raw: Record<string, unknown>, seed: number): Model {
  const cfg = parseConfig(raw), be = cpu();
  let x = (seed * 2654435761) >>> 0 || 1;
  const draw = (): number => {
    x ^= x << 13; x >>>= 0; x ^= x >>> 17; x ^= x << 5; x >>>= 0;
    return (x / 4294967296 - 0.5) * 3.4641016;  // uniform on [−√3, √3): mean 0, variance 1
  };
  return new Model(cfg, initParams(cfg, be, draw, 0.02), be);
}

interface ModeResult {
  wallS: number;
  newTokens: number;
  prefillTokens: number;
  tokensPerS: number;
  decodeTokensPerS: number;
  split: { prefillS: number; decodeS: number; samplingS: number; otherS: number };
}

function runMode(model: Model, prompts: number[][], o: Required<SampleBenchOptions>, share: boolean): { res: ModeResult; samples: Sample[][] } {
  let last: SampleProgress | null = null;
  const samples = sampleBatch(model, prompts.map((ids, r) => ({ ids, n: o.samples, key: r })),
    { temperature: 1, topP: 1, maxNewTokens: o.newTokens, eosIds: [] },
    { seed: 1, maxSlots: o.maxSlots, sharePrefix: share, onProgress: (p) => { last = p; } });
  const p = last! as SampleProgress, s = (ms: number) => +(ms / 1000).toFixed(3);
  return {
    samples,
    res: {
      wallS: s(p.elapsedMs),
      newTokens: p.newTokens,
      prefillTokens: p.prefillTokens,
      tokensPerS: +(p.newTokens / (p.elapsedMs / 1000)).toFixed(2),
      decodeTokensPerS: +(p.newTokens / (p.decodeMs / 1000)).toFixed(2),
      split: { prefillS: s(p.prefillMs), decodeS: s(p.decodeMs), samplingS: s(p.sampleMs), otherS: s(p.elapsedMs - p.prefillMs - p.decodeMs - p.sampleMs) },
    },
  };
}

export async function benchSample(opts: SampleBenchOptions = {}): Promise<object> {
  const o: Required<SampleBenchOptions> = {
    prompts: 8, samples: 8, newTokens: 32, promptLen: 64, layers: 24, maxSlots: 64, ...opts,
  };
  const t0 = performance.now();
  const model = randomModel(qwen05bConfig(o.layers), 1);
  const initS = (performance.now() - t0) / 1000;
  const rng = new Rng(2024);
  const prompts = Array.from({ length: o.prompts }, () => Array.from({ length: o.promptLen }, () => rng.int(151000)));
  const shared = runMode(model, prompts, o, true);
  model.freeScratch();
  const naive = runMode(model, prompts, o, false);
  const same = JSON.stringify(shared.samples.map((r) => r.map((x) => x.ids))) === JSON.stringify(naive.samples.map((r) => r.map((x) => x.ids)));
  return {
    bench: 'sample',
    shape: `Qwen2.5-0.5B (${o.layers} layers, random weights)`,
    cpus: os.cpus().length,
    setting: { prompts: o.prompts, samplesPerPrompt: o.samples, newTokens: o.newTokens, promptLen: o.promptLen, maxSlots: o.maxSlots, temperature: 1, topP: 1 },
    modelInitS: +initS.toFixed(1),
    shared: shared.res,
    naive: naive.res,
    sharedSpeedup: +(naive.res.wallS / shared.res.wallS).toFixed(3),
    sameSamples: same,
  };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values: a } = parseArgs({
    options: {
      prompts: { type: 'string' }, samples: { type: 'string' }, 'new-tokens': { type: 'string' },
      'prompt-len': { type: 'string' }, layers: { type: 'string' }, 'max-slots': { type: 'string' },
    },
  });
  const int = (v: string | undefined) => (v === undefined ? undefined : parseInt(v, 10));
  const opts: SampleBenchOptions = {};
  for (const [k, v] of [['prompts', a.prompts], ['samples', a.samples], ['newTokens', a['new-tokens']],
    ['promptLen', a['prompt-len']], ['layers', a.layers], ['maxSlots', a['max-slots']]] as const) {
    const x = int(v);
    if (x !== undefined) (opts as Record<string, number>)[k] = x;
  }
  console.log(JSON.stringify(await benchSample(opts), null, 2));
}
