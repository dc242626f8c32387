// Causal attention over a slotted KV cache (grouped-query), forward and backward, both on tiles of queries as
// small matrix products (register-blocked micro-kernels on per-thread scratch). Neither stores a T×S score
// matrix for the whole batch.
#include "math.h"  // first: its pragma must precede the standard headers
#include <algorithm>
#include <cmath>
#include <type_traits>
#include <vector>
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

inline float ToF(float x) { return x; }
inline float ToF(uint16_t h) { return Widen(h); }

struct Tiling {
  int64_t rep, Tq, nT, RC, Mp, Dp, nCap, stride;  // stride: one key slot to the next in k / v
};

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

// Rows r = ti·rep + (h − g·rep) of positions t0 + ti into RC-row panels, d-major (panel: D × RC), zero past M;
// nr[r] = the keys row r may see (causal), 0 for padding rows.
void PackQ(const Scratch& w, const Attn& a, const Tiling& tl, int64_t b, int64_t g, int64_t t0, int64_t M,
           int64_t Mpt) {
  const int64_t D = a.D, RC = tl.RC, rep = tl.rep, q0 = a.qStart[b] + t0;
  for (int64_t r = 0; r < Mpt; r++) {
    float* dst = w.qt + (r / RC) * D * RC + r % RC;
    w.nr[r] = r < M ? (float)(q0 + r / rep + 1) : 0.f;
    if (r >= M) { for (int64_t d = 0; d < D; d++) dst[d * RC] = 0.f; continue; }
    const float* src = a.q + ((b * a.T + t0 + r / rep) * a.H + g * rep + r % rep) * D;
    for (int64_t d = 0; d < D; d++) dst[d * RC] = src[d];
  }
}

// sᵀ (keys × Mpt) for each RC-row panel, up to the keys its latest row sees: a tile computes only a sliver
// of the causal triangle beyond the limit. Key rows past nMax read zeros.
template <int KR, int RC>
void Scores(float* st, const float* qt, const float* zero, const float* kb, int64_t ldk, int64_t nMax, int64_t q0,
            int64_t rep, int64_t M, int64_t Mpt, int64_t D, float scale) {
  for (int64_t p0 = 0; p0 < Mpt; p0 += RC) {
    const int64_t nb = q0 + (std::min(p0 + RC, M) - 1) / rep + 1;
    for (int64_t j0 = 0; j0 < nb; j0 += KR) {
      const float* kr[KR];
      for (int i = 0; i < KR; i++) kr[i] = j0 + i < nMax ? kb + (j0 + i) * ldk : zero;
      ScoreBlock<KR, RC>(st + j0 * Mpt + p0, Mpt, kr, qt + p0 * D, D, scale);
    }
  }
}

// The same for either panel width.
inline void ScoresAt(int64_t RC, float* st, const float* qt, const float* zero, const float* kb, int64_t ldk,
                     int64_t nMax, int64_t q0, int64_t rep, int64_t M, int64_t Mpt, int64_t D, float scale) {
  if (RC == 16) Scores<6, 16>(st, qt, zero, kb, ldk, nMax, q0, rep, M, Mpt, D, scale);
  else Scores<12, 8>(st, qt, zero, kb, ldk, nMax, q0, rep, M, Mpt, D, scale);
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
    for (int64_t r0 = 0; r0 < M; r0 += kPvRows) {
      const int64_t rows = std::min(kPvRows, M - r0);
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

Tiling TilingOf(const Attn& a) {
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

// ---- backward --------------------------------------------------------------------------------------------
// The forward's tiles again, P recomputed from lse (no T² storage). Per tile (M rows of one KV head's group,
// keys [0, nMax)): Sᵀ = K·Qᵀ and dPᵀ = V·dOᵀ with the forward's score kernel, then P = exp(S − lse) and
// dS = P·(dP − rowsum(dO∘O))·scale in vector lanes over rows (0 where a row may not see the key), then
// dQ += dS·K, dK += dSᵀ·Q and dV += Pᵀ·dO with the forward's P·V kernel. A thread owns a (b, g) and all its
// tiles, so dK and dV accumulate without races. Scores a panel did not compute, and whatever masked key
// slots hold, never reach a gradient: every use goes through the visibility select.
namespace {

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

// The tile's rows of x (B,T,H,D) as RC-row panels (D × RC) and as rows (Dp columns), zero past M / D.
void PackRows(float* panels, float* rows, const float* x, const Attn& a, const Tiling& tl, int64_t b, int64_t g,
              int64_t t0, int64_t M, int64_t Mpt) {
  const int64_t D = a.D, RC = tl.RC, rep = tl.rep, Dp = tl.Dp;
  for (int64_t r = 0; r < Mpt; r++) {
    float* pan = panels + (r / RC) * D * RC + r % RC;
    float* row = rows + r * Dp;
    const float* src = r < M ? x + ((b * a.T + t0 + r / rep) * a.H + g * rep + r % rep) * D : nullptr;
    for (int64_t d = 0; d < D; d++) pan[d * RC] = row[d] = src ? src[d] : 0.f;
    std::fill(row + D, row + Dp, 0.f);
  }
}

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
// blocks of kPvRows; and added to the cache-shaped gradient g (masked keys get nothing).
void KeyGrad(float* g, int64_t stride, const BwdScratch& w, const float* xt, const float* rows, const float* km,
             int64_t nMax, int64_t M, int64_t Mpt, int64_t D, int64_t Dp) {
  for (int64_t r = 0; r < M; r++)
    for (int64_t j = 0; j < nMax; j++) w.tr[r * nMax + j] = xt[j * Mpt + r];
  for (int64_t j0 = 0; j0 < nMax; j0 += kPvRows)
    PvRows(std::min(kPvRows, nMax - j0), w.acc + j0 * Dp, w.tr + j0, nMax, rows, Dp, 0, M);
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
    for (int64_t r0 = 0; r0 < M; r0 += kPvRows) PvRows(std::min(kPvRows, M - r0), w.o + r0 * Dp, w.dst + r0, Mpt, w.kp, Dp, j0, j1);
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
        for (int64_t tile = 0; tile < tl.nT; tile++) BackwardTile(dq, dk, dv, dout, out, lse, a, tl, w, b, g, tile * tl.Tq);
  }
}

}  // namespace ttrl_cpu
