// cuBLAS, loaded at run time. This machine's CUDA toolkit has no cuBLAS, and the GPU machines carry it
// inside PyTorch's wheels (nvidia/cublas/lib or nvidia/cu13/lib, libcublas.so.13), so the addon neither
// includes cublas_v2.h nor links -lcublas: it dlopen()s the library and looks up the three entry points it
// needs, whose C prototypes (stable across cuBLAS 11-13, the `_v2` symbols) are declared by hand below.
// Without it the built-in SGEMM (gemm.cu) runs instead.
#include <dlfcn.h>
#include <string>
#include <vector>
#include "cublas.h"

namespace ttrl_cuda {
namespace {

// From cublas_api.h: cublasStatus_t is an enum (0 = success), cublasOperation_t N = 0, T = 1, and the
// handle an opaque pointer.
using Handle = void*;
using CreateFn = int (*)(Handle*);
using VersionFn = int (*)(Handle, int*);
using SgemmFn = int (*)(Handle, int transa, int transb, int m, int n, int k, const float* alpha, const float* A,
                        int lda, const float* B, int ldb, const float* beta, float* C, int ldc);
// cublasGemmEx; from library_types.h / cublas_api.h: CUDA_R_32F = 0, CUDA_R_16BF = 14, CUBLAS_COMPUTE_32F = 68,
// CUBLAS_GEMM_DEFAULT = -1.
using GemmExFn = int (*)(Handle, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int Atype,
                         int lda, const void* B, int Btype, int ldb, const void* beta, void* C, int Ctype, int ldc,
                         int computeType, int algo);
constexpr int kR32F = 0, kR16BF = 14, kCompute32F = 68, kGemmDefault = -1;

struct Lib {
  void* so = nullptr;
  Handle handle = nullptr;
  SgemmFn sgemm = nullptr;
  GemmExFn gemmEx = nullptr;  // optional
  std::string path;
  int version = 0;
};
Lib lib;

}  // namespace

bool cublasLoad(const std::string& explicitPath, std::string* info) {
  if (lib.sgemm) { *info = lib.path; return true; }
  std::vector<std::string> tries;
  if (!explicitPath.empty()) tries.push_back(explicitPath);
  else tries = {"libcublas.so.13", "libcublas.so.12", "libcublas.so"};
  std::string errs;
  for (const std::string& p : tries) {
    void* so = dlopen(p.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!so) { errs += (errs.empty() ? "" : "; ") + std::string(dlerror()); continue; }
    auto create = (CreateFn)dlsym(so, "cublasCreate_v2");
    auto version = (VersionFn)dlsym(so, "cublasGetVersion_v2");
    auto sgemm = (SgemmFn)dlsym(so, "cublasSgemm_v2");
    if (!create || !sgemm) { errs += "; " + p + ": no cublasCreate_v2 / cublasSgemm_v2"; dlclose(so); continue; }
    Handle h = nullptr;
    const int st = create(&h);
    if (st != 0) { errs += "; " + p + ": cublasCreate failed with status " + std::to_string(st); dlclose(so); continue; }
    // The default math mode computes SGEMM in true fp32 (no TF32), which the parity tests need.
    lib = {so, h, sgemm, (GemmExFn)dlsym(so, "cublasGemmEx"), p, 0};
    if (version) version(h, &lib.version);
    *info = p + " (version " + std::to_string(lib.version) + ")";
    return true;
  }
  *info = errs;
  return false;
}

bool cublasReady() { return lib.sgemm != nullptr; }

int cublasGemm(float* C, const float* A, const float* B, int M, int N, int K, bool ta, bool tb, float alpha, float beta) {
  // Row-major C = op(A)·op(B) is column-major Cᵀ = op(B)ᵀ·op(A)ᵀ: swap the operands and M, N, and keep
  // the leading dimensions of the row-major storage.
  return lib.sgemm(lib.handle, tb ? 1 : 0, ta ? 1 : 0, N, M, K, &alpha, B, tb ? K : N, A, ta ? M : K, &beta, C, N);
}

bool cublasHasGemmEx() { return lib.gemmEx != nullptr; }

int cublasGemmBf16(float* C, const uint16_t* A, const uint16_t* B, int M, int N, int K, bool ta, bool tb, float alpha,
                   float beta) {
  // as cublasGemm: the column-major product of the swapped operands
  return lib.gemmEx(lib.handle, tb ? 1 : 0, ta ? 1 : 0, N, M, K, &alpha, B, kR16BF, tb ? K : N, A, kR16BF, ta ? M : K,
                    &beta, C, kR32F, N, kCompute32F, kGemmDefault);
}

}  // namespace ttrl_cuda
