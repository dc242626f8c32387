// Evaluation as the TTRL paper reports it: pass@1 as avg@k (k samples at temperature 0.6, top-p 0.95),
// maj@k (the majority-voted answer is correct), best@k (any sample correct), and greedy accuracy.
// Gold answers are read here and in diagnostics only, never by the training path.
import type { Model } from '../model/model.js';
import type { LabeledExample } from '../data/dataset.js';
import { sampleBatch, type SampleProgress } from '../sample/index.js';
import { gradeGroup, isEquivalent, extractAnswer } from '../grade/index.js';

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

export function evaluate(model: Model, prompts: EvalPrompt[], decode: Decode, s: EvalSettings,
                         onProgress?: (p: SampleProgress) => void): EvalResult {
  const reqs = prompts.map((p, i) => ({ ids: p.ids, n: s.k, key: i }));
  const samples = sampleBatch(model, reqs, { temperature: s.temperature, topP: s.topP, maxNewTokens: s.maxNewTokens, eosIds: s.eosIds },
    { seed: s.seed, decoder: { decode }, onProgress });
  let pass1 = 0, maj = 0, best = 0;
  samples.forEach((group, i) => {
    const gold = prompts[i]!.answer;
    const texts = group.map((x) => x.text ?? decode(x.ids));
    const correct = texts.map((t) => isCorrect(t, gold, s.choices));
    pass1 += correct.filter(Boolean).length / Math.max(1, correct.length);
    best += correct.some(Boolean) ? 1 : 0;
    const g = gradeGroup(texts, { choices: s.choices });
    maj += g.label !== null && isEquivalent(g.label, gold, { choices: s.choices }).equal ? 1 : 0;
  });
  let greedy: number | null = null;
  if (s.greedy) {
    const g = sampleBatch(model, prompts.map((p, i) => ({ ids: p.ids, n: 1, key: i })),
      { temperature: 0, maxNewTokens: s.maxNewTokens, eosIds: s.eosIds }, { seed: s.seed, decoder: { decode } });
    greedy = g.reduce((a, grp, i) => a + (isCorrect(grp[0]!.text ?? decode(grp[0]!.ids), prompts[i]!.answer, s.choices) ? 1 : 0), 0) / Math.max(1, prompts.length);
  }
  const n = Math.max(1, prompts.length);
  return { pass1: pass1 / n, maj: maj / n, best: best / n, greedy, k: s.k, n_problems: prompts.length };
}
