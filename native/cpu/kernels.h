// The CPU kernels (dense.cc, transformer.cc, loss.cc, attention.cc) on raw pointers; addon.cc is the N-API
// glue that unwraps the Float32Arrays and checks what JS can get wrong (ids in range). Every call runs to
// completion on OpenMP threads (matrix products on OpenBLAS's). The contracts (written vs accumulated,
// shapes) are those of src/tensor/backend.ts. Forward and backward of each layer sit side by side.
//
// B=batch, T=query tokens, S=key slots, H=query heads, G=KV heads, D=head dim, M=rows, N/C=cols, K=inner,
// V=vocab.
#pragma once
#include <omp.h>
#include <algorithm>
#include <cstdint>
#include <vector>
#include "../split.h"

namespace ttrl_cpu {

/** The +0x8000 ties a write into a split buffer makes (absolute indices), one list per thread: threads never
 *  share a value, and a list per thread needs no lock. */
struct TieLists {
  std::vector<std::vector<uint32_t>> perThread;
  TieLists() : perThread((size_t)omp_get_max_threads()) {}
  void add(int64_t k) { perThread[(size_t)omp_get_thread_num()].push_back((uint32_t)k); }
  /** All of them, sorted. */
  std::vector<uint32_t> sorted() const {
    std::vector<uint32_t> all;
    for (const auto& l : perThread) all.insert(all.end(), l.begin(), l.end());
    std::sort(all.begin(), all.end());
    return all;
  }
};

/** A split fp32 buffer (native/split.h): n hi and lo halves. Which tie a value holding the tie code stands for
 *  is a sparse list rather than a bit per value: `ties` holds the sorted indices (into the whole allocation; a
 *  view starts at index `base`) of the values whose difference is +0x8000. A value's low half is exactly
 *  0x8000 about once in 65,536 values (half of those +0x8000), so the list takes ~1/4,000 of the memory a bit
 *  per value took (62 MB for the 0.5B model's 494M weights). Writers put the +0x8000 ties they make into
 *  `found` (the caller then replaces the list's range with them); readers find a tie by binary search.
 *  Kernels work through the buffer in chunks of kSplitChunk values: a branch-free (vectorized) pass over the
 *  halves, then a scalar pass for the rare values holding the tie code. */
constexpr int64_t kSplitChunk = 1024;
struct SplitRef {
  uint16_t* hi;
  int16_t* lo;
  const uint32_t* ties;
  int64_t nties, base;
  TieLists* found = nullptr;
  /** Whether lo[i0, i0 + len) holds the tie code (a vectorized test: then only ~2% of chunks take the
   *  scalar pass). */
  bool anyTie(int64_t i0, int64_t len) const {
    int any = 0;
    for (int64_t j = 0; j < len; j++) any |= lo[i0 + j] == ttrl_split::kTieCode;
    return any;
  }
  bool plusTie(int64_t k) const { return std::binary_search(ties, ties + nties, (uint32_t)k); }
  /** w[0, len) = values [i0, i0 + len). */
  void load(float* w, int64_t i0, int64_t len) const {
    const uint16_t* h = hi + i0;
    const int16_t* l = lo + i0;
    for (int64_t j = 0; j < len; j++) w[j] = ttrl_split::floatOf(ttrl_split::joinHiLo(h[j], l[j]));
    if (!anyTie(i0, len)) return;
    for (int64_t j = 0; j < len; j++)
      if (l[j] == ttrl_split::kTieCode) w[j] = ttrl_split::join(h[j], l[j], plusTie(base + i0 + j));
  }
  /** Values [i0, i0 + len) = w[0, len); their +0x8000 ties go to `found`. */
  void store(const float* w, int64_t i0, int64_t len) const {
    uint16_t* h = hi + i0;
    int16_t* l = lo + i0;
    for (int64_t j = 0; j < len; j++) ttrl_split::splitHiLo(w[j], h[j], l[j]);
    if (!anyTie(i0, len)) return;
    for (int64_t j = 0; j < len; j++)
      if (l[j] == ttrl_split::kTieCode && ttrl_split::tieOf(w[j], h[j])) found->add(base + i0 + j);
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
