// Deterministic random weights for a Llama / Qwen2 shape, produced one chunk at a time: a 0.5B-parameter
// F32 model (2 GB) can be streamed into a GGUF file without holding it in memory, and the same values
// can be materialized again (for ttrl's own engine) from the same seed. For benchmarks and tests only.
//
// Values follow Hugging Face's `_init_weights` scale: matrices uniform with std 0.02 (uniform rather than
// normal because it is several times faster to draw and the distribution does not matter for speed),
// RMSNorm weights 1, biases 0.
import { Rng } from '../util/rng.js';
import type { ExportModelConfig, TensorSource } from './gguf-llama.js';

/** Values per chunk: 4 MiB of float32. */
const CHUNK = 1 << 20;

/** FNV-1a of a tensor name, so each tensor has its own random stream whatever the iteration order. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** HF parameter names and row-major shapes of a Llama / Qwen2 checkpoint with this config. */
export function checkpointShapes(cfg: ExportModelConfig): Map<string, number[]> {
  const { vocabSize: V, hidden: C, intermediate: F, nHeads: H, nKvHeads: G, headDim: D } = cfg;
  const m = new Map<string, number[]>([['model.embed_tokens.weight', [V, C]]]);
  const bias = cfg.attnBias || cfg.modelType === 'qwen2';
  for (let i = 0; i < cfg.nLayers; i++) {
    const p = `model.layers.${i}.`;
    m.set(`${p}self_attn.q_proj.weight`, [H * D, C]);
    m.set(`${p}self_attn.k_proj.weight`, [G * D, C]);
    m.set(`${p}self_attn.v_proj.weight`, [G * D, C]);
    if (bias) {
      m.set(`${p}self_attn.q_proj.bias`, [H * D]);
      m.set(`${p}self_attn.k_proj.bias`, [G * D]);
      m.set(`${p}self_attn.v_proj.bias`, [G * D]);
    }
    m.set(`${p}self_attn.o_proj.weight`, [C, H * D]);
    m.set(`${p}mlp.gate_proj.weight`, [F, C]);
    m.set(`${p}mlp.up_proj.weight`, [F, C]);
    m.set(`${p}mlp.down_proj.weight`, [C, F]);
    m.set(`${p}input_layernorm.weight`, [C]);
    m.set(`${p}post_attention_layernorm.weight`, [C]);
  }
  m.set('model.norm.weight', [C]);
  if (!cfg.tieEmbeddings) m.set('lm_head.weight', [V, C]);
  return m;
}

/** A TensorSource of random weights: the same (cfg, seed) always yields the same values. */
export function randomWeights(cfg: ExportModelConfig, seed: number): TensorSource {
  const shapes = checkpointShapes(cfg);
  const half = 0.02 * Math.sqrt(3); // uniform on [-half, half] has std 0.02
  function* chunks(name: string): Iterable<Float32Array> {
    const shape = shapes.get(name)!;
    const n = shape.reduce((a, b) => a * b, 1);
    const fill = name.endsWith('norm.weight') ? 1 : name.endsWith('.bias') ? 0 : undefined;
    for (let start = 0, k = 0; start < n; start += CHUNK, k++) {
      const out = new Float32Array(Math.min(CHUNK, n - start));
      if (fill !== undefined) { out.fill(fill); yield out; continue; }
      const rng = new Rng(seed, nameHash(name), k);
      for (let i = 0; i < out.length; i++) out[i] = (rng.nextU32() / 4294967296 * 2 - 1) * half;
      yield out;
    }
  }
  return { names: () => shapes.keys(), shape: (n) => shapes.get(n)!, chunks };
}

/** All of a source's tensors in memory (what readSafetensors returns), e.g. to load into ttrl's engine. */
export function materialize(src: TensorSource): Map<string, { shape: number[]; data: Float32Array }> {
  const out = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const name of src.names()) {
    const shape = [...src.shape(name)];
    const data = new Float32Array(shape.reduce((a, b) => a * b, 1));
    let o = 0;
    for (const c of src.chunks(name)) { data.set(c, o); o += c.length; }
    out.set(name, { shape, data });
  }
  return out;
}
