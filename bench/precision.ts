// The bf16 half of the core sections: the same work as the fp32 half (engine.ts), on the CPU backend at
// precision bf16 with the same weights (a second Model over the same parameters, which lays their matrices
// out split: src/model/params.ts matricesAt), and the bf16 / fp32 throughput ratios of one run.
import { Model } from '../src/model/model.js';
import type { Backend } from '../src/tensor/backend.js';
import { cpuBf16Support } from '../src/tensor/cpu.js';
import type { Measured } from './engine.js';

type Json = Record<string, unknown>;

/** The same weights at another precision: shares the parameter objects (no second copy) and lays their
 *  matrices out for it in place (split at bf16, float32 at fp32), so a model made before for the other
 *  precision must be made again with modelAt before it runs. */
export function modelAt(model: Model, be: Backend): Model {
  return new Model(model.cfg, model.params, be);
}

/** MB held by a model's parameters, gradients and scratch (activations): its training memory without the
 *  optimizer state, which is fp32 at both precisions. */
export function modelMB(model: Model): number {
  let bytes = 0;
  const size = (b: { n: number; dtype: string } | null | undefined): number =>
    (b ? (b.dtype === 'bf16' ? 2 * b.n : b.dtype === 'split' ? 4 * b.n + tieBytes(b) : 4 * b.n) : 0);
  for (const p of model.params.values()) bytes += size(p.buf) + size(p.grad);
  for (const b of (model as unknown as { arena: Map<string, { n: number; dtype: string }> }).arena.values()) bytes += size(b);
  return Math.round(bytes / 2 ** 20);
}

/** A split buffer's tie storage: the CPU's list of ties (src/tensor/cpu.ts), or a bit per value (CUDA). */
function tieBytes(b: { n: number }): number {
  const list = (b as { ties?: { idx?: Uint32Array } }).ties?.idx;
  return list ? list.byteLength : 4 * Math.ceil(b.n / 32);
}

/** bf16 throughput over fp32 throughput for the same work (time ratio fp32 / bf16). */
export const speedup = (fp32: Measured, bf16: Measured): number => +(fp32.seconds / bf16.seconds).toFixed(3);
/** The same from CPU seconds (all threads), which other jobs on a shared machine disturb less. */
export const cpuSpeedup = (fp32: Measured, bf16: Measured): number => +(fp32.cpuSeconds / bf16.cpuSeconds).toFixed(3);

/** What ran the bf16 products, for the JSON. */
export function bf16Machine(): Json {
  const s = cpuBf16Support();
  return { library: s.library, impl: s.impl, fast: s.fast, reason: s.reason };
}

/** Goals: bf16 over fp32 throughput. */
export const BF16_GOALS = { gemm: 4, prefill: 2.5, train: 2, decode: 1.5 };

/** Goals: ttrl bf16 over PyTorch bf16 autocast (throughput), where torch runs. */
export const TORCH_BF16_GOALS = { prefill: 1, train: 1, decode: 1.5 };

/** What the JSON says of the torch bf16 comparison: why not, or how torch ran. */
export function torchBf16Note(whyNot: string | null): string {
  return whyNot ? `PyTorch bf16 autocast not compared: ${whyNot}`
    : 'PyTorch bf16 autocast (torch.autocast("cpu", bfloat16), bf16 KV cache) beside each section\'s bf16 run; ' +
      'its version in torchBf16.torch (the goals name PyTorch 2.x; PyPI is unreachable here, Debian 12 ships 1.13)';
}

/** A section's torch bf16 run beside ttrl's bf16 run: the run and ttrl's throughput over it. */
export function besideTorchBf16(o16: Measured, tr16: Json | null): Json {
  if (!tr16) return {};
  if (typeof tr16.seconds !== 'number') return { torchBf16: tr16 };
  return { torchBf16: tr16, bf16OverTorchBf16: +(tr16.seconds / o16.seconds).toFixed(3) };
}
