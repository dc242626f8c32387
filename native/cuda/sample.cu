// Token sampling on the device: one block per drawn row, so only B tokens, log-probs, entropies and
// self-certainties come back to the host, never the (B, V) logits. The rules are src/sample/kernel.ts's
// (the reference, run on the CPU by native/cpu/sample.cc): weights w_i = exp((l_i − max) / T) in double,
// the kept set {w ≥ thr} with thr the largest of the top-k, top-p and min-p thresholds, then the inverse
// CDF in vocabulary order with the row's uniform u. What differs is how: no sort and no (V) scratch.
//   top-k  the k-th largest logit by bisection on the float's ordered bit pattern (≤ 32 counting passes);
//          thr = its weight, so ties at the k-th value are kept, as on the CPU.
//   top-p  the largest cut c (again a float, ≤ 32 passes) whose kept mass Σ_{w ≥ max(w(c), thr)} w still
//          reaches topP × the top-k mass; w(c) is then the weight of the last token of the smallest head,
//          which is the CPU's nucleus weight, ties at the cut kept.
//   draw   each thread sums the kept weights of a contiguous chunk, a block scan places the chunks, and the
//          thread whose chunk holds u × mass walks it in order.
// The weights come from the device's exp, not fdlibm's, and the sums run in a different order, so the
// results match the CPU's within rounding (docs/cuda.md derives the tolerance), not bit for bit.
//
// B = rows drawn, V = vocabulary.
#include "common.cuh"
#include "kernels.h"

namespace ttrl_cuda {

namespace {

constexpr int kSampleThreads = 256;  // at most 8 warps: the scan's warp-total pass is a sequential loop

/** Shared scratch of the block reductions, one array per type. */
struct Red { float* f; double* d; int64_t* i; };

/** The float's bits mapped so that unsigned order is float order (−∞ < … < −0 < +0 < … < +∞). */
__device__ __forceinline__ uint32_t orderKey(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}
__device__ __forceinline__ float fromKey(uint32_t k) {
  const uint32_t u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
  float f;
  memcpy(&f, &u, 4);
  return f;
}

/** One logits row and its temperature: the one place a weight is computed, so a threshold taken from a
 *  logit and the weights it is compared with round alike. */
struct Row {
  const float* l;
  int64_t V;
  double mx, T;
  __device__ double w(float x) const { return exp(((double)x - mx) / T); }
};

template <class T, class Op>
__device__ __forceinline__ T blockReduce(T v, T* red, T identity, Op op) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
  for (int o = 16; o > 0; o >>= 1) v = op(v, __shfl_xor_sync(0xffffffffu, v, o));
  __syncthreads();  // red may still be read by a previous call
  if (lane == 0) red[warp] = v;
  __syncthreads();
  T s = lane < nw ? red[lane] : identity;
  for (int o = 16; o > 0; o >>= 1) s = op(s, __shfl_xor_sync(0xffffffffu, s, o));
  return s;
}
struct MinOp { __device__ int64_t operator()(int64_t a, int64_t b) const { return a < b ? a : b; } };
struct MaxOp { __device__ int64_t operator()(int64_t a, int64_t b) const { return a > b ? a : b; } };

/** Inclusive prefix sum over the block in thread order; *excl gets the exclusive one, bit for bit the
 *  previous thread's inclusive sum (so the threads' intervals [excl, incl) tile the line without gaps). */
__device__ double blockScan(double v, double* red, double* excl) {
  const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
  for (int o = 1; o < 32; o <<= 1) {
    const double y = __shfl_sync(0xffffffffu, v, lane >= o ? lane - o : lane);
    if (lane >= o) v += y;
  }
  __syncthreads();
  if (lane == 31) red[warp] = v;
  __syncthreads();
  double base = 0;
  for (int k = 0; k < warp; k++) base += red[k];  // the warp totals in a fixed order
  const double incl = base + v;
  const double prev = __shfl_sync(0xffffffffu, incl, lane > 0 ? lane - 1 : 0);
  *excl = lane > 0 ? prev : base;  // lane 31 of the warp before computed base + red[warp − 1]: the same sum
  return incl;
}

/** Σ w over the row's weights w ≥ thr with w > 0 (the mass the draw renormalises by). */
__device__ double keptMass(const Row& r, double thr, Red red) {
  double m = 0;
  for (int64_t j = threadIdx.x; j < r.V; j += blockDim.x) {
    const double w = r.w(r.l[j]);
    if (w >= thr && w > 0) m += w;
  }
  return blockSum(m, red.d);
}

/** The k-th largest logit (1 ≤ k < V): the largest key K with #{key(l) ≥ K} ≥ k is a logit's key. */
__device__ float kthLargest(const Row& r, int64_t k, Red red) {
  uint32_t lo = orderKey(-INFINITY), hi = orderKey((float)r.mx) + 1;  // #{≥ lo} = V ≥ k, #{≥ hi} = 0 < k
  while (hi - lo > 1) {
    const uint32_t mid = lo + (hi - lo) / 2;
    int64_t n = 0;
    for (int64_t j = threadIdx.x; j < r.V; j += blockDim.x) n += orderKey(r.l[j]) >= mid;
    n = blockSum(n, red.i);
    if (n >= k) lo = mid; else hi = mid;
  }
  return fromKey(lo);
}

/** The nucleus weight: the largest w(c) ≥ thr, over floats c ≥ lo, with Σ_{w ≥ w(c)} w ≥ need (the CPU's
 *  "weight of the last token of the smallest head"); thr when even the lowest cut falls short (rounding:
 *  every candidate kept). */
__device__ double nucleusWeight(const Row& r, float lo, double thr, double need, Red red) {
  uint32_t a = orderKey(lo), b = orderKey((float)r.mx) + 1;  // P(a) holds (the whole kept mass); b is past the top
  while (b - a > 1) {
    const uint32_t mid = a + (b - a) / 2;
    const double cut = fmax(r.w(fromKey(mid)), thr);
    double m = 0;
    for (int64_t j = threadIdx.x; j < r.V; j += blockDim.x) {
      const double w = r.w(r.l[j]);
      if (w >= cut) m += w;
    }
    m = blockSum(m, red.d);
    if (m >= need) a = mid; else b = mid;
  }
  return fmax(r.w(fromKey(a)), thr);
}

/** The weight threshold of the kept set {w ≥ thr} (0 = keep all): kernel.ts's keepThreshold. */
__device__ double keepThreshold(const Row& r, double total, const SamplePolicy& p, Red red) {
  double thr = 0, mass = total;
  float lo = -INFINITY;
  if (p.topK > 0 && p.topK < r.V) {
    lo = kthLargest(r, p.topK, red);
    thr = r.w(lo);
    mass = keptMass(r, thr, red);
  }
  if (p.topP < 1) thr = fmax(thr, nucleusWeight(r, lo, thr, p.topP * mass, red));
  if (p.minP > 0) thr = fmax(thr, p.minP);
  return thr;
}

/** The first kept token, in vocabulary order, whose cumulative weight exceeds u × mass; the last kept
 *  token when rounding leaves the target at or past the end; −1 when nothing is kept. */
__device__ int64_t inverseCdf(const Row& r, double thr, double mass, double u, Red red) {
  const int64_t per = (r.V + blockDim.x - 1) / blockDim.x;
  const int64_t j0 = (int64_t)threadIdx.x * per < r.V ? (int64_t)threadIdx.x * per : r.V;
  const int64_t j1 = j0 + per < r.V ? j0 + per : r.V;
  double s = 0;
  int64_t last = -1;
  for (int64_t j = j0; j < j1; j++) {
    const double w = r.w(r.l[j]);
    if (w >= thr && w > 0) { s += w; last = j; }
  }
  double excl;
  const double incl = blockScan(s, red.d, &excl), target = u * mass;
  int64_t pick = INT64_MAX;
  if (s > 0 && excl <= target && target < incl) {  // this chunk holds the target: walk it
    double cum = excl;
    for (int64_t j = j0; j < j1; j++) {
      const double w = r.w(r.l[j]);
      if (w >= thr && w > 0) { cum += w; pick = j; if (cum > target) break; }
    }
  }
  pick = blockReduce(pick, red.i, (int64_t)INT64_MAX, MinOp());
  if (pick != INT64_MAX) return pick;
  return blockReduce(last, red.i, (int64_t)-1, MaxOp());
}

/** The first index of the row's maximum (torch.argmax), given the maximum. */
__device__ int64_t firstArgmax(const Row& r, float mx, Red red) {
  int64_t top = INT64_MAX;
  for (int64_t j = threadIdx.x; j < r.V && top == INT64_MAX; j += blockDim.x) if (r.l[j] == mx) top = j;
  return blockReduce(top, red.i, (int64_t)INT64_MAX, MinOp());
}

// out[b] = the draw from logits row rows ? rows[b] : b with uniform u[b]; out[b].bad = 1 (and nothing
// else) when that row's maximum is not finite or it holds a NaN.
__global__ void __launch_bounds__(kSampleThreads) sampleKernel(SampleOut* out, const float* logits, int64_t V,
                                                              const int32_t* rows, const double* u, SamplePolicy p) {
  __shared__ float redf[32];
  __shared__ double redd[32];
  __shared__ int64_t redi[32];
  const Red red{redf, redd, redi};
  const int64_t b = blockIdx.x;
  const float* l = logits + (rows ? (int64_t)rows[b] : b) * V;
  float mx = -INFINITY;
  int64_t nan = 0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) { const float x = l[j]; mx = fmaxf(mx, x); nan += x != x; }
  mx = blockMax(mx, red.f);
  nan = blockSum(nan, red.i);
  SampleOut o{0, 0, 0, -1, 0};
  if (nan || mx == INFINITY || mx == -INFINITY) {  // block-uniform: every thread leaves together
    o.bad = 1;
    if (threadIdx.x == 0) out[b] = o;
    return;
  }
  const bool greedy = p.temperature == 0;
  const Row r{l, V, (double)mx, p.temperature > 0 ? p.temperature : 1.0};
  double total = 0, sumL = 0, sumWD = 0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    const double d = (double)l[j] - r.mx, w = exp(d / r.T);
    total += w;
    sumL += (double)l[j];
    sumWD += w > 0 ? w * d : 0;  // a −∞ logit has w = 0 and adds nothing (0 · log 0 = 0), not 0 · −∞
  }
  total = blockSum(total, red.d);
  sumL = blockSum(sumL, red.d);
  sumWD = blockSum(sumWD, red.d);
  const double lz = log(total);
  // as native/cpu/sample.cc: H = lz − Σ w (l − max) / (T Σ w); self-certainty lz + (max − mean l) / T − log V
  o.entropy = lz - sumWD / (r.T * total);
  o.certainty = lz + (r.mx - sumL / (double)V) / r.T - log((double)V);
  int64_t pick;
  if (greedy) {
    pick = firstArgmax(r, mx, red);
  } else {
    const double thr = keepThreshold(r, total, p, red);
    pick = inverseCdf(r, thr, thr > 0 ? keptMass(r, thr, red) : total, u[b], red);
    if (pick < 0) pick = firstArgmax(r, mx, red);  // nothing kept (minP > 1, out of the policy's range)
  }
  o.token = (int32_t)pick;
  o.logprob = ((double)l[pick] - r.mx) / r.T - lz;
  if (threadIdx.x == 0) out[b] = o;
}

}  // namespace

void sampleRows(SampleOut* out, const float* logits, int64_t V, const int32_t* rows, int64_t B, const double* u,
                SamplePolicy p) {
  // a warp per 256 logits up to kSampleThreads: a short row (tests, toy models) needs fewer barriers
  const int64_t warps = (V + 255) / 256;
  const unsigned threads = 32u * (unsigned)(warps < kSampleThreads / 32 ? warps : kSampleThreads / 32);
  if (B > 0 && V > 0) launch(sampleKernel, dim3((unsigned)B), dim3(threads), out, logits, V, rows, u, p);
}

}  // namespace ttrl_cuda
