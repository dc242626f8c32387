// Adaptive voting (rollout.adaptive_votes, a ttrl addition, not in the paper): a prompt's votes are drawn in
// waves and the prompt stops once more votes would not change its update. Pure functions over the vote
// classes of the responses drawn so far (classOf[i] = equivalence class of response i in first-seen
// numbering, −1 = no answer; grade/vote.ts's majorityVote).
//
// Two reasons to stop:
//   decided    the majority label over all nVotes votes is already fixed, whatever the remaining votes
//              are, so is the min_vote_share safeguard's verdict, and every response the update keeps is drawn. Rewards are "matches the label", so
//              the kept responses, their rewards and their GRPO advantages are exactly those of fixed
//              voting: the update is unchanged; only the logged vote share / class count differ.
//   unanimous  a full wave drawn and every vote so far names the same answer. GRPO gives such a group zero
//              advantage, so its update is empty; this is the approximation: a dissenting vote among the
//              undrawn ones would have given it a signal (fixed voting would then train on it).
export type StopReason = 'decided' | 'unanimous';

/**
 * Whether the majority label is fixed given the drawn votes and `remaining` undrawn ones: no assignment of
 * the remaining votes (to a drawn class, to new classes, or to no answer) can change the winner. Ties go
 * to the class seen first, as in majorityVote, so a class that appears later must strictly beat the leader.
 */
export function labelDecided(classOf: ArrayLike<number>, remaining: number): boolean {
  const count = new Map<number, number>(), first = new Map<number, number>();
  for (let i = 0; i < classOf.length; i++) {
    const c = classOf[i]!;
    if (c < 0) continue;
    count.set(c, (count.get(c) ?? 0) + 1);
    if (!first.has(c)) first.set(c, i);
  }
  if (count.size === 0) return remaining === 0;
  let leader = -1;
  for (const [c, n] of count) {
    if (leader < 0 || n > count.get(leader)! || (n === count.get(leader)! && first.get(c)! < first.get(leader)!)) leader = c;
  }
  const lead = count.get(leader)!;
  for (const [c, n] of count) {
    if (c === leader) continue;
    // all remaining votes to c: it wins with more votes, or with as many if it was seen first
    if (n + remaining > lead || (n + remaining === lead && first.get(c)! < first.get(leader)!)) return false;
  }
  return remaining <= lead;  // a class not seen yet comes after the leader: it must get more votes than lead
}

/**
 * Whether the min_vote_share verdict (winning share ≥ minShare) is fixed, given a decided label: the final
 * share lies between lead / (voters + remaining) (every remaining vote elsewhere) and (lead + remaining) /
 * (voters + remaining) (every one for the leader).
 */
export function shareDecided(classOf: ArrayLike<number>, remaining: number, minShare: number): boolean {
  if (minShare <= 0) return true;
  const count = new Map<number, number>();
  let voters = 0, lead = 0;
  for (let i = 0; i < classOf.length; i++) {
    const c = classOf[i]!;
    if (c < 0) continue;
    voters++;
    const n = (count.get(c) ?? 0) + 1;
    count.set(c, n);
    lead = Math.max(lead, n);
  }
  const all = voters + remaining;
  if (all === 0) return true;
  return lead / all >= minShare || (lead + remaining) / all < minShare;
}

/**
 * Why a prompt can stop after the drawn votes `classOf` (null: draw on). `mustDraw` = how many leading
 * responses the update may keep (n_train with train_select "first"); `wave` = votes drawn per round;
 * `minShare` = reward.min_vote_share.
 */
export function voteStopReason(classOf: ArrayLike<number>, nVotes: number, mustDraw: number, wave: number, minShare = 0): StopReason | null {
  const k = classOf.length;
  if (k >= mustDraw && labelDecided(classOf, nVotes - k) && shareDecided(classOf, nVotes - k, minShare)) return 'decided';
  if (k >= Math.min(wave, nVotes) && k > 0 && classOf[0]! >= 0) {
    let same = true;
    for (let i = 1; i < k && same; i++) same = classOf[i] === classOf[0];
    if (same) return 'unanimous';
  }
  return null;
}
