// `ttrl train`: the TTRL loop (TTRL.md "One training step"), with evaluation, metrics, checkpoints and resume.
//
//   openRun: config → run plan (plan.ts), data, models, optimizer, run state (fresh or resumed)
//   for each batch of prompts:  rollout → (judge) → reward → diagnostics → update → record   (trainStep)
//                               then maybe eval / checkpoint
//
// Determinism: every random choice derives from (run.seed, step, prompt, sample), so a run resumed from a
// checkpoint replays exactly the steps an uninterrupted run would have taken (weights bit-identical).
import fs from 'node:fs';
import path from 'node:path';
import { readConfig } from '../model/config.js';
import type { Backend } from '../tensor/backend.js';
import { loadTokenizer, buildPrompt, type Tok } from '../tokenizer/index.js';
import type { PromptOnly } from '../data/dataset.js';
import { iterateBatches, type Batch } from '../data/batches.js';
import { writeFileAtomic } from '../model/params.js';
import { Progress } from '../util/progress.js';
import { TtrlError } from '../util/errors.js';
import { diskErrorOf, onDisk } from '../util/disk.js';
import { pauseForEvents } from '../util/pause.js';
import { dumpConfig } from './config-io.js';
import type { TrainConfig } from './config.js';
import { lrAt } from './schedule.js';
import { buildRunPlan, type RunPlan } from './plan.js';
import { localEngine, rollout, type RolloutEngine, type Response } from './rollout.js';
import { OpenAIEngine } from './remote.js';
import { deriveSeed } from '../util/rng.js';
import { REWARD_MODES, rewardStep, type RewardExtras } from './reward.js';
import { goldDiagnostics, collapseSignal, collapseInputsOf, COLLAPSE_DEFAULTS, type CollapseInputs, type CollapseSettings } from './diagnostics.js';
import { verifyResponses, embedResponses } from './judge.js';
import { learnStep, type Learner } from './learn.js';
import { openLearner } from './learner.js';
import { stepRecord, stepLogLine, type StepLine } from './record.js';
import { dropCheckpointsFrom, lastCheckpoint, readRunState, saveCheckpoint, saveFinal, truncateMetrics, type RunState } from './checkpoint.js';
import { prepareRunDir } from './run-dir.js';
import { loadRunData } from './run-data.js';
import { Interrupt, type StopSignal } from './interrupt.js';
import { evaluate, type EvalPrompt, type EvalResult } from './evaluate.js';

export { STEP_FIELDS } from './record.js';
export { lastCheckpoint } from './checkpoint.js';

export interface TrainOptions {
  /** Run directory (default run.out_dir/run.name). */
  out?: string;
  resume?: boolean;
  /** Replace a run already in `out` (without it such a folder is refused). */
  overwrite?: boolean;
  /** With resume: continue even though training settings differ from the saved config.yaml. */
  force?: boolean;
  /** Stop after this many steps in total (for smoke runs and tests). */
  maxSteps?: number;
  quiet?: boolean;
  /** Write report.html at the end (default true). */
  report?: boolean;
  /** Where the models live (default: the CPU backend). */
  backend?: Backend;
  /** The collapse signal's thresholds (default COLLAPSE_DEFAULTS; tests make it fire on purpose). */
  collapse?: CollapseSettings;
}

export interface TrainResult {
  runDir: string;
  steps: number;
  lastEval: EvalResult | null;
  /** Ended early by a signal (a checkpoint of `steps` was written), and which. */
  stopped: boolean;
  signal: StopSignal | null;
  /** The step at which run.stop_on_collapse stopped the run. */
  collapseStep?: number;
}

/** Everything a run holds while it trains. */
interface Run extends Learner {
  cfg: TrainConfig;
  plan: RunPlan;
  runDir: string;
  metricsFile: string;
  log: (s: string) => void;
  quiet: boolean;
  prompts: PromptOnly[];
  promptIds: number[][];
  /** Gold answers by problem id: eval.path unset (diagnostics), or a mode that rewards with gold. */
  goldById: Map<string, string>;
  evalPrompts: EvalPrompt[];
  decode: (ids: number[]) => string;
  engine: RolloutEngine;
  state: RunState;
  /** A judge prompt's ids (self_verify): the run's chat template, no length limit. */
  judgePromptIds: (text: string) => number[];
  /** The collapse signal's inputs of every step so far (replayed from metrics.jsonl on resume). */
  collapseHistory: CollapseInputs[];
  /** The collapse warning is printed once. */
  collapseWarned: boolean;
  collapseSettings: CollapseSettings;
  /** Set when run.stop_on_collapse stops the run at this step. */
  collapseStep?: number;
}

function promptIdsOf(tok: Tok, plan: RunPlan, question: string, where: string): number[] {
  const ids = buildPrompt(tok, question, plan.prompt.options).ids;
  if (ids.length > plan.prompt.maxLen) {
    throw new TtrlError(`${where}: prompt has ${ids.length} tokens, above data.max_prompt_len=${plan.prompt.maxLen}; raise it or shorten the prompt`);
  }
  return ids;
}

/** Data, plan, run state (fresh or from the last checkpoint), models and optimizer. */
async function openRun(cfg: TrainConfig, o: TrainOptions): Promise<Run> {
  const runDir = o.out ?? path.join(cfg.run.out_dir, cfg.run.name);
  const log = (s: string): void => { if (!o.quiet) process.stderr.write(s + '\n'); };
  const note = (s: string): void => { process.stderr.write(s + '\n'); };  // notes show even with --quiet
  const { prompts, evalSet, goldById } = await loadRunData(cfg, note);
  const tok = await loadTokenizer(cfg.model.path);

  const ckpt = prepareRunDir(runDir, cfg, o, note);
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  let state: RunState = { step: 0, cursor: { epoch: 0, batch: 0 } };
  if (ckpt) {
    state = readRunState(ckpt);
    truncateMetrics(metricsFile, state.step);
    log(`resuming from ${ckpt} (step ${state.step})`);
  }
  const configFile = path.join(runDir, 'config.yaml');
  onDisk(configFile, () => writeFileAtomic(configFile, dumpConfig(cfg)));

  const plan = buildRunPlan(cfg, { tok, model: readConfig(cfg.model.path) }, prompts.length, o.maxSteps);
  const { policy, ref, opt } = openLearner(plan, cfg.model.path, ckpt, o.backend);
  const decode = (ids: number[]): string => tok.decode(ids, { skipSpecial: true });
  return {
    cfg, plan, runDir, metricsFile, log, quiet: o.quiet ?? false, prompts, goldById, decode, policy, ref, opt, state,
    promptIds: prompts.map((p, i) => promptIdsOf(tok, plan, p.prompt, `${cfg.data.path} #${i} (${p.id})`)),
    evalPrompts: evalSet.map((x, i) => ({ ids: promptIdsOf(tok, plan, x.prompt, `eval #${i}`), answer: x.answer })),
    engine: plan.rollout.remote
      ? new OpenAIEngine(plan.rollout.remote, policy, path.join(runDir, 'rollout-weights'), cfg.model.path, log)
      : localEngine(policy, decode),
    judgePromptIds: (text) => buildPrompt(tok, text, { ...plan.prompt.options, suffix: '' }).ids,
    collapseHistory: readCollapseHistory(metricsFile), collapseWarned: false, collapseSettings: o.collapse ?? COLLAPSE_DEFAULTS,
  };
}

/** The collapse signal's inputs of the steps already in metrics.jsonl (a resumed run continues them). */
function readCollapseHistory(file: string): CollapseInputs[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((r) => r.kind === 'step')
    .map((r) => ({ entropy: Number(r.rollout_entropy ?? 0), distinct: Number(r.num_classes ?? 0), voteShare: Number(r.vote_share ?? 0) }));
}

/** What a reward mode with `needs` asks the policy about this step's responses (self_verify, evol). */
function judgeStep(run: Run, idx: readonly number[], responses: Response[][], step: number): RewardExtras {
  const needs = REWARD_MODES[run.plan.reward.mode].needs;
  if (needs === 'embeddings') return { embeddings: embedResponses(run.policy, responses.map((g) => g.map((r) => r.ids))) };
  if (needs !== 'verdicts') return {};
  const v = run.plan.reward.verify;
  return { verdicts: verifyResponses(run.policy, idx.map((i) => run.prompts[i]!.prompt), responses.map((g) => g.map((r) => r.text)),
    run.judgePromptIds, run.decode, { template: v.template, sampling: v.sampling, seed: deriveSeed(run.plan.seed, step, JUDGE_STREAM) }).verdicts };
}

/** Seed-tuple tag of the self_verify judge's sampling streams. */
const JUDGE_STREAM = 0x7e21;

const appendMetrics = (run: Run, rec: object): void => {
  onDisk(run.metricsFile, () => fs.appendFileSync(run.metricsFile, JSON.stringify(rec) + '\n'));
};

/** Evaluates and logs; null without eval problems, or when a signal ended it early. */
async function runEval(run: Run, step: number, intr: Interrupt): Promise<EvalResult | null> {
  if (!run.evalPrompts.length) return null;
  const t0 = performance.now(), s = run.plan.eval.settings;
  const bar = new Progress(`eval @${step}`, run.evalPrompts.length * s.k, { unit: 'sample', silent: run.quiet });
  const r = await evaluate(run.policy, run.evalPrompts, run.decode, s,
    { onProgress: (p) => bar.update(p.samplesDone), shouldStop: () => intr.requested });
  bar.finish();
  if (!r) return null;
  appendMetrics(run, { kind: 'eval', step, time: Date.now() / 1000, ...r, seconds: (performance.now() - t0) / 1000 });
  run.log(`eval @${step}: pass@1 ${r.pass1.toFixed(3)}  maj@${r.k} ${r.maj.toFixed(3)}  best@${r.k} ${r.best.toFixed(3)}  greedy ${r.greedy?.toFixed(3)}`);
  return r;
}

/** One TTRL step: rollout → reward → diagnostics → update → record. null: a signal dropped the rollout. */
async function trainStep(run: Run, batch: Batch, intr: Interrupt): Promise<StepLine | null> {
  const { plan } = run, step = batch.step + 1, idx = batch.indices;
  const t0 = performance.now();
  const bar = new Progress(`step ${step}/${plan.steps.last} rollout`, idx.length * plan.rollout.nVotes, { unit: 'sample', silent: run.quiet });
  const responses = await rollout(run.engine, run.promptIds, idx, plan, step,
    { onProgress: (p) => bar.update(p.samplesDone), shouldStop: () => intr.requested });
  bar.finish();
  if (!responses) return null;
  const t1 = performance.now();
  const goldOf = (p: number): string | undefined => run.goldById.get(run.prompts[idx[p]!]!.id);
  const groups = rewardStep(responses, plan.reward.mode, { minVoteShare: plan.reward.minVoteShare },
    REWARD_MODES[plan.reward.mode].usesGold ? (p) => goldOf(p)! : null, judgeStep(run, idx, responses, step));
  const diag = goldDiagnostics(groups, idx.map((_, p) => goldOf(p)));
  run.collapseHistory.push(collapseInputsOf(responses, groups));
  const collapse = collapseSignal(run.collapseHistory, run.collapseSettings);
  if (collapse.fired && !run.collapseWarned) {
    run.collapseWarned = true;
    process.stderr.write(`warning: collapse signal at step ${step}: ${collapse.reason}\n`);
  }
  if (collapse.fired && plan.stopOnCollapse) run.collapseStep = step;
  const t2 = performance.now();
  const lr = lrAt(batch.step, plan.schedule);
  // stop_on_collapse: the weights that drew these rollouts are not trained further
  const upd = run.collapseStep !== undefined ? null : await learnStep(run, run.promptIds, idx, responses, groups, plan, step, lr);
  if (upd) await run.engine.sync?.(run.policy, step);
  const t3 = performance.now();
  const rec = stepRecord(step, batch.epoch, responses, groups, diag, upd, lr,
    { rollout: (t1 - t0) / 1000, grade: (t2 - t1) / 1000, update: (t3 - t2) / 1000 });
  rec.collapse = collapse.fired;
  if (collapse.reason) rec.collapse_reason = collapse.reason;
  appendMetrics(run, rec);
  run.log(stepLogLine(rec, plan.steps.last));
  return rec;
}

/** The state after training on `batch`: the next batch to train on. */
function stateAfter(batch: Batch, perEpoch: number): RunState {
  const next = batch.batch + 1 < perEpoch ? { epoch: batch.epoch, batch: batch.batch + 1 } : { epoch: batch.epoch + 1, batch: 0 };
  return { step: batch.step + 1, cursor: next };
}

/** The loop over batches, then the final evaluation and model; stops early (with a checkpoint) on a signal. */
async function trainLoop(run: Run, intr: Interrupt): Promise<EvalResult | null> {
  const { plan } = run;
  let lastEval: EvalResult | null = null, savedStep = -1;
  const checkpoint = (): string => {
    savedStep = run.state.step;
    return saveCheckpoint(run.runDir, run.cfg.model.path, run.policy, run.opt, run.state, plan.checkpoint.keep);
  };
  const evalAt = async (step: number): Promise<void> => { lastEval = (await runEval(run, step, intr)) ?? lastEval; };
  if (run.state.step === 0 && plan.eval.atStart) await evalAt(0);
  await run.engine.sync?.(run.policy, run.state.step);  // remote servers start from this run's weights
  for (const batch of iterateBatches(run.prompts.length, plan.data.perStep, plan.seed, plan.data.dropLast, plan.data.episodes,
    { start: run.state.cursor, shuffle: plan.data.shuffle })) {
    if (batch.step >= plan.steps.last || intr.requested) break;
    if (!(await trainStep(run, batch, intr))) break;
    if (run.collapseStep !== undefined) {
      const kept = dropCheckpointsFrom(run.runDir, run.collapseStep - 1);
      process.stderr.write(`stopped on collapse (run.stop_on_collapse) at step ${run.collapseStep}: the weights after step ` +
        `${run.collapseStep - 1} drew collapsed rollouts; ${kept ? `last good checkpoint: ${kept}` : 'no earlier checkpoint kept (set run.save_every)'}\n`);
      return lastEval;
    }
    run.state = stateAfter(batch, plan.steps.perEpoch);
    await pauseForEvents();  // a safe point: let a pending signal handler run
    const step = run.state.step, isLast = step >= plan.steps.last;
    if (!isLast && plan.eval.every > 0 && step % plan.eval.every === 0) await evalAt(step);
    if (!isLast && plan.checkpoint.every > 0 && step % plan.checkpoint.every === 0) checkpoint();
  }
  const evalOn = plan.eval.every > 0 || plan.eval.atStart;
  if (!intr.requested && evalOn && (run.state.step > 0 || !plan.eval.atStart)) await evalAt(run.state.step);
  if (intr.requested) {
    const dir = savedStep === run.state.step ? lastCheckpoint(run.runDir) : checkpoint();
    process.stderr.write(`stopped by ${intr.signal} after step ${run.state.step}: checkpoint ${dir}; run the same command with --resume to continue\n`);
    return lastEval;
  }
  saveFinal(run.runDir, run.cfg.model.path, run.policy);
  checkpoint();
  return lastEval;
}

export async function train(cfg: TrainConfig, o: TrainOptions = {}): Promise<TrainResult> {
  const intr = new Interrupt((s) => process.stderr.write(`\n${s}: stopping at the next safe point to save a checkpoint ` +
    `(${s === 'SIGINT' ? 'Ctrl-C' : 'SIGTERM'} again to quit at once)\n`)).install();
  try {
    const run = await openRun(cfg, o);
    let lastEval: EvalResult | null;
    try { lastEval = await trainLoop(run, intr); } catch (e) {
      const disk = diskErrorOf(e, run.runDir);
      if (!disk) throw e;
      throw new TtrlError(`${disk.message}; the last complete checkpoint is ${lastCheckpoint(run.runDir) ?? 'none yet'}: ` +
        'free space (or fix permissions), then run the same command with --resume');
    }
    if (!intr.requested && (o.report ?? true)) {
      try {
        const { writeReport } = await import('../report/write.js');
        run.log(`report: ${await writeReport(run.runDir)}`);
      } catch (e) { run.log(`note: report not written (${(e as Error).message})`); }
    }
    return { runDir: run.runDir, steps: run.state.step, lastEval, stopped: intr.requested, signal: intr.signal,
      ...(run.collapseStep !== undefined ? { collapseStep: run.collapseStep } : {}) };
  } finally {
    intr.uninstall();
  }
}
