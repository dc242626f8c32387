// The CPU kernels (dense.cc, transformer.cc, loss.cc, attention.cc) on raw pointers; addon.cc is the N-API
// glue that unwraps the Float32Arrays and checks what JS can get wrong (ids in range). Every call runs to
// completion on OpenMP threads (matrix products on OpenBLAS's). The contracts (written vs accumulated,
// shapes) are those of src/tensor/backend.ts. Forward and backward of each layer sit side by side.
//
// B=batch, T=query tokens, S=key slots, H=query heads, G=KV heads, D=head dim, M=rows, N/C=cols, K=inner,
// V=vocab.
#pragma once
#include <cstdint>
#include "../split.h"

namespace ttrl_cpu {

/** A split fp32 buffer (native/split.h): n hi and lo halves, and tie bits from bit `base` of `ties` (a view
 *  starts inside its parent's bits). Kernels work through it in chunks of kSplitChunk values: a branch-free
 *  (vectorized) pass over the halves, then a scalar pass for the rare values holding the tie code. Threads
 *  never share a value, but may share a tie word: its bits are written atomically. */
constexpr int64_t kSplitChunk = 1024;
struct SplitRef {
  uint16_t* hi;
  int16_t* lo;
  uint32_t* ties;
  int64_t base;
  /** Whether lo[i0, i0 + len) holds the tie code (a vectorized test: then only ~2% of chunks take the
   *  scalar pass). */
  bool anyTie(int64_t i0, int64_t len) const {
    int any = 0;
    for (int64_t j = 0; j < len; j++) any |= lo[i0 + j] == ttrl_split::kTieCode;
    return any;
  }
  /** w[0, len) = values [i0, i0 + len). */
  void load(float* w, int64_t i0, int64_t len) const {
    const uint16_t* h = hi + i0;
    const int16_t* l = lo + i0;
    for (int64_t j = 0; j < len; j++) w[j] = ttrl_split::floatOf(ttrl_split::joinHiLo(h[j], l[j]));
    if (!anyTie(i0, len)) return;
    for (int64_t j = 0; j < len; j++)
      if (l[j] == ttrl_split::kTieCode) w[j] = ttrl_split::join(h[j], l[j], ttrl_split::tieAt(ties, base + i0 + j));
  }
  /** Values [i0, i0 + len) = w[0, len). */
  void store(const float* w, int64_t i0, int64_t len) const {
    uint16_t* h = hi + i0;
    int16_t* l = lo + i0;
    for (int64_t j = 0; j < len; j++) ttrl_split::splitHiLo(w[j], h[j], l[j]);
    if (!anyTie(i0, len)) return;
    for (int64_t j = 0; j < len; j++) {
      if (l[j] != ttrl_split::kTieCode) continue;
      const int64_t k = base + i0 + j;
      if (ttrl_split::tieOf(w[j], h[j])) __atomic_fetch_or(&ties[k >> 5], 1u << (k & 31), __ATOMIC_RELAXED);
      else __atomic_fetch_and(&ties[k >> 5], ~(1u << (k & 31)), __ATOMIC_RELAXED);
    }
  }
};

// ---- dense.cc -------------------------------------------------------------------------------------------
/** Threads for OpenBLAS and OpenMP alike. */
void setThreads(int n);
/** C(M,N) = alpha·op(A)·op(B) + beta·C, row-major; beta = 0 makes C write-only. */
void gemm(float* C, const float* A, const float* B, int M, int N, int K, bool transA, bool transB, float alpha,
          float beta);
/** gemm through OpenBLAS only (the benchmark's comparison for the products gemm gives to oneDNN). */
void gemmBlas(float* C, const float* A, const float* B, int M, int N, int K, bool transA, bool transB, float alpha,
              float beta);
void addBias(float* y, const float* bias, int64_t M, int64_t N);
void biasBackward(float* dbias, const float* dy, int64_t M, int64_t N);
void add(float* out, const float* a, const float* b, int64_t n);
void axpy(float* y, const float* x, float alpha, int64_t n);
void scale(float* x, float alpha, int64_t n);
double sumSquares(const float* x, int64_t n);
void adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps,
           double wd, double bc1, double bc2);
/** The same updates on split weights (join, update, split: bit-identical to the fp32 kernels). */
void axpySplit(SplitRef y, const float* x, float alpha, int64_t n);
void adamwSplit(SplitRef p, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2,
                double eps, double wd, double bc1, double bc2);
/** Layout conversions (exact both ways) and the embedding lookup from a split table (exact fp32 rows). */
void splitF32(SplitRef dst, const float* src, int64_t n);
void joinF32(float* dst, SplitRef src, int64_t n);
void embeddingSplit(float* out, SplitRef table, const int32_t* ids, int64_t M, int64_t C);

// ---- transformer.cc -------------------------------------------------------------------------------------
void rmsnorm(float* out, float* rstd, const float* x, const float* w, int64_t M, int64_t C, float eps);
void rmsnormBackward(float* dx, float* dw, const float* dout, const float* x, const float* w, const float* rstd,
                     int64_t M, int64_t C);
void rope(float* x, const int32_t* pos, const float* invFreq, int64_t M, int64_t nh, int64_t D, bool inverse);
void siluMul(float* out, const float* gate, const float* up, int64_t n);
void siluMulBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n);
/** ids must lie in [0, rows of table): the glue checks them. */
void embedding(float* out, const float* table, const int32_t* ids, int64_t M, int64_t C);
void embeddingBackward(float* dtable, const float* dout, const int32_t* ids, int64_t M, int64_t C);

// ---- loss.cc --------------------------------------------------------------------------------------------
/** ent may be null; targets < V (the glue checks), negative = no target. */
void logSoftmaxGather(float* lp, float* ent, const float* logits, const int32_t* targets, int64_t M, int64_t V);
/** dlogits may alias logits; dent may be null. */
void logSoftmaxGatherBackward(float* dlogits, const float* logits, const int32_t* targets, const float* dlp,
                              const float* dent, int64_t M, int64_t V);

// ---- attention.cc ---------------------------------------------------------------------------------------
struct Attn {
  int64_t B, T, S, H, G, D;
  const float *q, *k, *v, *keyMask;  // (B,T,H,D), (rows,S,G,D) ×2, (rows,S)
  const uint16_t *kh = nullptr, *vh = nullptr;  // bf16 keys / values in place of k, v (forward only)
  const int32_t* qStart;             // (B) position of each row's first query
  const int32_t* slots;              // (B) cache row of batch row b
  float scale;
};
/** Reads kh / vh when set (a bf16 KV cache), else k / v. */
void attention(float* out, float* lse, const Attn& a);
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                       const Attn& a);

}  // namespace ttrl_cpu
