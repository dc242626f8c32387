// cuBLAS loaded at run time (cublas.cc). The emulator build loads it only when given a path: in tests, a host
// stand-in (fake_cublas.cc) that checks the call itself.
#pragma once
#include <cstdint>
#include <string>

namespace ttrl_cuda {

/** dlopen()s cuBLAS (explicitPath, else libcublas.so.13 / .12 / .so on the loader's path) and creates a
 *  handle. On success *info names the library and its version; on failure it says why. */
bool cublasLoad(const std::string& explicitPath, std::string* info);
bool cublasReady();
/** Row-major C(M,N) = alpha·op(A)·op(B) + beta·C through cublasSgemm_v2; returns the cuBLAS status. */
int cublasGemm(float* C, const float* A, const float* B, int M, int N, int K, bool transA, bool transB, float alpha, float beta);
/** Whether the loaded cuBLAS has cublasGemmEx (bf16 products). */
bool cublasHasGemmEx();
/** The same with bf16 A and B (uint16_t), fp32 sums and C, through cublasGemmEx. */
int cublasGemmBf16(float* C, const uint16_t* A, const uint16_t* B, int M, int N, int K, bool transA, bool transB,
                   float alpha, float beta);

}  // namespace ttrl_cuda
