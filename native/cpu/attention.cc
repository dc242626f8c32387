// Causal attention over a slotted KV cache (grouped-query), forward: on tiles of queries as small matrix
// products (attention_tiles.h; the backward, attention_backward.cc, runs on the same tiles). Neither pass
// stores a T×S score matrix for the whole batch.
#include "math.h"  // first: its pragma must precede the standard headers
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>
#include "attention_tiles.h"
#include "kernels.h"

namespace ttrl_cpu {

// ---- forward --------------------------------------------------------------------------------------------
// Work item (b, g, query tile): the rep = H/G query heads of KV head g at Tq consecutive positions are the
// M = Tq·rep rows of one tile, so each key is read once for all heads of its group (decode: one tile of rep
// rows). Scores are kept key-major, Sᵀ (keys × rows): the score micro-kernel then reads fp32 keys in place
// (a bf16 cache is widened exactly into scratch first), and the causal limit, key mask and softmax run
// across rows in vector lanes. Then O = P·V from value rows copied into scratch, masked keys' zeroed. All
// arithmetic is fp32 at both KV precisions.
namespace {
using namespace tiles;

inline float ToF(float x) { return x; }
inline float ToF(uint16_t h) { return Widen(h); }

// One thread's scratch, sized for the largest tile of the call. It lives in a per-thread buffer that only
// grows (OpenMP keeps its threads), so a decode step neither allocates nor clears it.
struct Scratch {
  float *qt, *k, *v, *s, *o, *nr, *mx, *mz, *sum, *zero;
  Scratch(const Tiling& tl, int64_t D) {
    thread_local std::vector<float> buf;
    const int64_t Mp = tl.Mp, n = tl.nCap;
    const int64_t need = Mp * D + n * D + n * tl.Dp + n * Mp + Mp * tl.Dp + 4 * Mp + D;
    if ((int64_t)buf.size() < need) buf.resize(need);
    qt = buf.data(); k = qt + Mp * D; v = k + n * D; s = v + n * tl.Dp; o = s + n * Mp;
    nr = o + Mp * tl.Dp; mx = nr + Mp; mz = mx + Mp; sum = mz + Mp; zero = sum + Mp;
    std::fill(zero, zero + D, 0.f);
  }
};

// Value rows [0, n) into scratch (Dp columns, zero past D), zero for masked keys so that whatever a padding
// slot holds cannot reach the output through a zero probability. bf16 keys are widened into scratch too.
template <typename KV>
void PackKV(const Scratch& w, const KV* kb, const KV* vb, const float* km, int64_t n, int64_t stride, int64_t D,
            int64_t Dp) {
  for (int64_t j = 0; j < n; j++) {
    float* row = w.v + j * Dp;
    const KV* vj = vb + j * stride;
    const bool live = km[j] != 0.f;
    for (int64_t d = 0; d < D; d++) row[d] = live ? ToF(vj[d]) : 0.f;
    std::fill(row + D, row + Dp, 0.f);
    if constexpr (!std::is_same_v<KV, float>) {
      const KV* kj = kb + j * stride;
      for (int64_t d = 0; d < D; d++) w.k[j * D + d] = ToF(kj[d]);
    }
  }
}

// The tile's query rows into RC-row panels (PackRows); nr[r] = the keys row r may see (causal), 0 for padding rows.
void PackQ(const Scratch& w, const Attn& a, const Tiling& tl, int64_t b, int64_t g, int64_t t0, int64_t M,
           int64_t Mpt) {
  PackRows(w.qt, nullptr, a.q, a, tl, b, g, t0, M, Mpt);
  const int64_t q0 = a.qStart[b] + t0;
  for (int64_t r = 0; r < Mpt; r++) w.nr[r] = r < M ? (float)(q0 + r / tl.rep + 1) : 0.f;
}

// Softmax of each row over keys [0, nMax) of sᵀ, rows in vector lanes: row r sees key j < nr[r] with
// keyMask ≠ 0, others are −∞. Leaves the exps (unnormalized P) in sᵀ and each row's max and sum. Entries
// a panel did not compute lie past all its rows' limits: the select drops them.
void Softmax(const Scratch& w, const float* km, int64_t nMax, int64_t Mpt) {
  float *mx = w.mx, *mz = w.mz, *sum = w.sum;
  const float* nr = w.nr;
  std::fill(mx, mx + Mpt, -INFINITY);
  std::fill(sum, sum + Mpt, 0.f);
  for (int64_t j = 0; j < nMax; j++) {
    float* sj = w.s + j * Mpt;
    if (km[j] == 0.f) { std::fill(sj, sj + Mpt, -INFINITY); continue; }
    const float jf = (float)j;
#pragma omp simd
    for (int64_t r = 0; r < Mpt; r++) {
      const float x = jf < nr[r] ? sj[r] : -INFINITY;
      sj[r] = x;
      mx[r] = x > mx[r] ? x : mx[r];
    }
  }
  for (int64_t r = 0; r < Mpt; r++) mz[r] = mx[r] == -INFINITY ? 0.f : mx[r];  // no visible key: all exps 0
  for (int64_t j = 0; j < nMax; j++) {
    float* sj = w.s + j * Mpt;
#pragma omp simd
    for (int64_t r = 0; r < Mpt; r++) {
      const float e = ExpF(sj[r] - mz[r]);  // masked: exp(−∞) = 0
      sj[r] = e;
      sum[r] += e;
    }
  }
}

// O = P·V in 4-row blocks up to the keys each block's latest row sees, then out = O / sum and lse = max +
// log(sum) per row (a row with no visible key: out 0, lse −∞).
void Output(float* out, float* lse, const Scratch& w, const Attn& a, const Tiling& tl, int64_t b, int64_t g,
            int64_t t0, int64_t M, int64_t Mpt) {
  const int64_t D = a.D, Dp = tl.Dp, rep = tl.rep, q0 = a.qStart[b] + t0;
  for (int64_t j0 = 0; j0 < q0 + (M - 1) / rep + 1; j0 += kKeyChunk) {  // a chunk of P and V stays in L1
    for (int64_t r0 = 0, rows; r0 < M; r0 += rows) {
      rows = PvBlockRows(M - r0);
      const int64_t j1 = std::min(j0 + kKeyChunk, q0 + (r0 + rows - 1) / rep + 1);
      if (j1 > j0) PvRows(rows, w.o + r0 * Dp, w.s + r0, Mpt, w.v, Dp, j0, j1);
    }
  }
  for (int64_t r = 0; r < M; r++) {
    const int64_t t = t0 + r / rep, h = g * rep + r % rep;
    const bool none = w.mx[r] == -INFINITY;
    lse[(b * a.H + h) * a.T + t] = none ? -INFINITY : w.mx[r] + std::log(w.sum[r]);
    const float inv = none ? 0.f : 1.f / w.sum[r];
    const float* src = w.o + r * Dp;
    float* o = out + ((b * a.T + t) * a.H + h) * D;
#pragma omp simd
    for (int64_t d = 0; d < D; d++) o[d] = src[d] * inv;
  }
}

template <typename KV>
void Tile(float* out, float* lse, const Attn& a, const KV* kAll, const KV* vAll, const Tiling& tl,
          const Scratch& w, int64_t b, int64_t g, int64_t t0) {
  const int64_t D = a.D, sb = a.slots[b], base = sb * a.S * tl.stride + g * D;
  const int64_t tq = std::min(tl.Tq, a.T - t0), M = tq * tl.rep, Mpt = RoundUp(M, tl.RC);
  const int64_t q0 = a.qStart[b] + t0, nMax = q0 + tq;  // the tile's keys: [0, nMax)
  const float* km = a.keyMask + sb * a.S;
  PackKV(w, kAll + base, vAll + base, km, nMax, tl.stride, D, tl.Dp);
  PackQ(w, a, tl, b, g, t0, M, Mpt);
  const float* kb = w.k;
  int64_t ldk = D;
  if constexpr (std::is_same_v<KV, float>) { kb = kAll + base; ldk = tl.stride; }
  ScoresAt(tl.RC, w.s, w.qt, w.zero, kb, ldk, nMax, q0, tl.rep, M, Mpt, D, a.scale);
  Softmax(w, km, nMax, Mpt);
  Output(out, lse, w, a, tl, b, g, t0, M, Mpt);
}

template <typename KV>
void Attention(float* out, float* lse, const Attn& a, const KV* kAll, const KV* vAll) {
  const Tiling tl = TilingOf(a);
  const int64_t BG = a.B * a.G;
#pragma omp parallel
  {
    const Scratch w(tl, a.D);
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < tl.nT * BG; i++) {
      const int64_t tile = tl.nT - 1 - i / BG, bg = i % BG;  // latest tiles (the most keys) first
      Tile(out, lse, a, kAll, vAll, tl, w, bg / a.G, bg % a.G, tile * tl.Tq);
    }
  }
}
}  // namespace

void attention(float* out, float* lse, const Attn& a) {
  if (a.kh) Attention(out, lse, a, a.kh, a.vh);
  else Attention(out, lse, a, a.k, a.v);
}

}  // namespace ttrl_cpu
