// The host-side entry points of the CUDA kernels (dense.cu, gemm.cu, transformer.cu, attention.cu,
// sample.cu). Every pointer is a device pointer (ints too: the addon stages host ints to the device first);
// every call enqueues work on the default stream and returns without waiting, except sumSquares, which
// returns a number. The contracts (written vs accumulated, shapes) are those of src/tensor/backend.ts.
//
// B=batch, T=query tokens, S=key slots, H=query heads, G=KV heads, D=head dim, M=rows, N/C=cols, K=inner,
// V=vocab.
#pragma once
#include <cstdint>
#include "../split.h"

namespace ttrl_cuda {

// ---- dense.cu -------------------------------------------------------------------------------------------
void fill(float* p, int64_t n, float value);
void add(float* out, const float* a, const float* b, int64_t n);
void axpy(float* y, const float* x, float alpha, int64_t n);
void scale(float* x, float alpha, int64_t n);
/** Σ x² in double. `partials` is device scratch of at least kSumPartials doubles. Synchronous. */
constexpr int kSumPartials = 4096;
double sumSquares(const float* x, int64_t n, double* partials);
void addBias(float* y, const float* bias, int64_t M, int64_t N);
void biasBackward(float* dbias, const float* dy, int64_t M, int64_t N);
/** out(N) += Σ_i dy(i,·)·x(i,·)·rstd(i): rmsnorm's dw. */
void columnSumScaled(float* out, const float* dy, const float* x, const float* rstd, int64_t M, int64_t N);

// ---- gemm.cu: the built-in SGEMM (cuBLAS, when loaded, is called from the addon instead) -----------------
/** C(M,N) = alpha·op(A)·op(B) + beta·C, row-major; beta = 0 makes C write-only. */
void gemm(float* C, const float* A, const float* B, int M, int N, int K, bool transA, bool transB, float alpha, float beta);

// ---- transformer.cu -------------------------------------------------------------------------------------
void rmsnorm(float* out, float* rstd, const float* x, const float* w, int64_t M, int64_t C, float eps);
void rmsnormBackward(float* dx, float* dw, const float* dout, const float* x, const float* w, const float* rstd,
                     int64_t M, int64_t C);
void rope(float* x, const int32_t* pos, const float* invFreq, int64_t M, int64_t nh, int64_t D, bool inverse);
void siluMul(float* out, const float* gate, const float* up, int64_t n);
void siluMulBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);
void embedding(float* out, const float* table, const int32_t* ids, int64_t M, int64_t C);
void embeddingBackward(float* dtable, const float* dout, const int32_t* ids, int64_t M, int64_t C);
void logSoftmaxGather(float* lp, float* ent, const float* logits, const int32_t* targets, int64_t M, int64_t V);
void logSoftmaxGatherBackward(float* dlogits, const float* logits, const int32_t* targets, const float* dlp,
                              const float* dent, int64_t M, int64_t V);
/** AdamW with the scalar coefficients precomputed on the host exactly as native/cpu/dense.cc computes them. */
struct AdamCoef { float decay, b1, b2, c1, c2, step, sbc2, eps; };
void adamw(float* p, const float* g, float* m, float* v, int64_t n, AdamCoef c);

// ---- split fp32 weights (native/split.h): hi, lo, tie bits from bit `base` (device pointers) ---------------
struct SplitDev { uint16_t* hi; int16_t* lo; uint32_t* ties; int64_t base; };
/** The fp32 updates on split weights: join, the same arithmetic, split again (bit-identical to adamw / axpy). */
void adamwSplit(SplitDev p, const float* g, float* m, float* v, int64_t n, AdamCoef c);
void axpySplit(SplitDev y, const float* x, float alpha, int64_t n);
/** Layout conversions (exact both ways) and the embedding lookup from a split table (exact fp32 rows). */
void splitF32(SplitDev dst, const float* src, int64_t n);
void joinF32(float* dst, SplitDev src, int64_t n);
void embeddingSplit(float* out, SplitDev table, const int32_t* ids, int64_t M, int64_t C);

// ---- bf16.cu: bf16 values travel as uint16_t (the top half of a float32) ---------------------------------
/** dst(n) = src rounded to bf16 (nearest even; NaN stays NaN). */
void toBf16(uint16_t* dst, const float* src, int64_t n);
/** dst(n) = src widened (exact). */
void fromBf16(float* dst, const uint16_t* src, int64_t n);
/** dst(n) = src rounded to bf16 and widened back (the fp32 value a bf16 operand stands for). */
void roundToBf16(float* dst, const float* src, int64_t n);
void embeddingBf16(float* out, const uint16_t* table, const int32_t* ids, int64_t M, int64_t C);

// ---- attention.cu ---------------------------------------------------------------------------------------
constexpr int kMaxHeadDim = 256;
struct AttnDev {
  int B, T, S, H, G, D;
  const float *q, *k, *v, *keyMask;  // (B,T,H,D), (rows,S,G,D) ×2, (rows,S)
  const uint16_t *kh = nullptr, *vh = nullptr;  // a bf16 KV cache in place of k, v (forward only)
  const int32_t *qStart, *slots;     // (B), (B)
  float scale;
};
void attention(float* out, float* lse, const AttnDev& a);
/** `dt` is device scratch of B·H·T floats (Σ_d dout·out per query). */
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                       const AttnDev& a, float* dt);

// ---- sample.cu ------------------------------------------------------------------------------------------
/** A token policy (src/tensor/backend.ts TokenPolicy): temperature 0 = greedy; topP 1, topK 0, minP 0 = off. */
struct SamplePolicy { double temperature, topP, minP; int64_t topK; };
/** One row's draw; bad = 1 (the rest unset) when the row's maximum is not finite or it holds a NaN. */
struct SampleOut { double logprob, entropy, certainty; int32_t token, bad; };
/** out(B): one token per row b from logits row rows ? rows[b] : b of logits (·, V) with uniform u[b]. */
void sampleRows(SampleOut* out, const float* logits, int64_t V, const int32_t* rows, int64_t B, const double* u,
                SamplePolicy p);

}  // namespace ttrl_cuda
