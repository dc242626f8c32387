// bf16 matrix products: bf16 operands, fp32 accumulation and output, through oneDNN's matmul (AMX tiles
// where the CPU has them), and the fp32 ↔ bf16 conversions. Built without oneDNN (TTRL_NO_DNNL), or where
// oneDNN would pick a slow generic implementation, a product converts its bf16 operands back to fp32 and
// runs OpenBLAS sgemm: the same math (bf16-rounded inputs, fp32 sums), only slower. The same cached oneDNN
// matmul also serves the fp32 products dense.cc gives it (gemmF32Dnnl).
#include "math.h"  // first: its pragma must precede the standard headers
#include <algorithm>
#include <string>
#include <unordered_map>
#include <vector>
#ifndef TTRL_NO_DNNL
#include <oneapi/dnnl/dnnl.hpp>
#endif
#include "bf16.h"
#include "skinny.h"

namespace ttrl_cpu {

// Round to nearest even; a NaN stays a (quiet) NaN instead of rounding into infinity.
void toBf16(uint16_t* dst, const float* src, int64_t n) {
#pragma omp parallel for simd if (n > kParMin)
  for (int64_t i = 0; i < n; i++) {
    uint32_t u;
    std::memcpy(&u, &src[i], 4);
    const uint32_t rounded = (u + 0x7fffu + ((u >> 16) & 1u)) >> 16;
    dst[i] = (uint16_t)((u & 0x7fffffffu) > 0x7f800000u ? (u >> 16) | 0x40u : rounded);
  }
}

void fromBf16(float* dst, const uint16_t* src, int64_t n) {
#pragma omp parallel for simd if (n > kParMin)
  for (int64_t i = 0; i < n; i++) {
    const uint32_t u = (uint32_t)src[i] << 16;
    std::memcpy(&dst[i], &u, 4);
  }
}

void embeddingBf16(float* out, const uint16_t* table, const int32_t* ids, int64_t M, int64_t C) {
  for (int64_t m = 0; m < M; m++) fromBf16(out + m * C, table + (int64_t)ids[m] * C, C);
}

namespace {

// The fallback: widen both operands (exact) and multiply in fp32.
void GemmWidened(float* C, const uint16_t* A, const uint16_t* B, int M, int N, int K, bool ta, bool tb, float alpha,
                 float beta) {
  thread_local std::vector<float> a, b;
  a.resize((size_t)M * K);
  b.resize((size_t)K * N);
  fromBf16(a.data(), A, (int64_t)M * K);
  fromBf16(b.data(), B, (int64_t)K * N);
  gemm(C, a.data(), b.data(), M, N, K, ta, tb, alpha, beta);
}

#ifndef TTRL_NO_DNNL
using dt = dnnl::memory::data_type;
using tag = dnnl::memory::format_tag;

// oneDNN's generic implementations ("ref", "gemm:ref") run far slower than OpenBLAS's sgemm.
bool Fast(const std::string& impl) { return impl.find("ref") == std::string::npos; }

struct Prim {
  bool fast = false;
  dnnl::matmul mm;
  dnnl::memory::desc a, b, c;
};

// One engine, stream and primitive cache per thread (the addon may run on worker threads). Primitives are
// keyed by shape, transposition and the two scalars: creating one costs far more than a small product.
struct Ctx {
  dnnl::engine eng{dnnl::engine::kind::cpu, 0};
  dnnl::stream str{eng};
  std::unordered_map<std::string, Prim> cache;
};
Ctx& Context() { thread_local Ctx ctx; return ctx; }

Prim Make(Ctx& cx, dt in, int M, int N, int K, bool ta, bool tb, float alpha, float beta, std::string* impl) {
  Prim p;
  p.a = dnnl::memory::desc({M, K}, in, ta ? tag::ba : tag::ab);
  p.b = dnnl::memory::desc({K, N}, in, tb ? tag::ba : tag::ab);
  p.c = dnnl::memory::desc({M, N}, dt::f32, tag::ab);
  dnnl::primitive_attr attr;
  if (alpha != 1.f) attr.set_output_scales(0, {alpha});
  if (beta != 0.f) {  // beta = 0: C is write-only (no sum post-op reads it), as in BLAS
    dnnl::post_ops po;
    po.append_sum(beta);
    attr.set_post_ops(po);
  }
  try {
    dnnl::matmul::primitive_desc pd(dnnl::matmul::desc(p.a, p.b, p.c), attr, cx.eng);
    const std::string name = pd.impl_info_str();
    if (impl) *impl = name;
    p.fast = Fast(name);
    if (p.fast) p.mm = dnnl::matmul(pd);
  } catch (const dnnl::error& e) {
    if (impl) *impl = std::string("none (") + e.what() + ")";
  }
  return p;
}

// C = alpha·op(A)·op(B) + beta·C through a cached oneDNN matmul with operands of type `in`; false (nothing
// done) where oneDNN would pick a slow generic implementation.
bool Matmul(dt in, float* C, const void* A, const void* B, int M, int N, int K, bool ta, bool tb, float alpha,
            float beta) {
  Ctx& cx = Context();
  uint32_t ab[2];  // alpha and beta by their bits: a printed float could round two scalars together
  std::memcpy(&ab[0], &alpha, 4);
  std::memcpy(&ab[1], &beta, 4);
  const std::string key = std::to_string((int)in) + ',' + std::to_string(M) + ',' + std::to_string(N) + ',' +
                          std::to_string(K) + ',' + (ta ? 'T' : 'N') + (tb ? 'T' : 'N') + ',' + std::to_string(ab[0]) +
                          ',' + std::to_string(ab[1]);
  auto it = cx.cache.find(key);
  if (it == cx.cache.end()) {
    if (cx.cache.size() >= 2048) cx.cache.clear();  // many distinct shapes (varying lengths): start over
    it = cx.cache.emplace(key, Make(cx, in, M, N, K, ta, tb, alpha, beta, nullptr)).first;
  }
  const Prim& p = it->second;
  if (!p.fast) return false;
  dnnl::memory am(p.a, cx.eng, const_cast<void*>(A)), bm(p.b, cx.eng, const_cast<void*>(B)), cm(p.c, cx.eng, C);
  p.mm.execute(cx.str, {{DNNL_ARG_SRC, am}, {DNNL_ARG_WEIGHTS, bm}, {DNNL_ARG_DST, cm}});
  cx.str.wait();
  return true;
}
#endif

}  // namespace

void gemmBf16(float* C, const uint16_t* A, const uint16_t* B, int M, int N, int K, bool ta, bool tb, float alpha,
              float beta) {
  if (M == 0 || N == 0 || K == 0) { gemm(C, nullptr, nullptr, M, N, K, ta, tb, alpha, beta); return; }
  if (skinnyBf16(C, A, B, M, N, K, ta, tb, alpha, beta)) return;
#ifndef TTRL_NO_DNNL
  if (Matmul(dt::bf16, C, A, B, M, N, K, ta, tb, alpha, beta)) return;
#endif
  GemmWidened(C, A, B, M, N, K, ta, tb, alpha, beta);
}

bool gemmF32Dnnl(float* C, const float* A, const float* B, int M, int N, int K, bool ta, bool tb, float alpha,
                 float beta) {
#ifndef TTRL_NO_DNNL
  return Matmul(dt::f32, C, A, B, M, N, K, ta, tb, alpha, beta);
#else
  return false;
#endif
}

Bf16Info bf16Info() {
  Bf16Info r;
#ifdef TTRL_NO_DNNL
  r.impl = "none";
  r.reason = "the addon was built without oneDNN (libdnnl-dev missing: bash scripts/setup.sh, then npm run install)";
#else
  const dnnl_version_t* v = dnnl_version();
  r.library = "oneDNN " + std::to_string(v->major) + '.' + std::to_string(v->minor) + '.' + std::to_string(v->patch);
  Make(Context(), dt::bf16, 256, 256, 256, false, true, 1.f, 0.f, &r.impl);
  // Decided by the CPU's design, never by a timing (the default precision must not depend on machine load). AMX
  // tiles do many times an FMA unit's bf16 work; AMD's Zen 4 and later run a 512-bit vdpbf16ps (32 multiply-adds)
  // at the rate of a 512-bit fp32 FMA (16): twice the work per cycle, measured 2.0x on 2048^3. Intel's AVX512-BF16
  // without AMX measured ~0.55x fp32 through oneDNN (docs/DESIGN.md "Precision", "An AMD Zen 4 host").
  const bool usable = Fast(r.impl), amx = r.impl.find("amx") != std::string::npos;
  const bool amdBf16 = r.impl.find("avx512_core_bf16") != std::string::npos && __builtin_cpu_is("amd");
  r.fast = usable && (amx || amdBf16);
  if (!usable) r.reason = "oneDNN has no fast bf16 matmul on this CPU (it picks " + r.impl + ")";
  else if (amx) r.reason = "AMX matrix units";
  else if (amdBf16) r.reason = "AVX512-BF16 on AMD: twice the multiply-adds of fp32 per cycle";
  else r.reason = "no AMX on this CPU: oneDNN picks " + r.impl + ", not faster than fp32";
#endif
  return r;
}

}  // namespace ttrl_cpu
