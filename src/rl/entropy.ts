// Token entropy of the softmax over the vocabulary, its backward pass, and label log-probs: the reference
// (float64, naive) versions that the engine's kernels are tested against. TTRL ran with entropy_coeff = 0,
// so entropy is a logged metric unless the bonus is switched on.
// Reference: verl `torch_functional.entropy_from_logits` and `logprobs_from_logits_v2` (TTRL fork 3e2cc93),
// tested against shared/fixtures/verl-parity/entropy.json.
// M = rows (tokens, e.g. B·T), V = vocabulary; logits are row-major (M, V).

/** Row max and log Σ exp(z − max), the stable pieces of logsumexp. */
function rowStats(logits: ArrayLike<number>, off: number, V: number): { max: number; logSum: number } {
  let max = -Infinity;
  for (let v = 0; v < V; v++) if (logits[off + v]! > max) max = logits[off + v]!;
  let s = 0;
  for (let v = 0; v < V; v++) s += Math.exp(logits[off + v]! - max);
  return { max, logSum: Math.log(s) };
}

/**
 * H = −Σ p log p per row, computed as Σ p·(lse − z) on max-shifted logits (verl writes lse − Σ p·z, the
 * same quantity; the shifted form avoids cancelling two numbers of size |z| when logits are ~1000).
 * logits: (M, V) → (M).
 */
export function entropyFromLogits(logits: ArrayLike<number>, M: number, V: number): Float64Array {
  if (logits.length !== M * V) throw new Error(`entropyFromLogits: ${logits.length} logits, expected M*V = ${M * V}`);
  const H = new Float64Array(M); // (M)
  for (let m = 0; m < M; m++) {
    const off = m * V;
    const { max, logSum } = rowStats(logits, off, V);
    let h = 0;
    for (let v = 0; v < V; v++) {
      const logp = logits[off + v]! - max - logSum;
      h -= Math.exp(logp) * logp;
    }
    H[m] = h;
  }
  return H;
}

/**
 * Backward of entropyFromLogits: dlogits[m, k] += dH[m] · (−p_k·(log p_k + H_m)).
 * (From H = lse − Σ p_j z_j: dH/dz_k = −p_k (z_k − Σ p_j z_j) = −p_k (log p_k + H).)
 * dlogits: (M, V), accumulated with +=; dH: (M); logits: (M, V).
 */
export function entropyBackward(dlogits: Float64Array | Float32Array, dH: ArrayLike<number>, logits: ArrayLike<number>, M: number, V: number): void {
  if (dlogits.length !== M * V || logits.length !== M * V) throw new Error(`entropyBackward: expected M*V = ${M * V} entries`);
  for (let m = 0; m < M; m++) {
    const g = dH[m]!;
    if (g === 0) continue;
    const off = m * V;
    const { max, logSum } = rowStats(logits, off, V);
    let h = 0;
    for (let v = 0; v < V; v++) { const lp = logits[off + v]! - max - logSum; h -= Math.exp(lp) * lp; }
    for (let v = 0; v < V; v++) {
      const lp = logits[off + v]! - max - logSum;
      dlogits[off + v] += g * (-Math.exp(lp) * (lp + h));
    }
  }
}

/** log softmax(logits)[label] per row: the label's logit minus the row's logsumexp. logits: (M, V), labels: (M) → (M). */
export function logprobsFromLogits(logits: ArrayLike<number>, labels: ArrayLike<number>, M: number, V: number): Float64Array {
  if (logits.length !== M * V || labels.length !== M) throw new Error(`logprobsFromLogits: expected (${M}, ${V}) logits and ${M} labels`);
  const out = new Float64Array(M); // (M)
  for (let m = 0; m < M; m++) {
    const y = labels[m]!;
    if (!(y >= 0 && y < V)) throw new Error(`logprobsFromLogits: label ${y} at row ${m} outside [0, ${V})`);
    const { max, logSum } = rowStats(logits, m * V, V);
    out[m] = logits[m * V + y]! - max - logSum;
  }
  return out;
}

/**
 * Self-certainty per row (Intuitor, arXiv 2505.19590): KL(U ‖ softmax(z)) = logsumexp(z) − mean(z) − log V.
 * Intuitor's verl code drops the constant log V; ttrl keeps it so that 0 means "uniform" (GRPO advantages are
 * unchanged by the shift). The reference the sampler's fused computation is tested against. (M, V) → (M).
 */
export function selfCertaintyFromLogits(logits: ArrayLike<number>, M: number, V: number): Float64Array {
  if (logits.length !== M * V) throw new Error(`selfCertaintyFromLogits: ${logits.length} logits, expected M*V = ${M * V}`);
  const out = new Float64Array(M); // (M)
  for (let m = 0; m < M; m++) {
    const off = m * V;
    const { max, logSum } = rowStats(logits, off, V);
    let sum = 0;
    for (let v = 0; v < V; v++) sum += logits[off + v]!;
    out[m] = max + logSum - sum / V - Math.log(V);
  }
  return out;
}
