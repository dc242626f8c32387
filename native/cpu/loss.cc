// Log-softmax over the vocabulary, gathered at the targets, with the entropy: forward and backward.
#include "math.h"  // first: its pragma must precede the standard headers
#include <algorithm>
#include <cmath>
#include "kernels.h"

namespace ttrl_cpu {
namespace {

// One row's softmax statistics, with x = logit − max: Σ e^x and Σ e^x·x (for the entropy), float exps
// (vectorized) summed in double, so that a 151936-wide vocabulary loses nothing to the sum.
struct RowStats { float mx; double lz, H; };

__attribute__((noinline)) RowStats SoftmaxStats(const float* r, int64_t V) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < V; j++) mx = std::max(mx, r[j]);
  double sum = 0, sxe = 0;
#pragma omp simd reduction(+ : sum, sxe)
  for (int64_t j = 0; j < V; j++) {
    const float x = r[j] - mx, e = ExpF(x);
    sum += e;
    sxe += e == 0.f ? 0.0 : (double)e * x;  // a −∞ logit adds nothing (not 0·∞)
  }
  const double lz = std::log(sum);
  return { mx, lz, lz - sxe / sum };  // H = log Z − E_p[x]
}

}  // namespace

// lp(M) = log_softmax(logits)[target]; ent(M) = −Σ p log p (optional). Rows with target < 0 give lp = 0.
void logSoftmaxGather(float* lp, float* ent, const float* logits, const int32_t* tg, int64_t M, int64_t V) {
#pragma omp parallel for if (M * V > kParMin)
  for (int64_t m = 0; m < M; m++) {
    const float* r = logits + m * V;
    const RowStats st = SoftmaxStats(r, V);
    lp[m] = tg[m] >= 0 ? (float)((double)(r[tg[m]] - st.mx) - st.lz) : 0.f;
    if (ent) ent[m] = (float)st.H;
  }
}

// dlogits(M,V) = dlp·(onehot − p) + dent·(−p·(log p + H)); may alias logits (each entry is read before it
// is written, and the target's logit is saved first).
void logSoftmaxGatherBackward(float* dl, const float* logits, const int32_t* tg, const float* dlp, const float* dent,
                              int64_t M, int64_t V) {
#pragma omp parallel for if (M * V > kParMin)
  for (int64_t m = 0; m < M; m++) {
    const float* r = logits + m * V; float* d = dl + m * V;
    const int64_t t = tg[m];
    const float g = t >= 0 ? dlp[m] : 0.f;
    const float ge = dent ? dent[m] : 0.f;
    if (g == 0.f && ge == 0.f) { std::fill(d, d + V, 0.f); continue; }
    const RowStats st = SoftmaxStats(r, V);
    const float mx = st.mx, flz = (float)st.lz, fH = (float)st.H, rt = t >= 0 ? r[t] : 0.f;
#pragma omp simd
    for (int64_t j = 0; j < V; j++) {
      const float logp = (r[j] - mx) - flz, p = ExpF(logp);
      d[j] = -g * p - ge * p * (logp + fH);
    }
    if (t >= 0) {  // the target entry in double: g·(1 − p) cancels when p → 1
      const double logp = (double)(rt - mx) - st.lz, p = std::exp(logp);
      d[t] = (float)(g * (1.0 - p) - ge * p * (logp + st.H));
    }
  }
}

}  // namespace ttrl_cpu
