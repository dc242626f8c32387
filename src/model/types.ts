// The model's data shapes: a training batch, forward options, what a forward keeps for backward, and the
// per-layer records model.ts works with; plus HF's position rule for left padding.
import type { Buf } from '../tensor/backend.js';
import type { Param } from './params.js';
import type { KVCache } from './kvcache.js';

/** A training batch: token ids with a padding mask and next-token targets (−1 = no loss). */
export interface Batch {
  B: number; T: number;
  ids: Int32Array;      // (B,T)
  mask: Float32Array;   // (B,T) 1 real, 0 pad
  targets: Int32Array;  // (B,T) token to score at each position, −1 where none
}

/** Forward state kept for the backward pass. */
export interface ForwardState {
  batch: Batch;
  /** (M) log p(target) per position (0 where target is −1). */
  logprobs: Float32Array;
  /** (M) entropy of the predictive distribution at each scored position (when asked). */
  entropy: Float32Array | null;
  rows: Int32Array;     // positions with a target
  checkpoint: boolean;
  temperature: number;
}

export interface ForwardOpts {
  /** Recompute each layer during backward instead of storing its activations. */
  checkpoint?: boolean;
  entropy?: boolean;
  /** Scores log_softmax(logits / temperature), as verl's actor does for rollouts sampled at T ≠ 1. */
  temperature?: number;
}

export interface LayerParams {
  inNorm: Param; q: Param; k: Param; v: Param; qb: Param | null; kb: Param | null; vb: Param | null;
  o: Param; postNorm: Param; gate: Param; up: Param; down: Param;
  qNorm: Param | null; kNorm: Param | null;  // Qwen3's per-head RMSNorm of q and k
}

/** What one layer's forward saves for its backward. */
export interface LayerActs {
  xn: Buf; rstd1: Buf;          // (M,C), (M)
  q: Buf; k: Buf; v: Buf;       // (M,H·D), (M,G·D), (M,G·D) after RoPE
  qk: { qRaw: Buf; kRaw: Buf; qRstd: Buf; kRstd: Buf } | null;  // projections before the q/k norm (Qwen3)
  att: Buf; lse: Buf;           // (M,H·D), (B,H,T)
  x2: Buf; xn2: Buf; rstd2: Buf; // (M,C), (M,C), (M)
  gate: Buf; up: Buf; act: Buf; // (M,F) ×3
}

/** How a layer's attention reads keys: either its own fresh k/v (training) or a KV cache. */
export interface AttnCtx {
  B: number; T: number;
  pos: Int32Array;      // (M) RoPE positions
  keyMask: Buf;         // (B,T) training, or the cache's (slots,S)
  qStart: Int32Array;   // (B)
  cache: KVCache | null;
  slots: Int32Array | null;
}

/** HF's position rule for left padding: cumsum(mask) − 1, with pad positions set to 1. */
export function positionsFromMask(mask: Float32Array, B: number, T: number): Int32Array {
  const pos = new Int32Array(B * T);
  for (let b = 0; b < B; b++) {
    let c = 0;
    for (let t = 0; t < T; t++) {
      const m = mask[b * T + t]!;
      c += m;
      pos[b * T + t] = m ? c - 1 : 1;
    }
  }
  return pos;
}
