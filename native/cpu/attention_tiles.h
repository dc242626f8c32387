// The tiles both attention passes work on (attention.cc forward, attention_backward.cc backward): a work item
// is (b, KV head g, Tq consecutive positions), whose rep = H/G query heads form the M = Tq·rep rows of one tile,
// so each key is read once for all heads of its group. Scores are kept key-major, Sᵀ (keys × rows), so that
// masks and softmax run with rows in vector lanes. Here: the tiling and the two register-blocked micro-kernels
// (scores, and P·V-shaped products), plain C++ that GCC vectorizes.
#pragma once
#include <algorithm>
#include <cstdint>
#include "kernels.h"

namespace ttrl_cpu::tiles {

constexpr int64_t kRows = 64;  // rows per tile, about: a tile's scratch stays in L2 for prefill lengths
constexpr int64_t kNc = 16;    // value columns of a P·V block: two AVX2 vectors
constexpr int64_t kKeyChunk = 64;  // keys per P·V pass over a tile's rows
constexpr int64_t kPvRows = 6;     // rows of a P·V block

inline int64_t RoundUp(int64_t x, int64_t m) { return (x + m - 1) / m * m; }

// sᵀ(KR keys, RC rows) = k(KR key rows of D)·qt(D × RC panel of rows)·scale. The KR·RC/8 accumulators stay
// in registers: 12, as the FMA latency needs 8 or more in flight; per d: KR broadcasts, RC/8 loads. RC = 16
// (KR = 6) for prefill tiles; 8 (KR = 12) for decode, whose tile has only rep rows.
template <int KR, int RC>
inline void ScoreBlock(float* s, int64_t lds, const float* const* kr, const float* qt, int64_t D, float scale) {
  float acc[KR][RC] = {};
  for (int64_t d = 0; d < D; d++) {
    const float* qd = qt + d * RC;
    for (int i = 0; i < KR; i++) {
      const float kv = kr[i][d];
#pragma omp simd
      for (int c = 0; c < RC; c++) acc[i][c] += kv * qd[c];
    }
  }
  for (int i = 0; i < KR; i++) {
#pragma omp simd
    for (int c = 0; c < RC; c++) s[i * lds + c] = acc[i][c] * scale;
  }
}

// o(R rows, kNc columns) (+)= p(R rows, keys [j0, j1))·v(rows [j0, j1) of ldv, kNc columns); p is key-major
// (pᵀ, ldp). `add` continues the sums of an earlier key chunk. R = 6: 12 accumulators (the FMA latency
// needs 8 or more in flight); R < 6 for a tile's last rows.
template <int R>
inline void PvBlock(float* o, int64_t ldo, const float* pt, int64_t ldp, const float* v, int64_t ldv, int64_t j0,
                    int64_t j1, bool add) {
  float acc[R][kNc];
  for (int r = 0; r < R; r++) {
#pragma omp simd
    for (int c = 0; c < kNc; c++) acc[r][c] = add ? o[r * ldo + c] : 0.f;
  }
  for (int64_t j = j0; j < j1; j++) {
    const float* vj = v + j * ldv;
    const float* pj = pt + j * ldp;
    for (int r = 0; r < R; r++) {
      const float pr = pj[r];
#pragma omp simd
      for (int c = 0; c < kNc; c++) acc[r][c] += pr * vj[c];
    }
  }
  for (int r = 0; r < R; r++) {
#pragma omp simd
    for (int c = 0; c < kNc; c++) o[r * ldo + c] = acc[r][c];
  }
}

// Rows of the next P·V block when `left` rows remain: kPvRows, except that the last 7-8 rows go in halves rather
// than leaving a block of 1-2 rows, whose 2-4 accumulators wait on the FMA latency (a decode tile has 7 rows:
// 6 + 1 took 12% of a decode call in that one row). A row's sums do not depend on its block.
inline int64_t PvBlockRows(int64_t left) {
  return left <= kPvRows ? left : left < kPvRows + 3 ? (left + 1) / 2 : kPvRows;
}

// PvBlock over `rows` ≤ kPvRows rows, all value column blocks.
inline void PvRows(int64_t rows, float* o, const float* pt, int64_t ldp, const float* v, int64_t Dp, int64_t j0,
                   int64_t j1) {
  for (int64_t c0 = 0; c0 < Dp; c0 += kNc) {
    float* oc = o + c0;
    const float* vc = v + c0;
    switch (rows) {
      case 6: PvBlock<6>(oc, Dp, pt, ldp, vc, Dp, j0, j1, j0 > 0); break;
      case 5: PvBlock<5>(oc, Dp, pt, ldp, vc, Dp, j0, j1, j0 > 0); break;
      case 4: PvBlock<4>(oc, Dp, pt, ldp, vc, Dp, j0, j1, j0 > 0); break;
      case 3: PvBlock<3>(oc, Dp, pt, ldp, vc, Dp, j0, j1, j0 > 0); break;
      case 2: PvBlock<2>(oc, Dp, pt, ldp, vc, Dp, j0, j1, j0 > 0); break;
      default: PvBlock<1>(oc, Dp, pt, ldp, vc, Dp, j0, j1, j0 > 0); break;
    }
  }
}


struct Tiling {
  int64_t rep, Tq, nT, RC, Mp, Dp, nCap, stride;  // stride: one key slot to the next in k / v
};

/** The tiling of one call: tile size and panel widths, scratch capacities. */
inline Tiling TilingOf(const Attn& a) {
  Tiling tl;
  tl.rep = a.H / a.G;
  tl.Tq = std::max<int64_t>(1, std::min<int64_t>(a.T, kRows / tl.rep));
  tl.nT = (a.T + tl.Tq - 1) / tl.Tq;
  tl.RC = tl.Tq * tl.rep > 8 ? 16 : 8;
  tl.Mp = RoundUp(tl.Tq * tl.rep, tl.RC);
  tl.Dp = RoundUp(a.D, kNc);
  int64_t qMax = 0;
  for (int64_t b = 0; b < a.B; b++) qMax = std::max<int64_t>(qMax, a.qStart[b]);
  tl.nCap = RoundUp(qMax + a.T, kNc) + 16;  // + score rows of a last key block past the tile's keys
  tl.stride = a.G * a.D;
  return tl;
}

// sᵀ (keys × Mpt) for each RC-row panel, up to the keys its latest row sees: a tile computes only a sliver
// of the causal triangle beyond the limit. Key rows past nMax read zeros.
template <int KR, int RC>
inline void Scores(float* st, const float* qt, const float* zero, const float* kb, int64_t ldk, int64_t nMax,
                   int64_t q0, int64_t rep, int64_t M, int64_t Mpt, int64_t D, float scale) {
  for (int64_t p0 = 0; p0 < Mpt; p0 += RC) {
    const int64_t nb = q0 + (std::min(p0 + RC, M) - 1) / rep + 1;
    for (int64_t j0 = 0; j0 < nb; j0 += KR) {
      const float* kr[KR];
      for (int i = 0; i < KR; i++) kr[i] = j0 + i < nMax ? kb + (j0 + i) * ldk : zero;
      ScoreBlock<KR, RC>(st + j0 * Mpt + p0, Mpt, kr, qt + p0 * D, D, scale);
    }
  }
}

// The tile's rows of x (B,T,H,D) — row r is position t0 + r / rep, head g·rep + r % rep — as RC-row panels
// (D × RC, the score kernel's operand) and, when `rows` is given, also as rows of Dp (the P·V kernel's); zero
// past M and past D.
inline void PackRows(float* panels, float* rows, const float* x, const Attn& a, const Tiling& tl, int64_t b,
                     int64_t g, int64_t t0, int64_t M, int64_t Mpt) {
  const int64_t D = a.D, RC = tl.RC, rep = tl.rep, Dp = tl.Dp;
  for (int64_t r = 0; r < Mpt; r++) {
    float* pan = panels + (r / RC) * D * RC + r % RC;
    const float* src = r < M ? x + ((b * a.T + t0 + r / rep) * a.H + g * rep + r % rep) * D : nullptr;
    for (int64_t d = 0; d < D; d++) pan[d * RC] = src ? src[d] : 0.f;
    if (!rows) continue;
    float* row = rows + r * Dp;
    for (int64_t d = 0; d < D; d++) row[d] = src ? src[d] : 0.f;
    std::fill(row + D, row + Dp, 0.f);
  }
}

// The same for either panel width.
inline void ScoresAt(int64_t RC, float* st, const float* qt, const float* zero, const float* kb, int64_t ldk,
                     int64_t nMax, int64_t q0, int64_t rep, int64_t M, int64_t Mpt, int64_t D, float scale) {
  if (RC == 16) Scores<6, 16>(st, qt, zero, kb, ldk, nMax, q0, rep, M, Mpt, D, scale);
  else Scores<12, 8>(st, qt, zero, kb, ldk, nMax, q0, rep, M, Mpt, D, scale);
}

}  // namespace ttrl_cpu::tiles
