// Supervised fine-tuning: mean next-token cross-entropy over all target tokens of a batch, gradient
// accumulation over micro-batches, grad-norm clipping, AdamW or SGD. Used by `ttrl sft` and by the demo
// to pretrain its base model.
import type { Model, Batch } from '../model/model.js';
import { Optimizer, clipGradNorm, type OptimConfig } from './optim.js';
import { epochOrder } from '../data/batches.js';
import { TtrlError } from '../util/errors.js';

/** One training sequence; loss on the tokens at index ≥ lossFrom (1 = every next token). */
export interface SftExample { ids: number[]; lossFrom: number }

export interface SftOptions {
  optim: OptimConfig;
  lr: number | ((step: number) => number);
  steps: number;
  batchSize: number;
  /** Sequences per forward/backward; gradients accumulate over batchSize / microBatch passes. */
  microBatch?: number;
  seed: number;
  gradClip?: number;          // 0 = off
  checkpoint?: boolean;       // activation recomputation
  /** Where to resume: the optimizer (with its step count) and the batch schedule continue from it. */
  optimizer?: Optimizer;
  onStep?: (info: { step: number; loss: number; gradNorm: number; lr: number; tokens: number }) => void;
}

/** Pack sequences into a right-padded batch with next-token targets (−1 where no loss). */
export function packBatch(exs: SftExample[], vocabSize: number): Batch {
  const B = exs.length, T = Math.max(...exs.map((e) => e.ids.length));
  const ids = new Int32Array(B * T), mask = new Float32Array(B * T), targets = new Int32Array(B * T).fill(-1);
  exs.forEach((e, b) => {
    e.ids.forEach((id, t) => {
      if (!Number.isInteger(id) || id < 0 || id >= vocabSize) throw new TtrlError(`token id ${id} out of range [0, ${vocabSize})`);
      ids[b * T + t] = id; mask[b * T + t] = 1;
      if (t + 1 < e.ids.length && t + 1 >= e.lossFrom) targets[b * T + t] = e.ids[t + 1]!;
    });
  });
  return { B, T, ids, mask, targets };
}

/** Runs `steps` optimizer steps; returns the optimizer (to save its state) and the per-step losses. */
export function sft(model: Model, data: SftExample[], o: SftOptions): { optimizer: Optimizer; losses: number[] } {
  if (data.length === 0) throw new TtrlError('sft: no training examples');
  const opt = o.optimizer ?? new Optimizer(model.params, o.optim, model.be);
  const micro = Math.max(1, Math.min(o.microBatch ?? o.batchSize, o.batchSize));
  const losses: number[] = [];
  const startStep = opt.t;
  for (let step = startStep; step < startStep + o.steps; step++) {
    // the batch for a step depends only on (seed, step): resuming continues the same stream
    const batchIdx: number[] = [];
    let order: number[] = [], orderEpoch = -1;
    for (let i = 0; i < o.batchSize; i++) {
      const k = step * o.batchSize + i, epoch = Math.floor(k / data.length);
      if (epoch !== orderEpoch) { order = epochOrder(data.length, o.seed, epoch); orderEpoch = epoch; }
      batchIdx.push(order[k % data.length]!);
    }
    const exs = batchIdx.map((i) => data[i]!);
    const nTargets = exs.reduce((a, e) => a + Math.max(0, e.ids.length - Math.max(1, e.lossFrom)), 0);
    if (nTargets === 0) throw new TtrlError('sft: a batch has no target tokens (sequences too short?)');
    model.zeroGrad();
    let loss = 0;
    for (let m0 = 0; m0 < exs.length; m0 += micro) {
      const batch = packBatch(exs.slice(m0, m0 + micro), model.cfg.vocabSize);
      const st = model.forward(batch, { checkpoint: o.checkpoint });
      const dlp = new Float32Array(st.logprobs.length);
      for (const r of st.rows) { loss -= st.logprobs[r]! / nTargets; dlp[r] = -1 / nTargets; }
      model.backward(st, dlp);
    }
    if (!Number.isFinite(loss)) throw new TtrlError(`sft: loss is ${loss} at step ${step + 1}; lower --lr or check the data`);
    const gradNorm = clipGradNorm(model.params, model.be, o.gradClip ?? 0);
    const lr = typeof o.lr === 'function' ? o.lr(step) : o.lr;
    opt.step(lr);
    losses.push(loss);
    o.onStep?.({ step: step + 1, loss, gradNorm, lr, tokens: nTargets });
  }
  return { optimizer: opt, losses };
}
