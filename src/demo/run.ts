// `ttrl demo` end to end: the base model (shipped, or pretrained here from the seed), its evaluation on
// held-out test problems, one RL run per method (reward mode) from that base with the same budget: TTRL on
// the questions without their answers, the other label-free rewards, oracle RL with the answers (the upper
// bound), and the comparison: summary.json and report.html.
//
//   OUT/base/         the base model (an ordinary model directory, tokenizer files included)
//   OUT/test.json     the test problems [{id, prompt, answer, level}] (the runs read only `prompt`, except
//                     for evaluation and the oracle's reward)
//   OUT/<mode>/       `ttrl train` run with reward.mode = <mode>   (config.yaml, metrics.jsonl, final/)
//   OUT/summary.json  base and per-method numbers, seconds
//   OUT/report.html   the comparison report
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadModel } from '../model/model.js';
import { loadTokenizer, buildPrompt } from '../tokenizer/index.js';
import { train } from '../rl/trainer.js';
import { RunStopped } from '../rl/interrupt.js';
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
import { demoTrainConfig, DEFAULT_METHODS, type DemoPreset } from './config.js';

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
  /** Extra RL settings ("section.key" → value) on top of the preset's, for every run. */
  overrides?: Record<string, unknown>;
  /** Reward modes to run, in order (default DEFAULT_METHODS, less those this build lacks). */
  methods?: string[];
  /** Progress lines (stderr in the CLI). */
  log: (line: string) => void;
  /** Silence the trainer's own progress output. */
  quiet?: boolean;
}

export interface Scores { pass1: number; maj: number; greedy: number | null }

/** A run's final scores; label_acc = how often its majority-vote label was right over the last epoch. */
export interface MethodScores extends Scores { label_acc: number }

export interface DemoSummary {
  base: Scores;
  /** One entry per method run, in the order run (keys are reward modes). */
  runs: Record<string, MethodScores>;
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
  const r = await evaluate(model, prompts, (ids) => tok.decode(ids, { skipSpecial: true }), plan.eval.settings);
  if (!r) throw new TtrlError('demo: the base evaluation was stopped');
  return r;
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

/** A previous demo's runs in `out` (any method's: the report reads every run directory there) and outputs. */
function clearPreviousRuns(out: string): void {
  if (!fs.existsSync(out)) return;
  for (const d of fs.readdirSync(out)) {
    if (fs.existsSync(path.join(out, d, 'metrics.jsonl'))) fs.rmSync(path.join(out, d), { recursive: true, force: true });
  }
  for (const f of ['report.html', 'summary.json']) fs.rmSync(path.join(out, f), { force: true });
}

/** What the log says before each method's run. */
function announce(mode: string): string {
  if (mode === 'ttrl') return 'TTRL: training on the test questions, without their answers (reward: agree with the majority vote)';
  if (mode === 'oracle') return 'oracle RL: the same questions with their true answers (the upper bound TTRL is measured against)';
  return `${mode}: the same questions, without their answers (label-free reward ${mode})`;
}

/**
 * The methods to run: the asked ones (each must be a reward mode of this build), or the default ones this
 * build has. A mode's validity is the trainer config parser's own (one source of truth for the modes).
 */
export function resolveMethods(asked: string[] | undefined, valid: (mode: string) => boolean, log: (line: string) => void): string[] {
  if (asked) {
    if (asked.length === 0) throw new TtrlError('--methods: name at least one reward mode, e.g. --methods ttrl,oracle');
    const seen = new Set<string>();
    for (const m of asked) {
      if (seen.has(m)) throw new TtrlError(`--methods: ${m} is named twice`);
      seen.add(m);
      if (m === 'none') throw new TtrlError('--methods: none trains nothing; the base row is already the untrained model');
      if (!valid(m)) throw new TtrlError(`--methods: ${m} is not a reward mode of this build (see ttrl train --help, reward.mode)`);
    }
    return asked;
  }
  return DEFAULT_METHODS.filter((m) => valid(m) || (log(`note: skipping ${m}: this build has no reward mode ${m}`), false));
}

export async function runDemo(o: DemoOptions): Promise<DemoSummary> {
  const t0 = performance.now();
  const out = path.resolve(o.out);
  const baseDir = path.join(out, 'base'), dataFile = path.join(out, 'test.json');
  clearPreviousRuns(out);
  fs.mkdirSync(out, { recursive: true });

  if (o.pretrain) {
    const total = DEFAULT_PRETRAIN.steps + (DEFAULT_PRETRAIN.habit?.steps ?? 0);
    o.log(`pretraining the base model (seed ${o.seed}, ${DEFAULT_PRETRAIN.steps} steps of worked solutions, ` +
      `${DEFAULT_PRETRAIN.habit?.steps ?? 0} of the habit phase) into ${baseDir}`);
    const every = Math.max(1, Math.floor(total / 10));
    const r = await makeBase(baseDir, { ...DEFAULT_PRETRAIN, seed: o.seed }, (p) => {
      if (p.step % every === 0) o.log(`  pretrain step ${p.step}/${total} loss ${p.loss.toFixed(4)} ${p.seconds.toFixed(0)}s`);
    });
    o.log(`  base ready in ${r.seconds.toFixed(0)}s`);
  } else {
    copyModelDir(o.baseFrom ?? SHIPPED_BASE, baseDir);
  }

  const { preset } = o;
  const problems = makeSplit(preset.testSize, preset.testLevels, o.seed, 'test');
  fs.writeFileSync(dataFile, JSON.stringify(problems.map((p) => ({ id: p.id, prompt: p.prompt, answer: p.answer, level: p.level })), null, 1) + '\n');

  const cfgOf = (mode: string): TrainConfig =>
    demoTrainConfig(mode, { model: baseDir, data: dataFile, runDir: path.join(out, mode) }, preset, o.seed, o.overrides);
  cfgOf('ttrl');  // bad overrides fail here with the parser's own message, not as "no such mode" below
  const valid = (mode: string): boolean => {
    try { cfgOf(mode); return true; } catch (e) { if (e instanceof TtrlError) return false; throw e; }
  };
  const methods = resolveMethods(o.methods, valid, o.log);
  const first = cfgOf(methods[0]!);

  o.log(`evaluating the base on ${problems.length} test problems (levels ${preset.testLevels.join(', ')}), ${first.eval.k} samples each`);
  const base = await evalBase(first, problems);
  o.log(`  base: pass@1 ${base.pass1.toFixed(3)}  maj@${base.k} ${base.maj.toFixed(3)}  greedy ${base.greedy?.toFixed(3)}`);

  const perEpoch = Math.floor(problems.length / first.data.prompts_per_step);
  const runs: Record<string, MethodScores> = {};
  let steps = 0;
  for (const mode of methods) {
    o.log(announce(mode));
    const r = await train(cfgOf(mode), { out: path.join(out, mode), quiet: o.quiet, report: false });
    if (r.signal) throw new RunStopped(r.signal);
    runs[mode] = { ...scoresOf(r.lastEval, mode), label_acc: tailLabelAccuracy(path.join(out, mode), perEpoch) };
    steps = r.steps;
    const s = runs[mode]!;
    o.log(`  ${mode}: pass@1 ${s.pass1.toFixed(3)}  maj@${base.k} ${s.maj.toFixed(3)}  greedy ${s.greedy?.toFixed(3)}`);
  }
  const summary: DemoSummary = {
    base: { pass1: base.pass1, maj: base.maj, greedy: base.greedy },
    runs,
    seconds: (performance.now() - t0) / 1000,
    seed: o.seed,
    n_problems: problems.length,
    k: base.k,
    steps,
  };
  fs.writeFileSync(path.join(out, 'summary.json'), summaryJson(summary));
  await writeReport(out);
  summary.seconds = (performance.now() - t0) / 1000;
  fs.writeFileSync(path.join(out, 'summary.json'), summaryJson(summary));
  return summary;
}

/** summary.json: one row per model (base, then each method) as the report's summary table reads it, then the run facts. */
export function summaryJson(s: DemoSummary): string {
  const { runs, ...rest } = s;
  return JSON.stringify({ base: rest.base, ...runs, seconds: rest.seconds, seed: rest.seed, n_problems: rest.n_problems, k: rest.k, steps: rest.steps }, null, 2) + '\n';
}
