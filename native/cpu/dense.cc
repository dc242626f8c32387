// Matrix products (OpenBLAS; oneDNN for products of a few rows), elementwise arithmetic and AdamW.
#include "math.h"  // first: its pragma must precede the standard headers
#include <cblas.h>
#include <omp.h>
#include <algorithm>
#include <cmath>
#include "bf16.h"
#include "kernels.h"
#include "skinny.h"

extern "C" void openblas_set_num_threads(int);

namespace ttrl_cpu {

void setThreads(int n) {
  openblas_set_num_threads(n);
  omp_set_num_threads(n);
}

// Which fp32 products go to oneDNN (`npm run bench -- --only fp32gemm`, docs/DESIGN.md "fp32 products"): a few
// rows (batched decoding) times a weight-sized B (K·N ≥ 2^18: model matrices, not the small products of tiny
// models, where creating a oneDNN primitive per shape costs more than it saves), with an output of at most 2^22
// values: measured 1.3-2.1× OpenBLAS at 16-64 rows of the layers and 16 rows of a 151,936-token LM head, but
// 0.7-0.9× at 64 rows of that head and at 256 rows.
constexpr int kDnnlF32MaxRows = 64;
constexpr int64_t kDnnlF32MinWeights = 1 << 18, kDnnlF32MaxOut = 1 << 22;

namespace {
void Gemm(float* C, const float* A, const float* B, int M, int N, int K, bool ta, bool tb, float alpha, float beta,
          bool dnnl) {
  if (M == 0 || N == 0) return;
  if (K == 0) {  // BLAS leaves C untouched for K=0 with beta=1 but not all builds agree: do it by hand
    // beta = 0 makes C write-only, as in BLAS: scaling by 0 would keep a NaN or Inf left in a scratch buffer
    if (beta == 0.f) std::fill(C, C + (int64_t)M * N, 0.f);
    else for (int64_t i = 0; i < (int64_t)M * N; i++) C[i] *= beta;
    return;
  }
  if (dnnl && skinnyF32(C, A, B, M, N, K, ta, tb, alpha, beta)) return;
  if (M == 1 && !ta) {
    // GEMV is faster than a 1-row GEMM in OpenBLAS for the decode of one sequence.
    if (tb) cblas_sgemv(CblasRowMajor, CblasNoTrans, N, K, alpha, B, K, A, 1, beta, C, 1);
    else cblas_sgemv(CblasRowMajor, CblasTrans, K, N, alpha, B, N, A, 1, beta, C, 1);
    return;
  }
  // Products of a few rows (batched decoding, the LM head of a decode step) run faster through oneDNN's fp32
  // matmul than through OpenBLAS here (docs/DESIGN.md); larger ones stay with OpenBLAS.
  if (dnnl && M <= kDnnlF32MaxRows && (int64_t)K * N >= kDnnlF32MinWeights && (int64_t)M * N <= kDnnlF32MaxOut &&
      gemmF32Dnnl(C, A, B, M, N, K, ta, tb, alpha, beta)) return;
  cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, M, N, K, alpha,
              A, ta ? M : K, B, tb ? K : N, beta, C, N);
}
}  // namespace

void gemm(float* C, const float* A, const float* B, int M, int N, int K, bool ta, bool tb, float alpha, float beta) {
  Gemm(C, A, B, M, N, K, ta, tb, alpha, beta, true);
}

void gemmBlas(float* C, const float* A, const float* B, int M, int N, int K, bool ta, bool tb, float alpha, float beta) {
  Gemm(C, A, B, M, N, K, ta, tb, alpha, beta, false);
}

// y(M,N) += bias(N)
void addBias(float* y, const float* b, int64_t M, int64_t N) {
#pragma omp parallel for if (M * N > kParMin)
  for (int64_t i = 0; i < M; i++) {
    float* r = y + i * N;
    for (int64_t j = 0; j < N; j++) r[j] += b[j];
  }
}

// dbias(N) += Σ_rows dy(M,N)
void biasBackward(float* db, const float* dy, int64_t M, int64_t N) {
  for (int64_t i = 0; i < M; i++) {
    const float* r = dy + i * N;
    for (int64_t j = 0; j < N; j++) db[j] += r[j];
  }
}

// out = a + b (out may alias a or b)
void add(float* o, const float* a, const float* b, int64_t n) {
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) o[i] = a[i] + b[i];
}

// y += alpha·x, rounded as fl(y + fl(alpha·x)) (no FMA), so a plain SGD step is bit-exact with its spec.
__attribute__((optimize("fp-contract=off")))
void axpy(float* y, const float* x, float alpha, int64_t n) {
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) y[i] += alpha * x[i];
}

// axpy on split weights: join, the same unfused update, split again.
__attribute__((optimize("fp-contract=off")))
void axpySplit(SplitRef y, const float* x, float alpha, int64_t n) {
#pragma omp parallel for if (n > kParMin)
  for (int64_t c = 0; c < n; c += kSplitChunk) {
    const int64_t len = std::min(kSplitChunk, n - c);
    float w[kSplitChunk];
    y.load(w, c, len);
    for (int64_t j = 0; j < len; j++) w[j] += alpha * x[c + j];
    y.store(w, c, len);
  }
}

void scale(float* x, float alpha, int64_t n) {
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) x[i] *= alpha;
}

double sumSquares(const float* x, int64_t n) {
  double s = 0;
#pragma omp parallel for reduction(+ : s) if (n > kParMin)
  for (int64_t i = 0; i < n; i++) s += (double)x[i] * x[i];
  return s;
}

namespace {

// Scalar coefficients in double, then rounded once to float, as torch computes them in Python: in float32,
// 1 − 0.999f is 0.00099998713, which would make v 1.3e-5 (relative) off torch's.
struct AdamCoef {
  float decay, b1, b2, c1, c2, step, sbc2, eps;
  AdamCoef(double lr, double b1_, double b2_, double eps_, double wd, double bc1, double bc2)
      : decay((float)(1.0 - lr * wd)), b1((float)b1_), b2((float)b2_), c1((float)(1.0 - b1_)), c2((float)(1.0 - b2_)),
        step((float)(lr / bc1)), sbc2((float)std::sqrt(bc2)), eps((float)eps_) {}
};

// One element of AdamW (both layouts call it, so their arithmetic is the same expression).
inline float AdamElem(float p, float g, float& m, float& v, const AdamCoef& c) {
  p *= c.decay;
  m = c.b1 * m + c.c1 * g;
  v = c.b2 * v + c.c2 * g * g;
  return p - c.step * m / (std::sqrt(v) / c.sbc2 + c.eps);
}

}  // namespace

// p −= lr·(m̂/(sqrt(v̂)+eps) + wd·p), decoupled weight decay (as torch.optim.AdamW).
void adamw(float* p, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2, double eps,
           double wd, double bc1, double bc2) {
  const AdamCoef c(lr, b1, b2, eps, wd, bc1, bc2);
#pragma omp parallel for if (n > kParMin)
  for (int64_t i = 0; i < n; i++) p[i] = AdamElem(p[i], g[i], m[i], v[i], c);
}

// AdamW on split weights: join, the same update, split again (no fp32 copy of the weights anywhere).
void adamwSplit(SplitRef p, const float* g, float* m, float* v, int64_t n, double lr, double b1, double b2,
                double eps, double wd, double bc1, double bc2) {
  const AdamCoef k(lr, b1, b2, eps, wd, bc1, bc2);
#pragma omp parallel for if (n > kParMin)
  for (int64_t c = 0; c < n; c += kSplitChunk) {
    const int64_t len = std::min(kSplitChunk, n - c);
    float w[kSplitChunk];
    p.load(w, c, len);
    for (int64_t j = 0; j < len; j++) w[j] = AdamElem(w[j], g[c + j], m[c + j], v[c + j], k);
    p.store(w, c, len);
  }
}

}  // namespace ttrl_cpu
