// The model's public data shapes: a training batch, forward options, and what a forward keeps for backward.

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
