// ttrl CPU backend: OpenBLAS for matrix products, OpenMP-parallel fused kernels for the rest.
// Every kernel takes Float32Arrays (zero-copy: N-API hands us the pointer, adjusted for byteOffset) and plain
// numbers. Forward and backward of each layer sit side by side (llm.c style). Shapes in comments use
// B=batch, T=query tokens, S=key slots, H=query heads, G=KV heads, D=head dim, M=rows, C/N=cols, V=vocab.
#include <napi.h>
#include <cblas.h>
#include <omp.h>
#include <cmath>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <string>

extern "C" void openblas_set_num_threads(int);

namespace {

float* F(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
size_t Len(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }
const int32_t* I(const Napi::Value& v) { return v.As<Napi::Int32Array>().Data(); }
int64_t N(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
double Dbl(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
bool Bool(const Napi::Value& v) { return v.As<Napi::Boolean>().Value(); }

// Elementwise loops below this size run on one thread: the fork/join costs more than it saves.
constexpr int64_t kParMin = 1 << 15;

// ---- threads --------------------------------------------------------------------------------------
Napi::Value SetThreads(const Napi::CallbackInfo& info) {
  int n = (int)N(info[0]);
  openblas_set_num_threads(n);
  omp_set_num_threads(n);
  return info.Env().Undefined();
}

// ---- dense ------------------------------------------------------------------------------------------
// C(M,N) = alpha·op(A)·op(B) + beta·C, row-major.
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  float* C = F(info[0]); const float* A = F(info[1]); const float* B = F(info[2]);
  int M = (int)N(info[3]), Nn = (int)N(info[4]), K = (int)N(info[5]);
  bool ta = Bool(info[6]), tb = Bool(info[7]);
  float alpha = (float)Dbl(info[8]), beta = (float)Dbl(info[9]);
  if (M == 0 || Nn == 0) return info.Env().Undefined();
  if (K == 0) {  // BLAS leaves C untouched for K=0 with beta=1 but not all builds agree: do it by hand
    // beta = 0 makes C write-only, as in BLAS: scaling by 0 would keep a NaN or Inf left in a scratch buffer
    if (beta == 0.f) std::fill(C, C + (int64_t)M * Nn, 0.f);
    else for (int64_t i = 0; i < (int64_t)M * Nn; i++) C[i] *= beta;
    return info.Env().Undefined();
  }
  if (M == 1 && !ta) {
    // GEMV is faster than a 1-row GEMM in OpenBLAS for the decode of one sequence.
    if (tb) cblas_sgemv(CblasRowMajor, CblasNoTrans, Nn, K, alpha, B, K, A, 1, beta, C, 1);
    else cblas_sgemv(CblasRowMajor, CblasTrans, K, Nn, alpha, B, Nn, A, 1, beta, C, 1);
    return info.Env().Undefined();
  }
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, Nn, K, alpha,
              A, ta ? M : K, B, tb ? K : Nn, beta, C, Nn);
  return info.Env().Undefined();
}

// y(M,N) += bias(N)
Napi::Value AddBias(const Napi::CallbackInfo& info) {
  float* y = F(info[0]); const float* b = F(info[1]);
  int64_t M = N(info[2]), Nn = N(info[3]);
#pragma omp parallel for if (M * Nn > kParMin)
  for (int64_t i = 0; i < M; i++) {
    float* r = y + i * Nn;
    for (int64_t j = 0; j < Nn; j++) r[j] += b[j];
  }
  return info.Env().Undefined();
}

// dbias(N) += Σ_rows dy(M,N)
Napi::Value BiasBackward(const Napi::CallbackInfo& info) {
  float* db = F(info[0]); const float* dy = F(info[1]);
  int64_t M = N(info[2]), Nn = N(info[3]);
  for (int64_t i = 0; i < M; i++) {
    const float* r = dy + i * Nn;
    for (int64_t j = 0; j < Nn; j++) db[j] += r[j];
  }
  return info.Env().Undefined();
}

// out = a + b (out may alias a or b)
Napi::Value Add(const Napi::CallbackInfo& info) {
  float* o = F(info[0]); const float* a = F(info[1]); const float* b = F(info[2]);
  int64_t n = (int64_t)Len(info[0]);
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) o[i] = a[i] + b[i];
  return info.Env().Undefined();
}

// y += alpha·x, rounded as fl(y + fl(alpha·x)) (no FMA), so a plain SGD step is bit-exact with its spec.
__attribute__((optimize("fp-contract=off")))
Napi::Value Axpy(const Napi::CallbackInfo& info) {
  float* y = F(info[0]); const float* x = F(info[1]);
  float alpha = (float)Dbl(info[2]);
  int64_t n = (int64_t)Len(info[0]);
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
  return info.Env().Undefined();
}

Napi::Value Scale(const Napi::CallbackInfo& info) {
  float* x = F(info[0]); float alpha = (float)Dbl(info[1]);
  int64_t n = (int64_t)Len(info[0]);
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) x[i] *= alpha;
  return info.Env().Undefined();
}

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  const float* x = F(info[0]);
  int64_t n = (int64_t)Len(info[0]);
  double s = 0;
#pragma omp parallel for reduction(+ : s) if (n > kParMin)
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return Napi::Number::New(info.Env(), s);
}

// ---- RMSNorm ------------------------------------------------------------------------------------------
// out(M,C) = x·rstd·w, rstd(M) = 1/sqrt(mean(x²) + eps)
Napi::Value RmsNorm(const Napi::CallbackInfo& info) {
  float* out = F(info[0]); float* rstd = F(info[1]); const float* x = F(info[2]); const float* w = F(info[3]);
  int64_t M = N(info[4]), C = N(info[5]); float eps = (float)Dbl(info[6]);
#pragma omp parallel for if (M * C > kParMin)
  for (int64_t i = 0; i < M; i++) {
    const float* xr = x + i * C; float* o = out + i * C;
    float ss = 0.f;
    for (int64_t j = 0; j < C; j++) ss += xr[j] * xr[j];
    float r = 1.f / std::sqrt(ss / (float)C + eps);
    rstd[i] = r;
    for (int64_t j = 0; j < C; j++) o[j] = w[j] * (xr[j] * r);
  }
  return info.Env().Undefined();
}

// dx(M,C) += rstd·(dxhat − xhat·mean(dxhat·xhat)), dw(C) += Σ_rows dout·xhat, with dxhat = dout·w
Napi::Value RmsNormBackward(const Napi::CallbackInfo& info) {
  float* dx = F(info[0]); float* dw = F(info[1]); const float* dout = F(info[2]); const float* x = F(info[3]);
  const float* w = F(info[4]); const float* rstd = F(info[5]);
  int64_t M = N(info[6]), C = N(info[7]);
  int nt = omp_get_max_threads();
  std::vector<float> dwPart((size_t)nt * C, 0.f);
#pragma omp parallel for if (M * C > kParMin)
  for (int64_t i = 0; i < M; i++) {
    float* dwp = dwPart.data() + (size_t)omp_get_thread_num() * C;
    const float* xr = x + i * C; const float* dr = dout + i * C; float* dxr = dx + i * C;
    float r = rstd[i], dot = 0.f;
    for (int64_t j = 0; j < C; j++) dot += dr[j] * w[j] * xr[j] * r;
    float mean = dot / (float)C;
    for (int64_t j = 0; j < C; j++) {
      float xhat = xr[j] * r;
      dwp[j] += dr[j] * xhat;
      dxr[j] += r * (dr[j] * w[j] - xhat * mean);
    }
  }
  for (int t = 0; t < nt; t++)
    for (int64_t j = 0; j < C; j++) dw[j] += dwPart[(size_t)t * C + j];
  return info.Env().Undefined();
}

// ---- RoPE (rotate-half, as HF Llama/Qwen2) -------------------------------------------------------------
// x(M, nh, D) in place; angle = pos[m]·invFreq[i]; inverse rotates by −angle (the backward pass).
Napi::Value Rope(const Napi::CallbackInfo& info) {
  float* x = F(info[0]); const int32_t* pos = I(info[1]); const float* invf = F(info[2]);
  int64_t M = N(info[3]), nh = N(info[4]), D = N(info[5]); bool inv = Bool(info[6]);
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
  return info.Env().Undefined();
}

// ---- attention ------------------------------------------------------------------------------------------
struct Attn {
  int64_t B, T, S, H, G, D;
  const float *q, *k, *v, *keyMask;
  const int32_t* qStart;
  const int32_t* slots;  // (B) cache row of batch row b
  float scale;
};

Attn ReadAttn(const Napi::Object& a) {
  Attn r;
  r.B = N(a.Get("B")); r.T = N(a.Get("T")); r.S = N(a.Get("S"));
  r.H = N(a.Get("H")); r.G = N(a.Get("G")); r.D = N(a.Get("D"));
  r.q = F(a.Get("q")); r.k = F(a.Get("k")); r.v = F(a.Get("v")); r.keyMask = F(a.Get("keyMask"));
  r.qStart = I(a.Get("qStart"));
  r.slots = I(a.Get("slots"));
  r.scale = (float)Dbl(a.Get("scale"));
  return r;
}

inline float Dot(const float* a, const float* b, int64_t n) {
  float s = 0.f;
  for (int64_t i = 0; i < n; i++) s += a[i] * b[i];
  return s;
}

// out(B,T,H,D) = softmax(q·kᵀ·scale, causal + key mask)·v ; lse(B,H,T). A query with no visible key gets 0.
Napi::Value Attention(const Napi::CallbackInfo& info) {
  float* out = F(info[0]); float* lse = F(info[1]);
  Attn a = ReadAttn(info[2].As<Napi::Object>());
  const int64_t rep = a.H / a.G;
#pragma omp parallel
  {
    std::vector<float> p(a.S);
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t b = 0; b < a.B; b++) {
      for (int64_t h = 0; h < a.H; h++) {
        const int64_t g = h / rep, sb = a.slots[b];
        const float* km = a.keyMask + sb * a.S;
        for (int64_t t = 0; t < a.T; t++) {
          const int64_t last = a.qStart[b] + t;  // causal: keys [0, last]
          const float* qv = a.q + ((b * a.T + t) * a.H + h) * a.D;
          float* o = out + ((b * a.T + t) * a.H + h) * a.D;
          float mx = -INFINITY;
          for (int64_t j = 0; j <= last; j++) {
            if (km[j] == 0.f) { p[j] = -INFINITY; continue; }
            float s = Dot(qv, a.k + ((sb * a.S + j) * a.G + g) * a.D, a.D) * a.scale;
            p[j] = s;
            mx = std::max(mx, s);
          }
          std::fill(o, o + a.D, 0.f);
          if (mx == -INFINITY) { lse[(b * a.H + h) * a.T + t] = -INFINITY; continue; }
          float sum = 0.f;
          for (int64_t j = 0; j <= last; j++) {
            float e = p[j] == -INFINITY ? 0.f : std::exp(p[j] - mx);
            p[j] = e; sum += e;
          }
          float inv = 1.f / sum;
          for (int64_t j = 0; j <= last; j++) {
            if (p[j] == 0.f) continue;
            const float w = p[j] * inv;
            const float* vv = a.v + ((sb * a.S + j) * a.G + g) * a.D;
            for (int64_t d = 0; d < a.D; d++) o[d] += w * vv[d];
          }
          lse[(b * a.H + h) * a.T + t] = mx + std::log(sum);
        }
      }
    }
  }
  return info.Env().Undefined();
}

// Recomputes P from lse (no T² storage). Parallel over (b, g) so that the heads sharing a KV head
// accumulate dk/dv on one thread.
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  float* dq = F(info[0]); float* dk = F(info[1]); float* dv = F(info[2]);
  const float* dout = F(info[3]); const float* out = F(info[4]); const float* lse = F(info[5]);
  Attn a = ReadAttn(info[6].As<Napi::Object>());
  const int64_t rep = a.H / a.G;
#pragma omp parallel
  {
    std::vector<float> p(a.S);
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t b = 0; b < a.B; b++) {
      for (int64_t g = 0; g < a.G; g++) {
        const int64_t sb = a.slots[b];
        const float* km = a.keyMask + sb * a.S;
        for (int64_t h = g * rep; h < (g + 1) * rep; h++) {
          for (int64_t t = 0; t < a.T; t++) {
            const float L = lse[(b * a.H + h) * a.T + t];
            if (L == -INFINITY) continue;
            const int64_t last = a.qStart[b] + t;
            const int64_t qo = ((b * a.T + t) * a.H + h) * a.D;
            const float* qv = a.q + qo; const float* go = dout + qo; float* gq = dq + qo;
            const float Dt = Dot(go, out + qo, a.D);
            for (int64_t j = 0; j <= last; j++) {
              if (km[j] == 0.f) continue;
              const int64_t ko = ((sb * a.S + j) * a.G + g) * a.D;
              const float pj = std::exp(Dot(qv, a.k + ko, a.D) * a.scale - L);
              const float dp = Dot(go, a.v + ko, a.D);
              const float ds = pj * (dp - Dt) * a.scale;
              float* gk = dk + ko; float* gv = dv + ko; const float* kk = a.k + ko;
              for (int64_t d = 0; d < a.D; d++) {
                gq[d] += ds * kk[d];
                gk[d] += ds * qv[d];
                gv[d] += pj * go[d];
              }
            }
          }
        }
      }
    }
  }
  return info.Env().Undefined();
}

// ---- SiLU·mul --------------------------------------------------------------------------------------------
Napi::Value SiluMul(const Napi::CallbackInfo& info) {
  float* o = F(info[0]); const float* g = F(info[1]); const float* u = F(info[2]);
  int64_t n = (int64_t)Len(info[0]);
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) o[i] = g[i] / (1.f + std::exp(-g[i])) * u[i];
  return info.Env().Undefined();
}

Napi::Value SiluMulBackward(const Napi::CallbackInfo& info) {
  float* dg = F(info[0]); float* du = F(info[1]); const float* dout = F(info[2]);
  const float* g = F(info[3]); const float* u = F(info[4]);
  int64_t n = (int64_t)Len(info[2]);
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) {
    float sg = 1.f / (1.f + std::exp(-g[i]));
    float silu = g[i] * sg;
    du[i] = dout[i] * silu;
    dg[i] = dout[i] * u[i] * sg * (1.f + g[i] * (1.f - sg));
  }
  return info.Env().Undefined();
}

// ---- token ids ---------------------------------------------------------------------------------------------
// Ids and targets come from tokenizers and data files: one outside the table would read or write outside
// its buffer (a segfault at best), so check them, O(M), and throw a RangeError naming the first bad one.
// Targets below 0 mean "no target" and are allowed where allowNegative.
bool IdsOk(const Napi::CallbackInfo& info, const Napi::Value& v, int64_t M, int64_t hi, bool allowNegative,
           const char* what) {
  const int64_t len = (int64_t)v.As<Napi::Int32Array>().ElementLength();
  const int32_t* ids = I(v);
  std::string err;
  if (len < M) err = std::string(what) + ": " + std::to_string(len) + " ids for " + std::to_string(M) + " rows";
  for (int64_t m = 0; err.empty() && m < M; m++) {
    if ((ids[m] < 0 && !allowNegative) || ids[m] >= hi)
      err = std::string(what) + ": id " + std::to_string(ids[m]) + " at row " + std::to_string(m) +
            " is outside [0, " + std::to_string(hi) + ")";
  }
  if (err.empty()) return true;
  Napi::RangeError::New(info.Env(), err).ThrowAsJavaScriptException();
  return false;
}

// ---- embedding -------------------------------------------------------------------------------------------
Napi::Value Embedding(const Napi::CallbackInfo& info) {
  float* o = F(info[0]); const float* tab = F(info[1]); const int32_t* ids = I(info[2]);
  int64_t M = N(info[3]), C = N(info[4]);
  if (!IdsOk(info, info[2], M, C ? (int64_t)Len(info[1]) / C : 0, false, "embedding")) return info.Env().Undefined();
  for (int64_t m = 0; m < M; m++) std::copy(tab + (int64_t)ids[m] * C, tab + ((int64_t)ids[m] + 1) * C, o + m * C);
  return info.Env().Undefined();
}

Napi::Value EmbeddingBackward(const Napi::CallbackInfo& info) {
  float* dt = F(info[0]); const float* dout = F(info[1]); const int32_t* ids = I(info[2]);
  int64_t M = N(info[3]), C = N(info[4]);
  if (!IdsOk(info, info[2], M, C ? (int64_t)Len(info[0]) / C : 0, false, "embeddingBackward")) return info.Env().Undefined();
  for (int64_t m = 0; m < M; m++) {
    float* r = dt + (int64_t)ids[m] * C; const float* g = dout + m * C;
    for (int64_t c = 0; c < C; c++) r[c] += g[c];
  }
  return info.Env().Undefined();
}

// ---- log-softmax, target gather, entropy ----------------------------------------------------------------
// lp(M) = log_softmax(logits)[target]; ent(M) = −Σ p log p (optional). Rows with target < 0 give lp = 0.
Napi::Value LogSoftmaxGather(const Napi::CallbackInfo& info) {
  float* lp = F(info[0]);
  float* ent = info[1].IsNull() ? nullptr : F(info[1]);
  const float* logits = F(info[2]); const int32_t* tg = I(info[3]);
  int64_t M = N(info[4]), V = N(info[5]);
  if (!IdsOk(info, info[3], M, V, true, "logSoftmaxGather targets")) return info.Env().Undefined();
#pragma omp parallel for if (M * V > kParMin)
  for (int64_t m = 0; m < M; m++) {
    const float* r = logits + m * V;
    float mx = -INFINITY;
    for (int64_t j = 0; j < V; j++) mx = std::max(mx, r[j]);
    double sum = 0, sxe = 0;
    for (int64_t j = 0; j < V; j++) {
      double e = std::exp((double)(r[j] - mx));
      sum += e;
      sxe += e * (double)(r[j] - mx);
    }
    double lz = std::log(sum);
    lp[m] = tg[m] >= 0 ? (float)((double)(r[tg[m]] - mx) - lz) : 0.f;
    if (ent) ent[m] = (float)(lz - sxe / sum);  // H = logZ − E_p[x] (x shifted by max)
  }
  return info.Env().Undefined();
}

// dlogits(M,V) = dlp·(onehot − p) + dent·(−p·(log p + H)); may alias logits.
Napi::Value LogSoftmaxGatherBackward(const Napi::CallbackInfo& info) {
  float* dl = F(info[0]); const float* logits = F(info[1]); const int32_t* tg = I(info[2]);
  const float* dlp = F(info[3]);
  const float* dent = info[4].IsNull() ? nullptr : F(info[4]);
  int64_t M = N(info[5]), V = N(info[6]);
  if (!IdsOk(info, info[2], M, V, true, "logSoftmaxGatherBackward targets")) return info.Env().Undefined();
#pragma omp parallel for if (M * V > kParMin)
  for (int64_t m = 0; m < M; m++) {
    const float* r = logits + m * V; float* d = dl + m * V;
    const float g = tg[m] >= 0 ? dlp[m] : 0.f;
    const float ge = dent ? dent[m] : 0.f;
    if (g == 0.f && ge == 0.f) { std::fill(d, d + V, 0.f); continue; }
    float mx = -INFINITY;
    for (int64_t j = 0; j < V; j++) mx = std::max(mx, r[j]);
    double sum = 0, sxe = 0;
    for (int64_t j = 0; j < V; j++) { double e = std::exp((double)(r[j] - mx)); sum += e; sxe += e * (r[j] - mx); }
    const double lz = std::log(sum), H = lz - sxe / sum;
    const int64_t t = tg[m];
    for (int64_t j = 0; j < V; j++) {
      const double logp = (double)(r[j] - mx) - lz, p = std::exp(logp);
      double v = -g * p;
      if (ge != 0.f) v += -ge * p * (logp + H);
      d[j] = (float)v;
    }
    if (t >= 0) d[t] += g;
  }
  return info.Env().Undefined();
}

// ---- AdamW -------------------------------------------------------------------------------------------------
// p −= lr·(m̂/(sqrt(v̂)+eps) + wd·p), decoupled weight decay (as torch.optim.AdamW).
Napi::Value AdamW(const Napi::CallbackInfo& info) {
  float* p = F(info[0]); const float* g = F(info[1]); float* m = F(info[2]); float* v = F(info[3]);
  const double lr = Dbl(info[4]), b1 = Dbl(info[5]), b2 = Dbl(info[6]), eps = Dbl(info[7]);
  const double wd = Dbl(info[8]), bc1 = Dbl(info[9]), bc2 = Dbl(info[10]);
  int64_t n = (int64_t)Len(info[0]);
  // Scalar coefficients in double, then rounded once to float, as torch computes them in Python: in float32,
  // 1 − 0.999f is 0.00099998713, which would make v 1.3e-5 (relative) off torch's.
  const float decay = (float)(1.0 - lr * wd), fb1 = (float)b1, fb2 = (float)b2, c1 = (float)(1.0 - b1),
              c2 = (float)(1.0 - b2), step = (float)(lr / bc1), sbc2 = (float)std::sqrt(bc2), feps = (float)eps;
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) {
    p[i] *= decay;
    m[i] = fb1 * m[i] + c1 * g[i];
    v[i] = fb2 * v[i] + c2 * g[i] * g[i];
    p[i] -= step * m[i] / (std::sqrt(v[i]) / sbc2 + feps);
  }
  return info.Env().Undefined();
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("setThreads", Napi::Function::New(env, SetThreads));
  exports.Set("gemm", Napi::Function::New(env, Gemm));
  exports.Set("addBias", Napi::Function::New(env, AddBias));
  exports.Set("biasBackward", Napi::Function::New(env, BiasBackward));
  exports.Set("add", Napi::Function::New(env, Add));
  exports.Set("axpy", Napi::Function::New(env, Axpy));
  exports.Set("scale", Napi::Function::New(env, Scale));
  exports.Set("sumSquares", Napi::Function::New(env, SumSquares));
  exports.Set("rmsnorm", Napi::Function::New(env, RmsNorm));
  exports.Set("rmsnormBackward", Napi::Function::New(env, RmsNormBackward));
  exports.Set("rope", Napi::Function::New(env, Rope));
  exports.Set("attention", Napi::Function::New(env, Attention));
  exports.Set("attentionBackward", Napi::Function::New(env, AttentionBackward));
  exports.Set("siluMul", Napi::Function::New(env, SiluMul));
  exports.Set("siluMulBackward", Napi::Function::New(env, SiluMulBackward));
  exports.Set("embedding", Napi::Function::New(env, Embedding));
  exports.Set("embeddingBackward", Napi::Function::New(env, EmbeddingBackward));
  exports.Set("logSoftmaxGather", Napi::Function::New(env, LogSoftmaxGather));
  exports.Set("logSoftmaxGatherBackward", Napi::Function::New(env, LogSoftmaxGatherBackward));
  exports.Set("adamw", Napi::Function::New(env, AdamW));
  return exports;
}

}  // namespace

NODE_API_MODULE(ttrl_cpu, Init)
