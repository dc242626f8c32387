// Step 5 of a TTRL step: the metrics line. metrics.jsonl holds one JSON object per line, kind "step" or
// "eval"; these field lists are the one definition of both, read back by the report (src/report/metrics.ts).
//
// Extending: a new per-step metric is a name in STEP_FIELDS and a value in stepRecord (the type makes the
// two agree); the report picks it up from the list.
import { tokenMean, type Diagnostics } from './diagnostics.js';
import type { GroupResult } from './reward.js';
import type { Response } from './rollout.js';
import type { UpdateStats } from './update.js';

/** Per-step fields (numbers; null where unknown: no gold answers, or no update this step). */
export const STEP_FIELDS = [
  'epoch', 'time', 'reward_mean', 'label_acc', 'reward_acc', 'rollout_pass1', 'rollout_maj', 'rollout_passn',
  'pb_corr', 'pseudo_label_acc', 'rollout_entropy', 'self_certainty', 'vote_share', 'num_classes', 'no_answer_frac', 'prompts_used', 'resp_len_mean', 'resp_len_max', 'truncated_frac',
  'entropy', 'kl', 'clip_frac', 'grad_norm', 'lr', 'loss', 'pg_loss', 'ppo_kl', 't_rollout', 't_grade', 't_update',
  'tokens_per_s', 'rollout_tokens', 'votes_mean',
] as const;
export type StepField = (typeof STEP_FIELDS)[number];

/** Per-evaluation fields: pass@1 = avg@k, maj@k, greedy pass@1, best@k (= pass@k); k samples per problem. */
export const EVAL_FIELDS = ['pass1', 'maj', 'greedy', 'best', 'k', 'n_problems'] as const;
export type EvalField = (typeof EVAL_FIELDS)[number];

/** One step line as the trainer writes it; `collapse` says whether the label-free collapse signal fired. */
export type StepLine = { kind: 'step'; step: number; collapse?: boolean; collapse_reason?: string } & { [K in StepField]: number | null };

/** Wall-clock seconds of the step's parts (reported, never used for a decision). */
export interface StepTimes { rollout: number; grade: number; update: number }

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

/** The metrics line of step `step`. */
export function stepRecord(step: number, epoch: number, responses: readonly Response[][], groups: readonly GroupResult[],
                           diag: Diagnostics, upd: UpdateStats | null, lr: number, t: StepTimes): StepLine {
  const all = responses.flat();
  const newTokens = all.reduce((a, r) => a + r.ids.length, 0);
  return {
    kind: 'step', step, epoch, time: Date.now() / 1000,
    reward_mean: mean(groups.flatMap((g) => g.rewards)),
    label_acc: diag.label_acc, reward_acc: diag.reward_acc,
    rollout_pass1: diag.rollout_pass1, rollout_maj: diag.rollout_maj, rollout_passn: diag.rollout_passn,
    pb_corr: diag.pb_corr, pseudo_label_acc: diag.pseudo_label_acc,
    rollout_entropy: tokenMean(responses, 'entropies'), self_certainty: tokenMean(responses, 'certainties'),
    vote_share: mean(groups.map((g) => g.voteShare)), num_classes: mean(groups.map((g) => g.numClasses)),
    no_answer_frac: mean(groups.flatMap((g) => g.answers.map((a) => (a === null ? 1 : 0)))),
    prompts_used: groups.filter((g) => g.used).length,
    resp_len_mean: newTokens / Math.max(1, all.length), resp_len_max: Math.max(0, ...all.map((r) => r.ids.length)),
    truncated_frac: mean(all.map((r) => (r.truncated ? 1 : 0))),
    entropy: upd?.entropy ?? null, kl: upd?.klLoss ?? null, clip_frac: upd?.clipFrac ?? null, grad_norm: upd?.gradNorm ?? null,
    lr, loss: upd?.loss ?? null, pg_loss: upd?.pgLoss ?? null, ppo_kl: upd?.ppoKl ?? null,
    t_rollout: t.rollout, t_grade: t.grade, t_update: t.update,
    tokens_per_s: newTokens / Math.max(1e-9, t.rollout),
    // responses drawn per prompt: n_votes, or fewer with adaptive voting
    rollout_tokens: newTokens, votes_mean: all.length / Math.max(1, responses.length),
  };
}

/** The step's progress line for stderr. */
export function stepLogLine(r: StepLine, lastStep: number): string {
  const f = (x: number | null, d: number): string => (x === null ? '-' : x.toFixed(d));
  return `step ${r.step}/${lastStep}: reward ${f(r.reward_mean, 3)} vote ${f(r.vote_share, 3)}` +
    (r.label_acc !== null ? ` label_acc ${f(r.label_acc, 3)} pass1 ${f(r.rollout_pass1, 3)}` : '') +
    (r.loss !== null ? ` loss ${f(r.loss, 4)} gnorm ${f(r.grad_norm, 3)} ent ${f(r.entropy, 3)}` : '') +
    ` | ${(r.t_rollout! + r.t_grade! + r.t_update!).toFixed(1)}s`;
}
