// Optimizers over a model's parameters: AdamW (decoupled weight decay with bias correction, as
// torch.optim.AdamW) and plain SGD (no momentum, no weight decay). Global grad-norm clipping. State saves
// as safetensors next to the model, so a checkpoint is an HF model directory plus optimizer.safetensors.
import fs from 'node:fs';
import path from 'node:path';
import type { Backend, Buf } from '../tensor/backend.js';
import type { Param } from '../model/params.js';
import { readSafetensorsFile, writeSafetensors, type HostTensor } from '../model/safetensors.js';
import { writeFileAtomic } from '../model/params.js';
import { TtrlError, check } from '../util/errors.js';

export type OptimizerKind = 'adamw' | 'sgd';

export interface OptimConfig {
  kind: OptimizerKind;
  beta1: number;        // 0.9 (torch default; TTRL / verl)
  beta2: number;        // 0.999
  eps: number;          // 1e-8
  weightDecay: number;  // 0.01 (TTRL / verl actor); applied to every parameter, as verl's FSDP actor does
}

export const DEFAULT_OPTIM: OptimConfig = { kind: 'adamw', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01 };

export class Optimizer {
  /** Number of optimizer steps taken (AdamW bias correction uses it). */
  t = 0;
  private m = new Map<string, Buf>();
  private v = new Map<string, Buf>();

  constructor(readonly params: Map<string, Param>, readonly cfg: OptimConfig, readonly be: Backend) {}

  /** Apply one update with learning rate lr to every parameter that has a gradient (split matrices at
   *  precision bf16 in place, by the fused kernels: their bf16 halves are then up to date too). */
  step(lr: number): void {
    this.t += 1;
    const { beta1, beta2, eps, weightDecay } = this.cfg;
    const bc1 = 1 - Math.pow(beta1, this.t), bc2 = 1 - Math.pow(beta2, this.t);
    for (const p of this.params.values()) {
      if (!p.grad) continue;
      if (this.cfg.kind === 'sgd') this.be.axpy(p.buf, p.grad, -lr);
      else this.be.adamw(p.buf, p.grad, this.state(this.m, p), this.state(this.v, p), lr, beta1, beta2, eps, weightDecay, bc1, bc2);
    }
  }

  private state(map: Map<string, Buf>, p: Param): Buf {
    let b = map.get(p.name);
    if (!b) { b = this.be.alloc(p.buf.n); map.set(p.name, b); }
    return b;
  }

  save(dir: string): void {
    const tensors: [string, HostTensor][] = [];
    for (const [which, map] of [['m', this.m], ['v', this.v]] as const) {
      for (const [name, b] of map) tensors.push([`${which}.${name}`, { shape: [b.n], data: this.be.read(b) }]);
    }
    writeSafetensors(path.join(dir, 'optimizer.safetensors'), tensors);
    writeFileAtomic(path.join(dir, 'optimizer.json'), JSON.stringify({ ...this.cfg, t: this.t }, null, 2) + '\n');
  }

  load(dir: string): void {
    const file = path.join(dir, 'optimizer.json');
    if (!fs.existsSync(file)) throw new TtrlError(`${file}: not found (no optimizer state to resume from)`);
    const meta = JSON.parse(fs.readFileSync(file, 'utf8')) as OptimConfig & { t: number };
    check(meta.kind === this.cfg.kind, `${file}: optimizer state is for ${meta.kind}, but ${this.cfg.kind} is configured`);
    this.t = meta.t;
    this.m.clear(); this.v.clear();
    for (const [name, t] of readSafetensorsFile(path.join(dir, 'optimizer.safetensors'))) {
      const dot = name.indexOf('.');
      const which = name.slice(0, dot), pname = name.slice(dot + 1);
      const p = this.params.get(pname);
      check(p && p.buf.n === t.data.length && (which === 'm' || which === 'v'),
        `${dir}/optimizer.safetensors: state "${name}" does not match the model's parameters`);
      (which === 'm' ? this.m : this.v).set(pname, this.be.fromHost(t.data));
    }
  }
}

/** Global L2 norm of all gradients; scales them so the norm is at most maxNorm (if finite and > 0).
 *  Returns the norm before clipping (NaN/Inf propagate so the caller can refuse the step). */
export function clipGradNorm(params: Map<string, Param>, be: Backend, maxNorm: number): number {
  let ss = 0;
  for (const p of params.values()) if (p.grad) ss += be.sumSquares(p.grad);
  const norm = Math.sqrt(ss);
  if (maxNorm > 0 && Number.isFinite(norm) && norm > maxNorm) {
    const s = maxNorm / (norm + 1e-6);  // torch.nn.utils.clip_grad_norm_ uses the same 1e-6
    for (const p of params.values()) if (p.grad) be.scale(p.grad, s);
  }
  return norm;
}
