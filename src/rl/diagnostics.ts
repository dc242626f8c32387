// Per-step diagnostics of a reward: how well the proxy tracks gold (when gold is known: logged, never used
// to reward or select), and a collapse signal built from label-free quantities only.

/**
 * Point-biserial correlation between a proxy reward and a binary gold reward (Pearson's r with the 0/1
 * variable, as scipy.stats.pointbiserialr). 0 when either side is constant (URLVR logs 0 when gold is).
 */
export function pointBiserial(proxy: readonly number[], gold: readonly number[]): number {
  const n = proxy.length;
  if (gold.length !== n) throw new Error(`pointBiserial: ${n} proxy rewards, ${gold.length} gold rewards`);
  if (n < 2) return 0;
  const mp = proxy.reduce((a, b) => a + b, 0) / n, mg = gold.reduce((a, b) => a + b, 0) / n;
  let sxy = 0, sxx = 0, syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = proxy[i]! - mp, dy = gold[i]! - mg;
    sxy += dx * dy; sxx += dx * dx; syy += dy * dy;
  }
  if (sxx <= 0 || syy <= 0) return 0;
  return Math.max(-1, Math.min(1, sxy / Math.sqrt(sxx * syy)));
}

/**
 * Pseudo-label accuracy (URLVR `compute_certainty_metrics`): per prompt, the gold reward of the response
 * with the highest proxy reward (the first on ties), averaged over prompts. groups: per prompt, its
 * responses' (proxy, gold) rewards.
 */
export function pseudoLabelAccuracy(proxy: readonly (readonly number[])[], gold: readonly (readonly number[])[]): number {
  if (!proxy.length) return 0;
  let hit = 0;
  proxy.forEach((ps, p) => {
    let best = 0;
    for (let j = 1; j < ps.length; j++) if (ps[j]! > ps[best]!) best = j;
    hit += ps.length ? gold[p]![best]! : 0;
  });
  return hit / proxy.length;
}

/** The label-free quantities the collapse signal watches, one per step. */
export interface CollapseInputs {
  /** Mean rollout token entropy (nats). */
  entropy: number;
  /** Mean number of distinct answers per prompt. */
  distinct: number;
  /** Mean vote share of the winning answer. */
  voteShare: number;
}

export interface CollapseSettings {
  /** Steps that set the baseline (their mean); the signal cannot fire before the next step. */
  baselineSteps: number;
  /** Fires when entropy is below this fraction of its baseline... */
  entropyFrac: number;
  /** ...and distinct answers per prompt are below this fraction of their baseline (or at 1)... */
  distinctFrac: number;
  /** ...and the vote share is at least this (the proxy saturates: the group agrees). */
  minVoteShare: number;
}

export const COLLAPSE_DEFAULTS: CollapseSettings = { baselineSteps: 2, entropyFrac: 0.5, distinctFrac: 0.5, minVoteShare: 0.9 };

export interface CollapseState { fired: boolean; reason: string | null; entropyRatio: number | null; distinctRatio: number | null }

/**
 * The collapse signal at the last step of `history` (label-free only): rollout entropy and answer diversity
 * have both fallen to a fraction of their level over the first baselineSteps steps while the group's vote
 * share saturates. Sharpening that TTRL wants lowers entropy too; requiring the answers' diversity to fall
 * with it and the vote to saturate separates "the model is surer" from "every sample says the same thing".
 */
export function collapseSignal(history: readonly CollapseInputs[], s: CollapseSettings = COLLAPSE_DEFAULTS): CollapseState {
  const none: CollapseState = { fired: false, reason: null, entropyRatio: null, distinctRatio: null };
  if (history.length <= s.baselineSteps) return none;
  const base = history.slice(0, s.baselineSteps);
  const e0 = base.reduce((a, h) => a + h.entropy, 0) / base.length;
  const d0 = base.reduce((a, h) => a + h.distinct, 0) / base.length;
  const now = history[history.length - 1]!;
  const entropyRatio = e0 > 0 ? now.entropy / e0 : 1;
  const distinctRatio = d0 > 1 ? (now.distinct - 1) / (d0 - 1) : 1;  // diversity above the floor of one answer
  const fired = entropyRatio < s.entropyFrac && distinctRatio < s.distinctFrac && now.voteShare >= s.minVoteShare;
  const reason = fired
    ? `entropy at ${(100 * entropyRatio).toFixed(0)}% of its start, distinct answers down to ${now.distinct.toFixed(2)} per prompt, vote share ${now.voteShare.toFixed(2)}`
    : null;
  return { fired, reason, entropyRatio, distinctRatio };
}
