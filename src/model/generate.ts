// Greedy generation of a left-padded batch with the KV cache: the engine-level decoder (the sampler in
// src/sample builds on the same Model.step and KVCache).
import type { Model } from './model.js';
import { KVCache } from './kvcache.js';

export interface GreedyResult {
  /** New tokens per row, up to and including the first EOS. */
  tokens: number[][];
  /** (steps)(B·V) logits of each decode step, when asked for (tests compare them with HF's). */
  stepLogits: Float32Array[] | null;
}

export function greedyGenerate(model: Model, prompts: number[][], maxNew: number,
                               opts: { eosIds?: number[]; keepLogits?: boolean } = {}): GreedyResult {
  const B = prompts.length, V = model.cfg.vocabSize;
  const eos = new Set(opts.eosIds ?? model.cfg.eosIds);
  const T = Math.max(...prompts.map((p) => p.length));
  const ids = new Int32Array(B * T), mask = new Float32Array(B * T);
  prompts.forEach((p, b) => {
    const off = T - p.length;
    p.forEach((id, t) => { ids[b * T + off + t] = id; mask[b * T + off + t] = 1; });
  });
  const cache = new KVCache(model.cfg, model.be, B, T + maxNew);
  const slots = Int32Array.from({ length: B }, (_, b) => b);
  let logits = model.step(cache, slots, ids, T, mask);
  const tokens: number[][] = prompts.map(() => []);
  const done = new Array<boolean>(B).fill(false);
  const stepLogits: Float32Array[] | null = opts.keepLogits ? [] : null;
  for (let s = 0; s < maxNew; s++) {
    stepLogits?.push(logits.slice());
    const next = new Int32Array(B);
    for (let b = 0; b < B; b++) {
      next[b] = argmax(logits, b * V, V);
      if (!done[b]) { tokens[b]!.push(next[b]!); if (eos.has(next[b]!)) done[b] = true; }
    }
    if (done.every(Boolean) || s === maxNew - 1) break;
    logits = model.step(cache, slots, next, 1);
  }
  return { tokens, stepLogits };
}

export function argmax(x: Float32Array, off: number, n: number): number {
  let best = 0, bv = -Infinity;
  for (let i = 0; i < n; i++) { const v = x[off + i]!; if (v > bv) { bv = v; best = i; } }
  return best;
}
