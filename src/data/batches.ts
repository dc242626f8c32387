// Deterministic epoch shuffling and batching (TTRL: 8 prompts per step, reshuffled every epoch, the
// incomplete last batch dropped). An epoch's order depends only on (seed, epoch), so a run resumes at
// (epoch, batch) without replaying earlier epochs.
import { Rng } from '../util/rng.js';
import { TtrlError } from '../util/errors.js';

/** Seed-tuple tag that separates the data-order stream from other streams drawn from the run seed. */
const SHUFFLE_STREAM = 0x5ed0;

/** Batches in one epoch: ⌊n / size⌋ with dropLast, else ⌈n / size⌉. */
export function stepsPerEpoch(n: number, batchSize: number, dropLast: boolean): number {
  if (!(batchSize >= 1)) throw new Error(`stepsPerEpoch: batch size must be ≥ 1, got ${batchSize}`);
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}

/** The order of indices 0..n-1 in `epoch`: a Fisher–Yates shuffle seeded by (seed, epoch), or identity. */
export function epochOrder(n: number, seed: number, epoch: number, shuffle = true): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  return shuffle ? new Rng(seed, SHUFFLE_STREAM, epoch).shuffle(order) : order;
}

/** The index lists of every batch in `epoch` (the last one shorter unless dropLast drops it). */
export function batches(n: number, batchSize: number, seed: number, epoch: number, dropLast: boolean, shuffle = true): number[][] {
  const order = epochOrder(n, seed, epoch, shuffle);
  const out: number[][] = [];
  for (let b = 0; b < stepsPerEpoch(n, batchSize, dropLast); b++) out.push(order.slice(b * batchSize, (b + 1) * batchSize));
  return out;
}

/** Where a run stands: the next batch to train on. */
export interface BatchCursor {
  epoch: number;
  batch: number;
}

export interface Batch extends BatchCursor {
  /** training step counted from the start of the run (epoch · stepsPerEpoch + batch). */
  step: number;
  indices: number[];
}

/**
 * Batches from `start` (default epoch 0, batch 0) to the end of epoch `epochs − 1`. Throws when an epoch
 * has no batch (e.g. 6 prompts, batch 8, dropLast), which would otherwise train on nothing forever.
 */
export function* iterateBatches(
  n: number, batchSize: number, seed: number, dropLast: boolean, epochs: number,
  opts: { start?: BatchCursor; shuffle?: boolean } = {},
): Generator<Batch> {
  const per = stepsPerEpoch(n, batchSize, dropLast);
  if (per === 0) throw new TtrlError(`${n} prompts make no batch of ${batchSize}${dropLast ? ' with drop_last' : ''}; lower --data.prompts_per_step`);
  const start = opts.start ?? { epoch: 0, batch: 0 };
  if (start.batch < 0 || start.batch > per || start.epoch < 0) throw new Error(`iterateBatches: bad start ${JSON.stringify(start)} (${per} batches per epoch)`);
  for (let epoch = start.epoch; epoch < epochs; epoch++) {
    const all = batches(n, batchSize, seed, epoch, dropLast, opts.shuffle ?? true);
    for (let batch = epoch === start.epoch ? start.batch : 0; batch < per; batch++) {
      yield { epoch, batch, step: epoch * per + batch, indices: all[batch]! };
    }
  }
}
