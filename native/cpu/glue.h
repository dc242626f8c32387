// N-API glue helpers shared by the files that register functions on the addon, and the list of those
// registrations (called in order by Init in addon.cc). A new group of kernels adds a `RegisterXxx` here,
// defines it next to its glue, and calls it from Init.
#pragma once
#include <napi.h>
#include <cstdint>

namespace ttrl_cpu {

// Float32Arrays and Int32Arrays are zero-copy: N-API hands over the pointer, adjusted for byteOffset.
inline float* F(const Napi::Value& v) { return v.As<Napi::Float32Array>().Data(); }
inline float* ForNull(const Napi::Value& v) { return v.IsNull() ? nullptr : F(v); }
inline size_t Len(const Napi::Value& v) { return v.As<Napi::Float32Array>().ElementLength(); }
inline const int32_t* I(const Napi::Value& v) { return v.As<Napi::Int32Array>().Data(); }
inline int64_t N(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
inline double Dbl(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }
inline bool Bool(const Napi::Value& v) { return v.As<Napi::Boolean>().Value(); }

/** Whether ids(M) (an Int32Array) all lie in [0, hi) (or are negative, where allowNegative); if not, throws
 *  a JS RangeError naming `what` and the first bad id, and returns false. */
bool IdsOk(const Napi::CallbackInfo& info, const Napi::Value& ids, int64_t M, int64_t hi, bool allowNegative,
           const char* what);

/** Registers a native function under `name`. */
inline void Def(Napi::Env env, Napi::Object exports, const char* name, Napi::Function::Callback fn) {
  exports.Set(name, Napi::Function::New(env, fn, name));
}

// addon.cc: the fp32 kernels of kernels.h.
void RegisterCore(Napi::Env env, Napi::Object exports);
// sample.cc: token sampling (sampleRows).
void RegisterSample(Napi::Env env, Napi::Object exports);
// addon_bf16.cc: bf16 conversions and matrix products (bf16.h).
void RegisterBf16(Napi::Env env, Napi::Object exports);
// split.cc: the split fp32 layout of weights at precision bf16 (native/split.h).
void RegisterSplit(Napi::Env env, Napi::Object exports);

}  // namespace ttrl_cpu
