// The pieces of the N-API glue (addon.cc) that the other glue files (addon_sample.cc) share.
#pragma once
#include <napi.h>
#include <cstddef>

namespace ttrl_cuda {

/** Throws a JS error naming `what` if the last CUDA call failed (or, with TTRL_CUDA_SYNC=1, the queued work). */
void Check(const Napi::Env& env, const char* what);
/** A device block of `bytes` (stream-ordered), or a JS "out of memory" error. */
void* DevAlloc(const Napi::Env& env, size_t bytes);
/** Host bytes copied to the device through the pinned staging ring; returns their device address. */
const void* Stage(const Napi::Env& env, const void* src, size_t bytes);
/** Adds sample's functions to the module (addon_sample.cc). */
void RegisterSample(Napi::Env env, Napi::Object exports);

}  // namespace ttrl_cuda
