// A stand-in for libcublas.so with the entry points ttrl loads (cublas.cc), computing on the host
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

// cublasGemmEx with A, B bf16 (type 14), C fp32 (type 0), fp32 compute (68); anything else is
// CUBLAS_STATUS_NOT_SUPPORTED (15), as only ttrl's bf16 call is stood in for.
int cublasGemmEx(void*, int transa, int transb, int m, int n, int k, const void* alpha, const void* A, int Atype, int lda,
                 const void* B, int Btype, int ldb, const void* beta, void* C, int Ctype, int ldc, int computeType, int) {
  if (Atype != 14 || Btype != 14 || Ctype != 0 || computeType != 68) return 15;
  if ((transa != 0 && transa != 1) || (transb != 0 && transb != 1)) return 7;
  if (lda < (transa ? k : m) || ldb < (transb ? n : k) || ldc < m) return 7;
  const unsigned short *a = (const unsigned short*)A, *b = (const unsigned short*)B;
  auto widen = [](unsigned short h) { unsigned u = (unsigned)h << 16; float f; __builtin_memcpy(&f, &u, 4); return f; };
  const float al = *(const float*)alpha, be = *(const float*)beta;
  float* c = (float*)C;
  for (int j = 0; j < n; j++) {
    for (int i = 0; i < m; i++) {
      double s = 0;
      for (int p = 0; p < k; p++) {
        const float x = widen(transa ? a[p + (long)i * lda] : a[i + (long)p * lda]);
        const float y = widen(transb ? b[j + (long)p * ldb] : b[p + (long)j * ldb]);
        s += (double)x * y;
      }
      float& r = c[i + (long)j * ldc];
      r = be == 0.f ? (float)(al * s) : (float)(al * s + be * r);
    }
  }
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
