// Parameter names, shapes, loading and saving of a Llama/Qwen2/Qwen3 model in Hugging Face layout.
// Every tensor of the file is consumed exactly once and every shape is checked: a missing or extra name is
// an error that names it (nanoGPT-style strict loader). ttrl keeps HF names and HF layouts ((out, in)
// Linear weights), so saving is the identity and no transposes are needed anywhere.
import fs from 'node:fs';
import path from 'node:path';
import type { Backend, Buf } from '../tensor/backend.js';
import type { ModelConfig } from './config.js';
import { readSafetensors, writeSafetensors, type HostTensor } from './safetensors.js';
import { TtrlError } from '../util/errors.js';

export interface Param {
  name: string;
  shape: number[];
  /** The values: float32; a matrix at precision bf16 split (the fp32 master as hi + lo, hi its matrix
   *  operand: matricesAt), or bf16 in a frozen model (Model.freeze). be.read gives the exact float32 values
   *  of any of them, be.upload writes them. */
  buf: Buf;
  /** Gradient accumulator (float32), allocated on first use. */
  grad: Buf | null;
}

/**
 * Puts a model's float32 matrices in the layout of its backend's precision, in place: at bf16 split (native/
 * split.h: hi, the bf16 rounding a bf16 product takes, and lo, the rest of the fp32 value, in 4⅛ bytes a
 * value: the fp32 master and its bf16 operand without a second copy); at fp32 split ones back to float32.
 * Exact both ways. bf16 matrices (a frozen model's) and vectors (norms, biases: fp32 at both) are left alone.
 */
export function matricesAt(params: Map<string, Param>, be: Backend): void {
  const want = be.precision === 'bf16' ? 'split' : 'f32';
  for (const p of params.values()) {
    if (p.shape.length !== 2 || p.buf.dtype === want || p.buf.dtype === 'bf16') continue;
    const b = be.alloc(p.buf.n, want);
    be.copy(b, p.buf);
    p.buf = b;
  }
}

/** The expected parameter names and shapes (HF names), in a stable order. */
export function paramSpecs(cfg: ModelConfig): [string, number[]][] {
  const { hidden: C, intermediate: F, nHeads: H, nKvHeads: G, headDim: D, vocabSize: V } = cfg;
  const specs: [string, number[]][] = [['model.embed_tokens.weight', [V, C]]];
  for (let l = 0; l < cfg.nLayers; l++) {
    const p = `model.layers.${l}.`;
    specs.push([`${p}input_layernorm.weight`, [C]]);
    specs.push([`${p}self_attn.q_proj.weight`, [H * D, C]]);
    specs.push([`${p}self_attn.k_proj.weight`, [G * D, C]]);
    specs.push([`${p}self_attn.v_proj.weight`, [G * D, C]]);
    if (cfg.attnBias) {
      specs.push([`${p}self_attn.q_proj.bias`, [H * D]]);
      specs.push([`${p}self_attn.k_proj.bias`, [G * D]]);
      specs.push([`${p}self_attn.v_proj.bias`, [G * D]]);
    }
    specs.push([`${p}self_attn.o_proj.weight`, [C, H * D]]);
    if (cfg.qkNorm) {
      specs.push([`${p}self_attn.q_norm.weight`, [D]]);
      specs.push([`${p}self_attn.k_norm.weight`, [D]]);
    }
    specs.push([`${p}post_attention_layernorm.weight`, [C]]);
    specs.push([`${p}mlp.gate_proj.weight`, [F, C]]);
    specs.push([`${p}mlp.up_proj.weight`, [F, C]]);
    specs.push([`${p}mlp.down_proj.weight`, [C, F]]);
  }
  specs.push(['model.norm.weight', [C]]);
  if (!cfg.tieEmbeddings) specs.push(['lm_head.weight', [V, C]]);
  return specs;
}

/** Check a host tensor map against the config and move it onto the backend. */
export function paramsFromHost(cfg: ModelConfig, tensors: Map<string, HostTensor>, be: Backend, where: string): Map<string, Param> {
  const out = new Map<string, Param>();
  for (const [name, shape] of paramSpecs(cfg)) {
    const t = tensors.get(name);
    if (!t) throw new TtrlError(`${where}: missing tensor "${name}" (expected shape [${shape}])`);
    if (t.shape.length !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
      throw new TtrlError(`${where}: tensor "${name}" has shape [${t.shape}], expected [${shape}] from config.json`);
    }
    out.set(name, { name, shape, buf: be.fromHost(t.data), grad: null });
    tensors.delete(name);
  }
  for (const name of tensors.keys()) {
    // HF never reads these: a tied head stored anyway, and RoPE buffers from old checkpoints.
    if (name === 'lm_head.weight' && cfg.tieEmbeddings) continue;
    if (name.endsWith('rotary_emb.inv_freq')) continue;
    throw new TtrlError(`${where}: unexpected tensor "${name}" (not part of a ${cfg.modelType} model with this config.json)`);
  }
  return out;
}

/** Freshly initialised parameters (HF's init: normal(0, std) for matrices, ones for norms, zeros for biases). */
export function initParams(cfg: ModelConfig, be: Backend, normal: () => number, std = 0.02): Map<string, Param> {
  const out = new Map<string, Param>();
  for (const [name, shape] of paramSpecs(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (name.endsWith('norm.weight')) data.fill(1);
    else if (!name.endsWith('.bias')) for (let i = 0; i < n; i++) data[i] = normal() * std;
    out.set(name, { name, shape, buf: be.fromHost(data), grad: null });
  }
  return out;
}

export function loadParams(dir: string, cfg: ModelConfig, be: Backend): Map<string, Param> {
  return paramsFromHost(cfg, readSafetensors(dir), be, dir);
}

/** Write config.json + model.safetensors as save_pretrained does (tied head left out). */
export function saveParams(dir: string, cfg: ModelConfig, params: Map<string, Param>, be: Backend): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: [string, HostTensor][] = [];
  for (const p of params.values()) tensors.push([p.name, { shape: p.shape, data: be.read(p.buf) }]);
  writeSafetensors(path.join(dir, 'model.safetensors'), tensors);
  for (const stale of ['model.safetensors.index.json']) fs.rmSync(path.join(dir, stale), { force: true });
  const raw = { ...cfg.raw, torch_dtype: 'float32' };
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify(raw, null, 2) + '\n');
}

/** Files a model directory carries besides its weights and config (tokenizer, chat template, generation config). */
export const MODEL_SIDE_FILES = ['tokenizer.json', 'tokenizer_config.json', 'generation_config.json', 'special_tokens_map.json',
  'chat_template.jinja', 'added_tokens.json', 'vocab.json', 'merges.txt'];

/** Copy a model directory's side files that exist into another model directory. */
export function copySideFiles(from: string, to: string): void {
  for (const f of MODEL_SIDE_FILES) {
    const src = path.join(from, f), dst = path.join(to, f);
    if (fs.existsSync(src) && path.resolve(src) !== path.resolve(dst)) fs.copyFileSync(src, dst);
  }
}

/** Write `file` through a fsynced temporary copy and a rename: readers see the old or the new file, never half. */
export function writeFileAtomic(file: string, text: string | Uint8Array): void {
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    const fd = fs.openSync(tmp, 'w');
    try { fs.writeFileSync(fd, text); fs.fsyncSync(fd); } finally { fs.closeSync(fd); }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });  // a half-written copy helps nobody (and may hold the space a retry needs)
    throw e;
  }
}
