// Causal attention backward on the forward's tiles (attention_tiles.h).
#include "math.h"  // first: its pragma must precede the standard headers
#include <algorithm>
#include <cmath>
#include <vector>
#include "attention_tiles.h"
#include "kernels.h"

namespace ttrl_cpu {

// ---- backward --------------------------------------------------------------------------------------------
// The forward's tiles again, P recomputed from lse (no T² storage). Per tile (M rows of one KV head's group,
// keys [0, nMax)): Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ with the forward's score kernel, then P = exp(S − lse) and
// dS = P·(dP − rowsum(dO∘O))·scale in vector lanes over rows (0 where a row may not see the key), then
// dQ += dS·K, dK += dSᵀ·Q and dV += Pᵀ·dO with the forward's P·V kernel. A thread owns a (b, g) and all its
// tiles, so dK and dV accumulate without races. Scores a panel did not compute, and whatever masked key
// slots hold, never reach a gradient: every use goes through the visibility select.
namespace {
using namespace tiles;


// One thread's backward scratch (it only grows, as the forward's).
struct BwdScratch {
  float *qt, *gt, *qr, *gr, *kp, *st, *dst, *tr, *o, *acc, *nr, *L, *Dt, *zero;
  BwdScratch(const Tiling& tl, int64_t D) {
    thread_local std::vector<float> buf;
    const int64_t Mp = tl.Mp, n = tl.nCap, Dp = tl.Dp;
    const int64_t need = 2 * Mp * D + 3 * Mp * Dp + 2 * n * Dp + 3 * n * Mp + 3 * Mp + D;
    if ((int64_t)buf.size() < need) buf.resize(need);
    qt = buf.data(); gt = qt + Mp * D; qr = gt + Mp * D; gr = qr + Mp * Dp; o = gr + Mp * Dp;
    kp = o + Mp * Dp; acc = kp + n * Dp; st = acc + n * Dp; dst = st + n * Mp; tr = dst + n * Mp;
    nr = tr + n * Mp; L = nr + Mp; Dt = L + Mp; zero = Dt + Mp;
    std::fill(zero, zero + D, 0.f);
  }
};

// Per row: the keys it sees (0 for padding and for a row that saw none), its lse and rowsum(dO∘O).
void RowStats(const BwdScratch& w, const float* dout, const float* out, const float* lse, const Attn& a,
              const Tiling& tl, int64_t b, int64_t g, int64_t t0, int64_t M, int64_t Mpt) {
  const int64_t rep = tl.rep, q0 = a.qStart[b] + t0;
  for (int64_t r = 0; r < Mpt; r++) {
    w.nr[r] = 0.f; w.L[r] = 0.f; w.Dt[r] = 0.f;
    if (r >= M) continue;
    const int64_t t = t0 + r / rep, h = g * rep + r % rep, qo = ((b * a.T + t) * a.H + h) * a.D;
    const float L = lse[(b * a.H + h) * a.T + t];
    if (L == -INFINITY) continue;
    w.nr[r] = (float)(q0 + r / rep + 1);
    w.L[r] = L;
    w.Dt[r] = Dot(dout + qo, out + qo, a.D);
  }
}

// Sᵀ → Pᵀ and dPᵀ → dSᵀ in place, rows in lanes.
void Probabilities(const BwdScratch& w, const float* km, int64_t nMax, int64_t Mpt, float scale) {
  for (int64_t j = 0; j < nMax; j++) {
    float* sj = w.st + j * Mpt;
    float* dj = w.dst + j * Mpt;
    const bool live = km[j] != 0.f;
    const float jf = (float)j;
#pragma omp simd
    for (int64_t r = 0; r < Mpt; r++) {
      const bool vis = live && jf < w.nr[r];
      const float p = vis ? ExpF(sj[r] - w.L[r]) : 0.f;
      dj[r] = vis ? p * (dj[r] - w.Dt[r]) * scale : 0.f;
      sj[r] = p;
    }
  }
}

// acc(nMax keys × Dp) = xᵀ·rows: x key-major (nMax × Mpt) transposed into row-major first, then keys in
// blocks of PvBlockRows; and added to the cache-shaped gradient g (masked keys get nothing).
void KeyGrad(float* g, int64_t stride, const BwdScratch& w, const float* xt, const float* rows, const float* km,
             int64_t nMax, int64_t M, int64_t Mpt, int64_t D, int64_t Dp) {
  for (int64_t r = 0; r < M; r++)
    for (int64_t j = 0; j < nMax; j++) w.tr[r * nMax + j] = xt[j * Mpt + r];
  for (int64_t j0 = 0, n; j0 < nMax; j0 += n) {
    n = PvBlockRows(nMax - j0);
    PvRows(n, w.acc + j0 * Dp, w.tr + j0, nMax, rows, Dp, 0, M);
  }
  for (int64_t j = 0; j < nMax; j++)
    if (km[j] != 0.f) AxpyN(g + j * stride, w.acc + j * Dp, 1.f, D);
}

void BackwardTile(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                  const Attn& a, const Tiling& tl, const BwdScratch& w, int64_t b, int64_t g, int64_t t0) {
  const int64_t D = a.D, Dp = tl.Dp, rep = tl.rep, sb = a.slots[b], base = sb * a.S * tl.stride + g * D;
  const int64_t tq = std::min(tl.Tq, a.T - t0), M = tq * rep, Mpt = RoundUp(M, tl.RC);
  const int64_t q0 = a.qStart[b] + t0, nMax = q0 + tq;
  const float* km = a.keyMask + sb * a.S;
  PackRows(w.qt, w.qr, a.q, a, tl, b, g, t0, M, Mpt);
  PackRows(w.gt, w.gr, dout, a, tl, b, g, t0, M, Mpt);
  RowStats(w, dout, out, lse, a, tl, b, g, t0, M, Mpt);
  for (int64_t j = 0; j < nMax; j++) {  // keys as rows for dQ, masked ones zero (their slots may hold NaN)
    float* row = w.kp + j * Dp;
    const float* kj = a.k + base + j * tl.stride;
    for (int64_t d = 0; d < D; d++) row[d] = km[j] != 0.f ? kj[d] : 0.f;
    std::fill(row + D, row + Dp, 0.f);
  }
  ScoresAt(tl.RC, w.st, w.qt, w.zero, a.k + base, tl.stride, nMax, q0, rep, M, Mpt, D, a.scale);
  ScoresAt(tl.RC, w.dst, w.gt, w.zero, a.v + base, tl.stride, nMax, q0, rep, M, Mpt, D, 1.f);
  Probabilities(w, km, nMax, Mpt, a.scale);
  for (int64_t j0 = 0; j0 < nMax; j0 += kKeyChunk) {  // dQ = dS·K, a chunk of keys at a time (L1)
    const int64_t j1 = std::min(j0 + kKeyChunk, nMax);
    for (int64_t r0 = 0, n; r0 < M; r0 += n) {
      n = PvBlockRows(M - r0);
      PvRows(n, w.o + r0 * Dp, w.dst + r0, Mpt, w.kp, Dp, j0, j1);
    }
  }
  for (int64_t r = 0; r < M; r++) {
    const int64_t t = t0 + r / rep, h = g * rep + r % rep;
    AxpyN(dq + ((b * a.T + t) * a.H + h) * D, w.o + r * Dp, 1.f, D);
  }
  KeyGrad(dk + base, tl.stride, w, w.dst, w.qr, km, nMax, M, Mpt, D, Dp);
  KeyGrad(dv + base, tl.stride, w, w.st, w.gr, km, nMax, M, Mpt, D, Dp);
}

}  // namespace

void attentionBackward(float* dq, float* dk, float* dv, const float* dout, const float* out, const float* lse,
                       const Attn& a) {
  const Tiling tl = TilingOf(a);
#pragma omp parallel
  {
    const BwdScratch w(tl, a.D);
#pragma omp for collapse(2) schedule(dynamic)
    for (int64_t b = 0; b < a.B; b++)
      for (int64_t g = 0; g < a.G; g++)
        for (int64_t tile = 0; tile < tl.nT; tile++)
          BackwardTile(dq, dk, dv, dout, out, lse, a, tl, w, b, g, tile * tl.Tq);
  }
}

}  // namespace ttrl_cpu
