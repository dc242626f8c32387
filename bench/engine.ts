// The ttrl half of the benchmark: gemm peak, prefill, batched decode and one training step of a
// Qwen2.5-0.5B-shaped model on the CPU backend. bench/torch_ref.py does the same work in plain PyTorch;
// every section returns what it timed, the FLOPs it counted and the time.
//
// B=batch, T=tokens per row, C=hidden, V=vocab.
import fs from 'node:fs';
import v8 from 'node:v8';
import vm from 'node:vm';
import type { Model, Batch } from '../src/model/model.js';
import { KVCache } from '../src/model/kvcache.js';
import type { Backend } from '../src/tensor/backend.js';
import { causalPairs, forwardFlops } from './qwen.js';

export interface Measured {
  seconds: number;
  /** CPU seconds of the process (all threads) over the same interval. */
  cpuSeconds: number;
  gflops: number;
  tokensPerS?: number;
  /** Training only: the peak RSS of the process from just before the step (garbage collected, the mark
   *  reset: freshPeak) to its end: the weights, gradients and activations of this step, whatever ran before.
   *  Where the mark cannot be reset (not Linux), the process's peak so far. */
  peakRssMB?: number;
}

export const log = (msg: string): void => { process.stderr.write(`[bench] ${msg}\n`); };
const now = (): number => performance.now() / 1000;
const cpuNow = (): number => { const u = process.cpuUsage(); return (u.user + u.system) / 1e6; };
const rssMB = (): number => Math.round(process.resourceUsage().maxRSS / 1024);
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

/** Frees what earlier sections left for the garbage collector and starts a new RSS high-water mark (Linux:
 *  /proc/self/clear_refs), so that the next maxRSS is the next step's own. */
export function freshPeak(): void {
  gc();
  try { fs.writeFileSync('/proc/self/clear_refs', '5'); } catch { /* not Linux: the mark stays the process's */ }
}

/** Token ids that are the same on both sides (torch_ref.py computes the same formula). */
export function benchIds(n: number, V: number, salt: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729) % V);
}

// ---- gemm ----------------------------------------------------------------------------------------------------

export interface GemmShape { name: string; M: number; N: number; K: number }

/** C(M,N) = A(M,K)·B(N,K)ᵀ, as the model's linear layers call it; best of reps ≥ minSeconds in all. At
 *  precision bf16, B is a bf16 copy made once (as a weight's) and A fp32 (an activation, rounded per call). */
export function benchGemm(be: Backend, shapes: GemmShape[], minSeconds = 1): Record<string, Measured & { shape: string }> {
  const out: Record<string, Measured & { shape: string }> = {};
  for (const { name, M, N, K } of shapes) {
    const A = be.alloc(M * K), B32 = be.alloc(N * K), C = be.alloc(M * N);
    be.upload(A, Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)));
    be.upload(B32, Float32Array.from({ length: N * K }, (_, i) => Math.cos(i)));
    const B = be.precision === 'bf16' ? be.alloc(N * K, 'bf16') : B32;
    if (B !== B32) be.copy(B, B32);
    be.gemm(C, A, B, M, N, K, false, true, 1, 0);  // warm-up: thread pools, pages
    let best = Infinity, bestCpu = Infinity, total = 0;
    for (let r = 0; r < 50 && (r < 3 || total < minSeconds); r++) {
      const t0 = now(), c0 = cpuNow();
      be.gemm(C, A, B, M, N, K, false, true, 1, 0);
      const dt = now() - t0;
      best = Math.min(best, dt); bestCpu = Math.min(bestCpu, cpuNow() - c0); total += dt;
    }
    out[name] = { shape: `${M}x${N}x${K} (A·Bᵀ)`, seconds: best, cpuSeconds: bestCpu, gflops: (2 * M * N * K) / best / 1e9 };
    log(`gemm ${name}: ${out[name]!.gflops.toFixed(1)} GFLOP/s`);
  }
  return out;
}

// ---- prefill ---------------------------------------------------------------------------------------------------

/** model.step on a fresh KV cache with B slots × T tokens: the layers run on all B·T tokens, the head only
 *  on each row's last token (what sampling needs). Best of `reps` runs, each on a fresh cache: other jobs
 *  on a shared machine only ever slow a run down. */
export function benchPrefill(model: Model, B: number, T: number, reps = 2, mark = (): void => {}): Measured & { timed: string; flops: number } {
  const cfg = model.cfg, slots = Int32Array.from({ length: B }, (_, b) => b);
  model.step(new KVCache(cfg, model.be, B, 16), slots, benchIds(B * 8, cfg.vocabSize, 9), 8);  // warm-up
  const ids = benchIds(B * T, cfg.vocabSize, 1);
  let seconds = Infinity, cpuSeconds = Infinity;
  mark();
  for (let r = 0; r < reps; r++) {
    const cache = new KVCache(cfg, model.be, B, T);
    const t0 = now(), c0 = cpuNow();
    model.step(cache, slots, ids, T);
    const dt = now() - t0;
    if (dt < seconds) { seconds = dt; cpuSeconds = cpuNow() - c0; }
  }
  const flops = forwardFlops(cfg, B * T, B, causalPairs(B, T));
  return { timed: `model.step: ${B} slots x ${T} tokens into an empty KV cache, logits of the last token per slot (best of ${reps})`,
    flops, seconds, cpuSeconds, gflops: flops / seconds / 1e9, tokensPerS: (B * T) / seconds };
}

// ---- decode ----------------------------------------------------------------------------------------------------

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};

/**
 * Batched decode: B sequences whose KV caches already hold `ctx` tokens, then `steps` single-token
 * model.step calls over all B. The caches are filled with random keys and values instead of a real
 * prefill (B·ctx = 16384 tokens would cost ~12 TFLOP, minutes here): a decode step's cost depends only on
 * how many keys it attends to. Each step is timed; `seconds` is steps × the median step (robust to bursts
 * of other work on a shared machine), `totalSeconds` the plain sum.
 */
export function benchDecode(model: Model, B: number, ctx: number, steps: number, mark = (): void => {}): Measured & { timed: string; flops: number; totalSeconds: number } {
  const cfg = model.cfg, be = model.be;
  const cache = new KVCache(cfg, be, B, ctx + steps + 1);
  const rowFloats = cfg.nKvHeads * cfg.headDim;
  const fill = new Float32Array(B * cache.capacity * rowFloats);
  let s = 12345;
  for (let i = 0; i < fill.length; i++) { s = (Math.imul(s, 1103515245) + 12345) >>> 0; fill[i] = (s / 4294967296) * 2 - 1; }
  const fillBuf = be.fromHost(fill);  // copied in: converts into a bf16 cache
  for (let l = 0; l < cfg.nLayers; l++) { be.copy(cache.k[l]!, fillBuf); be.copy(cache.v[l]!, fillBuf); }
  for (let b = 0; b < B; b++) {
    for (let p = 0; p < ctx; p++) cache.setKeyMask(b, p, 1);
    cache.len[b] = ctx; cache.nReal[b] = ctx;
  }
  const slots = Int32Array.from({ length: B }, (_, b) => b);
  model.step(cache, slots, benchIds(B, cfg.vocabSize, 2), 1);  // warm-up (scratch buffers), not timed
  let flops = 0;
  const wall: number[] = [], cpuT: number[] = [];
  mark();
  for (let i = 0; i < steps; i++) {
    flops += forwardFlops(cfg, B, B, B * (cache.len[0]! + 1));
    const t0 = now(), c0 = cpuNow();
    model.step(cache, slots, benchIds(B, cfg.vocabSize, 3 + i), 1);
    wall.push(now() - t0); cpuT.push(cpuNow() - c0);
  }
  const seconds = steps * median(wall), cpuSeconds = steps * median(cpuT);
  return { timed: `${steps} model.step calls of 1 token for ${B} sequences at context ${ctx}+ (after 1 untimed step), logits for all ${B}; steps x median step`,
    flops, seconds, cpuSeconds, totalSeconds: wall.reduce((a, b) => a + b, 0), gflops: flops / seconds / 1e9, tokensPerS: (B * steps) / seconds };
}

// ---- training step ------------------------------------------------------------------------------------------------

/** A language-modelling batch: every position predicts the next token; the last of each row has no target. */
export function lmBatch(B: number, T: number, V: number): Batch {
  const ids = benchIds(B * T, V, 4), targets = new Int32Array(B * T).fill(-1);
  for (let b = 0; b < B; b++) for (let t = 0; t + 1 < T; t++) targets[b * T + t] = ids[b * T + t + 1]!;
  return { B, T, ids, mask: new Float32Array(B * T).fill(1), targets };
}

/**
 * One forward + backward of the mean next-token NLL (gradients pre-allocated and zeroed, as in a training
 * loop after its first step). FLOPs: 3× the forward (backward = 2 matmuls per forward matmul), whether or
 * not checkpointing recomputes the layers' forward; `flops` is that model count.
 */
export function benchTrain(model: Model, B: number, T: number, checkpoint: boolean, mark = (): void => {}, warm = true):
    Measured & { timed: string; flops: number; loss: number; firstStepSeconds?: number } {
  const cfg = model.cfg, batch = lmBatch(B, T, cfg.vocabSize);
  const step = (): { n: number; loss: number } => {
    const st = model.forward(batch, { checkpoint });
    const n = st.rows.length, dlp = new Float32Array(st.logprobs.length);
    let loss = 0;
    for (const m of st.rows) { loss -= st.logprobs[m]! / n; dlp[m] = -1 / n; }
    model.backward(st, dlp);
    return { n, loss };
  };
  freshPeak();
  for (const p of model.params.values()) model.gradOf(p);
  // A run's first step allocates and first-touches every activation buffer (page faults: 8× the time of a
  // warm SiLU·mul with full activations); later steps reuse them. Timed: a later step; the first one reported.
  let firstStepSeconds: number | undefined;
  if (warm) {
    const w0 = now();
    step();
    firstStepSeconds = now() - w0;
  }
  model.zeroGrad();
  mark();
  const t0 = now(), c0 = cpuNow();
  const { n, loss } = step();
  const seconds = now() - t0, cpuSeconds = cpuNow() - c0;
  const flops = 3 * forwardFlops(cfg, B * T, n, causalPairs(B, T));
  return { timed: `model.forward + model.backward of the mean NLL, ${B}x${T} tokens (${n} scored), checkpoint=${checkpoint}` +
    (warm ? ', after one untimed step' : ', the first step'),
    flops, loss, seconds, cpuSeconds, gflops: flops / seconds / 1e9, tokensPerS: (B * T) / seconds, peakRssMB: rssMB(),
    ...(firstStepSeconds !== undefined ? { firstStepSeconds } : {}) };
}

/** Let go of a training step's memory (gradients and activations) before the next section. */
export function releaseTraining(model: Model): void {
  for (const p of model.params.values()) p.grad = null;
  model.freeScratch();
}
