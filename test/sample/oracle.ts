// Test oracles for the sampler, written the slow obvious way: full sorts, full forwards without a KV cache.
import type { Model } from '../../src/model/model.js';
import type { TokenPolicy } from '../../src/sample/params.js';
import { parseConfig } from '../../src/model/config.js';
import { initModel } from '../../src/model/model.js';
import { Rng } from '../../src/util/rng.js';

/** log softmax(row / T) in float64, over the whole row. */
/** Token policies that cover temperature, top-p, top-k, min-p, their combinations and greedy. */
export const POLICIES: TokenPolicy[] = [
  { temperature: 1, topP: 1, topK: 0, minP: 0 },
  { temperature: 0.6, topP: 0.95, topK: 0, minP: 0 },
  { temperature: 0.7, topP: 0.5, topK: 0, minP: 0 },
  { temperature: 1.3, topP: 1, topK: 5, minP: 0 },
  { temperature: 0.8, topP: 0.9, topK: 20, minP: 0 },
  { temperature: 1, topP: 1, topK: 0, minP: 0.1 },
  { temperature: 0.9, topP: 0.8, topK: 12, minP: 0.05 },
  { temperature: 2, topP: 0.3, topK: 1, minP: 0 },
  { temperature: 0, topP: 1, topK: 0, minP: 0 },
];

export function logSoftmax(row: ArrayLike<number>, T = 1): number[] {
  const z = Array.from(row, (x) => x / T);
  const m = z.reduce((a, x) => Math.max(a, x), -Infinity);
  const lse = m + Math.log(z.reduce((a, x) => a + Math.exp(x - m), 0));
  return z.map((x) => x - lse);
}

/**
 * The sampling distribution by definition: softmax(l / T); top-k keeps p ≥ k-th largest p; top-p walks
 * the top-k survivors in decreasing order and keeps each while the mass before it is < topP (renormalised
 * over the survivors), plus exact ties of the last kept one; min-p keeps p ≥ minP · max p. Renormalised.
 */
export function naiveDistribution(row: ArrayLike<number>, pol: TokenPolicy): number[] {
  const V = row.length;
  if (pol.temperature === 0) {
    const a = Array.from(row);
    const top = a.indexOf(a.reduce((x, y) => Math.max(x, y), -Infinity));
    return a.map((_, i) => (i === top ? 1 : 0));
  }
  const p = logSoftmax(row, pol.temperature).map(Math.exp);
  const order = Array.from({ length: V }, (_, i) => i).sort((a, b) => p[b]! - p[a]! || a - b);
  const keep = new Array<boolean>(V).fill(true);
  if (pol.topK > 0 && pol.topK < V) {
    const kth = p[order[pol.topK - 1]!]!;
    for (let i = 0; i < V; i++) keep[i] = p[i]! >= kth;
  }
  if (pol.topP < 1) {
    const mass = p.reduce((a, x, i) => a + (keep[i] ? x : 0), 0);
    let before = 0, last = Infinity;
    for (const i of order) {
      if (!keep[i]) continue;
      if (before < pol.topP * mass || p[i] === last) { last = p[i]!; before += p[i]!; } else keep[i] = false;
    }
  }
  if (pol.minP > 0) {
    const pmax = p.reduce((a, x) => Math.max(a, x), 0);
    for (let i = 0; i < V; i++) keep[i] = keep[i]! && p[i]! >= pol.minP * pmax;
  }
  const kept = p.reduce((a, x, i) => a + (keep[i] ? x : 0), 0);
  return p.map((x, i) => (keep[i] ? x / kept : 0));
}

/** Inverse CDF in vocabulary order: the first token whose cumulative probability exceeds u. */
export function pickByU(dist: number[], u: number): number {
  let cum = 0, last = 0;
  for (let i = 0; i < dist.length; i++) {
    if (dist[i]! <= 0) continue;
    cum += dist[i]!; last = i;
    if (cum > u) return i;
  }
  return last;
}

/** Last-position logits (V) of `ids` by a full forward (no KV cache). */
export function lastLogits(model: Model, ids: number[]): Float32Array {
  const T = ids.length, V = model.cfg.vocabSize;
  const all = model.forwardLogits({ B: 1, T, ids: Int32Array.from(ids), mask: new Float32Array(T).fill(1) });
  return all.slice((T - 1) * V, T * V);
}

export interface RefSample { ids: number[]; logprobs: number[]; finishReason: 'eos' | 'length' }

/** One completion by brute force with stream new Rng(seed, key, j): a full forward per token, naive policy. */
export function referenceSample(model: Model, prompt: number[], pol: TokenPolicy, maxNew: number, eos: number[],
                                seed: number, key: number, j: number): RefSample {
  const rng = new Rng(seed, key, j);
  const ids: number[] = [], logprobs: number[] = [];
  for (let s = 0; s < maxNew; s++) {
    const row = lastLogits(model, [...prompt, ...ids]);
    const tok = pickByU(naiveDistribution(row, pol), rng.next());
    ids.push(tok);
    logprobs.push(logSoftmax(row, pol.temperature > 0 ? pol.temperature : 1)[tok]!);
    if (eos.includes(tok)) return { ids, logprobs, finishReason: 'eos' };
  }
  return { ids, logprobs, finishReason: 'length' };
}

/** A tiny random Qwen2-shaped model; `std` sets how peaked its logits are. */
export function tinyModel(vocab: number, seed: number, std = 0.3): Model {
  const cfg = parseConfig({
    model_type: 'qwen2', vocab_size: vocab, hidden_size: 16, intermediate_size: 32, num_hidden_layers: 2,
    num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 128, tie_word_embeddings: false,
  });
  return initModel(cfg, seed, undefined, std);
}

export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}
