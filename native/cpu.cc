// ttrl CPU backend: OpenBLAS for matrix products, OpenMP-parallel fused kernels for the rest.
// Every kernel takes Float32Arrays (zero-copy: N-API hands us the pointer, adjusted for byteOffset) and plain
// numbers. Forward and backward of each layer sit side by side (llm.c style). Shapes in comments use
// B=batch, T=query tokens, S=key slots, H=query heads, G=KV heads, D=head dim, M=rows, C/N=cols, V=vocab.
// Lets GCC if-convert (and so vectorize) loops holding float comparisons, such as ExpF's clamps: with the
// default -ftrapping-math it may not evaluate a comparison the scalar code would have skipped, in case
// it raises a floating-point exception. Nothing in ttrl reads the exception flags; results are unchanged.
// It comes before the #includes: a function compiled with other options (std::max) would not be inlined
// into one compiled with these, and a call per element undoes the vectorization.
#pragma GCC optimize("no-trapping-math")
#include <napi.h>
#include <cblas.h>
#include <omp.h>
#include <cmath>
#include <cstdint>
#include <vector>
#include <algorithm>
#include <cstring>
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

// ---- vectorizable math ------------------------------------------------------------------------------------
// std::exp is a call GCC cannot vectorize without -ffast-math, and the exps of softmax, SiLU and the
// vocab-wide log-softmax were a large share of the non-GEMM time. ExpF is branch-free float arithmetic that
// GCC vectorizes inside `#pragma omp simd` loops (8 lanes with AVX2). Cephes' expf: x = n·ln2 + r with
// |r| ≤ ln2/2 (ln2 split in two for an exact product), a degree-5 polynomial for e^r, then 2^n through the
// exponent bits. Relative error ≤ 2 ulp on [−87.3, 88.3]; below that it returns 0 (also for −∞, which masked
// scores rely on); above it saturates at e^88.3 ≈ 2.4e38 instead of +∞; NaN stays NaN.
inline float ExpF(float x) {
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
    const float ss = Dot(xr, xr, C);
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

// out(B,T,H,D) = softmax(q·kᵀ·scale, causal + key mask)·v ; lse(B,H,T). A query with no visible key gets 0.
// Parallel over (b, h). Per query: the scores of its visible keys (vectorized dots), one vectorized pass of
// exps, then the probability-weighted sum of the value rows.
Napi::Value Attention(const Napi::CallbackInfo& info) {
  float* out = F(info[0]); float* lse = F(info[1]);
  Attn a = ReadAttn(info[2].As<Napi::Object>());
  const int64_t rep = a.H / a.G, D = a.D, stride = a.G * a.D;  // stride: one key slot to the next
#pragma omp parallel
  {
    std::vector<float> p(a.S);
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t b = 0; b < a.B; b++) {
      for (int64_t h = 0; h < a.H; h++) {
        const int64_t g = h / rep, sb = a.slots[b];
        const float* km = a.keyMask + sb * a.S;
        const float* kb = a.k + sb * a.S * stride + g * D;  // key slot j at kb + j·stride
        const float* vb = a.v + sb * a.S * stride + g * D;
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
  return info.Env().Undefined();
}

// Recomputes P from lse (no T² storage). Parallel over (b, g) so that the heads sharing a KV head
// accumulate dk/dv on one thread. Per query: scores and dP = dout·v of its visible keys (vectorized dots),
// then P and dS = P·(dP − dout·out)·scale in one vectorized pass, then the three accumulations.
Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  float* dq = F(info[0]); float* dk = F(info[1]); float* dv = F(info[2]);
  const float* dout = F(info[3]); const float* out = F(info[4]); const float* lse = F(info[5]);
  Attn a = ReadAttn(info[6].As<Napi::Object>());
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
  return info.Env().Undefined();
}

// ---- SiLU·mul --------------------------------------------------------------------------------------------
Napi::Value SiluMul(const Napi::CallbackInfo& info) {
  float* o = F(info[0]); const float* g = F(info[1]); const float* u = F(info[2]);
  int64_t n = (int64_t)Len(info[0]);
#pragma omp parallel for simd if (n > kParMin)
  for (int64_t i = 0; i < n; i++) o[i] = g[i] * Sigmoid(g[i]) * u[i];
  return info.Env().Undefined();
}

Napi::Value SiluMulBackward(const Napi::CallbackInfo& info) {
  float* dg = F(info[0]); float* du = F(info[1]); const float* dout = F(info[2]);
  const float* g = F(info[3]); const float* u = F(info[4]);
  int64_t n = (int64_t)Len(info[2]);
#pragma omp parallel for simd if (n > kParMin)
  for (int64_t i = 0; i < n; i++) {
    float sg = Sigmoid(g[i]);
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
    const RowStats st = SoftmaxStats(r, V);
    lp[m] = tg[m] >= 0 ? (float)((double)(r[tg[m]] - st.mx) - st.lz) : 0.f;
    if (ent) ent[m] = (float)st.H;
  }
  return info.Env().Undefined();
}

// dlogits(M,V) = dlp·(onehot − p) + dent·(−p·(log p + H)); may alias logits (each entry is read before it
// is written, and the target's logit is saved first).
Napi::Value LogSoftmaxGatherBackward(const Napi::CallbackInfo& info) {
  float* dl = F(info[0]); const float* logits = F(info[1]); const int32_t* tg = I(info[2]);
  const float* dlp = F(info[3]);
  const float* dent = info[4].IsNull() ? nullptr : F(info[4]);
  int64_t M = N(info[5]), V = N(info[6]);
  if (!IdsOk(info, info[2], M, V, true, "logSoftmaxGatherBackward targets")) return info.Env().Undefined();
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
