// Attention over the slot / qStart / keyMask layout of src/tensor/backend.ts, forward and backward, fp32.
// Query t of batch row b sits at slot qStart[b] + t of cache row slots[b] and sees the keys j ≤ that slot
// whose keyMask is 1 (causal + padding); query head h reads KV head h / (H/G) (GQA).
//
// Forward: one warp per query, 4 consecutive queries of one (b, h) per block (they read the same keys, so
// the L1 cache serves the repeats). Keys go 32 at a time, one per lane: each lane scores its key, then an
// online softmax (running max m and sum l) rescales the output accumulator, which lives in registers
// spread over the lanes (element d in lane d mod 32), and the chunk's probabilities are broadcast lane to
// lane to add p·v with coalesced reads of v. lse = m + log l is saved for the backward pass.
//
// Backward recomputes P from lse (no T×T storage), in three kernels: dt = Σ dout·out per query; dq with a
// warp per query (as the forward); dk, dv with a warp per key, looping over the heads of its KV group and
// the queries that see it. No two warps write one dq row; a dk / dv row is added once per (batch row, key)
// with atomics, so only batch rows that share a cache row (never in training) make the order vary.
//
// B=batch, T=queries per row, S=key slots, H=query heads, G=KV heads, D=head dim (≤ kMaxHeadDim).
#include "common.cuh"
#include "kernels.h"

namespace ttrl_cuda {

constexpr int kWarps = 4;
constexpr int kPerLane = kMaxHeadDim / 32;  // head-dim elements each lane holds

__device__ __forceinline__ int64_t qOffset(const AttnDev& a, int b, int t, int h) {
  return (((int64_t)b * a.T + t) * a.H + h) * a.D;
}
/** The start of key / value row j of cache row sb, KV head g: (rows, S, G, D) layout. */
__device__ __forceinline__ int64_t kvOffset(const AttnDev& a, int sb, int j, int g) {
  return (((int64_t)sb * a.S + j) * a.G + g) * a.D;
}

template <class KV>
__device__ __forceinline__ float dotShared(const float* s, const KV* g, int D) {
  float acc = 0.f;
  for (int d = 0; d < D; d++) acc += s[d] * ld(g + d);
  return acc;
}

// KV: float, or uint16_t for a bf16 KV cache (kAll / vAll are then a.kh / a.vh).
template <class KV>
__global__ void __launch_bounds__(32 * kWarps) attentionKernel(float* out, float* lse, AttnDev a, const KV* kAll, const KV* vAll) {
  __shared__ float qs[kWarps][kMaxHeadDim];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int b = blockIdx.z, h = blockIdx.y, t = blockIdx.x * kWarps + warp;
  if (t >= a.T) return;  // the whole warp: no block barrier below
  const int D = a.D, g = h / (a.H / a.G), sb = a.slots[b], last = a.qStart[b] + t;
  const int64_t qo = qOffset(a, b, t, h);
  for (int d = lane; d < D; d += 32) qs[warp][d] = a.q[qo + d];
  __syncwarp();
  const float* km = a.keyMask + (int64_t)sb * a.S;
  float m = -INFINITY, l = 0.f, o[kPerLane] = {};
  for (int j0 = 0; j0 <= last; j0 += 32) {
    const int j = j0 + lane;
    float s = -INFINITY;
    if (j <= last && km[j] != 0.f) s = dotShared(qs[warp], kAll + kvOffset(a, sb, j, g), D) * a.scale;
    const float mNew = fmaxf(m, warpMax(s));
    if (mNew == -INFINITY) continue;  // nothing visible yet: warp-uniform
    const float p = s == -INFINITY ? 0.f : expf(s - mNew), corr = expf(m - mNew);  // corr = 0 while m = −∞
    l = l * corr + warpSum(p);
#pragma unroll
    for (int i = 0; i < kPerLane; i++) o[i] *= corr;
    const int nj = min(32, last - j0 + 1);
    for (int jj = 0; jj < nj; jj++) {
      const float pj = __shfl_sync(0xffffffffu, p, jj);
      if (pj == 0.f) continue;  // the same in every lane
      const KV* vr = vAll + kvOffset(a, sb, j0 + jj, g);
#pragma unroll
      for (int i = 0; i < kPerLane; i++) {
        const int d = lane + 32 * i;
        if (d < D) o[i] += pj * ld(vr + d);
      }
    }
    m = mNew;
  }
  const float inv = l > 0.f ? 1.f / l : 0.f;  // a query with no visible key: out 0, lse −∞
#pragma unroll
  for (int i = 0; i < kPerLane; i++) {
    const int d = lane + 32 * i;
    if (d < D) out[qo + d] = o[i] * inv;
  }
  if (lane == 0) lse[((int64_t)b * a.H + h) * a.T + t] = m == -INFINITY ? -INFINITY : m + logf(l);
}

// dt(B,H,T) = Σ_d dout·out of each query (warp per query)
__global__ void rowDotKernel(float* dt, const float* dout, const float* out, AttnDev a) {
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int b = blockIdx.z, h = blockIdx.y, t = blockIdx.x * kWarps + warp;
  if (t >= a.T) return;
  const int64_t qo = qOffset(a, b, t, h);
  float s = 0.f;
  for (int d = lane; d < a.D; d += 32) s += dout[qo + d] * out[qo + d];
  s = warpSum(s);
  if (lane == 0) dt[((int64_t)b * a.H + h) * a.T + t] = s;
}

// dq += scale·Σ_j P_j·(dout·v_j − dt)·k_j, warp per query, keys 32 at a time (one per lane)
__global__ void __launch_bounds__(32 * kWarps) attentionBackwardQKernel(float* dq, const float* dout, const float* lse,
                                                                      const float* dt, AttnDev a) {
  __shared__ float qs[kWarps][kMaxHeadDim], gs[kWarps][kMaxHeadDim];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int b = blockIdx.z, h = blockIdx.y, t = blockIdx.x * kWarps + warp;
  if (t >= a.T) return;
  const int64_t li = ((int64_t)b * a.H + h) * a.T + t;
  const float L = lse[li];
  if (L == -INFINITY) return;  // saw no key: no gradient
  const int D = a.D, g = h / (a.H / a.G), sb = a.slots[b], last = a.qStart[b] + t;
  const int64_t qo = qOffset(a, b, t, h);
  for (int d = lane; d < D; d += 32) { qs[warp][d] = a.q[qo + d]; gs[warp][d] = dout[qo + d]; }
  __syncwarp();
  const float* km = a.keyMask + (int64_t)sb * a.S;
  const float Dt = dt[li];
  float acc[kPerLane] = {};
  for (int j0 = 0; j0 <= last; j0 += 32) {
    const int j = j0 + lane;
    float ds = 0.f;
    if (j <= last && km[j] != 0.f) {
      const int64_t ko = kvOffset(a, sb, j, g);
      const float p = expf(dotShared(qs[warp], a.k + ko, D) * a.scale - L);
      ds = p * (dotShared(gs[warp], a.v + ko, D) - Dt) * a.scale;
    }
    const int nj = min(32, last - j0 + 1);
    for (int jj = 0; jj < nj; jj++) {
      const float dsj = __shfl_sync(0xffffffffu, ds, jj);
      if (dsj == 0.f) continue;
      const float* kr = a.k + kvOffset(a, sb, j0 + jj, g);
#pragma unroll
      for (int i = 0; i < kPerLane; i++) {
        const int d = lane + 32 * i;
        if (d < D) acc[i] += dsj * kr[d];
      }
    }
  }
#pragma unroll
  for (int i = 0; i < kPerLane; i++) {
    const int d = lane + 32 * i;
    if (d < D) dq[qo + d] += acc[i];
  }
}

// dk_j += scale·Σ P·(dout·v_j − dt)·q, dv_j += Σ P·dout over the queries (and heads of the group) that see
// key j; warp per key, 4 consecutive keys per block, queries 32 at a time (one per lane).
__global__ void __launch_bounds__(32 * kWarps) attentionBackwardKVKernel(float* dk, float* dv, const float* dout,
                                                                       const float* lse, const float* dt, AttnDev a) {
  __shared__ float ks[kWarps][kMaxHeadDim], vs[kWarps][kMaxHeadDim];
  const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
  const int b = blockIdx.z, g = blockIdx.y, j = blockIdx.x * kWarps + warp;
  if (j >= a.S) return;
  const int sb = a.slots[b];
  if (a.keyMask[(int64_t)sb * a.S + j] == 0.f) return;
  const int tFirst = max(0, j - a.qStart[b]);  // causal: query t sees j iff j ≤ qStart + t
  if (tFirst >= a.T) return;
  const int D = a.D, rep = a.H / a.G;
  const int64_t ko = kvOffset(a, sb, j, g);
  for (int d = lane; d < D; d += 32) { ks[warp][d] = a.k[ko + d]; vs[warp][d] = a.v[ko + d]; }
  __syncwarp();
  float gk[kPerLane] = {}, gv[kPerLane] = {};
  for (int h = g * rep; h < (g + 1) * rep; h++) {
    for (int t0 = tFirst; t0 < a.T; t0 += 32) {
      const int t = t0 + lane;
      float p = 0.f, ds = 0.f;
      if (t < a.T) {
        const int64_t li = ((int64_t)b * a.H + h) * a.T + t;
        const float L = lse[li];
        if (L != -INFINITY) {
          const int64_t qo = qOffset(a, b, t, h);
          p = expf(dotShared(ks[warp], a.q + qo, D) * a.scale - L);
          ds = p * (dotShared(vs[warp], dout + qo, D) - dt[li]) * a.scale;
        }
      }
      const int nt = min(32, a.T - t0);
      for (int tt = 0; tt < nt; tt++) {
        const float pt = __shfl_sync(0xffffffffu, p, tt), dst = __shfl_sync(0xffffffffu, ds, tt);
        if (pt == 0.f && dst == 0.f) continue;
        const int64_t qo = qOffset(a, b, t0 + tt, h);
#pragma unroll
        for (int i = 0; i < kPerLane; i++) {
          const int d = lane + 32 * i;
          if (d < D) { gk[i] += dst * a.q[qo + d]; gv[i] += pt * dout[qo + d]; }
        }
      }
    }
  }
#pragma unroll
  for (int i = 0; i < kPerLane; i++) {
    const int d = lane + 32 * i;
    if (d < D) { atomicAdd(dk + ko + d, gk[i]); atomicAdd(dv + ko + d, gv[i]); }
  }
}

void attention(float* out, float* lse, const AttnDev& a) {
  if (a.B == 0 || a.T == 0 || a.H == 0) return;
  const dim3 grid((unsigned)((a.T + kWarps - 1) / kWarps), (unsigned)a.H, (unsigned)a.B);
  if (a.kh) launch(attentionKernel<uint16_t>, grid, dim3(32 * kWarps), out, lse, a, a.kh, a.vh);
  else launch(attentionKernel<float>, grid, dim3(32 * kWarps), out, lse, a, a.k, a.v);
}

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                       const AttnDev& a, float* dt) {
  if (a.B == 0 || a.T == 0 || a.H == 0) return;
  const dim3 qGrid((unsigned)((a.T + kWarps - 1) / kWarps), (unsigned)a.H, (unsigned)a.B);
  launch(rowDotKernel, qGrid, dim3(32 * kWarps), dt, dout, out, a);
  launch(attentionBackwardQKernel, qGrid, dim3(32 * kWarps), dq, dout, lse, (const float*)dt, a);
  const dim3 kGrid((unsigned)((a.S + kWarps - 1) / kWarps), (unsigned)a.G, (unsigned)a.B);
  launch(attentionBackwardKVKernel, kGrid, dim3(32 * kWarps), dk, dv, dout, lse, (const float*)dt, a);
}

}  // namespace ttrl_cuda
