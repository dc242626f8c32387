// N-API glue of the bf16 kernels (bf16.h). bf16 buffers are Uint16Arrays. The product takes each operand
// either as bf16 (a weight's compute copy) or as fp32 (an activation), rounding the latter into scratch.
#include <napi.h>
#include <vector>
#include "bf16.h"
#include "glue.h"

namespace ttrl_cpu {
namespace {

using Info = Napi::CallbackInfo;

uint16_t* H(const Napi::Value& v) { return v.As<Napi::Uint16Array>().Data(); }
size_t HLen(const Napi::Value& v) { return v.As<Napi::Uint16Array>().ElementLength(); }

// An operand of n values as bf16: itself, or its fp32 values rounded into `scratch`.
const uint16_t* AsBf16(const Napi::Value& v, int64_t n, std::vector<uint16_t>& scratch) {
  if (v.IsTypedArray() && v.As<Napi::TypedArray>().TypedArrayType() == napi_uint16_array) return H(v);
  scratch.resize((size_t)n);
  toBf16(scratch.data(), F(v), n);
  return scratch.data();
}

Napi::Value ToBf16(const Info& info) {
  toBf16(H(info[0]), F(info[1]), (int64_t)HLen(info[0]));
  return info.Env().Undefined();
}

Napi::Value FromBf16(const Info& info) {
  fromBf16(F(info[0]), H(info[1]), (int64_t)Len(info[0]));
  return info.Env().Undefined();
}

Napi::Value EmbeddingBf16(const Info& info) {
  const int64_t M = N(info[3]), C = N(info[4]);
  if (IdsOk(info, info[2], M, C ? (int64_t)HLen(info[1]) / C : 0, false, "embedding"))
    embeddingBf16(F(info[0]), H(info[1]), I(info[2]), M, C);
  return info.Env().Undefined();
}

// Scratch kept between products: a decode step's or a layer's operands; a larger one (the LM head's dlogits
// in training, 32 MB) is given back after its product instead of staying for the rest of the step.
constexpr size_t kKeepScratch = (size_t)1 << 21;

Napi::Value GemmBf16(const Info& info) {
  const int M = (int)N(info[3]), Nn = (int)N(info[4]), K = (int)N(info[5]);
  thread_local std::vector<uint16_t> sa, sb;
  const uint16_t* A = AsBf16(info[1], (int64_t)M * K, sa);
  const uint16_t* B = AsBf16(info[2], (int64_t)K * Nn, sb);
  gemmBf16(F(info[0]), A, B, M, Nn, K, Bool(info[6]), Bool(info[7]), (float)Dbl(info[8]), (float)Dbl(info[9]));
  for (auto* s : {&sa, &sb})
    if (s->capacity() > kKeepScratch) std::vector<uint16_t>().swap(*s);
  return info.Env().Undefined();
}

Napi::Value Info_(const Info& info) {
  const Bf16Info r = bf16Info();
  Napi::Object o = Napi::Object::New(info.Env());
  o.Set("library", r.library);
  o.Set("impl", r.impl);
  o.Set("fast", r.fast);
  o.Set("reason", r.reason);
  return o;
}

}  // namespace

void RegisterBf16(Napi::Env env, Napi::Object exports) {
  Def(env, exports, "toBf16", ToBf16);
  Def(env, exports, "fromBf16", FromBf16);
  Def(env, exports, "gemmBf16", GemmBf16);
  Def(env, exports, "embeddingBf16", EmbeddingBf16);
  Def(env, exports, "bf16Info", Info_);
}

}  // namespace ttrl_cpu
