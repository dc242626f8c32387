// EVOL-RL's reward (arXiv 2509.15194, its `semantic_novelty.py` reward manager): majority agreement
// selects the band, novelty ranks inside it.
//   no answer            → −1 (and takes no part in the similarities)
//   agrees with the vote → [0.5, 1],   0.5 + 0.5·novelty'
//   disagrees            → [−1, −0.5], −1 + 0.5·novelty'
// with sim = clip(cos, 0, 1) between response embeddings, novelty = 1 − (0.5·mean sim to the other members
// of its own band (to all others when it is alone in it) + 0.5·max sim to any other response), and novelty'
// min-max scaled inside the band (all equal → the band's midpoint; a band of one → its top, 1 or −0.5).
// EVOL-RL embeds with a separate 4B embedding model; ttrl passes the policy's own mean-pooled last hidden
// state (no second model).

/** Cosine similarity of every pair, clipped to [0, 1]. embeddings: n vectors of one length → (n, n). */
export function similarityMatrix(embeddings: readonly ArrayLike<number>[]): number[][] {
  const unit = embeddings.map((e) => {
    let nn = 0;
    for (let i = 0; i < e.length; i++) nn += e[i]! * e[i]!;
    const inv = 1 / Math.max(Math.sqrt(nn), 1e-8);
    return Array.from(e, (x) => x * inv);
  });
  return unit.map((a) => unit.map((b) => {
    let d = 0;
    for (let i = 0; i < a.length; i++) d += a[i]! * b[i]!;
    return Math.min(1, Math.max(0, d));
  }));
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Scale one band's novelties into [lo, lo + 0.5]; a band of one gets `single`. */
function bandRewards(idx: number[], novelty: number[], lo: number, single: number, out: number[]): void {
  if (idx.length === 1) { out[idx[0]!] = single; return; }
  const vs = idx.map((i) => novelty[i]!), mn = Math.min(...vs), mx = Math.max(...vs);
  for (const i of idx) out[i] = mx > mn ? lo + 0.5 * (novelty[i]! - mn) / (mx - mn) : lo + 0.25;
}

/**
 * EVOL-RL rewards of one prompt's group. agrees[i]: the response's answer matches the majority label
 * (null: it has no answer). embeddings[i]: its embedding (unused for null answers).
 */
export function evolRewards(agrees: readonly (boolean | null)[], embeddings: readonly ArrayLike<number>[]): number[] {
  const n = agrees.length;
  if (embeddings.length !== n) throw new Error(`evolRewards: ${embeddings.length} embeddings for ${n} responses`);
  if (n === 1) return [agrees[0] ? 1 : 0];  // the reference keeps the plain reward for a group of one
  const valid = agrees.flatMap((a, i) => (a === null ? [] : [i]));
  const out = new Array<number>(n).fill(-1);
  // With an invalid response present, fewer than two valid ones leave everyone at −1 (as the reference).
  if (valid.length < 2) return out;
  const sim = similarityMatrix(valid.map((i) => embeddings[i]!));
  const good = valid.map((i) => agrees[i] === true);
  const novelty = valid.map((_, a) => {
    const others = valid.map((_, b) => b).filter((b) => b !== a);
    const band = others.filter((b) => good[b] === good[a]);
    const avg = mean((band.length ? band : others).map((b) => sim[a]![b]!));
    const mx = Math.max(...others.map((b) => sim[a]![b]!));
    return 1 - (0.5 * avg + 0.5 * mx);
  });
  const local = new Array<number>(valid.length).fill(0);
  const pos = good.flatMap((g, a) => (g ? [a] : [])), neg = good.flatMap((g, a) => (g ? [] : [a]));
  if (pos.length) bandRewards(pos, novelty, 0.5, 1, local);
  if (neg.length) bandRewards(neg, novelty, -1, -0.5, local);
  valid.forEach((i, a) => { out[i] = local[a]!; });
  return out;
}
