// The RL math in one import: small pure functions over plain arrays (no I/O, no trainer state).
// See docs/rl.md for the formulas and defaults.
export { ADVANTAGE_OPTIONS, broadcastToTokens, grpoAdvantages, rowScores } from './advantage.js';
export type { AdvantageKind, AdvantageOptions } from './advantage.js';
export { AGG_MODES, aggLoss, aggWeights, maskedMean } from './agg.js';
export type { AggMode, AggNorm, AggResult } from './agg.js';
export { policyLoss, policyTokenTerms } from './policy-loss.js';
export type { ClipConfig, PolicyLossConfig, PolicyLossResult, PolicyTokenTerms } from './policy-loss.js';
export { KL_TYPES, LOW_VAR_KL_CLAMP, klPenalty } from './kl.js';
export type { KlResult, KlType } from './kl.js';
export { entropyBackward, entropyFromLogits, logprobsFromLogits } from './entropy.js';
export { ppoObjective } from './objective.js';
export type { PpoObjectiveConfig, PpoObjectiveInputs, PpoObjectiveResult } from './objective.js';
export { lrAt, warmupStepsOf } from './schedule.js';
export type { LrSchedule, ScheduleKind } from './schedule.js';
