// Causal attention over a slotted KV cache (grouped-query), forward and backward, fused per query: no T×S
// score matrix is stored.
#include "math.h"  // first: its pragma must precede the standard headers
#include <algorithm>
#include <cmath>
#include <vector>
#include "kernels.h"

namespace ttrl_cpu {

// out(B,T,H,D) = softmax(q·kᵀ·scale, causal + key mask)·v ; lse(B,H,T). A query with no visible key gets 0.
// Parallel over (b, h). Per query: the scores of its visible keys (vectorized dots), one vectorized pass of
// exps, then the probability-weighted sum of the value rows. KV is float or uint16_t (bf16 cache).
namespace {
template <typename KV>
void Attention(float* out, float* lse, const Attn& a, const KV* kAll, const KV* vAll) {
  const int64_t rep = a.H / a.G, D = a.D, stride = a.G * a.D;  // stride: one key slot to the next
#pragma omp parallel
  {
    std::vector<float> p(a.S);
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t b = 0; b < a.B; b++) {
      for (int64_t h = 0; h < a.H; h++) {
        const int64_t g = h / rep, sb = a.slots[b];
        const float* km = a.keyMask + sb * a.S;
        const KV* kb = kAll + sb * a.S * stride + g * D;  // key slot j at kb + j·stride
        const KV* vb = vAll + sb * a.S * stride + g * D;
        for (int64_t t = 0; t < a.T; t++) {
          const int64_t n = a.qStart[b] + t + 1;  // causal: keys [0, n)
          const float* qv = a.q + ((b * a.T + t) * a.H + h) * D;
          float* o = out + ((b * a.T + t) * a.H + h) * D;
          float mx = -INFINITY;
          for (int64_t j = 0; j < n; j++) {
            const float sc = km[j] == 0.f ? -INFINITY : Dot(qv, kb + j * stride, D) * a.scale;
            p[j] = sc;
            mx = std::max(mx, sc);
          }
          std::fill(o, o + D, 0.f);
          if (mx == -INFINITY) { lse[(b * a.H + h) * a.T + t] = -INFINITY; continue; }
          float sum = 0.f;
          float* pp = p.data();
#pragma omp simd reduction(+ : sum)
          for (int64_t j = 0; j < n; j++) {
            const float e = ExpF(pp[j] - mx);  // masked: exp(−∞) = 0
            pp[j] = e;
            sum += e;
          }
          const float inv = 1.f / sum;
          for (int64_t j = 0; j < n; j++) {
            if (pp[j] != 0.f) AxpyN(o, vb + j * stride, pp[j] * inv, D);
          }
          lse[(b * a.H + h) * a.T + t] = mx + std::log(sum);
        }
      }
    }
  }
}
}  // namespace

void attention(float* out, float* lse, const Attn& a) {
  if (a.kh) Attention(out, lse, a, a.kh, a.vh);
  else Attention(out, lse, a, a.k, a.v);
}

// Recomputes P from lse (no T² storage). Parallel over (b, g) so that the heads sharing a KV head
// accumulate dk/dv on one thread. Per query: scores and dP = dout·v of its visible keys (vectorized dots),
// then P and dS = P·(dP − dout·out)·scale in one vectorized pass, then the three accumulations.
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                       const Attn& a) {
  const int64_t rep = a.H / a.G, D = a.D, stride = a.G * a.D;
#pragma omp parallel
  {
    std::vector<float> p(a.S), ds(a.S);
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t b = 0; b < a.B; b++) {
      for (int64_t g = 0; g < a.G; g++) {
        const int64_t sb = a.slots[b];
        const float* km = a.keyMask + sb * a.S;
        const int64_t base = sb * a.S * stride + g * D;  // key slot j at base + j·stride
        const float* kb = a.k + base; const float* vb = a.v + base;
        float* dkb = dk + base; float* dvb = dv + base;
        for (int64_t h = g * rep; h < (g + 1) * rep; h++) {
          for (int64_t t = 0; t < a.T; t++) {
            const float L = lse[(b * a.H + h) * a.T + t];
            if (L == -INFINITY) continue;
            const int64_t n = a.qStart[b] + t + 1;
            const int64_t qo = ((b * a.T + t) * a.H + h) * D;
            const float* qv = a.q + qo; const float* go = dout + qo; float* gq = dq + qo;
            const float Dt = Dot(go, out + qo, D);
            float* pp = p.data(); float* dd = ds.data();
            for (int64_t j = 0; j < n; j++) {
              if (km[j] == 0.f) { pp[j] = -INFINITY; dd[j] = 0.f; continue; }
              pp[j] = Dot(qv, kb + j * stride, D) * a.scale - L;
              dd[j] = Dot(go, vb + j * stride, D);
            }
            const float sc = a.scale;
#pragma omp simd
            for (int64_t j = 0; j < n; j++) {
              const float pj = ExpF(pp[j]);
              pp[j] = pj;
              dd[j] = pj * (dd[j] - Dt) * sc;
            }
            for (int64_t j = 0; j < n; j++) {
              if (pp[j] == 0.f) continue;  // masked, or a probability that underflowed: no gradient
              AxpyN(gq, kb + j * stride, dd[j], D);
              AxpyN(dkb + j * stride, qv, dd[j], D);
              AxpyN(dvb + j * stride, go, pp[j], D);
            }
          }
        }
      }
    }
  }
}

}  // namespace ttrl_cpu
