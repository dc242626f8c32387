// The naive reference of every Backend kernel: straightforward loops in float64, the living spec and the
// test oracle of every backend (test/tensor/*.test.ts). Each function mirrors the Backend method of the
// same name: same argument order, outputs first, and the same write-vs-accumulate contract (stated on each).
// Nothing here is fast; everything here is meant to be obviously right.
//
// B=batch, T=query tokens, S=key slots, H=query heads, G=KV heads, D=head dim, M=rows, N/C=cols, K=inner,
// V=vocab.

export type Vec = Float64Array;
export type Ints = Int32Array;

// ---- dense ops --------------------------------------------------------------------------------------------

/** C(M,N) = alpha·op(A)·op(B) + beta·C, row-major. op(A)(i,k) = transA ? A[k·M+i] : A[i·K+k];
 *  op(B)(k,j) = transB ? B[j·K+k] : B[k·N+j]. beta = 0 means C is write-only (BLAS: NaN in C never
 *  propagates). Also returns Σ_k |op(A)(i,k)·op(B)(k,j)| per entry: the scale of a dot product's rounding
 *  error, which tests use to set the tolerance of a float32 backend. */
export function gemm(C: Vec, A: Vec, B: Vec, M: number, N: number, K: number,
                     transA: boolean, transB: boolean, alpha: number, beta: number): Vec {
  const absSum = new Float64Array(M * N);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0, sa = 0;
      for (let k = 0; k < K; k++) {
        const a = transA ? A[k * M + i]! : A[i * K + k]!;
        const b = transB ? B[j * K + k]! : B[k * N + j]!;
        s += a * b; sa += Math.abs(a * b);
      }
      C[i * N + j] = alpha * s + (beta === 0 ? 0 : beta * C[i * N + j]!);
      absSum[i * N + j] = Math.abs(alpha) * sa;
    }
  }
  return absSum;
}

/** y(M,N) += bias(N) on every row. */
export function addBias(y: Vec, bias: Vec, M: number, N: number): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) y[i * N + j]! += bias[j]!;
}

/** dbias(N) += Σ_i dy(i, ·) (accumulates). */
export function biasBackward(dbias: Vec, dy: Vec, M: number, N: number): void {
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) dbias[j]! += dy[i * N + j]!;
}

/** out = a + b elementwise (out may alias a). */
export function add(out: Vec, a: Vec, b: Vec): void {
  for (let i = 0; i < out.length; i++) out[i] = a[i]! + b[i]!;
}

/** y += alpha·x */
export function axpy(y: Vec, x: Vec, alpha: number): void {
  for (let i = 0; i < y.length; i++) y[i]! += alpha * x[i]!;
}

/** x *= alpha */
export function scale(x: Vec, alpha: number): void {
  for (let i = 0; i < x.length; i++) x[i]! *= alpha;
}

/** Σ x² */
export function sumSquares(x: Vec): number {
  let s = 0;
  for (const v of x) s += v * v;
  return s;
}

// ---- RMSNorm -----------------------------------------------------------------------------------------------

/** out(M,C) = w · x / sqrt(mean(x²) + eps); rstd(M) = 1 / sqrt(mean(x²) + eps). Written. */
export function rmsnorm(out: Vec, rstd: Vec, x: Vec, w: Vec, M: number, C: number, eps: number): void {
  for (let i = 0; i < M; i++) {
    let ss = 0;
    for (let j = 0; j < C; j++) ss += x[i * C + j]! ** 2;
    const r = 1 / Math.sqrt(ss / C + eps);
    rstd[i] = r;
    for (let j = 0; j < C; j++) out[i * C + j] = w[j]! * x[i * C + j]! * r;
  }
}

/** Backward of rmsnorm, derived by hand: with xhat = x·r and g = dout·w,
 *  dx = r·(g − xhat·mean(g·xhat)), dw = Σ_rows dout·xhat. Both accumulate (+=). */
export function rmsnormBackward(dx: Vec, dw: Vec, dout: Vec, x: Vec, w: Vec, rstd: Vec, M: number, C: number): void {
  for (let i = 0; i < M; i++) {
    const r = rstd[i]!;
    let dot = 0;
    for (let j = 0; j < C; j++) dot += dout[i * C + j]! * w[j]! * x[i * C + j]! * r;
    const mean = dot / C;
    for (let j = 0; j < C; j++) {
      const xhat = x[i * C + j]! * r, g = dout[i * C + j]! * w[j]!;
      dw[j]! += dout[i * C + j]! * xhat;
      dx[i * C + j]! += r * (g - xhat * mean);
    }
  }
}

// ---- RoPE ----------------------------------------------------------------------------------------------------

/** In-place rotate-half RoPE on x(M, nh, D): for i < D/2, (x_i, x_{i+D/2}) rotates by angle pos[m]·invFreq[i],
 *  the angle rounded to float32 as Hugging Face computes it (then cos/sin in float64). inverse rotates by
 *  the negative angle. */
export function rope(x: Vec, pos: Ints, invFreq: Vec, M: number, nh: number, D: number, inverse: boolean): void {
  const half = D / 2;
  for (let m = 0; m < M; m++) {
    for (let h = 0; h < nh; h++) {
      const o = (m * nh + h) * D;
      for (let i = 0; i < half; i++) {
        const ang = Math.fround(pos[m]! * invFreq[i]!);
        const c = Math.cos(ang), s = inverse ? -Math.sin(ang) : Math.sin(ang);
        const a = x[o + i]!, b = x[o + i + half]!;
        x[o + i] = a * c - b * s;
        x[o + i + half] = b * c + a * s;
      }
    }
  }
}

// ---- attention ------------------------------------------------------------------------------------------------

export interface RefAttn {
  B: number; T: number; S: number; H: number; G: number; D: number;
  q: Vec;        // (B,T,H,D)
  k: Vec; v: Vec; // (rows, S, G, D): row slots[b] serves batch row b
  keyMask: Vec;  // (rows, S)
  qStart: Ints;  // (B)
  scale: number;
  slots?: Ints;  // (B), default identity
}

/** The keys visible to query t of batch row b: slot j ≤ qStart[b] + t with keyMask ≠ 0. */
function visible(a: RefAttn, b: number, t: number): number[] {
  const sb = a.slots ? a.slots[b]! : b, js: number[] = [];
  for (let j = 0; j <= a.qStart[b]! + t; j++) if (a.keyMask[sb * a.S + j] !== 0) js.push(j);
  return js;
}

/** Softmax probabilities over the visible keys of (b, h, t), and their log-sum-exp. */
function probs(a: RefAttn, b: number, h: number, t: number): { js: number[]; p: number[]; lse: number } {
  const { S, H, G, D, T } = a, g = Math.floor(h / (H / G)), sb = a.slots ? a.slots[b]! : b;
  const js = visible(a, b, t);
  const qo = ((b * T + t) * H + h) * D;
  const s = js.map((j) => {
    let d = 0;
    for (let e = 0; e < D; e++) d += a.q[qo + e]! * a.k[((sb * S + j) * G + g) * D + e]!;
    return d * a.scale;
  });
  const mx = Math.max(...s);
  const z = s.reduce((acc, x) => acc + Math.exp(x - mx), 0);
  return { js, p: s.map((x) => Math.exp(x - mx) / z), lse: js.length ? mx + Math.log(z) : -Infinity };
}

/** out(B,T,H,D) = softmax(q·kᵀ·scale over the visible keys)·v, lse(B,H,T) written. GQA: head h reads KV
 *  head floor(h / (H/G)). A query with no visible key gets out = 0 and lse = −∞. */
export function attention(out: Vec, lse: Vec, a: RefAttn): void {
  const { B, T, S, H, G, D } = a;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) {
    const { js, p, lse: L } = probs(a, b, h, t);
    const g = Math.floor(h / (H / G)), sb = a.slots ? a.slots[b]! : b, o = ((b * T + t) * H + h) * D;
    lse[(b * H + h) * T + t] = L;
    for (let e = 0; e < D; e++) {
      let acc = 0;
      js.forEach((j, i) => { acc += p[i]! * a.v[((sb * S + j) * G + g) * D + e]!; });
      out[o + e] = acc;
    }
  }
}

/** Gradients of Σ dout·out w.r.t. q, k, v, accumulated (+=). With P the probabilities of one query,
 *  dv_j += P_j·dout, dP_j = dout·v_j, dS_j = P_j·(dP_j − Σ_i P_i·dP_i), dq += scale·Σ_j dS_j·k_j,
 *  dk_j += scale·dS_j·q. Computed from scratch (no saved out / lse). */
export function attentionBackward(dq: Vec, dk: Vec, dv: Vec, dout: Vec, a: RefAttn): void {
  const { B, T, S, H, G, D } = a;
  for (let b = 0; b < B; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) {
    const { js, p } = probs(a, b, h, t);
    const g = Math.floor(h / (H / G)), sb = a.slots ? a.slots[b]! : b, qo = ((b * T + t) * H + h) * D;
    const kvo = (j: number): number => ((sb * S + j) * G + g) * D;
    const dp = js.map((j) => { let d = 0; for (let e = 0; e < D; e++) d += dout[qo + e]! * a.v[kvo(j) + e]!; return d; });
    const pdp = p.reduce((acc, pi, i) => acc + pi * dp[i]!, 0);
    js.forEach((j, i) => {
      const ds = p[i]! * (dp[i]! - pdp) * a.scale;
      for (let e = 0; e < D; e++) {
        dv[kvo(j) + e]! += p[i]! * dout[qo + e]!;
        dq[qo + e]! += ds * a.k[kvo(j) + e]!;
        dk[kvo(j) + e]! += ds * a.q[qo + e]!;
      }
    });
  }
}

// ---- SwiGLU -------------------------------------------------------------------------------------------------------

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** out = silu(gate)·up, silu(g) = g·σ(g). Written. */
export function siluMul(out: Vec, gate: Vec, up: Vec): void {
  for (let i = 0; i < out.length; i++) out[i] = gate[i]! * sigmoid(gate[i]!) * up[i]!;
}

/** dup = dout·silu(gate), dgate = dout·up·σ(g)·(1 + g·(1 − σ(g))). Written (not accumulated). */
export function siluMulBackward(dgate: Vec, dup: Vec, dout: Vec, gate: Vec, up: Vec): void {
  for (let i = 0; i < dout.length; i++) {
    const g = gate[i]!, s = sigmoid(g);
    dup[i] = dout[i]! * g * s;
    dgate[i] = dout[i]! * up[i]! * s * (1 + g * (1 - s));
  }
}

// ---- embedding -------------------------------------------------------------------------------------------------------

/** out(M,C) = table[ids[m]]. Written. */
export function embedding(out: Vec, table: Vec, ids: Ints, M: number, C: number): void {
  for (let m = 0; m < M; m++) for (let c = 0; c < C; c++) out[m * C + c] = table[ids[m]! * C + c]!;
}

/** dtable[ids[m]] += dout[m]: a repeated id gets the sum of its rows. */
export function embeddingBackward(dtable: Vec, dout: Vec, ids: Ints, M: number, C: number): void {
  for (let m = 0; m < M; m++) for (let c = 0; c < C; c++) dtable[ids[m]! * C + c]! += dout[m * C + c]!;
}

// ---- log-softmax / entropy -----------------------------------------------------------------------------------------

/** log_softmax of one row (length V starting at off). */
function logSoftmaxRow(logits: Vec, off: number, V: number): Float64Array {
  let mx = -Infinity;
  for (let j = 0; j < V; j++) mx = Math.max(mx, logits[off + j]!);
  let z = 0;
  for (let j = 0; j < V; j++) z += Math.exp(logits[off + j]! - mx);
  const lz = mx + Math.log(z), out = new Float64Array(V);
  for (let j = 0; j < V; j++) out[j] = logits[off + j]! - lz;
  return out;
}

/** lp(M) = log_softmax(logits(M,V))[targets[m]] (0 where target < 0); ent(M) = −Σ p·log p for every row
 *  (also those without a target). Written. */
export function logSoftmaxGather(lp: Vec, ent: Vec | null, logits: Vec, targets: Ints, M: number, V: number): void {
  for (let m = 0; m < M; m++) {
    const ls = logSoftmaxRow(logits, m * V, V);
    lp[m] = targets[m]! >= 0 ? ls[targets[m]!]! : 0;
    if (ent) { let h = 0; for (const l of ls) h -= Math.exp(l) * l; ent[m] = h; }
  }
}

/** dlogits(M,V) = dlp·(onehot(target) − p) + dent·(−p·(log p + H)), where the dlp term is dropped when
 *  target < 0 (dH/dz_j = −p_j·(log p_j + H) from H = −Σ p log p). Written. */
export function logSoftmaxGatherBackward(dlogits: Vec, logits: Vec, targets: Ints, dlp: Vec, dent: Vec | null,
                                         M: number, V: number): void {
  for (let m = 0; m < M; m++) {
    const ls = logSoftmaxRow(logits, m * V, V);
    let H = 0;
    for (const l of ls) H -= Math.exp(l) * l;
    const g = targets[m]! >= 0 ? dlp[m]! : 0, ge = dent ? dent[m]! : 0;
    for (let j = 0; j < V; j++) {
      const p = Math.exp(ls[j]!);
      dlogits[m * V + j] = g * ((j === targets[m] ? 1 : 0) - p) - ge * p * (ls[j]! + H);
    }
  }
}

// ---- optimizer ---------------------------------------------------------------------------------------------------------

/** One step of torch.optim.AdamW (torch/optim/adamw.py, single-tensor path), transcribed:
 *    p ← p·(1 − lr·wd);  m ← β1·m + (1−β1)·g;  v ← β2·v + (1−β2)·g²
 *    p ← p − (lr / bc1) · m / (sqrt(v) / sqrt(bc2) + eps),  bc1 = 1 − β1^t, bc2 = 1 − β2^t. */
export function adamw(p: Vec, g: Vec, m: Vec, v: Vec, lr: number, beta1: number, beta2: number, eps: number,
                      weightDecay: number, bc1: number, bc2: number): void {
  for (let i = 0; i < p.length; i++) {
    p[i]! *= 1 - lr * weightDecay;
    m[i] = beta1 * m[i]! + (1 - beta1) * g[i]!;
    v[i] = beta2 * v[i]! + (1 - beta2) * g[i]! * g[i]!;
    p[i]! -= (lr / bc1) * m[i]! / (Math.sqrt(v[i]!) / Math.sqrt(bc2) + eps);
  }
}
