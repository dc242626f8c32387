// Causal attention over a slotted KV cache (grouped-query), forward and backward. The forward works on tiles
// of queries as small matrix products (register-blocked micro-kernels on per-thread scratch); the backward is
// fused per query. Neither stores a T×S score matrix for the whole batch.
#include "math.h"  // first: its pragma must precede the standard headers
#include <algorithm>
#include <cmath>
#include <vector>
#include "kernels.h"

namespace ttrl_cpu {

// ---- forward --------------------------------------------------------------------------------------------
// Work item (b, g, query tile): the rep = H/G query heads of KV head g at Tq consecutive positions are the
// M = Tq·rep rows of one tile, so each key is read once for all heads of its group (decode: one tile of rep
// rows). The tile's keys [0, qStart + last position + 1) are copied (bf16 widened exactly) into scratch in
// the micro-kernels' layouts; S = Q·Kᵀ·scale, the causal limit and key mask, softmax per row, O = P·V.
// All arithmetic is fp32 at both KV precisions.
namespace {
constexpr int64_t kNr = 4;     // rows of a micro-kernel block
constexpr int64_t kNc = 16;    // keys (scores) or value columns (P·V) of a micro-kernel block: two AVX2 vectors
constexpr int64_t kRows = 64;  // rows per tile, about: a tile's scratch stays in L2 for prefill lengths

inline int64_t RoundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// s(kNr rows, kNc keys) = q(kNr rows of D)·kp(D × kNc panel)·scale. The kNr·kNc accumulators stay in
// registers (8 vectors); per d: kNr broadcasts, two loads, 8 FMAs.
inline void ScoreBlock(float* s, int64_t lds, const float* q, int64_t D, const float* kp, float scale) {
  float acc[kNr][kNc] = {};
  for (int64_t d = 0; d < D; d++) {
    const float* kd = kp + d * kNc;
    for (int64_t r = 0; r < kNr; r++) {
      const float qr = q[r * D + d];
#pragma omp simd
      for (int64_t c = 0; c < kNc; c++) acc[r][c] += qr * kd[c];
    }
  }
  for (int64_t r = 0; r < kNr; r++) {
#pragma omp simd
    for (int64_t c = 0; c < kNc; c++) s[r * lds + c] = acc[r][c] * scale;
  }
}

// o(kNr rows, kNc columns) = p(kNr rows, keys [0, n))·v(n rows of ldv, kNc columns).
inline void PvBlock(float* o, int64_t ldo, const float* p, int64_t ldp, const float* v, int64_t ldv, int64_t n) {
  float acc[kNr][kNc] = {};
  for (int64_t j = 0; j < n; j++) {
    const float* vj = v + j * ldv;
    for (int64_t r = 0; r < kNr; r++) {
      const float pr = p[r * ldp + j];
#pragma omp simd
      for (int64_t c = 0; c < kNc; c++) acc[r][c] += pr * vj[c];
    }
  }
  for (int64_t r = 0; r < kNr; r++) {
#pragma omp simd
    for (int64_t c = 0; c < kNc; c++) o[r * ldo + c] = acc[r][c];
  }
}

inline float ToF(float x) { return x; }
inline float ToF(uint16_t h) { return Widen(h); }

// One thread's scratch, sized for the largest tile of the call. It lives in a per-thread buffer that only
// grows (OpenMP keeps its threads), so a decode step neither allocates nor clears it.
struct Scratch {
  float *q, *k, *v, *s, *o, *inv;
  Scratch(int64_t Mp, int64_t D, int64_t Dp, int64_t nCap) {
    thread_local std::vector<float> buf;
    const int64_t need = Mp * D + nCap * D + nCap * Dp + Mp * nCap + Mp * Dp + Mp;
    if ((int64_t)buf.size() < need) buf.resize(need);
    q = buf.data(); k = q + Mp * D; v = k + nCap * D; s = v + nCap * Dp; o = s + Mp * nCap; inv = o + Mp * Dp;
  }
};

// Keys [0, n) of one (slot, KV head) into kNc-key panels (panel p: D rows of kNc keys, zero past n), values
// into n rows of Dp columns (zero past D, and zero for masked keys so that whatever a padding slot holds
// cannot reach the output through a zero probability).
template <typename KV>
void PackKV(const Scratch& w, const KV* kb, const KV* vb, const float* km, int64_t n, int64_t stride, int64_t D,
            int64_t Dp) {
  const int64_t nPad = RoundUp(n, kNc);
  float* kp = w.k;
  for (int64_t j = 0; j < nPad; j++) {
    float* col = kp + (j / kNc) * D * kNc + j % kNc;
    if (j >= n) { for (int64_t d = 0; d < D; d++) col[d * kNc] = 0.f; continue; }
    const KV* kj = kb + j * stride;
    for (int64_t d = 0; d < D; d++) col[d * kNc] = ToF(kj[d]);
  }
  for (int64_t j = 0; j < n; j++) {
    float* row = w.v + j * Dp;
    const KV* vj = vb + j * stride;
    const bool live = km[j] != 0.f;
    for (int64_t d = 0; d < D; d++) row[d] = live ? ToF(vj[d]) : 0.f;
    std::fill(row + D, row + Dp, 0.f);
  }
}

// Softmax of tile row r over keys [0, n) (the causal limit) in place: masked keys are −∞, exps, zero past
// n up to nPad (the P·V block reads them). Returns lse and sets inv[r] (0 for a row with no visible key).
inline float SoftmaxRow(float* s, float& inv, const float* km, int64_t n, int64_t nPad) {
  float mx = -INFINITY;
#pragma omp simd reduction(max : mx)
  for (int64_t j = 0; j < n; j++) {
    const float x = km[j] == 0.f ? -INFINITY : s[j];
    s[j] = x;
    mx = x > mx ? x : mx;
  }
  std::fill(s + n, s + nPad, 0.f);
  if (mx == -INFINITY) {
    std::fill(s, s + n, 0.f);
    inv = 0.f;
    return -INFINITY;
  }
  float sum = 0.f;
#pragma omp simd reduction(+ : sum)
  for (int64_t j = 0; j < n; j++) {
    const float e = ExpF(s[j] - mx);  // masked: exp(−∞) = 0
    s[j] = e;
    sum += e;
  }
  inv = 1.f / sum;
  return mx + std::log(sum);
}

struct Tiling {
  int64_t rep, Dp, stride, Tq, nT;  // stride: one key slot to the next
};

// One work item: rows r = ti·rep + (h − g·rep) for the tq positions t0 + ti. Row blocks stop at the keys
// their latest row sees, so a tile computes only a sliver of the causal triangle beyond the limit.
template <typename KV>
void Tile(float* out, float* lse, const Attn& a, const KV* kAll, const KV* vAll, int64_t b, int64_t g,
          int64_t t0, const Tiling& tl, const Scratch& w) {
  const int64_t rep = tl.rep, D = a.D, Dp = tl.Dp, sb = a.slots[b];
  const int64_t tq = std::min(tl.Tq, a.T - t0), M = tq * rep, Mp = RoundUp(M, kNr);
  const int64_t q0 = a.qStart[b] + t0;  // position of the tile's first query
  const int64_t nPad = RoundUp(q0 + tq, kNc);
  const float* km = a.keyMask + sb * a.S;
  const int64_t base = sb * a.S * tl.stride + g * D;
  PackKV(w, kAll + base, vAll + base, km, q0 + tq, tl.stride, D, Dp);
  for (int64_t ti = 0; ti < tq; ti++)  // the rep heads of one position are contiguous in q
    std::copy_n(a.q + ((b * a.T + t0 + ti) * a.H + g * rep) * D, rep * D, w.q + ti * rep * D);
  std::fill(w.q + M * D, w.q + Mp * D, 0.f);
  float* s = w.s;
  auto blockKeys = [&](int64_t r0) { return q0 + (std::min(r0 + kNr, M) - 1) / rep + 1; };
  for (int64_t r0 = 0; r0 < Mp; r0 += kNr) {
    const int64_t nb = blockKeys(r0);
    for (int64_t j0 = 0; j0 < nb; j0 += kNc) ScoreBlock(s + r0 * nPad + j0, nPad, w.q + r0 * D, D, w.k + j0 * D, a.scale);
  }
  for (int64_t r = 0; r < Mp; r++) {
    float* sr = s + r * nPad;
    if (r >= M) { std::fill(sr, sr + nPad, 0.f); continue; }
    const int64_t t = t0 + r / rep, h = g * rep + r % rep;
    lse[(b * a.H + h) * a.T + t] = SoftmaxRow(sr, w.inv[r], km, a.qStart[b] + t + 1, nPad);
  }
  for (int64_t r0 = 0; r0 < Mp; r0 += kNr) {
    const int64_t nb = blockKeys(r0);
    for (int64_t c0 = 0; c0 < Dp; c0 += kNc) PvBlock(w.o + r0 * Dp + c0, Dp, s + r0 * nPad, nPad, w.v + c0, Dp, nb);
  }
  for (int64_t r = 0; r < M; r++) {
    float* o = out + ((b * a.T + t0 + r / rep) * a.H + g * rep + r % rep) * D;
    const float* src = w.o + r * Dp;
    const float inv = w.inv[r];
#pragma omp simd
    for (int64_t d = 0; d < D; d++) o[d] = src[d] * inv;
  }
}

template <typename KV>
void Attention(float* out, float* lse, const Attn& a, const KV* kAll, const KV* vAll) {
  Tiling tl;
  tl.rep = a.H / a.G;
  tl.Dp = RoundUp(a.D, kNc);
  tl.stride = a.G * a.D;
  tl.Tq = std::max<int64_t>(1, std::min<int64_t>(a.T, kRows / tl.rep));
  tl.nT = (a.T + tl.Tq - 1) / tl.Tq;
  int64_t qMax = 0;
  for (int64_t b = 0; b < a.B; b++) qMax = std::max<int64_t>(qMax, a.qStart[b]);
  const int64_t Mp = RoundUp(tl.Tq * tl.rep, kNr), nCap = RoundUp(qMax + a.T, kNc), BG = a.B * a.G;
#pragma omp parallel
  {
    const Scratch w(Mp, a.D, tl.Dp, nCap);
#pragma omp for schedule(dynamic)
    for (int64_t i = 0; i < tl.nT * BG; i++) {
      const int64_t tile = tl.nT - 1 - i / BG, bg = i % BG;  // latest tiles (the most keys) first
      Tile(out, lse, a, kAll, vAll, bg / a.G, bg % a.G, tile * tl.Tq, tl, w);
    }
  }
}
}  // namespace

void attention(float* out, float* lse, const Attn& a) {
  if (a.kh) Attention(out, lse, a, a.kh, a.vh);
  else Attention(out, lse, a, a.k, a.v);
}

// Recomputes P from lse (no T² storage). Parallel over (b, g) so that the heads sharing a KV head
// accumulate dk/dv on one thread. Per query: scores and dP = dout·v of its visible keys (vectorized dots),
// then P and dS = P·(dP − dout·out)·scale in one vectorized pass, then the three accumulations.
void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                       const Attn& a) {
  const int64_t rep = a.H / a.G, D = a.D, stride = a.G * a.D;
#pragma omp parallel
  {
    std::vector<float> p(a.S), ds(a.S);
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t b = 0; b < a.B; b++) {
      for (int64_t g = 0; g < a.G; g++) {
        const int64_t sb = a.slots[b];
        const float* km = a.keyMask + sb * a.S;
        const int64_t base = sb * a.S * stride + g * D;  // key slot j at base + j·stride
        const float* kb = a.k + base; const float* vb = a.v + base;
        float* dkb = dk + base; float* dvb = dv + base;
        for (int64_t h = g * rep; h < (g + 1) * rep; h++) {
          for (int64_t t = 0; t < a.T; t++) {
            const float L = lse[(b * a.H + h) * a.T + t];
            if (L == -INFINITY) continue;
            const int64_t n = a.qStart[b] + t + 1;
            const int64_t qo = ((b * a.T + t) * a.H + h) * D;
            const float* qv = a.q + qo; const float* go = dout + qo; float* gq = dq + qo;
            const float Dt = Dot(go, out + qo, D);
            float* pp = p.data(); float* dd = ds.data();
            for (int64_t j = 0; j < n; j++) {
              if (km[j] == 0.f) { pp[j] = -INFINITY; dd[j] = 0.f; continue; }
              pp[j] = Dot(qv, kb + j * stride, D) * a.scale - L;
              dd[j] = Dot(go, vb + j * stride, D);
            }
            const float sc = a.scale;
#pragma omp simd
            for (int64_t j = 0; j < n; j++) {
              const float pj = ExpF(pp[j]);
              pp[j] = pj;
              dd[j] = pj * (dd[j] - Dt) * sc;
            }
            for (int64_t j = 0; j < n; j++) {
              if (pp[j] == 0.f) continue;  // masked, or a probability that underflowed: no gradient
              AxpyN(gq, kb + j * stride, dd[j], D);
              AxpyN(dkb + j * stride, qv, dd[j], D);
              AxpyN(dvb + j * stride, go, pp[j], D);
            }
          }
        }
      }
    }
  }
}

}  // namespace ttrl_cpu
