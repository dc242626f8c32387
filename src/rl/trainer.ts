// `ttrl train`: the TTRL loop (TTRL.md "One training step"), with evaluation, metrics, checkpoints and resume.
//
//   for each batch of prompts:  rollout (n_votes samples each) → vote + rewards → keep n_train → GRPO
//   advantages → PPO/KL update (mini-batches of optim.mini_batch responses) → log → maybe eval / checkpoint
//
// Determinism: every random choice derives from (run.seed, step, prompt, sample), so a run resumed from a
// checkpoint replays exactly the steps an uninterrupted run would have taken (weights bit-identical).
import fs from 'node:fs';
import path from 'node:path';
import { loadModel, type Model } from '../model/model.js';
import type { Backend } from '../tensor/backend.js';
import { loadTokenizer, buildPrompt, type Tok } from '../tokenizer/index.js';
import { loadLabeled, loadPrompts, type LabeledExample, type PromptOnly } from '../data/dataset.js';
import { iterateBatches, stepsPerEpoch, type BatchCursor } from '../data/batches.js';
import { sampleBatch } from '../sample/index.js';
import { Optimizer } from '../train/optim.js';
import { writeFileAtomic, copySideFiles } from '../model/params.js';
import { Progress } from '../util/progress.js';
import { Rng, deriveSeed } from '../util/rng.js';
import { TtrlError } from '../util/errors.js';
import { dumpConfig } from './config-io.js';
import type { TrainConfig } from './config.js';
import { lrAt } from './schedule.js';
import { lrScheduleOf, advantageOptionsOf, ppoObjectiveConfigOf } from './from-config.js';
import { policyUpdate } from './update.js';
import { selectForTraining, buildTrainSamples, type Response } from './step.js';
import { rewardStep, stepDiagnostics } from './reward-step.js';
import { LABEL_USING_MODES } from './rewards.js';
import { collapseSignal, type CollapseInputs } from './diagnostics.js';
import { verifyResponses, embedResponses } from './judge.js';
import { DEFAULT_VERIFY_TEMPLATE } from './verify.js';
import { evaluate, type EvalResult } from './evaluate.js';

export interface TrainOptions {
  /** Run directory (default run.out_dir/run.name). */
  out?: string;
  resume?: boolean;
  /** Stop after this many steps in total (for smoke runs and tests). */
  maxSteps?: number;
  quiet?: boolean;
  /** Write report.html at the end (default true). */
  report?: boolean;
  /** Where the models live (default: the CPU backend). */
  backend?: Backend;
}

export interface TrainResult {
  runDir: string; steps: number; lastEval: EvalResult | null; stopped: boolean;
  /** The step at which run.stop_on_collapse stopped the run. */
  collapseStep?: number;
}

interface RunState { step: number; cursor: BatchCursor }

const STEP_FIELDS = ['reward_mean', 'label_acc', 'reward_acc', 'rollout_pass1', 'rollout_maj', 'rollout_passn', 'pb_corr',
  'pseudo_label_acc', 'vote_share', 'num_classes', 'no_answer_frac', 'rollout_entropy', 'self_certainty', 'resp_len_mean', 'resp_len_max', 'truncated_frac', 'entropy', 'kl', 'clip_frac',
  'grad_norm', 'lr', 'loss', 't_rollout', 't_grade', 't_update', 'tokens_per_s'] as const;
export { STEP_FIELDS };

function promptIdsOf(tok: Tok, cfg: TrainConfig, question: string, where: string): number[] {
  const ids = buildPrompt(tok, question, {
    mode: cfg.model.chat_template ? 'chat' : 'raw',
    ...(cfg.model.system_prompt !== null ? { system: cfg.model.system_prompt } : {}),
    suffix: cfg.model.prompt_suffix,
  }).ids;
  if (ids.length > cfg.data.max_prompt_len) {
    throw new TtrlError(`${where}: prompt has ${ids.length} tokens, above data.max_prompt_len=${cfg.data.max_prompt_len}; raise it or shorten the prompt`);
  }
  return ids;
}

/** The last complete checkpoint of a run directory, if any. */
export function lastCheckpoint(runDir: string): string | null {
  const dir = path.join(runDir, 'checkpoints');
  if (!fs.existsSync(dir)) return null;
  const steps = fs.readdirSync(dir).map((n) => /^step-(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1])).filter((s) => fs.existsSync(path.join(dir, `step-${s}`, 'state.json'))).sort((a, b) => b - a);
  return steps.length ? path.join(dir, `step-${steps[0]}`) : null;
}

/** A checkpoint: HF model dir + optimizer state + run state, written under a temporary name and renamed. */
function saveCheckpoint(runDir: string, modelDir: string, policy: Model, opt: Optimizer, state: RunState, keep: number): void {
  const dir = path.join(runDir, 'checkpoints');
  fs.mkdirSync(dir, { recursive: true });
  const final = path.join(dir, `step-${state.step}`), tmp = `${final}.tmp-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  policy.save(tmp);
  opt.save(tmp);
  copySideFiles(modelDir, tmp);
  writeFileAtomic(path.join(tmp, 'state.json'), JSON.stringify(state) + '\n');
  fs.rmSync(final, { recursive: true, force: true });
  fs.renameSync(tmp, final);
  const old = fs.readdirSync(dir).map((n) => /^step-(\d+)$/.exec(n)).filter((m): m is RegExpExecArray => m !== null)
    .map((m) => Number(m[1])).sort((a, b) => b - a).slice(keep);
  for (const s of old) fs.rmSync(path.join(dir, `step-${s}`), { recursive: true, force: true });
}

/** Metrics lines after `step` are dropped on resume: the resumed run writes them again. */
function truncateMetrics(file: string, step: number): void {
  if (!fs.existsSync(file)) return;
  const keep = fs.readFileSync(file, 'utf8').split('\n').filter((l) => {
    if (!l.trim()) return false;
    try { return (JSON.parse(l) as { step: number }).step <= step; } catch { return false; }
  });
  writeFileAtomic(file, keep.map((l) => l + '\n').join(''));
}

/** Removes checkpoints of step ≥ from; returns the newest one left, if any. */
function dropCheckpointsFrom(runDir: string, from: number): string | null {
  const dir = path.join(runDir, 'checkpoints');
  if (fs.existsSync(dir)) {
    for (const n of fs.readdirSync(dir)) {
      const m = /^step-(\d+)$/.exec(n);
      if (m && Number(m[1]) >= from) fs.rmSync(path.join(dir, n), { recursive: true, force: true });
    }
  }
  return lastCheckpoint(runDir);
}

/** The collapse signal's inputs of the steps already in metrics.jsonl (a resumed run continues them). */
function readCollapseHistory(file: string): CollapseInputs[] {
  if (!fs.existsSync(file)) return [];
  return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l) as Record<string, number>)
    .filter((r) => (r.kind as unknown) === 'step')
    .map((r) => ({ entropy: r.rollout_entropy ?? 0, distinct: r.num_classes ?? 0, voteShare: r.vote_share ?? 0 }));
}

export async function train(cfg: TrainConfig, o: TrainOptions = {}): Promise<TrainResult> {
  const runDir = o.out ?? path.join(cfg.run.out_dir, cfg.run.name);
  const log = (s: string): void => { if (!o.quiet) process.stderr.write(s + '\n'); };
  const mode = cfg.reward.mode;

  // ---- data: the trainer's prompts carry no answer; gold is read separately for eval and diagnostics
  const dataOpts = { format: cfg.data.format, promptKey: cfg.data.prompt_key, answerKey: cfg.data.answer_key, idKey: cfg.data.id_key };
  const prompts: PromptOnly[] = await loadPrompts(cfg.data.path, dataOpts);
  let labeled: LabeledExample[] | null = null;
  try { labeled = await loadLabeled(cfg.eval.path ?? cfg.data.path, dataOpts); } catch (e) {
    if (LABEL_USING_MODES.includes(mode)) throw e;
    log(`note: no gold answers (${(e as Error).message}); evaluation and label diagnostics are off`);
  }
  const goldById = new Map(labeled?.filter(() => cfg.eval.path === null).map((x) => [x.id, x.answer]) ?? []);
  if (LABEL_USING_MODES.includes(mode) && cfg.eval.path !== null) {
    for (const x of await loadLabeled(cfg.data.path, dataOpts)) goldById.set(x.id, x.answer);
  }

  const tok = await loadTokenizer(cfg.model.path);
  const decode = (ids: number[]): string => tok.decode(ids, { skipSpecial: true });
  const promptIds = prompts.map((p, i) => promptIdsOf(tok, cfg, p.prompt, `${cfg.data.path} #${i} (${p.id})`));
  const evalPrompts = labeled?.map((x, i) => ({ ids: promptIdsOf(tok, cfg, x.prompt, `eval #${i}`), answer: x.answer })) ?? [];

  // ---- run state: fresh, or resumed from the last checkpoint
  fs.mkdirSync(runDir, { recursive: true });
  const metricsFile = path.join(runDir, 'metrics.jsonl');
  let modelDir = cfg.model.path;
  let state: RunState = { step: 0, cursor: { epoch: 0, batch: 0 } };
  const ckpt = o.resume ? lastCheckpoint(runDir) : null;
  if (o.resume && !ckpt) log(`note: --resume: no checkpoint in ${runDir}, starting from the beginning`);
  if (ckpt) {
    state = JSON.parse(fs.readFileSync(path.join(ckpt, 'state.json'), 'utf8')) as RunState;
    modelDir = ckpt;
    truncateMetrics(metricsFile, state.step);
    log(`resuming from ${ckpt} (step ${state.step})`);
  } else {
    fs.rmSync(metricsFile, { force: true });
  }
  writeFileAtomic(path.join(runDir, 'config.yaml'), dumpConfig(cfg));

  const policy = loadModel(modelDir, o.backend);
  const ref = cfg.algorithm.kl_coef !== 0 && mode !== 'none' ? loadModel(cfg.model.path, o.backend) : null;
  if (ref) ref.trainable = false;
  const opt = new Optimizer(policy.params, {
    kind: 'adamw', beta1: cfg.optim.betas[0], beta2: cfg.optim.betas[1], eps: cfg.optim.eps, weightDecay: cfg.optim.weight_decay,
  }, policy.be);
  if (ckpt) opt.load(ckpt);

  const perEpoch = stepsPerEpoch(prompts.length, cfg.data.prompts_per_step, cfg.data.drop_last);
  const totalSteps = cfg.run.episodes * perEpoch;
  const lastStep = Math.min(totalSteps, o.maxSteps ?? Infinity);
  const schedule = lrScheduleOf(cfg, totalSteps);
  const eosIds = tok.eosIds.length ? tok.eosIds : policy.cfg.eosIds;
  const appendMetrics = (rec: Record<string, unknown>): void => { fs.appendFileSync(metricsFile, JSON.stringify(rec) + '\n'); };

  const runEval = (step: number): EvalResult | null => {
    if (!evalPrompts.length) return null;
    const t0 = performance.now();
    const bar = new Progress(`eval @${step}`, evalPrompts.length * cfg.eval.k, { unit: 'sample', silent: o.quiet });
    const r = evaluate(policy, evalPrompts, decode, {
      k: cfg.eval.k, temperature: cfg.eval.temperature, topP: cfg.eval.top_p, maxNewTokens: cfg.eval.max_response_len,
      eosIds, seed: deriveSeed(cfg.run.seed, 0xe7a1), greedy: true,
    }, (p) => bar.update(p.samplesDone));
    bar.finish();
    appendMetrics({ kind: 'eval', step, time: Date.now() / 1000, ...r, seconds: (performance.now() - t0) / 1000 });
    log(`eval @${step}: pass@1 ${r.pass1.toFixed(3)}  maj@${r.k} ${r.maj.toFixed(3)}  best@${r.k} ${r.best.toFixed(3)}  greedy ${r.greedy?.toFixed(3)}`);
    return r;
  };

  // the label-free collapse signal's history, replayed from metrics.jsonl on resume
  const collapseHistory: CollapseInputs[] = readCollapseHistory(metricsFile);
  let collapsed = false, collapseStop = 0;
  const judge = {
    template: cfg.reward.verify_template ?? DEFAULT_VERIFY_TEMPLATE, temperature: cfg.reward.verify_temperature,
    maxNewTokens: cfg.reward.verify_max_len ?? cfg.rollout.max_response_len, eosIds,
  };
  const judgePromptIds = (text: string): number[] => buildPrompt(tok, text, {
    mode: cfg.model.chat_template ? 'chat' : 'raw', ...(cfg.model.system_prompt !== null ? { system: cfg.model.system_prompt } : {}),
  }).ids;
  let stop = false;
  const onSigint = (): void => { if (stop) process.exit(130); stop = true; log('\ninterrupt: finishing this step, then saving a checkpoint (Ctrl-C again to quit now)'); };
  process.on('SIGINT', onSigint);
  let lastEval: EvalResult | null = null;
  try {
    if (state.step === 0 && cfg.eval.at_start) lastEval = runEval(0);
    for (const batch of iterateBatches(prompts.length, cfg.data.prompts_per_step, cfg.run.seed, cfg.data.drop_last, cfg.run.episodes,
      { start: state.cursor, shuffle: cfg.data.shuffle })) {
      if (batch.step >= lastStep || stop) break;
      const step = batch.step + 1;
      const tRoll = performance.now();
      // 1-2. rollout: n_votes samples per prompt, streams named by (seed, step, prompt)
      const bar = new Progress(`step ${step}/${lastStep} rollout`, batch.indices.length * cfg.rollout.n_votes, { unit: 'sample', silent: o.quiet });
      const out = sampleBatch(policy, batch.indices.map((i) => ({ ids: promptIds[i]!, n: cfg.rollout.n_votes, key: i })), {
        temperature: cfg.rollout.temperature, topP: cfg.rollout.top_p, topK: cfg.rollout.top_k, minP: cfg.rollout.min_p,
        maxNewTokens: cfg.rollout.max_response_len, eosIds,
      }, { seed: deriveSeed(cfg.run.seed, step), decoder: { decode }, onProgress: (p) => bar.update(p.samplesDone) });
      bar.finish();
      const responses: Response[][] = out.map((g) => g.map((s) => ({
        ids: s.ids, text: s.text ?? decode(s.ids), logprobs: s.logprobs, entropies: s.entropies, certainties: s.certainties,
        truncated: s.finishReason === 'length',
      })));
      const tGrade = performance.now();
      // 3. rewards (reward.mode); gold enters only a label-using mode, and the diagnostics after
      const goldOf = (p: number): string | undefined => goldById.get(prompts[batch.indices[p]!]!.id);
      const groups = rewardStep({
        mode, responses, goldOf, minVoteShare: cfg.reward.min_vote_share,
        verify: () => verifyResponses(policy, batch.indices.map((i) => prompts[i]!.prompt), responses.map((g) => g.map((r) => r.text)),
          judgePromptIds, decode, { ...judge, seed: deriveSeed(cfg.run.seed, step, 0x7e21) }).verdicts,
        embed: () => embedResponses(policy, responses.map((g) => g.map((r) => r.ids))),
      });
      const diag = stepDiagnostics(groups, responses, goldOf);
      collapseHistory.push({ entropy: diag.rollout_entropy ?? 0, distinct: diag.num_classes!, voteShare: diag.vote_share! });
      const collapse = collapseSignal(collapseHistory);
      if (collapse.fired && !collapsed) log(`warning: collapse signal at step ${step}: ${collapse.reason}`);
      const tUpdate = performance.now();
      // 4-6. keep n_train, advantages, update
      let upd = null;
      const lr = lrAt(batch.step, schedule);
      const stopNow = collapse.fired && cfg.run.stop_on_collapse;
      if (mode !== 'none' && !stopNow) {
        const keep = batch.indices.map((i) => selectForTraining(cfg.rollout.n_votes, cfg.rollout.n_train, cfg.rollout.train_select, new Rng(cfg.run.seed, step, i, 0x5e1)));
        const samples = buildTrainSamples(batch.indices.map((i) => promptIds[i]!), responses, groups, keep, advantageOptionsOf(cfg), cfg.algorithm.adv_eps);
        if (samples.length) {
          policy.freeScratch();  // the rollout's scratch is not needed while training
          upd = policyUpdate(policy, ref, opt, samples, {
            objective: (mini) => ppoObjectiveConfigOf(cfg, mini),
            miniBatch: cfg.optim.mini_batch, microBatch: cfg.optim.micro_batch,
            gradClip: cfg.optim.grad_clip, temperature: cfg.rollout.temperature || 1, lr,
          });
          policy.freeScratch();
        }
      }
      const tEnd = performance.now();
      // 7. log
      const newTokens = responses.flat().reduce((a, r) => a + r.ids.length, 0);
      const gold = diag.label_acc !== null;
      const rec: Record<string, unknown> = {
        kind: 'step', step, epoch: batch.epoch, time: Date.now() / 1000, ...diag,
        collapse: collapse.fired, ...(collapse.fired ? { collapse_reason: collapse.reason } : {}),
        entropy: upd?.entropy ?? null, kl: upd?.klLoss ?? null, clip_frac: upd?.clipFrac ?? null, grad_norm: upd?.gradNorm ?? null,
        lr, loss: upd?.loss ?? null, pg_loss: upd?.pgLoss ?? null, ppo_kl: upd?.ppoKl ?? null,
        t_rollout: (tGrade - tRoll) / 1000, t_grade: (tUpdate - tGrade) / 1000, t_update: (tEnd - tUpdate) / 1000,
        tokens_per_s: newTokens / Math.max(1e-9, (tGrade - tRoll) / 1000),
      };
      appendMetrics(rec);
      log(`step ${step}/${lastStep}: reward ${(rec.reward_mean as number).toFixed(3)} vote ${(rec.vote_share as number).toFixed(3)}` +
        (gold ? ` label_acc ${(rec.label_acc as number).toFixed(3)} pass1 ${(rec.rollout_pass1 as number).toFixed(3)}` : '') +
        (upd ? ` loss ${upd.loss.toFixed(4)} gnorm ${upd.gradNorm.toFixed(3)} ent ${upd.entropy.toFixed(3)}` : '') +
        ` | ${((tEnd - tRoll) / 1000).toFixed(1)}s`);
      collapsed ||= collapse.fired;
      if (stopNow) { stop = true; collapseStop = step; }
      state = { step, cursor: batch.batch + 1 < perEpoch ? { epoch: batch.epoch, batch: batch.batch + 1 } : { epoch: batch.epoch + 1, batch: 0 } };
      const isLast = step >= lastStep;
      if (!isLast && cfg.eval.every > 0 && step % cfg.eval.every === 0) lastEval = runEval(step);
      if (stopNow) {
        const kept = dropCheckpointsFrom(runDir, step - 1);
        log(`stopped on collapse (run.stop_on_collapse): the weights after step ${step - 1} drew collapsed rollouts; ` +
          (kept ? `last good checkpoint: ${kept}` : 'no earlier checkpoint to keep (set run.save_every)'));
      } else if (stop || (cfg.run.save_every > 0 && step % cfg.run.save_every === 0 && !isLast)) {
        saveCheckpoint(runDir, cfg.model.path, policy, opt, state, 2);
        if (stop) log(`saved ${path.join(runDir, 'checkpoints', `step-${step}`)}; resume with --resume`);
      }
    }
    if (!stop) {
      const evalOn = cfg.eval.every > 0 || cfg.eval.at_start;
      if (evalOn && (state.step > 0 || !cfg.eval.at_start)) lastEval = runEval(state.step);
      const finalDir = path.join(runDir, 'final');
      const tmp = `${finalDir}.tmp-${process.pid}`;
      fs.rmSync(tmp, { recursive: true, force: true });
      policy.save(tmp);
      copySideFiles(cfg.model.path, tmp);
      fs.rmSync(finalDir, { recursive: true, force: true });
      fs.renameSync(tmp, finalDir);
      saveCheckpoint(runDir, cfg.model.path, policy, opt, state, 2);
    }
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (o.report ?? true) {
    try {
      const { writeReport } = await import('../report/write.js');
      log(`report: ${await writeReport(runDir)}`);
    } catch (e) { log(`note: report not written (${(e as Error).message})`); }
  }
  return { runDir, steps: state.step, lastEval, stopped: stop, ...(collapseStop ? { collapseStep: collapseStop } : {}) };
}
