// ttrl CPU backend: the N-API glue between src/tensor/cpu.ts and the kernels (kernels.h: OpenBLAS for
// matrix products, OpenMP-parallel fused kernels for the rest). Every function takes Float32Arrays and plain
// numbers, unwraps them, checks what JS can get wrong (ids inside their table) and calls the kernel.
#include <napi.h>
#include <string>
#include "glue.h"
#include "kernels.h"
#include "skinny.h"

namespace ttrl_cpu {
namespace {

using Info = Napi::CallbackInfo;

Napi::Value SetThreads(const Info& info) {
  setThreads((int)N(info[0]));
  return info.Env().Undefined();
}

// ---- dense ------------------------------------------------------------------------------------------
Napi::Value Gemm(const Info& info) {
  gemm(F(info[0]), F(info[1]), F(info[2]), (int)N(info[3]), (int)N(info[4]), (int)N(info[5]), Bool(info[6]),
       Bool(info[7]), (float)Dbl(info[8]), (float)Dbl(info[9]));
  return info.Env().Undefined();
}

Napi::Value GemmBlas(const Info& info) {
  gemmBlas(F(info[0]), F(info[1]), F(info[2]), (int)N(info[3]), (int)N(info[4]), (int)N(info[5]), Bool(info[6]),
           Bool(info[7]), (float)Dbl(info[8]), (float)Dbl(info[9]));
  return info.Env().Undefined();
}

Napi::Value SetSkinny(const Info& info) {
  setSkinny(Bool(info[0]));
  return info.Env().Undefined();
}

Napi::Value SkinnyInfo(const Info& info) {
  const SkinnySupport s = skinnySupport();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("fp32", s.f32);
  o.Set("bf16", s.bf16);
  return o;
}

Napi::Value AddBias(const Info& info) {
  addBias(F(info[0]), F(info[1]), N(info[2]), N(info[3]));
  return info.Env().Undefined();
}

Napi::Value BiasBackward(const Info& info) {
  biasBackward(F(info[0]), F(info[1]), N(info[2]), N(info[3]));
  return info.Env().Undefined();
}

Napi::Value Add(const Info& info) {
  add(F(info[0]), F(info[1]), F(info[2]), (int64_t)Len(info[0]));
  return info.Env().Undefined();
}

Napi::Value Axpy(const Info& info) {
  axpy(F(info[0]), F(info[1]), (float)Dbl(info[2]), (int64_t)Len(info[0]));
  return info.Env().Undefined();
}

Napi::Value Scale(const Info& info) {
  scale(F(info[0]), (float)Dbl(info[1]), (int64_t)Len(info[0]));
  return info.Env().Undefined();
}

Napi::Value SumSquares(const Info& info) {
  return Napi::Number::New(info.Env(), sumSquares(F(info[0]), (int64_t)Len(info[0])));
}

Napi::Value AdamW(const Info& info) {
  adamw(F(info[0]), F(info[1]), F(info[2]), F(info[3]), (int64_t)Len(info[0]), Dbl(info[4]), Dbl(info[5]),
        Dbl(info[6]), Dbl(info[7]), Dbl(info[8]), Dbl(info[9]), Dbl(info[10]));
  return info.Env().Undefined();
}

// ---- transformer --------------------------------------------------------------------------------------
Napi::Value RmsNorm(const Info& info) {
  rmsnorm(F(info[0]), F(info[1]), F(info[2]), F(info[3]), N(info[4]), N(info[5]), (float)Dbl(info[6]));
  return info.Env().Undefined();
}

Napi::Value RmsNormBackward(const Info& info) {
  rmsnormBackward(F(info[0]), F(info[1]), F(info[2]), F(info[3]), F(info[4]), F(info[5]), N(info[6]), N(info[7]));
  return info.Env().Undefined();
}

Napi::Value Rope(const Info& info) {
  rope(F(info[0]), I(info[1]), F(info[2]), N(info[3]), N(info[4]), N(info[5]), Bool(info[6]));
  return info.Env().Undefined();
}

Napi::Value SiluMul(const Info& info) {
  siluMul(F(info[0]), F(info[1]), F(info[2]), (int64_t)Len(info[0]));
  return info.Env().Undefined();
}

Napi::Value SiluMulBackward(const Info& info) {
  siluMulBackward(F(info[0]), F(info[1]), F(info[2]), F(info[3]), F(info[4]), (int64_t)Len(info[2]));
  return info.Env().Undefined();
}

}  // namespace

// Ids and targets come from tokenizers and data files: one outside the table would read or write outside
// its buffer (a segfault at best), so check them, O(M), and throw a RangeError naming the first bad one.
// Targets below 0 mean "no target" and are allowed where allowNegative.
bool IdsOk(const Info& info, const Napi::Value& v, int64_t M, int64_t hi, bool allowNegative, const char* what) {
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

namespace {

Napi::Value Embedding(const Info& info) {
  const int64_t M = N(info[3]), C = N(info[4]);
  if (IdsOk(info, info[2], M, C ? (int64_t)Len(info[1]) / C : 0, false, "embedding"))
    embedding(F(info[0]), F(info[1]), I(info[2]), M, C);
  return info.Env().Undefined();
}

Napi::Value EmbeddingBackward(const Info& info) {
  const int64_t M = N(info[3]), C = N(info[4]);
  if (IdsOk(info, info[2], M, C ? (int64_t)Len(info[0]) / C : 0, false, "embeddingBackward"))
    embeddingBackward(F(info[0]), F(info[1]), I(info[2]), M, C);
  return info.Env().Undefined();
}

// ---- loss -------------------------------------------------------------------------------------------------
Napi::Value LogSoftmaxGather(const Info& info) {
  const int64_t M = N(info[4]), V = N(info[5]);
  if (IdsOk(info, info[3], M, V, true, "logSoftmaxGather targets"))
    logSoftmaxGather(F(info[0]), ForNull(info[1]), F(info[2]), I(info[3]), M, V);
  return info.Env().Undefined();
}

Napi::Value LogSoftmaxGatherBackward(const Info& info) {
  const int64_t M = N(info[5]), V = N(info[6]);
  if (IdsOk(info, info[2], M, V, true, "logSoftmaxGatherBackward targets"))
    logSoftmaxGatherBackward(F(info[0]), F(info[1]), I(info[2]), F(info[3]), ForNull(info[4]), M, V);
  return info.Env().Undefined();
}

// ---- attention ------------------------------------------------------------------------------------------
Attn ReadAttn(const Napi::Object& a) {
  Attn r;
  r.B = N(a.Get("B")); r.T = N(a.Get("T")); r.S = N(a.Get("S"));
  r.H = N(a.Get("H")); r.G = N(a.Get("G")); r.D = N(a.Get("D"));
  r.q = F(a.Get("q")); r.keyMask = F(a.Get("keyMask"));
  const Napi::Value k = a.Get("k"), v = a.Get("v");
  if (k.As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array) {  // a bf16 KV cache
    r.k = r.v = nullptr;
    r.kh = k.As<Napi::Uint16Array>().Data(); r.vh = v.As<Napi::Uint16Array>().Data();
  } else {
    r.k = F(k); r.v = F(v);
  }
  r.qStart = I(a.Get("qStart"));
  r.slots = I(a.Get("slots"));
  r.scale = (float)Dbl(a.Get("scale"));
  return r;
}

Napi::Value Attention(const Info& info) {
  attention(F(info[0]), F(info[1]), ReadAttn(info[2].As<Napi::Object>()));
  return info.Env().Undefined();
}

Napi::Value AttentionBackward(const Info& info) {
  const Attn a = ReadAttn(info[6].As<Napi::Object>());
  if (a.kh) {
    Napi::TypeError::New(info.Env(), "attentionBackward: keys and values must be float32").ThrowAsJavaScriptException();
    return info.Env().Undefined();
  }
  attentionBackward(F(info[0]), F(info[1]), F(info[2]), F(info[3]), F(info[4]), F(info[5]), a);
  return info.Env().Undefined();
}

}  // namespace

void RegisterCore(Napi::Env env, Napi::Object exports) {
  Def(env, exports, "setThreads", SetThreads);
  Def(env, exports, "gemm", Gemm);
  Def(env, exports, "gemmBlas", GemmBlas);
  Def(env, exports, "setSkinny", SetSkinny);
  Def(env, exports, "skinnyInfo", SkinnyInfo);
  Def(env, exports, "addBias", AddBias);
  Def(env, exports, "biasBackward", BiasBackward);
  Def(env, exports, "add", Add);
  Def(env, exports, "axpy", Axpy);
  Def(env, exports, "scale", Scale);
  Def(env, exports, "sumSquares", SumSquares);
  Def(env, exports, "adamw", AdamW);
  Def(env, exports, "rmsnorm", RmsNorm);
  Def(env, exports, "rmsnormBackward", RmsNormBackward);
  Def(env, exports, "rope", Rope);
  Def(env, exports, "siluMul", SiluMul);
  Def(env, exports, "siluMulBackward", SiluMulBackward);
  Def(env, exports, "embedding", Embedding);
  Def(env, exports, "embeddingBackward", EmbeddingBackward);
  Def(env, exports, "logSoftmaxGather", LogSoftmaxGather);
  Def(env, exports, "logSoftmaxGatherBackward", LogSoftmaxGatherBackward);
  Def(env, exports, "attention", Attention);
  Def(env, exports, "attentionBackward", AttentionBackward);
}

}  // namespace ttrl_cpu

namespace {

// Each group of kernels registers its own functions; a new group adds its RegisterXxx call here.
Napi::Object Init(Napi::Env env, Napi::Object exports) {
  ttrl_cpu::RegisterCore(env, exports);
  ttrl_cpu::RegisterSample(env, exports);
  ttrl_cpu::RegisterBf16(env, exports);
  ttrl_cpu::RegisterSplit(env, exports);
  return exports;
}

}  // namespace

NODE_API_MODULE(ttrl_cpu, Init)
