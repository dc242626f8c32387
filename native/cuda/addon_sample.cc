// sampleRows's N-API glue: stages the row indices and uniforms, launches sample.cu's kernel and copies back
// only the (B) draws, 32 bytes a row. The arguments were checked by src/tensor/cuda.ts (with the CPU
// backend's messages); a bad row is returned, not thrown, so that the message is written in one place there.
#include <napi.h>
#include <cstdint>
#include <vector>
#ifdef TTRL_CUDA_EMU
#include "emu.h"
#else
#include <cuda_runtime.h>  // host API only: this file is compiled by g++
#endif
#include "glue.h"
#include "kernels.h"

namespace ttrl_cuda {

namespace {

SampleOut* outDev = nullptr;  // (B) draws on the device, grown stream-ordered and kept
int64_t outCap = 0;
std::vector<SampleOut> outHost;

int64_t Int(const Napi::Value& v) { return v.As<Napi::Number>().Int64Value(); }
double Dbl(const Napi::Value& v) { return v.As<Napi::Number>().DoubleValue(); }

// sampleRows(logits address, V, rows Int32Array | null, B, temperature, topP, topK, minP, u F64 (B),
//            tokens Int32Array (B), logprobs F64 (B), entropies F64 (B) | null, certainties F64 (B) | null)
// → the first b whose row has a non-finite maximum or a NaN, or −1 (the outputs are then written)
Napi::Value SampleRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const float* logits = reinterpret_cast<const float*>((uintptr_t)Int(info[0]));
  const int64_t V = Int(info[1]), B = Int(info[3]);
  if (B <= 0) return Napi::Number::New(env, -1);
  const int32_t* rows = info[2].IsNull() ? nullptr : (const int32_t*)Stage(env, info[2].As<Napi::Int32Array>().Data(), (size_t)B * 4);
  const double* u = (const double*)Stage(env, info[8].As<Napi::Float64Array>().Data(), (size_t)B * 8);
  const SamplePolicy p{Dbl(info[4]), Dbl(info[5]), Dbl(info[7]), Int(info[6])};
  if (B > outCap) {
    if (outDev) cudaFreeAsync(outDev, 0);  // stream-ordered: kernels already enqueued finish first
    outDev = (SampleOut*)DevAlloc(env, (size_t)B * sizeof(SampleOut));
    outCap = B;
  }
  sampleRows(outDev, logits, V, rows, B, u, p);
  Check(env, "sampleRows");
  outHost.resize((size_t)B);
  cudaMemcpy(outHost.data(), outDev, (size_t)B * sizeof(SampleOut), cudaMemcpyDeviceToHost);
  Check(env, "sampleRows (copy back)");
  int32_t* tokens = info[9].As<Napi::Int32Array>().Data();
  double* lps = info[10].As<Napi::Float64Array>().Data();
  const bool stats = info.Length() > 12 && !info[11].IsNull() && !info[12].IsNull();
  double* ents = stats ? info[11].As<Napi::Float64Array>().Data() : nullptr;
  double* certs = stats ? info[12].As<Napi::Float64Array>().Data() : nullptr;
  for (int64_t b = 0; b < B; b++) if (outHost[b].bad) return Napi::Number::New(env, (double)b);
  for (int64_t b = 0; b < B; b++) {
    const SampleOut& o = outHost[b];
    tokens[b] = o.token;
    lps[b] = o.logprob;
    if (stats) { ents[b] = o.entropy; certs[b] = o.certainty; }
  }
  return Napi::Number::New(env, -1);
}

}  // namespace

void RegisterSample(Napi::Env env, Napi::Object exports) {
  exports.Set("sampleRows", Napi::Function::New(env, SampleRows, "sampleRows"));
}

}  // namespace ttrl_cuda
