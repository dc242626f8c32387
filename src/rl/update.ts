// The policy update of one TTRL step (verl dp_actor.update_policy): the kept responses are split into
// mini-batches (one optimizer step each) and micro-batches (gradient accumulation); each micro-batch is
// scored by the policy (and the frozen reference when the KL coefficient is non-zero), the PPO objective
// gives d loss / d logp per token, and the model's backward pass turns that into parameter gradients.
// B = rows of a micro-batch, T = packed length (prompt + response), R = longest response.
import type { Model, Batch } from '../model/model.js';
import type { Optimizer } from '../train/optim.js';
import { clipGradNorm } from '../train/optim.js';
import { ppoObjective, type PpoObjectiveConfig } from './objective.js';
import { TtrlError } from '../util/errors.js';
import { Pacer } from '../util/pause.js';

/** One response to train on. */
export interface TrainSample {
  promptIds: number[];
  respIds: number[];
  /** Rollout-time log-probs of respIds (the PPO ratio's denominator). */
  oldLogp: number[];
  /** Its advantage, broadcast over its tokens. */
  advantage: number;
}

/** What the objective knows about the mini-batch a micro-batch belongs to. */
export interface MiniBatchInfo {
  /** valid response tokens in the whole mini-batch. */
  tokens: number;
  /** responses in the whole mini-batch. */
  rows: number;
  /** micro-batches in the mini-batch (gradient-accumulation steps). */
  microBatches: number;
}

export interface UpdateConfig {
  /** The objective's options for a micro-batch of the given mini-batch (loss normalisation lives there). */
  objective: (mini: MiniBatchInfo) => PpoObjectiveConfig;
  /** Responses per optimizer step. */
  miniBatch: number;
  /** Responses per forward/backward. */
  microBatch: number;
  gradClip: number;
  /** Passes over the samples (verl ppo_epochs): each pass runs every mini-batch again, in the same order. */
  epochs?: number;
  /** Rollout temperature: log-probs are of logits / temperature, as at sampling time. */
  temperature: number;
  lr: number;
  checkpoint?: boolean;
}

export interface UpdateStats {
  loss: number;
  pgLoss: number;
  klLoss: number | null;
  entropy: number;
  clipFrac: number;
  clipFracLower: number;
  ppoKl: number;
  gradNorm: number;
  optimizerSteps: number;
  tokens: number;
}

/** Packs samples into a right-padded batch whose targets are the response tokens. */
export function packSamples(samples: TrainSample[]): { batch: Batch; starts: number[]; R: number } {
  const B = samples.length;
  const T = Math.max(...samples.map((s) => s.promptIds.length + s.respIds.length));
  const R = Math.max(1, ...samples.map((s) => s.respIds.length));
  const ids = new Int32Array(B * T), mask = new Float32Array(B * T), targets = new Int32Array(B * T).fill(-1);
  const starts: number[] = [];
  samples.forEach((s, b) => {
    const seq = s.promptIds.concat(s.respIds), P = s.promptIds.length;
    seq.forEach((id, t) => { ids[b * T + t] = id; mask[b * T + t] = 1; });
    // position P−1+j predicts response token j
    s.respIds.forEach((id, j) => { targets[b * T + P - 1 + j] = id; });
    starts.push(P - 1);
  });
  return { batch: { B, T, ids, mask, targets }, starts, R };
}

/** Gathers per-position values (B·T) into the response layout (B, R). */
function toResp(x: Float32Array, samples: TrainSample[], starts: number[], T: number, R: number): Float64Array {
  const out = new Float64Array(samples.length * R);
  samples.forEach((s, b) => { for (let j = 0; j < s.respIds.length; j++) out[b * R + j] = x[b * T + starts[b]! + j]!; });
  return out;
}

/** The inverse of toResp. */
function fromResp(x: Float64Array, samples: TrainSample[], starts: number[], T: number, R: number): Float32Array {
  const out = new Float32Array(samples.length * T);
  samples.forEach((s, b) => { for (let j = 0; j < s.respIds.length; j++) out[b * T + starts[b]! + j] = x[b * R + j]!; });
  return out;
}

/**
 * The update over `samples`. Async only to let the event loop in between micro-batches (a Ctrl-C is then
 * noticed at once); the update itself always runs to the end.
 */
export async function policyUpdate(policy: Model, ref: Model | null, opt: Optimizer, samples: TrainSample[], cfg: UpdateConfig): Promise<UpdateStats> {
  const pacer = new Pacer();
  const useRef = cfg.objective({ tokens: 1, rows: 1, microBatches: 1 }).klCoef !== 0;
  if (useRef && !ref) throw new Error('policyUpdate: kl_coef ≠ 0 needs a reference model');
  const sums = { loss: 0, pgLoss: 0, klLoss: 0, entropy: 0, clipFrac: 0, clipFracLower: 0, ppoKl: 0, gradNorm: 0 };
  let tokens = 0, steps = 0, sawKl = false;
  // verl's ppo_epochs: every pass walks the same mini-batches in the same order; old log-probs stay the rollout's
  const miniStarts: number[] = [];
  for (let e = 0; e < (cfg.epochs ?? 1); e++) for (let m0 = 0; m0 < samples.length; m0 += cfg.miniBatch) miniStarts.push(m0);
  for (const m0 of miniStarts) {
    const mini = samples.slice(m0, m0 + cfg.miniBatch);
    const miniTokens = mini.reduce((a, s) => a + s.respIds.length, 0);
    const objective = cfg.objective({ tokens: miniTokens, rows: mini.length, microBatches: Math.ceil(mini.length / cfg.microBatch) });
    policy.zeroGrad();
    for (let u0 = 0; u0 < mini.length; u0 += cfg.microBatch) {
      const micro = mini.slice(u0, u0 + cfg.microBatch);
      const { batch, starts, R } = packSamples(micro);
      const B = micro.length, T = batch.T;
      // The reference first: a LoRA policy's reference is its own base (Model.baseView), which shares scratch
      // memory with it, so the policy's activations must be the last ones written before backward.
      const refLp = useRef ? ref!.forward(batch, { temperature: cfg.temperature }).logprobs : null;
      const st = policy.forward(batch, { entropy: true, temperature: cfg.temperature, checkpoint: cfg.checkpoint });
      const mask = new Float64Array(B * R), oldLogp = new Float64Array(B * R), adv = new Float64Array(B * R);
      micro.forEach((s, b) => s.respIds.forEach((_, j) => {
        mask[b * R + j] = 1; oldLogp[b * R + j] = s.oldLogp[j]!; adv[b * R + j] = s.advantage;
      }));
      const res = ppoObjective({
        oldLogp, logp: toResp(st.logprobs, micro, starts, T, R), adv, mask, B, T: R,
        refLogp: refLp ? toResp(refLp, micro, starts, T, R) : null,
        entropy: toResp(st.entropy!, micro, starts, T, R),
      }, objective);
      if (!Number.isFinite(res.loss)) {
        throw new TtrlError(`policy loss is ${res.loss} (optimizer step ${opt.t + 1}); lower optim.lr, or check the data for empty responses`);
      }
      policy.backward(st, fromResp(res.gradLogp, micro, starts, T, R),
        res.gradEntropy ? fromResp(res.gradEntropy, micro, starts, T, R) : null);
      const w = micro.reduce((a, s) => a + s.respIds.length, 0);
      sums.loss += res.loss; sums.pgLoss += res.pgLoss * w; sums.entropy += (res.entropyLoss ?? 0) * w;
      if (res.klLoss !== null) { sums.klLoss += res.klLoss * w; sawKl = true; }
      sums.clipFrac += res.clipFrac * w; sums.clipFracLower += res.clipFracLower * w; sums.ppoKl += res.ppoKl * w;
      tokens += w;
      await pacer.tick();
    }
    const gn = clipGradNorm(opt.params, policy.be, cfg.gradClip);  // what the optimizer trains (a LoRA adapter's tensors)
    if (!Number.isFinite(gn)) throw new TtrlError(`gradient norm is ${gn} at optimizer step ${opt.t + 1}; lower optim.lr`);
    opt.step(cfg.lr);
    sums.gradNorm += gn; steps++;
  }
  const per = (x: number): number => (tokens ? x / tokens : 0);
  return {
    loss: steps ? sums.loss / steps : 0, pgLoss: per(sums.pgLoss), klLoss: sawKl ? per(sums.klLoss) : null,
    entropy: per(sums.entropy), clipFrac: per(sums.clipFrac), clipFracLower: per(sums.clipFracLower),
    ppoKl: per(sums.ppoKl), gradNorm: steps ? sums.gradNorm / steps : 0, optimizerSteps: steps, tokens,
  };
}
