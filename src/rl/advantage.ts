// Outcome advantages for group-relative policy optimisation.
//   GRPO: Shao et al. 2024, "DeepSeekMath", arXiv 2402.03300, §4.1.2 (outcome supervision).
//   Dr.GRPO: Liu et al. 2025, "Understanding R1-Zero-Like Training", arXiv 2503.20783 (no std division).
// Reference implementation: verl `core_algos.compute_grpo_outcome_advantage` in the TTRL fork (PRIME-RL/TTRL
// 3e2cc93); tested against shared/fixtures/verl-parity/grpo_advantage.json.
// B = rows (responses), T = response tokens; token arrays are row-major (B, T).

export type AdvantageKind = 'grpo' | 'drgrpo';

export interface AdvantageOptions {
  /** Divide by the group's std (+eps). false is Dr.GRPO: plain mean-centering. */
  normByStd: boolean;
}

/** The options each advantage kind stands for (a typed map, not a string registry). */
export const ADVANTAGE_OPTIONS: Record<AdvantageKind, AdvantageOptions> = {
  grpo: { normByStd: true },
  drgrpo: { normByStd: false },
};

/**
 * Per-row scores as verl forms them: the sum of a row's token rewards over ALL T positions. The mask is
 * deliberately not applied (verl does not), so a reward placed in a padded column still counts.
 * rewards: (B, T) → (B)
 */
export function rowScores(rewards: ArrayLike<number>, B: number, T: number): Float64Array {
  const out = new Float64Array(B); // (B)
  for (let b = 0; b < B; b++) {
    let s = 0;
    for (let t = 0; t < T; t++) s += rewards[b * T + t]!;
    out[b] = s;
  }
  return out;
}

/**
 * GRPO advantages, one per row: (score − mean_g) / (std_g + eps) over the rows that share a group id
 * (a prompt), with the unbiased sample std (Bessel, n − 1). Statistics are float64.
 *
 * Edge cases, each as verl computes them:
 * - A group of size 1 uses mean 0 and std 1, so its advantage is score / (1 + eps), not 0. verl builds that
 *   std as a float32 scalar, so 1 + eps is rounded to float32: 1 + 1e-6 → 1.00000095367431640625, and a
 *   score of 1 gives 0.9999990463265931. We reproduce that rounding with Math.fround.
 * - A group whose scores are all equal gets exactly 0. (In float64 verl also gets 0 because its mean of
 *   identical values is exact; we test equality explicitly so summation order can never leave a 1e-17
 *   residue that the 1e-6 denominator would blow up to 1e-11. TTRL's 0/1 rewards hit this all the time.)
 * - opts.normByStd = false (Dr.GRPO) gives score − mean, singletons keep score − 0.
 * Group ids are compared with Map semantics: 1 and '1' are different groups.
 */
export function grpoAdvantages(
  scores: ArrayLike<number>,
  groupIds: ArrayLike<string | number>,
  eps = 1e-6,
  opts: AdvantageOptions = ADVANTAGE_OPTIONS.grpo,
): Float64Array {
  const n = scores.length;
  if (groupIds.length !== n) throw new Error(`grpoAdvantages: ${n} scores but ${groupIds.length} group ids`);
  const groups = new Map<string | number, number[]>();
  for (let i = 0; i < n; i++) {
    const g = groupIds[i]!;
    let rows = groups.get(g);
    if (!rows) groups.set(g, (rows = []));
    rows.push(i);
  }
  const adv = new Float64Array(n); // (B)
  const singletonDenom = Math.fround(1 + eps);
  for (const rows of groups.values()) {
    if (rows.length === 1) {
      const i = rows[0]!;
      adv[i] = opts.normByStd ? scores[i]! / singletonDenom : scores[i]!;
      continue;
    }
    const first = scores[rows[0]!]!;
    if (rows.every((i) => scores[i] === first)) continue; // zero variance: exactly 0
    let sum = 0;
    for (const i of rows) sum += scores[i]!;
    const mean = sum / rows.length;
    let ss = 0;
    for (const i of rows) ss += (scores[i]! - mean) ** 2;
    const denom = opts.normByStd ? Math.sqrt(ss / (rows.length - 1)) + eps : 1;
    for (const i of rows) adv[i] = (scores[i]! - mean) / denom;
  }
  return adv;
}

/**
 * Broadcast one value per row over that row's valid tokens: out[b,t] = rowValues[b] where mask[b,t] ≠ 0,
 * else 0. rowValues: (B), mask: (B, T) of 0/1 → (B, T).
 */
export function broadcastToTokens(rowValues: ArrayLike<number>, mask: ArrayLike<number>, B: number, T: number): Float64Array {
  const out = new Float64Array(B * T); // (B, T)
  for (let b = 0; b < B; b++) {
    const v = rowValues[b]!;
    for (let t = 0; t < T; t++) if (mask[b * T + t] !== 0) out[b * T + t] = v;
  }
  return out;
}
