// LoRA adapters (Hu et al., 2021) with PEFT's meanings: for an adapted Linear with weight W (out, in),
//   y = W·x + s·B·(A·x),   A (r, in), B (out, r),   s = alpha / r   (rsLoRA: alpha / √r).
// The base weights stay as they are (held once, frozen); the adapter's tensors are Params of their own,
// named as PEFT saves them, so the optimizer, checkpoints and adapter_model.safetensors all use one name.
// The model calls apply() after each base Linear and backward() after each base Linear's backward; the
// low-rank activation A·x is recomputed in backward (r ≪ out, so that costs less than storing it).
import type { Backend, Buf } from '../tensor/backend.js';
import type { Param } from './params.js';
import { Rng } from '../util/rng.js';
import { TtrlError } from '../util/errors.js';

/** The module names LoRA can target (the Linear layers of a Llama / Qwen decoder layer). */
export const LORA_MODULES = ['q_proj', 'k_proj', 'v_proj', 'o_proj', 'gate_proj', 'up_proj', 'down_proj'] as const;
export type LoraModule = (typeof LORA_MODULES)[number];

export interface LoraSpec {
  r: number;
  alpha: number;
  /** PEFT's lora_dropout; only 0 is supported. */
  dropout: number;
  targetModules: LoraModule[];
  rslora: boolean;
}

/** PEFT's LoraConfig defaults (its default targets for Llama / Qwen2 / Qwen3 are q_proj and v_proj). */
export const DEFAULT_LORA: LoraSpec = { r: 8, alpha: 8, dropout: 0, targetModules: ['q_proj', 'v_proj'], rslora: false };

/** PEFT's saved name of a LoRA tensor, from the base weight's name ("model.layers.0.self_attn.q_proj.weight"). */
export function peftName(baseWeight: string, which: 'A' | 'B'): string {
  return `base_model.model.${baseWeight.replace(/\.weight$/, '')}.lora_${which}.weight`;
}

export function loraScaling(spec: LoraSpec): number {
  return spec.rslora ? spec.alpha / Math.sqrt(spec.r) : spec.alpha / spec.r;
}

/** The module name of a base Linear weight ("…mlp.down_proj.weight" → "down_proj"), or null. */
function moduleOf(baseWeight: string): LoraModule | null {
  const m = /\.([a-z_]+)\.weight$/.exec(baseWeight);
  return m && (LORA_MODULES as readonly string[]).includes(m[1]!) ? (m[1] as LoraModule) : null;
}

export function checkLoraSpec(spec: LoraSpec, where: string): void {
  if (!Number.isInteger(spec.r) || spec.r < 1) throw new TtrlError(`${where}: r must be a positive integer, got ${spec.r}`);
  if (!(spec.alpha > 0)) throw new TtrlError(`${where}: alpha must be > 0, got ${spec.alpha}`);
  if (spec.dropout !== 0) throw new TtrlError(`${where}: dropout ${spec.dropout} is not supported; set it to 0 (PEFT's default)`);
  if (spec.targetModules.length === 0) throw new TtrlError(`${where}: target_modules is empty; name some of ${LORA_MODULES.join(', ')}`);
  for (const t of spec.targetModules) {
    if (!(LORA_MODULES as readonly string[]).includes(t)) throw new TtrlError(`${where}: unknown target module "${t}" (one of ${LORA_MODULES.join(', ')})`);
  }
}

interface Pair { A: Param; B: Param }

export class LoraAdapter {
  /** The trainable tensors, under PEFT's saved names. */
  readonly params = new Map<string, Param>();
  readonly scaling: number;
  /** Off: the model computes its base alone (the KL reference), without a second copy of the weights. */
  enabled = true;
  private byBase = new Map<string, Pair>();

  constructor(readonly spec: LoraSpec, readonly be: Backend) { this.scaling = loraScaling(spec); }

  /** Attaches A (r, in) and B (out, r) to a base weight (out, in). */
  add(base: Param, A: Param, B: Param): void {
    this.byBase.set(base.name, { A, B });
    this.params.set(A.name, A);
    this.params.set(B.name, B);
  }

  /** The base weights this adapter targets, among a model's parameters (in their order). */
  static targets(spec: LoraSpec, base: Iterable<Param>): Param[] {
    return [...base].filter((p) => { const m = moduleOf(p.name); return m !== null && spec.targetModules.includes(m); });
  }

  /** A fresh adapter, PEFT's init: A ~ U(±1/√in) (kaiming_uniform with a=√5), B = 0 (a no-op at start). */
  static init(spec: LoraSpec, base: Iterable<Param>, be: Backend, seed: number): LoraAdapter {
    const ad = new LoraAdapter(spec, be), rng = new Rng(seed, 0x10a);
    for (const W of LoraAdapter.targets(spec, base)) {
      const [out, inp] = W.shape as [number, number];
      const a = new Float32Array(spec.r * inp), bound = 1 / Math.sqrt(inp);
      for (let i = 0; i < a.length; i++) a[i] = (2 * rng.next() - 1) * bound;
      ad.add(W, param(peftName(W.name, 'A'), [spec.r, inp], be.fromHost(a)), param(peftName(W.name, 'B'), [out, spec.r], be.alloc(out * spec.r)));
    }
    return ad;
  }

  pairOf(baseWeight: string): Pair | undefined { return this.byBase.get(baseWeight); }
  baseNames(): string[] { return [...this.byBase.keys()]; }

  /** y(M,out) += s·(x·Aᵀ)·Bᵀ when W is adapted and the adapter is on. */
  apply(y: Buf, x: Buf, W: Param, M: number, scratch: (key: string, n: number) => Buf): void {
    const pr = this.enabled ? this.byBase.get(W.name) : undefined;
    if (!pr) return;
    const [out, inp] = W.shape as [number, number], r = this.spec.r;
    const u = scratch('lora.u', M * r);
    this.be.gemm(u, x, pr.A.buf, M, r, inp, false, true, 1, 0);
    this.be.gemm(y, u, pr.B.buf, M, out, r, false, true, this.scaling, 1);
  }

  /** dx(M,in) += s·(dy·B)·A ; dB += s·dyᵀ·(x·Aᵀ) ; dA += s·(dy·B)ᵀ·x. */
  backward(dx: Buf, dy: Buf, x: Buf, W: Param, M: number, scratch: (key: string, n: number) => Buf): void {
    const pr = this.enabled ? this.byBase.get(W.name) : undefined;
    if (!pr) return;
    const { be } = this, s = this.scaling, r = this.spec.r;
    const [out, inp] = W.shape as [number, number];
    const u = scratch('lora.u', M * r), du = scratch('lora.du', M * r);
    be.gemm(u, x, pr.A.buf, M, r, inp, false, true, 1, 0);
    be.gemm(gradOf(be, pr.B), dy, u, out, r, M, true, false, s, 1);
    be.gemm(du, dy, pr.B.buf, M, r, out, false, false, s, 0);
    be.gemm(gradOf(be, pr.A), du, x, r, inp, M, true, false, 1, 1);
    be.gemm(dx, du, pr.A.buf, M, inp, r, false, false, 1, 1);
  }

  zeroGrad(): void { for (const p of this.params.values()) if (p.grad) this.be.fill(p.grad, 0); }

  /** W + s·B·A for one adapted base weight (host arrays, row-major (out, in)), in float64 then rounded. */
  mergedWeight(baseWeight: string, W: Float32Array): Float32Array {
    const pr = this.byBase.get(baseWeight)!;
    const [out, r] = pr.B.shape as [number, number], inp = pr.A.shape[1]!;
    const A = this.be.read(pr.A.buf).slice(), B = this.be.read(pr.B.buf).slice(), s = this.scaling;
    const res = new Float32Array(W.length), row = new Float64Array(inp);
    for (let o = 0; o < out; o++) {
      row.fill(0);
      for (let k = 0; k < r; k++) {
        const b = B[o * r + k]!;
        if (b === 0) continue;
        for (let i = 0; i < inp; i++) row[i]! += b * A[k * inp + i]!;
      }
      for (let i = 0; i < inp; i++) res[o * inp + i] = W[o * inp + i]! + s * row[i]!;
    }
    return res;
  }
}

function param(name: string, shape: number[], buf: Buf): Param { return { name, shape, buf, grad: null }; }
function gradOf(be: Backend, p: Param): Buf { return (p.grad ??= be.alloc(p.buf.n)); }
export { param as loraParam };
