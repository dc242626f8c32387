// ttrl CUDA backend: the N-API glue between src/tensor/cuda.ts and the kernels (kernels.h). Built twice
// from the same source: with nvcc into build/Release/ttrl_cuda.node (the GPU backend), and with g++ and
// -DTTRL_CUDA_EMU into build/Release/ttrl_cuda_emu.node (the kernels on the host emulator, emu.h, for tests).
//
// Device buffers are cudaMallocAsync blocks owned by N-API externals (freed when the JS object is
// collected, stream-ordered so in-flight kernels finish first). JS passes device addresses as plain numbers
// (user-space addresses are < 2^47, exact in a double). Host int arrays (ids, positions, qStart, slots,
// targets) and small uploads go through a pinned staging ring, so they do not stall the stream the way a
// pageable cudaMemcpy would. Errors become JS exceptions naming the call; with TTRL_CUDA_SYNC=1 every call
// also synchronizes, so an asynchronous kernel fault is reported by the call that caused it.
#include <napi.h>
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#ifdef TTRL_CUDA_EMU
#include "emu.h"
#else
#include <cuda_runtime.h>  // host API only: this file is compiled by g++, the kernels by nvcc
#endif
#include "kernels.h"
#include "cublas.h"
#include "glue.h"

namespace ttrl_cuda {

namespace {
bool syncEachCall = false;
}

void Check(const Napi::Env& env, const char* what) {
  cudaError_t e = cudaGetLastError();
  if (e == cudaSuccess && syncEachCall) e = cudaDeviceSynchronize();
  if (e != cudaSuccess) throw Napi::Error::New(env, std::string("CUDA ") + what + ": " + cudaGetErrorString(e));
}

namespace {

float* P(const Napi::Value& v) { return reinterpret_cast<float*>((uintptr_t)v.As<Napi::Number>().Int64Value()); }
float* PorNull(const Napi::Value& v) { return v.IsNull() ? nullptr : P(v); }
int64_t N(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
double Dbl(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
bool Bool(const Napi::Value& v) { return v.As<Napi::Boolean>().Value(); }

// ---- staging ring: host bytes → pinned buffer → device, asynchronously ---------------------------------
struct Ring {
  char* host = nullptr;
  char* dev = nullptr;
  size_t cap = 0, used = 0;
};
Ring ring;
double* sumPartials = nullptr;
float* scratch = nullptr;  // attention backward's dt
size_t scratchCap = 0;
// bf16 products: the operands converted for the call (bf16 for cuBLAS, rounded fp32 for the built-in GEMM)
struct Scratch { void* p = nullptr; size_t bytes = 0; };
Scratch opScratch[2];

}  // namespace

void* DevAlloc(const Napi::Env& env, size_t bytes) {
  void* p = nullptr;
  if (cudaMallocAsync(&p, std::max<size_t>(bytes, 4), 0) != cudaSuccess) {
    cudaGetLastError();
    throw Napi::Error::New(env, "CUDA out of memory allocating " + std::to_string(bytes >> 20) + " MiB");
  }
  return p;
}

/** Copies `bytes` from host memory to a fresh region of the device ring and returns its device address.
 *  The region stays valid for every kernel enqueued before the ring wraps (it wraps after a full sync). */
const void* Stage(const Napi::Env& env, const void* src, size_t bytes) {
  const size_t need = (bytes + 255) & ~size_t(255);
  if (need > ring.cap || ring.used + need > ring.cap) {
    cudaDeviceSynchronize();  // nothing in flight still reads the ring
    ring.used = 0;
    if (need > ring.cap) {
      if (ring.host) { cudaFreeAsync(ring.dev, 0); cudaFreeHost(ring.host); }
      ring.cap = std::max<size_t>(need, 4u << 20);
      if (cudaMallocHost((void**)&ring.host, ring.cap) != cudaSuccess) throw Napi::Error::New(env, "CUDA: cannot pin the staging buffer");
      ring.dev = (char*)DevAlloc(env, ring.cap);
    }
  }
  std::memcpy(ring.host + ring.used, src, bytes);
  void* d = ring.dev + ring.used;
  cudaMemcpyAsync(d, ring.host + ring.used, bytes, cudaMemcpyHostToDevice, 0);
  ring.used += need;
  return d;
}

namespace {

const int32_t* Ints(const Napi::Env& env, const Napi::Value& v) {
  Napi::Int32Array a = v.As<Napi::Int32Array>();
  return (const int32_t*)Stage(env, a.Data(), a.ElementLength() * 4);
}

// ---- device, memory ---------------------------------------------------------------------------------------
/** { devices, name?, error? }: whether a usable device is present (never throws). */
Napi::Value Probe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object r = Napi::Object::New(env);
  int n = 0;
  cudaError_t e = cudaGetDeviceCount(&n);
  if (e != cudaSuccess) { cudaGetLastError(); n = 0; r.Set("error", std::string(cudaGetErrorString(e))); }
  r.Set("devices", n);
  if (n > 0) {
    cudaDeviceProp p;
    if (cudaGetDeviceProperties(&p, 0) == cudaSuccess) {
      r.Set("name", std::string(p.name));
      r.Set("cc", p.major * 10 + p.minor);
      r.Set("memoryBytes", (double)p.totalGlobalMem);
    }
  }
  return r;
}

/** init(cublasPath | null | false) → { cublas: info string | null, cublasError?: string }. false skips cuBLAS. */
Napi::Value Init(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const char* s = std::getenv("TTRL_CUDA_SYNC");
  syncEachCall = s && s[0] == '1';
  if (cudaSetDevice(0) != cudaSuccess) Check(env, "cudaSetDevice");
#ifndef TTRL_CUDA_EMU
  // Keep freed blocks in the pool (the default releases them at every sync): the model's scratch arena and
  // the tests allocate and drop buffers all the time.
  cudaMemPool_t pool;
  if (cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess) {
    uint64_t keep = UINT64_MAX;
    cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &keep);
  }
#endif
  if (!sumPartials) sumPartials = (double*)DevAlloc(env, kSumPartials * sizeof(double));
  Check(env, "init");
  Napi::Object r = Napi::Object::New(env);
  r.Set("cublas", env.Null());
  // The emulator loads only an explicit library: a host stand-in (fake_cublas.cc) that tests the call
  if (!(info[0].IsBoolean() && !info[0].As<Napi::Boolean>().Value())) {
    std::string msg;
    const std::string path = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
    if (cublasLoad(path, &msg)) r.Set("cublas", msg);
    else r.Set("cublasError", msg);
  }
  return r;
}

struct Block { void* p; size_t bytes; };

Napi::Value Alloc(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t bytes = (size_t)N(info[0]) * 4;
  void* p = DevAlloc(env, bytes);
  if ((uintptr_t)p >= (uintptr_t(1) << 53)) throw Napi::Error::New(env, "CUDA: device address does not fit a JS number");
  cudaMemsetAsync(p, 0, bytes, 0);
  Check(env, "alloc");
  Napi::MemoryManagement::AdjustExternalMemory(env, (int64_t)bytes);
  return Napi::External<Block>::New(env, new Block{p, bytes}, [](Napi::Env e, Block* b) {
    cudaFreeAsync(b->p, 0);
    Napi::MemoryManagement::AdjustExternalMemory(e, -(int64_t)b->bytes);
    delete b;
  });
}

Napi::Value Addr(const Napi::CallbackInfo& info) {
  return Napi::Number::New(info.Env(), (double)(uintptr_t)info[0].As<Napi::External<Block>>().Data()->p);
}

// upload(dst, src: Float32Array): small arrays through the ring (asynchronous), large ones directly
Napi::Value Upload(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Float32Array src = info[1].As<Napi::Float32Array>();
  const size_t bytes = src.ElementLength() * 4;
  if (bytes <= (64u << 10)) cudaMemcpyAsync(P(info[0]), Stage(env, src.Data(), bytes), bytes, cudaMemcpyDeviceToDevice, 0);
  else cudaMemcpy(P(info[0]), src.Data(), bytes, cudaMemcpyHostToDevice);
  Check(env, "upload");
  return env.Undefined();
}

// download(src, n) → a new Float32Array (waits for the kernels that write src)
Napi::Value Download(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const size_t n = (size_t)N(info[1]);
  Napi::Float32Array out = Napi::Float32Array::New(env, n);
  cudaMemcpy(out.Data(), P(info[0]), n * 4, cudaMemcpyDeviceToHost);
  Check(env, "read");
  return out;
}

// copy(dst, src, nFloats[, bytes]): bytes, when given, counts instead (bf16 buffers of odd length)
Napi::Value Copy(const Napi::CallbackInfo& info) {
  const size_t bytes = info.Length() > 3 ? (size_t)N(info[3]) : (size_t)N(info[2]) * 4;
  cudaMemcpyAsync(P(info[0]), P(info[1]), bytes, cudaMemcpyDeviceToDevice, 0);
  Check(info.Env(), "copy");
  return info.Env().Undefined();
}

Napi::Value Sync(const Napi::CallbackInfo& info) {
  cudaDeviceSynchronize();
  Check(info.Env(), "synchronize");
  return info.Env().Undefined();
}

// ---- kernels: argument order as src/tensor/backend.ts, buffers as device addresses ------------------------
#define KERNEL(name, call)                                \
  Napi::Value name(const Napi::CallbackInfo& info) {      \
    Napi::Env env = info.Env();                           \
    call;                                                 \
    Check(env, #name);                                    \
    return env.Undefined();                               \
  }

KERNEL(Fill, fill(P(info[0]), N(info[1]), (float)Dbl(info[2])))
KERNEL(Add, add(P(info[0]), P(info[1]), P(info[2]), N(info[3])))
KERNEL(Axpy, axpy(P(info[0]), P(info[1]), (float)Dbl(info[2]), N(info[3])))
KERNEL(Scale, scale(P(info[0]), (float)Dbl(info[1]), N(info[2])))
KERNEL(AddBias, addBias(P(info[0]), P(info[1]), N(info[2]), N(info[3])))
KERNEL(BiasBackward, biasBackward(P(info[0]), P(info[1]), N(info[2]), N(info[3])))
KERNEL(RmsNorm, rmsnorm(P(info[0]), P(info[1]), P(info[2]), P(info[3]), N(info[4]), N(info[5]), (float)Dbl(info[6])))
KERNEL(RmsNormBackward, rmsnormBackward(P(info[0]), P(info[1]), P(info[2]), P(info[3]), P(info[4]), P(info[5]), N(info[6]), N(info[7])))
KERNEL(Rope, rope(P(info[0]), Ints(env, info[1]), P(info[2]), N(info[3]), N(info[4]), N(info[5]), Bool(info[6])))
KERNEL(SiluMul, siluMul(P(info[0]), P(info[1]), P(info[2]), N(info[3])))
KERNEL(SiluMulBackward, siluMulBackward(P(info[0]), P(info[1]), P(info[2]), P(info[3]), P(info[4]), N(info[5])))
KERNEL(Embedding, embedding(P(info[0]), P(info[1]), Ints(env, info[2]), N(info[3]), N(info[4])))
KERNEL(EmbeddingBackward, embeddingBackward(P(info[0]), P(info[1]), Ints(env, info[2]), N(info[3]), N(info[4])))
KERNEL(LogSoftmaxGather, logSoftmaxGather(P(info[0]), PorNull(info[1]), P(info[2]), Ints(env, info[3]), N(info[4]), N(info[5])))
KERNEL(LogSoftmaxGatherBackward, logSoftmaxGatherBackward(P(info[0]), P(info[1]), Ints(env, info[2]), P(info[3]), PorNull(info[4]), N(info[5]), N(info[6])))

Napi::Value SumSquares(const Napi::CallbackInfo& info) {
  const double s = sumSquares(P(info[0]), N(info[1]), sumPartials);
  Check(info.Env(), "sumSquares");
  return Napi::Number::New(info.Env(), s);
}

// gemm(C, A, B, M, N, K, transA, transB, alpha, beta, useCublas)
Napi::Value Gemm(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  float *C = P(info[0]), *A = P(info[1]), *B = P(info[2]);
  const int M = (int)N(info[3]), Nn = (int)N(info[4]), K = (int)N(info[5]);
  const bool ta = Bool(info[6]), tb = Bool(info[7]);
  const float alpha = (float)Dbl(info[8]), beta = (float)Dbl(info[9]);
  if (Bool(info[10]) && cublasReady() && M > 0 && Nn > 0 && K > 0) {
    const int st = cublasGemm(C, A, B, M, Nn, K, ta, tb, alpha, beta);
    if (st != 0) throw Napi::Error::New(env, "cuBLAS sgemm failed with status " + std::to_string(st));
    Check(env, "gemm (cuBLAS)");
    return env.Undefined();
  }
  gemm(C, A, B, M, Nn, K, ta, tb, alpha, beta);
  Check(env, "gemm");
  return env.Undefined();
}

/** Device scratch of at least `bytes` for operand i (grown stream-ordered, kept). */
void* OperandScratch(const Napi::Env& env, int i, size_t bytes) {
  Scratch& s = opScratch[i];
  if (bytes > s.bytes) {
    if (s.p) cudaFreeAsync(s.p, 0);
    s.p = DevAlloc(env, bytes);
    s.bytes = bytes;
  }
  return s.p;
}

KERNEL(ToBf16, toBf16((uint16_t*)P(info[0]), P(info[1]), N(info[2])))
KERNEL(FromBf16, fromBf16(P(info[0]), (const uint16_t*)P(info[1]), N(info[2])))
KERNEL(EmbeddingBf16, embeddingBf16(P(info[0]), (const uint16_t*)P(info[1]), Ints(env, info[2]), N(info[3]), N(info[4])))

// gemmBf16(C, A, B, aIsBf16, bIsBf16, M, N, K, transA, transB, alpha, beta, useCublas): bf16-rounded operands,
// fp32 sums. cuBLAS (GemmEx) takes bf16 operands: fp32 ones are rounded into scratch first. The built-in
// SGEMM takes fp32: bf16 operands are widened and fp32 ones rounded (and widened back) into scratch.
Napi::Value GemmBf16(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  float* C = P(info[0]);
  const int M = (int)N(info[5]), Nn = (int)N(info[6]), K = (int)N(info[7]);
  const bool ta = Bool(info[8]), tb = Bool(info[9]);
  const float alpha = (float)Dbl(info[10]), beta = (float)Dbl(info[11]);
  const int64_t nA = (int64_t)M * K, nB = (int64_t)K * Nn;
  if (M > 0 && Nn > 0 && K > 0 && Bool(info[12]) && cublasReady() && cublasHasGemmEx()) {
    const uint16_t* ops[2];
    for (int i = 0; i < 2; i++) {
      const int64_t n = i ? nB : nA;
      if (Bool(info[3 + i])) { ops[i] = (const uint16_t*)P(info[1 + i]); continue; }
      uint16_t* s = (uint16_t*)OperandScratch(env, i, (size_t)n * 2);
      toBf16(s, P(info[1 + i]), n);
      ops[i] = s;
    }
    const int st = cublasGemmBf16(C, ops[0], ops[1], M, Nn, K, ta, tb, alpha, beta);
    if (st != 0) throw Napi::Error::New(env, "cuBLAS GemmEx (bf16) failed with status " + std::to_string(st));
    Check(env, "gemmBf16 (cuBLAS)");
    return env.Undefined();
  }
  const float* ops[2];
  for (int i = 0; i < 2; i++) {
    const int64_t n = i ? nB : nA;
    float* s = (float*)OperandScratch(env, i, (size_t)std::max<int64_t>(n, 1) * 4);
    if (Bool(info[3 + i])) fromBf16(s, (const uint16_t*)P(info[1 + i]), n);
    else roundToBf16(s, P(info[1 + i]), n);
    ops[i] = s;
  }
  gemm(C, ops[0], ops[1], M, Nn, K, ta, tb, alpha, beta);
  Check(env, "gemmBf16");
  return env.Undefined();
}

// AdamW's coefficients from (lr, beta1, beta2, eps, weightDecay, bc1, bc2) at info[i..]: as native/cpu/dense.cc,
// in double and rounded once to float (1 − 0.999f in float would put v 1.3e-5 off torch's).
AdamCoef Coef(const Napi::CallbackInfo& info, int i) {
  const double lr = Dbl(info[i]), b1 = Dbl(info[i + 1]), b2 = Dbl(info[i + 2]), eps = Dbl(info[i + 3]), wd = Dbl(info[i + 4]);
  const double bc1 = Dbl(info[i + 5]), bc2 = Dbl(info[i + 6]);
  return AdamCoef{(float)(1.0 - lr * wd), (float)b1, (float)b2, (float)(1.0 - b1), (float)(1.0 - b2),
                  (float)(lr / bc1), (float)std::sqrt(bc2), (float)eps};
}

// adamw(p, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2)
KERNEL(AdamW, adamw(P(info[0]), P(info[1]), P(info[2]), P(info[3]), N(info[4]), Coef(info, 5)))
// Split buffers (native/split.h) travel as four arguments: hi, lo, ties (device addresses) and the first bit.
SplitDev Split(const Napi::CallbackInfo& info, int i) {
  return SplitDev{(uint16_t*)P(info[i]), (int16_t*)P(info[i + 1]), (uint32_t*)P(info[i + 2]), N(info[i + 3])};
}
// adamwSplit(hi, lo, ties, base, g, m, v, n, lr, beta1, beta2, eps, weightDecay, bc1, bc2); axpySplit(hi, lo, ties,
// base, x, alpha, n); splitF32(hi, lo, ties, base, src, n); joinF32(dst, hi, lo, ties, base, n);
// embeddingSplit(out, hi, lo, ties, base, ids, M, C)
KERNEL(AdamwSplit, adamwSplit(Split(info, 0), P(info[4]), P(info[5]), P(info[6]), N(info[7]), Coef(info, 8)))
KERNEL(AxpySplit, axpySplit(Split(info, 0), P(info[4]), (float)Dbl(info[5]), N(info[6])))
KERNEL(SplitF32, splitF32(Split(info, 0), P(info[4]), N(info[5])))
KERNEL(JoinF32, joinF32(P(info[0]), Split(info, 1), N(info[5])))
KERNEL(EmbeddingSplit, embeddingSplit(P(info[0]), Split(info, 1), Ints(env, info[5]), N(info[6]), N(info[7])))

AttnDev ReadAttn(const Napi::Env& env, const Napi::Object& a) {
  AttnDev r;
  r.B = (int)N(a.Get("B")); r.T = (int)N(a.Get("T")); r.S = (int)N(a.Get("S"));
  r.H = (int)N(a.Get("H")); r.G = (int)N(a.Get("G")); r.D = (int)N(a.Get("D"));
  if (r.D > kMaxHeadDim) throw Napi::RangeError::New(env, "CUDA attention: head dim " + std::to_string(r.D) + " > " + std::to_string(kMaxHeadDim));
  if (r.G <= 0 || r.H % r.G != 0) throw Napi::RangeError::New(env, "CUDA attention: H must be a multiple of G");
  r.q = P(a.Get("q")); r.keyMask = P(a.Get("keyMask"));
  if (a.Has("kvBf16") && a.Get("kvBf16").As<Napi::Boolean>().Value()) {  // a bf16 KV cache
    r.k = r.v = nullptr;
    r.kh = (const uint16_t*)P(a.Get("k")); r.vh = (const uint16_t*)P(a.Get("v"));
  } else {
    r.k = P(a.Get("k")); r.v = P(a.Get("v"));
  }
  r.qStart = Ints(env, a.Get("qStart"));
  r.slots = Ints(env, a.Get("slots"));
  r.scale = (float)Dbl(a.Get("scale"));
  return r;
}

Napi::Value Attention(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  attention(P(info[0]), P(info[1]), ReadAttn(env, info[2].As<Napi::Object>()));
  Check(env, "attention");
  return env.Undefined();
}

Napi::Value AttentionBackward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const AttnDev a = ReadAttn(env, info[6].As<Napi::Object>());
  if (a.kh) throw Napi::TypeError::New(env, "attentionBackward: keys and values must be float32");
  const size_t need = (size_t)a.B * a.H * a.T;
  if (need > scratchCap) {
    if (scratch) cudaFreeAsync(scratch, 0);  // stream-ordered: kernels already enqueued finish first
    scratch = (float*)DevAlloc(env, need * 4);
    scratchCap = need;
  }
  attentionBackward(P(info[0]), P(info[1]), P(info[2]), P(info[3]), P(info[4]), P(info[5]), a, scratch);
  Check(env, "attentionBackward");
  return env.Undefined();
}

Napi::Object InitModule(Napi::Env env, Napi::Object exports) {
  const std::pair<const char*, Napi::Value (*)(const Napi::CallbackInfo&)> fns[] = {
    {"probe", Probe}, {"init", Init}, {"alloc", Alloc}, {"addr", Addr}, {"upload", Upload},
    {"download", Download}, {"copy", Copy}, {"sync", Sync}, {"fill", Fill}, {"gemm", Gemm}, {"addBias", AddBias},
    {"biasBackward", BiasBackward}, {"add", Add}, {"axpy", Axpy}, {"scale", Scale}, {"sumSquares", SumSquares},
    {"rmsnorm", RmsNorm}, {"rmsnormBackward", RmsNormBackward}, {"rope", Rope}, {"attention", Attention},
    {"attentionBackward", AttentionBackward}, {"siluMul", SiluMul}, {"siluMulBackward", SiluMulBackward},
    {"embedding", Embedding}, {"embeddingBackward", EmbeddingBackward}, {"logSoftmaxGather", LogSoftmaxGather},
    {"logSoftmaxGatherBackward", LogSoftmaxGatherBackward}, {"adamw", AdamW}, {"toBf16", ToBf16},
    {"fromBf16", FromBf16}, {"embeddingBf16", EmbeddingBf16}, {"gemmBf16", GemmBf16}, {"adamwSplit", AdamwSplit},
    {"axpySplit", AxpySplit}, {"splitF32", SplitF32}, {"joinF32", JoinF32}, {"embeddingSplit", EmbeddingSplit},
  };
  for (const auto& [name, fn] : fns) exports.Set(name, Napi::Function::New(env, fn, name));
  RegisterSample(env, exports);
#ifdef TTRL_CUDA_EMU
  exports.Set("emulated", Napi::Boolean::New(env, true));
#else
  exports.Set("emulated", Napi::Boolean::New(env, false));
#endif
  return exports;
}

}  // namespace

}  // namespace ttrl_cuda

namespace {
Napi::Object RegisterModule(Napi::Env env, Napi::Object exports) { return ttrl_cuda::InitModule(env, exports); }
}  // namespace

NODE_API_MODULE(ttrl_cuda, RegisterModule)
