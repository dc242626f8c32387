// `ttrl demo` end to end: the base model (shipped, or pretrained here from the seed), its evaluation on
// held-out test problems, TTRL on those questions without their answers, oracle RL on the same questions
// with their answers (the upper bound), and the comparison: summary.json and report.html.
//
//   OUT/base/         the base model (an ordinary model directory, tokenizer files included)
//   OUT/test.json     the test problems [{id, prompt, answer, level}] (the runs read only `prompt`, except
//                     for evaluation and the oracle's reward)
//   OUT/ttrl/         `ttrl train` run with reward.mode = ttrl   (config.yaml, metrics.jsonl, final/)
//   OUT/oracle/       `ttrl train` run with reward.mode = oracle
//   OUT/summary.json  base / ttrl / oracle numbers, seconds
//   OUT/report.html   the comparison report
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../model/model.js';
import { loadTokenizer, buildPrompt } from '../tokenizer/index.js';
import { train } from '../rl/trainer.js';
import { evaluate, type EvalResult } from '../rl/evaluate.js';
import type { TrainConfig } from '../rl/config.js';
import { buildRunPlan, precisionOf } from '../rl/plan.js';
import { cpu } from '../tensor/cpu.js';
import { backendAt } from '../tensor/index.js';
import { writeReport } from '../report/write.js';
import { MODEL_SIDE_FILES } from '../model/params.js';
import { TtrlError } from '../util/errors.js';
import { makeSplit } from './task.js';
import { makeBase, DEFAULT_PRETRAIN } from './pretrain.js';
import { demoTrainConfig, type DemoPreset, type RewardMode } from './config.js';

/** The base model shipped with ttrl (made by `ttrl demo --pretrain --seed 1`). */
export const SHIPPED_BASE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'assets', 'demo-base');

export interface DemoOptions {
  out: string;
  seed: number;
  preset: DemoPreset;
  /** Pretrain the base here (from the seed) instead of copying the shipped one. */
  pretrain: boolean;
  /** Start from this model directory instead of the shipped base (ignored with pretrain). */
  baseFrom?: string;
  /** Extra RL settings ("section.key" → value) on top of the preset's, for both runs. */
  overrides?: Record<string, unknown>;
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Silence the trainer's own progress output. */
  quiet?: boolean;
}

export interface Scores { pass1: number; maj: number; greedy: number | null }

export interface DemoSummary {
  base: Scores;
  ttrl: Scores & { label_acc: number };
  oracle: Scores;
  seconds: number;
  seed: number;
  /** Test problems, samples per problem (maj@k), and training steps of each run. */
  n_problems: number;
  k: number;
  steps: number;
}

/** Copy a model directory's weights, config and tokenizer files. */
function copyModelDir(from: string, to: string): void {
  if (!fs.existsSync(path.join(from, 'model.safetensors'))) {
    throw new TtrlError(`${from}: no shipped demo base (model.safetensors missing); run 'ttrl demo --pretrain' to make one`);
  }
  fs.mkdirSync(to, { recursive: true });
  for (const f of ['config.json', 'model.safetensors', ...MODEL_SIDE_FILES]) {
    const src = path.join(from, f);
    if (fs.existsSync(src)) fs.copyFileSync(src, path.join(to, f));
  }
}

/**
 * Evaluate the base exactly as the trainer's step-0 evaluation would (same prompts, settings and seed), so
 * the runs can skip theirs.
 */
async function evalBase(cfg: TrainConfig, problems: { prompt: string; answer: string }[]): Promise<EvalResult> {
  const tok = await loadTokenizer(cfg.model.path);
  const model = loadModel(cfg.model.path, backendAt(cpu(), precisionOf(cfg)));  // the runs' precision
  const plan = buildRunPlan(cfg, { tok, model: model.cfg }, problems.length);
  const prompts = problems.map((p) => ({ ids: buildPrompt(tok, p.prompt, plan.prompt.options).ids, answer: p.answer }));
  return evaluate(model, prompts, (ids) => tok.decode(ids, { skipSpecial: true }), plan.eval.settings);
}

/** Mean label accuracy over the run's last `n` steps (the last epoch: every test question once). */
export function tailLabelAccuracy(runDir: string, n: number): number {
  const steps = fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n').filter((l) => l.trim())
    .map((l) => JSON.parse(l) as { kind?: string; label_acc?: number | null })
    .filter((r) => r.kind === 'step' && typeof r.label_acc === 'number').slice(-n);
  return steps.length ? steps.reduce((a, r) => a + r.label_acc!, 0) / steps.length : NaN;
}

const scoresOf = (r: EvalResult | null, what: string): Scores => {
  if (!r) throw new TtrlError(`demo: the ${what} run ended without a final evaluation`);
  return { pass1: r.pass1, maj: r.maj, greedy: r.greedy };
};

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const t0 = performance.now();
  const out = path.resolve(o.out);
  const baseDir = path.join(out, 'base'), dataFile = path.join(out, 'test.json');
  for (const d of ['ttrl', 'oracle', 'report.html', 'summary.json']) fs.rmSync(path.join(out, d), { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });

  if (o.pretrain) {
    o.log(`pretraining the base model (seed ${o.seed}, ${DEFAULT_PRETRAIN.steps} steps) into ${baseDir}`);
    const every = Math.max(1, Math.floor(DEFAULT_PRETRAIN.steps / 10));
    const r = await makeBase(baseDir, { ...DEFAULT_PRETRAIN, seed: o.seed }, (p) => {
      if (p.step % every === 0) o.log(`  pretrain step ${p.step}/${DEFAULT_PRETRAIN.steps} loss ${p.loss.toFixed(4)} ${p.seconds.toFixed(0)}s`);
    });
    o.log(`  base ready in ${r.seconds.toFixed(0)}s`);
  } else {
    copyModelDir(o.baseFrom ?? SHIPPED_BASE, baseDir);
  }

  const { preset } = o;
  const problems = makeSplit(preset.testSize, preset.testLevels, o.seed, 'test');
  fs.writeFileSync(dataFile, JSON.stringify(problems.map((p) => ({ id: p.id, prompt: p.prompt, answer: p.answer, level: p.level })), null, 1) + '\n');

  const cfgOf = (mode: RewardMode): TrainConfig =>
    demoTrainConfig(mode, { model: baseDir, data: dataFile, runDir: path.join(out, mode) }, preset, o.seed, o.overrides);
  const ttrlCfg = cfgOf('ttrl'), oracleCfg = cfgOf('oracle');

  o.log(`evaluating the base on ${problems.length} test problems (levels ${preset.testLevels.join(', ')}), ${ttrlCfg.eval.k} samples each`);
  const base = await evalBase(ttrlCfg, problems);
  o.log(`  base: pass@1 ${base.pass1.toFixed(3)}  maj@${base.k} ${base.maj.toFixed(3)}`);

  const results: Partial<Record<RewardMode, { scores: Scores; steps: number }>> = {};
  for (const [mode, cfg] of [['ttrl', ttrlCfg], ['oracle', oracleCfg]] as const) {
    o.log(mode === 'ttrl' ? 'TTRL: training on the test questions, without their answers'
      : 'oracle RL: the same questions with their true answers (the upper bound TTRL is measured against)');
    const r = await train(cfg, { out: path.join(out, mode), quiet: o.quiet, report: false });
    results[mode] = { scores: scoresOf(r.lastEval, mode), steps: r.steps };
  }
  const perEpoch = Math.floor(problems.length / ttrlCfg.data.prompts_per_step);
  const summary: DemoSummary = {
    base: { pass1: base.pass1, maj: base.maj, greedy: base.greedy },
    ttrl: { ...results.ttrl!.scores, label_acc: tailLabelAccuracy(path.join(out, 'ttrl'), perEpoch) },
    oracle: results.oracle!.scores,
    seconds: (performance.now() - t0) / 1000,
    seed: o.seed,
    n_problems: problems.length,
    k: base.k,
    steps: results.ttrl!.steps,
  };
  fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  await writeReport(out);
  summary.seconds = (performance.now() - t0) / 1000;
  fs.writeFileSync(path.join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
