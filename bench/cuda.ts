// CUDA benchmark, for a GPU machine (docs/cuda.md has the exact commands): on the Qwen2.5-0.5B and 1.5B
// shapes with random weights, prefill and decode tokens/s through Model.step (the sampler's path) and one
// training step (forward with entropy + backward + AdamW), plus the GEMM throughput of the model's shapes
// (cuBLAS and the built-in SGEMM). fp32 throughout.
//
//   node --expose-gc dist/bench/cuda.js [--models 0.5b,1.5b] [--gemm auto|builtin] [--device cuda|cpu] [--quick] [--out FILE]
//
// Times are wall-clock around work that ends with a device synchronize (Model.step reads its logits back,
// which waits; the training step and the GEMMs call synchronize()). Each figure is the median of its reps
// after one warm-up. --quick runs 2 layers of each model (a smoke run of the script, not a measurement).
import os from 'node:os';
import fs from 'node:fs';
import { parseArgs } from 'node:util';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseConfig, type ModelConfig } from '../src/model/config.js';
import { Model, type Batch } from '../src/model/model.js';
import { paramSpecs, type Param } from '../src/model/params.js';
import { KVCache } from '../src/model/kvcache.js';
import { Optimizer, DEFAULT_OPTIM } from '../src/train/optim.js';
import type { Backend } from '../src/tensor/backend.js';
import { cpu } from '../src/tensor/cpu.js';
import { CudaBackend } from '../src/tensor/cuda.js';
import { parseDevice } from '../src/tensor/index.js';
import { Rng } from '../src/util/rng.js';

/** The config.json fields of Qwen2.5-0.5B and -1.5B that set the compute (Hugging Face model cards). */
const SHAPES: Record<string, Record<string, unknown>> = {
  '0.5b': { hidden_size: 896, intermediate_size: 4864, num_hidden_layers: 24, num_attention_heads: 14, num_key_value_heads: 2 },
  '1.5b': { hidden_size: 1536, intermediate_size: 8960, num_hidden_layers: 28, num_attention_heads: 12, num_key_value_heads: 2 },
};

function qwenConfig(size: string, layers?: number): ModelConfig {
  const s = SHAPES[size];
  if (!s) throw new Error(`--models: unknown size ${size} (use ${Object.keys(SHAPES).join(', ')})`);
  return parseConfig({
    model_type: 'qwen2', vocab_size: 151936, max_position_embeddings: 32768, rope_theta: 1000000, rms_norm_eps: 1e-6,
    tie_word_embeddings: true, use_sliding_window: false, ...s, ...(layers ? { num_hidden_layers: layers } : {}),
  });
}

/** Random weights written straight to the device: one 4M-float block of uniform draws (std 0.02) tiled over
 *  every matrix, ones for the norms, zeros for biases. Speed does not depend on the values. */
export function randomModel(cfg: ModelConfig, be: Backend): Model {
  const rng = new Rng(7), block = Float32Array.from({ length: 1 << 22 }, () => (rng.next() - 0.5) * 0.02 * Math.sqrt(12));
  const params = new Map<string, Param>();
  for (const [name, shape] of paramSpecs(cfg)) {
    const n = shape.reduce((a, b) => a * b, 1), buf = be.alloc(n);
    if (name.endsWith('norm.weight')) be.fill(buf, 1);
    else if (!name.endsWith('.bias')) for (let o = 0; o < n; o += block.length) be.upload(buf, block.subarray(0, Math.min(block.length, n - o)), o);
    params.set(name, { name, shape, buf, grad: null });
  }
  return new Model(cfg, params, be);
}

const sync = (be: Backend): void => { if (be instanceof CudaBackend) be.synchronize(); };

/** Median seconds of `reps` timed runs of fn after one untimed warm-up. */
function timeIt(be: Backend, reps: number, fn: () => void): number {
  fn(); sync(be);
  const ts: number[] = [];
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    fn(); sync(be);
    ts.push((performance.now() - t0) / 1000);
  }
  return ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]!;
}

const round = (x: number, d = 1): number => +x.toFixed(d);
const ids = (rng: Rng, n: number): Int32Array => Int32Array.from({ length: n }, () => rng.int(151000));

/** Prefill of B prompts of T tokens into a fresh cache: tokens/s = B·T / time. */
export function prefill(model: Model, B: number, T: number, reps: number): number {
  const rng = new Rng(1), slots = Int32Array.from({ length: B }, (_, b) => b), x = ids(rng, B * T);
  const s = timeIt(model.be, reps, () => { model.step(new KVCache(model.cfg, model.be, B, T), slots, x, T); });
  return (B * T) / s;
}

/** `steps` single-token decode steps of B rows after a `ctx`-token prefill (not timed): tokens/s = B·steps
 *  / time. Each step reads its logits back, as the sampler does. */
export function decode(model: Model, B: number, ctx: number, steps: number, reps: number): number {
  const rng = new Rng(2), slots = Int32Array.from({ length: B }, (_, b) => b), ts: number[] = [];
  for (let r = 0; r <= reps; r++) {  // r = 0 warms up
    const cache = new KVCache(model.cfg, model.be, B, ctx + steps);
    model.step(cache, slots, ids(rng, B * ctx), ctx);
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) model.step(cache, slots, ids(rng, B), 1);
    if (r > 0) ts.push((performance.now() - t0) / 1000);
  }
  return (B * steps) / ts.sort((a, b) => a - b)[Math.floor(ts.length / 2)]!;
}

/** One RL-style update on B×T tokens: forward with entropy, backward, AdamW. Returns seconds per step. */
export function trainStep(model: Model, B: number, T: number, reps: number): number {
  const rng = new Rng(3), x = ids(rng, B * T), targets = Int32Array.from(x, (_, i) => (i % T === T - 1 ? -1 : x[i + 1]!));
  const batch: Batch = { B, T, ids: x, mask: new Float32Array(B * T).fill(1), targets };
  const opt = new Optimizer(model.params, DEFAULT_OPTIM, model.be);
  return timeIt(model.be, reps, () => {
    model.zeroGrad();
    const st = model.forward(batch, { entropy: true });
    const dlp = Float32Array.from(st.logprobs, (_, i) => (targets[i]! >= 0 ? -1 / st.rows.length : 0));
    model.backward(st, dlp, new Float32Array(B * T).fill(1e-3));
    opt.step(1e-6);
  });
}

/** TFLOP/s of C(M,N) = A(M,K)·B(N,K)ᵀ, the model's linear layer. */
export function gemmRate(be: Backend, M: number, N: number, K: number, reps: number): number {
  const A = be.alloc(M * K), B = be.alloc(N * K), C = be.alloc(M * N);
  be.fill(A, 0.01); be.fill(B, 0.01);
  return (2 * M * N * K) / timeIt(be, reps, () => be.gemm(C, A, B, M, N, K, false, true, 1, 0)) / 1e12;
}

export async function benchCuda(o: { models: string[]; gemm: 'auto' | 'builtin'; device: 'cpu' | 'cuda'; quick: boolean }): Promise<object> {
  const be: Backend = o.device === 'cuda' ? new CudaBackend({ gemm: o.gemm }) : cpu();
  const reps = o.quick ? 1 : 3;
  const info = be instanceof CudaBackend ? { device: be.device, cublas: be.cublas, cublasError: be.cublasError } : { cpus: os.cpus().length };
  console.error(`bench cuda: ${JSON.stringify(info)}`);
  const results: Record<string, unknown>[] = [];
  for (const size of o.models) {
    // device memory is freed when its JS handles are collected and their finalizers have run (on the event
    // loop, after the current task): let the last model's go first
    (globalThis as { gc?: () => void }).gc?.();
    await new Promise((r) => setImmediate(r));
    const cfg = qwenConfig(size, o.quick ? 2 : undefined);
    const t0 = performance.now();
    const model = randomModel(cfg, be);
    const r: Record<string, unknown> = { model: `Qwen2.5-${size.toUpperCase()} shape`, layers: cfg.nLayers, params: model.numParams(), initS: round((performance.now() - t0) / 1000, 2) };
    const { hidden: C, intermediate: F, nHeads: H, headDim: D } = cfg;
    r.gemmTflops = Object.fromEntries(([['qkv', H * D, C], ['mlp up', F, C], ['mlp down', C, F], ['head', cfg.vocabSize, C]] as const)
      .map(([label, N, K]) => [`${label} 2048x${N}x${K}`, round(gemmRate(be, 2048, N, K, reps), 2)]));
    for (const [B, T] of [[1, 512], [8, 512]]) r[`prefill B=${B} T=${T} tok/s`] = round(prefill(model, B, T, reps));
    model.freeScratch();
    for (const B of [1, 32]) r[`decode B=${B} ctx=256 tok/s`] = round(decode(model, B, 256, o.quick ? 4 : 64, reps));
    model.freeScratch();
    const [tb, tt] = [4, 512];
    const s = trainStep(model, tb, tt, reps);
    r[`train step B=${tb} T=${tt} s`] = round(s, 3);
    r[`train tok/s`] = round((tb * tt) / s);
    console.error(JSON.stringify(r));
    results.push(r);
  }
  let commit = process.env.TTRL_COMMIT ?? null;
  try { commit ??= execFileSync('git', ['rev-parse', 'HEAD'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim(); } catch { /* a copy without .git */ }
  return { bench: 'cuda', date: new Date().toISOString(), commit, node: process.version, backend: be.name, gemm: o.gemm, precision: 'fp32', quick: o.quick, ...info, results };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { values: a } = parseArgs({
    options: {
      models: { type: 'string', default: '0.5b,1.5b' }, gemm: { type: 'string', default: 'auto' },
      device: { type: 'string', default: 'cuda' }, quick: { type: 'boolean', default: false }, out: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (a.help) {
    console.log('node dist/bench/cuda.js [--models 0.5b,1.5b] [--gemm auto|builtin] [--device cuda|cpu] [--quick] [--out FILE]');
    process.exit(0);
  }
  if (a.gemm !== 'auto' && a.gemm !== 'builtin') throw new Error(`--gemm: ${a.gemm} (use auto or builtin)`);
  const res = await benchCuda({ models: a.models.split(','), gemm: a.gemm, device: parseDevice(a.device), quick: a.quick });
  const text = JSON.stringify(res, null, 2);
  if (a.out) fs.writeFileSync(a.out, text + '\n');
  console.log(text);
}
