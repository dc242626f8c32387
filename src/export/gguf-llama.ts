// Hugging Face Llama / Qwen2 / Qwen3 checkpoints → llama.cpp's `llama` / `qwen2` / `qwen3` GGUF architectures: the
// hyperparameter keys, the tensor names and layouts, and the two places where the math must be rewritten
// (checked against convert_hf_to_gguf.py, `LlamaModel` / `Qwen2Model`, and llama.cpp's model loader):
//
// 1. RoPE pairing. HF rotates dimension j with j + D/2 of each head ("rotate half", GPT-NeoX style).
//    llama.cpp's `llama` architecture uses LLAMA_ROPE_TYPE_NORM, which rotates adjacent pairs (2j, 2j+1),
//    so the converter permutes the rows of q_proj and k_proj within each head: new row 2j+s = old row
//    s·D/2 + j. `qwen2` and `qwen3` use LLAMA_ROPE_TYPE_NEOX (rotate half) and are written unpermuted.
// 2. Llama-3.1 RoPE scaling. llama.cpp reads no rope_scaling keys for it; instead the converter stores a
//    `rope_freqs.weight` tensor of D/2 factors, and llama.cpp divides each inverse frequency by its factor.
//
// Shape letters: V=vocab, C=hidden, F=MLP hidden, H=query heads, G=KV heads, D=head dim.
import type { ModelConfig } from '../model/config.js';
import { paramSpecs } from '../model/params.js';
import { TtrlError } from '../util/errors.js';
import { type GgufTensor, type GgufValue, type TensorDtype, f32, str, u32 } from './gguf-writer.js';

/** A read-only set of named float32 tensors in row-major order (a loaded checkpoint, or a generator). */
export interface TensorSource {
  names(): Iterable<string>;
  shape(name: string): readonly number[];
  /** The values in row-major order, in one or more consecutive pieces. */
  chunks(name: string): Iterable<Float32Array>;
}

/** A TensorSource over tensors held in memory (what readSafetensors returns). */
export function mapSource(m: ReadonlyMap<string, { shape: readonly number[]; data: Float32Array }>): TensorSource {
  return {
    names: () => m.keys(),
    shape: (n) => m.get(n)!.shape,
    chunks: (n) => [m.get(n)!.data],
  };
}

/** llama.cpp's LLAMA_FTYPE: the file type says what most tensors are stored as. */
const FILE_TYPE: Record<TensorDtype, number> = { f32: 0, f16: 1 };

/** The `general.*` and `<arch>.*` metadata llama.cpp reads for these architectures. */
export function archMetadata(cfg: ModelConfig, dtype: TensorDtype, name: string): Array<[string, GgufValue]> {
  const a = cfg.modelType;
  return [
    ['general.architecture', str(a)],
    ['general.name', str(name)],
    ['general.alignment', u32(32)],
    ['general.file_type', u32(FILE_TYPE[dtype])],
    ['general.quantization_version', u32(2)],
    [`${a}.vocab_size`, u32(cfg.vocabSize)],
    [`${a}.context_length`, u32(cfg.maxPos)],
    [`${a}.embedding_length`, u32(cfg.hidden)],
    [`${a}.block_count`, u32(cfg.nLayers)],
    [`${a}.feed_forward_length`, u32(cfg.intermediate)],
    [`${a}.attention.head_count`, u32(cfg.nHeads)],
    [`${a}.attention.head_count_kv`, u32(cfg.nKvHeads)],
    // llama.cpp defaults the head size to C/H; written out so configs with an explicit head_dim work too.
    [`${a}.attention.key_length`, u32(cfg.headDim)],
    [`${a}.attention.value_length`, u32(cfg.headDim)],
    [`${a}.rope.dimension_count`, u32(cfg.headDim)],
    [`${a}.rope.freq_base`, f32(cfg.ropeTheta)],
    [`${a}.attention.layer_norm_rms_epsilon`, f32(cfg.rmsEps)],
  ];
}

/**
 * Reorder the rows of a (heads·D, cols) projection from HF's rotate-half layout to llama.cpp's
 * adjacent-pair layout: within each head, output row 2j+s is input row s·D/2 + j (s ∈ {0,1}, j < D/2).
 * Works for a bias too (cols = 1). Returns a new array.
 */
export function permuteRopeRows(w: Float32Array, heads: number, cols: number): Float32Array {
  const rows = w.length / cols;
  const d = rows / heads;
  if (!Number.isInteger(rows) || !Number.isInteger(d) || d % 2 !== 0) {
    throw new TtrlError(`gguf: cannot permute ${w.length} values as ${heads} heads of even size × ${cols} columns`);
  }
  const out = new Float32Array(w.length);
  const half = d / 2;
  for (let h = 0; h < heads; h++) {
    for (let j = 0; j < half; j++) {
      for (let s = 0; s < 2; s++) {
        const src = (h * d + s * half + j) * cols;
        out.set(w.subarray(src, src + cols), (h * d + 2 * j + s) * cols);
      }
    }
  }
  return out;
}

/**
 * Llama-3.1 frequency factors as convert_hf_to_gguf.py stores them in `rope_freqs.weight` (D/2 values):
 * 1 for short wavelengths (kept), `factor` for long ones (scaled), and 1/((1−s)/factor + s) in between,
 * where s = (originalMaxPos/wavelength − low)/(high − low). Dividing HF's default inverse frequency by the
 * factor gives transformers' `_compute_llama3_parameters` result.
 */
export function llama3RopeFactors(cfg: ModelConfig): Float32Array {
  const rs = cfg.ropeScaling;
  if (!rs) throw new TtrlError('gguf: llama3RopeFactors needs rope_scaling');
  const d = cfg.headDim;
  const lowWavelen = rs.originalMaxPos / rs.lowFreqFactor;
  const highWavelen = rs.originalMaxPos / rs.highFreqFactor;
  const out = new Float32Array(d / 2);
  for (let i = 0; i < d / 2; i++) {
    const invFreq = Math.fround(1 / Math.fround(cfg.ropeTheta ** ((2 * i) / d))); // float32, as torch computes it
    const wavelen = (2 * Math.PI) / invFreq;
    if (wavelen < highWavelen) out[i] = 1;
    else if (wavelen > lowWavelen) out[i] = rs.factor;
    else {
      const s = (rs.originalMaxPos / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
      out[i] = 1 / ((1 - s) / rs.factor + s);
    }
  }
  return out;
}

/** HF parameter name → GGUF tensor name (llama.cpp's `LLM_TENSOR_NAMES`). */
const LAYER_NAMES: Record<string, string> = {
  'self_attn.q_proj': 'attn_q', 'self_attn.k_proj': 'attn_k', 'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output', 'mlp.gate_proj': 'ffn_gate', 'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down', input_layernorm: 'attn_norm', post_attention_layernorm: 'ffn_norm',
  'self_attn.q_norm': 'attn_q_norm', 'self_attn.k_norm': 'attn_k_norm',
};
const TOP_NAMES: Record<string, string> = {
  'model.embed_tokens.weight': 'token_embd.weight', 'model.norm.weight': 'output_norm.weight', 'lm_head.weight': 'output.weight',
};

export function ggufName(hf: string): string {
  const top = TOP_NAMES[hf];
  if (top) return top;
  const m = /^model\.layers\.(\d+)\.(.+)\.(weight|bias)$/.exec(hf);
  const g = m ? LAYER_NAMES[m[2]!] : undefined;
  if (!m || !g) throw new TtrlError(`gguf: no llama.cpp name for tensor ${hf}`);
  return `blk.${m[1]}.${g}.${m[3]}`;
}

interface Planned { hf: string; gguf: string; shape: number[]; permuteHeads?: number }

/** Every HF tensor the config implies (src/model's paramSpecs), with its GGUF name. */
function plan(cfg: ModelConfig, hasLmHead: boolean): Planned[] {
  const specs = paramSpecs(cfg);
  // A tied head is not stored: llama.cpp reuses token_embd when output.weight is absent. A checkpoint
  // that stores it anyway gets it written (llama.cpp then uses it; the values are the embedding's).
  if (cfg.tieEmbeddings && hasLmHead) specs.push(['lm_head.weight', [cfg.vocabSize, cfg.hidden]]);
  const permute = cfg.modelType === 'llama'; // see note 1 at the top
  return specs.map(([hf, shape]) => {
    const heads = !permute ? undefined : hf.includes('.self_attn.q_proj.') ? cfg.nHeads : hf.includes('.self_attn.k_proj.') ? cfg.nKvHeads : undefined;
    return { hf, gguf: ggufName(hf), shape, permuteHeads: heads };
  });
}

/** HF keeps these non-parameter buffers in some old checkpoints; llama.cpp computes them itself. */
const IGNORED = /\.rotary_emb\.inv_freq$/;

function concat(chunks: Iterable<Float32Array>, n: number): Float32Array {
  const out = new Float32Array(n);
  let o = 0;
  for (const c of chunks) { out.set(c, o); o += c.length; }
  return out;
}

/**
 * The GGUF tensors for a checkpoint, in llama.cpp's names and layouts. Every source tensor is used exactly
 * once and its shape checked: a missing, unexpected or misshapen tensor throws, naming it. 2-D weights are
 * stored as `dtype`; 1-D tensors (norms, biases, rope factors) stay F32, as convert_hf_to_gguf.py keeps them.
 */
export function ggufTensors(cfg: ModelConfig, src: TensorSource, dtype: TensorDtype): GgufTensor[] {
  const have = new Set([...src.names()].filter((n) => !IGNORED.test(n)));
  const planned = plan(cfg, have.has('lm_head.weight'));
  const missing = planned.filter((p) => !have.has(p.hf)).map((p) => p.hf);
  if (missing.length) throw new TtrlError(`gguf: checkpoint lacks ${missing.slice(0, 5).join(', ')}${missing.length > 5 ? ` (+${missing.length - 5} more)` : ''}`);
  const wanted = new Set(planned.map((p) => p.hf));
  const extra = [...have].filter((n) => !wanted.has(n));
  if (extra.length) throw new TtrlError(`gguf: checkpoint has tensors a ${cfg.modelType} model does not use: ${extra.slice(0, 5).join(', ')}`);

  const out: GgufTensor[] = [];
  if (cfg.ropeScaling) {
    const factors = llama3RopeFactors(cfg);
    out.push({ name: 'rope_freqs.weight', shape: [factors.length], dtype: 'f32', chunks: () => [factors] });
  }
  for (const p of planned) {
    const shape = src.shape(p.hf);
    if (shape.length !== p.shape.length || shape.some((d, i) => d !== p.shape[i])) {
      throw new TtrlError(`gguf: ${p.hf} has shape [${shape}], config.json implies [${p.shape}]`);
    }
    const n = p.shape.reduce((a, b) => a * b, 1);
    const cols = p.shape.length === 2 ? p.shape[1]! : 1;
    const heads = p.permuteHeads;
    out.push({
      name: p.gguf,
      shape: p.shape,
      dtype: p.shape.length === 2 ? dtype : 'f32',
      chunks: heads === undefined ? () => src.chunks(p.hf) : () => [permuteRopeRows(concat(src.chunks(p.hf), n), heads, cols)],
    });
  }
  return out;
}
