// The per-layer kernels of the transformer other than matrix products and attention: RMSNorm, RoPE,
// SiLU·mul and the embedding lookup, forward and backward.
#include "math.h"  // first: its pragma must precede the standard headers
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <vector>
#include "kernels.h"

namespace ttrl_cpu {

// out(M,C) = x·rstd·w, rstd(M) = 1/sqrt(mean(x²) + eps)
void rmsnorm(float* out, float* rstd, const float* x, const float* w, int64_t M, int64_t C, float eps) {
#pragma omp parallel for if (M * C > kParMin)
  for (int64_t i = 0; i < M; i++) {
    const float* xr = x + i * C; float* o = out + i * C;
    const float ss = Dot(xr, xr, C);
    float r = 1.f / std::sqrt(ss / (float)C + eps);
    rstd[i] = r;
    for (int64_t j = 0; j < C; j++) o[j] = w[j] * (xr[j] * r);
  }
}

// dx(M,C) += rstd·(dxhat − xhat·mean(dxhat·xhat)), dw(C) += Σ_rows dout·xhat, with dxhat = dout·w
void rmsnormBackward(float* dx, float* dw, const float* dout, const float* x, const float* w, const float* rstd,
                     int64_t M, int64_t C) {
  int nt = omp_get_max_threads();
  std::vector<float> dwPart((size_t)nt * C, 0.f);
#pragma omp parallel for if (M * C > kParMin)
  for (int64_t i = 0; i < M; i++) {
    float* dwp = dwPart.data() + (size_t)omp_get_thread_num() * C;
    const float* xr = x + i * C; const float* dr = dout + i * C; float* dxr = dx + i * C;
    const float r = rstd[i];
    float dot = 0.f;
#pragma omp simd reduction(+ : dot)
    for (int64_t j = 0; j < C; j++) dot += dr[j] * w[j] * xr[j] * r;
    const float mean = dot / (float)C;
#pragma omp simd
    for (int64_t j = 0; j < C; j++) {
      float xhat = xr[j] * r;
      dwp[j] += dr[j] * xhat;
      dxr[j] += r * (dr[j] * w[j] - xhat * mean);
    }
  }
  for (int t = 0; t < nt; t++)
    for (int64_t j = 0; j < C; j++) dw[j] += dwPart[(size_t)t * C + j];
}

// RoPE, rotate-half as HF Llama/Qwen2. x(M, nh, D) in place; angle = pos[m]·invFreq[i]; the inverse rotates
// by −angle (the backward pass).
void rope(float* x, const int32_t* pos, const float* invf, int64_t M, int64_t nh, int64_t D, bool inv) {
  int64_t half = D / 2;
#pragma omp parallel if (M * nh * D > kParMin)
  {
    std::vector<float> cs(half), sn(half);
#pragma omp for
    for (int64_t m = 0; m < M; m++) {
      for (int64_t i = 0; i < half; i++) {
        float ang = (float)pos[m] * invf[i];  // float32 product, as HF computes the angle
        cs[i] = (float)std::cos((double)ang);
        sn[i] = inv ? -(float)std::sin((double)ang) : (float)std::sin((double)ang);
      }
      for (int64_t h = 0; h < nh; h++) {
        float* v = x + (m * nh + h) * D;
        for (int64_t i = 0; i < half; i++) {
          float a = v[i], b = v[i + half];
          v[i] = a * cs[i] - b * sn[i];
          v[i + half] = b * cs[i] + a * sn[i];
        }
      }
    }
  }
}

void siluMul(float* o, const float* g, const float* u, int64_t n) {
#pragma omp parallel for simd if (n > kParMin)
  for (int64_t i = 0; i < n; i++) o[i] = g[i] * Sigmoid(g[i]) * u[i];
}

void siluMulBackward(float* dg, float* du, const float* dout, const float* g, const float* u, int64_t n) {
#pragma omp parallel for simd if (n > kParMin)
  for (int64_t i = 0; i < n; i++) {
    float sg = Sigmoid(g[i]);
    float silu = g[i] * sg;
    du[i] = dout[i] * silu;
    dg[i] = dout[i] * u[i] * sg * (1.f + g[i] * (1.f - sg));
  }
}

void embedding(float* o, const float* tab, const int32_t* ids, int64_t M, int64_t C) {
  for (int64_t m = 0; m < M; m++) std::copy(tab + (int64_t)ids[m] * C, tab + ((int64_t)ids[m] + 1) * C, o + m * C);
}

void embeddingBackward(float* dt, const float* dout, const int32_t* ids, int64_t M, int64_t C) {
  for (int64_t m = 0; m < M; m++) {
    float* r = dt + (int64_t)ids[m] * C; const float* g = dout + m * C;
    for (int64_t c = 0; c < C; c++) r[c] += g[c];
  }
}

}  // namespace ttrl_cpu
