// A host emulation of the small part of CUDA that ttrl's kernels use, so that the very same kernel source
// (native/cuda/*.cu) compiles with g++ and runs on a machine without a GPU. It exists for testing only: the
// kernel suite (test/tensor/) runs over the emulated backend in CI, which checks every kernel's index math,
// masks, reductions and launch bounds without a GPU. It says nothing about speed, and it cannot catch what
// only real hardware shows (races between warps that the emulator happens to order, memory-model bugs).
//
// How it runs a launch: blocks one after another; the threads of a block as fibers on the one OS thread,
// switched only at __syncthreads, __syncwarp and warp shuffles. So `__shared__` can be a plain `static`
// (one block lives at a time), atomics need no locking, and a barrier that some thread never reaches (it
// returned early, or a shuffle sits in divergent code) is reported and aborts instead of silently working
// as it might on a GPU. Fibers switch stacks with the six-instruction routine below (x86-64 System V): a
// warp shuffle is two barriers, and ucontext's swapcontext, which makes a system call per switch, made the
// model tests 50× slower.
#pragma once
#if !defined(__x86_64__)
#error "the CUDA emulator's fiber switch is written for x86-64"
#endif
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <vector>

// emu_switch(save, next): pushes the callee-saved registers, stores the stack pointer in *save, loads
// `next` and pops the registers saved there. Weak, so every translation unit may carry a copy.
extern "C" void emu_switch(void** save, void* next);
asm(R"(
  .text
  .weak emu_switch
  .type emu_switch, @function
emu_switch:
  pushq %rbp
  pushq %rbx
  pushq %r12
  pushq %r13
  pushq %r14
  pushq %r15
  movq %rsp, (%rdi)
  movq %rsi, %rsp
  popq %r15
  popq %r14
  popq %r13
  popq %r12
  popq %rbx
  popq %rbp
  ret
  .size emu_switch, .-emu_switch
)");

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

namespace emu {

inline dim3 threadIdx_, blockIdx_, blockDim_, gridDim_;

enum class State { Runnable, AtBlockBarrier, AtWarpBarrier, Done };

struct Fiber {
  void* sp = nullptr;
  std::vector<char> stack;
  State state = State::Runnable;
  dim3 tid;
};

struct Scheduler {
  void* mainSp = nullptr;
  std::vector<Fiber> pool;     // grows to the largest block seen; stacks are allocated once
  std::vector<Fiber*> fibers;  // the current block's threads
  std::vector<uint64_t> exchange;  // one slot per thread, for warp shuffles
  const std::function<void()>* body = nullptr;
  int current = -1;
};

inline Scheduler& sched() { static Scheduler s; return s; }

[[noreturn]] inline void fail(const char* what) {
  std::fprintf(stderr, "cuda-emu: %s (block %u,%u,%u)\n", what, blockIdx_.x, blockIdx_.y, blockIdx_.z);
  std::abort();
}

/** A fiber's first frame: runs the kernel body, then hands the stack back for good. */
[[noreturn]] inline void fiberEntry() {
  Scheduler& s = sched();
  (*s.body)();
  Fiber& f = *s.fibers[s.current];
  f.state = State::Done;
  emu_switch(&f.sp, s.mainSp);
  std::abort();  // a finished fiber is never resumed
}

/** Lays out a fresh stack so that emu_switch into it "returns" into fiberEntry with an ABI-aligned frame. */
inline void prime(Fiber& f) {
  uintptr_t top = ((uintptr_t)f.stack.data() + f.stack.size()) & ~uintptr_t(15);
  void** sp = (void**)top;
  *--sp = nullptr;                      // fiberEntry's return address (never used); rsp ≡ 8 mod 16 at entry
  *--sp = (void*)&fiberEntry;           // popped by emu_switch's ret
  for (int i = 0; i < 6; i++) *--sp = nullptr;  // rbp rbx r12 r13 r14 r15
  f.sp = sp;
}

inline int linearTid() { return (int)(threadIdx_.x + threadIdx_.y * blockDim_.x + threadIdx_.z * blockDim_.x * blockDim_.y); }

/** Parks the current fiber in `st` and returns to the scheduler. */
inline void park(State st) {
  Scheduler& s = sched();
  Fiber& f = *s.fibers[s.current];
  f.state = st;
  emu_switch(&f.sp, s.mainSp);
}

/** Runs one block to completion, releasing barriers once every thread concerned has reached them. */
inline void runBlock() {
  Scheduler& s = sched();
  const int n = (int)s.fibers.size(), warps = (n + 31) / 32;
  for (;;) {
    bool ran = false;
    for (int i = 0; i < n; i++) {
      Fiber& f = *s.fibers[i];
      if (f.state != State::Runnable) continue;
      s.current = i;
      threadIdx_ = f.tid;
      emu_switch(&s.mainSp, f.sp);
      ran = true;
    }
    bool released = false;
    for (int w = 0; w < warps; w++) {
      int at = 0, lanes = 0;
      for (int i = w * 32; i < n && i < (w + 1) * 32; i++, lanes++) at += s.fibers[i]->state == State::AtWarpBarrier;
      if (at == lanes) {
        for (int i = w * 32; i < w * 32 + lanes; i++) s.fibers[i]->state = State::Runnable;
        released = true;
      }
    }
    int atBlock = 0, done = 0;
    for (const Fiber* f : s.fibers) { atBlock += f->state == State::AtBlockBarrier; done += f->state == State::Done; }
    if (done == n) return;
    if (atBlock == n) {
      for (Fiber* f : s.fibers) f->state = State::Runnable;
      released = true;
    }
    if (!ran && !released) {
      fail(done ? "deadlock: a thread returned while others wait at a barrier (__syncthreads or a warp shuffle)"
                : "deadlock: threads wait at different barriers (a warp shuffle in divergent code?)");
    }
  }
}

inline void launch(dim3 grid, dim3 block, const std::function<void()>& body) {
  Scheduler& s = sched();
  const unsigned n = block.x * block.y * block.z;
  if (n == 0 || n > 1024) fail("block size must be in [1, 1024]");
  if (grid.x == 0 || grid.y == 0 || grid.z == 0 || grid.y > 65535 || grid.z > 65535) fail("bad grid size");
  constexpr size_t kStack = 128 * 1024;
  if (s.pool.size() < n) s.pool.resize(n);  // between launches only: stacks are primed anew for each block
  s.fibers.resize(n);
  for (unsigned i = 0; i < n; i++) s.fibers[i] = &s.pool[i];
  s.exchange.assign(n, 0);
  s.body = &body;
  gridDim_ = grid;
  blockDim_ = block;
  for (unsigned bz = 0; bz < grid.z; bz++)
    for (unsigned by = 0; by < grid.y; by++)
      for (unsigned bx = 0; bx < grid.x; bx++) {
        blockIdx_ = dim3(bx, by, bz);
        for (unsigned i = 0; i < n; i++) {
          Fiber& f = *s.fibers[i];
          if (f.stack.size() != kStack) f.stack.resize(kStack);
          f.tid = dim3(i % block.x, (i / block.x) % block.y, i / (block.x * block.y));
          f.state = State::Runnable;
          prime(f);
        }
        runBlock();
      }
}

inline void warpBarrier() { park(State::AtWarpBarrier); }

template <class T>
T exchange(T v, int srcLane, bool inRange) {
  static_assert(sizeof(T) <= 8, "shuffle of at most 8 bytes");
  Scheduler& s = sched();
  const int me = linearTid(), base = me & ~31;
  std::memcpy(&s.exchange[me], &v, sizeof(T));
  warpBarrier();
  T r = v;
  if (inRange && base + srcLane < (int)s.exchange.size()) std::memcpy(&r, &s.exchange[base + srcLane], sizeof(T));
  warpBarrier();
  return r;
}

}  // namespace emu

#define threadIdx (emu::threadIdx_)
#define blockIdx (emu::blockIdx_)
#define blockDim (emu::blockDim_)
#define gridDim (emu::gridDim_)
#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __shared__ static
#define __launch_bounds__(...)

inline void __syncthreads() { emu::park(emu::State::AtBlockBarrier); }
inline void __syncwarp(unsigned = 0xffffffffu) { emu::warpBarrier(); }
template <class T> T __shfl_xor_sync(unsigned, T v, int mask) { return emu::exchange(v, (emu::linearTid() & 31) ^ mask, true); }
template <class T> T __shfl_sync(unsigned, T v, int src) { return emu::exchange(v, src & 31, true); }
template <class T> T __shfl_down_sync(unsigned, T v, unsigned d) {
  const int lane = emu::linearTid() & 31;
  return emu::exchange(v, lane + (int)d, lane + (int)d < 32);
}
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
// One OS thread, switches only at barriers: a read-modify-write is atomic as written.
inline float atomicAdd(float* p, float v) { float o = *p; *p = o + v; return o; }
inline double atomicAdd(double* p, double v) { double o = *p; *p = o + v; return o; }
inline unsigned atomicOr(unsigned* p, unsigned v) { unsigned o = *p; *p = o | v; return o; }
inline unsigned atomicAnd(unsigned* p, unsigned v) { unsigned o = *p; *p = o & v; return o; }
// Rounded add / multiply that the compiler may not fuse (the emulator is built with -ffp-contract=off).
inline float __fadd_rn(float a, float b) { return a + b; }
inline float __fmul_rn(float a, float b) { return a * b; }

// ---- the runtime API, as far as native/cuda/addon.cc uses it ---------------------------------------------
using cudaError_t = int;
using cudaStream_t = void*;
constexpr cudaError_t cudaSuccess = 0;
constexpr cudaError_t cudaErrorMemoryAllocation = 2;
enum cudaMemcpyKind { cudaMemcpyHostToDevice, cudaMemcpyDeviceToHost, cudaMemcpyDeviceToDevice };
struct cudaDeviceProp { char name[256]; size_t totalGlobalMem; int major, minor, multiProcessorCount; };

inline const char* cudaGetErrorString(cudaError_t e) { return e == 0 ? "no error" : "out of memory (emulated)"; }
inline cudaError_t cudaGetLastError() { return cudaSuccess; }
inline cudaError_t cudaGetDeviceCount(int* n) { *n = 1; return cudaSuccess; }
inline cudaError_t cudaSetDevice(int) { return cudaSuccess; }
inline cudaError_t cudaGetDeviceProperties(cudaDeviceProp* p, int) {
  std::memset(p, 0, sizeof *p);
  std::snprintf(p->name, sizeof p->name, "host emulator (no GPU)");
  p->major = 9; p->multiProcessorCount = 1;
  return cudaSuccess;
}
inline cudaError_t cudaDeviceSynchronize() { return cudaSuccess; }
inline cudaError_t cudaMallocAsync(void** p, size_t n, cudaStream_t) {
  *p = std::malloc(n ? n : 1);
  return *p ? cudaSuccess : cudaErrorMemoryAllocation;
}
inline cudaError_t cudaFreeAsync(void* p, cudaStream_t) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMallocHost(void** p, size_t n) { return cudaMallocAsync(p, n, nullptr); }
inline cudaError_t cudaFreeHost(void* p) { std::free(p); return cudaSuccess; }
inline cudaError_t cudaMemcpy(void* d, const void* s, size_t n, cudaMemcpyKind) { std::memmove(d, s, n); return cudaSuccess; }
inline cudaError_t cudaMemcpyAsync(void* d, const void* s, size_t n, cudaMemcpyKind k, cudaStream_t) { return cudaMemcpy(d, s, n, k); }
inline cudaError_t cudaMemsetAsync(void* d, int v, size_t n, cudaStream_t) { std::memset(d, v, n); return cudaSuccess; }
inline cudaError_t cudaStreamSynchronize(cudaStream_t) { return cudaSuccess; }
