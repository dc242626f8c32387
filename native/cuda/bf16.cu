// bf16 buffers on the device: conversions to and from fp32 (round to nearest even, as native/cpu/bf16.cc)
// and the embedding lookup from a bf16 table; the same for split fp32 buffers (native/split.h). The bf16 matrix products are cuBLAS's (cublasGemmEx, in
// cublas.cc); without cuBLAS the addon widens the rounded operands and runs the built-in SGEMM.
#include <cstring>
#include "common.cuh"
#include "kernels.h"

namespace ttrl_cuda {

#define GRID_STRIDE(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

__device__ __forceinline__ uint16_t roundBf16(float x) {
  uint32_t u;
  memcpy(&u, &x, 4);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);  // NaN stays NaN
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

__global__ void toBf16Kernel(uint16_t* d, const float* s, int64_t n) { GRID_STRIDE(i, n) d[i] = roundBf16(s[i]); }
__global__ void fromBf16Kernel(float* d, const uint16_t* s, int64_t n) { GRID_STRIDE(i, n) d[i] = widenBf16(s[i]); }
__global__ void roundKernel(float* d, const float* s, int64_t n) { GRID_STRIDE(i, n) d[i] = widenBf16(roundBf16(s[i])); }
__global__ void embeddingBf16Kernel(float* o, const uint16_t* tab, const int32_t* ids, int64_t M, int64_t C) {
  GRID_STRIDE(i, M * C) o[i] = widenBf16(tab[(int64_t)ids[i / C] * C + i % C]);
}

__global__ void splitKernel(SplitDev d, const float* s, int64_t n) { GRID_STRIDE(i, n) splitPut(d, i, s[i]); }
__global__ void joinKernel(float* d, SplitDev s, int64_t n) { GRID_STRIDE(i, n) d[i] = splitGet(s, i); }
__global__ void embeddingSplitKernel(float* o, SplitDev tab, const int32_t* ids, int64_t M, int64_t C) {
  GRID_STRIDE(i, M * C) o[i] = splitGet(tab, (int64_t)ids[i / C] * C + i % C);
}

void toBf16(uint16_t* dst, const float* src, int64_t n) { if (n > 0) launch(toBf16Kernel, gridFor(n), kThreads, dst, src, n); }
void fromBf16(float* dst, const uint16_t* src, int64_t n) { if (n > 0) launch(fromBf16Kernel, gridFor(n), kThreads, dst, src, n); }
void roundToBf16(float* dst, const float* src, int64_t n) { if (n > 0) launch(roundKernel, gridFor(n), kThreads, dst, src, n); }
void embeddingBf16(float* out, const uint16_t* table, const int32_t* ids, int64_t M, int64_t C) {
  if (M * C > 0) launch(embeddingBf16Kernel, gridFor(M * C), kThreads, out, table, ids, M, C);
}

void splitF32(SplitDev dst, const float* src, int64_t n) { if (n > 0) launch(splitKernel, gridFor(n), kThreads, dst, src, n); }
void joinF32(float* dst, SplitDev src, int64_t n) { if (n > 0) launch(joinKernel, gridFor(n), kThreads, dst, src, n); }
void embeddingSplit(float* out, SplitDev table, const int32_t* ids, int64_t M, int64_t C) {
  if (M * C > 0) launch(embeddingSplitKernel, gridFor(M * C), kThreads, out, table, ids, M, C);
}

}  // namespace ttrl_cuda
