// The split fp32 layout, shared by both backends (native/cpu and native/cuda): an fp32 weight w is held as
//   hi  (uint16): bf16 round-to-nearest-even of w, the matrix operand at precision bf16 (no separate copy);
//   lo  (int16):  bits(w) − (bits(hi) << 16), as integers modulo 2^32;
//   tie:          which of the two ties lo = −0x8000 stands for (CUDA: a bit per value; the CPU: a sorted list
//                 of the values whose tie is +0x8000, native/cpu/kernels.h, as ties are rare).
// RNE moves a bit pattern by at most half a bf16 ulp, so the difference d lies in [−0x8000, +0x8000]: 65,537
// values, one more than int16 holds. Both ends occur only on a tie (low half exactly 0x8000), which always
// rounds to an even hi: so the values rounding to an even hi are 65,537 and no 16-bit lo can tell them all
// apart. lo keeps d's low 16 bits (+0x8000 and −0x8000 share the code −0x8000) and the tie says which.
// A tie is written only with that code and read only with it. bits(w) = (bits(hi) << 16) + d is exact
// for every finite w and ±Inf, across binade boundaries and signs (one sign's patterns are contiguous
// integers); a NaN stays a NaN (hi a quiet NaN, as the bf16 conversion makes it), its payload may change.
#pragma once
#include <cstdint>
#include <cstring>

#if defined(__CUDACC__)
#define TTRL_HD __host__ __device__ __forceinline__
#else
#define TTRL_HD inline
#endif

namespace ttrl_split {

constexpr int16_t kTieCode = INT16_MIN;

TTRL_HD uint32_t bitsOf(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
TTRL_HD float floatOf(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

/** bf16 of the pattern u: round to nearest even; a NaN stays a (quiet) NaN instead of rounding into Inf. */
TTRL_HD uint16_t roundHi(uint32_t u) {
  if ((u & 0x7fffffffu) > 0x7f800000u) return (uint16_t)((u >> 16) | 0x40u);
  return (uint16_t)((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

/** Splits w into hi and lo (branch-free: loops over it vectorize). lo alone does not say which tie. */
TTRL_HD void splitHiLo(float w, uint16_t& hi, int16_t& lo) {
  const uint32_t u = bitsOf(w);
  hi = roundHi(u);
  lo = (int16_t)(uint16_t)((u - ((uint32_t)hi << 16)) & 0xffffu);
}

/** For a w whose lo is the tie code: its tie bit (1: the difference was +0x8000, 0: −0x8000). */
TTRL_HD bool tieOf(float w, uint16_t hi) { return bitsOf(w) - ((uint32_t)hi << 16) == 0x8000u; }

/** Splits w; returns the tie bit to store, or −1 when lo is not the tie code (the bit is then left alone). */
TTRL_HD int split(float w, uint16_t& hi, int16_t& lo) {
  splitHiLo(w, hi, lo);
  return lo != kTieCode ? -1 : tieOf(w, hi) ? 1 : 0;
}

/** The bits held by hi and lo, reading the tie code as −0x8000 (branch-free). */
TTRL_HD uint32_t joinHiLo(uint16_t hi, int16_t lo) { return ((uint32_t)hi << 16) + (uint32_t)(int32_t)lo; }

/** The fp32 value held by hi, lo and (when lo is the tie code) the tie bit: set, the tie is +0x8000. */
TTRL_HD float join(uint16_t hi, int16_t lo, bool tie) {
  return floatOf(joinHiLo(hi, lo) + (lo == kTieCode && tie ? 0x10000u : 0u));
}

/** Tie bits: bit k of the buffer is bit k % 32 of word k / 32 (a view starts at bit `base`). */
TTRL_HD bool tieAt(const uint32_t* ties, int64_t k) { return (ties[k >> 5] >> (k & 31)) & 1u; }

}  // namespace ttrl_split
