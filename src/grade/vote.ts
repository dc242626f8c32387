// Majority vote and rewards for one prompt's N responses (TTRL, Zuo et al. 2025, arXiv 2504.16084, §3:
// the most common answer is the estimated label; a response is rewarded 1 if its answer matches it).
// The reference groups answers by exact normalised string; here answers are grouped by equivalence, with
// the canonical string as the fast path and isEquivalent only between different canonical forms.
import { extractAnswer, type ExtractOptions } from './extract.js';
import { canonicalAnswer, isEquivalent, type EquivalenceOptions } from './equivalence.js';

export type VoteOptions = EquivalenceOptions;

export interface VoteResult {
  /** The winning answer as first written (the earliest sample in the largest class); null if nobody voted. */
  label: string | null;
  /** Index of that sample; -1 if nobody voted. */
  labelIndex: number;
  /** Size of the winning class over the number of samples that voted (had an answer); 0 if none did. */
  voteShare: number;
  /** Number of equivalence classes among the votes. */
  numClasses: number;
  /** Class of each sample (classes numbered by first occurrence); -1 for a sample with no answer. */
  classOf: Int32Array;
}

/**
 * Group answers into equivalence classes and pick the largest; ties go to the class seen first, so the
 * result does not depend on anything but the order of the answers. Samples with a null answer do not vote.
 * A class is represented by its first member: each new canonical form is compared (isEquivalent, pred =
 * the new form, gold = the representative) with the representatives in order and joins the first equal one.
 */
export function majorityVote(answers: readonly (string | null)[], opts: VoteOptions = {}): VoteResult {
  const classOf = new Int32Array(answers.length).fill(-1);
  const reps: string[] = []; // first answer of each class
  const counts: number[] = [];
  const firstIndex: number[] = [];
  const classOfCanonical = new Map<string, number>();
  let voters = 0;
  answers.forEach((a, i) => {
    if (a === null) return;
    voters++;
    const key = canonicalAnswer(a);
    let c = classOfCanonical.get(key);
    if (c === undefined) {
      c = reps.findIndex((rep) => isEquivalent(a, rep, opts).equal);
      if (c < 0) {
        c = reps.length;
        reps.push(a);
        counts.push(0);
        firstIndex.push(i);
      }
      classOfCanonical.set(key, c);
    }
    classOf[i] = c;
    counts[c]!++;
  });
  if (voters === 0) return { label: null, labelIndex: -1, voteShare: 0, numClasses: 0, classOf };
  let best = 0;
  for (let c = 1; c < counts.length; c++) if (counts[c]! > counts[best]!) best = c; // strict >: earliest wins ties
  return { label: reps[best]!, labelIndex: firstIndex[best]!, voteShare: counts[best]! / voters, numClasses: counts.length, classOf };
}

/** What a reward function sees for one prompt's group. */
export interface RewardContext {
  answers: readonly (string | null)[];
  label: string | null;
  vote: VoteResult;
  /** Is answer i equivalent to the label? (cached comparisons; false for null answers or no label) */
  matchesLabel(i: number): boolean;
}

/** Per-sample rewards from a vote. Other shapes (e.g. thresholded on vote share) plug in here. */
export type RewardFn = (ctx: RewardContext) => number[];

/** TTRL's reward: 1 if the sample's answer is equivalent to the majority label, else 0. */
export const majorityReward: RewardFn = (ctx) => ctx.answers.map((_, i) => (ctx.matchesLabel(i) ? 1 : 0));

export interface GradeGroupOptions extends VoteOptions, ExtractOptions {
  /** Reward shape; default majorityReward. */
  reward?: RewardFn;
}

export interface GroupGrade {
  answers: (string | null)[];
  label: string | null;
  rewards: number[];
  voteShare: number;
  numClasses: number;
  classOf: Int32Array;
}

/** Extract each response's answer, vote, and reward every response (extract + vote + reward in one call). */
export function gradeGroup(responses: readonly string[], opts: GradeGroupOptions = {}): GroupGrade {
  const answers = responses.map((r) => extractAnswer(r, opts));
  const vote = majorityVote(answers, opts);
  const labelClass = vote.labelIndex >= 0 ? vote.classOf[vote.labelIndex]! : -1;
  const ctx: RewardContext = {
    answers,
    label: vote.label,
    vote,
    matchesLabel: (i) => {
      const a = answers[i];
      if (a == null || vote.label === null) return false;
      // Same class means compared equal to the label (or same canonical form); other classes are checked
      // directly, because equivalence with tolerances is not perfectly transitive.
      return vote.classOf[i] === labelClass || isEquivalent(a, vote.label, opts).equal;
    },
  };
  const rewards = (opts.reward ?? majorityReward)(ctx);
  return { answers, label: vote.label, rewards, voteShare: vote.voteShare, numClasses: vote.numClasses, classOf: vote.classOf };
}
