// A run's problems. The trainer's prompts carry no answer (PromptOnly); gold answers are read separately,
// for evaluation, the logged diagnostics and reward modes that declare they use gold (oracle).
//   eval.path set: it must exist and hold answers (an error naming eval.path otherwise);
//   eval.path null: data.path's answers, when it has them; without them training runs as usual and one note
//   says that evaluation and label diagnostics need answers.
import fs from 'node:fs';
import { loadLabeled, loadPrompts, type LabeledExample, type PromptOnly } from '../data/dataset.js';
import { TtrlError } from '../util/errors.js';
import type { TrainConfig } from './config.js';
import { REWARD_MODES } from './reward.js';

export interface RunData {
  prompts: PromptOnly[];
  /** The evaluation problems with their answers (empty: no evaluation). */
  evalSet: LabeledExample[];
  /** Gold answers by training-problem id: for diagnostics (eval.path null) and gold reward modes. */
  goldById: Map<string, string>;
}

export async function loadRunData(cfg: TrainConfig, note: (s: string) => void): Promise<RunData> {
  const usesGold = REWARD_MODES[cfg.reward.mode].usesGold;
  const d = cfg.data;
  const opts = { format: d.format, promptKey: d.prompt_key, answerKey: d.answer_key, idKey: d.id_key };
  const prompts = await loadPrompts(d.path, opts);
  let evalSet: LabeledExample[] = [];
  const goldById = new Map<string, string>();
  if (cfg.eval.path !== null) {
    if (!fs.existsSync(cfg.eval.path)) {
      throw new TtrlError(`eval.path: ${cfg.eval.path} does not exist; fix the path, or set eval.path to null to evaluate on data.path`);
    }
    try { evalSet = await loadLabeled(cfg.eval.path, opts); } catch (e) { throw new TtrlError(`eval.path: ${(e as Error).message}`); }
    if (usesGold) for (const x of await loadLabeled(d.path, opts)) goldById.set(x.id, x.answer);
    return { prompts, evalSet, goldById };
  }
  try { evalSet = await loadLabeled(d.path, opts); } catch (e) {
    if (usesGold) throw e;
    note(`note: no gold answers in data.path (${(e as Error).message}). Training needs none; evaluation and the label ` +
      'diagnostics do, so they are off (set data.answer_key, or eval.path to a file with answers)');
  }
  for (const x of evalSet) goldById.set(x.id, x.answer);
  return { prompts, evalSet, goldById };
}
