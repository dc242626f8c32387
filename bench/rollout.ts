// The rollout path on the Qwen2.5-0.5B shape (random weights), two optional bench sections:
//
//   rollout  what the sampler costs around the model: decode throughput through sampleBatch (forward, the
//            backend's draws, the scheduler's bookkeeping) over bare model.step on the same shapes (B
//            sequences of one 64-token prompt, B = 16 and 64), and the share of a rollout's wall time spent
//            drawing tokens. Each side's per-step times are medians (robust to bursts of other work).
//   step     one real TTRL step (prompts × votes, grading, update) through the trainer's own step functions
//            (src/rl: rollout, rewardStep, learnStep), fixed voting then adaptive voting: the time split and
//            rollout tokens/s. Random weights' votes scatter over many answers, so adaptive voting can rarely
//            stop early here; its savings are measured on the demo (docs/rl.md).
//
// B = sequences, V = vocab.
import type { Model } from '../src/model/model.js';
import { KVCache } from '../src/model/kvcache.js';
import { sampleBatch, type SampleProgress } from '../src/sample/index.js';
import { loadConfig } from '../src/rl/config-io.js';
import { buildRunPlan } from '../src/rl/plan.js';
import { localEngine, rollout } from '../src/rl/rollout.js';
import { rewardStep } from '../src/rl/reward.js';
import { learnStep } from '../src/rl/learn.js';
import { Optimizer } from '../src/train/optim.js';
import { benchIds } from './engine.js';
import type { SectionContext } from './section.js';

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h]! : (s[h - 1]! + s[h]!) / 2;
};
const r3 = (x: number): number => +x.toFixed(3);
const PROMPT_LEN = 64;

/** Bare model.step: B slots prefilled with the prompt, then `steps` one-token steps; per-step ms. */
function bareSteps(model: Model, B: number, steps: number): number[] {
  const cache = new KVCache(model.cfg, model.be, B, PROMPT_LEN + steps + 1);
  const slots = Int32Array.from({ length: B }, (_, b) => b);
  model.step(cache, slots, Int32Array.from({ length: B * PROMPT_LEN }, (_, i) => benchIds(PROMPT_LEN, model.cfg.vocabSize, 5)[i % PROMPT_LEN]!), PROMPT_LEN);
  const ms: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    model.step(cache, slots, benchIds(B, model.cfg.vocabSize, 20 + i), 1);
    ms.push(performance.now() - t0);
  }
  return ms;
}

/** sampleBatch: one prompt × B samples at T = 1, steps + 1 new tokens; per-step wall ms and the totals. */
function samplerSteps(model: Model, B: number, steps: number): { ms: number[]; last: SampleProgress } {
  const reports: SampleProgress[] = [];
  sampleBatch(model, [{ ids: Array.from(benchIds(PROMPT_LEN, model.cfg.vocabSize, 5)), n: B }],
    { temperature: 1, topP: 1, maxNewTokens: steps + 1, eosIds: [] }, { maxSlots: B, seed: 1, onProgress: (p) => reports.push(p) });
  // one report per decode step, then a final one: the wall time between consecutive decode steps
  const ms = reports.slice(1, steps).map((p, i) => p.elapsedMs - reports[i]!.elapsedMs);
  return { ms, last: reports[reports.length - 1]! };
}

export async function benchRollout(ctx: SectionContext): Promise<object> {
  const model = ctx.model(), steps = ctx.quick ? 3 : 6;
  const out: Record<string, object> = {};
  let samplingShare = 0;
  const over: Record<string, number> = {};
  for (const B of ctx.quick ? [4] : [16, 64]) {
    model.freeScratch();
    bareSteps(model, B, 1);  // warm-up: scratch buffers at this batch size
    ctx.log(`rollout: ${B} sequences, ${steps} decode steps each way`);
    const bare = bareSteps(model, B, steps), s = samplerSteps(model, B, steps);
    const bareMs = median(bare), samplerMs = median(s.ms);
    over[String(B)] = r3(bareMs / samplerMs);
    samplingShare = s.last.sampleMs / s.last.elapsedMs;
    out[String(B)] = {
      bareStepMs: r3(bareMs), samplerStepMs: r3(samplerMs), samplerOverModelStep: over[String(B)],
      bareTokensPerS: r3((B * 1000) / bareMs), samplerTokensPerS: r3((B * 1000) / samplerMs),
      sampler: { prefillMs: r3(s.last.prefillMs), decodeMs: r3(s.last.decodeMs), sampleMs: r3(s.last.sampleMs), elapsedMs: r3(s.last.elapsedMs) },
    };
  }
  return {
    timed: `B sequences of one ${PROMPT_LEN}-token prompt, ${steps} one-token steps: bare model.step vs sampleBatch (T 1, top-p 1); medians of per-step wall time`,
    perBatch: out,
    samplerOverModelStep: over,
    samplingShare: r3(samplingShare),
    samplingShareOf: `sampleMs / elapsedMs of the sampler run at B = ${ctx.quick ? 4 : 64}`,
    goals: { samplingShare: '≤ 0.05', samplerOverModelStep: '≥ 0.9' },
  };
}

/** A decoder for random weights: every token a printable character (no tokenizer needed). */
const decode = (ids: number[]): string => String.fromCharCode(...ids.map((t) => 33 + (t % 90)));

export async function benchStep(ctx: SectionContext): Promise<object> {
  const model = ctx.model();
  const [P, N, M, L] = ctx.quick ? [2, 4, 2, 4] : [2, 8, 4, 16];  // prompts, votes, kept, new tokens
  const out: Record<string, object> = {};
  for (const adaptive of [false, true]) {
    const cfg = loadConfig(null, ['model.path=bench', 'data.path=bench.json', 'run.episodes=1', `data.prompts_per_step=${P}`,
      `rollout.n_votes=${N}`, `rollout.n_train=${M}`, `rollout.max_response_len=${L}`, `rollout.adaptive_votes=${adaptive}`,
      `optim.mini_batch=${P * M}`, `optim.micro_batch=${M}`, 'algorithm.kl_coef=0', 'optim.lr=1e-7']);
    const plan = buildRunPlan(cfg, { tok: { eosIds: [] }, model: { eosIds: [] } }, P);
    const promptIds = Array.from({ length: P }, (_, i) => Array.from(benchIds(PROMPT_LEN, model.cfg.vocabSize, 40 + i)));
    const indices = promptIds.map((_, i) => i);
    ctx.log(`step: ${P} prompts × ${N} votes × ${L} tokens, adaptive=${adaptive}`);
    model.freeScratch();
    let last: { samplesDone: number } | null = null;
    const t0 = performance.now();
    const responses = (await rollout(localEngine(model, decode), promptIds, indices, plan, 1, { onProgress: (p) => { last = p; } }))!;
    const t1 = performance.now();
    const groups = rewardStep(responses, 'ttrl', { minVoteShare: 0 }, null);
    const t2 = performance.now();
    const opt = new Optimizer(model.params, plan.optimizer, model.be);
    const upd = await learnStep({ policy: model, ref: null, opt }, promptIds, indices, responses, groups, plan, 1, 1e-7);
    const t3 = performance.now();
    for (const p of model.params.values()) p.grad = null;
    model.freeScratch();
    const tokens = responses.flat().reduce((a, r) => a + r.ids.length, 0), s = (ms: number) => r3(ms / 1000);
    out[adaptive ? 'adaptive' : 'fixed'] = {
      seconds: { rollout: s(t1 - t0), grade: s(t2 - t1), update: s(t3 - t2), total: s(t3 - t0) },
      rolloutTokens: tokens, rolloutTokensPerS: r3(tokens / ((t1 - t0) / 1000)),
      votesDrawn: responses.map((g) => g.length), answerClasses: groups.map((g) => g.numClasses), answered: groups.flatMap((g) => g.answers).filter((a) => a !== null).length,
      samplesDone: (last as { samplesDone: number } | null)?.samplesDone ?? 0, updated: upd !== null,
    };
  }
  return {
    timed: `one TTRL step on the 0.5B shape: ${P} prompts × ${N} votes (${M} kept) × ${L} new tokens, prompt ${PROMPT_LEN}, AdamW, no KL reference`,
    note: "random weights' votes scatter over many answers (answerClasses), so adaptive voting can rarely stop early here; its token savings are measured on the demo",
    ...out,
  };
}
