// The benchmark's model: Qwen2.5-0.5B's shapes with random weights, and the FLOP counts of the work timed.
//
// L=layers, C=hidden, H=query heads, G=KV heads, D=head dim, F=MLP hidden, V=vocab.
import { parseConfig, type ModelConfig } from '../src/model/config.js';
import { Model } from '../src/model/model.js';
import { paramSpecs, type Param } from '../src/model/params.js';
import type { Backend } from '../src/tensor/backend.js';
import { cpu } from '../src/tensor/cpu.js';

/** Qwen2.5-0.5B's config.json fields that set the cost (Qwen/Qwen2.5-0.5B on the HF hub). */
export const QWEN05B_CONFIG = {
  model_type: 'qwen2', vocab_size: 151936, hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24,
  num_attention_heads: 14, num_key_value_heads: 2, tie_word_embeddings: true, rope_theta: 1000000,
  rms_norm_eps: 1e-6, max_position_embeddings: 32768,
} as const;

export const qwenConfig = (): ModelConfig => parseConfig({ ...QWEN05B_CONFIG });

/**
 * A Qwen2.5-0.5B-shaped model with random weights: matrices uniform with std 0.02, norms 1, biases 0.
 * Not initModel: its Box-Muller normals cost ~40 ns each in JS, which for 494M weights is over a minute on
 * this machine, a quarter of the benchmark's budget; the weights' values do not change any timing.
 */
export function benchModel(seed: number, be: Backend = cpu(), cfg: ModelConfig = qwenConfig()): Model {
  const params = new Map<string, Param>();
  let s = (seed * 2654435761 + 1) >>> 0;
  const a = 0.02 * Math.sqrt(3);  // uniform(−a, a) has std 0.02
  for (const [name, shape] of paramSpecs(cfg)) {
    const data = new Float32Array(shape.reduce((x, y) => x * y, 1));
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) {
      for (let i = 0; i < data.length; i++) {
        s ^= s << 13; s ^= s >>> 17; s ^= s << 5;  // xorshift32: fast, and good enough for timing weights
        data[i] = ((s >>> 0) / 4294967296 * 2 - 1) * a;
      }
    }
    params.set(name, { name, shape, buf: be.fromHost(data), grad: null });
  }
  return new Model(cfg, params, be);
}

/** Weights that take part in matrix products, per token: all layers' projections, and the head. */
export function matmulParams(cfg: ModelConfig): { layers: number; head: number } {
  const { hidden: C, intermediate: F, nHeads: H, nKvHeads: G, headDim: D, nLayers: L, vocabSize: V } = cfg;
  const perLayer = C * H * D + 2 * C * G * D + H * D * C + 3 * C * F;
  return { layers: L * perLayer, head: V * C };
}

/**
 * Forward FLOPs: 2 per weight per token through the layers, 2 per head weight per row that gets logits,
 * and attention's q·k and p·v, 4·D per (query, visible key) pair per head per layer. `pairs` is the number
 * of (query, visible key) pairs summed over the batch. Biases, norms, RoPE and softmax are not counted.
 */
export function forwardFlops(cfg: ModelConfig, tokens: number, headRows: number, pairs: number): number {
  const p = matmulParams(cfg);
  return 2 * p.layers * tokens + 2 * p.head * headRows + 4 * cfg.headDim * cfg.nHeads * cfg.nLayers * pairs;
}

/** (query, key) pairs of causal attention over B sequences of T tokens that start at position `past`. */
export function causalPairs(B: number, T: number, past = 0): number {
  return B * (T * past + (T * (T + 1)) / 2);
}
