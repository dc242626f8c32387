// Products of a few rows against a weight matrix, C(M,N) = alpha·A(M,K)·B(N,K)ᵀ + beta·C: the linear layers and
// the LM head of a decode step, where M is the number of sequences. Their cost is reading B, which the general
// libraries read several times or with half-empty tiles (oneDNN's bf16 AMX kernel at one row runs at an fp32
// GEMV's speed, reading half the bytes). Here each block of 4 rows of B is read from memory once and multiplied
// by every row of A (held in cache) with AVX-512: fp32 FMAs, or bf16 pairs summed into fp32 (vdpbf16ps).
//
// Every output is one dot product in a fixed order (16 lanes over K in steps, then a fixed lane tree), whatever
// M, the row's place in A or the thread: within the row counts served here (up to 16 at fp32, 6 at bf16), a
// row's result does not depend on the batch it decodes in.

// GCC 12 warns inside its own extract intrinsics (their _mm256_undefined_* placeholder), not in this file
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <omp.h>
#include <algorithm>
#include "skinny.h"

namespace ttrl_cpu {

namespace {

#define TTRL_AVX512 __attribute__((target("avx512f,avx512bw,avx512vl,avx512dq,avx512bf16")))

// Two block shapes (rows of B per block × rows of A per pass over it, accumulators + B registers + 1 A ≤ 32):
// 4 × 6 where A has many rows; 8 × 2 for a few rows, where reading B is all the work and 8 streams of B in flight
// read memory faster than 4 (Zen 4, 2 threads, one row of A: 26-35 against 20-24 GB/s).
constexpr int kRowsB = 4, kRowsA = 6;
constexpr int kFewRowsB = 8, kFewRowsA = 2, kFewRows = 4;  // the second shape up to kFewRows rows of A

TTRL_AVX512 inline float LaneSum(__m512 v) {
  // fixed tree: halves, then quarters..., the same for every output
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), _mm512_extractf32x8_ps(v, 1));
  const __m128 q = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  const __m128 e = _mm_add_ps(q, _mm_movehl_ps(q, q));
  return _mm_cvtss_f32(_mm_add_ss(e, _mm_movehdup_ps(e)));
}

// fp32: 16 values of K per step; bf16: 32 (pairs), both as one 512-bit register.
struct F32 {
  using T = float;
  static constexpr int kStep = 16;
  TTRL_AVX512 static __m512 Load(const float* p, __mmask32 m) { return _mm512_maskz_loadu_ps((__mmask16)m, p); }
  TTRL_AVX512 static __m512 Madd(__m512 acc, __m512 a, __m512 b) { return _mm512_fmadd_ps(a, b, acc); }
  static __mmask32 Tail(int r) { return (__mmask32)((1u << r) - 1u); }
};
struct Bf16 {
  using T = uint16_t;
  static constexpr int kStep = 32;
  TTRL_AVX512 static __m512 Load(const uint16_t* p, __mmask32 m) {
    return _mm512_castsi512_ps(_mm512_maskz_loadu_epi16(m, p));
  }
  TTRL_AVX512 static __m512 Madd(__m512 acc, __m512 a, __m512 b) {
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
  }
  static __mmask32 Tail(int r) { return r == 32 ? ~0u : (__mmask32)((1u << r) - 1u); }
};

// K is walked in chunks of kChunkBytes per row, every row of A through each chunk before the next, so that the
// chunk of A (all M rows) and of B stays in L1; the accumulators wait in `acc` (L1) between chunks. Each lane
// still sums its k in order: chunking changes no bit.
constexpr int kChunkBytes = 1024;
constexpr int kMaxRows = 16;

// acc[MA][NB] (rows m0.. of A against the block's NB rows of B) += the products over k in [k0, k1).
template <class E, int MA, int NB, bool Prefetch>
TTRL_AVX512 void Chunk(__m512* acc, const typename E::T* a, const typename E::T* b, int K, int k0, int k1) {
  __m512 r[MA][NB];
  #pragma GCC unroll 8
  for (int i = 0; i < MA; i++)
    #pragma GCC unroll 8
    for (int j = 0; j < NB; j++) r[i][j] = acc[i * NB + j];
  int k = k0;
  for (; k + E::kStep <= k1; k += E::kStep) {
    __m512 bv[NB];
    #pragma GCC unroll 8
    for (int j = 0; j < NB; j++) {
      // the next block's line at the same place: a block's rows are short streams that the hardware
      // prefetcher would only catch up with near their end
      if (Prefetch) _mm_prefetch((const char*)(b + (int64_t)(NB + j) * K + k), _MM_HINT_T0);
      bv[j] = E::Load(b + (int64_t)j * K + k, ~0u);
    }
    #pragma GCC unroll 8
    for (int i = 0; i < MA; i++) {
      const __m512 av = E::Load(a + (int64_t)i * K + k, ~0u);
      #pragma GCC unroll 8
      for (int j = 0; j < NB; j++) r[i][j] = E::Madd(r[i][j], av, bv[j]);
    }
  }
  if (k < k1) {  // the tail of K (only in the last chunk): zeros past the end add nothing
    const __mmask32 m = E::Tail(k1 - k);
    __m512 bv[NB];
    #pragma GCC unroll 8
    for (int j = 0; j < NB; j++) bv[j] = E::Load(b + (int64_t)j * K + k, m);
    #pragma GCC unroll 8
    for (int i = 0; i < MA; i++) {
      const __m512 av = E::Load(a + (int64_t)i * K + k, m);
      #pragma GCC unroll 8
      for (int j = 0; j < NB; j++) r[i][j] = E::Madd(r[i][j], av, bv[j]);
    }
  }
  #pragma GCC unroll 8
  for (int i = 0; i < MA; i++)
    #pragma GCC unroll 8
    for (int j = 0; j < NB; j++) acc[i * NB + j] = r[i][j];
}

// The last r < RA rows of A (R counts down to the r asked for).
template <class E, int NB, int R>
TTRL_AVX512 void Rest(__m512* acc, const typename E::T* a, const typename E::T* b, int r, bool first, int K, int k0,
                      int k1) {
  if constexpr (R > 0) {
    if (r != R) return Rest<E, NB, R - 1>(acc, a, b, r, first, K, k0, k1);
    if (first) Chunk<E, R, NB, (NB > 1)>(acc, a, b, K, k0, k1);
    else Chunk<E, R, NB, false>(acc, a, b, K, k0, k1);
  }
}

// All M rows of A through one chunk, RA at a time; only the first pass prefetches the next block.
template <class E, int NB, int RA>
TTRL_AVX512 void ChunkRows(__m512* acc, const typename E::T* A, const typename E::T* b, int M, int K, int k0,
                           int k1) {
  constexpr bool pf = NB > 1;  // NB = 1 is the tail of N: no next block
  int m = 0;
  for (; m + RA <= M; m += RA) {
    if (m == 0) Chunk<E, RA, NB, pf>(acc, A, b, K, k0, k1);
    else Chunk<E, RA, NB, false>(acc + m * NB, A + (int64_t)m * K, b, K, k0, k1);
  }
  if (m < M) Rest<E, NB, RA - 1>(acc + m * NB, A + (int64_t)m * K, b, M - m, m == 0, K, k0, k1);
}

// Outputs (all M rows) × (n0..n0+NB).
template <class E, int NB, int RA>
TTRL_AVX512 void Rows(float* C, const typename E::T* A, const typename E::T* B, int M, int n0, int N, int K,
                      float alpha, float beta) {
  alignas(64) __m512 acc[kMaxRows * NB];
  for (int i = 0; i < M * NB; i++) acc[i] = _mm512_setzero_ps();
  constexpr int kc = kChunkBytes / (int)sizeof(typename E::T);
  const typename E::T* b = B + (int64_t)n0 * K;
  for (int k0 = 0; k0 < K; k0 += kc) ChunkRows<E, NB, RA>(acc, A, b, M, K, k0, std::min(K, k0 + kc));
  for (int i = 0; i < M; i++)
    for (int j = 0; j < NB; j++) {
      float& c = C[(int64_t)i * N + n0 + j];
      const float s = alpha * LaneSum(acc[i * NB + j]);
      c = beta == 0.f ? s : s + beta * c;
    }
}

template <class E, int NB, int RA>
TTRL_AVX512 void Blocks(float* C, const typename E::T* A, const typename E::T* B, int M, int N, int K, float alpha,
                        float beta) {
  const int blocks = (N + NB - 1) / NB;
#pragma omp parallel for schedule(static) if ((int64_t)N * K > (1 << 16))
  for (int blk = 0; blk < blocks; blk++) {
    const int n0 = blk * NB;
    if (n0 + NB <= N) Rows<E, NB, RA>(C, A, B, M, n0, N, K, alpha, beta);
    else
      for (int n = n0; n < N; n++) Rows<E, 1, RA>(C, A, B, M, n, N, K, alpha, beta);
  }
}

// The block shape changes which outputs are computed together, never a dot product's order: no bit depends on M.
template <class E>
void Product(float* C, const typename E::T* A, const typename E::T* B, int M, int N, int K, float alpha, float beta) {
  if (M <= kFewRows) Blocks<E, kFewRowsB, kFewRowsA>(C, A, B, M, N, K, alpha, beta);
  else Blocks<E, kRowsB, kRowsA>(C, A, B, M, N, K, alpha, beta);
}

bool HasAvx512() {
  static const bool yes = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                          __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
  return yes;
}
bool HasAvx512Bf16() {
  static const bool yes = HasAvx512() && __builtin_cpu_supports("avx512bf16");
  return yes;
}

bool enabled = true;  // set from the main thread only (the benchmark's switch)

// Which products come here (docs/DESIGN.md "Few-row products"): A·Bᵀ with a weight-sized B (K·N ≥ 2^16: the
// model's matrices, not a tiny model's) and few rows: fp32 up to 16; bf16 up to 6 where oneDNN has AMX tiles
// (beyond, the tiles fill and it is faster), else up to 16 (oneDNN's AVX512-BF16 kernel on Zen 4, a decode step
// of the 0.5B model: 1.2x slower at 8 and 12 rows, 0.9-1.1x at 16).
constexpr int kSkinnyF32MaxRows = kMaxRows;
constexpr int64_t kSkinnyMinWeights = 1 << 16;
int Bf16MaxRows() {
  static const int rows = !HasAvx512Bf16() ? 0 : __builtin_cpu_supports("amx-bf16") ? kRowsA : kMaxRows;
  return rows;
}
bool Fits(int M, int N, int K, bool ta, bool tb, int maxRows) {
  return enabled && !ta && tb && M >= 1 && M <= maxRows && (int64_t)K * N >= kSkinnyMinWeights;
}
}  // namespace

void setSkinny(bool on) { enabled = on; }
SkinnySupport skinnySupport() { return {HasAvx512() ? kSkinnyF32MaxRows : 0, Bf16MaxRows()}; }

bool skinnyF32(float* C, const float* A, const float* B, int M, int N, int K, bool ta, bool tb, float alpha,
               float beta) {
  if (!Fits(M, N, K, ta, tb, kSkinnyF32MaxRows) || !HasAvx512()) return false;
  Product<F32>(C, A, B, M, N, K, alpha, beta);
  return true;
}

bool skinnyBf16(float* C, const uint16_t* A, const uint16_t* B, int M, int N, int K, bool ta, bool tb, float alpha,
                float beta) {
  if (!Fits(M, N, K, ta, tb, Bf16MaxRows())) return false;
  Product<Bf16>(C, A, B, M, N, K, alpha, beta);
  return true;
}

}  // namespace ttrl_cpu
