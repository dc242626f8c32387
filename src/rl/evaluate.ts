// Evaluation as the TTRL paper reports it: pass@1 as avg@k (k samples at temperature 0.6, top-p 0.95),
// maj@k (the majority-voted answer is correct), best@k (any sample correct), and greedy accuracy.
// Gold answers are read here and in diagnostics only, never by the training path.
import type { Model } from '../model/model.js';
import type { LabeledExample } from '../data/dataset.js';
import { sampleBatchAsync, type SampleProgress } from '../sample/index.js';
import { avgAtK, goldRewards, gradeGroup, isEquivalent, extractAnswer, labelAccuracy, passAtK } from '../grade/index.js';

export interface EvalSettings {
  k: number;
  temperature: number;
  topP: number;
  maxNewTokens: number;
  eosIds: number[];
  seed: number;
  greedy: boolean;
  choices?: boolean;
}

export interface EvalResult {
  pass1: number;
  maj: number;
  best: number;
  greedy: number | null;
  k: number;
  n_problems: number;
}

export interface EvalPrompt { ids: number[]; answer: string }

export type Decode = (ids: number[]) => string;

/** Whether a response's extracted answer equals the gold answer. */
export function isCorrect(response: string, gold: string, choices = false): boolean {
  const pred = extractAnswer(response, { choices });
  return pred !== null && isEquivalent(pred, gold, { choices }).equal;
}

export interface EvalHooks {
  onProgress?: (p: SampleProgress) => void;
  /** Checked while sampling; true ends the evaluation early (the result is then null). */
  shouldStop?: () => boolean;
}

/** The scores of `model` on `prompts`; null when hooks.shouldStop ended it early. */
export async function evaluate(model: Model, prompts: EvalPrompt[], decode: Decode, s: EvalSettings,
                               hooks: EvalHooks = {}): Promise<EvalResult | null> {
  const n = prompts.length, golds = prompts.map((p) => p.answer), opts = { choices: s.choices };
  if (n === 0) return { pass1: 0, maj: 0, best: 0, greedy: s.greedy ? 0 : null, k: s.k, n_problems: 0 };
  const reqs = prompts.map((p, i) => ({ ids: p.ids, n: s.k, key: i }));
  const samples = await sampleBatchAsync(model, reqs, { temperature: s.temperature, topP: s.topP, maxNewTokens: s.maxNewTokens, eosIds: s.eosIds },
    { seed: s.seed, decoder: { decode }, onProgress: hooks.onProgress, shouldStop: hooks.shouldStop });
  if (!samples) return null;
  const graded = samples.map((group) => gradeGroup(group.map((x) => x.text ?? decode(x.ids)), opts));
  const correct = graded.map((g, i) => goldRewards(g.answers, golds[i]!, opts).map((r) => r === 1));
  const pass1 = avgAtK(correct);
  const best = correct.filter((row) => passAtK(row.length, row.filter(Boolean).length, row.length) === 1).length / n;
  const maj = labelAccuracy(graded.map((g) => g.label), golds, opts);
  let greedy: number | null = null;
  if (s.greedy) {
    const g = await sampleBatchAsync(model, prompts.map((p, i) => ({ ids: p.ids, n: 1, key: i })),
      { temperature: 0, maxNewTokens: s.maxNewTokens, eosIds: s.eosIds }, { seed: s.seed, decoder: { decode }, shouldStop: hooks.shouldStop });
    if (!g) return null;
    greedy = g.filter((grp, i) => isCorrect(grp[0]!.text ?? decode(grp[0]!.ids), golds[i]!, s.choices)).length / n;
  }
  return { pass1, maj, best, greedy, k: s.k, n_problems: n };
}
