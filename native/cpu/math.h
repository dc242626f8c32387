// Inline float helpers shared by the CPU kernels. Include this FIRST in every kernel file: its pragma must
// precede the standard headers (see below).
//
// `no-trapping-math` lets GCC if-convert (and so vectorize) loops holding float comparisons, such as ExpF's
// clamps: with the default -ftrapping-math it may not evaluate a comparison the scalar code would have
// skipped, in case it raises a floating-point exception. Nothing in ttrl reads the exception flags; results
// are unchanged. It comes before the #includes: a function compiled with other options (std::max) would not
// be inlined into one compiled with these, and a call per element undoes the vectorization.
#pragma once
#pragma GCC optimize("no-trapping-math")
#include <cstdint>
#include <cstring>

namespace ttrl_cpu {

// Elementwise loops below this size run on one thread: the fork/join costs more than it saves.
constexpr int64_t kParMin = 1 << 15;

// std::exp is a call GCC cannot vectorize without -ffast-math, and the exps of softmax, SiLU and the
// vocab-wide log-softmax were a large share of the non-GEMM time. ExpF is branch-free float arithmetic that
// GCC vectorizes inside `#pragma omp simd` loops (8 lanes with AVX2). Cephes' expf: x = n·ln2 + r with
// |r| ≤ ln2/2 (ln2 split in two for an exact product), a degree-5 polynomial for e^r, then 2^n through the
// exponent bits. Relative error ≤ 2 ulp on [−87.3, 88.3]; below that it returns 0 (also for −∞, which masked
// scores rely on); above it saturates at e^88.3 ≈ 2.4e38 instead of +∞; NaN stays NaN.
// Always inlined: sample.cc compiles it without fused multiply-adds, the other kernels with them, and an
// out-of-line copy would be shared between the two.
[[gnu::always_inline]] inline float ExpF(float x) {
  const float lo = -87.3365448f, hi = 88.3762626f;
  float xc = x < lo ? lo : x;  // ternaries, not std::min/max: GCC turns these into vector blends
  xc = xc > hi ? hi : xc;
  const float magic = 12582912.f;  // 1.5·2^23: adding and subtracting it rounds to the nearest integer
  const float n = (xc * 1.44269504088896341f + magic) - magic;
  float r = xc - n * 0.693359375f;
  r = r + n * 2.12194440e-4f;
  float y = 1.9875691500e-4f;
  y = y * r + 1.3981999507e-3f;
  y = y * r + 8.3334519073e-3f;
  y = y * r + 4.1665795894e-2f;
  y = y * r + 1.6666665459e-1f;
  y = y * r + 5.0000001201e-1f;
  y = y * (r * r) + r + 1.f;
  const int32_t bits = ((int32_t)n + 127) << 23;
  float scale;
  std::memcpy(&scale, &bits, sizeof scale);
  y *= scale;
  return x < lo ? 0.f : y;  // NaN passes through the clamps and the polynomial as NaN
}

inline float Sigmoid(float x) { return 1.f / (1.f + ExpF(-x)); }

// Σ a·b. `omp simd reduction` lets GCC reorder the sum into vector lanes (it may not otherwise).
inline float Dot(const float* a, const float* b, int64_t n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// y += alpha·x
inline void AxpyN(float* y, const float* x, float alpha, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

// A bf16 value (the top half of a float32) widened exactly.
inline float Widen(uint16_t h) {
  const uint32_t u = (uint32_t)h << 16;
  float f;
  std::memcpy(&f, &u, sizeof f);
  return f;
}

// Dot and AxpyN with a bf16 second operand (the bf16 KV cache).
inline float Dot(const float* a, const uint16_t* b, int64_t n) {
  float s = 0.f;
#pragma omp simd reduction(+ : s)
  for (int64_t i = 0; i < n; i++) s += a[i] * Widen(b[i]);
  return s;
}

inline void AxpyN(float* y, const uint16_t* x, float alpha, int64_t n) {
#pragma omp simd
  for (int64_t i = 0; i < n; i++) y[i] += alpha * Widen(x[i]);
}

}  // namespace ttrl_cpu
