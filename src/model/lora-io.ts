// PEFT's adapter files in both directions: adapter_config.json + adapter_model.safetensors, with PEFT's
// tensor names (base_model.model.<module>.lora_A.weight / lora_B.weight). An adapter written here loads in
// PEFT / vLLM / SGLang; one written by PEFT loads here. Features ttrl does not implement (DoRA, biases,
// per-module ranks, fan_in_fan_out, dropout) are refused with the field named rather than silently ignored.
import fs from 'node:fs';
import path from 'node:path';
import type { Backend } from '../tensor/backend.js';
import type { Param } from './params.js';
import { writeFileAtomic } from './params.js';
import { readSafetensorsFile, writeSafetensors, type HostTensor } from './safetensors.js';
import { LoraAdapter, LORA_MODULES, checkLoraSpec, loraParam, peftName, type LoraModule, type LoraSpec } from './lora.js';
import { TtrlError } from '../util/errors.js';

export const ADAPTER_CONFIG = 'adapter_config.json';
export const ADAPTER_WEIGHTS = 'adapter_model.safetensors';

/** The LoRA spec of a PEFT adapter_config.json (checked). */
export function readAdapterSpec(dir: string): LoraSpec {
  const file = path.join(dir, ADAPTER_CONFIG);
  if (!fs.existsSync(file)) throw new TtrlError(`${file}: not found (a PEFT adapter folder holds ${ADAPTER_CONFIG} and ${ADAPTER_WEIGHTS})`);
  let raw: Record<string, unknown>;
  try { raw = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>; } catch (e) {
    throw new TtrlError(`${file}: invalid JSON (${(e as Error).message})`);
  }
  const bad = (field: string, why: string): never => { throw new TtrlError(`${file}: "${field}" ${why}`); };
  if (raw.peft_type !== 'LORA') bad('peft_type', `is ${JSON.stringify(raw.peft_type)}; only "LORA" adapters are supported`);
  if (raw.use_dora) bad('use_dora', 'is true; DoRA is not supported');
  if ((raw.bias ?? 'none') !== 'none') bad('bias', 'must be "none"');
  if (raw.lora_bias) bad('lora_bias', 'must be false');
  if (raw.fan_in_fan_out) bad('fan_in_fan_out', 'must be false (Llama / Qwen Linears are (out, in))');
  for (const k of ['rank_pattern', 'alpha_pattern'] as const) {
    if (raw[k] && Object.keys(raw[k] as object).length) bad(k, 'must be empty (per-module ranks are not supported)');
  }
  for (const k of ['layers_to_transform', 'layer_replication', 'modules_to_save', 'exclude_modules', 'target_parameters'] as const) {
    if (raw[k] !== null && raw[k] !== undefined && !(Array.isArray(raw[k]) && (raw[k] as unknown[]).length === 0)) bad(k, 'is not supported (set it to null)');
  }
  const tm = raw.target_modules;
  if (!Array.isArray(tm)) bad('target_modules', 'must be a list of module names (a regex string is not supported)');
  const spec: LoraSpec = {
    r: raw.r as number, alpha: (raw.lora_alpha ?? 8) as number, dropout: (raw.lora_dropout ?? 0) as number,
    targetModules: [...new Set(tm as string[])] as LoraModule[], rslora: Boolean(raw.use_rslora),
  };
  // Inference needs no dropout; training refuses it in its own config.
  checkLoraSpec({ ...spec, dropout: 0 }, file);
  return spec;
}

/** Loads a PEFT adapter onto a model's base parameters: every tensor used once, every shape checked. */
export function loadAdapter(dir: string, base: Map<string, Param>, be: Backend): LoraAdapter {
  const spec = readAdapterSpec(dir);
  const file = path.join(dir, ADAPTER_WEIGHTS);
  if (!fs.existsSync(file)) throw new TtrlError(`${file}: not found (PEFT's adapter weights)`);
  const tensors = readSafetensorsFile(file);
  const ad = new LoraAdapter(spec, be);
  const targets = LoraAdapter.targets(spec, base.values());
  if (targets.length === 0) throw new TtrlError(`${dir}: target_modules [${spec.targetModules}] match no Linear of the base model`);
  for (const W of targets) {
    const [out, inp] = W.shape as [number, number];
    const take = (which: 'A' | 'B', shape: number[]): Param => {
      const name = peftName(W.name, which), t = tensors.get(name);
      if (!t) throw new TtrlError(`${file}: missing tensor "${name}" (expected shape [${shape}])`);
      if (t.shape.length !== 2 || t.shape[0] !== shape[0] || t.shape[1] !== shape[1]) {
        throw new TtrlError(`${file}: tensor "${name}" has shape [${t.shape}], expected [${shape}] (r=${spec.r}, base [${out}, ${inp}])`);
      }
      tensors.delete(name);
      return loraParam(name, shape, be.fromHost(t.data));
    };
    ad.add(W, take('A', [spec.r, inp]), take('B', [out, spec.r]));
  }
  const extra = [...tensors.keys()];
  if (extra.length) throw new TtrlError(`${file}: unexpected tensor "${extra[0]}" (not a LoRA tensor of target_modules on this base model)`);
  return ad;
}

/** Writes adapter_config.json (the fields PEFT reads, PEFT's defaults elsewhere) and adapter_model.safetensors. */
export function saveAdapter(dir: string, ad: LoraAdapter, baseModel: string | null): void {
  fs.mkdirSync(dir, { recursive: true });
  const tensors: [string, HostTensor][] = [];
  for (const p of ad.params.values()) tensors.push([p.name, { shape: p.shape, data: ad.be.read(p.buf) }]);
  tensors.sort((a, b) => (a[0] < b[0] ? -1 : 1));
  writeSafetensors(path.join(dir, ADAPTER_WEIGHTS), tensors);
  const s = ad.spec;
  const config = {
    alpha_pattern: {}, base_model_name_or_path: baseModel, bias: 'none', fan_in_fan_out: false, inference_mode: true,
    init_lora_weights: true, layers_pattern: null, layers_to_transform: null, lora_alpha: s.alpha, lora_dropout: s.dropout,
    modules_to_save: null, peft_type: 'LORA', r: s.r, rank_pattern: {}, revision: null,
    target_modules: LORA_MODULES.filter((m) => s.targetModules.includes(m)), task_type: 'CAUSAL_LM',
    use_dora: false, use_rslora: s.rslora,
  };
  writeFileAtomic(path.join(dir, ADAPTER_CONFIG), JSON.stringify(config, null, 2) + '\n');
}

/** Whether a folder is a PEFT adapter (rather than a model). */
export function isAdapterDir(dir: string): boolean { return fs.existsSync(path.join(dir, ADAPTER_CONFIG)); }

/** Loads a PEFT adapter onto a loaded model (for scoring, sampling, evaluation). */
export function attachAdapter(model: { params: Map<string, Param>; be: Backend; adapter: LoraAdapter | null }, dir: string): void {
  model.adapter = loadAdapter(dir, model.params, model.be);
}

/** Folds the adapter into its base weights (W ← W + s·B·A) and detaches it: a plain model again. */
export function mergeAdapter(model: { params: Map<string, Param>; be: Backend; adapter: LoraAdapter | null }): void {
  const ad = model.adapter;
  if (!ad) return;
  for (const name of ad.baseNames()) {
    const W = model.params.get(name)!;
    model.be.upload(W.buf, ad.mergedWeight(name, model.be.read(W.buf).slice()));
  }
  model.adapter = null;
}
