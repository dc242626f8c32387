// A stand-in for libcublas.so with the three entry points ttrl loads (cublas.cc), computing on the host
// with plain column-major BLAS semantics. For tests only (test/tensor/device.test.ts): loaded by the
// emulated addon, it checks without a GPU that ttrl's row-major → column-major call (swapped operands,
// leading dimensions, transpose flags) and the dlopen / dlsym path are right. Built by
// scripts/build-cuda.sh next to ttrl_cuda_emu.node.
extern "C" {

int cublasCreate_v2(void** handle) {
  static int token;
  *handle = &token;
  return 0;
}

int cublasGetVersion_v2(void*, int* version) {
  *version = 99999;  // not a real cuBLAS
  return 0;
}

// C(m,n) = alpha·op(A)·op(B) + beta·C, column-major: X(i,j) at X[i + j·ldx]; op = 0 (N) or 1 (T).
// beta = 0 leaves C unread, as BLAS specifies.
int cublasSgemm_v2(void*, int transa, int transb, int m, int n, int k, const float* alpha, const float* A, int lda,
                   const float* B, int ldb, const float* beta, float* C, int ldc) {
  if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1)) return 7;  // CUBLAS_STATUS_INVALID_VALUE
  if (lda < (transa ? k : m) || ldb < (transb ? n : k) || ldc < m) return 7;
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int p = 0; p < k; p++) {
        const float a = transa ? A[p + (long)i * lda] : A[i + (long)p * lda];
        const float b = transb ? B[j + (long)p * ldb] : B[p + (long)j * ldb];
        s += (double)a * b;
      }
      float& c = C[i + (long)j * ldc];
      c = *beta == 0.f ? (float)(*alpha * s) : (float)(*alpha * s + *beta * c);
    }
  }
  return 0;
}
}
