// The built-in fp32 GEMM: row-major C(M,N) = alpha·op(A)·op(B) + beta·C with the semantics of the CPU
// backend (beta = 0 makes C write-only; K = 0 scales C). It is the fallback when cuBLAS cannot be loaded
// and the oracle that cuBLAS is tested against on the GPU (backend "cuda-sgemm"). Two kernels:
//   - sgemmTiled: 64×64 output tiles, 16-deep K slices staged in shared memory, 4×4 outputs per thread
//     spread with stride 16 (conflict-free shared reads without vector loads). Plain FFMA, no tensor cores.
//   - gemvRowsTB: M ≤ 8 rows against a transposed B (the decode step's x·Wᵀ): one warp per output column,
//     reading the weight row W[j, :] once, coalesced, for all M rows.
// M=rows of C, N=cols of C, K=inner.
#include "common.cuh"
#include "kernels.h"

namespace ttrl_cuda {

constexpr int BM = 64, BN = 64, BK = 16;

template <bool TA, bool TB>
__global__ void __launch_bounds__(256) sgemmTiled(float* C, const float* A, const float* B, int M, int N, int K,
                                                  float alpha, float beta) {
  __shared__ float As[BK][BM + 1];  // op(A) tile, k-major; +1 pads the stores off a single bank
  __shared__ float Bs[BK][BN + 1];
  const int tx = threadIdx.x % 16, ty = threadIdx.x / 16;
  const int m0 = blockIdx.y * BM, n0 = blockIdx.x * BN;
  float acc[4][4] = {};
  for (int k0 = 0; k0 < K; k0 += BK) {
    // the element order of each load follows memory order (coalesced global reads)
    for (int e = threadIdx.x; e < BM * BK; e += 256) {
      const int i = TA ? e % BM : e / BK, k = TA ? e / BM : e % BK;
      const int gi = m0 + i, gk = k0 + k;
      As[k][i] = (gi < M && gk < K) ? (TA ? A[(int64_t)gk * M + gi] : A[(int64_t)gi * K + gk]) : 0.f;
    }
    for (int e = threadIdx.x; e < BN * BK; e += 256) {
      const int j = TB ? e / BK : e % BN, k = TB ? e % BK : e / BN;
      const int gj = n0 + j, gk = k0 + k;
      Bs[k][j] = (gj < N && gk < K) ? (TB ? B[(int64_t)gj * K + gk] : B[(int64_t)gk * N + gj]) : 0.f;
    }
    __syncthreads();
#pragma unroll 4
    for (int k = 0; k < BK; k++) {
      float a[4], b[4];
#pragma unroll
      for (int r = 0; r < 4; r++) { a[r] = As[k][ty + 16 * r]; b[r] = Bs[k][tx + 16 * r]; }
#pragma unroll
      for (int r = 0; r < 4; r++)
#pragma unroll
        for (int c = 0; c < 4; c++) acc[r][c] += a[r] * b[c];
    }
    __syncthreads();
  }
#pragma unroll
  for (int r = 0; r < 4; r++) {
#pragma unroll
    for (int c = 0; c < 4; c++) {
      const int i = m0 + ty + 16 * r, j = n0 + tx + 16 * c;
      if (i < M && j < N) {
        float* o = C + (int64_t)i * N + j;
        *o = beta == 0.f ? alpha * acc[r][c] : alpha * acc[r][c] + beta * *o;
      }
    }
  }
}

constexpr int kGemvRows = 8, kGemvWarps = 8;

// C(M,N) = alpha·A(M,K)·B(N,K)ᵀ + beta·C for M ≤ 8. Warp w of block x computes column j = 8x + w.
__global__ void __launch_bounds__(256) gemvRowsTB(float* C, const float* A, const float* B, int M, int N, int K,
                                                  float alpha, float beta) {
  const int lane = threadIdx.x & 31, j = blockIdx.x * kGemvWarps + (threadIdx.x >> 5);
  float acc[kGemvRows] = {};
  if (j < N) {  // warp-uniform: the shuffles below run in every lane
    const float* b = B + (int64_t)j * K;
    for (int k = lane; k < K; k += 32) {
      const float bv = b[k];
#pragma unroll
      for (int m = 0; m < kGemvRows; m++)
        if (m < M) acc[m] += A[(int64_t)m * K + k] * bv;
    }
  }
#pragma unroll
  for (int m = 0; m < kGemvRows; m++) acc[m] = warpSum(acc[m]);
  if (j < N && lane == 0) {
    for (int m = 0; m < M; m++) {
      float* o = C + (int64_t)m * N + j;
      *o = beta == 0.f ? alpha * acc[m] : alpha * acc[m] + beta * *o;
    }
  }
}

void gemm(float* C, const float* A, const float* B, int M, int N, int K, bool ta, bool tb, float alpha, float beta) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // as the CPU backend: beta = 0 writes zeros (a NaN left in C must not survive)
    if (beta == 0.f) fill(C, (int64_t)M * N, 0.f);
    else scale(C, beta, (int64_t)M * N);
    return;
  }
  if (!ta && tb && M <= kGemvRows) {
    launch(gemvRowsTB, dim3((unsigned)((N + kGemvWarps - 1) / kGemvWarps)), dim3(32 * kGemvWarps), C, A, B, M, N, K, alpha, beta);
    return;
  }
  const dim3 grid((unsigned)((N + BN - 1) / BN), (unsigned)((M + BM - 1) / BM));
  if (!ta && !tb) launch(sgemmTiled<false, false>, grid, dim3(256), C, A, B, M, N, K, alpha, beta);
  else if (!ta && tb) launch(sgemmTiled<false, true>, grid, dim3(256), C, A, B, M, N, K, alpha, beta);
  else if (ta && !tb) launch(sgemmTiled<true, false>, grid, dim3(256), C, A, B, M, N, K, alpha, beta);
  else launch(sgemmTiled<true, true>, grid, dim3(256), C, A, B, M, N, K, alpha, beta);
}

}  // namespace ttrl_cuda
