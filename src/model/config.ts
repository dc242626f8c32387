// config.json → ModelConfig: the one parser of Hugging Face model configs in ttrl (Llama, Qwen2, Qwen3).
import fs from 'node:fs';
import path from 'node:path';
import { TtrlError, check } from '../util/errors.js';

export type ModelType = 'llama' | 'qwen2' | 'qwen3';

export interface Llama3RopeScaling {
  type: 'llama3';
  factor: number;
  lowFreqFactor: number;
  highFreqFactor: number;
  originalMaxPos: number;
}

export interface ModelConfig {
  modelType: ModelType;
  vocabSize: number;
  hidden: number;          // C
  intermediate: number;    // F
  nLayers: number;         // L
  nHeads: number;          // H
  nKvHeads: number;        // G
  headDim: number;         // D
  ropeTheta: number;
  rmsEps: number;
  tieEmbeddings: boolean;
  attnBias: boolean;       // q/k/v biases (Qwen2 always; Llama and Qwen3 when attention_bias)
  qkNorm: boolean;         // per-head RMSNorm of q and k before RoPE (Qwen3's q_norm / k_norm)
  maxPos: number;
  ropeScaling: Llama3RopeScaling | null;
  bosId: number | null;
  eosIds: number[];
  /** The parsed config.json, kept so that saving writes back every key we do not interpret. */
  raw: Record<string, unknown>;
}

function num(raw: Record<string, unknown>, key: string, file: string, fallback?: number): number {
  const v = raw[key];
  if (v === undefined || v === null) {
    if (fallback !== undefined) return fallback;
    throw new TtrlError(`${file}: missing required field "${key}"`);
  }
  check(typeof v === 'number' && Number.isFinite(v), `${file}: field "${key}" must be a number, got ${JSON.stringify(v)}`);
  return v;
}

/** Parse an already-loaded config object (file names only used in messages). */
export function parseConfig(raw: Record<string, unknown>, file = 'config.json'): ModelConfig {
  const mt = raw.model_type;
  if (mt !== 'llama' && mt !== 'qwen2' && mt !== 'qwen3') {
    throw new TtrlError(`${file}: unsupported model_type ${JSON.stringify(mt)} (ttrl supports "llama", "qwen2" and "qwen3")`);
  }
  const act = raw.hidden_act ?? 'silu';
  check(act === 'silu', `${file}: unsupported hidden_act ${JSON.stringify(act)} (only "silu")`);
  check(!raw.mlp_bias, `${file}: mlp_bias=true is not supported`);
  if (mt !== 'llama') {
    check(!raw.use_sliding_window, `${file}: use_sliding_window=true is not supported (set it to false)`);
  }
  const hidden = num(raw, 'hidden_size', file);
  const nHeads = num(raw, 'num_attention_heads', file);
  const nKvHeads = num(raw, 'num_key_value_heads', file, nHeads);
  const headDim = num(raw, 'head_dim', file, hidden / nHeads);
  check(Number.isInteger(headDim) && headDim % 2 === 0, `${file}: head dim ${headDim} must be an even integer`);
  check(nHeads % nKvHeads === 0, `${file}: num_attention_heads ${nHeads} must be a multiple of num_key_value_heads ${nKvHeads}`);

  let ropeScaling: Llama3RopeScaling | null = null;
  const rs = raw.rope_scaling as Record<string, unknown> | null | undefined;
  if (rs) {
    const kind = rs.rope_type ?? rs.type;
    if (kind === 'default') ropeScaling = null;
    else if (kind === 'llama3') {
      ropeScaling = {
        type: 'llama3',
        factor: num(rs, 'factor', `${file} rope_scaling`),
        lowFreqFactor: num(rs, 'low_freq_factor', `${file} rope_scaling`),
        highFreqFactor: num(rs, 'high_freq_factor', `${file} rope_scaling`),
        originalMaxPos: num(rs, 'original_max_position_embeddings', `${file} rope_scaling`),
      };
    } else {
      throw new TtrlError(`${file}: unsupported rope_scaling type ${JSON.stringify(kind)} (supported: null, "llama3")`);
    }
  }
  const eos = raw.eos_token_id;
  const eosIds = Array.isArray(eos) ? eos.map(Number) : typeof eos === 'number' ? [eos] : [];
  return {
    modelType: mt,
    vocabSize: num(raw, 'vocab_size', file),
    hidden,
    intermediate: num(raw, 'intermediate_size', file),
    nLayers: num(raw, 'num_hidden_layers', file),
    nHeads, nKvHeads, headDim,
    ropeTheta: num(raw, 'rope_theta', file, 10000),
    rmsEps: num(raw, 'rms_norm_eps', file, 1e-6),
    tieEmbeddings: Boolean(raw.tie_word_embeddings ?? mt === 'qwen2'),
    attnBias: mt === 'qwen2' ? true : Boolean(raw.attention_bias),
    qkNorm: mt === 'qwen3',
    maxPos: num(raw, 'max_position_embeddings', file, 4096),
    ropeScaling,
    bosId: typeof raw.bos_token_id === 'number' ? raw.bos_token_id : null,
    eosIds,
    raw,
  };
}

export function readConfig(dir: string): ModelConfig {
  const file = path.join(dir, 'config.json');
  if (!fs.existsSync(dir)) throw new TtrlError(`model directory not found: ${dir}`);
  if (!fs.existsSync(file)) throw new TtrlError(`${file}: not found (a Hugging Face model directory needs config.json)`);
  let raw: unknown;
  try { raw = JSON.parse(fs.readFileSync(file, 'utf8')); } catch (e) {
    throw new TtrlError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  check(raw !== null && typeof raw === 'object' && !Array.isArray(raw), `${file}: must hold a JSON object`);
  return parseConfig(raw as Record<string, unknown>, file);
}

/** Inverse frequencies of RoPE, (D/2), with Llama-3.1 scaling applied when configured. */
export function ropeInvFreq(cfg: ModelConfig): Float32Array {
  const half = cfg.headDim / 2;
  const out = new Float32Array(half);
  for (let i = 0; i < half; i++) {
    // computed as HF does: 1 / theta^(2i/D), in float32
    out[i] = 1 / Math.pow(cfg.ropeTheta, (2 * i) / cfg.headDim);
  }
  const rs = cfg.ropeScaling;
  if (rs) {
    const lowWavelen = rs.originalMaxPos / rs.lowFreqFactor;
    const highWavelen = rs.originalMaxPos / rs.highFreqFactor;
    for (let i = 0; i < half; i++) {
      const f = out[i]!;
      const wavelen = (2 * Math.PI) / f;
      if (wavelen < highWavelen) continue;
      if (wavelen > lowWavelen) { out[i] = f / rs.factor; continue; }
      const s = (rs.originalMaxPos / wavelen - rs.lowFreqFactor) / (rs.highFreqFactor - rs.lowFreqFactor);
      out[i] = (1 - s) * (f / rs.factor) + s * f;
    }
  }
  return out;
}
