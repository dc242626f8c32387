// Deterministic random weights for a Llama / Qwen2 shape, produced one chunk at a time: a 0.5B-parameter
// F32 model (2 GB) can be streamed into a GGUF file without holding it in memory, and the same values
// can be materialized again (for ttrl's own engine) from the same seed. For benchmarks and tests only.
//
// Values follow Hugging Face's `_init_weights` scale: matrices uniform with std 0.02 (uniform rather than
// normal because it is several times faster to draw and the distribution does not matter for speed),
// RMSNorm weights 1, biases 0.
import { Rng } from '../util/rng.js';
import type { ModelConfig } from '../model/config.js';
import { paramSpecs } from '../model/params.js';
import type { TensorSource } from './gguf-llama.js';

/** Values per chunk: 4 MiB of float32. */
const CHUNK = 1 << 20;

/** FNV-1a of a tensor name, so each tensor has its own random stream whatever the iteration order. */
function nameHash(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}

/** A TensorSource of random weights: the same (cfg, seed) always yields the same values. */
export function randomWeights(cfg: ModelConfig, seed: number): TensorSource {
  const shapes = new Map(paramSpecs(cfg));
  const half = 0.02 * Math.sqrt(3); // uniform on [-half, half] has std 0.02
  function* chunks(name: string): Iterable<Float32Array> {
    const shape = shapes.get(name)!;
    const n = shape.reduce((a, b) => a * b, 1);
    const fill = name.endsWith('layernorm.weight') || name === 'model.norm.weight' ? 1 : name.endsWith('.bias') ? 0 : undefined;
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
