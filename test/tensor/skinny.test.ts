// The CPU backend's own kernels for products of a few rows (native/cpu/skinny.cc: decode steps, A·Bᵀ with a
// weight-sized B), at fp32 (up to 16 rows) and bf16 (up to 6 beside AMX, else 16), against a float64 brute force
// over the same (bf16-rounded) operands. Shapes cross every edge the kernel has: rows of A past its 2- and 6-row
// passes (both block shapes), rows of B past its 4- and 8-row blocks, K past its 16/32-value steps and its 1 KB
// chunks, alpha/beta, NaN in a write-only C.
// And its one promise the libraries do not make: a row's result is bit for bit the same whatever the number
// of rows in the product (a sequence decodes the same tokens alone or in a batch).
//
// Tolerance: the fp32 dot-product one of kernels.test.ts (rtol 4e-6 × Σ|terms|), bf16 as bf16.test.ts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as ref from './reference.js';
import { randn, f64, close, roundBf16 } from './helpers.js';
import { CpuBackend, cpu } from '../../src/tensor/cpu.js';
import { Rng } from '../../src/util/rng.js';

const DOT = { atol: 1e-6, rtol: 4e-6 };
// (N, K): K·N ≥ 2^16 as the kernels ask; N % 8 = 7, 2, 0, 3; K % 16 (and % 32) ≠ 0 and K over several chunks
const NK: [number, number][] = [[263, 300], [130, 1000], [64, 1024], [4099, 17]];
const ROWS_UP_TO_16 = [1, 2, 3, 4, 5, 6, 7, 13, 16];

function product(be: CpuBackend, A: Float32Array, B: Float32Array, C0: Float32Array, M: number, N: number, K: number,
                 alpha: number, beta: number): Float32Array {
  const a = be.fromHost(A), b = be.alloc(N * K, be.precision === 'bf16' ? 'bf16' : 'f32'), c = be.fromHost(C0);
  be.copy(b, be.fromHost(B));  // at bf16 a weight's bf16 copy
  be.gemm(c, a, b, M, N, K, false, true, alpha, beta);
  return be.read(c);
}

for (const precision of ['fp32', 'bf16'] as const) {
  const be = cpu(precision);
  // the rows the kernels serve here (bf16: 6 beside AMX, else 16); where they are absent the libraries compute
  // these products and the brute-force check still holds
  const support = be.skinnyProducts()[precision];
  const rows = ROWS_UP_TO_16.filter((m) => m <= (support || 16));

  test(`skinny ${precision}: A·Bᵀ of ${rows.join('/')} rows = float64 brute force, alpha/beta, write-only C`, (t) => {
    const rng = new Rng(11);
    for (const [N, K] of NK) for (const M of rows) for (const [alpha, beta] of [[1, 0], [0.7, -0.3]] as const) {
      const A = randn(rng, M * K), B = randn(rng, N * K);
      const C0 = beta === 0 ? new Float32Array(M * N).fill(NaN) : randn(rng, M * N);
      const round = precision === 'bf16' ? roundBf16 : (x: Float32Array): Float32Array => x;
      const want = f64(C0), err = ref.gemm(want, f64(round(A)), f64(round(B)), M, N, K, false, true, alpha, beta);
      for (let i = 0; i < err.length; i++) err[i]! += beta === 0 ? 0 : Math.abs(beta * C0[i]!);
      close(t, `${M}x${N}x${K} a=${alpha} b=${beta}`, product(be, A, B, C0, M, N, K, alpha, beta), want, DOT, err);
    }
  });

  test(`skinny ${precision}: every row's result is the same bits at any number of rows`, (t) => {
    if (!support) { t.skip(`this CPU lacks the AVX-512${precision === 'bf16' ? ' BF16' : ''} instructions: the libraries compute these products`); return; }
    const rng = new Rng(12), most = Math.max(...rows);
    for (const [N, K] of NK) {
      const A = randn(rng, most * K), B = randn(rng, N * K);
      const all = product(be, A, B, new Float32Array(most * N), most, N, K, 1, 0);
      for (const M of rows) {
        for (const first of [0, most - M]) {  // the first M rows and the last M rows
          const part = product(be, A.subarray(first * K, (first + M) * K), B, new Float32Array(M * N), M, N, K, 1, 0);
          for (let i = 0; i < M * N; i++) {
            if (Object.is(part[i], all[first * N + i])) continue;
            assert.fail(`${M} rows from row ${first} of ${most}x${N}x${K}: [${i}] ${part[i]} vs ${all[first * N + i]}`);
          }
        }
      }
    }
  });
}

test('skinny: switched off, the libraries compute the same products (within the dot-product tolerance)', (t) => {
  const be = cpu('fp32'), rng = new Rng(13), [M, N, K] = [7, 259, 300];
  const A = randn(rng, M * K), B = randn(rng, N * K), C0 = new Float32Array(M * N);
  const on = product(be, A, B, C0, M, N, K, 1, 0);
  be.useSkinnyProducts(false);
  try {
    const want = f64(C0), err = ref.gemm(want, f64(A), f64(B), M, N, K, false, true, 1, 0);
    close(t, 'libraries', product(be, A, B, C0, M, N, K, 1, 0), want, DOT, err);
    close(t, 'own kernels', on, want, DOT, err);
  } finally {
    be.useSkinnyProducts(true);
  }
});
