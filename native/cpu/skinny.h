// Products of a few rows against a weight matrix (skinny.cc): C(M,N) = alpha·A(M,K)·B(N,K)ᵀ + beta·C with
// AVX-512, B read once. Each returns false (nothing done) when the product is not one of its cases (shape,
// transposition, CPU instructions, switched off); beta = 0 makes C write-only.
#pragma once
#include <cstdint>

namespace ttrl_cpu {

bool skinnyF32(float* C, const float* A, const float* B, int M, int N, int K, bool transA, bool transB, float alpha,
               float beta);
/** A and B in bf16, sums in fp32. */
bool skinnyBf16(float* C, const uint16_t* A, const uint16_t* B, int M, int N, int K, bool transA, bool transB,
                float alpha, float beta);
/** On by default; off sends every product to the libraries (the benchmark's side-by-side comparison). */
void setSkinny(bool on);
/** The most rows of A each serves on this CPU, 0 where it lacks the instructions: fp32 needs AVX-512 (F, BW, DQ,
 *  VL), bf16 also AVX512_BF16. */
struct SkinnySupport {
  int f32, bf16;
};
SkinnySupport skinnySupport();

}  // namespace ttrl_cpu
