// Public API of the grader: answer extraction, equivalence, majority vote, rewards and metrics.
export { extractAnswer, extractChoice, extractGold, type ExtractOptions } from './extract.js';
export { normalizeAnswer, type Normalized } from './normalize.js';
export {
  isEquivalent, canonicalAnswer, clearGradeCaches, EQUIVALENCE_DEFAULTS,
  type EquivalenceOptions, type EquivalenceResult,
} from './equivalence.js';
export {
  majorityVote, gradeGroup, majorityReward,
  type VoteOptions, type VoteResult, type RewardFn, type RewardContext, type GradeGroupOptions, type GroupGrade,
} from './vote.js';
export { passAtK, avgAtK, labelAccuracy, goldRewards, rewardAccuracy } from './metrics.js';
