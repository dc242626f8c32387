// The split fp32 layout (native/split.h) on the CPU: conversions, the embedding lookup, and the N-API glue
// of these and of the fused optimizer updates (dense.cc). Split buffers arrive from src/tensor/cpu.ts as a
// Uint16Array (hi), an Int16Array (lo), a Uint32Array (the allocation's +0x8000 ties, sorted indices) and the
// view's first index; a kernel that writes one returns the +0x8000 ties of the range it wrote (a Uint32Array).
#include "math.h"  // first: its pragma must precede the standard headers
#include <napi.h>
#include <algorithm>
#include "glue.h"
#include "kernels.h"

namespace ttrl_cpu {

void splitF32(SplitRef dst, const float* src, int64_t n) {
#pragma omp parallel for if (n > kParMin)
  for (int64_t c = 0; c < n; c += kSplitChunk) dst.store(src + c, c, std::min(kSplitChunk, n - c));
}

void joinF32(float* dst, SplitRef src, int64_t n) {
#pragma omp parallel for if (n > kParMin)
  for (int64_t c = 0; c < n; c += kSplitChunk) src.load(dst + c, c, std::min(kSplitChunk, n - c));
}

void embeddingSplit(float* out, SplitRef table, const int32_t* ids, int64_t M, int64_t C) {
  for (int64_t m = 0; m < M; m++) {
    const int64_t r = (int64_t)ids[m] * C;
    joinF32(out + m * C, SplitRef{table.hi + r, table.lo + r, table.ties, table.nties, table.base + r}, C);
  }
}

namespace {

using Info = Napi::CallbackInfo;

// A split buffer from four arguments starting at info[i]: hi, lo, ties, base. Returns its length too; a
// writer passes where its new ties go.
SplitRef Split(const Info& info, int i, int64_t* n = nullptr, TieLists* found = nullptr) {
  auto hi = info[i].As<Napi::Uint16Array>();
  auto ties = info[i + 2].As<Napi::Uint32Array>();
  if (n) *n = (int64_t)hi.ElementLength();
  return SplitRef{hi.Data(), info[i + 1].As<Napi::Int16Array>().Data(), ties.Data(), (int64_t)ties.ElementLength(),
                  N(info[i + 3]), found};
}

// What a writer returns: the +0x8000 ties it made, sorted.
Napi::Value Found(const Info& info, const TieLists& found) {
  const std::vector<uint32_t> all = found.sorted();
  auto out = Napi::Uint32Array::New(info.Env(), all.size());
  std::copy(all.begin(), all.end(), out.Data());
  return out;
}

Napi::Value SplitF32_(const Info& info) {
  int64_t n;
  TieLists found;
  const SplitRef s = Split(info, 0, &n, &found);
  splitF32(s, F(info[4]), n);
  return Found(info, found);
}

Napi::Value JoinF32_(const Info& info) {
  int64_t n;
  const SplitRef s = Split(info, 1, &n);
  joinF32(F(info[0]), s, n);
  return info.Env().Undefined();
}

Napi::Value EmbeddingSplit_(const Info& info) {
  int64_t n;
  const SplitRef t = Split(info, 1, &n);
  const int64_t M = N(info[6]), C = N(info[7]);
  if (IdsOk(info, info[5], M, C ? n / C : 0, false, "embedding")) embeddingSplit(F(info[0]), t, I(info[5]), M, C);
  return info.Env().Undefined();
}

Napi::Value AxpySplit_(const Info& info) {
  int64_t n;
  TieLists found;
  const SplitRef y = Split(info, 0, &n, &found);
  axpySplit(y, F(info[4]), (float)Dbl(info[5]), n);
  return Found(info, found);
}

Napi::Value AdamwSplit_(const Info& info) {
  int64_t n;
  TieLists found;
  const SplitRef p = Split(info, 0, &n, &found);
  adamwSplit(p, F(info[4]), F(info[5]), F(info[6]), n, Dbl(info[7]), Dbl(info[8]), Dbl(info[9]), Dbl(info[10]),
             Dbl(info[11]), Dbl(info[12]), Dbl(info[13]));
  return Found(info, found);
}

}  // namespace

void RegisterSplit(Napi::Env env, Napi::Object exports) {
  Def(env, exports, "splitF32", SplitF32_);
  Def(env, exports, "joinF32", JoinF32_);
  Def(env, exports, "embeddingSplit", EmbeddingSplit_);
  Def(env, exports, "axpySplit", AxpySplit_);
  Def(env, exports, "adamwSplit", AdamwSplit_);
}

}  // namespace ttrl_cpu
