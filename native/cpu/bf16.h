// bf16 compute (bf16.cc): conversions and the bf16 × bf16 → fp32 matrix product. bf16 values travel as
// uint16_t (the top half of an IEEE float).
#pragma once
#include <cstdint>
#include <string>
#include "kernels.h"

namespace ttrl_cpu {

/** dst(n) = src rounded to bf16 (nearest even; NaN stays NaN). */
void toBf16(uint16_t* dst, const float* src, int64_t n);
/** dst(n) = src widened to fp32 (exact). */
void fromBf16(float* dst, const uint16_t* src, int64_t n);
/** out(M,C) = table[ids[m]] widened; ids checked by the glue. */
void embeddingBf16(float* out, const uint16_t* table, const int32_t* ids, int64_t M, int64_t C);
/** C(M,N) = alpha·op(A)·op(B) + beta·C, row-major, A and B bf16, sums and C in fp32; beta = 0 makes C
 *  write-only. */
void gemmBf16(float* C, const uint16_t* A, const uint16_t* B, int M, int N, int K, bool transA, bool transB,
              float alpha, float beta);

/** The fp32 product through oneDNN's matmul (fp32 operands and sums, no down-conversion); false (nothing
 *  done) without oneDNN or where it would pick a generic implementation. */
bool gemmF32Dnnl(float* C, const float* A, const float* B, int M, int N, int K, bool transA, bool transB,
                 float alpha, float beta);

/** What runs the bf16 products here: the library, the implementation it picks for a typical product, whether
 *  that is faster than fp32 by design of the CPU (`fast`), and why or why not. */
struct Bf16Info {
  std::string library, impl, reason;
  bool fast = false;
};
Bf16Info bf16Info();

}  // namespace ttrl_cpu
