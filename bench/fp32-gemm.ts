// fp32 products of a few rows: the CPU backend's gemm (oneDNN's fp32 matmul for products of ≤ 256 rows with a
// weight-sized B, native/cpu/dense.cc) against OpenBLAS's sgemm on the same buffers, at the shapes of batched
// decoding of the Qwen2.5-0.5B shape (16 and 64 sequences: the layers' products and the LM head) and a few
// larger row counts, A·Bᵀ as the linear layers call it. Best of reps; ratios from this run.
//   npm run bench -- --only fp32gemm
import { CpuBackend } from '../src/tensor/cpu.js';
import type { SectionContext } from './section.js';

const SHAPES: [number, number, number][] = [
  [16, 896, 896], [16, 128, 896], [16, 4864, 896], [16, 896, 4864], [16, 151936, 896],
  [64, 4864, 896], [64, 896, 4864], [64, 151936, 896], [256, 4864, 896], [1024, 4864, 896],
];

function best(run: () => void, reps: number): number {
  run();  // warm-up: pages, thread pools, the oneDNN primitive
  let t = Infinity;
  for (let r = 0; r < reps; r++) { const t0 = performance.now(); run(); t = Math.min(t, performance.now() - t0); }
  return t / 1000;
}

export async function benchFp32Gemm(ctx: SectionContext): Promise<object> {
  const be = ctx.backend;
  if (!(be instanceof CpuBackend) || be.precision !== 'fp32') return { skipped: 'needs the CPU backend at fp32' };
  const out: Record<string, object> = {};
  for (const [M, N, K] of ctx.quick ? SHAPES.slice(0, 2) : SHAPES) {
    const A = be.alloc(M * K), B = be.alloc(N * K), C = be.alloc(M * N);
    be.upload(A, Float32Array.from({ length: M * K }, (_, i) => Math.sin(i)));
    be.upload(B, Float32Array.from({ length: N * K }, (_, i) => Math.cos(i)));
    const reps = M * N * K > 1e9 ? 3 : 10, gf = (s: number): number => +((2 * M * N * K) / s / 1e9).toFixed(1);
    const ours = best(() => be.gemm(C, A, B, M, N, K, false, true, 1, 0), reps);
    const blas = best(() => be.gemmOpenBlas(C, A, B, M, N, K, false, true), reps);
    out[`${M}x${N}x${K}`] = { gemmGflops: gf(ours), openBlasGflops: gf(blas), gemmOverOpenBlas: +(blas / ours).toFixed(2) };
    ctx.log(`fp32gemm ${M}x${N}x${K}: ${JSON.stringify(out[`${M}x${N}x${K}`])}`);
  }
  return { timed: 'C = A·Bᵀ fp32, best of 3-10 after a warm-up; gemmOverOpenBlas = throughput ratio', shapes: out };
}
