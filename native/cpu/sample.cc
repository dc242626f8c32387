// Token sampling on the CPU: one draw per logits row, rows spread over OpenMP threads, and its N-API glue.
//
// This is src/sample/kernel.ts (the reference) in C++, operation for operation, so a row gives the same
// token and log-prob, bit for bit, for the same uniform u: the weights w_i = ExpF(fl((l_i − max l) · (1/T)))
// are math.h's float exp, compiled here without fused multiply-adds (kernel.ts's expF repeats it op for op);
// the sums over the vocabulary run in double in 8 lanes (lane j adds the indices ≡ j mod 8 in order, then
// ((0+1)+(2+3))+((4+5)+(6+7))) so that they vectorize and kernel.ts can follow the same order; the
// normaliser's log comes from a log that rounds exactly as V8's Math.log (fdlibm's algorithm: LogD); and
// top-k / top-p / min-p pick the same thresholds. The log-prob is (l_tok − max) / T − log Σ w in double, the
// full-vocabulary log-softmax before truncation (kernel.ts explains why).
//
// B = rows, V = vocabulary.
// Matching kernel.ts bit for bit needs each product and sum rounded on its own: no fused multiply-adds in this
// file, math.h's ExpF included (so this pragma comes before it).
#pragma GCC optimize("fp-contract=off")
#include "math.h"  // first after the pragma: its own pragma must precede the standard headers
#include <omp.h>
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>
#include "glue.h"

namespace ttrl_cpu {

struct TokenPolicy { double temperature, topP, minP; int64_t topK; };

namespace {

inline double FromBits(uint64_t b) { double d; std::memcpy(&d, &b, sizeof d); return d; }
inline uint64_t Bits(double d) { uint64_t b; std::memcpy(&b, &d, sizeof b); return b; }

// log x for a finite x ≥ 1 (here Σ w ≥ 1), rounded exactly as fdlibm's log (V8's Math.log): x = 2^k·(1+f)
// with 1+f in [√2/2, √2), log(1+f) = f − s·(f − R(s²)) with s = f/(2+f) and R a degree-14 polynomial in
// s (even terms only), and k·ln2 added in two parts. Once per row, so plain branches.
double LogD(double x) {
  const double ln2hi = 6.93147180369123816490e-01, ln2lo = 1.90821492927058770002e-10;
  const double Lg1 = 6.666666666666735130e-01, Lg2 = 3.999999999940941908e-01, Lg3 = 2.857142874366239149e-01,
               Lg4 = 2.222219843214978396e-01, Lg5 = 1.818357216161805012e-01, Lg6 = 1.531383769920937332e-01,
               Lg7 = 1.479819860511658591e-01;
  const uint64_t bits = Bits(x);
  int32_t hx = (int32_t)(bits >> 32);
  int32_t k = (hx >> 20) - 1023;
  hx &= 0x000fffff;
  const int32_t i = (hx + 0x95f64) & 0x100000;  // is the mantissa above √2? then use x/2
  x = FromBits(((uint64_t)(uint32_t)(hx | (i ^ 0x3ff00000)) << 32) | (bits & 0xffffffffull));
  k += i >> 20;
  const double f = x - 1.0, dk = (double)k;
  if ((0x000fffff & (2 + hx)) < 3) {  // |f| < 2^-20
    if (f == 0.0) return k == 0 ? 0.0 : dk * ln2hi + dk * ln2lo;
    const double R = f * f * (0.5 - 0.33333333333333333 * f);
    return k == 0 ? f - R : dk * ln2hi - ((R - dk * ln2lo) - f);
  }
  const double s = f / (2.0 + f), z = s * s, w = z * z;
  const double t1 = w * (Lg2 + w * (Lg4 + w * Lg6)), t2 = z * (Lg1 + w * (Lg3 + w * (Lg5 + w * Lg7)));
  const double R = t2 + t1;
  if (((hx - 0x6147a) | (0x6b851 - hx)) > 0) {
    const double hfsq = 0.5 * f * f;
    return k == 0 ? f - (hfsq - s * (hfsq + R)) : dk * ln2hi - ((hfsq - (s * (hfsq + R) + dk * ln2lo)) - f);
  }
  return k == 0 ? f - s * (f - R) : dk * ln2hi - ((s * (f - R) - dk * ln2lo) - f);
}

// Reused per thread: (V) weights and (V) selection scratch.
struct Scratch { std::vector<float> w, sel; };

constexpr int kLanes = 8;
inline double Combine(const double* a) { return ((a[0] + a[1]) + (a[2] + a[3])) + ((a[4] + a[5]) + (a[6] + a[7])); }

// Σ w_i over w_i ≥ c, in lanes (kernel.ts's laneSum).
double LaneSum(const float* w, int64_t n, double c) {
  double acc[kLanes] = {0};
  int64_t i = 0;
  for (; i + kLanes <= n; i += kLanes) {
#pragma omp simd
    for (int j = 0; j < kLanes; j++) acc[j] += w[i + j] >= c ? (double)w[i + j] : 0.0;
  }
  for (int j = 0; j < kLanes && i + j < n; j++) acc[j] += w[i + j] >= c ? (double)w[i + j] : 0.0;
  return Combine(acc);
}

// w_i = ExpF(fl((l_i − mx) · invT)); returns Σ w and, in sums[0..1], Σ l_i and Σ w_i (l_i − mx), all in lanes.
double FillWeights(const float* row, int64_t V, float mx, double invT, float* w, double* sums) {
  double sw[kLanes] = {0}, sl[kLanes] = {0}, swd[kLanes] = {0};
  const double dmx = mx;
  auto one = [&](int64_t i, int j) {
    const double d = (double)row[i] - dmx;  // exact
    const float e = ExpF((float)(d * invT));
    w[i] = e;
    sw[j] += (double)e;
    sl[j] += (double)row[i];
    swd[j] += d > -HUGE_VAL ? (double)e * d : 0.0;  // a −∞ logit adds 0, not 0·(−∞) (a double test: vectorizes)
  };
  int64_t i = 0;
  for (; i + kLanes <= V; i += kLanes) {
#pragma omp simd
    for (int j = 0; j < kLanes; j++) one(i + j, j);
  }
  for (int j = 0; j < kLanes && i + j < V; j++) one(i + j, j);
  sums[0] = Combine(sl);
  sums[1] = Combine(swd);
  return Combine(sw);
}

// The weight threshold of the kept set {w ≥ thr} (0 = keep all), kernel.ts's keepThreshold.
double KeepThreshold(const float* w, double total, const TokenPolicy& p, int64_t V, Scratch& s) {
  double thr = 0;
  double mass = total;
  if (p.topK > 0 && p.topK < V) {
    s.sel.assign(w, w + V);
    std::nth_element(s.sel.begin(), s.sel.begin() + (p.topK - 1), s.sel.end(), std::greater<float>());
    thr = s.sel[p.topK - 1];
    mass = LaneSum(w, V, thr);
  }
  if (p.topP < 1) {
    // nucleus: sort only the candidates above a cut, lowered by 2^-10 until they hold the needed mass
    const double need = p.topP * mass;
    double cut = 0x1p-10;
    int64_t n = 0;
    for (;;) {
      const double c = std::max(cut, thr);
      n = 0;
      for (int64_t i = 0; i < V; i++) if (w[i] >= c) s.sel[n++] = w[i];
      if (LaneSum(s.sel.data(), n, c) >= need || c <= thr) break;
      cut = cut > 0x1p-60 ? cut * 0x1p-10 : 0;
    }
    std::sort(s.sel.begin(), s.sel.begin() + n);
    double cum = 0;
    double nucleus = n > 0 ? s.sel[0] : 0;
    for (int64_t i = n - 1; i >= 0; i--) {
      cum += s.sel[i];
      if (cum >= need) { nucleus = s.sel[i]; break; }
    }
    thr = std::max(thr, nucleus);
  }
  if (p.minP > 0) thr = std::max(thr, p.minP);
  return thr;
}

// The first kept token (w ≥ thr, w > 0) in vocabulary order whose cumulative weight exceeds target, kernel.ts's
// inverseCdf: the running sum goes block by block (8 tokens, each block's kept weights summed as in Combine),
// then token by token inside the block it crosses; 8× fewer dependent additions than token by token.
int64_t InverseCdf(const float* w, int64_t V, double thr, double target) {
  double cum = 0;
  int64_t i = 0;
  for (; i + kLanes <= V; i += kLanes) {
    double k[kLanes];
#pragma omp simd
    for (int j = 0; j < kLanes; j++) k[j] = w[i + j] >= thr && w[i + j] > 0 ? (double)w[i + j] : 0.0;
    const double block = Combine(k);
    if (cum + block > target) break;
    cum += block;
  }
  int64_t last = -1;  // the block (or tail) that crosses; rounding may leave it a hair short: its last kept token
  for (const int64_t end = std::min(i + kLanes, V); i < end; i++) {
    const float x = w[i];
    if (x >= thr && x > 0) { cum += x; last = i; if (cum > target) return i; }
  }
  for (int64_t j = V - 1; last < 0 && j >= 0; j--) if (w[j] >= thr && w[j] > 0) last = j;  // u·mass rounded up
  return last;
}

// One row: returns false when its maximum is not finite (or it holds a NaN).
bool DrawRow(const float* row, int64_t V, const TokenPolicy& p, double u, Scratch& s, int32_t* token,
             double* logprob, double* entropy, double* certainty) {
  float mx = -INFINITY;
  bool nan = false;
#pragma omp simd reduction(max : mx) reduction(|| : nan)
  for (int64_t i = 0; i < V; i++) { mx = row[i] > mx ? row[i] : mx; nan = nan || row[i] != row[i]; }
  if (nan || !std::isfinite(mx)) return false;
  const double T = p.temperature > 0 ? p.temperature : 1, dmx = mx;
  float* w = s.w.data();
  double sums[2];
  const double total = FillWeights(row, V, mx, 1.0 / T, w, sums);
  const double lz = LogD(total);
  // the row's entropy and self-certainty at T (the label-free rewards; kernel.ts): log p_i = (l_i − max)/T − lz,
  // H = lz − Σ w_i (l_i − max) / (T Σ w); logsumexp(z) − mean(z) − log V = lz + (max − mean l) / T − log V
  if (entropy) *entropy = lz - sums[1] / (T * total);
  if (certainty) *certainty = lz + (dmx - sums[0] / (double)V) / T - LogD((double)V);
  if (p.temperature == 0) {
    int64_t top = 0;
    while (row[top] != mx) top++;  // the first maximum, as torch.argmax
    *token = (int32_t)top;
    *logprob = -lz;
    return true;
  }
  const double thr = KeepThreshold(w, total, p, V, s);
  const double mass = thr > 0 ? LaneSum(w, V, thr) : total;
  const int64_t pick = InverseCdf(w, V, thr, u * mass);
  *token = (int32_t)pick;
  *logprob = ((double)row[pick] - dmx) / T - lz;
  return true;
}

}  // namespace

// Draws tokens[b] from logits row rows ? rows[b] : b with uniform u[b]. Returns the first failing row
// (non-finite maximum or NaN) or −1.
int64_t sampleRows(const float* logits, int64_t V, const int32_t* rows, int64_t B, const TokenPolicy& p,
                   const double* u, int32_t* tokens, double* logprobs, double* entropies, double* certainties) {
  int64_t bad = -1;
#pragma omp parallel if (B > 1)
  {
    static thread_local Scratch s;
    if ((int64_t)s.w.size() < V) { s.w.resize(V); s.sel.resize(V); }
#pragma omp for schedule(dynamic, 1)
    for (int64_t b = 0; b < B; b++) {
      const float* row = logits + (rows ? (int64_t)rows[b] : b) * V;
      if (!DrawRow(row, V, p, u[b], s, tokens + b, logprobs + b, entropies ? entropies + b : nullptr,
                   certainties ? certainties + b : nullptr)) {
#pragma omp critical
        if (bad < 0 || b < bad) bad = b;
      }
    }
  }
  return bad;
}

namespace {

// sampleRows(logits F32 (R·V), V, rows Int32Array | null, B, temperature, topP, topK, minP, u F64 (B),
//            tokens Int32Array (B), logprobs F64 (B)[, entropies F64 (B) | null, certainties F64 (B) | null])
Napi::Value SampleRows(const Napi::CallbackInfo& info) {
  const Napi::Env env = info.Env();
  const float* logits = F(info[0]);
  const int64_t R = (int64_t)Len(info[0]), V = N(info[1]), B = N(info[3]);
  const int32_t* rows = info[2].IsNull() ? nullptr : I(info[2]);
  const TokenPolicy p{Dbl(info[4]), Dbl(info[5]), Dbl(info[7]), N(info[6])};
  auto u = info[8].As<Napi::Float64Array>();
  auto tokens = info[9].As<Napi::Int32Array>();
  auto lps = info[10].As<Napi::Float64Array>();
  const bool stats = info.Length() > 12 && !info[11].IsNull() && !info[11].IsUndefined();
  double* ents = stats ? info[11].As<Napi::Float64Array>().Data() : nullptr;
  double* certs = stats ? info[12].As<Napi::Float64Array>().Data() : nullptr;
  std::string err;
  if (V <= 0 || R % V != 0) err = "sampleRows: logits length " + std::to_string(R) + " is not a multiple of V = " + std::to_string(V);
  else if ((int64_t)u.ElementLength() < B || (int64_t)tokens.ElementLength() < B || (int64_t)lps.ElementLength() < B)
    err = "sampleRows: u, tokens and logprobs need " + std::to_string(B) + " entries";
  else if (rows && (int64_t)info[2].As<Napi::Int32Array>().ElementLength() < B) err = "sampleRows: rows has fewer than B entries";
  else if (stats && ((int64_t)info[11].As<Napi::Float64Array>().ElementLength() < B || (int64_t)info[12].As<Napi::Float64Array>().ElementLength() < B))
    err = "sampleRows: entropies and certainties need " + std::to_string(B) + " entries";
  for (int64_t b = 0; err.empty() && b < B; b++) {
    const int64_t r = rows ? rows[b] : b;
    if (r < 0 || r >= R / V) err = "sampleRows: row " + std::to_string(r) + " outside the " + std::to_string(R / V) + " logits rows";
  }
  if (err.empty()) {
    const int64_t bad = sampleRows(logits, V, rows, B, p, u.Data(), tokens.Data(), lps.Data(), ents, certs);
    if (bad >= 0) err = "logits row " + std::to_string(rows ? rows[bad] : bad) + " has a non-finite maximum or a NaN";
  }
  if (!err.empty()) Napi::RangeError::New(env, err).ThrowAsJavaScriptException();
  return env.Undefined();
}

}  // namespace

void RegisterSample(Napi::Env env, Napi::Object exports) { Def(env, exports, "sampleRows", SampleRows); }

}  // namespace ttrl_cpu
