// The backend interface: everything above this file (model, sampler, trainer) calls these methods and
// never branches on the device. The CPU backend (native addon + OpenBLAS) is the reference; a CUDA backend
// implements the same methods. Buffers are opaque, flat Float32 arrays owned by the backend; `view` gives a
// zero-copy window so callers can address a layer's slice of the KV cache or one row of a batch.
//
// Shape letters used in the doc comments: B=batch, T=time (query tokens), S=key slots (cache capacity),
// C=hidden, H=query heads, G=KV heads (GQA), D=head dim, F=MLP hidden, V=vocab, M=rows, N=cols, K=inner.

/** How a buffer stores its values: float32, or bfloat16 (the top half of a float32: 8 exponent bits, 7
 *  mantissa bits), or split. bf16 buffers hold a frozen model's matrices and the KV cache at precision
 *  bf16; only gemm's operands, embedding's table, attention's k / v, copy, view and read accept them.
 *  A split buffer holds float32 values exactly, as their bf16 rounding (hi, round to nearest even), an int16
 *  remainder (lo) and a tie bit (native/split.h says why the bit): 4⅛ bytes a value. It holds a trainable
 *  model's matrices at precision bf16: hi is the matrix operand (no bf16 copy), hi + lo the fp32 master.
 *  gemm (hi at bf16, the exact values at fp32), embedding's table, adamw's p, axpy's y, copy, view, upload
 *  and read (exact float32) accept it. */
export type DType = 'f32' | 'bf16' | 'split';

/** The number format of matrix products: 'bf16' rounds both operands to bf16 and sums in fp32 (norms,
 *  softmax, RoPE, the loss and the optimizer stay fp32 at both precisions). */
export type Precision = 'fp32' | 'bf16';
export const PRECISIONS: readonly Precision[] = ['fp32', 'bf16'];

/** An opaque device buffer of `n` values (float32 unless dtype says bf16). */
export interface Buf {
  readonly n: number;
  readonly dtype: DType;
}

/** Token ids / positions live on the host; a backend copies them where it needs them. */
export type Ints = Int32Array;

export interface AttentionArgs {
  B: number; T: number; S: number; H: number; G: number; D: number;
  /** (B, T, H, D) queries, already rotated. */
  q: Buf;
  /** (B, S, G, D) keys / values (f32, or bf16 in a bf16 KV cache); only slots [0, qStart[b] + T) are read
   *  for row b. */
  k: Buf; v: Buf;
  /** (B, S) 1 where a key slot holds a real token, 0 for padding. */
  keyMask: Buf;
  /** (B) slot index of each row's first query: query t of row b sits at slot qStart[b] + t (causal). */
  qStart: Ints;
  /** 1/sqrt(D) normally. */
  scale: number;
  /** (B) optional: the row of k / v / keyMask (a KV-cache slot) that batch row b reads; default b. */
  slots?: Ints;
}

/**
 * How a token is drawn from a logits row (src/sample/kernel.ts has the exact rules; src/sample re-exports
 * this as its TokenPolicy).
 */
export interface TokenPolicy {
  /** 0 = greedy (argmax). Otherwise logits are divided by it before softmax. */
  temperature: number;
  /** Nucleus mass in (0, 1]; 1 = off. */
  topP: number;
  /** Keep the k most probable tokens (ties at the k-th value kept too); 0 = off. */
  topK: number;
  /** Drop tokens whose probability is below minP × the top probability; 0 = off. */
  minP: number;
}

/** Where sampleRows writes its draws (host arrays of at least B entries, reused across calls). */
export interface Draws {
  tokens: Int32Array;
  /** log softmax(logits / T)[token] over the full vocabulary (T = 1 when greedy). */
  logprobs: Float64Array;
  /** When given: the row's entropy H(softmax(logits / T)) and self-certainty logsumexp(z) − mean(z) − log V, z = logits / T. */
  entropies?: Float64Array;
  certainties?: Float64Array;
}

export interface Backend {
  readonly name: string;
  /** The format of gemm's operands. The same device's backends at the two precisions share buffers. */
  readonly precision: Precision;

  // ---- memory -------------------------------------------------------------------------------------
  /** A new zero-filled buffer of n values (float32 unless dtype says otherwise). */
  alloc(n: number, dtype?: DType): Buf;
  /** A buffer holding `data`; the CPU backend adopts the array without copying (weights are held once). */
  fromHost(data: Float32Array): Buf;
  /** A zero-copy window [offset, offset + n) of `b`. */
  view(b: Buf, offset: number, n: number): Buf;
  /** Host → device. `src.length` floats are written at `offset` (into a f32 or split buffer). */
  upload(dst: Buf, src: Float32Array, offset?: number): void;
  /** Device → host. On the CPU this is a view (no copy) of a float32 buffer; do not hold it across a
   *  mutating call. A bf16 or split buffer reads as a new float32 array (a split one exactly). */
  read(b: Buf): Float32Array;
  /** dst = src; between dtypes it converts (to bf16: round to nearest even; to and from split: exact). */
  copy(dst: Buf, src: Buf): void;
  fill(b: Buf, value: number): void;

  // ---- dense ops -----------------------------------------------------------------------------------
  /** Row-major GEMM: C(M,N) = alpha·op(A)·op(B) + beta·C, op(A) is (M,K), op(B) is (K,N); beta = 0 makes
   *  C write-only. C is f32; A and B are f32 or bf16. At precision bf16 f32 operands are rounded to bf16
   *  and the products summed in fp32; at fp32 a bf16 operand is widened. */
  gemm(C: Buf, A: Buf, Bm: Buf, M: number, N: number, K: number,
       transA: boolean, transB: boolean, alpha: number, beta: number): void;
  /** y(M,N) += bias(N) broadcast over rows. */
  addBias(y: Buf, bias: Buf, M: number, N: number): void;
  /** dbias(N) += column sums of dy(M,N). */
  biasBackward(dbias: Buf, dy: Buf, M: number, N: number): void;
  /** out = a + b, elementwise over n (out may alias a). */
  add(out: Buf, a: Buf, b: Buf): void;
  /** y += alpha·x (y f32 or split: then joined, updated and split again, bit-identical to f32). */
  axpy(y: Buf, x: Buf, alpha: number): void;
  scale(x: Buf, alpha: number): void;
  /** Σ x², accumulated in double. */
  sumSquares(x: Buf): number;

  // ---- transformer kernels (forward / backward pairs) ----------------------------------------------
  /** out(M,C) = x / rms(x) · w; rstd(M) saved for backward. */
  rmsnorm(out: Buf, rstd: Buf, x: Buf, w: Buf, M: number, C: number, eps: number): void;
  /** dx(M,C) += ..., dw(C) += ... */
  rmsnormBackward(dx: Buf, dw: Buf, dout: Buf, x: Buf, w: Buf, rstd: Buf, M: number, C: number): void;
  /** In-place rotary embedding (rotate-half convention) on x(M, nh, D) at positions pos(M);
   *  invFreq(D/2). `inverse` rotates by -angle (the backward pass). */
  rope(x: Buf, pos: Ints, invFreq: Buf, M: number, nh: number, D: number, inverse: boolean): void;
  /** out(B,T,H,D) = softmax(q·kᵀ·scale + causal/pad mask)·v; lse(B,H,T) saved for backward. */
  attention(out: Buf, lse: Buf, a: AttentionArgs): void;
  /** dq += , dk += , dv += (same shapes as q, k, v) given dout(B,T,H,D), out and lse; k and v f32. */
  attentionBackward(dq: Buf, dk: Buf, dv: Buf, dout: Buf, out: Buf, lse: Buf, a: AttentionArgs): void;
  /** out(n) = silu(gate)·up */
  siluMul(out: Buf, gate: Buf, up: Buf): void;
  /** dgate, dup (written, not accumulated) from dout. */
  siluMulBackward(dgate: Buf, dup: Buf, dout: Buf, gate: Buf, up: Buf): void;
  /** out(M,C) = table[ids[m]] (table f32, bf16 or split: exact float32 rows) */
  embedding(out: Buf, table: Buf, ids: Ints, M: number, C: number): void;
  /** dtable[ids[m]] += dout[m] */
  embeddingBackward(dtable: Buf, dout: Buf, ids: Ints, M: number, C: number): void;
  /** lp(M) = log_softmax(logits(M,V))[targets[m]]; rows with target < 0 get 0. Optionally the
   *  entropy of each row into ent(M). */
  logSoftmaxGather(lp: Buf, ent: Buf | null, logits: Buf, targets: Ints, M: number, V: number): void;
  /** dlogits(M,V) = dlp[m]·(onehot(target) − softmax) + dent[m]·dH/dlogits (written, not accumulated;
   *  rows with target < 0 and dent 0 get 0). In place allowed: dlogits may alias logits. */
  logSoftmaxGatherBackward(dlogits: Buf, logits: Buf, targets: Ints, dlp: Buf, dent: Buf | null,
                           M: number, V: number): void;

  // ---- sampling -----------------------------------------------------------------------------------
  /** One token per row b < B, drawn from logits row rows[b] (default b) of logits (·,V) with uniform u[b]
   *  in [0, 1), as src/sample/kernel.ts's drawToken (the CPU bit for bit; the CUDA backend on the device,
   *  within rounding: docs/cuda.md); throws a RangeError on a row whose maximum is not finite or that holds
   *  a NaN. */
  sampleRows(logits: Buf, V: number, B: number, rows: Ints | null, policy: TokenPolicy, u: Float64Array, out: Draws): void;

  // ---- optimizer -----------------------------------------------------------------------------------
  /** One fused AdamW update (decoupled weight decay, bias correction via bc1 = 1-β1^t, bc2 = 1-β2^t). p is
   *  f32 or split (joined, updated and split again in one pass: bit-identical to f32). */
  adamw(p: Buf, g: Buf, m: Buf, v: Buf, lr: number, beta1: number, beta2: number, eps: number,
        weightDecay: number, bc1: number, bc2: number): void;
}
