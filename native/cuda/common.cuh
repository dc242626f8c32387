// Shared pieces of the CUDA kernels: the launch helper (the same call compiles under nvcc and under the
// host emulator, emu.h), warp and block reductions, and grid sizing. Every kernel runs on the legacy
// default stream, so kernels, cuBLAS calls and memcpys are ordered as they are issued.
#pragma once
#ifdef TTRL_CUDA_EMU
#include "emu.h"
#else
#include <cuda_runtime.h>
#endif
#include <cstdint>
#include <cmath>
#include <cstring>
#include "kernels.h"

namespace ttrl_cuda {

constexpr int kThreads = 256;  // block size of the 1-D kernels (a multiple of 32: the emulator needs whole warps)

/** Launches kernel k on the default stream. A function rather than <<<>>> at each call site so the same
 *  source builds with g++ for the emulator. Errors surface through cudaGetLastError in the caller. */
template <class... KArgs, class... Args>
inline void launch(void (*k)(KArgs...), dim3 grid, dim3 block, Args... args) {
#ifdef TTRL_CUDA_EMU
  emu::launch(grid, block, [=] { k(args...); });
#else
  k<<<grid, block, 0, 0>>>(args...);
#endif
}

/** Blocks for a grid-stride loop over n elements: enough to fill the GPU, never more than needed. */
inline unsigned gridFor(int64_t n) {
  int64_t b = (n + kThreads - 1) / kThreads;
  if (b > 4096) b = 4096;  // 132 SMs × 2048 threads / 256 ≈ 1056 resident blocks: 4096 is plenty
  return (unsigned)(b < 1 ? 1 : b);
}

template <class T>
__device__ __forceinline__ T warpSum(T v) {
  for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
  return v;
}

__device__ __forceinline__ float warpMax(float v) {
  for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
  return v;
}

/** Sum over the whole block (blockDim.x a multiple of 32, ≤ 1024); every thread gets the result. Every
 *  thread of the block must call it (it holds two barriers). `red` is a 32-entry shared scratch. */
template <class T>
__device__ __forceinline__ T blockSum(T v, T* red) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = warpSum(v);
  __syncthreads();  // red may still be read by a previous call
  if (lane == 0) red[warp] = v;
  __syncthreads();
  T s = lane < nw ? red[lane] : T(0);
  return warpSum(s);
}

__device__ __forceinline__ float blockMax(float v, float* red) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  v = warpMax(v);
  __syncthreads();
  if (lane == 0) red[warp] = v;
  __syncthreads();
  float s = lane < nw ? red[lane] : -INFINITY;
  return warpMax(s);
}

/** A bf16 value (the top half of a float32) widened exactly; ld() reads a key / value of either type. */
__device__ __forceinline__ float widenBf16(uint16_t h) {
  const uint32_t u = (uint32_t)h << 16;
  float f;
  memcpy(&f, &u, 4);
  return f;
}
__device__ __forceinline__ float ld(const float* p) { return *p; }

/** Element i of a split buffer (native/split.h), and storing w there. Threads never share an element, but
 *  may share a tie word: its bits are set atomically (rarely: only with the tie code). */
__device__ __forceinline__ float splitGet(const SplitDev& s, int64_t i) {
  return ttrl_split::join(s.hi[i], s.lo[i], ttrl_split::tieAt(s.ties, s.base + i));
}
__device__ __forceinline__ void splitPut(const SplitDev& s, int64_t i, float w) {
  const int t = ttrl_split::split(w, s.hi[i], s.lo[i]);
  if (t < 0) return;
  const int64_t k = s.base + i;
  if (t) atomicOr(&s.ties[k >> 5], 1u << (k & 31));
  else atomicAnd(&s.ties[k >> 5], ~(1u << (k & 31)));
}
__device__ __forceinline__ float ld(const uint16_t* p) { return widenBf16(*p); }

}  // namespace ttrl_cuda
