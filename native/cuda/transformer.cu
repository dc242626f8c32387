// Transformer kernels other than attention and GEMM, forward and backward side by side: RMSNorm, RoPE,
// SiLU·mul, embedding, log-softmax gather with entropy, AdamW. Each mirrors its native/cpu/ twin
// formula for formula (same float / double choices), so the two backends agree to rounding.
// M=rows, C=hidden, nh=heads, D=head dim, V=vocab.
#include "common.cuh"
#include "kernels.h"

namespace ttrl_cuda {

#define GRID_STRIDE(i, n) \
  for (int64_t i = (int64_t)blockIdx.x * blockDim.x + threadIdx.x; i < (n); i += (int64_t)gridDim.x * blockDim.x)

// ---- RMSNorm: one block per row ----------------------------------------------------------------------
// out(M,C) = w·(x·rstd), rstd(M) = 1/sqrt(mean(x²) + eps)
__global__ void rmsnormKernel(float* out, float* rstd, const float* x, const float* w, int64_t C, float eps) {
  __shared__ float red[32];
  const float* xr = x + (int64_t)blockIdx.x * C;
  float* o = out + (int64_t)blockIdx.x * C;
  float ss = 0.f;
  for (int64_t j = threadIdx.x; j < C; j += blockDim.x) ss += xr[j] * xr[j];
  ss = blockSum(ss, red);
  const float r = 1.f / sqrtf(ss / (float)C + eps);
  if (threadIdx.x == 0) rstd[blockIdx.x] = r;
  for (int64_t j = threadIdx.x; j < C; j += blockDim.x) o[j] = w[j] * (xr[j] * r);
}

// dx(M,C) += rstd·(dout·w − xhat·mean(dout·w·xhat)); dw is a column sum (columnSumScaled, dense.cu)
__global__ void rmsnormBackwardDxKernel(float* dx, const float* dout, const float* x, const float* w, const float* rstd, int64_t C) {
  __shared__ float red[32];
  const int64_t off = (int64_t)blockIdx.x * C;
  const float r = rstd[blockIdx.x];
  float dot = 0.f;
  for (int64_t j = threadIdx.x; j < C; j += blockDim.x) dot += dout[off + j] * w[j] * x[off + j] * r;
  const float mean = blockSum(dot, red) / (float)C;
  for (int64_t j = threadIdx.x; j < C; j += blockDim.x) {
    const float xhat = x[off + j] * r;
    dx[off + j] += r * (dout[off + j] * w[j] - xhat * mean);
  }
}

void rmsnorm(float* out, float* rstd, const float* x, const float* w, int64_t M, int64_t C, float eps) {
  if (M > 0) launch(rmsnormKernel, dim3((unsigned)M), dim3(kThreads), out, rstd, x, w, C, eps);
}

void rmsnormBackward(float* dx, float* dw, const float* dout, const float* x, const float* w, const float* rstd, int64_t M, int64_t C) {
  if (M <= 0) return;
  launch(rmsnormBackwardDxKernel, dim3((unsigned)M), dim3(kThreads), dx, dout, x, w, rstd, C);
  columnSumScaled(dw, dout, x, rstd, M, C);
}

// ---- RoPE (rotate-half): one thread per (row, head, pair) -----------------------------------------------
// The angle is a float32 product (as Hugging Face computes it), its cos / sin taken in double and rounded,
// as the CPU backend does: the two backends then rotate by bit-identical factors.
__global__ void ropeKernel(float* x, const int32_t* pos, const float* invf, int64_t M, int64_t nh, int64_t D, bool inverse) {
  const int64_t half = D / 2;
  GRID_STRIDE(idx, M * nh * half) {
    const int64_t i = idx % half, mh = idx / half, m = mh / nh;
    const float ang = (float)pos[m] * invf[i];
    const float c = (float)cos((double)ang), s0 = (float)sin((double)ang), s = inverse ? -s0 : s0;
    float* v = x + mh * D;
    const float a = v[i], b = v[i + half];
    v[i] = a * c - b * s;
    v[i + half] = b * c + a * s;
  }
}

void rope(float* x, const int32_t* pos, const float* invFreq, int64_t M, int64_t nh, int64_t D, bool inverse) {
  const int64_t n = M * nh * (D / 2);
  if (n > 0) launch(ropeKernel, gridFor(n), kThreads, x, pos, invFreq, M, nh, D, inverse);
}

// ---- SiLU·mul --------------------------------------------------------------------------------------------
__global__ void siluMulKernel(float* o, const float* g, const float* u, int64_t n) {
  GRID_STRIDE(i, n) o[i] = g[i] / (1.f + expf(-g[i])) * u[i];
}

__global__ void siluMulBackwardKernel(float* dg, float* du, const float* dout, const float* g, const float* u, int64_t n) {
  GRID_STRIDE(i, n) {
    const float sg = 1.f / (1.f + expf(-g[i]));
    du[i] = dout[i] * (g[i] * sg);
    dg[i] = dout[i] * u[i] * sg * (1.f + g[i] * (1.f - sg));
  }
}

void siluMul(float* out, const float* gate, const float* up, int64_t n) {
  if (n > 0) launch(siluMulKernel, gridFor(n), kThreads, out, gate, up, n);
}
void siluMulBackward(float* dgate, float* dup, const float* dout, const float* gate, const float* up, int64_t n) {
  if (n > 0) launch(siluMulBackwardKernel, gridFor(n), kThreads, dgate, dup, dout, gate, up, n);
}

// ---- embedding (ids checked on the host before they get here) --------------------------------------------
__global__ void embeddingKernel(float* o, const float* tab, const int32_t* ids, int64_t M, int64_t C) {
  GRID_STRIDE(i, M * C) o[i] = tab[(int64_t)ids[i / C] * C + i % C];
}

// A repeated id adds its rows with atomics: the order of those float adds (and so the last bit) varies.
__global__ void embeddingBackwardKernel(float* dt, const float* dout, const int32_t* ids, int64_t M, int64_t C) {
  GRID_STRIDE(i, M * C) atomicAdd(dt + (int64_t)ids[i / C] * C + i % C, dout[i]);
}

void embedding(float* out, const float* table, const int32_t* ids, int64_t M, int64_t C) {
  if (M * C > 0) launch(embeddingKernel, gridFor(M * C), kThreads, out, table, ids, M, C);
}
void embeddingBackward(float* dtable, const float* dout, const int32_t* ids, int64_t M, int64_t C) {
  if (M * C > 0) launch(embeddingBackwardKernel, gridFor(M * C), kThreads, dtable, dout, ids, M, C);
}

// ---- log-softmax, target gather, entropy: one block per row ----------------------------------------------
struct RowStats { float mx; double sum, sxe; };  // max, Σ e^(x−mx), Σ e^(x−mx)·(x−mx)

__device__ RowStats rowStats(const float* r, int64_t V) {
  __shared__ float redf[32];
  __shared__ double redd[32];
  float mx = -INFINITY;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) mx = fmaxf(mx, r[j]);
  mx = blockMax(mx, redf);
  double sum = 0, sxe = 0;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    const double d = (double)(r[j] - mx), e = exp(d);
    sum += e;
    sxe += e * d;
  }
  sum = blockSum(sum, redd);
  sxe = blockSum(sxe, redd);
  return {mx, sum, sxe};
}

// lp(M) = log_softmax(row)[target] (0 when target < 0); ent(M) = logZ − E_p[x] (optional)
__global__ void logSoftmaxGatherKernel(float* lp, float* ent, const float* logits, const int32_t* tg, int64_t V) {
  const float* r = logits + (int64_t)blockIdx.x * V;
  const RowStats st = rowStats(r, V);
  if (threadIdx.x == 0) {
    const double lz = log(st.sum);
    const int32_t t = tg[blockIdx.x];
    lp[blockIdx.x] = t >= 0 ? (float)((double)(r[t] - st.mx) - lz) : 0.f;
    if (ent) ent[blockIdx.x] = (float)(lz - st.sxe / st.sum);
  }
}

// dlogits = dlp·(onehot − p) + dent·(−p·(log p + H)); dlogits may alias logits: each thread reads the
// entries it then overwrites, and the target's += comes after a barrier.
__global__ void logSoftmaxGatherBackwardKernel(float* dl, const float* logits, const int32_t* tg, const float* dlp,
                                               const float* dent, int64_t V) {
  const int64_t off = (int64_t)blockIdx.x * V;
  const float* r = logits + off;
  float* d = dl + off;
  const int32_t t = tg[blockIdx.x];
  const float g = t >= 0 ? dlp[blockIdx.x] : 0.f, ge = dent ? dent[blockIdx.x] : 0.f;
  if (g == 0.f && ge == 0.f) {  // block-uniform: every thread leaves together
    for (int64_t j = threadIdx.x; j < V; j += blockDim.x) d[j] = 0.f;
    return;
  }
  const RowStats st = rowStats(r, V);
  const double lz = log(st.sum), H = lz - st.sxe / st.sum;
  for (int64_t j = threadIdx.x; j < V; j += blockDim.x) {
    const double logp = (double)(r[j] - st.mx) - lz, p = exp(logp);
    double v = -g * p;
    if (ge != 0.f) v += -ge * p * (logp + H);
    d[j] = (float)v;
  }
  __syncthreads();
  if (threadIdx.x == 0 && t >= 0) d[t] += g;
}

void logSoftmaxGather(float* lp, float* ent, const float* logits, const int32_t* targets, int64_t M, int64_t V) {
  if (M > 0) launch(logSoftmaxGatherKernel, dim3((unsigned)M), dim3(kThreads), lp, ent, logits, targets, V);
}
void logSoftmaxGatherBackward(float* dlogits, const float* logits, const int32_t* targets, const float* dlp,
                              const float* dent, int64_t M, int64_t V) {
  if (M > 0) launch(logSoftmaxGatherBackwardKernel, dim3((unsigned)M), dim3(kThreads), dlogits, logits, targets, dlp, dent, V);
}

// ---- AdamW ----------------------------------------------------------------------------------------------
// p −= lr·(m̂/(sqrt(v̂)+eps) + wd·p), decoupled weight decay (torch.optim.AdamW), coefficients as native/cpu/dense.cc
// One element (both layouts call it, so their arithmetic is the same expression).
__device__ __forceinline__ float adamElem(float p, float g, float& m, float& v, const AdamCoef& c) {
  p *= c.decay;
  m = c.b1 * m + c.c1 * g;
  v = c.b2 * v + c.c2 * g * g;
  return p - c.step * m / (sqrtf(v) / c.sbc2 + c.eps);
}

__global__ void adamwKernel(float* p, const float* g, float* m, float* v, int64_t n, AdamCoef c) {
  GRID_STRIDE(i, n) {
    float mi = m[i], vi = v[i];
    p[i] = adamElem(p[i], g[i], mi, vi, c);
    m[i] = mi; v[i] = vi;
  }
}

// AdamW on split weights: join, the same update, split again.
__global__ void adamwSplitKernel(SplitDev p, const float* g, float* m, float* v, int64_t n, AdamCoef c) {
  GRID_STRIDE(i, n) {
    float mi = m[i], vi = v[i];
    splitPut(p, i, adamElem(splitGet(p, i), g[i], mi, vi, c));
    m[i] = mi; v[i] = vi;
  }
}

void adamw(float* p, const float* g, float* m, float* v, int64_t n, AdamCoef c) {
  if (n > 0) launch(adamwKernel, gridFor(n), kThreads, p, g, m, v, n, c);
}
void adamwSplit(SplitDev p, const float* g, float* m, float* v, int64_t n, AdamCoef c) {
  if (n > 0) launch(adamwSplitKernel, gridFor(n), kThreads, p, g, m, v, n, c);
}

}  // namespace ttrl_cuda
